//! `GeneratorConfig` as TOML (the `ghostload --config` format): round trips,
//! defaults for omitted keys, unknown keys named, and the README's examples.

use ghostload::{GeneratorConfig, YearMonth};

fn parse(text: &str) -> Result<GeneratorConfig, toml::de::Error> {
    toml::from_str(text)
}

fn round_trip(config: &GeneratorConfig) -> GeneratorConfig {
    let text = toml::to_string(config).unwrap();
    parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn default_round_trips() {
    let config = GeneratorConfig::default();
    assert_eq!(round_trip(&config), config);
}

#[test]
fn every_field_changed_round_trips() {
    let mut c = GeneratorConfig {
        seed: 7,
        num_transformers: 12,
        num_meters: 345,
        num_months: 30,
        start_month: "2023-07".parse().unwrap(),
        anomaly_rate: 0.125,
        benign_rate: 0.0625,
        severity_window: ghostload::SeverityWindow::Event,
        min_normal_periods: 5,
        spatial_clustering_strength: 0.3,
        min_meters_per_transformer: 4,
        transformers_per_feeder: 3,
        meter_spread_m: 250.5,
        max_kwh: 25_000.5,
        barangays: vec!["Alpha".into(), "Beta, East".into(), "Gamma \"G\"".into()],
        ..Default::default()
    };
    c.anomaly_mix = [("constant_factor", 1.5), ("meter_bypass", 0.1), ("stuck_meter", 0.0)]
        .into_iter()
        .map(|(k, w)| (k.to_owned(), w))
        .collect();
    c.benign_mix = [("vacancy", 2.0), ("outage", 0.3)]
        .into_iter()
        .map(|(k, w)| (k.to_owned(), w))
        .collect();
    c.bounds.lat_min = 10.25;
    c.bounds.lat_max = 10.75;
    c.bounds.lon_min = 123.1;
    c.bounds.lon_max = 123.9;
    c.class_mix.residential = 0.6;
    c.class_mix.commercial = 0.3;
    c.class_mix.industrial = 0.1;
    c.capacity.min_kva = 10.0;
    c.capacity.max_kva = 750.0;
    c.capacity.median_kva = 100.0;
    c.capacity.sigma = 0.9;
    c.consumption.seasonal_peak_month = 8;
    c.consumption.seasonal_amplitude = 0.2;
    c.consumption.trend_min = -0.01;
    c.consumption.trend_max = 0.03;
    c.consumption.noise_fraction = 0.25;
    c.consumption.residential.median_kwh = 180.5;
    c.consumption.residential.sigma = 0.45;
    c.consumption.commercial.load_factor = 0.5;
    c.consumption.industrial.power_factor = 0.95;
    c.validate().unwrap();
    assert_ne!(c, GeneratorConfig::default());

    let back = round_trip(&c);
    assert_eq!(back, c);
    assert_eq!(back.start_month, YearMonth::new(2023, 7).unwrap());
    assert_eq!(back.consumption.residential.median_kwh, 180.5);
    let text = toml::to_string(&c).unwrap();
    assert!(text.contains("start_month = \"2023-07\""), "{text}");
}

#[test]
fn unknown_keys_are_named() {
    let err = parse("num_meters = 500\nnot_a_field = 1\n").unwrap_err().to_string();
    assert!(err.contains("not_a_field"), "{err}");
    let err = parse("[consumption]\nseasonal_peak_month = 5\nnot_a_knob = 0.5\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not_a_knob"), "{err}");
}

#[test]
fn omitted_keys_take_their_defaults() {
    let c = parse("num_meters = 500\n").unwrap();
    assert_eq!(
        c,
        GeneratorConfig {
            num_meters: 500,
            ..Default::default()
        }
    );
    c.validate().unwrap();
    // Nested tables that give some keys keep the defaults for the others.
    let c = parse("[consumption]\nseasonal_amplitude = 0.2\n").unwrap();
    assert_eq!(c.consumption.seasonal_amplitude, 0.2);
    assert_eq!(
        c.consumption.residential,
        GeneratorConfig::default().consumption.residential
    );
}

#[test]
fn unknown_mix_type_is_named_by_validate() {
    let c = parse("[anomaly_mix]\nnot_a_type = 1.0\n").unwrap();
    let err = c.validate().unwrap_err();
    assert_eq!(err.field(), "anomaly_mix");
    let msg = err.to_string();
    assert!(msg.contains("anomaly_mix") && msg.contains("not_a_type"), "{msg}");
}

/// The first ```toml block after the line `marker` in README.md.
fn readme_toml_after(marker: &str) -> String {
    let readme = include_str!("../README.md");
    let (_, after) = readme
        .split_once(&format!("\n{marker}\n"))
        .unwrap_or_else(|| panic!("README has no line {marker:?}"));
    let (_, block) = after.split_once("```toml\n").expect("a ```toml block after the marker");
    let (block, _) = block.split_once("```").expect("a closed ```toml block");
    block.to_owned()
}

#[test]
fn readme_config_examples_are_valid() {
    for marker in ["## Configuration file", "## Anomaly mix"] {
        let text = readme_toml_after(marker);
        let config = parse(&text).unwrap_or_else(|e| panic!("{marker}: {e}\n{text}"));
        config.validate().unwrap_or_else(|e| panic!("{marker}: {e}\n{text}"));
        assert_ne!(config, GeneratorConfig::default(), "{marker}");
    }
    let mix = parse(&readme_toml_after("## Anomaly mix")).unwrap();
    assert!(mix.anomaly_mix.len() > 1 && mix.benign_mix.len() == 4);
    for name in mix.anomaly_mix.keys() {
        assert!(
            ghostload::anomaly::DEFAULT_ANOMALY_MIX.iter().any(|(n, _)| n == name),
            "{name}"
        );
    }
}

#[test]
fn partial_tables_keep_their_other_defaults() {
    let c = parse(
        "[bounds]\nlat_max = 14.8\n\n[capacity]\nmax_kva = 250.0\n\n[class_mix]\nresidential = 0.6\ncommercial = 0.3\n",
    )
    .unwrap();
    let d = GeneratorConfig::default();
    assert_eq!(
        (c.bounds.lat_max, c.bounds.lat_min, c.bounds.lon_max),
        (14.8, d.bounds.lat_min, d.bounds.lon_max)
    );
    assert_eq!((c.capacity.max_kva, c.capacity.min_kva), (250.0, d.capacity.min_kva));
    // Industrial keeps its default 0.1: 0.6 + 0.3 + 0.1 = 1.
    assert_eq!(c.class_mix.industrial, 0.1);
    c.validate().unwrap();
    // A partial mix that no longer sums to 1 is named by validation.
    let bad = parse("[class_mix]\nresidential = 0.8\n").unwrap();
    assert_eq!(bad.validate().unwrap_err().field(), "class_mix");
}

#[test]
fn partial_class_tables_keep_that_class_defaults() {
    let c = parse("[consumption.commercial]\nmedian_kwh = 2500.0\n\n[consumption.industrial]\nsigma = 0.4\n").unwrap();
    let d = GeneratorConfig::default().consumption;
    // Each class keeps its own defaults, not another class's.
    assert_eq!(c.consumption.commercial.median_kwh, 2500.0);
    assert_eq!(c.consumption.commercial.load_factor, d.commercial.load_factor);
    assert_eq!(c.consumption.commercial.sigma, d.commercial.sigma);
    assert_eq!(c.consumption.industrial.sigma, 0.4);
    assert_eq!(c.consumption.industrial.median_kwh, d.industrial.median_kwh);
    assert_eq!(c.consumption.residential, d.residential);
    c.validate().unwrap();
    let err = parse("[consumption.residential]\nmedian_kwhh = 1.0\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("median_kwhh"), "{err}");
}

#[test]
fn interval_fields_are_read_from_toml() {
    let config = parse(
        "resolution = \"hourly\"\ntimezone = \"UTC\"\nmissing_rate = 0.01\nholidays = [\"2024-06-12\"]\n\n[weather]\ntyphoons_per_year = 0.5\n",
    )
    .unwrap();
    assert_eq!(config.resolution, ghostload::Resolution::Hourly);
    assert_eq!(config.timezone, ghostload::TimeZone::UTC);
    assert_eq!(config.missing_rate, 0.01);
    assert_eq!(config.holidays, Some(vec!["2024-06-12".parse().unwrap()]));
    assert_eq!(config.weather.typhoons_per_year, 0.5);
    assert!(config.validate().is_ok());
    assert_eq!(round_trip(&config), config);
    let q = parse("resolution = \"15min\"").unwrap();
    assert_eq!(q.resolution, ghostload::Resolution::FifteenMinutes);
    let err = parse("resolution = \"weekly\"").unwrap_err().to_string();
    assert!(err.contains("weekly") && err.contains("15min"), "{err}");
}

#[test]
fn the_balance_section_reads_round_trips_and_names_unknown_keys() {
    let c = parse("[balance]\nenabled = false\nsecondary_circuits = 3\nstreetlight_w = 60.0\n").unwrap();
    assert!(!c.balance.enabled);
    assert_eq!(c.balance.secondary_circuits, 3);
    assert_eq!(c.balance.streetlight_w, 60.0);
    // Omitted keys keep their defaults.
    assert_eq!(c.balance.power_factor, ghostload::BalanceConfig::default().power_factor);
    assert_eq!(round_trip(&c), c);
    let err = parse("[balance]\nsecondary_ohms = 1.0\n").unwrap_err().to_string();
    assert!(err.contains("secondary_ohms"), "{err}");
    // A value out of range is refused when the pipeline is built, naming the field.
    let c = parse("[balance]\nprimary_voltage_kv = 500.0\n").unwrap();
    let err = ghostload::Pipeline::builder()
        .config(c)
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("balance.primary_voltage_kv") && err.contains("1 ..= 69"),
        "{err}"
    );
}
