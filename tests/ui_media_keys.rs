//! The player keys in the real app (`egui_kittest`): Space plays and pauses the selected sample's
//! video or audio, ← / → step a frame (video) or a second (audio), Shift+← / Shift+→ a second
//! (video) or five (audio), M mutes; they are ignored while typing in the filter bar, the sample
//! keys still work, and the cheat sheet lists them.
//!
//! The project holds a video with a sound track (the committed fixture, in the LLaVA DPO video
//! layout) and the demo's audio clips. Players play on a simulated sound device, so nothing
//! sounds while the tests run and playback is available on a machine with no sound card.

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::store::Store;
use verdict::ui::commands::Command;
use verdict::ui::loaded::Player;
use verdict::ui::media::sound::{self, SoundOutput};
use verdict::ui::{Settings, VerdictApp};

/// A project with two video samples (a 3 s clip with sound) and the demo's four audio clips.
fn project(dir: &Path) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps_3s_stereo.mp4");
    std::fs::create_dir_all(dir.join("media")).expect("media dir");
    std::fs::copy(fixture, dir.join("media/av.mp4")).expect("copy the video");
    let rows = [
        r#"{"id": "v1", "prompt": "<video>\nWhat is shown?", "video": "media/av.mp4", "chosen": "A test pattern.", "rejected": "A cat."}"#,
        r#"{"id": "v2", "prompt": "<video>\nWhat is heard?", "video": "media/av.mp4", "chosen": "Two tones.", "rejected": "Silence."}"#,
    ];
    std::fs::write(dir.join("video.jsonl"), rows.join("\n") + "\n").expect("write the dataset");
    let path = dir.join("p.verdict");
    let mut store = Store::open(&path).expect("project");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/align_anything_ta2t.parquet");
    for f in [dir.join("video.jsonl"), demo] {
        import_file(&mut store, &f, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    }
    path
}

struct Ui {
    harness: Harness<'static, VerdictApp>,
    project: PathBuf,
}

impl Ui {
    fn open(project: &Path) -> Self {
        sound::set_default_output(SoundOutput::Simulated { rate: 1.0 });
        let settings = Settings { curator: Some("ed".to_owned()), ..Settings::default() };
        let app = VerdictApp::new(&egui::Context::default(), settings, None, Some(project));
        let harness = Harness::builder().with_size([1400.0, 900.0]).build_ui_state(
            |ui, app: &mut VerdictApp| {
                let ctx = ui.ctx().clone();
                app.logic(&ctx);
                app.ui(ui);
            },
            app,
        );
        let mut ui = Self { harness, project: project.to_owned() };
        ui.wait_for("the project", |app| app.project.as_ref().is_some_and(|p| !p.is_querying() && p.sample.is_some()));
        ui
    }

    /// Steps frames (the players' threads answer between them) until `cond` holds.
    fn wait_for(&mut self, what: &str, cond: impl Fn(&VerdictApp) -> bool) {
        let start = Instant::now();
        while !cond(self.harness.state()) {
            assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
            self.harness.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        self.harness.step();
    }

    fn press(&mut self, modifiers: Modifiers, key: Key) {
        self.harness.key_press_modifiers(modifiers, key);
        self.harness.step();
        self.harness.step();
    }

    fn selected(&self) -> SampleId {
        self.harness.state().project.as_ref().and_then(|p| p.list.selected_id()).expect("a selection")
    }

    /// Selects the first sample of `modality` and waits until its player is ready to play.
    fn select_first(&mut self, modality: &str) -> SampleId {
        let store = Store::open(&self.project).expect("reopen");
        let id: SampleId = store
            .conn()
            .query_row("SELECT min(id) FROM samples WHERE modality = ?1", [modality], |r| r.get(0))
            .expect(modality);
        let index = self.harness.state().project.as_ref().and_then(|p| p.list.ids.iter().position(|x| *x == id));
        self.harness.state_mut().run_command(Command::Select(index.expect("listed")));
        self.wait_for("the player", |app| {
            player(app).is_some_and(|p| match p {
                Player::Video(v) => {
                    v.shown_pts().is_some() && !v.is_seeking() && v.sound().is_some_and(|s| s.available() == Some(true))
                }
                Player::Audio(a) => a.is_ready() && a.playback_available() == Some(true),
            })
        });
        id
    }
}

/// The selected sample's first player, read-only (`LoadedSample::first_player` needs `&mut`).
fn player(app: &VerdictApp) -> Option<&Player> {
    let sample = app.project.as_ref()?.sample.as_ref()?;
    let first = sample.view.media.iter().filter(|m| sample.has_player(m.position)).map(|m| m.position).min()?;
    sample.players.get(&first)
}

/// (playing, position, muted) of the selected sample's first player.
fn state(app: &VerdictApp) -> (bool, f64, bool) {
    match player(app).expect("a player") {
        Player::Video(v) => (v.is_playing(), v.position_s(), v.is_muted()),
        Player::Audio(a) => (a.is_playing(), a.position_s(), a.is_muted()),
    }
}

fn settled(app: &VerdictApp) -> bool {
    match player(app) {
        Some(Player::Video(v)) => !v.is_seeking(),
        Some(Player::Audio(_)) => true,
        None => false,
    }
}

fn assert_at(ui: &Ui, expected: f64) {
    let (_, t, _) = state(ui.harness.state());
    assert!((t - expected).abs() < 1e-6, "the player is at {t}, not {expected}");
}

#[test]
fn player_keys_drive_the_selected_video_and_audio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ui = Ui::open(&project(dir.path()));
    let video = ui.select_first("video");
    let none = Modifiers::NONE;

    // Space plays the video (and its sound), Space again pauses.
    ui.press(none, Key::Space);
    assert!(state(ui.harness.state()).0, "Space did not play the video");
    assert!(
        matches!(player(ui.harness.state()), Some(Player::Video(v)) if v.sound().is_some_and(sound::Sound::is_playing))
    );
    ui.press(none, Key::Space);
    assert!(!state(ui.harness.state()).0, "Space did not pause");

    // Frame steps and one-second moves, from a known place.
    match ui.harness.state_mut().project.as_mut().and_then(|p| p.sample.as_mut()).and_then(|s| s.first_player()) {
        Some(Player::Video(v)) => v.seek(1.0),
        _ => unreachable!("a video"),
    }
    ui.wait_for("the seek", settled);
    for (modifiers, key, expected) in [
        (none, Key::ArrowRight, 1.1),
        (none, Key::ArrowRight, 1.2),
        (none, Key::ArrowLeft, 1.1),
        (Modifiers::SHIFT, Key::ArrowRight, 2.1),
        (Modifiers::SHIFT, Key::ArrowLeft, 1.1),
        (Modifiers::SHIFT, Key::ArrowLeft, 0.1),
    ] {
        ui.press(modifiers, key);
        ui.wait_for("the frame", settled);
        assert_at(&ui, expected);
    }
    assert_eq!(ui.selected(), video, "the arrows keep the selection");

    // M mutes and unmutes.
    ui.press(none, Key::M);
    assert!(state(ui.harness.state()).2, "M did not mute");
    ui.harness.get_by_label("Unmute");
    ui.press(none, Key::M);
    assert!(!state(ui.harness.state()).2, "M did not unmute");

    // Typing in the filter bar: the keys are text, the player is left alone.
    ui.press(none, Key::Slash);
    assert!(ui.harness.ctx.egui_wants_keyboard_input(), "/ did not focus the filter bar");
    ui.press(none, Key::Space);
    ui.press(none, Key::M);
    ui.press(none, Key::ArrowRight);
    let (playing, _, muted) = state(ui.harness.state());
    assert!(!playing && !muted, "keys reached the player while typing");
    assert_at(&ui, 0.1);
    ui.press(none, Key::Escape);

    // The cheat sheet lists them.
    ui.press(none, Key::Questionmark);
    assert!(ui.harness.state().cheat_sheet, "? did not open the cheat sheet");
    for help in [
        "Play / pause video or audio",
        "Back a frame (video) / 1 s (audio)",
        "Forward a frame (video) / 1 s (audio)",
        "Back 1 s (video) / 5 s (audio)",
        "Forward 1 s (video) / 5 s (audio)",
        "Mute / unmute",
    ] {
        ui.harness.get_by_label(help);
    }
    ui.harness.state_mut().run_command(Command::ToggleCheatSheet);

    // The audio player: a second, five seconds (within the clip), Space plays on the device.
    ui.select_first("audio");
    let duration = match player(ui.harness.state()) {
        Some(Player::Audio(a)) => a.duration_s().expect("loaded"),
        _ => unreachable!("an audio sample"),
    };
    ui.press(none, Key::ArrowRight);
    assert_at(&ui, duration.min(1.0));
    ui.press(Modifiers::SHIFT, Key::ArrowRight);
    assert_at(&ui, duration.min(6.0));
    ui.press(Modifiers::SHIFT, Key::ArrowLeft);
    assert_at(&ui, (duration.min(6.0) - 5.0).max(0.0));
    ui.press(none, Key::ArrowLeft);
    assert_at(&ui, 0.0);
    ui.press(none, Key::Space);
    assert!(state(ui.harness.state()).0, "Space did not play the audio");
    ui.press(none, Key::Space);
    assert!(!state(ui.harness.state()).0);

    // The sample keys still move between samples.
    let audio = ui.selected();
    ui.press(none, Key::J);
    assert_ne!(ui.selected(), audio, "J moves to the next sample");
    ui.press(none, Key::ArrowUp);
    assert_eq!(ui.selected(), audio, "Up moves back");
}
