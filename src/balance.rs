//! The energy balance: what each distribution transformer's meter and each
//! feeder-head meter read, decomposed into the energy its customers drew,
//! what their registers billed, technical losses, unmetered load and meter
//! error (the "ghost load" a utility's energy balance looks for).
//!
//! Per transformer `t` and period `p` (all kWh):
//!
//! ```text
//! true      = Σ energy drawn by t's meters            (theft and faults change only `billed`)
//! line      = R_loop · κ / n_c · d̄ · I_t² · h · F   (secondary and service drops; d̄ the
//!                                                  meters' energy-weighted mean distance)
//! unmetered = street lights: lamps · W · burning hours
//! load      = true + line + unmetered                  (at the transformer's secondary)
//! trafo     = P_NL · h + P_LL · (S / S_r)² · h · F      (S = load / h / pf, kVA)
//! input     = load + trafo                              (energy into the transformer)
//! reading   = input · (1 + ε_t), on the meter's 1 Wh register; meter_error = reading − input
//! ```
//!
//! `F` is 1 for hourly and 15-minute periods (each period's own loading)
//! and the loss-load factor over the squared load factor,
//! `(0.3·LF + 0.7·LF²) / LF²`, for daily and monthly periods, which average
//! the daily cycle away (Buller and Woodrow 1928). A feeder reads
//! `(Σ input of its transformers + primary loss) · (1 + ε_f)`, the primary
//! loss being `R · L / 3 · 3 · I²` for a trunk of length `L` with its load
//! spread along it. Every constant and its source is in `docs/model.md` §6.
//!
//! Sums over meters are exact (integer watt-hours), so a balance does not
//! depend on how meters were batched, threaded or sharded.

use std::ops::Range;

use rand::Rng;

use crate::capacity::STANDARD_RATINGS_KVA;
use crate::error::{ConfigError, check_range};
use crate::geo::{GeoBounds, GeoPoint, METRES_PER_DEGREE};
use crate::ids::{FeederId, TransformerId};
use crate::model::Transformer;
use crate::network::Network;
use crate::rng::{Purpose, Streams};
use crate::time::TimeAxis;

/// Efficiency at 50 % of nameplate load, %, of single-phase liquid-immersed
/// distribution transformers at the standard ratings, kVA: the US DOE
/// energy-conservation standard, 10 CFR 431.196(b)(2) (units made from
/// 1 January 2016). See `docs/model.md` §6.2.
pub const DOE_EFFICIENCY_PCT: [(f64, f64); 11] = [
    (10.0, 98.70),
    (15.0, 98.82),
    (25.0, 98.95),
    (37.5, 99.05),
    (50.0, 99.11),
    (75.0, 99.19),
    (100.0, 99.25),
    (167.0, 99.33),
    (250.0, 99.39),
    (333.0, 99.43),
    (500.0, 99.49),
];

/// Load loss at rated load over no-load loss: 4, the ratio at which a
/// transformer's efficiency peaks at half load (where the DOE standard
/// measures it: `P_NL = P_LL · 0.5²`), the usual design point.
pub const LOAD_LOSS_RATIO: f64 = 4.0;

/// The efficiency table's ratings must be the standard ratings.
const _: () = {
    let mut i = 0;
    while i < STANDARD_RATINGS_KVA.len() {
        assert!(DOE_EFFICIENCY_PCT[i].0 == STANDARD_RATINGS_KVA[i]);
        i += 1;
    }
};

/// No-load and full-load losses `(P_NL, P_LL)` of a transformer of `kva`, W.
///
/// For a standard rating `S` with DOE efficiency `η` at half load, the total
/// loss at half load is `L = 0.5 · S · (1/η − 1)` (at unity power factor), and
/// `L = P_NL + 0.25 · P_LL` with `P_LL = 4 · P_NL` gives `P_NL = L / 2`,
/// `P_LL = 2 · L`. Another rating takes the nearest standard rating's losses
/// scaled by `(kva / S)^0.75` (losses grow as the ¾ power of the rating, the
/// scaling law of transformer design).
///
/// ```
/// let (no_load, load) = ghostload::transformer_losses_w(25.0);
/// assert!((no_load - 66.3).abs() < 0.05 && (load - 265.3).abs() < 0.05);
/// ```
#[must_use]
pub fn transformer_losses_w(kva: f64) -> (f64, f64) {
    let (rating, efficiency) = DOE_EFFICIENCY_PCT
        .iter()
        .min_by(|a, b| (a.0 - kva).abs().total_cmp(&(b.0 - kva).abs()))
        .copied()
        .unwrap_or(DOE_EFFICIENCY_PCT[0]);
    let half_load_loss = 0.5 * rating * WH * (100.0 / efficiency - 1.0);
    let no_load = half_load_loss / (1.0 + 0.25 * LOAD_LOSS_RATIO);
    let scale = (kva / rating).powf(0.75);
    (no_load * scale, LOAD_LOSS_RATIO * no_load * scale)
}

/// The parameters of the energy balance. Every default has its source in
/// `docs/model.md` §6.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct BalanceConfig {
    /// Whether to compute the balance and write its files. Default `true`.
    pub enabled: bool,
    /// Power factor of the load on transformers and lines (0.5 ..= 1). Default 0.9.
    pub power_factor: f64,
    /// Load factor of a transformer (average over peak demand, 0.05 ..= 1),
    /// for the loss-load factor of daily and monthly periods. Default 0.5.
    pub load_factor: f64,
    /// Secondary (low-voltage) nominal voltage, V (100 ..= 1000). Default 230.
    pub secondary_voltage_v: f64,
    /// Resistance of one secondary conductor, Ω/km (0 ..= 10): the loop of a
    /// single-phase circuit is twice it. Default 0.603 (1/0 AWG aluminium
    /// triplex, Kersting 2017, Example 11.3).
    pub secondary_ohm_per_km: f64,
    /// Circuits leaving each transformer (1 ..= 8); its meters share them. Default 4.
    pub secondary_circuits: u32,
    /// Primary feeder nominal line-to-line voltage, kV (1 ..= 69). Default 13.2.
    pub primary_voltage_kv: f64,
    /// Resistance of one primary phase conductor, Ω/km (0 ..= 10). Default
    /// 0.190 (336.4 kcmil 26/7 ACSR "Linnet", Kersting 2017).
    pub primary_ohm_per_km: f64,
    /// Unmetered street lights per transformer (0 ..= 100). Default 2.
    pub streetlights_per_transformer: u32,
    /// Power of one street light with its ballast, W (0 ..= 2000). Default 83 (70 W high-pressure sodium).
    pub streetlight_w: f64,
    /// Accuracy class of each transformer's meter, % (0 ..= 5): its ratio
    /// error is drawn once, uniform in ± the class. Default 0.5.
    pub transformer_meter_class: f64,
    /// Accuracy class of each feeder-head meter, % (0 ..= 5). Default 0.2.
    pub feeder_meter_class: f64,
}

impl Default for BalanceConfig {
    fn default() -> Self {
        BalanceConfig {
            enabled: true,
            power_factor: 0.9,
            load_factor: 0.5,
            secondary_voltage_v: 230.0,
            secondary_ohm_per_km: 0.603,
            secondary_circuits: 4,
            primary_voltage_kv: 13.2,
            primary_ohm_per_km: 0.190,
            streetlights_per_transformer: 2,
            streetlight_w: 83.0,
            transformer_meter_class: 0.5,
            feeder_meter_class: 0.2,
        }
    }
}

impl BalanceConfig {
    /// Checks every field's range.
    ///
    /// # Errors
    /// [`ConfigError::OutOfRange`] naming the `balance.*` field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_range("balance.power_factor", self.power_factor, 0.5, 1.0, "0.5 ..= 1.0")?;
        check_range("balance.load_factor", self.load_factor, 0.05, 1.0, "0.05 ..= 1.0")?;
        check_range(
            "balance.secondary_voltage_v",
            self.secondary_voltage_v,
            100.0,
            1000.0,
            "100 ..= 1000",
        )?;
        check_range(
            "balance.secondary_ohm_per_km",
            self.secondary_ohm_per_km,
            0.0,
            10.0,
            "0 ..= 10",
        )?;
        if !(1..=8).contains(&self.secondary_circuits) {
            return Err(ConfigError::out_of_range(
                "balance.secondary_circuits",
                self.secondary_circuits,
                "1 ..= 8",
            ));
        }
        check_range(
            "balance.primary_voltage_kv",
            self.primary_voltage_kv,
            1.0,
            69.0,
            "1 ..= 69",
        )?;
        check_range(
            "balance.primary_ohm_per_km",
            self.primary_ohm_per_km,
            0.0,
            10.0,
            "0 ..= 10",
        )?;
        if self.streetlights_per_transformer > 100 {
            return Err(ConfigError::out_of_range(
                "balance.streetlights_per_transformer",
                self.streetlights_per_transformer,
                "0 ..= 100",
            ));
        }
        check_range("balance.streetlight_w", self.streetlight_w, 0.0, 2000.0, "0 ..= 2000")?;
        check_range(
            "balance.transformer_meter_class",
            self.transformer_meter_class,
            0.0,
            5.0,
            "0 ..= 5",
        )?;
        check_range(
            "balance.feeder_meter_class",
            self.feeder_meter_class,
            0.0,
            5.0,
            "0 ..= 5",
        )
    }

    /// `F`: how much more a quadratic loss is than its value at the
    /// period's average load, for periods of `hours`: 1 for sub-daily
    /// periods, `LLF / LF²` with `LLF = 0.3·LF + 0.7·LF²` otherwise.
    fn peak_factor(&self, hours: f64) -> f64 {
        if hours < 24.0 {
            1.0
        } else {
            let lf = self.load_factor;
            (0.3 * lf + 0.7 * lf * lf) / (lf * lf)
        }
    }
}

/// The energy balance of one transformer in one period, kWh.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct BalanceRow {
    /// What the transformer's meter read (1 Wh register).
    pub reading_kwh: f64,
    /// Σ what its customers' registers billed.
    pub billed_kwh: f64,
    /// Σ the energy its customers drew (truth; theft and meter faults make it exceed `billed`).
    pub true_kwh: f64,
    /// Transformer no-load and load losses (truth).
    pub transformer_loss_kwh: f64,
    /// Secondary-line and service-drop losses (truth).
    pub line_loss_kwh: f64,
    /// Unmetered legitimate load: street lights (truth).
    pub unmetered_kwh: f64,
    /// The transformer meter's error: `reading − input` (truth).
    pub meter_error_kwh: f64,
}

impl BalanceRow {
    /// The names of [`file_values`](Self::file_values), the kWh columns of
    /// `energy_balance.csv` (and of its Arrow table), in order.
    #[cfg_attr(not(any(feature = "csv", feature = "arrow")), allow(dead_code))]
    pub(crate) const FILE_COLUMNS: [&'static str; 10] = [
        "reading_kwh",
        "billed_kwh",
        "true_kwh",
        "transformer_loss_kwh",
        "line_loss_kwh",
        "technical_loss_kwh",
        "unmetered_kwh",
        "meter_error_kwh",
        "non_technical_loss_kwh",
        "residual_kwh",
    ];

    /// The row's kWh values in the order of [`FILE_COLUMNS`](Self::FILE_COLUMNS).
    #[cfg_attr(not(any(feature = "csv", feature = "arrow")), allow(dead_code))]
    pub(crate) fn file_values(&self) -> [f64; 10] {
        [
            self.reading_kwh,
            self.billed_kwh,
            self.true_kwh,
            self.transformer_loss_kwh,
            self.line_loss_kwh,
            self.technical_loss_kwh(),
            self.unmetered_kwh,
            self.meter_error_kwh,
            self.non_technical_loss_kwh(),
            self.residual_kwh(),
        ]
    }

    /// Technical losses: transformer plus lines.
    #[must_use]
    pub fn technical_loss_kwh(&self) -> f64 {
        self.transformer_loss_kwh + self.line_loss_kwh
    }

    /// Non-technical loss: energy drawn but not billed (`true − billed`).
    #[must_use]
    pub fn non_technical_loss_kwh(&self) -> f64 {
        self.true_kwh - self.billed_kwh
    }

    /// What a detector computes without the truth: `reading − billed`.
    #[must_use]
    pub fn residual_kwh(&self) -> f64 {
        self.reading_kwh - self.billed_kwh
    }

    /// Energy into the transformer: `true + technical + unmetered`.
    #[must_use]
    pub fn input_kwh(&self) -> f64 {
        self.true_kwh + self.technical_loss_kwh() + self.unmetered_kwh
    }

    /// The sum of two rows (e.g. the periods of a month).
    #[must_use]
    pub fn plus(&self, o: &BalanceRow) -> BalanceRow {
        BalanceRow {
            reading_kwh: self.reading_kwh + o.reading_kwh,
            billed_kwh: self.billed_kwh + o.billed_kwh,
            true_kwh: self.true_kwh + o.true_kwh,
            transformer_loss_kwh: self.transformer_loss_kwh + o.transformer_loss_kwh,
            line_loss_kwh: self.line_loss_kwh + o.line_loss_kwh,
            unmetered_kwh: self.unmetered_kwh + o.unmetered_kwh,
            meter_error_kwh: self.meter_error_kwh + o.meter_error_kwh,
        }
    }
}

/// One transformer's balance over the series, with its ghost load.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct TransformerBalance {
    /// The transformer.
    pub transformer_id: TransformerId,
    /// Its feeder.
    pub feeder_id: FeederId,
    /// One row per period of the series axis.
    pub rows: Vec<BalanceRow>,
    /// Its meters with a theft label.
    pub theft_meters: usize,
    /// Its meters with any anomaly label (theft or fault).
    pub anomalous_meters: usize,
    /// Energy drawn but not billed by its theft meters, kWh.
    pub stolen_kwh: f64,
    /// The transformer meter's ratio error (`reading / input − 1`).
    pub meter_error: f64,
    /// Highest loading over the series, per unit of the rating: the
    /// period's load at sub-daily resolutions, the peak estimated from the
    /// load factor otherwise.
    pub peak_loading: f64,
}

impl TransformerBalance {
    /// Whether its peak loading exceeds its rating.
    #[must_use]
    pub fn overloaded(&self) -> bool {
        self.peak_loading > 1.0
    }

    /// The sum of its rows.
    #[must_use]
    pub fn total(&self) -> BalanceRow {
        self.rows.iter().fold(BalanceRow::default(), |a, r| a.plus(r))
    }

    /// Non-technical loss over energy into the transformer, over the series (0 when it drew nothing).
    #[must_use]
    pub fn ntl_share(&self) -> f64 {
        ntl_share(&self.total())
    }

    /// Its rows summed per month of `axis` (the series axis): the billing periods.
    #[must_use]
    pub fn monthly(&self, axis: &TimeAxis) -> Vec<BalanceRow> {
        (0..axis.months())
            .map(|m| {
                self.rows[axis.month_range(m)]
                    .iter()
                    .fold(BalanceRow::default(), |a, r| a.plus(r))
            })
            .collect()
    }
}

/// Non-technical loss over input of a total (0 when nothing went in).
fn ntl_share(total: &BalanceRow) -> f64 {
    let input = total.input_kwh();
    if input > 0.0 {
        total.non_technical_loss_kwh() / input
    } else {
        0.0
    }
}

/// What a feeder-head meter read in one period, kWh.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct FeederRow {
    /// What the feeder-head meter read (1 Wh register).
    pub reading_kwh: f64,
    /// Σ energy into its transformers (truth).
    pub transformers_input_kwh: f64,
    /// Primary-line losses (truth).
    pub line_loss_kwh: f64,
    /// The feeder meter's error: `reading − (transformers_input + line_loss)` (truth).
    pub meter_error_kwh: f64,
}

/// One feeder's balance over the series.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct FeederBalance {
    /// The feeder.
    pub feeder_id: FeederId,
    /// Its transformers, in id order.
    pub transformers: Vec<TransformerId>,
    /// Trunk length: from its first transformer along the Hilbert order
    /// (the head) through the others, km.
    pub length_km: f64,
    /// One row per period of the series axis.
    pub rows: Vec<FeederRow>,
    /// The feeder meter's ratio error.
    pub meter_error: f64,
}

/// The energy balance of a dataset: every transformer's and, for a whole
/// dataset (not a shard), every feeder's.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct EnergyBalance {
    /// Per transformer, in id order.
    pub transformers: Vec<TransformerBalance>,
    /// Per feeder, in id order (empty for a shard).
    pub feeders: Vec<FeederBalance>,
}

impl EnergyBalance {
    /// The shares of feeder-head energy (technical losses, theft, ...) over
    /// the whole series.
    #[must_use]
    pub fn summary(&self) -> BalanceSummary {
        summarize(&self.transformers, &self.feeders)
    }
}

/// Shares of the energy entering the feeders, over the whole series.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct BalanceSummary {
    /// Energy at the feeder heads (truth: before the feeder meters' error), kWh;
    /// Σ transformer inputs when there are no feeders (a shard).
    pub input_kwh: f64,
    /// Technical losses (primary lines, transformers, secondary lines) over input.
    pub technical_loss_share: f64,
    /// Non-technical loss (drawn, not billed) over input.
    pub non_technical_loss_share: f64,
    /// Unmetered street lighting over input.
    pub unmetered_share: f64,
    /// Billed energy over input.
    pub billed_share: f64,
    /// Transformers whose peak loading exceeds their rating, with that loading, in id order.
    pub overloaded: Vec<(TransformerId, f64)>,
}

fn summarize(transformers: &[TransformerBalance], feeders: &[FeederBalance]) -> BalanceSummary {
    let mut tally = BalanceTally::default();
    for t in transformers {
        tally.add(t);
    }
    tally.summary(feeders)
}

/// What a transformer's map feature says about its ghost load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct GhostLoad {
    pub(crate) theft_meters: usize,
    pub(crate) anomalous_meters: usize,
    pub(crate) stolen_kwh: f64,
    pub(crate) ntl_share: f64,
    pub(crate) technical_loss_kwh: f64,
    pub(crate) peak_loading: f64,
}

impl GhostLoad {
    #[cfg_attr(not(feature = "geojson"), allow(dead_code))]
    pub(crate) fn of(t: &TransformerBalance) -> GhostLoad {
        Self::with_total(t, &t.total())
    }

    fn with_total(t: &TransformerBalance, total: &BalanceRow) -> GhostLoad {
        GhostLoad {
            theft_meters: t.theft_meters,
            anomalous_meters: t.anomalous_meters,
            stolen_kwh: t.stolen_kwh,
            ntl_share: ntl_share(total),
            technical_loss_kwh: total.technical_loss_kwh(),
            peak_loading: t.peak_loading,
        }
    }
}

/// Running totals of transformers' balances (O(transformers) memory): the
/// report's summary and the map's ghost load, for a streamed dataset.
#[derive(Debug, Clone, Default)]
pub(crate) struct BalanceTally {
    total: BalanceRow,
    overloaded: Vec<(TransformerId, f64)>,
    pub(crate) ghosts: Vec<GhostLoad>,
}

impl BalanceTally {
    pub(crate) fn add(&mut self, t: &TransformerBalance) {
        let total = t.total();
        self.total = self.total.plus(&total);
        if t.overloaded() {
            self.overloaded.push((t.transformer_id, t.peak_loading));
        }
        self.ghosts.push(GhostLoad::with_total(t, &total));
    }

    /// The shares of feeder-head energy, with the feeders' primary losses.
    pub(crate) fn summary(&self, feeders: &[FeederBalance]) -> BalanceSummary {
        let total = self.total;
        let primary: f64 = feeders.iter().flat_map(|f| &f.rows).map(|r| r.line_loss_kwh).sum();
        let input = total.input_kwh() + primary;
        let share = |v: f64| if input > 0.0 { v / input } else { 0.0 };
        BalanceSummary {
            input_kwh: input,
            technical_loss_share: share(total.technical_loss_kwh() + primary),
            non_technical_loss_share: share(total.non_technical_loss_kwh()),
            unmetered_share: share(total.unmetered_kwh),
            billed_share: share(total.billed_kwh),
            overloaded: self.overloaded.clone(),
        }
    }
}

/// Watt-hours per kWh.
const WH: f64 = 1000.0;

/// kWh per watt-hour.
const KWH_PER_WH: f64 = 0.001;

/// The sums of one transformer's meters seen so far, exact in watt-hours.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Partial {
    pub(crate) transformer: u32,
    pub(crate) meters: u32,
    pub(crate) theft_meters: u32,
    pub(crate) anomalous_meters: u32,
    /// Σ energy drawn, Wh, per period.
    pub(crate) true_wh: Vec<i64>,
    /// Σ drawn − billed, Wh, per period (empty: none yet).
    pub(crate) ntl_wh: Vec<i64>,
    /// Σ energy each meter drew over the series, Wh.
    pub(crate) energy_wh: i128,
    /// Σ energy each meter drew over the series × its distance to the transformer, Wh·dm.
    pub(crate) moment: i128,
    /// Σ drawn − billed of theft meters, Wh.
    pub(crate) stolen_wh: i64,
}

/// How a meter's kWh become whole watt-hours: as the monthly file rounds
/// them (2 decimals), or as interval registers hold them (multiples of 1 Wh).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantum {
    /// Monthly totals: rounded to 0.01 kWh exactly as written.
    Monthly,
    /// Interval readings: already whole Wh.
    Register,
}

/// `1.5 · 2⁵²`: adding it to a float below 2⁵¹ in magnitude leaves the
/// nearest integer in the low mantissa bits (a conversion that vectorises).
const ROUNDER: f64 = 6_755_399_441_055_744.0;

/// `kwh` in whole watt-hours (nearest, ties to even), as a float: what a
/// 1 Wh register shows. Valid below 2.2 · 10¹² kWh.
#[inline]
fn whole_wh(kwh: f64) -> f64 {
    (kwh * WH + ROUNDER) - ROUNDER
}

// The sums use wrapping arithmetic: exact (and so independent of the order
// of addition) for every value a valid dataset holds, and no panic on the
// garbage of a misbehaving model, which is reported after the chunk is summed.
impl Quantum {
    /// `kwh` in whole watt-hours as this quantum counts it.
    #[inline]
    pub(crate) fn wh(self, kwh: f64) -> i64 {
        match self {
            // To 0.01 kWh as the file writes it: the nearest hundredth of the
            // binary value (ties to even), which is the file's digit except
            // for a value within ~10⁻¹³ relative of a tie.
            Quantum::Monthly => ((kwh * 100.0 + ROUNDER).to_bits() as i64)
                .wrapping_sub(ROUNDER.to_bits() as i64)
                .wrapping_mul(10),
            // Whole multiples of 1 Wh (below 2.2 · 10¹² kWh, far above `max_kwh`'s limit).
            Quantum::Register => ((kwh * WH + ROUNDER).to_bits() as i64).wrapping_sub(ROUNDER.to_bits() as i64),
        }
    }

    /// Adds `values` (kWh) to `sums` (Wh) and returns their total, Wh.
    pub(crate) fn add(self, sums: &mut [i64], values: &[f64]) -> i64 {
        let mut total = 0;
        // One loop per quantum, so that the register's loop vectorises.
        match self {
            Quantum::Monthly => {
                for (s, &v) in sums.iter_mut().zip(values) {
                    let wh = Quantum::Monthly.wh(v);
                    *s = s.wrapping_add(wh);
                    total = wh.wrapping_add(total);
                }
            }
            Quantum::Register => {
                for (s, &v) in sums.iter_mut().zip(values) {
                    let wh = Quantum::Register.wh(v);
                    *s = s.wrapping_add(wh);
                    total = wh.wrapping_add(total);
                }
            }
        }
        total
    }
}

impl Partial {
    pub(crate) fn new(transformer: u32, periods: usize) -> Partial {
        Partial {
            transformer,
            meters: 0,
            theft_meters: 0,
            anomalous_meters: 0,
            true_wh: vec![0; periods],
            ntl_wh: Vec::new(),
            energy_wh: 0,
            moment: 0,
            stolen_wh: 0,
        }
    }

    /// Adds one meter: `billed` as its register recorded it, `truth` the
    /// energy it drew when that differs (an anomaly), `distance_dm` its
    /// distance to the transformer in decimetres.
    pub(crate) fn add_meter(
        &mut self,
        quantum: Quantum,
        billed: &[f64],
        truth: Option<(&[f64], bool)>,
        distance_dm: i64,
    ) {
        self.meters += 1;
        let drawn = truth.map_or(billed, |(t, _)| t);
        let energy = i128::from(quantum.add(&mut self.true_wh, drawn));
        self.energy_wh = self.energy_wh.wrapping_add(energy);
        self.moment = self.moment.wrapping_add(energy.wrapping_mul(i128::from(distance_dm)));
        if let Some((drawn, is_theft)) = truth {
            self.anomalous_meters += 1;
            if self.ntl_wh.is_empty() {
                self.ntl_wh = vec![0; self.true_wh.len()];
            }
            let mut lost = 0;
            for ((ntl, &t), &b) in self.ntl_wh.iter_mut().zip(drawn).zip(billed) {
                let d = quantum.wh(t).wrapping_sub(quantum.wh(b));
                *ntl = ntl.wrapping_add(d);
                lost = d.wrapping_add(lost);
            }
            if is_theft {
                self.theft_meters += 1;
                self.stolen_wh = self.stolen_wh.wrapping_add(lost);
            }
        }
    }

    /// Adds another partial of the same transformer.
    pub(crate) fn merge(&mut self, o: Partial) {
        self.meters += o.meters;
        self.theft_meters += o.theft_meters;
        self.anomalous_meters += o.anomalous_meters;
        self.stolen_wh = self.stolen_wh.wrapping_add(o.stolen_wh);
        self.energy_wh = self.energy_wh.wrapping_add(o.energy_wh);
        self.moment = self.moment.wrapping_add(o.moment);
        add_into(&mut self.true_wh, &o.true_wh);
        if self.ntl_wh.is_empty() {
            self.ntl_wh = o.ntl_wh;
        } else {
            add_into(&mut self.ntl_wh, &o.ntl_wh);
        }
    }
}

fn add_into(a: &mut [i64], b: &[i64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.wrapping_add(*y);
    }
}

/// Appends `p` to `partials`, merging it into the last one when both are the same transformer's.
pub(crate) fn push_partial(partials: &mut Vec<Partial>, p: Partial) {
    match partials.last_mut() {
        Some(last) if last.transformer == p.transformer => last.merge(p),
        _ => partials.push(p),
    }
}

/// Metres per degree of longitude at latitude `lat` (degrees).
pub(crate) fn metres_per_lon_degree(lat: f64) -> f64 {
    METRES_PER_DEGREE * lat.to_radians().cos()
}

/// Distance from `meter` to `transformer` on the local plane, decimetres
/// (rounded), given [`metres_per_lon_degree`] at the transformer.
#[inline]
pub(crate) fn distance_dm(meter: GeoPoint, transformer: GeoPoint, lon_metres: f64) -> i64 {
    let dy = (meter.lat - transformer.lat) * METRES_PER_DEGREE;
    let dx = (meter.lon - transformer.lon) * lon_metres;
    // Non-negative: + 0.5 and truncation round to nearest.
    ((dx * dx + dy * dy).sqrt() * 10.0 + 0.5) as i64
}

/// `κ = E[min(d_j, d_l)] / E[d]` for two meters scattered around their
/// transformer. A radial line's losses are `R · Σ_j Σ_l I_j · I_l · min(d_j, d_l)`
/// (the stretch up to the nearer of two meters carries both currents); with
/// meters placed independently that is `≈ κ · R · I_total · Σ_j I_j·d_j`,
/// and with each meter's share of the current taken as its share of the
/// energy over the series, `κ · R · I_total² · d̄` where `d̄` is the
/// energy-weighted mean distance of the transformer's meters.
/// Meters lie at a circular Gaussian offset from their transformer, so `d`
/// is Rayleigh(σ) and the nearer of two is Rayleigh(σ/√2): `κ = 1/√2`.
const SHARED_PATH: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// Street lights burn from 18:00 to 06:00 local time (12 h a night).
fn lamp_hours(axis: &TimeAxis, i: usize) -> f64 {
    match axis.intervals_per_day() {
        None => 12.0 * axis.hours(i) / 24.0,
        Some(1) => 12.0,
        Some(per_day) => {
            let hour = (i % per_day) as f64 * 24.0 / per_day as f64;
            if !(6.0..18.0).contains(&hour) {
                axis.hours(i)
            } else {
                0.0
            }
        }
    }
}

/// The transformers whose balance the meters `range` own: those whose first
/// meter is in the range (a shard completes its last one with the meters
/// after it, and leaves its first one, begun before it, to the shard before).
pub(crate) fn owned_transformers(network: &Network, range: &Range<usize>) -> Range<usize> {
    let alloc = &network.allocation;
    let first_owned = |m: usize| {
        if m >= alloc.meters() {
            network.transformers.len()
        } else {
            let t = alloc.transformer_of(m).index() as usize;
            if alloc.range(t).start < m { t + 1 } else { t }
        }
    };
    first_owned(range.start)..first_owned(range.end)
}

/// Turns the exact sums of each transformer's meters into its balance, and
/// those into the feeders' balances. Fed partials in transformer order.
#[derive(Debug)]
pub(crate) struct BalanceBuilder<'a> {
    config: BalanceConfig,
    network: &'a Network,
    /// Hours, street-light kWh and peak factor per period.
    hours: Vec<f64>,
    lamps_kwh: Vec<f64>,
    peak: Vec<f64>,
    /// `1 / hours` per period.
    per_hour: Vec<f64>,
    /// Peak over average load per period: 1 sub-daily, `1 / LF` otherwise.
    peak_over_mean: Vec<f64>,
    bounds: GeoBounds,
    /// Transformers whose balance this builder owns (those whose first meter is in its range).
    owned: Range<usize>,
    open: Option<Partial>,
    done: Vec<TransformerBalance>,
    /// Σ transformer inputs per feeder and period (only for a whole dataset).
    feeder_input: Option<Vec<Vec<f64>>>,
    streams: Streams,
}

impl<'a> BalanceBuilder<'a> {
    /// A builder for the meters `range` of a dataset on `axis` (the series axis).
    pub(crate) fn new(
        config: BalanceConfig,
        (bounds, seed): (GeoBounds, u64),
        network: &'a Network,
        axis: &TimeAxis,
        range: Range<usize>,
    ) -> BalanceBuilder<'a> {
        let periods = axis.len();
        let hours: Vec<f64> = (0..periods).map(|i| axis.hours(i)).collect();
        let lamps_w = f64::from(config.streetlights_per_transformer) * config.streetlight_w;
        let lamps_kwh = (0..periods).map(|i| lamps_w * lamp_hours(axis, i) / WH).collect();
        let peak = hours.iter().map(|&h| config.peak_factor(h)).collect();
        let per_hour = hours.iter().map(|&h| 1.0 / h).collect();
        let peak_over_mean = hours
            .iter()
            .map(|&h| if h < 24.0 { 1.0 } else { 1.0 / config.load_factor })
            .collect();
        let owned = owned_transformers(network, &range);
        let whole = range.start == 0 && range.end >= network.allocation.meters();
        let feeders = network.feeder_count();
        BalanceBuilder {
            config,
            network,
            hours,
            lamps_kwh,
            peak,
            per_hour,
            peak_over_mean,
            bounds,
            owned,
            open: None,
            done: Vec::new(),
            feeder_input: whole.then(|| vec![Vec::new(); feeders]),
            streams: Streams::new(seed),
        }
    }

    /// The meters beyond the range whose transformer this builder owns: the
    /// rest of the last transformer, which a shard generates for its balance only.
    pub(crate) fn tail(&self, range_end: usize) -> Range<usize> {
        match self.owned.end.checked_sub(1) {
            Some(last) if self.owned.start < self.owned.end => {
                range_end..self.network.allocation.range(last).end.max(range_end)
            }
            _ => range_end..range_end,
        }
    }

    /// Adds the partials of the next meters (in meter order); transformers
    /// whose meters are all in are finished and returned.
    pub(crate) fn add(&mut self, partials: Vec<Partial>) -> Vec<TransformerBalance> {
        let mut complete = Vec::new();
        for p in partials {
            if !self.owned.contains(&(p.transformer as usize)) {
                continue;
            }
            let p = match self.open.take() {
                Some(mut open) if open.transformer == p.transformer => {
                    open.merge(p);
                    open
                }
                Some(open) => {
                    // Cannot happen when partials come in meter order; finish what we have.
                    complete.push(open);
                    p
                }
                None => p,
            };
            if p.meters as usize >= self.network.allocation.count(p.transformer as usize) {
                complete.push(p);
            } else {
                self.open = Some(p);
            }
        }
        self.finish_all(complete)
    }

    /// Balances complete transformers (in parallel with the `parallel`
    /// feature; each depends only on its own sums), then adds their inputs
    /// to their feeders in transformer order.
    fn finish_all(&mut self, complete: Vec<Partial>) -> Vec<TransformerBalance> {
        let this = &*self;
        #[cfg(feature = "parallel")]
        let finished: Vec<TransformerBalance> = {
            use rayon::prelude::*;
            complete.into_par_iter().map(|p| this.balance_of(&p)).collect()
        };
        #[cfg(not(feature = "parallel"))]
        let finished: Vec<TransformerBalance> = complete.into_iter().map(|p| this.balance_of(&p)).collect();
        if let Some(inputs) = &mut self.feeder_input {
            for t in &finished {
                let sums = &mut inputs[t.feeder_id.index() as usize];
                if sums.is_empty() {
                    sums.resize(t.rows.len(), 0.0);
                }
                for (s, r) in sums.iter_mut().zip(&t.rows) {
                    *s += r.input_kwh();
                }
            }
        }
        finished
    }

    /// Adds the partials and keeps the finished transformers (for an in-memory dataset).
    pub(crate) fn collect(&mut self, partials: Vec<Partial>) {
        let done = self.add(partials);
        self.done.extend(done);
    }

    /// The feeders' balances (none unless the builder saw the whole
    /// dataset), and the transformers kept by [`collect`](Self::collect).
    pub(crate) fn finish(mut self) -> EnergyBalance {
        if let Some(open) = self.open.take() {
            let t = self.finish_all(vec![open]);
            self.done.extend(t);
        }
        let feeders = match self.feeder_input.take() {
            Some(inputs) => self.feeders(inputs),
            None => Vec::new(),
        };
        EnergyBalance {
            transformers: self.done,
            feeders,
        }
    }

    fn meter_error(&self, purpose_index: u64, class: f64) -> f64 {
        let mut rng = self.streams.stream(Purpose::MeterError, purpose_index);
        if class > 0.0 {
            rng.random_range(-class..=class) / 100.0
        } else {
            0.0
        }
    }

    /// The balance of a transformer from the sums of all its meters.
    fn balance_of(&self, p: &Partial) -> TransformerBalance {
        let c = self.config;
        let t = &self.network.transformers[p.transformer as usize];
        let (p_nl, p_ll) = transformer_losses_w(t.capacity_kva);
        let error = self.meter_error(u64::from(p.transformer), c.transformer_meter_class);
        // Current per kW at the secondary voltage, A/kW.
        let amps_per_kw = WH / (c.secondary_voltage_v * c.power_factor);
        // Loop resistance (two conductors), Ω/m, shared by the circuits, over
        // the energy-weighted mean distance of the meters: Ω.
        let mean_distance_m = if p.energy_wh > 0 {
            (p.moment as f64 / p.energy_wh as f64) / 10.0
        } else {
            0.0
        };
        let r = 2.0 * c.secondary_ohm_per_km / WH * SHARED_PATH / f64::from(c.secondary_circuits) * mean_distance_m;
        // Per period, with the divisions hoisted out of the loop:
        // line = r · I² · h · F / 1000 with I = E / h · A/kW, so
        // line = (r · (A/kW)² / 1000) · E² · F / h; and loading = load / h / (pf · S_r).
        let line_per_kwh2 = r * amps_per_kw * amps_per_kw / WH;
        let per_rating = 1.0 / (c.power_factor * t.capacity_kva);
        let (no_load_kw, load_loss_kw) = (p_nl / WH, p_ll / WH);
        let mut peak_loading: f64 = 0.0;
        let rows: Vec<BalanceRow> = (0..self.hours.len())
            .map(|i| {
                let (h, per_h, f) = (self.hours[i], self.per_hour[i], self.peak[i]);
                let true_kwh = p.true_wh[i] as f64 * KWH_PER_WH;
                let ntl = p.ntl_wh.get(i).map_or(0.0, |&n| n as f64 * KWH_PER_WH);
                let line = line_per_kwh2 * true_kwh * true_kwh * f * per_h;
                let unmetered = self.lamps_kwh[i];
                let load = true_kwh + line + unmetered;
                let loading = load * per_h * per_rating;
                peak_loading = peak_loading.max(loading * self.peak_over_mean[i]);
                let trafo = (no_load_kw + load_loss_kw * loading * loading * f) * h;
                let input = load + trafo;
                let reading = whole_wh(input * (1.0 + error)) / WH;
                BalanceRow {
                    reading_kwh: reading,
                    billed_kwh: true_kwh - ntl,
                    true_kwh,
                    transformer_loss_kwh: trafo,
                    line_loss_kwh: line,
                    unmetered_kwh: unmetered,
                    meter_error_kwh: reading - input,
                }
            })
            .collect();
        TransformerBalance {
            transformer_id: t.id,
            feeder_id: t.feeder_id,
            rows,
            theft_meters: p.theft_meters as usize,
            anomalous_meters: p.anomalous_meters as usize,
            stolen_kwh: p.stolen_wh as f64 / WH,
            meter_error: error,
            peak_loading,
        }
    }

    fn feeders(&mut self, inputs: Vec<Vec<f64>>) -> Vec<FeederBalance> {
        let c = self.config;
        let mut members: Vec<Vec<&Transformer>> = vec![Vec::new(); inputs.len()];
        for t in &self.network.transformers {
            members[t.feeder_id.index() as usize].push(t);
        }
        // Amps per kVA on a three-phase primary: I = S / (√3 · V).
        let amps_per_kw = 1.0 / (3f64.sqrt() * c.primary_voltage_kv * c.power_factor);
        let mut out = Vec::with_capacity(inputs.len());
        for (f, sums) in inputs.into_iter().enumerate() {
            let ts = &members[f];
            let length_km = trunk_length_m(&self.bounds, ts) / WH;
            let error = self.meter_error((1 << 40) + f as u64, c.feeder_meter_class);
            // Load spread along the trunk: losses as at one third of its length, on three phases.
            let r = c.primary_ohm_per_km * length_km / 3.0 * 3.0;
            let rows = sums
                .iter()
                .enumerate()
                .map(|(i, &input)| {
                    let h = self.hours[i];
                    let amps = input / h * amps_per_kw;
                    let line = r * amps * amps * h * self.peak[i] / WH;
                    let exact = input + line;
                    let reading = whole_wh(exact * (1.0 + error)) / WH;
                    FeederRow {
                        reading_kwh: reading,
                        transformers_input_kwh: input,
                        line_loss_kwh: line,
                        meter_error_kwh: reading - exact,
                    }
                })
                .collect();
            out.push(FeederBalance {
                feeder_id: FeederId::from_index(f as u32),
                transformers: ts.iter().map(|t| t.id).collect(),
                length_km,
                rows,
                meter_error: error,
            });
        }
        out
    }
}

/// The trunk of a feeder: from its transformer first along the Hilbert
/// curve through the others in curve order, metres.
fn trunk_length_m(bounds: &GeoBounds, members: &[&Transformer]) -> f64 {
    let mut order: Vec<(u64, GeoPoint)> = members
        .iter()
        .map(|t| (crate::feeder::hilbert_index(&t.point(), bounds), t.point()))
        .collect();
    order.sort_by_key(|&(k, _)| k);
    order
        .windows(2)
        .map(|w| distance_dm(w[1].1, w[0].1, metres_per_lon_degree(w[0].1.lat)) as f64 / 10.0)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Resolution, YearMonth};

    #[test]
    fn losses_reproduce_the_doe_efficiency_at_half_load_and_peak_there() {
        for (kva, eta) in DOE_EFFICIENCY_PCT {
            let (nl, ll) = transformer_losses_w(kva);
            let efficiency = |x: f64| {
                let out = x * kva * WH;
                out / (out + nl + ll * x * x)
            };
            assert!((100.0 * efficiency(0.5) - eta).abs() < 1e-9, "{kva} kVA");
            assert!(efficiency(0.5) > efficiency(0.45) && efficiency(0.5) > efficiency(0.55));
        }
        // Between ratings: the nearest one's, scaled by the ¾ power.
        let (nl, _) = transformer_losses_w(30.0);
        assert!((nl - transformer_losses_w(25.0).0 * 1.2f64.powf(0.75)).abs() < 1e-9);
    }

    #[test]
    fn street_lights_burn_twelve_hours_a_day_at_every_resolution() {
        let start = YearMonth::new(2024, 2).unwrap();
        for res in [
            Resolution::Monthly,
            Resolution::Daily,
            Resolution::Hourly,
            Resolution::FifteenMinutes,
        ] {
            let axis = TimeAxis::new(start, 1, res).unwrap();
            let hours: f64 = (0..axis.len()).map(|i| lamp_hours(&axis, i)).sum();
            assert!((hours - 12.0 * 29.0).abs() < 1e-9, "{res:?}: {hours}");
        }
        let quarter = TimeAxis::new(start, 1, Resolution::FifteenMinutes).unwrap();
        assert_eq!(lamp_hours(&quarter, 23), 0.25); // 05:45
        assert_eq!(lamp_hours(&quarter, 24), 0.0); // 06:00
        assert_eq!(lamp_hours(&quarter, 72), 0.25); // 18:00
    }

    #[test]
    fn partial_sums_do_not_depend_on_how_meters_are_grouped() {
        let meters: Vec<(Vec<f64>, Option<Vec<f64>>, i64)> = (0..7)
            .map(|m| {
                let billed: Vec<f64> = (0..5).map(|p| f64::from(m * 13 + p) * 1.237).collect();
                let truth = (m % 3 == 0).then(|| billed.iter().map(|v| v * 1.5).collect());
                (billed, truth, i64::from(m) * 97)
            })
            .collect();
        let add = |p: &mut Partial, (b, t, d): &(Vec<f64>, Option<Vec<f64>>, i64)| {
            p.add_meter(Quantum::Monthly, b, t.as_deref().map(|t| (t, true)), *d);
        };
        let mut one = Partial::new(0, 5);
        meters.iter().for_each(|m| add(&mut one, m));
        let mut parts = Vec::new();
        for group in meters.chunks(3) {
            let mut p = Partial::new(0, 5);
            group.iter().for_each(|m| add(&mut p, m));
            push_partial(&mut parts, p);
        }
        assert_eq!(parts, vec![one.clone()]);
        assert_eq!(one.meters, 7);
        assert_eq!(one.theft_meters, 3);
        assert!(one.stolen_wh > 0);
    }

    #[test]
    fn distances_are_on_the_local_plane() {
        let dt = GeoPoint { lat: 14.5, lon: 121.0 };
        let north = GeoPoint {
            lat: 14.5 + 100.0 / METRES_PER_DEGREE,
            lon: 121.0,
        };
        let lon_metres = metres_per_lon_degree(dt.lat);
        assert_eq!(distance_dm(north, dt, lon_metres), 1000);
        let east = GeoPoint {
            lat: 14.5,
            lon: 121.0 + 100.0 / (METRES_PER_DEGREE * 14.5f64.to_radians().cos()),
        };
        assert_eq!(distance_dm(east, dt, lon_metres), 1000);
    }
}
