//! Generic column mapping: a small TOML file that describes a layout no preset knows.
//!
//! ```toml
//! id = "uid"                      # optional: the row's id
//! prompt = "question"             # required: the prompt text
//! context = "history"             # optional: earlier turns, [{role, content}] or [{from, value}]
//! # the candidates, one of:
//! chosen = "good"                 # a chosen/rejected pair of text fields (implies the judgment), or
//! rejected = "bad"
//! responses = ["answer_a", "answer_b"]   # fields holding one response each, or
//! responses_list = "candidates"   # a field holding a list of strings or objects
//! response_text = "text"          # key of the text inside each object (default: text, value, content, response)
//! response_model = "model"        # key of the generating model inside each object
//! # the judgment (optional), one of:
//! preference = "label"            # index of the better response
//! preference_base = 1             # 0 or 1 (default 0)
//! ranking = "ranking"             # list of response indexes, best first
//! ranking_base = 0
//! scores = "scores"               # list of numbers, one per response, higher is better
//! [[media]]
//! field = "image"                 # path, list, HF struct, base64, data URI or URL
//! kind = "image"                  # image | video | frames | audio
//! role = "input"                  # input | retrieved | candidate
//! [[ratings]]
//! field = "helpfulness_a"         # a rating value
//! response = 0                    # the rated response's index (omit for the whole sample)
//! aspect = "helpfulness"
//! ```

use super::IngestError;
use super::presets::row::{FieldError, FieldResult, Row, text_of, turns_of};
use crate::model::{JudgmentDraft, JudgmentKind, MediaKind, MediaRole, RatingDraft, ResponseDraft, SampleDraft, Value};
use serde::Deserialize;
use std::path::Path;

/// One media field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaField {
    /// The column.
    pub field: String,
    /// What it holds.
    pub kind: MediaKind,
    /// Why it is attached (default `input`).
    #[serde(default = "default_role")]
    pub role: MediaRole,
}

fn default_role() -> MediaRole {
    MediaRole::Input
}

/// One rating column.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingField {
    /// The column.
    pub field: String,
    /// The rated response's index; `None` rates the whole sample.
    pub response: Option<u32>,
    /// The aspect's name.
    pub aspect: String,
}

/// A column mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The id column.
    pub id: Option<String>,
    /// The prompt column.
    pub prompt: String,
    /// Earlier turns.
    pub context: Option<String>,
    /// Chosen text column.
    pub chosen: Option<String>,
    /// Rejected text column.
    pub rejected: Option<String>,
    /// One column per response.
    #[serde(default)]
    pub responses: Vec<String>,
    /// A column holding all responses.
    pub responses_list: Option<String>,
    /// Key of the text in each response object.
    pub response_text: Option<String>,
    /// Key of the model in each response object.
    pub response_model: Option<String>,
    /// Index of the better response.
    pub preference: Option<String>,
    /// Base of `preference` (0 or 1).
    #[serde(default)]
    pub preference_base: i64,
    /// Indexes best first.
    pub ranking: Option<String>,
    /// Base of `ranking` (0 or 1).
    #[serde(default)]
    pub ranking_base: i64,
    /// One score per response, higher is better.
    pub scores: Option<String>,
    /// Media columns.
    #[serde(default)]
    pub media: Vec<MediaField>,
    /// Rating columns.
    #[serde(default)]
    pub ratings: Vec<RatingField>,
    #[serde(skip)]
    source: String,
}

impl Mapping {
    /// Reads and checks a mapping file.
    pub fn load(path: &Path) -> Result<Self, IngestError> {
        let err = |message: String| IngestError::Mapping { path: path.to_owned(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read: {e}")))?;
        Self::parse(&text).map_err(err)
    }

    /// Parses and checks mapping text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        let pair = m.chosen.is_some() || m.rejected.is_some();
        if pair && (m.chosen.is_none() || m.rejected.is_none()) {
            return Err("`chosen` and `rejected` go together".into());
        }
        let sources =
            usize::from(pair) + usize::from(!m.responses.is_empty()) + usize::from(m.responses_list.is_some());
        if sources != 1 {
            return Err(
                "name the candidates exactly one way: `chosen` + `rejected`, `responses`, or `responses_list`".into()
            );
        }
        let judgments = [&m.preference, &m.ranking, &m.scores].iter().filter(|j| j.is_some()).count();
        if judgments > 1 || (pair && judgments > 0) {
            return Err(
                "name at most one judgment: `preference`, `ranking` or `scores` (`chosen`/`rejected` is one already)"
                    .into(),
            );
        }
        if !(0..=1).contains(&m.preference_base) || !(0..=1).contains(&m.ranking_base) {
            return Err("`preference_base` and `ranking_base` are 0 or 1".into());
        }
        text.clone_into(&mut m.source);
        Ok(m)
    }

    /// The TOML it was read from.
    pub fn source_text(&self) -> &str {
        &self.source
    }

    /// Maps one row.
    pub fn map(&self, row: &mut Row<'_>) -> FieldResult<Vec<SampleDraft>> {
        let mut s =
            SampleDraft { source_key: self.id.as_ref().and_then(|f| row.take_key(f)), ..SampleDraft::default() };
        s.prompt = row.take_text(&self.prompt)?;
        if let Some(f) = &self.context
            && let Some(v) = row.take(f)
        {
            s.context = turns_of(&v).map_err(|m| FieldError::new(f, m))?;
        }
        if let (Some(c), Some(r)) = (&self.chosen, &self.rejected) {
            for f in [c, r] {
                let text = row.take_text(f)?;
                s.responses.push(ResponseDraft { text: Some(text), field: f.clone(), ..ResponseDraft::default() });
            }
            s.judgments.push(JudgmentDraft::pairwise(0, 1));
        } else if let Some(list_field) = &self.responses_list {
            let v = row.take_required(list_field)?;
            let items = v
                .as_list()
                .ok_or_else(|| FieldError::new(list_field, format!("expected a list, found {}", v.type_name())))?;
            for (i, item) in items.iter().enumerate() {
                s.responses.push(self.response_from(item, &format!("{list_field}[{i}]"))?);
            }
        } else {
            for f in &self.responses {
                let v = row.take_required(f)?;
                s.responses.push(self.response_from(&v, f)?);
            }
        }
        let n = s.responses.len() as i64;
        let index = |v: &Value, field: &str, base: i64| -> FieldResult<u32> {
            let i = v
                .to_i64()
                .ok_or_else(|| FieldError::new(field, format!("expected an index, found {}", v.type_name())))?
                - base;
            if (0..n).contains(&i) {
                Ok(i as u32)
            } else {
                Err(FieldError::new(
                    field,
                    format!(
                        "index {} is out of range for {}",
                        i + base,
                        crate::model::words::plural(n as u64, "response")
                    ),
                ))
            }
        };
        if let Some(f) = &self.preference {
            let v = row.take_required(f)?;
            let better = index(&v, f, self.preference_base)?;
            if n != 2 {
                return Err(FieldError::new(f, format!("a preference index needs exactly 2 responses, found {n}")));
            }
            s.judgments.push(
                JudgmentDraft::pairwise(better, 1 - better).with_detail(serde_json::json!({ f.as_str(): v.to_json() })),
            );
        }
        if let Some(f) = &self.ranking {
            let v = row.take_required(f)?;
            let items =
                v.as_list().ok_or_else(|| FieldError::new(f, format!("expected a list, found {}", v.type_name())))?;
            let ranking = items.iter().map(|i| index(i, f, self.ranking_base)).collect::<FieldResult<Vec<_>>>()?;
            s.judgments.push(ranking_judgment(ranking));
        }
        if let Some(f) = &self.scores {
            let v = row.take_required(f)?;
            let items =
                v.as_list().ok_or_else(|| FieldError::new(f, format!("expected a list, found {}", v.type_name())))?;
            if items.len() as i64 != n {
                return Err(FieldError::new(
                    f,
                    format!(
                        "{} for {}",
                        crate::model::words::plural(items.len() as u64, "score"),
                        crate::model::words::plural(n as u64, "response")
                    ),
                ));
            }
            let scores = items
                .iter()
                .map(|i| {
                    i.to_f64().ok_or_else(|| FieldError::new(f, format!("expected a number, found {}", i.type_name())))
                })
                .collect::<FieldResult<Vec<_>>>()?;
            let mut order: Vec<u32> = (0..n as u32).collect();
            order.sort_by(|a, b| scores[*b as usize].total_cmp(&scores[*a as usize]));
            let mut j = ranking_judgment(order);
            j.ratings = scores
                .iter()
                .enumerate()
                .map(|(i, sc)| RatingDraft::new(Some(i as u32), "score", sc.to_string()))
                .collect();
            s.judgments.push(j);
        }
        if !self.ratings.is_empty() {
            let mut j = JudgmentDraft::new(JudgmentKind::Ratings, "ratings");
            for r in &self.ratings {
                if let Some(v) = row.take(&r.field) {
                    j.ratings.push(RatingDraft::new(
                        r.response,
                        r.aspect.clone(),
                        v.to_text().unwrap_or_else(|| v.to_json().to_string()),
                    ));
                }
            }
            if !j.ratings.is_empty() {
                s.judgments.push(j);
            }
        }
        for m in &self.media {
            let mut drafts = row.take_media(&m.field, m.kind, m.role)?;
            if m.role == MediaRole::Candidate {
                for (i, d) in drafts.iter_mut().enumerate() {
                    d.response = Some(i as u32);
                }
            }
            s.media.extend(drafts);
        }
        Ok(vec![s])
    }

    fn response_from(&self, v: &Value, field: &str) -> FieldResult<ResponseDraft> {
        let text = match (v, &self.response_text) {
            (Value::Map(m), Some(key)) => m.get(key).and_then(text_of),
            _ => text_of(v),
        };
        let model = match (v, &self.response_model) {
            (Value::Map(m), Some(key)) => m.get(key).and_then(Value::to_text),
            _ => None,
        };
        let text =
            text.ok_or_else(|| FieldError::new(field, format!("expected a response text, found {}", v.type_name())))?;
        Ok(ResponseDraft { text: Some(text), model, field: field.to_owned(), meta: None })
    }
}

/// A ranking, best first, also stated as the pair (best, worst) for tools that read pairs.
fn ranking_judgment(ranking: Vec<u32>) -> JudgmentDraft {
    let mut j = JudgmentDraft::new(JudgmentKind::Ranking, "overall");
    if let (Some(first), Some(last)) = (ranking.first(), ranking.last())
        && first != last
    {
        j.chosen = Some(*first);
        j.rejected = Some(*last);
    }
    j.ranking = ranking;
    j
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::presets::row::PresetOptions;

    use crate::ingest::presets::row::test_row as row_of;

    #[test]
    fn a_ranked_list_maps_to_a_ranking_judgment() {
        let m = Mapping::parse(
            "id = \"uid\"\nprompt = \"q\"\nresponses_list = \"c\"\nresponse_text = \"text\"\nresponse_model = \"model\"\nranking = \"r\"\n",
        )
        .expect("valid");
        let opts = PresetOptions::default();
        let mut row = row_of(
            r#"{"uid":"u1","q":"Which?","c":[{"text":"a","model":"m0"},{"text":"b"},{"text":"c"}],"r":[2,0,1],"x":5}"#,
            &opts,
        );
        let s = m.map(&mut row).expect("maps").remove(0);
        assert_eq!(s.source_key.as_deref(), Some("u1"));
        assert_eq!(s.responses.len(), 3);
        assert_eq!(s.responses[0].model.as_deref(), Some("m0"));
        assert_eq!(s.judgments[0].kind, JudgmentKind::Ranking);
        assert_eq!(s.judgments[0].ranking, vec![2, 0, 1]);
        assert_eq!((s.judgments[0].chosen, s.judgments[0].rejected), (Some(2), Some(1)));
        let (extras, _) = row.into_extras();
        assert!(extras.contains_key("x"), "unmapped columns survive as extras");
    }

    #[test]
    fn out_of_range_preference_names_the_field() {
        let m = Mapping::parse("prompt = \"q\"\nresponses = [\"a\", \"b\"]\npreference = \"p\"\npreference_base = 1\n")
            .expect("valid");
        let opts = PresetOptions::default();
        let mut row = row_of(r#"{"q":"?","a":"x","b":"y","p":3}"#, &opts);
        let err = m.map(&mut row).expect_err("out of range");
        assert_eq!(err.field, "p");
        let mut row = row_of(r#"{"q":"?","a":"x","b":"y","p":2}"#, &opts);
        let s = m.map(&mut row).expect("maps").remove(0);
        assert_eq!((s.judgments[0].chosen, s.judgments[0].rejected), (Some(1), Some(0)));
    }

    #[test]
    fn contradictory_mappings_are_refused() {
        assert!(Mapping::parse("prompt = \"q\"").is_err());
        assert!(Mapping::parse("prompt = \"q\"\nchosen = \"c\"").is_err());
        assert!(Mapping::parse("prompt = \"q\"\nresponses = [\"a\"]\nranking = \"r\"\nscores = \"s\"").is_err());
        assert!(Mapping::parse("prompt = \"q\"\nresponses = [\"a\"]\nbogus = 1").is_err());
    }
}
