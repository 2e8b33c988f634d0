//! Reading a source file again and writing its planned rows, format by format: JSON Lines line
//! by line (untouched lines byte for byte), JSON as an array (or an id-keyed object) of the rows,
//! Parquet and Arrow batch by batch with the source's schema, only edited columns rebuilt.

use super::RowPlan;
use super::edit::{self, Edit};
use crate::export::ExportError;
use crate::export::arrow_write::array_of;
use crate::ingest::readers::{Format, Reader, column_values};
use crate::jobs::Progress;
use crate::model::Value;
use crate::model::value::Map;
use crate::store::DatasetInfo;
use arrow_array::{ArrayRef, BooleanArray, RecordBatch};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;

fn format_of(d: &DatasetInfo) -> Format {
    match d.format.as_str() {
        "jsonl" => Format::Jsonl,
        "json" => Format::Json,
        "parquet" => Format::Parquet,
        _ => Format::Arrow,
    }
}

fn werr(path: &Path) -> impl Fn(String) -> ExportError + '_ {
    move |e| ExportError::Write(format!("{}: {e}", path.display()))
}

/// Walks the plans in step with the source rows.
struct Cursor<'a> {
    plans: &'a [RowPlan],
    next: usize,
}

impl<'a> Cursor<'a> {
    /// The plan for source row `row`, if it is written (rows must come in order).
    fn at(&mut self, row: u64) -> Option<&'a RowPlan> {
        while self.next < self.plans.len() && self.plans[self.next].row < row {
            self.next += 1;
        }
        self.plans.get(self.next).filter(|p| p.row == row)
    }

    fn done(&self) -> bool {
        self.next >= self.plans.len()
    }
}

/// Writes the planned rows of `d`'s source into `out`; returns how many.
pub(super) fn write(
    d: &DatasetInfo,
    plans: &[RowPlan],
    out: &Path,
    progress: &mut Progress,
) -> Result<u64, ExportError> {
    let source = Path::new(&d.source_path);
    progress.phase(&format!("writing {}", d.name), "rows", Some(plans.len() as u64), 0);
    let written = match format_of(d) {
        Format::Jsonl => jsonl(source, plans, out, progress)?,
        Format::Json => json(source, plans, out, progress)?,
        Format::Parquet => parquet(source, plans, out, progress)?,
        Format::Arrow => arrow(source, plans, out, progress)?,
    };
    progress.finish(written);
    Ok(written)
}

fn edited_json(text: &[u8], edits: &[Edit]) -> Result<Vec<u8>, String> {
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let mut row = Value::parse_json(text).map_err(|e| e.to_string())?;
    edit::apply(&mut row, edits)?;
    serde_json::to_vec(&row).map_err(|e| e.to_string())
}

fn jsonl(source: &Path, plans: &[RowPlan], out: &Path, progress: &mut Progress) -> Result<u64, ExportError> {
    let read = |e: std::io::Error| ExportError::Source(format!("{}: {e}", source.display()));
    let mut reader = std::io::BufReader::with_capacity(1 << 20, File::open(source).map_err(read)?);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(out).map_err(|e| werr(out)(e.to_string()))?);
    let mut cursor = Cursor { plans, next: 0 };
    let mut line = Vec::with_capacity(4096);
    let (mut row, mut written) = (0u64, 0u64);
    while !cursor.done() {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(read)? == 0 {
            break;
        }
        if let Some(plan) = cursor.at(row) {
            if plan.edits.is_empty() {
                w.write_all(&line).map_err(|e| werr(out)(e.to_string()))?;
                if !line.ends_with(b"\n") {
                    w.write_all(b"\n").map_err(|e| werr(out)(e.to_string()))?;
                }
            } else {
                let body = line.trim_ascii_end();
                let edited = edited_json(body, &plan.edits)
                    .map_err(|e| ExportError::Source(format!("{} line {}: {e}", source.display(), row + 1)))?;
                w.write_all(&edited).and_then(|()| w.write_all(b"\n")).map_err(|e| werr(out)(e.to_string()))?;
            }
            written += 1;
            progress.tick(written)?;
        }
        row += 1;
    }
    finish_file(w, out)?;
    Ok(written)
}

fn finish_file(w: BufWriter<File>, out: &Path) -> Result<(), ExportError> {
    let file = w.into_inner().map_err(|e| werr(out)(e.to_string()))?;
    file.sync_all().map_err(|e| werr(out)(e.to_string()))
}

/// Whether a JSON source is an object keyed by id (else an array).
fn keyed_object(source: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 512];
    let n = File::open(source).and_then(|mut f| f.read(&mut head)).unwrap_or(0);
    head[..n].iter().copied().find(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF) == Some(b'{')
}

/// Reads the source's rows that have a plan, applying the edits, and hands each to `f`.
fn planned_values(
    source: &Path,
    format: Format,
    plans: &[RowPlan],
    f: &mut dyn FnMut(Option<String>, Value) -> Result<ControlFlow<()>, ExportError>,
) -> Result<(), ExportError> {
    let mut cursor = Cursor { plans, next: 0 };
    let mut failure = None;
    let result = Reader::new(source, format).for_each(0, &mut |raw| {
        let Some(plan) = cursor.at(raw.index) else {
            return if cursor.done() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) };
        };
        let step =
            raw.value.map_err(|e| ExportError::Source(format!("{}: {e}", source.display()))).and_then(|mut v| {
                edit::apply(&mut v, &plan.edits)
                    .map_err(|e| ExportError::Source(format!("{} index {}: {e}", source.display(), raw.index)))?;
                f(raw.key, v)
            });
        match step {
            Ok(flow) => flow,
            Err(e) => {
                failure = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    if let Some(e) = failure {
        return Err(e);
    }
    result.map_err(|e| ExportError::Source(format!("{}: {e}", source.display())))
}

fn json(source: &Path, plans: &[RowPlan], out: &Path, progress: &mut Progress) -> Result<u64, ExportError> {
    let keyed = keyed_object(source);
    let mut w = BufWriter::with_capacity(1 << 20, File::create(out).map_err(|e| werr(out)(e.to_string()))?);
    let io = |e: std::io::Error| werr(out)(e.to_string());
    w.write_all(if keyed { b"{" } else { b"[" }).map_err(io)?;
    let mut written = 0u64;
    planned_values(source, Format::Json, plans, &mut |key, v| {
        w.write_all(if written == 0 { b"\n" } else { b",\n" }).map_err(io)?;
        if keyed {
            serde_json::to_writer(&mut w, &key.unwrap_or_default()).map_err(|e| werr(out)(e.to_string()))?;
            w.write_all(b": ").map_err(io)?;
        }
        serde_json::to_writer(&mut w, &v).map_err(|e| werr(out)(e.to_string()))?;
        written += 1;
        progress.tick(written)?;
        Ok(ControlFlow::Continue(()))
    })?;
    w.write_all(if keyed { b"\n}\n" } else { b"\n]\n" }).map_err(io)?;
    finish_file(w, out)?;
    Ok(written)
}

/// A batch's planned rows: edited columns rebuilt, unplanned rows filtered out.
fn planned_batch(batch: &RecordBatch, first: u64, cursor: &mut Cursor<'_>) -> Result<RecordBatch, String> {
    let n = batch.num_rows();
    let mut keep = vec![false; n];
    let mut edited: Vec<(usize, &[Edit])> = Vec::new();
    for (i, k) in keep.iter_mut().enumerate() {
        if let Some(plan) = cursor.at(first + i as u64) {
            *k = true;
            if !plan.edits.is_empty() {
                edited.push((i, &plan.edits));
            }
        }
    }
    let mut columns: Vec<ArrayRef> = batch.columns().to_vec();
    let touched: BTreeSet<String> = edited.iter().flat_map(|(_, e)| e.iter().flat_map(Edit::columns)).collect();
    if !touched.is_empty() {
        let schema = batch.schema();
        let mut values: Vec<(usize, Vec<Value>)> = Vec::new();
        for name in &touched {
            let index = schema.index_of(name).map_err(|_| format!("the source has no column {name}"))?;
            values.push((index, column_values(batch.column(index).as_ref())));
        }
        for (row, edits) in &edited {
            let mut map = Map::new();
            for ((_, vals), name) in values.iter_mut().zip(&touched) {
                map.insert(name.clone(), std::mem::take(&mut vals[*row]));
            }
            let mut v = Value::Map(map);
            edit::apply(&mut v, edits).map_err(|e| format!("row {}: {e}", first + *row as u64))?;
            let Value::Map(mut map) = v else { continue };
            for ((_, vals), name) in values.iter_mut().zip(&touched) {
                vals[*row] = map.shift_remove(name).unwrap_or_default();
            }
        }
        for (index, vals) in values {
            let cells: Vec<&Value> = vals.iter().collect();
            let dt = schema.field(index).data_type().clone();
            columns[index] =
                array_of(&cells, &dt).map_err(|e| format!("column {}: {e}", schema.field(index).name()))?;
        }
    }
    let rebuilt = RecordBatch::try_new(batch.schema(), columns).map_err(|e| e.to_string())?;
    arrow_select::filter::filter_record_batch(&rebuilt, &BooleanArray::from(keep)).map_err(|e| e.to_string())
}

fn parquet(source: &Path, plans: &[RowPlan], out: &Path, progress: &mut Progress) -> Result<u64, ExportError> {
    let read = |e: String| ExportError::Source(format!("{}: {e}", source.display()));
    let file = File::open(source).map_err(|e| read(e.to_string()))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| read(e.to_string()))?;
    let schema = builder.schema().clone();
    let reader = builder.with_batch_size(1024).build().map_err(|e| read(e.to_string()))?;
    let props = WriterProperties::builder().set_compression(Compression::SNAPPY).build();
    let target = File::create(out).map_err(|e| werr(out)(e.to_string()))?;
    let mut writer = ArrowWriter::try_new(target, schema, Some(props)).map_err(|e| werr(out)(e.to_string()))?;
    let mut cursor = Cursor { plans, next: 0 };
    let (mut first, mut written) = (0u64, 0u64);
    for batch in reader {
        if cursor.done() {
            break;
        }
        let batch = batch.map_err(|e| read(e.to_string()))?;
        let kept = planned_batch(&batch, first, &mut cursor).map_err(read)?;
        first += batch.num_rows() as u64;
        written += kept.num_rows() as u64;
        writer.write(&kept).map_err(|e| werr(out)(e.to_string()))?;
        if writer.in_progress_size() >= 96 << 20 {
            writer.flush().map_err(|e| werr(out)(e.to_string()))?;
        }
        progress.tick(written)?;
    }
    let file = writer.into_inner().map_err(|e| werr(out)(e.to_string()))?;
    file.sync_all().map_err(|e| werr(out)(e.to_string()))?;
    Ok(written)
}

/// An Arrow IPC writer of the source's own kind (file or stream).
enum IpcWriter {
    File(arrow_ipc::writer::FileWriter<BufWriter<File>>),
    Stream(arrow_ipc::writer::StreamWriter<BufWriter<File>>),
}

fn arrow(source: &Path, plans: &[RowPlan], out: &Path, progress: &mut Progress) -> Result<u64, ExportError> {
    use arrow_ipc::reader::{FileReader, StreamReader};
    use arrow_ipc::writer::{FileWriter, StreamWriter};
    let read = |e: String| ExportError::Source(format!("{}: {e}", source.display()));
    let mut magic = [0u8; 6];
    {
        use std::io::Read;
        File::open(source).and_then(|mut f| f.read_exact(&mut magic)).map_err(|e| read(e.to_string()))?;
    }
    let file = File::open(source).map_err(|e| read(e.to_string()))?;
    let is_file = &magic == b"ARROW1";
    let (schema, batches): (_, Box<dyn Iterator<Item = Result<RecordBatch, arrow_schema::ArrowError>>>) = if is_file {
        let r = FileReader::try_new(file, None).map_err(|e| read(e.to_string()))?;
        (r.schema(), Box::new(r))
    } else {
        let r = StreamReader::try_new(std::io::BufReader::new(file), None).map_err(|e| read(e.to_string()))?;
        (r.schema(), Box::new(r))
    };
    let target = BufWriter::new(File::create(out).map_err(|e| werr(out)(e.to_string()))?);
    let mut writer = if is_file {
        IpcWriter::File(FileWriter::try_new(target, &schema).map_err(|e| werr(out)(e.to_string()))?)
    } else {
        IpcWriter::Stream(StreamWriter::try_new(target, &schema).map_err(|e| werr(out)(e.to_string()))?)
    };
    let mut cursor = Cursor { plans, next: 0 };
    let (mut first, mut written) = (0u64, 0u64);
    for batch in batches {
        let batch = batch.map_err(|e| read(e.to_string()))?;
        let kept = planned_batch(&batch, first, &mut cursor).map_err(read)?;
        first += batch.num_rows() as u64;
        written += kept.num_rows() as u64;
        match &mut writer {
            IpcWriter::File(w) => w.write(&kept),
            IpcWriter::Stream(w) => w.write(&kept),
        }
        .map_err(|e| werr(out)(e.to_string()))?;
        progress.tick(written)?;
    }
    let inner = match writer {
        IpcWriter::File(mut w) => w.finish().and_then(|()| w.into_inner()),
        IpcWriter::Stream(mut w) => w.finish().and_then(|()| w.into_inner()),
    }
    .map_err(|e| werr(out)(e.to_string()))?;
    finish_file(inner, out)?;
    Ok(written)
}

/// The first `n` planned rows as JSON text (for the preview).
pub(super) fn first_rows(d: &DatasetInfo, plans: &[RowPlan], n: usize) -> Result<Vec<String>, ExportError> {
    let mut rows = Vec::new();
    if n == 0 || plans.is_empty() {
        return Ok(rows);
    }
    let plans = &plans[..plans.len().min(n)];
    planned_values(Path::new(&d.source_path), format_of(d), plans, &mut |_, v| {
        rows.push(super::super::pipeline::preview_text(&v));
        Ok(if rows.len() >= n { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
    })?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_finds_planned_rows_in_order() {
        let plans = vec![RowPlan { row: 1, edits: Vec::new() }, RowPlan { row: 4, edits: Vec::new() }];
        let mut c = Cursor { plans: &plans, next: 0 };
        let hits: Vec<u64> = (0..6).filter(|r| c.at(*r).is_some()).collect();
        assert_eq!(hits, [1, 4]);
        assert!(c.done() || c.next == 1);
    }

    #[test]
    fn a_batch_keeps_planned_rows_and_rebuilds_edited_columns() {
        use arrow_array::{Int64Array, StringArray};
        use std::sync::Arc;
        let batch = RecordBatch::try_from_iter(vec![
            ("chosen", Arc::new(StringArray::from(vec!["a0", "a1", "a2"])) as ArrayRef),
            ("rejected", Arc::new(StringArray::from(vec!["b0", "b1", "b2"])) as ArrayRef),
            ("n", Arc::new(Int64Array::from(vec![0, 1, 2])) as ArrayRef),
        ])
        .expect("batch");
        let plans = vec![
            RowPlan { row: 0, edits: Vec::new() },
            RowPlan { row: 2, edits: vec![Edit::Swap("chosen".into(), "rejected".into())] },
        ];
        let mut c = Cursor { plans: &plans, next: 0 };
        let out = planned_batch(&batch, 0, &mut c).expect("planned");
        let rows = crate::ingest::readers::record_batch_rows(&out, 0);
        let text = serde_json::to_string(&rows).expect("json");
        assert_eq!(text, r#"[{"chosen":"a0","rejected":"b0","n":0},{"chosen":"b2","rejected":"a2","n":2}]"#);
        assert_eq!(out.column(2).len(), 2);
    }
}
