//! Closing the window while curation changes wait for a job's write lock (kittest): the close is
//! held back and the curator asked; Wait writes them when the lock is free and then closes, Discard
//! drops them (only when asked) and closes, Esc keeps the window open. With nothing waiting the
//! window closes at once. The window manager's close reaches the app as eframe passes it: a close
//! request in the root viewport's input, which the app turns down with `CancelClose`; the app
//! closes the window itself with `ViewportCommand::Close`.

mod ui_common;
use egui::{ViewportCommand, ViewportEvent, ViewportId};
use egui_kittest::kittest::Queryable;
use std::time::{Duration, Instant};
use ui_common::*;
use verdict::model::JudgmentSource;

/// Whether the app sent `command` for the root viewport in the last frame.
fn sent(ui: &Ui<'_>, command: &ViewportCommand) -> bool {
    ui.harness.output().viewport_output.get(&ViewportId::ROOT).is_some_and(|v| v.commands.contains(command))
}

/// The window manager asks the window to close; whether the app lets it (it did not answer with
/// `CancelClose`, which is what eframe looks at).
fn close_window(ui: &mut Ui<'_>) -> bool {
    ui.harness.input_mut().viewports.entry(ViewportId::ROOT).or_default().events.push(ViewportEvent::Close);
    ui.harness.step();
    let closes = !sent(ui, &ViewportCommand::CancelClose);
    ui.harness.step();
    closes
}

/// Steps frames until the app asks to close its window (at most 20 s).
fn wait_for_the_app_to_close(ui: &mut Ui<'_>) {
    let start = Instant::now();
    loop {
        ui.harness.step();
        if sent(ui, &ViewportCommand::Close) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "the app did not close its window");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A job's connection holding the project's write lock.
fn hold_the_write_lock(ui: &Ui<'_>) -> rusqlite::Connection {
    let job = rusqlite::Connection::open(&ui.project).expect("second connection");
    job.execute_batch("BEGIN IMMEDIATE").expect("lock");
    job
}

#[test]
fn with_nothing_waiting_the_window_closes_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("bo"));
    let _job = hold_the_write_lock(&ui);
    assert!(close_window(&mut ui), "a job's lock alone does not hold the window");
    assert!(!ui.harness.state().is_closing());
}

#[test]
fn closing_while_a_change_waits_asks_and_wait_writes_it_then_closes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("bo"));
    let id = ui.selected();
    let job = hold_the_write_lock(&ui);
    ui.key(egui::Key::B);
    assert_eq!(ui.harness.state().deferred_count(), 1, "B waits for the lock");

    assert!(!close_window(&mut ui), "the close is held back");
    ui.harness.get_by_label("1 change is waiting for a job to finish writing.");
    ui.harness.get_by_label(&format!("pick b on #{id}"));
    ui.harness.get_by_label_contains("Another connection holds the project's write lock");
    let l = ui.store().current_label(id).expect("label").expect("label");
    assert_eq!(l.source, JudgmentSource::Original, "nothing written while the lock is held");
    // Keys belong to the question: J does not move on, A does not pick.
    ui.key(egui::Key::J);
    assert_eq!(ui.selected(), id);

    ui.harness.get_by_label("Wait").click();
    for _ in 0..5 {
        ui.harness.step();
        assert!(!sent(&ui, &ViewportCommand::Close), "the window waits while the lock is held");
    }
    ui.harness.get_by_label("Waiting: the window closes once they are written.");
    assert_eq!(ui.harness.state().deferred_count(), 1);

    // The job commits: the pick is written, by its curator, and the app closes its window.
    job.execute_batch("COMMIT").expect("unlock");
    wait_for_the_app_to_close(&mut ui);
    assert_eq!(ui.harness.state().deferred_count(), 0);
    let l = ui.store().current_label(id).expect("label").expect("label");
    assert_eq!((l.source, l.chosen, l.rejected), (JudgmentSource::Curator, Some(1), Some(0)));
    assert_eq!(actions(&ui.store(), id), ["bo:pick_b"]);
    // The close the app asked for reaches it as a close request: now nothing holds it back.
    assert!(close_window(&mut ui), "the window closes");
}

#[test]
fn esc_keeps_the_window_open_and_discard_drops_the_changes_only_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("bo"));
    let first = ui.selected();
    let job = hold_the_write_lock(&ui);
    ui.key(egui::Key::B);
    ui.key(egui::Key::J);
    ui.key(egui::Key::T);
    assert_eq!(ui.harness.state().deferred_count(), 2);

    // Esc: the window stays open and the changes keep waiting.
    assert!(!close_window(&mut ui));
    ui.harness.get_by_label("2 changes are waiting for a job to finish writing.");
    ui.key(egui::Key::Escape);
    assert!(!ui.harness.state().is_closing());
    assert!(
        ui.harness.query_by_label_contains("waiting for a job to finish writing.").is_none(),
        "the question closed"
    );
    assert!(!sent(&ui, &ViewportCommand::Close));
    assert_eq!(ui.harness.state().deferred_count(), 2, "Esc drops nothing");

    // Asked again, Discard: they are dropped and the window closes.
    assert!(!close_window(&mut ui));
    ui.harness.get_by_label("Discard").click();
    ui.harness.step();
    assert!(sent(&ui, &ViewportCommand::Close), "the app closes its window");
    assert_eq!(ui.harness.state().deferred_count(), 0);
    job.execute_batch("COMMIT").expect("unlock");
    ui.harness.step();
    assert!(close_window(&mut ui));
    let store = ui.store();
    assert!(actions(&store, first).is_empty(), "discarded: nothing written");
    assert_eq!(store.history(5).expect("history").len(), 0);
}
