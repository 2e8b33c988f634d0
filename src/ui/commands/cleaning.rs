//! The plain data of the Cleaning panel's commands: a pass to run ([`CleanPass`], with the
//! duplicate finder's settings in [`DedupRequest`]), a decision on one duplicate group
//! ([`GroupDecision`]), a decision over a whole queue ([`QueueDecision`]), the keys of an open
//! group ([`CleanKey`]), and a question the app asks before a command runs ([`Confirmation`]).

use super::Command;
use crate::clean::decide::Decision;
use crate::clean::dedup::DedupOptions;
use crate::model::{DatasetId, SampleId};

/// What "Find duplicates" looks for, and how close is near.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupRequest {
    /// Near-duplicate images.
    pub images: bool,
    /// Near-duplicate videos.
    pub video: bool,
    /// Near-duplicate audio.
    pub audio: bool,
    /// Near-duplicate prompts.
    pub prompts: bool,
    /// Near-duplicate responses.
    pub responses: bool,
    /// Images within this many bits of 64 are near duplicates.
    pub radius: u32,
    /// Texts at or above this Jaccard similarity are near duplicates.
    pub threshold: f64,
}

impl Default for DedupRequest {
    fn default() -> Self {
        let d = DedupOptions::default();
        Self {
            images: d.images,
            video: d.video,
            audio: d.audio,
            prompts: d.prompts,
            responses: d.responses,
            radius: d.radius,
            threshold: d.threshold,
        }
    }
}

impl DedupRequest {
    /// The pass's options.
    pub fn options(&self) -> DedupOptions {
        DedupOptions {
            images: self.images,
            video: self.video,
            audio: self.audio,
            prompts: self.prompts,
            responses: self.responses,
            radius: self.radius,
            threshold: self.threshold,
            ..DedupOptions::default()
        }
    }

    /// Whether it looks for anything.
    pub fn any(&self) -> bool {
        self.images || self.video || self.audio || self.prompts || self.responses
    }

    /// Whether its settings can run (a Jaccard threshold above 0 and at most 1, a radius of at
    /// most 32 bits, as the command line takes them).
    pub fn problem(&self) -> Option<String> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Some(format!("threshold {}: a Jaccard similarity above 0 and at most 1", self.threshold));
        }
        if self.radius > 32 {
            return Some(format!("radius {}: at most 32 bits of 64", self.radius));
        }
        (!self.any()).then(|| "nothing to look for: tick images, video, audio, prompts or responses".to_owned())
    }
}

/// A cleaning pass, run as a job on its own connection.
#[derive(Debug, Clone, PartialEq)]
pub enum CleanPass {
    /// The duplicate passes (`verdict dedup`).
    Dedup(DedupRequest),
    /// The consistency and media checks (`verdict check`).
    Check,
    /// Mark a dataset as a reference set and find the samples of the others that match it
    /// (`verdict contamination --reference`), with the duplicate finder's radius and threshold.
    Contamination {
        /// The reference set.
        reference: DatasetId,
        /// Its name.
        name: String,
        /// The settings.
        settings: DedupRequest,
    },
    /// The dataset is a reference set no more (`verdict contamination --forget`): exported
    /// again, its hits dropped.
    Forget {
        /// The dataset.
        reference: DatasetId,
        /// Its name.
        name: String,
    },
}

impl CleanPass {
    /// The job's title.
    pub fn title(&self) -> String {
        match self {
            Self::Dedup(_) => "Find duplicates".into(),
            Self::Check => "Check".into(),
            Self::Contamination { name, .. } => format!("Contamination by {name}"),
            Self::Forget { name, .. } => format!("Forget reference {name}"),
        }
    }
}

/// What a curator decided on one duplicate group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// This sample stays; every other sample of the group is excluded (reason `duplicate`), as
    /// one operation.
    One(SampleId),
    /// Every sample stays: the group is marked as kept whole, so the queue moves on.
    All,
}

/// A decision on one duplicate group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDecision {
    /// The group.
    pub group: i64,
    /// Its kind.
    pub kind: String,
    /// What stays.
    pub keep: Keep,
}

/// A confirmed decision over a whole queue, with how many samples it was counted to change (a
/// large one runs as a job).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDecision {
    /// The decision.
    pub decision: Decision,
    /// The samples it changes, as counted for the confirmation.
    pub samples: usize,
}

/// A key of the Cleaning panel's open group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CleanKey {
    /// Keep the selected member, exclude the others.
    KeepSelected,
    /// Keep the keeper by the panel's policy, exclude the rest.
    KeepByPolicy,
    /// Keep every member (nothing excluded); the queue moves on.
    KeepAll,
    /// The next group of the queue.
    NextGroup,
    /// The previous group of the queue.
    PrevGroup,
    /// Select the next member.
    NextMember,
    /// Select the previous member.
    PrevMember,
}

/// A question asked before `then` runs: a title, what it will do in a few lines, the button.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirmation {
    /// The dialog's title.
    pub title: String,
    /// What will happen, a line each.
    pub lines: Vec<String>,
    /// The button's text.
    pub yes: String,
    /// What runs on yes.
    pub then: Command,
}
