//! [`validate_dir`](super::validate_dir)'s checks of the energy-balance
//! files, when `energy_balance.csv` is present: its identities, its bills
//! against `meter_consumption.csv`, and the transformer readings, feeder
//! readings and true consumption files against it.
//!
//! `energy_balance.csv` is parsed strictly (a cell that is not a number is
//! an error naming the file, line and column); the readings files are read
//! with the readers of the meter readings check, summed per id and month.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use super::IoError;
use super::balance::{ENERGY_BALANCE_COLUMNS, ENERGY_BALANCE_CSV, FEEDER_READINGS_CSV, METER_CONSUMPTION_TRUE_CSV};
use super::csv::CONSUMPTION_PREFIX;
use super::read::{DatasetDir, MeterTotals, read_table};
use super::readings_check::{column, open_table, parse_error, parse_timestamp};
use crate::calendar::Date;
use crate::checks::{Check, check};
use crate::time::YearMonth;

/// Failures quoted in a check's detail (the rest are counted).
const QUOTED: usize = 3;

/// Largest gap of `reading − meter_error − technical − unmetered − true`:
/// five terms each rounded to 0.0005 kWh.
const IDENTITY_TOLERANCE_KWH: f64 = 0.003;

/// Largest gap of a derived column (`technical`, `residual`,
/// `non_technical`) from the columns it derives from: three rounded terms.
const DERIVED_TOLERANCE_KWH: f64 = 0.0015;

/// A parsing hair for values read back from decimals.
const HAIR: f64 = 1e-9;

/// Positions in [`ENERGY_BALANCE_COLUMNS`] of the kWh columns used.
const READING: usize = 3;
const BILLED: usize = 4;
const TRUE: usize = 5;
const TRANSFORMER_LOSS: usize = 6;
const LINE_LOSS: usize = 7;
const TECHNICAL: usize = 8;
const UNMETERED: usize = 9;
const METER_ERROR: usize = 10;
const NON_TECHNICAL: usize = 11;
const RESIDUAL: usize = 12;

/// One row of `energy_balance.csv`.
#[derive(Debug, Clone)]
struct Line {
    /// Its line in the file (the header is line 1).
    line: usize,
    transformer: String,
    feeder: String,
    /// `YYYYMM`.
    month: u32,
    /// Every column, as numbers where numbers (the ids and month as 0).
    values: [f64; ENERGY_BALANCE_COLUMNS.len()],
}

impl Line {
    fn name(&self) -> String {
        format!(
            "{} {}-{:02} (line {})",
            self.transformer,
            self.month / 100,
            self.month % 100,
            self.line
        )
    }
}

/// Counted failures with the first few quoted.
#[derive(Debug, Default)]
struct Tally {
    failures: usize,
    quoted: Vec<String>,
}

impl Tally {
    fn fail(&mut self, text: impl FnOnce() -> String) {
        self.failures += 1;
        if self.quoted.len() < QUOTED {
            self.quoted.push(text());
        }
    }

    /// `; first: …` when something was quoted.
    fn quotes(&self) -> String {
        if self.quoted.is_empty() {
            String::new()
        } else {
            format!("; {}", self.quoted.join("; "))
        }
    }
}

/// `energy_balance.csv`, strictly: every column present, every cell of the
/// kWh and count columns a finite number, every month `YYYY-MM`.
fn read_balance(path: &Path) -> Result<Vec<Line>, IoError> {
    let table = read_table(path)?.unwrap_or_default();
    let positions: Vec<usize> = ENERGY_BALANCE_COLUMNS
        .iter()
        .map(|name| {
            table
                .column(&[name])
                .ok_or_else(|| parse_error(path, format!("no `{name}` column")))
        })
        .collect::<Result<_, _>>()?;
    let mut lines = Vec::with_capacity(table.rows.len());
    for (i, row) in table.rows.iter().enumerate() {
        let line = i + 2;
        let bad = |c: usize, what: &str| {
            parse_error(
                path,
                format!(
                    "line {line}, column {} `{}`: {:?} is not {what}",
                    positions[c] + 1,
                    ENERGY_BALANCE_COLUMNS[c],
                    row[positions[c]]
                ),
            )
        };
        let mut values = [0.0; ENERGY_BALANCE_COLUMNS.len()];
        for (c, v) in values.iter_mut().enumerate().skip(READING) {
            *v = row[positions[c]]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(c, "a number"))?;
        }
        let month = row[positions[2]]
            .parse::<YearMonth>()
            .map_err(|_| bad(2, "a month YYYY-MM"))?;
        lines.push(Line {
            line,
            transformer: row[positions[0]].clone(),
            feeder: row[positions[1]].clone(),
            month: month.compact(),
            values,
        });
    }
    Ok(lines)
}

/// `energy_balance_identity`: each row's identity and derived columns, and
/// one row per transformer and month.
fn identity_check(lines: &[Line], meters: &MeterTotals) -> Check {
    let mut t = Tally::default();
    let (mut identity, mut technical, mut residual, mut non_technical) = (0, 0, 0, 0);
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    for l in lines {
        let v = &l.values;
        let parts = v[METER_ERROR] + v[TECHNICAL] + v[UNMETERED] + v[TRUE];
        if (v[READING] - parts).abs() > IDENTITY_TOLERANCE_KWH + HAIR {
            identity += 1;
            t.fail(|| {
                format!(
                    "{}: reading_kwh {}, meter_error + technical + unmetered + true {parts:.3}",
                    l.name(),
                    v[READING]
                )
            });
        }
        let derived = [
            (TECHNICAL, v[TRANSFORMER_LOSS] + v[LINE_LOSS], &mut technical),
            (RESIDUAL, v[READING] - v[BILLED], &mut residual),
            (NON_TECHNICAL, v[TRUE] - v[BILLED], &mut non_technical),
        ];
        for (c, want, count) in derived {
            if (v[c] - want).abs() > DERIVED_TOLERANCE_KWH + HAIR {
                *count += 1;
                t.fail(|| {
                    format!(
                        "{}: {} {}, from its terms {want:.3}",
                        l.name(),
                        ENERGY_BALANCE_COLUMNS[c],
                        v[c]
                    )
                });
            }
        }
        if !seen.insert((l.transformer.as_str(), l.month)) {
            duplicates += 1;
            t.fail(|| format!("{}: a second row", l.name()));
        }
    }
    // Every transformer of transformers.csv in every month of meter_consumption.csv.
    let mut missing = 0;
    for tx in meters.per_transformer.keys() {
        for month in meters.months.iter().flatten() {
            if !seen.contains(&(tx.as_str(), *month)) {
                missing += 1;
                t.fail(|| format!("{tx} {}-{:02}: no row", month / 100, month % 100));
            }
        }
    }
    check(
        "energy_balance_identity",
        t.failures == 0,
        format!(
            "{ENERGY_BALANCE_CSV}: {} transformer-months: {identity} off reading − meter_error − technical − unmetered − true = 0 by more than {IDENTITY_TOLERANCE_KWH} kWh; {technical} technical ≠ transformer_loss + line_loss, {residual} residual ≠ reading − billed, {non_technical} non_technical ≠ true − billed by more than {DERIVED_TOLERANCE_KWH} kWh; {duplicates} repeated, {missing} missing (transformers.csv × months of meter_consumption.csv){}",
            lines.len(),
            t.quotes()
        ),
    )
}

/// `energy_balance_billed`: each row's `billed_kwh` against the sum of its
/// transformer's meters' cells in `meter_consumption.csv`.
fn billed_check(lines: &[Line], meters: &MeterTotals) -> Check {
    let mut t = Tally::default();
    let (mut differing, mut unmatched) = (0, 0);
    for l in lines {
        let column = meters.months.iter().position(|m| *m == Some(l.month));
        let sums = meters.per_transformer.get(&l.transformer);
        let Some(((count, sums), k)) = sums.zip(column) else {
            unmatched += 1;
            t.fail(|| format!("{}: no such transformer or month in meter_consumption.csv", l.name()));
            continue;
        };
        // Each cell is rounded to 0.01 kWh; the balance sums what was rounded
        // (monthly) or the readings (interval resolutions).
        let tolerance = 0.005 * *count as f64 + 0.001;
        let billed = l.values[BILLED];
        if (billed - sums[k]).abs() > tolerance + HAIR {
            differing += 1;
            t.fail(|| {
                format!(
                    "{}: billed_kwh {billed}, Σ of its {count} meters' cells {:.3}",
                    l.name(),
                    sums[k]
                )
            });
        }
    }
    check(
        "energy_balance_billed",
        t.failures == 0,
        format!(
            "{} transformer-months: {differing} whose billed_kwh differs from Σ of its meters' cells in meter_consumption.csv by more than 0.005 kWh × meters + 0.001, {unmatched} of a transformer or month not in meter_consumption.csv{}",
            lines.len(),
            t.quotes()
        ),
    )
}

/// Readings summed per id and month: `(Σ kWh, readings)`.
#[derive(Debug, Default)]
struct MonthSums {
    sums: HashMap<String, BTreeMap<u32, (f64, usize)>>,
    /// The id of the last row and its months (rows come id by id).
    current: (Vec<u8>, BTreeMap<u32, (f64, usize)>),
    /// Rows whose timestamp or value is not readable.
    unparsable: usize,
    /// Whether the file is long (one row per interval) rather than wide.
    long: bool,
}

impl MonthSums {
    fn add(&mut self, id: &[u8], month: u32, kwh: f64) {
        if self.current.0 != id {
            self.flush();
            self.current.0.extend_from_slice(id);
        }
        let e = self.current.1.entry(month).or_insert((0.0, 0));
        e.0 += kwh;
        e.1 += 1;
    }

    fn flush(&mut self) {
        let (id, months) = std::mem::take(&mut self.current);
        if id.is_empty() && months.is_empty() {
            return;
        }
        let into = self.sums.entry(String::from_utf8_lossy(&id).into_owned()).or_default();
        for (m, (s, n)) in months {
            let e = into.entry(m).or_insert((0.0, 0));
            e.0 += s;
            e.1 += n;
        }
    }

    fn get(&self, id: &str, month: u32) -> Option<(f64, usize)> {
        self.sums.get(id)?.get(&month).copied()
    }

    /// Readings of ids and months not among `lines` (keyed by `key`).
    fn extra(&self, known: &HashSet<(&str, u32)>) -> usize {
        self.sums
            .iter()
            .flat_map(|(id, months)| months.keys().map(move |m| (id.as_str(), *m)))
            .filter(|k| !known.contains(k))
            .count()
    }
}

/// The month (`YYYYMM`) of a local time in seconds since 1970.
fn month_of(local: i64) -> u32 {
    Date::from_days_since_epoch(local.div_euclid(86_400))
        .year_month()
        .compact()
}

/// A readings CSV whose id column is `id`: wide (`id`, maybe other ids,
/// then `monthly_consumption_YYYYMM` columns) or long (`id,timestamp,kwh`).
fn read_readings_csv(path: &Path, id: &str) -> Result<MonthSums, IoError> {
    let (mut reader, headers) = open_table(path)?;
    let at = column(&headers, id).ok_or_else(|| parse_error(path, format!("no `{id}` column")))?;
    let mut sums = MonthSums::default();
    let mut record = ::csv::ByteRecord::new();
    let number = |cell: Option<&[u8]>| {
        std::str::from_utf8(cell.unwrap_or_default())
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite())
    };
    if let (Some(ts), Some(kwh)) = (column(&headers, "timestamp"), column(&headers, "kwh")) {
        sums.long = true;
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| parse_error(path, e.to_string()))?
        {
            let stamp = record.get(ts).and_then(parse_timestamp);
            match (stamp, number(record.get(kwh))) {
                (Some((utc, offset)), Some(v)) => {
                    sums.add(record.get(at).unwrap_or_default(), month_of(utc + offset), v)
                }
                _ => sums.unparsable += 1,
            }
        }
    } else {
        let months: Vec<(usize, Option<u32>)> = headers
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let rest = c.strip_prefix(CONSUMPTION_PREFIX.as_bytes())?;
                Some((i, std::str::from_utf8(rest).ok().and_then(|m| m.parse().ok())))
            })
            .collect();
        while reader
            .read_byte_record(&mut record)
            .map_err(|e| parse_error(path, e.to_string()))?
        {
            for &(i, month) in &months {
                match (month, number(record.get(i))) {
                    (Some(m), Some(v)) => sums.add(record.get(at).unwrap_or_default(), m, v),
                    _ => sums.unparsable += 1,
                }
            }
        }
    }
    sums.flush();
    Ok(sums)
}

/// Readings summed, or why they cannot be read.
type Readable = Result<MonthSums, String>;

/// The transformer readings of `dir`, if written: `(name, sums)`, or the
/// reason they cannot be read.
fn transformer_readings(dir: &Path) -> Result<Option<(&'static str, Readable)>, IoError> {
    long_readings(
        dir,
        (super::TRANSFORMER_READINGS_CSV, "transformer_readings/"),
        "transformer_id",
    )
}

/// The readings of `dir` written as `names.0` (CSV) or in the directory of
/// Parquet parts `names.1`, whose id column is `id`: `(name, sums)` if
/// either exists, or the reason they cannot be read.
fn long_readings(
    dir: &Path,
    names: (&'static str, &'static str),
    id: &str,
) -> Result<Option<(&'static str, Readable)>, IoError> {
    let csv = dir.join(names.0);
    if csv.exists() {
        return Ok(Some((names.0, Ok(read_readings_csv(&csv, id)?))));
    }
    let parts = dir.join(names.1.trim_end_matches('/'));
    if !parts.is_dir() {
        return Ok(None);
    }
    #[cfg(feature = "parquet")]
    {
        let mut sums = MonthSums {
            long: true,
            ..MonthSums::default()
        };
        super::balance::parquet_long::read_parts(&parts, id, |id, local, kwh| {
            if kwh.is_finite() {
                sums.add(id.as_bytes(), month_of(local), kwh);
            } else {
                sums.unparsable += 1;
            }
        })?;
        sums.flush();
        Ok(Some((names.1, Ok(sums))))
    }
    #[cfg(not(feature = "parquet"))]
    Ok(Some((
        names.1,
        Err("this build cannot read its Parquet parts: enable the `parquet` feature".to_owned()),
    )))
}

/// Readings per month of a long file: the month's intervals, when the
/// report gives the series axis.
fn intervals_of(d: &DatasetDir, month: u32) -> Option<usize> {
    let per_day = d.series_axis?.intervals_per_day()?;
    let m = YearMonth::new((month / 100) as i32, (month % 100) as u8).ok()?;
    Some(m.days() as usize * per_day)
}

/// `transformer_readings`: each row's `reading_kwh` against the readings
/// file: the same value (wide, monthly) or the month's sum, to 0.0005 kWh
/// (long, interval resolutions: whole watt-hours, written exactly).
fn transformer_readings_check(d: &DatasetDir, lines: &[Line], name: &str, sums: Readable) -> Check {
    let sums = match sums {
        Ok(s) => s,
        Err(reason) => return check("transformer_readings", false, format!("{name}: {reason}")),
    };
    let mut t = Tally::default();
    let (mut differing, mut absent, mut counts) = (0, 0, 0);
    for l in lines {
        let reading = l.values[READING];
        let Some((sum, n)) = sums.get(&l.transformer, l.month) else {
            absent += 1;
            t.fail(|| format!("{}: no reading", l.name()));
            continue;
        };
        let want = if sums.long { intervals_of(d, l.month) } else { Some(1) };
        if want.is_some_and(|w| w != n) {
            counts += 1;
            t.fail(|| format!("{}: {n} readings, expected {}", l.name(), want.unwrap_or(0)));
        }
        // Transformer readings are whole watt-hours, written exactly with 3
        // decimals: their sum differs from the month's `reading_kwh` (the
        // same sum, rounded to 3 decimals) by the rounding alone.
        let tolerance = if sums.long { 0.0005 } else { 0.0 };
        if (sum - reading).abs() > tolerance + HAIR {
            differing += 1;
            t.fail(|| format!("{}: reading_kwh {reading}, {name} {sum:.3}", l.name()));
        }
    }
    let known: HashSet<(&str, u32)> = lines.iter().map(|l| (l.transformer.as_str(), l.month)).collect();
    let extra = sums.extra(&known);
    let bad = sums.unparsable;
    check(
        "transformer_readings",
        differing + absent + counts + extra + bad == 0,
        format!(
            "{name} against {} transformer-months of {ENERGY_BALANCE_CSV}: {differing} whose reading_kwh differs from {}, {absent} without readings, {counts} with the wrong number of readings, {extra} transformer-months of readings not in {ENERGY_BALANCE_CSV}, {bad} unparsable readings{}",
            lines.len(),
            if sums.long {
                "the sum of the month's readings by more than 0.0005 kWh"
            } else {
                "the file's value"
            },
            t.quotes()
        ),
    )
}

/// `feeder_readings`: one row (wide) or one row per interval (long) per
/// feeder of `energy_balance.csv` and month, none of another feeder; and
/// each feeder's monthly reading no lower than its transformers' allow.
fn feeder_readings_check(d: &DatasetDir, lines: &[Line], name: &str, sums: &MonthSums) -> Check {
    // Σ reading_kwh of each feeder's transformers per month, and their count.
    let mut expected: BTreeMap<(&str, u32), (f64, usize)> = BTreeMap::new();
    for l in lines {
        let e = expected.entry((l.feeder.as_str(), l.month)).or_insert((0.0, 0));
        e.0 += l.values[READING];
        e.1 += 1;
    }
    // The feeder meter reads (Σ input of its transformers + primary loss) · (1 + ε_f),
    // each transformer meter input_t · (1 + ε_t), |ε_f| and |ε_t| at most
    // their accuracy classes (0.2 % and 0.5 % by default). Primary losses
    // are ≥ 0, so feeder ≥ Σ input · (1 − c_f) ≥ Σ reading_t · (1 − c_f) / (1 + c_t):
    // 0.99303 by default, which the 1 % margin covers; with the report's
    // classes, their own bound (the lower of the two). Each value written
    // is rounded to 0.0005 kWh.
    let (c_t, c_f) = d.meter_classes.unwrap_or((0.5, 0.2));
    let factor = (1.0 - 0.01f64).min((1.0 - c_f / 100.0) / (1.0 + c_t / 100.0));
    let mut t = Tally::default();
    let (mut low, mut absent, mut counts) = (0, 0, 0);
    for (&(feeder, month), &(readings, transformers)) in &expected {
        let label = || format!("{feeder} {}-{:02}", month / 100, month % 100);
        let Some((sum, n)) = sums.get(feeder, month) else {
            absent += 1;
            t.fail(|| format!("{}: no reading", label()));
            continue;
        };
        let want = if sums.long { intervals_of(d, month) } else { Some(1) };
        if want.is_some_and(|w| w != n) {
            counts += 1;
            t.fail(|| format!("{}: {n} rows, expected {}", label(), want.unwrap_or(0)));
        }
        let floor = readings * factor - 0.0005 * (n + transformers) as f64;
        if sum < floor - HAIR {
            low += 1;
            t.fail(|| {
                format!(
                    "{}: reading {sum:.3} kWh, below Σ of its {transformers} transformers' readings {readings:.3} kWh × {factor:.5}",
                    label()
                )
            });
        }
    }
    let known: HashSet<(&str, u32)> = expected.keys().copied().collect();
    let extra = sums.extra(&known);
    let bad = sums.unparsable;
    check(
        "feeder_readings",
        low + absent + counts + extra + bad == 0,
        format!(
            "{name}: {} feeder-months of {ENERGY_BALANCE_CSV}'s feeders: {absent} without a reading, {counts} with the wrong number of rows, {low} below Σ of their transformers' readings × {factor:.5}, {extra} feeder-months of unknown feeders, {bad} unparsable readings{}",
            expected.len(),
            t.quotes()
        ),
    )
}

/// `true_consumption`: `meter_consumption_true.csv` has one row, of
/// numbers, for exactly each meter of `anomaly_labels.csv`.
fn true_consumption_check(d: &DatasetDir, path: &Path) -> Result<Check, IoError> {
    let table = read_table(path)?.unwrap_or_default();
    let id = table
        .column(&["meter_id"])
        .ok_or_else(|| parse_error(path, "no `meter_id` column".to_owned()))?;
    let labelled: HashSet<&str> = d
        .labels
        .as_ref()
        .and_then(|l| Some((l, l.column(&["meter_id"])?)))
        .map(|(l, i)| l.rows.iter().map(|r| r[i].as_str()).collect())
        .unwrap_or_default();
    let months: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.starts_with(CONSUMPTION_PREFIX))
        .map(|(i, _)| i)
        .collect();
    let mut t = Tally::default();
    let mut seen = HashSet::new();
    let (mut unlabelled, mut repeated, mut bad) = (0, 0, 0);
    for (i, row) in table.rows.iter().enumerate() {
        let meter = row[id].as_str();
        if !labelled.contains(meter) {
            unlabelled += 1;
            t.fail(|| format!("{meter} (line {}): no label", i + 2));
        }
        if !seen.insert(meter) {
            repeated += 1;
            t.fail(|| format!("{meter} (line {}): a second row", i + 2));
        }
        let unreadable = months
            .iter()
            .filter(|&&c| row[c].parse::<f64>().map_or(true, |v| !v.is_finite() || v < 0.0))
            .count();
        if unreadable > 0 {
            bad += unreadable;
            t.fail(|| format!("{meter} (line {}): {unreadable} values not a number ≥ 0", i + 2));
        }
    }
    let mut without: Vec<&str> = labelled.iter().filter(|m| !seen.contains(*m)).copied().collect();
    without.sort_unstable();
    for m in &without {
        t.fail(|| format!("{m}: labelled, no row"));
    }
    Ok(check(
        "true_consumption",
        t.failures == 0 && !months.is_empty(),
        format!(
            "{METER_CONSUMPTION_TRUE_CSV}: {} rows, {} monthly columns, for {} labelled meters: {unlabelled} rows of meters without a label, {} labelled meters without a row, {repeated} repeated, {bad} values not a number ≥ 0{}",
            table.rows.len(),
            months.len(),
            labelled.len(),
            without.len(),
            t.quotes()
        ),
    ))
}

/// The checks of the energy-balance files of `dir` (whose
/// `energy_balance.csv` exists): `energy_balance_identity`,
/// `energy_balance_billed`, then `transformer_readings`, `feeder_readings`
/// and `true_consumption` for those of their files that exist.
/// `meters`: the meter table summed per transformer.
///
/// # Errors
/// [`IoError::Parse`] when `energy_balance.csv` is not well-formed or holds
/// a cell that is not a number (naming its line and column), or a readings
/// file is not well-formed CSV (or Parquet) with its id column.
pub(crate) fn balance_checks(dir: &Path, d: &DatasetDir, meters: &MeterTotals) -> Result<Vec<Check>, IoError> {
    let lines = read_balance(&dir.join(ENERGY_BALANCE_CSV))?;
    let mut checks = vec![identity_check(&lines, meters), billed_check(&lines, meters)];
    // The balance's files are written together: one missing is a failure.
    let missing = |name: &str, file: &str| {
        check(
            name,
            false,
            format!("{file} is missing (written with {ENERGY_BALANCE_CSV})"),
        )
    };
    match transformer_readings(dir)? {
        Some((name, sums)) => checks.push(transformer_readings_check(d, &lines, name, sums)),
        None => checks.push(missing(
            "transformer_readings",
            "transformer_readings.csv (or transformer_readings/)",
        )),
    }
    if let Some((name, sums)) = long_readings(dir, (FEEDER_READINGS_CSV, "feeder_readings/"), "feeder_id")? {
        match sums {
            Ok(sums) => checks.push(feeder_readings_check(d, &lines, name, &sums)),
            Err(reason) => checks.push(check("feeder_readings", false, format!("{name}: {reason}"))),
        }
    } else if d.shard.is_none() {
        // A shard has no feeder file; a whole dataset must.
        checks.push(missing("feeder_readings", FEEDER_READINGS_CSV));
    }
    let truth = dir.join(METER_CONSUMPTION_TRUE_CSV);
    if truth.exists() {
        checks.push(true_consumption_check(d, &truth)?);
    } else {
        checks.push(missing("true_consumption", METER_CONSUMPTION_TRUE_CSV));
    }
    Ok(checks)
}
