//! Turning drafts into stored form: embedded media hashed (each distinct blob sent to the store once
//! while it is in the cache; the store ignores a repeat), references
//! resolved inside the media root, everything probed (cached, so a file or blob shared by many rows
//! is probed once), extras serialized with binary values moved to blobs. Media and binary extras of a
//! Verdict export are files under its folder: their bytes are read back into blobs.

use super::media_ref::MediaRoot;
use super::presets::row::FieldError;
use crate::media;
use crate::model::value::Map;
use crate::model::{BlobFile, MediaDraft, MediaKind, MediaRole, MediaSource, ProbeFacts, ProbeStatus, Severity, Value};
use crate::store::{ImportIssue, PreparedMedia, StoredBlob};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

/// Entries each cache may hold before it is emptied. The caches only save work: a blob sent twice is
/// ignored by the store and a file probed twice gives the same facts, so forgetting is safe, and it
/// keeps memory flat on datasets with millions of distinct images.
const CACHE_ENTRIES: usize = 100_000;

/// State shared by every row of one import.
pub struct Preparer {
    root: Option<MediaRoot>,
    sent_blobs: HashSet<String>,
    blob_probes: HashMap<String, Result<ProbeFacts, String>>,
    path_probes: HashMap<(PathBuf, MediaKind), Result<ProbeFacts, String>>,
    cache_entries: usize,
}

/// Hex blake3 of some bytes.
pub fn hash_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

impl Preparer {
    /// A preparer resolving references against `root` (`None`: relative references are unresolvable).
    pub fn new(root: Option<MediaRoot>) -> Self {
        Self {
            root,
            sent_blobs: HashSet::new(),
            blob_probes: HashMap::new(),
            path_probes: HashMap::new(),
            cache_entries: CACHE_ENTRIES,
        }
    }

    fn bound_caches(&mut self) {
        if self.sent_blobs.len() >= self.cache_entries {
            self.sent_blobs.clear();
        }
        if self.blob_probes.len() >= self.cache_entries {
            self.blob_probes.clear();
        }
        if self.path_probes.len() >= self.cache_entries {
            self.path_probes.clear();
        }
    }

    /// Resolves, hashes and probes one media draft; problems become warnings on the row.
    pub fn media(&mut self, row: u64, d: MediaDraft, issues: &mut Vec<ImportIssue>) -> PreparedMedia {
        self.bound_caches();
        let mut out = PreparedMedia {
            role: d.role,
            kind: d.kind,
            response: d.response,
            field: d.field,
            blob: None,
            name: None,
            path: None,
            resolved_path: None,
            url: None,
            probe_status: ProbeStatus::Pending,
            probe_error: None,
            facts: ProbeFacts::default(),
        };
        let probe = match d.source {
            MediaSource::Bytes { bytes, name } => {
                out.name = name;
                self.blob(&mut out, bytes)
            }
            MediaSource::Url(url) => {
                out.url = Some(url);
                out.probe_status = ProbeStatus::NotFetched;
                out.probe_error = Some("URL not fetched: Verdict works offline".into());
                return out;
            }
            MediaSource::Path(path) => {
                let resolved = self.resolve(&path, out.kind);
                out.path = Some(path);
                match resolved {
                    Ok((abs, kind)) => self.reference(&mut out, abs, kind),
                    Err(message) => return unresolved(row, out, message, issues),
                }
            }
            MediaSource::Exported { file, embedded: true, hash, name, .. } => {
                out.name = name;
                let read = self.resolve(&file, out.kind).and_then(|(abs, _)| {
                    std::fs::read(&abs).map_err(|e| format!("cannot read embedded media {}: {e}", abs.display()))
                });
                let bytes = match read {
                    Ok(bytes) => bytes,
                    Err(message) => {
                        // The bytes are not there to store: what is left is the file it named.
                        out.path = Some(file);
                        return unresolved(row, out, message, issues);
                    }
                };
                let probe = self.blob(&mut out, bytes);
                if let (Some(expected), Some(blob)) = (hash, &out.blob)
                    && blob.hash != expected
                {
                    issues.push(warning(
                        row,
                        &out.field,
                        format!(
                            "{file} holds other bytes (blake3 {}) than the exported media (blake3 {expected}): imported as they are",
                            blob.hash
                        ),
                    ));
                }
                probe
            }
            MediaSource::Exported { file, embedded: false, path, .. } => {
                let resolved = self.resolve(&file, out.kind);
                out.path = Some(path.unwrap_or_else(|| file.clone()));
                match resolved {
                    Ok((abs, kind)) => self.reference(&mut out, abs, kind),
                    Err(message) => return unresolved(row, out, message, issues),
                }
            }
            MediaSource::Unresolved { path, why } => {
                out.path = Some(path);
                return unresolved(row, out, why, issues);
            }
        };
        match probe {
            Ok(facts) => {
                out.facts = facts;
                out.probe_status = ProbeStatus::Ok;
            }
            Err(message) => {
                out.probe_status = ProbeStatus::Failed;
                out.probe_error = Some(message.clone());
                let message = format!("unreadable {} media: {message}", out.kind);
                issues.push(warning(row, &out.field, message));
            }
        }
        out
    }

    /// Resolves a reference inside the media root.
    fn resolve(&self, reference: &str, kind: MediaKind) -> Result<(PathBuf, MediaKind), String> {
        match &self.root {
            Some(root) => root.resolve(reference, kind),
            None => Err("no media root to resolve the path against".to_owned()),
        }
    }

    /// Embedded bytes into `out`'s blob (sent to the store the first time); their probe.
    fn blob(&mut self, out: &mut PreparedMedia, bytes: Vec<u8>) -> Result<ProbeFacts, String> {
        let hash = hash_hex(&bytes);
        let kind = out.kind;
        let probe = self
            .blob_probes
            .entry(hash.clone())
            .or_insert_with(|| media::probe_bytes(kind, &bytes).map_err(|e| e.to_string()))
            .clone();
        let first_time = self.sent_blobs.insert(hash.clone());
        out.blob = Some(StoredBlob { hash, bytes: first_time.then_some(bytes) });
        probe
    }

    /// A resolved reference into `out`; the file's probe.
    fn reference(&mut self, out: &mut PreparedMedia, abs: PathBuf, kind: MediaKind) -> Result<ProbeFacts, String> {
        out.kind = kind;
        out.resolved_path = Some(abs.to_string_lossy().into_owned());
        match self.path_probes.entry((abs, kind)) {
            Entry::Occupied(e) => e.get().clone(),
            Entry::Vacant(e) => {
                let probe = media::probe_path(kind, &e.key().0).map_err(|e| e.to_string());
                e.insert(probe).clone()
            }
        }
    }

    /// Reads the files that hold a sample's binary extras (a Verdict export's `blobs`) into
    /// blobs, each checked against the hash its extras name it by. Nothing is kept when one
    /// fails: the sample would name bytes the project does not have.
    pub fn blob_files(&mut self, files: Vec<BlobFile>, blobs: &mut Vec<StoredBlob>) -> Result<(), FieldError> {
        self.bound_caches();
        let mut read: Vec<StoredBlob> = Vec::new();
        for f in files {
            if self.sent_blobs.contains(&f.hash) || read.iter().any(|b| b.hash == f.hash) {
                continue;
            }
            let root =
                self.root.as_ref().ok_or_else(|| FieldError::new(&f.field, "no media root to read the file from"))?;
            let abs = root.resolve_file(&f.file).map_err(|m| FieldError::new(&f.field, m))?;
            let bytes = std::fs::read(&abs)
                .map_err(|e| FieldError::new(&f.field, format!("cannot read {}: {e}", abs.display())))?;
            let hash = hash_hex(&bytes);
            if hash != f.hash {
                return Err(FieldError::new(
                    &f.field,
                    format!("{} holds other bytes (blake3 {hash}) than the value it stands for ({})", f.file, f.hash),
                ));
            }
            read.push(StoredBlob { hash, bytes: Some(bytes) });
        }
        for b in &read {
            self.sent_blobs.insert(b.hash.clone());
        }
        blobs.extend(read);
        Ok(())
    }

    /// Serializes extras; binary values become blobs referenced as `{"$blob": hash}`.
    pub fn extras(&mut self, extras: Map, blobs: &mut Vec<StoredBlob>) -> Option<String> {
        if extras.is_empty() {
            return None;
        }
        self.bound_caches();
        let value = self.move_bytes(Value::Map(extras), blobs);
        serde_json::to_string(&value).ok()
    }

    fn move_bytes(&mut self, v: Value, blobs: &mut Vec<StoredBlob>) -> Value {
        match v {
            Value::Bytes(bytes) => {
                let hash = hash_hex(&bytes);
                let first = self.sent_blobs.insert(hash.clone());
                if first {
                    blobs.push(StoredBlob { hash: hash.clone(), bytes: Some(bytes) });
                }
                let mut m = Map::new();
                m.insert("$blob".into(), Value::Str(hash));
                Value::Map(m)
            }
            Value::List(items) => Value::List(items.into_iter().map(|i| self.move_bytes(i, blobs)).collect()),
            Value::Map(m) => Value::Map(m.into_iter().map(|(k, v)| (k, self.move_bytes(v, blobs))).collect()),
            other => other,
        }
    }
}

/// A media problem that keeps its row.
fn warning(row: u64, field: &str, message: String) -> ImportIssue {
    ImportIssue { row_index: Some(row), field: Some(field.to_owned()), severity: Severity::Warning, message }
}

/// `out` as a reference that did not resolve, reported.
fn unresolved(row: u64, mut out: PreparedMedia, message: String, issues: &mut Vec<ImportIssue>) -> PreparedMedia {
    out.probe_status = ProbeStatus::Unresolved;
    issues.push(warning(row, &out.field, message.clone()));
    out.probe_error = Some(message);
    out
}

/// The sample's modality, from its media: `text`, `image`, `images`, `video`, `audio`, `mixed`;
/// `gen-image` / `gen-audio` / `gen-video` when the candidates themselves are media.
pub fn modality(media: &[PreparedMedia]) -> String {
    let kind_name = |k: MediaKind| match k {
        MediaKind::Image => "image",
        MediaKind::Video | MediaKind::Frames => "video",
        MediaKind::Audio => "audio",
    };
    if let Some(c) = media.iter().find(|m| m.role == MediaRole::Candidate) {
        return format!("gen-{}", kind_name(c.kind));
    }
    let inputs: Vec<&str> = media.iter().filter(|m| m.role == MediaRole::Input).map(|m| kind_name(m.kind)).collect();
    match inputs.as_slice() {
        [] => "text".into(),
        [one] => (*one).into(),
        many if many.iter().all(|k| *k == "image") => "images".into(),
        many if many.iter().all(|k| *k == many[0]) => many[0].into(),
        _ => "mixed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image_draft(bytes: &[u8]) -> MediaDraft {
        MediaDraft {
            role: MediaRole::Input,
            kind: MediaKind::Image,
            field: "image".into(),
            source: MediaSource::Bytes { bytes: bytes.to_vec(), name: None },
            response: None,
        }
    }

    #[test]
    fn a_repeated_blob_is_sent_once_until_the_cache_is_emptied() {
        let mut p = Preparer::new(None);
        let mut issues = Vec::new();
        let a = p.media(0, image_draft(b"same bytes"), &mut issues);
        let b = p.media(1, image_draft(b"same bytes"), &mut issues);
        assert!(a.blob.as_ref().is_some_and(|x| x.bytes.is_some()));
        assert!(b.blob.as_ref().is_some_and(|x| x.bytes.is_none()), "second copy references the first");

        // With a full cache the bytes travel again: the store ignores the repeat, nothing is lost.
        p.cache_entries = 1;
        let c = p.media(2, image_draft(b"same bytes"), &mut issues);
        assert!(c.blob.as_ref().is_some_and(|x| x.bytes.is_some()));
        assert_eq!(a.blob.map(|x| x.hash), c.blob.map(|x| x.hash));
        // Not an image: each copy is reported, the probe failure is cached or recomputed alike.
        assert_eq!(issues.len(), 3);
    }
}
