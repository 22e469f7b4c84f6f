//! Status requests stay fast while a large job runs: 50 concurrent clients
//! poll `GET /api/datasets/{id}` (20 requests each, 1 000 in all) while a
//! 1 M-meter × 24-month job (200 000 meters in a debug build) is generated on
//! every core. Prints p50/p99/max; asserts p99 ≤ 100 ms in a release build
//! (see docs/performance.md, "HTTP server (issue 13)") and a looser bound in
//! a debug build, and that the job was running throughout.
//!
//! `cargo test --release --features serve --test serve_load -- --nocapture`

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use ureq::Agent;

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const CLIENTS: usize = 50;
const REQUESTS: usize = 20;

fn new_agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get_json(agent: &Agent, url: &str) -> Value {
    let mut response = agent.get(url).call().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.body_mut().read_json().unwrap()
}

#[test]
fn status_requests_are_fast_while_a_large_job_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghostload"))
        .args(["-q", "serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let _guard = Kill(child);
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").unwrap().to_owned();
    let meters = if cfg!(debug_assertions) { 200_000 } else { 1_000_000 };
    let agent = new_agent();
    let mut response = agent
        .post(&format!("{base}/api/datasets"))
        .send_json(json!({"num_meters": meters, "num_transformers": meters / 50, "num_months": 24}))
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    let id = response.body_mut().read_json::<Value>().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!("{base}/api/datasets/{id}");
    // Wait until meters are being written.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status = get_json(&agent, &url);
        if status["state"] == "running" && status["progress"]["meters_done"].as_u64().unwrap() > 0 {
            break;
        }
        assert!(
            matches!(status["state"].as_str(), Some("queued" | "running")),
            "{status}"
        );
        assert!(Instant::now() < deadline, "the job did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (barrier, url) = (Arc::clone(&barrier), url.clone());
            std::thread::spawn(move || {
                let agent = new_agent();
                let mut samples = Vec::with_capacity(REQUESTS);
                barrier.wait();
                for _ in 0..REQUESTS {
                    let t = Instant::now();
                    let status = get_json(&agent, &url);
                    samples.push((t.elapsed(), status["state"].as_str().unwrap_or("").to_owned()));
                }
                samples
            })
        })
        .collect();
    let samples: Vec<(Duration, String)> = clients.into_iter().flat_map(|c| c.join().unwrap()).collect();
    let wall = started.elapsed();
    let after = get_json(&agent, &url);
    assert_eq!(samples.len(), CLIENTS * REQUESTS);
    let not_running = samples.iter().filter(|(_, s)| s != "running").count();
    assert_eq!(not_running, 0, "the job must run during every request");
    assert_eq!(after["state"], "running", "the job must still run after the requests");
    let mut latencies: Vec<Duration> = samples.into_iter().map(|(d, _)| d).collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1];
    let (p50, p99, max) = (at(0.50), at(0.99), at(1.0));
    println!(
        "{} status requests from {CLIENTS} clients in {:.2} s while a {meters}-meter x 24-month job ran ({} of {meters} meters written after): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        wall.as_secs_f64(),
        after["progress"]["meters_done"],
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
    );
    let bound = if cfg!(debug_assertions) {
        Duration::from_millis(1_000)
    } else {
        Duration::from_millis(100)
    };
    assert!(p99 <= bound, "p99 {p99:?} > {bound:?}");
    // Cancel: the server stops the job and removes what it wrote.
    assert_eq!(agent.delete(&url).call().unwrap().status().as_u16(), 204);
}
