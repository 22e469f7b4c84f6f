//! Draws every built-in anomaly and benign event on one normal series and
//! writes one SVG per type (the plots in `docs/anomalies.md`).
//!
//! Run: `cargo run --example anomaly_plots -- docs/img`

use std::fmt::Write as _;
use std::path::PathBuf;

use ghostload::anomaly::{DEFAULT_ANOMALY_MIX, DEFAULT_BENIGN_MIX, builtin, preview};
use ghostload::{CustomerClass, GeneratorConfig, Injection, Pipeline};

const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 220.0;
const MARGIN: f64 = 40.0;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs/img".to_owned()));
    std::fs::create_dir_all(&dir)?;
    // A normal residential series of two years, from the default consumption model.
    let config = GeneratorConfig {
        num_months: 24,
        num_meters: 50,
        num_transformers: 5,
        anomaly_rate: 0.0,
        benign_rate: 0.0,
        ..GeneratorConfig::default()
    };
    let data = Pipeline::builder().config(config).build()?.generate()?;
    let meter = data
        .meters()
        .iter()
        .find(|m| m.customer_class == CustomerClass::Residential)
        .ok_or("no residential meter")?;
    let normal = data.series(meter.id).ok_or("no series")?.to_vec();
    for (name, _) in DEFAULT_ANOMALY_MIX.iter().chain(&DEFAULT_BENIGN_MIX) {
        let injector = builtin(name).ok_or("unknown type")?;
        let mut injected = normal.clone();
        let injection = preview(&*injector, &mut injected, 3, 11)?;
        let severity = 1.0 - injected.iter().sum::<f64>() / normal.iter().sum::<f64>();
        let severity = if severity.abs() < 5e-3 { 0.0 } else { severity }; // no "-0.00"
        let path = dir.join(format!("{name}.svg"));
        std::fs::write(&path, svg(name, &normal, &injected, &injection, severity))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn svg(name: &str, normal: &[f64], injected: &[f64], inj: &Injection, severity: f64) -> String {
    let n = normal.len();
    let top = normal.iter().chain(injected).fold(0.0f64, |a, &b| a.max(b)) * 1.1;
    let x = |t: usize| MARGIN + (WIDTH - 2.0 * MARGIN) * t as f64 / (n - 1).max(1) as f64;
    let y = |v: f64| HEIGHT - MARGIN - (HEIGHT - 2.0 * MARGIN) * v / top;
    let points = |s: &[f64]| {
        s.iter()
            .enumerate()
            .map(|(t, &v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let end = inj.end.map_or("none".to_owned(), |e| e.to_string());
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="18" font-size="13" font-weight="bold">{name}</text><text x="{:.0}" y="18" text-anchor="end">onset {}, end {end}, severity {severity:.2}, theft {}</text>"#,
        WIDTH - MARGIN,
        inj.onset,
        inj.is_theft
    );
    // Affected periods.
    let last = inj.end.unwrap_or(n - 1);
    let _ = writeln!(
        out,
        r##"<rect x="{:.1}" y="{MARGIN}" width="{:.1}" height="{:.1}" fill="#f6d5d1" opacity="0.6"/>"##,
        x(inj.onset) - 3.0,
        x(last) - x(inj.onset) + 6.0,
        HEIGHT - 2.0 * MARGIN
    );
    // Axes, with kWh at the top and months along the bottom.
    let _ = writeln!(
        out,
        r##"<path d="M{MARGIN},{MARGIN} V{b} H{r}" fill="none" stroke="#333"/>"##,
        b = HEIGHT - MARGIN,
        r = WIDTH - MARGIN
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="end">{top:.0}</text><text x="{:.0}" y="{:.0}" text-anchor="end">0</text>"#,
        MARGIN - 4.0,
        MARGIN + 4.0,
        MARGIN - 4.0,
        HEIGHT - MARGIN + 4.0
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.0}" y="{:.0}" text-anchor="middle">month (0 … {}), kWh per month</text>"#,
        WIDTH / 2.0,
        HEIGHT - 12.0,
        n - 1
    );
    let _ = writeln!(
        out,
        r##"<polyline points="{}" fill="none" stroke="#888" stroke-width="1.5" stroke-dasharray="4 3"/>"##,
        points(normal)
    );
    let _ = writeln!(
        out,
        r##"<polyline points="{}" fill="none" stroke="#c0392b" stroke-width="2"/>"##,
        points(injected)
    );
    let _ = writeln!(
        out,
        r##"<text x="{:.0}" y="{:.0}" fill="#888">normal</text><text x="{:.0}" y="{:.0}" fill="#c0392b">injected</text>"##,
        WIDTH - MARGIN - 90.0,
        MARGIN - 6.0,
        WIDTH - MARGIN - 40.0,
        MARGIN - 6.0
    );
    out.push_str("</svg>\n");
    out
}
