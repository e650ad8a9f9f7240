//! Benchmark of staging: serves a random file from a loopback HTTP server, stages it,
//! and compares the throughput with `curl -s URL | sha256sum` on the same server.
//!
//! `cargo run --release -p hwupd --example bench_staging -- --size-mib 256`

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Parser;
use hwupd::catalog::document::{Payload, MAX_PAYLOAD_SIZE};
use hwupd::staging::{CatalogBase, StageRequest, StagingStore};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

const MIB: u64 = 1024 * 1024;

#[derive(Parser)]
struct Args {
    /// Payload size in MiB, at most 256, the catalog format's maximum payload size.
    #[arg(long, default_value_t = 256)]
    size_mib: u64,
    /// Number of timed runs of each method. The median is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let size = args.size_mib * MIB;
    if size == 0 || size > MAX_PAYLOAD_SIZE || args.runs == 0 {
        bail!("--size-mib must be 1 to 256 and --runs at least 1");
    }
    let dir = tempfile::tempdir()?;
    let payload = dir.path().join("payload.bin");
    let sha256 = write_random(&payload, size)?;
    let address = serve(payload)?;
    let url = format!("http://{address}/payload.bin");

    let rss_before = status_kib("VmRSS")?;
    let staging = median(time_staging(
        dir.path(),
        &address,
        &sha256,
        size,
        args.runs,
    )?);
    let rss_peak = status_kib("VmHWM")?;
    let curl = median(time_curl(&url, &sha256, args.runs)?);

    let rate = |seconds: f64| args.size_mib as f64 / seconds;
    println!(
        "payload: {} MiB from {url}, median of {} runs",
        args.size_mib, args.runs
    );
    println!("hwupd stage:          {:8.1} MiB/s", rate(staging));
    println!("curl | sha256sum:     {:8.1} MiB/s", rate(curl));
    println!("ratio stage / curl:   {:8.2}", curl / staging);
    println!(
        "peak RSS: {} MiB (before staging: {} MiB)",
        rss_peak / 1024,
        rss_before / 1024
    );
    Ok(())
}

/// Writes `size` random bytes to `path` and returns their SHA-256.
fn write_random(path: &Path, size: u64) -> anyhow::Result<String> {
    let mut file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut block = vec![0; MIB as usize];
    for _ in 0..size / MIB {
        OsRng.fill_bytes(&mut block);
        hasher.update(&block);
        file.write_all(&block)?;
    }
    file.sync_all()?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Serves `payload` on 127.0.0.1 for every request, whatever its path, with the
/// kernel's sendfile behind `std::io::copy`, so the server costs little CPU.
fn serve(payload: PathBuf) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let address = listener.local_addr()?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let payload = payload.clone();
            std::thread::spawn(move || send_file(stream, &payload));
        }
    });
    Ok(address)
}

fn send_file(stream: TcpStream, payload: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut file = File::open(payload)?;
    let length = file.metadata()?.len();
    let mut stream = stream;
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    std::io::copy(&mut file, &mut stream)?;
    Ok(())
}

/// Stages the payload `runs` times into the same state folder, unstaging in between,
/// and returns the seconds of each run.
fn time_staging(
    dir: &Path,
    address: &SocketAddr,
    sha256: &str,
    size: u64,
    runs: usize,
) -> anyhow::Result<Vec<f64>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let store = StagingStore::open(&dir.join("state"))?;
    let client = reqwest::Client::new();
    let catalog = format!("http://{address}/catalog.json").parse()?;
    let request = StageRequest {
        remote_id: "bench".to_owned(),
        release_id: "payload".to_owned(),
        device_id: "device".to_owned(),
        payload: Payload {
            path: "payload.bin".to_owned(),
            sha256: sha256.to_owned(),
            size,
            url: None,
        },
        base: CatalogBase::Url(catalog),
        allow_other_hosts: false,
    };

    let mut seconds = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let staged = runtime.block_on(store.stage(&client, request.clone(), &mut |_, _| {}));
        seconds.push(start.elapsed().as_secs_f64());
        staged?;
        store.unstage("bench", "payload")?;
    }
    Ok(seconds)
}

/// Runs `curl -s URL | sha256sum` `runs` times and returns the seconds of each run.
fn time_curl(url: &str, sha256: &str, runs: usize) -> anyhow::Result<Vec<f64>> {
    let script = format!("curl -s '{url}' | sha256sum");
    let mut seconds = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let output = Command::new("sh").args(["-c", &script]).output()?;
        seconds.push(start.elapsed().as_secs_f64());
        let printed = String::from_utf8_lossy(&output.stdout);
        if !printed.starts_with(sha256) {
            bail!("curl | sha256sum printed {printed:?}, expected {sha256}; is curl installed?");
        }
    }
    Ok(seconds)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Reads a field of `/proc/self/status` in KiB, such as `VmHWM`, the peak resident set.
fn status_kib(field: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .with_context(|| format!("{field} missing from /proc/self/status"))?;
    let kib = line.trim().trim_end_matches("kB").trim().parse()?;
    Ok(kib)
}
