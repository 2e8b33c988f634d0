//! Relabeling through the store: every action is durable at once, recorded in an append-only audit
//! log with the state before and after, never changes the original judgment, and undo/redo restore
//! recorded states.

mod common;
use common::Workspace;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::{JudgmentKind, JudgmentSource, SampleId};
use verdict::store::{CurationAction, CurationState, Label, Store};

fn project_with_pairs(ws: &Workspace) -> Store {
    let file = ws.write(
        "pairs.jsonl",
        "{\"prompt\": \"p0\", \"chosen\": \"good\", \"rejected\": \"bad\"}\n{\"prompt\": \"p1\", \"chosen\": \"x\", \"rejected\": \"y\"}\n",
    );
    let mut store = Store::open(&ws.project()).expect("store");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    store
}

fn label(store: &Store, id: i64) -> (JudgmentSource, JudgmentKind, Option<u32>, Option<u32>) {
    let Label { source, kind, chosen, rejected } = store.current_label(SampleId(id)).expect("label").expect("has one");
    (source, kind, chosen, rejected)
}

#[test]
fn relabel_undo_redo_and_the_original_stays() {
    let ws = Workspace::new();
    let mut store = project_with_pairs(&ws);
    let s = SampleId(1);
    assert_eq!(label(&store, 1), (JudgmentSource::Original, JudgmentKind::Pairwise, Some(0), Some(1)));

    let swap = store.apply(s, "ana", &CurationAction::Swap).expect("swap");
    assert_eq!(label(&store, 1), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(swap.before, CurationState::default());
    let tie = store.apply(s, "ana", &CurationAction::Tie).expect("tie");
    assert_eq!(label(&store, 1).1, JudgmentKind::Tie);

    // Undo the tie, then the swap: back to the original.
    store.restore(s, "ana", &tie.before, false).expect("undo tie");
    assert_eq!(label(&store, 1), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    store.restore(s, "ana", &swap.before, false).expect("undo swap");
    assert_eq!(label(&store, 1), (JudgmentSource::Original, JudgmentKind::Pairwise, Some(0), Some(1)));
    // Redo the swap.
    store.restore(s, "ana", &swap.after, true).expect("redo swap");
    assert_eq!(label(&store, 1).2, Some(1));

    // The original judgment row is untouched and the other sample is not affected.
    let (chosen, rejected): (i64, i64) = store
        .conn()
        .query_row("SELECT chosen, rejected FROM judgments WHERE sample_id = 1 AND source = 'original'", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("original");
    assert_eq!((chosen, rejected), (0, 1));
    assert_eq!(label(&store, 2).0, JudgmentSource::Original);

    let log = store.audit_log(s).expect("log");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["swap", "tie", "undo", "undo", "redo"]);
    assert!(log.iter().all(|e| e.curator == "ana" && !e.at.is_empty()));
    assert_eq!(log[1].before, log[0].after, "each entry's before is the previous entry's after");
}

#[test]
fn flags_notes_and_picks_are_durable_the_moment_they_are_made() {
    let ws = Workspace::new();
    {
        let mut store = project_with_pairs(&ws);
        store.apply(SampleId(2), "bo", &CurationAction::PickB).expect("pick");
        store.apply(SampleId(2), "bo", &CurationAction::Flag("hallucination".into())).expect("flag");
        store.apply(SampleId(2), "bo", &CurationAction::Note("  check the image  ".into())).expect("note");
        store.apply(SampleId(1), "bo", &CurationAction::BothBad).expect("both bad");
        // Dropped without any explicit save.
    }
    let store = Store::open(&ws.project()).expect("reopens");
    let state = store.curation_state(SampleId(2)).expect("state");
    assert_eq!(state.flag.as_deref(), Some("hallucination"));
    assert_eq!(state.note.as_deref(), Some("check the image"));
    assert_eq!(label(&store, 2), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(label(&store, 1).1, JudgmentKind::BothBad);
    let author: String = store
        .conn()
        .query_row("SELECT author FROM judgments WHERE source = 'curator' AND sample_id = 2", [], |r| r.get(0))
        .expect("curator judgment");
    assert_eq!(author, "bo");
}

#[test]
fn the_audit_log_and_curator_judgments_cannot_be_rewritten() {
    let ws = Workspace::new();
    let mut store = project_with_pairs(&ws);
    store.apply(SampleId(1), "cy", &CurationAction::PickB).expect("pick");
    let e = store.conn().execute("UPDATE audit_log SET curator = 'mallory'", []).expect_err("append-only");
    assert!(e.to_string().contains("append-only"), "{e}");
    let e =
        store.conn().execute("UPDATE judgments SET chosen = 0 WHERE source = 'curator'", []).expect_err("immutable");
    assert!(e.to_string().contains("never modified"), "{e}");
    // Restoring a judgment that belongs to another sample is refused.
    let other = CurationState { judgment_id: Some(1), ..CurationState::default() };
    assert!(store.restore(SampleId(2), "cy", &other, false).is_err());
    assert!(store.apply(SampleId(99), "cy", &CurationAction::PickA).is_err());
}

#[test]
fn curation_is_searchable() {
    let ws = Workspace::new();
    let mut store = project_with_pairs(&ws);
    store.apply(SampleId(1), "di", &CurationAction::Flag("ocr error".into())).expect("flag");
    store.apply(SampleId(2), "di", &CurationAction::PickB).expect("pick");
    let count = |q: &str| store.count_matching(&verdict::query::compile(q).expect(q)).expect(q);
    assert_eq!(count("is:flagged"), 1);
    assert_eq!(count("flag:\"ocr error\""), 1);
    assert_eq!(count("is:edited"), 1);
    assert_eq!(count("-is:edited"), 1);
    assert_eq!(count("is:flagged is:edited"), 0);
    assert!(verdict::query::compile("is:lost").is_err());
}
