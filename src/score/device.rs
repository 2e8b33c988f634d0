//! Where a scorer runs: the CPU always; an NVIDIA GPU with the `cuda` feature, an Apple GPU with
//! `metal`. The choice is reported in words (`cpu f32`, `cuda:0 f32`) in the job and its report.

use super::{Result, ScoreError};

/// A kind of device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// The CPU (always built).
    Cpu,
    /// The first CUDA GPU (the `cuda` feature).
    Cuda,
    /// The first Metal GPU (the `metal` feature).
    Metal,
}

impl DeviceKind {
    /// Every kind, in the order `--device` lists them.
    pub const ALL: [DeviceKind; 3] = [DeviceKind::Cpu, DeviceKind::Cuda, DeviceKind::Metal];

    /// Its name for `--device`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Cpu => "cpu",
            DeviceKind::Cuda => "cuda",
            DeviceKind::Metal => "metal",
        }
    }

    /// The kind `--device` names.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Whether this build can run on it.
    pub fn built(self) -> bool {
        match self {
            DeviceKind::Cpu => cfg!(feature = "local-models"),
            DeviceKind::Cuda => cfg!(feature = "cuda"),
            DeviceKind::Metal => cfg!(feature = "metal"),
        }
    }
}

/// The device to use when none is asked for: a GPU this build runs on and the machine has, else
/// the CPU.
pub fn preferred() -> DeviceKind {
    #[cfg(feature = "cuda")]
    if candle_core::utils::cuda_is_available() {
        return DeviceKind::Cuda;
    }
    #[cfg(feature = "metal")]
    if candle_core::utils::metal_is_available() {
        return DeviceKind::Metal;
    }
    DeviceKind::Cpu
}

/// An opened device: where a model runs, the precision its weights and activations take there
/// (f16 on a GPU, f32 on the CPU, where candle's f16 matrix products are slow), and both in words
/// for the job and the report (`cpu f32`, `cuda:0 NVIDIA H100 80GB HBM3 f16`).
#[cfg(feature = "local-models")]
#[derive(Debug)]
pub(crate) struct Opened {
    /// The device.
    pub device: candle_core::Device,
    /// The weights' and activations' type on it.
    pub dtype: candle_core::DType,
    /// Both in words.
    pub words: String,
}

/// Opens a device of `kind`.
#[cfg(feature = "local-models")]
pub(crate) fn open(kind: DeviceKind) -> Result<Opened> {
    if !kind.built() {
        return Err(ScoreError::Device(format!(
            "this Verdict was built without the `{0}` feature: build it with `cargo build --features {0}` \
             (or score with --device cpu)",
            kind.as_str()
        )));
    }
    let device = match kind {
        DeviceKind::Cpu => candle_core::Device::Cpu,
        DeviceKind::Cuda => candle_core::Device::new_cuda(0)
            .map_err(|e| ScoreError::Device(format!("no CUDA GPU could be opened: {e}")))?,
        DeviceKind::Metal => candle_core::Device::new_metal(0)
            .map_err(|e| ScoreError::Device(format!("no Metal GPU could be opened: {e}")))?,
    };
    let dtype = dtype_on(kind);
    let precision = if dtype == candle_core::DType::F16 { "f16" } else { "f32" };
    let words = match gpu_name(&device) {
        Some(name) => format!("{}:0 {name} {precision}", kind.as_str()),
        None if kind == DeviceKind::Cpu => format!("cpu {precision}"),
        None => format!("{}:0 {precision}", kind.as_str()),
    };
    Ok(Opened { device, dtype, words })
}

/// The precision a model runs in on `kind`: half on a GPU (the throughput target; scores
/// agree with the CPU's within half precision's tolerance, see `scripts/gpu-check`), full on the CPU.
#[cfg(feature = "local-models")]
pub(crate) fn dtype_on(kind: DeviceKind) -> candle_core::DType {
    match kind {
        DeviceKind::Cpu => candle_core::DType::F32,
        DeviceKind::Cuda | DeviceKind::Metal => candle_core::DType::F16,
    }
}

/// The GPU's name, where the driver says it.
#[cfg(feature = "local-models")]
fn gpu_name(device: &candle_core::Device) -> Option<String> {
    match device {
        #[cfg(feature = "cuda")]
        candle_core::Device::Cuda(d) => d.cuda_stream().context().name().ok(),
        _ => None,
    }
}

/// The precision a reward head of `architecture` (with `config.json`'s `config`) runs in where
/// the device's is `dtype`: the device's (f16 on a GPU), but for a DeBERTa-v2 with an embedding
/// projection, which candle's model runs, in f32 (it builds f32 masks of its own).
#[cfg(feature = "local-models")]
pub(crate) fn reward_dtype(
    architecture: &str,
    config: &serde_json::Value,
    dtype: candle_core::DType,
) -> candle_core::DType {
    let projected = config["embedding_size"].as_u64().is_some_and(|e| Some(e) != config["hidden_size"].as_u64());
    if architecture.starts_with("DebertaV2") && projected { candle_core::DType::F32 } else { dtype }
}

#[cfg(feature = "local-models")]
impl Opened {
    /// The device in words for a model that runs in `dtype` on it.
    pub(crate) fn words_in(&self, dtype: candle_core::DType) -> String {
        let precision = if dtype == candle_core::DType::F16 { "f16" } else { "f32" };
        match self.words.rsplit_once(' ') {
            Some((place, _)) => format!("{place} {precision}"),
            None => precision.to_owned(),
        }
    }
}

/// Without the `local-models` feature no device runs a model.
#[cfg(not(feature = "local-models"))]
pub(crate) fn open(kind: DeviceKind) -> Result<()> {
    Err(ScoreError::Device(format!(
        "this Verdict was built without the `local-models` feature, so no model runs on {}",
        kind.as_str()
    )))
}

#[cfg(test)]
mod tests {
    #[cfg(feature = "local-models")]
    #[test]
    fn reward_heads_take_the_devices_precision_but_a_projected_deberta() {
        use candle_core::DType;
        let plain = serde_json::json!({ "hidden_size": 768 });
        let projected = serde_json::json!({ "hidden_size": 768, "embedding_size": 128 });
        let same = serde_json::json!({ "hidden_size": 768, "embedding_size": 768 });
        let v2 = "DebertaV2ForSequenceClassification";
        assert_eq!(super::reward_dtype(v2, &plain, DType::F16), DType::F16);
        assert_eq!(super::reward_dtype(v2, &same, DType::F16), DType::F16);
        assert_eq!(super::reward_dtype(v2, &projected, DType::F16), DType::F32);
        assert_eq!(super::reward_dtype("BertForSequenceClassification", &projected, DType::F16), DType::F16);
    }

    use super::*;

    #[test]
    fn devices_parse_and_the_cpu_is_always_there() {
        assert_eq!(DeviceKind::parse(" CUDA "), Some(DeviceKind::Cuda));
        assert_eq!(DeviceKind::parse("tpu"), None);
        assert_eq!(DeviceKind::Cpu.built(), cfg!(feature = "local-models"));
        #[cfg(feature = "local-models")]
        {
            let cpu = open(DeviceKind::Cpu).expect("cpu");
            assert_eq!((cpu.words.as_str(), cpu.dtype), ("cpu f32", candle_core::DType::F32));
            assert_eq!(dtype_on(DeviceKind::Cuda), candle_core::DType::F16, "a GPU runs in half precision");
        }
        #[cfg(not(feature = "cuda"))]
        assert!(open(DeviceKind::Cuda).expect_err("not built").to_string().contains("`cuda` feature"));
    }
}
