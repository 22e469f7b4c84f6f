//! [`Pipeline`]: validated parts composed into a generator; [`PipelineBuilder`] collects them.

use std::ops::Range;
use std::sync::Arc;

use rand::Rng;

use crate::allocation::Allocation;
use crate::anomaly::{
    AnomalyInjector, AnomalySelection, InjectionContext, OnsetWindow, builtin, cumulative, entry_of, inject_checked,
    largest_remainder,
};
use crate::balance::{
    BalanceBuilder, FeederBalance, Partial, Quantum, TransformerBalance, distance_dm, metres_per_lon_degree,
    push_partial,
};
use crate::batch::MeterBatch;
use crate::batch::{ClipStats, Truths};
use crate::capacity::CapacitySampler;
use crate::checks::ValidationReport;
use crate::config::{ClassMix, GeneratorConfig};
use crate::consumption::{ClassProfile, ConsumptionModel, MeterProfile, SeasonalConsumption};
use crate::dataset::{ConsumptionMatrix, Dataset, Warning};
use crate::error::{ConfigError, Error, Result};
use crate::geo::{GeoPoint, metres_to_lat_degrees, metres_to_lon_degrees};
use crate::ids::{BarangayId, MeterId, TransformerId};
use crate::interval::IntervalPlan;
use crate::model::MissingRun;
use crate::model::{AnomalyLabel, Barangay, CustomerClass, Event, Meter, RiskBand, SeverityWindow, Transformer};
use crate::network::Network;
use crate::rng::{Purpose, PurposeStreams, Streams};
use crate::spatial::{GaussianClusters, SpatialStrategy};
use crate::time::TimeAxis;
use crate::validate::{Expected, Validator};
use crate::weather::Weather;

/// Collects a configuration and optional custom components; [`build`](Self::build)
/// validates everything once.
///
/// Components not given are built from the configuration:
/// [`GaussianClusters`] (from `spatial_clustering_strength`),
/// [`SeasonalConsumption`] (from `consumption`), and the anomaly and benign
/// mixes (from `anomaly_mix`, `benign_mix` and `min_normal_periods`, with
/// each built-in injector's default parameters).
///
/// Your own injectors join a mix with [`add_anomaly`](Self::add_anomaly) and
/// [`add_benign`](Self::add_benign); [`without_builtin_anomalies`](Self::without_builtin_anomalies)
/// and [`without_builtin_benign`](Self::without_builtin_benign) leave the
/// configuration's mixes out. The order of the calls never changes which
/// injectors take part: a mix is the configuration's entries (in name order,
/// unless left out) followed by the added injectors in the order they were
/// added, an order that only breaks largest-remainder ties.
///
/// ```
/// use ghostload::{GeneratorConfig, Pipeline, UniformSpatial};
/// let config = GeneratorConfig { seed: 7, ..Default::default() };
/// let pipeline = Pipeline::builder().config(config).spatial(UniformSpatial).build()?;
/// assert_eq!(pipeline.config().seed, 7);
/// # Ok::<(), ghostload::Error>(())
/// ```
#[must_use]
#[derive(Debug, Default)]
pub struct PipelineBuilder {
    config: GeneratorConfig,
    spatial: Option<Arc<dyn SpatialStrategy>>,
    consumption: Option<Arc<dyn ConsumptionModel>>,
    builtin_anomalies: Exclusion,
    builtin_benign: Exclusion,
    anomalies: Vec<(Arc<dyn AnomalyInjector>, f64)>,
    benign: Vec<(Arc<dyn AnomalyInjector>, f64)>,
    threads: usize,
    weather: Option<Weather>,
}

/// Whether the configuration's built-in mix takes part.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Exclusion {
    #[default]
    Included,
    Excluded,
}

/// One injector of a mix and its weight.
#[derive(Debug, Clone)]
struct MixEntry {
    injector: Arc<dyn AnomalyInjector>,
    weight: f64,
}

/// A mix resolved for one dataset: its entries and the rank range each owns.
#[derive(Debug, Clone)]
struct ResolvedMix {
    entries: Vec<MixEntry>,
    /// Cumulative counts: entry `j` owns ranks `bounds[j − 1] .. bounds[j]`.
    bounds: Vec<u64>,
}

impl ResolvedMix {
    fn new(entries: Vec<MixEntry>, total: u64, field: &'static str) -> Result<Self, ConfigError> {
        let weights: Vec<f64> = entries.iter().map(|e| e.weight).collect();
        if total > 0 && !weights.iter().any(|&w| w > 0.0) {
            return Err(ConfigError::Invalid {
                field,
                value: format!("{} injectors, no weight > 0", entries.len()),
                reason: "at least one injector must have a weight > 0 while the matching rate selects meters",
            });
        }
        let bounds = cumulative(&largest_remainder(total, &weights));
        Ok(ResolvedMix { entries, bounds })
    }

    /// The configuration's built-in entries (unless excluded), then the added ones.
    fn entries(
        builtin_mix: &std::collections::BTreeMap<String, f64>,
        exclusion: Exclusion,
        added: Vec<(Arc<dyn AnomalyInjector>, f64)>,
        field: &'static str,
    ) -> Result<Vec<MixEntry>, ConfigError> {
        let builtins = builtin_mix
            .iter()
            .filter(|_| exclusion == Exclusion::Included)
            .filter_map(|(name, &weight)| builtin(name).map(|injector| MixEntry { injector, weight }));
        let mut entries: Vec<MixEntry> = builtins.collect();
        for (injector, weight) in added {
            check_weight(field, weight)?;
            entries.push(MixEntry { injector, weight });
        }
        Ok(entries)
    }

    fn injector(&self, rank: u64) -> Option<&dyn AnomalyInjector> {
        entry_of(&self.bounds, rank).map(|j| &*self.entries[j].injector)
    }
}

fn check_weight(field: &'static str, weight: f64) -> Result<(), ConfigError> {
    if weight.is_finite() && weight >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::out_of_range(field, weight, "a finite weight >= 0"))
    }
}

impl PipelineBuilder {
    /// Most worker threads [`threads`](Self::threads) accepts: 1024. A fixed
    /// number (not a multiple of the cores) so that a configuration valid on
    /// one machine is valid on every machine; every thread is started up
    /// front, and far more threads than cores only slow a run down.
    pub const MAX_THREADS: usize = 1024;

    /// A builder with the default configuration and default components.
    pub fn new() -> Self {
        Self::default()
    }

    /// Supplies the daily weather (interval resolutions), instead of the
    /// synthetic weather of [`GeneratorConfig::weather`]. It must cover
    /// every barangay on every day of the series: see
    /// [`TimeAxis::days`] and, to read a file, `io::read_weather_csv`.
    /// Ignored at monthly resolution.
    pub fn weather(mut self, weather: Weather) -> Self {
        self.weather = Some(weather);
        self
    }

    /// Sets the configuration (default: [`GeneratorConfig::default`]).
    pub fn config(mut self, config: GeneratorConfig) -> Self {
        self.config = config;
        self
    }

    /// Replaces the spatial strategy.
    pub fn spatial(mut self, strategy: impl SpatialStrategy + 'static) -> Self {
        self.spatial = Some(Arc::new(strategy));
        self
    }

    /// Replaces the consumption model.
    pub fn consumption(mut self, model: impl ConsumptionModel + 'static) -> Self {
        self.consumption = Some(Arc::new(model));
        self
    }

    /// Number of worker threads for meter generation, `0 ..=`
    /// [`MAX_THREADS`](Self::MAX_THREADS) (1024); `0` (the default) uses
    /// rayon's global pool (all cores). The dataset is identical for any value.
    /// Without the `parallel` feature generation is sequential and this is ignored.
    /// A larger value is kept and refused by [`build`](Self::build) with
    /// [`ConfigError::OutOfRange`] naming `threads`, before any thread starts.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// let one = Pipeline::builder().threads(1).build()?.generate()?;
    /// let two = Pipeline::builder().threads(2).build()?.generate()?;
    /// assert_eq!(one, two);
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }

    /// Adds an injector (typically your own) to the anomaly mix with
    /// `weight` (finite, ≥ 0, checked by [`build`](Self::build)). It comes
    /// after the configuration's `anomaly_mix` entries (in name order) and
    /// earlier additions, which decides largest-remainder ties.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// use ghostload::anomaly::ConstantFactor;
    /// let data = Pipeline::builder()
    ///     .add_anomaly(ConstantFactor::new(0.05, 0.1)?, 3.0)
    ///     .build()?
    ///     .generate()?;
    /// assert_eq!(data.labels().len(), 150);
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    pub fn add_anomaly(mut self, injector: impl AnomalyInjector + 'static, weight: f64) -> Self {
        self.anomalies.push((Arc::new(injector), weight));
        self
    }

    /// Leaves the configuration's `anomaly_mix` out: only the injectors
    /// given to [`add_anomaly`](Self::add_anomaly) (before or after this
    /// call) make up the mix.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// use ghostload::anomaly::ZeroReadings;
    /// let data = Pipeline::builder()
    ///     .without_builtin_anomalies()
    ///     .add_anomaly(ZeroReadings::default(), 1.0)
    ///     .build()?
    ///     .generate()?;
    /// assert!(data.labels().iter().all(|l| l.anomaly_type.as_str() == "zero_readings"));
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    pub fn without_builtin_anomalies(mut self) -> Self {
        self.builtin_anomalies = Exclusion::Excluded;
        self
    }

    /// Adds a benign look-alike injector to the benign mix with `weight`
    /// (finite, ≥ 0, checked by [`build`](Self::build)), after the
    /// configuration's `benign_mix` entries. Its events are listed in
    /// [`Dataset::events`] and never labelled.
    ///
    /// ```
    /// use ghostload::{GeneratorConfig, Pipeline};
    /// use ghostload::anomaly::SolarInstall;
    /// let config = GeneratorConfig { benign_rate: 0.1, ..Default::default() };
    /// let data = Pipeline::builder()
    ///     .config(config)
    ///     .without_builtin_benign()
    ///     .add_benign(SolarInstall::new(0.5, 0.9)?, 1.0)
    ///     .build()?
    ///     .generate()?;
    /// assert_eq!(data.events().iter().filter(|e| !e.is_anomaly).count(), 185); // round(0.1 × 1850)
    /// assert!(data.events().iter().filter(|e| !e.is_anomaly).all(|e| e.event_type.as_str() == "solar_install"));
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    pub fn add_benign(mut self, injector: impl AnomalyInjector + 'static, weight: f64) -> Self {
        self.benign.push((Arc::new(injector), weight));
        self
    }

    /// Leaves the configuration's `benign_mix` out: only the injectors given
    /// to [`add_benign`](Self::add_benign) make up the benign mix.
    pub fn without_builtin_benign(mut self) -> Self {
        self.builtin_benign = Exclusion::Excluded;
        self
    }

    /// Validates the configuration and builds the default components.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first invalid field (or `threads`).
    pub fn build(self) -> Result<Pipeline> {
        if self.threads > Self::MAX_THREADS {
            return Err(ConfigError::out_of_range("threads", self.threads, "0 ..= 1024 (0 = all cores)").into());
        }
        let config = self.config;
        config.validate_with(!self.anomalies.is_empty(), !self.benign.is_empty())?;
        let series_axis = config.axis()?;
        let axis = series_axis.monthly();
        let spatial = match self.spatial {
            Some(s) => s,
            None => Arc::new(GaussianClusters::new(config.spatial_clustering_strength)?),
        };
        let consumption = match self.consumption {
            Some(c) => c,
            None => Arc::new(SeasonalConsumption::new(&config.consumption)?),
        };
        let anomaly_entries = ResolvedMix::entries(
            &config.anomaly_mix,
            self.builtin_anomalies,
            self.anomalies,
            "add_anomaly.weight",
        )?;
        let benign_entries = ResolvedMix::entries(
            &config.benign_mix,
            self.builtin_benign,
            self.benign,
            "add_benign.weight",
        )?;
        let anomalous = config.anomalous_meter_count() as u64;
        let benign_count = config.benign_meter_count() as u64;
        let anomaly_mix = ResolvedMix::new(anomaly_entries, anomalous, "anomaly_mix")?;
        let benign_mix = ResolvedMix::new(benign_entries, benign_count, "benign_mix")?;
        let capacity = CapacitySampler::new(&config.capacity)?;
        let mut warnings = Vec::new();
        let min = config.effective_min_meters_per_transformer();
        if min < config.min_meters_per_transformer {
            let w = Warning::MinimumLowered {
                configured: config.min_meters_per_transformer,
                effective: min,
            };
            tracing::warn!("{w}");
            warnings.push(w);
        }
        let streams = Streams::new(config.seed);
        let selection = AnomalySelection::new(
            config.num_meters as u64,
            anomalous,
            streams.key64(Purpose::AnomalySelection, 0),
        );
        let network = build_network(&config, &streams, &*spatial, &capacity);
        let plan = if series_axis.resolution().is_interval() {
            let barangays = config.barangays.len();
            let weather = match self.weather {
                Some(w) if w.covers(&series_axis, barangays) => w,
                Some(w) => {
                    return Err(ConfigError::out_of_range(
                        "weather",
                        format!("{} barangays × {} days from {}", w.barangays(), w.days(), w.first_day()),
                        "every barangay on every day of the series",
                    )
                    .into());
                }
                None => crate::weather::synthesize(&config.weather, &series_axis, barangays, &streams)?,
            };
            Some(IntervalPlan::new(&config, series_axis, weather))
        } else {
            None
        };
        // The onset policy counts months; at interval resolutions it keeps
        // the periods of those months normal.
        let series_onset = OnsetWindow::new(
            series_axis
                .month_range(config.min_normal_periods.min(config.num_months))
                .start,
        );
        Ok(Pipeline {
            pool: ThreadPool::new(self.threads)?,
            network,
            meter_streams: MeterStreams {
                attributes: streams.purpose(Purpose::MeterAttributes),
                profile: streams.purpose(Purpose::MeterProfile),
                noise: streams.purpose(Purpose::MeterNoise),
                shape: streams.purpose(Purpose::MeterShape),
                missing: streams.purpose(Purpose::MissingData),
            },
            series_axis,
            plan,
            onset: series_onset,
            config,
            axis,
            streams,
            consumption,
            anomaly_mix,
            benign_mix,
            selection,
            benign_count,
            warnings,
        })
    }
}

/// A validated generator: call [`generate`](Self::generate) for a [`Dataset`].
///
/// Generation is a pure function of the configuration and the components:
/// the same inputs give an identical dataset, on any machine and with any
/// number of threads.
///
/// ## Which meter gets what
/// A keyed permutation (a Feistel network with cycle walking) gives every meter a rank; the
/// `k = round(anomaly_rate × num_meters)` meters of rank `< k` are
/// anomalous. The anomaly mix's per-entry counts `c₀, c₁, …` (largest
/// remainder over the weights) own consecutive rank ranges: ranks
/// `[0, c₀)` get entry 0, `[c₀, c₀ + c₁)` entry 1, and so on; so per-type
/// counts are exact and each meter has exactly one anomaly. The next
/// `b = round(benign_rate × (n − k))` ranks, `[k, k + b)`, get a benign event,
/// split over the benign mix the same way. Everything is decided per meter in
/// O(1), and raising either rate only adds meters to its set.
#[derive(Debug)]
pub struct Pipeline {
    config: GeneratorConfig,
    /// The monthly axis (the monthly files' columns).
    axis: TimeAxis,
    /// The series' axis at the configured resolution (the monthly axis at monthly resolution).
    series_axis: TimeAxis,
    /// Interval readings: shapes, weather, missing data (`None` at monthly resolution).
    plan: Option<IntervalPlan>,
    streams: Streams,
    meter_streams: MeterStreams,
    consumption: Arc<dyn ConsumptionModel>,
    anomaly_mix: ResolvedMix,
    benign_mix: ResolvedMix,
    onset: OnsetWindow,
    /// The barangays, transformers and allocation, built once by `build`.
    network: Network,
    selection: AnomalySelection,
    /// Meters with a benign event: those ranked `k .. k + benign_count`.
    benign_count: u64,
    warnings: Vec<Warning>,
    pool: ThreadPool,
}

/// The per-meter streams, their seed-and-purpose part mixed once.
#[derive(Debug)]
struct MeterStreams {
    attributes: PurposeStreams,
    profile: PurposeStreams,
    noise: PurposeStreams,
    shape: PurposeStreams,
    missing: PurposeStreams,
}

/// What the selection permutation makes of a meter (its rank `r` against `k` and `k + b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Anomalous, with its rank in the anomaly permutation.
    Anomalous(u64),
    /// Normal with a benign event, with its rank among the benign events (`r − k`).
    Benign(u64),
    /// Normal.
    Normal,
}

/// The worker pool meters are generated on: rayon's global pool, or one of
/// the size asked for with [`PipelineBuilder::threads`].
#[derive(Debug, Clone)]
pub(crate) struct ThreadPool {
    #[cfg(feature = "parallel")]
    pool: Option<Arc<rayon::ThreadPool>>,
}

impl ThreadPool {
    fn new(threads: usize) -> Result<Self> {
        #[cfg(feature = "parallel")]
        {
            let pool = if threads == 0 {
                None
            } else {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .map_err(|e| Error::Component {
                        component: "thread pool".to_owned(),
                        reason: format!("cannot start {threads} threads: {e}"),
                    })?;
                Some(Arc::new(pool))
            };
            Ok(ThreadPool { pool })
        }
        #[cfg(not(feature = "parallel"))]
        {
            let _ = threads;
            Ok(ThreadPool {})
        }
    }

    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        #[cfg(feature = "parallel")]
        if let Some(pool) = &self.pool {
            return pool.install(f);
        }
        f()
    }
}

/// Meters per parallel task: large enough that scheduling is negligible,
/// small enough that both cores stay busy on small batches.
const CHUNK_METERS: usize = 1024;

/// Values (monthly and interval) per parallel task at interval resolutions.
const CHUNK_VALUES: usize = 1 << 18;

/// The labels, events and clip counts of one parallel task, in meter order.
struct MeterChunk {
    labels: Vec<AnomalyLabel>,
    /// The sums of each transformer's meters in the chunk (empty when the balance is off).
    balance: Vec<Partial>,
    /// What the chunk's anomalous meters drew, in meter order.
    truth: Truths,
    events: Vec<Event>,
    missing: Vec<MissingRun>,
    clip_stats: ClipStats,
}

/// A meter's transformer and the spread of meters around it, in degrees.
struct Near<'a> {
    index: usize,
    transformer: &'a Transformer,
    /// Metres per degree of longitude at the transformer.
    lon_metres: f64,
    sd_lat: f64,
    sd_lon: f64,
}

impl<'a> Near<'a> {
    fn of(network: &'a Network, meter: usize, spread_m: f64) -> Near<'a> {
        let index = network.allocation.transformer_of(meter).index() as usize;
        let transformer = &network.transformers[index];
        Near {
            index,
            transformer,
            lon_metres: metres_per_lon_degree(transformer.lat),
            sd_lat: metres_to_lat_degrees(spread_m),
            sd_lon: metres_to_lon_degrees(spread_m, transformer.lat),
        }
    }
}

/// One generated meter, before assembly.
struct MeterOutput {
    meter: Meter,
    label: Option<AnomalyLabel>,
    /// The injected event first, then typhoon outages and missing runs by onset.
    events: Vec<Event>,
    missing: Vec<MissingRun>,
    /// For an anomalous meter (with the balance on): whether it is theft;
    /// what it drew before its register was tampered with (the series or
    /// readings before injection) is the chunk's last [`Truths`] entry.
    truth: Option<bool>,
    clipped: u64,
    /// Cells of the model's output capped at `max_kwh`.
    capped: u64,
    /// Cells an injector pushed above `max_kwh`, capped after injection.
    injected_capped: u64,
}

impl Pipeline {
    /// A builder with the default configuration.
    pub fn builder() -> PipelineBuilder {
        PipelineBuilder::new()
    }

    /// The validated configuration.
    #[must_use]
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// The periods of every series.
    #[must_use]
    pub fn axis(&self) -> &TimeAxis {
        &self.axis
    }

    /// What `build` adjusted rather than refused.
    #[must_use]
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Generates the whole dataset in memory and validates it.
    ///
    /// Built on the same code as [`batches`](Self::batches): the dataset is
    /// the network plus one batch of all meters.
    ///
    /// # Errors
    /// [`Error::InsufficientMemory`] before any work when the consumption
    /// matrix would not fit in the memory available (stream with
    /// [`batches`](Self::batches) or the CLI instead);
    /// [`Error::Component`] when a custom component returns something
    /// unusable (a non-finite or negative value, an onset outside the series);
    /// [`Error::Validation`] when the dataset fails an integrity check.
    pub fn generate(&self) -> Result<Dataset> {
        let c = &self.config;
        tracing::info!(
            meters = c.num_meters,
            months = c.num_months,
            "{} transformers across {} barangays; generating meters",
            self.network.transformers.len(),
            self.network.barangays.len()
        );
        crate::mem::check_available(self.in_memory_bytes())?;
        let mut batch = self.generate_batch(0..c.num_meters)?;
        let balance = c.balance.enabled.then(|| {
            let mut builder = self.balance_builder(0..c.num_meters);
            let partials = std::mem::take(&mut batch.balance);
            self.pool.install(|| builder.collect(partials));
            builder.finish()
        });
        let dataset = Dataset {
            balance,
            truth: batch.truth,
            config: self.config.clone(),
            axis: self.axis,
            series_axis: self.series_axis,
            network: self.network.clone(),
            readings: batch.readings,
            missing: batch.missing,
            weather: self.plan.as_ref().map(|p| p.weather().clone()),
            meters: batch.meters,
            consumption: ConsumptionMatrix::from_rows(batch.consumption, batch.periods),
            labels: batch.labels,
            events: batch.events,
            clip_stats: batch.clip_stats,
            warnings: self.warnings.clone(),
        };
        tracing::info!(
            anomalies = dataset.labels.len(),
            "generated {} meters with {} anomalies ({:.1}%); validating",
            dataset.meters.len(),
            dataset.labels.len(),
            100.0 * dataset.labels.len() as f64 / dataset.meters.len() as f64
        );
        let report = self.pool.install(|| crate::validate::validate(&dataset, true));
        if !report.passed() {
            for f in report.failures() {
                tracing::error!("validation failed: {f}");
            }
            return Err(Error::Validation(Box::new(report)));
        }
        tracing::info!("all validation checks passed");
        Ok(dataset)
    }

    /// Bytes [`generate`](Self::generate) needs, roughly: the batch of all
    /// meters (see [`batch_bytes`](Self::batch_bytes)), plus the dataset's copy
    /// of the network and what the validation pass holds: one count per
    /// transformer in each of its parallel slices.
    #[must_use]
    pub fn in_memory_bytes(&self) -> u64 {
        let c = &self.config;
        let transformers = c.num_transformers as u64;
        let network = transformers * (size_of::<Transformer>() + 2 * size_of::<usize>()) as u64;
        let slices = (c.num_meters as u64).div_ceil(crate::validate::SLICE as u64);
        let validation = slices.saturating_mul(transformers * size_of::<usize>() as u64);
        self.batch_bytes(0..c.num_meters)
            .saturating_add(network)
            .saturating_add(validation)
    }

    /// Bytes a batch of meters `range` needs, roughly: its consumption
    /// values, its meters, and a label and an event for each anomalous meter
    /// and an event for each benign one (counted at their expected share of
    /// the range). The validation pass needs O(transformers) more.
    #[must_use]
    pub fn batch_bytes(&self, range: Range<usize>) -> u64 {
        let c = &self.config;
        let meters = range.len() as u128;
        let share = |count: usize| (count as u128 * meters).div_ceil(c.num_meters.max(1) as u128);
        let intervals = self.series_axis.intervals();
        let per_meter = ((c.num_months + intervals) * size_of::<f64>() + size_of::<Meter>()) as u128;
        let labels = share(c.anomalous_meter_count()) * (size_of::<AnomalyLabel>() + size_of::<Event>()) as u128;
        let events = share(c.benign_meter_count()) * size_of::<Event>() as u128;
        u64::try_from(meters * per_meter + labels + events).unwrap_or(u64::MAX)
    }

    /// Generates meters `range` (indices into `0 .. num_meters`) exactly as
    /// [`generate`](Self::generate) would: a meter's values never depend on
    /// which batch it is in.
    ///
    /// ```
    /// use ghostload::{Error, Pipeline};
    /// let pipeline = Pipeline::builder().build()?;
    /// let batch = pipeline.generate_batch(1990..2000)?;
    /// assert_eq!(batch.meters().len(), 10);
    /// assert!(matches!(pipeline.generate_batch(1990..2010), Err(Error::MeterRange { .. })));
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MeterRange`] when `range` is not inside `0 .. num_meters`;
    /// [`Error::InsufficientMemory`] before any work when the batch would not
    /// fit in memory; [`Error::Component`] when a component misbehaves (see
    /// [`generate`](Self::generate)).
    pub fn generate_batch(&self, range: Range<usize>) -> Result<MeterBatch> {
        let mut batch = MeterBatch {
            first: range.start,
            periods: self.axis.len(),
            axis: self.series_axis,
            meters: Vec::new(),
            consumption: Vec::new(),
            readings: Vec::new(),
            missing: Vec::new(),
            labels: Vec::new(),
            events: Vec::new(),
            balance: Vec::new(),
            truth: Truths::default(),
            clip_stats: ClipStats::default(),
        };
        self.generate_batch_into(range, &mut batch)?;
        Ok(batch)
    }

    /// [`generate_batch`](Self::generate_batch) into an existing batch,
    /// reusing its buffers: a writer that streams many batches keeps two
    /// and alternates, so the memory is touched (and faulted in by the
    /// kernel) once rather than once per batch. The result is identical.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// let pipeline = Pipeline::builder().build()?;
    /// let mut batch = pipeline.generate_batch(0..100)?;
    /// pipeline.generate_batch_into(100..200, &mut batch)?;
    /// assert_eq!(batch, pipeline.generate_batch(100..200)?);
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`generate_batch`](Self::generate_batch); on an error the batch's contents are unspecified.
    pub fn generate_batch_into(&self, range: Range<usize>, batch: &mut MeterBatch) -> Result<()> {
        self.check_range(&range)?;
        crate::mem::check_available(self.batch_bytes(range.clone()))?;
        let periods = self.axis.len();
        let intervals = self.series_axis.intervals();
        let first = range.start;
        // Every cell is written by the generator: grow a buffer only where
        // it is too short, and never clear what will be overwritten.
        // Everything parallel runs on this pipeline's pool, the buffers' fill included.
        let chunks = self.pool.install(|| {
            fit(&mut batch.consumption, range.len() * periods, crate::mem::zeroed_f64);
            fit(&mut batch.readings, range.len() * intervals, crate::mem::zeroed_f64);
            fit(&mut batch.meters, range.len(), |n| {
                crate::mem::filled(n, Meter::blank())
            });
            self.meter_chunks(first, &mut batch.consumption, &mut batch.readings, &mut batch.meters)
        })?;
        batch.first = first;
        batch.periods = periods;
        batch.axis = self.series_axis;
        batch.labels.clear();
        batch.events.clear();
        batch.missing.clear();
        batch.clip_stats = ClipStats::default();
        batch.balance.clear();
        batch.truth.clear();
        for chunk in chunks {
            batch.truth.append(&chunk.truth);
            for partial in chunk.balance {
                push_partial(&mut batch.balance, partial);
            }
            batch.labels.extend(chunk.labels);
            batch.events.extend(chunk.events);
            batch.missing.extend(chunk.missing);
            batch.clip_stats.add(chunk.clip_stats);
        }
        Ok(())
    }

    /// `Err(`[`Error::MeterRange`]`)` unless `range` lies inside `0 .. num_meters`.
    fn check_range(&self, range: &Range<usize>) -> Result<()> {
        let num_meters = self.config.num_meters;
        if range.start <= range.end && range.end <= num_meters {
            Ok(())
        } else {
            Err(Error::MeterRange {
                start: range.start,
                end: range.end,
                num_meters,
            })
        }
    }

    /// Meters `range` in consecutive batches of at most `batch_size` meters
    /// (at least 1), in order: generate a dataset of any size in bounded
    /// memory. A `range` outside `0 .. num_meters` yields one
    /// [`Error::MeterRange`] and nothing else.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// let pipeline = Pipeline::builder().build()?;
    /// let mut labels = 0;
    /// for batch in pipeline.batches(0..2000, 256) {
    ///     labels += batch?.labels().len();
    /// }
    /// assert_eq!(labels, 150);
    /// assert_eq!(pipeline.batches(0..2001, 500).count(), 1); // the error only
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    pub fn batches(&self, range: Range<usize>, batch_size: usize) -> impl Iterator<Item = Result<MeterBatch>> + '_ {
        let size = batch_size.max(1);
        let invalid = self.check_range(&range).err();
        let starts = if invalid.is_some() { 0..0 } else { range.clone() };
        let batches = starts
            .step_by(size)
            .map(move |start| self.generate_batch(start..start.saturating_add(size).min(range.end)));
        invalid.map(Err).into_iter().chain(batches)
    }

    /// Checks a streamed dataset as [`Dataset::validate`] checks an in-memory
    /// one: feed it every batch, in order, then call [`StreamValidator::finish`].
    pub fn validator(&self) -> StreamValidator<'_> {
        let expected = Expected::whole(&self.config);
        StreamValidator(Validator::new(&self.config, &self.axis, &self.network, expected))
    }

    /// Like [`validator`](Self::validator), for the meters `range` only (a
    /// shard): counts are checked against what that range must contain.
    ///
    /// # Errors
    /// [`Error::MeterRange`] when `range` is not inside `0 .. num_meters`.
    pub fn range_validator(&self, range: Range<usize>) -> Result<StreamValidator<'_>> {
        self.check_range(&range)?;
        let expected = self.expected(range);
        Ok(StreamValidator(Validator::new(
            &self.config,
            &self.axis,
            &self.network,
            expected,
        )))
    }

    /// Exact anomalous and benign counts of meters `range`: O(1) for the
    /// whole dataset, O(range) otherwise (one rank per meter).
    pub(crate) fn expected(&self, range: Range<usize>) -> Expected {
        if range == (0..self.config.num_meters) {
            return Expected::whole(&self.config);
        }
        let (mut anomalous, mut benign) = (0, 0);
        for i in range.clone() {
            match self.role(i as u64) {
                Role::Anomalous(_) => anomalous += 1,
                Role::Benign(_) => benign += 1,
                Role::Normal => {}
            }
        }
        Expected {
            range,
            anomalous,
            benign,
        }
    }

    /// Meter `i`'s role from its rank `r`: anomalous when `r < k`, a benign
    /// event when `k <= r < k + benign_count`.
    #[inline]
    fn role(&self, i: u64) -> Role {
        let k = self.selection.count();
        let rank = self.selection.rank(i);
        if rank < k {
            Role::Anomalous(rank)
        } else if rank - k < self.benign_count {
            Role::Benign(rank - k)
        } else {
            Role::Normal
        }
    }

    /// The builder of the energy balance of meters `range`.
    pub(crate) fn balance_builder(&self, range: Range<usize>) -> BalanceBuilder<'_> {
        let c = &self.config;
        BalanceBuilder::new(c.balance, (c.bounds, c.seed), &self.network, &self.series_axis, range)
    }

    /// The energy balance of a streamed dataset, or of the shard `range` of
    /// it: feed it every batch in order, then call [`BalanceStream::finish`].
    /// Transformers are finished as soon as all their meters are in; a
    /// transformer belongs to the range that holds its first meter (the
    /// range generates the rest of its meters, see [`BalanceStream::tail`]).
    /// Feeders are balanced only when `range` is the whole dataset.
    ///
    /// ```
    /// use ghostload::Pipeline;
    /// let pipeline = Pipeline::builder().build()?;
    /// let mut stream = pipeline.balance_stream(0..2000)?;
    /// let mut transformers = 0;
    /// for batch in pipeline.batches(0..2000, 300) {
    ///     transformers += stream.add(&batch?).len();
    /// }
    /// assert_eq!(transformers, 50);
    /// assert_eq!(stream.finish().len(), 5); // 50 transformers, 10 per feeder
    /// # Ok::<(), ghostload::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::MeterRange`] when `range` is not inside `0 .. num_meters`.
    pub fn balance_stream(&self, range: Range<usize>) -> Result<BalanceStream<'_>> {
        self.check_range(&range)?;
        let end = range.end;
        Ok(BalanceStream {
            builder: self.balance_builder(range),
            end,
            pool: &self.pool,
        })
    }

    /// This pipeline's worker pool (shared).
    #[cfg_attr(not(feature = "arrow"), allow(dead_code))]
    pub(crate) fn pool(&self) -> ThreadPool {
        self.pool.clone()
    }

    /// Runs `f` on this pipeline's worker pool.
    pub(crate) fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// The series axis at the configured resolution (labels' and events'
    /// periods); the same as [`axis`](Self::axis) at monthly resolution.
    #[must_use]
    pub fn series_axis(&self) -> &TimeAxis {
        &self.series_axis
    }

    /// The daily weather shaping the readings (interval resolutions only).
    #[must_use]
    pub fn weather(&self) -> Option<&Weather> {
        self.plan.as_ref().map(IntervalPlan::weather)
    }

    /// The barangays, transformers and the allocation of meters to
    /// transformers: the part of the dataset every meter hangs on, built once
    /// by [`PipelineBuilder::build`] (O(transformers)).
    #[must_use]
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// Generates every meter into its row of `values`, in parallel when the
    /// `parallel` feature is on. Meter `i` depends only on `i` and the
    /// network, so the result is the same for any number of threads.
    fn meter_chunks(
        &self,
        first: usize,
        values: &mut [f64],
        readings: &mut [f64],
        meters: &mut [Meter],
    ) -> Result<Vec<MeterChunk>> {
        let periods = self.axis.len().max(1);
        let intervals = readings.len() / meters.len().max(1);
        // A task holds about the same number of values at any resolution
        // (1 024 monthly meters, 29 hourly meter-years), so that a batch of
        // interval meters still spreads over every core.
        let chunk = (CHUNK_VALUES / (periods + intervals)).clamp(1, CHUNK_METERS);
        let rows = chunk * periods;
        // One slice of readings per chunk of meters (empty ones at monthly resolution).
        let mut reading_blocks: Vec<&mut [f64]> = if intervals == 0 {
            Vec::new()
        } else {
            readings.chunks_mut(chunk * intervals).collect()
        };
        reading_blocks.resize_with(meters.len().div_ceil(chunk), || &mut []);
        #[cfg(feature = "parallel")]
        {
            use rayon::prelude::*;
            values
                .par_chunks_mut(rows)
                .zip(meters.par_chunks_mut(chunk))
                .zip(reading_blocks.into_par_iter())
                .enumerate()
                .map(|(k, ((block, slots), readings))| self.meter_chunk(first + k * chunk, block, readings, slots))
                .collect()
        }
        #[cfg(not(feature = "parallel"))]
        {
            values
                .chunks_mut(rows)
                .zip(meters.chunks_mut(chunk))
                .zip(reading_blocks)
                .enumerate()
                .map(|(k, ((block, slots), readings))| self.meter_chunk(first + k * chunk, block, readings, slots))
                .collect()
        }
    }

    /// Generates consecutive meters from `first` into the rows of `block`.
    fn meter_chunk(
        &self,
        first: usize,
        block: &mut [f64],
        readings: &mut [f64],
        slots: &mut [Meter],
    ) -> Result<MeterChunk> {
        let periods = self.axis.len();
        let network = &self.network;
        let mut chunk = MeterChunk {
            labels: Vec::new(),
            balance: Vec::new(),
            truth: Truths::default(),
            events: Vec::new(),
            missing: Vec::new(),
            clip_stats: ClipStats::default(),
        };
        let intervals = readings.len() / slots.len().max(1);
        let mut reading_rows = readings.chunks_mut(intervals.max(1));
        // The roles first, in a loop of independent permutations that the
        // CPU overlaps (each alone is a chain of dependent multiplications).
        let roles: Vec<Role> = (first..first + slots.len()).map(|i| self.role(i as u64)).collect();
        let mut near: Option<Near<'_>> = None;
        for (i, ((row, slot), role)) in block.chunks_mut(periods.max(1)).zip(slots).zip(roles).enumerate() {
            let meter = first + i;
            // Meters are numbered transformer by transformer: look the
            // transformer (and its cosine) up only when it changes.
            let near = match near.take() {
                Some(n) if network.allocation.range(n.index).contains(&meter) => near.insert(n),
                _ => near.insert(Near::of(network, meter, self.config.meter_spread_m)),
            };
            let readings_row = reading_rows.next().unwrap_or(&mut []);
            let out = self.meter(near, meter, role, row, readings_row, &mut chunk.truth)?;
            if self.config.balance.enabled {
                let (quantum, billed) = if self.plan.is_some() {
                    (Quantum::Register, &*readings_row)
                } else {
                    (Quantum::Monthly, &*row)
                };
                let distance = distance_dm(out.meter.point(), near.transformer.point(), near.lon_metres);
                let transformer = near.index as u32;
                if chunk.balance.last().is_none_or(|p| p.transformer != transformer) {
                    chunk.balance.push(Partial::new(transformer, billed.len()));
                }
                if let Some(partial) = chunk.balance.last_mut() {
                    let truth = out.truth.map(|theft| (chunk.truth.last(), theft));
                    partial.add_meter(quantum, billed, truth, distance);
                }
            }
            chunk.clip_stats.all_clipped += out.clipped;
            chunk.clip_stats.all_capped += out.capped;
            chunk.clip_stats.injected_capped += out.injected_capped;
            match out.label {
                Some(l) => chunk.labels.push(l),
                None => {
                    chunk.clip_stats.normal_clipped += out.clipped;
                    chunk.clip_stats.normal_capped += out.capped;
                    chunk.clip_stats.normal_cells += periods as u64;
                }
            }
            chunk.events.extend(out.events);
            chunk.missing.extend(out.missing);
            *slot = out.meter;
        }
        if let Err(t) = check_values(block) {
            let meter = &slots_meter(first, t, periods);
            return Err(series_error("consumption model", meter, t % periods.max(1), block[t]));
        }
        Ok(chunk)
    }

    fn meter(
        &self,
        near: &Near<'_>,
        i: usize,
        role: Role,
        series: &mut [f64],
        readings: &mut [f64],
        truths: &mut Truths,
    ) -> Result<MeterOutput> {
        let c = &self.config;
        let index = i as u64;
        let transformer = near.transformer;
        let mut rng = self.meter_streams.attributes.stream(index);
        let class = sample_class(&c.class_mix, &mut rng);
        let point = c
            .bounds
            .sample_near(&mut rng, transformer.point(), near.sd_lat, near.sd_lon);
        let profile = self
            .consumption
            .profile(class, &mut self.meter_streams.profile.stream(index));
        let clipped = self.consumption.fill_series(
            &profile,
            &self.axis,
            &mut self.meter_streams.noise.stream(index),
            series,
        );
        // The register's full scale: the model's output, as a meter would record it.
        let capped = cap_at(series, c.max_kwh);
        let meter = Meter {
            id: MeterId::from_index(i as u32),
            transformer_id: transformer.id,
            customer_class: class,
            barangay: transformer.barangay,
            lat: point.lat,
            lon: point.lon,
            kva: class_profile(c, class).peak_kva(profile.baseline_kwh),
            baseline_kwh: profile.baseline_kwh,
            monthly_growth: profile.monthly_growth,
        };
        // The model's output is checked before an injection (below) or, for the
        // other meters, in one pass over the whole chunk (`meter_chunk`).
        let pick = match role {
            Role::Anomalous(rank) => Some((&self.anomaly_mix, rank, "anomaly", Purpose::AnomalyInjection)),
            Role::Benign(rank) => Some((&self.benign_mix, rank, "benign", Purpose::BenignInjection)),
            Role::Normal => None,
        };
        let anomalous = matches!(role, Role::Anomalous(_));
        let mut injected_capped = 0;
        let barangay = transformer.barangay.index() as usize;
        if let Some(plan) = &self.plan {
            // Interval readings from the monthly totals; injectors act on them.
            let mut rng = self.meter_streams.shape.stream(index);
            plan.disaggregate(class, barangay, series, &mut rng, readings);
        }
        // An anomaly changes what the register records, not what the meter draws.
        let mut drawn = false;
        let event = match pick {
            Some((mix, rank, name, purpose)) => {
                let injector = mix.injector(rank).ok_or_else(|| unassigned(name, rank))?;
                let target: &mut [f64] = if self.plan.is_some() {
                    &mut *readings
                } else {
                    &mut *series
                };
                if anomalous && c.balance.enabled {
                    truths.push(meter.id, target);
                    drawn = true;
                }
                let (event, capped) = self.inject(&meter, &profile, target, injector, purpose, anomalous)?;
                injected_capped = capped;
                Some(event)
            }
            None => None,
        };
        let label = event.as_ref().filter(|_| anomalous).map(|e| AnomalyLabel {
            meter_id: e.meter_id,
            anomaly_type: e.event_type.clone(),
            onset: e.onset,
            end: e.end,
            severity: e.severity,
            risk_band: RiskBand::from_severity(e.severity),
            is_theft: e.is_theft,
        });
        let injected = event.is_some();
        let mut events: Vec<Event> = event.into_iter().collect();
        let mut missing = Vec::new();
        if let Some(plan) = &self.plan {
            // Readings an injector touched are quantised and summed again;
            // the others are already (by `disaggregate`).
            if injected {
                plan.zero_outages(barangay, readings);
                injected_capped = plan.finish(readings, series);
            }
            let mut extra: Vec<Event> = plan.outage_events(meter.id, barangay).collect();
            missing = plan.missing_runs(meter.id, &mut self.meter_streams.missing.stream(index));
            extra.extend(missing.iter().map(IntervalPlan::missing_event));
            extra.sort_by_key(|e| e.onset);
            events.extend(extra);
        }
        let is_theft = label.as_ref().is_some_and(|l| l.is_theft);
        Ok(MeterOutput {
            truth: drawn.then_some(is_theft),
            meter,
            label,
            events,
            missing,
            clipped: clipped as u64,
            capped: capped as u64,
            injected_capped: injected_capped as u64,
        })
    }

    /// Injects an event into `series`, caps the result at `max_kwh` (the
    /// register records no more, whatever the injector did) and measures the
    /// severity on the capped values. Returns the event and how many cells
    /// were capped.
    fn inject(
        &self,
        meter: &Meter,
        profile: &MeterProfile,
        series: &mut [f64],
        injector: &dyn AnomalyInjector,
        purpose: Purpose,
        is_anomaly: bool,
    ) -> Result<(Event, usize)> {
        check_series("consumption model", meter, series)?;
        // The whole-series sum suffices for the default window; the event
        // window is known only after injection, so it needs the values.
        let before = match self.config.severity_window {
            SeverityWindow::Series => BeforeInjection::Sum(series.iter().sum()),
            SeverityWindow::Event => BeforeInjection::Values(series.to_vec()),
        };
        let ctx = InjectionContext::new(meter, profile, &self.series_axis).with_onset(self.onset);
        let mut rng = self.streams.stream(purpose, meter.id.index() as u64);
        let injection = inject_checked(injector, series, &ctx, &mut rng)?;
        let len = series.len();
        // At interval resolutions the cap applies to month sums (`IntervalPlan::finish`).
        let capped = if self.plan.is_some() {
            0
        } else {
            cap_at(series, self.config.max_kwh)
        };
        let window = self.config.severity_window.periods(injection.onset, injection.end, len);
        let expected = match before {
            BeforeInjection::Sum(sum) => sum,
            BeforeInjection::Values(values) => values[window.clone()].iter().sum(),
        };
        let reported: f64 = series[window].iter().sum();
        let severity = crate::anomaly::unbilled_share(expected, reported);
        let event = Event {
            meter_id: meter.id,
            event_type: injection.anomaly_type,
            is_theft: injection.is_theft,
            onset: injection.onset,
            end: injection.end,
            severity,
            is_anomaly,
        };
        Ok((event, capped))
    }
}

/// Generates the barangays, transformers and allocation: O(transformers).
fn build_network(
    c: &GeneratorConfig,
    streams: &Streams,
    spatial: &dyn SpatialStrategy,
    capacity: &CapacitySampler,
) -> Network {
    let centres: Vec<GeoPoint> = (0..c.barangays.len())
        .map(|b| {
            let id = BarangayId::from_index(b as u32);
            let mut rng = streams.stream(Purpose::BarangayCentre, b as u64);
            spatial.barangay_centre(&c.bounds, id, &mut rng)
        })
        .collect();
    let barangays = c
        .barangays
        .iter()
        .zip(&centres)
        .enumerate()
        .map(|(b, (name, centre))| Barangay {
            id: BarangayId::from_index(b as u32),
            name: name.clone(),
            centre: *centre,
        })
        .collect();
    let sites: Vec<_> = (0..c.num_transformers)
        .map(|t| {
            let id = TransformerId::from_index(t as u32);
            let mut rng = streams.stream(Purpose::TransformerSite, t as u64);
            spatial.transformer_site(&c.bounds, &centres, id, &mut rng)
        })
        .collect();
    let capacities: Vec<f64> = (0..c.num_transformers)
        .map(|t| capacity.sample(&mut streams.stream(Purpose::TransformerCapacity, t as u64)))
        .collect();
    let points: Vec<GeoPoint> = sites.iter().map(|s| s.point).collect();
    let feeders = crate::feeder::assign_feeders(&points, &c.bounds, c.transformers_per_feeder);
    let allocation = Allocation::proportional(
        &capacities,
        c.num_meters,
        c.effective_min_meters_per_transformer(),
        &mut streams.stream(Purpose::Allocation, 0),
    );
    let transformers = (0..c.num_transformers)
        .map(|t| Transformer {
            id: TransformerId::from_index(t as u32),
            feeder_id: feeders[t],
            barangay: sites[t].barangay,
            lat: sites[t].point.lat,
            lon: sites[t].point.lon,
            capacity_kva: capacities[t],
            num_meters: allocation.count(t),
        })
        .collect();
    Network {
        barangays,
        transformers,
        allocation,
    }
}

/// Makes `v` exactly `len` long, allocating with `alloc` only when it is
/// too short: the old values are left for the generator to overwrite.
fn fit<T: Clone>(v: &mut Vec<T>, len: usize, alloc: impl FnOnce(usize) -> Vec<T>) {
    if v.len() >= len {
        v.truncate(len);
    } else {
        *v = alloc(len);
    }
}

/// Sets every value above `max` to `max` and returns how many were. A NaN
/// is left as it is, for the checks to report (`f64::min` would hide it).
fn cap_at(series: &mut [f64], max: f64) -> usize {
    let mut capped = 0;
    for v in series.iter_mut() {
        let over = *v > max;
        capped += usize::from(over);
        if over {
            *v = max;
        }
    }
    capped
}

/// A series' expected energy before injection: its sum, or its values when
/// the severity window is only known after injection.
enum BeforeInjection {
    Sum(f64),
    Values(Vec<f64>),
}

/// A rank no mix entry owns: impossible once `build` has validated the mix.
fn unassigned(mix: &str, rank: u64) -> Error {
    Error::Component {
        component: format!("{mix} mix"),
        reason: format!("rank {rank} has no injector (all weights 0?)"),
    }
}

/// Computes the energy balance of a streamed dataset batch by batch; see [`Pipeline::balance_stream`].
#[derive(Debug)]
pub struct BalanceStream<'a> {
    builder: BalanceBuilder<'a>,
    end: usize,
    pool: &'a ThreadPool,
}

impl BalanceStream<'_> {
    /// Adds the next batch (batches in meter order, each meter once) and
    /// returns the transformers it completed, in id order.
    pub fn add(&mut self, batch: &MeterBatch) -> Vec<TransformerBalance> {
        let partials = batch.balance.clone();
        let builder = &mut self.builder;
        self.pool.install(|| builder.add(partials))
    }

    /// [`add`](Self::add), taking the batch's sums rather than copying them
    /// (the batch is not used for a balance again).
    pub(crate) fn take(&mut self, batch: &mut MeterBatch) -> Vec<TransformerBalance> {
        let partials = std::mem::take(&mut batch.balance);
        let builder = &mut self.builder;
        self.pool.install(|| builder.add(partials))
    }

    /// Meters after the range that the range's last transformer also
    /// serves: generate them with [`Pipeline::generate_batch`] and
    /// [`add`](Self::add) them to complete it (empty for a whole dataset).
    #[must_use]
    pub fn tail(&self) -> Range<usize> {
        self.builder.tail(self.end)
    }

    /// The feeders' balances, in id order: empty unless the stream covered
    /// the whole dataset. A transformer still incomplete (its tail not added)
    /// is dropped.
    #[must_use]
    pub fn finish(self) -> Vec<FeederBalance> {
        let (pool, builder) = (self.pool, self.builder);
        pool.install(|| builder.finish().feeders)
    }
}

/// Checks a streamed dataset batch by batch; see [`Pipeline::validator`].
#[derive(Debug)]
pub struct StreamValidator<'a>(Validator<'a>);

impl StreamValidator<'_> {
    /// Adds the next batch (batches must come in meter order, each meter once).
    pub fn add(&mut self, batch: &MeterBatch) {
        self.0.add(&batch.part());
    }

    /// The report over everything added.
    #[must_use]
    pub fn finish(self) -> ValidationReport {
        self.0.finish()
    }
}

fn check_series(component: &str, meter: &Meter, series: &[f64]) -> Result<()> {
    check_values(series).map_err(|t| series_error(component, &meter.id, t, series[t]))
}

/// `Err(position)` of the first value that is not finite and `>= 0`. A
/// branch-free count first (it vectorises); the position only on failure.
fn check_values(values: &[f64]) -> std::result::Result<(), usize> {
    if crate::validate::count_bad_cells(values) == (0, 0) {
        return Ok(());
    }
    Err(values.iter().position(|v| !(v.is_finite() && *v >= 0.0)).unwrap_or(0))
}

/// The id of the meter holding value `t` of a chunk starting at meter `first`.
fn slots_meter(first: usize, t: usize, periods: usize) -> MeterId {
    MeterId::from_index((first + t / periods.max(1)) as u32)
}

fn series_error(component: &str, meter: &MeterId, period: usize, value: f64) -> Error {
    Error::Component {
        component: component.to_owned(),
        reason: format!("meter {meter}: period {period} holds {value}, not a finite value >= 0"),
    }
}

fn class_profile(c: &GeneratorConfig, class: CustomerClass) -> &ClassProfile {
    match class {
        CustomerClass::Residential => &c.consumption.residential,
        CustomerClass::Commercial => &c.consumption.commercial,
        CustomerClass::Industrial => &c.consumption.industrial,
    }
}

/// Draws a class with the mix's probabilities (one uniform draw). A class
/// with probability 0 is never drawn, even when rounding leaves the sum a hair below 1.
fn sample_class<R: Rng + ?Sized>(mix: &ClassMix, rng: &mut R) -> CustomerClass {
    let u: f64 = rng.random();
    if u < mix.residential {
        CustomerClass::Residential
    } else if u < mix.residential + mix.commercial || (mix.industrial == 0.0 && mix.commercial > 0.0) {
        CustomerClass::Commercial
    } else if mix.industrial > 0.0 {
        CustomerClass::Industrial
    } else {
        CustomerClass::Residential
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_sampling_follows_the_mix() {
        let mix = ClassMix::default();
        let streams = Streams::new(1);
        let mut counts = [0usize; 3];
        for i in 0..20_000 {
            counts[sample_class(&mix, &mut streams.stream(Purpose::MeterAttributes, i)) as usize] += 1;
        }
        let shares = counts.map(|c| c as f64 / 20_000.0);
        assert!(
            (shares[0] - 0.7).abs() < 0.015 && (shares[1] - 0.2).abs() < 0.015,
            "{shares:?}"
        );
    }

    #[test]
    fn zero_probability_classes_never_appear() {
        let mix = ClassMix {
            residential: 0.0,
            commercial: 1.0,
            industrial: 0.0,
        };
        let streams = Streams::new(1);
        assert!(
            (0..5000)
                .all(|i| sample_class(&mix, &mut streams.stream(Purpose::MeterAttributes, i))
                    == CustomerClass::Commercial)
        );
    }
}
