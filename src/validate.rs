//! The design's integrity checks (§2.3), run on every generated dataset.

use crate::batch::Part;
pub(crate) use crate::checks::check;
use crate::checks::{Check, ValidationReport};
use crate::config::GeneratorConfig;
use crate::dataset::Dataset;
use crate::ids::MeterId;
use crate::model::{AnomalyLabel, Event};
use crate::network::Network;
use crate::time::TimeAxis;

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
    v.finish()
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
    first_event: Option<MeterId>,
    last_event: Option<MeterId>,
    events_sorted: bool,
    events_out_of_series: usize,
    labelled_benign: usize,
    unmatched_labels: usize,
}

impl<'a> Validator<'a> {
    pub(crate) fn new(
        config: &'a GeneratorConfig,
        axis: &'a TimeAxis,
        network: &'a Network,
        expected: Expected,
    ) -> Self {
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
            first_event: None,
            last_event: None,
            events_sorted: true,
            events_out_of_series: 0,
            labelled_benign: 0,
            unmatched_labels: 0,
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
        v
    }

    /// Appends what `next` (a fork for the slice right after this one) saw.
    fn merge(&mut self, next: Validator<'a>) {
        let ordered = |last: Option<MeterId>, first: Option<MeterId>| match (last, first) {
            (Some(a), Some(b)) => a < b,
            _ => true,
        };
        self.labels_sorted &= next.labels_sorted && ordered(self.last_label, next.first_label);
        self.events_sorted &= next.events_sorted && ordered(self.last_event, next.first_event);
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
        for l in labels {
            self.labels += 1;
            if !in_batch(l.meter_id) {
                self.bad_labels += 1;
            }
            if !l.severity.is_finite() {
                self.non_finite_labels += 1;
            }
            if self.last_label.is_some_and(|last| last >= l.meter_id) {
                self.labels_sorted = false;
            }
            self.first_label.get_or_insert(l.meter_id);
            self.last_label = Some(l.meter_id);
            let matched = crate::batch::find(events, l.meter_id, |e| e.meter_id).is_some_and(|e| same(e, l));
            if !matched {
                self.unmatched_labels += 1;
            }
        }
        for e in events {
            self.events += 1;
            if !e.is_anomaly {
                self.benign += 1;
                if crate::batch::find(labels, e.meter_id, |l| l.meter_id).is_some() {
                    self.labelled_benign += 1;
                }
            }
            if e.onset >= periods || e.end.is_some_and(|x| x < e.onset || x >= periods) {
                self.events_out_of_series += 1;
            }
            if self.last_event.is_some_and(|last| last >= e.meter_id) {
                self.events_sorted = false;
            }
            self.first_event.get_or_insert(e.meter_id);
            self.last_event = Some(e.meter_id);
        }
    }

    pub(crate) fn finish(self) -> ValidationReport {
        ValidationReport {
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
        }
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
        check(
            "events",
            sorted
                && outside == 0
                && benign == expected_benign
                && labelled_benign == 0
                && unmatched == 0
                && anomalous_events == self.labels,
            format!(
                "{} events ({anomalous_events} anomalous, {benign} benign; expected exactly {expected_benign} benign), sorted and unique: {sorted}, {outside} outside the series, {labelled_benign} benign events labelled, {unmatched} labels without a matching event",
                self.events
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
    use crate::{GeneratorConfig, Pipeline};

    #[test]
    fn events_check_catches_a_lost_or_mislabelled_event() {
        let config = GeneratorConfig {
            num_meters: 300,
            num_transformers: 5,
            benign_rate: 0.1,
            ..Default::default()
        };
        let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
        assert!(d.validate().passed());
        let mut lost = d.clone();
        lost.events.remove(0);
        assert!(!lost.validate().check("events").unwrap().passed);
        let mut relabelled = d.clone();
        let label = relabelled.labels[0].clone();
        relabelled.labels[0].severity = label.severity + 0.1;
        assert!(!relabelled.validate().check("events").unwrap().passed);
        let mut benign_labelled = d;
        let i = benign_labelled.events.iter().position(|e| !e.is_anomaly).unwrap();
        benign_labelled.events[i].is_anomaly = true;
        assert!(!benign_labelled.validate().check("events").unwrap().passed);
    }
}
