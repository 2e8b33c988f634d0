//! The image-text scorers (CLIP, `SigLIP`) against transformers: `scripts/tiny_clip_models.py`
//! (run with `VERDICT_PYTHON`, whose environment holds transformers, torch and `open_clip_torch`'s
//! BPE vocabulary) builds tiny randomly initialized models and prints transformers' token ids,
//! pixel values and embeddings for fixed texts and images; Verdict's must match within 1e-4.
//! Then the scorer: sentence by sentence with the worst sentence as the score, an image list, a
//! video file (a committed FFV1 clip of the script's gradient image) and a frame folder, a
//! generated-media candidate, broken media; and `verdict score` end to end on a project with
//! images and on a text-to-image set. Skipped (with a note) when `VERDICT_PYTHON` is unset.

#![cfg(feature = "local-models")]

mod common;
use common::{Workspace, stderr, stdout, verdict};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use verdict::model::MediaKind;
use verdict::score::image_text::{TextImageModel, image_vectors, text_vectors};
use verdict::score::{Candidate, CandidateMedia, MediaData, ModelFolder, Scorer};

const TOL: f32 = 1e-4;

/// The fixtures folder and its reference, made once per test run.
fn fixtures() -> Option<&'static (PathBuf, serde_json::Value)> {
    static MADE: OnceLock<Option<(PathBuf, serde_json::Value)>> = OnceLock::new();
    MADE.get_or_init(|| {
        common::python_fixtures("tiny_clip_models.py", "score_clip-fixtures", "the CLIP and SigLIP reference tests")
    })
    .as_ref()
}

fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().expect("list").iter().map(|x| x.as_f64().expect("number") as f32).collect()
}

fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    assert!(worst <= TOL, "{what}: off by {worst}");
}

fn load_model(dir: &Path, which: &str) -> Box<dyn TextImageModel> {
    load_in(dir, which, candle_core::DType::F32, verdict::score::Precision::F32)
}

/// The fixture model `which` on the CPU with its weights in `dtype`, its products in `precision`.
fn load_in(
    dir: &Path,
    which: &str,
    dtype: candle_core::DType,
    precision: verdict::score::Precision,
) -> Box<dyn TextImageModel> {
    let folder = ModelFolder::open(&dir.join(which), which.into()).expect("folder");
    let weights = std::fs::read(dir.join(which).join("model.safetensors")).expect("weights");
    let on = (candle_core::Device::Cpu, dtype);
    if which.starts_with("clip") {
        Box::new(verdict::score::clip::Clip::load_in(&folder, weights, on, precision).expect("loads"))
    } else {
        Box::new(verdict::score::siglip::Siglip::load_in(&folder, weights, on, precision).expect("loads"))
    }
}

fn image_files(reference: &serde_json::Value) -> Vec<String> {
    reference["clip"]["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["file"].as_str().expect("file").to_owned())
        .collect()
}

fn rgb(path: &Path) -> image::RgbImage {
    image::open(path).expect("png").to_rgb8()
}

#[test]
fn clip_and_siglip_embeddings_match_transformers() {
    let Some((dir, reference)) = fixtures() else { return };
    // OpenAI's CLIP (quick GELU), a CLIP with GELU (as LAION's are), SigLIP with a
    // tokenizer.json and with its own spiece.model (as google/siglip-* folders ship it).
    for which in ["clip", "clip_gelu", "siglip", "siglip_spm"] {
        let model = load_model(dir, which);
        let r = &reference[which];
        let texts: Vec<&str> =
            r["texts"].as_array().expect("texts").iter().map(|t| t["text"].as_str().expect("text")).collect();
        if which == "clip" {
            let folder = ModelFolder::open(&dir.join("clip"), "clip".into()).expect("folder");
            let weights = std::fs::read(dir.join("clip/model.safetensors")).expect("weights");
            let clip = verdict::score::clip::Clip::load(&folder, weights, candle_core::Device::Cpu).expect("loads");
            for (t, want) in texts.iter().zip(r["texts"].as_array().expect("texts")) {
                let (ids, ends) = clip.tokenize(&[t]).expect("tokenizes");
                let ids: Vec<u32> = ids.flatten_all().and_then(|i| i.to_vec1()).expect("ids");
                let want_ids: Vec<u32> =
                    want["ids"].as_array().expect("ids").iter().map(|i| i.as_u64().expect("id") as u32).collect();
                assert_eq!(ids, want_ids, "{t}");
                assert_eq!(ends, [want_ids.len() - 1]);
            }
            assert_eq!(r["texts"][6]["ids"].as_array().expect("ids").len(), 77, "the long text is cut at 77");
        }
        if which.starts_with("siglip") {
            let folder = ModelFolder::open(&dir.join(which), which.into()).expect("folder");
            let weights = std::fs::read(dir.join(which).join("model.safetensors")).expect("weights");
            let siglip =
                verdict::score::siglip::Siglip::load(&folder, weights, candle_core::Device::Cpu).expect("loads");
            let ids = siglip.token_ids(&texts).expect("tokenizes");
            for ((t, ids), want) in texts.iter().zip(ids).zip(r["texts"].as_array().expect("texts")) {
                let want_ids: Vec<u32> =
                    want["ids"].as_array().expect("ids").iter().map(|i| i.as_u64().expect("id") as u32).collect();
                assert_eq!(ids, want_ids, "{which}: {t:?}");
            }
        }
        let vectors = text_vectors(model.as_ref(), &texts).expect("texts embed");
        for (i, (v, want)) in vectors.iter().zip(r["texts"].as_array().expect("texts")).enumerate() {
            close(v, &floats(&want["embedding"]), &format!("{which} text {i}"));
        }
        let images: Vec<image::RgbImage> =
            image_files(reference).iter().map(|f| rgb(&dir.join("images").join(f))).collect();
        for (img, want) in images.iter().zip(r["images"].as_array().expect("images")) {
            close(
                &model.preprocess().apply(img),
                &floats(&want["pixels"]),
                &format!("{which} pixels of {}", want["file"]),
            );
        }
        let image_vecs = image_vectors(model.as_ref(), &images).expect("images embed");
        for (v, want) in image_vecs.iter().zip(r["images"].as_array().expect("images")) {
            close(v, &floats(&want["embedding"]), &format!("{which} image {}", want["file"]));
        }
    }
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

fn scorer(dir: &Path, which: &str) -> Box<dyn Scorer> {
    let options = verdict::score::load::LoadOptions {
        device: Some(verdict::score::DeviceKind::Cpu),
        ..verdict::score::load::LoadOptions::new(dir.join(which).display().to_string())
    };
    let (s, _) = verdict::score::load(&options).expect("loads");
    assert!(s.reads_media());
    assert_eq!(s.identity().kind, "image_text");
    s
}

fn cos(reference: &serde_json::Value, which: &str, text: usize, image: usize) -> f32 {
    reference[which]["cosine"][text][image].as_f64().expect("cosine") as f32
}

#[test]
fn answers_are_scored_sentence_by_sentence_over_image_lists_and_generated_images() {
    let Some((dir, reference)) = fixtures() else { return };
    let img = |f: &str| medium(&dir.join("images").join(f), MediaKind::Image);
    for which in ["clip", "siglip", "siglip_spm"] {
        let mut s = scorer(dir, which);
        let one = [img("gradient.png")];
        let two = [img("gradient.png"), img("tall.png")];
        let own = [img("noise.png")];
        let broken = [CandidateMedia { data: MediaData::Bytes(Arc::from(&b"not an image"[..])), ..img("big.png") }];
        let long = "The cat sits on the mat. It is green! Is there a dog?";
        let batch = [
            Candidate { media: &one, ..Candidate::new("q", long) },
            Candidate { media: &two, ..Candidate::new("q", long) },
            Candidate { own_media: &own, ..Candidate::new("a photo of a red square", "") },
            Candidate { media: &broken, ..Candidate::new("q", "a photo of a red square") },
        ];
        let scored = s.score(&batch).expect("scores");
        // Sentences are reference texts 5, 3 and 4; the worst is the score.
        let per = |image: usize| [5, 3, 4].map(|t| cos(reference, which, t, image));
        let one_image = per(0);
        let detail = scored[0].detail.as_ref().expect("detail");
        let sentences = detail["sentences"].as_array().expect("sentences");
        assert_eq!(sentences.len(), 3, "{detail}");
        for (got, (want, text)) in
            sentences.iter().zip(one_image.iter().zip(["The cat sits on the mat.", "It is green!", "Is there a dog?"]))
        {
            assert_eq!(got["text"], text);
            assert!((got["score"].as_f64().expect("score") as f32 - want).abs() <= TOL, "{which} {got} vs {want}");
        }
        let worst = one_image.iter().copied().fold(f32::INFINITY, f32::min);
        assert!((scored[0].score - worst).abs() <= TOL, "{which}: {} vs {worst}", scored[0].score);
        // Two images: each sentence the mean of both, the lowest image in `min`.
        let (a, b) = (per(0), per(1));
        let means: Vec<f32> = a.iter().zip(&b).map(|(x, y)| f32::midpoint(*x, *y)).collect();
        let worst_mean = means.iter().copied().fold(f32::INFINITY, f32::min);
        assert!((scored[1].score - worst_mean).abs() <= TOL, "{which} image list");
        let d1 = scored[1].detail.as_ref().expect("detail");
        assert_eq!(d1["images"], 2);
        let min0 = d1["sentences"][0]["min"].as_f64().expect("min") as f32;
        assert!((min0 - a[0].min(b[0])).abs() <= TOL, "{which} min over images");
        // Generated media: the prompt against the candidate's own image.
        assert!((scored[2].score - cos(reference, which, 0, 2)).abs() <= TOL, "{which} own media");
        assert!(scored[2].detail.as_ref().expect("detail")["prompt"].is_array());
        // Broken bytes: NaN with the reason, and the rest of the batch scored.
        assert!(scored[3].score.is_nan());
        assert!(scored[3].detail.as_ref().expect("detail")["media_error"].is_string());
    }
}

#[test]
fn a_video_and_a_frame_folder_are_scored_over_their_frames() {
    let Some((dir, reference)) = fixtures() else { return };
    let ws = Workspace::new();
    // A lossless video (FFV1, 2 s at 5 fps) of the script's gradient.png, made with
    // `ffmpeg -loop 1 -i gradient.png -t 2 -r 5 -c:v ffv1 -pix_fmt bgr0`: every sampled frame is
    // that image, so the video scores as the image does.
    let video = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/clip_gradient_still.mkv");
    let frames_dir = ws.path("frames");
    std::fs::create_dir_all(&frames_dir).expect("mkdir");
    std::fs::copy(dir.join("images/tall.png"), frames_dir.join("frame_001.png")).expect("copy");
    std::fs::copy(dir.join("images/noise.png"), frames_dir.join("frame_002.png")).expect("copy");
    let folder = [CandidateMedia {
        kind: MediaKind::Frames,
        content: "frames".into(),
        data: MediaData::Frames(Arc::from(vec![frames_dir.join("frame_001.png"), frames_dir.join("frame_002.png")])),
        mime: None,
    }];
    let clip = [medium(&video, MediaKind::Video)];
    let mut s = scorer(dir, "clip");
    let scored = s
        .score(&[
            Candidate { media: &clip, ..Candidate::new("q", "a photo of a red square") },
            Candidate { media: &folder, ..Candidate::new("q", "a photo of a red square") },
        ])
        .expect("scores");
    assert_eq!(scored[0].detail.as_ref().expect("detail")["images"], 8, "8 frames sampled");
    assert!((scored[0].score - cos(reference, "clip", 0, 0)).abs() <= TOL, "video {}", scored[0].score);
    let want = f32::midpoint(cos(reference, "clip", 0, 1), cos(reference, "clip", 0, 2));
    assert!((scored[1].score - want).abs() <= TOL, "frames {} vs {want}", scored[1].score);
}

#[test]
fn verdict_score_scores_a_project_with_images_and_leaves_unreadable_media_out() {
    let Some((dir, reference)) = fixtures() else { return };
    let ws = Workspace::new();
    for f in image_files(reference) {
        std::fs::copy(dir.join("images").join(&f), ws.path(&f)).expect("copy");
    }
    let rows = [
        serde_json::json!({"prompt": "What is shown?", "chosen": "a photo of a red square", "rejected": "It is green!", "image": "gradient.png"}),
        serde_json::json!({"prompt": "And here?", "chosen": "The cat sits on the mat. It is green! Is there a dog?", "rejected": "Is there a dog?", "image": ["gradient.png", "tall.png"]}),
        serde_json::json!({"prompt": "Gone?", "chosen": "a photo of a red square", "rejected": "It is green!", "image": "missing.png"}),
    ];
    let lines: Vec<String> = rows.iter().map(ToString::to_string).collect();
    let data = ws.write("pairs.jsonl", lines.join("\n") + "\n");
    let project = ws.project();
    let p = project.to_str().expect("utf-8");
    let root = ws.dir.path().to_str().expect("utf-8");
    let o = verdict(&["import", data.to_str().expect("utf-8"), "--project", p, "--media-root", root]);
    assert!(o.status.success(), "{}", stderr(&o));
    let model = dir.join("clip");
    let o = verdict(&["score", p, "--model", model.to_str().expect("utf-8"), "--name", "tinyclip", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((report["judged"].as_u64(), report["candidates"].as_u64()), (Some(2), Some(4)), "{report}");
    assert_eq!(report["media_failed"], 2, "{report}");
    let conn = rusqlite::Connection::open(&project).expect("opens");
    let detail: String = conn
        .query_row(
            "SELECT detail FROM scores WHERE detail LIKE '%The cat sits%' AND detail LIKE '%sentences%'",
            [],
            |r| r.get(0),
        )
        .expect("the long answer's detail");
    let detail: serde_json::Value = serde_json::from_str(&detail).expect("json");
    assert_eq!(detail["sentences"].as_array().expect("sentences").len(), 3);
    // The app's candidate header finds the sentences too, though the score is kept under the text
    // with its images.
    {
        let store = verdict::store::Store::open(&project).expect("opens");
        let view = store.sample(verdict::model::SampleId(2)).expect("the long answer's sample");
        assert!(view.prompt.starts_with("And here?"), "{}", view.prompt);
        let header = verdict::ui::loaded::model_scores(&store, &view).expect("model scores");
        let long = header.iter().find(|m| m.sentences.len() == 3).expect("the long answer's sentences");
        assert_eq!(long.scorer, "tinyclip");
    }
    let scores: Vec<f64> = conn
        .prepare("SELECT s.score FROM scores s JOIN scorers c ON c.id = s.scorer_id WHERE c.name = 'tinyclip'")
        .and_then(|mut st| st.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .expect("scores");
    assert_eq!(scores.len(), 4, "{scores:?}");
    let square = cos(reference, "clip", 0, 0);
    assert!(scores.iter().any(|s| (*s as f32 - square).abs() <= TOL), "{scores:?} holds {square}");
    // A second run scores nothing again, and tries the unreadable sample again.
    let o = verdict(&["score", p, "--model", model.to_str().expect("utf-8"), "--name", "tinyclip", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((again["already"].as_u64(), again["computed"].as_u64()), (Some(2), Some(0)), "{again}");
    assert_eq!(again["media_failed"], 2, "{again}");
    // A text-to-image set (the candidates are images, through a column mapping): the prompt
    // against each candidate's own image.
    let t2i = ws.write(
        "t2i.jsonl",
        serde_json::json!({"caption": "a photo of a red square", "names": ["noise", "gradient"], "better": 1, "pics": ["noise.png", "gradient.png"]}).to_string() + "\n",
    );
    let map = ws.write(
        "t2i.toml",
        "prompt = \"caption\"\nresponses_list = \"names\"\npreference = \"better\"\n[[media]]\nfield = \"pics\"\nkind = \"image\"\nrole = \"candidate\"\n",
    );
    let o = verdict(&[
        "import",
        t2i.to_str().expect("utf-8"),
        "--map",
        map.to_str().expect("utf-8"),
        "--project",
        p,
        "--media-root",
        root,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = verdict(&["score", p, "--model", model.to_str().expect("utf-8"), "--name", "tinyclip", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let third: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((third["judged"].as_u64(), third["computed"].as_u64()), (Some(1), Some(2)), "{third}");
    let own: Vec<(i64, f64)> = conn
        .prepare(
            "SELECT r.response_pos, r.value FROM ratings r JOIN judgments j ON j.id = r.judgment_id
             JOIN samples s ON s.id = j.sample_id WHERE j.source = 'model' AND s.prompt = 'a photo of a red square'
             ORDER BY r.response_pos",
        )
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).and_then(Iterator::collect))
        .expect("the model's ratings");
    assert_eq!(own.len(), 2, "{own:?}");
    for ((_, got), want) in own.iter().zip([cos(reference, "clip", 0, 2), cos(reference, "clip", 0, 0)]) {
        assert!((*got as f32 - want).abs() <= TOL, "{own:?}: {want}");
    }
}

/// The GPU runs these models in half precision (`score::device::dtype_on`); the same code path in
/// f16 on the CPU gives embeddings within half precision's tolerance of transformers' f32 ones.
#[test]
fn clip_and_siglip_in_half_precision_stay_within_its_tolerance() {
    let Some((dir, reference)) = fixtures() else { return };
    for which in ["clip", "siglip"] {
        let model = load_in(dir, which, candle_core::DType::F16, verdict::score::Precision::F32);
        let r = &reference[which];
        let texts: Vec<&str> =
            r["texts"].as_array().expect("texts").iter().map(|t| t["text"].as_str().expect("text")).collect();
        let worst = |got: &[Vec<f32>], want: &[serde_json::Value]| {
            got.iter()
                .zip(want)
                .flat_map(|(v, w)| {
                    v.iter().zip(floats(&w["embedding"])).map(|(a, b)| (a - b).abs()).collect::<Vec<_>>()
                })
                .fold(0.0, f32::max)
        };
        let vectors = text_vectors(model.as_ref(), &texts).expect("texts embed in f16");
        let off = worst(&vectors, r["texts"].as_array().expect("texts"));
        assert!(off <= 2e-2, "{which} texts in f16: off by {off}");
        let images: Vec<image::RgbImage> =
            image_files(reference).iter().map(|f| rgb(&dir.join("images").join(f))).collect();
        let image_vecs = image_vectors(model.as_ref(), &images).expect("images embed in f16");
        let off = worst(&image_vecs, r["images"].as_array().expect("images"));
        assert!(off <= 2e-2, "{which} images in f16: off by {off}");
    }
}

/// `--int8` for image-text models on the CPU: the towers' layers' products in int8 (patch
/// embedding, projections and pooling in f32), a scorer of its own (`precision: int8`), and
/// embeddings that keep their direction: a cosine of at least 0.99 with transformers' f32 ones,
/// texts and images, as a sentence encoder's int8 embeddings do.
#[test]
fn clip_and_siglip_in_int8_keep_their_embeddings_direction_as_a_scorer_of_their_own() {
    let Some((dir, reference)) = fixtures() else { return };
    for which in ["clip", "clip_gelu", "siglip", "siglip_spm"] {
        let options = verdict::score::load::LoadOptions {
            device: Some(verdict::score::DeviceKind::Cpu),
            int8: true,
            ..verdict::score::load::LoadOptions::new(dir.join(which).display().to_string())
        };
        let (int8, _) = verdict::score::load(&options).expect("loads in int8");
        assert!(int8.device().starts_with("cpu int8 ("), "{which}: {}", int8.device());
        assert_eq!(int8.identity().settings["precision"], "int8", "{which}");
        assert!(scorer(dir, which).identity().settings.get("precision").is_none(), "{which}: f32 keeps its identity");

        let model = load_in(dir, which, candle_core::DType::F32, verdict::score::Precision::Int8);
        let r = &reference[which];
        let texts: Vec<&str> =
            r["texts"].as_array().expect("texts").iter().map(|t| t["text"].as_str().expect("text")).collect();
        let images: Vec<image::RgbImage> =
            image_files(reference).iter().map(|f| rgb(&dir.join("images").join(f))).collect();
        let got = [
            text_vectors(model.as_ref(), &texts).expect("texts embed"),
            image_vectors(model.as_ref(), &images).expect("images embed"),
        ];
        let want = [r["texts"].as_array().expect("texts"), r["images"].as_array().expect("images")];
        for (what, (got, want)) in ["text", "image"].iter().zip(got.iter().zip(want)) {
            let (mut worst, mut moved) = (1f32, 0f32);
            for (v, w) in got.iter().zip(want) {
                let w = floats(&w["embedding"]);
                let dot: f32 = v.iter().zip(&w).map(|(a, b)| a * b).sum();
                let norms = v.iter().map(|a| a * a).sum::<f32>().sqrt() * w.iter().map(|b| b * b).sum::<f32>().sqrt();
                worst = worst.min(dot / norms);
                moved = moved.max(v.iter().zip(&w).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max));
            }
            eprintln!("{which} {what}s in int8: worst cosine {worst:.5} with transformers' f32, moved by {moved}");
            assert!(worst >= 0.99, "{which} {what}s in int8: cosine {worst}");
            assert!(moved > TOL, "{which} {what}s in int8 gave f32's embeddings: not quantized");
        }
    }
}

/// A `SigLIP` whose activation the CPU towers do not run goes to candle's model, which has no int8:
/// int8 is refused, naming the model's config, and f32 still loads.
#[test]
fn a_siglip_the_cpu_towers_do_not_run_is_refused_in_int8_by_name() {
    let Some((dir, _)) = fixtures() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    for entry in std::fs::read_dir(dir.join("siglip")).expect("reads") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), tmp.path().join(entry.file_name())).expect("copies");
    }
    let config_path = tmp.path().join("config.json");
    let mut config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config_path).expect("reads")).expect("json");
    config["vision_config"]["hidden_act"] = "silu".into();
    std::fs::write(&config_path, config.to_string()).expect("writes");
    let options = |int8| verdict::score::load::LoadOptions {
        device: Some(verdict::score::DeviceKind::Cpu),
        int8,
        ..verdict::score::load::LoadOptions::new(tmp.path().display().to_string())
    };
    let err = verdict::score::load(&options(true)).err().expect("refused").to_string();
    assert!(err.contains("int8") && err.contains(&config_path.display().to_string()), "{err}");
    assert!(verdict::score::load(&options(false)).is_ok(), "f32 runs it on candle's model");
}
