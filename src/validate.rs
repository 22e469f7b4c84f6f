//! The design's integrity checks (§2.3), run on every generated dataset.

use std::fmt;

use crate::dataset::Dataset;

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Check {
    /// Stable snake_case name, e.g. `record_counts`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// What was measured, in words.
    pub detail: String,
}

/// The results of [`Dataset::validate`]: the design's six checks, plus one
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

fn check(name: &str, passed: bool, detail: String) -> Check {
    Check {
        name: name.to_owned(),
        passed,
        detail,
    }
}

pub(crate) fn validate(d: &Dataset) -> ValidationReport {
    ValidationReport {
        checks: vec![
            record_counts(d),
            anomaly_count(d),
            foreign_keys(d),
            no_missing_values(d),
            all_periods_present(d),
            coordinates_in_bounds(d),
            non_negative(d),
            events(d),
        ],
    }
}

fn record_counts(d: &Dataset) -> Check {
    let c = &d.config;
    let served: usize = d.transformers.iter().map(|t| t.num_meters).sum();
    let ok = d.transformers.len() == c.num_transformers
        && d.meters.len() == c.num_meters
        && d.consumption.meters() == d.meters.len()
        && served == d.meters.len();
    check(
        "record_counts",
        ok,
        format!(
            "{} transformers (configured {}), {} meters (configured {}), {} series, {} meters served by transformers",
            d.transformers.len(),
            c.num_transformers,
            d.meters.len(),
            c.num_meters,
            d.consumption.meters(),
            served
        ),
    )
}

fn anomaly_count(d: &Dataset) -> Check {
    let expected = d.config.anomalous_meter_count();
    let got = d.labels.len();
    let rate = if d.meters.is_empty() {
        0.0
    } else {
        got as f64 / d.meters.len() as f64
    };
    check(
        "anomaly_count",
        got == expected,
        format!(
            "{got} anomalous meters (expected exactly {expected}); rate {rate:.4} vs configured {:.4}",
            d.config.anomaly_rate
        ),
    )
}

fn foreign_keys(d: &Dataset) -> Check {
    let bad_meters = d
        .meters
        .iter()
        .filter(|m| d.transformer(m.transformer_id).is_none_or(|t| t.barangay != m.barangay))
        .count();
    let bad_transformers = d
        .transformers
        .iter()
        .filter(|t| t.barangay.index() >= d.barangays.len())
        .count();
    let bad_labels = d.labels.iter().filter(|l| d.meter(l.meter_id).is_none()).count();
    let sorted_unique = d.labels.windows(2).all(|w| w[0].meter_id < w[1].meter_id);
    let mut served = vec![0usize; d.transformers.len()];
    for m in &d.meters {
        if let Some(s) = served.get_mut(m.transformer_id.index()) {
            *s += 1;
        }
    }
    let bad_counts = d
        .transformers
        .iter()
        .zip(&served)
        .filter(|(t, s)| t.num_meters != **s)
        .count();
    check(
        "foreign_keys",
        bad_meters + bad_transformers + bad_labels + bad_counts == 0 && sorted_unique,
        format!(
            "{bad_meters} meters with a missing or mismatched transformer, {bad_transformers} transformers with an unknown barangay, {bad_labels} labels of unknown meters, {bad_counts} transformers whose num_meters is wrong, labels unique: {sorted_unique}"
        ),
    )
}

fn no_missing_values(d: &Dataset) -> Check {
    let tx = d
        .transformers
        .iter()
        .filter(|t| ![t.lat, t.lon, t.capacity_kva].iter().all(|v| v.is_finite()))
        .count();
    let meters = d
        .meters
        .iter()
        .filter(|m| {
            ![m.lat, m.lon, m.kva, m.baseline_kwh, m.monthly_growth]
                .iter()
                .all(|v| v.is_finite())
        })
        .count();
    let cells = d.consumption.as_slice().iter().filter(|v| !v.is_finite()).count();
    let labels = d.labels.iter().filter(|l| !l.severity.is_finite()).count();
    let names = d.barangays.iter().filter(|b| b.name.trim().is_empty()).count();
    check(
        "no_missing_values",
        tx + meters + cells + labels + names == 0,
        format!(
            "non-finite values: {tx} transformers, {meters} meters, {cells} consumption cells, {labels} labels; {names} empty barangay names"
        ),
    )
}

fn all_periods_present(d: &Dataset) -> Check {
    let p = d.consumption.periods();
    let ok = p == d.config.num_months && p == d.axis.len() && d.consumption.as_slice().len() == p * d.meters.len();
    check(
        "all_periods_present",
        ok,
        format!(
            "{p} periods per series from {} (configured {})",
            d.axis.start(),
            d.config.num_months
        ),
    )
}

fn coordinates_in_bounds(d: &Dataset) -> Check {
    let b = &d.config.bounds;
    let tx = d.transformers.iter().filter(|t| !b.contains(t.point())).count();
    let meters = d.meters.iter().filter(|m| !b.contains(m.point())).count();
    check(
        "coordinates_in_bounds",
        tx + meters == 0,
        format!(
            "{tx} transformers and {meters} meters outside lat {}..{}, lon {}..{}",
            b.lat_min, b.lat_max, b.lon_min, b.lon_max
        ),
    )
}

fn non_negative(d: &Dataset) -> Check {
    let neg = d.consumption.as_slice().iter().filter(|&&v| v < 0.0).count();
    check(
        "non_negative_consumption",
        neg == 0,
        format!("{neg} negative consumption values"),
    )
}

fn events(d: &Dataset) -> Check {
    let periods = d.axis.len();
    let sorted_unique = d.events.windows(2).all(|w| w[0].meter_id < w[1].meter_id);
    let out_of_series = d
        .events
        .iter()
        .filter(|e| e.onset >= periods || e.end.is_some_and(|x| x < e.onset || x >= periods))
        .count();
    let benign = d.events.iter().filter(|e| !e.is_anomaly).count();
    let expected_benign = d.config.benign_meter_count();
    let labelled_benign = d
        .events
        .iter()
        .filter(|e| !e.is_anomaly && d.label(e.meter_id).is_some())
        .count();
    let unmatched_labels = d
        .labels
        .iter()
        .filter(|l| {
            d.event(l.meter_id).is_none_or(|e| {
                !e.is_anomaly
                    || e.event_type != l.anomaly_type
                    || e.onset != l.onset
                    || e.end != l.end
                    || e.severity.to_bits() != l.severity.to_bits()
                    || e.is_theft != l.is_theft
            })
        })
        .count();
    let anomalous_events = d.events.len() - benign;
    check(
        "events",
        sorted_unique
            && out_of_series == 0
            && benign == expected_benign
            && labelled_benign == 0
            && unmatched_labels == 0
            && anomalous_events == d.labels.len(),
        format!(
            "{} events ({anomalous_events} anomalous, {benign} benign; expected exactly {expected_benign} benign), sorted and unique: {sorted_unique}, {out_of_series} outside the series, {labelled_benign} benign events labelled, {unmatched_labels} labels without a matching event",
            d.events.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::{GeneratorConfig, Pipeline};

    #[test]
    fn events_check_catches_a_lost_or_mislabelled_event() {
        let config = GeneratorConfig {
            num_meters: 300,
            num_transformers: 5,
            benign_rate: 0.1,
            ..Default::default()
        };
        let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
        assert!(d.validate().passed());
        let mut lost = d.clone();
        lost.events.remove(0);
        assert!(!lost.validate().check("events").unwrap().passed);
        let mut relabelled = d.clone();
        let label = relabelled.labels[0].clone();
        relabelled.labels[0].severity = label.severity + 0.1;
        assert!(!relabelled.validate().check("events").unwrap().passed);
        let mut benign_labelled = d;
        let i = benign_labelled.events.iter().position(|e| !e.is_anomaly).unwrap();
        benign_labelled.events[i].is_anomaly = true;
        assert!(!benign_labelled.validate().check("events").unwrap().passed);
    }
}
