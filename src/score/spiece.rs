//! `SigLIP`'s own tokenizer from its `spiece.model`, for the folders that ship no `tokenizer.json`
//! (google/siglip-*: `spiece.model` and `tokenizer_config.json` for transformers'
//! `SiglipTokenizer`, which has no fast twin). The model file is `SentencePiece`'s protobuf; the
//! few fields a Unigram tokenizer needs are read here (pieces with scores and types, the trainer's
//! model type and byte fallback, the normalizer's precompiled character map), and the tokenizer
//! is built to give `SiglipTokenizer`'s ids: lower case (`do_lower_case`), ASCII punctuation
//! removed, runs of white space made one space and the ends stripped, the map (NFKC in
//! `SigLIP`'s), a `▁` for each space and one before the text ([`prepare`]), Unigram's best
//! segmentation of the whole text, `</s>` after it; `</s>` and `<unk>` written in the text stay
//! special tokens.

use super::folder::ModelFolder;
use super::{Result, ScoreError};
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{Lowercase, Precompiled, Replace, Sequence, Strip};
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{AddedToken, NormalizerWrapper, Tokenizer};

/// A piece of the vocabulary, as `SentencePiece`'s `ModelProto.SentencePiece` holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    /// The piece's text (`▁` for a space).
    pub piece: String,
    /// Its log probability.
    pub score: f32,
    /// `NORMAL` 1, `UNKNOWN` 2, `CONTROL` 3, `USER_DEFINED` 4, `UNUSED` 5, `BYTE` 6.
    pub kind: u64,
}

/// What a Unigram tokenizer needs of a `spiece.model`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SpModel {
    /// The vocabulary, in id order.
    pub pieces: Vec<Piece>,
    /// `TrainerSpec.model_type`: `UNIGRAM` 1 (the default), `BPE` 2, `WORD` 3, `CHAR` 4.
    pub model_type: u64,
    /// `TrainerSpec.byte_fallback`.
    pub byte_fallback: bool,
    /// `NormalizerSpec.precompiled_charsmap` (empty for the identity).
    pub charsmap: Vec<u8>,
}

const UNKNOWN: u64 = 2;
const UNIGRAM: u64 = 1;

impl SpModel {
    /// Reads a serialized `ModelProto`.
    ///
    /// # Errors
    /// A message saying what is malformed.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        let mut model = Self { model_type: UNIGRAM, ..Self::default() };
        for field in Fields(bytes) {
            match field? {
                (1, Value::Bytes(b)) => model.pieces.push(piece(b)?),
                (2, Value::Bytes(b)) => {
                    for f in Fields(b) {
                        match f? {
                            (3, Value::Varint(v)) => model.model_type = v,
                            (35, Value::Varint(v)) => model.byte_fallback = v != 0,
                            _ => {}
                        }
                    }
                }
                (3, Value::Bytes(b)) => {
                    for f in Fields(b) {
                        if let (2, Value::Bytes(map)) = f? {
                            model.charsmap = map.to_vec();
                        }
                    }
                }
                _ => {}
            }
        }
        if model.pieces.is_empty() {
            return Err("holds no vocabulary (not a SentencePiece model?)".into());
        }
        Ok(model)
    }

    /// The id of the unknown piece.
    pub fn unk_id(&self) -> Option<usize> {
        self.pieces.iter().position(|p| p.kind == UNKNOWN)
    }

    /// The id of `piece`.
    pub fn id(&self, piece: &str) -> Option<u32> {
        self.pieces.iter().position(|p| p.piece == piece).and_then(|i| u32::try_from(i).ok())
    }
}

fn piece(bytes: &[u8]) -> std::result::Result<Piece, String> {
    let mut out = Piece { piece: String::new(), score: 0.0, kind: 1 };
    for field in Fields(bytes) {
        match field? {
            (1, Value::Bytes(b)) => {
                out.piece = String::from_utf8(b.to_vec()).map_err(|_| "a piece is not UTF-8".to_owned())?;
            }
            (2, Value::Fixed32(bits)) => out.score = f32::from_bits(bits),
            (3, Value::Varint(v)) => out.kind = v,
            _ => {}
        }
    }
    Ok(out)
}

/// A protobuf field's value, by wire type.
enum Value<'a> {
    Varint(u64),
    Fixed64,
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// The fields of a protobuf message, in order: `(number, value)`.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = std::result::Result<(u64, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = (|| {
            let key = varint(&mut self.0)?;
            let value = match key & 7 {
                0 => Value::Varint(varint(&mut self.0)?),
                1 => {
                    take(&mut self.0, 8)?;
                    Value::Fixed64
                }
                2 => {
                    let len = usize::try_from(varint(&mut self.0)?).map_err(|_| "a length overflows")?;
                    Value::Bytes(take(&mut self.0, len)?)
                }
                5 => {
                    let b = take(&mut self.0, 4)?;
                    Value::Fixed32(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                }
                wire => {
                    return Err(format!(
                        "field {} has wire type {wire}, which a SentencePiece model never holds",
                        key >> 3
                    ));
                }
            };
            Ok((key >> 3, value))
        })();
        if field.is_err() {
            self.0 = &[];
        }
        Some(field)
    }
}

fn take<'a>(bytes: &mut &'a [u8], n: usize) -> std::result::Result<&'a [u8], String> {
    if bytes.len() < n {
        return Err("ends in the middle of a field (truncated?)".into());
    }
    let (head, tail) = bytes.split_at(n);
    *bytes = tail;
    Ok(head)
}

fn varint(bytes: &mut &[u8]) -> std::result::Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first().ok_or("ends in the middle of a number (truncated?)")?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("holds a number longer than 10 bytes".into())
}

/// Python's `string.punctuation`, which `SiglipTokenizer.canonicalize_text` removes.
const PUNCTUATION: &str = r##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]"##;
/// Python's `\s` on text: Unicode white space and the four separators `str.isspace` adds.
const WHITE_SPACE: &str = r"[\s\x1c-\x1f]+";

/// A text as [`siglip_tokenizer`]'s tokenizer takes it, as `SiglipTokenizer.tokenize` makes it:
/// its `▁` made spaces and one put first. (The `▁` goes before the text, not into the
/// tokenizer's normalizer, which runs on each piece between special tokens, where the first
/// piece alone gets it.)
pub fn prepare(text: &str) -> String {
    format!("▁{}", text.replace('▁', " "))
}

/// The tokenizer of the `SigLIP` folder from its `spiece.model` and `tokenizer_config.json`
/// (`do_lower_case`, `eos_token`, `unk_token`; transformers' defaults where it is silent).
///
/// # Errors
/// The file at fault and what is wrong with it.
pub fn siglip_tokenizer(folder: &ModelFolder) -> Result<Tokenizer> {
    let path = folder.file("spiece.model")?;
    let err = |message: String| ScoreError::Model { path: path.clone(), message };
    let bytes = std::fs::read(&path).map_err(|e| err(format!("cannot be read: {e}")))?;
    let model = SpModel::parse(&bytes).map_err(err)?;
    if model.model_type != UNIGRAM {
        return Err(err(format!(
            "is a SentencePiece model of type {} (SigLIP's are Unigram, type 1); give a folder with its tokenizer.json",
            model.model_type
        )));
    }
    let config = folder.optional_json("tokenizer_config.json")?.unwrap_or_default();
    let token = |key: &str, default: &str| -> String {
        let v = &config[key];
        v.as_str().or_else(|| v["content"].as_str()).unwrap_or(default).to_owned()
    };
    let (eos, unk) = (token("eos_token", "</s>"), token("unk_token", "<unk>"));
    let eos_id = model.id(&eos).ok_or_else(|| err(format!("has no piece {eos} (the end-of-text token)")))?;
    let unk_id = model.unk_id().ok_or_else(|| err("has no unknown piece".into()))?;
    let lower = config["do_lower_case"].as_bool().unwrap_or(true);

    let vocab = model.pieces.iter().map(|p| (p.piece.clone(), f64::from(p.score))).collect();
    let unigram = Unigram::from(vocab, Some(unk_id), model.byte_fallback).map_err(|e| err(e.to_string()))?;
    let mut steps: Vec<NormalizerWrapper> = Vec::new();
    if lower {
        steps.push(Lowercase.into());
    }
    let regex = |pattern: &str, with: &str| -> Result<NormalizerWrapper> {
        Ok(Replace::new(tokenizers::normalizers::replace::ReplacePattern::Regex(pattern.into()), with)
            .map_err(|e| err(e.to_string()))?
            .into())
    };
    steps.push(regex(PUNCTUATION, "")?);
    steps.push(regex(WHITE_SPACE, " ")?);
    steps.push(Strip::new(true, true).into());
    if !model.charsmap.is_empty() {
        // NFKC makes the `▁` that [`prepare`] put first a space again, as in SentencePiece.
        let map = Precompiled::from(&model.charsmap).map_err(|e| err(format!("its character map: {e}")))?;
        steps.push(map.into());
    }
    // SentencePiece's `remove_extra_whitespaces` after the map, but for a space in front: the
    // first piece's (from the `▁`), which the pre-tokenizer makes `▁` again.
    steps.push(regex(" {2,}", " ")?);
    steps.push(Strip::new(false, true).into());

    let mut tokenizer = Tokenizer::new(unigram);
    tokenizer
        .with_normalizer(Some(Sequence::new(steps)))
        .map_err(|e| err(e.to_string()))?
        // Not split at spaces: SentencePiece segments the whole text.
        .with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Never, false)))
        .with_post_processor(Some(
            TemplateProcessing::builder()
                .try_single(format!("$A {eos}"))
                .map_err(err)?
                .special_tokens(vec![(eos.clone(), eos_id)])
                .build()
                .map_err(|e| err(e.to_string()))?,
        ));
    tokenizer
        .add_special_tokens([AddedToken::from(eos, true), AddedToken::from(unk, true)])
        .map_err(|e| err(e.to_string()))?;
    Ok(tokenizer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_bytes(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }

    fn field_bytes(number: u64, payload: &[u8], out: &mut Vec<u8>) {
        varint_bytes(number << 3 | 2, out);
        varint_bytes(payload.len() as u64, out);
        out.extend_from_slice(payload);
    }

    fn piece_bytes(text: &str, score: f32, kind: u64) -> Vec<u8> {
        let mut out = Vec::new();
        field_bytes(1, text.as_bytes(), &mut out);
        out.push(2 << 3 | 5);
        out.extend_from_slice(&score.to_le_bytes());
        varint_bytes(3 << 3, &mut out);
        varint_bytes(kind, &mut out);
        out
    }

    #[test]
    fn reads_pieces_trainer_and_normalizer() -> std::result::Result<(), String> {
        let mut bytes = Vec::new();
        for (text, score, kind) in [("<pad>", 0.0, 3), ("</s>", 0.0, 3), ("<unk>", 0.0, 2), ("▁a", -1.5, 1)] {
            field_bytes(1, &piece_bytes(text, score, kind), &mut bytes);
        }
        let mut trainer = Vec::new();
        varint_bytes(3 << 3, &mut trainer);
        varint_bytes(1, &mut trainer);
        varint_bytes(35 << 3, &mut trainer);
        varint_bytes(1, &mut trainer);
        // An unknown fixed64 field is skipped.
        varint_bytes(50 << 3 | 1, &mut trainer);
        trainer.extend_from_slice(&[0; 8]);
        field_bytes(2, &trainer, &mut bytes);
        let mut normalizer = Vec::new();
        field_bytes(1, b"nmt_nfkc", &mut normalizer);
        field_bytes(2, &[7, 8, 9], &mut normalizer);
        field_bytes(3, &normalizer, &mut bytes);

        let model = SpModel::parse(&bytes)?;
        assert_eq!(model.pieces.len(), 4);
        assert_eq!(model.pieces[3], Piece { piece: "▁a".into(), score: -1.5, kind: 1 });
        assert_eq!((model.unk_id(), model.id("</s>")), (Some(2), Some(1)));
        assert_eq!(model.model_type, UNIGRAM);
        assert!(model.byte_fallback);
        assert_eq!(model.charsmap, vec![7, 8, 9]);

        let cut = SpModel::parse(&bytes[..bytes.len() - 2]).expect_err("truncated");
        assert!(cut.contains("truncated"), "{cut}");
        assert!(SpModel::parse(b"").expect_err("empty").contains("no vocabulary"));
        Ok(())
    }
}
