//! The Indonesian text analysis shared by indexing and querying: words split on anything that
//! is not a letter or digit, lower-cased, accents folded, and stemmed with the Snowball
//! Indonesian algorithm (from `frostem`, the stemmer crate tantivy itself builds on, whose
//! list of languages in tantivy lacks Indonesian). Stemming strips the affixes Indonesian
//! builds words with, so "perbaikan", "diperbaiki" and "memperbaiki" all become "baik".

use std::borrow::Cow;
use std::mem;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token,
    TokenFilter, TokenStream, Tokenizer,
};

/// The analyzer's registered name in the index schema.
pub const NAME: &str = "id_stem";

pub fn indonesian() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(IndonesianStemmer)
        .build()
}

/// Stems every token with the Snowball Indonesian algorithm.
#[derive(Clone, Copy)]
pub struct IndonesianStemmer;

impl TokenFilter for IndonesianStemmer {
    type Tokenizer<T: Tokenizer> = StemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemmerFilter<T> {
        StemmerFilter { inner: tokenizer }
    }
}

#[derive(Clone)]
pub struct StemmerFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for StemmerFilter<T> {
    type TokenStream<'a> = StemmerTokenStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmerTokenStream {
            tail: self.inner.token_stream(text),
            stemmer: frostem::Stemmer::new(frostem::Algorithm::Indonesian),
            buffer: String::new(),
        }
    }
}

pub struct StemmerTokenStream<T> {
    tail: T,
    stemmer: frostem::Stemmer,
    buffer: String,
}

impl<T: TokenStream> TokenStream for StemmerTokenStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        match self.stemmer.stem(&token.text) {
            Cow::Owned(stemmed) => token.text = stemmed,
            Cow::Borrowed(stemmed) => {
                self.buffer.clear();
                self.buffer.push_str(stemmed);
                mem::swap(&mut token.text, &mut self.buffer);
            }
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// The analysed terms of a text, in order, without repeats.
pub fn terms(text: &str) -> Vec<String> {
    let mut a = indonesian();
    let mut stream = a.token_stream(text);
    let mut out: Vec<String> = Vec::new();
    while stream.advance() {
        let t = stream.token().text.clone();
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
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
}
