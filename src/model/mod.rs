//! The domain model: what a preference sample is, independent of any file format or front end.
//!
//! Ids are newtypes so a `SampleId` can never be passed where a `ResponseId` is expected.
//! Enums are stored in SQLite as short lowercase text (`as_str` / `parse`), so the project file
//! stays readable with the `sqlite3` shell.

pub mod checks;
mod draft;
mod ids;
mod position;
mod reasons;
pub mod union_find;
pub mod value;
mod value_json;
pub mod words;

pub use checks::{CHECK_KINDS, check_kind_in_words};
pub use draft::{
    BlobFile, CurationDraft, JudgmentDraft, MediaDraft, MediaSource, RatingDraft, ResponseDraft, SampleDraft, Turn,
};
pub use ids::{DatasetId, JudgmentId, MediaId, OpId, ResponseId, SampleId};
pub use position::Position;
pub use reasons::{EXCLUDE_REASONS, FLAG_REASONS, canonical_exclusion, canonical_flag, canonical_reason};
pub use value::Value;

/// The version of Verdict's own export format (`verdict export --format verdict`): the exporter
/// writes it as the first key of every line, the `verdict` preset reads this version.
pub const VERDICT_FORMAT_VERSION: i64 = 1;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the project file.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored text; `None` for anything unknown.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                Ok(self.as_str().into())
            }
        }

        impl rusqlite::types::FromSql for $name {
            fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
                let text = value.as_str()?;
                Self::parse(text).ok_or_else(|| rusqlite::types::FromSqlError::Other(
                    format!("unknown {} value {text:?}", stringify!($name)).into(),
                ))
            }
        }
    };
}

text_enum! {
    /// What a media item is.
    MediaKind {
        /// A still image (one element of an image list is also an `Image`, ordered by position).
        Image => "image",
        /// A video file (MP4, AVI, ...).
        Video => "video",
        /// A directory of frames that together form a video.
        Frames => "frames",
        /// An audio clip.
        Audio => "audio",
    }
}

text_enum! {
    /// Why a media item is attached to a sample.
    MediaRole {
        /// Shown to the model as part of the prompt.
        Input => "input",
        /// A second input with its own meaning (Re-Align `retrieved_image`, MM-RLHF `mixed_up_image`).
        Retrieved => "retrieved",
        /// The media *is* a candidate response (text-to-image, text-to-audio preference).
        Candidate => "candidate",
    }
}

text_enum! {
    /// Whose judgment this is.
    JudgmentSource {
        /// The dataset's own annotation, as imported. Never updated.
        Original => "original",
        /// A curator's relabel.
        Curator => "curator",
        /// A scoring model's opinion.
        Model => "model",
    }
}

text_enum! {
    /// The shape of a judgment.
    JudgmentKind {
        /// One response preferred over another (`chosen` over `rejected`).
        Pairwise => "pairwise",
        /// Responses ordered best first.
        Ranking => "ranking",
        /// Per-aspect ratings (and rationales) of one or more responses, no winner implied.
        Ratings => "ratings",
        /// A corrected response preferred over the original it corrects.
        Correction => "correction",
        /// Both responses judged equally good.
        Tie => "tie",
        /// Neither response is acceptable.
        BothBad => "both_bad",
    }
}

impl JudgmentKind {
    /// Its bit in `sample_stats.judgment_kinds` (its index in [`JudgmentKind::ALL`]; migrations 3
    /// and 5 spell the same bits out).
    pub fn bit(self) -> i64 {
        let index = JudgmentKind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        1 << index
    }
}

text_enum! {
    /// How serious an import issue is.
    Severity {
        /// The row (or one of its parts) could not be imported.
        Error => "error",
        /// The row was imported, but something in it is missing or unreadable (media, a lenient field).
        Warning => "warning",
    }
}

text_enum! {
    /// Where a media item's probe stands.
    ProbeStatus {
        /// Not probed yet.
        Pending => "pending",
        /// Probed; facts are filled in.
        Ok => "ok",
        /// The probe failed; `probe_error` says why.
        Failed => "failed",
        /// A URL that Verdict did not fetch (it works offline).
        NotFetched => "not_fetched",
        /// The reference could not be resolved to a file (missing, outside the media root).
        Unresolved => "unresolved",
    }
}

/// What a probe learned about a media item. Every field is optional: an image has no duration,
/// an audio clip no width.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProbeFacts {
    /// Pixel width (images, videos, frame directories).
    pub width: Option<u32>,
    /// Pixel height.
    pub height: Option<u32>,
    /// Duration in seconds (video, audio, frame directories at their nominal rate).
    pub duration_s: Option<f64>,
    /// Frames per second (video).
    pub fps: Option<f64>,
    /// Number of frames (video, frame directories), when known.
    pub frame_count: Option<u64>,
    /// Samples per second (audio, or the audio track of a video).
    pub sample_rate: Option<u32>,
    /// Audio channels.
    pub channels: Option<u16>,
    /// Codec or container format name (`jpeg`, `h264`, `mp3`, ...).
    pub codec: Option<String>,
}
