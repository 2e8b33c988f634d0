//! TRL `DPOTrainer` rows, in one of three forms decided per export (every file of an export in
//! the same one, so that a split loads as one `DatasetDict`):
//! - standard: `prompt`, `chosen`, `rejected` strings;
//! - conversational text: `prompt` a list of `{role, content}` messages with string content
//!   (system message, earlier turns, the user prompt), `chosen`/`rejected` one assistant message
//!   each, and no `images` column: TRL treats any file with one as vision and refuses a text model;
//! - conversational vision: messages whose content is typed parts, one `{"type": "image"}` part
//!   per image where the source had its `<image>` placeholder (missing ones go first in the first
//!   user message), and `images` listing the images (`[]` on a text row).

use super::{
    Needs, PairRow, PairTarget, Part, answer_messages, list_of, media_list, media_list_type, message_type, obj,
    prompt_messages, s,
};
use crate::model::Value;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::sync::Arc;

/// TRL's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrlForm {
    /// `prompt`, `chosen`, `rejected` strings.
    Standard,
    /// Message lists with string content, no `images`.
    ConversationalText,
    /// Message lists with typed content parts, and `images`.
    ConversationalVision,
}

impl TrlForm {
    /// Its name in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            TrlForm::Standard => "standard",
            TrlForm::ConversationalText => "conversational_text",
            TrlForm::ConversationalVision => "conversational_vision",
        }
    }

    /// What the form is and what TRL makes of it, in one line (the manifest's).
    pub fn explanation(self) -> &'static str {
        match self {
            TrlForm::Standard => {
                "standard: prompt, chosen and rejected are strings; no row has images, a system message or earlier turns"
            }
            TrlForm::ConversationalText => {
                "conversational_text: prompt is a list of {role, content} messages (system message and earlier turns, \
                 then the user prompt), chosen and rejected one assistant message each, contents are strings and there \
                 is no images column: TRL trains it with a text model through its chat template"
            }
            TrlForm::ConversationalVision => {
                "conversational_vision: messages with typed content parts (one {\"type\": \"image\"} part per image) \
                 and an images column: TRL treats the whole file as vision and needs a vision-language model; its \
                 text-only rows (images: []) go through the processor without images"
            }
        }
    }
}

/// TRL, in one of its forms.
pub struct Trl {
    /// The form of every row.
    pub form: TrlForm,
    /// Media as bytes.
    pub embed: bool,
}

const IMAGE: &str = "<image>";

impl Trl {
    /// Typed content parts for a text: image parts where its `<image>` placeholders were.
    fn parts(text: &str) -> Value {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find(IMAGE) {
            let before = &rest[..at];
            if !before.trim().is_empty() {
                parts.push(obj([("type", s("text")), ("text", s(before))]));
            }
            parts.push(obj([("type", s("image"))]));
            rest = &rest[at + IMAGE.len()..];
            rest = rest.strip_prefix('\n').unwrap_or(rest);
        }
        if !rest.is_empty() || parts.is_empty() {
            parts.push(obj([("type", s("text")), ("text", s(rest))]));
        }
        Value::List(parts)
    }

    fn message(role: &str, text: &str) -> Value {
        let content = if role == "user" { Self::parts(text) } else { Self::parts_plain(text) };
        obj([("role", s(role)), ("content", content)])
    }
}

impl PairTarget for Trl {
    fn form(&self) -> Option<(&'static str, &'static str)> {
        Some((self.form.as_str(), self.form.explanation()))
    }

    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        if needs.videos || needs.frames {
            Some("video")
        } else if needs.audios {
            Some("audio")
        } else if needs.images && self.form != TrlForm::ConversationalVision {
            Some("image")
        } else if self.form == TrlForm::Standard {
            needs.context_reason()
        } else {
            None
        }
    }

    fn row(&self, row: &PairRow<'_>) -> (Value, bool) {
        let s_ = row.sample;
        match self.form {
            TrlForm::Standard => {
                return (
                    obj([("prompt", s(&s_.prompt)), ("chosen", s(row.chosen)), ("rejected", s(row.rejected))]),
                    false,
                );
            }
            TrlForm::ConversationalText => {
                return (
                    obj([
                        ("prompt", prompt_messages(s_)),
                        ("chosen", answer_messages(row.chosen)),
                        ("rejected", answer_messages(row.rejected)),
                    ]),
                    false,
                );
            }
            TrlForm::ConversationalVision => {}
        }
        let mut texts = super::user_texts(s_);
        let repaired = super::repair_tokens(&mut texts, IMAGE, row.images.len());
        let (context, prompt) = super::with_user_texts(&s_.context, &texts);
        let mut messages: Vec<Value> = context.iter().map(|t| Self::message(&t.role, &t.content)).collect();
        messages.push(Self::message("user", &prompt));
        let answer =
            |text: &str| Value::List(vec![obj([("role", s("assistant")), ("content", Self::parts_plain(text))])]);
        (
            obj([
                ("prompt", Value::List(messages)),
                ("chosen", answer(row.chosen)),
                ("rejected", answer(row.rejected)),
                ("images", media_list(row.images, self.embed)),
            ]),
            repaired,
        )
    }

    fn schema(&self, embed: bool, _part: Part) -> SchemaRef {
        match self.form {
            TrlForm::Standard => {
                return Arc::new(Schema::new(vec![
                    Field::new("prompt", DataType::Utf8, true),
                    Field::new("chosen", DataType::Utf8, true),
                    Field::new("rejected", DataType::Utf8, true),
                ]));
            }
            TrlForm::ConversationalText => {
                return Arc::new(Schema::new(vec![
                    Field::new("prompt", list_of(message_type()), true),
                    Field::new("chosen", list_of(message_type()), true),
                    Field::new("rejected", list_of(message_type()), true),
                ]));
            }
            TrlForm::ConversationalVision => {}
        }
        let part = DataType::Struct(Fields::from(vec![
            Field::new("type", DataType::Utf8, true),
            Field::new("text", DataType::Utf8, true),
        ]));
        let message = DataType::Struct(Fields::from(vec![
            Field::new("role", DataType::Utf8, true),
            Field::new("content", list_of(part), true),
        ]));
        Arc::new(Schema::new(vec![
            Field::new("prompt", list_of(message.clone()), true),
            Field::new("chosen", list_of(message.clone()), true),
            Field::new("rejected", list_of(message), true),
            Field::new("images", media_list_type(embed), true),
        ]))
    }

    fn media_features(&self, _embed: bool) -> Vec<(&'static str, &'static str)> {
        if self.form == TrlForm::ConversationalVision { vec![("images", "Image")] } else { Vec::new() }
    }
}

impl Trl {
    /// An answer's content: one text part (an answer's `<image>` is text, not an input).
    fn parts_plain(text: &str) -> Value {
        Value::List(vec![obj([("type", s("text")), ("text", s(text))])])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_image_parts_in_place() {
        let parts = serde_json::to_string(&Trl::parts("Image1:<image>\nImage2:<image>\nWhich?")).expect("json");
        assert_eq!(
            parts,
            r#"[{"type":"text","text":"Image1:"},{"type":"image"},{"type":"text","text":"Image2:"},{"type":"image"},{"type":"text","text":"Which?"}]"#
        );
        let parts = serde_json::to_string(&Trl::parts("<image>\nWhat is it?")).expect("json");
        assert_eq!(parts, r#"[{"type":"image"},{"type":"text","text":"What is it?"}]"#);
    }
}
