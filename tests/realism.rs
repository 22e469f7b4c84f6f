//! Statistical properties of the default model, through the public API.

use ghostload::{CustomerClass, GeneratorConfig, Pipeline, STANDARD_RATINGS_KVA};

fn generate(config: GeneratorConfig) -> ghostload::Dataset {
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

#[test]
fn demand_peaks_in_the_configured_month() {
    for peak in [5u8, 8] {
        let mut config = GeneratorConfig {
            num_meters: 5000,
            num_months: 12,
            anomaly_rate: 0.0,
            ..Default::default()
        };
        config.consumption.trend_min = 0.0;
        config.consumption.trend_max = 0.0;
        config.consumption.seasonal_peak_month = peak;
        let d = generate(config);
        let mut totals = [0.0; 12];
        for row in d.consumption().rows() {
            for (t, v) in row.iter().enumerate() {
                totals[t] += v;
            }
        }
        let best = (0..12).max_by(|a, b| totals[*a].total_cmp(&totals[*b])).unwrap();
        assert_eq!(d.axis().month(best).month(), peak, "{totals:?}");
    }
}

#[test]
fn capacities_are_standard_ratings_in_range() {
    let d = generate(GeneratorConfig {
        num_transformers: 500,
        num_meters: 5000,
        ..Default::default()
    });
    for t in d.transformers() {
        assert!(STANDARD_RATINGS_KVA.contains(&t.capacity_kva), "{}", t.capacity_kva);
        assert!((25.0..=500.0).contains(&t.capacity_kva));
    }
}

#[test]
fn class_medians_follow_the_configuration() {
    let d = generate(GeneratorConfig {
        num_meters: 20_000,
        num_transformers: 200,
        ..Default::default()
    });
    for (class, median) in [(CustomerClass::Residential, 200.0), (CustomerClass::Commercial, 1500.0)] {
        let mut b: Vec<f64> = d
            .meters()
            .iter()
            .filter(|m| m.customer_class == class)
            .map(|m| m.baseline_kwh)
            .collect();
        b.sort_by(f64::total_cmp);
        let got = b[b.len() / 2];
        assert!((got / median - 1.0).abs() < 0.05, "{class}: median {got}");
    }
}

#[test]
fn stronger_clustering_puts_transformers_closer_to_their_barangay_centre() {
    let spread = |strength: f64| {
        let d = generate(GeneratorConfig {
            spatial_clustering_strength: strength,
            num_transformers: 400,
            num_meters: 4000,
            ..Default::default()
        });
        let total: f64 = d
            .transformers()
            .iter()
            .map(|t| {
                let c = d.barangay(t.barangay).unwrap().centre;
                ((t.lat - c.lat).powi(2) + (t.lon - c.lon).powi(2)).sqrt()
            })
            .sum();
        total / 400.0
    };
    assert!(spread(1.0) < 0.5 * spread(0.0));
}

#[test]
fn meters_sit_about_a_hundred_metres_from_their_transformer() {
    let d = generate(GeneratorConfig::default());
    let mean_m: f64 = d
        .meters()
        .iter()
        .map(|m| {
            let t = d.transformer_of(m.id).unwrap();
            (m.lat - t.lat).abs() * 111_320.0
        })
        .sum::<f64>()
        / 2000.0;
    // E|N(0, 100 m)| = 80 m.
    assert!((60.0..100.0).contains(&mean_m), "{mean_m}");
}

#[test]
fn feeders_group_nearby_transformers() {
    let d = generate(GeneratorConfig {
        num_transformers: 200,
        num_meters: 4000,
        ..Default::default()
    });
    // Mean distance between transformers of the same feeder is well below the mean over all pairs.
    let ts = d.transformers();
    let (mut same, mut same_n, mut all, mut all_n) = (0.0, 0, 0.0, 0);
    for (i, a) in ts.iter().enumerate() {
        for b in &ts[i + 1..] {
            let dist = ((a.lat - b.lat).powi(2) + (a.lon - b.lon).powi(2)).sqrt();
            all += dist;
            all_n += 1;
            if a.feeder_id == b.feeder_id {
                same += dist;
                same_n += 1;
            }
        }
    }
    assert!(same / f64::from(same_n) < 0.5 * all / f64::from(all_n));
    assert_eq!(ts.iter().map(|t| t.feeder_id).max().unwrap().index(), 19);
}
