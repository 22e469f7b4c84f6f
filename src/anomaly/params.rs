//! Parameter checks and draws shared by the built-in injectors.

use rand::Rng;

use crate::error::ConfigError;
use crate::error::check_range;

/// Checks `lo ..= hi` bounds of a uniform parameter: each finite in
/// `min ..= max` and `lo <= hi`.
pub(crate) fn check_interval(
    lo: (&'static str, f64),
    hi: (&'static str, f64),
    min: f64,
    max: f64,
    allowed: &'static str,
) -> Result<(), ConfigError> {
    check_range(lo.0, lo.1, min, max, allowed)?;
    check_range(hi.0, hi.1, min, max, allowed)?;
    if lo.1 > hi.1 {
        return Err(ConfigError::Unordered {
            min_field: lo.0,
            min: lo.1,
            max_field: hi.0,
            max: hi.1,
        });
    }
    Ok(())
}

/// Checks a duration range in periods: `1 <= lo <= hi <= 1200`.
pub(crate) fn check_periods(lo: (&'static str, usize), hi: (&'static str, usize)) -> Result<(), ConfigError> {
    if !(1..=1200).contains(&lo.1) {
        return Err(ConfigError::out_of_range(lo.0, lo.1, "1 ..= 1200"));
    }
    if !(1..=1200).contains(&hi.1) {
        return Err(ConfigError::out_of_range(hi.0, hi.1, "1 ..= 1200"));
    }
    if lo.1 > hi.1 {
        return Err(ConfigError::Unordered {
            min_field: lo.0,
            min: lo.1 as f64,
            max_field: hi.0,
            max: hi.1 as f64,
        });
    }
    Ok(())
}

/// Multiplies every value of `series` from period `onset` on by `factor`.
pub(crate) fn scale_from(series: &mut [f64], onset: usize, factor: f64) {
    for v in series.iter_mut().skip(onset) {
        *v *= factor;
    }
}

/// A uniform draw in `[lo, hi)`, `lo + (hi − lo) · u` with `u` uniform in
/// `[0, 1)` (exactly `lo` when they are equal).
pub(crate) fn uniform<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    let u: f64 = rng.random();
    lo + (hi - lo) * u
}

/// Mean of a slice (0 when empty).
pub(crate) fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}
