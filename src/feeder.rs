//! Feeders: groups of spatially adjacent transformers.
//!
//! Transformers are ordered along a Hilbert curve laid over the bounds
//! (Hilbert 1891; the curve keeps points that are close on the curve close
//! in the plane), then cut into consecutive runs of
//! `transformers_per_feeder`. Nearby transformers therefore share a feeder,
//! as on a real radial distribution network, instead of being assigned at random.

use crate::geo::{GeoBounds, GeoPoint};
use crate::ids::FeederId;

/// Grid resolution of the Hilbert curve: 2^16 cells per axis (~0.5 m on the default bounds).
const ORDER: u32 = 16;

/// The feeder of each point, in input order. Feeders are numbered along the curve.
pub(crate) fn assign_feeders(points: &[GeoPoint], bounds: &GeoBounds, per_feeder: usize) -> Vec<FeederId> {
    let n = points.len();
    let mut order: Vec<(u64, usize)> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (hilbert_index(p, bounds), i))
        .collect();
    order.sort_unstable();
    let feeders = n.div_ceil(per_feeder.max(1)).max(1);
    let mut out = vec![FeederId::from_index(0); n];
    for (rank, &(_, i)) in order.iter().enumerate() {
        // Balanced runs: feeder f takes ranks [f·n/F, (f+1)·n/F).
        out[i] = FeederId::from_index((rank * feeders / n) as u32);
    }
    out
}

pub(crate) fn hilbert_index(p: &GeoPoint, b: &GeoBounds) -> u64 {
    let side = (1u64 << ORDER) - 1;
    let scale = |v: f64, lo: f64, hi: f64| (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * side as f64) as u64;
    xy_to_d(scale(p.lon, b.lon_min, b.lon_max), scale(p.lat, b.lat_min, b.lat_max))
}

/// Position of cell `(x, y)` along the Hilbert curve of order [`ORDER`].
fn xy_to_d(mut x: u64, mut y: u64) -> u64 {
    let n = 1u64 << ORDER;
    let mut d = 0;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hilbert_curve_visits_each_cell_once_with_unit_steps() {
        // On a 4×4 sub-grid at the origin corner the first 16 positions are a path.
        let mut cells: Vec<(u64, u64, u64)> = (0..4)
            .flat_map(|x| (0..4).map(move |y| (xy_to_d(x, y), x, y)))
            .collect();
        cells.sort_unstable();
        for (k, w) in cells.windows(2).enumerate() {
            assert_eq!(w[0].0, k as u64);
            let step = w[0].1.abs_diff(w[1].1) + w[0].2.abs_diff(w[1].2);
            assert_eq!(step, 1, "{w:?}");
        }
    }

    #[test]
    fn feeders_are_balanced_and_spatially_coherent() {
        let b = GeoBounds::default();
        // Two far-apart groups of 5: each must form its own feeder.
        let mut pts = Vec::new();
        for i in 0..5 {
            pts.push(GeoPoint {
                lat: 14.41 + 0.001 * f64::from(i),
                lon: 120.91,
            });
            pts.push(GeoPoint {
                lat: 14.69 - 0.001 * f64::from(i),
                lon: 121.19,
            });
        }
        let f = assign_feeders(&pts, &b, 5);
        for i in 0..5 {
            assert_eq!(f[2 * i], f[0]);
            assert_eq!(f[2 * i + 1], f[1]);
        }
        assert_ne!(f[0], f[1]);
        let g = assign_feeders(&pts, &b, 3);
        let max = g.iter().map(|x| x.index() as usize).max().unwrap();
        assert_eq!(max, 3); // ceil(10 / 3) = 4 feeders
    }
}
