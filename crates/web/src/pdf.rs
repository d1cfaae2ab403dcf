//! A small PDF writer for reports and certificates, made in-process with `pdf-writer`.
//!
//! It uses the standard-14 fonts Helvetica and Helvetica-Bold, which every PDF reader has, so
//! nothing is embedded and no font file is needed at build or run time. Text is encoded as
//! WinAnsi (Latin-1 and a few typographic marks: enough for Indonesian and English); any other
//! character becomes `?`. Lines are wrapped with the fonts' published (AFM) widths.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

pub const A4: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 50.0;

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126, from the Adobe AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Helvetica-Bold advance widths for ASCII 32..=126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    fn name(self) -> Name<'static> {
        match self {
            Self::Regular => Name(b"F1"),
            Self::Bold => Name(b"F2"),
        }
    }
}

/// A character as a WinAnsi byte.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '\t' | '\n' | '\r' => b' ',
        _ => b'?',
    }
}

pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// The width of a text in points.
pub fn width(text: &str, font: Font, size: f32) -> f32 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let units: u32 = text
        .chars()
        .map(|c| {
            let b = win_ansi(c);
            if (32..=126).contains(&b) {
                u32::from(table[usize::from(b - 32)])
            } else {
                556
            }
        })
        .sum();
    units as f32 * size / 1000.0
}

/// Breaks a text into lines no wider than `max` points (a word longer than a line is cut).
pub fn wrap(text: &str, font: Font, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, font, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // a word wider than the line: cut it
            let mut piece = String::new();
            for c in word.chars() {
                piece.push(c);
                if width(&piece, font, size) > max {
                    piece.pop();
                    lines.push(std::mem::take(&mut piece));
                    piece.push(c);
                }
            }
            line = piece;
        }
        lines.push(line);
    }
    lines
}

/// A bar of a chart: a label, and up to two values (target, actual).
pub struct Bar {
    pub label: String,
    pub target: Option<f64>,
    pub actual: Option<f64>,
}

/// A document of A4 pages, filled from the top down.
pub struct Doc {
    title: String,
    pages: Vec<Content>,
    page: Content,
    y: f32,
    footer: String,
}

impl Doc {
    pub fn new(title: &str, footer: &str) -> Self {
        Self {
            title: title.to_string(),
            pages: Vec::new(),
            page: Content::new(),
            y: A4.1 - MARGIN,
            footer: footer.to_string(),
        }
    }

    fn text_at(&mut self, x: f32, y: f32, text: &str, font: Font, size: f32) {
        let bytes = encode(text);
        self.page
            .begin_text()
            .set_font(font.name(), size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    pub fn new_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.y = A4.1 - MARGIN;
    }

    /// Starts a new page unless `height` points still fit.
    pub fn need(&mut self, height: f32) {
        if self.y - height < MARGIN + 20.0 {
            self.new_page();
        }
    }

    pub fn space(&mut self, h: f32) {
        self.y -= h;
    }

    pub fn heading(&mut self, text: &str, size: f32) {
        self.need(size * 2.5);
        self.y -= size * 0.6;
        for line in wrap(text, Font::Bold, size, A4.0 - 2.0 * MARGIN) {
            self.y -= size * 1.2;
            self.text_at(MARGIN, self.y, &line, Font::Bold, size);
        }
        self.y -= size * 0.4;
    }

    pub fn para(&mut self, text: &str, size: f32) {
        self.para_at(text, Font::Regular, size, MARGIN);
    }

    pub fn para_at(&mut self, text: &str, font: Font, size: f32, x: f32) {
        for line in wrap(text, font, size, A4.0 - MARGIN - x) {
            self.need(size * 1.4);
            self.y -= size * 1.4;
            self.text_at(x, self.y, &line, font, size);
        }
    }

    /// A centred line (certificates).
    pub fn centred(&mut self, text: &str, font: Font, size: f32) {
        for line in wrap(text, font, size, A4.0 - 2.0 * MARGIN) {
            self.need(size * 1.5);
            self.y -= size * 1.5;
            let x = (A4.0 - width(&line, font, size)) / 2.0;
            self.text_at(x, self.y, &line, font, size);
        }
    }

    /// A table with a bold header row; `widths` are fractions of the text width.
    pub fn table(&mut self, header: &[String], rows: &[Vec<String>], widths: &[f32]) {
        let size = 8.5;
        let total = A4.0 - 2.0 * MARGIN;
        let cols: Vec<f32> = widths.iter().map(|w| w * total).collect();
        let draw_row = |doc: &mut Doc, cells: &[String], font: Font, shade: bool| {
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .zip(&cols)
                .map(|(c, w)| wrap(c, font, size, w - 6.0))
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            let h = lines as f32 * size * 1.3 + 4.0;
            doc.need(h);
            if shade {
                doc.page
                    .save_state()
                    .set_fill_rgb(0.9, 0.93, 0.96)
                    .rect(MARGIN, doc.y - h, total, h)
                    .fill_nonzero()
                    .restore_state();
            }
            let mut x = MARGIN;
            for (cell, w) in wrapped.iter().zip(&cols) {
                let mut y = doc.y - size - 2.0;
                for line in cell {
                    doc.text_at(x + 3.0, y, line, font, size);
                    y -= size * 1.3;
                }
                x += w;
            }
            doc.y -= h;
            doc.page
                .set_stroke_rgb(0.75, 0.78, 0.82)
                .set_line_width(0.5)
                .move_to(MARGIN, doc.y)
                .line_to(MARGIN + total, doc.y)
                .stroke();
        };
        // room for the descenders of the line above
        self.y -= 4.0;
        draw_row(self, header, Font::Bold, true);
        for r in rows {
            draw_row(self, r, Font::Regular, false);
        }
        self.y -= 6.0;
    }

    /// A bar chart of targets (grey) and actuals (blue) per year, with its values written
    /// beside the bars, so it reads in black and white too.
    pub fn chart(&mut self, bars: &[Bar], legend: (&str, &str)) {
        if bars.is_empty() {
            return;
        }
        let height = 90.0;
        self.need(height + 40.0);
        let max = bars
            .iter()
            .flat_map(|b| [b.target, b.actual])
            .flatten()
            .fold(0.0_f64, f64::max)
            .max(1.0);
        let top = self.y - 8.0;
        let base = top - height;
        let slot = ((A4.0 - 2.0 * MARGIN) / bars.len() as f32).min(90.0);
        let bar_w = (slot - 16.0) / 2.0;
        self.page
            .set_stroke_rgb(0.3, 0.3, 0.3)
            .set_line_width(0.7)
            .move_to(MARGIN, base)
            .line_to(MARGIN + slot * bars.len() as f32, base)
            .stroke();
        for (i, b) in bars.iter().enumerate() {
            let x = MARGIN + slot * i as f32 + 6.0;
            for (j, (v, rgb)) in [(b.target, (0.7, 0.72, 0.75)), (b.actual, (0.1, 0.36, 0.62))]
                .into_iter()
                .enumerate()
            {
                let Some(v) = v else { continue };
                let h = (v / max * f64::from(height - 12.0)) as f32;
                let bx = x + j as f32 * (bar_w + 2.0);
                self.page
                    .save_state()
                    .set_fill_rgb(rgb.0, rgb.1, rgb.2)
                    .rect(bx, base, bar_w, h.max(0.5))
                    .fill_nonzero()
                    .restore_state();
                let label = trim_number(v);
                self.text_at(bx, base + h + 2.0, &label, Font::Regular, 6.5);
            }
            self.text_at(x, base - 10.0, &b.label, Font::Regular, 7.5);
        }
        // legend
        let ly = base - 24.0;
        for (k, (text, rgb)) in [(legend.0, (0.7, 0.72, 0.75)), (legend.1, (0.1, 0.36, 0.62))]
            .into_iter()
            .enumerate()
        {
            let lx = MARGIN + k as f32 * 110.0;
            self.page
                .save_state()
                .set_fill_rgb(rgb.0, rgb.1, rgb.2)
                .rect(lx, ly, 8.0, 8.0)
                .fill_nonzero()
                .restore_state();
            self.text_at(lx + 12.0, ly + 1.0, text, Font::Regular, 7.5);
        }
        self.y = ly - 10.0;
    }

    /// A thin rule across the page.
    pub fn rule(&mut self) {
        self.need(10.0);
        self.y -= 5.0;
        self.page
            .set_stroke_rgb(0.1, 0.36, 0.62)
            .set_line_width(1.0)
            .move_to(MARGIN, self.y)
            .line_to(A4.0 - MARGIN, self.y)
            .stroke();
        self.y -= 5.0;
    }

    /// A frame around the page (certificates).
    pub fn frame(&mut self) {
        self.page
            .set_stroke_rgb(0.1, 0.36, 0.62)
            .set_line_width(3.0)
            .rect(25.0, 25.0, A4.0 - 50.0, A4.1 - 50.0)
            .stroke();
    }

    /// The finished file: every page gets the footer and "page n of N".
    pub fn finish(mut self, page_word: &str, of_word: &str) -> Vec<u8> {
        self.new_page();
        let n = self.pages.len();
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first = 10;
        let page_ids: Vec<Ref> = (0..n).map(|i| Ref::new(first + 2 * i as i32)).collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(n as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(&self.title))
            .producer(TextStr("kotapintar"));
        let footer = self.footer.clone();
        for (i, mut content) in self.pages.into_iter().enumerate() {
            let label = format!("{footer} · {page_word} {} {of_word} {n}", i + 1);
            let label = encode(&label);
            content
                .begin_text()
                .set_font(Font::Regular.name(), 7.5)
                .next_line(MARGIN, 28.0)
                .show(Str(&label))
                .end_text();
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, A4.0, A4.1))
                .parent(tree)
                .contents(content_id);
            let mut res = page.resources();
            res.fonts()
                .pair(Font::Regular.name(), regular)
                .pair(Font::Bold.name(), bold);
            res.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        pdf.finish()
    }
}

/// `12`, `12.5`: a chart label without needless zeros.
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_wrapping() {
        assert!((width("Helvetica", Font::Regular, 10.0) - 41.12).abs() < 0.01);
        let lines = wrap(
            "Kabupaten Badung menyampaikan kemajuan program smart city kepada kementerian",
            Font::Regular,
            10.0,
            150.0,
        );
        assert!(lines.len() >= 3, "{lines:?}");
        for l in &lines {
            assert!(width(l, Font::Regular, 10.0) <= 150.0);
        }
        assert_eq!(encode("Rp 5 – ok ✓"), b"Rp 5 \x96 ok ?".to_vec());
    }

    #[test]
    fn a_document_has_its_pages() {
        let mut d = Doc::new("Uji", "kotapintar");
        d.heading("Laporan", 16.0);
        for i in 0..120 {
            d.para(&format!("Baris {i}"), 10.0);
        }
        let bytes = d.finish("Halaman", "dari");
        assert!(bytes.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Count 3"), "three pages for 120 lines");
        // page text is checked through pdftotext in the integration tests
        assert!(text.contains("/BaseFont /Helvetica-Bold"));
    }
}
