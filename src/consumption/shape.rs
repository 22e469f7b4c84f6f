//! Daily load shapes: how a month's energy spreads over its days and
//! intervals (interval resolutions only; `docs/model.md` §5.2 has the sources).
//!
//! A meter's month total (the consumption model's value, quantised as the
//! monthly file writes it) is split over the month's intervals in
//! proportion to
//! `day level(day type) × cooling(T_day) × day noise × shape(day type, interval) × interval noise`,
//! the shape normalised within each day, then rounded to the register
//! resolution by cumulative rounding, so the readings sum to the total exactly.

use crate::calendar::{Date, Weekday};
use crate::error::{ConfigError, check_range};
use crate::model::CustomerClass;
use crate::normal::standard_normal;
use crate::rng::StreamRng;
use rand::{Rng, RngCore};

/// Kinds of day with their own shape and level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DayType {
    Weekday = 0,
    Saturday = 1,
    /// Sundays and public holidays.
    SundayOrHoliday = 2,
}

impl DayType {
    pub(crate) fn of(date: Date, holiday: bool) -> DayType {
        match date.weekday() {
            _ if holiday => DayType::SundayOrHoliday,
            Weekday::Sunday => DayType::SundayOrHoliday,
            Weekday::Saturday => DayType::Saturday,
            _ => DayType::Weekday,
        }
    }
}

/// Hourly shapes (hour starting at local 00:00 … 23:00), relative; each row
/// is normalised to sum 1 before use. Rows: weekday, Saturday, Sunday/holiday.
///
/// Residential: evening peak 18–22 h and morning shoulder 05–08 h as in
/// ELEXON profile class 1 (UK domestic unrestricted), without its electric
/// heating, with night-time air-conditioning load kept high until 02 h and an
/// afternoon cooling rise (tropical households run fans and air conditioners
/// through the night and the afternoon heat; adapted, not measured).
const RESIDENTIAL: [[f64; 24]; 3] = [
    [
        0.62, 0.56, 0.51, 0.48, 0.49, 0.62, 0.82, 0.86, 0.70, 0.60, 0.58, 0.62, 0.68, 0.67, 0.65, 0.67, 0.75, 0.93,
        1.22, 1.36, 1.38, 1.29, 1.08, 0.82,
    ],
    [
        0.66, 0.59, 0.53, 0.50, 0.49, 0.54, 0.64, 0.76, 0.85, 0.88, 0.90, 0.95, 1.00, 0.98, 0.95, 0.94, 0.96, 1.05,
        1.22, 1.32, 1.33, 1.26, 1.08, 0.85,
    ],
    [
        0.68, 0.60, 0.54, 0.50, 0.49, 0.52, 0.60, 0.72, 0.84, 0.90, 0.94, 0.99, 1.03, 1.00, 0.96, 0.95, 0.97, 1.06,
        1.22, 1.30, 1.30, 1.22, 1.04, 0.84,
    ],
];

/// Commercial: business-hours plateau (ELEXON profile class 3, non-domestic
/// unrestricted), extended to 20 h for Philippine retail hours and with a
/// flatter midday (air conditioning through the afternoon heat).
const COMMERCIAL: [[f64; 24]; 3] = [
    [
        0.30, 0.28, 0.27, 0.27, 0.28, 0.32, 0.45, 0.70, 0.95, 1.05, 1.08, 1.08, 1.05, 1.08, 1.10, 1.08, 1.05, 1.00,
        0.92, 0.82, 0.64, 0.48, 0.38, 0.33,
    ],
    [
        0.32, 0.30, 0.29, 0.29, 0.30, 0.33, 0.42, 0.62, 0.85, 0.98, 1.02, 1.03, 1.02, 1.02, 1.00, 0.96, 0.90, 0.84,
        0.78, 0.70, 0.56, 0.44, 0.37, 0.34,
    ],
    [
        0.38, 0.36, 0.35, 0.35, 0.35, 0.37, 0.42, 0.52, 0.66, 0.78, 0.85, 0.88, 0.88, 0.86, 0.84, 0.80, 0.76, 0.72,
        0.68, 0.62, 0.54, 0.46, 0.41, 0.39,
    ],
];

/// Industrial (small general service): two shifts, 06–22 h, on weekdays;
/// one morning shift on Saturdays; base load on Sundays and holidays
/// (ELEXON profile classes 5–8 by load factor; shift times of Philippine
/// light manufacturing).
const INDUSTRIAL: [[f64; 24]; 3] = [
    [
        0.45, 0.43, 0.42, 0.42, 0.43, 0.55, 0.95, 1.10, 1.12, 1.12, 1.12, 1.05, 1.00, 1.10, 1.12, 1.12, 1.10, 1.05,
        1.02, 1.02, 1.00, 0.95, 0.60, 0.48,
    ],
    [
        0.45, 0.43, 0.42, 0.42, 0.43, 0.55, 0.95, 1.10, 1.12, 1.12, 1.10, 1.02, 0.95, 0.90, 0.70, 0.55, 0.50, 0.48,
        0.47, 0.47, 0.46, 0.46, 0.45, 0.45,
    ],
    [
        0.46, 0.45, 0.44, 0.44, 0.44, 0.45, 0.47, 0.50, 0.52, 0.53, 0.53, 0.53, 0.52, 0.52, 0.52, 0.52, 0.51, 0.50,
        0.50, 0.49, 0.48, 0.47, 0.47, 0.46,
    ],
];

/// Parameters of one class's intra-month variation.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct ClassShape {
    /// Energy of a Saturday relative to a weekday (0 ..= 3).
    pub saturday_level: f64,
    /// Energy of a Sunday or public holiday relative to a weekday (0 ..= 3).
    pub holiday_level: f64,
    /// Extra consumption per °C of daily mean temperature above
    /// [`LoadShapeConfig::cooling_base_c`], as a fraction of the day's energy (0 ..= 1).
    pub cooling_per_c: f64,
    /// Standard deviation of the day-to-day lognormal factor (0 ..= 1).
    pub day_sd: f64,
    /// Standard deviation of the hourly multiplicative noise (0 ..= 0.5;
    /// finer intervals get `× √(60 / minutes)`, at most 0.5).
    pub hourly_sd: f64,
    /// Standard deviation of each meter's own shape around its class's
    /// (lognormal factor per hour of the day, 0 ..= 1).
    pub meter_sd: f64,
    /// Largest shift of a meter's day in time, hours (0 ..= 6): each meter
    /// draws its own uniformly from ± this, so peaks do not all coincide.
    pub max_shift_h: f64,
}

impl ClassShape {
    /// Residential defaults: weekends use more (people at home), strong cooling response.
    pub const RESIDENTIAL: ClassShape = ClassShape {
        saturday_level: 1.05,
        holiday_level: 1.08,
        cooling_per_c: 0.05,
        day_sd: 0.15,
        hourly_sd: 0.30,
        meter_sd: 0.20,
        max_shift_h: 1.0,
    };
    /// Commercial defaults: closed or short hours on Sundays and holidays.
    pub const COMMERCIAL: ClassShape = ClassShape {
        saturday_level: 0.80,
        holiday_level: 0.50,
        cooling_per_c: 0.03,
        day_sd: 0.08,
        hourly_sd: 0.10,
        meter_sd: 0.12,
        max_shift_h: 1.0,
    };
    /// Industrial defaults: one shift on Saturdays, base load on Sundays.
    pub const INDUSTRIAL: ClassShape = ClassShape {
        saturday_level: 0.70,
        holiday_level: 0.45,
        cooling_per_c: 0.01,
        day_sd: 0.10,
        hourly_sd: 0.12,
        meter_sd: 0.10,
        max_shift_h: 0.5,
    };

    /// Checks every field; `fields` are their names under the class's table.
    fn validate(&self, fields: &[&'static str; 7]) -> Result<(), ConfigError> {
        let [saturday, holiday, cooling, day, hourly, meter, shift] = *fields;
        check_range(saturday, self.saturday_level, 0.0, 3.0, "0.0 ..= 3.0")?;
        check_range(holiday, self.holiday_level, 0.0, 3.0, "0.0 ..= 3.0")?;
        check_range(cooling, self.cooling_per_c, 0.0, 1.0, "0.0 ..= 1.0")?;
        check_range(day, self.day_sd, 0.0, 1.0, "0.0 ..= 1.0")?;
        check_range(hourly, self.hourly_sd, 0.0, 0.5, "0.0 ..= 0.5")?;
        check_range(meter, self.meter_sd, 0.0, 1.0, "0.0 ..= 1.0")?;
        check_range(shift, self.max_shift_h, 0.0, 6.0, "0.0 ..= 6.0")
    }
}
/// The field names of one class's table, `load_shape.<class>.<field>`, in
/// the order [`ClassShape::validate`] checks them.
macro_rules! class_fields {
    ($class:literal) => {
        [
            concat!("load_shape.", $class, ".saturday_level"),
            concat!("load_shape.", $class, ".holiday_level"),
            concat!("load_shape.", $class, ".cooling_per_c"),
            concat!("load_shape.", $class, ".day_sd"),
            concat!("load_shape.", $class, ".hourly_sd"),
            concat!("load_shape.", $class, ".meter_sd"),
            concat!("load_shape.", $class, ".max_shift_h"),
        ]
    };
}

/// How interval readings vary within a month: per-class day levels,
/// temperature response and noise. Only used at interval resolutions.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
pub struct LoadShapeConfig {
    /// Daily mean temperature above which consumption rises, °C (0 ..= 40).
    /// Default 24.0: 18.3 °C (65 °F, the US degree-day base) would count
    /// every Manila day as a cooling day; 24 °C leaves the coolest weeks of
    /// January near no cooling and the hottest (29–31 °C) at 5–7 °C above.
    pub cooling_base_c: f64,
    /// Residential parameters.
    pub residential: ClassShape,
    /// Commercial parameters.
    pub commercial: ClassShape,
    /// Industrial parameters.
    pub industrial: ClassShape,
}

impl Default for LoadShapeConfig {
    fn default() -> Self {
        LoadShapeConfig {
            cooling_base_c: 24.0,
            residential: ClassShape::RESIDENTIAL,
            commercial: ClassShape::COMMERCIAL,
            industrial: ClassShape::INDUSTRIAL,
        }
    }
}

impl LoadShapeConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the field (`load_shape.residential.day_sd`, ...).
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range(
            "load_shape.cooling_base_c",
            self.cooling_base_c,
            0.0,
            40.0,
            "0.0 ..= 40.0",
        )?;
        self.residential.validate(&class_fields!("residential"))?;
        self.commercial.validate(&class_fields!("commercial"))?;
        self.industrial.validate(&class_fields!("industrial"))
    }

    /// The parameters of `class`.
    #[must_use]
    pub fn class(&self, class: CustomerClass) -> &ClassShape {
        match class {
            CustomerClass::Residential => &self.residential,
            CustomerClass::Commercial => &self.commercial,
            CustomerClass::Industrial => &self.industrial,
        }
    }
}

/// The class's hourly shape rows.
fn class_rows(class: CustomerClass) -> &'static [[f64; 24]; 3] {
    match class {
        CustomerClass::Residential => &RESIDENTIAL,
        CustomerClass::Commercial => &COMMERCIAL,
        CustomerClass::Industrial => &INDUSTRIAL,
    }
}

/// One meter's shapes at the axis' resolution: `per_day` weights for each
/// day type, each row summing to 1.
pub(crate) struct MeterShape {
    per_day: usize,
    rows: [Vec<f64>; 3],
    interval_sd: f64,
}

impl MeterShape {
    /// Draws a meter's own shape: its class's, shifted in time and perturbed per hour.
    pub(crate) fn draw(class: CustomerClass, params: &ClassShape, per_day: usize, rng: &mut StreamRng) -> MeterShape {
        let shift = if params.max_shift_h > 0.0 {
            rng.random_range(-params.max_shift_h..=params.max_shift_h)
        } else {
            0.0
        };
        let mut perturb = [1.0f64; 24];
        for p in &mut perturb {
            *p = (params.meter_sd * standard_normal(rng)).exp();
        }
        let rows = class_rows(class);
        let make = |row: &[f64; 24]| -> Vec<f64> {
            let hourly: Vec<f64> = (0..24).map(|h| row[h] * perturb[h]).collect();
            let mut out: Vec<f64> = (0..per_day)
                .map(|k| {
                    // Centre of interval k, in hours, moved back by the shift;
                    // linear interpolation between hour centres, circular.
                    let t = (k as f64 + 0.5) * 24.0 / per_day as f64 - shift - 0.5;
                    let t = t.rem_euclid(24.0);
                    let h0 = t.floor() as usize % 24;
                    let frac = t - t.floor();
                    hourly[h0] * (1.0 - frac) + hourly[(h0 + 1) % 24] * frac
                })
                .collect();
            let sum: f64 = out.iter().sum();
            out.iter_mut().for_each(|v| *v /= sum);
            out
        };
        let minutes = 1440.0 / per_day as f64;
        let interval_sd = if per_day == 1 {
            0.0
        } else {
            (params.hourly_sd * (60.0 / minutes).sqrt()).min(0.5)
        };
        MeterShape {
            per_day,
            rows: [make(&rows[0]), make(&rows[1]), make(&rows[2])],
            interval_sd,
        }
    }

    /// Writes one day's relative interval weights into `out` (`per_day`
    /// values, with interval noise from `rng`) and returns the factor that
    /// scales them to sum `day_weight`: the caller applies it while
    /// apportioning, which saves a pass over the readings.
    #[inline]
    pub(crate) fn fill_day(&self, day: DayType, day_weight: f64, rng: &mut StreamRng, out: &mut [f64]) -> f64 {
        let row = &self.rows[day as usize];
        if self.interval_sd == 0.0 || self.per_day == 1 {
            out.copy_from_slice(row);
            // Rows sum to 1.
            return day_weight;
        }
        // Triangular multiplicative noise, mean 1 and standard deviation
        // `interval_sd`: the sum of two 32-bit uniforms from one draw (no
        // table, no branch; this runs once per reading). Floored at 0.05,
        // which only `interval_sd` above 0.39 can reach.
        let k = self.interval_sd * 6f64.sqrt();
        const TWO_POW_MINUS_32: f64 = 1.0 / 4_294_967_296.0;
        let mut sum = 0.0;
        for (o, &s) in out.iter_mut().zip(row) {
            let bits = rng.next_u64();
            let u = ((bits >> 32) as f64 + (bits & 0xffff_ffff) as f64) * TWO_POW_MINUS_32;
            let w = s * (1.0 + k * (u - 1.0)).max(0.05);
            *o = w;
            sum += w;
        }
        if sum > 0.0 { day_weight / sum } else { 0.0 }
    }
}

/// The relative energy of a day: level of its type × cooling response × day noise.
#[inline]
pub(crate) fn day_weight(
    params: &ClassShape,
    cooling_base_c: f64,
    day: DayType,
    temperature_c: f64,
    rng: &mut StreamRng,
) -> f64 {
    let level = match day {
        DayType::Weekday => 1.0,
        DayType::Saturday => params.saturday_level,
        DayType::SundayOrHoliday => params.holiday_level,
    };
    let cooling = 1.0 + params.cooling_per_c * (temperature_c - cooling_base_c).max(0.0);
    let noise = (params.day_sd * standard_normal(rng) - params.day_sd * params.day_sd / 2.0).exp();
    level * cooling * noise
}

/// Splits `total` register units over a month of days: interval `k` of day
/// `d` weighs `weights[d·per_day + k] × scales[d]`, the days' weights summing
/// to `day_total`. Cumulative rounding, as [`apportion`]; the results
/// (`units / unit_inverse`) replace the weights.
pub(crate) fn apportion_days(
    total: i64,
    unit_inverse: f64,
    weights: &mut [f64],
    per_day: usize,
    scales: &[f64],
    day_total: f64,
) {
    if !day_total.is_finite() || day_total <= 0.0 {
        return apportion(total, unit_inverse, weights);
    }
    let to_units = total as f64 / day_total;
    let mut cumulative = 0.0;
    let mut previous: i64 = 0;
    for (day, &scale) in weights.chunks_exact_mut(per_day).zip(scales) {
        let f = scale * to_units;
        for w in day {
            cumulative += *w * f;
            // `cumulative` ≥ 0: + 0.5 and truncation round half up.
            let r = ((cumulative + 0.5) as i64).clamp(previous, total);
            *w = (r - previous) as f64 / unit_inverse;
            previous = r;
        }
    }
    // Floating-point error may leave the last cumulative a unit off:
    // the last reading takes the difference.
    if let Some(last) = weights.last_mut() {
        let before = previous - (*last * unit_inverse + 0.5) as i64;
        *last = (total - before) as f64 / unit_inverse;
    }
}

/// Splits `total` register units over `weights` (≥ 0) by cumulative
/// rounding, writing `units × unit` into `weights`: the results sum to
/// exactly `total` units, each within one unit of its exact share. All-zero
/// weights share the total evenly.
pub(crate) fn apportion(total: i64, unit_inverse: f64, weights: &mut [f64]) {
    let n = weights.len();
    if n == 0 {
        return;
    }
    let sum: f64 = weights.iter().sum();
    // NaN is not finite: it takes the equal weights too.
    if sum <= 0.0 || !sum.is_finite() {
        weights.fill(1.0);
        return apportion(total, unit_inverse, weights);
    }
    let scale = total as f64 / sum;
    let mut cumulative = 0.0;
    let mut previous: i64 = 0;
    let last = n - 1;
    for w in &mut weights[..last] {
        cumulative += *w * scale;
        // `cumulative` ≥ 0, so truncation after + 0.5 rounds half up
        // (a cast, not a `floor` call: this runs once per reading).
        let r = ((cumulative + 0.5) as i64).clamp(previous, total);
        *w = (r - previous) as f64 / unit_inverse;
        previous = r;
    }
    weights[last] = (total - previous) as f64 / unit_inverse;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Streams;

    #[test]
    fn apportion_is_exact_and_close() {
        let mut w = vec![1.0, 2.0, 3.0, 0.0, 4.0];
        apportion(1001, 1000.0, &mut w);
        let units: Vec<i64> = w.iter().map(|v| (v * 1000.0).round() as i64).collect();
        assert_eq!(units.iter().sum::<i64>(), 1001);
        // Shares 100.1, 200.2, 300.3, 0, 400.4: cumulative rounding moves the carry.
        assert_eq!(units, [100, 200, 301, 0, 400]);
        let mut zeros = vec![0.0; 4];
        apportion(7, 1000.0, &mut zeros);
        assert_eq!(zeros.iter().map(|v| (v * 1000.0).round() as i64).sum::<i64>(), 7);
    }

    #[test]
    fn meter_shapes_sum_to_one_and_differ() {
        let streams = Streams::new(1);
        let p = ClassShape::RESIDENTIAL;
        let a = MeterShape::draw(
            CustomerClass::Residential,
            &p,
            24,
            &mut streams.stream(crate::rng::Purpose::MeterShape, 0),
        );
        let b = MeterShape::draw(
            CustomerClass::Residential,
            &p,
            24,
            &mut streams.stream(crate::rng::Purpose::MeterShape, 1),
        );
        for row in &a.rows {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        assert_ne!(a.rows[0], b.rows[0]);
        let q = MeterShape::draw(
            CustomerClass::Commercial,
            &p,
            96,
            &mut streams.stream(crate::rng::Purpose::MeterShape, 0),
        );
        assert_eq!(q.rows[0].len(), 96);
    }

    #[test]
    fn evening_peak_and_business_hours() {
        let norm = |r: &[f64; 24]| r.iter().map(|v| v / r.iter().sum::<f64>()).collect::<Vec<_>>();
        let res = norm(&RESIDENTIAL[0]);
        let peak = res.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert!((18..=21).contains(&peak));
        let com = norm(&COMMERCIAL[0]);
        let day: f64 = com[8..18].iter().sum();
        assert!(day > 0.6, "commercial business-hours share {day}");
    }

    #[test]
    fn bad_shape_names_its_field() {
        let mut c = LoadShapeConfig::default();
        c.commercial.hourly_sd = 0.9;
        assert_eq!(c.validate().unwrap_err().field(), "load_shape.commercial.hourly_sd");
    }
}
