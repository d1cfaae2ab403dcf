//! The Indonesian text analysis of the index, for indexing and querying alike: the domain's
//! (`kotapintar_domain::text`: words, lower case, folded accents, Snowball Indonesian stems),
//! which the routing suggestions read texts with too, wrapped as a tantivy tokenizer.

use kotapintar_domain::text::Analyzer;
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

/// The analyzer's registered name in the index schema.
pub const NAME: &str = "id_stem";

pub fn indonesian() -> TextAnalyzer {
    TextAnalyzer::builder(DomainTokenizer).build()
}

/// The domain's analysis as a tantivy tokenizer.
#[derive(Clone, Copy)]
pub struct DomainTokenizer;

impl Tokenizer for DomainTokenizer {
    type TokenStream<'a> = AnalysedStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AnalysedStream {
        let tokens = Analyzer::default()
            .analyse(text)
            .into_iter()
            .enumerate()
            .map(|(position, t)| Token {
                offset_from: t.from,
                offset_to: t.to,
                position,
                text: t.text,
                position_length: 1,
            })
            .collect();
        AnalysedStream {
            tokens,
            next: 0,
            current: Token::default(),
        }
    }
}

/// The analysed words of one text, handed out one by one.
pub struct AnalysedStream {
    tokens: Vec<Token>,
    next: usize,
    current: Token,
}

impl TokenStream for AnalysedStream {
    fn advance(&mut self) -> bool {
        match self.tokens.get_mut(self.next) {
            Some(t) => {
                self.current = std::mem::take(t);
                self.next += 1;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

/// The analysed terms of a text, in order, without repeats.
pub fn terms(text: &str) -> Vec<String> {
    kotapintar_domain::text::terms(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tokenizer_gives_the_domains_terms_with_offsets() {
        let text = "Perbaikan jalan, Café";
        let mut a = indonesian();
        let mut s = a.token_stream(text);
        let mut got = Vec::new();
        while s.advance() {
            let t = s.token();
            got.push((
                t.text.clone(),
                &text[t.offset_from..t.offset_to],
                t.position,
            ));
        }
        assert_eq!(
            got,
            [
                ("baik".to_string(), "Perbaikan", 0),
                ("jalan".to_string(), "jalan", 1),
                ("cafe".to_string(), "Café", 2)
            ]
        );
    }
}
