//! Agreement between texts and media by the cosine of normalized embeddings, the part the
//! image-text (CLIP, `SigLIP`) and audio-text (CLAP) scorers share: a candidate's text against the
//! sample's media sentence by sentence (its worst sentence the score, the hallucination signal),
//! or a generated-media candidate's own media against the prompt; over several media items (an
//! image list, a video's frames, clips) the mean. Media and texts a batch shares are embedded
//! once.
//!
//! The detail kept beside a score: `{"sentences": [{"text", "score", "min"}], COUNT: n}` (or
//! `"prompt"` for the prompt against a candidate's own media), `min` the lowest item's cosine.

use super::media::CandidateMedia;
use super::{Candidate, Result, Scored};
use candle_core::Tensor;
use std::collections::HashMap;

/// How an agreement scorer reads media and embeds both sides.
pub trait Sides {
    /// A decoded media item: an image, a clip.
    type Item;
    /// The detail's key for how many items a candidate was compared with.
    const COUNT: &'static str;
    /// The items of `media`, or why there are none to compare with.
    fn items(&self, media: &[CandidateMedia]) -> Result<Vec<Self::Item>, String>;
    /// Normalized embeddings of `texts`.
    fn text_vectors(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
    /// Normalized embeddings of `items`.
    fn item_vectors(&self, items: &[Self::Item]) -> Result<Vec<Vec<f32>>>;
}

/// L2-normalized rows of `t`, as vectors.
pub fn normalized(t: &Tensor) -> Result<Vec<Vec<f32>>> {
    let rows = t.to_vec2::<f32>().map_err(super::image_text::inference)?;
    Ok(rows
        .into_iter()
        .map(|mut r| {
            let n = r.iter().map(|x| x * x).sum::<f32>().sqrt();
            if n > 0.0 {
                for x in &mut r {
                    *x /= n;
                }
            }
            r
        })
        .collect())
}

/// The sentences of `text`: split after `.`, `!`, `?`, `。`, `！`, `？` followed by a space or the
/// end, and at line breaks; a piece with no letter or digit joins the one before.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|x| x.1);
        let end = match c {
            '\n' => Some(at),
            '.' | '!' | '?' => next.is_none_or(char::is_whitespace).then_some(at + c.len_utf8()),
            '。' | '！' | '？' => Some(at + c.len_utf8()),
            _ => None,
        };
        if let Some(end) = end {
            push_sentence(&mut out, text, start, end);
            start = end;
        }
    }
    push_sentence(&mut out, text, start, text.len());
    out
}

fn push_sentence<'a>(out: &mut Vec<&'a str>, text: &'a str, start: usize, end: usize) {
    let piece = text[start..end].trim();
    if piece.is_empty() {
        return;
    }
    if !piece.chars().any(char::is_alphanumeric)
        && let Some(last) = out.last_mut()
    {
        // Glue the stray punctuation back: the previous sentence runs to here.
        let from = last.as_ptr() as usize - text.as_ptr() as usize;
        *last = text[from..end].trim();
        return;
    }
    out.push(piece);
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// What one candidate asks of the model: texts against media items, by index into the batch's
/// lists.
struct Plan {
    texts: Vec<usize>,
    items: Vec<usize>,
    /// Sentence by sentence (a candidate's text), or the prompt against its own media.
    sentences: bool,
}

/// Scores `batch` by agreement through `sides`; `split`: a text sentence by sentence. A
/// candidate whose media give no items scores NaN with the reason ([`Scored::media_failed`]).
pub fn agree<S: Sides>(sides: &S, batch: &[Candidate<'_>], split: bool) -> Result<Vec<Scored>> {
    let mut texts: Vec<&str> = Vec::new();
    let mut text_index: HashMap<&str, usize> = HashMap::new();
    let mut items: Vec<S::Item> = Vec::new();
    let mut item_index: HashMap<String, Vec<usize>> = HashMap::new();
    let mut plans: Vec<Result<Plan, String>> = Vec::with_capacity(batch.len());
    for c in batch {
        let (media, pieces, sentences) = if c.own_media.is_empty() {
            let pieces = if split { sentences(c.text) } else { vec![c.text.trim()] };
            (c.media, pieces, true)
        } else {
            (c.own_media, vec![c.prompt], false)
        };
        let key = media.iter().fold(String::new(), |mut k, m| {
            k.push_str(m.kind.as_str());
            k.push(':');
            k.push_str(&m.content);
            k.push(';');
            k
        });
        let found = match item_index.get(&key) {
            Some(ix) => Ok(ix.clone()),
            None => sides.items(media).map(|found| {
                let ix: Vec<usize> = (items.len()..items.len() + found.len()).collect();
                items.extend(found);
                item_index.insert(key, ix.clone());
                ix
            }),
        };
        plans.push(found.map(|item_ix| {
            let pieces = if pieces.is_empty() { vec![""] } else { pieces };
            let text_ix = pieces
                .into_iter()
                .map(|p| {
                    *text_index.entry(p).or_insert_with(|| {
                        texts.push(p);
                        texts.len() - 1
                    })
                })
                .collect();
            Plan { texts: text_ix, items: item_ix, sentences }
        }));
    }
    let text_vecs = sides.text_vectors(&texts)?;
    let item_vecs = sides.item_vectors(&items)?;
    Ok(plans
        .into_iter()
        .map(|plan| match plan {
            Err(e) => Scored::media_failed(&e),
            Ok(p) => {
                let per_text: Vec<(f32, f32)> = p
                    .texts
                    .iter()
                    .map(|t| {
                        let sims: Vec<f32> = p.items.iter().map(|i| dot(&text_vecs[*t], &item_vecs[*i])).collect();
                        let mean = sims.iter().sum::<f32>() / sims.len() as f32;
                        (mean, sims.iter().copied().fold(f32::INFINITY, f32::min))
                    })
                    .collect();
                let score = per_text.iter().map(|s| s.0).fold(f32::INFINITY, f32::min);
                let list: Vec<serde_json::Value> = p
                    .texts
                    .iter()
                    .zip(&per_text)
                    .map(|(t, (mean, min))| serde_json::json!({"text": texts[*t], "score": mean, "min": min}))
                    .collect();
                let key = if p.sentences { "sentences" } else { "prompt" };
                let mut detail = serde_json::json!({key: list});
                detail[S::COUNT] = p.items.len().into();
                Scored { score, detail: Some(detail), embeddings: Vec::new() }
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_split_into_sentences_and_stray_punctuation_stays_with_its_sentence() {
        assert_eq!(
            sentences("The cat sits on the mat. It is green! Is there a dog?"),
            ["The cat sits on the mat.", "It is green!", "Is there a dog?"]
        );
        assert_eq!(sentences("Version 1.5 is out.\nSee 3.2 ..."), ["Version 1.5 is out.", "See 3.2 ..."]);
        assert_eq!(sentences("猫がいる。犬もいる。"), ["猫がいる。", "犬もいる。"]);
        assert_eq!(sentences("  "), Vec::<&str>::new());
        assert_eq!(sentences("Wow! !!"), ["Wow! !!"]);
    }
}
