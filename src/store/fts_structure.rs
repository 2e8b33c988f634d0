//! FTS5's structure and averages records, decoded and encoded, so that an index built in a side
//! database can be grafted onto the project's `sample_fts` (`store/fts_side.rs`).
//!
//! Format (SQLite's `fts5_index.c`, "Structure Records"): a 32-bit big-endian configuration cookie;
//! for a V2 record (tables with `contentless_delete`) the 4 bytes `FF 00 00 01`; then varints:
//! level count, segment count, write counter; per level: segments in an ongoing merge, segment
//! count, and per segment: id, first and last leaf page, and for V2 the origin range, tombstone
//! page count, tombstone entry count and entry count. The averages record is varints: row count,
//! then the token total of each column. Varints are SQLite's (big-endian 7-bit groups, a 9th byte
//! of 8 bits).

/// One segment of an FTS5 index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub id: u64,
    pub first_page: u64,
    pub last_page: u64,
    pub origin1: u64,
    pub origin2: u64,
    pub tombstone_pages: u64,
    pub tombstone_entries: u64,
    pub entries: u64,
}

/// One level: its segments, oldest first, and how many of the oldest are inputs to a merge that
/// is under way.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Level {
    pub merging: u64,
    pub segments: Vec<Segment>,
}

/// An FTS5 structure record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Structure {
    pub cookie: u32,
    pub v2: bool,
    pub write_counter: u64,
    pub levels: Vec<Level>,
}

const V2_MARK: [u8; 4] = [0xff, 0x00, 0x00, 0x01];

/// What is wrong with a record.
#[derive(Debug, thiserror::Error)]
#[error("FTS5 {0}")]
pub(crate) struct FormatError(pub String);

impl Structure {
    pub fn decode(data: &[u8]) -> Result<Self, FormatError> {
        if data.len() < 4 {
            return Err(FormatError("structure record is shorter than its cookie".into()));
        }
        let cookie = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        let mut r = Reader { data, pos: 4 };
        let v2 = data.get(4..8) == Some(&V2_MARK[..]);
        if v2 {
            r.pos = 8;
        }
        let level_count = r.varint()?;
        let segment_count = r.varint()?;
        let write_counter = r.varint()?;
        let mut levels = Vec::new();
        let mut seen = 0u64;
        for _ in 0..level_count {
            let merging = r.varint()?;
            let n = r.varint()?;
            let mut segments = Vec::new();
            for _ in 0..n {
                let mut seg = Segment {
                    id: r.varint()?,
                    first_page: r.varint()?,
                    last_page: r.varint()?,
                    origin1: 0,
                    origin2: 0,
                    tombstone_pages: 0,
                    tombstone_entries: 0,
                    entries: 0,
                };
                if v2 {
                    seg.origin1 = r.varint()?;
                    seg.origin2 = r.varint()?;
                    seg.tombstone_pages = r.varint()?;
                    seg.tombstone_entries = r.varint()?;
                    seg.entries = r.varint()?;
                }
                segments.push(seg);
            }
            seen += n;
            levels.push(Level { merging, segments });
        }
        if seen != segment_count {
            return Err(FormatError(format!("structure record counts {segment_count} segments but lists {seen}")));
        }
        Ok(Structure { cookie, v2, write_counter, levels })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.cookie.to_be_bytes().to_vec();
        if self.v2 {
            out.extend_from_slice(&V2_MARK);
        }
        put_varint(&mut out, self.levels.len() as u64);
        put_varint(&mut out, self.segments().count() as u64);
        put_varint(&mut out, self.write_counter);
        for level in &self.levels {
            put_varint(&mut out, level.merging);
            put_varint(&mut out, level.segments.len() as u64);
            for s in &level.segments {
                for v in [s.id, s.first_page, s.last_page] {
                    put_varint(&mut out, v);
                }
                if self.v2 {
                    for v in [s.origin1, s.origin2, s.tombstone_pages, s.tombstone_entries, s.entries] {
                        put_varint(&mut out, v);
                    }
                }
            }
        }
        out
    }

    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.levels.iter().flat_map(|l| l.segments.iter())
    }

    /// The largest origin any segment covers (0 when there is none).
    pub fn max_origin(&self) -> u64 {
        self.segments().map(|s| s.origin2).max().unwrap_or(0)
    }

    /// The lowest level that holds a segment.
    fn lowest_occupied_level(&self) -> Option<usize> {
        self.levels.iter().position(|l| !l.segments.is_empty())
    }

    /// Grafts `side` (an index over other rows, built apart) onto this one. `new_id` gives each
    /// side segment's id in the result; `origin_offset` is added to the side's origins, which must
    /// then all be above this index's.
    ///
    /// FTS5 keeps segments ordered by origin when read from the top level down, oldest first
    /// within a level, and relies on it: a merge covers the origins from its first input's to its
    /// last's. The side's segments are all newer than ours, so they go after every one of ours:
    /// side level `j` lands on level `min(j, lowest level we occupy)`, after our segments there.
    pub fn graft(&mut self, side: &Structure, new_id: impl Fn(u64) -> u64, origin_offset: u64) {
        let floor = self.lowest_occupied_level().unwrap_or(usize::MAX);
        // Side levels from the top down, so that segments collapsing onto one level keep their order.
        for (j, level) in side.levels.iter().enumerate().rev() {
            let target = j.min(floor);
            if self.levels.len() <= target {
                self.levels.resize(target + 1, Level::default());
            }
            let at = &mut self.levels[target].segments;
            for s in &level.segments {
                at.push(Segment {
                    id: new_id(s.id),
                    origin1: s.origin1 + origin_offset,
                    origin2: s.origin2 + origin_offset,
                    ..s.clone()
                });
            }
        }
        self.write_counter += side.write_counter;
        self.v2 |= side.v2;
    }
}

/// The averages record: row count, then each column's token total.
pub(crate) fn add_averages(a: &[u8], b: &[u8]) -> Result<Vec<u8>, FormatError> {
    let (a, b) = (decode_all(a)?, decode_all(b)?);
    let n = a.len().max(b.len());
    let mut out = Vec::new();
    for i in 0..n {
        put_varint(&mut out, a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0));
    }
    Ok(out)
}

fn decode_all(data: &[u8]) -> Result<Vec<u64>, FormatError> {
    let mut r = Reader { data, pos: 0 };
    let mut out = Vec::new();
    while r.pos < data.len() {
        out.push(r.varint()?);
    }
    Ok(out)
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn varint(&mut self) -> Result<u64, FormatError> {
        let (v, n) = get_varint(&self.data[self.pos.min(self.data.len())..])
            .ok_or_else(|| FormatError(format!("record ends inside a varint at byte {}", self.pos)))?;
        self.pos += n;
        Ok(v)
    }
}

/// SQLite's varint: up to 8 bytes of 7 bits (high bit set = more follow), then a 9th of 8 bits.
pub(crate) fn get_varint(p: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for i in 0..8 {
        let b = *p.get(i)?;
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    Some(((v << 8) | u64::from(*p.get(8)?), 9))
}

pub(crate) fn put_varint(out: &mut Vec<u8>, v: u64) {
    if v & (0xff00_0000_u64 << 32) != 0 {
        let mut buf = [0u8; 9];
        buf[8] = v as u8;
        let mut rest = v >> 8;
        for b in buf[..8].iter_mut().rev() {
            *b = ((rest & 0x7f) as u8) | 0x80;
            rest >>= 7;
        }
        out.extend_from_slice(&buf);
        return;
    }
    let mut groups = Vec::with_capacity(9);
    let mut rest = v;
    loop {
        groups.push(((rest & 0x7f) as u8) | 0x80);
        rest >>= 7;
        if rest == 0 {
            break;
        }
    }
    groups[0] &= 0x7f;
    out.extend(groups.iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_width() {
        let mut values = vec![0u64, 1, 127, 128, 16383, 16384, u64::MAX, u64::MAX >> 8, (u64::MAX >> 8) + 1];
        values.extend((0..64).map(|s| 1u64 << s));
        for v in values {
            let mut buf = Vec::new();
            put_varint(&mut buf, v);
            assert!(buf.len() <= 9);
            assert_eq!(get_varint(&buf), Some((v, buf.len())), "{v}");
        }
        assert_eq!(get_varint(&[0x81]), None, "a truncated varint is not read past the end");
    }

    fn seg(id: u64, origin: u64) -> Segment {
        Segment {
            id,
            first_page: 1,
            last_page: 3,
            origin1: origin,
            origin2: origin,
            tombstone_pages: 0,
            tombstone_entries: 0,
            entries: 10,
        }
    }

    #[test]
    fn a_structure_round_trips() {
        let s = Structure {
            cookie: 7,
            v2: true,
            write_counter: 300,
            levels: vec![
                Level { merging: 0, segments: vec![seg(3, 5), seg(4, 6)] },
                Level { merging: 0, segments: vec![] },
                Level { merging: 0, segments: vec![seg(1, 1)] },
            ],
        };
        assert_eq!(Structure::decode(&s.encode()).expect("decodes"), s);
        let mut bad = s.encode();
        bad.truncate(bad.len() - 2);
        assert!(Structure::decode(&bad).is_err());
    }

    #[test]
    fn grafted_segments_come_after_ours_in_origin_order() {
        // Ours: level 1 holds the oldest segment, level 0 two newer ones.
        let mut ours = Structure {
            cookie: 9,
            v2: true,
            write_counter: 10,
            levels: vec![
                Level { merging: 0, segments: vec![seg(2, 2), seg(3, 3)] },
                Level { merging: 0, segments: vec![seg(1, 1)] },
            ],
        };
        let side = Structure {
            cookie: 1,
            v2: true,
            write_counter: 5,
            levels: vec![
                Level { merging: 0, segments: vec![seg(2, 3)] },
                Level { merging: 0, segments: vec![] },
                Level { merging: 0, segments: vec![seg(1, 1), seg(3, 2)] },
            ],
        };
        ours.graft(&side, |id| id + 100, 3);
        assert_eq!(ours.cookie, 9, "our cookie stays");
        assert_eq!(ours.write_counter, 15);
        // Our lowest level is 0: everything of the side lands there, its top level first.
        let top_down: Vec<u64> = ours.levels.iter().rev().flat_map(|l| l.segments.iter().map(|s| s.origin1)).collect();
        assert_eq!(top_down, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(ours.levels[0].segments.iter().map(|s| s.id).collect::<Vec<_>>(), vec![2, 3, 101, 103, 102]);

        // Onto an empty index, the side keeps its levels.
        let mut empty = Structure { cookie: 4, v2: true, write_counter: 0, levels: vec![Level::default()] };
        empty.graft(&side, |id| id, 0);
        assert_eq!(empty.levels.len(), 3);
        assert_eq!(empty.levels[2].segments.len(), 2);
        assert_eq!(Structure::decode(&empty.encode()).expect("decodes"), empty);
    }

    #[test]
    fn averages_add_column_by_column() {
        let mut a = Vec::new();
        for v in [10u64, 200, 3000] {
            put_varint(&mut a, v);
        }
        let mut b = Vec::new();
        for v in [5u64, 20, 300] {
            put_varint(&mut b, v);
        }
        assert_eq!(decode_all(&add_averages(&a, &b).expect("adds")).expect("decodes"), vec![15, 220, 3300]);
        assert_eq!(add_averages(&[], &b).expect("empty is zero"), b);
    }
}
