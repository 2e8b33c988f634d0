//! `verdict screenshot`: opens the real app on a project (and sample) in a window, waits until the
//! list, the sample and its images are shown, saves the window's pixels as a PNG and closes.

use super::{Settings, VerdictApp, native_options};
use crate::model::SampleId;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Longest wait for the app to settle before taking the picture anyway.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(20);

type Outcome = Arc<Mutex<Option<Result<(), String>>>>;

struct ScreenshotApp {
    app: VerdictApp,
    out: PathBuf,
    sample: Option<SampleId>,
    settled_frames: u32,
    requested: bool,
    started: Instant,
    outcome: Outcome,
}

impl ScreenshotApp {
    /// Whether everything the picture should show has arrived.
    fn settled(&mut self) -> bool {
        if self.app.is_opening() {
            return false;
        }
        let Some(p) = &mut self.app.project else { return true };
        if p.is_querying() {
            return false;
        }
        if let Some(id) = self.sample.take() {
            match p.list.ids.iter().position(|x| *x == id) {
                Some(i) => {
                    p.list.select(i);
                    p.sync_selection();
                }
                // Not in the list (filtered out): list just that sample.
                None => {
                    p.query.text = format!("id:{id}");
                    p.select_when_listed(Some(id));
                    p.run_query();
                }
            }
            return false;
        }
        !p.textures.has_pending()
    }
}

impl eframe::App for ScreenshotApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.app.logic(ctx);
        if self.requested {
            if self.outcome.lock().map_or(true, |o| o.is_some()) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            return;
        }
        if self.settled() || self.started.elapsed() > SETTLE_TIMEOUT {
            self.settled_frames += 1;
        } else {
            self.settled_frames = 0;
        }
        // A few settled frames so layouts (column widths, scroll positions) converge.
        if self.settled_frames >= 4 {
            self.requested = true;
            let out = self.out.clone();
            let outcome = self.outcome.clone();
            let waker = ctx.clone();
            ctx.request_screenshot(move |image| {
                let result = save_png(&image, &out);
                if let Ok(mut o) = outcome.lock() {
                    *o = Some(result);
                }
                waker.request_repaint();
            });
        }
        ctx.request_repaint();
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.ui(ui);
    }
}

fn save_png(image: &egui::ColorImage, out: &Path) -> Result<(), String> {
    let [w, h] = image.size;
    let mut bytes = Vec::with_capacity(w * h * 4);
    for p in &image.pixels {
        bytes.extend_from_slice(&p.to_array());
    }
    let buffer = ::image::RgbaImage::from_raw(w as u32, h as u32, bytes).ok_or("the screenshot has no pixels")?;
    buffer.save_with_format(out, ::image::ImageFormat::Png).map_err(|e| format!("{}: {e}", out.display()))
}

/// Renders the app on `project` (showing `sample`) at `size` and saves a PNG to `out`.
pub fn screenshot(project: &Path, out: &Path, sample: Option<i64>, size: [f32; 2]) -> anyhow::Result<()> {
    crate::media::video::init();
    if !project.exists() {
        anyhow::bail!("{}: no such project", project.display());
    }
    // A fixed, private settings state: the picture does not depend on (or change) the user's.
    let settings = Settings { curator: Some("screenshot".into()), ..Settings::default() };
    let outcome: Outcome = Arc::default();
    let (project, out_path) = (project.to_owned(), out.to_owned());
    let result_slot = outcome.clone();
    eframe::run_native(
        "Verdict",
        native_options(size),
        Box::new(move |cc| {
            let app = VerdictApp::with_env(
                &cc.egui_ctx,
                settings,
                None,
                Some(&project),
                super::settings::CuratorEnv::default(),
            );
            Ok(Box::new(ScreenshotApp {
                app,
                out: out_path,
                sample: sample.map(SampleId),
                settled_frames: 0,
                requested: false,
                started: Instant::now(),
                outcome: result_slot,
            }))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open a window: {e} (no display? run under xvfb-run)"))?;
    let result = outcome.lock().ok().and_then(|mut o| o.take());
    match result {
        Some(Ok(())) => Ok(()),
        Some(Err(e)) => anyhow::bail!("saving the screenshot failed: {e}"),
        None => anyhow::bail!("the window closed before the screenshot was taken"),
    }
}
