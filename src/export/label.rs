//! The label an export writes: the current judgment (the latest curator judgment, else the
//! original) turned into pairs of response positions, with rankings and ratings expanded by the
//! pair mode.

use super::options::{PairMode, TiesMode};
use crate::model::{JudgmentKind, JudgmentSource};
use crate::store::{FullSample, JudgmentView, RatingView};

/// What a written pair says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKind {
    /// `chosen` is preferred over `rejected`.
    Preference,
    /// Both are equally good (only with `--ties keep`).
    Tie,
    /// Neither is acceptable (only with `--ties keep`).
    BothBad,
}

/// One pair of response positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pair {
    /// The preferred response (for ties: the first).
    pub chosen: u32,
    /// The dispreferred response.
    pub rejected: u32,
    /// A reward margin: the score difference when the pair comes from ratings, or the source's own.
    pub margin: Option<f64>,
    /// Preference, tie or both-bad.
    pub kind: PairKind,
}

/// Why a sample gives no pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoPair {
    /// It has no judgment at all.
    NoLabel,
    /// Its label is a tie (left out by default).
    Tie,
    /// Its label is "both bad" (left out by default).
    BothBad,
    /// Its ranking or ratings do not order two responses (one response rated, all scores equal).
    Unordered,
    /// Its label names a response the sample does not have.
    BadPositions,
}

impl NoPair {
    /// Its name in the manifest's counts.
    pub fn as_str(self) -> &'static str {
        match self {
            NoPair::NoLabel => "no_label",
            NoPair::Tie => "tie",
            NoPair::BothBad => "both_bad",
            NoPair::Unordered => "unordered",
            NoPair::BadPositions => "label_names_missing_response",
        }
    }
}

/// The judgment in force: the curator's (the curation state names it), else the original one
/// that states the sample's label (`overall`, else the first naming a pair, else the first).
pub fn current(s: &FullSample) -> Option<&JudgmentView> {
    if let Some(id) = s.curation.as_ref().and_then(|c| c.state.judgment_id)
        && let Some(j) = s.sample.judgments.iter().find(|j| j.id == id)
    {
        return Some(j);
    }
    original(s)
}

/// The original label (never a curator's or a model's).
pub fn original(s: &FullSample) -> Option<&JudgmentView> {
    let originals = || s.sample.judgments.iter().filter(|j| j.source == JudgmentSource::Original);
    originals()
        .find(|j| j.label == "overall")
        .or_else(|| originals().find(|j| j.chosen.is_some()))
        .or_else(|| originals().next())
}

/// How the pairs are chosen.
#[derive(Debug, Clone)]
pub struct PairRules {
    /// Rankings and ratings to pairs.
    pub mode: PairMode,
    /// The rated aspect (or original judgment label) that decides.
    pub aspect: Option<String>,
    /// Ties and both-bad.
    pub ties: TiesMode,
}

/// The judgment that decides this sample's pairs, and whether a curator made it.
pub fn deciding<'a>(s: &'a FullSample, rules: &PairRules) -> Option<&'a JudgmentView> {
    let judgment = current(s)?;
    if judgment.source == JudgmentSource::Original
        && let Some(aspect) = &rules.aspect
        && let Some(by_aspect) = s.sample.judgments.iter().find(|j| {
            j.source == JudgmentSource::Original && j.chosen.is_some() && j.label.eq_ignore_ascii_case(aspect)
        })
    {
        return Some(by_aspect);
    }
    Some(judgment)
}

/// The pairs a sample gives under `rules`.
pub fn pairs(s: &FullSample, rules: &PairRules) -> Result<Vec<Pair>, NoPair> {
    let judgment = deciding(s, rules).ok_or(NoPair::NoLabel)?;
    let n = s.sample.responses.len() as u32;
    let margin = detail_margin(judgment);
    let pair = |kind| -> Result<Vec<Pair>, NoPair> {
        match (judgment.chosen, judgment.rejected) {
            (Some(c), Some(r)) if c < n && r < n && c != r => Ok(vec![Pair { chosen: c, rejected: r, margin, kind }]),
            _ => Err(NoPair::BadPositions),
        }
    };
    match judgment.kind {
        JudgmentKind::Pairwise | JudgmentKind::Correction => pair(PairKind::Preference),
        JudgmentKind::Tie if rules.ties == TiesMode::Keep => pair(PairKind::Tie),
        JudgmentKind::BothBad if rules.ties == TiesMode::Keep => pair(PairKind::BothBad),
        JudgmentKind::Tie => Err(NoPair::Tie),
        JudgmentKind::BothBad => Err(NoPair::BothBad),
        JudgmentKind::Ranking => {
            // A ranking that carries per-response scores (a column mapping's `scores =`) orders
            // and expands by them, so its pairs get their score differences as margins.
            let scores = scores(&judgment.ratings, rules.aspect.as_deref(), n);
            let score = |p: u32| scores.iter().find(|s| s.0 == p).map(|s| s.1);
            let mut order: Vec<(u32, Option<f64>)> =
                judgment.ranking.iter().filter(|p| **p < n).map(|p| (*p, score(*p))).collect();
            if order.iter().all(|o| o.1.is_some()) {
                // Best first; equal scores keep the ranking's order (the sort is stable).
                order.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
            }
            expand(&order, rules.mode)
        }
        JudgmentKind::Ratings => {
            let scores = scores(&judgment.ratings, rules.aspect.as_deref(), n);
            let mut order: Vec<(u32, Option<f64>)> = scores.into_iter().map(|(p, v)| (p, Some(v))).collect();
            // Best first; equal scores keep position order.
            order.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(a.0.cmp(&b.0)));
            expand(&order, rules.mode)
        }
    }
}

/// `pairs` with their margins from the model judgment of `scorer` (its ratings, one per scored
/// candidate, as the scoring job writes them): score(chosen) - score(rejected), `None` where the
/// scorer has no score for one of the two. A tie's or both-bad pair keeps no margin.
pub fn with_model_margins(s: &FullSample, pairs: Vec<Pair>, scorer: Option<&str>) -> Vec<Pair> {
    let judgment = s
        .sample
        .judgments
        .iter()
        .find(|j| j.source == JudgmentSource::Model && j.author.as_deref() == scorer && scorer.is_some());
    let score = |p: u32| judgment?.ratings.iter().find(|r| r.response == Some(p))?.value;
    pairs
        .into_iter()
        .map(|p| Pair {
            margin: match p.kind {
                PairKind::Preference => score(p.chosen).zip(score(p.rejected)).map(|(c, r)| c - r),
                PairKind::Tie | PairKind::BothBad => None,
            },
            ..p
        })
        .collect()
}

/// The margin a pair judgment's detail gives: its own `margin` (ms-swift and OpenRLHF rows read
/// back), else `chosen_score - rejected_score` (the LLaVA-DPO layout keeps both scores there).
/// A curator's judgment has neither: its pair has no margin.
fn detail_margin(j: &JudgmentView) -> Option<f64> {
    let detail: serde_json::Value = serde_json::from_str(j.detail.as_deref()?).ok()?;
    let number = |key: &str| -> Option<f64> {
        let v = detail.get(key)?;
        v.as_f64().or_else(|| v.as_str().and_then(|t| t.trim().parse().ok())).filter(|x: &f64| x.is_finite())
    };
    number("margin").or_else(|| Some(number("chosen_score")? - number("rejected_score")?))
}

/// Each response's score (`store::response_scores`): its rating of `aspect`, else its `overall`
/// rating, else the mean of its numeric ratings. Responses without one are left out.
fn scores(ratings: &[RatingView], aspect: Option<&str>, n: u32) -> Vec<(u32, f64)> {
    crate::store::response_scores(ratings.iter(), aspect, n).0
}

/// Pairs from responses ordered best first (with their scores, when rated).
fn expand(order: &[(u32, Option<f64>)], mode: PairMode) -> Result<Vec<Pair>, NoPair> {
    let better = |a: &(u32, Option<f64>), b: &(u32, Option<f64>)| match (a.1, b.1) {
        (Some(x), Some(y)) => x > y,
        _ => true,
    };
    let pair = |a: &(u32, Option<f64>), b: &(u32, Option<f64>)| Pair {
        chosen: a.0,
        rejected: b.0,
        margin: a.1.zip(b.1).map(|(x, y)| x - y),
        kind: PairKind::Preference,
    };
    let out: Vec<Pair> = match mode {
        PairMode::BestWorst => match (order.first(), order.last()) {
            (Some(a), Some(b)) if order.len() >= 2 && better(a, b) => vec![pair(a, b)],
            _ => Vec::new(),
        },
        PairMode::All => order
            .iter()
            .enumerate()
            .flat_map(|(i, a)| order[i + 1..].iter().filter(|b| better(a, b)).map(move |b| pair(a, b)))
            .collect(),
        PairMode::Adjacent => order.windows(2).filter(|w| better(&w[0], &w[1])).map(|w| pair(&w[0], &w[1])).collect(),
    };
    if out.is_empty() { Err(NoPair::Unordered) } else { Ok(out) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DatasetId, SampleId};
    use crate::store::{ResponseView, SampleView};

    fn judgment(kind: JudgmentKind, chosen: Option<u32>, rejected: Option<u32>) -> JudgmentView {
        JudgmentView {
            id: 1,
            source: JudgmentSource::Original,
            author: None,
            label: "overall".into(),
            kind,
            chosen,
            rejected,
            ranking: Vec::new(),
            detail: None,
            ratings: Vec::new(),
            created_at: String::new(),
        }
    }

    fn sample(n: u32, judgments: Vec<JudgmentView>) -> FullSample {
        FullSample {
            sample: SampleView {
                id: SampleId(1),
                dataset_id: DatasetId(1),
                dataset_name: "d".into(),
                row_index: 0,
                sub_index: 0,
                source_key: None,
                prompt: "p".into(),
                context: Vec::new(),
                modality: "text".into(),
                extras: None,
                responses: (0..n)
                    .map(|p| ResponseView {
                        position: p,
                        text: Some(format!("r{p}")),
                        model: None,
                        field: format!("r{p}"),
                        meta: None,
                    })
                    .collect(),
                media: Vec::new(),
                judgments,
            },
            curation: None,
        }
    }

    fn rules(mode: PairMode) -> PairRules {
        PairRules { mode, aspect: None, ties: TiesMode::Drop }
    }

    fn rating(p: u32, aspect: &str, v: f64) -> RatingView {
        RatingView {
            response: Some(p),
            aspect: aspect.into(),
            value: Some(v),
            raw: v.to_string(),
            rationale: None,
            critique: None,
        }
    }

    fn positions(p: &[Pair]) -> Vec<(u32, u32)> {
        p.iter().map(|p| (p.chosen, p.rejected)).collect()
    }

    #[test]
    fn a_ranking_expands_by_mode() {
        let mut j = judgment(JudgmentKind::Ranking, None, None);
        j.ranking = vec![2, 0, 1];
        let s = sample(3, vec![j]);
        assert_eq!(positions(&pairs(&s, &rules(PairMode::BestWorst)).expect("pairs")), [(2, 1)]);
        assert_eq!(positions(&pairs(&s, &rules(PairMode::All)).expect("pairs")), [(2, 0), (2, 1), (0, 1)]);
        assert_eq!(positions(&pairs(&s, &rules(PairMode::Adjacent)).expect("pairs")), [(2, 0), (0, 1)]);
    }

    #[test]
    fn ratings_order_by_the_mean_and_skip_equal_scores() {
        let mut j = judgment(JudgmentKind::Ratings, None, None);
        j.ratings = vec![
            rating(0, "Helpfulness", 3.0),
            rating(0, "Faithfulness", 5.0),
            rating(1, "Helpfulness", 4.0),
            rating(1, "Faithfulness", 4.0),
            rating(2, "Helpfulness", 1.0),
        ];
        let s = sample(3, vec![j]);
        // Means 4, 4, 1: best-worst is the first of the best over the worst; `all` skips the equal pair.
        let bw = pairs(&s, &rules(PairMode::BestWorst)).expect("pairs");
        assert_eq!(positions(&bw), [(0, 2)]);
        assert_eq!(bw[0].margin, Some(3.0));
        assert_eq!(positions(&pairs(&s, &rules(PairMode::All)).expect("pairs")), [(0, 2), (1, 2)]);
        let by_aspect = PairRules { aspect: Some("helpfulness".into()), ..rules(PairMode::BestWorst) };
        assert_eq!(positions(&pairs(&s, &by_aspect).expect("pairs")), [(1, 2)]);
    }

    #[test]
    fn a_pair_takes_its_margin_from_the_scores_in_its_detail() {
        let mut j = judgment(JudgmentKind::Pairwise, Some(0), Some(1));
        j.detail = Some(r#"{"chosen_score": 4.5, "rejected_score": "1.25"}"#.into());
        let s = sample(2, vec![j.clone()]);
        assert_eq!(pairs(&s, &rules(PairMode::BestWorst)).expect("pair")[0].margin, Some(3.25));
        j.detail = Some(r#"{"margin": 0.5, "chosen_score": 4.5, "rejected_score": 1}"#.into());
        let s = sample(2, vec![j.clone()]);
        assert_eq!(pairs(&s, &rules(PairMode::All)).expect("pair")[0].margin, Some(0.5), "its own margin first");
        j.detail = Some(r#"{"chosen_score": 4.5}"#.into());
        let s = sample(2, vec![j]);
        assert_eq!(pairs(&s, &rules(PairMode::BestWorst)).expect("pair")[0].margin, None, "one score is no margin");
    }

    #[test]
    fn a_ranking_with_scores_expands_with_their_differences() {
        let mut j = judgment(JudgmentKind::Ranking, None, None);
        j.ranking = vec![2, 0, 1];
        j.ratings = vec![rating(0, "score", 6.0), rating(1, "score", 2.5), rating(2, "score", 9.0)];
        let s = sample(3, vec![j.clone()]);
        let bw = pairs(&s, &rules(PairMode::BestWorst)).expect("pairs");
        assert_eq!((positions(&bw), bw[0].margin), (vec![(2, 1)], Some(6.5)));
        let all = pairs(&s, &rules(PairMode::All)).expect("pairs");
        assert_eq!(positions(&all), [(2, 0), (2, 1), (0, 1)]);
        assert_eq!(all.iter().map(|p| p.margin).collect::<Vec<_>>(), [Some(3.0), Some(6.5), Some(3.5)]);
        // `--aspect` picks the rated aspect; one the ranking does not rate leaves it unscored.
        let by = |a: &str| PairRules { aspect: Some(a.into()), ..rules(PairMode::BestWorst) };
        assert_eq!(pairs(&s, &by("score")).expect("pairs")[0].margin, Some(6.5));
        assert_eq!(pairs(&s, &by("helpfulness")).expect("pairs")[0].margin, None);
        assert_eq!(positions(&pairs(&s, &by("helpfulness")).expect("pairs")), [(2, 1)], "the ranking's order");
    }

    #[test]
    fn ties_are_left_out_unless_kept() {
        let s = sample(2, vec![judgment(JudgmentKind::Tie, Some(0), Some(1))]);
        assert_eq!(pairs(&s, &rules(PairMode::BestWorst)), Err(NoPair::Tie));
        let keep = PairRules { ties: TiesMode::Keep, ..rules(PairMode::BestWorst) };
        assert_eq!(pairs(&s, &keep).expect("kept")[0].kind, PairKind::Tie);
    }

    #[test]
    fn a_curator_judgment_wins_over_the_original() {
        let mut curator = judgment(JudgmentKind::Pairwise, Some(1), Some(0));
        curator.id = 2;
        curator.source = JudgmentSource::Curator;
        let mut s = sample(2, vec![judgment(JudgmentKind::Pairwise, Some(0), Some(1)), curator]);
        assert_eq!(positions(&pairs(&s, &rules(PairMode::BestWorst)).expect("pairs")), [(0, 1)]);
        s.curation = Some(crate::store::CurationRecord {
            state: crate::store::CurationState { judgment_id: Some(2), ..Default::default() },
            updated_at: String::new(),
        });
        assert_eq!(positions(&pairs(&s, &rules(PairMode::BestWorst)).expect("pairs")), [(1, 0)]);
    }
}
