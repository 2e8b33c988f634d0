//! Bulk curation in the real app (kittest): Ctrl-click and Shift-click mark rows, Ctrl+A marks
//! every match of the filter; the bar's actions ask to confirm with the number of samples that
//! change; the action is one operation (one Undo), a large one runs as a job; E excludes the
//! sample shown with a reason and includes it again.

mod ui_common;
use egui::Modifiers;
use egui_kittest::kittest::Queryable;
use std::fmt::Write as _;
use ui_common::*;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::store::Store;

fn count(ui: &Ui<'_>, q: &str) -> u64 {
    ui.store().count_matching(&verdict::query::compile(q).expect(q)).expect(q)
}

fn row(ui: &Ui<'_>, index: usize) -> String {
    let id = ui.harness.state().project.as_ref().expect("project").ids()[index];
    format!("#{id} ")
}

trait Steps {
    fn steps(&mut self, n: usize);
}

impl Steps for Ui<'_> {
    fn steps(&mut self, n: usize) {
        for _ in 0..n {
            self.harness.step();
        }
    }
}

fn marked(ui: &Ui<'_>) -> usize {
    ui.harness.state().project.as_ref().map_or(0, |p| p.list.marked_count())
}

#[test]
fn marked_rows_take_one_confirmed_action_and_one_undo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("ana"));
    assert_eq!(marked(&ui), 0);
    assert!(ui.harness.query_by_label_contains("marked").is_none(), "no bar while nothing is marked");

    // Ctrl-click row 2: it and the shown row 0 are marked; Shift-click row 4 extends to 2..=4.
    ui.harness.get_by_label_contains(&row(&ui, 2)).click_modifiers(Modifiers::COMMAND);
    ui.harness.step();
    ui.harness.step();
    assert_eq!(marked(&ui), 2);
    ui.harness.get_by_label_contains(&row(&ui, 4)).click_modifiers(Modifiers::SHIFT);
    ui.harness.step();
    ui.harness.step();
    assert_eq!(marked(&ui), 4, "rows 0, 2, 3, 4");
    ui.harness.get_by_label_contains("4 samples marked");
    let ids: Vec<SampleId> = {
        let p = ui.harness.state().project.as_ref().expect("project");
        [0, 2, 3, 4].iter().map(|i| p.ids()[*i]).collect()
    };

    // Exclude…: the confirmation names the count and needs a reason; Enter applies.
    ui.harness.get_by_label("Exclude…").click();
    ui.steps(3);
    ui.harness.get_by_label("Exclude 4 samples");
    ui.harness.get_by_label("1  duplicate").click();
    ui.steps(3);
    ui.key(egui::Key::Enter);
    ui.wait_for("the exclusion", |app| app.project.as_ref().is_some_and(|p| p.list.marked_count() == 0));
    assert_eq!(count(&ui, "excluded:duplicate"), 4);
    let store = ui.store();
    for id in &ids {
        assert_eq!(store.curation_state(*id).expect("state").excluded.as_deref(), Some("duplicate"), "{id}");
    }
    let history = store.history(5).expect("history");
    assert_eq!((history.len(), history[0].op.samples, history[0].op.origin.as_str()), (1, 4, "app"));

    // One Ctrl+Z undoes all four.
    ui.harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::Z);
    ui.harness.step();
    ui.harness.step();
    assert_eq!(count(&ui, "is:excluded"), 0);

    // Ctrl+A marks every match of the filter; a flag with a typed reason goes to all of them.
    ui.harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    ui.harness.step();
    ui.harness.step();
    assert_eq!(marked(&ui), 19);
    ui.harness.get_by_label_contains("All 19 matches");
    ui.harness.get_by_label("Flag…").click();
    ui.steps(3);
    ui.type_text("check the image");
    ui.harness.get_by_label("Apply to 19 samples").click();
    ui.steps(3);
    ui.wait_for("the flags", |app| app.project.as_ref().is_some_and(|p| p.list.marked_count() == 0));
    assert_eq!(count(&ui, "flag:\"check the image\""), 19);
    // Esc unmarks; a bulk action is cancelled with Esc and changes nothing.
    ui.harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    ui.harness.step();
    ui.harness.get_by_label("Swap").click();
    ui.steps(3);
    ui.harness.get_by_label("Swap the preference of 19 samples");
    ui.key(egui::Key::Escape);
    assert!(ui.harness.query_by_label_contains("Swap the preference of").is_none(), "Esc closes it");
    assert_eq!(count(&ui, "is:edited"), 0);
    ui.key(egui::Key::Escape);
    assert_eq!(marked(&ui), 0, "Esc unmarks");
}

#[test]
fn e_excludes_the_sample_shown_with_a_reason_and_includes_it_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("bo"));
    let id = ui.selected();
    ui.key(egui::Key::E);
    ui.harness.get_by_label("Exclude 1 sample");
    ui.type_text("blurry scan");
    ui.key(egui::Key::Enter);
    assert_eq!(ui.store().curation_state(id).expect("state").excluded.as_deref(), Some("blurry scan"));
    ui.wait_for("the list row", |_| true);
    ui.harness.get_by_label_contains("excluded: blurry scan");
    ui.harness.get_by_label("Excluded: blurry scan"); // the sample view's badge
    ui.key(egui::Key::E);
    assert_eq!(ui.store().curation_state(id).expect("state").excluded, None, "E again includes it");
}

#[test]
fn digits_pick_the_listed_reasons_in_the_exclude_dialog_and_the_bulk_confirmation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("bo"));
    let excluded = |ui: &Ui<'_>, id| ui.store().curation_state(id).expect("state").excluded;
    // E, 1, Enter: the first listed reason (the digit's key and the text it types are taken).
    let first = ui.selected();
    ui.key(egui::Key::E);
    ui.harness.get_by_label("Exclude 1 sample");
    ui.key_with_text(egui::Key::Num1, "1");
    ui.key(egui::Key::Enter);
    assert_eq!(excluded(&ui, first).as_deref(), Some("duplicate"));
    assert!(ui.harness.query_by_label("Exclude 1 sample").is_none(), "Enter applied it");
    // Another digit changes the pick; once a reason is typed, digits are text.
    ui.key(egui::Key::J);
    let second = ui.selected();
    ui.key(egui::Key::E);
    ui.key_with_text(egui::Key::Num1, "1");
    ui.key_with_text(egui::Key::Num4, "4");
    ui.key(egui::Key::Enter);
    assert_eq!(excluded(&ui, second).as_deref(), Some("off-topic"));
    ui.key(egui::Key::J);
    let third = ui.selected();
    ui.key(egui::Key::E);
    ui.type_text("scan ");
    ui.key_with_text(egui::Key::Num2, "2");
    ui.key(egui::Key::Enter);
    assert_eq!(excluded(&ui, third).as_deref(), Some("scan 2"));
    assert_eq!(
        ui.store().current_label(third).expect("label").expect("label").source,
        verdict::model::JudgmentSource::Original,
        "2 picked nothing"
    );

    // The bulk bar's confirmation takes them too: 3 is "bad media" for every marked sample.
    ui.key(egui::Key::J);
    ui.harness.get_by_label_contains(&row(&ui, 5)).click_modifiers(Modifiers::COMMAND);
    ui.steps(2);
    assert_eq!(marked(&ui), 2);
    let ids: Vec<SampleId> = {
        let p = ui.harness.state().project.as_ref().expect("project");
        [3, 5].iter().map(|i| p.ids()[*i]).collect()
    };
    ui.harness.get_by_label("Exclude…").click();
    ui.steps(3);
    ui.harness.get_by_label("Exclude 2 samples");
    ui.key_with_text(egui::Key::Num3, "3");
    ui.key(egui::Key::Enter);
    ui.wait_for("the exclusion", |app| app.project.as_ref().is_some_and(|p| p.list.marked_count() == 0));
    for id in ids {
        assert_eq!(excluded(&ui, id).as_deref(), Some("bad media"), "{id}");
    }
}

#[test]
fn a_large_bulk_action_runs_as_a_job_and_the_list_follows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("big.jsonl");
    let mut text = String::new();
    for i in 0..2500 {
        let _ = writeln!(text, "{{\"prompt\": \"q{i}\", \"chosen\": \"a{i}\", \"rejected\": \"b{i}\"}}");
    }
    std::fs::write(&file, text).expect("write");
    let project = dir.path().join("p.verdict");
    let mut store = Store::open(&project).expect("project");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    drop(store);
    let mut ui = Ui::open(&project, Some("cy"));
    ui.harness.key_press_modifiers(Modifiers::COMMAND, egui::Key::A);
    ui.harness.step();
    ui.harness.get_by_label("Exclude…").click();
    ui.steps(3);
    ui.harness.get_by_label("3  bad media").click();
    ui.steps(3);
    ui.harness.get_by_label("Apply to 2,500 samples").click();
    ui.steps(3);
    ui.wait_for("the job", |app| app.jobs.running.is_empty() && !app.jobs.notifications.is_empty());
    assert!(
        ui.harness.state().jobs.notifications.iter().any(|n| n.text.contains("2,500 changed")),
        "{:?}",
        ui.harness.state().jobs.notifications.iter().map(|n| n.text.clone()).collect::<Vec<_>>()
    );
    assert_eq!(count(&ui, "excluded:\"bad media\""), 2500);
    // The app saw the job's change: the shown rows say so.
    let start = std::time::Instant::now();
    while ui.harness.query_all_by_label_contains("excluded: bad media").count() == 0 {
        assert!(start.elapsed().as_secs() < 20, "the list did not show the exclusion");
        ui.harness.step();
    }
    let undo = ui.harness.state().project.as_ref().and_then(|p| p.undo_redo.0.clone()).expect("an undo target");
    assert_eq!((undo.action.as_str(), undo.samples), ("exclude", 2500));
    // And the sample shown says so too.
    ui.wait_for("the sample view", |app| {
        app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.state.excluded.is_some())
    });
    ui.harness.get_by_label("Excluded: bad media");
    // Its undo runs as a job too, and the view follows back.
    ui.key(egui::Key::U);
    ui.wait_for("the undo", |app| {
        app.jobs.running.is_empty()
            && app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.state.excluded.is_none())
    });
    assert_eq!(count(&ui, "is:excluded"), 0);
    let texts: Vec<String> = ui.harness.state().jobs.notifications.iter().map(|n| n.text.clone()).collect();
    assert!(
        texts.iter().any(|t| t.ends_with(": Undid exclude (bad media) on 2,500 samples")),
        "the undo names its samples: {texts:?}"
    );
}

#[test]
fn a_key_pressed_while_a_job_holds_the_write_lock_waits_and_is_then_written() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("bo"));
    let id = ui.selected();
    // Another connection (a job) holds the write lock.
    let job = rusqlite::Connection::open(&project).expect("second connection");
    job.execute_batch("BEGIN IMMEDIATE").expect("lock");
    ui.key(egui::Key::B);
    ui.key(egui::Key::F);
    ui.harness.get_by_label_contains("saved as soon as it lets go");
    ui.harness.get_by_label("1 change waiting for a job to finish writing");
    assert_eq!(ui.harness.state().deferred_count(), 1, "B waits; F opened the flag dialog");
    let l = ui.store().current_label(id).expect("label").expect("label");
    assert_eq!(l.source, verdict::model::JudgmentSource::Original, "nothing written while the lock is held");
    ui.key(egui::Key::Escape);
    // The job commits: the waiting pick is written, by its curator, on the sample it was made on.
    job.execute_batch("COMMIT").expect("unlock");
    ui.wait_for("the pick written", |app| app.deferred_count() == 0);
    let l = ui.store().current_label(id).expect("label").expect("label");
    assert_eq!((l.source, l.chosen, l.rejected), (verdict::model::JudgmentSource::Curator, Some(1), Some(0)));
    assert_eq!(actions(&ui.store(), id), ["bo:pick_b"]);
}
