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

/// Opens a device of `kind`, with its description in words.
#[cfg(feature = "local-models")]
pub(crate) fn open(kind: DeviceKind) -> Result<(candle_core::Device, String)> {
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
    let words = match kind {
        DeviceKind::Cpu => "cpu f32".to_owned(),
        other => format!("{}:0 f32", other.as_str()),
    };
    Ok((device, words))
}

/// The precision weights and activations take on `device`: f32 everywhere for now (candle's
/// `DeBERTa` builds f32 masks of its own); half precision on a GPU is decided here when it comes.
#[cfg(feature = "local-models")]
pub(crate) fn dtype(_device: &candle_core::Device) -> candle_core::DType {
    candle_core::DType::F32
}

/// Without the `local-models` feature no device runs a model.
#[cfg(not(feature = "local-models"))]
pub(crate) fn open(kind: DeviceKind) -> Result<((), String)> {
    Err(ScoreError::Device(format!(
        "this Verdict was built without the `local-models` feature, so no model runs on {}",
        kind.as_str()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_parse_and_the_cpu_is_always_there() {
        assert_eq!(DeviceKind::parse(" CUDA "), Some(DeviceKind::Cuda));
        assert_eq!(DeviceKind::parse("tpu"), None);
        assert_eq!(DeviceKind::Cpu.built(), cfg!(feature = "local-models"));
        #[cfg(feature = "local-models")]
        assert_eq!(open(DeviceKind::Cpu).expect("cpu").1, "cpu f32");
        #[cfg(not(feature = "cuda"))]
        assert!(open(DeviceKind::Cuda).expect_err("not built").to_string().contains("`cuda` feature"));
    }
}
