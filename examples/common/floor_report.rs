//! The JSON line the floor examples (`hash_floor`, `store_floor`) print: how many bytes of which
//! file took how long, and the file's blake3. MB is 10^6 bytes.

/// The report for `bytes` of `path` done in `seconds`, with the file's `blake3`.
pub fn report(path: &std::path::Path, bytes: u64, seconds: f64, blake3: &blake3::Hash) -> serde_json::Value {
    let mb_per_s = if seconds > 0.0 { bytes as f64 / 1e6 / seconds } else { 0.0 };
    serde_json::json!({
        "file": path.to_string_lossy(),
        "bytes": bytes,
        "seconds": (seconds * 1e6).round() / 1e6,
        "mb_per_s": (mb_per_s * 10.0).round() / 10.0,
        "blake3": blake3.to_hex().as_str(),
    })
}
