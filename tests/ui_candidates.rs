//! Every candidate in the real app (kittest): a sample with ten candidates and an original ranking
//! of five shows all ten with their ranks; each is reachable and relabelable by keys (1-9, `[`/`]`,
//! Ctrl+arrows, Ctrl+End) and by its buttons; the word diff compares the chosen and the rejected
//! answer by default and any pair the curator picks; a rating is corrected per aspect; two clips
//! side by side at the narrowest width keep their players' controls in their own columns.

mod ui_common;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use std::path::{Path, PathBuf};
use ui_common::*;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::{JudgmentKind, JudgmentSource, SampleId};
use verdict::store::Store;
use verdict::ui::commands::Command;

const LETTERS: [&str; 10] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J"];

/// A project with one sample of ten candidates, ranked E > A > H > C > J by its source.
fn ten_candidates(dir: &Path) -> (PathBuf, SampleId) {
    let candidates: Vec<serde_json::Value> = (0..10)
        .map(|i| serde_json::json!({"text": format!("Answer {} says the kite is colour {i}.", LETTERS[i]), "model": format!("m{i}")}))
        .collect();
    let row = serde_json::json!({"uid": "ten-0001", "question": "Which kite?", "candidates": candidates, "ranking": [4, 0, 7, 2, 9]});
    let data = dir.join("ten.jsonl");
    std::fs::write(&data, format!("{row}\n")).expect("write data");
    let mapping = dir.join("ten.toml");
    std::fs::write(
        &mapping,
        "id = \"uid\"\nprompt = \"question\"\nresponses_list = \"candidates\"\nresponse_text = \"text\"\n\
         response_model = \"model\"\nranking = \"ranking\"\nranking_base = 0\n",
    )
    .expect("write mapping");
    let path = dir.join("ten.verdict");
    let mut store = Store::open(&path).expect("project");
    let options = ImportOptions { mapping: Some(mapping), ..ImportOptions::default() };
    import_file(&mut store, &data, &options, &mut Progress::silent()).expect("imports");
    let found = store.samples_with_key("ten-0001").expect("by key");
    (path, found[0].0)
}

/// The ranking in force now, best first.
fn ranking(ui: &Ui<'_>, id: SampleId) -> Vec<u32> {
    let l = ui.store().current_label(id).expect("label").expect("a label");
    assert_eq!(l.kind, JudgmentKind::Ranking, "{l:?}");
    l.ranking
}

fn shown<'a>(ui: &'a Ui<'_>) -> &'a verdict::ui::loaded::LoadedSample {
    ui.harness.state().project.as_ref().and_then(|p| p.sample.as_ref()).expect("a sample shown")
}

/// Scrolls the `n`-th widget labelled `label` into view (the third row of candidates is below
/// the window's fold) and clicks it.
fn click_nth(ui: &mut Ui<'_>, label: &str, n: usize) {
    ui.harness.get_all_by_label(label).nth(n).unwrap_or_else(|| panic!("no {label:?} button {n}")).scroll_to_me();
    for _ in 0..3 {
        ui.harness.step();
    }
    ui.harness.get_all_by_label(label).nth(n).unwrap_or_else(|| panic!("no {label:?} button {n}")).click();
    ui.harness.step();
    ui.harness.step();
}

fn ctrl_key(ui: &mut Ui<'_>, key: Key) {
    ui.harness.key_press_modifiers(Modifiers::COMMAND, key);
    ui.harness.step();
    ui.harness.step();
}

#[test]
fn ten_candidates_are_all_shown_ranked_and_relabelable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (project, id) = ten_candidates(dir.path());
    let mut ui = Ui::open(&project, Some("ana"));

    // All ten, side by side in rows, each with its text and its rank in the source's ranking.
    for (i, l) in LETTERS.iter().enumerate() {
        ui.harness.get_by_label_contains(&format!("Answer {l} says the kite is colour {i}."));
    }
    ui.harness.get_by_label("Ranking (original): E > A > H > C > J");
    ui.harness.get_by_label("rank 1 of 5 (original)");
    ui.harness.get_by_label("rank 5 of 5 (original)");
    assert_eq!(ui.harness.query_all_by_label("unranked (original)").count(), 5, "B, D, F, G and I");
    assert_eq!(ui.harness.query_all_by_label("Best").count(), 10, "a Best button on every candidate");
    // The word diff compares the chosen (best) and the rejected (worst) answer, not A and B.
    assert_eq!(shown(&ui).diff_pair, (4, 9));

    // 7: G is the best; the ranking now names all ten, completed in position order.
    ui.key(Key::Num7);
    assert_eq!(ranking(&ui, id), [6, 4, 0, 7, 2, 9, 1, 3, 5, 8]);
    ui.harness.get_by_label("Ranking now: G > E > A > H > C > J > B > D > F > I");
    ui.harness.get_by_label("rank 1 of 10 (now)");
    assert_eq!(shown(&ui).cursor, 6, "the frame is on the candidate picked");
    assert_eq!(shown(&ui).diff_pair, (6, 8), "the diff follows the label: best against worst");

    // Ctrl+Down moves the framed candidate one place down; `]` frames the next one, Ctrl+End
    // makes it the worst, Ctrl+Home the best, Ctrl+Up back one place.
    ctrl_key(&mut ui, Key::ArrowDown);
    assert_eq!(ranking(&ui, id)[..2], [4, 6]);
    ui.key(Key::CloseBracket);
    assert_eq!(shown(&ui).cursor, 7);
    ctrl_key(&mut ui, Key::End);
    assert_eq!(ranking(&ui, id).last(), Some(&7), "H is the worst");
    ctrl_key(&mut ui, Key::Home);
    assert_eq!(ranking(&ui, id)[0], 7, "H is the best");
    ui.key(Key::OpenBracket);
    ui.key(Key::OpenBracket);
    assert_eq!(shown(&ui).cursor, 5, "F");
    ctrl_key(&mut ui, Key::ArrowUp);
    let r = ranking(&ui, id);
    assert_eq!(r.iter().position(|p| *p == 5), Some(7), "F one place up from the 9th: {r:?}");

    // 9: I, the ninth; the tenth, J, by its button.
    ui.key(Key::Num9);
    assert_eq!(ranking(&ui, id)[0], 8);
    click_nth(&mut ui, "Best", 9);
    assert_eq!(ranking(&ui, id)[0], 9, "J is the best");

    // Every candidate by its buttons: each made the worst, then one place up, in turn.
    for p in 0..10u32 {
        click_nth(&mut ui, "Worst", p as usize);
        assert_eq!(ranking(&ui, id).last(), Some(&p), "{} made the worst", LETTERS[p as usize]);
        click_nth(&mut ui, "Up", p as usize);
        assert_eq!(ranking(&ui, id)[8], p, "{} one place up", LETTERS[p as usize]);
    }
    // One undo step per action: the last Up is undone, J is the worst again.
    ui.key(Key::U);
    assert_eq!(ranking(&ui, id).last(), Some(&9));
    let l = ui.store().current_label(id).expect("label").expect("label");
    assert_eq!(l.source, JudgmentSource::Curator);

    // The curator compares any two: B against C.
    ui.harness.state_mut().run_command(Command::DiffPair(1, 2));
    ui.harness.step();
    assert_eq!(shown(&ui).diff_pair, (1, 2));
    ui.key(Key::Num1);
    assert_eq!(shown(&ui).diff_pair, (1, 2), "a pair the curator chose stays when the label changes");
}

#[test]
fn a_rating_is_corrected_per_aspect_and_shown_with_the_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("vlf.verdict");
    let id = {
        let mut store = Store::open(&path).expect("project");
        import_file(&mut store, &demo("vlfeedback.json"), &ImportOptions::default(), &mut Progress::silent())
            .expect("imports");
        store.samples_with_key("vlf-demo-0001").expect("by key")[0].0
    };
    let mut ui = Ui::open(&path, Some("ana"));
    ui.wait_for("vlf-demo-0001 shown", |app| app.project.as_ref().is_some_and(|p| p.sample.is_some()));
    if ui.selected() != id {
        let i = ui.harness.state().project.as_ref().expect("p").ids().iter().position(|x| *x == id).expect("listed");
        ui.harness.state_mut().run_command(Command::Select(i));
        ui.wait_for("the sample", |app| {
            app.project.as_ref().and_then(|p| p.sample.as_ref()).is_some_and(|s| s.view.id == id)
        });
    }
    // The first "Correct…" is candidate A's first aspect (Helpfulness 5).
    click_nth(&mut ui, "Correct…", 0);
    ui.harness.step();
    ui.wait_for_label("Correct a rating");
    ui.harness.get_by_label_contains("Helpfulness of candidate A");
    ui.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    ui.type_text("2");
    ui.key(Key::Enter);
    ui.wait_for("the dialog closes", |_| true);
    let store = ui.store();
    let l = store.current_label(id).expect("label").expect("label");
    assert_eq!((l.source, l.kind), (JudgmentSource::Curator, JudgmentKind::Ratings));
    let view = store.sample(id).expect("sample");
    let mine = view.judgments.iter().find(|j| j.id == l.judgment_id).expect("the curator's ratings");
    let helpful_a = mine.ratings.iter().find(|r| r.response == Some(0) && r.aspect == "Helpfulness").expect("A");
    assert_eq!(helpful_a.value, Some(2.0));
    let faithful_b = mine.ratings.iter().find(|r| r.response == Some(1) && r.aspect == "Visual Faithfulness");
    assert_eq!(faithful_b.and_then(|r| r.value), Some(5.0), "the other ratings carried over");
    // Shown once, with the source's value beside it; the original ratings stay as they were.
    ui.harness.get_by_label("(was 5)");
    assert_eq!(ui.harness.query_all_by_label("Helpfulness").count(), 4, "one Helpfulness line per candidate");
    let original = view.judgments.iter().find(|j| j.source == JudgmentSource::Original).expect("original");
    assert!(
        original.ratings.iter().any(|r| r.response == Some(0) && r.aspect == "Helpfulness" && r.value == Some(5.0))
    );
    // A typo is refused in the dialog, not written.
    click_nth(&mut ui, "Correct…", 0);
    ui.wait_for_label("Correct a rating");
    ui.harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    ui.type_text("five");
    ui.key(Key::Enter);
    ui.harness.get_by_label("`five` is not a number");
    ui.key(Key::Escape);
    assert_eq!(store.current_label(id).expect("l").expect("l").judgment_id, l.judgment_id, "nothing new written");
}

/// A mono 16-bit WAV of `seconds` of a 440 Hz tone at 16 kHz.
fn tone_wav(path: &Path, seconds: f32) {
    let samples: Vec<i16> =
        (0..(16_000.0 * seconds) as usize).map(|i| ((i as f32 * 0.1728).sin() * 8000.0) as i16).collect();
    let data = (samples.len() * 2) as u32;
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    for part in [16u32.to_le_bytes(), [1, 0, 1, 0], 16_000u32.to_le_bytes(), 32_000u32.to_le_bytes(), [2, 0, 16, 0]] {
        wav.extend_from_slice(&part);
    }
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&data.to_le_bytes());
    for s in samples {
        wav.extend_from_slice(&s.to_le_bytes());
    }
    std::fs::write(path, wav).expect("write a clip");
}

/// A text-to-audio pair at the app's narrowest width: the two clips' players sit side by side, and
/// each one's time stays in its own column (it once ran on into the neighbour's Play button).
#[test]
fn side_by_side_clips_keep_their_controls_in_their_own_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    tone_wav(&dir.path().join("short.wav"), 0.3);
    tone_wav(&dir.path().join("long.wav"), 1.7);
    let row = serde_json::json!({"prompt": "a dog barking", "names": ["short", "long"], "better": 1, "clips": ["short.wav", "long.wav"]});
    let data = dir.path().join("t2a.jsonl");
    std::fs::write(&data, format!("{row}\n")).expect("write data");
    let mapping = dir.path().join("t2a.toml");
    std::fs::write(
        &mapping,
        "prompt = \"prompt\"\nresponses_list = \"names\"\npreference = \"better\"\n\
         [[media]]\nfield = \"clips\"\nkind = \"audio\"\nrole = \"candidate\"\n",
    )
    .expect("write mapping");
    let path = dir.path().join("t2a.verdict");
    let mut store = Store::open(&path).expect("project");
    let options = ImportOptions { mapping: Some(mapping), ..ImportOptions::default() };
    import_file(&mut store, &data, &options, &mut Progress::silent()).expect("imports");
    drop(store);
    let settings = verdict::ui::Settings { curator: Some("ana".into()), ..verdict::ui::Settings::default() };
    let mut ui = Ui::open_with(&path, settings, None, [1064.0, 700.0]);
    ui.wait_for_label("0:00.0 / 0:01.7");
    ui.wait_for_label("0:00.0 / 0:00.3");
    let time = ui.harness.get_by_label("0:00.0 / 0:00.3").rect();
    let plays: Vec<egui::Rect> = ui.harness.get_all_by_label("▶ Play").map(|n| n.rect()).collect();
    assert_eq!(plays.len(), 2, "a player per clip");
    let (first, second) = if plays[0].left() < plays[1].left() { (plays[0], plays[1]) } else { (plays[1], plays[0]) };
    assert!(time.left() < second.left(), "the short clip's time is in the first column: {time:?} {second:?}");
    assert!(time.right() <= second.left(), "the first clip's time {time:?} runs into the second's Play {second:?}");
    assert!(first.right() <= second.left());
}
