//! Interval readings from monthly totals: one model, many views.
//!
//! The consumption model draws each meter's monthly totals, as at monthly
//! resolution. [`IntervalPlan::disaggregate`] spreads each month's total,
//! rounded as the monthly file writes it, over the month's intervals with the
//! meter's load shape, the day's weather and noise, in whole register units,
//! so that the readings of a meter with no event sum to exactly the monthly
//! view's totals. Injectors then act on the readings, which are quantised
//! again and summed back into the monthly row (`finish`).

use std::ops::Range;

use rand::Rng;

use crate::config::GeneratorConfig;
use crate::consumption::LoadShapeConfig;
use crate::consumption::shape::{DayType, MeterShape, apportion, apportion_days, day_weight};
use crate::decimal::scaled_exact;
use crate::ids::MeterId;
use crate::model::{AnomalyType, CustomerClass, Event, MissingRun};
use crate::rng::StreamRng;
use crate::time::TimeAxis;
use crate::weather::Weather;

/// Everything about an interval dataset that is the same for every meter.
#[derive(Debug)]
pub(crate) struct IntervalPlan {
    axis: TimeAxis,
    per_day: usize,
    weather: Weather,
    day_types: Vec<DayType>,
    shapes: LoadShapeConfig,
    /// Register units per kWh (1000 for 0.001 kWh).
    unit_inverse: f64,
    /// Register units per hundredth of a kWh (the monthly file's precision).
    units_per_hundredth: i64,
    /// `max_kwh` in register units: the cap on a month's sum.
    max_units: i64,
    /// The periods of each month.
    months: Vec<Range<usize>>,
    /// Per barangay: runs of typhoon outage days, as period ranges.
    outages: Vec<Vec<Range<usize>>>,
    /// Probability that a run of missing readings starts at a period, and
    /// the mean run length in periods; `None` when `missing_rate` is 0.
    missing: Option<(f64, f64)>,
}

impl IntervalPlan {
    /// The plan for `config` on `axis` (an interval axis) with `weather`
    /// covering its days; the configuration is valid.
    pub(crate) fn new(config: &GeneratorConfig, axis: TimeAxis, weather: Weather) -> IntervalPlan {
        let per_day = axis.intervals_per_day().unwrap_or(1);
        let holidays = config.holidays_for(&axis);
        let day_types = (0..axis.days())
            .map(|d| {
                let date = axis.date(d);
                DayType::of(date, holidays.binary_search(&date).is_ok())
            })
            .collect();
        let unit_inverse = (1.0 / config.register_resolution_kwh).round();
        let units_per_hundredth = (unit_inverse / 100.0).round() as i64;
        let outages = (0..weather.barangays())
            .map(|b| {
                day_runs(weather.outages(b))
                    .map(|r| r.start * per_day..r.end * per_day)
                    .collect()
            })
            .collect();
        let missing = (config.missing_rate > 0.0).then(|| {
            let hours = axis.hours(0);
            let mean_len = (config.missing_run_hours / hours).max(1.0);
            let rate = config.missing_rate;
            // A run starts at a present reading with probability p; runs of
            // mean length L then cover a share p·L / (1 + p·L) = rate.
            (rate / (mean_len * (1.0 - rate)), mean_len)
        });
        IntervalPlan {
            per_day,
            weather,
            day_types,
            shapes: config.load_shape.clone(),
            unit_inverse,
            units_per_hundredth,
            max_units: (config.max_kwh * unit_inverse).floor().min(9e15) as i64,
            months: (0..axis.months()).map(|m| axis.month_range(m)).collect(),
            outages,
            missing,
            axis,
        }
    }

    /// The weather used.
    pub(crate) fn weather(&self) -> &Weather {
        &self.weather
    }

    /// Spreads each month's total of `monthly` over its periods in `out`,
    /// and sets each month of `monthly` to the readings' sum (its value
    /// rounded to the written precision).
    pub(crate) fn disaggregate(
        &self,
        class: CustomerClass,
        barangay: usize,
        monthly: &mut [f64],
        rng: &mut StreamRng,
        out: &mut [f64],
    ) {
        let params = self.shapes.class(class);
        let shape = MeterShape::draw(class, params, self.per_day, rng);
        let temperatures = self.weather.temperatures(barangay);
        let outages = self.weather.outages(barangay);
        let mut scales = [0.0f64; 31];
        for (m, periods) in self.months.iter().enumerate() {
            let first_day = periods.start / self.per_day;
            let mut day_total = 0.0;
            for (k, day) in out[periods.clone()].chunks_exact_mut(self.per_day).enumerate() {
                let d = first_day + k;
                let kind = self.day_types[d];
                let mut w = day_weight(
                    params,
                    self.shapes.cooling_base_c,
                    kind,
                    f64::from(temperatures[d]),
                    rng,
                );
                if outages[d] {
                    w = 0.0;
                }
                scales[k] = shape.fill_day(kind, w, rng, day);
                day_total += w;
            }
            // The total as the monthly file writes it (`io::KWH_DECIMALS` = 2).
            let units = scaled_exact(monthly[m], 2).saturating_mul(self.units_per_hundredth);
            let days = periods.len() / self.per_day;
            apportion_days(
                units,
                self.unit_inverse,
                &mut out[periods.clone()],
                self.per_day,
                &scales[..days],
                day_total,
            );
            monthly[m] = units as f64 / self.unit_inverse;
        }
    }

    /// After injection: quantises `readings` to the register, caps each
    /// month's sum at `max_kwh` (spreading the cap over the month in
    /// proportion to its readings) and writes the sums into `monthly`.
    /// Returns how many months were capped.
    pub(crate) fn finish(&self, readings: &mut [f64], monthly: &mut [f64]) -> usize {
        let mut capped = 0;
        for (m, periods) in self.months.iter().enumerate() {
            let month = &mut readings[periods.clone()];
            let mut units: i64 = 0;
            for v in month.iter_mut() {
                // Values are finite and ≥ 0 (checked after injection): + 0.5
                // and truncation round to nearest without a `round` call.
                let n = (*v * self.unit_inverse + 0.5) as i64;
                *v = n as f64 / self.unit_inverse;
                units += n;
            }
            if units > self.max_units {
                apportion(self.max_units, self.unit_inverse, month);
                units = self.max_units;
                capped += 1;
            }
            monthly[m] = units as f64 / self.unit_inverse;
        }
        capped
    }

    /// Zeroes the typhoon outage periods of barangay `barangay` in
    /// `readings`: without power a meter records nothing, whatever an
    /// injector did to its series.
    pub(crate) fn zero_outages(&self, barangay: usize, readings: &mut [f64]) {
        for r in &self.outages[barangay] {
            readings[r.clone()].fill(0.0);
        }
    }

    /// The typhoon outage events of a meter in barangay `barangay`.
    pub(crate) fn outage_events(&self, meter_id: MeterId, barangay: usize) -> impl Iterator<Item = Event> + '_ {
        self.outages[barangay].iter().map(move |r| Event {
            meter_id,
            event_type: AnomalyType::TYPHOON_OUTAGE,
            is_theft: false,
            onset: r.start,
            end: Some(r.end - 1),
            severity: 0.0,
            is_anomaly: false,
        })
    }

    /// Draws a meter's runs of missing readings (none when `missing_rate` is 0).
    pub(crate) fn missing_runs(&self, meter_id: MeterId, rng: &mut StreamRng) -> Vec<MissingRun> {
        let Some((p, mean_len)) = self.missing else {
            return Vec::new();
        };
        let n = self.axis.len();
        let mut runs = Vec::new();
        let mut pos = 0usize;
        loop {
            // Geometric gaps and lengths: one draw per run, not per reading.
            let gap = geometric(rng, p);
            let Some(start) = pos.checked_add(gap).filter(|&s| s < n) else {
                break;
            };
            let len = 1 + geometric(rng, 1.0 / mean_len);
            let len = len.min(n - start);
            runs.push(MissingRun { meter_id, start, len });
            // At least one reading arrives between two runs.
            pos = start + len + 1;
        }
        runs
    }

    /// The benign event of a missing run.
    pub(crate) fn missing_event(run: &MissingRun) -> Event {
        Event {
            meter_id: run.meter_id,
            event_type: AnomalyType::MISSING_DATA,
            is_theft: false,
            onset: run.start,
            end: Some(run.start + run.len - 1),
            severity: 0.0,
            is_anomaly: false,
        }
    }
}

/// Failures before the first success of trials with success probability `p`
/// (`p` in (0, 1]), by inversion: `⌊ln U / ln(1 − p)⌋`.
fn geometric(rng: &mut StreamRng, p: f64) -> usize {
    if p >= 1.0 {
        return 0;
    }
    let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    // `as` saturates: a gap too long for `usize` (or infinite) is past any series.
    (u.ln() / (-p).ln_1p()).floor() as usize
}

/// Runs of consecutive `true` days.
fn day_runs(flags: &[bool]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut d = 0;
    std::iter::from_fn(move || {
        while d < flags.len() && !flags[d] {
            d += 1;
        }
        if d >= flags.len() {
            return None;
        }
        let start = d;
        while d < flags.len() && flags[d] {
            d += 1;
        }
        Some(start..d)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, Streams};
    use crate::time::Resolution;

    fn plan(resolution: Resolution, missing_rate: f64) -> IntervalPlan {
        let config = GeneratorConfig {
            resolution,
            missing_rate,
            ..Default::default()
        };
        let axis = config.axis().unwrap();
        let weather = crate::weather::synthesize(&config.weather, &axis, 10, &Streams::new(1)).unwrap();
        IntervalPlan::new(&config, axis, weather)
    }

    #[test]
    fn readings_sum_to_the_written_monthly_totals() {
        for r in [Resolution::Daily, Resolution::Hourly, Resolution::FifteenMinutes] {
            let p = plan(r, 0.0);
            let monthly: Vec<f64> = (0..12).map(|m| 123.456 + 37.3 * m as f64 + 0.005).collect();
            let mut out = vec![0.0; p.axis.len()];
            let mut rng = Streams::new(3).stream(Purpose::MeterShape, 0);
            let mut sums = monthly.clone();
            p.disaggregate(CustomerClass::Residential, 2, &mut sums, &mut rng, &mut out);
            for m in 0..12 {
                assert_eq!(format!("{:.2}", sums[m]), format!("{:.2}", monthly[m]));
            }
            for (m, periods) in p.months.iter().enumerate() {
                let units: i64 = out[periods.clone()].iter().map(|v| (v * 1000.0).round() as i64).sum();
                assert_eq!(units, scaled_exact(monthly[m], 2) * 10, "{r} month {m}");
                assert!(
                    out[periods.clone()]
                        .iter()
                        .all(|v| *v >= 0.0 && (v * 1000.0 - (v * 1000.0).round()).abs() < 1e-6)
                );
            }
            let mut again = out.clone();
            let mut sums = vec![0.0; 12];
            assert_eq!(p.finish(&mut again, &mut sums), 0);
            assert_eq!(again, out, "quantised readings are left as they are");
            for m in 0..12 {
                assert_eq!(format!("{:.2}", sums[m]), format!("{:.2}", monthly[m]));
            }
        }
    }

    #[test]
    fn a_month_exactly_at_the_register_is_not_capped() {
        let p = plan(Resolution::Daily, 0.0);
        let mut readings = vec![0.0; p.axis.len()];
        // January: 31 days summing to exactly 10 000 kWh.
        readings[..30].fill(320.0);
        readings[30] = 400.0;
        let mut monthly = vec![0.0; 12];
        assert_eq!(p.finish(&mut readings, &mut monthly), 0);
        assert_eq!(monthly[0], 10_000.0);
        assert_eq!(readings[30], 400.0, "left as it was");
    }

    #[test]
    fn months_over_the_register_are_capped() {
        let p = plan(Resolution::Daily, 0.0);
        let mut readings = vec![500.0; p.axis.len()];
        let mut monthly = vec![0.0; 12];
        assert_eq!(p.finish(&mut readings, &mut monthly), 12);
        assert!(monthly.iter().all(|&v| v == 10_000.0));
    }

    #[test]
    fn missing_runs_cover_about_the_rate() {
        let p = plan(Resolution::Hourly, 0.05);
        let mut rng = Streams::new(9).stream(Purpose::MissingData, 0);
        let mut covered = 0usize;
        for m in 0..200 {
            let runs = p.missing_runs(MeterId::from_index(m), &mut rng);
            for w in runs.windows(2) {
                assert!(w[0].start + w[0].len < w[1].start, "runs overlap or touch");
            }
            covered += runs.iter().map(|r| r.len).sum::<usize>();
        }
        let share = covered as f64 / (200 * p.axis.len()) as f64;
        assert!((0.04..0.06).contains(&share), "missing share {share}");
    }

    #[test]
    fn day_runs_finds_runs() {
        let runs: Vec<_> = day_runs(&[true, false, true, true, false]).collect();
        assert_eq!(runs, [0..1, 2..4]);
        // A run that lasts to the last day, and none at all.
        let one = |flags: &[bool]| -> Option<Range<usize>> {
            let runs: Vec<_> = day_runs(flags).collect();
            (runs.len() == 1).then(|| runs[0].clone())
        };
        assert_eq!(one(&[false, true, true]), Some(1..3));
        assert_eq!(one(&[true; 4]), Some(0..4));
        assert!(day_runs(&[false; 3]).next().is_none());
    }
}
