//! The personal-data masker (`kotapintar_domain::masking`) on any text and names. The input's
//! first line holds the names, separated by `|`; the rest is the text. Whatever they are, the
//! masker must not panic, must be stable (masking its output again changes nothing), must
//! leave no part of a name and no long number (its `violation` check), and must leave a text
//! that has nothing to mask exactly as it was.
#![no_main]

use kotapintar_domain::masking::{fold, is_digit, mask, name_parts, violation};
use kotapintar_domain::privacy::MASK;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let (names, text) = input.split_once('\n').unwrap_or(("", input));
    let names: Vec<&str> = names.split('|').collect();

    let out = mask(text, &names);
    let again = mask(&out, &names);
    assert_eq!(again, out, "not stable: {text:?} names {names:?}");
    if let Some(v) = violation(&names, &out) {
        panic!("{v} (from {text:?}, names {names:?})");
    }
    if nothing_to_mask(text, &names) {
        assert_eq!(out, text, "changed a text with nothing to mask");
    }
});

/// No digit, no `@` in any width, no word `at` (the spelled `@`), no part of a name, no mask,
/// no invisible character (those are dropped).
fn nothing_to_mask(text: &str, names: &[&str]) -> bool {
    let parts = name_parts(names);
    !text.contains(MASK)
        && !text
            .chars()
            .any(|c| is_digit(c) || fold(c) == '@' || invisible(c))
        && !text.split(|c: char| !c.is_alphabetic()).any(|w| {
            let w: String = w.chars().map(fold).collect();
            w == "at" || parts.contains(&w)
        })
}

fn invisible(c: char) -> bool {
    // a superset of the characters the masker drops
    matches!(c, '\u{AD}' | '\u{34F}' | '\u{61C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}
