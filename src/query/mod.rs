//! The filter and search language: a query such as
//! `modality:image model:llava len_chosen>500 NOT judgment:tie "red circle"` compiled to a
//! parameterized SQL condition over `sample_stats st` (one narrow row of derived facts per sample,
//! migration 3; `st.sample_id` is the sample's id). Values are always bound parameters and free
//! text goes to FTS5 as quoted phrases, so no input can change the SQL or break the FTS syntax.
//!
//! Fields (`verdict search --help` lists them too):
//!
//! | field | meaning |
//! |---|---|
//! | `dataset:NAME` | the dataset's name (file stem) |
//! | `preset:NAME` | the preset that read the dataset |
//! | `modality:KIND` | one of [`MODALITIES`]: text, image, images, video, audio, mixed, gen-image, gen-video, gen-audio |
//! | `judgment:KIND` | the label in force is of this kind (a curator's judgment, else any of the original ones): pairwise, ranking, ratings, correction, tie, `both_bad` |
//! | `original_judgment:KIND` | has an original judgment of this kind |
//! | `label:NAME` | has a judgment with this label (overall, safer, helpfulness, ...) |
//! | `model:TEXT` | a response's model contains TEXT (case-insensitive for ASCII) |
//! | `media:STATUS` | has a media item with this probe status (ok, failed, unresolved, `not_fetched`, pending) |
//! | `id`, `row` | the sample id; the source row (numbers, any comparison) |
//! | `key:TEXT` | the source's own id |
//! | `responses` | number of responses (any comparison) |
//! | `len_prompt`, `len_a`, `len_b`, `len_chosen`, `len_rejected` | text lengths in characters (any comparison; chosen/rejected per the label in force) |
//! | `original_len_chosen`, `original_len_rejected` | the same per the source's own label |
//! | `longer:chosen` / `longer:rejected` | the chosen answer (per the label in force) is longer / shorter than the rejected one |
//! | `original_longer:chosen` / `original_longer:rejected` | the same per the source's own label |
//! | `original:LABEL`, `current:LABEL` | the original label; the label now (the curator's, else the original): `a` (A preferred), `b`, `tie`, `both_bad`, `ranking`, `ratings`, `correction`, `none` |
//! | `is:flagged`, `is:edited`, `is:noted`, `is:excluded` | a curator flagged it, relabeled it, wrote a note, excluded it |
//! | `flag:REASON` | flagged with this reason (`flag:wrong_label` or `flag:"wrong label"`) |
//! | `excluded:REASON` | excluded with this reason (duplicate, contamination, `bad_media`, ...) |
//! | `dup:KIND` | a member of a duplicate group of this kind ([`DUP_KINDS`]: image, video, audio, prompt, response, sample, semantic), as `verdict dedup` last found them |
//! | `dup:extra` | a member of a `sample` group (the same question asked again) that is not its first; `dup:extra-KIND` the same for a group of KIND |
//! | `check:KIND` | `verdict check` found this ([`crate::model::CHECK_KINDS`]: `opposite_labels`, `bad_media`, ...; `_`, `-` and space alike) |
//! | `is:contaminated`, `contaminated:BY` | nearly duplicates a member of a reference set (`verdict contamination`), by image, prompt or both |
//! | `margin>X`, `margin:NAME<X`, `agree:yes`/`no`, `score:NAME>X` | a scoring model's margin for the pair the label in force names, whether it agrees with the label, a candidate's score (`score_fields`) |
//!
//! `and`, `or` and `not` work as `AND`, `OR` and `NOT`; quoted, they are words. A value that is
//! not one of a field's known values (`modality:vidoe`) is an error naming them, not a query
//! that matches nothing. Reasons are typed freely, so `flag:` and `excluded:` take any text,
//! compared with `_`, `-` and space the same and ASCII case ignored. Free text is searched as written,
//! with Chinese, Japanese and Korean characters each a token ([`index_text`]), so a word is found
//! inside a sentence written without spaces. An error's position is the character at fault: the
//! bad value's first character, or the unknown field.
//!
//! Comparisons with a missing value (no response B for `len_b`, no pairwise judgment for
//! `len_chosen`) are false, and their negation true: `-len_b>10` matches samples without a B.

mod parse;
mod score_fields;
mod text;

pub use parse::{Expr, Op, QueryError, parse};
pub use text::{index_text, is_split_char};

use rusqlite::types::Value as SqlValue;
use std::fmt::Write as _;

/// A compiled query: a condition on `sample_stats st` and its parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// SQL usable as `SELECT ... FROM sample_stats st WHERE {condition}` (join `samples s ON
    /// s.id = st.sample_id` for the sample's own columns).
    pub condition: String,
    /// Values for the `?` placeholders, in order.
    pub params: Vec<SqlValue>,
    /// When the query is free text AND other terms: the same query with the full-text index
    /// driving it, for [`crate::store::Store::matching_ids`] (the `IN (...)` form makes SQLite
    /// collect every match of a common word before it reads a row).
    pub fts_driver: Option<Box<FtsDriver>>,
}

/// A query split into one full-text phrase and the other terms, all of which must hold.
#[derive(Debug, Clone, PartialEq)]
pub struct FtsDriver {
    /// The FTS5 `MATCH` value.
    pub phrase: SqlValue,
    /// The other terms (`1` when there are none).
    pub rest: Compiled,
}

/// What `samples.modality` holds (`ingest::prepare::modality` derives it from the media).
pub const MODALITIES: &[&str] =
    &["text", "image", "images", "video", "audio", "mixed", "gen-image", "gen-video", "gen-audio"];

/// A flag or exclusion reason as it is compared: ASCII lowercase, spaces and hyphens as `_`
/// (`off_topic` finds "off-topic"). The SQL side is `lower(replace(replace(column, ' ', '_'), '-',
/// '_'))` (SQLite's `lower` folds ASCII only, as this does).
pub fn reason_key(reason: &str) -> String {
    reason.replace([' ', '-'], "_").to_ascii_lowercase()
}

/// The fields the language knows, for error messages and help.
pub const FIELDS: &[&str] = &[
    "dataset",
    "preset",
    "modality",
    "judgment",
    "original_judgment",
    "label",
    "model",
    "media",
    "id",
    "row",
    "key",
    "responses",
    "len_prompt",
    "len_a",
    "len_b",
    "len_chosen",
    "len_rejected",
    "original_len_chosen",
    "original_len_rejected",
    "longer",
    "original_longer",
    "original",
    "current",
    "is",
    "flag",
    "excluded",
    "dup",
    "contaminated",
    "check",
    "margin",
    "agree",
    "score",
];

/// The kinds of duplicate groups (`dup:KIND`), as the cleaning passes store them.
pub const DUP_KINDS: &[&str] = &["image", "video", "audio", "prompt", "response", "sample", "semantic"];

/// Parses and compiles a query. An empty query matches every sample.
pub fn compile(query: &str) -> Result<Compiled, QueryError> {
    compile_bytes(query).map_err(|e| e.in_query(query))
}

fn compile_bytes(query: &str) -> Result<Compiled, QueryError> {
    let mut out = Compiled { condition: String::new(), params: Vec::new(), fts_driver: None };
    match parse::parse_bytes(query)? {
        None => out.condition.push('1'),
        Some(e) => {
            emit(&e, false, &mut out)?;
            out.fts_driver = fts_driver(&e)?.map(Box::new);
        }
    }
    Ok(out)
}

/// The first free-text term of the top-level AND chain, and the rest.
fn fts_driver(e: &Expr) -> Result<Option<FtsDriver>, QueryError> {
    fn conjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
        match e {
            Expr::And(a, b) => {
                conjuncts(a, out);
                conjuncts(b, out);
            }
            other => out.push(other),
        }
    }
    let mut all = Vec::new();
    conjuncts(e, &mut all);
    let Some(i) = all.iter().position(|c| matches!(c, Expr::Text(_))) else { return Ok(None) };
    let Expr::Text(text) = all.remove(i) else { return Ok(None) };
    let mut rest = Compiled { condition: String::new(), params: Vec::new(), fts_driver: None };
    if all.is_empty() {
        rest.condition.push('1');
    }
    for (k, c) in all.iter().enumerate() {
        if k > 0 {
            rest.condition.push_str(" AND ");
        }
        emit(c, false, &mut rest)?;
    }
    Ok(Some(FtsDriver { phrase: fts_phrase(text), rest }))
}

/// One FTS5 phrase: double quotes inside are doubled, so the text is matched as written, and
/// CJK characters are set apart as the index has them ([`index_text`]), so the characters of a
/// word are a phrase of consecutive tokens.
fn fts_phrase(text: &str) -> SqlValue {
    SqlValue::Text(format!("\"{}\"", index_text(text).replace('"', "\"\"")))
}

/// Emits `e`; `negated` says whether it sits under an odd number of NOTs. Comparisons with a
/// NULL side (a missing length or model) are NULL in SQL, which a WHERE treats as false; under a
/// NOT they are wrapped in `coalesce(.., 0)` so that the NOT makes them true. Outside a NOT they
/// stay bare, so SQLite can answer them from an index.
fn emit(e: &Expr, negated: bool, out: &mut Compiled) -> Result<(), QueryError> {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            out.condition.push('(');
            emit(a, negated, out)?;
            out.condition.push_str(if matches!(e, Expr::And(..)) { " AND " } else { " OR " });
            emit(b, negated, out)?;
            out.condition.push(')');
        }
        Expr::Not(inner) => {
            out.condition.push_str("NOT ");
            emit(inner, !negated, out)?;
        }
        Expr::Text(text) => {
            out.condition.push_str("st.sample_id IN (SELECT rowid FROM sample_fts WHERE sample_fts MATCH ?)");
            out.params.push(fts_phrase(text));
        }
        Expr::Field { name, op, value, at, value_at } => {
            field(name, *op, value, Places { field: *at, value: *value_at }, negated, out)?;
        }
    }
    Ok(())
}

/// `sql`, wrapped so that NULL reads as false even under a NOT (see [`emit`]).
fn nullable(sql: &str, negated: bool) -> String {
    if negated { format!("coalesce({sql}, 0)") } else { sql.to_owned() }
}

/// `value` as a LIKE pattern that matches it anywhere, with `%`, `_` and `\` escaped (`ESCAPE '\'`).
fn contains_pattern(value: &str) -> String {
    let mut p = String::with_capacity(value.len() + 2);
    p.push('%');
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Where a term's parts are in the query (byte offsets).
#[derive(Debug, Clone, Copy)]
struct Places {
    /// The field name.
    field: usize,
    /// The value as typed.
    value: usize,
}

fn field(name: &str, op: Op, value: &str, places: Places, negated: bool, out: &mut Compiled) -> Result<(), QueryError> {
    // The field name is ASCII (the parser checks): the operator follows it.
    let op_at = places.field + name.len();
    let at = places.value;
    let text_only = |what: &str| -> Result<(), QueryError> {
        if matches!(op, Op::Eq | Op::Ne) {
            Ok(())
        } else {
            Err(QueryError::new(format!("`{what}` compares with `:` or `!=`, not `{}`", op.sql()), op_at))
        }
    };
    let number = || -> Result<i64, QueryError> {
        value.parse::<i64>().map_err(|_| QueryError::new(format!("`{name}` needs a whole number, found `{value}`"), at))
    };
    // `field!=value` is `NOT field:value`: its own comparison sits under one more NOT.
    let ne = op == Op::Ne;
    let inner_negated = negated != ne;
    let (sql, param): (String, SqlValue) = match name {
        "dataset" | "preset" => {
            text_only(name)?;
            let column = if name == "dataset" { "name" } else { "preset" };
            (format!("st.dataset_id IN (SELECT id FROM datasets WHERE {column} = ?)"), SqlValue::Text(value.to_owned()))
        }
        "modality" => {
            text_only(name)?;
            // As stored (lowercase, `gen-image`), forgiving case and `gen_image`.
            let kind = value.to_ascii_lowercase().replace('_', "-");
            if !MODALITIES.contains(&kind.as_str()) {
                return Err(QueryError::new(
                    format!("unknown modality `{value}` (one of {})", MODALITIES.join(", ")),
                    at,
                ));
            }
            ("st.modality = ?".into(), SqlValue::Text(kind))
        }
        "judgment" | "original_judgment" => {
            text_only(name)?;
            let Some(kind) = crate::model::JudgmentKind::parse(value) else {
                let kinds: Vec<&str> = crate::model::JudgmentKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(QueryError::new(format!("unknown judgment `{value}` (one of {})", kinds.join(", ")), at));
            };
            let column = if name == "judgment" { "judgment_kinds" } else { "orig_kinds" };
            (format!("(st.{column} & ?) != 0"), SqlValue::Integer(kind.bit()))
        }
        "label" => {
            text_only(name)?;
            (
                "st.sample_id IN (SELECT sample_id FROM judgments WHERE label = ?)".into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "model" => {
            text_only(name)?;
            out.condition.push_str(if ne { "NOT " } else { "" });
            if value.contains('\u{1f}') {
                // The separator of `models` below: no single model holds it.
                out.condition.push('0');
                return Ok(());
            }
            // `models` holds every response's model, joined by char(31); LIKE ignores ASCII case
            // as `lower()` did.
            out.condition.push_str(&nullable("st.models LIKE ? ESCAPE '\\'", inner_negated));
            out.params.push(SqlValue::Text(contains_pattern(value)));
            return Ok(());
        }
        "media" => {
            text_only(name)?;
            let status = value.to_ascii_lowercase().replace('-', "_");
            let Some(status) = crate::model::ProbeStatus::parse(&status) else {
                let known: Vec<&str> = crate::model::ProbeStatus::ALL.iter().map(|s| s.as_str()).collect();
                return Err(QueryError::new(
                    format!("unknown media status `{value}` (one of {})", known.join(", ")),
                    at,
                ));
            };
            (
                "st.sample_id IN (SELECT sample_id FROM media WHERE probe_status = ?)".into(),
                SqlValue::Text(status.as_str().to_owned()),
            )
        }
        "original" | "current" => {
            text_only(name)?;
            // The column holds `A>B`-style text; the words are easier to type.
            let pattern = match value {
                "a" | "A" | "b" | "B" => {
                    // Text starting `A>`: from `A>` up to `A?` (the next character after `>`),
                    // two comparisons instead of a GLOB per row.
                    let letter = value.to_ascii_uppercase();
                    out.condition.push_str(if ne { "NOT " } else { "" });
                    let _ = write!(out.condition, "(st.{name} >= ? AND st.{name} < ?)");
                    out.params.push(SqlValue::Text(format!("{letter}>")));
                    out.params.push(SqlValue::Text(format!("{letter}?")));
                    return Ok(());
                }
                "none" => "",
                "tie" | "both_bad" | "ranking" | "ratings" | "correction" | "pairwise" => value,
                _ => {
                    return Err(QueryError::new(
                        format!(
                            "`{name}` is a, b, tie, both_bad, ranking, ratings, correction, pairwise or none, not `{value}`"
                        ),
                        at,
                    ));
                }
            };
            (format!("st.{name} = ?"), SqlValue::Text(pattern.to_owned()))
        }
        "is" if value == "contaminated" => {
            text_only(name)?;
            (
                "st.sample_id IN (SELECT sample_id FROM contamination WHERE by != ?)".into(),
                SqlValue::Text(String::new()),
            )
        }
        "check" => {
            text_only(name)?;
            let kind = value.to_ascii_lowercase().replace(['-', ' '], "_");
            if !crate::model::CHECK_KINDS.contains(&kind.as_str()) {
                return Err(QueryError::new(
                    format!("unknown check `{value}` (one of {})", crate::model::CHECK_KINDS.join(", ")),
                    at,
                ));
            }
            ("st.sample_id IN (SELECT sample_id FROM check_findings WHERE kind = ?)".into(), SqlValue::Text(kind))
        }
        "contaminated" => {
            text_only(name)?;
            if !matches!(value, "image" | "prompt" | "both") {
                return Err(QueryError::new(format!("`contaminated` is image, prompt or both, not `{value}`"), at));
            }
            (
                "st.sample_id IN (SELECT sample_id FROM contamination WHERE by = ?)".into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "dup" => {
            text_only(name)?;
            let value = value.to_ascii_lowercase();
            let (extra, kind) = match value.strip_prefix("extra") {
                Some("") => (true, "sample"),
                Some(rest) => (true, rest.trim_start_matches(['-', '_'])),
                None => (false, value.as_str()),
            };
            if !DUP_KINDS.contains(&kind) {
                return Err(QueryError::new(
                    format!(
                        "unknown duplicate kind `{kind}` (dup: one of {}, or extra, extra-KIND)",
                        DUP_KINDS.join(", ")
                    ),
                    at,
                ));
            }
            let rank = if extra { " AND m.rank > 0" } else { "" };
            (
                format!(
                    "st.sample_id IN (SELECT m.sample_id FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = ?{rank})"
                ),
                SqlValue::Text(kind.to_owned()),
            )
        }
        "is" => {
            text_only(name)?;
            let column = match value {
                "flagged" | "edited" | "noted" | "excluded" => value,
                _ => {
                    return Err(QueryError::new(
                        format!("`is` is flagged, edited, noted, excluded or contaminated, not `{value}`"),
                        at,
                    ));
                }
            };
            out.condition.push_str(if ne { "NOT " } else { "" });
            let _ = write!(out.condition, "st.{column}");
            return Ok(());
        }
        "flag" | "excluded" => {
            text_only(name)?;
            // `IS NOT NULL` lets SQLite read only the flagged rows, from the partial index
            // `curation_flag` (migration 2); `curation` has a row per curated sample only.
            (
                format!(
                    "st.sample_id IN (SELECT sample_id FROM curation WHERE {name} IS NOT NULL AND lower(replace(replace({name}, ' ', '_'), '-', '_')) = ?)"
                ),
                SqlValue::Text(reason_key(value)),
            )
        }
        "key" => {
            text_only(name)?;
            // `dataset_id IN` lets SQLite use the (dataset_id, source_key) index, one probe per dataset.
            (
                "st.sample_id IN (SELECT id FROM samples WHERE dataset_id IN (SELECT id FROM datasets) AND source_key = ?)"
                    .into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "longer" | "original_longer" => {
            text_only(name)?;
            let prefix = if name == "longer" { "" } else { "orig_" };
            let (a, b) = match value {
                "chosen" => ("chosen", "rejected"),
                "rejected" => ("rejected", "chosen"),
                _ => return Err(QueryError::new(format!("`longer` is `chosen` or `rejected`, not `{value}`"), at)),
            };
            out.condition.push_str(if ne { "NOT " } else { "" });
            out.condition.push_str(&nullable(&format!("st.{prefix}len_{a} > st.{prefix}len_{b}"), inner_negated));
            return Ok(());
        }
        "id"
        | "row"
        | "responses"
        | "len_prompt"
        | "len_a"
        | "len_b"
        | "len_chosen"
        | "len_rejected"
        | "original_len_chosen"
        | "original_len_rejected" => {
            let column = match name {
                "id" => "sample_id",
                "row" => "row_index",
                "responses" => "n_responses",
                "original_len_chosen" => "orig_len_chosen",
                "original_len_rejected" => "orig_len_rejected",
                other => other,
            };
            out.condition.push_str(&nullable(&format!("st.{column} {} ?", op.sql()), negated));
            out.params.push(SqlValue::Integer(number()?));
            return Ok(());
        }
        "margin" | "agree" | "score" => return score_fields::field(name, op, value, at, op_at, out),
        other => {
            return Err(QueryError::new(
                format!("unknown field `{other}` (known: {})", FIELDS.join(", ")),
                places.field,
            ));
        }
    };
    if ne {
        out.condition.push_str("NOT ");
    }
    out.condition.push_str(&sql);
    out.params.push(param);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_negation() {
        let e = parse("a b OR -c").expect("parses").expect("non-empty");
        assert_eq!(
            e,
            Expr::Or(
                Box::new(Expr::And(Box::new(Expr::Text("a".into())), Box::new(Expr::Text("b".into())))),
                Box::new(Expr::Not(Box::new(Expr::Text("c".into()))))
            )
        );
        assert_eq!(parse("  ").expect("empty"), None);
    }

    #[test]
    fn lowercase_operator_words_are_operators_unless_quoted() {
        let text = |t: &str| Box::new(Expr::Text(t.into()));
        assert_eq!(parse("a or b").expect("parses"), Some(Expr::Or(text("a"), text("b"))));
        assert_eq!(parse("a and not b").expect("parses"), Some(Expr::And(text("a"), Box::new(Expr::Not(text("b"))))));
        assert_eq!(parse("a OR b").expect("parses"), parse("a or b").expect("parses"));
        assert_eq!(parse("NOT a AND b").expect("parses"), parse("not a and b").expect("parses"));
        // Quoted, or in mixed case, they are words.
        assert_eq!(
            parse(r#"a "or" b"#).expect("parses"),
            Some(Expr::And(Box::new(Expr::And(text("a"), text("or"))), text("b")))
        );
        assert_eq!(parse(r#""not""#).expect("parses"), Some(Expr::Text("not".into())));
        assert_eq!(
            parse("a Or b").expect("parses"),
            Some(Expr::And(Box::new(Expr::And(text("a"), text("Or"))), text("b")))
        );
        assert_eq!(compile("a or b").expect("q").condition.matches(" OR ").count(), 1);
        assert_eq!(compile(r#""or""#).expect("q").params, [SqlValue::Text("\"or\"".into())]);
    }

    #[test]
    fn free_text_phrases_split_cjk_as_the_index_does() {
        assert_eq!(compile("红色").expect("q").params, [SqlValue::Text("\"红 色 \"".into())]);
        assert_eq!(compile("\"red circle\"").expect("q").params, [SqlValue::Text("\"red circle\"".into())]);
        assert_eq!(compile("iPhone手机").expect("q").params, [SqlValue::Text("\"iPhone 手 机 \"".into())]);
        let driver = compile("红色 is:flagged").expect("q").fts_driver.expect("driver");
        assert_eq!(driver.phrase, SqlValue::Text("\"红 色 \"".into()));
    }

    #[test]
    fn value_errors_point_at_the_value() {
        let at = |q: &str| {
            let e = compile(q).expect_err(q);
            (e.at, e.char_at, e.to_string())
        };
        let (b, c, shown) = at("len_chosen>>");
        assert_eq!((b, c), (11, 11));
        assert!(shown.ends_with("(at character 12)"), "{shown}");
        assert_eq!(at("modality:vidoe").0, 9);
        assert_eq!(at("modality:image colour:red").0, 15);
        assert_eq!(at("dataset>3").0, 7);
        assert_eq!(at("model:").0, 6);
        let (b, c, shown) = at("红色 len_a>x");
        assert_eq!((b, c), (13, 9));
        assert!(shown.ends_with("(at character 10)"), "{shown}");
    }

    #[test]
    fn reasons_compare_by_their_key() {
        assert_eq!(reason_key("Wrong Label"), "wrong_label");
        assert_eq!(reason_key("wrong_label"), "wrong_label");
        assert_eq!(reason_key("Off-Topic"), "off_topic");
        let c = compile("flag:\"Wrong Label\"").expect("q");
        assert_eq!(c.params, [SqlValue::Text("wrong_label".into())]);
        assert!(c.condition.contains("lower(replace(replace(flag, ' ', '_'), '-', '_')) = ?"), "{}", c.condition);
        let e = compile("modality:vidoe").expect_err("unknown");
        assert!(MODALITIES.iter().all(|m| e.message.contains(m)), "{e}");
        assert_eq!(compile("modality:Gen_Image").expect("q").params, [SqlValue::Text("gen-image".into())]);
    }

    #[test]
    fn fields_operators_and_quoted_values() {
        let e = parse(r#"model:"gpt 4" len_a>=500"#).expect("parses").expect("non-empty");
        let Expr::And(a, b) = e else { panic!("and") };
        assert_eq!(*a, Expr::Field { name: "model".into(), op: Op::Eq, value: "gpt 4".into(), at: 0, value_at: 6 });
        assert_eq!(*b, Expr::Field { name: "len_a".into(), op: Op::Ge, value: "500".into(), at: 14, value_at: 21 });
        // A quoted phrase with a colon inside is text, not a field.
        assert_eq!(parse(r#""note: x""#).expect("parses"), Some(Expr::Text("note: x".into())));
        // A dash inside a word is part of it.
        assert_eq!(parse("model:gpt-4").expect("parses").map(|e| matches!(e, Expr::Field { .. })), Some(true));
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = compile("modality:image colour:red").expect_err("unknown field");
        assert!(e.message.contains("unknown field `colour`") && e.at == 15, "{e}");
        assert!(compile("len_a>lots").expect_err("number").message.contains("whole number"));
        assert!(compile("(a OR b").expect_err("paren").message.contains("never closed"));
        assert!(compile("a)").expect_err("paren").message.contains("unexpected `)`"));
        assert!(compile("\"open").expect_err("quote").message.contains("unclosed quote"));
        assert!(compile("judgment:best").expect_err("kind").message.contains("unknown judgment"));
        assert!(compile("dataset>3").expect_err("op").message.contains("compares with `:`"));
        assert!(compile("model:").expect_err("empty").message.contains("needs a value"));
        assert!(compile("a OR").expect_err("dangling").message.contains("ends where a term"));
    }

    #[test]
    fn missing_values_are_false_and_their_negation_true() {
        // Bare where a NULL reads as false anyway (and SQLite could use an index), wrapped under a NOT.
        assert_eq!(compile("len_a>5").expect("q").condition, "st.len_a > ?");
        assert_eq!(compile("-len_a>5").expect("q").condition, "NOT coalesce(st.len_a > ?, 0)");
        assert_eq!(compile("NOT -len_a>5").expect("q").condition, "NOT NOT st.len_a > ?");
        assert_eq!(compile("model!=x").expect("q").condition, "NOT coalesce(st.models LIKE ? ESCAPE '\\', 0)");
        assert_eq!(compile("-longer:chosen").expect("q").condition, "NOT coalesce(st.len_chosen > st.len_rejected, 0)");
        assert_eq!(compile("is:flagged -is:noted").expect("q").condition, "(st.flagged AND NOT st.noted)");
    }

    #[test]
    fn models_match_as_written_anywhere_in_the_name() {
        let c = compile(r#"model:"50%_a\b""#).expect("q");
        assert_eq!(c.params, [SqlValue::Text(r"%50\%\_a\\b%".into())]);
        assert_eq!(compile("current:a").expect("q").params, [SqlValue::Text("A>".into()), SqlValue::Text("A?".into())]);
        assert_eq!(compile("original:none").expect("q").params, [SqlValue::Text(String::new())]);
        assert!(compile("original:c").expect_err("word").message.contains("`original` is a, b"));
        assert_eq!(compile("judgment:tie").expect("q").params, [SqlValue::Integer(16)]);
    }

    #[test]
    fn values_are_parameters_never_sql() {
        let c = compile("dataset:\"x'); DROP TABLE samples; --\" \"say \"\"hi\"\"\"").expect("compiles");
        assert!(!c.condition.contains("DROP"));
        assert_eq!(c.params[0], SqlValue::Text("x'); DROP TABLE samples; --".into()));
        assert_eq!(c.condition.matches('?').count(), c.params.len());
    }
}
