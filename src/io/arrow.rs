//! The dataset's tables as Arrow record batches (feature `arrow`): see [`ArrowTables`].

use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array, Int64Array, RecordBatch,
    StringArray, TimestampMillisecondArray,
};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};

use super::fmt::{COORD_DECIMALS, KVA_DECIMALS, KWH_DECIMALS, SEVERITY_DECIMALS, write_padded};
use crate::balance::{BalanceRow, TransformerBalance};
use crate::batch::MeterBatch;
use crate::calendar::Date;
use crate::decimal::{round_slice, rounded};
use crate::error::IoError;
use crate::model::{AnomalyLabel, CustomerClass, Event, RiskBand};
use crate::pipeline::Pipeline;
use crate::time::{Resolution, TimeAxis};

/// Decimals of the energy balance's kWh values (as `energy_balance.csv`).
const BALANCE_DECIMALS: usize = 3;

/// One of the dataset's tables (see [`ArrowTables`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArrowTable {
    /// `transformers.csv`: one row per transformer.
    Transformers,
    /// The meters' attributes: `meter_id, transformer_id, customer_class,
    /// barangay, lat, lon, kVA`.
    Meters,
    /// The consumption matrix: `meter_id`, then one
    /// `monthly_consumption_YYYYMM` column per month (the columns of
    /// `meter_consumption.csv` after the meter's attributes).
    Consumption,
    /// The monthly consumption in long form: `meter_id, month, kwh`.
    ConsumptionLong,
    /// The interval readings (`meter_id, timestamp, kwh`, `kwh` null when
    /// missing); interval resolutions only.
    Readings,
    /// `anomaly_labels.csv`: one row per anomalous meter.
    Labels,
    /// `events.csv`: every event, anomalous or benign.
    Events,
    /// `energy_balance.csv`: one row per transformer and month.
    EnergyBalance,
}

impl ArrowTable {
    /// Every table, in the order above.
    pub const ALL: [ArrowTable; 8] = [
        ArrowTable::Transformers,
        ArrowTable::Meters,
        ArrowTable::Consumption,
        ArrowTable::ConsumptionLong,
        ArrowTable::Readings,
        ArrowTable::Labels,
        ArrowTable::Events,
        ArrowTable::EnergyBalance,
    ];

    /// Its name: `transformers`, `meters`, `consumption`, `consumption_long`,
    /// `readings`, `labels`, `events`, `energy_balance`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            ArrowTable::Transformers => "transformers",
            ArrowTable::Meters => "meters",
            ArrowTable::Consumption => "consumption",
            ArrowTable::ConsumptionLong => "consumption_long",
            ArrowTable::Readings => "readings",
            ArrowTable::Labels => "labels",
            ArrowTable::Events => "events",
            ArrowTable::EnergyBalance => "energy_balance",
        }
    }

    /// Whether it has rows per meter, built from [`MeterBatch`]es by
    /// [`ArrowTables::batch`] (all but the transformers and the energy balance).
    #[must_use]
    pub const fn is_per_meter(self) -> bool {
        !matches!(self, ArrowTable::Transformers | ArrowTable::EnergyBalance)
    }
}

impl std::fmt::Display for ArrowTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ArrowTable {
    type Err = IoError;

    /// Parses a [name](ArrowTable::name).
    fn from_str(s: &str) -> Result<Self, IoError> {
        ArrowTable::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| IoError::UnsupportedOption {
                option: "table",
                value: format!("{s:?}"),
                reason: format!(
                    "no such table; allowed: {}",
                    ArrowTable::ALL.map(ArrowTable::name).join(", ")
                ),
            })
    }
}

/// The dataset's tables as Arrow record batches (feature `arrow`), for
/// in-memory analysis and for the Python binding, which hands them to
/// pyarrow, polars and DuckDB through the Arrow C data interface.
///
/// Every table has the columns of its file, in the same order and with the
/// same values (numbers rounded to the decimals the file prints, so a value
/// read from the CSV equals the Arrow one), typed rather than text:
///
/// | Table | File | One row per |
/// |---|---|---|
/// | [`ArrowTable::Transformers`] | `transformers.csv` | transformer |
/// | [`ArrowTable::Meters`] | the first seven columns of `meter_consumption.csv` | meter |
/// | [`ArrowTable::Consumption`] | `meter_id` and the consumption columns of `meter_consumption.csv` (wide) | meter |
/// | [`ArrowTable::ConsumptionLong`] | – | meter and month |
/// | [`ArrowTable::Readings`] | `meter_readings/` (interval resolutions) | meter and interval |
/// | [`ArrowTable::Labels`] | `anomaly_labels.csv` | anomalous meter |
/// | [`ArrowTable::Events`] | `events.csv` | event |
/// | [`ArrowTable::EnergyBalance`] | `energy_balance.csv` | transformer and month |
///
/// Types: ids and names are `Utf8`; the customer class, the barangay and the
/// risk band are `Dictionary(Int32, Utf8)` with the same dictionary in every
/// batch (all classes, all barangays, all bands); the long tables'
/// `meter_id` is `Dictionary(Int32, Utf8)` holding the batch's meters, as in
/// the Parquet readings. Flags (`anomaly_flag`, `is_theft`) are `Boolean`.
/// A label's or event's `onset` and `end` are `Int32` `YYYYMM` at monthly
/// resolution (as in the CSV), `Date32` at daily and `Timestamp(ms, zone)`
/// at hourly and 15-minute resolution; months of the long tables are the
/// month's first day as `Date32`.
///
/// `meter_consumption.csv` is the meter table joined with the wide
/// consumption table on `meter_id`: the wide table is the consumption matrix
/// keyed by meter, ready as a feature matrix, and holds nothing else (its
/// `meter_id` array is the meter table's, shared, not copied).
///
/// The meter tables are built batch by batch ([`ArrowTables::batch`]), so a
/// dataset of any size can be converted in bounded memory, on the
/// pipeline's worker threads.
///
/// ```
/// use ghostload::io::{ArrowTable, ArrowTables};
/// use ghostload::{GeneratorConfig, Pipeline};
///
/// let pipeline = Pipeline::builder().config(GeneratorConfig::default()).build()?;
/// let tables = ArrowTables::new(&pipeline);
/// let batch = pipeline.generate_batch(0..100)?;
/// let wide = tables.batch(ArrowTable::Consumption, &batch)?;
/// assert_eq!(wide.num_rows(), 100);
/// assert_eq!(wide.num_columns(), 1 + pipeline.config().num_months);
/// assert_eq!(wide.schema().field(0).name(), "meter_id");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Builds the schemas once, then one record batch per [`MeterBatch`] (or
/// per list of transformer balances).
#[derive(Debug, Clone)]
pub struct ArrowTables {
    /// The monthly axis (the wide table's columns, the long table's months).
    axis: TimeAxis,
    /// The series axis (labels' and events' periods, the readings).
    series: TimeAxis,
    /// The time zone as written in the configuration.
    timezone: Arc<str>,
    /// Every barangay's name, in id order (the barangay dictionary).
    barangays: ArrayRef,
    /// Every class's name (the class dictionary).
    classes: ArrayRef,
    /// Every risk band's name (the band dictionary).
    bands: ArrayRef,
    /// The transformer table (small: built once).
    transformers: RecordBatch,
    /// The feeder of each transformer, by transformer index.
    feeders: Vec<u64>,
    /// The pipeline's worker threads (the wide table is transposed there).
    pool: crate::pipeline::ThreadPool,
}

impl ArrowTables {
    /// The tables of `pipeline`'s dataset.
    #[must_use]
    pub fn new(pipeline: &Pipeline) -> Self {
        let network = pipeline.network();
        let barangays: ArrayRef = Arc::new(StringArray::from_iter_values(
            network.barangays().iter().map(|b| b.name.as_str()),
        ));
        let transformers = network.transformers();
        let feeders = transformers.iter().map(|t| t.feeder_id.number()).collect();
        let tx_barangay: Vec<i32> = transformers.iter().map(|t| t.barangay.index() as i32).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ids("TX_", 4, transformers.iter().map(|t| t.id.number()))),
            Arc::new(ids("FDR_", 2, transformers.iter().map(|t| t.feeder_id.number()))),
            Arc::new(StringArray::from_iter_values(tx_barangay.iter().map(|&b| {
                network.barangays().get(b as usize).map_or("", |b| b.name.as_str())
            }))),
            Arc::new(Float64Array::from_iter_values(
                transformers.iter().map(|t| rounded(t.lat, COORD_DECIMALS)),
            )),
            Arc::new(Float64Array::from_iter_values(
                transformers.iter().map(|t| rounded(t.lon, COORD_DECIMALS)),
            )),
            Arc::new(Float64Array::from_iter_values(
                transformers.iter().map(|t| rounded(t.capacity_kva, KVA_DECIMALS)),
            )),
            Arc::new(Int64Array::from_iter_values(
                transformers.iter().map(|t| t.num_meters as i64),
            )),
        ];
        let config = pipeline.config();
        let mut tables = ArrowTables {
            axis: *pipeline.axis(),
            series: *pipeline.series_axis(),
            timezone: config.timezone.to_string().into(),
            barangays,
            classes: Arc::new(StringArray::from_iter_values(
                CustomerClass::ALL.map(CustomerClass::as_str),
            )),
            bands: Arc::new(StringArray::from_iter_values(RiskBand::ALL.map(RiskBand::as_str))),
            transformers: RecordBatch::new_empty(Arc::new(Schema::empty())),
            feeders,
            pool: pipeline.pool(),
        };
        // The columns above match the schema by construction; an empty table
        // stands in should they ever not (the tests build every schema).
        tables.transformers = RecordBatch::try_new(tables.schema(ArrowTable::Transformers), columns)
            .unwrap_or_else(|_| RecordBatch::new_empty(tables.schema(ArrowTable::Transformers)));
        tables
    }

    /// The transformer table.
    #[must_use]
    pub fn transformers(&self) -> &RecordBatch {
        &self.transformers
    }

    /// The schema of `table`.
    #[must_use]
    pub fn schema(&self, table: ArrowTable) -> SchemaRef {
        let utf8 = |name: &str| Field::new(name, DataType::Utf8, false);
        let f64 = |name: &str, nullable: bool| Field::new(name, DataType::Float64, nullable);
        let dict = |name: &str| Field::new(name, dictionary(), false);
        let meters = || {
            vec![
                utf8("meter_id"),
                utf8("transformer_id"),
                dict("customer_class"),
                dict("barangay"),
                f64("lat", false),
                f64("lon", false),
                f64("kVA", false),
            ]
        };
        let fields = match table {
            ArrowTable::Transformers => vec![
                utf8("transformer_id"),
                utf8("feeder_id"),
                utf8("barangay"),
                f64("lat", false),
                f64("lon", false),
                f64("capacity_kVA", false),
                Field::new("num_meters", DataType::Int64, false),
            ],
            ArrowTable::Meters => meters(),
            ArrowTable::Consumption => {
                let mut fields = vec![utf8("meter_id")];
                fields.extend(
                    (0..self.axis.len())
                        .map(|m| f64(&format!("monthly_consumption_{}", self.axis.month(m).compact()), false)),
                );
                fields
            }
            ArrowTable::ConsumptionLong => vec![
                Field::new("meter_id", dictionary(), false),
                Field::new("month", DataType::Date32, false),
                f64("kwh", false),
            ],
            ArrowTable::Readings => vec![
                Field::new("meter_id", dictionary(), false),
                Field::new(
                    "timestamp",
                    DataType::Timestamp(TimeUnit::Millisecond, Some(self.timezone.to_string().into())),
                    false,
                ),
                f64("kwh", true),
            ],
            ArrowTable::Labels => vec![
                utf8("meter_id"),
                Field::new("anomaly_flag", DataType::Boolean, false),
                dict("risk_band"),
                utf8("anomaly_type"),
                Field::new("onset", self.period_type(), false),
                f64("severity", false),
                Field::new("end", self.period_type(), true),
                Field::new("is_theft", DataType::Boolean, false),
            ],
            ArrowTable::Events => vec![
                utf8("meter_id"),
                utf8("event_type"),
                Field::new("is_theft", DataType::Boolean, false),
                Field::new("onset", self.period_type(), false),
                Field::new("end", self.period_type(), true),
                f64("severity", false),
                Field::new("anomaly_flag", DataType::Boolean, false),
            ],
            ArrowTable::EnergyBalance => {
                let mut fields = vec![
                    utf8("transformer_id"),
                    utf8("feeder_id"),
                    Field::new("month", DataType::Date32, false),
                ];
                fields.extend(BalanceRow::FILE_COLUMNS.iter().map(|name| f64(name, false)));
                fields.push(Field::new("theft_meters", DataType::Int64, false));
                fields.push(Field::new("anomalous_meters", DataType::Int64, false));
                fields
            }
        };
        Arc::new(Schema::new(fields))
    }

    /// The Arrow type of a label's or event's period.
    fn period_type(&self) -> DataType {
        match self.series.resolution() {
            Resolution::Monthly => DataType::Int32,
            Resolution::Daily => DataType::Date32,
            _ => DataType::Timestamp(TimeUnit::Millisecond, Some(self.timezone.to_string().into())),
        }
    }

    /// The rows of `table` for the meters of `batch`.
    ///
    /// # Errors
    /// [`IoError::UnsupportedOption`] for a table that is not per meter
    /// ([`ArrowTable::is_per_meter`]) or for the readings of a monthly
    /// dataset; [`IoError::Arrow`] if Arrow rejects the columns (a bug).
    pub fn batch(&self, table: ArrowTable, batch: &MeterBatch) -> Result<RecordBatch, IoError> {
        let mut out = self.batches(&[table], batch)?;
        out.pop().ok_or(IoError::Arrow {
            table: table.name(),
            reason: "no table was built".into(),
        })
    }

    /// The rows of each of `tables` for the meters of `batch`, in the order
    /// asked. The meter attributes are built once: the meter table and the
    /// wide consumption table share the `meter_id` array (reference-counted).
    ///
    /// # Errors
    /// As [`batch`](Self::batch), for the first table that fails.
    pub fn batches(&self, tables: &[ArrowTable], batch: &MeterBatch) -> Result<Vec<RecordBatch>, IoError> {
        let mut meters: Option<Vec<ArrayRef>> = None;
        let mut ids: Option<ArrayRef> = None;
        // The wide table alone needs only the ids: the other attributes are not built.
        let attributes = tables.contains(&ArrowTable::Meters);
        let mut meter_columns = |this: &Self| -> Vec<ArrayRef> {
            if attributes {
                meters.get_or_insert_with(|| this.meter_columns(batch)).clone()
            } else {
                vec![Arc::clone(ids.get_or_insert_with(|| batch_meter_ids(batch)))]
            }
        };
        let mut out = Vec::with_capacity(tables.len());
        for &table in tables {
            let columns = match table {
                ArrowTable::Meters => meter_columns(self),
                ArrowTable::Consumption => {
                    let mut columns = meter_columns(self);
                    columns.truncate(1);
                    columns.extend(self.pool.install(|| consumption_columns(batch)));
                    columns
                }
                ArrowTable::ConsumptionLong => self.long_columns(batch),
                ArrowTable::Readings => self.readings_columns(batch)?,
                ArrowTable::Labels => self.label_columns(batch.labels()),
                ArrowTable::Events => self.event_columns(batch.events()),
                ArrowTable::Transformers | ArrowTable::EnergyBalance => {
                    return Err(IoError::UnsupportedOption {
                        option: "table",
                        value: table.name().to_owned(),
                        reason: "it has no rows per meter; allowed: meters, consumption, consumption_long, readings, labels, events".into(),
                    });
                }
            };
            out.push(self.record_batch(table, columns)?);
        }
        Ok(out)
    }

    /// A builder of the wide consumption table of meters `range` as one
    /// record batch ([`ConsumptionBuilder`]).
    #[must_use]
    pub fn consumption_builder(&self, range: Range<usize>) -> ConsumptionBuilder<'_> {
        let columns = (0..self.axis.len())
            .map(|_| crate::mem::zeroed_f64(range.len()))
            .collect();
        ConsumptionBuilder {
            tables: self,
            range,
            columns,
            filled: 0,
        }
    }

    /// The long consumption table (`meter_id, month, kwh`) of a wide one
    /// built by this converter: the wide table's `meter_id` array becomes the
    /// dictionary, unchanged.
    ///
    /// # Errors
    /// [`IoError::Arrow`] when `wide` does not have the wide table's schema.
    pub fn unpivot(&self, wide: &RecordBatch) -> Result<RecordBatch, IoError> {
        if wide.schema() != self.schema(ArrowTable::Consumption) {
            return Err(IoError::Arrow {
                table: ArrowTable::ConsumptionLong.name(),
                reason: "the record batch is not a wide consumption table of this dataset".into(),
            });
        }
        let (n, months) = (wide.num_rows(), self.axis.len());
        let values: Vec<&[f64]> = (0..months)
            .filter_map(|m| wide.column(1 + m).as_any().downcast_ref::<Float64Array>())
            .map(|a| a.values().as_ref())
            .collect();
        let kwh = Float64Array::from_iter_values((0..n).flat_map(|r| values.iter().map(move |c| c[r])));
        self.record_batch(
            ArrowTable::ConsumptionLong,
            self.long_keys(n, Arc::clone(wide.column(0)), kwh),
        )
    }

    /// The energy balance of `transformers`: one row per transformer and
    /// month (interval rows summed per month), values rounded to 3 decimals.
    ///
    /// # Errors
    /// [`IoError::Arrow`] if Arrow rejects the columns (a bug).
    pub fn energy_balance(&self, transformers: &[TransformerBalance]) -> Result<RecordBatch, IoError> {
        let months = self.axis.len();
        let rows = transformers.len() * months;
        let mut values: Vec<Vec<f64>> = (0..BalanceRow::FILE_COLUMNS.len())
            .map(|_| Vec::with_capacity(rows))
            .collect();
        let (mut tx, mut feeder, mut month) = (
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
            Vec::with_capacity(rows),
        );
        let (mut theft, mut anomalous) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
        let firsts: Vec<i32> = (0..months).map(|m| first_day(&self.axis, m)).collect();
        for t in transformers {
            let monthly;
            let per_month: &[BalanceRow] = if self.series.resolution().is_interval() {
                monthly = t.monthly(&self.series);
                &monthly
            } else {
                &t.rows
            };
            for (r, &day) in per_month.iter().zip(&firsts) {
                tx.push(t.transformer_id.number());
                feeder.push(
                    self.feeders
                        .get(t.transformer_id.index() as usize)
                        .copied()
                        .unwrap_or_else(|| t.feeder_id.number()),
                );
                month.push(day);
                for (column, v) in values.iter_mut().zip(r.file_values()) {
                    column.push(v);
                }
                theft.push(t.theft_meters as i64);
                anomalous.push(t.anomalous_meters as i64);
            }
        }
        let mut columns: Vec<ArrayRef> = vec![
            Arc::new(ids("TX_", 4, tx.into_iter())),
            Arc::new(ids("FDR_", 2, feeder.into_iter())),
            Arc::new(Date32Array::from(month)),
        ];
        columns.extend(
            values
                .into_iter()
                .map(|v| Arc::new(Float64Array::from(rounded_vec(&v, BALANCE_DECIMALS))) as ArrayRef),
        );
        columns.push(Arc::new(Int64Array::from(theft)));
        columns.push(Arc::new(Int64Array::from(anomalous)));
        self.record_batch(ArrowTable::EnergyBalance, columns)
    }

    fn record_batch(&self, table: ArrowTable, columns: Vec<ArrayRef>) -> Result<RecordBatch, IoError> {
        RecordBatch::try_new(self.schema(table), columns).map_err(|e| IoError::Arrow {
            table: table.name(),
            reason: e.to_string(),
        })
    }

    /// The seven attribute columns of the batch's meters.
    fn meter_columns(&self, batch: &MeterBatch) -> Vec<ArrayRef> {
        let meters = batch.meters();
        let keys = |f: &dyn Fn(&crate::model::Meter) -> i32, values: &ArrayRef| -> ArrayRef {
            let keys = Int32Array::from_iter_values(meters.iter().map(f));
            Arc::new(DictionaryArray::<Int32Type>::new(keys, Arc::clone(values)))
        };
        vec![
            Arc::new(ids("MTR_", 6, meters.iter().map(|m| m.id.number()))),
            Arc::new(ids("TX_", 4, meters.iter().map(|m| m.transformer_id.number()))),
            keys(&|m| class_index(m.customer_class), &self.classes),
            keys(&|m| m.barangay.index() as i32, &self.barangays),
            Arc::new(Float64Array::from_iter_values(
                meters.iter().map(|m| rounded(m.lat, COORD_DECIMALS)),
            )),
            Arc::new(Float64Array::from_iter_values(
                meters.iter().map(|m| rounded(m.lon, COORD_DECIMALS)),
            )),
            Arc::new(Float64Array::from_iter_values(
                meters.iter().map(|m| rounded(m.kva, KVA_DECIMALS)),
            )),
        ]
    }

    /// `meter_id, month, kwh`: meter after meter, month after month.
    fn long_columns(&self, batch: &MeterBatch) -> Vec<ArrayRef> {
        let kwh = Float64Array::from(rounded_vec(batch.consumption(), KWH_DECIMALS));
        self.long_keys(batch.meters().len(), batch_meter_ids(batch), kwh)
    }

    /// The long table of `n` meters whose ids are `dictionary` and whose
    /// values, meter after meter, are `kwh`.
    fn long_keys(&self, n: usize, dictionary: ArrayRef, kwh: Float64Array) -> Vec<ArrayRef> {
        let months = self.axis.len();
        let keys = Int32Array::from_iter_values((0..n as i32).flat_map(|k| std::iter::repeat_n(k, months)));
        let firsts: Vec<i32> = (0..months).map(|m| first_day(&self.axis, m)).collect();
        let month = Date32Array::from_iter_values((0..n).flat_map(|_| firsts.iter().copied()));
        vec![
            Arc::new(DictionaryArray::<Int32Type>::new(keys, dictionary)),
            Arc::new(month),
            Arc::new(kwh),
        ]
    }

    /// `meter_id, timestamp, kwh` (null where missing).
    fn readings_columns(&self, batch: &MeterBatch) -> Result<Vec<ArrayRef>, IoError> {
        if !self.series.resolution().is_interval() {
            return Err(IoError::UnsupportedOption {
                option: "table",
                value: "readings".into(),
                reason: "a monthly dataset has no interval readings; allowed: consumption or consumption_long, \
                         or a daily, hourly or 15min resolution"
                    .into(),
            });
        }
        let (n, len) = (batch.meters().len(), batch.intervals());
        let keys = Int32Array::from_iter_values((0..n as i32).flat_map(|k| std::iter::repeat_n(k, len)));
        let stamps: Vec<i64> = (0..len).map(|i| self.series.timestamp(i) * 1000).collect();
        let timestamp = TimestampMillisecondArray::from_iter_values((0..n).flat_map(|_| stamps.iter().copied()))
            .with_timezone(self.timezone.to_string());
        let values = ScalarBuffer::from(batch.all_readings().to_vec());
        let nulls = (!batch.missing().is_empty()).then(|| {
            let mut valid = vec![true; n * len];
            let first = batch.range().start;
            for run in batch.missing() {
                let row = (run.meter_id.index() as usize).saturating_sub(first) * len;
                for p in run.periods() {
                    if let Some(v) = valid.get_mut(row + p) {
                        *v = false;
                    }
                }
            }
            NullBuffer::from(valid)
        });
        Ok(vec![
            Arc::new(DictionaryArray::<Int32Type>::new(keys, batch_meter_ids(batch))),
            Arc::new(timestamp),
            Arc::new(Float64Array::new(values, nulls)),
        ])
    }

    fn label_columns(&self, labels: &[AnomalyLabel]) -> Vec<ArrayRef> {
        let bands = Int32Array::from_iter_values(labels.iter().map(|l| band_index(l.risk_band)));
        vec![
            Arc::new(ids("MTR_", 6, labels.iter().map(|l| l.meter_id.number()))),
            Arc::new(BooleanArray::from(vec![true; labels.len()])),
            Arc::new(DictionaryArray::<Int32Type>::new(bands, Arc::clone(&self.bands))),
            Arc::new(StringArray::from_iter_values(
                labels.iter().map(|l| l.anomaly_type.as_str()),
            )),
            self.periods(labels.iter().map(|l| Some(l.onset))),
            Arc::new(Float64Array::from_iter_values(
                labels.iter().map(|l| rounded(l.severity, SEVERITY_DECIMALS)),
            )),
            self.periods(labels.iter().map(|l| l.end)),
            Arc::new(BooleanArray::from(
                labels.iter().map(|l| l.is_theft).collect::<Vec<_>>(),
            )),
        ]
    }

    fn event_columns(&self, events: &[Event]) -> Vec<ArrayRef> {
        vec![
            Arc::new(ids("MTR_", 6, events.iter().map(|e| e.meter_id.number()))),
            Arc::new(StringArray::from_iter_values(
                events.iter().map(|e| e.event_type.as_str()),
            )),
            Arc::new(BooleanArray::from(
                events.iter().map(|e| e.is_theft).collect::<Vec<_>>(),
            )),
            self.periods(events.iter().map(|e| Some(e.onset))),
            self.periods(events.iter().map(|e| e.end)),
            Arc::new(Float64Array::from_iter_values(
                events.iter().map(|e| rounded(e.severity, SEVERITY_DECIMALS)),
            )),
            Arc::new(BooleanArray::from(
                events.iter().map(|e| e.is_anomaly).collect::<Vec<_>>(),
            )),
        ]
    }

    /// Periods of the series axis in the table's period type (null for `None`).
    fn periods(&self, periods: impl Iterator<Item = Option<usize>>) -> ArrayRef {
        match self.series.resolution() {
            Resolution::Monthly => Arc::new(Int32Array::from_iter(
                periods.map(|p| p.map(|p| self.axis.month(p).compact() as i32)),
            )),
            Resolution::Daily => Arc::new(Date32Array::from_iter(
                periods.map(|p| p.map(|p| self.series.date(p).days_since_epoch() as i32)),
            )),
            _ => Arc::new(
                TimestampMillisecondArray::from_iter(periods.map(|p| p.map(|p| self.series.timestamp(p) * 1000)))
                    .with_timezone(self.timezone.to_string()),
            ),
        }
    }
}

/// `Dictionary(Int32, Utf8)`.
fn dictionary() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// `PREFIX` + the zero-padded number, for each number (`MTR_000001`...),
/// written straight into one value buffer.
fn ids(prefix: &str, width: usize, numbers: impl Iterator<Item = u64>) -> StringArray {
    let (lower, _) = numbers.size_hint();
    let mut values = Vec::with_capacity(lower * (prefix.len() + width));
    let mut offsets = Vec::with_capacity(lower + 1);
    offsets.push(0i32);
    for n in numbers {
        write_padded(&mut values, prefix, n, width);
        offsets.push(i32::try_from(values.len()).unwrap_or(i32::MAX));
    }
    // The offsets grow and the text is ASCII: valid by construction.
    StringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        Buffer::from_vec(values),
        None,
    )
    .unwrap_or_else(|_| StringArray::from(Vec::<&str>::new()))
}

/// The batch's meter ids (a long table's dictionary).
fn batch_meter_ids(batch: &MeterBatch) -> ArrayRef {
    Arc::new(ids("MTR_", 6, batch.meters().iter().map(|m| m.id.number())))
}

/// Meters per parallel task of the transposition.
const TRANSPOSE_ROWS: usize = 4096;

/// Meters transposed together: their rows (`BLOCK × months` values) stay in
/// L1 while every column's slice of them is written.
const BLOCK: usize = 64;

/// One `Float64` column per month, each meter's value rounded to the
/// register's 0.01 kWh as the CSV prints it.
fn consumption_columns(batch: &MeterBatch) -> Vec<ArrayRef> {
    let n = batch.meters().len();
    let mut columns: Vec<Vec<f64>> = (0..batch.periods()).map(|_| vec![0.0; n]).collect();
    transpose_into(batch.consumption(), columns.iter_mut().map(Vec::as_mut_slice).collect());
    columns
        .into_iter()
        .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef)
        .collect()
}

/// Writes the row-major `values` (one row of `columns.len()` months per
/// meter) into the month columns, rounded as the CSV prints them: in blocks
/// whose rows are rounded in one vectorized pass and then scattered, on the
/// current rayon pool.
fn transpose_into(values: &[f64], columns: Vec<&mut [f64]>) {
    let months = columns.len();
    let n = columns.first().map_or(0, |c| c.len());
    // Task `t` writes rows `t·TRANSPOSE_ROWS ..` of every column.
    let mut tasks: Vec<Vec<&mut [f64]>> = (0..n.div_ceil(TRANSPOSE_ROWS))
        .map(|_| Vec::with_capacity(months))
        .collect();
    for column in columns {
        for (task, part) in tasks.iter_mut().zip(column.chunks_mut(TRANSPOSE_ROWS)) {
            task.push(part);
        }
    }
    let transpose = |(t, mut parts): (usize, Vec<&mut [f64]>)| {
        let first = t * TRANSPOSE_ROWS;
        let rows = parts.first().map_or(0, |p| p.len());
        let mut block = vec![0.0; BLOCK * months];
        for start in (0..rows).step_by(BLOCK) {
            let end = (start + BLOCK).min(rows);
            // The block's rows are contiguous: round them in one vectorized pass, then scatter.
            let src = &values[(first + start) * months..(first + end) * months];
            let block = &mut block[..src.len()];
            round_slice(src, KWH_DECIMALS, block);
            for (m, part) in parts.iter_mut().enumerate() {
                for (slot, row) in part[start..end].iter_mut().zip(block.chunks_exact(months)) {
                    *slot = row[m];
                }
            }
        }
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        tasks.into_par_iter().enumerate().for_each(transpose);
    }
    #[cfg(not(feature = "parallel"))]
    tasks.into_iter().enumerate().for_each(transpose);
}

/// The wide consumption table ([`ArrowTable::Consumption`]) of a range of
/// meters as **one** record batch, filled in place from the batches that
/// cover the range, in order: each month's column is allocated once (on
/// Linux, advised to use huge pages) and every batch is transposed into it,
/// so the table costs its own size and nothing is copied when it is handed
/// on. From [`ArrowTables::consumption_builder`].
///
/// ```
/// use ghostload::io::{ArrowTable, ArrowTables};
/// use ghostload::Pipeline;
///
/// let pipeline = Pipeline::builder().build()?;
/// let tables = ArrowTables::new(&pipeline);
/// let mut wide = tables.consumption_builder(0..300);
/// for batch in pipeline.batches(0..300, 128) {
///     wide.add(&batch?)?;
/// }
/// let wide = wide.finish()?;
/// assert_eq!(wide.num_rows(), 300);
/// assert_eq!(wide.schema(), tables.schema(ArrowTable::Consumption));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct ConsumptionBuilder<'a> {
    tables: &'a ArrowTables,
    range: Range<usize>,
    columns: Vec<Vec<f64>>,
    /// Meters written so far.
    filled: usize,
}

impl ConsumptionBuilder<'_> {
    /// Writes `batch`, which must hold the next meters of the range.
    ///
    /// # Errors
    /// [`IoError::InvalidReadings`] when the batch does not start where the
    /// previous one ended, runs past the range, or has another number of months.
    pub fn add(&mut self, batch: &MeterBatch) -> Result<(), IoError> {
        let next = self.range.start + self.filled;
        let r = batch.range();
        if r.start != next || r.end > self.range.end || batch.periods() != self.columns.len() {
            return Err(IoError::InvalidReadings {
                reason: format!(
                    "the wide table of meters {}..{} expects meters from {next} with {} months; the batch holds {}..{} with {}",
                    self.range.start,
                    self.range.end,
                    self.columns.len(),
                    r.start,
                    r.end,
                    batch.periods()
                ),
            });
        }
        let (from, to) = (self.filled, self.filled + r.len());
        let slices = self.columns.iter_mut().map(|c| &mut c[from..to]).collect();
        self.tables.pool.install(|| transpose_into(batch.consumption(), slices));
        self.filled = to;
        Ok(())
    }

    /// The table.
    ///
    /// # Errors
    /// [`IoError::InvalidReadings`] when meters of the range are missing.
    pub fn finish(self) -> Result<RecordBatch, IoError> {
        if self.filled != self.range.len() {
            return Err(IoError::InvalidReadings {
                reason: format!(
                    "the wide table of meters {}..{} is missing meters {}..{}",
                    self.range.start,
                    self.range.end,
                    self.range.start + self.filled,
                    self.range.end
                ),
            });
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(ids(
            "MTR_",
            6,
            self.range
                .clone()
                .map(|i| crate::ids::MeterId::from_index(i as u32).number()),
        ))];
        columns.extend(
            self.columns
                .into_iter()
                .map(|c| Arc::new(Float64Array::from(c)) as ArrayRef),
        );
        self.tables.record_batch(ArrowTable::Consumption, columns)
    }
}

/// `values` rounded as the files print them with `decimals` decimals.
fn rounded_vec(values: &[f64], decimals: usize) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    round_slice(values, decimals, &mut out);
    out
}

/// Days since 1970-01-01 of the first day of month `m` of `axis`.
fn first_day(axis: &TimeAxis, m: usize) -> i32 {
    Date::first_of(axis.month(m)).days_since_epoch() as i32
}

fn class_index(class: CustomerClass) -> i32 {
    CustomerClass::ALL.iter().position(|&c| c == class).unwrap_or(0) as i32
}

fn band_index(band: RiskBand) -> i32 {
    RiskBand::ALL.iter().position(|&b| b == band).unwrap_or(0) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::fmt::write_fixed;

    #[test]
    fn rounded_values_equal_the_printed_ones() {
        for i in 0..50_000u32 {
            let v = f64::from(i) * 0.000_731 - 7.3 + f64::from(i % 13) * 1e-7;
            for d in [2, 3, 4, 6] {
                let mut s = Vec::new();
                write_fixed(&mut s, v, d);
                let parsed: f64 = std::str::from_utf8(&s).unwrap().parse().unwrap();
                assert_eq!(rounded(v, d).to_bits(), parsed.to_bits(), "{v} at {d} decimals");
            }
        }
    }

    #[test]
    fn ids_are_padded_like_the_files() {
        let a = ids("MTR_", 6, [1, 42, 1_234_567].into_iter());
        assert_eq!(
            a.iter().flatten().collect::<Vec<_>>(),
            ["MTR_000001", "MTR_000042", "MTR_1234567"]
        );
    }

    #[test]
    fn table_names_round_trip() {
        for t in ArrowTable::ALL {
            assert_eq!(t.name().parse::<ArrowTable>().unwrap(), t);
        }
        let e = "meter".parse::<ArrowTable>().unwrap_err().to_string();
        assert!(e.contains("meters, consumption"), "{e}");
    }
}
