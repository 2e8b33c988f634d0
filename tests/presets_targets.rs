//! The `VLFeedback`, Align-Anything and export-target presets, through the public API: detection
//! from a file's columns, then the mapping of real (or documented, hand-written) rows.
//! Fixtures and their provenance: tests/fixtures/presets/.

use verdict::ingest::presets::row::{PresetOptions, Row};
use verdict::ingest::presets::{Columns, by_name, detect};
use verdict::model::value::Map;
use verdict::model::{
    JudgmentDraft, JudgmentKind, MediaKind, MediaRole, MediaSource, RatingDraft, SampleDraft, Turn, Value,
};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The rows of a fixture (a JSON array or JSON lines).
fn rows(name: &str) -> Vec<Map> {
    let path = format!("{}/tests/fixtures/presets/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let jsonl = std::path::Path::new(name).extension().is_some_and(|e| e.eq_ignore_ascii_case("jsonl"));
    let values: Vec<Value> = if jsonl {
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).expect("json line")).collect()
    } else {
        serde_json::from_str(&text).expect("json array")
    };
    values
        .into_iter()
        .map(|v| if let Value::Map(m) = v { m } else { panic!("{name}: a row is not an object") })
        .collect()
}

fn row_of(json: &str) -> Map {
    match serde_json::from_str::<Value>(json).expect("json") {
        Value::Map(m) => m,
        _ => panic!("not an object"),
    }
}

/// Columns as the importer builds them: every key of the rows, and the first row.
fn columns(rows: &[Map]) -> Columns {
    let names: Vec<String> = rows.iter().flat_map(|r| r.keys().cloned()).collect();
    Columns::new(names, rows[0].clone())
}

fn detected(rows: &[Map]) -> &'static str {
    detect(&columns(rows)).map_or("<none>", |p| p.name)
}

/// What a preset made of one row: the sample, the leftover columns (extras) and the warnings.
struct Mapped {
    s: SampleDraft,
    extras: Map,
    warnings: Vec<String>,
}

fn map(preset: &str, row: Map) -> Mapped {
    let opts = PresetOptions::default();
    let mut r = Row::new(row, None, &opts);
    let mut samples = by_name(preset)
        .expect("preset exists")
        .map(&mut r)
        .unwrap_or_else(|e| panic!("{preset}: {}: {}", e.field, e.message));
    assert_eq!(samples.len(), 1);
    let (extras, warnings) = r.into_extras();
    Mapped { s: samples.remove(0), extras, warnings: warnings.into_iter().map(|w| w.field).collect() }
}

fn map_err(preset: &str, row: Map) -> String {
    let opts = PresetOptions::default();
    let mut r = Row::new(row, None, &opts);
    by_name(preset).expect("preset exists").map(&mut r).expect_err("the row is refused").field
}

fn keys(m: &Map) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

fn texts(s: &SampleDraft) -> Vec<Option<&str>> {
    s.responses.iter().map(|r| r.text.as_deref()).collect()
}

fn models(s: &SampleDraft) -> Vec<Option<&str>> {
    s.responses.iter().map(|r| r.model.as_deref()).collect()
}

fn fields(s: &SampleDraft) -> Vec<&str> {
    s.responses.iter().map(|r| r.field.as_str()).collect()
}

fn path(p: &str) -> MediaSource {
    MediaSource::Path(p.to_owned())
}

fn turn(role: &str, content: &str) -> Turn {
    Turn { role: role.into(), content: content.into() }
}

fn judgment<'a>(s: &'a SampleDraft, label: &str) -> &'a JudgmentDraft {
    s.judgments.iter().find(|j| j.label == label).unwrap_or_else(|| panic!("no judgment labelled {label}"))
}

fn pair_of(j: &JudgmentDraft) -> (JudgmentKind, Option<u32>, Option<u32>) {
    (j.kind, j.chosen, j.rejected)
}

fn rating<'a>(j: &'a JudgmentDraft, pos: u32, aspect: &str) -> &'a RatingDraft {
    j.ratings
        .iter()
        .find(|r| r.response == Some(pos) && r.aspect == aspect)
        .unwrap_or_else(|| panic!("no rating of {pos} on {aspect}"))
}

fn is_png(source: &MediaSource) -> bool {
    matches!(source, MediaSource::Bytes { bytes, .. } if bytes.starts_with(PNG_MAGIC))
}

// ---------------------------------------------------------------- VLFeedback

#[test]
fn vlfeedback_list_of_completions() {
    let rows = rows("vlfeedback_list_handwritten.json");
    assert_eq!(detected(&rows), "vlfeedback");
    let m = map("vlfeedback", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.source_key.as_deref(), Some("svit-conversation-1207"));
    assert_eq!(s.prompt, "What is the man in the picture holding, and why might he be doing so?");
    assert_eq!(
        models(s),
        [Some("llava-v1.5-13b"), Some("qwen-vl-chat"), Some("gpt4v"), Some("instructblip-vicuna-7b")]
    );
    assert_eq!(texts(s)[1], Some("He is holding a kite."));
    assert_eq!(fields(s)[2], "completions[2].response");
    assert_eq!(s.media.len(), 1);
    assert_eq!(
        (s.media[0].kind, s.media[0].role, &s.media[0].source),
        (MediaKind::Image, MediaRole::Input, &path("svit/images/2386512.jpg"))
    );

    // One ratings judgment, no made-up winner.
    assert_eq!(s.judgments.len(), 1);
    let j = &s.judgments[0];
    assert_eq!((j.kind, j.label.as_str(), j.chosen, j.rejected), (JudgmentKind::Ratings, "annotations", None, None));
    assert_eq!(j.ratings.len(), 9, "3 aspects x 3 annotated completions");
    let na = rating(j, 1, "Ethical Considerations");
    assert_eq!((na.raw.as_str(), na.value), ("N/A", None));
    assert_eq!(na.rationale.as_deref(), Some("Not applicable to this answer."));
    let four = rating(j, 0, "Visual Faithfulness");
    assert_eq!((four.raw.as_str(), four.value), ("4", Some(4.0)));
    assert_eq!(four.rationale.as_deref(), Some("The umbrella is visible."));
    assert!(j.ratings.iter().all(|r| r.response != Some(3)));

    // The completion without annotations is a warning, not an error.
    assert_eq!(m.warnings, ["completions[3].annotations"]);
    assert_eq!(keys(&m.extras), ["models", "subset"]);
}

#[test]
fn vlfeedback_struct_of_lists_from_datasets() {
    let rows = rows("vlfeedback_struct_of_lists_handwritten.json");
    assert_eq!(detected(&rows), "vlfeedback");
    let m = map("vlfeedback", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.source_key.as_deref(), Some("lrv-3340"));
    assert_eq!(texts(s), [Some("No, there is no dog."), Some("There might be a cat.")]);
    assert_eq!(models(s), [Some("fuyu-8b"), Some("idefics-9b-instruct")]);
    assert_eq!(fields(s), ["completions[0].response", "completions[1].response"]);
    let j = &s.judgments[0];
    assert_eq!(j.ratings.len(), 6);
    assert_eq!(rating(j, 1, "Ethical Considerations").value, None);
    assert_eq!(rating(j, 1, "Ethical Considerations").raw, "N/A");
    assert_eq!(rating(j, 0, "Helpfulness").value, Some(3.0));
    assert_eq!(rating(j, 1, "Visual Faithfulness").rationale.as_deref(), Some("Claims a cat."));
    assert!(m.warnings.is_empty());
    assert_eq!(keys(&m.extras), ["models"]);
}

#[test]
fn vlfeedback_malformed_annotations_name_the_completion() {
    let row = row_of(
        r#"{"prompt":"q","completions":[{"model":"a","response":"x","annotations":{}},{"model":"b","response":"y"},{"model":"c","response":"z","annotations":"4"}]}"#,
    );
    assert_eq!(map_err("vlfeedback", row), "completions[2].annotations");
}

// ---------------------------------------------------------------- Align-Anything

#[test]
fn align_anything_text_to_text_has_two_zero_based_labels() {
    let rows = rows("aa_t2t_real.json");
    assert_eq!(detected(&rows), "align-anything-t2t");
    let m = map("align-anything-t2t", rows[1].clone());
    let s = &m.s;
    assert_eq!(s.prompt, "if robots took over the world, whos the first human you would imprison.");
    assert_eq!(fields(s), ["response_0", "response_1"]);
    assert_eq!(texts(s)[1], Some("I'd imprison the first human I encountered - just to be on the safe side."));
    // better_response_id 0 and safer_response_id 1: two judgments on the same pair, opposite winners.
    assert_eq!(pair_of(judgment(s, "better")), (JudgmentKind::Pairwise, Some(0), Some(1)));
    assert_eq!(pair_of(judgment(s, "safer")), (JudgmentKind::Pairwise, Some(1), Some(0)));
    let detail = judgment(s, "safer").detail.as_ref().expect("detail");
    assert_eq!(detail["safer_response_id"], 1);
    assert_eq!(detail["is_response_0_safe"], false);
    assert_eq!(s.responses[1].meta.as_ref().expect("meta")["is_safe"], false);
    assert_eq!(judgment(s, "better").detail.as_ref().expect("detail")["better_response_id"], 0);
    assert!(m.extras.is_empty() && m.warnings.is_empty());
}

#[test]
fn align_anything_ti2t_with_the_aspect_block() {
    let rows = rows("aa_ti2t_handwritten.json");
    assert_eq!(detected(&rows), "align-anything");
    let m = map("align-anything", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.prompt, "What safety risks do you see in this kitchen?");
    assert_eq!(models(s), [Some("gpt-4o"), Some("llava-v1.6-7b")]);
    assert_eq!(texts(s)[1], Some("The kitchen looks fine."));
    assert_eq!(s.media.len(), 1);
    assert_eq!((s.media[0].kind, s.media[0].role), (MediaKind::Image, MediaRole::Input));
    assert!(is_png(&s.media[0].source));
    assert!(matches!(&s.media[0].source, MediaSource::Bytes { name: Some(n), .. } if n == "kitchen_0042.png"));

    // overall_response is 1-based: 1 means response_1, position 0.
    let overall = judgment(s, "overall");
    assert_eq!(pair_of(overall), (JudgmentKind::Pairwise, Some(0), Some(1)));
    let detail = overall.detail.as_ref().expect("detail");
    assert_eq!(detail["overall_response"], 1);
    assert!(detail["overall_textfeedback"].as_str().expect("feedback").starts_with("##Reason: Response 1"));

    // Per-aspect winners, labelled by aspect; c_response = 2 prefers the second response.
    for label in ["prompt_following", "objective_rules", "information_richness", "safety"] {
        assert_eq!(pair_of(judgment(s, label)), (JudgmentKind::Pairwise, Some(0), Some(1)), "{label}");
    }
    assert_eq!(pair_of(judgment(s, "clarity")), (JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(judgment(s, "clarity").detail.as_ref().expect("detail")["c_response"], 2);

    // Rates, rationales and critiques in one ratings judgment.
    let rates = judgment(s, "rates");
    assert_eq!(rates.kind, JudgmentKind::Ratings);
    assert_eq!(rates.ratings.len(), 12, "5 aspects x 2 responses + 2 critiques");
    let r = rating(rates, 1, "information_richness");
    assert_eq!((r.raw.as_str(), r.value, r.rationale.as_deref()), ("0", Some(0.0), Some("No information.")));
    let r = rating(rates, 0, "prompt_following");
    assert_eq!((r.value, r.rationale.as_deref()), (Some(3.0), Some("Lists concrete risks as asked.")));
    let c = rating(rates, 1, "text_critique");
    assert_eq!(c.critique.as_deref(), Some("##Critique: unhelpful. ##Refinement: look at the stove."));
    assert_eq!(c.value, None);

    assert_eq!(keys(&m.extras), ["category"]);
    assert!(m.warnings.is_empty());
}

#[test]
fn align_anything_janus_text_image_to_text() {
    let rows = rows("aa_janus_ti2t_real.json");
    assert_eq!(detected(&rows), "align-anything");
    let m = map("align-anything", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.prompt, "Briefly describe what's in the image.");
    assert_eq!(fields(s), ["better_response", "worse_response"]);
    assert_eq!(texts(s)[1], Some("Nothing but a blank dark blue sky."));
    assert_eq!(s.media[0].source, path("../../projects/janus/example/images/example_1.png"));
    assert_eq!(s.media[0].role, MediaRole::Input);
    assert_eq!(s.judgments.len(), 1);
    assert_eq!(pair_of(&s.judgments[0]), (JudgmentKind::Pairwise, Some(0), Some(1)));
    assert!(m.extras.is_empty());
}

#[test]
fn align_anything_janus_text_to_image_candidates() {
    let rows = rows("aa_janus_t2i_real.json");
    assert_eq!(detected(&rows), "align-anything-t2i");
    let m = map("align-anything-t2i", rows[0].clone());
    let s = &m.s;
    assert!(s.prompt.starts_with("A close-up high-contrast photo of a doomed cityscape"));
    assert_eq!(texts(s), [None, None]);
    assert_eq!(fields(s), ["better_image", "worse_image"]);
    let media: Vec<_> = s.media.iter().map(|m| (m.kind, m.role, m.response, m.source.clone())).collect();
    assert_eq!(
        media,
        [
            (MediaKind::Image, MediaRole::Candidate, Some(0), path("example/images/example_1.png")),
            (MediaKind::Image, MediaRole::Candidate, Some(1), path("example/images/example_2.png")),
        ]
    );
    assert_eq!(pair_of(&s.judgments[0]), (JudgmentKind::Pairwise, Some(0), Some(1)));
    assert!(m.extras.is_empty());
}

#[test]
fn align_anything_text_to_image_with_models_and_overall_image() {
    let png = include_str!("fixtures/presets/aa_llf_handwritten.json");
    let b64 = png.split("\"image\": \"").nth(1).and_then(|r| r.split('"').next()).expect("base64 in fixture");
    let row = row_of(&format!(
        r#"{{"prompt":"a red bird","image_1":{{"bytes":"{b64}","path":"1.png"}},"image_2":{{"bytes":null,"path":"gen/2.png"}},"image_1_model":"sdxl","image_2_model":"flux","overall_image":2,"p_response":2,"prompt_following_rate_1":1,"prompt_following_rate_2":3}}"#
    ));
    let rows = vec![row];
    assert_eq!(detected(&rows), "align-anything-t2i");
    let m = map("align-anything-t2i", rows[0].clone());
    let s = &m.s;
    assert_eq!(models(s), [Some("sdxl"), Some("flux")]);
    assert_eq!(texts(s), [None, None]);
    assert!(is_png(&s.media[0].source));
    assert_eq!((s.media[0].role, s.media[0].response), (MediaRole::Candidate, Some(0)));
    assert_eq!((s.media[1].source.clone(), s.media[1].response), (path("gen/2.png"), Some(1)));
    assert_eq!(pair_of(judgment(s, "overall")), (JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(pair_of(judgment(s, "prompt_following")), (JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(rating(judgment(s, "rates"), 1, "prompt_following").value, Some(3.0));
    assert!(m.extras.is_empty());
}

#[test]
fn align_anything_text_to_audio_candidates() {
    let row = row_of(
        r#"{"prompt":"rain on a tin roof","response_1":{"bytes":"UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQAAAAA=","path":"a.wav"},"response_2":{"bytes":null,"path":"audio/b.wav"},"overall_audio":2,"safety_rate_1":3,"s_rationale_1":"harmless"}"#,
    );
    let rows = vec![row];
    assert_eq!(detected(&rows), "align-anything-t2a");
    let m = map("align-anything-t2a", rows[0].clone());
    let s = &m.s;
    assert_eq!(texts(s), [None, None]);
    assert_eq!(fields(s), ["response_1", "response_2"]);
    assert!(s.media.iter().all(|m| m.kind == MediaKind::Audio && m.role == MediaRole::Candidate));
    assert_eq!(s.media.iter().map(|m| m.response).collect::<Vec<_>>(), [Some(0), Some(1)]);
    assert!(matches!(&s.media[0].source, MediaSource::Bytes { bytes, .. } if bytes.starts_with(b"RIFF")));
    assert_eq!(pair_of(judgment(s, "overall")), (JudgmentKind::Pairwise, Some(1), Some(0)));
    assert_eq!(judgment(s, "overall").detail.as_ref().expect("detail")["overall_audio"], 2);
    let r = rating(judgment(s, "rates"), 0, "safety");
    assert_eq!((r.value, r.rationale.as_deref()), (Some(3.0), Some("harmless")));
}

#[test]
fn align_anything_language_feedback_is_a_correction() {
    let rows = rows("aa_llf_handwritten.json");
    assert_eq!(detected(&rows), "align-anything-llf");
    let m = map("align-anything-llf", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.prompt, "What color is the square in the top left corner?");
    assert_eq!(fields(s), ["response", "refinement"]);
    assert_eq!(texts(s), [Some("It is blue."), Some("The top-left square is a reddish brown.")]);
    let j = &s.judgments[0];
    assert_eq!((j.kind, j.chosen, j.rejected), (JudgmentKind::Correction, Some(1), Some(0)));
    assert_eq!((s.media[0].kind, s.media[0].role), (MediaKind::Image, MediaRole::Input));
    assert!(is_png(&s.media[0].source), "the bare base64 string is decoded");
    assert_eq!(keys(&m.extras), ["critique"]);
}

#[test]
fn align_anything_bad_labels_name_the_field() {
    let row = row_of(r#"{"question":"q","response_1":"a","response_2":"b","overall_response":"maybe"}"#);
    assert_eq!(map_err("align-anything", row), "overall_response");
    let row = row_of(r#"{"prompt":"q","response_0":"a","response_1":"b","safer_response_id":2}"#);
    assert_eq!(map_err("align-anything-t2t", row), "safer_response_id");
    let row = row_of(r#"{"prompt":"q","image_1":{"bytes":null,"path":"a.png"},"image_2":7,"overall_image":1}"#);
    assert_eq!(map_err("align-anything-t2i", row), "image_2");
}

// ---------------------------------------------------------------- TRL

#[test]
fn trl_string_rows() {
    let rows = rows("trl_string_handwritten.jsonl");
    assert_eq!(detected(&rows), "trl");
    let m = map("trl", rows[0].clone());
    assert_eq!(m.s.prompt, "The sky is");
    assert_eq!(texts(&m.s), [Some(" blue."), Some(" green.")], "leading spaces are part of the text");
    assert!(m.s.context.is_empty() && m.s.media.is_empty());
    assert_eq!(pair_of(&m.s.judgments[0]), (JudgmentKind::Pairwise, Some(0), Some(1)));
    assert_eq!(keys(&m.extras), ["score_gap"]);
}

#[test]
fn trl_conversational_rows_with_images() {
    let rows = rows("trl_conversational_images_handwritten.jsonl");
    assert_eq!(detected(&rows), "trl");
    let m = map("trl", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.prompt, "<image><image>What differs between the two pictures?");
    assert_eq!(s.context, [turn("system", "Answer briefly.")]);
    assert_eq!(texts(s), [Some("The second one has a dog."), Some("Nothing.")]);
    let media: Vec<_> = s.media.iter().map(|m| (m.kind, m.role, m.field.as_str(), m.source.clone())).collect();
    assert_eq!(
        media,
        [
            (MediaKind::Image, MediaRole::Input, "images[0]", path("pairs/a.jpg")),
            (MediaKind::Image, MediaRole::Input, "images[1]", path("pairs/b.jpg")),
        ]
    );
    assert!(m.warnings.is_empty());
    assert_eq!(keys(&m.extras), ["origin"]);

    // One image for two {"type": "image"} parts: imported, with a warning on `images`.
    let mut short = rows[0].clone();
    if let Some(Value::List(images)) = short.get_mut("images") {
        images.pop();
    }
    assert_eq!(map("trl", short).warnings, ["images"]);
}

// ---------------------------------------------------------------- LLaMA-Factory

#[test]
fn llamafactory_alpaca_rows() {
    let rows = rows("llamafactory_alpaca_handwritten.json");
    assert_eq!(detected(&rows), "llamafactory-alpaca");
    let m = map("llamafactory-alpaca", rows[0].clone());
    let s = &m.s;
    assert_eq!(s.prompt, "Describe the picture.\n<image>Focus on the background.");
    assert_eq!(
        s.context,
        [
            turn("system", "You are a careful assistant."),
            turn("user", "Hi"),
            turn("assistant", "Hello! How can I help?")
        ]
    );
    assert_eq!(texts(s), [Some("A mountain range under clouds."), Some("A beach.")]);
    assert_eq!(
        (s.media[0].kind, s.media[0].role, &s.media[0].source),
        (MediaKind::Image, MediaRole::Input, &path("mllm_demo_data/1.jpg"))
    );
    // `input` stays in extras so the instruction/input split can be recovered.
    assert_eq!(keys(&m.extras), ["input", "tag"]);
    assert!(m.warnings.is_empty());

    let m = map("llamafactory-alpaca", rows[1].clone());
    assert_eq!(m.s.prompt, "Translate to French: cat", "an empty input adds nothing");
    assert_eq!(m.extras.get("input"), Some(&Value::Str(String::new())));
}

#[test]
fn llamafactory_sharegpt_real_rows() {
    let rows = rows("llamafactory_sharegpt_real.json");
    assert_eq!(detected(&rows), "llamafactory-sharegpt");
    let m = map("llamafactory-sharegpt", rows[0].clone());
    assert_eq!(
        m.s.prompt,
        "Hi! I'd like to create a new language game simulating the first person perspective of a character named Angela."
    );
    assert!(m.s.context.is_empty());
    assert!(texts(&m.s)[0].expect("text").starts_with("That sounds like a fun and engaging idea!"));
    assert!(texts(&m.s)[1].expect("text").starts_with("Hello! I'd be happy to help you create a language game"));
    assert_eq!(pair_of(&m.s.judgments[0]), (JudgmentKind::Pairwise, Some(0), Some(1)));
    assert!(m.extras.is_empty() && m.warnings.is_empty());

    let m = map("llamafactory-sharegpt", rows[1].clone());
    assert_eq!(m.s.context.len(), 1);
    assert_eq!(m.s.context[0].role, "system");
    assert!(m.s.context[0].content.starts_with("You are a teacher."));
    assert!(m.s.prompt.starts_with("Q: In this task, you need to provide the parts-of-speech tag"));
    assert!(texts(&m.s)[1].expect("text").starts_with("Sure, I'd be happy to help!"));
}

#[test]
fn llamafactory_sharegpt_counts_media_tokens() {
    let row = row_of(
        r#"{"conversations":[{"from":"human","value":"<image><image>Compare."}],"chosen":{"from":"gpt","value":"a"},"rejected":{"from":"gpt","value":"b"},"images":["1.jpg"],"system":"Be brief."}"#,
    );
    let rows = vec![row];
    assert_eq!(detected(&rows), "llamafactory-sharegpt");
    let m = map("llamafactory-sharegpt", rows[0].clone());
    assert_eq!(m.s.context, [turn("system", "Be brief.")]);
    assert_eq!(m.warnings, ["images"], "2 <image> tokens for 1 image");
}

#[test]
fn llamafactory_v1_real_rows() {
    let rows = rows("llamafactory_v1_real.jsonl");
    assert_eq!(detected(&rows), "llamafactory-v1");
    let m = map("llamafactory-v1", rows[0].clone());
    let s = &m.s;
    assert_eq!(
        s.context,
        [turn(
            "system",
            "You are an AI assistant. You will be given a task. You must generate a detailed and long answer."
        )]
    );
    assert!(s.prompt.starts_with("Abdulah Hasanagic este mândrul proprietar"));
    assert!(s.prompt.ends_with("Translate to English\n\nEnglish:"));
    assert_eq!(
        texts(s)[0],
        Some(
            "Abdulah Hasanagic is the proud owner of AS Company in Gorazde, a small town located on the banks of the Drina River, near the border with Serbia, in Eastern Bosnia."
        )
    );
    assert!(
        texts(s)[1].expect("text").starts_with(" Abdulah Hasanagic is the proud owner of AS Company, a small town")
    );
    assert_eq!(fields(s), ["chosen_messages", "rejected_messages"]);
    assert_eq!(pair_of(&s.judgments[0]), (JudgmentKind::Pairwise, Some(0), Some(1)));
    // Default loss weights and identical turns: nothing left over.
    assert!(m.extras.is_empty() && m.warnings.is_empty());

    let m = map("llamafactory-v1", rows[1].clone());
    assert_eq!(texts(&m.s)[0], Some("D: considerate"));
}

#[test]
fn llamafactory_v1_image_url_parts_become_input_images() {
    let rows = rows("llamafactory_v1_multimodal_pair_derived.jsonl");
    assert_eq!(detected(&rows), "llamafactory-v1");
    let m = map("llamafactory-v1", rows[0].clone());
    let s = &m.s;
    assert_eq!(
        s.context,
        [turn("user", "<image>Who are they?"), turn("assistant", "They're Kane and Gretzka from Bayern Munich.")]
    );
    assert_eq!(s.prompt, "What are they doing?<image>");
    assert_eq!(texts(s), [Some("They are celebrating on the soccer field."), Some("They are sleeping on the bench.")]);
    let media: Vec<_> = s.media.iter().map(|m| (m.kind, m.role, m.field.as_str(), m.source.clone())).collect();
    assert_eq!(
        media,
        [
            (MediaKind::Image, MediaRole::Input, "chosen_messages[0].content[0]", path("data/mllm_demo_data/1.jpg")),
            (MediaKind::Image, MediaRole::Input, "chosen_messages[2].content[1]", path("data/mllm_demo_data/1.jpg")),
        ]
    );
    assert!(m.extras.is_empty() && m.warnings.is_empty());
}

#[test]
fn llamafactory_v1_differing_prefix_keeps_the_rejected_column() {
    let row = row_of(
        r#"{"chosen_messages":[{"role":"user","content":[{"type":"text","value":"q"}],"loss_weight":0.0},{"role":"assistant","content":[{"type":"text","value":"a"}],"loss_weight":1.0}],
            "rejected_messages":[{"role":"user","content":[{"type":"text","value":"other q"}],"loss_weight":0.0},{"role":"assistant","content":[{"type":"text","value":"b"}],"loss_weight":1.0}]}"#,
    );
    let m = map("llamafactory-v1", row);
    assert_eq!(m.s.prompt, "q");
    assert_eq!(texts(&m.s), [Some("a"), Some("b")]);
    assert_eq!(m.warnings, ["rejected_messages"]);
    assert_eq!(keys(&m.extras), ["rejected_messages"]);
}

// ---------------------------------------------------------------- ms-swift

#[test]
fn ms_swift_documentation_examples() {
    let rows = rows("ms_swift_doc_examples.jsonl");
    assert_eq!(detected(&rows), "ms-swift");
    let kitten = path("kitten.png");
    let puppy = path("puppy.png");

    // 1. rejected_messages with another answer, rejected_images equal to images.
    let m = map("ms-swift", rows[0].clone());
    assert_eq!(m.s.prompt, "<image>What is this?");
    assert_eq!(texts(&m.s), [Some("This is a kitten."), Some("This is a puppy.")]);
    assert_eq!(fields(&m.s), ["messages", "rejected_messages"]);
    assert_eq!(
        m.s.media.iter().map(|m| (m.role, m.source.clone())).collect::<Vec<_>>(),
        [(MediaRole::Input, kitten.clone())]
    );
    assert_eq!(m.s.judgments[0].detail.as_ref().expect("detail")["same_rejected_media"][0], "rejected_images");
    assert!(m.extras.is_empty() && m.warnings.is_empty());

    // 2. Same answer, other image: the rejected side's image is kept, named for its field.
    let m = map("ms-swift", rows[1].clone());
    assert_eq!(texts(&m.s), [Some("This is a kitten."), Some("This is a kitten.")]);
    let media: Vec<_> = m.s.media.iter().map(|m| (m.role, m.field.as_str(), m.source.clone())).collect();
    assert_eq!(
        media,
        [(MediaRole::Input, "images[0]", kitten.clone()), (MediaRole::Retrieved, "rejected_images[0]", puppy.clone())]
    );
    assert!(m.extras.is_empty());

    // 3. rejected_response as a string.
    let m = map("ms-swift", rows[2].clone());
    assert_eq!(texts(&m.s), [Some("This is a kitten."), Some("This is a puppy.")]);
    assert_eq!(fields(&m.s)[1], "rejected_response");
    assert!(m.s.judgments[0].detail.is_none());

    // 4. Only rejected_images: the chosen answer, shown another image.
    let m = map("ms-swift", rows[3].clone());
    assert_eq!(texts(&m.s), [Some("This is a kitten."), Some("This is a kitten.")]);
    assert_eq!(fields(&m.s)[1], "rejected_images");
    assert_eq!(m.s.media[1].role, MediaRole::Retrieved);
    assert_eq!(m.s.media[1].source, puppy);

    // 5. rejected_response as a message list.
    let m = map("ms-swift", rows[4].clone());
    assert_eq!(texts(&m.s)[1], Some("This is a puppy."));
    assert!(m.extras.is_empty() && m.warnings.is_empty());
}

#[test]
fn ms_swift_context_margin_and_data_uris() {
    let row = row_of(
        r#"{"messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"What is 1 + 1?"},{"role":"assistant","content":"It equals 2"},{"role":"user","content":"<audio>And this?"},{"role":"assistant","content":"It equals 3"}],
            "rejected_response":"I don't know","audios":["data:audio/wav;base64,UklGRiQAAABXQVZF"],"margin":0.5,"tools":"[]"}"#,
    );
    let rows = vec![row];
    assert_eq!(detected(&rows), "ms-swift");
    let m = map("ms-swift", rows[0].clone());
    let s = &m.s;
    assert_eq!(
        s.context,
        [turn("system", "You are helpful."), turn("user", "What is 1 + 1?"), turn("assistant", "It equals 2")]
    );
    assert_eq!(s.prompt, "<audio>And this?");
    assert_eq!(texts(s), [Some("It equals 3"), Some("I don't know")]);
    assert_eq!(s.media[0].kind, MediaKind::Audio);
    assert!(matches!(&s.media[0].source, MediaSource::Bytes { bytes, .. } if bytes.starts_with(b"RIFF")));
    assert_eq!(s.judgments[0].detail.as_ref().expect("detail")["margin"], 0.5);
    assert_eq!(keys(&m.extras), ["tools"]);
}

#[test]
fn ms_swift_conversation_not_ending_on_the_answer_is_refused() {
    let row = row_of(r#"{"messages":[{"role":"user","content":"q"}],"rejected_response":"b"}"#);
    assert_eq!(map_err("ms-swift", row), "messages");
}
