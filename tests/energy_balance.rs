//! The energy balance through the public API: the identity for every
//! transformer and period at every resolution, billed and drawn energy that
//! add up over the meters, losses as documented, a technical-loss share in
//! the documented band, and a balance that does not depend on batching or sharding.

use ghostload::{BalanceConfig, Dataset, GeneratorConfig, MeterId, Pipeline, Resolution, transformer_losses_w};
use proptest::prelude::*;

/// The technical-loss band of `docs/model.md` §6: above the 2.75 % cap
/// proposed for private distribution utilities' technical losses, below the
/// 8.25 % system-loss cap of electric cooperatives (which includes theft).
const TECHNICAL_BAND: std::ops::RangeInclusive<f64> = 0.025..=0.0825;

fn small(resolution: Resolution, seed: u64) -> GeneratorConfig {
    GeneratorConfig {
        seed,
        num_meters: 400,
        num_transformers: 12,
        num_months: if resolution == Resolution::Monthly { 12 } else { 2 },
        resolution,
        benign_rate: 0.05,
        ..Default::default()
    }
}

fn generate(config: GeneratorConfig) -> Dataset {
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

/// Whole watt-hours of a value as the dataset bills it: monthly values as
/// the file writes them (2 decimals), readings as registered.
fn wh(v: f64, monthly: bool) -> i64 {
    if monthly {
        (format!("{v:.2}").parse::<f64>().unwrap() * 1000.0).round() as i64
    } else {
        (v * 1000.0).round() as i64
    }
}

/// What a meter's register billed, at the series' resolution.
fn billed(d: &Dataset, id: MeterId) -> &[f64] {
    if d.intervals() > 0 {
        d.readings(id).unwrap()
    } else {
        d.series(id).unwrap()
    }
}

/// `F` of `docs/model.md` §6.4: 1 for sub-daily periods of `h` hours, the
/// Buller–Woodrow loss-load factor over the squared load factor `lf` otherwise.
fn loss_factor(h: f64, lf: f64) -> f64 {
    if h < 24.0 {
        1.0
    } else {
        (0.3 * lf + 0.7 * lf * lf) / (lf * lf)
    }
}

const RESOLUTIONS: [Resolution; 4] = [
    Resolution::Monthly,
    Resolution::Daily,
    Resolution::Hourly,
    Resolution::FifteenMinutes,
];

#[test]
fn reading_minus_error_losses_and_street_lights_is_what_the_meters_drew() {
    for res in RESOLUTIONS {
        let d = generate(small(res, 3));
        let b = d.energy_balance().unwrap();
        assert_eq!(b.transformers.len(), 12);
        assert!(!b.feeders.is_empty());
        let monthly = res == Resolution::Monthly;
        for t in &b.transformers {
            assert_eq!(t.rows.len(), d.series_axis().len(), "{res:?}");
            let meters: Vec<MeterId> = d
                .meters()
                .iter()
                .filter(|m| m.transformer_id == t.transformer_id)
                .map(|m| m.id)
                .collect();
            for (p, r) in t.rows.iter().enumerate() {
                let rebuilt = r.reading_kwh - r.meter_error_kwh - r.technical_loss_kwh() - r.unmetered_kwh;
                assert!(
                    (rebuilt - r.true_kwh).abs() < 1e-6,
                    "{res:?} {} period {p}: {rebuilt} vs {}",
                    t.transformer_id,
                    r.true_kwh
                );
                // The register reads whole watt-hours.
                assert!((r.reading_kwh * 1000.0 - (r.reading_kwh * 1000.0).round()).abs() < 1e-6);
                let billed_wh: i64 = meters.iter().map(|&m| wh(billed(&d, m)[p], monthly)).sum();
                let true_wh: i64 = meters.iter().map(|&m| wh(d.true_series(m).unwrap()[p], monthly)).sum();
                assert_eq!(
                    (r.billed_kwh * 1000.0).round() as i64,
                    billed_wh,
                    "{res:?} {} period {p}",
                    t.transformer_id
                );
                assert_eq!(
                    (r.true_kwh * 1000.0).round() as i64,
                    true_wh,
                    "{res:?} {} period {p}",
                    t.transformer_id
                );
                assert!(r.transformer_loss_kwh > 0.0 && r.line_loss_kwh >= 0.0 && r.unmetered_kwh >= 0.0);
            }
            let thefts = meters
                .iter()
                .filter(|&&m| d.label(m).is_some_and(|l| l.is_theft))
                .count();
            assert_eq!(t.theft_meters, thefts);
        }
        for f in &b.feeders {
            let inputs: f64 = b
                .transformers
                .iter()
                .filter(|t| t.feeder_id == f.feeder_id)
                .map(|t| t.total().input_kwh())
                .sum();
            let feeder_inputs: f64 = f.rows.iter().map(|r| r.transformers_input_kwh).sum();
            assert!(
                (inputs - feeder_inputs).abs() < 1e-6 * inputs.max(1.0),
                "{res:?} {}",
                f.feeder_id
            );
            for r in &f.rows {
                let rebuilt = r.reading_kwh - r.meter_error_kwh - r.line_loss_kwh;
                assert!((rebuilt - r.transformers_input_kwh).abs() < 1e-6);
                assert!(r.line_loss_kwh > 0.0);
            }
        }
    }
}

#[test]
fn without_theft_the_residual_is_losses_street_lights_and_meter_error() {
    for res in [Resolution::Monthly, Resolution::Hourly] {
        let config = GeneratorConfig {
            anomaly_rate: 0.0,
            ..small(res, 11)
        };
        let d = generate(config);
        for t in &d.energy_balance().unwrap().transformers {
            assert_eq!((t.theft_meters, t.anomalous_meters), (0, 0));
            for r in &t.rows {
                assert_eq!(r.true_kwh, r.billed_kwh);
                let expected = r.technical_loss_kwh() + r.unmetered_kwh + r.meter_error_kwh;
                assert!((r.residual_kwh() - expected).abs() < 1e-6, "{res:?}");
            }
        }
    }
}

#[test]
fn theft_adds_exactly_the_stolen_energy_on_top() {
    let d = generate(GeneratorConfig {
        anomaly_rate: 0.2,
        ..small(Resolution::Monthly, 5)
    });
    let b = d.energy_balance().unwrap();
    let mut stolen_total = 0.0;
    for t in &b.transformers {
        let stolen: f64 = d
            .labels()
            .iter()
            .filter(|l| l.is_theft && d.meter(l.meter_id).unwrap().transformer_id == t.transformer_id)
            .map(|l| {
                let drawn: i64 = d.true_series(l.meter_id).unwrap().iter().map(|&v| wh(v, true)).sum();
                let paid: i64 = d.series(l.meter_id).unwrap().iter().map(|&v| wh(v, true)).sum();
                (drawn - paid) as f64 / 1000.0
            })
            .sum();
        assert!((t.stolen_kwh - stolen).abs() < 1e-9, "{}", t.transformer_id);
        stolen_total += stolen;
    }
    assert!(stolen_total > 0.0);
    assert!(b.summary().non_technical_loss_share > 0.0);
}

#[test]
fn default_technical_loss_share_lies_in_the_documented_band() {
    for res in [Resolution::Monthly, Resolution::Hourly] {
        let d = generate(GeneratorConfig {
            resolution: res,
            ..Default::default()
        });
        let s = d.energy_balance().unwrap().summary();
        assert!(
            TECHNICAL_BAND.contains(&s.technical_loss_share),
            "{res:?}: technical loss {:.4} outside {TECHNICAL_BAND:?}",
            s.technical_loss_share
        );
        // The shares of what entered the feeders add up.
        let parts = s.technical_loss_share + s.non_technical_loss_share + s.unmetered_share + s.billed_share;
        assert!((parts - 1.0).abs() < 1e-9, "{res:?}: {parts}");
    }
}

#[test]
fn transformer_losses_follow_the_documented_formula() {
    for res in [Resolution::Monthly, Resolution::Hourly] {
        let d = generate(small(res, 8));
        let c = &d.config().balance;
        let axis = d.series_axis();
        let lf = c.load_factor;
        for t in &d.energy_balance().unwrap().transformers {
            let kva = d.transformer(t.transformer_id).unwrap().capacity_kva;
            let (no_load, load) = transformer_losses_w(kva);
            let mut peak: f64 = 0.0;
            for (i, r) in t.rows.iter().enumerate() {
                let h = axis.hours(i);
                let f = loss_factor(h, lf);
                let peak_over_mean = if h < 24.0 { 1.0 } else { 1.0 / lf };
                let loading = (r.true_kwh + r.line_loss_kwh + r.unmetered_kwh) / h / c.power_factor / kva;
                let expected = (no_load + load * loading * loading * f) * h / 1000.0;
                assert!(
                    (r.transformer_loss_kwh - expected).abs() < 1e-9 * expected.max(1.0),
                    "{res:?}"
                );
                peak = peak.max(loading * peak_over_mean);
            }
            assert!((t.peak_loading - peak).abs() < 1e-12);
            assert_eq!(t.overloaded(), peak > 1.0);
        }
        let s = d.energy_balance().unwrap().summary();
        let overloaded: Vec<_> = d
            .energy_balance()
            .unwrap()
            .transformers
            .iter()
            .filter(|t| t.peak_loading > 1.0)
            .map(|t| t.transformer_id)
            .collect();
        assert_eq!(s.overloaded.iter().map(|o| o.0).collect::<Vec<_>>(), overloaded);
    }
}

#[test]
fn street_lights_burn_from_dusk_to_dawn() {
    let d = generate(small(Resolution::Hourly, 2));
    let c = &d.config().balance;
    let lamp_kwh = f64::from(c.streetlights_per_transformer) * c.streetlight_w / 1000.0;
    let t = &d.energy_balance().unwrap().transformers[0];
    for (i, r) in t.rows.iter().enumerate() {
        let hour = i % 24;
        let expected = if (6..18).contains(&hour) { 0.0 } else { lamp_kwh };
        assert_eq!(r.unmetered_kwh, expected, "hour {hour}");
    }
    let m = generate(small(Resolution::Monthly, 2));
    let axis = *m.axis();
    let t = &m.energy_balance().unwrap().transformers[0];
    for (i, r) in t.rows.iter().enumerate() {
        assert!((r.unmetered_kwh - lamp_kwh * 12.0 * axis.hours(i) / 24.0).abs() < 1e-9);
    }
}

#[test]
fn secondary_losses_grow_with_resistance_and_vanish_without_it() {
    let base = small(Resolution::Monthly, 4);
    let line = |ohm: f64| {
        let mut c = base.clone();
        c.balance.secondary_ohm_per_km = ohm;
        let d = generate(c);
        d.energy_balance()
            .unwrap()
            .transformers
            .iter()
            .map(|t| t.total().line_loss_kwh)
            .sum::<f64>()
    };
    assert_eq!(line(0.0), 0.0);
    let (one, two) = (line(0.3), line(0.6));
    assert!(one > 0.0 && (two / one - 2.0).abs() < 1e-9, "{one} {two}");
}

#[test]
fn disabling_the_balance_changes_no_meter() {
    let on = generate(small(Resolution::Hourly, 6));
    let mut off_config = small(Resolution::Hourly, 6);
    let mut balance: BalanceConfig = on.config().balance;
    balance.enabled = false;
    off_config.balance = balance;
    let off = generate(off_config);
    assert!(off.energy_balance().is_none());
    assert_eq!(on.consumption(), off.consumption());
    assert_eq!(on.all_readings(), off.all_readings());
    assert_eq!(on.labels(), off.labels());
}

#[test]
fn a_bad_balance_parameter_is_refused_naming_the_field() {
    let mut c = GeneratorConfig::default();
    c.balance.secondary_circuits = 0;
    let err = Pipeline::builder().config(c).build().unwrap_err().to_string();
    assert!(
        err.contains("balance.secondary_circuits") && err.contains("1 ..= 8"),
        "{err}"
    );
    let mut c = GeneratorConfig::default();
    c.balance.power_factor = 1.5;
    let err = Pipeline::builder().config(c).build().unwrap_err().to_string();
    assert!(err.contains("balance.power_factor"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10))]

    /// Streamed in any batches, or shard by shard (each completing its last
    /// transformer), the balance is the in-memory one, to the bit.
    #[test]
    fn streamed_and_sharded_balances_equal_the_in_memory_one(
        seed in any::<u64>(),
        meters in 30usize..600,
        batch in 1usize..400,
        shards in 1usize..5,
        hourly in any::<bool>(),
    ) {
        let res = if hourly { Resolution::Hourly } else { Resolution::Monthly };
        let config = GeneratorConfig {
            num_meters: meters,
            num_transformers: (meters / 25).max(1),
            ..small(res, seed)
        };
        let pipeline = Pipeline::builder().config(config).build().unwrap();
        let whole = pipeline.generate().unwrap();
        let expected = whole.energy_balance().unwrap();

        let mut stream = pipeline.balance_stream(0..meters).unwrap();
        let mut transformers = Vec::new();
        for b in pipeline.batches(0..meters, batch) {
            transformers.extend(stream.add(&b.unwrap()));
        }
        prop_assert!(stream.tail().is_empty());
        prop_assert_eq!(&transformers, &expected.transformers);
        prop_assert_eq!(&stream.finish(), &expected.feeders);

        let mut sharded = Vec::new();
        for k in 1..=shards {
            let range = ghostload::Shard::new(k, shards).unwrap().range(meters);
            let mut stream = pipeline.balance_stream(range.clone()).unwrap();
            for b in pipeline.batches(range, batch) {
                sharded.extend(stream.add(&b.unwrap()));
            }
            let tail = stream.tail();
            if !tail.is_empty() {
                sharded.extend(stream.add(&pipeline.generate_batch(tail).unwrap()));
            }
        }
        prop_assert_eq!(&sharded, &expected.transformers);
    }
}

#[test]
fn a_range_inside_one_transformer_owns_nothing_and_has_no_tail() {
    let pipeline = Pipeline::builder()
        .config(small(Resolution::Monthly, 9))
        .build()
        .unwrap();
    // Meters strictly inside transformer 0's run: it belongs to the range holding its first meter.
    let first = pipeline.network().allocation().range(0);
    assert!(first.len() >= 3, "{first:?}");
    let inside = first.start + 1..first.end - 1;
    let mut stream = pipeline.balance_stream(inside.clone()).unwrap();
    assert!(stream.tail().is_empty(), "{:?}", stream.tail());
    let batch = pipeline.generate_batch(inside).unwrap();
    assert!(stream.add(&batch).is_empty());
    // The range from its first meter owns it, and must generate the rest.
    let head = first.start..first.start + 1;
    let stream = pipeline.balance_stream(head).unwrap();
    assert_eq!(stream.tail(), first.start + 1..first.end);
}

#[test]
fn secondary_line_losses_follow_the_documented_formula() {
    // line = 2·r · κ / n_c · d̄ · I² · h · F, I = E / h · 1000 / (V · pf), κ = 1/√2,
    // d̄ the meters' distances to the transformer weighted by what they drew.
    for res in [Resolution::Monthly, Resolution::Hourly] {
        let d = generate(small(res, 12));
        let c = &d.config().balance;
        let axis = d.series_axis();
        let lf = c.load_factor;
        for t in &d.energy_balance().unwrap().transformers {
            let tx = d.transformer(t.transformer_id).unwrap();
            let (mut moment, mut energy) = (0.0, 0.0);
            for m in d.meters().iter().filter(|m| m.transformer_id == t.transformer_id) {
                let dy = (m.lat - tx.lat) * 111_320.0;
                let dx = (m.lon - tx.lon) * 111_320.0 * tx.lat.to_radians().cos();
                let e: f64 = d.true_series(m.id).unwrap().iter().sum();
                moment += e * dx.hypot(dy);
                energy += e;
            }
            let mean_distance = moment / energy;
            let r = 2.0 * c.secondary_ohm_per_km / 1000.0 * std::f64::consts::FRAC_1_SQRT_2
                / f64::from(c.secondary_circuits)
                * mean_distance;
            for (i, row) in t.rows.iter().enumerate() {
                let h = axis.hours(i);
                let f = loss_factor(h, lf);
                let amps = row.true_kwh / h * 1000.0 / (c.secondary_voltage_v * c.power_factor);
                let expected = r * amps * amps * h * f / 1000.0;
                // Distances are summed in whole decimetres: a relative error far below 1e-3.
                assert!(
                    (row.line_loss_kwh - expected).abs() <= 1e-3 * expected + 1e-12,
                    "{res:?} {} period {i}: {} vs {expected}",
                    t.transformer_id,
                    row.line_loss_kwh
                );
            }
        }
    }
}

/// Meters that draw nothing (a model of empty premises): every transformer
/// still reads its street lights and no-load loss, and nothing is NaN.
#[test]
fn transformers_whose_meters_draw_nothing_still_balance() {
    use ghostload::{ConsumptionModel, MeterProfile};
    #[derive(Debug)]
    struct Empty;
    impl ConsumptionModel for Empty {
        fn profile(&self, class: ghostload::CustomerClass, _: &mut ghostload::rng::StreamRng) -> MeterProfile {
            MeterProfile {
                class,
                baseline_kwh: 0.0,
                monthly_growth: 0.0,
            }
        }
        fn fill_series(
            &self,
            _: &MeterProfile,
            _: &ghostload::TimeAxis,
            _: &mut ghostload::rng::StreamRng,
            out: &mut [f64],
        ) -> usize {
            out.fill(0.0);
            0
        }
    }
    let config = GeneratorConfig {
        anomaly_rate: 0.0,
        benign_rate: 0.0,
        ..small(Resolution::Monthly, 3)
    };
    let d = Pipeline::builder()
        .config(config)
        .consumption(Empty)
        .build()
        .unwrap()
        .generate()
        .unwrap();
    for t in &d.energy_balance().unwrap().transformers {
        let (no_load, _) = transformer_losses_w(d.transformer(t.transformer_id).unwrap().capacity_kva);
        for (i, r) in t.rows.iter().enumerate() {
            assert_eq!((r.true_kwh, r.billed_kwh, r.line_loss_kwh), (0.0, 0.0, 0.0));
            assert!(r.reading_kwh > 0.0 && r.reading_kwh.is_finite());
            // Only the core loss and the lamps (a hair of load loss from the lamps).
            let core = no_load * d.series_axis().hours(i) / 1000.0;
            assert!(
                r.transformer_loss_kwh >= core && r.transformer_loss_kwh < core * 1.01,
                "{}",
                r.transformer_loss_kwh
            );
        }
    }
}
