//! Media references as datasets write them, turned into [`MediaDraft`]s, and paths resolved
//! safely against a media root.
//!
//! Seen in the wild (FORMATS.md): HF Image/Audio structs `{bytes, path}` (either side null), plain
//! relative paths, lists of either, a single struct where a list is expected, frame directories,
//! base64 strings, `data:` URIs, OpenAI-style `{"url": ...}` parts, and URLs (kept, never fetched).

use super::presets::row::{FieldError, FieldResult};
use crate::model::{MediaDraft, MediaKind, MediaRole, MediaSource, Value};
use base64::Engine as _;
use std::path::{Path, PathBuf};

/// The media drafts a field's value describes. Takes the value: embedded bytes move into the
/// drafts instead of being copied (they are most of a Parquet import's memory traffic).
pub fn drafts(field: &str, value: Value, kind: MediaKind, role: MediaRole) -> FieldResult<Vec<MediaDraft>> {
    let make = |field: String, source| MediaDraft { role, kind, field, source, response: None };
    match value {
        Value::Null => Ok(Vec::new()),
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .filter(|(_, v)| !v.is_null())
            .map(|(i, v)| {
                let f = format!("{field}[{i}]");
                source_of(&f, v).map(|s| make(f, s))
            })
            .collect(),
        single => Ok(vec![make(field.to_owned(), source_of(field, single)?)]),
    }
}

/// One reference.
pub fn source_of(field: &str, v: Value) -> FieldResult<MediaSource> {
    match v {
        Value::Str(s) => source_of_str(field, &s),
        Value::Bytes(b) if b.is_empty() => Err(FieldError::new(field, "embedded media is empty")),
        Value::Bytes(bytes) => Ok(MediaSource::Bytes { bytes, name: None }),
        Value::Map(mut m) => {
            let name = m.get("path").and_then(Value::as_str).filter(|p| !p.is_empty()).map(str::to_owned);
            match m.swap_remove("bytes") {
                Some(Value::Bytes(bytes)) if !bytes.is_empty() => return Ok(MediaSource::Bytes { bytes, name }),
                Some(Value::Str(s)) if !s.is_empty() => {
                    return decode_b64(field, &s).map(|bytes| MediaSource::Bytes { bytes, name });
                }
                Some(Value::Map(inner)) if inner.contains_key("$base64") => {
                    let s = inner.get("$base64").and_then(Value::as_str).unwrap_or_default();
                    return decode_b64(field, s).map(|bytes| MediaSource::Bytes { bytes, name });
                }
                _ => {}
            }
            if let Some(path) = name {
                return source_of_str(field, &path);
            }
            // OpenAI / ms-swift style parts.
            for key in ["url", "image_url", "video_url", "audio_url", "image", "video", "audio", "value"] {
                match m.swap_remove(key) {
                    Some(Value::Str(s)) => return source_of_str(field, &s),
                    Some(inner @ Value::Map(_)) => return source_of(field, inner),
                    _ => {}
                }
            }
            if m.contains_key("array") && m.contains_key("sampling_rate") {
                return Err(FieldError::new(
                    field,
                    "decoded audio arrays are not supported; export the dataset with audio kept as file bytes",
                ));
            }
            Err(FieldError::new(field, "expected a media reference: the struct has neither `bytes` nor `path`"))
        }
        other => Err(FieldError::new(field, format!("expected a media reference, found {}", other.type_name()))),
    }
}

fn source_of_str(field: &str, s: &str) -> FieldResult<MediaSource> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "the media path is empty"));
    }
    if let Some(rest) = t.strip_prefix("data:") {
        let (meta, data) =
            rest.split_once(',').ok_or_else(|| FieldError::new(field, "malformed data URI: no comma"))?;
        if !meta.ends_with(";base64") {
            return Err(FieldError::new(field, "data URI is not base64-encoded"));
        }
        return decode_b64(field, data).map(|bytes| MediaSource::Bytes { bytes, name: None });
    }
    let lower = t.get(..8).unwrap_or(t).to_ascii_lowercase();
    if lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("ftp://")
        || lower.starts_with("s3://")
    {
        return Ok(MediaSource::Url(t.to_owned()));
    }
    if t.len() >= 256 && !t.contains(['.', ' ', '\\']) {
        // Long, extension-less, no spaces: a base64 payload rather than a path.
        if let Ok(bytes) = decode_b64(field, t) {
            return Ok(MediaSource::Bytes { bytes, name: None });
        }
    }
    Ok(MediaSource::Path(t.to_owned()))
}

fn decode_b64(field: &str, s: &str) -> FieldResult<Vec<u8>> {
    let cleaned: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(cleaned.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.trim_end_matches('=').as_bytes()))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(cleaned.as_bytes()))
        .map_err(|e| FieldError::new(field, format!("invalid base64 media: {e}")))
        .and_then(|b| if b.is_empty() { Err(FieldError::new(field, "embedded media is empty")) } else { Ok(b) })
}

/// A media root, canonicalized once.
#[derive(Debug, Clone)]
pub struct MediaRoot {
    root: PathBuf,
}

impl MediaRoot {
    /// The root at `dir`, which must exist.
    pub fn new(dir: &Path) -> std::io::Result<Self> {
        Ok(Self { root: dir.canonicalize()? })
    }

    /// The canonical root.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Resolves `reference` inside the root. A reference that leaves it (`../`, an absolute path
    /// elsewhere, a symlink pointing out) is refused. A `Video` reference that is a directory is a
    /// frame directory, and the returned kind says so.
    pub fn resolve(&self, reference: &str, kind: MediaKind) -> Result<(PathBuf, MediaKind), String> {
        let canonical = self.confine(reference)?;
        let is_dir = canonical.is_dir();
        let kind = match (kind, is_dir) {
            (MediaKind::Video | MediaKind::Frames, true) => MediaKind::Frames,
            (MediaKind::Frames, false) => MediaKind::Video,
            (k, false) => k,
            (k, true) => return Err(format!("expected a {k} file, found a directory: {}", canonical.display())),
        };
        Ok((canonical, kind))
    }

    /// Resolves `reference` inside the root to a file (not a directory), refused like
    /// [`MediaRoot::resolve`] when it leaves the root.
    pub fn resolve_file(&self, reference: &str) -> Result<PathBuf, String> {
        let canonical = self.confine(reference)?;
        if canonical.is_dir() {
            return Err(format!("expected a file, found a directory: {}", canonical.display()));
        }
        Ok(canonical)
    }

    /// The canonical path of `reference`, which must exist inside the root.
    fn confine(&self, reference: &str) -> Result<PathBuf, String> {
        let rel = Path::new(reference);
        let joined = if rel.is_absolute() { rel.to_path_buf() } else { self.root.join(rel) };
        let canonical = match joined.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!("media file not found: {}", joined.display()));
            }
            Err(e) => return Err(format!("cannot read media {}: {e}", joined.display())),
        };
        if !canonical.starts_with(&self.root) {
            return Err(format!(
                "media path {reference:?} leaves the media root {} (through ../, an absolute path or a symlink): refused",
                self.root.display()
            ));
        }
        Ok(canonical)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::value::Map;

    #[test]
    fn hf_struct_with_bytes_wins_over_its_path() {
        let mut m = Map::new();
        m.insert("bytes".into(), Value::Bytes(vec![1, 2, 3]));
        m.insert("path".into(), Value::Str("a.jpg".into()));
        let d = drafts("image", Value::Map(m), MediaKind::Image, MediaRole::Input).expect("parses");
        assert_eq!(d[0].source, MediaSource::Bytes { bytes: vec![1, 2, 3], name: Some("a.jpg".into()) });
    }

    #[test]
    fn struct_with_only_a_path_is_a_reference_and_lists_get_indexed_fields() {
        let mut m = Map::new();
        m.insert("bytes".into(), Value::Null);
        m.insert("path".into(), Value::Str("x/y.png".into()));
        let list = Value::List(vec![Value::Map(m), Value::Str("https://example.org/a.jpg".into())]);
        let d = drafts("images", list, MediaKind::Image, MediaRole::Input).expect("parses");
        assert_eq!(d[0].source, MediaSource::Path("x/y.png".into()));
        assert_eq!(d[0].field, "images[0]");
        assert_eq!(d[1].source, MediaSource::Url("https://example.org/a.jpg".into()));
    }

    #[test]
    fn data_uri_and_bare_base64_decode() {
        let d = source_of("image", Value::Str("data:image/png;base64,AQID".into())).expect("decodes");
        assert_eq!(d, MediaSource::Bytes { bytes: vec![1, 2, 3], name: None });
        let long = base64::engine::general_purpose::STANDARD.encode(vec![7u8; 300]);
        let d = source_of("image", Value::Str(long)).expect("decodes");
        assert_eq!(d, MediaSource::Bytes { bytes: vec![7u8; 300], name: None });
        let err = source_of("image", Value::Str("data:image/png;base64,@@@".into())).expect_err("bad base64");
        assert_eq!(err.field, "image");
    }

    #[test]
    fn escapes_from_the_media_root_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("frames")).expect("mkdir");
        std::fs::write(root.join("a.jpg"), b"x").expect("write");
        std::fs::write(dir.path().join("secret.jpg"), b"x").expect("write");
        let r = MediaRoot::new(&root).expect("root");
        assert!(r.resolve("a.jpg", MediaKind::Image).is_ok());
        let e = r.resolve("../secret.jpg", MediaKind::Image).expect_err("escape");
        assert!(e.contains("leaves the media root"), "{e}");
        let abs = dir.path().join("secret.jpg");
        assert!(r.resolve(abs.to_str().expect("utf8"), MediaKind::Image).is_err());
        assert_eq!(r.resolve("frames", MediaKind::Video).expect("dir").1, MediaKind::Frames);
        assert!(r.resolve("missing.jpg", MediaKind::Image).expect_err("missing").contains("not found"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.jpg"), root.join("link.jpg")).expect("symlink");
            assert!(r.resolve("link.jpg", MediaKind::Image).expect_err("symlink escape").contains("leaves"));
        }
    }
}
