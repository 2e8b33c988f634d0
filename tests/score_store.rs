//! The scoring job and what it leaves in the project, with a scorer of this test (its score a
//! function of the text, so every expectation can be computed): model judgments are written through
//! the write path and never change the label in force; the margins follow the label in force
//! through relabels and undo; the query fields read them; a cancelled job resumes and nothing is
//! scored twice; a scorer's name and identity belong together; suspects come most confident first.

mod common;
use common::{Workspace, import};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use verdict::jobs::{CancelToken, NoProgress, Progress};
use verdict::model::{JudgmentSource, SampleId};
use verdict::score::{Candidate, Result, ScoreError, ScoreOptions, Scored, Scorer, ScorerIdentity};
use verdict::store::{Actor, CurationAction, Store};

/// Scores a candidate by how many of the prompt's words it repeats, minus a little for length:
/// deterministic, and on the answer's side of the label in the fixture below.
struct WordScorer {
    identity: ScorerIdentity,
    /// Candidates scored, over every call.
    scored: Arc<AtomicUsize>,
    /// Cancels this token once it has been called this many times.
    cancel_after: Option<(usize, CancelToken)>,
    calls: usize,
}

impl WordScorer {
    fn new(name: &str, settings: serde_json::Value) -> Self {
        Self {
            identity: ScorerIdentity {
                name: name.into(),
                kind: "relevance".into(),
                architecture: "WordOverlap".into(),
                weights: "00ff".repeat(16),
                settings,
            },
            scored: Arc::default(),
            cancel_after: None,
            calls: 0,
        }
    }
}

fn word_score(prompt: &str, text: &str) -> f32 {
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
        self.calls += 1;
        if let Some((n, token)) = &self.cancel_after
            && self.calls >= *n
        {
            token.cancel();
        }
        self.scored.fetch_add(batch.len(), Ordering::SeqCst);
        Ok(batch
            .iter()
            .map(|c| Scored {
                score: word_score(c.prompt, c.text),
                detail: None,
                embeddings: vec![(verdict::score::text_hash(c.text), vec![c.text.len() as f32, 1.0])],
            })
            .collect())
    }
}

/// Pairs: the chosen answer repeats the question's words except where `mislabeled` says the
/// rejected one does; `copies` rows repeat row 0's prompt and answers exactly.
fn fixture(ws: &Workspace, name: &str, n: usize, mislabeled: &[usize], copies: usize) -> std::path::PathBuf {
    let mut lines = String::new();
    for i in 0..n + copies {
        let k = if i >= n { 0 } else { i };
        let prompt = format!("what colour is ball number {k} on the table");
        let good = format!("ball number {k} on the table is red");
        let bad = format!("I cannot tell ({k})");
        let (chosen, rejected) = if mislabeled.contains(&i) { (bad, good) } else { (good, bad) };
        let row =
            serde_json::json!({"id": format!("{name}-{i}"), "prompt": prompt, "chosen": chosen, "rejected": rejected});
        lines.push_str(&row.to_string());
        lines.push('\n');
    }
    ws.write(&format!("{name}.jsonl"), lines)
}

fn options(commit_each_chunk: bool) -> ScoreOptions {
    ScoreOptions {
        batch: 4,
        origin: "test",
        commit_every: if commit_each_chunk { std::time::Duration::ZERO } else { std::time::Duration::from_mins(1) },
        ..ScoreOptions::default()
    }
}

fn matching(store: &Store, q: &str) -> Vec<i64> {
    let c = verdict::query::compile(q).expect("query");
    store.matching(&c, 1000, 0).expect("matching").into_iter().map(|r| r.id.0).collect()
}

/// Each model rating of `scorer`: (sample, position, value).
fn ratings(store: &Store, scorer: &str) -> Vec<(i64, i64, f64)> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT j.sample_id, r.response_pos, r.value FROM judgments j JOIN ratings r ON r.judgment_id = j.id
             WHERE j.source = 'model' AND j.author = ?1 ORDER BY j.sample_id, r.response_pos",
        )
        .expect("sql");
    stmt.query_map([scorer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).and_then(Iterator::collect).expect("rows")
}

fn margin(store: &Store, sample: i64) -> Option<f64> {
    use rusqlite::OptionalExtension;
    store
        .conn()
        .query_row("SELECT margin FROM score_margins WHERE sample_id = ?1", [sample], |r| r.get(0))
        .optional()
        .expect("margin")
}

#[test]
fn model_judgments_leave_the_label_alone_and_margins_follow_it() {
    let ws = Workspace::new();
    let project = ws.project();
    import(&project, &fixture(&ws, "pairs", 6, &[2, 4], 0));
    let mut store = Store::open(&project).expect("opens");
    let labels_before: Vec<_> = (1..=6).map(|i| store.current_label(SampleId(i)).expect("label")).collect();
    let mut scorer = WordScorer::new("words", serde_json::json!({"v": 1}));
    let report =
        verdict::score::run(&mut store, &mut scorer, &options(false), &mut Progress::silent()).expect("scores");
    assert_eq!((report.judged, report.candidates, report.computed, report.device.as_str()), (6, 12, 12, "cpu f32"));
    let labels_after: Vec<_> = (1..=6).map(|i| store.current_label(SampleId(i)).expect("label")).collect();
    assert_eq!(labels_after, labels_before, "the label in force is never a model's");
    assert!(labels_after.iter().flatten().all(|l| l.source == JudgmentSource::Original));
    let view = store.sample(SampleId(3)).expect("reads");
    let model: Vec<_> = view.judgments.iter().filter(|j| j.source == JudgmentSource::Model).collect();
    assert_eq!(model.len(), 1);
    assert_eq!((model[0].author.as_deref(), model[0].label.as_str()), (Some("words"), "words"));
    assert_eq!(model[0].ratings.len(), 2);
    // Margins: score(chosen) - score(rejected), for the label in force.
    let rows = ratings(&store, "words");
    let score = |s: i64, p: i64| rows.iter().find(|r| r.0 == s && r.1 == p).expect("rated").2;
    assert!((margin(&store, 1).expect("margin") - (score(1, 0) - score(1, 1))).abs() < 1e-12);
    assert!(margin(&store, 3).expect("margin") < 0.0, "the mislabeled pair");
    assert_eq!(matching(&store, "agree:no"), [3, 5]);
    assert_eq!(matching(&store, "agree:words=yes"), [1, 2, 4, 6]);
    assert_eq!(matching(&store, "margin<0"), [3, 5]);
    assert_eq!(matching(&store, "-margin<0"), [1, 2, 4, 6]);
    assert_eq!(matching(&store, "score:words>0.6"), [1, 2, 3, 4, 5, 6]);
    assert!(matching(&store, "score:other>0.6").is_empty());
    // A curator's swap flips the margin; undo flips it back; a tie names no pair.
    let before = margin(&store, 3).expect("margin");
    let ana = Actor::new("ana", "test");
    store.apply(&ana, SampleId(3), &CurationAction::Swap).expect("swap");
    assert!((margin(&store, 3).expect("margin") + before).abs() < 1e-12);
    assert_eq!(matching(&store, "agree:no"), [5]);
    store.undo(&ana, None).expect("undo");
    assert!((margin(&store, 3).expect("margin") - before).abs() < 1e-12);
    store.apply(&ana, SampleId(3), &CurationAction::Tie).expect("tie");
    assert_eq!(margin(&store, 3), None);
    assert_eq!(matching(&store, "agree:no"), [5]);
    // Model judgments and their ratings are never modified.
    let err = store.conn().execute("UPDATE judgments SET label = 'x' WHERE source = 'model'", []).expect_err("refused");
    assert!(err.to_string().contains("model judgments are never modified"), "{err}");
    let err = store.conn().execute("UPDATE ratings SET value = 0", []).expect_err("refused");
    assert!(err.to_string().contains("never modified"), "{err}");
    // The scoring is in the history, final, and undo passes over it to the curator's own edit.
    let history = store.history(10).expect("history");
    assert!(history.iter().any(|h| h.op.action == "score" && h.op.curator == "words" && h.op.state == "final"));
    let undone = store.undo(&ana, None).expect("undo the tie");
    assert!(undone.headline(false).contains("tie"), "{}", undone.headline(false));
}

#[test]
fn a_cancelled_job_resumes_and_nothing_is_scored_twice() {
    let ws = Workspace::new();
    let file = fixture(&ws, "many", 20, &[7], 5);
    let (whole, cut) = (ws.path("whole.verdict"), ws.path("cut.verdict"));
    import(&whole, &file);
    import(&cut, &file);
    let mut store = Store::open(&whole).expect("opens");
    let mut scorer = WordScorer::new("words", serde_json::json!({"v": 1}));
    let report = verdict::score::run(&mut store, &mut scorer, &options(true), &mut Progress::silent()).expect("scores");
    // Row 0's prompt and answers come 6 times: scored once, the copies found by content.
    assert_eq!((report.judged, report.candidates, report.computed), (25, 50, 40));
    assert_eq!(report.reused + report.computed, 50, "{report:?}");
    let uninterrupted = ratings(&store, "words");

    let mut store = Store::open(&cut).expect("opens");
    let token = CancelToken::new();
    let mut scorer = WordScorer::new("words", serde_json::json!({"v": 1}));
    scorer.cancel_after = Some((2, token.clone()));
    let counted = scorer.scored.clone();
    let mut progress = Progress::new(Arc::new(NoProgress), token);
    let err = verdict::score::run(&mut store, &mut scorer, &options(true), &mut progress).expect_err("cancelled");
    assert!(matches!(err, ScoreError::Cancelled), "{err}");
    let kept = ratings(&store, "words");
    assert!(!kept.is_empty() && kept.len() < uninterrupted.len(), "{} of {}", kept.len(), uninterrupted.len());
    let first = counted.load(Ordering::SeqCst);
    let mut scorer = WordScorer::new("words", serde_json::json!({"v": 1}));
    let again = scorer.scored.clone();
    let report =
        verdict::score::run(&mut store, &mut scorer, &options(true), &mut Progress::silent()).expect("resumes");
    assert_eq!(report.already as usize, kept.iter().map(|r| r.0).collect::<std::collections::BTreeSet<_>>().len());
    assert_eq!(first + again.load(Ordering::SeqCst), 40, "every distinct content scored once over both runs");
    assert_eq!(ratings(&store, "words"), uninterrupted);
    // A third run has nothing to do.
    let report = verdict::score::run(&mut store, &mut scorer, &options(true), &mut Progress::silent()).expect("runs");
    assert_eq!((report.judged, report.computed, report.already), (0, 0, 25));
    let embeddings: i64 = store.conn().query_row("SELECT count(*) FROM embeddings", [], |r| r.get(0)).expect("count");
    assert_eq!(embeddings, 40, "one per distinct text: 20 good answers, 20 bad ones");
}

#[test]
fn a_scorers_name_and_identity_belong_together() {
    let ws = Workspace::new();
    let project = ws.project();
    import(&project, &fixture(&ws, "pairs", 3, &[], 0));
    let mut store = Store::open(&project).expect("opens");
    let run = |store: &mut Store, name: &str, v: i64| {
        let mut scorer = WordScorer::new(name, serde_json::json!({"v": v}));
        verdict::score::run(store, &mut scorer, &options(false), &mut Progress::silent())
    };
    run(&mut store, "words", 1).expect("first");
    let err = run(&mut store, "other", 1).expect_err("same identity, other name");
    assert!(err.to_string().contains("--name words"), "{err}");
    let err = run(&mut store, "words", 2).expect_err("same name, other settings");
    assert!(err.to_string().contains("belongs to another model"), "{err}");
    run(&mut store, "words2", 2).expect("another name");
    let scorers = store.scorers().expect("scorers");
    assert_eq!(scorers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), ["words2", "words"], "latest first");
    assert_eq!((scorers[1].judged, scorers[1].pairs, scorers[1].agree), (3, 3, 3));
}

#[test]
fn suspects_come_most_confident_first_with_bradley_terry_probabilities() {
    let ws = Workspace::new();
    let project = ws.project();
    import(&project, &fixture(&ws, "pairs", 12, &[3, 8], 0));
    let mut store = Store::open(&project).expect("opens");
    let mut scorer = WordScorer::new("words", serde_json::json!({"v": 1}));
    verdict::score::run(&mut store, &mut scorer, &options(false), &mut Progress::silent()).expect("scores");
    let found = verdict::score::suspects::suspects(&store, None, 3, None).expect("suspects");
    assert_eq!(found.scorer.name, "words");
    let ids: Vec<i64> = found.pairs.iter().map(|s| s.pair.sample.0).collect();
    assert_eq!(&ids[..2], [4, 9], "the two mislabeled pairs first");
    assert_eq!(found.pairs.len(), 3);
    assert!(found.pairs[0].pair.margin <= found.pairs[1].pair.margin);
    assert!(found.pairs[0].probability < 0.5 && found.pairs[2].probability > 0.5);
    assert_eq!((found.temperature.fitted_on, found.temperature.given), (12, false));
    let t = found.temperature.value;
    let p = &found.pairs[0];
    assert!((p.probability - 1.0 / (1.0 + (-p.pair.margin / t).exp())).abs() < 1e-12);
    assert_eq!(
        (p.pair.dataset.as_str(), p.pair.position.to_string(), p.pair.key.as_deref()),
        ("pairs", "line 4".into(), Some("pairs-3"))
    );
    let given = verdict::score::suspects::suspects(&store, Some("words"), 1, Some(0.5)).expect("suspects");
    assert!((given.pairs[0].probability - 1.0 / (1.0 + (-p.pair.margin / 0.5).exp())).abs() < 1e-12);
    let err = verdict::score::suspects::suspects(&store, Some("nope"), 1, None).expect_err("unknown");
    assert!(err.to_string().contains("known: words"), "{err}");
}

#[test]
fn agreement_is_counted_per_dataset_source_model_and_curator() {
    let ws = Workspace::new();
    let project = ws.project();
    // "ranked": 4 rankings of a good answer (model m-good) and a bad one (m-bad, m-other on the
    // last row); the second row ranks the bad answer first.
    let mut lines = String::new();
    for k in 0..4 {
        let good = serde_json::json!({"text": format!("ball number {k} on the table is red"), "model": "m-good"});
        let bad_model = if k == 3 { "m-other" } else { "m-bad" };
        let bad = serde_json::json!({"text": format!("I cannot tell ({k})"), "model": bad_model});
        let ranking = if k == 1 { [1, 0] } else { [0, 1] };
        let row = serde_json::json!({
            "uid": format!("r-{k}"), "question": format!("what colour is ball number {k} on the table"),
            "candidates": [good, bad], "ranking": ranking,
        });
        lines.push_str(&row.to_string());
        lines.push('\n');
    }
    let ranked = ws.write("ranked.jsonl", lines);
    let map = ws.write(
        "ranked.toml",
        "id = \"uid\"\nprompt = \"question\"\nresponses_list = \"candidates\"\nresponse_text = \"text\"\n\
         response_model = \"model\"\nranking = \"ranking\"\nranking_base = 0\n",
    );
    let o = common::verdict(&[
        "import",
        "--project",
        project.to_str().expect("utf8"),
        "--map",
        map.to_str().expect("utf8"),
        ranked.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // "pairs": 3 preferences naming no model, the first mislabeled (samples 5, 6, 7).
    import(&project, &fixture(&ws, "pairs", 3, &[0], 0));
    let mut store = Store::open(&project).expect("opens");
    let mut scorer = WordScorer::new("words", serde_json::json!({"v": 1}));
    verdict::score::run(&mut store, &mut scorer, &options(false), &mut Progress::silent()).expect("scores");
    // ana puts the mislabeled preference right.
    store.apply(&Actor::new("ana", "test"), SampleId(5), &CurationAction::Swap).expect("swap");
    let id = store.scorer(Some("words")).expect("reads").expect("the scorer").id;
    let a = store.agreement(id).expect("agreement");
    let rows = |rows: &[verdict::store::AgreementRow]| -> Vec<(Option<String>, u64, u64, u64)> {
        rows.iter().map(|r| (r.name.clone(), r.pairs, r.agree, r.disagree)).collect()
    };
    let named = |s: &str| Some(s.to_owned());
    assert_eq!(rows(&a.by_dataset), [(named("ranked"), 4, 3, 1), (named("pairs"), 3, 3, 0)]);
    // Each pair under each model it holds a candidate of; pairs naming none under `None`.
    assert_eq!(
        rows(&a.by_model),
        [(named("m-good"), 4, 3, 1), (named("m-bad"), 3, 2, 1), (None, 3, 3, 0), (named("m-other"), 1, 1, 0)]
    );
    // Per author of the label in force: ana's swap, the datasets' own labels.
    assert_eq!(rows(&a.by_curator), [(None, 6, 5, 1), (named("ana"), 1, 1, 0)]);
    assert_eq!(verdict::store::group_name("curator", &a.by_curator[0]), "(original label)");
    // Undo gives the pair back to the dataset's label, where the scorer disagrees with it.
    store.undo(&Actor::new("ana", "test"), None).expect("undo");
    let a = store.agreement(id).expect("agreement");
    assert_eq!(rows(&a.by_curator), [(None, 7, 5, 2)]);
    assert_eq!(rows(&a.by_dataset)[1], (named("pairs"), 3, 2, 1));

    // The command line: indented lines, and an `agreement` object in JSON.
    let p = project.to_str().expect("utf8");
    let o = common::verdict(&["scorers", p, "--agreement"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("\n  dataset ranked: agrees with 3 of 4 pairs (75 %), 1 against\n"), "{text}");
    assert!(text.contains("\n  model m-bad: agrees with 2 of 3 pairs (67 %), 1 against\n"), "{text}");
    assert!(text.contains("\n  curator (original label): agrees with 5 of 7 pairs (71 %), 2 against"), "{text}");
    let o = common::verdict(&["scorers", p, "--agreement", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(
        v["agreement"]["by_model"][0],
        serde_json::json!({"name": "m-good", "pairs": 4, "agree": 3, "disagree": 1})
    );
    assert_eq!(v["agreement"]["by_curator"][0]["name"], serde_json::Value::Null);
    let plain = common::verdict(&["scorers", p, "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("one JSON object");
    assert!(v.get("agreement").is_none(), "only when asked");
}
