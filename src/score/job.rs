//! The scoring job: every candidate with text of the samples a query selects, scored in batches
//! and written as model judgments through the store's write path. A sample the scorer has judged is
//! skipped, and a candidate whose content (prompt and text) it has scored in any sample takes that
//! score, so a job cancelled or killed at any moment resumes where its last write ended, and the
//! same scores come out. Results are written at least every second ([`ScoreOptions::commit_every`]),
//! each write one operation, so a kill costs at most that much work; a scorer that fails (a served
//! endpoint, a process) has what it scored before written first. A scorer that compares a sample's
//! candidates (a judge, [`Scorer::compares`]) gets whole samples, its scores kept under
//! [`super::compared_hash`].

use super::{Candidate, Result, ScoreError, Scored, Scorer};
use crate::jobs::Progress;
use crate::model::SampleId;
use crate::store::{NewScorer, ScoreBatch, ScorerRow, Store};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How a scoring job runs.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreOptions {
    /// The samples to score (the query language; empty: all).
    pub query: String,
    /// Candidates per model call.
    pub batch: usize,
    /// Where the job was started (`cli`, `app`), for the operations it writes.
    pub origin: &'static str,
    /// Where the model was loaded from, recorded with the scorer.
    pub model_path: Option<String>,
    /// Results are written once this long has passed since the last write (and at the end).
    pub commit_every: Duration,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        Self { query: String::new(), batch: 32, origin: "cli", model_path: None, commit_every: Duration::from_secs(1) }
    }
}

/// What a scoring job did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ScoreReport {
    /// The scorer's name.
    pub scorer: String,
    /// Where it ran (`cpu f32`).
    pub device: String,
    /// Samples judged now.
    pub judged: u64,
    /// Samples the query selects that an earlier run judged.
    pub already: u64,
    /// Candidates scored now (each with text).
    pub candidates: u64,
    /// Of those, scored by the model now.
    pub computed: u64,
    /// Of those, whose prompt and text the scorer had scored before (in another sample).
    pub reused: u64,
    /// Candidates without text (media only), not scored by a text scorer.
    pub media_only: u64,
    /// Candidates a media scorer left unscored because their media could not be read or
    /// decoded (a missing file, a URL never fetched, broken bytes); a later run tries them again.
    pub media_failed: u64,
    /// Why the first of those was left out (`media 1 (a video): ...`).
    pub media_error: Option<String>,
    /// Candidates a media scorer had nothing to compare with (a text sample without media).
    pub without_media: u64,
    /// Wall time.
    pub seconds: f64,
}

impl ScoreReport {
    /// Counts a candidate left out because its media could not be read, and keeps the first reason.
    fn media_failed(&mut self, why: &str) {
        self.media_failed += 1;
        self.media_error.get_or_insert_with(|| why.to_owned());
    }

    /// The report in a sentence, as the CLI prints it and the app shows it.
    pub fn summary(&self) -> String {
        use crate::model::words::plural;
        use std::fmt::Write as _;
        let mut media = String::new();
        if self.media_failed > 0 {
            let _ = write!(
                media,
                ", {} with media that could not be read left out",
                plural(self.media_failed, "candidate")
            );
            if let Some(why) = &self.media_error {
                let _ = write!(media, " (the first: {why})");
            }
        }
        if self.without_media > 0 {
            let _ = write!(media, ", {} without media left out", plural(self.without_media, "candidate"));
        }
        format!(
            "{} on {}: judged {} ({} judged before), {} scored ({} by the model, {} known by content), {} without \
             text left out{}, in {:.1} s",
            self.scorer,
            self.device,
            plural(self.judged, "sample"),
            self.already,
            plural(self.candidates, "candidate"),
            self.computed,
            self.reused,
            plural(self.media_only, "candidate"),
            media,
            self.seconds
        )
    }
}

/// Checks that the scorer's name and identity belong together in the project and records its run.
fn record(store: &mut Store, scorer: &dyn Scorer, model_path: Option<&str>) -> Result<ScorerRow> {
    let id = scorer.identity();
    if let Some(same) = store.scorer_by_identity(&id.weights, &id.settings)?
        && same.name != id.name
    {
        return Err(ScoreError::Identity(format!(
            "this model, with these settings, is the scorer `{}` in this project: score it under that name \
             (`--name {}`, the Score form's Name), which keeps its scores",
            same.name, same.name
        )));
    }
    if let Some(named) = store.scorer(Some(&id.name))?
        && (named.weights != id.weights || named.settings != id.settings)
    {
        return Err(ScoreError::Identity(format!(
            "the scorer name `{}` belongs to another model in this project (weights {}, settings {}): \
             give this one another name (`--name`, the Score form's Name)",
            id.name,
            &named.weights[..12.min(named.weights.len())],
            named.settings
        )));
    }
    Ok(store.record_scorer(&NewScorer {
        name: &id.name,
        kind: &id.kind,
        architecture: &id.architecture,
        weights: &id.weights,
        settings: &id.settings,
        model_path,
        device: scorer.device(),
    })?)
}

/// Scores the samples `options.query` selects with `scorer` and writes its judgments.
pub fn run(
    store: &mut Store,
    scorer: &mut dyn Scorer,
    options: &ScoreOptions,
    progress: &mut Progress,
) -> Result<ScoreReport> {
    let started = Instant::now();
    let row = record(store, scorer, options.model_path.as_deref())?;
    let query = crate::query::compile(&options.query)?;
    let (todo, already) = store.samples_to_score(&row.name, &query)?;
    let mut report =
        ScoreReport { scorer: row.name.clone(), device: scorer.device().to_owned(), already, ..ScoreReport::default() };
    // The device in the phase: the job's line in the app and the bar say where the model runs.
    progress.phase(&format!("scoring on {}", scorer.device()), "samples", Some(todo.len() as u64), 0);
    let batch = options.batch.max(1);
    let mut pending = ScoreBatch::default();
    let mut last_write = Instant::now();
    let mut done = 0u64;
    for chunk in todo.chunks(batch) {
        if progress.tick(done).is_err() {
            write(store, &row, options, &mut pending, &mut report)?;
            return Err(ScoreError::Cancelled);
        }
        if let Err(e) = score_chunk(store, scorer, &row, chunk, batch, &mut pending, &mut report) {
            // A scorer that failed (a served one's endpoint, a process that died): what was
            // scored before stays, so a rerun resumes after it.
            write(store, &row, options, &mut pending, &mut report)?;
            return Err(e);
        }
        done += chunk.len() as u64;
        if last_write.elapsed() >= options.commit_every {
            write(store, &row, options, &mut pending, &mut report)?;
            last_write = Instant::now();
        }
    }
    write(store, &row, options, &mut pending, &mut report)?;
    progress.finish(done);
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Scores the candidates of `samples` into `pending`: known contents from the store, the rest by
/// the model, `batch` at a time, each distinct content once.
fn score_chunk(
    store: &Store,
    scorer: &mut dyn Scorer,
    row: &ScorerRow,
    samples: &[SampleId],
    batch: usize,
    pending: &mut ScoreBatch,
    report: &mut ScoreReport,
) -> Result<()> {
    let inputs = store.score_inputs(samples)?;
    let compares = scorer.compares();
    let optional = scorer.media_optional();
    let media = if scorer.reads_media() { super::media::load(store, samples)? } else { HashMap::new() };
    let mut wanted: Vec<(SampleId, u32, Candidate<'_>, String)> = Vec::new();
    for input in &inputs {
        let mut with_text: Vec<(u32, Candidate<'_>)> = Vec::new();
        for (pos, text) in &input.candidates {
            if !scorer.reads_media() {
                match text {
                    Some(text) => with_text.push((*pos, Candidate::new(&input.prompt, text))),
                    None => report.media_only += 1,
                }
                continue;
            }
            let text = text.as_deref().unwrap_or("");
            let Some(m) = media.get(&input.sample) else {
                if optional && !text.is_empty() {
                    with_text.push((*pos, Candidate::new(&input.prompt, text)));
                } else {
                    report.without_media += 1;
                }
                continue;
            };
            let c = if let Some(own) = m.own.get(pos).filter(|o| !o.is_empty()) {
                Candidate { own_media: own, ..Candidate::new(&input.prompt, text) }
            } else if let Some(why) = m.own_error.get(pos).or(m.input_error.as_ref().filter(|_| !text.is_empty())) {
                report.media_failed(why);
                continue;
            } else if !text.is_empty() && !m.input.is_empty() {
                Candidate { media: &m.input, ..Candidate::new(&input.prompt, text) }
            } else if optional && !text.is_empty() {
                Candidate::new(&input.prompt, text)
            } else {
                report.without_media += 1;
                continue;
            };
            with_text.push((*pos, c));
        }
        let all: Vec<Candidate<'_>> = with_text.iter().map(|w| w.1).collect();
        for (k, (pos, c)) in with_text.iter().enumerate() {
            let key = if compares { super::compared_hash(&all, k) } else { c.content_hash() };
            wanted.push((input.sample, *pos, *c, key));
        }
    }
    let hashes: Vec<&str> = wanted.iter().map(|w| w.3.as_str()).collect();
    let mut scores: HashMap<String, f64> = store.known_scores(row.id, &hashes)?;
    report.reused += wanted.iter().filter(|w| scores.contains_key(&w.3)).count() as u64;
    let mut failed: std::collections::HashSet<&str> = std::collections::HashSet::new();
    if compares {
        failed.extend(score_samples(scorer, &wanted, &mut scores, pending, report)?);
    }
    let mut new: Vec<(Candidate<'_>, &str)> = Vec::new();
    for w in &wanted {
        if !scores.contains_key(&w.3) && !failed.contains(w.3.as_str()) && !new.iter().any(|n| n.1 == w.3) {
            new.push((w.2, &w.3));
        }
    }
    for part in new.chunks(batch) {
        let candidates: Vec<Candidate<'_>> = part.iter().map(|p| p.0).collect();
        let scored: Vec<Scored> = scorer.score(&candidates)?;
        if scored.len() != candidates.len() {
            return Err(ScoreError::Inference(format!(
                "the scorer returned {} scores for {} candidates",
                scored.len(),
                candidates.len()
            )));
        }
        for ((_, content), s) in part.iter().zip(scored) {
            if s.score.is_nan() && scorer.reads_media() {
                // Its media did not decode: left unscored (and counted below), tried again later.
                failed.insert(*content);
                report.media_error.get_or_insert_with(|| media_error_of(&s));
                continue;
            }
            if !s.score.is_finite() {
                return Err(ScoreError::Inference(format!("the scorer returned {} for a candidate", s.score)));
            }
            let score = f64::from(s.score);
            scores.insert((*content).to_owned(), score);
            pending.scores.push(((*content).to_owned(), score, s.detail.map(|d| d.to_string())));
            for (hash, vector) in s.embeddings {
                if !pending.embeddings.iter().any(|e| e.0 == hash) {
                    pending.embeddings.push((hash, vector));
                }
            }
            report.computed += 1;
        }
    }
    let mut by_sample: Vec<(SampleId, Vec<(u32, f64)>)> = Vec::new();
    for (sample, _, _, content) in &wanted {
        if !scores.contains_key(content) && !failed.contains(content.as_str()) {
            return Err(ScoreError::Inference(format!("sample {sample}: a candidate was left unscored")));
        }
    }
    for (sample, pos, _, content) in &wanted {
        let Some(&score) = scores.get(content) else {
            report.media_failed += 1;
            continue;
        };
        match by_sample.last_mut() {
            Some((s, list)) if s == sample => list.push((*pos, score)),
            _ => by_sample.push((*sample, vec![(*pos, score)])),
        }
    }
    report.candidates += wanted.len() as u64 - failed_count(&wanted, &failed);
    pending.judgments.extend(by_sample);
    Ok(())
}

/// Scores, for a scorer that compares, the samples of `wanted` with a candidate it has no score
/// for: whole samples in one call, each candidate's score kept under its [`super::compared_hash`].
fn score_samples<'w>(
    scorer: &mut dyn Scorer,
    wanted: &'w [(SampleId, u32, Candidate<'_>, String)],
    scores: &mut HashMap<String, f64>,
    pending: &mut ScoreBatch,
    report: &mut ScoreReport,
) -> Result<Vec<&'w str>> {
    let mut groups: Vec<(SampleId, Vec<Candidate<'_>>, Vec<&str>)> = Vec::new();
    for (sample, _, c, key) in wanted {
        match groups.last_mut() {
            Some((s, cs, keys)) if s == sample => {
                cs.push(*c);
                keys.push(key);
            }
            _ => groups.push((*sample, vec![*c], vec![key.as_str()])),
        }
    }
    let mut failed = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    groups.retain(|(_, _, keys)| {
        let new = keys.iter().any(|k| !scores.contains_key(*k)) && !seen.contains(&keys[0]);
        seen.push(keys[0]);
        new
    });
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let samples: Vec<Vec<Candidate<'_>>> = groups.iter().map(|g| g.1.clone()).collect();
    let scored = scorer.score_samples(&samples)?;
    if scored.len() != samples.len() {
        return Err(ScoreError::Inference(format!(
            "the scorer returned {} samples' scores for {} samples",
            scored.len(),
            samples.len()
        )));
    }
    for ((sample, cs, keys), list) in groups.iter().zip(scored) {
        if list.len() != cs.len() {
            return Err(ScoreError::Inference(format!(
                "sample {sample}: the scorer returned {} scores for {} candidates",
                list.len(),
                cs.len()
            )));
        }
        for (key, s) in keys.iter().zip(list) {
            if s.score.is_nan() && scorer.reads_media() {
                // Its sample's media did not decode: left unscored, tried again later.
                failed.push(*key);
                report.media_error.get_or_insert_with(|| media_error_of(&s));
                continue;
            }
            if !s.score.is_finite() {
                return Err(ScoreError::Inference(format!("sample {sample}: the scorer returned {}", s.score)));
            }
            let score = f64::from(s.score);
            if scores.insert((*key).to_owned(), score).is_none() {
                pending.scores.push(((*key).to_owned(), score, s.detail.map(|d| d.to_string())));
                report.computed += 1;
            }
        }
    }
    Ok(failed)
}

/// The reason a scorer gives for a candidate whose media did not decode.
fn media_error_of(scored: &Scored) -> String {
    scored
        .detail
        .as_ref()
        .and_then(|d| d.get("media_error"))
        .and_then(|e| e.as_str())
        .unwrap_or("the media did not decode")
        .to_owned()
}

/// How many of `wanted` have a content that failed.
fn failed_count(wanted: &[(SampleId, u32, Candidate<'_>, String)], failed: &std::collections::HashSet<&str>) -> u64 {
    wanted.iter().filter(|w| failed.contains(w.3.as_str())).count() as u64
}

/// Writes what is pending (nothing when nothing is).
fn write(
    store: &mut Store,
    row: &ScorerRow,
    options: &ScoreOptions,
    pending: &mut ScoreBatch,
    report: &mut ScoreReport,
) -> Result<()> {
    if pending.judgments.is_empty() && pending.scores.is_empty() {
        return Ok(());
    }
    let changes = store.write_scores(row, options.origin, pending)?;
    report.judged += changes.samples.len() as u64;
    *pending = ScoreBatch::default();
    Ok(())
}
