//! `transformers.geojson` parses back (with the `geojson` crate) to the dataset's transformers.

use std::collections::BTreeSet;

use geojson::{GeoJson, Value};
use ghostload::io::write_transformers_geojson;
use ghostload::{Dataset, GeneratorConfig, Pipeline};

/// A generated dataset and its `transformers.geojson` text.
fn written(config: GeneratorConfig) -> (Dataset, String) {
    let d = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    let mut out = Vec::new();
    write_transformers_geojson(&d, &mut out).unwrap();
    (d, String::from_utf8(out).unwrap())
}

#[test]
fn geojson_round_trips_with_every_meter_id() {
    let (d, text) = written(GeneratorConfig {
        num_transformers: 15,
        num_meters: 600,
        ..Default::default()
    });
    let b = text.as_bytes();
    let exponent = b
        .windows(3)
        .any(|w| w[0].is_ascii_digit() && (w[1] == b'e' || w[1] == b'E') && (w[2].is_ascii_digit() || w[2] == b'-'));
    assert!(!exponent, "no scientific notation");
    assert!(text.ends_with("}\n"));
    let GeoJson::FeatureCollection(fc) = text.parse::<GeoJson>().unwrap() else {
        panic!("not a FeatureCollection");
    };
    assert_eq!(fc.features.len(), d.transformers().len());
    let bbox = fc.bbox.clone().expect("bbox");
    assert_eq!(bbox.len(), 4);
    let mut all_ids = BTreeSet::new();
    for (t, f) in d.transformers().iter().zip(&fc.features) {
        let geometry = f.geometry.as_ref().unwrap();
        let Value::Point(coordinates) = &geometry.value else {
            panic!("not a point");
        };
        let (lon, lat) = (coordinates.as_slice()[0], coordinates.as_slice()[1]);
        assert!((lon - t.lon).abs() <= 5e-7 && (lat - t.lat).abs() <= 5e-7);
        assert!(bbox[0] <= lon && lon <= bbox[2] && bbox[1] <= lat && lat <= bbox[3]);
        let p = f.properties.as_ref().unwrap();
        assert_eq!(p["transformer_id"], t.id.to_string());
        assert_eq!(p["feeder_id"], t.feeder_id.to_string());
        assert_eq!(p["barangay"], d.barangay(t.barangay).unwrap().name.as_str());
        assert_eq!(p["capacity_kVA"].as_f64().unwrap(), t.capacity_kva);
        assert_eq!(p["num_meters"].as_u64().unwrap() as usize, t.num_meters);
        let ids: Vec<&str> = p["meter_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), t.num_meters, "all meter ids, not the first 10");
        let expected: Vec<String> = d
            .meters()
            .iter()
            .filter(|m| m.transformer_id == t.id)
            .map(|m| m.id.to_string())
            .collect();
        assert_eq!(ids, expected);
        all_ids.extend(ids.iter().map(|s| (*s).to_owned()));
    }
    assert_eq!(all_ids.len(), d.meters().len());
    assert!(d.transformers().iter().any(|t| t.num_meters > 10));
}

#[test]
fn coordinates_near_zero_are_not_written_in_scientific_notation() {
    let (_, text) = written(GeneratorConfig {
        num_transformers: 30,
        num_meters: 60,
        bounds: ghostload::GeoBounds {
            lat_min: -0.00002,
            lat_max: 0.00002,
            lon_min: -0.00002,
            lon_max: 0.00002,
        },
        ..Default::default()
    });
    assert!(!text.contains("e-") && !text.contains("E-"), "{text}");
    let GeoJson::FeatureCollection(fc) = text.parse::<GeoJson>().unwrap() else {
        panic!("not a FeatureCollection");
    };
    assert_eq!(fc.features.len(), 30);
}

#[test]
fn written_file_parses_to_the_typed_collection() {
    // The writer streams JSON by hand for speed; the `geojson` crate must read
    // back exactly the collection the typed builder produces.
    let (d, text) = written(GeneratorConfig {
        num_transformers: 40,
        num_meters: 900,
        barangays: vec!["Sto. Niño \"Upper\", Phase 2".into(), "Malate\\Ermita".into()],
        ..Default::default()
    });
    let GeoJson::FeatureCollection(parsed) = text.parse::<GeoJson>().unwrap() else {
        panic!("not a FeatureCollection");
    };
    let typed = ghostload::io::transformers_feature_collection(&d);
    assert_eq!(parsed.bbox, typed.bbox);
    assert_eq!(parsed.features.len(), typed.features.len());
    for (p, t) in parsed.features.iter().zip(&typed.features) {
        assert_eq!(p.geometry, t.geometry);
        assert_eq!(p.properties, t.properties);
    }
}
