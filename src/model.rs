//! The entities of a dataset: transformers, meters, anomaly labels and their enums.

use std::borrow::Cow;
use std::fmt;

use crate::geo::GeoPoint;
use crate::ids::{BarangayId, FeederId, MeterId, TransformerId};

/// A customer's tariff class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum CustomerClass {
    /// Households.
    Residential,
    /// Shops, offices, small businesses.
    Commercial,
    /// Factories and large loads on the secondary network.
    Industrial,
}

impl CustomerClass {
    /// All classes, in the order used for counts and columns.
    pub const ALL: [CustomerClass; 3] = [
        CustomerClass::Residential,
        CustomerClass::Commercial,
        CustomerClass::Industrial,
    ];

    /// The lowercase name written to files: `residential`, `commercial`, `industrial`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            CustomerClass::Residential => "residential",
            CustomerClass::Commercial => "commercial",
            CustomerClass::Industrial => "industrial",
        }
    }
}

impl fmt::Display for CustomerClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much an anomaly matters to a utility, from its severity.
///
/// Severity is the share of the meter's expected energy that went unbilled
/// (`1 − billed / expected`), over the whole series or the event's own
/// periods as [`SeverityWindow`] says. Thresholds: **High** ≥ 0.6, **Medium** ≥ 0.3,
/// **Low** otherwise (negative severities, where the meter billed more, are Low).
/// Losing 30 % of a customer's energy is the point at which most loss-reduction
/// programmes schedule an inspection; 60 % is near-total bypass. The bands
/// match the NumPy reference baseline's, so the two are comparable.
///
/// ```
/// use ghostload::RiskBand;
/// assert_eq!(RiskBand::from_severity(0.8), RiskBand::High);
/// assert_eq!(RiskBand::from_severity(0.3), RiskBand::Medium);
/// assert_eq!(RiskBand::from_severity(-0.2).to_string(), "Low");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum RiskBand {
    /// Severity below 0.3.
    Low,
    /// Severity in 0.3 ..< 0.6.
    Medium,
    /// Severity 0.6 or more.
    High,
}

impl RiskBand {
    /// All bands, lowest first.
    pub const ALL: [RiskBand; 3] = [RiskBand::Low, RiskBand::Medium, RiskBand::High];
    /// Lowest severity of the Medium band.
    pub const MEDIUM_FROM: f64 = 0.3;
    /// Lowest severity of the High band.
    pub const HIGH_FROM: f64 = 0.6;

    /// The band of a severity.
    #[must_use]
    pub fn from_severity(severity: f64) -> RiskBand {
        if severity >= Self::HIGH_FROM {
            RiskBand::High
        } else if severity >= Self::MEDIUM_FROM {
            RiskBand::Medium
        } else {
            RiskBand::Low
        }
    }

    /// `Low`, `Medium` or `High`, capitalised as downstream loaders expect.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            RiskBand::Low => "Low",
            RiskBand::Medium => "Medium",
            RiskBand::High => "High",
        }
    }
}

impl fmt::Display for RiskBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The periods over which an event's severity (`1 − billed / expected`) is measured.
///
/// With [`Series`](Self::Series) (the default) severity is the share of the
/// meter's energy *over the whole dataset* that went unbilled: a strong
/// attack that starts in the last quarter of the series scores about a
/// quarter of its strength, as it would in a utility's annual loss figures.
/// With [`Event`](Self::Event) it is measured over the event's own periods,
/// onset to end (or to the last period): how hard the attack bites while it
/// lasts, independent of when it started. The risk band follows the severity either way.
///
/// ```
/// use ghostload::SeverityWindow;
/// assert_eq!(SeverityWindow::default(), SeverityWindow::Series);
/// assert_eq!(SeverityWindow::Event.periods(3, Some(5), 12), 3..6);
/// assert_eq!(SeverityWindow::Event.periods(3, None, 12), 3..12);
/// assert_eq!(SeverityWindow::Series.periods(3, None, 12), 0..12);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum SeverityWindow {
    /// Every period of the series.
    #[default]
    Series,
    /// The event's periods, `onset ..= end` (to the last period when the event does not end).
    Event,
}

impl SeverityWindow {
    /// `series` or `event`, as in the configuration file.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            SeverityWindow::Series => "series",
            SeverityWindow::Event => "event",
        }
    }

    /// The periods measured for an event from `onset` to `end` in a series of `len` periods.
    #[must_use]
    pub fn periods(self, onset: usize, end: Option<usize>, len: usize) -> std::ops::Range<usize> {
        match self {
            SeverityWindow::Series => 0..len,
            SeverityWindow::Event => onset.min(len)..end.map_or(len, |e| (e + 1).min(len)),
        }
    }
}

impl fmt::Display for SeverityWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name of an anomaly type, in snake_case (`low_consumption`, `meter_bypass`...).
///
/// ```
/// use ghostload::AnomalyType;
/// assert_eq!(AnomalyType::LOW_CONSUMPTION.as_str(), "low_consumption");
/// assert!(AnomalyType::new("my_theft").is_ok());
/// assert!(AnomalyType::new("My Theft").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(transparent))]
pub struct AnomalyType(Cow<'static, str>);

impl AnomalyType {
    /// The design's gradual low-consumption decline.
    pub const LOW_CONSUMPTION: AnomalyType = AnomalyType(Cow::Borrowed("low_consumption"));
    /// Short bursts of high consumption ([`Spike`](crate::anomaly::Spike)).
    pub const HIGH_CONSUMPTION: AnomalyType = AnomalyType(Cow::Borrowed("high_consumption"));
    /// Variance blow-up ([`ErraticPattern`](crate::anomaly::ErraticPattern)).
    pub const ERRATIC_PATTERN: AnomalyType = AnomalyType(Cow::Borrowed("erratic_pattern"));
    /// Jokar et al. h1 ([`ConstantFactor`](crate::anomaly::ConstantFactor)).
    pub const CONSTANT_FACTOR: AnomalyType = AnomalyType(Cow::Borrowed("constant_factor"));
    /// Jokar et al. h2 ([`ZeroReadings`](crate::anomaly::ZeroReadings)).
    pub const ZERO_READINGS: AnomalyType = AnomalyType(Cow::Borrowed("zero_readings"));
    /// Jokar et al. h3 ([`RandomFactor`](crate::anomaly::RandomFactor)).
    pub const RANDOM_FACTOR: AnomalyType = AnomalyType(Cow::Borrowed("random_factor"));
    /// Jokar et al. h4 ([`RandomMeanFactor`](crate::anomaly::RandomMeanFactor)).
    pub const RANDOM_MEAN_FACTOR: AnomalyType = AnomalyType(Cow::Borrowed("random_mean_factor"));
    /// Jokar et al. h5 ([`FlatMean`](crate::anomaly::FlatMean)).
    pub const FLAT_MEAN: AnomalyType = AnomalyType(Cow::Borrowed("flat_mean"));
    /// Jokar et al. h6 ([`ReversedOrder`](crate::anomaly::ReversedOrder)).
    pub const REVERSED_ORDER: AnomalyType = AnomalyType(Cow::Borrowed("reversed_order"));
    /// Slow multiplicative drift ([`MeterDrift`](crate::anomaly::MeterDrift)).
    pub const METER_DRIFT: AnomalyType = AnomalyType(Cow::Borrowed("meter_drift"));
    /// The seasonal peak moved ([`SeasonalShift`](crate::anomaly::SeasonalShift)).
    pub const SEASONAL_SHIFT: AnomalyType = AnomalyType(Cow::Borrowed("seasonal_shift"));
    /// A sudden, lasting drop ([`MeterBypass`](crate::anomaly::MeterBypass)).
    pub const METER_BYPASS: AnomalyType = AnomalyType(Cow::Borrowed("meter_bypass"));
    /// The same reading every period ([`StuckMeter`](crate::anomaly::StuckMeter)).
    pub const STUCK_METER: AnomalyType = AnomalyType(Cow::Borrowed("stuck_meter"));
    /// Under-registration by a fixed share ([`TamperedMeter`](crate::anomaly::TamperedMeter)).
    pub const TAMPERED_METER: AnomalyType = AnomalyType(Cow::Borrowed("tampered_meter"));
    /// Benign: vacant premises ([`Vacancy`](crate::anomaly::Vacancy)).
    pub const VACANCY: AnomalyType = AnomalyType(Cow::Borrowed("vacancy"));
    /// Benign: connected partway through ([`NewConnection`](crate::anomaly::NewConnection)).
    pub const NEW_CONNECTION: AnomalyType = AnomalyType(Cow::Borrowed("new_connection"));
    /// Benign: rooftop solar installed ([`SolarInstall`](crate::anomaly::SolarInstall)).
    pub const SOLAR_INSTALL: AnomalyType = AnomalyType(Cow::Borrowed("solar_install"));
    /// Benign: a temporary outage ([`Outage`](crate::anomaly::Outage)).
    pub const OUTAGE: AnomalyType = AnomalyType(Cow::Borrowed("outage"));
    /// Benign, interval data: a run of readings the head end never received
    /// (communication outage); the register kept counting.
    pub const MISSING_DATA: AnomalyType = AnomalyType(Cow::Borrowed("missing_data"));
    /// Benign, interval data: a typhoon cut the power to the meter's barangay.
    pub const TYPHOON_OUTAGE: AnomalyType = AnomalyType(Cow::Borrowed("typhoon_outage"));

    /// A type from a name of lowercase ASCII letters, digits and `_`
    /// (1 ..= 64 characters, starting with a letter).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`](crate::ConfigError::Invalid) naming `anomaly_type`.
    pub fn new(name: impl Into<Cow<'static, str>>) -> Result<Self, crate::ConfigError> {
        let name = name.into();
        let ok = (1..=64).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(AnomalyType(name))
        } else {
            Err(crate::ConfigError::Invalid {
                field: "anomaly_type",
                value: name.into_owned(),
                reason: "use 1 to 64 lowercase letters, digits or '_', starting with a letter",
            })
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AnomalyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A barangay: its name and the centre its transformers cluster around.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Barangay {
    /// Its identifier (position in the configuration's list).
    pub id: BarangayId,
    /// Its name, from the configuration.
    pub name: String,
    /// The centre its transformers cluster around.
    pub centre: GeoPoint,
}

/// A distribution transformer.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Transformer {
    /// `TX_0001`, ...
    pub id: TransformerId,
    /// The feeder it hangs on; nearby transformers share one.
    pub feeder_id: FeederId,
    /// The barangay it serves.
    pub barangay: BarangayId,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Nameplate capacity, kVA: a standard rating.
    pub capacity_kva: f64,
    /// How many meters it serves.
    pub num_meters: usize,
}

impl Transformer {
    /// Its position.
    #[must_use]
    pub fn point(&self) -> GeoPoint {
        GeoPoint {
            lat: self.lat,
            lon: self.lon,
        }
    }
}

/// A customer meter and its lasting attributes.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Meter {
    /// `MTR_000001`, ...
    pub id: MeterId,
    /// The transformer that serves it.
    pub transformer_id: TransformerId,
    /// Tariff class.
    pub customer_class: CustomerClass,
    /// The barangay it lies in (its transformer's).
    pub barangay: BarangayId,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Estimated peak demand, kVA: baseline energy over the hours of an
    /// average month (730 h), divided by the class load factor and power factor.
    pub kva: f64,
    /// The meter's own baseline consumption, kWh per month.
    pub baseline_kwh: f64,
    /// The meter's linear growth, fraction of baseline per month.
    pub monthly_growth: f64,
}

impl Meter {
    /// Meter 0 of transformer 0, residential, at (0, 0), with every
    /// quantity 0: a slot to overwrite, or a stand-in meter for an injector.
    pub(crate) fn blank() -> Meter {
        Meter {
            id: MeterId::from_index(0),
            transformer_id: TransformerId::from_index(0),
            customer_class: CustomerClass::Residential,
            barangay: BarangayId::from_index(0),
            lat: 0.0,
            lon: 0.0,
            kva: 0.0,
            baseline_kwh: 0.0,
            monthly_growth: 0.0,
        }
    }

    /// Its position.
    #[must_use]
    pub fn point(&self) -> GeoPoint {
        GeoPoint {
            lat: self.lat,
            lon: self.lon,
        }
    }
}

/// What was done to an anomalous meter, and how much it cost.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct AnomalyLabel {
    /// The meter.
    pub meter_id: MeterId,
    /// What kind of anomaly.
    pub anomaly_type: AnomalyType,
    /// First affected period (0-based index on the time axis).
    pub onset: usize,
    /// Last affected period, if the anomaly ends before the series does.
    pub end: Option<usize>,
    /// Share of the meter's expected energy that went unbilled:
    /// `1 − Σ reported / Σ expected` over the whole series (or the event's
    /// periods, see [`SeverityWindow`]), where *expected* is the series before
    /// injection. Negative when the meter billed more.
    pub severity: f64,
    /// Band of `severity`.
    pub risk_band: RiskBand,
    /// Whether the anomaly is theft (as opposed to a fault or a benign event).
    pub is_theft: bool,
}

/// One event injected into a meter: an anomaly (also in the labels) or a
/// benign look-alike (not in the labels). [`Dataset::events`](crate::Dataset::events)
/// lists every event, in meter order, so a detector's false positives on
/// benign events can be measured.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Event {
    /// The meter.
    pub meter_id: MeterId,
    /// What kind of event (`constant_factor`, `vacancy`, ...).
    pub event_type: AnomalyType,
    /// Whether it is theft. Always `false` for the built-in benign events.
    pub is_theft: bool,
    /// First affected period (0-based).
    pub onset: usize,
    /// Last affected period, if the event ends before the series does.
    pub end: Option<usize>,
    /// Share of the meter's expected energy that went unbilled (as in [`AnomalyLabel`]).
    pub severity: f64,
    /// Whether the event is an anomaly listed in the labels (`anomaly_flag`
    /// 1); `false` for a benign look-alike.
    pub is_anomaly: bool,
}

impl Event {
    /// Whether this is one of the benign events interval data adds beside a
    /// meter's injected event: a `typhoon_outage` or a `missing_data` event
    /// that is not flagged anomalous. (At monthly resolution there are none.)
    pub(crate) fn is_interval_benign(&self) -> bool {
        !self.is_anomaly
            && (self.event_type == AnomalyType::TYPHOON_OUTAGE || self.event_type == AnomalyType::MISSING_DATA)
    }
}

/// A run of interval readings that are missing (see
/// [`GeneratorConfig::missing_rate`](crate::GeneratorConfig::missing_rate)):
/// empty in CSV, null in Parquet. The true values stay in the readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MissingRun {
    /// The meter.
    pub meter_id: MeterId,
    /// First missing period (index on the dataset's series axis).
    pub start: usize,
    /// Number of consecutive missing periods (≥ 1).
    pub len: usize,
}

impl MissingRun {
    /// The missing periods.
    #[must_use]
    pub fn periods(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.len
    }
}
