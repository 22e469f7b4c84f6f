//! The design's integrity checks (§2.3), run on every generated dataset.

mod balance;

use crate::balance::TransformerBalance;
use crate::batch::Part;
pub(crate) use crate::checks::check;
use crate::checks::{Check, ValidationReport};
use crate::config::GeneratorConfig;
use crate::dataset::Dataset;
use crate::ids::MeterId;
use crate::model::{AnomalyLabel, AnomalyType, Event};
use crate::network::Network;
use crate::time::TimeAxis;

/// Largest difference, kWh, between a month's value and the sum of its
/// readings: half the monthly file's last decimal.
pub(crate) const MONTHLY_SUM_TOLERANCE_KWH: f64 = 0.005;

/// Largest distance, kWh, of a reading from a whole multiple of the register resolution.
const REGISTER_TOLERANCE_KWH: f64 = 1e-9;

/// Where an event sits in the order of a meter's events: the meter; then
/// its mix event (the injected anomaly or benign look-alike) first, as
/// `(0, 0, 0)`; then the benign interval events (`typhoon_outage`,
/// `missing_data`) by onset, a typhoon outage before a missing run at the
/// same onset, as `(1, onset, 0 or 1)`. Events must come in strictly
/// increasing order of this key: at most one mix event per meter, and no
/// two interval events of one kind at one onset.
type EventKey = (MeterId, u8, usize, u8);

/// A run of missing readings as `(meter, first period, last period)`, the
/// form a `missing_data` event has too.
type RunKey = (MeterId, usize, Option<usize>);

/// Meters per parallel slice of the validation pass.
pub(crate) const SLICE: usize = 1 << 16;

impl Dataset {
    /// Runs the integrity checks (see [`ValidationReport`]).
    #[must_use]
    pub fn validate(&self) -> ValidationReport {
        validate(self, false)
    }
}

/// `(non-finite, finite and negative)` counts of `values`, without
/// branches so that the loop vectorises (it runs over every cell).
pub(crate) fn count_bad_cells(values: &[f64]) -> (usize, usize) {
    let (mut non_finite, mut negative) = (0usize, 0usize);
    for &v in values {
        // NaN fails both comparisons; -inf counts as non-finite only.
        let finite = v.abs() < f64::INFINITY;
        non_finite += usize::from(!finite);
        negative += usize::from(finite & (v < 0.0));
    }
    (non_finite, negative)
}

/// Every check of `d`. `cells_checked`: the caller is
/// [`Pipeline::generate`](crate::Pipeline::generate), which checked each
/// cell (finite, `>= 0`) as its chunk was generated, while still in cache,
/// and fails on the first bad one; the cells are then not read again (192 MB
/// at 1 M × 24).
pub(crate) fn validate(d: &Dataset, cells_checked: bool) -> ValidationReport {
    let expected = Expected::whole(&d.config);
    let mut v = Validator::new(&d.config, &d.axis, &d.network, expected);
    let add = if cells_checked {
        Validator::add_meters
    } else {
        Validator::add
    };
    v.add_parallel(&d.part(), add);
    let mut report = v.finish();
    report.checks.extend(balance::energy_balance(d));
    report
}

/// What a run of meters must contain: its index range and exact counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expected {
    pub(crate) range: std::ops::Range<usize>,
    pub(crate) anomalous: usize,
    pub(crate) benign: usize,
}

impl Expected {
    /// The whole dataset.
    pub(crate) fn whole(config: &GeneratorConfig) -> Self {
        Expected {
            range: 0..config.num_meters,
            anomalous: config.anomalous_meter_count(),
            benign: config.benign_meter_count(),
        }
    }
}

/// Runs the checks of [`ValidationReport`] incrementally, batch by batch, so
/// that a streamed dataset is checked as strictly as one held in memory.
/// Feed every meter exactly once, in order.
#[derive(Debug)]
pub(crate) struct Validator<'a> {
    config: &'a GeneratorConfig,
    axis: &'a TimeAxis,
    network: &'a Network,
    expected: Expected,
    /// Meters of the expected range that come before this validator's first
    /// (non-zero for a fork that checks a later slice in parallel).
    offset: usize,
    meters: usize,
    rows: usize,
    ragged_batches: usize,
    served: Vec<usize>,
    bad_meters: usize,
    bad_labels: usize,
    labels: usize,
    first_label: Option<MeterId>,
    last_label: Option<MeterId>,
    labels_sorted: bool,
    non_finite_meters: usize,
    non_finite_cells: usize,
    non_finite_labels: usize,
    meters_out_of_bounds: usize,
    negative_cells: usize,
    events: usize,
    benign: usize,
    events_sorted: bool,
    events_out_of_series: usize,
    labelled_benign: usize,
    unmatched_labels: usize,
    /// The series axis: labels' and events' periods, and the readings'.
    series: TimeAxis,
    /// Whether the series is at an interval resolution (readings, interval events).
    interval: bool,
    /// The periods of each month on the series axis (interval resolutions only).
    month_ranges: Vec<std::ops::Range<usize>>,
    first_event: Option<EventKey>,
    last_event: Option<EventKey>,
    labels_out_of_series: usize,
    outage_events: usize,
    missing_events: usize,
    readings: Readings,
    runs: Runs,
    /// The streamed `energy_balance` check (`None`: not asked for, see
    /// [`expect_balance`](Validator::expect_balance)).
    balance: Option<balance::BalanceSums>,
}

/// What the `readings_present` and `monthly_totals_equal_readings` checks count.
#[derive(Debug, Clone, Default)]
struct Readings {
    meters: usize,
    values: usize,
    non_finite: usize,
    negative: usize,
    off_register: usize,
    ragged_parts: usize,
    foreign_axis_parts: usize,
    months_checked: usize,
    months_differing: usize,
    largest_difference: f64,
}

impl Readings {
    fn merge(&mut self, o: &Readings) {
        self.meters += o.meters;
        self.values += o.values;
        self.non_finite += o.non_finite;
        self.negative += o.negative;
        self.off_register += o.off_register;
        self.ragged_parts += o.ragged_parts;
        self.foreign_axis_parts += o.foreign_axis_parts;
        self.months_checked += o.months_checked;
        self.months_differing += o.months_differing;
        self.largest_difference = self.largest_difference.max(o.largest_difference);
    }
}

/// What the `missing_runs_match_events` check counts.
#[derive(Debug, Clone)]
struct Runs {
    runs: usize,
    readings: usize,
    sorted: bool,
    first: Option<RunKey>,
    last: Option<RunKey>,
    outside: usize,
    unknown_meter: usize,
    without_event: usize,
    events_without_run: usize,
}

impl Default for Runs {
    fn default() -> Self {
        Runs {
            runs: 0,
            readings: 0,
            sorted: true,
            first: None,
            last: None,
            outside: 0,
            unknown_meter: 0,
            without_event: 0,
            events_without_run: 0,
        }
    }
}

/// Whether run `b` may follow run `a`: a later meter, or the same meter
/// starting after `a` ends.
fn runs_ordered(a: RunKey, b: RunKey) -> bool {
    a.0 < b.0 || (a.0 == b.0 && a.2.is_some_and(|end| end < b.1))
}

/// The order key of `e` (see [`EventKey`]); `interval`: the series is at an interval resolution.
fn event_key(e: &Event, interval: bool) -> EventKey {
    if interval && e.is_interval_benign() {
        let kind = u8::from(e.event_type == AnomalyType::MISSING_DATA);
        (e.meter_id, 1, e.onset, kind)
    } else {
        (e.meter_id, 0, 0, 0)
    }
}

/// 1.5 · 2⁵²: adding and subtracting it rounds a double to an integer (ties to even).
const ROUNDING_MAGIC: f64 = 6_755_399_441_055_744.0;

/// `(non-finite, finite and negative, finite and off the register)` counts
/// of `values`, branch-free so that the loop vectorises.
fn count_bad_readings(values: &[f64], units_per_kwh: f64) -> (usize, usize, usize) {
    let (mut non_finite, mut negative, mut off) = (0usize, 0usize, 0usize);
    for &v in values {
        let finite = v.abs() < f64::INFINITY;
        non_finite += usize::from(!finite);
        negative += usize::from(finite & (v < 0.0));
        // Round to the nearest unit by adding and removing 1.5 · 2⁵²: plain
        // arithmetic (`round` is a library call that stops vectorisation),
        // exact for |scaled| < 2⁵¹, far beyond any register's full scale.
        let scaled = v * units_per_kwh;
        let nearest = (scaled + ROUNDING_MAGIC) - ROUNDING_MAGIC;
        off += usize::from(finite & ((scaled - nearest).abs() > REGISTER_TOLERANCE_KWH * units_per_kwh));
    }
    (non_finite, negative, off)
}

impl<'a> Validator<'a> {
    pub(crate) fn new(
        config: &'a GeneratorConfig,
        axis: &'a TimeAxis,
        network: &'a Network,
        expected: Expected,
    ) -> Self {
        let series = axis.at_resolution(config.resolution);
        let interval = series.resolution().is_interval();
        let month_ranges = if interval {
            (0..series.months()).map(|m| series.month_range(m)).collect()
        } else {
            Vec::new()
        };
        Validator {
            config,
            axis,
            network,
            expected,
            offset: 0,
            meters: 0,
            rows: 0,
            ragged_batches: 0,
            served: vec![0; network.transformers.len()],
            bad_meters: 0,
            bad_labels: 0,
            labels: 0,
            first_label: None,
            last_label: None,
            labels_sorted: true,
            non_finite_meters: 0,
            non_finite_cells: 0,
            non_finite_labels: 0,
            meters_out_of_bounds: 0,
            negative_cells: 0,
            events: 0,
            benign: 0,
            events_sorted: true,
            events_out_of_series: 0,
            labelled_benign: 0,
            unmatched_labels: 0,
            series,
            interval,
            month_ranges,
            first_event: None,
            last_event: None,
            labels_out_of_series: 0,
            outage_events: 0,
            missing_events: 0,
            readings: Readings::default(),
            runs: Runs::default(),
            balance: None,
        }
    }

    /// Asks for the streamed `energy_balance` check: the balances of the
    /// transformers the expected range owns will be fed to
    /// [`add_balance`](Self::add_balance), each after its meters.
    pub(crate) fn expect_balance(&mut self) {
        self.balance = Some(balance::BalanceSums::new(
            self.network,
            &self.expected.range,
            self.axis.len(),
        ));
    }

    /// Checks finished transformers' balances (in id order), monthly,
    /// against the meters added so far: the identity, the bills, the labels.
    pub(crate) fn add_balance(&mut self, transformers: &[TransformerBalance]) {
        if let Some(b) = &mut self.balance {
            b.add_balance(&self.series, transformers);
        }
    }

    /// Adds the bills and labels of meters beyond the expected range that a
    /// transformer it owns also serves (a shard's last transformer), for
    /// the `energy_balance` check only.
    pub(crate) fn add_balance_meters(&mut self, part: &Part<'_>) {
        if let Some(b) = &mut self.balance {
            let ranges = self.interval.then_some(&self.month_ranges[..]);
            b.add_meters(self.network, part, ranges);
        }
    }

    /// Adds meters with their rows, labels and events (the next run, in order).
    pub(crate) fn add(&mut self, part: &Part<'_>) {
        let (non_finite, negative) = count_bad_cells(part.consumption);
        self.non_finite_cells += non_finite;
        self.negative_cells += negative;
        self.add_meters(part);
    }

    /// An empty validator for the meters that follow the first `offset` of
    /// the expected range, to check a later slice in parallel and [`merge`](Self::merge) it.
    fn fork(&self, offset: usize) -> Validator<'a> {
        let mut v = Validator::new(self.config, self.axis, self.network, self.expected.clone());
        v.offset = offset;
        v.balance = self.balance.as_ref().map(balance::BalanceSums::empty_like);
        v
    }

    /// Appends what `next` (a fork for the slice right after this one) saw.
    fn merge(&mut self, next: Validator<'a>) {
        let ordered = |last: Option<MeterId>, first: Option<MeterId>| match (last, first) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        };
        self.labels_sorted &= next.labels_sorted && ordered(self.last_label, next.first_label);
        self.events_sorted &= next.events_sorted
            && match (self.last_event, next.first_event) {
                (Some(a), Some(b)) => a < b,
                _ => true,
            };
        self.first_label = self.first_label.or(next.first_label);
        self.last_label = next.last_label.or(self.last_label);
        self.first_event = self.first_event.or(next.first_event);
        self.last_event = next.last_event.or(self.last_event);
        for (a, b) in self.served.iter_mut().zip(&next.served) {
            *a += b;
        }
        self.meters += next.meters;
        self.rows += next.rows;
        self.ragged_batches += next.ragged_batches;
        self.bad_meters += next.bad_meters;
        self.bad_labels += next.bad_labels;
        self.labels += next.labels;
        self.non_finite_meters += next.non_finite_meters;
        self.non_finite_cells += next.non_finite_cells;
        self.non_finite_labels += next.non_finite_labels;
        self.meters_out_of_bounds += next.meters_out_of_bounds;
        self.negative_cells += next.negative_cells;
        self.events += next.events;
        self.benign += next.benign;
        self.events_out_of_series += next.events_out_of_series;
        self.labelled_benign += next.labelled_benign;
        self.unmatched_labels += next.unmatched_labels;
        self.labels_out_of_series += next.labels_out_of_series;
        self.outage_events += next.outage_events;
        self.missing_events += next.missing_events;
        self.readings.merge(&next.readings);
        let runs_ordered = match (self.runs.last, next.runs.first) {
            (Some(a), Some(b)) => runs_ordered(a, b),
            _ => true,
        };
        let r = &mut self.runs;
        r.sorted &= next.runs.sorted && runs_ordered;
        r.first = r.first.or(next.runs.first);
        r.last = next.runs.last.or(r.last);
        r.runs += next.runs.runs;
        r.readings += next.runs.readings;
        r.outside += next.runs.outside;
        r.unknown_meter += next.runs.unknown_meter;
        r.without_event += next.runs.without_event;
        r.events_without_run += next.runs.events_without_run;
        if let (Some(a), Some(b)) = (&mut self.balance, next.balance) {
            a.merge(b);
        }
    }

    /// `add` ([`add`](Self::add) or [`add_meters`](Self::add_meters)) for a
    /// large part: slices of it are checked in parallel (with the `parallel`
    /// feature) and merged in order.
    pub(crate) fn add_parallel(&mut self, part: &Part<'_>, add: fn(&mut Self, &Part<'_>)) {
        let n = part.meters.len();
        let starts: Vec<usize> = (0..n).step_by(SLICE).collect();
        let base = self.meters;
        let check = |&start: &usize| {
            let mut v = self.fork(base + start);
            add(&mut v, &part.slice(start..(start + SLICE).min(n)));
            v
        };
        #[cfg(feature = "parallel")]
        let forks: Vec<Validator<'a>> = {
            use rayon::prelude::*;
            starts.par_iter().map(check).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let forks: Vec<Validator<'a>> = starts.iter().map(check).collect();
        for f in forks {
            self.merge(f);
        }
    }

    /// Adds the finiteness and sign counts of scanned cells.
    pub(crate) fn add_cells(&mut self, scan: &crate::cells::CellScan) {
        self.non_finite_cells += scan.non_finite as usize;
        self.negative_cells += scan.negative as usize;
    }

    /// Adds everything of `part` but its cells (see [`add_cells`](Self::add_cells)).
    pub(crate) fn add_meters(&mut self, part: &Part<'_>) {
        let Part {
            first,
            meters,
            consumption,
            labels,
            events,
            ..
        } = *part;
        let periods = self.axis.len();
        let bounds = &self.config.bounds;
        self.meters += meters.len();
        self.rows += consumption.len() / periods.max(1);
        if consumption.len() != meters.len() * periods {
            self.ragged_batches += 1;
        }
        let allocation = &self.network.allocation;
        let n_transformers = allocation.transformers();
        let mut cursor = meters.first().map_or(0, |m| {
            allocation
                .transformer_of((m.id.index() as usize).min(allocation.meters().saturating_sub(1)))
                .index() as usize
        });
        for (i, m) in meters.iter().enumerate() {
            let transformer = self.network.transformer(m.transformer_id);
            let expected_id = self.expected.range.start + self.offset + self.meters - meters.len() + i;
            let misplaced = m.id.index() as usize != first + i || m.id.index() as usize != expected_id;
            // Meters come in id order: the serving transformer only moves forward.
            while cursor + 1 < n_transformers && allocation.range(cursor).end <= m.id.index() as usize {
                cursor += 1;
            }
            let wrong_transformer = cursor != m.transformer_id.index() as usize
                || !allocation.range(cursor).contains(&(m.id.index() as usize));
            if misplaced || wrong_transformer || transformer.is_none_or(|t| t.barangay != m.barangay) {
                self.bad_meters += 1;
            }
            if let Some(s) = self.served.get_mut(m.transformer_id.index() as usize) {
                *s += 1;
            }
            if ![m.lat, m.lon, m.kva, m.baseline_kwh, m.monthly_growth]
                .iter()
                .all(|v| v.is_finite())
            {
                self.non_finite_meters += 1;
            }
            if !bounds.contains(m.point()) {
                self.meters_out_of_bounds += 1;
            }
        }
        let in_batch = |id: MeterId| (first..first + meters.len()).contains(&(id.index() as usize));
        let len = self.series.len();
        let outside = |onset: usize, end: Option<usize>| onset >= len || end.is_some_and(|x| x < onset || x >= len);
        for l in labels {
            self.labels += 1;
            if !in_batch(l.meter_id) {
                self.bad_labels += 1;
            }
            if !l.severity.is_finite() {
                self.non_finite_labels += 1;
            }
            if outside(l.onset, l.end) {
                self.labels_out_of_series += 1;
            }
            if self.last_label.is_some_and(|last| last >= l.meter_id) {
                self.labels_sorted = false;
            }
            self.first_label.get_or_insert(l.meter_id);
            self.last_label = Some(l.meter_id);
            // The event order check puts the mix event first; here any event of the meter may match.
            let matched = crate::batch::events_of(events, l.meter_id).iter().any(|e| same(e, l));
            if !matched {
                self.unmatched_labels += 1;
            }
        }
        for e in events {
            let key = event_key(e, self.interval);
            if key.1 == 1 {
                // Benign interval events: counted apart, never labelled.
                if key.3 == 0 {
                    self.outage_events += 1;
                } else {
                    self.missing_events += 1;
                }
            } else {
                self.events += 1;
                if !e.is_anomaly {
                    self.benign += 1;
                    if crate::batch::find(labels, e.meter_id, |l| l.meter_id).is_some() {
                        self.labelled_benign += 1;
                    }
                }
            }
            if outside(e.onset, e.end) {
                self.events_out_of_series += 1;
            }
            if self.last_event.is_some_and(|last| last >= key) {
                self.events_sorted = false;
            }
            self.first_event.get_or_insert(key);
            self.last_event = Some(key);
        }
        if self.interval {
            self.add_readings(part);
            self.add_runs(part);
        }
        self.add_balance_meters(part);
    }

    /// The `readings_present` and `monthly_totals_equal_readings` counts of `part`.
    fn add_readings(&mut self, part: &Part<'_>) {
        let intervals = self.series.len();
        let months = self.axis.len();
        let r = &mut self.readings;
        r.meters += part.meters.len();
        r.values += part.readings.len();
        if part.axis != self.series {
            r.foreign_axis_parts += 1;
        }
        let units_per_kwh = (1.0 / self.config.register_resolution_kwh).round();
        let (non_finite, negative, off) = count_bad_readings(part.readings, units_per_kwh);
        r.non_finite += non_finite;
        r.negative += negative;
        r.off_register += off;
        if part.readings.len() != part.meters.len() * intervals {
            // Which reading is whose is unknown: the sums are not checked.
            r.ragged_parts += 1;
            return;
        }
        let rows = part.readings.chunks_exact(intervals.max(1));
        for (readings, values) in rows.zip(part.consumption.chunks_exact(months.max(1))) {
            for (periods, &value) in self.month_ranges.iter().zip(values) {
                let sum: f64 = readings.get(periods.clone()).map_or(f64::NAN, |p| p.iter().sum());
                let difference = (sum - value).abs();
                r.months_checked += 1;
                // A NaN sum (a non-finite reading) differs, infinitely.
                let difference = if difference.is_nan() { f64::INFINITY } else { difference };
                if difference > MONTHLY_SUM_TOLERANCE_KWH {
                    r.months_differing += 1;
                }
                r.largest_difference = r.largest_difference.max(difference);
            }
        }
    }

    /// The `missing_runs_match_events` counts of `part`: its runs in order,
    /// inside the series, each matched by exactly one `missing_data` event.
    fn add_runs(&mut self, part: &Part<'_>) {
        let len = self.series.len();
        let in_part = |id: MeterId| (part.first..part.first + part.meters.len()).contains(&(id.index() as usize));
        let r = &mut self.runs;
        let run_keys = part.missing.iter().map(|run| {
            (
                run.meter_id,
                run.start,
                (run.len > 0).then(|| run.start.saturating_add(run.len - 1)),
            )
        });
        for (run, key) in part.missing.iter().zip(run_keys.clone()) {
            r.runs += 1;
            r.readings += run.len;
            if run.len == 0 || run.start.saturating_add(run.len) > len {
                r.outside += 1;
            }
            if !in_part(run.meter_id) {
                r.unknown_meter += 1;
            }
            if r.last.is_some_and(|last| !runs_ordered(last, key)) {
                r.sorted = false;
            }
            r.first.get_or_insert(key);
            r.last = Some(key);
        }
        // Both in (meter, start) order: one merge pass pairs them.
        let mut runs = run_keys.peekable();
        let mut events = part
            .events
            .iter()
            .filter(|e| e.is_interval_benign() && e.event_type == AnomalyType::MISSING_DATA)
            .map(|e| (e.meter_id, e.onset, e.end))
            .peekable();
        loop {
            match (runs.peek(), events.peek()) {
                (Some(a), Some(b)) if a == b => {
                    runs.next();
                    events.next();
                }
                (Some(a), Some(b)) if a < b => {
                    r.without_event += 1;
                    runs.next();
                }
                (Some(_), Some(_)) | (None, Some(_)) => {
                    r.events_without_run += 1;
                    events.next();
                }
                (Some(_), None) => {
                    r.without_event += 1;
                    runs.next();
                }
                (None, None) => break,
            }
        }
    }

    pub(crate) fn finish(self) -> ValidationReport {
        let mut report = ValidationReport {
            checks: vec![
                self.record_counts(),
                self.anomaly_count(),
                self.foreign_keys(),
                self.no_missing_values(),
                self.all_periods_present(),
                self.coordinates_in_bounds(),
                self.non_negative(),
                self.events_check(),
            ],
        };
        if self.interval {
            report.checks.extend([
                self.readings_present(),
                self.monthly_totals_equal_readings(),
                self.missing_runs_match_events(),
            ]);
        }
        report
            .checks
            .extend(self.balance.as_ref().map(balance::BalanceSums::check));
        report
    }

    fn record_counts(&self) -> Check {
        let c = self.config;
        let tx = self.network.transformers.len();
        let served: usize = self.network.transformers.iter().map(|t| t.num_meters).sum();
        let want = self.expected.range.len();
        let ok = tx == c.num_transformers && self.meters == want && self.rows == self.meters && served == c.num_meters;
        check(
            "record_counts",
            ok,
            format!(
                "{tx} transformers (configured {}), {} meters (expected {want} of {}), {} series, {served} meters served by transformers",
                c.num_transformers, self.meters, c.num_meters, self.rows
            ),
        )
    }

    fn anomaly_count(&self) -> Check {
        let expected = self.expected.anomalous;
        let rate = if self.meters == 0 {
            0.0
        } else {
            self.labels as f64 / self.meters as f64
        };
        check(
            "anomaly_count",
            self.labels == expected,
            format!(
                "{} anomalous meters (expected exactly {expected}); rate {rate:.4} vs configured {:.4}",
                self.labels, self.config.anomaly_rate
            ),
        )
    }

    fn foreign_keys(&self) -> Check {
        let n = self.network;
        let bad_transformers = n
            .transformers
            .iter()
            .filter(|t| t.barangay.index() as usize >= n.barangays.len())
            .count();
        // Each transformer serves, within the expected range, the overlap of its own meter range.
        let r = &self.expected.range;
        let bad_counts = (0..n.transformers.len())
            .zip(&self.served)
            .filter(|(t, s)| {
                let own = n.allocation.range(*t);
                let overlap = own.end.min(r.end).saturating_sub(own.start.max(r.start));
                overlap != **s || n.transformers[*t].num_meters != own.len()
            })
            .count();
        let (bad_meters, bad_labels, sorted) = (self.bad_meters, self.bad_labels, self.labels_sorted);
        check(
            "foreign_keys",
            bad_meters + bad_transformers + bad_labels + bad_counts == 0 && sorted,
            format!(
                "{bad_meters} meters with a missing or mismatched transformer, {bad_transformers} transformers with an unknown barangay, {bad_labels} labels of unknown meters, {bad_counts} transformers whose num_meters is wrong, labels unique: {sorted}"
            ),
        )
    }

    fn no_missing_values(&self) -> Check {
        let n = self.network;
        let tx = n
            .transformers
            .iter()
            .filter(|t| ![t.lat, t.lon, t.capacity_kva].iter().all(|v| v.is_finite()))
            .count();
        let names = n.barangays.iter().filter(|b| b.name.trim().is_empty()).count();
        let (meters, cells, labels) = (self.non_finite_meters, self.non_finite_cells, self.non_finite_labels);
        check(
            "no_missing_values",
            tx + meters + cells + labels + names == 0,
            format!(
                "non-finite values: {tx} transformers, {meters} meters, {cells} consumption cells, {labels} labels; {names} empty barangay names"
            ),
        )
    }

    fn all_periods_present(&self) -> Check {
        let p = self.axis.len();
        let ok = p == self.config.num_months && self.ragged_batches == 0;
        check(
            "all_periods_present",
            ok,
            format!(
                "{p} periods per series from {} (configured {}); {} batches with a ragged matrix",
                self.axis.start(),
                self.config.num_months,
                self.ragged_batches
            ),
        )
    }

    fn coordinates_in_bounds(&self) -> Check {
        let b = &self.config.bounds;
        let tx = self
            .network
            .transformers
            .iter()
            .filter(|t| !b.contains(t.point()))
            .count();
        let meters = self.meters_out_of_bounds;
        check(
            "coordinates_in_bounds",
            tx + meters == 0,
            format!(
                "{tx} transformers and {meters} meters outside lat {}..{}, lon {}..{}",
                b.lat_min, b.lat_max, b.lon_min, b.lon_max
            ),
        )
    }

    fn non_negative(&self) -> Check {
        let neg = self.negative_cells;
        check(
            "non_negative_consumption",
            neg == 0,
            format!("{neg} negative consumption values"),
        )
    }

    fn events_check(&self) -> Check {
        let expected_benign = self.expected.benign;
        let anomalous_events = self.events - self.benign;
        let (benign, sorted, outside) = (self.benign, self.events_sorted, self.events_out_of_series);
        let (labelled_benign, unmatched) = (self.labelled_benign, self.unmatched_labels);
        let labels_outside = self.labels_out_of_series;
        let passed = sorted
            && outside == 0
            && labels_outside == 0
            && benign == expected_benign
            && labelled_benign == 0
            && unmatched == 0
            && anomalous_events == self.labels;
        let detail = if self.interval {
            format!(
                "{} injected events ({anomalous_events} anomalous, {benign} benign; expected exactly {expected_benign} benign) and {} typhoon_outage and {} missing_data events (benign), sorted and unique: {sorted}, {outside} outside the series of {} periods, {labels_outside} labels outside the series, {labelled_benign} benign events labelled, {unmatched} labels without a matching event",
                self.events,
                self.outage_events,
                self.missing_events,
                self.series.len()
            )
        } else {
            // A label outside the series also has its event outside, or none.
            format!(
                "{} events ({anomalous_events} anomalous, {benign} benign; expected exactly {expected_benign} benign), sorted and unique: {sorted}, {outside} outside the series, {labelled_benign} benign events labelled, {unmatched} labels without a matching event",
                self.events
            )
        };
        check("events", passed, detail)
    }

    fn readings_present(&self) -> Check {
        let r = &self.readings;
        let bad = r.non_finite + r.negative + r.off_register + r.ragged_parts + r.foreign_axis_parts;
        let want = r.meters * self.series.len();
        check(
            "readings_present",
            bad == 0 && r.values == want,
            format!(
                "{} readings of {} meters (expected {want}: {} {} periods each); {} non-finite, {} negative, {} not a whole multiple of {} kWh; {} batches with a ragged readings matrix, {} on another series axis",
                r.values,
                r.meters,
                self.series.len(),
                self.series.resolution(),
                r.non_finite,
                r.negative,
                r.off_register,
                self.config.register_resolution_kwh,
                r.ragged_parts,
                r.foreign_axis_parts
            ),
        )
    }

    fn monthly_totals_equal_readings(&self) -> Check {
        let r = &self.readings;
        let want = self.meters * self.axis.len();
        check(
            "monthly_totals_equal_readings",
            r.months_differing == 0 && r.months_checked == want,
            format!(
                "{} meter-months checked (expected {want}), {} differ from the sum of their readings by more than {MONTHLY_SUM_TOLERANCE_KWH} kWh (largest difference {:.4} kWh)",
                r.months_checked, r.months_differing, r.largest_difference
            ),
        )
    }

    fn missing_runs_match_events(&self) -> Check {
        let r = &self.runs;
        check(
            "missing_runs_match_events",
            r.sorted
                && r.outside == 0
                && r.unknown_meter == 0
                && r.without_event == 0
                && r.events_without_run == 0
                && r.runs == self.missing_events,
            format!(
                "{} missing runs ({} readings) and {} missing_data events; runs sorted and disjoint: {}, {} outside the series, {} of meters not in their batch, {} runs without a missing_data event, {} missing_data events without a run",
                r.runs,
                r.readings,
                self.missing_events,
                r.sorted,
                r.outside,
                r.unknown_meter,
                r.without_event,
                r.events_without_run
            ),
        )
    }
}

/// Whether an event is the anomalous event a label describes.
fn same(e: &Event, l: &AnomalyLabel) -> bool {
    e.is_anomaly
        && e.event_type == l.anomaly_type
        && e.onset == l.onset
        && e.end == l.end
        && e.severity.to_bits() == l.severity.to_bits()
        && e.is_theft == l.is_theft
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::ConsumptionMatrix;
    use crate::ids::{BarangayId, MeterId, TransformerId};
    use crate::model::AnomalyType;
    use crate::{GeneratorConfig, Pipeline, Resolution};

    /// The balance off: the tests of this module damage one part of a
    /// dataset and expect exactly the check of that part to fail, while the
    /// balance sums the meters' bills and labels and would fail on most
    /// damage too. Its own tests (`energy_balance_*`) turn it on.
    fn no_balance() -> crate::BalanceConfig {
        crate::BalanceConfig {
            enabled: false,
            ..Default::default()
        }
    }

    /// 300 meters on 5 transformers, 12 months, with labels and benign
    /// events (the balance off, see [`no_balance`]).
    fn dataset() -> Dataset {
        let config = GeneratorConfig {
            num_meters: 300,
            num_transformers: 5,
            benign_rate: 0.1,
            balance: no_balance(),
            ..Default::default()
        };
        Pipeline::builder().config(config).build().unwrap().generate().unwrap()
    }

    fn failed(r: &ValidationReport) -> Vec<&str> {
        r.checks.iter().filter(|c| !c.passed).map(|c| c.name.as_str()).collect()
    }

    /// `d` checked as two slices of the meters, split after `k`, merged
    /// (what [`Validator::add_parallel`] does above 65 536 meters).
    fn split(d: &Dataset, k: usize) -> ValidationReport {
        let part = d.part();
        let n = part.meters.len();
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        let (mut a, mut b) = (v.fork(0), v.fork(k));
        a.add(&part.slice(0..k));
        b.add(&part.slice(k..n));
        v.merge(a);
        v.merge(b);
        with_balance(d, v.finish())
    }

    /// `report` followed by the in-memory `energy_balance` check of `d`, as [`validate`] ends.
    fn with_balance(d: &Dataset, mut report: ValidationReport) -> ValidationReport {
        report.checks.extend(balance::energy_balance(d));
        report
    }

    /// Asserts that exactly the checks `names` fail on `d`, in one run and
    /// in split runs (whose merged report must be the same).
    #[track_caller]
    fn assert_fails(d: &Dataset, names: &[&str]) {
        let whole = assert_fails_whole(d, names);
        let n = d.meters.len();
        for k in [1, n / 2, n - 1] {
            assert_eq!(split(d, k), whole, "split after {k}");
        }
    }

    /// As [`assert_fails`], in one run only (for damage that breaks the
    /// order the slices rely on).
    #[track_caller]
    fn assert_fails_whole(d: &Dataset, names: &[&str]) -> ValidationReport {
        let whole = d.validate();
        assert_eq!(failed(&whole), names, "{whole}");
        assert_eq!(whole.passed(), names.is_empty());
        assert_eq!(whole.failures().count(), names.len());
        whole
    }

    /// `part` fed to a validator of `d` as one batch, without slicing.
    fn direct(d: &Dataset, part: &Part<'_>) -> ValidationReport {
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        v.add(part);
        with_balance(d, v.finish())
    }

    fn with_cell(d: &Dataset, at: usize, value: f64) -> Dataset {
        let mut d = d.clone();
        let mut cells = d.consumption.as_slice().to_vec();
        cells[at] = value;
        d.consumption = ConsumptionMatrix::from_rows(cells, d.axis.len());
        d
    }

    /// A meter with neither label nor event, and not the last one.
    fn quiet_meter(d: &Dataset) -> usize {
        (0..d.meters.len() - 1)
            .rev()
            .find(|&i| d.event(MeterId::from_index(i as u32)).is_none())
            .unwrap()
    }

    /// A small interval dataset: `meters` meters on 10 transformers over
    /// `months` months at `resolution`, 1 % of readings missing, with labels
    /// and benign events.
    fn interval_dataset(resolution: Resolution, meters: usize, months: usize) -> Dataset {
        let config = GeneratorConfig {
            num_meters: meters,
            num_transformers: 10,
            num_months: months,
            resolution,
            missing_rate: 0.01,
            benign_rate: 0.1,
            anomaly_rate: 0.1,
            min_normal_periods: 0,
            balance: no_balance(),
            ..Default::default()
        };
        Pipeline::builder().config(config).build().unwrap().generate().unwrap()
    }

    /// 200 meters × 2 months of hourly readings in the typhoon season, with
    /// typhoon outages, missing runs, labels and benign events.
    fn hourly() -> Dataset {
        let config = GeneratorConfig {
            num_meters: 200,
            num_transformers: 10,
            num_months: 2,
            start_month: crate::YearMonth::new(2024, 8).unwrap(),
            resolution: Resolution::Hourly,
            missing_rate: 0.01,
            benign_rate: 0.1,
            anomaly_rate: 0.1,
            min_normal_periods: 0,
            weather: crate::WeatherConfig {
                typhoons_per_year: 20.0,
                ..Default::default()
            },
            balance: no_balance(),
            ..Default::default()
        };
        Pipeline::builder().config(config).build().unwrap().generate().unwrap()
    }

    /// Position in `d.readings` of meter `meter`'s reading `period`.
    fn reading_at(d: &Dataset, meter: usize, period: usize) -> usize {
        meter * d.intervals() + period
    }

    /// Positions in `d.events` of a `typhoon_outage` and a `missing_data`
    /// event of one meter, next to each other, at different onsets.
    fn adjacent_outage_and_missing(d: &Dataset) -> (usize, usize) {
        let kinds = [AnomalyType::TYPHOON_OUTAGE, AnomalyType::MISSING_DATA];
        let i = d
            .events
            .windows(2)
            .position(|w| {
                w[0].meter_id == w[1].meter_id
                    && w[0].onset != w[1].onset
                    && kinds.contains(&w[0].event_type)
                    && kinds.contains(&w[1].event_type)
                    && w[0].event_type != w[1].event_type
            })
            .unwrap();
        if d.events[i].event_type == AnomalyType::TYPHOON_OUTAGE {
            (i, i + 1)
        } else {
            (i + 1, i)
        }
    }

    #[test]
    fn several_events_per_meter_injected_one_first() {
        let d = hourly();
        let len = d.series_axis.len();
        let mut with_injected = 0;
        for m in &d.meters {
            let all = d.events_of(m.id);
            assert!(all.iter().all(|e| e.meter_id == m.id && e.onset < len));
            let injected = d.event(m.id);
            match injected {
                Some(e) => {
                    with_injected += 1;
                    assert!(std::ptr::eq(e, &all[0]));
                    assert!(!e.is_interval_benign());
                    assert_eq!(e.is_anomaly, d.label(m.id).is_some());
                }
                None => assert!(d.label(m.id).is_none() && all.iter().all(Event::is_interval_benign)),
            }
            let rest = &all[usize::from(injected.is_some())..];
            assert!(rest.iter().all(Event::is_interval_benign));
            assert!(rest.windows(2).all(|w| w[0].onset <= w[1].onset));
        }
        assert_eq!(with_injected, d.labels.len() + d.config.benign_meter_count());
        assert!(d.events_of(MeterId::from_index(10_000)).is_empty());
        adjacent_outage_and_missing(&d);
    }

    #[test]
    fn readings_present_fails_on_a_reading_off_the_register_or_negative() {
        let d = hourly();
        // 0.4 Wh moved between two readings of one month: the sum stays.
        let (a, b) = (reading_at(&d, 7, 30), reading_at(&d, 7, 31));
        let mut off = d.clone();
        let shift = if off.readings[b] >= 0.001 { 0.0004 } else { -0.0004 };
        off.readings[a] += shift;
        off.readings[b] -= shift;
        let r = assert_fails_whole(&off, &["readings_present"]);
        assert!(
            r.check("readings_present")
                .unwrap()
                .detail
                .contains("; 0 non-finite, 0 negative, 2 not a whole multiple of 0.001 kWh;"),
            "{r}"
        );
        assert_fails(&off, &["readings_present"]);
        // A negative reading whose month still sums right.
        let mut negative = d.clone();
        let v = negative.readings[a].max(0.001);
        negative.readings[a] -= 2.0 * v;
        negative.readings[b] += 2.0 * v;
        negative.readings[a] = (negative.readings[a] * 1000.0).round() / 1000.0;
        negative.readings[b] = (negative.readings[b] * 1000.0).round() / 1000.0;
        let r = assert_fails_whole(&negative, &["readings_present"]);
        assert!(
            r.check("readings_present").unwrap().detail.contains(", 1 negative,"),
            "{r}"
        );
        // A reading lost from the matrix: ragged, and its sums unchecked.
        let mut ragged = d.clone();
        ragged.readings.pop();
        let r = direct(&ragged, &ragged.part());
        assert_eq!(failed(&r), ["readings_present", "monthly_totals_equal_readings"], "{r}");
        assert!(
            r.check("readings_present")
                .unwrap()
                .detail
                .contains("; 1 batches with a ragged readings matrix"),
            "{r}"
        );
        // Readings on the monthly axis.
        let foreign = Part {
            axis: d.axis,
            ..d.part()
        };
        let r = direct(&d, &foreign);
        assert!(!r.check("readings_present").unwrap().passed, "{r}");
        assert!(
            r.check("readings_present")
                .unwrap()
                .detail
                .ends_with(", 1 on another series axis")
        );
    }

    #[test]
    fn monthly_totals_fail_when_a_reading_or_a_month_changes() {
        let d = hourly();
        let mut reading = d.clone();
        reading.readings[reading_at(&d, 150, 1000)] += 1.0;
        let r = assert_fails_whole(&reading, &["monthly_totals_equal_readings"]);
        assert!(
            r.check("monthly_totals_equal_readings").unwrap().detail.contains(
                ", 1 differ from the sum of their readings by more than 0.005 kWh (largest difference 1.0000 kWh)"
            ),
            "{r}"
        );
        assert_fails(&reading, &["monthly_totals_equal_readings"]);
        // The monthly matrix changed: one month of one meter, by a cent.
        assert_fails(
            &with_cell(&d, 2 * 42 + 1, d.consumption.as_slice()[2 * 42 + 1] + 0.01),
            &["monthly_totals_equal_readings"],
        );
        // Within the tolerance (the monthly file's rounding): still equal.
        assert_fails(&with_cell(&d, 5, d.consumption.as_slice()[5] + 0.004), &[]);
    }

    #[test]
    fn missing_runs_must_match_their_events() {
        let d = hourly();
        let first_missing = |d: &Dataset| {
            d.events
                .iter()
                .position(|e| e.event_type == AnomalyType::MISSING_DATA)
                .unwrap()
        };
        // A missing_data event dropped.
        let mut dropped = d.clone();
        dropped.events.remove(first_missing(&d));
        let r = assert_fails_whole(&dropped, &["missing_runs_match_events"]);
        assert!(
            r.check("missing_runs_match_events")
                .unwrap()
                .detail
                .ends_with(", 1 runs without a missing_data event, 0 missing_data events without a run"),
            "{r}"
        );
        assert_fails(&dropped, &["missing_runs_match_events"]);
        // A run dropped.
        let mut run_dropped = d.clone();
        run_dropped.missing.remove(3);
        assert_fails(&run_dropped, &["missing_runs_match_events"]);
        // A run one period longer than its event.
        let mut longer = d.clone();
        longer.missing[5].len += 1;
        let r = assert_fails_whole(&longer, &["missing_runs_match_events"]);
        assert!(
            r.check("missing_runs_match_events")
                .unwrap()
                .detail
                .ends_with(", 1 runs without a missing_data event, 1 missing_data events without a run"),
            "{r}"
        );
        // A run (and its event) past the end of the series.
        let mut outside = d.clone();
        let len = d.series_axis.len();
        let last = outside.missing.len() - 1;
        outside.missing[last].len = len;
        let i = outside
            .events
            .iter()
            .rposition(|e| e.event_type == AnomalyType::MISSING_DATA)
            .unwrap();
        outside.events[i].end = Some(outside.missing[last].start + len - 1);
        assert_eq!(outside.events[i].onset, outside.missing[last].start);
        let r = assert_fails_whole(&outside, &["events", "missing_runs_match_events"]);
        assert!(
            r.check("missing_runs_match_events")
                .unwrap()
                .detail
                .contains(", 1 outside the series,"),
            "{r}"
        );
        // A run (and its event) twice: runs overlap, events repeat.
        let mut twice = d.clone();
        let run = twice.missing[2];
        twice.missing.insert(2, run);
        let j = twice
            .events
            .iter()
            .position(|e| {
                e.event_type == AnomalyType::MISSING_DATA && e.meter_id == run.meter_id && e.onset == run.start
            })
            .unwrap();
        let event = twice.events[j].clone();
        twice.events.insert(j, event);
        let r = assert_fails_whole(&twice, &["events", "missing_runs_match_events"]);
        assert!(
            r.check("events").unwrap().detail.contains("sorted and unique: false"),
            "{r}"
        );
        assert!(
            r.check("missing_runs_match_events")
                .unwrap()
                .detail
                .contains("runs sorted and disjoint: false"),
            "{r}"
        );
    }

    #[test]
    fn interval_events_are_checked_on_the_series_axis() {
        let d = hourly();
        let len = d.series_axis.len();
        assert!(d.events.iter().any(|e| e.onset >= d.axis.len()));
        // A benign event of the benign mix moved past the series.
        let k = d
            .events
            .iter()
            .position(|e| !e.is_anomaly && !e.is_interval_benign())
            .unwrap();
        for (onset, end) in [(len, None), (2, Some(1)), (0, Some(len))] {
            let mut outside = d.clone();
            outside.events[k].onset = onset;
            outside.events[k].end = end;
            let r = assert_fails_whole(&outside, &["events"]);
            assert!(
                r.check("events")
                    .unwrap()
                    .detail
                    .contains(&format!(", 1 outside the series of {len} periods, 0 labels outside")),
                "{r}"
            );
            assert_fails(&outside, &["events"]);
        }
        // A typhoon outage ending after the series.
        let (typhoon, missing) = adjacent_outage_and_missing(&d);
        let mut late = d.clone();
        late.events[typhoon].end = Some(len);
        assert_fails(&late, &["events"]);
        // A label and its event past the series.
        let mut label = d.clone();
        let id = label.labels[0].meter_id;
        label.labels[0].onset = len;
        let e = label.events.iter_mut().find(|e| e.meter_id == id).unwrap();
        e.onset = len;
        assert_fails(&label, &["events"]);
        let r = label.validate();
        assert!(
            r.check("events")
                .unwrap()
                .detail
                .contains(", 1 labels outside the series,"),
            "{r}"
        );
        // Interval events out of onset order within their meter.
        let mut swapped = d.clone();
        swapped.events.swap(typhoon, missing);
        let r = assert_fails_whole(&swapped, &["events"]);
        assert!(
            r.check("events").unwrap().detail.contains("sorted and unique: false"),
            "{r}"
        );
        // The injected event after the interval events of its meter.
        let mut late_mix = d.clone();
        let id = d.labels[0].meter_id;
        let from = late_mix.events.partition_point(|e| e.meter_id < id);
        let n = late_mix.events_of(id).len();
        assert!(n > 1, "meter {id} has interval events");
        late_mix.events[from..from + n].rotate_left(1);
        let r = assert_fails_whole(&late_mix, &["events"]);
        assert!(
            r.check("events").unwrap().detail.contains("sorted and unique: false"),
            "{r}"
        );
        // An interval event flagged anomalous: an anomalous event too many.
        let mut flagged = d.clone();
        flagged.events[typhoon].is_anomaly = true;
        assert_fails_whole(&flagged, &["events"]);
    }

    #[test]
    fn interval_datasets_stream_in_batches() {
        // The streaming validator over batches of 37 meters: the same report.
        let config = hourly().config.clone();
        let pipeline = Pipeline::builder().config(config).build().unwrap();
        let mut v = pipeline.validator();
        for batch in pipeline.batches(0..200, 37) {
            v.add(&batch.unwrap());
        }
        assert_eq!(v.finish(), pipeline.generate().unwrap().validate());
    }

    /// Names of the checks of a report.
    fn names(r: &ValidationReport) -> Vec<&str> {
        r.checks.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn undamaged_interval_datasets_pass_whole_and_split() {
        for d in [
            hourly(),
            interval_dataset(Resolution::Daily, 200, 3),
            interval_dataset(Resolution::FifteenMinutes, 50, 1),
        ] {
            let r = d.validate();
            assert!(r.passed(), "{r}");
            assert_eq!(
                names(&r)[8..],
                [
                    "readings_present",
                    "monthly_totals_equal_readings",
                    "missing_runs_match_events"
                ]
            );
            assert_fails(&d, &[]);
            // Several events per meter, missing runs and benign events to damage.
            assert!(!d.missing.is_empty(), "{r}");
            assert!(d.events.len() > d.labels.len() + d.config.benign_meter_count(), "{r}");
            assert!(d.events.iter().any(|e| e.event_type == AnomalyType::MISSING_DATA));
        }
    }

    #[test]
    fn undamaged_dataset_passes_every_check_whole_and_split() {
        let d = dataset();
        let r = d.validate();
        assert!(r.passed(), "{r}");
        assert_eq!(r.checks.len(), 8);
        assert_eq!(
            r.checks.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            [
                "record_counts",
                "anomaly_count",
                "foreign_keys",
                "no_missing_values",
                "all_periods_present",
                "coordinates_in_bounds",
                "non_negative_consumption",
                "events"
            ]
        );
        assert_fails(&d, &[]);
        // The damage the tests below make needs labels and benign events.
        assert!(d.labels.len() >= 2 && d.events.iter().any(|e| !e.is_anomaly));
    }

    #[test]
    fn record_counts_fails_on_wrong_transformer_or_meter_counts() {
        let d = dataset();
        let mut more_transformers = d.clone();
        more_transformers.config.num_transformers += 1;
        assert_fails(&more_transformers, &["record_counts"]);
        // The last meter dropped (with its series): too few meters, and its
        // transformer serves one fewer than its num_meters.
        let mut dropped = d.clone();
        let last = dropped.meters.len() - 1;
        assert!(dropped.event(MeterId::from_index(last as u32)).is_none());
        dropped.meters.pop();
        let cells = dropped.consumption.as_slice()[..last * dropped.axis.len()].to_vec();
        dropped.consumption = ConsumptionMatrix::from_rows(cells, dropped.axis.len());
        assert_fails(&dropped, &["record_counts", "foreign_keys"]);
        // A batch one series short (as a streamed batch could be; a whole
        // dataset's part is sliced by meter, so the batch is fed directly):
        // fewer series than meters, and a ragged matrix.
        let part = d.part();
        let short = Part {
            consumption: &part.consumption[..part.consumption.len() - d.axis.len()],
            ..part
        };
        assert_eq!(failed(&direct(&d, &short)), ["record_counts", "all_periods_present"]);
        assert!(direct(&d, &part).passed());
    }

    #[test]
    fn anomaly_count_fails_on_one_label_too_few_or_too_many() {
        let d = dataset();
        // A label and its event removed: everything else agrees.
        let mut fewer = d.clone();
        let id = fewer.labels.remove(0).meter_id;
        fewer.events.retain(|e| e.meter_id != id);
        assert_fails(&fewer, &["anomaly_count"]);
        let r = fewer.validate();
        let n = d.labels.len();
        assert_eq!(
            r.check("anomaly_count").unwrap().detail,
            format!(
                "{} anomalous meters (expected exactly {n}); rate {:.4} vs configured 0.0750",
                n - 1,
                (n - 1) as f64 / 300.0
            )
        );
        // A label and a matching event added on a meter that had none.
        let mut more = d.clone();
        let quiet = MeterId::from_index(quiet_meter(&d) as u32);
        let mut label = d.labels[0].clone();
        label.meter_id = quiet;
        let mut event = d.event(d.labels[0].meter_id).unwrap().clone();
        event.meter_id = quiet;
        more.labels.push(label);
        more.labels.sort_by_key(|l| l.meter_id);
        more.events.push(event);
        more.events.sort_by_key(|e| e.meter_id);
        assert_fails(&more, &["anomaly_count"]);
        // A label removed but its event kept: the event is anomalous without a label.
        let mut orphan = d;
        orphan.labels.remove(0);
        assert_fails(&orphan, &["anomaly_count", "events"]);
    }

    #[test]
    fn foreign_keys_fails_on_broken_references() {
        let d = dataset();
        // A meter moved to another transformer (its served counts shift too).
        let mut moved = d.clone();
        let t = moved.meters[0].transformer_id.index();
        moved.meters[0].transformer_id = TransformerId::from_index((t + 1) % 5);
        assert_fails(&moved, &["foreign_keys"]);
        // A transformer in an unknown barangay (its meters no longer share it).
        let mut unknown = d.clone();
        unknown.network.transformers[2].barangay = BarangayId::from_index(unknown.network.barangays.len() as u32);
        assert_fails(&unknown, &["foreign_keys"]);
        // A transformer and its meters in the same unknown barangay: only the
        // transformer is counted.
        let mut all_unknown = d.clone();
        let nowhere = BarangayId::from_index(all_unknown.network.barangays.len() as u32);
        all_unknown.network.transformers[2].barangay = nowhere;
        for m in all_unknown.meters.iter_mut().filter(|m| m.transformer_id.index() == 2) {
            m.barangay = nowhere;
        }
        let r = assert_fails_whole(&all_unknown, &["foreign_keys"]);
        assert!(
            r.check("foreign_keys").unwrap().detail.starts_with(
                "0 meters with a missing or mismatched transformer, 1 transformers with an unknown barangay,"
            ),
            "{r}"
        );
        // A meter in another barangay than its transformer.
        let mut elsewhere = d.clone();
        let b = elsewhere.meters[7].barangay.index();
        elsewhere.meters[7].barangay =
            BarangayId::from_index(((b as usize + 1) % elsewhere.network.barangays.len()) as u32);
        assert_fails(&elsewhere, &["foreign_keys"]);
        // A meter with another meter's id.
        let mut misnumbered = d.clone();
        misnumbered.meters[5].id = MeterId::from_index(6);
        assert_fails(&misnumbered, &["foreign_keys"]);
        // An id past every transformer's range, on a transformer past the last.
        let mut beyond = d.clone();
        beyond.meters[299].id = MeterId::from_index(1000);
        beyond.meters[299].transformer_id = TransformerId::from_index(5);
        assert_fails(&beyond, &["foreign_keys"]);
        // num_meters moved between two transformers: the total still adds up.
        let mut counts = d.clone();
        counts.network.transformers[0].num_meters += 1;
        counts.network.transformers[1].num_meters -= 1;
        assert_fails(&counts, &["foreign_keys"]);
        // Labels out of order.
        let mut unsorted = d.clone();
        unsorted.labels.swap(0, 1);
        let r = assert_fails_whole(&unsorted, &["foreign_keys"]);
        assert!(
            r.check("foreign_keys")
                .unwrap()
                .detail
                .ends_with("labels unique: false")
        );
        // A label of a meter that does not exist (and so matches no event).
        // `Dataset::validate` slices the labels by meter, so it never sees
        // the label: one label too few, and an anomalous event without one.
        let mut stray = d;
        stray.labels.last_mut().unwrap().meter_id = MeterId::from_index(300);
        assert_fails_whole(&stray, &["anomaly_count", "events"]);
        // A batch holding it (fed directly) names it as a label of an unknown meter.
        let r = direct(&stray, &stray.part());
        assert_eq!(failed(&r), ["foreign_keys", "events"], "{r}");
        assert!(
            r.check("foreign_keys")
                .unwrap()
                .detail
                .contains(", 1 labels of unknown meters")
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn foreign_keys_fails_on_a_meter_past_the_allocation() {
        // The allocation ends one meter early: the last meter is numbered
        // where the range expects it, on the last transformer, but outside
        // that transformer's range.
        let mut d = dataset();
        let a = &d.network.allocation;
        let mut offsets: Vec<usize> = (0..a.transformers()).map(|t| a.range(t).start).collect();
        offsets.push(a.meters() - 1);
        d.network.allocation = serde_json::from_value(serde_json::json!({ "offsets": offsets })).unwrap();
        let r = assert_fails_whole(&d, &["foreign_keys"]);
        assert!(
            r.check("foreign_keys").unwrap().detail.starts_with(
                "1 meters with a missing or mismatched transformer, 0 transformers with an unknown barangay, 0 labels of unknown meters, 1 transformers whose num_meters is wrong"
            ),
            "{r}"
        );
    }

    #[test]
    fn no_missing_values_fails_on_a_non_finite_value_anywhere() {
        let d = dataset();
        assert_fails(&with_cell(&d, 40, f64::NAN), &["no_missing_values"]);
        // −∞ is missing, not negative.
        assert_fails(&with_cell(&d, 41, f64::NEG_INFINITY), &["no_missing_values"]);
        let mut meter = d.clone();
        meter.meters[3].baseline_kwh = f64::INFINITY;
        assert_fails(&meter, &["no_missing_values"]);
        let mut transformer = d.clone();
        transformer.network.transformers[1].capacity_kva = f64::NAN;
        assert_fails(&transformer, &["no_missing_values"]);
        let mut name = d.clone();
        name.network.barangays[0].name = "  ".into();
        assert_fails(&name, &["no_missing_values"]);
        // A label's severity (and its event's, so that they still agree).
        let mut label = d.clone();
        let id = label.labels[0].meter_id;
        label.labels[0].severity = f64::NAN;
        label.events.iter_mut().find(|e| e.meter_id == id).unwrap().severity = f64::NAN;
        assert_fails(&label, &["no_missing_values"]);
    }

    #[test]
    fn cells_are_not_read_again_when_the_pipeline_checked_them() {
        // `Pipeline::generate` checks each cell as it is generated and fails on a bad one.
        let d = with_cell(&with_cell(&dataset(), 40, f64::NAN), 41, -1.0);
        assert!(validate(&d, true).passed());
        assert_eq!(
            failed(&validate(&d, false)),
            ["no_missing_values", "non_negative_consumption"]
        );
    }

    #[test]
    fn scanned_cells_are_counted_when_the_writer_scans_them() {
        // The streaming writer scans each cell once for the summary and the
        // checks, then adds the meters without their cells.
        let d = dataset();
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        v.add_meters(&d.part());
        v.add_cells(&crate::cells::CellScan::of(&[f64::NAN, f64::NAN, -1.0, 2.0]));
        let r = v.finish();
        assert_eq!(failed(&r), ["no_missing_values", "non_negative_consumption"]);
        assert!(
            r.check("no_missing_values")
                .unwrap()
                .detail
                .contains(", 2 consumption cells,")
        );
        assert_eq!(
            r.check("non_negative_consumption").unwrap().detail,
            "1 negative consumption values"
        );
    }

    #[test]
    fn all_periods_present_fails_when_the_series_are_shorter_than_configured() {
        let mut d = dataset();
        d.config.num_months += 1;
        assert_fails(&d, &["all_periods_present"]);
    }

    #[test]
    fn coordinates_in_bounds_fails_on_a_point_outside() {
        let d = dataset();
        let b = d.config.bounds;
        let mut meter = d.clone();
        meter.meters[9].lat = b.lat_max + 0.01;
        assert_fails(&meter, &["coordinates_in_bounds"]);
        let mut transformer = d;
        transformer.network.transformers[4].lon = b.lon_min - 0.01;
        assert_fails(&transformer, &["coordinates_in_bounds"]);
    }

    #[test]
    fn non_negative_consumption_fails_on_a_negative_cell_only() {
        let d = dataset();
        assert_fails(&with_cell(&d, 100, -0.5), &["non_negative_consumption"]);
        // Zero, even negative zero, is not negative.
        assert_fails(&with_cell(&with_cell(&d, 100, -0.0), 101, 0.0), &[]);
    }

    #[test]
    fn count_bad_cells_counts_non_finite_and_negative_apart() {
        let cells = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1.0,
            -0.0,
            0.0,
            2.0,
            -1e-300,
        ];
        assert_eq!(count_bad_cells(&cells), (3, 2));
        assert_eq!(count_bad_cells(&[]), (0, 0));
    }

    #[test]
    fn events_check_catches_a_lost_or_mislabelled_event() {
        let d = dataset();
        assert!(d.validate().passed());
        let mut lost = d.clone();
        lost.events.remove(0);
        assert!(!lost.validate().check("events").unwrap().passed);
        let mut relabelled = d.clone();
        let label = relabelled.labels[0].clone();
        relabelled.labels[0].severity = label.severity + 0.1;
        assert_fails(&relabelled, &["events"]);
        let mut benign_labelled = d.clone();
        let i = benign_labelled.events.iter().position(|e| !e.is_anomaly).unwrap();
        benign_labelled.events[i].is_anomaly = true;
        assert_fails(&benign_labelled, &["events"]);
        // A benign event lost: one fewer than round(benign_rate × normal meters).
        let mut benign_lost = d.clone();
        benign_lost.events.remove(i);
        assert_fails(&benign_lost, &["events"]);
        // A benign event on a labelled meter (it replaces nothing: one event too many there).
        let mut on_labelled = d.clone();
        let mut extra = d.events[i].clone();
        extra.meter_id = d.labels[0].meter_id;
        on_labelled.events.remove(i);
        on_labelled.events.push(extra);
        on_labelled.events.sort_by_key(|e| (e.meter_id, e.is_anomaly));
        assert_fails_whole(&on_labelled, &["events"]);
        // Each label field the event must share.
        let j = d.events.iter().position(|e| e.is_anomaly).unwrap();
        type Damage = fn(&mut Event);
        let damages: [Damage; 4] = [
            |e| e.is_theft = !e.is_theft,
            |e| e.onset += 1,
            |e| e.end = Some(e.end.map_or(0, |x| x + 1)),
            |e| e.event_type = crate::model::AnomalyType::OUTAGE,
        ];
        for damage in damages {
            let mut dd = d.clone();
            damage(&mut dd.events[j]);
            let r = dd.validate();
            assert!(!r.check("events").unwrap().passed, "{r}");
        }
        // Events out of order.
        let mut unsorted = d.clone();
        unsorted.events.swap(0, 1);
        let r = assert_fails_whole(&unsorted, &["events"]);
        assert!(r.check("events").unwrap().detail.contains("sorted and unique: false"));
        // An event starting after the series, or ending before its onset or after the series.
        let periods = d.axis.len();
        let k = d.events.iter().position(|e| !e.is_anomaly).unwrap();
        for (onset, end) in [(periods, None), (2, Some(1)), (0, Some(periods))] {
            let mut outside = d.clone();
            outside.events[k].onset = onset;
            outside.events[k].end = end;
            let r = assert_fails_whole(&outside, &["events"]);
            assert!(
                r.check("events").unwrap().detail.contains(", 1 outside the series"),
                "{r}"
            );
        }
        // Onset at the last period, end at the last period: inside.
        let mut last = d;
        last.events[k].onset = periods - 1;
        last.events[k].end = Some(periods - 1);
        assert_fails(&last, &[]);
    }

    #[test]
    fn nothing_fed_is_no_meters_at_rate_zero() {
        let d = dataset();
        let v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        let r = v.finish();
        assert_eq!(
            failed(&r),
            ["record_counts", "anomaly_count", "foreign_keys", "events"],
            "{r}"
        );
        assert!(r.check("anomaly_count").unwrap().detail.contains("; rate 0.0000 vs"));
    }

    #[test]
    fn a_large_dataset_is_checked_in_merged_slices() {
        // More than 65 536 meters: `add_parallel` checks two slices and merges them.
        let config = GeneratorConfig {
            num_meters: 70_000,
            num_transformers: 100,
            num_months: 1,
            ..Default::default()
        };
        let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
        assert!(d.validate().passed(), "{}", d.validate());
        // Damage in the second slice only, then in both.
        let mut far = d.clone();
        far.meters[69_000].lat = 0.0;
        assert_eq!(failed(&far.validate()), ["coordinates_in_bounds"]);
        far.meters[10].lon = 0.0;
        let r = far.validate();
        assert!(
            r.check("coordinates_in_bounds")
                .unwrap()
                .detail
                .starts_with("0 transformers and 2 meters"),
            "{r}"
        );
        let mut unsorted = d;
        let last = unsorted.labels.len() - 1;
        unsorted.labels.swap(last - 1, last);
        assert_eq!(failed(&unsorted.validate()), ["foreign_keys"]);
    }

    #[test]
    fn merged_slices_sharing_one_labelled_meter_are_caught() {
        // The first slice ends with a labelled meter, the second starts with
        // it again: its label and event are seen twice, at the join.
        let d = dataset();
        let part = d.part();
        let m = d.labels[1].meter_id.index() as usize;
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        let (mut a, mut b) = (v.fork(0), v.fork(m));
        a.add(&part.slice(0..m + 1));
        b.add(&part.slice(m..part.meters.len()));
        v.merge(a);
        v.merge(b);
        let r = v.finish();
        assert!(
            r.check("foreign_keys")
                .unwrap()
                .detail
                .ends_with("labels unique: false"),
            "{r}"
        );
        assert!(
            r.check("events").unwrap().detail.contains("sorted and unique: false"),
            "{r}"
        );
    }

    #[test]
    fn merged_counts_add_up() {
        // Two forks that each saw a ragged batch (one series short) with a
        // label of an unknown meter: the merged report counts two of each.
        let mut d = dataset();
        d.labels.last_mut().unwrap().meter_id = MeterId::from_index(300);
        // And a benign event on a labelled meter, beside its anomalous one.
        let mut benign = d.events.iter().find(|e| !e.is_anomaly).unwrap().clone();
        benign.meter_id = d.labels[0].meter_id;
        d.events.push(benign);
        d.events.sort_by_key(|e| (e.meter_id, e.is_anomaly));
        let part = d.part();
        let short = Part {
            consumption: &part.consumption[..part.consumption.len() - d.axis.len()],
            ..part
        };
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        let (mut a, mut b) = (v.fork(0), v.fork(0));
        a.add(&short);
        b.add(&short);
        v.merge(a);
        v.merge(b);
        let r = v.finish();
        let detail = |name: &str| r.check(name).unwrap().detail.clone();
        assert!(
            detail("all_periods_present").ends_with("; 2 batches with a ragged matrix"),
            "{r}"
        );
        assert!(detail("foreign_keys").contains(", 2 labels of unknown meters,"), "{r}");
        assert!(detail("record_counts").contains(", 598 series,"), "{r}");
        assert!(detail("events").contains(", 2 labels without a matching event"), "{r}");
        assert!(detail("events").contains(", 2 benign events labelled,"), "{r}");
    }

    #[test]
    fn a_batch_must_start_where_the_range_expects() {
        let d = dataset();
        let part = d.part();
        // Ids agree with the batch's own start but not with the expected
        // range (the first meters of the range were skipped)...
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        v.add(&part.slice(10..300));
        let r = v.finish();
        assert!(
            r.check("foreign_keys")
                .unwrap()
                .detail
                .starts_with("290 meters with a missing"),
            "{r}"
        );
        // ...or with the expected range but not with the batch's stated start.
        let shifted = Part { first: 1, ..part };
        let r = direct(&d, &shifted);
        assert!(
            r.check("foreign_keys")
                .unwrap()
                .detail
                .starts_with("300 meters with a missing"),
            "{r}"
        );
    }

    #[test]
    fn merged_slices_that_overlap_are_caught() {
        // The same meters fed twice, as two forks: out of order across the
        // join, and twice the meters.
        let d = dataset();
        let part = d.part();
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        let (mut a, mut b) = (v.fork(0), v.fork(0));
        a.add(&part);
        b.add(&part);
        v.merge(a);
        v.merge(b);
        let r = v.finish();
        for name in ["record_counts", "anomaly_count", "foreign_keys", "events"] {
            assert!(!r.check(name).unwrap().passed, "{name}: {r}");
        }
        assert!(
            r.check("foreign_keys")
                .unwrap()
                .detail
                .ends_with("labels unique: false")
        );
        assert!(r.check("events").unwrap().detail.contains("sorted and unique: false"));
    }

    /// [`dataset`] with the balance on.
    fn balanced() -> Dataset {
        let mut config = dataset().config.clone();
        config.balance = crate::BalanceConfig::default();
        Pipeline::builder().config(config).build().unwrap().generate().unwrap()
    }

    /// The detail of the `energy_balance` check of `d`, asserting it is the only failure.
    #[track_caller]
    fn balance_failure(d: &Dataset) -> String {
        let r = d.validate();
        assert_eq!(failed(&r), ["energy_balance"], "{r}");
        r.check("energy_balance").unwrap().detail.clone()
    }

    #[test]
    fn energy_balance_passes_on_undamaged_datasets_as_the_last_check() {
        let d = balanced();
        let r = d.validate();
        assert!(r.passed(), "{r}");
        assert_eq!(r.checks.len(), 9);
        assert!(
            r.checks[8].detail.starts_with(
                "5 transformers × 12 monthly periods and 1 feeders checked against 300 meters: 0 periods off"
            ),
            "{r}"
        );
        let mut config = hourly().config.clone();
        config.balance = crate::BalanceConfig::default();
        let h = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
        let r = h.validate();
        assert!(r.passed(), "{r}");
        assert_eq!(
            names(&r)[8..],
            [
                "readings_present",
                "monthly_totals_equal_readings",
                "missing_runs_match_events",
                "energy_balance"
            ]
        );
        // Off: no balance, no check.
        assert!(dataset().validate().check("energy_balance").is_none());
    }

    #[test]
    fn energy_balance_fails_on_a_tampered_balance() {
        let d = balanced();
        let tampered = |edit: &dyn Fn(&mut crate::balance::EnergyBalance)| {
            let mut t = d.clone();
            edit(t.balance.as_mut().unwrap());
            balance_failure(&t)
        };
        // A transformer meter's reading: off the identity.
        let detail = tampered(&|b| b.transformers[2].rows[3].reading_kwh += 1.0);
        assert!(detail.contains(": 1 periods off reading"), "{detail}");
        assert!(detail.contains("; TX_0003 2024-04: reading "), "{detail}");
        // Billed 5 Wh more (and so true − billed 5 Wh less).
        let detail = tampered(&|b| b.transformers[1].rows[0].billed_kwh += 0.005);
        assert!(
            detail.contains(", 1 whose billed differs from Σ its meters' bills, 1 whose true − billed differs"),
            "{detail}"
        );
        assert!(detail.contains("TX_0002 2024-01: billed "), "{detail}");
        // Line loss dropped from a row: the identity no longer holds.
        let detail = tampered(&|b| b.transformers[4].rows[11].line_loss_kwh = 0.0);
        assert!(detail.contains("TX_0005 2024-12: reading"), "{detail}");
        // A theft meter too many.
        let detail = tampered(&|b| b.transformers[0].theft_meters += 1);
        assert!(
            detail.contains(", 1 transformers whose theft or anomalous meters differ"),
            "{detail}"
        );
        // A feeder's transformers' input.
        let detail = tampered(&|b| b.feeders[0].rows[5].transformers_input_kwh += 0.5);
        assert!(
            detail.contains(", 1 feeder periods off") && detail.contains("FDR_01 2024-06:"),
            "{detail}"
        );
        // A transformer lost.
        let detail = tampered(&|b| {
            b.transformers.pop();
        });
        assert!(detail.contains("4 transformer balances for 5 transformers"), "{detail}");
        // A meter's bill changed by 5 kWh: the balance no longer sums its meters.
        let detail = balance_failure(&with_cell(&d, 7 * 12 + 2, d.consumption.as_slice()[7 * 12 + 2] + 5.0));
        assert!(detail.contains(", 1 whose billed differs"), "{detail}");
    }

    #[test]
    fn energy_balance_streamed_checks_what_the_writers_feed() {
        let d = balanced();
        let b = d.energy_balance().unwrap();
        let streamed = |transformers: &[TransformerBalance], part: &Part<'_>| {
            let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
            v.expect_balance();
            v.add(part);
            v.add_balance(transformers);
            v.finish()
        };
        let r = streamed(&b.transformers, &d.part());
        assert!(r.passed(), "{r}");
        assert!(
            r.check("energy_balance")
                .unwrap()
                .detail
                .starts_with("5 transformers × 12 months checked (streamed): 0 periods off"),
            "{r}"
        );
        // A tampered reading, and a tampered bill.
        let mut t = b.transformers.clone();
        t[3].rows[6].reading_kwh -= 0.2;
        t[1].rows[2].billed_kwh -= 0.01;
        let r = streamed(&t, &d.part());
        assert_eq!(failed(&r), ["energy_balance"], "{r}");
        let detail = &r.check("energy_balance").unwrap().detail;
        assert!(
            detail.contains(
                ": 1 periods off reading − meter_error − technical − unmetered − true = 0, 1 whose billed differs"
            ),
            "{detail}"
        );
        assert!(
            detail.contains("TX_0002 2024-03: billed ") && detail.contains("TX_0004 2024-07: reading "),
            "{detail}"
        );
        // A transformer never fed, or fed twice.
        let r = streamed(&b.transformers[..4], &d.part());
        assert!(
            r.check("energy_balance")
                .unwrap()
                .detail
                .contains("4 transformers' balances seen, expected 5"),
            "{r}"
        );
        let twice: Vec<_> = b.transformers.iter().chain(&b.transformers[4..]).cloned().collect();
        assert!(!streamed(&twice, &d.part()).passed());
        // Checked in forks and merged: the same report.
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        v.expect_balance();
        v.add_parallel(&d.part(), Validator::add);
        v.add_balance(&b.transformers);
        let merged = v.finish();
        let mut v = Validator::new(&d.config, &d.axis, &d.network, Expected::whole(&d.config));
        v.expect_balance();
        let (mut x, mut y) = (v.fork(0), v.fork(150));
        x.add(&d.part().slice(0..150));
        y.add(&d.part().slice(150..300));
        v.merge(x);
        v.merge(y);
        v.add_balance(&b.transformers);
        assert_eq!(v.finish(), merged);
        assert!(merged.passed(), "{merged}");
    }

    #[test]
    fn report_lists_every_check_with_its_outcome() {
        let mut d = dataset();
        d.config.num_months += 1;
        let r = d.validate();
        let text = r.to_string();
        assert_eq!(text.lines().count(), 8);
        assert!(text.starts_with("PASS record_counts: "), "{text}");
        assert!(
            text.contains("\nFAIL all_periods_present: 12 periods per series"),
            "{text}"
        );
        assert_eq!(
            r.failures().collect::<Vec<_>>(),
            [format!(
                "all_periods_present: {}",
                r.check("all_periods_present").unwrap().detail
            )]
        );
        assert!(r.check("no_such_check").is_none());
    }
}
