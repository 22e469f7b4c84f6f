//! The `/api/*` and `/generate` handlers.

use std::collections::HashMap;
use std::path::{Component, Path as FsPath};

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ghostload::{ConfigError, GeneratorConfig, Preset};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tower::ServiceExt;
use tower_http::services::ServeFile;

use super::error::{ApiError, ApiResult};
use super::jobs::{AppState, Job, Refused, State as JobState};
use crate::config::overlay_json;

/// The preset names, in words.
const PRESETS: &str = "demo, default, production, utility";

fn preset_named(name: &str) -> Option<Preset> {
    match name {
        "demo" => Some(Preset::Demo),
        "default" => Some(Preset::Default),
        "production" => Some(Preset::Production),
        "utility" => Some(Preset::Utility),
        _ => None,
    }
}

/// Requires `Authorization: Bearer T` when the server has a token.
pub async fn auth(State(server): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(token) = &server.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            let mut response = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "a valid `Authorization: Bearer` token is required",
            )
            .field("Authorization")
            .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    }
    next.run(request).await
}

/// Unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such route")
}

/// `GET /api/health`.
pub async fn health(State(server): State<AppState>) -> Json<Value> {
    Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "tile_url": server.tile_url}))
}

/// `config` as JSON with every field, for the page's form: serde leaves out
/// the fields that hold their defaults (so that a monthly configuration file
/// stays as it was before interval data); they are put back here. The
/// holidays (`None`: the built-in calendar) stay out: an empty list would
/// mean none.
fn full_config(config: &GeneratorConfig) -> ApiResult<Value> {
    let mut value = serde_json::to_value(config).map_err(ApiError::internal)?;
    let defaults = [
        ("resolution", serde_json::to_value(config.resolution)),
        ("timezone", serde_json::to_value(config.timezone)),
        (
            "register_resolution_kwh",
            serde_json::to_value(config.register_resolution_kwh),
        ),
        ("missing_rate", serde_json::to_value(config.missing_rate)),
        ("missing_run_hours", serde_json::to_value(config.missing_run_hours)),
        ("weather", serde_json::to_value(&config.weather)),
        ("load_shape", serde_json::to_value(&config.load_shape)),
        ("balance", serde_json::to_value(config.balance)),
    ];
    if let Value::Object(map) = &mut value {
        for (key, v) in defaults {
            if !map.contains_key(key) {
                map.insert(key.to_owned(), v.map_err(ApiError::internal)?);
            }
        }
    }
    Ok(value)
}

/// `GET /api/presets`: every preset with every field.
pub async fn presets() -> ApiResult<Json<Value>> {
    let mut presets = Map::new();
    for name in ["demo", "default", "production", "utility"] {
        if let Some(p) = preset_named(name) {
            presets.insert(name.to_owned(), full_config(&GeneratorConfig::preset(p))?);
        }
    }
    Ok(Json(json!({ "presets": presets })))
}

/// The body's bytes, or the rejection as a JSON error (413 for a body over the limit).
fn body_bytes(body: Result<Bytes, BytesRejection>) -> ApiResult<Bytes> {
    body.map_err(|e| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "the request body is too large").allowed("at most --max-body bytes")
        } else {
            ApiError::new(status, e.body_text())
        }
    })
}

/// The value at a dotted `path` of `root`, if any.
fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .filter(|p| !p.is_empty())
        .try_fold(root, |v, key| match v {
            Value::Array(items) => items.get(key.parse::<usize>().ok()?),
            other => other.get(key),
        })
}

/// The configuration of a request: `given` laid over `preset`, key by key
/// (the mixes replaced whole), deserialized strictly and validated.
pub fn parse_config(preset: Preset, given: Map<String, Value>) -> ApiResult<GeneratorConfig> {
    let given_value = Value::Object(given.clone());
    let Value::Object(mut merged) =
        serde_json::to_value(GeneratorConfig::preset(preset)).map_err(ApiError::internal)?
    else {
        return Err(ApiError::internal("the preset is not a JSON object"));
    };
    overlay_json(&mut merged, given, true);
    let config: GeneratorConfig = serde_path_to_error::deserialize(Value::Object(merged)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // The path names the key at fault (an unknown key included).
        let unknown = message.strip_prefix("unknown field `").and_then(|m| m.split_once('`'));
        let field = match unknown {
            Some((key, _)) if path == "." => key.to_owned(),
            _ => path,
        };
        let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("`{field}`: {message}")).field(&field);
        if let Some((_, rest)) = unknown {
            let allowed = rest.trim_start_matches(", ").trim_start_matches("expected ");
            error = error.allowed(allowed);
        }
        if let Some(v) = value_at(&given_value, &field) {
            error = error.value(v.clone());
        }
        error
    })?;
    config.validate().map_err(config_error)?;
    Ok(config)
}

/// A configuration error as a 422 naming the field.
fn config_error(e: ConfigError) -> ApiError {
    let mut error =
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("invalid configuration: {e}")).field(e.field());
    if let ConfigError::OutOfRange { value, allowed, .. } = &e {
        let value = serde_json::from_str::<Value>(value).unwrap_or_else(|_| Value::String(value.clone()));
        error = error.value(value).allowed(*allowed);
    }
    error
}

/// The JSON object of a request body (an empty body is `{}`).
fn json_object(body: &[u8]) -> ApiResult<Map<String, Value>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the body must be a JSON object (the configuration's keys)",
        )
        .value(other)
        .allowed("a JSON object")),
        Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}"))),
    }
}

/// Periods of one series at the configuration's resolution (intervals at interval resolutions).
fn cells(config: &GeneratorConfig) -> u64 {
    let periods = config
        .axis()
        .map(|a| a.len().max(a.months()))
        .unwrap_or(config.num_months);
    (config.num_meters as u64).saturating_mul(periods as u64)
}

/// 413 when the job is larger than `--max-cells`.
fn check_size(server: &AppState, config: &GeneratorConfig) -> ApiResult<()> {
    let cells = cells(config);
    if cells > server.max_cells {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the job is too large: `num_meters` x periods (`num_months` at the resolution) = {cells} values, more than this server's --max-cells {}",
                server.max_cells
            ),
        )
        .field("num_meters")
        .value(config.num_meters)
        .allowed(format!("num_meters x periods <= {}", server.max_cells)));
    }
    Ok(())
}

/// Queues `config`, or 429.
fn submit(server: &AppState, config: GeneratorConfig) -> ApiResult<std::sync::Arc<Job>> {
    server.submit(config).map_err(|Refused::QueueFull(n)| {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("the queue is full: {n} jobs are queued or running; try again later"),
        )
    })
}

/// `?preset=NAME`.
#[derive(Debug, Deserialize)]
pub struct PresetQuery {
    preset: Option<String>,
}

/// `POST /api/datasets[?preset=NAME]`.
pub async fn create(
    State(server): State<AppState>,
    query: Result<Query<PresetQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body = body_bytes(body)?;
    let Query(query) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let preset = match query.preset.as_deref() {
        None => Preset::default(),
        Some(name) => preset_named(name).ok_or_else(|| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown preset `{name}`"))
                .field("preset")
                .value(name)
                .allowed(PRESETS)
        })?,
    };
    let config = parse_config(preset, json_object(&body)?)?;
    check_size(&server, &config)?;
    let job = submit(&server, config)?;
    let url = format!("/api/datasets/{}", job.id);
    let mut response = (
        StatusCode::ACCEPTED,
        Json(json!({"id": job.id, "state": JobState::Queued, "url": url})),
    )
        .into_response();
    if let Ok(location) = HeaderValue::from_str(&url) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

/// `GET /api/datasets`.
pub async fn list(State(server): State<AppState>) -> Json<Value> {
    let datasets: Vec<Value> = server.list().iter().map(|j| j.status_json()).collect();
    Json(json!({ "datasets": datasets }))
}

/// A path parameter, or 400.
pub fn path_param<T>(param: Result<Path<T>, PathRejection>) -> ApiResult<T> {
    param
        .map(|Path(p)| p)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))
}

/// The job `id`, or 404.
pub fn job(server: &AppState, id: &str) -> ApiResult<std::sync::Arc<Job>> {
    server.get(id).ok_or_else(|| ApiError::no_dataset(id))
}

/// The job `id` if done; 404 or 409 otherwise.
pub fn done_job(
    server: &AppState,
    id: &str,
) -> ApiResult<(std::sync::Arc<Job>, std::sync::Arc<super::jobs::Finished>)> {
    let job = job(server, id)?;
    match job.done() {
        Some(finished) => Ok((job, finished)),
        None => {
            let state = job.state();
            Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "dataset `{id}` is {}, not done",
                    serde_json::to_value(state).unwrap_or(Value::Null)
                ),
            )
            .field("id")
            .value(id)
            .allowed("a dataset whose state is done"))
        }
    }
}

/// `GET /api/datasets/{id}`.
pub async fn status(State(server): State<AppState>, id: Result<Path<String>, PathRejection>) -> ApiResult<Json<Value>> {
    let id = path_param(id)?;
    Ok(Json(job(&server, &id)?.status_json()))
}

/// `DELETE /api/datasets/{id}`.
pub async fn delete(State(server): State<AppState>, id: Result<Path<String>, PathRejection>) -> ApiResult<StatusCode> {
    let id = path_param(id)?;
    match server.delete(&id).await {
        Some(()) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::no_dataset(&id)),
    }
}

/// 400 unless `name` is a plain relative path of at most two parts
/// (a file, or a file in one subdirectory).
fn check_name(name: &str) -> ApiResult<()> {
    let bad = || {
        ApiError::new(StatusCode::BAD_REQUEST, format!("invalid file name `{name}`"))
            .field("name")
            .value(name)
            .allowed("a file name of the dataset, or DIR/FILE for a part in a subdirectory; no `..`, no absolute path")
    };
    let parts: Vec<Component<'_>> = FsPath::new(name).components().collect();
    if name.is_empty()
        || name.contains('\\')
        || name.contains('\0')
        || name.starts_with('/')
        || name.split('/').any(|p| p.is_empty() || p == "." || p == "..")
        || parts.len() > 2
        || !parts.iter().all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(bad());
    }
    Ok(())
}

/// Serves `path` through `ServeFile` (Range, HEAD, conditional requests).
async fn serve_file(path: std::path::PathBuf, mime: Option<&str>, request: Request) -> ApiResult<Response> {
    let service = match mime {
        Some(mime) => ServeFile::new_with_mime(path, &mime.parse().map_err(ApiError::internal)?),
        None => ServeFile::new(path),
    };
    let response = service.oneshot(request).await.map_err(ApiError::internal)?;
    Ok(response.map(Body::new))
}

/// `GET /api/datasets/{id}/files/{*name}`.
pub async fn file(
    State(server): State<AppState>,
    params: Result<Path<(String, String)>, PathRejection>,
    request: Request,
) -> ApiResult<Response> {
    let (id, name) = path_param(params)?;
    check_name(&name)?;
    let (_, finished) = done_job(&server, &id)?;
    if !finished.files.iter().any(|f| f.name == name) {
        return Err(
            ApiError::new(StatusCode::NOT_FOUND, format!("dataset `{id}` has no file `{name}`"))
                .field("name")
                .value(name),
        );
    }
    let mime = if name.ends_with(".csv") {
        Some("text/csv; charset=utf-8")
    } else if name.ends_with(".json") {
        Some("application/json")
    } else if name.ends_with(".geojson") {
        Some("application/geo+json")
    } else if name.ends_with(".txt") {
        Some("text/plain; charset=utf-8")
    } else {
        Some("application/octet-stream")
    };
    serve_file(server.data_dir.join(&id).join(&name), mime, request).await
}

/// `GET /api/datasets/{id}/archive`: a zip of the dataset's files, built on
/// first request and cached beside the directory.
pub async fn archive(
    State(server): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    request: Request,
) -> ApiResult<Response> {
    let id = path_param(id)?;
    let (job, finished) = done_job(&server, &id)?;
    let zip = server.archive_path(&id);
    {
        let _guard = job.archive_lock.lock().await;
        if !zip.exists() {
            let dir = server.data_dir.join(&id);
            let names: Vec<String> = finished.files.iter().map(|f| f.name.clone()).collect();
            let target = zip.clone();
            tokio::task::spawn_blocking(move || super::archive::write_zip(&dir, &names, &target))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
        }
    }
    let mut response = serve_file(zip, Some("application/zip"), request).await?;
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"ghostload-{id}.zip\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `POST /generate` (the design's endpoint): `num_transformers`,
/// `num_meters`, `anomaly_rate` in a JSON body or the query; waits for the job.
pub async fn generate_compat(
    State(server): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<Value>> {
    const KEYS: [&str; 3] = ["num_transformers", "num_meters", "anomaly_rate"];
    let body = body_bytes(body)?;
    let Query(query) = query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
    let mut given = json_object(&body)?;
    for (key, text) in query {
        // Query values are numbers when they parse as JSON, text otherwise (then refused by type).
        let value = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
        given.entry(key).or_insert(value);
    }
    if let Some(key) = given.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, format!("unknown field `{key}`"))
                .field(key.as_str())
                .allowed(KEYS.join(", ")),
        );
    }
    let config = parse_config(Preset::Default, given)?;
    check_size(&server, &config)?;
    let job = submit(&server, config)?;
    match job.finished().await {
        JobState::Done => {
            let finished = job.done().ok_or_else(|| ApiError::internal("the dataset is gone"))?;
            let count = |key: &str| finished.summary.get(key).cloned().unwrap_or(Value::Null);
            Ok(Json(json!({
                "status": "success",
                "transformers": count("transformers"),
                "meters": count("meters"),
                "anomalies": count("anomalous_meters"),
                "id": job.id,
            })))
        }
        state => {
            let error = job.status().error.clone();
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "the job ended {}: {}",
                    serde_json::to_value(state).unwrap_or(Value::Null),
                    error.unwrap_or_default()
                ),
            ))
        }
    }
}
