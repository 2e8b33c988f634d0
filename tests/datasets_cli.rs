//! Dataset management end to end: a JSON Lines file that grew imports only its appended rows into
//! the same dataset (curation of the old rows kept); a file rewritten in place is a new dataset;
//! `remove-dataset` asks for --yes, then removes the samples, their index entries, their curation
//! and the embedded media nobody else uses, as one final operation in the history; `relink` points
//! media that moved at their new folder without importing again.

mod common;
use common::{Workspace, count, jpeg, stderr, stdout, verdict};
use std::fmt::Write as _;
use std::path::Path;

fn rows(from: usize, to: usize) -> String {
    let mut out = String::new();
    for i in from..to {
        let _ = writeln!(
            out,
            "{{\"id\": \"r{i}\", \"prompt\": \"Question {i}?\", \"chosen\": \"Good {i}\", \"rejected\": \"Bad {i}\"}}"
        );
    }
    out
}

fn run(args: &[&str]) -> String {
    let out = verdict(args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf8")
}

#[test]
fn a_grown_file_adds_only_its_new_rows_to_the_same_dataset() {
    let ws = Workspace::new();
    let file = ws.write("pairs.jsonl", rows(0, 3));
    let project = ws.project();
    run(&["import", p(&file), "--project", p(&project)]);
    run(&["label", p(&project), "--where", "key:r1", "--swap", "--curator", "ana"]);

    // Two rows appended: the same dataset, five samples, the swap kept.
    std::fs::write(&file, rows(0, 5)).expect("append");
    let out = run(&["import", p(&file), "--project", p(&project)]);
    assert!(out.contains("grew since it was imported: the rows from line 4 on appended"), "{out}");
    assert!(out.contains("2 samples added"), "{out}");
    assert_eq!(count(&project, "SELECT count(*) FROM datasets"), 1);
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 5);
    assert_eq!(run(&["search", p(&project), "is:edited key:r1", "--count"]).trim(), "1");
    assert_eq!(run(&["search", p(&project), "\"Good 4\"", "--count"]).trim(), "1", "the new rows are searchable");
    // Importing it again adds nothing; the file is known by its new bytes.
    let again = run(&["import", p(&file), "--project", p(&project)]);
    assert!(again.contains("already imported, nothing added"), "{again}");

    // A file whose last line had no line break, continued with one and new rows: grown too.
    let bare = ws.write("bare.jsonl", rows(10, 12).trim_end());
    run(&["import", p(&bare), "--project", p(&project)]);
    std::fs::write(&bare, format!("{}\n{}", rows(10, 12).trim_end(), rows(12, 13))).expect("append");
    let out = run(&["import", p(&bare), "--project", p(&project)]);
    assert!(out.contains("the rows from line 3 on appended") && out.contains("1 sample added"), "{out}");
    assert_eq!(count(&project, "SELECT count(*) FROM datasets"), 2);
    // A last line continued (its old bytes intact, but no line break before the new ones) is not:
    // that row changed.
    let cont = ws.write("cont.jsonl", rows(20, 22).trim_end());
    run(&["import", p(&cont), "--project", p(&project)]);
    std::fs::write(&cont, format!("{} \n{}", rows(20, 22).trim_end(), rows(22, 23))).expect("continue");
    let out = run(&["import", p(&cont), "--project", p(&project)]);
    assert!(!out.contains("grew"), "{out}");
    assert_eq!(count(&project, "SELECT count(*) FROM datasets"), 4, "pairs, bare, cont twice");
    for d in ["bare", "4", "3"] {
        run(&["remove-dataset", p(&project), d, "--yes"]);
    }

    // A file rewritten in place (an old row changed) is not a grown file: a new dataset.
    std::fs::write(&file, rows(0, 6).replace("Good 0", "Better 0")).expect("rewrite");
    let out = run(&["import", p(&file), "--project", p(&project)]);
    assert!(!out.contains("grew"), "{out}");
    assert_eq!(count(&project, "SELECT count(*) FROM datasets"), 2);
}

#[test]
fn removing_a_dataset_asks_then_takes_its_samples_index_and_media() {
    let ws = Workspace::new();
    let project = ws.project();
    let text = ws.write("text.jsonl", rows(0, 4));
    run(&["import", p(&text), "--project", p(&project)]);
    // A second dataset with embedded images (base64 in the TRL layout's `images`).
    let mut pics = String::new();
    for i in 0..3u8 {
        let b64 = base64_of(&jpeg(16, 16, i));
        let _ = writeln!(
            pics,
            "{{\"prompt\": \"<image> Kite {i}?\", \"chosen\": \"Yes {i}\", \"rejected\": \"No {i}\", \"images\": [{{\"bytes\": \"{b64}\"}}]}}"
        );
    }
    let pics = ws.write("pics.jsonl", pics);
    run(&["import", p(&pics), "--project", p(&project)]);
    assert_eq!(count(&project, "SELECT count(*) FROM blobs"), 3, "three embedded images stored");
    run(&["label", p(&project), "--where", "dataset:pics", "--flag", "wrong label", "--curator", "ana"]);

    // Without --yes: says what would go, changes nothing.
    let refused = verdict(&["remove-dataset", p(&project), "pics"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("would remove dataset 2 (pics) with its 3 samples"), "{}", stderr(&refused));
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 7);

    let out = run(&["remove-dataset", p(&project), "pics", "--yes", "--json", "--curator", "ana"]);
    let done: serde_json::Value = serde_json::from_str(out.trim()).expect("a JSON line");
    assert_eq!((done["samples"].as_u64(), done["blobs"].as_u64()), (Some(3), Some(3)), "{out}");
    assert_eq!(count(&project, "SELECT count(*) FROM samples"), 4);
    assert_eq!(count(&project, "SELECT count(*) FROM blobs"), 0);
    assert_eq!(count(&project, "SELECT count(*) FROM curation"), 0, "its curation went with it");
    assert_eq!(run(&["search", p(&project), "Kite", "--count"]).trim(), "0", "nothing left in the index");
    assert_eq!(run(&["search", p(&project), "Good", "--count"]).trim(), "4", "the other dataset is whole");
    let history = run(&["history", p(&project), "--json"]);
    let newest: serde_json::Value = serde_json::from_str(history.lines().next().expect("a line")).expect("json");
    assert_eq!(newest["action"].as_str(), Some("remove_dataset"), "{history}");
    assert_eq!(newest["summary"].as_str(), Some("remove dataset 2 (pics) [final]"), "{history}");
    // It is final: the flag before it is what undo reaches, and it cannot bring the dataset back.
    assert_eq!(count(&project, "SELECT count(*) FROM ops WHERE action = 'remove_dataset' AND state = 'final'"), 1);
    let info = run(&["info", p(&project), "--json"]);
    assert_eq!(info.lines().count(), 1, "one dataset left: {info}");
    assert_eq!(count(&project, "SELECT count(*) FROM sample_fts_docsize"), 4, "its index entries are gone");
    // The flag on the removed samples has nothing left to undo: undo says so instead of undoing nothing.
    let undo = verdict(&["undo", p(&project), "--curator", "ana"]);
    assert!(!undo.status.success());
    assert!(stderr(&undo).contains("nothing to undo"), "{}", stderr(&undo));
}

#[test]
fn relinked_media_are_found_in_their_new_folder_without_a_reimport() {
    let ws = Workspace::new();
    let project = ws.project();
    ws.write("old/img/kite.jpg", jpeg(20, 10, 1));
    ws.write("old/img/snow.jpg", jpeg(20, 10, 2));
    let mut data = String::new();
    for name in ["kite", "snow", "gone"] {
        let _ = writeln!(
            data,
            "{{\"prompt\": \"<image> {name}?\", \"chosen\": \"a\", \"rejected\": \"b\", \"image\": \"img/{name}.jpg\", \"is_tie\": false}}"
        );
    }
    let file = ws.write("data/pairs.jsonl", data);
    run(&["import", p(&file), "--project", p(&project), "--media-root", p(&ws.path("old"))]);
    assert_eq!(run(&["search", p(&project), "media:ok", "--count"]).trim(), "2");

    // The media move; relink finds two of three there.
    std::fs::rename(ws.path("old"), ws.path("new")).expect("move");
    let out = run(&["relink", p(&project), "1", p(&ws.path("new")), "--json", "--curator", "ana"]);
    let done: serde_json::Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!((done["media"].as_u64(), done["found"].as_u64(), done["missing"].as_u64()), (Some(3), Some(2), Some(1)));
    let show: serde_json::Value =
        serde_json::from_str(run(&["show", p(&project), "1", "--json"]).trim()).expect("json");
    let resolved = show["sample"]["media"][0]["resolved_path"].as_str().expect("resolved");
    let new_root = ws.path("new").canonicalize().expect("canonical");
    assert!(Path::new(resolved).starts_with(&new_root), "{resolved} is under {}", new_root.display());
    assert!(Path::new(resolved).is_file());
    assert_eq!(run(&["search", p(&project), "media:ok", "--count"]).trim(), "2");
    assert_eq!(run(&["search", p(&project), "media:unresolved", "--count"]).trim(), "1");
    let info = run(&["info", p(&project), "--json"]);
    let d: serde_json::Value = serde_json::from_str(info.trim()).expect("json");
    assert_eq!(d["media_root"].as_str(), new_root.to_str(), "the dataset remembers its new folder");
    // A folder that does not exist is refused with its name.
    let bad = verdict(&["relink", p(&project), "1", "/nonexistent/media"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("/nonexistent/media"), "{}", stderr(&bad));
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
