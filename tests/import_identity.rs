//! A dataset is known by its file's content hash. A file whose size matches no dataset of the
//! project is read while it is hashed (it cannot repeat an import); these tests hold that the
//! identity stays exact either way: same bytes anywhere are imported once, other bytes of the
//! same size are a new dataset, and an interrupted import resumes.

mod common;
use common::{Workspace, jpeg, write_rlaif_parquet};
use std::fmt::Write as _;
use std::path::Path;
use verdict::ingest::{ImportOptions, ImportOutcome, IngestError, import_file};
use verdict::jobs::{CancelToken, Progress};
use verdict::store::{DatasetStatus, Store};

fn rows(n: usize, tag: &str) -> String {
    let mut body = String::new();
    for i in 0..n {
        let _ = writeln!(body, r#"{{"id": "{tag}{i}", "prompt": "p{i}", "chosen": "c{i}", "rejected": "r{i}"}}"#);
    }
    body
}

fn import(store: &mut Store, file: &Path) -> verdict::ingest::ImportSummary {
    import_file(store, file, &ImportOptions::default(), &mut Progress::silent()).expect("imports")
}

/// An RLAIF-V Parquet of `n` rows, each with its own embedded JPEG; returns the file and the images.
fn embedded_parquet(ws: &Workspace, n: u8) -> (std::path::PathBuf, Vec<Vec<u8>>) {
    let images: Vec<Vec<u8>> = (0..n).map(|i| jpeg(40, 30, i)).collect();
    let table: Vec<(&str, &str, &str, Option<Vec<u8>>)> =
        images.iter().map(|img| ("What is shown?", "A cat.", "A dog.", Some(img.clone()))).collect();
    let file = ws.path("pairs.parquet");
    write_rlaif_parquet(&file, &table, 2);
    (file, images)
}

fn stored_identity(store: &Store, dataset: i64) -> (String, Option<i64>) {
    store
        .conn()
        .query_row("SELECT content_hash, source_size FROM datasets WHERE id = ?1", [dataset], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("dataset")
}

#[test]
fn a_new_file_is_stored_with_its_hash_and_size_and_its_copy_adds_nothing() {
    let ws = Workspace::new();
    let (file, images) = embedded_parquet(&ws, 6);
    let bytes = std::fs::read(&file).expect("read");
    let mut store = Store::open(&ws.project()).expect("store");

    let first = import(&mut store, &file);
    assert_eq!(first.outcome, ImportOutcome::Imported);
    assert_eq!(first.samples_added, 6);
    assert_eq!(
        stored_identity(&store, first.dataset_id.0),
        (blake3::hash(&bytes).to_hex().to_string(), Some(bytes.len() as i64)),
        "the hash computed beside the import is the file's"
    );
    assert_eq!(store.datasets().expect("datasets")[0].status, DatasetStatus::Complete);
    for img in &images {
        let stored = store.blob(blake3::hash(img).to_hex().as_str()).expect("the image is stored under its hash");
        assert!(stored == *img, "the stored bytes are the image's");
    }

    // The same bytes under another name: the same dataset.
    let copy = ws.write("copy.parquet", &bytes);
    let again = import(&mut store, &copy);
    assert_eq!(again.outcome, ImportOutcome::AlreadyImported);
    assert_eq!(again.dataset_id, first.dataset_id);
    assert_eq!(store.datasets().expect("datasets").len(), 1);
    assert_eq!(store.sample_count().expect("count"), 6);
}

#[test]
fn other_bytes_of_the_same_size_are_another_dataset() {
    let ws = Workspace::new();
    let a = ws.write("a.jsonl", rows(50, "a"));
    let b = ws.write("b.jsonl", rows(50, "b"));
    assert_eq!(std::fs::metadata(&a).expect("a").len(), std::fs::metadata(&b).expect("b").len());
    let mut store = Store::open(&ws.project()).expect("store");

    let first = import(&mut store, &a);
    let second = import(&mut store, &b);
    assert_eq!(second.outcome, ImportOutcome::Imported, "same size, other content");
    assert_ne!(second.dataset_id, first.dataset_id);
    assert_eq!(store.sample_count().expect("count"), 100);
    let keys: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM samples WHERE source_key LIKE 'b%'", [], |r| r.get(0))
        .expect("query");
    assert_eq!(keys, 50);
}

#[test]
fn an_import_cancelled_before_its_file_is_hashed_leaves_nothing_and_runs_again() {
    let ws = Workspace::new();
    let file = ws.write("rows.jsonl", rows(300, "k"));
    let mut store = Store::open(&ws.project()).expect("store");

    let token = CancelToken::new();
    token.cancel();
    let mut progress = Progress::new(std::sync::Arc::new(verdict::jobs::NoProgress), token);
    let err = import_file(&mut store, &file, &ImportOptions::default(), &mut progress).expect_err("cancelled");
    assert!(matches!(err, IngestError::Cancelled), "{err}");
    assert!(store.datasets().expect("datasets").is_empty(), "no dataset without its hash");
    assert_eq!(store.sample_count().expect("count"), 0);

    let s = import(&mut store, &file);
    assert_eq!(s.outcome, ImportOutcome::Imported);
    assert_eq!(s.samples_added, 300);
}

#[test]
fn an_interrupted_import_from_before_sizes_were_kept_still_resumes() {
    let ws = Workspace::new();
    let total = 60_000;
    let file = ws.write("rows.jsonl", rows(total, "k"));
    let mut store = Store::open(&ws.project()).expect("store");
    let first = import(&mut store, &file);
    // As an older build left it: the first 25,000 rows stored, no size recorded.
    store
        .conn()
        .execute_batch(
            "DELETE FROM sample_fts WHERE rowid IN (SELECT id FROM samples WHERE row_index >= 25000);
             DELETE FROM samples WHERE row_index >= 25000;
             UPDATE datasets SET status = 'importing', rows_done = 25000, sample_count = 25000,
                                 source_size = NULL, finished_at = NULL;",
        )
        .expect("rewind");

    let s = import(&mut store, &file);
    assert_eq!(s.dataset_id, first.dataset_id);
    assert_eq!(s.outcome, ImportOutcome::Resumed { from_row: 25_000 }, "hashed first, so it resumes");
    assert_eq!(s.samples_added, (total - 25_000) as u64);
    assert_eq!(store.sample_count().expect("count"), total as u64);
}

#[test]
fn the_same_bytes_from_another_folder_add_nothing_when_every_medium_is_embedded() {
    let ws = Workspace::new();
    let (file, _) = embedded_parquet(&ws, 3);
    let moved = ws.write("downloads/again/pairs.parquet", std::fs::read(&file).expect("read"));
    let mut store = Store::open(&ws.project()).expect("store");

    let first = import(&mut store, &file);
    let again = import(&mut store, &moved);
    assert_eq!(again.outcome, ImportOutcome::AlreadyImported, "the media root never mattered");
    assert_eq!(again.dataset_id, first.dataset_id);
    assert_eq!(store.sample_count().expect("count"), 3);
}

#[test]
fn the_same_bytes_from_another_folder_are_another_dataset_when_media_are_paths() {
    let ws = Workspace::new();
    let json = r#"[{"image": "imgs/a.jpg", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A square."}],
                    "output_1": {"from": "gpt", "value": "A circle."}, "output_2": {"from": "gpt", "value": "A square."}, "preference": 2}]"#;
    ws.write("one/imgs/a.jpg", jpeg(16, 16, 1));
    ws.write("two/imgs/a.jpg", jpeg(20, 12, 2));
    let first_file = ws.write("one/llava_rlhf.json", json);
    let second_file = ws.write("two/llava_rlhf.json", json);
    let mut store = Store::open(&ws.project()).expect("store");

    let first = import(&mut store, &first_file);
    let second = import(&mut store, &second_file);
    assert_eq!(second.outcome, ImportOutcome::Imported, "its image resolves to another file");
    assert_ne!(second.dataset_id, first.dataset_id);
    let widths: Vec<i64> = store
        .conn()
        .prepare("SELECT width FROM media ORDER BY id")
        .and_then(|mut s| s.query_map([], |r| r.get(0)).and_then(Iterator::collect))
        .expect("widths");
    assert_eq!(widths, [16, 20]);
}
