//! The trainers themselves on Verdict's exports (`scripts/train_check.py`): TRL's `DPOTrainer`
//! runs two steps on a tiny randomly initialized Llama (text) and LLaVA (images, JSONL and
//! Parquet); OpenRLHF's `RewardDataset` reads its message-list form with the chat template and its
//! string form without; ms-swift loads image and text exports and encodes them for DPO. What each
//! read is checked against the fixtures: the system messages and earlier turns, the images, and
//! margins equal to the fixtures' score differences. The Python environments come from
//! `scripts/python-env.sh` (the README's test command makes them): `VERDICT_PYTHON` (target/pyenv)
//! runs TRL and OpenRLHF, `VERDICT_SWIFT_PYTHON` (target/pyenv-swift) ms-swift.

mod common;
use common::{Workspace, jpeg, png, stderr, stdout, write_rlaif_parquet};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The interpreter named by `var`, else the one `scripts/python-env.sh` makes in `env_dir`.
fn interpreter(var: &str, env_dir: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(var) {
        return PathBuf::from(p);
    }
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(env_dir).join("bin/python");
    assert!(
        local.is_file(),
        "the trainers' Python environment {env_dir} is missing: run scripts/test.sh (or scripts/python-env.sh) first"
    );
    local
}

/// Runs `scripts/train_check.py ARGS` (the command, the export folder, the file, flags); what the
/// trainer read, as JSON.
fn train_check(python: &Path, args: &[&str]) -> Value {
    let o = std::process::Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/train_check.py"))
        .args(args)
        .output()
        .expect("runs python");
    let err = stderr(&o);
    // Progress bars fill stderr; the trainer's own error is at its end.
    let tail = &err[err.len().saturating_sub(6000)..];
    assert!(o.status.success(), "{args:?}: the trainer refused the export:\n{tail}");
    serde_json::from_str(stdout(&o).trim()).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", stdout(&o)))
}

fn trl(args: &[&str]) -> Value {
    train_check(&interpreter("VERDICT_PYTHON", "target/pyenv"), args)
}

fn swift(args: &[&str]) -> Value {
    train_check(&interpreter("VERDICT_SWIFT_PYTHON", "target/pyenv-swift"), args)
}

fn dir(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("a list").iter().map(|s| s.as_str().expect("a string").to_owned()).collect()
}

/// The position of the one entry of `list` that contains `needle`.
fn find(list: &[String], needle: &str) -> usize {
    let hits: Vec<usize> = list.iter().enumerate().filter(|(_, s)| s.contains(needle)).map(|(i, _)| i).collect();
    assert_eq!(hits.len(), 1, "{needle:?} in exactly one of {list:#?}");
    hits[0]
}

/// A prompt as the tiny models' chat template renders it (Qwen2's `ChatML`) for generation.
fn chatml(turns: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (role, text) in turns {
        out.extend(["<|im_start|>", role, "\n", text, "<|im_end|>\n"]);
    }
    out + "<|im_start|>assistant\n"
}

/// LLaMA-Factory's `dpo_en_demo` in small: sharegpt ranking rows, some with a system message (as a
/// `system` column or a first `system` turn), some with earlier turns, some plain.
fn dpo_en_demo(ws: &Workspace) -> PathBuf {
    let turn = |from: &str, value: &str| json!({"from": from, "value": value});
    let rows = json!([
        {"conversations": [turn("human", "What is 2+2?")], "chosen": turn("gpt", "4"), "rejected": turn("gpt", "5"),
         "system": "You are a calculator."},
        {"conversations": [turn("system", "Answer in words."), turn("human", "What is 3+3?")],
         "chosen": turn("gpt", "Six."), "rejected": turn("gpt", "Nine.")},
        {"conversations": [turn("human", "Hi"), turn("gpt", "Hello! How can I help?"), turn("human", "Name a colour.")],
         "chosen": turn("gpt", "Blue."), "rejected": turn("gpt", "Seven.")},
        {"conversations": [turn("human", "Pick a number."), turn("gpt", "Seven."), turn("human", "Double it.")],
         "chosen": turn("gpt", "Fourteen."), "rejected": turn("gpt", "Eight."), "system": "Be exact."},
        {"conversations": [turn("human", "Say yes.")], "chosen": turn("gpt", "Yes."), "rejected": turn("gpt", "No.")},
        {"conversations": [turn("human", "Say no.")], "chosen": turn("gpt", "No."), "rejected": turn("gpt", "Yes.")},
    ]);
    ws.write("dpo_en_demo.json", serde_json::to_string_pretty(&rows).expect("json"))
}

/// The prompts of `dpo_en_demo` as the chat template renders them.
fn demo_prompts() -> Vec<String> {
    vec![
        chatml(&[("system", "You are a calculator."), ("user", "What is 2+2?")]),
        chatml(&[("system", "Answer in words."), ("user", "What is 3+3?")]),
        chatml(&[("user", "Hi"), ("assistant", "Hello! How can I help?"), ("user", "Name a colour.")]),
        chatml(&[("system", "Be exact."), ("user", "Pick a number."), ("assistant", "Seven."), ("user", "Double it.")]),
        chatml(&[("user", "Say yes.")]),
        chatml(&[("user", "Say no.")]),
    ]
}

/// (prompt, chosen score, rejected score): the LLaVA-DPO rows, scores exact in binary so that
/// their differences compare exactly.
const SCORED: [(&str, f64, f64); 3] =
    [("Rate the sky.", 8.5, 2.0), ("Rate the sea.", 7.25, 3.0), ("Rate the hill.", 9.0, 8.75)];

/// LLaVA-DPO research layout (`id, prompt, answer, chosen, rejected, chosen_score,
/// rejected_score`), text only.
fn llava_dpo_text(ws: &Workspace) -> PathBuf {
    let lines: String = SCORED
        .iter()
        .enumerate()
        .map(|(i, (q, c, r))| {
            json!({"id": format!("t{i}"), "prompt": q, "answer": "ref", "chosen": format!("good {i}"),
                   "rejected": format!("bad {i}"), "chosen_score": c, "rejected_score": r})
            .to_string()
                + "\n"
        })
        .collect();
    ws.write("llava_dpo_text.jsonl", lines)
}

/// The text project: `dpo_en_demo` and the scored LLaVA-DPO rows.
fn text_project(ws: &Workspace) -> PathBuf {
    let project = ws.project();
    common::import(&project, &dpo_en_demo(ws));
    common::import(&project, &llava_dpo_text(ws));
    project
}

/// Each image fixture row: its question and the sizes of its images.
type Images = Vec<(String, Vec<(u32, u32)>)>;

/// The image project: RLAIF-V Parquet with embedded JPEGs, LLaVA-DPO rows with PNG files and
/// scores, a MIA-DPO row with two images, and a text-only row.
fn image_project(ws: &Workspace) -> (PathBuf, Images) {
    let sizes = [(33, 21), (64, 48), (17, 90)];
    let rows: Vec<(String, String, String, Option<Vec<u8>>)> = sizes
        .iter()
        .enumerate()
        .map(|(i, (w, h))| {
            (format!("embedded {i}"), format!("yes {i}"), format!("no {i}"), Some(jpeg(*w, *h, i as u8)))
        })
        .collect();
    let borrowed: Vec<(&str, &str, &str, Option<Vec<u8>>)> =
        rows.iter().map(|(q, c, r, b)| (q.as_str(), c.as_str(), r.as_str(), b.clone())).collect();
    let parquet = ws.path("rlaif.parquet");
    write_rlaif_parquet(&parquet, &borrowed, 2);
    let mut expected: Images = sizes.iter().enumerate().map(|(i, s)| (format!("embedded {i}"), vec![*s])).collect();

    let mut lines = String::new();
    for (i, (w, h)) in [(40u32, 30u32), (25, 50)].iter().enumerate() {
        ws.write(&format!("img/{i}.png"), png(*w, *h));
        let (q, c, r) = SCORED[i];
        lines += &(json!({"id": format!("v{i}"), "prompt": format!("<image>\n{q}"), "answer": "ref",
                          "chosen": format!("seen {i}"), "rejected": format!("unseen {i}"),
                          "image": format!("img/{i}.png"), "chosen_score": c, "rejected_score": r})
        .to_string()
            + "\n");
        expected.push((q.to_owned(), vec![(*w, *h)]));
    }
    let llava = ws.write("llava_dpo.jsonl", lines);
    ws.write("img/a.png", png(20, 20));
    ws.write("img/b.png", png(36, 12));
    let mia = ws.write(
        "mia.json",
        json!([{"id": "m0", "image": ["img/a.png", "img/b.png"], "prompt": "Image1:<image>\nImage2:<image>\nWhich is wider?",
                "chosen": "The second.", "rejected": "The first.", "gt": "2"}])
        .to_string(),
    );
    expected.push(("Which is wider?".into(), vec![(20, 20), (36, 12)]));
    let text = ws.write("text.jsonl", "{\"prompt\": \"text only question\", \"chosen\": \"a\", \"rejected\": \"b\"}\n");
    expected.push(("text only question".into(), vec![]));
    let project = ws.project();
    for f in [&parquet, &llava, &mia, &text] {
        common::import(&project, f);
    }
    (project, expected)
}

#[test]
fn trl_dpo_trains_a_text_model_on_a_text_export_with_system_messages_and_earlier_turns() {
    let ws = Workspace::new();
    let project = text_project(&ws);
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(&format!("trl-{file_format}"));
        common::export(&project, &out, &["--format", "trl", "--file-format", file_format]);
        let seen = trl(&["trl-text", dir(&out), &format!("train.{file_format}")]);
        // No `images` column: DPOTrainer refuses a text model on any dataset that has one.
        assert_eq!(seen["columns"], json!(["prompt", "chosen", "rejected"]), "{file_format}: {seen}");
        assert_eq!(seen["rows"], 9, "{file_format}: {seen}");
        assert_eq!(seen["steps"], 2, "{file_format}: {seen}");
        assert_eq!(seen["finite"], true, "{file_format}: {seen}");
        // What the model was trained on: each prompt as TRL tokenized it, with its system message
        // and earlier turns in order (the chat template joins string contents).
        let prompts = strings(&seen["prompts"]);
        for want in demo_prompts() {
            assert!(prompts.contains(&want), "{file_format}: {want:?} not among {prompts:#?}");
        }
        let i = find(&prompts, "Rate the sky.");
        assert_eq!(prompts[i], chatml(&[("user", "Rate the sky.")]), "{file_format}: a plain prompt");
        assert_eq!(strings(&seen["chosen"])[i], "good 0<|im_end|>\n", "{file_format}");
    }
}

#[test]
fn trl_dpo_trains_a_vision_model_on_an_image_export_the_same_from_jsonl_and_parquet() {
    let ws = Workspace::new();
    let (project, expected) = image_project(&ws);
    let mut losses = Vec::new();
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(&format!("trl-{file_format}"));
        common::export(&project, &out, &["--format", "trl", "--file-format", file_format]);
        let seen = trl(&["trl-vision", dir(&out), &format!("train.{file_format}")]);
        assert_eq!(seen["rows"], expected.len(), "{file_format}: {seen}");
        assert_eq!(seen["steps"], 2, "{file_format}: {seen}");
        assert_eq!(seen["finite"], true, "{file_format}: {seen}");
        assert!(seen["columns"].as_array().expect("columns").contains(&json!("images")), "{seen}");
        let per_image = seen["tokens_per_image"].as_u64().expect("tokens per image");
        let prompts = strings(&seen["questions"]);
        let mut images = 0;
        for (q, sizes) in &expected {
            let i = find(&prompts, q);
            let want: Vec<Value> = sizes.iter().map(|(w, h)| json!([w, h])).collect();
            assert_eq!(seen["images"][i], json!(want), "{file_format}: the images of {q:?}");
            // Each image reached the model: its tokens in the prompt, its pixels in the batch.
            assert_eq!(seen["image_tokens"][i], per_image * sizes.len() as u64, "{file_format}: {q:?}: {seen}");
            images += sizes.len();
        }
        // The collator repeats the images for the chosen and the rejected side.
        assert_eq!(seen["pixel_values"][0], 2 * images, "{file_format}: {seen}");
        losses.push(seen["losses"].clone());
    }
    // Same rows, same images, same seed: Parquet's embedded bytes and JSONL's files train alike.
    let [jsonl, parquet] = [&losses[0], &losses[1]]
        .map(|l| l.as_array().expect("losses").iter().map(|x| x.as_f64().expect("a loss")).collect::<Vec<f64>>());
    assert_eq!(jsonl.len(), 2);
    for (a, b) in jsonl.iter().zip(&parquet) {
        assert!((a - b).abs() < 1e-5, "JSONL {jsonl:?} and Parquet {parquet:?} trained differently");
    }
}

#[test]
fn openrlhf_reads_the_message_form_with_its_chat_template_and_the_string_form_without() {
    let ws = Workspace::new();
    let project = text_project(&ws);
    // The default where samples have system messages or earlier turns: message lists.
    let out = ws.path("openrlhf-messages");
    common::export(&project, &out, &["--format", "openrlhf"]);
    let seen = trl(&["openrlhf", dir(&out), "train.jsonl", "--chat-template"]);
    assert_eq!(seen["rows"], 9, "{seen}");
    assert_eq!(seen["reward_rows"], 9, "{seen}");
    assert_eq!(seen["dpo_rows"], 9, "{seen}");
    let prompts = strings(&seen["prompts"]);
    for want in demo_prompts() {
        assert!(prompts.contains(&want), "{want:?} not among {prompts:#?}");
    }
    let i = find(&prompts, "Name a colour.");
    assert_eq!(strings(&seen["chosen"])[i], "Blue.<|im_end|>\n");
    assert_eq!(strings(&seen["rejected"])[i], "Seven.<|im_end|>\n");
    check_margins(&seen, &prompts);

    // The string form: what it cannot say (a system message, earlier turns) is left out.
    let out = ws.path("openrlhf-strings");
    common::export(&project, &out, &["--format", "openrlhf", "--form", "strings"]);
    let seen = trl(&["openrlhf", dir(&out), "train.jsonl"]);
    let prompts = strings(&seen["prompts"]);
    let mut want: Vec<String> = ["Say yes.", "Say no."].into_iter().map(String::from).collect();
    want.extend(SCORED.iter().map(|s| s.0.to_owned()));
    let mut sorted = prompts.clone();
    sorted.sort();
    want.sort();
    assert_eq!(sorted, want, "{seen}");
    assert_eq!(strings(&seen["chosen"])[find(&prompts, "Say no.")], "No.");
    check_margins(&seen, &prompts);
}

/// The margins OpenRLHF read (`preprocess_data`, and the reward model's batch): each scored row's
/// chosen score minus its rejected score, 0 (its reading of null) for rows without scores.
fn check_margins(seen: &Value, prompts: &[String]) {
    for key in ["margins", "reward_margins"] {
        for (i, prompt) in prompts.iter().enumerate() {
            let want = SCORED.iter().find(|s| prompt.contains(s.0)).map_or(0.0, |(_, c, r)| c - r);
            assert_eq!(seen[key][i].as_f64(), Some(want), "{key} of {prompt:?}: {seen}");
        }
    }
}

#[test]
fn ms_swift_loads_and_encodes_image_and_text_exports_for_dpo_with_their_margins() {
    let ws = Workspace::new();
    let project = text_project(&ws);
    let out = ws.path("swift-text");
    common::export(&project, &out, &["--format", "swift"]);
    let seen = swift(&["swift", dir(&out), "train.jsonl"]);
    assert_eq!(seen["rows"], 9, "{seen}");
    let messages = seen["messages"].as_array().expect("messages");
    let firsts: Vec<String> = messages.iter().map(Value::to_string).collect();
    let i = find(&firsts, "Pick a number.");
    assert_eq!(
        messages[i],
        json!([{"role": "system", "content": "Be exact."}, {"role": "user", "content": "Pick a number."},
               {"role": "assistant", "content": "Seven."}, {"role": "user", "content": "Double it."},
               {"role": "assistant", "content": "Fourteen."}])
    );
    assert_eq!(seen["rejected_response"][i], "Eight.");
    swift_margins(&seen, &firsts);

    let ws = Workspace::new();
    let (project, expected) = image_project(&ws);
    for file_format in ["jsonl", "parquet"] {
        let out = ws.path(&format!("swift-{file_format}"));
        common::export(&project, &out, &["--format", "swift", "--file-format", file_format]);
        // Read from another working directory: relative media paths resolve through ROOT_IMAGE_DIR.
        let seen = swift(&["swift", dir(&out), &format!("train.{file_format}"), "--vision"]);
        assert_eq!(seen["rows"], expected.len(), "{file_format}: {seen}");
        let firsts: Vec<String> = seen["messages"].as_array().expect("messages").iter().map(Value::to_string).collect();
        let mut images = 0;
        for (q, sizes) in &expected {
            let i = find(&firsts, q);
            assert_eq!(seen["images"][i], sizes.len(), "{file_format}: {q:?}");
            assert_eq!(seen["image_tokens"][i], 25 * sizes.len(), "{file_format}: {q:?}: {seen}");
            images += sizes.len();
        }
        assert_eq!(seen["pixel_values"][0], 2 * images, "{file_format}: {seen}");
        swift_margins(&seen, &firsts);
    }
}

/// ms-swift's encoded rows carry each scored row's margin (chosen minus rejected score) and no
/// margin for the others; its DPO batch reads those as 0.
fn swift_margins(seen: &Value, rows: &[String]) {
    let want: Vec<Option<f64>> =
        rows.iter().map(|row| SCORED.iter().find(|s| row.contains(s.0)).map(|(_, c, r)| c - r)).collect();
    assert!(want.iter().any(Option::is_some), "no scored row in {rows:?}");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(seen["margins"][i].as_f64(), want[i], "margin of {row}: {seen}");
    }
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(seen["batch_margin"][i].as_f64(), Some(want[i].unwrap_or(0.0)), "batch margin of {row}: {seen}");
    }
}
