//! The original GhostLoad Mapper's ML data loader, strict mode: monthly
//! consumption 0 ..= 10 000 kWh per meter-month, transformer capacity
//! 25 ..= 1 000 kVA, 1 ..= 120 months, no nulls. The default dataset and the
//! `demo` and `production` presets must pass it; the `utility` preset is
//! documented as outside it. Public API only.

use std::collections::BTreeMap;

use ghostload::{CustomerClass, Dataset, GeneratorConfig, Pipeline, Preset};
use proptest::prelude::*;

/// The loader's strict-mode bounds.
const MAX_KWH: f64 = 10_000.0;
const CAPACITY_KVA: std::ops::RangeInclusive<f64> = 25.0..=1000.0;
const MONTHS: std::ops::RangeInclusive<usize> = 1..=120;

fn generate(config: GeneratorConfig) -> Dataset {
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

/// Every constraint of the strict loader on the in-memory dataset; the
/// message names the first violation.
fn check_strict(d: &Dataset) -> Result<(), String> {
    let months = d.axis().len();
    if !MONTHS.contains(&months) || d.consumption().periods() != months {
        return Err(format!("{months} months"));
    }
    if d.consumption().meters() != d.meters().len() {
        return Err("a meter without a series".into());
    }
    for (m, row) in d.meters().iter().zip(d.consumption().rows()) {
        if let Some((t, v)) = row
            .iter()
            .enumerate()
            .find(|(_, v)| !(v.is_finite() && (0.0..=MAX_KWH).contains(*v)))
        {
            return Err(format!("{} ({}) period {t}: {v} kWh", m.id, m.customer_class));
        }
        let numbers = [m.lat, m.lon, m.kva, m.baseline_kwh, m.monthly_growth];
        if numbers.iter().any(|v| !v.is_finite()) {
            return Err(format!("{}: non-finite attribute {numbers:?}", m.id));
        }
    }
    for t in d.transformers() {
        if !CAPACITY_KVA.contains(&t.capacity_kva) {
            return Err(format!("{}: {} kVA", t.id, t.capacity_kva));
        }
        if ![t.lat, t.lon].iter().all(|v| v.is_finite()) || t.num_meters == 0 {
            return Err(format!("{}: {t:?}", t.id));
        }
    }
    for l in d.labels() {
        if !l.severity.is_finite() {
            return Err(format!("{}: severity {}", l.meter_id, l.severity));
        }
    }
    Ok(())
}

fn strict_presets() -> [(Preset, GeneratorConfig); 3] {
    [
        (Preset::Default, GeneratorConfig::default()),
        (Preset::Demo, GeneratorConfig::preset(Preset::Demo)),
        (Preset::Production, GeneratorConfig::preset(Preset::Production)),
    ]
}

#[test]
fn default_demo_and_production_pass_the_strict_loader() {
    for (preset, config) in strict_presets() {
        assert!(MONTHS.contains(&config.num_months), "{preset}");
        let d = generate(config);
        if let Err(e) = check_strict(&d) {
            panic!("preset {preset}: {e}");
        }
    }
}

#[test]
fn default_preset_is_the_default_configuration() {
    assert_eq!(GeneratorConfig::preset(Preset::Default), GeneratorConfig::default());
}

/// The ceiling holds by construction, not by luck of seed 42: any seed, any
/// length the loader accepts. Without the cap, industrial meters with strong
/// growth pass 10 000 kWh within a few dozen months.
mod any_seed {
    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn default_config_never_exceeds_the_ceiling(seed in any::<u64>(), months in MONTHS) {
            let d = generate(GeneratorConfig { seed, num_months: months, ..Default::default() });
            if let Err(e) = check_strict(&d) {
                return Err(TestCaseError::fail(format!("seed {seed}, {months} months: {e}")));
            }
        }
    }
}

#[test]
fn capped_cells_are_counted() {
    // No injection: every cell at exactly the ceiling was capped (a model
    // draw landing on 10 000.0 exactly has probability 0).
    let d = generate(GeneratorConfig {
        num_months: 60,
        anomaly_rate: 0.0,
        benign_rate: 0.0,
        ..Default::default()
    });
    let at_ceiling = d.consumption().as_slice().iter().filter(|&&v| v == MAX_KWH).count() as u64;
    let clip = d.clip_stats();
    assert!(at_ceiling > 0, "60 months of growth reach the ceiling");
    assert_eq!((clip.all_capped, clip.normal_capped), (at_ceiling, at_ceiling));
    assert_eq!(clip.injected_capped, 0);
    let s = d.summary();
    assert_eq!(s.capped_cells, at_ceiling);
    assert!((s.capped_fraction - at_ceiling as f64 / clip.normal_cells as f64).abs() < 1e-15);
}

#[test]
fn injected_values_are_capped_too() {
    // Every meter gets a 2–5× spike; with a 500 kWh register the spikes of
    // ordinary households pass it and must be capped after injection.
    let config = GeneratorConfig {
        anomaly_rate: 1.0,
        anomaly_mix: BTreeMap::from([("high_consumption".to_owned(), 1.0)]),
        max_kwh: 500.0,
        ..Default::default()
    };
    let d = generate(config);
    assert!(d.consumption().as_slice().iter().all(|&v| v <= 500.0));
    let clip = d.clip_stats();
    assert!(clip.injected_capped > 0, "{clip:?}");
    assert_eq!(d.summary().capped_cells, clip.all_capped + clip.injected_capped);
    // The severity is measured on what the register recorded.
    for l in d.labels() {
        assert!(l.severity.is_finite() && l.severity <= 0.0, "{l:?}");
    }
}

#[test]
fn utility_preset_is_utility_scale() {
    let config = GeneratorConfig::preset(Preset::Utility);
    assert!(MONTHS.contains(&config.num_months));
    let d = generate(config);
    let over: Vec<_> = d
        .meters()
        .iter()
        .zip(d.consumption().rows())
        .filter(|(_, row)| row.iter().any(|&v| v > MAX_KWH))
        .collect();
    assert!(
        !over.is_empty(),
        "the utility preset should exceed the strict loader's range"
    );
    assert!(over.iter().all(|(m, _)| m.customer_class == CustomerClass::Industrial));
    let max = d.consumption().as_slice().iter().copied().fold(0.0, f64::max);
    assert!(max > 20_000.0, "{max}");
    assert_eq!(d.clip_stats().all_capped + d.clip_stats().injected_capped, 0);
    assert!(check_strict(&d).is_err());
}

#[test]
fn max_kwh_is_validated() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let c = GeneratorConfig {
            max_kwh: bad,
            ..Default::default()
        };
        assert_eq!(c.validate().unwrap_err().field(), "max_kwh", "{bad}");
    }
}

/// The files the loader reads: no empty cell (the labels' `end` is empty by
/// design while an anomaly lasts to the end of the series, and is checked
/// separately), every consumption cell a number in `0 ..= 10 000`, every
/// capacity in `25 ..= 1 000`, `1 ..= 120` consumption columns.
#[cfg(feature = "csv")]
#[test]
fn csv_files_pass_the_strict_loader() {
    use ghostload::io::{write_anomaly_labels_csv, write_meter_consumption_csv, write_transformers_csv};

    fn rows(bytes: &[u8]) -> (csv::StringRecord, Vec<csv::StringRecord>) {
        let mut r = csv::Reader::from_reader(bytes);
        let headers = r.headers().unwrap().clone();
        (headers, r.records().map(Result::unwrap).collect())
    }
    fn number(s: &str) -> f64 {
        let v: f64 = s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"));
        assert!(v.is_finite(), "{s}");
        v
    }

    for (preset, config) in strict_presets() {
        let d = generate(config);
        let mut buf = Vec::new();
        write_transformers_csv(&d, &mut buf).unwrap();
        let (h, transformers) = rows(&buf);
        let cap = h.iter().position(|c| c == "capacity_kVA").unwrap();
        for r in &transformers {
            assert!(r.iter().all(|f| !f.trim().is_empty()), "{preset}: {r:?}");
            assert!(CAPACITY_KVA.contains(&number(&r[cap])), "{preset}: {r:?}");
        }

        buf.clear();
        write_meter_consumption_csv(&d, &mut buf).unwrap();
        let (h, meters) = rows(&buf);
        let months: Vec<usize> = (0..h.len())
            .filter(|&i| h[i].starts_with("monthly_consumption_"))
            .collect();
        assert!(MONTHS.contains(&months.len()), "{preset}: {} months", months.len());
        assert_eq!(meters.len(), d.meters().len());
        for r in &meters {
            assert!(r.iter().all(|f| !f.trim().is_empty()), "{preset}: {r:?}");
            for &i in &months {
                let v = number(&r[i]);
                assert!((0.0..=MAX_KWH).contains(&v), "{preset}: {} {}: {v}", &r[0], &h[i]);
            }
        }

        buf.clear();
        write_anomaly_labels_csv(&d, &mut buf).unwrap();
        let (h, labels) = rows(&buf);
        assert_eq!(labels.len(), d.labels().len());
        for r in &labels {
            for (name, field) in h.iter().zip(r.iter()) {
                assert!(name == "end" || !field.trim().is_empty(), "{preset}: {name} in {r:?}");
            }
        }
    }
}
