//! Everything the curator can do, as one enum that menus, buttons and keys all feed. Panels emit
//! commands while drawing; the app runs them after the frame, so nothing writes the store mid-draw.
//! What a command carries is plain data defined here, beside it (ids, paths, [`BulkRequest`],
//! [`ExportForm`], [`MediaKey`], the Cleaning panel's passes and decisions in `cleaning.rs`, the
//! Score form's [`ScoreRequest`] in `scoring.rs`), never a panel's own type: a panel that sends a command imports
//! this module, not the panel that shows the result, and the app imports the panels.

use crate::store::RankMove;
use std::path::PathBuf;

pub mod cleaning;
pub mod export_form;
mod keys;
mod requests;
pub mod scoring;

pub use cleaning::{CleanKey, CleanPass, Confirmation, DedupRequest, GroupDecision, Keep, QueueDecision};
pub use export_form::{ExportForm, FolderState, SavedExport, target_title};
pub use keys::{BINDINGS, Binding, EXPORT_SHORTCUT, cheat_sheet, cheat_sheet_ui, from_keys, key_text, shortcut_text};
pub use requests::{BulkKind, BulkRequest};
pub use scoring::ScoreRequest;

/// One thing to do.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
pub enum Command {
    /// This candidate (position) is the best: with two, preferred over the other; in a ranking, first.
    Pick(u32),
    /// Move this candidate in the ranking (up, down, best, worst).
    Rank(u32, RankMove),
    /// Move the candidate under the cursor in the ranking.
    RankCursor(RankMove),
    /// Put the candidate cursor on this candidate.
    Cursor(u32),
    /// Move the candidate cursor to the next (`true`) or previous candidate.
    CursorStep(bool),
    /// Compare these two candidates in the word diff.
    DiffPair(u32, u32),
    /// Ask for a corrected value of one rating (candidate, or `None`: the whole sample; aspect).
    EditRating(Option<u32>, String),
    /// Write a corrected rating.
    Rate(Option<u32>, String, f64),
    /// Reverse the current preference.
    Swap,
    /// A and B are equally good.
    Tie,
    /// Neither is acceptable.
    BothBad,
    /// Open the flag popup (or unflag a flagged sample).
    ToggleFlag,
    /// Flag with this reason.
    Flag(String),
    /// Remove the flag.
    Unflag,
    /// Open the note editor.
    EditNote,
    /// Save this note (empty clears it).
    SetNote(String),
    /// Next sample in the list.
    Next,
    /// Previous sample in the list.
    Prev,
    /// First sample.
    First,
    /// Last sample.
    Last,
    /// Select the sample at this list position.
    Select(usize),
    /// Undo the last curation action.
    Undo,
    /// Redo the last undone action.
    Redo,
    /// Show or hide the keyboard cheat sheet.
    ToggleCheatSheet,
    /// Ask for the curator's name again (File > Change curator…).
    ChangeCurator,
    /// Put the cursor in the query bar.
    FocusQuery,
    /// Show or hide the statistics panel.
    ToggleStats,
    /// Show or hide the sample's history panel.
    ToggleHistory,
    /// Show or hide the Datasets panel.
    ToggleDatasets,
    /// Ask to confirm removing a dataset (id, name, samples).
    AskRemoveDataset(crate::model::DatasetId, String, u64),
    /// Remove a dataset, as a job (id, name).
    RemoveDataset(crate::model::DatasetId, String),
    /// Ask for the folder a dataset's media moved to (id, name).
    AskRelink(crate::model::DatasetId, String),
    /// Point a dataset's media at this folder, as a job (id, name, folder).
    Relink(crate::model::DatasetId, String, PathBuf),
    /// Open a project (file dialog when `None`).
    OpenProject(Option<PathBuf>),
    /// Create a new empty project (file dialog).
    NewProject,
    /// Import a dataset file (file dialog when `None`); asks to confirm the detected preset.
    Import(Option<PathBuf>),
    /// Ask for a path in a text field (also what happens when no system file dialog answers).
    EnterPath(PathFor),
    /// Open the export dialog.
    Export,
    /// Pick the export folder in the system's folder dialog.
    BrowseExportFolder,
    /// Export with these choices, as a background job.
    StartExport(Box<ExportForm>),
    /// A player key, for the selected sample's first video or audio.
    Media(MediaKey),
    /// Ctrl-click: mark or unmark the sample at this list position for a bulk action.
    ToggleMark(usize),
    /// Shift-click: mark the samples from the last clicked one to this position.
    MarkRange(usize),
    /// Mark every sample the filter matches.
    MarkAll,
    /// Unmark everything.
    ClearMarks,
    /// Ask to confirm a bulk action on the marked samples.
    Bulk(BulkKind),
    /// Exclude the sample shown (asks the reason) or include it again.
    ToggleExclude,
    /// Run a confirmed bulk action (one operation, one undo step).
    ApplyBulk(Box<BulkRequest>),
    /// Show or hide the Cleaning panel.
    ToggleCleaning,
    /// Run a cleaning pass as a job.
    RunClean(Box<CleanPass>),
    /// Carry out a decision on one duplicate group.
    DecideGroup(Box<GroupDecision>),
    /// Take back a group's "keep all" mark: it is open again.
    ReopenGroup(i64),
    /// Carry out a confirmed decision over a whole queue (one operation, one undo step).
    DecideQueue(Box<QueueDecision>),
    /// A key of the Cleaning panel's open group.
    Clean(CleanKey),
    /// Ask before running a command.
    Confirm(Box<Confirmation>),
    /// Show this sample in the sample view: selected in the list, or, when the filter does not
    /// list it, with the list filtered to these samples (its group, its hit, itself).
    ShowSample(crate::model::SampleId, Vec<crate::model::SampleId>),
    /// Show or hide the Suspects panel.
    ToggleSuspects,
    /// Pick the Score form's model folder in the system's folder dialog.
    BrowseScoreModel,
    /// Score with these choices, as a background job.
    StartScore(Box<ScoreRequest>),
}

/// What a path typed into the app is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathFor {
    /// An existing project to open.
    Open,
    /// A project file to create (or open, when it exists).
    New,
    /// A dataset file to import.
    Import,
}

/// What a player key asks of the selected sample's player (its first video or audio).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKey {
    /// Space: play or pause.
    PlayPause,
    /// ←: a frame back (video) or [`AUDIO_STEP_S`](crate::ui::media::AUDIO_STEP_S) (audio).
    Back,
    /// →: a frame forward (video) or [`AUDIO_STEP_S`](crate::ui::media::AUDIO_STEP_S) (audio).
    Forward,
    /// Shift+←: [`VIDEO_BIG_STEP_S`](crate::ui::media::VIDEO_BIG_STEP_S) back (video) or [`AUDIO_BIG_STEP_S`](crate::ui::media::AUDIO_BIG_STEP_S) (audio).
    BackMore,
    /// Shift+→: [`VIDEO_BIG_STEP_S`](crate::ui::media::VIDEO_BIG_STEP_S) forward (video) or [`AUDIO_BIG_STEP_S`](crate::ui::media::AUDIO_BIG_STEP_S) (audio).
    ForwardMore,
    /// M: mute or unmute (a player with sound).
    Mute,
}
