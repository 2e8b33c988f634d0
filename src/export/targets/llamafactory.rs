//! LLaMA-Factory sharegpt ranking rows: `conversations` (`{from, value}` turns, an optional
//! system turn first, then human/gpt alternating and ending on the human prompt), `chosen` and
//! `rejected` (`{from: gpt, value}`), and `images`/`videos`/`audios` with paths relative to the
//! export folder (LLaMA-Factory's `media_dir` defaults to the dataset folder). The number of
//! `<image>`, `<video>` and `<audio>` tokens in the human turns equals each list's length: tokens
//! are added or removed where the source's differ, and the manifest counts those rows.
//! `dataset_info.json` beside the data names each file with `ranking: true` and its columns.

use super::{Needs, PairRow, PairTarget, list_of, media_list, media_list_type, obj, s};
use crate::model::Value;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::sync::Arc;

/// LLaMA-Factory.
pub struct LlamaFactory {
    /// Media as bytes.
    pub embed: bool,
    /// Videos are frame folders (lists of frame paths) rather than files. LLaMA-Factory takes
    /// either, but one column of one file cannot mix them (the readers type it from its rows), so
    /// an export takes the kind most of its videos are and counts the others as not expressible.
    pub frames: bool,
}

/// Whether earlier turns alternate user/assistant from a user turn, as LLaMA-Factory and ms-swift
/// require (a system turn may come first).
pub fn alternates(context: &[crate::model::Turn]) -> bool {
    let skip = usize::from(context.first().is_some_and(|t| t.role == "system"));
    context[skip..].iter().enumerate().all(|(i, t)| t.role == if i % 2 == 0 { "user" } else { "assistant" })
}

impl PairTarget for LlamaFactory {
    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        if needs.frames && !self.frames {
            Some("frame_folder_beside_video_files")
        } else if needs.videos && self.frames {
            Some("video_file_beside_frame_folders")
        } else {
            None
        }
    }

    fn row(&self, row: &PairRow<'_>) -> (Value, bool) {
        let (context, prompt, repaired) = super::with_media_tokens(row);
        let tag = |role: &str| {
            match role {
                "user" => "human",
                "assistant" => "gpt",
                other => other,
            }
            .to_owned()
        };
        let mut turns: Vec<Value> =
            context.iter().map(|t| obj([("from", Value::Str(tag(&t.role))), ("value", s(&t.content))])).collect();
        turns.push(obj([("from", s("human")), ("value", s(&prompt))]));
        let answer = |text: &str| obj([("from", s("gpt")), ("value", s(text))]);
        (
            obj([
                ("conversations", Value::List(turns)),
                ("chosen", answer(row.chosen)),
                ("rejected", answer(row.rejected)),
                ("images", media_list(row.images, self.embed)),
                ("videos", media_list(row.videos, false)),
                ("audios", media_list(row.audios, false)),
            ]),
            repaired,
        )
    }

    fn schema(&self, embed: bool) -> SchemaRef {
        let turn = DataType::Struct(Fields::from(vec![
            Field::new("from", DataType::Utf8, true),
            Field::new("value", DataType::Utf8, true),
        ]));
        Arc::new(Schema::new(vec![
            Field::new("conversations", list_of(turn.clone()), true),
            Field::new("chosen", turn.clone(), true),
            Field::new("rejected", turn, true),
            Field::new("images", media_list_type(embed), true),
            // A video is a file path, or a frame folder given as its frames' paths.
            Field::new(
                "videos",
                if self.frames { list_of(list_of(DataType::Utf8)) } else { list_of(DataType::Utf8) },
                true,
            ),
            Field::new("audios", list_of(DataType::Utf8), true),
        ]))
    }

    fn media_features(&self, _embed: bool) -> Vec<(&'static str, &'static str)> {
        vec![("images", "Image")]
    }
}
