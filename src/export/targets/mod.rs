//! The training formats: each turns one pair of one sample (its prompt, context, the chosen and
//! rejected texts, and its placed media) into a row, and describes that row's Arrow schema for
//! Parquet. What a format cannot say (video in TRL, media in OpenRLHF's text path) is refused
//! before a row is built, so the pipeline can count it.

mod llamafactory;
mod openrlhf;
mod swift;
mod trl;

pub use llamafactory::{LlamaFactory, VideoKinds, alternates};
pub use openrlhf::OpenRlhf;
pub use swift::Swift;
pub use trl::{Trl, TrlForm};

use super::label::Pair;
use super::media::Placed;
use crate::model::value::Map;
use crate::model::{Turn, Value};
use crate::store::SampleView;
use arrow_schema::{DataType, Field, Fields, SchemaRef};
use std::sync::Arc;

/// The inputs of one row.
pub struct PairRow<'a> {
    /// The sample.
    pub sample: &'a SampleView,
    /// The pair.
    pub pair: Pair,
    /// The chosen response's text.
    pub chosen: &'a str,
    /// The rejected response's text.
    pub rejected: &'a str,
    /// Input images, in order, as placed.
    pub images: &'a [Placed],
    /// Input videos (files or frame folders).
    pub videos: &'a [Placed],
    /// Input audio clips.
    pub audios: &'a [Placed],
}

/// What the sample needs that a format may not have.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Needs {
    /// Input images.
    pub images: bool,
    /// Input videos (files).
    pub videos: bool,
    /// Input frame folders.
    pub frames: bool,
    /// Input audio.
    pub audios: bool,
    /// A system message among the earlier turns.
    pub system: bool,
    /// Earlier user or assistant turns.
    pub turns: bool,
}

impl Needs {
    /// Why a string form cannot carry the sample's earlier turns: `earlier_turns` when it has
    /// user or assistant turns before the prompt, `system_message` when a system message is all.
    pub fn context_reason(self) -> Option<&'static str> {
        if self.turns {
            Some("earlier_turns")
        } else if self.system {
            Some("system_message")
        } else {
            None
        }
    }
}

/// Which data file of an export a row goes to. LLaMA-Factory's frame-folder videos go to a file
/// of their own when the export also has video files: HF `datasets` types a column from its
/// rows, and a `videos` column cannot be both a list of paths and a list of frame lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// `train.jsonl` (or `test.jsonl`).
    Main,
    /// `train_frames.jsonl`: rows whose videos are frame folders.
    Frames,
}

impl Part {
    /// What the file name adds after `train`/`test`.
    pub fn suffix(self) -> &'static str {
        match self {
            Part::Main => "",
            Part::Frames => "_frames",
        }
    }
}

/// A training format.
pub trait PairTarget {
    /// Why this format cannot carry a sample with these needs (`cannot_express:<what>` counts),
    /// or `None` when it can.
    fn refuses(&self, needs: Needs) -> Option<&'static str>;

    /// The form its rows take, when the format has several (TRL, OpenRLHF): its name in the
    /// manifest and what it means, in one line.
    fn form(&self) -> Option<(&'static str, &'static str)> {
        None
    }

    /// Whether ties and both-bad pairs have a way to be said (`--ties keep`).
    fn says_ties(&self) -> bool {
        false
    }

    /// The row. Returns it and whether media placeholders had to be added or removed.
    fn row(&self, row: &PairRow<'_>) -> (Value, bool);

    /// The data files this format writes per side (most: one).
    fn parts(&self) -> &'static [Part] {
        &[Part::Main]
    }

    /// The file a sample with these needs goes to.
    fn part(&self, _needs: Needs) -> Part {
        Part::Main
    }

    /// The Parquet schema of its rows in `part`; `embed` says whether media are bytes (else paths).
    fn schema(&self, embed: bool, part: Part) -> SchemaRef;

    /// Columns holding images and audio (for the Hugging Face features metadata): `(name, feature)`.
    fn media_features(&self, embed: bool) -> Vec<(&'static str, &'static str)>;
}

/// A JSON-ish object from pairs.
pub(super) fn obj<const N: usize>(entries: [(&str, Value); N]) -> Value {
    let mut m = Map::with_capacity(N);
    for (k, v) in entries {
        m.insert(k.to_owned(), v);
    }
    Value::Map(m)
}

/// A string value.
pub(super) fn s(text: &str) -> Value {
    Value::Str(text.to_owned())
}

/// A media list as rows write it: paths, or `{bytes, path}` structs when embedded; frame folders
/// as lists of frame paths.
pub(super) fn media_list(items: &[Placed], embed: bool) -> Value {
    Value::List(
        items
            .iter()
            .map(|p| match (&p.bytes, embed) {
                (Some(b), true) => obj([("bytes", Value::Bytes(b.clone())), ("path", s(&p.path))]),
                _ if !p.frames.is_empty() => Value::List(p.frames.iter().map(|f| s(f)).collect()),
                _ => s(&p.path),
            })
            .collect(),
    )
}

/// A `{role, content}` message with string content.
pub(super) fn message(role: &str, content: &str) -> Value {
    obj([("role", s(role)), ("content", s(content))])
}

/// The Arrow type of a `{role, content}` message with string content.
pub(super) fn message_type() -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("role", DataType::Utf8, true),
        Field::new("content", DataType::Utf8, true),
    ]))
}

/// The sample's earlier turns and its prompt as `{role, content}` messages with string content
/// (what chat templates take): the system message and earlier turns as the source gave them,
/// then the user prompt.
pub(super) fn prompt_messages(sample: &SampleView) -> Value {
    let mut messages: Vec<Value> = sample.context.iter().map(|t| message(&t.role, &t.content)).collect();
    messages.push(message("user", &sample.prompt));
    Value::List(messages)
}

/// `[{"role": "assistant", "content": text}]`: an answer as a message list.
pub(super) fn answer_messages(text: &str) -> Value {
    Value::List(vec![message("assistant", text)])
}

/// The Arrow type of a media list: `list<struct{bytes, path}>` embedded, else `list<string>`.
pub(super) fn media_list_type(embed: bool) -> DataType {
    let item = if embed { hf_struct() } else { DataType::Utf8 };
    DataType::List(Arc::new(Field::new("item", item, true)))
}

/// The Hugging Face Image/Audio struct.
pub(super) fn hf_struct() -> DataType {
    DataType::Struct(Fields::from(vec![
        Field::new("bytes", DataType::Binary, true),
        Field::new("path", DataType::Utf8, true),
    ]))
}

/// `list<item>`.
pub(super) fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

/// The user-side texts of a sample (user context turns, then the prompt), as owned strings.
pub(super) fn user_texts(s: &SampleView) -> Vec<String> {
    s.context.iter().filter(|t| t.role == "user").map(|t| t.content.clone()).chain([s.prompt.clone()]).collect()
}

/// Makes the number of `token` across `texts` equal `n`: surplus tokens are removed from the
/// last text backwards, missing ones are put at the start of the first text. Returns whether
/// anything changed.
pub(super) fn repair_tokens(texts: &mut [String], token: &str, n: usize) -> bool {
    let count: usize = texts.iter().map(|t| t.matches(token).count()).sum();
    if count == n {
        return false;
    }
    if count > n {
        let mut surplus = count - n;
        for t in texts.iter_mut().rev() {
            while surplus > 0 {
                let Some(at) = t.rfind(token) else { break };
                // Take a newline that only separated the token from the text with it.
                let end = if t[at + token.len()..].starts_with('\n') { at + token.len() + 1 } else { at + token.len() };
                t.replace_range(at..end, "");
                surplus -= 1;
            }
        }
    } else if let Some(first) = texts.first_mut() {
        let missing = n - count;
        *first = format!("{}{first}", format!("{token}\n").repeat(missing));
    }
    true
}

/// The sample's context and prompt with `<image>`, `<video>` and `<audio>` placeholders made to
/// match the row's media lists, and whether any had to change.
pub(super) fn with_media_tokens(row: &PairRow<'_>) -> (Vec<Turn>, String, bool) {
    let mut texts = user_texts(row.sample);
    let mut repaired = repair_tokens(&mut texts, "<image>", row.images.len());
    repaired |= repair_tokens(&mut texts, "<video>", row.videos.len());
    repaired |= repair_tokens(&mut texts, "<audio>", row.audios.len());
    let (context, prompt) = with_user_texts(&row.sample.context, &texts);
    (context, prompt, repaired)
}

/// Context turns with the repaired user texts put back (the prompt is the last text).
pub(super) fn with_user_texts(context: &[Turn], texts: &[String]) -> (Vec<Turn>, String) {
    let mut next = texts.iter();
    let turns = context
        .iter()
        .map(|t| Turn {
            role: t.role.clone(),
            content: if t.role == "user" { next.next().cloned().unwrap_or_default() } else { t.content.clone() },
        })
        .collect();
    (turns, next.next().cloned().unwrap_or_default())
}

/// The Hugging Face `datasets` features of a schema (`{"info": {"features": ..}}`), with the
/// named list columns typed as Image/Audio, so that `datasets` decodes them. `datasets` only uses
/// these when they describe the schema's Arrow types exactly, so they are derived from it.
pub fn hf_features(schema: &SchemaRef, media: &[(&str, &str)]) -> serde_json::Value {
    fn feature(dt: &DataType) -> serde_json::Value {
        use serde_json::json;
        match dt {
            DataType::Utf8 => json!({"dtype": "string", "_type": "Value"}),
            DataType::LargeUtf8 => json!({"dtype": "large_string", "_type": "Value"}),
            DataType::Binary => json!({"dtype": "binary", "_type": "Value"}),
            DataType::Float64 => json!({"dtype": "float64", "_type": "Value"}),
            DataType::Float32 => json!({"dtype": "float32", "_type": "Value"}),
            DataType::Int64 => json!({"dtype": "int64", "_type": "Value"}),
            DataType::Int32 => json!({"dtype": "int32", "_type": "Value"}),
            DataType::Boolean => json!({"dtype": "bool", "_type": "Value"}),
            DataType::Null => json!({"dtype": "null", "_type": "Value"}),
            DataType::List(f) => json!({"feature": feature(f.data_type()), "_type": "List"}),
            DataType::Struct(fields) => {
                serde_json::Value::Object(fields.iter().map(|f| (f.name().clone(), feature(f.data_type()))).collect())
            }
            other => json!({"dtype": other.to_string(), "_type": "Value"}),
        }
    }
    let mut features = serde_json::Map::new();
    for f in schema.fields() {
        let typed = media.iter().find(|(name, _)| name == f.name()).map(|(_, kind)| *kind);
        let value = match (typed, f.data_type()) {
            (Some(kind), DataType::List(item)) if item.data_type() == &hf_struct() => {
                serde_json::json!({"feature": {"_type": kind}, "_type": "List"})
            }
            _ => feature(f.data_type()),
        };
        features.insert(f.name().clone(), value);
    }
    serde_json::json!({ "info": { "features": features } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_added_at_the_start_and_surplus_removed_from_the_end() {
        let mut texts = vec!["What is here?".to_owned()];
        assert!(repair_tokens(&mut texts, "<image>", 2));
        assert_eq!(texts[0], "<image>\n<image>\nWhat is here?");
        let mut texts = vec!["<image>\nfirst".to_owned(), "<image>\nsecond <image>".to_owned()];
        assert!(repair_tokens(&mut texts, "<image>", 1));
        assert_eq!(texts, ["<image>\nfirst", "second "]);
        assert!(!repair_tokens(&mut texts, "<image>", 1));
    }
}
