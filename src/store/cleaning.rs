//! The cleaning passes' tables (migration 8): fingerprints per media content and per text, the
//! content hash of each media item (referenced files hashed once, cached by path, size and mtime),
//! reference sets, duplicate groups, contamination hits and check findings. All derived data:
//! written in plain transactions, never through the curation write path.

use super::{Result, Store};
use crate::model::{DatasetId, MediaKind, SampleId};
use rusqlite::{OptionalExtension, params};

/// A media item to fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaItem {
    /// The `media` row.
    pub id: i64,
    /// Its sample.
    pub sample: SampleId,
    /// What it is.
    pub kind: MediaKind,
    /// Embedded bytes (their hash is the content hash).
    pub blob_hash: Option<String>,
    /// A referenced file, resolved.
    pub resolved_path: Option<String>,
    /// Its content hash, once known.
    pub content: Option<String>,
}

/// A fingerprint to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFingerprint {
    /// The content hash.
    pub content: String,
    /// The algorithm (`phash`, `frames`, `chromaprint`).
    pub algo: &'static str,
    /// Its bytes, or `None` with `error`.
    pub value: Option<Vec<u8>>,
    /// Why there is none.
    pub error: Option<String>,
}

/// A sample's fingerprinted input media of one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleMedia {
    /// The sample.
    pub sample: SampleId,
    /// Its dataset.
    pub dataset: DatasetId,
    /// The content hashes and fingerprints, in the sample's media order; `None` where the media
    /// has no fingerprint (not yet fingerprinted, or it does not decode).
    pub items: Vec<(Option<String>, Option<Vec<u8>>)>,
}

/// A member of a duplicate group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DupMember {
    /// The sample.
    pub sample: SampleId,
    /// Which response (`None`: the sample as a whole).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<u32>,
    /// Its closest link: bits apart (media) or a similarity (text, video, audio).
    pub score: Option<f64>,
}

/// A stored duplicate group.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DupGroup {
    /// Its id.
    pub id: i64,
    /// image, video, audio, prompt, response or sample.
    pub kind: String,
    /// The members, the keeper by import order first.
    pub members: Vec<DupMember>,
}

/// A sample that nearly duplicates a reference member.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ContaminationHit {
    /// The contaminated sample.
    pub sample: SampleId,
    /// The reference member it matches.
    pub reference: SampleId,
    /// image, prompt or both.
    pub by: String,
    /// Bits apart for an image, 1 - similarity for a prompt (the smaller of the two for both).
    pub distance: f64,
}

impl Store {
    /// Input and candidate media of `kinds` that can be read (embedded, or a resolved file), with
    /// their content hash where known, in id order. Media of reference sets included.
    pub fn media_to_fingerprint(&self, kinds: &[MediaKind]) -> Result<Vec<MediaItem>> {
        let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.as_str())).collect();
        let sql = format!(
            "SELECT id, sample_id, kind, blob_hash, resolved_path, content FROM media
             WHERE kind IN ({}) AND (blob_hash IS NOT NULL OR resolved_path IS NOT NULL) ORDER BY id",
            list.join(",")
        );
        let mut out = Vec::new();
        self.each_row(&sql, &[], |r| {
            out.push(MediaItem {
                id: r.get(0)?,
                sample: r.get(1)?,
                kind: r.get(2)?,
                blob_hash: r.get(3)?,
                resolved_path: r.get(4)?,
                content: r.get(5)?,
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// The content hash recorded for a file as it was (`size`, `mtime_ns`), if any.
    pub fn cached_file_hash(&self, path: &str, size: u64, mtime_ns: i64) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT content FROM file_hashes WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3")
            .and_then(|mut s| s.query_row(params![path, size as i64, mtime_ns], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Whether `content` has a fingerprint (or a recorded failure) by `algo`.
    pub fn has_fingerprint(&self, content: &str, algo: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM fingerprints WHERE content = ?1 AND algo = ?2")
            .and_then(|mut s| s.exists(params![content, algo]))
            .map_err(|e| self.err(e))
    }

    /// Stores a batch in one transaction: media items' content hashes, files' hashes, and
    /// fingerprints. A pass killed between batches loses at most the batch it was making.
    pub fn put_fingerprints(
        &mut self,
        media_content: &[(i64, String)],
        files: &[(String, u64, i64, String)],
        prints: &[NewFingerprint],
    ) -> Result<()> {
        self.in_tx(|tx| {
            {
                let mut set = tx.prepare_cached("UPDATE media SET content = ?2 WHERE id = ?1")?;
                for (id, content) in media_content {
                    set.execute(params![id, content])?;
                }
                let mut file = tx.prepare_cached(
                    "INSERT INTO file_hashes (path, size, mtime_ns, content) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                     content = excluded.content",
                )?;
                for (path, size, mtime, content) in files {
                    file.execute(params![path, *size as i64, mtime, content])?;
                }
                let mut put = tx.prepare_cached(
                    "INSERT OR REPLACE INTO fingerprints (content, algo, value, error) VALUES (?1, ?2, ?3, ?4)",
                )?;
                for p in prints {
                    put.execute(params![p.content, p.algo, p.value, p.error])?;
                }
            }
            Ok(())
        })
    }

    /// Every sample's input media of `kind` with their fingerprints by `algo` (where they have
    /// one), grouped by sample in id order (media in their order); samples of reference sets
    /// included, with their dataset.
    pub fn sample_fingerprints(&self, kind: MediaKind, algo: &str) -> Result<Vec<SampleMedia>> {
        let mut out: Vec<SampleMedia> = Vec::new();
        self.each_row(
            "SELECT m.sample_id, s.dataset_id, m.content, f.value FROM media m
             JOIN samples s ON s.id = m.sample_id
             LEFT JOIN fingerprints f ON f.content = m.content AND f.algo = ?2
             WHERE m.kind = ?1 AND m.role = 'input'
             ORDER BY m.sample_id, m.position",
            &[kind.as_str().to_owned().into(), algo.to_owned().into()],
            |r| {
                let sample: SampleId = r.get(0)?;
                let item = (r.get(2)?, r.get(3)?);
                match out.last_mut() {
                    Some(last) if last.sample == sample => last.items.push(item),
                    _ => out.push(SampleMedia { sample, dataset: r.get(1)?, items: vec![item] }),
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The stored signatures under `params_key` of the texts with these keys (those that have
    /// one), by key: one query per 256 keys (one per key was a round trip per distinct text).
    pub fn text_signatures_of(
        &self,
        params_key: &str,
        keys: &[[u8; 16]],
    ) -> Result<std::collections::HashMap<[u8; 16], Vec<u8>>> {
        const BATCH: usize = 256;
        let mut out = std::collections::HashMap::new();
        for batch in keys.chunks(BATCH) {
            // Full batches share one cached statement; the last one's size gets its own.
            let marks = vec!["?"; batch.len()].join(",");
            let sql = format!("SELECT key, minhash FROM text_signatures WHERE params = ? AND key IN ({marks})");
            let found = self.conn.prepare_cached(&sql).and_then(|mut s| {
                let values = std::iter::once(rusqlite::types::Value::from(params_key.to_owned()))
                    .chain(batch.iter().map(|k| rusqlite::types::Value::from(k.to_vec())));
                let rows = s.query_map(rusqlite::params_from_iter(values), |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            });
            for (key, sig) in found.map_err(|e| self.err(e))? {
                if let Ok(key) = <[u8; 16]>::try_from(key.as_slice()) {
                    out.insert(key, sig);
                }
            }
        }
        Ok(out)
    }

    /// Stores signatures in one transaction.
    pub fn put_text_signatures(&mut self, params_key: &str, rows: &[([u8; 16], Vec<u8>)]) -> Result<()> {
        self.in_tx(|tx| {
            {
                let mut put = tx.prepare_cached(
                    "INSERT OR REPLACE INTO text_signatures (key, params, minhash) VALUES (?1, ?2, ?3)",
                )?;
                for (key, sig) in rows {
                    put.execute(params![key.as_slice(), params_key, sig])?;
                }
            }
            Ok(())
        })
    }

    /// Every sample's dataset and source row, in id order.
    pub fn sample_rows(&self, mut f: impl FnMut(SampleId, DatasetId, i64)) -> Result<()> {
        self.each_row("SELECT id, dataset_id, row_index FROM samples ORDER BY id", &[], |r| {
            f(r.get(0)?, r.get(1)?, r.get(2)?);
            Ok(())
        })
    }

    /// Up to `limit` samples' prompts after sample `after`, in id order.
    pub fn prompts_after(&self, after: SampleId, limit: usize) -> Result<Vec<(SampleId, String)>> {
        let mut out = Vec::with_capacity(limit);
        self.each_row(
            "SELECT id, prompt FROM samples WHERE id > ?1 ORDER BY id LIMIT ?2",
            &[after.0.into(), (limit as i64).into()],
            |r| {
                out.push((r.get(0)?, r.get(1)?));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Up to `limit` responses with text after `(sample, position)`, in that order.
    pub fn responses_after(&self, after: (SampleId, u32), limit: usize) -> Result<Vec<(SampleId, u32, String)>> {
        let mut out = Vec::with_capacity(limit);
        self.each_row(
            "SELECT sample_id, position, text FROM responses
             WHERE (sample_id, position) > (?1, ?2) AND text IS NOT NULL ORDER BY sample_id, position LIMIT ?3",
            &[after.0.0.into(), i64::from(after.1).into(), (limit as i64).into()],
            |r| {
                out.push((r.get(0)?, r.get(1)?, r.get(2)?));
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// A sample's prompt (`response` `None`) or one response's text.
    pub fn text_at(&self, sample: SampleId, response: Option<u32>) -> Result<Option<String>> {
        let result = match response {
            None => self
                .conn
                .prepare_cached("SELECT prompt FROM samples WHERE id = ?1")
                .and_then(|mut s| s.query_row([sample], |r| r.get(0)).optional()),
            Some(pos) => self
                .conn
                .prepare_cached("SELECT text FROM responses WHERE sample_id = ?1 AND position = ?2")
                .and_then(|mut s| s.query_row(params![sample, pos], |r| r.get(0)).optional())
                .map(Option::flatten),
        };
        result.map_err(|e| self.err(e))
    }

    /// Replaces the groups of each kind given with its groups (members in keeper order), all in
    /// one transaction: a pass writes every kind it found or none.
    pub fn replace_dup_groups_of(
        &mut self,
        kinds: &[(&str, Vec<Vec<DupMember>>)],
        settings: &serde_json::Value,
    ) -> Result<()> {
        let settings = settings.to_string();
        self.in_tx(|tx| {
            let mut clear = tx.prepare_cached("DELETE FROM dup_groups WHERE kind = ?1")?;
            let mut group = tx.prepare_cached("INSERT INTO dup_groups (kind, settings, size) VALUES (?1, ?2, ?3)")?;
            let mut member = tx.prepare_cached(
                "INSERT OR IGNORE INTO dup_members (group_id, sample_id, part, rank, score) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (kind, groups) in kinds {
                clear.execute([kind])?;
                for g in groups {
                    group.execute(params![kind, settings, g.len() as i64])?;
                    let id = tx.last_insert_rowid();
                    for (rank, m) in g.iter().enumerate() {
                        let part = m.response.map_or(-1, i64::from);
                        member.execute(params![id, m.sample, part, rank as i64, m.score])?;
                    }
                }
            }
            Ok(())
        })
    }

    /// The stored groups (of `kind`, or all), by kind then id, members by rank.
    pub fn dup_groups(&self, kind: Option<&str>) -> Result<Vec<DupGroup>> {
        let mut out: Vec<DupGroup> = Vec::new();
        self.each_row(
            "SELECT g.id, g.kind, m.sample_id, m.part, m.score FROM dup_groups g JOIN dup_members m ON m.group_id = g.id
             WHERE ?1 IS NULL OR g.kind = ?1 ORDER BY g.kind, g.id, m.rank",
            &[kind.map_or(rusqlite::types::Value::Null, |k| k.to_owned().into())],
            |r| {
                let id: i64 = r.get(0)?;
                let part: i64 = r.get(3)?;
                let member = DupMember {
                    sample: r.get(2)?,
                    response: u32::try_from(part).ok(),
                    score: r.get(4)?,
                };
                match out.last_mut() {
                    Some(g) if g.id == id => g.members.push(member),
                    _ => out.push(DupGroup { id, kind: r.get(1)?, members: vec![member] }),
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Marks a dataset as a reference set (or not).
    pub fn set_reference(&self, dataset: DatasetId, reference: bool) -> Result<()> {
        self.conn
            .execute("UPDATE datasets SET reference = ?2 WHERE id = ?1", params![dataset, reference])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The datasets marked as reference sets.
    pub fn reference_datasets(&self) -> Result<Vec<DatasetId>> {
        let mut out = Vec::new();
        self.each_row("SELECT id FROM datasets WHERE reference = 1 ORDER BY id", &[], |r| {
            out.push(r.get(0)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// Replaces the contamination hits against `reference` (a dataset) with `hits`.
    pub fn replace_contamination(&mut self, reference: DatasetId, hits: &[ContaminationHit]) -> Result<()> {
        self.in_tx(|tx| {
        tx.execute(
            "DELETE FROM contamination WHERE reference_id IN (SELECT id FROM samples WHERE dataset_id = ?1)",
            [reference],
        )
        ?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO contamination (sample_id, reference_id, by, distance) VALUES (?1, ?2, ?3, ?4)",
                )
                ?;
            for h in hits {
                put.execute(params![h.sample, h.reference, h.by, h.distance])?;
            }
        }
        Ok(())
        })
    }

    /// The stored contamination hits (against `reference`, or any), by sample.
    pub fn contamination(&self, reference: Option<DatasetId>) -> Result<Vec<ContaminationHit>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT c.sample_id, c.reference_id, c.by, c.distance FROM contamination c JOIN samples r ON r.id = c.reference_id
             WHERE ?1 IS NULL OR r.dataset_id = ?1 ORDER BY c.sample_id, c.reference_id",
            &[reference.map_or(rusqlite::types::Value::Null, |d| d.0.into())],
            |r| {
                out.push(ContaminationHit {
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
}

impl Store {
    /// Runs `f` in one write transaction and commits it.
    fn in_tx<T>(&mut self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<T>) -> Result<T> {
        let path = self.path.clone();
        let err = |source| super::StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(err)?;
        let out = f(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(out)
    }
}

/// Where a sample comes from, as `show` names it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SamplePlace {
    /// Its dataset.
    pub dataset: DatasetId,
    /// The dataset's name.
    pub dataset_name: String,
    /// Its row in the source file (`line 7`, `index 6`, `row 6`).
    pub position: crate::model::Position,
    /// The source's own id.
    pub key: Option<String>,
}

/// What the keep policies weigh, per sample.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct KeeperFacts {
    /// Characters over all its responses.
    pub response_chars: i64,
    /// A curator's label is in force.
    pub curated: bool,
    /// Its highest numeric rating, if any.
    pub best_rating: Option<f64>,
    /// A scorer's margin under its label in force (filled in for the `scored` policy).
    pub margin: Option<f64>,
}

impl Store {
    /// Where each of `ids` comes from.
    pub fn sample_places(&self, ids: &[SampleId]) -> Result<std::collections::HashMap<SampleId, SamplePlace>> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT s.dataset_id, d.name, d.format, s.row_index, s.source_key FROM samples s
                 JOIN datasets d ON d.id = s.dataset_id WHERE s.id = ?1",
            )
            .map_err(|e| self.err(e))?;
        for id in ids {
            let place = stmt
                .query_row([id], |r| {
                    let format: String = r.get(2)?;
                    let row: i64 = r.get(3)?;
                    Ok(SamplePlace {
                        dataset: r.get(0)?,
                        dataset_name: r.get(1)?,
                        position: crate::model::Position::of(&format, row.max(0) as u64),
                        key: r.get(4)?,
                    })
                })
                .optional()
                .map_err(|e| self.err(e))?;
            if let Some(p) = place {
                out.insert(*id, p);
            }
        }
        Ok(out)
    }

    /// The keep policies' facts for each of `ids`.
    pub fn keeper_facts(&self, ids: &[SampleId]) -> Result<std::collections::HashMap<SampleId, KeeperFacts>> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT (SELECT coalesce(sum(length(text)), 0) FROM responses WHERE sample_id = ?1),
                        EXISTS (SELECT 1 FROM curation WHERE sample_id = ?1 AND judgment_id IS NOT NULL),
                        (SELECT max(r.value) FROM ratings r JOIN judgments j ON j.id = r.judgment_id
                         WHERE j.sample_id = ?1 AND j.source != 'model')",
            )
            .map_err(|e| self.err(e))?;
        for id in ids {
            let facts = stmt
                .query_row([id], |r| {
                    Ok(KeeperFacts {
                        response_chars: r.get(0)?,
                        curated: r.get(1)?,
                        best_rating: r.get(2)?,
                        margin: None,
                    })
                })
                .map_err(|e| self.err(e))?;
            out.insert(*id, facts);
        }
        Ok(out)
    }
}

/// A cleaning run as the project remembers it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CleanRun {
    /// `dedup`, or `contamination:<dataset id>`.
    pub kind: String,
    /// Its settings (JSON).
    pub settings: serde_json::Value,
    /// running or complete.
    pub status: String,
    /// When it started.
    pub started_at: String,
    /// When it finished.
    pub finished_at: Option<String>,
}

/// What a sample's exact split identity is made of: its earlier turns, prompt and input media.
pub type SplitIdentity = (SampleId, Vec<crate::model::Turn>, String, Vec<String>);

impl Store {
    /// Records that a run of `kind` started (`complete == false`) or finished, with its settings.
    pub fn record_run(&self, kind: &str, settings: &serde_json::Value, complete: bool) -> Result<()> {
        let sql = if complete {
            "UPDATE clean_runs SET status = 'complete', settings = ?2, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
             WHERE kind = ?1"
        } else {
            "INSERT INTO clean_runs (kind, settings, status, started_at) VALUES (?1, ?2, 'running', strftime('%Y-%m-%dT%H:%M:%fZ','now'))
             ON CONFLICT (kind) DO UPDATE SET settings = excluded.settings, status = 'running',
             started_at = excluded.started_at, finished_at = NULL"
        };
        self.conn.execute(sql, params![kind, settings.to_string()]).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The cleaning runs, by kind.
    pub fn clean_runs(&self) -> Result<Vec<CleanRun>> {
        let mut out = Vec::new();
        self.each_row(
            "SELECT kind, settings, status, started_at, finished_at FROM clean_runs ORDER BY kind",
            &[],
            |r| {
                let settings: String = r.get(1)?;
                out.push(CleanRun {
                    kind: r.get(0)?,
                    settings: serde_json::from_str(&settings).unwrap_or(serde_json::Value::Null),
                    status: r.get(2)?,
                    started_at: r.get(3)?,
                    finished_at: r.get(4)?,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Each of `ids`' earlier turns, prompt and input media (each named by its blob hash, else its
    /// resolved path, path or URL), for the export's split.
    pub fn split_identities(&self, ids: &[SampleId]) -> Result<Vec<SplitIdentity>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut head =
            self.conn.prepare_cached("SELECT prompt, context FROM samples WHERE id = ?1").map_err(|e| self.err(e))?;
        let mut media = self
            .conn
            .prepare_cached(
                "SELECT coalesce(blob_hash, resolved_path, path, url, '') FROM media
                 WHERE sample_id = ?1 AND role != 'candidate' ORDER BY position",
            )
            .map_err(|e| self.err(e))?;
        for id in ids {
            let Some((prompt, context)) = head
                .query_row([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))
                .optional()
                .map_err(|e| self.err(e))?
            else {
                continue;
            };
            let turns = context.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default();
            let refs = media
                .query_map([id], |r| r.get::<_, String>(0))
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(|e| self.err(e))?;
            out.push((*id, turns, prompt, refs));
        }
        Ok(out)
    }
}
