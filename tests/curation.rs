//! The one write path: every curation change is an operation (one undo step however many samples
//! it touches), durable at once, recorded in an append-only audit log with the state before and
//! after; original judgments are never changed; undo and redo live in the project file (they work
//! after a restart and from another connection) and never silently revert a later change.

mod common;
use common::Workspace;
use std::fmt::Write as _;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::{CancelToken, Progress};
use verdict::model::{JudgmentKind, JudgmentSource, SampleId};
use verdict::store::{Actor, ChangeKinds, CurationAction, Label, RankMove, Store, StoreError};

fn project_with(ws: &Workspace, rows: usize) -> Store {
    let mut text = String::new();
    for i in 0..rows {
        let _ = writeln!(text, "{{\"prompt\": \"p{i}\", \"chosen\": \"good {i}\", \"rejected\": \"bad\"}}");
    }
    let file = ws.write("pairs.jsonl", text);
    let mut store = Store::open(&ws.project()).expect("store");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    store
}

fn label(store: &Store, id: i64) -> (JudgmentSource, JudgmentKind, Option<u32>, Option<u32>) {
    let Label { source, kind, chosen, rejected, .. } =
        store.current_label(SampleId(id)).expect("label").expect("has one");
    (source, kind, chosen, rejected)
}

fn ana() -> Actor {
    Actor::new("ana", "test")
}

fn ids(n: i64) -> Vec<SampleId> {
    (1..=n).map(SampleId).collect()
}

#[test]
fn relabel_undo_redo_and_the_original_stays() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 2);
    let s = SampleId(1);
    assert_eq!(label(&store, 1), (JudgmentSource::Original, JudgmentKind::Pairwise, Some(0), Some(1)));

    let swap = store.apply(&ana(), s, &CurationAction::Swap).expect("swap");
    assert_eq!(swap.samples, [s]);
    assert!(swap.kinds.contains(ChangeKinds::LABEL) && !swap.kinds.contains(ChangeKinds::FLAG));
    assert_eq!(label(&store, 1), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    store.apply(&ana(), s, &CurationAction::Tie).expect("tie");
    assert_eq!(label(&store, 1).1, JudgmentKind::Tie);

    // Undo the tie, then the swap: back to the original.
    store.undo(&ana(), None).expect("undo tie");
    assert_eq!(label(&store, 1), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    let curated_now = |store: &Store| store.overview(10).expect("overview").curated;
    assert_eq!(curated_now(&store), 1, "the statistics count the relabeled sample");
    store.undo(&ana(), None).expect("undo swap");
    assert_eq!(label(&store, 1), (JudgmentSource::Original, JudgmentKind::Pairwise, Some(0), Some(1)));
    assert_eq!(curated_now(&store), 0, "an undone action no longer counts as touched by a curator");
    let by_dataset = store.overview(10).expect("overview").judgments_by_dataset;
    assert!(by_dataset.iter().all(|(_, l, _)| l == "A>B"), "{by_dataset:?}");
    // Nothing more to undo.
    assert!(matches!(store.undo(&ana(), None), Err(StoreError::Refused(_))));
    // Redo the swap, then the tie.
    store.redo(&ana(), None).expect("redo swap");
    assert_eq!(label(&store, 1).2, Some(1));
    let by_dataset = store.overview(10).expect("overview").judgments_by_dataset;
    assert!(
        by_dataset.iter().any(|(_, l, n)| l == "B>A" && *n == 1),
        "the statistics follow the label now: {by_dataset:?}"
    );
    store.redo(&ana(), None).expect("redo tie");
    assert_eq!(label(&store, 1).1, JudgmentKind::Tie);
    assert!(matches!(store.redo(&ana(), None), Err(StoreError::Refused(_))));

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
    assert_eq!(actions, ["swap", "tie", "undo", "undo", "redo", "redo"]);
    assert!(log.iter().all(|e| e.curator == "ana" && !e.at.is_empty() && e.op.is_some()));
    assert_eq!(log[1].before, log[0].after, "each entry's before is the previous entry's after");
}

#[test]
fn a_new_edit_ends_the_redo() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 2);
    store.apply(&ana(), SampleId(1), &CurationAction::Swap).expect("swap");
    store.undo(&ana(), None).expect("undo");
    store.apply(&ana(), SampleId(2), &CurationAction::Flag("x".into())).expect("flag");
    let e = store.redo(&ana(), None).expect_err("no redo after a new edit");
    assert!(e.to_string().contains("nothing to redo"), "{e}");
    assert_eq!(label(&store, 1).0, JudgmentSource::Original);
}

#[test]
fn flags_notes_exclusions_and_picks_are_durable_the_moment_they_are_made() {
    let ws = Workspace::new();
    {
        let mut store = project_with(&ws, 2);
        let bo = Actor::new("bo", "test");
        store.apply(&bo, SampleId(2), &CurationAction::Pick(1)).expect("pick");
        store.apply(&bo, SampleId(2), &CurationAction::Flag("hallucination".into())).expect("flag");
        store.apply(&bo, SampleId(2), &CurationAction::Note("  check the image  ".into())).expect("note");
        store.apply(&bo, SampleId(1), &CurationAction::BothBad).expect("both bad");
        store.apply(&bo, SampleId(1), &CurationAction::Exclude("duplicate".into())).expect("exclude");
        // Dropped without any explicit save.
    }
    let store = Store::open(&ws.project()).expect("reopens");
    let state = store.curation_state(SampleId(2)).expect("state");
    assert_eq!(state.flag.as_deref(), Some("hallucination"));
    assert_eq!(state.note.as_deref(), Some("check the image"));
    assert_eq!(label(&store, 2), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(label(&store, 1).1, JudgmentKind::BothBad);
    assert_eq!(store.curation_state(SampleId(1)).expect("state").excluded.as_deref(), Some("duplicate"));
    let author: String = store
        .conn()
        .query_row("SELECT author FROM judgments WHERE source = 'curator' AND sample_id = 2", [], |r| r.get(0))
        .expect("curator judgment");
    assert_eq!(author, "bo");
}

#[test]
fn undo_works_after_the_project_is_closed_and_opened_again() {
    let ws = Workspace::new();
    {
        let mut store = project_with(&ws, 3);
        store.apply(&ana(), SampleId(2), &CurationAction::Swap).expect("swap");
    }
    let mut store = Store::open(&ws.project()).expect("reopens");
    let (undo, redo) = store.undo_redo_targets("ana").expect("targets");
    assert_eq!((undo.map(|o| o.action), redo), (Some("swap".into()), None));
    let undone = store.undo(&ana(), None).expect("undo after restart");
    assert_eq!(undone.changes.samples, [SampleId(2)]);
    assert_eq!(label(&store, 2).0, JudgmentSource::Original);
    drop(store);
    let mut store = Store::open(&ws.project()).expect("reopens");
    store.redo(&ana(), None).expect("redo after restart");
    assert_eq!(label(&store, 2).2, Some(1));
}

#[test]
fn one_bulk_action_is_one_undo_step_and_skips_what_it_cannot_do() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 50);
    store.apply(&ana(), SampleId(3), &CurationAction::Exclude("off-topic".into())).expect("one exclusion");
    let done = store
        .curate(
            &ana(),
            &ids(50),
            &CurationAction::Exclude("duplicate".into()),
            Some("dataset:pairs"),
            &mut Progress::silent(),
        )
        .expect("bulk");
    assert_eq!(done.changes.samples.len(), 50, "sample 3 changes reason");
    let count = |store: &Store, q: &str| store.count_matching(&verdict::query::compile(q).expect(q)).expect(q);
    assert_eq!(count(&store, "is:excluded"), 50);
    assert_eq!(count(&store, "excluded:duplicate"), 50);
    // Already so: nothing changes, nothing recorded.
    let again = store
        .curate(&ana(), &ids(10), &CurationAction::Exclude("duplicate".into()), None, &mut Progress::silent())
        .expect("again");
    assert_eq!((again.changes.op, again.skipped_count()), (None, 10));
    let history = store.history(10).expect("history");
    assert_eq!(history.len(), 2);
    assert!(
        history[0].summary.contains("exclude (duplicate): 50 samples") && history[0].summary.contains("dataset:pairs")
    );

    // One undo restores all fifty, each to what it was (sample 3: off-topic).
    let undone = store.undo(&ana(), None).expect("undo");
    assert_eq!(undone.changes.samples.len(), 50);
    assert_eq!(count(&store, "is:excluded"), 1);
    assert_eq!(count(&store, "excluded:off-topic"), 1);

    // Set-based actions write with SQLite's foreign-key checks off and check their samples
    // themselves: an id that names no sample is skipped and named, nothing orphaned is written,
    // and the checks are on again afterwards.
    let flagged = store
        .curate(
            &ana(),
            &[SampleId(4), SampleId(999)],
            &CurationAction::Flag("look".into()),
            None,
            &mut Progress::silent(),
        )
        .expect("flag");
    assert_eq!(flagged.changes.samples, [SampleId(4)]);
    assert_eq!(flagged.skipped.len(), 1);
    assert_eq!(
        (flagged.skipped[0].reason.as_str(), flagged.skipped[0].examples.clone()),
        ("there is no such sample", vec![SampleId(999)])
    );
    let orphans: i64 = store
        .conn()
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .expect("foreign key check");
    assert_eq!(orphans, 0, "no row names a missing sample");
    let on: i64 = store.conn().pragma_query_value(None, "foreign_keys", |r| r.get(0)).expect("pragma");
    assert_eq!(on, 1, "foreign keys are on again");
    store.undo(&ana(), None).expect("undo the flag");

    // Swap skips samples with nothing to swap (a tie) and names why.
    store.apply(&ana(), SampleId(7), &CurationAction::Tie).expect("tie");
    let swapped = store.curate(&ana(), &ids(8), &CurationAction::Swap, None, &mut Progress::silent()).expect("swap");
    assert_eq!(swapped.changes.samples.len(), 7);
    assert_eq!(swapped.skipped.len(), 1);
    assert_eq!((swapped.skipped[0].count, swapped.skipped[0].examples.clone()), (1, vec![SampleId(7)]));
    assert!(swapped.skipped[0].reason.contains("no preference to swap"), "{:?}", swapped.skipped);
    // A single action on that sample says why it is not done.
    let e = store.apply(&ana(), SampleId(7), &CurationAction::Swap).expect_err("nothing to swap");
    assert!(e.to_string().contains("sample 7") && e.to_string().contains("no preference"), "{e}");
}

#[test]
fn a_cancelled_bulk_action_changes_nothing() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 3000);
    let cancel = CancelToken::new();
    cancel.cancel();
    let mut progress = Progress::new(std::sync::Arc::new(verdict::jobs::NoProgress), cancel);
    let e = store
        .curate(&ana(), &ids(3000), &CurationAction::Flag("x".into()), None, &mut progress)
        .expect_err("cancelled");
    assert!(matches!(e, StoreError::Cancelled), "{e}");
    assert_eq!(store.count_matching(&verdict::query::compile("is:flagged").expect("q")).expect("count"), 0);
    assert!(store.history(5).expect("history").is_empty());
}

#[test]
fn undo_leaves_a_sample_another_connection_changed_later_and_says_so() {
    let ws = Workspace::new();
    let mut first = project_with(&ws, 4);
    let mut second = Store::open(&ws.project()).expect("second connection");
    let bo = Actor::new("bo", "test");

    // ana flags 1-3 in one operation; bo, elsewhere, then unflags 2 and notes 3.
    first.curate(&ana(), &ids(3), &CurationAction::Flag("blurry".into()), None, &mut Progress::silent()).expect("flag");
    second.apply(&bo, SampleId(2), &CurationAction::Unflag).expect("unflag");
    second.apply(&bo, SampleId(3), &CurationAction::Note("fine".into())).expect("note");

    // ana's undo restores sample 1 and leaves 2 and 3, naming bo's changes.
    let undone = first.undo(&ana(), None).expect("undo narrowed");
    assert_eq!(undone.changes.samples, [SampleId(1)]);
    assert_eq!(undone.conflicts_total, 2);
    let named: Vec<(SampleId, String, String)> =
        undone.conflicts.iter().map(|c| (c.sample, c.later_curator.clone(), c.later_action.clone())).collect();
    assert_eq!(named, [(SampleId(2), "bo".into(), "unflag".into()), (SampleId(3), "bo".into(), "note".into())]);
    assert!(
        undone.conflicts[0].to_string().contains("sample 2 was changed later (unflag by bo"),
        "{}",
        undone.conflicts[0]
    );
    assert_eq!(second.curation_state(SampleId(1)).expect("s1").flag, None);
    assert_eq!(second.curation_state(SampleId(3)).expect("s3").flag.as_deref(), Some("blurry"), "left as bo left it");
    assert_eq!(second.curation_state(SampleId(3)).expect("s3").note.as_deref(), Some("fine"));

    // An undo with every sample changed later is refused, naming the sample and the change.
    first.apply(&ana(), SampleId(4), &CurationAction::Swap).expect("swap");
    second.apply(&bo, SampleId(4), &CurationAction::Tie).expect("tie");
    let e = first.undo(&ana(), None).expect_err("refused");
    let text = e.to_string();
    assert!(matches!(e, StoreError::Refused(_)), "{e}");
    assert!(text.contains("sample 4 was changed later (tie by bo"), "{text}");
    assert_eq!(label(&first, 4).1, JudgmentKind::Tie, "bo's tie stays");
    // bo can still undo his own tie, which brings back ana's swap.
    second.undo(&bo, None).expect("bo undoes");
    assert_eq!(label(&first, 4), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
}

#[test]
fn other_curators_operations_are_undone_by_number_only() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 2);
    let changes = store.apply(&Actor::new("cy", "cli"), SampleId(1), &CurationAction::Swap).expect("swap");
    let e = store.undo(&ana(), None).expect_err("nothing of ana's");
    assert!(e.to_string().contains(&format!("#{} (swap by cy)", changes.op.expect("op"))), "{e}");
    store.undo(&ana(), changes.op).expect("undo by number");
    assert_eq!(label(&store, 1).0, JudgmentSource::Original);
    let e = store.undo(&ana(), changes.op).expect_err("twice");
    assert!(e.to_string().contains("already undone"), "{e}");
}

#[test]
fn many_candidates_rank_pick_and_rate() {
    let ws = Workspace::new();
    let file = ws.write("ranked.jsonl", "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}\n");
    let mut store = Store::open(&ws.project()).expect("store");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    // Two more candidates, as a layout with more would give.
    store
        .conn()
        .execute_batch(
            "INSERT INTO responses (sample_id, position, text, field) VALUES (1, 2, 'third', 'c'), (1, 3, 'fourth', 'd');
             UPDATE sample_stats SET n_responses = 4 WHERE sample_id = 1;",
        )
        .expect("candidates");
    let s = SampleId(1);
    // Pick C: it takes the chosen place of the pair in force (A>B becomes C>B).
    store.apply(&ana(), s, &CurationAction::Pick(2)).expect("pick C");
    assert_eq!(label(&store, 1), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(2), Some(1)));
    // Move D to the best place: a ranking from the order in force (C, A, D, B), D first.
    store.apply(&ana(), s, &CurationAction::Move(3, RankMove::Best)).expect("D best");
    let l = store.current_label(s).expect("label").expect("one");
    assert_eq!(
        (l.kind, l.ranking.clone(), l.chosen, l.rejected),
        (JudgmentKind::Ranking, vec![3, 2, 0, 1], Some(3), Some(1))
    );
    store.apply(&ana(), s, &CurationAction::Move(0, RankMove::Up)).expect("A up");
    assert_eq!(store.current_label(s).expect("l").expect("one").ranking, [3, 0, 2, 1]);
    store.apply(&ana(), s, &CurationAction::Swap).expect("reverse");
    assert_eq!(store.current_label(s).expect("l").expect("one").ranking, [1, 2, 0, 3]);
    // A ranking naming a candidate twice or one that does not exist is refused.
    assert!(store.apply(&ana(), s, &CurationAction::Rank(vec![0, 0, 1])).is_err());
    assert!(store.apply(&ana(), s, &CurationAction::Rank(vec![0, 9])).is_err());
    store.apply(&ana(), s, &CurationAction::Rank(vec![2, 3, 1, 0])).expect("rank");
    // A rating correction: a curator ratings judgment holding every rating.
    store
        .apply(&ana(), s, &CurationAction::Rate { response: Some(1), aspect: "Helpfulness".into(), value: 4.0 })
        .expect("rate");
    store
        .apply(&ana(), s, &CurationAction::Rate { response: Some(0), aspect: "Helpfulness".into(), value: 2.5 })
        .expect("rate again");
    let l = store.current_label(s).expect("l").expect("one");
    assert_eq!(l.kind, JudgmentKind::Ratings);
    let ratings: Vec<(i64, String, f64, String)> = store
        .conn()
        .prepare("SELECT response_pos, aspect, value, raw FROM ratings WHERE judgment_id = ?1 ORDER BY response_pos")
        .expect("stmt")
        .query_map([l.judgment_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ratings");
    assert_eq!(ratings, [(0, "Helpfulness".into(), 2.5, "2.5".into()), (1, "Helpfulness".into(), 4.0, "4".into())]);
    // Every step is undoable, back to the original.
    for _ in 0..7 {
        store.undo(&ana(), None).expect("undo");
    }
    assert_eq!(label(&store, 1).0, JudgmentSource::Original);
}

#[test]
fn the_audit_log_and_curator_judgments_cannot_be_rewritten() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 2);
    store.apply(&ana(), SampleId(1), &CurationAction::Pick(1)).expect("pick");
    let e = store.conn().execute("UPDATE audit_log SET curator = 'mallory'", []).expect_err("append-only");
    assert!(e.to_string().contains("append-only"), "{e}");
    let e =
        store.conn().execute("UPDATE judgments SET chosen = 0 WHERE source = 'curator'", []).expect_err("immutable");
    assert!(e.to_string().contains("never modified"), "{e}");
    assert!(store.apply(&ana(), SampleId(99), &CurationAction::Pick(0)).is_err());
    assert!(store.apply(&ana(), SampleId(1), &CurationAction::Pick(5)).is_err(), "no candidate F");
}

#[test]
fn curation_is_searchable_by_the_label_in_force() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 2);
    store.apply(&ana(), SampleId(1), &CurationAction::Flag("wrong label".into())).expect("flag");
    store.apply(&ana(), SampleId(2), &CurationAction::Pick(1)).expect("pick");
    let count = |store: &Store, q: &str| store.count_matching(&verdict::query::compile(q).expect(q)).expect(q);
    assert_eq!(count(&store, "is:flagged"), 1);
    assert_eq!(count(&store, "flag:\"wrong label\""), 1);
    assert_eq!(count(&store, "is:edited"), 1);
    assert_eq!(count(&store, "-is:edited"), 1);
    assert_eq!(count(&store, "is:flagged is:edited"), 0);
    // Sample 2's chosen is now "bad" (3 characters), shorter than "good 1".
    assert_eq!(count(&store, "longer:chosen"), 1, "sample 1 only, by the label in force");
    assert_eq!(count(&store, "original_longer:chosen"), 2);
    assert_eq!(count(&store, "len_chosen=3"), 1);
    assert_eq!(count(&store, "original_len_chosen=3"), 0);
    store.apply(&ana(), SampleId(1), &CurationAction::Tie).expect("tie");
    assert_eq!(count(&store, "judgment:tie"), 1);
    assert_eq!(count(&store, "original_judgment:tie"), 0);
    assert_eq!(count(&store, "current:tie"), 1);
    assert!(verdict::query::compile("is:lost").is_err());
}

fn op_state(store: &Store, op: verdict::model::OpId) -> String {
    store.conn().query_row("SELECT state FROM ops WHERE id = ?1", [op.0], |r| r.get(0)).expect("op")
}

#[test]
fn an_undo_nothing_of_which_can_be_restored_is_passed_over_and_can_be_tried_again_by_number() {
    let ws = Workspace::new();
    let mut alice = project_with(&ws, 4);
    let mut bob_conn = Store::open(&ws.project()).expect("bob's connection");
    let (al, bob) = (Actor::new("alice", "test"), Actor::new("bob", "test"));

    // Alice flags sample 1, then picks B on sample 2; Bob ties sample 2.
    let flag = alice.apply(&al, SampleId(1), &CurationAction::Flag("blurry".into())).expect("flag").op.expect("op");
    let pick = alice.apply(&al, SampleId(2), &CurationAction::Pick(1)).expect("pick").op.expect("op");
    let tie = bob_conn.apply(&bob, SampleId(2), &CurationAction::Tie).expect("tie").op.expect("op");

    // Her undo is refused, naming Bob's change; the pick is marked and Bob's tie stays.
    let e = alice.undo(&al, None).expect_err("refused");
    assert!(matches!(e, StoreError::Refused(_)), "{e}");
    let text = e.to_string();
    assert!(text.contains(&format!("cannot undo operation #{pick} (pick b)")), "{text}");
    assert!(text.contains("sample 2 was changed later (tie by bob"), "{text}");
    assert!(text.contains(&format!("operation #{tie})")), "{text}");
    assert!(text.contains("passed over"), "{text}");
    assert_eq!(op_state(&alice, pick), "blocked");
    assert_eq!(label(&alice, 2).1, JudgmentKind::Tie, "Bob's tie stays");
    let ops_now = || alice_ops(&ws);
    let ops_after_refusal = ops_now();
    assert_eq!(ops_after_refusal, 3, "the refusal is not an operation of its own");
    let history = alice.history(10).expect("history");
    let line = history.iter().find(|h| h.op.id == pick).expect("the pick");
    assert_eq!(line.op.state, "blocked");
    assert!(
        line.summary.ends_with(&format!("[cannot be undone: changed later by bob (tie, operation #{tie})]")),
        "{}",
        line.summary
    );

    // What Undo offers next is the flag before it, and the next undo takes it.
    let (next, _) = alice.undo_redo_targets("alice").expect("targets");
    assert_eq!(next.map(|o| o.id), Some(flag));
    let undone = alice.undo(&al, None).expect("the flag is undone");
    assert_eq!(undone.target.id, flag);
    assert_eq!(undone.describe(false), "Undid flag (blurry) on sample 1");
    assert_eq!(alice.curation_state(SampleId(1)).expect("s1").flag, None);

    // A new edit and its undo do not bring the refusal back.
    alice.apply(&al, SampleId(3), &CurationAction::Swap).expect("swap");
    alice.undo(&al, None).expect("the swap is undone");
    let e = alice.undo(&al, None).expect_err("nothing left");
    assert!(e.to_string().contains("nothing to undo by alice"), "{e}");
    assert!(e.to_string().contains(&format!("#{pick} (pick b) cannot be undone, changed later by bob (tie")), "{e}");
    assert_eq!(alice.undo_redo_targets("alice").expect("targets").0, None);

    // By number it is tried again: refused while Bob's tie stands, done once he undoes it.
    let before = ops_now();
    let e = alice.undo(&al, Some(pick)).expect_err("still changed later");
    assert!(e.to_string().contains("tie by bob"), "{e}");
    assert_eq!((op_state(&alice, pick), ops_now()), ("blocked".to_owned(), before));
    bob_conn.undo(&bob, None).expect("Bob undoes his tie");
    assert_eq!(label(&alice, 2), (JudgmentSource::Curator, JudgmentKind::Pairwise, Some(1), Some(0)));
    let undone = alice.undo(&al, Some(pick)).expect("now it can be undone");
    assert_eq!(undone.describe(false), "Undid pick B on sample 2");
    assert_eq!(op_state(&alice, pick), "undone");
    assert_eq!(label(&alice, 2).0, JudgmentSource::Original);
    let line = alice.history(20).expect("history").into_iter().find(|h| h.op.id == pick).expect("the pick");
    assert!(line.op.detail.get("blocked").is_none(), "{:?}", line.op.detail);
    assert!(line.summary.ends_with("[undone]"), "{}", line.summary);
    // And it is redone like any undone edit.
    let redone = alice.redo(&al, None).expect("redo");
    assert_eq!((redone.target.id, redone.describe(true)), (pick, "Redid pick B on sample 2".to_owned()));
}

fn alice_ops(ws: &Workspace) -> i64 {
    let conn = rusqlite::Connection::open(ws.project()).expect("opens");
    conn.query_row("SELECT count(*) FROM ops", [], |r| r.get(0)).expect("count")
}

#[test]
fn an_undo_that_restores_some_samples_names_the_others_and_is_undone() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 3);
    let bo = Actor::new("bo", "test");
    store
        .curate(&ana(), &ids(3), &CurationAction::Exclude("duplicate".into()), None, &mut Progress::silent())
        .expect("x");
    let op = store.history(1).expect("history")[0].op.id;
    store.apply(&bo, SampleId(3), &CurationAction::Include).expect("bo includes 3");
    let undone = store.undo(&ana(), None).expect("in part");
    assert_eq!(op_state(&store, op), "undone", "partly restored: undone, and redo brings back what it restored");
    let text = undone.describe(false);
    assert!(
        text.starts_with(
            "Undid exclude (duplicate) on samples 1 and 2; left as it is: sample 3 was changed later (include by bo"
        ),
        "{text}"
    );
}

#[test]
fn a_reason_is_stored_in_one_spelling_however_it_is_typed() {
    let ws = Workspace::new();
    let mut store = project_with(&ws, 4);
    store.apply(&ana(), SampleId(1), &CurationAction::Flag("wrong_label".into())).expect("flag");
    store.apply(&ana(), SampleId(2), &CurationAction::Flag("  Wrong   Label ".into())).expect("flag");
    store.apply(&ana(), SampleId(3), &CurationAction::Flag(" too   short ".into())).expect("flag");
    store
        .curate(&ana(), &ids(2), &CurationAction::Exclude("Off_Topic".into()), None, &mut Progress::silent())
        .expect("x");
    let state = |id| store.curation_state(SampleId(id)).expect("state");
    assert_eq!(state(1).flag.as_deref(), Some("wrong label"));
    assert_eq!(state(2).flag.as_deref(), Some("wrong label"));
    assert_eq!(state(3).flag.as_deref(), Some("too short"), "any reason trimmed, whitespace collapsed");
    assert_eq!(state(1).excluded.as_deref(), Some("off-topic"));
    let history = store.history(10).expect("history");
    assert_eq!(history[0].op.detail["reason"], "off-topic", "the operation records the stored spelling");
    assert_eq!(history[3].op.detail["reason"], "wrong label");
    let n = store.count_matching(&verdict::query::compile("flag:wrong_label").expect("q")).expect("count");
    assert_eq!(n, 2);
}

#[test]
fn migration_7_respells_the_listed_reasons_of_older_projects() {
    let ws = Workspace::new();
    let store = project_with(&ws, 3);
    let conn = store.conn();
    conn.execute_batch(common::BEFORE_MIGRATION_8).expect("before migration 8");
    conn.execute_batch(
        "INSERT INTO curation (sample_id, flag, excluded, updated_at) VALUES
             (1, 'wrong_label', 'Bad_Media', 't'), (2, 'Wrong-Label', NULL, 't'), (3, 'odd  one', 'off topic', 't');
         INSERT INTO audit_log (sample_id, curator, action, before, after, created_at)
             VALUES (1, 'old', 'flag', '{}', '{\"flag\":\"wrong_label\"}', 't');
         PRAGMA user_version = 6;",
    )
    .expect("an older project's rows");
    drop(store);
    let store = Store::open(&ws.project()).expect("migrates");
    assert_eq!(store.schema_version().expect("version"), verdict::store::SCHEMA_VERSION);
    let row = |id: i64| -> (Option<String>, Option<String>) {
        store
            .conn()
            .query_row("SELECT flag, excluded FROM curation WHERE sample_id = ?1", [id], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("row")
    };
    assert_eq!(row(1), (Some("wrong label".into()), Some("bad media".into())));
    assert_eq!(row(2), (Some("wrong label".into()), None));
    assert_eq!(row(3), (Some("odd one".into()), Some("off-topic".into())));
    let logged: String =
        store.conn().query_row("SELECT after FROM audit_log WHERE curator = 'old'", [], |r| r.get(0)).expect("log");
    assert!(logged.contains("wrong_label"), "the audit log keeps what was written: {logged}");
}
