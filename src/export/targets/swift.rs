//! ms-swift DPO/RM rows: `messages` (an optional system message, the earlier turns, the user
//! prompt with `<image>`/`<video>`/`<audio>` tags inline, and the chosen answer last),
//! `rejected_response`, `images`/`videos`/`audios` (paths relative to the export folder, or
//! `{bytes, path}` when embedded), and `margin` when the pair has one (reward models read it).

use super::{Needs, PairRow, PairTarget, Part, list_of, media_list, media_list_type, obj, s};
use crate::model::Value;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::sync::Arc;

/// ms-swift.
pub struct Swift {
    /// Media as bytes.
    pub embed: bool,
}

impl PairTarget for Swift {
    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        needs.frames.then_some("frame_folder")
    }

    fn row(&self, row: &PairRow<'_>) -> (Value, bool) {
        let (context, prompt, repaired) = super::with_media_tokens(row);
        let mut messages: Vec<Value> =
            context.iter().map(|t| obj([("role", s(&t.role)), ("content", s(&t.content))])).collect();
        messages.push(obj([("role", s("user")), ("content", s(&prompt))]));
        messages.push(obj([("role", s("assistant")), ("content", s(row.chosen))]));
        (
            obj([
                ("messages", Value::List(messages)),
                ("rejected_response", s(row.rejected)),
                ("images", media_list(row.images, self.embed)),
                ("videos", media_list(row.videos, false)),
                ("audios", media_list(row.audios, false)),
                ("margin", row.pair.margin.map_or(Value::Null, Value::Float)),
            ]),
            repaired,
        )
    }

    fn schema(&self, embed: bool, _part: Part) -> SchemaRef {
        let message = DataType::Struct(Fields::from(vec![
            Field::new("role", DataType::Utf8, true),
            Field::new("content", DataType::Utf8, true),
        ]));
        Arc::new(Schema::new(vec![
            Field::new("messages", list_of(message), true),
            Field::new("rejected_response", DataType::Utf8, true),
            Field::new("images", media_list_type(embed), true),
            Field::new("videos", list_of(DataType::Utf8), true),
            Field::new("audios", list_of(DataType::Utf8), true),
            Field::new("margin", DataType::Float64, true),
        ]))
    }

    fn media_features(&self, _embed: bool) -> Vec<(&'static str, &'static str)> {
        vec![("images", "Image")]
    }
}
