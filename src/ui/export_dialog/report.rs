//! An export's counts and report for the curator: the preview's counts under the export dialog
//! and the finished job's summary and detail, with the reasons samples were left out in words
//! (`export::reasons`; the manifest keeps the codes).

use crate::export::{ExportReport, Preview, Target, reasons};
use crate::model::words;
use crate::ui::shared::thousands;
use egui::RichText;

/// Samples left out that the preview lists one by one.
const LEFT_OUT_LISTED: usize = 8;

/// The preview's counts: rows per file, labels, what is left out and why in words, the first
/// samples left out.
pub fn counts_ui(ui: &mut egui::Ui, p: &Preview, target: Target) {
    let c = &p.counts;
    egui::Grid::new("export_counts").num_columns(2).spacing([12.0, 4.0]).show(ui, |ui| {
        ui.label("Samples matched");
        ui.label(thousands(c.samples_matched));
        ui.end_row();
        ui.label("Rows written");
        ui.label(format!("{} from {}", thousands(c.rows_written), counted(c.samples_written, "sample")));
        ui.end_row();
        for (file, n) in &c.rows_per_file {
            ui.horizontal(|ui| {
                ui.add_space(8.0);
                ui.weak(file.as_str());
            });
            ui.weak(counted(*n, "row"));
            ui.end_row();
        }
        ui.label("Labels");
        ui.label(format!("{} from curators, {} original", thousands(c.curator_labels), thousands(c.original_labels)));
        ui.end_row();
        if c.placeholders_repaired > 0 {
            ui.label("Media placeholders fixed");
            ui.label(counted(c.placeholders_repaired, "row"));
            ui.end_row();
        }
        ui.label("Left out");
        ui.label(counted(c.left_out_total(), "sample"));
        ui.end_row();
        for (reason, n) in &c.left_out {
            ui.horizontal(|ui| {
                ui.add_space(8.0);
                ui.add(egui::Label::new(RichText::new(reasons::in_words(reason, target)).weak()).wrap());
            });
            ui.weak(thousands(*n));
            ui.end_row();
        }
        for (what, n) in &c.notes {
            ui.weak(format!("note: {what}"));
            ui.weak(thousands(*n));
            ui.end_row();
        }
    });
    if !p.left_out.is_empty() {
        egui::CollapsingHeader::new(format!("First samples left out ({})", p.left_out.len().min(LEFT_OUT_LISTED)))
            .id_salt("export_left_out")
            .show(ui, |ui| {
                for l in p.left_out.iter().take(LEFT_OUT_LISTED) {
                    let line = reasons::left_out_line(l, target);
                    ui.add(egui::Label::new(RichText::new(line).monospace().size(12.0)).wrap());
                }
            });
    }
}

/// The job's one-line summary and its detail, from the core's report.
pub fn describe_report(title: &str, target: Target, r: &ExportReport) -> (String, String) {
    use std::fmt::Write as _;
    let c = &r.counts;
    let files: Vec<String> = c.rows_per_file.iter().map(|(f, n)| format!("{f} {}", thousands(*n))).collect();
    let mut summary = format!(
        "wrote {} from {} to {} ({})",
        counted(c.rows_written, "row"),
        counted(c.samples_written, "sample"),
        r.out.display(),
        files.join(", ")
    );
    if c.left_out_total() > 0 {
        let why: Vec<String> =
            c.left_out.iter().map(|(k, n)| format!("{} {}", thousands(*n), reasons::in_words(k, target))).collect();
        let _ = write!(summary, "; left out {}: {}", thousands(c.left_out_total()), why.join("; "));
    }
    let secs = r.elapsed.as_secs_f64();
    let mut d = String::new();
    let _ = writeln!(d, "{title}\nFolder: {}\nFiles: {}", r.out.display(), r.files.join(", "));
    let _ =
        writeln!(d, "Samples matched: {}; written: {}; rows: {}", c.samples_matched, c.samples_written, c.rows_written);
    for (f, n) in &c.rows_per_file {
        let _ = writeln!(d, "  {f}: {}", words::plural(*n, "row"));
    }
    let _ = writeln!(d, "Labels: {} from curators, {} original", c.curator_labels, c.original_labels);
    if r.media_files > 0 {
        let _ =
            writeln!(d, "Media: {}, {}", words::plural(r.media_files, "file"), words::plural(r.media_bytes, "byte"));
    }
    if c.placeholders_repaired > 0 {
        let _ = writeln!(d, "Media placeholders fixed in {}", words::plural(c.placeholders_repaired, "row"));
    }
    let _ = writeln!(d, "Left out: {}", words::plural(c.left_out_total(), "sample"));
    for (k, n) in &c.left_out {
        let _ = writeln!(d, "  {n}: {}", reasons::in_words(k, target));
    }
    for l in r.left_out.iter().take(20) {
        let _ = writeln!(d, "    {}", reasons::left_out_line(l, target));
    }
    for (k, n) in &c.notes {
        let _ = writeln!(d, "Note: {k}: {n}");
    }
    let rate = c.rows_written as f64 / secs.max(1e-9);
    let _ = write!(d, "Took {secs:.2} s ({rate:.0} rows/s); manifest.json lists it all.");
    (summary, d)
}

/// `n` with thousands separators and its noun: `1 row`, `1,204 rows`.
fn counted(n: u64, noun: &str) -> String {
    words::count_as(n, &thousands(n), noun, &format!("{noun}s"))
}
