//! `ghostload serve` over real HTTP: the built binary on a loopback port,
//! a blocking HTTP client (ureq), no mocks. Every bad request of issue 13
//! is sent, and the data directory is checked to hold nothing new after it.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ureq::Agent;

/// A running server, killed when dropped.
struct Server {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    base: String,
    dir: tempfile::TempDir,
    agent: Agent,
    token: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response: status, headers we look at, body.
struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

fn start(extra: &[&str]) -> Server {
    start_in(None, extra)
}

/// A server on `data_dir` (a new temporary directory if none).
fn start_in(data_dir: Option<&Path>, extra: &[&str]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir.unwrap_or(dir.path()).to_str().unwrap().to_owned();
    let mut args = vec!["-q", "serve", "--bind", "127.0.0.1:0", "--data-dir", &data];
    args.extend_from_slice(extra);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghostload"))
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let agent: Agent = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();
    let token = extra
        .iter()
        .position(|a| *a == "--token")
        .map(|i| extra[i + 1].to_owned());
    Server {
        child,
        _stdout: stdout,
        base,
        dir,
        agent,
        token,
    }
}

fn read_reply(mut response: ureq::http::Response<ureq::Body>) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.body_mut().with_config().limit(1 << 30).read_to_vec().unwrap();
    Reply { status, headers, body }
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn auth(&self) -> Option<String> {
        self.token.as_ref().map(|t| format!("Bearer {t}"))
    }

    fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[])
    }

    fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut request = self.agent.get(&self.url(path));
        if let Some(a) = self.auth() {
            request = request.header("Authorization", &a);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        read_reply(request.call().unwrap())
    }

    fn post(&self, path: &str, body: &[u8]) -> Reply {
        let mut request = self
            .agent
            .post(&self.url(path))
            .header("Content-Type", "application/json");
        if let Some(a) = self.auth() {
            request = request.header("Authorization", &a);
        }
        read_reply(request.send(body).unwrap())
    }

    fn post_json(&self, path: &str, body: &Value) -> Reply {
        self.post(path, body.to_string().as_bytes())
    }

    fn delete(&self, path: &str) -> Reply {
        let mut request = self.agent.delete(&self.url(path));
        if let Some(a) = self.auth() {
            request = request.header("Authorization", &a);
        }
        read_reply(request.call().unwrap())
    }

    /// Queues a dataset; returns its id.
    fn create(&self, config: &Value) -> String {
        let reply = self.post_json("/api/datasets", config);
        assert_eq!(reply.status, 202, "{}", String::from_utf8_lossy(&reply.body));
        let body = reply.json();
        let id = body["id"].as_str().unwrap().to_owned();
        assert_eq!(body["state"], "queued");
        assert_eq!(body["url"], format!("/api/datasets/{id}"));
        assert_eq!(
            reply.header("location").as_deref(),
            Some(&*format!("/api/datasets/{id}"))
        );
        id
    }

    /// Polls until the dataset is no longer queued or running; returns its status.
    fn wait(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let status = self.get(&format!("/api/datasets/{id}")).json();
            if !matches!(status["state"].as_str(), Some("queued" | "running")) {
                return status;
            }
            assert!(Instant::now() < deadline, "dataset {id} still {}", status["state"]);
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn entries(&self) -> BTreeSet<String> {
        entries(self.dir.path())
    }

    fn dataset_dir(&self, id: &str) -> PathBuf {
        self.dir.path().join(id)
    }
}

fn entries(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// Asserts an error reply: status, JSON shape, field.
fn assert_error(reply: &Reply, status: u16, field: Option<&str>) -> Value {
    assert_eq!(reply.status, status, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{body}");
    for key in ["field", "value", "allowed"] {
        assert!(body.get(key).is_some(), "no `{key}` in {body}");
    }
    if let Some(field) = field {
        assert_eq!(body["field"], field, "{body}");
    }
    body
}

fn small(seed: u64) -> Value {
    json!({"num_meters": 300, "num_transformers": 10, "num_months": 6, "seed": seed})
}

/// A job that runs for a while in any build: long enough to be seen queued or running.
fn slow() -> Value {
    json!({"num_meters": 400_000, "num_transformers": 2_000, "num_months": 24})
}

/// A raw HTTP/1.1 GET (no normalization of the path by a client); returns the status.
fn raw_status(server: &Server, path: &str) -> u16 {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head).unwrap();
    head.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn csv_rows(path: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[test]
fn a_dataset_is_generated_served_archived_and_deleted() {
    let server = start(&[]);
    let reply = server.get("/api/health");
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.json(),
        json!({"status": "ok", "version": "0.1.0", "tile_url": null})
    );
    let presets = server.get("/api/presets").json();
    for name in ["demo", "default", "production", "utility"] {
        assert!(presets["presets"][name]["num_meters"].as_u64().is_some(), "{presets}");
    }
    assert_eq!(presets["presets"]["demo"]["num_meters"], 500);

    // Laid over the demo preset: its 6 months are kept.
    let reply = server.post_json("/api/datasets?preset=demo", &json!({"num_meters": 400, "seed": 11}));
    assert_eq!(reply.status, 202);
    let id = reply.json()["id"].as_str().unwrap().to_owned();
    let status = server.wait(&id);
    assert_eq!(status["state"], "done", "{status}");
    assert_eq!(status["id"], id.as_str());
    assert_eq!(status["error"], Value::Null);
    assert_eq!(status["config"]["num_meters"], 400);
    assert_eq!(status["config"]["num_months"], 6);
    assert_eq!(status["config"]["seed"], 11);
    assert_eq!(
        status["progress"],
        json!({"meters_done": 400, "meters_total": 400, "fraction": 1.0})
    );
    assert_eq!(status["summary"]["meters"], 400);
    assert_eq!(status["summary"]["periods"], 6);
    assert!(status["energy_balance"]["transformers"].as_u64().is_some(), "{status}");
    let checks = status["checks"].as_array().unwrap();
    assert!(checks.len() >= 5);
    assert!(
        checks
            .iter()
            .all(|c| c["passed"] == true && c["name"].is_string() && c["detail"].is_string())
    );
    assert_eq!(status["archive_url"], format!("/api/datasets/{id}/archive"));

    let dir = server.dataset_dir(&id);
    let files = status["files"].as_array().unwrap();
    let names: BTreeSet<String> = files.iter().map(|f| f["name"].as_str().unwrap().to_owned()).collect();
    let mut on_disk = entries(&dir);
    on_disk.retain(|n| dir.join(n).is_file());
    assert_eq!(names, on_disk);
    for name in [
        "meter_consumption.csv",
        "anomaly_labels.csv",
        "generation_report.json",
        "manifest.json",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    for file in files {
        let name = file["name"].as_str().unwrap();
        assert_eq!(
            file["bytes"].as_u64().unwrap(),
            std::fs::metadata(dir.join(name)).unwrap().len()
        );
        assert_eq!(file["url"], format!("/api/datasets/{id}/files/{name}"));
    }

    // A file, whole and by range.
    let disk = std::fs::read(dir.join("meter_consumption.csv")).unwrap();
    let path = format!("/api/datasets/{id}/files/meter_consumption.csv");
    let reply = server.get(&path);
    assert_eq!(reply.status, 200);
    assert!(reply.body == disk, "the download differs from the file");
    assert!(reply.header("content-type").unwrap().starts_with("text/csv"));
    let reply = server.get_with(&path, &[("Range", "bytes=100-199")]);
    assert_eq!(reply.status, 206);
    assert_eq!(
        reply.header("content-range").unwrap(),
        format!("bytes 100-199/{}", disk.len())
    );
    assert!(reply.body == disk[100..200]);
    let reply = read_reply(server.agent.head(&server.url(&path)).call().unwrap());
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-length").unwrap(), disk.len().to_string());
    assert!(reply.body.is_empty());

    // The archive lists every file, with the same bytes; a second request gives the same archive.
    let reply = server.get(&format!("/api/datasets/{id}/archive"));
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type").as_deref(), Some("application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(reply.body.clone())).unwrap();
    let zipped: BTreeSet<String> = zip.file_names().map(str::to_owned).collect();
    assert_eq!(zipped, names);
    let mut member = Vec::new();
    zip.by_name("meter_consumption.csv")
        .unwrap()
        .read_to_end(&mut member)
        .unwrap();
    assert!(member == disk);
    assert!(server.get(&format!("/api/datasets/{id}/archive")).body == reply.body);

    let list = server.get("/api/datasets").json();
    assert_eq!(list["datasets"][0]["id"], id.as_str());

    let reply = server.delete(&format!("/api/datasets/{id}"));
    assert_eq!(reply.status, 204);
    assert_error(&server.get(&format!("/api/datasets/{id}")), 404, Some("id"));
    assert_error(&server.get(&path), 404, None);
    assert!(server.entries().is_empty(), "left: {:?}", server.entries());
    assert_eq!(server.get("/api/datasets").json(), json!({"datasets": []}));
}

#[test]
fn post_generate_answers_the_design_shape_with_the_files_counts() {
    let server = start(&[]);
    let reply = server.post_json(
        "/generate",
        &json!({"num_transformers": 8, "num_meters": 240, "anomaly_rate": 0.1}),
    );
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let body = reply.json();
    assert_eq!(body["status"], "success");
    assert_eq!(body["transformers"], 8);
    assert_eq!(body["meters"], 240);
    let id = body["id"].as_str().unwrap();
    let dir = server.dataset_dir(id);
    assert_eq!(csv_rows(&dir.join("transformers.csv")).len() - 1, 8);
    assert_eq!(csv_rows(&dir.join("meter_consumption.csv")).len() - 1, 240);
    let labels = csv_rows(&dir.join("anomaly_labels.csv"));
    assert_eq!(body["anomalies"].as_u64().unwrap() as usize, labels.len() - 1);
    assert_eq!(body["anomalies"], 24);

    // Query parameters work too; defaults fill the rest.
    let reply = server.post("/generate?num_meters=120&num_transformers=6", b"");
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(
        (body["meters"].as_u64(), body["transformers"].as_u64()),
        (Some(120), Some(6))
    );
    assert_eq!(body["anomalies"], 9);

    assert_error(
        &server.post_json("/generate", &json!({"num_meters": "x"})),
        422,
        Some("num_meters"),
    );
    assert_error(&server.post_json("/generate", &json!({"seed": 1})), 422, Some("seed"));
    assert_error(
        &server.post_json("/generate", &json!({"anomaly_rate": -1})),
        422,
        Some("anomaly_rate"),
    );
    assert_error(&server.post("/generate", b"{"), 400, None);
}

#[test]
fn a_token_is_required_on_the_api_when_set() {
    let server = start(&["--token", "s3cret"]);
    let no_token = read_reply(server.agent.get(&server.url("/api/health")).call().unwrap());
    assert_error(&no_token, 401, Some("Authorization"));
    let wrong = read_reply(
        server
            .agent
            .get(&server.url("/api/datasets"))
            .header("Authorization", "Bearer nope")
            .call()
            .unwrap(),
    );
    assert_error(&wrong, 401, None);
    let post = read_reply(
        server
            .agent
            .post(&server.url("/api/datasets"))
            .send(b"{}".as_slice())
            .unwrap(),
    );
    assert_error(&post, 401, None);
    let generate = read_reply(
        server
            .agent
            .post(&server.url("/generate"))
            .send(b"{}".as_slice())
            .unwrap(),
    );
    assert_error(&generate, 401, None);
    assert!(server.entries().is_empty());
    assert_eq!(server.get("/api/health").status, 200);
    assert_eq!(server.get("/api/datasets").status, 200);
    // The page itself is public.
    let page = read_reply(server.agent.get(&server.url("/")).call().unwrap());
    assert_eq!(page.status, 200);
}

#[test]
fn bad_requests_get_a_4xx_naming_the_field_and_write_nothing() {
    let server = start(&["--max-cells", "10000000", "--max-body", "4096"]);
    let nothing = |what: &str| assert!(server.entries().is_empty(), "{what} wrote {:?}", server.entries());

    assert_error(&server.post("/api/datasets", b"{\"num_meters\": 3"), 400, None);
    nothing("malformed JSON");
    assert_error(&server.post("/api/datasets", b"not json"), 400, None);
    nothing("malformed JSON");
    let body = assert_error(
        &server.post_json("/api/datasets", &json!({"num_meters": "many"})),
        422,
        Some("num_meters"),
    );
    assert_eq!(body["value"], "many");
    nothing("a wrong type");
    assert_error(
        &server.post_json("/api/datasets", &json!({"balance": {"enabled": 1}})),
        422,
        Some("balance.enabled"),
    );
    nothing("a wrong nested type");
    let body = assert_error(
        &server.post_json("/api/datasets", &json!({"nmu_meters": 5})),
        422,
        Some("nmu_meters"),
    );
    assert!(body["allowed"].as_str().unwrap().contains("num_meters"), "{body}");
    nothing("an unknown key");
    assert_error(
        &server.post_json("/api/datasets", &json!({"balance": {"enabledd": true}})),
        422,
        Some("balance.enabledd"),
    );
    nothing("an unknown nested key");
    let body = assert_error(
        &server.post_json("/api/datasets", &json!({"anomaly_rate": 1.5})),
        422,
        Some("anomaly_rate"),
    );
    assert_eq!(body["value"], 1.5);
    assert_eq!(body["allowed"], "0.0 ..= 1.0");
    nothing("a value out of range");
    assert_error(
        &server.post_json("/api/datasets", &json!({"num_meters": 5, "num_transformers": 10})),
        422,
        Some("num_meters"),
    );
    nothing("fewer meters than transformers");
    assert_error(&server.post_json("/api/datasets", &json!([1, 2])), 422, None);
    nothing("a body that is not an object");
    assert_error(
        &server.post_json("/api/datasets?preset=huge", &json!({})),
        422,
        Some("preset"),
    );
    nothing("an unknown preset");
    let body = assert_error(
        &server.post_json("/api/datasets", &json!({"num_meters": 1_000_000, "num_months": 12})),
        413,
        Some("num_meters"),
    );
    assert!(body["allowed"].as_str().unwrap().contains("10000000"), "{body}");
    nothing("a job over --max-cells");
    // Interval resolutions count intervals: 2000 meters x a year of hours > 1e7.
    assert_error(
        &server.post_json(
            "/api/datasets",
            &json!({"num_meters": 2000, "num_transformers": 10, "resolution": "hourly"}),
        ),
        413,
        Some("num_meters"),
    );
    nothing("an interval job over --max-cells");
    let big = format!("{{\"seed\": 1, \"pad\": \"{}\"}}", "x".repeat(10_000));
    assert_error(&server.post("/api/datasets", big.as_bytes()), 413, None);
    nothing("an oversized body");

    assert_error(&server.get("/api/datasets/nope"), 404, Some("id"));
    assert_error(&server.delete("/api/datasets/nope"), 404, Some("id"));
    assert_error(&server.get("/api/datasets/nope/files/manifest.json"), 404, Some("id"));
    assert_error(&server.get("/api/datasets/nope/archive"), 404, Some("id"));
    assert_error(&server.get("/api/datasets/nope/map"), 404, Some("id"));
    assert_error(&server.get("/api/nothing"), 404, None);
    nothing("unknown ids");

    let id = server.create(&small(1));
    assert_eq!(server.wait(&id)["state"], "done");
    let before = entries(&server.dataset_dir(&id));
    let files = format!("/api/datasets/{id}/files");
    assert_error(&server.get(&format!("{files}/nothing.csv")), 404, Some("name"));
    assert_error(
        &server.get(&format!("{files}/meter_readings/part-00000-of-00001.parquet")),
        404,
        Some("name"),
    );
    for traversal in [
        "../../../etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/etc/passwd",
        "%2E%2E%2Fmanifest.json",
        "%2fetc%2fpasswd",
        "a/../manifest.json",
        "a/b/c.csv",
        "./manifest.json",
    ] {
        assert_eq!(raw_status(&server, &format!("{files}/{traversal}")), 400, "{traversal}");
    }
    assert_error(
        &server.get(&format!("{files}/%2e%2e/%2e%2e/etc/passwd")),
        400,
        Some("name"),
    );
    assert_error(
        &server.get(&format!("{files}/..%2F{id}%2Fmanifest.json")),
        400,
        Some("name"),
    );
    assert_error(
        &server.get(&format!("/api/datasets/{id}/meters/MTR_999999")),
        404,
        Some("meter_id"),
    );
    assert_error(
        &server.get(&format!("/api/datasets/{id}/meters/bogus")),
        404,
        Some("meter_id"),
    );
    assert_error(
        &server.get(&format!("/api/datasets/{id}/transformers/TX_9999")),
        404,
        Some("tx_id"),
    );
    assert_eq!(entries(&server.dataset_dir(&id)), before);

    // The files of a dataset not yet done: 409; deleting it cancels it and leaves nothing.
    let running = server.create(&slow());
    for route in [
        "files/manifest.json",
        "archive",
        "map",
        "charts",
        "meters/MTR_000001",
        "transformers/TX_0001",
    ] {
        assert_error(
            &server.get(&format!("/api/datasets/{running}/{route}")),
            409,
            Some("id"),
        );
    }
    assert_eq!(server.delete(&format!("/api/datasets/{running}")).status, 204);
    assert_error(&server.get(&format!("/api/datasets/{running}")), 404, None);
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.entries().len() > 1 {
        assert!(Instant::now() < deadline, "left: {:?}", server.entries());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.entries(), BTreeSet::from([id]));
}

#[test]
fn the_queue_refuses_jobs_beyond_its_limit() {
    let server = start(&["--max-jobs", "1", "--queue", "1"]);
    let a = server.create(&slow());
    let b = server.create(&slow());
    let state = |id: &str| {
        server.get(&format!("/api/datasets/{id}")).json()["state"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // One runs, the other waits.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (first, second) = loop {
        match (state(&a).as_str(), state(&b).as_str()) {
            ("running", "queued") => break (a, b),
            ("queued", "running") => break (b, a),
            ("queued", "queued") => {}
            other => panic!("unexpected states {other:?}"),
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    };
    let body = assert_error(&server.post_json("/api/datasets", &slow()), 429, None);
    assert!(body["error"].as_str().unwrap().contains("queue"), "{body}");
    let strangers: Vec<String> = server
        .entries()
        .into_iter()
        .filter(|e| !e.contains(&first) && !e.contains(&second))
        .collect();
    assert!(strangers.is_empty(), "a refused job writes nothing: {strangers:?}");
    let running = server.get(&format!("/api/datasets/{first}")).json();
    assert!(
        matches!(running["state"].as_str(), Some("running" | "queued")),
        "{running}"
    );
    // Deleting the queued job frees its place.
    assert_eq!(server.delete(&format!("/api/datasets/{second}")).status, 204);
    let third = server.create(&small(3));
    assert_eq!(server.delete(&format!("/api/datasets/{first}")).status, 204);
    assert_eq!(server.wait(&third)["state"], "done");
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.entries() != BTreeSet::from([third.clone()]) {
        assert!(Instant::now() < deadline, "left: {:?}", server.entries());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn retention_keeps_the_newest_finished_datasets() {
    let server = start(&["--retention", "2"]);
    let ids: Vec<String> = (0..3)
        .map(|seed| {
            let id = server.create(&small(seed));
            assert_eq!(server.wait(&id)["state"], "done");
            id
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.dataset_dir(&ids[0]).exists() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_error(&server.get(&format!("/api/datasets/{}", ids[0])), 404, None);
    let listed: Vec<String> = server.get("/api/datasets").json()["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, vec![ids[2].clone(), ids[1].clone()], "newest first");
    assert_eq!(server.entries(), BTreeSet::from([ids[1].clone(), ids[2].clone()]));
}

#[test]
fn a_client_that_disconnects_mid_download_harms_nothing() {
    let server = start(&[]);
    let id = server.create(&json!({"num_meters": 20_000, "num_transformers": 200, "num_months": 24}));
    assert_eq!(server.wait(&id)["state"], "done");
    let file = server.dataset_dir(&id).join("meter_consumption.csv");
    let disk = std::fs::read(&file).unwrap();
    assert!(disk.len() > 2_000_000, "{} bytes", disk.len());
    let addr = server.base.trim_start_matches("http://").to_owned();
    for round in 0..5 {
        let mut stream = TcpStream::connect(&addr).unwrap();
        write!(
            stream,
            "GET /api/datasets/{id}/files/meter_consumption.csv HTTP/1.1\r\nHost: {addr}\r\n\r\n"
        )
        .unwrap();
        let mut part = vec![0; 64 * 1024];
        stream.read_exact(&mut part).unwrap();
        assert!(part.starts_with(b"HTTP/1.1 200"), "round {round}");
        drop(stream);
    }
    // Also mid-archive.
    let mut stream = TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /api/datasets/{id}/archive HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut part = vec![0; 1024];
    stream.read_exact(&mut part).unwrap();
    drop(stream);
    assert_eq!(server.get("/api/health").status, 200);
    assert!(std::fs::read(&file).unwrap() == disk, "the file changed");
    let reply = server.get(&format!("/api/datasets/{id}/files/meter_consumption.csv"));
    assert!(reply.status == 200 && reply.body == disk);
    let status = server.get(&format!("/api/datasets/{id}")).json();
    assert_eq!(status["state"], "done");
    assert_eq!(server.get(&format!("/api/datasets/{id}/archive")).status, 200);
}

#[test]
fn the_page_data_agrees_with_the_files() {
    let server = start(&[]);
    let id = server
        .create(&json!({"num_meters": 600, "num_transformers": 12, "num_months": 8, "seed": 21, "benign_rate": 0.05}));
    let status = server.wait(&id);
    assert_eq!(status["state"], "done");
    let summary = &status["summary"];
    let dir = server.dataset_dir(&id);

    let map = server.get(&format!("/api/datasets/{id}/map")).json();
    assert_eq!(map["meters_total"], 600);
    assert_eq!(map["meters_truncated"], false);
    assert!(!map["barangays"].as_array().unwrap().is_empty());
    let transformers = map["transformers"].as_array().unwrap();
    assert_eq!(transformers.len(), 12);
    let anomalous: u64 = transformers
        .iter()
        .map(|t| t["anomalous_meters"].as_u64().unwrap())
        .sum();
    assert_eq!(anomalous, summary["anomalous_meters"].as_u64().unwrap());
    let served: u64 = transformers.iter().map(|t| t["num_meters"].as_u64().unwrap()).sum();
    assert_eq!(served, 600);
    for t in transformers {
        for key in [
            "id",
            "lat",
            "lon",
            "capacity_kva",
            "ghost_load_share",
            "theft_meters",
            "overloaded",
        ] {
            assert!(t.get(key).is_some(), "no {key} in {t}");
        }
        assert!(t["ghost_load_share"].is_number(), "{t}");
    }
    let meters = map["meters"].as_array().unwrap();
    assert_eq!(meters.len(), 600);
    // Anomalous and evented meters first.
    let flagged = |m: &Value| !m["anomaly_type"].is_null() || !m["event_type"].is_null();
    let first_plain = meters.iter().position(|m| !flagged(m)).unwrap();
    assert!(meters[first_plain..].iter().all(|m| m["anomaly_type"].is_null()));
    let labels = csv_rows(&dir.join("anomaly_labels.csv"));
    let with_label = meters.iter().filter(|m| !m["anomaly_type"].is_null()).count();
    assert_eq!(with_label, labels.len() - 1);
    let label_of = |id: &str| labels.iter().find(|r| r[0] == id).cloned();
    for m in meters.iter().take(first_plain) {
        if let Some(row) = label_of(m["id"].as_str().unwrap()) {
            assert_eq!(m["risk_band"], row[2].as_str());
            assert_eq!(m["anomaly_type"], row[3].as_str());
            assert_eq!(m["is_theft"], row[7] == "1");
        }
    }

    // One meter: its row of meter_consumption.csv, and its label.
    let consumption = csv_rows(&dir.join("meter_consumption.csv"));
    let first = consumption[0]
        .iter()
        .position(|c| c.starts_with("monthly_consumption_"))
        .unwrap();
    let labelled = &labels[1][0];
    for meter_id in ["MTR_000001", "MTR_000600", labelled.as_str()] {
        let meter = server.get(&format!("/api/datasets/{id}/meters/{meter_id}")).json();
        assert_eq!(meter["id"], meter_id);
        let row = consumption.iter().find(|r| r[0] == meter_id).unwrap();
        let kwh: Vec<f64> = meter["kwh"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let file: Vec<f64> = row[first..].iter().map(|v| v.parse().unwrap()).collect();
        assert_eq!(kwh, file, "{meter_id}");
        assert_eq!(meter["periods"].as_array().unwrap().len(), 8);
        assert_eq!(meter["periods"][0], "2024-01");
        match label_of(meter_id) {
            Some(row) => {
                assert_eq!(meter["label"]["anomaly_type"], row[3].as_str());
                assert_eq!(meter["label"]["risk_band"], row[2].as_str());
                assert!(meter["true_kwh"].is_array());
                let onset = meter["label"]["onset"].as_u64().unwrap() as usize;
                assert_eq!(meter["periods"][onset].as_str().unwrap().replace('-', ""), row[4]);
                assert!(
                    meter["events"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["is_anomaly"] == true)
                );
            }
            None => assert_eq!(meter["label"], Value::Null),
        }
    }

    // One transformer: its rows of energy_balance.csv.
    let balance = csv_rows(&dir.join("energy_balance.csv"));
    let col = |name: &str| balance[0].iter().position(|c| c == name).unwrap();
    let tx = server.get(&format!("/api/datasets/{id}/transformers/TX_0002")).json();
    let rows: Vec<&Vec<String>> = balance.iter().filter(|r| r[0] == "TX_0002").collect();
    assert_eq!(tx["periods"].as_array().unwrap().len(), rows.len());
    for key in [
        "reading_kwh",
        "billed_kwh",
        "true_kwh",
        "technical_loss_kwh",
        "non_technical_loss_kwh",
        "unmetered_kwh",
    ] {
        let values: Vec<f64> = tx[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let file: Vec<f64> = rows.iter().map(|r| r[col(key)].parse().unwrap()).collect();
        assert_eq!(values, file, "{key}");
    }

    // The charts: the report's counts, and the file's monthly sums.
    let charts = server.get(&format!("/api/datasets/{id}/charts")).json();
    let counts = |v: &Value| -> Value {
        Value::Object(
            v.as_object()
                .unwrap()
                .iter()
                .map(|(k, s)| (k.clone(), s["count"].clone()))
                .collect(),
        )
    };
    assert_eq!(charts["class_mix"], counts(&summary["customer_classes"]));
    assert_eq!(charts["risk_bands"], counts(&summary["risk_bands"]));
    assert_eq!(charts["anomaly_types"], counts(&summary["anomaly_types"]));
    let totals = charts["monthly_totals"]["kwh"].as_array().unwrap();
    assert_eq!(totals.len(), 8);
    for (p, total) in totals.iter().enumerate() {
        let file: f64 = consumption[1..]
            .iter()
            .map(|r| r[first + p].parse::<f64>().unwrap())
            .sum();
        assert!(
            (total.as_f64().unwrap() - file).abs() < 1.0,
            "period {p}: {total} vs {file}"
        );
    }
}

#[test]
fn datasets_of_an_earlier_run_are_listed_and_leftovers_do_not_crash_it() {
    let first = start(&[]);
    let id = first.create(&small(4));
    assert_eq!(first.wait(&id)["state"], "done");
    // Junk beside it: a stray file, an empty directory, a staging leftover.
    std::fs::write(first.dir.path().join("stray.txt"), b"x").unwrap();
    std::fs::create_dir(first.dir.path().join("empty")).unwrap();
    std::fs::create_dir(first.dir.path().join(".abc.ghostload-tmp-999999")).unwrap();
    let second = start_in(Some(first.dir.path()), &[]);
    let status = second.get(&format!("/api/datasets/{id}")).json();
    assert_eq!(status["state"], "done");
    assert_eq!(status["summary"]["meters"], 300);
    let reply = second.get(&format!("/api/datasets/{id}/files/manifest.json"));
    assert_eq!(reply.status, 200);
}

#[test]
fn the_presets_list_every_field_and_are_accepted_back_as_they_are() {
    let server = start(&[]);
    let presets = server.get("/api/presets").json();
    let default = &presets["presets"]["default"];
    // The fields serde leaves out at their defaults are there for the page's form.
    for key in [
        "resolution",
        "timezone",
        "missing_rate",
        "missing_run_hours",
        "register_resolution_kwh",
        "weather",
        "load_shape",
        "balance",
    ] {
        assert!(default.get(key).is_some(), "presets.default lacks `{key}`");
    }
    assert_eq!(default["balance"]["enabled"], true);
    // Each preset, sent back whole (smaller), is a valid configuration.
    for name in ["demo", "default", "production", "utility"] {
        let mut config = presets["presets"][name].clone();
        config["num_meters"] = 60.into();
        config["num_transformers"] = 3.into();
        config["num_months"] = 3.into();
        let id = server.create(&config);
        let status = server.wait(&id);
        assert_eq!(status["state"], "done", "{name}: {status}");
    }
}
