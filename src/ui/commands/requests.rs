//! The plain data of the bulk commands: what a bulk action does ([`BulkKind`], before its reason
//! or note is known) and a confirmed one ([`BulkRequest`]: the samples, the store's action and the
//! filter that listed them).

use crate::model::SampleId;
use crate::store::{CurationAction, EXCLUDE_REASONS, FLAG_REASONS};

/// What a bulk action does, before its reason or note is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkKind {
    /// Flag with a reason.
    Flag,
    /// Remove the flag.
    Unflag,
    /// Exclude from the cleaned set, with a reason.
    Exclude,
    /// Remove the exclusion mark.
    Include,
    /// Reverse the preference.
    Swap,
    /// Tie.
    Tie,
    /// Both bad.
    BothBad,
    /// The first candidate is the best.
    PickA,
    /// The second candidate is the best.
    PickB,
    /// Write (or clear) a note.
    Note,
}

impl BulkKind {
    /// Every action the bar offers, in its order.
    pub const ALL: &'static [BulkKind] = &[
        BulkKind::Flag,
        BulkKind::Unflag,
        BulkKind::Exclude,
        BulkKind::Include,
        BulkKind::Swap,
        BulkKind::Tie,
        BulkKind::BothBad,
        BulkKind::PickA,
        BulkKind::PickB,
        BulkKind::Note,
    ];

    /// Its button's text.
    pub fn label(self) -> &'static str {
        match self {
            BulkKind::Flag => "Flag…",
            BulkKind::Unflag => "Unflag",
            BulkKind::Exclude => "Exclude…",
            BulkKind::Include => "Include",
            BulkKind::Swap => "Swap",
            BulkKind::Tie => "Tie",
            BulkKind::BothBad => "Both bad",
            BulkKind::PickA => "Pick A",
            BulkKind::PickB => "Pick B",
            BulkKind::Note => "Note…",
        }
    }

    /// The reasons offered when it takes one (any other can be typed); `None`: it takes no text.
    pub fn reasons(self) -> Option<&'static [&'static str]> {
        match self {
            BulkKind::Flag => Some(FLAG_REASONS),
            BulkKind::Exclude => Some(EXCLUDE_REASONS),
            BulkKind::Note => Some(&[]),
            _ => None,
        }
    }

    /// The store's action, with the text typed (a reason or a note).
    pub fn action(self, text: &str) -> CurationAction {
        match self {
            BulkKind::Flag => CurationAction::Flag(text.to_owned()),
            BulkKind::Unflag => CurationAction::Unflag,
            BulkKind::Exclude => CurationAction::Exclude(text.to_owned()),
            BulkKind::Include => CurationAction::Include,
            BulkKind::Swap => CurationAction::Swap,
            BulkKind::Tie => CurationAction::Tie,
            BulkKind::BothBad => CurationAction::BothBad,
            BulkKind::PickA => CurationAction::Pick(0),
            BulkKind::PickB => CurationAction::Pick(1),
            BulkKind::Note => CurationAction::Note(text.to_owned()),
        }
    }

    /// The confirmation's verb: "Exclude 1,204 samples".
    pub fn verb(self) -> &'static str {
        match self {
            BulkKind::Flag => "Flag",
            BulkKind::Unflag => "Unflag",
            BulkKind::Exclude => "Exclude",
            BulkKind::Include => "Include",
            BulkKind::Swap => "Swap the preference of",
            BulkKind::Tie => "Mark as a tie",
            BulkKind::BothBad => "Mark as both bad",
            BulkKind::PickA => "Prefer A in",
            BulkKind::PickB => "Prefer B in",
            BulkKind::Note => "Set the note of",
        }
    }
}

/// The ids, the action and the filter of a confirmed bulk action.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// The samples.
    pub ids: Vec<SampleId>,
    /// The action.
    pub action: CurationAction,
    /// The filter that listed them.
    pub query: String,
}
