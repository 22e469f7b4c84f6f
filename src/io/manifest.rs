//! `manifest.json`: what a dataset directory holds (every data file's size
//! and SHA-256) and which dataset it is (crate version, configuration hash,
//! seed, shard), so that a copy can be verified file by file
//! ([`verify_manifest`]) and a set of shard directories checked to form one
//! complete dataset ([`validate_shard_set`]).
//!
//! The manifest is deterministic, like every other file but the run log: it
//! holds no timestamp, host name or path, so the same configuration and
//! seed give byte-identical manifests on any machine and thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::IoError;
use super::digest::{self, Digests, FileDigest};
use crate::checks::{Check, ValidationReport, check};
use crate::config::GeneratorConfig;
use crate::shard::Shard;
use crate::weather::Weather;

/// File name of the manifest.
pub const MANIFEST_JSON: &str = "manifest.json";

/// The format version [`Manifest::manifest_version`] this build writes and reads.
pub const MANIFEST_VERSION: u32 = 1;

/// Name of the check of a directory against its manifest (in
/// [`validate_dir`](super::validate_dir)'s report and [`validate_shard_set`]'s).
pub const MANIFEST_CHECK: &str = "manifest";

/// The directories of Parquet parts a dataset may hold: any file in them is a
/// data file, listed in the manifest or an error.
const PART_DIRS: [&str; 4] = [
    "meter_readings",
    "transformer_readings",
    "meter_readings_true",
    "feeder_readings",
];

/// Extensions of the files ghostload writes: an unlisted top-level file with
/// one of them is taken for a data file that does not belong to the dataset.
const DATA_EXTENSIONS: [&str; 5] = ["csv", "parquet", "json", "geojson", "txt"];

/// Files every shard of a dataset writes whole (the network and the
/// weather): their digests must agree across the shards of a set.
const SHARED_FILES: [&str; 3] = ["transformers.csv", "transformers.geojson", "weather.csv"];

/// Failures listed in one check's detail before the rest are only counted.
const MAX_LISTED: usize = 10;

/// Everything `manifest.json` holds (see `docs/data-dictionary.md`).
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ghostload::io::{MANIFEST_CHECK, WriteOptions, read_manifest, stream_dataset, verify_manifest};
/// use ghostload::{GeneratorConfig, Pipeline};
/// let pipeline = Pipeline::builder()
///     .config(GeneratorConfig { num_meters: 200, num_transformers: 10, ..Default::default() })
///     .build()?;
/// let dir = std::env::temp_dir().join(format!("ghostload-manifest-doc-{}", std::process::id()));
/// stream_dataset(&pipeline, &dir, &WriteOptions::default())?;
/// let manifest = read_manifest(&dir)?.expect("written with the json feature");
/// assert_eq!(manifest.seed, 42);
/// assert_eq!(manifest.shard.meters, [0, 200]);
/// let check = verify_manifest(&dir)?;
/// assert_eq!(check.name, MANIFEST_CHECK);
/// assert!(check.passed, "{}", check.detail);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(docsrs, doc(cfg(feature = "json")))]
#[non_exhaustive]
pub struct Manifest {
    /// Always `ghostload`.
    pub generator: String,
    /// The crate version that wrote the directory.
    pub version: String,
    /// The format of this manifest: [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// SHA-256 (hexadecimal) of the effective configuration, as
    /// [`config_sha256`] computes it.
    pub config_sha256: String,
    /// The master seed (also part of the configuration).
    pub seed: u64,
    /// SHA-256 of the daily weather the readings were shaped by, as
    /// [`weather_sha256`] computes it: the synthetic weather or one supplied
    /// with [`PipelineBuilder::weather`](crate::PipelineBuilder::weather).
    /// Absent at monthly resolution (no weather).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weather_sha256: Option<String>,
    /// Meters of the whole dataset (all shards).
    pub num_meters: usize,
    /// Transformers of the dataset.
    pub num_transformers: usize,
    /// Which shard this directory holds (`1/1` for a whole dataset).
    pub shard: ManifestShard,
    /// Every data file of the directory, sorted by path.
    pub files: Vec<ManifestFile>,
}

/// The shard a directory holds, in [`Manifest::shard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ManifestShard {
    /// `K` of `--shard K/N`, 1-based ([`Shard::index`]).
    pub index: usize,
    /// `N` of `--shard K/N` ([`Shard::count`]).
    pub count: usize,
    /// The meter indices it holds, `[start, end)` (0-based, end exclusive):
    /// [`Shard::range`] of [`Manifest::num_meters`].
    pub meters: [usize; 2],
}

/// One file of [`Manifest::files`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ManifestFile {
    /// Path relative to the directory, `/`-separated (e.g.
    /// `meter_readings/part-00001-of-00002.parquet`).
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256 of the contents, 64 lower-case hexadecimal digits.
    pub sha256: String,
}

/// SHA-256 (hexadecimal) of `config`'s canonical form: its compact JSON
/// serialization, `serde_json::to_vec(config)` (fields in declaration
/// order, floats as shortest round-trip digits, fields at their default
/// that the serialization omits omitted). The configuration that
/// `generation_report.json` records, parsed back as a [`GeneratorConfig`],
/// gives the same hash.
///
/// # Errors
/// [`IoError::Parse`] if the configuration cannot be serialized (it always can).
pub fn config_sha256(config: &GeneratorConfig) -> Result<String, IoError> {
    canonical_sha256(config, "the configuration")
}

/// SHA-256 (hexadecimal) of `weather`'s canonical form: its compact JSON
/// serialization with the `serde` feature, `serde_json::to_vec(weather)`
/// (first day, days, barangays, then the temperatures and outage flags,
/// barangay-major).
///
/// # Errors
/// [`IoError::Parse`] if the table cannot be serialized (it always can).
pub fn weather_sha256(weather: &Weather) -> Result<String, IoError> {
    canonical_sha256(weather, "the weather")
}

/// SHA-256 of the compact JSON of `value`, streamed into the hash.
fn canonical_sha256(value: &impl serde::Serialize, what: &str) -> Result<String, IoError> {
    let mut out = digest::TapWriter {
        inner: io::sink(),
        tap: digest::Tap::new(&Digests::default(), ""),
    };
    serde_json::to_writer(&mut out, value).map_err(|e| IoError::Parse {
        path: PathBuf::from(MANIFEST_JSON),
        reason: format!("cannot serialize {what}: {e}"),
    })?;
    Ok(digest::hex(&out.tap.into_digest().sha256))
}

/// Writes `manifest` as `manifest.json`: JSON indented by two spaces, fields
/// in the order of [`Manifest`], then a newline.
///
/// # Errors
/// Any error of `out`.
pub fn write_manifest_json<W: Write>(manifest: &Manifest, mut out: W) -> io::Result<()> {
    let pretty = serde_json::ser::PrettyFormatter::with_indent(b"  ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, pretty);
    serde::Serialize::serialize(manifest, &mut ser)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Reads `dir/manifest.json`: `Ok(None)` when there is none (a directory
/// of the original Python tool, or written without the `json` feature).
///
/// # Errors
/// [`IoError::Io`] when it cannot be read; [`IoError::Parse`] naming what
/// is wrong when it is not a manifest this build understands (malformed
/// JSON, a missing or unknown field, a wrong type, another
/// `manifest_version`, a malformed digest or path, an impossible shard).
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, IoError> {
    let path = dir.join(MANIFEST_JSON);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(IoError::io("read", &path, e)),
    };
    parse(&text).map(Some).map_err(|reason| IoError::Parse { path, reason })
}

/// Parses and checks a manifest's text; `Err` says what is wrong.
fn parse(text: &[u8]) -> Result<Manifest, String> {
    let manifest: Manifest = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let mut wrong = Vec::new();
    if manifest.generator != "ghostload" {
        wrong.push(format!("generator is {:?}, not \"ghostload\"", manifest.generator));
    }
    if manifest.manifest_version != MANIFEST_VERSION {
        wrong.push(format!(
            "manifest_version {} is not supported (this build reads version {MANIFEST_VERSION})",
            manifest.manifest_version
        ));
    }
    if !is_sha256(&manifest.config_sha256) {
        wrong.push(format!(
            "config_sha256 {:?} is not 64 lower-case hexadecimal digits",
            manifest.config_sha256
        ));
    }
    if let Some(w) = manifest.weather_sha256.as_ref().filter(|w| !is_sha256(w)) {
        wrong.push(format!("weather_sha256 {w:?} is not 64 lower-case hexadecimal digits"));
    }
    let s = manifest.shard;
    match Shard::new(s.index, s.count) {
        Err(_) => wrong.push(format!(
            "shard {}/{} is impossible (1 <= index <= count)",
            s.index, s.count
        )),
        Ok(shard) => {
            let range = shard.range(manifest.num_meters);
            if s.meters != [range.start, range.end] {
                wrong.push(format!(
                    "shard {shard} of {} meters holds meters [{}, {}), not [{}, {})",
                    manifest.num_meters, range.start, range.end, s.meters[0], s.meters[1]
                ));
            }
        }
    }
    let mut previous: Option<&str> = None;
    for f in &manifest.files {
        if let Some(why) = bad_path(&f.path) {
            wrong.push(format!("files: path {:?} {why}", f.path));
        }
        if !is_sha256(&f.sha256) {
            wrong.push(format!(
                "files: sha256 of `{}` ({:?}) is not 64 lower-case hexadecimal digits",
                f.path, f.sha256
            ));
        }
        if previous.is_some_and(|p| p >= f.path.as_str()) {
            wrong.push(format!("files: `{}` is out of order or listed twice", f.path));
        }
        previous = Some(&f.path);
    }
    if wrong.is_empty() {
        Ok(manifest)
    } else {
        Err(wrong.join("; "))
    }
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Why `path` cannot name a file inside the directory (`None`: it can). A
/// manifest must not make the verifier read outside the directory.
fn bad_path(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("is empty");
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        return Some("is not a relative `/`-separated path");
    }
    if path.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Some("has an empty, `.` or `..` component");
    }
    if path == super::LOG_FILE || path == MANIFEST_JSON {
        return Some("is not a data file");
    }
    None
}

/// Builds the manifest of the files a sink wrote into `dir` holding
/// `shard`: `written` as [`WrittenFiles::files`](super::WrittenFiles::files)
/// names them (a directory of Parquet parts by its name: its file is the
/// part named after `parts`, the shard the writer was asked for).
/// Digests recorded while writing are used when the size still agrees;
/// the other files are read and hashed, in parallel with the `parallel` feature.
pub(crate) fn build(
    dir: &Path,
    written: &[String],
    digests: &Digests,
    config: &GeneratorConfig,
    weather: Option<&Weather>,
    shard: Shard,
    parts: Shard,
) -> Result<Manifest, IoError> {
    let mut paths: Vec<String> = Vec::with_capacity(written.len());
    for name in written {
        if dir.join(name).is_dir() {
            paths.push(format!("{name}/{}", part_file(parts)));
        } else {
            paths.push(name.clone());
        }
    }
    paths.sort_unstable();
    paths.dedup();
    let hash = |rel: &String| -> Result<ManifestFile, IoError> {
        let path = dir.join(rel);
        let len = std::fs::metadata(&path)
            .map_err(|e| IoError::io("stat", &path, e))?
            .len();
        let d = match digests.take(rel) {
            Some(d) if d.bytes == len => d,
            // Not hashed on the way out (or changed since): read it back.
            _ => digest::digest_file(&path).map_err(|e| IoError::io("hash", &path, e))?,
        };
        Ok(ManifestFile {
            path: rel.clone(),
            bytes: d.bytes,
            sha256: digest::hex(&d.sha256),
        })
    };
    #[cfg(feature = "parallel")]
    let files: Result<Vec<ManifestFile>, IoError> = {
        use rayon::prelude::*;
        paths.par_iter().map(hash).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let files: Result<Vec<ManifestFile>, IoError> = paths.iter().map(hash).collect();
    let range = shard.range(config.num_meters);
    Ok(Manifest {
        generator: "ghostload".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        manifest_version: MANIFEST_VERSION,
        config_sha256: config_sha256(config)?,
        seed: config.seed,
        weather_sha256: weather.map(weather_sha256).transpose()?,
        num_meters: config.num_meters,
        num_transformers: config.num_transformers,
        shard: ManifestShard {
            index: shard.index(),
            count: shard.count(),
            meters: [range.start, range.end],
        },
        files: files?,
    })
}

/// The name of a shard's Parquet part (`part-KKKKK-of-NNNNN.parquet`).
fn part_file(shard: Shard) -> String {
    format!("part-{:05}-of-{:05}.parquet", shard.index(), shard.count())
}

/// What [`verify_manifest`] found: the manifest (when it could be read) and the check.
struct Verified {
    manifest: Option<Manifest>,
    check: Check,
}

/// Checks the directory `dir` against its `manifest.json`, as the
/// `manifest` check of [`validate_dir`](super::validate_dir):
///
/// - every listed file exists with the listed size and SHA-256 (hashed in
///   parallel with the `parallel` feature);
/// - no data file is unlisted: a top-level file ending in `.csv`,
///   `.parquet`, `.json`, `.geojson` or `.txt`, or any file in a directory of
///   Parquet parts (`meter_readings/`, `transformer_readings/`,
///   `meter_readings_true/`, `feeder_readings/`) or in a directory with listed
///   files. The run log (`synthetic_data_generation.log`, not deterministic)
///   is never listed; other files (a `notes.md` kept by the staging
///   directory, `figures/*.png`) are named in the detail but do not fail;
/// - the manifest is well-formed (see [`read_manifest`]);
/// - when `generation_report.json` is present, its `version` and shard agree
///   with the manifest's, and its `config`, parsed as a [`GeneratorConfig`],
///   hashes to `config_sha256` and has the manifest's seed and counts.
///
/// A directory without `manifest.json` (the original Python tool's, or one
/// written without the `json` feature) passes, the detail saying that
/// there was nothing to verify.
///
/// # Errors
/// [`IoError::NotADirectory`] or [`IoError::Io`] when `dir` is not a
/// readable directory. Everything about the files is a failed check.
pub fn verify_manifest(dir: &Path) -> Result<Check, IoError> {
    Ok(verify(dir)?.check)
}

/// The detail of the check of a directory without a manifest.
const NO_MANIFEST: &str =
    "no manifest.json, nothing to verify (not written by ghostload, or written without the `json` feature)";

fn verify(dir: &Path) -> Result<Verified, IoError> {
    let meta = std::fs::metadata(dir).map_err(|e| IoError::io("open", dir, e))?;
    if !meta.is_dir() {
        return Err(IoError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let fail = |detail: String| Verified {
        manifest: None,
        check: check(MANIFEST_CHECK, false, detail),
    };
    let path = dir.join(MANIFEST_JSON);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Verified {
                manifest: None,
                check: check(MANIFEST_CHECK, true, NO_MANIFEST.to_owned()),
            });
        }
        Err(e) => return Ok(fail(format!("cannot read {MANIFEST_JSON}: {e}"))),
    };
    let manifest = match parse(&text) {
        Ok(m) => m,
        Err(reason) => return Ok(fail(format!("{MANIFEST_JSON} is malformed: {reason}"))),
    };
    let mut problems = file_problems(dir, &manifest);
    let (unlisted, ignored) = unlisted_files(dir, &manifest)?;
    problems.extend(
        unlisted
            .iter()
            .map(|p| format!("`{p}` is not listed in {MANIFEST_JSON} (not part of this dataset)")),
    );
    let report = report_problems(dir, &manifest);
    let agrees = report.as_ref().is_some_and(Vec::is_empty);
    problems.extend(report.unwrap_or_default());
    let check = if problems.is_empty() {
        let bytes: u64 = manifest.files.iter().map(|f| f.bytes).sum();
        let mut detail = format!(
            "{} files, {bytes} bytes, sizes and SHA-256 as listed, no unlisted data file",
            manifest.files.len()
        );
        if agrees {
            detail.push_str("; configuration hash, seed and shard agree with generation_report.json");
        }
        if !ignored.is_empty() {
            detail.push_str(&format!("; not data files, ignored: {}", listed(&ignored)));
        }
        check(MANIFEST_CHECK, true, detail)
    } else {
        check(MANIFEST_CHECK, false, listed(&problems))
    };
    Ok(Verified {
        manifest: Some(manifest),
        check,
    })
}

/// `items` joined by `; `, at most [`MAX_LISTED`] of them and a count of the rest.
fn listed(items: &[String]) -> String {
    let mut text = items.iter().take(MAX_LISTED).cloned().collect::<Vec<_>>().join("; ");
    if items.len() > MAX_LISTED {
        text.push_str(&format!("; and {} more", items.len() - MAX_LISTED));
    }
    text
}

/// The listed files that are missing or differ from the manifest, in path order.
fn file_problems(dir: &Path, manifest: &Manifest) -> Vec<String> {
    let one = |f: &ManifestFile| -> Option<String> {
        let path = dir.join(&f.path);
        let len = match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => m.len(),
            Ok(_) => return Some(format!("`{}` is not a file", f.path)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Some(format!("`{}` is missing", f.path)),
            Err(e) => return Some(format!("`{}` cannot be read: {e}", f.path)),
        };
        if len != f.bytes {
            return Some(format!(
                "`{}` has {len} bytes, the manifest lists {} (truncated or changed)",
                f.path, f.bytes
            ));
        }
        match digest::digest_file(&path) {
            Err(e) => Some(format!("`{}` cannot be read: {e}", f.path)),
            Ok(FileDigest { sha256, .. }) => {
                let actual = digest::hex(&sha256);
                (actual != f.sha256).then(|| {
                    format!(
                        "`{}` has SHA-256 {}, the manifest lists {} (contents changed)",
                        f.path,
                        short(&actual),
                        short(&f.sha256)
                    )
                })
            }
        }
    };
    #[cfg(feature = "parallel")]
    let problems: Vec<Option<String>> = {
        use rayon::prelude::*;
        manifest.files.par_iter().map(one).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let problems: Vec<Option<String>> = manifest.files.iter().map(one).collect();
    problems.into_iter().flatten().collect()
}

/// The files of `dir` that the manifest does not list: `(data files, other files)`,
/// each sorted by path (see [`verify_manifest`] for which are data files).
fn unlisted_files(dir: &Path, manifest: &Manifest) -> Result<(Vec<String>, Vec<String>), IoError> {
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    let listed_dirs: BTreeSet<&str> = manifest
        .files
        .iter()
        .filter_map(|f| f.path.rsplit_once('/').map(|(d, _)| d))
        .collect();
    let mut found = Vec::new();
    walk(dir, "", &mut found)?;
    found.sort();
    let (mut data, mut other) = (Vec::new(), Vec::new());
    for rel in found {
        if listed.contains(rel.as_str()) || rel == super::LOG_FILE || rel == MANIFEST_JSON {
            continue;
        }
        let is_data = match rel.rsplit_once('/') {
            None => rel
                .rsplit_once('.')
                .is_some_and(|(_, ext)| DATA_EXTENSIONS.iter().any(|d| ext.eq_ignore_ascii_case(d))),
            Some((parent, _)) => {
                listed_dirs.contains(parent) || PART_DIRS.contains(&rel.split('/').next().unwrap_or_default())
            }
        };
        if is_data { data.push(rel) } else { other.push(rel) }
    }
    Ok((data, other))
}

/// Adds the regular files under `dir/prefix` to `out`, as `/`-separated
/// paths relative to `dir`. Symbolic links to directories are not followed.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), IoError> {
    let here = if prefix.is_empty() {
        dir.to_path_buf()
    } else {
        dir.join(prefix)
    };
    let list = |e| IoError::io("list", &here, e);
    for entry in std::fs::read_dir(&here).map_err(list)? {
        let entry = entry.map_err(list)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry.file_type().map_err(list)?;
        if kind.is_dir() {
            walk(dir, &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

/// Where `generation_report.json` disagrees with the manifest (`None`: no
/// report). The report is itself listed, so a changed report already fails
/// on its digest; this catches a manifest edited to match other files.
fn report_problems(dir: &Path, manifest: &Manifest) -> Option<Vec<String>> {
    let path = dir.join(super::REPORT_JSON);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => return Some(vec![format!("cannot read {}: {e}", super::REPORT_JSON)]),
    };
    let report: serde_json::Value = match serde_json::from_slice(&text) {
        Ok(v) => v,
        Err(e) => return Some(vec![format!("{} is not JSON: {e}", super::REPORT_JSON)]),
    };
    let mut problems = Vec::new();
    let version = report.get("version").and_then(serde_json::Value::as_str);
    if version != Some(manifest.version.as_str()) {
        problems.push(format!(
            "version {} in {MANIFEST_JSON}, {} in {}",
            manifest.version,
            version.unwrap_or("none"),
            super::REPORT_JSON
        ));
    }
    let shard = report.get("shard").map(|s| {
        let part = |k: &str| s.get(k).and_then(serde_json::Value::as_u64);
        (part("index"), part("count"))
    });
    let (index, count) = (manifest.shard.index as u64, manifest.shard.count as u64);
    let report_shard = shard.unwrap_or((Some(1), Some(1)));
    if report_shard != (Some(index), Some(count)) {
        problems.push(format!(
            "shard {index}/{count} in {MANIFEST_JSON}, {} in {}",
            match report_shard {
                (Some(k), Some(n)) => format!("{k}/{n}"),
                _ => "a malformed shard".to_owned(),
            },
            super::REPORT_JSON
        ));
    }
    let config = report
        .get("config")
        .cloned()
        .ok_or_else(|| vec![format!("{} has no `config`", super::REPORT_JSON)])
        .and_then(|c| {
            serde_json::from_value::<GeneratorConfig>(c).map_err(|e| {
                vec![format!(
                    "the `config` of {} is not a configuration: {e}",
                    super::REPORT_JSON
                )]
            })
        });
    match config {
        Err(p) => problems.extend(p),
        Ok(config) => {
            match config_sha256(&config) {
                Ok(hash) if hash == manifest.config_sha256 => {}
                Ok(hash) => problems.push(format!(
                    "config_sha256 {} in {MANIFEST_JSON}, but the configuration in {} hashes to {}",
                    short(&manifest.config_sha256),
                    super::REPORT_JSON,
                    short(&hash)
                )),
                Err(e) => problems.push(e.to_string()),
            }
            let pairs = [
                ("seed", manifest.seed, config.seed),
                ("num_meters", manifest.num_meters as u64, config.num_meters as u64),
                (
                    "num_transformers",
                    manifest.num_transformers as u64,
                    config.num_transformers as u64,
                ),
            ];
            for (field, ours, theirs) in pairs {
                if ours != theirs {
                    problems.push(format!(
                        "{field} {ours} in {MANIFEST_JSON}, {theirs} in {}",
                        super::REPORT_JSON
                    ));
                }
            }
        }
    }
    Some(problems)
}

/// Name of the check that the directories of a shard set hold one dataset.
const SAME_DATASET: &str = "same_dataset";
/// Name of the check that every shard is present exactly once.
const SHARDS_COMPLETE: &str = "shards_complete";
/// Name of the check that the shards' meter ranges tile the dataset.
const METERS_TILED: &str = "meters_tiled";

/// Checks that the directories `dirs` (in any order) are the shards of one
/// complete dataset, as `ghostload validate --shards DIR...` does. The report holds:
///
/// 1. `manifest`, once per directory in the order given: the directory
///    verifies against its `manifest.json` ([`verify_manifest`]); here a
///    missing manifest fails, since nothing else says which shard a
///    directory holds;
/// 2. `same_dataset`: every manifest has the same generator, version,
///    `config_sha256`, seed, `weather_sha256`, `num_meters`,
///    `num_transformers` and shard count, and the files every shard writes
///    whole (`transformers.csv`, `transformers.geojson`, `weather.csv`) have
///    the same digests;
/// 3. `shards_complete`: each shard `1/N … N/N` is present exactly once
///    (the missing and the duplicated ones are named);
/// 4. `meters_tiled`: the shards' meter ranges, in order, tile
///    `0 .. num_meters` with no gap or overlap.
///
/// Each failure names the directories and shards at fault. The shards'
/// contents were checked when they were written (each `generation_report.json`
/// records the checks of its shard); `validate_dir` of a single shard
/// fails its `whole_dataset` check by design.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use ghostload::io::{WriteOptions, stream_dataset, validate_shard_set};
/// use ghostload::{GeneratorConfig, Pipeline, Shard};
/// let pipeline = Pipeline::builder()
///     .config(GeneratorConfig { num_meters: 300, num_transformers: 10, ..Default::default() })
///     .build()?;
/// let root = std::env::temp_dir().join(format!("ghostload-shard-set-doc-{}", std::process::id()));
/// let dirs: Vec<_> = (1..=3).map(|k| root.join(k.to_string())).collect();
/// for (k, dir) in (1..=3).zip(&dirs) {
///     stream_dataset(&pipeline, dir, &WriteOptions::default().with_shard(Shard::new(k, 3)?))?;
/// }
/// assert!(validate_shard_set(&dirs)?.passed());
/// let report = validate_shard_set(&dirs[..2])?;
/// assert!(report.check("shards_complete").is_some_and(|c| c.detail.contains("shard 3/3 is missing")));
/// # std::fs::remove_dir_all(&root)?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`IoError::NotADirectory`] or [`IoError::Io`] when a path is not a
/// readable directory.
pub fn validate_shard_set<P: AsRef<Path>>(dirs: &[P]) -> Result<ValidationReport, IoError> {
    let mut checks = Vec::new();
    let mut shards: Vec<(String, Manifest)> = Vec::new();
    for dir in dirs {
        let dir = dir.as_ref();
        let name = format!("`{}`", dir.display());
        let Verified { manifest, check: c } = verify(dir)?;
        let c = match &manifest {
            None if c.passed => check(
                MANIFEST_CHECK,
                false,
                format!("{name}: no {MANIFEST_JSON}, so which shard it holds is unknown"),
            ),
            None => check(MANIFEST_CHECK, false, format!("{name}: {}", c.detail)),
            Some(m) => check(
                MANIFEST_CHECK,
                c.passed,
                format!("{name} (shard {}/{}): {}", m.shard.index, m.shard.count, c.detail),
            ),
        };
        checks.push(c);
        if let Some(m) = manifest {
            shards.push((name, m));
        }
    }
    if dirs.is_empty() {
        checks.push(check(SHARDS_COMPLETE, false, "no directories given".to_owned()));
        return Ok(ValidationReport { checks });
    }
    let Some((first_name, first)) = shards.first() else {
        let detail = "no directory has a readable manifest".to_owned();
        for name in [SAME_DATASET, SHARDS_COMPLETE, METERS_TILED] {
            checks.push(check(name, false, detail.clone()));
        }
        return Ok(ValidationReport { checks });
    };
    checks.push(same_dataset(first_name, first, &shards));
    checks.push(shards_complete(first.shard.count, &shards));
    checks.push(meters_tiled(first.num_meters, &shards));
    Ok(ValidationReport { checks })
}

/// `shard K/N of `dir``, as the shard-set checks name a directory.
fn who(name: &str, m: &Manifest) -> String {
    format!("{name} (shard {}/{})", m.shard.index, m.shard.count)
}

/// The first 12 digits of a digest, enough to tell two apart in a message.
fn short(sha256: &str) -> String {
    format!("{}…", sha256.get(..12).unwrap_or(sha256))
}

/// The digests of the [`SHARED_FILES`] a manifest lists, by path.
fn shared(m: &Manifest) -> BTreeMap<&str, &str> {
    m.files
        .iter()
        .filter(|f| SHARED_FILES.contains(&f.path.as_str()))
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect()
}

fn same_dataset(first_name: &str, first: &Manifest, shards: &[(String, Manifest)]) -> Check {
    let mut problems = Vec::new();
    let first_shared = shared(first);
    for (name, m) in &shards[1..] {
        let fields: [(&str, String, String); 8] = [
            ("generator", first.generator.clone(), m.generator.clone()),
            ("version", first.version.clone(), m.version.clone()),
            ("config_sha256", short(&first.config_sha256), short(&m.config_sha256)),
            ("seed", first.seed.to_string(), m.seed.to_string()),
            (
                "weather_sha256",
                first.weather_sha256.as_deref().map_or_else(|| "none".to_owned(), short),
                m.weather_sha256.as_deref().map_or_else(|| "none".to_owned(), short),
            ),
            ("num_meters", first.num_meters.to_string(), m.num_meters.to_string()),
            (
                "num_transformers",
                first.num_transformers.to_string(),
                m.num_transformers.to_string(),
            ),
            ("shard count", first.shard.count.to_string(), m.shard.count.to_string()),
        ];
        for (field, a, b) in fields {
            if a != b {
                problems.push(format!(
                    "{} has {field} {b}, {} has {a}",
                    who(name, m),
                    who(first_name, first)
                ));
            }
        }
        for (path, sha) in shared(m) {
            if first_shared.get(path).is_some_and(|s| *s != sha) {
                problems.push(format!(
                    "`{path}` of {} differs from that of {}",
                    who(name, m),
                    who(first_name, first)
                ));
            }
        }
    }
    if problems.is_empty() {
        check(
            SAME_DATASET,
            true,
            format!(
                "{} directories of one dataset: version {}, seed {}, config_sha256 {}, {} meters in {} shards",
                shards.len(),
                first.version,
                first.seed,
                short(&first.config_sha256),
                first.num_meters,
                first.shard.count
            ),
        )
    } else {
        check(SAME_DATASET, false, listed(&problems))
    }
}

fn shards_complete(count: usize, shards: &[(String, Manifest)]) -> Check {
    let mut holders: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (name, m) in shards.iter().filter(|(_, m)| m.shard.count == count) {
        holders.entry(m.shard.index).or_default().push(name);
    }
    let mut problems = Vec::new();
    let mut missing = Vec::new();
    // Only the indices present are visited for duplicates; the missing ones
    // are found by walking the present ones in order (count may be huge).
    let mut expected = 1;
    for (&index, names) in &holders {
        if index > expected {
            missing.push((expected, index - 1));
        }
        expected = index + 1;
        if names.len() > 1 {
            problems.push(format!(
                "shard {index}/{count} appears {} times: {}",
                names.len(),
                names.join(", ")
            ));
        }
    }
    if expected <= count {
        missing.push((expected, count));
    }
    for (a, b) in missing {
        problems.push(if a == b {
            format!("shard {a}/{count} is missing")
        } else {
            format!("shards {a}/{count} to {b}/{count} are missing")
        });
    }
    problems.sort_by_key(|p| !p.contains("missing"));
    if problems.is_empty() {
        check(
            SHARDS_COMPLETE,
            true,
            format!("each of the {count} shards present once"),
        )
    } else {
        check(SHARDS_COMPLETE, false, listed(&problems))
    }
}

fn meters_tiled(num_meters: usize, shards: &[(String, Manifest)]) -> Check {
    let mut ranges: Vec<(usize, usize, String)> = shards
        .iter()
        .map(|(name, m)| (m.shard.meters[0], m.shard.meters[1], who(name, m)))
        .collect();
    ranges.sort();
    let mut problems = Vec::new();
    let mut at = 0usize;
    let mut last = String::from("the start");
    for (start, end, name) in &ranges {
        if *start > at {
            problems.push(format!(
                "meters [{at}, {start}) are in no shard (between {last} and {name})"
            ));
        } else if *start < at {
            problems.push(format!(
                "meters [{start}, {}) are in both {last} and {name}",
                at.min(*end)
            ));
        }
        if *end >= at {
            at = *end;
            last.clone_from(name);
        }
    }
    if at < num_meters {
        problems.push(format!("meters [{at}, {num_meters}) are in no shard (after {last})"));
    } else if at > num_meters {
        problems.push(format!(
            "{last} reaches meter {at}, past the {num_meters} meters of the dataset"
        ));
    }
    if problems.is_empty() {
        check(
            METERS_TILED,
            true,
            format!("the shards' meter ranges tile [0, {num_meters}) without gap or overlap"),
        )
    } else {
        check(METERS_TILED, false, listed(&problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(index: usize, count: usize, num_meters: usize) -> Manifest {
        let range = Shard::new(index, count).unwrap().range(num_meters);
        Manifest {
            generator: "ghostload".into(),
            version: "0.1.0".into(),
            manifest_version: MANIFEST_VERSION,
            config_sha256: "a".repeat(64),
            seed: 42,
            weather_sha256: None,
            num_meters,
            num_transformers: 2,
            shard: ManifestShard {
                index,
                count,
                meters: [range.start, range.end],
            },
            files: vec![],
        }
    }

    fn set(specs: &[(usize, usize)]) -> Vec<(String, Manifest)> {
        specs
            .iter()
            .map(|&(k, n)| (format!("`d{k}`"), manifest(k, n, 100)))
            .collect()
    }

    #[test]
    fn completeness_names_missing_ranges_and_duplicates() {
        let c = shards_complete(5, &set(&[(1, 5), (3, 5), (3, 5)]));
        assert!(!c.passed);
        assert!(c.detail.contains("shard 2/5 is missing"), "{}", c.detail);
        assert!(c.detail.contains("shards 4/5 to 5/5 are missing"), "{}", c.detail);
        assert!(
            c.detail.contains("shard 3/5 appears 2 times: `d3`, `d3`"),
            "{}",
            c.detail
        );
        assert!(shards_complete(2, &set(&[(2, 2), (1, 2)])).passed);
    }

    #[test]
    fn tiling_names_gaps_and_overlaps() {
        assert!(meters_tiled(100, &set(&[(2, 3), (1, 3), (3, 3)])).passed);
        let gap = meters_tiled(100, &set(&[(1, 3), (3, 3)]));
        assert!(gap.detail.contains("meters [33, 66) are in no shard"), "{}", gap.detail);
        let mut overlap = set(&[(1, 2), (2, 2)]);
        overlap[1].1.shard.meters = [40, 100];
        let c = meters_tiled(100, &overlap);
        assert!(c.detail.contains("meters [40, 50) are in both"), "{}", c.detail);
        let short = meters_tiled(100, &set(&[(1, 2)]));
        assert!(
            short.detail.contains("meters [50, 100) are in no shard"),
            "{}",
            short.detail
        );
    }

    #[test]
    fn malformed_manifests_say_what_is_wrong() {
        let good = manifest(1, 1, 10);
        let mut text = Vec::new();
        write_manifest_json(&good, &mut text).unwrap();
        assert_eq!(parse(&text).unwrap(), good);
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_slice(&text).unwrap();
            f(&mut v);
            parse(&serde_json::to_vec(&v).unwrap()).unwrap_err()
        };
        assert!(edit(&|v| v["manifest_version"] = 2.into()).contains("manifest_version 2"));
        assert!(edit(&|v| v["config_sha256"] = "xyz".into()).contains("config_sha256"));
        assert!(edit(&|v| v["shard"]["index"] = 0.into()).contains("shard 0/1"));
        assert!(edit(&|v| v["shard"]["meters"][1] = 9.into()).contains("holds meters [0, 10)"));
        assert!(edit(&|v| v["extra"] = 1.into()).contains("unknown field `extra`"));
        assert!(
            edit(&|v| {
                v.as_object_mut().unwrap().remove("seed");
            })
            .contains("missing field `seed`")
        );
        let file = |path: &str| serde_json::json!({"path": path, "bytes": 1, "sha256": "0".repeat(64)});
        assert!(edit(&|v| v["files"] = vec![file("../x.csv")].into()).contains("`..`"));
        assert!(edit(&|v| v["files"] = vec![file("/etc/passwd")].into()).contains("not a relative"));
        assert!(edit(&|v| v["files"] = vec![file("b.csv"), file("a.csv")].into()).contains("out of order"));
        assert!(edit(&|v| v["files"] = vec![file("a.csv"), file("a.csv")].into()).contains("listed twice"));
        assert!(parse(b"{").unwrap_err().contains("EOF"));
    }

    #[test]
    fn hex_digests_are_those_of_sha256() {
        // FIPS 180-2 test vector.
        assert_eq!(
            digest::sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
