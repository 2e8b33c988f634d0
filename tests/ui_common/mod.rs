//! Shared helpers of the app's kittests: a temporary project holding the bundled demo, the real
//! app in a harness (`logic()` then `ui()` each frame, as eframe calls them), and a driver that
//! steps frames until background workers answer.
#![allow(dead_code)]

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::{JudgmentKind, JudgmentSource, SampleId};
use verdict::store::Store;
use verdict::ui::{CuratorEnv, Settings, VerdictApp};

pub fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo").join(name)
}

/// A project with the demo's RLAIF-V (12 image pairs), video and audio sets.
pub fn demo_project(dir: &Path) -> PathBuf {
    let path = dir.join("p.verdict");
    let mut store = Store::open(&path).expect("project");
    for f in ["rlaif_v.parquet", "llava_dpo_video.jsonl", "align_anything_ta2t.parquet"] {
        import_file(&mut store, &demo(f), &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    }
    path
}

/// The real app in a harness: `logic()` then `ui()` each frame, as eframe calls them.
pub fn app_harness(app: VerdictApp) -> Harness<'static, VerdictApp> {
    Harness::builder().with_size([1400.0, 900.0]).build_ui_state(
        |ui, app: &mut VerdictApp| {
            let ctx = ui.ctx().clone();
            app.logic(&ctx);
            app.ui(ui);
        },
        app,
    )
}

/// Steps frames until the project is open, listed and its selected sample loaded.
pub fn wait_until_loaded(h: &mut Harness<'_, VerdictApp>) {
    let start = Instant::now();
    while !h.state().project.as_ref().is_some_and(|p| !p.is_querying() && p.sample.is_some()) {
        assert!(start.elapsed() < Duration::from_secs(20), "the project did not load");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.step();
}

/// A key's press event, without modifiers (its text, if it types one, is an event of its own).
pub fn press(key: egui::Key) -> egui::Event {
    egui::Event::Key { key, physical_key: None, pressed: true, repeat: false, modifiers: egui::Modifiers::NONE }
}

pub struct Ui<'a> {
    pub harness: Harness<'a, VerdictApp>,
    pub project: PathBuf,
}

impl Ui<'_> {
    pub fn open(project: &Path, curator: Option<&str>) -> Self {
        let settings = Settings { curator: curator.map(str::to_owned), ..Settings::default() };
        Self::open_with(project, settings, None, [1400.0, 900.0])
    }

    /// The app on a project that holds no sample yet: open and listed.
    pub fn open_empty(project: &Path) -> Self {
        let settings = Settings { curator: Some("ana".into()), ..Settings::default() };
        let ctx = egui::Context::default();
        let app = VerdictApp::with_env(&ctx, settings, None, Some(project), CuratorEnv::default());
        let mut harness = app_harness(app);
        let start = Instant::now();
        while harness.state().project.as_ref().is_none_or(verdict::ui::app::project::Project::is_querying) {
            assert!(start.elapsed() < Duration::from_secs(20), "the project did not open");
            harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        harness.step();
        Self { harness, project: project.to_owned() }
    }

    /// The app at `size` with these settings, saved to `settings_file` when they change (no
    /// curator name from the environment: the process's variables are not read).
    pub fn open_with(project: &Path, settings: Settings, settings_file: Option<PathBuf>, size: [f32; 2]) -> Self {
        Self::open_env(project, settings, settings_file, size, CuratorEnv::default())
    }

    /// [`Ui::open_with`] with the curator names `env` stands in for the environment's.
    pub fn open_env(
        project: &Path,
        settings: Settings,
        settings_file: Option<PathBuf>,
        size: [f32; 2],
        env: CuratorEnv,
    ) -> Self {
        let ctx = egui::Context::default();
        let app = VerdictApp::with_env(&ctx, settings, settings_file, Some(project), env);
        let mut harness = Harness::builder().with_size(size).build_ui_state(
            |ui, app: &mut VerdictApp| {
                let ctx = ui.ctx().clone();
                app.logic(&ctx);
                app.ui(ui);
            },
            app,
        );
        wait_until_loaded(&mut harness);
        Self { harness, project: project.to_owned() }
    }

    /// Steps frames until `cond` holds (background workers answer between frames): a minute at
    /// most, a bound on liveness only (on 2 cores shared with builds a job can take 20 s to stop).
    pub fn wait_for(&mut self, what: &str, cond: impl Fn(&VerdictApp) -> bool) {
        let start = Instant::now();
        while !cond(self.harness.state()) {
            assert!(start.elapsed() < Duration::from_mins(1), "timed out waiting for {what}");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        self.harness.step();
    }

    /// Steps frames until a widget whose label contains `text` shows (a dialog a thread opens).
    pub fn wait_for_label(&mut self, text: &str) {
        let start = Instant::now();
        while self.harness.query_by_label_contains(text).is_none() {
            assert!(start.elapsed() < Duration::from_mins(1), "timed out waiting for {text:?}");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn key(&mut self, key: egui::Key) {
        self.harness.key_press(key);
        self.harness.step();
        self.harness.step();
    }

    /// One key as a window sends it: the press, with the text it types in the same frame.
    pub fn key_with_text(&mut self, key: egui::Key, text: &str) {
        self.harness.input_mut().events.extend([press(key), egui::Event::Text(text.to_owned())]);
        self.harness.step();
        self.harness.key_up(key);
        self.harness.step();
        self.harness.step();
    }

    /// One frame whose input holds `events`, passed through the app's raw-input hook first as
    /// eframe does (kittest's harness does not call it); what the hook holds back comes in the
    /// frames after.
    pub fn step_hooked(&mut self, events: Vec<egui::Event>) {
        let mut events = Some(events);
        for _ in 0..3 {
            let mut raw = egui::RawInput { events: events.take().unwrap_or_default(), ..Default::default() };
            let ctx = self.harness.ctx.clone();
            self.harness.state_mut().raw_input_hook(&ctx, &mut raw);
            self.harness.input_mut().events.extend(raw.events);
            self.harness.step();
        }
    }

    /// Types into the focused text field.
    pub fn type_text(&mut self, text: &str) {
        self.harness.event(egui::Event::Text(text.to_owned()));
        self.harness.step();
    }

    pub fn selected(&self) -> SampleId {
        self.harness.state().project.as_ref().and_then(|p| p.list.selected_id()).expect("a selection")
    }

    pub fn list_len(&self) -> usize {
        self.harness.state().project.as_ref().map_or(0, |p| p.list.ids.len())
    }

    /// A fresh connection: what the project file holds now.
    pub fn store(&self) -> Store {
        Store::open(&self.project).expect("reopen")
    }
}

pub fn label_of(store: &Store, id: SampleId) -> (JudgmentSource, JudgmentKind, Option<u32>, Option<u32>) {
    let l = store.current_label(id).expect("label").expect("some label");
    (l.source, l.kind, l.chosen, l.rejected)
}

pub fn actions(store: &Store, id: SampleId) -> Vec<String> {
    store.audit_log(id).expect("log").into_iter().map(|e| format!("{}:{}", e.curator, e.action)).collect()
}
