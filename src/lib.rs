//! Verdict: offline curation of multimodal preference data.
//!
//! Layers, bottom up: [`model`] (what a sample is), [`store`] (the SQLite project file),
//! [`media`] (probing and decoding images, video, audio), [`ingest`] (readers and presets that turn
//! public dataset layouts into samples), [`jobs`] (progress and cancellation for long work), [`export`] (the cleaned subset out, in
//! the formats trainers read), and
//! the front ends (`cli`, later `ui`) on top. Nothing below the front ends knows about egui.

pub mod clean;
pub mod cli;
pub mod export;
pub mod ingest;
pub mod jobs;
pub mod media;
pub mod model;
pub mod query;
pub mod store;
pub mod ui;
