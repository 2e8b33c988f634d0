//! Project-wide statistics for the statistics panel (and scripts): judgment distributions per
//! dataset and per source model, chosen vs rejected lengths (length bias), rating distributions
//! per aspect, and curator activity over time. Aggregates over the whole project: run them off the
//! UI thread. Per-sample figures come from `sample_stats` (migration 3), a narrow table, instead of
//! joining judgments to responses: on a million samples that is a fraction of a second, not 8-10 s.

use super::{Result, Store};

/// The figures the statistics panel plots.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    /// (dataset, label in force in words such as `A>B`, `tie`, `ranking`, `ratings`, samples with it):
    /// the curator's label where there is one, else the source's.
    pub judgments_by_dataset: Vec<(String, String, u64)>,
    /// (model, times its response was the chosen one by the label in force, times rejected), most
    /// frequent first.
    pub model_outcomes: Vec<(String, u64, u64)>,
    /// Up to `max_points` (chosen length, rejected length) pairs, in characters: per sample, the first
    /// original pairwise, correction or ranking judgment that names two stored responses with text.
    pub length_pairs: Vec<(f64, f64)>,
    /// Of the samples with such a pair: how many, and in how many the chosen text is longer.
    pub pairs_total: u64,
    /// See `pairs_total`.
    pub chosen_longer: u64,
    /// (aspect, numeric value, count) over every rating with a numeric value.
    pub ratings: Vec<(String, f64, u64)>,
    /// (day `YYYY-MM-DD`, curation actions that day), oldest first.
    pub curator_days: Vec<(String, u64)>,
    /// Samples in the project, and samples a curator's work marks now (relabeled, flagged, noted
    /// or excluded; an action undone no longer counts).
    pub samples: u64,
    /// See `samples`.
    pub curated: u64,
}

impl Store {
    /// Computes the overview; `max_points` bounds the length scatter.
    pub fn overview(&self, max_points: usize) -> Result<Overview> {
        let c = &self.conn;
        let wrap = |e| self.err(e);
        let mut o = Overview::default();
        let mut st = c
            .prepare(
                "SELECT d.name, s.current, count(*)
                 FROM sample_stats s JOIN datasets d ON d.id = s.dataset_id
                 WHERE s.current != ''
                 GROUP BY d.name, s.current ORDER BY d.name, s.current",
            )
            .map_err(wrap)?;
        o.judgments_by_dataset = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))
            .and_then(Iterator::collect)
            .map_err(wrap)?;
        // Only samples that name a model at all are joined to their judgments and responses. The
        // judgment is the label in force: the curator's where there is one, else the originals
        // (ties and both-bad prefer neither side).
        let mut st = c
            .prepare(
                "SELECT r.model, sum(r.position = j.chosen), sum(r.position = j.rejected)
                 FROM sample_stats s
                 LEFT JOIN curation c ON c.sample_id = s.sample_id
                 JOIN judgments j ON j.sample_id = s.sample_id
                 JOIN responses r ON r.sample_id = s.sample_id
                 WHERE s.models IS NOT NULL AND j.chosen IS NOT NULL AND j.kind NOT IN ('tie', 'both_bad')
                   AND CASE WHEN c.judgment_id IS NOT NULL THEN j.id = c.judgment_id ELSE j.source = 'original' END
                   AND r.model IS NOT NULL AND (r.position = j.chosen OR r.position = j.rejected)
                 GROUP BY r.model ORDER BY count(*) DESC LIMIT 30",
            )
            .map_err(wrap)?;
        o.model_outcomes = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)))
            .and_then(Iterator::collect)
            .map_err(wrap)?;
        let pairs = "FROM sample_stats WHERE len_chosen IS NOT NULL AND len_rejected IS NOT NULL";
        let (total, longer): (i64, i64) = c
            .query_row(&format!("SELECT count(*), coalesce(sum(len_chosen > len_rejected), 0) {pairs}"), [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(wrap)?;
        o.pairs_total = total as u64;
        o.chosen_longer = longer as u64;
        // An even spread over the whole project: every k-th sample.
        let step = (o.pairs_total / max_points.max(1) as u64).max(1);
        let mut st = c
            .prepare(&format!("SELECT len_chosen, len_rejected {pairs} AND sample_id % ?1 = 0 LIMIT ?2"))
            .map_err(wrap)?;
        o.length_pairs = st
            .query_map(rusqlite::params![step as i64, max_points as i64], |r| {
                Ok((r.get::<_, i64>(0)? as f64, r.get::<_, i64>(1)? as f64))
            })
            .and_then(Iterator::collect)
            .map_err(wrap)?;
        let mut st = c
            .prepare(
                // People's ratings only: a scoring model's scores are its own figures, not ratings.
                "SELECT r.aspect, r.value, count(*) FROM ratings r JOIN judgments j ON j.id = r.judgment_id
                 WHERE r.value IS NOT NULL AND j.source != 'model'
                 GROUP BY r.aspect, r.value ORDER BY r.aspect, r.value LIMIT 2000",
            )
            .map_err(wrap)?;
        o.ratings = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))
            .and_then(Iterator::collect)
            .map_err(wrap)?;
        let mut st = c
            .prepare("SELECT substr(created_at, 1, 10) AS day, count(*) FROM audit_log GROUP BY day ORDER BY day")
            .map_err(wrap)?;
        o.curator_days = st
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))
            .and_then(Iterator::collect)
            .map_err(wrap)?;
        o.samples = c.query_row("SELECT count(*) FROM sample_stats", [], |r| r.get::<_, i64>(0)).map_err(wrap)? as u64;
        o.curated = c
            .query_row("SELECT count(*) FROM sample_stats WHERE edited OR flagged OR noted OR excluded", [], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(wrap)? as u64;
        Ok(o)
    }
}
