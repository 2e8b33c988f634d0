//! Keys typed and then a click, all in one frame's input: what typing ahead gives while a frame
//! is slow (a large image decoding, a debug build) or a script drives the window. egui's text
//! field gives up the keyboard at a press elsewhere before it reads the frame's text, so those
//! keys would be lost: typing a name and clicking `int8` at once kept only the name's first
//! letter. The press, and what came after it, wait for the next frame.

use egui::Event;

/// Moves the first pointer press that follows typed text or a key in `events`, and everything
/// after it, to the end of `held`, in order; returns whether it held anything.
pub fn hold_press_after_typing(events: &mut Vec<Event>, held: &mut Vec<Event>) -> bool {
    let typed =
        |e: &Event| matches!(e, Event::Text(_) | Event::Paste(_) | Event::Ime(_) | Event::Key { pressed: true, .. });
    let Some(first_typed) = events.iter().position(typed) else {
        return false;
    };
    let press = |e: &Event| matches!(e, Event::PointerButton { pressed: true, .. });
    let Some(press_at) = events[first_typed..].iter().position(press) else {
        return false;
    };
    held.extend(events.drain(first_typed + press_at..));
    true
}

/// The raw input of a frame: the events held back last frame first, then the new ones, and this
/// frame's own press after typing held for the next (which it asks `ctx` for).
pub fn arrange(ctx: &egui::Context, held: &mut Vec<Event>, raw: &mut egui::RawInput) {
    if !held.is_empty() {
        let new = std::mem::replace(&mut raw.events, std::mem::take(held));
        raw.events.extend(new);
    }
    if hold_press_after_typing(&mut raw.events, held) {
        ctx.request_repaint();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(pressed: bool) -> Event {
        Event::PointerButton {
            pos: egui::pos2(10.0, 10.0),
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        }
    }

    #[test]
    fn a_press_after_typing_waits_for_the_next_frame_with_what_follows() {
        let moved = Event::PointerMoved(egui::pos2(1.0, 1.0));
        let mut events =
            vec![moved.clone(), Event::Text("y".into()), Event::Text("z".into()), press(true), press(false)];
        let mut held = Vec::new();
        assert!(hold_press_after_typing(&mut events, &mut held));
        assert_eq!(events, [moved, Event::Text("y".into()), Event::Text("z".into())]);
        assert_eq!(held, [press(true), press(false)]);
        // Next frame: the held events come first, then the new ones; nothing typed before the
        // press this time, so nothing is held.
        let ctx = egui::Context::default();
        let mut raw = egui::RawInput { events: vec![Event::Text("a".into())], ..Default::default() };
        arrange(&ctx, &mut held, &mut raw);
        assert_eq!(raw.events, [press(true), press(false), Event::Text("a".into())]);
        assert!(held.is_empty());
    }

    #[test]
    fn a_press_alone_or_before_typing_goes_through() {
        let mut held = Vec::new();
        let mut events = vec![press(true), press(false), Event::Text("a".into())];
        assert!(!hold_press_after_typing(&mut events, &mut held));
        assert_eq!(events.len(), 3);
        let mut clicks = vec![press(true), press(false)];
        assert!(!hold_press_after_typing(&mut clicks, &mut held));
        assert!(held.is_empty());
    }
}
