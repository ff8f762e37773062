//! Draws the figures of `docs/benchmarks.md` as SVG files from measured data:
//! criterion's estimates (`target/criterion/.../new/estimates.json`) and the
//! end-to-end results of `hetpaxos-bench --json` kept in
//! `docs/bench/e2e.jsonl` (one JSON object per line).
//!
//! ```text
//! cargo run -p hetpaxos-benches --bin plots -- [--criterion DIR] [--e2e FILE] [--out DIR]
//! ```
//!
//! Writes `ingest.svg` (cost per message against history, log–log, with the
//! earlier implementation's published figure for comparison), `latency.svg`
//! (decision latency against acceptors) and `messages.svg` (messages per
//! decision against acceptors). A figure whose data is missing is skipped
//! with a note on stderr.
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One series: a name, a colour, points (x, y).
struct Series {
    name: String,
    colour: &'static str,
    points: Vec<(f64, f64)>,
}

/// A log–log (or lin–log) chart.
struct Chart {
    title: String,
    x_label: String,
    y_label: String,
    log_x: bool,
    series: Vec<Series>,
}

const W: f64 = 640.0;
const H: f64 = 420.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 60.0;

fn decades(lo: f64, hi: f64) -> (f64, f64) {
    (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    )
}

fn label(v: f64) -> String {
    if !(1e-2..1e6).contains(&v) {
        format!("1e{}", v.log10().round())
    } else if v >= 1.0 {
        format!("{}", v.round())
    } else {
        format!("{v}")
    }
}

impl Chart {
    fn svg(&self) -> Option<String> {
        let pts: Vec<(f64, f64)> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().copied())
            .filter(|(x, y)| *x > 0.0 && *y > 0.0)
            .collect();
        if pts.is_empty() {
            return None;
        }
        let (x_lo, x_hi) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
            (a.min(*x), b.max(*x))
        });
        let (y_lo, y_hi) = pts.iter().fold((f64::MAX, f64::MIN), |(a, b), (_, y)| {
            (a.min(*y), b.max(*y))
        });
        let (yd0, yd1) = decades(y_lo, y_hi);
        let (x0, x1) = if self.log_x {
            decades(x_lo, x_hi)
        } else {
            (0.0, x_hi * 1.05)
        };
        let px = |x: f64| {
            let t = if self.log_x {
                (x.log10() - x0) / (x1 - x0)
            } else {
                (x - x0) / (x1 - x0)
            };
            LEFT + t * (W - LEFT - RIGHT)
        };
        let py = |y: f64| TOP + (1.0 - (y.log10() - yd0) / (yd1 - yd0)) * (H - TOP - BOTTOM);
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="{W}" height="{H}" fill="white"/>"#);
        let _ = writeln!(
            s,
            r#"<text x="{}" y="22" text-anchor="middle" font-size="14">{}</text>"#,
            (LEFT + W - RIGHT) / 2.0,
            self.title
        );
        // Axes and grid.
        let mut d = yd0;
        while d <= yd1 {
            let y = py(10f64.powf(d));
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                label(10f64.powf(d))
            );
            d += 1.0;
        }
        let xticks: Vec<f64> = if self.log_x {
            (x0 as i32..=x1 as i32).map(|e| 10f64.powi(e)).collect()
        } else {
            let step = nice_step(x1 - x0);
            (0..)
                .map(|i| f64::from(i) * step)
                .take_while(|x| *x <= x1)
                .collect()
        };
        for x in xticks {
            let gx = px(x);
            let _ = writeln!(
                s,
                r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{}" stroke="#ddd"/><text x="{gx:.1}" y="{}" text-anchor="middle">{}</text>"##,
                H - BOTTOM,
                H - BOTTOM + 16.0,
                label(x)
            );
        }
        let _ = writeln!(
            s,
            r#"<rect x="{LEFT}" y="{TOP}" width="{}" height="{}" fill="none" stroke="black"/>"#,
            W - LEFT - RIGHT,
            H - TOP - BOTTOM
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (LEFT + W - RIGHT) / 2.0,
            H - 20.0,
            self.x_label
        );
        let _ = writeln!(
            s,
            r#"<text x="18" y="{}" text-anchor="middle" transform="rotate(-90 18 {})">{}</text>"#,
            (TOP + H - BOTTOM) / 2.0,
            (TOP + H - BOTTOM) / 2.0,
            self.y_label
        );
        for (i, series) in self.series.iter().enumerate() {
            let points: Vec<(f64, f64)> = series
                .points
                .iter()
                .copied()
                .filter(|(x, y)| *x > 0.0 && *y > 0.0)
                .collect();
            let path: Vec<String> = points
                .iter()
                .map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y)))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="2"/>"#,
                path.join(" "),
                series.colour
            );
            for (x, y) in &points {
                let _ = writeln!(
                    s,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{}"/>"#,
                    px(*x),
                    py(*y),
                    series.colour
                );
            }
            let ly = TOP + 16.0 + 18.0 * i as f64;
            let _ = writeln!(
                s,
                r#"<rect x="{}" y="{}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
                W - RIGHT + 10.0,
                ly - 10.0,
                series.colour,
                W - RIGHT + 28.0,
                ly,
                series.name
            );
        }
        s.push_str("</svg>\n");
        Some(s)
    }
}

fn nice_step(span: f64) -> f64 {
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw)
}

/// Criterion's median estimate for `group/id` in nanoseconds per element
/// (per iteration divided by the declared throughput in elements), if
/// measured.
fn median_ns(criterion: &Path, group: &str, id: &str) -> Option<f64> {
    let dir = criterion.join(group).join(id).join("new");
    let read = |name: &str| -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(dir.join(name)).ok()?;
        serde_json::from_str(&text).ok()
    };
    let per_iteration = read("estimates.json")?["median"]["point_estimate"].as_f64()?;
    let elements = read("benchmark.json")
        .and_then(|b| b["throughput"]["Elements"].as_f64())
        .unwrap_or(1.0)
        .max(1.0);
    Some(per_iteration / elements)
}

fn write(out: &Path, name: &str, chart: &Chart) {
    match chart.svg() {
        Some(svg) => match std::fs::write(out.join(name), svg) {
            Ok(()) => eprintln!("wrote {}", out.join(name).display()),
            Err(e) => eprintln!("cannot write {}: {e}", out.join(name).display()),
        },
        None => eprintln!("{name}: no data, skipped"),
    }
}

fn main() {
    let mut criterion = PathBuf::from("target/criterion");
    let mut e2e = PathBuf::from("docs/bench/e2e.jsonl");
    let mut out = PathBuf::from("docs/plots");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next();
        match (a.as_str(), value) {
            ("--criterion", Some(v)) => criterion = v.into(),
            ("--e2e", Some(v)) => e2e = v.into(),
            ("--out", Some(v)) => out = v.into(),
            _ => {
                eprintln!("usage: plots [--criterion DIR] [--e2e FILE] [--out DIR]");
                std::process::exit(2);
            }
        }
    }
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        std::process::exit(2);
    }

    // Per-message ingest cost against history.
    let sizes = [100u32, 1_000, 10_000, 100_000];
    let ours: Vec<(f64, f64)> = sizes
        .iter()
        .filter_map(|n| {
            median_ns(&criterion, "ingest_history", &n.to_string())
                .map(|ns| (f64::from(*n), ns / 1e3))
        })
        .collect();
    write(
        &out,
        "ingest.svg",
        &Chart {
            title: "Receiving one message (decode, verify, derive, store)".into(),
            x_label: "messages of history".into(),
            y_label: "µs per message".into(),
            log_x: true,
            series: vec![
                Series {
                    name: "hetpaxos".into(),
                    colour: "#1f77b4",
                    points: ours,
                },
                Series {
                    // The earlier implementation's README: 1.7 s to parse one
                    // message at 195 messages of history.
                    name: "earlier impl.".into(),
                    colour: "#d62728",
                    points: vec![(195.0, 1.7e6)],
                },
            ],
        },
    );

    // End-to-end: latency and messages against acceptors.
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&e2e)
        .map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let by_n = |key: &str| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| Some((r["acceptors"].as_f64()?, r[key].as_f64()?)))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    };
    write(
        &out,
        "latency.svg",
        &Chart {
            title: "Proposal to decision, whole cluster in one process".into(),
            x_label: "acceptors".into(),
            y_label: "ms".into(),
            log_x: false,
            series: vec![
                Series {
                    name: "p50".into(),
                    colour: "#1f77b4",
                    points: by_n("p50_ms"),
                },
                Series {
                    name: "p99".into(),
                    colour: "#ff7f0e",
                    points: by_n("p99_ms"),
                },
            ],
        },
    );
    write(
        &out,
        "messages.svg",
        &Chart {
            title: "Messages sent per decision".into(),
            x_label: "acceptors".into(),
            y_label: "messages".into(),
            log_x: false,
            series: vec![Series {
                name: "messages".into(),
                colour: "#2ca02c",
                points: by_n("msgs_per_decision"),
            }],
        },
    );
}
