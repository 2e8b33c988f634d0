//! The forms an export takes and what its manifest says about them: TRL's standard,
//! conversational text and conversational vision forms, OpenRLHF's strings and messages,
//! `--form`, the left-out reasons for what a string form cannot carry, margins from scores,
//! where relative media paths resolve, and LLaMA-Factory's frame folders beside video files.

mod common;
use common::export_fixtures::{self, RANKED, SCORED};
use common::{Workspace, export, import, png, stderr, verdict};
use serde_json::{Value, json};
use std::path::Path;

fn rows(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).expect("manifest")).expect("json")
}

/// The Parquet file's column names.
fn parquet_columns(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).expect("open");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet");
    reader.schema().fields().iter().map(|f| f.name().clone()).collect()
}

/// Every message of a row's prompt, chosen and rejected.
fn messages(row: &Value) -> Vec<&Value> {
    ["prompt", "chosen", "rejected"].iter().flat_map(|k| row[*k].as_array().expect("a message list")).collect()
}

fn conversations_project(ws: &Workspace) -> std::path::PathBuf {
    let project = ws.project();
    import(&project, &export_fixtures::conversations(ws));
    project
}

#[test]
fn trl_text_with_system_messages_and_turns_is_conversational_text_without_images() {
    let ws = Workspace::new();
    let project = conversations_project(&ws);
    let out = ws.path("trl");
    let report = export(&project, &out, &["--split", "test=0.5", "--seed", "3"]);
    assert_eq!(report["counts"]["rows_written"], 4, "{report}");
    let all: Vec<Value> = ["train.jsonl", "test.jsonl"].iter().flat_map(|f| rows(&out.join(f))).collect();
    assert_eq!(all.len(), 4);
    for row in &all {
        assert!(row.get("images").is_none(), "no images key in a text file: {row}");
        for m in messages(row) {
            assert!(m["content"].is_string(), "string content: {row}");
            assert_eq!(m.as_object().expect("object").len(), 2, "{{role, content}}: {m}");
        }
        assert_eq!(row["chosen"].as_array().expect("list").len(), 1);
        assert_eq!(row["chosen"][0]["role"], "assistant");
        assert_eq!(row["prompt"].as_array().expect("list").last().expect("last")["role"], "user");
    }
    let by_question = |q: &str| -> &Value {
        all.iter().find(|r| r["prompt"].to_string().contains(q)).unwrap_or_else(|| panic!("{q} written"))
    };
    assert_eq!(
        by_question("system question")["prompt"],
        json!([{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "system question"}])
    );
    assert_eq!(
        by_question("turns question")["prompt"],
        json!([{"role": "user", "content": "first turn"}, {"role": "assistant", "content": "first answer"},
               {"role": "user", "content": "turns question"}])
    );
    assert_eq!(by_question("plain question")["prompt"], json!([{"role": "user", "content": "plain question"}]));
    assert_eq!(by_question("plain question")["rejected"], json!([{"role": "assistant", "content": "plain bad"}]));
    // Both files of the split in the one form, said in the manifest.
    let m = manifest(&out);
    assert_eq!(
        m["target_details"]["forms"],
        json!({"train.jsonl": "conversational_text", "test.jsonl": "conversational_text"})
    );
    assert!(m["target_details"]["form_explanation"].as_str().expect("text").contains("no images column"));
    assert_eq!(m["options"]["form"], "auto");

    let pq = ws.path("trl-pq");
    export(&project, &pq, &["--file-format", "parquet"]);
    assert_eq!(parquet_columns(&pq.join("train.parquet")), ["prompt", "chosen", "rejected"], "no images column");
}

#[test]
fn trl_form_strings_leaves_out_what_it_cannot_say_and_messages_wraps_plain_prompts() {
    let ws = Workspace::new();
    let project = conversations_project(&ws);
    let out = ws.path("strings");
    let report = export(&project, &out, &["--form", "strings"]);
    let left = &report["counts"]["left_out"];
    assert_eq!(left["cannot_express:system_message"], 1, "only a system message: {report}");
    assert_eq!(left["cannot_express:earlier_turns"], 2, "earlier turns, with or without a system message: {report}");
    assert_eq!(
        rows(&out.join("train.jsonl")),
        [json!({"prompt": "plain question", "chosen": "plain good", "rejected": "plain bad"})]
    );
    assert_eq!(manifest(&out)["target_details"]["forms"], json!({"train.jsonl": "standard"}));
    let listed: Vec<&Value> = report["left_out"].as_array().expect("list").iter().collect();
    assert!(
        listed.iter().any(|l| l["reason"] == "cannot_express:system_message" && l["position"]["line"] == 1),
        "{listed:?}"
    );

    // The summary says why in words; the codes stay in the manifest.
    let o = verdict(&[
        "export",
        project.to_str().expect("utf8"),
        "--out",
        ws.path("strings-words").to_str().expect("utf8"),
        "--form",
        "strings",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let said = stderr(&o);
    assert!(said.contains("has a system message: TRL's string form has no place for it"), "{said}");
    assert!(said.contains("has earlier turns: TRL's string form has no place for them"), "{said}");
    assert!(!said.contains("cannot_express"), "{said}");

    // Plain prompts alone: standard by default, conversational text when asked.
    let plain = ws.path("plain");
    export(&project, &plain, &["--where", "\"plain question\""]);
    assert_eq!(manifest(&plain)["target_details"]["forms"], json!({"train.jsonl": "standard"}));
    let messages = ws.path("messages");
    export(&project, &messages, &["--where", "\"plain question\"", "--form", "messages"]);
    assert_eq!(
        rows(&messages.join("train.jsonl")),
        [json!({"prompt": [{"role": "user", "content": "plain question"}],
                "chosen": [{"role": "assistant", "content": "plain good"}],
                "rejected": [{"role": "assistant", "content": "plain bad"}]})]
    );
}

#[test]
fn trl_vision_keeps_typed_parts_and_its_text_rows_get_empty_images() {
    let ws = Workspace::new();
    let project = conversations_project(&ws);
    ws.write("img/0.png", png(12, 8));
    let image = ws.write(
        "mm.jsonl",
        json!({"prompt": "<image>\nimage question", "chosen": "image good", "rejected": "image bad", "image": "img/0.png"})
            .to_string()
            + "\n",
    );
    import(&project, &image);
    let out = ws.path("vision");
    export(&project, &out, &[]);
    let all = rows(&out.join("train.jsonl"));
    assert_eq!(all.len(), 5);
    for row in &all {
        let images = row["images"].as_array().expect("an images list on every row");
        let parts: usize = row["prompt"]
            .as_array()
            .expect("messages")
            .iter()
            .flat_map(|m| m["content"].as_array().expect("typed parts"))
            .filter(|p| p["type"] == "image")
            .count();
        assert_eq!(parts, images.len(), "one image part per image: {row}");
        assert!(row["chosen"][0]["content"][0]["type"] == "text", "{row}");
    }
    let text_row = all.iter().find(|r| r["prompt"].to_string().contains("system question")).expect("text row");
    assert_eq!(text_row["images"], json!([]));
    assert_eq!(
        text_row["prompt"][0],
        json!({"role": "system", "content": [{"type": "text", "text": "Answer in one word."}]})
    );
    let m = manifest(&out);
    assert_eq!(m["target_details"]["forms"], json!({"train.jsonl": "conversational_vision"}));
    let explained = m["target_details"]["form_explanation"].as_str().expect("text");
    assert!(explained.contains("vision-language model") && explained.contains("without images"), "{explained}");
}

#[test]
fn openrlhf_writes_messages_where_a_sample_has_turns_and_strings_on_request() {
    let ws = Workspace::new();
    let project = conversations_project(&ws);
    let out = ws.path("orl");
    let report = export(&project, &out, &["--format", "openrlhf"]);
    assert_eq!(report["counts"]["rows_written"], 4, "nothing left out: {report}");
    let all = rows(&out.join("train.jsonl"));
    for row in &all {
        // (serde_json's map sorts its keys.)
        assert_eq!(
            row.as_object().expect("object").keys().collect::<Vec<_>>(),
            ["chosen", "margin", "prompt", "rejected"]
        );
        assert!(row["margin"].is_null(), "no scores, no margin: {row}");
        for m in messages(row) {
            assert!(m["content"].is_string());
        }
    }
    let both = all.iter().find(|r| r["prompt"].to_string().contains("both question")).expect("written");
    assert_eq!(
        both["prompt"],
        json!([{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hello"},
               {"role": "assistant", "content": "hi"}, {"role": "user", "content": "both question"}])
    );
    assert_eq!(both["chosen"], json!([{"role": "assistant", "content": "both good"}]));
    assert_eq!(manifest(&out)["target_details"]["forms"], json!({"train.jsonl": "messages"}));

    let strings = ws.path("orl-strings");
    let report = export(&project, &strings, &["--format", "openrlhf", "--form", "strings"]);
    assert_eq!(report["counts"]["left_out"]["cannot_express:system_message"], 1, "{report}");
    assert_eq!(report["counts"]["left_out"]["cannot_express:earlier_turns"], 2, "{report}");
    assert_eq!(
        rows(&strings.join("train.jsonl")),
        [json!({"prompt": "plain question", "chosen": "plain good", "rejected": "plain bad", "margin": null})]
    );
    let pq = ws.path("orl-pq");
    export(&project, &pq, &["--format", "openrlhf", "--file-format", "parquet"]);
    assert_eq!(parquet_columns(&pq.join("train.parquet")), ["prompt", "chosen", "rejected", "margin"]);

    // The other formats have one form: asking for one is refused, saying so.
    let o = verdict(&[
        "export",
        project.to_str().expect("utf8"),
        "--out",
        ws.path("never").to_str().expect("utf8"),
        "--format",
        "swift",
        "--form",
        "messages",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--form messages applies to --format trl and openrlhf"), "{}", stderr(&o));
    assert!(!ws.path("never").exists());
}

#[test]
fn margins_are_the_score_differences_in_swift_and_openrlhf() {
    let ws = Workspace::new();
    let project = ws.project();
    import(&project, &export_fixtures::scored_pairs(&ws));
    let (ranked, mapping) = export_fixtures::scored_ranking(&ws);
    let o = verdict(&[
        "import",
        "--project",
        project.to_str().expect("utf8"),
        "--map",
        mapping.to_str().expect("utf8"),
        ranked.to_str().expect("utf8"),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // question text -> margin, for a row of either format.
    let margin_of = |row: &Value| -> (String, Option<f64>) {
        let prompt = match (&row["prompt"], &row["messages"]) {
            (Value::String(p), _) => p.clone(),
            (_, Value::Array(m)) => m[0]["content"].as_str().expect("text").to_owned(),
            other => panic!("no prompt in {other:?}"),
        };
        (prompt, row["margin"].as_f64())
    };
    for format in ["swift", "openrlhf"] {
        for extra in [&[][..], &["--aspect", "score"][..]] {
            let out = ws.path(&format!("{format}-{}", extra.len()));
            let mut args = vec!["--format", format];
            args.extend_from_slice(extra);
            export(&project, &out, &args);
            let got: Vec<(String, Option<f64>)> = rows(&out.join("train.jsonl")).iter().map(margin_of).collect();
            let mut want: Vec<(String, Option<f64>)> =
                SCORED.iter().map(|(q, c, r)| ((*q).to_owned(), Some(c - r))).collect();
            // Best over worst of each scored ranking.
            want.extend(RANKED.iter().map(|(q, s)| {
                let (best, worst) =
                    (s.iter().copied().fold(f64::MIN, f64::max), s.iter().copied().fold(f64::MAX, f64::min));
                ((*q).to_owned(), Some(best - worst))
            }));
            assert_eq!(got, want, "{format} {extra:?}");
        }
        // Every ordered pair of a ranking, each with its own difference.
        let out = ws.path(&format!("{format}-all"));
        export(&project, &out, &["--format", format, "--pairs", "all", "--where", "\"ranked question 0\""]);
        let got: Vec<Option<f64>> = rows(&out.join("train.jsonl")).iter().map(|r| margin_of(r).1).collect();
        // Scores 2, 7.5, 4: 7.5 > 4 > 2.
        assert_eq!(got, [Some(3.5), Some(5.5), Some(2.0)], "{format}");
    }

    // A curator's pick holds no score: its pair has no margin.
    let store = verdict::store::Store::open(&project).expect("store");
    let id: i64 = store
        .conn()
        .query_row("SELECT id FROM samples WHERE prompt = 'scored question 0'", [], |r| r.get(0))
        .expect("sample");
    drop(store);
    let o = verdict(&[
        "label",
        project.to_str().expect("utf8"),
        "--where",
        &format!("id:{id}"),
        "--swap",
        "--curator",
        "ana",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = ws.path("after-swap");
    export(&project, &out, &["--format", "openrlhf", "--where", "\"scored question 0\""]);
    assert_eq!(rows(&out.join("train.jsonl"))[0]["margin"], Value::Null);
}

#[test]
fn the_manifest_says_where_relative_media_paths_resolve() {
    let ws = Workspace::new();
    let project = ws.project();
    ws.write("img/0.png", png(12, 8));
    let file = ws.write(
        "mm.jsonl",
        json!({"prompt": "<image>\nq", "chosen": "a", "rejected": "b", "image": "img/0.png"}).to_string() + "\n",
    );
    import(&project, &file);
    let paths = |args: &[&str], name: &str| -> (Value, String) {
        let out = ws.path(name);
        export(&project, &out, args);
        let m = manifest(&out);
        let abs = out.canonicalize().expect("abs").display().to_string();
        (m["media_paths"].clone(), abs)
    };
    let (p, dir) = paths(&["--format", "swift"], "swift");
    assert_eq!(p["relative_to"], dir.as_str());
    let how = p["how"].as_str().expect("how");
    assert!(how.contains(&format!("ROOT_IMAGE_DIR={dir}")) && how.contains("working directory"), "{how}");
    let (p, dir) = paths(&["--format", "llamafactory"], "lf");
    assert_eq!(p["relative_to"], dir.as_str());
    assert!(p["how"].as_str().expect("how").contains("media_dir"), "{p}");
    let (p, dir) = paths(&["--format", "trl"], "trl");
    assert_eq!(p["relative_to"], dir.as_str());
    assert!(p["how"].as_str().expect("how").contains("working directory"), "{p}");
    let (p, _) = paths(&["--format", "trl", "--file-format", "parquet"], "trl-pq");
    assert_eq!(p["relative_to"], Value::Null, "embedded: {p}");
    let (p, _) = paths(&["--format", "swift", "--media", "reference"], "reference");
    assert_eq!(p["relative_to"], Value::Null, "absolute paths: {p}");
    assert!(p["how"].as_str().expect("how").contains("nothing to set"), "{p}");
}

#[test]
fn llamafactory_writes_frame_folders_beside_video_files_in_a_file_of_their_own() {
    let ws = Workspace::new();
    let project = ws.project();
    let (file, frames) = export_fixtures::videos(&ws);
    import(&project, &file);
    import(&project, &frames);
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(&format!("lf-{file_format}"));
        let report = export(&project, &out, &["--format", "llamafactory", "--file-format", file_format]);
        assert_eq!(report["counts"]["left_out"], json!({}), "nothing left out: {report}");
        let main = format!("train.{file_format}");
        let apart = format!("train_frames.{file_format}");
        assert_eq!(report["counts"]["rows_per_file"], json!({main.clone(): 2, apart.clone(): 2}));
        let info: Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("dataset_info.json")).expect("info")).expect("json");
        let name = format!("lf-{file_format}").replace('.', "_");
        assert_eq!(info[&name]["file_name"], main.as_str());
        assert_eq!(info[format!("{name}_frames")]["file_name"], apart.as_str());
        assert_eq!(info[format!("{name}_frames")]["ranking"], true);
        let how = manifest(&out)["target_details"]["how_to_load"].as_str().expect("how").to_owned();
        assert!(how.contains(&format!("{name}_frames")), "{how}");
        if file_format == "parquet" {
            continue;
        }
        for row in rows(&out.join(&main)) {
            let video = row["videos"][0].as_str().expect("a video file path");
            assert!(out.join(video).is_file(), "{video}");
        }
        for row in rows(&out.join(&apart)) {
            let frames = row["videos"][0].as_array().expect("a frame list");
            assert_eq!(frames.len(), 3);
            for f in frames {
                let f = f.as_str().expect("path");
                assert!(!Path::new(f).is_absolute() && out.join(f).is_file(), "{f} relative to the export folder");
            }
            let turns = row["conversations"].as_array().expect("turns");
            assert_eq!(turns.last().expect("last")["value"].as_str().expect("text").matches("<video>").count(), 1);
        }
    }
    // With a split, each side has both files and four entries name them.
    let out = ws.path("split");
    export(&project, &out, &["--format", "llamafactory", "--split", "test=0.5", "--seed", "1"]);
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("dataset_info.json")).expect("info")).expect("json");
    let mut entries: Vec<&String> = info.as_object().expect("object").keys().collect();
    entries.sort();
    assert_eq!(entries, ["split_test", "split_test_frames", "split_train", "split_train_frames"]);
    // Frame folders alone stay in the one file.
    let out = ws.path("frames-only");
    export(&project, &out, &["--format", "llamafactory", "--where", "dataset:video_frames"]);
    assert_eq!(rows(&out.join("train.jsonl")).len(), 2);
    assert!(!out.join("train_frames.jsonl").exists());
}
