//! Curators sharing a project, in the real app (kittest): an undo another curator's later change
//! refuses is said, naming that change, and passed over, so the next U reaches the action before
//! it (and the status bar stops offering it); the app signs as `$VERDICT_CURATOR` without asking,
//! else asks starting from `$USER` (the environment is passed in, not set on the process, which
//! the tests' threads share); a listed reason has one spelling whether the app or the CLI wrote it.

mod ui_common;
use egui_kittest::kittest::Queryable;
use std::path::Path;
use std::time::{Duration, Instant};
use ui_common::*;
use verdict::model::{JudgmentKind, JudgmentSource, OpId};
use verdict::store::{Actor, CurationAction, Store};
use verdict::ui::{CuratorEnv, Settings};

fn notices(ui: &Ui<'_>) -> Vec<String> {
    ui.harness.state().jobs.notifications.iter().map(|n| n.text.clone()).collect()
}

fn op_state(ui: &Ui<'_>, op: OpId) -> String {
    ui.store().conn().query_row("SELECT state FROM ops WHERE id = ?1", [op.0], |r| r.get(0)).expect("op")
}

fn latest_op(ui: &Ui<'_>) -> OpId {
    ui.store().latest_op().expect("op")
}

#[test]
fn u_after_another_curators_change_is_refused_once_then_reaches_the_action_before() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("alice"));
    // Alice flags the first sample (1: the first listed reason), then picks B on the second.
    let first = ui.selected();
    ui.key(egui::Key::F);
    ui.key_with_text(egui::Key::Num1, "1");
    let flag = latest_op(&ui);
    ui.key(egui::Key::J);
    let second = ui.selected();
    ui.key(egui::Key::B);
    let pick = latest_op(&ui);
    ui.harness.get_by_label(&format!("Undo: pick b (#{pick})"));

    // Bob, in another window, ties that sample.
    let mut bob = Store::open(&project).expect("Bob's connection");
    bob.apply(&Actor::new("bob", "app"), second, &CurationAction::Tie).expect("tie");
    let tie = bob.latest_op().expect("op");

    // U: refused, naming Bob's change; the pick is marked and the status bar offers the flag.
    ui.key(egui::Key::U);
    let said = notices(&ui);
    assert!(
        said.iter().any(|n| n.contains(&format!("sample {second} was changed later (tie by bob"))
            && n.contains(&format!("operation #{tie})"))),
        "{said:?}"
    );
    assert_eq!(label_of(&ui.store(), second).1, JudgmentKind::Tie, "Bob's tie stays");
    assert_eq!(op_state(&ui, pick), "blocked");
    ui.harness.get_by_label(&format!("Undo: flag (#{flag})"));
    assert!(ui.harness.query_by_label(&format!("Undo: pick b (#{pick})")).is_none(), "no longer offered");

    // The next U undoes the flag, and says on which sample.
    ui.key(egui::Key::U);
    assert_eq!(ui.store().curation_state(first).expect("state").flag, None);
    assert!(
        notices(&ui).iter().any(|n| n == &format!("Undid flag (wrong label) on sample {first}")),
        "{:?}",
        notices(&ui)
    );
    ui.harness.get_by_label("Nothing to undo");

    // A new edit and its undo do not bring the refused action back.
    ui.key(egui::Key::S);
    let swapped = ui.selected();
    ui.key(egui::Key::U);
    assert_eq!(label_of(&ui.store(), swapped).0, JudgmentSource::Original);
    let ops = latest_op(&ui);
    ui.key(egui::Key::U);
    assert_eq!(latest_op(&ui), ops, "nothing more was undone");
    let last = notices(&ui).pop().unwrap_or_default();
    assert!(last.contains(&format!("#{pick} (pick b) cannot be undone, changed later by bob")), "{last}");
    assert_eq!(label_of(&ui.store(), second).1, JudgmentKind::Tie);
}

/// A project and the app on it with `settings` and the environment `env`, saving to a file.
fn open_env(dir: &Path, settings: Settings, env: CuratorEnv) -> Ui<'static> {
    let project = demo_project(dir);
    Ui::open_env(&project, settings, Some(dir.join("ui.json")), [1400.0, 900.0], env)
}

#[test]
fn the_app_signs_as_verdict_curator_without_asking_else_asks_starting_from_user() {
    // $VERDICT_CURATOR signs at once, over the name saved in the settings, and is not saved.
    let dir = tempfile::tempdir().expect("tempdir");
    let env = CuratorEnv { curator: Some("vic".into()), user: Some("ursula".into()) };
    let saved = Settings { curator: Some("sam".into()), ..Settings::default() };
    let mut ui = open_env(dir.path(), saved, env);
    let id = ui.selected();
    ui.harness.get_by_label("Curator: vic");
    ui.key(egui::Key::B);
    assert!(ui.harness.query_by_label("Who is curating?").is_none(), "not asked");
    assert_eq!(actions(&ui.store(), id), ["vic:pick_b"]);
    ui.key(egui::Key::J);
    assert_eq!(Settings::load(&dir.path().join("ui.json")).curator.as_deref(), Some("sam"), "the saved name stays");
    // File > Change curator… still changes it (from the name in use), and that name is saved.
    ui.harness.state_mut().run_command(verdict::ui::commands::Command::ChangeCurator);
    ui.harness.step();
    ui.harness.step();
    for _ in 0.."vic".len() {
        ui.key(egui::Key::Backspace);
    }
    ui.type_text("wen");
    ui.key(egui::Key::Enter);
    ui.key(egui::Key::A);
    assert_eq!(actions(&ui.store(), ui.selected()), ["wen:pick_a"]);
    ui.harness.step();
    assert_eq!(Settings::load(&dir.path().join("ui.json")).curator.as_deref(), Some("wen"));

    // Without it, the saved name signs.
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = Settings { curator: Some("sam".into()), ..Settings::default() };
    let mut ui = open_env(dir.path(), saved, CuratorEnv { curator: None, user: Some("ursula".into()) });
    let id = ui.selected();
    ui.key(egui::Key::B);
    assert_eq!(actions(&ui.store(), id), ["sam:pick_b"]);

    // Without either, the question starts from $USER: Enter takes it.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ui = open_env(dir.path(), Settings::default(), CuratorEnv { curator: None, user: Some("ursula".into()) });
    let id = ui.selected();
    ui.key(egui::Key::B);
    ui.harness.get_by_label("Who is curating?");
    assert!(ui.store().audit_log(id).expect("log").is_empty(), "asked before anything is written");
    ui.key(egui::Key::Enter);
    assert_eq!(actions(&ui.store(), id), ["ursula:pick_b"]);
    assert_eq!(ui.harness.state().curator(), Some("ursula"));
}

fn verdict(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_verdict")).args(args).output().expect("runs verdict");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_reason_flagged_from_the_app_and_the_cli_has_one_spelling() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let p = project.to_str().expect("utf8");
    let mut ui = Ui::open(&project, Some("ana"));
    // The app flags the sample shown with the listed "wrong label" (F, 1) ...
    let from_app = ui.selected();
    ui.key(egui::Key::F);
    ui.key_with_text(egui::Key::Num1, "1");
    // ... and the CLI flags another, typing it as `wrong_label`.
    ui.key(egui::Key::J);
    let from_cli = ui.selected();
    verdict(&["label", p, "--where", &format!("id:{from_cli}"), "--flag", "wrong_label", "--curator", "cli"]);

    for id in [from_app, from_cli] {
        let show: serde_json::Value =
            serde_json::from_str(verdict(&["show", p, &id.to_string(), "--json"]).trim()).expect("json");
        assert_eq!(show["curation"]["flag"], "wrong label", "sample {id}: {show}");
    }
    ui.wait_for("the CLI's flag", |app| {
        app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.state.flag.is_some())
    });
    ui.harness.get_by_label("Flagged: wrong label"); // the badge of the sample shown (the CLI's)

    // The export's manifest lists both left out with the same words.
    let out = dir.path().join("out");
    verdict(&["export", p, "--out", out.to_str().expect("utf8")]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest")).expect("json");
    let flagged: Vec<(i64, String)> = manifest["left_out"]
        .as_array()
        .expect("left_out")
        .iter()
        .filter(|l| l["reason"] == "flagged")
        .map(|l| (l["sample"].as_i64().unwrap_or(0), l["detail"].as_str().unwrap_or_default().to_owned()))
        .collect();
    let mut expected = vec![(from_app.0, "wrong label".to_owned()), (from_cli.0, "wrong label".to_owned())];
    expected.sort();
    assert_eq!(flagged, expected, "{manifest}");
}

/// The delay the window's last frame asked before the next (`Duration::MAX`: none until input).
fn next_frame_after(ui: &Ui<'_>) -> Duration {
    ui.harness.output().viewport_output.get(&egui::ViewportId::ROOT).map_or(Duration::MAX, |v| v.repaint_delay)
}

#[test]
fn another_windows_edit_shows_here_while_an_idle_window_asks_for_no_frames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("alice"));
    let shown = ui.selected();
    // Settled, the window asks for no frame: nothing wakes it to look for other windows' changes.
    let settled = Instant::now();
    while next_frame_after(&ui) != Duration::MAX {
        assert!(settled.elapsed() < Duration::from_mins(1), "still asks for a frame in {:?}", next_frame_after(&ui));
        ui.harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }

    // Bob, in another window, ties the sample Alice is looking at: her window notices (its watching
    // thread, which also wakes it: `store::watch`'s tests) and shows it.
    let mut bob = Store::open(&project).expect("Bob's connection");
    bob.apply(&Actor::new("bob", "app"), shown, &CurationAction::Tie).expect("tie");
    ui.wait_for("Bob's tie in Alice's open sample", |app| {
        let sample = app.project.as_ref().and_then(|p| p.sample.as_ref());
        sample.and_then(|s| s.label.as_ref()).is_some_and(|l| l.kind == JudgmentKind::Tie)
    });
}
