//! Reading a dataset directory back (ours, or one written by the original
//! Python tool) and checking it: [`validate_dir`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::IoError;
use super::csv::{ANOMALY_LABELS_CSV, CONSUMPTION_PREFIX, EVENTS_CSV, METER_CONSUMPTION_CSV, TRANSFORMERS_CSV};
use crate::checks::{Check, ValidationReport, check};
use crate::geo::{GeoBounds, GeoPoint};
use crate::model::AnomalyType;
use crate::time::TimeAxis;

/// One CSV file read as text: its header and rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Table {
    /// Column names, in file order.
    pub columns: Vec<String>,
    /// Every row, as many fields as columns.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Position of the first column among `names` (alternative spellings) that exists.
    #[must_use]
    pub fn column(&self, names: &[&str]) -> Option<usize> {
        position(&self.columns, names)
    }
}

/// What a dataset directory holds, as read by [`read_dataset_dir`].
#[derive(Debug, Clone, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct DatasetDir {
    /// The directory.
    pub dir: PathBuf,
    /// `transformers.csv`, if present.
    pub transformers: Option<Table>,
    /// `meter_consumption.csv`, if present.
    pub meters: Option<Table>,
    /// `anomaly_labels.csv`, if present.
    pub labels: Option<Table>,
    /// `events.csv`, if present (the original tool writes none).
    pub events: Option<Table>,
    /// The configured anomaly rate, from `generation_report.json` when present.
    pub configured_anomaly_rate: Option<f64>,
    /// Configured counts (transformers, meters, months), from the report when present.
    pub configured_counts: Option<(usize, usize, usize)>,
    /// The coordinate bounds, from the report when present.
    pub bounds: Option<GeoBounds>,
    /// `(K, N)` when the report says the directory holds shard `K/N` only.
    pub shard: Option<(usize, usize)>,
    /// The series axis the report records (its `start_month`, `num_months`,
    /// `resolution` and `timezone`; monthly when it names no resolution),
    /// when a report with `num_months` is present. At an interval resolution
    /// [`validate_dir`] checks `meter_readings.csv` on it.
    pub series_axis: Option<TimeAxis>,
    /// The register resolution, kWh, from the report (`None`: not recorded,
    /// the default 0.001 applies).
    pub register_resolution_kwh: Option<f64>,
    /// The accuracy classes of the transformer and feeder meters, %, from
    /// the report's `balance` section (`None`: not recorded, the defaults
    /// 0.5 and 0.2 apply).
    pub meter_classes: Option<(f64, f64)>,
}

pub(crate) fn read_table(path: &Path) -> Result<Option<Table>, IoError> {
    if !path.exists() {
        return Ok(None);
    }
    let parse = |e: ::csv::Error| IoError::Parse {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(path)
        .map_err(parse)?;
    let columns = reader
        .headers()
        .map_err(parse)?
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        rows.push(record.map_err(parse)?.iter().map(str::to_owned).collect());
    }
    Ok(Some(Table { columns, rows }))
}

/// Reads the CSV files of `dir` and, with the `json` feature, the
/// configuration recorded in `generation_report.json`.
///
/// Every table is held in memory as strings (about 1.9 GB for 1 M meters ×
/// 24 months); [`validate_dir`] streams the meter table instead.
///
/// # Errors
/// [`IoError::Io`] when `dir` is not a readable directory; [`IoError::Parse`]
/// when a present file is not well-formed CSV or JSON.
pub fn read_dataset_dir(dir: &Path) -> Result<DatasetDir, IoError> {
    let mut d = read_small_files(dir)?;
    d.meters = read_table(&dir.join(METER_CONSUMPTION_CSV))?;
    Ok(d)
}

/// Everything of `dir` but the meter table (`meters` is `None`).
fn read_small_files(dir: &Path) -> Result<DatasetDir, IoError> {
    let meta = std::fs::metadata(dir).map_err(|e| IoError::io("open", dir, e))?;
    if !meta.is_dir() {
        return Err(IoError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    #[cfg_attr(not(feature = "json"), allow(unused_mut))]
    let mut d = DatasetDir {
        dir: dir.to_path_buf(),
        transformers: read_table(&dir.join(TRANSFORMERS_CSV))?,
        labels: read_table(&dir.join(ANOMALY_LABELS_CSV))?,
        events: read_table(&dir.join(EVENTS_CSV))?,
        ..DatasetDir::default()
    };
    #[cfg(feature = "json")]
    read_report(dir, &mut d)?;
    Ok(d)
}

#[cfg(feature = "json")]
fn read_report(dir: &Path, d: &mut DatasetDir) -> Result<(), IoError> {
    let path = dir.join(super::REPORT_JSON);
    if !path.exists() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&path).map_err(|e| IoError::io("read", &path, e))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| IoError::Parse {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    // Ours nests the configuration under `config`; be lenient with flat reports.
    let config = value.get("config").unwrap_or(&value);
    let num = |k: &str| config.get(k).and_then(serde_json::Value::as_f64);
    let int = |k: &str| config.get(k).and_then(serde_json::Value::as_u64).map(|v| v as usize);
    d.configured_anomaly_rate = num("anomaly_rate");
    if let Some(shard) = value.get("shard") {
        let part = |k: &str| shard.get(k).and_then(serde_json::Value::as_u64).map(|v| v as usize);
        d.shard = part("index").zip(part("count"));
    }
    if let (Some(t), Some(m), Some(n)) = (int("num_transformers"), int("num_meters"), int("num_months")) {
        d.configured_counts = Some((t, m, n));
    }
    d.register_resolution_kwh = num("register_resolution_kwh");
    if let Some(b) = config.get("balance") {
        let class = |k: &str| b.get(k).and_then(serde_json::Value::as_f64);
        d.meter_classes = class("transformer_meter_class").zip(class("feeder_meter_class"));
    }
    if let Some(months) = int("num_months") {
        let bad = |field: &str, e: crate::ConfigError| IoError::Parse {
            path: path.clone(),
            reason: format!("config.{field}: {e}"),
        };
        let text = |k: &str| config.get(k).and_then(serde_json::Value::as_str);
        let resolution = match text("resolution") {
            Some(r) => r.parse().map_err(|e| bad("resolution", e))?,
            None => crate::time::Resolution::Monthly,
        };
        let start = match text("start_month") {
            Some(m) => m.parse().map_err(|e| bad("start_month", e))?,
            None => crate::time::YearMonth::default(),
        };
        let zone = match text("timezone") {
            Some(z) => z.parse().map_err(|e| bad("timezone", e))?,
            None => crate::calendar::TimeZone::default(),
        };
        let axis = TimeAxis::new(start, months, resolution).map_err(|e| bad("num_months", e))?;
        d.series_axis = Some(axis.with_zone(zone));
    }
    if let Some(b) = config.get("bounds") {
        let e = |k: &str| b.get(k).and_then(serde_json::Value::as_f64);
        if let (Some(lat_min), Some(lat_max), Some(lon_min), Some(lon_max)) =
            (e("lat_min"), e("lat_max"), e("lon_min"), e("lon_max"))
        {
            d.bounds = Some(GeoBounds {
                lat_min,
                lat_max,
                lon_min,
                lon_max,
            });
        }
    }
    Ok(())
}

/// Consumption columns of the meter table: `(position, YYYYMM or None)`.
pub(crate) fn consumption_columns(columns: &[String]) -> Vec<(usize, Option<u32>)> {
    let strict: Vec<_> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.strip_prefix(CONSUMPTION_PREFIX).map(|rest| (i, rest.parse().ok())))
        .collect();
    if !strict.is_empty() {
        return strict;
    }
    columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.strip_prefix("monthly_").map(|rest| (i, rest.parse().ok())))
        .collect()
}

const TX_ID: &[&str] = &["transformer_id"];
const METER_ID: &[&str] = &["meter_id"];
const LAT: &[&str] = &["lat", "latitude"];
const LON: &[&str] = &["lon", "lng", "longitude"];
const CAPACITY: &[&str] = &["capacity_kVA", "capacity_kva"];
const KVA: &[&str] = &["kVA", "kva"];

fn schema(name: &str, file: &str, table: Option<&Table>, required: &[&[&str]], numeric: &[&[&str]]) -> Check {
    let bad_numbers = table.map_or(0, |t| {
        numeric
            .iter()
            .filter_map(|alts| t.column(alts))
            .map(|i| t.rows.iter().filter(|r| !is_number_or_empty(&r[i])).count())
            .sum()
    });
    schema_check(
        name,
        file,
        table.map(|t| (t.columns.as_slice(), t.rows.len())),
        required,
        bad_numbers,
    )
}

/// The schema check from the header and row count of a table, and the
/// count of its unparsable numbers.
fn schema_check(
    name: &str,
    file: &str,
    table: Option<(&[String], usize)>,
    required: &[&[&str]],
    bad_numbers: usize,
) -> Check {
    let Some((columns, rows)) = table else {
        return check(name, false, format!("{file} is missing"));
    };
    let missing: Vec<&str> = required
        .iter()
        .filter(|alts| position(columns, alts).is_none())
        .map(|alts| alts[0])
        .collect();
    check(
        name,
        missing.is_empty() && bad_numbers == 0,
        format!(
            "{file}: {rows} rows, missing columns: [{}], unparsable numbers: {bad_numbers}",
            missing.join(", ")
        ),
    )
}

/// Position of the first of `names` (alternative spellings) among `columns`.
fn position(columns: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| columns.iter().position(|c| c == n))
}

fn is_number_or_empty(v: &str) -> bool {
    v.is_empty() || v.parse::<f64>().is_ok()
}

/// A row of a CSV table, in memory or streamed.
trait Row {
    fn field(&self, i: usize) -> &str;
    fn fields(&self) -> impl Iterator<Item = &str>;
}

impl Row for Vec<String> {
    fn field(&self, i: usize) -> &str {
        self.get(i).map_or("", String::as_str)
    }
    fn fields(&self) -> impl Iterator<Item = &str> {
        self.iter().map(String::as_str)
    }
}

impl Row for ::csv::StringRecord {
    fn field(&self, i: usize) -> &str {
        self.get(i).unwrap_or("")
    }
    fn fields(&self) -> impl Iterator<Item = &str> {
        self.iter()
    }
}

/// Ids seen so far, to count duplicates in one pass over millions of rows:
/// ids of the form prefix + digits (`MTR_000001`) are kept as one bit each,
/// in a bit set per (prefix, digit count); anything else as a string.
#[derive(Default)]
struct IdSet {
    /// `(prefix, digit count, bits)`: a handful at most, searched without allocating.
    bits: Vec<(String, usize, Vec<u64>)>,
    other: HashSet<String>,
}

impl IdSet {
    /// Numbers from here on are kept as strings (a bit set grows to its largest number).
    const MAX_BIT: u64 = 1 << 32;

    /// Adds `id`; `false` when it was already there.
    fn insert(&mut self, id: &str) -> bool {
        let digits = id.bytes().rev().take_while(u8::is_ascii_digit).count();
        let (prefix, number) = id.split_at(id.len() - digits);
        match number.parse::<u64>() {
            Ok(n) if digits > 0 && n < Self::MAX_BIT => {
                let at = match self.bits.iter().position(|(p, d, _)| p == prefix && *d == digits) {
                    Some(at) => at,
                    None => {
                        self.bits.push((prefix.to_owned(), digits, Vec::new()));
                        self.bits.len() - 1
                    }
                };
                let bits = &mut self.bits[at].2;
                let (word, bit) = ((n / 64) as usize, n % 64);
                if bits.len() <= word {
                    bits.resize(word + 1, 0);
                }
                let new = bits[word] & (1 << bit) == 0;
                bits[word] |= 1 << bit;
                new
            }
            _ => self.other.insert(id.to_owned()),
        }
    }
}

/// What the energy balance's checks need of the meter table: per
/// transformer of `transformers.csv`, its meters and the sums of their
/// consumption cells, per month (`YYYYMM`, in column order).
#[derive(Debug, Clone, Default)]
pub(crate) struct MeterTotals {
    /// The month of each consumption column (`None`: not named `…YYYYMM`).
    pub(crate) months: Vec<Option<u32>>,
    /// Transformer id → (meters, Σ kWh per consumption column).
    pub(crate) per_transformer: HashMap<String, (usize, Vec<f64>)>,
}

/// Meter rows read (or checked) per batch by [`validate_dir`].
const READ_BATCH: usize = 8192;

/// Which columns of the meter table hold what, and the bounds: everything
/// needed to check a row's cells, shared by the parallel workers.
struct CellColumns {
    lat: Option<usize>,
    lon: Option<usize>,
    numeric: Vec<usize>,
    consumption: Vec<(usize, Option<u32>)>,
    bounds: GeoBounds,
}

/// Problems counted in the cells of some rows; they add up across rows.
#[derive(Debug, Clone, Copy, Default)]
struct CellCounts {
    bad_numbers: usize,
    bad_consumption: usize,
    non_finite: usize,
    empty: usize,
    outside: usize,
}

impl CellCounts {
    fn plus(self, o: CellCounts) -> CellCounts {
        CellCounts {
            bad_numbers: self.bad_numbers + o.bad_numbers,
            bad_consumption: self.bad_consumption + o.bad_consumption,
            non_finite: self.non_finite + o.non_finite,
            empty: self.empty + o.empty,
            outside: self.outside + o.outside,
        }
    }
}

impl CellColumns {
    fn count(&self, row: &impl Row) -> CellCounts {
        let mut c = CellCounts {
            bad_numbers: self
                .numeric
                .iter()
                .filter(|&&i| !is_number_or_empty(row.field(i)))
                .count(),
            ..CellCounts::default()
        };
        for &(i, _) in &self.consumption {
            match row.field(i).parse::<f64>() {
                Ok(v) if !v.is_finite() => c.non_finite += 1,
                Ok(_) => {}
                Err(_) => c.bad_consumption += 1,
            }
        }
        c.empty = row.fields().filter(|v| v.trim().is_empty()).count();
        let inside = match (self.lat, self.lon) {
            (Some(la), Some(lo)) => match (row.field(la).parse::<f64>(), row.field(lo).parse::<f64>()) {
                (Ok(lat), Ok(lon)) => self.bounds.contains(GeoPoint { lat, lon }),
                _ => false,
            },
            _ => false,
        };
        c.outside = usize::from(!inside);
        c
    }

    /// The counts of `rows`, in parallel with the `parallel` feature.
    fn count_all<R: Row + Sync>(&self, rows: &[R]) -> CellCounts {
        let chunk = |rows: &[R]| rows.iter().fold(CellCounts::default(), |a, r| a.plus(self.count(r)));
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            rows.par_chunks(512)
                .map(chunk)
                .reduce(CellCounts::default, CellCounts::plus)
        }
        #[cfg(not(feature = "parallel"))]
        chunk(rows)
    }
}

/// The order-dependent part of the scan: ids, duplicates and references,
/// meters per transformer. Sequential, and cheap next to the cells.
struct KeyScan<'a> {
    id: Option<usize>,
    tx: Option<usize>,
    rows: usize,
    /// Meters per known transformer id.
    per_tx: HashMap<&'a str, usize>,
    unknown_tx: usize,
    ids: IdSet,
    duplicates: usize,
    /// Meter ids that labels or events refer to, and whether a meter row has them.
    referenced: HashMap<&'a str, bool>,
    /// Σ of each known transformer's meters' consumption cells, per
    /// consumption column (only when asked for: the energy balance's check).
    kwh: Option<HashMap<&'a str, Vec<f64>>>,
    /// The consumption columns summed into `kwh`.
    summed: Vec<usize>,
}

impl KeyScan<'_> {
    fn add(&mut self, row: &impl Row) {
        self.rows += 1;
        match self.tx.and_then(|i| self.per_tx.get_mut(row.field(i))) {
            Some(n) => *n += 1,
            None => self.unknown_tx += 1,
        }
        if let Some(sums) = self
            .tx
            .zip(self.kwh.as_mut())
            .and_then(|(i, k)| k.get_mut(row.field(i)))
        {
            for (s, &i) in sums.iter_mut().zip(&self.summed) {
                // An unparsable cell is counted by the cell checks; it adds nothing here.
                *s += row.field(i).parse::<f64>().unwrap_or(0.0);
            }
        }
        if let Some(i) = self.id {
            let id = row.field(i);
            if !self.ids.insert(id) {
                self.duplicates += 1;
            }
            if let Some(seen) = self.referenced.get_mut(id) {
                *seen = true;
            }
        }
    }
}

/// What the checks need from the meter table, gathered batch by batch so
/// that [`validate_dir`] never holds the table (1.9 GB of strings at 1 M × 24).
struct MeterScan<'a> {
    cells: CellColumns,
    counts: CellCounts,
    keys: KeyScan<'a>,
}

impl<'a> MeterScan<'a> {
    fn new(
        columns: &[String],
        tx_ids: &HashSet<&'a str>,
        referenced: HashMap<&'a str, bool>,
        (bounds, sum): (GeoBounds, bool),
    ) -> Self {
        let consumption = consumption_columns(columns);
        let summed: Vec<usize> = consumption.iter().map(|&(i, _)| i).collect();
        MeterScan {
            cells: CellColumns {
                lat: position(columns, LAT),
                lon: position(columns, LON),
                numeric: [LAT, LON, KVA]
                    .iter()
                    .filter_map(|alts| position(columns, alts))
                    .collect(),
                consumption,
                bounds,
            },
            counts: CellCounts::default(),
            keys: KeyScan {
                id: position(columns, METER_ID),
                tx: position(columns, TX_ID),
                rows: 0,
                per_tx: tx_ids.iter().map(|t| (*t, 0)).collect(),
                unknown_tx: 0,
                ids: IdSet::default(),
                duplicates: 0,
                referenced,
                kwh: sum.then(|| tx_ids.iter().map(|t| (*t, vec![0.0; summed.len()])).collect()),
                summed,
            },
        }
    }

    /// Adds the next rows: their cells checked in parallel while their keys
    /// are recorded in order.
    fn add_batch<R: Row + Sync>(&mut self, rows: &[R]) {
        let (cells, keys) = (&self.cells, &mut self.keys);
        let (counts, ()) = super::join(
            || cells.count_all(rows),
            || {
                for r in rows {
                    keys.add(r);
                }
            },
        );
        self.counts = self.counts.plus(counts);
    }

    /// Whether a meter row has id `id` (an id that labels or events refer to).
    fn has(&self, id: &str) -> bool {
        self.keys.referenced.get(id).copied().unwrap_or(false)
    }
}

/// Reads `dir` and runs the schema checks and the design's six checks on
/// the files: `schema_transformers`, `schema_meter_consumption`,
/// `schema_anomaly_labels`, `record_counts`, `anomaly_rate` (within ±2
/// percentage points of the report's configured rate, when a report is
/// present), `foreign_keys`, `events` (when `events.csv` is present: each
/// event names a known meter once, and the events flagged anomalous are
/// exactly the labelled meters, agreeing with their labels), `no_missing_values`, `all_periods_present`
/// (consumption columns present, consecutive months in time order) and
/// `coordinates_in_bounds` (the report's bounds, else the defaults).
///
/// When the report records an interval resolution (`config.resolution`
/// `daily`, `hourly` or `15min`; absent means monthly), a meter may also have
/// benign `typhoon_outage` and `missing_data` events beside its injected one,
/// and three checks of `meter_readings.csv` (`meter_id,timestamp,kwh`, an
/// ISO 8601 local timestamp with its offset, an empty `kwh` for a missing
/// reading) follow, on the series axis of the report's `start_month`,
/// `num_months`, `resolution` and `timezone`:
/// - `readings_present`: the meters of `meter_consumption.csv`, in its
///   order, each with one row per interval from local midnight of the first
///   day, timestamps contiguous (no gap, duplicate or step back, across
///   month ends and leap days) at the zone's offset; every present reading a
///   finite, non-negative, whole multiple of the register resolution.
/// - `monthly_totals_equal_readings`: for each month of each meter without
///   a missing reading (and without a broken row), the sum of its readings
///   equals its value in `meter_consumption.csv` to 0.005 kWh; months with
///   missing readings cannot be checked exactly (the file does not hold their
///   values) and are counted apart.
/// - `missing_readings_match_events`: every empty reading lies inside a
///   `missing_data` event of its meter in `events.csv`, and no present one
///   does. Those events' `onset` and `end` are read as timestamps of their
///   periods' starts (as in the readings) or as 0-based period indices.
///
/// When `energy_balance.csv` is present (the balance was on), its checks
/// follow (see `docs/data-dictionary.md`, "Energy balance files"); it is
/// parsed strictly, a cell that is not a number being an [`IoError::Parse`]
/// naming its line and column:
/// - `energy_balance_identity`: in each row `reading − meter_error −
///   technical − unmetered − true` is 0 to 0.003 kWh (five terms rounded to
///   3 decimals), and `technical = transformer_loss + line_loss`, `residual =
///   reading − billed`, `non_technical = true − billed` to 0.0015 kWh; one
///   row per transformer of `transformers.csv` and month.
/// - `energy_balance_billed`: `billed_kwh` is the sum of the transformer's
///   meters' cells in `meter_consumption.csv`, to 0.005 kWh per meter + 0.001.
/// - `transformer_readings` (when `transformer_readings.csv` or the Parquet
///   parts `transformer_readings/` exist): `reading_kwh` is the month's
///   value (monthly) or the sum of its readings, to 0.0005 kWh per reading,
///   with one reading per interval when the report gives the series axis.
/// - `feeder_readings` (when `feeder_readings.csv` exists): each feeder of
///   `energy_balance.csv` has one reading per month (or interval), and reads
///   at least its transformers' readings × (1 − 1 %) (the bound the meters'
///   accuracy classes allow; lower when the report records larger classes).
/// - `true_consumption` (when `meter_consumption_true.csv` exists): a row
///   of numbers `>= 0` for exactly the meters of `anomaly_labels.csv`.
///
/// Last comes `manifest` (see [`verify_manifest`](super::verify_manifest),
/// with the `json` feature): every file listed in `manifest.json` has its
/// listed size and SHA-256, no unlisted data file is present, and the
/// manifest agrees with `generation_report.json`. A directory without
/// `manifest.json` (the original tool's) passes it, the detail saying so;
/// a build without the `json` feature fails it when a manifest is present
/// (it cannot verify one). It runs for a shard directory too, after
/// `whole_dataset`.
///
/// The readings are streamed row by row with `meter_consumption.csv` read in
/// step, in memory independent of their size (the Parquet parts
/// `meter_readings/` are not read yet: without `meter_readings.csv`,
/// `readings_present` fails).
///
/// The meter table is streamed in batches, their cells checked in parallel
/// on rayon's global pool with the `parallel` feature (1 M × 24: 1.3 s, 111 MB
/// peak, where holding the table would take 1.9 GB); the other files are
/// small and read whole.
///
/// First it settles what a crashed run may have left beside `dir`
/// ([`Staging::recover`](super::Staging::recover)): a dataset moved aside
/// and never replaced is moved back, leftovers are removed.
///
/// # Errors
/// See [`read_dataset_dir`] and [`Staging::recover`](super::Staging::recover); a
/// missing file is a failed check, not an error.
pub fn validate_dir(dir: &Path) -> Result<ValidationReport, IoError> {
    // A run that crashed mid-swap may have left the dataset moved aside.
    super::staging::recover(dir)?;
    let d = read_small_files(dir)?;
    let balance = d.shard.is_none() && dir.join(super::ENERGY_BALANCE_CSV).exists();
    let (mut report, totals) = monthly_checks(dir, &d, balance)?;
    if d.shard.is_none() {
        if let Some(axis) = d.series_axis.filter(|a| a.resolution().is_interval()) {
            report.checks.extend(readings_checks(dir, &d, axis)?);
        }
    }
    if balance {
        report
            .checks
            .extend(super::balance_check::balance_checks(dir, &d, &totals)?);
    }
    report.checks.push(manifest_check(dir)?);
    Ok(report)
}

/// The `manifest` check of [`validate_dir`].
#[cfg(feature = "json")]
fn manifest_check(dir: &Path) -> Result<Check, IoError> {
    super::verify_manifest(dir)
}

/// The `manifest` check of [`validate_dir`] in a build that cannot read JSON.
#[cfg(not(feature = "json"))]
fn manifest_check(dir: &Path) -> Result<Check, IoError> {
    Ok(if dir.join("manifest.json").exists() {
        check(
            "manifest",
            false,
            "manifest.json cannot be verified: this build lacks the `json` feature of ghostload".to_owned(),
        )
    } else {
        check(
            "manifest",
            true,
            "no manifest.json, nothing to verify (not written by ghostload, or written without the `json` feature)"
                .to_owned(),
        )
    })
}

/// The checks of an interval dataset's `meter_readings.csv`, streamed, on
/// `axis`: `readings_present`, `monthly_totals_equal_readings`,
/// `missing_readings_match_events` (see [`validate_dir`]).
fn readings_checks(dir: &Path, d: &DatasetDir, axis: TimeAxis) -> Result<Vec<Check>, IoError> {
    use super::readings_check::{MonthlyRows, READINGS_CSV, ReadingsScan, scan_csv};
    let path = dir.join(READINGS_CSV);
    let parts = dir.join(super::METER_READINGS_DIR_NAME);
    let sgcc = dir.join(super::METER_READINGS_SGCC_CSV);
    let parquet = !path.exists() && parts.is_dir();
    let sgcc_only = !path.exists() && !parquet && sgcc.exists();
    let readable = path.exists() || sgcc_only || (parquet && cfg!(feature = "parquet"));
    if !readable {
        return Ok(vec![check(
            "readings_present",
            false,
            format!(
                "{READINGS_CSV} is missing at {} resolution{}",
                axis.resolution(),
                if parquet {
                    " (this build cannot read the Parquet parts in meter_readings/: enable the `parquet` feature)"
                } else {
                    ""
                }
            ),
        )]);
    }
    let monthly_path = dir.join(METER_CONSUMPTION_CSV);
    let monthly = if monthly_path.exists() {
        Some(MonthlyRows::open(&monthly_path)?)
    } else {
        None
    };
    let register = d
        .register_resolution_kwh
        .unwrap_or(crate::GeneratorConfig::DEFAULT_REGISTER_RESOLUTION_KWH);
    if parquet {
        #[cfg(feature = "parquet")]
        {
            let mut scan = ReadingsScan::new("meter_readings/", axis, register, monthly, d.events.as_ref());
            super::readings_check::scan_parquet(&parts, &mut scan)?;
            return scan.finish(d.configured_counts.map(|(_, meters, _)| meters));
        }
    }
    if sgcc_only {
        let mut scan = ReadingsScan::new(
            super::METER_READINGS_SGCC_CSV,
            axis,
            register,
            monthly,
            d.events.as_ref(),
        );
        super::readings_check::scan_sgcc(&sgcc, &axis, &mut scan)?;
        return scan.finish(d.configured_counts.map(|(_, meters, _)| meters));
    }
    let mut scan = ReadingsScan::new(READINGS_CSV, axis, register, monthly, d.events.as_ref());
    scan_csv(&path, &mut scan)?;
    scan.finish(d.configured_counts.map(|(_, meters, _)| meters))
}

/// The checks of every file but the readings, streaming the meter table.
/// With `sum`, the meters' consumption summed per transformer too.
fn monthly_checks(dir: &Path, d: &DatasetDir, sum: bool) -> Result<(ValidationReport, MeterTotals), IoError> {
    let path = dir.join(METER_CONSUMPTION_CSV);
    if !path.exists() {
        return checks(d, None, sum, |_| Ok(()));
    }
    let parse = |e: ::csv::Error| IoError::Parse {
        path: path.clone(),
        reason: e.to_string(),
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .flexible(false)
        .from_path(&path)
        .map_err(parse)?;
    let columns: Vec<String> = reader
        .headers()
        .map_err(parse)?
        .iter()
        .map(|c| c.trim_start_matches('\u{feff}').to_owned())
        .collect();
    // Double-buffered: the next batch is read while this one is checked.
    let fill = |reader: &mut ::csv::Reader<std::fs::File>, batch: &mut Vec<::csv::StringRecord>| {
        batch.resize_with(READ_BATCH, ::csv::StringRecord::new);
        let mut n = 0;
        while n < READ_BATCH && reader.read_record(&mut batch[n]).map_err(parse)? {
            n += 1;
        }
        batch.truncate(n);
        Ok::<bool, IoError>(n == READ_BATCH)
    };
    let (mut current, mut next) = (Vec::new(), Vec::new());
    checks(d, Some(&columns), sum, |scan| {
        let mut more = fill(&mut reader, &mut current)?;
        loop {
            let (read, ()) = super::join(
                || if more { fill(&mut reader, &mut next) } else { Ok(false) },
                || scan.add_batch(&current),
            );
            if !more {
                return Ok(());
            }
            more = read?;
            std::mem::swap(&mut current, &mut next);
        }
    })
}

/// Runs [`validate_dir`]'s checks on already-read tables (`validate_dir`
/// itself streams the meter table rather than holding it), except those of
/// the interval readings and of the energy-balance files, which a
/// [`DatasetDir`] does not hold.
#[must_use]
pub fn validate_tables(d: &DatasetDir) -> ValidationReport {
    let columns = d.meters.as_ref().map(|t| t.columns.as_slice());
    let report = checks(d, columns, false, |scan| {
        for rows in d.meters.iter().flat_map(|t| t.rows.chunks(READ_BATCH)) {
            scan.add_batch(rows);
        }
        Ok::<(), std::convert::Infallible>(())
    });
    match report {
        Ok((report, _)) => report,
        Err(never) => match never {},
    }
}

/// The checks of `d`, whose meter table has the header `meter_columns`
/// (`None`: no meter table) and whose rows `feed` passes to the scan.
fn checks<E>(
    d: &DatasetDir,
    meter_columns: Option<&[String]>,
    sum: bool,
    feed: impl FnOnce(&mut MeterScan<'_>) -> Result<(), E>,
) -> Result<(ValidationReport, MeterTotals), E> {
    if let Some((k, n)) = d.shard {
        // Counts and rates are those of the whole dataset: a shard alone fails them by design.
        return Ok((
            ValidationReport {
                checks: vec![check(
                    "whole_dataset",
                    false,
                    format!(
                        "this directory holds shard {k}/{n} only; its generation_report.json carries the checks of that shard; concatenate the shards' rows to validate the whole dataset"
                    ),
                )],
            },
            MeterTotals::default(),
        ));
    }
    let empty = Table::default();
    let tx = d.transformers.as_ref().unwrap_or(&empty);
    let labels = d.labels.as_ref().unwrap_or(&empty);
    let tx_ids: HashSet<&str> = tx
        .column(TX_ID)
        .map(|i| tx.rows.iter().map(|r| r[i].as_str()).collect())
        .unwrap_or_default();
    let label_ids: Vec<&str> = labels
        .column(METER_ID)
        .map(|i| labels.rows.iter().map(|r| r[i].as_str()).collect())
        .unwrap_or_default();
    let event_ids = d.events.as_ref().and_then(|e| Some((e, e.column(METER_ID)?)));
    let referenced = label_ids
        .iter()
        .copied()
        .chain(
            event_ids
                .into_iter()
                .flat_map(|(e, i)| e.rows.iter().map(move |r| r[i].as_str())),
        )
        .map(|id| (id, false))
        .collect();
    let bounds = d.bounds.unwrap_or_default();
    let mut scan = MeterScan::new(meter_columns.unwrap_or_default(), &tx_ids, referenced, (bounds, sum));
    feed(&mut scan)?;
    let consumption_cols = &scan.cells.consumption;

    let mut meter_schema = schema_check(
        "schema_meter_consumption",
        METER_CONSUMPTION_CSV,
        meter_columns.map(|c| (c, scan.keys.rows)),
        &[METER_ID, TX_ID, &["customer_class"], LAT, LON],
        scan.counts.bad_numbers,
    );
    if meter_columns.is_some() {
        meter_schema.passed &= scan.counts.bad_consumption == 0 && !consumption_cols.is_empty();
        meter_schema.detail.push_str(&format!(
            "; {} consumption columns, {} unparsable",
            consumption_cols.len(),
            scan.counts.bad_consumption
        ));
    }
    let mut checks = vec![
        schema(
            "schema_transformers",
            TRANSFORMERS_CSV,
            d.transformers.as_ref(),
            &[TX_ID, &["barangay"], LAT, LON, CAPACITY],
            &[LAT, LON, CAPACITY, &["num_meters"]],
        ),
        meter_schema,
        schema(
            "schema_anomaly_labels",
            ANOMALY_LABELS_CSV,
            d.labels.as_ref(),
            &[METER_ID],
            &[&["severity"], &["anomaly_flag"]],
        ),
    ];

    // record_counts
    let mut count_mismatch = 0usize;
    if let (Some(id), Some(n)) = (tx.column(TX_ID), tx.column(&["num_meters"])) {
        count_mismatch = tx
            .rows
            .iter()
            .filter(|r| r[n].parse::<usize>().ok() != Some(scan.keys.per_tx.get(r[id].as_str()).copied().unwrap_or(0)))
            .count();
    }
    let configured_ok = d
        .configured_counts
        .is_none_or(|(t, m, n)| t == tx.rows.len() && m == scan.keys.rows && n == consumption_cols.len());
    checks.push(check(
        "record_counts",
        count_mismatch == 0 && configured_ok && !tx.rows.is_empty() && scan.keys.rows > 0,
        format!(
            "{} transformers, {} meters, {} consumption columns{}; {count_mismatch} transformers whose num_meters differs from their meters",
            tx.rows.len(),
            scan.keys.rows,
            consumption_cols.len(),
            d.configured_counts
                .map(|(t, m, n)| format!(" (report: {t}, {m}, {n})"))
                .unwrap_or_default()
        ),
    ));

    // anomaly_rate
    let flag = labels.column(&["anomaly_flag"]);
    let anomalous = labels
        .rows
        .iter()
        .filter(|r| flag.is_none_or(|i| r[i] != "0" && r[i] != "0.0"))
        .count();
    let rate = if scan.keys.rows == 0 {
        0.0
    } else {
        anomalous as f64 / scan.keys.rows as f64
    };
    let (ok, detail) = match d.configured_anomaly_rate {
        Some(target) => (
            (rate - target).abs() <= 0.02 + 1e-12,
            format!("{anomalous} anomalous meters, rate {rate:.4} vs configured {target:.4} (tolerance ±0.02)"),
        ),
        None => (
            rate <= 1.0,
            format!("{anomalous} anomalous meters, rate {rate:.4} (no generation_report.json to compare with)"),
        ),
    };
    checks.push(check("anomaly_rate", ok, detail));

    // foreign_keys
    let bad_meters = scan.keys.unknown_tx;
    let bad_labels = label_ids.iter().filter(|id| !scan.has(id)).count();
    let dup_tx = tx.rows.len() - tx_ids.len();
    let dup_meters = scan.keys.duplicates;
    let dup_labels = label_ids.len() - label_ids.iter().collect::<HashSet<_>>().len();
    checks.push(check(
        "foreign_keys",
        bad_meters + bad_labels + dup_tx + dup_meters + dup_labels == 0,
        format!(
            "{bad_meters} meters with an unknown transformer, {bad_labels} labels of unknown meters, duplicate ids: {dup_tx} transformers, {dup_meters} meters, {dup_labels} labels"
        ),
    ));

    let interval = d.series_axis.is_some_and(|a| a.resolution().is_interval());
    checks.push(events_check(d.events.as_ref(), labels, interval, |id| scan.has(id)));

    // no_missing_values: every cell of the transformer and meter tables, and
    // every label cell except the optional `end`.
    let end = labels.column(&["end"]);
    let empty_cells = |t: &Table, skip: Option<usize>| -> usize {
        t.rows
            .iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .filter(|(i, v)| Some(*i) != skip && v.trim().is_empty())
                    .count()
            })
            .sum()
    };
    let (e_tx, e_m, e_l) = (empty_cells(tx, None), scan.counts.empty, empty_cells(labels, end));
    let non_finite = scan.counts.non_finite;
    checks.push(check(
        "no_missing_values",
        e_tx + e_m + e_l + non_finite == 0,
        format!(
            "empty cells: {e_tx} transformers, {e_m} meters, {e_l} labels; {non_finite} non-finite consumption values"
        ),
    ));

    // all_periods_present
    let months: Vec<Option<u32>> = consumption_cols.iter().map(|(_, m)| *m).collect();
    let parsed: Vec<u32> = months.iter().flatten().copied().collect();
    let consecutive = parsed.windows(2).all(|w| {
        let (a, b) = (w[0], w[1]);
        let next = if a % 100 == 12 { (a / 100 + 1) * 100 + 1 } else { a + 1 };
        b == next
    });
    let expected = d.configured_counts.map(|(_, _, n)| n);
    let ok =
        !months.is_empty() && parsed.len() == months.len() && consecutive && expected.is_none_or(|n| n == months.len());
    checks.push(check(
        "all_periods_present",
        ok,
        format!(
            "{} consumption columns ({} named by YYYYMM){}, consecutive and in time order: {consecutive}",
            months.len(),
            parsed.len(),
            expected.map(|n| format!(", report expects {n}")).unwrap_or_default()
        ),
    ));

    // coordinates_in_bounds
    let o_tx = match (tx.column(LAT), tx.column(LON)) {
        (Some(la), Some(lo)) => tx
            .rows
            .iter()
            .filter(|r| match (r[la].parse::<f64>(), r[lo].parse::<f64>()) {
                (Ok(lat), Ok(lon)) => !bounds.contains(GeoPoint { lat, lon }),
                _ => true,
            })
            .count(),
        _ => tx.rows.len(),
    };
    let o_m = scan.counts.outside;
    checks.push(check(
        "coordinates_in_bounds",
        o_tx + o_m == 0,
        format!(
            "{o_tx} transformers and {o_m} meters outside lat {}..{}, lon {}..{}{}",
            bounds.lat_min,
            bounds.lat_max,
            bounds.lon_min,
            bounds.lon_max,
            if d.bounds.is_some() {
                " (from report)"
            } else {
                " (defaults)"
            }
        ),
    ));
    let totals = MeterTotals {
        months: consumption_cols.iter().map(|&(_, m)| m).collect(),
        per_transformer: scan
            .keys
            .kwh
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|(t, sums)| (t.to_owned(), (scan.keys.per_tx.get(t).copied().unwrap_or(0), sums)))
            .collect(),
    };
    Ok((ValidationReport { checks }, totals))
}

/// Columns an event shares with its label, compared as written.
const SHARED_EVENT_COLUMNS: [(&str, &str); 5] = [
    ("event_type", "anomaly_type"),
    ("onset", "onset"),
    ("end", "end"),
    ("severity", "severity"),
    ("is_theft", "is_theft"),
];

/// `events.csv` against the meters and the labels: every event names a known
/// meter, at most once; the events flagged anomalous are exactly the labelled
/// meters, and agree with their labels on every column they share.
/// `interval`: the dataset is at an interval resolution, where a meter also
/// has any number of benign `typhoon_outage` and `missing_data` events
/// beside its one injected event.
fn events_check(events: Option<&Table>, labels: &Table, interval: bool, known: impl Fn(&str) -> bool) -> Check {
    let Some(events) = events else {
        return check(
            "events",
            true,
            format!("{EVENTS_CSV} absent (the original tool writes none)"),
        );
    };
    let (Some(id), Some(flag)) = (events.column(METER_ID), events.column(&["anomaly_flag"])) else {
        return check("events", false, format!("{EVENTS_CSV} lacks meter_id or anomaly_flag"));
    };
    let unknown = events.rows.iter().filter(|r| !known(r[id].as_str())).count();
    let kind = events.column(&["event_type"]);
    let added = |r: &Vec<String>| {
        interval
            && r[flag] == "0"
            && kind.is_some_and(|k| {
                r[k] == AnomalyType::TYPHOON_OUTAGE.as_str() || r[k] == AnomalyType::MISSING_DATA.as_str()
            })
    };
    let injected: Vec<&str> = events
        .rows
        .iter()
        .filter(|r| !added(r))
        .map(|r| r[id].as_str())
        .collect();
    let distinct: HashSet<&str> = injected.iter().copied().collect();
    let duplicates = injected.len() - distinct.len();
    let label_rows: HashMap<&str, &Vec<String>> = labels
        .column(METER_ID)
        .map(|i| labels.rows.iter().map(|r| (r[i].as_str(), r)).collect())
        .unwrap_or_default();
    let shared: Vec<(usize, usize)> = SHARED_EVENT_COLUMNS
        .iter()
        .filter_map(|(e, l)| Some((events.column(&[e])?, labels.column(&[l])?)))
        .collect();
    let flagged: Vec<&Vec<String>> = events.rows.iter().filter(|r| r[flag] == "1").collect();
    let (mut unlabelled, mut disagreeing) = (0, 0);
    for event in &flagged {
        match label_rows.get(event[id].as_str()) {
            None => unlabelled += 1,
            Some(label) => disagreeing += usize::from(shared.iter().any(|&(e, l)| event[e] != label[l])),
        }
    }
    let flagged_ids: HashSet<&str> = flagged.iter().map(|r| r[id].as_str()).collect();
    let labels_without_event = label_rows.keys().filter(|m| !flagged_ids.contains(*m)).count();
    check(
        "events",
        unknown + duplicates + unlabelled + disagreeing + labels_without_event == 0,
        format!(
            "{} events ({} anomalous, {} benign); {unknown} of unknown meters, {duplicates} duplicate meters, {unlabelled} anomalous without a label, {labels_without_event} labels without an anomalous event, {disagreeing} disagreeing with their label",
            events.rows.len(),
            flagged.len(),
            events.rows.len() - flagged.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An interval dataset written with the writers, its events' and
    /// labels' `onset` and `end` rewritten as the timestamps of their periods,
    /// and `meter_readings.csv` written here (meter-major, missing readings empty).
    #[cfg(feature = "json")]
    mod interval_dir {
        use std::fmt::Write as _;
        use std::path::Path;

        use crate::io::{WriteOptions, validate_dir, write_dataset};
        use crate::{Dataset, GeneratorConfig, Pipeline, Resolution, YearMonth};

        fn dataset(resolution: Resolution, meters: usize) -> Dataset {
            let config = GeneratorConfig {
                num_meters: meters,
                num_transformers: 4,
                num_months: 2,
                // February of a leap year and a month end.
                start_month: YearMonth::new(2024, 2).unwrap(),
                resolution,
                missing_rate: 0.02,
                benign_rate: 0.1,
                anomaly_rate: 0.1,
                min_normal_periods: 0,
                ..Default::default()
            };
            Pipeline::builder().config(config).build().unwrap().generate().unwrap()
        }

        /// Rewrites the `onset` and `end` columns of the CSV file `name` of
        /// `dir`, row `i` from `periods[i]`, as timestamps of `d`'s series axis.
        fn retime(d: &Dataset, dir: &Path, name: &str, periods: &[(usize, Option<usize>)]) {
            let path = dir.join(name);
            let mut reader = ::csv::Reader::from_path(&path).unwrap();
            let headers = reader.headers().unwrap().clone();
            let col = |n: &str| headers.iter().position(|c| c == n).unwrap();
            let (onset, end) = (col("onset"), col("end"));
            let mut writer = ::csv::Writer::from_path(dir.join("tmp.csv")).unwrap();
            writer.write_record(&headers).unwrap();
            let axis = d.series_axis();
            for (record, (o, e)) in reader.records().zip(periods) {
                let mut row: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
                row[onset] = axis.timestamp_string(*o);
                row[end] = e.map(|e| axis.timestamp_string(e)).unwrap_or_default();
                writer.write_record(&row).unwrap();
            }
            writer.flush().unwrap();
            std::fs::rename(dir.join("tmp.csv"), path).unwrap();
        }

        /// The lines of `meter_readings.csv` for `d`, header first.
        fn readings_lines(d: &Dataset) -> Vec<String> {
            let axis = d.series_axis();
            let mut lines = vec!["meter_id,timestamp,kwh".to_owned()];
            for m in d.meters() {
                let mut missing = vec![false; axis.len()];
                for run in d.missing().iter().filter(|r| r.meter_id == m.id) {
                    missing[run.periods()].fill(true);
                }
                for (t, v) in d.readings(m.id).unwrap().iter().enumerate() {
                    let mut line = format!("{},{},", m.id, axis.timestamp_string(t));
                    if !missing[t] {
                        write!(line, "{v:.3}").unwrap();
                    }
                    lines.push(line);
                }
            }
            lines
        }

        fn write_readings(dir: &Path, lines: &[String]) {
            std::fs::write(dir.join("meter_readings.csv"), lines.join("\n") + "\n").unwrap();
        }

        fn write(d: &Dataset, dir: &Path) -> Vec<String> {
            write_dataset(
                d,
                dir,
                &WriteOptions::default().with_readings_format(crate::io::ReadingsFormat::Csv),
            )
            .unwrap();
            let events: Vec<_> = d.events().iter().map(|e| (e.onset, e.end)).collect();
            retime(d, dir, "events.csv", &events);
            let labels: Vec<_> = d.labels().iter().map(|l| (l.onset, l.end)).collect();
            retime(d, dir, "anomaly_labels.csv", &labels);
            let lines = readings_lines(d);
            write_readings(dir, &lines);
            // The files were rewritten in another form: the manifest no longer describes them.
            std::fs::remove_file(dir.join(crate::io::MANIFEST_JSON)).unwrap();
            lines
        }

        fn failed(r: &crate::ValidationReport) -> Vec<&str> {
            r.checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect()
        }

        fn detail<'r>(r: &'r crate::ValidationReport, name: &str) -> &'r str {
            &r.check(name).unwrap().detail
        }

        /// The line (of [`readings_lines`]) of a present reading in the
        /// second month of the first meter without missing readings that month.
        fn clean_line(d: &Dataset) -> usize {
            let axis = d.series_axis();
            let second = axis.month_range(1);
            let meter = (0..d.meters().len())
                .find(|&m| {
                    let id = d.meters()[m].id;
                    d.missing()
                        .iter()
                        .filter(|r| r.meter_id == id)
                        .all(|r| r.periods().end <= second.start || r.start >= second.end)
                })
                .unwrap();
            1 + meter * axis.len() + second.start + 5
        }

        #[test]
        fn an_interval_directory_passes_and_names_each_damage() {
            let d = dataset(Resolution::Hourly, 40);
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path().join("out");
            let lines = write(&d, &dir);
            let r = validate_dir(&dir).unwrap();
            assert!(r.passed(), "{r}");
            let names: Vec<&str> = r.checks.iter().map(|c| c.name.as_str()).collect();
            // The readings' checks, then the five of the energy-balance files and `manifest`.
            assert_eq!(names.last(), Some(&"manifest"));
            assert_eq!(
                names[names.len() - 9..names.len() - 6],
                [
                    "readings_present",
                    "monthly_totals_equal_readings",
                    "missing_readings_match_events"
                ]
            );
            assert_eq!(names[names.len() - 2], "true_consumption");
            let present = detail(&r, "readings_present");
            let rows = 40 * d.series_axis().len();
            assert!(
                present.starts_with(&format!(
                    "meter_readings.csv: {rows} rows of 40 meters (expected 40) (1440 hourly periods each from 2024-02-01T00:00:00+08:00); 0 duplicated"
                )),
                "{r}"
            );
            let empty = d.missing().iter().map(|m| m.len).sum::<usize>();
            assert!(
                detail(&r, "missing_readings_match_events")
                    .starts_with(&format!("{empty} empty readings: 0 not covered")),
                "{r}"
            );
            // Months with a missing reading are not checked; the others are.
            let totals = detail(&r, "monthly_totals_equal_readings");
            assert!(!totals.starts_with("0 meter-months"), "{r}");
            assert!(!totals.contains("; not checked: 0 with missing readings"), "{r}");

            let at = clean_line(&d);

            // A duplicated row.
            let mut duplicated = lines.clone();
            duplicated.insert(at, lines[at].clone());
            write_readings(&dir, &duplicated);
            let r = validate_dir(&dir).unwrap();
            assert_eq!(failed(&r), ["readings_present"], "{r}");
            assert!(
                detail(&r, "readings_present").contains("; 1 duplicated or out-of-order timestamps, 0 gaps (0 readings absent), 1 meters with the wrong number of rows,"),
                "{r}"
            );

            // A missing row.
            let mut dropped = lines.clone();
            dropped.remove(at);
            write_readings(&dir, &dropped);
            let r = validate_dir(&dir).unwrap();
            assert_eq!(failed(&r), ["readings_present"], "{r}");
            assert!(
                detail(&r, "readings_present").contains("; 0 duplicated or out-of-order timestamps, 1 gaps (1 readings absent), 1 meters with the wrong number of rows,"),
                "{r}"
            );

            // A wrong sum: one reading a kWh higher.
            let mut higher = lines.clone();
            let (head, value) = lines[at].rsplit_once(',').unwrap();
            higher[at] = format!("{head},{:.3}", value.parse::<f64>().unwrap() + 1.0);
            write_readings(&dir, &higher);
            let r = validate_dir(&dir).unwrap();
            assert_eq!(failed(&r), ["monthly_totals_equal_readings"], "{r}");
            assert!(
                detail(&r, "monthly_totals_equal_readings").contains(
                    ", 1 differ from the sum of their readings by more than 0.005 kWh (largest difference 1.0000 kWh)"
                ),
                "{r}"
            );

            // An empty reading no missing_data event covers.
            let mut blank = lines.clone();
            blank[at] = format!("{head},");
            write_readings(&dir, &blank);
            let r = validate_dir(&dir).unwrap();
            assert_eq!(failed(&r), ["missing_readings_match_events"], "{r}");
            assert!(
                detail(&r, "missing_readings_match_events").contains(": 1 not covered by"),
                "{r}"
            );

            // A meter's rows moved after the next meter's.
            let len = d.series_axis().len();
            let mut swapped = lines.clone();
            swapped[1..1 + 2 * len].rotate_left(len);
            write_readings(&dir, &swapped);
            let r = validate_dir(&dir).unwrap();
            assert_eq!(failed(&r), ["readings_present"], "{r}");
            assert!(
                detail(&r, "readings_present").contains(
                    ", 1 meters not in the monthly table or out of order, 1 monthly meters without readings;"
                ),
                "{r}"
            );

            // A timestamp in another zone.
            let mut zone = lines.clone();
            zone[at] = zone[at].replace("+08:00", "+07:00");
            write_readings(&dir, &zone);
            let r = validate_dir(&dir).unwrap();
            assert!(failed(&r).contains(&"readings_present"), "{r}");

            // No readings file at all.
            std::fs::remove_file(dir.join("meter_readings.csv")).unwrap();
            let r = validate_dir(&dir).unwrap();
            assert_eq!(failed(&r), ["readings_present"], "{r}");
            assert_eq!(
                detail(&r, "readings_present"),
                "meter_readings.csv is missing at hourly resolution"
            );
        }

        #[test]
        fn daily_and_quarter_hour_directories_pass() {
            for (resolution, meters) in [(Resolution::Daily, 60), (Resolution::FifteenMinutes, 12)] {
                let d = dataset(resolution, meters);
                let tmp = tempfile::tempdir().unwrap();
                let dir = tmp.path().join("out");
                write(&d, &dir);
                let r = validate_dir(&dir).unwrap();
                assert!(r.passed(), "{resolution}: {r}");
                assert_eq!(r.checks.iter().filter(|c| c.name == "readings_present").count(), 1);
            }
        }
    }

    #[test]
    fn id_set_finds_exact_duplicates_only() {
        let mut ids = IdSet::default();
        for id in [
            "MTR_000001",
            "MTR_1",
            "MTR_01",
            "TX_000001",
            "abc",
            "MTR_99999999999",
            "7",
        ] {
            assert!(ids.insert(id), "{id} is new");
        }
        for id in ["MTR_000001", "MTR_1", "abc", "MTR_99999999999", "7"] {
            assert!(!ids.insert(id), "{id} was seen");
        }
        assert!(ids.insert("MTR_000002") && ids.insert("MTR_000065") && !ids.insert("MTR_000065"));
    }
}
