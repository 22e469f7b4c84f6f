//! Daily weather per barangay: a synthetic temperature series with a
//! seasonal cycle, persistence and heat waves, typhoon days, or the user's own.
//!
//! Weather shapes interval data only: it moves a month's energy between its
//! days (hotter days get more, see [`LoadShapeConfig`](crate::LoadShapeConfig)) and
//! takes typhoon days out (area-wide outages); the monthly totals stay the
//! consumption model's. Defaults and sources: `docs/model.md` §5.2.

use rand::Rng;

use crate::calendar::Date;
use crate::error::{ConfigError, check_range};
use crate::normal::standard_normal;
use crate::rng::{Purpose, Streams};
use crate::time::TimeAxis;

/// Parameters of the synthetic weather. Defaults describe Metro Manila.
///
/// Temperature of barangay `b` on day `d` (daily mean, °C):
/// `normal(d) + a_d + l_{b,d} + heat`, where `normal` interpolates
/// `monthly_normals_c` linearly between mid-months,
/// where `a` is an area-wide AR(1) anomaly (`persistence`, stationary SD
/// `anomaly_sd_c`), `l` a smaller local AR(1) anomaly per barangay
/// (`local_sd_c`), and `heat` adds `heat_wave_c` on the days of a heat wave.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct WeatherConfig {
    /// Mean daily temperature of each month, January first, °C (each
    /// −10 ..= 45). Default: Manila's climate, rounded from PAGASA's
    /// climatological normals for Port Area, Manila: coolest in January
    /// (26.5), hottest in May (29.8), before the south-west monsoon.
    pub monthly_normals_c: [f64; 12],
    /// Lag-one autocorrelation of the day-to-day anomaly (0 ..= 0.99). Default 0.7.
    pub persistence: f64,
    /// Standard deviation of the area-wide daily anomaly, °C (0 ..= 10). Default 0.8.
    pub anomaly_sd_c: f64,
    /// Standard deviation of each barangay's own anomaly, °C (0 ..= 5). Default 0.3.
    pub local_sd_c: f64,
    /// Heat waves per year, starting in March–May (0 ..= 12). Default 1.0.
    pub heat_waves_per_year: f64,
    /// Days a heat wave lasts (1 ..= 30). Default 5.
    pub heat_wave_days: u32,
    /// Extra temperature during a heat wave, °C (0 ..= 10). Default 2.0.
    pub heat_wave_c: f64,
    /// Typhoons per year that cut power in the area, June–November
    /// (0 ..= 20). Default 2.0. Each cuts a random share (30–100 %) of the
    /// barangays for 1–2 days, and cools them by 2 °C.
    pub typhoons_per_year: f64,
}

/// Manila's monthly mean temperatures, °C, January to December (rounded;
/// see [`WeatherConfig::monthly_normals_c`]).
pub const MANILA_NORMALS_C: [f64; 12] = [26.5, 27.0, 28.2, 29.5, 29.8, 29.0, 28.2, 28.0, 27.9, 27.8, 27.4, 26.8];

impl Default for WeatherConfig {
    fn default() -> Self {
        WeatherConfig {
            monthly_normals_c: MANILA_NORMALS_C,
            persistence: 0.7,
            anomaly_sd_c: 0.8,
            local_sd_c: 0.3,
            heat_waves_per_year: 1.0,
            heat_wave_days: 5,
            heat_wave_c: 2.0,
            typhoons_per_year: 2.0,
        }
    }
}

impl WeatherConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the field (`weather.mean_c`, ...).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for t in self.monthly_normals_c {
            check_range(
                "weather.monthly_normals_c",
                t,
                -10.0,
                45.0,
                "-10.0 ..= 45.0 for each month",
            )?;
        }
        check_range("weather.persistence", self.persistence, 0.0, 0.99, "0.0 ..= 0.99")?;
        check_range("weather.anomaly_sd_c", self.anomaly_sd_c, 0.0, 10.0, "0.0 ..= 10.0")?;
        check_range("weather.local_sd_c", self.local_sd_c, 0.0, 5.0, "0.0 ..= 5.0")?;
        check_range(
            "weather.heat_waves_per_year",
            self.heat_waves_per_year,
            0.0,
            12.0,
            "0.0 ..= 12.0",
        )?;
        if !(1..=30).contains(&self.heat_wave_days) {
            return Err(ConfigError::out_of_range(
                "weather.heat_wave_days",
                self.heat_wave_days,
                "1 ..= 30",
            ));
        }
        check_range("weather.heat_wave_c", self.heat_wave_c, 0.0, 10.0, "0.0 ..= 10.0")?;
        check_range(
            "weather.typhoons_per_year",
            self.typhoons_per_year,
            0.0,
            20.0,
            "0.0 ..= 20.0",
        )
    }
}

/// The weather of every barangay on every day of an axis: daily mean
/// temperature and whether a typhoon cut the power.
///
/// Built by the pipeline from [`WeatherConfig`], or by you from your own
/// data ([`Weather::from_days`], or `io::read_weather_csv` with the `csv`
/// feature) and given to [`PipelineBuilder::weather`](crate::PipelineBuilder::weather).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Weather {
    first_day: Date,
    days: usize,
    barangays: usize,
    /// `barangays × days`, barangay-major.
    temperature_c: Vec<f32>,
    /// `barangays × days`; `true` on an outage day.
    outage: Vec<bool>,
}

/// Largest `barangays × days` a weather table may hold (64 M cells, 320 MB).
pub const MAX_WEATHER_CELLS: usize = 1 << 26;

impl Weather {
    /// A table from its values: `temperature_c[b * days + d]` is barangay
    /// `b`'s mean temperature on day `d` (from `first_day`), and `outage`
    /// (same layout) marks typhoon outage days.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming `weather` when the lengths do not
    /// match `barangays × days`, the table is larger than
    /// [`MAX_WEATHER_CELLS`], or a temperature is not finite in −50 ..= 60 °C.
    pub fn from_days(
        first_day: Date,
        days: usize,
        barangays: usize,
        temperature_c: Vec<f32>,
        outage: Vec<bool>,
    ) -> Result<Weather, ConfigError> {
        let cells = barangays.checked_mul(days).filter(|&c| c <= MAX_WEATHER_CELLS);
        let Some(cells) = cells else {
            return Err(ConfigError::out_of_range(
                "weather",
                format!("{barangays} barangays × {days} days"),
                "at most 67108864 barangay-days",
            ));
        };
        if temperature_c.len() != cells || outage.len() != cells {
            return Err(ConfigError::out_of_range(
                "weather",
                format!(
                    "{} temperatures, {} outage flags for {barangays} barangays × {days} days = {cells}",
                    temperature_c.len(),
                    outage.len()
                ),
                "barangays × days of each",
            ));
        }
        if let Some(t) = temperature_c.iter().find(|t| !(-50.0..=60.0).contains(*t)) {
            return Err(ConfigError::out_of_range(
                "weather.temperature_c",
                t,
                "-50.0 ..= 60.0 °C",
            ));
        }
        Ok(Weather {
            first_day,
            days,
            barangays,
            temperature_c,
            outage,
        })
    }

    /// The synthetic weather of `barangays` barangays over the days of `axis`.
    ///
    /// # Errors
    /// [`ConfigError`] when `config` is invalid or the table would exceed
    /// [`MAX_WEATHER_CELLS`].
    pub fn synthetic(
        config: &WeatherConfig,
        axis: &TimeAxis,
        barangays: usize,
        seed: u64,
    ) -> Result<Weather, ConfigError> {
        config.validate()?;
        synthesize(config, axis, barangays, &Streams::new(seed))
    }

    /// First day covered.
    #[must_use]
    pub fn first_day(&self) -> Date {
        self.first_day
    }

    /// Number of days covered.
    #[must_use]
    pub fn days(&self) -> usize {
        self.days
    }

    /// Number of barangays covered.
    #[must_use]
    pub fn barangays(&self) -> usize {
        self.barangays
    }

    /// Daily mean temperatures of barangay `b` (0-based), °C, one per day.
    ///
    /// # Panics
    /// When `b >= self.barangays()`.
    #[must_use]
    pub fn temperatures(&self, b: usize) -> &[f32] {
        &self.temperature_c[b * self.days..(b + 1) * self.days]
    }

    /// Typhoon outage flags of barangay `b`, one per day.
    ///
    /// # Panics
    /// When `b >= self.barangays()`.
    #[must_use]
    pub fn outages(&self, b: usize) -> &[bool] {
        &self.outage[b * self.days..(b + 1) * self.days]
    }

    /// Whether this table covers exactly the days of `axis` for `barangays` barangays.
    #[must_use]
    pub fn covers(&self, axis: &TimeAxis, barangays: usize) -> bool {
        self.first_day == axis.date(0) && self.days == axis.days() && self.barangays == barangays
    }
}

/// Generates the table; `config` is valid.
pub(crate) fn synthesize(
    config: &WeatherConfig,
    axis: &TimeAxis,
    barangays: usize,
    streams: &Streams,
) -> Result<Weather, ConfigError> {
    let days = axis.days();
    let first_day = axis.date(0);
    let area = area_series(config, axis, streams);
    let mut temperature_c = Vec::with_capacity(barangays.saturating_mul(days).min(MAX_WEATHER_CELLS));
    let mut outage = vec![false; barangays.saturating_mul(days).min(MAX_WEATHER_CELLS)];
    let phi = config.persistence;
    let innovation = (1.0 - phi * phi).sqrt();
    for b in 0..barangays {
        let mut rng = streams.stream(Purpose::Weather, 1 + b as u64);
        let mut local = config.local_sd_c * standard_normal(&mut rng);
        for &t in &area {
            temperature_c.push((t + local) as f32);
            local = phi * local + config.local_sd_c * innovation * standard_normal(&mut rng);
        }
    }
    // Typhoons: area-wide events, each hitting a share of the barangays.
    let mut rng = streams.stream(Purpose::Typhoon, 0);
    for start in season_events(&mut rng, axis, config.typhoons_per_year, 6..=11) {
        let length = rng.random_range(1..=2usize);
        let share = rng.random_range(0.3..=1.0f64);
        for b in 0..barangays {
            if rng.random::<f64>() >= share {
                continue;
            }
            for d in start..(start + length).min(days) {
                outage[b * days + d] = true;
                temperature_c[b * days + d] -= 2.0;
            }
        }
    }
    Weather::from_days(first_day, days, barangays, temperature_c, outage)
}

/// The area-wide temperature of every day: seasonal cycle, AR(1) anomaly, heat waves.
fn area_series(config: &WeatherConfig, axis: &TimeAxis, streams: &Streams) -> Vec<f64> {
    let days = axis.days();
    let mut rng = streams.stream(Purpose::Weather, 0);
    let phi = config.persistence;
    let innovation = (1.0 - phi * phi).sqrt();
    let mut anomaly = config.anomaly_sd_c * standard_normal(&mut rng);
    let mut out = Vec::with_capacity(days);
    for d in 0..days {
        out.push(normal_on(&config.monthly_normals_c, axis.date(d)) + anomaly);
        anomaly = phi * anomaly + config.anomaly_sd_c * innovation * standard_normal(&mut rng);
    }
    let mut heat = streams.stream(Purpose::Weather, u64::MAX);
    for start in season_events(&mut heat, axis, config.heat_waves_per_year, 3..=5) {
        for t in out.iter_mut().skip(start).take(config.heat_wave_days as usize) {
            *t += config.heat_wave_c;
        }
    }
    out
}

/// The climatological temperature of `date`: linear between the normals
/// of the two nearest mid-months (a month's normal holds on its 16th).
fn normal_on(normals: &[f64; 12], date: Date) -> f64 {
    let m = usize::from(date.month()) - 1;
    let days = f64::from(date.year_month().days());
    // Position in months from the middle of this month (−0.5 ..< 0.5).
    let x = (f64::from(date.day()) - 1.0) / days - 0.5;
    let (a, b, t) = if x < 0.0 {
        ((m + 11) % 12, m, x + 1.0)
    } else {
        (m, (m + 1) % 12, x)
    };
    normals[a] * (1.0 - t) + normals[b] * t
}

/// Start days of events occurring `per_year` times a year, uniformly over
/// the days of the months `season` (month numbers), as a Poisson process:
/// each season day starts one with probability `per_year / season days`.
fn season_events<R: Rng + ?Sized>(
    rng: &mut R,
    axis: &TimeAxis,
    per_year: f64,
    season: std::ops::RangeInclusive<u8>,
) -> Vec<usize> {
    let season_days: f64 = (1..=12u8)
        .filter(|m| season.contains(m))
        .map(|m| f64::from(crate::time::YearMonth::new(2023, m).map_or(30, |ym| ym.days())))
        .sum();
    let p = (per_year / season_days.max(1.0)).min(1.0);
    (0..axis.days())
        .filter(|&d| {
            // One draw per day, in season or not, so that the season's
            // bounds do not shift the other days' draws.
            let u = rng.random::<f64>();
            season.contains(&axis.date(d).month()) && u < p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Resolution, YearMonth};

    fn axis(months: usize) -> TimeAxis {
        TimeAxis::new(YearMonth::new(2024, 1).unwrap(), months, Resolution::Daily).unwrap()
    }

    #[test]
    fn seasonal_cycle_peaks_in_april_or_may() {
        let config = WeatherConfig {
            heat_waves_per_year: 0.0,
            typhoons_per_year: 0.0,
            ..Default::default()
        };
        let a = axis(120);
        let w = Weather::synthetic(&config, &a, 1, 7).unwrap();
        let mut by_month = [0.0f64; 12];
        let mut counts = [0usize; 12];
        for (d, t) in w.temperatures(0).iter().enumerate() {
            let m = usize::from(a.date(d).month()) - 1;
            by_month[m] += f64::from(*t);
            counts[m] += 1;
        }
        let means: Vec<f64> = by_month.iter().zip(counts).map(|(s, c)| s / c as f64).collect();
        let hottest = means.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert!(
            hottest == 3 || hottest == 4,
            "hottest month {} in {means:?}",
            hottest + 1
        );
        let coolest = means.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert!(coolest == 11 || coolest <= 1, "coolest month {}", coolest + 1);
        let expected = MANILA_NORMALS_C.iter().sum::<f64>() / 12.0;
        let mean = means.iter().sum::<f64>() / 12.0;
        assert!((mean - expected).abs() < 0.3, "annual mean {mean}");
    }

    #[test]
    fn anomalies_persist_from_day_to_day() {
        let config = WeatherConfig {
            monthly_normals_c: [28.0; 12],
            heat_waves_per_year: 0.0,
            typhoons_per_year: 0.0,
            ..Default::default()
        };
        let w = Weather::synthetic(&config, &axis(120), 1, 3).unwrap();
        let t: Vec<f64> = w.temperatures(0).iter().map(|&v| f64::from(v) - 28.0).collect();
        let lag1: f64 = t.windows(2).map(|p| p[0] * p[1]).sum::<f64>() / t.iter().map(|v| v * v).sum::<f64>();
        assert!((0.55..0.85).contains(&lag1), "lag-one autocorrelation {lag1}");
    }

    #[test]
    fn typhoons_cut_power_in_season_only() {
        let config = WeatherConfig {
            typhoons_per_year: 6.0,
            ..Default::default()
        };
        let a = axis(60);
        let w = Weather::synthetic(&config, &a, 10, 11).unwrap();
        let mut outage_days = 0;
        for b in 0..10 {
            for (d, &o) in w.outages(b).iter().enumerate() {
                if o {
                    outage_days += 1;
                    assert!((6..=11).contains(&a.date(d).month()), "outage on {}", a.date(d));
                }
            }
        }
        assert!(outage_days > 0);
        let none = Weather::synthetic(
            &WeatherConfig {
                typhoons_per_year: 0.0,
                ..config
            },
            &a,
            10,
            11,
        )
        .unwrap();
        assert!((0..10).all(|b| none.outages(b).iter().all(|o| !o)));
    }

    #[test]
    fn same_seed_same_weather() {
        let a = axis(12);
        let c = WeatherConfig::default();
        assert_eq!(
            Weather::synthetic(&c, &a, 3, 5).unwrap(),
            Weather::synthetic(&c, &a, 3, 5).unwrap()
        );
        assert_ne!(
            Weather::synthetic(&c, &a, 3, 5).unwrap(),
            Weather::synthetic(&c, &a, 3, 6).unwrap()
        );
    }

    #[test]
    fn bad_tables_are_refused() {
        let d = Date::new(2024, 1, 1).unwrap();
        assert_eq!(
            Weather::from_days(d, 2, 1, vec![20.0], vec![false; 2])
                .unwrap_err()
                .field(),
            "weather"
        );
        let err = Weather::from_days(d, 1, 1, vec![f32::NAN], vec![false]).unwrap_err();
        assert_eq!(err.field(), "weather.temperature_c");
        let bad = WeatherConfig {
            persistence: 1.0,
            ..Default::default()
        };
        assert_eq!(bad.validate().unwrap_err().field(), "weather.persistence");
    }
}
