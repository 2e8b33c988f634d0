//! Verdict's own export imports back: a project built from several layouts (embedded images,
//! ratings, relative paths, a frame folder, a missing file, a URL, binary extras), relabelled,
//! flagged and noted by curators, exported with `--format verdict` and imported into a new
//! project gives the same samples, media bytes, judgments and curation state, and exporting that
//! project again writes the same lines (but for `dataset` and `source`) and the same media files.

mod common;
use arrow_array::{ArrayRef, BinaryArray, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::{Workspace, count, jpeg, png, stderr, stdout, verdict, write_rlaif_parquet};
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use verdict::model::{JudgmentSource, SampleId};
use verdict::store::{CurationAction, FullSample, Store};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/presets/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A TRL-shaped Parquet file with two columns no preset maps: `raw` (binary, the same bytes in
/// two rows, null in one) and `score`.
fn write_binary_extras_parquet(path: &Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("prompt", DataType::Utf8, false),
        Field::new("chosen", DataType::Utf8, false),
        Field::new("rejected", DataType::Utf8, false),
        Field::new("raw", DataType::Binary, true),
        Field::new("score", DataType::Float64, true),
    ]));
    let texts = |v: [&str; 3]| Arc::new(StringArray::from(v.to_vec())) as ArrayRef;
    let raw: [Option<&[u8]>; 3] = [Some(b"\x00\x01binary\xff"), None, Some(b"\x00\x01binary\xff")];
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            texts(["Name a prime.", "Name a colour.", "Name a planet."]),
            texts(["7", "teal", "Mars"]),
            texts(["8", "loud", "Moon"]),
            Arc::new(BinaryArray::from(raw.to_vec())),
            Arc::new(Float64Array::from(vec![Some(0.5), Some(2.0), None])),
        ],
    )
    .expect("batch");
    let file = std::fs::File::create(path).expect("creates parquet");
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    writer.write(&batch).expect("writes");
    writer.close().expect("closes");
}

/// The source files, in the workspace; returns them in import order.
fn sources(ws: &Workspace) -> Vec<String> {
    let rlaif = ws.path("rlaif.parquet");
    let shared = jpeg(24, 16, 9);
    write_rlaif_parquet(
        &rlaif,
        &[
            ("What is in the picture?", "A gradient.", "A horse.", Some(jpeg(32, 24, 1))),
            ("What colour dominates?", "Red.", "Green.", Some(shared.clone())),
            ("Same picture, other question?", "Yes.", "No.", Some(shared)),
        ],
        2,
    );
    // VLFeedback: four rated completions and an image by relative path.
    let vlf = ws.write("vlfeedback.json", fixture("vlfeedback_list_handwritten.json"));
    ws.write("svit/images/2386512.jpg", jpeg(40, 30, 3));
    // TRL conversational: a system turn and two images by relative path.
    let trl = ws.write("trl_conv.jsonl", fixture("trl_conversational_images_handwritten.jsonl"));
    ws.write("pairs/a.jpg", jpeg(20, 20, 4));
    ws.write("pairs/b.jpg", png(12, 8));
    // MM-RLHF: a path, a frame folder, a missing file, a URL, a retrieved image, reasons and a tie.
    ws.write("imgs/cat.jpg", jpeg(16, 16, 5));
    ws.write("clips/roll/frame_1.jpg", jpeg(16, 12, 6));
    ws.write("clips/roll/frame_2.jpg", jpeg(16, 12, 7));
    let mm = ws.write(
        "mm.jsonl",
        [
            json!({"id": "m0", "prompt": "<image>What is shown?", "chosen": "A cat.", "rejected": "A dog.",
                   "image": "imgs/cat.jpg", "chosen_reason": "correct", "rejected_reason": "wrong animal",
                   "ls_factor": 0.5}),
            json!({"id": "m1", "prompt": "<video>Describe the motion.", "chosen": "It rolls.",
                   "rejected": "It flies.", "video": "clips/roll", "is_tie": false}),
            json!({"id": "m2", "prompt": "<image>And here?", "chosen": "x", "rejected": "y",
                   "image": "imgs/missing.jpg", "is_tie": true}),
            json!({"id": 3, "prompt": "<image>Remote?", "chosen": "u", "rejected": "v",
                   "image": "https://example.org/cat.jpg", "mixed_up_image": "imgs/cat.jpg"}),
        ]
        .iter()
        .map(|r| r.to_string() + "\n")
        .collect::<String>(),
    );
    let extras = ws.path("extras.parquet");
    write_binary_extras_parquet(&extras);
    [rlaif, vlf, trl, mm, extras].iter().map(|p| p.to_string_lossy().into_owned()).collect()
}

fn run(args: &[&str]) -> String {
    let out = verdict(args);
    assert!(out.status.success(), "verdict {args:?} failed: {}", stderr(&out));
    stdout(&out) + &stderr(&out)
}

fn samples(store: &Store) -> Vec<FullSample> {
    let ids: Vec<SampleId> = {
        let mut stmt = store.conn().prepare("SELECT id FROM samples ORDER BY id").expect("prepares");
        stmt.query_map([], |r| r.get(0).map(SampleId)).expect("ids").collect::<Result<_, _>>().expect("reads")
    };
    store.full_samples(&ids).expect("reads samples")
}

fn parsed(text: Option<&str>) -> Json {
    text.map_or(Json::Null, |t| serde_json::from_str(t).expect("stored JSON"))
}

fn digest(bytes: &[u8]) -> String {
    format!("{} bytes, blake3 {}", bytes.len(), blake3::hash(bytes).to_hex())
}

/// The bytes behind a media item: the blob's, the file's, or each frame's (name and bytes).
fn media_bytes(store: &Store, m: &verdict::store::MediaView) -> Json {
    if let Some(hash) = &m.blob_hash {
        return json!({"blob": digest(&store.blob(hash).expect("blob is stored"))});
    }
    let Some(resolved) = &m.resolved_path else { return Json::Null };
    let path = Path::new(resolved);
    if path.is_dir() {
        let mut frames: Vec<_> = std::fs::read_dir(path).expect("frames").map(|e| e.expect("entry").path()).collect();
        frames.sort();
        let listed: Vec<Json> = frames
            .iter()
            .map(|f| {
                json!([
                    f.file_name().map(|n| n.to_string_lossy().into_owned()),
                    digest(&std::fs::read(f).expect("frame"))
                ])
            })
            .collect();
        return json!({"frames": listed});
    }
    json!({"file": digest(&std::fs::read(path).expect("media file"))})
}

/// Everything that must survive the round trip, by section; ids and resolved paths left out.
fn described(store: &Store, s: &FullSample) -> BTreeMap<&'static str, Json> {
    let v = &s.sample;
    let mut out = BTreeMap::new();
    out.insert("text", json!({"key": v.source_key, "prompt": v.prompt, "context": v.context, "modality": v.modality}));
    out.insert(
        "responses",
        v.responses.iter().map(|r| json!([r.position, r.text, r.model, r.field, parsed(r.meta.as_deref())])).collect(),
    );
    out.insert(
        "media",
        v.media
            .iter()
            .map(|m| {
                json!({
                    "at": [m.position, m.role, m.kind, m.response, m.field],
                    "reference": [m.blob_hash, m.name, m.path, m.url, m.resolved_path.is_some()],
                    "probe": [m.probe_status, m.probe_error, serde_json::to_value(&m.facts).expect("facts")],
                    "bytes": media_bytes(store, m),
                })
            })
            .collect(),
    );
    out.insert(
        "judgments",
        v.judgments
            .iter()
            .map(|j| {
                let ratings: Vec<Json> = j
                    .ratings
                    .iter()
                    .map(|r| json!([r.response, r.aspect, r.value, r.raw, r.rationale, r.critique]))
                    .collect();
                json!({
                    "who": [j.source, j.author, j.created_at],
                    "label": [j.label, j.kind, j.chosen, j.rejected, j.ranking],
                    "detail": parsed(j.detail.as_deref()),
                    "ratings": ratings,
                })
            })
            .collect(),
    );
    let current = store.current_label(v.id).expect("label").map(|l| json!([l.source, l.kind, l.chosen, l.rejected]));
    out.insert(
        "curation",
        json!({
            "state": s.curation.as_ref().map(|c| json!({
                "judgment": c.state.judgment_id.map(|id| v.judgments.iter().position(|j| j.id == id)),
                "flag": c.state.flag, "note": c.state.note, "updated_at": c.updated_at,
            })),
            "current_label": current,
        }),
    );
    let stats: Json = store
        .conn()
        .query_row(
            "SELECT original, current, flagged, edited, noted, judgment_kinds, len_chosen, len_rejected, n_responses
             FROM sample_stats WHERE sample_id = ?1",
            [v.id],
            |r| {
                Ok(json!({
                    "original": r.get::<_, String>(0)?, "current": r.get::<_, String>(1)?,
                    "flagged": r.get::<_, i64>(2)?, "edited": r.get::<_, i64>(3)?, "noted": r.get::<_, i64>(4)?,
                    "kinds": r.get::<_, i64>(5)?, "len_chosen": r.get::<_, Option<i64>>(6)?,
                    "len_rejected": r.get::<_, Option<i64>>(7)?, "n": r.get::<_, i64>(8)?,
                }))
            },
        )
        .expect("stats row");
    out.insert("stats", stats);
    let extras = parsed(v.extras.as_deref());
    let mut blobs = Vec::new();
    collect_blobs(&extras, &mut blobs);
    let blob_bytes: Vec<Json> =
        blobs.iter().map(|h| json!([h, digest(&store.blob(h).expect("extras blob is stored"))])).collect();
    out.insert("extras", json!({"value": extras, "blobs": blob_bytes}));
    out
}

fn collect_blobs(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => match m.get("$blob") {
            Some(Json::String(h)) if m.len() == 1 => out.push(h.clone()),
            _ => m.values().for_each(|v| collect_blobs(v, out)),
        },
        Json::Array(l) => l.iter().for_each(|v| collect_blobs(v, out)),
        _ => {}
    }
}

/// The lines of an export, without `dataset` and `source` (which name where a sample came from).
fn lines(dir: &Path) -> Vec<Json> {
    let text = std::fs::read_to_string(dir.join("train.jsonl")).expect("train.jsonl");
    text.lines()
        .map(|l| {
            let mut v: Json = serde_json::from_str(l).expect("a JSON line");
            let obj = v.as_object_mut().expect("an object");
            assert!(obj.remove("dataset").is_some() && obj.remove("source").is_some());
            v
        })
        .collect()
}

/// Every file under `dir/media`, by relative path, with its bytes' digest.
fn media_files(dir: &Path) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).expect("reads media") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                let rel = path.strip_prefix(base).expect("inside").to_string_lossy().into_owned();
                out.insert(rel, digest(&std::fs::read(&path).expect("reads")));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &dir.join("media"), &mut out);
    out
}

#[test]
fn a_verdict_export_imports_back_into_the_same_samples_judgments_and_curation() {
    let ws = Workspace::new();
    let first = ws.project();
    let first_s = first.to_string_lossy().into_owned();
    let mut args = vec!["import", "--project", first_s.as_str()];
    let files = sources(&ws);
    args.extend(files.iter().map(String::as_str));
    run(&args);

    // Curators at work, through the store.
    {
        let mut store = Store::open(&first).expect("opens");
        let ids: Vec<SampleId> = samples(&store).iter().map(|s| s.sample.id).collect();
        assert_eq!(ids.len(), 12, "3 RLAIF-V + 1 VLFeedback + 1 TRL + 4 MM-RLHF + 3 TRL with extras");
        let act = |store: &mut Store, i: usize, who: &str, a: CurationAction| {
            store
                .apply(&verdict::store::Actor::new(who, "test"), ids[i], &a)
                .unwrap_or_else(|e| panic!("sample {i}: {a:?}: {e}"))
        };
        act(&mut store, 0, "ana", CurationAction::Swap);
        act(&mut store, 0, "ana", CurationAction::Tie); // two curator judgments, the tie in force
        act(&mut store, 1, "bo", CurationAction::Flag("blurry image".into()));
        act(&mut store, 3, "bo", CurationAction::Pick(1));
        act(&mut store, 3, "bo", CurationAction::Note("ratings look off".into()));
        act(&mut store, 4, "ana", CurationAction::Swap);
        store.undo(&verdict::store::Actor::new("ana", "test"), None).expect("undo"); // a curator judgment, not in force
        act(&mut store, 6, "cy", CurationAction::Flag("check".into()));
        act(&mut store, 6, "cy", CurationAction::Unflag); // a curation row with nothing in it
        act(&mut store, 7, "cy", CurationAction::BothBad);
        act(&mut store, 7, "cy", CurationAction::Note("both hallucinate".into()));
        act(&mut store, 9, "ana", CurationAction::Pick(1));
    }

    let out = ws.path("export");
    let out_s = out.to_string_lossy().into_owned();
    run(&["export", &first_s, "--format", "verdict", "--out", &out_s, "--include-flagged"]);

    let second = ws.path("second.verdict");
    let second_s = second.to_string_lossy().into_owned();
    let report = run(&["import", "--project", &second_s, &format!("{out_s}/train.jsonl")]);
    assert!(report.contains("preset verdict"), "{report}");
    assert_eq!(count(&second, "SELECT count(*) FROM import_issues WHERE severity = 'error'"), 0);

    let (a_store, b_store) = (Store::open(&first).expect("opens"), Store::open(&second).expect("opens"));
    let (a, b) = (samples(&a_store), samples(&b_store));
    assert_eq!(a.len(), b.len(), "every sample imported back");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let (dx, dy) = (described(&a_store, x), described(&b_store, y));
        for (section, want) in &dx {
            assert_eq!(&dy[section], want, "sample {i}: {section}");
        }
    }

    // References now point at the export's copies, not at the first project's files.
    let export_dir = out.canonicalize().expect("export folder");
    for m in b.iter().flat_map(|s| &s.sample.media) {
        if let Some(resolved) = &m.resolved_path {
            assert!(Path::new(resolved).starts_with(&export_dir), "{resolved} is not under {}", export_dir.display());
        }
    }

    // The fixture covers what the format carries.
    let all: Vec<_> = a.iter().map(|s| described(&a_store, s)).collect();
    let media: Vec<&Json> = all.iter().flat_map(|d| d["media"].as_array().expect("list")).collect();
    assert!(media.iter().any(|m| m["bytes"]["blob"].is_string()), "embedded media");
    assert!(media.iter().any(|m| m["bytes"]["file"].is_string()), "referenced files");
    assert!(media.iter().any(|m| m["bytes"]["frames"].as_array().is_some_and(|f| f.len() == 2)), "a frame folder");
    assert!(media.iter().any(|m| m["probe"][0] == "unresolved"), "an unresolved path");
    assert!(media.iter().any(|m| m["probe"][0] == "not_fetched"), "a URL");
    assert!(all.iter().any(|d| !d["extras"]["blobs"].as_array().expect("list").is_empty()), "binary extras");
    let rated =
        |d: &BTreeMap<&str, Json>| d["judgments"].as_array().expect("list").iter().any(|j| j["ratings"] != json!([]));
    assert!(all.iter().any(rated), "ratings");
    let states: Vec<&Json> = all.iter().map(|d| &d["curation"]["state"]).collect();
    assert!(states.iter().any(|s| s["flag"] == "blurry image"), "a flag");
    assert!(states.iter().any(|s| s["note"] == "both hallucinate"), "a note");
    assert!(states.iter().any(|s| s.is_object() && s["judgment"].is_null() && s["flag"].is_null()), "an empty state");
    assert_eq!(all[0]["curation"]["current_label"], json!(["curator", "tie", 0, 1]));
    assert_eq!(all[4]["curation"]["current_label"][0], "original", "undone: the original stands");
    assert_eq!(all[0]["stats"]["current"], "tie");
    assert_eq!(
        (&all[1]["stats"]["flagged"], &all[7]["stats"]["noted"], &all[9]["stats"]["edited"]),
        (&json!(1), &json!(1), &json!(1))
    );
    assert_eq!(count(&second, "SELECT count(*) FROM judgments WHERE source = 'curator'"), 6);
    assert!(b.iter().all(|s| s.sample.judgments.iter().any(|j| j.source == JudgmentSource::Original)));

    // Exported again: the same lines (but where they came from) and the same media files.
    let again = ws.path("again");
    let again_s = again.to_string_lossy().into_owned();
    run(&["export", &second_s, "--format", "verdict", "--out", &again_s, "--include-flagged"]);
    let (first_lines, second_lines) = (lines(&out), lines(&again));
    assert_eq!(first_lines.len(), second_lines.len());
    for (i, (x, y)) in first_lines.iter().zip(&second_lines).enumerate() {
        assert_eq!(y, x, "line {i}");
    }
    assert_eq!(media_files(&again), media_files(&out));
}

#[test]
fn a_line_of_another_version_is_a_row_error_naming_the_field() {
    let ws = Workspace::new();
    let line = |version: i64, key: &str| {
        json!({"verdict": version, "dataset": "d", "source": null, "key": key, "prompt": "Which?", "context": [],
               "modality": "text", "extras": null,
               "responses": [{"text": "a", "model": null, "field": "chosen", "meta": null},
                             {"text": "b", "model": null, "field": "rejected", "meta": null}],
               "media": [], "blobs": {},
               "judgments": [{"source": "original", "author": null, "label": "overall", "kind": "pairwise",
                              "chosen": 0, "rejected": 1, "ranking": [], "detail": null,
                              "created_at": "2026-01-01T00:00:00.000Z", "ratings": []}],
               "curation": null})
        .to_string()
    };
    let file = ws.write("train.jsonl", format!("{}\n{}\n", line(1, "one"), line(2, "two")));
    let project = ws.project();
    let out = verdict(&["import", "--project", &project.to_string_lossy(), &file.to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 1);
    assert_eq!(count(&project, "SELECT count(*) FROM samples WHERE source_key = 'one'"), 1);
    assert_eq!(
        count(
            &project,
            "SELECT count(*) FROM import_issues WHERE row_index = 1 AND field = 'verdict' AND severity = 'error'"
        ),
        1
    );
    assert_eq!(
        count(&project, "SELECT count(*) FROM judgments WHERE created_at = '2026-01-01T00:00:00.000Z'"),
        1,
        "the judgment keeps its time"
    );
}
