//! Fixed-decimal number formatting for the data files: never scientific
//! notation, never `-0.00`, always `.` as the decimal separator.
//!
//! For every finite value whose rounded form is not zero,
//! [`push_fixed`] writes exactly what `format!("{:.N$}", v)` writes, only
//! faster: values far from a rounding tie take an integer fast path, the rest
//! fall back to the standard library's exact algorithm.

use std::fmt::Write as _;

use crate::decimal::scaled_round;

/// Decimals written for energy values (kWh).
pub const KWH_DECIMALS: usize = 2;
/// Decimals written for coordinates (degrees).
pub const COORD_DECIMALS: usize = 6;
/// Decimals written for apparent power (kVA).
pub const KVA_DECIMALS: usize = 2;
/// Decimals written for severities (fractions).
pub const SEVERITY_DECIMALS: usize = 4;

/// Appends `value` with exactly `decimals` digits after the point (at most 9).
///
/// Output equals `format!("{value:.decimals$}")`, except that a value which
/// rounds to zero is written without a minus sign. Non-finite values are
/// written as `NaN`, `inf` or `-inf` (a valid dataset has none).
#[cfg_attr(not(any(feature = "geojson", feature = "json")), allow(dead_code))]
pub(crate) fn push_fixed(out: &mut String, value: f64, decimals: usize) {
    let mut bytes = Vec::with_capacity(24);
    write_fixed(&mut bytes, value, decimals);
    // Only ASCII digits, '.', '-' and the std float text were written.
    out.push_str(std::str::from_utf8(&bytes).unwrap_or_default());
}

/// `push_fixed` into a byte buffer: the form the CSV writers use.
#[inline]
pub fn write_fixed(out: &mut Vec<u8>, value: f64, decimals: usize) {
    let decimals = decimals.min(9);
    if !value.is_finite() {
        let _ = write!(Bytes(out), "{value}");
        return;
    }
    if let Some(n) = scaled_round(value, decimals) {
        write_scaled_int(out, n, decimals);
        return;
    }
    let start = out.len();
    let _ = write!(Bytes(out), "{value:.decimals$}");
    if out[start..].starts_with(b"-") && out[start + 1..].iter().all(|&b| b == b'0' || b == b'.') {
        out.remove(start);
    }
}

/// `value` as a new string with `decimals` digits after the point; see [`push_fixed`].
#[must_use]
#[cfg_attr(not(any(feature = "geojson", feature = "json")), allow(dead_code))]
pub(crate) fn fixed(value: f64, decimals: usize) -> String {
    let mut s = String::with_capacity(24);
    push_fixed(&mut s, value, decimals);
    s
}

/// Two-digit pairs `00` … `99`, for writing two digits per division.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `n / 10^decimals` with exactly `decimals` digits after the point
/// (and at least one before it), right to left into a stack buffer, then
/// appends it in one copy.
#[inline]
fn write_scaled_int(out: &mut Vec<u8>, n: i64, decimals: usize) {
    let mut buf = [0u8; 32];
    let pos = scaled_int_digits(n, decimals, &mut buf);
    out.extend_from_slice(&buf[pos..]);
}

/// [`write_fixed`]'s fast path into a stack buffer: `Some(start)` when
/// `buf[start..]` holds exactly what [`write_fixed`] would append, `None`
/// when the value needs the slow path (near a rounding tie, huge, not finite).
#[inline]
pub(crate) fn fixed_digits(value: f64, decimals: usize, buf: &mut [u8; 32]) -> Option<usize> {
    let decimals = decimals.min(9);
    if !value.is_finite() {
        return None;
    }
    let n = scaled_round(value, decimals)?;
    Some(scaled_int_digits(n, decimals, buf))
}

/// Writes `n / 10^decimals` right-aligned into `buf`; returns where it starts.
#[inline]
fn scaled_int_digits(n: i64, decimals: usize, buf: &mut [u8; 32]) -> usize {
    let mut pos = buf.len();
    let mut v = n.unsigned_abs();
    let mut left = decimals;
    while left >= 2 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&PAIRS[r..r + 2]);
        left -= 2;
    }
    if left == 1 {
        pos -= 1;
        buf[pos] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    if decimals > 0 {
        pos -= 1;
        buf[pos] = b'.';
    }
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        pos -= 2;
        buf[pos..pos + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else {
        pos -= 1;
        buf[pos] = b'0' + v as u8;
    }
    if n < 0 {
        pos -= 1;
        buf[pos] = b'-';
    }
    pos
}

/// Appends an unsigned integer in decimal to a byte buffer.
#[inline]
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Appends `prefix`, then `n` zero-padded to at least `width` digits
/// (`MTR_000042`): identifiers without going through `Display`.
#[inline]
pub(crate) fn write_padded(out: &mut Vec<u8>, prefix: &str, n: u64, width: usize) {
    out.extend_from_slice(prefix.as_bytes());
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(n).as_bytes();
    out.extend(std::iter::repeat_n(b'0', width.saturating_sub(digits.len())));
    out.extend_from_slice(digits);
}

/// `fmt::Write` over a byte buffer, for the rare slow paths.
struct Bytes<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Bytes<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn push_fixed_examples() {
        let mut s = String::new();
        push_fixed(&mut s, 1234.5678, 2);
        s.push(' ');
        push_fixed(&mut s, -0.001, 2);
        s.push(' ');
        push_fixed(&mut s, 1e-7, 6);
        assert_eq!(s, "1234.57 0.00 0.000000");
    }

    #[test]
    fn write_fixed_examples() {
        let mut out = Vec::new();
        write_fixed(&mut out, 0.125, 2);
        out.push(b' ');
        write_fixed(&mut out, -12.3456789, 6);
        assert_eq!(out, b"0.12 -12.345679");
    }

    #[cfg(any(feature = "geojson", feature = "json"))]
    #[test]
    fn plain_floats_example() {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PlainFloats(serde_json::ser::CompactFormatter));
        serde::Serialize::serialize(&[1e-7, 75.0, 1e21], &mut ser).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[0.0000001,75.0,1000000000000000000000.0]"
        );
    }

    fn std_or_unsigned_zero(v: f64, d: usize) -> String {
        let s = format!("{v:.d$}");
        if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
            s[1..].to_owned()
        } else {
            s
        }
    }

    #[test]
    fn known_values() {
        assert_eq!(fixed(0.0, 2), "0.00");
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(fixed(-0.004, 2), "0.00");
        assert_eq!(fixed(-0.006, 2), "-0.01");
        assert_eq!(fixed(0.125, 2), format!("{:.2}", 0.125));
        assert_eq!(fixed(2.675, 2), format!("{:.2}", 2.675));
        assert_eq!(fixed(1e15, 2), "1000000000000000.00");
        assert_eq!(fixed(121.0000005, 6), format!("{:.6}", 121.0000005));
        assert_eq!(fixed(14.5, 0), "14");
        assert_eq!(fixed(f64::NAN, 2), "NaN");
    }

    proptest! {
        #[test]
        fn kwh_matches_std(v in 0.0f64..1.0e7) {
            prop_assert_eq!(fixed(v, 2), std_or_unsigned_zero(v, 2));
        }

        #[test]
        fn signed_values_match_std(v in -1.0e6f64..1.0e6, d in 0usize..=6) {
            prop_assert_eq!(fixed(v, d), std_or_unsigned_zero(v, d));
        }

        #[test]
        fn longest_fast_path_outputs_match_std(v in -1.0e10f64..1.0e10, small in -1.0e3f64..1.0e3, d in 7usize..=9) {
            // Up to 13 digits with a sign (|v × 100| near the 2^40 limit), and up to 9 decimals.
            prop_assert_eq!(fixed(v, 2), std_or_unsigned_zero(v, 2));
            prop_assert_eq!(fixed(small, d), std_or_unsigned_zero(small, d));
        }

        #[test]
        fn coordinates_match_std(v in -180.0f64..180.0) {
            prop_assert_eq!(fixed(v, 6), std_or_unsigned_zero(v, 6));
        }

        #[test]
        fn cents_and_ties_match_std(cents in 0i64..10_000_000, half in proptest::bool::ANY) {
            let v = cents as f64 / 100.0 + if half { 0.005 } else { 0.0 };
            prop_assert_eq!(fixed(v, 2), std_or_unsigned_zero(v, 2));
        }

        #[test]
        fn never_scientific(bits in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL) {
            let s = fixed(bits, 4);
            prop_assert!(!s.contains('e') && !s.contains('E'), "{}", s);
        }
    }
}

/// A `serde_json` formatter that writes floats without scientific notation
/// (`0.000001`, not `1e-6`), keeping a `.0` on whole numbers, and otherwise
/// behaves like the wrapped formatter (compact or pretty).
#[cfg(any(feature = "geojson", feature = "json"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "geojson", feature = "json"))))]
#[derive(Debug, Clone)]
pub(crate) struct PlainFloats<F>(pub F);

#[cfg(any(feature = "geojson", feature = "json"))]
impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for PlainFloats<F> {
    fn write_f64<W: ?Sized + std::io::Write>(&mut self, w: &mut W, value: f64) -> std::io::Result<()> {
        // `Display` for f64 prints the shortest round-trip digits and never an exponent.
        let mut s = value.to_string();
        if !s.contains('.') {
            s.push_str(".0");
        }
        w.write_all(s.as_bytes())
    }

    fn write_f32<W: ?Sized + std::io::Write>(&mut self, w: &mut W, value: f32) -> std::io::Result<()> {
        let mut s = value.to_string();
        if !s.contains('.') {
            s.push_str(".0");
        }
        w.write_all(s.as_bytes())
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}
