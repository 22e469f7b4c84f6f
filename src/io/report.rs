//! `generation_report.json` (machine-readable) and `generation_report.txt`
//! (the human version, laid out like the original tool's).
//!
//! Both are deterministic: they hold no timestamp, host name or elapsed
//! time, so the same configuration gives byte-identical reports.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::calendar::TimeZone;
use crate::checks::ValidationReport;
use crate::config::GeneratorConfig;
use crate::dataset::{Dataset, Warning};
use crate::io::sink::IntervalCounts;
use crate::report::Summary;
use crate::shard::Shard;
use crate::time::{Resolution, TimeAxis};
use crate::weather::Weather;

/// File name of the machine-readable report.
pub const REPORT_JSON: &str = "generation_report.json";
/// File name of the human-readable report.
pub const REPORT_TXT: &str = "generation_report.txt";

/// Everything `generation_report.json` holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
#[non_exhaustive]
pub struct GenerationReport {
    /// Always `ghostload`.
    pub generator: String,
    /// The crate version that wrote the dataset.
    pub version: String,
    /// The full effective configuration.
    pub config: GeneratorConfig,
    /// The dataset's statistics.
    pub summary: Summary,
    /// Whether every validation check passed.
    pub validation_passed: bool,
    /// Every validation check with its result.
    pub validation: ValidationReport,
    /// What the pipeline adjusted, in words.
    pub warnings: Vec<String>,
    /// The data files of the dataset directory, sorted.
    pub files: Vec<String>,
    /// For a sharded run, which shard this directory holds (its summary and
    /// checks cover that shard's meters only); absent for a whole dataset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
    /// Interval data: resolution, zone, readings and weather; absent at
    /// monthly resolution (so a monthly report is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<IntervalReport>,
    /// The energy balance: shares of feeder-head energy and overloaded
    /// transformers; absent when the balance is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub energy_balance: Option<BalanceReport>,
}

/// What the report says about the energy balance (shares of the energy at
/// the feeder heads, or of the transformers' inputs for a shard).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct BalanceReport {
    /// Transformers balanced.
    pub transformers: usize,
    /// Feeders balanced (0 for a shard).
    pub feeders: usize,
    /// Energy in, kWh (3 decimals).
    pub input_kwh: f64,
    /// Technical losses over input (6 decimals).
    pub technical_loss_share: f64,
    /// Non-technical loss (drawn, not billed) over input (6 decimals).
    pub non_technical_loss_share: f64,
    /// Street lighting over input (6 decimals).
    pub unmetered_share: f64,
    /// Billed energy over input (6 decimals).
    pub billed_share: f64,
    /// Transformers whose peak loading exceeds their rating, in id order.
    pub overloaded: Vec<OverloadedTransformer>,
}

/// A transformer loaded past its rating.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct OverloadedTransformer {
    /// `TX_0001`, ...
    pub transformer_id: String,
    /// Its peak loading per unit of its rating (3 decimals).
    pub peak_loading: f64,
}

impl BalanceReport {
    /// The section for `summary` of `transformers` and `feeders`.
    #[must_use]
    pub fn of(summary: &crate::balance::BalanceSummary, transformers: usize, feeders: usize) -> BalanceReport {
        let round = |v: f64, d: i32| {
            let scale = 10f64.powi(d);
            (v * scale).round() / scale
        };
        BalanceReport {
            transformers,
            feeders,
            input_kwh: round(summary.input_kwh, 3),
            technical_loss_share: round(summary.technical_loss_share, 6),
            non_technical_loss_share: round(summary.non_technical_loss_share, 6),
            unmetered_share: round(summary.unmetered_share, 6),
            billed_share: round(summary.billed_share, 6),
            overloaded: summary
                .overloaded
                .iter()
                .map(|(id, load)| OverloadedTransformer {
                    transformer_id: id.to_string(),
                    peak_loading: round(*load, 3),
                })
                .collect(),
        }
    }
}

/// What the report says about interval data.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct IntervalReport {
    /// The series' resolution.
    pub resolution: Resolution,
    /// The zone of the timestamps.
    pub timezone: TimeZone,
    /// Its offset, `±HH:MM`.
    pub utc_offset: String,
    /// Readings per meter (intervals of the series axis).
    pub intervals_per_meter: usize,
    /// Readings written, present and missing (meters × intervals).
    pub readings: u64,
    /// Missing readings (empty cells).
    pub missing_readings: u64,
    /// Runs of missing readings (each a `missing_data` event).
    pub missing_runs: u64,
    /// `typhoon_outage` events (one per meter and outage).
    pub typhoon_outage_events: u64,
    /// The weather the readings were shaped with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather: Option<WeatherSummary>,
}

/// A summary of the daily weather table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct WeatherSummary {
    /// Barangays covered.
    pub barangays: usize,
    /// Days covered.
    pub days: usize,
    /// Mean daily temperature over all barangays and days, °C (2 decimals).
    pub mean_temperature_c: f64,
    /// Lowest daily mean, °C (1 decimal).
    pub min_temperature_c: f64,
    /// Highest daily mean, °C (1 decimal).
    pub max_temperature_c: f64,
    /// Days on which a typhoon cut the power of at least one barangay.
    pub outage_days: usize,
    /// Barangay-days without power.
    pub outage_barangay_days: usize,
}

impl WeatherSummary {
    /// The summary of `weather`.
    #[must_use]
    pub fn of(weather: &Weather) -> WeatherSummary {
        let (mut sum, mut min, mut max) = (0.0f64, f64::INFINITY, f64::NEG_INFINITY);
        let mut any = vec![false; weather.days()];
        let mut outage_barangay_days = 0;
        for b in 0..weather.barangays() {
            for &t in weather.temperatures(b) {
                let t = f64::from(t);
                sum += t;
                min = min.min(t);
                max = max.max(t);
            }
            for (d, &o) in weather.outages(b).iter().enumerate() {
                any[d] |= o;
                outage_barangay_days += usize::from(o);
            }
        }
        let cells = weather.barangays() * weather.days();
        let round = |v: f64, scale: f64| {
            if v.is_finite() {
                (v * scale).round() / scale
            } else {
                0.0
            }
        };
        WeatherSummary {
            barangays: weather.barangays(),
            days: weather.days(),
            mean_temperature_c: round(if cells == 0 { 0.0 } else { sum / cells as f64 }, 100.0),
            min_temperature_c: round(min, 10.0),
            max_temperature_c: round(max, 10.0),
            outage_days: any.iter().filter(|&&o| o).count(),
            outage_barangay_days,
        }
    }
}

/// The interval section of a report: `None` at monthly resolution.
pub(crate) fn interval_report(
    series: &TimeAxis,
    weather: Option<&Weather>,
    counts: IntervalCounts,
) -> Option<IntervalReport> {
    let resolution = series.resolution();
    resolution.is_interval().then(|| IntervalReport {
        resolution,
        timezone: series.zone(),
        utc_offset: series.zone().offset_string(),
        intervals_per_meter: series.len(),
        readings: counts.readings,
        missing_readings: counts.missing_readings,
        missing_runs: counts.missing_runs,
        typhoon_outage_events: counts.outage_events,
        weather: weather.map(WeatherSummary::of),
    })
}

/// Which part of a dataset a sharded run wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct ShardInfo {
    /// `K` of `K/N` (1-based).
    pub index: usize,
    /// `N` of `K/N`.
    pub count: usize,
    /// Index of the shard's first meter (0-based).
    pub first_meter: usize,
    /// Number of meters in the shard.
    pub meters: usize,
}

impl GenerationReport {
    /// The report of `dataset`, listing `files` (sorted here).
    #[must_use]
    pub fn new(dataset: &Dataset, files: &[&str]) -> GenerationReport {
        let config = dataset.config().clone();
        let mut counts = IntervalCounts::default();
        counts.add(&dataset.part());
        GenerationReport::from_parts(
            config,
            dataset.summary(),
            dataset.validate(),
            dataset.warnings(),
            files,
            None,
            interval_report(dataset.series_axis(), dataset.weather(), counts),
        )
        .with_balance(dataset.energy_balance())
    }

    /// Adds the energy-balance section of `balance`.
    fn with_balance(mut self, balance: Option<&crate::balance::EnergyBalance>) -> GenerationReport {
        self.energy_balance = balance.map(|b| BalanceReport::of(&b.summary(), b.transformers.len(), b.feeders.len()));
        self
    }

    pub(crate) fn from_parts(
        config: GeneratorConfig,
        summary: Summary,
        validation: ValidationReport,
        warnings: &[Warning],
        files: &[&str],
        shard: Option<Shard>,
        interval: Option<IntervalReport>,
    ) -> GenerationReport {
        let mut files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
        files.sort();
        let shard = shard.map(|s| {
            let range = s.range(config.num_meters);
            ShardInfo {
                index: s.index(),
                count: s.count(),
                first_meter: range.start,
                meters: range.len(),
            }
        });
        GenerationReport {
            generator: env!("CARGO_PKG_NAME").to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            config,
            summary,
            validation_passed: validation.passed(),
            validation,
            warnings: warnings.iter().map(ToString::to_string).collect(),
            files,
            shard,
            interval,
            energy_balance: None,
        }
    }
}

/// Writes `generation_report.json` (pretty-printed, keys in a fixed order,
/// numbers without exponents).
///
/// # Errors
/// Any error of `out`.
pub fn write_report_json<W: Write>(report: &GenerationReport, mut out: W) -> io::Result<()> {
    let pretty = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, super::fmt::PlainFloats(pretty));
    serde::Serialize::serialize(report, &mut ser)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Overloaded transformers listed in the text report (the most loaded first).
const TXT_OVERLOADED: usize = 20;

/// Writes `generation_report.txt`, the human-readable summary.
///
/// # Errors
/// Any error of `out`.
pub fn write_report_txt<W: Write>(report: &GenerationReport, mut out: W) -> io::Result<()> {
    out.write_all(render_txt(report).as_bytes())?;
    out.flush()
}

fn pct(share: f64) -> String {
    super::fmt::fixed(100.0 * share, 2)
}

/// The text of `generation_report.txt`.
#[must_use]
pub(crate) fn render_txt(r: &GenerationReport) -> String {
    let s: &Summary = &r.summary;
    let c: &GeneratorConfig = &r.config;
    let rule = "=".repeat(60);
    let mut t = String::new();
    let _ = writeln!(t, "{rule}");
    let _ = writeln!(t, "SYNTHETIC DATA GENERATION REPORT");
    let _ = writeln!(t, "{rule}");
    let _ = writeln!(t, "Generator: {} {}", r.generator, r.version);
    if let Some(shard) = &r.shard {
        let _ = writeln!(
            t,
            "Shard: {}/{} (meters {} to {}; statistics and checks cover this shard)",
            shard.index,
            shard.count,
            shard.first_meter + 1,
            shard.first_meter + shard.meters
        );
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "CONFIGURATION:");
    let _ = writeln!(t, "  Seed: {}", c.seed);
    let _ = writeln!(t, "  Transformers: {}", c.num_transformers);
    let _ = writeln!(t, "  Meters: {}", c.num_meters);
    let _ = writeln!(t, "  Months: {} (from {})", c.num_months, c.start_month);
    let _ = writeln!(t, "  Target anomaly rate: {}%", pct(c.anomaly_rate));
    let _ = writeln!(t, "  Severity window: {}", c.severity_window);
    let _ = writeln!(t, "  Spatial clustering strength: {}", c.spatial_clustering_strength);
    let _ = writeln!(
        t,
        "  Bounds: lat {} to {}, lon {} to {}",
        c.bounds.lat_min, c.bounds.lat_max, c.bounds.lon_min, c.bounds.lon_max
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "DATASET STATISTICS:");
    let _ = writeln!(t, "  Total transformers: {}", s.transformers);
    let _ = writeln!(t, "  Total meters: {}", s.meters);
    let _ = writeln!(t, "  Periods per meter: {}", s.periods);
    let _ = writeln!(
        t,
        "  Anomalous meters: {} ({}%)",
        s.anomalous_meters,
        pct(s.anomaly_rate)
    );
    let _ = writeln!(t);
    let _ = writeln!(t, "CUSTOMER CLASS DISTRIBUTION:");
    for (class, share) in &s.customer_classes {
        let _ = writeln!(t, "  {class}: {} ({}%)", share.count, pct(share.share));
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "RISK BAND DISTRIBUTION (anomalous meters):");
    for (band, share) in &s.risk_bands {
        let _ = writeln!(t, "  {band}: {} ({}%)", share.count, pct(share.share));
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "ANOMALY TYPES:");
    for (kind, share) in &s.anomaly_types {
        let _ = writeln!(t, "  {kind}: {} ({}%)", share.count, pct(share.share));
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "ANOMALY TYPES BY RISK BAND (Low / Medium / High):");
    for (kind, bands) in &s.anomaly_type_bands {
        let count = |b| bands.get(&b).copied().unwrap_or(0);
        let _ = writeln!(
            t,
            "  {kind}: {} / {} / {}",
            count(crate::model::RiskBand::Low),
            count(crate::model::RiskBand::Medium),
            count(crate::model::RiskBand::High)
        );
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "BENIGN LOOK-ALIKE EVENTS (not labelled): {}", s.benign_meters);
    for (kind, count) in &s.benign_types {
        let _ = writeln!(t, "  {kind}: {count}");
    }
    let k = &s.consumption_kwh;
    let f2 = |v: f64| super::fmt::fixed(v, 2);
    let _ = writeln!(t);
    let _ = writeln!(t, "CONSUMPTION STATISTICS (kWh per month):");
    let _ = writeln!(t, "  Mean: {}", f2(k.mean));
    let _ = writeln!(t, "  Median: {}", f2(k.median));
    let _ = writeln!(t, "  Std: {}", f2(k.std));
    let _ = writeln!(t, "  Min: {}", f2(k.min));
    let _ = writeln!(t, "  Max: {}", f2(k.max));
    let _ = writeln!(t, "  Normal-meter cells clipped at zero: {}%", pct(s.clipped_fraction));
    let _ = writeln!(
        t,
        "  Normal-meter cells capped at max_kwh ({} kWh): {}%; cells capped in all: {}",
        super::fmt::fixed(r.config.max_kwh, 0),
        pct(s.capped_fraction),
        s.capped_cells
    );
    if let Some(i) = &r.interval {
        let _ = writeln!(t);
        let _ = writeln!(t, "INTERVAL DATA:");
        let _ = writeln!(
            t,
            "  Resolution: {} ({} readings per meter)",
            i.resolution, i.intervals_per_meter
        );
        let _ = writeln!(t, "  Time zone: {} (UTC{})", i.timezone, i.utc_offset);
        let _ = writeln!(
            t,
            "  Readings: {} ({} missing, in {} runs)",
            i.readings, i.missing_readings, i.missing_runs
        );
        let _ = writeln!(t, "  Typhoon outage events: {}", i.typhoon_outage_events);
        if let Some(w) = &i.weather {
            let _ = writeln!(
                t,
                "  Weather: {} barangays x {} days; daily mean temperature {} C (min {}, max {}); outage days: {} ({} barangay-days)",
                w.barangays,
                w.days,
                f2(w.mean_temperature_c),
                super::fmt::fixed(w.min_temperature_c, 1),
                super::fmt::fixed(w.max_temperature_c, 1),
                w.outage_days,
                w.outage_barangay_days
            );
        }
    }
    if let Some(b) = &r.energy_balance {
        let pct4 = |v: f64| super::fmt::fixed(100.0 * v, 2);
        let _ = writeln!(t);
        let _ = writeln!(
            t,
            "ENERGY BALANCE ({} transformers, {} feeders):",
            b.transformers, b.feeders
        );
        let _ = writeln!(t, "  Energy in: {} kWh", super::fmt::fixed(b.input_kwh, 0));
        let _ = writeln!(t, "  Technical losses: {}%", pct4(b.technical_loss_share));
        let _ = writeln!(
            t,
            "  Non-technical loss (theft, faults): {}%",
            pct4(b.non_technical_loss_share)
        );
        let _ = writeln!(t, "  Street lighting (unmetered): {}%", pct4(b.unmetered_share));
        let _ = writeln!(t, "  Billed: {}%", pct4(b.billed_share));
        let _ = writeln!(t, "  Overloaded transformers: {}", b.overloaded.len());
        // The most loaded few; the JSON report lists them all.
        let mut worst: Vec<&OverloadedTransformer> = b.overloaded.iter().collect();
        worst.sort_by(|x, y| y.peak_loading.total_cmp(&x.peak_loading));
        for o in worst.iter().take(TXT_OVERLOADED) {
            let _ = writeln!(
                t,
                "    {}: peak {}x rating",
                o.transformer_id,
                super::fmt::fixed(o.peak_loading, 2)
            );
        }
        if worst.len() > TXT_OVERLOADED {
            let more = worst.len() - TXT_OVERLOADED;
            let _ = writeln!(t, "    ... and {more} more (all in {REPORT_JSON})");
        }
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "BARANGAYS:");
    for b in &s.per_barangay {
        let _ = writeln!(
            t,
            "  {}: {} transformers, {} meters, {} anomalous",
            b.name, b.transformers, b.meters, b.anomalous_meters
        );
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "VALIDATION:");
    for check in &r.validation.checks {
        let mark = if check.passed { "PASS" } else { "FAIL" };
        let _ = writeln!(t, "  {mark} {}: {}", check.name, check.detail);
    }
    if !r.warnings.is_empty() {
        let _ = writeln!(t);
        let _ = writeln!(t, "WARNINGS:");
        for w in &r.warnings {
            let _ = writeln!(t, "  {w}");
        }
    }
    let _ = writeln!(t);
    let _ = writeln!(t, "FILES:");
    for f in &r.files {
        let _ = writeln!(t, "  {f}");
    }
    let _ = writeln!(t, "{rule}");
    t
}
