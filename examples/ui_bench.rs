//! Headless UI benchmarks for the review workspace (issue 3). Drives the real `VerdictApp` through
//! egui frames (layout + tessellation, no GPU) and prints a Markdown table:
//!
//! - frame CPU time while scrolling the sample list and while stepping through samples (p50, p99);
//! - time from selecting a sample with a 4000x3000 JPEG to its first shown pixels (texture uploaded);
//! - cold start: opening the project to the first frame with the list shown;
//! - resident memory with the project open.
//!
//! ```sh
//! cargo run --release --example ui_bench -- target/bench-data/q1m.verdict
//! cargo run --release --example ui_bench -- COPY.verdict --bulk   # frames while every sample is excluded, then undone
//! ```
//! `--bulk` writes to the project (an exclusion and its undo): run it on a copy.
//!
//! ```sh
//! cargo run --release --example ui_bench -- P.verdict --frames-for 20        # frames, nothing else running
//! cargo run --release --example ui_bench -- P.verdict --frames-while PID     # frames until process PID ends
//! ```
//! Both draw 60 frames a second, stepping to the next sample every 4th frame, and print the frame
//! times: `--frames-while` measures the review while another process (`verdict dedup P`, started
//! by `scripts/bench_clean.sh`) works on the same project file.
//!
//! ```sh
//! cargo run --release --example ui_bench -- COPY.verdict --score MODEL_DIR SECS  # frames while the app scores
//! ```
//! `--score` starts a scoring job from the app (the Suspects panel's Score…, on the CPU) and draws
//! frames for SECS seconds or until the job ends; it writes model judgments: run it on a copy.
//! The image figure uses its own small project with 4000x3000 JPEGs, generated here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verdict::ui::commands::Command;
use verdict::ui::{Settings, VerdictApp};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Driver {
    ctx: egui::Context,
    app: VerdictApp,
    time: f64,
}

impl Driver {
    fn open(project: &Path) -> Self {
        let ctx = egui::Context::default();
        let settings = Settings { curator: Some("bench".into()), ..Settings::default() };
        let app = VerdictApp::new(&ctx, settings, None, Some(project));
        Self { ctx, app, time: 0.0 }
    }

    /// One frame with `events`; returns its CPU time (egui pass + tessellation).
    fn frame(&mut self, events: Vec<egui::Event>) -> Duration {
        self.time += 1.0 / 60.0;
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(1400.0, 900.0))),
            time: Some(self.time),
            events,
            ..Default::default()
        };
        let start = Instant::now();
        let ctx = self.ctx.clone();
        let mut out = ctx.run_ui(input, |ui| {
            self.app.logic(&ctx);
            self.app.ui(ui);
        });
        let shapes = std::mem::take(&mut out.shapes);
        let _prims = ctx.tessellate(shapes, out.pixels_per_point);
        let took = start.elapsed();
        out.textures_delta.clear();
        took
    }

    /// Runs `query` sorted by `sort` as the query bar does; returns the milliseconds until the
    /// list shows it (maybe its first page only) and until every match is listed and counted.
    fn filter(&mut self, query: &str, sort: verdict::store::SortKey) -> (f64, f64) {
        if let Some(p) = &mut self.app.project {
            p.sort = sort;
            query.clone_into(&mut p.query.text);
            p.run_query();
        }
        let start = Instant::now();
        self.until(query, |app| app.project.as_ref().is_some_and(verdict::ui::app::project::Project::is_listed));
        let shown = start.elapsed();
        self.until(query, |app| app.project.as_ref().is_some_and(|p| !p.is_querying()));
        (shown.as_secs_f64() * 1000.0, start.elapsed().as_secs_f64() * 1000.0)
    }

    fn until(&mut self, what: &str, cond: impl Fn(&VerdictApp) -> bool) -> Duration {
        let start = Instant::now();
        while !cond(&self.app) {
            assert!(start.elapsed() < Duration::from_mins(2), "timed out waiting for {what}");
            self.frame(Vec::new());
            std::thread::sleep(Duration::from_millis(1));
        }
        start.elapsed()
    }
}

fn listed(app: &VerdictApp) -> bool {
    app.project.as_ref().is_some_and(|p| !p.is_querying() && p.sample.is_some())
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99), at(1.0))
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn big_jpeg_project(dir: &Path) -> PathBuf {
    use image::{ImageEncoder, Rgb, RgbImage};
    let (w, h) = (4000, 3000);
    // Photo-like content (smooth shapes, edges and mild sensor grain), so the file has the size and
    // entropy of a real 12-megapixel photo (~3 MB at quality 90), not of pure noise.
    let mut seed = 0x2545_f491_u32;
    let img = RgbImage::from_fn(w, h, |x, y| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let grain = (seed % 9) as f32 - 4.0;
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let sky = 200.0 - 120.0 * fy;
        let hills = ((fx * 9.0).sin() * 0.08 + 0.55 - fy).signum() * 40.0;
        let disc = if (fx - 0.3).hypot(fy - 0.35) < 0.12 { 60.0 } else { 0.0 };
        let ripple = (fx * 140.0).sin() * (fy * 90.0).cos() * 6.0;
        let v = |base: f32| (base + grain + ripple).clamp(0.0, 255.0) as u8;
        Rgb([v(sky + disc - hills), v(sky * 0.8 + hills), v(sky * 0.6 + disc * 0.5)])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .expect("encode");
    let mut lines = String::new();
    for i in 0..20 {
        let name = format!("big{i}.jpg");
        std::fs::write(dir.join(&name), &jpeg).expect("write jpeg");
        let _ = writeln!(
            lines,
            "{{\"id\": \"b{i}\", \"image\": \"{name}\", \"question\": \"What is in picture {i}?\", \"chosen\": \"a pattern\", \"rejected\": \"a cat\"}}"
        );
    }
    let data = dir.join("big.jsonl");
    std::fs::write(&data, lines).expect("write jsonl");
    let project = dir.join("big.verdict");
    let mut store = verdict::store::Store::open(&project).expect("project");
    verdict::ingest::import_file(
        &mut store,
        &data,
        &verdict::ingest::ImportOptions::default(),
        &mut verdict::jobs::Progress::silent(),
    )
    .expect("import");
    project
}

fn main() {
    // As the app's entry does: jobs and rayon's workers yield to the thread that draws.
    verdict::jobs::priority::background_work_yields();
    verdict::media::video::init();
    let project = std::env::args().nth(1).map(PathBuf::from).expect("usage: ui_bench PROJECT.verdict [--bulk]");
    println!("| measure | result |\n|---|---|");
    if std::env::args().any(|a| a == "--bulk") {
        bulk(&project);
        return;
    }
    let arg_after = |name: &str| {
        let args: Vec<String> = std::env::args().collect();
        args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse::<u64>().ok())
    };
    if let Some(secs) = arg_after("--frames-for") {
        frames_beside(&project, "nothing else running", |start| start.elapsed() < Duration::from_secs(secs));
        return;
    }
    if let Some(i) = std::env::args().position(|a| a == "--score") {
        let args: Vec<String> = std::env::args().collect();
        let model = args.get(i + 1).expect("--score MODEL_DIR SECS").clone();
        let secs = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(60);
        score(&project, &model, secs);
        return;
    }
    if let Some(pid) = arg_after("--frames-while") {
        let alive = move |_: Instant| Path::new(&format!("/proc/{pid}")).exists();
        frames_beside(&project, &format!("while process {pid} runs"), alive);
        return;
    }

    // Cold start: open + first frame, then until the list is shown.
    let start = Instant::now();
    let mut d = Driver::open(&project);
    d.frame(Vec::new());
    let first_frame = start.elapsed();
    d.until("the list", listed);
    let list_shown = start.elapsed();
    let n = d.app.project.as_ref().map_or(0, |p| p.list.ids.len());
    println!("| samples in the project | {n} |");
    println!("| cold start: open project to first frame | {:.0} ms |", first_frame.as_secs_f64() * 1000.0);
    println!("| cold start: open project to list and sample shown | {:.0} ms |", list_shown.as_secs_f64() * 1000.0);
    // Scrolling the list: wheel events over the list, 600 frames.
    let over_list = egui::pos2(200.0, 400.0);
    let mut times = Vec::new();
    for i in 0..600 {
        let delta = if (i / 150) % 2 == 0 { -120.0 } else { 120.0 };
        let events = vec![
            egui::Event::PointerMoved(over_list),
            egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, delta * 4.0),
                phase: egui::TouchPhase::Move,
                modifiers: egui::Modifiers::NONE,
                source: egui::MouseWheelSource::Wheel,
            },
        ];
        times.push(d.frame(events));
    }
    let (p50, p99, max) = percentiles(times);
    println!("| frame CPU, scrolling the list (600 frames) | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms |");

    // Stepping through samples: one Next per frame.
    let mut times = Vec::new();
    for _ in 0..500 {
        d.app.send(Command::Next);
        times.push(d.frame(Vec::new()));
    }
    let (p50, p99, max) = percentiles(times);
    println!(
        "| frame CPU, stepping to the next sample each frame (500 frames) | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms |"
    );

    // The same at 60 frames a second (a held key repeats at 30/s): the sample loader thread gets
    // the time between frames it has in the app, so each step finds its sample loaded ahead.
    let mut times = Vec::new();
    for _ in 0..300 {
        let start = Instant::now();
        d.app.send(Command::Next);
        times.push(d.frame(Vec::new()));
        std::thread::sleep(Duration::from_micros(16_667).saturating_sub(start.elapsed()));
    }
    let (p50, p99, max) = percentiles(times);
    println!(
        "| frame CPU, stepping to the next sample each frame at 60 frames/s (300 frames) | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms |"
    );

    // Jump far into the list (virtualized: only visible rows are read).
    let mut times = Vec::new();
    for k in 0..50 {
        d.app.send(Command::Select(n * k / 50));
        times.push(d.frame(Vec::new()));
    }
    let (p50, p99, max) = percentiles(times);
    println!("| frame CPU, jumping across the list (50 jumps) | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms |");
    println!("| resident memory with the project open | {:.0} MB |", rss_mb());

    // The store reads behind a jump, measured alone.
    if let Some(p) = &d.app.project {
        let ids = p.ids();
        let (mut rows_t, mut load_t) = (Vec::new(), Vec::new());
        for k in 0..50 {
            let at = (n * k / 50 + 7919 * k) % n.saturating_sub(100).max(1);
            let window = &ids[at..(at + 100).min(ids.len())];
            let t = Instant::now();
            let _ = p.store.list_rows(window);
            rows_t.push(t.elapsed());
            let t = Instant::now();
            let _ = verdict::ui::loaded::LoadedSample::load(&p.store, window[0]);
            load_t.push(t.elapsed());
        }
        let (r50, r99, _) = percentiles(rows_t);
        let (l50, l99, _) = percentiles(load_t);
        println!("| store: 100 list rows at a random place | p50 {r50:.2} ms, p99 {r99:.2} ms |");
        println!("| store: load one sample for the view | p50 {l50:.2} ms, p99 {l99:.2} ms |");
    }

    // Filter latency through the UI: type a query, frames until the new list is shown.
    for q in ["modality:text", "len_chosen>500", "longer:chosen", "harbor", "the", "is:flagged"] {
        let (shown, complete) = d.filter(q, verdict::store::SortKey::Id);
        println!(
            "| filter `{q}` to list shown (through the app) | {shown:.0} ms (every match listed and counted: {complete:.0} ms) |"
        );
    }
    // Sorted by a value instead of the id: click the column over the whole list first (that
    // order is kept by the query worker), then filter: the first rows come from the kept order
    // filtered chunk by chunk, the full list after every match is read.
    let (_, sorted) = d.filter("", verdict::store::SortKey::LenA);
    println!("| sort the whole list by len A (through the app) | {sorted:.0} ms |");
    for q in ["modality:text", "longer:chosen"] {
        let (shown, complete) = d.filter(q, verdict::store::SortKey::LenA);
        println!(
            "| filter `{q}`, list sorted by len A, to list shown (through the app) | {shown:.0} ms (every match listed and counted: {complete:.0} ms) |"
        );
    }
    drop(d);

    // A 4000x3000 JPEG: select to first shown pixels.
    let dir = tempfile::tempdir().expect("tempdir");
    let big = big_jpeg_project(dir.path());
    let mut d = Driver::open(&big);
    d.until("the list", listed);
    d.until("the first image", |app| app.project.as_ref().is_some_and(|p| !p.textures.has_pending()));
    // Jumps to non-adjacent samples: never prefetched, decoded after the click. Twice: right after
    // the previous jump (its prefetch of the next sample then competes for the 2 cores), and after
    // 0.6 s on the previous sample (a curator reading it; the prefetch is done by then).
    for (label, dwell) in [("right after the previous jump", 0u64), ("after 0.6 s on the previous sample", 600)] {
        let (mut cold, mut decode) = (Vec::new(), Vec::new());
        for i in [2usize, 4, 6, 8] {
            let target = if dwell == 0 { i } else { i + 9 };
            let settle = Instant::now();
            while settle.elapsed() < Duration::from_millis(dwell) {
                d.frame(Vec::new());
                std::thread::sleep(Duration::from_millis(10));
            }
            d.app.send(Command::Select(target));
            let start = Instant::now();
            d.frame(Vec::new());
            d.until("the image", |app| {
                app.project.as_ref().is_some_and(|p| {
                    p.sample.as_ref().is_some_and(|s| s.view.row_index == target as u64) && p.sample_images_shown()
                })
            });
            cold.push(start.elapsed());
            decode.push(d.app.project.as_ref().and_then(|p| p.textures.last_decode).unwrap_or_default());
        }
        let (p50, _, max) = percentiles(cold);
        let (d50, _, _) = percentiles(decode);
        println!(
            "| 4000x3000 JPEG: jump to a sample, to first shown pixels, {label} (4 jumps) | p50 {p50:.0} ms, max {max:.0} ms (read + preview decode on the decoder thread: p50 {d50:.0} ms) |"
        );
    }
    // Stepping to the next sample: decoded ahead while the curator reads the current one.
    // 0.6 s on the current sample (frames keep coming: the app repaints when a decode lands).
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_millis(600) {
        d.frame(Vec::new());
        std::thread::sleep(Duration::from_millis(10));
    }
    d.app.send(Command::Next);
    let start = Instant::now();
    d.frame(Vec::new());
    d.until("the image", |app| {
        app.project
            .as_ref()
            .is_some_and(|p| p.sample.as_ref().is_some_and(|s| s.view.row_index == 18) && p.sample_images_shown())
    });
    println!(
        "| 4000x3000 JPEG: step (J) to the next sample, prefetched | {:.0} ms |",
        start.elapsed().as_secs_f64() * 1000.0
    );
}

/// Frames at 60 frames a second, the curator stepping to the next sample every 4th, while a job
/// runs (until the jobs are idle and the list has followed); the frame times and the job's time.
fn frames_while_busy(d: &mut Driver) -> (Vec<Duration>, Duration) {
    let start = Instant::now();
    let mut times = Vec::new();
    let mut k = 0u32;
    while d.app.jobs.is_busy() || times.len() < 30 {
        assert!(start.elapsed() < Duration::from_mins(5), "the job did not end");
        let frame_start = Instant::now();
        if k.is_multiple_of(4) {
            d.app.send(Command::Next);
        }
        k += 1;
        times.push(d.frame(Vec::new()));
        std::thread::sleep(Duration::from_micros(16_667).saturating_sub(frame_start.elapsed()));
    }
    (times, start.elapsed())
}

/// Frames at 60 frames a second, stepping to the next sample every 4th, while `go` says so (it is
/// given the time the frames started), after the project is open and listed.
fn frames_beside(project: &Path, label: &str, go: impl Fn(Instant) -> bool) {
    let mut d = Driver::open(project);
    d.frame(Vec::new());
    d.until("the list", listed);
    let start = Instant::now();
    let mut times = Vec::new();
    let mut k = 0u32;
    while go(start) {
        let frame_start = Instant::now();
        if k.is_multiple_of(4) {
            d.app.send(Command::Next);
        }
        k += 1;
        times.push(d.frame(Vec::new()));
        std::thread::sleep(Duration::from_micros(16_667).saturating_sub(frame_start.elapsed()));
    }
    let frames = times.len();
    if frames == 0 {
        println!("| frames {label} | none: it had ended before the list was shown |");
        return;
    }
    let over_16 = times.iter().filter(|t| t.as_secs_f64() > 1.0 / 60.0).count();
    let (p50, p99, max) = percentiles(times);
    println!(
        "| frame CPU {label}: {frames} frames in {:.1} s, stepping every 4th | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms, {over_16} over 16.7 ms |",
        start.elapsed().as_secs_f64()
    );
}

/// A scoring job started from the app (as the Score form does), frames drawn for `secs` seconds
/// or until it ends.
fn score(project: &Path, model: &str, secs: u64) {
    let mut d = Driver::open(project);
    d.frame(Vec::new());
    d.until("the list", listed);
    let request = verdict::ui::commands::ScoreRequest {
        model: model.to_owned(),
        name: "bench".into(),
        device: "cpu".into(),
        ..verdict::ui::commands::ScoreRequest::default()
    };
    d.app.send(Command::StartScore(Box::new(request)));
    let start = Instant::now();
    let mut times = Vec::new();
    let mut k = 0u32;
    while (d.app.jobs.is_busy() || times.len() < 30) && start.elapsed() < Duration::from_secs(secs) {
        let frame_start = Instant::now();
        if k.is_multiple_of(4) {
            d.app.send(Command::Next);
        }
        k += 1;
        times.push(d.frame(Vec::new()));
        std::thread::sleep(Duration::from_micros(16_667).saturating_sub(frame_start.elapsed()));
    }
    let line = d.app.jobs.running.first().map_or_else(|| "ended".into(), verdict::ui::jobs_panel::JobEntry::state_text);
    let frames = times.len();
    let over_16 = times.iter().filter(|t| t.as_secs_f64() > 1.0 / 60.0).count();
    let (p50, p99, max) = percentiles(times);
    println!(
        "| frame CPU while the app scores ({line}): {frames} frames in {:.1} s, stepping every 4th | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms, {over_16} over 16.7 ms |",
        start.elapsed().as_secs_f64()
    );
}

/// Every sample excluded in one bulk action from the app (a job), then undone (a job): the
/// frames the UI draws meanwhile.
fn bulk(project: &Path) {
    let mut d = Driver::open(project);
    d.frame(Vec::new());
    d.until("the list", listed);
    let ids: Vec<verdict::model::SampleId> = d.app.project.as_ref().map(|p| p.ids().to_vec()).unwrap_or_default();
    let n = ids.len();
    let request = verdict::ui::commands::BulkRequest {
        ids,
        action: verdict::store::CurationAction::Exclude("duplicate".into()),
        query: String::new(),
    };
    d.app.send(Command::ApplyBulk(Box::new(request)));
    let (times, took) = frames_while_busy(&mut d);
    let frames = times.len();
    let (p50, p99, max) = percentiles(times);
    println!(
        "| bulk exclude of {n} samples as a job: {:.1} s; frames meanwhile ({frames}, stepping every 4th) | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms |",
        took.as_secs_f64()
    );
    d.app.send(Command::Undo);
    let (times, took) = frames_while_busy(&mut d);
    let frames = times.len();
    let (p50, p99, max) = percentiles(times);
    println!(
        "| its undo as a job: {:.1} s; frames meanwhile ({frames}) | p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms |",
        took.as_secs_f64()
    );
    println!("| resident memory after both | {:.0} MB |", rss_mb());
}
