//! `ghostload inject` through the library: every layout in and out, labels
//! agreeing with what changed, untouched rows byte-identical, determinism,
//! missing cells kept, labelled meters left alone, bad input refused.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use ghostload::inject::{InjectPlan, inject};
use ghostload::io::{
    InputLayout, IoError, ReadingsFormat, ReadingsLayout, WriteOptions, inject_file, inject_file_with_labels,
    read_consumption, write_files,
};
use ghostload::{ConsumptionMatrix, GeneratorConfig, Pipeline, Resolution, TimeAxis, YearMonth};

fn generated(dir: &Path, resolution: Resolution, layout: ReadingsLayout, missing: f64) -> PathBuf {
    let config = GeneratorConfig {
        num_meters: 120,
        num_transformers: 4,
        num_months: if resolution == Resolution::Monthly { 12 } else { 2 },
        anomaly_rate: 0.05,
        resolution,
        missing_rate: missing,
        ..Default::default()
    };
    let data = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    fs::create_dir_all(dir).unwrap();
    write_files(&data, dir, &WriteOptions::default().with_layout(layout)).unwrap();
    dir.to_path_buf()
}

fn plan(seed: u64) -> InjectPlan {
    InjectPlan::new(&GeneratorConfig {
        anomaly_rate: 0.2,
        benign_rate: 0.1,
        seed,
        ..Default::default()
    })
    .unwrap()
}

fn lines(p: &Path) -> Vec<String> {
    fs::read_to_string(p).unwrap().lines().map(str::to_owned).collect()
}

/// Rows of a wide table keyed by id (first field).
fn by_id(p: &Path) -> HashMap<String, String> {
    lines(p)
        .into_iter()
        .skip(1)
        .map(|l| (l.split(',').next().unwrap().to_owned(), l))
        .collect()
}

fn ids_of(p: &Path) -> Vec<String> {
    lines(p)
        .into_iter()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect()
}

/// Injects `file` and checks: untouched rows byte-identical, exactly the
/// meters with events changed at most, labels listed in events, determinism.
fn round_trip(file: &Path, layout: InputLayout) -> (PathBuf, ghostload::io::InjectSummary) {
    let root = file.parent().unwrap().parent().unwrap();
    let out = root.join(format!("out_{layout}"));
    let summary = inject_file(file, None, &plan(7), &out).unwrap();
    assert_eq!(summary.layout, layout);
    assert!(summary.anomalies > 0);
    let name = file.file_name().unwrap();
    let before = by_id(file);
    let after = by_id(&out.join(name));
    assert_eq!(lines(file)[0], lines(&out.join(name))[0], "header kept");
    assert_eq!(ids_of(file), ids_of(&out.join(name)), "row order kept");
    let evented: Vec<String> = ids_of(&out.join("events.csv"));
    let labelled: Vec<String> = ids_of(&out.join("anomaly_labels.csv"));
    assert_eq!(labelled.len() as u64, summary.anomalies);
    assert!(labelled.iter().all(|id| evented.contains(id)));
    for (id, row) in &before {
        if !evented.contains(id) {
            assert_eq!(row, &after[id], "untouched meter {id} byte-identical");
        }
    }
    let changed = before.iter().filter(|(id, row)| after[*id] != **row).count();
    assert!(changed > 0 && changed <= evented.len());
    // Determinism: the same seed gives the same bytes.
    let again = root.join(format!("again_{layout}"));
    inject_file(file, Some(layout), &plan(7), &again).unwrap();
    for f in [name.to_str().unwrap(), "anomaly_labels.csv", "events.csv"] {
        assert_eq!(fs::read(out.join(f)).unwrap(), fs::read(again.join(f)).unwrap(), "{f}");
    }
    (out, summary)
}

#[test]
fn ours_monthly_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generated(&tmp.path().join("gen"), Resolution::Monthly, ReadingsLayout::Long, 0.0);
    let (out, _) = round_trip(&dir.join("meter_consumption.csv"), InputLayout::Ours);
    let labels = lines(&out.join("anomaly_labels.csv"));
    // onset as YYYYMM, like generate's.
    let onset = labels[1].split(',').nth(4).unwrap();
    assert_eq!(onset.len(), 6, "{onset}");
}

#[test]
fn original_layout_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generated(&tmp.path().join("gen"), Resolution::Monthly, ReadingsLayout::Long, 0.0);
    // The original tool's spelling: kva and monthly_YYYYMM.
    let text = fs::read_to_string(dir.join("meter_consumption.csv")).unwrap();
    let (head, body) = text.split_once('\n').unwrap();
    let head = head.replace("kVA", "kva").replace("monthly_consumption_", "monthly_");
    let orig = tmp.path().join("orig");
    fs::create_dir_all(&orig).unwrap();
    fs::write(orig.join("meter_consumption.csv"), format!("{head}\n{body}")).unwrap();
    round_trip(&orig.join("meter_consumption.csv"), InputLayout::Original);
}

#[test]
fn sgcc_round_trip_leaves_flagged_meters_alone_and_keeps_missing_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generated(&tmp.path().join("gen"), Resolution::Daily, ReadingsLayout::Sgcc, 0.05);
    let file = dir.join("meter_readings_sgcc.csv");
    let (out, summary) = round_trip(&file, InputLayout::Sgcc);
    let flagged: Vec<String> = lines(&file)
        .into_iter()
        .skip(1)
        .filter(|l| l.split(',').nth(1) == Some("1"))
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert!(!flagged.is_empty());
    assert_eq!(summary.skipped_labelled, flagged);
    let after = by_id(&out.join("meter_readings_sgcc.csv"));
    let before = by_id(&file);
    for id in &flagged {
        assert_eq!(before[id], after[id]);
    }
    // Missing cells stay missing, and newly labelled meters get FLAG 1.
    let labels = ids_of(&out.join("anomaly_labels.csv"));
    for (id, row) in &before {
        let a: Vec<&str> = after[id].split(',').collect();
        for (i, cell) in row.split(',').enumerate() {
            assert_eq!(cell.is_empty(), a[i].is_empty(), "{id} column {i}");
        }
        if labels.contains(id) {
            assert_eq!(a[1], "1");
        }
    }
    assert!(before.values().any(|r| r.contains(",,")), "the input has missing cells");
    let onset = lines(&out.join("anomaly_labels.csv"))[1]
        .split(',')
        .nth(4)
        .unwrap()
        .to_owned();
    assert_eq!(onset.len(), 10, "a day: {onset}");
}

#[test]
fn long_form_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generated(&tmp.path().join("gen"), Resolution::Monthly, ReadingsLayout::Long, 0.0);
    let wide = read_consumption(&dir.join("meter_consumption.csv"), None).unwrap();
    let axis = *wide.axis();
    let mut text = String::from("meter_id,timestamp,kwh\n");
    for row in wide {
        let row = row.unwrap();
        for (t, v) in row.values.iter().enumerate() {
            let m = axis.month(t);
            text.push_str(&format!("{},{}-{:02},{v:.2}\n", row.id, m.year(), m.month()));
        }
    }
    let long = tmp.path().join("long");
    fs::create_dir_all(&long).unwrap();
    let file = long.join("readings.csv");
    fs::write(&file, &text).unwrap();
    let out = tmp.path().join("out_long");
    let summary = inject_file(&file, None, &plan(7), &out).unwrap();
    assert_eq!(summary.layout, InputLayout::Long);
    assert_eq!(summary.meters, 120);
    let evented = ids_of(&out.join("events.csv"));
    let (a, b) = (lines(&file), lines(&out.join("readings.csv")));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        if x != y {
            assert!(evented.contains(&x.split(',').next().unwrap().to_owned()));
        }
    }
    assert!(a != b);
    // The same readings in either layout get the same events (the wide
    // table's labelled meters, from the `anomaly_labels.csv` beside it, named
    // for the long one).
    let wide_out = tmp.path().join("out_wide");
    let wide = inject_file(&dir.join("meter_consumption.csv"), None, &plan(7), &wide_out).unwrap();
    let labels = dir.join("anomaly_labels.csv");
    let long_out = tmp.path().join("out_long_labelled");
    let long = inject_file_with_labels(&file, None, &plan(7), Some(&labels), &long_out).unwrap();
    assert!(!wide.skipped_labelled.is_empty());
    assert_eq!(wide.skipped_labelled, long.skipped_labelled);
    assert_eq!((wide.anomalies, wide.benign), (long.anomalies, long.benign));
    for name in ["anomaly_labels.csv", "events.csv"] {
        assert_eq!(
            fs::read(wide_out.join(name)).unwrap(),
            fs::read(long_out.join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn in_memory_inject_keeps_nan_and_skips_labelled() {
    let axis = TimeAxis::new(YearMonth::new(2024, 1).unwrap(), 12, Resolution::Monthly).unwrap();
    let mut values = vec![100.0; 50 * 12];
    values[5 * 12 + 7] = f64::NAN;
    let mut m = ConsumptionMatrix::from_rows(values, 12);
    let original = m.clone();
    let all = InjectPlan::new(&GeneratorConfig {
        anomaly_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let report = inject(&mut m, &axis, &all, &[true, false, true]).unwrap();
    assert_eq!(report.skipped_labelled, [0, 2]);
    assert_eq!(report.labels().count(), 48);
    assert_eq!(m.row(0), original.row(0));
    assert!(m.row(5).unwrap()[7].is_nan());
    for e in &report.events {
        let (a, b) = (m.row(e.row).unwrap(), original.row(e.row).unwrap());
        for t in 0..e.onset {
            assert!(a[t] == b[t] || b[t].is_nan(), "row {} period {t} before onset", e.row);
        }
    }
    let mut again = original.clone();
    assert_eq!(inject(&mut again, &axis, &all, &[true, false, true]).unwrap(), report);
}

fn bad(content: &str) -> (IoError, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.csv");
    fs::write(&file, content).unwrap();
    let out = tmp.path().join("out");
    let err = inject_file(&file, None, &plan(1), &out).unwrap_err();
    assert!(!out.exists(), "nothing written");
    (err, tmp.keep())
}

fn expect(content: &str, line: u64, column: &str, reason: &str) {
    let (err, _) = bad(content);
    match &err {
        IoError::Input {
            path,
            line: l,
            column: c,
            reason: r,
        } => {
            assert!(path.ends_with("bad.csv"));
            assert_eq!((*l, c.as_str()), (line, column), "{err}");
            assert!(r.contains(reason), "{err}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn bad_inputs_name_file_line_and_column() {
    let head = "meter_id,customer_class,monthly_consumption_202401,monthly_consumption_202402\n";
    expect(
        &format!("{head}A,residential,1,2\nB,residential,3\n"),
        3,
        "row",
        "fields",
    );
    expect(
        &format!("{head}A,residential,1,2\nB,residential,x,2\n"),
        3,
        "monthly_consumption_202401",
        "not a number",
    );
    expect(
        &format!("{head}A,residential,1,2\nA,residential,1,2\n"),
        3,
        "meter_id",
        "duplicate",
    );
    expect(
        &format!("{head}A,residential,1,-2\n"),
        2,
        "monthly_consumption_202402",
        "negative",
    );
    expect("foo,bar\n1,2\n", 1, "header", "unknown layout");
    expect(
        "meter_id,timestamp,kwh\nA,2024-01,1\nB,2024-01,1\nA,2024-02,1\n",
        4,
        "meter_id",
        "duplicate",
    );
    expect("CONS_NO,FLAG,2024/1/1\nA,2,1\n", 2, "FLAG", "flag");
    let long = "meter_id,timestamp,kwh\nA,2024-01-01T00:00:00+08:00,1\nA,2024-01-01T01:00:00+08:00,1\n";
    expect(
        &format!("{long}B,2024-01-01T00:00:00+07:00,1\n"),
        4,
        "timestamp",
        "offset",
    );
    expect(
        &format!("{long}B,2024-01-01T00:30:00+08:00,1\n"),
        4,
        "timestamp",
        "not a period",
    );
    expect(
        &format!("{long}A,2024-01-01T01:30:00+08:00,1\n"),
        2,
        "timestamp",
        "1800 s apart",
    );
    expect(
        &format!("{long}B,2024-01-01T25:00:00+08:00,1\n"),
        4,
        "timestamp",
        "not a month",
    );
}

#[test]
fn meters_of_an_anomaly_labels_csv_beside_the_input_or_named_are_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = generated(&tmp.path().join("gen"), Resolution::Monthly, ReadingsLayout::Long, 0.0);
    let file = dir.join("meter_consumption.csv");
    let existing = ids_of(&dir.join("anomaly_labels.csv"));
    assert_eq!(existing.len(), 6, "round(0.05 × 120)");

    // Beside the input: picked up by default.
    let out = tmp.path().join("out");
    let summary = inject_file(&file, None, &plan(7), &out).unwrap();
    let mut skipped = summary.skipped_labelled.clone();
    skipped.sort();
    let mut want = existing.clone();
    want.sort();
    assert_eq!(skipped, want);
    assert_eq!(summary.labels_file, Some(dir.join("anomaly_labels.csv")));
    assert_eq!(summary.eligible, 114);
    assert_eq!(summary.anomalies, 23, "round(0.2 × 114)");
    let (before, after) = (by_id(&file), by_id(&out.join("meter_consumption.csv")));
    let evented = ids_of(&out.join("events.csv"));
    for id in &existing {
        assert_eq!(before[id], after[id], "labelled meter {id} untouched");
        assert!(!evented.contains(id));
    }

    // Named: a `meter_id`-only list (every meter listed) or with a 0/1 flag.
    let list = tmp.path().join("mine.csv");
    fs::write(&list, format!("meter_id\n{}\n{}\n", existing[0], existing[1])).unwrap();
    let s = inject_file_with_labels(&file, None, &plan(7), Some(&list), &tmp.path().join("o2")).unwrap();
    assert_eq!(s.skipped_labelled.len(), 2);
    assert_eq!(s.eligible, 118);
    let flagged = tmp.path().join("flagged.csv");
    fs::write(
        &flagged,
        format!("meter_id,anomaly_flag\n{},1\n{},0\n", existing[0], existing[1]),
    )
    .unwrap();
    let s = inject_file_with_labels(&file, None, &plan(7), Some(&flagged), &tmp.path().join("o3")).unwrap();
    assert_eq!(s.skipped_labelled, [existing[0].clone()]);

    // A bad labels file: file, line and column named, nothing written.
    fs::write(&flagged, "meter_id,anomaly_flag\nM1,1\nM2,yes\n").unwrap();
    let o4 = tmp.path().join("o4");
    let err = inject_file_with_labels(&file, None, &plan(7), Some(&flagged), &o4).unwrap_err();
    match &err {
        IoError::Input { path, line, column, .. } => {
            assert_eq!(
                (path.as_path(), *line, column.as_str()),
                (flagged.as_path(), 3, "anomaly_flag"),
                "{err}"
            );
        }
        other => panic!("{other}"),
    }
    assert!(!o4.exists());
}

#[test]
fn long_form_at_interval_resolutions_round_trips_our_readings() {
    for resolution in [Resolution::Daily, Resolution::Hourly, Resolution::FifteenMinutes] {
        let tmp = tempfile::tempdir().unwrap();
        let config = GeneratorConfig {
            num_meters: 50,
            num_transformers: 2,
            num_months: 1,
            anomaly_rate: 0.0,
            resolution,
            missing_rate: 0.01,
            ..Default::default()
        };
        let data = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
        let dir = tmp.path().join("gen");
        fs::create_dir_all(&dir).unwrap();
        write_files(
            &data,
            &dir,
            &WriteOptions::default()
                .with_layout(ReadingsLayout::Long)
                .with_readings_format(ReadingsFormat::Csv),
        )
        .unwrap();
        let file = dir.join("meter_readings.csv");
        let reader = read_consumption(&file, None).unwrap();
        assert_eq!(reader.layout(), InputLayout::Long);
        assert_eq!(reader.axis().resolution(), resolution, "{resolution:?}");
        let want = TimeAxis::new(data.axis().start(), 1, resolution).unwrap();
        assert_eq!(reader.axis().len(), want.len());
        let last = want.len() - 1;
        assert_eq!(reader.axis().timestamp_string(last), want.timestamp_string(last));
        // The values read are the dataset's, missing readings included.
        let rows: Vec<_> = reader.map(Result::unwrap).collect();
        assert_eq!(rows.len(), 50);
        let missing = rows.iter().flat_map(|r| &r.values).filter(|v| v.is_nan()).count();
        assert!(missing > 0, "{resolution:?}: some missing readings");

        let out = tmp.path().join("out");
        let summary = inject_file(&file, None, &plan(3), &out).unwrap();
        assert_eq!(summary.meters, 50);
        assert_eq!(summary.anomalies, 10, "round(0.2 × 50)");
        let evented = ids_of(&out.join("events.csv"));
        let (a, b) = (lines(&file), lines(&out.join("meter_readings.csv")));
        assert_eq!(a.len(), b.len());
        let mut changed = 0;
        for (x, y) in a.iter().zip(&b) {
            let (xs, ys): (Vec<&str>, Vec<&str>) = (x.split(',').collect(), y.split(',').collect());
            assert_eq!(xs[..2], ys[..2], "ids and timestamps kept");
            if x != y {
                changed += 1;
                assert!(evented.contains(&xs[0].to_owned()));
                assert!(!xs[2].is_empty(), "a missing reading stays missing");
            }
        }
        assert!(changed > 0, "{resolution:?}");
        // Onsets as times with the offset, as generate writes them.
        let first = lines(&out.join("events.csv"))[1].clone();
        assert!(first.split(',').nth(3).unwrap().ends_with("+08:00"), "{first}");
        // Deterministic.
        let again = tmp.path().join("again");
        inject_file(&file, None, &plan(3), &again).unwrap();
        assert_eq!(
            lines(&out.join("meter_readings.csv")),
            lines(&again.join("meter_readings.csv"))
        );
    }
}

/// A table without a quote is read by the fast path (cut at line ends,
/// untouched rows copied by byte range); one with a quote goes through the
/// `csv` reader. Quoting only a header name sends the same rows down the
/// other path: both must write the same rows, labels and events, and refuse
/// the same bad row.
#[test]
fn the_fast_path_and_the_csv_path_write_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = generated(&tmp.path().join("g"), Resolution::Monthly, ReadingsLayout::Long, 0.05);
    let file = data.join("meter_consumption.csv");
    let text = fs::read_to_string(&file).unwrap();
    // CRLF line ends, a blank line and no final line end, as a spreadsheet might write.
    let mut crlf = text.replace('\n', "\r\n");
    crlf.insert_str(crlf.find("\r\n").unwrap() + 2, "\r\n");
    let crlf = crlf.trim_end().to_owned();
    // An SGCC table with missing cells and labelled meters.
    let mut sgcc = String::from("CONS_NO,FLAG,2024/1/1,2024/1/2,2024/1/3,2024/1/4\n");
    for i in 0..300 {
        let cell = |d: u32| {
            if (i + d) % 11 == 0 {
                String::new()
            } else {
                format!("{}.{}", 3 + (i * d) % 17, i % 10)
            }
        };
        sgcc.push_str(&format!(
            "C{i:04},{},{},{},{},{}\n",
            u8::from(i % 13 == 0),
            cell(1),
            cell(2),
            cell(3),
            cell(4)
        ));
    }
    // Long form, hourly, with missing readings, and with CRLF line ends.
    let config = GeneratorConfig {
        num_meters: 60,
        num_transformers: 2,
        num_months: 1,
        resolution: Resolution::Hourly,
        missing_rate: 0.02,
        anomaly_rate: 0.0,
        ..Default::default()
    };
    let hourly = Pipeline::builder().config(config).build().unwrap().generate().unwrap();
    let dir = tmp.path().join("hourly");
    fs::create_dir_all(&dir).unwrap();
    let options = WriteOptions::default()
        .with_layout(ReadingsLayout::Long)
        .with_readings_format(ReadingsFormat::Csv);
    write_files(&hourly, &dir, &options).unwrap();
    let long = fs::read_to_string(dir.join("meter_readings.csv")).unwrap();
    let long_crlf = long.replace('\n', "\r\n");
    for (k, table) in [text, crlf, sgcc, long, long_crlf].into_iter().enumerate() {
        let plain = tmp.path().join(format!("plain{k}/t.csv"));
        let quoted = tmp.path().join(format!("quoted{k}/t.csv"));
        let first = table.split(',').next().unwrap().to_owned();
        for (p, t) in [
            (&plain, table.clone()),
            (&quoted, table.replacen(&first, &format!("\"{first}\""), 1)),
        ] {
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, t).unwrap();
        }
        let (a, b) = (tmp.path().join(format!("a{k}")), tmp.path().join(format!("b{k}")));
        let fast = inject_file(&plain, None, &plan(11), &a).unwrap();
        let slow = inject_file(&quoted, None, &plan(11), &b).unwrap();
        assert!(fast.anomalies > 0 && fast.benign > 0, "table {k}");
        assert_eq!(fast, InjectSummaryPaths::swap(slow, &b, &a), "table {k}");
        for name in ["anomaly_labels.csv", "events.csv"] {
            assert_eq!(
                fs::read(a.join(name)).unwrap(),
                fs::read(b.join(name)).unwrap(),
                "{name} of table {k}"
            );
        }
        let (x, y) = (fs::read(a.join("t.csv")).unwrap(), fs::read(b.join("t.csv")).unwrap());
        let body = |v: &[u8]| v[v.iter().position(|&c| c == b'\n').unwrap()..].to_vec();
        assert!(body(&x) == body(&y), "rows of table {k}");
        assert_ne!(fs::read(&plain).unwrap(), x, "table {k} changed");

        // The same bad row, refused alike (a negative reading near the end).
        let mut bad_table = table.clone();
        let at = bad_table.trim_end().rfind('\n').unwrap() + 1;
        let comma = at + bad_table[at..].rfind(',').unwrap();
        bad_table.replace_range(comma + 1..comma + 1, "-1");
        let bad_quoted = bad_table.replacen(&first, &format!("\"{first}\""), 1);
        fs::write(&plain, bad_table).unwrap();
        fs::write(&quoted, bad_quoted).unwrap();
        let fast = inject_file(&plain, None, &plan(11), &tmp.path().join("c"))
            .unwrap_err()
            .to_string();
        let slow = inject_file(&quoted, None, &plan(11), &tmp.path().join("c"))
            .unwrap_err()
            .to_string();
        assert!(fast.contains("is negative"), "{fast}");
        // The `csv` reader names the line before a record that follows a
        // `\r\n` (table 1); the fast path names the record's own line.
        let unlined = |e: &str| e.split(", column").nth(1).unwrap_or_default().to_owned();
        if k == 1 || k == 4 {
            assert_eq!(unlined(&fast), unlined(&slow));
            assert!(fast.contains(&format!("line {}", table.lines().count())), "{fast}");
        } else {
            assert_eq!(fast.replace("plain", "quoted"), slow);
        }
        assert!(!tmp.path().join("c").exists());
    }
}

/// Summaries compared across output directories.
struct InjectSummaryPaths;

impl InjectSummaryPaths {
    fn swap(mut s: ghostload::io::InjectSummary, from: &Path, to: &Path) -> ghostload::io::InjectSummary {
        for f in &mut s.files {
            *f = to.join(f.strip_prefix(from).unwrap());
        }
        s
    }
}
