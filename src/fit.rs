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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = f.precision().unwrap_or(4);
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
    /// (the model's `noise_fraction`, measured on this class).
    pub noise_fraction: Option<Estimate>,
}

/// A parameter the fit could not estimate, and why. The configuration keeps
/// the base value for it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct NotEstimated {
    /// The parameter, as its dotted configuration path.
    pub parameter: String,
    /// Why.
    pub reason: String,
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
    /// Lowest per-meter growth per month (`consumption.trend_min`).
    pub trend_min: Estimate,
    /// Highest per-meter growth per month (`consumption.trend_max`).
    pub trend_max: Estimate,
    /// `consumption.noise_fraction`: the meter-weighted mean of the classes'.
    pub noise_fraction: Option<Estimate>,
    /// Share of readings equal to zero among the fitted meters (the model
    /// makes zeros only by clipping at 0; not a configuration parameter).
    pub zero_share: f64,
    /// Parameters not estimated, and why.
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

    /// Bootstrap replicates (0: no uncertainty, every `se` is NaN).
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
        if let Some(c) = classes
            && c.len() != n
        {
            return Err(FitError::LengthMismatch {
                what: "classes",
                len: c.len(),
                meters: n,
            });
        }
        if let Some(e) = &self.exclude
            && e.len() != n
        {
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

        let mut not_estimated = Vec::new();
        if !seasonal_ok {
            for p in ["consumption.seasonal_amplitude", "consumption.seasonal_peak_month"] {
                not_estimated.push(NotEstimated {
                    parameter: p.to_owned(),
                    reason: format!("{t_len} months: every calendar month must be observed (at least 12 months)"),
                });
            }
        }
        let total = fits.len();
        let mut class_fits = Vec::new();
        for (g, members) in by_group.iter().enumerate() {
            let count = members.len();
            if count == 0 {
                continue;
            }
            let class = classes.map(|_| CustomerClass::ALL[g]);
            if count < MIN_CLASS_METERS {
                let name = class.map_or("residential", CustomerClass::as_str);
                for p in ["median_kwh", "sigma"] {
                    not_estimated.push(NotEstimated {
                        parameter: format!("consumption.{name}.{p}"),
                        reason: format!("{count} meters of the class: at least {MIN_CLASS_METERS} are needed"),
                    });
                }
            }
            class_fits.push(ClassFit {
                class,
                meters: count,
                share: count as f64 / total as f64,
                median_kwh: est(&|p: &Point| p.groups[g].map(|c| c.median)),
                sigma: est(&|p: &Point| p.groups[g].map(|c| c.sigma)),
                noise_sd_kwh: est(&|p: &Point| p.groups[g].map(|c| c.noise_sd)),
                noise_fraction: est(&|p: &Point| p.groups[g].map(|c| c.noise_fraction)),
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
            noise_fraction: est(&|p: &Point| p.noise_fraction),
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
    noise_fraction: f64,
}

#[derive(Debug, Clone)]
struct Point {
    groups: Vec<Option<GroupPoint>>,
    amplitude: Option<f64>,
    peak: Option<f64>,
    factors: Option<[f64; 12]>,
    trend: (f64, f64),
    noise_fraction: Option<f64>,
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
            noise_fraction: if base_sd > 0.0 { noise_sd / base_sd } else { f64::NAN },
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
    let (mut num, mut den) = (0.0, 0.0);
    for (g, gp) in groups.iter().enumerate() {
        if let Some(gp) = gp
            && gp.noise_fraction.is_finite()
        {
            let count = idx.iter().filter(|&&i| fits[i].group == g).count() as f64;
            num += gp.noise_fraction * count;
            den += count;
        }
    }
    Point {
        groups,
        amplitude,
        peak,
        factors,
        trend: (mu - half, mu + half),
        noise_fraction: (den > 0.0).then(|| num / den),
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
    /// amplitude and peak month, the trend range and the noise fraction,
    /// each clamped to its allowed range. The anomaly rate becomes the
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
        // Shares rounded so that they sum to 1 within the validator's 1e-9.
        let sum = mix.residential + mix.commercial + mix.industrial;
        if sum > 0.0 {
            mix.commercial = round6(mix.commercial / sum);
            mix.industrial = round6(mix.industrial / sum);
            mix.residential = 1.0 - mix.commercial - mix.industrial;
            c.class_mix = mix;
        }
        if let (Some(a), Some(p)) = (self.seasonal_amplitude, self.seasonal_peak_month) {
            c.consumption.seasonal_amplitude = a.value.clamp(0.0, 0.95);
            c.consumption.seasonal_peak_month = p;
        }
        if self.trend_min.value.is_finite() && self.trend_max.value.is_finite() {
            c.consumption.trend_min = self.trend_min.value.clamp(-0.5, 0.5);
            c.consumption.trend_max = self.trend_max.value.clamp(c.consumption.trend_min, 0.5);
        }
        if let Some(nf) = self.noise_fraction
            && nf.value.is_finite()
        {
            c.consumption.noise_fraction = nf.value.clamp(0.0, 5.0);
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
        s.push_str(&format!(
            "\n[consumption]\nseasonal_peak_month = {}\nseasonal_amplitude = {}\ntrend_min = {}\ntrend_max = {}\nnoise_fraction = {}\n",
            k.seasonal_peak_month,
            toml_f64(k.seasonal_amplitude),
            toml_f64(k.trend_min),
            toml_f64(k.trend_max),
            toml_f64(k.noise_fraction)
        ));
        for (name, p) in [
            ("residential", k.residential),
            ("commercial", k.commercial),
            ("industrial", k.industrial),
        ] {
            s.push_str(&format!(
                "\n[consumption.{name}]\nmedian_kwh = {}\nsigma = {}\n",
                toml_f64(p.median_kwh),
                toml_f64(p.sigma)
            ));
        }
        s
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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
            if let Some(e) = c.median_kwh {
                writeln!(f, "  median_kwh     {e:.2}")?;
            }
            if let Some(e) = c.sigma {
                writeln!(f, "  sigma          {e:.4}")?;
            }
            if let Some(e) = c.noise_sd_kwh {
                writeln!(f, "  noise sd, kWh  {e:.2}")?;
            }
            if let Some(e) = c.noise_fraction {
                writeln!(f, "  noise_fraction {e:.4}")?;
            }
        }
        if let Some(a) = self.seasonal_amplitude {
            writeln!(f, "seasonal_amplitude  {a:.4}")?;
        }
        if let (Some(p), Some(m)) = (self.seasonal_peak, self.seasonal_peak_month) {
            writeln!(f, "seasonal peak       {p:.2} -> seasonal_peak_month = {m}")?;
        }
        if let Some(fs) = self.monthly_factors {
            let list: Vec<String> = fs.iter().map(|v| format!("{v:.3}")).collect();
            writeln!(f, "monthly factors     {}", list.join(" "))?;
        }
        writeln!(f, "trend_min           {:.5}", self.trend_min)?;
        writeln!(f, "trend_max           {:.5}", self.trend_max)?;
        if let Some(n) = self.noise_fraction {
            writeln!(f, "noise_fraction      {n:.4} (meter-weighted mean of the classes')")?;
        }
        writeln!(
            f,
            "zero readings       {:.6} of cells (not a parameter: the model makes zeros only by clipping at 0)",
            self.zero_share
        )?;
        for n in &self.not_estimated {
            writeln!(
                f,
                "not estimated: {} ({}); the base value is kept",
                n.parameter, n.reason
            )?;
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
    fn a_noiseless_meter_is_recovered_exactly() {
        let season = [1.0; 12];
        let moy: Vec<usize> = (0..24).map(|t| t % 12).collect();
        let row: Vec<f64> = (0..24).map(|t| 100.0 * (1.0 + 0.01 * f64::from(t))).collect();
        let f = fit_meter(&row, &moy, &season, 0);
        assert!((f.level - 100.0).abs() < 1e-9 && (f.growth - 0.01).abs() < 1e-12 && f.rss < 1e-18);
    }
}
