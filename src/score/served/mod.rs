//! The served scorer: models too large for a desktop, scored where they are served.
//!
//! Three ways in, each a [`Scorer`](super::Scorer) the job drives like a local model:
//! - `command` ([`CommandScorer`]): a process (`sh -c CMD`) that reads one JSON line per candidate
//!   on stdin and writes one JSON line with its score back (the protocol is in README "Scoring").
//! - `pooling` ([`PoolingScorer`]): a reward model behind vLLM's pooling API (`POST /pooling`, one
//!   chat per candidate, a scalar back).
//! - `judge` ([`ChatJudge`]): a chat model behind an OpenAI-compatible `/v1/chat/completions`,
//!   asked per pair of a sample's candidates which answer is better, in both orders; a
//!   candidate's score is the share of its comparisons it won.
//!
//! The HTTP scorers send their requests from a few threads at once (`--concurrency`), retry a
//! server error, a timeout or a failed connection a limited number of times with backoff
//! (`http`), and stop the job with an error naming the request and what was wrong when an answer
//! is nonsense; the job has written what came before. Media go to a served model as data URLs
//! (`media`): the request builders take a candidate's media as an argument.

mod audio;
mod command;
mod http;
mod judge;
pub mod media;
mod pooling;

pub use command::CommandScorer;
pub use judge::{ChatJudge, parse_verdict};
pub use pooling::PoolingScorer;

use super::{Result, ScoreError, Scorer};
use std::time::Duration;

/// Which API an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// vLLM's pooling API, a reward model: a scalar per candidate.
    Pooling,
    /// `OpenAI` chat completions, a chat model judging pairs.
    Chat,
}

impl Api {
    /// `pooling` or `chat`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pooling" => Some(Self::Pooling),
            "chat" => Some(Self::Chat),
            _ => None,
        }
    }
}

/// How to reach a served model.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointOptions {
    /// The server's base URL (`http://host:8000`, or with `/v1`).
    pub endpoint: String,
    /// The model's name on the server (`model` of every request).
    pub model: String,
    /// Which API it speaks.
    pub api: Api,
    /// The scorer's name (default: the model's last path segment).
    pub name: Option<String>,
    /// The API key (sent as `Authorization: Bearer`; never printed).
    pub api_key: Option<String>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Tries after the first, for a 5xx, a timeout or a failed connection.
    pub retries: u32,
    /// How long one request may take.
    pub timeout: Duration,
    /// The first wait before a retry (doubled after each).
    pub backoff: Duration,
}

impl EndpointOptions {
    /// `model` at `endpoint` through `api`, everything else by default.
    pub fn new(endpoint: impl Into<String>, model: impl Into<String>, api: Api) -> Self {
        Self {
            endpoint: endpoint.into(),
            model: model.into(),
            api,
            name: None,
            api_key: None,
            concurrency: 8,
            retries: 3,
            timeout: Duration::from_mins(2),
            backoff: Duration::from_millis(500),
        }
    }
}

/// The served scorer `options` describe.
pub fn connect(options: &EndpointOptions) -> Result<Box<dyn Scorer>> {
    let name = match &options.name {
        Some(n) => n.clone(),
        None => options.model.rsplit('/').next().unwrap_or(&options.model).to_owned(),
    };
    check_name(&name)?;
    if options.model.trim().is_empty() {
        return Err(ScoreError::NotFound("--model: the served model's name is empty".into()));
    }
    let client = http::Client::new(options)?;
    Ok(match options.api {
        Api::Pooling => Box::new(PoolingScorer::new(client, name, options.model.clone())),
        Api::Chat => Box::new(ChatJudge::new(client, name, options.model.clone())),
    })
}

/// A scorer's name is one word, as `score:NAME` takes it.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        return Err(ScoreError::Identity(format!(
            "scorer name `{name}`: a name is one word (no spaces), as `score:NAME` takes it"
        )));
    }
    Ok(())
}

/// The hash that stands for a served model's weights: what names the model (the API and its
/// name on the server, a command line and its version), hex.
fn identity_hash(parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().to_hex().to_string()
}

/// The first `n` characters of a text, for an error message.
fn excerpt(text: &str, n: usize) -> String {
    let mut out: String = text.chars().take(n).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}
