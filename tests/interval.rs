//! Interval data through the public API: one model and many views, the
//! calendar, load shapes, weather, missing readings.

use ghostload::{
    AnomalyType, CustomerClass, Date, GeneratorConfig, MeterBatch, Pipeline, Resolution, TimeAxis, Weather, Weekday,
    YearMonth,
};

fn config(resolution: Resolution, months: usize) -> GeneratorConfig {
    GeneratorConfig {
        num_transformers: 10,
        num_meters: 400,
        num_months: months,
        resolution,
        ..Default::default()
    }
}

fn batch(config: GeneratorConfig) -> MeterBatch {
    let n = config.num_meters;
    Pipeline::builder()
        .config(config)
        .build()
        .unwrap()
        .generate_batch(0..n)
        .unwrap()
}

/// Meters with an injected (mix) event: their readings were changed at the
/// series' resolution, so only the others must agree with the monthly view.
fn mix_event_meters(b: &MeterBatch) -> Vec<u32> {
    b.events()
        .iter()
        .filter(|e| e.event_type != AnomalyType::MISSING_DATA && e.event_type != AnomalyType::TYPHOON_OUTAGE)
        .map(|e| e.meter_id.index())
        .collect()
}

#[test]
fn readings_sum_to_the_monthly_view_of_the_same_seed() {
    let monthly = batch(config(Resolution::Monthly, 14));
    for resolution in [Resolution::Daily, Resolution::Hourly, Resolution::FifteenMinutes] {
        let b = batch(config(resolution, 14));
        let axis = *b.axis();
        let touched = mix_event_meters(&b);
        assert_eq!(
            touched,
            mix_event_meters(&monthly),
            "the same meters get the same events"
        );
        let mut compared = 0;
        for i in 0..b.meters().len() {
            if touched.contains(&(i as u32)) {
                continue;
            }
            for m in 0..14 {
                let units: i64 = b.readings(i)[axis.month_range(m)]
                    .iter()
                    .map(|v| (v * 1000.0).round() as i64)
                    .sum();
                let written = format!("{:.2}", monthly.series(i)[m]);
                assert_eq!(
                    format!("{:.2}", units as f64 / 1000.0),
                    written,
                    "{resolution} meter {i} month {m}"
                );
                assert_eq!(
                    format!("{:.2}", b.series(i)[m]),
                    written,
                    "the interval dataset's monthly row"
                );
                compared += 1;
            }
        }
        assert!(compared > 300 * 14, "{compared}");
    }
}

#[test]
fn readings_are_whole_register_units() {
    for (register, resolution) in [(0.001, Resolution::Hourly), (0.01, Resolution::Daily)] {
        let c = GeneratorConfig {
            register_resolution_kwh: register,
            ..config(resolution, 3)
        };
        let b = batch(c);
        for &v in b.all_readings() {
            let units = v / register;
            assert!(
                v >= 0.0 && (units - units.round()).abs() < 1e-6,
                "{v} is not a multiple of {register}"
            );
        }
    }
}

#[test]
fn timestamps_are_contiguous_across_month_ends_and_leap_days() {
    for resolution in [Resolution::Daily, Resolution::Hourly, Resolution::FifteenMinutes] {
        let axis = TimeAxis::new(YearMonth::new(2023, 11).unwrap(), 6, resolution).unwrap();
        let step = resolution.interval_seconds().unwrap();
        for i in 1..axis.len() {
            assert_eq!(axis.timestamp(i) - axis.timestamp(i - 1), step, "{resolution} at {i}");
        }
        // Nov 30 + Dec 31 + Jan 31 + Feb 29 (2024 is a leap year) + Mar 31 + Apr 30.
        assert_eq!(axis.days(), 182);
        assert_eq!(axis.len(), 182 * resolution.intervals_per_day().unwrap());
        let feb = axis.month_range(3);
        assert_eq!(feb.len(), 29 * resolution.intervals_per_day().unwrap());
        assert_eq!(axis.month(feb.start).to_string(), "2024-02");
        assert_eq!(axis.month(feb.end).to_string(), "2024-03");
        // Months tile the axis with no gap or overlap.
        let mut next = 0;
        for m in 0..axis.months() {
            assert_eq!(axis.month_range(m).start, next);
            next = axis.month_range(m).end;
        }
        assert_eq!(next, axis.len());
    }
    let hourly = TimeAxis::new(YearMonth::new(2024, 2).unwrap(), 2, Resolution::Hourly).unwrap();
    assert_eq!(hourly.timestamp_string(29 * 24 - 1), "2024-02-29T23:00:00+08:00");
    assert_eq!(hourly.timestamp_string(29 * 24), "2024-03-01T00:00:00+08:00");
    // 2024-02-01T00:00+08:00 is 2024-01-31T16:00Z.
    assert_eq!(hourly.timestamp(0), 1_706_716_800);
}

/// Mean daily energy of each meter class on each kind of day.
fn daily_means(b: &MeterBatch, class: CustomerClass, pick: impl Fn(Date) -> bool) -> f64 {
    let axis = b.axis();
    let per_day = axis.intervals_per_day().unwrap();
    let touched = mix_event_meters(b);
    let (mut sum, mut n) = (0.0, 0usize);
    for (i, m) in b.meters().iter().enumerate() {
        if m.customer_class != class || touched.contains(&(i as u32)) {
            continue;
        }
        let r = b.readings(i);
        for d in 0..axis.days() {
            let total: f64 = r[d * per_day..(d + 1) * per_day].iter().sum();
            // Typhoon outage days (zero) are not a kind of day.
            if total > 0.0 && pick(axis.date(d)) {
                sum += total / m.baseline_kwh;
                n += 1;
            }
        }
    }
    sum / n as f64
}

#[test]
fn weekends_and_holidays_follow_their_shapes() {
    let c = GeneratorConfig {
        num_meters: 1500,
        num_transformers: 30,
        ..config(Resolution::Hourly, 12)
    };
    let holidays = c.holidays_for(&c.axis().unwrap());
    let b = batch(c);
    let holiday = |d: Date| holidays.binary_search(&d).is_ok();
    let weekday = |d: Date| !d.weekday().is_weekend() && !holiday(d);
    let sunday_or_holiday = |d: Date| d.weekday() == Weekday::Sunday || holiday(d);
    let com_weekday = daily_means(&b, CustomerClass::Commercial, weekday);
    let com_sunday = daily_means(&b, CustomerClass::Commercial, sunday_or_holiday);
    assert!(
        com_sunday < 0.7 * com_weekday,
        "commercial Sunday {com_sunday} vs weekday {com_weekday}"
    );
    // A holiday on a weekday (Independence Day, Wednesday 2024-06-12) looks like a Sunday.
    let june12 = Date::new(2024, 6, 12).unwrap();
    assert!(holiday(june12) && june12.weekday() == Weekday::Wednesday);
    let com_june12 = daily_means(&b, CustomerClass::Commercial, |d| d == june12);
    assert!(
        com_june12 < 0.75 * com_weekday,
        "commercial on 12 June {com_june12} vs weekday {com_weekday}"
    );
    let res_weekday = daily_means(&b, CustomerClass::Residential, weekday);
    let res_weekend = daily_means(&b, CustomerClass::Residential, |d| d.weekday().is_weekend());
    assert!(
        res_weekend > res_weekday,
        "residential weekend {res_weekend} vs weekday {res_weekday}"
    );
    let ind_weekday = daily_means(&b, CustomerClass::Industrial, weekday);
    let ind_sunday = daily_means(&b, CustomerClass::Industrial, sunday_or_holiday);
    assert!(
        ind_sunday < 0.7 * ind_weekday,
        "industrial Sunday {ind_sunday} vs weekday {ind_weekday}"
    );

    // Hour of day: residential peaks in the evening, commercial in business hours.
    let mut by_hour = [[0.0f64; 24]; 3];
    for (i, m) in b.meters().iter().enumerate() {
        let class = m.customer_class as usize;
        for (k, v) in b.readings(i).iter().enumerate() {
            by_hour[class][k % 24] += v / m.baseline_kwh;
        }
    }
    let peak = |h: &[f64; 24]| h.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
    let res = by_hour[CustomerClass::Residential as usize];
    assert!((18..=21).contains(&peak(&res)), "residential peak at {}h", peak(&res));
    assert!(res[19] > 2.0 * res[3], "evening over night");
    let com = by_hour[CustomerClass::Commercial as usize];
    assert!((9..=16).contains(&peak(&com)), "commercial peak at {}h", peak(&com));
    assert!(com[11] > 2.5 * com[2], "business hours over night");
}

#[test]
#[cfg(feature = "csv")]
fn hotter_days_use_more_energy_on_a_supplied_weather_file() {
    let c = GeneratorConfig {
        num_meters: 800,
        num_transformers: 20,
        ..config(Resolution::Daily, 6)
    };
    let axis = c.axis().unwrap();
    // A weather file as a user writes it: one row per day for every barangay
    // (no barangay column), alternating 32 °C and 25 °C days: 8 °C against
    // 1 °C above the 24 °C cooling base.
    let hot = |d: usize| d % 2 == 1;
    let mut file = String::from("date,temperature_c\n");
    for d in 0..axis.days() {
        file.push_str(&format!("{},{}\n", axis.date(d), if hot(d) { "32.0" } else { "25.0" }));
    }
    let weather = ghostload::io::read_weather_csv(file.as_bytes(), &c.barangays, &axis).unwrap();
    let b = Pipeline::builder()
        .config(c)
        .weather(weather)
        .build()
        .unwrap()
        .generate_batch(0..800)
        .unwrap();
    let first = b.axis().date(0).days_since_epoch();
    let is_hot = |d: Date| hot((d.days_since_epoch() - first) as usize);
    let hot_days = daily_means(&b, CustomerClass::Residential, |d| {
        is_hot(d) && !d.weekday().is_weekend()
    });
    let cool_days = daily_means(&b, CustomerClass::Residential, |d| {
        !is_hot(d) && !d.weekday().is_weekend()
    });
    // The residential response is 5 % per °C: (1 + 0.40) / (1 + 0.05) ≈ 1.33.
    let ratio = hot_days / cool_days;
    assert!((1.2..1.45).contains(&ratio), "hot/cool ratio {ratio}");
    let ind_ratio = daily_means(&b, CustomerClass::Industrial, |d| {
        is_hot(d) && !d.weekday().is_weekend()
    }) / daily_means(&b, CustomerClass::Industrial, |d| {
        !is_hot(d) && !d.weekday().is_weekend()
    });
    assert!(
        ind_ratio < ratio,
        "industrial responds less ({ind_ratio}) than residential ({ratio})"
    );
}

#[test]
fn weather_that_does_not_cover_the_series_is_refused() {
    let c = config(Resolution::Daily, 2);
    let axis = c.axis().unwrap();
    let short = Weather::from_days(axis.date(0), 10, 10, vec![28.0; 100], vec![false; 100]).unwrap();
    let err = Pipeline::builder().config(c).weather(short).build().unwrap_err();
    assert!(err.to_string().contains("weather"), "{err}");
}

#[test]
fn no_two_meters_alike() {
    let b = batch(config(Resolution::Hourly, 1));
    let res: Vec<usize> = (0..b.meters().len())
        .filter(|&i| b.meters()[i].customer_class == CustomerClass::Residential)
        .take(2)
        .collect();
    let profile = |i: usize| {
        let mut h = [0.0f64; 24];
        for (k, v) in b.readings(i).iter().enumerate() {
            h[k % 24] += v;
        }
        let s: f64 = h.iter().sum();
        h.map(|v| v / s)
    };
    let (a, c) = (profile(res[0]), profile(res[1]));
    let diff: f64 = a.iter().zip(&c).map(|(x, y)| (x - y).abs()).sum();
    assert!(
        diff > 0.05,
        "two residential meters' daily profiles differ by only {diff}"
    );
}

#[test]
fn typhoon_days_are_outages_listed_as_benign_events() {
    let mut c = config(Resolution::Hourly, 12);
    c.weather.typhoons_per_year = 6.0;
    let b = batch(c);
    let outages: Vec<_> = b
        .events()
        .iter()
        .filter(|e| e.event_type == AnomalyType::TYPHOON_OUTAGE)
        .collect();
    assert!(!outages.is_empty());
    for e in &outages {
        assert!(!e.is_anomaly && !e.is_theft);
        let i = e.meter_id.index() as usize;
        let end = e.end.unwrap();
        assert_eq!((e.onset % 24, end % 24), (0, 23), "whole days");
        assert!(
            b.readings(i)[e.onset..=end].iter().all(|&v| v == 0.0),
            "meter {i} consumed during the outage"
        );
        assert!(
            b.label(e.meter_id)
                .is_none_or(|l| l.anomaly_type != AnomalyType::TYPHOON_OUTAGE)
        );
    }
}

#[test]
fn missing_runs_are_listed_as_events_and_cover_the_rate() {
    let c = GeneratorConfig {
        missing_rate: 0.02,
        ..config(Resolution::Hourly, 6)
    };
    let b = batch(c);
    let runs = b.missing();
    let events: Vec<_> = b
        .events()
        .iter()
        .filter(|e| e.event_type == AnomalyType::MISSING_DATA)
        .collect();
    assert_eq!(runs.len(), events.len());
    for (r, e) in runs.iter().zip(&events) {
        assert_eq!(
            (r.meter_id, r.start, Some(r.start + r.len - 1)),
            (e.meter_id, e.onset, e.end)
        );
        assert!(!e.is_anomaly);
    }
    let missing: usize = runs.iter().map(|r| r.len).sum();
    let share = missing as f64 / b.all_readings().len() as f64;
    assert!((0.015..0.025).contains(&share), "missing share {share}");
    let none = batch(config(Resolution::Hourly, 6));
    assert!(none.missing().is_empty());
}

#[test]
fn any_thread_count_gives_the_same_readings() {
    let c = GeneratorConfig {
        missing_rate: 0.01,
        ..config(Resolution::FifteenMinutes, 2)
    };
    let one = Pipeline::builder()
        .config(c.clone())
        .threads(1)
        .build()
        .unwrap()
        .generate_batch(0..400)
        .unwrap();
    let two = Pipeline::builder()
        .config(c)
        .threads(2)
        .build()
        .unwrap()
        .generate_batch(0..400)
        .unwrap();
    assert_eq!(one, two);
}

#[test]
fn monthly_resolution_has_no_readings() {
    let b = batch(config(Resolution::Monthly, 12));
    assert_eq!(b.intervals(), 0);
    assert!(b.all_readings().is_empty() && b.missing().is_empty());
    assert!(b.events().iter().all(|e| e.event_type != AnomalyType::TYPHOON_OUTAGE));
}
