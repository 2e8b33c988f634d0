//! File > Export… in the real app (`egui_kittest`) on a temporary demo project with a few curator
//! labels: Ctrl+E opens the dialog on the query bar's filter, a target and a folder are chosen and
//! the export runs as a job whose files and manifest match what the core says; the preview shows
//! the core's first rows and counts and follows the options; a bad filter says why and blocks the
//! export; Escape closes, Enter exports; a folder that is not empty needs the replace box; a
//! cancelled export leaves nothing behind; the dialog fits a narrow window.

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verdict::export::{self, ExportOptions, Target};
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::store::{CurationAction, Store};
use verdict::ui::export_dialog::PREVIEW_ROWS;
use verdict::ui::{Settings, VerdictApp};

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo").join(name)
}

/// The demo's RLAIF-V (12 image pairs), video and audio sets; sample 1 swapped, 2 flagged, 3 a tie.
fn demo_project(dir: &Path) -> PathBuf {
    let path = dir.join("p.verdict");
    let mut store = Store::open(&path).expect("project");
    for f in ["rlaif_v.parquet", "llava_dpo_video.jsonl", "align_anything_ta2t.parquet"] {
        import_file(&mut store, &demo(f), &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    }
    store.apply(&verdict::store::Actor::new("ana", "test"), SampleId(1), &CurationAction::Swap).expect("swap");
    store
        .apply(&verdict::store::Actor::new("ana", "test"), SampleId(2), &CurationAction::Flag("bad media".into()))
        .expect("flag");
    store.apply(&verdict::store::Actor::new("ana", "test"), SampleId(3), &CurationAction::Tie).expect("tie");
    path
}

struct Ui {
    harness: Harness<'static, VerdictApp>,
    project: PathBuf,
}

impl Ui {
    fn open(project: &Path, size: [f32; 2]) -> Self {
        let settings = Settings { curator: Some("ana".into()), ..Settings::default() };
        let ctx = egui::Context::default();
        let app = VerdictApp::new(&ctx, settings, None, Some(project));
        let harness = Harness::builder().with_size(size).build_ui_state(
            |ui, app: &mut VerdictApp| {
                let ctx = ui.ctx().clone();
                app.logic(&ctx);
                app.ui(ui);
            },
            app,
        );
        let mut ui = Self { harness, project: project.canonicalize().expect("canonical") };
        ui.wait_for("the project", |app| app.project.as_ref().is_some_and(|p| !p.is_querying() && p.sample.is_some()));
        ui
    }

    fn wait_for(&mut self, what: &str, cond: impl Fn(&VerdictApp) -> bool) {
        let start = Instant::now();
        while !cond(self.harness.state()) {
            assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        self.harness.step();
    }

    fn filter(&mut self, query: &str) {
        if let Some(p) = &mut self.harness.state_mut().project {
            query.clone_into(&mut p.query.text);
            p.run_query();
        }
        self.wait_for("the filtered list", |app| app.project.as_ref().is_some_and(|p| !p.is_querying()));
    }

    fn key(&mut self, modifiers: egui::Modifiers, key: egui::Key) {
        self.harness.key_press_modifiers(modifiers, key);
        self.harness.step();
        self.harness.step();
    }

    /// Ctrl+E, as the curator opens it.
    fn open_dialog(&mut self) {
        self.key(egui::Modifiers::COMMAND, egui::Key::E);
        self.harness.get_by_label("Export samples");
    }

    /// Replaces the text of the field labelled `label`, leaving the cursor in it.
    fn set_field(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.harness.step();
        self.harness.get_by_label(label).set_text_value_accesskit(text);
        self.harness.step();
        self.harness.step();
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    /// Waits until the dialog's preview is of the form as it is now.
    fn wait_for_preview(&mut self) {
        self.wait_for("the preview", |app| {
            app.export_dialog().is_some_and(|d| !d.is_previewing() && d.preview().is_some_and(|(_, current)| current))
        });
    }

    /// Waits for the export job's notification (a small export can end in the frame it starts).
    fn wait_for_export(&mut self) {
        self.wait_for("the export job to end", |app| {
            app.jobs.running.is_empty() && app.jobs.notifications.iter().any(|n| n.text.starts_with("Export "))
        });
    }

    fn notifications(&self) -> Vec<String> {
        self.harness.state().jobs.notifications.iter().map(|n| n.text.clone()).collect()
    }

    fn store(&self) -> Store {
        Store::open(&self.project).expect("reopen")
    }
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("manifest")).expect("json")
}

fn core_preview(store: &Store, options: &ExportOptions) -> export::Preview {
    export::preview(store, options, PREVIEW_ROWS, &mut Progress::silent()).expect("preview")
}

#[test]
fn ctrl_e_exports_the_filtered_samples_as_a_job() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let out = dir.path().join("lf");
    let mut ui = Ui::open(&project, [1400.0, 900.0]);
    ui.filter("modality:image");
    ui.open_dialog();
    assert_eq!(
        ui.harness.get_by_label("Samples").value().as_deref(),
        Some("modality:image"),
        "the filter starts as the query bar's"
    );
    ui.click("LLaMA-Factory");
    ui.harness.get_by_label_contains("sharegpt ranking rows");
    ui.set_field("Folder", out.to_str().expect("utf8"));
    ui.harness.get_by_label("A new folder: it will be created.");
    ui.click("Export");
    assert!(ui.harness.state().export_dialog().is_none(), "the dialog closes when the job starts");
    ui.wait_for_export();

    for f in ["train.jsonl", "dataset_info.json", "manifest.json", "media"] {
        assert!(out.join(f).exists(), "{f} written");
    }
    let m = manifest(&out);
    assert_eq!(m["target"], "llamafactory");
    assert_eq!(m["options"]["where"], "modality:image");
    assert_eq!(m["invocation"], serde_json::json!(["app"]));
    let mut options = ExportOptions::new(Target::LlamaFactory, &out);
    options.query = "modality:image".into();
    let expected = core_preview(&ui.store(), &options).counts;
    assert_eq!(m["counts"], serde_json::to_value(&expected).expect("counts"));
    // 12 image samples: the flagged one and the tie left out, the swap a curator's label.
    assert_eq!((expected.samples_matched, expected.rows_written, expected.curator_labels), (12, 10, 1));
    assert_eq!(expected.left_out_total(), 2);
    let lines = std::fs::read_to_string(out.join("train.jsonl")).expect("rows").lines().count();
    assert_eq!(lines, 10);

    let notes = ui.notifications();
    let done = notes.iter().find(|n| n.starts_with("Export LLaMA-Factory: wrote 10 rows")).expect("a notification");
    assert!(done.contains(&out.display().to_string()), "says where: {done}");
    assert!(done.contains("left out 2"), "says what was left out: {done}");
}

#[test]
fn the_preview_shows_the_cores_rows_and_counts_and_follows_the_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, [1400.0, 900.0]);
    ui.open_dialog();
    ui.wait_for_preview();
    let store = ui.store();
    let options = ExportOptions::new(Target::Trl, dir.path().join("unused"));
    let expected = core_preview(&store, &options);
    let (shown, _) = ui.harness.state().export_dialog().and_then(|d| d.preview()).expect("a preview");
    assert_eq!(shown.rows, expected.rows);
    assert_eq!(shown.counts, expected.counts);
    assert_eq!(expected.rows.len(), PREVIEW_ROWS);
    // On screen: each row as written, and the counts.
    for row in &expected.rows {
        ui.harness.get_by_label(row);
    }
    let c = &expected.counts;
    ui.harness.get_by_label(&format!("{} from {} samples", c.rows_written, c.samples_written));
    ui.harness.get_by_label(&format!("{} from curators, {} original", c.curator_labels, c.original_labels));
    ui.harness.get_by_label(&format!("{} samples", c.left_out_total()));
    assert_eq!(c.left_out.get("flagged"), Some(&1));
    ui.harness.get_by_label("flagged");

    // A changed option restarts the preview: flagged samples now count.
    ui.click("Include flagged samples");
    ui.wait_for_preview();
    let mut with_flagged = options.clone();
    with_flagged.include_flagged = true;
    let expected = core_preview(&store, &with_flagged);
    let (shown, _) = ui.harness.state().export_dialog().and_then(|d| d.preview()).expect("a preview");
    assert_eq!(shown.counts, expected.counts);
    assert_eq!(shown.counts.left_out.get("flagged"), None);
    assert_eq!(shown.counts.rows_written, c.rows_written + 1);

    // A filter that does not parse says why, in the dialog, and the export cannot start.
    ui.set_field("Samples", "len_a>>");
    // The parser's message right under the field (and again by the disabled button).
    let field = ui.harness.get_by_label("Samples").rect();
    let inline = ui
        .harness
        .get_all_by_label_contains("(at character")
        .map(|n| n.rect())
        .any(|r| r.min.y >= field.max.y && r.min.y < field.max.y + 30.0 && r.min.x < field.max.x);
    assert!(inline, "the message shows under the filter field");
    ui.wait_for("the preview to give up", |app| app.export_dialog().is_some_and(|d| !d.is_previewing()));
    assert!(ui.harness.get_by_label("Export").accesskit_node().is_disabled(), "Export is off");
    ui.key(egui::Modifiers::NONE, egui::Key::Enter);
    assert!(ui.harness.state().jobs.running.is_empty(), "Enter does not export a bad filter");
    assert!(ui.harness.state().export_dialog().is_some());
}

#[test]
fn escape_closes_the_dialog_and_enter_exports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let out = dir.path().join("out");
    let mut ui = Ui::open(&project, [1400.0, 900.0]);
    ui.open_dialog();
    ui.key(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(ui.harness.query_by_label("Export samples").is_none(), "Esc closes it");
    assert!(ui.harness.state().export_dialog().is_none());

    // Escape from inside a text field closes it too, in one press.
    ui.open_dialog();
    ui.set_field("Aspect", "x");
    ui.key(egui::Modifiers::NONE, egui::Key::Escape);
    assert!(ui.harness.state().export_dialog().is_none(), "Esc in a field closes the dialog");

    // The choices come back; Enter in the folder field starts the export.
    ui.open_dialog();
    assert_eq!(ui.harness.get_by_label("Aspect").value().as_deref(), Some("x"), "remembered");
    ui.set_field("Aspect", "");
    ui.click("ms-swift");
    ui.set_field("Folder", out.to_str().expect("utf8"));
    ui.key(egui::Modifiers::NONE, egui::Key::Enter);
    ui.wait_for_export();
    assert_eq!(manifest(&out)["target"], "swift");
    assert!(out.join("train.jsonl").exists());
}

#[test]
fn a_folder_that_is_not_empty_needs_the_replace_box() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let out = dir.path().join("busy");
    std::fs::create_dir(&out).expect("mkdir");
    std::fs::write(out.join("notes.txt"), "mine").expect("write");
    let mut ui = Ui::open(&project, [1400.0, 900.0]);
    ui.open_dialog();
    ui.click("OpenRLHF");
    ui.set_field("Folder", out.to_str().expect("utf8"));
    ui.harness.get_by_label("Holds 1 other entry (left alone).");
    assert!(ui.harness.get_by_label("Export").accesskit_node().is_disabled(), "not without the box");
    ui.key(egui::Modifiers::NONE, egui::Key::Enter);
    assert!(ui.harness.state().jobs.running.is_empty(), "Enter does not export either");
    ui.click("Replace an earlier export there");
    ui.click("Export");
    ui.wait_for_export();
    assert_eq!(manifest(&out)["target"], "openrlhf");
    assert_eq!(manifest(&out)["options"]["force"], true);
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).expect("kept"), "mine", "other files left alone");
}

#[test]
fn a_cancelled_export_leaves_nothing_and_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = dir.path().join("big.verdict");
    let file = dir.path().join("big.jsonl");
    let row = |i: usize| {
        format!(
            "{{\"prompt\": \"question {i}\", \"chosen\": \"answer {i} {}\", \"rejected\": \"no {i}\"}}",
            "w ".repeat(40)
        )
    };
    std::fs::write(&file, (0..30_000).map(row).collect::<Vec<_>>().join("\n")).expect("write");
    let mut store = Store::open(&project).expect("project");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    drop(store);
    let out = dir.path().join("out");
    let mut ui = Ui::open(&project, [1400.0, 900.0]);
    ui.open_dialog();
    ui.set_field("Folder", out.to_str().expect("utf8"));
    ui.click("Export");
    ui.wait_for("the job", |app| !app.jobs.running.is_empty());
    ui.harness.get_by_label("Export TRL");
    ui.click("Cancel");
    ui.wait_for("the job to stop", |app| app.jobs.running.is_empty());
    let notes = ui.notifications();
    assert!(notes.iter().any(|n| n == "Export TRL: cancelled. Nothing was written."), "{notes:?}");
    assert!(!ui.harness.state().jobs.notifications.iter().any(|n| n.is_error), "cancel is not an error");
    let left: Vec<_> =
        std::fs::read_dir(&out).map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "nothing under the folder: {left:?}");
}

#[test]
fn the_dialog_fits_a_narrow_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, [640.0, 520.0]);
    ui.open_dialog();
    ui.wait_for_preview();
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(640.0, 520.0));
    for label in ["Export", "Cancel", "Browse…", "Folder"] {
        let r = ui.harness.get_by_label(label).rect();
        assert!(screen.contains_rect(r), "{label} at {r:?} is inside the window");
    }
}

#[test]
fn the_form_choice_is_for_trl_and_openrlhf_and_reasons_read_as_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let project = demo_project(dir.path());
    let mut ui = Ui::open(&project, [1400.0, 900.0]);
    ui.open_dialog();
    ui.click("OpenRLHF");
    ui.wait_for_preview();
    // The demo's images, video and audio have no place in OpenRLHF: the preview says so in words.
    let (shown, _) = ui.harness.state().export_dialog().and_then(|d| d.preview()).expect("a preview");
    assert!(shown.counts.left_out.contains_key("cannot_express:image"), "{:?}", shown.counts.left_out);
    for reason in ["cannot_express:image", "cannot_express:video", "cannot_express:audio"] {
        ui.harness.get_by_label(&export::reasons::in_words(reason, Target::OpenRlhf));
        assert!(ui.harness.query_by_label(reason).is_none(), "{reason} is not shown as a code");
    }
    // The form is asked for OpenRLHF and becomes the core's option.
    ui.click("messages");
    ui.wait_for_preview();
    let form = ui.harness.state().export_dialog().expect("open").form.clone();
    assert_eq!(form.options(&project).form, export::Form::Messages);
    // ms-swift has one form: the choice is off, and the core gets `auto`.
    ui.click("ms-swift");
    assert!(ui.harness.get_by_label("messages").accesskit_node().is_disabled(), "no form for ms-swift");
    let form = ui.harness.state().export_dialog().expect("open").form.clone();
    assert_eq!(form.options(&project).form, export::Form::Auto);
    assert!(form.option_problem(&project).is_none(), "{:?}", form.option_problem(&project));
}
