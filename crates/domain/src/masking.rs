//! Masking of personal data that people type into free text (titles, descriptions, notes,
//! responses) before the public sees it. When in doubt, it masks.
//!
//! Masked, each replaced by [`MASK`]:
//! - email addresses, also when written to dodge a filter: `nama [at] contoh.id`,
//!   `nama(at)contoh(dot)org`, `nama at contoh dot org`, `nama @ contoh . id`, `titik` for the
//!   dot, full-width `＠`; and handles written with `@` (`@nama_saya`);
//! - numbers of 8 or more digits, counted across the separators people put into phone
//!   numbers, NIK and account numbers: spaces, `. - /`, dashes, parentheses around an area
//!   code, with or without spaces around them (`(0361) 712345`, `+62 812-3456-7890`,
//!   `0812 / 9999 / 0005`, `5103 0112 0485 0001`). Every Unicode decimal digit counts
//!   (full-width `０８１２…` too). A line break ends a number;
//! - numbers of 5 to 7 digits right after a word that announces a phone, identity or account
//!   number (`telp 712345`, `NIK: 123456`, `rek. 1234567`);
//! - every part of 3 or more letters of every given name, as a whole word, whatever its case
//!   or width: so the name in any order, split by several spaces or a line break, or one part
//!   alone (`Laporan Wayan`) is masked.
//!
//! Kept, so the text stays useful: numbers under 8 digits (house numbers, RT/RW, years,
//! postal codes), and numbers of 8 or more digits of these shapes, which are not personal
//! data: dates (`12/03/2026`, `12-03-2026`, `2026-03-12`, also with a time: `12/03/2026
//! 10.30`), year ranges (`2019-2024`), time ranges (`08.00-17.00`), and Rupiah amounts after
//! `Rp` with thousands dots (`Rp 15.000.000`).
//!
//! Masks separated only by whitespace (no blank line) become one mask, so a masked name does
//! not show how many words it had. Invisible format characters (zero-width space, soft
//! hyphen, direction marks, BOM) are dropped first: they would otherwise split a name or a
//! number so that it is not recognised while it still reads as one.
//!
//! Masking is idempotent: a mask already in the text stays as it is, and every rule starts
//! and ends a mask on a word or number boundary, so what is left cannot become a new match.
//! The property tests below and the fuzz target `fuzz/fuzz_targets/masking.rs` hold it to
//! that and to [`violation`]. Work is linear in the length of the text: each rule is one pass
//! and no scan goes back over text another candidate has already scanned.

use crate::privacy::MASK;
use std::collections::HashSet;

/// Masks personal data in `text`; `names` are the names of people the text must not name
/// (the reporter's, for instance).
pub fn mask(text: &str, names: &[&str]) -> String {
    let parts = name_parts(names);
    let chars: Vec<char> = text.chars().filter(|&c| !is_invisible(c)).collect();
    let folded: Vec<char> = chars.iter().map(|&c| fold(c)).collect();
    let mut m = Marks {
        chars: &chars,
        folded: &folded,
        masked: vec![false; chars.len()],
    };
    m.mark_mask_tokens();
    // Numbers in two steps: first those that are personal data whatever surrounds them, so
    // that the email rule sees them as masks (as it will when the output is masked again);
    // after emails and names, those whose verdict depends on the words before them.
    m.mark_numbers(Phase::ContentOnly);
    m.mark_emails();
    m.mark_names(&parts);
    m.mark_numbers(Phase::WithContext);
    m.render()
}

/// The parts of the names that are masked: words of 3 or more letters, folded (see [`fold`]).
pub fn name_parts(names: &[&str]) -> HashSet<String> {
    names
        .iter()
        .map(|n| n.chars().filter(|&c| !is_invisible(c)).collect::<String>())
        .flat_map(|n| {
            n.split(|c: char| !c.is_alphabetic())
                .filter(|p| p.chars().count() >= 3)
                .map(|p| p.chars().map(fold).collect::<String>())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// How characters are compared: full-width forms as their ASCII counterparts, and lower case
/// where a character has a one-character lower case.
pub fn fold(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        '\u{FE6B}' => '@',
        '\u{FE52}' => '.',
        _ => c,
    };
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// A digit of any script (not a letter that is also a number, like a Roman numeral).
pub fn is_digit(c: char) -> bool {
    c.is_numeric() && !c.is_alphabetic()
}

/// What may stand between the digit groups of one number.
pub fn is_number_separator(c: char) -> bool {
    matches!(
        fold(c),
        '.' | '-' | '/' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}'
    ) || (c.is_whitespace() && !is_line_break(c))
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Format characters that do not show: dropped before masking.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
    )
}

/// Words after which a short number is personal data (folded).
const NUMBER_KEYWORDS: &[&str] = &[
    "telp",
    "tlp",
    "telpon",
    "telepon",
    "tel",
    "phone",
    "hp",
    "handphone",
    "ponsel",
    "wa",
    "whatsapp",
    "sms",
    "fax",
    "faks",
    "kontak",
    "hubungi",
    "nik",
    "kk",
    "ktp",
    "npwp",
    "rek",
    "rekening",
    "norek",
    "pin",
    "otp",
];

/// Words before a Rupiah amount (folded).
const CURRENCY_WORDS: &[&str] = &["rp", "idr"];

/// Numbers of 5 to 7 digits are masked after a [`NUMBER_KEYWORDS`] word.
const KEYWORD_MIN_DIGITS: usize = 5;
/// Numbers of this many digits or more are masked unless they have a kept shape.
pub const LONG_NUMBER_DIGITS: usize = 8;
/// A domain has at most this many dots here: bounds the work per `@`.
const MAX_DOTS: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    ContentOnly,
    WithContext,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AtKind {
    /// `@` directly followed by the domain or handle.
    Direct,
    /// `@` with spaces, `[at]`, `(at)`, or the word `at`: needs a local part and a dotted
    /// domain ending in letters.
    Spelled,
}

struct Marks<'a> {
    chars: &'a [char],
    folded: &'a [char],
    masked: Vec<bool>,
}

impl Marks<'_> {
    fn len(&self) -> usize {
        self.chars.len()
    }

    /// The folded character at `i` if it is there and not masked.
    fn at(&self, i: usize) -> Option<char> {
        (i < self.len() && !self.masked[i]).then(|| self.folded[i])
    }

    fn is_ws(&self, i: usize) -> bool {
        self.at(i).is_some_and(char::is_whitespace)
    }

    fn skip_ws(&self, mut i: usize) -> usize {
        while self.is_ws(i) {
            i += 1;
        }
        i
    }

    /// The (unmasked) word `w` starts at `i` and ends there (no letter or digit follows).
    fn word_at(&self, i: usize, w: &str) -> bool {
        let mut j = i;
        for wc in w.chars() {
            if self.at(j) != Some(wc) {
                return false;
            }
            j += 1;
        }
        let word_goes_on =
            self.at(j).is_some_and(char::is_alphanumeric) || (j < self.len() && self.masked[j]);
        !word_goes_on
    }

    fn mark(&mut self, from: usize, to: usize) {
        self.masked[from..to].fill(true);
    }

    /// Masks already in the text stay masks (this makes masking idempotent).
    fn mark_mask_tokens(&mut self) {
        let token: Vec<char> = MASK.chars().collect();
        let mut i = 0;
        while i + token.len() <= self.len() {
            if self.chars[i..i + token.len()] == token[..] {
                self.mark(i, i + token.len());
                i += token.len();
            } else {
                i += 1;
            }
        }
    }

    fn mark_names(&mut self, parts: &HashSet<String>) {
        if parts.is_empty() {
            return;
        }
        let mut word = String::new();
        let mut i = 0;
        while i < self.len() {
            if !self.chars[i].is_alphabetic() {
                i += 1;
                continue;
            }
            let start = i;
            word.clear();
            while i < self.len() && self.chars[i].is_alphabetic() {
                word.push(self.folded[i]);
                i += 1;
            }
            if parts.contains(&word) {
                self.mark(start, i);
            }
        }
    }

    fn mark_numbers(&mut self, phase: Phase) {
        let mut i = 0;
        while i < self.len() {
            if self.masked[i] || !is_digit(self.chars[i]) {
                i += 1;
                continue;
            }
            // one number: digit groups joined by separators
            let start = i;
            let mut end = i;
            let mut digits = 0;
            loop {
                while end < self.len() && !self.masked[end] && is_digit(self.chars[end]) {
                    end += 1;
                    digits += 1;
                }
                let mut k = end;
                while k < self.len() && !self.masked[k] && is_number_separator(self.chars[k]) {
                    k += 1;
                }
                if k > end && k < self.len() && !self.masked[k] && is_digit(self.chars[k]) {
                    end = k;
                } else {
                    break;
                }
            }
            i = end;
            let run = &self.chars[start..end];
            match phase {
                Phase::ContentOnly => {
                    if digits >= LONG_NUMBER_DIGITS && !long_number_kept(run, true) {
                        let (from, to) = self.widen_number(start, end);
                        self.mark(from, to);
                    }
                }
                Phase::WithContext => {
                    let word = self.word_before(start);
                    let word = word.as_deref();
                    let hide = if digits >= LONG_NUMBER_DIGITS {
                        !long_number_kept(run, word.is_some_and(|w| CURRENCY_WORDS.contains(&w)))
                    } else {
                        digits >= KEYWORD_MIN_DIGITS
                            && word.is_some_and(|w| NUMBER_KEYWORDS.contains(&w))
                    };
                    if hide {
                        self.mark(start, end);
                    }
                }
            }
        }
    }

    /// Takes a leading `+` or `(` and a closing `)` into the mask of a phone number.
    fn widen_number(&self, mut from: usize, mut to: usize) -> (usize, usize) {
        for _ in 0..2 {
            if from > 0 && matches!(self.at(from - 1), Some('+' | '(')) {
                from -= 1;
            }
        }
        let opened = self.folded[from..to].iter().filter(|&&c| c == '(').count();
        let closed = self.folded[from..to].iter().filter(|&&c| c == ')').count();
        if opened > closed && self.at(to) == Some(')') {
            to += 1;
        }
        (from, to)
    }

    /// The unmasked word just before position `i`, past separators and `: # =` (folded), if
    /// it is short enough to be a keyword.
    fn word_before(&self, i: usize) -> Option<String> {
        let mut k = i;
        let mut skipped = 0;
        while k > 0 && skipped < 8 {
            match self.at(k - 1) {
                Some(c) if is_number_separator(c) || matches!(c, ':' | '#' | '=') => {
                    k -= 1;
                    skipped += 1;
                }
                _ => break,
            }
        }
        let end = k;
        while k > 0 && end - k <= 16 && self.at(k - 1).is_some_and(char::is_alphabetic) {
            k -= 1;
        }
        let whole = k == 0 || !self.at(k - 1).is_some_and(char::is_alphabetic);
        (whole && k < end && end - k <= 16).then(|| self.folded[k..end].iter().collect())
    }

    fn mark_emails(&mut self) {
        let mut i = 0;
        while i < self.len() {
            match self.email_at(i) {
                Some((from, to)) => {
                    self.mark(from, to);
                    i = to;
                }
                None => i += 1,
            }
        }
    }

    /// The email address (or handle) whose `@` (in any spelling) starts at `i`.
    fn email_at(&self, i: usize) -> Option<(usize, usize)> {
        let (kind, spaced, after) = self.at_sign(i)?;
        // the local part: right before the sign, or before the spaces around a spelled one
        let local_end = if spaced || kind == AtKind::Spelled {
            let mut s = i;
            while s > 0 && self.is_ws(s - 1) {
                s -= 1;
            }
            s
        } else {
            i
        };
        let (mut from, local) = self.local_part(local_end);

        let label_end = |p: usize| {
            let mut q = p;
            while self
                .at(q)
                .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
            {
                q += 1;
            }
            q
        };
        let first_end = label_end(after);
        if first_end == after {
            return None;
        }
        if kind == AtKind::Direct && !spaced {
            let label = &self.folded[after..first_end];
            let letters = label.iter().any(|c| c.is_alphabetic());
            // `@Rp5.000` is a price per piece, not a handle
            let price = label.starts_with(&['r', 'p']) && label[2..].iter().all(|&c| is_digit(c));
            if !local && (!letters || price) {
                return None;
            }
        }
        let mut end = first_end;
        let mut accepted = None;
        for _ in 0..MAX_DOTS {
            let Some(next) = self.dot_at(end) else {
                break;
            };
            let e = label_end(next);
            if e == next {
                break;
            }
            end = e;
            // A top-level domain is letters; one cut short by a mask is not one (it may
            // have been longer before: masking again must not find a new address).
            let cut = e < self.len() && self.masked[e];
            let tld = &self.folded[next..e];
            if !cut && tld.len() >= 2 && tld.iter().all(|c| c.is_alphabetic()) {
                accepted = Some(e);
            }
        }
        if kind == AtKind::Direct && !spaced {
            // `nama @contoh.id`: the word before the space is the local part
            if !local && accepted.is_some() && i > 0 && self.is_ws(i - 1) {
                let mut s = i;
                while s > 0 && self.is_ws(s - 1) {
                    s -= 1;
                }
                let (before, found) = self.local_part(s);
                if found {
                    from = before;
                }
            }
            Some((from, end))
        } else if local {
            accepted.map(|e| (from, e))
        } else {
            None
        }
    }

    /// Where the local part of an address ending at `end` starts, and whether there is one.
    /// A mask right before counts as one (it may have been one, masked as a number or a
    /// name); the scan stops there, so no text is scanned twice.
    fn local_part(&self, end: usize) -> (usize, bool) {
        let mut from = end;
        while from > 0 {
            match self.at(from - 1) {
                Some(c) if c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-') => {
                    from -= 1;
                }
                None => return (from, true),
                _ => break,
            }
        }
        (from, from < end)
    }

    /// An `@` in any spelling at `i`: its kind, whether spaces surround it, and where the
    /// domain starts.
    fn at_sign(&self, i: usize) -> Option<(AtKind, bool, usize)> {
        match self.at(i)? {
            '@' => {
                let spaced = self.is_ws(i + 1);
                Some((AtKind::Direct, spaced, self.skip_ws(i + 1)))
            }
            '(' | '[' | '{' | '<' => {
                let j = self.skip_ws(i + 1);
                let j = if self.at(j) == Some('@') {
                    j + 1
                } else if self.word_at(j, "at") {
                    j + 2
                } else {
                    return None;
                };
                let j = self.skip_ws(j);
                matches!(self.at(j)?, ')' | ']' | '}' | '>')
                    .then(|| (AtKind::Spelled, true, self.skip_ws(j + 1)))
            }
            'a' if i > 0 && self.is_ws(i - 1) && self.word_at(i, "at") && self.is_ws(i + 2) => {
                Some((AtKind::Spelled, true, self.skip_ws(i + 2)))
            }
            _ => None,
        }
    }

    /// A dot in any spelling at `p` (right after a label), followed by the next label: where
    /// that label starts.
    fn dot_at(&self, p: usize) -> Option<usize> {
        let label_start = |q: usize| {
            self.at(q)
                .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_')
                .then_some(q)
        };
        // `.` right after the label
        if self.at(p) == Some('.') {
            return label_start(p + 1);
        }
        let q = self.skip_ws(p);
        let spaced = q > p;
        // ` . `
        if spaced && self.at(q) == Some('.') && self.is_ws(q + 1) {
            return label_start(self.skip_ws(q + 1));
        }
        // `(dot)`, `[.]`, `[titik]`
        if matches!(self.at(q), Some('(' | '[' | '{' | '<')) {
            let r = self.skip_ws(q + 1);
            let r = if self.at(r) == Some('.') {
                r + 1
            } else if self.word_at(r, "dot") {
                r + 3
            } else if self.word_at(r, "titik") {
                r + 5
            } else {
                return None;
            };
            let r = self.skip_ws(r);
            return match self.at(r) {
                Some(')' | ']' | '}' | '>') => label_start(self.skip_ws(r + 1)),
                _ => None,
            };
        }
        // ` dot `, ` titik `
        if spaced {
            for w in ["dot", "titik"] {
                let r = q + w.chars().count();
                if self.word_at(q, w) && self.is_ws(r) {
                    return label_start(self.skip_ws(r));
                }
            }
        }
        None
    }

    /// The text with every masked stretch replaced by one [`MASK`]; stretches separated only
    /// by whitespace without a blank line become one.
    fn render(&self) -> String {
        let n = self.len();
        let mut out = String::with_capacity(n + MASK.len());
        let mut i = 0;
        while i < n {
            if !self.masked[i] {
                out.push(self.chars[i]);
                i += 1;
                continue;
            }
            let mut j = i;
            loop {
                while j < n && self.masked[j] {
                    j += 1;
                }
                let mut k = j;
                let mut breaks = 0;
                while k < n && !self.masked[k] && self.chars[k].is_whitespace() {
                    let c = self.chars[k];
                    if is_line_break(c) && !(c == '\r' && self.chars.get(k + 1) == Some(&'\n')) {
                        breaks += 1;
                    }
                    k += 1;
                }
                if k > j && k < n && self.masked[k] && breaks <= 1 {
                    j = k;
                } else {
                    break;
                }
            }
            out.push_str(MASK);
            i = j;
        }
        out
    }
}

/// Whether a number of 8 or more digits (`run`: from its first digit to its last, with the
/// separators between) has a shape that is kept: a Rupiah amount (only when `after_currency`,
/// it follows `Rp`), or a sequence of dates, times and year ranges.
pub fn long_number_kept(run: &[char], after_currency: bool) -> bool {
    let mut groups: Vec<&[char]> = Vec::new();
    let mut gaps: Vec<&[char]> = Vec::new();
    let mut i = 0;
    while i < run.len() {
        let start = i;
        let digit = is_digit(run[i]);
        while i < run.len() && is_digit(run[i]) == digit {
            i += 1;
        }
        if digit {
            groups.push(&run[start..i]);
        } else {
            gaps.push(&run[start..i]);
        }
    }
    if groups.len() != gaps.len() + 1 || groups.iter().any(|g| g.len() <= 4 && value(g).is_none()) {
        return false;
    }
    let gap_is = |g: usize, s: &str| {
        gaps.get(g)
            .is_some_and(|gap| gap.iter().map(|&c| fold(c)).eq(s.chars()))
    };
    if after_currency
        && groups.len() >= 2
        && (1..=3).contains(&groups[0].len())
        && value(&groups[0][..1]) != Some(0)
        && groups[1..]
            .iter()
            .all(|g| g.len() == 3 && value(g).is_some())
        && (0..gaps.len()).all(|g| gap_is(g, "."))
    {
        return true;
    }
    let num = |g: usize| {
        groups
            .get(g)
            .and_then(|d| (d.len() <= 4).then(|| value(d)).flatten())
    };
    let len = |g: usize| groups.get(g).map_or(0, |d| d.len());
    let year = |g: usize| len(g) == 4 && num(g).is_some_and(|y| (1900..=2099).contains(&y));
    let date_gaps = |g: usize| {
        ["/", ".", "-"]
            .iter()
            .any(|s| gap_is(g, s) && gap_is(g + 1, s))
    };
    let is_date = |g: usize| {
        let dmy = (1..=2).contains(&len(g))
            && (1..=2).contains(&len(g + 1))
            && num(g).is_some_and(|d| (1..=31).contains(&d))
            && num(g + 1).is_some_and(|m| (1..=12).contains(&m))
            && year(g + 2);
        let ymd = year(g)
            && len(g + 1) == 2
            && len(g + 2) == 2
            && num(g + 1).is_some_and(|m| (1..=12).contains(&m))
            && num(g + 2).is_some_and(|d| (1..=31).contains(&d));
        (dmy || ymd) && date_gaps(g)
    };
    let is_year_range = |g: usize| {
        year(g)
            && year(g + 1)
            && gaps.get(g).is_some_and(|gap| {
                let mut marks = gap.iter().filter(|c| !c.is_whitespace()).map(|&c| fold(c));
                matches!(
                    (marks.next(), marks.next()),
                    (Some('-' | '/' | '\u{2010}'..='\u{2015}' | '\u{2212}'), None)
                )
            })
    };
    let is_time = |g: usize| {
        (1..=2).contains(&len(g))
            && len(g + 1) == 2
            && num(g).is_some_and(|h| h <= 24)
            && num(g + 1).is_some_and(|m| m <= 59)
            && gap_is(g, ".")
    };
    let mut g = 0;
    while g < groups.len() {
        g += if is_date(g) {
            3
        } else if is_year_range(g) || is_time(g) {
            2
        } else {
            return false;
        };
    }
    true
}

/// The value of a short group of digits of a script with a known value (ASCII, full-width).
fn value(group: &[char]) -> Option<u32> {
    group
        .iter()
        .try_fold(0u32, |acc, &c| Some(acc * 10 + fold(c).to_digit(10)?))
}

/// What the masker promises about its output `out` for `names`, checked without its own
/// scanning code (the property tests and the fuzz target use it): no part of a name as a
/// whole word, and no number of 8 or more digits (separators removed, a line break or any
/// other character ends it) unless [`long_number_kept`] keeps its shape. `None` if kept.
#[doc(hidden)]
pub fn violation(names: &[&str], out: &str) -> Option<String> {
    // Masks become a character that is neither letter, digit nor separator.
    let text: Vec<char> = out.replace(MASK, "\u{1}").chars().collect();
    let parts = name_parts(names);
    for word in text.split(|c| !c.is_alphabetic()) {
        let folded: String = word.iter().map(|&c| fold(c)).collect();
        if parts.contains(&folded) {
            return Some(format!("name part {folded:?} left in {out:?}"));
        }
    }
    let mut i = 0;
    while i < text.len() {
        if !is_digit(text[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < text.len() && (is_digit(text[i]) || is_number_separator(text[i])) {
            i += 1;
        }
        let mut end = i;
        while !is_digit(text[end - 1]) {
            end -= 1;
        }
        let run = &text[start..end];
        if run.iter().filter(|&&c| is_digit(c)).count() >= LONG_NUMBER_DIGITS {
            // the word before, past separators and `: # =`
            let mut k = start;
            while k > 0 && (is_number_separator(text[k - 1]) || ":#=".contains(text[k - 1])) {
                k -= 1;
            }
            let word_end = k;
            while k > 0 && text[k - 1].is_alphabetic() {
                k -= 1;
            }
            let word: String = text[k..word_end].iter().map(|&c| fold(c)).collect();
            if !long_number_kept(run, CURRENCY_WORDS.contains(&word.as_str())) {
                let run: String = run.iter().collect();
                return Some(format!("number {run:?} left in {out:?}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const M: &str = MASK;

    /// One row of the table: the text, the names, and the exact output.
    struct Case {
        text: String,
        names: Vec<String>,
        want: String,
    }

    fn case(text: impl Into<String>, names: &[&str], want: impl Into<String>) -> Case {
        Case {
            text: text.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            want: want.into(),
        }
    }

    fn full_width(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
                ' ' => '\u{3000}',
                _ => c,
            })
            .collect()
    }

    fn phone_cases() -> Vec<Case> {
        let mut cases = Vec::new();
        // mobile numbers: every prefix x every separator x every grouping
        let prefixes = [
            "0", "+62", "+62 ", "62", "62-", "(+62)", "(+62) ", "+62-", "+62.",
        ];
        let separators = [
            " ",
            ".",
            "-",
            "/",
            " - ",
            " . ",
            " / ",
            "  ",
            "\u{2013}",
            " \u{2013} ",
            "\t",
            "",
        ];
        let groupings = [
            ["812", "3456", "7890"],
            ["812", "345", "6789"],
            ["8123", "4567", "89"],
        ];
        for prefix in prefixes {
            for sep in separators {
                for [a, b, c] in groupings {
                    let phone = format!("{prefix}{a}{sep}{b}{sep}{c}");
                    cases.push(case(
                        format!("Hubungi saya di {phone} ya"),
                        &[],
                        format!("Hubungi saya di {M} ya"),
                    ));
                    cases.push(case(phone.clone(), &[], M));
                }
            }
        }
        // landlines: area codes in every spelling
        let areas = ["021", "0361", "022", "031", "0274", "0711"];
        let subscribers = ["712345", "5551234", "71234567"];
        for area in areas {
            let short = &area[1..];
            for number in subscribers {
                for phone in [
                    format!("({area}) {number}"),
                    format!("({area}){number}"),
                    format!("( {area} ) {number}"),
                    format!("{area}-{number}"),
                    format!("{area} {number}"),
                    format!("{area}.{number}"),
                    format!("{area}/{number}"),
                    format!("{area} - {number}"),
                    format!("+62 {short} {number}"),
                    format!("+62 ({short}) {number}"),
                    format!("+62({short}){number}"),
                    format!("(+62 {short}) {number}"),
                    format!("62-{short}-{number}"),
                    format!("{area}{number}"),
                ] {
                    let want = if phone.starts_with("( ") {
                        // the opening parenthesis stands apart from the number
                        format!("Telp. ( {M} ya")
                    } else {
                        format!("Telp. {M} ya")
                    };
                    cases.push(case(format!("Telp. {phone} ya"), &[], want));
                }
            }
        }
        // full-width digits and separators
        for phone in [
            "0812-3456-7890",
            "(0361) 712345",
            "+62 812 3456 7890",
            "0812/9999/0005",
            "5103011204850001",
        ] {
            cases.push(case(
                format!("nomor {} aktif", full_width(phone)),
                &[],
                format!("nomor {M} aktif"),
            ));
            cases.push(case(
                format!("nomor {phone} aktif"),
                &[],
                format!("nomor {M} aktif"),
            ));
        }
        // other scripts' digits count as digits
        cases.push(case(
            "no \u{0660}\u{0668}\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}\u{0667} ok",
            &[],
            format!("no {M} ok"),
        ));
        cases.push(case(
            "no \u{0966}\u{096E}\u{0967}\u{0968}-\u{0969}\u{096A}\u{096B}\u{096C} ok",
            &[],
            format!("no {M} ok"),
        ));
        // NIK and account numbers, grouped or not
        for nik in [
            "5103011204850001",
            "5103 0112 0485 0001",
            "5103.0112.0485.0001",
            "5103-0112-0485-0001",
            "510301 120485 0001",
            "51.03.01.120485.0001",
            "51 03 01 12 04 85 0001",
        ] {
            cases.push(case(format!("NIK {nik}."), &[], format!("NIK {M}.")));
            cases.push(case(
                format!("NIK: {nik}, KK: {nik}"),
                &[],
                format!("NIK: {M}, KK: {M}"),
            ));
        }
        for account in [
            "1234567890",
            "123-456-7890",
            "0012 3456 78",
            "1234 5678",
            "12345678",
            "900-00-1234567-8",
            "1.234.567.890",
            "Rp1234567890",
        ] {
            let want = if account.starts_with("Rp") {
                format!("transfer ke rek Rp{M} a.n. saya")
            } else {
                format!("transfer ke rek {M} a.n. saya")
            };
            cases.push(case(
                format!("transfer ke rek {account} a.n. saya"),
                &[],
                want,
            ));
        }
        // short numbers after a word that announces them
        for (text, want) in [
            ("telp 712345", format!("telp {M}")),
            ("Telp. (0361) 7123", format!("Telp. {M}")),
            ("Telp. 7123", "Telp. 7123".to_string()),
            ("telp (12345)", format!("telp ({M})")),
            ("HP: 7123456", format!("HP: {M}")),
            ("WA 71234", format!("WA {M}")),
            ("NIK 123456", format!("NIK {M}")),
            ("no. rek: 1234567", format!("no. rek: {M}")),
            ("hubungi 712-345", format!("hubungi {M}")),
            ("PIN=123456", format!("PIN={M}")),
        ] {
            cases.push(case(text, &[], want));
        }
        cases
    }

    fn email_cases() -> Vec<Case> {
        let mut cases = Vec::new();
        let ats = [
            "@", " @ ", "@ ", " @", "[at]", " [at] ", "(at)", " (at) ", "{at}", "<at>", " at ",
            " AT ", " At ", "\u{FF20}", " (@) ", "[ at ]", "\u{FE6B}",
        ];
        let dots = [
            ".", " . ", "[dot]", " [dot] ", "(dot)", " (dot) ", " dot ", " DOT ", " titik ", "[.]",
            "(.)", "\u{FF0E}",
        ];
        let locals = ["nama", "nama.lengkap", "wayan_s99", "Budi-Santoso"];
        let domains: [&[&str]; 3] = [
            &["contoh", "id"],
            &["contoh", "co", "id"],
            &["gmail", "com"],
        ];
        for at in ats {
            for dot in dots {
                for local in locals {
                    for domain in domains {
                        let address = format!("{local}{at}{}", domain.join(dot));
                        cases.push(case(
                            format!("Kirim ke {address} ya, terima kasih."),
                            &[],
                            format!("Kirim ke {M} ya, terima kasih."),
                        ));
                    }
                }
            }
        }
        for (text, want) in [
            ("surel: wayan@contoh.id.", format!("surel: {M}.")),
            ("<wayan@contoh.id>", format!("<{M}>")),
            ("mailto:wayan@contoh.id", format!("mailto:{M}")),
            ("ikuti @wayan_s di medsos", format!("ikuti {M} di medsos")),
            ("(@budi)", format!("({M})")),
            ("x@y", M.to_string()),
            ("0812345678@gmail.com", M.to_string()),
            ("nama@contoh.id,nama2@contoh.id", format!("{M},{M}")),
            ("nama @ contoh . id", M.to_string()),
            ("NAMA AT CONTOH DOT ORG", M.to_string()),
        ] {
            cases.push(case(text, &[], want));
        }
        cases
    }

    fn name_cases() -> Vec<Case> {
        let mut cases = Vec::new();
        let names: [(&str, &str, &str); 4] = [
            ("Made Sudarma", "Made", "Sudarma"),
            ("Wayan Sudira", "Wayan", "Sudira"),
            ("Siti Nurhaliza", "Siti", "Nurhaliza"),
            ("Agus Salim", "Agus", "Salim"),
        ];
        for (full, first, last) in names {
            let variants = [
                full.to_string(),
                full.to_uppercase(),
                full.to_lowercase(),
                format!("{last} {first}"),
                format!("{first}  {last}"),
                format!("{first}\n{last}"),
                format!("{first}\r\n{last}"),
                format!("{first}\t{last}"),
                format!("{first}\u{A0}{last}"),
                format!("{first} \n {last}"),
                first.to_string(),
                last.to_string(),
                last.to_lowercase(),
                first.to_uppercase(),
                full_width(full),
                format!("{first} {}\u{200B}{}", &last[..2], &last[2..]),
                format!("{}\u{AD}{}", &first[..2], &first[2..]),
                format!("{first}{last}").replace(first, &format!("{first} ")),
            ];
            for v in variants {
                cases.push(case(
                    format!("Laporan {v} tentang jalan"),
                    &[full],
                    format!("Laporan {M} tentang jalan"),
                ));
                cases.push(case(
                    format!("{v}: jalan rusak"),
                    &[full],
                    format!("{M}: jalan rusak"),
                ));
            }
            // inside another word it is not the name
            cases.push(case(
                format!("{first}nya dan pra{}", last.to_lowercase()),
                &[full],
                format!("{first}nya dan pra{}", last.to_lowercase()),
            ));
        }
        for (text, names, want) in [
            ("Sudarma, Made", &["Made Sudarma"][..], format!("{M}, {M}")),
            (
                "Ni Luh Putu Ayu melapor",
                &["Ni Luh Putu Ayu"],
                format!("Ni {M} melapor"),
            ),
            (
                "I Gusti Ngurah Rai",
                &["I Gusti Ngurah Rai"],
                format!("I {M}"),
            ),
            ("ok", &["Al"], "ok".to_string()),
            (
                "Pak Wayan dan Bu Siti",
                &["Wayan", "Siti"],
                format!("Pak {M} dan Bu {M}"),
            ),
            ("O'Brien datang", &["O'Brien"], format!("O'{M} datang")),
            (
                "Abdul-Rahman datang",
                &["Abdul-Rahman"],
                format!("{M}-{M} datang"),
            ),
            ("wayan123 datang", &["Wayan"], format!("{M}123 datang")),
            (
                "WAYAN SUDIRA\n\nParagraf baru.",
                &["Wayan Sudira"],
                format!("{M}\n\nParagraf baru."),
            ),
            ("[disembunyikan] Wayan", &["Wayan"], M.to_string()),
            ("Disembunyikan", &["Disembunyikan"], M.to_string()),
        ] {
            cases.push(case(text, names, want));
        }
        cases
    }

    /// Texts that must stay exactly as they are.
    const KEPT: &[&str] = &[
        "Jl. Raya Kuta No. 12",
        "RT 05 RW 12, tahun 2026",
        "RT 03/RW 05",
        "RT.003/RW.005 Kel. Kuta",
        "No. 12-14",
        "Blok C/12 No. 7A",
        "Km 12.5 arah Gilimanuk",
        "tahun 2026",
        "sejak 2019",
        "periode 2019-2024",
        "periode 2019 - 2024",
        "2025/2026",
        "tanggal 12/03/2026",
        "tanggal 12-03-2026",
        "tanggal 12.03.2026",
        "tanggal 1/3/2026",
        "tanggal 2026-03-12",
        "12/03/2026 10.30",
        "dari 12/03/2026 sampai 15/03/2026",
        "12/03/2026 - 15/03/2026",
        "jam 08.00-17.00",
        "jam 08.00 - 17.00 WITA",
        "pukul 10:30",
        "Rp 15.000.000",
        "Rp15.000.000,-",
        "Rp. 150.000.000",
        "IDR 1.500.000.000",
        "Rp 1.500.000",
        "biaya 250.000 rupiah",
        "kode pos 80361",
        "150 meter, lebar 3 m",
        "2 x 3 m, 4 titik lampu",
        "lampu mati di 3 tiang",
        "nomor 12345",
        "BDG-26-7K3Q9",
        "pada 2024, 2025 dan 2026",
        "@ Rp 5.000 per kg",
        "harga @Rp5.000",
        "3 @ 5",
        "rapat at 10.30",
        "email saya hilang",
        "a . b",
        "titik dot",
        "Laporan jalan rusak (berlubang) [foto]",
        "",
        "   ",
        "Satu\n\nDua",
        "Pak Made",
        "emoji 👨‍👩‍👧 keluarga",
    ];

    fn table() -> Vec<Case> {
        let mut cases = phone_cases();
        cases.extend(email_cases());
        cases.extend(name_cases());
        for text in KEPT {
            cases.push(case(*text, &["Wayan Sudira"], *text));
        }
        // realistic mixes
        cases.push(case(
            "Hubungi saya, Wayan Sudira, di 0812-3456-7890 atau wayan@contoh.id. NIK 5103011204850001.",
            &["Wayan Sudira"],
            format!("Hubungi saya, {M}, di {M} atau {M}. NIK {M}."),
        ));
        cases.push(case(
            "Sudira Wayan (0361) 712345 / wayan [at] contoh [dot] id",
            &["Wayan Sudira"],
            format!("{M} / {M}"),
        ));
        cases.push(case(
            "Lampu mati sejak 12/03/2026, tiang No. 12 di RT 03. Info: Made (0812 - 3456 - 7890).",
            &["Made Sudarma"],
            format!("Lampu mati sejak 12/03/2026, tiang No. 12 di RT 03. Info: {M}."),
        ));
        cases
    }

    #[test]
    fn table_of_cases() {
        let cases = table();
        assert!(cases.len() >= 1000, "{} cases", cases.len());
        let mut failures = Vec::new();
        for c in &cases {
            let names: Vec<&str> = c.names.iter().map(String::as_str).collect();
            let got = mask(&c.text, &names);
            if got != c.want {
                failures.push(format!(
                    "{:?} names {:?}\n   got  {got:?}\n   want {:?}",
                    c.text, c.names, c.want
                ));
            }
            let again = mask(&got, &names);
            if again != got {
                failures.push(format!(
                    "not idempotent: {:?} -> {got:?} -> {again:?}",
                    c.text
                ));
            }
            if let Some(v) = violation(&names, &got) {
                failures.push(v);
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn long_inputs_take_linear_time() {
        // hostile shapes, 100 KB each: many candidate `@`/`at`, long labels, long numbers
        let inputs = [
            "a@".repeat(50_000),
            "x at ".repeat(20_000),
            "a . at . ".repeat(10_000) + &"b".repeat(10_000),
            "1 ".repeat(50_000),
            "(at)".repeat(25_000),
            "Wayan ".repeat(20_000),
            "9".repeat(100_000),
            "12/03/2026 ".repeat(10_000),
            "[disembunyikan] ".repeat(6_000),
        ];
        let started = std::time::Instant::now();
        for input in &inputs {
            let out = mask(input, &["Wayan Sudira"]);
            assert_eq!(mask(&out, &["Wayan Sudira"]), out);
        }
        // unoptimised test build on a shared machine: generous, but a quadratic pass
        // would take minutes
        assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    }

    /// Pieces that make the rules meet: names, digits, separators, email spellings, masks.
    fn piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("Wayan".to_string()),
            Just("sudira".to_string()),
            Just("MADE".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just(" at ".to_string()),
            Just(" dot ".to_string()),
            Just("@".to_string()),
            Just("(at)".to_string()),
            Just("[dot]".to_string()),
            Just(".".to_string()),
            Just("-".to_string()),
            Just("/".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just("+".to_string()),
            Just("Rp".to_string()),
            Just("telp ".to_string()),
            Just(MASK.to_string()),
            Just("\u{200B}".to_string()),
            "[0-9]{1,5}",
            "[\u{FF10}-\u{FF19}]{1,4}",
            "[a-z]{1,6}",
            "(19|20)[0-9]{2}",
            "[0-3][0-9]/[01][0-9]/20[0-9]{2}",
            any::<char>().prop_map(String::from),
        ]
    }

    fn mixed_text() -> impl Strategy<Value = String> {
        prop::collection::vec(piece(), 0..40).prop_map(|p| p.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_text_is_masked_stably(text in "\\PC{0,80}", name in "\\PC{0,20}") {
            let out = mask(&text, &[&name]);
            prop_assert_eq!(mask(&out, &[&name]), out.clone());
            prop_assert_eq!(violation(&[&name], &out), None);
        }

        #[test]
        fn mixed_text_is_masked_stably(text in mixed_text()) {
            let names = ["Wayan Sudira", "Made"];
            let out = mask(&text, &names);
            prop_assert_eq!(mask(&out, &names), out.clone());
            prop_assert_eq!(violation(&names, &out), None);
        }

        #[test]
        fn no_name_part_survives(
            parts in prop::collection::vec("[A-Za-z]{3,8}", 1..4),
            filler in prop::collection::vec(
                prop_oneof![
                    "[a-z]{1,2}",
                    "[0-9]{1,3}",
                    prop::sample::select(&[" ", "  ", "\n", "\t", ", ", "\u{A0}"][..]).prop_map(String::from),
                ],
                0..12,
            ),
            order in prop::collection::vec(any::<prop::sample::Index>(), 1..8),
            upper in any::<bool>(),
        ) {
            let name = parts.join(" ");
            let mut text = String::new();
            for (i, pick) in order.iter().enumerate() {
                let part = pick.get(&parts);
                text.push_str(&if upper { part.to_uppercase() } else { part.to_lowercase() });
                text.push_str(filler.get(i).map_or(" ", String::as_str));
            }
            let out = mask(&text, &[&name]);
            prop_assert_eq!(violation(&[&name], &out), None);
            prop_assert_eq!(mask(&out, &[&name]), out.clone());
        }

        #[test]
        fn no_long_number_survives(
            groups in prop::collection::vec("[0-9]{1,5}", 2..8),
            seps in prop::collection::vec(
                prop::sample::select(&[" ", ".", "-", "/", " - ", "(", ") ", "  ", "\u{2013}", "\u{3000}"][..]),
                8,
            ),
            before in prop::sample::select(&["", "Telp ", "+", "(", "Rp ", "NIK: "][..]),
        ) {
            let mut text = before.to_string();
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    text.push_str(seps[i % seps.len()]);
                }
                text.push_str(g);
            }
            let out = mask(&text, &[]);
            prop_assert_eq!(violation(&[], &out), None);
            prop_assert_eq!(mask(&out, &[]), out.clone());
        }

        #[test]
        fn plain_text_is_unchanged(
            words in prop::collection::vec(
                prop_oneof![
                    "(jalan|rusak|lampu|mati|saya|melapor|sudah|belum|warga|banjir|di|ke|dan)",
                    "[A-Za-z]{1,10}",
                ],
                0..30,
            ),
            seps in prop::collection::vec(
                prop::sample::select(
                    &[" ", ", ", ". ", "\n", "\n\n", " (", ") ", " - ", "! ", "? ", ": ", "[", "]"][..],
                ),
                30,
            ),
        ) {
            let mut text = String::new();
            for (i, w) in words.iter().enumerate() {
                // `at`, `dot` and `titik` can spell an address; a plain text has none
                let w = if ["at", "dot", "titik"].contains(&w.to_lowercase().as_str()) { "kata" } else { w };
                text.push_str(w);
                text.push_str(seps[i]);
            }
            prop_assert_eq!(mask(&text, &["Qqqxx Zzzqq"]), text);
        }
    }
}
