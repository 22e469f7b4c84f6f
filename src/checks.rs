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
/// for non-negative consumption and one for the events.
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
