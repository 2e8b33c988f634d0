//! The export folder: everything is written into a staging folder inside it
//! (`.verdict-export-*`) and renamed to its final name only when the whole export succeeded, the
//! manifest last. A cancelled or failed export removes its staging folder; a killed one leaves
//! it behind under a name no reader looks for, and the next export into the folder removes it.
//! A running export holds a lock on a file in its staging folder, so a second export into the same
//! folder (another process, or the app twice) is refused instead of removing the first one's files.
//! Nothing is written outside the folder.

use std::path::{Path, PathBuf};

/// The prefix of staging folders.
const STAGING_PREFIX: &str = ".verdict-export-";

/// The lock file inside a staging folder.
const LOCK: &str = ".lock";

/// An export folder being written.
pub struct OutDir {
    dir: PathBuf,
    staging: PathBuf,
    force: bool,
    committed: bool,
    /// Held (locked) while the export runs.
    _lock: std::fs::File,
}

/// Why the folder cannot take the export.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    /// Another export is writing into it now.
    #[error("another export is writing into {0} now; wait for it to finish or choose another folder")]
    Busy(PathBuf),
    /// It is a file.
    #[error("{0} is a file, not a folder")]
    NotAFolder(PathBuf),
    /// It holds files and `--force` was not given.
    #[error(
        "{0} is not empty; choose an empty folder, or pass --force to replace an earlier export there (other files are left alone)"
    )]
    NotEmpty(PathBuf),
    /// A file-system call failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutDirError + '_ {
    move |source| OutDirError::Io { path: path.to_owned(), source }
}

impl OutDir {
    /// Creates `dir` if needed, removes staging folders that killed exports left, and refuses a
    /// folder that holds anything else unless `force`.
    pub fn prepare(dir: &Path, force: bool) -> Result<Self, OutDirError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let dir = dir.canonicalize().map_err(io(dir))?;
        let mut other = false;
        for entry in std::fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            if is_staging(&entry.file_name()) {
                let path = entry.path();
                if staging_is_live(&path)? {
                    return Err(OutDirError::Busy(dir));
                }
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            } else {
                other = true;
            }
        }
        if other && !force {
            return Err(OutDirError::NotEmpty(dir));
        }
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let staging = dir.join(format!("{STAGING_PREFIX}{}-{nanos}", std::process::id()));
        std::fs::create_dir(&staging).map_err(io(&staging))?;
        let lock_path = staging.join(LOCK);
        let lock = std::fs::File::create(&lock_path).map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        Ok(Self { dir, staging, force, committed: false, _lock: lock })
    }

    /// The final folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The staging folder.
    pub fn staging(&self) -> &Path {
        &self.staging
    }

    /// Where the file with final name `rel` is written meanwhile.
    pub fn staged(&self, rel: &str) -> PathBuf {
        self.staging.join(rel)
    }

    /// Moves the staged entries (`rel` names, in order; the manifest last) to their final names.
    /// With `force`, entries of those names and the files an earlier manifest lists are replaced.
    pub fn commit(mut self, entries: &[String]) -> Result<(), OutDirError> {
        if self.force {
            for stale in earlier_export(&self.dir).into_iter().chain(entries.iter().cloned()) {
                let path = self.dir.join(&stale);
                match std::fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path).map_err(io(&path))?,
                    Ok(_) => std::fs::remove_file(&path).map_err(io(&path))?,
                    Err(_) => {}
                }
            }
        }
        for rel in entries {
            let from = self.staging.join(rel);
            let to = self.dir.join(rel);
            std::fs::rename(&from, &to).map_err(io(&to))?;
        }
        std::fs::remove_dir_all(&self.staging).map_err(io(&self.staging))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Whether a folder entry is a staging folder (of a running export, or one a killed export left).
fn is_staging(name: &std::ffi::OsStr) -> bool {
    name.to_string_lossy().starts_with(STAGING_PREFIX)
}

/// Whether the export that made staging folder `path` still runs: it holds the lock (a killed
/// one's lock went with its process; a folder without a lock file is left over too).
fn staging_is_live(path: &Path) -> Result<bool, OutDirError> {
    let Ok(lock) = std::fs::File::open(path.join(LOCK)) else { return Ok(false) };
    match lock.try_lock() {
        Ok(()) => Ok(false),
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => Err(io(path)(e)),
    }
}

/// The `manifest.json` an earlier export left in `dir`, read as JSON.
fn earlier_manifest(dir: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(dir.join("manifest.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()
}

/// The top-level entries an earlier export's manifest lists (plain names inside the folder only).
fn earlier_export(dir: &Path) -> Vec<String> {
    let Some(manifest) = earlier_manifest(dir) else { return Vec::new() };
    let Some(files) = manifest.get("files").and_then(|f| f.as_array()) else { return Vec::new() };
    files
        .iter()
        .filter_map(|f| f.as_str())
        .filter_map(|f| f.split('/').next())
        .filter(|top| !top.is_empty() && *top != "." && *top != ".." && !top.contains('\\'))
        .map(str::to_owned)
        .collect()
}

/// What an export folder holds now, judged by the rules `OutDir::prepare` applies to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Survey {
    /// It does not exist: the export creates it.
    Missing,
    /// It holds nothing, or only staging folders killed exports left (the export removes them).
    Empty,
    /// Another export is writing into it now: the export is refused until that one ends.
    Busy,
    /// It holds other entries: the export needs `force` (which replaces an earlier export's files
    /// and leaves the rest alone).
    Occupied {
        /// How many entries (staging folders not counted; at most [`SURVEY_LIMIT`] looked at).
        entries: usize,
        /// The earlier Verdict export there, when its manifest says so.
        earlier: Option<EarlierExport>,
    },
}

/// An earlier export found in a folder, as its manifest names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierExport {
    /// Its target (`trl`, ...; `?` when the manifest does not say).
    pub target: String,
    /// When it was written (ISO 8601; `?` when the manifest does not say).
    pub exported_at: String,
}

/// The most entries [`survey`] looks at: a folder with more is occupied either way, and a form
/// that surveys the folder typed must not stall on a huge one.
pub const SURVEY_LIMIT: usize = 10_000;

/// Looks at `dir` without changing anything: what `OutDir::prepare` would find there.
pub fn survey(dir: &Path) -> Result<Survey, OutDirError> {
    match std::fs::metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Survey::Missing),
        Err(e) => return Err(io(dir)(e)),
        Ok(m) if !m.is_dir() => return Err(OutDirError::NotAFolder(dir.to_owned())),
        Ok(_) => {}
    }
    let mut entries = 0;
    for entry in std::fs::read_dir(dir).map_err(io(dir))?.take(SURVEY_LIMIT) {
        let entry = entry.map_err(io(dir))?;
        if !is_staging(&entry.file_name()) {
            entries += 1;
        } else if staging_is_live(&entry.path())? {
            return Ok(Survey::Busy);
        }
    }
    if entries == 0 {
        return Ok(Survey::Empty);
    }
    // Another tool's manifest.json is just another entry.
    let earlier = earlier_manifest(dir).filter(|m| m.get("verdict_version").is_some()).map(|m| {
        let field = |k: &str| m.get(k).and_then(|v| v.as_str()).unwrap_or("?").to_owned();
        EarlierExport { target: field("target"), exported_at: field("exported_at") }
    });
    Ok(Survey::Occupied { entries, earlier })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_survey_sees_what_prepare_would_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("out");
        assert_eq!(survey(&out).expect("survey"), Survey::Missing);
        std::fs::create_dir(&out).expect("mkdir");
        assert_eq!(survey(&out).expect("survey"), Survey::Empty);
        // A killed export's staging folder (no lock held): empty, and left where it is.
        let left = out.join(format!("{STAGING_PREFIX}1-2"));
        std::fs::create_dir(&left).expect("mkdir");
        std::fs::write(left.join(LOCK), "").expect("write");
        assert_eq!(survey(&out).expect("survey"), Survey::Empty);
        assert!(left.exists(), "the survey removes nothing");
        // A running export (this process's, holding its lock): busy, as prepare finds it.
        let running = OutDir::prepare(&out, false).expect("prepare");
        assert!(!left.exists(), "prepare removed the killed export's folder");
        assert_eq!(survey(&out).expect("survey"), Survey::Busy);
        assert!(matches!(OutDir::prepare(&out, true), Err(OutDirError::Busy(_))));
        drop(running);
        assert_eq!(survey(&out).expect("survey"), Survey::Empty, "a cancelled export leaves nothing");
        std::fs::write(out.join("notes.txt"), "x").expect("write");
        assert_eq!(survey(&out).expect("survey"), Survey::Occupied { entries: 1, earlier: None });
        std::fs::write(
            out.join("manifest.json"),
            r#"{"verdict_version":"0.1.0","target":"trl","exported_at":"2026-01-02T03:04:05Z"}"#,
        )
        .expect("write");
        let earlier = EarlierExport { target: "trl".into(), exported_at: "2026-01-02T03:04:05Z".into() };
        assert_eq!(survey(&out).expect("survey"), Survey::Occupied { entries: 2, earlier: Some(earlier) });
        assert!(matches!(survey(&out.join("notes.txt")), Err(OutDirError::NotAFolder(_))));
    }
}
