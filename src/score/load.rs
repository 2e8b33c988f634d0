//! A scorer from a model folder: the architecture `config.json` names picks the scorer, the
//! weights are read once (hashed for the scorer's identity, then loaded onto the device).

use super::device::{self, DeviceKind};
use super::folder::{ModelFolder, hub_caches};
use super::{Result, ScoreError, Scorer};

/// What to load.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// A folder, or `org/name` in the Hugging Face cache.
    pub model: String,
    /// The scorer's name (default: the folder's, see [`ModelFolder::name`]).
    pub name: Option<String>,
    /// The device (default: a GPU this build and machine have, else the CPU).
    pub device: Option<DeviceKind>,
    /// The Hugging Face caches to look `org/name` up in (default: [`hub_caches`]).
    pub caches: Option<Vec<std::path::PathBuf>>,
}

impl LoadOptions {
    /// The model `model`, everything else by default.
    pub fn new(model: impl Into<String>) -> Self {
        Self { model: model.into(), name: None, device: None, caches: None }
    }
}

/// The architectures the sentence-embedding scorer runs.
const SENTENCE_ENCODERS: &[&str] = &["BertModel", "bert"];

/// The architectures the reward scorer runs (a sequence-classification head: one scalar per
/// prompt and response).
const REWARD_MODELS: &[&str] = &["DebertaV2ForSequenceClassification", "BertForSequenceClassification"];

/// Loads the scorer for `options.model`, with the folder it came from.
pub fn load(options: &LoadOptions) -> Result<(Box<dyn Scorer>, ModelFolder)> {
    let caches = options.caches.clone().unwrap_or_else(hub_caches);
    let folder = ModelFolder::find(&options.model, &caches)?;
    let reward = REWARD_MODELS.contains(&folder.architecture.as_str());
    if !reward && !SENTENCE_ENCODERS.contains(&folder.architecture.as_str()) {
        return Err(ScoreError::Unsupported(format!(
            "{}: architecture `{}` is not one Verdict scores with yet; it runs sentence-embedding encoders \
             of the BERT family ({}), e.g. all-MiniLM-L6-v2, and reward models ({})",
            folder.dir.join("config.json").display(),
            folder.architecture,
            SENTENCE_ENCODERS[0],
            REWARD_MODELS.join(", ")
        )));
    }
    let kind = options.device.unwrap_or_else(device::preferred);
    let (device, words) = device::open(kind)?;
    let name = options.name.clone().unwrap_or_else(|| folder.name.clone());
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        return Err(ScoreError::Identity(format!(
            "scorer name `{name}`: a name is one word (no spaces), as `score:NAME` takes it"
        )));
    }
    let scorer = if reward {
        reward_scorer(&folder, name, device, words)?
    } else {
        sentence_scorer(&folder, name, device, words)?
    };
    Ok((scorer, folder))
}

#[cfg(feature = "local-models")]
fn sentence_scorer(
    folder: &ModelFolder,
    name: String,
    device: candle_core::Device,
    words: String,
) -> Result<Box<dyn Scorer>> {
    let path = folder.file("model.safetensors")?;
    let weights = std::fs::read(&path)
        .map_err(|e| ScoreError::Model { path: path.clone(), message: format!("cannot be read: {e}") })?;
    let hash = blake3::hash(&weights).to_hex().to_string();
    let embedder = super::embed::SentenceEmbedder::load(folder, weights, device)?;
    Ok(Box::new(super::embed::RelevanceScorer::new(embedder, name, folder.architecture.clone(), hash, words)))
}

#[cfg(feature = "local-models")]
fn reward_scorer(
    folder: &ModelFolder,
    name: String,
    device: candle_core::Device,
    words: String,
) -> Result<Box<dyn Scorer>> {
    let path = folder.file("model.safetensors")?;
    let weights = std::fs::read(&path)
        .map_err(|e| ScoreError::Model { path: path.clone(), message: format!("cannot be read: {e}") })?;
    let hash = blake3::hash(&weights).to_hex().to_string();
    Ok(Box::new(super::reward::RewardScorer::load(folder, weights, hash, device, name, words)?))
}

#[cfg(not(feature = "local-models"))]
fn reward_scorer(_: &ModelFolder, _: String, (): (), _: String) -> Result<Box<dyn Scorer>> {
    Err(ScoreError::Device("this Verdict was built without the `local-models` feature".into()))
}

#[cfg(not(feature = "local-models"))]
fn sentence_scorer(_: &ModelFolder, _: String, (): (), _: String) -> Result<Box<dyn Scorer>> {
    Err(ScoreError::Device("this Verdict was built without the `local-models` feature".into()))
}
