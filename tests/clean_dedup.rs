//! Duplicates found as a curator needs them: planted near-duplicate images (re-encoded, resized,
//! cropped, brightened), reworded prompts, copied rows, a trimmed and re-encoded video and a
//! re-encoded audio clip are grouped with their originals (precision and recall at least 0.9,
//! unrelated items never grouped); the groups are kept in the project, listed by `verdict dups`,
//! found by `dup:` queries, excluded as one undoable operation, kept on one side of a split; a
//! dataset added later is fingerprinted alone; a pass killed midway ends, when run again, with the
//! same groups as an uninterrupted one.

mod common;
use common::clean_fixtures::{self as fx, clip};
use common::{Workspace, stderr, stdout, verdict};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

const MAP_IMAGE: &str = "id = \"id\"\nprompt = \"prompt\"\nchosen = \"chosen\"\nrejected = \"rejected\"\n\
[[media]]\nfield = \"image\"\nkind = \"image\"\n";
const MAP_TEXT: &str = "id = \"id\"\nprompt = \"prompt\"\nchosen = \"chosen\"\nrejected = \"rejected\"\n";

fn run(args: &[&str]) -> String {
    let o = verdict(args);
    assert!(o.status.success(), "verdict {args:?}: {}", stderr(&o));
    stdout(&o)
}

fn import_mapped(ws: &Workspace, project: &Path, file: &Path, mapping: &str) {
    let map = ws.write(&format!("{}.toml", file.file_stem().and_then(|s| s.to_str()).unwrap_or("m")), mapping);
    run(&["import", "--project", s(project), "--map", s(&map), s(file)]);
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

fn row(id: &str, prompt: &str, media: Option<(&str, &str)>) -> String {
    let mut v = serde_json::json!({"id": id, "prompt": prompt, "chosen": format!("good answer to {id}"),
                                   "rejected": format!("poor answer to {id}")});
    if let Some((field, path)) = media {
        v[field] = path.into();
    }
    v.to_string() + "\n"
}

/// The groups of `kind` as lists of source keys, keeper first.
fn groups(project: &Path, kind: &str) -> Vec<Vec<String>> {
    run(&["dups", s(project), "--kind", kind, "--json"])
        .lines()
        .map(|l| {
            let g: serde_json::Value = serde_json::from_str(l).expect("json");
            assert_eq!(g["kind"], kind);
            g["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| m["key"].as_str().expect("key").to_owned())
                .collect()
        })
        .collect()
}

fn pairs_of(groups: &[Vec<String>]) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for g in groups {
        for (i, a) in g.iter().enumerate() {
            for b in &g[i + 1..] {
                out.insert((a.clone().min(b.clone()), a.clone().max(b.clone())));
            }
        }
    }
    out
}

/// Precision and recall of found pairs against pairs whose keys share `label(key)`.
fn score(
    found: &BTreeSet<(String, String)>,
    keys: &[String],
    label: impl Fn(&str) -> String,
) -> (f64, f64, Vec<String>) {
    let mut truth = BTreeSet::new();
    for (i, a) in keys.iter().enumerate() {
        for b in &keys[i + 1..] {
            if label(a) == label(b) {
                truth.insert((a.clone().min(b.clone()), a.clone().max(b.clone())));
            }
        }
    }
    let wrong: Vec<String> =
        found.iter().filter(|p| label(&p.0) != label(&p.1)).map(|p| format!("{} ~ {}", p.0, p.1)).collect();
    let hit = found.intersection(&truth).count() as f64;
    let precision = if found.is_empty() { 1.0 } else { hit / found.len() as f64 };
    let recall = if truth.is_empty() { 1.0 } else { hit / truth.len() as f64 };
    (precision, recall, wrong)
}

/// `n` base pictures, each with its four changed copies, as image files and a JSONL of samples
/// keyed `img-<base>-<variant>` (variant `orig` for the original), each with a prompt of its own.
fn image_fixture(
    ws: &Workspace,
    name: &str,
    bases: std::ops::Range<u64>,
    variants: &[&str],
) -> (std::path::PathBuf, Vec<String>) {
    let mut jsonl = String::new();
    let mut keys = Vec::new();
    for b in bases {
        let original = fx::picture(b, 256, 192);
        for how in variants {
            let img = if *how == "orig" { original.clone() } else { fx::variant(&original, how) };
            let file = format!("{name}_img/{b}_{how}.jpg");
            ws.write(&file, fx::jpeg_bytes(&img, 88));
            let key = format!("img-{b}-{how}");
            let prompt = fx::prompt(b * 100 + keys.len() as u64 + 10_000, 12).join(" ");
            jsonl += &row(&key, &prompt, Some(("image", &file)));
            keys.push(key);
        }
    }
    (ws.write(&format!("{name}.jsonl"), jsonl), keys)
}

const ALL_VARIANTS: &[&str] = &["orig", "reencoded", "resized", "cropped", "brightened"];

fn base_of(key: &str) -> String {
    key.split('-').nth(1).unwrap_or_default().to_owned()
}

#[test]
fn near_duplicate_images_are_grouped_with_their_originals_and_unrelated_ones_never() {
    let ws = Workspace::new();
    let project = ws.project();
    let (file, keys) = image_fixture(&ws, "imgs", 0..24, ALL_VARIANTS);
    import_mapped(&ws, &project, &file, MAP_IMAGE);
    let report: serde_json::Value =
        serde_json::from_str(&run(&["dedup", s(&project), "--images", "--json"])).expect("json report");
    assert_eq!(report["media"]["fingerprinted"], 120, "{report}");
    let found = pairs_of(&groups(&project, "image"));
    let (precision, recall, wrong) = score(&found, &keys, base_of);
    // Each kind of change on its own: a copy in its original's group.
    let caught: Vec<(&str, usize)> = ALL_VARIANTS[1..]
        .iter()
        .map(|how| {
            let n = (0..24)
                .filter(|b| {
                    let (x, y) = (format!("img-{b}-{how}"), format!("img-{b}-orig"));
                    found.contains(&(x.clone().min(y.clone()), x.max(y)))
                })
                .count();
            (*how, n)
        })
        .collect();
    assert!(wrong.is_empty(), "unrelated pictures grouped: {wrong:?}");
    assert!(
        precision >= 0.9 && recall >= 0.9,
        "precision {precision:.3}, recall {recall:.3}; copies found: {caught:?}"
    );
    for (how, n) in &caught {
        assert!(*n >= 22, "{how}: {n} of 24 copies found with their original");
    }
    // The query field and the exclusion: every image group member but the first.
    let extra: u64 = run(&["search", s(&project), "dup:extra-image", "--count"]).trim().parse().expect("count");
    let groups_n = groups(&project, "image").len() as u64;
    assert_eq!(extra, 120 - groups_n, "every member but each group's first");
}

#[test]
fn reworded_prompts_and_copied_rows_are_the_same_question_and_exclusion_is_one_undoable_operation() {
    let ws = Workspace::new();
    let project = ws.project();
    let (mut a, mut b) = (String::new(), String::new());
    let mut keys = Vec::new();
    for q in 0..20u64 {
        let words = fx::prompt(q, 20);
        a += &row(&format!("q-{q}-orig"), &words.join(" "), None);
        a += &row(&format!("q-{q}-reworded"), &fx::reword(&words, q).join(" "), None);
        keys.push(format!("q-{q}-orig"));
        keys.push(format!("q-{q}-reworded"));
        if q % 2 == 0 {
            // The same row copied into a second release.
            b += &row(&format!("q-{q}-copy"), &words.join(" "), None);
            keys.push(format!("q-{q}-copy"));
        }
    }
    for u in 0..20u64 {
        a += &row(&format!("u-{u}-alone"), &fx::prompt(1000 + u, 20).join(" "), None);
        keys.push(format!("u-{u}-alone"));
    }
    import_mapped(&ws, &project, &ws.write("release1.jsonl", a), MAP_TEXT);
    import_mapped(&ws, &project, &ws.write("release2.jsonl", b), MAP_TEXT);
    run(&["dedup", s(&project), "--text", "prompts"]);
    let label = |k: &str| {
        let parts: Vec<&str> = k.split('-').collect();
        if parts[0] == "u" { k.to_owned() } else { parts[1].to_owned() }
    };
    for kind in ["prompt", "sample"] {
        let found = pairs_of(&groups(&project, kind));
        let (precision, recall, wrong) = score(&found, &keys, label);
        assert!(wrong.is_empty(), "{kind}: unrelated prompts grouped: {wrong:?}");
        assert!(precision >= 0.9 && recall >= 0.9, "{kind}: precision {precision:.3}, recall {recall:.3}");
    }
    // `--exclude` keeps each group's first (import order) and excludes the rest, as one operation.
    let out: serde_json::Value = serde_json::from_str(&run(&[
        "dedup",
        s(&project),
        "--text",
        "prompts",
        "--exclude",
        "--json",
        "--curator",
        "ana",
    ]))
    .expect("json");
    let excluded = out["excluded"]["changed"].as_u64().expect("changed");
    assert_eq!(excluded, 30, "20 rewordings and 10 copies: {out}");
    let n = |q: &str| -> u64 { run(&["search", s(&project), q, "--count"]).trim().parse().expect("count") };
    assert_eq!(n("excluded:duplicate"), 30);
    assert_eq!(n("dup:extra excluded:duplicate"), 30);
    assert_eq!(n("key:q-3-orig is:excluded"), 0, "the first of a group stays");
    run(&["undo", s(&project), "--curator", "ana"]);
    assert_eq!(n("is:excluded"), 0, "one undo takes the whole exclusion back");
}

fn media_map(kind: &str) -> String {
    format!(
        "id = \"id\"\nprompt = \"prompt\"\nchosen = \"chosen\"\nrejected = \"rejected\"\n[[media]]\nfield = \"media\"\nkind = \"{kind}\"\n"
    )
}

#[test]
fn a_trimmed_re_encoded_video_and_a_re_encoded_audio_clip_are_found_and_other_clips_are_not() {
    let ws = Workspace::new();
    let project = ws.project();
    let mut v = String::new();
    // Media paths resolve inside the data file's folder: the clips are copied there.
    let copy = |f: &str| {
        ws.write(&format!("clips/{f}"), std::fs::read(clip(f)).expect("fixture clip"));
        format!("clips/{f}")
    };
    for (i, f) in ["v_base.mp4", "v_trimmed_reencoded.mp4", "v_other.mp4", "v_other2.mp4"].iter().enumerate() {
        v += &row(&format!("video-{f}"), &format!("question {i} about a clip"), Some(("media", &copy(f))));
    }
    let mut a = String::new();
    for (i, f) in ["a_base.mp3", "a_reencoded.mp3", "a_other.mp3"].iter().enumerate() {
        a += &row(&format!("audio-{f}"), &format!("question {i} about a sound"), Some(("media", &copy(f))));
    }
    import_mapped(&ws, &project, &ws.write("videos.jsonl", v), &media_map("video"));
    import_mapped(&ws, &project, &ws.write("sounds.jsonl", a), &media_map("audio"));
    let report: serde_json::Value =
        serde_json::from_str(&run(&["dedup", s(&project), "--video", "--audio", "--json"])).expect("json");
    assert_eq!(report["media"]["fingerprinted"], 7, "{report}");
    assert_eq!(report["media"]["failed"], 0, "{report}");
    assert_eq!(
        groups(&project, "video"),
        [vec!["video-v_base.mp4".to_owned(), "video-v_trimmed_reencoded.mp4".to_owned()]],
        "the trimmed copy alone"
    );
    assert_eq!(groups(&project, "audio"), [vec!["audio-a_base.mp3".to_owned(), "audio-a_reencoded.mp3".to_owned()]]);
}

#[test]
fn contamination_is_listed_by_image_and_prompt_and_neither_it_nor_the_reference_set_is_exported() {
    let ws = Workspace::new();
    let project = ws.project();
    // The benchmark: five questions with pictures.
    let mut bench = String::new();
    for b in 0..5u64 {
        let file = format!("bench_img/{b}.jpg");
        ws.write(&file, fx::jpeg_bytes(&fx::picture(500 + b, 256, 192), 90));
        bench += &row(&format!("bench-{b}"), &fx::prompt(500 + b, 15).join(" "), Some(("image", &file)));
    }
    // Training data: two leaked pictures (changed), two leaked questions (one reworded), six clean.
    let mut train = String::new();
    for b in 0..2u64 {
        let file = format!("train_img/leak{b}.jpg");
        ws.write(&file, fx::jpeg_bytes(&fx::variant(&fx::picture(500 + b, 256, 192), "resized"), 80));
        train += &row(&format!("leak-image-{b}"), &fx::prompt(900 + b, 15).join(" "), Some(("image", &file)));
    }
    for b in 2..4u64 {
        let file = format!("train_img/other{b}.jpg");
        ws.write(&file, fx::jpeg_bytes(&fx::picture(700 + b, 256, 192), 80));
        let words = fx::prompt(500 + b, 15);
        let words = if b == 3 { fx::reword(&words, b) } else { words };
        train += &row(&format!("leak-prompt-{b}"), &words.join(" "), Some(("image", &file)));
    }
    for c in 0..6u64 {
        let file = format!("train_img/clean{c}.jpg");
        ws.write(&file, fx::jpeg_bytes(&fx::picture(800 + c, 256, 192), 80));
        train += &row(&format!("clean-{c}"), &fx::prompt(800 + c, 15).join(" "), Some(("image", &file)));
    }
    import_mapped(&ws, &project, &ws.write("bench.jsonl", bench), MAP_IMAGE);
    import_mapped(&ws, &project, &ws.write("train.jsonl", train), MAP_IMAGE);
    let out = run(&["contamination", s(&project), "--reference", "bench", "--json"]);
    let hits: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let found: BTreeSet<(String, String, String)> = hits
        .iter()
        .map(|h| {
            (
                h["key"].as_str().expect("key").to_owned(),
                h["reference"]["key"].as_str().expect("reference key").to_owned(),
                h["by"].as_str().expect("by").to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String)> = [
        ("leak-image-0", "bench-0", "image"),
        ("leak-image-1", "bench-1", "image"),
        ("leak-prompt-2", "bench-2", "prompt"),
        ("leak-prompt-3", "bench-3", "prompt"),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), (*c).to_owned()))
    .collect();
    assert_eq!(found, want);
    assert!(hits.iter().all(|h| h["position"].as_str().is_some_and(|p| p.starts_with("line "))), "{out}");
    let n = |q: &str| -> u64 { run(&["search", s(&project), q, "--count"]).trim().parse().expect("count") };
    assert_eq!(n("is:contaminated"), 4);
    assert_eq!(n("contaminated:prompt"), 2);
    run(&["contamination", s(&project), "--reference", "bench", "--exclude", "--curator", "ana"]);
    assert_eq!(n("excluded:contamination"), 4);
    // The export: neither the benchmark nor what it contaminated.
    let out_dir = ws.path("export");
    let report = common::export(&project, &out_dir, &["--format", "trl"]);
    assert_eq!(report["counts"]["rows_written"], 6, "{report}");
    let written = std::fs::read_to_string(out_dir.join("train.jsonl")).expect("train.jsonl");
    assert!(!written.contains("good answer to bench") && !written.contains("leak-"), "{written}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["counts"]["left_out"]["reference_set"], 5, "{}", manifest["counts"]);
    assert_eq!(manifest["cleaning"]["reference_sets"][0]["name"], "bench");
    assert_eq!(manifest["cleaning"]["contaminated_samples"], 4);
    // No longer a reference set: its hits are dropped and it is exported again.
    run(&["contamination", s(&project), "--reference", "bench", "--forget"]);
    assert_eq!(n("is:contaminated"), 0);
    let again = common::export(&project, &ws.path("export2"), &["--format", "trl"]);
    assert_eq!(again["counts"]["rows_written"], 11, "the benchmark's five and the six clean: {again}");
}

#[test]
fn a_split_keeps_every_duplicate_group_on_one_side() {
    let ws = Workspace::new();
    let project = ws.project();
    let mut jsonl = String::new();
    for q in 0..30u64 {
        // Long prompts: one word in forty changed is well above the threshold, where LSH's bands
        // find nearly every pair (at 0.8, a pair at 0.89 is a candidate nine times in ten).
        let words = fx::prompt(2000 + q, 40);
        jsonl += &row(&format!("q-{q}-a"), &words.join(" "), None);
        jsonl += &row(&format!("q-{q}-b"), &fx::reword(&words, q).join(" "), None);
    }
    import_mapped(&ws, &project, &ws.write("pairs.jsonl", jsonl), MAP_TEXT);
    run(&["dedup", s(&project), "--text", "prompts"]);
    assert_eq!(groups(&project, "prompt").len(), 30, "every planted pair found");
    let out_dir = ws.path("split");
    common::export(&project, &out_dir, &["--format", "trl", "--split", "test=0.5", "--seed", "4"]);
    let side_of = |file: &str| -> HashMap<String, &'static str> {
        let text = std::fs::read_to_string(out_dir.join(file)).expect("file");
        let side = if file.starts_with("train") { "train" } else { "test" };
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json");
                let chosen = v["chosen"].as_str().expect("chosen").to_owned();
                (chosen.trim_start_matches("good answer to ").to_owned(), side)
            })
            .collect()
    };
    let mut sides = side_of("train.jsonl");
    sides.extend(side_of("test.jsonl"));
    assert_eq!(sides.len(), 60);
    let test_n = sides.values().filter(|s| **s == "test").count();
    assert!(test_n > 0 && test_n < 60, "both sides used: {test_n} in test");
    for q in 0..30 {
        assert_eq!(sides[&format!("q-{q}-a")], sides[&format!("q-{q}-b")], "group {q} split across sides");
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("manifest.json")).expect("manifest")).expect("json");
    assert_eq!(manifest["counts"]["duplicate_pairs_across_split"], 0);
    assert_eq!(manifest["cleaning"]["runs"][0]["kind"], "dedup");
    assert_eq!(manifest["cleaning"]["runs"][0]["settings"]["threshold"], 0.8);
}

#[test]
fn a_dataset_added_later_is_fingerprinted_alone_and_its_duplicates_of_older_samples_found() {
    let ws = Workspace::new();
    let project = ws.project();
    let (first, _) = image_fixture(&ws, "first", 0..8, &["orig"]);
    import_mapped(&ws, &project, &first, MAP_IMAGE);
    let r1: serde_json::Value =
        serde_json::from_str(&run(&["dedup", s(&project), "--images", "--json"])).expect("json");
    assert_eq!(r1["media"]["fingerprinted"], 8);
    let (second, _) = image_fixture(&ws, "second", 4..12, &["resized"]);
    import_mapped(&ws, &project, &second, MAP_IMAGE);
    let r2: serde_json::Value =
        serde_json::from_str(&run(&["dedup", s(&project), "--images", "--json"])).expect("json");
    assert_eq!(r2["media"]["fingerprinted"], 8, "only the new dataset's pictures: {r2}");
    assert_eq!(r2["media"]["already"], 8, "{r2}");
    let found = pairs_of(&groups(&project, "image"));
    let want: BTreeSet<(String, String)> =
        (4..8).map(|b| (format!("img-{b}-orig"), format!("img-{b}-resized"))).collect();
    assert_eq!(found, want);
}

#[test]
fn a_pass_killed_midway_resumes_and_ends_with_the_groups_of_an_uninterrupted_one() {
    let ws = Workspace::new();
    let project = ws.project();
    let (file, _) = image_fixture(&ws, "many", 0..60, &["orig", "reencoded", "brightened"]);
    import_mapped(&ws, &project, &file, MAP_IMAGE);
    let copy = ws.path("copy.verdict");
    std::fs::copy(&project, &copy).expect("copy");
    run(&["dedup", s(&copy), "--images"]);
    let uninterrupted = groups(&copy, "image");
    assert!(!uninterrupted.is_empty());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_verdict"))
        .args(["dedup", s(&project), "--images"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    // Kill it once some fingerprints are committed and before all are.
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(2);
    let mut killed_at = None;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        let done = rusqlite::Connection::open_with_flags(&project, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT count(*) FROM fingerprints", [], |r| r.get::<_, i64>(0)))
            .unwrap_or(0);
        if done > 0 && done < 180 {
            child.kill().expect("kill -9");
            killed_at = Some(done);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let _ = child.wait();
    let killed_at = killed_at.expect("the pass was caught midway (make the fixture larger if it finished first)");
    let report: serde_json::Value =
        serde_json::from_str(&run(&["dedup", s(&project), "--images", "--json"])).expect("json");
    let already = report["media"]["already"].as_i64().expect("already");
    assert!(
        already >= killed_at && already < 180,
        "what was committed is not done again: {report}, {killed_at} at the kill"
    );
    assert_eq!(groups(&project, "image"), uninterrupted);
}

/// Cancels its job when the job reaches a phase.
struct CancelAt {
    phase: &'static str,
    token: verdict::jobs::CancelToken,
}

impl verdict::jobs::ProgressSink for CancelAt {
    fn update(&self, u: &verdict::jobs::ProgressUpdate) {
        if u.phase == self.phase {
            self.token.cancel();
        }
    }
}

#[test]
fn a_pass_cancelled_while_grouping_leaves_the_previous_groups_whole() {
    let ws = Workspace::new();
    let project = ws.project();
    let (file, _) = image_fixture(&ws, "first", 0..6, &["orig", "reencoded"]);
    import_mapped(&ws, &project, &file, MAP_IMAGE);
    run(&["dedup", s(&project), "--images"]);
    let before = groups(&project, "image");
    assert_eq!(before.len(), 6);
    // A second dataset with more copies; the pass over it is cancelled once it groups samples.
    let (more, _) = image_fixture(&ws, "second", 0..6, &["brightened"]);
    import_mapped(&ws, &project, &more, MAP_IMAGE);
    let mut store = verdict::store::Store::open(&project).expect("opens");
    let token = verdict::jobs::CancelToken::new();
    let sink = std::sync::Arc::new(CancelAt { phase: "grouping samples", token: token.clone() });
    let mut progress = verdict::jobs::Progress::new(sink, token);
    let result = verdict::clean::dedup::run(&mut store, &verdict::clean::dedup::DedupOptions::default(), &mut progress);
    assert!(matches!(result, Err(verdict::clean::CleanError::Cancelled)), "{:?}", result.err());
    drop(store);
    assert_eq!(groups(&project, "image"), before, "no kind was replaced");
    // What it fingerprinted is kept: the next pass only groups.
    let report: serde_json::Value =
        serde_json::from_str(&run(&["dedup", s(&project), "--images", "--json"])).expect("json");
    assert_eq!(report["media"]["fingerprinted"], 0, "{report}");
    assert_eq!(groups(&project, "image").iter().map(Vec::len).collect::<Vec<_>>(), [3; 6]);
}
