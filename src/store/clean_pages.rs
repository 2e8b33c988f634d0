//! The cleaning results a page at a time, for the app's Cleaning panel: counts per kind, duplicate
//! groups by keyset (the group id) with how many of their samples are still in the cleaned set,
//! contamination hits and check findings by offset, and the marks of groups a curator kept whole
//! (`dup_reviews`, migration 9). A project with 100,000 groups is never read whole for a screen.
//!
//! A group is *open* while two or more of its samples are still in the cleaned set (not excluded)
//! and no curator kept it whole: a decision on it (keep one, exclude the rest, keep all) closes it,
//! and an undo opens it again.

use super::{NOW_SQL, Result, Store};
use crate::model::SampleId;
use rusqlite::params;
use rusqlite::types::Value as SqlValue;
use std::collections::HashMap;

/// Groups of one kind, as the Cleaning panel counts them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DupKindCount {
    /// image, video, audio, prompt, response or sample.
    pub kind: String,
    /// Groups the last pass found.
    pub groups: u64,
    /// Groups still open (two or more samples in the cleaned set, not kept whole).
    pub open: u64,
}

/// One group in a page of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DupGroupRow {
    /// The group.
    pub id: i64,
    /// Its kind.
    pub kind: String,
    /// Its distinct samples.
    pub samples: u64,
    /// Of them, those still in the cleaned set.
    pub included: u64,
    /// A curator kept it whole.
    pub reviewed: bool,
    /// The smallest and the largest of its members' closest links (bits for images, a
    /// similarity for the rest).
    pub scores: (Option<f64>, Option<f64>),
}

impl DupGroupRow {
    /// Whether a curator still has to decide on it.
    pub fn is_open(&self) -> bool {
        self.included >= 2 && !self.reviewed
    }
}

/// A sample's flag and exclusion, where it has either.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurationMarks {
    /// The flag's reason.
    pub flag: Option<String>,
    /// The exclusion's reason.
    pub excluded: Option<String>,
}

/// Where a page of groups starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageFrom {
    /// The first groups.
    Start,
    /// The groups after this id.
    After(i64),
    /// The groups before this id (the page that ends just before it).
    Before(i64),
}

/// The key a group's review mark is stored under: its distinct sample ids, ascending.
const MEMBERS_KEY: &str =
    "(SELECT group_concat(DISTINCT k.sample_id ORDER BY k.sample_id) FROM dup_members k WHERE k.group_id = g.id)";

/// The columns of [`DupGroupRow`] over `dup_groups g`.
fn row_columns() -> String {
    format!(
        "g.id, g.kind,
         (SELECT count(DISTINCT m.sample_id) FROM dup_members m WHERE m.group_id = g.id) AS samples,
         (SELECT count(DISTINCT m.sample_id) FROM dup_members m JOIN sample_stats st ON st.sample_id = m.sample_id
            WHERE m.group_id = g.id AND st.excluded = 0) AS included,
         EXISTS (SELECT 1 FROM dup_reviews r WHERE r.kind = g.kind AND r.members = {MEMBERS_KEY}) AS reviewed,
         (SELECT min(m.score) FROM dup_members m WHERE m.group_id = g.id),
         (SELECT max(m.score) FROM dup_members m WHERE m.group_id = g.id)"
    )
}

fn group_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DupGroupRow> {
    Ok(DupGroupRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        samples: r.get::<_, i64>(2)?.max(0) as u64,
        included: r.get::<_, i64>(3)?.max(0) as u64,
        reviewed: r.get(4)?,
        scores: (r.get(5)?, r.get(6)?),
    })
}

/// The condition a row of `row_columns` meets to be listed (`?2` is 1 for open groups only).
const LISTED: &str = "(?2 = 0 OR (included >= 2 AND NOT reviewed))";

impl Store {
    /// Groups and open groups per kind, for every kind the last passes stored.
    pub fn dup_kind_counts(&self) -> Result<Vec<DupKindCount>> {
        let sql = format!(
            "SELECT kind, count(*), coalesce(sum(included >= 2 AND NOT reviewed), 0)
             FROM (SELECT {} FROM dup_groups g) GROUP BY kind ORDER BY kind",
            row_columns()
        );
        let mut out = Vec::new();
        self.each_row(&sql, &[], |r| {
            out.push(DupKindCount {
                kind: r.get(0)?,
                groups: r.get::<_, i64>(1)?.max(0) as u64,
                open: r.get::<_, i64>(2)?.max(0) as u64,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Up to `limit` groups of `kind` (only the open ones when `open_only`), in id order, from
    /// `from`.
    pub fn dup_group_page(
        &self,
        kind: &str,
        open_only: bool,
        from: PageFrom,
        limit: usize,
    ) -> Result<Vec<DupGroupRow>> {
        let (bound, order, id) = match from {
            PageFrom::Start => ("g.id > ?3", "ASC", i64::MIN),
            PageFrom::After(id) => ("g.id > ?3", "ASC", id),
            PageFrom::Before(id) => ("g.id < ?3", "DESC", id),
        };
        let sql = format!(
            "SELECT * FROM (SELECT {} FROM dup_groups g WHERE g.kind = ?1 AND {bound} ORDER BY g.id {order})
             WHERE {LISTED} LIMIT ?4",
            row_columns()
        );
        let mut out = Vec::new();
        let params: [SqlValue; 4] =
            [kind.to_owned().into(), i64::from(open_only).into(), id.into(), (limit as i64).into()];
        self.each_row(&sql, &params, |r| {
            out.push(group_row(r)?);
            Ok(())
        })?;
        if matches!(from, PageFrom::Before(_)) {
            out.reverse();
        }
        Ok(out)
    }

    /// How many groups of `kind` (open ones when `open_only`) come before group `id`: a page's
    /// place in its queue ("51-100 of 1,204").
    pub fn dup_groups_before(&self, kind: &str, open_only: bool, id: i64) -> Result<u64> {
        let sql = format!(
            "SELECT count(*) FROM (SELECT {} FROM dup_groups g WHERE g.kind = ?1 AND g.id < ?3) WHERE {LISTED}",
            row_columns()
        );
        let mut n = 0;
        self.each_row(&sql, &[kind.to_owned().into(), i64::from(open_only).into(), id.into()], |r| {
            n = r.get::<_, i64>(0)?.max(0) as u64;
            Ok(())
        })?;
        Ok(n)
    }

    /// One group as a page row (`None`: no group has this id any more).
    pub fn dup_group_row(&self, id: i64) -> Result<Option<DupGroupRow>> {
        let sql = format!("SELECT {} FROM dup_groups g WHERE g.id = ?1", row_columns());
        let mut out = None;
        self.each_row(&sql, &[id.into()], |r| {
            out = Some(group_row(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// One group with its members by rank (`None`: no group has this id any more).
    pub fn dup_group(&self, id: i64) -> Result<Option<super::DupGroup>> {
        let mut out: Option<super::DupGroup> = None;
        self.each_row(
            "SELECT g.kind, m.sample_id, m.part, m.score FROM dup_groups g JOIN dup_members m ON m.group_id = g.id
             WHERE g.id = ?1 ORDER BY m.rank",
            &[id.into()],
            |r| {
                let part: i64 = r.get(2)?;
                let member =
                    super::DupMember { sample: r.get(1)?, response: u32::try_from(part).ok(), score: r.get(3)? };
                match &mut out {
                    Some(g) => g.members.push(member),
                    None => out = Some(super::DupGroup { id, kind: r.get(0)?, members: vec![member] }),
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Marks group `id` as kept whole by `curator` (its members all stay); the mark holds for
    /// any later group of the same kind and the same samples.
    pub fn review_dup_group(&self, id: i64, curator: &str) -> Result<bool> {
        let sql = format!(
            "INSERT OR REPLACE INTO dup_reviews (kind, members, curator, reviewed_at)
             SELECT g.kind, {MEMBERS_KEY}, ?2, {NOW_SQL} FROM dup_groups g WHERE g.id = ?1"
        );
        let n = self.conn.execute(&sql, params![id, curator]).map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Takes back the mark [`Store::review_dup_group`] left on group `id`: it is open again.
    pub fn reopen_dup_group(&self, id: i64) -> Result<bool> {
        let sql = format!(
            "DELETE FROM dup_reviews WHERE (kind, members) IN (SELECT g.kind, {MEMBERS_KEY} FROM dup_groups g WHERE g.id = ?1)"
        );
        let n = self.conn.execute(&sql, [id]).map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Contamination in three numbers: hits, the distinct samples they name, and of those the
    /// samples still in the cleaned set.
    pub fn contamination_counts(&self) -> Result<(u64, u64, u64)> {
        let mut out = (0, 0, 0);
        self.each_row(
            "SELECT (SELECT count(*) FROM contamination),
                    (SELECT count(DISTINCT sample_id) FROM contamination),
                    (SELECT count(DISTINCT c.sample_id) FROM contamination c
                       JOIN sample_stats st ON st.sample_id = c.sample_id WHERE st.excluded = 0)",
            &[],
            |r| {
                let n = |i| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
                out = (n(0)?, n(1)?, n(2)?);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Up to `limit` contamination hits from the `offset`-th, by sample then reference member.
    pub fn contamination_page(&self, offset: u64, limit: usize) -> Result<Vec<super::ContaminationHit>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT sample_id, reference_id, by, distance FROM contamination
             ORDER BY sample_id, reference_id LIMIT ?1 OFFSET ?2",
            &[(limit as i64).into(), (offset as i64).into()],
            |r| {
                out.push(super::ContaminationHit {
                    sample: r.get(0)?,
                    reference: r.get(1)?,
                    by: r.get(2)?,
                    distance: r.get(3)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Every contaminated sample still in the cleaned set, in id order.
    pub fn contaminated_included(&self) -> Result<Vec<SampleId>> {
        self.ids(
            "SELECT DISTINCT c.sample_id FROM contamination c JOIN sample_stats st ON st.sample_id = c.sample_id
             WHERE st.excluded = 0 ORDER BY c.sample_id",
            &[],
        )
    }

    /// Findings and the distinct samples they name per check kind (kinds with findings only).
    pub fn check_kind_counts(&self) -> Result<Vec<(String, u64, u64)>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT kind, count(*), count(DISTINCT sample_id) FROM check_findings GROUP BY kind",
            &[],
            |r| {
                out.push((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64, r.get::<_, i64>(2)?.max(0) as u64));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Up to `limit` findings of `kind` from the `offset`-th, by sample.
    pub fn check_findings_page(&self, kind: &str, offset: u64, limit: usize) -> Result<Vec<super::StoredFinding>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT f.sample_id, f.kind, f.media_id, m.field, m.kind, f.response, f.other_id, f.detail
             FROM check_findings f LEFT JOIN media m ON m.id = f.media_id
             WHERE f.kind = ?1 ORDER BY f.sample_id, f.id LIMIT ?2 OFFSET ?3",
            &[kind.to_owned().into(), (limit as i64).into(), (offset as i64).into()],
            |r| {
                let media = match (r.get::<_, Option<i64>>(2)?, r.get::<_, Option<String>>(3)?, r.get(4)?) {
                    (Some(id), Some(field), Some(kind)) => Some((id, field, kind)),
                    _ => None,
                };
                out.push(super::StoredFinding {
                    sample: r.get(0)?,
                    kind: r.get(1)?,
                    media,
                    response: r.get(5)?,
                    other: r.get(6)?,
                    detail: r.get(7)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The distinct samples with a finding of `kind`, in id order.
    pub fn finding_samples(&self, kind: &str) -> Result<Vec<SampleId>> {
        self.ids(
            "SELECT DISTINCT sample_id FROM check_findings WHERE kind = ?1 ORDER BY sample_id",
            &[kind.to_owned().into()],
        )
    }

    /// Of `ids`, those a curator flagged or excluded: the flag's reason and the exclusion's.
    pub fn curation_marks(&self, ids: &[SampleId]) -> Result<HashMap<SampleId, CurationMarks>> {
        let mut out = HashMap::new();
        let list = serde_json::to_string(&ids.iter().map(|s| s.0).collect::<Vec<_>>()).unwrap_or_default();
        self.each_row(
            "SELECT sample_id, flag, excluded FROM curation WHERE (flag IS NOT NULL OR excluded IS NOT NULL)
             AND sample_id IN (SELECT value FROM json_each(?1))",
            &[list.into()],
            |r| {
                out.insert(r.get(0)?, CurationMarks { flag: r.get(1)?, excluded: r.get(2)? });
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn ids(&self, sql: &str, params: &[SqlValue]) -> Result<Vec<SampleId>> {
        let mut out = Vec::new();
        self.each_row(sql, params, |r| {
            out.push(r.get(0)?);
            Ok(())
        })?;
        Ok(out)
    }
}
