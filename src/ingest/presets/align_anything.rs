//! Align-Anything (PKU-Alignment): preference over text, image, video and audio, in and out.
//!
//! Subsets differ in their columns, so the annotation block is read by scanning field names:
//! - per-aspect winners `<letter>_response` (or `_image`, `_audio`, `_video`), 1-based
//!   (`p_response`: prompt following, `o_`: objective rules, `c_`: clarity, `i_`: information
//!   richness, `s_`: safety) become pairwise judgments labelled by aspect;
//! - per-response rates `<aspect>_rate_<n>`, rationales `<letter>_rationale_<n>` and critiques
//!   `<kind>_critique_<n>` become one `Ratings` judgment (label `rates`);
//! - the overall winner (`overall_response`, `overall_image`, `overall_audio`, 1-based) becomes the
//!   `overall` pairwise judgment, whose detail keeps the raw value and `overall_textfeedback`.
//!
//! The PKU-SafeRLHF-style text subset is 0-based instead (`better_response_id`,
//! `safer_response_id`). Note the bases: mixing them up silently swaps every label.

use super::pairs::response;
use super::row::{FieldError, FieldResult, Row, describe};
use crate::model::{
    JudgmentDraft, JudgmentKind, MediaDraft, MediaKind, MediaRole, RatingDraft, ResponseDraft, SampleDraft, Value,
};
use serde_json::json;

/// The aspects Align-Anything names by their first letter, for subsets that give a winner or a
/// rationale without a rate to take the name from.
const ASPECTS: [(&str, &str); 5] = [
    ("p", "prompt_following"),
    ("o", "objective_rules"),
    ("c", "clarity"),
    ("i", "information_richness"),
    ("s", "safety"),
];

/// The `Ratings` judgment's label.
const RATES_LABEL: &str = "rates";

/// Text-to-text, PKU-SafeRLHF style: `response_0`, `response_1`, and two 0-based labels on the
/// same pair (`better_response_id`, `safer_response_id`) plus per-response safety flags.
pub(super) fn text_to_text(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = row.take_text("prompt")?;
    let mut responses = Vec::new();
    while row.has(&format!("response_{}", responses.len())) {
        let field = format!("response_{}", responses.len());
        let text = row.take_text(&field)?;
        responses.push(response(text, &field));
    }
    if responses.len() < 2 {
        return Err(FieldError::new(format!("response_{}", responses.len()), "missing required field"));
    }
    let mut safety = serde_json::Map::new();
    for (i, r) in responses.iter_mut().enumerate() {
        let field = format!("is_response_{i}_safe");
        if let Some(v) = row.take(&field) {
            let json = v.to_json();
            r.meta = Some(json!({ "is_safe": json }));
            safety.insert(field, json);
        }
    }
    let n = responses.len();
    let mut judgments = Vec::new();
    for (field, label) in [("better_response_id", "better"), ("safer_response_id", "safer")] {
        let Some(v) = row.take(field) else { continue };
        let winner = index(&v, field, 0, n)?;
        let loser = other_of_two(field, winner, n)?;
        let mut detail = serde_json::Map::new();
        detail.insert(field.to_owned(), v.to_json());
        if label == "safer" {
            detail.extend(safety.clone());
        }
        judgments.push(
            JudgmentDraft::new(JudgmentKind::Pairwise, label)
                .with_pair(winner, loser)
                .with_detail(serde_json::Value::Object(detail)),
        );
    }
    Ok(vec![SampleDraft { source_key: key, prompt, responses, judgments, ..SampleDraft::default() }])
}

/// Text+image/video/audio to text (ti2t, tv2t, ta2t), and the Janus `better_response` /
/// `worse_response` example layout.
pub(super) fn pair(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    if !row.has("response_1") && (row.has("better_response") || row.has("worse_response")) {
        return janus_pair(row);
    }
    // A text-to-audio subset without `overall_audio` lands here: its responses are audio clips.
    if row.peek("response_1").is_some_and(|v| matches!(v, Value::Map(_) | Value::Bytes(_))) {
        return text_to_audio(row);
    }
    let key = row.take_key("id");
    let prompt = take_prompt(row)?;
    let mut responses = Vec::new();
    while row.has(&format!("response_{}", responses.len() + 1)) {
        let field = format!("response_{}", responses.len() + 1);
        let text = row.take_text(&field)?;
        let mut r = response(text, &field);
        r.model = take_model(row, responses.len() + 1, "response");
        responses.push(r);
    }
    if responses.len() < 2 {
        return Err(FieldError::new(format!("response_{}", responses.len() + 1), "missing required field"));
    }
    let mut media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    media.extend(row.take_media("video_path", MediaKind::Video, MediaRole::Input)?);
    media.extend(row.take_media("audio_path", MediaKind::Audio, MediaRole::Input)?);
    let judgments = annotations(row, responses.len(), &["overall_response"])?;
    Ok(vec![SampleDraft { source_key: key, prompt, responses, media, judgments, ..SampleDraft::default() }])
}

/// Janus example rows: `question`, `image` (path), `better_response`, `worse_response`.
fn janus_pair(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = take_prompt(row)?;
    let better = row.take_text("better_response")?;
    let worse = row.take_text("worse_response")?;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    Ok(vec![SampleDraft {
        source_key: key,
        prompt,
        responses: vec![response(better, "better_response"), response(worse, "worse_response")],
        media,
        judgments: vec![JudgmentDraft::pairwise(0, 1)],
        ..SampleDraft::default()
    }])
}

/// Text-to-image: the images are the candidates (`image_1`, `image_2`, HF Image) with
/// `image_<n>_model`, the aspect block and `overall_image`; or Janus `better_image`/`worse_image`.
pub(super) fn text_to_image(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = take_prompt(row)?;
    if !row.has("image_1") && (row.has("better_image") || row.has("worse_image")) {
        let mut responses = Vec::new();
        let mut media = Vec::new();
        for field in ["better_image", "worse_image"] {
            let pos = responses.len() as u32;
            let drafts = candidates(row, field, MediaKind::Image, pos)?;
            media.extend(drafts);
            responses.push(ResponseDraft { text: None, field: field.to_owned(), ..ResponseDraft::default() });
        }
        return Ok(vec![SampleDraft {
            source_key: key,
            prompt,
            responses,
            media,
            judgments: vec![JudgmentDraft::pairwise(0, 1)],
            ..SampleDraft::default()
        }]);
    }
    let (responses, media) = media_candidates(row, "image", MediaKind::Image)?;
    let judgments = annotations(row, responses.len(), &["overall_image", "overall_response"])?;
    Ok(vec![SampleDraft { source_key: key, prompt, responses, media, judgments, ..SampleDraft::default() }])
}

/// Text-to-audio: `response_1`/`response_2` are the candidates (HF Audio), with the aspect rates
/// and rationales and `overall_audio`.
pub(super) fn text_to_audio(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = take_prompt(row)?;
    let (responses, media) = media_candidates(row, "response", MediaKind::Audio)?;
    let judgments = annotations(row, responses.len(), &["overall_audio", "overall_response"])?;
    Ok(vec![SampleDraft { source_key: key, prompt, responses, media, judgments, ..SampleDraft::default() }])
}

/// Language feedback: `response` (the worse, original answer) and `refinement` (the better one,
/// written from the feedback). A correction: the refinement is preferred over what it corrects.
pub(super) fn language_feedback(row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
    let key = row.take_key("id");
    let prompt = take_prompt(row)?;
    let original = row.take_text("response")?;
    let refinement = row.take_text("refinement")?;
    let media = row.take_media("image", MediaKind::Image, MediaRole::Input)?;
    Ok(vec![SampleDraft {
        source_key: key,
        prompt,
        responses: vec![response(original, "response"), response(refinement, "refinement")],
        media,
        judgments: vec![JudgmentDraft::new(JudgmentKind::Correction, "overall").with_pair(1, 0)],
        ..SampleDraft::default()
    }])
}

/// `question` (ti2t) or `prompt` (the others). When both exist, `prompt` stays in extras.
fn take_prompt(row: &mut Row<'_>) -> FieldResult<String> {
    if row.has("question") { row.take_text("question") } else { row.take_text("prompt") }
}

/// The model that produced candidate `n` (1-based), under whichever name the subset uses.
fn take_model(row: &mut Row<'_>, n: usize, prefix: &str) -> Option<String> {
    let names = [format!("res_{n}_from"), format!("model_{n}"), format!("{prefix}_{n}_model")];
    let name = names.iter().find(|f| row.peek(f).and_then(Value::to_text).is_some())?;
    row.take(name).and_then(|v| v.to_text())
}

/// Media candidates `<prefix>_1`, `<prefix>_2`, ...: each one a media-only response.
fn media_candidates(
    row: &mut Row<'_>,
    prefix: &str,
    kind: MediaKind,
) -> FieldResult<(Vec<ResponseDraft>, Vec<MediaDraft>)> {
    let mut responses = Vec::new();
    let mut media = Vec::new();
    while row.has(&format!("{prefix}_{}", responses.len() + 1)) {
        let n = responses.len() + 1;
        let field = format!("{prefix}_{n}");
        media.extend(candidates(row, &field, kind, responses.len() as u32)?);
        let model = take_model(row, n, prefix);
        responses.push(ResponseDraft { text: None, model, field, ..ResponseDraft::default() });
    }
    if responses.len() < 2 {
        return Err(FieldError::new(format!("{prefix}_{}", responses.len() + 1), "missing required field"));
    }
    Ok((responses, media))
}

/// The media of one candidate response.
fn candidates(row: &mut Row<'_>, field: &str, kind: MediaKind, pos: u32) -> FieldResult<Vec<MediaDraft>> {
    let mut drafts = row.take_media(field, kind, MediaRole::Candidate)?;
    if drafts.is_empty() {
        return Err(FieldError::new(field, "missing required field"));
    }
    for d in &mut drafts {
        d.response = Some(pos);
    }
    Ok(drafts)
}

/// A label as a position: `v - base`, which must fall among `n` responses.
fn index(v: &Value, field: &str, base: i64, n: usize) -> FieldResult<u32> {
    let i = v
        .to_i64()
        .ok_or_else(|| FieldError::new(field, format!("expected a response number, found {}", describe(v))))?;
    let pos = i - base;
    if (0..n as i64).contains(&pos) {
        Ok(pos as u32)
    } else {
        let range = if base == 0 { format!("0..{}", n - 1) } else { format!("1..{n}") };
        Err(FieldError::new(field, format!("response number {i} is out of range {range} ({base}-based)")))
    }
}

/// The loser of a two-response pair.
fn other_of_two(field: &str, winner: u32, n: usize) -> FieldResult<u32> {
    if n == 2 {
        Ok(1 - winner)
    } else {
        Err(FieldError::new(field, format!("a winner label needs exactly 2 responses, found {n}")))
    }
}

/// One annotation field found by its name.
enum Part {
    /// `<aspect>_rate_<n>`.
    Rate { aspect: String, n: usize },
    /// `<letter>_rationale_<n>`.
    Rationale { letter: String, n: usize },
    /// `<kind>_critique_<n>`.
    Critique { aspect: String, n: usize },
    /// `<letter>_response` (or `_image`, `_audio`, `_video`).
    Winner { letter: String },
}

fn classify(name: &str) -> Option<Part> {
    if let Some((head, n)) = name.rsplit_once('_')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        let n: usize = n.parse().ok()?;
        if let Some(aspect) = head.strip_suffix("_rate").filter(|a| !a.is_empty()) {
            return Some(Part::Rate { aspect: aspect.to_owned(), n });
        }
        if let Some(letter) = head.strip_suffix("_rationale").filter(|a| !a.is_empty()) {
            return Some(Part::Rationale { letter: letter.to_owned(), n });
        }
        if head.ends_with("_critique") {
            return Some(Part::Critique { aspect: head.to_owned(), n });
        }
        return None;
    }
    let (letter, what) = name.split_once('_')?;
    (letter.len() == 1
        && letter.bytes().all(|b| b.is_ascii_lowercase())
        && ["response", "image", "audio", "video"].contains(&what))
    .then(|| Part::Winner { letter: letter.to_owned() })
}

/// The aspect a letter stands for: the one rate aspect of this row that starts with it, else the
/// usual Align-Anything name, else the letter itself.
fn aspect_of(letter: &str, rate_aspects: &[String]) -> String {
    let mut matching = rate_aspects.iter().filter(|a| a.starts_with(letter));
    if let (Some(a), None) = (matching.next(), matching.next()) {
        return a.clone();
    }
    ASPECTS.iter().find(|(l, _)| *l == letter).map_or_else(|| letter.to_owned(), |(_, a)| (*a).to_owned())
}

/// The overall winner, the per-aspect winners and the ratings of a 1-based Align-Anything row.
fn annotations(row: &mut Row<'_>, n: usize, overall_fields: &[&str]) -> FieldResult<Vec<JudgmentDraft>> {
    let mut judgments = Vec::new();
    if let Some(field) = overall_fields.iter().find(|f| row.has(f)) {
        let v = row.take_required(field)?;
        let winner = index(&v, field, 1, n)?;
        let loser = other_of_two(field, winner, n)?;
        let mut detail = serde_json::Map::new();
        detail.insert((*field).to_owned(), v.to_json());
        if let Some(feedback) = row.take_opt_text("overall_textfeedback") {
            detail.insert("overall_textfeedback".into(), serde_json::Value::String(feedback));
        }
        judgments.push(JudgmentDraft::pairwise(winner, loser).with_detail(serde_json::Value::Object(detail)));
    }

    let parts: Vec<(String, Part)> = row.field_names().filter_map(|f| classify(f).map(|p| (f.to_owned(), p))).collect();
    let mut rate_aspects: Vec<String> = Vec::new();
    for (_, p) in &parts {
        if let Part::Rate { aspect, .. } = p
            && !rate_aspects.contains(aspect)
        {
            rate_aspects.push(aspect.clone());
        }
    }

    let mut ratings: Vec<RatingDraft> = Vec::new();
    for (field, part) in &parts {
        match part {
            Part::Winner { letter } => {
                let Some(v) = row.peek(field).cloned() else {
                    continue;
                };
                let pos = index(&v, field, 1, n).and_then(|w| other_of_two(field, w, n).map(|l| (w, l)));
                match pos {
                    Ok((w, l)) => {
                        row.take(field);
                        let label = aspect_of(letter, &rate_aspects);
                        judgments.push(
                            JudgmentDraft::new(JudgmentKind::Pairwise, label)
                                .with_pair(w, l)
                                .with_detail(json!({ field.as_str(): v.to_json() })),
                        );
                    }
                    Err(e) => row.warn(field, format!("{}; kept in extras", e.message)),
                }
            }
            Part::Rate { aspect, n: i } => {
                let Some(pos) = response_pos(row, field, *i, n) else {
                    continue;
                };
                let Some(raw) = scalar(row, field) else {
                    continue;
                };
                rating_mut(&mut ratings, pos, aspect, Some(raw));
            }
            Part::Rationale { letter, n: i } => {
                let Some(pos) = response_pos(row, field, *i, n) else {
                    continue;
                };
                let Some(text) = scalar(row, field) else {
                    continue;
                };
                let aspect = aspect_of(letter, &rate_aspects);
                rating_mut(&mut ratings, pos, &aspect, None).rationale = Some(text);
            }
            Part::Critique { aspect, n: i } => {
                let Some(pos) = response_pos(row, field, *i, n) else {
                    continue;
                };
                let Some(text) = scalar(row, field) else {
                    continue;
                };
                rating_mut(&mut ratings, pos, aspect, None).critique = Some(text);
            }
        }
    }
    if !ratings.is_empty() {
        let mut j = JudgmentDraft::new(JudgmentKind::Ratings, RATES_LABEL);
        j.ratings = ratings;
        judgments.push(j);
    }
    Ok(judgments)
}

/// The position that the 1-based suffix `i` names, or a warning (the field stays in extras).
fn response_pos(row: &mut Row<'_>, field: &str, i: usize, n: usize) -> Option<u32> {
    row.peek(field)?;
    if (1..=n).contains(&i) {
        Some((i - 1) as u32)
    } else {
        let has = crate::model::words::plural(n as u64, "response");
        row.warn(field, format!("names response {i}, but the row has {has}; kept in extras"));
        None
    }
}

/// Takes a scalar annotation as text; anything else is a warning and stays in extras.
fn scalar(row: &mut Row<'_>, field: &str) -> Option<String> {
    let found = row.peek(field)?;
    if let Some(t) = found.to_text() {
        row.take(field);
        Some(t)
    } else {
        let found = found.type_name();
        row.warn(field, format!("expected a number or text, found {found}; kept in extras"));
        None
    }
}

/// The rating of (`pos`, `aspect`), created on first use. A rationale or critique without a rate
/// gets a rating whose raw value is empty (and whose value is `None`).
fn rating_mut<'a>(
    ratings: &'a mut Vec<RatingDraft>,
    pos: u32,
    aspect: &str,
    raw: Option<String>,
) -> &'a mut RatingDraft {
    let i = if let Some(i) = ratings.iter().position(|r| r.response == Some(pos) && r.aspect == aspect) {
        i
    } else {
        ratings.push(RatingDraft::new(Some(pos), aspect, String::new()));
        ratings.len() - 1
    };
    if let Some(raw) = raw {
        let rationale = ratings[i].rationale.take();
        let critique = ratings[i].critique.take();
        ratings[i] = RatingDraft { rationale, critique, ..RatingDraft::new(Some(pos), aspect, raw) };
    }
    &mut ratings[i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::presets::row::PresetOptions;

    use crate::ingest::presets::row::test_row as row_of;

    #[test]
    fn field_names_are_classified() {
        assert!(
            matches!(classify("prompt_following_rate_2"), Some(Part::Rate { ref aspect, n: 2 }) if aspect == "prompt_following")
        );
        assert!(matches!(classify("p_rationale_1"), Some(Part::Rationale { ref letter, n: 1 }) if letter == "p"));
        assert!(
            matches!(classify("text_critique_1"), Some(Part::Critique { ref aspect, n: 1 }) if aspect == "text_critique")
        );
        assert!(matches!(classify("s_response"), Some(Part::Winner { ref letter }) if letter == "s"));
        for other in [
            "response_1",
            "overall_response",
            "image_1_model",
            "res_1_from",
            "is_response_0_safe",
            "overall_textfeedback",
        ] {
            assert!(classify(other).is_none(), "{other}");
        }
    }

    #[test]
    fn a_rationale_before_its_rate_is_merged_into_one_rating() {
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"question":"q","response_1":"a","response_2":"b","c_rationale_2":"why","clarity_rate_2":3,"overall_response":2}"#,
            &opts,
        );
        let s = pair(&mut row).expect("maps").remove(0);
        let rates = s.judgments.iter().find(|j| j.kind == JudgmentKind::Ratings).expect("ratings");
        assert_eq!(rates.ratings.len(), 1);
        assert_eq!((rates.ratings[0].response, rates.ratings[0].aspect.as_str()), (Some(1), "clarity"));
        assert_eq!((rates.ratings[0].raw.as_str(), rates.ratings[0].rationale.as_deref()), ("3", Some("why")));
    }

    #[test]
    fn out_of_range_winners_are_errors_or_warnings() {
        let opts = PresetOptions::default();
        let mut row = row_of(r#"{"question":"q","response_1":"a","response_2":"b","overall_response":0}"#, &opts);
        assert_eq!(pair(&mut row).expect_err("0 is not 1-based").field, "overall_response");
        let mut row = row_of(
            r#"{"question":"q","response_1":"a","response_2":"b","overall_response":1,"p_response":3,"safety_rate_3":1}"#,
            &opts,
        );
        let s = pair(&mut row).expect("maps").remove(0);
        assert_eq!(s.judgments.len(), 1);
        let fields: Vec<&str> = row.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(fields, ["p_response", "safety_rate_3"]);
        let (extras, _) = row.into_extras();
        assert!(extras.contains_key("p_response") && extras.contains_key("safety_rate_3"));
    }

    #[test]
    fn pku_labels_are_zero_based() {
        let opts = PresetOptions::default();
        let mut row = row_of(r#"{"prompt":"q","response_0":"a","response_1":"b","better_response_id":2}"#, &opts);
        assert_eq!(text_to_text(&mut row).expect_err("out of range").field, "better_response_id");
    }
}
