//! [`ValidationReport`] and [`Check`]: what the integrity checks found, as
//! data. The checks themselves run in `validate` (in memory and streamed) and
//! `io::read` (a directory); the error types carry a report, so it lives here,
//! at the bottom of the crate.

use std::fmt;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Check {
    /// Stable snake_case name, e.g. `record_counts`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was measured, in words.
    pub detail: String,
}

/// The results of [`Dataset::validate`](crate::Dataset::validate): the design's six checks, plus one
/// for non-negative consumption and one for the events (and three for interval readings).
///
/// 1. `record_counts`: transformers and meters as configured; every meter
///    has a series; transformers' `num_meters` add up.
/// 2. `anomaly_count`: exactly `round(anomaly_rate × num_meters)` labels
///    (stricter than the design's ±2 % tolerance on the rate, which a
///    Bernoulli draw needed and an exact count does not).
/// 3. `foreign_keys`: every meter's transformer exists and shares its
///    barangay; every label's meter exists; labels are unique.
/// 4. `no_missing_values`: every number is finite.
/// 5. `all_periods_present`: every series has `num_months` periods.
/// 6. `coordinates_in_bounds`: every transformer and meter lies in the bounds.
/// 7. `non_negative_consumption`: no value below zero.
/// 8. `events`: events sorted by meter, one per meter, onset and end inside
///    the series; exactly `round(benign_rate × normal meters)` benign events,
///    none labelled; every label has an anomalous event with the same type,
///    onset, end, severity and theft flag, and there are no other anomalous events.
///    At interval resolutions these counts are of the injected events (the
///    anomalies and the benign mix's look-alikes); each meter may also have
///    benign `typhoon_outage` and `missing_data` events, counted apart, after
///    its injected event and in order of onset (a typhoon outage before a
///    missing run at the same onset); every event's and label's onset and
///    end lie on the series axis (the intervals).
///
/// At interval resolutions (daily, hourly, 15 min) three more follow:
///
/// 9. `readings_present`: every meter has one reading per interval, each
///    finite, `>= 0` and a whole multiple of
///    [`register_resolution_kwh`](crate::GeneratorConfig::register_resolution_kwh)
///    (within 1e-9 kWh).
/// 10. `monthly_totals_equal_readings`: each month's value of each meter is
///     the sum of its readings in that month, to 0.005 kWh.
/// 11. `missing_runs_match_events`: the runs of missing readings are sorted,
///     disjoint and inside the series, each with exactly one `missing_data`
///     event of the same start and end, and no `missing_data` event without a run.
///
/// With the energy balance on, `energy_balance` comes last: every
/// transformer's and feeder's balance holds its identity, and sums its
/// meters' bills, anomalous meters' losses and labels exactly (see
/// [`Dataset::energy_balance`](crate::Dataset::energy_balance)). A stream
/// validator ([`Pipeline::validator`](crate::Pipeline::validator)) sees no
/// balance and does not run it; the writers run it, monthly, on the
/// balances they write.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ValidationReport {
    /// Every check, in the order above.
    pub checks: Vec<Check>,
}

impl ValidationReport {
    /// Whether every check passed.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// `name: detail` of each failed check.
    pub fn failures(&self) -> impl Iterator<Item = String> + '_ {
        self.checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: {}", c.name, c.detail))
    }

    /// The check called `name`, if present.
    #[must_use]
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }
}

impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checks {
            writeln!(f, "{} {}: {}", if c.passed { "PASS" } else { "FAIL" }, c.name, c.detail)?;
        }
        Ok(())
    }
}

pub(crate) fn check(name: &str, passed: bool, detail: String) -> Check {
    Check {
        name: name.to_owned(),
        passed,
        detail,
    }
}
