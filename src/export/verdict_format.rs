//! Verdict's own format: JSON Lines, one sample per line, lossless. Every candidate, every
//! judgment with its source (original, curator with name and time, model), ratings with
//! rationales and critiques, the curation state (current curator judgment, flag, note), the
//! source's unmapped columns, and media by content hash (the files under `media/`). Importing it
//! (the `verdict` preset) gives a project with the same samples, judgments and curation state.
//!
//! ```text
//! {"verdict": 1, "dataset": NAME, "source": {file, blake3, format, preset, row, sub},
//!  "key", "prompt", "context": [{role, content}], "modality", "extras": {..} | null,
//!  "responses": [{text, model, field, meta}],               position = index
//!  "media": [{role, kind, response, field, file, hash, embedded, name, path, url, missing, probe: {..}}],
//!  "blobs": {HASH: FILE},                                   binary extras ({"$blob": HASH})
//!  "judgments": [{source, author, label, kind, chosen, rejected, ranking, detail, created_at,
//!                 ratings: [{response, aspect, value, raw, rationale, critique}]}],
//!  "curation": {judgment: INDEX | null, flag, note, excluded, updated_at} | null}
//! ```

use super::media::Placed;
use crate::model::Value;
use crate::store::{FullSample, MediaView};
use serde_json::{Map, json};

/// The format's version, the first key of every line.
pub const VERSION: i64 = crate::model::VERDICT_FORMAT_VERSION;

/// One media item and where it went (`Err`: why it could not be placed; the reference is kept).
pub type PlacedMedia<'a> = (&'a MediaView, Result<Placed, String>);

/// The line for a sample. `source_file` is the dataset's source file name, `blobs` the files of
/// the binary values in its extras.
pub fn line(
    s: &FullSample,
    source: &serde_json::Value,
    media: &[PlacedMedia<'_>],
    blobs: &[(String, String)],
) -> Value {
    let v = &s.sample;
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok());
    let responses: Vec<serde_json::Value> = v
        .responses
        .iter()
        .map(|r| json!({"text": r.text, "model": r.model, "field": r.field, "meta": parse(&r.meta)}))
        .collect();
    let media: Vec<serde_json::Value> = media
        .iter()
        .map(|(m, placed)| {
            let f = &m.facts;
            let (file, missing) = match placed {
                Ok(p) => (Some(p.path.clone()), None),
                Err(why) => (None, Some(why.clone())),
            };
            json!({
                "role": m.role, "kind": m.kind, "response": m.response, "field": m.field,
                "file": file, "hash": m.blob_hash, "embedded": m.blob_hash.is_some(), "name": m.name,
                "path": m.path, "url": m.url, "missing": missing,
                "probe": {"status": m.probe_status, "error": m.probe_error, "width": f.width, "height": f.height,
                          "duration_s": f.duration_s, "fps": f.fps, "frame_count": f.frame_count,
                          "sample_rate": f.sample_rate, "channels": f.channels, "codec": f.codec},
            })
        })
        .collect();
    let judgments: Vec<serde_json::Value> = v
        .judgments
        .iter()
        .map(|j| {
            let ratings: Vec<serde_json::Value> = j
                .ratings
                .iter()
                .map(|r| {
                    json!({"response": r.response, "aspect": r.aspect, "value": r.value, "raw": r.raw,
                           "rationale": r.rationale, "critique": r.critique})
                })
                .collect();
            json!({
                "source": j.source, "author": j.author, "label": j.label, "kind": j.kind,
                "chosen": j.chosen, "rejected": j.rejected, "ranking": j.ranking, "detail": parse(&j.detail),
                "created_at": j.created_at, "ratings": ratings,
            })
        })
        .collect();
    let curation = s.curation.as_ref().map(|c| {
        let index = c.state.judgment_id.and_then(|id| v.judgments.iter().position(|j| j.id == id));
        json!({"judgment": index, "flag": c.state.flag, "note": c.state.note, "excluded": c.state.excluded,
               "updated_at": c.updated_at})
    });
    let blobs: Map<String, serde_json::Value> =
        blobs.iter().map(|(h, f)| (h.clone(), serde_json::Value::String(f.clone()))).collect();
    let mut line = Value::from(json!({
        "verdict": VERSION,
        "dataset": v.dataset_name,
        "source": source,
        "key": v.source_key,
        "prompt": v.prompt,
        "context": v.context,
        "modality": v.modality,
        "extras": null,
        "responses": responses,
        "media": media,
        "blobs": blobs,
        "judgments": judgments,
        "curation": curation,
    }));
    // The source's own columns as `Value`s: `serde_json::Value` would turn an integer beyond u64
    // into an f64.
    if let (Value::Map(m), Some(text)) = (&mut line, v.extras.as_deref())
        && let Some(slot) = m.get_mut("extras")
    {
        *slot = Value::parse_json(text).unwrap_or_default();
    }
    line
}

/// The hashes of binary values in stored extras (`{"$blob": HASH}`), in order of appearance.
pub fn extras_blobs(extras: Option<&str>) -> Vec<String> {
    extras.and_then(|t| Value::parse_json(t).ok()).map(|v| crate::model::value::blob_hashes([&v])).unwrap_or_default()
}
