//! `--command CMD`: a process that scores, spoken to in JSON lines over its stdin and stdout.
//!
//! The process is started once (`sh -c CMD`, its stderr passed through). Verdict writes a hello
//! line, `{"verdict": "hello", "protocol": 1}`, and the process answers one JSON object, which may
//! carry a `version` (a string or a number) that becomes part of the scorer's identity. Then per
//! candidate one request line, `{"id": 7, "prompt": "...", "response": "...", "media": [{"mime":
//! "image/png", "data": "<base64>"}]}` (`media` only where the candidate has some: whole image,
//! video and audio files, a frame folder as its sampled frames in JPEG), a whole batch written
//! before the answers are read; the process answers each with one line, `{"id": 7,
//! "score": 0.83}` (and an optional `detail`, kept beside the score), in any order. An answer
//! that is not JSON, lacks its id, names an id not asked (or answered already), or whose score is
//! not a finite number, no answer within the timeout, or the process's end, stops the job with an
//! error naming the output line; what the job wrote before stays.

use super::excerpt;
use super::identity_hash;
use super::media::{Converter, Media, data_url, frames_setting};
use crate::score::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What the reader thread saw on the process's stdout.
enum Out {
    Line(String),
    End(Option<String>),
}

/// A scoring process.
pub struct CommandScorer {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<Out>,
    /// Output lines read so far (the next one is `line + 1`).
    line: u64,
    next_id: u64,
    timeout: Duration,
    identity: ScorerIdentity,
    device: String,
    /// Set once the process failed: every later call fails too.
    broken: Option<String>,
}

impl CommandScorer {
    /// Starts `command` under `sh -c`, greets it and reads its version (waiting at most
    /// `timeout`, as for every answer).
    pub fn start(command: &str, name: &str, timeout: Duration) -> Result<Self> {
        super::check_name(name)?;
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| ScoreError::NotFound(format!("--command {command}: cannot start sh: {e}")))?;
        let stdout = child.stdout.take().ok_or_else(|| ScoreError::Inference("no stdout pipe".into()))?;
        let (tx, lines) = std::sync::mpsc::channel();
        let reader = std::thread::Builder::new().name("score-command-out".into()).spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) => break tx.send(Out::End(None)),
                    Ok(_) => {
                        if tx.send(Out::Line(line)).is_err() {
                            break Ok(());
                        }
                    }
                    Err(e) => break tx.send(Out::End(Some(e.to_string()))),
                }
            }
        });
        if let Err(e) = reader {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ScoreError::Inference(format!("--command {command}: cannot start a thread: {e}")));
        }
        let stdin = child.stdin.take();
        let mut scorer = Self {
            command: command.to_owned(),
            child,
            stdin,
            lines,
            line: 0,
            next_id: 1,
            timeout,
            identity: ScorerIdentity {
                name: name.to_owned(),
                kind: "command".into(),
                architecture: "command".into(),
                weights: String::new(),
                settings: serde_json::Value::Null,
            },
            device: "command".into(),
            broken: None,
        };
        let version = scorer.hello()?;
        scorer.identity.weights = identity_hash(&["command", command, &version]);
        scorer.identity.settings = serde_json::json!({
            "command": command,
            "version": version,
            "protocol": 1,
            "frame_folders": frames_setting(),
        });
        Ok(scorer)
    }

    /// The request line for one candidate and its media (without the line break).
    pub fn request(id: u64, candidate: &Candidate<'_>, media: &[Media]) -> String {
        let mut r = serde_json::json!({"id": id, "prompt": candidate.prompt, "response": candidate.text});
        if !media.is_empty() {
            r["media"] = media
                .iter()
                .map(|(mime, bytes)| {
                    let url = data_url(mime, bytes);
                    let data = url.split_once(',').map_or("", |(_, d)| d).to_owned();
                    serde_json::json!({"mime": mime, "data": data})
                })
                .collect();
        }
        r.to_string()
    }

    fn hello(&mut self) -> Result<String> {
        self.send(&["{\"verdict\":\"hello\",\"protocol\":1}".to_owned()])?;
        let (line, text) = self.read("the answer to the hello line")?;
        let value: serde_json::Value = serde_json::from_str(text.trim()).map_err(|e| {
            self.fail(&format!(
                "output line {line} (the answer to hello): not JSON ({e}): {}",
                excerpt(text.trim(), 120)
            ))
        })?;
        let version = match value.get("version") {
            None | Some(serde_json::Value::Null) => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(self.fail(&format!("output line {line}: `version` is {other}, not a string or a number")));
            }
        };
        if !value.is_object() {
            return Err(self.fail(&format!("output line {line} (the answer to hello): {value} is not a JSON object")));
        }
        Ok(version)
    }

    /// An error naming the command; the scorer stays broken.
    fn fail(&mut self, message: &str) -> ScoreError {
        let message = format!("--command `{}`: {message}; the scores written before stay", self.command);
        self.broken = Some(message.clone());
        ScoreError::Inference(message)
    }

    fn send(&mut self, lines: &[String]) -> Result<()> {
        let mut text = lines.join("\n");
        text.push('\n');
        let written = match self.stdin.as_mut() {
            Some(stdin) => stdin.write_all(text.as_bytes()).and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("stdin is closed")),
        };
        if let Err(e) = written {
            let status = self.ended();
            return Err(self.fail(&format!("cannot write requests: {e}{status}")));
        }
        Ok(())
    }

    /// The process's exit status, if it ended within a moment, in words.
    fn ended(&mut self) -> String {
        let until = Instant::now() + Duration::from_millis(500);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return format!(" (the process ended: {status})"),
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(10)),
                _ => return String::new(),
            }
        }
    }

    /// The next output line and its number (blank lines are counted and skipped).
    fn read(&mut self, waiting_for: &str) -> Result<(u64, String)> {
        loop {
            match self.lines.recv_timeout(self.timeout) {
                Ok(Out::Line(text)) => {
                    self.line += 1;
                    if !text.trim().is_empty() {
                        return Ok((self.line, text));
                    }
                }
                Ok(Out::End(error)) => return Err(self.closed(waiting_for, error)),
                Err(RecvTimeoutError::Disconnected) => return Err(self.closed(waiting_for, None)),
                Err(RecvTimeoutError::Timeout) => {
                    let (after, secs) = (self.line, self.timeout.as_secs_f64());
                    return Err(self.fail(&format!(
                        "no answer within {secs} s while waiting for {waiting_for} (after output line {after})"
                    )));
                }
            }
        }
    }

    /// The error for output that ended (the process died or closed its stdout).
    fn closed(&mut self, waiting_for: &str, error: Option<String>) -> ScoreError {
        let status = self.ended();
        let after = self.line;
        let error = error.map_or_else(String::new, |e| format!(" ({e})"));
        self.fail(&format!("its output ended{error} after line {after} while waiting for {waiting_for}{status}"))
    }
}

impl Scorer for CommandScorer {
    fn identity(&self) -> &ScorerIdentity {
        &self.identity
    }

    fn device(&self) -> &str {
        &self.device
    }

    fn reads_media(&self) -> bool {
        true
    }

    fn media_optional(&self) -> bool {
        true
    }

    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        if let Some(message) = &self.broken {
            return Err(ScoreError::Inference(message.clone()));
        }
        let first = self.next_id;
        self.next_id += batch.len() as u64;
        // A candidate whose media cannot be read is not asked (its id is skipped): it is left
        // unscored with the reason.
        let mut converter = Converter::new(false);
        let mut out: Vec<Option<Scored>> = vec![None; batch.len()];
        let mut requests: Vec<String> = Vec::with_capacity(batch.len());
        for (i, c) in batch.iter().enumerate() {
            match converter.candidate(c) {
                Ok(media) => requests.push(Self::request(first + i as u64, c, &media)),
                Err(why) => out[i] = Some(Scored::media_failed(&why)),
            }
        }
        self.send(&requests)?;
        for answered in 0..requests.len() {
            let waiting = format!(
                "the answer to request {} ({} of {} answered)",
                first + answered as u64,
                answered,
                requests.len()
            );
            let (line, text) = self.read(&waiting)?;
            let (slot, scored) = self.answer(line, &text, first, &out)?;
            out[slot] = Some(scored);
        }
        Ok(out.into_iter().flatten().collect())
    }
}

impl CommandScorer {
    /// Reads answer `text` (output line `line`) to one of the requests from id `first` on.
    fn answer(&mut self, line: u64, text: &str, first: u64, out: &[Option<Scored>]) -> Result<(usize, Scored)> {
        let shown = excerpt(text.trim(), 120);
        let value: serde_json::Value = match serde_json::from_str(text.trim()) {
            Ok(v) => v,
            Err(_) if ["NaN", "Infinity"].iter().any(|w| text.contains(w)) => {
                return Err(self.fail(&format!("output line {line}: the score is not a finite number: {shown}")));
            }
            Err(e) => return Err(self.fail(&format!("output line {line}: not JSON ({e}): {shown}"))),
        };
        let Some(id) = value.get("id") else {
            return Err(self.fail(&format!("output line {line}: no `id`: {shown}")));
        };
        let slot = id.as_u64().and_then(|n| n.checked_sub(first)).map(|k| k as usize);
        let Some(slot) = slot.filter(|k| *k < out.len() && out[*k].is_none()) else {
            return Err(self.fail(&format!(
                "output line {line}: id {id} was not asked in this batch (ids {first}..{}) or is answered already",
                first + out.len() as u64 - 1
            )));
        };
        let score = match value.get("score") {
            Some(serde_json::Value::Number(n)) => n.as_f64().filter(|s| s.is_finite()),
            Some(other) => {
                return Err(self.fail(&format!("output line {line}: `score` is {other}, not a number")));
            }
            None => return Err(self.fail(&format!("output line {line}: no `score`: {shown}"))),
        };
        let Some(score) = score.filter(|s| (*s as f32).is_finite()) else {
            return Err(self.fail(&format!("output line {line}: the score is not a finite number: {shown}")));
        };
        let detail = value.get("detail").filter(|d| !d.is_null()).cloned();
        Ok((slot, Scored { score: score as f32, detail, embeddings: Vec::new() }))
    }
}

impl Drop for CommandScorer {
    /// Closes the process's stdin (its end of input) and gives it a moment to end, then kills it.
    fn drop(&mut self) {
        drop(self.stdin.take());
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok(Some(_)) | Err(_) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_carries_the_media_as_base64_only_when_there_are_some() {
        let c = Candidate::new("p", "r");
        let line: serde_json::Value =
            serde_json::from_str(&CommandScorer::request(3, &c, &[("image/png", std::sync::Arc::from(&b"ab"[..]))]))
                .expect("JSON");
        assert_eq!(
            line,
            serde_json::json!({"id": 3, "prompt": "p", "response": "r", "media": [{"mime": "image/png", "data": "YWI="}]})
        );
        let bare = CommandScorer::request(4, &c, &[]);
        assert!(!bare.contains("media") && !bare.contains('\n'), "{bare}");
    }
}
