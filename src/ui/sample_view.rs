//! The sample view: badges (original and current judgment, flag, note), the prompt and its
//! context, the input media, then the candidates side by side with a word diff, their media,
//! lengths, models and per-aspect ratings.

use super::candidates::ShownRating;
use super::commands::Command;
use super::diff::WordDiff;
use super::image_view::{ImageEntry, TextureCache, image_ui};
use super::media::MediaKey;
use super::media::audio_player::{AudioPlayer, AudioSource};
use super::media::video_player::{VideoPlayer, VideoSource};
use super::shared::label_text;
use super::theme;
use super::workers::ImageSource;
use crate::model::words::plural;
use crate::model::{JudgmentKind, JudgmentSource, MediaKind, MediaRole, Position, SampleId};
use crate::store::{CurationState, JudgmentView, Label, MediaView, SampleChange, SampleView, Store};
use egui::{Color32, RichText, vec2};
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
    pub(super) embedded: HashMap<u32, Arc<Vec<u8>>>,
    /// What curators changed on it, oldest first, in words (the history panel).
    pub audit: Vec<SampleChange>,
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
        })
    }

    /// Re-reads the label and curation state after an action.
    pub fn refresh_curation(&mut self, store: &Store) -> crate::store::Result<()> {
        self.label = store.current_label(self.view.id)?;
        self.state = store.curation_state(self.view.id)?;
        self.view.judgments = store.sample(self.view.id)?.judgments;
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
        super::candidates::shown_ratings(&self.view, self.label.as_ref())
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

/// The most height an input image or video frame takes.
const MEDIA_MAX: f32 = 360.0;
/// The least: below it a picture says little (a long prompt then pushes the answers down).
const MEDIA_MIN: f32 = 140.0;
/// Room kept on screen under the input media: the separator, the first candidate's header and
/// badges and its first lines of text.
const ANSWER_ROOM: f32 = 120.0;
/// A media item's title line above it.
const MEDIA_TITLE: f32 = 20.0;
/// What a video or audio player draws under its picture or waveform (controls, facts).
const PLAYER_CONTROLS: f32 = 80.0;

/// Draws the whole sample. Input media are no taller than lets the first candidate's header
/// and first lines show in the view without scrolling (at least [`MEDIA_MIN`], at most
/// [`MEDIA_MAX`]). Buttons and pickers push the commands they ask for onto `cmds`.
pub fn sample_ui(
    ui: &mut egui::Ui,
    sample: &mut LoadedSample,
    textures: &mut TextureCache,
    show_diff: bool,
    cmds: &mut Vec<Command>,
) {
    // Measured from the content's top, not the screen: scrolling must not resize the media.
    let top = ui.min_rect().top();
    header_ui(ui, sample);
    ui.add_space(6.0);
    prompt_ui(ui, &sample.view);
    ui.add_space(6.0);
    // The view's height: the clip rectangle of the scroll area the sample is drawn in.
    let view = ui.clip_rect().height();
    let mut slots = Slots { sample: sample.view.id, players: &mut sample.players, embedded: &sample.embedded };
    let inputs: Vec<&MediaView> = sample.view.media.iter().filter(|m| m.role != MediaRole::Candidate).collect();
    if !inputs.is_empty() {
        let used = ui.cursor().top() - top;
        let controls = if inputs.iter().any(|m| m.kind != MediaKind::Image) { PLAYER_CONTROLS } else { 0.0 };
        let height = media_height(view - used - MEDIA_TITLE - controls - ANSWER_ROOM);
        media_strip_ui(ui, &mut slots, &inputs, textures, height);
        ui.add_space(6.0);
    }
    ui.separator();
    let candidate_media = media_height(view - ANSWER_ROOM);
    super::candidates::candidates_ui(ui, sample, textures, show_diff, candidate_media, cmds);
    let overall: Vec<ShownRating<'_>> = super::candidates::shown_ratings(&sample.view, sample.label.as_ref())
        .into_iter()
        .filter(|r| r.now.response.is_none())
        .collect();
    if !overall.is_empty() {
        ui.separator();
        ui.label(RichText::new("Ratings of the whole sample").strong());
        for r in &overall {
            super::candidates::rating_ui(ui, r, cmds);
        }
    }
}

/// The height media get out of `room` (a view too short for every part: the least).
fn media_height(room: f32) -> f32 {
    if room.is_finite() { room.clamp(MEDIA_MIN, MEDIA_MAX) } else { MEDIA_MAX }
}

fn header_ui(ui: &mut egui::Ui, sample: &LoadedSample) {
    let v = &sample.view;
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("#{}", v.id));
        ui.label(RichText::new(&v.dataset_name).strong());
        ui.weak(format!(
            "{}{}",
            sample.position,
            if v.sub_index > 0 { format!(", pair {}", v.sub_index + 1) } else { String::new() }
        ));
        if let Some(k) = &v.source_key {
            ui.weak(format!("id {k}"));
        }
        ui.weak(&v.modality);
    });
    ui.horizontal_wrapped(|ui| {
        let original = original_judgment(v);
        match original {
            Some(j) => theme::badge(
                ui,
                &format!("Original: {}", label_text(j.kind, j.chosen, j.rejected, &j.ranking)),
                theme::ORIGINAL,
            ),
            None => theme::badge(ui, "Original: none", theme::MUTED),
        };
        match (&sample.label, sample.state.judgment_id) {
            (Some(l), Some(_)) if l.source == JudgmentSource::Curator => {
                let who = v
                    .judgments
                    .iter()
                    .rev()
                    .find(|j| j.source == JudgmentSource::Curator)
                    .and_then(|j| j.author.clone());
                let text = format!(
                    "Now: {}{}",
                    label_text(l.kind, l.chosen, l.rejected, &l.ranking),
                    who.map(|w| format!(" (by {w})")).unwrap_or_default()
                );
                theme::badge(ui, &text, theme::CURATED)
            }
            _ => theme::badge(ui, "Now: as original", theme::MUTED),
        };
        if let Some(flag) = &sample.state.flag {
            theme::badge(ui, &format!("Flagged: {flag}"), theme::FLAG);
        }
        if let Some(reason) = &sample.state.excluded {
            theme::badge(ui, &format!("Excluded: {reason}"), theme::MUTED);
        }
    });
    if let Some(note) = &sample.state.note {
        ui.label(RichText::new(format!("Note: {note}")).italics());
    }
}

pub(super) fn original_judgment(v: &SampleView) -> Option<&JudgmentView> {
    v.judgments
        .iter()
        .filter(|j| j.source == JudgmentSource::Original)
        .find(|j| j.label == "overall")
        .or_else(|| v.judgments.iter().find(|j| j.source == JudgmentSource::Original && j.chosen.is_some()))
        .or_else(|| v.judgments.iter().find(|j| j.source == JudgmentSource::Original))
}

fn prompt_ui(ui: &mut egui::Ui, v: &SampleView) {
    if !v.context.is_empty() {
        egui::CollapsingHeader::new(format!("Conversation before ({})", plural(v.context.len() as u64, "turn")))
            .id_salt("context")
            .show(ui, |ui| {
                for t in &v.context {
                    ui.label(RichText::new(format!("{}:", t.role)).strong());
                    ui.label(&t.content);
                }
            });
    }
    ui.label(RichText::new("Prompt").strong());
    ui.add(egui::Label::new(&v.prompt).selectable(true));
}

fn media_title(m: &MediaView) -> String {
    let role = match m.role {
        MediaRole::Input => "input",
        MediaRole::Retrieved => "retrieved (second role)",
        MediaRole::Candidate => "candidate",
    };
    let size = match (m.facts.width, m.facts.height) {
        (Some(w), Some(h)) => format!(" · {w}x{h}"),
        _ => String::new(),
    };
    format!("{} {} · {}{size}", m.kind.as_str(), m.position + 1, role)
}

/// What a media widget needs of its sample: the players (kept across frames) and embedded bytes.
pub(super) struct Slots<'a> {
    pub(super) sample: SampleId,
    pub(super) players: &'a mut HashMap<u32, Player>,
    pub(super) embedded: &'a HashMap<u32, Arc<Vec<u8>>>,
}

fn media_strip_ui(
    ui: &mut egui::Ui,
    slots: &mut Slots<'_>,
    items: &[&MediaView],
    textures: &mut TextureCache,
    height: f32,
) {
    let images = items.iter().filter(|m| m.kind == MediaKind::Image).count().max(1);
    let width = ((ui.available_width() - 8.0 * images as f32) / images as f32).max(120.0);
    egui::ScrollArea::horizontal().id_salt(("strip", slots.sample)).show(ui, |ui| {
        ui.horizontal_top(|ui| {
            for m in items {
                ui.vertical(|ui| {
                    ui.weak(media_title(m));
                    media_item_ui(ui, slots, m, textures, vec2(width, height));
                });
            }
        });
    });
}

/// One media item of any kind.
pub(super) fn media_item_ui(
    ui: &mut egui::Ui,
    slots: &mut Slots<'_>,
    m: &MediaView,
    textures: &mut TextureCache,
    max: egui::Vec2,
) {
    if let Some(err) = &m.probe_error {
        ui.colored_label(ui.visuals().error_fg_color, format!("{}: {err}", m.field));
    }
    if let Some(url) = &m.url {
        ui.weak(format!("not fetched (Verdict works offline): {url}"));
        return;
    }
    match m.kind {
        MediaKind::Image => {
            let Some(source) = image_source(m) else {
                // A file that was not found: the probe's error above says so, once.
                if m.probe_error.is_none() {
                    ui.weak("no image data");
                }
                return;
            };
            match textures.get(&source) {
                ImageEntry::Pending => {
                    let (rect, _) = ui.allocate_exact_size(vec2(max.x.min(240.0), 120.0), egui::Sense::hover());
                    ui.put(rect, egui::Spinner::new());
                }
                ImageEntry::Failed(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, format!("cannot show image: {e}"));
                }
                ImageEntry::Ready { texture, original, preview } => {
                    let id = egui::Id::unique(("img", slots.sample, m.position));
                    let (_, magnified) = image_ui(ui, id, &texture, original, max);
                    if preview && magnified {
                        textures.want_full(&source);
                    }
                }
            }
        }
        MediaKind::Video | MediaKind::Frames | MediaKind::Audio => {
            let embedded = slots.embedded.get(&m.position).cloned();
            if m.resolved_path.is_none() && embedded.is_none() {
                // Nothing to play (a file that was not found: the probe's error above says so).
                // A player on no bytes would add a second, wrong message (corrupt data).
                if m.probe_error.is_none() {
                    ui.weak(format!("no {} data", m.kind.as_str()));
                }
                return;
            }
            let player = slots.players.entry(m.position).or_insert_with(|| new_player(m, embedded));
            ui.allocate_ui(vec2(max.x, max.y + PLAYER_CONTROLS), |ui| match player {
                Player::Video(p) => p.ui(ui),
                Player::Audio(p) => p.ui(ui),
            });
        }
    }
}

fn new_player(m: &MediaView, embedded: Option<Arc<Vec<u8>>>) -> Player {
    let path = m.resolved_path.as_ref().map(PathBuf::from);
    let bytes = embedded.unwrap_or_default();
    let ext = m.path.as_deref().and_then(|p| p.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
    match (m.kind, path) {
        (MediaKind::Frames, Some(dir)) => {
            Player::Video(Box::new(VideoPlayer::new(VideoSource::Frames { dir, fps: m.facts.fps })))
        }
        (MediaKind::Video, Some(p)) => Player::Video(Box::new(VideoPlayer::new(VideoSource::File(p)))),
        (MediaKind::Video | MediaKind::Frames, None) => {
            Player::Video(Box::new(VideoPlayer::new(VideoSource::Bytes(bytes))))
        }
        (_, Some(p)) => Player::Audio(Box::new(AudioPlayer::new(AudioSource::File(p)))),
        (_, None) => Player::Audio(Box::new(AudioPlayer::new(AudioSource::Bytes { bytes, ext }))),
    }
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
