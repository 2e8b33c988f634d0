//! Shared helpers for the integration tests: fixture writers and a CLI runner.
#![allow(dead_code)]

pub mod clean_fixtures;
pub mod export_fixtures;

use arrow_array::builder::{BinaryBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch, StringArray, StructArray};
use arrow_schema::{DataType, Field, Fields, Schema};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;

/// SQL that takes a project back to before migration 8 (the cleaning tables), for tests that
/// rebuild an older project and open it again.
pub const BEFORE_MIGRATION_8: &str = "DROP TABLE file_hashes; DROP TABLE fingerprints; DROP TABLE text_signatures;
     DROP TABLE dup_members; DROP TABLE dup_groups; DROP TABLE contamination; DROP TABLE check_findings;
     DROP TABLE clean_runs; ALTER TABLE datasets DROP COLUMN reference; DROP INDEX media_content;
     ALTER TABLE media DROP COLUMN content;";

/// A canonical 16-bit PCM WAV file of `samples` (interleaved over `channels`) at `rate` Hz;
/// `declared_frames` overrides the size its header declares (a file cut short).
pub fn pcm16_wav(rate: u32, channels: u16, samples: &[i16], declared_frames: Option<u32>) -> Vec<u8> {
    let data_len =
        declared_frames.map_or(u32::try_from(samples.len() * 2).expect("a small WAV"), |n| n * u32::from(channels) * 2);
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16_u32.to_le_bytes());
    out.extend_from_slice(&1_u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
    out.extend_from_slice(&(channels * 2).to_le_bytes());
    out.extend_from_slice(&16_u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// Runs the `verdict` binary.
pub fn verdict(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_verdict")).args(args).output().expect("runs verdict")
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A small JPEG of a solid colour with a gradient, `w` x `h`.
pub fn jpeg(w: u32, h: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([seed, (x % 256) as u8, (y % 256) as u8]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).expect("encodes");
    out.into_inner()
}

/// A PNG, `w` x `h`.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 20, 30, 255]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).expect("encodes");
    out.into_inner()
}

/// The fields of a Hugging Face Image/Audio struct: `{bytes: binary, path: string}`.
pub fn hf_media_fields() -> Fields {
    Fields::from(vec![Field::new("bytes", DataType::Binary, true), Field::new("path", DataType::Utf8, true)])
}

/// A column of HF Image/Audio structs, one per `(bytes, path)`.
pub fn hf_media_column(items: &[(Option<&[u8]>, Option<String>)]) -> StructArray {
    let mut bytes = BinaryBuilder::new();
    let mut paths = StringBuilder::new();
    for (b, p) in items {
        bytes.append_option(*b);
        paths.append_option(p.as_deref());
    }
    StructArray::new(hf_media_fields(), vec![Arc::new(bytes.finish()) as ArrayRef, Arc::new(paths.finish())], None)
}

/// Writes an RLAIF-V-shaped Parquet file: one row per `(question, chosen, rejected, image bytes)`.
pub fn write_rlaif_parquet(path: &Path, rows: &[(&str, &str, &str, Option<Vec<u8>>)], row_group: usize) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("ds_name", DataType::Utf8, true),
        Field::new("image", DataType::Struct(hf_media_fields()), true),
        Field::new("question", DataType::Utf8, true),
        Field::new("chosen", DataType::Utf8, true),
        Field::new("rejected", DataType::Utf8, true),
        Field::new("origin_dataset", DataType::Utf8, true),
        Field::new("origin_split", DataType::Utf8, true),
        Field::new("idx", DataType::Utf8, true),
    ]));
    let file = std::fs::File::create(path).expect("creates parquet");
    let props =
        parquet::file::properties::WriterProperties::builder().set_max_row_group_row_count(Some(row_group)).build();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props)).expect("writer");
    let items: Vec<_> = rows.iter().enumerate().map(|(i, r)| (r.3.as_deref(), Some(format!("img_{i}.jpg")))).collect();
    let image = hf_media_column(&items);
    let col = |f: &dyn Fn(usize) -> String| -> ArrayRef {
        Arc::new(StringArray::from((0..rows.len()).map(f).collect::<Vec<_>>()))
    };
    let batch = RecordBatch::try_new(
        schema,
        vec![
            col(&|_| "RLAIF-V".into()),
            Arc::new(image),
            col(&|i| rows[i].0.into()),
            col(&|i| rows[i].1.into()),
            col(&|i| rows[i].2.into()),
            col(&|_| "VQAv2".into()),
            col(&|_| r#"{"model": "OmniLMM-12B", "type": "test"}"#.into()),
            col(&|i| format!("idx-{i}")),
        ],
    )
    .expect("batch");
    writer.write(&batch).expect("writes");
    writer.close().expect("closes");
}

/// A temp dir with a project path inside.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("tempdir") }
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    pub fn project(&self) -> PathBuf {
        self.path("p.verdict")
    }
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, bytes).expect("writes");
        p
    }
}

/// One count from the project file.
pub fn count(project: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(project).expect("opens project");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// `verdict import FILE --project P`, which must succeed.
pub fn import(project: &Path, file: &Path) {
    let o = verdict(&["import", "--project", project.to_str().expect("utf8"), file.to_str().expect("utf8")]);
    assert!(o.status.success(), "import {}: {}", file.display(), stderr(&o));
}

/// `verdict export P --out DIR --json ARGS...`, which must succeed; its JSON report.
pub fn export(project: &Path, out: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["export", project.to_str().expect("utf8"), "--out", out.to_str().expect("utf8"), "--json"];
    all.extend_from_slice(args);
    let o = verdict(&all);
    assert!(o.status.success(), "export {args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).expect("the report is JSON")
}

/// Writes one record batch as an Arrow IPC stream (what HF `save_to_disk` writes).
pub fn write_arrow_stream(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = arrow_ipc::writer::StreamWriter::try_new(file, &batch.schema()).expect("writer");
    w.write(batch).expect("write");
    w.finish().expect("finish");
}

/// Runs `scripts/{script}` with `VERDICT_PYTHON` (whose environment holds transformers and torch)
/// over a fresh folder `name` in the tests' target directory, and returns the folder and the JSON
/// reference the script prints; `None`, with a note naming `what` is skipped, where
/// `VERDICT_PYTHON` is unset. Not a temp dir: callers keep the result in a static, never dropped.
pub fn python_fixtures(script: &str, name: &str, what: &str) -> Option<(PathBuf, serde_json::Value)> {
    let Some(python) = std::env::var_os("VERDICT_PYTHON") else {
        eprintln!("VERDICT_PYTHON is unset: {what} are skipped (scripts/test.sh sets it)");
        return None;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("fixtures dir");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts").join(script);
    let out = std::process::Command::new(python).arg(path).arg(&dir).output().expect("runs python");
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    let reference = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    Some((dir, reference))
}
