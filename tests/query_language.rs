//! The query language as curators type it, on a real project: lowercase `or`/`and`/`not` are the
//! operators, an unknown value is an error naming the known ones, flag and exclusion reasons
//! match with `_` and space the same and case ignored, and errors point at the character at fault.

mod common;
use common::Workspace;
use std::fmt::Write as _;
use verdict::ingest::{ImportOptions, import_file};
use verdict::jobs::Progress;
use verdict::model::SampleId;
use verdict::query::{MODALITIES, QueryError, compile};
use verdict::store::{Actor, CurationAction, EXCLUDE_REASONS, SortKey, Store};

/// Samples 1..=4: prompts "apple pie", "banana or bread", "cherry and not apple", "plain".
fn project(ws: &Workspace) -> Store {
    let mut text = String::new();
    for p in ["apple pie", "banana or bread", "cherry and not apple", "plain"] {
        let _ = writeln!(text, "{}", serde_json::json!({"prompt": p, "chosen": "yes", "rejected": "no"}));
    }
    let file = ws.write("q.jsonl", text);
    let mut store = Store::open(&ws.project()).expect("store");
    import_file(&mut store, &file, &ImportOptions::default(), &mut Progress::silent()).expect("imports");
    store
}

fn found(store: &Store, q: &str) -> Vec<i64> {
    let c = compile(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let ids: Vec<i64> = store.matching_ids(&c, SortKey::Id, false).expect(q).into_iter().map(|id| id.0).collect();
    assert_eq!(store.count_matching(&c).expect(q), ids.len() as u64, "{q}: count and list agree");
    ids
}

fn error(q: &str) -> QueryError {
    compile(q).err().unwrap_or_else(|| panic!("{q} should be refused"))
}

#[test]
fn lowercase_operators_are_operators_and_quoted_they_are_words() {
    let ws = Workspace::new();
    let store = project(&ws);
    assert_eq!(found(&store, "apple or banana"), [1, 2, 3]);
    assert_eq!(found(&store, "apple OR banana"), [1, 2, 3]);
    assert_eq!(found(&store, "apple and cherry"), [3]);
    assert_eq!(found(&store, "apple not cherry"), [1]);
    assert_eq!(found(&store, "not apple"), [2, 4]);
    assert_eq!(found(&store, "(apple or banana) and not pie"), [2, 3]);
    // Quoted, the words are searched: only sample 2 has "or", only sample 3 "and" and "not".
    assert_eq!(found(&store, "\"or\""), [2]);
    assert_eq!(found(&store, "\"and\" \"not\""), [3]);
    assert_eq!(found(&store, "\"banana or bread\""), [2]);
    assert_eq!(found(&store, "\"or\" or \"and\""), [2, 3]);
    // Dangling operators are errors, as with the capitals.
    assert!(error("apple or").message.contains("ends where a term"));
    assert!(error("or apple").message.contains("OR/AND needs a term"));
}

#[test]
fn an_unknown_value_is_an_error_naming_the_known_ones() {
    let e = error("modality:vidoe");
    assert!(e.message.contains("unknown modality `vidoe`"), "{e}");
    for m in MODALITIES {
        assert!(e.message.contains(m), "{e} names {m}");
    }
    let e = error("media:brokn");
    assert!(e.message.contains("unknown media status `brokn`"), "{e}");
    for s in verdict::model::ProbeStatus::ALL {
        assert!(e.message.contains(s.as_str()), "{e} names {s}");
    }
    // Known values in either case, and `gen_image` for `gen-image`, compile.
    for q in ["modality:image", "modality:IMAGE", "modality:gen_image", "modality!=gen-video", "media:not_fetched"] {
        assert!(compile(q).is_ok(), "{q}");
    }
    // Reasons are free text: any value is a query.
    assert!(compile("excluded:\"my own reason\"").is_ok());
    assert!(compile("flag:whatever").is_ok());
}

#[test]
fn modality_values_match_what_the_importer_stores() {
    use verdict::model::{MediaKind, MediaRole, ProbeFacts, ProbeStatus};
    use verdict::store::PreparedMedia;
    let media = |role, kind| PreparedMedia {
        role,
        kind,
        response: None,
        field: "m".into(),
        blob: None,
        name: None,
        path: None,
        resolved_path: None,
        url: None,
        probe_status: ProbeStatus::Ok,
        probe_error: None,
        facts: ProbeFacts::default(),
    };
    let kinds = [MediaKind::Image, MediaKind::Video, MediaKind::Frames, MediaKind::Audio];
    let mut sets: Vec<Vec<PreparedMedia>> = vec![Vec::new()];
    for role in [MediaRole::Input, MediaRole::Retrieved, MediaRole::Candidate] {
        for a in kinds {
            sets.push(vec![media(role, a)]);
            for b in kinds {
                sets.push(vec![media(role, a), media(role, b)]);
                sets.push(vec![media(MediaRole::Input, a), media(role, b)]);
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for set in &sets {
        let m = verdict::ingest::prepare::modality(set);
        assert!(MODALITIES.contains(&m.as_str()), "the importer stores `{m}`, which `modality:` would refuse");
        seen.insert(m);
    }
    assert_eq!(seen.len(), MODALITIES.len(), "every known modality occurs: {seen:?}");
}

#[test]
fn modality_finds_what_it_names() {
    let ws = Workspace::new();
    let store = project(&ws);
    assert_eq!(found(&store, "modality:text"), [1, 2, 3, 4]);
    assert_eq!(found(&store, "modality:Text"), [1, 2, 3, 4]);
    assert_eq!(found(&store, "modality:image"), Vec::<i64>::new());
}

#[test]
fn flag_and_exclusion_reasons_match_with_underscores_and_any_case() {
    let ws = Workspace::new();
    let mut store = project(&ws);
    let ana = Actor::new("ana", "test");
    store.apply(&ana, SampleId(1), &CurationAction::Flag("wrong label".into())).expect("flag");
    store.apply(&ana, SampleId(2), &CurationAction::Flag("Prompt Unclear".into())).expect("flag");
    store.apply(&ana, SampleId(3), &CurationAction::Flag("wrong_label_maybe".into())).expect("flag");
    assert!(EXCLUDE_REASONS.contains(&"bad media"));
    store.apply(&ana, SampleId(3), &CurationAction::Exclude("bad media".into())).expect("exclude");
    store.apply(&ana, SampleId(4), &CurationAction::Exclude("off-topic".into())).expect("exclude");

    for q in ["flag:wrong_label", "flag:\"wrong label\"", "flag:WRONG_LABEL", "flag:Wrong_Label"] {
        assert_eq!(found(&store, q), [1], "{q}");
    }
    assert_eq!(found(&store, "flag:prompt_unclear"), [2]);
    assert_eq!(found(&store, "flag:\"prompt unclear\""), [2]);
    assert_eq!(found(&store, "flag:wrong"), Vec::<i64>::new(), "the whole reason, not a part");
    assert_eq!(found(&store, "flag:\"wrong label maybe\""), [3]);
    assert_eq!(found(&store, "flag!=wrong_label"), [2, 3, 4]);
    assert_eq!(found(&store, "-flag:wrong_label is:flagged"), [2, 3]);
    assert_eq!(found(&store, "excluded:bad_media"), [3]);
    assert_eq!(found(&store, "excluded:\"Bad Media\""), [3]);
    assert_eq!(found(&store, "excluded:off-topic"), [4]);
    assert_eq!(found(&store, "excluded:off_topic"), [4], "a hyphen, an underscore and a space are one");
    // A `_` is not a LIKE wildcard here.
    assert_eq!(found(&store, "flag:wrong_labe_"), Vec::<i64>::new());

    // The flagged samples alone are read, from the partial index of migration 2.
    let c = compile("flag:wrong_label").expect("q");
    let plan: Vec<String> = {
        let sql = format!("EXPLAIN QUERY PLAN SELECT count(*) FROM sample_stats st WHERE {}", c.condition);
        let mut stmt = store.conn().prepare(&sql).expect("plan");
        stmt.query_map(rusqlite::params_from_iter(&c.params), |r| r.get::<_, String>(3))
            .expect("plan rows")
            .collect::<Result<_, _>>()
            .expect("plan")
    };
    assert!(plan.iter().any(|d| d.contains("curation_flag")), "{plan:?}");
}

/// `query` with `at` as printed: the 1-based character the message names.
fn printed_at(q: &str) -> usize {
    let e = error(q);
    let s = e.to_string();
    let n = s.rsplit("at character ").next().and_then(|t| t.trim_end_matches(')').parse().ok());
    n.unwrap_or_else(|| panic!("{q}: no position in {s}"))
}

#[test]
fn errors_point_at_the_character_at_fault() {
    // The bad value: the second `>` of `len_chosen>>`, character 12.
    let e = error("len_chosen>>");
    assert!(e.message.contains("whole number, found `>`"), "{e}");
    assert_eq!((e.at, e.char_at), (11, 11));
    assert!(e.to_string().ends_with("(at character 12)"), "{e}");
    // Value errors point at the value's first character ...
    assert_eq!(printed_at("len_a>lots"), 7);
    assert_eq!(printed_at("is:flagged modality:vidoe"), 21);
    assert_eq!(printed_at("judgment:best"), 10);
    assert_eq!(printed_at("a media:x"), 9);
    assert_eq!(printed_at("is:maybe"), 4);
    assert_eq!(printed_at("longer:both"), 8);
    assert_eq!(printed_at("current:c"), 9);
    assert_eq!(printed_at("model:\"\""), 7, "an empty quoted value: its opening quote");
    // ... a missing one where it would go ...
    assert_eq!(printed_at("model:"), 7);
    assert_eq!(printed_at("model: gpt"), 7);
    // ... an unknown field at the field, a misused operator at the operator.
    assert_eq!(printed_at("modality:image colour:red"), 16);
    assert_eq!(printed_at("dataset>3"), 8);
    assert_eq!(printed_at("label<=x"), 6);
    // Syntax errors where they are.
    assert_eq!(printed_at("a)"), 2);
    assert_eq!(printed_at("x (a OR b"), 3);
    assert_eq!(printed_at("ok \"open"), 4);
    assert_eq!(printed_at("a OR"), 5, "the end of the query");
}

#[test]
fn positions_count_characters_not_bytes() {
    // 红色 is 6 bytes, 2 characters: the value `x` is byte 13, character 10.
    let e = error("红色 len_a>x");
    assert_eq!((e.at, e.char_at), (13, 9));
    assert!(e.to_string().ends_with("(at character 10)"), "{e}");
    assert_eq!(printed_at("猫が colour:red"), 4);
    assert_eq!(printed_at("\"東京\" modality:vidoe"), 15);
    assert_eq!(printed_at("café)"), 5);
    assert_eq!(printed_at("naïve \"東京"), 7);
    // Through `parse` as well as `compile`.
    let e = verdict::query::parse("東京 (a").expect_err("unclosed");
    assert_eq!((e.at, e.char_at), (7, 3));
}
