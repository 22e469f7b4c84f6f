//! `manifest.json`: written into every output directory, complete and
//! exact (every data file's size and SHA-256, computed here independently),
//! deterministic, and verified by `validate_dir` / `verify_manifest`, which
//! name every kind of damage; shard sets checked by `validate_shard_set`.

use std::fs;
use std::path::{Path, PathBuf};

use ghostload::io::{
    LOG_FILE, MANIFEST_CHECK, MANIFEST_JSON, Manifest, WriteOptions, config_sha256, read_manifest, stream_dataset,
    validate_dir, validate_shard_set, verify_manifest, weather_sha256, write_dataset,
};
use ghostload::{GeneratorConfig, Pipeline, Shard};
use sha2::{Digest, Sha256};

fn config(seed: u64, meters: usize) -> GeneratorConfig {
    GeneratorConfig {
        seed,
        num_meters: meters,
        num_transformers: (meters / 40).max(1),
        num_months: 6,
        ..Default::default()
    }
}

fn pipeline(config: GeneratorConfig, threads: usize) -> Pipeline {
    Pipeline::builder().config(config).threads(threads).build().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Every file under `dir`, as sorted `/`-separated relative paths.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk(root, &e.path(), out);
            } else {
                let rel = e.path().strip_prefix(root).unwrap().to_owned();
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Asserts that the manifest of `dir` lists exactly its files but the
/// manifest and the log, each with its true size and SHA-256, and that
/// `validate_dir`'s `manifest` check passes.
fn assert_exact(dir: &Path, pipeline: &Pipeline) -> Manifest {
    let m = read_manifest(dir).unwrap().expect("a manifest");
    let on_disk: Vec<String> = files_under(dir)
        .into_iter()
        .filter(|p| p != MANIFEST_JSON && p != LOG_FILE)
        .collect();
    let listed: Vec<String> = m.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(listed, on_disk, "the manifest lists every data file, sorted");
    for f in &m.files {
        let bytes = fs::read(dir.join(&f.path)).unwrap();
        assert_eq!(f.bytes, bytes.len() as u64, "{}", f.path);
        assert_eq!(f.sha256, hex(&bytes), "{}", f.path);
    }
    let config = pipeline.config();
    assert_eq!(m.generator, "ghostload");
    assert_eq!(m.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(m.manifest_version, 1);
    assert_eq!(m.config_sha256, hex(&serde_json::to_vec(config).unwrap()));
    assert_eq!(m.config_sha256, config_sha256(config).unwrap());
    assert_eq!(m.seed, config.seed);
    assert_eq!(m.num_meters, config.num_meters);
    assert_eq!(m.num_transformers, config.num_transformers);
    let c = verify_manifest(dir).unwrap();
    assert!(c.passed, "{}", c.detail);
    assert!(c.detail.contains("agree with generation_report.json"), "{}", c.detail);
    m
}

fn manifest_check(dir: &Path) -> ghostload::Check {
    let report = validate_dir(dir).unwrap();
    let c = report
        .check(MANIFEST_CHECK)
        .expect("validate_dir runs the manifest check")
        .clone();
    assert_eq!(
        c,
        verify_manifest(dir).unwrap(),
        "validate_dir's check is verify_manifest's"
    );
    c
}

#[test]
fn a_monthly_csv_directory_has_an_exact_manifest_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(config(3, 600), 0);
    let dir = tmp.path().join("out");
    let written = stream_dataset(&p, &dir, &WriteOptions::default()).unwrap();
    assert_eq!(
        written.files.last().map(String::as_str),
        Some(MANIFEST_JSON),
        "written last"
    );
    let m = assert_exact(&dir, &p);
    assert_eq!(m.shard.index, 1);
    assert_eq!(m.shard.count, 1);
    assert_eq!(m.shard.meters, [0, 600]);
    assert_eq!(m.weather_sha256, None, "no weather at monthly resolution");
    assert!(m.files.iter().any(|f| f.path == "meter_consumption.csv"));
    assert!(m.files.iter().any(|f| f.path == "generation_report.json"));
    let report = validate_dir(&dir).unwrap();
    assert!(report.passed(), "{report}");
    // The text itself: two-space JSON, a newline at the end, no absolute path.
    let text = fs::read_to_string(dir.join(MANIFEST_JSON)).unwrap();
    assert!(
        text.starts_with("{\n  \"generator\": \"ghostload\",\n  \"version\""),
        "{text}"
    );
    assert!(text.ends_with("}\n"));
    assert!(!text.contains(tmp.path().to_str().unwrap()));
}

#[test]
fn the_in_memory_writer_writes_the_same_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(config(4, 500), 0);
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    stream_dataset(&p, &a, &WriteOptions::default().with_batch_size(77)).unwrap();
    write_dataset(&p.generate().unwrap(), &b, &WriteOptions::default()).unwrap();
    assert_exact(&b, &p);
    assert_eq!(
        fs::read(a.join(MANIFEST_JSON)).unwrap(),
        fs::read(b.join(MANIFEST_JSON)).unwrap()
    );
}

#[test]
fn manifests_are_byte_identical_across_runs_and_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for (run, threads) in [(0, 1), (1, 2), (2, 2)] {
        let p = pipeline(config(11, 5000), threads);
        let dir = tmp.path().join(format!("run{run}"));
        stream_dataset(&p, &dir, &WriteOptions::default().with_batch_size(700)).unwrap();
        texts.push(fs::read(dir.join(MANIFEST_JSON)).unwrap());
    }
    assert!(texts[0] == texts[1] && texts[1] == texts[2]);
    // ... and the configuration is in it: another seed, another manifest.
    let p = pipeline(config(12, 5000), 2);
    let dir = tmp.path().join("other");
    stream_dataset(&p, &dir, &WriteOptions::default()).unwrap();
    let other = read_manifest(&dir).unwrap().unwrap();
    let first: Manifest = serde_json::from_slice(&texts[0]).unwrap();
    assert_ne!(other.config_sha256, first.config_sha256);
    assert_eq!(other.seed, 12);
}

#[cfg(feature = "parquet")]
#[test]
fn an_hourly_parquet_directory_lists_its_parts_and_its_weather() {
    use ghostload::Resolution;
    let tmp = tempfile::tempdir().unwrap();
    let cfg = GeneratorConfig {
        resolution: Resolution::Hourly,
        num_months: 1,
        missing_rate: 0.01,
        ..config(5, 120)
    };
    let p = pipeline(cfg.clone(), 0);
    let dir = tmp.path().join("hourly");
    stream_dataset(&p, &dir, &WriteOptions::default()).unwrap();
    let m = assert_exact(&dir, &p);
    for part in [
        "meter_readings/part-00001-of-00001.parquet",
        "transformer_readings/part-00001-of-00001.parquet",
        "meter_readings_true/part-00001-of-00001.parquet",
        "feeder_readings/part-00001-of-00001.parquet",
        "weather.csv",
    ] {
        assert!(m.files.iter().any(|f| f.path == part), "{part} not in {:?}", m.files);
    }
    let weather = p.weather().unwrap();
    assert_eq!(m.weather_sha256, Some(weather_sha256(weather).unwrap()));
    assert_eq!(
        m.weather_sha256.as_deref(),
        Some(hex(&serde_json::to_vec(weather).unwrap()).as_str())
    );
    assert!(validate_dir(&dir).unwrap().passed());

    // A supplied weather table (one degree warmer) is told apart.
    let warmer: Vec<f32> = (0..weather.barangays())
        .flat_map(|b| weather.temperatures(b).iter().map(|t| t + 1.0))
        .collect();
    let outages: Vec<bool> = (0..weather.barangays())
        .flat_map(|b| weather.outages(b).to_vec())
        .collect();
    let custom = ghostload::Weather::from_days(
        weather.first_day(),
        weather.days(),
        weather.barangays(),
        warmer,
        outages,
    )
    .unwrap();
    let p2 = Pipeline::builder().config(cfg).weather(custom.clone()).build().unwrap();
    let dir2 = tmp.path().join("custom");
    stream_dataset(&p2, &dir2, &WriteOptions::default()).unwrap();
    let m2 = assert_exact(&dir2, &p2);
    assert_eq!(m2.config_sha256, m.config_sha256, "same configuration");
    assert_eq!(m2.weather_sha256, Some(weather_sha256(&custom).unwrap()));
    assert_ne!(m2.weather_sha256, m.weather_sha256);

    // A changed byte in a part is named.
    let part = dir.join("meter_readings/part-00001-of-00001.parquet");
    let mut bytes = fs::read(&part).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    fs::write(&part, bytes).unwrap();
    let c = manifest_check(&dir);
    assert!(!c.passed);
    assert!(
        c.detail
            .contains("`meter_readings/part-00001-of-00001.parquet` has SHA-256"),
        "{}",
        c.detail
    );
    // A stray part in a part directory is a data file the manifest does not
    // list (`validate_dir` would also try to read it, and fail).
    fs::write(dir.join("transformer_readings/part-00002-of-00002.parquet"), b"PAR1").unwrap();
    let c = verify_manifest(&dir).unwrap();
    assert!(
        c.detail
            .contains("`transformer_readings/part-00002-of-00002.parquet` is not listed"),
        "{}",
        c.detail
    );
}

/// Writes shards `1/n ..= n/n` of `cfg` into `root/<k>`.
fn shards(root: &Path, cfg: &GeneratorConfig, n: usize) -> Vec<PathBuf> {
    let p = pipeline(cfg.clone(), 0);
    (1..=n)
        .map(|k| {
            let dir = root.join(k.to_string());
            let options = WriteOptions::default().with_shard(Shard::new(k, n).unwrap());
            stream_dataset(&p, &dir, &options).unwrap();
            dir
        })
        .collect()
}

fn detail(report: &ghostload::ValidationReport, name: &str) -> String {
    report
        .checks
        .iter()
        .filter(|c| c.name == name && !c.passed)
        .map(|c| c.detail.clone())
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn shard_directories_record_their_shard_and_a_complete_set_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(8, 1001);
    let dirs = shards(tmp.path(), &cfg, 3);
    let p = pipeline(cfg.clone(), 0);
    for (k, dir) in (1..=3).zip(&dirs) {
        let m = assert_exact(dir, &p);
        let range = Shard::new(k, 3).unwrap().range(1001);
        assert_eq!((m.shard.index, m.shard.count), (k, 3));
        assert_eq!(m.shard.meters, [range.start, range.end]);
        assert_eq!(m.num_meters, 1001);
        // A single shard fails `whole_dataset` by design, but its manifest verifies.
        assert!(manifest_check(dir).passed);
    }
    let report = validate_shard_set(&dirs).unwrap();
    assert!(report.passed(), "{report}");
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "manifest",
            "manifest",
            "manifest",
            "same_dataset",
            "shards_complete",
            "meters_tiled"
        ]
    );
    // In any order.
    let reversed: Vec<PathBuf> = dirs.iter().rev().cloned().collect();
    assert!(validate_shard_set(&reversed).unwrap().passed());
}

#[test]
fn an_incomplete_duplicated_or_mixed_shard_set_fails_naming_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(8, 900);
    let dirs = shards(&tmp.path().join("a"), &cfg, 3);

    let missing = validate_shard_set(&[&dirs[0], &dirs[2]]).unwrap();
    assert!(!missing.passed());
    assert!(
        detail(&missing, "shards_complete").contains("shard 2/3 is missing"),
        "{missing}"
    );
    assert!(
        detail(&missing, "meters_tiled").contains("meters [300, 600) are in no shard"),
        "{missing}"
    );

    let twice = validate_shard_set(&[&dirs[0], &dirs[1], &dirs[2], &dirs[1]]).unwrap();
    let d = detail(&twice, "shards_complete");
    assert!(d.contains("shard 2/3 appears 2 times"), "{twice}");
    assert!(
        d.contains(&dirs[1].display().to_string()),
        "the directories are named: {d}"
    );
    assert!(detail(&twice, "meters_tiled").contains("are in both"), "{twice}");

    // Shard 3/3 of another seed: same layout, another dataset.
    let other = shards(&tmp.path().join("b"), &config(9, 900), 3);
    let mixed = validate_shard_set(&[&dirs[0], &dirs[1], &other[2]]).unwrap();
    let d = detail(&mixed, "same_dataset");
    assert!(d.contains("has seed 9") && d.contains("has 8"), "{mixed}");
    assert!(d.contains("config_sha256"), "{d}");
    assert!(d.contains(&format!("`{}` (shard 3/3)", other[2].display())), "{d}");
    assert!(
        mixed.check("shards_complete").unwrap().passed,
        "the layout itself is complete"
    );

    // Another shard count.
    let four = shards(&tmp.path().join("c"), &cfg, 4);
    let counts = validate_shard_set(&[&dirs[0], &dirs[1], &four[3]]).unwrap();
    assert!(
        detail(&counts, "same_dataset").contains("has shard count 4"),
        "{counts}"
    );

    // A damaged shard fails its own manifest check, naming the directory.
    let copy = tmp.path().join("damaged");
    copy_dir(&dirs[1], &copy);
    fs::remove_file(copy.join("events.csv")).unwrap();
    let damaged = validate_shard_set(&[&dirs[0], &copy, &dirs[2]]).unwrap();
    let d = detail(&damaged, MANIFEST_CHECK);
    assert!(
        d.contains(&copy.display().to_string()) && d.contains("`events.csv` is missing"),
        "{d}"
    );

    // Without a manifest a directory cannot take part.
    fs::remove_file(copy.join(MANIFEST_JSON)).unwrap();
    let unknown = validate_shard_set(&[&dirs[0], &copy, &dirs[2]]).unwrap();
    assert!(
        detail(&unknown, MANIFEST_CHECK).contains("no manifest.json"),
        "{unknown}"
    );
    assert!(
        detail(&unknown, "shards_complete").contains("shard 2/3 is missing"),
        "{unknown}"
    );

    let none: [&Path; 0] = [];
    assert!(!validate_shard_set(&none).unwrap().passed());
    assert!(validate_shard_set(&[tmp.path().join("nowhere")]).is_err());
}

/// One kind of damage to a valid directory, and what the check must say.
struct Tamper {
    what: &'static str,
    apply: fn(&Path),
    says: &'static [&'static str],
}

fn edit_manifest(dir: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(MANIFEST_JSON);
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    f(&mut v);
    fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn each_kind_of_damage_is_caught_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(config(21, 800), 0);
    let clean = tmp.path().join("clean");
    stream_dataset(&p, &clean, &WriteOptions::default()).unwrap();
    let tampers = [
        Tamper {
            what: "a flipped byte",
            apply: |d| {
                let path = d.join("meter_consumption.csv");
                let mut b = fs::read(&path).unwrap();
                let at = b.len() - 10;
                b[at] = if b[at] == b'1' { b'2' } else { b'1' };
                fs::write(&path, b).unwrap();
            },
            says: &["`meter_consumption.csv` has SHA-256"],
        },
        Tamper {
            what: "a truncated file",
            apply: |d| {
                let path = d.join("events.csv");
                let b = fs::read(&path).unwrap();
                fs::write(&path, &b[..b.len() - 1]).unwrap();
            },
            says: &[
                "`events.csv` has ",
                " bytes, the manifest lists ",
                "(truncated or changed)",
            ],
        },
        Tamper {
            what: "a deleted file",
            apply: |d| fs::remove_file(d.join("anomaly_labels.csv")).unwrap(),
            says: &["`anomaly_labels.csv` is missing"],
        },
        Tamper {
            what: "an extra data file",
            apply: |d| fs::write(d.join("extra.csv"), b"a,b\n1,2\n").unwrap(),
            says: &["`extra.csv` is not listed"],
        },
        Tamper {
            what: "an edited digest",
            apply: |d| edit_manifest(d, |v| v["files"][0]["sha256"] = "0".repeat(64).into()),
            says: &["the manifest lists 000000000000…"],
        },
        Tamper {
            what: "an edited configuration hash",
            apply: |d| edit_manifest(d, |v| v["config_sha256"] = "ab".repeat(32).into()),
            says: &[
                "config_sha256 abababababab… in manifest.json, but the configuration in generation_report.json hashes to",
            ],
        },
        Tamper {
            what: "an edited seed",
            apply: |d| edit_manifest(d, |v| v["seed"] = 7.into()),
            says: &["seed 7 in manifest.json, 21 in generation_report.json"],
        },
        Tamper {
            what: "an edited version",
            apply: |d| edit_manifest(d, |v| v["version"] = "9.9.9".into()),
            says: &["version 9.9.9 in manifest.json"],
        },
        Tamper {
            what: "malformed JSON",
            apply: |d| fs::write(d.join(MANIFEST_JSON), b"{\"generator\": \"ghostload\",").unwrap(),
            says: &["manifest.json is malformed: EOF while parsing"],
        },
        Tamper {
            what: "a missing field",
            apply: |d| {
                edit_manifest(d, |v| {
                    v.as_object_mut().unwrap().remove("files");
                })
            },
            says: &["manifest.json is malformed: missing field `files`"],
        },
        Tamper {
            what: "a path out of the directory",
            apply: |d| edit_manifest(d, |v| v["files"][0]["path"] = "../clean/anomaly_labels.csv".into()),
            says: &["has an empty, `.` or `..` component"],
        },
    ];
    for (i, t) in tampers.iter().enumerate() {
        let dir = tmp.path().join(format!("t{i}"));
        copy_dir(&clean, &dir);
        assert!(manifest_check(&dir).passed, "{}: clean copy", t.what);
        (t.apply)(&dir);
        let c = manifest_check(&dir);
        assert!(!c.passed, "{} is not caught", t.what);
        for says in t.says {
            assert!(
                c.detail.contains(says),
                "{}: {:?} does not say {:?}",
                t.what,
                c.detail,
                says
            );
        }
        assert!(!validate_dir(&dir).unwrap().passed(), "{}", t.what);
    }
}

#[test]
fn files_that_are_not_data_and_a_missing_manifest_do_not_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(config(2, 300), 0);
    let dir = tmp.path().join("out");
    stream_dataset(&p, &dir, &WriteOptions::default()).unwrap();
    // A user's notes (the staging directory keeps them across runs) and the run log.
    fs::write(dir.join("notes.md"), b"# my notes\n").unwrap();
    fs::create_dir(dir.join("figures")).unwrap();
    fs::write(dir.join("figures/plot.png"), b"\x89PNG").unwrap();
    fs::write(dir.join(LOG_FILE), b"timings differ every run\n").unwrap();
    let c = manifest_check(&dir);
    assert!(c.passed, "{}", c.detail);
    assert!(c.detail.contains("ignored: figures/plot.png; notes.md"), "{}", c.detail);
    // A rerun over it keeps the notes and still verifies.
    stream_dataset(&p, &dir, &WriteOptions::default()).unwrap();
    assert!(dir.join("notes.md").exists());
    assert!(manifest_check(&dir).passed);

    // Without a manifest (the original tool's files) there is nothing to verify.
    fs::remove_file(dir.join(MANIFEST_JSON)).unwrap();
    let c = manifest_check(&dir);
    assert!(c.passed, "{}", c.detail);
    assert!(c.detail.starts_with("no manifest.json"), "{}", c.detail);
    assert!(read_manifest(&dir).unwrap().is_none());
    assert!(validate_dir(&dir).unwrap().passed());
}

#[test]
fn the_manifest_is_written_into_the_staging_directory_and_committed_with_the_rest() {
    use ghostload::io::{Staging, stream_files};
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("out");
    let old = pipeline(config(1, 200), 0);
    stream_dataset(&old, &target, &WriteOptions::default()).unwrap();
    let old_manifest = fs::read(target.join(MANIFEST_JSON)).unwrap();

    // As the CLI does: write into a staging directory, then commit.
    let new = pipeline(config(2, 300), 0);
    let staging = Staging::new(&target).unwrap();
    let written = stream_files(&new, staging.path(), &WriteOptions::default()).unwrap();
    assert!(written.files.iter().any(|f| f == MANIFEST_JSON));
    assert!(
        staging.path().join(MANIFEST_JSON).exists(),
        "written inside the staging directory"
    );
    assert_eq!(
        fs::read(target.join(MANIFEST_JSON)).unwrap(),
        old_manifest,
        "the target keeps its old manifest until the commit"
    );
    assert!(
        verify_manifest(&target).unwrap().passed,
        "and the old files still match it"
    );
    staging.commit().unwrap();
    let m = assert_exact(&target, &new);
    assert_eq!((m.seed, m.num_meters), (2, 300));

    // A staging directory dropped uncommitted (a failed run) changes nothing.
    let staging = Staging::new(&target).unwrap();
    stream_files(&old, staging.path(), &WriteOptions::default()).unwrap();
    drop(staging);
    assert_eq!(read_manifest(&target).unwrap().unwrap().seed, 2);
    assert!(verify_manifest(&target).unwrap().passed);
}
