//! The keep policy `scored`: of a duplicate group, the member whose label a scorer backs most (the
//! largest margin score(chosen) - score(rejected) under the label in force) stays; the margin is
//! read from the project (a scorer of this test wrote it), and a project without scores, or a
//! scorer it does not know, is refused in words. From the library and from `verdict dedup --keep`.

mod common;
use common::{Workspace, import, stderr, stdout, verdict};
use verdict::clean::keep::{KeepPolicy, exclude_duplicates};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::score::{Candidate, Result, ScoreOptions, Scored, Scorer, ScorerIdentity};
use verdict::store::{Actor, Store};

/// Scores a candidate by the number of the prompt's words it repeats.
struct WordScorer(ScorerIdentity);

impl Scorer for WordScorer {
    fn identity(&self) -> &ScorerIdentity {
        &self.0
    }
    fn device(&self) -> &'static str {
        "cpu f32"
    }
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        Ok(batch
            .iter()
            .map(|c| {
                let words: Vec<&str> = c.prompt.split_whitespace().collect();
                let shared = c.text.split_whitespace().filter(|w| words.contains(w)).count();
                Scored { score: shared as f32, detail: None, embeddings: Vec::new() }
            })
            .collect())
    }
}

const PROMPT: &str = "which planet in our solar system has the largest number of moons";

/// Three copies of one question with other answers (one group of prompt duplicates): the second's
/// chosen answer repeats the most of the question over its rejected one, the first's label is the
/// wrong way round; then an unrelated pair.
fn project(ws: &Workspace) -> std::path::PathBuf {
    let rows = [
        ("a", "no idea", "the planet saturn has the largest number of moons"),
        ("b", "saturn is the planet in our solar system with the largest number of moons", "no idea"),
        ("c", "saturn has the most moons", "jupiter"),
        ("d", "paris", "rome"),
    ];
    let mut lines = String::new();
    for (i, (id, chosen, rejected)) in rows.iter().enumerate() {
        let prompt = if i < 3 { PROMPT } else { "what is the capital of france" };
        lines += &(serde_json::json!({"id": id, "prompt": prompt, "chosen": chosen, "rejected": rejected}).to_string()
            + "\n");
    }
    let project = ws.project();
    import(&project, &ws.write("pairs.jsonl", lines));
    let mut store = Store::open(&project).expect("project");
    let options = verdict::clean::dedup::DedupOptions {
        images: false,
        video: false,
        audio: false,
        responses: false,
        ..verdict::clean::dedup::DedupOptions::default()
    };
    verdict::clean::dedup::run(&mut store, &options, &mut Progress::silent()).expect("dedup");
    project
}

fn score(project: &std::path::Path, name: &str) {
    let mut store = Store::open(project).expect("project");
    let identity = ScorerIdentity {
        name: name.into(),
        kind: "relevance".into(),
        architecture: "WordOverlap".into(),
        weights: format!("{name:0>64}"),
        settings: serde_json::json!({}),
    };
    let options = ScoreOptions { origin: "test", ..ScoreOptions::default() };
    verdict::score::run(&mut store, &mut WordScorer(identity), &options, &mut Progress::silent()).expect("scores");
}

fn excluded(store: &Store) -> Vec<i64> {
    (1..=4).filter(|i| store.curation_state(SampleId(*i)).expect("state").excluded.is_some()).collect()
}

#[test]
fn the_member_whose_label_the_scorer_backs_most_stays() {
    let ws = Workspace::new();
    let project = project(&ws);
    let mut store = Store::open(&project).expect("project");
    assert_eq!(store.dup_groups(Some("prompt")).expect("groups").len(), 1, "one group of three");
    // No scores yet: refused in words, nothing excluded.
    let actor = Actor::new("ana", "test");
    let err = exclude_duplicates(&mut store, &actor, "prompt", &KeepPolicy::Scored(None), &mut Progress::silent())
        .expect_err("no scores");
    assert!(err.to_string().contains("verdict score"), "{err}");
    assert!(excluded(&store).is_empty());

    score(&project, "words");
    // Margins: a = 0 - 10 (the wrong way round), b = 13 - 0, c = 2 - 0: b stays.
    let err = exclude_duplicates(
        &mut store,
        &actor,
        "prompt",
        &KeepPolicy::Scored(Some("other".into())),
        &mut Progress::silent(),
    )
    .expect_err("unknown scorer");
    assert!(err.to_string().contains("no scorer `other`") && err.to_string().contains("words"), "{err}");
    let (ids, _) = exclude_duplicates(&mut store, &actor, "prompt", &KeepPolicy::Scored(None), &mut Progress::silent())
        .expect("excluded");
    assert_eq!(ids, [SampleId(1), SampleId(3)]);
    assert_eq!(excluded(&store), [1, 3]);
    // The first policy would have kept a, the one the model says is mislabeled.
    store.undo(&actor, None).expect("undo");
    let (ids, _) =
        exclude_duplicates(&mut store, &actor, "prompt", &KeepPolicy::First, &mut Progress::silent()).expect("first");
    assert_eq!(ids, [SampleId(2), SampleId(3)]);
}

#[test]
fn verdict_dedup_keeps_by_a_named_scorer() {
    let ws = Workspace::new();
    let project = project(&ws);
    let p = project.to_str().expect("utf8");
    let args =
        ["dedup", p, "--text", "prompts", "--exclude", "--kind", "prompt", "--keep", "scored", "--curator", "ana"];
    let refused = verdict(&args);
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("--keep scored needs model scores"), "{}", stderr(&refused));
    score(&project, "words");
    let mut named = args.to_vec();
    named[8] = "scored:words";
    let o = verdict(&named);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(excluded(&Store::open(&project).expect("project")), [1, 3], "{}", stdout(&o));
}
