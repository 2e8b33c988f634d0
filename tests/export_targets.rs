//! Export round trips: a project with embedded images (RLAIF-V Parquet), image paths (MM-RLHF
//! JSONL), text pairs (TRL JSONL) and an index label (LLaVA-RLHF JSON), relabeled by a curator
//! (swap, pick, tie, flag), exported to every training format and imported back into a new
//! project: the right rows, the right direction for every relabeled pair, media bytes equal.

mod common;
use common::{Workspace, export, jpeg, png, stdout, verdict, write_rlaif_parquet};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use verdict::model::{MediaRole, SampleId};
use verdict::store::{CurationAction, Store};

/// Questions, answers and images of the fixture project, and what each pair says after curation.
struct Fixture {
    ws: Workspace,
    /// question -> (chosen, rejected) as the current label says; absent when left out.
    expected: BTreeMap<String, (String, String)>,
    /// question -> the bytes of its image, when it has one.
    images: BTreeMap<String, Vec<u8>>,
}

const CURATOR: &str = "ana";

fn rlaif_rows(n: usize) -> Vec<(String, String, String, Vec<u8>)> {
    (0..n)
        .map(|i| {
            let w = 32 + 8 * i as u32;
            (
                format!("picture question {i}"),
                format!("picture good {i}"),
                format!("picture bad {i}"),
                jpeg(w, w * 3 / 4, i as u8),
            )
        })
        .collect()
}

/// Builds the project; with `relabel`, a curator swaps, picks, ties and flags some pairs.
fn fixture(relabel: bool) -> Fixture {
    let ws = Workspace::new();
    let rows = rlaif_rows(4);
    let borrowed: Vec<(&str, &str, &str, Option<Vec<u8>>)> =
        rows.iter().map(|(q, c, r, b)| (q.as_str(), c.as_str(), r.as_str(), Some(b.clone()))).collect();
    let parquet = ws.path("rlaif.parquet");
    write_rlaif_parquet(&parquet, &borrowed, 2);

    let mut jsonl = String::new();
    let mut images = BTreeMap::new();
    for (q, _, _, b) in &rows {
        images.insert(q.clone(), b.clone());
    }
    for i in 0..3 {
        let bytes = png(20 + i, 10 + i);
        ws.write(&format!("img/{i}.png"), &bytes);
        let q = format!("path question {i}");
        images.insert(q.clone(), bytes);
        jsonl.push_str(
            &serde_json::json!({
                "prompt": format!("<image>\n{q}"), "chosen": format!("path good {i}"), "rejected": format!("path bad {i}"),
                "image": format!("img/{i}.png"), "chosen_reason": format!("why good {i}"), "rejected_reason": format!("why bad {i}"),
            })
            .to_string(),
        );
        jsonl.push('\n');
    }
    let paths = ws.write("mm_rlhf.jsonl", jsonl);
    let text: String = (0..4)
        .map(|i| {
            serde_json::json!({"prompt": format!("text question {i}"), "chosen": format!("text good {i}"), "rejected": format!("text bad {i}")})
                .to_string()
                + "\n"
        })
        .collect();
    let text = ws.write("text.jsonl", text);
    let json = ws.write(
        "llava_rlhf.json",
        serde_json::to_string_pretty(&serde_json::json!([
            {"image": "img/0.png", "conversations": [{"from": "human", "value": "<image>\nindex question 0"}],
             "output_1": {"from": "gpt", "value": "index first 0"}, "output_2": {"from": "gpt", "value": "index second 0"}, "preference": 2},
            {"image": "img/1.png", "conversations": [{"from": "human", "value": "<image>\nindex question 1"}],
             "output_1": {"from": "gpt", "value": "index first 1"}, "output_2": {"from": "gpt", "value": "index second 1"}, "preference": 1},
        ]))
        .expect("json"),
    );
    images.insert("index question 0".into(), png(20, 10));
    images.insert("index question 1".into(), png(21, 11));

    let project = ws.project();
    for file in [&parquet, &paths, &text, &json] {
        let out = verdict(&["import", "--project", project.to_str().expect("utf8"), file.to_str().expect("utf8")]);
        assert!(out.status.success(), "import {}: {}", file.display(), common::stderr(&out));
    }

    let mut expected = BTreeMap::new();
    for (q, c, r, _) in &rows {
        expected.insert(q.clone(), (c.clone(), r.clone()));
    }
    for i in 0..3 {
        expected.insert(format!("path question {i}"), (format!("path good {i}"), format!("path bad {i}")));
    }
    for i in 0..4 {
        expected.insert(format!("text question {i}"), (format!("text good {i}"), format!("text bad {i}")));
    }
    expected.insert("index question 0".into(), ("index second 0".into(), "index first 0".into()));
    expected.insert("index question 1".into(), ("index first 1".into(), "index second 1".into()));

    if relabel {
        let mut store = Store::open(&project).expect("store");
        let mut act = |question: &str, action: CurationAction| {
            let id = sample_of(&store, question);
            store.apply(&verdict::store::Actor::new(CURATOR, "test"), id, &action).expect("applies");
        };
        act("picture question 1", CurationAction::Swap);
        act("picture question 2", CurationAction::Tie);
        act("path question 0", CurationAction::Pick(1));
        act("text question 1", CurationAction::Swap);
        act("text question 2", CurationAction::Flag("off-topic".into()));
        act("text question 3", CurationAction::Note("fine as it is".into()));
        act("index question 0", CurationAction::Pick(0));
        let flip = |e: &mut BTreeMap<String, (String, String)>, q: &str| {
            let (c, r) = e.remove(q).expect("known");
            e.insert(q.to_owned(), (r, c));
        };
        flip(&mut expected, "picture question 1");
        flip(&mut expected, "path question 0");
        flip(&mut expected, "text question 1");
        flip(&mut expected, "index question 0");
        expected.remove("picture question 2");
        expected.remove("text question 2");
    }
    Fixture { ws, expected, images }
}

fn sample_of(store: &Store, question: &str) -> SampleId {
    let id: i64 = store
        .conn()
        .query_row("SELECT id FROM samples WHERE instr(prompt, ?1) > 0", [question], |r| r.get(0))
        .unwrap_or_else(|e| panic!("no sample asks {question:?}: {e}"));
    SampleId(id)
}

/// Imports `files` into a fresh project (relative media against `media_root`, default each file's
/// folder) and returns question -> (chosen, rejected, image bytes).
fn read_back_all(
    ws: &Workspace,
    name: &str,
    files: &[PathBuf],
    media_root: Option<&Path>,
) -> BTreeMap<String, (String, String, Option<Vec<u8>>)> {
    let project = ws.path(&format!("{name}.verdict"));
    for file in files {
        let mut args = vec!["import", "--project", project.to_str().expect("utf8"), file.to_str().expect("utf8")];
        if let Some(root) = media_root {
            args.extend(["--media-root", root.to_str().expect("utf8")]);
        }
        let o = verdict(&args);
        assert!(o.status.success(), "re-import {}: {}", file.display(), common::stderr(&o));
        assert!(stdout(&o).contains(" 0 errors"), "{}", stdout(&o));
    }
    let store = Store::open(&project).expect("store");
    let ids: Vec<i64> = store
        .conn()
        .prepare("SELECT id FROM samples ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .expect("ids");
    let mut out = BTreeMap::new();
    for id in ids {
        let s = store.sample(SampleId(id)).expect("sample");
        let j = s.judgments.iter().find(|j| j.chosen.is_some()).expect("a pair");
        let text = |p: Option<u32>| s.responses[p.expect("position") as usize].text.clone().expect("text");
        let image = s.media.iter().find(|m| m.role == MediaRole::Input).map(|m| match &m.blob_hash {
            Some(h) => store.blob(h).expect("blob"),
            None => std::fs::read(m.resolved_path.as_ref().expect("resolved")).expect("file"),
        });
        let question = question_in(&s.prompt);
        let previous = out.insert(question.clone(), (text(j.chosen), text(j.rejected), image));
        assert!(previous.is_none(), "{question} written twice");
    }
    out
}

/// [`read_back_all`] of one file, media relative to it.
fn read_back(ws: &Workspace, name: &str, file: &Path) -> BTreeMap<String, (String, String, Option<Vec<u8>>)> {
    read_back_all(ws, name, &[file.to_owned()], None)
}

/// The fixture question inside a prompt as a target wrote it (placeholders, parts joined).
fn question_in(prompt: &str) -> String {
    for kind in ["picture question", "path question", "text question", "index question"] {
        if let Some(at) = prompt.find(kind) {
            return prompt[at..].trim().to_owned();
        }
    }
    panic!("no fixture question in {prompt:?}")
}

fn check(f: &Fixture, got: &BTreeMap<String, (String, String, Option<Vec<u8>>)>, keep: impl Fn(&str) -> bool) {
    let want: Vec<&String> = f.expected.keys().filter(|q| keep(q)).collect();
    assert_eq!(got.keys().collect::<Vec<_>>(), want, "the rows written");
    for (q, (c, r, image)) in got {
        assert_eq!((c, r), (&f.expected[q].0, &f.expected[q].1), "direction of {q}");
        assert_eq!(image.as_ref(), f.images.get(q), "image bytes of {q}");
    }
}

#[test]
fn every_training_format_reads_back_with_the_curators_labels_and_equal_media() {
    let f = fixture(true);
    let project = f.ws.project();
    let media = |q: &str| !q.starts_with("text");
    for (format, file_format, keep) in [
        ("trl", "jsonl", &(|_: &str| true) as &dyn Fn(&str) -> bool),
        ("trl", "parquet", &|_: &str| true),
        ("llamafactory", "jsonl", &|_: &str| true),
        ("llamafactory", "parquet", &|_: &str| true),
        ("swift", "jsonl", &|_: &str| true),
        ("swift", "parquet", &|_: &str| true),
        ("openrlhf", "jsonl", &|q: &str| !media(q)),
    ] {
        let name = format!("{format}-{file_format}");
        let out = f.ws.path(&name);
        let report = export(&project, &out, &["--format", format, "--file-format", file_format]);
        let counts = &report["counts"];
        assert_eq!(counts["left_out"]["flagged"], 1, "{name}: {report}");
        assert_eq!(counts["left_out"]["tie"], 1, "{name}: {report}");
        // Three relabels in the written rows (picture 1, path 0, index 0, text 1; text-only for OpenRLHF).
        let curated = if format == "openrlhf" { 1 } else { 4 };
        assert_eq!(counts["curator_labels"], curated, "{name}: {report}");
        let got = read_back(&f.ws, &name, &out.join(format!("train.{file_format}")));
        check(&f, &got, keep);
        let manifest: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("manifest")).expect("json");
        assert_eq!(manifest["target"], format);
        assert_eq!(manifest["counts"], report["counts"]);
        assert_eq!(manifest["sources"].as_array().expect("sources").len(), 4);
    }
}

#[test]
fn the_original_schema_reads_back_with_the_curators_labels_and_equal_media() {
    let f = fixture(true);
    let out = f.ws.path("original");
    let report = export(&f.ws.project(), &out, &["--format", "original"]);
    assert_eq!(report["counts"]["left_out"]["flagged"], 1, "{report}");
    assert_eq!(report["counts"]["left_out"]["tie"], 1, "{report}");
    let files: Vec<PathBuf> =
        ["rlaif.parquet", "mm_rlhf.jsonl", "text.jsonl", "llava_rlhf.json"].iter().map(|n| out.join(n)).collect();
    // The sources' image paths are relative to the fixture folder, as the source wrote them.
    let got = read_back_all(&f.ws, "original-back", &files, Some(f.ws.dir.path()));
    check(&f, &got, |_| true);
}

#[test]
fn llamafactory_media_tokens_match_the_lists_and_dataset_info_names_the_file() {
    let f = fixture(false);
    let out = f.ws.path("lf");
    export(&f.ws.project(), &out, &["--format", "llamafactory"]);
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("dataset_info.json")).expect("info")).expect("json");
    let entry = &info["lf"];
    assert_eq!(entry["file_name"], "train.jsonl");
    assert_eq!(entry["formatting"], "sharegpt");
    assert_eq!(entry["ranking"], true);
    assert_eq!(entry["columns"]["messages"], "conversations");
    for line in std::fs::read_to_string(out.join("train.jsonl")).expect("data").lines() {
        let row: serde_json::Value = serde_json::from_str(line).expect("row");
        let turns = row["conversations"].as_array().expect("turns");
        assert_eq!(turns.len() % 2, 1, "ends on a human turn: {row}");
        assert_eq!(turns.last().expect("last")["from"], "human");
        let text: String =
            turns.iter().filter(|t| t["from"] == "human").map(|t| t["value"].as_str().expect("text")).collect();
        let images = row["images"].as_array().expect("images");
        assert_eq!(text.matches("<image>").count(), images.len(), "{row}");
        for image in images {
            assert!(out.join(image.as_str().expect("path")).is_file(), "{image} is relative to the export folder");
        }
        assert_eq!(row["chosen"]["from"], "gpt");
    }
}

/// Every `(file, bytes)` under a folder, relative names, sorted.
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).expect("inside").display().to_string();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn the_same_project_and_options_give_the_same_bytes() {
    let f = fixture(true);
    let project = f.ws.project();
    for args in [
        vec!["--format", "trl", "--split", "test=0.3", "--seed", "4"],
        vec!["--format", "llamafactory", "--file-format", "parquet"],
        vec!["--format", "original"],
    ] {
        // Twice into the same (then emptied) folder with the same options.
        let out = f.ws.path("same");
        export(&project, &out, &args);
        let first = tree(&out);
        std::fs::remove_dir_all(&out).expect("empty it");
        export(&project, &out, &args);
        let second = tree(&out);
        std::fs::remove_dir_all(&out).expect("empty it");
        assert_eq!(first.len(), second.len());
        for ((n1, b1), (n2, b2)) in first.iter().zip(&second) {
            assert_eq!(n1, n2);
            if n1 == "manifest.json" {
                let strip = |b: &[u8]| {
                    let mut v: serde_json::Value = serde_json::from_slice(b).expect("manifest");
                    v.as_object_mut().expect("object").remove("exported_at");
                    v
                };
                assert_eq!(strip(b1), strip(b2), "{args:?}: the manifest differs beyond exported_at");
            } else {
                assert!(b1 == b2, "{args:?}: {n1} differs between two exports");
            }
        }
    }
}

#[test]
fn a_split_keeps_samples_that_share_a_prompt_and_media_together() {
    let ws = Workspace::new();
    // 40 prompts, each asked twice with other answers.
    let rows: String = (0..80)
        .map(|i| serde_json::json!({"prompt": format!("shared prompt {}", i % 40), "chosen": format!("a{i}"), "rejected": format!("b{i}")}).to_string() + "\n")
        .collect();
    let file = ws.write("pairs.jsonl", rows);
    let project = ws.project();
    assert!(
        verdict(&["import", "--project", project.to_str().expect("utf8"), file.to_str().expect("utf8")])
            .status
            .success()
    );
    let out = ws.path("split");
    let report = export(&project, &out, &["--split", "test=0.25", "--seed", "11"]);
    let prompts = |name: &str| -> Vec<String> {
        std::fs::read_to_string(out.join(name))
            .expect("file")
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("row")["prompt"].as_str().expect("text").to_owned()
            })
            .collect()
    };
    let (train, test) = (prompts("train.jsonl"), prompts("test.jsonl"));
    assert_eq!(train.len() + test.len(), 80);
    assert!(!test.is_empty() && test.len() < 40, "about a quarter goes to test: {}", test.len());
    for p in &test {
        assert!(!train.contains(p), "{p} is on both sides");
    }
    assert_eq!(report["counts"]["rows_per_file"]["test.jsonl"], test.len());
    // Another seed moves some groups.
    let other = ws.path("split2");
    export(&project, &other, &["--split", "test=0.25", "--seed", "12"]);
    assert_ne!(std::fs::read(out.join("test.jsonl")).expect("a"), std::fs::read(other.join("test.jsonl")).expect("b"));
}

#[test]
fn a_folder_with_other_files_is_refused_without_force_and_nothing_is_written_outside() {
    let f = fixture(false);
    let out = f.ws.path("busy");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("notes.txt"), "mine").expect("write");
    let o = verdict(&["export", f.ws.project().to_str().expect("utf8"), "--out", out.to_str().expect("utf8")]);
    assert!(!o.status.success());
    assert!(
        common::stderr(&o).contains("not empty") && common::stderr(&o).contains("--force"),
        "{}",
        common::stderr(&o)
    );
    assert_eq!(tree(&out).len(), 1, "nothing written on refusal");
    export(&f.ws.project(), &out, &["--force"]);
    assert_eq!(std::fs::read_to_string(out.join("notes.txt")).expect("kept"), "mine");
    assert!(out.join("train.jsonl").is_file() && out.join("manifest.json").is_file());
    let outside: Vec<PathBuf> =
        std::fs::read_dir(f.ws.dir.path()).expect("dir").map(|e| e.expect("e").path()).collect();
    assert!(!outside.iter().any(|p| p.file_name().is_some_and(|n| n == "train.jsonl" || n == "media")));
}

#[test]
fn a_sample_whose_media_is_missing_is_left_out_and_listed() {
    let f = fixture(false);
    std::fs::remove_file(f.ws.path("img/1.png")).expect("remove");
    let out = f.ws.path("missing");
    let report = export(&f.ws.project(), &out, &["--format", "llamafactory"]);
    // path question 1 and index question 1 use img/1.png.
    assert_eq!(report["counts"]["left_out"]["missing_media"], 2, "{report}");
    let listed: Vec<&serde_json::Value> =
        report["left_out"].as_array().expect("list").iter().filter(|l| l["reason"] == "missing_media").collect();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().any(|l| l["file"] == "mm_rlhf.jsonl" && l["position"]["line"] == 2), "{listed:?}");
    assert!(listed.iter().any(|l| l["file"] == "llava_rlhf.json" && l["position"]["index"] == 1), "{listed:?}");
    assert!(listed[0]["detail"].as_str().expect("detail").contains("1.png"));
    let data = std::fs::read_to_string(out.join("train.jsonl")).expect("data");
    assert!(!data.contains("path question 1") && !data.contains("index question 1"));
}

#[test]
fn media_modes_copy_link_and_reference() {
    let f = fixture(false);
    let project = f.ws.project();
    let copy = f.ws.path("copy");
    let report = export(&project, &copy, &["--format", "swift"]);
    // 4 embedded JPEGs and 3 PNG files, each once however many rows use it.
    assert_eq!(report["media_files"], 7, "{report}");
    assert_eq!(std::fs::read_dir(copy.join("media")).expect("media").count(), 7);
    let link = f.ws.path("link");
    export(&project, &link, &["--format", "swift", "--media", "link"]);
    let png0 = blake3::hash(&png(20, 10)).to_hex().to_string();
    let linked = link.join("media").join(format!("{png0}.png"));
    assert_eq!(std::fs::read(&linked).expect("linked"), png(20, 10));
    {
        use std::os::unix::fs::MetadataExt;
        assert!(std::fs::metadata(&linked).expect("meta").nlink() >= 2, "a hard link to the source file");
    }
    let reference = f.ws.path("reference");
    export(&project, &reference, &["--format", "swift", "--media", "reference"]);
    let data = std::fs::read_to_string(reference.join("train.jsonl")).expect("data");
    let source = f.ws.path("img/0.png").canonicalize().expect("abs");
    assert!(data.contains(&format!("\"{}\"", source.display())), "absolute source paths");
    let o = verdict(&[
        "export",
        project.to_str().expect("utf8"),
        "--out",
        f.ws.path("bad").to_str().expect("utf8"),
        "--media",
        "embed",
    ]);
    assert!(!o.status.success() && common::stderr(&o).contains("--file-format parquet"), "{}", common::stderr(&o));
}

#[test]
fn parquet_exports_carry_the_hugging_face_image_features() {
    let f = fixture(false);
    let out = f.ws.path("pq");
    export(&f.ws.project(), &out, &["--format", "trl", "--file-format", "parquet"]);
    let file = std::fs::File::open(out.join("train.parquet")).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
    let meta = reader.schema().metadata().get("huggingface").cloned().expect("huggingface metadata");
    let features: serde_json::Value = serde_json::from_str(&meta).expect("json");
    assert_eq!(
        features["info"]["features"]["images"],
        serde_json::json!({"feature": {"_type": "Image"}, "_type": "List"})
    );
    assert_eq!(features["info"]["features"]["prompt"]["_type"], "List");
    let batches: Vec<_> = reader.build().expect("reader").collect::<Result<_, _>>().expect("batches");
    let rows: usize = batches.iter().map(arrow_array::RecordBatch::num_rows).sum();
    assert_eq!(rows, 13);
}

#[test]
fn a_cancelled_export_leaves_nothing_under_a_final_name() {
    use std::sync::Arc;
    use verdict::export::{ExportError, ExportOptions, Target};
    use verdict::jobs::{CancelToken, Progress, ProgressSink, ProgressUpdate};
    struct CancelAtOnce(CancelToken);
    impl ProgressSink for CancelAtOnce {
        fn update(&self, _: &ProgressUpdate) {
            self.0.cancel();
        }
    }
    let f = fixture(false);
    let store = Store::open(&f.ws.project()).expect("store");
    let out = f.ws.path("cancelled");
    let cancel = CancelToken::new();
    let mut progress = Progress::new(Arc::new(CancelAtOnce(cancel.clone())), cancel);
    let result = verdict::export::run(&store, &ExportOptions::new(Target::Trl, &out), &mut progress);
    assert!(matches!(result, Err(ExportError::Cancelled)), "{result:?}");
    assert_eq!(std::fs::read_dir(&out).expect("dir").count(), 0, "no files, no staging folder");
}

#[test]
fn a_second_export_into_a_folder_being_written_is_refused() {
    use std::sync::{Arc, Barrier};
    use verdict::jobs::{CancelToken, Progress, ProgressSink, ProgressUpdate};
    /// A progress sink that holds the export at its first update until the test lets it go.
    struct Pause(Arc<Barrier>, std::sync::atomic::AtomicBool);
    impl ProgressSink for Pause {
        fn update(&self, _: &ProgressUpdate) {
            if !self.1.swap(true, std::sync::atomic::Ordering::SeqCst) {
                self.0.wait();
                self.0.wait();
            }
        }
    }
    let f = fixture(false);
    let store = Store::open(&f.ws.project()).expect("store");
    let out = f.ws.path("busy");
    let barrier = Arc::new(Barrier::new(2));
    let sink = Arc::new(Pause(barrier.clone(), std::sync::atomic::AtomicBool::new(false)));
    let first = {
        let out = out.clone();
        let project = f.ws.project();
        std::thread::Builder::new()
            .name("first-export".into())
            .spawn(move || {
                let store = Store::open(&project).expect("store");
                let mut progress = Progress::new(sink, CancelToken::new());
                verdict::export::run(
                    &store,
                    &verdict::export::ExportOptions::new(verdict::export::Target::Trl, &out),
                    &mut progress,
                )
            })
            .expect("spawns")
    };
    barrier.wait(); // the first export is inside its pass
    let o =
        verdict(&["export", f.ws.project().to_str().expect("utf8"), "--out", out.to_str().expect("utf8"), "--force"]);
    assert!(!o.status.success());
    assert!(common::stderr(&o).contains("another export is writing"), "{}", common::stderr(&o));
    barrier.wait();
    first.join().expect("joins").expect("the first export completes");
    assert!(out.join("manifest.json").is_file());
    drop(store);
}

#[test]
fn the_preview_is_the_first_rows_as_written_and_the_counts_of_the_export() {
    use verdict::export::{ExportOptions, Target};
    use verdict::jobs::Progress;
    let f = fixture(true);
    let store = Store::open(&f.ws.project()).expect("store");
    for target in [Target::Trl, Target::LlamaFactory, Target::Swift, Target::Verdict, Target::Original] {
        let out = f.ws.path(&format!("preview-{}", target.as_str()));
        let options = ExportOptions::new(target, &out);
        let preview = verdict::export::preview(&store, &options, 3, &mut Progress::silent()).expect("preview");
        let report = verdict::export::run(&store, &options, &mut Progress::silent()).expect("export");
        assert_eq!(preview.counts, report.counts, "{target}");
        let first = if target == Target::Original { "rlaif.parquet" } else { "train.jsonl" };
        if target == Target::Original {
            // Parquet rows are shown as JSON: the first row's question is the first source row's.
            assert!(preview.rows[0].contains("picture question 0"), "{}", preview.rows[0]);
            continue;
        }
        let written: Vec<String> =
            std::fs::read_to_string(out.join(first)).expect("data").lines().take(3).map(str::to_owned).collect();
        assert_eq!(preview.rows, written, "{target}: the preview shows the rows as written");
    }
}

#[test]
fn a_bad_filter_says_what_is_wrong_once_and_writes_nothing() {
    let f = fixture(false);
    let out = f.ws.path("never");
    let o = verdict(&[
        "export",
        f.ws.project().to_str().expect("utf8"),
        "--out",
        out.to_str().expect("utf8"),
        "--where",
        "len_chosen>>5",
    ]);
    assert!(!o.status.success());
    let err = common::stderr(&o);
    assert!(err.contains("--where") && err.contains("len_chosen"), "{err}");
    assert_eq!(err.matches("needs a whole number").count(), 1, "said once: {err}");
    assert!(!out.exists(), "no folder for an export that never started");
}
