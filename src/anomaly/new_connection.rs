//! Benign: a new connection partway through the series.

use super::{AnomalyInjector, Injection, InjectionContext};
use crate::error::Result;
use crate::model::AnomalyType;
use crate::rng::StreamRng;

/// **Benign look-alike**: the customer was connected partway through the
/// series; the meter reads zero before.
///
/// ```text
/// c = max(onset, 1), onset drawn by the OnsetWindow   (the connection period)
/// x'[t] = 0   for t < c;   x'[t] = x[t] from c on
/// ```
///
/// The modified periods are those *before* the connection, so the event is
/// reported with onset 0 and end `c − 1`. On a one-period series the whole
/// series is zero. No parameters. Type `new_connection`, not theft; never
/// in the anomaly labels.
///
/// Looks like a meter that started reporting after a bypass was removed;
/// a false-positive trap for detectors that compare a meter with its own past.
///
/// **At interval resolutions** the connection is at local midnight
/// ([`InjectionContext::draw_onset`]), after at least one whole day of zeros:
/// `c = max(onset, ipd)`, so the zeros are whole days and the event ends at
/// the end of the day before the connection.
///
/// # Example
/// ```
/// use ghostload::anomaly::{preview, NewConnection};
/// let mut series = vec![100.0; 12];
/// let inj = preview(&NewConnection::new(), &mut series, 3, 7)?;
/// let c = inj.end.unwrap() + 1;
/// assert_eq!(inj.onset, 0);
/// assert!(series[..c].iter().all(|&v| v == 0.0) && series[c..].iter().all(|&v| v == 100.0));
/// # Ok::<(), ghostload::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NewConnection;

impl NewConnection {
    /// The event (it has no parameters).
    #[must_use]
    pub const fn new() -> Self {
        NewConnection
    }
}

impl AnomalyInjector for NewConnection {
    fn inject(&self, series: &mut [f64], ctx: &InjectionContext<'_>, rng: &mut StreamRng) -> Result<Injection> {
        let first_day = match ctx.intervals_per_day() {
            Some(per_day) => per_day.max(1),
            None => 1,
        };
        let connected = ctx.draw_onset(series.len(), rng).max(first_day).min(series.len());
        if let Some(before) = series.get_mut(..connected) {
            before.fill(0.0);
        }
        Ok(Injection {
            anomaly_type: AnomalyType::NEW_CONNECTION,
            onset: 0,
            end: Some(connected.saturating_sub(1)),
            is_theft: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::days::testkit::{INTERVALS, axis, readings, run};

    #[test]
    fn connection_is_at_midnight_after_whole_days_of_zeros() {
        for resolution in INTERVALS {
            let a = axis(resolution, 3);
            for normal in [0, 1] {
                let x = readings(&a);
                let mut y = x.clone();
                let inj = run(&NewConnection::new(), &a, &mut y, normal, 6);
                let c = inj.end.unwrap() + 1;
                assert_eq!(inj.onset, 0);
                assert!(c >= a.intervals_per_day().unwrap());
                assert!(y[..c].iter().all(|&v| v == 0.0) && y[c..] == x[c..], "{resolution}");
            }
        }
    }
}
