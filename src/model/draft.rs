//! Drafts: a sample as an importer produces it, before the store gives it ids.
//!
//! Positions are implicit (the order of `responses` and `media`), so a preset cannot produce
//! two responses with the same position.

use super::value::Value;
use super::{JudgmentKind, JudgmentSource, MediaKind, MediaRole};
use indexmap::IndexMap;

/// One turn of a conversation that precedes the prompt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Turn {
    /// `system`, `user` or `assistant` (normalized from `human`/`gpt`).
    pub role: String,
    /// The turn's text, media placeholders included.
    pub content: String,
}

/// A preference sample ready to be stored.
#[derive(Debug, Clone, Default)]
pub struct SampleDraft {
    /// The id the source gives the row (always text: sources disagree on int vs string).
    pub source_key: Option<String>,
    /// Index of this sample within its source row (HA-DPO puts several pairs in one row).
    pub sub_index: u32,
    /// The final user turn: the question the responses answer (placeholders such as `<image>` kept).
    pub prompt: String,
    /// Earlier conversation turns (system prompt first), empty for single-turn samples.
    pub context: Vec<Turn>,
    /// Candidate responses, in source order.
    pub responses: Vec<ResponseDraft>,
    /// Media items, in source order.
    pub media: Vec<MediaDraft>,
    /// The dataset's own annotations.
    pub judgments: Vec<JudgmentDraft>,
    /// Source columns the model has no place for, kept verbatim (binary values are stored as blobs).
    pub extras: IndexMap<String, Value>,
    /// The curation state the sample arrives with (a Verdict export read back); `None` for a
    /// source dataset, whose samples start uncurated.
    pub curation: Option<CurationDraft>,
    /// Files holding the bytes of binary values that `extras` already names as `{"$blob": hash}`
    /// (a Verdict export's `blobs`), read into blobs when the sample is prepared.
    pub blob_files: Vec<BlobFile>,
}

/// A sample's curation state as a Verdict export writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurationDraft {
    /// The index in [`SampleDraft::judgments`] of the curator judgment in force; `None`: the
    /// original stands.
    pub judgment: Option<usize>,
    /// The flag reason, when flagged.
    pub flag: Option<String>,
    /// The curator's note.
    pub note: Option<String>,
    /// The exclusion reason, when excluded.
    pub excluded: Option<String>,
    /// When it last changed (ISO-8601 UTC); `None`: the time of the import.
    pub updated_at: Option<String>,
}

/// The file holding the bytes of one binary value of the extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobFile {
    /// blake3 of the bytes, hex: the `{"$blob": hash}` in the extras.
    pub hash: String,
    /// The file, relative to the media root.
    pub file: String,
    /// The source field that names it, for the report.
    pub field: String,
}

/// A candidate response.
#[derive(Debug, Clone, Default)]
pub struct ResponseDraft {
    /// The response text; `None` when the candidate is media only.
    pub text: Option<String>,
    /// The model that generated it, when the source says.
    pub model: Option<String>,
    /// The source field it came from (`chosen`, `completions[2].response`, ...).
    pub field: String,
    /// Per-response facts with no column of their own (scores, reasons), as JSON.
    pub meta: Option<serde_json::Value>,
}

/// Where a media item's bytes are.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaSource {
    /// Bytes embedded in the dataset (HF Image struct, base64, data URI), with the file name the source gives.
    Bytes {
        /// The encoded file (JPEG, PNG, MP3, ...).
        bytes: Vec<u8>,
        /// The `path` next to the bytes, if any (informational only).
        name: Option<String>,
    },
    /// A path as written in the source, resolved against the dataset's media root.
    Path(String),
    /// A remote URL. Recorded, never fetched.
    Url(String),
    /// A media file of a Verdict export (`media/<hash>.jpg`, or a frame folder), resolved against
    /// the media root like a path.
    Exported {
        /// The file (or frame folder) as the export names it.
        file: String,
        /// The project held the bytes (a blob): they are read from the file and stored as a blob
        /// again. Otherwise the media is a reference to the file.
        embedded: bool,
        /// The blake3 the embedded bytes had (a file with other bytes is reported).
        hash: Option<String>,
        /// The file name given next to embedded bytes.
        name: Option<String>,
        /// For a reference: the path as its source first wrote it, kept as the media's path.
        path: Option<String>,
    },
    /// A path that did not resolve where the sample was first imported (a Verdict export keeps
    /// it as written, with no file): recorded as unresolved with why, not resolved again.
    Unresolved {
        /// The path as written.
        path: String,
        /// Why it did not resolve.
        why: String,
    },
}

/// A media item attached to a sample.
#[derive(Debug, Clone)]
pub struct MediaDraft {
    /// Why it is attached.
    pub role: MediaRole,
    /// What it is.
    pub kind: MediaKind,
    /// The source field (`image`, `images[1]`, `image_1`).
    pub field: String,
    /// Where it is.
    pub source: MediaSource,
    /// For `MediaRole::Candidate`: the position of the response it belongs to.
    pub response: Option<u32>,
}

/// One rating of one aspect.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RatingDraft {
    /// The rated response's position; `None` for a rating of the whole sample.
    pub response: Option<u32>,
    /// The aspect (`Helpfulness`, `prompt_following`, `overall`).
    pub aspect: String,
    /// The numeric value when the raw value parses as a number.
    pub value: Option<f64>,
    /// The value exactly as the source wrote it (`"4"`, `"N/A"`).
    pub raw: String,
    /// Why the rater gave it.
    pub rationale: Option<String>,
    /// A free-text critique of the response.
    pub critique: Option<String>,
}

impl RatingDraft {
    /// A rating whose numeric value is parsed leniently from its raw text.
    pub fn new(response: Option<u32>, aspect: impl Into<String>, raw: impl Into<String>) -> Self {
        let raw = raw.into();
        let value = raw.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        Self { response, aspect: aspect.into(), value, raw, rationale: None, critique: None }
    }
}

/// A judgment as the dataset states it (or, read back from a Verdict export, as the project
/// recorded it: curators' and models' judgments too).
#[derive(Debug, Clone)]
pub struct JudgmentDraft {
    /// Whose it is: `Original` for a dataset's own annotation.
    pub source: JudgmentSource,
    /// The curator or model that made it.
    pub author: Option<String>,
    /// When it was recorded (ISO-8601 UTC); `None`: the time of the import.
    pub created_at: Option<String>,
    /// Its shape.
    pub kind: JudgmentKind,
    /// Which label this is when a pair carries several (`overall`, `safer`, `helpfulness`).
    pub label: String,
    /// Position of the preferred response (pairwise, correction).
    pub chosen: Option<u32>,
    /// Position of the dispreferred response.
    pub rejected: Option<u32>,
    /// Positions best first (ranking).
    pub ranking: Vec<u32>,
    /// Ratings that belong to this judgment.
    pub ratings: Vec<RatingDraft>,
    /// The source's own words for the judgment (reasons, the raw label value, tie flags), as JSON.
    pub detail: Option<serde_json::Value>,
}

impl JudgmentDraft {
    /// `chosen` preferred over `rejected`, labelled `overall`.
    pub fn pairwise(chosen: u32, rejected: u32) -> Self {
        Self::new(JudgmentKind::Pairwise, "overall").with_pair(chosen, rejected)
    }

    /// An empty judgment of the given kind and label.
    pub fn new(kind: JudgmentKind, label: impl Into<String>) -> Self {
        Self {
            source: JudgmentSource::Original,
            author: None,
            created_at: None,
            kind,
            label: label.into(),
            chosen: None,
            rejected: None,
            ranking: Vec::new(),
            ratings: Vec::new(),
            detail: None,
        }
    }

    /// Sets the preferred and dispreferred positions.
    #[must_use]
    pub fn with_pair(mut self, chosen: u32, rejected: u32) -> Self {
        self.chosen = Some(chosen);
        self.rejected = Some(rejected);
        self
    }

    /// Attaches the source's own words.
    #[must_use]
    pub fn with_detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = Some(detail);
        self
    }
}
