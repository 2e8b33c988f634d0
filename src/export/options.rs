//! What an export is asked to do: the target, the file type, which samples and pairs, the split
//! and the media mode. Every choice has a default and is written into the manifest.

use std::path::PathBuf;

macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every choice, in the order help texts list them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Its name on the command line and in the manifest.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The choice called `text`.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

choice! {
    /// The format a trainer reads.
    Target {
        /// TRL `DPOTrainer`: `prompt`/`chosen`/`rejected`, standard or conversational, `images`.
        Trl => "trl",
        /// LLaMA-Factory sharegpt ranking rows and a `dataset_info.json` entry.
        LlamaFactory => "llamafactory",
        /// ms-swift: `messages`, `rejected_response`, `images`/`videos`/`audios`.
        Swift => "swift",
        /// OpenRLHF DPO/RM: `prompt`, `chosen`, `rejected` text and an optional `margin`.
        OpenRlhf => "openrlhf",
        /// Each dataset in its own source schema and file type, the curator's label applied.
        Original => "original",
        /// Verdict's own lossless JSONL: samples, every judgment, curation state, media by hash.
        Verdict => "verdict",
    }
}

choice! {
    /// The data file type.
    FileFormat {
        /// JSON Lines.
        Jsonl => "jsonl",
        /// Apache Parquet (with the Hugging Face schema metadata that types images).
        Parquet => "parquet",
    }
}

choice! {
    /// How media reach the export.
    MediaMode {
        /// Copied into `media/`, named by content hash, each file once.
        Copy => "copy",
        /// Hard-linked into `media/` when on the same file system, else copied.
        Link => "link",
        /// Image bytes inside the Parquet rows (videos and audio are copied: their readers take paths).
        Embed => "embed",
        /// Absolute paths of the source files (embedded media are copied: they have no source file).
        Reference => "reference",
    }
}

choice! {
    /// How a ranking or ratings become pairs.
    PairMode {
        /// The best over the worst.
        BestWorst => "best-worst",
        /// Every ordered pair whose scores differ.
        All => "all",
        /// Each response over the next one down.
        Adjacent => "adjacent",
    }
}

choice! {
    /// What happens to ties and both-bad labels.
    TiesMode {
        /// Left out and counted.
        Drop => "drop",
        /// Written where the target has a way to say so (else left out and counted).
        Keep => "keep",
    }
}

choice! {
    /// How TRL and OpenRLHF rows carry a conversation (the other formats have one form).
    Form {
        /// Decided per export from the selected samples: messages where one has a system
        /// message or earlier turns (or, for TRL, images), else strings.
        Auto => "auto",
        /// Plain strings (TRL's standard form); a sample with a system message or earlier turns
        /// is left out.
        Strings => "strings",
        /// Lists of `{role, content}` messages, even for plain prompts.
        Messages => "messages",
    }
}

/// A reproducible train/test split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// The share of groups that go to `test` (0 to 1).
    pub test: f64,
    /// Changes which groups go where.
    pub seed: u64,
}

impl Split {
    /// Parses `test=0.05`.
    pub fn parse(text: &str, seed: u64) -> Result<Self, String> {
        let share = text.strip_prefix("test=").unwrap_or(text);
        match share.trim().parse::<f64>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(Self { test: v, seed }),
            _ => Err(format!("--split {text}: expected test=SHARE with a share between 0 and 1, e.g. test=0.05")),
        }
    }
}

/// Everything an export is asked to do.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The format.
    pub target: Target,
    /// The file type (`original` writes each dataset's own and ignores this).
    pub file_format: FileFormat,
    /// The folder the export is written into.
    pub out: PathBuf,
    /// The filter, in the query language of the filter bar; empty: every sample.
    pub query: String,
    /// Write flagged samples too.
    pub include_flagged: bool,
    /// Write samples marked excluded too.
    pub include_excluded: bool,
    /// Rankings and ratings to pairs.
    pub pairs: PairMode,
    /// The rated aspect that orders responses (default: an `overall` rating, else the mean).
    pub aspect: Option<String>,
    /// Ties and both-bad.
    pub ties: TiesMode,
    /// Strings or messages (TRL and OpenRLHF).
    pub form: Form,
    /// A train/test split.
    pub split: Option<Split>,
    /// The media mode; `None`: `copy` for JSONL, `embed` for Parquet.
    pub media: Option<MediaMode>,
    /// Replace an earlier export in a non-empty `out`.
    pub force: bool,
    /// How the export was asked for (the command line, or "app"), for the manifest.
    pub invocation: Vec<String>,
    /// Write each pair's `margin` from this scorer's scores kept in the project:
    /// score(chosen) - score(rejected) (null where it scored neither or one of them), instead of the
    /// source's own margin.
    pub margin_from: Option<String>,
}

impl ExportOptions {
    /// Defaults for `target`, written to `out`.
    pub fn new(target: Target, out: impl Into<PathBuf>) -> Self {
        Self {
            target,
            file_format: FileFormat::Jsonl,
            out: out.into(),
            query: String::new(),
            include_flagged: false,
            include_excluded: false,
            pairs: PairMode::BestWorst,
            aspect: None,
            ties: TiesMode::Drop,
            form: Form::Auto,
            split: None,
            media: None,
            force: false,
            invocation: Vec::new(),
            margin_from: None,
        }
    }

    /// The file type actually written: `verdict` is always JSONL.
    pub fn effective_file_format(&self) -> FileFormat {
        match self.target {
            Target::Verdict => FileFormat::Jsonl,
            _ => self.file_format,
        }
    }

    /// The media mode in force.
    pub fn media_mode(&self) -> MediaMode {
        self.media.unwrap_or(match self.effective_file_format() {
            FileFormat::Jsonl => MediaMode::Copy,
            FileFormat::Parquet => MediaMode::Embed,
        })
    }

    /// Refuses combinations that cannot work, with what to do instead.
    pub fn validate(&self) -> Result<(), String> {
        if self.media_mode() == MediaMode::Embed && self.effective_file_format() != FileFormat::Parquet {
            return Err(format!(
                "--media embed puts the bytes inside Parquet rows: use --file-format parquet, or --media copy for {}",
                self.effective_file_format()
            ));
        }
        if self.target == Target::Original && self.media.is_some() {
            // The source schema says where its media are; `original` leaves them where they were.
            return Err("--media does not apply to --format original: media stay as the source wrote them".into());
        }
        if self.form != Form::Auto && !matches!(self.target, Target::Trl | Target::OpenRlhf) {
            return Err(format!(
                "--form {} applies to --format trl and openrlhf; {} has one form (leave --form out)",
                self.form, self.target
            ));
        }
        if let Some(a) = &self.aspect
            && a.trim().is_empty()
        {
            return Err("--aspect needs a name (e.g. Helpfulness)".into());
        }
        if self.margin_from.is_some() && !matches!(self.target, Target::Swift | Target::OpenRlhf) {
            return Err(format!(
                "--margin-from writes the margin column of --format swift and openrlhf; {} has none",
                self.target
            ));
        }
        Ok(())
    }
}
