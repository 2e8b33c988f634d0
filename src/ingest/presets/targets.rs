//! Export targets read back, so that a file Verdict wrote for a trainer imports again: TRL
//! (`prompt`/`chosen`/`rejected`, strings or conversations), LLaMA-Factory (alpaca, sharegpt and
//! the v1 `chosen_messages`/`rejected_messages` layout) and ms-swift (`messages` plus a rejected
//! side).
//!
//! Conversations are split the same way everywhere: the final assistant message is the response,
//! the user message before it is the prompt, and everything earlier (system prompt first) is the
//! context. Media placeholders (`<image>`, `<video>`, `<audio>`, typed `{"type": "image"}` parts)
//! stay in the text, so their count survives. When a conversation holds something the model has
//! no place for (tool calls, reasoning parts, per-message loss weights other than the defaults),
//! its raw column is kept in extras as well.

use super::pairs::{pair_sample, response};
use super::row::{FieldError, FieldResult, Row, describe, normalize_role, text_of};
use crate::ingest::media_ref;
use crate::model::value::Map;
use crate::model::{JudgmentDraft, MediaDraft, MediaKind, MediaRole, SampleDraft, Turn, Value};

/// The media list columns the targets share, with their placeholder token.
const MEDIA_LISTS: [(&str, MediaKind, &str); 3] = [
    ("images", MediaKind::Image, "<image>"),
    ("videos", MediaKind::Video, "<video>"),
    ("audios", MediaKind::Audio, "<audio>"),
];

/// One message of a conversation.
struct Message {
    /// `system`, `user`, `assistant` (normalized), or the source's own role.
    role: String,
    /// The text, with a placeholder for each media part.
    text: String,
    /// Media that the content parts reference themselves (LLaMA-Factory v1 `image_url` parts).
    media: Vec<MediaDraft>,
    /// Whether the message holds something the model drops.
    lossy: bool,
}

impl Message {
    fn turn(&self) -> Turn {
        Turn { role: self.role.clone(), content: self.text.clone() }
    }
}

/// A media kind and its placeholder, from a content part's `type`.
fn part_kind(kind: &str) -> Option<(MediaKind, &'static str)> {
    match kind {
        "image" | "image_url" => Some((MediaKind::Image, "<image>")),
        "video" | "video_url" => Some((MediaKind::Video, "<video>")),
        "audio" | "audio_url" | "input_audio" => Some((MediaKind::Audio, "<audio>")),
        _ => None,
    }
}

/// Parses a conversation: `[{role, content}]` or `[{from, value}]`, content a string or typed parts.
fn messages_of(v: &Value, field: &str) -> FieldResult<Vec<Message>> {
    let parsed;
    let v = match v {
        Value::Str(s) => {
            parsed = Value::parse_json(s).map_err(|e| {
                FieldError::new(field, format!("expected a list of messages, found a string that is not JSON: {e}"))
            })?;
            &parsed
        }
        other => other,
    };
    let list = v
        .as_list()
        .ok_or_else(|| FieldError::new(field, format!("expected a list of messages, found {}", v.type_name())))?;
    list.iter().enumerate().map(|(i, m)| message_of(m, &format!("{field}[{i}]"))).collect()
}

fn message_of(v: &Value, field: &str) -> FieldResult<Message> {
    let m = v
        .as_map()
        .ok_or_else(|| FieldError::new(field, format!("expected a message object, found {}", v.type_name())))?;
    let role = m
        .get("role")
        .or_else(|| m.get("from"))
        .and_then(Value::as_str)
        .ok_or_else(|| FieldError::new(field, "the message has no `role` or `from`"))?;
    let role = normalize_role(role);
    let (key, content) = ["content", "value"]
        .iter()
        .find_map(|k| m.get(*k).filter(|c| !c.is_null()).map(|c| (*k, c)))
        .ok_or_else(|| FieldError::new(format!("{field}.content"), "missing required field"))?;
    let mut lossy = m.keys().any(|k| !["role", "from", "content", "value", "loss_weight"].contains(&k.as_str()));
    if let Some(w) = m.get("loss_weight") {
        let default = if role == "assistant" { 1.0 } else { 0.0 };
        lossy |= w.to_f64() != Some(default);
    }
    let (text, media, parts_lossy) = content_of(content, &format!("{field}.{key}"))?;
    Ok(Message { role, text, media, lossy: lossy || parts_lossy })
}

/// A message's content: a string, or typed parts (`{"type": "text", "text"|"value": ..}`, media
/// parts with or without a reference of their own).
fn content_of(v: &Value, field: &str) -> FieldResult<(String, Vec<MediaDraft>, bool)> {
    let parts = match v {
        Value::Str(s) => return Ok((s.clone(), Vec::new(), false)),
        Value::List(parts) => parts,
        other => {
            return Err(FieldError::new(
                field,
                format!("expected text or a list of content parts, found {}", other.type_name()),
            ));
        }
    };
    let mut text = String::new();
    let mut media = Vec::new();
    let mut lossy = false;
    for (j, p) in parts.iter().enumerate() {
        let pf = format!("{field}[{j}]");
        let pm = match p {
            Value::Map(pm) => pm,
            Value::Str(s) => {
                text.push_str(s);
                continue;
            }
            other => {
                return Err(FieldError::new(pf, format!("expected a content part, found {}", other.type_name())));
            }
        };
        let kind = pm.get("type").and_then(Value::as_str).unwrap_or("text");
        if kind == "text" {
            match pm.get("text").or_else(|| pm.get("value")) {
                Some(Value::Str(t)) => text.push_str(t),
                _ => {
                    return Err(FieldError::new(pf, "a text part without a `text` or `value` string"));
                }
            }
            lossy |= pm.keys().any(|k| !["type", "text", "value"].contains(&k.as_str()));
        } else if let Some((mk, token)) = part_kind(kind) {
            text.push_str(token);
            let reference: Map = pm
                .iter()
                .filter(|(k, v)| k.as_str() != "type" && !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if !reference.is_empty() {
                let source = media_ref::source_of(&pf, Value::Map(reference))?;
                media.push(MediaDraft { role: MediaRole::Input, kind: mk, field: pf, source, response: None });
            }
        } else {
            // Reasoning, tool calls, tool lists: no place in the model; the raw column is kept.
            lossy = true;
        }
    }
    Ok((text, media, lossy))
}

/// Splits off the final assistant message: (the messages before it, the answer).
fn split_answer(mut messages: Vec<Message>, field: &str) -> FieldResult<(Vec<Message>, Message)> {
    match messages.last().map(|m| m.role.as_str()) {
        Some("assistant") => {
            let answer = messages.pop().ok_or_else(|| FieldError::new(field, "the conversation is empty"))?;
            Ok((messages, answer))
        }
        Some(other) => Err(FieldError::new(
            field,
            format!("the conversation ends on a {other} turn, expected the assistant's answer"),
        )),
        None => Err(FieldError::new(field, "the conversation is empty")),
    }
}

/// (context, prompt) from the messages before the answer, which must end on a user turn.
fn prompt_of(before: &[Message], field: &str) -> FieldResult<(Vec<Turn>, String)> {
    match before.split_last() {
        Some((last, earlier)) if last.role == "user" => {
            Ok((earlier.iter().map(Message::turn).collect(), last.text.clone()))
        }
        Some((last, _)) => Err(FieldError::new(
            field,
            format!(
                "the turn before the answer is a {} turn, expected the user's prompt (tool turns are not supported)",
                last.role
            ),
        )),
        None => Err(FieldError::new(field, "the conversation has no user turn")),
    }
}

/// Whether two conversations say the same thing (roles, text, media).
fn same_turns(a: &[Message], b: &[Message]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.role == y.role
                && x.text == y.text
                && x.media.len() == y.media.len()
                && x.media.iter().zip(&y.media).all(|(m, n)| m.kind == n.kind && m.source == n.source)
        })
}

/// Takes a response field: a string, a `{from, value}` / `{role, content}` object, or a list of
/// messages whose last assistant message is the response (the whole list is then also kept in
/// extras when it holds more than that message).
fn take_answer(row: &mut Row<'_>, field: &str) -> FieldResult<String> {
    let v = row.take_required(field)?;
    match &v {
        Value::List(_) => {
            let messages = messages_of(&v, field)?;
            let full = messages.len() == 1 && !messages[0].lossy;
            let (_, answer) = split_answer(messages, field)?;
            if !full {
                row.warn(field, "the response is the last assistant message; the whole conversation is kept in extras");
                row.keep(field, v);
            }
            Ok(answer.text)
        }
        Value::Map(m) => {
            let text = text_of(&v)
                .ok_or_else(|| FieldError::new(field, "expected a message with text `value` or `content`"))?;
            if m.keys().any(|k| !["role", "from", "content", "value", "loss_weight"].contains(&k.as_str())) {
                row.keep(field, v.clone());
            }
            Ok(text)
        }
        other => {
            text_of(other).ok_or_else(|| FieldError::new(field, format!("expected text, found {}", describe(other))))
        }
    }
}

/// Takes the `images`/`videos`/`audios` lists as input media.
fn take_media_lists(row: &mut Row<'_>) -> FieldResult<Vec<MediaDraft>> {
    let mut media = Vec::new();
    for (field, kind, _) in MEDIA_LISTS {
        media.extend(row.take_media(field, kind, MediaRole::Input)?);
    }
    Ok(media)
}

/// Warns when the placeholders in the prompt and context do not match the input media, as the
/// trainers require. With `always` false, a text without any placeholder of a kind is not checked
/// (TRL string prompts and ms-swift rows may leave them implicit).
fn check_placeholders(row: &mut Row<'_>, s: &SampleDraft, always: bool) {
    for (field, kind, token) in MEDIA_LISTS {
        let tokens =
            s.prompt.matches(token).count() + s.context.iter().map(|t| t.content.matches(token).count()).sum::<usize>();
        let items = s.media.iter().filter(|m| m.role == MediaRole::Input && m.kind == kind).count();
        if tokens != items && (always || tokens > 0) {
            row.warn(
                field,
                format!(
                    "{} but {} in the prompt and context",
                    crate::model::words::plural(items as u64, &format!("{kind} item")),
                    crate::model::words::plural(tokens as u64, &format!("{token} placeholder"))
                ),
            );
        }
    }
}

/// TRL `DPOTrainer` rows (also `OpenRLHF`): `prompt`, `chosen`, `rejected` as strings, or as
/// conversations (`prompt` a list of messages ending on the user turn, `chosen`/`rejected` the
/// assistant message); vision rows add `images`, one `{"type": "image"}` part per image.
pub(super) fn trl(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let raw = row.take_required("prompt")?;
    let mut part_media = Vec::new();
    let (context, prompt, conversational) = match &raw {
        Value::List(_) => {
            let messages = messages_of(&raw, "prompt")?;
            if messages.iter().any(|m| m.lossy) {
                row.keep("prompt", raw.clone());
            }
            let (context, prompt) = prompt_of(&messages, "prompt")?;
            part_media.extend(messages.into_iter().flat_map(|m| m.media));
            (context, prompt, true)
        }
        other => (
            Vec::new(),
            text_of(other)
                .ok_or_else(|| FieldError::new("prompt", format!("expected text, found {}", describe(other))))?,
            false,
        ),
    };
    let chosen = take_answer(row, "chosen")?;
    let rejected = take_answer(row, "rejected")?;
    let mut media = take_media_lists(row)?;
    media.extend(part_media);
    let mut s = SampleDraft {
        source_key: key,
        prompt,
        context,
        responses: vec![response(chosen, "chosen"), response(rejected, "rejected")],
        media,
        judgments: vec![JudgmentDraft::pairwise(0, 1)],
        ..SampleDraft::default()
    };
    if conversational {
        check_placeholders(row, &s, true);
    }
    take_margin(row, &mut s);
    Ok(vec![s])
}

/// An `OpenRLHF` / ms-swift reward margin, into the judgment's detail.
fn take_margin(row: &mut Row<'_>, s: &mut SampleDraft) {
    if let Some(m) = row.take("margin")
        && let Some(j) = s.judgments.first_mut()
    {
        let mut detail = match j.detail.take() {
            Some(serde_json::Value::Object(d)) => d,
            _ => serde_json::Map::new(),
        };
        detail.insert("margin".into(), m.to_json());
        j.detail = Some(serde_json::Value::Object(detail));
    }
}

/// The `system` column as the first context turn.
fn take_system(row: &mut Row<'_>, context: &mut Vec<Turn>) {
    if let Some(system) = row.take_opt_text("system").filter(|s| !s.is_empty()) {
        context.insert(0, Turn { role: "system".into(), content: system });
    }
}

/// LLaMA-Factory alpaca ranking rows: `instruction`, `input`, `chosen`, `rejected`, optional
/// `system`, `history` (`[[query, answer], ..]`) and media lists. LLaMA-Factory joins a non-empty
/// `input` to the instruction with a newline, and so does the prompt here; `input` itself stays in
/// extras, so the split can be undone.
pub(super) fn llamafactory_alpaca(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let instruction = row.take_text("instruction")?;
    let input = match row.peek("input") {
        None => None,
        Some(Value::Str(s)) => Some(s.clone()),
        Some(other) => {
            let found = other.type_name();
            row.warn("input", format!("expected text, found {found}; kept in extras and left out of the prompt"));
            None
        }
    };
    let prompt = match input.filter(|i| !i.is_empty()) {
        Some(input) => format!("{instruction}\n{input}"),
        None => instruction,
    };
    let mut context = Vec::new();
    if let Some(history) = row.take("history") {
        let items = history.as_list().ok_or_else(|| {
            FieldError::new(
                "history",
                format!("expected a list of [query, answer] pairs, found {}", history.type_name()),
            )
        })?;
        for (i, item) in items.iter().enumerate() {
            let pair = item.as_list().filter(|p| p.len() == 2).and_then(|p| Some((p[0].as_str()?, p[1].as_str()?)));
            let (query, answer) = pair.ok_or_else(|| {
                FieldError::new(
                    format!("history[{i}]"),
                    format!("expected a [query, answer] pair of texts, found {}", item.type_name()),
                )
            })?;
            context.push(Turn { role: "user".into(), content: query.to_owned() });
            context.push(Turn { role: "assistant".into(), content: answer.to_owned() });
        }
    }
    take_system(row, &mut context);
    let chosen = take_answer(row, "chosen")?;
    let rejected = take_answer(row, "rejected")?;
    let media = take_media_lists(row)?;
    let mut s = pair_sample(prompt, response(chosen, "chosen"), response(rejected, "rejected"), media);
    s.source_key = key;
    s.context = context;
    check_placeholders(row, &s, true);
    Ok(vec![s])
}

/// LLaMA-Factory sharegpt ranking rows: `conversations` (`[{from, value}]`, ending on the human
/// turn; `messages` with `{role, content}` is read too), `chosen` and `rejected` (`{from: gpt,
/// value}`), optional `system` and media lists.
pub(super) fn llamafactory_sharegpt(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let field = if row.has("conversations") || !row.has("messages") { "conversations" } else { "messages" };
    let raw = row.take_required(field)?;
    let messages = messages_of(&raw, field)?;
    if messages.iter().any(|m| m.lossy) {
        row.keep(field, raw.clone());
    }
    let (mut context, prompt) = prompt_of(&messages, field)?;
    take_system(row, &mut context);
    let chosen = take_answer(row, "chosen")?;
    let rejected = take_answer(row, "rejected")?;
    let mut media = take_media_lists(row)?;
    media.extend(messages.into_iter().flat_map(|m| m.media));
    let mut s = pair_sample(prompt, response(chosen, "chosen"), response(rejected, "rejected"), media);
    s.source_key = key;
    s.context = context;
    check_placeholders(row, &s, true);
    Ok(vec![s])
}

/// LLaMA-Factory v1 pair rows: `chosen_messages` and `rejected_messages`, each the whole
/// conversation with typed content (`{"type": "text", "value": ..}`, `{"type": "image_url",
/// "value": path}`) and a `loss_weight` per message. The turns before the final assistant message
/// are shared; when the rejected side's differ, its raw column is kept in extras.
pub(super) fn llamafactory_v1(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let raw_chosen = row.take_required("chosen_messages")?;
    let raw_rejected = row.take_required("rejected_messages")?;
    let chosen = messages_of(&raw_chosen, "chosen_messages")?;
    let rejected = messages_of(&raw_rejected, "rejected_messages")?;
    let chosen_lossy = chosen.iter().any(|m| m.lossy);
    let rejected_lossy = rejected.iter().any(|m| m.lossy);
    let (before, chosen_answer) = split_answer(chosen, "chosen_messages")?;
    let (rejected_before, rejected_answer) = split_answer(rejected, "rejected_messages")?;
    let (context, prompt) = prompt_of(&before, "chosen_messages")?;
    let same = same_turns(&before, &rejected_before);
    if !same {
        row.warn(
            "rejected_messages",
            "the turns before the rejected answer differ from the chosen side's; the column is kept in extras",
        );
    }
    if chosen_lossy {
        row.keep("chosen_messages", raw_chosen);
    }
    if rejected_lossy || !same {
        row.keep("rejected_messages", raw_rejected);
    }
    let mut media: Vec<MediaDraft> = before.into_iter().flat_map(|m| m.media).collect();
    for (pos, answer_media) in [(0, chosen_answer.media), (1, rejected_answer.media)] {
        media.extend(answer_media.into_iter().map(|m| MediaDraft {
            role: MediaRole::Candidate,
            response: Some(pos),
            ..m
        }));
    }
    let s = SampleDraft {
        source_key: key,
        prompt,
        context,
        responses: vec![
            response(chosen_answer.text, "chosen_messages"),
            response(rejected_answer.text, "rejected_messages"),
        ],
        media,
        judgments: vec![JudgmentDraft::pairwise(0, 1)],
        ..SampleDraft::default()
    };
    Ok(vec![s])
}

/// ms-swift DPO/RM rows: `messages` (`<image>`/`<video>`/`<audio>` tags inline) whose last
/// assistant message is the chosen answer; the rejected side is `rejected_response` (a string or a
/// message list), `rejected_messages`, or only `rejected_images` (the same answer, shown other
/// images). `images`/`videos`/`audios` are paths, URLs or data URIs; `margin` goes to the detail.
/// Rejected-side media that differ from the chosen side's are kept as `Retrieved` media named
/// `rejected_images[i]`; identical ones are dropped and the detail lists them (`same_rejected_media`).
pub(super) fn ms_swift(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let raw = row.take_required("messages")?;
    let messages = messages_of(&raw, "messages")?;
    if messages.iter().any(|m| m.lossy) {
        row.keep("messages", raw.clone());
    }
    let (before, answer) = split_answer(messages, "messages")?;
    let (context, prompt) = prompt_of(&before, "messages")?;

    let rejected_media_fields = [
        ("rejected_images", "images", MediaKind::Image),
        ("rejected_videos", "videos", MediaKind::Video),
        ("rejected_audios", "audios", MediaKind::Audio),
    ];
    let mut detail = serde_json::Map::new();
    let mut same_media = Vec::new();
    let mut rejected_media = Vec::new();
    let mut differing = Vec::new();
    for (field, chosen_field, kind) in rejected_media_fields {
        let Some(v) = row.peek(field).cloned() else {
            continue;
        };
        if row.peek(chosen_field) == Some(&v) {
            row.take(field);
            same_media.push(serde_json::Value::String(field.to_owned()));
        } else {
            rejected_media.extend(row.take_media(field, kind, MediaRole::Retrieved)?);
            differing.push(field);
        }
    }

    let (rejected, rejected_field) = if row.has("rejected_response") {
        (take_answer(row, "rejected_response")?, "rejected_response")
    } else if let Some(v) = row.take("rejected_messages") {
        let rejected = messages_of(&v, "rejected_messages")?;
        let lossy = rejected.iter().any(|m| m.lossy);
        let (rejected_before, rejected_answer) = split_answer(rejected, "rejected_messages")?;
        let same = same_turns(&before, &rejected_before);
        if !same {
            row.warn(
                "rejected_messages",
                "the turns before the rejected answer differ from the chosen side's; the column is kept in extras",
            );
        }
        if lossy || !same {
            row.keep("rejected_messages", v);
        }
        (rejected_answer.text, "rejected_messages")
    } else if !differing.is_empty() || !same_media.is_empty() {
        // Only the media differ: the rejected answer is the chosen one, shown other inputs.
        if differing.is_empty() {
            row.warn(
                "rejected_images",
                "the rejected side repeats the chosen answer and media: the pair prefers nothing",
            );
        }
        (answer.text.clone(), differing.first().copied().unwrap_or("rejected_images"))
    } else {
        return Err(FieldError::new(
            "rejected_response",
            "missing: an ms-swift preference row needs rejected_response, rejected_messages or rejected_images",
        ));
    };
    if !same_media.is_empty() {
        detail.insert("same_rejected_media".into(), serde_json::Value::Array(same_media));
    }

    let mut media = take_media_lists(row)?;
    media.extend(before.into_iter().flat_map(|m| m.media));
    media.extend(rejected_media);
    let mut judgment = JudgmentDraft::pairwise(0, 1);
    if !detail.is_empty() {
        judgment.detail = Some(serde_json::Value::Object(detail));
    }
    let mut s = SampleDraft {
        source_key: key,
        prompt,
        context,
        responses: vec![response(answer.text, "messages"), response(rejected, rejected_field)],
        media,
        judgments: vec![judgment],
        ..SampleDraft::default()
    };
    check_placeholders(row, &s, false);
    take_margin(row, &mut s);
    Ok(vec![s])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::presets::row::PresetOptions;

    use crate::ingest::presets::row::test_row as row_of;

    #[test]
    fn a_prompt_that_does_not_end_on_the_user_is_refused() {
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"prompt":[{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}],"chosen":"a","rejected":"b"}"#,
            &opts,
        );
        let err = trl(&mut row).expect_err("prompt ends on assistant");
        assert_eq!(err.field, "prompt");
    }

    #[test]
    fn malformed_parts_name_the_part() {
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"chosen_messages":[{"role":"user","content":[{"type":"text"}]},{"role":"assistant","content":"a"}],"rejected_messages":[{"role":"user","content":"q"},{"role":"assistant","content":"b"}]}"#,
            &opts,
        );
        let err = llamafactory_v1(&mut row).expect_err("text part without text");
        assert_eq!(err.field, "chosen_messages[0].content[0]");
    }

    #[test]
    fn reasoning_parts_keep_the_raw_column() {
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"chosen_messages":[{"role":"user","content":[{"type":"text","value":"q"}],"loss_weight":0.0},{"role":"assistant","content":[{"type":"reasoning","value":"think"},{"type":"text","value":"a"}],"loss_weight":1.0}],
                "rejected_messages":[{"role":"user","content":[{"type":"text","value":"q"}],"loss_weight":0.0},{"role":"assistant","content":[{"type":"text","value":"b"}],"loss_weight":1.0}]}"#,
            &opts,
        );
        let s = llamafactory_v1(&mut row).expect("maps").remove(0);
        assert_eq!(s.responses[0].text.as_deref(), Some("a"));
        let (extras, _) = row.into_extras();
        assert!(extras.contains_key("chosen_messages"));
        assert!(!extras.contains_key("rejected_messages"));
    }

    #[test]
    fn alpaca_history_must_be_pairs() {
        let opts = PresetOptions::default();
        let mut row =
            row_of(r#"{"instruction":"i","chosen":"a","rejected":"b","history":[["q","a"],["only"]]}"#, &opts);
        assert_eq!(llamafactory_alpaca(&mut row).expect_err("bad pair").field, "history[1]");
    }

    #[test]
    fn ms_swift_without_a_rejected_side_is_refused() {
        let opts = PresetOptions::default();
        let mut row =
            row_of(r#"{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}"#, &opts);
        assert_eq!(ms_swift(&mut row).expect_err("nothing rejected").field, "rejected_response");
    }
}
