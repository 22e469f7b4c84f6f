//! The page's data routes: the map, one meter's series, one transformer's
//! balance, the charts. Computed from the dataset's configuration by
//! regenerating what is needed with the library (deterministic: the same
//! values as the files), and from its files (`transformers.geojson`,
//! `energy_balance.csv`); the map and charts are computed once per dataset.

use std::collections::{BTreeMap, HashMap};
use std::path::Path as FsPath;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ghostload::io::{ENERGY_BALANCE_CSV, KWH_DECIMALS, TRANSFORMERS_GEOJSON};
use ghostload::{CustomerClass, Pipeline, RiskBand};
use serde_json::{Value, json};

use super::api::{done_job, path_param};
use super::error::{ApiError, ApiResult};
use super::jobs::{AppState, Job};

/// Most meters the map lists.
pub const MAP_METERS: usize = 20_000;

/// Meters generated per batch while the page data is computed.
const BATCH: usize = 16_384;

/// The map and charts of a dataset.
#[derive(Debug)]
pub struct PageData {
    map: Value,
    charts: Value,
}

/// `value` rounded to `decimals` decimals, as the files print it.
fn rounded(value: f64, decimals: usize) -> f64 {
    format!("{value:.decimals$}").parse().unwrap_or(value)
}

fn kwh(values: &[f64]) -> Vec<f64> {
    values.iter().map(|&v| rounded(v, KWH_DECIMALS)).collect()
}

/// The periods of the monthly series, `YYYY-MM`.
fn periods(pipeline: &Pipeline) -> Vec<String> {
    let axis = pipeline.axis();
    (0..axis.len()).map(|m| axis.month(m).to_string()).collect()
}

/// The dataset's pipeline, built once.
async fn pipeline(server: &AppState, job: &Arc<Job>) -> ApiResult<Arc<Pipeline>> {
    let threads = server.job_threads;
    job.pipeline
        .get_or_try_init(|| {
            let config = job.config.clone();
            async move {
                tokio::task::spawn_blocking(move || Pipeline::builder().config(config).threads(threads).build())
                    .await
                    .map_err(ApiError::internal)?
                    .map(Arc::new)
                    .map_err(ApiError::internal)
            }
        })
        .await
        .cloned()
}

/// The dataset's page data, computed once.
async fn page_data(server: &AppState, id: &str) -> ApiResult<Arc<PageData>> {
    let (job, _) = done_job(server, id)?;
    let pipeline = pipeline(server, &job).await?;
    let dir = server.data_dir.join(id);
    job.page
        .get_or_try_init(|| async move {
            tokio::task::spawn_blocking(move || compute(&pipeline, &dir))
                .await
                .map_err(ApiError::internal)?
                .map(Arc::new)
        })
        .await
        .cloned()
}

/// `ntl_share` and `overloaded` of each transformer in `transformers.geojson`.
fn ghost_loads(dir: &FsPath) -> HashMap<String, (Value, bool)> {
    let Ok(bytes) = std::fs::read(dir.join(TRANSFORMERS_GEOJSON)) else {
        return HashMap::new();
    };
    let Ok(collection) = serde_json::from_slice::<Value>(&bytes) else {
        return HashMap::new();
    };
    let mut ghosts = HashMap::new();
    for feature in collection
        .get("features")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(props) = feature.get("properties") else {
            continue;
        };
        if let Some(id) = props.get("transformer_id").and_then(Value::as_str) {
            let share = props.get("ntl_share").cloned().unwrap_or(Value::Null);
            let overloaded = props.get("overloaded").and_then(Value::as_bool).unwrap_or(false);
            ghosts.insert(id.to_owned(), (share, overloaded));
        }
    }
    ghosts
}

/// Regenerates every meter once, batch by batch, for the map and charts.
fn compute(pipeline: &Pipeline, dir: &FsPath) -> ApiResult<PageData> {
    let network = pipeline.network();
    let n = pipeline.config().num_meters;
    let months = pipeline.axis().len();
    let mut classes: BTreeMap<&'static str, usize> = CustomerClass::ALL.iter().map(|c| (c.as_str(), 0)).collect();
    let mut bands: BTreeMap<&'static str, usize> = RiskBand::ALL.iter().map(|b| (b.as_str(), 0)).collect();
    let mut types: BTreeMap<String, usize> = BTreeMap::new();
    let mut totals = vec![0.0_f64; months];
    let transformers = network.transformers();
    let mut theft = vec![0_usize; transformers.len()];
    let mut anomalous = vec![0_usize; transformers.len()];
    let (mut flagged, mut normal) = (Vec::new(), Vec::new());
    for batch in pipeline.batches(0..n, BATCH) {
        let batch = batch.map_err(ApiError::internal)?;
        for (i, meter) in batch.meters().iter().enumerate() {
            *classes.entry(meter.customer_class.as_str()).or_default() += 1;
            for (total, v) in totals.iter_mut().zip(batch.series(i)) {
                *total += v;
            }
            let label = batch.label(meter.id);
            let tx = meter.transformer_id.index() as usize;
            if let Some(label) = label {
                *bands.entry(label.risk_band.as_str()).or_default() += 1;
                *types.entry(label.anomaly_type.as_str().to_owned()).or_default() += 1;
                if let Some(count) = anomalous.get_mut(tx) {
                    *count += 1;
                }
                if label.is_theft {
                    if let Some(count) = theft.get_mut(tx) {
                        *count += 1;
                    }
                }
            }
            let benign = batch.events_of(meter.id).iter().find(|e| !e.is_anomaly);
            let evented = label.is_some() || !batch.events_of(meter.id).is_empty();
            let list = if evented { &mut flagged } else { &mut normal };
            if list.len() < MAP_METERS {
                list.push(json!({
                    "id": meter.id.to_string(),
                    "lat": meter.lat,
                    "lon": meter.lon,
                    "transformer_id": meter.transformer_id.to_string(),
                    "risk_band": label.map(|l| l.risk_band.as_str()),
                    "anomaly_type": label.map(|l| l.anomaly_type.as_str().to_owned()),
                    "is_theft": label.is_some_and(|l| l.is_theft),
                    "event_type": benign.map(|e| e.event_type.as_str().to_owned()),
                }));
            }
        }
    }
    flagged.extend(normal);
    flagged.truncate(MAP_METERS);
    let ghosts = ghost_loads(dir);
    let transformers: Vec<Value> = transformers
        .iter()
        .enumerate()
        .map(|(t, tx)| {
            let id = tx.id.to_string();
            let (share, overloaded) = ghosts.get(&id).cloned().unwrap_or((Value::Null, false));
            json!({
                "id": id,
                "lat": tx.lat,
                "lon": tx.lon,
                "capacity_kva": tx.capacity_kva,
                "num_meters": tx.num_meters,
                "ghost_load_share": share,
                "theft_meters": theft.get(t).copied().unwrap_or(0),
                "anomalous_meters": anomalous.get(t).copied().unwrap_or(0),
                "overloaded": overloaded,
            })
        })
        .collect();
    let barangays: Vec<Value> = network
        .barangays()
        .iter()
        .map(|b| json!({"name": b.name, "lat": b.centre.lat, "lon": b.centre.lon}))
        .collect();
    let map = json!({
        "barangays": barangays,
        "transformers": transformers,
        "meters": flagged,
        "meters_total": n,
        "meters_truncated": n > MAP_METERS,
    });
    let charts = json!({
        "class_mix": classes,
        "risk_bands": bands,
        "anomaly_types": types,
        "monthly_totals": {"periods": periods(pipeline), "kwh": kwh(&totals)},
    });
    Ok(PageData { map, charts })
}

/// `GET /api/datasets/{id}/map`.
pub async fn map(State(server): State<AppState>, id: Result<Path<String>, PathRejection>) -> ApiResult<Json<Value>> {
    let id = path_param(id)?;
    Ok(Json(page_data(&server, &id).await?.map.clone()))
}

/// `GET /api/datasets/{id}/charts`.
pub async fn charts(State(server): State<AppState>, id: Result<Path<String>, PathRejection>) -> ApiResult<Json<Value>> {
    let id = path_param(id)?;
    Ok(Json(page_data(&server, &id).await?.charts.clone()))
}

/// `GET /api/datasets/{id}/meters/{meter_id}`: the meter regenerated alone.
pub async fn meter(
    State(server): State<AppState>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let (id, meter_id) = path_param(params)?;
    let (job, _) = done_job(&server, &id)?;
    let n = job.config.num_meters;
    let unknown = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("dataset `{id}` has no meter `{meter_id}`"),
        )
        .field("meter_id")
        .value(meter_id.as_str())
        .allowed(format!(
            "MTR_000001 ..= {}",
            ghostload::MeterId::from_index((n.max(1) - 1) as u32)
        ))
    };
    let index = meter_id
        .strip_prefix("MTR_")
        .and_then(|d| d.parse::<usize>().ok())
        .and_then(|number| number.checked_sub(1))
        .filter(|&i| i < n)
        .ok_or_else(unknown)?;
    let pipeline = pipeline(&server, &job).await?;
    let wanted = meter_id.clone();
    let body = tokio::task::spawn_blocking(move || -> ApiResult<Option<Value>> {
        let batch = pipeline.generate_batch(index..index + 1).map_err(ApiError::internal)?;
        let Some(meter) = batch.meters().first() else {
            return Ok(None);
        };
        if meter.id.to_string() != wanted {
            return Ok(None);
        }
        let series = pipeline.series_axis();
        let month = |i: usize| {
            if series.resolution().is_interval() {
                series.month_index(i)
            } else {
                i
            }
        };
        let label = batch.label(meter.id).map(|l| {
            json!({
                "anomaly_type": l.anomaly_type.as_str(),
                "onset": month(l.onset),
                "end": l.end.map(month),
                "risk_band": l.risk_band.as_str(),
                "is_theft": l.is_theft,
                "severity": l.severity,
            })
        });
        let events: Vec<Value> = batch
            .events_of(meter.id)
            .iter()
            .map(|e| {
                json!({
                    "event_type": e.event_type.as_str(),
                    "onset": month(e.onset),
                    "end": e.end.map(month),
                    "is_anomaly": e.is_anomaly,
                })
            })
            .collect();
        Ok(Some(json!({
            "id": meter.id.to_string(),
            "periods": periods(&pipeline),
            "kwh": kwh(batch.series(0)),
            "true_kwh": batch.true_series(meter.id).map(kwh),
            "label": label,
            "events": events,
        })))
    })
    .await
    .map_err(ApiError::internal)??;
    body.map(Json).ok_or_else(unknown)
}

/// The columns of `energy_balance.csv` the transformer route returns.
const BALANCE_COLUMNS: [&str; 6] = [
    "reading_kwh",
    "billed_kwh",
    "true_kwh",
    "technical_loss_kwh",
    "non_technical_loss_kwh",
    "unmetered_kwh",
];

/// `GET /api/datasets/{id}/transformers/{tx_id}`: its rows of `energy_balance.csv`.
pub async fn transformer(
    State(server): State<AppState>,
    params: Result<Path<(String, String)>, PathRejection>,
) -> ApiResult<Json<Value>> {
    let (id, tx_id) = path_param(params)?;
    let (job, finished) = done_job(&server, &id)?;
    let unknown = |why: &str| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("dataset `{id}` has no balance of `{tx_id}`: {why}"),
        )
        .field("tx_id")
        .value(tx_id.as_str())
    };
    let count = job.config.num_transformers;
    let known = tx_id
        .strip_prefix("TX_")
        .and_then(|d| d.parse::<usize>().ok())
        .is_some_and(|n| (1..=count).contains(&n));
    if !known {
        return Err(unknown("no such transformer"));
    }
    if !finished.files.iter().any(|f| f.name == ENERGY_BALANCE_CSV) {
        return Err(unknown("the energy balance is off"));
    }
    let path = server.data_dir.join(&id).join(ENERGY_BALANCE_CSV);
    let wanted = tx_id.clone();
    let rows = tokio::task::spawn_blocking(move || balance_rows(&path, &wanted))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let Some((periods, columns)) = rows else {
        return Err(unknown("no rows"));
    };
    let mut body = serde_json::Map::new();
    body.insert("id".into(), Value::String(tx_id.clone()));
    body.insert("periods".into(), json!(periods));
    for (name, values) in BALANCE_COLUMNS.iter().zip(columns) {
        body.insert((*name).into(), json!(values));
    }
    Ok(Json(Value::Object(body)))
}

/// The months and [`BALANCE_COLUMNS`] of `tx`'s rows (they are contiguous).
#[allow(clippy::type_complexity)]
fn balance_rows(path: &FsPath, tx: &str) -> Result<Option<(Vec<String>, Vec<Vec<f64>>)>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| e.to_string())?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let position = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{ENERGY_BALANCE_CSV} has no column `{name}`"))
    };
    let (id_col, month_col) = (position("transformer_id")?, position("month")?);
    let cols: Vec<usize> = BALANCE_COLUMNS.iter().map(|c| position(c)).collect::<Result<_, _>>()?;
    let mut periods = Vec::new();
    let mut values = vec![Vec::new(); cols.len()];
    for record in reader.records() {
        let record = record.map_err(|e| e.to_string())?;
        if record.get(id_col) != Some(tx) {
            if periods.is_empty() {
                continue;
            }
            break;
        }
        periods.push(record.get(month_col).unwrap_or_default().to_owned());
        for (out, &c) in values.iter_mut().zip(&cols) {
            out.push(record.get(c).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN));
        }
    }
    Ok((!periods.is_empty()).then_some((periods, values)))
}
