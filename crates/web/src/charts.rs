//! Charts drawn on the server as SVG: the geometry is computed here, the markup is written
//! by the templates (`templates/kinerja/charts.html`), so every text is escaped. Each chart
//! is shown with a real table of the same numbers beside it, and the same rows make the CSV.

use kotapintar_domain::intake::BoundingBox;

/// A horizontal bar chart: one labelled bar per row. Its labels and values are HTML text
/// (the page's own size, wrapping, never cut off) and only the bars are drawn, each scaled to
/// the largest value, so a long unit name stays readable on a phone.
pub struct HBarChart {
    pub bars: Vec<HBar>,
}

pub struct HBar {
    pub label: String,
    pub value_text: String,
    /// The bar's length as a share of the longest, 0..=100.
    pub share: f64,
    pub href: Option<String>,
}

/// Bars for `(label, value, value as text, link)`, scaled to the largest value.
pub fn hbar(rows: Vec<(String, f64, String, Option<String>)>) -> HBarChart {
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let bars = rows
        .into_iter()
        .map(|(label, value, value_text, href)| HBar {
            label,
            value_text,
            // a value above zero keeps a sliver, so it never reads as nothing
            share: if max > 0.0 {
                (value / max * 100.0).max(if value > 0.0 { 0.5 } else { 0.0 })
            } else {
                0.0
            },
            href,
        })
        .collect();
    HBarChart { bars }
}

/// A column chart with two series side by side per period (received and resolved). It is
/// drawn 360 units wide, about the width of a phone's column, so its 13-unit text is about
/// 13 px there; the style sheet keeps it from growing much wider on a large screen.
pub struct ColumnChart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub plot_top: f64,
    pub plot_bottom: f64,
    pub max: i64,
    pub groups: Vec<ColumnGroup>,
}

pub struct ColumnGroup {
    pub label: String,
    pub label_x: f64,
    pub show_label: bool,
    pub columns: Vec<Column>,
}

pub struct Column {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    /// The series: 0 received (solid), 1 resolved (hatched).
    pub series: usize,
    pub title: String,
}

/// One series' value in a period: (series index, series name, value).
pub type Series = (usize, String, i64);

/// The chart text's size in SVG units (13 px at the phone width).
pub const FONT: f64 = 13.0;

/// The width of `text` at [`FONT`], estimated generously (digits and Latin letters are at
/// most about 0.62 em wide in the system sans-serif fonts), so labels placed by it never touch.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * FONT * 0.62
}

/// Columns for `(period label, [series values])`.
pub fn columns(groups: Vec<(String, Vec<Series>)>) -> ColumnChart {
    let width = 360.0;
    let (top, bottom) = (12.0, 180.0);
    let max = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|c| c.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let left = text_width(&max.to_string()) + 10.0;
    let right = 4.0;
    let n = groups.len().max(1) as f64;
    let slot = (width - left - right) / n;
    // Label every k-th period, k chosen so that two shown labels are a label's width and a
    // gap apart; the first and last are kept inside the chart.
    let widest = groups
        .iter()
        .map(|g| text_width(&g.0))
        .fold(0.0_f64, f64::max);
    let every = (((widest + 12.0) / slot).ceil() as usize).max(1);
    // the right end of the last label shown; one pushed inside the chart may come too close
    // to its neighbour, and is then left out
    let mut shown_to = f64::NEG_INFINITY;
    let groups = groups
        .into_iter()
        .enumerate()
        .map(|(i, (label, series))| {
            let k = series.len().max(1) as f64;
            let w = (slot * 0.8 / k).max(1.0);
            let x0 = left + i as f64 * slot + slot * 0.1;
            let half = text_width(&label) / 2.0;
            let label_x =
                (x0 + slot * 0.4).clamp(left + half, (width - right - half).max(left + half));
            let show_label = i % every == 0 && label_x - half >= shown_to + 8.0;
            if show_label {
                shown_to = label_x + half;
            }
            ColumnGroup {
                label_x,
                show_label,
                columns: series
                    .into_iter()
                    .enumerate()
                    .map(|(j, (series, name, v))| {
                        let h = v as f64 / max as f64 * (bottom - top);
                        Column {
                            x: x0 + j as f64 * w,
                            y: bottom - h,
                            w,
                            h,
                            series,
                            title: format!("{label}: {name} {v}"),
                        }
                    })
                    .collect(),
                label,
            }
        })
        .collect();
    ColumnChart {
        width,
        height: bottom + 24.0,
        left,
        plot_top: top,
        plot_bottom: bottom,
        max,
        groups,
    }
}

#[cfg(test)]
impl ColumnChart {
    /// Where the shown period labels start and end, left to right.
    pub fn label_extents(&self) -> Vec<(f64, f64)> {
        self.groups
            .iter()
            .filter(|g| g.show_label)
            .map(|g| {
                let half = text_width(&g.label) / 2.0;
                (g.label_x - half, g.label_x + half)
            })
            .collect()
    }
}

/// A map of points over the regency, in Web Mercator at a zoom where the regency fits in a
/// few 256-pixel tiles, so a tile server's images (when configured) line up underneath.
pub struct PointMap {
    /// The SVG viewBox: x, y, width, height in global pixel coordinates.
    pub view: (f64, f64, f64, f64),
    pub tiles: Vec<Tile>,
    pub points: Vec<MapPoint>,
}

pub struct Tile {
    pub x: f64,
    pub y: f64,
    pub href: String,
}

pub struct MapPoint {
    pub x: f64,
    pub y: f64,
    pub href: String,
    pub title: String,
    pub open: bool,
}

fn mercator(lat: f64, lon: f64, zoom: u32) -> (f64, f64) {
    let scale = 256.0 * f64::from(1u32 << zoom);
    let x = (lon + 180.0) / 360.0 * scale;
    let lat = lat.clamp(-85.0, 85.0).to_radians();
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * scale;
    (x, y)
}

/// Lays out the map of `bounds` with `points` as (lat, lon, link, title, open); tiles only
/// when a tile URL template (`{z}`, `{x}`, `{y}`, optionally `{s}`) is given.
pub fn point_map(
    bounds: &BoundingBox,
    tile_url: Option<&str>,
    points: impl IntoIterator<Item = (f64, f64, String, String, bool)>,
) -> PointMap {
    // The largest zoom at which the regency spans at most 4 × 4 tiles.
    let mut zoom = 8;
    for z in (8..=14).rev() {
        let (x0, y0) = mercator(bounds.max_lat, bounds.min_lon, z);
        let (x1, y1) = mercator(bounds.min_lat, bounds.max_lon, z);
        let tx = (x1 / 256.0).floor() - (x0 / 256.0).floor() + 1.0;
        let ty = (y1 / 256.0).floor() - (y0 / 256.0).floor() + 1.0;
        if tx <= 4.0 && ty <= 4.0 {
            zoom = z;
            break;
        }
    }
    let (x0, y0) = mercator(bounds.max_lat, bounds.min_lon, zoom);
    let (x1, y1) = mercator(bounds.min_lat, bounds.max_lon, zoom);
    let mut tiles = Vec::new();
    if let Some(url) = tile_url {
        let (tx0, ty0) = ((x0 / 256.0).floor() as i64, (y0 / 256.0).floor() as i64);
        let (tx1, ty1) = ((x1 / 256.0).floor() as i64, (y1 / 256.0).floor() as i64);
        for ty in ty0..=ty1 {
            for tx in tx0..=tx1 {
                tiles.push(Tile {
                    x: tx as f64 * 256.0,
                    y: ty as f64 * 256.0,
                    href: url
                        .replace("{z}", &zoom.to_string())
                        .replace("{x}", &tx.to_string())
                        .replace("{y}", &ty.to_string())
                        .replace("{s}", "a"),
                });
            }
        }
    }
    let points = points
        .into_iter()
        .filter(|(lat, lon, ..)| bounds.contains(*lat, *lon))
        .map(|(lat, lon, href, title, open)| {
            let (x, y) = mercator(lat, lon, zoom);
            MapPoint {
                x,
                y,
                href,
                title,
                open,
            }
        })
        .collect();
    PointMap {
        view: (x0, y0, (x1 - x0).max(1.0), (y1 - y0).max(1.0)),
        tiles,
        points,
    }
}

impl PointMap {
    pub fn view_box(&self) -> String {
        format!(
            "{:.1} {:.1} {:.1} {:.1}",
            self.view.0, self.view.1, self.view.2, self.view.3
        )
    }

    /// A point's radius in map pixels: readable whatever the zoom.
    pub fn radius(&self) -> f64 {
        (self.view.2.max(self.view.3) / 90.0).max(2.0)
    }
}

/// The origin of a tile URL template for the Content-Security-Policy (`{s}` subdomains as a
/// wildcard), e.g. `https://tile.openstreetmap.org`.
pub fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    let host = host.replace("{s}", "*");
    (!host.is_empty() && !host.contains('{')).then(|| format!("{scheme}://{host}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_keep_whole_names() {
        let long = "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana";
        let c = hbar(vec![
            (long.into(), 10.0, "10".into(), None),
            ("B".into(), 5.0, "5".into(), None),
            ("C".into(), 0.0, "0".into(), None),
            ("D".into(), 0.01, "0,01".into(), None),
        ]);
        assert_eq!(c.bars[0].share, 100.0);
        assert_eq!(c.bars[1].share, 50.0);
        assert_eq!(c.bars[2].share, 0.0);
        assert_eq!(c.bars[3].share, 0.5);
        assert_eq!(c.bars[0].label, long);
    }

    fn weeks(n: usize) -> Vec<(String, Vec<Series>)> {
        (0..n)
            .map(|i| {
                (
                    format!("2026-{:02}-{:02}", 1 + i / 4, 1 + (i % 4) * 7),
                    vec![
                        (0, "received".into(), i as i64 * 3),
                        (1, "resolved".into(), 1),
                    ],
                )
            })
            .collect()
    }

    #[test]
    fn period_labels_never_overlap_and_stay_inside() {
        for n in [1, 2, 5, 13, 27, 53, 120] {
            let c = columns(weeks(n));
            let spans = c.label_extents();
            assert!(!spans.is_empty(), "{n} periods: no label shown");
            for w in spans.windows(2) {
                assert!(
                    w[0].1 + 4.0 <= w[1].0,
                    "{n} periods: {:?} and {:?} overlap",
                    w[0],
                    w[1]
                );
            }
            assert!(
                spans[0].0 >= c.left - 0.01,
                "{n}: first label leaves the chart"
            );
            let last = spans[spans.len() - 1];
            assert!(last.1 <= c.width + 0.01, "{n}: last label leaves the chart");
            for g in &c.groups {
                for col in &g.columns {
                    assert!(
                        col.x >= c.left && col.x + col.w <= c.width,
                        "{n}: column outside"
                    );
                }
            }
        }
    }

    #[test]
    fn columns_are_as_high_as_their_values() {
        let c = columns(vec![
            (
                "W1".into(),
                vec![(0, "received".into(), 4), (1, "resolved".into(), 2)],
            ),
            (
                "W2".into(),
                vec![(0, "received".into(), 0), (1, "resolved".into(), 1)],
            ),
        ]);
        assert_eq!(c.max, 4);
        assert_eq!(c.groups[0].columns[0].h, 168.0);
        assert_eq!(c.groups[0].columns[1].h, 84.0);
        assert_eq!(c.groups[1].columns[0].h, 0.0);
    }

    #[test]
    fn tiles_line_up_with_points() {
        let m = point_map(
            &BoundingBox::BADUNG,
            Some("https://{s}.tile.example/{z}/{x}/{y}.png"),
            [(-8.72, 115.17, "/x".into(), "x".into(), true)],
        );
        assert!(!m.tiles.is_empty() && m.tiles.len() <= 16);
        let p = &m.points[0];
        // the point lies inside the view and inside one of the tiles
        assert!(p.x >= m.view.0 && p.x <= m.view.0 + m.view.2);
        assert!(m
            .tiles
            .iter()
            .any(|t| p.x >= t.x && p.x < t.x + 256.0 && p.y >= t.y && p.y < t.y + 256.0));
        assert!(m.tiles[0].href.starts_with("https://a.tile.example/"));
        let none = point_map(&BoundingBox::BADUNG, None, []);
        assert!(none.tiles.is_empty());
        assert_eq!(
            tile_origin("https://{s}.tile.example/{z}/{x}/{y}.png").as_deref(),
            Some("https://*.tile.example")
        );
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png").as_deref(),
            Some("https://tile.openstreetmap.org")
        );
    }
}

// --- bar charts and QR codes (masterplan and bimtek) ---

/// Escapes text for SVG (XML) content and attributes.
pub fn xml_escape(s: &str) -> String {
    kotapintar_domain::markdown::escape(s)
}

/// One group of bars (a year): its label and up to two values (target, actual).
pub struct Group {
    pub label: String,
    pub values: [Option<f64>; 2],
}

/// Grouped bars: the first value of each group grey (target), the second blue (actual),
/// each with its number above it.
pub fn bars(groups: &[Group], label: &str, legend: [&str; 2]) -> String {
    let w_slot = 70.0;
    let width = (groups.len().max(1) as f64 * w_slot + 20.0).max(220.0);
    let height = 170.0;
    let base = 130.0;
    let max = groups
        .iter()
        .flat_map(|g| g.values.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b))
        .max(1.0);
    let mut s = format!(
        "<svg class=\"chart\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        xml_escape(label)
    );
    s.push_str(&format!(
        "<line x1=\"10\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#444\"/>",
        width - 10.0
    ));
    let colours = ["#9aa3ad", "#1a5c9e"];
    for (i, g) in groups.iter().enumerate() {
        let x0 = 16.0 + i as f64 * w_slot;
        for (j, v) in g.values.iter().enumerate() {
            let Some(v) = v else { continue };
            let h = (v / max * 100.0).max(0.5);
            let x = x0 + j as f64 * 26.0;
            s.push_str(&format!(
                "<rect x=\"{x}\" y=\"{}\" width=\"24\" height=\"{h:.1}\" fill=\"{}\"/>",
                base - h,
                colours[j]
            ));
            s.push_str(&format!(
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
                x + 12.0,
                base - h - 3.0,
                xml_escape(&crate::pdf::trim_number(*v))
            ));
        }
        s.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#222\">{}</text>",
            x0 + 25.0,
            base + 15.0,
            xml_escape(&g.label)
        ));
    }
    for (j, l) in legend.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        let x = 12.0 + j as f64 * 100.0;
        s.push_str(&format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#222\">{}</text>",
            height - 16.0,
            colours[j],
            x + 14.0,
            height - 7.0,
            xml_escape(l)
        ));
    }
    s.push_str("</svg>");
    s
}

/// A QR code of `text` as SVG (the check-in code a participant shows at the venue).
pub fn qr(text: &str, label: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(180, 180)
                .quiet_zone(true)
                .build();
            // drop the XML declaration and name the picture
            let body = svg
                .split_once("<svg")
                .map(|(_, rest)| rest)
                .unwrap_or(&svg)
                .to_string();
            format!(
                "<svg role=\"img\" aria-label=\"{}\" class=\"qr\"{body}",
                xml_escape(label)
            )
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod bar_and_qr_tests {
    use super::*;

    #[test]
    fn charts_are_labelled_and_escaped() {
        let svg = bars(
            &[Group {
                label: "2026".into(),
                values: [Some(60.0), Some(72.5)],
            }],
            "Target <dan> capaian",
            ["Target", "Capaian"],
        );
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-label=\"Target &lt;dan&gt; capaian\""));
        assert!(svg.contains(">72.5<"));
        let q = qr("K7QM-3XPA", "QR");
        assert!(q.starts_with("<svg role=\"img\" aria-label=\"QR\""), "{q}");
        assert!(q.contains("<path") || q.contains("<rect"));
    }
}
