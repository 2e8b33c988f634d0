//! End-to-end: `verdict label`, `undo`, `redo`, `history`, `show` and `search` from the command
//! line, their `--json` lines, and a bulk action killed mid-way (all or nothing, and undo works).

mod common;
use common::{Workspace, count, stderr, stdout, verdict};
use std::fmt::Write as _;
use std::path::Path;

fn pairs(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let _ = writeln!(
            out,
            "{{\"id\": \"key-{i}\", \"prompt\": \"Question {i}?\", \"chosen\": \"Good answer {i}\", \"rejected\": \"Bad {i}\"}}"
        );
    }
    out
}

fn project(ws: &Workspace, n: usize) -> std::path::PathBuf {
    let file = ws.write("pairs.jsonl", pairs(n));
    let project = ws.project();
    let out = verdict(&["import", file.to_str().expect("utf8"), "--project", project.to_str().expect("utf8")]);
    assert!(out.status.success(), "{}", stderr(&out));
    project
}

fn run(project: &Path, args: &[&str]) -> std::process::Output {
    let mut all = vec![args[0], project.to_str().expect("utf8")];
    all.extend(&args[1..]);
    verdict(&all)
}

fn ok(project: &Path, args: &[&str]) -> String {
    let out = run(project, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"))).collect()
}

#[test]
fn label_undo_redo_and_history_from_the_command_line() {
    let ws = Workspace::new();
    let p = project(&ws, 6);
    // A bulk exclusion: one operation.
    let out = ok(&p, &["label", "--where", "id<=4", "--exclude", "duplicate", "--curator", "ana", "--json"]);
    let done = &json_lines(&out)[0];
    assert_eq!((done["changed"].as_u64(), done["matched"].as_u64()), (Some(4), Some(4)), "{out}");
    assert_eq!(ok(&p, &["search", "is:excluded", "--count"]).trim(), "4");
    // A swap by the source id, which the app's header shows.
    ok(&p, &["label", "--where", "key:key-5", "--swap", "--curator", "ana"]);
    let show = json_lines(&ok(&p, &["show", "key-5", "--json"]));
    assert_eq!((show[0]["label"]["chosen"].as_u64(), show[0]["label"]["source"].as_str()), (Some(1), Some("curator")));
    assert_eq!(show[0]["original_label"]["chosen"].as_u64(), Some(0));
    assert_eq!(
        show[0]["position"],
        serde_json::json!({"line": 6}),
        "key-5 is on line 6 of the JSONL file (the sixth row)"
    );
    let text = ok(&p, &["show", "6"]);
    assert!(text.contains("(pairs)  line 6\n"), "the header names the line as an editor counts: {text}");
    assert!(text.contains("label now B over A (curator ana"), "{text}");
    assert!(text.contains("original label A over B"), "{text}");
    assert!(text.contains("[response B] chosen now (source field rejected)"), "{text}");
    let excluded = ok(&p, &["show", "1"]);
    assert!(excluded.contains("excluded duplicate"), "{excluded}");

    // History: newest first, one line each, as JSON lines too.
    let history = json_lines(&ok(&p, &["history", "--json"]));
    let actions: Vec<&str> = history.iter().map(|h| h["action"].as_str().unwrap_or_default()).collect();
    assert_eq!(actions, ["swap", "exclude"]);
    assert_eq!(history[1]["samples"].as_u64(), Some(4));
    assert!(history[1]["summary"].as_str().is_some_and(|s| s.contains("exclude (duplicate): 4 samples, where id<=4")));
    let sample = json_lines(&ok(&p, &["history", "--sample", "key-5", "--json"]));
    assert_eq!(sample[0]["changes"][0], "label from A>B to B>A");

    // Undo takes the curator's latest: the swap, then the exclusion.
    let undone = ok(&p, &["undo", "--curator", "ana"]);
    assert!(undone.contains("Undid swap on sample 6 (operation #2)"), "the samples it changed are named: {undone}");
    ok(&p, &["undo", "--curator", "ana"]);
    assert_eq!(ok(&p, &["search", "is:excluded OR is:edited", "--count"]).trim(), "0");
    let nothing = run(&p, &["undo", "--curator", "ana"]);
    assert!(!nothing.status.success());
    assert!(stderr(&nothing).contains("nothing to undo"), "{}", stderr(&nothing));
    let redo = json_lines(&ok(&p, &["redo", "--curator", "ana", "--json"]));
    assert_eq!((redo[0]["action"].as_str(), redo[0]["restored"].as_u64()), (Some("exclude"), Some(4)));
    // Another curator's operation is named, not undone silently.
    let other = run(&p, &["undo", "--curator", "bo"]);
    assert!(
        stderr(&other).contains("nothing to undo by bo") && stderr(&other).contains("exclude by ana"),
        "{}",
        stderr(&other)
    );

    // search --json: one object per sample.
    let found = json_lines(&ok(&p, &["search", "is:excluded", "--json"]));
    assert_eq!(found.len(), 4);
    assert_eq!(found[0]["id"].as_i64(), Some(1));
    assert_eq!(found[0]["prompt"].as_str(), Some("Question 0?"));
}

#[test]
fn label_says_what_it_left_and_refuses_a_bad_candidate_or_query() {
    let ws = Workspace::new();
    let p = project(&ws, 3);
    ok(&p, &["label", "--where", "id:2", "--tie", "--curator", "cy"]);
    let out = ok(&p, &["label", "--all", "--swap", "--curator", "cy"]);
    assert!(out.contains("2 of 3 matching samples changed"), "{out}");
    assert!(out.contains("1 left as they were: it has no preference to swap (e.g. 2)"), "{out}");
    let bad = run(&p, &["label", "--all", "--pick", "0"]);
    assert_eq!(bad.status.code(), Some(2), "a usage error: {}", stderr(&bad));
    assert!(stderr(&bad).contains("counted from 1"), "{}", stderr(&bad));
    let bad = run(&p, &["label", "--where", "modality:", "--flag", "x"]);
    assert!(!bad.status.success() && stderr(&bad).contains("--where"), "{}", stderr(&bad));
    let none = run(&p, &["label", "--flag", "x"]);
    assert_eq!(none.status.code(), Some(2), "--where or --all is required: {}", stderr(&none));
    let dry = ok(&p, &["label", "--all", "--exclude", "x", "--dry-run"]);
    assert!(dry.contains("3 matching samples (dry run"), "{dry}");
    assert_eq!(count(&p, "SELECT count(*) FROM curation WHERE excluded IS NOT NULL"), 0);
}

/// Whether another connection is writing: `BEGIN IMMEDIATE` is refused while it holds the lock.
fn someone_is_writing(project: &Path) -> bool {
    let Ok(conn) = rusqlite::Connection::open(project) else { return false };
    let _ = conn.busy_timeout(std::time::Duration::ZERO);
    match conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => false,
        Err(e) => e.to_string().contains("locked") || e.to_string().contains("busy"),
    }
}

#[test]
fn a_bulk_action_killed_mid_way_leaves_all_or_nothing_and_undo_works() {
    const N: i64 = 100_000;
    let ws = Workspace::new();
    let p = project(&ws, N as usize);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["label", p.to_str().expect("utf8"), "--all", "--exclude", "duplicate", "--curator", "ana"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    // Wait until it holds the write lock (inside its one transaction), then a moment more.
    let started = std::time::Instant::now();
    while !someone_is_writing(&p) {
        assert!(child.try_wait().expect("wait").is_none(), "the bulk action ended before it could be killed");
        assert!(started.elapsed().as_secs() < 60, "the bulk action never started writing");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let killed = child.try_wait().expect("wait").is_none();
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    assert!(killed, "still running when killed");

    let excluded = count(&p, "SELECT count(*) FROM curation WHERE excluded IS NOT NULL");
    let stats = count(&p, "SELECT count(*) FROM sample_stats WHERE excluded");
    let ops = count(&p, "SELECT count(*) FROM ops");
    assert!(excluded == 0 || excluded == N, "all or nothing, not {excluded}");
    assert_eq!(stats, excluded, "the list facts moved with the state");
    assert_eq!(ops, i64::from(excluded == N), "the operation is recorded with its changes or not at all");
    let conn = rusqlite::Connection::open(&p).expect("opens");
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("check");
    assert_eq!(check, "ok");
    drop(conn);

    // Run again to the end, then one undo takes all of it back.
    if excluded == 0 {
        ok(&p, &["label", "--all", "--exclude", "duplicate", "--curator", "ana"]);
    }
    assert_eq!(count(&p, "SELECT count(*) FROM sample_stats WHERE excluded"), N);
    let undone = ok(&p, &["undo", "--curator", "ana"]);
    assert!(undone.contains("Undid exclude (duplicate) on 100,000 samples"), "{undone}");
    assert_eq!(count(&p, "SELECT count(*) FROM sample_stats WHERE excluded"), 0);
}

#[test]
fn an_undo_refused_after_another_curators_change_is_passed_over_and_tried_again_by_number() {
    let ws = Workspace::new();
    let p = project(&ws, 4);
    // Alice flags sample 1, then picks B on sample 2; Bob ties sample 2.
    ok(&p, &["label", "--where", "id:1", "--flag", "blurry", "--curator", "alice"]);
    let pick =
        json_lines(&ok(&p, &["label", "--where", "id:2", "--pick", "B", "--curator", "alice", "--json"]))[0]["op"]
            .as_i64()
            .expect("op");
    let tie = json_lines(&ok(&p, &["label", "--where", "id:2", "--tie", "--curator", "bob", "--json"]))[0]["op"]
        .as_i64()
        .expect("op");

    // Alice's undo is refused, naming Bob's change, and the pick is marked.
    let refused = run(&p, &["undo", "--curator", "alice"]);
    assert!(!refused.status.success());
    let why = stderr(&refused);
    assert!(why.contains(&format!("cannot undo operation #{pick} (pick b)")), "{why}");
    assert!(
        why.contains("sample 2 was changed later (tie by bob") && why.contains(&format!("operation #{tie})")),
        "{why}"
    );
    let history = json_lines(&ok(&p, &["history", "--json"]));
    let line = history.iter().find(|h| h["id"].as_i64() == Some(pick)).expect("the pick");
    assert_eq!(line["state"], "blocked", "{line}");
    assert!(line["summary"].as_str().is_some_and(|s| s.contains("[cannot be undone: changed later by bob")), "{line}");
    let text = ok(&p, &["history"]);
    assert!(text.contains("[cannot be undone: changed later by bob (tie, operation #"), "{text}");

    // Her next undo takes the flag before it.
    let undone = ok(&p, &["undo", "--curator", "alice"]);
    assert!(undone.contains("Undid flag (blurry) on sample 1"), "{undone}");
    assert_eq!(ok(&p, &["search", "is:flagged", "--count"]).trim(), "0");

    // By number: refused while Bob's tie stands, done once he has undone it.
    let again = run(&p, &["undo", "--curator", "alice", "--op", &pick.to_string()]);
    assert!(!again.status.success() && stderr(&again).contains("tie by bob"), "{}", stderr(&again));
    ok(&p, &["undo", "--curator", "bob"]);
    let undone = json_lines(&ok(&p, &["undo", "--curator", "alice", "--op", &pick.to_string(), "--json"]));
    assert_eq!((undone[0]["target"].as_i64(), undone[0]["restored"].as_u64()), (Some(pick), Some(1)));
    let show = json_lines(&ok(&p, &["show", "2", "--json"]));
    assert_eq!(show[0]["label"]["source"], "original", "{}", show[0]);
    let history = json_lines(&ok(&p, &["history", "--json"]));
    assert_eq!(history.iter().find(|h| h["id"].as_i64() == Some(pick)).expect("pick")["state"], "undone");
}

#[test]
fn a_listed_reason_typed_with_underscores_is_stored_as_listed() {
    let ws = Workspace::new();
    let p = project(&ws, 2);
    ok(&p, &["label", "--where", "id:1", "--flag", "wrong_label", "--curator", "ana"]);
    ok(&p, &["label", "--where", "id:2", "--exclude", "Off_Topic", "--curator", "ana"]);
    let show = json_lines(&ok(&p, &["show", "1", "--json"]));
    assert_eq!(show[0]["curation"]["flag"], "wrong label", "{}", show[0]);
    let show = json_lines(&ok(&p, &["show", "2", "--json"]));
    assert_eq!(show[0]["curation"]["excluded"], "off-topic", "{}", show[0]);
}
