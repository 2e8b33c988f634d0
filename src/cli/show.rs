//! `verdict show`: one sample as text.

use crate::model::SampleId;
use crate::store::SampleView;
use std::fmt::Write as _;
use std::path::Path;

pub(super) fn run(project: &Path, id: i64) -> anyhow::Result<()> {
    let store = super::open_existing(project)?;
    let sample = store.sample(SampleId(id))?;
    out!("{}", render(&sample));
    Ok(())
}

/// The text form of a sample.
pub fn render(s: &SampleView) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "sample {}  dataset {} ({})  row {}", s.id, s.dataset_id, s.dataset_name, s.row_index);
    if s.sub_index > 0 {
        let _ = writeln!(out, "pair {} of the row", s.sub_index + 1);
    }
    if let Some(key) = &s.source_key {
        let _ = writeln!(out, "source id {key}");
    }
    let _ = writeln!(out, "modality {}", s.modality);
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
            facts.push(format!("{n} frames"));
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
        let _ = writeln!(out, "\n[response {}] ({}){model}", letter(r.position), r.field);
        let _ = writeln!(out, "{}", r.text.as_deref().unwrap_or("(media only)"));
        if let Some(meta) = &r.meta {
            let _ = writeln!(out, "meta {meta}");
        }
    }
    let _ = writeln!(out);
    for j in &s.judgments {
        let who = j.author.as_deref().map(|a| format!(" by {a}")).unwrap_or_default();
        let mut line = format!("judgment {}{who} {}/{}", j.source, j.kind, j.label);
        if let (Some(c), Some(r)) = (j.chosen, j.rejected) {
            let _ = write!(line, " {} over {}", letter(c), letter(r));
        }
        if !j.ranking.is_empty() {
            let order: Vec<String> = j.ranking.iter().map(|p| letter(*p)).collect();
            let _ = write!(line, " ranking {}", order.join(" > "));
        }
        let _ = writeln!(out, "{line}");
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
