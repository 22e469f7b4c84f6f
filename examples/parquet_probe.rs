//! Throwaway measurement of Parquet encodings for long-form hourly readings.
//!
//! `cargo run --release --example parquet_probe --features parquet -- KEY=VALUE...`
//! Keys: meters, hours, rg (rows per row group), kwh (dict|plain|bss), ts (delta|dict|plain),
//! zstd (0 = uncompressed), stats (none|chunk|page), threads, out (path or "sink"), part (mask).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Float64Array, Int32Array, StringArray, TimestampSecondArray};
use arrow_schema::{DataType, Field, Schema, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, compute_leaves};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

fn main() {
    let args: HashMap<String, String> = std::env::args()
        .skip(1)
        .filter_map(|a| a.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let get = |k: &str, d: &str| args.get(k).cloned().unwrap_or_else(|| d.to_owned());
    let meters: usize = get("meters", "10000").parse().unwrap();
    let hours: usize = get("hours", "8784").parse().unwrap();
    let rg: usize = get("rg", "131072").parse().unwrap();
    let kwh_enc = get("kwh", "dict");
    let ts_enc = get("ts", "delta");
    let zstd: i32 = get("zstd", "1").parse().unwrap();
    let stats = get("stats", "chunk");
    let threads: usize = get("threads", "2").parse().unwrap();
    let out = get("out", "/tmp/probe.parquet");
    let missing_every: usize = get("missing", "0").parse().unwrap();
    let v2 = get("v2", "0") == "1";
    let page: usize = get("page", "1048576").parse().unwrap();

    // Realistic values: a pool of 500 meters, cycled.
    let pool_meters = 500.min(meters);
    let t0 = Instant::now();
    let pool = make_values(pool_meters, hours);
    eprintln!("values: {:.2}s", t0.elapsed().as_secs_f64());
    let axis: Vec<i64> = (0..hours as i64).map(|h| 1_704_038_400 + 3600 * h).collect();

    if get("mode", "arrow") == "writer" {
        // ghostload's writer, blocks of `block` meters cycled from the pool.
        let block: usize = get("block", "256").parse().unwrap();
        let options = ghostload::io::ParquetOptions::default()
            .with_row_group_rows(rg)
            .with_zstd_level(zstd);
        let file: Box<dyn std::io::Write + Send> = if out == "sink" {
            Box::new(std::io::sink())
        } else {
            Box::new(std::io::BufWriter::with_capacity(
                1 << 20,
                std::fs::File::create(&out).unwrap(),
            ))
        };
        let pool_threads = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let missing: Vec<(u32, std::ops::Range<u32>)> = if missing_every > 0 {
            (0..block as u32)
                .filter(|m| m % missing_every as u32 == 1)
                .map(|m| (m, 100..200))
                .collect()
        } else {
            Vec::new()
        };
        let t0 = Instant::now();
        let mut writer = ghostload::io::ReadingsParquetWriter::new(file, options).unwrap();
        pool_threads.install(|| {
            let mut first = 0;
            while first < meters {
                let n = block.min(meters - first).min(pool_meters);
                let values = &pool[..n * hours];
                let missing: Vec<_> = missing.iter().filter(|(m, _)| (*m as usize) < n).cloned().collect();
                writer
                    .write_block(&ghostload::io::ReadingsBlock {
                        first_meter: first as u32,
                        meters: n,
                        timestamps: &axis,
                        values,
                        missing: &missing,
                    })
                    .unwrap();
                first += n;
            }
        });
        let groups = writer.row_groups();
        drop(writer.finish().unwrap());
        let secs = t0.elapsed().as_secs_f64();
        let total_rows = meters * hours;
        let bytes = if out == "sink" {
            0
        } else {
            std::fs::metadata(&out).unwrap().len()
        };
        println!(
            "writer rows={total_rows} rg={rg} zstd={zstd} threads={threads} block={block} | {secs:.2}s {:.1}Mrows/s | {bytes} B {:.3} B/row | {groups}+1 row groups",
            total_rows as f64 / secs / 1e6,
            bytes as f64 / total_rows as f64
        );
        return;
    }
    let tz: Arc<str> = Arc::from("+08:00");
    let schema = Arc::new(Schema::new(vec![
        Field::new(
            "meter_id",
            DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)),
            false,
        ),
        Field::new(
            "timestamp",
            DataType::Timestamp(TimeUnit::Second, Some(tz.clone())),
            false,
        ),
        Field::new("kwh", DataType::Float64, true),
    ]));
    let mut props = WriterProperties::builder()
        .set_compression(if zstd == 0 {
            Compression::UNCOMPRESSED
        } else {
            Compression::ZSTD(ZstdLevel::try_new(zstd).unwrap())
        })
        .set_data_page_size_limit(page)
        .set_writer_version(if v2 {
            parquet::file::properties::WriterVersion::PARQUET_2_0
        } else {
            parquet::file::properties::WriterVersion::PARQUET_1_0
        })
        .set_statistics_enabled(match stats.as_str() {
            "none" => EnabledStatistics::None,
            "chunk" => EnabledStatistics::Chunk,
            _ => EnabledStatistics::Page,
        });
    let kwh = ColumnPath::from("kwh");
    let ts = ColumnPath::from("timestamp");
    props = match kwh_enc.as_str() {
        "dict" => props.set_column_dictionary_enabled(kwh.clone(), true),
        "plain" => props
            .set_column_dictionary_enabled(kwh.clone(), false)
            .set_column_encoding(kwh.clone(), Encoding::PLAIN),
        "bss" => props
            .set_column_dictionary_enabled(kwh.clone(), false)
            .set_column_encoding(kwh.clone(), Encoding::BYTE_STREAM_SPLIT),
        _ => panic!("kwh"),
    };
    props = match ts_enc.as_str() {
        "dict" => props.set_column_dictionary_enabled(ts.clone(), true),
        "plain" => props
            .set_column_dictionary_enabled(ts.clone(), false)
            .set_column_encoding(ts.clone(), Encoding::PLAIN),
        "delta" => props
            .set_column_dictionary_enabled(ts.clone(), false)
            .set_column_encoding(ts.clone(), Encoding::DELTA_BINARY_PACKED),
        _ => panic!("ts"),
    };
    let props = props.build();

    let total_rows = meters * hours;
    let n_groups = total_rows.div_ceil(rg);
    let build = |g: usize| -> Vec<ArrayRef> {
        let start = g * rg;
        let end = (start + rg).min(total_rows);
        let first_meter = start / hours;
        let last_meter = (end - 1) / hours;
        let names: StringArray = (first_meter..=last_meter)
            .map(|m| Some(format!("MTR_{:06}", m + 1)))
            .collect();
        let mut keys = Vec::with_capacity(end - start);
        let mut tsv = Vec::with_capacity(end - start);
        let mut vals = Vec::with_capacity(end - start);
        let mut r = start;
        while r < end {
            let m = r / hours;
            let t = r % hours;
            let n = (hours - t).min(end - r);
            keys.extend(std::iter::repeat_n((m - first_meter) as i32, n));
            tsv.extend_from_slice(&axis[t..t + n]);
            let p = (m % pool_meters) * hours;
            vals.extend_from_slice(&pool[p + t..p + t + n]);
            r += n;
        }
        let dict = DictionaryArray::<Int32Type>::try_new(Int32Array::from(keys), Arc::new(names)).unwrap();
        let kwh: Float64Array = if missing_every > 0 {
            vals.iter()
                .enumerate()
                .map(|(i, v)| if (i / 24) % missing_every == 1 { None } else { Some(*v) })
                .collect()
        } else {
            Float64Array::from(vals)
        };
        vec![
            Arc::new(dict),
            Arc::new(TimestampSecondArray::from(tsv).with_timezone(tz.clone())),
            Arc::new(kwh),
        ]
    };

    let file: Box<dyn std::io::Write + Send> = if out == "sink" {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(&out).unwrap(),
        ))
    };
    let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
    let (mut file_writer, factory) = writer.into_serialized_writer().unwrap();

    let part: usize = get("part", "7").parse().unwrap();
    let mut col_secs = [0f64; 3];
    let mut build_secs = 0f64;
    let encode = |g: usize| -> (Vec<ArrowColumnChunk>, f64, [f64; 3]) {
        let t = Instant::now();
        let arrays = build(g);
        let b = t.elapsed().as_secs_f64();
        let writers = factory.create_column_writers(g).unwrap();
        let mut cs = [0f64; 3];
        let chunks = writers
            .into_iter()
            .zip(schema.fields().iter().zip(&arrays))
            .enumerate()
            .map(|(c, (mut w, (f, a)))| {
                let t = Instant::now();
                if part & (1 << c) != 0 {
                    for leaf in compute_leaves(f, a).unwrap() {
                        w.write(&leaf).unwrap();
                    }
                } else {
                    let empty = a.slice(0, 0);
                    for leaf in compute_leaves(f, &empty).unwrap() {
                        w.write(&leaf).unwrap();
                    }
                }
                let chunk = w.close().unwrap();
                cs[c] = t.elapsed().as_secs_f64();
                chunk
            })
            .collect();
        (chunks, b, cs)
    };
    let pool_threads = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let t0 = Instant::now();
    let mut g = 0;
    while g < n_groups {
        let wave: Vec<usize> = (g..(g + 2 * threads).min(n_groups)).collect();
        let results: Vec<_> = pool_threads.install(|| {
            use rayon::prelude::*;
            wave.par_iter().map(|&g| encode(g)).collect()
        });
        for (chunks, b, cs) in results {
            build_secs += b;
            for c in 0..3 {
                col_secs[c] += cs[c];
            }
            let mut rgw = file_writer.next_row_group().unwrap();
            for chunk in chunks {
                chunk.append_to_row_group(&mut rgw).unwrap();
            }
            rgw.close().unwrap();
        }
        g += wave.len();
    }
    let md = file_writer.close().unwrap();
    let secs = t0.elapsed().as_secs_f64();
    let bytes = if out == "sink" {
        0
    } else {
        std::fs::metadata(&out).unwrap().len()
    };
    let mut col_bytes = [0i64; 3];
    for rgm in md.row_groups() {
        for (c, cm) in rgm.columns().iter().enumerate() {
            col_bytes[c] += cm.compressed_size();
        }
    }
    println!(
        "rows={total_rows} rg={rg} kwh={kwh_enc} ts={ts_enc} zstd={zstd} stats={stats} threads={threads} v2={v2} page={page} | {secs:.2}s {:.1}Mrows/s | {bytes} B {:.3} B/row | cpu: build {build_secs:.2}s meter {:.2}s ts {:.2}s kwh {:.2}s | B/row meter {:.4} ts {:.4} kwh {:.3}",
        total_rows as f64 / secs / 1e6,
        bytes as f64 / total_rows as f64,
        col_secs[0],
        col_secs[1],
        col_secs[2],
        col_bytes[0] as f64 / total_rows as f64,
        col_bytes[1] as f64 / total_rows as f64,
        col_bytes[2] as f64 / total_rows as f64,
    );
}

/// Hourly kWh: per-meter lognormal level × daily shape × noise, quantised to 0.001.
fn make_values(meters: usize, hours: usize) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, LogNormal};
    let shape = [
        0.55, 0.5, 0.45, 0.45, 0.5, 0.65, 0.9, 1.1, 1.0, 0.9, 0.85, 0.9, 1.0, 0.95, 0.9, 0.95, 1.05, 1.3, 1.6, 1.7,
        1.55, 1.3, 1.0, 0.75,
    ];
    let mut rng = rand_pcg::Pcg64::seed_from_u64(42);
    let level = LogNormal::new(-0.6f64, 0.5).unwrap();
    let noise = LogNormal::new(0.0f64, 0.25).unwrap();
    let mut out = Vec::with_capacity(meters * hours);
    for m in 0..meters {
        // 5 % commercial/industrial: ×15.
        let big = if m % 20 == 7 { 15.0 } else { 1.0 };
        let l = level.sample(&mut rng) * big;
        for h in 0..hours {
            let v: f64 = l * shape[h % 24] * noise.sample(&mut rng);
            let q = (v * 1000.0).round().clamp(0.0, 60_000.0);
            let _ = rng.random::<u8>();
            out.push(q / 1000.0);
        }
    }
    out
}
