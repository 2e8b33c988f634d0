//! What each of a set of samples holds, in a few bits (earlier turns, input media by kind, media
//! responses, flag and exclusion), read from the tables' narrow columns without loading the
//! samples: an export decides its forms and files from them before its pass.

use super::{Result, Store};
use crate::model::SampleId;

/// A sample's shape: a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape(pub u16);

impl Shape {
    /// A system message among its earlier turns.
    pub const SYSTEM: u16 = 1;
    /// Earlier user or assistant turns.
    pub const TURNS: u16 = 1 << 1;
    /// An input image.
    pub const IMAGE: u16 = 1 << 2;
    /// An input video file.
    pub const VIDEO: u16 = 1 << 3;
    /// An input video given as a folder of frames.
    pub const FRAMES: u16 = 1 << 4;
    /// An input audio clip.
    pub const AUDIO: u16 = 1 << 5;
    /// A response that is media.
    pub const MEDIA_RESPONSE: u16 = 1 << 6;
    /// Flagged.
    pub const FLAGGED: u16 = 1 << 7;
    /// Marked excluded.
    pub const EXCLUDED: u16 = 1 << 8;

    /// Whether every bit of `bits` is set.
    pub fn has(self, bits: u16) -> bool {
        self.0 & bits == bits
    }

    /// Whether any bit of `bits` is set.
    pub fn any(self, bits: u16) -> bool {
        self.0 & bits != 0
    }
}

impl Store {
    /// The shape of each of `ids` (ascending), in their order. Three scans of narrow columns (the
    /// samples with earlier turns, the media rows, the curation rows); two bytes per sample.
    pub fn shapes(&self, ids: &[SampleId]) -> Result<Vec<Shape>> {
        let mut shapes = vec![Shape::default(); ids.len()];
        let mut mark = |id: i64, bits: u16| {
            if let Ok(i) = ids.binary_search(&SampleId(id)) {
                shapes[i].0 |= bits;
            }
        };
        self.each_row(
            "SELECT id,
                    EXISTS (SELECT 1 FROM json_each(context) WHERE json_extract(value, '$.role') = 'system'),
                    EXISTS (SELECT 1 FROM json_each(context) WHERE json_extract(value, '$.role') != 'system')
             FROM samples WHERE context IS NOT NULL AND json_valid(context)",
            &[],
            |r| {
                let system = if r.get::<_, bool>(1)? { Shape::SYSTEM } else { 0 };
                let turns = if r.get::<_, bool>(2)? { Shape::TURNS } else { 0 };
                mark(r.get(0)?, system | turns);
                Ok(())
            },
        )?;
        self.each_row("SELECT DISTINCT sample_id, role, kind FROM media", &[], |r| {
            let role: String = r.get(1)?;
            let kind: String = r.get(2)?;
            let bits = match (role.as_str(), kind.as_str()) {
                ("candidate", _) => Shape::MEDIA_RESPONSE,
                ("input", "image") => Shape::IMAGE,
                ("input", "video") => Shape::VIDEO,
                ("input", "frames") => Shape::FRAMES,
                ("input", "audio") => Shape::AUDIO,
                _ => 0,
            };
            mark(r.get(0)?, bits);
            Ok(())
        })?;
        self.each_row(
            "SELECT sample_id, flag IS NOT NULL, excluded IS NOT NULL FROM curation
             WHERE flag IS NOT NULL OR excluded IS NOT NULL",
            &[],
            |r| {
                let flagged = if r.get::<_, bool>(1)? { Shape::FLAGGED } else { 0 };
                let excluded = if r.get::<_, bool>(2)? { Shape::EXCLUDED } else { 0 };
                mark(r.get(0)?, flagged | excluded);
                Ok(())
            },
        )?;
        Ok(shapes)
    }
}
