//! The served scorer end to end through `verdict score`, against a small HTTP server this test
//! starts on the loopback address (speaking enough of vLLM's pooling API and `OpenAI` chat
//! completions) and against `--command` scripts: scores come back through retries and timeouts;
//! an endpoint that keeps failing or answers nonsense stops the job with an error naming what was
//! wrong, the scores written before stay and a rerun resumes; a judge asks both orders and a
//! position-biased one flips every time; a job killed with SIGKILL resumes to the same scores.

mod common;
use common::{Workspace, count, import, stderr, stdout};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// The server.

/// One request the server saw.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    authorization: Option<String>,
    body: serde_json::Value,
}

/// What the server answers.
enum Reply {
    Json(serde_json::Value),
    Status(u16, &'static str),
    /// A 200 whose body is this text (malformed on purpose).
    Raw(&'static str),
    /// Waits this long first (past the client's timeout), then answers.
    Late(Duration, Box<Reply>),
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A server on 127.0.0.1 answering each request with `handler`, one thread per connection.
struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::clone(&seen);
        std::thread::Builder::new()
            .name("test-server".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let (handler, log) = (Arc::clone(&handler), Arc::clone(&log));
                    std::thread::Builder::new()
                        .name("test-server-conn".into())
                        .spawn(move || serve(stream, &*handler, &log))
                        .expect("a thread");
                }
            })
            .expect("a thread");
        Self { url, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let seen = Seen {
        path,
        authorization: headers.get("authorization").cloned(),
        body: serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
    };
    log.lock().expect("lock").push(seen.clone());
    let mut reply = handler(&seen);
    while let Reply::Late(wait, then) = reply {
        std::thread::sleep(wait);
        reply = *then;
    }
    let (status, text) = match reply {
        Reply::Json(v) => (200, v.to_string()),
        Reply::Status(code, text) => (code, text.to_owned()),
        Reply::Raw(text) => (200, text.to_owned()),
        Reply::Late(..) => unreachable!(),
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.flush();
}

// ---------------------------------------------------------------------------------------------
// The project and the scores it should get.

/// Pairs whose chosen answer repeats the question's words (its reward is higher), `n` of them.
fn pairs(ws: &Workspace, n: usize) -> PathBuf {
    let mut lines = String::new();
    for i in 0..n {
        let prompt = format!("what colour is ball number {i} on the table");
        let row = serde_json::json!({
            "id": format!("row-{i}"),
            "prompt": prompt,
            "chosen": format!("ball number {i} on the table is red"),
            "rejected": format!("I cannot tell ({i})"),
        });
        lines.push_str(&row.to_string());
        lines.push('\n');
    }
    let file = ws.write("pairs.jsonl", lines);
    let project = ws.project();
    import(&project, &file);
    project
}

/// The reward the test server (and the scripts) give: the prompt's words the answer repeats, a
/// tenth each, less a little for length.
fn reward(prompt: &str, answer: &str) -> f64 {
    let words: Vec<String> = prompt.split_whitespace().map(str::to_lowercase).collect();
    let shared = answer.split_whitespace().filter(|w| words.contains(&w.to_lowercase())).count();
    shared as f64 / 10.0 - answer.len() as f64 / 10_000.0
}

/// A pooling request's prompt and answer (the user's and the assistant's turn).
fn pooled(body: &serde_json::Value) -> (String, String) {
    let m = &body["messages"];
    (m[0]["content"].as_str().unwrap_or("").to_owned(), m[1]["content"].as_str().unwrap_or("").to_owned())
}

fn pooling_answer(body: &serde_json::Value) -> Reply {
    let (prompt, answer) = pooled(body);
    Reply::Json(serde_json::json!({
        "id": "pool-1", "object": "list", "model": body["model"],
        "data": [{"index": 0, "object": "pooling", "data": [reward(&prompt, &answer)]}],
    }))
}

/// A judge's request: the prompt and the answers shown as A and B.
fn judged(body: &serde_json::Value) -> (String, String, String) {
    let text = body["messages"][1]["content"].as_str().unwrap_or("").to_owned();
    let between = |from: &str, to: &str| -> String {
        let start = text.find(from).map_or(0, |i| i + from.len());
        let end = text[start..].find(to).map_or(text.len(), |i| start + i);
        text[start..end].trim().to_owned()
    };
    (between("[Request]\n", "[Answer A]"), between("[Answer A]\n", "[Answer B]"), between("[Answer B]\n", "Which"))
}

fn chat_answer(content: &str) -> Reply {
    Reply::Json(serde_json::json!({
        "id": "chat-1", "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }))
}

fn to_strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

/// `verdict` with `args`, `env` set and no proxy (the server is on the loopback address).
fn verdict_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_verdict"));
    c.args(args).envs(env.iter().copied());
    for var in ["ALL_PROXY", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "http_proxy", "https_proxy"] {
        c.env_remove(var);
    }
    c
}

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    verdict_command(args, env).output().expect("runs verdict")
}

fn ok(args: &[&str], env: &[(&str, &str)]) -> String {
    let o = run(args, env);
    assert!(o.status.success(), "verdict {args:?}: {}", stderr(&o));
    stdout(&o)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).expect("JSON")
}

/// Each model rating of `scorer`: (sample, position, value).
fn ratings(project: &Path, scorer: &str) -> Vec<(i64, i64, f64)> {
    let conn = rusqlite::Connection::open(project).expect("opens");
    let mut stmt = conn
        .prepare(
            "SELECT j.sample_id, r.response_pos, r.value FROM judgments j JOIN ratings r ON r.judgment_id = j.id
             WHERE j.source = 'model' AND j.author = ?1 ORDER BY j.sample_id, r.response_pos",
        )
        .expect("sql");
    stmt.query_map([scorer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).and_then(Iterator::collect).expect("rows")
}

/// The ratings the reward above gives the fixture of `n` pairs (chosen at position 0).
fn expected(project: &Path, n: usize) -> Vec<(i64, i64, f64)> {
    let conn = rusqlite::Connection::open(project).expect("opens");
    let mut stmt = conn
        .prepare("SELECT s.id, r.position, s.prompt, r.text FROM samples s JOIN responses r ON r.sample_id = s.id ORDER BY s.id, r.position")
        .expect("sql");
    let rows: Vec<(i64, i64, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .and_then(Iterator::collect)
        .expect("rows");
    assert_eq!(rows.len(), 2 * n);
    // Scores go through f32 on the way, as every scorer's do.
    rows.iter().map(|(id, pos, p, t)| (*id, *pos, f64::from(reward(p, t) as f32))).collect()
}

fn model_judgments(project: &Path) -> i64 {
    count(project, "SELECT count(*) FROM judgments WHERE source = 'model'")
}

// ---------------------------------------------------------------------------------------------
// vLLM pooling.

#[test]
fn a_reward_model_behind_pooling_scores_every_candidate_through_500s_and_timeouts() {
    let ws = Workspace::new();
    let project = pairs(&ws, 12);
    let tries: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let t = Arc::clone(&tries);
    let server = Server::start(move |seen| {
        let (_, answer) = pooled(&seen.body);
        let mut tries = t.lock().expect("lock");
        let n = tries.entry(answer.clone()).or_default();
        *n += 1;
        // Sample 3's chosen answer fails twice with a 500, sample 5's first try comes too late.
        if answer.contains("ball number 3 ") && *n <= 2 {
            return Reply::Status(500, "{\"error\": \"overloaded\"}");
        }
        if answer.contains("ball number 5 ") && *n == 1 {
            return Reply::Late(Duration::from_secs(3), Box::new(pooling_answer(&seen.body)));
        }
        pooling_answer(&seen.body)
    });
    let p = s(&project);
    let args = [
        "score",
        p,
        "--endpoint",
        &server.url,
        "--model",
        "org/tiny-rm",
        "--api",
        "pooling",
        "--concurrency",
        "4",
        "--timeout",
        "1",
        "--retries",
        "2",
        "--api-key-env",
        "TEST_SERVED_KEY",
        "--batch",
        "5",
        "--json",
    ];
    let o = run(&args, &[("TEST_SERVED_KEY", "sk-secret-123")]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = json(&stdout(&o));
    assert_eq!((report["judged"].as_u64(), report["computed"].as_u64()), (Some(12), Some(24)), "{report}");
    assert!(!stdout(&o).contains("sk-secret") && !stderr(&o).contains("sk-secret"), "the key is never printed");
    assert_eq!(ratings(&project, "tiny-rm"), expected(&project, 12));
    let seen = server.seen();
    assert!(seen.iter().all(|r| r.path == "/pooling" && r.body["model"] == "org/tiny-rm"));
    assert!(seen.iter().all(|r| r.authorization.as_deref() == Some("Bearer sk-secret-123")));
    assert_eq!(seen[0].body["messages"][0]["role"], "user");
    assert_eq!(seen[0].body["messages"][1]["role"], "assistant");
    // 24 candidates, two 500s and one late answer tried again.
    assert_eq!(seen.len(), 27);
    let scorer = json(&ok(&["scorers", p, "--json"], &[]));
    assert_eq!((scorer["name"].as_str(), scorer["kind"].as_str()), (Some("tiny-rm"), Some("reward")));
    assert_eq!(scorer["settings"]["model"], "org/tiny-rm");
    assert_eq!(scorer["model_path"].as_str(), Some(server.url.as_str()));
    assert_eq!((scorer["pairs"].as_u64(), scorer["agree"].as_u64()), (Some(12), Some(12)));
}

#[test]
fn an_endpoint_that_keeps_failing_stops_the_job_the_scores_before_stay_and_a_rerun_resumes() {
    let ws = Workspace::new();
    let project = pairs(&ws, 8);
    let healed = Arc::new(AtomicBool::new(false));
    let h = Arc::clone(&healed);
    let server = Server::start(move |seen| {
        let (prompt, _) = pooled(&seen.body);
        if prompt.contains("ball number 5 ") && !h.load(Ordering::SeqCst) {
            return Reply::Status(503, "{\"error\": \"down\"}");
        }
        pooling_answer(&seen.body)
    });
    let p = s(&project);
    let args = [
        "score",
        p,
        "--endpoint",
        &server.url,
        "--model",
        "rm",
        "--api",
        "pooling",
        "--batch",
        "1",
        "--retries",
        "1",
        "--json",
    ];
    let o = run(&args, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("/pooling") && err.contains("HTTP 503") && err.contains("2 tries"), "{err}");
    // Samples 0 to 4 (one per batch) were written before sample 5 failed.
    assert_eq!(model_judgments(&project), 5, "{err}");
    let kept = ratings(&project, "rm");

    healed.store(true, Ordering::SeqCst);
    let report = json(&ok(&args, &[]));
    assert_eq!((report["already"].as_u64(), report["judged"].as_u64()), (Some(5), Some(3)), "{report}");
    let all = ratings(&project, "rm");
    assert_eq!(all[..kept.len()], kept[..]);
    assert_eq!(all, expected(&project, 8));
}

#[test]
fn malformed_bodies_and_nonsense_scores_stop_the_job_with_what_was_wrong() {
    let cases: [(&'static str, &str); 4] = [
        ("{\"data\": [{\"index\": 0, \"data\": ", "not JSON"),
        ("{\"data\": [{\"index\": 0, \"data\": [0.1, 0.2, 0.3]}]}", "vector of 3 values"),
        ("{\"data\": [{\"index\": 0, \"data\": \"high\"}]}", "not a number"),
        ("{\"object\": \"list\"}", "no `data` list"),
    ];
    for (body, says) in cases {
        let ws = Workspace::new();
        let project = pairs(&ws, 4);
        let server = Server::start(move |seen| {
            let (prompt, _) = pooled(&seen.body);
            if prompt.contains("ball number 2 ") { Reply::Raw(body) } else { pooling_answer(&seen.body) }
        });
        let args =
            ["score", s(&project), "--endpoint", &server.url, "--model", "rm", "--api", "pooling", "--batch", "1"];
        let o = run(&args, &[]);
        assert!(!o.status.success(), "{body}");
        let err = stderr(&o);
        assert!(err.contains(says) && err.contains("/pooling"), "{body}: {err}");
        assert_eq!(model_judgments(&project), 2, "{body}: samples 0 and 1 stay");
    }
}

// ---------------------------------------------------------------------------------------------
// A chat model as judge.

#[test]
fn a_judge_asks_both_orders_and_a_position_biased_one_flips_every_time() {
    let ws = Workspace::new();
    let project = pairs(&ws, 6);
    let p = s(&project);
    let fair = Server::start(|seen| {
        let (prompt, a, b) = judged(&seen.body);
        chat_answer(if reward(&prompt, &a) >= reward(&prompt, &b) { "A" } else { "**B**" })
    });
    let report = json(&ok(
        &["score", p, "--endpoint", &format!("{}/v1", fair.url), "--model", "judge-7b", "--api", "chat", "--json"],
        &[],
    ));
    assert_eq!((report["judged"].as_u64(), report["computed"].as_u64()), (Some(6), Some(12)), "{report}");
    let seen = fair.seen();
    assert_eq!(seen.len(), 12, "one pair per sample, asked in both orders");
    assert!(seen.iter().all(|r| r.path == "/v1/chat/completions" && r.body["temperature"] == 0));
    // Each pair was shown both ways round.
    let mut shown: Vec<(String, String)> = seen
        .iter()
        .map(|r| {
            let (_, a, b) = judged(&r.body);
            (a, b)
        })
        .collect();
    shown.sort();
    for (a, b) in &shown {
        assert!(shown.contains(&(b.clone(), a.clone())), "{a} / {b} was asked in one order only");
    }
    // The chosen answer won both orders: 1, the rejected 0.
    let fair_ratings = ratings(&project, "judge-7b");
    assert_eq!(fair_ratings.iter().map(|r| (r.1, r.2)).collect::<Vec<_>>(), [(0, 1.0), (1, 0.0)].repeat(6));
    let detail: String = rusqlite::Connection::open(&project)
        .expect("opens")
        .query_row("SELECT detail FROM scores WHERE score = 1.0 LIMIT 1", [], |r| r.get(0))
        .expect("a detail");
    let detail = json(&detail);
    let c = &detail["comparisons"][0];
    assert_eq!(
        (c["shown_first"].as_str(), c["shown_second"].as_str(), c["flipped"].as_bool()),
        (Some("A"), Some("B"), Some(false)),
        "{detail}"
    );

    let biased = Server::start(|_| chat_answer("A"));
    ok(&["score", p, "--endpoint", &biased.url, "--model", "lazy-judge", "--api", "chat"], &[]);
    let lazy = ratings(&project, "lazy-judge");
    assert_eq!(lazy.len(), 12);
    assert!(lazy.iter().all(|r| (r.2 - 0.5).abs() < 1e-12), "a judge that always says A wins each pair once: {lazy:?}");
    let scorers: Vec<serde_json::Value> = ok(&["scorers", p, "--json"], &[]).lines().map(json).collect();
    let by_name = |n: &str| scorers.iter().find(|s| s["name"] == n).expect("listed").clone();
    assert_eq!(by_name("lazy-judge")["order_flips"], serde_json::json!({"pairs": 6, "flipped": 6, "rate": 1.0}));
    assert_eq!(by_name("judge-7b")["order_flips"], serde_json::json!({"pairs": 6, "flipped": 0, "rate": 0.0}));
    assert_eq!(by_name("judge-7b")["kind"], "judge");
    let text = ok(&["scorers", p], &[]);
    assert!(text.contains("flips with the order in 6 of 6 pairs (100.0 %)"), "{text}");
}

#[test]
fn a_judge_whose_reply_is_no_verdict_stops_the_job_after_its_retries() {
    let ws = Workspace::new();
    let project = pairs(&ws, 3);
    let server = Server::start(|seen| {
        let (prompt, _, _) = judged(&seen.body);
        chat_answer(if prompt.contains("ball number 1 ") { "Both answers have merits." } else { "A" })
    });
    let args = [
        "score",
        s(&project),
        "--endpoint",
        &server.url,
        "--model",
        "j",
        "--api",
        "chat",
        "--batch",
        "1",
        "--retries",
        "2",
    ];
    let o = run(&args, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("no verdict") && err.contains("3 tries") && err.contains("Both answers have merits"), "{err}");
    assert_eq!(model_judgments(&project), 1);
}

// ---------------------------------------------------------------------------------------------
// kill -9 in the middle of a served job.

#[test]
fn a_served_job_killed_midway_resumes_with_the_scores_of_an_uninterrupted_one() {
    const N: i64 = 60;
    let ws = Workspace::new();
    let project = pairs(&ws, N as usize);
    let copy = ws.path("copy.verdict");
    std::fs::copy(&project, &copy).expect("copy");
    let served = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&served);
    let server = Server::start(move |seen| {
        counter.fetch_add(1, Ordering::SeqCst);
        Reply::Late(Duration::from_millis(20), Box::new(pooling_answer(&seen.body)))
    });
    let args = |p: &Path| -> Vec<String> {
        [
            "score",
            s(p),
            "--endpoint",
            &server.url,
            "--model",
            "rm",
            "--api",
            "pooling",
            "--batch",
            "2",
            "--concurrency",
            "1",
        ]
        .iter()
        .map(|a| (*a).to_owned())
        .collect()
    };
    ok(&to_strs(&args(&copy)), &[]);
    let uninterrupted = ratings(&copy, "rm");
    assert_eq!(uninterrupted.len() as i64, 2 * N);

    let mut child = verdict_command(&to_strs(&args(&project)), &[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = std::time::Instant::now() + Duration::from_mins(3);
    let mut killed_at = None;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        let done = rusqlite::Connection::open_with_flags(&project, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM judgments WHERE source = 'model'", [], |r| r.get::<_, i64>(0))
            })
            .unwrap_or(0);
        if done > 0 && done < N {
            child.kill().expect("kill -9");
            killed_at = Some(done);
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = child.wait();
    let killed_at = killed_at.expect("the job was caught midway");
    let kept = ratings(&project, "rm");
    let mut resume = args(&project);
    resume.push("--json".into());
    let report = json(&ok(&to_strs(&resume), &[]));
    let already = report["already"].as_i64().expect("already");
    assert!(already >= killed_at && already < N, "{report}, {killed_at} at the kill");
    assert_eq!(report["judged"].as_i64(), Some(N - already));
    let resumed = ratings(&project, "rm");
    assert_eq!(resumed[..kept.len()], kept[..]);
    assert_eq!(resumed, uninterrupted, "the same scores as the uninterrupted job");
    assert_eq!(count(&project, "SELECT count(*) FROM score_margins"), N);
}

// ---------------------------------------------------------------------------------------------
// --command.

fn python() -> String {
    std::env::var("VERDICT_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A scorer process: greets with version 2, scores with the reward above; `MODE` (environment)
/// makes it misbehave after `AFTER` requests: `die`, `noid`, `nan`, `text`, `twice`, `silent`.
const SCRIPT: &str = r#"
import json, os, sys
mode, after, n = os.environ.get("MODE", ""), int(os.environ.get("AFTER", "0")), 0
def reward(prompt, answer):
    words = [w.lower() for w in prompt.split()]
    shared = sum(1 for w in answer.split() if w.lower() in words)
    return shared / 10.0 - len(answer) / 10000.0
for line in sys.stdin:
    r = json.loads(line)
    if r.get("verdict") == "hello":
        print(json.dumps({"version": "2"}), flush=True)
        continue
    n += 1
    out = {"id": r["id"], "score": reward(r["prompt"], r["response"])}
    if n > after and mode:
        if mode == "die": sys.exit(3)
        if mode == "noid": del out["id"]
        if mode == "nan": out["score"] = float("nan")
        if mode == "text": out["score"] = "high"
        if mode == "twice": print(json.dumps(out), flush=True)
        if mode == "silent": continue
    print(json.dumps(out), flush=True)
"#;

#[test]
fn a_command_scores_in_json_lines_and_its_failures_name_the_line() {
    let ws = Workspace::new();
    let project = pairs(&ws, 6);
    let script = ws.write("scorer.py", SCRIPT);
    let command = format!("{} {}", python(), s(&script));
    let p = s(&project);
    let args = ["score", p, "--command", &command, "--name", "py", "--batch", "2", "--timeout", "5", "--json"];

    // It dies after 5 requests: samples 0 and 1 (2 per batch of 2 candidates) are written.
    let o = run(&args, &[("MODE", "die"), ("AFTER", "5")]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("output ended after line 6") && err.contains("exit status: 3"), "{err}");
    assert_eq!(model_judgments(&project), 2);

    for (mode, says) in [
        ("noid", "output line 2: no `id`"),
        ("nan", "output line 2: the score is not a finite number"),
        ("text", "output line 2: `score` is \"high\", not a number"),
        ("twice", "output line 3: id 1 was not asked in this batch"),
    ] {
        let o = run(&args, &[("MODE", mode), ("AFTER", "0")]);
        assert!(!o.status.success(), "{mode}");
        let err = stderr(&o);
        assert!(err.contains(says), "{mode}: {err}");
        assert_eq!(model_judgments(&project), 2, "{mode}: nothing more, nothing less");
    }
    let silent = ["score", p, "--command", &command, "--name", "py", "--batch", "2", "--timeout", "1"];
    let o = run(&silent, &[("MODE", "silent"), ("AFTER", "0")]);
    assert!(stderr(&o).contains("no answer within 1 s"), "{}", stderr(&o));

    // A rerun with the process behaving resumes after what was written.
    let report = json(&ok(&args, &[]));
    assert_eq!((report["already"].as_u64(), report["judged"].as_u64()), (Some(2), Some(4)), "{report}");
    assert_eq!(ratings(&project, "py"), expected(&project, 6));
    let scorer = json(&ok(&["scorers", p, "--json"], &[]));
    assert_eq!((scorer["kind"].as_str(), scorer["settings"]["version"].as_str()), (Some("command"), Some("2")));
    assert_eq!(scorer["settings"]["command"].as_str(), Some(command.as_str()));

    let o = run(&["score", p, "--command", &command], &[]);
    assert!(!o.status.success() && stderr(&o).contains("--command needs --name"), "{}", stderr(&o));
}

#[test]
fn a_judge_and_a_reward_model_are_sent_the_samples_image_and_text_alone_where_there_is_none() {
    let ws = Workspace::new();
    let png = common::png(8, 6);
    std::fs::write(ws.path("red.png"), &png).expect("writes the image");
    let rows = [
        serde_json::json!({"prompt": "what colour is the ball on the table", "chosen": "the ball on the table is red",
            "rejected": "I cannot tell", "image": "red.png"}),
        serde_json::json!({"prompt": "what colour is the cup on the table", "chosen": "the cup on the table is blue",
            "rejected": "no idea"}),
    ];
    let lines: Vec<String> = rows.iter().map(ToString::to_string).collect();
    let file = ws.write("pairs.jsonl", lines.join("\n") + "\n");
    let project = ws.project();
    import(&project, &file);
    let p = s(&project);
    let want_url =
        format!("data:image/png;base64,{}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &png));
    // The user turn is the text alone, or text parts with the images after the request.
    let text_of = |content: &serde_json::Value| -> String {
        content.as_array().map_or_else(
            || content.as_str().unwrap_or("").to_owned(),
            |parts| parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        )
    };
    let images_of = |content: &serde_json::Value| -> Vec<String> {
        content.as_array().map_or_else(Vec::new, |parts| {
            parts.iter().filter_map(|p| p["image_url"]["url"].as_str().map(str::to_owned)).collect()
        })
    };

    let judge = Server::start(move |seen| {
        let content = &seen.body["messages"][1]["content"];
        let text = text_of(content);
        chat_answer(if text.contains("[Answer A]\nthe") { "A" } else { "B" })
    });
    ok(&["score", p, "--endpoint", &judge.url, "--model", "vision-judge", "--api", "chat"], &[]);
    let seen = judge.seen();
    assert_eq!(seen.len(), 4, "one pair per sample, both orders");
    for r in &seen {
        let content = &r.body["messages"][1]["content"];
        let text = text_of(content);
        if text.contains("ball") {
            assert_eq!(
                images_of(content),
                std::slice::from_ref(&want_url),
                "the image goes with the sample that has it"
            );
        } else {
            assert!(content.is_string(), "a sample without media is asked in text alone: {content}");
        }
    }
    assert_eq!(ratings(&project, "vision-judge").len(), 4, "both samples judged");

    let pooling = Server::start(|seen| {
        let user = &seen.body["messages"][0]["content"];
        let prompt = user.as_str().map_or_else(|| user[0]["text"].as_str().unwrap_or("").to_owned(), str::to_owned);
        let answer = seen.body["messages"][1]["content"].as_str().unwrap_or("").to_owned();
        Reply::Json(serde_json::json!({"data": [{"index": 0, "data": [reward(&prompt, &answer)]}]}))
    });
    ok(&["score", p, "--endpoint", &pooling.url, "--model", "vision-rm", "--api", "pooling"], &[]);
    let seen = pooling.seen();
    assert_eq!(seen.len(), 4);
    let with_image =
        seen.iter().filter(|r| images_of(&r.body["messages"][0]["content"]) == std::slice::from_ref(&want_url)).count();
    assert_eq!(with_image, 2, "both candidates of the image's sample carry it, the others none");
    assert_eq!(ratings(&project, "vision-rm").len(), 4);
}

#[test]
fn a_video_goes_to_a_served_model_as_sampled_frames_and_a_broken_one_leaves_its_sample_unscored_with_the_reason() {
    let ws = Workspace::new();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/testsrc_64x48_10fps.mp4");
    std::fs::copy(&fixture, ws.path("clip.mp4")).expect("copies the video");
    // An MP4's first box, then nothing a decoder can read.
    std::fs::write(ws.path("broken.mp4"), b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2 and then no movie at all")
        .expect("writes the broken video");
    let rows = [
        serde_json::json!({"prompt": "what moves in the clip", "chosen": "coloured bars and a counter",
            "rejected": "a horse runs", "video": "clip.mp4"}),
        serde_json::json!({"prompt": "what moves in the other clip", "chosen": "a bird", "rejected": "a cat",
            "video": "broken.mp4"}),
    ];
    let lines: Vec<String> = rows.iter().map(ToString::to_string).collect();
    let file = ws.write("videos.jsonl", lines.join("\n") + "\n");
    let project = ws.project();
    import(&project, &file);
    let p = s(&project);
    let texts = |content: &serde_json::Value| -> String {
        content.as_array().map_or_else(
            || content.as_str().unwrap_or("").to_owned(),
            |parts| parts.iter().filter_map(|p| p["text"].as_str()).collect(),
        )
    };
    // Each image part as the frame it carries.
    let frames = |content: &serde_json::Value| -> Vec<image::RgbImage> {
        let parts = content.as_array().cloned().unwrap_or_default();
        parts
            .iter()
            .filter_map(|p| p["image_url"]["url"].as_str())
            .map(|url| {
                let data = url.strip_prefix("data:image/jpeg;base64,").expect("a JPEG data URL");
                let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("base64");
                image::load_from_memory(&bytes).expect("a JPEG that decodes").to_rgb8()
            })
            .collect()
    };
    let check_frames = |frames: &[image::RgbImage]| {
        assert_eq!(frames.len(), 8, "8 frames of the video");
        assert!(frames.iter().all(|f| f.dimensions() == (64, 48)), "each frame at the video's size");
        let distinct: std::collections::HashSet<&[u8]> = frames.iter().map(|f| f.as_raw().as_slice()).collect();
        assert!(distinct.len() > 1, "frames from along the video, not one frame over and over");
    };

    let judge = Server::start(move |seen| {
        let text = texts(&seen.body["messages"][1]["content"]);
        chat_answer(if text.contains("[Answer A]\ncoloured") { "A" } else { "B" })
    });
    let out = ok(&["score", p, "--endpoint", &judge.url, "--model", "video-judge", "--api", "chat"], &[]);
    assert!(
        out.contains("2 candidates with media that could not be read left out (the first: media 1 (a video):"),
        "the broken video's candidates are left out with the reason: {out}"
    );
    let seen = judge.seen();
    assert_eq!(seen.len(), 2, "the good video's pair in both orders, the broken one's not asked");
    for r in &seen {
        let content = &r.body["messages"][1]["content"];
        assert!(texts(content).contains("what moves in the clip"), "{content}");
        assert_eq!(content[0]["text"], "[Request]\nwhat moves in the clip", "the frames follow the request");
        check_frames(&frames(content));
    }
    let judged = ratings(&project, "video-judge");
    assert_eq!(judged.len(), 2, "the good video's candidates scored: {judged:?}");
    assert_eq!(judged.iter().map(|r| r.2).collect::<Vec<_>>(), [1.0, 0.0], "its chosen answer won both orders");

    let pooling = Server::start(|seen| {
        let answer = seen.body["messages"][1]["content"].as_str().unwrap_or("").to_owned();
        Reply::Json(serde_json::json!({"data": [{"index": 0, "data": [answer.len() as f64]}]}))
    });
    let out = ok(&["score", p, "--endpoint", &pooling.url, "--model", "video-rm", "--api", "pooling"], &[]);
    assert!(out.contains("media 1 (a video):"), "{out}");
    let seen = pooling.seen();
    assert_eq!(seen.len(), 2, "the good video's two candidates");
    for r in &seen {
        check_frames(&frames(&r.body["messages"][0]["content"]));
    }
    assert_eq!(ratings(&project, "video-rm").len(), 2);
}

/// A 16-bit PCM WAV of `frames` frames of `channels` channels at `rate` Hz, a 300 Hz tone in each.
fn tone_wav(rate: u32, channels: u16, frames: usize) -> Vec<u8> {
    let samples: Vec<i16> = (0..frames)
        .flat_map(|i| {
            let v = ((std::f32::consts::TAU * 300.0 * i as f32 / rate as f32).sin() * 12_000.0) as i16;
            std::iter::repeat_n(v, usize::from(channels))
        })
        .collect();
    common::pcm16_wav(rate, channels, &samples, None)
}

#[test]
fn an_audio_clip_goes_to_a_served_model_as_a_mono_16_khz_wav_in_an_input_audio_part() {
    let ws = Workspace::new();
    std::fs::write(ws.path("clip.wav"), tone_wav(22_050, 2, 22_050)).expect("writes the clip");
    let row = serde_json::json!({"instruction": "what is heard in the clip", "input": "",
        "chosen": "a steady low tone", "rejected": "a dog barks", "audios": ["clip.wav"]});
    let file = ws.write("audio.jsonl", format!("{row}\n"));
    let project = ws.project();
    import(&project, &file);
    let p = s(&project);
    // Each input_audio part's clip, decoded.
    let clips = |content: &serde_json::Value| -> Vec<verdict::media::AudioSamples> {
        let parts = content.as_array().cloned().unwrap_or_default();
        parts
            .iter()
            .filter(|part| part["type"] == "input_audio")
            .map(|part| {
                assert_eq!(part["input_audio"]["format"], "wav");
                let data = part["input_audio"]["data"].as_str().expect("base64 data");
                let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, data).expect("base64");
                verdict::media::decode_audio_bytes(&bytes, Some("wav")).expect("a WAV that decodes")
            })
            .collect()
    };
    let check = |content: &serde_json::Value| {
        let clips = clips(content);
        assert_eq!(clips.len(), 1, "the clip, once: {content}");
        assert_eq!((clips[0].sample_rate, clips[0].channels, clips[0].frames()), (16_000, 1, 16_000), "1 s, mono");
        let peak = clips[0].samples.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!((peak - 12_000.0 / 32_768.0).abs() < 0.02, "the tone at its level: peak {peak}");
    };

    let judge = Server::start(|_| chat_answer("A"));
    ok(&["score", p, "--endpoint", &judge.url, "--model", "audio-judge", "--api", "chat"], &[]);
    let seen = judge.seen();
    assert_eq!(seen.len(), 2, "the pair in both orders");
    for r in &seen {
        let content = &r.body["messages"][1]["content"];
        assert_eq!(content[0]["text"], "[Request]\nwhat is heard in the clip", "the clip follows the request");
        check(content);
    }
    let pooling = Server::start(|_| Reply::Json(serde_json::json!({"data": [{"index": 0, "data": [0.5]}]})));
    ok(&["score", p, "--endpoint", &pooling.url, "--model", "audio-rm", "--api", "pooling"], &[]);
    let seen = pooling.seen();
    assert_eq!(seen.len(), 2, "both candidates");
    for r in &seen {
        check(&r.body["messages"][0]["content"]);
    }
    assert_eq!(ratings(&project, "audio-rm").len(), 2);
}
