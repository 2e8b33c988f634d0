//! Small helpers every part of the app shares: numbers and labels in words, the home folder in
//! typed paths, which dialog field has the keyboard and what Enter does there, and listed reasons
//! picked with digit keys. A leaf: it imports no other module of the UI, so any panel can use it
//! without reaching into another.

use crate::model::JudgmentKind;
use std::path::PathBuf;

// Numbers and labels in words.

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `1,204 samples`, `1 sample`.
pub fn samples(n: usize) -> String {
    let n = n as u64;
    crate::model::words::count_as(n, &thousands(n), "sample", "samples")
}

/// Letter of a response position: A, B, C, ...
pub fn letter(position: u32) -> char {
    char::from_u32(u32::from('A') + position.min(25)).unwrap_or('?')
}

/// A label in words: `A > B`, `tie`, `both bad`, a ranking as `C > A > B`, ...
pub fn label_text(kind: JudgmentKind, chosen: Option<u32>, rejected: Option<u32>, ranking: &[u32]) -> String {
    match (kind, chosen, rejected) {
        (JudgmentKind::Tie, ..) => "tie".into(),
        (JudgmentKind::BothBad, ..) => "both bad".into(),
        (JudgmentKind::Ranking, ..) if !ranking.is_empty() => ranking_text(ranking),
        (_, Some(c), Some(r)) => format!("{} > {}", letter(c), letter(r)),
        (k, _, _) => k.as_str().replace('_', " "),
    }
}

/// A ranking, best first: `C > A > E > B`.
pub fn ranking_text(ranking: &[u32]) -> String {
    ranking.iter().map(|p| letter(*p).to_string()).collect::<Vec<_>>().join(" > ")
}

/// Where `position` stands in `ranking`: 1 for the best.
pub fn rank_of(ranking: &[u32], position: u32) -> Option<usize> {
    ranking.iter().position(|p| *p == position).map(|i| i + 1)
}

/// A label in short as the list shows it: the store's codes (`both_bad`) in words (`both bad`);
/// `A>B` and the kinds of one word stay as they are.
pub fn label_words(short: &str) -> String {
    short.replace('_', " ")
}

// Paths typed into a field.

/// `~/x` as the home folder's `x`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

// The keyboard in dialogs.

/// Gives a dialog's field the keyboard when the dialog opens, and again whenever nothing has it
/// (a click on the dialog's background), but not away from a button reached with Tab.
pub fn focus_if_unfocused(ui: &egui::Ui, field: &egui::Response) {
    if ui.memory(|m| m.focused().is_none()) {
        field.request_focus();
    }
}

/// Whether plain Enter, pressed this frame, submits the open dialog. Read before the dialog is
/// drawn: a single-line field drops its focus on Enter as it is drawn, so a check after it
/// ("lost focus and Enter pressed") depends on what else happened to focus in that frame, and
/// never fired where the field's focus was requested again before the check. Enter belongs to
/// the dialog while nothing or one of its `fields` has the keyboard; a focused button presses
/// itself, and an open list takes Enter too.
pub fn enter_submits(ctx: &egui::Context, fields: &[egui::Id]) -> bool {
    let focused = ctx.memory(egui::Memory::focused);
    ctx.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.is_none())
        && focused.is_none_or(|f| fields.contains(&f))
        && !egui::Popup::is_any_open(ctx)
}

/// Whether plain Enter was pressed this frame while one of `fields` has the keyboard (a form
/// that is not a modal dialog: Enter elsewhere is not its own). Read before the fields are drawn.
pub fn enter_in(ctx: &egui::Context, fields: &[egui::Id]) -> bool {
    ctx.memory(egui::Memory::focused).is_some_and(|f| fields.contains(&f))
        && ctx.input(|i| i.key_pressed(egui::Key::Enter) && i.modifiers.is_none())
        && !egui::Popup::is_any_open(ctx)
}

/// Whether Ctrl+Enter (Cmd+Enter on a Mac) was pressed this frame: read from the key event's own
/// modifiers, which a window may have released again by the end of the frame.
pub fn ctrl_enter(ctx: &egui::Context) -> bool {
    ctx.input(|i| {
        i.events.iter().any(|e| {
            matches!(e, egui::Event::Key { key: egui::Key::Enter, pressed: true, modifiers, .. } if modifiers.command)
        })
    })
}

// Listed reasons.

/// Takes digit `n`'s key press and the text it types out of this frame's input; whether it was
/// pressed (without modifiers).
pub fn take_digit(input: &mut egui::InputState, n: usize) -> bool {
    let keys = [egui::Key::Num1, egui::Key::Num2, egui::Key::Num3, egui::Key::Num4, egui::Key::Num5, egui::Key::Num6];
    let Some(&key) = keys.get(n.wrapping_sub(1)) else { return false };
    if !input.consume_key(egui::Modifiers::NONE, key) {
        return false;
    }
    let digit = n.to_string();
    input.events.retain(|e| !matches!(e, egui::Event::Text(t) if *t == digit));
    true
}

/// The listed reason whose digit (1 for the first) was pressed this frame, its key and the digit
/// it types taken before the dialog's field, which has the keyboard, sees them.
pub fn digit_reason<'a>(ui: &egui::Ui, reasons: &[&'a str]) -> Option<&'a str> {
    (0..reasons.len()).find(|i| ui.input_mut(|inp| take_digit(inp, i + 1))).map(|i| reasons[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_labels_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(samples(1), "1 sample");
        assert_eq!(samples(2500), "2,500 samples");
        assert_eq!(label_text(JudgmentKind::Pairwise, Some(1), Some(0), &[]), "B > A");
        assert_eq!(label_text(JudgmentKind::Ranking, Some(2), Some(1), &[2, 0, 1]), "C > A > B");
        assert_eq!(label_text(JudgmentKind::BothBad, Some(0), Some(1), &[]), "both bad");
        assert_eq!(rank_of(&[2, 0, 1], 1), Some(3));
        assert_eq!(label_words("both_bad"), "both bad");
    }

    #[test]
    fn a_digit_picks_its_reason_and_its_text_is_not_typed() {
        let ctx = egui::Context::default();
        let press = |key| egui::Event::Key {
            key,
            physical_key: None,
            pressed: true,
            repeat: false,
            modifiers: egui::Modifiers::NONE,
        };
        let input = egui::RawInput {
            events: vec![press(egui::Key::Num2), egui::Event::Text("2".into())],
            ..Default::default()
        };
        let mut picked = None;
        let mut left = Vec::new();
        ctx.run_ui(input, |ui| {
            picked = digit_reason(ui, &["duplicate", "off-topic", "bad media"]);
            left = ui.input(|i| i.events.clone());
        })
        .textures_delta
        .clear();
        assert_eq!(picked, Some("off-topic"));
        assert!(!left.iter().any(|e| matches!(e, egui::Event::Text(_))), "the digit is not typed: {left:?}");
    }
}
