//! The real app in `egui_kittest` on a temporary project holding the bundled demo: keys navigate and
//! relabel, undo and redo, swap, tie, flag and note, and the project file holds the result; the
//! filter narrows the list and a bad query says what is wrong; media samples show their media
//! widget; a running import job can be cancelled. Every dialog takes Enter and Esc (the keys
//! arrive one event a frame, as a window sends them); badges stay one row at the narrowest
//! layout; the word diff is coloured by the current label's chosen and rejected side.

use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::time::Duration;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::{JudgmentKind, JudgmentSource, SampleId};
use verdict::store::{SortKey, Store};
use verdict::ui::{Settings, VerdictApp};

mod ui_common;
use ui_common::*;

#[test]
fn keys_navigate_and_the_first_label_asks_the_curator_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, None);
    assert_eq!(ui.list_len(), 12 + 3 + 4, "every sample listed");
    let first = ui.selected();
    ui.key(egui::Key::J);
    let second = ui.selected();
    assert_ne!(first, second, "J moves to the next sample");
    ui.key(egui::Key::K);
    assert_eq!(ui.selected(), first, "K moves back");
    ui.key(egui::Key::ArrowDown);
    assert_eq!(ui.selected(), second, "Down moves to the next sample");

    // The first label asks for the curator's name, then applies.
    ui.key(egui::Key::B);
    ui.harness.get_by_label("Who is curating?");
    assert!(ui.store().audit_log(second).expect("log").is_empty(), "nothing written before the name is given");
    ui.type_text("ana");
    ui.harness.get_by_label("OK").click();
    ui.harness.step();
    ui.harness.step();
    assert_eq!(label_of(&ui.store(), second), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(actions(&ui.store(), second), vec!["ana:pick_b"]);
    assert_eq!(ui.harness.state().settings.curator.as_deref(), Some("ana"), "the name is remembered");
    assert!(ui.harness.query_by_label("Who is curating?").is_none(), "the dialog is gone");

    // Next label: no question asked.
    ui.key(egui::Key::J);
    let third = ui.selected();
    ui.key(egui::Key::A);
    assert_eq!(label_of(&ui.store(), third), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(0), Some(1)));
}

#[test]
fn undo_redo_swap_tie_and_both_bad_are_written_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("ben"));
    let id = ui.selected();
    let original = label_of(&ui.store(), id);
    assert_eq!(original.0, JudgmentSource::Original);
    let (oc, or) = (original.2.expect("chosen"), original.3.expect("rejected"));

    ui.key(egui::Key::S);
    assert_eq!(
        label_of(&ui.store(), id),
        (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(or), Some(oc)),
        "swap reverses the original"
    );
    ui.key(egui::Key::T);
    assert_eq!(label_of(&ui.store(), id).1, JudgmentKind::Tie);
    ui.key(egui::Key::X);
    assert_eq!(label_of(&ui.store(), id).1, JudgmentKind::BothBad);

    ui.key(egui::Key::U);
    assert_eq!(label_of(&ui.store(), id).1, JudgmentKind::Tie, "undo restores the tie");
    ui.key(egui::Key::U);
    ui.key(egui::Key::U);
    assert_eq!(label_of(&ui.store(), id), original, "three undos: the original label again");
    ui.key(egui::Key::R);
    assert_eq!(label_of(&ui.store(), id).2, Some(or), "redo re-applies the swap");
    assert_eq!(
        actions(&ui.store(), id),
        vec!["ben:swap", "ben:tie", "ben:both_bad", "ben:undo", "ben:undo", "ben:undo", "ben:redo"]
    );

    // Ctrl+Z is undo too.
    ui.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    ui.harness.step();
    assert_eq!(label_of(&ui.store(), id), original);

    // The history panel lists every action, newest first.
    ui.key(egui::Key::H);
    ui.harness.get_by_label("History");
    assert_eq!(ui.harness.query_all_by_label_contains(" · ben · undo").count(), 4, "three U and one Ctrl+Z");
    ui.harness.get_by_label_contains(" · ben · swap");

    // The original judgment row itself was never changed.
    let originals: i64 = ui
        .store()
        .conn()
        .query_row("SELECT count(*) FROM judgments WHERE sample_id = ?1 AND source = 'original'", [id], |r| r.get(0))
        .expect("count");
    assert_eq!(originals, 1);
}

#[test]
fn flag_with_a_reason_and_a_note_from_the_keyboard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("cy"));
    let id = ui.selected();
    ui.key(egui::Key::F);
    ui.harness.get_by_label("Flag this sample");
    ui.key(egui::Key::Num1);
    assert_eq!(ui.store().curation_state(id).expect("state").flag.as_deref(), Some("wrong label"));
    assert!(ui.harness.query_by_label("Flag this sample").is_none());
    ui.harness.get_by_label_contains("Flagged: wrong label");

    ui.key(egui::Key::N);
    ui.harness.get_by_label("Note");
    ui.type_text("caption mentions a dog");
    ui.harness.get_by_label("Save").click();
    ui.harness.step();
    ui.harness.step();
    assert_eq!(ui.store().curation_state(id).expect("state").note.as_deref(), Some("caption mentions a dog"));

    // F on a flagged sample unflags it.
    ui.key(egui::Key::F);
    assert_eq!(ui.store().curation_state(id).expect("state").flag, None);
    assert_eq!(actions(&ui.store(), id), vec!["cy:flag", "cy:note", "cy:unflag"]);
}

#[test]
fn the_filter_narrows_the_list_and_a_bad_query_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("di"));
    assert_eq!(ui.list_len(), 19);
    ui.key(egui::Key::Slash);
    ui.type_text("modality:video");
    ui.wait_for("the filtered list", |app| {
        app.project.as_ref().is_some_and(|p| !p.is_querying() && p.list.ids.len() == 3)
    });
    ui.harness.get_by_label("3 matches");
    // Keys typed into the query bar do not relabel.
    assert!(actions(&ui.store(), ui.selected()).is_empty());

    ui.type_text(" len_a>>");
    ui.harness.step();
    ui.harness.get_by_label("invalid query");
    ui.harness.get_by_label_contains("(at character");
    assert_eq!(ui.list_len(), 3, "the last good list stays");
}

/// `/` and the keys typed right after it arrive in one frame (a fast typist, or xdotool): they are
/// the filter's text, not shortcuts (`b` and `a` would pick B, then A).
#[test]
fn keys_typed_with_slash_in_one_frame_go_to_the_filter_not_to_shortcuts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("di"));
    let id = ui.selected();
    let mut events = vec![press(egui::Key::Slash), egui::Event::Text("/".into())];
    for (key, text) in [(egui::Key::B, "b"), (egui::Key::A, "a"), (egui::Key::D, "d")] {
        events.extend([press(key), egui::Event::Text(text.into())]);
    }
    ui.harness.input_mut().events.extend(events);
    ui.harness.step();
    ui.harness.step();
    assert!(actions(&ui.store(), id).is_empty(), "no shortcut ran: {:?}", actions(&ui.store(), id));
    assert_eq!(ui.harness.state().project.as_ref().map(|p| p.query.text.clone()).as_deref(), Some("bad"));
}

#[test]
fn media_samples_show_their_media_widgets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("ed"));
    // The first sample has an image: it is decoded off the UI thread and then drawn.
    ui.wait_for("the image", |app| app.project.as_ref().is_some_and(|p| !p.textures.has_pending()));
    ui.harness.get_by_label_contains("image 1 · input");
    assert!(
        ui.harness.state().project.as_ref().and_then(|p| p.textures.last_latency).is_some(),
        "an image was uploaded"
    );

    // Video samples get a player, audio samples a waveform player.
    let store = ui.store();
    let first_of = |modality: &str| -> SampleId {
        store
            .conn()
            .query_row("SELECT min(id) FROM samples WHERE modality = ?1", [modality], |r| r.get(0))
            .expect(modality)
    };
    for (modality, marker) in [("video", "video 1"), ("audio", "audio 1")] {
        let id = first_of(modality);
        let index =
            ui.harness.state().project.as_ref().and_then(|p| p.list.ids.iter().position(|x| *x == id)).expect("listed");
        ui.harness.state_mut().run_command(verdict::ui::commands::Command::Select(index));
        ui.harness.step();
        ui.harness.step();
        ui.harness.get_by_label_contains(marker);
        assert!(
            ui.harness.state().project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| !s.players.is_empty()),
            "{modality}: a player"
        );
    }
}

#[test]
fn a_running_import_job_can_be_cancelled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    // Large enough that the import is still running when Cancel is clicked.
    let big = dir.path().join("big.jsonl");
    let line = |i: usize| {
        format!(
            "{{\"prompt\": \"question {i} about a picture\", \"chosen\": \"answer {i} {}\", \"rejected\": \"other {i}\"}}\n",
            "word ".repeat(60)
        )
    };
    std::fs::write(&big, (0..200_000).map(line).collect::<String>()).expect("write");
    let mut ui = Ui::open(&project, Some("fa"));
    ui.harness.state_mut().run_command(verdict::ui::commands::Command::Import(Some(big.clone())));
    ui.wait_for_label("Detected layout: trl");
    ui.harness.get_by_label("Import").click();
    ui.harness.step();
    ui.wait_for("the job", |app| !app.jobs.running.is_empty());
    std::thread::sleep(Duration::from_millis(300));
    ui.harness.step();
    ui.harness.get_by_label("Cancel").click();
    ui.harness.step();
    ui.harness.step();
    let states: Vec<String> =
        ui.harness.state().jobs.running.iter().map(verdict::ui::jobs_panel::JobEntry::state_text).collect();
    assert!(states.len() <= 1, "one import job: {states:?}");
    ui.wait_for("the job to stop", |app| app.jobs.running.is_empty());
    ui.harness.get_by_label_contains("cancelled");
    let rows: i64 = ui
        .store()
        .conn()
        .query_row(
            "SELECT count(*) FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.name = 'big'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert!(rows < 200_000, "the import stopped early ({rows} rows kept)");
}

#[test]
fn the_statistics_panel_plots_the_project() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("gi"));
    ui.key(egui::Key::A);
    ui.key(egui::Key::G);
    ui.harness.get_by_label("Statistics");
    ui.wait_for_label("The chosen answer is the longer one in");
    // 12 RLAIF-V + 3 video + 4 audio pairs, all pairwise originals.
    ui.harness.get_by_label_contains("of 19 pairs");
    ui.harness.get_by_label_contains("19 samples · 1 touched by a curator");
    ui.harness.get_by_label("Ratings per aspect");
}

#[test]
fn the_project_query_and_sample_come_back_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let settings_file = dir.path().join("config").join("ui.json");
    let open = |settings: Settings| {
        let ctx = egui::Context::default();
        let app = VerdictApp::new(&ctx, settings, Some(settings_file.clone()), None);
        app_harness(app)
    };
    {
        let mut h = open(Settings::default());
        assert!(h.state().project.is_none(), "no project yet");
        h.state_mut().run_command(verdict::ui::commands::Command::OpenProject(Some(project.clone())));
        wait_until_loaded(&mut h);
        if let Some(p) = &mut h.state_mut().project {
            p.query.text = "modality:image".into();
            p.run_query();
        }
        wait_until_loaded(&mut h);
        h.state_mut().run_command(verdict::ui::commands::Command::Select(4));
        h.step();
        h.step();
    }
    assert!(settings_file.exists(), "settings written");
    let mut h = open(Settings::load(&settings_file));
    wait_until_loaded(&mut h);
    let p = h.state().project.as_ref().expect("the last project reopened");
    assert_eq!(p.path, project.canonicalize().expect("canonical"));
    assert_eq!(p.query.text, "modality:image");
    assert_eq!(p.list.selected, Some(4), "the last sample is selected again");
}

#[test]
fn an_older_project_is_upgraded_off_the_ui_thread_then_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    {
        // Back to the schema before the list columns (migration 3).
        let store = Store::open(&project).expect("open");
        store
            .conn()
            .execute_batch(
                "DROP TABLE sample_stats; ALTER TABLE datasets DROP COLUMN source_size;
                 DROP TABLE ops; DROP TABLE op_scratch; ALTER TABLE audit_log DROP COLUMN op_id;
             CREATE INDEX audit_log_time ON audit_log(created_at);
                 ALTER TABLE curation DROP COLUMN excluded;
                 DROP TABLE file_hashes; DROP TABLE fingerprints; DROP TABLE text_signatures; DROP TABLE dup_members;
                 DROP TABLE dup_groups; DROP TABLE contamination; DROP TABLE check_findings; DROP TABLE clean_runs;
                 ALTER TABLE datasets DROP COLUMN reference; DROP INDEX media_content; ALTER TABLE media DROP COLUMN content;
                 PRAGMA user_version = 2;",
            )
            .expect("downgrade");
    }
    assert!(Store::needs_upgrade(&project));
    let ctx = egui::Context::default();
    let settings = Settings { curator: Some("ha".into()), ..Settings::default() };
    let app = VerdictApp::new(&ctx, settings, None, Some(&project));
    assert!(app.is_opening() && app.project.is_none(), "the upgrade runs on a thread; the app is not blocked");
    let mut harness = app_harness(app);
    wait_until_loaded(&mut harness);
    assert_eq!(harness.state().project.as_ref().map(|p| p.list.ids.len()), Some(19));
    assert!(!Store::needs_upgrade(&project));
    assert_eq!(Store::open(&project).expect("open").schema_version().expect("version"), verdict::store::SCHEMA_VERSION);
}

#[test]
fn list_rows_are_clickable_and_a_header_click_sorts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("eve"));
    let ids = ui.harness.state().project.as_ref().expect("project").ids();
    // Each row is one widget that says what it shows; a click selects its sample.
    let fifth = ids[4];
    ui.harness.get_by_label_contains(&format!("#{fifth} rlaif_v image")).click();
    ui.harness.step();
    ui.harness.step();
    assert_eq!(ui.selected(), fifth);
    ui.wait_for("the clicked sample", |app| {
        app.project.as_ref().is_some_and(|p| p.sample.as_ref().is_some_and(|s| s.view.id == fifth))
    });

    // "len A" sorts by response A's length; a second click reverses it.
    let len_a = |ui: &Ui<'_>| -> Vec<i64> {
        let store = ui.store();
        let ids = ui.harness.state().project.as_ref().expect("project").ids();
        store.list_rows(&ids).expect("rows").iter().map(|r| r.len_a.unwrap_or(-1)).collect()
    };
    ui.harness.get_by_label("len A").click();
    ui.wait_for("the sorted list", |app| {
        app.project.as_ref().is_some_and(|p| p.sort == SortKey::LenA && !p.descending && !p.is_querying())
    });
    let ascending = len_a(&ui);
    assert!(ascending.windows(2).all(|w| w[0] <= w[1]), "ascending: {ascending:?}");
    assert_eq!(ui.selected(), fifth, "the selection stays on its sample");
    ui.harness.get_by_label("len A ^").click();
    ui.wait_for("the reversed list", |app| {
        app.project.as_ref().is_some_and(|p| p.sort == SortKey::LenA && p.descending && !p.is_querying())
    });
    let descending = len_a(&ui);
    assert!(descending.windows(2).all(|w| w[0] >= w[1]), "descending: {descending:?}");
}

#[test]
fn a_typed_path_opens_the_import_when_there_is_no_file_dialog() {
    use verdict::ui::commands::{Command, PathFor};
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let file = dir.path().join("pairs.jsonl");
    std::fs::write(&file, "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n").expect("write");
    let mut ui = Ui::open(&project, Some("gus"));

    // A path that does not exist is refused in the dialog, which stays open.
    ui.harness.state_mut().run_command(Command::EnterPath(PathFor::Import));
    ui.harness.step();
    ui.harness.step();
    ui.harness.get_by_label("Import a dataset file");
    ui.type_text("/no/such/file.jsonl");
    ui.harness.get_by_label("OK").click();
    ui.harness.step();
    ui.harness.step();
    ui.harness.get_by_label_contains("No file at /no/such/file.jsonl");
    ui.key(egui::Key::Escape);
    assert!(ui.harness.query_by_label("Import a dataset file").is_none(), "Esc closes it");

    // A real file goes on to the detected-layout confirmation, as a picked file does.
    ui.harness.state_mut().run_command(Command::EnterPath(PathFor::Import));
    ui.harness.step();
    ui.harness.step();
    ui.type_text(file.to_str().expect("utf8"));
    ui.harness.get_by_label("OK").click();
    ui.wait_for_label("Detected layout: trl");
}

/// A file dropped on the window, as the windowing integration hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_dataset_dropped_on_the_window_is_detected_and_imported_after_confirmation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let file = dir.path().join("dropped.jsonl");
    let row = |i: usize| {
        format!("{{\"prompt\": \"dropped question {i}\", \"chosen\": \"yes {i}\", \"rejected\": \"no {i}\"}}")
    };
    let rows = (0..5).map(row).collect::<Vec<_>>().join("\n");
    std::fs::write(&file, rows).expect("write");
    let mut ui = Ui::open(&project, Some("hal"));
    ui.harness.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(file.clone())));
    ui.harness.step();
    ui.wait_for_label("Detected layout: trl");
    ui.harness.get_by_label("Import").click();
    ui.harness.step();
    ui.wait_for("the import to finish", |app| !app.jobs.running.is_empty());
    ui.wait_for("the import to finish", |app| app.jobs.running.is_empty());
    let count: i64 = ui
        .store()
        .conn()
        .query_row(
            "SELECT count(*) FROM samples s JOIN datasets d ON d.id = s.dataset_id WHERE d.name = 'dropped'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(count, 5, "the dropped file's rows are in the project");
}

#[test]
fn the_selected_row_is_scrolled_into_view_in_a_long_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("long.verdict");
    let file = dir.path().join("long.jsonl");
    let row = |i: usize| format!("{{\"prompt\": \"long list question {i}\", \"chosen\": \"y\", \"rejected\": \"n\"}}");
    std::fs::write(&file, (0..3000).map(row).collect::<Vec<_>>().join("\n")).expect("write");
    let mut store = Store::open(&project).expect("project");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    drop(store);
    let mut ui = Ui::open(&project, Some("ida"));
    assert_eq!(ui.list_len(), 3000);
    let ids = ui.harness.state().project.as_ref().expect("project").ids();
    for (key, at) in [(egui::Key::End, 2999), (egui::Key::Home, 0), (egui::Key::End, 2999)] {
        ui.key(key);
        ui.harness.step();
        assert_eq!(ui.selected(), ids[at]);
        ui.harness.get_by_label_contains(&format!("#{} long", ids[at]));
    }
    // Far down, then the next rows follow the selection.
    for _ in 0..3 {
        ui.key(egui::Key::K);
    }
    ui.harness.get_by_label_contains(&format!("#{} long", ids[2996]));

    // A new query lists its first 2,000 rows before the rest: the selected sample, further down,
    // is scrolled to once the whole list is there (and stays in view).
    if let Some(p) = &mut ui.harness.state_mut().project {
        "question".clone_into(&mut p.query.text);
        p.run_query();
    }
    ui.wait_for("the new list", |app| app.project.as_ref().is_some_and(|p| !p.is_querying()));
    for _ in 0..5 {
        ui.harness.step();
    }
    assert_eq!(ui.selected(), ids[2996]);
    ui.harness.get_by_label_contains(&format!("#{} long", ids[2996]));
}

#[test]
fn enter_submits_the_curator_dialog_and_the_name_can_be_changed_and_is_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let settings_file = dir.path().join("config").join("ui.json");
    let mut ui = Ui::open_with(&project, Settings::default(), Some(settings_file.clone()), [1400.0, 900.0]);
    let id = ui.selected();
    ui.key(egui::Key::B);
    ui.harness.get_by_label("Who is curating?");
    // Typed at once (the field has the keyboard), then Enter: no click anywhere.
    ui.type_text("ana");
    ui.key(egui::Key::Enter);
    assert!(ui.harness.query_by_label("Who is curating?").is_none(), "Enter closes it");
    assert_eq!(actions(&ui.store(), id), vec!["ana:pick_b"], "and the pick waiting for the name is applied");

    // File > Change curator… asks again with the name filled in; Esc keeps the old one.
    ui.harness.get_by_label("File").click();
    ui.wait_for_label("Change curator…");
    ui.harness.get_by_label("Change curator…").click();
    ui.wait_for_label("The name written into the audit log");
    ui.type_text("zzz");
    ui.key(egui::Key::Escape);
    assert!(ui.harness.query_by_label_contains("The name written into the audit log").is_none(), "Esc closes it");
    assert_eq!(ui.harness.state().settings.curator.as_deref(), Some("ana"));

    ui.harness.state_mut().run_command(verdict::ui::commands::Command::ChangeCurator);
    ui.harness.step();
    ui.harness.step();
    for _ in 0..3 {
        ui.key(egui::Key::Backspace);
    }
    ui.type_text("bea");
    ui.key(egui::Key::Enter);
    assert_eq!(ui.harness.state().settings.curator.as_deref(), Some("bea"));
    ui.key(egui::Key::A);
    assert_eq!(actions(&ui.store(), id), vec!["ana:pick_b", "bea:pick_a"], "the new name signs what follows");
    ui.harness.step();
    assert_eq!(Settings::load(&settings_file).curator.as_deref(), Some("bea"), "persisted like the first name");
}

#[test]
fn the_flag_dialog_takes_a_typed_reason_at_once_and_digits_pick_a_listed_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("cy"));
    let flag = |ui: &Ui<'_>, id| ui.store().curation_state(id).expect("state").flag;
    let first = ui.selected();
    // Typed without clicking into the field first, then Enter.
    ui.key(egui::Key::F);
    ui.type_text("blurry crop");
    ui.key(egui::Key::Enter);
    assert_eq!(flag(&ui, first).as_deref(), Some("blurry crop"));
    assert!(ui.harness.query_by_label("Flag this sample").is_none());

    // A digit picks its reason (and types nothing) while the field is empty.
    ui.key(egui::Key::J);
    let second = ui.selected();
    ui.key(egui::Key::F);
    ui.key_with_text(egui::Key::Num3, "3");
    assert_eq!(flag(&ui, second).as_deref(), Some("bad media"));
    assert!(ui.harness.query_by_label("Flag this sample").is_none());

    // Esc cancels, whatever was typed.
    ui.key(egui::Key::J);
    let third = ui.selected();
    ui.key(egui::Key::F);
    ui.type_text("half a reason");
    ui.key(egui::Key::Escape);
    assert!(ui.harness.query_by_label("Flag this sample").is_none(), "Esc closes it");
    assert_eq!(flag(&ui, third), None);

    // The note: Ctrl+Enter saves, Esc leaves it as it was.
    ui.key(egui::Key::N);
    ui.type_text("check the caption");
    ui.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    ui.harness.step();
    ui.harness.step();
    let note = |ui: &Ui<'_>| ui.store().curation_state(third).expect("state").note;
    assert_eq!(note(&ui).as_deref(), Some("check the caption"));
    assert!(ui.harness.query_by_label("Note").is_none(), "saved and closed");
    ui.key(egui::Key::N);
    ui.type_text(" and more");
    ui.key(egui::Key::Escape);
    assert!(ui.harness.query_by_label("Note").is_none(), "Esc closes it");
    assert_eq!(note(&ui).as_deref(), Some("check the caption"));
    assert_eq!(actions(&ui.store(), third), vec!["cy:note"]);
}

#[test]
fn enter_and_esc_work_in_the_path_import_and_save_filter_dialogs_and_the_cheat_sheet() {
    use verdict::ui::commands::{Command, PathFor};
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let file = dir.path().join("pairs.jsonl");
    std::fs::write(&file, "{\"prompt\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}\n").expect("write");
    let mut ui = Ui::open(&project, Some("dee"));
    let datasets = |ui: &Ui<'_>| -> i64 {
        ui.store().conn().query_row("SELECT count(*) FROM datasets", [], |r| r.get(0)).expect("count")
    };
    let before = datasets(&ui);

    // A typed path: Enter on a wrong one says why and keeps the dialog (and the field) open.
    ui.harness.state_mut().run_command(Command::EnterPath(PathFor::Import));
    ui.harness.step();
    ui.harness.step();
    ui.type_text("/no/such/file.jsonl");
    ui.key(egui::Key::Enter);
    ui.harness.get_by_label_contains("No file at /no/such/file.jsonl");
    for _ in 0.."/no/such/file.jsonl".len() {
        ui.key(egui::Key::Backspace);
    }
    ui.type_text(file.to_str().expect("utf8"));
    ui.key(egui::Key::Enter);
    ui.wait_for_label("Detected layout: trl");
    // The confirmation: Esc cancels, Enter imports.
    ui.key(egui::Key::Escape);
    assert!(ui.harness.query_by_label("Import dataset").is_none(), "Esc closes the confirmation");
    ui.harness.state_mut().run_command(Command::Import(Some(file.clone())));
    ui.wait_for_label("Detected layout: trl");
    ui.key(egui::Key::Enter);
    ui.wait_for("the import", |app| app.jobs.running.is_empty() && !app.jobs.notifications.is_empty());
    assert_eq!(datasets(&ui), before + 1, "one import: Enter's");

    // Save filter: Enter saves under the typed name.
    ui.harness.get_by_label("Filters").click();
    ui.wait_for_label("Save current query…");
    ui.harness.get_by_label("Save current query…").click();
    ui.harness.step();
    ui.harness.step();
    ui.type_text("mine");
    ui.key(egui::Key::Enter);
    assert!(ui.harness.state().settings.saved_filters.iter().any(|f| f.name == "mine"));
    assert!(ui.harness.query_by_label("Save filter").is_none());

    // The cheat sheet: ? opens it, Esc closes it; keys are named as people write them.
    ui.key(egui::Key::Questionmark);
    assert!(ui.harness.state().cheat_sheet);
    ui.harness.get_by_label("Ctrl+Z / U");
    ui.harness.get_by_label("? / F1");
    ui.harness.get_by_label("/");
    ui.harness.get_by_label("J / ↓");
    assert!(ui.harness.query_by_label_contains("Questionmark").is_none());
    ui.key(egui::Key::Escape);
    assert!(!ui.harness.state().cheat_sheet, "Esc closes the cheat sheet");
}

/// The rect of the badge reading `text`: one row of small text, wider than tall.
fn assert_one_row(ui: &Ui<'_>, text: &str) {
    let rect = ui.harness.get_by_label(text).rect();
    assert!(rect.width() > rect.height() && rect.height() < 24.0, "badge {text:?} wraps: {rect:?}");
}

#[test]
fn badges_stay_one_row_with_the_statistics_open_and_at_the_minimum_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    for size in [[1400.0, 900.0], verdict::ui::app::MIN_WINDOW] {
        let mut ui = Ui::open(&project, Some("eve"));
        ui.harness.set_size(size.into());
        ui.key(egui::Key::B);
        ui.key(egui::Key::G);
        ui.wait_for_label("The chosen answer is the longer one in");
        for _ in 0..3 {
            ui.harness.step();
        }
        for badge in ["chosen (now)", "rejected (now)", "chosen (original)", "rejected (original)"] {
            assert_one_row(&ui, badge);
        }
        // The sample view keeps its least width beside the list and the statistics.
        let sample = ui.harness.get_by_label("Prompt").rect();
        let stats = ui.harness.get_by_label("Statistics").rect();
        assert!(stats.min.x - sample.min.x >= 430.0, "{size:?}: sample view {sample:?}, statistics at {stats:?}");
        ui.key(egui::Key::U);
    }
}

#[test]
fn the_word_diff_is_coloured_by_the_current_labels_chosen_and_rejected_side() {
    use verdict::ui::theme::{DIFF_CHOSEN, DIFF_NEUTRAL, DIFF_REJECTED};
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("flo"));
    let highlights = |ui: &Ui<'_>| {
        ui.harness.state().project.as_ref().and_then(|p| p.sample.as_ref()).expect("a sample").diff_highlights()
    };
    // The demo's first pair is A > B originally: A is the chosen side, though it is "A".
    assert_eq!(highlights(&ui), [DIFF_CHOSEN, DIFF_REJECTED]);
    ui.key(egui::Key::B);
    assert_eq!(highlights(&ui), [DIFF_REJECTED, DIFF_CHOSEN], "the curator's pick turns the colours");
    ui.key(egui::Key::T);
    assert_eq!(highlights(&ui), [DIFF_NEUTRAL, DIFF_NEUTRAL], "a tie prefers neither");
    ui.key(egui::Key::X);
    assert_eq!(highlights(&ui), [DIFF_NEUTRAL, DIFF_NEUTRAL], "both bad neither");
    ui.key(egui::Key::U);
    ui.key(egui::Key::U);
    ui.key(egui::Key::U);
    assert_eq!(highlights(&ui), [DIFF_CHOSEN, DIFF_REJECTED], "undone: the original's colours");
}

#[test]
fn a_long_pairs_diff_comes_from_its_thread_and_the_candidates_show_meanwhile() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("long.verdict");
    let file = dir.path().join("long.jsonl");
    let answer = |word: &str| (0..3000).map(|i| format!("Sentence {i} is {word}.")).collect::<Vec<_>>().join(" ");
    let row = serde_json::json!({"prompt": "long", "chosen": answer("right"), "rejected": answer("wrong")});
    std::fs::write(&file, format!("{row}\n")).expect("write");
    let mut store = Store::open(&project).expect("project");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    let id = store.matching_ids(&verdict::query::compile("").expect("q"), SortKey::Id, false).expect("ids")[0];
    // Loading does not diff the pair (60 KB each): that happens on a thread.
    let mut loaded = verdict::ui::loaded::LoadedSample::load(&store, id).expect("load");
    assert!(loaded.diff.as_ref().is_some_and(verdict::ui::diff::WordDiff::is_pending));
    let (a, b) = loaded.diff.as_mut().and_then(verdict::ui::diff::WordDiff::wait).expect("the thread answers");
    assert!(!a.marks.is_empty() && !b.marks.is_empty(), "what the marks are is `ui::diff`'s tests' concern");
    drop(store);

    let mut ui = Ui::open(&project, Some("gil"));
    ui.harness.get_by_label_contains("Sentence 2999 is right.");
    ui.wait_for("the marks", |app| {
        app.project
            .as_ref()
            .and_then(|p| p.sample.as_ref())
            .is_some_and(|s| s.diff.as_ref().is_some_and(|d| d.ready().is_some()))
    });
}
