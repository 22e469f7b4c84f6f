use std::ops::Range;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;

use super::*;

/// Hourly axis of `t` intervals from 2024-01-01T00:00+08:00.
fn axis(t: usize) -> Vec<i64> {
    (0..t as i64).map(|h| 1_704_038_400 + 3600 * h).collect()
}

/// Quantised values with a few awkward ones (large, negative, -0.0, NaN, unquantised).
fn values(meters: usize, t: usize) -> Vec<f64> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..meters * t)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match i % 97 {
                3 => 123_456.789,
                5 => -0.25,
                7 => -0.0,
                11 => f64::NAN,
                13 => 1.0 / 3.0,
                _ => (x % 3000) as f64 / 1000.0,
            }
        })
        .collect()
}

struct Data {
    axis: Vec<i64>,
    values: Vec<f64>,
    /// Missing ranges by absolute meter index.
    missing: Vec<(u32, Range<u32>)>,
    meters: usize,
}

fn data(meters: usize, t: usize) -> Data {
    let mut missing = vec![(0, 0..3), (0, 10..11), (2, 0..t as u32), (4, t as u32 - 5..t as u32)];
    missing.retain(|(m, r)| (*m as usize) < meters && r.end as usize <= t);
    Data {
        axis: axis(t),
        values: values(meters, t),
        missing,
        meters,
    }
}

impl Data {
    /// Block of meters `range`, with its missing ranges made relative.
    fn write(&self, writer: &mut ReadingsParquetWriter<Vec<u8>>, range: Range<usize>) -> Result<(), IoError> {
        let t = self.axis.len();
        let missing: Vec<(u32, Range<u32>)> = self
            .missing
            .iter()
            .filter(|(m, _)| range.contains(&(*m as usize)))
            .map(|(m, r)| (m - range.start as u32, r.clone()))
            .collect();
        writer.write_block(&ReadingsBlock {
            first_meter: range.start as u32,
            meters: range.len(),
            timestamps: &self.axis,
            values: &self.values[range.start * t..range.end * t],
            missing: &missing,
        })
    }

    fn file(&self, options: &ParquetOptions, splits: &[usize]) -> Vec<u8> {
        let mut writer = ReadingsParquetWriter::new(Vec::new(), options.clone()).unwrap();
        let mut start = 0;
        for &end in splits.iter().chain([&self.meters]) {
            self.write(&mut writer, start..end).unwrap();
            start = end;
        }
        writer.finish().unwrap()
    }

    fn is_missing(&self, meter: usize, i: usize) -> bool {
        self.missing
            .iter()
            .any(|(m, r)| *m as usize == meter && r.contains(&(i as u32)))
    }
}

fn temp_file(bytes: &[u8], name: &str) -> tempfile::TempPath {
    let mut file = tempfile::Builder::new()
        .prefix(name)
        .suffix(".parquet")
        .tempfile()
        .unwrap();
    file.write_all(bytes).unwrap();
    file.into_temp_path()
}

fn check_round_trip(d: &Data, options: &ParquetOptions, splits: &[usize]) -> Vec<u8> {
    let bytes = d.file(options, splits);
    let path = temp_file(&bytes, "roundtrip");
    let reader = ReadingsParquetReader::open(&path).unwrap();
    assert_eq!(reader.timezone(), options.timezone);
    let t = d.axis.len();
    assert_eq!(reader.rows(), (d.meters * t) as u64);
    let groups = reader.row_group_rows().to_vec();
    let (last, full) = groups.split_last().unwrap();
    assert!(full.iter().all(|&g| g == options.row_group_rows as u64), "{groups:?}");
    assert!(*last >= 1 && *last <= options.row_group_rows as u64);
    let table = read_readings_parquet(&path).unwrap();
    assert_eq!(table.len(), d.meters * t);
    for row in 0..table.len() {
        let (m, i) = (row / t, row % t);
        assert_eq!(table.meter[row] as usize, m, "row {row}");
        assert_eq!(table.timestamp[row], d.axis[i], "row {row}");
        if d.is_missing(m, i) {
            assert_eq!(table.kwh[row], None, "row {row}");
        } else {
            let got = table.kwh[row].unwrap_or_else(|| panic!("row {row} is null"));
            assert_eq!(got.to_bits(), d.values[row].to_bits(), "row {row}");
        }
    }
    // The Arrow schema, with its time zone, is stored.
    let file = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let arrow = parquet::arrow::parquet_to_arrow_schema(
        file.metadata().file_metadata().schema_descr(),
        file.metadata().file_metadata().key_value_metadata(),
    )
    .unwrap();
    assert_eq!(arrow.fields(), readings_schema(&options.timezone).fields());
    assert_eq!(
        file.metadata().file_metadata().created_by(),
        Some(concat!("ghostload version ", env!("CARGO_PKG_VERSION")))
    );
    bytes
}

#[test]
fn rows_round_trip_exactly_with_nulls_where_missing() {
    let d = data(9, 50);
    for rows in [1, 7, 37, 50, 100, 449, 450, 451, 10_000] {
        for level in [0, -1, -7, 1, 3] {
            let options = ParquetOptions::default()
                .with_row_group_rows(rows)
                .with_zstd_level(level)
                .with_timezone("Asia/Manila");
            check_round_trip(&d, &options, &[3, 8]);
        }
    }
}

#[test]
fn long_row_groups_are_split_into_pages() {
    // 400 000 rows in one row group: four pages per column, a meter across page boundaries.
    let d = data(45, 8_784);
    let options = ParquetOptions::default().with_row_group_rows(400_000);
    check_round_trip(&d, &options, &[20]);
}

#[test]
fn unquantised_values_fall_back_to_plain_and_stay_exact() {
    let t = 1_000;
    let mut d = data(5, t);
    let mut x = 1.0f64;
    for v in &mut d.values {
        x = (x * 1.618_033_988_749_895 + 0.1).fract() * 7.0;
        *v = x;
    }
    let bytes = check_round_trip(&d, &ParquetOptions::default(), &[]);
    assert!(bytes.len() < 5 * t * 9, "{} bytes", bytes.len());
    let path = temp_file(&bytes, "plain");
    let file = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let kwh = file.metadata().row_group(0).column(2);
    assert!(kwh.dictionary_page_offset().is_none());
}

#[test]
fn bytes_do_not_depend_on_threads_or_block_splits() {
    let d = data(9, 50);
    let options = ParquetOptions::default().with_row_group_rows(37);
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let reference = one.install(|| d.file(&options, &[]));
    for splits in [&[][..], &[1], &[3, 8], &[1, 2, 3, 4, 5, 6, 7, 8]] {
        assert!(one.install(|| d.file(&options, splits)) == reference, "{splits:?}");
        assert!(two.install(|| d.file(&options, splits)) == reference, "{splits:?}");
    }
    // Options do change the bytes.
    assert!(d.file(&options.clone().with_timezone("UTC"), &[]) != reference);
}

#[test]
fn statistics_are_the_row_groups_extremes() {
    let d = data(3, 10);
    let options = ParquetOptions::default().with_row_group_rows(15);
    let bytes = d.file(&options, &[]);
    let path = temp_file(&bytes, "stats");
    let file = SerializedFileReader::new(File::open(&path).unwrap()).unwrap();
    let group = file.metadata().row_group(1); // rows 15..30: meter 1 from 5, meter 2 (all null)
    match group.column(0).statistics() {
        Some(Statistics::ByteArray(s)) => {
            assert_eq!(s.min_opt().unwrap().data(), b"MTR_000002");
            assert_eq!(s.max_opt().unwrap().data(), b"MTR_000003");
        }
        other => panic!("{other:?}"),
    }
    match group.column(1).statistics() {
        Some(Statistics::Int64(s)) => {
            assert_eq!(*s.min_opt().unwrap(), d.axis[0] * 1000);
            assert_eq!(*s.max_opt().unwrap(), d.axis[9] * 1000);
        }
        other => panic!("{other:?}"),
    }
    match group.column(2).statistics() {
        Some(Statistics::Double(s)) => {
            assert_eq!(s.null_count_opt(), Some(10));
            let present = &d.values[15..20];
            let min = present.iter().copied().fold(f64::INFINITY, f64::min);
            let max = present.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            assert_eq!(*s.min_opt().unwrap(), min);
            assert_eq!(*s.max_opt().unwrap(), max);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_empty_writer_gives_an_empty_table() {
    let writer = ReadingsParquetWriter::new(Vec::new(), ParquetOptions::default()).unwrap();
    let bytes = writer.finish().unwrap();
    let path = temp_file(&bytes, "empty");
    assert!(read_readings_parquet(&path).unwrap().is_empty());
}

#[test]
#[allow(clippy::reversed_empty_ranges)] // one case is a reversed range on purpose
fn bad_blocks_are_refused_with_a_typed_error() {
    let axis = axis(4);
    let values = [0.5; 8];
    let ok = ReadingsBlock {
        first_meter: 10,
        meters: 2,
        timestamps: &axis,
        values: &values,
        missing: &[],
    };
    let bad_axis = [1, 2, 2, 3];
    let huge_axis = [0, i64::MAX / 100, i64::MAX / 10, i64::MAX];
    let cases: Vec<(&str, ReadingsBlock<'_>)> = vec![
        (
            "values.len()",
            ReadingsBlock {
                values: &values[..7],
                ..ok
            },
        ),
        ("values.len()", ReadingsBlock { meters: 3, ..ok }),
        (
            "outside",
            ReadingsBlock {
                missing: &[(2, 0..1)],
                ..ok
            },
        ),
        (
            "outside",
            ReadingsBlock {
                missing: &[(0, 2..5)],
                ..ok
            },
        ),
        (
            "outside",
            ReadingsBlock {
                missing: &[(0, 3..2)],
                ..ok
            },
        ),
        (
            "overlaps",
            ReadingsBlock {
                missing: &[(0, 0..2), (0, 1..3)],
                ..ok
            },
        ),
        (
            "out of order",
            ReadingsBlock {
                missing: &[(1, 0..2), (0, 1..3)],
                ..ok
            },
        ),
        (
            "strictly increasing",
            ReadingsBlock {
                timestamps: &bad_axis,
                ..ok
            },
        ),
        (
            "overflow",
            ReadingsBlock {
                timestamps: &huge_axis,
                ..ok
            },
        ),
        (
            "u32",
            ReadingsBlock {
                first_meter: u32::MAX,
                ..ok
            },
        ),
    ];
    for (expected, block) in cases {
        let mut writer = ReadingsParquetWriter::new(Vec::new(), ParquetOptions::default()).unwrap();
        let err = writer.write_block(&block).unwrap_err();
        assert!(matches!(err, IoError::InvalidReadings { .. }), "{err}");
        assert!(err.to_string().contains(expected), "{expected}: {err}");
        assert_eq!(writer.rows(), 0);
    }
    let mut writer = ReadingsParquetWriter::new(Vec::new(), ParquetOptions::default()).unwrap();
    writer.write_block(&ok).unwrap();
    let err = writer
        .write_block(&ReadingsBlock { first_meter: 11, ..ok })
        .unwrap_err();
    assert!(err.to_string().contains("increasing meter order"), "{err}");
    writer.write_block(&ReadingsBlock { first_meter: 12, ..ok }).unwrap();
    assert_eq!(writer.rows(), 16);
}

#[test]
fn a_file_of_another_schema_is_refused() {
    let d = data(2, 5);
    let mut bytes = d.file(&ParquetOptions::default(), &[]);
    let path = temp_file(b"not parquet", "junk");
    assert!(matches!(
        ReadingsParquetReader::open(&path),
        Err(IoError::Parquet { .. })
    ));
    bytes.truncate(bytes.len() / 2);
    let path = temp_file(&bytes, "truncated");
    assert!(matches!(
        ReadingsParquetReader::open(&path),
        Err(IoError::Parquet { .. })
    ));
}
