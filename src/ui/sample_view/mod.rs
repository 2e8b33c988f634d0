//! The sample view: badges (original and current judgment, flag, note), the prompt and its
//! context, the input media, then the candidates side by side with a word diff, their media,
//! lengths, models and per-aspect ratings (`candidates.rs`). It draws a [`LoadedSample`] and
//! sends what its buttons ask as [`Command`]s.

use crate::model::words::plural;
use crate::model::{JudgmentSource, MediaKind, MediaRole, SampleId};
use crate::store::{JudgmentView, MediaView, SampleView};
use crate::ui::commands::Command;
use crate::ui::image_view::{ImageEntry, TextureCache, image_ui};
use crate::ui::loaded::{LoadedSample, Player, ShownRating, image_source, shown_ratings};
use crate::ui::media::audio_player::{AudioPlayer, AudioSource};
use crate::ui::media::video_player::{VideoPlayer, VideoSource};
use crate::ui::shared::label_text;
use crate::ui::theme;
use egui::{RichText, vec2};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

mod candidates;

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
    candidates::candidates_ui(ui, sample, textures, show_diff, candidate_media, cmds);
    let overall: Vec<ShownRating<'_>> =
        shown_ratings(&sample.view, sample.label.as_ref()).into_iter().filter(|r| r.now.response.is_none()).collect();
    if !overall.is_empty() {
        ui.separator();
        ui.label(RichText::new("Ratings of the whole sample").strong());
        for r in &overall {
            candidates::rating_ui(ui, r, cmds);
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
