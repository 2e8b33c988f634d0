//! A blocking HTTP client for the served scorers (ureq, rustls), with retries and backoff, and a
//! pool of threads that keeps a number of requests in flight.

use super::{EndpointOptions, excerpt};
use crate::score::{Result, ScoreError};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// One server: its root URL, the key and the retry policy.
pub(super) struct Client {
    agent: ureq::Agent,
    /// The base URL without a trailing `/` or `/v1`.
    root: String,
    /// `Authorization: Bearer` value; never printed.
    key: Option<String>,
    retries: u32,
    backoff: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

/// Why one try failed.
enum Failure {
    /// Worth another try: a 5xx, a timeout, a connection that failed or broke.
    Transient(String),
    /// Not: a 4xx, an answer that is not JSON.
    Fatal(String),
}

impl Client {
    pub(super) fn new(o: &EndpointOptions) -> Result<Self> {
        let trimmed = o.endpoint.trim().trim_end_matches('/');
        let root = trimmed.strip_suffix("/v1").unwrap_or(trimmed).to_owned();
        if !(root.starts_with("http://") || root.starts_with("https://")) {
            return Err(ScoreError::NotFound(format!(
                "--endpoint {}: give the server's URL, http://host:port or https://host",
                o.endpoint
            )));
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(o.timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        Ok(Self {
            agent,
            root,
            key: o.api_key.clone().filter(|k| !k.is_empty()),
            retries: o.retries,
            backoff: o.backoff,
            concurrency: o.concurrency.max(1),
        })
    }

    /// Tries after the first for a failed request (and, for a judge, an unreadable reply).
    pub(super) fn retries(&self) -> u32 {
        self.retries
    }

    /// The URL of `path` on the server (`/pooling`, `/v1/chat/completions`).
    pub(super) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.root)
    }

    /// POSTs `body` as JSON to `url` and reads the JSON answer; `what` names the request in an
    /// error. A 5xx, a timeout or a failed connection is tried again after a wait that doubles,
    /// `retries` times; then, or at once for anything else, the error says what went wrong.
    pub(super) fn post(&self, url: &str, body: &serde_json::Value, what: &str) -> Result<serde_json::Value> {
        let bytes = serde_json::to_vec(body).map_err(|e| ScoreError::Inference(e.to_string()))?;
        let mut wait = self.backoff;
        let mut tries = 0u32;
        loop {
            tries += 1;
            match self.try_post(url, &bytes) {
                Ok(v) => return Ok(v),
                Err(Failure::Transient(_)) if tries <= self.retries => {
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
                Err(Failure::Transient(why)) => {
                    let tries = if tries == 1 { "1 try".to_owned() } else { format!("{tries} tries") };
                    return Err(ScoreError::Inference(format!(
                        "POST {url} ({what}): {why}, {tries} in all; the scores written before stay"
                    )));
                }
                Err(Failure::Fatal(why)) => {
                    return Err(ScoreError::Inference(format!(
                        "POST {url} ({what}): {why}; the scores written before stay"
                    )));
                }
            }
        }
    }

    fn try_post(&self, url: &str, bytes: &[u8]) -> Result<serde_json::Value, Failure> {
        let mut request = self.agent.post(url).header("Content-Type", "application/json");
        if let Some(key) = &self.key {
            request = request.header("Authorization", &format!("Bearer {key}"));
        }
        let mut response = request.send(bytes).map_err(|e| match e {
            ureq::Error::Timeout(t) => Failure::Transient(format!("timed out ({t})")),
            ureq::Error::Io(e) => Failure::Transient(format!("connection failed: {e}")),
            ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
                Failure::Transient(format!("cannot connect: {e}"))
            }
            ureq::Error::Protocol(e) => Failure::Transient(format!("broken HTTP answer: {e}")),
            other => Failure::Fatal(other.to_string()),
        })?;
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().map_err(|e| match e {
            ureq::Error::Timeout(t) => Failure::Transient(format!("timed out reading the answer ({t})")),
            ureq::Error::Io(e) => Failure::Transient(format!("connection broke while reading the answer: {e}")),
            other => Failure::Fatal(format!("the answer cannot be read: {other}")),
        })?;
        if status >= 500 {
            return Err(Failure::Transient(format!("HTTP {status}: {}", excerpt(text.trim(), 200))));
        }
        if status >= 300 {
            return Err(Failure::Fatal(format!("HTTP {status}: {}", excerpt(text.trim(), 300))));
        }
        serde_json::from_str(&text)
            .map_err(|e| Failure::Fatal(format!("the answer is not JSON ({e}): {}", excerpt(text.trim(), 200))))
    }
}

/// `f` over `items` from `threads` threads at once, the results in order. After the first error
/// no new item starts; the error of the earliest failed item is returned.
pub(super) fn parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(usize, &T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<R>>>> = Mutex::new(items.iter().map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = f(i, item);
                    if r.is_err() {
                        stop.store(true, Ordering::SeqCst);
                    }
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(r);
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut out = Vec::with_capacity(items.len());
    for r in results {
        match r {
            Some(Ok(v)) => out.push(v),
            Some(Err(e)) => return Err(e),
            // Not started: an earlier item failed, and its error comes first or later in order.
            None => {}
        }
    }
    if out.len() == items.len() { Ok(out) } else { Err(ScoreError::Inference("a request failed".into())) }
}
