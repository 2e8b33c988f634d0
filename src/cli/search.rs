//! `verdict search`: the samples a query matches, one line each (id, dataset, modality, prompt).

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verdict search`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Fields: dataset preset modality judgment label model media key longer (with `:` or `!=`);\n\
original current (a, b, tie, both_bad, ranking, ratings, correction, pairwise, none); is:flagged|edited|noted|excluded,\n\
flag:REASON, excluded:REASON (`flag:wrong_label` = `flag:\"wrong label\"`, any case);\n\
dup:image|video|audio|prompt|response|sample (a member of a group `verdict dedup` found), dup:extra (not the first of\n\
its `sample` group), dup:extra-KIND; is:contaminated, contaminated:image|prompt|both (`verdict contamination`);\n\
check:KIND (`verdict check` found it: opposite_labels, chosen_equals_rejected, bad_media, ...);\n\
original_judgment original_longer (the source's own label; judgment, longer and len_chosen follow the label in force);\n\
id row responses len_prompt len_a len_b len_chosen len_rejected original_len_chosen original_len_rejected\n\
(with : = != > >= < <=).\n\
margin>X, margin:NAME<X (a scorer's margin, score(chosen) - score(rejected), for the pair the label in force names;\n\
without NAME the scorer that ran last), agree:yes|no (it agrees with the label), score:NAME>X (a candidate scored so)\n\
(`verdict score`, `verdict scorers`).\n\
Words and \"quoted phrases\" search prompts and responses (Chinese and Japanese words too, inside sentences).\n\
Terms are ANDed; use OR, AND, NOT (or or, and, not; quoted they are words) or -, and parentheses.\n\
Example: verdict search p.verdict 'modality:image longer:chosen NOT judgment:tie \"red circle\"'")]
pub struct SearchArgs {
    /// The project file.
    project: PathBuf,
    /// The query (empty: every sample).
    #[arg(default_value = "")]
    query: String,
    /// At most this many lines.
    #[arg(long, default_value_t = 50)]
    limit: u64,
    /// Print only the number of matches.
    #[arg(long)]
    count: bool,
    /// One JSON object per matching sample (with --count: one object with the count).
    #[arg(long)]
    json: bool,
}

pub(super) fn run(args: &SearchArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(&args.project)?;
    let compiled = crate::query::compile(&args.query).map_err(|e| anyhow::anyhow!("query: {e}"))?;
    let total = store.count_matching(&compiled)?;
    if args.count {
        if args.json {
            outln!("{}", serde_json::json!({"count": total}));
        } else {
            outln!("{total}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    for row in store.matching(&compiled, args.limit, 0)? {
        if args.json {
            outln!(
                "{}",
                serde_json::json!({"id": row.id, "dataset": row.dataset, "modality": row.modality, "prompt": row.prompt})
            );
            continue;
        }
        let prompt: String = row.prompt.split_whitespace().collect::<Vec<_>>().join(" ");
        let short: String = prompt.chars().take(100).collect();
        outln!("{}\t{}\t{}\t{short}", row.id, row.dataset, row.modality);
    }
    eprintln!("{total} matching samples");
    Ok(ExitCode::SUCCESS)
}
