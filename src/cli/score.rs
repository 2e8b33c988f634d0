//! `verdict score`, `verdict scorers` and `verdict suspects`: a local model scores every candidate,
//! the project keeps its scores and model judgments, and the pairs it disagrees with most
//! confidently are listed with where they are.

use super::progress::with_bar;
use crate::score::load::LoadOptions;
use crate::score::served::{Api, CommandScorer, EndpointOptions};
use crate::score::suspects::{Suspect, Suspects, suspects};
use crate::score::{DeviceKind, ScoreOptions, Scorer};
use crate::store::{Agreement, AgreementRow, ScorerRow, group_name};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `verdict score`.
#[derive(Debug, clap::Args)]
#[command(after_help = "The model is a folder in the Hugging Face layout (config.json, model.safetensors, \
tokenizer.json), or org/name found in the local Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub, \
~/.cache/huggingface/hub); nothing is downloaded. Sentence-embedding encoders of the BERT family \
(all-MiniLM-L6-v2) score prompt-response relevance: the cosine of the two embeddings; reward models \
(DeBERTa-v2/v3, BERT cross-encoders) the classifier's logit; image-text models (CLIP, SigLIP) and audio-text \
models (CLAP) the cosine of a candidate's text with the sample's images, video frames or audio, sentence by \
sentence, or of the prompt with a generated image or clip. Each sample gets a \
model judgment (author: the scorer's name) that never changes its label; what is scored is never scored \
again, so a cancelled or killed run resumes.\n\nA served model: --endpoint URL --model NAME --api pooling (a \
reward model behind vLLM's /pooling, a scalar per candidate) or --api chat (a chat model behind \
/v1/chat/completions judging each pair in both orders; a candidate's score is the share of its comparisons \
won). --command CMD runs a process that reads one JSON line per candidate and writes one score line back \
(README \"Scoring\" has the protocol). A served scorer that fails or answers nonsense stops the job with an \
error; what was written stays and a rerun resumes.\n\nExamples:\n  verdict score p.verdict --model \
~/models/all-MiniLM-L6-v2\n  verdict score p.verdict --model sentence-transformers/all-MiniLM-L6-v2 \
--where 'modality:text' --json\n  verdict score p.verdict --endpoint http://gpu:8000 --model \
Skywork/Skywork-Reward-V2-Llama-8B --api pooling --concurrency 16\n  verdict score p.verdict --command \
'python3 my_scorer.py' --name mine")]
pub struct ScoreArgs {
    /// The project file.
    project: PathBuf,
    /// The model: a folder, or org/name in the local Hugging Face cache; with --endpoint, its name on the server.
    #[arg(long, required_unless_present = "command")]
    model: Option<String>,
    /// The scorer's name in this project (default: the model's folder or name; required with --command).
    #[arg(long)]
    name: Option<String>,
    /// Where the model runs (default: a GPU this build and machine have, else the CPU).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["cpu", "cuda", "metal"]))]
    device: Option<String>,
    /// int8 on the CPU (the help text below: a doc comment would show `SigLIP` in backticks).
    #[arg(
        long,
        conflicts_with_all = ["endpoint", "command"],
        help = "The model's matrix products in int8 on the CPU (sentence encoders, reward models, CLIP and \
                SigLIP's, CLAP's layers): about twice as fast with AVX-512 VNNI, 1.6 times with AVX2 alone, \
                relevance within about 0.01 of f32's; a scorer of its own"
    )]
    int8: bool,
    /// Candidates per model call.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    batch: u32,
    /// Only the samples this query selects (the filter language of `verdict search`).
    #[arg(long = "where", default_value = "")]
    query: String,
    /// A served model's server: http://host:port (or .../v1).
    #[arg(long, requires = "model", conflicts_with = "device")]
    endpoint: Option<String>,
    /// The served model's API: `pooling` (vLLM reward model) or `chat` (a judge).
    #[arg(long, default_value = "chat", requires = "endpoint",
          value_parser = clap::builder::PossibleValuesParser::new(["pooling", "chat"]))]
    api: String,
    /// Requests in flight at once to the endpoint.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    concurrency: u32,
    /// Retries of a request that failed with a 5xx, a timeout or a broken connection (waits 0.5 s, 1 s, 2 s...).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
    retries: u32,
    /// Seconds one request (or one --command answer) may take.
    #[arg(long, default_value_t = 120.0)]
    timeout: f64,
    /// The environment variable holding the endpoint's API key (sent as a Bearer token, never printed).
    #[arg(long, default_value = "OPENAI_API_KEY")]
    api_key_env: String,
    /// A process that scores: run with `sh -c`, JSON lines in and out (see README "Scoring").
    #[arg(long, conflicts_with_all = ["model", "endpoint", "device"])]
    command: Option<String>,
    /// The report as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Arguments of `verdict scorers`.
#[derive(Debug, clap::Args)]
pub struct ScorersArgs {
    /// The project file.
    project: PathBuf,
    /// One JSON object per scorer.
    #[arg(long)]
    json: bool,
    /// Also how often each scorer agrees with the labels in force per dataset, per source model
    /// (pairs holding a candidate of that model) and per curator (the label's author, or the
    /// dataset's own label): indented lines, or an `agreement` object in JSON.
    #[arg(long)]
    agreement: bool,
}

/// Arguments of `verdict suspects`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Per pair under the label in force: margin = score(chosen) - score(rejected), and the \
probability that the label is right, sigma(margin / T) (Bradley-Terry). T is fitted to the project's own \
labels by maximum likelihood unless --temperature gives it; the order (lowest margin first) is the same \
either way. A pair is the one the label names: a preference's or correction's chosen and rejected, a \
ranking's best and worst; ties, both-bad and ratings labels name none.")]
pub struct SuspectsArgs {
    /// The project file.
    project: PathBuf,
    /// At most this many pairs.
    #[arg(long, default_value_t = 20)]
    top: usize,
    /// The scorer (default: the one that ran last).
    #[arg(long)]
    scorer: Option<String>,
    /// The temperature T of sigma(margin / T) (default: fitted to the project's labels).
    #[arg(long)]
    temperature: Option<f64>,
    /// One JSON object per pair, then one with the scorer and the temperature.
    #[arg(long)]
    json: bool,
}

pub(super) fn run_score(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let mut store = super::open_existing(&args.project)?;
    let (mut scorer, from) = scorer(args)?;
    eprintln!("scorer {} ({from}) on {}", scorer.identity().name, scorer.device());
    let options = ScoreOptions {
        query: args.query.clone(),
        batch: args.batch as usize,
        origin: "cli",
        model_path: Some(from),
        ..ScoreOptions::default()
    };
    let name = args.project.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let report = with_bar(&name, |p| crate::score::run(&mut store, scorer.as_mut(), &options, p))?;
    if args.json {
        outln!("{}", serde_json::to_string(&report)?);
    } else {
        outln!("{}", report.summary());
    }
    Ok(ExitCode::SUCCESS)
}

/// The scorer the arguments name, and where it is (folder, endpoint or command).
fn scorer(args: &ScoreArgs) -> anyhow::Result<(Box<dyn Scorer>, String)> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        anyhow::bail!("--timeout {}: give a number of seconds above 0", args.timeout);
    }
    let timeout = std::time::Duration::from_secs_f64(args.timeout);
    if let Some(command) = &args.command {
        let Some(name) = args.name.as_deref() else {
            anyhow::bail!("--command needs --name: the scorer's name in this project (score:NAME, --scorer NAME)");
        };
        return Ok((Box::new(CommandScorer::start(command, name, timeout)?), command.clone()));
    }
    let model = args.model.clone().unwrap_or_default();
    if let Some(endpoint) = &args.endpoint {
        let api = Api::parse(&args.api).unwrap_or(Api::Chat);
        let options = EndpointOptions {
            name: args.name.clone(),
            api_key: std::env::var(&args.api_key_env).ok(),
            concurrency: args.concurrency as usize,
            retries: args.retries,
            timeout,
            ..EndpointOptions::new(endpoint.clone(), model, api)
        };
        return Ok((crate::score::served::connect(&options)?, endpoint.clone()));
    }
    let load = LoadOptions {
        model,
        name: args.name.clone(),
        device: args.device.as_deref().and_then(DeviceKind::parse),
        caches: None,
        int8: args.int8,
    };
    let (scorer, folder) = crate::score::load(&load)?;
    Ok((scorer, folder.dir.display().to_string()))
}

pub(super) fn run_scorers(args: &ScorersArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(&args.project)?;
    for s in store.scorers()? {
        // A judge: how often its verdict flips with the order the pair is shown in.
        let flips = if s.kind == "judge" { Some(store.judge_order_flips(s.id)?) } else { None };
        let agreement = if args.agreement { Some(store.agreement(s.id)?) } else { None };
        if args.json {
            let mut v = serde_json::to_value(&s)?;
            if let Some((pairs, flipped)) = flips {
                let rate = if pairs == 0 { serde_json::Value::Null } else { (flipped as f64 / pairs as f64).into() };
                v["order_flips"] = serde_json::json!({"pairs": pairs, "flipped": flipped, "rate": rate});
            }
            if let Some(a) = &agreement {
                v["agreement"] = serde_json::to_value(a)?;
            }
            outln!("{v}");
        } else {
            let mut line = scorer_line(&s);
            if let Some((pairs, flipped)) = flips
                && pairs > 0
            {
                let percent = 100.0 * flipped as f64 / pairs as f64;
                line = format!("{line}; flips with the order in {flipped} of {pairs} pairs ({percent:.1} %)");
            }
            outln!("{line}");
            for (by, rows) in agreement.as_ref().map(Agreement::groups).into_iter().flatten() {
                for row in rows {
                    outln!("  {by} {}: {}", group_name(by, row), agreement_words(row));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// "agrees with 7 of 12 pairs (58 %), 5 against".
fn agreement_words(row: &AgreementRow) -> String {
    let percent = row.percent().map_or_else(String::new, |p| format!(" ({p:.0} %)"));
    format!("agrees with {} of {} pairs{percent}, {} against", row.agree, row.pairs, row.disagree)
}

fn scorer_line(s: &ScorerRow) -> String {
    use crate::model::words::plural;
    let agree = if s.pairs == 0 {
        String::new()
    } else {
        format!(", agrees with {} of {} labelled pairs ({} against)", s.agree, s.pairs, s.disagree)
    };
    format!(
        "{} ({} {}, weights {}, {}): {} judged{agree}; last run {} on {}",
        s.name,
        s.kind,
        s.architecture,
        &s.weights[..12.min(s.weights.len())],
        s.settings,
        plural(s.judged, "sample"),
        s.used_at,
        s.device.as_deref().unwrap_or("?")
    )
}

pub(super) fn run_suspects(args: &SuspectsArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_existing(&args.project)?;
    let found = suspects(&store, args.scorer.as_deref(), args.top, args.temperature)?;
    for s in &found.pairs {
        if args.json {
            outln!("{}", serde_json::to_string(s)?);
        } else {
            outln!("{}", suspect_line(s));
        }
    }
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "scorer": found.scorer.name,
                "temperature": temperature_json(&found),
                "fitted_on": found.temperature.fitted_on,
                "given": found.temperature.given,
                "pairs": found.scorer.pairs,
                "disagree": found.scorer.disagree,
            })
        );
    } else {
        eprintln!("{}", summary(&found));
    }
    Ok(ExitCode::SUCCESS)
}

fn temperature_json(found: &Suspects) -> serde_json::Value {
    let t = found.temperature.value;
    if t.is_finite() { t.into() } else { serde_json::Value::Null }
}

fn suspect_line(s: &Suspect) -> String {
    let p = &s.pair;
    let key = p.key.as_ref().map_or_else(String::new, |k| format!(", key {k}"));
    format!(
        "sample {} ({} {}{key}): label {} (chosen {}, rejected {}): margin {:+.4}, p(label right) {:.3}",
        p.sample,
        p.dataset,
        p.position,
        p.label,
        crate::store::position_letter(p.chosen),
        crate::store::position_letter(p.rejected),
        p.margin,
        s.probability
    )
}

fn summary(found: &Suspects) -> String {
    let t = &found.temperature;
    let how = match (t.given, t.value.is_finite()) {
        (true, _) => "given".to_owned(),
        (false, true) => format!("fitted on {} pairs", t.fitted_on),
        (false, false) => format!("its margins do not follow the {} labels: every probability is 1/2", t.fitted_on),
    };
    format!(
        "{}: {} of {} pairs against the label; temperature {} ({how})",
        found.scorer.name,
        found.scorer.disagree,
        found.scorer.pairs,
        if t.value.is_finite() { format!("{:.4}", t.value) } else { "infinite".into() }
    )
}
