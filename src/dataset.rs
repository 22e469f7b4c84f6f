//! [`Dataset`]: everything one run generated, in memory and typed.
//!
//! Its checks ([`Dataset::validate`]) and statistics ([`Dataset::summary`])
//! are implemented beside the code that computes them (`validate`, `report`),
//! which reads the dataset: imports point from the analysis to the data.

use std::fmt;

use crate::balance::EnergyBalance;
use crate::batch::ClipStats;
use crate::config::GeneratorConfig;
use crate::ids::{BarangayId, MeterId, TransformerId};
use crate::model::{AnomalyLabel, Barangay, Event, Meter, MissingRun, Transformer};
use crate::network::Network;
use crate::time::TimeAxis;
use crate::weather::Weather;

/// Consumption of every meter in every period, kWh, stored contiguously
/// row by row (meter-major): `as_slice()[m * periods + t]` is meter `m` in period `t`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConsumptionMatrix {
    periods: usize,
    values: Vec<f64>,
}

impl ConsumptionMatrix {
    /// A matrix of `meters × periods` zeros.
    #[must_use]
    pub fn zeros(meters: usize, periods: usize) -> Self {
        ConsumptionMatrix {
            periods,
            values: vec![0.0; meters * periods],
        }
    }

    /// A matrix from its rows laid end to end (`values.len()` a multiple of `periods`).
    #[must_use]
    pub fn from_rows(values: Vec<f64>, periods: usize) -> Self {
        ConsumptionMatrix { periods, values }
    }

    /// Number of periods (columns).
    #[must_use]
    pub fn periods(&self) -> usize {
        self.periods
    }

    /// Number of meters (rows).
    #[must_use]
    pub fn meters(&self) -> usize {
        self.values.len().checked_div(self.periods).unwrap_or(0)
    }

    /// The series of meter `m` (0-based), if it exists.
    #[must_use]
    pub fn row(&self, m: usize) -> Option<&[f64]> {
        self.values.get(m * self.periods..(m + 1) * self.periods)
    }

    /// The series of meter `m` (0-based), mutable, if it exists.
    #[must_use]
    pub fn row_mut(&mut self, m: usize) -> Option<&mut [f64]> {
        self.values.get_mut(m * self.periods..(m + 1) * self.periods)
    }

    /// Every row, in meter order.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.values.chunks_exact(self.periods.max(1))
    }

    /// All values, row after row.
    #[must_use]
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }
}

/// Something the pipeline adjusted rather than refused. Each warning is
/// also emitted as a `tracing` event at WARN level.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Warning {
    /// Too few meters to give every transformer the configured minimum
    /// (design §5.1): the minimum was lowered.
    MinimumLowered {
        /// `min_meters_per_transformer` as configured.
        configured: usize,
        /// The minimum used.
        effective: usize,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::MinimumLowered { configured, effective } => write!(
                f,
                "num_meters < min_meters_per_transformer × num_transformers: minimum lowered from {configured} to {effective} meters per transformer"
            ),
        }
    }
}

/// A generated dataset: barangays, transformers, meters, their consumption
/// and the anomaly labels, with the configuration that produced them.
///
/// Built by [`Pipeline::generate`](crate::Pipeline::generate); read-only.
/// With the `serde` feature a dataset (de)serializes field by field;
/// deserializing does not check that the parts agree with each other, so
/// run [`Dataset::validate`] on a dataset read from elsewhere. (For an exact
/// JSON round trip of every `f64`, enable `serde_json`'s `float_roundtrip` feature.)
///
/// ```
/// use ghostload::{GeneratorConfig, Pipeline};
/// let data = Pipeline::builder()
///     .config(GeneratorConfig { num_meters: 300, num_transformers: 10, ..Default::default() })
///     .build()?
///     .generate()?;
/// let meter = &data.meters()[0];
/// assert_eq!(data.series(meter.id).unwrap().len(), 12);
/// assert_eq!(data.transformer_of(meter.id).unwrap().id, meter.transformer_id);
/// assert!(data.validate().passed());
/// # Ok::<(), ghostload::Error>(())
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub(crate) config: GeneratorConfig,
    pub(crate) axis: TimeAxis,
    pub(crate) series_axis: TimeAxis,
    pub(crate) network: Network,
    /// Interval readings, `meters × series_axis.len()`; empty at monthly resolution.
    pub(crate) readings: Vec<f64>,
    pub(crate) missing: Vec<MissingRun>,
    pub(crate) weather: Option<Weather>,
    pub(crate) meters: Vec<Meter>,
    pub(crate) consumption: ConsumptionMatrix,
    pub(crate) labels: Vec<AnomalyLabel>,
    pub(crate) events: Vec<Event>,
    pub(crate) clip_stats: ClipStats,
    pub(crate) warnings: Vec<Warning>,
    /// The energy balance (`None` when `balance.enabled` is off).
    pub(crate) balance: Option<EnergyBalance>,
    /// What the anomalous meters drew before injection, in meter order.
    pub(crate) truth: crate::batch::Truths,
}

impl Dataset {
    /// The configuration that produced this dataset (with the defaults filled in).
    #[must_use]
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The months of every monthly series (the columns of [`consumption`](Self::consumption)).
    #[must_use]
    pub fn axis(&self) -> &TimeAxis {
        &self.axis
    }

    /// The series axis at the dataset's resolution: what labels' and
    /// events' `onset` and `end` index, and the periods of
    /// [`readings`](Self::readings). The same as [`axis`](Self::axis) at monthly resolution.
    #[must_use]
    pub fn series_axis(&self) -> &TimeAxis {
        &self.series_axis
    }

    /// The interval readings of meter `id` (kWh per period of
    /// [`series_axis`](Self::series_axis)); `None` for an unknown meter or at
    /// monthly resolution. Missing readings keep their true value here; see
    /// [`missing`](Self::missing).
    #[must_use]
    pub fn readings(&self, id: MeterId) -> Option<&[f64]> {
        let n = self.intervals();
        let i = id.index() as usize;
        if n == 0 || i >= self.meters.len() {
            return None;
        }
        self.readings.get(i * n..(i + 1) * n)
    }

    /// Readings per meter: `series_axis().len()` at interval resolutions, 0 at monthly.
    #[must_use]
    pub fn intervals(&self) -> usize {
        self.series_axis.intervals()
    }

    /// Every interval reading, meter after meter (`meters × intervals()`); empty at monthly resolution.
    #[must_use]
    pub fn all_readings(&self) -> &[f64] {
        &self.readings
    }

    /// Runs of missing interval readings, in meter order then time.
    #[must_use]
    pub fn missing(&self) -> &[MissingRun] {
        &self.missing
    }

    /// The daily weather the readings were shaped with (interval resolutions only).
    #[must_use]
    pub fn weather(&self) -> Option<&Weather> {
        self.weather.as_ref()
    }

    /// The barangays, transformers and allocation.
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// All barangays, in configuration order.
    #[must_use]
    pub fn barangays(&self) -> &[Barangay] {
        &self.network.barangays
    }

    /// One barangay, if it exists.
    #[must_use]
    pub fn barangay(&self, id: BarangayId) -> Option<&Barangay> {
        self.network.barangays.get(id.index() as usize)
    }

    /// All transformers, in id order.
    #[must_use]
    pub fn transformers(&self) -> &[Transformer] {
        &self.network.transformers
    }

    /// One transformer, if it exists.
    #[must_use]
    pub fn transformer(&self, id: TransformerId) -> Option<&Transformer> {
        self.network.transformers.get(id.index() as usize)
    }

    /// All meters, in id order (grouped by transformer).
    #[must_use]
    pub fn meters(&self) -> &[Meter] {
        &self.meters
    }

    /// One meter, if it exists.
    #[must_use]
    pub fn meter(&self, id: MeterId) -> Option<&Meter> {
        self.meters.get(id.index() as usize)
    }

    /// The consumption series of a meter (kWh per period), if it exists.
    #[must_use]
    pub fn series(&self, id: MeterId) -> Option<&[f64]> {
        self.consumption.row(id.index() as usize)
    }

    /// The transformer serving a meter, if the meter exists.
    #[must_use]
    pub fn transformer_of(&self, id: MeterId) -> Option<&Transformer> {
        self.meter(id).and_then(|m| self.transformer(m.transformer_id))
    }

    /// The anomaly label of a meter, if it is anomalous.
    #[must_use]
    pub fn label(&self, id: MeterId) -> Option<&AnomalyLabel> {
        crate::batch::find(&self.labels, id, |l| l.meter_id)
    }

    /// The labels of all anomalous meters, in meter order.
    #[must_use]
    pub fn labels(&self) -> &[AnomalyLabel] {
        &self.labels
    }

    /// Every event, anomalous or benign, in meter order. Each label has an
    /// event with the same fields and `is_anomaly == true`; benign
    /// look-alikes have `is_anomaly == false` and no label.
    ///
    /// At monthly resolution a meter has at most one event: the one
    /// injected (an anomaly, or a benign look-alike of the benign mix). At
    /// interval resolutions that injected event, if any, comes first, followed
    /// by the meter's benign interval events in order of onset: one
    /// `typhoon_outage` per run of outage days of its barangay and one
    /// `missing_data` per [`MissingRun`] (at one onset, the outage first).
    /// Their `onset` and `end` index [`series_axis`](Self::series_axis).
    #[must_use]
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Every event of a meter, in the order of [`events`](Self::events)
    /// (empty for an unknown meter or one without events).
    #[must_use]
    pub fn events_of(&self, id: MeterId) -> &[Event] {
        crate::batch::events_of(&self.events, id)
    }

    /// The injected event of a meter (its anomaly, or its benign look-alike
    /// from the benign mix), if it has one; never a `typhoon_outage` or
    /// `missing_data` event of interval data (see [`events_of`](Self::events_of)).
    #[must_use]
    pub fn event(&self, id: MeterId) -> Option<&Event> {
        crate::batch::injected_event(&self.events, id, &self.series_axis)
    }

    /// The whole consumption matrix.
    #[must_use]
    pub fn consumption(&self) -> &ConsumptionMatrix {
        &self.consumption
    }

    /// Every meter with its series and label, in meter order: what a writer needs, row by row.
    pub fn records(&self) -> impl ExactSizeIterator<Item = (&Meter, &[f64], Option<&AnomalyLabel>)> + '_ {
        crate::batch::records(
            &self.meters,
            self.consumption.as_slice(),
            self.consumption.periods(),
            &self.labels,
        )
    }

    /// A borrowed view of all meters.
    pub(crate) fn part(&self) -> crate::batch::Part<'_> {
        crate::batch::Part {
            first: 0,
            periods: self.consumption.periods(),
            meters: &self.meters,
            consumption: self.consumption.as_slice(),
            labels: &self.labels,
            events: &self.events,
            clip_stats: self.clip_stats,
            axis: self.series_axis,
            readings: &self.readings,
            missing: &self.missing,
            truth: self.truth.view(),
        }
    }

    /// The energy balance of every transformer and feeder: what their
    /// meters read, and the truth behind it (losses, theft, street lights,
    /// meter error). `None` when [`BalanceConfig::enabled`](crate::BalanceConfig::enabled) is off.
    #[must_use]
    pub fn energy_balance(&self) -> Option<&EnergyBalance> {
        self.balance.as_ref()
    }

    /// What meter `id` drew: its series before an anomaly was injected (at
    /// the resolution of [`series_axis`](Self::series_axis): the readings at
    /// interval resolutions, the monthly series otherwise). Theft and meter
    /// faults change only what the register billed; for a meter without an
    /// anomaly this is its billed series. `None` for an unknown meter.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// let data = Pipeline::builder().build()?.generate()?;
    /// let thief = data.labels()[0].meter_id;
    /// let drawn: f64 = data.true_series(thief).unwrap().iter().sum();
    /// let billed: f64 = data.series(thief).unwrap().iter().sum();
    /// assert!(drawn != billed);
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    #[must_use]
    pub fn true_series(&self, id: MeterId) -> Option<&[f64]> {
        if let Some(t) = self.truth.view().get(id) {
            return Some(t);
        }
        if self.intervals() > 0 {
            self.readings(id)
        } else {
            self.series(id)
        }
    }

    /// How many cells were clipped at zero or capped at `max_kwh`.
    #[must_use]
    pub fn clip_stats(&self) -> ClipStats {
        self.clip_stats
    }

    /// What the pipeline adjusted (e.g. a lowered per-transformer minimum).
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}
