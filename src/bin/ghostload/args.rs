//! Command-line arguments.

use std::path::PathBuf;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ghostload::io::{DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE};
use ghostload::{GeneratorConfig, PipelineBuilder, TimeAxis};

/// A `usize` flag accepting `lo ..= hi`. Anything else (negative, too large
/// for any integer type, out of range) gets clap's error naming the flag,
/// the value and this range (exit 2).
fn count(lo: usize, hi: usize) -> impl TypedValueParser<Value = usize> {
    move |text: &str| -> Result<usize, String> {
        text.trim()
            .parse::<usize>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or_else(|| format!("expected a whole number in {lo}..={hi}"))
    }
}

/// Deterministic synthetic datasets for electricity-theft detection.
#[derive(Debug, Parser)]
#[command(name = "ghostload", version, about, propagate_version = true)]
pub struct Cli {
    /// Only print errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print debug events.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process
pub enum Command {
    /// Generate a dataset and write its files into the output directory.
    Generate(GenerateArgs),
    /// Re-read a dataset directory and run the integrity and schema checks
    /// (and verify its manifest.json), or check that shard directories form one dataset.
    Validate {
        /// The dataset directory (ours, or one written by the original Python tool).
        #[arg(required_unless_present = "shards", conflicts_with = "shards")]
        dir: Option<PathBuf>,
        /// Check that these directories, written with --shard K/N, form one complete
        /// dataset: each verifies against its manifest.json, all share version,
        /// configuration hash, seed and N, each shard 1/N ... N/N is present once,
        /// and their meter ranges tile the dataset.
        #[arg(long, num_args = 1.., value_name = "DIR")]
        shards: Vec<PathBuf>,
    },
    /// Estimate the consumption model's parameters from your data
    /// (meter_consumption.csv, ours or the original tool's; SGCC's daily
    /// data.csv; long form, CSV or Parquet) and write a configuration that `generate
    /// --config` accepts, plus a fit report.
    Fit {
        /// The dataset directory holding meter_consumption.csv, or a file in any layout `inject` reads.
        input: PathBuf,
        /// Where to write the fitted configuration (TOML).
        #[arg(long, value_name = "FILE.toml")]
        output: PathBuf,
        /// Where to write the fit report (default: standard output).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Seed of the bootstrap and of the calibration check's regeneration.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Inject anomalies into a consumption table you bring (ours, the original
    /// tool's, SGCC's daily data.csv, or long form as CSV or Parquet) and write it back in its
    /// layout with anomaly_labels.csv and events.csv.
    Inject(InjectArgs),
    /// Serve an HTTP API (and a web page) that generates datasets in the
    /// background and serves their files.
    #[cfg(feature = "serve")]
    Serve(ServeArgs),
}

/// `ghostload serve`.
#[cfg(feature = "serve")]
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback unless told otherwise; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Directory the datasets are written into, one subdirectory each (created if missing).
    #[arg(long, default_value = "ghostload-data")]
    pub data_dir: PathBuf,
    /// Require `Authorization: Bearer T` on every /api/* and /generate request.
    #[arg(long, value_name = "T")]
    pub token: Option<String>,
    /// Jobs generated at once, 1 ..= 64.
    #[arg(long, default_value_t = 1, value_parser = count(1, 64))]
    pub max_jobs: usize,
    /// Jobs waiting for a slot beyond those running, 0 ..= 10000; more are refused (429).
    #[arg(long, default_value_t = 16, value_parser = count(0, 10_000))]
    pub queue: usize,
    /// Largest job, in meters x periods (intervals at interval resolutions); larger ones are refused (413).
    #[arg(long, default_value_t = 100_000_000)]
    pub max_cells: u64,
    /// Finished datasets kept on disk, 1 ..= 100000; the oldest are removed beyond it.
    #[arg(long, default_value_t = 20, value_parser = count(1, 100_000))]
    pub retention: usize,
    /// Largest request body, bytes (larger ones are refused: 413).
    #[arg(long, default_value_t = 65_536, value_parser = count(1, 1 << 30))]
    pub max_body: usize,
    /// Map tile URL template for the page (`https://.../{z}/{x}/{y}.png`); none by default.
    #[arg(long, value_name = "URL")]
    pub tile_url: Option<String>,
    /// Worker threads of each job, 0 ..= 1024 (0 = all cores). The output is identical for any value.
    #[arg(long, default_value_t = 0, value_parser = count(0, PipelineBuilder::MAX_THREADS))]
    pub job_threads: usize,
}

/// A named starting configuration (design §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// 20 transformers, 500 meters, 6 months.
    Demo,
    /// 50 transformers, 2000 meters, 12 months.
    Default,
    /// 100 transformers, 5000 meters, 24 months.
    Production,
    /// The default sizes with utility-scale industrial loads and no
    /// 10000 kWh ceiling: outside the original tool's strict ML loader's range.
    Utility,
}

/// The periods a label's severity is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityWindowArg {
    /// The whole series (the share of the meter's energy over the dataset that went unbilled).
    Series,
    /// The event's own periods, onset to end.
    Event,
}

impl From<SeverityWindowArg> for ghostload::SeverityWindow {
    fn from(w: SeverityWindowArg) -> Self {
        match w {
            SeverityWindowArg::Series => ghostload::SeverityWindow::Series,
            SeverityWindowArg::Event => ghostload::SeverityWindow::Event,
        }
    }
}

/// The resolution of the series (`--resolution`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResolutionArg {
    /// One value per month: the monthly files only (the default).
    Monthly,
    /// One reading per day; adds meter_readings.csv (or the SGCC layout) and weather.csv.
    Daily,
    /// One reading per hour; adds meter_readings.csv and weather.csv.
    Hourly,
    /// One reading per quarter hour; adds meter_readings.csv and weather.csv.
    #[value(name = "15min")]
    FifteenMin,
}

impl From<ResolutionArg> for ghostload::Resolution {
    fn from(r: ResolutionArg) -> Self {
        match r {
            ResolutionArg::Monthly => ghostload::Resolution::Monthly,
            ResolutionArg::Daily => ghostload::Resolution::Daily,
            ResolutionArg::Hourly => ghostload::Resolution::Hourly,
            ResolutionArg::FifteenMin => ghostload::Resolution::FifteenMinutes,
        }
    }
}

/// The layout of the interval readings (`--layout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayoutArg {
    /// meter_readings.csv: meter_id,timestamp,kwh, one row per meter and interval.
    Long,
    /// meter_readings_sgcc.csv: CONS_NO,FLAG and one column per day, as the SGCC benchmark (daily only).
    Sgcc,
}

impl From<LayoutArg> for ghostload::io::ReadingsLayout {
    fn from(l: LayoutArg) -> Self {
        match l {
            LayoutArg::Long => ghostload::io::ReadingsLayout::Long,
            LayoutArg::Sgcc => ghostload::io::ReadingsLayout::Sgcc,
        }
    }
}

/// The file format of the interval readings (`--readings-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReadingsFormatArg {
    /// CSV: `meter_readings.csv`.
    Csv,
    /// Apache Parquet (the default): `meter_readings/part-KKKKK-of-NNNNN.parquet`.
    Parquet,
}

impl From<PresetArg> for ghostload::Preset {
    fn from(p: PresetArg) -> Self {
        match p {
            PresetArg::Demo => ghostload::Preset::Demo,
            PresetArg::Default => ghostload::Preset::Default,
            PresetArg::Production => ghostload::Preset::Production,
            PresetArg::Utility => ghostload::Preset::Utility,
        }
    }
}

/// `ghostload generate`: the original script's flags, plus a config file and presets.
/// Flags override the file, the file overrides the preset.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Number of distribution transformers, 1 ..= 10000000.
    #[arg(long, value_parser = count(1, GeneratorConfig::MAX_TRANSFORMERS))]
    pub num_transformers: Option<usize>,
    /// Number of customer meters, num_transformers ..= 4294967295.
    #[arg(long, value_parser = count(1, GeneratorConfig::MAX_ENTITIES))]
    pub num_meters: Option<usize>,
    /// Number of monthly periods per meter, 1 ..= 1200 (ending by 9999-12).
    #[arg(long, value_parser = count(1, TimeAxis::MAX_PERIODS))]
    pub num_months: Option<usize>,
    /// Share of anomalous meters, 0.0 ..= 1.0.
    #[arg(long, allow_negative_numbers = true)]
    pub anomaly_rate: Option<f64>,
    /// Master seed, 0 ..= 18446744073709551615.
    #[arg(long)]
    pub seed: Option<u64>,
    /// First month of every series, YYYY-MM.
    #[arg(long, value_name = "YYYY-MM")]
    pub start_month: Option<String>,
    /// Periods over which severity (and the risk band) is measured.
    #[arg(long, value_enum)]
    pub severity_window: Option<SeverityWindowArg>,
    /// Output directory (created if missing; replaced as a whole, in one step, once
    /// every file is complete; files of the old one that a run does not write are kept).
    #[arg(long, default_value = "generated_data")]
    pub output_dir: PathBuf,
    /// TOML configuration file (any field of the configuration; unknown keys are an error).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Starting configuration.
    #[arg(long, value_enum)]
    pub preset: Option<PresetArg>,
    /// Print the effective configuration as TOML and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Worker threads, 0 ..= 1024 (0 = all cores). The output is identical for any value.
    #[arg(long, default_value_t = 0, value_parser = count(0, PipelineBuilder::MAX_THREADS))]
    pub threads: usize,
    /// Write only shard K of N (1 <= K <= N <= 4294967295): its rows of meter_consumption.csv,
    /// anomaly_labels.csv and events.csv, plus the full transformer files.
    /// Concatenating the shards' rows in order gives the single-machine files.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// fsync every file before moving it into place (durable across a power
    /// loss; the run is all-or-nothing for process failures either way).
    #[arg(long)]
    pub fsync: bool,
    /// Meters generated and written per batch (bounds memory), 1 ..= 1048576. At
    /// interval resolutions a batch never holds more than 16777216 readings
    /// (e.g. 1910 meters of a year of hourly readings), whatever this says.
    #[arg(long, default_value_t = DEFAULT_BATCH_SIZE, value_parser = count(1, MAX_BATCH_SIZE))]
    pub batch_size: usize,
    /// Resolution of the series. Interval resolutions add the readings file and weather.csv.
    #[arg(long, value_enum)]
    pub resolution: Option<ResolutionArg>,
    /// Time zone of the timestamps: an offset ±HH:MM or a zone without daylight
    /// saving (UTC, Asia/Manila, Asia/Singapore, ...). Default Asia/Manila.
    #[arg(long, value_name = "ZONE", allow_hyphen_values = true)]
    pub timezone: Option<String>,
    /// Expected share of interval readings missing (empty cells), 0.0 ..= 0.5.
    #[arg(long, allow_negative_numbers = true)]
    pub missing_rate: Option<f64>,
    /// Daily weather CSV (date, barangay, temperature_c[, typhoon_outage]) to use
    /// instead of the synthetic weather; interval resolutions only.
    #[arg(long, value_name = "FILE")]
    pub weather: Option<PathBuf>,
    /// Layout of the interval readings: long (meter_readings.csv) or sgcc
    /// (meter_readings_sgcc.csv, daily resolution only).
    #[arg(long, value_enum, default_value = "long")]
    pub layout: LayoutArg,
    /// File format of the interval readings.
    #[arg(long, value_enum)]
    pub readings_format: Option<ReadingsFormatArg>,
    /// Skip the energy balance (transformer and feeder readings,
    /// energy_balance.csv, meter_consumption_true.csv); same as `[balance] enabled = false`.
    #[arg(long)]
    pub no_balance: bool,
}

/// The layouts `ghostload inject` reads.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputLayoutArg {
    /// Our meter_consumption.csv.
    Ours,
    /// The original Python tool's meter_consumption.csv.
    Original,
    /// SGCC's daily data.csv (CONS_NO, FLAG, YYYY/M/D...).
    Sgcc,
    /// meter_id, timestamp, kwh (one row per reading; CSV or Parquet).
    Long,
}

impl From<InputLayoutArg> for ghostload::io::InputLayout {
    fn from(l: InputLayoutArg) -> Self {
        match l {
            InputLayoutArg::Ours => ghostload::io::InputLayout::Ours,
            InputLayoutArg::Original => ghostload::io::InputLayout::Original,
            InputLayoutArg::Sgcc => ghostload::io::InputLayout::Sgcc,
            InputLayoutArg::Long => ghostload::io::InputLayout::Long,
        }
    }
}

/// `ghostload inject`.
#[derive(Debug, Args)]
pub struct InjectArgs {
    /// The consumption table (CSV, or long form as Parquet).
    pub input: PathBuf,
    /// Directory to write into (replaced as a whole, only on success).
    #[arg(long, short = 'o')]
    pub output_dir: PathBuf,
    /// The input's layout (detected from the header by default).
    #[arg(long, value_enum)]
    pub layout: Option<InputLayoutArg>,
    /// CSV of meters already labelled (`meter_id`, optional `anomaly_flag`),
    /// left alone; default: `anomaly_labels.csv` next to an ours/original input.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Share of the eligible meters that get an anomaly, 0 ..= 1.
    #[arg(long)]
    pub anomaly_rate: Option<f64>,
    /// Share of the other eligible meters that get a benign look-alike, 0 ..= 1.
    #[arg(long)]
    pub benign_rate: Option<f64>,
    /// Normal periods kept before an onset.
    #[arg(long)]
    pub min_normal_periods: Option<usize>,
    /// Master seed, 0 ..= 18446744073709551615.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Severity over the whole series or the event window.
    #[arg(long, value_enum)]
    pub severity_window: Option<SeverityWindowArg>,
    /// TOML configuration file (anomaly_rate, anomaly_mix, benign_rate, benign_mix,
    /// min_normal_periods, severity_window, seed are used).
    #[arg(long)]
    pub config: Option<PathBuf>,
}
