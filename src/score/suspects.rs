//! Suspects: the pairs whose label a scorer disagrees with most confidently. Per pair under the
//! label in force the store keeps the margin, score(chosen) - score(rejected); the probability that
//! the label is right is Bradley-Terry's sigma(margin / T).
//!
//! The temperature T puts a scorer's scale on the logit scale. A reward model trained with the
//! Bradley-Terry loss is on it already; a similarity is not (cosines differ by a few hundredths). So
//! unless the curator gives one, T is fitted to the project's own labels by maximum likelihood
//! (Platt scaling without an intercept: the T that makes the labels most probable, taking most
//! labels to be right). A scorer whose margins do not follow the labels at all gets no confidence
//! (T infinite, every probability 1/2). Suspects are ordered by margin, lowest first, which is the
//! same order as the probability whatever T is.

use super::{Result, ScoreError};
use crate::store::{MarginRow, ScorerRow, Store};

/// How a temperature was chosen.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Temperature {
    /// T (`f64::INFINITY`: the margins carry no sign of the labels, every probability is 1/2).
    pub value: f64,
    /// The pairs it was fitted on (0 when it was given).
    pub fitted_on: usize,
    /// Whether the curator gave it.
    pub given: bool,
}

/// sigma(margin / T): the probability that the label is right.
pub fn probability(margin: f64, t: f64) -> f64 {
    if t.is_infinite() { 0.5 } else { 1.0 / (1.0 + (-margin / t).exp()) }
}

/// The maximum-likelihood temperature for `margins` (each the label's chosen minus rejected):
/// T = 1/beta with beta >= 0 maximizing sum(log sigma(beta * m)). The log-likelihood is concave
/// in beta, so its derivative sum(m * sigma(-beta * m)) is found to cross zero by bisection. beta is
/// capped at 100 over the mean absolute margin, where margins that separate every label would
/// drive it to infinity.
pub fn fit_temperature(margins: &[f64]) -> f64 {
    let finite: Vec<f64> = margins.iter().copied().filter(|m| m.is_finite()).collect();
    let scale = finite.iter().map(|m| m.abs()).sum::<f64>() / finite.len().max(1) as f64;
    if finite.is_empty() || scale == 0.0 || finite.iter().sum::<f64>() <= 0.0 {
        return f64::INFINITY;
    }
    let slope = |beta: f64| finite.iter().map(|m| m / (1.0 + (beta * m).exp())).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 100.0 / scale);
    if slope(hi) >= 0.0 {
        return 1.0 / hi;
    }
    for _ in 0..200 {
        let mid = f64::midpoint(lo, hi);
        if slope(mid) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    1.0 / f64::midpoint(lo, hi)
}

/// A pair with its probability.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Suspect {
    /// The pair, its place and margin.
    #[serde(flatten)]
    pub pair: MarginRow,
    /// The probability that its label is right.
    pub probability: f64,
}

/// A scorer's suspects.
#[derive(Debug, Clone, PartialEq)]
pub struct Suspects {
    /// The scorer.
    pub scorer: ScorerRow,
    /// The temperature used.
    pub temperature: Temperature,
    /// The pairs, the most confident disagreement first.
    pub pairs: Vec<Suspect>,
}

/// The `top` pairs `scorer` (default: the latest used) disagrees with most, with `temperature`
/// or one fitted to the project's labels.
pub fn suspects(store: &Store, scorer: Option<&str>, top: usize, temperature: Option<f64>) -> Result<Suspects> {
    page(store, scorer, 0, top, temperature)
}

/// [`suspects`] from the `offset`-th pair on, `limit` of them (the app's queue, a page at a time).
pub fn page(
    store: &Store,
    scorer: Option<&str>,
    offset: u64,
    limit: usize,
    temperature: Option<f64>,
) -> Result<Suspects> {
    let Some(row) = store.scorer(scorer)? else {
        let known: Vec<String> = store.scorers()?.into_iter().map(|s| s.name).collect();
        return Err(ScoreError::NotFound(match (scorer, known.is_empty()) {
            (_, true) => "no scorer has scored this project yet: run `verdict score P --model DIR`".into(),
            (Some(n), false) => format!("no scorer `{n}` in this project (known: {})", known.join(", ")),
            (None, false) => "no scorer".into(),
        }));
    };
    let temperature = match temperature {
        Some(t) if t > 0.0 => Temperature { value: t, fitted_on: 0, given: true },
        Some(t) => return Err(ScoreError::Identity(format!("temperature {t}: it must be above 0"))),
        None => {
            let margins = store.margin_values(row.id)?;
            Temperature { value: fit_temperature(&margins), fitted_on: margins.len(), given: false }
        }
    };
    let pairs = store
        .margins_from(row.id, offset, Some(limit))?
        .into_iter()
        .map(|pair| Suspect { probability: probability(pair.margin, temperature.value), pair })
        .collect();
    Ok(Suspects { scorer: row, temperature, pairs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fitted_temperature_makes_the_labels_most_likely() {
        let margins = [0.3, 0.2, 0.25, -0.1, 0.15, 0.05, -0.2, 0.4];
        let t = fit_temperature(&margins);
        let ll = |t: f64| margins.iter().map(|m| probability(*m, t).ln()).sum::<f64>();
        assert!(t.is_finite() && t > 0.0, "{t}");
        for other in [t * 0.8, t * 1.25, t * 0.5, t * 2.0] {
            assert!(ll(t) > ll(other), "T={t} is not the maximum: {} at {other}", ll(other));
        }
    }

    #[test]
    fn margins_against_the_labels_give_no_confidence_and_separating_ones_a_capped_one() {
        assert!(fit_temperature(&[-0.3, 0.1, -0.2]).is_infinite());
        assert!((probability(-5.0, f64::INFINITY) - 0.5).abs() < f64::EPSILON);
        let t = fit_temperature(&[0.2, 0.4]);
        assert!((t - 0.3 / 100.0).abs() < 1e-12, "{t}");
        assert!(fit_temperature(&[]).is_infinite());
    }

    #[test]
    fn probability_is_bradley_terry() {
        assert!((probability(0.0, 0.1) - 0.5).abs() < 1e-12);
        assert!((probability(0.1, 0.1) - 1.0 / (1.0 + (-1.0f64).exp())).abs() < 1e-12);
        assert!(probability(-0.3, 0.1) < 0.05);
    }
}
