//! The export form's model, without egui: what the curator chose in File > Export… as
//! [`ExportForm`] (turned into the core's [`ExportOptions`]), the same choices as the settings file
//! keeps them per project ([`SavedExport`]), and what the output folder holds ([`FolderState`],
//! by the export's own rules). [`super::Command::StartExport`] carries the form.

use crate::export::{ExportOptions, FileFormat, Form, MediaMode, PairMode, Split, Survey, Target, TiesMode};
use crate::ui::shared::expand_home;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The name a curator knows the target by.
pub fn target_title(t: Target) -> &'static str {
    match t {
        Target::Trl => "TRL",
        Target::LlamaFactory => "LLaMA-Factory",
        Target::Swift => "ms-swift",
        Target::OpenRlhf => "OpenRLHF",
        Target::Original => "Original",
        Target::Verdict => "Verdict",
    }
}

/// What the curator chose, as the dialog edits it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportForm {
    /// The format.
    pub target: Target,
    /// JSONL or Parquet (not asked for `original` and `verdict`).
    pub file_format: FileFormat,
    /// Which samples (the query bar's language).
    pub query: String,
    /// Write flagged samples too.
    pub include_flagged: bool,
    /// Write samples marked excluded too.
    pub include_excluded: bool,
    /// Rankings and ratings to pairs.
    pub pairs: PairMode,
    /// The rated aspect that orders responses; empty: an overall rating, else the mean.
    pub aspect: String,
    /// Ties and both-bad.
    pub ties: TiesMode,
    /// Strings or messages (TRL and OpenRLHF).
    pub form: Form,
    /// Hold out a test split.
    pub split: bool,
    /// Its share (0 to 1).
    pub test_share: f64,
    /// Its seed.
    pub seed: u64,
    /// The media mode; `None`: the file type's default.
    pub media: Option<MediaMode>,
    /// The output folder as typed (`~` and paths relative to the project's folder allowed).
    pub out: String,
    /// The folder was suggested, not chosen: it follows the target.
    pub out_suggested: bool,
    /// Replace an earlier export in a non-empty folder.
    pub force: bool,
    /// The scorer whose scores give the pairs' margins (swift and OpenRLHF); empty: the source's.
    pub margin_from: String,
}

impl ExportForm {
    /// The defaults, writing next to `project`.
    pub fn new(project: &Path) -> Self {
        let mut f = Self {
            target: Target::Trl,
            file_format: FileFormat::Jsonl,
            query: String::new(),
            include_flagged: false,
            include_excluded: false,
            pairs: PairMode::BestWorst,
            aspect: String::new(),
            ties: TiesMode::Drop,
            form: Form::Auto,
            split: false,
            test_share: 0.05,
            seed: 0,
            media: None,
            out: String::new(),
            out_suggested: true,
            force: false,
            margin_from: String::new(),
        };
        f.suggest_out(project);
        f
    }

    /// `<project folder>/<project name>-<target>`, while the curator has not chosen a folder.
    pub fn suggest_out(&mut self, project: &Path) {
        if self.out_suggested {
            let stem = project.file_stem().map_or_else(|| "export".into(), |s| s.to_string_lossy().into_owned());
            let dir = project.parent().unwrap_or(Path::new("."));
            self.out = dir.join(format!("{stem}-{}", self.target)).display().to_string();
        }
    }

    /// Whether the file type is the curator's choice for this target.
    pub fn asks_file_format(&self) -> bool {
        !matches!(self.target, Target::Original | Target::Verdict)
    }

    /// Whether the target has a strings and a messages form.
    pub fn has_forms(&self) -> bool {
        matches!(self.target, Target::Trl | Target::OpenRlhf)
    }

    /// The output folder the text names: `~` expanded, relative paths under the project's folder.
    pub fn out_path(&self, project: &Path) -> Option<PathBuf> {
        let typed = self.out.trim();
        if typed.is_empty() {
            return None;
        }
        let p = expand_home(typed);
        Some(if p.is_absolute() { p } else { project.parent().unwrap_or(Path::new(".")).join(p) })
    }

    /// The core's options (without checking them).
    pub fn options(&self, project: &Path) -> ExportOptions {
        let mut o = ExportOptions::new(self.target, self.out_path(project).unwrap_or_default());
        o.file_format = if self.asks_file_format() { self.file_format } else { FileFormat::Jsonl };
        o.query.clone_from(&self.query);
        o.include_flagged = self.include_flagged;
        o.include_excluded = self.include_excluded;
        o.pairs = self.pairs;
        o.aspect = Some(self.aspect.trim().to_owned()).filter(|a| !a.is_empty());
        o.ties = self.ties;
        // The other formats have one form: the choice stays for when TRL or OpenRLHF is picked again.
        o.form = if self.has_forms() { self.form } else { Form::Auto };
        o.split = self.split.then_some(Split { test: self.test_share.clamp(0.0, 1.0), seed: self.seed });
        o.media = if self.target == Target::Original { None } else { self.media };
        o.force = self.force;
        o.margin_from = Some(self.margin_from.trim().to_owned())
            .filter(|m| !m.is_empty() && matches!(self.target, Target::Swift | Target::OpenRlhf));
        o.invocation = vec!["app".into()];
        o
    }

    /// What makes these options unusable, whatever the folder: a bad query, a contradiction.
    pub fn option_problem(&self, project: &Path) -> Option<String> {
        if let Err(e) = crate::query::compile(&self.query) {
            return Some(format!("Filter: {e}"));
        }
        self.options(project).validate().err()
    }

    /// Why an export of this form cannot start: a bad option, else the output folder as `folder`
    /// says it is (none typed, unusable, or not empty without "Replace").
    pub fn start_problem(&self, project: &Path, folder: &FolderState) -> Option<String> {
        self.option_problem(project).or_else(|| match folder {
            FolderState::Unset => Some("Choose the folder to write into.".into()),
            FolderState::Unusable(e) => Some(e.clone()),
            s if !s.allows(self.force) => {
                Some("The folder is not empty: choose another, or tick \"Replace an earlier export there\".".into())
            }
            _ => None,
        })
    }

    /// The form as far as the preview depends on it (not the folder).
    #[must_use]
    pub fn preview_key(&self) -> Self {
        Self { out: String::new(), out_suggested: false, force: false, ..self.clone() }
    }
}

/// The form as the settings file keeps it, per project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SavedExport {
    target: String,
    file_format: String,
    include_flagged: bool,
    #[serde(default)]
    include_excluded: bool,
    pairs: String,
    aspect: String,
    ties: String,
    #[serde(default)]
    form: String,
    split: bool,
    test_share: f64,
    seed: u64,
    media: Option<String>,
    out: String,
    out_suggested: bool,
}

impl Default for SavedExport {
    fn default() -> Self {
        Self::from(&ExportForm::new(Path::new("project.verdict")))
    }
}

impl From<&ExportForm> for SavedExport {
    fn from(f: &ExportForm) -> Self {
        Self {
            target: f.target.as_str().into(),
            file_format: f.file_format.as_str().into(),
            include_flagged: f.include_flagged,
            include_excluded: f.include_excluded,
            pairs: f.pairs.as_str().into(),
            aspect: f.aspect.clone(),
            ties: f.ties.as_str().into(),
            form: f.form.as_str().into(),
            split: f.split,
            test_share: f.test_share,
            seed: f.seed,
            media: f.media.map(|m| m.as_str().into()),
            out: f.out.clone(),
            out_suggested: f.out_suggested,
        }
    }
}

impl SavedExport {
    /// The form again, for `project`, filtering with `query`; unknown names fall back to defaults.
    pub fn to_form(&self, project: &Path, query: &str) -> ExportForm {
        let d = ExportForm::new(project);
        let mut f = ExportForm {
            target: Target::parse(&self.target).unwrap_or(d.target),
            file_format: FileFormat::parse(&self.file_format).unwrap_or(d.file_format),
            query: query.to_owned(),
            include_flagged: self.include_flagged,
            include_excluded: self.include_excluded,
            pairs: PairMode::parse(&self.pairs).unwrap_or(d.pairs),
            aspect: self.aspect.clone(),
            ties: TiesMode::parse(&self.ties).unwrap_or(d.ties),
            form: Form::parse(&self.form).unwrap_or(d.form),
            split: self.split,
            test_share: if (0.0..=1.0).contains(&self.test_share) { self.test_share } else { d.test_share },
            seed: self.seed,
            media: self.media.as_deref().and_then(MediaMode::parse),
            out: self.out.clone(),
            out_suggested: self.out_suggested || self.out.trim().is_empty(),
            force: false,
            margin_from: String::new(),
        };
        f.suggest_out(project);
        f
    }
}

/// What the output folder holds now, as the dialog says it (the rules are the export's own:
/// [`crate::export::survey`]).
#[derive(Debug, Clone, PartialEq)]
pub enum FolderState {
    /// No folder typed.
    Unset,
    /// It does not exist yet: it will be created.
    New,
    /// It exists and is empty.
    Empty,
    /// It holds an earlier Verdict export (its manifest's target and time).
    EarlierExport(String),
    /// It holds other entries.
    Other(usize),
    /// It is a file, cannot be read, or another export is writing into it now.
    Unusable(String),
}

impl FolderState {
    /// Looks at `dir` (staging folders a killed export left do not count: the export removes them).
    pub fn of(dir: Option<&Path>) -> Self {
        let Some(dir) = dir else { return Self::Unset };
        match crate::export::survey(dir) {
            Ok(Survey::Missing) => Self::New,
            Ok(Survey::Empty) => Self::Empty,
            // Another export (this window's or another process's) is writing there: a second one
            // would be refused when it starts.
            Ok(Survey::Busy) => {
                Self::Unusable("An export is being written into this folder now: wait for it to end.".into())
            }
            Ok(Survey::Occupied { earlier: Some(e), .. }) => {
                Self::EarlierExport(format!("{}, {}", e.target, e.exported_at))
            }
            Ok(Survey::Occupied { entries, earlier: None }) => Self::Other(entries),
            Err(e) => Self::Unusable(e.to_string()),
        }
    }

    /// Whether the export may write here with `force` as chosen.
    pub fn allows(&self, force: bool) -> bool {
        match self {
            Self::New | Self::Empty => true,
            Self::EarlierExport(_) | Self::Other(_) => force,
            Self::Unset | Self::Unusable(_) => false,
        }
    }

    /// Whether an export there replaces what is there (the Replace box shows).
    pub fn is_occupied(&self) -> bool {
        matches!(self, Self::EarlierExport(_) | Self::Other(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_core_options() {
        let project = Path::new("/data/p.verdict");
        let mut f = ExportForm::new(project);
        assert_eq!(f.out, "/data/p-trl");
        f.target = Target::LlamaFactory;
        f.suggest_out(project);
        assert_eq!(f.out, "/data/p-llamafactory", "a suggested folder follows the target");
        f.out = "exports/lf".into();
        f.out_suggested = false;
        f.split = true;
        f.test_share = 0.1;
        f.seed = 7;
        f.aspect = "  ".into();
        let o = f.options(project);
        assert_eq!(o.out, Path::new("/data/exports/lf"), "relative to the project's folder");
        assert_eq!(o.split, Some(Split { test: 0.1, seed: 7 }));
        assert_eq!(o.aspect, None);
        assert_eq!(o.invocation, vec!["app"]);
        f.file_format = FileFormat::Jsonl;
        f.media = Some(MediaMode::Embed);
        assert!(f.option_problem(project).is_some_and(|p| p.contains("parquet")));
        f.media = None;
        f.query = "len_a>>".into();
        assert!(f.option_problem(project).is_some_and(|p| p.starts_with("Filter:")));
        // The form choice is TRL's and OpenRLHF's: kept for them, `auto` for the others.
        f.form = Form::Strings;
        assert_eq!(f.options(project).form, Form::Auto, "LLaMA-Factory has one form");
        f.target = Target::OpenRlhf;
        assert_eq!(f.options(project).form, Form::Strings);
        let saved = SavedExport::from(&f);
        let back = saved.to_form(project, "is:flagged");
        assert_eq!(back.query, "is:flagged");
        assert_eq!(back.preview_key(), ExportForm { query: "is:flagged".into(), ..f.clone() }.preview_key());
    }

    #[test]
    fn the_folder_says_what_it_holds() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(FolderState::of(None), FolderState::Unset);
        assert_eq!(FolderState::of(Some(&dir.path().join("new"))), FolderState::New);
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::Empty);
        std::fs::create_dir(dir.path().join(".verdict-export-1")).expect("mkdir");
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::Empty, "a killed export's staging folder");
        let running = crate::export::OutDir::prepare(dir.path(), false).expect("an export starts");
        assert!(matches!(FolderState::of(Some(dir.path())), FolderState::Unusable(_)), "an export writing there now");
        drop(running);
        std::fs::write(dir.path().join("notes.txt"), "x").expect("write");
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::Other(1));
        assert!(!FolderState::Other(1).allows(false) && FolderState::Other(1).allows(true));
        std::fs::write(
            dir.path().join("manifest.json"),
            r#"{"verdict_version":"0.1.0","target":"trl","exported_at":"2026-01-02T03:04:05Z"}"#,
        )
        .expect("write");
        assert_eq!(FolderState::of(Some(dir.path())), FolderState::EarlierExport("trl, 2026-01-02T03:04:05Z".into()));
        assert!(matches!(FolderState::of(Some(&dir.path().join("notes.txt"))), FolderState::Unusable(_)));
        // Why Export is off, for the dialog and for a command that starts it.
        let project = dir.path().join("p.verdict");
        let mut f = ExportForm::new(&project);
        assert_eq!(f.start_problem(&project, &FolderState::Unset).as_deref(), Some("Choose the folder to write into."));
        assert!(f.start_problem(&project, &FolderState::Other(1)).is_some_and(|p| p.contains("not empty")));
        assert_eq!(f.start_problem(&project, &FolderState::New), None);
        f.force = true;
        assert_eq!(f.start_problem(&project, &FolderState::Other(1)), None, "Replace ticked");
    }
}
