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
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(STAGING_PREFIX) {
                let path = entry.path();
                // A live export holds its lock; a killed one's folder is left over.
                let lock = std::fs::File::open(path.join(LOCK));
                match lock.as_ref().map(std::fs::File::try_lock) {
                    Ok(Err(std::fs::TryLockError::WouldBlock)) => return Err(OutDirError::Busy(dir)),
                    Ok(Err(std::fs::TryLockError::Error(e))) => return Err(io(&path)(e)),
                    Ok(Ok(())) | Err(_) => std::fs::remove_dir_all(&path).map_err(io(&path))?,
                }
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

/// The top-level entries an earlier export's manifest lists (plain names inside the folder only).
fn earlier_export(dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else { return Vec::new() };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else { return Vec::new() };
    let Some(files) = manifest.get("files").and_then(|f| f.as_array()) else { return Vec::new() };
    files
        .iter()
        .filter_map(|f| f.as_str())
        .filter_map(|f| f.split('/').next())
        .filter(|top| !top.is_empty() && *top != "." && *top != ".." && !top.contains('\\'))
        .map(str::to_owned)
        .collect()
}
