//! Presets of the prompt/chosen/rejected and LLaVA-conversation families, imported end to end
//! through the library API into an in-memory project, on real rows (tests/fixtures/samples, copied
//! from public sources) and rows written by the tests in each dataset's documented layout.

mod common;
use arrow_array::builder::BinaryBuilder;
use arrow_array::{Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use common::Workspace;
use std::path::Path;
use std::sync::Arc;
use verdict::ingest::{ImportOptions, ImportSummary, import_file};
use verdict::jobs::Progress;
use verdict::model::{JudgmentKind, MediaKind, ProbeStatus, SampleId};
use verdict::store::{SampleView, Store};

fn import(store: &mut Store, path: &Path, options: &ImportOptions) -> ImportSummary {
    import_file(store, path, options, &mut Progress::silent()).expect("imports")
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples").join(name)
}

fn samples(store: &Store) -> Vec<SampleView> {
    let n = store.sample_count().expect("count") as i64;
    (1..=n).map(|i| store.sample(SampleId(i)).expect("sample")).collect()
}

#[test]
fn povid_real_row_splits_the_conversation_and_keeps_a_missing_image_as_a_warning() {
    let mut store = Store::open_in_memory().expect("store");
    let s = import(&mut store, &fixture("povid.json"), &ImportOptions::default());
    assert_eq!((s.preset.as_str(), s.samples_added, s.errors, s.warnings), ("povid", 1, 0, 1));
    let v = &samples(&store)[0];
    assert_eq!(v.prompt, "<image>\nDescribe this image in detail.");
    assert!(v.responses[0].text.as_deref().expect("text").starts_with("This is a vintage black and white image"));
    assert!(v.responses[1].text.as_deref().expect("text").starts_with("This vintage black and white image showcases"));
    assert_eq!(v.source_key.as_deref(), Some("COCO_train2014_000000353952"));
    assert_eq!(v.media[0].probe_status, ProbeStatus::Unresolved);
    assert_eq!(v.media[0].path.as_deref(), Some("./data/coco/COCO_train2014_000000353952.jpg"));
    assert_eq!((v.judgments[0].chosen, v.judgments[0].rejected), (Some(0), Some(1)));
}

#[test]
fn spa_vl_and_mdpo_real_rows_keep_ids_as_text_and_the_original_type_in_extras() {
    let mut store = Store::open_in_memory().expect("store");
    assert_eq!(
        import(&mut store, &fixture("spa-vl_rlhf_training_format.json"), &ImportOptions::default()).preset,
        "spa-vl"
    );
    assert_eq!(
        import(&mut store, &fixture("mdpo_sample_data_vlfeedback-derived.json"), &ImportOptions::default()).preset,
        "mdpo"
    );
    let all = samples(&store);
    assert_eq!(all.len(), 3);
    let spa = &all[0];
    assert_eq!(spa.source_key.as_deref(), Some("233"));
    assert!(spa.extras.as_deref().expect("extras").contains("\"id\":233"), "{:?}", spa.extras);
    assert!(all[1].prompt.contains("<image>"), "mDPO keeps the baked-in template: {}", all[1].prompt);
    assert_eq!(all[1].media[0].field, "img_path");
}

#[test]
fn llava_rlhf_preference_two_means_the_second_output_wins() {
    let ws = Workspace::new();
    ws.write("imgs/a.jpg", common::jpeg(16, 16, 3));
    let file = ws.write(
        "llava_rlhf.json",
        r#"[{"image": "imgs/a.jpg", "conversations": [{"from": "human", "value": "<image>\nWhat is it?"}, {"from": "gpt", "value": "A square."}],
            "output_1": {"from": "gpt", "value": "A circle."}, "output_2": {"from": "gpt", "value": "A square."}, "preference": 2},
           {"image": "imgs/a.jpg", "conversations": [{"from": "human", "value": "x"}], "output_1": {"from": "gpt", "value": "a"},
            "output_2": {"from": "gpt", "value": "b"}, "preference": 3}]"#,
    );
    let mut store = Store::open_in_memory().expect("store");
    let s = import(&mut store, &file, &ImportOptions::default());
    assert_eq!((s.preset.as_str(), s.samples_added, s.errors), ("llava-rlhf", 1, 1));
    let v = &samples(&store)[0];
    assert_eq!((v.judgments[0].chosen, v.judgments[0].rejected), (Some(1), Some(0)));
    assert_eq!(v.responses[1].text.as_deref(), Some("A square."));
    assert_eq!(v.media[0].facts.width, Some(16));
    let issue = &store.import_issues(v.dataset_id, 10).expect("issues")[0];
    assert_eq!((issue.row_index, issue.field.as_deref()), (Some(1), Some("preference")));
}

#[test]
fn rlhf_v_converted_to_llava_layout_reads_conversations_plus_rejected() {
    let ws = Workspace::new();
    let file = ws.write(
        "rlhfv.json",
        r#"[{"image": "x.jpg", "conversations": [{"from": "human", "value": "What are the key features?"},
             {"from": "gpt", "value": "A young man in a white shirt."}], "rejected": "A young man in white pants.",
             "origin_dataset": "LCS-558K", "origin_split": "{\"model\": \"InstructBLIP\"}", "idx": 0}]"#,
    );
    let mut store = Store::open_in_memory().expect("store");
    assert_eq!(import(&mut store, &file, &ImportOptions::default()).preset, "llava-rejected");
    let v = &samples(&store)[0];
    assert_eq!(v.prompt, "What are the key features?");
    assert_eq!(v.responses[0].text.as_deref(), Some("A young man in a white shirt."));
    assert_eq!(v.responses[1].text.as_deref(), Some("A young man in white pants."));
}

#[test]
fn ha_dpo_desc_keyed_by_image_id_gives_one_sample_per_pair_through_the_id_pattern() {
    let ws = Workspace::new();
    ws.write("vg/VG_100K/2345.jpg", common::jpeg(20, 10, 5));
    let file = ws.write(
        "desc.json",
        r#"{"2345": {"chosen": ["A red bus.", "A bus on a street."], "rejected": ["A blue car.", "A train."]},
            "777": {"chosen": ["Only one."], "rejected": ["Wrong one.", "Wrong two."]}}"#,
    );
    let options = ImportOptions {
        media_root: Some(ws.path("vg")),
        id_pattern: Some("VG_100K/{id}.jpg".into()),
        ..ImportOptions::default()
    };
    let mut store = Store::open_in_memory().expect("store");
    let s = import(&mut store, &file, &options);
    assert_eq!((s.preset.as_str(), s.samples_added, s.warnings), ("ha-dpo-desc", 4, 2));
    let all = samples(&store);
    assert_eq!(all[0].source_key.as_deref(), Some("2345"));
    assert_eq!((all[1].sub_index, all[1].responses[1].text.as_deref()), (1, Some("A train.")));
    assert_eq!(all[0].media[0].facts.width, Some(20));
    // Lists of different lengths pair every chosen with every rejected.
    assert_eq!(all[3].responses[1].text.as_deref(), Some("Wrong two."));
    assert_eq!(all[3].media[0].probe_status, ProbeStatus::Unresolved);
}

#[test]
fn ha_dpo_pope_reads_the_reject_key() {
    let ws = Workspace::new();
    let file = ws.write(
        "pope.json",
        r#"[{"image_id": 11, "question": "Is there a dog?", "answer": "no", "chosen": "No, there is no dog.", "reject": "Yes, a dog.", "correct": 1}]"#,
    );
    let mut store = Store::open_in_memory().expect("store");
    assert_eq!(import(&mut store, &file, &ImportOptions::default()).preset, "ha-dpo-pope");
    let v = &samples(&store)[0];
    assert_eq!(v.responses[1].text.as_deref(), Some("Yes, a dog."));
    assert_eq!(v.media[0].path.as_deref(), Some("11.jpg"));
    assert!(v.extras.as_deref().expect("extras").contains("\"answer\":\"no\""));
}

fn write_rlhf_v(path: &Path, texts: &[&str], image: &[u8]) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ds_name", DataType::Utf8, true),
        Field::new("image", DataType::Struct(common::hf_media_fields()), true),
        Field::new("text", DataType::Utf8, true),
        Field::new("idx", DataType::Int64, true),
        Field::new("signature", DataType::Binary, true),
    ]));
    let n = texts.len();
    let mut sig = BinaryBuilder::new();
    for _ in 0..n {
        sig.append_value([0xde, 0xad]);
    }
    let image_col = common::hf_media_column(&vec![(Some(image), None); n]);
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["RLHF-V"; n])),
            Arc::new(image_col),
            Arc::new(StringArray::from(texts.to_vec())),
            Arc::new(Int64Array::from((0..n as i64).collect::<Vec<_>>())),
            Arc::new(sig.finish()),
        ],
    )
    .expect("batch");
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(path).expect("create"), schema, None)
        .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

#[test]
fn rlhf_v_parses_json_inside_text_as_a_correction_and_keeps_unknown_binary_columns() {
    let ws = Workspace::new();
    let file = ws.path("rlhfv.parquet");
    write_rlhf_v(
        &file,
        &[r#"{"question": "What is on the table?", "chosen": "A cup.", "rejected": "A cup and a dog."}"#, "not json {"],
        &common::jpeg(12, 8, 1),
    );
    let mut store = Store::open_in_memory().expect("store");
    let s = import(&mut store, &file, &ImportOptions::default());
    assert_eq!((s.preset.as_str(), s.samples_added, s.errors), ("rlhf-v", 1, 1));
    let v = &samples(&store)[0];
    assert_eq!(v.prompt, "What is on the table?");
    assert_eq!(v.judgments[0].kind, JudgmentKind::Correction);
    assert_eq!(v.source_key.as_deref(), Some("0"));
    let extras: serde_json::Value = serde_json::from_str(v.extras.as_deref().expect("extras")).expect("json");
    let hash = extras["signature"]["$blob"].as_str().expect("binary extra stored as a blob");
    assert_eq!(store.blob(hash).expect("blob"), vec![0xde, 0xad]);
    assert_eq!(extras["idx"], 0, "the integer id keeps its type");
    let issue = &store.import_issues(v.dataset_id, 10).expect("issues")[0];
    assert_eq!((issue.row_index, issue.field.as_deref()), (Some(1), Some("text")));
    assert!(issue.message.contains("expected JSON inside the string"), "{}", issue.message);
}

#[test]
fn opa_dpo_from_an_arrow_stream_with_raw_image_bytes() {
    let ws = Workspace::new();
    let file = ws.path("data-00000-of-00001.arrow");
    let schema = Arc::new(Schema::new(vec![
        Field::new("queries", DataType::Utf8, true),
        Field::new("image_bytes", DataType::Binary, true),
        Field::new("standard_response", DataType::Utf8, true),
        Field::new("AI_pseudo_response", DataType::Utf8, true),
        Field::new("original_generate_response", DataType::Utf8, true),
        Field::new("AI_json_report", DataType::Utf8, true),
    ]));
    let png = common::png(30, 20);
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["Describe the image."])),
            Arc::new(arrow_array::BinaryArray::from(vec![png.as_slice()])),
            Arc::new(StringArray::from(vec!["A navy square."])),
            Arc::new(StringArray::from(vec!["A dark blue square."])),
            Arc::new(StringArray::from(vec!["A dark blue square with a cat."])),
            Arc::new(StringArray::from(vec![r#"{"hallucinations": ["cat"]}"#])),
        ],
    )
    .expect("batch");
    let mut w = arrow_ipc::writer::StreamWriter::try_new(std::fs::File::create(&file).expect("create"), &schema)
        .expect("writer");
    w.write(&batch).expect("write");
    w.finish().expect("finish");

    let mut store = Store::open_in_memory().expect("store");
    let s = import(&mut store, &file, &ImportOptions::default());
    assert_eq!((s.preset.as_str(), s.format.as_str(), s.samples_added), ("opa-dpo", "arrow", 1));
    let v = &samples(&store)[0];
    assert_eq!(v.judgments[0].kind, JudgmentKind::Correction);
    assert_eq!((v.judgments[0].chosen, v.judgments[0].rejected), (Some(1), Some(0)));
    assert!(v.judgments[0].detail.as_deref().expect("detail").contains("hallucinations"));
    assert_eq!(v.responses.len(), 3);
    assert_eq!(
        (v.media[0].kind, v.media[0].facts.width, v.media[0].facts.height),
        (MediaKind::Image, Some(30), Some(20))
    );
    assert!(v.extras.as_deref().expect("extras").contains("AI_json_report"), "raw report text kept");
}

#[test]
fn a_json_syntax_error_keeps_the_rows_before_it_and_reports_where() {
    let ws = Workspace::new();
    let file = ws.write(
        "broken.json",
        "[{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"},\n {\"prompt\": \"d\", \"chosen\": \"e\", \"rejected\": \"f\"},\n {\"prompt\": oops}]",
    );
    let mut store = Store::open_in_memory().expect("store");
    let s = import(&mut store, &file, &ImportOptions::default());
    assert_eq!((s.samples_added, s.errors), (2, 1));
    let issue = &store.import_issues(s.dataset_id, 10).expect("issues")[0];
    // Reading stopped in the element at index 2; the message names the text's line and column.
    assert_eq!(issue.row_index, Some(2));
    assert_eq!(issue.position("json").map(|p| p.to_string()).as_deref(), Some("index 2"));
    assert_eq!(issue.message, "malformed JSON at line 3 column 13: expected value; the rest of the file is not read");
}

#[test]
fn original_judgments_can_never_be_updated() {
    let ws = Workspace::new();
    let file = ws.write("p.jsonl", "{\"prompt\": \"a\", \"chosen\": \"b\", \"rejected\": \"c\"}\n");
    let mut store = Store::open_in_memory().expect("store");
    import(&mut store, &file, &ImportOptions::default());
    let err = store.conn().execute("UPDATE judgments SET chosen = 1, rejected = 0", []).expect_err("refused");
    assert!(err.to_string().contains("never modified"), "{err}");
    let chosen: i64 = store.conn().query_row("SELECT chosen FROM judgments", [], |r| r.get(0)).expect("query");
    assert_eq!(chosen, 0);
}
