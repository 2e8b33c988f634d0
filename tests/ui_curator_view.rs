//! What a curator meets in the real app (`egui_kittest`), each where it once went wrong: a query
//! typed key by key that ends wrong keeps the last list and says so; the list's "now" column says
//! "both bad" in words; at 1064x600 the first answer starts on screen under a video or an image;
//! the image's zoom hint stays on the image; a critique-only rating aspect is not drawn over by its
//! button; the cheat sheet fits a 900 px window; a missing video says so once.

mod ui_common;
use egui::Key;
use egui_kittest::kittest::{NodeT, Queryable};
use std::path::{Path, PathBuf};
use ui_common::*;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::store::Store;
use verdict::ui::Settings;
use verdict::ui::commands::Command;
use verdict::ui::loaded::Player;

/// Types `text` one key at a time, letting the query each key runs finish before the next, as
/// the list follows a curator's typing.
fn type_keys(ui: &mut Ui<'_>, text: &str) {
    for c in text.chars() {
        ui.type_text(&c.to_string());
        ui.wait_for("the query", |app| app.project.as_ref().is_some_and(|p| !p.is_querying()));
    }
}

fn backspaces(ui: &mut Ui<'_>, n: usize) {
    for _ in 0..n {
        ui.key(Key::Backspace);
        ui.wait_for("the query", |app| app.project.as_ref().is_some_and(|p| !p.is_querying()));
    }
}

/// Shows the first sample of `modality` and waits until it is loaded.
fn show_first(ui: &mut Ui<'_>, modality: &str) -> SampleId {
    let id: SampleId = ui
        .store()
        .conn()
        .query_row("SELECT min(id) FROM samples WHERE modality = ?1", [modality], |r| r.get(0))
        .expect(modality);
    let index = ui.harness.state().project.as_ref().and_then(|p| p.list.ids.iter().position(|x| *x == id));
    ui.harness.state_mut().run_command(Command::Select(index.expect("listed")));
    ui.wait_for("the sample", |app| {
        app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.view.id == id)
    });
    id
}

fn sample<'a>(ui: &'a Ui<'_>) -> &'a verdict::ui::loaded::LoadedSample {
    ui.harness.state().project.as_ref().and_then(|p| p.sample.as_ref()).expect("a sample shown")
}

#[test]
fn a_query_typed_key_by_key_that_ends_wrong_keeps_the_last_list_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("di"));
    assert_eq!(ui.list_len(), 19);
    ui.key(Key::Slash);
    // `m` ... `modality` are free text that matches nothing; `modality:` does not compile.
    type_keys(&mut ui, "modality:imag");
    assert_eq!(ui.list_len(), 19, "the list of the filter before the typing, not of a word typed halfway");
    ui.harness.get_by_label("invalid query");
    ui.harness.get_by_label_contains("unknown modality `imag`");
    ui.harness.get_by_label_contains("the list shows every sample");
    assert!(ui.harness.state().project.as_ref().is_some_and(|p| p.sample.is_some()), "a sample is shown");
    assert!(ui.harness.query_by_label_contains("Import a dataset").is_none(), "no advice to import");

    // Back to nothing, then a good filter and a condition typed after it.
    backspaces(&mut ui, "modality:imag".len());
    assert_eq!(ui.list_len(), 19);
    ui.type_text("modality:video");
    ui.wait_for("the filtered list", |app| app.project.as_ref().is_some_and(|p| p.list.ids.len() == 3));
    type_keys(&mut ui, " len_a>");
    assert_eq!(ui.list_len(), 3, "the last filter's list, not that of `len_a` typed as free text");
    ui.harness.get_by_label("invalid query");
    ui.harness.get_by_label_contains("the list still shows the matches of `modality:video`");

    // Fixed: the filter as typed again.
    type_keys(&mut ui, "100");
    assert!(ui.harness.query_by_label("invalid query").is_none());
    let expected: i64 = ui
        .store()
        .conn()
        .query_row("SELECT count(*) FROM sample_stats WHERE modality = 'video' AND len_a > 100", [], |r| r.get(0))
        .expect("count");
    assert_eq!(ui.list_len() as i64, expected);
}

#[test]
fn the_now_column_says_both_bad_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("fe"));
    let id = ui.selected();
    ui.key(Key::X);
    assert_eq!(label_of(&ui.store(), id).1, verdict::model::JudgmentKind::BothBad);
    ui.harness.step();
    let prefix = format!("#{id} ");
    let row = ui.harness.get_by_label_contains(&prefix);
    let text = row.accesskit_node().label().unwrap_or_default();
    assert!(text.contains(" both bad "), "the row reads {text:?}");
    assert!(ui.harness.query_by_label_contains("both_bad").is_none(), "no code shown");
}

/// The status bar's top: the sample view ends there.
fn view_bottom(ui: &Ui<'_>) -> f32 {
    ui.harness.get_by_label_contains("Nothing to undo").rect().top()
}

/// At 1064x600 the first candidate's header and first lines are on screen without scrolling.
fn assert_first_answer_on_screen(ui: &Ui<'_>, answer_starts: &str) {
    let bottom = view_bottom(ui);
    let header = ui.harness.get_by_label("A").rect();
    assert!(header.bottom() <= bottom, "candidate A's header at {header:?}, the view ends at {bottom}");
    let text = ui.harness.get_by_label_contains(answer_starts).rect();
    assert!(text.top() + 40.0 <= bottom, "A's answer starts at {}, the view ends at {bottom}", text.top());
}

#[test]
fn at_1064_by_600_the_first_answer_starts_on_screen_under_a_video_or_an_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let settings = Settings { curator: Some("gu".into()), ..Settings::default() };
    let mut ui = Ui::open_with(&project, settings, None, [1064.0, 600.0]);
    let image_sample = ui.selected();

    // A video (160x120: as wide as the view, 330 px tall, with its controls under it).
    show_first(&mut ui, "video");
    ui.wait_for("the first frame", |app| {
        app.project
            .as_ref()
            .and_then(|p| p.sample.as_ref())
            .is_some_and(|s| s.players.values().any(|p| matches!(p, Player::Video(v) if v.shown_pts().is_some())))
    });
    ui.harness.step();
    assert_first_answer_on_screen(&ui, "A red ball moves from the left");

    // An image (480x360): fitted no taller than leaves room for the answers, still a picture.
    let index = ui.harness.state().project.as_ref().and_then(|p| p.list.ids.iter().position(|x| *x == image_sample));
    ui.harness.state_mut().run_command(Command::Select(index.expect("listed")));
    ui.wait_for("the image", |app| {
        app.project
            .as_ref()
            .is_some_and(|p| !p.textures.has_pending() && p.sample.as_ref().is_some_and(|s| s.view.id == image_sample))
    });
    ui.harness.step();
    assert_first_answer_on_screen(&ui, "The image shows two simple shapes");
    let image = ui.harness.get_by_label_contains("wheel: zoom").rect();
    assert!(image.height() >= 140.0, "the image is still a picture: {image:?}");
}

#[test]
fn the_images_zoom_hint_stays_on_the_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let settings = Settings { curator: Some("ha".into()), ..Settings::default() };
    let mut ui = Ui::open_with(&project, settings, None, [1064.0, 600.0]);
    ui.wait_for("the image", |app| app.project.as_ref().is_some_and(|p| !p.textures.has_pending()));
    ui.harness.step();
    // The image lies between its title and the first candidate's header.
    let title = ui.harness.get_by_label_contains("image 1 · input").rect();
    let header = ui.harness.get_by_label("A").rect();
    // The pointer on the image's lower part, long enough for a tooltip to open.
    ui.harness.hover_at(egui::pos2(title.left() + 100.0, header.top() - 30.0));
    for _ in 0..90 {
        ui.harness.step();
    }
    let hints: Vec<egui::Rect> = ui.harness.query_all_by_label_contains("wheel: zoom").map(|n| n.rect()).collect();
    assert!(!hints.is_empty(), "the hint is there");
    for r in hints {
        assert!(r.top() >= title.bottom() && r.bottom() <= header.top(), "the hint at {r:?} leaves the image");
        assert!(!r.intersects(header), "the hint at {r:?} covers candidate A's header {header:?}");
    }
}

#[test]
fn a_critique_only_rating_aspect_is_not_drawn_over_by_its_button() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("io"));
    show_first(&mut ui, "audio");
    ui.harness.step();
    let aspects: Vec<egui::Rect> = ui.harness.query_all_by_label("text_critique").map(|n| n.rect()).collect();
    assert_eq!(aspects.len(), 2, "one text_critique line per candidate");
    let buttons: Vec<egui::Rect> = ui.harness.query_all_by_label("Correct…").map(|n| n.rect()).collect();
    assert!(!buttons.is_empty());
    for a in &aspects {
        assert!(a.width() > 40.0, "the name is laid out whole: {a:?}");
        for b in &buttons {
            assert!(!a.intersects(*b), "the aspect {a:?} is under a button {b:?}");
        }
    }
}

#[test]
fn the_cheat_sheet_fits_a_900_px_window_and_the_smallest_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, Some("jo"));
    ui.key(Key::F1);
    assert!(ui.harness.state().cheat_sheet);
    settle(&mut ui);
    let shown = sheet_rect(&ui, [1400.0, 900.0]);
    for (_, help) in verdict::ui::commands::cheat_sheet(&ui.harness.ctx) {
        let line = ui.harness.get_by_label(help).rect();
        assert!(shown.contains_rect(line), "{help:?} at {line:?} is cut off ({shown:?} shows)");
    }
    for note in ["Ctrl-click or Shift-click rows", "Keys are ignored while typing"] {
        let line = ui.harness.get_by_label_contains(note).rect();
        assert!(shown.contains_rect(line), "{note:?} at {line:?} is cut off ({shown:?} shows)");
    }

    // The smallest window: in columns, still whole.
    let settings = Settings { curator: Some("jo".into()), ..Settings::default() };
    let mut ui = Ui::open_with(&project, settings, None, [1064.0, 600.0]);
    ui.key(Key::F1);
    settle(&mut ui);
    let shown = sheet_rect(&ui, [1064.0, 600.0]);
    for (_, help) in verdict::ui::commands::cheat_sheet(&ui.harness.ctx) {
        let line = ui.harness.get_by_label(help).rect();
        assert!(shown.contains_rect(line), "{help:?} at {line:?} is cut off at 1064x600 ({shown:?} shows)");
    }
}

/// Steps frames until the cheat sheet's window stops growing: egui sizes a window from the frame
/// before, so a tall one reaches its size over a few frames (a fraction of a second on screen).
fn settle(ui: &mut Ui<'_>) {
    let size = |ui: &Ui<'_>| {
        let title = ui.harness.get_by_label("Keyboard").rect().center();
        ui.harness.ctx.memory(|m| m.layer_id_at(title).and_then(|layer| m.area_rect(layer.id)))
    };
    let mut last = None;
    for _ in 0..30 {
        ui.harness.step();
        let now = size(ui);
        if now.is_some() && now == last {
            return;
        }
        last = now;
    }
    panic!("the cheat sheet's window did not settle in 30 frames: {last:?}");
}

/// What of the cheat sheet shows: its window (the area under its title), within the screen.
fn sheet_rect(ui: &Ui<'_>, screen: [f32; 2]) -> egui::Rect {
    let title = ui.harness.get_by_label("Keyboard").rect().center();
    let window = ui
        .harness
        .ctx
        .memory(|m| m.layer_id_at(title).and_then(|layer| m.area_rect(layer.id)))
        .expect("the cheat sheet's window");
    window.intersect(egui::Rect::from_min_size(egui::Pos2::ZERO, screen.into()))
}

/// A project with one video sample whose file is not there.
fn missing_video(dir: &Path) -> PathBuf {
    let row = r#"{"id": "gone-1", "prompt": "<video>\nWhat is shown?", "video": "media/gone.mp4", "chosen": "A test pattern.", "rejected": "A cat."}"#;
    std::fs::write(dir.join("gone.jsonl"), format!("{row}\n")).expect("write the dataset");
    let path = dir.join("gone.verdict");
    let mut store = Store::open(&path).expect("project");
    import_file(&mut store, &dir.join("gone.jsonl"), &ImportOptions::default(), &mut Progress::silent())
        .expect("imports with a warning");
    path
}

#[test]
fn a_missing_video_says_so_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = missing_video(dir.path());
    let mut ui = Ui::open(&project, Some("ke"));
    ui.harness.step();
    assert_eq!(ui.harness.query_all_by_label_contains("media file not found").count(), 1);
    assert!(sample(&ui).players.is_empty(), "no player on bytes that are not there (it said: corrupt data)");
    for _ in 0..10 {
        ui.harness.step();
    }
    assert!(ui.harness.query_by_label_contains("corrupt").is_none());
    assert!(ui.harness.query_by_label_contains("no video data").is_none(), "the reason is said, once");
}
