//! `verdict show`: one sample as text.

use crate::model::words::plural;
use crate::model::{JudgmentKind, Position, SampleId};
use crate::store::{CurationState, JudgmentView, SampleView, Store, in_force, original};
use std::fmt::Write as _;
use std::path::Path;

pub(super) fn run(project: &Path, which: &str, json: bool) -> anyhow::Result<()> {
    let store = super::open_existing(project)?;
    let id = resolve(&store, which)?;
    let sample = store.sample(id)?;
    let state = store.curation_state(id)?;
    let position = store.sample_position(id)?;
    if json {
        outln!("{}", serde_json::to_string(&to_json(&sample, &state, position))?);
    } else {
        out!("{}", render(&sample, &state, position));
    }
    Ok(())
}

/// A sample named as curators see it: its id, or the source's own id (`key`), which the
/// sample header shows.
pub(super) fn resolve(store: &Store, which: &str) -> anyhow::Result<SampleId> {
    let which = which.trim();
    if let Ok(n) = which.parse::<i64>()
        && store.has_sample(SampleId(n))?
    {
        return Ok(SampleId(n));
    }
    let found = store.samples_with_key(which)?;
    match found.as_slice() {
        [(id, _)] => Ok(*id),
        [] => anyhow::bail!("no sample with id or source id `{which}`"),
        many => {
            let list: Vec<String> = many.iter().map(|(id, d)| format!("{id} (dataset {d})")).collect();
            anyhow::bail!("source id `{which}` names {} samples: {}; show one by its id", many.len(), list.join(", "))
        }
    }
}

/// A judgment in words: `A over B`, `tie A = B`, `both bad: A, B`, `ranking C > A > B`.
pub fn judgment_words(j: &JudgmentView) -> String {
    let mut line = match (j.kind, j.chosen, j.rejected) {
        (JudgmentKind::Tie, Some(c), Some(r)) => format!("tie {} = {}", letter(c), letter(r)),
        (JudgmentKind::BothBad, Some(c), Some(r)) => format!("both bad: {}, {}", letter(c), letter(r)),
        (JudgmentKind::Ranking, ..) if !j.ranking.is_empty() => {
            let order: Vec<String> = j.ranking.iter().map(|p| letter(*p)).collect();
            format!("ranking {}", order.join(" > "))
        }
        (JudgmentKind::Pairwise, Some(c), Some(r)) => format!("{} over {}", letter(c), letter(r)),
        (kind, Some(c), Some(r)) => format!("{} {} over {}", kind.as_str().replace('_', " "), letter(c), letter(r)),
        (kind, ..) => kind.as_str().replace('_', " "),
    };
    if j.label != "overall" {
        let _ = write!(line, " ({})", j.label);
    }
    line
}

/// The JSON form of a sample: the stored sample, where it is in its source file (`{"line": 7}`,
/// `{"index": 6}`, `{"row": 6}`), its curation state, and the label in force and the original one,
/// with their chosen and rejected positions.
pub fn to_json(s: &SampleView, state: &CurationState, position: Position) -> serde_json::Value {
    let now = in_force(&s.judgments, state.judgment_id);
    let label = |j: Option<&JudgmentView>| {
        j.map(|j| {
            serde_json::json!({
                "judgment": j.id, "source": j.source, "author": j.author, "kind": j.kind,
                "chosen": j.chosen, "rejected": j.rejected, "ranking": j.ranking, "words": judgment_words(j),
            })
        })
    };
    serde_json::json!({
        "id": s.id,
        "position": position,
        "sample": s,
        "label": label(now),
        "original_label": label(original(&s.judgments)),
        "curation": state,
    })
}

/// The text form of a sample.
pub fn render(s: &SampleView, state: &CurationState, position: Position) -> String {
    let mut out = String::new();
    let now = in_force(&s.judgments, state.judgment_id);
    let role = |p: u32| match now {
        Some(j) if matches!(j.kind, JudgmentKind::Tie | JudgmentKind::BothBad) => {
            (j.chosen == Some(p) || j.rejected == Some(p)).then(|| j.kind.as_str().replace('_', " "))
        }
        Some(j) if j.chosen == Some(p) => Some("chosen".to_owned()),
        Some(j) if j.rejected == Some(p) => Some("rejected".to_owned()),
        Some(j) if !j.ranking.is_empty() => j.ranking.iter().position(|x| *x == p).map(|i| format!("rank {}", i + 1)),
        _ => None,
    };
    let _ = writeln!(out, "sample {}  dataset {} ({})  {position}", s.id, s.dataset_id, s.dataset_name);
    if s.sub_index > 0 {
        let _ = writeln!(out, "pair {} of the row", s.sub_index + 1);
    }
    if let Some(key) = &s.source_key {
        let _ = writeln!(out, "source id {key}");
    }
    let _ = writeln!(out, "modality {}", s.modality);
    match now {
        Some(j) => {
            let whose = match j.author.as_deref() {
                Some(a) => format!("{} {a} at {}", j.source, j.created_at),
                None => j.source.to_string(),
            };
            let _ = writeln!(out, "label now {} ({whose})", judgment_words(j));
            if let Some(o) = original(&s.judgments).filter(|o| o.id != j.id) {
                let _ = writeln!(out, "original label {}", judgment_words(o));
            }
        }
        None => {
            let _ = writeln!(out, "label now none");
        }
    }
    if let Some(f) = &state.flag {
        let _ = writeln!(out, "flagged {f}");
    }
    if let Some(e) = &state.excluded {
        let _ = writeln!(out, "excluded {e}");
    }
    if let Some(n) = &state.note {
        let _ = writeln!(out, "note {n}");
    }
    for m in &s.media {
        let place = m
            .blob_hash
            .as_ref()
            .map(|h| format!("embedded {}", &h[..h.len().min(12)]))
            .or_else(|| m.resolved_path.clone())
            .or_else(|| m.path.clone())
            .or_else(|| m.url.clone())
            .unwrap_or_default();
        let f = &m.facts;
        let mut facts = Vec::new();
        if let (Some(w), Some(h)) = (f.width, f.height) {
            facts.push(format!("{w}x{h}"));
        }
        if let Some(d) = f.duration_s {
            facts.push(format!("{d:.2}s"));
        }
        if let Some(fps) = f.fps {
            facts.push(format!("{fps:.2}fps"));
        }
        if let Some(n) = f.frame_count {
            facts.push(plural(n, "frame"));
        }
        if let Some(sr) = f.sample_rate {
            facts.push(format!("{sr}Hz"));
        }
        if let Some(c) = &f.codec {
            facts.push(c.clone());
        }
        if let Some(e) = &m.probe_error {
            facts.push(format!("{}: {e}", m.probe_status));
        }
        let owner = m.response.map(|r| format!(" of response {}", letter(r))).unwrap_or_default();
        let _ = writeln!(
            out,
            "media {} {} {}{owner} [{}] {place} {}",
            m.position,
            m.role,
            m.kind,
            m.field,
            facts.join(" ")
        );
    }
    for t in &s.context {
        let _ = writeln!(out, "\n[{}]\n{}", t.role, t.content);
    }
    let _ = writeln!(out, "\n[prompt]\n{}", s.prompt);
    for r in &s.responses {
        let model = r.model.as_deref().map(|m| format!(" model {m}")).unwrap_or_default();
        let now = role(r.position).map(|r| format!(" {r} now")).unwrap_or_default();
        let _ = writeln!(out, "\n[response {}]{now} (source field {}){model}", letter(r.position), r.field);
        let _ = writeln!(out, "{}", r.text.as_deref().unwrap_or("(media only)"));
        if let Some(meta) = &r.meta {
            let _ = writeln!(out, "meta {meta}");
        }
    }
    let _ = writeln!(out);
    for j in &s.judgments {
        let who = j.author.as_deref().map(|a| format!(" by {a}")).unwrap_or_default();
        let in_force = if now.is_some_and(|n| n.id == j.id) { " (in force)" } else { "" };
        let _ = writeln!(out, "judgment {}{who}: {}{in_force}", j.source, judgment_words(j));
        for r in &j.ratings {
            let target = r.response.map_or_else(|| "sample".to_owned(), letter);
            let _ = writeln!(out, "  {target} {} = {}", r.aspect, r.raw);
            if let Some(why) = &r.rationale {
                let _ = writeln!(out, "    rationale: {why}");
            }
            if let Some(c) = &r.critique {
                let _ = writeln!(out, "    critique: {c}");
            }
        }
        if let Some(d) = &j.detail {
            let _ = writeln!(out, "  detail {d}");
        }
    }
    if let Some(extras) = &s.extras {
        let _ = writeln!(out, "\nextras {extras}");
    }
    out
}

/// Response positions as letters (A, B, C...), as curators call them.
fn letter(pos: u32) -> String {
    char::from_u32(u32::from(b'A') + pos)
        .filter(char::is_ascii_uppercase)
        .map_or_else(|| format!("#{pos}"), String::from)
}
