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
mod tests;
