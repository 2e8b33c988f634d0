//! Cancelling an import through its progress handle stops it at a batch boundary, leaves a
//! consistent project with everyday settings restored, and the next import resumes.

mod common;
use common::Workspace;
use std::fmt::Write as _;
use std::sync::Arc;
use verdict::ingest::{ImportOptions, ImportOutcome, IngestError, import_file};
use verdict::jobs::{CancelToken, Progress, ProgressSink, ProgressUpdate};
use verdict::store::{DatasetStatus, Store};

/// Cancels the job once it has reported `after` rows of the import phase.
struct CancelAfter {
    token: CancelToken,
    after: u64,
}

impl ProgressSink for CancelAfter {
    fn update(&self, u: &ProgressUpdate) {
        if u.phase == "importing" && u.done >= self.after {
            self.token.cancel();
        }
    }
}

#[test]
fn a_cancelled_import_is_consistent_and_resumes() {
    let ws = Workspace::new();
    let rows = 60_000;
    let mut body = String::new();
    for i in 0..rows {
        let _ = writeln!(body, r#"{{"id": "k{i}", "prompt": "p{i}", "chosen": "c{i}", "rejected": "r{i}"}}"#);
    }
    let file = ws.write("rows.jsonl", body);
    let mut store = Store::open(&ws.project()).expect("store");

    let token = CancelToken::new();
    let sink = Arc::new(CancelAfter { token: token.clone(), after: 1 });
    let mut progress = Progress::new(sink, token);
    let err = import_file(&mut store, &file, &ImportOptions::default(), &mut progress).expect_err("cancelled");
    assert!(matches!(err, IngestError::Cancelled), "{err}");

    let info = &store.datasets().expect("datasets")[0];
    let DatasetStatus::Importing { rows_done } = info.status else { panic!("still importing: {:?}", info.status) };
    assert!(rows_done > 0 && rows_done < rows, "stopped at a batch boundary: {rows_done}");
    assert_eq!(store.sample_count().expect("count"), rows_done);
    let automerge: i64 = store
        .conn()
        .query_row("SELECT v FROM sample_fts_config WHERE k = 'automerge'", [], |r| r.get(0))
        .expect("fts config");
    assert_eq!(automerge, 4, "everyday FTS5 settings are back after a cancel");

    let s = import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("resumes");
    assert_eq!(s.outcome, ImportOutcome::Resumed { from_row: rows_done });
    assert_eq!(s.samples_added, rows - rows_done);
    assert_eq!(store.sample_count().expect("count"), rows);
    let distinct: i64 =
        store.conn().query_row("SELECT count(DISTINCT source_key) FROM samples", [], |r| r.get(0)).expect("query");
    assert_eq!(distinct, rows as i64);
}

#[test]
fn an_import_next_to_a_reader_keeps_the_wal_and_ends_in_wal_mode() {
    let ws = Workspace::new();
    let mut body = String::new();
    for i in 0..5_000 {
        let _ = writeln!(body, r#"{{"id": "k{i}", "prompt": "p{i}", "chosen": "c{i}", "rejected": "r{i}"}}"#);
    }
    let file = ws.write("rows.jsonl", body);
    let mut store = Store::open(&ws.project()).expect("store");
    // Another connection (the app, say) has the project open and reads during the import.
    let reader = rusqlite::Connection::open(ws.project()).expect("reader");
    let before: i64 = reader.query_row("SELECT count(*) FROM samples", [], |r| r.get(0)).expect("reads");
    assert_eq!(before, 0);
    let s = import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    assert_eq!(s.samples_added, 5_000);
    let seen: i64 = reader.query_row("SELECT count(*) FROM samples", [], |r| r.get(0)).expect("reads");
    assert_eq!(seen, 5_000);
    drop(reader);

    // Alone, the import switches to a rollback journal and back.
    let more = ws.write("more.jsonl", r#"{"prompt": "q", "chosen": "a", "rejected": "b"}"#);
    import_file(&mut store, &more, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    let mode: String = store.conn().pragma_query_value(None, "journal_mode", |r| r.get(0)).expect("pragma");
    assert_eq!(mode, "wal");
    let sync: i64 = store.conn().pragma_query_value(None, "synchronous", |r| r.get(0)).expect("pragma");
    assert_eq!(sync, 1, "synchronous is NORMAL again");
}
