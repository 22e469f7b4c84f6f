//! Number formatting throughput, per value: the fixed-decimal writer the CSV
//! files use against `std::write!` and `ryu`.
//!
//! Run: `cargo bench --bench formatting`
//!
//! The inputs are generated deterministically, so every run formats the same
//! 100 000 values: kWh readings (log-normal, median about 250 kWh, clamped to
//! 0 ..= 50 000, written with 2 decimals) and coordinates (degrees inside the
//! Philippines' bounding box, written with 6 decimals).

use std::hint::black_box;
use std::io::Write as _;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ghostload::__bench::write_fixed;
use ghostload::io::{COORD_DECIMALS, KWH_DECIMALS};
use ghostload::rand::Rng;
use rand_pcg::Pcg64Mcg;

/// Values per benchmark iteration.
const N: usize = 100_000;

/// `N` log-normal kWh values in `0 ..= 50 000` (Box–Muller normal, μ = ln 250,
/// σ = 1.2), with a few exact zeros as real data has.
fn kwh_values() -> Vec<f64> {
    let mut rng = Pcg64Mcg::new(1);
    (0..N)
        .map(|i| {
            if i % 97 == 0 {
                return 0.0;
            }
            let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
            let u2: f64 = rng.random();
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            (250f64.ln() + 1.2 * z).exp().clamp(0.0, 50_000.0)
        })
        .collect()
}

/// `N` coordinates, alternately latitudes (4.5 ..= 21.5) and longitudes
/// (116 ..= 127).
fn coordinates() -> Vec<f64> {
    let mut rng = Pcg64Mcg::new(2);
    (0..N)
        .map(|i| {
            let u: f64 = rng.random();
            if i % 2 == 0 { 4.5 + 17.0 * u } else { 116.0 + 11.0 * u }
        })
        .collect()
}

/// Formats every value with `write` into `out`, each followed by a comma:
/// one measured iteration. `out` is reserved beforehand, so nothing is
/// reallocated inside the loop.
fn format_all(out: &mut Vec<u8>, values: &[f64], mut write: impl FnMut(&mut Vec<u8>, f64)) -> usize {
    out.clear();
    for &v in black_box(values) {
        write(out, v);
        out.push(b',');
    }
    black_box(out.len())
}

fn kwh(c: &mut Criterion) {
    let values = kwh_values();
    let mut out: Vec<u8> = Vec::with_capacity(N * 32);
    let mut group = c.benchmark_group("format_kwh_2dp");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("write_fixed", |b| {
        b.iter(|| format_all(&mut out, &values, |o, v| write_fixed(o, v, KWH_DECIMALS)))
    });
    group.bench_function("std_write", |b| {
        b.iter(|| {
            format_all(&mut out, &values, |o, v| {
                write!(o, "{v:.2}").expect("writing to a Vec cannot fail")
            })
        })
    });
    // Baseline only: ryu prints the *shortest round-trip* representation
    // (e.g. `1234.5678`, `0.1`, `1e-7`), not 2 fixed decimals, so it would need
    // post-processing (rounding to 2 places and padding/truncating the
    // fraction) before it could replace `write_fixed`. It measures how fast a
    // float can be written at all, before choosing an approach.
    let mut buffer = ryu::Buffer::new();
    group.bench_function("ryu_shortest", |b| {
        b.iter(|| {
            format_all(&mut out, &values, |o, v| {
                o.extend_from_slice(buffer.format(v).as_bytes())
            })
        })
    });
    group.finish();
}

fn coords(c: &mut Criterion) {
    let values = coordinates();
    let mut out: Vec<u8> = Vec::with_capacity(N * 32);
    let mut group = c.benchmark_group("format_coord_6dp");
    group.throughput(Throughput::Elements(N as u64));
    group.bench_function("write_fixed", |b| {
        b.iter(|| format_all(&mut out, &values, |o, v| write_fixed(o, v, COORD_DECIMALS)))
    });
    group.bench_function("std_write", |b| {
        b.iter(|| {
            format_all(&mut out, &values, |o, v| {
                write!(o, "{v:.6}").expect("writing to a Vec cannot fail")
            })
        })
    });
    // `format!` allocates a `String` per value, as code building rows from
    // strings would.
    group.bench_function("format_alloc", |b| {
        b.iter(|| {
            format_all(&mut out, &values, |o, v| {
                o.extend_from_slice(format!("{v:.6}").as_bytes())
            })
        })
    });
    group.finish();
}

/// Checks once, outside the measurements, that `write_fixed` writes the same
/// text as `format!` for these inputs (none rounds to `-0`), so the comparison
/// is between equal outputs.
fn same_output(_: &mut Criterion) {
    for (values, decimals) in [(kwh_values(), KWH_DECIMALS), (coordinates(), COORD_DECIMALS)] {
        let mut out = Vec::new();
        for v in values {
            out.clear();
            write_fixed(&mut out, v, decimals);
            assert_eq!(out, format!("{v:.decimals$}").into_bytes(), "value {v:?}");
        }
    }
}

criterion_group!(benches, same_output, kwh, coords);
criterion_main!(benches);
