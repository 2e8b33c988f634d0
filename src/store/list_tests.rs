//! Tests of `sample_stats` (import fill, migration backfill, curation upkeep), the sorted list and
//! the query fields that read it.

use super::*;
use crate::model::{DatasetId, JudgmentDraft, JudgmentKind, ResponseDraft, SampleId};
use crate::query::compile;
use crate::store::{Actor, CurationAction, ImportBatch, NewDataset, PreparedSample, Store};

fn kind_bit(k: JudgmentKind) -> i64 {
    k.bit()
}
use rusqlite::types::Value;

fn resp(text: Option<&str>, model: Option<&str>) -> ResponseDraft {
    ResponseDraft { text: text.map(str::to_owned), model: model.map(str::to_owned), field: "r".into(), meta: None }
}

fn sample(row: u64, prompt: &str, responses: Vec<ResponseDraft>, judgments: Vec<JudgmentDraft>) -> PreparedSample {
    PreparedSample {
        row_index: row,
        sub_index: 0,
        source_key: Some(format!("k{row}")),
        prompt: prompt.into(),
        context: Vec::new(),
        modality: if row.is_multiple_of(2) { "text".into() } else { "image".into() },
        extras: None,
        extra_blobs: Vec::new(),
        responses,
        media: Vec::new(),
        judgments,
        curation: None,
    }
}

fn dataset(store: &mut Store, name: &str, samples: Vec<PreparedSample>) -> DatasetId {
    let (id, _) = store
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
        .expect("begin");
    let rows_done = samples.len() as u64;
    store
        .write_import_batch(id, &ImportBatch { samples, issues: Vec::new(), rows_done }, crate::store::FtsWrite::Inline)
        .expect("writes");
    store.finish_import(id).expect("finish");
    id
}

fn ranking(chosen: u32, rejected: u32) -> JudgmentDraft {
    let mut j = JudgmentDraft::new(JudgmentKind::Ranking, "overall").with_pair(chosen, rejected);
    j.ranking = vec![chosen, 1, rejected];
    j
}

/// Samples 1-11 in dataset `zeta`, 12 in `alpha`: every shape the stats distinguish.
fn project() -> Store {
    let mut store = Store::open_in_memory().expect("store");
    let a = |t, m| resp(Some(t), m);
    dataset(
        &mut store,
        "zeta",
        vec![
            // 1: A chosen, B longer; models known.
            sample(
                0,
                "p one",
                vec![a("short", Some("GPT-4o")), a("much longer", Some("llama-3"))],
                vec![JudgmentDraft::pairwise(0, 1)],
            ),
            // 2: B chosen and longer.
            sample(
                1,
                "p two\nsecond line",
                vec![a("aa", None), a("bbbbbbbb", None)],
                vec![JudgmentDraft::pairwise(1, 0)],
            ),
            // 3: one response, ratings only under another label: no label.
            sample(
                2,
                "p three",
                vec![a("only", Some("gpt-3.5"))],
                vec![JudgmentDraft::new(JudgmentKind::Ratings, "annotations")],
            ),
            // 4: three responses, a ranking with C first; the third model is the only GPT.
            sample(
                3,
                "p four",
                vec![a("first", Some("m-a")), a("second!", Some("m-b")), a("third answer", Some("chatGPT"))],
                vec![ranking(2, 0)],
            ),
            // 5: tie.
            sample(
                4,
                "p five",
                vec![a("x", None), a("yy", None)],
                vec![JudgmentDraft::new(JudgmentKind::Tie, "overall").with_pair(0, 1)],
            ),
            // 6: correction, B (the fix) preferred.
            sample(
                5,
                "p six",
                vec![a("wrong", None), a("fixed it", None)],
                vec![JudgmentDraft::new(JudgmentKind::Correction, "overall").with_pair(1, 0)],
            ),
            // 7: B is media only: no len_b, no len_rejected.
            sample(6, "p seven", vec![a("text", None), resp(None, Some("sd-xl"))], vec![JudgmentDraft::pairwise(0, 1)]),
            // 8: a `safer` pair first, then `overall`: the label is the overall one, the lengths the first pair's.
            sample(
                7,
                "p eight",
                vec![a("safe but long", None), a("unsafe", None)],
                vec![
                    JudgmentDraft::new(JudgmentKind::Pairwise, "safer").with_pair(1, 0),
                    JudgmentDraft::pairwise(0, 1),
                ],
            ),
            // 9: nothing but a prompt.
            sample(8, "p nine", Vec::new(), Vec::new()),
            // 10: characters, not bytes; SQLite's length() stops at a NUL.
            sample(
                9,
                "naïve 日本",
                vec![a("héllo wörld", None), a("ab\0cdef", None)],
                vec![JudgmentDraft::pairwise(0, 1), JudgmentDraft::new(JudgmentKind::BothBad, "other")],
            ),
            // 11: a pair that names a missing response, then one that names stored ones.
            sample(
                10,
                "p eleven",
                vec![a("one", None), a("two two", None)],
                vec![
                    JudgmentDraft::new(JudgmentKind::Pairwise, "overall").with_pair(30, 1),
                    JudgmentDraft::new(JudgmentKind::Pairwise, "other").with_pair(0, 1),
                ],
            ),
        ],
    );
    dataset(
        &mut store,
        "alpha",
        vec![sample(0, "p twelve", vec![a("a", Some("GPT")), a("b", None)], vec![JudgmentDraft::pairwise(1, 0)])],
    );
    store
}

fn stats_rows(store: &Store) -> Vec<Vec<Value>> {
    let mut stmt = store.conn().prepare("SELECT * FROM sample_stats ORDER BY sample_id").expect("prepare");
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect::<rusqlite::Result<Vec<_>>>())
        .and_then(Iterator::collect)
        .expect("rows")
}

type Facts = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>, String, String, i64, Option<String>);

fn facts(store: &Store, id: i64) -> Facts {
    store
        .conn()
        .query_row(
            "SELECT n_responses, len_a, len_b, len_chosen, len_rejected, original, current, judgment_kinds, models
             FROM sample_stats WHERE sample_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )
        .expect("stats row")
}

fn ids(list: &[SampleId]) -> Vec<i64> {
    list.iter().map(|s| s.0).collect()
}

fn matching(store: &Store, q: &str) -> Vec<i64> {
    ids(&store.matching_ids(&compile(q).expect(q), SortKey::Id, false).expect(q))
}

#[test]
fn import_fills_the_stats_row_of_every_sample() {
    let store = project();
    assert_eq!(store.sample_count().expect("count"), 12);
    assert_eq!(stats_rows(&store).len(), 12);
    let bit = kind_bit;
    assert_eq!(
        facts(&store, 1),
        (2, Some(5), Some(11), Some(5), Some(11), "A>B".into(), "A>B".into(), 1, Some("GPT-4o\u{1f}llama-3".into()))
    );
    assert_eq!(facts(&store, 2).3, Some(8));
    assert_eq!(facts(&store, 2).5, "B>A");
    assert_eq!(
        facts(&store, 3),
        (1, Some(4), None, None, None, "ratings".into(), "ratings".into(), 4, Some("gpt-3.5".into()))
    );
    assert_eq!(
        facts(&store, 4),
        (
            3,
            Some(5),
            Some(7),
            Some(12),
            Some(5),
            "ranking".into(),
            "ranking".into(),
            2,
            Some("m-a\u{1f}m-b\u{1f}chatGPT".into())
        )
    );
    assert_eq!(facts(&store, 5).5, "tie");
    assert_eq!(facts(&store, 6).5, "correction");
    assert_eq!((facts(&store, 6).3, facts(&store, 6).4), (Some(8), Some(5)));
    assert_eq!(
        facts(&store, 7),
        (2, Some(4), None, Some(4), None, "A>B".into(), "A>B".into(), 1, Some("sd-xl".into()))
    );
    // The overall label, but lengths from the first pair (as query::side_len always did).
    assert_eq!(facts(&store, 8).5, "A>B");
    assert_eq!((facts(&store, 8).3, facts(&store, 8).4), (Some(6), Some(13)));
    assert_eq!(facts(&store, 9), (0, None, None, None, None, String::new(), String::new(), 0, None));
    assert_eq!(
        facts(&store, 10),
        (
            2,
            Some(11),
            Some(2),
            Some(11),
            Some(2),
            "A>B".into(),
            "A>B".into(),
            bit(JudgmentKind::Pairwise) | bit(JudgmentKind::BothBad),
            None
        )
    );
    let len_prompt: i64 = store
        .conn()
        .query_row("SELECT len_prompt FROM sample_stats WHERE sample_id = 10", [], |r| r.get(0))
        .expect("len");
    assert_eq!(len_prompt, 8);
    // Position 30 is not stored: the next pair names the chosen one; the label stays the overall one.
    assert_eq!(
        (facts(&store, 11).3, facts(&store, 11).4, facts(&store, 11).5.as_str()),
        (Some(3), Some(7), "pairwise")
    );
    // The bits are JudgmentKind::ALL's order, as the migration spells them out.
    let bits: Vec<i64> = JudgmentKind::ALL.iter().map(|k| kind_bit(*k)).collect();
    assert_eq!(bits, [1, 2, 4, 8, 16, 32]);
    assert_eq!(JudgmentKind::ALL[5], JudgmentKind::BothBad);
}

#[test]
fn the_migration_backfills_an_old_project_exactly_as_import_fills_it() {
    let mut store = project();
    store.apply(&Actor::new("ana", "test"), SampleId(1), &CurationAction::Pick(1)).expect("pick");
    store.apply(&Actor::new("ana", "test"), SampleId(2), &CurationAction::Flag("ocr".into())).expect("flag");
    store.apply(&Actor::new("ana", "test"), SampleId(4), &CurationAction::Swap).expect("swap");
    store.apply(&Actor::new("ana", "test"), SampleId(5), &CurationAction::Note("see".into())).expect("note");
    store.apply(&Actor::new("ana", "test"), SampleId(6), &CurationAction::BothBad).expect("both bad");
    store.undo(&Actor::new("ana", "test"), None).expect("undo");
    let filled = stats_rows(&store);
    assert_eq!(facts(&store, 4).6, "ranking", "the swapped ranking");
    assert_eq!(store.current_label(SampleId(4)).expect("label").expect("one").ranking, [0, 1, 2], "reversed");

    // A project of schema 2: no stats table. Opening it with this build migrates it.
    store
        .conn()
        .execute_batch(
            "DROP TABLE sample_stats; ALTER TABLE datasets DROP COLUMN source_size;
             DROP TABLE ops; DROP TABLE op_scratch; ALTER TABLE audit_log DROP COLUMN op_id;
             CREATE INDEX audit_log_time ON audit_log(created_at);
             ALTER TABLE curation DROP COLUMN excluded;
             DROP TABLE file_hashes; DROP TABLE fingerprints; DROP TABLE text_signatures; DROP TABLE dup_members;
             DROP TABLE dup_groups; DROP TABLE contamination; DROP TABLE check_findings; DROP TABLE clean_runs;
             ALTER TABLE datasets DROP COLUMN reference; DROP INDEX media_content; ALTER TABLE media DROP COLUMN content;",
        )
        .expect("drop");
    store.conn().pragma_update(None, "user_version", 2).expect("version");
    store.migrate().expect("migrates");
    assert_eq!(store.schema_version().expect("version"), crate::store::SCHEMA_VERSION);
    assert_eq!(stats_rows(&store), filled);
    assert_eq!(matching(&store, "is:flagged"), [2]);
    assert_eq!(matching(&store, "current:b"), [1, 2, 12]);
}

#[test]
fn curation_and_undo_keep_current_flagged_edited_and_noted() {
    let mut store = project();
    let row = |store: &Store| -> (String, bool, bool, bool) {
        store
            .conn()
            .query_row("SELECT current, flagged, edited, noted FROM sample_stats WHERE sample_id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .expect("row")
    };
    let s = SampleId(1);
    assert_eq!(row(&store), ("A>B".into(), false, false, false));
    let bo = Actor::new("bo", "test");
    store.apply(&bo, s, &CurationAction::Pick(1)).expect("pick");
    assert_eq!(row(&store), ("B>A".into(), false, true, false));
    store.apply(&bo, s, &CurationAction::Flag("x".into())).expect("flag");
    store.apply(&bo, s, &CurationAction::Note("n".into())).expect("note");
    store.apply(&bo, s, &CurationAction::Tie).expect("tie");
    assert_eq!(row(&store), ("tie".into(), true, true, true));
    assert_eq!(matching(&store, "current:tie is:flagged is:noted is:edited"), [1]);
    assert_eq!(matching(&store, "original:a -is:edited"), [7, 8, 10]);

    store.undo(&bo, None).expect("undo tie");
    assert_eq!(row(&store), ("B>A".into(), true, true, true));
    store.undo(&bo, None).expect("undo note");
    store.undo(&bo, None).expect("undo flag");
    assert_eq!(row(&store), ("B>A".into(), false, true, false));
    store.undo(&bo, None).expect("undo pick");
    assert_eq!(row(&store), ("A>B".into(), false, false, false));
    for _ in 0..4 {
        store.redo(&bo, None).expect("redo");
    }
    assert_eq!(row(&store), ("tie".into(), true, true, true));
    let row2 = store.list_rows(&[s]).expect("row");
    assert_eq!((row2[0].flag.as_deref(), row2[0].edited, row2[0].noted), (Some("x"), true, true));
}

/// The conditions the compiler emitted over `samples s` before migration 3.
fn old_condition(field: &str) -> String {
    let side = |side: &str| {
        format!(
            "(SELECT length(r.text) FROM responses r JOIN judgments j ON j.sample_id = r.sample_id
              WHERE r.sample_id = s.id AND j.source = 'original' AND j.kind IN ('pairwise', 'correction', 'ranking')
                AND r.position = j.{side} ORDER BY j.id LIMIT 1)"
        )
    };
    let len_ab =
        |pos: u8| format!("(SELECT length(r.text) FROM responses r WHERE r.sample_id = s.id AND r.position = {pos})");
    match field {
        "len_a" => len_ab(0),
        "len_b" => len_ab(1),
        "len_chosen" => side("chosen"),
        "len_rejected" => side("rejected"),
        "len_prompt" => "length(s.prompt)".into(),
        "responses" => "(SELECT count(*) FROM responses r WHERE r.sample_id = s.id)".into(),
        "longer:chosen" => format!("coalesce({} > {}, 0)", side("chosen"), side("rejected")),
        "longer:rejected" => format!("coalesce({} > {}, 0)", side("rejected"), side("chosen")),
        _ => panic!("{field}"),
    }
}

fn old_ids(store: &Store, condition: &str, params: &[Value]) -> Vec<i64> {
    let sql = format!("SELECT s.id FROM samples s WHERE {condition} ORDER BY s.id");
    let mut stmt = store.conn().prepare(&sql).expect(&sql);
    stmt.query_map(rusqlite::params_from_iter(params), |r| r.get(0)).and_then(Iterator::collect).expect("old")
}

#[test]
fn filters_on_lengths_longer_and_models_match_what_they_matched_before() {
    let store = project();
    for field in ["len_a", "len_b", "len_chosen", "len_rejected", "len_prompt", "responses"] {
        for (op, n) in [(">", 4), (">=", 5), ("<", 6), ("<=", 2), ("=", 5), ("!=", 5), (">", -1)] {
            let old = format!("coalesce({} {op} ?, 0)", old_condition(field));
            let expected = old_ids(&store, &old, &[Value::Integer(n)]);
            assert_eq!(matching(&store, &format!("{field}{op}{n}")), expected, "{field}{op}{n}");
            let negated = old_ids(&store, &format!("NOT {old}"), &[Value::Integer(n)]);
            assert_eq!(matching(&store, &format!("-{field}{op}{n}")), negated, "-{field}{op}{n}");
            assert_eq!(matching(&store, &format!("NOT (modality:text OR -{field}{op}{n})")), {
                let both = format!("NOT (s.modality = 'text' OR NOT {old})");
                old_ids(&store, &both, &[Value::Integer(n)])
            });
        }
    }
    for q in ["longer:chosen", "longer:rejected"] {
        assert_eq!(matching(&store, q), old_ids(&store, &old_condition(q), &[]), "{q}");
        assert_eq!(matching(&store, &format!("-{q}")), old_ids(&store, &format!("NOT {}", old_condition(q)), &[]));
        assert_eq!(matching(&store, &q.replace(':', "!=")), old_ids(&store, &format!("NOT {}", old_condition(q)), &[]));
    }
    assert_eq!(matching(&store, "longer:chosen"), [2, 4, 6, 10]);
    let old_model =
        "EXISTS (SELECT 1 FROM responses r WHERE r.sample_id = s.id AND instr(lower(r.model), lower(?)) > 0)";
    for m in ["gpt", "GPT-4", "llama", "sd", "-", "%", "_", "m-b", "nothing", "\u{1f}"] {
        let p = [Value::Text(m.into())];
        let q = format!("model:\"{m}\"");
        assert_eq!(matching(&store, &q), old_ids(&store, old_model, &p), "{q}");
        assert_eq!(matching(&store, &format!("-{q}")), old_ids(&store, &format!("NOT {old_model}"), &p), "-{q}");
        let ne = format!("model!=\"{m}\"");
        assert_eq!(matching(&store, &ne), old_ids(&store, &format!("NOT {old_model}"), &p), "{ne}");
    }
    assert_eq!(matching(&store, "model:gpt"), [1, 3, 4, 12]);
    assert_eq!(matching(&store, "model:%"), Vec::<i64>::new());
    assert_eq!(matching(&store, "judgment:pairwise"), [1, 2, 7, 8, 10, 11, 12]);
    assert_eq!(matching(&store, "judgment:both_bad"), [10]);
    assert_eq!(matching(&store, "-judgment:pairwise"), [3, 4, 5, 6, 9]);
    assert_eq!(matching(&store, "dataset:alpha"), [12]);
    assert_eq!(matching(&store, "key:k3"), [4]);
    assert_eq!(matching(&store, "row>9"), [11]);
    assert_eq!(matching(&store, "id<=2"), [1, 2]);
    assert_eq!(matching(&store, "label:safer"), [8]);
    assert_eq!(matching(&store, "second"), [2, 4]);
    assert_eq!(matching(&store, "original:none"), [9]);
    assert_eq!(matching(&store, "original:pairwise"), [11]);
    assert_eq!(matching(&store, "original:ranking OR current:correction"), [4, 6]);
    assert!(compile("current:maybe").expect_err("word").message.contains("`current` is a, b"));
    assert_eq!(store.count_matching(&compile("modality:text len_a>3").expect("q")).expect("count"), 3);
}

/// The expected order by brute force: (key, id) with missing keys last.
fn expected_order(store: &Store, sort: SortKey, descending: bool) -> Vec<i64> {
    let expr = match sort {
        SortKey::Dataset => "(SELECT name FROM datasets WHERE id = st.dataset_id)".to_owned(),
        other => format!("st.{}", other.column().0),
    };
    let mut rows: Vec<(i64, Value)> = {
        let mut stmt = store.conn().prepare(&format!("SELECT st.sample_id, {expr} FROM sample_stats st")).expect("p");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).and_then(Iterator::collect).expect("rows")
    };
    let cmp = |a: &Value, b: &Value| match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        _ => panic!("mixed"),
    };
    rows.sort_by(|(ia, a), (ib, b)| match (a, b) {
        (Value::Null, Value::Null) => ia.cmp(ib),
        (Value::Null, _) => std::cmp::Ordering::Greater,
        (_, Value::Null) => std::cmp::Ordering::Less,
        _ => {
            let o = cmp(a, b);
            (if descending { o.reverse() } else { o }).then(ia.cmp(ib))
        }
    });
    rows.into_iter().map(|(id, _)| id).collect()
}

#[test]
fn every_sort_key_orders_both_ways_with_missing_values_last() {
    let mut store = project();
    store.apply(&Actor::new("cy", "test"), SampleId(3), &CurationAction::Flag("f".into())).expect("flag");
    store.apply(&Actor::new("cy", "test"), SampleId(7), &CurationAction::Flag("f".into())).expect("flag");
    store.apply(&Actor::new("cy", "test"), SampleId(2), &CurationAction::Pick(0)).expect("pick");
    let all = compile("").expect("empty");
    for &sort in SortKey::ALL {
        for descending in [false, true] {
            let got = ids(&store.matching_ids(&all, sort, descending).expect("ids"));
            assert_eq!(got, expected_order(&store, sort, descending), "{sort:?} descending={descending}");
        }
    }
    // Spelled out for a few.
    assert_eq!(ids(&store.matching_ids(&all, SortKey::Id, true).expect("ids")), (1..=12).rev().collect::<Vec<_>>());
    assert_eq!(
        ids(&store.matching_ids(&all, SortKey::LenB, false).expect("ids")),
        [12, 5, 10, 8, 4, 11, 2, 6, 1, 3, 7, 9]
    );
    assert_eq!(
        ids(&store.matching_ids(&all, SortKey::LenB, true).expect("ids")),
        [1, 2, 6, 4, 11, 8, 5, 10, 12, 3, 7, 9]
    );
    assert_eq!(ids(&store.matching_ids(&all, SortKey::Dataset, false).expect("ids"))[0], 12);
    assert_eq!(ids(&store.matching_ids(&all, SortKey::Flagged, true).expect("ids"))[..3], [3, 7, 1]);
    assert_eq!(ids(&store.matching_ids(&all, SortKey::Edited, true).expect("ids"))[0], 2);
    let model_a = ids(&store.matching_ids(&all, SortKey::ModelA, false).expect("ids"));
    assert_eq!(model_a[..5], [12, 1, 3, 4, 2], "GPT < GPT-4o < gpt-3.5 < m-a (bytes), then no model");
    // With a filter.
    let q = compile("len_a>3").expect("q");
    assert_eq!(ids(&store.matching_ids(&q, SortKey::LenChosen, true).expect("ids")), [4, 10, 6, 8, 1, 7, 3]);
    let labels: Vec<&str> = SortKey::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(labels.len(), 12);
    assert_eq!(SortKey::default(), SortKey::Id);
}

#[test]
fn list_rows_come_back_in_the_order_asked() {
    let store = project();
    let rows = store.list_rows(&[SampleId(10), SampleId(99), SampleId(2), SampleId(12)]).expect("rows");
    let got: Vec<i64> = rows.iter().map(|r| r.id.0).collect();
    assert_eq!(got, [10, 2, 12]);
    assert_eq!(rows[1].prompt, "p two second line");
    assert_eq!((rows[0].len_a, rows[0].len_b), (Some(11), Some(2)));
    assert_eq!(
        (rows[2].dataset.as_str(), rows[2].model_a.as_deref(), rows[2].model_b.as_deref()),
        ("alpha", Some("GPT"), None)
    );
    assert_eq!(
        (rows[1].original.as_str(), rows[1].current.as_str(), rows[1].modality.as_str()),
        ("B>A", "B>A", "image")
    );
    assert!(rows.iter().all(|r| r.flag.is_none() && !r.edited && !r.noted));

    let mut store = store;
    let long = "word ".repeat(100);
    dataset(&mut store, "long", vec![sample(0, &long, Vec::new(), Vec::new())]);
    let row = store.list_rows(&[SampleId(13)]).expect("row");
    assert_eq!(row[0].prompt.chars().count(), 200);
    assert!(store.list_rows(&[]).expect("none").is_empty());
}

#[test]
fn the_counting_sort_and_the_comparison_sort_agree() {
    // A deterministic shuffle of ids 1..=5000 with keys in a narrow range (counting sort) and the
    // same keys spread wide (comparison sort), both directions.
    let mut state = 12_345_u64;
    let mut next = || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as i64
    };
    let mut ids: Vec<i64> = (1..=5000).collect();
    for i in (1..ids.len()).rev() {
        ids.swap(i, next() as usize % (i + 1));
    }
    for spread in [1_i64, 1_000_000_000_000] {
        let keyed: Vec<(i64, i64)> = ids.iter().map(|id| ((next() % 23 - 3) * spread, *id)).collect();
        for descending in [false, true] {
            let mut expected = keyed.clone();
            expected.sort_by(|a, b| if descending { b.0.cmp(&a.0) } else { a.0.cmp(&b.0) }.then(a.1.cmp(&b.1)));
            let expected: Vec<SampleId> = expected.into_iter().map(|(_, id)| SampleId(id)).collect();
            assert_eq!(sort_keyed(keyed.clone(), descending), expected, "spread {spread}, descending {descending}");
        }
    }
    assert!(sort_keyed(Vec::new(), true).is_empty());
    assert_eq!(sort_keyed(vec![(i64::MIN, 2), (i64::MAX, 1)], false), [SampleId(2), SampleId(1)]);
}

#[test]
fn a_schema_2_project_gets_its_stats_when_opened() {
    let conn = rusqlite::Connection::open_in_memory().expect("conn");
    let mut store = Store { conn, path: ":memory:".into() };
    store.configure().expect("configure");
    for sql in &crate::store::MIGRATIONS[..2] {
        store.conn.execute_batch(sql).expect("old migration");
    }
    store.conn.pragma_update(None, "user_version", 2).expect("version");
    store
        .conn
        .execute_batch(
            "INSERT INTO datasets (id, name, source_path, content_hash, format, preset, options_key, status, imported_at)
                 VALUES (1, 'old', '/old.jsonl', 'h', 'jsonl', 'trl', 'o', 'complete', 'now');
             INSERT INTO samples (id, dataset_id, row_index, prompt, modality) VALUES (1, 1, 0, 'why?', 'text'),
                 (2, 1, 1, 'how?', 'image');
             INSERT INTO responses (sample_id, position, text, model, field) VALUES (1, 0, 'because', 'gpt', 'chosen'),
                 (1, 1, 'no', NULL, 'rejected'), (2, 0, 'like this', NULL, 'a'), (2, 1, 'or so', 'x', 'b');
             INSERT INTO judgments (id, sample_id, source, label, kind, chosen, rejected, created_at)
                 VALUES (1, 1, 'original', 'overall', 'pairwise', 0, 1, 'now'),
                        (2, 2, 'original', 'overall', 'pairwise', 1, 0, 'now'),
                        (3, 2, 'curator', 'overall', 'tie', 0, 1, 'now');
             INSERT INTO curation (sample_id, judgment_id, flag, note, updated_at) VALUES (2, 3, 'blurry', NULL, 'now');",
        )
        .expect("old rows");
    store.migrate().expect("migrates");
    assert_eq!(store.schema_version().expect("version"), crate::store::SCHEMA_VERSION);
    assert_eq!(
        facts(&store, 1),
        (2, Some(7), Some(2), Some(7), Some(2), "A>B".into(), "A>B".into(), 1, Some("gpt".into()))
    );
    assert_eq!(facts(&store, 2), (2, Some(9), Some(5), None, None, "B>A".into(), "tie".into(), 16, Some("x".into())));
    // The source's own sides stay in the original columns.
    let orig: (Option<i64>, Option<i64>, i64) = store
        .conn
        .query_row(
            "SELECT orig_len_chosen, orig_len_rejected, orig_kinds FROM sample_stats WHERE sample_id = 2",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("orig");
    assert_eq!(orig, (Some(5), Some(9), 1));
    assert_eq!(matching(&store, "original_longer:rejected"), [2]);
    assert_eq!(matching(&store, "is:flagged is:edited -is:noted current:tie original:b"), [2]);
    assert_eq!(matching(&store, "longer:chosen"), [1]);
    // The scratch tables of the backfill are gone.
    let leftovers: i64 = store
        .conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'migration3%'", [], |r| r.get(0))
        .expect("schema");
    assert_eq!(leftovers, 0);
}

#[test]
fn lengths_count_characters_up_to_a_nul_as_sqlite_does() {
    let store = Store::open_in_memory().expect("store");
    let long = "é".repeat(300) + "a\u{0}b" + &"x".repeat(600);
    for text in ["", "abc", "naïve 日本 🎉", "\u{0}", "ab\u{0}cd", long.as_str(), &"z".repeat(255), &"日".repeat(256)]
    {
        let sqlite: i64 = store.conn().query_row("SELECT length(?1)", [text], |r| r.get(0)).expect("length");
        assert_eq!(super::super::stats::sql_len(text), sqlite, "{text:?}");
    }
}

#[test]
fn in_id_order_the_first_page_comes_before_the_whole_list() {
    let store = project();
    let q = compile("").expect("compiles");
    for descending in [false, true] {
        let mut pages = Vec::new();
        let all =
            store.matching_ids_paged(&q, SortKey::Id, descending, 4, &mut |first| pages.push(ids(first))).expect("ids");
        assert_eq!(all, store.matching_ids(&q, SortKey::Id, descending).expect("ids"));
        assert_eq!(pages.len(), 1, "one first page");
        assert_eq!(pages[0], ids(&all[..4]), "the first ids, in the list's order");
        let sorted = if descending {
            ids(&all).windows(2).all(|w| w[0] > w[1])
        } else {
            ids(&all).windows(2).all(|w| w[0] < w[1])
        };
        assert!(sorted, "{:?}", ids(&all));
    }
    // A list shorter than a page, and another order: no first page, the whole list only.
    let mut called = false;
    let few = store.matching_ids_paged(&q, SortKey::Id, false, 1000, &mut |_| called = true).expect("ids");
    assert!(!few.is_empty() && !called);
    store.matching_ids_paged(&q, SortKey::LenA, false, 2, &mut |_| called = true).expect("ids");
    assert!(!called, "sorted by a value, every match is needed first");
}

#[test]
fn free_text_driving_the_list_finds_what_the_plain_condition_finds() {
    let store = project();
    for q in [
        "p",
        "p modality:text",
        "longer modality:image",
        "p -\"p nine\"",
        "answer OR len_a>3",
        "p len_b>2 is:edited",
        "two two",
    ] {
        let compiled = compile(q).expect(q);
        let plain = crate::query::Compiled { fts_driver: None, ..compiled.clone() };
        assert_eq!(
            compiled.fts_driver.is_some(),
            !q.contains(" OR "),
            "{q}: free text ANDed at the top drives, under OR it cannot"
        );
        for sort in [SortKey::Id, SortKey::LenA, SortKey::Dataset, SortKey::Current] {
            for descending in [false, true] {
                assert_eq!(
                    store.matching_ids(&compiled, sort, descending).expect(q),
                    store.matching_ids(&plain, sort, descending).expect(q),
                    "{q} sorted by {sort:?}, descending {descending}"
                );
            }
        }
    }
    assert_eq!(matching(&store, "p").len(), 11, "every prompt with the word p");
    assert!(compile("-p").expect("not").fts_driver.is_none(), "a negated phrase does not drive");
}

#[test]
fn filtering_the_whole_sorted_order_gives_the_sorted_filtered_list() {
    let store = project();
    let all_q = compile("").expect("all");
    for sort in [SortKey::LenA, SortKey::Dataset, SortKey::Current, SortKey::ModelA] {
        for descending in [false, true] {
            let all = store.matching_ids(&all_q, sort, descending).expect("all");
            for q in ["modality:image", "len_a>3", "-longer:chosen", "judgment:pairwise model:gpt"] {
                let q = compile(q).expect("compiles");
                assert_eq!(
                    store.matching_among(&q, &all).expect("among"),
                    store.matching_ids(&q, sort, descending).expect("ids"),
                    "{sort:?} {descending}"
                );
            }
        }
    }
    // The stamp of a key curators do not change is the highest sample id.
    let max: i64 = store.conn().query_row("SELECT max(sample_id) FROM sample_stats", [], |r| r.get(0)).expect("max");
    assert_eq!(store.order_stamp(SortKey::LenA).expect("stamp"), max);
}

#[test]
fn the_overview_counts_samples_from_their_stats() {
    let mut store = project();
    let o = store.overview(100).expect("overview");
    let by = |d: &str, l: &str, n: u64| (d.to_owned(), l.to_owned(), n);
    assert_eq!(
        o.judgments_by_dataset,
        [
            by("alpha", "B>A", 1),
            by("zeta", "A>B", 4), // 1, 7, 8 (its overall label), 10
            by("zeta", "B>A", 1),
            by("zeta", "correction", 1),
            by("zeta", "pairwise", 1), // 11: its overall pair names a missing response
            by("zeta", "ranking", 1),
            by("zeta", "ratings", 1),
            by("zeta", "tie", 1),
        ],
        "one label per sample; 9 has none"
    );
    // Chosen vs rejected length, per sample: 1, 2, 4 (ranking), 6 (correction), 8 (first pair),
    // 10 (characters; NUL ends SQLite's length), 11 (each side from the first judgment naming a
    // stored response), 12. Not 3 (ratings), 5 (tie), 7 (B has no text), 9.
    assert_eq!(
        o.length_pairs,
        [(5.0, 11.0), (8.0, 2.0), (12.0, 5.0), (8.0, 5.0), (6.0, 13.0), (11.0, 2.0), (3.0, 7.0), (1.0, 1.0)]
    );
    assert_eq!((o.pairs_total, o.chosen_longer), (8, 4));
    assert_eq!(store.overview(3).expect("overview").length_pairs.len(), 3, "the scatter is bounded");
    let mut models = o.model_outcomes.clone();
    models.sort();
    let m = |name: &str, chosen: u64, rejected: u64| (name.to_owned(), chosen, rejected);
    assert_eq!(
        models,
        [m("GPT", 0, 1), m("GPT-4o", 1, 0), m("chatGPT", 1, 0), m("llama-3", 0, 1), m("m-a", 0, 1), m("sd-xl", 0, 1)],
        "any positions (the ranking's C over A), media-only responses included"
    );
    assert_eq!((o.samples, o.curated), (12, 0));
    // A curator's swap of sample 1 (GPT-4o over llama-3): the figures follow the label in force.
    let actor = crate::store::Actor::new("ana", "test");
    store.apply(&actor, SampleId(1), &crate::store::CurationAction::Swap).expect("swap");
    let o = store.overview(100).expect("overview");
    let mut models = o.model_outcomes.clone();
    models.sort();
    assert_eq!(models[1], m("GPT-4o", 0, 1), "{models:?}");
    assert_eq!(models[3], m("llama-3", 1, 0), "{models:?}");
    assert_eq!(o.curated, 1);
}
