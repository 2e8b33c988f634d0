//! The desktop app (eframe/egui): a thin front end over the core, in three tiers.
//!
//! - The app's root: `app/` (the app's state and frame, command handling, the jobs it starts,
//!   its dialogs, the open project), this file (the window) and `screenshot` (the real app to a
//!   PNG). Only they import the panels.
//! - Panels, each a module of its own: `list`, `sample_view/`, `stats_panel`, `datasets_panel`,
//!   `cleaning_panel/`, `suspects_panel/`, `jobs_panel`, `export_dialog/`, `bulk`. They draw, and send what they ask for as
//!   `Command`s; none imports the app or another panel.
//! - Leaves the panels share, importing only each other: `commands/` (the command enum and the
//!   plain data it carries: bulk requests, the export form, player keys; the key bindings),
//!   `shared` (numbers and labels in words, typed paths, dialog focus, listed reasons), `theme`,
//!   `loaded` (the selected sample), `workers` (query, image and sample loading threads),
//!   `image_view`, `diff`, `media/` (players), `background` (a value read on a thread).
//!
//! `tests/architecture.rs` holds these lines: no import cycle, no panel importing a panel or the
//! app, no file over 700 lines. `settings` persists the UI's state.

pub mod app;
mod background;
pub mod bulk;
pub mod cleaning_panel;
pub mod commands;
pub mod datasets_panel;
pub mod diff;
pub mod export_dialog;
pub mod image_view;
pub mod jobs_panel;
pub mod list;
pub mod loaded;
pub mod media;
pub mod sample_view;
pub mod screenshot;
pub mod settings;
pub mod shared;
pub mod stats_panel;
pub mod suspects_panel;
pub mod theme;
pub mod workers;

pub use app::VerdictApp;
pub use settings::{CuratorEnv, Settings};

use std::path::Path;

/// Window options shared by the app and the screenshot command.
pub fn native_options(size: [f32; 2]) -> eframe::NativeOptions {
    eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size(size)
            .with_min_inner_size(app::MIN_WINDOW)
            .with_title("Verdict")
            .with_app_id("verdict"),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    }
}

/// Opens the app window (on `project`, else the last project) and returns when it closes.
pub fn run(project: Option<&Path>) -> anyhow::Result<()> {
    // Jobs and rayon's workers yield to the thread that draws.
    crate::jobs::priority::background_work_yields();
    crate::media::video::init();
    let settings_path = Settings::default_path();
    let settings = settings_path.as_deref().map(Settings::load).unwrap_or_default();
    let project = project.map(Path::to_path_buf);
    eframe::run_native(
        "Verdict",
        native_options([1400.0, 900.0]),
        Box::new(move |cc| Ok(Box::new(VerdictApp::new(&cc.egui_ctx, settings, settings_path, project.as_deref())))),
    )
    .map_err(|e| anyhow::anyhow!("cannot open a window: {e} (is a display available? try xvfb-run)"))
}
