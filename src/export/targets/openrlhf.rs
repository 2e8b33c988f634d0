//! OpenRLHF DPO/RM rows: `prompt`, `chosen`, `rejected` strings (its text path takes one prompt
//! string: samples with media or earlier turns cannot be said) and `margin` when the pair has one.

use super::{Needs, PairRow, PairTarget, obj, s};
use crate::model::Value;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use std::sync::Arc;

/// OpenRLHF.
pub struct OpenRlhf;

impl PairTarget for OpenRlhf {
    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        if needs.images {
            Some("image")
        } else if needs.videos || needs.frames {
            Some("video")
        } else if needs.audios {
            Some("audio")
        } else if needs.context {
            Some("multi_turn_context")
        } else {
            None
        }
    }

    fn row(&self, row: &PairRow<'_>) -> (Value, bool) {
        (
            obj([
                ("prompt", s(&row.sample.prompt)),
                ("chosen", s(row.chosen)),
                ("rejected", s(row.rejected)),
                ("margin", row.pair.margin.map_or(Value::Null, Value::Float)),
            ]),
            false,
        )
    }

    fn schema(&self, _embed: bool) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("prompt", DataType::Utf8, true),
            Field::new("chosen", DataType::Utf8, true),
            Field::new("rejected", DataType::Utf8, true),
            Field::new("margin", DataType::Float64, true),
        ]))
    }

    fn media_features(&self, _embed: bool) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }
}
