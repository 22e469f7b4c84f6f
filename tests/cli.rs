//! The `ghostload` binary: exit codes, configuration layering, determinism,
//! and a failing run leaving the output directory as it was.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn ghostload(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ghostload"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn value<'a>(toml: &'a str, key: &str) -> &'a str {
    toml.lines()
        .find_map(|l| l.strip_prefix(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{key} not in:\n{toml}"))
}

fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn anomaly_rate_out_of_range_exits_2_naming_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = ghostload(&[
        "generate",
        "--anomaly-rate",
        "1.5",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("anomaly_rate") && err.contains("1.5") && err.contains("0.0 ..= 1.0"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0, "nothing created");
}

#[test]
fn bad_flag_value_exits_2() {
    let o = ghostload(&["generate", "--num-meters", "many"]);
    assert_eq!(o.status.code(), Some(2));
    let o = ghostload(&["generate", "--start-month", "2024-13", "--print-config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("start_month"), "{}", stderr(&o));
}

#[test]
fn unknown_toml_key_is_named_with_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("bad.toml");
    fs::write(&file, "num_meters = 100\nnum_transformerz = 5\n").unwrap();
    let o = ghostload(&["generate", "--config", file.to_str().unwrap(), "--print-config"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("num_transformerz"), "{err}");
    assert!(err.contains("bad.toml"), "{err}");
    fs::write(&file, "[bounds]\nlat_minimum = 1.0\n").unwrap();
    let o = ghostload(&["generate", "--config", file.to_str().unwrap(), "--print-config"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lat_minimum"), "{}", stderr(&o));
}

#[test]
fn print_config_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let o = ghostload(&["generate", "--preset", "demo", "--seed", "9", "--print-config"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let printed = stdout(&o);
    assert_eq!(value(&printed, "seed"), "9");
    let file = tmp.path().join("c.toml");
    fs::write(&file, &printed).unwrap();
    let again = ghostload(&["generate", "--config", file.to_str().unwrap(), "--print-config"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(stdout(&again), printed);
}

#[test]
fn flags_override_file_override_preset() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("c.toml");
    fs::write(
        &file,
        "num_meters = 800\nnum_months = 9\n[class_mix]\nresidential = 0.6\ncommercial = 0.3\nindustrial = 0.1\n",
    )
    .unwrap();
    let o = ghostload(&[
        "generate",
        "--preset",
        "production",
        "--config",
        file.to_str().unwrap(),
        "--num-months",
        "3",
        "--print-config",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert_eq!(value(&t, "num_transformers"), "100", "from the preset");
    assert_eq!(value(&t, "num_meters"), "800", "from the file");
    assert_eq!(value(&t, "num_months"), "3", "from the flag");
    assert_eq!(value(&t, "residential"), "0.6");
}

#[test]
fn utility_preset_survives_a_partial_file() {
    // A file over `--preset utility` keeps the preset's industrial class and
    // ceiling for every key it leaves unset; a mix it gives is still whole.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("c.toml");
    fs::write(
        &file,
        "num_meters = 800\n[consumption.industrial]\nsigma = 0.7\n[anomaly_mix]\nzero_readings = 1.0\n",
    )
    .unwrap();
    let o = ghostload(&[
        "generate",
        "--preset",
        "utility",
        "--config",
        file.to_str().unwrap(),
        "--print-config",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let t = stdout(&o);
    assert_eq!(value(&t, "num_meters"), "800", "from the file");
    assert_eq!(value(&t, "num_transformers"), "50", "from the preset");
    assert_eq!(value(&t, "max_kwh"), "1000000000.0", "from the preset");
    let industrial = t.split("[consumption.industrial]").nth(1).unwrap();
    assert_eq!(value(industrial, "median_kwh"), "8000.0", "from the preset");
    assert_eq!(value(industrial, "sigma"), "0.7", "from the file");
    let mix = t.split("[anomaly_mix]").nth(1).unwrap();
    assert_eq!(mix.split("\n\n").next().unwrap().trim(), "zero_readings = 1.0");
    // Without a preset the same file keeps the defaults' strict ceiling.
    let o = ghostload(&["generate", "--config", file.to_str().unwrap(), "--print-config"]);
    let t = stdout(&o);
    assert_eq!(value(&t, "max_kwh"), "10000.0");
    let industrial = t.split("[consumption.industrial]").nth(1).unwrap();
    assert_eq!(value(industrial, "median_kwh"), "2500.0");
}

#[test]
fn generate_is_deterministic_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for dir in [&a, &b] {
        let o = ghostload(&["generate", "--preset", "demo", "--output-dir", dir.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let err = stderr(&o);
        assert!(err.contains(" - INFO - Generating 20 transformers..."), "{err}");
        assert!(err.contains("500 meters"), "summary line: {err}");
    }
    let strip_log = |v: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
        v.into_iter()
            .filter(|(n, _)| n != "synthetic_data_generation.log")
            .collect()
    };
    let (ta, tb) = (strip_log(tree(&a)), strip_log(tree(&b)));
    // Ten data files and manifest.json.
    assert_eq!(ta.len(), 12);
    assert!(ta.iter().any(|(n, _)| n == "manifest.json"));
    assert!(ta == tb, "two runs differ");
    let log = fs::read_to_string(a.join("synthetic_data_generation.log")).unwrap();
    assert!(log.contains("✓ All validation checks passed"), "{log}");
    let v = ghostload(&["validate", a.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    // The ten checks of the tables, the five of the energy-balance files
    // (the balance is on by default) and `manifest`.
    assert_eq!(stdout(&v).matches("PASS ").count(), 16, "{}", stdout(&v));
    assert!(stdout(&v).contains("PASS manifest: 11 files, "), "{}", stdout(&v));
}

#[test]
fn quiet_run_prints_nothing_but_still_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("q");
    let o = ghostload(&[
        "-q",
        "generate",
        "--preset",
        "demo",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
    assert!(
        fs::read_to_string(out.join("synthetic_data_generation.log"))
            .unwrap()
            .contains("INFO")
    );
}

#[test]
fn failing_run_leaves_the_target_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = ghostload(&["generate", "--preset", "demo", "--output-dir", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    fs::write(out.join("notes.md"), "keep").unwrap();
    let before = tree(&out);
    // Valid flags, but a configuration that cannot be generated: fails before anything is written.
    let o = ghostload(&[
        "generate",
        "--num-meters",
        "10",
        "--num-transformers",
        "20",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(tree(&out), before);
    // The output path is a file: one clear line, exit 1, nothing touched.
    let file = tmp.path().join("file");
    fs::write(&file, "x").unwrap();
    let o = ghostload(&["generate", "--preset", "demo", "--output-dir", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a directory"), "{err}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "x");
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["file", "out"]);
}

#[test]
fn validate_fails_on_a_broken_directory_and_rejects_a_missing_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    assert_eq!(
        ghostload(&[
            "-q",
            "generate",
            "--preset",
            "demo",
            "--output-dir",
            out.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    fs::remove_file(out.join("transformers.csv")).unwrap();
    let v = ghostload(&["validate", out.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1));
    assert!(stdout(&v).contains("FAIL schema_transformers"), "{}", stdout(&v));
    let v = ghostload(&["validate", tmp.path().join("nope").to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn ctrl_c_leaves_the_target_as_it_was_and_removes_the_staging_directory() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.md"), "keep").unwrap();
    let before = tree(&out);
    // Large enough that generation is still running when the signal arrives.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghostload"))
        .args([
            "-q",
            "generate",
            "--num-transformers",
            "500",
            "--num-meters",
            "150000",
            "--num-months",
            "120",
        ])
        .args(["--output-dir", out.to_str().unwrap()])
        .spawn()
        .unwrap();
    let staging = tmp.path().join(format!(".out.ghostload-tmp-{}", child.id()));
    let start = Instant::now();
    while !staging.exists() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert!(staging.exists(), "staging directory never appeared");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(!staging.exists(), "staging directory removed");
    assert_eq!(tree(&out), before);
}

#[test]
fn validate_accepts_the_python_tools_column_names() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(
        d.join("transformers.csv"),
        "transformer_id,feeder_id,barangay,lat,lon,capacity_kva,num_meters\nTX_0001,FDR_01,Poblacion,14.5,121.0,50.0,2\n",
    )
    .unwrap();
    fs::write(
        d.join("meter_consumption.csv"),
        "meter_id,transformer_id,customer_class,barangay,lat,lon,kva,monthly_202401,monthly_202402\n\
         MTR_000001,TX_0001,residential,Poblacion,14.5001,121.0001,3.2,210.5,198.25\n\
         MTR_000002,TX_0001,commercial,Poblacion,14.4999,121.0002,6.1,1200.0,1100.75\n",
    )
    .unwrap();
    fs::write(
        d.join("anomaly_labels.csv"),
        "meter_id,anomaly_flag,risk_band,anomaly_type\n",
    )
    .unwrap();
    let v = ghostload(&["validate", d.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    // Out of order months are caught.
    let text = fs::read_to_string(d.join("meter_consumption.csv")).unwrap();
    fs::write(
        d.join("meter_consumption.csv"),
        text.replace("monthly_202402", "monthly_202312"),
    )
    .unwrap();
    let v = ghostload(&["validate", d.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(1));
    assert!(stdout(&v).contains("FAIL all_periods_present"), "{}", stdout(&v));
}

#[test]
fn shards_and_threads_reproduce_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let dir = tmp.path().join(name);
        let mut args = vec![
            "generate",
            "--preset",
            "demo",
            "-q",
            "--output-dir",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let o = ghostload(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        dir
    };
    let whole = run("whole", &[]);
    let one_thread = run("one", &["--threads", "1", "--batch-size", "77"]);
    let strip = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        tree(dir)
            .into_iter()
            .filter(|(n, _)| n != "synthetic_data_generation.log")
            .collect()
    };
    assert!(
        strip(&whole) == strip(&one_thread),
        "thread count or batch size changed the files"
    );
    let (a, b) = (run("a", &["--shard", "1/2"]), run("b", &["--shard", "2/2"]));
    for name in ["meter_consumption.csv", "anomaly_labels.csv", "events.csv"] {
        let first = fs::read(a.join(name)).unwrap();
        let second = fs::read(b.join(name)).unwrap();
        let body = &second[second.iter().position(|&c| c == b'\n').unwrap() + 1..];
        assert_eq!(
            [&first[..], body].concat(),
            fs::read(whole.join(name)).unwrap(),
            "{name}"
        );
    }
    let bad = ghostload(&[
        "generate",
        "--shard",
        "3/2",
        "--output-dir",
        tmp.path().join("x").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("shard"), "{}", stderr(&bad));
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn severity_window_flag_changes_only_severities_and_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let (sa, sb) = (a.to_str().unwrap(), b.to_str().unwrap());
    assert!(ghostload(&["generate", "-q", "--output-dir", sa]).status.success());
    let run = ghostload(&["generate", "-q", "--severity-window", "event", "--output-dir", sb]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let read = |d: &Path, f: &str| fs::read_to_string(d.join(f)).unwrap();
    assert_eq!(read(&a, "meter_consumption.csv"), read(&b, "meter_consumption.csv"));
    assert_ne!(read(&a, "anomaly_labels.csv"), read(&b, "anomaly_labels.csv"));
    assert!(read(&b, "generation_report.txt").contains("Severity window: event"));
    assert!(read(&a, "generation_report.txt").contains("Severity window: series"));
    let v = ghostload(&["validate", sb]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    let bad = ghostload(&["generate", "-q", "--severity-window", "onset", "--output-dir", sb]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn validate_quiet_prints_only_the_failures() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let dir = out.to_str().unwrap();
    assert!(
        ghostload(&["-q", "generate", "--preset", "demo", "--output-dir", dir])
            .status
            .success()
    );
    let v = ghostload(&["validate", "-q", dir]);
    assert_eq!(v.status.code(), Some(0));
    assert_eq!(stdout(&v), "");
    assert_eq!(stderr(&v), "");
    fs::remove_file(out.join("transformers.csv")).unwrap();
    let v = ghostload(&["-q", "validate", dir]);
    assert_eq!(v.status.code(), Some(1));
    let printed = stdout(&v);
    assert!(printed.contains("FAIL schema_transformers"), "{printed}");
    assert!(printed.lines().all(|l| l.starts_with("FAIL ")), "{printed}");
    // Not quiet: every check, passed or not.
    let loud = stdout(&ghostload(&["validate", dir]));
    assert!(
        loud.contains("PASS ") && loud.contains("FAIL schema_transformers"),
        "{loud}"
    );
}

/// `tree` without the run log, whose timestamps differ from run to run.
fn data(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(dir)
        .into_iter()
        .filter(|(n, _)| n != "synthetic_data_generation.log")
        .collect()
}

#[test]
fn rerun_over_a_directory_where_a_file_goes_gives_exactly_the_new_dataset() {
    // The case: it exited 1 leaving new labels beside old transformers.
    let tmp = tempfile::tempdir().unwrap();
    let (out, fresh) = (tmp.path().join("out"), tmp.path().join("fresh"));
    let run = |dir: &Path, seed: &str| {
        let args = ["-q", "generate", "--preset", "demo", "--seed", seed, "--output-dir"];
        ghostload(&[&args[..], &[dir.to_str().unwrap()]].concat())
    };
    assert!(run(&out, "1").status.success());
    fs::remove_file(out.join("meter_consumption.csv")).unwrap();
    fs::create_dir_all(out.join("meter_consumption.csv").join("inner")).unwrap();
    fs::write(out.join("notes.md"), "keep").unwrap();
    let o = run(&out, "2");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(run(&fresh, "2").status.success());
    fs::write(fresh.join("notes.md"), "keep").unwrap();
    assert_eq!(data(&out), data(&fresh));
    assert!(out.join("synthetic_data_generation.log").is_file());
}

#[cfg(unix)]
#[test]
fn ctrl_c_at_any_moment_leaves_the_complete_old_or_new_dataset() {
    use std::time::Instant;
    let tmp = tempfile::tempdir().unwrap();
    let (out, new) = (tmp.path().join("out"), tmp.path().join("new"));
    let args = |dir: &Path, seed: &str| -> Vec<String> {
        let flags = "-q generate --num-transformers 100 --num-meters 20000 --num-months 24 --seed";
        let mut v: Vec<String> = flags.split(' ').map(str::to_owned).collect();
        v.extend([
            seed.to_owned(),
            "--output-dir".to_owned(),
            dir.to_str().unwrap().to_owned(),
        ]);
        v
    };
    let run = |dir: &Path, seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_ghostload"))
            .args(args(dir, seed))
            .status()
    };
    assert!(run(&out, "1").unwrap().success());
    assert!(run(&new, "2").unwrap().success());
    let started = Instant::now();
    assert!(run(&new, "2").unwrap().success());
    let duration = started.elapsed();
    let (old_data, new_data) = (data(&out), data(&new));
    let mut outcomes = Vec::new();
    // From before the handler is installed to after the run has finished.
    for eighth in 0..10 {
        let child = Command::new(env!("CARGO_BIN_EXE_ghostload"))
            .args(args(&out, "2"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(duration * eighth / 8);
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        let output = child.wait_with_output().unwrap();
        let status = output.status;
        let now = data(&out);
        match status.code() {
            Some(0) => assert!(now == new_data, "exit 0 but not the new dataset"),
            Some(1) => {
                let err = stderr(&output);
                let expected = format!(
                    "interrupted: `{}` left unchanged",
                    fs::canonicalize(&out).unwrap().display()
                );
                assert!(err.contains(&expected), "{err}");
                assert!(now == old_data, "interrupted but not the old dataset");
            }
            // Killed before the handler was installed.
            None => assert!(now == old_data, "{status} but not the old dataset"),
            Some(code) => panic!("exit {code}"),
        }
        assert_eq!(names(tmp.path()), ["new", "out"], "nothing left beside the target");
        outcomes.push((sent.success(), status.code()));
        if status.code() == Some(0) {
            // Back to the old dataset for the next round.
            assert!(run(&out, "1").unwrap().success());
        }
    }
    assert!(outcomes.iter().any(|o| o.1 == Some(1)), "{outcomes:?}");
}

/// Runs `generate` with `flags`; it must be refused with exit 2 before any
/// work (quickly, creating nothing) and stderr must contain every `needle`.
fn assert_usage_error(flags: &[&str], needles: &[&str]) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let started = std::time::Instant::now();
    let mut args = vec!["generate", "--output-dir", out.to_str().unwrap()];
    args.extend_from_slice(flags);
    let o = ghostload(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{flags:?}: `{needle}` not in {err}");
    }
    assert!(!out.exists(), "{flags:?} created the output directory");
    assert!(started.elapsed().as_secs() < 10, "{flags:?} was not refused up front");
}

#[test]
fn absurd_thread_counts_exit_2_naming_flag_and_range() {
    // The invalid anomaly rate stops the run before any thread starts, should
    // the --threads check ever go missing: the test then fails fast.
    for n in ["100000", "1025", "18446744073709551615", "18446744073709551616"] {
        assert_usage_error(&["--threads", n, "--anomaly-rate", "2"], &["--threads", n, "0..=1024"]);
    }
    assert_usage_error(&["--threads=-1", "--anomaly-rate", "2"], &["--threads"]);
}

#[test]
fn absurd_batch_sizes_exit_2_naming_flag_and_range() {
    for n in ["0", "1048577", "18446744073709551615"] {
        assert_usage_error(&["--batch-size", n], &["--batch-size", "1..=1048576"]);
    }
}

#[test]
fn absurd_sizes_exit_2_naming_flag_and_range() {
    let cases = [
        ("--num-months", "100000", "1..=1200"),
        ("--num-months", "0", "1..=1200"),
        ("--num-transformers", "10000001", "1..=10000000"),
        ("--num-transformers", "18446744073709551615", "1..=10000000"),
        ("--num-meters", "4294967296", "1..=4294967295"),
        ("--num-meters", "18446744073709551615", "1..=4294967295"),
    ];
    for (flag, value, range) in cases {
        assert_usage_error(&[flag, value], &[flag, value, range]);
    }
    // In range for the flag, but not for the other sizes: the library's check names the field.
    assert_usage_error(
        &["--num-transformers", "10000000", "--num-meters", "100"],
        &["num_meters", "num_transformers"],
    );
    assert_usage_error(
        &["--start-month", "9999-06", "--num-months", "12"],
        &["num_months", "9999-12"],
    );
}

#[test]
fn bad_shards_exit_2_naming_flag_and_range() {
    for shard in [
        "0/4",
        "5/4",
        "1/0",
        "x/2",
        "3",
        "1/4294967296",
        "18446744073709551615/18446744073709551615",
        "1/99999999999999999999999",
    ] {
        assert_usage_error(&["--shard", shard], &["--shard", "1 <= K <= N <= 4294967295"]);
    }
    assert_usage_error(&["--shard=-1/2"], &["--shard"]);
}

#[test]
fn absurd_sizes_in_a_config_file_exit_2_naming_field_and_range() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "num_transformers = 100000000\nnum_meters = 200000000\n",
            "num_transformers",
            "1 ..= 10000000",
        ),
        ("num_months = 100000\n", "num_months", "1 ..= 1200"),
        ("num_meters = 4294967296\n", "num_meters", "1 ..= 4294967295"),
        ("min_normal_periods = 100000\n", "min_normal_periods", "0 ..= 1200"),
        ("meter_spread_m = inf\n", "meter_spread_m", "0.0 ..= 5000.0"),
        ("anomaly_rate = nan\n", "anomaly_rate", "0.0 ..= 1.0"),
    ];
    for (i, (text, field, range)) in cases.into_iter().enumerate() {
        let path = tmp.path().join(format!("c{i}.toml"));
        fs::write(&path, text).unwrap();
        assert_usage_error(&["--config", path.to_str().unwrap()], &[field, range]);
    }
}

#[test]
fn interval_flags_exit_2_naming_flag_and_allowed_values() {
    assert_usage_error(
        &["--resolution", "weekly"],
        &["--resolution", "monthly", "daily", "hourly", "15min"],
    );
    assert_usage_error(
        &["--resolution", "hourly", "--layout", "sgcc"],
        &["--layout", "sgcc", "daily"],
    );
    assert_usage_error(&["--layout", "sgcc"], &["--layout", "daily"]);
    assert_usage_error(&["--layout", "wide"], &["--layout", "long", "sgcc"]);
    assert_usage_error(&["--readings-format", "xlsx"], &["--readings-format", "csv", "parquet"]);
    assert_usage_error(
        &[
            "--resolution",
            "daily",
            "--layout",
            "sgcc",
            "--readings-format",
            "parquet",
        ],
        &["--readings-format parquet", "--layout sgcc", "csv"],
    );
    assert_usage_error(
        &["--timezone", "Europe/London"],
        &["--timezone", "Asia/Manila", "±HH:MM"],
    );
    assert_usage_error(&["--missing-rate", "0.9"], &["missing_rate", "0.0 ..= 0.5"]);
    assert_usage_error(&["--missing-rate", "-0.1"], &["missing_rate"]);
    let tmp = tempfile::tempdir().unwrap();
    let weather = tmp.path().join("w.csv");
    fs::write(&weather, "date,temperature_c\n").unwrap();
    assert_usage_error(
        &["--weather", weather.to_str().unwrap()],
        &["--weather", "--resolution"],
    );
    let missing = tmp.path().join("absent.csv");
    assert_usage_error(
        &["--resolution", "daily", "--weather", missing.to_str().unwrap()],
        &["--weather", "absent.csv"],
    );
}

/// A TOML file for small interval runs that validate today: no anomalies,
/// no benign events, no typhoons.
fn quiet_interval_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("quiet.toml");
    fs::write(
        &path,
        "anomaly_rate = 0.0\nbenign_rate = 0.0\nnum_meters = 60\nnum_transformers = 3\nnum_months = 2\n\n[weather]\ntyphoons_per_year = 0.0\n",
    )
    .unwrap();
    path
}

#[test]
fn a_bad_weather_file_is_refused_before_anything_is_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("notes.md"), "keep me").unwrap();
    let config = quiet_interval_config(tmp.path());
    let mut rows = vec!["date,barangay,temperature_c".to_owned()];
    for d in 1..=31 {
        rows.push(format!("2024-01-{d:02},,27.0"));
    }
    for d in 1..=29 {
        rows.push(format!("2024-02-{d:02},,27.0"));
    }
    let cases = [
        (3, "2024-01-2,,27.0", "line 3, field `date`"),
        (4, "2024-01-03,Nowhere,27.0", "line 4, field `barangay`"),
        (5, "2024-01-04,,hot", "line 5, field `temperature_c`"),
        (6, "", "2024-01-05"),
    ];
    for (line, replacement, needle) in cases {
        let mut bad = rows.clone();
        if replacement.is_empty() {
            bad.remove(line - 1);
        } else {
            bad[line - 1] = replacement.to_owned();
        }
        let weather = tmp.path().join("weather.csv");
        fs::write(&weather, bad.join("\n")).unwrap();
        let before = (names(tmp.path()), tree(&out));
        let o = ghostload(&[
            "generate",
            "--config",
            config.to_str().unwrap(),
            "--resolution",
            "daily",
            "--weather",
            weather.to_str().unwrap(),
            "--output-dir",
            out.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(needle) && err.contains("--weather"),
            "`{needle}` not in {err}"
        );
        assert!(
            (names(tmp.path()), tree(&out)) == before,
            "something was written or staged"
        );
        assert_eq!(names(&out), ["notes.md"]);
    }
    // The good file is used, and written back as weather.csv.
    let weather = tmp.path().join("weather.csv");
    fs::write(&weather, rows.join("\n")).unwrap();
    let o = ghostload(&[
        "generate",
        "--config",
        config.to_str().unwrap(),
        "--resolution",
        "daily",
        "--layout",
        "sgcc",
        "--weather",
        weather.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = fs::read_to_string(out.join("weather.csv")).unwrap();
    assert_eq!(written.lines().count(), 1 + 60 * 10);
    assert!(written.lines().skip(1).all(|l| l.ends_with(",27.0,0")), "{written}");
    assert!(out.join("meter_readings_sgcc.csv").exists() && out.join("notes.md").exists());
}

#[test]
fn hourly_run_writes_readings_weather_and_the_monthly_files_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let config = quiet_interval_config(tmp.path());
    let o = ghostload(&[
        "generate",
        "--config",
        config.to_str().unwrap(),
        "--resolution",
        "hourly",
        "--timezone",
        "+05:30",
        "--batch-size",
        "7",
        "--readings-format",
        "csv",
        "--output-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!out.join("meter_readings").exists(), "csv asked, Parquet written");
    for name in [
        "meter_readings.csv",
        "weather.csv",
        "meter_consumption.csv",
        "anomaly_labels.csv",
    ] {
        assert!(out.join(name).exists(), "{name}: {:?}", names(&out));
    }
    let readings = fs::read_to_string(out.join("meter_readings.csv")).unwrap();
    assert_eq!(readings.lines().count(), 1 + 60 * (31 + 29) * 24);
    assert_eq!(
        readings.lines().nth(1).unwrap().split(',').nth(1),
        Some("2024-01-01T00:00:00+05:30")
    );
    let report = fs::read_to_string(out.join("generation_report.txt")).unwrap();
    assert!(report.contains("Time zone: +05:30 (UTC+05:30)"), "{report}");
    let v = ghostload(&["validate", out.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
}

#[test]
fn interval_readings_are_parquet_by_default_one_part_per_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let small = ["--num-meters", "120", "--num-transformers", "6", "--num-months", "2"];
    let whole = tmp.path().join("whole");
    let mut args = vec![
        "generate",
        "--resolution",
        "hourly",
        "--missing-rate",
        "0.02",
        "--output-dir",
    ];
    args.push(whole.to_str().unwrap());
    args.extend_from_slice(&small);
    let o = ghostload(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!whole.join("meter_readings.csv").exists());
    assert_eq!(names(&whole.join("meter_readings")), ["part-00001-of-00001.parquet"]);
    let v = ghostload(&["validate", whole.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    assert!(
        stdout(&v).contains("PASS readings_present: meter_readings/: 172800 rows of 120 meters"),
        "{}",
        stdout(&v)
    );

    for k in 1..=3 {
        let dir = tmp.path().join(format!("shard{k}"));
        let shard = format!("{k}/3");
        let mut args = vec![
            "generate",
            "--resolution",
            "hourly",
            "--missing-rate",
            "0.02",
            "--shard",
            &shard,
        ];
        args.extend_from_slice(&["--output-dir", dir.to_str().unwrap()]);
        args.extend_from_slice(&small);
        let o = ghostload(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(
            names(&dir.join("meter_readings")),
            [format!("part-0000{k}-of-00003.parquet")]
        );
    }
    // A damaged part is caught: cut the whole dataset's part short.
    let part = whole.join("meter_readings/part-00001-of-00001.parquet");
    let bytes = fs::read(&part).unwrap();
    fs::write(&part, &bytes[..bytes.len() / 2]).unwrap();
    let v = ghostload(&["validate", whole.to_str().unwrap()]);
    assert_ne!(v.status.code(), Some(0), "{}", stdout(&v));
}

#[test]
fn daily_sgcc_and_long_datasets_with_missing_readings_validate_and_damage_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    for (layout, file) in [("sgcc", "meter_readings_sgcc.csv"), ("long", "meter_readings.csv")] {
        let dir = tmp.path().join(layout);
        let o = ghostload(&[
            "generate",
            "--resolution",
            "daily",
            "--layout",
            layout,
            "--readings-format",
            "csv",
            "--missing-rate",
            "0.03",
            "--num-meters",
            "80",
            "--num-transformers",
            "4",
            "--num-months",
            "3",
            "--output-dir",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let v = ghostload(&["validate", dir.to_str().unwrap()]);
        assert_eq!(v.status.code(), Some(0), "{layout}: {}", stdout(&v));
        assert!(
            stdout(&v).contains(&format!("PASS readings_present: {file}: 7280 rows of 80 meters")),
            "{}",
            stdout(&v)
        );
        // Blank the first present reading of the first meter: a gap no event explains.
        let text = fs::read_to_string(dir.join(file)).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let damaged = if layout == "sgcc" {
            let mut cells: Vec<&str> = lines[1].split(',').collect();
            let at = (2..cells.len()).find(|&i| !cells[i].is_empty()).unwrap();
            cells[at] = "";
            cells.join(",")
        } else {
            let at = (1..lines.len()).find(|&i| !lines[i].ends_with(',')).unwrap();
            let row = lines[at].rsplit_once(',').unwrap().0.to_owned() + ",";
            lines[at] = row;
            lines[1].clone()
        };
        if layout == "sgcc" {
            lines[1] = damaged;
        }
        fs::write(dir.join(file), lines.join("\n") + "\n").unwrap();
        let v = ghostload(&["validate", "-q", dir.to_str().unwrap()]);
        assert_ne!(v.status.code(), Some(0), "{layout}: the blanked reading went unnoticed");
        assert!(
            stdout(&v).contains("FAIL missing_readings_match_events"),
            "{layout}: {}",
            stdout(&v)
        );
    }
}

#[test]
fn validate_shards_passes_a_complete_set_and_names_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let small = ["--num-meters", "300", "--num-transformers", "10", "--num-months", "3"];
    let shard_dir = |set: &str, k: usize| tmp.path().join(set).join(k.to_string());
    for (set, seed) in [("a", "1"), ("b", "2")] {
        for k in 1..=3 {
            let (shard, dir) = (format!("{k}/3"), shard_dir(set, k));
            let mut args = vec!["-q", "generate", "--seed", seed, "--shard", &shard];
            args.extend_from_slice(&["--output-dir", dir.to_str().unwrap()]);
            args.extend_from_slice(&small);
            let o = ghostload(&args);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert!(dir.join("manifest.json").exists());
        }
    }
    let path = |set: &str, k: usize| shard_dir(set, k).to_str().unwrap().to_owned();
    let (a1, a2, a3, b3) = (path("a", 1), path("a", 2), path("a", 3), path("b", 3));

    let v = ghostload(&["validate", "--shards", &a3, &a1, &a2]);
    assert_eq!(v.status.code(), Some(0), "{}{}", stdout(&v), stderr(&v));
    assert_eq!(stdout(&v).matches("PASS manifest: ").count(), 3, "{}", stdout(&v));
    assert!(stdout(&v).contains("PASS shards_complete: each of the 3 shards present once"));
    assert!(
        stderr(&v).contains("6/6 checks passed for 3 shard directories"),
        "{}",
        stderr(&v)
    );

    // A missing shard: named, exit 1; with -q only the failures are printed.
    let v = ghostload(&["-q", "validate", "--shards", &a1, &a3]);
    assert_eq!(v.status.code(), Some(1), "{}", stdout(&v));
    assert!(
        stdout(&v).contains("FAIL shards_complete: shard 2/3 is missing"),
        "{}",
        stdout(&v)
    );
    assert!(!stdout(&v).contains("PASS"), "{}", stdout(&v));
    assert!(stderr(&v).contains("error: 2 of 5 checks failed"), "{}", stderr(&v));

    // A shard of another seed.
    let v = ghostload(&["validate", "--shards", &a1, &a2, &b3]);
    assert_eq!(v.status.code(), Some(1));
    assert!(
        stdout(&v).contains(&format!("FAIL same_dataset: `{b3}` (shard 3/3) has config_sha256")),
        "{}",
        stdout(&v)
    );
    assert!(stdout(&v).contains("has seed 2"), "{}", stdout(&v));

    // A damaged shard fails its manifest check, naming the directory and file.
    fs::write(shard_dir("a", 2).join("events.csv"), "meter_id\n").unwrap();
    let v = ghostload(&["validate", "--shards", &a1, &a2, &a3]);
    assert_eq!(v.status.code(), Some(1));
    assert!(
        stdout(&v).contains(&format!("FAIL manifest: `{a2}` (shard 2/3): `events.csv` has 9 bytes")),
        "{}",
        stdout(&v)
    );

    // Usage errors: nothing to validate, both forms at once, not a directory.
    let v = ghostload(&["validate"]);
    assert_eq!(v.status.code(), Some(2), "{}", stderr(&v));
    assert!(stderr(&v).contains("<DIR>"), "{}", stderr(&v));
    let v = ghostload(&["validate", &a1, "--shards", &a2]);
    assert_eq!(v.status.code(), Some(2), "{}", stderr(&v));
    let missing = tmp.path().join("nowhere");
    let v = ghostload(&["validate", "--shards", &a1, missing.to_str().unwrap()]);
    assert_eq!(v.status.code(), Some(2), "{}", stderr(&v));
    assert!(stderr(&v).contains("is not a directory"), "{}", stderr(&v));
}

#[test]
fn fit_writes_a_config_that_generate_accepts_and_a_report() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in");
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let o = ghostload(&[
        "-q",
        "generate",
        "--num-months",
        "12",
        "--num-meters",
        "800",
        "--num-transformers",
        "20",
        "--output-dir",
        &s(&input),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = tmp.path().join("fit.toml");
    let report = tmp.path().join("report.txt");
    let o = ghostload(&["fit", &s(&input), "--output", &s(&toml), "--report", &s(&report)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Well-formed output: the report in its file, ending with a newline;
    // nothing on stdout; one whole line on stderr.
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(err.ends_with(&format!(" meters fitted -> {}\n", s(&toml))), "{err:?}");
    assert_eq!(err.lines().count(), 1, "{err:?}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.ends_with("all tests passed\n"), "{text:?}");
    assert!(!text.contains("NaN"), "{text}");
    assert!(text.contains("labelled anomalous were excluded"), "{text}");
    assert!(text.contains("seasonal_peak_month = 5"), "{text}");
    assert!(text.contains("all tests passed"), "{text}");
    let out = tmp.path().join("out");
    let o = ghostload(&["-q", "generate", "--config", &s(&toml), "--output-dir", &s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The file itself, as a CSV, works too; a missing input is a usage error naming it.
    let o = ghostload(&[
        "-q",
        "fit",
        &s(&input.join("meter_consumption.csv")),
        "--output",
        &s(&toml),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let missing = tmp.path().join("missing");
    let o = ghostload(&["fit", &s(&missing), "--output", &s(&toml)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("missing"), "{}", stderr(&o));
}

#[test]
fn fit_reads_the_original_tools_columns_without_classes_or_labels() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let input = tmp.path().join("in");
    let o = ghostload(&[
        "-q",
        "generate",
        "--num-meters",
        "300",
        "--num-transformers",
        "10",
        "--output-dir",
        &s(&input),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The old tool's spelling: monthly_YYYYMM, and no class column here.
    let text = std::fs::read_to_string(input.join("meter_consumption.csv")).unwrap();
    let old: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let mut keep = vec![f[0]];
            keep.extend(&f[7..]);
            keep.join(",").replace("monthly_consumption_", "monthly_") + "\n"
        })
        .collect();
    let dir = tmp.path().join("old");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("meter_consumption.csv"), old).unwrap();
    let toml = tmp.path().join("fit.toml");
    let o = ghostload(&["fit", &s(&dir), "--output", &s(&toml)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = stdout(&o);
    // The report on stdout ends with a whole line; stderr is one line of its own.
    let last = report.lines().last().unwrap_or_default();
    assert!(
        report.ends_with(&format!("\n{last}\n")) && last.contains("tests"),
        "{report:?}"
    );
    assert_eq!(stderr(&o).lines().count(), 1, "{:?}", stderr(&o));
    assert!(
        stderr(&o).ends_with(&format!(" meters fitted -> {}\n", s(&toml))),
        "{:?}",
        stderr(&o)
    );
    assert!(report.contains("anomalous meters are NOT excluded"), "{report}");
    assert!(report.contains("all meters (no class column)"), "{report}");
    assert!(std::fs::read_to_string(&toml).unwrap().contains("residential = 1.0"));
    // A bad cell is a usage error naming the file and the row.
    std::fs::write(
        dir.join("meter_consumption.csv"),
        "meter_id,monthly_202401,monthly_202402\nMTR_1,x,1\n",
    )
    .unwrap();
    let o = ghostload(&["fit", &s(&dir), "--output", &s(&toml)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("row 2"), "{}", stderr(&o));
}

/// The original Python tool's recipe (`synthetic_data_generator.py`,
/// `_generate_consumption_series`): every meter of a class at one level,
/// additive season, trend and noise, clipped at 0; its column layout.
fn original_tool_csv(meters: usize, seed: u64) -> String {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal, Uniform};
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let months: Vec<(u32, u32)> = (0..12u32).map(|k| (2024 + (10 + k) / 12, (10 + k) % 12 + 1)).collect();
    let mut out = String::from("meter_id,customer_class");
    for (y, m) in &months {
        out += &format!(",monthly_consumption_{y}{m:02}");
    }
    out += ",kVA\n";
    let trend = Uniform::new(-0.02, 0.05).unwrap();
    for i in 0..meters {
        let (class, mean, sd) = match i % 10 {
            0..=6 => ("residential", 150.0, 450.0),
            7 | 8 => ("commercial", 800.0, 300.0),
            _ => ("industrial", 2500.0, 800.0),
        };
        let c: f64 = trend.sample(&mut rng);
        let noise = Normal::new(0.0, 0.3 * sd).unwrap();
        out += &format!("MTR_{i:06},{class}");
        for (t, (_, m)) in months.iter().enumerate() {
            let season = 0.15 * mean * (2.0 * std::f64::consts::PI * (f64::from(*m) - 4.0) / 12.0).sin();
            let x: f64 = mean + season + mean * c * t as f64 + noise.sample(&mut rng);
            out += &format!(",{}", x.max(0.0));
        }
        out += ",0\n";
    }
    out
}

#[test]
fn fit_of_the_original_tools_recipe_says_what_it_cannot_estimate_and_generate_accepts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let dir = tmp.path().join("orig");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("meter_consumption.csv"), original_tool_csv(400, 11)).unwrap();
    let toml = tmp.path().join("fit.toml");
    let o = ghostload(&["fit", &s(&dir), "--output", &s(&toml)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = stdout(&o);
    assert!(report.ends_with('\n'), "{report:?}");
    // Every residential meter at one level: sigma 0, so no noise fraction,
    // said in words and listed with the reason; never NaN.
    assert!(!report.contains("NaN"), "{report}");
    assert!(
        report.contains("  noise_fraction not estimable: sigma is 0"),
        "{report}"
    );
    assert!(
        report.contains("could not be estimated, and why:\n  - consumption.noise_fraction (residential): sigma is 0"),
        "{report}"
    );
    let text = std::fs::read_to_string(&toml).unwrap();
    assert!(!text.contains("NaN"), "{text}");
    assert!(
        text.contains("\n# consumption.noise_fraction (residential) not estimated"),
        "{text}"
    );
    assert_eq!(value(&text, "sigma"), "0.0", "{text}");
    // The file goes through `generate --config`'s loader and validation.
    let out = tmp.path().join("out");
    let o = ghostload(&["-q", "generate", "--config", &s(&toml), "--output-dir", &s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("meter_consumption.csv").is_file());
}

#[test]
fn inject_into_a_generated_table_writes_the_table_labels_and_events() {
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("gen");
    let o = ghostload(&[
        "generate",
        "--num-meters",
        "400",
        "--num-transformers",
        "20",
        "--num-months",
        "12",
        "--anomaly-rate",
        "0",
        "--no-balance",
        "--output-dir",
        generated.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let input = generated.join("meter_consumption.csv");
    let run = |out: &Path| {
        ghostload(&[
            "inject",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--anomaly-rate",
            "0.1",
            "--seed",
            "7",
        ])
    };
    let out = tmp.path().join("out");
    let o = run(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("injected 40 anomalies"), "{}", stdout(&o));
    assert_eq!(
        names(&out),
        ["anomaly_labels.csv", "events.csv", "meter_consumption.csv"]
    );
    let labels = fs::read_to_string(out.join("anomaly_labels.csv")).unwrap();
    assert_eq!(labels.lines().count() - 1, 40, "round(0.1 × 400)");
    let table = fs::read_to_string(out.join("meter_consumption.csv")).unwrap();
    let original = fs::read_to_string(&input).unwrap();
    assert_eq!(table.lines().count(), original.lines().count());
    assert_eq!(table.lines().next(), original.lines().next(), "same header");
    assert_ne!(table, original);
    // Deterministic for a seed.
    let again = tmp.path().join("again");
    assert_eq!(run(&again).status.code(), Some(0));
    assert_eq!(tree(&out), tree(&again));
    // `--labels FILE`: those meters are left alone and reported.
    let first = original.lines().nth(1).unwrap().split(',').next().unwrap().to_owned();
    let list = tmp.path().join("labelled.csv");
    fs::write(&list, format!("meter_id\n{first}\n")).unwrap();
    let o = ghostload(&[
        "inject",
        input.to_str().unwrap(),
        "-o",
        tmp.path().join("labelled_out").to_str().unwrap(),
        "--anomaly-rate",
        "0.1",
        "--labels",
        list.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("left alone 1 already labelled meters (labelled in") && text.contains(&first),
        "{text}"
    );
}

#[test]
fn inject_bad_input_exits_1_naming_file_line_and_column_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("meter_consumption.csv");
    fs::write(
        &input,
        "meter_id,monthly_consumption_202401,monthly_consumption_202402\nM1,10.5,11\nM2,12,abc\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = ghostload(&["inject", input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("meter_consumption.csv")
            && err.contains("line 3")
            && err.contains("monthly_consumption_202402")
            && err.contains("abc"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(names(tmp.path()), ["meter_consumption.csv"], "nothing created");
    // A missing input file: exit 1 too, naming it; an unknown flag value: exit 2.
    let o = ghostload(&[
        "inject",
        tmp.path().join("nope.csv").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nope.csv"), "{}", stderr(&o));
    let o = ghostload(&[
        "inject",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--anomaly-rate",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
}

#[test]
fn inject_and_fit_read_long_form_parquet() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let generated = tmp.path().join("gen");
    let o = ghostload(&[
        "-q",
        "generate",
        "--resolution",
        "daily",
        "--num-months",
        "12",
        "--num-meters",
        "400",
        "--num-transformers",
        "10",
        "--anomaly-rate",
        "0",
        "--no-balance",
        "--output-dir",
        &s(&generated),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let input = generated.join("meter_readings").join("part-00001-of-00001.parquet");
    let run = |out: &Path| {
        ghostload(&[
            "inject",
            &s(&input),
            "-o",
            &s(out),
            "--anomaly-rate",
            "0.1",
            "--seed",
            "7",
        ])
    };
    let out = tmp.path().join("out");
    let o = run(&out);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("injected 40 anomalies") && text.contains("of 400 meters (long layout)"),
        "{text}"
    );
    assert_eq!(
        names(&out),
        ["anomaly_labels.csv", "events.csv", "part-00001-of-00001.parquet"]
    );
    let labels = fs::read_to_string(out.join("anomaly_labels.csv")).unwrap();
    assert_eq!(labels.lines().count() - 1, 40, "round(0.1 × 400)");
    let again = tmp.path().join("again");
    assert_eq!(run(&again).status.code(), Some(0));
    assert_eq!(tree(&out), tree(&again), "deterministic for a seed");

    // fit reads the same file (daily readings summed per month).
    let toml = tmp.path().join("fit.toml");
    let o = ghostload(&["fit", &s(&input), "--output", &s(&toml)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = stdout(&o);
    assert!(report.contains("400 meters fitted"), "{report}");
    assert!(report.contains("seasonal_peak_month = 5"), "{report}");

    // Not Parquet: inject exits 1 naming the file, fit 2, nothing written.
    let bad = tmp.path().join("bad.parquet");
    fs::write(&bad, "meter_id,timestamp,kwh\nA,2024-01,1\n").unwrap();
    let none = tmp.path().join("none");
    let o = ghostload(&["inject", &s(&bad), "-o", &s(&none)]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("bad.parquet") && err.contains("schema, column `file`") && err.contains("not a Parquet file"),
        "{err}"
    );
    assert!(!none.exists());
    let o = ghostload(&["fit", &s(&bad), "--output", &s(&toml)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a Parquet file"), "{}", stderr(&o));
}

#[test]
fn fit_reads_sgcc_daily_readings_and_their_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let input = tmp.path().join("in");
    let o = ghostload(&[
        "-q",
        "generate",
        "--resolution",
        "daily",
        "--layout",
        "sgcc",
        "--missing-rate",
        "0.01",
        "--num-months",
        "12",
        "--num-meters",
        "400",
        "--num-transformers",
        "10",
        "--output-dir",
        &s(&input),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = tmp.path().join("fit.toml");
    let o = ghostload(&["fit", &s(&input.join("meter_readings_sgcc.csv")), "--output", &s(&toml)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report = stdout(&o);
    // FLAG = 1 marks the labelled meters, which are left out; there is no class column.
    assert!(report.contains("labelled anomalous were excluded"), "{report}");
    assert!(report.contains("all meters (no class column)"), "{report}");
    assert!(report.contains("seasonal_peak_month = 5"), "{report}");
    let out = tmp.path().join("out");
    let o = ghostload(&["-q", "generate", "--config", &s(&toml), "--output-dir", &s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
}
