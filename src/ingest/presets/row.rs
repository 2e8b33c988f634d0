//! `Row`: a source row as presets see it. Presets *take* the fields they map; whatever is left
//! becomes the sample's `extras`, so unknown columns survive without each preset listing them.

use crate::ingest::media_ref;
use crate::model::value::Map;
use crate::model::{MediaDraft, MediaKind, MediaRole, Turn, Value};

/// A problem with one field of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field (`chosen`, `completions[2].annotations`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// `Result` with a [`FieldError`].
pub type FieldResult<T> = Result<T, FieldError>;

/// Options a preset may consult.
#[derive(Debug, Clone, Default)]
pub struct PresetOptions {
    /// Pattern that turns an id into a media path (`{id}` is replaced), for HA-DPO's `image_id`.
    pub id_pattern: Option<String>,
}

/// One source row being mapped.
pub struct Row<'a> {
    fields: Map,
    /// The key of the row when the file is an object keyed by id.
    pub key: Option<String>,
    /// Problems that do not stop the row (a missing optional part).
    pub warnings: Vec<FieldError>,
    /// The options.
    pub options: &'a PresetOptions,
}

impl<'a> Row<'a> {
    /// Wraps a row's fields.
    pub fn new(fields: Map, key: Option<String>, options: &'a PresetOptions) -> Self {
        Self { fields, key, warnings: Vec::new(), options }
    }

    /// Whether the row has a non-null `name`.
    pub fn has(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| !v.is_null())
    }

    /// Looks at a field without taking it.
    pub fn peek(&self, name: &str) -> Option<&Value> {
        self.fields.get(name).filter(|v| !v.is_null())
    }

    /// Takes a field; `None` when missing or null.
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.fields.shift_remove(name).filter(|v| !v.is_null())
    }

    /// Takes a required field.
    pub fn take_required(&mut self, name: &str) -> FieldResult<Value> {
        self.take(name).ok_or_else(|| FieldError::new(name, "missing required field"))
    }

    /// Takes a required text field (a string, or a `{value|content|text}` object).
    pub fn take_text(&mut self, name: &str) -> FieldResult<String> {
        let v = self.take_required(name)?;
        text_of(&v).ok_or_else(|| FieldError::new(name, format!("expected text, found {}", v.type_name())))
    }

    /// Takes an optional text field; a wrong type is a warning, not an error.
    pub fn take_opt_text(&mut self, name: &str) -> Option<String> {
        let v = self.take(name)?;
        let text = text_of(&v);
        if text.is_none() {
            self.warn(name, format!("expected text, found {}; kept in extras", v.type_name()));
            self.fields.insert(name.to_owned(), v);
        }
        text
    }

    /// Takes a scalar as text (ids: int in one dataset, string in the next). A non-string id is
    /// also left in `extras` so its original type survives a round trip.
    pub fn take_key(&mut self, name: &str) -> Option<String> {
        let v = self.take(name)?;
        let text = v.to_text();
        if !matches!(v, Value::Str(_)) {
            self.fields.insert(name.to_owned(), v);
        }
        text
    }

    /// Takes an integer label (`preference`, `overall_response`).
    pub fn take_int(&mut self, name: &str) -> FieldResult<i64> {
        let v = self.take_required(name)?;
        v.to_i64().ok_or_else(|| FieldError::new(name, format!("expected an integer, found {}", describe(&v))))
    }

    /// Takes a field that may hold JSON inside a string (RLHF-V `text`): parsed leniently, with the
    /// raw text kept in extras under the same name when it did not parse.
    pub fn take_json(&mut self, name: &str) -> FieldResult<Value> {
        let v = self.take_required(name)?;
        match v {
            Value::Str(s) => match Value::parse_json(&s) {
                Ok(parsed) => Ok(parsed),
                Err(e) => {
                    let err = FieldError::new(name, format!("expected JSON inside the string: {e}"));
                    self.fields.insert(name.to_owned(), Value::Str(s));
                    Err(err)
                }
            },
            other => Ok(other),
        }
    }

    /// Takes a conversation (`[{from, value}]` or `[{role, content}]`).
    pub fn take_turns(&mut self, name: &str) -> FieldResult<Vec<Turn>> {
        let v = self.take_required(name)?;
        turns_of(&v).map_err(|m| FieldError::new(name, m))
    }

    /// Takes a media field (path, list of paths, HF struct, base64, data URI, URL) into drafts.
    pub fn take_media(&mut self, name: &str, kind: MediaKind, role: MediaRole) -> FieldResult<Vec<MediaDraft>> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(v) => media_ref::drafts(name, v, kind, role),
        }
    }

    /// Records a non-fatal problem.
    pub fn warn(&mut self, field: &str, message: impl Into<String>) {
        self.warnings.push(FieldError::new(field, message));
    }

    /// Puts a value back (or adds one) so it lands in extras.
    pub fn keep(&mut self, name: &str, value: Value) {
        self.fields.insert(name.to_owned(), value);
    }

    /// What is left: the sample's extras.
    pub fn into_extras(self) -> (Map, Vec<FieldError>) {
        (self.fields, self.warnings)
    }

    /// The names of the fields still in the row.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }
}

/// Text of a string, or of a message-like object (`value`, `content`, `text`, `response`).
pub fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Map(m) => ["value", "content", "text", "response"].iter().find_map(|k| m.get(*k)).and_then(content_text),
        _ => None,
    }
}

/// Text of a message `content`: a string, or a list of typed parts whose text parts are joined.
/// Media parts become their placeholder (`<image>`), so the count of media tokens survives.
pub fn content_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::List(parts) => {
            let mut out = String::new();
            for p in parts {
                let Some(m) = p.as_map() else { continue };
                let kind = m.get("type").and_then(Value::as_str).unwrap_or("text");
                match kind {
                    "text" => {
                        if let Some(t) = m.get("text").or_else(|| m.get("value")).and_then(Value::as_str) {
                            out.push_str(t);
                        }
                    }
                    "image" | "image_url" => out.push_str("<image>"),
                    "video" | "video_url" => out.push_str("<video>"),
                    "audio" | "audio_url" | "input_audio" => out.push_str("<audio>"),
                    _ => {}
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// Normalizes a speaker name: `human` -> `user`, `gpt` -> `assistant`.
pub fn normalize_role(role: &str) -> String {
    match role {
        "human" | "user" | "USER" | "Human" => "user".into(),
        "gpt" | "assistant" | "ASSISTANT" | "Assistant" | "bot" | "model" => "assistant".into(),
        "system" => "system".into(),
        other => other.to_owned(),
    }
}

/// Parses a conversation.
pub fn turns_of(v: &Value) -> Result<Vec<Turn>, String> {
    let v = match v {
        // Some sets store the conversation as a JSON string.
        Value::Str(s) => &Value::parse_json(s).map_err(|e| format!("expected a list of turns: {e}"))?,
        other => other,
    };
    let Some(list) = v.as_list() else {
        return Err(format!("expected a list of turns, found {}", v.type_name()));
    };
    list.iter()
        .enumerate()
        .map(|(i, t)| {
            let m = t.as_map().ok_or_else(|| format!("turn {i} is a {}, expected an object", t.type_name()))?;
            let role = m
                .get("from")
                .or_else(|| m.get("role"))
                .and_then(Value::as_str)
                .ok_or_else(|| format!("turn {i} has no `from` or `role`"))?;
            let content = m
                .get("value")
                .or_else(|| m.get("content"))
                .and_then(content_text)
                .ok_or_else(|| format!("turn {i} has no text `value` or `content`"))?;
            Ok(Turn { role: normalize_role(role), content })
        })
        .collect()
}

/// Splits a conversation ending on a user turn into (earlier turns, final user turn).
pub fn split_prompt(mut turns: Vec<Turn>, field: &str) -> FieldResult<(Vec<Turn>, String)> {
    match turns.iter().rposition(|t| t.role == "user") {
        Some(i) => {
            let prompt = turns.remove(i).content;
            turns.truncate(i);
            Ok((turns, prompt))
        }
        None => Err(FieldError::new(field, "the conversation has no user turn")),
    }
}

/// A value for an error message: its type, or a short rendering of a scalar.
pub fn describe(v: &Value) -> String {
    match v.to_text() {
        Some(t) if t.len() <= 40 => format!("{} {t:?}", v.type_name()),
        _ => v.type_name().to_owned(),
    }
}

/// A row from JSON text, for unit tests of presets and mappings.
#[cfg(test)]
pub(crate) fn test_row<'a>(json: &str, options: &'a PresetOptions) -> Row<'a> {
    let Ok(Value::Map(fields)) = serde_json::from_str::<Value>(json) else {
        panic!("test rows are JSON objects: {json}")
    };
    Row::new(fields, None, options)
}
