//! The sample list: the ids a query matches in the order the curator sorts by, and the few
//! columns each visible row shows. Both read `sample_stats` (migration 3).
//!
//! Sorting happens here in Rust, not with `ORDER BY`: the ids and their key come out of one scan
//! of the table (or rowid lookups, for free text), and a counting sort of a million (key, id)
//! pairs takes milliseconds, while SQLite's sorter takes over a second, and an index in key order
//! would need a table lookup per row to test the filter (BENCHMARKS.md, "Query latency").

use super::{Result, Store};
use crate::model::SampleId;
use crate::query::Compiled;
use rusqlite::OptionalExtension;
use rusqlite::types::ValueRef;
use std::collections::HashMap;

/// What the sample list is sorted by. Ties are broken by id, ascending; samples without a value
/// (no response B, no model known) come last in either direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    /// The sample id (import order).
    #[default]
    Id,
    /// The dataset's name.
    Dataset,
    /// The modality.
    Modality,
    /// The original label in short (`A>B`, `tie`, ...).
    Original,
    /// The label now, in short.
    Current,
    /// Response A's model.
    ModelA,
    /// Response A's length in characters.
    LenA,
    /// Response B's length.
    LenB,
    /// The original chosen response's length.
    LenChosen,
    /// The original rejected response's length.
    LenRejected,
    /// Flagged last (ascending).
    Flagged,
    /// Relabeled last (ascending).
    Edited,
}

/// How a key's values compare.
#[derive(Clone, Copy)]
enum KeyType {
    /// The id itself.
    Id,
    /// An integer column.
    Integer,
    /// A text column (byte order, as SQLite's BINARY collation).
    Text,
    /// `dataset_id`, ordered by the dataset's name.
    DatasetName,
}

impl SortKey {
    /// Every key, in the order a menu lists them.
    pub const ALL: &'static [SortKey] = &[
        SortKey::Id,
        SortKey::Dataset,
        SortKey::Modality,
        SortKey::Original,
        SortKey::Current,
        SortKey::ModelA,
        SortKey::LenA,
        SortKey::LenB,
        SortKey::LenChosen,
        SortKey::LenRejected,
        SortKey::Flagged,
        SortKey::Edited,
    ];

    /// Its name for column headers and menus.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Id => "Id",
            SortKey::Dataset => "Dataset",
            SortKey::Modality => "Modality",
            SortKey::Original => "Original",
            SortKey::Current => "Current",
            SortKey::ModelA => "Model A",
            SortKey::LenA => "Length A",
            SortKey::LenB => "Length B",
            SortKey::LenChosen => "Length chosen",
            SortKey::LenRejected => "Length rejected",
            SortKey::Flagged => "Flagged",
            SortKey::Edited => "Edited",
        }
    }

    /// The `sample_stats` column (from this fixed list, never from user text) and how it compares.
    fn column(self) -> (&'static str, KeyType) {
        match self {
            SortKey::Id => ("sample_id", KeyType::Id),
            SortKey::Dataset => ("dataset_id", KeyType::DatasetName),
            SortKey::Modality => ("modality", KeyType::Text),
            SortKey::Original => ("original", KeyType::Text),
            SortKey::Current => ("current", KeyType::Text),
            SortKey::ModelA => ("model_a", KeyType::Text),
            SortKey::LenA => ("len_a", KeyType::Integer),
            SortKey::LenB => ("len_b", KeyType::Integer),
            SortKey::LenChosen => ("len_chosen", KeyType::Integer),
            SortKey::LenRejected => ("len_rejected", KeyType::Integer),
            SortKey::Flagged => ("flagged", KeyType::Integer),
            SortKey::Edited => ("edited", KeyType::Integer),
        }
    }
}

/// One line of the sample list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    /// The sample.
    pub id: SampleId,
    /// Its dataset's name.
    pub dataset: String,
    /// Its modality.
    pub modality: String,
    /// The prompt's first 200 characters, line breaks and tabs as spaces.
    pub prompt: String,
    /// The original label in short (`A>B`, `B>A`, `tie`, `both_bad`, `ranking`, `ratings`,
    /// `correction`; empty: none).
    pub original: String,
    /// The label now, in short: the curator's, else the original.
    pub current: String,
    /// Response A's model.
    pub model_a: Option<String>,
    /// Response B's model.
    pub model_b: Option<String>,
    /// Response A's length in characters (`None`: no A, or no text).
    pub len_a: Option<i64>,
    /// Response B's length.
    pub len_b: Option<i64>,
    /// The flag reason, when flagged.
    pub flag: Option<String>,
    /// The exclusion reason, when excluded from the cleaned set.
    pub excluded: Option<String>,
    /// A curator relabeled it.
    pub edited: bool,
    /// A curator wrote a note.
    pub noted: bool,
}

/// Characters of the prompt a list row carries.
const PROMPT_CHARS: i64 = 200;

impl Store {
    /// Ids of all matching samples in sort order (ties broken by id, ascending; samples without a
    /// value for the key last, in id order, in either direction).
    pub fn matching_ids(&self, q: &Compiled, sort: SortKey, descending: bool) -> Result<Vec<SampleId>> {
        self.matching_ids_paged(q, sort, descending, usize::MAX, &mut |_| {})
    }

    /// [`Store::matching_ids`], handing the first `page` ids to `first_page` as soon as they are
    /// known, when the order allows: in id order the table is read in that order, so a list can
    /// show its first screen long before a million matches are all read. (Other orders need
    /// every match first; `first_page` is then not called.)
    pub fn matching_ids_paged(
        &self,
        q: &Compiled,
        sort: SortKey,
        descending: bool,
        page: usize,
        first_page: &mut dyn FnMut(&[SampleId]),
    ) -> Result<Vec<SampleId>> {
        let (column, kind) = sort.column();
        // With free text ANDed to the rest, the full-text index drives: its matches come in id
        // order, each joined to its stats row (an `IN (...)` would first collect every match).
        let (source, params, id) = match &q.fts_driver {
            Some(d) => (
                format!(
                    "sample_fts JOIN sample_stats st ON st.sample_id = sample_fts.rowid
                     WHERE sample_fts MATCH ? AND ({})",
                    d.rest.condition
                ),
                std::iter::once(d.phrase.clone()).chain(d.rest.params.iter().cloned()).collect(),
                "sample_fts.rowid",
            ),
            None => (format!("sample_stats st WHERE {}", q.condition), q.params.clone(), "st.sample_id"),
        };
        if let KeyType::Id = kind {
            let order = if descending { "DESC" } else { "ASC" };
            let sql = format!("SELECT st.sample_id FROM {source} ORDER BY {id} {order}");
            let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
            let mut rows = stmt.query(rusqlite::params_from_iter(&params)).map_err(|e| self.err(e))?;
            let mut ids: Vec<SampleId> = Vec::new();
            while let Some(r) = rows.next().map_err(|e| self.err(e))? {
                ids.push(SampleId(r.get(0).map_err(|e| self.err(e))?));
                if ids.len() == page {
                    first_page(&ids);
                }
            }
            return Ok(ids);
        }

        let sql = format!("SELECT st.sample_id, st.{column} FROM {source}");
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query(rusqlite::params_from_iter(&params)).map_err(|e| self.err(e))?;
        // (key, id) for rows with a value; ids of rows without.
        let mut keyed: Vec<(i64, i64)> = Vec::new();
        let mut missing: Vec<i64> = Vec::new();
        // Text keys: each distinct value gets a number as it is first seen, ranked after the scan.
        // Neighbouring rows often share a value: the last one is checked before the map.
        let mut texts: HashMap<Vec<u8>, i64> = HashMap::new();
        let mut last: (Vec<u8>, i64) = (Vec::new(), -1);
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: i64 = r.get(0).map_err(|e| self.err(e))?;
            match r.get_ref(1).map_err(|e| self.err(e))? {
                ValueRef::Null => missing.push(id),
                ValueRef::Integer(k) => keyed.push((k, id)),
                // Stored as text or blob: both compare by bytes. (A REAL cannot reach these columns.)
                ValueRef::Text(t) | ValueRef::Blob(t) => {
                    if last.1 < 0 || last.0 != t {
                        let next = texts.len() as i64;
                        let k = match texts.get(t) {
                            Some(k) => *k,
                            None => *texts.entry(t.to_vec()).or_insert(next),
                        };
                        last = (t.to_vec(), k);
                    }
                    keyed.push((last.1, id));
                }
                ValueRef::Real(k) => keyed.push((k as i64, id)),
            }
        }
        drop(rows);
        match kind {
            KeyType::Text => {
                let mut distinct: Vec<(&Vec<u8>, i64)> = texts.iter().map(|(t, k)| (t, *k)).collect();
                distinct.sort_unstable();
                let mut rank = vec![0; distinct.len()];
                for (i, (_, k)) in distinct.iter().enumerate() {
                    rank[*k as usize] = i as i64;
                }
                for (k, _) in &mut keyed {
                    *k = rank[*k as usize];
                }
            }
            KeyType::DatasetName => {
                let rank = self.dataset_ranks()?;
                for (k, _) in &mut keyed {
                    *k = rank.get(k).copied().unwrap_or(i64::MAX);
                }
            }
            KeyType::Integer | KeyType::Id => {}
        }
        missing.sort_unstable();
        let mut ids = sort_keyed(keyed, descending);
        ids.extend(missing.into_iter().map(SampleId));
        Ok(ids)
    }

    /// Each dataset id's place in name order.
    fn dataset_ranks(&self) -> Result<HashMap<i64, i64>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id FROM datasets ORDER BY name, id").map_err(|e| self.err(e))?;
        let ids: Vec<i64> = stmt.query_map([], |r| r.get(0)).and_then(Iterator::collect).map_err(|e| self.err(e))?;
        Ok(ids.into_iter().enumerate().map(|(i, id)| (id, i as i64)).collect())
    }

    /// Those of `candidates` that match `q`, in the candidates' order. With the whole project's
    /// order for a sort key at hand, this finds a filtered list's first rows without reading
    /// every match (the query worker's first page for sorted lists).
    pub fn matching_among(&self, q: &Compiled, candidates: &[SampleId]) -> Result<Vec<SampleId>> {
        let json = serde_json::to_string(&candidates.iter().map(|c| c.0).collect::<Vec<_>>()).unwrap_or_default();
        let sql = format!(
            "SELECT st.sample_id FROM sample_stats st
             WHERE st.sample_id IN (SELECT value FROM json_each(?)) AND ({})",
            q.condition
        );
        let mut stmt = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let params = std::iter::once(rusqlite::types::Value::Text(json)).chain(q.params.iter().cloned());
        let found: std::collections::HashSet<i64> = stmt
            .query_map(rusqlite::params_from_iter(params), |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        Ok(candidates.iter().copied().filter(|c| found.contains(&c.0)).collect())
    }

    /// What tells whether a list sorted by `sort` is still current: SQLite's data version (any
    /// commit by another connection) for keys curators change, the highest sample id (imports
    /// only append) for the others.
    pub fn order_stamp(&self, sort: SortKey) -> Result<i64> {
        let sql = match sort {
            SortKey::Current | SortKey::Flagged | SortKey::Edited => "PRAGMA data_version",
            _ => "SELECT coalesce(max(sample_id), 0) FROM sample_stats",
        };
        self.conn.query_row(sql, [], |r| r.get(0)).map_err(|e| self.err(e))
    }

    /// The list rows for these ids, in the same order (ids not found are skipped).
    pub fn list_rows(&self, ids: &[SampleId]) -> Result<Vec<ListRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT d.name, st.modality, substr(s.prompt, 1, {PROMPT_CHARS}), st.original, st.current, st.model_a,
                        st.model_b, st.len_a, st.len_b, c.flag, st.edited, st.noted, c.excluded
                 FROM sample_stats st JOIN samples s ON s.id = st.sample_id JOIN datasets d ON d.id = st.dataset_id
                 LEFT JOIN curation c ON c.sample_id = st.sample_id
                 WHERE st.sample_id = ?1"
            ))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let row = stmt
                .query_row([id], |r| {
                    Ok(ListRow {
                        id,
                        dataset: r.get(0)?,
                        modality: r.get(1)?,
                        prompt: one_line(&r.get::<_, String>(2)?),
                        original: r.get(3)?,
                        current: r.get(4)?,
                        model_a: r.get(5)?,
                        model_b: r.get(6)?,
                        len_a: r.get(7)?,
                        len_b: r.get(8)?,
                        flag: r.get(9)?,
                        edited: r.get(10)?,
                        noted: r.get(11)?,
                        excluded: r.get(12)?,
                    })
                })
                .optional()
                .map_err(|e| self.err(e))?;
            out.extend(row);
        }
        Ok(out)
    }
}

/// The ids of `(key, id)` pairs ordered by key (descending if asked), ties by ascending id.
///
/// Keys here span a small range (lengths, ranks of a few distinct texts, 0/1), so a counting sort
/// does it in two passes: over a million pairs that is a few milliseconds against tens for a
/// comparison sort. A wide range falls back to the comparison sort.
fn sort_keyed(mut keyed: Vec<(i64, i64)>, descending: bool) -> Vec<SampleId> {
    let (Some(min), Some(max)) = (keyed.iter().map(|p| p.0).min(), keyed.iter().map(|p| p.0).max()) else {
        return Vec::new();
    };
    let span = u64::try_from(i128::from(max) - i128::from(min)).unwrap_or(u64::MAX);
    let limit = (keyed.len() as u64).max(1 << 16) * 2;
    if span >= limit || keyed.len() >= u32::MAX as usize {
        if descending {
            keyed.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        } else {
            keyed.sort_unstable();
        }
        return keyed.into_iter().map(|(_, id)| SampleId(id)).collect();
    }
    // Stable: ties keep the input order, so the input goes in id order (a table scan already is).
    if !keyed.is_sorted_by_key(|p| p.1) {
        keyed.sort_unstable_by_key(|p| p.1);
    }
    let buckets = span as usize + 1;
    let bucket = |k: i64| {
        let b = (k - min) as usize;
        if descending { buckets - 1 - b } else { b }
    };
    let mut starts = vec![0u32; buckets + 1];
    for (k, _) in &keyed {
        starts[bucket(*k) + 1] += 1;
    }
    for i in 1..=buckets {
        starts[i] += starts[i - 1];
    }
    let mut out = vec![SampleId(0); keyed.len()];
    for (k, id) in &keyed {
        let slot = &mut starts[bucket(*k)];
        out[*slot as usize] = SampleId(*id);
        *slot += 1;
    }
    out
}

/// Line breaks and tabs as spaces.
fn one_line(text: &str) -> String {
    text.chars().map(|c| if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c }).collect()
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
