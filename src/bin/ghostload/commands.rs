//! `ghostload generate` and `ghostload validate`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ghostload::io::{IoError, LOG_FILE, ReadingsFormat, ReadingsLayout, Staging, WriteOptions};
use ghostload::{Error, GeneratorConfig, Pipeline, Resolution, Shard};
use indicatif::{ProgressBar, ProgressStyle};
use tracing::info;

use crate::args::{GenerateArgs, LayoutArg, ReadingsFormatArg};
use crate::config;
use crate::failure::Failure;
use crate::logging::{self, CLI_TARGET, Verbosity};

/// Meters × months above which a progress spinner is drawn (on a terminal only).
const PROGRESS_CELLS: u64 = 200_000;

fn library_failure(e: Error) -> Failure {
    match e {
        Error::Config(c) => Failure::usage(format!("invalid configuration: {c}")),
        other => Failure::runtime(other.to_string()),
    }
}

fn io_failure(e: ghostload::io::IoError) -> Failure {
    Failure::runtime(e.to_string())
}

/// Shows a spinner on stderr while the guard lives (terminal only, not quiet, long runs).
struct Spinner(Option<ProgressBar>);

impl Spinner {
    fn start(verbosity: Verbosity, cells: u64) -> Spinner {
        if verbosity == Verbosity::Quiet || cells < PROGRESS_CELLS || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        if let Ok(mut slot) = logging::progress_slot().lock() {
            *slot = Some(bar.clone());
        }
        Spinner(Some(bar))
    }

    fn message(&self, msg: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(msg);
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = self.0.take() {
            if let Ok(mut slot) = logging::progress_slot().lock() {
                *slot = None;
            }
            bar.finish_and_clear();
        }
    }
}

/// The readings layout and format of `--layout` and `--readings-format`,
/// checked against the resolution.
fn readings_options(
    args: &GenerateArgs,
    config: &GeneratorConfig,
) -> Result<(ReadingsLayout, ReadingsFormat), Failure> {
    if args.layout == LayoutArg::Sgcc && config.resolution != Resolution::Daily {
        return Err(Failure::usage(format!(
            "invalid --layout sgcc: the SGCC layout has one column per day and needs --resolution daily \
             (the resolution is {}); allowed: --layout long with any resolution, --layout sgcc with daily",
            config.resolution
        )));
    }
    // Parquet by default; the SGCC layout is CSV only.
    let asked = args.readings_format.unwrap_or(if args.layout == LayoutArg::Sgcc {
        ReadingsFormatArg::Csv
    } else {
        ReadingsFormatArg::Parquet
    });
    let format = match asked {
        ReadingsFormatArg::Csv => ReadingsFormat::Csv,
        ReadingsFormatArg::Parquet if args.layout == LayoutArg::Sgcc => {
            return Err(Failure::usage(
                "invalid --readings-format parquet with --layout sgcc: the SGCC layout is a CSV file; \
                 allowed: --readings-format csv with --layout sgcc",
            ));
        }
        ReadingsFormatArg::Parquet => ReadingsFormat::Parquet,
    };
    Ok((args.layout.into(), format))
}

/// Reads `--weather FILE` for the configured barangays and days.
fn read_weather(path: &Path, config: &GeneratorConfig) -> Result<ghostload::Weather, Failure> {
    if !config.resolution.is_interval() {
        return Err(Failure::usage(
            "invalid --weather: weather shapes interval data only; give --resolution daily, hourly or 15min",
        ));
    }
    let axis = config
        .axis()
        .map_err(|e| Failure::usage(format!("invalid configuration: {e}")))?;
    let file = std::fs::File::open(path)
        .map_err(|e| Failure::usage(format!("cannot read --weather file `{}`: {e}", path.display())))?;
    ghostload::io::read_weather_csv(std::io::BufReader::new(file), &config.barangays, &axis)
        .map_err(|e| Failure::usage(format!("invalid --weather file `{}`: {e}", path.display())))
}

/// `ghostload generate`.
pub fn generate(args: &GenerateArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let started = Instant::now();
    let config = config::effective(args)?;
    if args.print_config {
        print!("{}", config::to_toml(&config)?);
        return Ok(());
    }
    let shard = match &args.shard {
        Some(text) => text
            .parse::<Shard>()
            .map_err(|e| Failure::usage(format!("invalid --shard: {e}")))?,
        None => Shard::whole(),
    };
    let (layout, format) = readings_options(args, &config)?;
    // Read before anything is staged: a bad file leaves the output directory untouched.
    let weather = match &args.weather {
        Some(path) => Some(read_weather(path, &config)?),
        None => None,
    };
    let mut builder = Pipeline::builder().config(config).threads(args.threads);
    if let Some(weather) = weather {
        builder = builder.weather(weather);
    }
    let pipeline = builder.build().map_err(library_failure)?;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // Ctrl-C only raises the flag (the handler replaces SIGINT's default
        // action, so the process is never killed half-way through the swap):
        // the run stops before the next batch, or the commit gives up just
        // before the swap; the staging directory is removed when dropped.
        // After the swap the commit completes.
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst));
    }
    let dir = args.output_dir.as_path();
    let staging = Staging::new(dir)
        .map_err(io_failure)?
        .with_cancel_flag(Arc::clone(&cancel));
    let log_path = staging.path().join(LOG_FILE);
    let log = std::fs::File::create(&log_path)
        .map_err(|e| Failure::runtime(format!("could not create `{}`: {e}", log_path.display())))?;
    logging::install(verbosity, Some(log));

    let c = pipeline.config().clone();
    info!(target: CLI_TARGET, "Configuration validated. Output directory: {}", dir.display());
    let spinner = Spinner::start(verbosity, c.cells());
    spinner.message("generating and writing");
    info!(target: CLI_TARGET, "Generating {} transformers...", c.num_transformers);
    let range = shard.range(c.num_meters);
    if shard == Shard::whole() {
        info!(target: CLI_TARGET, "Generating {} meters with {} months data...", c.num_meters, c.num_months);
    } else {
        info!(
            target: CLI_TARGET,
            "Generating shard {shard}: meters {} to {} of {} with {} months data...",
            range.start + 1,
            range.end,
            c.num_meters,
            c.num_months
        );
    }
    let options = WriteOptions::default()
        .with_cancel_flag(Arc::clone(&cancel))
        .with_batch_size(args.batch_size)
        .with_shard(shard)
        .with_sync(args.fsync)
        .with_layout(layout)
        .with_readings_format(format);
    let written = ghostload::io::stream_files(&pipeline, staging.path(), &options).map_err(|e| {
        match &e {
            IoError::Validation(report) => {
                for f in report.failures() {
                    tracing::error!(target: CLI_TARGET, "Validation failed: {f}");
                }
            }
            other => tracing::error!(target: CLI_TARGET, "{other}"),
        }
        match e {
            // Name the output directory, not the staging one the files were in.
            IoError::Interrupted { .. } => io_failure(IoError::Interrupted {
                path: staging.target().to_path_buf(),
            }),
            other => io_failure(other),
        }
    })?;
    let (n, k) = (written.meters, written.anomalous_meters);
    let rate = if n == 0 { 0.0 } else { 100.0 * k as f64 / n as f64 };
    info!(target: CLI_TARGET, "Generated {n} meters with {k} anomalies ({rate:.1}%)");
    info!(target: CLI_TARGET, "✓ All validation checks passed");
    info!(
        target: CLI_TARGET,
        "Wrote {} files ({:.1} MB): {}",
        written.files.len(),
        written.bytes as f64 / 1e6,
        written.files.join(", ")
    );
    let elapsed = started.elapsed().as_secs_f64();
    info!(target: CLI_TARGET, "Done in {elapsed:.2} s");
    staging.commit().map_err(|e| {
        tracing::error!(target: CLI_TARGET, "{e}");
        io_failure(e)
    })?;
    drop(spinner);
    if verbosity != Verbosity::Quiet {
        eprintln!(
            "{} transformers, {n} meters x {} months, {k} anomalies ({rate:.2}%) -> {} in {elapsed:.2} s",
            c.num_transformers,
            c.num_months,
            dir.display()
        );
    }
    Ok(())
}

/// `ghostload inject`.
pub fn inject(args: &crate::args::InjectArgs, verbosity: Verbosity) -> Result<(), Failure> {
    let started = Instant::now();
    let config = config::effective_inject(args)?;
    let plan = ghostload::inject::InjectPlan::new(&config)
        .map_err(|e| Failure::usage(format!("invalid configuration: {e}")))?;
    let summary = ghostload::io::inject_file_with_labels(
        &args.input,
        args.layout.map(Into::into),
        &plan,
        args.labels.as_deref(),
        &args.output_dir,
    )
    .map_err(io_failure)?;
    if verbosity != Verbosity::Quiet {
        println!(
            "injected {} anomalies and {} benign events into {} of {} meters ({} layout) in {:.1}s",
            summary.anomalies,
            summary.benign,
            summary.eligible,
            summary.meters,
            summary.layout,
            started.elapsed().as_secs_f64()
        );
        if !summary.skipped_labelled.is_empty() {
            let shown: Vec<&str> = summary.skipped_labelled.iter().take(10).map(String::as_str).collect();
            let from = summary
                .labels_file
                .as_ref()
                .map(|p| format!(" (labelled in {})", p.display()))
                .unwrap_or_default();
            println!(
                "left alone {} already labelled meters{from}: {}{}",
                summary.skipped_labelled.len(),
                shown.join(", "),
                if summary.skipped_labelled.len() > 10 {
                    ", ..."
                } else {
                    ""
                }
            );
        }
        if summary.skipped_empty > 0 {
            println!("left alone {} meters without readings", summary.skipped_empty);
        }
        for f in &summary.files {
            println!("wrote {}", f.display());
        }
    }
    Ok(())
}

/// `ghostload validate DIR`: prints each check (only the failed ones with
/// `-q`); fails if any does.
pub fn validate(dir: &Path, verbosity: Verbosity) -> Result<(), Failure> {
    // Before the check below: a crashed run may have left `dir` moved aside.
    Staging::recover(dir).map_err(io_failure)?;
    if !dir.is_dir() {
        return Err(Failure::usage(format!("`{}` is not a directory", dir.display())));
    }
    let report = ghostload::io::validate_dir(dir).map_err(io_failure)?;
    print_report(&report, &dir.display().to_string(), verbosity)
}

/// `ghostload validate --shards DIR...`: checks that the directories form
/// one complete dataset; prints each check as `validate` does.
pub fn validate_shards(dirs: &[PathBuf], verbosity: Verbosity) -> Result<(), Failure> {
    for dir in dirs {
        Staging::recover(dir).map_err(io_failure)?;
        if !dir.is_dir() {
            return Err(Failure::usage(format!("`{}` is not a directory", dir.display())));
        }
    }
    let report = ghostload::io::validate_shard_set(dirs).map_err(io_failure)?;
    print_report(&report, &format!("{} shard directories", dirs.len()), verbosity)
}

/// Prints each check of `report` (only the failed ones when quiet), then a
/// count of those passed for `what`; fails if any check did.
fn print_report(report: &ghostload::ValidationReport, what: &str, verbosity: Verbosity) -> Result<(), Failure> {
    if verbosity == Verbosity::Quiet {
        for failure in report.failures() {
            println!("FAIL {failure}");
        }
    } else {
        print!("{report}");
    }
    let passed = report.checks.iter().filter(|c| c.passed).count();
    let total = report.checks.len();
    if verbosity != Verbosity::Quiet {
        eprintln!("{passed}/{total} checks passed for {what}");
    }
    if report.passed() {
        Ok(())
    } else {
        Err(Failure::runtime(format!("{} of {total} checks failed", total - passed)))
    }
}
