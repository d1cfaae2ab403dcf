//! The Indonesian text analysis shared by the public search and the routing suggestions: words
//! split on anything that is not a letter or digit, words of 40 bytes or more dropped (pasted
//! links, base64), lower-cased, Latin accents folded, and stemmed with the Snowball Indonesian
//! algorithm (from `frostem`, the stemmer crate tantivy itself builds on). Stemming strips the
//! affixes Indonesian builds words with, so "perbaikan", "diperbaiki" and "memperbaiki" all
//! become "baik".
//!
//! It lives here, not in the search crate, so that the routing classifier (pure, in this
//! crate) and the search index (which wraps it as a tantivy tokenizer) read a text the same
//! way without the domain depending on tantivy.

use std::borrow::Cow;

/// Words this long (in bytes) or longer are not words a person typed.
pub const MAX_WORD_BYTES: usize = 40;

/// One analysed word: where it stands in the text (byte offsets) and its stemmed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub from: usize,
    pub to: usize,
    pub text: String,
}

/// The analysis, reusable across texts (it keeps one stemmer).
pub struct Analyzer {
    stemmer: frostem::Stemmer,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self {
            stemmer: frostem::Stemmer::new(frostem::Algorithm::Indonesian),
        }
    }
}

impl Analyzer {
    /// Every analysed word of `text`, in order, repeats included.
    pub fn analyse(&self, text: &str) -> Vec<Term> {
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    start = None;
                    if let Some(t) = self.word(&text[s..i]) {
                        out.push(Term {
                            from: s,
                            to: i,
                            text: t,
                        });
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// One word's analysed form, if it is kept.
    pub fn word(&self, raw: &str) -> Option<String> {
        if raw.is_empty() || raw.len() >= MAX_WORD_BYTES {
            return None;
        }
        let folded = fold(&raw.to_lowercase());
        Some(match self.stemmer.stem(&folded) {
            Cow::Owned(s) => s,
            Cow::Borrowed(s) => s.to_string(),
        })
    }
}

/// The analysed words of a text, in order, without repeats.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in Analyzer::default().analyse(text) {
        if !out.contains(&t.text) {
            out.push(t.text);
        }
    }
    out
}

/// Latin letters with accents as their plain letter (names and loanwords: "Café", "Dénpasar").
fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_char(c) {
            Some(f) => out.push_str(f),
            None => out.push(c),
        }
    }
    out
}

fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflected_forms_share_a_stem() {
        assert_eq!(terms("perbaikan"), vec!["baik"]);
        assert_eq!(terms("diperbaiki"), vec!["baik"]);
        assert_eq!(terms("memperbaiki"), vec!["baik"]);
        assert_eq!(terms("Pembangunan"), terms("dibangun"));
    }

    #[test]
    fn lower_cases_folds_accents_and_dedupes() {
        assert_eq!(terms("JALAN jalan Jalan"), terms("jalan"));
        assert_eq!(terms("Café"), terms("cafe"));
        assert!(terms("").is_empty());
        assert!(terms("  ,.;  ").is_empty());
    }

    #[test]
    fn offsets_point_at_the_words_and_long_words_are_dropped() {
        let text = "Lampu, mati! https://x.example/".to_string() + &"a".repeat(45);
        let got = Analyzer::default().analyse(&text);
        assert_eq!(&text[got[0].from..got[0].to], "Lampu");
        assert_eq!(&text[got[1].from..got[1].to], "mati");
        assert!(got.iter().all(|t| t.text.len() < MAX_WORD_BYTES));
        assert_eq!(
            got.iter().map(|t| t.text.as_str()).collect::<Vec<_>>(),
            ["lampu", "mati", "https", "x", "example"]
        );
    }
}
