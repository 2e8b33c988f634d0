//! TRL `DPOTrainer` rows. Text-only exports use the standard form (`prompt`, `chosen`,
//! `rejected` strings); exports with images or earlier turns use the conversational form: the
//! prompt is a list of messages whose content is typed parts, one `{"type": "image"}` part per
//! image where the source had its `<image>` placeholder (missing ones go first in the first user
//! message), and `images` lists the images.

use super::{Needs, PairRow, PairTarget, list_of, media_list, media_list_type, obj, s};
use crate::model::Value;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::sync::Arc;

/// TRL, in one of its two forms.
pub struct Trl {
    /// Conversational (messages with typed parts and `images`) instead of plain strings.
    pub conversational: bool,
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
    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        if needs.videos || needs.frames {
            Some("video")
        } else if needs.audios {
            Some("audio")
        } else {
            None
        }
    }

    fn row(&self, row: &PairRow<'_>) -> (Value, bool) {
        let s_ = row.sample;
        if !self.conversational {
            return (obj([("prompt", s(&s_.prompt)), ("chosen", s(row.chosen)), ("rejected", s(row.rejected))]), false);
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

    fn schema(&self, embed: bool) -> SchemaRef {
        if !self.conversational {
            return Arc::new(Schema::new(vec![
                Field::new("prompt", DataType::Utf8, true),
                Field::new("chosen", DataType::Utf8, true),
                Field::new("rejected", DataType::Utf8, true),
            ]));
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
        if self.conversational { vec![("images", "Image")] } else { Vec::new() }
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
