//! The three CSV files: `transformers.csv`, `meter_consumption.csv` and
//! `anomaly_labels.csv`.
//!
//! RFC 4180 with a header row: `,` separators, `\n` line ends, UTF-8, no
//! index column, fields quoted only when they contain `,`, `"` or a line
//! break. Numbers use fixed decimals (see [`fmt`](super::fmt)).

use std::io::{self, Write};

use super::fmt::{COORD_DECIMALS, KVA_DECIMALS, KWH_DECIMALS, SEVERITY_DECIMALS, push_fixed, push_u64};
use crate::dataset::Dataset;

/// File name of the transformer table.
pub const TRANSFORMERS_CSV: &str = "transformers.csv";
/// File name of the meter table with one consumption column per period.
pub const METER_CONSUMPTION_CSV: &str = "meter_consumption.csv";
/// File name of the anomaly labels.
pub const ANOMALY_LABELS_CSV: &str = "anomaly_labels.csv";
/// Prefix of every consumption column of `meter_consumption.csv`, followed by `YYYYMM`.
pub const CONSUMPTION_PREFIX: &str = "monthly_consumption_";

/// Columns of `transformers.csv`, in order.
pub const TRANSFORMER_COLUMNS: [&str; 7] = [
    "transformer_id",
    "feeder_id",
    "barangay",
    "lat",
    "lon",
    "capacity_kVA",
    "num_meters",
];
/// Fixed columns of `meter_consumption.csv`, in order (consumption columns follow).
pub const METER_COLUMNS: [&str; 7] = [
    "meter_id",
    "transformer_id",
    "customer_class",
    "barangay",
    "lat",
    "lon",
    "kVA",
];
/// Columns of `anomaly_labels.csv`, in order.
pub const LABEL_COLUMNS: [&str; 8] = [
    "meter_id",
    "anomaly_flag",
    "risk_band",
    "anomaly_type",
    "onset",
    "severity",
    "end",
    "is_theft",
];

/// Flush the line buffer to the writer once it holds this many bytes.
const CHUNK: usize = 64 * 1024;

/// Appends `field`, quoted per RFC 4180 when it contains `,`, `"`, `\r` or `\n`.
pub(crate) fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    use std::fmt::Write as _;
    let _ = write!(out, "{v}");
}

fn push_header(out: &mut String, columns: &[&str]) {
    out.push_str(&columns.join(","));
}

fn flush_if_full<W: Write>(buf: &mut String, out: &mut W) -> io::Result<()> {
    if buf.len() >= CHUNK {
        out.write_all(buf.as_bytes())?;
        buf.clear();
    }
    Ok(())
}

/// Writes `transformers.csv`: `transformer_id, feeder_id, barangay, lat, lon,
/// capacity_kVA, num_meters`, one row per transformer in id order.
///
/// # Errors
/// Any error of `out`.
pub fn write_transformers_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = String::with_capacity(CHUNK + 256);
    push_header(&mut buf, &TRANSFORMER_COLUMNS);
    buf.push('\n');
    for t in dataset.transformers() {
        push_display(&mut buf, t.id);
        buf.push(',');
        push_display(&mut buf, t.feeder_id);
        buf.push(',');
        push_field(&mut buf, &dataset.barangay(t.barangay).name);
        buf.push(',');
        push_fixed(&mut buf, t.lat, COORD_DECIMALS);
        buf.push(',');
        push_fixed(&mut buf, t.lon, COORD_DECIMALS);
        buf.push(',');
        push_fixed(&mut buf, t.capacity_kva, KVA_DECIMALS);
        buf.push(',');
        push_u64(&mut buf, t.num_meters as u64);
        buf.push('\n');
        flush_if_full(&mut buf, &mut out)?;
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}

/// Writes `meter_consumption.csv`: `meter_id, transformer_id, customer_class,
/// barangay, lat, lon, kVA`, then one `monthly_consumption_YYYYMM` column per
/// period in time order (kWh, 2 decimals); one row per meter in id order.
///
/// # Errors
/// Any error of `out`.
pub fn write_meter_consumption_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = String::with_capacity(CHUNK + 4096);
    push_header(&mut buf, &METER_COLUMNS);
    let axis = dataset.axis();
    for i in 0..axis.len() {
        buf.push(',');
        buf.push_str(CONSUMPTION_PREFIX);
        push_u64(&mut buf, u64::from(axis.month(i).compact()));
    }
    buf.push('\n');
    // Barangay names are looked up once, already quoted.
    let names: Vec<String> = dataset
        .barangays()
        .iter()
        .map(|b| {
            let mut s = String::new();
            push_field(&mut s, &b.name);
            s
        })
        .collect();
    for (m, series, _) in dataset.records() {
        push_display(&mut buf, m.id);
        buf.push(',');
        push_display(&mut buf, m.transformer_id);
        buf.push(',');
        buf.push_str(m.customer_class.as_str());
        buf.push(',');
        buf.push_str(names.get(m.barangay.index()).map_or("", String::as_str));
        buf.push(',');
        push_fixed(&mut buf, m.lat, COORD_DECIMALS);
        buf.push(',');
        push_fixed(&mut buf, m.lon, COORD_DECIMALS);
        buf.push(',');
        push_fixed(&mut buf, m.kva, KVA_DECIMALS);
        for &v in series {
            buf.push(',');
            push_fixed(&mut buf, v, KWH_DECIMALS);
        }
        buf.push('\n');
        flush_if_full(&mut buf, &mut out)?;
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}

/// Writes `anomaly_labels.csv`: one row per anomalous meter, in meter order:
/// `meter_id, anomaly_flag (always 1), risk_band, anomaly_type, onset (YYYYMM),
/// severity (4 decimals), end (YYYYMM, empty while ongoing), is_theft (1/0)`.
/// Only the header when there are no anomalies.
///
/// # Errors
/// Any error of `out`.
pub fn write_anomaly_labels_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = String::with_capacity(CHUNK + 256);
    push_header(&mut buf, &LABEL_COLUMNS);
    buf.push('\n');
    let axis = dataset.axis();
    for l in dataset.labels() {
        push_display(&mut buf, l.meter_id);
        buf.push_str(",1,");
        buf.push_str(l.risk_band.as_str());
        buf.push(',');
        push_field(&mut buf, l.anomaly_type.as_str());
        buf.push(',');
        push_u64(&mut buf, u64::from(axis.month(l.onset).compact()));
        buf.push(',');
        push_fixed(&mut buf, l.severity, SEVERITY_DECIMALS);
        buf.push(',');
        if let Some(end) = l.end {
            push_u64(&mut buf, u64::from(axis.month(end).compact()));
        }
        buf.push(',');
        buf.push(if l.is_theft { '1' } else { '0' });
        buf.push('\n');
        flush_if_full(&mut buf, &mut out)?;
    }
    out.write_all(buf.as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut s = String::new();
        push_field(&mut s, "San Miguel");
        s.push('|');
        push_field(&mut s, "Sto. Niño, \"Upper\"");
        assert_eq!(s, "San Miguel|\"Sto. Niño, \"\"Upper\"\"\"");
    }
}
