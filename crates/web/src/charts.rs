//! Charts drawn on the server as SVG: the geometry is computed here, the markup is written
//! by the templates (`templates/kinerja/charts.html`), so every text is escaped. Each chart
//! is shown with a real table of the same numbers beside it, and the same rows make the CSV.

use kotapintar_domain::intake::BoundingBox;

/// A horizontal bar chart: one labelled bar per row.
pub struct HBarChart {
    pub width: f64,
    pub height: f64,
    pub label_width: f64,
    pub bars: Vec<HBar>,
}

pub struct HBar {
    pub label: String,
    pub value_text: String,
    pub y: f64,
    pub w: f64,
    pub href: Option<String>,
}

const ROW: f64 = 30.0;
const BAR: f64 = 20.0;

/// Bars for `(label, value, value as text, link)`, scaled to the largest value.
pub fn hbar(rows: Vec<(String, f64, String, Option<String>)>) -> HBarChart {
    let width = 640.0;
    let label_width = 260.0;
    let room = width - label_width - 70.0;
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max);
    let bars = rows
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, value_text, href))| HBar {
            label: shorten(&label, 34),
            value_text,
            y: i as f64 * ROW + (ROW - BAR) / 2.0,
            w: if max > 0.0 {
                (value / max * room).max(if value > 0.0 { 1.0 } else { 0.0 })
            } else {
                0.0
            },
            href,
        })
        .collect::<Vec<_>>();
    HBarChart {
        width,
        height: (bars.len().max(1) as f64) * ROW,
        label_width,
        bars,
    }
}

impl HBar {
    pub fn text_y(&self) -> f64 {
        self.y + BAR / 2.0 + 5.0
    }

    pub fn bar_h(&self) -> f64 {
        BAR
    }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A column chart with two series side by side per period (received and resolved).
pub struct ColumnChart {
    pub width: f64,
    pub height: f64,
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
    pub class: &'static str,
    pub title: String,
}

/// One series' value in a period: (CSS class, series name, value).
pub type Series = (&'static str, String, i64);

/// Columns for `(period label, [series values])`.
pub fn columns(groups: Vec<(String, Vec<Series>)>) -> ColumnChart {
    let width = 640.0;
    let (top, bottom) = (20.0, 200.0);
    let left = 40.0;
    let max = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|c| c.2))
        .max()
        .unwrap_or(0)
        .max(1);
    let n = groups.len().max(1) as f64;
    let slot = (width - left - 10.0) / n;
    // Label every k-th period so labels never overlap (about 60 px each).
    let every = ((60.0 / slot).ceil() as usize).max(1);
    let groups = groups
        .into_iter()
        .enumerate()
        .map(|(i, (label, series))| {
            let k = series.len().max(1) as f64;
            let w = (slot * 0.8 / k).max(1.0);
            let x0 = left + i as f64 * slot + slot * 0.1;
            ColumnGroup {
                label_x: x0 + slot * 0.4,
                show_label: i % every == 0,
                columns: series
                    .into_iter()
                    .enumerate()
                    .map(|(j, (class, name, v))| {
                        let h = v as f64 / max as f64 * (bottom - top);
                        Column {
                            x: x0 + j as f64 * w,
                            y: bottom - h,
                            w,
                            h,
                            class,
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
        height: 240.0,
        plot_top: top,
        plot_bottom: bottom,
        max,
        groups,
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
    fn bars_scale_to_the_largest() {
        let c = hbar(vec![
            ("A".into(), 10.0, "10".into(), None),
            ("B".into(), 5.0, "5".into(), None),
            ("C".into(), 0.0, "0".into(), None),
        ]);
        assert_eq!(c.bars[0].w, 310.0);
        assert_eq!(c.bars[1].w, 155.0);
        assert_eq!(c.bars[2].w, 0.0);
        assert_eq!(c.height, 90.0);
    }

    #[test]
    fn columns_are_as_high_as_their_values() {
        let c = columns(vec![
            (
                "W1".into(),
                vec![("a", "received".into(), 4), ("b", "resolved".into(), 2)],
            ),
            (
                "W2".into(),
                vec![("a", "received".into(), 0), ("b", "resolved".into(), 1)],
            ),
        ]);
        assert_eq!(c.max, 4);
        assert_eq!(c.groups[0].columns[0].h, 180.0);
        assert_eq!(c.groups[0].columns[1].h, 90.0);
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
