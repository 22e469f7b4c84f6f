//! `transformers.geojson`: the transformers as an RFC 7946 FeatureCollection.

use std::io::{self, Write};

use geojson::{Feature, FeatureCollection, Geometry, JsonObject};
use serde_json::Value;

use super::fmt::{COORD_DECIMALS, KVA_DECIMALS, fixed, write_fixed, write_padded, write_u64};
use crate::balance::GhostLoad;
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
    let ghosts = ghosts_of(dataset);
    network_feature_collection(dataset.network(), ghosts.as_deref())
}

/// [`transformers_feature_collection`] from the network alone: meters are
/// numbered transformer by transformer, so each transformer's meter ids
/// follow from the allocation.
pub(crate) fn network_feature_collection(network: &Network, ghosts: Option<&[GhostLoad]>) -> FeatureCollection {
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
                        .get(t.barangay.index() as usize)
                        .map_or_else(String::new, |b| b.name.clone()),
                ),
            );
            props.insert(
                "capacity_kVA".into(),
                serde_json::Number::from_f64(rounded(t.capacity_kva, KVA_DECIMALS)).map_or(Value::Null, Value::Number),
            );
            props.insert("num_meters".into(), Value::from(t.num_meters));
            if let Some(g) = ghosts.and_then(|g| g.get(t.id.index() as usize)) {
                for (key, value) in ghost_properties(g) {
                    let value = match value {
                        GhostValue::Count(n) => Value::from(n),
                        GhostValue::Number(v, d) => {
                            serde_json::Number::from_f64(rounded(v, d)).map_or(Value::Null, Value::Number)
                        }
                        GhostValue::Flag(f) => Value::Bool(f),
                    };
                    props.insert(key.into(), value);
                }
            }
            props.insert("meter_ids".into(), Value::Array(ids));
            Feature {
                bbox: None,
                geometry: Some(Geometry::new(geojson::Value::Point(vec![lon, lat]))),
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
    let ghosts = ghosts_of(dataset);
    network_geojson(dataset.network(), ghosts.as_deref(), out)
}

/// The ghost load of every transformer of `dataset`, when it has a balance.
fn ghosts_of(dataset: &Dataset) -> Option<Vec<GhostLoad>> {
    dataset
        .energy_balance()
        .map(|b| b.transformers.iter().map(GhostLoad::of).collect())
}

/// A ghost-load property's value.
enum GhostValue {
    Count(usize),
    Number(f64, usize),
    Flag(bool),
}

/// The ghost-load properties of a transformer feature, in order.
fn ghost_properties(g: &GhostLoad) -> [(&'static str, GhostValue); 7] {
    [
        ("theft_meters", GhostValue::Count(g.theft_meters)),
        ("anomalous_meters", GhostValue::Count(g.anomalous_meters)),
        ("stolen_kwh", GhostValue::Number(g.stolen_kwh, 3)),
        ("ntl_share", GhostValue::Number(g.ntl_share, 4)),
        ("technical_loss_kwh", GhostValue::Number(g.technical_loss_kwh, 3)),
        ("peak_loading", GhostValue::Number(g.peak_loading, 3)),
        ("overloaded", GhostValue::Flag(g.peak_loading > 1.0)),
    ]
}

/// Writes the same FeatureCollection as [`network_feature_collection`]
/// directly, without building a JSON tree: one pass, no allocation per meter
/// id (a million ids would otherwise cost a million strings). A test checks
/// that the `geojson` crate parses the result back into the same collection.
pub(crate) fn network_geojson<W: Write>(network: &Network, ghosts: Option<&[GhostLoad]>, mut out: W) -> io::Result<()> {
    let coords: Vec<(f64, f64)> = network
        .transformers()
        .iter()
        .map(|t| (rounded(t.lon, COORD_DECIMALS), rounded(t.lat, COORD_DECIMALS)))
        .collect();
    let names: Vec<String> = network
        .barangays()
        .iter()
        .map(|b| serde_json::to_string(&b.name))
        .collect::<Result<_, _>>()?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 16);
    buf.extend_from_slice(b"{\"type\":\"FeatureCollection\"");
    if !coords.is_empty() {
        let fold =
            |init: f64, pick: fn(f64, f64) -> f64, get: fn(&(f64, f64)) -> f64| coords.iter().map(get).fold(init, pick);
        let bbox = [
            fold(f64::INFINITY, f64::min, |c| c.0),
            fold(f64::INFINITY, f64::min, |c| c.1),
            fold(f64::NEG_INFINITY, f64::max, |c| c.0),
            fold(f64::NEG_INFINITY, f64::max, |c| c.1),
        ];
        buf.extend_from_slice(b",\"bbox\":[");
        for (i, v) in bbox.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            write_fixed(&mut buf, *v, COORD_DECIMALS);
        }
        buf.push(b']');
    }
    buf.extend_from_slice(b",\"features\":[");
    let allocation = network.allocation();
    for (i, (t, (lon, lat))) in network.transformers().iter().zip(&coords).enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(b"{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[");
        write_fixed(&mut buf, *lon, COORD_DECIMALS);
        buf.push(b',');
        write_fixed(&mut buf, *lat, COORD_DECIMALS);
        buf.extend_from_slice(b"]},\"properties\":{\"transformer_id\":\"");
        write_padded(&mut buf, "TX_", t.id.number(), 4);
        buf.extend_from_slice(b"\",\"feeder_id\":\"");
        write_padded(&mut buf, "FDR_", t.feeder_id.number(), 2);
        buf.extend_from_slice(b"\",\"barangay\":");
        buf.extend_from_slice(
            names
                .get(t.barangay.index() as usize)
                .map_or("\"\"", String::as_str)
                .as_bytes(),
        );
        buf.extend_from_slice(b",\"capacity_kVA\":");
        write_fixed(&mut buf, t.capacity_kva, KVA_DECIMALS);
        buf.extend_from_slice(b",\"num_meters\":");
        write_u64(&mut buf, t.num_meters as u64);
        if let Some(g) = ghosts.and_then(|g| g.get(i)) {
            for (key, value) in ghost_properties(g) {
                buf.extend_from_slice(b",\"");
                buf.extend_from_slice(key.as_bytes());
                buf.extend_from_slice(b"\":");
                match value {
                    GhostValue::Count(n) => write_u64(&mut buf, n as u64),
                    GhostValue::Number(v, d) => write_fixed(&mut buf, v, d),
                    GhostValue::Flag(f) => buf.extend_from_slice(if f { b"true" } else { b"false" }),
                }
            }
        }
        buf.extend_from_slice(b",\"meter_ids\":[");
        for (k, m) in allocation.range(i).enumerate() {
            if k > 0 {
                buf.push(b',');
            }
            buf.push(b'"');
            write_padded(&mut buf, "MTR_", MeterId::from_index(m as u32).number(), 6);
            buf.push(b'"');
        }
        buf.extend_from_slice(b"]}}");
        if buf.len() >= 1 << 16 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    buf.extend_from_slice(b"]}\n");
    out.write_all(&buf)?;
    out.flush()
}
