//! The candidates of the sample shown: every one of them, four side by side and further rows
//! below; where each stands in the original label and the label now (chosen, rejected, its rank),
//! the buttons that make it the best or move it in the ranking, the frame the ranking keys move,
//! the pair the word diff compares, and the ratings in force with their correction.

use super::{Slots, media_item_ui, original_judgment};
use crate::model::JudgmentKind;
use crate::model::MediaRole;
use crate::model::words::plural;
use crate::store::{JudgmentView, Label, MediaView, RankMove, ResponseView, SampleView};
use crate::ui::commands::Command;
use crate::ui::diff::{WordDiff, marked_label};
use crate::ui::image_view::TextureCache;
use crate::ui::loaded::{LoadedSample, ModelScore, ShownRating, shown_ratings};
use crate::ui::shared::{letter, rank_of, ranking_text};
use crate::ui::theme;
use egui::{Color32, RichText, vec2};

/// A candidate column's least width: narrower, the candidates are shown one above the other.
const MIN_COLUMN: f32 = 200.0;

/// The most candidates side by side; more wrap onto further rows of as many columns.
const MAX_COLUMNS: usize = 4;

/// What the candidates share: the labels, the compared pair, the cursor.
struct Frame<'a> {
    n: usize,
    /// The original label (overall, else the first).
    original: Option<&'a JudgmentView>,
    /// The curator's label in force, when there is one.
    now: Option<&'a Label>,
    cursor: Option<u32>,
    pair: (u32, u32),
    highlights: [Color32; 2],
    /// The scorers' scores of the candidates.
    scores: &'a [ModelScore],
}

pub(super) fn candidates_ui(
    ui: &mut egui::Ui,
    sample: &mut LoadedSample,
    textures: &mut TextureCache,
    show_diff: bool,
    media_height: f32,
    cmds: &mut Vec<Command>,
) {
    let n = sample.view.responses.len();
    if n == 0 {
        ui.weak("No candidate responses.");
        return;
    }
    let highlights = sample.diff_highlights();
    let LoadedSample { view, label, state, diff, diff_pair, players, embedded, cursor, model_scores, .. } = sample;
    let frame = Frame {
        n,
        original: original_judgment(view),
        now: label.as_ref().filter(|_| state.judgment_id.is_some()),
        cursor: (n > 2).then_some(*cursor),
        pair: *diff_pair,
        highlights,
        scores: model_scores,
    };
    if n > 2 {
        order_ui(ui, &frame, view, show_diff, cmds);
    }
    // A long pair's diff arrives from its thread: until then the candidates show unmarked.
    if show_diff && diff.as_mut().is_some_and(|d| d.poll().is_none() && d.is_pending()) {
        ui.ctx().request_repaint_after(std::time::Duration::from_millis(30));
    }
    let diff = if show_diff { diff.as_ref().and_then(WordDiff::ready) } else { None };
    let ratings = shown_ratings(view, label.as_ref());
    let mut slots = Slots { sample: view.id, players, embedded };
    let candidate_media: Vec<&MediaView> = view.media.iter().filter(|m| m.role == MediaRole::Candidate).collect();
    let mut candidate = |ui: &mut egui::Ui, r: &ResponseView, cmds: &mut Vec<Command>| {
        // Columns are justified layouts, which would also justify (stretch) the text.
        ui.with_layout(egui::Layout::top_down(egui::Align::LEFT), |ui| {
            let mut inner = |ui: &mut egui::Ui| {
                candidate_header_ui(ui, &frame, r, cmds);
                for m in candidate_media.iter().filter(|m| m.response == Some(r.position)) {
                    let w = ui.available_width();
                    media_item_ui(ui, &mut slots, m, textures, vec2(w, media_height));
                }
                if let Some(text) = &r.text {
                    let (a, b) = frame.pair;
                    match diff {
                        Some((marked, _)) if r.position == a => {
                            marked_label(ui, marked, frame.highlights[0]);
                        }
                        Some((_, marked)) if r.position == b => {
                            marked_label(ui, marked, frame.highlights[1]);
                        }
                        _ => {
                            ui.add(egui::Label::new(text).selectable(true));
                        }
                    }
                }
                let mine: Vec<&ShownRating<'_>> =
                    ratings.iter().filter(|x| x.now.response == Some(r.position)).collect();
                if !mine.is_empty() {
                    ui.add_space(4.0);
                    ui.label(RichText::new("Ratings").strong());
                    for x in mine {
                        rating_ui(ui, x, cmds);
                    }
                }
            };
            if frame.cursor == Some(r.position) {
                // The candidate the ranking keys move: framed.
                egui::Frame::new()
                    .stroke(egui::Stroke::new(2.0, ui.visuals().selection.bg_fill))
                    .corner_radius(4.0)
                    .inner_margin(2.0)
                    .show(ui, |ui| {
                        ui.set_min_width(ui.available_width());
                        inner(ui);
                    });
            } else {
                inner(ui);
            }
        });
    };
    // As many columns as fit (four at most), rows of them below.
    let fit = (ui.available_width() / MIN_COLUMN).floor().max(1.0) as usize;
    let per_row = n.min(MAX_COLUMNS).min(fit);
    let responses = &view.responses;
    if per_row > 1 {
        for (k, row) in responses.chunks(per_row).enumerate() {
            if k > 0 {
                ui.separator();
            }
            ui.columns(per_row, |cols| {
                for (col, r) in cols.iter_mut().zip(row) {
                    candidate(col, r, cmds);
                }
            });
        }
    } else {
        // Too narrow for side by side (a window smaller than its minimum, under a window
        // manager that ignores it): one above the other, each readable.
        for r in responses {
            candidate(ui, r, cmds);
            ui.separator();
        }
    }
}

/// Over more than two candidates: the order at a glance and the pair the word diff compares.
fn order_ui(ui: &mut egui::Ui, frame: &Frame<'_>, view: &SampleView, show_diff: bool, cmds: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        if let Some(j) = frame.original.filter(|j| j.kind == JudgmentKind::Ranking && !j.ranking.is_empty()) {
            ui.label(RichText::new(format!("Ranking (original): {}", ranking_text(&j.ranking))).strong());
        }
        if let Some(l) = frame.now.filter(|l| l.kind == JudgmentKind::Ranking && !l.ranking.is_empty()) {
            ui.label(
                RichText::new(format!("Ranking now: {}", ranking_text(&l.ranking))).strong().color(theme::CURATED),
            );
        }
    });
    let texts: Vec<u32> = view.responses.iter().filter(|r| r.text.is_some()).map(|r| r.position).collect();
    if show_diff && texts.len() > 2 {
        ui.horizontal_wrapped(|ui| {
            let (mut a, mut b) = frame.pair;
            let first = ui.label("Word diff:");
            pick_candidate(ui, "diff_a", &mut a, &texts).labelled_by(first.id);
            let second = ui.label("against");
            pick_candidate(ui, "diff_b", &mut b, &texts).labelled_by(second.id);
            if (a, b) != frame.pair && a != b {
                cmds.push(Command::DiffPair(a, b));
            }
            // The ranking keys on hover, not in a paragraph: a short window keeps the answers in
            // view. Arrows only in words: the proportional font has no arrow glyphs.
            ui.weak("· ranking keys").on_hover_text(
                "1-9 make a candidate the best; [ and ] move the frame; Ctrl+Up / Ctrl+Down move the framed one \
                 in the ranking, Ctrl+Home / Ctrl+End make it the best / worst.",
            );
        });
    }
}

fn pick_candidate(ui: &mut egui::Ui, salt: &str, position: &mut u32, among: &[u32]) -> egui::Response {
    egui::ComboBox::from_id_salt(salt)
        .selected_text(letter(*position).to_string())
        .width(48.0)
        .show_ui(ui, |ui| {
            for p in among {
                ui.selectable_value(position, *p, letter(*p).to_string());
            }
        })
        .response
}

/// A candidate's letter, model and length, where the labels put it, and (over more than two
/// candidates) the buttons that move it in the ranking.
fn candidate_header_ui(ui: &mut egui::Ui, frame: &Frame<'_>, r: &ResponseView, cmds: &mut Vec<Command>) {
    let p = r.position;
    ui.horizontal_wrapped(|ui| {
        let heading =
            ui.add(egui::Label::new(RichText::new(letter(p).to_string()).heading()).sense(egui::Sense::click()));
        if frame.cursor.is_some() && heading.on_hover_text("Put the frame on this candidate").clicked() {
            cmds.push(Command::Cursor(p));
        }
        if let Some(m) = &r.model {
            ui.weak(m);
        }
        if let Some(t) = &r.text {
            ui.weak(plural(t.chars().count() as u64, "char"));
        }
    });
    let badges: Vec<(String, Color32)> = frame
        .original
        .and_then(|j| original_badge(j, p))
        .into_iter()
        .chain(frame.now.and_then(|l| now_badge(l, p)))
        .collect();
    if !badges.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for (text, color) in &badges {
                theme::badge(ui, text, *color);
            }
        });
    }
    for s in frame.scores.iter().filter(|s| s.position == p) {
        model_score_ui(ui, s);
    }
    if frame.n > 2 {
        ui.horizontal_wrapped(|ui| {
            let small =
                |ui: &mut egui::Ui, text: &str, hover: &str| ui.small_button(text).on_hover_text(hover).clicked();
            let digit = if p < 9 { format!(" ({})", p + 1) } else { String::new() };
            if small(ui, "Best", &format!("{} is the best{digit}", letter(p))) {
                cmds.push(Command::Pick(p));
            }
            for (text, to) in [("Up", RankMove::Up), ("Down", RankMove::Down), ("Worst", RankMove::Worst)] {
                if small(ui, text, &format!("Move {} {} in the ranking", letter(p), text.to_lowercase())) {
                    cmds.push(Command::Rank(p, to));
                }
            }
        });
    }
}

/// A scorer's score of the candidate ("score mini 0.412"), and for a scorer that scores sentence
/// by sentence its worst sentence, the others on hover.
fn model_score_ui(ui: &mut egui::Ui, s: &ModelScore) {
    let worst = s.sentences.iter().min_by(|a, b| a.1.total_cmp(&b.1));
    ui.horizontal_wrapped(|ui| {
        let line = ui.label(RichText::new(format!("score {} {:.3}", s.scorer, s.score)).color(theme::MODEL));
        line.on_hover_text(format!("{}'s score of this candidate (higher is better)", s.scorer));
    });
    if let Some((text, score)) = worst {
        let short: String = text.chars().take(90).collect();
        let more = if short.len() < text.len() { "…" } else { "" };
        let all: Vec<String> = s.sentences.iter().map(|(t, v)| format!("{v:.3}  {t}")).collect();
        ui.label(RichText::new(format!("worst sentence {score:.3}: {short}{more}")).small().color(theme::FLAG))
            .on_hover_text(all.join("\n"));
    }
}

/// Where the source's label puts candidate `p`, as a badge (none: it names another pair).
fn original_badge(j: &JudgmentView, p: u32) -> Option<(String, Color32)> {
    match j.kind {
        JudgmentKind::Ranking if !j.ranking.is_empty() => Some(match rank_of(&j.ranking, p) {
            Some(k) => (format!("rank {k} of {} (original)", j.ranking.len()), theme::ORIGINAL),
            None => ("unranked (original)".into(), theme::MUTED),
        }),
        _ if j.chosen == Some(p) => Some(("chosen (original)".into(), theme::ORIGINAL)),
        _ if j.rejected == Some(p) => Some(("rejected (original)".into(), theme::MUTED)),
        _ => None,
    }
}

/// Where the curator's label puts candidate `p`, as a badge (none: it names another pair).
fn now_badge(l: &Label, p: u32) -> Option<(String, Color32)> {
    let in_pair = l.chosen == Some(p) || l.rejected == Some(p);
    match l.kind {
        JudgmentKind::Tie => in_pair.then(|| ("tie (now)".into(), theme::CURATED)),
        JudgmentKind::BothBad => in_pair.then(|| ("bad (now)".into(), theme::FLAG)),
        JudgmentKind::Ranking if !l.ranking.is_empty() => Some(match rank_of(&l.ranking, p) {
            Some(k) => (format!("rank {k} of {} (now)", l.ranking.len()), theme::CURATED),
            None => ("unranked (now)".into(), theme::MUTED),
        }),
        _ if l.chosen == Some(p) => Some(("chosen (now)".into(), theme::CURATED)),
        _ if l.rejected == Some(p) => Some(("rejected (now)".into(), theme::MUTED)),
        _ => None,
    }
}

pub(super) fn rating_ui(ui: &mut egui::Ui, r: &ShownRating<'_>, cmds: &mut Vec<Command>) {
    let now = r.now;
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(&now.aspect).strong());
        // A critique-only aspect (Align-Anything's `text_critique`) has no value: an empty label
        // in a wrapping row is placed back at the row's start, and the button after it was
        // drawn over the aspect's name.
        if !now.raw.trim().is_empty() {
            ui.label(RichText::new(&now.raw).color(Color32::from_rgb(0xd0, 0xa0, 0x40)));
        }
        if let Some(o) = r.original {
            ui.weak(format!("(was {})", o.raw));
        }
        let target = now.response.map_or_else(|| "the sample".to_owned(), |p| letter(p).to_string());
        if ui.small_button("Correct…").on_hover_text(format!("Correct {target}'s {}", now.aspect)).clicked() {
            cmds.push(Command::EditRating(now.response, now.aspect.clone()));
        }
    });
    if let Some(t) = &now.rationale {
        ui.label(RichText::new(t).small());
    }
    if let Some(t) = &now.critique {
        ui.label(RichText::new(format!("Critique: {t}")).small().italics());
    }
}
