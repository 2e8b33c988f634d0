//! Verdict's own export read back (`verdict export --format verdict`; the format is described in
//! `src/export/verdict_format.rs`), so that importing it into a new project gives the same
//! samples, judgments and curation state.
//!
//! One line is one sample. Every judgment keeps its source (original, curator, model), author and
//! time, with its ratings; the curation state names its curator judgment by index. Media are files
//! under the export folder (the media root by default), named by content hash: embedded ones
//! become blobs again (their bytes are read when the sample is prepared), references point at the
//! export's copy and keep the path their source first wrote, and media the export could not place
//! keep their path (unresolved, with the reason recorded then) or URL (not fetched). Binary values
//! of the extras stay `{"$blob": hash}` and their bytes are read from the files `blobs` names.
//! `dataset` and `source` say where the sample came from first: the new project records the
//! export file instead. `modality` follows from the media and is computed again.

use super::row::{FieldError, FieldResult, Row, describe};
use crate::model::value::Map;
use crate::model::{
    BlobFile, CurationDraft, JudgmentDraft, JudgmentKind, JudgmentSource, MediaDraft, MediaKind, MediaRole,
    MediaSource, RatingDraft, ResponseDraft, SampleDraft, Turn, Value,
};

/// The format version this build reads (the one the exporter writes).
pub const VERSION: i64 = crate::model::VERDICT_FORMAT_VERSION;

/// Whether the columns are a Verdict export's: an integer `verdict` with responses and judgments.
pub(super) fn detects(c: &super::Columns) -> bool {
    c.all(&["verdict", "responses", "judgments"]) && c.first("verdict").is_some_and(|v| matches!(v, Value::Int(_)))
}

/// Maps one line to its sample.
pub(super) fn verdict(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let version = row.take_required("verdict")?;
    if version != Value::Int(VERSION) {
        return Err(FieldError::new(
            "verdict",
            format!(
                "Verdict format version {} is not supported: this build reads version {VERSION}",
                version.to_text().unwrap_or_else(|| version.type_name().to_owned())
            ),
        ));
    }
    for derived in ["dataset", "source", "modality"] {
        row.take(derived);
    }
    let mut line = Obj { map: Map::new(), at: String::new() };
    for key in ["key", "prompt", "context", "responses", "media", "blobs", "judgments", "curation", "extras"] {
        if let Some(v) = row.take(key) {
            line.map.insert(key.to_owned(), v);
        }
    }
    let source_key = line.str("key")?;
    let prompt = line.req_str("prompt")?;
    let context = line.objects("context")?.into_iter().map(turn).collect::<FieldResult<Vec<_>>>()?;
    let responses = line.objects("responses")?.into_iter().map(response).collect::<FieldResult<Vec<_>>>()?;
    let media = line.objects("media")?.into_iter().map(media).collect::<FieldResult<Vec<_>>>()?;
    let judgments = line.objects("judgments")?.into_iter().map(judgment).collect::<FieldResult<Vec<_>>>()?;
    let curation = match line.take("curation") {
        None => None,
        Some(v) => Some(curation(Obj::of(v, "curation".into())?, &judgments)?),
    };
    let extras = match line.take("extras") {
        None => Map::new(),
        Some(Value::Map(m)) => m,
        Some(other) => {
            return Err(FieldError::new("extras", format!("expected an object or null, found {}", other.type_name())));
        }
    };
    let blobs = match line.take("blobs") {
        None => Map::new(),
        Some(Value::Map(m)) => m,
        Some(other) => {
            return Err(FieldError::new("blobs", format!("expected an object, found {}", other.type_name())));
        }
    };
    let mut blob_files = Vec::new();
    for hash in blob_hashes(&extras) {
        let field = format!("blobs.{hash}");
        let file = match blobs.get(&hash) {
            Some(Value::Str(f)) => f.clone(),
            Some(other) => return Err(FieldError::new(field, format!("expected a file, found {}", describe(other)))),
            None => {
                return Err(FieldError::new("blobs", format!("no file for the binary value {hash} of the extras")));
            }
        };
        blob_files.push(BlobFile { hash, file, field });
    }
    Ok(vec![SampleDraft {
        source_key,
        sub_index: 0,
        prompt,
        context,
        responses,
        media,
        judgments,
        extras,
        curation,
        blob_files,
    }])
}

/// An object of the line being taken apart; `at` is its path in the line, for errors.
struct Obj {
    map: Map,
    at: String,
}

impl Obj {
    fn of(v: Value, at: String) -> FieldResult<Self> {
        match v {
            Value::Map(map) => Ok(Self { map, at }),
            other => Err(FieldError::new(at, format!("expected an object, found {}", other.type_name()))),
        }
    }

    fn field(&self, key: &str) -> String {
        if self.at.is_empty() { key.to_owned() } else { format!("{}.{key}", self.at) }
    }

    fn error(&self, key: &str, message: impl Into<String>) -> FieldError {
        FieldError::new(self.field(key), message)
    }

    /// The value; `None` when missing or null.
    fn take(&mut self, key: &str) -> Option<Value> {
        self.map.swap_remove(key).filter(|v| !v.is_null())
    }

    fn str(&mut self, key: &str) -> FieldResult<Option<String>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(other) => Err(self.error(key, format!("expected text, found {}", describe(&other)))),
        }
    }

    fn req_str(&mut self, key: &str) -> FieldResult<String> {
        self.str(key)?.ok_or_else(|| self.error(key, "missing required field"))
    }

    /// A text field naming one of an enum's values.
    fn parse<T>(&mut self, key: &str, parse: fn(&str) -> Option<T>) -> FieldResult<T> {
        let text = self.req_str(key)?;
        parse(&text).ok_or_else(|| self.error(key, format!("unknown value {text:?}")))
    }

    fn pos(&mut self, key: &str) -> FieldResult<Option<u32>> {
        match self.take(key) {
            None => Ok(None),
            Some(v) => position(&v).map(Some).ok_or_else(|| self.error(key, not_a_position(&v))),
        }
    }

    fn number(&mut self, key: &str) -> FieldResult<Option<f64>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(i as f64)),
            Some(Value::Float(f)) => Ok(Some(f)),
            Some(other) => Err(self.error(key, format!("expected a number, found {}", describe(&other)))),
        }
    }

    fn bool(&mut self, key: &str) -> FieldResult<Option<bool>> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.error(key, format!("expected true or false, found {}", describe(&other)))),
        }
    }

    /// JSON the project stored as text (`meta`, `detail`).
    fn json(&mut self, key: &str) -> Option<serde_json::Value> {
        self.take(key).map(|v| v.to_json())
    }

    fn list(&mut self, key: &str) -> FieldResult<Vec<Value>> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Value::List(items)) => Ok(items),
            Some(other) => Err(self.error(key, format!("expected a list, found {}", other.type_name()))),
        }
    }

    /// A list of objects, each with its path (`responses[2]`).
    fn objects(&mut self, key: &str) -> FieldResult<Vec<Obj>> {
        let field = self.field(key);
        self.list(key)?.into_iter().enumerate().map(|(i, v)| Obj::of(v, format!("{field}[{i}]"))).collect()
    }
}

/// A response position or media index: an integer from 0.
fn position(v: &Value) -> Option<u32> {
    match v {
        Value::Int(i) => u32::try_from(*i).ok(),
        _ => None,
    }
}

fn not_a_position(v: &Value) -> String {
    format!("expected a position (an integer from 0), found {}", describe(v))
}

fn turn(mut o: Obj) -> FieldResult<Turn> {
    Ok(Turn { role: o.req_str("role")?, content: o.req_str("content")? })
}

fn response(mut o: Obj) -> FieldResult<ResponseDraft> {
    Ok(ResponseDraft { text: o.str("text")?, model: o.str("model")?, field: o.req_str("field")?, meta: o.json("meta") })
}

fn media(mut o: Obj) -> FieldResult<MediaDraft> {
    let role = o.parse("role", MediaRole::parse)?;
    let kind = o.parse("kind", MediaKind::parse)?;
    let response = o.pos("response")?;
    let field = o.req_str("field")?;
    let hash = o.str("hash")?;
    let embedded = o.bool("embedded")?.unwrap_or(hash.is_some());
    let name = o.str("name")?;
    let path = o.str("path")?;
    let url = o.str("url")?;
    let missing = o.str("missing")?;
    let (status, error) = match o.take("probe") {
        None => (None, None),
        Some(v) => {
            let mut probe = Obj::of(v, o.field("probe"))?;
            (probe.str("status")?, probe.str("error")?)
        }
    };
    let source = match (o.str("file")?, url, path) {
        (Some(file), _, path) => MediaSource::Exported { file, embedded, hash, name, path },
        (None, Some(url), _) => MediaSource::Url(url),
        (None, None, Some(path)) => {
            // Not placed by the export: the reason it did not resolve when first imported, else
            // why the export could not place it.
            let why = match (status.as_deref(), error) {
                (Some("unresolved"), Some(error)) => error,
                _ => missing.unwrap_or_else(|| "the export could not place this media".into()),
            };
            MediaSource::Unresolved { path, why }
        }
        (None, None, None) => return Err(o.error("file", "no file, path or url to take the media from")),
    };
    Ok(MediaDraft { role, kind, field, source, response })
}

fn judgment(mut o: Obj) -> FieldResult<JudgmentDraft> {
    let mut j = JudgmentDraft::new(o.parse("kind", JudgmentKind::parse)?, o.req_str("label")?);
    j.source = o.parse("source", JudgmentSource::parse)?;
    j.author = o.str("author")?;
    j.created_at = o.str("created_at")?;
    j.chosen = o.pos("chosen")?;
    j.rejected = o.pos("rejected")?;
    let field = o.field("ranking");
    j.ranking = o
        .list("ranking")?
        .iter()
        .enumerate()
        .map(|(i, v)| position(v).ok_or_else(|| FieldError::new(format!("{field}[{i}]"), not_a_position(v))))
        .collect::<FieldResult<_>>()?;
    j.detail = o.json("detail");
    j.ratings = o.objects("ratings")?.into_iter().map(rating).collect::<FieldResult<_>>()?;
    Ok(j)
}

fn rating(mut o: Obj) -> FieldResult<RatingDraft> {
    Ok(RatingDraft {
        response: o.pos("response")?,
        aspect: o.req_str("aspect")?,
        value: o.number("value")?,
        raw: o.req_str("raw")?,
        rationale: o.str("rationale")?,
        critique: o.str("critique")?,
    })
}

fn curation(mut o: Obj, judgments: &[JudgmentDraft]) -> FieldResult<CurationDraft> {
    let judgment = o.pos("judgment")?.map(|i| i as usize);
    if let Some(i) = judgment {
        match judgments.get(i) {
            Some(j) if j.source == JudgmentSource::Curator => {}
            Some(j) => {
                return Err(o.error(
                    "judgment",
                    format!("judgment {i} has source {}; the one in force must be a curator's", j.source),
                ));
            }
            None => {
                return Err(o.error("judgment", format!("no judgment {i}: the line has {}", judgments.len())));
            }
        }
    }
    Ok(CurationDraft {
        judgment,
        flag: o.str("flag")?,
        note: o.str("note")?,
        excluded: o.str("excluded")?,
        updated_at: o.str("updated_at")?,
    })
}

/// The hashes of the binary values in stored extras (`{"$blob": hash}`), each once, in order.
fn blob_hashes(extras: &Map) -> Vec<String> {
    crate::model::value::blob_hashes(extras.values())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::presets::row::{PresetOptions, test_row};

    const LINE: &str = r#"{"verdict": 1, "dataset": "d", "source": {"row": 3}, "key": "k1", "prompt": "q",
        "context": [{"role": "system", "content": "be brief"}], "modality": "image",
        "extras": {"ds": "x", "raw": {"$blob": "abc"}},
        "responses": [{"text": "a", "model": "m", "field": "chosen", "meta": {"score": 4.5}},
                      {"text": "b", "model": null, "field": "rejected", "meta": null}],
        "media": [{"role": "input", "kind": "image", "response": null, "field": "image", "file": "media/h.jpg",
                   "hash": "h", "embedded": true, "name": "a.jpg", "path": null, "url": null, "missing": null},
                  {"role": "input", "kind": "image", "response": null, "field": "images[1]", "file": null,
                   "hash": null, "embedded": false, "name": null, "path": "gone.jpg", "url": null,
                   "missing": "gone.jpg: media file not found: /d/gone.jpg",
                   "probe": {"status": "unresolved", "error": "media file not found: /d/gone.jpg"}}],
        "blobs": {"abc": "media/abc.bin"},
        "judgments": [{"source": "original", "author": null, "label": "overall", "kind": "pairwise", "chosen": 0,
                       "rejected": 1, "ranking": [], "detail": {"why": "x"}, "created_at": "2026-01-01T00:00:00.000Z",
                       "ratings": [{"response": 0, "aspect": "Helpfulness", "value": 4, "raw": "4",
                                    "rationale": "ok", "critique": null}]},
                      {"source": "curator", "author": "ana", "label": "overall", "kind": "tie", "chosen": 0,
                       "rejected": 1, "ranking": [], "detail": null, "created_at": "2026-01-02T00:00:00.000Z",
                       "ratings": []}],
        "curation": {"judgment": 1, "flag": "blurry", "note": null, "updated_at": "2026-01-03T00:00:00.000Z"}}"#;

    fn mapped(json: &str) -> FieldResult<SampleDraft> {
        let options = PresetOptions::default();
        let mut row = test_row(json, &options);
        let mut drafts = verdict(&mut row)?;
        let (extras, _) = row.into_extras();
        assert!(extras.is_empty(), "every field of the line is taken: {extras:?}");
        Ok(drafts.remove(0))
    }

    #[test]
    fn a_line_maps_to_its_sample_judgments_and_curation() {
        let s = mapped(LINE).expect("maps");
        assert_eq!(s.source_key.as_deref(), Some("k1"));
        assert_eq!(s.context, vec![Turn { role: "system".into(), content: "be brief".into() }]);
        assert_eq!(s.responses[0].meta, Some(serde_json::json!({"score": 4.5})));
        assert_eq!(s.responses[1].model, None);
        assert_eq!(
            s.media[0].source,
            MediaSource::Exported {
                file: "media/h.jpg".into(),
                embedded: true,
                hash: Some("h".into()),
                name: Some("a.jpg".into()),
                path: None
            }
        );
        assert_eq!(
            s.media[1].source,
            MediaSource::Unresolved { path: "gone.jpg".into(), why: "media file not found: /d/gone.jpg".into() }
        );
        assert_eq!(s.judgments[0].source, JudgmentSource::Original);
        assert_eq!(s.judgments[0].ratings[0].value, Some(4.0));
        assert_eq!(s.judgments[1].source, JudgmentSource::Curator);
        assert_eq!(s.judgments[1].author.as_deref(), Some("ana"));
        assert_eq!(s.judgments[1].created_at.as_deref(), Some("2026-01-02T00:00:00.000Z"));
        let c = s.curation.expect("curation");
        assert_eq!((c.judgment, c.flag.as_deref(), c.note), (Some(1), Some("blurry"), None));
        assert_eq!(s.extras.get("ds"), Some(&Value::Str("x".into())));
        assert_eq!(
            s.blob_files,
            vec![BlobFile { hash: "abc".into(), file: "media/abc.bin".into(), field: "blobs.abc".into() }]
        );
    }

    #[test]
    fn another_version_or_a_bad_field_is_an_error_naming_it() {
        let e = mapped(&LINE.replace(r#""verdict": 1"#, r#""verdict": 2"#)).expect_err("version 2");
        assert_eq!(e.field, "verdict");
        assert!(e.message.contains("version 2"), "{}", e.message);
        let e = mapped(&LINE.replace(r#""kind": "tie""#, r#""kind": "draw""#)).expect_err("kind");
        assert_eq!(e.field, "judgments[1].kind");
        let e = mapped(&LINE.replace(r#""judgment": 1"#, r#""judgment": 0"#)).expect_err("not a curator's");
        assert_eq!(e.field, "curation.judgment");
        let e = mapped(&LINE.replace(r#""abc": "media/abc.bin""#, r#""other": "x""#)).expect_err("no blob file");
        assert_eq!(e.field, "blobs");
        let e = mapped(&LINE.replace(r#""response": 0,"#, r#""response": -1,"#)).expect_err("bad position");
        assert_eq!(e.field, "judgments[0].ratings[0].response");
    }
}
