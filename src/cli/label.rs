//! `verdict label`, `verdict undo`, `verdict redo`: curation from the command line, through the
//! same write path as the app (one operation, one undo step, however many samples).

use super::progress::with_bar;
use crate::model::OpId;
use crate::store::{Actor, Curated, CurationAction, SortKey, StoreError, Undone};
use std::path::PathBuf;
use std::process::ExitCode;

/// Who acts: `--curator`, else `$VERDICT_CURATOR`, else the login name, else `cli`.
#[derive(Debug, clap::Args)]
pub struct CuratorArg {
    /// The curator's name recorded with the change (default: `$VERDICT_CURATOR`, else the login name).
    #[arg(long)]
    curator: Option<String>,
}

impl CuratorArg {
    pub(super) fn actor(&self) -> Actor {
        let name = self
            .curator
            .clone()
            .or_else(|| std::env::var("VERDICT_CURATOR").ok())
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "cli".into());
        Actor::new(name.trim(), "cli")
    }
}

/// Arguments of `verdict label`.
#[derive(Debug, clap::Args)]
#[command(
    group(clap::ArgGroup::new("action").required(true).multiple(false)),
    group(clap::ArgGroup::new("which").required(true).multiple(false)),
    after_help = "Examples:\n  \
verdict label p.verdict --where 'dataset:rlaif is:flagged' --exclude 'bad media'\n  \
verdict label p.verdict --where 'current:b len_chosen<20' --flag 'too short'\n  \
verdict label p.verdict --where 'key:rank-demo-0002' --rank C,A,B\n\n\
The change is one operation: `verdict undo P` undoes all of it. Samples the action cannot apply to \
(nothing to swap, no candidate C) or that are already so are left as they are and counted."
)]
pub struct LabelArgs {
    /// The project file.
    project: PathBuf,
    /// Which samples, in the query language of `verdict search`.
    #[arg(long = "where", group = "which")]
    query: Option<String>,
    /// Every sample of the project.
    #[arg(long, group = "which")]
    all: bool,
    /// Flag the samples ("look again") with a reason.
    #[arg(long, group = "action", value_name = "REASON")]
    flag: Option<String>,
    /// Remove their flag.
    #[arg(long, group = "action")]
    unflag: bool,
    /// Mark them excluded from the cleaned set, with a reason (duplicate, contamination, bad media, off-topic, ...).
    #[arg(long, group = "action", value_name = "REASON")]
    exclude: Option<String>,
    /// Remove their exclusion mark.
    #[arg(long, group = "action")]
    include: bool,
    /// Reverse the preference in force.
    #[arg(long, group = "action")]
    swap: bool,
    /// The compared pair is equally good.
    #[arg(long, group = "action")]
    tie: bool,
    /// Neither of the compared pair is acceptable.
    #[arg(long, group = "action")]
    both_bad: bool,
    /// This candidate is the best: a letter (A, B, C...) or a number counted from 1.
    #[arg(long, group = "action", value_name = "CANDIDATE", value_parser = parse_candidate)]
    pick: Option<u32>,
    /// A whole ranking, best first: letters or numbers from 1, e.g. C,A,B.
    #[arg(long, group = "action", value_name = "ORDER", value_parser = parse_ranking)]
    rank: Option<Vec<u32>>,
    /// Set (or, with "", clear) the note.
    #[arg(long, group = "action", value_name = "TEXT")]
    note: Option<String>,
    #[command(flatten)]
    curator: CuratorArg,
    /// Say how many samples match and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

/// A candidate as curators name it: `A`..`Z` or a number counted from 1.
pub(super) fn parse_candidate(s: &str) -> Result<u32, String> {
    let t = s.trim();
    if let Ok(n) = t.parse::<u32>() {
        return n.checked_sub(1).ok_or_else(|| "candidates are counted from 1 (or named A, B, C...)".into());
    }
    match t.as_bytes() {
        [c] if c.is_ascii_alphabetic() => Ok(u32::from(c.to_ascii_uppercase() - b'A')),
        _ => Err(format!("`{s}` is not a candidate: use a letter (A, B, C...) or a number from 1")),
    }
}

fn parse_ranking(s: &str) -> Result<Vec<u32>, String> {
    s.split([',', '>', ' ']).filter(|p| !p.trim().is_empty()).map(parse_candidate).collect()
}

impl LabelArgs {
    fn action(&self) -> CurationAction {
        if let Some(r) = &self.flag {
            CurationAction::Flag(r.clone())
        } else if self.unflag {
            CurationAction::Unflag
        } else if let Some(r) = &self.exclude {
            CurationAction::Exclude(r.clone())
        } else if self.include {
            CurationAction::Include
        } else if self.swap {
            CurationAction::Swap
        } else if self.tie {
            CurationAction::Tie
        } else if self.both_bad {
            CurationAction::BothBad
        } else if let Some(p) = self.pick {
            CurationAction::Pick(p)
        } else if let Some(r) = &self.rank {
            CurationAction::Rank(r.clone())
        } else {
            CurationAction::Note(self.note.clone().unwrap_or_default())
        }
    }
}

pub(super) fn run_label(args: &LabelArgs) -> anyhow::Result<ExitCode> {
    let mut store = super::open_existing(&args.project)?;
    let query = args.query.clone().unwrap_or_default();
    let compiled = crate::query::compile(&query).map_err(|e| anyhow::anyhow!("--where: {e}"))?;
    let ids = store.matching_ids(&compiled, SortKey::Id, false)?;
    let action = args.action();
    if args.dry_run {
        if args.json {
            outln!("{}", serde_json::json!({"action": action.name(), "matched": ids.len(), "dry_run": true}));
        } else {
            outln!("{}: {} matching samples (dry run: nothing changed)", action.name(), ids.len());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let actor = args.curator.actor();
    let done = with_bar("label", |progress| store.curate(&actor, &ids, &action, args.query.as_deref(), progress))?;
    report_label(&action, ids.len(), &done, args.json);
    Ok(ExitCode::SUCCESS)
}

fn report_label(action: &CurationAction, matched: usize, done: &Curated, json: bool) {
    let changed = done.changes.samples.len();
    if json {
        outln!(
            "{}",
            serde_json::json!({
                "op": done.changes.op,
                "action": action.name(),
                "matched": matched,
                "changed": changed,
                "skipped": done.skipped,
            })
        );
        return;
    }
    let op = done.changes.op.map_or_else(|| "nothing recorded".to_owned(), |op| format!("operation #{op}"));
    outln!("{}: {changed} of {matched} matching samples changed ({op})", action.name());
    for s in &done.skipped {
        let ids: Vec<String> = s.examples.iter().map(ToString::to_string).collect();
        outln!("  {} left as they were: {} (e.g. {})", s.count, s.reason, ids.join(", "));
    }
    if done.changes.op.is_some() {
        eprintln!("hint: `verdict undo PROJECT` undoes it");
    }
}

/// Arguments of `verdict undo` and `verdict redo`.
#[derive(Debug, clap::Args)]
pub struct UndoArgs {
    /// The project file.
    project: PathBuf,
    /// The operation (its number in `verdict history`); default: the curator's latest.
    #[arg(long)]
    op: Option<i64>,
    #[command(flatten)]
    curator: CuratorArg,
    /// Print the outcome as one JSON object.
    #[arg(long)]
    json: bool,
}

pub(super) fn run_undo(args: &UndoArgs, redo: bool) -> anyhow::Result<ExitCode> {
    let mut store = super::open_existing(&args.project)?;
    let actor = args.curator.actor();
    let op = args.op.map(OpId);
    let done = if redo { store.redo(&actor, op) } else { store.undo(&actor, op) };
    match done {
        Ok(undone) => {
            report_undo(&undone, redo, args.json);
            Ok(ExitCode::SUCCESS)
        }
        Err(StoreError::Refused(why)) => {
            eprintln!("error: {why}");
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

fn report_undo(u: &Undone, redo: bool, json: bool) {
    if json {
        outln!(
            "{}",
            serde_json::json!({
                "op": u.changes.op,
                "target": u.target.id,
                "action": u.target.action,
                "restored": u.changes.samples.len(),
                "left_as_they_are": u.conflicts_total,
                "conflicts": u.conflicts,
            })
        );
        return;
    }
    // Which samples it changed, in words: "Undid pick B on sample 24 (operation #24)".
    outln!("{} (operation #{})", u.headline(redo), u.target.id);
    if u.conflicts_total > 0 {
        outln!(
            "{} changed later {} left as {} {}:",
            crate::model::words::plural(u.conflicts_total, "sample"),
            if u.conflicts_total == 1 { "was" } else { "were" },
            if u.conflicts_total == 1 { "it" } else { "they" },
            if u.conflicts_total == 1 { "is" } else { "are" }
        );
        for c in &u.conflicts {
            outln!("  {c}");
        }
    }
}
