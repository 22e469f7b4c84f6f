//! Pins a few values of the default dataset, so that an accidental change of a
//! random stream, an algorithm or a default fails loudly. When the model changes
//! on purpose, update these numbers in the same commit and say so in CHANGELOG.md.
//!
//! Every number here is a PINNED VALUE: it was copied from the generator's
//! output, not derived from a requirement, so it proves nothing about
//! correctness (the behaviour tests do that: `injectors.rs`, `mix.rs`,
//! `properties.rs`, `validate_damaged.rs`). A failure here means "the output
//! changed", to be confirmed as intended, not "the output is wrong".

use ghostload::{CustomerClass, MeterId, Pipeline, RiskBand};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn default_dataset_is_pinned() {
    let d = Pipeline::builder().build().unwrap().generate().unwrap();

    let t = &d.transformers()[0];
    assert_eq!(t.feeder_id.to_string(), "FDR_01");
    assert_eq!(d.barangay(t.barangay).unwrap().name, "San Isidro");
    assert!(
        close(t.lat, 14.53591414424593) && close(t.lon, 120.97220024902116),
        "{t:?}"
    );
    assert_eq!((t.capacity_kva, t.num_meters), (75.0, 32));

    let m = &d.meters()[1999];
    assert_eq!(m.transformer_id.to_string(), "TX_0050");
    assert_eq!(m.customer_class, CustomerClass::Commercial);
    assert!(
        close(m.baseline_kwh, 1609.3957105232005) && close(m.monthly_growth, 0.04957188622349708),
        "{m:?}"
    );
    assert!(close(m.kva, 5.567302167300403), "{m:?}");

    let s = d.series(MeterId::from_index(0)).unwrap();
    assert!(
        close(s[0], 745.8758785595074) && close(s[11], 1621.9760287751901),
        "{s:?}"
    );

    // Changed on purpose when benign events moved to the anomaly permutation's
    // next ranks and the permutation to 4 rounds (see CHANGELOG.md); the first
    // label was MTR_000002 (low_consumption, severity 0.808).
    let l = &d.labels()[0];
    assert_eq!(
        (l.meter_id.to_string(), l.anomaly_type.as_str()),
        ("MTR_000010".into(), "seasonal_shift")
    );
    assert!(close(l.severity, 0.0), "{l:?}");
    let l = &d.labels()[1];
    assert_eq!(
        (l.meter_id.to_string(), l.anomaly_type.as_str()),
        ("MTR_000016".into(), "meter_bypass")
    );
    assert!(close(l.severity, 0.20372213320615962), "{l:?}");
    assert_eq!(l.risk_band, RiskBand::Low);

    // Was 37145898.74163944 with `low_consumption` only, 38483466.22046778
    // with the two-permutation selection, 38574076.920209736 with the
    // utility-scale industrial class (median 8 000 kWh, no 10 000 kWh
    // ceiling; now `Preset::Utility`).
    let total: f64 = d.consumption().as_slice().iter().sum();
    assert!(close(total, 20250666.641785722), "{total}");

    // 13 industrial cells capped at the 10 000 kWh register ceiling, none
    // after injection.
    let clip = d.clip_stats();
    assert_eq!(
        (clip.all_capped, clip.normal_capped, clip.injected_capped),
        (13, 13, 0),
        "{clip:?}"
    );
}

#[test]
fn utility_preset_is_the_previous_default_dataset() {
    // `Preset::Utility` keeps the industrial class the default dataset had
    // before the 10 000 kWh ceiling, and its ceiling never binds: its values
    // are those of the earlier default dataset (total pinned there).
    let config = ghostload::GeneratorConfig::preset(ghostload::Preset::Utility);
    let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    let total: f64 = d.consumption().as_slice().iter().sum();
    assert!(close(total, 38574076.920209736), "{total}");
    let max = d.consumption().as_slice().iter().copied().fold(0.0, f64::max);
    assert!(close(max, 52705.15508021734), "{max}");
}
