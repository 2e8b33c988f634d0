//! `verdict export --margin-from SCORER`: the margin column of ms-swift and OpenRLHF rows is the
//! scorer's score(chosen) − score(rejected) under the label in force, read from the project (a
//! scorer of this test wrote the scores); a relabel turns its sign; the manifest names the scorer;
//! an unknown scorer, or a format without a margin column, is refused in words.

mod common;
use common::{Workspace, export, import, stderr, verdict};
use serde_json::Value;
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::score::{Candidate, Result, ScoreOptions, Scored, Scorer, ScorerIdentity};
use verdict::store::{Actor, CurationAction, Store};

/// Scores a candidate by its length in words.
struct Words(ScorerIdentity);

impl Scorer for Words {
    fn identity(&self) -> &ScorerIdentity {
        &self.0
    }
    fn device(&self) -> &'static str {
        "cpu f32"
    }
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        Ok(batch
            .iter()
            .map(|c| Scored { score: c.text.split_whitespace().count() as f32, detail: None, embeddings: Vec::new() })
            .collect())
    }
}

const ROWS: [(&str, &str, &str); 3] =
    [("q0", "one two three four", "one"), ("q1", "a b", "a b c d e f"), ("q2", "x y z", "x y z")];

fn rows(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path).expect("rows").lines().map(|l| serde_json::from_str(l).expect("json")).collect()
}

fn words(t: &str) -> f64 {
    t.split_whitespace().count() as f64
}

#[test]
fn margins_come_from_the_scorer_under_the_label_in_force() {
    let ws = Workspace::new();
    let project = ws.project();
    let mut lines = String::new();
    for (q, c, r) in ROWS {
        lines += &(serde_json::json!({"prompt": q, "chosen": c, "rejected": r, "margin": 100.0}).to_string() + "\n");
    }
    import(&project, &ws.write("pairs.jsonl", lines));
    let p = project.to_str().expect("utf8");

    // No scorer yet: refused, naming what to do.
    let out = ws.path("none");
    let o =
        verdict(&["export", p, "--out", out.to_str().expect("utf8"), "--format", "openrlhf", "--margin-from", "len"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--margin-from len: no scorer has scored this project"), "{}", stderr(&o));

    let mut store = Store::open(&project).expect("project");
    let identity = ScorerIdentity {
        name: "len".into(),
        kind: "length".into(),
        architecture: "Words".into(),
        weights: "ab".repeat(32),
        settings: serde_json::json!({}),
    };
    let options = ScoreOptions { origin: "test", ..ScoreOptions::default() };
    verdict::score::run(&mut store, &mut Words(identity), &options, &mut Progress::silent()).expect("scores");

    for format in ["openrlhf", "swift"] {
        // Without the option: the source's own margin.
        let own = ws.path(&format!("{format}-own"));
        export(&project, &own, &["--format", format]);
        assert!(rows(&own.join("train.jsonl")).iter().all(|r| r["margin"].as_f64() == Some(100.0)));
        let out = ws.path(&format!("{format}-len"));
        let manifest = export(&project, &out, &["--format", format, "--margin-from", "len"]);
        let got: Vec<Option<f64>> = rows(&out.join("train.jsonl")).iter().map(|r| r["margin"].as_f64()).collect();
        let want: Vec<Option<f64>> = ROWS.iter().map(|(_, c, r)| Some(words(c) - words(r))).collect();
        assert_eq!(got, want, "{format}");
        let written: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("manifest")).expect("json");
        assert_eq!(written["options"]["margin_from"], "len", "{manifest}");
        assert_eq!(written["margin_scorer"]["name"], "len");
        assert_eq!(written["margin_scorer"]["weights"], "ab".repeat(32));
    }

    // A curator swaps q1's label: its pair is (c, r) the other way, and so is its margin.
    store.apply(&Actor::new("ana", "test"), SampleId(2), &CurationAction::Swap).expect("swap");
    let out = ws.path("swapped");
    export(&project, &out, &["--format", "openrlhf", "--margin-from", "len"]);
    let got: Vec<Option<f64>> = rows(&out.join("train.jsonl")).iter().map(|r| r["margin"].as_f64()).collect();
    assert_eq!(got, [Some(3.0), Some(4.0), Some(0.0)]);

    // An unknown scorer and a format without a margin column are refused in words.
    let o = verdict(&[
        "export",
        p,
        "--out",
        ws.path("x").to_str().expect("utf8"),
        "--format",
        "swift",
        "--margin-from",
        "nope",
    ]);
    assert!(stderr(&o).contains("no scorer `nope` in this project (known: len)"), "{}", stderr(&o));
    let o = verdict(&[
        "export",
        p,
        "--out",
        ws.path("y").to_str().expect("utf8"),
        "--format",
        "trl",
        "--margin-from",
        "len",
    ]);
    assert!(
        stderr(&o).contains("--margin-from writes the margin column of --format swift and openrlhf"),
        "{}",
        stderr(&o)
    );
}
