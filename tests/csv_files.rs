//! `transformers.csv`, `meter_consumption.csv` and `anomaly_labels.csv` parse
//! back (with the `csv` crate) to the in-memory dataset.

use ghostload::io::{write_anomaly_labels_csv, write_meter_consumption_csv, write_transformers_csv};
use ghostload::{Dataset, GeneratorConfig, Pipeline};

fn dataset(config: GeneratorConfig) -> Dataset {
    Pipeline::builder().config(config).build().unwrap().generate().unwrap()
}

fn small() -> Dataset {
    dataset(GeneratorConfig {
        num_transformers: 12,
        num_meters: 400,
        num_months: 14,
        start_month: "2023-11".parse().unwrap(),
        ..Default::default()
    })
}

fn parse(bytes: &[u8]) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_reader(bytes);
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r.records().map(Result::unwrap).collect();
    (headers, rows)
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

fn assert_plain_numbers(text: &str) {
    assert!(!text.contains('\r'), "only \\n line ends");
    assert!(text.ends_with('\n'));
    for field in text.split([',', '\n']) {
        if field.parse::<f64>().is_ok() {
            assert!(!field.contains(['e', 'E']), "scientific notation: {field}");
            let negative_zero = field.starts_with('-') && field[1..].bytes().all(|c| c == b'0' || c == b'.');
            assert!(!negative_zero, "negative zero: {field}");
        }
    }
}

#[test]
fn transformers_csv_round_trips() {
    let d = small();
    let mut out = Vec::new();
    write_transformers_csv(&d, &mut out).unwrap();
    assert_plain_numbers(std::str::from_utf8(&out).unwrap());
    let (headers, rows) = parse(&out);
    assert_eq!(
        headers,
        [
            "transformer_id",
            "feeder_id",
            "barangay",
            "lat",
            "lon",
            "capacity_kVA",
            "num_meters"
        ]
    );
    assert_eq!(rows.len(), d.transformers().len());
    for (t, r) in d.transformers().iter().zip(&rows) {
        assert_eq!(&r[0], t.id.to_string());
        assert_eq!(&r[1], t.feeder_id.to_string());
        assert_eq!(&r[2], d.barangay(t.barangay).unwrap().name);
        assert!((num(&r[3]) - t.lat).abs() <= 5e-7);
        assert!((num(&r[4]) - t.lon).abs() <= 5e-7);
        assert!((num(&r[5]) - t.capacity_kva).abs() <= 5e-3);
        assert_eq!(r[6].parse::<usize>().unwrap(), t.num_meters);
        assert_eq!(r[3].split('.').nth(1).unwrap().len(), 6, "6 decimals");
    }
}

#[test]
fn meter_consumption_csv_round_trips() {
    let d = small();
    let mut out = Vec::new();
    write_meter_consumption_csv(&d, &mut out).unwrap();
    assert_plain_numbers(std::str::from_utf8(&out).unwrap());
    let (headers, rows) = parse(&out);
    assert_eq!(
        headers[..7],
        [
            "meter_id",
            "transformer_id",
            "customer_class",
            "barangay",
            "lat",
            "lon",
            "kVA"
        ]
    );
    let months: Vec<&str> = headers[7..].iter().map(String::as_str).collect();
    assert_eq!(months.len(), 14);
    assert_eq!(months[0], "monthly_consumption_202311");
    assert_eq!(months[2], "monthly_consumption_202401");
    assert_eq!(months[13], "monthly_consumption_202412");
    assert_eq!(rows.len(), d.meters().len());
    for ((m, series, _), r) in d.records().zip(&rows) {
        assert_eq!(&r[0], m.id.to_string());
        assert_eq!(&r[1], m.transformer_id.to_string());
        assert_eq!(&r[2], m.customer_class.as_str());
        assert_eq!(&r[3], d.barangay(m.barangay).unwrap().name);
        assert!((num(&r[4]) - m.lat).abs() <= 5e-7);
        assert!((num(&r[5]) - m.lon).abs() <= 5e-7);
        assert!((num(&r[6]) - m.kva).abs() <= 5e-3);
        for (v, cell) in series.iter().zip(r.iter().skip(7)) {
            assert_eq!(cell.split('.').nth(1).map(str::len), Some(2), "{cell}");
            assert!((num(cell) - v).abs() <= 5e-3 + 1e-9, "{cell} vs {v}");
        }
    }
}

#[test]
fn anomaly_labels_csv_round_trips() {
    let d = small();
    assert!(!d.labels().is_empty());
    let mut out = Vec::new();
    write_anomaly_labels_csv(&d, &mut out).unwrap();
    assert_plain_numbers(std::str::from_utf8(&out).unwrap());
    let (headers, rows) = parse(&out);
    assert_eq!(
        headers,
        [
            "meter_id",
            "anomaly_flag",
            "risk_band",
            "anomaly_type",
            "onset",
            "severity",
            "end",
            "is_theft"
        ]
    );
    assert_eq!(rows.len(), d.labels().len());
    for (l, r) in d.labels().iter().zip(&rows) {
        assert_eq!(&r[0], l.meter_id.to_string());
        assert_eq!(&r[1], "1");
        assert_eq!(&r[2], l.risk_band.as_str());
        assert_eq!(&r[3], l.anomaly_type.as_str());
        assert_eq!(r[4].parse::<u32>().unwrap(), d.axis().month(l.onset).compact());
        assert!((num(&r[5]) - l.severity).abs() <= 5e-5);
        let end = l
            .end
            .map(|e| d.axis().month(e).compact().to_string())
            .unwrap_or_default();
        assert_eq!(&r[6], end);
        assert_eq!(&r[7], if l.is_theft { "1" } else { "0" });
    }
}

#[test]
fn no_anomalies_gives_a_header_only_labels_file() {
    let d = dataset(GeneratorConfig {
        num_transformers: 5,
        num_meters: 50,
        anomaly_rate: 0.0,
        ..Default::default()
    });
    let mut out = Vec::new();
    write_anomaly_labels_csv(&d, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "meter_id,anomaly_flag,risk_band,anomaly_type,onset,severity,end,is_theft\n"
    );
}

#[test]
fn barangay_names_with_commas_and_quotes_are_quoted() {
    let names = ["Sto. Niño, \"Upper\"", "Plain", "A,B"];
    let d = dataset(GeneratorConfig {
        num_transformers: 6,
        num_meters: 60,
        barangays: names.iter().map(|s| (*s).to_owned()).collect(),
        ..Default::default()
    });
    let mut tx = Vec::new();
    write_transformers_csv(&d, &mut tx).unwrap();
    let (_, rows) = parse(&tx);
    for (t, r) in d.transformers().iter().zip(&rows) {
        assert_eq!(r.len(), 7);
        assert_eq!(&r[2], d.barangay(t.barangay).unwrap().name);
    }
    let mut meters = Vec::new();
    write_meter_consumption_csv(&d, &mut meters).unwrap();
    let (headers, rows) = parse(&meters);
    assert!(rows.iter().all(|r| r.len() == headers.len()));
    assert!(rows.iter().any(|r| names.contains(&&r[3])));
}
