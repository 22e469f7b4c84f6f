//! The jobs: a queue of generations, at most `--max-jobs` running at once,
//! each on a blocking thread writing into a staging directory under the
//! data directory; and the datasets they leave there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use ghostload::io::{IoError, REPORT_JSON, Staging, WriteOptions};
use ghostload::{GeneratorConfig, Pipeline};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{OnceCell, Semaphore, watch};

use super::page::PageData;
use crate::logging::CLI_TARGET;

/// The state of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for a slot.
    Queued,
    /// Being generated.
    Running,
    /// Written and validated: its files can be downloaded.
    Done,
    /// Stopped by an error (the message is in the status).
    Failed,
    /// Deleted before it finished.
    Cancelled,
}

impl State {
    /// Queued or running.
    pub fn pending(self) -> bool {
        matches!(self, State::Queued | State::Running)
    }
}

/// A file of a finished dataset.
#[derive(Debug, Clone, Serialize)]
pub struct FileEntry {
    /// Its path inside the dataset directory (`meter_readings/part-....parquet` for a part).
    pub name: String,
    /// Its size.
    pub bytes: u64,
}

/// What a finished dataset's report says, read once.
#[derive(Debug)]
pub struct Finished {
    /// `generation_report.json`'s `summary`.
    pub summary: Value,
    /// `generation_report.json`'s `energy_balance` (null when off).
    pub energy_balance: Value,
    /// Every check, `{name, passed, detail}`.
    pub checks: Value,
    /// The files, sorted by name.
    pub files: Vec<FileEntry>,
}

/// What changes as a job runs.
#[derive(Debug)]
pub struct JobStatus {
    /// Where it is.
    pub state: State,
    /// Why it failed.
    pub error: Option<String>,
    /// Its report, once done.
    pub finished: Option<Arc<Finished>>,
}

/// A dataset: queued, running or finished.
#[derive(Debug)]
pub struct Job {
    /// Its id, also the name of its directory.
    pub id: String,
    /// Creation order (retention removes the lowest first).
    pub seq: u64,
    /// The effective configuration.
    pub config: GeneratorConfig,
    /// The same, as JSON.
    pub config_json: Value,
    /// Raised by DELETE (and on shutdown): the run stops before the next batch.
    pub cancel: Arc<AtomicBool>,
    /// Meters written so far.
    pub progress: Arc<AtomicU64>,
    status: Mutex<JobStatus>,
    state_tx: watch::Sender<State>,
    /// Serializes the building of the cached archive.
    pub archive_lock: tokio::sync::Mutex<()>,
    /// The page data, computed on first request.
    pub page: OnceCell<Arc<PageData>>,
    /// The pipeline, built on first request of a page route.
    pub pipeline: OnceCell<Arc<Pipeline>>,
}

impl Job {
    fn new(id: String, seq: u64, config: GeneratorConfig, state: State) -> Job {
        let config_json = serde_json::to_value(&config).unwrap_or(Value::Null);
        Job {
            id,
            seq,
            config,
            config_json,
            cancel: Arc::new(AtomicBool::new(false)),
            progress: Arc::new(AtomicU64::new(0)),
            status: Mutex::new(JobStatus {
                state,
                error: None,
                finished: None,
            }),
            state_tx: watch::channel(state).0,
            archive_lock: tokio::sync::Mutex::new(()),
            page: OnceCell::new(),
            pipeline: OnceCell::new(),
        }
    }

    /// The status, locked briefly (never held across an await).
    pub fn status(&self) -> MutexGuard<'_, JobStatus> {
        // A poisoned lock only means a panic elsewhere: the data is still whole.
        self.status.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.status().state
    }

    fn set(&self, state: State, error: Option<String>, finished: Option<Arc<Finished>>) {
        {
            let mut status = self.status();
            status.state = state;
            status.error = error;
            status.finished = finished;
        }
        self.state_tx.send_replace(state);
    }

    /// Waits until the job is neither queued nor running.
    pub async fn finished(&self) -> State {
        let mut rx = self.state_tx.subscribe();
        match rx.wait_for(|s| !s.pending()).await {
            Ok(state) => *state,
            Err(_) => self.state(),
        }
    }

    /// The report of a done job.
    pub fn done(&self) -> Option<Arc<Finished>> {
        let status = self.status();
        (status.state == State::Done).then(|| status.finished.clone()).flatten()
    }

    /// The status document of the API.
    pub fn status_json(&self) -> Value {
        let (state, error, finished) = {
            let s = self.status();
            (s.state, s.error.clone(), s.finished.clone())
        };
        let total = self.config.num_meters as u64;
        let done = match state {
            State::Done => total,
            _ => self.progress.load(Ordering::Relaxed).min(total),
        };
        let fraction = if total == 0 { 0.0 } else { done as f64 / total as f64 };
        let url = format!("/api/datasets/{}", self.id);
        let (summary, balance, checks, files, archive) = match &finished {
            Some(f) if state == State::Done => (
                f.summary.clone(),
                f.energy_balance.clone(),
                f.checks.clone(),
                f.files
                    .iter()
                    .map(|file| {
                        json!({"name": file.name, "bytes": file.bytes, "url": format!("{url}/files/{}", file.name)})
                    })
                    .collect(),
                Value::String(format!("{url}/archive")),
            ),
            _ => (Value::Null, Value::Null, json!([]), Vec::new(), Value::Null),
        };
        json!({
            "id": self.id,
            "state": state,
            "progress": {"meters_done": done, "meters_total": total, "fraction": fraction},
            "config": self.config_json,
            "error": error,
            "summary": summary,
            "energy_balance": balance,
            "checks": checks,
            "files": files,
            "archive_url": archive,
        })
    }
}

/// The server's shared state.
#[derive(Debug)]
pub struct Server {
    /// Where the datasets live.
    pub data_dir: PathBuf,
    /// The bearer token required, if any.
    pub token: Option<String>,
    /// Largest job in cells.
    pub max_cells: u64,
    /// Most jobs queued or running at once.
    pub max_pending: usize,
    /// Finished datasets kept.
    pub retention: usize,
    /// Threads of each job's pipeline (0 = all cores).
    pub job_threads: usize,
    /// The page's map tiles.
    pub tile_url: Option<String>,
    slots: Arc<Semaphore>,
    jobs: Mutex<HashMap<String, Arc<Job>>>,
    next: AtomicU64,
}

/// The state the handlers share.
pub type AppState = Arc<Server>;

/// Why a job was not accepted.
#[derive(Debug)]
pub enum Refused {
    /// Too many jobs queued or running.
    QueueFull(usize),
}

impl Server {
    /// A server over `data_dir` (created if missing), listing the datasets
    /// left there by an earlier run as done.
    pub fn open(
        data_dir: PathBuf,
        token: Option<String>,
        max_jobs: usize,
        queue: usize,
        max_cells: u64,
        retention: usize,
        job_threads: usize,
        tile_url: Option<String>,
    ) -> std::io::Result<Server> {
        std::fs::create_dir_all(&data_dir)?;
        let server = Server {
            data_dir,
            token,
            max_cells,
            max_pending: max_jobs + queue,
            retention,
            job_threads,
            tile_url,
            slots: Arc::new(Semaphore::new(max_jobs)),
            jobs: Mutex::new(HashMap::new()),
            next: AtomicU64::new(0),
        };
        server.adopt_leftovers()?;
        Ok(server)
    }

    fn jobs(&self) -> MutexGuard<'_, HashMap<String, Arc<Job>>> {
        self.jobs.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Datasets of an earlier run: every directory with a readable
    /// `generation_report.json` is listed as done; staging leftovers of a
    /// crashed run are removed; anything else is left alone.
    fn adopt_leftovers(&self) -> std::io::Result<()> {
        let mut names: Vec<String> = std::fs::read_dir(&self.data_dir)?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in &names {
            if let Some(rest) = name.strip_prefix('.') {
                // `.<id>.ghostload-tmp-<pid>` or `.<id>.ghostload-old-<pid>`.
                if let Some((id, _)) = rest.split_once(".ghostload-") {
                    if let Err(e) = Staging::recover(&self.data_dir.join(id)) {
                        tracing::warn!(target: CLI_TARGET, "could not clean up `{name}`: {e}");
                    }
                }
            }
        }
        for name in names.iter().filter(|n| !n.starts_with('.')) {
            let dir = self.data_dir.join(name);
            let config = std::fs::read(dir.join(REPORT_JSON))
                .ok()
                .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
                .and_then(|report| serde_json::from_value::<GeneratorConfig>(report.get("config")?.clone()).ok());
            let (Some(config), Ok(finished)) = (config, finished_from_dir(&dir)) else {
                tracing::warn!(target: CLI_TARGET, "ignoring `{}`: not a dataset directory", dir.display());
                continue;
            };
            let seq = self.next.fetch_add(1, Ordering::Relaxed);
            let job = Job::new(name.clone(), seq, config, State::Done);
            job.progress.store(job.config.num_meters as u64, Ordering::Relaxed);
            job.set(State::Done, None, Some(Arc::new(finished)));
            self.jobs().insert(name.clone(), Arc::new(job));
        }
        Ok(())
    }

    /// The job `id`.
    pub fn get(&self, id: &str) -> Option<Arc<Job>> {
        self.jobs().get(id).cloned()
    }

    /// Every job, newest first.
    pub fn list(&self) -> Vec<Arc<Job>> {
        let mut jobs: Vec<Arc<Job>> = self.jobs().values().cloned().collect();
        jobs.sort_by(|a, b| b.seq.cmp(&a.seq));
        jobs
    }

    /// Queues a job for `config` (already validated) and starts it when a slot is free.
    pub fn submit(self: &Arc<Self>, config: GeneratorConfig) -> Result<Arc<Job>, Refused> {
        let job = {
            let mut jobs = self.jobs();
            let pending = jobs.values().filter(|j| j.state().pending()).count();
            if pending >= self.max_pending {
                return Err(Refused::QueueFull(self.max_pending));
            }
            let millis = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let (id, seq) = loop {
                let seq = self.next.fetch_add(1, Ordering::Relaxed);
                // Time first, so that ids sort by creation across restarts.
                let id = format!("{millis:012x}{seq:04x}");
                if !jobs.contains_key(&id) && !self.data_dir.join(&id).exists() {
                    break (id, seq);
                }
            };
            let job = Arc::new(Job::new(id.clone(), seq, config, State::Queued));
            jobs.insert(id, Arc::clone(&job));
            job
        };
        tokio::spawn(run(Arc::clone(self), Arc::clone(&job)));
        Ok(job)
    }

    /// Removes the job `id` (cancelling it if pending) and its files.
    /// `None` if there is no such job.
    pub async fn delete(&self, id: &str) -> Option<()> {
        let job = self.jobs().remove(id)?;
        job.cancel.store(true, Ordering::SeqCst);
        if job.state().pending() {
            // The run stops before its next batch and removes what it wrote.
            if job.state() == State::Queued {
                job.set(State::Cancelled, None, None);
            }
            return Some(());
        }
        self.remove_files(&job.id).await;
        Some(())
    }

    /// Cancels every pending job (shutdown).
    pub fn cancel_all(&self) {
        for job in self.jobs().values() {
            job.cancel.store(true, Ordering::SeqCst);
        }
    }

    /// The cached archive of dataset `id`.
    pub fn archive_path(&self, id: &str) -> PathBuf {
        self.data_dir.join(format!("{id}.zip"))
    }

    async fn remove_files(&self, id: &str) {
        let dir = self.data_dir.join(id);
        let zip = self.archive_path(id);
        let _ = tokio::task::spawn_blocking(move || {
            if dir.exists() {
                if let Err(e) = std::fs::remove_dir_all(&dir) {
                    tracing::warn!(target: CLI_TARGET, "could not remove `{}`: {e}", dir.display());
                }
            }
            let _ = std::fs::remove_file(zip);
        })
        .await;
    }

    /// Removes the oldest finished datasets beyond the retention limit.
    async fn enforce_retention(&self) {
        let removed: Vec<Arc<Job>> = {
            let mut jobs = self.jobs();
            let mut finished: Vec<(u64, String)> = jobs
                .values()
                .filter(|j| matches!(j.state(), State::Done | State::Failed))
                .map(|j| (j.seq, j.id.clone()))
                .collect();
            finished.sort();
            let excess = finished.len().saturating_sub(self.retention);
            finished[..excess]
                .iter()
                .filter_map(|(_, id)| jobs.remove(id))
                .collect()
        };
        for job in removed {
            tracing::info!(target: CLI_TARGET, "retention: removing dataset {}", job.id);
            self.remove_files(&job.id).await;
        }
    }
}

/// Runs `job` once a slot is free.
async fn run(server: AppState, job: Arc<Job>) {
    let Ok(permit) = Arc::clone(&server.slots).acquire_owned().await else {
        return;
    };
    if job.cancel.load(Ordering::SeqCst) {
        job.set(State::Cancelled, None, None);
        return;
    }
    job.set(State::Running, None, None);
    let target = server.data_dir.join(&job.id);
    tracing::info!(target: CLI_TARGET, "dataset {}: generating {} meters", job.id, job.config.num_meters);
    let outcome = {
        let job = Arc::clone(&job);
        let threads = server.job_threads;
        tokio::task::spawn_blocking(move || generate(&job, &target, threads)).await
    };
    drop(permit);
    let cancelled = job.cancel.load(Ordering::SeqCst);
    match outcome {
        Ok(Ok(finished)) if !cancelled => {
            tracing::info!(target: CLI_TARGET, "dataset {}: done", job.id);
            job.set(State::Done, None, Some(Arc::new(finished)));
        }
        Ok(Ok(_)) | Ok(Err(JobError::Interrupted)) => job.set(State::Cancelled, None, None),
        Ok(Err(e)) if cancelled => {
            tracing::debug!(target: CLI_TARGET, "dataset {}: cancelled ({e})", job.id);
            job.set(State::Cancelled, None, None);
        }
        Ok(Err(e)) => {
            tracing::error!(target: CLI_TARGET, "dataset {}: {e}", job.id);
            job.set(State::Failed, Some(e.to_string()), None);
        }
        Err(e) => {
            tracing::error!(target: CLI_TARGET, "dataset {}: the job panicked: {e}", job.id);
            job.set(State::Failed, Some("the job panicked".to_owned()), None);
        }
    }
    if cancelled {
        // Deleted while running: whatever was committed goes too.
        server.remove_files(&job.id).await;
    } else {
        server.enforce_retention().await;
    }
}

/// Why a run stopped.
#[derive(Debug)]
enum JobError {
    /// The cancel flag was raised.
    Interrupted,
    /// Anything else, in words.
    Other(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Interrupted => f.write_str("interrupted"),
            JobError::Other(message) => f.write_str(message),
        }
    }
}

impl From<IoError> for JobError {
    fn from(e: IoError) -> Self {
        match e {
            IoError::Interrupted { .. } => JobError::Interrupted,
            other => JobError::Other(other.to_string()),
        }
    }
}

impl From<ghostload::Error> for JobError {
    fn from(e: ghostload::Error) -> Self {
        JobError::Other(e.to_string())
    }
}

/// Generates `job` into `target` through a staging directory.
fn generate(job: &Job, target: &Path, threads: usize) -> Result<Finished, JobError> {
    let pipeline = Pipeline::builder()
        .config(job.config.clone())
        .threads(threads)
        .build()?;
    let staging = Staging::new(target)?.with_cancel_flag(Arc::clone(&job.cancel));
    let options = WriteOptions::default()
        .with_cancel_flag(Arc::clone(&job.cancel))
        .with_progress(Arc::clone(&job.progress));
    ghostload::io::stream_files(&pipeline, staging.path(), &options)?;
    staging.commit()?;
    finished_from_dir(target).map_err(|e| JobError::Other(format!("cannot read `{}`: {e}", target.display())))
}

/// The report and files of the dataset directory `dir`.
pub fn finished_from_dir(dir: &Path) -> std::io::Result<Finished> {
    let bytes = std::fs::read(dir.join(REPORT_JSON))?;
    let report: Value =
        serde_json::from_slice(&bytes).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let field = |name: &str| report.get(name).cloned().unwrap_or(Value::Null);
    let checks = report
        .get("validation")
        .and_then(|v| v.get("checks"))
        .cloned()
        .unwrap_or_else(|| json!([]));
    Ok(Finished {
        summary: field("summary"),
        energy_balance: field("energy_balance"),
        checks,
        files: list_files(dir)?,
    })
}

/// The files of `dir` and of its subdirectories (one level), sorted.
fn list_files(dir: &Path) -> std::io::Result<Vec<FileEntry>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let kind = entry.file_type()?;
        if kind.is_file() {
            files.push(FileEntry {
                name,
                bytes: entry.metadata()?.len(),
            });
        } else if kind.is_dir() {
            for sub in std::fs::read_dir(entry.path())? {
                let sub = sub?;
                if let (Ok(file), true) = (sub.file_name().into_string(), sub.file_type()?.is_file()) {
                    files.push(FileEntry {
                        name: format!("{name}/{file}"),
                        bytes: sub.metadata()?.len(),
                    });
                }
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}
