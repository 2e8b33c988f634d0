//! The side full-text indexer (`store/fts_side.rs`): an index built half in the project and half
//! in a side database, then grafted, must answer every query exactly as an index built in one
//! place, keep answering after deletes and later writes (which merge segments), and pass FTS5's
//! own integrity check. An import interrupted before the graft gets its missing text indexed.

use rusqlite::Connection;
use std::path::Path;
use verdict::model::{DatasetId, ResponseDraft};
use verdict::store::{FtsWrite, ImportBatch, NewDataset, PreparedSample, Store, side_path};

const WORDS: &[&str] = &[
    "apple", "river", "stone", "cloud", "green", "seven", "quiet", "laser", "marble", "north", "tiger", "violin",
    "ember", "frost", "harbor", "island", "jungle", "kettle", "lemon", "meadow", "café", "naïve", "zebra", "yarn",
    "wolf",
];

/// Deterministic text: a small LCG picks words, with a skew so some words are common.
struct Text(u64);

impl Text {
    fn words(&mut self, n: usize) -> String {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let r = (self.0 >> 33) as usize;
            let i = if r.is_multiple_of(3) { r % 5 } else { r % WORDS.len() };
            out.push(WORDS[i]);
        }
        out.join(" ")
    }
}

fn sample(row: u64, text: &mut Text) -> PreparedSample {
    let resp = |t: String| ResponseDraft { text: Some(t), model: None, field: "r".into(), meta: None };
    let responses = if row.is_multiple_of(11) {
        Vec::new() // a sample with no response text at all
    } else {
        vec![resp(text.words(12)), resp(text.words(7 + (row % 5) as usize))]
    };
    PreparedSample {
        row_index: row,
        sub_index: 0,
        source_key: Some(format!("k{row}")),
        prompt: text.words(3 + (row % 4) as usize),
        context: Vec::new(),
        modality: "text".into(),
        extras: None,
        extra_blobs: Vec::new(),
        responses,
        media: Vec::new(),
        judgments: Vec::new(),
        curation: None,
    }
}

fn begin(store: &mut Store, name: &str) -> DatasetId {
    store
        .begin_import(&NewDataset {
            name: name.into(),
            source_path: format!("/data/{name}.jsonl"),
            content_hash: name.into(),
            source_size: None,
            format: "jsonl".into(),
            preset: "test".into(),
            options_key: "o".into(),
            media_root: None,
            mapping: None,
            columns: Vec::new(),
        })
        .expect("begin")
        .0
}

const BATCH: u64 = 50;

/// Writes `rows` samples in batches; `defer(batch number)` says which go to the side indexer.
fn write(store: &mut Store, dataset: DatasetId, rows: std::ops::Range<u64>, defer: impl Fn(u64) -> bool) {
    let side = store.start_side_indexer().expect("side indexer starts");
    let mut text = Text(rows.start);
    let mut row = rows.start;
    let mut n = 0;
    while row < rows.end {
        let end = (row + BATCH).min(rows.end);
        let samples = (row..end).map(|r| sample(r, &mut text)).collect();
        let batch = ImportBatch { samples, issues: Vec::new(), rows_done: end };
        let fts = if defer(n) { FtsWrite::Defer } else { FtsWrite::Inline };
        let written = store.write_import_batch(dataset, &batch, fts).expect("writes");
        assert_eq!(written.inserted, end - row);
        assert_eq!(written.deferred.len(), if fts == FtsWrite::Defer { (end - row) as usize } else { 0 });
        if !written.deferred.is_empty() {
            side.give(written.deferred).expect("side indexer takes the batch");
        }
        row = end;
        n += 1;
    }
    let path = side.finish().expect("side index built");
    store.graft_side_index(&path).expect("grafts");
    assert!(!path.exists(), "the scratch file is removed after the graft");
}

fn project(dir: &Path, name: &str) -> Store {
    Store::open(&dir.join(name)).expect("project")
}

fn matches(conn: &Connection, query: &str) -> Vec<i64> {
    let mut stmt = conn.prepare("SELECT rowid FROM sample_fts WHERE sample_fts MATCH ?1 ORDER BY rowid").expect("sql");
    stmt.query_map([query], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows")
}

/// (rowid, bm25 rounded) by rank: bm25 reads the averages record and every row's size.
fn ranked(conn: &Connection, query: &str) -> Vec<(i64, i64)> {
    let mut stmt = conn
        .prepare("SELECT rowid, bm25(sample_fts) FROM sample_fts WHERE sample_fts MATCH ?1 ORDER BY rank, rowid")
        .expect("sql");
    stmt.query_map([query], |r| Ok((r.get(0)?, (r.get::<_, f64>(1)? * 1e6).round() as i64)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn queries() -> Vec<String> {
    let mut q: Vec<String> = WORDS.iter().map(|w| format!("\"{w}\"")).collect();
    q.extend(WORDS.windows(2).map(|w| format!("\"{} {}\"", w[0], w[1])));
    q.extend(WORDS.iter().map(|w| format!("prompt : \"{w}\"")));
    q.extend(["\"apple\" NOT \"river\"".into(), "\"cafe\"".into(), "\"naive\" \"stone\"".into(), "tig*".into()]);
    q
}

fn assert_same_answers(expected: &Store, got: &Store) {
    let mut nonempty = 0;
    for q in queries() {
        let want = matches(expected.conn(), &q);
        let have = matches(got.conn(), &q);
        if have != want {
            let first = have.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(have.len().min(want.len()));
            panic!("query {q}: {} rows instead of {}, first difference at position {first}", have.len(), want.len());
        }
        nonempty += usize::from(!want.is_empty());
    }
    assert!(nonempty > 50, "the queries should find something: {nonempty}");
    for q in ["\"apple\"", "\"violin\"", "\"lemon meadow\""] {
        assert_eq!(ranked(got.conn(), q), ranked(expected.conn(), q), "ranking of {q}");
    }
    let count =
        |s: &Store| -> i64 { s.conn().query_row("SELECT count(*) FROM sample_fts", [], |r| r.get(0)).expect("count") };
    assert_eq!(count(got), count(expected));
}

fn integrity_check(store: &Store) {
    store
        .conn()
        .execute("INSERT INTO sample_fts(sample_fts, rank) VALUES ('integrity-check', 0)", [])
        .expect("FTS5 integrity check passes");
}

#[test]
fn a_grafted_index_answers_like_one_built_in_place_through_deletes_and_merges() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inline = project(dir.path(), "inline.verdict");
    let mut grafted = project(dir.path(), "grafted.verdict");

    // An earlier dataset indexed in place, then one split between the writer and the side: the
    // side takes 2 of every 3 batches (enough for FTS5 to merge on both sides).
    let d1 = begin(&mut inline, "one");
    let g1 = begin(&mut grafted, "one");
    write(&mut inline, d1, 0..1500, |_| false);
    write(&mut grafted, g1, 0..1500, |_| false);
    let d2 = begin(&mut inline, "two");
    let g2 = begin(&mut grafted, "two");
    inline.begin_bulk().expect("bulk");
    grafted.begin_bulk().expect("bulk");
    write(&mut inline, d2, 1500..4500, |_| false);
    write(&mut grafted, g2, 1500..4500, |n| n % 3 != 0);
    inline.end_bulk().expect("bulk");
    grafted.end_bulk().expect("bulk");
    integrity_check(&grafted);
    assert_same_answers(&inline, &grafted);

    // The store's own connection re-read the grafted structure: more writes through it keep both halves.
    let d3 = begin(&mut inline, "three");
    let g3 = begin(&mut grafted, "three");
    write(&mut inline, d3, 4500..5200, |_| false);
    write(&mut grafted, g3, 4500..5200, |n| n % 2 == 0);
    assert_same_answers(&inline, &grafted);

    // Deletes (contentless_delete tombstones find the right segments), then a full merge.
    for store in [&inline, &grafted] {
        for id in (1..5200).step_by(7) {
            store.conn().execute("DELETE FROM sample_fts WHERE rowid = ?1", [id]).expect("delete");
        }
    }
    assert_same_answers(&inline, &grafted);
    integrity_check(&grafted);
    for store in [&inline, &grafted] {
        store.conn().execute("INSERT INTO sample_fts(sample_fts) VALUES ('optimize')", []).expect("optimize");
    }
    assert_same_answers(&inline, &grafted);
    integrity_check(&grafted);
}

#[test]
fn samples_whose_side_index_was_lost_are_indexed_on_resume() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inline = project(dir.path(), "inline.verdict");
    let mut lost = project(dir.path(), "lost.verdict");
    let d = begin(&mut inline, "one");
    write(&mut inline, d, 0..1000, |_| false);

    let l = begin(&mut lost, "one");
    let side = lost.start_side_indexer().expect("side indexer starts");
    let scratch = side_path(lost.path());
    let mut text = Text(0);
    for (n, start) in (0..1000).step_by(BATCH as usize).enumerate() {
        let samples = (start..start + BATCH).map(|r| sample(r, &mut text)).collect();
        let batch = ImportBatch { samples, issues: Vec::new(), rows_done: start + BATCH };
        let fts = if n % 2 == 0 { FtsWrite::Defer } else { FtsWrite::Inline };
        let written = lost.write_import_batch(l, &batch, fts).expect("writes");
        if !written.deferred.is_empty() {
            side.give(written.deferred).expect("gives");
        }
    }
    // The process dies before the graft: nothing of the side index reaches the project.
    drop(side);
    assert!(!scratch.exists());
    let missing: i64 = lost
        .conn()
        .query_row("SELECT count(*) FROM samples WHERE id NOT IN (SELECT id FROM sample_fts_docsize)", [], |r| r.get(0))
        .expect("count");
    assert_eq!(missing, 500);
    assert_eq!(lost.index_missing(l).expect("indexes"), 500);
    assert_eq!(lost.index_missing(l).expect("nothing left"), 0);
    assert_same_answers(&inline, &lost);
    integrity_check(&lost);
}
