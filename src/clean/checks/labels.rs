//! The label rules, over the label in force (`store::in_force`: the curator's judgment, else the
//! original one that states the sample's label): the same prompt and media labelled the opposite
//! way in another sample, and ratings that put the rejected response above the chosen one.

use crate::clean::text::{exact_key, normalize};
use crate::model::{JudgmentKind, JudgmentSource, SampleId};
use crate::store::ScoreBasis;
use crate::store::{JudgmentView, RatingView, SampleView};
use std::collections::HashMap;

/// The chosen and rejected response of a label: a pair's, a ranking's first and last, ratings'
/// best and worst (when they differ); `None` for a tie, both bad, or positions the sample lacks.
pub fn chosen_rejected(j: &JudgmentView, n: u32) -> Option<(u32, u32)> {
    let pair = match j.kind {
        JudgmentKind::Pairwise | JudgmentKind::Correction => j.chosen.zip(j.rejected),
        JudgmentKind::Ranking => {
            j.chosen.zip(j.rejected).or_else(|| j.ranking.first().copied().zip(j.ranking.last().copied()))
        }
        JudgmentKind::Ratings => {
            let (scores, _) = scores(j.ratings.iter(), n);
            let best = scores.iter().copied().reduce(|a, b| if b.1 > a.1 { b } else { a });
            let worst = scores.iter().copied().reduce(|a, b| if b.1 < a.1 { b } else { a });
            best.zip(worst).filter(|(b, w)| b.1 > w.1).map(|(b, w)| (b.0, w.0))
        }
        JudgmentKind::Tie | JudgmentKind::BothBad => None,
    };
    pair.filter(|&(c, r)| c != r && c < n && r < n)
}

/// Every preference a label states, as (better, worse) positions: a pair's one, every ordered
/// pair of a ranking, every pair of differently rated responses.
pub fn preferences(j: &JudgmentView, n: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    match j.kind {
        JudgmentKind::Ranking if !j.ranking.is_empty() => {
            for (i, &a) in j.ranking.iter().enumerate() {
                out.extend(j.ranking[i + 1..].iter().map(|&b| (a, b)));
            }
        }
        JudgmentKind::Ratings => {
            let (scores, _) = scores(j.ratings.iter(), n);
            for a in &scores {
                out.extend(scores.iter().filter(|b| a.1 > b.1).map(|b| (a.0, b.0)));
            }
        }
        _ => out.extend(chosen_rejected(j, n)),
    }
    out.retain(|&(a, b)| a != b && a < n && b < n);
    out
}

/// What a response's score is: its `overall` rating, or the mean of its numeric ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The `overall` aspect (some response has one).
    Overall,
    /// The mean of each response's numeric ratings.
    Mean,
}

/// Each rated response's score (the export's rule, `store::response_scores`: the `overall`
/// aspect when any response has a numeric one, else the mean of each response's numeric ratings),
/// by position.
pub fn scores<'a>(ratings: impl Iterator<Item = &'a RatingView> + Clone, n: u32) -> (Vec<(u32, f64)>, Basis) {
    let (scores, basis) = crate::store::response_scores(ratings, None, n);
    (scores, if basis == ScoreBasis::Overall { Basis::Overall } else { Basis::Mean })
}

/// The ratings that stand beside a label: the newest curator ratings judgment's (a correction of
/// the ratings), else every original judgment's.
pub fn ratings_in_force(s: &SampleView) -> Vec<&RatingView> {
    let curator = s
        .judgments
        .iter()
        .filter(|j| j.source == JudgmentSource::Curator && j.kind == JudgmentKind::Ratings)
        .max_by_key(|j| j.id);
    match curator {
        Some(j) => j.ratings.iter().collect(),
        None => s.judgments.iter().filter(|j| j.source == JudgmentSource::Original).flat_map(|j| &j.ratings).collect(),
    }
}

/// Why the ratings contradict the label: the rejected response scores above the chosen one.
pub fn ratings_contradiction(s: &SampleView, label: &JudgmentView) -> Option<String> {
    // A ratings label orders by the ratings themselves.
    if label.kind == JudgmentKind::Ratings {
        return None;
    }
    let n = s.responses.len() as u32;
    let (chosen, rejected) = chosen_rejected(label, n)?;
    let ratings = ratings_in_force(s);
    let (scores, basis) = scores(ratings.iter().copied(), n);
    let score = |p: u32| scores.iter().find(|s| s.0 == p).map(|s| s.1);
    let (c, r) = (score(chosen)?, score(rejected)?);
    (r > c).then(|| {
        let on = match basis {
            Basis::Overall => "on its overall rating",
            Basis::Mean => "on the mean of its ratings",
        };
        format!(
            "rejected {} is rated above chosen {} {on}: {} against {}",
            crate::store::position_letter(rejected),
            crate::store::position_letter(chosen),
            number(r),
            number(c)
        )
    })
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") }
}

/// The key of "the same prompt and media": the normalized prompt, the earlier turns (role and
/// normalized text) and the set of the input media's content keys.
pub fn question_key(s: &SampleView, media_keys: &[&str]) -> [u8; 16] {
    let mut text = normalize(&s.prompt);
    for turn in &s.context {
        text.push('\u{1e}');
        text.push_str(&turn.role);
        text.push('\u{1f}');
        text.push_str(&normalize(&turn.content));
    }
    let mut media: Vec<&str> = media_keys.to_vec();
    media.sort_unstable();
    media.dedup();
    text.push('\u{1d}');
    text.push_str(&media.join("\u{1f}"));
    exact_key(&text)
}

/// One preference of one sample, its answers by the exact keys of their normalized text.
#[derive(Debug, Clone, Copy)]
struct Entry {
    question: [u8; 16],
    sample: SampleId,
    better: [u8; 16],
    worse: [u8; 16],
    positions: (u32, u32),
}

/// A sample whose label is the opposite of another's on the same question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opposite {
    /// The sample.
    pub sample: SampleId,
    /// The first other sample that prefers the opposite.
    pub other: SampleId,
    /// How many other samples do.
    pub others: u64,
    /// This sample's better and worse response.
    pub here: (u32, u32),
    /// The other sample's better and worse response (the same two answers, reversed).
    pub there: (u32, u32),
}

/// Every sample's preferences by question, to find opposite labels across rows and datasets.
#[derive(Debug, Default)]
pub struct Opposites {
    entries: Vec<Entry>,
}

impl Opposites {
    /// Records the preferences of `s`'s label under its question key.
    pub fn add(&mut self, question: [u8; 16], s: &SampleView, label: &JudgmentView) {
        let n = s.responses.len() as u32;
        let key = |p: u32| {
            let text = s.responses.get(p as usize).and_then(|r| r.text.as_deref()).unwrap_or_default();
            // A media-only answer has no text to compare.
            (!text.trim().is_empty()).then(|| exact_key(&normalize(text)))
        };
        for (b, w) in preferences(label, n) {
            if let (Some(better), Some(worse)) = (key(b), key(w))
                && better != worse
            {
                self.entries.push(Entry { question, sample: s.id, better, worse, positions: (b, w) });
            }
        }
    }

    /// The samples whose label another sample of the same question reverses: one per pair of
    /// samples, by sample.
    pub fn finish(mut self) -> Vec<Opposite> {
        self.entries.sort_by_key(|a| (a.question, a.sample));
        let mut out = Vec::new();
        for group in self.entries.chunk_by(|a, b| a.question == b.question) {
            if group.iter().all(|e| e.sample == group[0].sample) {
                continue;
            }
            let mut by_pair: HashMap<([u8; 16], [u8; 16]), Vec<&Entry>> = HashMap::new();
            for e in group {
                by_pair.entry((e.better, e.worse)).or_default().push(e);
            }
            let mut seen: Vec<(SampleId, SampleId)> = Vec::new();
            for e in group {
                let Some(reversed) = by_pair.get(&(e.worse, e.better)) else { continue };
                let others: Vec<&&Entry> = reversed.iter().filter(|o| o.sample != e.sample).collect();
                let Some(first) = others.first() else { continue };
                if seen.contains(&(e.sample, first.sample)) {
                    continue;
                }
                seen.push((e.sample, first.sample));
                let mut distinct: Vec<SampleId> = others.iter().map(|o| o.sample).collect();
                distinct.dedup();
                out.push(Opposite {
                    sample: e.sample,
                    other: first.sample,
                    others: distinct.len() as u64,
                    here: e.positions,
                    there: first.positions,
                });
            }
        }
        out.sort_by_key(|o| (o.sample, o.other));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judgment(kind: JudgmentKind, chosen: Option<u32>, rejected: Option<u32>, ranking: Vec<u32>) -> JudgmentView {
        JudgmentView {
            id: 1,
            source: JudgmentSource::Original,
            author: None,
            label: "overall".into(),
            kind,
            chosen,
            rejected,
            ranking,
            detail: None,
            ratings: Vec::new(),
            created_at: String::new(),
        }
    }

    fn rating(response: u32, aspect: &str, value: f64) -> RatingView {
        RatingView {
            response: Some(response),
            aspect: aspect.into(),
            value: Some(value),
            raw: value.to_string(),
            rationale: None,
            critique: None,
        }
    }

    #[test]
    fn labels_give_their_chosen_and_rejected_and_every_preference() {
        let pair = judgment(JudgmentKind::Pairwise, Some(1), Some(0), vec![]);
        assert_eq!(chosen_rejected(&pair, 2), Some((1, 0)));
        assert_eq!(chosen_rejected(&pair, 1), None, "a position the sample lacks");
        assert_eq!(chosen_rejected(&judgment(JudgmentKind::Tie, Some(0), Some(1), vec![]), 2), None);
        let ranking = judgment(JudgmentKind::Ranking, None, None, vec![2, 0, 1]);
        assert_eq!(chosen_rejected(&ranking, 3), Some((2, 1)));
        assert_eq!(preferences(&ranking, 3), vec![(2, 0), (2, 1), (0, 1)]);
        let mut rated = judgment(JudgmentKind::Ratings, None, None, vec![]);
        rated.ratings =
            vec![rating(0, "Helpfulness", 2.0), rating(1, "Helpfulness", 5.0), rating(2, "Helpfulness", 2.0)];
        assert_eq!(chosen_rejected(&rated, 3), Some((1, 0)));
        assert_eq!(preferences(&rated, 3), vec![(1, 0), (1, 2)]);
    }

    #[test]
    fn scores_take_overall_else_the_mean() {
        let r = [rating(0, "overall", 2.0), rating(0, "clarity", 5.0), rating(1, "overall", 4.0)];
        assert_eq!(scores(r.iter(), 2), (vec![(0, 2.0), (1, 4.0)], Basis::Overall));
        let r = [rating(0, "clarity", 2.0), rating(0, "safety", 4.0), rating(1, "clarity", 1.0)];
        assert_eq!(scores(r.iter(), 2), (vec![(0, 3.0), (1, 1.0)], Basis::Mean));
    }
}
