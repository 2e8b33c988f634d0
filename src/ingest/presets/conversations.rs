//! Presets for LLaVA-style conversation layouts: POVID and LLaVA-RLHF.

use super::pairs::{pair_sample, response};
use super::row::{FieldError, FieldResult, Row, split_prompt, text_of};
use crate::model::{JudgmentDraft, MediaKind, MediaRole, SampleDraft, Turn};

/// The last assistant turn of a conversation, and the turns before it.
fn last_assistant(mut turns: Vec<Turn>, field: &str) -> FieldResult<(Vec<Turn>, String)> {
    match turns.last() {
        Some(t) if t.role == "assistant" => {
            let answer = turns.pop().map(|t| t.content).unwrap_or_default();
            Ok((turns, answer))
        }
        _ => Err(FieldError::new(field, "the conversation does not end on an assistant (gpt) turn")),
    }
}

/// POVID: `conversations` holds the chosen answer, `rejected_conversations` repeats the human
/// turns with the rejected answer.
pub(super) fn povid(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let chosen_turns = row.take_turns("conversations")?;
    let rejected_turns = row.take_turns("rejected_conversations")?;
    let (before, chosen) = last_assistant(chosen_turns, "conversations")?;
    let (_, rejected) = last_assistant(rejected_turns, "rejected_conversations")?;
    let (context, prompt) = split_prompt(before, "conversations")?;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    let mut s =
        pair_sample(prompt, response(chosen, "conversations"), response(rejected, "rejected_conversations"), media);
    s.context = context;
    s.source_key = key;
    Ok(vec![s])
}

/// LLaVA-RLHF: `conversations` ends on a gpt turn (kept in extras), `output_1`/`output_2` are the
/// candidates and `preference` (1 or 2) names the better one.
pub(super) fn llava_rlhf(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let raw_turns = row.peek("conversations").cloned();
    let mut turns = row.take_turns("conversations")?;
    if turns.last().is_some_and(|t| t.role == "assistant") {
        turns.pop();
        // The conversation's own last answer is not one of the candidates: keep it.
        if let Some(v) = raw_turns {
            row.keep("conversations", v);
        }
    }
    let (context, prompt) = split_prompt(turns, "conversations")?;
    let out1 = row.take_required("output_1")?;
    let out2 = row.take_required("output_2")?;
    let t1 = text_of(&out1)
        .ok_or_else(|| FieldError::new("output_1", format!("expected text, found {}", out1.type_name())))?;
    let t2 = text_of(&out2)
        .ok_or_else(|| FieldError::new("output_2", format!("expected text, found {}", out2.type_name())))?;
    let preference = row.take_int("preference")?;
    let (chosen, rejected) = match preference {
        1 => (0, 1),
        2 => (1, 0),
        other => return Err(FieldError::new("preference", format!("expected 1 or 2, found {other}"))),
    };
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    let mut s = pair_sample(prompt, response(t1, "output_1"), response(t2, "output_2"), media);
    s.judgments =
        vec![JudgmentDraft::pairwise(chosen, rejected).with_detail(serde_json::json!({ "preference": preference }))];
    s.context = context;
    s.source_key = key;
    Ok(vec![s])
}

/// RLHF-V converted to LLaVA's layout: `conversations` ends on the chosen (corrected) gpt turn and
/// `rejected` is the original answer as a string.
pub(super) fn llava_rejected(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("idx").or_else(|| row.take_key("id"));
    let turns = row.take_turns("conversations")?;
    let (before, chosen) = last_assistant(turns, "conversations")?;
    let (context, prompt) = split_prompt(before, "conversations")?;
    let rejected = row.take_text("rejected")?;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    let mut s = pair_sample(prompt, response(chosen, "conversations"), response(rejected, "rejected"), media);
    s.context = context;
    s.source_key = key;
    Ok(vec![s])
}
