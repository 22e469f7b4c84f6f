//! The three CSV files: `transformers.csv`, `meter_consumption.csv` and
//! `anomaly_labels.csv`.
//!
//! RFC 4180 with a header row: `,` separators, `\n` line ends, UTF-8, no
//! index column, fields quoted only when they contain `,`, `"` or a line
//! break. Numbers use fixed decimals (see [`fmt`](super::fmt)).

use std::io::{self, Write};

use super::fmt::{COORD_DECIMALS, KVA_DECIMALS, KWH_DECIMALS, SEVERITY_DECIMALS, write_fixed, write_padded, write_u64};
use crate::batch::Part;
use crate::dataset::Dataset;
use crate::model::{AnomalyLabel, Event};
use crate::network::Network;
use crate::time::{Resolution, TimeAxis};

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
/// File name of every event, anomalous or benign.
pub const EVENTS_CSV: &str = "events.csv";
/// Columns of `events.csv`, in order.
pub const EVENT_COLUMNS: [&str; 7] = [
    "meter_id",
    "event_type",
    "is_theft",
    "onset",
    "end",
    "severity",
    "anomaly_flag",
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

/// Meters formatted into one buffer before it is written.
const ROWS_PER_CHUNK: usize = 2048;

/// Appends `field`, quoted per RFC 4180 when it contains `,`, `"`, `\r` or `\n`.
pub(crate) fn push_field(out: &mut Vec<u8>, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        for &b in field.as_bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

fn push_header(out: &mut Vec<u8>, columns: &[&str]) {
    out.extend_from_slice(columns.join(",").as_bytes());
}

fn flush_if_full<W: Write>(buf: &mut Vec<u8>, out: &mut W) -> io::Result<()> {
    if buf.len() >= CHUNK {
        out.write_all(buf)?;
        buf.clear();
    }
    Ok(())
}

fn push_flag(out: &mut Vec<u8>, flag: bool) {
    out.push(if flag { b'1' } else { b'0' });
}

/// Writes `transformers.csv`: `transformer_id, feeder_id, barangay, lat, lon,
/// capacity_kVA, num_meters`, one row per transformer in id order.
///
/// # Errors
/// Any error of `out`.
pub fn write_transformers_csv<W: Write>(dataset: &Dataset, out: W) -> io::Result<()> {
    transformers_csv(dataset.network(), out)
}

pub(crate) fn transformers_csv<W: Write>(network: &Network, mut out: W) -> io::Result<()> {
    let mut buf = Vec::with_capacity(CHUNK + 256);
    push_header(&mut buf, &TRANSFORMER_COLUMNS);
    buf.push(b'\n');
    for t in network.transformers() {
        write_padded(&mut buf, "TX_", t.id.number(), 4);
        buf.push(b',');
        write_padded(&mut buf, "FDR_", t.feeder_id.number(), 2);
        buf.push(b',');
        let name = network
            .barangays()
            .get(t.barangay.index() as usize)
            .map_or("", |b| b.name.as_str());
        push_field(&mut buf, name);
        buf.push(b',');
        write_fixed(&mut buf, t.lat, COORD_DECIMALS);
        buf.push(b',');
        write_fixed(&mut buf, t.lon, COORD_DECIMALS);
        buf.push(b',');
        write_fixed(&mut buf, t.capacity_kva, KVA_DECIMALS);
        buf.push(b',');
        write_u64(&mut buf, t.num_meters as u64);
        buf.push(b'\n');
        flush_if_full(&mut buf, &mut out)?;
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Formats the rows of the three per-meter files, for any run of meters.
#[derive(Debug, Clone)]
pub(crate) struct RowFormat {
    /// Barangay names, already quoted where needed.
    names: Vec<Vec<u8>>,
    /// The monthly axis (the columns of `meter_consumption.csv`).
    axis: TimeAxis,
    /// The series axis (what labels' and events' periods index).
    series: TimeAxis,
}

impl RowFormat {
    /// Rows of `network`'s meters; `axis` is the monthly axis, `series` the
    /// series axis (the same at monthly resolution).
    pub(crate) fn new(network: &Network, axis: &TimeAxis, series: &TimeAxis) -> Self {
        let names = network
            .barangays()
            .iter()
            .map(|b| {
                let mut s = Vec::new();
                push_field(&mut s, &b.name);
                s
            })
            .collect();
        RowFormat {
            names,
            axis: *axis,
            series: *series,
        }
    }

    /// The header of `meter_consumption.csv`, with its line end.
    pub(crate) fn meter_header(&self, buf: &mut Vec<u8>) {
        push_header(buf, &METER_COLUMNS);
        for i in 0..self.axis.len() {
            buf.push(b',');
            buf.extend_from_slice(CONSUMPTION_PREFIX.as_bytes());
            write_u64(buf, u64::from(self.axis.month(i).compact()));
        }
        buf.push(b'\n');
    }

    /// One `meter_consumption.csv` row per meter of `part`.
    pub(crate) fn meter_rows(&self, part: &Part<'_>, buf: &mut Vec<u8>) {
        for (m, series, _) in part.records() {
            write_padded(buf, "MTR_", m.id.number(), 6);
            buf.push(b',');
            write_padded(buf, "TX_", m.transformer_id.number(), 4);
            buf.push(b',');
            buf.extend_from_slice(m.customer_class.as_str().as_bytes());
            buf.push(b',');
            buf.extend_from_slice(
                self.names
                    .get(m.barangay.index() as usize)
                    .map_or(&[][..], Vec::as_slice),
            );
            buf.push(b',');
            write_fixed(buf, m.lat, COORD_DECIMALS);
            buf.push(b',');
            write_fixed(buf, m.lon, COORD_DECIMALS);
            buf.push(b',');
            write_fixed(buf, m.kva, KVA_DECIMALS);
            for &v in series {
                buf.push(b',');
                write_fixed(buf, v, KWH_DECIMALS);
            }
            buf.push(b'\n');
        }
    }

    /// A label's or event's period: `YYYYMM` at monthly resolution; at
    /// interval resolutions the period's start on the series axis, `YYYY-MM-DD`
    /// for a day, ISO 8601 local time with offset for an hour or a quarter.
    fn push_period(&self, buf: &mut Vec<u8>, period: usize) {
        match self.series.resolution() {
            Resolution::Monthly => write_u64(buf, u64::from(self.axis.month(period).compact())),
            Resolution::Daily => self.series.date(period).push_iso(buf),
            _ => self.series.push_timestamp(period, buf),
        }
    }

    /// One `anomaly_labels.csv` row per label.
    pub(crate) fn label_rows(&self, labels: &[AnomalyLabel], buf: &mut Vec<u8>) {
        for l in labels {
            write_padded(buf, "MTR_", l.meter_id.number(), 6);
            buf.extend_from_slice(b",1,");
            buf.extend_from_slice(l.risk_band.as_str().as_bytes());
            buf.push(b',');
            push_field(buf, l.anomaly_type.as_str());
            buf.push(b',');
            self.push_period(buf, l.onset);
            buf.push(b',');
            write_fixed(buf, l.severity, SEVERITY_DECIMALS);
            buf.push(b',');
            if let Some(end) = l.end {
                self.push_period(buf, end);
            }
            buf.push(b',');
            push_flag(buf, l.is_theft);
            buf.push(b'\n');
        }
    }

    /// One `events.csv` row per event.
    pub(crate) fn event_rows(&self, events: &[Event], buf: &mut Vec<u8>) {
        for e in events {
            write_padded(buf, "MTR_", e.meter_id.number(), 6);
            buf.push(b',');
            push_field(buf, e.event_type.as_str());
            buf.push(b',');
            push_flag(buf, e.is_theft);
            buf.push(b',');
            self.push_period(buf, e.onset);
            buf.push(b',');
            if let Some(end) = e.end {
                self.push_period(buf, end);
            }
            buf.push(b',');
            write_fixed(buf, e.severity, SEVERITY_DECIMALS);
            buf.push(b',');
            push_flag(buf, e.is_anomaly);
            buf.push(b'\n');
        }
    }
}

/// The header line of `anomaly_labels.csv`.
pub(crate) fn label_header(buf: &mut Vec<u8>) {
    push_header(buf, &LABEL_COLUMNS);
    buf.push(b'\n');
}

/// The header line of `events.csv`.
pub(crate) fn event_header(buf: &mut Vec<u8>) {
    push_header(buf, &EVENT_COLUMNS);
    buf.push(b'\n');
}

/// Writes `meter_consumption.csv`: `meter_id, transformer_id, customer_class,
/// barangay, lat, lon, kVA`, then one `monthly_consumption_YYYYMM` column per
/// period in time order (kWh, 2 decimals); one row per meter in id order.
///
/// # Errors
/// Any error of `out`.
pub fn write_meter_consumption_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let format = RowFormat::new(dataset.network(), dataset.axis(), dataset.series_axis());
    let mut buf = Vec::new();
    format.meter_header(&mut buf);
    let part = dataset.part();
    for start in (0..part.meters.len()).step_by(ROWS_PER_CHUNK) {
        format.meter_rows(
            &part.slice(start..(start + ROWS_PER_CHUNK).min(part.meters.len())),
            &mut buf,
        );
        out.write_all(&buf)?;
        buf.clear();
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Writes `anomaly_labels.csv`: one row per anomalous meter, in meter order:
/// `meter_id, anomaly_flag (always 1), risk_band, anomaly_type, onset (YYYYMM),
/// severity (4 decimals), end (YYYYMM, empty while ongoing), is_theft (1/0)`.
/// Only the header when there are no anomalies. At interval resolutions
/// `onset` and `end` are the periods' start times on the series axis:
/// `YYYY-MM-DD` (daily) or `YYYY-MM-DDTHH:MM:SS±HH:MM` (hourly, 15 min).
///
/// # Errors
/// Any error of `out`.
pub fn write_anomaly_labels_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = Vec::new();
    label_header(&mut buf);
    RowFormat::new(dataset.network(), dataset.axis(), dataset.series_axis()).label_rows(dataset.labels(), &mut buf);
    out.write_all(&buf)?;
    out.flush()
}

/// Writes `events.csv`: one row per meter with an event, anomalous or a
/// benign look-alike, in meter order: `meter_id, event_type, is_theft (1/0),
/// onset (YYYYMM), end (YYYYMM, empty while ongoing), severity (4 decimals),
/// anomaly_flag` (1 when the meter is in `anomaly_labels.csv`, 0 for a benign
/// look-alike). Only the header when there are no events. At interval
/// resolutions `onset` and `end` are written as in [`write_anomaly_labels_csv`],
/// and a meter may have several events (its injected one first, then its
/// `typhoon_outage` and `missing_data` events by onset).
///
/// # Errors
/// Any error of `out`.
pub fn write_events_csv<W: Write>(dataset: &Dataset, mut out: W) -> io::Result<()> {
    let mut buf = Vec::new();
    event_header(&mut buf);
    RowFormat::new(dataset.network(), dataset.axis(), dataset.series_axis()).event_rows(dataset.events(), &mut buf);
    out.write_all(&buf)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut s = Vec::new();
        push_field(&mut s, "San Miguel");
        s.push(b'|');
        push_field(&mut s, "Sto. Niño, \"Upper\"");
        assert_eq!(String::from_utf8(s).unwrap(), "San Miguel|\"Sto. Niño, \"\"Upper\"\"\"");
    }
}
