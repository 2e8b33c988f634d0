//! What the app remembers between runs: curator name, recent projects, the last project and
//! sample, the query, saved filters, sort and layout. One JSON file, written atomically (temp file
//! then rename) whenever something changes. Runtime state (the open store, caches, jobs) is not here.

use crate::store::SortKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many recent projects the File menu lists.
const MAX_RECENT: usize = 8;

/// A named query the curator saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedFilter {
    /// Shown in the menu.
    pub name: String,
    /// The query text.
    pub query: String,
}

/// Which side panel is open on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RightPanel {
    /// None.
    #[default]
    Hidden,
    /// Statistics with plots.
    Stats,
    /// The audit log of the selected sample.
    History,
    /// The project's datasets, their reports, remove and relink.
    Datasets,
    /// Duplicates, contamination and check findings, and the passes that find them.
    Cleaning,
    /// The pairs a scorer disagrees with, and the scoring job.
    Suspects,
}

/// Per-project memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProjectMemory {
    /// The last selected sample.
    pub last_sample: Option<i64>,
    /// The query in the bar.
    pub query: String,
    /// The sort column.
    pub sort: SortKey,
    /// Sorted descending.
    pub descending: bool,
    /// The last export's choices (File > Export…).
    pub export: Option<super::commands::SavedExport>,
}

/// Everything persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The curator's name, asked once, written into every audit row.
    pub curator: Option<String>,
    /// Most recent first.
    pub recent_projects: Vec<PathBuf>,
    /// Per project path.
    pub projects: BTreeMap<String, ProjectMemory>,
    /// Saved filters (shared by all projects).
    pub saved_filters: Vec<SavedFilter>,
    /// Width of the sample list.
    pub list_width: f32,
    /// The right panel.
    pub right_panel: RightPanel,
    /// Show the word diff between A and B.
    pub show_diff: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            curator: None,
            recent_projects: Vec::new(),
            projects: BTreeMap::new(),
            saved_filters: vec![
                SavedFilter { name: "Flagged".into(), query: "is:flagged".into() },
                SavedFilter { name: "Relabeled".into(), query: "is:edited".into() },
                SavedFilter { name: "Chosen is longer".into(), query: "longer:chosen".into() },
            ],
            list_width: 460.0,
            right_panel: RightPanel::Hidden,
            show_diff: true,
        }
    }
}

/// The curator names the environment gives the app, read once at its start (tests pass their
/// own instead of setting the process's variables, which threads share).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CuratorEnv {
    /// `$VERDICT_CURATOR`, as the CLI reads it: signs changes without asking.
    pub curator: Option<String>,
    /// `$USER`, else `$LOGNAME`: the name the question starts from.
    pub user: Option<String>,
}

impl CuratorEnv {
    /// The process's variables (empty ones count as unset).
    pub fn from_process() -> Self {
        let var = |k: &str| std::env::var(k).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self { curator: var("VERDICT_CURATOR"), user: var("USER").or_else(|| var("LOGNAME")) }
    }
}

impl Settings {
    /// The default settings file: `$VERDICT_CONFIG_DIR/ui.json`, else
    /// `$XDG_CONFIG_HOME/verdict/ui.json`, else `~/.config/verdict/ui.json`.
    pub fn default_path() -> Option<PathBuf> {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
        let dir = env("VERDICT_CONFIG_DIR")
            .or_else(|| env("XDG_CONFIG_HOME").map(|d| d.join("verdict")))
            .or_else(|| env("HOME").map(|h| h.join(".config").join("verdict")))?;
        Some(dir.join("ui.json"))
    }

    /// Loads the file; a missing or unreadable file gives the defaults (and says why on stderr).
    pub fn load(path: &Path) -> Self {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                eprintln!("warning: {}: unreadable settings ({e}); starting from defaults", path.display());
                Self::default()
            }),
            Err(_) => Self::default(),
        }
    }

    /// Writes the file atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, path)
    }

    /// Puts `project` first in the recent list.
    pub fn touch_recent(&mut self, project: &Path) {
        self.recent_projects.retain(|p| p != project);
        self.recent_projects.insert(0, project.to_owned());
        self.recent_projects.truncate(MAX_RECENT);
    }

    /// The memory of one project (created empty).
    pub fn project_mut(&mut self, project: &Path) -> &mut ProjectMemory {
        self.projects.entry(project.display().to_string()).or_default()
    }

    /// The memory of one project, if any.
    pub fn project(&self, project: &Path) -> Option<&ProjectMemory> {
        self.projects.get(&project.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("ui.json");
        let mut s = Settings { curator: Some("ana".into()), ..Settings::default() };
        s.touch_recent(Path::new("/a.verdict"));
        s.touch_recent(Path::new("/b.verdict"));
        s.touch_recent(Path::new("/a.verdict"));
        s.project_mut(Path::new("/a.verdict")).last_sample = Some(7);
        s.save(&path).expect("save");
        let back = Settings::load(&path);
        assert_eq!(back, s);
        assert_eq!(back.recent_projects, vec![PathBuf::from("/a.verdict"), PathBuf::from("/b.verdict")]);
        assert_eq!(back.project(Path::new("/a.verdict")).and_then(|p| p.last_sample), Some(7));
    }

    #[test]
    fn a_corrupt_file_gives_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ui.json");
        std::fs::write(&path, b"{not json").expect("write");
        assert_eq!(Settings::load(&path), Settings::default());
    }
}
