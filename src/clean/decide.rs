//! Decisions over a whole queue of cleaning results, each one operation through the write path
//! (one undo step): the extras of every duplicate group of a kind excluded by a keep policy, every
//! contaminated sample excluded, every sample with a check finding of a kind excluded (bad media)
//! or flagged. The samples a decision would change are counted before it is confirmed
//! ([`Decision::targets`]) by the same rules it then applies ([`Decision::apply`]).

use super::CleanError;
use super::keep::{KeepPolicy, exclude_duplicates, extras};
use crate::jobs::Progress;
use crate::model::SampleId;
use crate::store::{Actor, Curated, CurationAction, Store};

/// A decision over a whole queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Exclude every member of a group of `kind` but its keeper by `policy` (reason `duplicate`).
    Duplicates {
        /// image, video, audio, prompt, response or sample.
        kind: String,
        /// Which member of each group stays.
        policy: KeepPolicy,
    },
    /// Exclude every contaminated sample still in the cleaned set (reason `contamination`).
    Contaminated,
    /// Exclude (bad media: reason `bad media`) or flag (the rest: the check's name in words)
    /// every sample with a finding of `kind` that is not so already.
    Findings {
        /// One of [`crate::model::CHECK_KINDS`].
        kind: String,
    },
}

/// The samples a decision changes, and those it finds already so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Targets {
    /// What it changes.
    pub change: Vec<SampleId>,
    /// What is so already (left as it is).
    pub already: usize,
}

/// The flag a check finding of `kind` gets: the check's name in words (`truncated response`).
pub fn finding_flag(kind: &str) -> String {
    kind.replace('_', " ")
}

impl Decision {
    /// The curation action it applies.
    pub fn action(&self) -> CurationAction {
        match self {
            Self::Duplicates { .. } => CurationAction::Exclude("duplicate".into()),
            Self::Contaminated => CurationAction::Exclude("contamination".into()),
            Self::Findings { kind } if kind == "bad_media" => CurationAction::Exclude("bad media".into()),
            Self::Findings { kind } => CurationAction::Flag(finding_flag(kind)),
        }
    }

    /// What it does, in words: "exclude the extras of every sample group, keeping the first".
    pub fn describe(&self) -> String {
        match self {
            Self::Duplicates { kind, policy } => {
                let keep = match policy {
                    KeepPolicy::First => "the first imported".to_owned(),
                    KeepPolicy::Longest => "the one with the longest answers".to_owned(),
                    KeepPolicy::Curated => "one a curator labelled (else the first)".to_owned(),
                    KeepPolicy::Rated => "the highest rated (else the first)".to_owned(),
                    KeepPolicy::Scored(name) => format!(
                        "the one whose label {} backs most (the largest margin; else the first)",
                        name.as_deref().unwrap_or("the scorer that ran last")
                    ),
                };
                format!("exclude the extras of every {kind} group as duplicates, keeping {keep}")
            }
            Self::Contaminated => "exclude every contaminated sample (reason contamination)".into(),
            Self::Findings { kind } => match self.action() {
                CurationAction::Exclude(r) => {
                    format!("exclude every sample with a {} finding ({r})", finding_flag(kind))
                }
                _ => format!("flag every sample with a {} finding (\"{}\")", finding_flag(kind), finding_flag(kind)),
            },
        }
    }

    /// The samples it would change now, and how many it finds so already.
    pub fn targets(&self, store: &Store) -> Result<Targets, CleanError> {
        match self {
            Self::Duplicates { kind, policy } => {
                let ids = extras(store, &store.dup_groups(Some(kind))?, policy)?;
                let marks = store.curation_marks(&ids)?;
                let (already, change): (Vec<SampleId>, Vec<SampleId>) = ids
                    .into_iter()
                    .partition(|s| marks.get(s).and_then(|m| m.excluded.as_deref()) == Some("duplicate"));
                Ok(Targets { change, already: already.len() })
            }
            Self::Contaminated => {
                let (_, samples, included) = store.contamination_counts()?;
                Ok(Targets {
                    change: store.contaminated_included()?,
                    already: usize::try_from(samples - included).unwrap_or(0),
                })
            }
            Self::Findings { kind } => {
                let ids = store.finding_samples(kind)?;
                let marks = store.curation_marks(&ids)?;
                let exclude = matches!(self.action(), CurationAction::Exclude(_));
                // A sample excluded for any reason, or flagged for any (a curator's own flag is
                // never overwritten by a finding's), is left as it is.
                let (already, change): (Vec<SampleId>, Vec<SampleId>) = ids.into_iter().partition(|s| {
                    marks.get(s).is_some_and(|m| if exclude { m.excluded.is_some() } else { m.flag.is_some() })
                });
                Ok(Targets { change, already: already.len() })
            }
        }
    }

    /// Applies it as one operation signed by `actor`; returns the samples it meant to change and
    /// what the write path did.
    pub fn apply(
        &self,
        store: &mut Store,
        actor: &Actor,
        progress: &mut Progress,
    ) -> Result<(Vec<SampleId>, Curated), CleanError> {
        if let Self::Duplicates { kind, policy } = self {
            return exclude_duplicates(store, actor, kind, policy, progress);
        }
        let ids = self.targets(store)?.change;
        if ids.is_empty() {
            return Ok((ids, Curated::default()));
        }
        let query = match self {
            Self::Findings { kind } => format!("check:{kind}"),
            _ => "is:contaminated".to_owned(),
        };
        let curated = store.curate(actor, &ids, &self.action(), Some(&query), progress)?;
        Ok((ids, curated))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_flagged_in_words_and_bad_media_is_excluded() {
        let bad = Decision::Findings { kind: "bad_media".into() };
        assert_eq!(bad.action(), CurationAction::Exclude("bad media".into()));
        let cut = Decision::Findings { kind: "truncated_response".into() };
        assert_eq!(cut.action(), CurationAction::Flag("truncated response".into()));
        assert!(cut.describe().contains("flag every sample with a truncated response finding"), "{}", cut.describe());
        let dups = Decision::Duplicates { kind: "sample".into(), policy: KeepPolicy::Longest };
        assert_eq!(dups.action(), CurationAction::Exclude("duplicate".into()));
        assert!(dups.describe().contains("every sample group"), "{}", dups.describe());
    }
}
