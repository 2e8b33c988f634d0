//! The keys: every binding (key, modifiers, the [`Command`] it sends, its help) in one table that
//! [`from_keys`] reads each frame and the cheat sheet lists, as people write the keys.

use super::{CleanKey, Command, MediaKey};
use crate::store::RankMove;
use egui::{Key, KeyboardShortcut, Modifiers};

/// A key binding: the key, its modifiers, the command and what the cheat sheet says.
pub struct Binding {
    /// The shortcut.
    pub shortcut: KeyboardShortcut,
    /// What it does.
    pub command: fn() -> Command,
    /// Cheat-sheet text.
    pub help: &'static str,
}

const fn key(k: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::NONE, k)
}

const fn ctrl(k: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::COMMAND, k)
}

const fn shift(k: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(Modifiers::SHIFT, k)
}

/// Opens the export dialog (also shown next to File > Export…).
pub const EXPORT_SHORTCUT: KeyboardShortcut = ctrl(Key::E);

/// What `,` and `.` do.
const GROUP_STEP: &str = "Previous / next group or suspect";
/// What Q and W do.
const MEMBER_STEP: &str = "Group: previous / next member";

/// What keys 3-9 do.
const PICK_BEYOND_B: &str = "Candidate C-I is the best (3 = C, ..., 9 = I)";

/// Every single-key binding, in cheat-sheet order. Shifted and Ctrl bindings come first in
/// matching so that Ctrl+Z is not also read as Z.
pub const BINDINGS: &[Binding] = &[
    Binding { shortcut: ctrl(Key::Z), command: || Command::Undo, help: "Undo" },
    Binding { shortcut: ctrl(Key::Y), command: || Command::Redo, help: "Redo" },
    Binding { shortcut: ctrl(Key::O), command: || Command::OpenProject(None), help: "Open a project" },
    Binding { shortcut: ctrl(Key::I), command: || Command::Import(None), help: "Import a dataset file" },
    Binding { shortcut: EXPORT_SHORTCUT, command: || Command::Export, help: "Export…" },
    Binding { shortcut: ctrl(Key::A), command: || Command::MarkAll, help: "Mark every match of the filter" },
    // Ranking moves of the candidate under the cursor, before the plain arrows and Home/End.
    Binding {
        shortcut: ctrl(Key::ArrowUp),
        command: || Command::RankCursor(RankMove::Up),
        help: "Move the candidate up the ranking",
    },
    Binding {
        shortcut: ctrl(Key::ArrowDown),
        command: || Command::RankCursor(RankMove::Down),
        help: "Move the candidate down the ranking",
    },
    Binding {
        shortcut: ctrl(Key::Home),
        command: || Command::RankCursor(RankMove::Best),
        help: "Make the candidate the best",
    },
    Binding {
        shortcut: ctrl(Key::End),
        command: || Command::RankCursor(RankMove::Worst),
        help: "Make the candidate the worst",
    },
    Binding { shortcut: key(Key::A), command: || Command::Pick(0), help: "A is better" },
    Binding { shortcut: key(Key::Num1), command: || Command::Pick(0), help: "A is better" },
    Binding { shortcut: key(Key::B), command: || Command::Pick(1), help: "B is better" },
    Binding { shortcut: key(Key::Num2), command: || Command::Pick(1), help: "B is better" },
    Binding { shortcut: key(Key::Num3), command: || Command::Pick(2), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::Num4), command: || Command::Pick(3), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::Num5), command: || Command::Pick(4), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::Num6), command: || Command::Pick(5), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::Num7), command: || Command::Pick(6), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::Num8), command: || Command::Pick(7), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::Num9), command: || Command::Pick(8), help: PICK_BEYOND_B },
    Binding { shortcut: key(Key::OpenBracket), command: || Command::CursorStep(false), help: "Previous candidate" },
    Binding { shortcut: key(Key::CloseBracket), command: || Command::CursorStep(true), help: "Next candidate" },
    Binding { shortcut: key(Key::S), command: || Command::Swap, help: "Swap the preference" },
    Binding { shortcut: key(Key::T), command: || Command::Tie, help: "Tie" },
    Binding { shortcut: key(Key::X), command: || Command::BothBad, help: "Both bad" },
    Binding { shortcut: key(Key::F), command: || Command::ToggleFlag, help: "Flag (reason) / unflag" },
    Binding { shortcut: key(Key::E), command: || Command::ToggleExclude, help: "Exclude (reason) / include" },
    Binding { shortcut: key(Key::N), command: || Command::EditNote, help: "Note" },
    Binding { shortcut: key(Key::J), command: || Command::Next, help: "Next sample" },
    Binding { shortcut: key(Key::ArrowDown), command: || Command::Next, help: "Next sample" },
    Binding { shortcut: key(Key::K), command: || Command::Prev, help: "Previous sample" },
    Binding { shortcut: key(Key::ArrowUp), command: || Command::Prev, help: "Previous sample" },
    Binding { shortcut: key(Key::Home), command: || Command::First, help: "First sample" },
    Binding { shortcut: key(Key::End), command: || Command::Last, help: "Last sample" },
    Binding { shortcut: key(Key::U), command: || Command::Undo, help: "Undo" },
    Binding { shortcut: key(Key::R), command: || Command::Redo, help: "Redo" },
    Binding { shortcut: key(Key::Slash), command: || Command::FocusQuery, help: "Search / filter" },
    Binding { shortcut: key(Key::Questionmark), command: || Command::ToggleCheatSheet, help: "This cheat sheet" },
    Binding { shortcut: key(Key::F1), command: || Command::ToggleCheatSheet, help: "This cheat sheet" },
    Binding { shortcut: key(Key::G), command: || Command::ToggleStats, help: "Statistics" },
    Binding { shortcut: key(Key::H), command: || Command::ToggleHistory, help: "History of this sample" },
    Binding { shortcut: key(Key::D), command: || Command::ToggleDatasets, help: "Datasets: counts, remove, relink" },
    Binding { shortcut: key(Key::C), command: || Command::ToggleCleaning, help: "Cleaning: duplicates and checks" },
    Binding { shortcut: key(Key::V), command: || Command::ToggleSuspects, help: "Suspects: where the model disagrees" },
    // The Cleaning panel's open duplicate group (the keys do nothing while none is open).
    Binding {
        shortcut: key(Key::O),
        command: || Command::Clean(CleanKey::KeepSelected),
        help: "Group: keep the selected member only",
    },
    Binding {
        shortcut: key(Key::P),
        command: || Command::Clean(CleanKey::KeepByPolicy),
        help: "Group: keep the policy's keeper only",
    },
    Binding {
        shortcut: key(Key::L),
        command: || Command::Clean(CleanKey::KeepAll),
        help: "Group: keep all (nothing excluded)",
    },
    // One cheat-sheet line per pair (the sheet fits the smallest window in three columns).
    Binding { shortcut: key(Key::Comma), command: || Command::Clean(CleanKey::PrevGroup), help: GROUP_STEP },
    Binding { shortcut: key(Key::Period), command: || Command::Clean(CleanKey::NextGroup), help: GROUP_STEP },
    Binding { shortcut: key(Key::Q), command: || Command::Clean(CleanKey::PrevMember), help: MEMBER_STEP },
    Binding { shortcut: key(Key::W), command: || Command::Clean(CleanKey::NextMember), help: MEMBER_STEP },
    // The players (the sample's first video or audio); Shift+arrows before the arrows.
    Binding {
        shortcut: key(Key::Space),
        command: || Command::Media(MediaKey::PlayPause),
        help: "Play / pause video or audio",
    },
    Binding {
        shortcut: shift(Key::ArrowLeft),
        command: || Command::Media(MediaKey::BackMore),
        help: "Back 1 s (video) / 5 s (audio)",
    },
    Binding {
        shortcut: shift(Key::ArrowRight),
        command: || Command::Media(MediaKey::ForwardMore),
        help: "Forward 1 s (video) / 5 s (audio)",
    },
    Binding {
        shortcut: key(Key::ArrowLeft),
        command: || Command::Media(MediaKey::Back),
        help: "Back a frame (video) / 1 s (audio)",
    },
    Binding {
        shortcut: key(Key::ArrowRight),
        command: || Command::Media(MediaKey::Forward),
        help: "Forward a frame (video) / 1 s (audio)",
    },
    Binding { shortcut: key(Key::M), command: || Command::Media(MediaKey::Mute), help: "Mute / unmute" },
];

/// The commands the keys pressed this frame ask for. Nothing when a text field has the keyboard.
/// Keys after a `/` (which focuses the filter) in the same frame are the filter's text, typed
/// quickly, not shortcuts: they are left for the filter (`/bad` must not pick B, then A).
pub fn from_keys(ctx: &egui::Context) -> Vec<Command> {
    if ctx.egui_wants_keyboard_input() {
        return Vec::new();
    }
    let mut out = Vec::new();
    ctx.input_mut(|input| {
        let slash = |e: &egui::Event| {
            matches!(e, egui::Event::Key { key: Key::Slash, pressed: true, modifiers, .. } if modifiers.is_none())
        };
        let mut later = input.events.iter().position(slash).map(|i| input.events.split_off(i + 1)).unwrap_or_default();
        // The `/` itself focuses the filter; its text is not typed there.
        if let Some(i) = later.iter().position(|e| matches!(e, egui::Event::Text(_)))
            && matches!(&later[i], egui::Event::Text(t) if t == "/")
        {
            later.remove(i);
        }
        for b in BINDINGS {
            if input.consume_shortcut(&b.shortcut) {
                out.push((b.command)());
            }
        }
        input.events.extend(later);
    });
    out
}

/// A key as people write it: `/`, `?`, `↑`, `1`, `Home`, `F1`, `A` (egui's own names are
/// `Slash`, `Questionmark`, `Up`).
pub fn key_text(key: Key) -> &'static str {
    match key {
        Key::ArrowUp => "↑",
        Key::ArrowDown => "↓",
        Key::ArrowLeft => "←",
        Key::ArrowRight => "→",
        Key::Escape => "Esc",
        Key::PageUp => "Page Up",
        Key::PageDown => "Page Down",
        // Punctuation as its character, everything else by name.
        k => k.symbol_or_name(),
    }
}

/// A shortcut as people write it: `Ctrl+Z` (`Cmd+Z` on a Mac), `Shift+Tab`, `?`.
pub fn shortcut_text(shortcut: &KeyboardShortcut, mac: bool) -> String {
    let m = shortcut.modifiers;
    let mut out = String::new();
    for (on, name) in [
        (m.command || m.ctrl || m.mac_cmd, if mac { "Cmd+" } else { "Ctrl+" }),
        (m.alt, if mac { "Option+" } else { "Alt+" }),
        (m.shift, "Shift+"),
    ] {
        if on {
            out.push_str(name);
        }
    }
    out.push_str(key_text(shortcut.logical_key));
    out
}

/// Cheat-sheet lines: (keys, what), one line per distinct help text.
pub fn cheat_sheet(ctx: &egui::Context) -> Vec<(String, &'static str)> {
    let mac = ctx.os().is_mac();
    let mut lines: Vec<(String, &'static str)> = Vec::new();
    for b in BINDINGS {
        let keys = shortcut_text(&b.shortcut, mac);
        match lines.iter_mut().find(|(_, help)| *help == b.help) {
            Some((k, _)) => {
                k.push_str(" / ");
                k.push_str(&keys);
            }
            None => lines.push((keys, b.help)),
        }
    }
    lines
}

/// The window's height the cheat sheet leaves to other things: its title bar, the notes under
/// the keys and the window's margins.
const CHEAT_SHEET_CHROME: f32 = 150.0;
/// A cheat-sheet line's height (a grid row and its spacing).
const CHEAT_SHEET_ROW: f32 = 24.0;

/// Draws the cheat sheet in as many columns as the window's height needs (two in a window 900
/// px high), the columns balanced; in a window shorter still it scrolls.
pub fn cheat_sheet_ui(ui: &mut egui::Ui) {
    let lines = cheat_sheet(ui.ctx());
    let room = (ui.ctx().content_rect().height() - CHEAT_SHEET_CHROME).max(4.0 * CHEAT_SHEET_ROW);
    let fit = ((room / CHEAT_SHEET_ROW).floor() as usize).max(1);
    let columns = lines.len().div_ceil(fit).max(1);
    let per_column = lines.len().div_ceil(columns).max(1);
    egui::ScrollArea::vertical().id_salt("cheat_sheet").max_height(room).show(ui, |ui| {
        ui.horizontal_top(|ui| {
            for (c, chunk) in lines.chunks(per_column).enumerate() {
                if c > 0 {
                    ui.add_space(16.0);
                }
                egui::Grid::new(("keys", c)).striped(true).show(ui, |ui| {
                    for (keys, help) in chunk {
                        // Monospace: the proportional font has no arrows (↑ ↓).
                        ui.monospace(keys);
                        ui.label(*help);
                        ui.end_row();
                    }
                });
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cheat_sheet_names_keys_as_people_write_them() {
        let ctx = egui::Context::default();
        let lines = cheat_sheet(&ctx);
        let keys_of = |help: &str| lines.iter().find(|(_, h)| *h == help).map(|(k, _)| k.clone()).expect(help);
        assert_eq!(keys_of("Search / filter"), "/");
        assert_eq!(keys_of("This cheat sheet"), "? / F1");
        assert_eq!(keys_of("Undo"), "Ctrl+Z / U");
        assert_eq!(keys_of("Next sample"), "J / ↓");
        assert_eq!(keys_of("Previous sample"), "K / ↑");
        assert_eq!(keys_of("A is better"), "A / 1");
        assert_eq!(keys_of("First sample"), "Home");
        for (keys, _) in &lines {
            for egui_name in ["Slash", "Questionmark", "Num", "Up", "Down", "Command"] {
                assert!(!keys.contains(egui_name), "{keys:?} uses egui's name {egui_name:?}");
            }
        }
        assert_eq!(shortcut_text(&KeyboardShortcut::new(Modifiers::COMMAND, Key::E), true), "Cmd+E");
        assert_eq!(shortcut_text(&KeyboardShortcut::new(Modifiers::SHIFT, Key::Tab), false), "Shift+Tab");
    }

    #[test]
    fn the_default_fonts_draw_every_key_name() {
        let ctx = egui::Context::default();
        ctx.run_ui(egui::RawInput::default(), |_| {}).textures_delta.clear();
        let font = egui::FontId::monospace(14.0);
        for (keys, _) in cheat_sheet(&ctx) {
            assert!(ctx.fonts_mut(|f| f.has_glyphs(&font, &keys)), "{keys:?} has a glyph the fonts lack");
        }
    }
}
