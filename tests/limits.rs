//! Hardening: absurd sizes, counts and floats are refused with a typed error
//! naming the field (before any work), and the values that are accepted do
//! not overflow anything. One case per field: each fails if that field's
//! check is removed.

use ghostload::io::{MAX_BATCH_SIZE, WriteOptions};
use ghostload::{ConfigError, Error, GeneratorConfig, Pipeline, PipelineBuilder, Shard, TimeAxis, YearMonth};

/// A change to the default configuration.
type Edit = fn(&mut GeneratorConfig);

/// Applies `edit` to the defaults; validation must fail with `OutOfRange` naming `field`.
fn assert_refused(case: &str, edit: Edit, field: &str) {
    let mut config = GeneratorConfig::default();
    edit(&mut config);
    match config.validate() {
        Err(ConfigError::OutOfRange {
            field: got, allowed, ..
        }) => {
            assert_eq!(got, field, "{case}");
            assert!(!allowed.is_empty(), "{case}");
        }
        other => panic!("{case}: expected OutOfRange naming `{field}`, got {other:?}"),
    }
}

/// Every integer field of the configuration at an absurd value.
#[test]
fn absurd_counts_are_refused_per_field() {
    let cases: [(&str, Edit, &str); 14] = [
        ("num_transformers 0", |c| c.num_transformers = 0, "num_transformers"),
        (
            "num_transformers over the cap",
            |c| {
                c.num_transformers = GeneratorConfig::MAX_TRANSFORMERS + 1;
                c.num_meters = GeneratorConfig::MAX_ENTITIES;
            },
            "num_transformers",
        ),
        (
            "num_transformers u32::MAX",
            |c| {
                c.num_transformers = u32::MAX as usize;
                c.num_meters = u32::MAX as usize;
            },
            "num_transformers",
        ),
        (
            "num_transformers usize::MAX",
            |c| c.num_transformers = usize::MAX,
            "num_transformers",
        ),
        ("num_meters 0", |c| c.num_meters = 0, "num_meters"),
        (
            "num_meters u32::MAX + 1",
            |c| c.num_meters = u32::MAX as usize + 1,
            "num_meters",
        ),
        ("num_meters usize::MAX", |c| c.num_meters = usize::MAX, "num_meters"),
        ("num_months 0", |c| c.num_months = 0, "num_months"),
        ("num_months 100 000", |c| c.num_months = 100_000, "num_months"),
        ("num_months usize::MAX", |c| c.num_months = usize::MAX, "num_months"),
        (
            "num_months past 9999-12",
            |c| c.start_month = YearMonth::new(9999, 6).unwrap(),
            "num_months",
        ),
        (
            "min_normal_periods 1201",
            |c| c.min_normal_periods = 1201,
            "min_normal_periods",
        ),
        (
            "min_meters_per_transformer 0",
            |c| c.min_meters_per_transformer = 0,
            "min_meters_per_transformer",
        ),
        (
            "transformers_per_feeder 0",
            |c| c.transformers_per_feeder = 0,
            "transformers_per_feeder",
        ),
    ];
    for (case, edit, field) in cases {
        assert_refused(case, edit, field);
    }
}

#[test]
fn barangay_counts_outside_1_to_65535_are_refused() {
    assert_refused("no barangays", |c| c.barangays.clear(), "barangays");
    assert_refused(
        "65 536 barangays",
        |c| c.barangays = (0..=u32::from(u16::MAX)).map(|i| format!("B{i}")).collect(),
        "barangays",
    );
}

/// Non-finite and out-of-range values of every float field.
#[test]
fn non_finite_and_out_of_range_floats_are_refused_per_field() {
    let cases: [(&str, Edit, &str); 20] = [
        ("anomaly_rate", |c| c.anomaly_rate = f64::INFINITY, "anomaly_rate"),
        ("benign_rate", |c| c.benign_rate = f64::NAN, "benign_rate"),
        (
            "spatial_clustering_strength",
            |c| c.spatial_clustering_strength = f64::NEG_INFINITY,
            "spatial_clustering_strength",
        ),
        ("meter_spread_m", |c| c.meter_spread_m = 1e9, "meter_spread_m"),
        (
            "bounds.lat_min",
            |c| c.bounds.lat_min = f64::NEG_INFINITY,
            "bounds.lat_min",
        ),
        ("bounds.lat_max", |c| c.bounds.lat_max = f64::NAN, "bounds.lat_max"),
        ("bounds.lon_min", |c| c.bounds.lon_min = -1e6, "bounds.lon_min"),
        ("bounds.lon_max", |c| c.bounds.lon_max = f64::INFINITY, "bounds.lon_max"),
        (
            "class_mix.residential",
            |c| c.class_mix.residential = f64::NAN,
            "class_mix.residential",
        ),
        (
            "class_mix.commercial",
            |c| c.class_mix.commercial = f64::INFINITY,
            "class_mix.commercial",
        ),
        (
            "class_mix.industrial",
            |c| c.class_mix.industrial = -0.1,
            "class_mix.industrial",
        ),
        (
            "capacity.min_kva",
            |c| c.capacity.min_kva = f64::NAN,
            "capacity.min_kva",
        ),
        ("capacity.max_kva", |c| c.capacity.max_kva = 1e6, "capacity.max_kva"),
        (
            "capacity.median_kva",
            |c| c.capacity.median_kva = f64::INFINITY,
            "capacity.median_kva",
        ),
        ("capacity.sigma", |c| c.capacity.sigma = 1e300, "capacity.sigma"),
        (
            "consumption.seasonal_peak_month",
            |c| c.consumption.seasonal_peak_month = u8::MAX,
            "consumption.seasonal_peak_month",
        ),
        (
            "consumption.seasonal_amplitude",
            |c| c.consumption.seasonal_amplitude = f64::NAN,
            "consumption.seasonal_amplitude",
        ),
        (
            "consumption.trend_min",
            |c| c.consumption.trend_min = -1e9,
            "consumption.trend_min",
        ),
        (
            "consumption.trend_max",
            |c| c.consumption.trend_max = 1e9,
            "consumption.trend_max",
        ),
        (
            "consumption.noise_fraction",
            |c| c.consumption.noise_fraction = f64::INFINITY,
            "consumption.noise_fraction",
        ),
    ];
    for (case, edit, field) in cases {
        assert_refused(case, edit, field);
    }
}

#[test]
fn class_profile_fields_are_refused_per_field() {
    let cases: [(&str, Edit, &str); 12] = [
        (
            "r median",
            |c| c.consumption.residential.median_kwh = f64::INFINITY,
            "consumption.residential.median_kwh",
        ),
        (
            "r sigma",
            |c| c.consumption.residential.sigma = f64::NAN,
            "consumption.residential.sigma",
        ),
        (
            "r load",
            |c| c.consumption.residential.load_factor = 0.0,
            "consumption.residential.load_factor",
        ),
        (
            "r pf",
            |c| c.consumption.residential.power_factor = f64::NAN,
            "consumption.residential.power_factor",
        ),
        (
            "c median",
            |c| c.consumption.commercial.median_kwh = 1e12,
            "consumption.commercial.median_kwh",
        ),
        (
            "c sigma",
            |c| c.consumption.commercial.sigma = 1e9,
            "consumption.commercial.sigma",
        ),
        (
            "c load",
            |c| c.consumption.commercial.load_factor = f64::INFINITY,
            "consumption.commercial.load_factor",
        ),
        (
            "c pf",
            |c| c.consumption.commercial.power_factor = -1.0,
            "consumption.commercial.power_factor",
        ),
        (
            "i median",
            |c| c.consumption.industrial.median_kwh = f64::NAN,
            "consumption.industrial.median_kwh",
        ),
        (
            "i sigma",
            |c| c.consumption.industrial.sigma = -0.1,
            "consumption.industrial.sigma",
        ),
        (
            "i load",
            |c| c.consumption.industrial.load_factor = f64::NAN,
            "consumption.industrial.load_factor",
        ),
        (
            "i pf",
            |c| c.consumption.industrial.power_factor = 2.0,
            "consumption.industrial.power_factor",
        ),
    ];
    for (case, edit, field) in cases {
        assert_refused(case, edit, field);
    }
}

#[test]
fn every_mix_weight_must_be_finite_and_non_negative() {
    let keys: Vec<(String, bool)> = GeneratorConfig::default()
        .anomaly_mix
        .into_keys()
        .map(|k| (k, true))
        .chain(GeneratorConfig::default().benign_mix.into_keys().map(|k| (k, false)))
        .collect();
    assert_eq!(keys.len(), 18);
    for (key, anomaly) in keys {
        for bad in [f64::NAN, f64::INFINITY, -1.0] {
            let mut c = GeneratorConfig::default();
            let mix = if anomaly { &mut c.anomaly_mix } else { &mut c.benign_mix };
            mix.insert(key.clone(), bad);
            let field = c.validate().unwrap_err().field();
            let prefix = if anomaly { "anomaly_mix" } else { "benign_mix" };
            assert_eq!(field, format!("{prefix}.{key}"), "{key} = {bad}");
        }
    }
}

/// The largest finite weights are accepted and split exactly (their sum
/// used to overflow: a panic in debug builds, nonsense counts in release).
#[test]
fn huge_mix_weights_split_exactly() {
    let mut c = GeneratorConfig {
        num_meters: 300,
        num_transformers: 10,
        anomaly_rate: 0.5,
        ..Default::default()
    };
    c.anomaly_mix = [("low_consumption", f64::MAX), ("constant_factor", f64::MAX / 2.0)]
        .into_iter()
        .map(|(k, w)| (k.to_owned(), w))
        .collect();
    let data = Pipeline::builder().config(c).build().unwrap().generate().unwrap();
    let low = data
        .labels()
        .iter()
        .filter(|l| l.anomaly_type.as_str() == "low_consumption");
    assert_eq!(low.count(), 100); // 2/3 of 150
}

/// Values that are large but harmless stay accepted.
#[test]
fn large_but_harmless_values_are_accepted() {
    let cases: [(&str, Edit); 7] = [
        ("seed u64::MAX", |c| c.seed = u64::MAX),
        ("min_meters_per_transformer usize::MAX", |c| {
            c.min_meters_per_transformer = usize::MAX
        }),
        ("transformers_per_feeder usize::MAX", |c| {
            c.transformers_per_feeder = usize::MAX
        }),
        ("min_normal_periods 1200", |c| c.min_normal_periods = 1200),
        ("10 M meters x 24 months", |c| {
            c.num_meters = 10_000_000;
            c.num_months = 24;
        }),
        ("largest sizes", |c| {
            c.num_meters = GeneratorConfig::MAX_ENTITIES;
            c.num_transformers = GeneratorConfig::MAX_TRANSFORMERS;
            c.num_months = TimeAxis::MAX_PERIODS;
        }),
        ("last month 9999-12", |c| {
            c.start_month = YearMonth::new(9999, 1).unwrap();
            c.num_months = 12;
        }),
    ];
    for (case, edit) in cases {
        let mut c = GeneratorConfig::default();
        edit(&mut c);
        assert_eq!(c.validate(), Ok(()), "{case}");
    }
    let c = GeneratorConfig {
        seed: u64::MAX,
        num_meters: 60,
        num_transformers: 6,
        min_meters_per_transformer: usize::MAX,
        transformers_per_feeder: usize::MAX,
        ..Default::default()
    };
    let data = Pipeline::builder().config(c).build().unwrap().generate().unwrap();
    assert_eq!(data.meters().len(), 60);
    assert!(data.network().transformers().iter().all(|t| t.feeder_id.index() == 0));
}

#[test]
fn the_allowed_texts_match_the_constants() {
    let err = |c: GeneratorConfig| c.validate().unwrap_err().to_string();
    let over = GeneratorConfig {
        num_meters: GeneratorConfig::MAX_ENTITIES + 1,
        ..Default::default()
    };
    assert!(err(over).contains(&format!("1 ..= {}", GeneratorConfig::MAX_ENTITIES)));
    let over = GeneratorConfig {
        num_transformers: GeneratorConfig::MAX_TRANSFORMERS + 1,
        ..Default::default()
    };
    assert!(err(over).contains(&format!("1 ..= {}", GeneratorConfig::MAX_TRANSFORMERS)));
    let shard = Shard::new(1, Shard::MAX_COUNT + 1).unwrap_err().to_string();
    assert!(shard.contains(&format!("N <= {}", Shard::MAX_COUNT)), "{shard}");
    let threads = build_with_threads(usize::MAX).unwrap_err().to_string();
    assert!(
        threads.contains(&format!("0 ..= {}", PipelineBuilder::MAX_THREADS)),
        "{threads}"
    );
}

/// A builder with `threads` and an otherwise invalid configuration: `threads`
/// is checked first, and should that check go missing the build still fails
/// (on `num_meters`) before it starts a single thread, so the test fails
/// fast instead of starting `usize::MAX` threads.
fn build_with_threads(threads: usize) -> Result<Pipeline, Error> {
    let invalid = GeneratorConfig {
        num_meters: 0,
        ..Default::default()
    };
    Pipeline::builder().config(invalid).threads(threads).build()
}

#[test]
fn threads_beyond_the_cap_are_refused_by_build() {
    for threads in [PipelineBuilder::MAX_THREADS + 1, 100_000, usize::MAX] {
        match build_with_threads(threads) {
            Err(Error::Config(ConfigError::OutOfRange { field, value, allowed })) => {
                assert_eq!(field, "threads");
                assert_eq!(value, threads.to_string());
                assert_eq!(allowed, "0 ..= 1024 (0 = all cores)");
            }
            other => panic!("{threads}: {other:?}"),
        }
    }
    let at_cap = build_with_threads(PipelineBuilder::MAX_THREADS);
    assert!(matches!(
        at_cap,
        Err(Error::Config(ConfigError::OutOfRange {
            field: "num_meters",
            ..
        }))
    ));
    assert!(Pipeline::builder().threads(0).build().is_ok());
    assert!(Pipeline::builder().threads(2).build().is_ok());
}

#[test]
fn shards_are_bounded_and_parse_without_overflow() {
    for (k, n) in [
        (0, 4),
        (5, 4),
        (1, 0),
        (1, Shard::MAX_COUNT + 1),
        (usize::MAX, usize::MAX),
    ] {
        assert_eq!(Shard::new(k, n).unwrap_err().field(), "shard", "{k}/{n}");
    }
    for text in [
        "18446744073709551615/18446744073709551615",
        "1/4294967296",
        "1/99999999999999999999999",
        "-1/4",
        "1/-4",
        "1/2/3",
        "",
    ] {
        assert_eq!(text.parse::<Shard>().unwrap_err().field(), "shard", "{text}");
    }
    let last = Shard::new(Shard::MAX_COUNT, Shard::MAX_COUNT).unwrap();
    assert_eq!(
        last.range(GeneratorConfig::MAX_ENTITIES),
        (u32::MAX as usize - 1)..(u32::MAX as usize)
    );
    assert_eq!(last.range(10), 9..10);
    assert_eq!(Shard::new(1, Shard::MAX_COUNT).unwrap().range(10), 0..0);
}

#[cfg(feature = "serde")]
#[test]
fn deserialized_shards_are_checked() {
    for bad in [
        r#"{"index":0,"count":0}"#,
        r#"{"index":3,"count":2}"#,
        r#"{"index":1,"count":4294967296}"#,
    ] {
        assert!(serde_json::from_str::<Shard>(bad).is_err(), "{bad}");
    }
    assert_eq!(
        serde_json::from_str::<Shard>(r#"{"index":2,"count":3}"#).unwrap(),
        Shard::new(2, 3).unwrap()
    );
}

#[test]
fn batch_sizes_are_clamped() {
    assert_eq!(WriteOptions::default().with_batch_size(0).batch_size, 1);
    assert_eq!(
        WriteOptions::default().with_batch_size(usize::MAX).batch_size,
        MAX_BATCH_SIZE
    );
    let pipeline = Pipeline::builder()
        .config(GeneratorConfig {
            num_meters: 40,
            num_transformers: 4,
            ..Default::default()
        })
        .build()
        .unwrap();
    // `start + batch_size` used to overflow for a range not starting at 0.
    let batches: Vec<_> = pipeline
        .batches(5..20, usize::MAX)
        .map(|b| b.unwrap().meters().len())
        .collect();
    assert_eq!(batches, [15]);
}

#[test]
fn months_never_overflow() {
    let last = YearMonth::new(9999, 12).unwrap();
    assert_eq!(last.plus_months(usize::MAX).year(), i32::MAX); // saturates, no panic
    assert!(YearMonth::new(10_000, 1).is_err());
    assert_eq!("99999-01".parse::<YearMonth>().unwrap_err().field(), "start_month");
    let axis = TimeAxis::new(YearMonth::new(9900, 1).unwrap(), 1200, Default::default()).unwrap();
    assert_eq!(axis.month(1199).to_string(), "9999-12");
    let err = TimeAxis::new(YearMonth::new(9900, 2).unwrap(), 1200, Default::default()).unwrap_err();
    assert_eq!(err.field(), "num_months");
}

/// The in-memory path refuses a dataset that cannot fit before allocating it.
#[cfg(target_os = "linux")]
#[test]
fn an_in_memory_dataset_too_large_is_refused_before_any_work() {
    let config = GeneratorConfig {
        num_meters: GeneratorConfig::MAX_ENTITIES,
        num_months: TimeAxis::MAX_PERIODS,
        ..Default::default()
    };
    let pipeline = Pipeline::builder().config(config).build().unwrap();
    assert_eq!(pipeline.config().cells(), u64::from(u32::MAX) * 1200);
    assert!(pipeline.in_memory_bytes() > pipeline.config().cells() * 8);
    assert!(matches!(pipeline.generate(), Err(Error::InsufficientMemory { .. })));
}
