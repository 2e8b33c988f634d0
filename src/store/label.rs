//! The one definition of the label in force, over a loaded sample: the curator judgment the
//! curation state names, else the original judgment that states the sample's label (`overall`,
//! else the first naming a pair, else the first). `show`, the app, statistics and export all use
//! it; [`super::curation::label_in`] is the same rule in SQL, and `sample_stats.current` its summary.

use super::read::JudgmentView;
use crate::model::JudgmentSource;

/// The judgment in force among `judgments`, given the curation state's judgment id.
pub fn in_force(judgments: &[JudgmentView], curator_judgment: Option<i64>) -> Option<&JudgmentView> {
    if let Some(id) = curator_judgment
        && let Some(j) = judgments.iter().find(|j| j.id == id)
    {
        return Some(j);
    }
    original(judgments)
}

/// The source's own label (never a curator's or a model's).
pub fn original(judgments: &[JudgmentView]) -> Option<&JudgmentView> {
    let originals = || judgments.iter().filter(|j| j.source == JudgmentSource::Original);
    originals()
        .find(|j| j.label == "overall")
        .or_else(|| originals().find(|j| j.chosen.is_some()))
        .or_else(|| originals().next())
}

/// What a response's score was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreBasis {
    /// The aspect asked for.
    Aspect,
    /// The `overall` aspect (some response has a numeric one).
    Overall,
    /// The mean of each response's numeric ratings.
    Mean,
}

/// Each rated response's score, by position: its rating of `aspect` when one is asked, else its
/// `overall` rating when any response has a numeric one, else the mean of its numeric ratings.
/// Responses without one are left out. The export orders rated responses by it; the checks
/// compare it with the label.
pub fn response_scores<'a>(
    ratings: impl Iterator<Item = &'a super::read::RatingView> + Clone,
    aspect: Option<&str>,
    n: u32,
) -> (Vec<(u32, f64)>, ScoreBasis) {
    let numeric =
        |r: &&super::read::RatingView| r.response.is_some_and(|p| p < n) && r.value.is_some_and(f64::is_finite);
    let (wanted, basis) = match aspect {
        Some(a) => (Some(a), ScoreBasis::Aspect),
        None if ratings.clone().filter(numeric).any(|r| r.aspect.eq_ignore_ascii_case("overall")) => {
            (Some("overall"), ScoreBasis::Overall)
        }
        None => (None, ScoreBasis::Mean),
    };
    let mut sums: Vec<(u32, f64, u32)> = Vec::new();
    for r in ratings.filter(numeric) {
        if wanted.is_some_and(|w| !r.aspect.eq_ignore_ascii_case(w)) {
            continue;
        }
        let (Some(p), Some(v)) = (r.response, r.value) else { continue };
        match sums.iter_mut().find(|s| s.0 == p) {
            Some(s) => {
                s.1 += v;
                s.2 += 1;
            }
            None => sums.push((p, v, 1)),
        }
    }
    sums.sort_by_key(|s| s.0);
    (sums.into_iter().map(|(p, sum, count)| (p, sum / f64::from(count))).collect(), basis)
}
