//! [`MeterBatch`]: a contiguous run of generated meters, for streaming.

use std::ops::Range;

use crate::ids::MeterId;
use crate::model::{AnomalyLabel, Event, Meter, MissingRun};
use crate::time::TimeAxis;

/// Meters `first .. first + len` with their series, labels and events:
/// what [`Pipeline::batches`](crate::Pipeline::batches) yields, so that a
/// writer never needs the whole consumption matrix in memory.
///
/// ```
/// use ghostload::Pipeline;
/// let pipeline = Pipeline::builder().build()?;
/// let batch = pipeline.generate_batch(100..150)?;
/// assert_eq!(batch.meters().len(), 50);
/// assert_eq!(batch.meters()[0].id.index(), 100);
/// assert_eq!(batch.series(0).len(), 12);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct MeterBatch {
    pub(crate) first: usize,
    pub(crate) periods: usize,
    pub(crate) axis: TimeAxis,
    pub(crate) meters: Vec<Meter>,
    pub(crate) consumption: Vec<f64>,
    pub(crate) readings: Vec<f64>,
    pub(crate) missing: Vec<MissingRun>,
    pub(crate) labels: Vec<AnomalyLabel>,
    pub(crate) events: Vec<Event>,
    /// The exact sums of each transformer's meters in the batch, for the energy balance.
    pub(crate) balance: Vec<crate::balance::Partial>,
    /// What the batch's anomalous meters drew (before injection), in meter order.
    pub(crate) truth: Truths,
    pub(crate) clip_stats: ClipStats,
}

impl MeterBatch {
    /// The meter indices this batch covers.
    #[must_use]
    pub fn range(&self) -> Range<usize> {
        self.first..self.first + self.meters.len()
    }

    /// Months per monthly series (the columns of [`consumption`](Self::consumption)).
    #[must_use]
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// The series axis at the dataset's resolution: what labels' and
    /// events' `onset` and `end` index, and the readings' periods.
    #[must_use]
    pub fn axis(&self) -> &TimeAxis {
        &self.axis
    }

    /// The interval readings of the `i`-th meter of the batch (0-based
    /// within the batch), one per period of [`axis`](Self::axis), kWh per
    /// period; empty at monthly resolution. Missing readings keep their true
    /// value here: see [`missing`](Self::missing).
    ///
    /// # Panics
    /// When `i >= self.meters().len()`.
    #[must_use]
    pub fn readings(&self, i: usize) -> &[f64] {
        let n = self.intervals();
        &self.readings[i * n..(i + 1) * n]
    }

    /// All interval readings, meter after meter (`meters().len() × intervals()` values).
    #[must_use]
    pub fn all_readings(&self) -> &[f64] {
        &self.readings
    }

    /// Readings per meter: `axis().len()` at interval resolutions, 0 at monthly.
    #[must_use]
    pub fn intervals(&self) -> usize {
        self.axis.intervals()
    }

    /// Runs of missing readings of the batch's meters, in meter order then time.
    #[must_use]
    pub fn missing(&self) -> &[MissingRun] {
        &self.missing
    }

    /// The meters, in id order.
    #[must_use]
    pub fn meters(&self) -> &[Meter] {
        &self.meters
    }

    /// The series of the `i`-th meter of the batch (0-based within the batch).
    ///
    /// # Panics
    /// When `i >= self.meters().len()`.
    #[must_use]
    pub fn series(&self, i: usize) -> &[f64] {
        &self.consumption[i * self.periods..(i + 1) * self.periods]
    }

    /// All series, row after row (`meters().len() × periods()` values).
    #[must_use]
    pub fn consumption(&self) -> &[f64] {
        &self.consumption
    }

    /// Labels of the batch's anomalous meters, in meter order.
    #[must_use]
    pub fn labels(&self) -> &[AnomalyLabel] {
        &self.labels
    }

    /// Events (anomalous and benign) of the batch's meters, in meter order;
    /// see [`Dataset::events`](crate::Dataset::events) for the order of one meter's events.
    #[must_use]
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Every event of meter `id` (none when it is not in this batch), in order:
    /// the injected one first, if any, then the benign interval events by onset.
    #[must_use]
    pub fn events_of(&self, id: MeterId) -> &[Event] {
        events_of(&self.events, id)
    }

    /// The injected event of meter `id` (anomalous, or benign from the benign
    /// mix), if it is in this batch and has one; never a `typhoon_outage` or
    /// `missing_data` event of interval data (see [`events_of`](Self::events_of)).
    #[must_use]
    pub fn event(&self, id: MeterId) -> Option<&Event> {
        injected_event(&self.events, id, &self.axis)
    }

    /// Clipped-cell counts of the batch.
    #[must_use]
    pub fn clip_stats(&self) -> ClipStats {
        self.clip_stats
    }

    /// Every meter with its series and label, in meter order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = (&Meter, &[f64], Option<&AnomalyLabel>)> + '_ {
        records(&self.meters, &self.consumption, self.periods, &self.labels)
    }

    /// A borrowed view of the whole batch.
    pub(crate) fn part(&self) -> Part<'_> {
        Part {
            first: self.first,
            periods: self.periods,
            axis: self.axis,
            meters: &self.meters,
            consumption: &self.consumption,
            readings: &self.readings,
            missing: &self.missing,
            labels: &self.labels,
            events: &self.events,
            truth: self.truth.view(),
            clip_stats: self.clip_stats,
        }
    }

    /// What meter `id` drew (the true series, at the series axis'
    /// resolution), when its register recorded something else: `Some` for
    /// the anomalous meters of this batch (theft and faults change only what
    /// is billed), `None` otherwise (their billed series is the truth).
    #[must_use]
    pub fn true_series(&self, id: MeterId) -> Option<&[f64]> {
        self.truth.view().get(id)
    }

    /// The label of meter `id`, if it is in this batch and anomalous.
    #[must_use]
    pub fn label(&self, id: MeterId) -> Option<&AnomalyLabel> {
        find(&self.labels, id, |l| l.meter_id)
    }
}

/// A borrowed run of consecutive meters with their rows, labels and events:
/// what validation, statistics and writers consume, whether the meters come
/// from a [`MeterBatch`] or a whole [`Dataset`](crate::Dataset).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part<'a> {
    pub(crate) first: usize,
    pub(crate) periods: usize,
    pub(crate) meters: &'a [Meter],
    pub(crate) consumption: &'a [f64],
    pub(crate) labels: &'a [AnomalyLabel],
    pub(crate) events: &'a [Event],
    pub(crate) clip_stats: ClipStats,
    /// The series axis (labels' and events' periods; the readings').
    pub(crate) axis: TimeAxis,
    /// Interval readings, `meters × intervals()` (empty at monthly resolution).
    pub(crate) readings: &'a [f64],
    pub(crate) missing: &'a [MissingRun],
    /// What the part's anomalous meters drew, in meter order.
    pub(crate) truth: TruthView<'a>,
}

impl<'a> Part<'a> {
    /// Meters `range` (relative to this part) with their rows, labels and
    /// events; clip counts are per batch, so a slice carries none.
    pub(crate) fn slice(&self, range: Range<usize>) -> Part<'a> {
        let id = |i: usize| MeterId::from_index((self.first + i) as u32);
        let (lo, hi) = (id(range.start), id(range.end));
        let within = |m: MeterId| m >= lo && m < hi;
        let labels_from = self.labels.partition_point(|l| l.meter_id < lo);
        let labels_to = labels_from + self.labels[labels_from..].partition_point(|l| within(l.meter_id));
        let events_from = self.events.partition_point(|e| e.meter_id < lo);
        let events_to = events_from + self.events[events_from..].partition_point(|e| within(e.meter_id));
        let missing_from = self.missing.partition_point(|r| r.meter_id < lo);
        let missing_to = missing_from + self.missing[missing_from..].partition_point(|r| within(r.meter_id));

        let n = self.intervals();
        Part {
            first: self.first + range.start,
            periods: self.periods,
            axis: self.axis,
            meters: &self.meters[range.clone()],
            consumption: &self.consumption[range.start * self.periods..range.end * self.periods],
            readings: &self.readings[range.start * n..range.end * n],
            missing: &self.missing[missing_from..missing_to],
            truth: self.truth.between(lo, hi),
            labels: &self.labels[labels_from..labels_to],
            events: &self.events[events_from..events_to],
            clip_stats: ClipStats::default(),
        }
    }

    /// Readings per meter (0 at monthly resolution).
    pub(crate) fn intervals(&self) -> usize {
        self.axis.intervals()
    }

    /// Every meter with its series and label, in meter order.
    pub(crate) fn records(&self) -> impl ExactSizeIterator<Item = (&'a Meter, &'a [f64], Option<&'a AnomalyLabel>)> {
        records(self.meters, self.consumption, self.periods, self.labels)
    }
}

/// What anomalous meters drew, laid end to end: one run of values per id
/// (all runs the same length), in meter order. One buffer rather than one
/// per meter: a dataset has hundreds of thousands of them.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Truths {
    ids: Vec<MeterId>,
    values: Vec<f64>,
}

impl Truths {
    pub(crate) fn view(&self) -> TruthView<'_> {
        TruthView {
            ids: &self.ids,
            values: &self.values,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.ids.clear();
        self.values.clear();
    }

    /// Adds meter `id`'s values (after every meter already in).
    pub(crate) fn push(&mut self, id: MeterId, values: &[f64]) {
        self.ids.push(id);
        self.values.extend_from_slice(values);
    }

    /// The values pushed last.
    pub(crate) fn last(&self) -> &[f64] {
        let per = self.view().per();
        &self.values[self.values.len() - per..]
    }

    /// Adds every meter of `other` (after every meter already in).
    pub(crate) fn append(&mut self, other: &Truths) {
        self.ids.extend_from_slice(&other.ids);
        self.values.extend_from_slice(&other.values);
    }
}

/// A borrowed run of [`Truths`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct TruthView<'a> {
    ids: &'a [MeterId],
    values: &'a [f64],
}

impl<'a> TruthView<'a> {
    /// Values per meter.
    fn per(&self) -> usize {
        self.values.len().checked_div(self.ids.len()).unwrap_or(0)
    }

    fn at(&self, k: usize) -> &'a [f64] {
        let per = self.per();
        &self.values[k * per..(k + 1) * per]
    }

    /// Meter `id`'s values, if it is here.
    pub(crate) fn get(&self, id: MeterId) -> Option<&'a [f64]> {
        self.ids.binary_search(&id).ok().map(|k| self.at(k))
    }

    /// Every meter with its values, in meter order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (MeterId, &'a [f64])> + 'a {
        let this = *self;
        this.ids.iter().enumerate().map(move |(k, &id)| (id, this.at(k)))
    }

    /// The meters `lo ..< hi`.
    pub(crate) fn between(&self, lo: MeterId, hi: MeterId) -> TruthView<'a> {
        let per = self.per();
        let from = self.ids.partition_point(|&id| id < lo);
        let to = self.ids.partition_point(|&id| id < hi);
        TruthView {
            ids: &self.ids[from..to],
            values: &self.values[from * per..to * per],
        }
    }
}

/// Zips meters, their rows and their (sorted, sparser) labels.
pub(crate) fn records<'a>(
    meters: &'a [Meter],
    consumption: &'a [f64],
    periods: usize,
    labels: &'a [AnomalyLabel],
) -> impl ExactSizeIterator<Item = (&'a Meter, &'a [f64], Option<&'a AnomalyLabel>)> + 'a {
    let mut labels = labels.iter().peekable();
    meters
        .iter()
        .zip(consumption.chunks_exact(periods.max(1)))
        .map(move |(m, s)| (m, s, labels.next_if(|l| l.meter_id == m.id)))
}

/// The events of meter `id` in `events` (sorted by meter id): a binary search for the range.
pub(crate) fn events_of(events: &[Event], id: MeterId) -> &[Event] {
    let from = events.partition_point(|e| e.meter_id < id);
    let to = from + events[from..].partition_point(|e| e.meter_id == id);
    &events[from..to]
}

/// The injected event of meter `id` (anomalous, or a benign look-alike of
/// the benign mix), if any: the first of its events unless that is a benign
/// interval event (`typhoon_outage`, `missing_data`) of an interval series.
pub(crate) fn injected_event<'a>(events: &'a [Event], id: MeterId, axis: &TimeAxis) -> Option<&'a Event> {
    events_of(events, id)
        .first()
        .filter(|e| !(axis.resolution().is_interval() && e.is_interval_benign()))
}

/// Binary search of a slice sorted by meter id.
pub(crate) fn find<T>(items: &[T], id: MeterId, key: impl Fn(&T) -> MeterId) -> Option<&T> {
    items.binary_search_by_key(&id, key).ok().map(|i| &items[i])
}

/// Counts of clipped consumption cells: values the consumption model drew
/// below zero (set to 0) and values above the register's full scale
/// [`GeneratorConfig::max_kwh`](crate::GeneratorConfig::max_kwh) (set to `max_kwh`, "capped").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
#[non_exhaustive]
pub struct ClipStats {
    /// Cells of meters without an anomaly that were clipped at zero.
    pub normal_clipped: u64,
    /// Cells of meters without an anomaly.
    pub normal_cells: u64,
    /// All cells clipped at zero (counted before anomalies were injected).
    pub all_clipped: u64,
    /// Cells of meters without an anomaly that the model drew above
    /// `max_kwh` and that were capped.
    pub normal_capped: u64,
    /// All cells the model drew above `max_kwh` (counted before anomalies
    /// were injected).
    pub all_capped: u64,
    /// Cells an anomaly or benign injector pushed above `max_kwh`, capped
    /// after injection (the event's severity is measured on the capped values).
    pub injected_capped: u64,
}

impl ClipStats {
    /// Share of normal meters' cells that were clipped at zero.
    #[must_use]
    pub fn normal_fraction(&self) -> f64 {
        ratio(self.normal_clipped, self.normal_cells)
    }

    /// Share of normal meters' cells that were capped at `max_kwh`.
    #[must_use]
    pub fn normal_capped_fraction(&self) -> f64 {
        ratio(self.normal_capped, self.normal_cells)
    }

    /// Adds the counts of `other` (another batch or chunk) to these.
    pub fn add(&mut self, other: ClipStats) {
        self.normal_clipped += other.normal_clipped;
        self.normal_cells += other.normal_cells;
        self.all_clipped += other.all_clipped;
        self.normal_capped += other.normal_capped;
        self.all_capped += other.all_capped;
        self.injected_capped += other.injected_capped;
    }
}

/// `part / whole`, 0 when there is no whole.
fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 { 0.0 } else { part as f64 / whole as f64 }
}
