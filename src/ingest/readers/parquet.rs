//! Parquet (batch by batch, never the whole file) and Arrow IPC files (HF `save_to_disk`).

use super::{RawRow, ReadError, record_batch_rows};
use arrow_array::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::{ParquetMetaData, RowGroupMetaData};
use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

/// About how much decoded data one Arrow batch holds: rows of embedded images come a dozen or so
/// at a time, short text rows by the thousand. Small batches keep the decoder's buffers small
/// enough for the allocator to reuse instead of fresh pages from the system for each batch (7 %
/// of an image import's CPU with 128-row, 10 MB batches; BENCHMARKS.md).
const BATCH_BYTES: i64 = 1 << 20;
const MIN_BATCH_ROWS: i64 = 8;
const MAX_BATCH_ROWS: i64 = 1024;

/// Rows per batch for a file, from its row groups' uncompressed size.
fn batch_rows(meta: &ParquetMetaData) -> usize {
    let rows: i64 = meta.row_groups().iter().map(RowGroupMetaData::num_rows).sum();
    let bytes: i64 = meta.row_groups().iter().map(RowGroupMetaData::total_byte_size).sum();
    let per_row = if rows > 0 { (bytes / rows).max(1) } else { 1 };
    (BATCH_BYTES / per_row).clamp(MIN_BATCH_ROWS, MAX_BATCH_ROWS) as usize
}

fn open(path: &Path) -> Result<ParquetRecordBatchReaderBuilder<File>, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::new(format!("cannot open {}: {e}", path.display())))?;
    ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| ReadError::new(format!("not a readable Parquet file: {e}")))
}

pub(super) fn columns(path: &Path) -> Result<Vec<String>, ReadError> {
    Ok(open(path)?.schema().fields().iter().map(|f| f.name().clone()).collect())
}

pub(super) fn row_count(path: &Path) -> Result<u64, ReadError> {
    Ok(open(path)?.metadata().file_metadata().num_rows() as u64)
}

pub(super) fn for_each(
    path: &Path,
    skip: u64,
    sink: &mut dyn FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let builder = open(path)?;
    // Skip whole row groups before the resume point without decoding them.
    let meta = builder.metadata().clone();
    let mut first_row = 0u64;
    let mut groups = Vec::new();
    for (i, rg) in meta.row_groups().iter().enumerate() {
        let n = rg.num_rows() as u64;
        if first_row + n > skip {
            groups.push(i);
        } else {
            first_row += n;
        }
    }
    let reader = builder
        .with_row_groups(groups)
        .with_batch_size(batch_rows(&meta))
        .build()
        .map_err(|e| ReadError::new(format!("not a readable Parquet file: {e}")))?;
    let mut index = first_row;
    for batch in reader {
        let batch = batch.map_err(|e| ReadError::at(index, format!("corrupt Parquet data: {e}")))?;
        if push_batch(&batch, &mut index, skip, sink).is_break() {
            break;
        }
    }
    Ok(())
}

fn push_batch(
    batch: &RecordBatch,
    index: &mut u64,
    skip: u64,
    sink: &mut dyn FnMut(RawRow) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let n = batch.num_rows() as u64;
    if *index + n <= skip {
        *index += n;
        return ControlFlow::Continue(());
    }
    let start = skip.saturating_sub(*index) as usize;
    for (i, value) in record_batch_rows(batch, start).into_iter().enumerate() {
        let row = RawRow { index: *index + (start + i) as u64, key: None, value: Ok(value) };
        if sink(row).is_break() {
            return ControlFlow::Break(());
        }
    }
    *index += n;
    ControlFlow::Continue(())
}

enum IpcReader {
    File(arrow_ipc::reader::FileReader<File>),
    Stream(arrow_ipc::reader::StreamReader<std::io::BufReader<File>>),
}

fn open_ipc(path: &Path) -> Result<IpcReader, ReadError> {
    let file = File::open(path).map_err(|e| ReadError::new(format!("cannot open {}: {e}", path.display())))?;
    let mut magic = [0u8; 6];
    {
        use std::io::Read;
        let mut f = &file;
        let _ = f.read(&mut magic);
    }
    let file = File::open(path).map_err(|e| ReadError::new(format!("cannot open {}: {e}", path.display())))?;
    if &magic == b"ARROW1" {
        arrow_ipc::reader::FileReader::try_new(file, None)
            .map(IpcReader::File)
            .map_err(|e| ReadError::new(format!("not a readable Arrow file: {e}")))
    } else {
        arrow_ipc::reader::StreamReader::try_new(std::io::BufReader::new(file), None)
            .map(IpcReader::Stream)
            .map_err(|e| ReadError::new(format!("not a readable Arrow stream: {e}")))
    }
}

pub(super) fn arrow_columns(path: &Path) -> Result<Vec<String>, ReadError> {
    let schema = match open_ipc(path)? {
        IpcReader::File(r) => r.schema(),
        IpcReader::Stream(r) => r.schema(),
    };
    Ok(schema.fields().iter().map(|f| f.name().clone()).collect())
}

pub(super) fn arrow_for_each(
    path: &Path,
    skip: u64,
    sink: &mut dyn FnMut(RawRow) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let batches: Box<dyn Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>> = match open_ipc(path)? {
        IpcReader::File(r) => Box::new(r),
        IpcReader::Stream(r) => Box::new(r),
    };
    let mut index = 0u64;
    for batch in batches {
        let batch = batch.map_err(|e| ReadError::at(index, format!("corrupt Arrow data: {e}")))?;
        if push_batch(&batch, &mut index, skip, sink).is_break() {
            break;
        }
    }
    Ok(())
}
