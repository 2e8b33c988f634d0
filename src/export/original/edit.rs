//! Edits of a source row that carry a curator's label: set a column, swap the answers two
//! fields hold (a string, a `{from, value}` message, the last assistant turn of a conversation,
//! a field inside a JSON string such as RLHF-V's `text`), swap two columns' values.

use crate::model::Value;

/// One change to a source row.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Set a top-level column.
    Set(String, Value),
    /// Set a top-level flag column, keeping its type (bool, or 0/1).
    SetFlag(String, bool),
    /// Swap the answer texts at two field paths (`chosen`, `text.chosen`, `conversations`, `chosen[2]`).
    Swap(String, String),
    /// Swap two top-level columns' values.
    SwapValues(String, String),
}

impl Edit {
    /// The top-level columns it touches.
    pub fn columns(&self) -> Vec<String> {
        match self {
            Edit::Set(c, _) | Edit::SetFlag(c, _) => vec![c.clone()],
            Edit::Swap(a, b) => vec![top(a), top(b)],
            Edit::SwapValues(a, b) => vec![a.clone(), b.clone()],
        }
    }
}

/// The top-level column of a field path.
fn top(path: &str) -> String {
    path.split(['.', '[']).next().unwrap_or(path).to_owned()
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Parses `completions[2].response` into steps; a whole path that is a key of `row` is one step.
fn steps(row: &crate::model::value::Map, path: &str) -> Vec<Step> {
    if row.contains_key(path) {
        return vec![Step::Key(path.to_owned())];
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push(Step::Key(name.to_owned()));
        }
        while let Some((index, after)) = rest.split_once(']') {
            if let Ok(i) = index.parse() {
                out.push(Step::Index(i));
            }
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    out
}

/// Applies the edits to a row; `Err` names an edit that does not fit the row.
pub fn apply(row: &mut Value, edits: &[Edit]) -> Result<(), String> {
    let Value::Map(map) = row else { return Err("the row is not an object".into()) };
    for edit in edits {
        match edit {
            Edit::Set(col, v) => {
                map.insert(col.clone(), v.clone());
            }
            Edit::SetFlag(col, on) => {
                let v = match map.get(col) {
                    Some(Value::Int(_)) => Value::Int(i64::from(*on)),
                    Some(Value::Str(_)) => Value::Str(if *on { "true" } else { "false" }.into()),
                    _ => Value::Bool(*on),
                };
                map.insert(col.clone(), v);
            }
            Edit::SwapValues(a, b) => {
                let va = map.get(a).cloned().unwrap_or_default();
                let vb = map.get(b).cloned().unwrap_or_default();
                map.insert(a.clone(), vb);
                map.insert(b.clone(), va);
            }
            Edit::Swap(a, b) => {
                let (sa, sb) = (steps(map, a), steps(map, b));
                let (ta, tb) = {
                    let whole = Value::Map(std::mem::take(map));
                    let texts = (read_text(&whole, &sa), read_text(&whole, &sb));
                    if let Value::Map(m) = whole {
                        *map = m;
                    }
                    texts
                };
                let ta = ta.ok_or_else(|| format!("{a}: no answer text there"))?;
                let tb = tb.ok_or_else(|| format!("{b}: no answer text there"))?;
                write_text(map, &sa, tb)?;
                write_text(map, &sb, ta)?;
            }
        }
    }
    Ok(())
}

fn read_text(v: &Value, steps: &[Step]) -> Option<String> {
    let Some((step, rest)) = steps.split_first() else { return slot_text(v) };
    if let Value::Str(text) = v {
        let parsed = Value::parse_json(text).ok()?;
        return read_text(&parsed, steps);
    }
    let next = match (step, v) {
        (Step::Key(k), Value::Map(m)) => m.get(k),
        (Step::Index(i), Value::List(l)) => l.get(*i),
        _ => None,
    }?;
    read_text(next, rest)
}

fn write_text(map: &mut crate::model::value::Map, steps: &[Step], text: String) -> Result<(), String> {
    let mut row = Value::Map(std::mem::take(map));
    let mut text = Some(text);
    let result = visit(&mut row, steps, &mut |slot| {
        if let Some(t) = text.take() {
            set_slot_text(slot, t);
        }
        true
    });
    if let Value::Map(m) = row {
        *map = m;
    }
    result.map(|_| ())
}

/// Walks `steps` from `v` and calls `f` on the value there; a string holding JSON on the way is
/// parsed, and written back (compact) when `f` says it changed something.
fn visit(v: &mut Value, steps: &[Step], f: &mut dyn FnMut(&mut Value) -> bool) -> Result<bool, String> {
    let Some((step, rest)) = steps.split_first() else { return Ok(f(v)) };
    if let Value::Str(text) = v {
        let mut parsed = Value::parse_json(text.as_bytes()).map_err(|e| format!("not JSON inside the string: {e}"))?;
        let changed = visit(&mut parsed, steps, f)?;
        if changed {
            *text = serde_json::to_string(&parsed).map_err(|e| e.to_string())?;
        }
        return Ok(changed);
    }
    let next = match (step, v) {
        (Step::Key(k), Value::Map(m)) => m.get_mut(k),
        (Step::Index(i), Value::List(l)) => l.get_mut(*i),
        _ => None,
    };
    match next {
        Some(n) => visit(n, rest, f),
        None => Err(format!("{step:?} not found")),
    }
}

/// The answer text of a value: a string, a message's `value`/`content`/`text`, or the last
/// assistant message of a conversation.
fn slot_text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Map(m) => ["value", "content", "text", "response"].iter().find_map(|k| m.get(*k)).and_then(slot_text),
        Value::List(items) => answer_index(items).and_then(|i| slot_text(&items[i])).or_else(|| parts_text(items)),
        _ => None,
    }
}

fn set_slot_text(v: &mut Value, text: String) {
    match v {
        Value::Str(s) => *s = text,
        Value::Map(m) => {
            if let Some(k) = ["value", "content", "text", "response"].iter().find(|k| m.contains_key(**k))
                && let Some(inner) = m.get_mut(*k)
            {
                set_slot_text(inner, text);
            }
        }
        Value::List(items) => {
            if let Some(i) = answer_index(items) {
                set_slot_text(&mut items[i], text);
            } else if let Some(part) = items.iter_mut().find(|p| is_text_part(p)) {
                set_slot_text(part, text);
            }
        }
        _ => {}
    }
}

/// The last assistant message of a list of messages.
fn answer_index(items: &[Value]) -> Option<usize> {
    items.iter().rposition(|m| {
        m.as_map()
            .and_then(|m| m.get("role").or_else(|| m.get("from")))
            .and_then(Value::as_str)
            .is_some_and(|r| matches!(r, "assistant" | "gpt" | "ASSISTANT" | "Assistant" | "bot" | "model"))
    })
}

fn is_text_part(v: &Value) -> bool {
    v.as_map().is_some_and(|m| m.get("type").and_then(Value::as_str) == Some("text"))
}

/// The text of a list of typed content parts.
fn parts_text(items: &[Value]) -> Option<String> {
    items.iter().find(|p| is_text_part(p)).and_then(slot_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(json: &str) -> Value {
        serde_json::from_str(json).expect("json")
    }

    fn applied(json: &str, edits: &[Edit]) -> String {
        let mut r = row(json);
        apply(&mut r, edits).expect("applies");
        serde_json::to_string(&r).expect("json")
    }

    #[test]
    fn swapping_plain_answers_and_their_companions() {
        let out = applied(
            r#"{"prompt":"q","chosen":"a","rejected":"b","chosen_reason":"ra","rejected_reason":"rb"}"#,
            &[
                Edit::Swap("chosen".into(), "rejected".into()),
                Edit::SwapValues("chosen_reason".into(), "rejected_reason".into()),
            ],
        );
        assert_eq!(out, r#"{"prompt":"q","chosen":"b","rejected":"a","chosen_reason":"rb","rejected_reason":"ra"}"#);
    }

    #[test]
    fn swapping_inside_a_json_string_and_conversations() {
        let out = applied(
            r#"{"text":"{\"question\": \"q\", \"chosen\": \"a\", \"rejected\": \"b\"}"}"#,
            &[Edit::Swap("text.chosen".into(), "text.rejected".into())],
        );
        assert_eq!(out, r#"{"text":"{\"question\":\"q\",\"chosen\":\"b\",\"rejected\":\"a\"}"}"#);
        let out = applied(
            r#"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}],"rejected":"b"}"#,
            &[Edit::Swap("conversations".into(), "rejected".into())],
        );
        assert_eq!(
            out,
            r#"{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"b"}],"rejected":"a"}"#
        );
        let out = applied(
            r#"{"chosen":["a0","a1"],"rejected":["b0","b1"]}"#,
            &[Edit::Swap("chosen[1]".into(), "rejected[1]".into())],
        );
        assert_eq!(out, r#"{"chosen":["a0","b1"],"rejected":["b0","a1"]}"#);
    }

    #[test]
    fn flags_keep_their_type() {
        assert_eq!(applied(r#"{"is_tie":0}"#, &[Edit::SetFlag("is_tie".into(), true)]), r#"{"is_tie":1}"#);
        assert_eq!(applied(r#"{"is_tie":false}"#, &[Edit::SetFlag("is_tie".into(), true)]), r#"{"is_tie":true}"#);
    }
}
