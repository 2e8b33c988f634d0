//! The scoring models' query fields (`verdict score`; the tables of migration 10):
//!
//! | field | meaning |
//! |---|---|
//! | `margin>X`, `margin:NAME<X` | the scorer's margin for the pair the label in force names: score(chosen) - score(rejected) (any comparison; a decimal number) |
//! | `agree:yes`, `agree:no`, `agree:NAME=no` | the scorer agrees with the label in force (margin above 0) / disagrees (below 0) |
//! | `score:NAME>X` | some candidate's score by the scorer NAME compares so (`score:minilm<0.2`: an answer off the prompt) |
//!
//! Without a NAME, `margin` and `agree` ask the scorer that ran last. A sample without a margin
//! (not scored, or its label names no pair: a tie, both bad, ratings) matches neither side of a
//! comparison, and its negation (`-agree:yes`) matches it. Margins live in `score_margins`, one
//! row per scorer and sample, which the store rewrites whenever the label in force changes.

use super::{Compiled, Op, QueryError};
use rusqlite::types::Value as SqlValue;
use std::fmt::Write as _;

/// The scorer that ran last: `margin` and `agree` without a name.
const LATEST: &str = "(SELECT id FROM scorers ORDER BY used_at DESC, id DESC LIMIT 1)";

/// Comparison operators inside a value (`NAME>0.5`), longest first.
const OPS: [(&str, Op); 7] =
    [(">=", Op::Ge), ("<=", Op::Le), ("!=", Op::Ne), (">", Op::Gt), ("<", Op::Lt), ("=", Op::Eq), (":", Op::Eq)];

/// `NAME op rest` when `value` holds an operator after a name.
fn named(value: &str) -> Option<(&str, Op, &str, usize)> {
    let (i, sym, op) = OPS
        .iter()
        .filter_map(|(s, op)| value.find(s).map(|i| (i, *s, *op)))
        .min_by_key(|(i, s, _)| (*i, usize::MAX - s.len()))?;
    (i > 0).then(|| (&value[..i], op, &value[i + sym.len()..], i + sym.len()))
}

fn number(field: &str, text: &str, at: usize) -> Result<f64, QueryError> {
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| QueryError::new(format!("`{field}` needs a number, found `{text}`"), at))
}

/// Emits `margin`, `agree` or `score`; `value_at` and `op_at` are the byte offsets of the value
/// and the operator, for errors.
pub(super) fn field(
    name: &str,
    op: Op,
    value: &str,
    value_at: usize,
    op_at: usize,
    out: &mut Compiled,
) -> Result<(), QueryError> {
    let scorer = |out: &mut Compiled, scorer: Option<&str>| match scorer {
        Some(n) => {
            out.params.push(SqlValue::Text(n.to_owned()));
            "(SELECT id FROM scorers WHERE name = ?)".to_owned()
        }
        None => LATEST.to_owned(),
    };
    match name {
        "margin" => {
            let (who, op, text, text_at) = match named(value) {
                Some((n, inner, rest, off)) if op == Op::Eq => (Some(n), inner, rest, value_at + off),
                _ => (None, op, value, value_at),
            };
            let n = number("margin", text, text_at)?;
            let id = scorer(out, who);
            let _ = write!(
                out.condition,
                "st.sample_id IN (SELECT sample_id FROM score_margins WHERE scorer_id = {id} AND margin {} ?)",
                op.sql()
            );
            out.params.push(SqlValue::Real(n));
        }
        "agree" => {
            if !matches!(op, Op::Eq | Op::Ne) {
                return Err(QueryError::new(format!("`agree` compares with `:` or `!=`, not `{}`", op.sql()), op_at));
            }
            let (who, word, word_at) = match named(value) {
                Some((n, Op::Eq, rest, off)) => (Some(n), rest, value_at + off),
                _ => (None, value, value_at),
            };
            let sign = match word.to_ascii_lowercase().as_str() {
                "yes" => ">",
                "no" => "<",
                _ => return Err(QueryError::new(format!("`agree` is yes or no, not `{word}`"), word_at)),
            };
            if op == Op::Ne {
                out.condition.push_str("NOT ");
            }
            let id = scorer(out, who);
            let _ = write!(
                out.condition,
                "st.sample_id IN (SELECT sample_id FROM score_margins WHERE scorer_id = {id} AND margin {sign} 0)"
            );
        }
        _ => {
            let Some((who, inner, text, off)) = named(value).filter(|_| op == Op::Eq) else {
                return Err(QueryError::new(
                    "`score` takes a scorer's name and a comparison: score:NAME>0.5 (`verdict scorers` lists the names)",
                    value_at,
                ));
            };
            let n = number("score", text, value_at + off)?;
            let _ = write!(
                out.condition,
                "st.sample_id IN (SELECT j.sample_id FROM judgments j JOIN ratings r ON r.judgment_id = j.id
                 WHERE j.source = 'model' AND j.author = ? AND r.value {} ?)",
                inner.sql()
            );
            out.params.push(SqlValue::Text(who.to_owned()));
            out.params.push(SqlValue::Real(n));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::compile;
    use rusqlite::types::Value as SqlValue;

    #[test]
    fn margins_compare_with_the_latest_scorer_or_a_named_one() {
        let c = compile("margin<-0.05").expect("q");
        assert!(c.condition.contains("ORDER BY used_at DESC") && c.condition.contains("margin < ?"), "{}", c.condition);
        assert_eq!(c.params, [SqlValue::Real(-0.05)]);
        let c = compile("margin:minilm>=0.1").expect("q");
        assert!(c.condition.contains("WHERE name = ?") && c.condition.contains("margin >= ?"), "{}", c.condition);
        assert_eq!(c.params, [SqlValue::Text("minilm".into()), SqlValue::Real(0.1)]);
        assert_eq!(c.condition.matches('?').count(), c.params.len());
    }

    #[test]
    fn agreement_and_scores() {
        assert!(compile("agree:no").expect("q").condition.contains("margin < 0"));
        let c = compile("agree!=yes").expect("q");
        assert!(
            c.condition.starts_with("NOT st.sample_id IN") && c.condition.contains("margin > 0"),
            "{}",
            c.condition
        );
        let c = compile("agree:all-MiniLM-L6-v2=yes").expect("q");
        assert_eq!(c.params, [SqlValue::Text("all-MiniLM-L6-v2".into())]);
        let c = compile("score:minilm<0.2").expect("q");
        assert!(c.condition.contains("j.author = ? AND r.value < ?"), "{}", c.condition);
        assert_eq!(c.params, [SqlValue::Text("minilm".into()), SqlValue::Real(0.2)]);
    }

    #[test]
    fn mistakes_are_named_where_they_are() {
        let e = compile("margin>lots").expect_err("number");
        assert!(e.message.contains("needs a number") && e.at == 7, "{e}");
        let e = compile("agree:maybe").expect_err("word");
        assert!(e.message.contains("yes or no") && e.at == 6, "{e}");
        let e = compile("score>0.5").expect_err("name");
        assert!(e.message.contains("score:NAME>0.5"), "{e}");
        let e = compile("score:minilm>x").expect_err("number");
        assert_eq!(e.at, 13);
        assert!(compile("agree>yes").expect_err("op").message.contains("compares with"));
    }
}
