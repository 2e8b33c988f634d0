//! What the Suspects panel reads, on a `suspects-page` thread with its own connection: the
//! project's scorers and one page of a scorer's suspects (pairs under the label in force, the most
//! confident disagreement first, with their Bradley-Terry probabilities).

use crate::score::suspects::{Suspect, Temperature};
use crate::store::{ScorerRow, Store};
use std::path::Path;

/// Pairs read at once.
pub const PAGE: usize = 50;

/// One page of the queue.
#[derive(Debug, Clone, Default)]
pub struct SuspectPage {
    /// Every scorer of the project, the most recently used first.
    pub scorers: Vec<ScorerRow>,
    /// The scorer whose queue this is (`None`: the project has none).
    pub scorer: Option<ScorerRow>,
    /// The temperature of its probabilities.
    pub temperature: Option<Temperature>,
    /// Where the page starts in the queue.
    pub offset: u64,
    /// The pairs, the most confident disagreement first.
    pub rows: Vec<Suspect>,
}

impl SuspectPage {
    /// Pairs in the whole queue.
    pub fn total(&self) -> u64 {
        self.scorer.as_ref().map_or(0, |s| s.pairs)
    }

    /// The page's row at the queue's `index`, if the page holds it.
    pub fn at(&self, index: u64) -> Option<&Suspect> {
        index.checked_sub(self.offset).and_then(|i| self.rows.get(usize::try_from(i).ok()?))
    }
}

/// Reads the page from `offset` of `scorer`'s queue (`None`: the scorer used last; one the project
/// no longer knows falls back to it).
pub fn page(path: &Path, scorer: Option<&str>, offset: u64) -> Result<SuspectPage, String> {
    let store = Store::open(path).map_err(|e| e.to_string())?;
    let scorers = store.scorers().map_err(|e| e.to_string())?;
    if scorers.is_empty() {
        return Ok(SuspectPage::default());
    }
    let name = scorer.filter(|n| scorers.iter().any(|s| s.name == *n));
    let s = crate::score::suspects::page(&store, name, offset, PAGE, None).map_err(|e| e.to_string())?;
    Ok(SuspectPage { scorers, scorer: Some(s.scorer), temperature: Some(s.temperature), offset, rows: s.pairs })
}
