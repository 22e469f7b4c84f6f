//! Fitting the consumption model to monthly data: [`Fit`] estimates the
//! parameters of [`SeasonalConsumption`](crate::SeasonalConsumption) from a
//! [`ConsumptionMatrix`] and returns a [`FitReport`] (estimates, bootstrap
//! uncertainty, what could not be estimated and why), which turns into a
//! [`GeneratorConfig`] ([`FitReport::config`]) or a TOML file
//! ([`FitReport::to_toml`]). The formulas are in `docs/fit.md`.
//!
//! ```
//! use ghostload::{GeneratorConfig, Pipeline, fit::Fit};
//! let config = GeneratorConfig { num_meters: 600, num_transformers: 20, anomaly_rate: 0.0, benign_rate: 0.0, ..Default::default() };
//! let data = Pipeline::builder().config(config).build()?.generate()?;
//! let classes: Vec<_> = data.meters().iter().map(|m| m.customer_class).collect();
//! let report = Fit::new().run(data.consumption(), Some(&classes), data.axis())?;
//! assert_eq!(report.seasonal_peak_month, Some(5));
//! let fitted = report.config(&GeneratorConfig::default());
//! assert!(fitted.validate().is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::f64::consts::PI;
use std::fmt;

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

use crate::config::{ClassMix, GeneratorConfig};
use crate::consumption::ClassProfile;
use crate::dataset::ConsumptionMatrix;
use crate::model::CustomerClass;
use crate::time::{TimeAxis, YearMonth};

/// Input the fit cannot work with, named precisely.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FitError {
    /// No meter is left to fit (the input is empty, or every meter is excluded).
    #[error("no meter to fit: the input holds {meters} meters, {excluded} of them excluded")]
    NoMeters {
        /// Meters in the input.
        meters: usize,
        /// Meters excluded (labelled anomalous).
        excluded: usize,
    },
    /// Too few periods to fit a level and a trend and measure the noise.
    #[error("{periods} periods: at least {needed} are needed to estimate a level, a trend and the noise")]
    TooFewPeriods {
        /// Periods in the input.
        periods: usize,
        /// Periods needed.
        needed: usize,
    },
    /// The matrix and the axis disagree.
    #[error("the matrix has {periods} periods per meter but the axis has {months} months")]
    AxisMismatch {
        /// Periods of the matrix.
        periods: usize,
        /// Months of the axis.
        months: usize,
    },
    /// A per-meter list (classes or exclusion mask) has the wrong length.
    #[error("{what} has {len} entries for {meters} meters")]
    LengthMismatch {
        /// `classes` or `exclude`.
        what: &'static str,
        /// Its length.
        len: usize,
        /// Meters in the matrix.
        meters: usize,
    },
    /// A value that is not a finite number ≥ 0.
    #[error("meter {meter} (row {meter}, 0-based), period {period}: value {value} is not a finite number >= 0")]
    BadValue {
        /// Row of the meter, 0-based.
        meter: usize,
        /// Period, 0-based.
        period: usize,
        /// The value.
        value: f64,
    },
}

/// A point estimate with its bootstrap uncertainty.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Estimate {
    /// The estimate on the whole input.
    pub value: f64,
    /// Bootstrap standard error (meters resampled with replacement within each class).
    pub se: f64,
    /// 2.5 % bootstrap percentile.
    pub lo: f64,
    /// 97.5 % bootstrap percentile.
    pub hi: f64,
}

impl Estimate {
    fn from(value: f64, mut reps: Vec<f64>) -> Estimate {
        reps.retain(|v| v.is_finite());
        if reps.len() < 2 {
            return Estimate {
                value,
                se: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
            };
        }
        let n = reps.len() as f64;
        let mean = reps.iter().sum::<f64>() / n;
        let se = (reps.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        reps.sort_by(f64::total_cmp);
        Estimate {
            value,
            se,
            lo: quantile_sorted(&reps, 0.025),
            hi: quantile_sorted(&reps, 0.975),
        }
    }
}

impl fmt::Display for Estimate {
    /// `value (se …, 95% lo .. hi)`; never `NaN`: a value that is not a
    /// number prints as `not estimable`, a missing uncertainty (no bootstrap,
    /// or fewer than 2 usable replicates) is said in words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(4);
        if !self.value.is_finite() {
            return write!(f, "not estimable");
        }
        if !(self.se.is_finite() && self.lo.is_finite() && self.hi.is_finite()) {
            return write!(
                f,
                "{:.p$} (no uncertainty: fewer than 2 usable bootstrap replicates)",
                self.value
            );
        }
        write!(
            f,
            "{:.p$} (se {:.p$}, 95% {:.p$} .. {:.p$})",
            self.value, self.se, self.lo, self.hi
        )
    }
}

/// The fitted parameters of one customer class.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ClassFit {
    /// The class (`None` when the input has no class column: one class for all meters).
    pub class: Option<CustomerClass>,
    /// Meters of the class that were fitted.
    pub meters: usize,
    /// Their share of the fitted meters.
    pub share: f64,
    /// Median baseline, kWh per month (`ClassProfile::median_kwh`); `None`
    /// when the class has too few meters (see [`FitReport::not_estimated`]).
    pub median_kwh: Option<Estimate>,
    /// Log-space standard deviation of the baseline (`ClassProfile::sigma`).
    pub sigma: Option<Estimate>,
    /// Standard deviation of the noise, kWh per month.
    pub noise_sd_kwh: Option<Estimate>,
    /// Noise standard deviation over the class baseline's standard deviation
    /// (the model's `noise_fraction`, measured on this class); `None` when it
    /// cannot be estimated, e.g. `sigma` is 0 so the class has no spread to
    /// be a fraction of (see [`FitReport::not_estimated`]).
    pub noise_fraction: Option<Estimate>,
}

/// A parameter the fit could not estimate, why, and what the written
/// configuration holds for it instead.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotEstimated {
    /// The parameter, as its dotted configuration path, e.g.
    /// `consumption.commercial.sigma`; the configuration has one
    /// `consumption.noise_fraction` for all classes, so its measurement on a
    /// class is named with the class in parentheses:
    /// `consumption.noise_fraction (residential)`.
    pub parameter: String,
    /// Why it could not be estimated, with what was measured instead.
    pub reason: String,
    /// What [`FitReport::config`] and [`FitReport::to_toml`] write for it
    /// instead (the base value, or the value pooled over other classes).
    pub fallback: String,
}

/// One two-sample Kolmogorov–Smirnov comparison of [`Comparison`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct KsTest {
    /// The statistic compared, e.g. `log level, residential`.
    pub statistic: String,
    /// Sample sizes (first, second).
    pub n: (usize, usize),
    /// The KS distance D (largest gap between the two empirical CDFs).
    pub d: f64,
    /// The critical value at α = 0.001: `1.949 · √((n + m) / (n m))`.
    pub critical: f64,
}

impl KsTest {
    /// `d <= critical`.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.d <= self.critical
    }
}

/// Two fits compared on the per-meter statistics each estimate is made
/// from: [`FitReport::compare`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Comparison {
    /// One test per statistic.
    pub tests: Vec<KsTest>,
}

impl Comparison {
    /// Every test passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.tests.iter().all(KsTest::passed)
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "two-sample Kolmogorov-Smirnov tests (alpha = 0.001):")?;
        for t in &self.tests {
            writeln!(
                f,
                "  {} {:<34} n = {:>6} / {:<6} D = {:.4}  critical {:.4}",
                if t.passed() { "PASS" } else { "FAIL" },
                t.statistic,
                t.n.0,
                t.n.1,
                t.d,
                t.critical
            )?;
        }
        Ok(())
    }
}

/// The result of [`Fit::run`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FitReport {
    /// Meters in the input.
    pub input_meters: usize,
    /// Meters excluded because they are labelled anomalous; `None` when no
    /// labels were given (then anomalies are *not* excluded).
    pub excluded: Option<usize>,
    /// Meters fitted.
    pub meters: usize,
    /// Months per meter.
    pub periods: usize,
    /// First month.
    pub start_month: YearMonth,
    /// Per class, in [`CustomerClass::ALL`] order (classes without meters
    /// left out), or a single entry with `class: None`.
    pub classes: Vec<ClassFit>,
    /// Seasonal amplitude `A` (`None`: fewer than 12 months).
    pub seasonal_amplitude: Option<Estimate>,
    /// Peak of the fitted cosine, as a continuous month in [0.5, 12.5).
    pub seasonal_peak: Option<Estimate>,
    /// The peak rounded to a calendar month 1 ..= 12 (`consumption.seasonal_peak_month`).
    pub seasonal_peak_month: Option<u8>,
    /// The per-calendar-month seasonal factors measured (January first),
    /// normalised to mean 1, before the cosine is fitted to them.
    pub monthly_factors: Option<[f64; 12]>,
    /// Lowest per-meter growth per month (`consumption.trend_min`); its
    /// `value` is NaN when no meter has a positive level (then listed in
    /// [`not_estimated`](Self::not_estimated), printed as `not estimable`).
    pub trend_min: Estimate,
    /// Highest per-meter growth per month (`consumption.trend_max`), as `trend_min`.
    pub trend_max: Estimate,
    /// `consumption.noise_fraction`: the meter-weighted mean of the classes'
    /// where it is estimable (a class without one is listed in
    /// [`not_estimated`](Self::not_estimated)); `None` when no class has one.
    pub noise_fraction: Option<Estimate>,
    /// Share of readings equal to zero among the fitted meters (the model
    /// makes zeros only by clipping at 0; not a configuration parameter).
    pub zero_share: f64,
    /// Parameters not estimated, why, and what the configuration gets
    /// instead (the report's section "could not be estimated, and why").
    pub not_estimated: Vec<NotEstimated>,
    /// Bootstrap replicates used for the uncertainty.
    pub bootstrap: usize,
    /// Per-meter statistics, kept for [`compare`](Self::compare).
    samples: Samples,
}

#[derive(Debug, Clone, PartialEq, Default)]
struct Samples {
    /// Per group: ln of the fitted level of each meter.
    log_level: Vec<Vec<f64>>,
    /// Per-meter growth, all meters.
    growth: Vec<f64>,
    /// Per group: residual sd of each meter over its level.
    rel_noise: Vec<Vec<f64>>,
    /// Per calendar month: the meters' mean ratio to their level and trend.
    month_ratio: Vec<Vec<f64>>,
    /// Group names.
    names: Vec<String>,
}

/// The estimator. [`Fit::new`] has the defaults (200 bootstrap replicates, seed 0).
#[derive(Debug, Clone)]
pub struct Fit {
    bootstrap: usize,
    seed: u64,
    exclude: Option<Vec<bool>>,
}

impl Default for Fit {
    fn default() -> Self {
        Fit::new()
    }
}

/// Fewest meters of a class for its baseline and noise to be estimated.
pub const MIN_CLASS_METERS: usize = 10;
/// Fewest periods accepted ([`FitError::TooFewPeriods`]).
pub const MIN_PERIODS: usize = 4;
/// A fitted sigma below this is 0: levels that differ only by float rounding.
const SIGMA_ZERO: f64 = 1e-9;
/// Largest `noise_fraction` written: the validator's upper bound
/// (`ConsumptionConfig::validate`); a larger estimate only says that the
/// class's spread is tiny (sigma near 0).
const NOISE_FRACTION_MAX: f64 = 5.0;

/// Per-meter results of the alternating fit.
#[derive(Debug, Clone, Copy)]
struct MeterFit {
    group: usize,
    level: f64,
    growth: f64,
    rss: f64,
    /// Var(level estimate) / σ², var(growth estimate) · level² / σ² (OLS).
    c_level: f64,
    c_growth: f64,
}

impl Fit {
    /// Defaults: 200 bootstrap replicates, seed 0, nothing excluded.
    #[must_use]
    pub fn new() -> Fit {
        Fit {
            bootstrap: 200,
            seed: 0,
            exclude: None,
        }
    }

    /// Bootstrap replicates (0: no uncertainty, every `se` is NaN, and a
    /// class's noise fraction is judged by its sigma's point estimate only).
    #[must_use]
    pub fn bootstrap(mut self, replicates: usize) -> Fit {
        self.bootstrap = replicates;
        self
    }

    /// Seed of the bootstrap's generator (PCG-64 MCG).
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Fit {
        self.seed = seed;
        self
    }

    /// Meters to leave out (one flag per row, `true` = labelled anomalous).
    /// Giving it records in the report that anomalies were excluded.
    #[must_use]
    pub fn exclude(mut self, labelled: &[bool]) -> Fit {
        self.exclude = Some(labelled.to_vec());
        self
    }

    /// [`Fit::new`]`.run(..)`.
    ///
    /// # Errors
    /// As [`run`](Self::run).
    pub fn from_matrix(
        matrix: &ConsumptionMatrix,
        classes: Option<&[CustomerClass]>,
        axis: &TimeAxis,
    ) -> Result<FitReport, FitError> {
        Fit::new().run(matrix, classes, axis)
    }

    /// Fits the model to `matrix` (kWh per meter-month, one row per meter),
    /// with each meter's class when known, on the monthly `axis`.
    ///
    /// # Errors
    /// A [`FitError`] naming what is wrong with the input.
    pub fn run(
        &self,
        matrix: &ConsumptionMatrix,
        classes: Option<&[CustomerClass]>,
        axis: &TimeAxis,
    ) -> Result<FitReport, FitError> {
        let n = matrix.meters();
        let t_len = matrix.periods();
        if t_len != axis.months() {
            return Err(FitError::AxisMismatch {
                periods: t_len,
                months: axis.months(),
            });
        }
        if let Some(c) = classes.filter(|c| c.len() != n) {
            return Err(FitError::LengthMismatch {
                what: "classes",
                len: c.len(),
                meters: n,
            });
        }
        if let Some(e) = self.exclude.as_ref().filter(|e| e.len() != n) {
            return Err(FitError::LengthMismatch {
                what: "exclude",
                len: e.len(),
                meters: n,
            });
        }
        let excluded = self.exclude.as_ref().map_or(0, |e| e.iter().filter(|&&x| x).count());
        if n == excluded || t_len == 0 {
            return Err(FitError::NoMeters { meters: n, excluded });
        }
        if t_len < MIN_PERIODS {
            return Err(FitError::TooFewPeriods {
                periods: t_len,
                needed: MIN_PERIODS,
            });
        }
        for (i, row) in matrix.rows().enumerate() {
            if let Some(t) = row.iter().position(|v| !v.is_finite() || *v < 0.0) {
                return Err(FitError::BadValue {
                    meter: i,
                    period: t,
                    value: row[t],
                });
            }
        }
        let start = axis.start();
        let moy: Vec<usize> = (0..t_len)
            .map(|t| usize::from(start.plus_months(t).month()) - 1)
            .collect();
        let seasonal_ok = t_len >= 12;
        let kept: Vec<usize> = (0..n)
            .filter(|&i| !self.exclude.as_ref().is_some_and(|e| e[i]))
            .collect();
        let group_of = |i: usize| classes.map_or(0, |c| c[i] as usize);
        let n_groups = if classes.is_some() { 3 } else { 1 };
        let rows: Vec<&[f64]> = kept.iter().map(|&i| matrix.row(i).unwrap_or(&[])).collect();

        // Alternate: per-meter level and trend given S, then S given them.
        let mut season = [1.0f64; 12];
        let mut fits: Vec<MeterFit> = Vec::new();
        let mut ratios: Vec<[f64; 12]> = Vec::new();
        for _ in 0..200 {
            fits = kept
                .iter()
                .zip(&rows)
                .map(|(&i, row)| fit_meter(row, &moy, &season, group_of(i)))
                .collect();
            ratios = rows
                .iter()
                .zip(&fits)
                .map(|(row, f)| month_ratios(row, &moy, f))
                .collect();
            if !seasonal_ok {
                break;
            }
            let all: Vec<usize> = (0..fits.len()).collect();
            let Some((_, h)) = seasonal(&ratios, &all) else {
                break;
            };
            let next: [f64; 12] = std::array::from_fn(|m| h.factor(m));
            let change = next.iter().zip(&season).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            season = next;
            if change < 1e-10 {
                break;
            }
        }
        let all: Vec<usize> = (0..fits.len()).collect();
        let point = aggregate(&fits, &ratios, &all, n_groups, t_len, seasonal_ok);

        // Bootstrap: meters resampled with replacement within each group.
        let mut by_group: Vec<Vec<usize>> = vec![Vec::new(); n_groups];
        for (k, f) in fits.iter().enumerate() {
            by_group[f.group].push(k);
        }
        let mut rng = Pcg64Mcg::seed_from_u64(self.seed);
        let mut reps = Vec::with_capacity(self.bootstrap);
        for _ in 0..self.bootstrap {
            let mut idx = Vec::with_capacity(fits.len());
            for g in &by_group {
                for _ in 0..g.len() {
                    idx.push(g[rng.random_range(0..g.len())]);
                }
            }
            reps.push(aggregate(&fits, &ratios, &idx, n_groups, t_len, seasonal_ok));
        }
        let est = |f: &dyn Fn(&Point) -> Option<f64>| -> Option<Estimate> {
            f(&point).map(|v| Estimate::from(v, reps.iter().filter_map(f).collect()))
        };

        let base_value = || "the base value".to_owned();
        let mut not_estimated = Vec::new();
        if !seasonal_ok || point.amplitude.is_none() {
            let reason = if seasonal_ok {
                "in some calendar month no meter has a positive ratio to its level and trend \
                 (too many readings at 0)"
                    .to_owned()
            } else {
                format!("{t_len} months: every calendar month must be observed (at least 12 months)")
            };
            for p in ["consumption.seasonal_amplitude", "consumption.seasonal_peak_month"] {
                not_estimated.push(NotEstimated {
                    parameter: p.to_owned(),
                    reason: reason.clone(),
                    fallback: base_value(),
                });
            }
        }
        if !(point.trend.0.is_finite() && point.trend.1.is_finite()) {
            for p in ["consumption.trend_min", "consumption.trend_max"] {
                not_estimated.push(NotEstimated {
                    parameter: p.to_owned(),
                    reason: "no fitted meter has a positive level".to_owned(),
                    fallback: base_value(),
                });
            }
        }
        let group_name = |g: usize| classes.map_or("all meters", |_| CustomerClass::ALL[g].as_str());
        let sigmas: Vec<Option<Estimate>> = (0..n_groups)
            .map(|g| est(&|p: &Point| p.groups[g].map(|c| c.sigma)))
            .collect();
        // Why a class's noise fraction is not estimated, if it is not.
        // `bool`: the class's spread is (or may be) 0, so the written
        // fraction regenerates it with no (or next to no) noise.
        let noise_reason = |g: usize, count: usize| -> Option<(String, bool)> {
            match (point.groups[g], sigmas[g]) {
                (None, _) => {
                    let positive = by_group[g].iter().filter(|&&k| fits[k].level > 0.0).count();
                    Some((
                        if count < MIN_CLASS_METERS {
                            format!("{count} meters of the class: at least {MIN_CLASS_METERS} are needed")
                        } else {
                            format!(
                                "{positive} of the class's {count} meters have a positive fitted level: \
                                 at least {MIN_CLASS_METERS} are needed"
                            )
                        },
                        false,
                    ))
                }
                (Some(c), _) if c.noise_fraction.is_none() => Some((
                    format!(
                        "sigma is 0 (every meter of the class at one level: the levels spread no more \
                         than their estimation error), and ghostload's noise is a fraction of the \
                         class's spread; noise sd {:.2} kWh measured",
                        c.noise_sd
                    ),
                    true,
                )),
                // Sigma > 0 but not told from 0: the fraction's interval is
                // unbounded above, and replicates with sigma 0 (where the
                // fraction does not exist) would silently drop out of it.
                (Some(c), Some(s)) if s.lo <= 0.0 => Some((
                    format!(
                        "sigma is {:.4} but its 95% bootstrap interval reaches 0 ({:.4} .. {:.4}), and \
                         ghostload's noise is a fraction of the class's spread: a spread that may be 0 \
                         makes the fraction unbounded ({:.4} at the point estimate); noise sd {:.2} kWh measured",
                        c.sigma,
                        s.lo,
                        s.hi,
                        c.noise_fraction.unwrap_or(f64::INFINITY),
                        c.noise_sd
                    ),
                    true,
                )),
                _ => None,
            }
        };
        let reasons: Vec<Option<(String, bool)>> = (0..n_groups).map(|g| noise_reason(g, by_group[g].len())).collect();
        let usable: Vec<bool> = reasons.iter().map(Option::is_none).collect();
        let noise_fraction = est(&|p: &Point| p.pooled_noise_fraction(&usable));
        // The single noise_fraction written: the classes' where estimable.
        let pooled_over: Vec<&str> = (0..n_groups)
            .filter(|&g| usable[g] && !by_group[g].is_empty())
            .map(group_name)
            .collect();
        let pooled_written = noise_fraction.map(|e| e.value.clamp(0.0, NOISE_FRACTION_MAX));
        let total = fits.len();
        let mut class_fits = Vec::new();
        let mut noise_reasons = Vec::new();
        for (g, members) in by_group.iter().enumerate() {
            let count = members.len();
            if count == 0 {
                continue;
            }
            let class = classes.map(|_| CustomerClass::ALL[g]);
            // The configuration path of the class's profile: one class for
            // all meters is written as the residential profile.
            let path = class.map_or("residential", CustomerClass::as_str);
            if let (None, Some((reason, _))) = (point.groups[g], &reasons[g]) {
                for p in ["median_kwh", "sigma"] {
                    not_estimated.push(NotEstimated {
                        parameter: format!("consumption.{path}.{p}"),
                        reason: reason.clone(),
                        fallback: base_value(),
                    });
                }
            }
            if let Some((reason, no_spread)) = reasons[g].clone() {
                noise_reasons.push((g, reason, no_spread));
            }
            class_fits.push(ClassFit {
                class,
                meters: count,
                share: count as f64 / total as f64,
                median_kwh: est(&|p: &Point| p.groups[g].map(|c| c.median)),
                sigma: sigmas[g],
                noise_sd_kwh: est(&|p: &Point| p.groups[g].map(|c| c.noise_sd)),
                noise_fraction: if usable[g] {
                    est(&|p: &Point| p.groups[g].and_then(|c| c.noise_fraction))
                } else {
                    None
                },
            });
        }
        // Classes given: each class's noise fraction is listed, with what the
        // single written value is instead. One class for all meters: its
        // fraction is the written one, listed once.
        let fallback = |no_spread: bool| {
            let mut text = match pooled_written {
                Some(v) => format!(
                    "consumption.noise_fraction = {v:.4}, the meter-weighted mean over {}",
                    pooled_over.join(", ")
                ),
                None => "the base consumption.noise_fraction".to_owned(),
            };
            if no_spread {
                text.push_str(
                    "; it scales this class's spread, which is 0 or next to it, \
                     so the class is regenerated with next to no noise",
                );
            }
            text
        };
        if classes.is_some() {
            for (g, reason, no_spread) in &noise_reasons {
                not_estimated.push(NotEstimated {
                    parameter: format!("consumption.noise_fraction ({})", group_name(*g)),
                    reason: reason.clone(),
                    fallback: fallback(*no_spread),
                });
            }
        }
        if pooled_written.is_none() {
            let reason = match (classes, noise_reasons.as_slice()) {
                (None, [(_, reason, _)]) => reason.clone(),
                _ => "not estimable for any class (see the classes' entries)".to_owned(),
            };
            not_estimated.push(NotEstimated {
                parameter: "consumption.noise_fraction".to_owned(),
                reason,
                fallback: base_value(),
            });
        }
        let zeros: usize = rows.iter().map(|r| r.iter().filter(|&&v| v == 0.0).count()).sum();
        let peak_month = point.peak.map(|p| {
            let m = p.round() as i64;
            (((m - 1).rem_euclid(12)) + 1) as u8
        });
        // The peak's replicates, unwrapped around the point estimate.
        let seasonal_peak = point.peak.map(|p0| {
            let reps_p = reps
                .iter()
                .filter_map(|r| r.peak)
                .map(|p| p0 + wrap12(p - p0))
                .collect();
            Estimate::from(p0, reps_p)
        });
        let trend_min = est(&|p: &Point| Some(p.trend.0)).unwrap_or(Estimate::from(f64::NAN, vec![]));
        let trend_max = est(&|p: &Point| Some(p.trend.1)).unwrap_or(Estimate::from(f64::NAN, vec![]));
        Ok(FitReport {
            input_meters: n,
            excluded: self.exclude.as_ref().map(|_| excluded),
            meters: total,
            periods: t_len,
            start_month: start,
            classes: class_fits,
            seasonal_amplitude: est(&|p: &Point| p.amplitude),
            seasonal_peak,
            seasonal_peak_month: peak_month,
            monthly_factors: point.factors,
            trend_min,
            trend_max,
            noise_fraction,
            zero_share: zeros as f64 / (total * t_len) as f64,
            not_estimated,
            bootstrap: self.bootstrap,
            samples: samples(&fits, &ratios, n_groups, classes.is_some()),
        })
    }
}

/// `x` wrapped to (−6, 6].
fn wrap12(x: f64) -> f64 {
    let r = x.rem_euclid(12.0);
    if r > 6.0 { r - 12.0 } else { r }
}

/// The fitted cosine `α (1 + A cos(2π (m − p) / 12))`, m = 1..=12.
#[derive(Debug, Clone, Copy)]
struct Harmonic {
    amplitude: f64,
    /// Peak month, in [0.5, 12.5).
    peak: f64,
}

impl Harmonic {
    /// `S` of calendar month index `m` (0 = January), mean 1.
    fn factor(&self, m: usize) -> f64 {
        1.0 + self.amplitude * (2.0 * PI * ((m + 1) as f64 - self.peak) / 12.0).cos()
    }
}

/// OLS of `row / S` on t: level = intercept, growth = slope / intercept.
fn fit_meter(row: &[f64], moy: &[usize], season: &[f64; 12], group: usize) -> MeterFit {
    let n = row.len() as f64;
    let t_mean = (n - 1.0) / 2.0;
    let stt: f64 = (0..row.len()).map(|t| (t as f64 - t_mean).powi(2)).sum();
    let y: Vec<f64> = row.iter().zip(moy).map(|(x, &m)| x / season[m]).collect();
    let y_mean = y.iter().sum::<f64>() / n;
    let sty: f64 = y
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64 - t_mean) * (v - y_mean))
        .sum();
    let slope = sty / stt;
    let mut level = y_mean - slope * t_mean;
    let mut growth = slope / level;
    if level <= 0.0 || !growth.is_finite() {
        level = y_mean.max(0.0);
        growth = 0.0;
    }
    let rss: f64 = row
        .iter()
        .zip(moy)
        .enumerate()
        .map(|(t, (x, &m))| {
            let fitted = level * season[m] * (1.0 + growth * t as f64).max(0.0);
            (x - fitted).powi(2)
        })
        .sum();
    MeterFit {
        group,
        level,
        growth,
        rss,
        c_level: 1.0 / n + t_mean * t_mean / stt,
        c_growth: 1.0 / stt,
    }
}

/// Per calendar month, the meter's mean of `x / (level · G(t))` (NaN where unobserved).
fn month_ratios(row: &[f64], moy: &[usize], f: &MeterFit) -> [f64; 12] {
    let mut sum = [0.0; 12];
    let mut count = [0usize; 12];
    for (t, (x, &m)) in row.iter().zip(moy).enumerate() {
        let d = f.level * (1.0 + f.growth * t as f64).max(0.0);
        if d > 0.0 {
            sum[m] += x / d;
            count[m] += 1;
        }
    }
    std::array::from_fn(|m| {
        if count[m] > 0 {
            sum[m] / count[m] as f64
        } else {
            f64::NAN
        }
    })
}

/// The per-month medians of the meters' ratios (normalised to mean 1) and the cosine fitted to them.
fn seasonal(ratios: &[[f64; 12]], idx: &[usize]) -> Option<([f64; 12], Harmonic)> {
    let mut med = [0.0; 12];
    for (m, slot) in med.iter_mut().enumerate() {
        let mut v: Vec<f64> = idx.iter().map(|&k| ratios[k][m]).filter(|v| v.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        *slot = median(&mut v);
    }
    let alpha = med.iter().sum::<f64>() / 12.0;
    if alpha <= 0.0 {
        return None;
    }
    let factors = med.map(|v| v / alpha);
    let (mut b, mut c) = (0.0, 0.0);
    for (m, s) in factors.iter().enumerate() {
        let w = 2.0 * PI * (m + 1) as f64 / 12.0;
        b += s * w.cos() / 6.0;
        c += s * w.sin() / 6.0;
    }
    let amplitude = b.hypot(c);
    let mut peak = c.atan2(b) * 12.0 / (2.0 * PI);
    while peak < 0.5 {
        peak += 12.0;
    }
    while peak >= 12.5 {
        peak -= 12.0;
    }
    Some((factors, Harmonic { amplitude, peak }))
}

#[derive(Debug, Clone, Copy)]
struct GroupPoint {
    median: f64,
    sigma: f64,
    noise_sd: f64,
    /// `None` when the class's baseline has no spread (sigma 0).
    noise_fraction: Option<f64>,
    /// Meters of the class in the sample (the pooling weight).
    meters: usize,
}

#[derive(Debug, Clone)]
struct Point {
    groups: Vec<Option<GroupPoint>>,
    amplitude: Option<f64>,
    peak: Option<f64>,
    factors: Option<[f64; 12]>,
    trend: (f64, f64),
}

impl Point {
    /// The single `consumption.noise_fraction`: the classes' weighted by
    /// their meters, over the classes marked `usable` that have one.
    fn pooled_noise_fraction(&self, usable: &[bool]) -> Option<f64> {
        let (mut num, mut den) = (0.0, 0.0);
        for (gp, _) in self.groups.iter().zip(usable).filter(|(_, u)| **u) {
            if let Some((nf, m)) = gp.and_then(|gp| gp.noise_fraction.map(|nf| (nf, gp.meters as f64))) {
                num += nf * m;
                den += m;
            }
        }
        (den > 0.0).then(|| num / den)
    }
}

/// Median of χ²_k / k, Wilson–Hilferty: `(1 − 2/(9k))³`.
fn chi2_median_over_k(k: f64) -> f64 {
    (1.0 - 2.0 / (9.0 * k)).powi(3)
}

/// The estimates from the meters `idx` (repeats allowed).
fn aggregate(
    fits: &[MeterFit],
    ratios: &[[f64; 12]],
    idx: &[usize],
    n_groups: usize,
    t_len: usize,
    seasonal_ok: bool,
) -> Point {
    let k = (t_len - 2) as f64;
    let mut groups = Vec::with_capacity(n_groups);
    let mut noise_var = vec![f64::NAN; n_groups];
    for (g, slot) in noise_var.iter_mut().enumerate() {
        let members: Vec<&MeterFit> = idx.iter().map(|&i| &fits[i]).filter(|f| f.group == g).collect();
        if members.len() < MIN_CLASS_METERS {
            groups.push(None);
            continue;
        }
        let mut rss: Vec<f64> = members.iter().map(|f| f.rss).collect();
        let s2 = median(&mut rss) / (k * chi2_median_over_k(k));
        *slot = s2;
        let mut logs: Vec<f64> = members.iter().filter(|f| f.level > 0.0).map(|f| f.level.ln()).collect();
        if logs.len() < MIN_CLASS_METERS {
            groups.push(None);
            continue;
        }
        let med_log = median(&mut logs);
        let mut dev: Vec<f64> = logs.iter().map(|v| (v - med_log).abs()).collect();
        let sd_log = 1.4826 * median(&mut dev);
        // The levels are estimated: remove the mean relative error variance.
        let err: f64 = members
            .iter()
            .filter(|f| f.level > 0.0)
            .map(|f| s2 * f.c_level / (f.level * f.level))
            .sum::<f64>()
            / logs.len() as f64;
        let sigma = (sd_log * sd_log - err).max(0.0).sqrt();
        // Levels equal but for float rounding (noise-free meters at one
        // level) spread by ~1e-15: that is a sigma of 0, not a tiny spread
        // for the noise to be a (meaningless) fraction of.
        let sigma = if sigma < SIGMA_ZERO { 0.0 } else { sigma };
        let median_kwh = med_log.exp();
        let profile = ClassProfile {
            median_kwh,
            sigma,
            ..ClassProfile::RESIDENTIAL
        };
        let base_sd = profile.baseline_std_kwh();
        let noise_sd = s2.sqrt();
        groups.push(Some(GroupPoint {
            median: median_kwh,
            sigma,
            noise_sd,
            // The model's noise is a fraction of the class's spread: with no
            // spread (sigma 0) no fraction reproduces the measured noise.
            noise_fraction: (base_sd > 0.0 && base_sd.is_finite()).then(|| noise_sd / base_sd),
            meters: members.len(),
        }));
    }
    // Trend: the growths are a uniform spread plus estimation error;
    // weighted moments with the error variance removed (deconvolution).
    let items: Vec<(f64, f64)> = idx
        .iter()
        .map(|&i| &fits[i])
        .filter(|f| f.level > 0.0)
        .map(|f| {
            let s2 = if noise_var[f.group].is_finite() {
                noise_var[f.group]
            } else {
                f.rss / k
            };
            (f.growth, s2 * f.c_growth / (f.level * f.level))
        })
        .collect();
    let mut tau2 = 0.0;
    let mut mu = 0.0;
    for _ in 0..20 {
        let w: Vec<f64> = items.iter().map(|(_, e)| 1.0 / (e + tau2).max(1e-12)).collect();
        let sw: f64 = w.iter().sum();
        mu = items.iter().zip(&w).map(|((g, _), w)| g * w).sum::<f64>() / sw;
        let next = (items
            .iter()
            .zip(&w)
            .map(|((g, e), w)| w * ((g - mu).powi(2) - e))
            .sum::<f64>()
            / sw)
            .max(0.0);
        if (next - tau2).abs() < 1e-14 {
            tau2 = next;
            break;
        }
        tau2 = next;
    }
    let half = (12.0 * tau2).sqrt() / 2.0;
    let (amplitude, peak, factors) = match seasonal_ok.then(|| seasonal(ratios, idx)).flatten() {
        Some((f, h)) => (Some(h.amplitude), Some(h.peak), Some(f)),
        None => (None, None, None),
    };
    Point {
        groups,
        amplitude,
        peak,
        factors,
        trend: (mu - half, mu + half),
    }
}

fn samples(fits: &[MeterFit], ratios: &[[f64; 12]], n_groups: usize, named: bool) -> Samples {
    let mut s = Samples {
        log_level: vec![Vec::new(); n_groups],
        rel_noise: vec![Vec::new(); n_groups],
        month_ratio: vec![Vec::new(); 12],
        ..Samples::default()
    };
    for (f, r) in fits.iter().zip(ratios) {
        if f.level > 0.0 {
            s.log_level[f.group].push(f.level.ln());
            s.rel_noise[f.group].push(f.rss.sqrt() / f.level);
            s.growth.push(f.growth);
            for (m, v) in r.iter().enumerate() {
                if v.is_finite() {
                    s.month_ratio[m].push(*v);
                }
            }
        }
    }
    s.names = if named {
        CustomerClass::ALL.iter().map(|c| c.as_str().to_owned()).collect()
    } else {
        vec!["all meters".to_owned()]
    };
    s
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    quantile_sorted(v, 0.5)
}

/// Linear-interpolation quantile of a sorted, non-empty slice.
fn quantile_sorted(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let pos = q * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
}

/// Two-sample KS distance.
fn ks(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs());
    }
    d
}

impl FitReport {
    /// `base` with every estimated parameter replaced: sizes (`num_meters`,
    /// `num_months`, `start_month`; `num_transformers` lowered to the meter
    /// count when larger), `class_mix` (when classes are known;
    /// otherwise every meter is residential and the one class's fit is the
    /// residential profile), the class medians and sigmas, the seasonal
    /// amplitude and peak month, the trend range and the noise fraction
    /// (pooled over the classes where it is estimable), each clamped to its
    /// allowed range; what was not estimated keeps the base value (see
    /// [`NotEstimated::fallback`]). The anomaly rate becomes the
    /// excluded share when labels were given.
    #[must_use]
    pub fn config(&self, base: &GeneratorConfig) -> GeneratorConfig {
        let mut c = base.clone();
        c.num_meters = self.input_meters;
        c.num_transformers = c.num_transformers.min(self.input_meters);
        c.num_months = self.periods;
        c.start_month = self.start_month;
        if let Some(e) = self.excluded {
            c.anomaly_rate = e as f64 / self.input_meters as f64;
        }
        let mut mix = ClassMix {
            residential: 0.0,
            commercial: 0.0,
            industrial: 0.0,
        };
        for cf in &self.classes {
            let class = cf.class.unwrap_or(CustomerClass::Residential);
            let profile = match class {
                CustomerClass::Residential => {
                    mix.residential = cf.share;
                    &mut c.consumption.residential
                }
                CustomerClass::Commercial => {
                    mix.commercial = cf.share;
                    &mut c.consumption.commercial
                }
                CustomerClass::Industrial => {
                    mix.industrial = cf.share;
                    &mut c.consumption.industrial
                }
            };
            if let (Some(m), Some(s)) = (cf.median_kwh, cf.sigma) {
                profile.median_kwh = m.value.clamp(1e-6, 1e7);
                profile.sigma = s.value.clamp(0.0, 2.0);
            }
        }
        // Shares rounded so that they sum to 1 within the validator's 1e-9:
        // the largest share takes the rounding remainder (a class without
        // meters would go below 0 by the float error if it took it).
        let sum = mix.residential + mix.commercial + mix.industrial;
        if sum > 0.0 {
            let mut shares = [mix.residential, mix.commercial, mix.industrial].map(|v| round6(v / sum));
            let largest = (0..3).fold(0, |best, k| if shares[k] > shares[best] { k } else { best });
            shares[largest] = 1.0 - (0..3).filter(|&k| k != largest).map(|k| shares[k]).sum::<f64>();
            let [residential, commercial, industrial] = shares;
            c.class_mix = ClassMix {
                residential,
                commercial,
                industrial,
            };
        }
        if let (Some(a), Some(p)) = (self.seasonal_amplitude, self.seasonal_peak_month) {
            c.consumption.seasonal_amplitude = a.value.clamp(0.0, 0.95);
            c.consumption.seasonal_peak_month = p;
        }
        if self.trend_min.value.is_finite() && self.trend_max.value.is_finite() {
            c.consumption.trend_min = self.trend_min.value.clamp(-0.5, 0.5);
            c.consumption.trend_max = self.trend_max.value.clamp(c.consumption.trend_min, 0.5);
        }
        if let Some(nf) = self.noise_fraction.filter(|nf| nf.value.is_finite()) {
            c.consumption.noise_fraction = nf.value.clamp(0.0, NOISE_FRACTION_MAX);
        }
        c
    }

    /// The fitted part of [`config`](Self::config) as a TOML configuration
    /// file that `ghostload generate --config` accepts (every other key
    /// keeps the default, or the preset's), with the report as comments.
    #[must_use]
    pub fn to_toml(&self, base: &GeneratorConfig) -> String {
        let c = self.config(base);
        let mut s = String::new();
        s.push_str("# Fitted by `ghostload fit`. Report:\n");
        for line in self.to_string().lines() {
            s.push_str("#   ");
            s.push_str(line);
            s.push('\n');
        }
        s.push_str(&format!(
            "num_transformers = {}\nnum_meters = {}\nnum_months = {}\nstart_month = \"{}\"\nanomaly_rate = {}\n",
            c.num_transformers,
            c.num_meters,
            c.num_months,
            c.start_month,
            toml_f64(c.anomaly_rate)
        ));
        s.push_str(&format!(
            "\n[class_mix]\nresidential = {}\ncommercial = {}\nindustrial = {}\n",
            toml_f64(c.class_mix.residential),
            toml_f64(c.class_mix.commercial),
            toml_f64(c.class_mix.industrial)
        ));
        let k = &c.consumption;
        s.push_str("\n[consumption]\n");
        self.toml_notes(&mut s, "consumption.seasonal_");
        s.push_str(&format!(
            "seasonal_peak_month = {}\nseasonal_amplitude = {}\n",
            k.seasonal_peak_month,
            toml_f64(k.seasonal_amplitude)
        ));
        self.toml_notes(&mut s, "consumption.trend_");
        s.push_str(&format!(
            "trend_min = {}\ntrend_max = {}\n",
            toml_f64(k.trend_min),
            toml_f64(k.trend_max)
        ));
        self.toml_notes(&mut s, "consumption.noise_fraction");
        s.push_str(&format!("noise_fraction = {}\n", toml_f64(k.noise_fraction)));
        for (name, p) in [
            ("residential", k.residential),
            ("commercial", k.commercial),
            ("industrial", k.industrial),
        ] {
            s.push_str(&format!("\n[consumption.{name}]\n"));
            self.toml_notes(&mut s, &format!("consumption.{name}."));
            s.push_str(&format!(
                "median_kwh = {}\nsigma = {}\n",
                toml_f64(p.median_kwh),
                toml_f64(p.sigma)
            ));
        }
        s
    }

    /// Comment lines for the keys below them that were not estimated, so
    /// that a reader of the TOML sees which values are not measurements.
    fn toml_notes(&self, s: &mut String, prefix: &str) {
        for n in self.not_estimated.iter().filter(|n| n.parameter.starts_with(prefix)) {
            s.push_str(&format!(
                "# {} not estimated (why: \"could not be estimated\" above); written: {}\n",
                n.parameter, n.fallback
            ));
        }
    }

    /// The entry of [`not_estimated`](Self::not_estimated) for the noise
    /// fraction of `class` (`None`: the single class of an input without classes).
    fn noise_not_estimated(&self, class: Option<CustomerClass>) -> Option<&NotEstimated> {
        let parameter = match class {
            Some(c) => format!("consumption.noise_fraction ({c})"),
            None => "consumption.noise_fraction".to_owned(),
        };
        self.not_estimated.iter().find(|n| n.parameter == parameter)
    }

    /// Compares the per-meter statistics this fit was made from with those
    /// of `other` (e.g. a fit of data regenerated from [`config`](Self::config)),
    /// with two-sample Kolmogorov–Smirnov tests: the log levels per class,
    /// the growths, the residual noise over the level per class, and the
    /// ratio to level and trend of each calendar month.
    #[must_use]
    pub fn compare(&self, other: &FitReport) -> Comparison {
        let mut tests = Vec::new();
        let mut push = |statistic: String, a: &[f64], b: &[f64]| {
            if a.len() < 2 || b.len() < 2 {
                return;
            }
            let (n, m) = (a.len() as f64, b.len() as f64);
            tests.push(KsTest {
                statistic,
                n: (a.len(), b.len()),
                d: ks(a, b),
                critical: 1.949 * ((n + m) / (n * m)).sqrt(),
            });
        };
        let (s, o) = (&self.samples, &other.samples);
        for g in 0..s.log_level.len().min(o.log_level.len()) {
            push(format!("log level, {}", s.names[g]), &s.log_level[g], &o.log_level[g]);
        }
        push("growth per month".to_owned(), &s.growth, &o.growth);
        for g in 0..s.rel_noise.len().min(o.rel_noise.len()) {
            push(
                format!("residual sd / level, {}", s.names[g]),
                &s.rel_noise[g],
                &o.rel_noise[g],
            );
        }
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        for (m, name) in MONTHS.iter().enumerate() {
            push(
                format!("ratio to level x trend, {name}"),
                &s.month_ratio[m],
                &o.month_ratio[m],
            );
        }
        Comparison { tests }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A float as TOML writes it (always with a decimal point or exponent).
fn toml_f64(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

impl fmt::Display for FitReport {
    /// The report: the estimates with their uncertainty, then the section
    /// "could not be estimated, and why" (never a `NaN`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MISSING: &str = "not estimable (see below)";
        writeln!(
            f,
            "{} meters fitted of {}, {} months from {}; uncertainty: {} bootstrap replicates (meters resampled within class), 95% percentile intervals",
            self.meters, self.input_meters, self.periods, self.start_month, self.bootstrap
        )?;
        match self.excluded {
            Some(e) => writeln!(f, "{e} meters labelled anomalous were excluded")?,
            None => writeln!(f, "no labels given: anomalous meters are NOT excluded")?,
        }
        for c in &self.classes {
            let name = c.class.map_or("all meters (no class column)", CustomerClass::as_str);
            writeln!(f, "class {name}: {} meters (share {:.4})", c.meters, c.share)?;
            match c.median_kwh {
                Some(e) => writeln!(f, "  median_kwh     {e:.2}")?,
                None => writeln!(f, "  median_kwh     {MISSING}")?,
            }
            match c.sigma {
                Some(e) => writeln!(f, "  sigma          {e:.4}")?,
                None => writeln!(f, "  sigma          {MISSING}")?,
            }
            if let Some(e) = c.noise_sd_kwh {
                writeln!(f, "  noise sd, kWh  {e:.2}")?;
            }
            match (c.noise_fraction, self.noise_not_estimated(c.class)) {
                (Some(e), _) => writeln!(f, "  noise_fraction {e:.4}")?,
                (None, Some(n)) => writeln!(f, "  noise_fraction not estimable: {}", n.reason)?,
                (None, None) => writeln!(f, "  noise_fraction {MISSING}")?,
            }
        }
        match self.seasonal_amplitude {
            Some(a) => writeln!(f, "seasonal_amplitude  {a:.4}")?,
            None => writeln!(f, "seasonal_amplitude  {MISSING}")?,
        }
        match (self.seasonal_peak, self.seasonal_peak_month) {
            (Some(p), Some(m)) => writeln!(f, "seasonal peak       {p:.2} -> seasonal_peak_month = {m}")?,
            _ => writeln!(f, "seasonal peak       {MISSING}")?,
        }
        if let Some(fs) = self.monthly_factors {
            let list: Vec<String> = fs.iter().map(|v| format!("{v:.3}")).collect();
            writeln!(f, "monthly factors     {}", list.join(" "))?;
        }
        writeln!(f, "trend_min           {:.5}", self.trend_min)?;
        writeln!(f, "trend_max           {:.5}", self.trend_max)?;
        let name = |c: &ClassFit| c.class.map_or("all meters", CustomerClass::as_str);
        let pooled: Vec<&str> = self
            .classes
            .iter()
            .filter(|c| c.noise_fraction.is_some())
            .map(name)
            .collect();
        let left_out: Vec<&str> = self
            .classes
            .iter()
            .filter(|c| c.noise_fraction.is_none())
            .map(name)
            .collect();
        match self.noise_fraction {
            Some(n) if left_out.is_empty() => writeln!(
                f,
                "noise_fraction      {n:.4} (meter-weighted mean over {})",
                pooled.join(", ")
            )?,
            Some(n) => writeln!(
                f,
                "noise_fraction      {n:.4} (meter-weighted mean over {} only; not estimable for {}, see below)",
                pooled.join(", "),
                left_out.join(", ")
            )?,
            None => writeln!(f, "noise_fraction      {MISSING}")?,
        }
        writeln!(
            f,
            "zero readings       {:.6} of cells (not a parameter: the model makes zeros only by clipping at 0)",
            self.zero_share
        )?;
        if self.not_estimated.is_empty() {
            writeln!(
                f,
                "could not be estimated: nothing (every parameter above was estimated)"
            )?;
        } else {
            writeln!(f, "could not be estimated, and why:")?;
            for n in &self.not_estimated {
                writeln!(f, "  - {}: {}; written instead: {}", n.parameter, n.reason, n.fallback)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ks_distance_of_known_samples() {
        assert_eq!(ks(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]), 0.0);
        assert_eq!(ks(&[1.0, 2.0], &[3.0, 4.0]), 1.0);
        assert!((ks(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn the_cosine_fitted_to_exact_factors_is_exact() {
        for (a, p) in [(0.15, 5.0), (0.3, 12.0), (0.05, 1.0)] {
            let h = Harmonic { amplitude: a, peak: p };
            // Two meters whose monthly ratios are exactly S, scaled by 2.
            let r: [f64; 12] = std::array::from_fn(|m| 2.0 * h.factor(m));
            let (f, fitted) = seasonal(&[r, r], &[0, 1]).unwrap();
            assert!((f.iter().sum::<f64>() - 12.0).abs() < 1e-12);
            assert!((fitted.amplitude - a).abs() < 1e-12, "{a} {p}: {fitted:?}");
            assert!((fitted.peak - p).abs() < 1e-9, "{a} {p}: {fitted:?}");
        }
    }

    #[test]
    fn wilson_hilferty_median_is_close() {
        // Median of chi2_10 is 9.342 (tables): 9.342 / 10.
        assert!((chi2_median_over_k(10.0) - 0.9342).abs() < 1e-3);
    }

    #[test]
    fn an_estimate_never_prints_nan() {
        assert_eq!(Estimate::from(f64::NAN, vec![]).to_string(), "not estimable");
        assert_eq!(
            format!("{:.2}", Estimate::from(1.0, vec![])),
            "1.00 (no uncertainty: fewer than 2 usable bootstrap replicates)"
        );
        // Replicates that are not numbers are left out of the interval.
        let e = Estimate::from(1.0, vec![0.5, f64::NAN, 1.5]);
        assert_eq!((e.lo, e.hi), (0.525, 1.475));
    }

    #[test]
    fn the_pooled_noise_fraction_skips_the_classes_without_one() {
        let group = |nf: Option<f64>, meters| {
            Some(GroupPoint {
                median: 100.0,
                sigma: 0.5,
                noise_sd: 10.0,
                noise_fraction: nf,
                meters,
            })
        };
        let p = Point {
            groups: vec![group(None, 600), group(Some(2.0), 100), group(Some(1.0), 300)],
            amplitude: None,
            peak: None,
            factors: None,
            trend: (0.0, 0.0),
        };
        assert_eq!(p.pooled_noise_fraction(&[true, true, true]), Some(1.25));
        assert_eq!(p.pooled_noise_fraction(&[true, false, true]), Some(1.0));
        assert_eq!(p.pooled_noise_fraction(&[true, false, false]), None);
    }

    #[test]
    fn a_noiseless_meter_is_recovered_exactly() {
        let season = [1.0; 12];
        let moy: Vec<usize> = (0..24).map(|t| t % 12).collect();
        let row: Vec<f64> = (0..24).map(|t| 100.0 * (1.0 + 0.01 * f64::from(t))).collect();
        let f = fit_meter(&row, &moy, &season, 0);
        assert!((f.level - 100.0).abs() < 1e-9 && (f.growth - 0.01).abs() < 1e-12 && f.rss < 1e-18);
    }
}
