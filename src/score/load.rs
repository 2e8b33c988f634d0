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
    /// The model's linear layers in int8 on the CPU (a sentence encoder's, a reward model's, CLIP
    /// and `SigLIP`'s towers' layers): about twice as fast where the CPU has AVX-512 VNNI, 1.6 times
    /// with AVX2 alone, relevance within about 0.01 of f32's, and a scorer of its own (its scores
    /// kept apart from f32's). GPUs refuse it.
    pub int8: bool,
}

impl LoadOptions {
    /// The model `model`, everything else by default.
    pub fn new(model: impl Into<String>) -> Self {
        Self { model: model.into(), name: None, device: None, caches: None, int8: false }
    }
}

/// The architectures the sentence-embedding scorer runs.
const SENTENCE_ENCODERS: &[&str] = &["BertModel", "bert"];

/// The architectures the image-text scorer runs.
const IMAGE_TEXT: &[&str] = &["CLIPModel", "SiglipModel"];

/// The architectures the audio-text scorer runs.
const AUDIO_TEXT: &[&str] = &["ClapModel"];

/// The architectures the reward scorer runs (a sequence-classification head: one scalar per
/// prompt and response).
const REWARD_MODELS: &[&str] = &["DebertaV2ForSequenceClassification", "BertForSequenceClassification"];

/// Loads the scorer for `options.model`, with the folder it came from.
pub fn load(options: &LoadOptions) -> Result<(Box<dyn Scorer>, ModelFolder)> {
    let caches = options.caches.clone().unwrap_or_else(hub_caches);
    let folder = ModelFolder::find(&options.model, &caches)?;
    let image_text = IMAGE_TEXT.contains(&folder.architecture.as_str());
    let reward = REWARD_MODELS.contains(&folder.architecture.as_str());
    let audio_text = AUDIO_TEXT.contains(&folder.architecture.as_str());
    if !image_text && !reward && !audio_text && !SENTENCE_ENCODERS.contains(&folder.architecture.as_str()) {
        return Err(ScoreError::Unsupported(format!(
            "{}: architecture `{}` is not one Verdict scores with yet; it runs sentence-embedding encoders \
             of the BERT family ({}), e.g. all-MiniLM-L6-v2, image-text models ({}), audio-text models ({}) \
             and reward models ({})",
            folder.dir.join("config.json").display(),
            folder.architecture,
            SENTENCE_ENCODERS[0],
            IMAGE_TEXT.join(", "),
            AUDIO_TEXT.join(", "),
            REWARD_MODELS.join(", ")
        )));
    }
    let kind = options.device.unwrap_or_else(device::preferred);
    if options.int8 && kind != DeviceKind::Cpu {
        return Err(ScoreError::Unsupported(format!(
            "int8 runs on the CPU only; {} is a {} model on {}: score it without int8",
            folder.dir.display(),
            folder.architecture,
            kind.as_str()
        )));
    }
    let opened = device::open(kind)?;
    let name = options.name.clone().unwrap_or_else(|| folder.name.clone());
    if name.trim().is_empty() || name.chars().any(char::is_whitespace) {
        return Err(ScoreError::Identity(format!(
            "scorer name `{name}`: a name is one word (no spaces), as `score:NAME` takes it"
        )));
    }
    let scorer = if image_text {
        image_text_scorer(&folder, name, opened, options.int8)?
    } else if audio_text {
        audio_text_scorer(&folder, name, opened, options.int8)?
    } else if reward {
        reward_scorer(&folder, name, opened, options.int8)?
    } else {
        sentence_scorer(&folder, name, opened, options.int8)?
    };
    Ok((scorer, folder))
}

/// The model's `model.safetensors`, read once, and its content hash (part of the scorer's identity).
#[cfg(feature = "local-models")]
fn read_weights(folder: &ModelFolder) -> Result<(Vec<u8>, String)> {
    let path = folder.file("model.safetensors")?;
    let weights =
        std::fs::read(&path).map_err(|e| ScoreError::Model { path, message: format!("cannot be read: {e}") })?;
    let hash = blake3::hash(&weights).to_hex().to_string();
    Ok((weights, hash))
}

/// The precision a local model's products run in, and the device words its job shows: `words` in
/// f32, the int8 kernel's in int8.
#[cfg(feature = "local-models")]
fn precision_and_words(int8: bool, words: String) -> (super::plain::Precision, String) {
    use super::plain::Precision;
    if int8 { (Precision::Int8, int8_words()) } else { (Precision::F32, words) }
}

#[cfg(feature = "local-models")]
fn sentence_scorer(folder: &ModelFolder, name: String, opened: device::Opened, int8: bool) -> Result<Box<dyn Scorer>> {
    let (weights, hash) = read_weights(folder)?;
    let (precision, words) = precision_and_words(int8, opened.words);
    let embedder = super::embed::SentenceEmbedder::load_as(folder, weights, opened.device, opened.dtype, precision)?;
    Ok(Box::new(super::embed::RelevanceScorer::new(embedder, name, folder.architecture.clone(), hash, words)))
}

/// The device words of a CPU scorer in int8: which kernel runs, and whether it pays.
#[cfg(feature = "local-models")]
fn int8_words() -> String {
    let how = match verdict_kernels::int8::Kernel::detect() {
        verdict_kernels::int8::Kernel::Vnni => "AVX-512 VNNI",
        verdict_kernels::int8::Kernel::Avx2 => "AVX2",
        verdict_kernels::int8::Kernel::Portable => "portable: this CPU has no AVX-512 VNNI, slow",
    };
    format!("cpu int8 ({how})")
}

#[cfg(feature = "local-models")]
fn reward_scorer(folder: &ModelFolder, name: String, opened: device::Opened, int8: bool) -> Result<Box<dyn Scorer>> {
    let (weights, hash) = read_weights(folder)?;
    let dtype = device::reward_dtype(&folder.architecture, &folder.config, opened.dtype);
    let (precision, words) = precision_and_words(int8, opened.words_in(dtype));
    let scorer =
        super::reward::RewardScorer::load(folder, weights, hash, (opened.device, dtype, precision), name, words)?;
    Ok(Box::new(scorer))
}

#[cfg(not(feature = "local-models"))]
fn reward_scorer(_: &ModelFolder, _: String, (): (), _: bool) -> Result<Box<dyn Scorer>> {
    Err(ScoreError::Device("this Verdict was built without the `local-models` feature".into()))
}

#[cfg(not(feature = "local-models"))]
fn sentence_scorer(_: &ModelFolder, _: String, (): (), _: bool) -> Result<Box<dyn Scorer>> {
    Err(ScoreError::Device("this Verdict was built without the `local-models` feature".into()))
}

#[cfg(feature = "local-models")]
fn image_text_scorer(
    folder: &ModelFolder,
    name: String,
    opened: device::Opened,
    int8: bool,
) -> Result<Box<dyn Scorer>> {
    use super::image_text::{ImageTextScorer, TextImageModel};
    let (weights, hash) = read_weights(folder)?;
    let (precision, words) = precision_and_words(int8, opened.words);
    let on = (opened.device, opened.dtype);
    let model: Box<dyn TextImageModel> = if folder.architecture == "CLIPModel" {
        Box::new(super::clip::Clip::load_in(folder, weights, on, precision)?)
    } else {
        Box::new(super::siglip::Siglip::load_in(folder, weights, on, precision)?)
    };
    Ok(Box::new(ImageTextScorer::new(model, name, folder.architecture.clone(), hash, words)))
}

#[cfg(not(feature = "local-models"))]
fn image_text_scorer(_: &ModelFolder, _: String, (): (), _: bool) -> Result<Box<dyn Scorer>> {
    Err(ScoreError::Device("this Verdict was built without the `local-models` feature".into()))
}

#[cfg(feature = "local-models")]
fn audio_text_scorer(
    folder: &ModelFolder,
    name: String,
    opened: device::Opened,
    int8: bool,
) -> Result<Box<dyn Scorer>> {
    let (weights, hash) = read_weights(folder)?;
    let (precision, words) = precision_and_words(int8, opened.words);
    let model = super::clap::Clap::load_in(folder, weights, (opened.device, opened.dtype), precision)?;
    let scorer = super::audio_text::AudioTextScorer::new(model, name, folder.architecture.clone(), hash, words);
    Ok(Box::new(scorer))
}

#[cfg(not(feature = "local-models"))]
fn audio_text_scorer(_: &ModelFolder, _: String, (): (), _: bool) -> Result<Box<dyn Scorer>> {
    Err(ScoreError::Device("this Verdict was built without the `local-models` feature".into()))
}
