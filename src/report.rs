//! [`Summary`]: the statistics of the generation report (design §2.3).

use std::collections::BTreeMap;

use crate::batch::Part;
use crate::cells::{CellScan, DENSE_CENTS};
use crate::dataset::Dataset;
use crate::ids::TransformerId;
use crate::model::{CustomerClass, RiskBand};
use crate::network::Network;

/// Count and share of one category.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Share {
    /// How many.
    pub count: usize,
    /// `count` over the total (0 when the total is 0).
    pub share: f64,
}

impl Share {
    fn of(count: usize, total: usize) -> Share {
        Share {
            count,
            share: if total == 0 { 0.0 } else { count as f64 / total as f64 },
        }
    }
}

/// Distribution of the consumption values, kWh per period, over all cells.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct ConsumptionStats {
    /// Mean.
    pub mean: f64,
    /// Median (the lower middle value for an even count).
    pub median: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Counts for one barangay.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct BarangayCounts {
    /// Its name.
    pub name: String,
    /// Transformers in it.
    pub transformers: usize,
    /// Meters in it.
    pub meters: usize,
    /// Anomalous meters in it.
    pub anomalous_meters: usize,
}

/// Counts for one transformer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TransformerCounts {
    /// The transformer.
    pub transformer_id: TransformerId,
    /// Meters it serves.
    pub meters: usize,
    /// Anomalous meters among them.
    pub anomalous_meters: usize,
}

/// The statistics of a dataset, as the design's summary report lists them.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Summary {
    /// Number of transformers.
    pub transformers: usize,
    /// Number of meters.
    pub meters: usize,
    /// Periods per series.
    pub periods: usize,
    /// Anomalous meters.
    pub anomalous_meters: usize,
    /// Anomalous meters over all meters.
    pub anomaly_rate: f64,
    /// Meters per customer class (`residential`, `commercial`, `industrial`).
    pub customer_classes: BTreeMap<CustomerClass, Share>,
    /// Anomalous meters per risk band (`Low`, `Medium`, `High`).
    pub risk_bands: BTreeMap<RiskBand, Share>,
    /// Anomalous meters per anomaly type.
    pub anomaly_types: BTreeMap<String, Share>,
    /// Anomalous meters per anomaly type and risk band (every band present, 0 included).
    pub anomaly_type_bands: BTreeMap<String, BTreeMap<RiskBand, usize>>,
    /// Meters with a benign look-alike event (never labelled anomalous).
    pub benign_meters: usize,
    /// Benign events per type.
    pub benign_types: BTreeMap<String, usize>,
    /// Consumption over all cells, kWh per period.
    pub consumption_kwh: ConsumptionStats,
    /// Share of normal (non-anomalous) meters' cells clipped at zero.
    pub clipped_fraction: f64,
    /// Share of normal (non-anomalous) meters' cells capped at the register's
    /// full scale, [`GeneratorConfig::max_kwh`](crate::GeneratorConfig::max_kwh).
    #[cfg_attr(feature = "serde", serde(default))]
    pub capped_fraction: f64,
    /// Cells capped at `max_kwh`, all meters, counted on the model's output
    /// and after injection (see [`ClipStats`](crate::ClipStats)).
    #[cfg_attr(feature = "serde", serde(default))]
    pub capped_cells: u64,
    /// Counts per barangay, in configuration order.
    pub per_barangay: Vec<BarangayCounts>,
    /// Counts per transformer, in id order.
    pub per_transformer: Vec<TransformerCounts>,
}

impl Dataset {
    /// The statistics of the generation report.
    #[must_use]
    pub fn summary(&self) -> Summary {
        Summary::of(self)
    }
}

impl Summary {
    /// Computes the summary of `d`.
    #[must_use]
    pub fn of(d: &Dataset) -> Summary {
        let mut builder = SummaryBuilder::new(d.network(), d.axis().len());
        builder.add_part(&d.part());
        builder.finish()
    }
}

/// Accumulates a [`Summary`] meter by meter, so that a dataset streamed in
/// batches gets exactly the summary an in-memory one does.
///
/// Consumption statistics are exact and independent of the batching: they are
/// computed over the values rounded to 0.01 kWh, i.e. the values as written to
/// `meter_consumption.csv`, with integer sums (mean, standard deviation) and a
/// histogram of hundredths (median, min, max).
#[derive(Debug, Clone)]
pub struct SummaryBuilder {
    periods: usize,
    meters: usize,
    anomalous: usize,
    classes: [usize; 3],
    bands: BTreeMap<RiskBand, usize>,
    types: BTreeMap<String, usize>,
    type_bands: BTreeMap<String, BTreeMap<RiskBand, usize>>,
    benign_types: BTreeMap<String, usize>,
    per_barangay: Vec<BarangayCounts>,
    per_transformer: Vec<TransformerCounts>,
    clip: crate::batch::ClipStats,
    cells: u128,
    sum_cents: u128,
    sum_sq_cents: u128,
    /// Hundredths below `DENSE_CENTS`, kept as a list while they are few
    /// (sorted at the end), then poured into `histogram` (counts per hundredth).
    list: Option<Vec<u32>>,
    histogram: Vec<u32>,
    overflow: Vec<u64>,
}

/// Values kept as a sorted list before switching to the histogram: small
/// datasets then never allocate (and scan) a histogram sized by their maximum.
const LIST_LIMIT: usize = 1 << 21;

impl SummaryBuilder {
    /// An empty summary of a dataset on `network` with `periods` periods per series.
    #[must_use]
    pub fn new(network: &Network, periods: usize) -> Self {
        let mut per_barangay: Vec<BarangayCounts> = network
            .barangays()
            .iter()
            .map(|b| BarangayCounts {
                name: b.name.clone(),
                transformers: 0,
                meters: 0,
                anomalous_meters: 0,
            })
            .collect();
        for t in network.transformers() {
            if let Some(b) = per_barangay.get_mut(t.barangay.index() as usize) {
                b.transformers += 1;
            }
        }
        let per_transformer = network
            .transformers()
            .iter()
            .map(|t| TransformerCounts {
                transformer_id: t.id,
                meters: 0,
                anomalous_meters: 0,
            })
            .collect();
        SummaryBuilder {
            periods,
            meters: 0,
            anomalous: 0,
            classes: [0; 3],
            bands: RiskBand::ALL.iter().map(|b| (*b, 0)).collect(),
            types: BTreeMap::new(),
            type_bands: BTreeMap::new(),
            benign_types: BTreeMap::new(),
            per_barangay,
            per_transformer,
            clip: crate::batch::ClipStats::default(),
            cells: 0,
            sum_cents: 0,
            sum_sq_cents: 0,
            list: Some(Vec::new()),
            histogram: Vec::new(),
            overflow: Vec::new(),
        }
    }

    /// Adds the meters of a batch.
    pub fn add(&mut self, batch: &crate::batch::MeterBatch) {
        self.add_part(&batch.part());
    }

    pub(crate) fn add_part(&mut self, part: &Part<'_>) {
        self.add_counts(part);
        // Bounded scans: a whole in-memory matrix is not copied at once.
        for values in part.consumption.chunks(1 << 16) {
            self.add_cells(&CellScan::of(values));
        }
    }

    /// Adds the per-meter counts of `part` (its cells come through [`add_cells`](Self::add_cells)).
    pub(crate) fn add_counts(&mut self, part: &Part<'_>) {
        self.meters += part.meters.len();
        for (m, _, label) in part.records() {
            self.classes[m.customer_class as usize] += 1;
            let hit = usize::from(label.is_some());
            if let Some(b) = self.per_barangay.get_mut(m.barangay.index() as usize) {
                b.meters += 1;
                b.anomalous_meters += hit;
            }
            if let Some(t) = self.per_transformer.get_mut(m.transformer_id.index() as usize) {
                t.meters += 1;
                t.anomalous_meters += hit;
            }
        }
        for l in part.labels {
            self.anomalous += 1;
            *self.bands.entry(l.risk_band).or_default() += 1;
            *self.types.entry(l.anomaly_type.to_string()).or_default() += 1;
            *self
                .type_bands
                .entry(l.anomaly_type.to_string())
                .or_insert_with(|| RiskBand::ALL.iter().map(|b| (*b, 0)).collect())
                .entry(l.risk_band)
                .or_default() += 1;
        }
        for e in part.events.iter().filter(|e| !e.is_anomaly) {
            *self.benign_types.entry(e.event_type.to_string()).or_default() += 1;
        }
        self.add_clip(part.clip_stats);
    }

    /// Adds clipped-cell counts (carried by whole batches, not by their slices).
    pub(crate) fn add_clip(&mut self, clip: crate::batch::ClipStats) {
        self.clip.add(clip);
    }

    /// Adds scanned cells, in order.
    pub(crate) fn add_cells(&mut self, scan: &CellScan) {
        self.cells += u128::from(scan.cells);
        self.sum_cents += scan.sum_cents;
        self.sum_sq_cents += scan.sum_sq_cents;
        self.overflow.extend_from_slice(&scan.large);
        if let Some(list) = &mut self.list {
            if list.len() + scan.small.len() <= LIST_LIMIT {
                list.extend_from_slice(&scan.small);
                return;
            }
            let list = self.list.take().unwrap_or_default();
            self.count(&list);
        }
        self.count(&scan.small);
    }

    fn count(&mut self, cents: &[u32]) {
        if let Some(&max) = cents.iter().max() {
            let needed = max as usize + 1;
            if needed > self.histogram.len() {
                self.histogram
                    .resize(needed.next_power_of_two().min(DENSE_CENTS as usize), 0);
            }
        }
        for &c in cents {
            self.histogram[c as usize] += 1;
        }
    }

    /// The summary of everything added.
    #[must_use]
    pub fn finish(mut self) -> Summary {
        let (n, anomalous) = (self.meters, self.anomalous);
        Summary {
            transformers: self.per_transformer.len(),
            meters: n,
            periods: self.periods,
            anomalous_meters: anomalous,
            anomaly_rate: Share::of(anomalous, n).share,
            customer_classes: CustomerClass::ALL
                .iter()
                .map(|c| (*c, Share::of(self.classes[*c as usize], n)))
                .collect(),
            risk_bands: self.bands.iter().map(|(k, v)| (*k, Share::of(*v, anomalous))).collect(),
            anomaly_types: self
                .types
                .iter()
                .map(|(k, v)| (k.clone(), Share::of(*v, anomalous)))
                .collect(),
            anomaly_type_bands: std::mem::take(&mut self.type_bands),
            benign_meters: self.benign_types.values().sum(),
            benign_types: std::mem::take(&mut self.benign_types),
            consumption_kwh: self.stats(),
            clipped_fraction: self.clip.normal_fraction(),
            capped_fraction: self.clip.normal_capped_fraction(),
            capped_cells: self.clip.all_capped + self.clip.injected_capped,
            per_barangay: std::mem::take(&mut self.per_barangay),
            per_transformer: std::mem::take(&mut self.per_transformer),
        }
    }

    fn stats(&mut self) -> ConsumptionStats {
        self.overflow.sort_unstable();
        if let Some(list) = &mut self.list {
            list.sort_unstable();
        }
        if self.cells == 0 {
            return ConsumptionStats {
                mean: 0.0,
                median: 0.0,
                std: 0.0,
                min: 0.0,
                max: 0.0,
            };
        }
        let n = self.cells;
        // n·Σx² − (Σx)² is exact in integers (and >= 0 by Cauchy–Schwarz).
        let spread = (n * self.sum_sq_cents).saturating_sub(self.sum_cents * self.sum_cents);
        let variance = spread as f64 / (n as f64 * n as f64);
        ConsumptionStats {
            mean: self.sum_cents as f64 / n as f64 / 100.0,
            median: self.nth_cents((n - 1) / 2) as f64 / 100.0,
            std: variance.sqrt() / 100.0,
            min: self.nth_cents(0) as f64 / 100.0,
            max: self.nth_cents(n - 1) as f64 / 100.0,
        }
    }

    /// The `k`-th smallest value (0-based), in hundredths.
    fn nth_cents(&self, k: u128) -> u64 {
        if let Some(list) = &self.list {
            let k = usize::try_from(k).unwrap_or(usize::MAX);
            return match list.get(k) {
                Some(&c) => u64::from(c),
                None => self.overflow.get(k - list.len()).copied().unwrap_or(0),
            };
        }
        let mut seen: u128 = 0;
        for (cents, &count) in self.histogram.iter().enumerate() {
            seen += u128::from(count);
            if seen > k {
                return cents as u64;
            }
        }
        let rest = usize::try_from(k - seen).unwrap_or(usize::MAX);
        self.overflow.get(rest).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GeneratorConfig, Pipeline};

    fn stats_of(values: &[f64]) -> ConsumptionStats {
        let pipeline = Pipeline::builder()
            .config(GeneratorConfig {
                num_meters: 1,
                num_transformers: 1,
                ..Default::default()
            })
            .build()
            .unwrap();
        let mut b = SummaryBuilder::new(pipeline.network(), 1);
        b.add_cells(&CellScan::of(values));
        b.stats()
    }

    #[test]
    fn stats_of_a_small_sample() {
        let s = stats_of(&[4.0, 1.0, 3.0, 2.0]);
        assert_eq!((s.mean, s.median, s.min, s.max), (2.5, 2.0, 1.0, 4.0));
        assert!((s.std - 1.25f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn list_and_histogram_modes_agree() {
        // Enough values to leave the list mode, with a spread of magnitudes.
        let values: Vec<f64> = (0..LIST_LIMIT as u64 + 5000)
            .map(|i| ((i * 7919) % 100_003) as f64 / 7.0)
            .collect();
        let whole = stats_of(&values);
        let mut sorted: Vec<u64> = values.iter().map(|v| (v * 100.0 + 0.5) as u64).collect();
        sorted.sort_unstable();
        assert_eq!(whole.median, sorted[(sorted.len() - 1) / 2] as f64 / 100.0);
        assert_eq!(whole.max, *sorted.last().unwrap() as f64 / 100.0);
        let few = stats_of(&values[..1000]);
        let mut small = sorted_cents(&values[..1000]);
        small.sort_unstable();
        assert_eq!(few.median, small[499] as f64 / 100.0);
    }

    fn sorted_cents(values: &[f64]) -> Vec<u64> {
        values.iter().map(|v| (v * 100.0 + 0.5) as u64).collect()
    }

    #[test]
    fn stats_use_the_written_hundredths_and_handle_huge_values() {
        let s = stats_of(&[0.004, 0.006, 1e6, 2e6, 3e6]);
        assert_eq!((s.min, s.median, s.max), (0.0, 1e6, 3e6));
        assert_eq!(stats_of(&[0.006, 0.004, 0.005]).median, 0.01);
        assert!((s.mean - 1_200_000.002).abs() < 1e-6, "{}", s.mean);
    }
}
