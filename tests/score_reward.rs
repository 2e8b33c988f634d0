//! The reward scorer on tiny randomly initialized models that `scripts/tiny_reward_models.py`
//! builds with `transformers` (run by `VERDICT_PYTHON`): a DeBERTa-v3-shaped
//! `DebertaV2ForSequenceClassification` with a Unigram tokenizer, two DeBERTa-v2s with the
//! convolution layer of v2-xlarge (one of a single layer), and BERT cross-encoders
//! (`BertForSequenceClassification`) with one and two labels. Their logits match `transformers`'
//! within 1e-4 on fixed (prompt, response) pairs that are cut and padded; `verdict score` with
//! one of them writes margins that are the differences of its scores.
//!
//! Without `VERDICT_PYTHON` the tests say so and pass without checking anything: the script needs
//! `transformers` and torch (scripts/test.sh sets it).

mod common;
use common::{Workspace, import, stderr, stdout, verdict};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use verdict::score::load::LoadOptions;
use verdict::score::{Candidate, DeviceKind, Scorer};

/// The models and the script's reference, made once per test run.
fn fixtures() -> Option<&'static serde_json::Value> {
    static MADE: OnceLock<Option<serde_json::Value>> = OnceLock::new();
    MADE.get_or_init(|| {
        common::python_fixtures("tiny_reward_models.py", "tiny_reward_models", "the reward-model tests").map(|(_, r)| r)
    })
    .as_ref()
}

fn model(reference: &serde_json::Value, name: &str) -> PathBuf {
    PathBuf::from(reference["models"][name]["dir"].as_str().expect("dir"))
}

fn scorer(dir: &Path) -> Box<dyn Scorer> {
    load(dir).expect("loads")
}

fn load(dir: &Path) -> verdict::score::Result<Box<dyn Scorer>> {
    load_in(dir, false)
}

fn load_in(dir: &Path, int8: bool) -> verdict::score::Result<Box<dyn Scorer>> {
    let options = LoadOptions {
        model: dir.to_str().expect("utf-8").to_owned(),
        name: None,
        device: Some(DeviceKind::Cpu),
        caches: Some(Vec::new()),
        int8,
    };
    verdict::score::load(&options).map(|(s, _)| s)
}

/// Every model the script makes.
const ALL: [&str; 5] = [
    "tiny-deberta-reward",
    "tiny-deberta-v2-conv",
    "tiny-deberta-v2-conv-1-layer",
    "tiny-cross-encoder",
    "tiny-cross-encoder-2",
];

fn pairs(reference: &serde_json::Value) -> Vec<(String, String)> {
    serde_json::from_value(reference["pairs"].clone()).expect("pairs")
}

#[test]
fn logits_match_transformers_within_1e_4_cut_and_padded() {
    let Some(reference) = fixtures() else { return };
    let pairs = pairs(reference);
    let candidates: Vec<Candidate<'_>> = pairs.iter().map(|(p, t)| Candidate::new(p, t)).collect();
    for (name, architecture) in [
        ("tiny-deberta-reward", "DebertaV2ForSequenceClassification"),
        ("tiny-deberta-v2-conv", "DebertaV2ForSequenceClassification"),
        ("tiny-deberta-v2-conv-1-layer", "DebertaV2ForSequenceClassification"),
        ("tiny-cross-encoder", "BertForSequenceClassification"),
        ("tiny-cross-encoder-2", "BertForSequenceClassification"),
    ] {
        let want: Vec<Vec<f64>> = serde_json::from_value(reference["models"][name]["logits"].clone()).expect("logits");
        let mut scorer = scorer(&model(reference, name));
        let scored = scorer.score(&candidates).expect("scores");
        assert_eq!(scored.len(), pairs.len());
        let mut largest = 0.0f64;
        for (i, (s, w)) in scored.iter().zip(&want).enumerate() {
            // One label: its logit. Two (negative, positive): the positive one's log-odds.
            let expected = if w.len() == 1 { w[0] } else { w[1] - w[0] };
            let diff = (f64::from(s.score) - expected).abs();
            assert!(diff < 1e-4, "{name}, pair {i}: {} against transformers' {expected}", s.score);
            largest = largest.max(diff);
            if w.len() > 1 {
                let logits: Vec<f64> =
                    serde_json::from_value(s.detail.clone().expect("detail")["logits"].clone()).expect("logits");
                assert!(logits.iter().zip(w).all(|(g, w)| (g - w).abs() < 1e-4), "{name}, pair {i}: {logits:?}");
            } else {
                assert!(s.detail.is_none());
            }
            assert!(s.embeddings.is_empty());
        }
        eprintln!("{name}: largest difference from transformers {largest:e}");
        // The weights are far from a constant: the pairs score apart.
        let (lo, hi) = scored.iter().fold((f32::MAX, f32::MIN), |(l, h), s| (l.min(s.score), h.max(s.score)));
        assert!(hi - lo > 0.3, "{name}: scores {lo}..{hi}");
        // Each pair alone (no padding) scores as in the batch.
        for (i, c) in candidates.iter().enumerate() {
            let alone = scorer.score(std::slice::from_ref(c)).expect("scores")[0].score;
            assert!(
                (alone - scored[i].score).abs() < 1e-5,
                "{name}, pair {i}: {alone} alone, {} in the batch",
                scored[i].score
            );
        }
        let id = scorer.identity();
        assert_eq!((id.kind.as_str(), id.architecture.as_str()), ("reward", architecture));
        assert_eq!((id.name.as_str(), id.weights.len()), (name, 64));
        assert_eq!(id.settings["max_tokens"], 40);
        assert_eq!(id.settings["input"], "pair (prompt, candidate text)");
        let label = if name.ends_with("-2") { "positive (log-odds)" } else { "LABEL_0" };
        assert_eq!(id.settings["label"], label);
        assert_eq!(scorer.device(), "cpu f32");
    }
}

/// `--int8`: a reward model's encoder products in int8 on the CPU (`DeBERTa` and BERT cross-encoders
/// alike), a scorer of its own whose scores stay near f32's: within 5 % of their span here (these
/// tiny models' weights are far from a trained model's, which makes activations hard to quantize),
/// and pairs that f32 sets clearly apart keep their order.
#[test]
fn int8_reward_scores_stay_near_f32_in_a_scorer_of_their_own() {
    let Some(reference) = fixtures() else { return };
    let pairs = pairs(reference);
    let candidates: Vec<Candidate<'_>> = pairs.iter().map(|(p, t)| Candidate::new(p, t)).collect();
    for name in ALL {
        let dir = model(reference, name);
        let exact = scorer(&dir).score(&candidates).expect("f32 scores");
        let mut int8 = load_in(&dir, true).expect("loads in int8");
        assert!(int8.device().starts_with("cpu int8 ("), "{}", int8.device());
        assert_eq!(int8.identity().settings["precision"], "int8");
        assert!(scorer(&dir).identity().settings.get("precision").is_none(), "f32 keeps its identity");
        let quantized = int8.score(&candidates).expect("int8 scores");
        let (lo, hi) = exact.iter().fold((f32::MAX, f32::MIN), |(l, h), s| (l.min(s.score), h.max(s.score)));
        let worst = exact.iter().zip(&quantized).map(|(e, q)| (e.score - q.score).abs()).fold(0f32, f32::max);
        eprintln!("{name}: int8 within {worst} of f32, whose scores span {lo}..{hi}");
        assert!(worst > 0.0, "{name}: int8 gave f32's scores exactly: not quantized");
        assert!(worst < 0.05 * (hi - lo), "{name}: int8 {worst} from f32 over a span of {}", hi - lo);
        for (i, (ei, qi)) in exact.iter().zip(&quantized).enumerate() {
            for (j, (ej, qj)) in exact.iter().zip(&quantized).enumerate() {
                if ei.score - ej.score > 0.1 * (hi - lo) {
                    assert!(qi.score > qj.score, "{name}: pairs {i} and {j} swap order in int8");
                }
            }
        }
    }
}

/// A GPU runs reward heads in half precision (`score::device::reward_dtype`): BERT cross-encoders
/// and `DeBERTa` (`score::deberta`, padded and masked); the same code path in f16 on the CPU gives
/// scores within half precision's tolerance of `transformers`' f32 logits.
#[test]
fn reward_heads_in_half_precision_stay_within_its_tolerance() {
    use verdict::score::reward::RewardScorer;
    let Some(reference) = fixtures() else { return };
    let pairs = pairs(reference);
    let candidates: Vec<Candidate<'_>> = pairs.iter().map(|(p, t)| Candidate::new(p, t)).collect();
    let half = |name: &str| {
        let dir = model(reference, name);
        let folder = verdict::score::ModelFolder::open(&dir, name.into()).expect("folder");
        let weights = std::fs::read(dir.join("model.safetensors")).expect("weights");
        RewardScorer::load_as(&folder, weights, candle_core::Device::Cpu, candle_core::DType::F16)
    };
    for name in ALL {
        let want: Vec<Vec<f64>> = serde_json::from_value(reference["models"][name]["logits"].clone()).expect("logits");
        let mut scorer = half(name).expect("loads in f16");
        assert_eq!(scorer.device(), "cpu f16");
        let scored = scorer.score(&candidates).expect("scores in f16");
        let mut largest = 0f64;
        for (i, (s, w)) in scored.iter().zip(&want).enumerate() {
            let expected = if w.len() == 1 { w[0] } else { w[1] - w[0] };
            let diff = (f64::from(s.score) - expected).abs();
            largest = largest.max(diff);
            assert!(diff < 2e-2, "{name}, pair {i}: {} in f16 against transformers' {expected}", s.score);
        }
        eprintln!("{name}: f16 within {largest} of transformers' f32");
    }
}

#[test]
fn the_response_is_cut_from_its_end_and_the_question_stays_whole() {
    let Some(reference) = fixtures() else { return };
    let long = "There are two apples and an orange in the bowl next to the window. ".repeat(6);
    let mut scorer = scorer(&model(reference, "tiny-deberta-reward"));
    let prompt = "How many apples are in the bowl?";
    let other_prompt = "How many pears are in the bowl?";
    let tail = format!("{long} And then something else entirely.");
    let c = [Candidate::new(prompt, &long), Candidate::new(prompt, &tail), Candidate::new(other_prompt, &long)];
    let s = scorer.score(&c).expect("scores");
    // What lies past the window is not read; the prompt is.
    assert!((s[0].score - s[1].score).abs() < 1e-6, "{} vs {}", s[0].score, s[1].score);
    assert!((s[0].score - s[2].score).abs() > 1e-4, "the prompt is read: {} vs {}", s[0].score, s[2].score);
}

/// A copy of the script's model `name` whose `config.json` is `edit`ed.
fn edited(reference: &serde_json::Value, name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tmp");
    for entry in std::fs::read_dir(model(reference, name)).expect("reads") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).expect("copies");
    }
    let config_path = tmp.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).expect("reads")).expect("json");
    edit(&mut config);
    std::fs::write(&config_path, config.to_string()).expect("writes");
    tmp
}

#[test]
fn several_labels_without_a_good_one_are_refused_naming_them() {
    let Some(reference) = fixtures() else { return };
    let tmp = edited(reference, "tiny-cross-encoder-2", |config| {
        config["id2label"] = serde_json::json!({"0": "contradiction", "1": "neutral", "2": "entailment"});
    });
    let err = load(tmp.path()).err().expect("refused").to_string();
    assert!(err.contains("contradiction, neutral, entailment") && err.contains("config.json"), "{err}");
}

/// A convolution Verdict's layouts do not take (grouped), or one beside a shape that sends the
/// model to candle-transformers' `DeBERTa` (whose convolution is `todo!()`): refused by name, not
/// a panic.
#[test]
fn deberta_v2_convolutions_not_run_are_refused_by_name() {
    let Some(reference) = fixtures() else { return };
    let grouped = edited(reference, "tiny-deberta-v2-conv", |config| config["conv_groups"] = 2.into());
    let err = load(grouped.path()).err().expect("refused").to_string();
    assert!(err.contains("conv_groups") && err.contains("convolution layer") && err.contains("config.json"), "{err}");
    let act = edited(reference, "tiny-deberta-v2-conv", |config| config["conv_act"] = "swish".into());
    let err = load(act.path()).err().expect("refused").to_string();
    assert!(err.contains("\"swish\"") && err.contains("config.json"), "{err}");
}

fn ok(args: &[&str]) -> String {
    let o = verdict(args);
    assert!(o.status.success(), "verdict {args:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn verdict_score_with_a_reward_model_writes_margins_that_are_score_differences() {
    let Some(reference) = fixtures() else { return };
    let ws = Workspace::new();
    let project = ws.project();
    let rows = [
        ("What color is the ball?", "The ball is red.", "Paris is the capital of France."),
        ("Describe the weather in the photo.", "It is a sunny day with a clear blue sky.", "I do not know."),
        ("How many apples are in the bowl?", "There are two apples.", "The model answers questions."),
        ("Why is the sky blue?", "Because of scattering.", "Curators label pairs of answers."),
    ];
    let mut lines = String::new();
    for (i, (prompt, chosen, rejected)) in rows.iter().enumerate() {
        let row = serde_json::json!({"id": format!("q{i}"), "prompt": prompt, "chosen": chosen, "rejected": rejected});
        lines.push_str(&row.to_string());
        lines.push('\n');
    }
    import(&project, &ws.write("pairs.jsonl", lines));
    let dir = model(reference, "tiny-deberta-reward");
    let p = project.to_str().expect("utf-8");
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["score", p, "--model", dir.to_str().expect("utf-8"), "--json"])).expect("json");
    assert_eq!(
        (report["judged"].as_u64(), report["scorer"].as_str()),
        (Some(4), Some("tiny-deberta-reward")),
        "{report}"
    );
    let scorers: Vec<serde_json::Value> =
        ok(&["scorers", p, "--json"]).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(scorers.len(), 1);
    assert_eq!(
        (scorers[0]["name"].as_str(), scorers[0]["kind"].as_str(), scorers[0]["pairs"].as_u64()),
        (Some("tiny-deberta-reward"), Some("reward"), Some(4)),
        "{}",
        scorers[0]
    );
    let lines: Vec<serde_json::Value> =
        ok(&["suspects", p, "--json"]).lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let (_, suspects) = lines.split_last().expect("a summary line");
    assert_eq!(suspects.len(), 4);
    let mut scorer = scorer(&dir);
    for line in suspects {
        let key = line["key"].as_str().expect("key");
        let i: usize = key.trim_start_matches('q').parse().expect("index");
        let (prompt, chosen, rejected) = rows[i];
        let s = scorer.score(&[Candidate::new(prompt, chosen), Candidate::new(prompt, rejected)]).expect("scores");
        let margin = line["margin"].as_f64().expect("margin");
        let want = f64::from(s[0].score) - f64::from(s[1].score);
        assert!((margin - want).abs() < 1e-5, "{key}: margin {margin}, scores differ by {want}");
    }
}
