//! [`CellScan`]: one pass over consumption values, shared by the statistics
//! and the checks, computed per chunk (in parallel when streaming) and merged in order.

/// Values above this many hundredths of a kWh (167 772.16 kWh) are kept
/// individually instead of in the dense histogram.
pub(crate) const DENSE_CENTS: u64 = 1 << 24;

/// What the summary and the validator need to know about a run of values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CellScan {
    /// Values scanned.
    pub(crate) cells: u64,
    /// Σ of the values in hundredths of a kWh (rounded half up).
    pub(crate) sum_cents: u128,
    /// Σ of their squares.
    pub(crate) sum_sq_cents: u128,
    /// Hundredths below [`DENSE_CENTS`], for the dense histogram.
    pub(crate) small: Vec<u32>,
    /// Hundredths at or above it.
    pub(crate) large: Vec<u64>,
    /// Values that are NaN or infinite (counted as 0 in the statistics).
    pub(crate) non_finite: u64,
    /// Finite values below zero (counted as 0 in the statistics).
    pub(crate) negative: u64,
}

impl CellScan {
    /// Scans `values`.
    pub(crate) fn of(values: &[f64]) -> CellScan {
        let mut scan = CellScan {
            small: Vec::with_capacity(values.len()),
            ..CellScan::default()
        };
        let (mut sum, mut sum_sq) = (0u128, 0u128);
        for &v in values {
            let cents = if v.is_finite() {
                if v < 0.0 {
                    scan.negative += 1;
                    0
                } else {
                    // `as` saturates and truncates: + 0.5 rounds half up without a libm call.
                    (v * 100.0 + 0.5) as u64
                }
            } else {
                scan.non_finite += 1;
                0
            };
            sum += u128::from(cents);
            sum_sq += u128::from(cents) * u128::from(cents);
            if cents < DENSE_CENTS {
                scan.small.push(cents as u32);
            } else {
                scan.large.push(cents);
            }
        }
        scan.cells = values.len() as u64;
        scan.sum_cents = sum;
        scan.sum_sq_cents = sum_sq;
        scan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_rounds_to_hundredths_and_flags_bad_values() {
        let s = CellScan::of(&[1.004, 1.006, -2.0, f64::NAN, 2e6]);
        assert_eq!(s.small, [100, 101, 0, 0]);
        assert_eq!(s.large, [200_000_000]);
        assert_eq!((s.negative, s.non_finite, s.cells), (1, 1, 5));
        assert_eq!(s.sum_cents, 100 + 101 + 200_000_000);
    }
}
