//! A reward model behind vLLM's pooling API: one `POST /pooling` per candidate with the prompt as
//! the user's turn and the candidate as the assistant's (`messages`, so the server applies the
//! model's chat template, images as `image_url` parts), and a scalar back:
//! `{"data": [{"index": 0, "object": "pooling", "data": X}]}` where X is the reward, `[reward]`,
//! or per-token rewards `[[r], [r], ...]` of which the last token's is the sequence's.

use super::http::{Client, parallel};
use super::media::{Converter, Media, frames_setting, user_content};
use super::{excerpt, identity_hash};
use crate::score::{Candidate, Result, ScoreError, Scored, Scorer, ScorerIdentity};

/// A served reward model.
pub struct PoolingScorer {
    client: Client,
    identity: ScorerIdentity,
    model: String,
    device: String,
}

impl PoolingScorer {
    pub(super) fn new(client: Client, name: String, model: String) -> Self {
        let url = client.url("/pooling");
        let identity = ScorerIdentity {
            name,
            kind: "reward".into(),
            architecture: "vllm-pooling".into(),
            weights: identity_hash(&["pooling", &model]),
            settings: serde_json::json!({
                "api": "pooling",
                "model": model,
                "input": "messages",
                "video": frames_setting(),
                "audio": super::audio::audio_setting(),
            }),
        };
        Self { device: format!("served {url}"), client, identity, model }
    }

    /// The request for one candidate and its media.
    pub fn request(model: &str, candidate: &Candidate<'_>, media: &[Media]) -> serde_json::Value {
        serde_json::json!({
            "model": model,
            "messages": [
                {"role": "user", "content": user_content(candidate.prompt, media)},
                {"role": "assistant", "content": candidate.text},
            ],
        })
    }
}

/// The reward in a pooling answer, or what is wrong with it.
pub fn reward_of(answer: &serde_json::Value) -> Result<f32, String> {
    let data = answer.get("data").and_then(|d| d.as_array()).ok_or("no `data` list in the answer")?;
    let [item] = data.as_slice() else {
        return Err(format!("`data` has {} entries for one input", data.len()));
    };
    let pooled = item.get("data").ok_or("no `data[0].data` in the answer")?;
    let value = match pooled {
        serde_json::Value::Number(_) => pooled,
        serde_json::Value::Array(values) => match values.as_slice() {
            [one] if one.is_number() => one,
            [.., last] if last.is_array() => match last.as_array().map(Vec::as_slice) {
                Some([one]) => one,
                _ => return Err("per-token outputs of more than one value: not a reward model's scalar".into()),
            },
            [] => return Err("`data[0].data` is empty".into()),
            many => {
                return Err(format!(
                    "`data[0].data` is a vector of {} values, not a reward: is the model served as a reward model?",
                    many.len()
                ));
            }
        },
        other => return Err(format!("`data[0].data` is {other}, not a number")),
    };
    let reward = value.as_f64().ok_or_else(|| format!("the reward {value} is not a number"))?;
    if !reward.is_finite() {
        return Err(format!("the reward {reward} is not finite"));
    }
    Ok(reward as f32)
}

impl Scorer for PoolingScorer {
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
        let url = self.client.url("/pooling");
        let client = &self.client;
        let model = self.model.as_str();
        let mut converter = Converter::new(true);
        let media: Vec<Result<Vec<Media>, String>> = batch.iter().map(|c| converter.candidate(c)).collect();
        parallel(batch, client.concurrency, |i, c| {
            let media = match &media[i] {
                Ok(media) => media,
                Err(why) => return Ok(Scored::media_failed(why)),
            };
            let what = format!("candidate {} of this batch, {:?}", i + 1, excerpt(c.text, 40));
            let answer = client.post(&url, &Self::request(model, c, media), &what)?;
            let score = reward_of(&answer).map_err(|why| {
                ScoreError::Inference(format!(
                    "POST {url} ({what}): {why}: {}; the scores written before stay",
                    excerpt(&answer.to_string(), 200)
                ))
            })?;
            Ok(Scored { score, detail: None, embeddings: Vec::new() })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rewards_are_read_from_a_scalar_a_one_vector_or_the_last_token() {
        assert_eq!(reward_of(&json!({"data": [{"index": 0, "data": 1.5}]})), Ok(1.5));
        assert_eq!(reward_of(&json!({"data": [{"index": 0, "data": [-0.25]}]})), Ok(-0.25));
        assert_eq!(reward_of(&json!({"data": [{"index": 0, "data": [[0.1], [0.2], [3.0]]}]})), Ok(3.0));
    }

    #[test]
    fn the_request_is_a_chat_with_the_images_in_the_users_turn() {
        let c = Candidate::new("what is shown?", "a cat");
        let r = PoolingScorer::request("rm", &c, &[("image/jpeg", std::sync::Arc::from(&b"\xff\xd8"[..]))]);
        assert_eq!(r["model"], "rm");
        assert_eq!(r["messages"][0]["content"][0]["text"], "what is shown?");
        assert_eq!(r["messages"][0]["content"][1]["image_url"]["url"], "data:image/jpeg;base64,/9g=");
        assert_eq!(r["messages"][1], json!({"role": "assistant", "content": "a cat"}));
        assert_eq!(PoolingScorer::request("rm", &c, &[])["messages"][0]["content"], "what is shown?");
    }

    #[test]
    fn nonsense_answers_say_what_is_wrong() {
        assert!(reward_of(&json!({"object": "list"})).expect_err("an error").contains("no `data`"));
        assert!(
            reward_of(&json!({"data": [{"data": [0.1, 0.2, 0.3]}]})).expect_err("an error").contains("vector of 3")
        );
        assert!(reward_of(&json!({"data": [{"data": "high"}]})).expect_err("an error").contains("not a number"));
        assert!(reward_of(&json!({"data": []})).expect_err("an error").contains("0 entries"));
    }
}
