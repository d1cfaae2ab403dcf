//! The soak's samples: their summary (memory after warm-up and its trend), the CSV they are
//! kept in, and an SVG chart of memory and file descriptors over time, one line per backend.

use crate::soak::SoakRun;
use std::fmt::Write as _;

/// One reading of the server, every 10 s.
#[derive(Clone, Debug)]
pub struct Sample {
    pub backend: String,
    /// Seconds since the load began.
    pub t_s: f64,
    pub rss_kib: u64,
    pub anon_kib: u64,
    pub fds: u64,
    /// PostgreSQL only: connections to the bench's database.
    pub db_connections: Option<u64>,
    /// Answers so far: as expected, and errors.
    pub served: u64,
    pub errors: u64,
}

const CSV_HEADER: &str = "backend,t_s,rss_kib,anon_kib,fds,db_connections,served,errors";

/// The warm-up left out of the trend: the first fifth of the run.
const WARM_UP: f64 = 0.2;

/// A least-squares line through (minutes, MiB).
#[derive(Clone, Copy, Default)]
pub struct Trend {
    /// MiB per 10 minutes, and its standard error.
    pub slope: f64,
    pub slope_se: f64,
    /// What the line rises (or falls) over the window, and how far readings stray from it.
    pub drift: f64,
    pub residual_sd: f64,
}

impl Trend {
    fn fit(points: &[(f64, f64)]) -> Trend {
        let n = points.len() as f64;
        if points.len() < 3 {
            return Trend::default();
        }
        let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
        let my = points.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let per_minute = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let sse: f64 = points
            .iter()
            .map(|p| (p.1 - my - per_minute * (p.0 - mx)).powi(2))
            .sum();
        let residual_sd = (sse / (n - 2.0)).sqrt();
        let span = points[points.len() - 1].0 - points[0].0;
        Trend {
            slope: per_minute * 10.0,
            slope_se: if sxx > 0.0 {
                residual_sd / sxx.sqrt() * 10.0
            } else {
                0.0
            },
            drift: per_minute * span,
            residual_sd,
        }
    }

    /// Flat within noise: the whole rise over the window is no more than twice the readings'
    /// own scatter around the line (or one MiB, below which nothing is a leak worth the name).
    pub fn flat(&self) -> bool {
        self.drift.abs() <= (2.0 * self.residual_sd).max(1.0)
    }
}

/// The figures BENCHMARKS.md records for one backend.
#[derive(Default)]
pub struct Summary {
    pub minutes: f64,
    pub samples: usize,
    pub warm_up_minutes: f64,
    /// Resident memory after warm-up, MiB: first, last, least, most.
    pub rss: [f64; 4],
    pub rss_trend: Trend,
    pub anon: [f64; 4],
    pub anon_trend: Trend,
    pub fds: (u64, u64),
    pub fds_all: (u64, u64),
    pub connections: Option<(u64, u64)>,
    /// Answers a second over the whole run, as the machine allowed.
    pub rate: f64,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn four(v: &[f64]) -> [f64; 4] {
    [
        v.first().copied().unwrap_or(0.0),
        v.last().copied().unwrap_or(0.0),
        v.iter().copied().fold(f64::INFINITY, f64::min),
        v.iter().copied().fold(0.0, f64::max),
    ]
}

fn min_max(v: impl Iterator<Item = u64> + Clone) -> (u64, u64) {
    (v.clone().min().unwrap_or(0), v.max().unwrap_or(0))
}

impl Summary {
    pub fn of(samples: &[Sample]) -> Summary {
        let end = samples.last().map_or(0.0, |s| s.t_s);
        let warm: Vec<&Sample> = samples.iter().filter(|s| s.t_s >= end * WARM_UP).collect();
        let points = |f: fn(&Sample) -> u64| -> Vec<(f64, f64)> {
            warm.iter().map(|s| (s.t_s / 60.0, mib(f(s)))).collect()
        };
        let rss = points(|s| s.rss_kib);
        let anon = points(|s| s.anon_kib);
        let conns: Vec<u64> = warm.iter().filter_map(|s| s.db_connections).collect();
        Summary {
            minutes: end / 60.0,
            samples: samples.len(),
            warm_up_minutes: end * WARM_UP / 60.0,
            rss: four(&rss.iter().map(|p| p.1).collect::<Vec<_>>()),
            rss_trend: Trend::fit(&rss),
            anon: four(&anon.iter().map(|p| p.1).collect::<Vec<_>>()),
            anon_trend: Trend::fit(&anon),
            fds: min_max(warm.iter().map(|s| s.fds)),
            fds_all: min_max(samples.iter().map(|s| s.fds)),
            connections: (!conns.is_empty()).then(|| min_max(conns.iter().copied())),
            rate: samples
                .last()
                .map_or(0.0, |s| (s.served + s.errors) as f64 / s.t_s.max(1.0)),
        }
    }
}

/// A row of the summary table: its label, and the cell for one backend.
pub struct Line {
    pub label: &'static str,
    pub cell: fn(&Summary) -> String,
}

fn four_cell(v: &[f64; 4]) -> String {
    format!("{:.1} / {:.1} / {:.1} / {:.1}", v[0], v[1], v[2], v[3])
}

fn trend_cell(t: &Trend) -> String {
    format!(
        "{:+.2} ± {:.2} MiB per 10 min (rise {:+.1} MiB, scatter {:.1} MiB): {}",
        t.slope,
        t.slope_se,
        t.drift,
        t.residual_sd,
        if t.flat() {
            "**flat within noise**"
        } else {
            "**a trend beyond noise**"
        }
    )
}

pub fn summary_rows() -> Vec<Line> {
    vec![
        Line {
            label: "samples (every 10 s) / minutes / warm-up left out",
            cell: |s| {
                format!(
                    "{} / {:.1} / first {:.1} min",
                    s.samples, s.minutes, s.warm_up_minutes
                )
            },
        },
        Line {
            label: "answers a second, achieved",
            cell: |s| format!("{:.1}", s.rate),
        },
        Line {
            label: "resident memory (VmRSS) after warm-up, MiB: first / last / min / max",
            cell: |s| four_cell(&s.rss),
        },
        Line {
            label: "its least-squares slope",
            cell: |s| trend_cell(&s.rss_trend),
        },
        Line {
            label: "heap and stacks (RssAnon) after warm-up, MiB: first / last / min / max",
            cell: |s| four_cell(&s.anon),
        },
        Line {
            label: "its least-squares slope",
            cell: |s| trend_cell(&s.anon_trend),
        },
        Line {
            label: "open file descriptors after warm-up: min / max (whole run)",
            cell: |s| {
                format!(
                    "{} / {} ({} / {})",
                    s.fds.0, s.fds.1, s.fds_all.0, s.fds_all.1
                )
            },
        },
        Line {
            label: "database connections after warm-up: min / max",
            cell: |s| match s.connections {
                Some((lo, hi)) => format!("{lo} / {hi}"),
                None => "(SQLite: in the file descriptors)".into(),
            },
        },
    ]
}

/// Writes this run's samples to `path`, keeping the rows of any other backend already there
/// (a soak run on one backend at a time still ends with both in the file and the chart).
/// Returns every sample the file now holds.
pub fn merge_csv(path: &std::path::Path, runs: &[SoakRun]) -> anyhow::Result<Vec<Sample>> {
    let mut all: Vec<Sample> = std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(parse_row)
        .filter(|s| !runs.iter().any(|r| r.backend == s.backend))
        .collect();
    for r in runs {
        all.extend(r.samples.iter().cloned());
    }
    let mut text = String::from(CSV_HEADER);
    text.push('\n');
    for s in &all {
        let _ = writeln!(
            text,
            "{},{:.1},{},{},{},{},{},{}",
            s.backend,
            s.t_s,
            s.rss_kib,
            s.anon_kib,
            s.fds,
            s.db_connections.map(|c| c.to_string()).unwrap_or_default(),
            s.served,
            s.errors
        );
    }
    std::fs::write(path, text)?;
    Ok(all)
}

fn parse_row(line: &str) -> Option<Sample> {
    let f: Vec<&str> = line.split(',').collect();
    if f.len() != 8 {
        return None;
    }
    Some(Sample {
        backend: f[0].to_string(),
        t_s: f[1].parse().ok()?,
        rss_kib: f[2].parse().ok()?,
        anon_kib: f[3].parse().ok()?,
        fds: f[4].parse().ok()?,
        db_connections: f[5].parse().ok(),
        served: f[6].parse().ok()?,
        errors: f[7].parse().ok()?,
    })
}

/// A step for about five ticks up to `max`: 1, 2 or 5 times a power of ten.
fn tick_step(max: f64) -> f64 {
    let raw = (max / 5.0).max(1e-9);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
}

const COLOURS: [&str; 4] = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce"];
const WIDTH: f64 = 860.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 180.0;

/// One panel: a y axis from 0 to a round maximum, lines for each series.
struct Panel<'a> {
    top: f64,
    height: f64,
    label: &'a str,
    max_y: f64,
}

impl Panel<'_> {
    fn y(&self, v: f64) -> f64 {
        self.top + self.height - v / self.max_y * self.height
    }

    fn axes(&self, out: &mut String, max_minutes: f64) {
        let step = tick_step(self.max_y);
        let mut v = 0.0;
        while v <= self.max_y + 1e-9 {
            let y = self.y(v);
            let _ = write!(
                out,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e5e7eb"/><text x="{:.1}" y="{:.1}" text-anchor="end">{v}</text>"##,
                WIDTH - RIGHT,
                LEFT - 6.0,
                y + 4.0
            );
            v += step;
        }
        let x_step = tick_step(max_minutes);
        let mut m = 0.0;
        let bottom = self.top + self.height;
        while m <= max_minutes + 1e-9 {
            let x = x_of(m, max_minutes);
            let _ = write!(
                out,
                r##"<line x1="{x:.1}" y1="{bottom:.1}" x2="{x:.1}" y2="{:.1}" stroke="#9ca3af"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{m}</text>"##,
                bottom + 4.0,
                bottom + 17.0
            );
            m += x_step;
        }
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" stroke="#6b7280"/><text x="18" y="{:.1}" transform="rotate(-90 18 {:.1})" text-anchor="middle">{}</text><text x="{:.1}" y="{:.1}" text-anchor="middle">minutes of load</text>"##,
            self.top,
            WIDTH - LEFT - RIGHT,
            self.height,
            self.top + self.height / 2.0,
            self.top + self.height / 2.0,
            self.label,
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
            bottom + 32.0
        );
    }

    fn line(&self, out: &mut String, points: &[(f64, f64)], max_minutes: f64, style: &str) {
        let d: Vec<String> = points
            .iter()
            .map(|(m, v)| format!("{:.1},{:.1}", x_of(*m, max_minutes), self.y(*v)))
            .collect();
        let _ = write!(
            out,
            r##"<polyline fill="none" stroke-width="1.8" {style} points="{}"/>"##,
            d.join(" ")
        );
    }
}

fn x_of(minutes: f64, max_minutes: f64) -> f64 {
    LEFT + minutes / max_minutes.max(1e-9) * (WIDTH - LEFT - RIGHT)
}

/// The chart: resident memory (solid) and heap and stacks (dashed) above, open file
/// descriptors below, one colour per backend; the warm-up shaded.
pub fn svg(samples: &[Sample], minutes: f64) -> String {
    let mut backends: Vec<&str> = Vec::new();
    for s in samples {
        if !backends.contains(&s.backend.as_str()) {
            backends.push(&s.backend);
        }
    }
    let max_minutes = samples.iter().map(|s| s.t_s / 60.0).fold(minutes, f64::max);
    let max_mib = samples.iter().map(|s| mib(s.rss_kib)).fold(1.0, f64::max);
    let max_fds = samples.iter().map(|s| s.fds as f64).fold(1.0, f64::max);
    let memory = Panel {
        top: 50.0,
        height: 250.0,
        label: "MiB resident",
        max_y: tick_step(max_mib * 1.1) * (max_mib * 1.1 / tick_step(max_mib * 1.1)).ceil(),
    };
    let fds = Panel {
        top: 370.0,
        height: 130.0,
        label: "open fds",
        max_y: tick_step(max_fds * 1.2) * (max_fds * 1.2 / tick_step(max_fds * 1.2)).ceil(),
    };
    let mut desc = String::new();
    for b in &backends {
        let mine: Vec<Sample> = samples
            .iter()
            .filter(|s| s.backend == *b)
            .cloned()
            .collect();
        let s = Summary::of(&mine);
        let _ = write!(
            desc,
            "{b}: after warm-up resident memory {:.1} to {:.1} MiB (slope {:+.2} MiB per 10 minutes), open file descriptors {} to {}. ",
            s.rss[2], s.rss[3], s.rss_trend.slope, s.fds.0, s.fds.1
        );
    }
    let mut out = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 550" width="{WIDTH}" height="550" role="img" aria-labelledby="soak-title soak-desc" font-family="sans-serif" font-size="12"><title id="soak-title">kotapintar soak: server memory and open file descriptors over {minutes} minutes of mixed load</title><desc id="soak-desc">Sampled every 10 seconds; the first fifth (warm-up, shaded) is left out of the figures. {desc}</desc><rect width="100%" height="100%" fill="#ffffff"/><text x="{LEFT}" y="28" font-size="15" font-weight="bold">Server memory and file descriptors during the soak</text>"##
    );
    for p in [&memory, &fds] {
        let _ = write!(
            out,
            r##"<rect x="{LEFT}" y="{:.1}" width="{:.1}" height="{:.1}" fill="#f3f4f6"/>"##,
            p.top,
            x_of(max_minutes * WARM_UP, max_minutes) - LEFT,
            p.height
        );
        p.axes(&mut out, max_minutes);
    }
    for (i, b) in backends.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let pts = |f: fn(&Sample) -> f64| -> Vec<(f64, f64)> {
            samples
                .iter()
                .filter(|s| s.backend == *b)
                .map(|s| (s.t_s / 60.0, f(s)))
                .collect()
        };
        let solid = format!(r##"stroke="{colour}""##);
        let dashed = format!(r##"stroke="{colour}" stroke-dasharray="5 3""##);
        memory.line(&mut out, &pts(|s| mib(s.rss_kib)), max_minutes, &solid);
        memory.line(&mut out, &pts(|s| mib(s.anon_kib)), max_minutes, &dashed);
        fds.line(&mut out, &pts(|s| s.fds as f64), max_minutes, &solid);
        let ly = 60.0 + i as f64 * 60.0;
        let lx = WIDTH - RIGHT + 14.0;
        let _ = write!(
            out,
            r##"<line x1="{lx}" y1="{ly}" x2="{:.1}" y2="{ly}" {solid} stroke-width="2"/><text x="{:.1}" y="{:.1}">{b} resident</text><line x1="{lx}" y1="{:.1}" x2="{:.1}" y2="{:.1}" {dashed} stroke-width="2"/><text x="{:.1}" y="{:.1}">{b} heap+stacks</text>"##,
            lx + 22.0,
            lx + 28.0,
            ly + 4.0,
            ly + 20.0,
            lx + 22.0,
            ly + 20.0,
            lx + 28.0,
            ly + 24.0
        );
    }
    let _ = write!(
        out,
        r##"<text x="{:.1}" y="{:.1}" fill="#6b7280">shaded: warm-up</text></svg>"##,
        WIDTH - RIGHT + 14.0,
        60.0 + backends.len() as f64 * 60.0
    );
    out.push('\n');
    out
}
