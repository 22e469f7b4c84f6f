//! Calendar helpers for the injectors at interval resolutions: the unit
//! of Jokar et al.'s intra-day attacks and calendar time in months.

use super::InjectionContext;
use crate::time::TimeAxis;

/// Mean length of a Gregorian month in days (365.2425 / 12).
pub(crate) const MEAN_MONTH_DAYS: f64 = 30.436875;

/// Days in the unit of the intra-day attacks (h4, h5, h6) at daily resolution.
pub(crate) const DAYS_PER_WEEK: usize = 7;

/// The block of readings Jokar et al.'s per-day attacks (h4 mean, h5 flat
/// mean, h6 reversal) work on: `None` at monthly resolution (the series from
/// the onset, as before), the day at hourly and 15-minute resolutions, and a
/// week (7 days from the onset day) at daily resolution, where a day has a
/// single reading.
pub(crate) fn pattern_unit(ctx: &InjectionContext<'_>) -> Option<usize> {
    match ctx.intervals_per_day()? {
        1 => Some(DAYS_PER_WEEK),
        per_day => Some(per_day),
    }
}

/// Calls `f(t, months)` for each period `t` in `from..len`, where `months`
/// is the calendar time from the start of the axis to the *end* of period
/// `t`, in months: `m + k / n` for the `k`-th period (1-based) of the axis'
/// month `m` of `n` periods. At monthly resolution this is `t + 1`. Periods
/// past the axis (a series longer than its axis) count months of the
/// Gregorian mean length. Cost: O(months) calendar computations plus O(1)
/// per period.
pub(crate) fn for_each_month_position(axis: &TimeAxis, from: usize, len: usize, mut f: impl FnMut(usize, f64)) {
    let mut t = from;
    let mut month = if from < axis.len() {
        axis.month_index(from)
    } else {
        axis.months()
    };
    while t < len && month < axis.months() {
        let range = axis.month_range(month);
        let n = range.len() as f64;
        while t < len && t < range.end {
            f(t, month as f64 + (t + 1 - range.start) as f64 / n);
            t += 1;
        }
        month += 1;
    }
    if t < len {
        let per_month = match axis.intervals_per_day() {
            Some(per_day) => MEAN_MONTH_DAYS * per_day as f64,
            None => 1.0,
        };
        let axis_len = axis.len();
        while t < len {
            f(
                t,
                axis.months() as f64 + (t + 1 - axis_len.min(t + 1)) as f64 / per_month,
            );
            t += 1;
        }
    }
}

/// Calendar time from the start of the axis to the start of period `t`, in
/// months (see [`for_each_month_position`]); 0 for `t = 0`.
pub(crate) fn month_position(axis: &TimeAxis, t: usize) -> f64 {
    if t == 0 {
        return 0.0;
    }
    let mut position = 0.0;
    for_each_month_position(axis, t - 1, t, |_, m| position = m);
    position
}

/// Running an injector at any resolution, for the injectors' unit tests.
#[cfg(test)]
pub(crate) mod testkit {
    use super::super::{AnomalyInjector, Injection, InjectionContext, OnsetWindow, inject_checked};
    use crate::consumption::MeterProfile;
    use crate::model::{CustomerClass, Meter};
    use crate::rng::{Purpose, Streams};
    use crate::time::{Resolution, TimeAxis, YearMonth};

    /// `months` months from 2024-01 (a leap February) at `resolution`.
    pub(crate) fn axis(resolution: Resolution, months: usize) -> TimeAxis {
        TimeAxis::new(YearMonth::new(2024, 1).unwrap(), months, resolution).unwrap()
    }

    /// Distinct positive readings with a daily shape (higher in the evening).
    pub(crate) fn readings(axis: &TimeAxis) -> Vec<f64> {
        let per_day = axis.intervals_per_day().unwrap_or(1);
        (0..axis.len())
            .map(|t| {
                let k = (t % per_day) as f64 / per_day as f64;
                1.0 + 2.0 * k + (t / per_day % 7) as f64 * 0.1 + t as f64 * 1e-6
            })
            .collect()
    }

    /// Runs `injector` on `series` (the readings of `axis`) as the pipeline
    /// does: `min_normal_months` months kept normal, checked output.
    pub(crate) fn run(
        injector: &dyn AnomalyInjector,
        axis: &TimeAxis,
        series: &mut [f64],
        min_normal_months: usize,
        seed: u64,
    ) -> Injection {
        let meter = Meter::blank();
        let profile = MeterProfile {
            class: CustomerClass::Residential,
            baseline_kwh: 100.0,
            monthly_growth: 0.0,
        };
        let normal = axis.month_range(min_normal_months.min(axis.months())).start;
        let ctx = InjectionContext::new(&meter, &profile, axis).with_onset(OnsetWindow::new(normal));
        let mut rng = Streams::new(seed).stream(Purpose::AnomalyInjection, 0);
        let injection = inject_checked(injector, series, &ctx, &mut rng).unwrap();
        if let Some(per_day) = axis.intervals_per_day() {
            assert_eq!(
                injection.onset % per_day,
                0,
                "onset {} not at midnight",
                injection.onset
            );
            if let Some(end) = injection.end {
                assert_eq!((end + 1) % per_day, 0, "end {end} not at the end of a day");
            }
        }
        injection
    }

    /// Every resolution with a day.
    pub(crate) const INTERVALS: [Resolution; 3] = [Resolution::Daily, Resolution::Hourly, Resolution::FifteenMinutes];

    /// Runs `injector` at every interval resolution on two months of
    /// [`readings`] (one normal) and calls `check(before, after, resolution)`
    /// for each attacked unit from the onset on: a day, or a week at daily
    /// resolution. The readings before the onset must be untouched.
    pub(crate) fn each_unit(
        injector: &dyn AnomalyInjector,
        seed: u64,
        mut check: impl FnMut(&[f64], &[f64], Resolution),
    ) {
        for resolution in INTERVALS {
            let a = axis(resolution, 2);
            let per_day = a.intervals_per_day().unwrap();
            let unit = if per_day == 1 { 7 } else { per_day };
            let x = readings(&a);
            let mut y = x.clone();
            let inj = run(injector, &a, &mut y, 1, seed);
            assert_eq!(&x[..inj.onset], &y[..inj.onset]);
            for (before, after) in x[inj.onset..].chunks(unit).zip(y[inj.onset..].chunks(unit)) {
                check(before, after, resolution);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Resolution, YearMonth};

    #[test]
    fn month_positions_count_calendar_months() {
        let start = YearMonth::new(2024, 1).unwrap();
        let monthly = TimeAxis::new(start, 3, Resolution::Monthly).unwrap();
        let mut seen = Vec::new();
        for_each_month_position(&monthly, 1, 5, |t, m| seen.push((t, m)));
        // Two periods past the axis count one month each.
        assert_eq!(seen, [(1, 2.0), (2, 3.0), (3, 4.0), (4, 5.0)]);
        assert_eq!(month_position(&monthly, 2), 2.0);

        let hourly = TimeAxis::new(start, 2, Resolution::Hourly).unwrap();
        let jan = 31 * 24;
        assert_eq!(month_position(&hourly, 0), 0.0);
        assert_eq!(month_position(&hourly, jan), 1.0);
        assert!((month_position(&hourly, jan + 29 * 12) - 1.5).abs() < 1e-12);
        assert!((month_position(&hourly, hourly.len()) - 2.0).abs() < 1e-12);
        let mut last = 0.0;
        for_each_month_position(&hourly, 0, hourly.len() + 10, |_, m| {
            assert!(m > last);
            last = m;
        });
    }
}
