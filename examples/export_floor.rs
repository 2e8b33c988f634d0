//! The floor for the Parquet export benchmark: read the embedded images of a project's samples
//! out of its `blobs` table (in sample order, one per media item, as an export does) and write
//! their bytes into one Parquet binary column, uncompressed, without dictionary or statistics, in
//! batches of about 32 MiB, then fsync. No rows, no text, no other column, no metadata: the least
//! an export with embedded images does.
//!
//! ```text
//! cargo run --release --example export_floor -- PROJECT.verdict OUT.parquet
//! {"images":2000,"bytes":150000000,"seconds":0.4}
//! ```

use arrow_array::builder::BinaryBuilder;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

const BATCH_BYTES: usize = 32 << 20;

fn main() -> ExitCode {
    let args: Vec<_> = std::env::args_os().skip(1).collect();
    let [project, out] = args.as_slice() else {
        eprintln!("usage: export_floor PROJECT.verdict OUT.parquet");
        return ExitCode::from(2);
    };
    match run(Path::new(project), Path::new(out)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("export_floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(project: &Path, out: &Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let conn = rusqlite::Connection::open_with_flags(project, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let schema = Arc::new(Schema::new(vec![Field::new("image", DataType::Binary, true)]));
    let props = WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .build();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(out)?, schema.clone(), Some(props))?;
    let mut stmt = conn.prepare(
        "SELECT b.bytes FROM media m JOIN blobs b ON b.hash = m.blob_hash WHERE m.role = 'input' ORDER BY m.sample_id, m.position",
    )?;
    let mut rows = stmt.query([])?;
    let (mut images, mut bytes) = (0u64, 0u64);
    let mut builder = BinaryBuilder::new();
    let mut pending = 0usize;
    let flush = |builder: &mut BinaryBuilder,
                 writer: &mut ArrowWriter<std::fs::File>|
     -> Result<(), Box<dyn std::error::Error>> {
        let column: ArrayRef = Arc::new(builder.finish());
        writer.write(&RecordBatch::try_new(schema.clone(), vec![column])?)?;
        if writer.in_progress_size() >= 96 << 20 {
            writer.flush()?;
        }
        Ok(())
    };
    while let Some(r) = rows.next()? {
        let blob = r.get_ref(0)?.as_blob()?;
        builder.append_value(blob);
        images += 1;
        bytes += blob.len() as u64;
        pending += blob.len();
        if pending >= BATCH_BYTES {
            flush(&mut builder, &mut writer)?;
            pending = 0;
        }
    }
    flush(&mut builder, &mut writer)?;
    writer.into_inner()?.sync_all()?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(serde_json::json!({"images": images, "bytes": bytes, "seconds": (seconds * 1e6).round() / 1e6}))
}
