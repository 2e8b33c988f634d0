//! Chinese, Japanese and Korean words are found inside sentences written without spaces: the
//! full-text index has every CJK character as a token (`query::index_text`), on every path that
//! writes it (an import's inline batches, the side indexer, `index_missing`), and a project
//! indexed by an older Verdict is indexed again once, by migration 6. Latin text searches as before.

mod common;
use common::Workspace;
use std::fmt::Write as _;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::{DatasetId, ResponseDraft};
use verdict::query::compile;
use verdict::store::{FtsWrite, ImportBatch, NewDataset, PreparedSample, SortKey, Store};

/// (prompt, chosen, rejected) of each sample, in id order from 1.
const ROWS: &[(&str, &str, &str)] = &[
    ("画一个红色的圆", "这是一个红色的圆形。", "蓝色方块"),
    ("猫が好きですか", "はい、私は猫が大好きです。", "いいえ"),
    ("東京タワーの高さは", "東京タワーは333メートルです。", "わかりません"),
    ("한국어 문장을 번역하세요", "저는 학생입니다", "모르겠어요"),
    ("Describe the iPhone手机 in red", "The new iPhone手机 is red.", "It is a phone."),
    ("a café in Paris", "The naïve cat sat in the café.", "nothing here"),
    ("red circle", "a red circle on white", "a blue square"),
];

fn jsonl() -> String {
    let mut text = String::new();
    for (p, c, r) in ROWS {
        let row = serde_json::json!({"prompt": p, "chosen": c, "rejected": r});
        let _ = writeln!(text, "{row}");
    }
    text
}

fn imported(ws: &Workspace) -> Store {
    let file = ws.write("cjk.jsonl", jsonl());
    let mut store = Store::open(&ws.project()).expect("store");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    store
}

/// The ids a query finds, both ways a query runs: the condition (`IN (SELECT .. MATCH)`) and the
/// full-text index driving the list (`matching_ids`); they must agree.
fn found(store: &Store, q: &str) -> Vec<i64> {
    let c = compile(q).expect(q);
    let listed: Vec<i64> = store.matching_ids(&c, SortKey::Id, false).expect(q).into_iter().map(|id| id.0).collect();
    let counted = store.count_matching(&c).expect(q);
    assert_eq!(counted, listed.len() as u64, "{q}: count and list agree");
    listed
}

fn assert_cjk_search(store: &Store) {
    // A word in the middle of a sentence, in the prompt or a response.
    assert_eq!(found(store, "红色"), [1], "红色 inside 画一个红色的圆");
    assert_eq!(found(store, "\"红色的圆\""), [1]);
    assert_eq!(found(store, "圆形"), [1], "in the chosen response");
    assert_eq!(found(store, "猫"), [2]);
    assert_eq!(found(store, "大好き"), [2], "kana and kanji");
    assert_eq!(found(store, "タワー"), [3], "katakana with the long-vowel mark");
    assert_eq!(found(store, "メートル"), [3]);
    assert_eq!(found(store, "학생"), [4], "Hangul inside a word");
    // Characters that are not consecutive are not the word.
    assert_eq!(found(store, "红圆"), Vec::<i64>::new(), "红 and 圆 are both there, not side by side");
    assert_eq!(found(store, "猫好"), Vec::<i64>::new());
    assert_eq!(found(store, "京東"), Vec::<i64>::new(), "the same characters in the other order");
    // Both characters, anywhere (two terms, ANDed), is another query.
    assert_eq!(found(store, "红 圆"), [1]);
    // Mixed Latin and CJK.
    assert_eq!(found(store, "iPhone手机"), [5]);
    assert_eq!(found(store, "手机"), [5]);
    assert_eq!(found(store, "iphone"), [5], "the Latin word next to CJK is a word of its own");
    assert_eq!(found(store, "iPhone手"), [5]);
    assert_eq!(found(store, "iPhone机"), Vec::<i64>::new());
    // With other terms: the index drives, the rest filters.
    assert_eq!(found(store, "红色 len_prompt<10"), [1]);
    assert_eq!(found(store, "红色 OR 猫"), [1, 2]);
    assert_eq!(found(store, "红色 -圆形"), Vec::<i64>::new());
    // Latin text searches as it did.
    assert_eq!(found(store, "cafe"), [6], "diacritics removed");
    assert_eq!(found(store, "naive cat"), [6]);
    assert_eq!(found(store, "\"red circle\""), [7]);
    assert_eq!(found(store, "red"), [5, 7]);
    assert_eq!(found(store, "\"circle red\""), Vec::<i64>::new());
}

#[test]
fn an_import_finds_cjk_words_inside_sentences() {
    let ws = Workspace::new();
    let store = imported(&ws);
    assert_eq!(store.count_matching(&compile("").expect("all")).expect("count"), ROWS.len() as u64);
    assert_cjk_search(&store);
}

fn sample(row: u64) -> PreparedSample {
    let (p, c, r) = ROWS[row as usize];
    let resp = |t: &str| ResponseDraft { text: Some(t.into()), model: None, field: "r".into(), meta: None };
    PreparedSample {
        row_index: row,
        sub_index: 0,
        source_key: None,
        prompt: p.into(),
        context: Vec::new(),
        modality: "text".into(),
        extras: None,
        extra_blobs: Vec::new(),
        responses: vec![resp(c), resp(r)],
        media: Vec::new(),
        judgments: Vec::new(),
        curation: None,
    }
}

fn begin(store: &mut Store) -> DatasetId {
    store
        .begin_import(&NewDataset {
            name: "cjk".into(),
            source_path: "/data/cjk.jsonl".into(),
            content_hash: "h".into(),
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

/// Each sample in a batch of its own, written inline or handed to the side indexer by `defer`.
fn write(store: &mut Store, defer: impl Fn(u64) -> bool) -> DatasetId {
    let dataset = begin(store);
    let side = store.start_side_indexer().expect("side indexer");
    for row in 0..ROWS.len() as u64 {
        let batch = ImportBatch { samples: vec![sample(row)], issues: Vec::new(), rows_done: row + 1 };
        let fts = if defer(row) { FtsWrite::Defer } else { FtsWrite::Inline };
        let written = store.write_import_batch(dataset, &batch, fts).expect("writes");
        if !written.deferred.is_empty() {
            side.give(written.deferred).expect("side takes it");
        }
    }
    let path = side.finish().expect("side index");
    store.graft_side_index(&path).expect("graft");
    dataset
}

#[test]
fn the_writer_and_the_side_indexer_both_split_cjk_text() {
    let ws = Workspace::new();
    for (name, defer) in [("inline", 0), ("side", 1), ("half", 2)] {
        let mut store = Store::open(&ws.path(&format!("{name}.verdict"))).expect("store");
        write(&mut store, |row| match defer {
            0 => false,
            1 => true,
            _ => row % 2 == 0,
        });
        assert_cjk_search(&store);
    }
}

fn delete_from_index(store: &Store, ids: &[i64]) {
    for id in ids {
        store.conn().execute("DELETE FROM sample_fts WHERE rowid = ?1", [id]).expect("delete");
    }
}

#[test]
fn index_missing_splits_cjk_text_like_the_import() {
    let ws = Workspace::new();
    let mut store = Store::open(&ws.project()).expect("store");
    let dataset = write(&mut store, |_| false);
    // As after a kill before the graft: samples stored, some of their text not indexed.
    delete_from_index(&store, &[1, 2, 3, 5, 6]);
    assert_eq!(found(&store, "红色"), Vec::<i64>::new());
    assert_eq!(store.index_missing(dataset).expect("indexes"), 5);
    assert_cjk_search(&store);
    assert_eq!(store.index_missing(dataset).expect("nothing left"), 0);
}

/// The project as Verdict at schema 5 left it: CJK runs indexed as one token each.
fn as_schema_5(store: &Store) {
    let conn = store.conn();
    for (i, (p, c, r)) in ROWS.iter().enumerate() {
        let id = i as i64 + 1;
        conn.execute("DELETE FROM sample_fts WHERE rowid = ?1", [id]).expect("delete");
        conn.execute(
            "INSERT INTO sample_fts (rowid, prompt, responses) VALUES (?1, ?2, ?3)",
            rusqlite::params![id, p, format!("{c}\n{r}")],
        )
        .expect("old-style row");
    }
    conn.execute_batch(common::BEFORE_MIGRATION_8).expect("before migration 8");
    conn.pragma_update(None, "user_version", 5).expect("schema 5");
}

#[test]
fn an_older_project_is_indexed_again_once_when_opened() {
    let ws = Workspace::new();
    let store = imported(&ws);
    as_schema_5(&store);
    // The old index: a run of CJK characters is one token, a word inside it is not found.
    assert_eq!(found(&store, "红色"), Vec::<i64>::new());
    assert_eq!(found(&store, "iphone"), Vec::<i64>::new(), "iPhone手机 was one token");
    assert_eq!(found(&store, "red"), [5, 7]);
    drop(store);

    assert!(Store::needs_upgrade(&ws.project()));
    let store = Store::open(&ws.project()).expect("migrates");
    assert_eq!(store.schema_version().expect("version"), verdict::store::SCHEMA_VERSION);
    assert_cjk_search(&store);
    store
        .conn()
        .execute("INSERT INTO sample_fts(sample_fts, rank) VALUES ('integrity-check', 0)", [])
        .expect("FTS5 integrity check passes after the reindex");
    let rows: i64 = store.conn().query_row("SELECT count(*) FROM sample_fts_docsize", [], |r| r.get(0)).expect("n");
    assert_eq!(rows, ROWS.len() as i64, "one index row per sample, none doubled");
}

/// Ids the raw index finds for an FTS5 query (no Verdict in between).
fn raw_matches(conn: &rusqlite::Connection, fts_query: &str) -> Vec<i64> {
    let mut stmt = conn.prepare("SELECT rowid FROM sample_fts WHERE sample_fts MATCH ?1 ORDER BY rowid").expect("sql");
    stmt.query_map([fts_query], |r| r.get(0)).expect("query").collect::<Result<_, _>>().expect("rows")
}

#[test]
fn a_failed_migration_leaves_the_project_at_schema_5_with_its_index() {
    let ws = Workspace::new();
    let store = imported(&ws);
    as_schema_5(&store);
    // Migration 6 finds the samples to index again, deletes them from the index, then reads their
    // text ordered by `responses.position`: with that column renamed, it fails after the deletes,
    // and nothing of it may remain (one transaction).
    store.conn().execute_batch("ALTER TABLE responses RENAME COLUMN position TO pos").expect("obstacle");
    drop(store);
    assert!(Store::open(&ws.project()).is_err(), "the migration fails");
    let conn = rusqlite::Connection::open(ws.project()).expect("raw open");
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0)).expect("version");
    assert_eq!(version, 5);
    assert_eq!(raw_matches(&conn, "\"画一个红色的圆\""), [1], "the old index is intact");
    assert_eq!(raw_matches(&conn, "\"红 色\""), Vec::<i64>::new());
    assert_eq!(raw_matches(&conn, "\"这是一个红色的圆形\""), [1], "deleted rows are back");
    let rows: i64 = conn.query_row("SELECT count(*) FROM sample_fts_docsize", [], |r| r.get(0)).expect("n");
    assert_eq!(rows, ROWS.len() as i64);
    conn.execute_batch("ALTER TABLE responses RENAME COLUMN pos TO position").expect("clear the obstacle");
    drop(conn);
    let store = Store::open(&ws.project()).expect("migrates now");
    assert_cjk_search(&store);
    assert_eq!(raw_matches(store.conn(), "\"画一个红色的圆\""), Vec::<i64>::new(), "no old row is left");
}
