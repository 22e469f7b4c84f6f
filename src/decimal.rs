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
/// rounds it, for a finite `value` (`decimals` ≤ 9): [`scaled_near_tie`]
/// when the product is under 2^40, the formatter's digits otherwise.
#[inline]
pub(crate) fn scaled_exact(value: f64, decimals: usize) -> i64 {
    if let Some(n) = scaled_near_tie(value, decimals) {
        return n;
    }
    let text = format!("{value:.decimals$}");
    // Only digits, one '.' and a sign: parses unless the value is huge.
    text.replace('.', "").parse().unwrap_or(value.round() as i64)
}

/// `value × 10^decimals` rounded as the formatter rounds (the binary value's
/// exact product, ties to even), for `|value × 10^decimals| < 2^40`; `None`
/// otherwise (and for NaN). Away from a tie the floating-point product
/// decides (its error is under 2.5e-4); near one, the product's exact
/// rounding error from a fused multiply-add does: the exact product is
/// `p + e`, and `(frac − ½) + e` has the sign of `exact − (t + ½)`
/// (`frac − ½` is exact by Sterbenz's lemma, and a rounded sum keeps the
/// sign of the exact one and is zero only when it is).
#[inline]
pub(crate) fn scaled_near_tie(value: f64, decimals: usize) -> Option<i64> {
    let scale = POW10[decimals];
    let a = value.abs();
    let p = a * scale;
    if p.is_nan() || p >= FAST_LIMIT {
        return None;
    }
    // `as` truncates (one SSE2 instruction; `f64::trunc` is a libm call
    // without SSE4.1), and the comparison below compiles to a flag, not a
    // branch: which way a value rounds is a coin toss for the predictor.
    let t = p as i64;
    let frac = p - t as f64;
    let n = if (frac - 0.5).abs() > 1e-3 {
        t + i64::from(frac > 0.5)
    } else {
        t + i64::from(rounds_up_at_tie(a, scale, p, t, frac))
    };
    Some(if value.is_sign_negative() { -n } else { n })
}

/// Whether `a × scale` (exact) lies above `t + ½`, or on it with `t` odd:
/// decided by the product's exact rounding error (see [`scaled_near_tie`]).
#[cold]
#[inline(never)]
fn rounds_up_at_tie(a: f64, scale: f64, p: f64, t: i64, frac: f64) -> bool {
    let e = a.mul_add(scale, -p);
    let d = (frac - 0.5) + e;
    if d == 0.0 { t % 2 == 1 } else { d > 0.0 }
}

/// `2^52`: adding and subtracting it rounds a value in `0 ..= 2^51` to an
/// integer, ties to even, with plain SSE2 arithmetic (vectorizable, unlike
/// `f64::round`, and `as i64` has no packed form before AVX-512).
const MAGIC: f64 = 4_503_599_627_370_496.0;

/// Each value of `src` with `decimals` decimals as the formatter prints it,
/// as the nearest `f64` (what a CSV reader parses), into `dst` (the same
/// length): [`rounded`] for whole slices, in a loop the compiler vectorizes.
/// Values near a tie, too large for the fast path, or not finite take the
/// exact scalar path afterwards.
#[cfg_attr(not(feature = "arrow"), allow(dead_code))]
pub(crate) fn round_slice(src: &[f64], decimals: usize, dst: &mut [f64]) {
    let scale = POW10[decimals];
    let mut any_slow = false;
    for (d, &v) in dst.iter_mut().zip(src) {
        let p = v.abs() * scale;
        let r = (p + MAGIC) - MAGIC;
        // NaN fails the comparisons: it takes the slow path too.
        let fast = p < FAST_LIMIT && (p - r).abs() < 0.5 - 1e-3;
        any_slow |= !fast;
        // `+ 0.0` turns −0 into +0, as the formatter drops the sign of a zero.
        *d = if fast { (r / scale).copysign(v) + 0.0 } else { f64::NAN };
    }
    if any_slow {
        for (d, &v) in dst.iter_mut().zip(src) {
            if d.is_nan() {
                *d = rounded(v, decimals);
            }
        }
    }
}

/// `value` with `decimals` decimals as the formatter prints it, as the
/// nearest `f64`: the exact integer over an exact power of ten, one
/// correctly rounded division. Non-finite values are returned as they are.
pub(crate) fn rounded(value: f64, decimals: usize) -> f64 {
    if !value.is_finite() {
        return value;
    }
    match scaled_near_tie(value, decimals) {
        Some(n) => n as f64 / POW10[decimals],
        // Too large for an exact integer: what a reader parses from the text.
        None => format!("{value:.decimals$}").parse::<f64>().map_or(value, |v| v + 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exact_tie_rule_agrees_with_the_formatter_everywhere() {
        // Values on and around every tie of 2 and 3 decimals, and random ones.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..200_000i64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64;
            for d in [2usize, 3, 4, 6] {
                let tie = (i as f64 + 0.5) / POW10[d];
                for v in [
                    tie,
                    -tie,
                    tie * (1.0 + 1e-15),
                    f64::from_bits(tie.to_bits() + 1),
                    noise * 1e4,
                    -noise,
                ] {
                    let printed: i64 = format!("{v:.d$}").replace('.', "").parse().unwrap();
                    assert_eq!(scaled_near_tie(v, d), Some(printed), "{v:e} at {d}");
                }
            }
        }
        assert_eq!(scaled_near_tie(f64::NAN, 2), None);
        assert_eq!(scaled_near_tie(1e300, 2), None);
    }

    #[test]
    fn slices_round_as_the_formatter_prints() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut src = Vec::new();
        for i in 0..100_000i64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state >> 11) as f64 / (1u64 << 53) as f64;
            src.extend([
                noise * 5e3,
                -noise,
                (i as f64 + 0.5) / 100.0,
                (i as f64 + 0.5) / 1000.0,
                -0.001 * noise,
            ]);
        }
        src.extend([f64::NAN, f64::INFINITY, 1e300, -0.0, 0.0, 2.0f64.powi(45) + 0.5]);
        for d in [2usize, 3, 4, 6] {
            let mut dst = vec![0.0; src.len()];
            round_slice(&src, d, &mut dst);
            for (&v, &r) in src.iter().zip(&dst) {
                if !v.is_finite() {
                    assert_eq!(r.to_bits(), v.to_bits());
                    continue;
                }
                let parsed: f64 = format!("{v:.d$}").parse().unwrap();
                // The formatter keeps "-0.00"; a CSV value of 0 is written without its sign.
                let parsed = if parsed == 0.0 { 0.0 } else { parsed };
                assert_eq!(r.to_bits(), parsed.to_bits(), "{v:e} at {d}");
                assert_eq!(rounded(v, d).to_bits(), r.to_bits(), "{v:e} at {d}");
            }
        }
    }

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
