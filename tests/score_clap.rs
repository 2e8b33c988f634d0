//! The audio-text scorer (CLAP) against transformers: `scripts/tiny_clap_models.py` (run with
//! `VERDICT_PYTHON`, whose environment holds transformers and torch) builds a tiny randomly
//! initialized `ClapModel` (HTSAT audio tower with shifted windows and patch merging, `RoBERTa`
//! text tower) and prints transformers' log-mel features, token ids and embeddings for fixed clips
//! and texts; Verdict's must match within 1e-4. Then the scorer: a text-to-audio candidate's
//! prompt against its clip, an audio sample's text answers sentence by sentence, media it cannot
//! read; a fused CLAP with its longer clip's crops fused; `verdict score` end to end on a
//! text-to-audio set and an audio-question set; int8 embeddings that keep their direction; what is
//! not run (a folder whose parts disagree) refused by name. Skipped (with a note) when `VERDICT_PYTHON` is unset.

#![cfg(feature = "local-models")]

mod common;
use common::{Workspace, stderr, stdout, verdict};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use verdict::model::MediaKind;
use verdict::score::clap::Clap;
use verdict::score::{Candidate, CandidateMedia, MediaData, ModelFolder, Scorer};

const TOL: f32 = 1e-4;

/// The fixtures folder and its reference, made once per test run.
fn fixtures() -> Option<&'static (PathBuf, serde_json::Value)> {
    static MADE: OnceLock<Option<(PathBuf, serde_json::Value)>> = OnceLock::new();
    MADE.get_or_init(|| {
        common::python_fixtures("tiny_clap_models.py", "score_clap-fixtures", "the CLAP reference tests")
    })
    .as_ref()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().expect("list").iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

fn worst(a: &[f32], b: &[f32], what: &str) -> f32 {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn close(a: &[f32], b: &[f32], what: &str) {
    let w = worst(a, b, what);
    assert!(w <= TOL, "{what}: off by {w}");
}

fn load(dir: &Path, dtype: candle_core::DType) -> Clap {
    load_named(dir, "clap", dtype)
}

fn load_named(dir: &Path, which: &str, dtype: candle_core::DType) -> Clap {
    load_in(dir, which, dtype, verdict::score::Precision::F32)
}

fn load_in(dir: &Path, which: &str, dtype: candle_core::DType, precision: verdict::score::Precision) -> Clap {
    let folder = ModelFolder::open(&dir.join(which), which.into()).expect("folder");
    let weights = std::fs::read(dir.join(which).join("model.safetensors")).expect("weights");
    Clap::load_in(&folder, weights, (candle_core::Device::Cpu, dtype), precision).expect("loads")
}

fn clip(dir: &Path, file: &str, rate: u32) -> Vec<f32> {
    let bytes = std::fs::read(dir.join(file)).expect("clip");
    verdict::score::sound::mono_at(&bytes, Some("audio/wav"), rate, 1.0).expect("decodes")
}

fn normalized(v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

#[test]
fn features_and_embeddings_match_transformers() {
    let Some((dir, reference)) = fixtures() else { return };
    let model = load(dir, candle_core::DType::F32);
    let rate = model.features().rate;
    let clips: Vec<Vec<f32>> = reference["clips"]
        .as_array()
        .expect("clips")
        .iter()
        .map(|c| {
            let wave = clip(dir, c["file"].as_str().expect("file"), rate);
            // Read as it was written (a clip longer than the model's second is cut to it).
            let samples = c["samples"].as_u64().expect("samples") as usize;
            assert_eq!(wave.len(), samples.min(model.features().max_samples()), "{}", c["file"]);
            let features = model.features().extract(&wave).expect("features").values;
            close(&features, &floats(&c["features"]), &format!("features of {}", c["file"]));
            wave
        })
        .collect();
    let audio = model.embed_clips(&clips).expect("audio embeddings").to_vec2::<f32>().expect("rows");
    for (got, want) in audio.into_iter().zip(reference["clips"].as_array().expect("clips")) {
        close(&normalized(got), &floats(&want["embedding"]), &format!("embedding of {}", want["file"]));
    }
    let texts: Vec<&str> =
        reference["texts"].as_array().expect("texts").iter().map(|t| t["text"].as_str().expect("text")).collect();
    let embedded = model.embed_texts(&texts).expect("text embeddings").to_vec2::<f32>().expect("rows");
    for (got, want) in embedded.into_iter().zip(reference["texts"].as_array().expect("texts")) {
        close(&normalized(got), &floats(&want["embedding"]), &format!("embedding of {:?}", want["text"]));
    }
}

/// A fused CLAP: four channels of features (a clip that fits, four times; the longer chirp shrunk
/// and cropped at its thirds' middles) and the feature fusion of the longer clip's crops.
#[test]
fn a_fused_clap_matches_transformers_with_its_crops_fused() {
    let Some((dir, reference)) = fixtures() else { return };
    let model = load_named(dir, "clap_fused", candle_core::DType::F32);
    assert_eq!(model.features().channels(), 4);
    let rate = model.features().rate;
    let fused = &reference["fused"];
    let mut clips = Vec::new();
    for c in fused["clips"].as_array().expect("clips") {
        let bytes = std::fs::read(dir.join(c["file"].as_str().expect("file"))).expect("clip");
        let wave = verdict::score::sound::mono_at(&bytes, Some("audio/wav"), rate, model.features().read_seconds())
            .expect("decodes");
        let features = model.features().extract(&wave).expect("features");
        assert_eq!(features.longer, c["longer"].as_bool().expect("longer"), "{}", c["file"]);
        close(&features.values, &floats(&c["features"]), &format!("fused features of {}", c["file"]));
        clips.push(wave);
    }
    assert!(fused["clips"][1]["longer"].as_bool() == Some(true), "the chirp is fused from its crops");
    let audio = model.embed_clips(&clips).expect("audio embeddings").to_vec2::<f32>().expect("rows");
    for (got, want) in audio.into_iter().zip(fused["clips"].as_array().expect("clips")) {
        close(&normalized(got), &floats(&want["embedding"]), &format!("fused embedding of {}", want["file"]));
    }
    // The scorer over it: the prompt against the fused long clip.
    let options = verdict::score::load::LoadOptions {
        device: Some(verdict::score::DeviceKind::Cpu),
        ..verdict::score::load::LoadOptions::new(dir.join("clap_fused").display().to_string())
    };
    let (mut s, _) = verdict::score::load(&options).expect("loads");
    let chirp = [medium(&dir.join("audio/chirp.wav"), MediaKind::Audio)];
    let scored = s.score(&[Candidate { own_media: &chirp, ..Candidate::new("a dog barking in the distance", "") }]);
    let want = fused["cosines"][0][1].as_f64().expect("cosine") as f32;
    assert!((scored.expect("scores")[0].score - want).abs() <= TOL, "{want}");
}

fn medium(path: &Path, kind: MediaKind) -> CandidateMedia {
    let bytes = std::fs::read(path).expect("reads");
    CandidateMedia {
        kind,
        content: blake3::hash(&bytes).to_hex().to_string(),
        data: MediaData::Bytes(Arc::from(bytes)),
        mime: None,
    }
}

fn cos(reference: &serde_json::Value, text: usize, clip: usize) -> f32 {
    reference["cosines"][text][clip].as_f64().expect("cosine") as f32
}

fn scorer(dir: &Path) -> Box<dyn Scorer> {
    let options = verdict::score::load::LoadOptions {
        device: Some(verdict::score::DeviceKind::Cpu),
        ..verdict::score::load::LoadOptions::new(dir.join("clap").display().to_string())
    };
    let (s, _) = verdict::score::load(&options).expect("loads");
    assert!(s.reads_media());
    assert_eq!(s.identity().kind, "audio_text");
    s
}

#[test]
fn generated_clips_are_scored_against_the_prompt_and_answers_sentence_by_sentence() {
    let Some((dir, reference)) = fixtures() else { return };
    let mut s = scorer(dir);
    let audio = |f: &str| medium(&dir.join("audio").join(f), MediaKind::Audio);
    let (tone, chirp, noise) = ([audio("tone.wav")], [audio("chirp.wav")], [audio("noise.wav")]);
    let two = [audio("tone.wav"), audio("noise.wav")];
    let broken = [CandidateMedia { data: MediaData::Bytes(Arc::from(&b"RIFF0000WAVEjunk"[..])), ..audio("hum.wav") }];
    let picture = [CandidateMedia { kind: MediaKind::Image, ..audio("hum.wav") }];
    let prompt = "a dog barking in the distance";
    let batch = [
        // Text to audio: the prompt against each candidate's clip.
        Candidate { own_media: &tone, ..Candidate::new(prompt, "") },
        Candidate { own_media: &chirp, ..Candidate::new(prompt, "") },
        // An audio question: the answer sentence by sentence, its worst sentence the score.
        Candidate { media: &noise, ..Candidate::new("What do you hear?", "A high tone. Then a low hum!") },
        // Two clips: the mean.
        Candidate { media: &two, ..Candidate::new("And here?", "rain falling on a tin roof") },
        Candidate { own_media: &broken, ..Candidate::new(prompt, "") },
        Candidate { media: &picture, ..Candidate::new("What is it?", "rain falling on a tin roof") },
    ];
    let scored = s.score(&batch).expect("scores");
    assert!((scored[0].score - cos(reference, 0, 0)).abs() <= TOL, "{:?}", scored[0]);
    assert!((scored[1].score - cos(reference, 0, 1)).abs() <= TOL, "{:?}", scored[1]);
    let detail = scored[0].detail.as_ref().expect("detail");
    assert_eq!((detail["clips"].as_u64(), detail["prompt"][0]["text"].as_str()), (Some(1), Some(prompt)));
    // "A high tone. Then a low hum!" as two sentences, each against the noise clip.
    let sentences = scored[2].detail.as_ref().expect("detail")["sentences"].as_array().expect("sentences").clone();
    assert_eq!(sentences.len(), 2, "{sentences:?}");
    let by_sentence: Vec<f32> = s
        .score(&[
            Candidate { media: &noise, ..Candidate::new("", "A high tone.") },
            Candidate { media: &noise, ..Candidate::new("", "Then a low hum!") },
        ])
        .expect("scores")
        .iter()
        .map(|x| x.score)
        .collect();
    assert!((scored[2].score - by_sentence[0].min(by_sentence[1])).abs() <= 1e-6, "{scored:?} {by_sentence:?}");
    let mean = f32::midpoint(cos(reference, 2, 0), cos(reference, 2, 2));
    assert!((scored[3].score - mean).abs() <= TOL, "{:?} vs {mean}", scored[3]);
    for (i, why) in [(4, "audio"), (5, "no audio")] {
        assert!(scored[i].score.is_nan(), "{:?}", scored[i]);
        let error = scored[i].detail.as_ref().expect("detail")["media_error"].as_str().expect("why").to_owned();
        assert!(error.contains(why), "{error}");
    }
}

#[test]
fn verdict_score_scores_a_text_to_audio_set_and_an_audio_question_set() {
    let Some((dir, reference)) = fixtures() else { return };
    let ws = Workspace::new();
    for f in ["tone.wav", "chirp.wav", "noise.wav"] {
        std::fs::copy(dir.join("audio").join(f), ws.path(f)).expect("copy");
    }
    let prompt = "a dog barking in the distance";
    let t2a = ws.write(
        "t2a.jsonl",
        serde_json::json!({"prompt": prompt, "names": ["tone", "chirp"], "better": 1, "clips": ["tone.wav", "chirp.wav"]})
            .to_string()
            + "\n",
    );
    let map = ws.write(
        "t2a.toml",
        "prompt = \"prompt\"\nresponses_list = \"names\"\npreference = \"better\"\n[[media]]\nfield = \"clips\"\nkind = \"audio\"\nrole = \"candidate\"\n",
    );
    let project = ws.project();
    let p = project.to_str().expect("utf-8");
    let root = ws.dir.path().to_str().expect("utf-8");
    let import = |data: &Path, map: &Path| {
        let o = verdict(&[
            "import",
            data.to_str().expect("utf-8"),
            "--map",
            map.to_str().expect("utf-8"),
            "--project",
            p,
            "--media-root",
            root,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    import(&t2a, &map);
    let model = dir.join("clap");
    let score = || {
        let o = verdict(&["score", p, "--model", model.to_str().expect("utf-8"), "--name", "tinyclap", "--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str::<serde_json::Value>(&stdout(&o)).expect("json")
    };
    let report = score();
    assert_eq!((report["judged"].as_u64(), report["computed"].as_u64()), (Some(1), Some(2)), "{report}");
    let conn = rusqlite::Connection::open(&project).expect("opens");
    let ratings = |prompt: &str| -> Vec<f64> {
        conn.prepare(
            "SELECT r.value FROM ratings r JOIN judgments j ON j.id = r.judgment_id
             JOIN samples s ON s.id = j.sample_id WHERE j.source = 'model' AND s.prompt = ?1
             ORDER BY r.response_pos",
        )
        .and_then(|mut st| st.query_map([prompt], |r| r.get(0)).and_then(Iterator::collect))
        .expect("the model's ratings")
    };
    let own = ratings(prompt);
    assert_eq!(own.len(), 2, "{own:?}");
    for (got, want) in own.iter().zip([cos(reference, 0, 0), cos(reference, 0, 1)]) {
        assert!((*got as f32 - want).abs() <= TOL, "{own:?}: {want}");
    }
    // An audio question set: the answers against the sample's clip.
    let ta2t = ws.write(
        "ta2t.jsonl",
        serde_json::json!({"question": "What do you hear?", "chosen": "rain falling on a tin roof", "rejected": "a dog barking in the distance", "sound": "noise.wav"})
            .to_string()
            + "\n",
    );
    let map = ws.write(
        "ta2t.toml",
        "prompt = \"question\"\nchosen = \"chosen\"\nrejected = \"rejected\"\n[[media]]\nfield = \"sound\"\nkind = \"audio\"\n",
    );
    import(&ta2t, &map);
    let again = score();
    // The text-to-audio sample was scored already; the question's two answers are new.
    assert_eq!((again["already"].as_u64(), again["computed"].as_u64()), (Some(1), Some(2)), "{again}");
    let answers = ratings("What do you hear?");
    for (got, want) in answers.iter().zip([cos(reference, 2, 2), cos(reference, 0, 2)]) {
        assert!((*got as f32 - want).abs() <= TOL, "{answers:?}: {want}");
    }
    // The scorer is listed with its kind.
    let o = verdict(&["scorers", p, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("audio_text") && stdout(&o).contains("tinyclap"), "{}", stdout(&o));
}

/// The GPU runs CLAP in half precision; the same code in f16 on the CPU stays within its
/// tolerance of transformers' f32 embeddings.
#[test]
fn clap_in_half_precision_stays_within_its_tolerance() {
    let Some((dir, reference)) = fixtures() else { return };
    let model = load(dir, candle_core::DType::F16);
    let rate = model.features().rate;
    let first = &reference["clips"][0];
    let wave = clip(dir, first["file"].as_str().expect("file"), rate);
    let got = model.embed_clips(&[wave]).expect("embeds").to_vec2::<f32>().expect("rows").remove(0);
    let off = worst(&normalized(got), &floats(&first["embedding"]), "f16 audio");
    assert!(off <= 2e-2, "f16 audio off by {off}");
    let text = &reference["texts"][1];
    let got = model.embed_texts(&[text["text"].as_str().expect("text")]).expect("embeds");
    let got = got.to_vec2::<f32>().expect("rows").remove(0);
    let off = worst(&normalized(got), &floats(&text["embedding"]), "f16 text");
    assert!(off <= 2e-2, "f16 text off by {off}");
    // The fused model's longer clip, its crops fused in f16.
    let model = load_named(dir, "clap_fused", candle_core::DType::F16);
    let chirp = &reference["fused"]["clips"][1];
    let bytes = std::fs::read(dir.join(chirp["file"].as_str().expect("file"))).expect("clip");
    let wave = verdict::score::sound::mono_at(&bytes, None, rate, model.features().read_seconds()).expect("decodes");
    let got = model.embed_clips(&[wave]).expect("embeds").to_vec2::<f32>().expect("rows").remove(0);
    let off = worst(&normalized(got), &floats(&chirp["embedding"]), "f16 fused audio");
    assert!(off <= 2e-2, "f16 fused audio off by {off}");
}

/// `--int8` on the CPU: both towers' layers' products in int8 (the pooler, projections, patch
/// embedding and fusion in f32), a scorer of its own (`precision: int8`), and embeddings that keep
/// their direction: a cosine of at least 0.99 with transformers' f32 ones, texts and clips, the
/// fused model's fused long clip included, as CLIP's int8 embeddings do.
#[test]
fn clap_in_int8_keeps_its_embeddings_direction_as_a_scorer_of_its_own() {
    let Some((dir, reference)) = fixtures() else { return };
    let options = verdict::score::load::LoadOptions {
        device: Some(verdict::score::DeviceKind::Cpu),
        int8: true,
        ..verdict::score::load::LoadOptions::new(dir.join("clap").display().to_string())
    };
    let (mut int8, _) = verdict::score::load(&options).expect("loads in int8");
    assert!(int8.device().starts_with("cpu int8 ("), "{}", int8.device());
    assert_eq!(int8.identity().settings["precision"], "int8");
    let (mut f32_scorer, _) =
        verdict::score::load(&verdict::score::load::LoadOptions { int8: false, ..options.clone() }).expect("loads");
    assert!(f32_scorer.identity().settings.get("precision").is_none(), "f32 keeps its identity");
    // The scorer end to end: a generated clip against its prompt, near f32's score.
    let tone = [medium(&dir.join("audio/tone.wav"), MediaKind::Audio)];
    let batch = [Candidate { own_media: &tone, ..Candidate::new("a steady tone", "") }];
    let (a, b) =
        (int8.score(&batch).expect("int8 scores")[0].score, f32_scorer.score(&batch).expect("scores")[0].score);
    assert!(a.is_finite() && (a - b).abs() <= 0.02, "int8 {a}, f32 {b}");

    let check = |what: &str, got: Vec<Vec<f32>>, want: &[serde_json::Value]| {
        assert_eq!(got.len(), want.len(), "{what}");
        let (mut worst, mut moved) = (1f32, 0f32);
        for (v, w) in got.iter().zip(want) {
            let (v, w) = (normalized(v.clone()), floats(&w["embedding"]));
            worst = worst.min(v.iter().zip(&w).map(|(a, b)| a * b).sum());
            moved = moved.max(v.iter().zip(&w).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max));
        }
        eprintln!("{what} in int8: worst cosine {worst:.5} with transformers' f32, moved by {moved}");
        assert!(worst >= 0.99, "{what} in int8: cosine {worst}");
        assert!(moved > TOL, "{what} in int8 gave f32's embeddings: not quantized");
    };
    for (which, r) in [("clap", reference), ("clap_fused", &reference["fused"])] {
        let model = load_in(dir, which, candle_core::DType::F32, verdict::score::Precision::Int8);
        let rate = model.features().rate;
        let want = r["clips"].as_array().expect("clips");
        let clips: Vec<Vec<f32>> = want
            .iter()
            .map(|c| {
                let bytes = std::fs::read(dir.join(c["file"].as_str().expect("file"))).expect("clip");
                verdict::score::sound::mono_at(&bytes, Some("audio/wav"), rate, model.features().read_seconds())
                    .expect("decodes")
            })
            .collect();
        let audio = model.embed_clips(&clips).expect("audio embeddings").to_vec2::<f32>().expect("rows");
        check(&format!("{which} clips"), audio, want);
        if let Some(want) = r["texts"].as_array() {
            let texts: Vec<&str> = want.iter().map(|t| t["text"].as_str().expect("text")).collect();
            let got = model.embed_texts(&texts).expect("text embeddings").to_vec2::<f32>().expect("rows");
            check(&format!("{which} texts"), got, want);
        }
    }
}

#[test]
fn a_folder_that_does_not_hold_together_is_refused_by_name() {
    let Some((dir, _)) = fixtures() else { return };
    let options = |path: &Path, int8| verdict::score::load::LoadOptions {
        device: Some(verdict::score::DeviceKind::Cpu),
        int8,
        ..verdict::score::load::LoadOptions::new(path.display().to_string())
    };
    let copy = |from: &str, files: &[&str]| {
        let tmp = tempfile::tempdir().expect("tmp");
        for f in files {
            std::fs::copy(dir.join(from).join(f), tmp.path().join(f)).expect("copies");
        }
        tmp
    };
    // Without its feature extractor's settings: which file is missing.
    let tmp = copy("clap", &["config.json", "model.safetensors", "tokenizer.json"]);
    let err = verdict::score::load(&options(tmp.path(), false)).err().expect("refused").to_string();
    assert!(err.contains("preprocessor_config.json") && err.contains("missing"), "{err}");
    // An unfused model with a fused model's extractor: the truncation named.
    let tmp = copy("clap", &["config.json", "model.safetensors", "tokenizer.json"]);
    std::fs::copy(dir.join("clap_fused/preprocessor_config.json"), tmp.path().join("preprocessor_config.json"))
        .expect("copies");
    let err = verdict::score::load(&options(tmp.path(), false)).err().expect("refused").to_string();
    assert!(err.contains("truncation `fusion`") && err.contains("enable_fusion false"), "{err}");
    // A fusion transformers' model does not run either.
    let tmp = copy("clap_fused", &["config.json", "model.safetensors", "tokenizer.json", "preprocessor_config.json"]);
    let path = tmp.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("reads")).expect("json");
    config["audio_config"]["fusion_type"] = "channel_map".into();
    std::fs::write(&path, config.to_string()).expect("writes");
    let err = verdict::score::load(&options(tmp.path(), false)).err().expect("refused").to_string();
    assert!(err.contains("channel_map") && err.contains(&path.display().to_string()), "{err}");
}
