//! The selected sample as the app holds it once loaded ([`LoadedSample`]): the store's view of it,
//! its position in its file, the label in force and its curation state, the pair the word diff
//! compares and the diff, the candidate the ranking keys move, the players of its video and
//! audio, its embedded media bytes and its history. Loaded on the UI thread or ahead on the
//! sample loader's, drawn by the sample view, refreshed after each change.

use super::commands::MediaKey;
use super::diff::WordDiff;
use super::media::audio_player::AudioPlayer;
use super::media::video_player::VideoPlayer;
use super::theme;
use super::workers::ImageSource;
use crate::model::{JudgmentKind, JudgmentSource, MediaKind, Position, SampleId};
use crate::store::{CurationState, Label, MediaView, RatingView, SampleChange, SampleView, Store};
use egui::Color32;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A playing widget for one media item.
pub enum Player {
    /// Video file or frame directory (boxed, as the audio player: both are large).
    Video(Box<VideoPlayer>),
    /// Audio clip.
    Audio(Box<AudioPlayer>),
}

/// Everything the view needs about the selected sample, loaded once when it is selected.
pub struct LoadedSample {
    /// The sample as stored.
    pub view: SampleView,
    /// Where its row is in the source file (line, index or row, as an editor counts).
    pub position: Position,
    /// Its current label.
    pub label: Option<Label>,
    /// Its curation state (flag, note, curator judgment).
    pub state: CurationState,
    /// The two candidates the word diff compares: by default the chosen and the rejected one
    /// of the label in force (else A and B).
    pub diff_pair: (u32, u32),
    /// Whether the curator chose `diff_pair` (else it follows the label).
    diff_pair_chosen: bool,
    /// Word diff of the pair (when both are text); long texts are diffed on a thread.
    pub diff: Option<WordDiff>,
    /// The candidate the ranking keys move (Ctrl+arrows, `[` and `]`).
    pub cursor: u32,
    /// Players by media position.
    pub players: HashMap<u32, Player>,
    /// Embedded video and audio bytes by media position, read when the sample is loaded.
    pub embedded: HashMap<u32, Arc<Vec<u8>>>,
    /// What curators changed on it, oldest first, in words (the history panel).
    pub audit: Vec<SampleChange>,
    /// The scorers' scores of its candidates (the candidate headers).
    pub model_scores: Vec<ModelScore>,
}

/// One scorer's score of one candidate, with its worst sentences when it scores sentence by
/// sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelScore {
    /// The scorer's name.
    pub scorer: String,
    /// The candidate.
    pub position: u32,
    /// The score.
    pub score: f64,
    /// Its sentences with their scores (`detail.sentences` of a sentence-by-sentence scorer),
    /// in the text's order.
    pub sentences: Vec<(String, f64)>,
}

/// The model judgments' scores of `view`'s candidates, with the detail the store keeps under
/// each candidate's content hash.
pub fn model_scores(store: &Store, view: &SampleView) -> crate::store::Result<Vec<ModelScore>> {
    let mut out = Vec::new();
    for j in view.judgments.iter().filter(|j| j.source == JudgmentSource::Model) {
        let Some(scorer) = &j.author else { continue };
        for r in &j.ratings {
            let (Some(position), Some(score)) = (r.response, r.value) else { continue };
            let text = view.responses.iter().find(|x| x.position == position).and_then(|x| x.text.as_deref());
            let text = text.unwrap_or("");
            let content = crate::score::Candidate::new(&view.prompt, text).content_hash();
            let mut detail = store.score_of(scorer, &content)?.and_then(|(_, d)| d);
            if detail.is_none() && !view.media.is_empty() {
                // A scorer that reads media keeps its score under the text with the media.
                if let Some(content) =
                    crate::score::media::media_content_hash(store, view.id, &view.prompt, position, text)
                {
                    detail = store.score_of(scorer, &content)?.and_then(|(_, d)| d);
                }
            }
            out.push(ModelScore { scorer: scorer.clone(), position, score, sentences: sentences(detail.as_deref()) });
        }
    }
    Ok(out)
}

/// `{"sentences": [{"text": .., "score": ..}, ..]}` as (text, score) pairs; anything else: none.
fn sentences(detail: Option<&str>) -> Vec<(String, f64)> {
    let Some(v) = detail.and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok()) else { return Vec::new() };
    v.get("sentences")
        .and_then(serde_json::Value::as_array)
        .map(|list| {
            list.iter().filter_map(|s| Some((s.get("text")?.as_str()?.to_owned(), s.get("score")?.as_f64()?))).collect()
        })
        .unwrap_or_default()
}

impl LoadedSample {
    /// Reads the sample and its curation state.
    pub fn load(store: &Store, id: SampleId) -> crate::store::Result<Self> {
        let view = store.sample(id)?;
        let position = store.sample_position(id)?;
        let label = store.current_label(id)?;
        let state = store.curation_state(id)?;
        let diff_pair = default_pair(label.as_ref(), view.responses.len());
        let diff = start_diff(&view, diff_pair);
        let mut embedded = HashMap::new();
        for m in view.media.iter().filter(|m| matches!(m.kind, MediaKind::Video | MediaKind::Audio)) {
            if let Some(h) = &m.blob_hash {
                embedded.insert(m.position, Arc::new(store.blob(h)?));
            }
        }
        let audit = store.sample_history(id)?;
        let model_scores = model_scores(store, &view)?;
        let cursor = diff_pair.0;
        Ok(Self {
            view,
            position,
            label,
            state,
            diff_pair,
            diff_pair_chosen: false,
            diff,
            cursor,
            players: HashMap::new(),
            embedded,
            audit,
            model_scores,
        })
    }

    /// Re-reads the label and curation state after an action.
    pub fn refresh_curation(&mut self, store: &Store) -> crate::store::Result<()> {
        self.label = store.current_label(self.view.id)?;
        self.state = store.curation_state(self.view.id)?;
        self.view.judgments = store.sample(self.view.id)?.judgments;
        self.model_scores = model_scores(store, &self.view)?;
        self.audit = store.sample_history(self.view.id)?;
        if !self.diff_pair_chosen {
            let pair = default_pair(self.label.as_ref(), self.view.responses.len());
            if pair != self.diff_pair {
                self.diff_pair = pair;
                self.diff = start_diff(&self.view, pair);
            }
        }
        Ok(())
    }

    /// Compares candidates `a` and `b` in the word diff from now on.
    pub fn set_diff_pair(&mut self, a: u32, b: u32) {
        let n = self.candidates();
        if a == b || a >= n || b >= n {
            return;
        }
        self.diff_pair_chosen = true;
        if (a, b) != self.diff_pair {
            self.diff_pair = (a, b);
            self.diff = start_diff(&self.view, (a, b));
        }
    }

    /// The value shown for one rating (the one in force), as typed in the correction dialog.
    pub fn rating_text(&self, response: Option<u32>, aspect: &str) -> String {
        shown_ratings(&self.view, self.label.as_ref())
            .iter()
            .find(|r| r.now.response == response && r.now.aspect.eq_ignore_ascii_case(aspect))
            .map(|r| r.now.value.map_or_else(|| r.now.raw.clone(), |v| v.to_string()))
            .unwrap_or_default()
    }

    /// How many candidates the sample has.
    pub fn candidates(&self) -> u32 {
        u32::try_from(self.view.responses.len()).unwrap_or(u32::MAX)
    }

    /// Puts the candidate cursor on `position` (when it is one).
    pub fn set_cursor(&mut self, position: u32) {
        if position < self.candidates() {
            self.cursor = position;
        }
    }

    /// Moves the candidate cursor to the next or previous candidate, wrapping around.
    pub fn step_cursor(&mut self, forward: bool) {
        let n = self.candidates();
        if n > 0 {
            self.cursor = if forward { (self.cursor + 1) % n } else { (self.cursor + n - 1) % n };
        }
    }

    /// The image sources this sample shows (to prefetch).
    pub fn image_sources(&self) -> Vec<ImageSource> {
        self.view.media.iter().filter(|m| m.kind == MediaKind::Image).filter_map(image_source).collect()
    }

    /// The highlight colours of the compared pair's differing words: by the side of the current
    /// label each is on.
    pub fn diff_highlights(&self) -> [Color32; 2] {
        let (a, b) = self.diff_pair;
        [a, b].map(|position| diff_highlight(self.label.as_ref(), position))
    }

    /// Whether a video or audio player exists for media at `position`.
    pub fn has_player(&self, position: u32) -> bool {
        self.players.contains_key(&position)
    }

    /// The sample's first video or audio player (by media position) among those drawn.
    pub fn first_player(&mut self) -> Option<&mut Player> {
        let first = self
            .view
            .media
            .iter()
            .filter(|m| matches!(m.kind, MediaKind::Video | MediaKind::Frames | MediaKind::Audio))
            .map(|m| m.position)
            .filter(|p| self.players.contains_key(p))
            .min()?;
        self.players.get_mut(&first)
    }

    /// Carries out a player key on the first video or audio; `false` when the sample has none.
    pub fn media_key(&mut self, key: MediaKey) -> bool {
        match self.first_player() {
            Some(Player::Video(p)) => p.key(key),
            Some(Player::Audio(p)) => p.key(key),
            None => return false,
        }
        true
    }
}

/// The pair the word diff compares unless the curator chooses: the chosen and the rejected
/// candidate of `label` (for a ranking, the best and the worst), else A and B; in position order,
/// so that a swap recolours the diff without computing it again.
pub fn default_pair(label: Option<&Label>, candidates: usize) -> (u32, u32) {
    let n = u32::try_from(candidates).unwrap_or(u32::MAX);
    match label {
        Some(Label { chosen: Some(c), rejected: Some(r), .. }) if c != r && *c < n && *r < n => (*c.min(r), *c.max(r)),
        _ => (0, 1),
    }
}

/// The word diff of candidates `pair` when both have text.
fn start_diff(view: &SampleView, (a, b): (u32, u32)) -> Option<WordDiff> {
    let text_of = |position| view.responses.iter().find(|r| r.position == position).and_then(|r| r.text.as_deref());
    text_of(a).zip(text_of(b)).map(|(a, b)| WordDiff::start(a, b))
}

/// Where an image media item's bytes are.
pub fn image_source(m: &MediaView) -> Option<ImageSource> {
    match (&m.blob_hash, &m.resolved_path) {
        (Some(h), _) => Some(ImageSource::Blob(h.clone())),
        (None, Some(p)) => Some(ImageSource::File(PathBuf::from(p))),
        _ => None,
    }
}

/// Where a candidate stands in a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The preferred answer.
    Chosen,
    /// The dispreferred answer.
    Rejected,
    /// Neither: a tie, both bad, no label, or a label that names no pair.
    Neutral,
}

/// The side candidate `position` is on in `label` (the current label: the curator's if any, else
/// the original). Ties and both-bad name a pair too (A, B), but prefer neither.
pub fn side(label: Option<&Label>, position: u32) -> Side {
    match label {
        Some(l) if matches!(l.kind, JudgmentKind::Tie | JudgmentKind::BothBad) => Side::Neutral,
        Some(l) if l.chosen == Some(position) => Side::Chosen,
        Some(l) if l.rejected == Some(position) => Side::Rejected,
        _ => Side::Neutral,
    }
}

/// The highlight of candidate `position`'s differing words: the chosen and the rejected answer
/// each have their colour, whichever of A and B they are.
pub fn diff_highlight(label: Option<&Label>, position: u32) -> Color32 {
    match side(label, position) {
        Side::Chosen => theme::DIFF_CHOSEN,
        Side::Rejected => theme::DIFF_REJECTED,
        Side::Neutral => theme::DIFF_NEUTRAL,
    }
}

/// A rating as shown: the value in force and, when a curator corrected it, the original.
pub struct ShownRating<'a> {
    /// The rating in force.
    pub now: &'a RatingView,
    /// The original it corrects, when a curator changed the value.
    pub original: Option<&'a RatingView>,
}

/// The ratings in force, one per (candidate, aspect): the curator's ratings judgment when it is
/// the label in force, over every original rating it does not correct.
pub fn shown_ratings<'a>(view: &'a SampleView, label: Option<&Label>) -> Vec<ShownRating<'a>> {
    let same = |a: &RatingView, b: &RatingView| a.response == b.response && a.aspect.eq_ignore_ascii_case(&b.aspect);
    let curated: Vec<&RatingView> = match label {
        Some(l) if l.source == JudgmentSource::Curator && l.kind == JudgmentKind::Ratings => {
            view.judgments.iter().filter(|j| j.id == l.judgment_id).flat_map(|j| &j.ratings).collect()
        }
        _ => Vec::new(),
    };
    let originals = view.judgments.iter().filter(|j| j.source == JudgmentSource::Original).flat_map(|j| &j.ratings);
    let mut out: Vec<ShownRating<'a>> = Vec::new();
    for o in originals {
        if out.iter().any(|x| same(x.now, o)) {
            continue;
        }
        match curated.iter().find(|c| same(c, o)) {
            Some(c) if c.raw != o.raw => out.push(ShownRating { now: c, original: Some(o) }),
            _ => out.push(ShownRating { now: o, original: None }),
        }
    }
    for c in curated {
        if !out.iter().any(|x| same(x.now, c)) {
            out.push(ShownRating { now: c, original: None });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(kind: JudgmentKind, chosen: Option<u32>, rejected: Option<u32>) -> Label {
        Label { source: JudgmentSource::Curator, kind, chosen, rejected, ranking: Vec::new(), judgment_id: 1 }
    }

    #[test]
    fn the_diff_colours_follow_the_chosen_and_rejected_side_not_the_letter() {
        let b_wins = label(JudgmentKind::Pairwise, Some(1), Some(0));
        assert_eq!([0, 1].map(|p| side(Some(&b_wins), p)), [Side::Rejected, Side::Chosen]);
        assert_eq!([0, 1].map(|p| diff_highlight(Some(&b_wins), p)), [theme::DIFF_REJECTED, theme::DIFF_CHOSEN]);
        let a_wins = Label { source: JudgmentSource::Original, ..label(JudgmentKind::Pairwise, Some(0), Some(1)) };
        assert_eq!([0, 1].map(|p| diff_highlight(Some(&a_wins), p)), [theme::DIFF_CHOSEN, theme::DIFF_REJECTED]);
        // Ties and both-bad are stored with a pair (0, 1) but prefer neither.
        for kind in [JudgmentKind::Tie, JudgmentKind::BothBad] {
            assert_eq!([0, 1].map(|p| side(Some(&label(kind, Some(0), Some(1))), p)), [Side::Neutral; 2]);
        }
        // No label, or one that names no pair (a ranking of three that put C first): neutral.
        assert_eq!([0, 1].map(|p| side(None, p)), [Side::Neutral; 2]);
        let c_first = label(JudgmentKind::Ranking, Some(2), Some(1));
        assert_eq!([0, 1].map(|p| side(Some(&c_first), p)), [Side::Neutral, Side::Rejected]);
    }
}
