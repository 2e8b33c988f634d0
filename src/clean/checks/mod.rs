//! `verdict check`: consistency and media checks over a whole project. Each finding names its
//! sample, the check ([`crate::model::CHECK_KINDS`]) and what is wrong in words; a run replaces
//! the findings of the one before (`check_findings`) and, in the same transaction, marks media that
//! do not decode in full `failed` with the reason, so `media:failed` finds them and the export
//! leaves their samples out as it does missing files.
//!
//! The families: media decoded in full on worker threads (`decode`: bad media, and the image
//! properties cleanvision reports: blank, tiny, extreme aspect ratio), the text of responses and
//! prompts (`text`: empty, cut off, chosen equal to rejected, placeholders), and the label in force
//! (`labels`: opposite labels on the same question, ratings that contradict the label).

pub mod decode;
pub mod labels;
pub mod text;

use super::CleanError;
use crate::jobs::Progress;
use crate::model::{CHECK_KINDS, DatasetId, JudgmentKind, MediaKind, MediaRole, SampleId};
use crate::store::{CheckMedia, FullSample, NewFinding, Store, position_letter};
use decode::{DecodeReport, Decoded};
use std::collections::{HashMap, HashSet};
use text::{LengthLimits, Sameness, TruncationRule};

/// Samples read per query.
const CHUNK: usize = 512;

/// The rules' parameters.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CheckOptions {
    /// Chosen and rejected whose word shingles have at least this Jaccard similarity are nearly
    /// equal (not asked of a correction, which is a small edit of its rejected answer by design).
    pub near_equal: f64,
    /// Words per shingle for `near_equal`: 3, so that the same words in another order differ.
    pub shingle: usize,
    /// How a cut-off response is recognized.
    pub truncation: TruncationRule,
    /// An image with a side under this many pixels is tiny.
    pub min_side: u32,
    /// An image whose shorter side over its longer is under this has an extreme aspect ratio
    /// (cleanvision's `odd_aspect_ratio` threshold).
    pub min_aspect: f64,
    /// An image whose histogram's entropy is under this many bits is blank or nearly uniform
    /// (cleanvision's `low_information`: its score, a tenth of the entropy, under 0.3).
    pub min_entropy: f64,
    /// A video or audio clip of which less than this share of the frames or seconds its header
    /// declares decodes was cut short.
    pub min_decoded_share: f64,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            near_equal: 0.9,
            shingle: 3,
            truncation: TruncationRule::default(),
            min_side: 32,
            min_aspect: 0.35,
            min_entropy: 3.0,
            min_decoded_share: 0.9,
        }
    }
}

/// What a run found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CheckReport {
    /// Samples checked.
    pub samples: u64,
    /// The full decode of the media.
    pub media: DecodeReport,
    /// Findings per check kind, in [`CHECK_KINDS`] order (every kind, zeros included).
    pub counts: Vec<(&'static str, u64)>,
}

impl CheckReport {
    /// Findings in all.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.1).sum()
    }
}

/// Runs every check and replaces the stored findings; a cancel (through `progress`) keeps the
/// findings of the run before and the decode verdicts kept so far.
pub fn run(store: &mut Store, options: &CheckOptions, progress: &mut Progress) -> Result<CheckReport, CleanError> {
    if !(options.near_equal > 0.0 && options.near_equal <= 1.0) {
        return Err(CleanError::Invalid(format!(
            "near-equal threshold {}: a Jaccard similarity above 0 and at most 1, e.g. 0.9",
            options.near_equal
        )));
    }
    let verdicts = decode::decode_all(store, progress)?;
    let mut findings = Vec::new();
    let mut bad = Vec::new();
    for m in store.check_media()? {
        if let Some(outcome) = verdicts.by_media.get(&m.id) {
            media_findings(&m, outcome, options, &mut findings, &mut bad);
        }
    }
    let mut report = verdicts.report;
    report.failed = bad.len() as u64;
    let mut ids = Vec::new();
    store.sample_rows(|s, _, _| ids.push(s))?;
    progress.phase("checking samples", "samples", Some(ids.len() as u64), 0);
    let mut pass = SamplePass::new(options);
    for (i, chunk) in ids.chunks(CHUNK).enumerate() {
        let keys = store.input_media_keys(chunk[0], chunk[chunk.len() - 1])?;
        let mut by_sample: HashMap<SampleId, Vec<(MediaKind, &str)>> = HashMap::new();
        for (s, kind, key) in &keys {
            by_sample.entry(*s).or_default().push((*kind, key.as_str()));
        }
        for full in store.full_samples(chunk)? {
            let media = by_sample.get(&full.sample.id).map_or(&[][..], Vec::as_slice);
            pass.sample(&full, media, &mut findings);
        }
        progress.tick(((i + 1) * CHUNK).min(ids.len()) as u64)?;
    }
    progress.finish(ids.len() as u64);
    pass.finish(store, &mut findings)?;
    let order = |kind: &str| CHECK_KINDS.iter().position(|k| *k == kind).unwrap_or(usize::MAX);
    findings.sort_by(|a, b| {
        (a.sample, order(a.kind), a.response, a.media, a.other).cmp(&(
            b.sample,
            order(b.kind),
            b.response,
            b.media,
            b.other,
        ))
    });
    store.replace_check_findings(&findings, &bad)?;
    let counts = CHECK_KINDS.iter().map(|k| (*k, findings.iter().filter(|f| f.kind == *k).count() as u64)).collect();
    Ok(CheckReport { samples: ids.len() as u64, media: report, counts })
}

fn media_findings(
    m: &CheckMedia,
    outcome: &Result<Decoded, String>,
    options: &CheckOptions,
    findings: &mut Vec<NewFinding>,
    bad: &mut Vec<(i64, String)>,
) {
    let what = format!("{} `{}`", m.kind, m.field);
    let mut finding = |kind: &'static str, detail: String| {
        findings.push(NewFinding { sample: m.sample, kind, media: Some(m.id), response: None, other: None, detail });
    };
    let short = |decoded: f64, declared: Option<f64>| {
        declared.is_some_and(|d| d > 0.0 && decoded < d * options.min_decoded_share)
    };
    let reason = match outcome {
        Err(reason) => Some(reason.clone()),
        Ok(Decoded::Video { frames: 0 }) => Some("no video frame decodes".to_owned()),
        Ok(Decoded::Video { frames }) if short(*frames as f64, m.frame_count.map(|n| n as f64)) => Some(format!(
            "only {frames} of the {} frames its container declares decode: the file was cut short or is damaged",
            m.frame_count.unwrap_or_default()
        )),
        Ok(Decoded::Audio { seconds }) if *seconds <= 0.0 => Some("no audio sample decodes".to_owned()),
        Ok(Decoded::Audio { seconds }) if short(*seconds, m.duration_s) => Some(format!(
            "only {seconds:.1} s of the {:.1} s its header declares decode: the file was cut short or is damaged",
            m.duration_s.unwrap_or_default()
        )),
        Ok(Decoded::Image { width, height, entropy }) if m.kind == MediaKind::Image => {
            let (w, h) = (*width, *height);
            if w.min(h) < options.min_side {
                finding(
                    "tiny_image",
                    format!("{what} is {w}x{h} px: a side under {} px is too small to judge", options.min_side),
                );
            }
            let ratio = f64::from(w.min(h)) / f64::from(w.max(h).max(1));
            if ratio < options.min_aspect {
                finding(
                    "extreme_aspect",
                    format!(
                        "{what} is {w}x{h} px: its longer side is {:.1} times its shorter (cleanvision's odd aspect \
                         ratio: shorter over longer under {})",
                        1.0 / ratio.max(f64::MIN_POSITIVE),
                        options.min_aspect
                    ),
                );
            }
            if *entropy < options.min_entropy {
                finding(
                    "blank_image",
                    format!(
                        "{what} is blank or nearly uniform: the entropy of its histogram is {entropy:.2} bits \
                         (cleanvision's low information: under {})",
                        options.min_entropy
                    ),
                );
            }
            None
        }
        Ok(_) => None,
    };
    if let Some(reason) = reason {
        finding("bad_media", format!("{what} does not decode: {reason}"));
        bad.push((m.id, reason));
    }
}

/// The per-sample rules, and what they gather for the rules over many samples.
struct SamplePass<'o> {
    options: &'o CheckOptions,
    opposites: labels::Opposites,
    limits: LengthLimits,
    cut_mid_sentence: HashSet<(SampleId, u32)>,
    /// Datasets that write placeholders of a kind (0 image, 1 video, 2 audio) in some sample.
    writes_placeholders: HashSet<(DatasetId, usize)>,
    /// Samples with media of a kind and no placeholder for it: (sample, dataset, kind, media).
    unmarked: Vec<(SampleId, DatasetId, usize, u32)>,
}

const PLACEHOLDER: [(&str, &str); 3] = [("<image>", "image"), ("<video>", "video"), ("<audio>", "audio clip")];

impl<'o> SamplePass<'o> {
    fn new(options: &'o CheckOptions) -> Self {
        Self {
            options,
            opposites: labels::Opposites::default(),
            limits: LengthLimits::default(),
            cut_mid_sentence: HashSet::new(),
            writes_placeholders: HashSet::new(),
            unmarked: Vec::new(),
        }
    }

    fn sample(&mut self, full: &FullSample, media_keys: &[(MediaKind, &str)], findings: &mut Vec<NewFinding>) {
        let s = &full.sample;
        let at = |kind: &'static str, response: Option<u32>, detail: String| NewFinding {
            sample: s.id,
            kind,
            media: None,
            response,
            other: None,
            detail,
        };
        for r in &s.responses {
            let letter = position_letter(r.position);
            let has_media = s.media.iter().any(|m| m.role == MediaRole::Candidate && m.response == Some(r.position));
            match r.text.as_deref() {
                _ if has_media => {}
                t if text::is_empty(t) => {
                    let what = if t.is_some_and(|t| !t.is_empty()) { "only white space" } else { "empty" };
                    findings.push(at("empty_response", Some(r.position), format!("response {letter} is {what}")));
                }
                Some(t) => {
                    self.limits.add(s.dataset_id, s.id, r.position, t);
                    if text::ends_mid_sentence(t, &self.options.truncation) {
                        self.cut_mid_sentence.insert((s.id, r.position));
                        findings.push(at(
                            "truncated_response",
                            Some(r.position),
                            format!("response {letter} stops mid-sentence: \u{201c}…{}\u{201d}", tail(t, 8)),
                        ));
                    }
                }
                None => {}
            }
        }
        let label = crate::store::in_force(&s.judgments, full.curation.as_ref().and_then(|c| c.state.judgment_id));
        if let Some(label) = label {
            let n = s.responses.len() as u32;
            if let Some((c, r)) = labels::chosen_rejected(label, n) {
                let text = |p: u32| s.responses[p as usize].text.as_deref().unwrap_or_default();
                let (lc, lr) = (position_letter(c), position_letter(r));
                match text::sameness(text(c), text(r), self.options.shingle, self.options.near_equal) {
                    Some(Sameness::Same) => findings.push(at(
                        "chosen_equals_rejected",
                        Some(r),
                        format!(
                            "chosen {lc} and rejected {lr} are the same text (after Unicode, case and space folding)"
                        ),
                    )),
                    Some(Sameness::Near(j)) if label.kind != JudgmentKind::Correction => findings.push(at(
                        "chosen_equals_rejected",
                        Some(r),
                        format!(
                            "chosen {lc} and rejected {lr} are nearly the same: {:.0}% of their word {}-shingles are \
                             shared (threshold {:.0}%)",
                            j * 100.0,
                            self.options.shingle,
                            self.options.near_equal * 100.0
                        ),
                    )),
                    _ => {}
                }
            }
            if let Some(why) = labels::ratings_contradiction(s, label) {
                findings.push(at("ratings_contradict", labels::chosen_rejected(label, n).map(|p| p.1), why));
            }
            let keys: Vec<&str> = media_keys.iter().map(|m| m.1).collect();
            self.opposites.add(labels::question_key(s, &keys), s, label);
        }
        self.placeholders(full, media_keys, findings);
    }

    fn placeholders(&mut self, full: &FullSample, media_keys: &[(MediaKind, &str)], findings: &mut Vec<NewFinding>) {
        let s = &full.sample;
        let texts = std::iter::once(s.prompt.as_str()).chain(s.context.iter().map(|t| t.content.as_str()));
        let found = text::placeholders(texts);
        let count = |kinds: &[MediaKind]| media_keys.iter().filter(|m| kinds.contains(&m.0)).count() as u32;
        let media =
            [count(&[MediaKind::Image]), count(&[MediaKind::Video, MediaKind::Frames]), count(&[MediaKind::Audio])];
        for (k, tokens) in [found.image, found.video, found.audio].into_iter().enumerate() {
            let (token, noun) = PLACEHOLDER[k];
            if tokens == 0 {
                if media[k] > 0 {
                    self.unmarked.push((s.id, s.dataset_id, k, media[k]));
                }
                continue;
            }
            self.writes_placeholders.insert((s.dataset_id, k));
            if tokens != media[k] {
                findings.push(NewFinding {
                    sample: s.id,
                    kind: "placeholder_count",
                    media: None,
                    response: None,
                    other: None,
                    detail: format!(
                        "the prompt has {} but the sample has {}",
                        crate::model::words::count(
                            u64::from(tokens),
                            &format!("{token} placeholder"),
                            &format!("{token} placeholders")
                        ),
                        crate::model::words::plural(u64::from(media[k]), noun)
                    ),
                });
            }
        }
    }

    /// The rules over many samples: opposite labels, shared length limits, and samples without the
    /// placeholders the rest of their dataset writes.
    fn finish(self, store: &Store, findings: &mut Vec<NewFinding>) -> Result<(), CleanError> {
        let opposites = self.opposites.finish();
        let others: Vec<SampleId> = opposites.iter().map(|o| o.other).collect();
        let places = store.sample_places(&others)?;
        for o in opposites {
            let place =
                places.get(&o.other).map_or_else(String::new, |p| format!(" ({} {})", p.dataset_name, p.position));
            let more = if o.others > 1 { format!(" (and {} more)", o.others - 1) } else { String::new() };
            findings.push(NewFinding {
                sample: o.sample,
                kind: "opposite_labels",
                media: None,
                response: None,
                other: Some(o.other),
                detail: format!(
                    "sample {}{place}{more} has the same prompt and media and the opposite label: here {} is preferred \
                     over {}, there the same two answers the other way round (its {}, the text of {} here, over its {}, \
                     the text of {} here)",
                    o.other,
                    position_letter(o.here.0),
                    position_letter(o.here.1),
                    position_letter(o.there.0),
                    position_letter(o.here.1),
                    position_letter(o.there.1),
                    position_letter(o.here.0)
                ),
            });
        }
        for hit in self.limits.at_limits(&self.options.truncation) {
            if self.cut_mid_sentence.contains(&(hit.sample, hit.response)) {
                continue;
            }
            findings.push(NewFinding {
                sample: hit.sample,
                kind: "truncated_response",
                media: None,
                response: Some(hit.response),
                other: None,
                detail: format!(
                    "response {} stops at {}, the longest of its dataset and reached by {} of its {} responses: a \
                     length limit cut it",
                    position_letter(hit.response),
                    hit.limit,
                    hit.shared.0,
                    hit.shared.1
                ),
            });
        }
        let unmarked: Vec<_> =
            self.unmarked.into_iter().filter(|u| self.writes_placeholders.contains(&(u.1, u.2))).collect();
        let names = store.sample_places(&unmarked.iter().map(|u| u.0).collect::<Vec<_>>())?;
        for (sample, dataset, k, media) in unmarked {
            let (token, noun) = PLACEHOLDER[k];
            let name = names.get(&sample).map_or_else(|| format!("dataset {dataset}"), |p| p.dataset_name.clone());
            findings.push(NewFinding {
                sample,
                kind: "placeholder_count",
                media: None,
                response: None,
                other: None,
                detail: format!(
                    "the prompt has no {token} placeholder but the sample has {}, and other samples of {name} write them",
                    crate::model::words::plural(u64::from(media), noun)
                ),
            });
        }
        Ok(())
    }
}

/// The last `n` words of a text (white-space separated), for a finding to quote.
fn tail(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    words[words.len().saturating_sub(n)..].join(" ")
}
