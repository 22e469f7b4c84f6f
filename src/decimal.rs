//! Decimal rounding of `f64` exactly as `format!("{:.N$}")` rounds (the
//! binary value's exact decimal expansion, ties to even), with an integer
//! fast path. Shared by the file formatter (`io::fmt`) and the interval
//! readings, which must split a month's total *as the monthly file writes it*.

/// `10^d` for the decimals supported (0 ..= 9).
const POW10: [f64; 10] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/// Largest `|v × 10^decimals|` handled by the fast path (2^40): below it the
/// product's rounding error is under 2.5e-4, far from the 1e-3 tie margin.
const FAST_LIMIT: f64 = 1_099_511_627_776.0;

/// `value × 10^decimals` rounded to an integer, when that is certain from the
/// floating-point product: the product is under 2^40 (error < 2.5e-4) and its
/// fraction is more than 1e-3 away from a tie. `None` otherwise (then the
/// standard library's exact formatting decides). `decimals` ≤ 9.
#[inline]
pub(crate) fn scaled_round(value: f64, decimals: usize) -> Option<i64> {
    let scaled = value * POW10[decimals];
    // Finite here, so `>=` also rejects nothing but large values.
    if scaled.abs() >= FAST_LIMIT {
        return None;
    }
    // `as` truncates toward zero (one instruction; no libm call).
    let frac = (scaled - (scaled as i64) as f64).abs();
    if (frac - 0.5).abs() <= 1e-3 {
        return None;
    }
    // Away from a tie, adding ±0.5 and truncating rounds to nearest, without
    // a data-dependent branch (the sign of real data rarely changes).
    Some((scaled + 0.5f64.copysign(scaled)) as i64)
}

/// `value × 10^decimals` rounded exactly as `format!("{value:.decimals$}")`
/// rounds it, for a finite `value` (`decimals` ≤ 9): the fast path when it
/// is certain, the formatter's digits otherwise.
pub(crate) fn scaled_exact(value: f64, decimals: usize) -> i64 {
    if let Some(n) = scaled_round(value, decimals) {
        return n;
    }
    let text = format!("{value:.decimals$}");
    // Only digits, one '.' and a sign: parses unless the value is huge.
    text.replace('.', "").parse().unwrap_or(value.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_rounding_follows_the_formatter_at_ties() {
        assert_eq!(scaled_exact(0.125, 2), 12); // 0.125 is exact: a tie, to even
        assert_eq!(scaled_exact(0.135, 2), 14); // 0.135 is stored above the tie
        assert_eq!(scaled_exact(1234.5678, 2), 123_457);
        assert_eq!(scaled_exact(-2.5, 0), -2);
        assert_eq!(scaled_exact(0.0, 2), 0);
        for i in 0..20_000 {
            let v = i as f64 * 0.0005 + 0.0003 * (i % 7) as f64;
            let printed: i64 = format!("{v:.2}").replace('.', "").parse().unwrap();
            assert_eq!(scaled_exact(v, 2), printed, "{v}");
        }
    }
}
