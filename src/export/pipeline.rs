//! The pass over the selected samples for the training formats and `verdict`: label to pairs,
//! media placed, rows built and written per split, counts kept for the manifest. The same pass
//! runs as a preview (nothing written; the first rows kept as text).

use super::label::{self, PairKind, PairRules};
use super::manifest::{self, Counts, LISTED_MAX, LeftOut, MediaSummary, Position};
use super::media::{MEDIA_DIR, MediaPlacer, Placed};
use super::options::{ExportOptions, FileFormat, MediaMode, Target};
use super::outdir::OutDir;
use super::sink::{JsonlSink, ParquetSink, RowSink};
use super::split::{Side, SplitGroups};
use super::targets::{self, LlamaFactory, Needs, OpenRlhf, PairRow, PairTarget, Part, Swift, Trl};
use super::{ExportError, ExportReport, Preview, forms, verdict_format};
use crate::jobs::Progress;
use crate::model::{JudgmentSource, MediaKind, MediaRole, ProbeStatus, SampleId, Value};
use crate::store::{DatasetInfo, FullSample, MediaView, Store};
use std::collections::{BTreeMap, HashMap};

/// Samples read per chunk.
const CHUNK: usize = 512;

/// Whether the pass writes files or previews.
pub enum Mode {
    /// Write into the staging folder, then commit.
    Write(OutDir),
    /// Keep the first `n` rows as text; write nothing.
    Preview(usize),
}

/// A finished pass.
pub struct Done {
    counts: Counts,
    left_out: Vec<LeftOut>,
    files: Vec<String>,
    out: Option<std::path::PathBuf>,
    rows: Vec<String>,
    media: MediaSummary,
}

impl Done {
    /// As an export's report.
    pub fn into_report(self) -> ExportReport {
        ExportReport {
            out: self.out.unwrap_or_default(),
            files: self.files,
            counts: self.counts,
            left_out: self.left_out,
            media_files: self.media.files,
            media_bytes: self.media.bytes,
            elapsed: std::time::Duration::ZERO,
        }
    }

    /// As a preview.
    pub fn into_preview(self) -> Preview {
        Preview { rows: self.rows, counts: self.counts, left_out: self.left_out }
    }
}

/// What builds the rows.
enum Builder {
    Pairs(Box<dyn PairTarget>),
    Verdict,
}

struct Pass<'a> {
    store: &'a Store,
    options: &'a ExportOptions,
    builder: Builder,
    rules: PairRules,
    placer: MediaPlacer<'a>,
    out: Option<OutDir>,
    sinks: BTreeMap<(Side, Part), Box<dyn RowSink>>,
    preview: Option<usize>,
    rows: Vec<String>,
    counts: Counts,
    left_out: Vec<LeftOut>,
    datasets: HashMap<i64, DatasetInfo>,
    /// Duplicate groups kept on one side of a split.
    split_groups: SplitGroups,
    /// Each written sample's side (with a split), to count duplicate pairs across it.
    sides: HashMap<SampleId, Side>,
}

/// Runs the pass over `ids` (ascending).
pub fn run(
    store: &Store,
    options: &ExportOptions,
    ids: &[SampleId],
    mode: Mode,
    progress: &mut Progress,
) -> Result<Done, ExportError> {
    let embed = options.media_mode() == MediaMode::Embed;
    // The forms are decided before the pass, from every selected sample, so that each file of
    // the export (both sides of a split) has one.
    let shapes = match options.target {
        Target::Trl | Target::OpenRlhf | Target::LlamaFactory => store.shapes(ids)?,
        _ => Vec::new(),
    };
    let builder = match options.target {
        Target::Verdict => Builder::Verdict,
        Target::Trl => Builder::Pairs(Box::new(Trl { form: forms::trl(&shapes, options), embed })),
        Target::LlamaFactory => {
            Builder::Pairs(Box::new(LlamaFactory { embed, videos: forms::llamafactory_videos(&shapes, options) }))
        }
        Target::Swift => Builder::Pairs(Box::new(Swift { embed })),
        Target::OpenRlhf => Builder::Pairs(Box::new(OpenRlhf { messages: forms::openrlhf_messages(&shapes, options) })),
        Target::Original => unreachable!("`original` has its own pass"),
    };
    drop(shapes);
    let (out, preview) = match mode {
        Mode::Write(out) => (Some(out), None),
        Mode::Preview(n) => (None, Some(n)),
    };
    let staging = out.as_ref().map_or_else(std::env::temp_dir, |o| o.staging().to_owned());
    let mut placer = MediaPlacer::new(store, options.media_mode(), &staging);
    placer.dry = preview.is_some();
    let datasets = store.datasets()?.into_iter().map(|d| (d.id.0, d)).collect();
    let split_groups = if options.split.is_some() { SplitGroups::load(store, ids)? } else { SplitGroups::default() };
    let mut pass = Pass {
        store,
        options,
        builder,
        rules: PairRules { mode: options.pairs, aspect: options.aspect.clone(), ties: options.ties },
        placer,
        out,
        sinks: BTreeMap::new(),
        preview,
        rows: Vec::new(),
        counts: Counts { samples_matched: ids.len() as u64, ..Counts::default() },
        left_out: Vec::new(),
        datasets,
        split_groups,
        sides: HashMap::new(),
    };
    pass.open_sinks()?;
    progress.phase(if preview.is_some() { "counting" } else { "exporting" }, "samples", Some(ids.len() as u64), 0);
    let mut done = 0u64;
    for chunk in store.read_ahead(ids.to_vec(), CHUNK) {
        let chunk = chunk?;
        for s in &chunk {
            pass.sample(s)?;
        }
        done += chunk.len() as u64;
        progress.tick(done)?;
    }
    progress.finish(done);
    pass.finish()
}

impl Pass<'_> {
    fn extension(&self) -> &'static str {
        match self.options.effective_file_format() {
            FileFormat::Jsonl => "jsonl",
            FileFormat::Parquet => "parquet",
        }
    }

    fn file_name(&self, side: Side, part: Part) -> String {
        format!("{}{}.{}", side.as_str(), part.suffix(), self.extension())
    }

    /// The data files: each side and part (both sides when splitting, so that an empty side still loads).
    fn files(&self) -> Vec<(Side, Part)> {
        let sides: &[Side] = if self.options.split.is_some() { &[Side::Train, Side::Test] } else { &[Side::Train] };
        let parts = match &self.builder {
            Builder::Pairs(t) => t.parts(),
            Builder::Verdict => &[Part::Main],
        };
        parts.iter().flat_map(|p| sides.iter().map(move |s| (*s, *p))).collect()
    }

    /// Creates the data files.
    fn open_sinks(&mut self) -> Result<(), ExportError> {
        let files = self.files();
        for (side, part) in &files {
            self.counts.rows_per_file.insert(self.file_name(*side, *part), 0);
        }
        let Some(out) = &self.out else { return Ok(()) };
        for (side, part) in files {
            let path = out.staged(&self.file_name(side, part));
            let sink: Box<dyn RowSink> = match (self.options.effective_file_format(), &self.builder) {
                (FileFormat::Parquet, Builder::Pairs(t)) => {
                    let embed = self.options.media_mode() == MediaMode::Embed;
                    let schema = t.schema(embed, part);
                    let features = targets::hf_features(&schema, &t.media_features(embed));
                    Box::new(ParquetSink::create(&path, &schema, Some(&features)).map_err(ExportError::Write)?)
                }
                _ => Box::new(JsonlSink::create(&path).map_err(ExportError::Write)?),
            };
            self.sinks.insert((side, part), sink);
        }
        Ok(())
    }

    fn leave(&mut self, s: &FullSample, reason: &str, detail: Option<String>) {
        self.counts.leave(reason);
        if self.left_out.len() < LISTED_MAX {
            let (file, format) = self
                .datasets
                .get(&s.sample.dataset_id.0)
                .map_or_else(|| (String::new(), String::new()), |d| (file_name_of(&d.source_path), d.format.clone()));
            self.left_out.push(LeftOut {
                sample: s.sample.id.0,
                file,
                position: Position::of(&format, s.sample.row_index),
                reason: reason.to_owned(),
                detail,
            });
        }
    }

    fn flagged(s: &FullSample) -> bool {
        s.curation.as_ref().is_some_and(|c| c.state.flag.is_some())
    }

    fn sample(&mut self, s: &FullSample) -> Result<(), ExportError> {
        if self.datasets.get(&s.sample.dataset_id.0).is_some_and(|d| d.reference) {
            self.leave(s, "reference_set", None);
            return Ok(());
        }
        if let Some(reason) = s.curation.as_ref().and_then(|c| c.state.excluded.clone())
            && !self.options.include_excluded
        {
            self.leave(s, "excluded", Some(reason));
            return Ok(());
        }
        if Self::flagged(s) && !self.options.include_flagged {
            self.leave(s, "flagged", s.curation.as_ref().and_then(|c| c.state.flag.clone()));
            return Ok(());
        }
        if matches!(self.builder, Builder::Verdict) {
            return self.verdict_sample(s);
        }
        let pairs = match label::pairs(s, &self.rules) {
            Ok(p) if self.options.margin_from.is_some() => {
                label::with_model_margins(s, p, self.options.margin_from.as_deref())
            }
            Ok(p) => p,
            Err(why) => {
                self.leave(s, why.as_str(), None);
                return Ok(());
            }
        };
        let v = &s.sample;
        if v.media.iter().any(|m| m.role == MediaRole::Candidate) {
            self.leave(s, "cannot_express:media_response", None);
            return Ok(());
        }
        let inputs: Vec<&MediaView> = v.media.iter().filter(|m| m.role == MediaRole::Input).collect();
        let has = |k: MediaKind| inputs.iter().any(|m| m.kind == k);
        let needs = Needs {
            images: has(MediaKind::Image),
            videos: has(MediaKind::Video),
            frames: has(MediaKind::Frames),
            audios: has(MediaKind::Audio),
            system: v.context.iter().any(|t| t.role == "system"),
            turns: v.context.iter().any(|t| t.role != "system"),
        };
        let Builder::Pairs(target) = &self.builder else { return Ok(()) };
        let part = target.part(needs);
        if let Some(what) = target.refuses(needs) {
            self.leave(s, &format!("cannot_express:{what}"), None);
            return Ok(());
        }
        if matches!(self.options.target, Target::LlamaFactory | Target::Swift) && !targets::alternates(&v.context) {
            self.leave(s, "cannot_express:turns_not_alternating", None);
            return Ok(());
        }
        if v.media.iter().any(|m| m.role == MediaRole::Retrieved) {
            self.counts.note("retrieved_media_not_written");
        }
        let text = |pos: u32| v.responses.get(pos as usize).and_then(|r| r.text.as_deref());
        if pairs.iter().any(|p| text(p.chosen).is_none() || text(p.rejected).is_none()) {
            self.leave(s, "cannot_express:response_without_text", None);
            return Ok(());
        }
        let Some(placed) = self.place_inputs(s, &inputs) else { return Ok(()) };
        let (mut images, mut videos, mut audios) = (Vec::new(), Vec::new(), Vec::new());
        for (m, p) in inputs.iter().zip(placed) {
            match m.kind {
                MediaKind::Image => images.push(p),
                MediaKind::Video | MediaKind::Frames => videos.push(p),
                MediaKind::Audio => audios.push(p),
            }
        }
        let side = self.split_groups.side(self.options.split.as_ref(), v);
        let curator = label::deciding(s, &self.rules).is_some_and(|j| j.source == JudgmentSource::Curator);
        let mut wrote = false;
        for pair in pairs {
            if pair.kind != PairKind::Preference {
                let Builder::Pairs(target) = &self.builder else { return Ok(()) };
                if !target.says_ties() {
                    self.leave(
                        s,
                        if pair.kind == PairKind::Tie { "cannot_express:tie" } else { "cannot_express:both_bad" },
                        None,
                    );
                    continue;
                }
            }
            let row = PairRow {
                sample: v,
                pair,
                chosen: text(pair.chosen).unwrap_or_default(),
                rejected: text(pair.rejected).unwrap_or_default(),
                images: &images,
                videos: &videos,
                audios: &audios,
            };
            let Builder::Pairs(target) = &self.builder else { return Ok(()) };
            let (value, repaired) = target.row(&row);
            self.counts.placeholders_repaired += u64::from(repaired);
            if curator {
                self.counts.curator_labels += 1;
            } else {
                self.counts.original_labels += 1;
            }
            self.emit(side, part, value)?;
            wrote = true;
        }
        self.counts.samples_written += u64::from(wrote);
        if wrote && self.options.split.is_some() {
            self.sides.insert(v.id, side);
        }
        Ok(())
    }

    /// Places the input media; `None` (and the sample left out, listed) when one is missing.
    fn place_inputs(&mut self, s: &FullSample, inputs: &[&MediaView]) -> Option<Vec<Placed>> {
        let mut placed = Vec::with_capacity(inputs.len());
        let keep_rows = self.preview.is_some_and(|n| self.rows.len() < n);
        for m in inputs {
            // Media that does not decode (its probe failed, or `verdict check` found it cut short,
            // corrupt or past the decode limits) is left out as a missing file is.
            if m.probe_status == ProbeStatus::Failed {
                let why = m.probe_error.as_deref().unwrap_or("it does not decode");
                self.leave(s, "missing_media", Some(format!("{}: {why}", m.field)));
                return None;
            }
            let result = if self.preview.is_some() && !keep_rows {
                self.placer.check(m).map(|()| Placed { path: String::new(), frames: Vec::new(), bytes: None })
            } else {
                self.placer.place(m)
            };
            match result {
                Ok(p) => placed.push(p),
                Err(why) => {
                    self.leave(s, "missing_media", Some(format!("{}: {why}", m.field)));
                    return None;
                }
            }
        }
        Some(placed)
    }

    fn emit(&mut self, side: Side, part: Part, value: Value) -> Result<(), ExportError> {
        self.counts.rows_written += 1;
        *self.counts.rows_per_file.entry(self.file_name(side, part)).or_default() += 1;
        if let Some(n) = self.preview {
            if self.rows.len() < n {
                self.rows.push(preview_text(&value));
            }
            return Ok(());
        }
        match self.sinks.get_mut(&(side, part)) {
            Some(sink) => sink.write(value).map_err(ExportError::Write),
            None => Ok(()),
        }
    }

    fn verdict_sample(&mut self, s: &FullSample) -> Result<(), ExportError> {
        let v = &s.sample;
        let keep_rows = self.preview.is_none_or(|n| self.rows.len() < n);
        let mut media = Vec::with_capacity(v.media.len());
        for m in &v.media {
            let placed = if keep_rows {
                self.placer.place(m)
            } else {
                self.placer.check(m).map(|()| Placed { path: String::new(), frames: Vec::new(), bytes: None })
            };
            if placed.is_err() {
                self.counts.note("media_not_placed_kept_as_reference");
            }
            media.push((m, placed));
        }
        let mut blobs = Vec::new();
        for hash in verdict_format::extras_blobs(v.extras.as_deref()) {
            let placed = self.placer.place_blob(&hash, None).map_err(ExportError::Write)?;
            blobs.push((hash, placed.path));
        }
        let source = self.datasets.get(&v.dataset_id.0).map_or(serde_json::Value::Null, |d| {
            serde_json::json!({
                "file": file_name_of(&d.source_path), "blake3": d.content_hash, "format": d.format,
                "preset": d.preset, "row": v.row_index, "sub": v.sub_index,
            })
        });
        let line = verdict_format::line(s, &source, &media, &blobs);
        if s.curation.as_ref().is_some_and(|c| c.state.judgment_id.is_some()) {
            self.counts.curator_labels += 1;
        } else {
            self.counts.original_labels += 1;
        }
        let side = self.split_groups.side(self.options.split.as_ref(), v);
        self.emit(side, Part::Main, line)?;
        self.counts.samples_written += 1;
        Ok(())
    }

    fn finish(mut self) -> Result<Done, ExportError> {
        let mut media = MediaSummary {
            mode: self.options.media_mode().as_str().to_owned(),
            files: self.placer.files,
            bytes: self.placer.bytes,
            linked: self.placer.linked,
            paths: serde_json::Value::Null,
        };
        if self.placer.embedded_copied > 0 {
            self.counts.notes.insert("embedded_media_copied_in_reference_mode".into(), self.placer.embedded_copied);
        }
        if self.options.split.is_some() {
            self.counts.duplicate_pairs_across_split = Some(self.split_groups.pairs_across(&self.sides));
        }
        let Some(out) = self.out.take() else {
            return Ok(Done {
                counts: self.counts,
                left_out: self.left_out,
                files: Vec::new(),
                out: None,
                rows: self.rows,
                media,
            });
        };
        let mut files: Vec<String> = Vec::new();
        if self.placer.wrote_files() {
            files.push(MEDIA_DIR.to_owned());
        }
        for ((side, part), sink) in std::mem::take(&mut self.sinks) {
            sink.finish().map_err(ExportError::Write)?;
            files.push(self.file_name(side, part));
        }
        media.paths =
            manifest::media_paths(self.options.target, self.options.media_mode(), out.dir(), self.placer.wrote_files());
        let details = self.target_details(&out)?;
        if self.options.target == Target::LlamaFactory {
            files.push("dataset_info.json".into());
        }
        files.push("manifest.json".into());
        let text = manifest::render(self.store, self.options, &self.counts, &self.left_out, &media, &files, &details)?;
        write_staged(&out, "manifest.json", &text)?;
        let dir = out.dir().to_owned();
        out.commit(&files)?;
        Ok(Done { counts: self.counts, left_out: self.left_out, files, out: Some(dir), rows: Vec::new(), media })
    }

    /// The manifest's `target_details`: each data file's form (TRL, OpenRLHF) with what it means,
    /// or LLaMA-Factory's `dataset_info.json` (written here) and how to load its entries.
    fn target_details(&self, out: &OutDir) -> Result<serde_json::Value, ExportError> {
        let Builder::Pairs(target) = &self.builder else { return Ok(serde_json::Value::Null) };
        if let Some((form, explanation)) = target.form() {
            let forms: serde_json::Map<String, serde_json::Value> =
                self.files().into_iter().map(|(side, part)| (self.file_name(side, part), form.into())).collect();
            return Ok(serde_json::json!({"forms": forms, "form_explanation": explanation}));
        }
        if self.options.target != Target::LlamaFactory {
            return Ok(serde_json::Value::Null);
        }
        let (info, entries) = self.dataset_info(out);
        write_staged(out, "dataset_info.json", &(serde_json::to_string_pretty(&info).unwrap_or_default() + "\n"))?;
        let dir = out.dir().canonicalize().unwrap_or_else(|_| out.dir().to_owned());
        let named =
            |part: Part| -> Vec<&str> { entries.iter().filter(|e| e.1 == part).map(|e| e.0.as_str()).collect() };
        let mut how = format!("dataset_dir: {}; dataset: {}", dir.display(), named(Part::Main).join(", "));
        if target.parts().contains(&Part::Frames) {
            let frames = named(Part::Frames);
            how = format!(
                "{how}. Videos given as frame folders are in their own entries ({}): one file's videos column holds \
                 either file paths or frame lists, and LLaMA-Factory merges the datasets of one run only when their \
                 columns have one type, so train on those entries in a run of their own",
                frames.join(", ")
            );
        }
        Ok(serde_json::json!({"dataset_info": info, "how_to_load": how}))
    }

    /// LLaMA-Factory's `dataset_info.json`: one entry per data file (`NAME`, `NAME_train`/`NAME_test`
    /// with a split, `_frames` after either for the frame-folder file), and the entries' names.
    fn dataset_info(&self, out: &OutDir) -> (serde_json::Value, Vec<(String, Part)>) {
        let name = out.dir().file_name().map_or_else(|| "verdict".into(), |n| sanitize(&n.to_string_lossy()));
        let columns = serde_json::json!({
            "messages": "conversations", "chosen": "chosen", "rejected": "rejected",
            "images": "images", "videos": "videos", "audios": "audios",
        });
        let mut info = serde_json::Map::new();
        let mut entries = Vec::new();
        for (side, part) in self.files() {
            let base = if self.options.split.is_none() { name.clone() } else { format!("{name}_{}", side.as_str()) };
            let entry = format!("{base}{}", part.suffix());
            info.insert(
                entry.clone(),
                serde_json::json!({
                    "file_name": self.file_name(side, part),
                    "formatting": "sharegpt",
                    "ranking": true,
                    "columns": columns,
                }),
            );
            entries.push((entry, part));
        }
        (serde_json::Value::Object(info), entries)
    }
}

fn write_staged(out: &OutDir, rel: &str, text: &str) -> Result<(), ExportError> {
    let path = out.staged(rel);
    std::fs::write(&path, text).map_err(|e| ExportError::Write(format!("{}: {e}", path.display())))
}

/// A name usable as a dataset entry: letters, digits, `_`, `-`.
fn sanitize(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    if s.is_empty() { "verdict".into() } else { s }
}

/// The file name of a path as text.
pub(super) fn file_name_of(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// A row as the preview shows it: the JSON the export writes (keys in their order), with embedded
/// bytes shown as their size.
pub(super) fn preview_text(v: &Value) -> String {
    fn shown(v: &Value) -> Value {
        match v {
            Value::Bytes(b) => Value::Str(format!("<{} bytes>", b.len())),
            Value::List(l) => Value::List(l.iter().map(shown).collect()),
            Value::Map(m) => Value::Map(m.iter().map(|(k, v)| (k.clone(), shown(v))).collect()),
            other => other.clone(),
        }
    }
    let mut out = Vec::new();
    super::json_write::write_value(&mut out, &shown(v));
    String::from_utf8(out).unwrap_or_default()
}
