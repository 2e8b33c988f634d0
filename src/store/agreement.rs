//! How often a scorer agrees with the labels in force, broken down per dataset, per source model
//! (the models whose candidates the pair holds) and per curator (the author of the label in force,
//! or the dataset's own label): where a model and the labels part ways is often one dataset, one
//! generating model or one curator. Read from `score_margins` (one row per labelled pair a scorer
//! scored both sides of), so it follows every relabel.

use super::{Result, Store};

/// A scorer's agreement with the labels in force over one group of pairs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AgreementRow {
    /// The group: a dataset's name, a source model, a curator. `None`: pairs whose candidates name
    /// no model (per source model), or whose label is the dataset's own (per curator).
    pub name: Option<String>,
    /// Labelled pairs the scorer scored both sides of.
    pub pairs: u64,
    /// Of those, pairs it agrees with (the chosen candidate scored above the rejected one).
    pub agree: u64,
    /// Pairs it disagrees with (the rejected candidate scored above the chosen one).
    pub disagree: u64,
}

impl AgreementRow {
    /// Agreement in percent of the pairs (`None` for none).
    pub fn percent(&self) -> Option<f64> {
        (self.pairs > 0).then(|| 100.0 * self.agree as f64 / self.pairs as f64)
    }
}

/// A scorer's agreement with the labels in force, per group; each list the most pairs first.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Agreement {
    /// Per dataset (a name two datasets share is followed by the dataset's number).
    pub by_dataset: Vec<AgreementRow>,
    /// Per source model: the pairs holding a candidate of that model (a pair of two models counts
    /// under each).
    pub by_model: Vec<AgreementRow>,
    /// Per author of the label in force: a curator, or `None` for the dataset's own label.
    pub by_curator: Vec<AgreementRow>,
}

impl Agreement {
    /// The three breakdowns with what each groups by (`dataset`, `model`, `curator`).
    pub fn groups(&self) -> [(&'static str, &[AgreementRow]); 3] {
        [("dataset", &self.by_dataset), ("model", &self.by_model), ("curator", &self.by_curator)]
    }
}

/// A group's name in words: its name, else what `None` means for breakdown `by` (see
/// [`Agreement::groups`]).
pub fn group_name(by: &str, row: &AgreementRow) -> String {
    match (&row.name, by) {
        (Some(name), _) => name.clone(),
        (None, "model") => "(none named)".into(),
        (None, "curator") => "(original label)".into(),
        (None, _) => "(none)".into(),
    }
}

const BY_DATASET: &str = "
    SELECT d.name || CASE WHEN (SELECT count(*) FROM datasets o WHERE o.name = d.name) > 1
                          THEN ' (dataset ' || d.id || ')' ELSE '' END,
           count(*), sum(m.margin > 0), sum(m.margin < 0)
    FROM score_margins m JOIN samples s ON s.id = m.sample_id JOIN datasets d ON d.id = s.dataset_id
    WHERE m.scorer_id = ?1
    GROUP BY d.id ORDER BY count(*) DESC, 1";

const BY_MODEL: &str = "
    WITH pairs AS (
        SELECT m.margin, rc.model AS chosen, rr.model AS rejected
        FROM score_margins m
        LEFT JOIN responses rc ON rc.sample_id = m.sample_id AND rc.position = m.chosen
        LEFT JOIN responses rr ON rr.sample_id = m.sample_id AND rr.position = m.rejected
        WHERE m.scorer_id = ?1),
    sides AS (
        SELECT chosen AS model, margin FROM pairs
        UNION ALL
        SELECT rejected, margin FROM pairs WHERE rejected IS NOT chosen)
    SELECT model, count(*), sum(margin > 0), sum(margin < 0) FROM sides
    GROUP BY model ORDER BY count(*) DESC, model IS NULL, model";

const BY_CURATOR: &str = "
    SELECT j.author, count(*), sum(m.margin > 0), sum(m.margin < 0)
    FROM score_margins m
    LEFT JOIN curation c ON c.sample_id = m.sample_id
    LEFT JOIN judgments j ON j.id = c.judgment_id
    WHERE m.scorer_id = ?1
    GROUP BY j.author ORDER BY count(*) DESC, j.author IS NULL, j.author";

impl Store {
    /// How often scorer `scorer` (its row id) agrees with the labels in force, per dataset, source
    /// model and curator.
    pub fn agreement(&self, scorer: i64) -> Result<Agreement> {
        let rows = |sql: &str| -> Result<Vec<AgreementRow>> {
            let count = |r: &rusqlite::Row<'_>, i: usize| r.get::<_, Option<i64>>(i).map(|n| n.unwrap_or(0) as u64);
            self.conn
                .prepare_cached(sql)
                .and_then(|mut st| {
                    st.query_map([scorer], |r| {
                        Ok(AgreementRow {
                            name: r.get(0)?,
                            pairs: count(r, 1)?,
                            agree: count(r, 2)?,
                            disagree: count(r, 3)?,
                        })
                    })?
                    .collect()
                })
                .map_err(|e| self.err(e))
        };
        Ok(Agreement { by_dataset: rows(BY_DATASET)?, by_model: rows(BY_MODEL)?, by_curator: rows(BY_CURATOR)? })
    }
}
