//! [`GeneratorConfig`]: every parameter of a dataset, its default, unit and allowed range.
//!
//! The defaults reproduce the original Python tool's dataset (seed 42, 50
//! transformers, 2 000 meters, 12 months, 7.5 % anomalies) with its known
//! mistakes corrected; `docs/model.md` gives the source of each number.

use std::collections::BTreeMap;

use crate::anomaly::{DEFAULT_ANOMALY_MIX, DEFAULT_BENIGN_MIX, DEFAULT_MIN_NORMAL_PERIODS};
use crate::capacity::CapacityConfig;
use crate::consumption::{ClassProfile, ConsumptionConfig};
use crate::error::{ConfigError, check_range};
use crate::geo::GeoBounds;
use crate::time::YearMonth;

/// The complete description of a dataset to generate.
///
/// A plain data struct with public fields: build one with
/// `GeneratorConfig { num_meters: 500, ..Default::default() }`, then hand it to
/// [`Pipeline::builder`](crate::Pipeline::builder), which validates it once.
///
/// ```
/// use ghostload::GeneratorConfig;
/// let config = GeneratorConfig { num_meters: 500, num_transformers: 20, ..Default::default() };
/// assert!(config.validate().is_ok());
/// let bad = GeneratorConfig { anomaly_rate: 1.5, ..Default::default() };
/// assert_eq!(bad.validate().unwrap_err().field(), "anomaly_rate");
/// ```
///
/// # Adding fields
/// The configuration grows with the model (interval resolution, weather,
/// losses...). Write it with `..Default::default()` (or start from
/// [`GeneratorConfig::preset`] or a TOML file): every new field comes with a
/// default that leaves existing datasets unchanged, so code and files
/// written that way keep working. The same holds for [`ClassMix`],
/// [`CapacityConfig`](crate::CapacityConfig),
/// [`ConsumptionConfig`](crate::ConsumptionConfig),
/// [`ClassProfile`](crate::ClassProfile) and
/// [`GeoBounds`](crate::GeoBounds). The fields stay public (not
/// `#[non_exhaustive]`) because that struct-update syntax is how they are
/// meant to be written; the generated data types, which you only read, are
/// `#[non_exhaustive]`.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct GeneratorConfig {
    /// Master seed; every random draw derives from it. Any `u64` (a TOML
    /// file holds at most 9 223 372 036 854 775 807). Default 42.
    pub seed: u64,
    /// Number of distribution transformers
    /// (1 ..= [`MAX_TRANSFORMERS`](Self::MAX_TRANSFORMERS) = 10 000 000: the
    /// network stays in memory for the whole run, about 120 bytes per
    /// transformer). Default 50.
    pub num_transformers: usize,
    /// Number of customer meters (`num_transformers` ..=
    /// [`MAX_ENTITIES`](Self::MAX_ENTITIES) = 4 294 967 295, the last 32-bit
    /// meter id). Streamed to disk in bounded memory, so the count only sets
    /// the run time and the output size. Default 2 000.
    pub num_meters: usize,
    /// Number of monthly periods in each series (1 ..= 1200, and the last
    /// month no later than 9999-12). Default 12.
    pub num_months: usize,
    /// First month of every series (0001-01 ..= 9999-12). Default 2024-01.
    /// Never taken from the clock.
    pub start_month: YearMonth,
    /// Share of meters that carry an anomaly (0 ..= 1). Exactly
    /// `round(anomaly_rate × num_meters)` meters are anomalous. Default 0.075.
    pub anomaly_rate: f64,
    /// Weight of each built-in anomaly type among the anomalous meters, by
    /// type name (see [`crate::anomaly`] for the names). Each weight finite
    /// and ≥ 0; at least one > 0 when `anomaly_rate > 0`. Per type, exactly
    /// the largest-remainder share of the anomalous meters
    /// (largest remainder, Hamilton's method; ties to the
    /// type first in name order). Giving the table replaces the whole default
    /// mix: list every type you want. Default:
    /// [`DEFAULT_ANOMALY_MIX`].
    pub anomaly_mix: BTreeMap<String, f64>,
    /// Share of the *normal* meters that get a benign look-alike event
    /// (0 ..= 1): exactly `round(benign_rate × (num_meters − anomalous meters))`.
    /// Benign events are listed in the dataset's events, never in its
    /// labels. `0` restores the original behaviour. Default 0.02.
    pub benign_rate: f64,
    /// Weight of each benign event type (`vacancy`, `new_connection`,
    /// `solar_install`, `outage`), as for `anomaly_mix`; at least one > 0
    /// when `benign_rate > 0`. Default: equal weights.
    pub benign_mix: BTreeMap<String, f64>,
    /// The periods an event's severity (and so its label's risk band) is
    /// measured over: `series` (the whole series) or `event` (onset to end).
    /// See [`SeverityWindow`](crate::SeverityWindow). Default `series`.
    pub severity_window: crate::model::SeverityWindow,
    /// Normal periods the built-in injectors leave before an onset (see
    /// [`OnsetWindow`](crate::anomaly::OnsetWindow); 0 ..= 1200). The design's
    /// `low_consumption` decline ignores it and starts at period 0. Default 3.
    pub min_normal_periods: usize,
    /// How tightly transformers cluster around their barangay centre
    /// (0 ..= 1; **1 is tightest**). Default 0.7.
    pub spatial_clustering_strength: f64,
    /// Meters each transformer serves at least (≥ 1, no upper limit). Lowered, with a
    /// warning, to `num_meters / num_transformers` when that is smaller. Default 10.
    pub min_meters_per_transformer: usize,
    /// Transformers per feeder (≥ 1, no upper limit: any value ≥
    /// `num_transformers` gives a single feeder); feeders group spatially
    /// adjacent transformers. Default 10.
    pub transformers_per_feeder: usize,
    /// Typical distance of a meter from its transformer, metres (0 ..= 5 000):
    /// the standard deviation of the offset on each axis. Default 100 m.
    pub meter_spread_m: f64,
    /// Names of the barangays transformers cluster in (1 ..= 65 535 non-empty,
    /// distinct names). Default: ten names from the original tool.
    pub barangays: Vec<String>,
    /// The box every coordinate lies in.
    pub bounds: GeoBounds,
    /// Probabilities of each customer class.
    pub class_mix: ClassMix,
    /// Transformer capacity distribution.
    pub capacity: CapacityConfig,
    /// Consumption model parameters.
    pub consumption: ConsumptionConfig,
    /// Full scale of every meter's register, kWh per meter-period (> 0,
    /// ≤ 10¹²): a value above it, whether the consumption model drew it or an
    /// injector produced it, is recorded as `max_kwh` and counted in
    /// [`ClipStats`](crate::ClipStats). Default 10 000
    /// ([`STRICT_LOADER_MAX_KWH`](Self::STRICT_LOADER_MAX_KWH), the original
    /// tool's ML loader's strict upper bound), so the default dataset loads
    /// there whatever the seed; [`Preset::Utility`] lifts it. At interval
    /// resolutions it bounds each month's sum of readings.
    pub max_kwh: f64,
    /// The series' resolution: `monthly` (default: the monthly files only),
    /// or `daily`, `hourly`, `15min`, which add the `meter_readings` table.
    /// Whatever the resolution, a meter's readings sum to the monthly
    /// totals the monthly view writes (anomalies and events aside, which act
    /// at the series' resolution).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub resolution: crate::time::Resolution,
    /// The zone timestamps are written in: an offset `±HH:MM` or a zone
    /// without daylight saving (see [`TimeZone`](crate::TimeZone)). Default `Asia/Manila` (UTC+08:00).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub timezone: crate::calendar::TimeZone,
    /// Smallest step of an interval reading, kWh: `0.001` (default, the
    /// resolution of most AMI registers and of the CER/LCL trial data) or
    /// `0.01`. Readings are whole multiples of it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default_register"))]
    pub register_resolution_kwh: f64,
    /// Public holidays, which take the Sunday shape: `None` (default) for
    /// the Philippine regular holidays of every year covered
    /// ([`philippine_regular_holidays`](crate::philippine_regular_holidays)),
    /// or your own list of dates (`[]` for none).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub holidays: Option<Vec<crate::calendar::Date>>,
    /// Expected share of interval readings missing (communication outages),
    /// 0 ..= 0.5. Missing readings are empty in CSV and null in Parquet, and
    /// each run is a benign `missing_data` event; the register keeps
    /// counting, so the monthly totals still include them. Default 0.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_zero"))]
    pub missing_rate: f64,
    /// Mean length of a run of missing readings, hours (0.25 ..= 720; runs
    /// are geometric, at least one interval). Default 6.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default_run"))]
    pub missing_run_hours: f64,
    /// The synthetic weather (interval resolutions only).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub weather: crate::weather::WeatherConfig,
    /// Daily load shapes (interval resolutions only).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub load_shape: crate::consumption::LoadShapeConfig,
    /// The transformer and feeder energy balance (every resolution): losses,
    /// street lights, the meters' accuracy. See [`BalanceConfig`](crate::BalanceConfig).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_default"))]
    pub balance: crate::balance::BalanceConfig,
}

#[cfg(feature = "serde")]
fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[cfg(feature = "serde")]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

#[cfg(feature = "serde")]
fn is_default_register(v: &f64) -> bool {
    *v == GeneratorConfig::DEFAULT_REGISTER_RESOLUTION_KWH
}

#[cfg(feature = "serde")]
fn is_default_run(v: &f64) -> bool {
    *v == GeneratorConfig::DEFAULT_MISSING_RUN_HOURS
}

/// The ten barangay names of the original tool.
pub const DEFAULT_BARANGAYS: [&str; 10] = [
    "San Miguel",
    "Santa Cruz",
    "Poblacion",
    "Bagong Silang",
    "Maligaya",
    "Riverside",
    "San Isidro",
    "Del Pilar",
    "Mabini",
    "Rizal",
];

impl Default for GeneratorConfig {
    fn default() -> Self {
        GeneratorConfig {
            seed: 42,
            num_transformers: 50,
            num_meters: 2000,
            num_months: 12,
            start_month: YearMonth::default(),
            anomaly_rate: 0.075,
            anomaly_mix: crate::anomaly::default_anomaly_mix(),
            benign_rate: 0.02,
            benign_mix: crate::anomaly::default_benign_mix(),
            severity_window: crate::model::SeverityWindow::Series,
            min_normal_periods: DEFAULT_MIN_NORMAL_PERIODS,
            spatial_clustering_strength: 0.7,
            min_meters_per_transformer: 10,
            transformers_per_feeder: 10,
            meter_spread_m: 100.0,
            barangays: DEFAULT_BARANGAYS.iter().map(|s| (*s).to_owned()).collect(),
            bounds: GeoBounds::default(),
            class_mix: ClassMix::default(),
            capacity: CapacityConfig::default(),
            consumption: ConsumptionConfig::default(),
            max_kwh: GeneratorConfig::STRICT_LOADER_MAX_KWH,
            resolution: crate::time::Resolution::Monthly,
            timezone: crate::calendar::TimeZone::default(),
            register_resolution_kwh: GeneratorConfig::DEFAULT_REGISTER_RESOLUTION_KWH,
            holidays: None,
            missing_rate: 0.0,
            missing_run_hours: GeneratorConfig::DEFAULT_MISSING_RUN_HOURS,
            weather: crate::weather::WeatherConfig::default(),
            load_shape: crate::consumption::LoadShapeConfig::default(),
            balance: crate::balance::BalanceConfig::default(),
        }
    }
}

impl GeneratorConfig {
    /// Largest number of meters, 4 294 967 295: meter ids are 32-bit.
    pub const MAX_ENTITIES: usize = u32::MAX as usize;

    /// The default [`max_kwh`](Self::max_kwh), kWh per meter-month: the
    /// upper bound of the original GhostLoad Mapper ML loader's strict mode
    /// (monthly consumption 0 ..= 10 000 kWh per meter-month).
    pub const STRICT_LOADER_MAX_KWH: f64 = 10_000.0;

    /// The [`max_kwh`](Self::max_kwh) of [`Preset::Utility`], kWh per
    /// meter-period: 10⁹ kWh, an average load of 1.4 GW, so in practice no ceiling.
    pub const UNCAPPED_MAX_KWH: f64 = 1e9;

    /// The default [`register_resolution_kwh`](Self::register_resolution_kwh): 0.001 kWh.
    pub const DEFAULT_REGISTER_RESOLUTION_KWH: f64 = 0.001;

    /// The default [`missing_run_hours`](Self::missing_run_hours): 6 hours.
    pub const DEFAULT_MISSING_RUN_HOURS: f64 = 6.0;

    /// Largest number of transformers, 10 000 000. The network (sites,
    /// capacities, feeders, the meter allocation and the per-transformer
    /// report counts) is held in memory for the whole run, about 120 bytes
    /// per transformer: the cap keeps it near 1.2 GB (`u32::MAX`
    /// transformers would ask for about 500 GB).
    pub const MAX_TRANSFORMERS: usize = 10_000_000;

    /// `num_meters × num_months`: the consumption values of the dataset
    /// (computed in `u64`, so it cannot overflow for any accepted sizes).
    #[must_use]
    pub fn cells(&self) -> u64 {
        (self.num_meters as u64).saturating_mul(self.num_months as u64)
    }

    /// Checks every field once; the first problem found is returned.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the field, the value and the allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_with(false, false)
    }

    /// [`validate`](Self::validate), except that a mix whose weights are all
    /// 0 is accepted when the builder supplies other injectors for it
    /// (`builder_anomalies`, `builder_benign`); the pipeline then checks the
    /// combined mix.
    pub(crate) fn validate_with(&self, builder_anomalies: bool, builder_benign: bool) -> Result<(), ConfigError> {
        check_count(
            "num_transformers",
            self.num_transformers,
            Self::MAX_TRANSFORMERS,
            "1 ..= 10000000",
        )?;
        check_count("num_meters", self.num_meters, Self::MAX_ENTITIES, "1 ..= 4294967295")?;
        if self.num_meters < self.num_transformers {
            return Err(ConfigError::TooFewMeters {
                num_meters: self.num_meters,
                num_transformers: self.num_transformers,
            });
        }
        let axis = crate::time::TimeAxis::new(self.start_month, self.num_months, self.resolution)?;
        check_unit("anomaly_rate", self.anomaly_rate)?;
        check_mix(
            &self.anomaly_mix,
            &ANOMALY_MIX_FIELDS,
            "anomaly_mix",
            self.anomaly_rate > 0.0 && !builder_anomalies,
        )?;
        check_unit("benign_rate", self.benign_rate)?;
        check_mix(
            &self.benign_mix,
            &BENIGN_MIX_FIELDS,
            "benign_mix",
            self.benign_rate > 0.0 && !builder_benign,
        )?;
        if self.min_normal_periods > crate::time::TimeAxis::MAX_PERIODS {
            return Err(ConfigError::out_of_range(
                "min_normal_periods",
                self.min_normal_periods,
                "0 ..= 1200",
            ));
        }
        check_unit("spatial_clustering_strength", self.spatial_clustering_strength)?;
        if self.min_meters_per_transformer == 0 {
            return Err(ConfigError::out_of_range("min_meters_per_transformer", 0, ">= 1"));
        }
        if self.transformers_per_feeder == 0 {
            return Err(ConfigError::out_of_range("transformers_per_feeder", 0, ">= 1"));
        }
        check_range("meter_spread_m", self.meter_spread_m, 0.0, 5000.0, "0.0 ..= 5000.0")?;
        self.check_barangays()?;
        self.bounds.validate()?;
        self.class_mix.validate()?;
        self.capacity.validate()?;
        self.consumption.validate()?;
        check_range("max_kwh", self.max_kwh, f64::MIN_POSITIVE, 1e12, "> 0 and <= 1e12")?;
        self.validate_interval(&axis)
    }

    /// The fields that shape interval data.
    fn validate_interval(&self, axis: &crate::time::TimeAxis) -> Result<(), ConfigError> {
        if ![0.001, 0.01].contains(&self.register_resolution_kwh) {
            return Err(ConfigError::out_of_range(
                "register_resolution_kwh",
                self.register_resolution_kwh,
                "0.001 or 0.01",
            ));
        }
        check_range("missing_rate", self.missing_rate, 0.0, 0.5, "0.0 ..= 0.5")?;
        check_range(
            "missing_run_hours",
            self.missing_run_hours,
            0.25,
            720.0,
            "0.25 ..= 720.0",
        )?;
        self.weather.validate()?;
        self.load_shape.validate()?;
        self.balance.validate()?;
        if self.resolution.is_interval() {
            let cells = self.barangays.len().saturating_mul(axis.days());
            if cells > crate::weather::MAX_WEATHER_CELLS {
                return Err(ConfigError::out_of_range(
                    "barangays",
                    format!("{} barangays × {} days", self.barangays.len(), axis.days()),
                    "at most 67108864 barangay-days of weather at interval resolutions",
                ));
            }
        }
        Ok(())
    }

    /// The time axis of the series: `num_months` months from `start_month`
    /// at `resolution`, in `timezone`.
    ///
    /// # Errors
    /// As [`TimeAxis::new`](crate::TimeAxis::new).
    pub fn axis(&self) -> Result<crate::time::TimeAxis, ConfigError> {
        Ok(crate::time::TimeAxis::new(self.start_month, self.num_months, self.resolution)?.with_zone(self.timezone))
    }

    /// The holidays in force on the days of `axis`: the configured list, or
    /// the Philippine regular holidays of each year covered. Sorted.
    #[must_use]
    pub fn holidays_for(&self, axis: &crate::time::TimeAxis) -> Vec<crate::calendar::Date> {
        let mut days = match &self.holidays {
            Some(list) => list.clone(),
            None => {
                let first = axis.date(0).year();
                let last = axis.date(axis.days() - 1).year();
                (first..=last)
                    .flat_map(crate::calendar::philippine_regular_holidays)
                    .collect()
            }
        };
        days.sort_unstable();
        days.dedup();
        days
    }

    /// The per-transformer minimum actually used: the configured one, or
    /// `num_meters / num_transformers` when too few meters exist to give every
    /// transformer the configured minimum (design §5.1).
    #[must_use]
    pub fn effective_min_meters_per_transformer(&self) -> usize {
        let feasible = self.num_meters / self.num_transformers.max(1);
        self.min_meters_per_transformer.min(feasible).max(1)
    }

    /// Exactly how many meters are anomalous: `round(anomaly_rate × num_meters)`,
    /// halves rounded away from zero.
    #[must_use]
    pub fn anomalous_meter_count(&self) -> usize {
        ((self.anomaly_rate * self.num_meters as f64).round() as usize).min(self.num_meters)
    }

    /// Exactly how many meters get a benign event:
    /// `round(benign_rate × (num_meters − anomalous_meter_count()))`, halves
    /// rounded away from zero. Only normal meters get one.
    #[must_use]
    pub fn benign_meter_count(&self) -> usize {
        let normal = self.num_meters - self.anomalous_meter_count();
        ((self.benign_rate * normal as f64).round() as usize).min(normal)
    }

    fn check_barangays(&self) -> Result<(), ConfigError> {
        if self.barangays.is_empty() || self.barangays.len() > usize::from(u16::MAX) {
            return Err(ConfigError::out_of_range(
                "barangays",
                format!("{} names", self.barangays.len()),
                "1 ..= 65535 names",
            ));
        }
        for (i, name) in self.barangays.iter().enumerate() {
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                return Err(ConfigError::Invalid {
                    field: "barangays",
                    value: name.clone(),
                    reason: "names must be non-empty and contain no control characters",
                });
            }
            if self.barangays[..i].contains(name) {
                return Err(ConfigError::Invalid {
                    field: "barangays",
                    value: name.clone(),
                    reason: "names must be distinct",
                });
            }
        }
        Ok(())
    }
}

/// A named starting configuration (design §8.2).
///
/// `Demo`, `Default` and `Production` differ only in their sizes; all three
/// stay within the original tool's strict ML loader (consumption
/// 0 ..= 10 000 kWh per meter-month, capacities 25 ..= 1 000 kVA, 1 ..= 120
/// months). `Utility` is the default dataset with utility-scale industrial
/// customers, outside that loader's range.
///
/// ```
/// use ghostload::{GeneratorConfig, Preset};
/// let demo = GeneratorConfig::preset(Preset::Demo);
/// assert_eq!((demo.num_transformers, demo.num_meters, demo.num_months), (20, 500, 6));
/// assert_eq!("production".parse::<Preset>()?, Preset::Production);
/// let utility = GeneratorConfig::preset("utility".parse()?);
/// assert_eq!(utility.consumption.industrial.median_kwh, 8000.0);
/// # Ok::<(), ghostload::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
#[non_exhaustive]
pub enum Preset {
    /// Fast iteration: 20 transformers, 500 meters, 6 months.
    Demo,
    /// The original tool's defaults: 50 transformers, 2 000 meters, 12 months.
    #[default]
    Default,
    /// Production validation: 100 transformers, 5 000 meters, 24 months.
    Production,
    /// The default sizes with utility-scale industrial customers
    /// ([`ClassProfile::UTILITY_INDUSTRIAL`], median 8 000 kWh/month, tens of
    /// thousands of kWh at the top) and no practical register ceiling
    /// ([`GeneratorConfig::UNCAPPED_MAX_KWH`]). **Outside the original
    /// tool's strict ML loader's range** (it refuses values above 10 000 kWh).
    Utility,
}

impl Preset {
    /// All presets.
    pub const ALL: [Preset; 4] = [Preset::Demo, Preset::Default, Preset::Production, Preset::Utility];

    /// `demo`, `default`, `production` or `utility`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Preset::Demo => "demo",
            Preset::Default => "default",
            Preset::Production => "production",
            Preset::Utility => "utility",
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Preset {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ConfigError::Invalid {
                field: "preset",
                value: s.to_owned(),
                reason: "expected demo, default, production or utility",
            })
    }
}

impl GeneratorConfig {
    /// The configuration of a [`Preset`]: the defaults with its sizes (and,
    /// for [`Preset::Utility`], its industrial class and register ceiling).
    #[must_use]
    pub fn preset(preset: Preset) -> GeneratorConfig {
        let (num_transformers, num_meters, num_months) = match preset {
            Preset::Demo => (20, 500, 6),
            Preset::Default | Preset::Utility => (50, 2000, 12),
            Preset::Production => (100, 5000, 24),
        };
        let mut config = GeneratorConfig {
            num_transformers,
            num_meters,
            num_months,
            ..GeneratorConfig::default()
        };
        if preset == Preset::Utility {
            config.consumption.industrial = ClassProfile::UTILITY_INDUSTRIAL;
            config.max_kwh = GeneratorConfig::UNCAPPED_MAX_KWH;
        }
        config
    }
}

/// Probabilities of the three customer classes; they must sum to 1 (± 1e-9).
///
/// Default residential 0.70, commercial 0.20, industrial 0.10 (the original tool's mix).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct ClassMix {
    /// Share of residential meters (0 ..= 1).
    pub residential: f64,
    /// Share of commercial meters (0 ..= 1).
    pub commercial: f64,
    /// Share of industrial meters (0 ..= 1).
    pub industrial: f64,
}

impl Default for ClassMix {
    fn default() -> Self {
        ClassMix {
            residential: 0.70,
            commercial: 0.20,
            industrial: 0.10,
        }
    }
}

impl ClassMix {
    /// Checks each share is in `0 ..= 1` and that they sum to 1 (± 1e-9).
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] for a share, [`ConfigError::ClassMixSum`] for the sum.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_unit("class_mix.residential", self.residential)?;
        check_unit("class_mix.commercial", self.commercial)?;
        check_unit("class_mix.industrial", self.industrial)?;
        let sum = self.residential + self.commercial + self.industrial;
        if (sum - 1.0).abs() > 1e-9 {
            return Err(ConfigError::ClassMixSum {
                residential: self.residential,
                commercial: self.commercial,
                industrial: self.industrial,
                sum,
            });
        }
        Ok(())
    }
}

/// `(type name, dotted field)` of every key `anomaly_mix` accepts.
const ANOMALY_MIX_FIELDS: [(&str, &str); 14] = [
    ("low_consumption", "anomaly_mix.low_consumption"),
    ("constant_factor", "anomaly_mix.constant_factor"),
    ("zero_readings", "anomaly_mix.zero_readings"),
    ("random_factor", "anomaly_mix.random_factor"),
    ("random_mean_factor", "anomaly_mix.random_mean_factor"),
    ("flat_mean", "anomaly_mix.flat_mean"),
    ("reversed_order", "anomaly_mix.reversed_order"),
    ("high_consumption", "anomaly_mix.high_consumption"),
    ("meter_drift", "anomaly_mix.meter_drift"),
    ("seasonal_shift", "anomaly_mix.seasonal_shift"),
    ("erratic_pattern", "anomaly_mix.erratic_pattern"),
    ("meter_bypass", "anomaly_mix.meter_bypass"),
    ("stuck_meter", "anomaly_mix.stuck_meter"),
    ("tampered_meter", "anomaly_mix.tampered_meter"),
];

/// `(type name, dotted field)` of every key `benign_mix` accepts.
const BENIGN_MIX_FIELDS: [(&str, &str); 4] = [
    ("vacancy", "benign_mix.vacancy"),
    ("new_connection", "benign_mix.new_connection"),
    ("solar_install", "benign_mix.solar_install"),
    ("outage", "benign_mix.outage"),
];

const _: () = assert!(ANOMALY_MIX_FIELDS.len() == DEFAULT_ANOMALY_MIX.len());
const _: () = assert!(BENIGN_MIX_FIELDS.len() == DEFAULT_BENIGN_MIX.len());

/// Every key known, every weight finite and ≥ 0, one > 0 when `needed`.
fn check_mix(
    mix: &BTreeMap<String, f64>,
    known: &[(&'static str, &'static str)],
    field: &'static str,
    needed: bool,
) -> Result<(), ConfigError> {
    for (name, &weight) in mix {
        let Some((_, key_field)) = known.iter().find(|(k, _)| k == name) else {
            return Err(ConfigError::Invalid {
                field,
                value: name.clone(),
                reason: if field == "anomaly_mix" {
                    "unknown anomaly type; known: low_consumption, constant_factor, zero_readings, random_factor, random_mean_factor, flat_mean, reversed_order, high_consumption, meter_drift, seasonal_shift, erratic_pattern, meter_bypass, stuck_meter, tampered_meter (add your own injectors with PipelineBuilder::add_anomaly)"
                } else {
                    "unknown benign event type; known: vacancy, new_connection, solar_install, outage (add your own with PipelineBuilder::benign)"
                },
            });
        };
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(ConfigError::out_of_range(key_field, weight, "a finite weight >= 0"));
        }
    }
    if needed && !mix.values().any(|&w| w > 0.0) {
        return Err(ConfigError::Invalid {
            field,
            value: format!("{mix:?}"),
            reason: "at least one weight must be > 0 while the matching rate is > 0",
        });
    }
    Ok(())
}

fn check_unit(field: &'static str, value: f64) -> Result<(), ConfigError> {
    check_range(field, value, 0.0, 1.0, "0.0 ..= 1.0")
}

fn check_count(field: &'static str, value: usize, max: usize, allowed: &'static str) -> Result<(), ConfigError> {
    if (1..=max).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::out_of_range(field, value, allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(config: GeneratorConfig) -> &'static str {
        config.validate().unwrap_err().field()
    }

    #[test]
    fn defaults_are_the_original_tools() {
        let c = GeneratorConfig::default();
        c.validate().unwrap();
        assert_eq!(
            (c.seed, c.num_transformers, c.num_meters, c.num_months),
            (42, 50, 2000, 12)
        );
        assert_eq!(c.anomalous_meter_count(), 150);
        assert_eq!(c.barangays.len(), 10);
    }

    #[test]
    fn each_bad_field_is_named() {
        let d = GeneratorConfig::default;
        assert_eq!(
            field_of(GeneratorConfig {
                num_transformers: 0,
                ..d()
            }),
            "num_transformers"
        );
        assert_eq!(field_of(GeneratorConfig { num_meters: 0, ..d() }), "num_meters");
        assert_eq!(field_of(GeneratorConfig { num_meters: 49, ..d() }), "num_meters");
        assert_eq!(field_of(GeneratorConfig { num_months: 0, ..d() }), "num_months");
        assert_eq!(
            field_of(GeneratorConfig {
                anomaly_rate: -0.1,
                ..d()
            }),
            "anomaly_rate"
        );
        assert_eq!(
            field_of(GeneratorConfig {
                anomaly_rate: f64::NAN,
                ..d()
            }),
            "anomaly_rate"
        );
        assert_eq!(
            field_of(GeneratorConfig {
                spatial_clustering_strength: 1.01,
                ..d()
            }),
            "spatial_clustering_strength"
        );
        assert_eq!(
            field_of(GeneratorConfig {
                barangays: vec![],
                ..d()
            }),
            "barangays"
        );
        assert_eq!(
            field_of(GeneratorConfig {
                barangays: vec!["A".into(), "A".into()],
                ..d()
            }),
            "barangays"
        );
        let mut c = d();
        c.class_mix.industrial = 0.2;
        assert!(matches!(c.validate(), Err(ConfigError::ClassMixSum { .. })));
        let mut c = d();
        c.consumption.seasonal_peak_month = 13;
        assert_eq!(field_of(c), "consumption.seasonal_peak_month");
        let mut c = d();
        c.capacity.min_kva = 600.0;
        assert_eq!(field_of(c), "capacity.min_kva");
        let mut c = d();
        c.consumption.residential.power_factor = 1.2;
        assert_eq!(field_of(c), "consumption.residential.power_factor");
    }

    #[test]
    fn mix_fields_are_named() {
        let d = GeneratorConfig::default;
        let mut c = d();
        c.anomaly_mix.insert("nonsense".into(), 1.0);
        let err = c.validate().unwrap_err();
        assert_eq!(err.field(), "anomaly_mix");
        assert!(err.to_string().contains("nonsense"), "{err}");
        let mut c = d();
        c.anomaly_mix.insert("constant_factor".into(), -1.0);
        assert_eq!(field_of(c), "anomaly_mix.constant_factor");
        let mut c = d();
        c.anomaly_mix.insert("flat_mean".into(), f64::NAN);
        assert_eq!(field_of(c), "anomaly_mix.flat_mean");
        let mut c = d();
        c.anomaly_mix.values_mut().for_each(|w| *w = 0.0);
        assert_eq!(field_of(c.clone()), "anomaly_mix");
        c.anomaly_rate = 0.0;
        assert!(c.validate().is_ok());
        assert_eq!(
            field_of(GeneratorConfig {
                benign_rate: 1.5,
                ..d()
            }),
            "benign_rate"
        );
        let mut c = d();
        c.benign_mix.insert("vacancy".into(), f64::INFINITY);
        assert_eq!(field_of(c), "benign_mix.vacancy");
        let mut c = d();
        c.benign_mix.insert("constant_factor".into(), 1.0);
        assert_eq!(field_of(c), "benign_mix");
        let mut c = d();
        c.benign_mix.clear();
        assert_eq!(field_of(c.clone()), "benign_mix");
        c.benign_rate = 0.0;
        assert!(c.validate().is_ok());
        assert_eq!(
            field_of(GeneratorConfig {
                min_normal_periods: 5000,
                ..d()
            }),
            "min_normal_periods"
        );
    }

    #[test]
    fn benign_count_is_a_share_of_normal_meters() {
        let c = GeneratorConfig::default();
        assert_eq!(c.benign_meter_count(), 37); // round(0.02 × 1850)
        let c = GeneratorConfig {
            anomaly_rate: 1.0,
            ..Default::default()
        };
        assert_eq!(c.benign_meter_count(), 0);
    }

    #[test]
    fn error_message_names_field_value_and_range() {
        let msg = GeneratorConfig {
            anomaly_rate: 1.5,
            ..Default::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("anomaly_rate") && msg.contains("1.5") && msg.contains("0.0 ..= 1.0"),
            "{msg}"
        );
    }

    #[test]
    fn minimum_is_lowered_only_when_infeasible() {
        let c = GeneratorConfig {
            num_meters: 120,
            num_transformers: 50,
            ..Default::default()
        };
        assert_eq!(c.effective_min_meters_per_transformer(), 2);
        let c = GeneratorConfig {
            num_meters: 50,
            num_transformers: 50,
            ..Default::default()
        };
        assert_eq!(c.effective_min_meters_per_transformer(), 1);
        assert_eq!(GeneratorConfig::default().effective_min_meters_per_transformer(), 10);
    }
}
