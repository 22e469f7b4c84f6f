//! The `energy_balance` check: the balance's identities, and its sums
//! against the meters they sum.
//!
//! In memory ([`energy_balance`]) every transformer and period is checked
//! against the dataset's meters; a stream ([`BalanceSums`], fed by the
//! [`Validator`](super::Validator) of the writers) checks the monthly sums
//! with what it sees of the meters, in O(transformers × months) memory.

use std::fmt::Write as _;
use std::ops::Range;

use crate::balance::{BalanceRow, FeederBalance, Quantum, TransformerBalance};
use crate::batch::Part;
use crate::checks::{Check, check};
use crate::dataset::Dataset;
use crate::ids::MeterId;
use crate::model::AnomalyLabel;
use crate::network::Network;
use crate::time::TimeAxis;

/// Largest gap of an identity, relative to the energies it adds up (or 1 kWh, if larger).
const RELATIVE_TOLERANCE: f64 = 1e-9;

/// Failures quoted in a check's detail (the rest are counted).
const QUOTED: usize = 3;

/// `kwh` in whole watt-hours (the balance's sums are whole Wh).
fn wh(kwh: f64) -> i64 {
    (kwh * 1000.0).round() as i64
}

/// Whether `a − b` is 0 within [`RELATIVE_TOLERANCE`] of `scale` (at least 1 kWh).
fn close(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= RELATIVE_TOLERANCE * scale.abs().max(1.0)
}

/// Whether `reading − meter_error − technical − unmetered − true` is 0, and
/// `(reading, the other four summed)`.
fn identity(r: &BalanceRow) -> (bool, f64, f64) {
    let parts = r.meter_error_kwh + r.technical_loss_kwh() + r.unmetered_kwh + r.true_kwh;
    let scale = r.reading_kwh.abs()
        + r.meter_error_kwh.abs()
        + r.technical_loss_kwh().abs()
        + r.unmetered_kwh.abs()
        + r.true_kwh.abs();
    (close(r.reading_kwh, parts, scale), r.reading_kwh, parts)
}

/// `(theft, anomalous)` labels among `labels`.
fn label_counts<'a>(labels: impl Iterator<Item = &'a AnomalyLabel>) -> (usize, usize) {
    labels.fold((0, 0), |(theft, all), l| (theft + usize::from(l.is_theft), all + 1))
}

/// Counts of failures, with the first few quoted.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Failures {
    /// Periods (or months) off `reading − meter_error − technical − unmetered − true = 0`.
    identity: usize,
    /// Periods whose `billed` is not Σ its meters' bills.
    billed: usize,
    /// Periods whose `true − billed` is not Σ (drawn − billed) of its anomalous meters.
    non_technical: usize,
    /// Transformers whose theft and anomalous counts are not those of their meters' labels.
    labels: usize,
    /// Feeder periods off `reading − meter_error − line_loss − Σ input = 0`, or whose
    /// `transformers_input` is not Σ its transformers' input.
    feeders: usize,
    /// Transformers or feeders missing, repeated, out of order, of the wrong
    /// length or (streamed) not the stream's to check.
    structure: usize,
    quoted: Vec<String>,
}

impl Failures {
    /// Checks a transformer's theft and anomaly counts against its meters' labels.
    fn labels_of(&mut self, t: &TransformerBalance, theft: usize, all: usize) {
        if (t.theft_meters, t.anomalous_meters) != (theft, all) {
            self.labels += 1;
            let id = t.transformer_id;
            self.note(|| {
                format!(
                    "{id}: {} theft and {} anomalous meters, its meters' labels {theft} and {all}",
                    t.theft_meters, t.anomalous_meters
                )
            });
        }
    }

    fn note(&mut self, text: impl FnOnce() -> String) {
        if self.quoted.len() < QUOTED {
            self.quoted.push(text());
        }
    }

    fn total(&self) -> usize {
        self.identity + self.billed + self.non_technical + self.labels + self.feeders + self.structure
    }

    fn plus(mut self, o: Failures) -> Failures {
        self.identity += o.identity;
        self.billed += o.billed;
        self.non_technical += o.non_technical;
        self.labels += o.labels;
        self.feeders += o.feeders;
        self.structure += o.structure;
        for q in o.quoted {
            if self.quoted.len() < QUOTED {
                self.quoted.push(q);
            }
        }
        self
    }

    /// The check: `checked` says what was checked; `streamed`: only the
    /// monthly identity, bills and labels were (not `true − billed`, nor feeders).
    fn check(&self, checked: String, streamed: bool) -> Check {
        let mut detail = format!(
            "{checked}: {} periods off reading − meter_error − technical − unmetered − true = 0, {} whose billed differs from Σ its meters' bills, ",
            self.identity, self.billed,
        );
        if !streamed {
            let _ = write!(
                detail,
                "{} whose true − billed differs from Σ drawn − billed of its anomalous meters, {} feeder periods off reading − meter_error − line_loss − Σ input = 0, ",
                self.non_technical, self.feeders
            );
        }
        let _ = write!(
            detail,
            "{} transformers whose theft or anomalous meters differ from their labels, {} transformers or feeders missing, repeated or misshapen",
            self.labels, self.structure
        );
        if !self.quoted.is_empty() {
            let _ = write!(detail, "; {}", self.quoted.join("; "));
        }
        check("energy_balance", self.total() == 0, detail)
    }
}

/// A period's name: its month (`2024-03`) or, at interval resolutions, its timestamp.
fn period_name(series: &TimeAxis, p: usize) -> String {
    if series.resolution().is_interval() {
        series.timestamp_string(p)
    } else {
        series.month(p).to_string()
    }
}

/// Checks transformer `t` (the `i`-th of the network) in memory: every
/// period against its meters, and its label counts.
fn check_transformer(d: &Dataset, i: usize, t: &TransformerBalance) -> Failures {
    let mut f = Failures::default();
    let series = d.series_axis();
    let periods = series.len();
    let network = d.network();
    let id = t.transformer_id;
    if t.rows.len() != periods {
        f.structure += 1;
        f.note(|| format!("{id}: {} rows, expected {periods}", t.rows.len()));
        return f;
    }
    let interval = d.intervals() > 0;
    let quantum = if interval { Quantum::Register } else { Quantum::Monthly };
    let meters = network.allocation.range(i);
    // Σ billed and Σ drawn − billed of its meters, Wh, per period.
    let mut billed = vec![0i64; periods];
    let mut lost = vec![0i64; periods];
    let mut anomalous = false;
    // The truths of these meters, walked in step with them (both in meter order).
    let mut truths = d
        .truth
        .view()
        .between(
            MeterId::from_index(meters.start as u32),
            MeterId::from_index(meters.end as u32),
        )
        .iter()
        .peekable();
    for m in meters.clone() {
        let meter = MeterId::from_index(m as u32);
        let bills = if interval { d.readings(meter) } else { d.series(meter) };
        let Some(bills) = bills.filter(|b| b.len() == periods) else {
            f.structure += 1;
            f.note(|| format!("{id}: meter {meter} has no series of {periods} periods"));
            return f;
        };
        quantum.add(&mut billed, bills);
        if let Some((_, drawn)) = truths.next_if(|t| t.0 == meter) {
            anomalous = true;
            for ((s, &t), &b) in lost.iter_mut().zip(drawn).zip(bills) {
                *s += quantum.wh(t) - quantum.wh(b);
            }
        }
    }
    for (p, row) in t.rows.iter().enumerate() {
        let (ok, reading, parts) = identity(row);
        if !ok {
            f.identity += 1;
            f.note(|| {
                format!(
                    "{id} {}: reading {reading} kWh, meter_error + technical + unmetered + true {parts} kWh",
                    period_name(series, p)
                )
            });
        }
        if wh(row.billed_kwh) != billed[p] {
            f.billed += 1;
            f.note(|| {
                format!(
                    "{id} {}: billed {} kWh, its meters' bills {} kWh",
                    period_name(series, p),
                    row.billed_kwh,
                    billed[p] as f64 / 1000.0
                )
            });
        }
        let ntl = row.non_technical_loss_kwh();
        let off = if anomalous {
            wh(row.true_kwh) - wh(row.billed_kwh) != lost[p]
        } else {
            ntl != 0.0
        };
        if off {
            f.non_technical += 1;
            f.note(|| {
                format!(
                    "{id} {}: true − billed {ntl} kWh, Σ drawn − billed of its anomalous meters {} kWh",
                    period_name(series, p),
                    lost[p] as f64 / 1000.0
                )
            });
        }
    }
    let labels = d.labels();
    let from = labels.partition_point(|l| (l.meter_id.index() as usize) < meters.start);
    let to = labels.partition_point(|l| (l.meter_id.index() as usize) < meters.end);
    let (theft, all) = label_counts(labels[from..to].iter());
    f.labels_of(t, theft, all);
    f
}

/// Checks feeder `fb` (the `i`-th) against the transformers of `b` on it.
fn check_feeder(series: &TimeAxis, members: &[&TransformerBalance], i: usize, fb: &FeederBalance) -> Failures {
    let mut f = Failures::default();
    let id = fb.feeder_id;
    let ids: Vec<_> = members.iter().map(|t| t.transformer_id).collect();
    let periods = series.len();
    if fb.feeder_id.index() as usize != i
        || fb.transformers != ids
        || fb.rows.len() != periods
        || members.iter().any(|t| t.rows.len() != periods)
    {
        f.structure += 1;
        f.note(|| format!("{id}: not the {i}-th feeder with its transformers' {periods} periods"));
        return f;
    }
    for (p, row) in fb.rows.iter().enumerate() {
        // In transformer order, as the balance adds them.
        let input = members.iter().fold(0.0, |s, t| s + t.rows[p].input_kwh());
        let parts = row.meter_error_kwh + row.line_loss_kwh + input;
        let scale = row.reading_kwh.abs() + row.meter_error_kwh.abs() + row.line_loss_kwh.abs() + input.abs();
        if !close(row.reading_kwh, parts, scale) || !close(row.transformers_input_kwh, input, input) {
            f.feeders += 1;
            f.note(|| {
                format!(
                    "{id} {}: reading {} kWh, meter_error + line_loss + Σ input {parts} kWh; transformers_input {} kWh, Σ input of its transformers {input} kWh",
                    period_name(series, p),
                    row.reading_kwh,
                    row.transformers_input_kwh
                )
            });
        }
    }
    f
}

/// The in-memory `energy_balance` check of `d`, when it has a balance: every
/// transformer and period (its identity, `billed` against its meters' bills,
/// `true − billed` against its anomalous meters', its label counts) and every
/// feeder and period (its identity, its transformers' input).
pub(crate) fn energy_balance(d: &Dataset) -> Option<Check> {
    let b = d.energy_balance()?;
    let network = d.network();
    let count = network.transformers.len();
    let mut f = Failures::default();
    let ordered = b
        .transformers
        .iter()
        .enumerate()
        .all(|(i, t)| t.transformer_id.index() as usize == i);
    if b.transformers.len() != count || !ordered {
        f.structure += 1;
        f.note(|| {
            format!(
                "{} transformer balances for {count} transformers, in id order: {ordered}",
                b.transformers.len()
            )
        });
    }
    let transformers: Vec<(usize, &TransformerBalance)> = b.transformers.iter().enumerate().take(count).collect();
    let one = |&(i, t): &(usize, &TransformerBalance)| check_transformer(d, i, t);
    #[cfg(feature = "parallel")]
    let per_transformer: Vec<Failures> = {
        use rayon::prelude::*;
        transformers.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per_transformer: Vec<Failures> = transformers.iter().map(one).collect();
    f = per_transformer.into_iter().fold(f, Failures::plus);
    let series = d.series_axis();
    let feeders = network.feeder_count();
    if b.feeders.len() != feeders {
        f.structure += 1;
        f.note(|| format!("{} feeder balances for {feeders} feeders", b.feeders.len()));
    }
    // Each feeder's transformers, in id order.
    let mut members: Vec<Vec<&TransformerBalance>> = vec![Vec::new(); b.feeders.len()];
    for t in &b.transformers {
        if let Some(m) = members.get_mut(t.feeder_id.index() as usize) {
            m.push(t);
        }
    }
    let one = |(i, fb): (usize, &FeederBalance)| check_feeder(series, &members[i], i, fb);
    #[cfg(feature = "parallel")]
    let per_feeder: Vec<Failures> = {
        use rayon::prelude::*;
        b.feeders.par_iter().enumerate().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let per_feeder: Vec<Failures> = b.feeders.iter().enumerate().map(one).collect();
    f = per_feeder.into_iter().fold(f, Failures::plus);
    Some(f.check(
        format!(
            "{} transformers × {} {} periods and {} feeders checked against {} meters",
            b.transformers.len(),
            series.len(),
            series.resolution(),
            b.feeders.len(),
            d.meters().len()
        ),
        false,
    ))
}

/// What the streaming `energy_balance` check gathers from the meters it
/// sees and checks each finished transformer's monthly balance with:
/// O(transformers × months).
#[derive(Debug, Clone)]
pub(crate) struct BalanceSums {
    months: usize,
    /// The transformers whose balance the stream must see.
    owned: Range<usize>,
    /// Σ billed of each transformer's meters per month, Wh, transformer-major.
    billed_wh: Vec<i64>,
    /// Theft and anomalous labels of each transformer's meters.
    theft: Vec<usize>,
    anomalous: Vec<usize>,
    /// Transformers checked, and the last one's index.
    checked: usize,
    last: Option<usize>,
    failures: Failures,
}

impl BalanceSums {
    /// Sums for a stream of the meters `range` of `network`, over `months` months.
    pub(crate) fn new(network: &Network, range: &Range<usize>, months: usize) -> BalanceSums {
        let n = network.transformers.len();
        BalanceSums {
            months,
            owned: crate::balance::owned_transformers(network, range),
            billed_wh: vec![0; n * months],
            theft: vec![0; n],
            anomalous: vec![0; n],
            checked: 0,
            last: None,
            failures: Failures::default(),
        }
    }

    /// Empty sums of the same shape (for a fork of the validator).
    pub(crate) fn empty_like(&self) -> BalanceSums {
        BalanceSums {
            months: self.months,
            owned: self.owned.clone(),
            billed_wh: vec![0; self.billed_wh.len()],
            theft: vec![0; self.theft.len()],
            anomalous: vec![0; self.anomalous.len()],
            checked: 0,
            last: None,
            failures: Failures::default(),
        }
    }

    /// Adds what `next` (a fork for the meters after these) gathered.
    pub(crate) fn merge(&mut self, next: BalanceSums) {
        for (a, b) in self.billed_wh.iter_mut().zip(&next.billed_wh) {
            *a += b;
        }
        for (a, b) in self.theft.iter_mut().zip(&next.theft) {
            *a += b;
        }
        for (a, b) in self.anomalous.iter_mut().zip(&next.anomalous) {
            *a += b;
        }
        self.checked += next.checked;
        self.last = next.last.or(self.last);
        self.failures = std::mem::take(&mut self.failures).plus(next.failures);
    }

    /// Adds the bills and labels of the meters of `part`: their monthly
    /// values or, at interval resolutions (`month_ranges`: the periods of
    /// each month), their readings summed per month.
    pub(crate) fn add_meters(&mut self, network: &Network, part: &Part<'_>, month_ranges: Option<&[Range<usize>]>) {
        let alloc = &network.allocation;
        for l in part.labels {
            let m = l.meter_id.index() as usize;
            if m < alloc.meters() {
                let t = alloc.transformer_of(m).index() as usize;
                self.anomalous[t] += 1;
                self.theft[t] += usize::from(l.is_theft);
            }
        }
        // At interval resolutions a meter's monthly value is the exact sum of
        // its readings in register units (checked by
        // `monthly_totals_equal_readings`), so the months are summed from it
        // rather than from every reading: one value a month, not ~720.
        let quantum = if month_ranges.is_some() {
            Quantum::Register
        } else {
            Quantum::Monthly
        };
        let (bills, per_meter) = (part.consumption, self.months);
        let n = part.meters.len();
        if per_meter == 0 || bills.len() != n * per_meter {
            // A ragged part (its own check fails): whose bills are whose is unknown.
            return;
        }
        let (first, months) = (part.first, self.months);
        let mut m = 0;
        while m < n && first + m < alloc.meters() {
            let t = alloc.transformer_of(first + m).index() as usize;
            let end = (alloc.range(t).end - first).clamp(m + 1, n);
            let sums = &mut self.billed_wh[t * months..(t + 1) * months];
            for row in bills[m * per_meter..end * per_meter].chunks_exact(per_meter) {
                quantum.add(sums, row);
            }
            m = end;
        }
    }

    /// Checks finished transformers (in id order) on `series`: each month's
    /// identity, its billed against the bills summed, its label counts.
    pub(crate) fn add_balance(&mut self, series: &TimeAxis, transformers: &[TransformerBalance]) {
        let f = &mut self.failures;
        for t in transformers {
            let i = t.transformer_id.index() as usize;
            let id = t.transformer_id;
            if !self.owned.contains(&i) || self.last.is_some_and(|last| last >= i) || t.rows.len() != series.len() {
                f.structure += 1;
                f.note(|| format!("{id}: not the stream's next transformer of {} periods", series.len()));
                continue;
            }
            self.last = Some(i);
            self.checked += 1;
            for (m, row) in t.monthly(series).iter().enumerate().take(self.months) {
                let month = series.monthly().month(m);
                let (ok, reading, parts) = identity(row);
                if !ok {
                    f.identity += 1;
                    f.note(|| {
                        format!("{id} {month}: reading {reading} kWh, meter_error + technical + unmetered + true {parts} kWh")
                    });
                }
                let bills = self.billed_wh[i * self.months + m];
                if wh(row.billed_kwh) != bills {
                    f.billed += 1;
                    f.note(|| {
                        format!(
                            "{id} {month}: billed {} kWh, its meters' bills {} kWh",
                            row.billed_kwh,
                            bills as f64 / 1000.0
                        )
                    });
                }
            }
            f.labels_of(t, self.theft[i], self.anomalous[i]);
        }
    }

    /// The streamed `energy_balance` check.
    pub(crate) fn check(&self) -> Check {
        let mut f = self.failures.clone();
        let want = self.owned.len();
        if self.checked != want {
            f.structure += 1;
            f.note(|| format!("{} transformers' balances seen, expected {want}", self.checked));
        }
        f.check(
            format!(
                "{} transformers × {} months checked (streamed)",
                self.checked, self.months
            ),
            true,
        )
    }
}
