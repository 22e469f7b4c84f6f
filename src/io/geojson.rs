//! `transformers.geojson`: the transformers as an RFC 7946 FeatureCollection.

use std::io::{self, Write};

use geojson::{Feature, FeatureCollection, Geometry, JsonObject};
use serde_json::Value;

use super::fmt::{COORD_DECIMALS, KVA_DECIMALS, fixed};
use crate::dataset::Dataset;
use crate::ids::MeterId;
use crate::network::Network;

/// File name of the transformer map layer.
pub const TRANSFORMERS_GEOJSON: &str = "transformers.geojson";

/// `value` rounded to `decimals` decimals, as the nearest `f64` to the
/// printed fixed-decimal form (so JSON shows at most that many decimals).
fn rounded(value: f64, decimals: usize) -> f64 {
    fixed(value, decimals).parse().unwrap_or(value)
}

/// Builds the FeatureCollection: one Point feature per transformer, in id
/// order, at `[lon, lat]` rounded to 6 decimals, with properties
/// `transformer_id, feeder_id, barangay, capacity_kVA, num_meters, meter_ids`
/// (every meter it serves) and the collection's `bbox`
/// `[west, south, east, north]`.
#[must_use]
pub fn transformers_feature_collection(dataset: &Dataset) -> FeatureCollection {
    network_feature_collection(dataset.network())
}

/// [`transformers_feature_collection`] from the network alone: meters are
/// numbered transformer by transformer, so each transformer's meter ids
/// follow from the allocation.
pub(crate) fn network_feature_collection(network: &Network) -> FeatureCollection {
    let allocation = network.allocation();
    let meter_ids = (0..network.transformers().len()).map(|t| {
        allocation
            .range(t)
            .map(|m| Value::String(MeterId::from_index(m as u32).to_string()))
            .collect::<Vec<_>>()
    });
    let (mut west, mut south, mut east, mut north) =
        (f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
    let features = network
        .transformers()
        .iter()
        .zip(meter_ids)
        .map(|(t, ids)| {
            let (lon, lat) = (rounded(t.lon, COORD_DECIMALS), rounded(t.lat, COORD_DECIMALS));
            west = west.min(lon);
            east = east.max(lon);
            south = south.min(lat);
            north = north.max(lat);
            let mut props = JsonObject::new();
            props.insert("transformer_id".into(), Value::String(t.id.to_string()));
            props.insert("feeder_id".into(), Value::String(t.feeder_id.to_string()));
            props.insert(
                "barangay".into(),
                Value::String(
                    network
                        .barangays()
                        .get(t.barangay.index())
                        .map_or_else(String::new, |b| b.name.clone()),
                ),
            );
            props.insert(
                "capacity_kVA".into(),
                serde_json::Number::from_f64(rounded(t.capacity_kva, KVA_DECIMALS)).map_or(Value::Null, Value::Number),
            );
            props.insert("num_meters".into(), Value::from(t.num_meters));
            props.insert("meter_ids".into(), Value::Array(ids));
            Feature {
                bbox: None,
                geometry: Some(Geometry::new_point([lon, lat])),
                id: None,
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect::<Vec<_>>();
    FeatureCollection {
        bbox: (!features.is_empty()).then(|| vec![west, south, east, north]),
        features,
        foreign_members: None,
    }
}

/// Writes `transformers.geojson` (compact JSON, one trailing `\n`); see
/// [`transformers_feature_collection`].
///
/// # Errors
/// Any error of `out`.
pub fn write_transformers_geojson<W: Write>(dataset: &Dataset, out: W) -> io::Result<()> {
    network_geojson(dataset.network(), out)
}

pub(crate) fn network_geojson<W: Write>(network: &Network, mut out: W) -> io::Result<()> {
    let fc = network_feature_collection(network);
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, super::fmt::PlainFloats(serde_json::ser::CompactFormatter));
    serde::Serialize::serialize(&fc, &mut ser)?;
    out.write_all(b"\n")?;
    out.flush()
}
