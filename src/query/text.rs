//! Text as the full-text index sees it.
//!
//! FTS5's `unicode61` tokenizer makes one token of every run of letters and digits, so a Chinese
//! or Japanese sentence, written without spaces, would be a single token and no word inside it
//! could be found. Verdict writes the index's text, and the query's phrases, with every Han, kana
//! and Hangul character set apart by spaces ([`index_text`]): each is a token of its own, and a
//! word is the phrase of its characters (consecutive tokens), found anywhere in a sentence. Text
//! without such characters is passed through unchanged, so Latin text is indexed and searched
//! exactly as before.

use std::borrow::Cow;

/// Whether `c` is indexed as a token of its own: Han ideographs (with the radicals, the iteration
/// and numeral marks), hiragana, katakana (full and half width), bopomofo and Hangul.
pub fn is_split_char(c: char) -> bool {
    matches!(
        c as u32,
        0x1100..=0x11FF // Hangul Jamo
        | 0x2E80..=0x2FDF // CJK and Kangxi radicals
        | 0x3005..=0x3007 // 々 〆 〇
        | 0x3021..=0x3029 // Hangzhou numerals
        | 0x3031..=0x3035 // kana repeat marks
        | 0x3038..=0x303C
        | 0x3041..=0x30FF // hiragana, katakana
        | 0x3100..=0x312F // bopomofo
        | 0x3130..=0x318F // Hangul compatibility Jamo
        | 0x31A0..=0x31BF // bopomofo extended
        | 0x31F0..=0x31FF // katakana phonetic extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xA960..=0xA97F // Hangul Jamo extended A
        | 0xAC00..=0xD7FF // Hangul syllables, Jamo extended B
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF66..=0xFF9F // half-width katakana
        | 0xFFA0..=0xFFDC // half-width Hangul
        | 0x1B000..=0x1B16F // kana supplement and extensions
        | 0x20000..=0x3FFFF // CJK extensions B and later, compatibility supplement
    )
}

/// `text` with a space on each side of every [`is_split_char`] character (none doubled), as it
/// goes into the full-text index and into a query's phrase. Borrowed, unchanged, when there is
/// none: every such character is at or above U+1100, whose UTF-8 lead byte is at least 0xE1, so
/// text without such a byte is passed through after one scan of its bytes.
pub fn index_text(text: &str) -> Cow<'_, str> {
    if !text.bytes().any(|b| b >= 0xE1) {
        return Cow::Borrowed(text);
    }
    let Some(first) = text.char_indices().find(|(_, c)| is_split_char(*c)).map(|(i, _)| i) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + text.len() / 2 + 2);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if is_split_char(c) {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_are_set_apart_and_latin_text_is_untouched() {
        assert_eq!(index_text("一个红色的圆"), "一 个 红 色 的 圆 ");
        assert_eq!(index_text("猫が好きです。"), "猫 が 好 き で す 。");
        assert_eq!(index_text("한국어 문장"), "한 국 어  문 장 ");
        assert_eq!(index_text("the iPhone手机 is red"), "the iPhone 手 机  is red");
        for latin in ["plain ascii", "café naïve Ærø", "Ελληνικά и русский", "emoji 🎉 – dash", ""]
        {
            assert!(matches!(index_text(latin), Cow::Borrowed(t) if t == latin), "{latin}");
        }
        // Full-width Latin and CJK punctuation are not ideographs: they stay as they are.
        assert!(matches!(index_text("ＡＢＣ「」"), Cow::Borrowed(_)));
        // Beyond the BMP (CJK extension B).
        assert_eq!(index_text("𠀀𠀁"), "𠀀 𠀁 ");
    }
}
