//! Media into the export: copied or hard-linked into `media/` under their content hash (each
//! file once, however many rows use it), embedded as bytes, or referenced by absolute source path.
//! A media item that cannot be placed (unresolved path, missing file, a URL Verdict never fetched)
//! is an error naming why, and its sample is left out instead of being written with a dangling path.

use super::options::MediaMode;
use crate::media::frames::list_frames;
use crate::model::MediaKind;
use crate::store::{MediaView, Store};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The folder media are copied into, relative to the export folder.
pub const MEDIA_DIR: &str = "media";

/// Files larger than this are hashed and copied as streams instead of read whole.
const READ_WHOLE_MAX: u64 = 64 << 20;

/// A media item as the export writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    /// The path rows name: relative to the export folder (`media/<hash>.jpg`) or absolute
    /// (`reference`). For a frame directory, the folder.
    pub path: String,
    /// For a frame directory: each frame's path, in order (same base as `path`).
    pub frames: Vec<String>,
    /// The bytes, in `embed` mode.
    pub bytes: Option<Vec<u8>>,
}

/// Places media for one export. In `embed` mode only images are embedded; videos and audio are
/// copied (LLaMA-Factory and ms-swift load them from paths).
pub struct MediaPlacer<'a> {
    store: &'a Store,
    mode: MediaMode,
    /// Where `media/` is being written (the staging folder).
    root: PathBuf,
    /// Distinct files written into `media/`.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Embedded media written as files in `reference` mode (they have no source file to name).
    pub embedded_copied: u64,
    /// Hard links made (`link` mode).
    pub linked: u64,
    /// Write nothing (a preview): paths are computed, files are not written.
    pub dry: bool,
}

impl<'a> MediaPlacer<'a> {
    /// A placer writing under `root` (the staging folder).
    pub fn new(store: &'a Store, mode: MediaMode, root: &Path) -> Self {
        Self { store, mode, root: root.to_owned(), files: 0, bytes: 0, embedded_copied: 0, linked: 0, dry: false }
    }

    /// Whether anything was written into `media/`.
    pub fn wrote_files(&self) -> bool {
        self.files > 0
    }

    /// Places `m`, or says why it cannot be.
    pub fn place(&mut self, m: &MediaView) -> Result<Placed, String> {
        // Only images travel inside rows: the trainers read videos and audio from files.
        if self.mode == MediaMode::Embed && m.kind != MediaKind::Image {
            self.mode = MediaMode::Copy;
            let placed = self.place(m);
            self.mode = MediaMode::Embed;
            return placed;
        }
        if let Some(hash) = &m.blob_hash {
            return self.place_blob(hash, m.name.as_deref());
        }
        let resolved = source_file(m)?;
        let path = Path::new(resolved);
        if m.kind == MediaKind::Frames {
            return self.place_frames(path);
        }
        let meta = std::fs::metadata(path).map_err(|e| format!("{resolved}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("{resolved}: not a file"));
        }
        match self.mode {
            MediaMode::Reference => Ok(Placed { path: resolved.to_owned(), frames: Vec::new(), bytes: None }),
            MediaMode::Embed => {
                let bytes = std::fs::read(path).map_err(|e| format!("{resolved}: {e}"))?;
                Ok(Placed { path: file_name(path), frames: Vec::new(), bytes: Some(bytes) })
            }
            MediaMode::Copy | MediaMode::Link => {
                let rel = self.copy_file(path, meta.len(), &extension_of(path, &[]))?;
                Ok(Placed { path: rel, frames: Vec::new(), bytes: None })
            }
        }
    }

    /// Places embedded bytes stored under `hash` (`name`: the file name the source gave them).
    pub fn place_blob(&mut self, hash: &str, name: Option<&str>) -> Result<Placed, String> {
        if self.mode == MediaMode::Embed {
            // A preview shows the rows as written, bytes included (it writes nothing either way).
            let bytes = self.store.blob(hash).map_err(|e| e.to_string())?;
            let path = match name {
                Some(n) => n.to_owned(),
                None => format!("{hash}.{}", self.blob_extension(hash, None)?),
            };
            return Ok(Placed { path, frames: Vec::new(), bytes: Some(bytes) });
        }
        if self.mode == MediaMode::Reference {
            self.embedded_copied += 1;
        }
        let rel = format!("{MEDIA_DIR}/{hash}.{}", self.blob_extension(hash, name)?);
        let target = self.root.join(&rel);
        if !self.dry && !target.exists() {
            let bytes = self.store.blob(hash).map_err(|e| e.to_string())?;
            self.write_new(&target, &bytes)?;
        }
        Ok(Placed { path: rel, frames: Vec::new(), bytes: None })
    }

    /// The extension of a stored blob: from the source's file name, else sniffed from its first bytes.
    fn blob_extension(&self, hash: &str, name: Option<&str>) -> Result<String, String> {
        if let Some(ext) = name.and_then(|n| name_extension(Path::new(n))) {
            return Ok(ext);
        }
        let head = self.store.blob_prefix(hash, 16).map_err(|e| e.to_string())?;
        Ok(sniff(&head).to_owned())
    }

    /// Whether `m` can be placed (without writing or hashing anything): what a dry run counts.
    pub fn check(&self, m: &MediaView) -> Result<(), String> {
        if m.blob_hash.is_some() {
            return Ok(());
        }
        let resolved = source_file(m)?;
        let path = Path::new(resolved);
        if m.kind == MediaKind::Frames {
            return match list_frames(path) {
                Ok(f) if !f.is_empty() => Ok(()),
                Ok(_) => Err(format!("{resolved}: no frames in the folder")),
                Err(e) => Err(format!("{resolved}: {e}")),
            };
        }
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(_) => Err(format!("{resolved}: not a file")),
            Err(e) => Err(format!("{resolved}: {e}")),
        }
    }

    fn write_new(&mut self, target: &Path, bytes: &[u8]) -> Result<(), String> {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(target, bytes).map_err(|e| format!("{}: {e}", target.display()))?;
        self.files += 1;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Copies (or links) a source file to `media/<hash>.<ext>`; returns that relative path.
    fn copy_file(&mut self, path: &Path, len: u64, ext: &str) -> Result<String, String> {
        if self.dry {
            let hash = hash_stream(path).map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(format!("{MEDIA_DIR}/{hash}.{ext}"));
        }
        let shown = path.display();
        let (hash, bytes) = if len <= READ_WHOLE_MAX {
            let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
            (blake3::hash(&bytes).to_hex().to_string(), Some(bytes))
        } else {
            (hash_stream(path).map_err(|e| format!("{shown}: {e}"))?, None)
        };
        let rel = format!("{MEDIA_DIR}/{hash}.{ext}");
        let target = self.root.join(&rel);
        if target.exists() {
            return Ok(rel);
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        if self.mode == MediaMode::Link && std::fs::hard_link(path, &target).is_ok() {
            self.linked += 1;
            self.files += 1;
            self.bytes += len;
            return Ok(rel);
        }
        match bytes {
            Some(b) => self.write_new(&target, &b)?,
            None => {
                std::fs::copy(path, &target).map_err(|e| format!("{shown}: {e}"))?;
                self.files += 1;
                self.bytes += len;
            }
        }
        Ok(rel)
    }

    fn place_frames(&mut self, dir: &Path) -> Result<Placed, String> {
        let frames = list_frames(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if frames.is_empty() {
            return Err(format!("{}: no frames in the folder", dir.display()));
        }
        if self.mode == MediaMode::Reference {
            let listed = frames.iter().map(|f| f.display().to_string()).collect();
            return Ok(Placed { path: dir.display().to_string(), frames: listed, bytes: None });
        }
        if self.mode == MediaMode::Embed {
            return Err(format!("{}: a frame folder cannot be embedded in a row", dir.display()));
        }
        // The folder is named by the hash of its frames' names and contents.
        let mut h = blake3::Hasher::new();
        let mut contents = Vec::with_capacity(frames.len());
        for f in &frames {
            let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
            h.update(file_name(f).as_bytes()).update(&[0]).update(blake3::hash(&bytes).as_bytes());
            contents.push(bytes);
        }
        let folder = format!("{MEDIA_DIR}/{}", h.finalize().to_hex());
        let mut listed = Vec::with_capacity(frames.len());
        let fresh = !self.dry && !self.root.join(&folder).exists();
        for (f, bytes) in frames.iter().zip(contents) {
            let rel = format!("{folder}/{}", file_name(f));
            if fresh {
                let target = self.root.join(&rel);
                if self.mode == MediaMode::Link && link_into(f, &target) {
                    self.linked += 1;
                    self.files += 1;
                    self.bytes += bytes.len() as u64;
                } else {
                    self.write_new(&target, &bytes)?;
                }
            }
            listed.push(rel);
        }
        Ok(Placed { path: folder, frames: listed, bytes: None })
    }
}

/// The resolved source path of a referenced media item, or why there is none (a URL, a path
/// that did not resolve inside the media root).
fn source_file(m: &MediaView) -> Result<&str, String> {
    if let Some(url) = &m.url {
        return Err(format!("{url} is a URL, which Verdict never fetches"));
    }
    m.resolved_path.as_deref().ok_or_else(|| {
        let why = m.probe_error.as_deref().unwrap_or("the path did not resolve inside the media root");
        format!("{}: {why}", m.path.as_deref().unwrap_or("(no path)"))
    })
}

fn link_into(from: &Path, to: &Path) -> bool {
    to.parent().is_some_and(|p| std::fs::create_dir_all(p).is_ok()) && std::fs::hard_link(from, to).is_ok()
}

fn hash_stream(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(h.finalize().to_hex().to_string());
        }
        h.update(&buf[..n]);
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A file extension to name a media file by: the source's own (lowercase, short, alphanumeric),
/// else one sniffed from the bytes.
fn extension_of(path: &Path, bytes: &[u8]) -> String {
    name_extension(path).unwrap_or_else(|| sniff(bytes).to_owned())
}

/// The extension of a file name, when it is a usable one (lowercase, short, alphanumeric).
fn name_extension(path: &Path) -> Option<String> {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| !e.is_empty() && e.len() <= 5 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The file type of encoded bytes, from their first bytes.
fn sniff(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => "jpg",
        [0x89, b'P', b'N', b'G', ..] => "png",
        [b'G', b'I', b'F', b'8', ..] => "gif",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "webp",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'A', b'V', b'E', ..] => "wav",
        [b'B', b'M', ..] => "bmp",
        [b'f', b'L', b'a', b'C', ..] => "flac",
        [b'O', b'g', b'g', b'S', ..] => "ogg",
        [b'I', b'D', b'3', ..] | [0xFF, 0xFB | 0xF3 | 0xF2, ..] => "mp3",
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => "mp4",
        [0x1A, 0x45, 0xDF, 0xA3, ..] => "webm",
        _ => "bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_come_from_the_name_else_the_bytes() {
        assert_eq!(extension_of(Path::new("a/B.JPEG"), b""), "jpeg");
        assert_eq!(extension_of(Path::new("noext"), &[0x89, b'P', b'N', b'G']), "png");
        assert_eq!(extension_of(Path::new("weird.e x t"), &[0xFF, 0xD8, 0xFF, 0]), "jpg");
        assert_eq!(sniff(b"nothing known"), "bin");
    }
}
