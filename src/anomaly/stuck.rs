//! A stuck meter: the same reading every period.

use super::params::mean;
use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// A stuck meter: from the onset on, every period reports the last normal
/// reading.
///
/// ```text
/// x'[t] = x[max(onset − 1, 0)]   for t ≥ onset;   x'[t] = x[t] before
/// ```
///
/// No parameters. Onset: [`OnsetWindow`](super::OnsetWindow). Total energy
/// changes in either direction (less in a season of rising demand, more in
/// a falling one). Type `stuck_meter`, **not theft**: a frozen register or
/// a reading copied forward (estimated billing), a case commonly reported
/// by utilities; it can hide tampering, which is why a detector should flag it.
///
/// **At interval resolutions** it stays a flat line, not zero: every
/// interval from the onset day's midnight on reports the *mean reading of
/// the last normal day* (the day before the onset; the onset day itself
/// when the onset is the first day). That is the monthly behaviour (the last
/// normal value, repeated; at daily resolution exactly `x[onset − 1]`) at a
/// level the meter actually had: the last single reading (23:45 or 23:00)
/// would freeze the night's low. A register that stopped counting would give
/// zeros, indistinguishable from h2 or a bypass, which are labelled theft;
/// a stuck meter is a fault, and its signature is the flat line.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, StuckMeter};
/// let mut series: Vec<f64> = (0..12).map(|t| 50.0 + t as f64).collect();
/// let inj = preview(&StuckMeter::new(), &mut series, 3, 7)?;
/// let last_normal = 50.0 + (inj.onset - 1) as f64;
/// assert!(series[inj.onset..].iter().all(|&v| v == last_normal));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StuckMeter;

impl StuckMeter {
    /// The fault (it has no parameters).
    #[must_use]
    pub const fn new() -> Self {
        StuckMeter
    }
}

impl AnomalyInjector for StuckMeter {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let onset = ctx.draw_onset(series.len(), rng);
        let last_normal = match ctx.intervals_per_day() {
            Some(per_day) => {
                let day = ctx.align_to_day(onset.saturating_sub(1));
                let end = day.saturating_add(per_day).min(series.len());
                series.get(day..end).map(mean)
            }
            None => series.get(onset.saturating_sub(1)).copied(),
        };
        if let Some(stuck) = last_normal {
            for v in series.iter_mut().skip(onset) {
                *v = stuck;
            }
        }
        Ok(Injection::from_onset(AnomalyType::STUCK_METER, onset, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn a_stuck_meter_repeats_the_last_normal_days_mean_reading() {
        for resolution in INTERVALS {
            let a = axis(resolution, 3);
            let per_day = a.intervals_per_day().unwrap();
            let x = readings(&a);
            let mut y = x.clone();
            let inj = run(&StuckMeter::new(), &a, &mut y, 1, 2);
            let last_day = mean(&x[inj.onset - per_day..inj.onset]);
            assert!(y[inj.onset..].iter().all(|&v| v == last_day), "{resolution}");
            assert!(last_day > 0.0);
            assert_eq!(&x[..inj.onset], &y[..inj.onset]);
        }
    }
}
