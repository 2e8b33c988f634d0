//! The one definition of the label in force, over a loaded sample: the curator judgment the
//! curation state names, else the original judgment that states the sample's label (`overall`,
//! else the first naming a pair, else the first). `show`, the app, statistics and export all use
//! it; [`super::curation::label_in`] is the same rule in SQL, and `sample_stats.current` its summary.

use super::read::JudgmentView;
use crate::model::JudgmentSource;

/// The judgment in force among `judgments`, given the curation state's judgment id.
pub fn in_force(judgments: &[JudgmentView], curator_judgment: Option<i64>) -> Option<&JudgmentView> {
    if let Some(id) = curator_judgment
        && let Some(j) = judgments.iter().find(|j| j.id == id)
    {
        return Some(j);
    }
    original(judgments)
}

/// The source's own label (never a curator's or a model's).
pub fn original(judgments: &[JudgmentView]) -> Option<&JudgmentView> {
    let originals = || judgments.iter().filter(|j| j.source == JudgmentSource::Original);
    originals()
        .find(|j| j.label == "overall")
        .or_else(|| originals().find(|j| j.chosen.is_some()))
        .or_else(|| originals().next())
}
