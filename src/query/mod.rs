//! The filter and search language: a query such as
//! `modality:image model:llava len_chosen>500 NOT judgment:tie "red circle"` compiled to a
//! parameterized SQL condition over `samples s`. Values are always bound parameters and free text
//! goes to FTS5 as quoted phrases, so no input can change the SQL or break the FTS syntax.
//!
//! Fields (`verdict search --help` lists them too):
//!
//! | field | meaning |
//! |---|---|
//! | `dataset:NAME` | the dataset's name (file stem) |
//! | `preset:NAME` | the preset that read the dataset |
//! | `modality:KIND` | text, image, images, video, audio, mixed, gen-image, ... |
//! | `judgment:KIND` | has an original judgment of this kind (pairwise, ranking, ratings, correction, tie, both_bad) |
//! | `label:NAME` | has a judgment with this label (overall, safer, helpfulness, ...) |
//! | `model:TEXT` | a response's model contains TEXT (case-insensitive) |
//! | `media:STATUS` | has a media item with this probe status (ok, failed, unresolved, not_fetched) |
//! | `id`, `row` | the sample id; the source row (numbers, any comparison) |
//! | `key:TEXT` | the source's own id |
//! | `responses` | number of responses (any comparison) |
//! | `len_prompt`, `len_a`, `len_b`, `len_chosen`, `len_rejected` | text lengths in characters (any comparison; chosen/rejected per the original pairwise judgment) |
//! | `longer:chosen` / `longer:rejected` | the original chosen answer is longer / shorter than the rejected one |
//! | `is:flagged`, `is:edited`, `is:noted` | a curator flagged it, relabeled it, wrote a note |
//! | `flag:REASON` | flagged with this reason |

mod parse;

pub use parse::{Expr, Op, QueryError, parse};

use rusqlite::types::Value as SqlValue;
use std::fmt::Write as _;

/// A compiled query: a condition on `samples s` and its parameters, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// SQL usable as `SELECT ... FROM samples s WHERE {condition}`.
    pub condition: String,
    /// Values for the `?` placeholders, in order.
    pub params: Vec<SqlValue>,
}

/// The fields the language knows, for error messages and help.
pub const FIELDS: &[&str] = &[
    "dataset",
    "preset",
    "modality",
    "judgment",
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
    "longer",
    "is",
    "flag",
];

/// Parses and compiles a query. An empty query matches every sample.
pub fn compile(query: &str) -> Result<Compiled, QueryError> {
    let mut out = Compiled { condition: String::new(), params: Vec::new() };
    match parse(query)? {
        None => out.condition.push('1'),
        Some(e) => emit(&e, &mut out)?,
    }
    Ok(out)
}

fn emit(e: &Expr, out: &mut Compiled) -> Result<(), QueryError> {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => {
            out.condition.push('(');
            emit(a, out)?;
            out.condition.push_str(if matches!(e, Expr::And(..)) { " AND " } else { " OR " });
            emit(b, out)?;
            out.condition.push(')');
        }
        Expr::Not(inner) => {
            out.condition.push_str("NOT ");
            emit(inner, out)?;
        }
        Expr::Text(text) => {
            // One FTS5 phrase: double quotes inside are doubled, so the text is matched as written.
            out.condition.push_str("s.id IN (SELECT rowid FROM sample_fts WHERE sample_fts MATCH ?)");
            out.params.push(SqlValue::Text(format!("\"{}\"", text.replace('"', "\"\""))));
        }
        Expr::Field { name, op, value, at } => field(name, *op, value, *at, out)?,
    }
    Ok(())
}

/// Length of the response in the original pairwise judgment's `side` (`chosen` or `rejected`).
fn side_len(side: &str) -> String {
    format!(
        "(SELECT length(r.text) FROM responses r JOIN judgments j ON j.sample_id = r.sample_id
          WHERE r.sample_id = s.id AND j.source = 'original' AND j.kind IN ('pairwise', 'correction', 'ranking')
            AND r.position = j.{side} ORDER BY j.id LIMIT 1)"
    )
}

fn field(name: &str, op: Op, value: &str, at: usize, out: &mut Compiled) -> Result<(), QueryError> {
    let text_only = |what: &str| -> Result<(), QueryError> {
        if matches!(op, Op::Eq | Op::Ne) {
            Ok(())
        } else {
            Err(QueryError::new(format!("`{what}` compares with `:` or `!=`, not `{}`", op.sql()), at))
        }
    };
    let number = || -> Result<i64, QueryError> {
        value.parse::<i64>().map_err(|_| QueryError::new(format!("`{name}` needs a whole number, found `{value}`"), at))
    };
    let negate = op == Op::Ne;
    let (sql, param): (String, SqlValue) = match name {
        "dataset" | "preset" => {
            text_only(name)?;
            let column = if name == "dataset" { "name" } else { "preset" };
            (format!("s.dataset_id IN (SELECT id FROM datasets WHERE {column} = ?)"), SqlValue::Text(value.to_owned()))
        }
        "modality" => {
            text_only(name)?;
            ("s.modality = ?".into(), SqlValue::Text(value.to_owned()))
        }
        "judgment" => {
            text_only(name)?;
            if crate::model::JudgmentKind::parse(value).is_none() {
                let kinds: Vec<&str> = crate::model::JudgmentKind::ALL.iter().map(|k| k.as_str()).collect();
                return Err(QueryError::new(format!("unknown judgment `{value}` (one of {})", kinds.join(", ")), at));
            }
            (
                "EXISTS (SELECT 1 FROM judgments j WHERE j.sample_id = s.id AND j.source = 'original' AND j.kind = ?)"
                    .into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "label" => {
            text_only(name)?;
            (
                "EXISTS (SELECT 1 FROM judgments j WHERE j.sample_id = s.id AND j.label = ?)".into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "model" => {
            text_only(name)?;
            (
                "EXISTS (SELECT 1 FROM responses r WHERE r.sample_id = s.id AND instr(lower(r.model), lower(?)) > 0)"
                    .into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "media" => {
            text_only(name)?;
            if crate::model::ProbeStatus::parse(value).is_none() {
                return Err(QueryError::new(
                    format!("unknown media status `{value}` (ok, failed, unresolved, not_fetched, pending)"),
                    at,
                ));
            }
            (
                "EXISTS (SELECT 1 FROM media m WHERE m.sample_id = s.id AND m.probe_status = ?)".into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "is" => {
            text_only(name)?;
            let column = match value {
                "flagged" => "flag",
                "edited" => "judgment_id",
                "noted" => "note",
                _ => return Err(QueryError::new(format!("`is` is flagged, edited or noted, not `{value}`"), at)),
            };
            out.condition.push_str(if negate { "NOT " } else { "" });
            let _ = write!(
                out.condition,
                "EXISTS (SELECT 1 FROM curation c WHERE c.sample_id = s.id AND c.{column} IS NOT NULL)"
            );
            return Ok(());
        }
        "flag" => {
            text_only(name)?;
            (
                "EXISTS (SELECT 1 FROM curation c WHERE c.sample_id = s.id AND c.flag = ?)".into(),
                SqlValue::Text(value.to_owned()),
            )
        }
        "key" => {
            text_only(name)?;
            ("s.source_key = ?".into(), SqlValue::Text(value.to_owned()))
        }
        "longer" => {
            text_only(name)?;
            let (a, b) = match value {
                "chosen" => ("chosen", "rejected"),
                "rejected" => ("rejected", "chosen"),
                _ => return Err(QueryError::new(format!("`longer` is `chosen` or `rejected`, not `{value}`"), at)),
            };
            out.condition.push_str(if negate { "NOT " } else { "" });
            let _ = write!(out.condition, "coalesce({} > {}, 0)", side_len(a), side_len(b));
            return Ok(());
        }
        "id" | "row" | "responses" | "len_prompt" | "len_a" | "len_b" | "len_chosen" | "len_rejected" => {
            let lhs = match name {
                "id" => "s.id".to_owned(),
                "row" => "s.row_index".to_owned(),
                "responses" => "(SELECT count(*) FROM responses r WHERE r.sample_id = s.id)".to_owned(),
                "len_prompt" => "length(s.prompt)".to_owned(),
                "len_a" | "len_b" => format!(
                    "(SELECT length(r.text) FROM responses r WHERE r.sample_id = s.id AND r.position = {})",
                    u8::from(name == "len_b")
                ),
                "len_chosen" => side_len("chosen"),
                _ => side_len("rejected"),
            };
            let _ = write!(out.condition, "coalesce({lhs} {} ?, 0)", op.sql());
            out.params.push(SqlValue::Integer(number()?));
            return Ok(());
        }
        other => {
            return Err(QueryError::new(format!("unknown field `{other}` (known: {})", FIELDS.join(", ")), at));
        }
    };
    if negate {
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
    fn fields_operators_and_quoted_values() {
        let e = parse(r#"model:"gpt 4" len_a>=500"#).expect("parses").expect("non-empty");
        let Expr::And(a, b) = e else { panic!("and") };
        assert_eq!(*a, Expr::Field { name: "model".into(), op: Op::Eq, value: "gpt 4".into(), at: 0 });
        assert_eq!(*b, Expr::Field { name: "len_a".into(), op: Op::Ge, value: "500".into(), at: 14 });
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
    fn values_are_parameters_never_sql() {
        let c = compile("dataset:\"x'); DROP TABLE samples; --\" \"say \"\"hi\"\"\"").expect("compiles");
        assert!(!c.condition.contains("DROP"));
        assert_eq!(c.params[0], SqlValue::Text("x'); DROP TABLE samples; --".into()));
        assert_eq!(c.condition.matches('?').count(), c.params.len());
    }
}
