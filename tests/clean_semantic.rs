//! `dup:semantic`: prompts whose kept embeddings (a scorer of this test plants them) reach the
//! cosine threshold are grouped, others never; the pass is refused in words while no embeddings
//! exist; the groups are listed by `verdict dups --kind semantic` and found by `dup:semantic`; on
//! a few thousand vectors the LSH buckets find every planted paraphrase pair and nothing else.

mod common;
use common::{Workspace, import, stderr, stdout, verdict};
use std::collections::HashMap;
use verdict::clean::semantic::{SemanticOptions, run};
use verdict::jobs::Progress;
use verdict::score::{Candidate, Result, ScoreOptions, Scored, Scorer, ScorerIdentity, text_hash};
use verdict::store::Store;

/// Embeds each prompt as the vector planted for it.
struct Planted {
    identity: ScorerIdentity,
    vectors: HashMap<String, Vec<f32>>,
}

impl Scorer for Planted {
    fn identity(&self) -> &ScorerIdentity {
        &self.identity
    }
    fn device(&self) -> &'static str {
        "cpu f32"
    }
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        Ok(batch
            .iter()
            .map(|c| Scored {
                score: 0.5,
                detail: None,
                embeddings: vec![(text_hash(c.prompt), self.vectors[c.prompt].clone())],
            })
            .collect())
    }
}

/// A deterministic stream of numbers in [-1, 1).
fn noise(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f32 / (1u64 << 52) as f32 - 1.0
    }
}

fn random(seed: u64, dim: usize) -> Vec<f32> {
    let mut n = noise(seed);
    (0..dim).map(|_| n()).collect()
}

/// `base` moved a little: cosine about 0.99 with it.
fn paraphrase(base: &[f32], seed: u64) -> Vec<f32> {
    let mut n = noise(seed);
    base.iter().map(|x| x + 0.08 * n()).collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let d: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let n = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    f64::from(d / (n(a) * n(b)))
}

/// A project of `prompts` (key, text), each scored by the planted scorer with `vectors`.
fn project(
    ws: &Workspace,
    prompts: &[(String, String)],
    vectors: HashMap<String, Vec<f32>>,
    score: bool,
) -> std::path::PathBuf {
    let mut lines = String::new();
    for (key, prompt) in prompts {
        lines +=
            &(serde_json::json!({"id": key, "prompt": prompt, "chosen": "yes", "rejected": "no"}).to_string() + "\n");
    }
    let project = ws.project();
    import(&project, &ws.write("prompts.jsonl", lines));
    if score {
        let identity = ScorerIdentity {
            name: "planted".into(),
            kind: "relevance".into(),
            architecture: "Planted".into(),
            weights: "cd".repeat(32),
            settings: serde_json::json!({}),
        };
        let mut store = Store::open(&project).expect("project");
        let options = ScoreOptions { origin: "test", ..ScoreOptions::default() };
        run_score(&mut store, &mut Planted { identity, vectors }, &options);
    }
    project
}

fn run_score(store: &mut Store, scorer: &mut Planted, options: &ScoreOptions) {
    verdict::score::run(store, scorer, options, &mut Progress::silent()).expect("scores");
}

#[test]
fn paraphrases_group_and_other_prompts_do_not() {
    let ws = Workspace::new();
    let dim = 32;
    let (tower, novel) = (random(1, dim), random(2, dim));
    let planted = [
        ("k0", "how tall is the eiffel tower", tower.clone()),
        ("k1", "what is the height of the eiffel tower", paraphrase(&tower, 11)),
        ("k2", "eiffel tower: how high is it", paraphrase(&tower, 12)),
        ("k3", "who wrote war and peace", novel.clone()),
        ("k4", "war and peace was written by whom", paraphrase(&novel, 13)),
        ("k5", "how do bees make honey", random(5, dim)),
        ("k6", "what is the capital of peru", random(6, dim)),
        (
            "k7",
            "how tall is the tokyo tower",
            paraphrase(&paraphrase(&tower, 14), 15)
                .iter()
                .map(|x| x * 0.2)
                .zip(random(7, dim))
                .map(|(x, y)| x + y)
                .collect(),
        ),
    ];
    for (k, _, v) in &planted[5..] {
        assert!(cosine(v, &tower) < 0.9 && cosine(v, &novel) < 0.9, "{k} is planted far from both");
    }
    let prompts: Vec<(String, String)> = planted.iter().map(|(k, p, _)| ((*k).to_owned(), (*p).to_owned())).collect();
    let vectors: HashMap<String, Vec<f32>> = planted.iter().map(|(_, p, v)| ((*p).to_owned(), v.clone())).collect();

    // Before any scorer: refused in words.
    let bare = Workspace::new();
    let unscored = project(&bare, &prompts, vectors.clone(), false);
    let o = verdict(&["dedup", unscored.to_str().expect("utf8"), "--semantic"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--semantic compares the prompt embeddings a sentence-embedding scorer keeps"),
        "{}",
        stderr(&o)
    );

    let project = project(&ws, &prompts, vectors, true);
    let p = project.to_str().expect("utf8");
    let o = verdict(&["dedup", p, "--semantic", "--scorer", "planted", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(report["semantic"]["groups"], 2, "{report}");
    assert_eq!(report["semantic"]["embedded"], 8);
    let dups = verdict(&["dups", p, "--kind", "semantic", "--json"]);
    let groups: Vec<Vec<String>> = stdout(&dups)
        .lines()
        .map(|l| {
            let g: serde_json::Value = serde_json::from_str(l).expect("json");
            let mut keys: Vec<String> = g["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| m["key"].as_str().expect("key").to_owned())
                .collect();
            keys.sort();
            keys
        })
        .collect();
    assert_eq!(groups, [vec!["k0", "k1", "k2"], vec!["k3", "k4"]]);
    let count = verdict(&["search", p, "dup:semantic", "--count"]);
    assert_eq!(stdout(&count).trim(), "5");
    // A stricter threshold than the paraphrases reach groups nothing.
    let o = verdict(&["dedup", p, "--semantic", "--cosine", "0.9999", "--json"]);
    let report: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("json");
    assert_eq!(report["semantic"]["groups"], 0, "{report}");
}

#[test]
fn lsh_finds_every_planted_pair_among_thousands_without_comparing_all() {
    let ws = Workspace::new();
    let (n, pairs, dim) = (3000usize, 150usize, 48);
    let mut prompts = Vec::new();
    let mut vectors = HashMap::new();
    let mut bases: Vec<Vec<f32>> = Vec::new();
    for i in 0..n {
        let v = if i >= n - pairs {
            paraphrase(&bases[i - (n - pairs)], 1000 + i as u64)
        } else {
            random(10 + i as u64, dim)
        };
        if i < pairs {
            bases.push(v.clone());
        }
        let prompt = format!("prompt number {i}");
        prompts.push((format!("k{i}"), prompt.clone()));
        vectors.insert(prompt, v);
    }
    let project = project(&ws, &prompts, vectors, true);
    let mut store = Store::open(&project).expect("project");
    let report = run(&mut store, &SemanticOptions::default(), &mut Progress::silent()).expect("pass");
    assert_eq!(report.groups, pairs as u64, "{report:?}");
    assert_eq!(report.samples, 2 * pairs as u64);
    assert!(report.candidates < (n * (n - 1) / 2 / 10) as u64, "not all pairs: {report:?}");
    for g in store.dup_groups(Some("semantic")).expect("groups") {
        let ids: Vec<i64> = g.members.iter().map(|m| m.sample.0).collect();
        // Sample i+1 is the paraphrase of sample i - (n - pairs) + 1.
        assert_eq!(ids.len(), 2);
        assert_eq!(ids[1] - ids[0], (n - pairs) as i64, "{ids:?}");
    }
}
