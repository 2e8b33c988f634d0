//! Which member of a duplicate group stays: the keep policies, and the exclusion of the others as
//! one operation through the write path (reason `duplicate`), undoable like any curation.

use super::CleanError;
use crate::jobs::Progress;
use crate::model::SampleId;
use crate::store::{Actor, Curated, CurationAction, DupGroup, KeeperFacts, Store};
use std::collections::{BTreeSet, HashMap};

/// How a group's keeper is chosen.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeepPolicy {
    /// The first imported.
    First,
    /// The one with the most response text.
    Longest,
    /// One whose label a curator set (else the first).
    Curated,
    /// The one with the highest rating (else the first).
    Rated,
    /// The one whose label a scorer (by name; `None`: the one that ran last) backs most: the
    /// largest margin score(chosen) - score(rejected) under the label in force (else the first).
    /// The margin, not a mean score: duplicates share a prompt, so what tells them apart is whether
    /// the model agrees with each one's label, which is what a preference pair is kept for; a
    /// member with no margin (not scored, or a label that names no pair) comes after any with one.
    Scored(Option<String>),
}

impl KeepPolicy {
    /// Every policy, as the command line names them.
    pub const NAMES: &'static [&'static str] = &["first", "longest", "curated", "rated", "scored[:NAME]"];

    /// Every policy, in the order of [`KeepPolicy::NAMES`] (`scored` by the scorer that ran last).
    pub const ALL: [KeepPolicy; 5] = [Self::First, Self::Longest, Self::Curated, Self::Rated, Self::Scored(None)];

    /// Its name, as the command line takes it (`scored` without its scorer's name).
    pub fn name(&self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Longest => "longest",
            Self::Curated => "curated",
            Self::Rated => "rated",
            Self::Scored(_) => "scored",
        }
    }

    /// Its name with its scorer's: `scored:minilm`.
    pub fn spelled(&self) -> String {
        match self {
            Self::Scored(Some(n)) => format!("scored:{n}"),
            p => p.name().to_owned(),
        }
    }

    /// The policy called `name`.
    pub fn parse(name: &str) -> Result<Self, CleanError> {
        match name {
            "first" => Ok(Self::First),
            "longest" => Ok(Self::Longest),
            "curated" => Ok(Self::Curated),
            "rated" => Ok(Self::Rated),
            "scored" => Ok(Self::Scored(None)),
            s if s.starts_with("scored:") && s.len() > "scored:".len() => {
                Ok(Self::Scored(Some(s["scored:".len()..].to_owned())))
            }
            other => Err(CleanError::Invalid(format!("unknown keep policy `{other}`: use {}", Self::NAMES.join(", ")))),
        }
    }

    /// The keeper of `members` (in import order) under this policy.
    pub fn keeper(&self, members: &[SampleId], facts: &HashMap<SampleId, KeeperFacts>) -> SampleId {
        let fact = |s: &SampleId| facts.get(s).copied().unwrap_or_default();
        let first = members[0];
        match self {
            Self::First => first,
            // Ties go to the earlier member: `max_by_key` keeps the last maximum, so scan reversed.
            Self::Longest => *members.iter().rev().max_by_key(|s| fact(s).response_chars).unwrap_or(&first),
            Self::Curated => *members.iter().find(|s| fact(s).curated).unwrap_or(&first),
            Self::Rated => members
                .iter()
                .rev()
                .filter(|s| fact(s).best_rating.is_some())
                .max_by(|a, b| {
                    fact(a).best_rating.partial_cmp(&fact(b).best_rating).unwrap_or(std::cmp::Ordering::Equal)
                })
                .copied()
                .unwrap_or(first),
            Self::Scored(_) => members
                .iter()
                .rev()
                .filter(|s| fact(s).margin.is_some())
                .max_by(|a, b| fact(a).margin.partial_cmp(&fact(b).margin).unwrap_or(std::cmp::Ordering::Equal))
                .copied()
                .unwrap_or(first),
        }
    }

    /// The keep facts of `ids` under this policy (none for `first`, which weighs nothing); for
    /// `scored`, each sample's margin under its scorer, refused when the project has no such scorer.
    pub fn facts(&self, store: &Store, ids: &[SampleId]) -> Result<HashMap<SampleId, KeeperFacts>, CleanError> {
        if *self == KeepPolicy::First {
            return Ok(HashMap::new());
        }
        let mut facts = store.keeper_facts(ids)?;
        if let Self::Scored(name) = self {
            let Some(scorer) = store.scorer(name.as_deref())? else {
                let known: Vec<String> = store.scorers()?.into_iter().map(|s| s.name).collect();
                return Err(CleanError::Invalid(match name {
                    _ if known.is_empty() => "--keep scored needs model scores, which this project has none of yet: \
                                              run `verdict score P --model DIR` first, or keep first, longest, curated or rated"
                        .into(),
                    Some(n) => format!("--keep scored:{n}: no scorer `{n}` in this project (known: {})", known.join(", ")),
                    None => "--keep scored: no scorer".into(),
                }));
            };
            for (id, margin) in store.sample_margins(scorer.id, ids)? {
                facts.entry(id).or_default().margin = Some(margin);
            }
        }
        Ok(facts)
    }
}

/// The samples that are not their group's keeper, over `groups`: a sample kept in one group is
/// never excluded for another.
pub fn extras(store: &Store, groups: &[DupGroup], policy: &KeepPolicy) -> Result<Vec<SampleId>, CleanError> {
    let all: Vec<SampleId> =
        groups.iter().flat_map(|g| g.members.iter().map(|m| m.sample)).collect::<BTreeSet<_>>().into_iter().collect();
    let facts = policy.facts(store, &all)?;
    let mut keepers = BTreeSet::new();
    let mut extra = BTreeSet::new();
    for g in groups {
        let mut members: Vec<SampleId> = Vec::new();
        for m in &g.members {
            if !members.contains(&m.sample) {
                members.push(m.sample);
            }
        }
        if members.len() < 2 {
            continue;
        }
        let keeper = policy.keeper(&members, &facts);
        keepers.insert(keeper);
        extra.extend(members.into_iter().filter(|s| *s != keeper));
    }
    Ok(extra.difference(&keepers).copied().collect())
}

/// Excludes every non-keeper of the stored groups of `kind` with reason `duplicate`, as one
/// operation.
pub fn exclude_duplicates(
    store: &mut Store,
    actor: &Actor,
    kind: &str,
    policy: &KeepPolicy,
    progress: &mut Progress,
) -> Result<(Vec<SampleId>, Curated), CleanError> {
    let groups = store.dup_groups(Some(kind))?;
    let ids = extras(store, &groups, policy)?;
    if ids.is_empty() {
        return Ok((ids, Curated::default()));
    }
    let query = format!("dup:extra kind {kind}, keep {}", policy.spelled());
    let curated = store.curate(actor, &ids, &CurationAction::Exclude("duplicate".into()), Some(&query), progress)?;
    Ok((ids, curated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_pick_their_keeper_and_ties_go_to_the_first() {
        let m = [SampleId(3), SampleId(5), SampleId(9)];
        let mut facts = HashMap::new();
        facts.insert(
            SampleId(3),
            KeeperFacts { response_chars: 10, curated: false, best_rating: Some(2.0), margin: Some(0.3) },
        );
        facts.insert(
            SampleId(5),
            KeeperFacts { response_chars: 40, curated: true, best_rating: Some(4.0), margin: None },
        );
        facts.insert(
            SampleId(9),
            KeeperFacts { response_chars: 40, curated: true, best_rating: Some(4.0), margin: Some(0.5) },
        );
        assert_eq!(KeepPolicy::First.keeper(&m, &facts), SampleId(3));
        assert_eq!(KeepPolicy::Longest.keeper(&m, &facts), SampleId(5));
        assert_eq!(KeepPolicy::Curated.keeper(&m, &facts), SampleId(5));
        assert_eq!(KeepPolicy::Rated.keeper(&m, &facts), SampleId(5));
        // The largest margin, a member without one never kept over one with one.
        assert_eq!(KeepPolicy::Scored(None).keeper(&m, &facts), SampleId(9));
        facts.get_mut(&SampleId(9)).expect("fact").margin = Some(0.3);
        assert_eq!(KeepPolicy::Scored(None).keeper(&m, &facts), SampleId(3), "ties go to the first");
        facts.get_mut(&SampleId(3)).expect("fact").margin = Some(-2.0);
        assert_eq!(KeepPolicy::Scored(None).keeper(&m, &facts), SampleId(9), "a negative margin is the worst");
        assert_eq!(KeepPolicy::parse("scored").ok(), Some(KeepPolicy::Scored(None)));
        assert_eq!(KeepPolicy::parse("scored:mini").ok(), Some(KeepPolicy::Scored(Some("mini".into()))));
        assert!(KeepPolicy::parse("scored:").is_err());
        assert!(KeepPolicy::parse("best").is_err());
    }
}
