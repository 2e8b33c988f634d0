//! A chat model as judge (`OpenAI` `/v1/chat/completions`): per pair of a sample's candidates it is
//! asked which answer is better, in both orders (the pair shown A/B, then B/A) to expose position
//! bias, at temperature 0, for one letter (`A`, `B`, or `T` for a tie). The media go along as data
//! URLs (`media`): the sample's images, or a video's sampled frames, after the request, and a
//! generated-media candidate's images after its answer. A candidate's score is the share of its
//! comparisons it won over both orders (a tie counts half): with two candidates, 1 and 0 when the
//! judge holds its verdict in both orders, 1/2 each when it flips with the order. Each candidate's
//! detail keeps every comparison's verdicts per order, and (on the pair's first candidate only, so
//! a sum over candidates counts each pair once) how many of its pairs flipped: `verdict scorers`
//! reports the judge's flip rate from those.

use super::http::{Client, parallel};
use super::media::{Converter, Media, frames_setting, interleaved};
use super::{excerpt, identity_hash};
use crate::score::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity};
use serde_json::json;

/// The judging prompt's version: a change of wording is another scorer.
const PROMPT_VERSION: &str = "verdict-judge-1";

const SYSTEM: &str = "You are an impartial judge of answers to a user's request. Compare the two answers and decide \
which one is better: more helpful, more correct, faithful to the request and to any image, with nothing invented. \
Neither the order of the answers nor their length may sway you. Reply with exactly one letter: A if Answer A is \
better, B if Answer B is better, T if they are equally good. No other text.";

/// A judge's verdict on one ordering of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The answer shown first.
    A,
    /// The answer shown second.
    B,
    /// Equally good.
    Tie,
}

impl Verdict {
    fn letter(self) -> &'static str {
        match self {
            Verdict::A => "A",
            Verdict::B => "B",
            Verdict::Tie => "T",
        }
    }
}

/// Reads a judge's reply: one letter (`A`, `**B**`, `[[A]]`, `Answer B.`), `tie`, or a JSON object
/// with a `verdict` (`winner`, `better`, `answer`); a reasoning model's `<think>` part is skipped.
/// `None` when the reply names both answers or neither.
pub fn parse_verdict(reply: &str) -> Option<Verdict> {
    let reply = reply.rsplit_once("</think>").map_or(reply, |(_, after)| after).trim();
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(reply) {
        return ["verdict", "winner", "better", "answer"]
            .iter()
            .find_map(|k| map.get(*k).and_then(|v| v.as_str()))
            .and_then(parse_verdict);
    }
    let bare: String =
        reply.trim_matches(|c: char| c.is_whitespace() || "*[]()\"'`.:!#".contains(c)).to_ascii_lowercase();
    match bare.as_str() {
        "a" | "answer a" => return Some(Verdict::A),
        "b" | "answer b" => return Some(Verdict::B),
        "t" | "tie" | "equal" | "equally good" => return Some(Verdict::Tie),
        _ => {}
    }
    let tokens: Vec<&str> = reply.split(|c: char| !c.is_alphanumeric()).filter(|t| !t.is_empty()).collect();
    let (a, b) = (tokens.contains(&"A"), tokens.contains(&"B"));
    match (a, b) {
        (true, false) => Some(Verdict::A),
        (false, true) => Some(Verdict::B),
        (false, false) if tokens.iter().any(|t| t.eq_ignore_ascii_case("tie")) => Some(Verdict::Tie),
        _ => None,
    }
}

/// The text of a chat completion's first choice.
fn reply_text(answer: &serde_json::Value) -> Result<String, String> {
    let content =
        answer.pointer("/choices/0/message/content").ok_or("no `choices[0].message.content` in the answer")?;
    match content {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Array(parts) => {
            Ok(parts.iter().filter_map(|p| p.get("text").and_then(|t| t.as_str())).collect::<Vec<_>>().join(""))
        }
        other => Err(format!("`choices[0].message.content` is {other}, not text")),
    }
}

/// A chat model judging pairs.
pub struct ChatJudge {
    client: Client,
    identity: ScorerIdentity,
    model: String,
    device: String,
}

/// The media a sample's pairs are shown with: the sample's own (its image, or a video's frames),
/// and each candidate's own (a generated image), converted once for all the sample's questions.
struct Shown {
    input: Vec<Media>,
    own: Vec<Vec<Media>>,
}

impl Shown {
    /// The media of a sample's candidates `cs`, or why one of them cannot be shown.
    fn of(converter: &mut Converter, cs: &[Candidate<'_>]) -> Result<Self, String> {
        let input = match cs.iter().find(|c| !c.media.is_empty()) {
            Some(c) => converter.list(c.media)?,
            None => Vec::new(),
        };
        let own = cs.iter().map(|c| converter.list(c.own_media)).collect::<Result<_, _>>()?;
        Ok(Self { input, own })
    }
}

/// One question to the judge: sample `sample`, candidates `first` and `second` shown in that order.
struct Ask {
    sample: usize,
    first: usize,
    second: usize,
}

impl ChatJudge {
    pub(super) fn new(client: Client, name: String, model: String) -> Self {
        let url = client.url("/v1/chat/completions");
        let identity = ScorerIdentity {
            name,
            kind: "judge".into(),
            architecture: "openai-chat".into(),
            weights: identity_hash(&["chat", &model, PROMPT_VERSION]),
            settings: json!({
                "api": "chat",
                "model": model,
                "prompt": PROMPT_VERSION,
                "temperature": 0,
                "orders": 2,
                "video": frames_setting(),
                "audio": super::audio::audio_setting(),
            }),
        };
        Self { device: format!("served {url}"), client, identity, model }
    }

    /// The request asking whether answer `a` (shown first) or `b` is the better one for `prompt`,
    /// with the sample's media after the request and each answer's own media (a generated image)
    /// after it.
    pub fn request(
        model: &str,
        prompt: &str,
        input: &[Media],
        a: (&str, &[Media]),
        b: (&str, &[Media]),
    ) -> serde_json::Value {
        let request = format!("[Request]\n{prompt}");
        let (answer_a, answer_b) = (format!("\n\n[Answer A]\n{}", a.0), format!("\n\n[Answer B]\n{}", b.0));
        let question = "\n\nWhich answer is better? Reply with one letter: A, B or T.";
        json!({
            "model": model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": interleaved(&[
                    (&request, input),
                    (&answer_a, a.1),
                    (&answer_b, b.1),
                    (question, &[]),
                ])},
            ],
        })
    }

    /// Asks one question, again while the reply cannot be read (as many times as a failed request
    /// is retried), and gives the verdict and the reply.
    fn ask(&self, url: &str, samples: &[Vec<Candidate<'_>>], shown: &Shown, ask: &Ask) -> Result<(Verdict, String)> {
        let s = &samples[ask.sample];
        let (a, b) = (&s[ask.first], &s[ask.second]);
        let (own_a, own_b) = (&shown.own[ask.first], &shown.own[ask.second]);
        let body = Self::request(&self.model, a.prompt, &shown.input, (a.text, own_a), (b.text, own_b));
        let what = format!(
            "sample {} of this batch, candidate {} shown first against candidate {}: {:?} / {:?}",
            ask.sample + 1,
            ask.first + 1,
            ask.second + 1,
            excerpt(a.text, 30),
            excerpt(b.text, 30)
        );
        let mut last = String::new();
        for _ in 0..=self.client.retries() {
            let answer = self.client.post(url, &body, &what)?;
            let text = reply_text(&answer).map_err(|why| {
                ScoreError::Inference(format!(
                    "POST {url} ({what}): {why}: {}; the scores written before stay",
                    excerpt(&answer.to_string(), 200)
                ))
            })?;
            if let Some(v) = parse_verdict(&text) {
                return Ok((v, text));
            }
            last = text;
        }
        Err(ScoreError::Inference(format!(
            "POST {url} ({what}): the judge's reply is no verdict (A, B or T), {} tries in all: {:?}; the scores \
             written before stay",
            self.client.retries() + 1,
            excerpt(last.trim(), 200)
        )))
    }
}

impl Scorer for ChatJudge {
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

    fn compares(&self) -> bool {
        true
    }

    /// The batch as one sample's candidates.
    fn score(&mut self, batch: &[Candidate<'_>]) -> Result<Vec<Scored>> {
        let mut all = self.score_samples(&[batch.to_vec()])?;
        Ok(all.pop().unwrap_or_default())
    }

    fn score_samples(&mut self, samples: &[Vec<Candidate<'_>>]) -> Result<Vec<Vec<Scored>>> {
        let url = self.client.url("/v1/chat/completions");
        let mut converter = Converter::new(true);
        let shown: Vec<Result<Shown, String>> = samples.iter().map(|cs| Shown::of(&mut converter, cs)).collect();
        let mut asks = Vec::new();
        for (sample, cs) in samples.iter().enumerate() {
            if shown[sample].is_err() {
                continue;
            }
            for i in 0..cs.len() {
                for j in i + 1..cs.len() {
                    asks.push(Ask { sample, first: i, second: j });
                    asks.push(Ask { sample, first: j, second: i });
                }
            }
        }
        let this = &*self;
        let answers = parallel(&asks, self.client.concurrency, |_, ask| {
            let Ok(media) = &shown[ask.sample] else { unreachable!("only samples with their media are asked") };
            this.ask(&url, samples, media, ask)
        })?;
        let mut out = Vec::with_capacity(samples.len());
        let mut at = 0;
        for (cs, shown) in samples.iter().zip(&shown) {
            let n = cs.len();
            if let Err(why) = shown {
                out.push(vec![Scored::media_failed(why); n]);
                continue;
            }
            let mut won = vec![0.0f64; n];
            let mut comparisons: Vec<Vec<serde_json::Value>> = vec![Vec::new(); n];
            let mut flips = vec![(0u32, 0u32); n];
            for i in 0..n {
                for j in i + 1..n {
                    let (ij, ji) = (&answers[at], &answers[at + 1]);
                    at += 2;
                    // Each order's verdict as the winner's index (None: a tie).
                    let winner = |v: Verdict, first: usize, second: usize| match v {
                        Verdict::A => Some(first),
                        Verdict::B => Some(second),
                        Verdict::Tie => None,
                    };
                    let (w1, w2) = (winner(ij.0, i, j), winner(ji.0, j, i));
                    for w in [w1, w2] {
                        match w {
                            Some(k) => won[k] += 1.0,
                            None => {
                                won[i] += 0.5;
                                won[j] += 0.5;
                            }
                        }
                    }
                    let flipped = w1 != w2;
                    flips[i].0 += 1;
                    flips[i].1 += u32::from(flipped);
                    let entry =
                        |me: usize, rival: usize, mine_first: &(Verdict, String), rival_first: &(Verdict, String)| {
                            json!({
                                "rival_index": rival,
                                "shown_first": mine_first.0.letter(),
                                "shown_second": rival_first.0.letter(),
                                "won": [w1 == Some(me), w2 == Some(me)],
                                "flipped": flipped,
                                "replies": [excerpt(mine_first.1.trim(), 200), excerpt(rival_first.1.trim(), 200)],
                            })
                        };
                    comparisons[i].push(entry(i, j, ij, ji));
                    comparisons[j].push(entry(j, i, ji, ij));
                }
            }
            let asked = 2.0 * (n.saturating_sub(1)) as f64;
            let scored = (0..n)
                .map(|k| Scored {
                    score: if asked > 0.0 { (won[k] / asked) as f32 } else { 0.5 },
                    detail: Some(json!({
                        "won": won[k],
                        "asked": asked,
                        "comparisons": comparisons[k],
                        "order": {"pairs": flips[k].0, "flipped": flips[k].1},
                    })),
                    embeddings: Vec::new(),
                })
                .collect();
            out.push(scored);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_read_from_letters_words_and_json() {
        for (reply, v) in [
            ("A", Some(Verdict::A)),
            (" b\n", Some(Verdict::B)),
            ("**A**", Some(Verdict::A)),
            ("[[B]]", Some(Verdict::B)),
            ("Answer A.", Some(Verdict::A)),
            ("T", Some(Verdict::Tie)),
            ("It's a tie", Some(Verdict::Tie)),
            ("{\"verdict\": \"B\"}", Some(Verdict::B)),
            ("<think>A looks right, but B...</think>B", Some(Verdict::B)),
            ("The better answer is B.", Some(Verdict::B)),
            ("A is better than B", None),
            ("I cannot decide", None),
            ("", None),
        ] {
            assert_eq!(parse_verdict(reply), v, "{reply:?}");
        }
    }

    #[test]
    fn the_request_shows_both_answers_in_order_with_images_as_data_urls() {
        let png: Media = ("image/png", std::sync::Arc::from(&b"x"[..]));
        let r = ChatJudge::request("m", "why?", std::slice::from_ref(&png), ("first", &[]), ("second", &[]));
        let user = &r["messages"][1]["content"];
        assert_eq!(user[0]["text"], "[Request]\nwhy?");
        assert_eq!(user[1]["image_url"]["url"], "data:image/png;base64,eA==");
        let text = user[2]["text"].as_str().expect("text");
        assert!(text.find("[Answer A]\nfirst") < text.find("[Answer B]\nsecond"), "{text}");
        assert_eq!(r["temperature"], 0);
        let bare = ChatJudge::request("m", "why?", &[], ("first", &[]), ("second", &[]));
        let text = bare["messages"][1]["content"].as_str().expect("text alone without media");
        assert!(text.starts_with("[Request]\nwhy?\n\n[Answer A]\nfirst\n\n[Answer B]\nsecond"), "{text}");
    }

    #[test]
    fn generated_images_follow_the_answer_they_are() {
        let (a, b): (Media, Media) =
            (("image/png", std::sync::Arc::from(&b"a"[..])), ("image/png", std::sync::Arc::from(&b"b"[..])));
        let r =
            ChatJudge::request("m", "draw a cat", &[], ("", std::slice::from_ref(&a)), ("", std::slice::from_ref(&b)));
        let user = &r["messages"][1]["content"];
        assert_eq!(user[0]["text"], "[Request]\ndraw a cat\n\n[Answer A]\n");
        assert_eq!(user[1]["image_url"]["url"], "data:image/png;base64,YQ==");
        assert_eq!(user[2]["text"], "\n\n[Answer B]\n");
        assert_eq!(user[3]["image_url"]["url"], "data:image/png;base64,Yg==");
        assert!(user[4]["text"].as_str().is_some_and(|t| t.contains("Which answer is better?")));
    }
}
