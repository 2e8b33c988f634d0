//! Presets for the "prompt + chosen + rejected" family: RLAIF-V, RLHF-V, SPA-VL, MMPR, MM-RLHF,
//! LLaVA-Hound, the LLaVA DPO research format, MIA-DPO, mDPO, HA-DPO and OPA-DPO.

use super::row::{FieldError, FieldResult, Row, text_of};
use crate::model::{JudgmentDraft, JudgmentKind, MediaDraft, MediaKind, MediaRole, ResponseDraft, SampleDraft, Value};
use serde_json::json;

/// A response taken from a text field.
pub(super) fn response(text: String, field: &str) -> ResponseDraft {
    ResponseDraft { text: Some(text), field: field.to_owned(), ..ResponseDraft::default() }
}

/// A two-response sample, position 0 preferred over position 1.
pub(super) fn pair_sample(
    prompt: String,
    chosen: ResponseDraft,
    rejected: ResponseDraft,
    media: Vec<MediaDraft>,
) -> SampleDraft {
    SampleDraft {
        prompt,
        responses: vec![chosen, rejected],
        media,
        judgments: vec![JudgmentDraft::pairwise(0, 1)],
        ..SampleDraft::default()
    }
}

/// Takes `chosen`/`rejected` text fields as a pair.
fn take_pair(row: &mut Row<'_>, chosen: &str, rejected: &str) -> FieldResult<(ResponseDraft, ResponseDraft)> {
    let c = row.take_text(chosen)?;
    let r = row.take_text(rejected)?;
    Ok((response(c, chosen), response(r, rejected)))
}

/// Moves `<side>_score` fields into the responses' meta and the judgment's detail.
fn take_scores(row: &mut Row<'_>, sample: &mut SampleDraft, fields: [&str; 2]) {
    let mut detail = serde_json::Map::new();
    for (pos, field) in fields.iter().enumerate() {
        if let Some(v) = row.take(field) {
            let json = v.to_json();
            sample.responses[pos].meta = Some(json!({ "score": json }));
            detail.insert((*field).to_owned(), json);
        }
    }
    if !detail.is_empty()
        && let Some(j) = sample.judgments.first_mut()
    {
        j.detail = Some(serde_json::Value::Object(detail));
    }
}

/// The generating model named in RLAIF-V's `origin_split` JSON string, if any. The field itself
/// stays in extras, raw.
fn origin_model(row: &Row<'_>) -> Option<String> {
    let text = row.peek("origin_split")?.as_str()?;
    let parsed = Value::parse_json(text).ok()?;
    let m = parsed.as_map()?;
    ["model", "policy_model", "generator"].iter().find_map(|k| m.get(*k)).and_then(Value::to_text)
}

pub(super) fn rlaif_v(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("idx");
    let model = origin_model(row);
    let prompt = row.take_text("question")?;
    let (mut c, mut r) = take_pair(row, "chosen", "rejected")?;
    c.model.clone_from(&model);
    r.model = model;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    let mut s = pair_sample(prompt, c, r, media);
    s.source_key = key;
    Ok(vec![s])
}

pub(super) fn rlhf_v(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("idx");
    let text = row.take_json("text")?;
    let m = text
        .as_map()
        .ok_or_else(|| FieldError::new("text", format!("expected a JSON object, found {}", text.type_name())))?;
    let get = |k: &str| {
        m.get(k).and_then(text_of).ok_or_else(|| FieldError::new(format!("text.{k}"), "missing required field"))
    };
    let prompt = get("question")?;
    let chosen = get("chosen")?;
    let rejected = get("rejected")?;
    let extra: Vec<(String, Value)> = m
        .iter()
        .filter(|(k, _)| !["question", "chosen", "rejected"].contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in extra {
        row.keep(&format!("text.{k}"), v);
    }
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    // RLHF-V: chosen is the human correction of the rejected (original) answer.
    let mut s = pair_sample(prompt, response(chosen, "text.chosen"), response(rejected, "text.rejected"), media);
    s.judgments = vec![JudgmentDraft::new(JudgmentKind::Correction, "overall").with_pair(0, 1)];
    s.source_key = key;
    Ok(vec![s])
}

pub(super) fn spa_vl(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id").or_else(|| row.peek("image_name").and_then(Value::to_text));
    question_pair(row, key)
}

pub(super) fn mmpr(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    question_pair(row, None)
}

fn question_pair(row: &mut Row<'_>, key: Option<String>) -> FieldResult<Vec<SampleDraft>> {
    let prompt = row.take_text("question")?;
    let (c, r) = take_pair(row, "chosen", "rejected")?;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    let mut s = pair_sample(prompt, c, r, media);
    s.source_key = key;
    Ok(vec![s])
}

/// Takes `image` (path or list) and/or `video` (file or frame directory) as input media.
fn take_image_or_video(row: &mut Row<'_>) -> FieldResult<Vec<MediaDraft>> {
    let mut media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    media.extend(row.take_media("images", MediaKind::Image, MediaRole::Input)?);
    media.extend(row.take_media("video", MediaKind::Video, MediaRole::Input)?);
    Ok(media)
}

pub(super) fn mm_rlhf(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let (mut c, mut r) = take_pair(row, "chosen", "rejected")?;
    let mut media = take_image_or_video(row)?;
    media.extend(row.take_media("mixed_up_image", MediaKind::Image, MediaRole::Retrieved)?);
    let mut detail = serde_json::Map::new();
    for (resp, field) in [(&mut c, "chosen_reason"), (&mut r, "rejected_reason")] {
        if let Some(reason) = row.take_opt_text(field) {
            resp.meta = Some(json!({ "reason": reason }));
        }
    }
    let tie = row.take("is_tie");
    let is_tie = tie.as_ref().is_some_and(|v| matches!(v, Value::Bool(true)) || v.to_i64() == Some(1));
    if let Some(t) = tie {
        detail.insert("is_tie".into(), t.to_json());
    }
    if let Some(ls) = row.take("ls_factor") {
        detail.insert("ls_factor".into(), ls.to_json());
    }
    let mut s = pair_sample(prompt, c, r, media);
    if is_tie {
        s.judgments = vec![JudgmentDraft::new(JudgmentKind::Tie, "overall").with_pair(0, 1)];
    }
    if !detail.is_empty() {
        s.judgments[0].detail = Some(serde_json::Value::Object(detail));
    }
    s.source_key = key;
    Ok(vec![s])
}

pub(super) fn llava_hound(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let (c, r) = take_pair(row, "chosen", "rejected")?;
    let media = take_image_or_video(row)?;
    let mut s = pair_sample(prompt, c, r, media);
    take_scores(row, &mut s, ["chosen_score", "rejected_score"]);
    s.source_key = key;
    Ok(vec![s])
}

pub(super) fn llava_dpo(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let (c, r) = take_pair(row, "chosen", "rejected")?;
    let media = take_image_or_video(row)?;
    let mut s = pair_sample(prompt, c, r, media);
    take_scores(row, &mut s, ["chosen_score", "rejected_score"]);
    // `answer` (the reference answer) stays in extras.
    s.source_key = key;
    Ok(vec![s])
}

pub(super) fn mia_dpo(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let (c, r) = take_pair(row, "chosen", "rejected")?;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    let mut s = pair_sample(prompt, c, r, media);
    s.source_key = key;
    Ok(vec![s])
}

pub(super) fn mdpo(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let (c, r) = take_pair(row, "chosen", "rejected")?;
    let media = row.take_media("img_path", MediaKind::Image, MediaRole::Input)?;
    let mut s = pair_sample(prompt, c, r, media);
    s.source_key = key;
    Ok(vec![s])
}

/// The media path an HA-DPO `image_id` stands for, through `--id-pattern` (default `{id}.jpg`).
fn image_from_id(row: &Row<'_>, id: &str) -> MediaDraft {
    let pattern = row.options.id_pattern.as_deref().unwrap_or("{id}.jpg");
    MediaDraft {
        role: MediaRole::Input,
        kind: MediaKind::Image,
        field: "image_id".into(),
        source: crate::model::MediaSource::Path(pattern.replace("{id}", id)),
        response: None,
    }
}

pub(super) fn ha_dpo_pope(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let id = row.take_key("image_id").ok_or_else(|| FieldError::new("image_id", "missing required field"))?;
    let prompt = row.take_text("question")?;
    let (c, r) = take_pair(row, "chosen", "reject")?;
    let media = vec![image_from_id(row, &id)];
    let mut s = pair_sample(prompt, c, r, media);
    s.source_key = Some(id);
    Ok(vec![s])
}

/// HA-DPO desc rows hold several chosen and rejected descriptions of one image. Lists of equal
/// length pair up index by index; otherwise every chosen is paired with every rejected.
pub(super) fn ha_dpo_desc(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let id = row
        .take_key("image_id")
        .or_else(|| row.key.clone())
        .ok_or_else(|| FieldError::new("image_id", "missing required field"))?;
    let prompt = row
        .take_opt_text("question")
        .or_else(|| row.take_opt_text("prompt"))
        .unwrap_or_else(|| "Describe this image in detail.".to_owned());
    let list = |row: &mut Row<'_>, f: &str| -> FieldResult<Vec<String>> {
        let v = row.take_required(f)?;
        match v {
            Value::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    text_of(t).ok_or_else(|| {
                        FieldError::new(format!("{f}[{i}]"), format!("expected text, found {}", t.type_name()))
                    })
                })
                .collect(),
            other => text_of(&other)
                .map(|t| vec![t])
                .ok_or_else(|| FieldError::new(f, format!("expected a list of texts, found {}", other.type_name()))),
        }
    };
    let chosen = list(row, "chosen")?;
    let rejected = list(row, "rejected")?;
    let pairs: Vec<(usize, usize)> = if chosen.len() == rejected.len() {
        (0..chosen.len()).map(|i| (i, i)).collect()
    } else {
        (0..chosen.len()).flat_map(|i| (0..rejected.len()).map(move |j| (i, j))).collect()
    };
    let media = image_from_id(row, &id);
    Ok(pairs
        .into_iter()
        .enumerate()
        .map(|(n, (i, j))| {
            let mut s = pair_sample(
                prompt.clone(),
                response(chosen[i].clone(), &format!("chosen[{i}]")),
                response(rejected[j].clone(), &format!("rejected[{j}]")),
                vec![media.clone()],
            );
            s.source_key = Some(id.clone());
            s.sub_index = n as u32;
            s
        })
        .collect())
}

pub(super) fn opa_dpo(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("queries").or_else(|_| row.take_text("query"))?;
    let original = row.take_text("original_generate_response")?;
    let corrected = row.take_text("AI_pseudo_response")?;
    let mut responses =
        vec![response(original, "original_generate_response"), response(corrected, "AI_pseudo_response")];
    if let Some(standard) = row.take_opt_text("standard_response") {
        responses.push(response(standard, "standard_response"));
    }
    let media = row.take_media("image_bytes", MediaKind::Image, MediaRole::Input)?;
    let mut judgment = JudgmentDraft::new(JudgmentKind::Correction, "overall").with_pair(1, 0);
    if let Some(report) = row.peek("AI_json_report").cloned() {
        // Parsed when it is JSON; the raw text stays in extras either way.
        let parsed = report
            .as_str()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .unwrap_or_else(|| report.to_json());
        judgment.detail = Some(json!({ "AI_json_report": parsed }));
    }
    Ok(vec![SampleDraft {
        source_key: key,
        prompt,
        responses,
        media,
        judgments: vec![judgment],
        ..SampleDraft::default()
    }])
}
