//! Verdict: offline curation of multimodal preference data.
//!
//! The core, bottom up (each module uses only the core modules `tests/architecture.rs` lets it):
//! [`model`] (what a sample is, counts and positions in words), [`jobs`] (progress and cancellation
//! for long work), [`query`] (the filter language), [`store`] (the SQLite project file and its one
//! write path), [`media`] (probing and decoding images, video, audio), [`ingest`] (readers and
//! presets that turn public dataset layouts into samples), then [`export`] (the cleaned subset out,
//! in the formats trainers read). [`clean`] (duplicates, contamination, checks) and [`score`]
//! (local scoring models: model judgments and suspects) are sibling modules beside `ingest`: both may use model,
//! jobs, query, store and media, neither the other, and they write through the store, where the
//! export reads what they decided.
//!
//! The front ends on top: [`cli`] (the command line) and [`ui`] (the desktop app), which use the
//! core and never each other. Nothing outside `ui` knows about egui.

pub mod clean;
pub mod cli;
pub mod export;
pub mod ingest;
pub mod jobs;
pub mod media;
pub mod model;
pub mod query;
pub mod score;
pub mod store;
pub mod ui;
