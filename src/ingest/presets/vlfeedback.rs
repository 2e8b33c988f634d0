//! `VLFeedback` / Silkie (`MMInstruction/VLFeedback`): one prompt about an image, several
//! completions from different models, each rated by GPT-4V on a few aspects ("Helpfulness",
//! "Ethical Considerations", "Visual Faithfulness") with a rationale.
//!
//! Ratings are strings and some are not numbers ("N/A"): each becomes a [`RatingDraft`] whose raw
//! text is kept verbatim (the value stays empty when it does not parse). The dataset names no
//! winner, so none is made up: the sample gets one `Ratings` judgment and nothing else.
//!
//! `completions` arrives as a list of `{model, response, annotations}` objects from the JSON
//! release, or as a struct of lists `{model: [..], response: [..], annotations: [..]}` through the
//! `datasets` library (Parquet): both are read. `models` stays in extras; it only fills a
//! completion's model when the completion does not name one.

use super::row::{FieldError, FieldResult, Row, text_of};
use crate::model::value::Map;
use crate::model::{JudgmentDraft, JudgmentKind, MediaKind, MediaRole, RatingDraft, ResponseDraft, SampleDraft, Value};

/// The judgment label of the ratings.
const LABEL: &str = "annotations";

pub(super) fn vlfeedback(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let raw = row.take_required("completions")?;
    let completions = completion_list(&raw)?;
    if completions.is_empty() {
        return Err(FieldError::new("completions", "no completions"));
    }
    let models: Vec<Option<String>> =
        row.peek("models").and_then(Value::as_list).map(|l| l.iter().map(Value::to_text).collect()).unwrap_or_default();

    let mut responses = Vec::with_capacity(completions.len());
    let mut judgment = JudgmentDraft::new(JudgmentKind::Ratings, LABEL);
    let mut unknown = serde_json::Map::new();
    for (i, c) in completions.iter().enumerate() {
        let base = format!("completions[{i}]");
        let text = match c.get("response").filter(|v| !v.is_null()) {
            None => {
                return Err(FieldError::new(format!("{base}.response"), "missing required field"));
            }
            Some(v) => text_of(v).ok_or_else(|| {
                FieldError::new(format!("{base}.response"), format!("expected text, found {}", v.type_name()))
            })?,
        };
        let model = c.get("model").and_then(Value::to_text).or_else(|| models.get(i).cloned().flatten());
        let mut meta = serde_json::Map::new();
        for (k, v) in c.iter().filter(|(k, _)| !["response", "model", "annotations"].contains(&k.as_str())) {
            meta.insert(k.clone(), v.to_json());
        }
        responses.push(ResponseDraft {
            text: Some(text),
            model,
            field: format!("{base}.response"),
            meta: (!meta.is_empty()).then_some(serde_json::Value::Object(meta)),
        });
        let pos = i as u32;
        match c.get("annotations").filter(|v| !v.is_null()) {
            None => row.warn(&format!("{base}.annotations"), "missing: this completion has no ratings"),
            Some(a) => {
                let field = format!("{base}.annotations");
                let parsed;
                let a = match a {
                    Value::Str(s) => {
                        parsed = Value::parse_json(s).map_err(|e| {
                            FieldError::new(
                                &field,
                                format!("expected an object of aspects, found a string that is not JSON: {e}"),
                            )
                        })?;
                        &parsed
                    }
                    other => other,
                };
                let aspects = a.as_map().ok_or_else(|| {
                    FieldError::new(&field, format!("expected an object of aspects, found {}", a.type_name()))
                })?;
                for (aspect, v) in aspects {
                    rate(row, &mut judgment, &mut unknown, pos, &field, aspect, v);
                }
            }
        }
    }
    if !unknown.is_empty() {
        judgment.detail = Some(serde_json::Value::Object(unknown));
    }
    let media = row.take_media("img_path", MediaKind::Image, MediaRole::Input)?;
    let judgments = if judgment.ratings.is_empty() { Vec::new() } else { vec![judgment] };
    Ok(vec![SampleDraft { source_key: key, prompt, responses, media, judgments, ..SampleDraft::default() }])
}

/// One aspect of one completion: `{Rating, Rationale}` (or a bare rating).
fn rate(
    row: &mut Row<'_>,
    judgment: &mut JudgmentDraft,
    unknown: &mut serde_json::Map<String, serde_json::Value>,
    pos: u32,
    field: &str,
    aspect: &str,
    v: &Value,
) {
    let field = format!("{field}.{aspect}");
    let (rating, rationale) = match v {
        Value::Map(m) => {
            let rating = m.get("Rating").or_else(|| m.get("rating")).filter(|r| !r.is_null());
            let rationale = m.get("Rationale").or_else(|| m.get("rationale")).and_then(text_of);
            for (k, extra) in
                m.iter().filter(|(k, _)| !["Rating", "rating", "Rationale", "rationale"].contains(&k.as_str()))
            {
                unknown.insert(format!("{field}.{k}"), extra.to_json());
            }
            (rating, rationale)
        }
        Value::Null => (None, None),
        scalar => (Some(scalar), None),
    };
    let raw = match rating.map(|r| (r, r.to_text())) {
        Some((_, Some(raw))) => raw,
        Some((r, None)) => {
            row.warn(&format!("{field}.Rating"), format!("expected a rating, found {}; skipped", r.type_name()));
            return;
        }
        None => {
            row.warn(&format!("{field}.Rating"), "missing: this aspect has no rating");
            if let Some(r) = rationale {
                unknown.insert(format!("{field}.Rationale"), serde_json::Value::String(r));
            }
            return;
        }
    };
    let mut r = RatingDraft::new(Some(pos), aspect, raw);
    r.rationale = rationale;
    judgment.ratings.push(r);
}

/// The completions as one object per completion, from either shape.
fn completion_list(v: &Value) -> FieldResult<Vec<Map>> {
    match v {
        Value::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                Value::Map(m) => Ok(m.clone()),
                other => Err(FieldError::new(
                    format!("completions[{i}]"),
                    format!("expected an object, found {}", other.type_name()),
                )),
            })
            .collect(),
        // Through `datasets`: a struct of equally long lists.
        Value::Map(columns) => {
            let mut len = None;
            for (k, col) in columns {
                let n = match col {
                    Value::List(l) => l.len(),
                    Value::Null => continue,
                    other => {
                        return Err(FieldError::new(
                            format!("completions.{k}"),
                            format!("expected a list (struct-of-lists completions), found {}", other.type_name()),
                        ));
                    }
                };
                match len {
                    None => len = Some(n),
                    Some(expected) if expected != n => {
                        return Err(FieldError::new(
                            format!("completions.{k}"),
                            format!(
                                "has {}, expected {expected} like the other columns",
                                crate::model::words::count(n as u64, "entry", "entries")
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            Ok((0..len.unwrap_or(0))
                .map(|i| {
                    columns
                        .iter()
                        .filter_map(|(k, col)| col.as_list().map(|l| (k.clone(), l[i].clone())))
                        .collect::<Map>()
                })
                .collect())
        }
        Value::Str(s) => match Value::parse_json(s) {
            Ok(parsed @ (Value::List(_) | Value::Map(_))) => completion_list(&parsed),
            _ => Err(FieldError::new(
                "completions",
                "expected a list of completions, found a string that is not a JSON list",
            )),
        },
        other => {
            Err(FieldError::new("completions", format!("expected a list of completions, found {}", other.type_name())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::presets::row::PresetOptions;

    use crate::ingest::presets::row::test_row as row_of;

    #[test]
    fn bad_annotations_name_the_completion() {
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"prompt":"q","completions":[{"model":"a","response":"x","annotations":{}},{"model":"b","response":"y","annotations":[1]}]}"#,
            &opts,
        );
        let err = vlfeedback(&mut row).expect_err("list annotations");
        assert_eq!(err.field, "completions[1].annotations");
    }

    #[test]
    fn unequal_struct_of_lists_is_refused() {
        let opts = PresetOptions::default();
        let mut row = row_of(r#"{"prompt":"q","completions":{"model":["a","b"],"response":["x"]}}"#, &opts);
        let err = vlfeedback(&mut row).expect_err("ragged");
        assert_eq!(err.field, "completions.response");
    }

    #[test]
    fn missing_rating_warns_and_keeps_the_rest() {
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"prompt":"q","completions":[{"model":"a","response":"x","annotations":{"Helpfulness":{"Rationale":"r"},"Visual Faithfulness":{"Rating":"5","Rationale":"ok"}}}]}"#,
            &opts,
        );
        let s = vlfeedback(&mut row).expect("maps").remove(0);
        assert_eq!(s.judgments[0].ratings.len(), 1);
        assert_eq!(s.judgments[0].ratings[0].value, Some(5.0));
        assert_eq!(row.warnings[0].field, "completions[0].annotations.Helpfulness.Rating");
    }
}
