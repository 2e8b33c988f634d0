//! The query language's parser: text to an expression tree, with errors that say where.
//!
//! ```text
//! query   := or
//! or      := and (("OR" | "or") and)*
//! and     := unary ([("AND" | "and")] unary)*          adjacent terms are ANDed
//! unary   := ("NOT" | "not" | "-") unary | "(" or ")" | term
//! term    := FIELD (":" | "=" | ">" | "<" | ">=" | "<=" | "!=") VALUE  |  WORD  |  "quoted phrase"
//! ```
//!
//! The operator words are all upper or all lower case; quoted (`"or"`) they are words to search.
//! Positions are byte offsets into the query; [`QueryError`]'s message counts characters.

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `:` or `=`
    Eq,
    /// `!=`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl Op {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
        }
    }
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both sides hold.
    And(Box<Expr>, Box<Expr>),
    /// Either side holds.
    Or(Box<Expr>, Box<Expr>),
    /// The inner expression does not hold.
    Not(Box<Expr>),
    /// `field op value`, with the term's and the value's positions for error messages.
    Field {
        /// The field name, lowercased.
        name: String,
        /// The operator.
        op: Op,
        /// The value as typed (quotes removed).
        value: String,
        /// Byte offset of the term (its field name) in the query.
        at: usize,
        /// Byte offset of the value as typed (an opening quote included), just after the
        /// operator; where a missing value would go.
        value_at: usize,
    },
    /// Free text searched in prompts and responses (a word, or a quoted phrase).
    Text(String),
}

/// A query that could not be parsed or compiled, with where in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {})", char_at + 1)]
pub struct QueryError {
    /// What is wrong.
    pub message: String,
    /// Byte offset in the query of the character at fault (the query's length when something
    /// is missing at its end).
    pub at: usize,
    /// The same place counted in characters (0-based): the message says `char_at + 1`.
    pub char_at: usize,
}

impl QueryError {
    /// An error at byte offset `at`; [`QueryError::in_query`] counts its characters.
    pub(crate) fn new(message: impl Into<String>, at: usize) -> Self {
        Self { message: message.into(), at, char_at: at }
    }

    /// Sets [`QueryError::char_at`] from `at` in `query`.
    pub(crate) fn in_query(mut self, query: &str) -> Self {
        let at = self.at.min(query.len());
        // `at` is always a character boundary; if it were not, count the characters before it.
        self.char_at = query.char_indices().take_while(|(i, _)| *i < at).count();
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Or,
    And,
    Not,
    /// A word (possibly `field:value`) or a quoted phrase; `quote` is where a quote opened in `text`.
    Word {
        text: String,
        quote: Option<usize>,
    },
}

fn tokenize(q: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let mut out = Vec::new();
    let mut chars = q.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push((Tok::Open, i));
            }
            ')' => {
                chars.next();
                out.push((Tok::Close, i));
            }
            '-' => {
                chars.next();
                out.push((Tok::Not, i));
            }
            _ => {
                // A word runs to whitespace or a parenthesis; quotes may appear inside (field:"a b").
                let mut text = String::new();
                let mut quote = None;
                while let Some(&(j, c)) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' {
                        break;
                    }
                    chars.next();
                    if c == '"' {
                        quote.get_or_insert(text.len());
                        let mut closed = false;
                        for (_, c) in chars.by_ref() {
                            if c == '"' {
                                closed = true;
                                break;
                            }
                            text.push(c);
                        }
                        if !closed {
                            return Err(QueryError::new("unclosed quote", j));
                        }
                    } else {
                        text.push(c);
                    }
                }
                let tok = match (text.as_str(), quote) {
                    ("OR" | "or", None) => Tok::Or,
                    ("AND" | "and", None) => Tok::And,
                    ("NOT" | "not", None) => Tok::Not,
                    _ => Tok::Word { text, quote },
                };
                out.push((tok, i));
            }
        }
    }
    Ok(out)
}

/// Parses a query. An empty query is `None` (matches everything).
pub fn parse(q: &str) -> Result<Option<Expr>, QueryError> {
    parse_bytes(q).map_err(|e| e.in_query(q))
}

/// [`parse`], with errors' positions in bytes only.
pub(crate) fn parse_bytes(q: &str) -> Result<Option<Expr>, QueryError> {
    let toks = tokenize(q)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser { toks, pos: 0, len: q.len() };
    let e = p.or()?;
    if let Some((_, at)) = p.toks.get(p.pos) {
        return Err(QueryError::new("unexpected `)`", *at));
    }
    Ok(Some(e))
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.len, |(_, a)| *a)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut e = self.unary()?;
        loop {
            match self.peek() {
                Some(Tok::And) => self.pos += 1,
                Some(Tok::Open | Tok::Not | Tok::Word { .. }) => {}
                _ => return Ok(e),
            }
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        let at = self.at();
        match self.toks.get(self.pos).cloned() {
            Some((Tok::Not, _)) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some((Tok::Open, open)) => {
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(QueryError::new("`(` is never closed", open));
                }
                self.pos += 1;
                Ok(e)
            }
            Some((Tok::Word { text, quote }, at)) => {
                self.pos += 1;
                term(&text, quote, at)
            }
            Some((Tok::Close, _)) => Err(QueryError::new("unexpected `)`", at)),
            Some((Tok::Or | Tok::And, _)) => Err(QueryError::new("OR/AND needs a term on both sides", at)),
            None => Err(QueryError::new("the query ends where a term was expected", at)),
        }
    }
}

/// `field op value` when an operator comes before any quote, else free text.
fn term(text: &str, quote: Option<usize>, at: usize) -> Result<Expr, QueryError> {
    let head = &text[..quote.unwrap_or(text.len())];
    {
        let ops: [(&str, Op); 7] = [
            (">=", Op::Ge),
            ("<=", Op::Le),
            ("!=", Op::Ne),
            (":", Op::Eq),
            ("=", Op::Eq),
            (">", Op::Gt),
            ("<", Op::Lt),
        ];
        let first = ops
            .iter()
            .filter_map(|(s, op)| head.find(s).map(|i| (i, *s, *op)))
            .min_by_key(|(i, s, _)| (*i, usize::MAX - s.len()));
        if let Some((i, sym, op)) = first
            && i > 0
            && text[..i].chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let value = &text[i + sym.len()..];
            // Up to the operator, `text` is the query as typed (no quote came before it).
            let value_at = at + i + sym.len();
            if value.is_empty() {
                return Err(QueryError::new(format!("`{}` needs a value after `{sym}`", &text[..i]), value_at));
            }
            return Ok(Expr::Field { name: text[..i].to_ascii_lowercase(), op, value: value.to_owned(), at, value_at });
        }
    }
    Ok(Expr::Text(text.to_owned()))
}
