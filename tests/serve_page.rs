//! The page of `ghostload serve` in a real headless browser: the real server
//! binary, Debian's `chromium` driven by `chromedriver` through the W3C
//! WebDriver HTTP API. Loads `/` with no console error, shows a 4xx error next
//! to its field, generates a small `demo` dataset through the form, waits for
//! it, counts one marker per transformer and one per meter, opens a
//! transformer's energy balance and an anomalous meter's series (with the
//! injected window shaded), finds a download link for every file, and ends
//! with no console error or warning.
//!
//! Needs `chromium` and `chromium-driver` (`apt-get install chromium
//! chromium-driver`; `.ci/run` installs them): the test fails without them.
//! `GHOSTLOAD_SCREENSHOT=1` writes `docs/img/serve.png`. `GHOSTLOAD_CHROMIUM`
//! and `GHOSTLOAD_CHROMEDRIVER` override `/usr/bin/chromium` and `chromedriver`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C WebDriver key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process killed (and reaped) when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls `f` every 100 ms until it gives `Some`, for at most `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `ghostload serve --bind 127.0.0.1:0 --data-dir DIR`; its base URL from the
/// `listening on http://…` line.
fn start_server(data_dir: &std::path::Path) -> (Killed, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghostload"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ghostload serve");
    let stdout = child.stdout.take().unwrap();
    let guard = Killed(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        if let Some(Ok(line)) = lines.next() {
            let _ = tx.send(line);
        }
        for _ in lines {} // keep the pipe drained
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("ghostload serve printed no `listening on` line");
    let base = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (guard, base.trim().trim_end_matches('/').to_owned())
}

/// `chromedriver --port=P`, ready to take a session.
fn start_chromedriver() -> (Killed, String) {
    let exe = std::env::var("GHOSTLOAD_CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
    let port = free_port();
    let child = match Command::new(&exe)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!(
            "cannot run `{exe}` ({e}): the browser test needs Chromium and its WebDriver; \
             install them with `apt-get install chromium chromium-driver`"
        ),
    };
    let guard = Killed(child);
    let url = format!("http://127.0.0.1:{port}");
    let http = agent();
    wait_for("chromedriver /status", Duration::from_secs(30), || {
        let mut resp = http.get(format!("{url}/status")).call().ok()?;
        let v: Value = resp.body_mut().read_json().ok()?;
        (v["value"]["ready"] == json!(true)).then_some(())
    });
    (guard, url)
}

/// One WebDriver session (deleted on drop, before chromedriver is killed).
struct Browser {
    http: ureq::Agent,
    session: String,
}

impl Browser {
    fn new(driver: &str) -> Browser {
        let chromium = std::env::var("GHOSTLOAD_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        assert!(
            std::path::Path::new(&chromium).exists(),
            "{chromium} not found: install it with `apt-get install chromium chromium-driver`"
        );
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                         "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions"]
            },
            "goog:loggingPrefs": {"browser": "ALL"}
        }}});
        let http = agent();
        let mut resp = http
            .post(format!("{driver}/session"))
            .send_json(&caps)
            .expect("new WebDriver session");
        let v: Value = resp.body_mut().read_json().unwrap();
        let id = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session from chromedriver: {v}"))
            .to_owned();
        Browser {
            http,
            session: format!("{driver}/session/{id}"),
        }
    }

    /// A command; `Err(value)` for a WebDriver error (its `value`: error, message).
    fn try_cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, Value> {
        let url = format!("{}{path}", self.session);
        let resp = match method {
            "GET" => self.http.get(&url).call(),
            "DELETE" => self.http.delete(&url).call(),
            _ => self.http.post(&url).send_json(body.unwrap_or_else(|| json!({}))),
        };
        let mut resp = resp.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let ok = resp.status().is_success();
        let text = resp.body_mut().with_config().limit(64 << 20).read_to_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"));
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(v["value"].clone())
        }
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_cmd(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    fn js(&self, script: &str, args: Value) -> Value {
        self.cmd("POST", "/execute/sync", Some(json!({"script": script, "args": args})))
    }

    fn find(&self, css: &str) -> Option<String> {
        let v = self
            .try_cmd("POST", "/element", Some(json!({"using": "css selector", "value": css})))
            .ok()?;
        Some(
            v[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("find {css}: {v}"))
                .to_owned(),
        )
    }

    fn count(&self, css: &str) -> usize {
        let v = self.cmd(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_array().unwrap().len()
    }

    /// A real click (WebDriver moves the pointer there). `Err` when another
    /// element covers it (`element click intercepted`) or it is not interactable.
    fn click(&self, element: &str) -> Result<(), Value> {
        self.try_cmd("POST", &format!("/element/{element}/click"), None)
            .map(|_| ())
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css).unwrap_or_else(|| panic!("no {css}"));
        self.cmd("POST", &format!("/element/{e}/clear"), None);
        self.cmd("POST", &format!("/element/{e}/value"), Some(json!({"text": text})));
    }

    /// Console errors and warnings: the browser's log (chromedriver collects
    /// it; reading empties it) and what the page's own hook recorded.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let log = self.cmd("POST", "/se/log", Some(json!({"type": "browser"})));
        for entry in log.as_array().unwrap() {
            let level = entry["level"].as_str().unwrap_or("");
            if level == "SEVERE" || level == "WARNING" {
                out.push(format!("browser log {level}: {}", entry["message"]));
            }
        }
        let hooked = self.js(
            "return window.__ghostloadErrors || ['the page did not install its error hook'];",
            json!([]),
        );
        for e in hooked.as_array().unwrap() {
            out.push(format!("page: {}", e.as_str().unwrap_or_default()));
        }
        out
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.http.delete(&self.session).call();
    }
}

fn get_json(http: &ureq::Agent, url: &str) -> Value {
    let mut resp = http.get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
    resp.body_mut().with_config().limit(256 << 20).read_json().unwrap()
}

#[test]
fn page_generates_a_dataset_and_draws_it() {
    let started = Instant::now();
    let data = tempfile::tempdir().unwrap();
    // Drop order (reverse of declaration): session, chromedriver, server.
    let (_server, base) = start_server(data.path());
    let (_driver, driver_url) = start_chromedriver();
    let b = Browser::new(&driver_url);
    let http = agent();

    // Load: the page builds its form from /api/presets, with no console error.
    b.cmd("POST", "/url", Some(json!({"url": format!("{base}/")})));
    wait_for(
        "the page to be ready (body[data-ready])",
        Duration::from_secs(30),
        || (b.js("return document.body.dataset.ready || null;", json!([])) == json!("true")).then_some(()),
    );
    let problems = b.problems();
    assert!(problems.is_empty(), "console errors after loading /: {problems:#?}");
    let title = b.cmd("GET", "/title", None);
    assert!(title.as_str().unwrap().contains("ghostload"), "title {title}");

    // The demo preset, then a refused value: the server's 4xx shows next to its field.
    let demo = b.find("#preset option[value='demo']").expect("a demo preset option");
    b.click(&demo).unwrap();
    b.type_into("#cfg-num_transformers", "10");
    b.type_into("#cfg-num_meters", "5"); // fewer meters than transformers
    b.type_into("#cfg-num_months", "6");
    let mut refused = http
        .post(format!("{base}/api/datasets?preset=demo"))
        .send_json(json!({"num_transformers": 10, "num_meters": 5, "num_months": 6}))
        .unwrap();
    assert!(
        refused.status().is_client_error(),
        "5 meters for 10 transformers was accepted"
    );
    let refused: Value = refused.body_mut().read_json().unwrap();
    b.click(&b.find("#generate").unwrap()).unwrap();
    let shown = wait_for("the error next to the form", Duration::from_secs(20), || {
        let t = b.js(
            "const e = document.querySelector('#form-error'); return e && !e.hidden ? e.textContent : null;",
            json!([]),
        );
        t.as_str().map(str::to_owned)
    });
    assert!(
        shown.contains(refused["error"].as_str().unwrap()),
        "shown {shown:?}, server said {refused}"
    );
    if let Some(field) = refused["field"].as_str() {
        let id = format!("cfg-{}", field.replace('.', "-"));
        let next = b.js(
            "const i = document.getElementById(arguments[0]); if (!i) return null; \
             const n = i.closest('.field').nextElementSibling; \
             return i.classList.contains('invalid') && n && n.classList.contains('field-error') ? n.textContent : null;",
            json!([id]),
        );
        assert!(next.is_string(), "no error next to #{id} for field {field}");
    }
    // The 422 is the only thing the browser logged (a failed request is logged as an error).
    for p in b.problems() {
        assert!(
            p.contains(" 4") && p.contains("/api/datasets"),
            "unexpected console output: {p}"
        );
    }
    b.js("window.__ghostloadErrors.length = 0;", json!([]));

    // Generate 10 transformers × 200 meters × 6 months.
    b.type_into("#cfg-num_meters", "200");
    b.click(&b.find("#generate").unwrap()).unwrap();
    let id = wait_for("the dataset to be generated and drawn", Duration::from_secs(60), || {
        let v = b.js(
            "return document.body.dataset.datasetState === 'done' ? document.body.dataset.datasetId : null;",
            json!([]),
        );
        if let Some(text) = b
            .js("return document.querySelector('#job-status').textContent;", json!([]))
            .as_str()
        {
            assert!(
                !text.starts_with("failed") && !text.starts_with("Refused"),
                "job: {text}"
            );
        }
        v.as_str().map(str::to_owned)
    });
    let status = get_json(&http, &format!("{base}/api/datasets/{id}"));
    assert_eq!(status["state"], "done");
    assert_eq!(
        status["config"]["num_transformers"], 10,
        "the form's values were not sent: {}",
        status["config"]
    );
    assert_eq!(status["config"]["num_meters"], 200);
    assert_eq!(status["config"]["num_months"], 6);
    let progress = b.js("return document.querySelector('#progress').value;", json!([]));
    assert_eq!(progress.as_f64(), Some(1.0), "progress bar at {progress}");

    // One marker per transformer and per meter (all SVG paths at this size).
    let map = get_json(&http, &format!("{base}/api/datasets/{id}/map"));
    let transformers = map["transformers"].as_array().unwrap();
    assert_eq!(transformers.len(), 10);
    assert_eq!(b.count("path.tx-marker"), transformers.len(), "transformer markers");
    assert_eq!(
        b.count("path.meter-marker"),
        map["meters"].as_array().unwrap().len(),
        "meter markers"
    );

    // An anomalous meter; first its transformer: the energy balance, and the map zooms to its meters.
    let meter = map["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["anomaly_type"].is_string())
        .expect("an anomalous meter in the demo dataset");
    let meter_id = meter["id"].as_str().unwrap();
    let tx_id = meter["transformer_id"].as_str().unwrap();
    let tx = b
        .find(&format!("path.tx-marker[data-tx-id='{tx_id}']"))
        .expect("the meter's transformer marker");
    click_marker(&b, &tx);
    wait_for(
        "the transformer's energy balance chart",
        Duration::from_secs(20),
        || (b.count("#transformer-chart svg polyline") >= 3).then_some(()),
    );
    let caption = b.js(
        "return document.querySelector('#transformer-title').textContent;",
        json!([]),
    );
    assert!(
        caption.as_str().unwrap().contains(tx_id),
        "transformer caption {caption}"
    );

    // Then the meter: its series with the injected window shaded.
    std::thread::sleep(Duration::from_millis(600)); // the zoom animation
    let m = b
        .find(&format!("path.meter-marker[data-meter-id='{meter_id}']"))
        .expect("the meter's marker");
    click_marker(&b, &m);
    wait_for(
        "the meter chart with its injected window",
        Duration::from_secs(20),
        || (b.count("#meter-chart rect.injected-window") == 1).then_some(()),
    );
    let caption = b.js("return document.querySelector('#meter-title').textContent;", json!([]));
    assert!(caption.as_str().unwrap().contains(meter_id), "meter caption {caption}");

    // The charts, and a download link for every file and the archive.
    for chart in [
        "#chart-class-mix",
        "#chart-risk-bands",
        "#chart-anomaly-types",
        "#chart-monthly",
    ] {
        assert_eq!(b.count(&format!("{chart} svg")), 1, "{chart} not drawn");
    }
    let files = status["files"].as_array().unwrap();
    assert!(files.len() >= 5, "files {files:?}");
    for f in files {
        let url = f["url"].as_str().unwrap();
        assert_eq!(
            b.count(&format!("#downloads a[href='{url}']")),
            1,
            "no download link for {url}"
        );
    }
    let archive = status["archive_url"].as_str().expect("an archive URL");
    assert_eq!(
        b.count(&format!("#downloads a[href='{archive}']")),
        1,
        "no link to the archive"
    );
    assert_eq!(b.count("#downloads a"), files.len() + 1);

    let problems = b.problems();
    assert!(problems.is_empty(), "console errors or warnings: {problems:#?}");

    if std::env::var("GHOSTLOAD_SCREENSHOT").is_ok_and(|v| v == "1") {
        // The map zoomed to the meter's transformer, one level out; the page from its top.
        b.click(&b.find(".leaflet-control-zoom-out").unwrap()).unwrap();
        b.cmd("POST", "/window/rect", Some(json!({"width": 1400, "height": 1500})));
        b.js(
            "window.scrollTo(0, 0); document.querySelector('.config-panel').scrollTop = 0;",
            json!([]),
        );
        std::thread::sleep(Duration::from_millis(800));
        let png = b.cmd("GET", "/screenshot", None);
        let png = decode_base64(png.as_str().unwrap());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/img/serve.png");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png).unwrap();
        eprintln!("screenshot written to {}", path.display());
    }
    eprintln!("browser test took {:.1} s", started.elapsed().as_secs_f64());
}

/// Clicks a map marker like a user. When another marker covers its centre
/// (`element click intercepted`), the click is dispatched on the marker
/// itself, which Leaflet handles the same way.
fn click_marker(b: &Browser, element: &str) {
    if let Err(e) = b.click(element) {
        let error = e["error"].as_str().unwrap_or_default();
        assert!(
            error == "element click intercepted" || error == "element not interactable",
            "click failed: {e}"
        );
        b.js(
            "arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}));",
            json!([{ELEMENT: element}]),
        );
    }
}

/// Standard base64 (the screenshot), without a dependency.
fn decode_base64(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
