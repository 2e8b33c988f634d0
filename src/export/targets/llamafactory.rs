//! LLaMA-Factory sharegpt ranking rows: `conversations` (`{from, value}` turns, an optional
//! system turn first, then human/gpt alternating and ending on the human prompt), `chosen` and
//! `rejected` (`{from: gpt, value}`), and `images`/`videos`/`audios` with paths relative to the
//! export folder (LLaMA-Factory's `media_dir` defaults to the dataset folder). The number of
//! `<image>`, `<video>` and `<audio>` tokens in the human turns equals each list's length: tokens
//! are added or removed where the source's differ, and the manifest counts those rows.
//! `dataset_info.json` beside the data names each file with `ranking: true` and its columns.
//!
//! A video is a file path, or a frame folder given as the list of its frames' paths (the
//! converter resolves each frame against `media_dir`, the multimodal plugins read them as frames).
//! One file's `videos` column holds one of the two (HF `datasets` types it from the rows), so an
//! export with both writes the frame-folder rows to a file of their own (`train_frames.jsonl`,
//! its own `dataset_info.json` entry).

use super::{Needs, PairRow, PairTarget, Part, list_of, media_list, media_list_type, obj, s};
use crate::model::Value;
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use std::sync::Arc;

/// The kinds of input video an export has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoKinds {
    /// Video files only (or no video).
    Files,
    /// Frame folders only: one file, its `videos` lists of frame lists.
    Frames,
    /// Both: frame-folder rows go to a file of their own.
    Both,
}

/// LLaMA-Factory.
pub struct LlamaFactory {
    /// Media as bytes.
    pub embed: bool,
    /// The kinds of video the export has.
    pub videos: VideoKinds,
}

/// Whether earlier turns alternate user/assistant from a user turn, as LLaMA-Factory and ms-swift
/// require (a system turn may come first).
pub fn alternates(context: &[crate::model::Turn]) -> bool {
    let skip = usize::from(context.first().is_some_and(|t| t.role == "system"));
    context[skip..].iter().enumerate().all(|(i, t)| t.role == if i % 2 == 0 { "user" } else { "assistant" })
}

impl PairTarget for LlamaFactory {
    fn refuses(&self, needs: Needs) -> Option<&'static str> {
        // The converter decides from a row's first video whether all of them are frame lists.
        (needs.frames && needs.videos).then_some("video_file_and_frame_folder")
    }

    fn parts(&self) -> &'static [Part] {
        if self.videos == VideoKinds::Both { &[Part::Main, Part::Frames] } else { &[Part::Main] }
    }

    fn part(&self, needs: Needs) -> Part {
        if self.videos == VideoKinds::Both && needs.frames { Part::Frames } else { Part::Main }
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

    fn schema(&self, embed: bool, part: Part) -> SchemaRef {
        let frames = self.videos == VideoKinds::Frames || part == Part::Frames;
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
            Field::new("videos", if frames { list_of(list_of(DataType::Utf8)) } else { list_of(DataType::Utf8) }, true),
            Field::new("audios", list_of(DataType::Utf8), true),
        ]))
    }

    fn media_features(&self, _embed: bool) -> Vec<(&'static str, &'static str)> {
        vec![("images", "Image")]
    }
}
