//! Running compiled queries (see `query`): how many samples match, and which, in id order.

use super::{Result, Store};
use crate::model::SampleId;
use crate::query::Compiled;

/// One line of a result list.
#[derive(Debug, Clone)]
pub struct SampleRow {
    /// The sample.
    pub id: SampleId,
    /// Its dataset's name.
    pub dataset: String,
    /// Its modality.
    pub modality: String,
    /// The prompt.
    pub prompt: String,
}

impl Store {
    /// How many samples match.
    pub fn count_matching(&self, q: &Compiled) -> Result<u64> {
        let sql = format!("SELECT count(*) FROM sample_stats st WHERE {}", q.condition);
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut st| st.query_row(rusqlite::params_from_iter(&q.params), |r| r.get::<_, i64>(0)))
            .map(|n| n as u64)
            .map_err(|e| self.err(e))
    }

    /// The matching samples in id order, `limit` of them from `offset`.
    pub fn matching(&self, q: &Compiled, limit: u64, offset: u64) -> Result<Vec<SampleRow>> {
        let sql = format!(
            "SELECT s.id, d.name, s.modality, s.prompt
             FROM sample_stats st JOIN samples s ON s.id = st.sample_id JOIN datasets d ON d.id = s.dataset_id
             WHERE {} ORDER BY st.sample_id LIMIT {limit} OFFSET {offset}",
            q.condition
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(&q.params), |r| {
                Ok(SampleRow { id: r.get(0)?, dataset: r.get(1)?, modality: r.get(2)?, prompt: r.get(3)? })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<_>>().map_err(|e| self.err(e))
    }
}
