//! OpenRLHF DPO/RM rows (`openrlhf/datasets/reward_dataset.py`, `preprocess_data`), in one of two
//! forms decided per export:
//! - strings: `prompt`, `chosen`, `rejected` strings, read without `--apply_chat_template` (a
//!   sample with a system message or earlier turns cannot be said);
//! - messages: `prompt` a list of `{role, content}` messages (system message and earlier turns,
//!   then the user prompt), `chosen` and `rejected` one assistant message each, read with
//!   `--apply_chat_template` (it concatenates `prompt + chosen` into one conversation).
//!
//! Both write `margin` (null where the pair has no score; OpenRLHF reads null as 0). Its text path
//! takes no media.

use super::{Needs, PairRow, PairTarget, Part, answer_messages, list_of, message_type, obj, prompt_messages, s};
use crate::model::Value;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use std::sync::Arc;

/// OpenRLHF.
pub struct OpenRlhf {
    /// Message lists instead of strings.
    pub messages: bool,
}

impl OpenRlhf {
    /// The form's name in the manifest.
    pub fn form_name(&self) -> &'static str {
        if self.messages { "messages" } else { "strings" }
    }

    /// What the form is and how OpenRLHF reads it, in one line (the manifest's).
    pub fn explanation(&self) -> &'static str {
        if self.messages {
            "messages: prompt is a list of {role, content} messages (system message and earlier turns included, then \
             the user prompt), chosen and rejected one assistant message each: read with --apply_chat_template"
        } else {
            "strings: prompt, chosen and rejected are strings: read without --apply_chat_template (an \
             --input_template may wrap the prompt)"
        }
    }
}

impl PairTarget for OpenRlhf {
    fn form(&self) -> Option<(&'static str, &'static str)> {
        Some((self.form_name(), self.explanation()))
    }

    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        if needs.images {
            Some("image")
        } else if needs.videos || needs.frames {
            Some("video")
        } else if needs.audios {
            Some("audio")
        } else if self.messages {
            None
        } else {
            needs.context_reason()
        }
    }

    fn row(&self, row: &PairRow<'_>) -> (Value, bool) {
        let margin = row.pair.margin.map_or(Value::Null, Value::Float);
        let value = if self.messages {
            obj([
                ("prompt", prompt_messages(row.sample)),
                ("chosen", answer_messages(row.chosen)),
                ("rejected", answer_messages(row.rejected)),
                ("margin", margin),
            ])
        } else {
            obj([
                ("prompt", s(&row.sample.prompt)),
                ("chosen", s(row.chosen)),
                ("rejected", s(row.rejected)),
                ("margin", margin),
            ])
        };
        (value, false)
    }

    fn schema(&self, _embed: bool, _part: Part) -> SchemaRef {
        let text = if self.messages { list_of(message_type()) } else { DataType::Utf8 };
        Arc::new(Schema::new(vec![
            Field::new("prompt", text.clone(), true),
            Field::new("chosen", text.clone(), true),
            Field::new("rejected", text, true),
            Field::new("margin", DataType::Float64, true),
        ]))
    }

    fn media_features(&self, _embed: bool) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }
}
