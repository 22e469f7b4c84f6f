//! Injecting anomalies into consumption series you already have
//! (`ghostload inject`): [`InjectPlan`], [`InjectRun`] and [`inject`].
//!
//! The anomaly rate, mixes, onset window, severity window and seed of a
//! [`GeneratorConfig`] work as in [`Pipeline::generate`](crate::Pipeline::generate),
//! on the *eligible* meters of the input: those not already labelled
//! (e.g. SGCC's `FLAG = 1`) with at least one present reading.
//!
//! ## Which meter gets what
//! Meters are keyed by their **position among the eligible meters** of the
//! input, in input order (0, 1, 2, …), not by their id: with `n` eligible
//! meters, the keyed permutation of the generator ranks them, the
//! `k = round(anomaly_rate × n)` of rank `< k` get an anomaly (split over the
//! mix by largest remainder, exactly as `generate` does), the next
//! `round(benign_rate × (n − k))` a benign look-alike; each meter's injector
//! draws from its own stream `(seed, AnomalyInjection | BenignInjection, position)`.
//! Nothing depends on batch sizes or threads: the same input and seed give
//! the same result.
//!
//! ## Missing readings
//! Missing readings are `NaN`. Before the injector runs they are filled
//! with the mean of the meter's present readings (so the injectors, which
//! need finite values, see a plausible level), and afterwards set back to
//! `NaN`: an injector never invents a reading where there was none.
//! Severity is measured on the present readings only. A meter with no
//! present reading is not eligible.

use crate::anomaly::AnomalyInjector;
use crate::anomaly::{AnomalySelection, InjectionContext, OnsetWindow, builtin, cumulative, entry_of, inject_checked};
use crate::config::GeneratorConfig;
use crate::consumption::MeterProfile;
use crate::dataset::ConsumptionMatrix;
use crate::error::{ConfigError, Result};
use crate::ids::MeterId;
use crate::model::{AnomalyType, CustomerClass, Meter, RiskBand, SeverityWindow};
use crate::rng::{Purpose, Streams};
use crate::time::TimeAxis;
use std::sync::Arc;

/// The injection settings taken from a [`GeneratorConfig`], validated once.
#[derive(Debug, Clone)]
pub struct InjectPlan {
    anomaly_rate: f64,
    benign_rate: f64,
    anomaly_mix: Vec<(Arc<dyn AnomalyInjector>, f64)>,
    benign_mix: Vec<(Arc<dyn AnomalyInjector>, f64)>,
    onset: OnsetWindow,
    severity_window: SeverityWindow,
    seed: u64,
    decimals: Option<usize>,
}

impl InjectPlan {
    /// The plan of `config`: its `anomaly_rate`, `anomaly_mix`, `benign_rate`,
    /// `benign_mix`, `min_normal_periods`, `severity_window` and `seed` (the
    /// other fields are validated but unused).
    ///
    /// # Errors
    /// [`ConfigError`] when `config` is invalid ([`GeneratorConfig::validate`]).
    pub fn new(config: &GeneratorConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let mix = |m: &std::collections::BTreeMap<String, f64>| {
            m.iter()
                .filter_map(|(name, &w)| builtin(name).map(|i| (i, w)))
                .collect::<Vec<_>>()
        };
        Ok(InjectPlan {
            anomaly_rate: config.anomaly_rate,
            benign_rate: config.benign_rate,
            anomaly_mix: mix(&config.anomaly_mix),
            benign_mix: mix(&config.benign_mix),
            onset: OnsetWindow::new(config.min_normal_periods),
            severity_window: config.severity_window,
            seed: config.seed,
            decimals: None,
        })
    }

    /// Rounds every injected reading to `decimals` decimals (as a file
    /// would store it) before the severity is measured, so that a label
    /// agrees with the values written. `None` (the default): no rounding.
    #[must_use]
    pub fn with_decimals(mut self, decimals: Option<usize>) -> Self {
        self.decimals = decimals.map(|d| d.min(9));
        self
    }

    /// A run over `eligible` eligible meters: fixes how many get an anomaly
    /// and a benign event, and which.
    #[must_use]
    pub fn run(&self, eligible: u64) -> InjectRun<'_> {
        let k = ((self.anomaly_rate * eligible as f64).round() as u64).min(eligible);
        let normal = eligible - k;
        let b = ((self.benign_rate * normal as f64).round() as u64).min(normal);
        let bounds = |mix: &[(Arc<dyn AnomalyInjector>, f64)], total| {
            let weights: Vec<f64> = mix.iter().map(|(_, w)| *w).collect();
            cumulative(&crate::anomaly::largest_remainder(total, &weights))
        };
        let streams = Streams::new(self.seed);
        InjectRun {
            plan: self,
            selection: AnomalySelection::new(eligible, k, streams.key64(Purpose::AnomalySelection, 0)),
            benign_count: b,
            anomaly_bounds: bounds(&self.anomaly_mix, k),
            benign_bounds: bounds(&self.benign_mix, b),
            streams,
        }
    }
}

/// One injection run over a known number of eligible meters ([`InjectPlan::run`]).
#[derive(Debug)]
pub struct InjectRun<'a> {
    plan: &'a InjectPlan,
    selection: AnomalySelection,
    benign_count: u64,
    anomaly_bounds: Vec<u64>,
    benign_bounds: Vec<u64>,
    streams: Streams,
}

/// What was injected into one meter.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct InjectedEvent {
    /// The meter's row in the input (0-based, all rows counted).
    pub row: usize,
    /// The event's type.
    pub event_type: AnomalyType,
    /// Whether it is theft.
    pub is_theft: bool,
    /// First affected period.
    pub onset: usize,
    /// Last affected period, when it stops before the series does.
    pub end: Option<usize>,
    /// `1 − Σ reported / Σ expected` over the present readings of the severity window.
    pub severity: f64,
    /// `true` for a labelled anomaly, `false` for a benign look-alike.
    pub is_anomaly: bool,
}

impl InjectedEvent {
    /// The risk band of the severity.
    #[must_use]
    pub fn risk_band(&self) -> RiskBand {
        RiskBand::from_severity(self.severity)
    }
}

impl InjectRun<'_> {
    /// Whether the meter at `position` among the eligible meters may get an
    /// event (when `false`, [`inject_meter`](Self::inject_meter) leaves it alone).
    #[must_use]
    pub fn selects(&self, position: u64) -> bool {
        self.selection.rank(position) < self.selection.count() + self.benign_count
    }

    /// Injects into the meter at `position` among the eligible meters (row
    /// `row` of the input), whose series `series` (missing readings `NaN`)
    /// runs on `axis`. Returns the event, or `None` when the meter stays normal.
    ///
    /// # Errors
    /// A misbehaving injector ([`Error::Component`](crate::Error::Component)).
    pub fn inject_meter(
        &self,
        row: usize,
        position: u64,
        series: &mut [f64],
        axis: &TimeAxis,
        class: Option<CustomerClass>,
    ) -> Result<Option<InjectedEvent>> {
        let k = self.selection.count();
        let rank = self.selection.rank(position);
        let (mix, bounds, r, purpose, is_anomaly) = if rank < k {
            (
                &self.plan.anomaly_mix,
                &self.anomaly_bounds,
                rank,
                Purpose::AnomalyInjection,
                true,
            )
        } else if rank - k < self.benign_count {
            (
                &self.plan.benign_mix,
                &self.benign_bounds,
                rank - k,
                Purpose::BenignInjection,
                false,
            )
        } else {
            return Ok(None);
        };
        let Some(j) = entry_of(bounds, r) else {
            return Ok(None);
        };
        let injector = &mix[j].0;
        let present: Vec<bool> = series.iter().map(|v| !v.is_nan()).collect();
        let count = present.iter().filter(|&&p| p).count();
        if count == 0 {
            return Ok(None);
        }
        let mean = series.iter().filter(|v| !v.is_nan()).sum::<f64>() / count as f64;
        for v in series.iter_mut().filter(|v| v.is_nan()) {
            *v = mean;
        }
        let before = series.to_vec();
        let meter = Meter {
            id: MeterId::from_index(position.min(u64::from(u32::MAX)) as u32),
            customer_class: class.unwrap_or(CustomerClass::Residential),
            baseline_kwh: mean,
            ..Meter::blank()
        };
        let profile = MeterProfile {
            class: meter.customer_class,
            baseline_kwh: mean,
            monthly_growth: 0.0,
        };
        let ctx = InjectionContext::new(&meter, &profile, axis).with_onset(self.plan.onset);
        let mut rng = self.streams.stream(purpose, position);
        let injection = inject_checked(&**injector, series, &ctx, &mut rng)?;
        for ((v, &p), &b) in series.iter_mut().zip(&present).zip(&before) {
            if !p {
                *v = f64::NAN;
            } else if let Some(d) = self.plan.decimals {
                if *v != b {
                    *v = crate::decimal::rounded(*v, d);
                }
            }
        }
        let window = self
            .plan
            .severity_window
            .periods(injection.onset, injection.end, series.len());
        let (mut expected, mut reported) = (0.0, 0.0);
        for t in window {
            if present[t] {
                expected += before[t];
                reported += series[t];
            }
        }
        let severity = crate::anomaly::unbilled_share(expected, reported);
        Ok(Some(InjectedEvent {
            row,
            event_type: injection.anomaly_type,
            is_theft: injection.is_theft,
            onset: injection.onset,
            end: injection.end,
            severity,
            is_anomaly,
        }))
    }
}

/// What [`inject`] did.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct InjectReport {
    /// Every event, in row order (anomalies and benign look-alikes).
    pub events: Vec<InjectedEvent>,
    /// Rows left alone because they were already labelled.
    pub skipped_labelled: Vec<usize>,
    /// Rows left alone because they hold no present reading.
    pub skipped_empty: Vec<usize>,
}

impl InjectReport {
    /// The labelled anomalies (events with `is_anomaly`).
    pub fn labels(&self) -> impl Iterator<Item = &InjectedEvent> {
        self.events.iter().filter(|e| e.is_anomaly)
    }
}

/// Injects anomalies into the rows of `matrix` (missing readings `NaN`)
/// whose periods are `axis`: rows with `labelled[row] == true` are left
/// alone and reported (`labelled` may be shorter than the matrix: missing
/// entries count as unlabelled).
///
/// ```
/// use ghostload::{ConsumptionMatrix, GeneratorConfig, Resolution, TimeAxis, YearMonth};
/// use ghostload::inject::{InjectPlan, inject};
/// let axis = TimeAxis::new(YearMonth::new(2024, 1)?, 12, Resolution::Monthly)?;
/// let mut m = ConsumptionMatrix::from_rows(vec![100.0; 10 * 12], 12);
/// let plan = InjectPlan::new(&GeneratorConfig { anomaly_rate: 0.2, ..Default::default() })?;
/// let report = inject(&mut m, &axis, &plan, &[true])?;
/// assert_eq!(report.labels().count(), 2); // round(0.2 × 9 eligible)
/// assert_eq!(report.skipped_labelled, [0]);
/// # Ok::<(), ghostload::Error>(())
/// ```
///
/// # Errors
/// [`ConfigError::OutOfRange`] naming `axis` when its length is not the
/// matrix's number of periods; a misbehaving injector's error.
pub fn inject(
    matrix: &mut ConsumptionMatrix,
    axis: &TimeAxis,
    plan: &InjectPlan,
    labelled: &[bool],
) -> Result<InjectReport> {
    if axis.len() != matrix.periods() {
        return Err(ConfigError::out_of_range("axis", axis.len(), "the matrix's number of periods").into());
    }
    let mut report = InjectReport::default();
    let mut eligible = Vec::new();
    for (row, series) in matrix.rows().enumerate() {
        if labelled.get(row).copied().unwrap_or(false) {
            report.skipped_labelled.push(row);
        } else if series.iter().all(|v| v.is_nan()) {
            report.skipped_empty.push(row);
        } else {
            eligible.push(row);
        }
    }
    let run = plan.run(eligible.len() as u64);
    for (position, &row) in eligible.iter().enumerate() {
        let series = matrix.row_mut(row).expect("row in range");
        if let Some(event) = run.inject_meter(row, position as u64, series, axis, None)? {
            report.events.push(event);
        }
    }
    Ok(report)
}
