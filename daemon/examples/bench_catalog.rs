//! Benchmark of reading and matching a large signed catalog: the full parser against the
//! streaming reader that keeps only this machine's releases.
//!
//! Run with `cargo run --release -p hwupd --example bench_catalog -- [--releases N]`.
//! Memory is measured in a fresh child process per reader, because a process's peak
//! resident set size only grows.

#[path = "bench_catalog/generate.rs"]
mod generate;
#[path = "bench_catalog/measure.rs"]
mod measure;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use hwupd::catalog::document::{Catalog, ValidateOptions};
use hwupd::catalog::minisign::{self, PublicKey, SecretKey, SignOptions, Signature};
use hwupd::inventory::{self, Inventory};
use hwupd::matching::{read_for_machine, update_entries, MachineIds, Matcher};
use hwupd::root::Root;
use sha2::{Digest, Sha256};

use measure::{live_heap, median_time, peak_heap, status_kib, CountingAllocator, Timing};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Seed of the catalog generator, fixed so that every run measures the same catalog.
const SEED: u64 = 0x5eed_2025;

/// Times per step; the median is reported.
const RUNS: usize = 5;

/// Calls per timed run of the steps that take well under a millisecond.
const SMALL_BATCH: u32 = 1000;

#[derive(Debug, Parser)]
#[command(about = "Measure catalog verification, parsing, filtering and matching")]
struct Args {
    /// Number of releases in the generated catalog.
    #[arg(long, default_value_t = 50_000)]
    releases: usize,

    /// Internal: load the catalog in DIR with one reader and print memory figures.
    #[arg(long, value_names = ["MODE", "DIR"], num_args = 2, hide = true)]
    child: Option<Vec<String>>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    match &args.child {
        Some(child) => run_child(&child[0], Path::new(&child[1])),
        None => run_parent(args.releases),
    }
}

fn fixture(name: &str) -> Result<Inventory> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    inventory::scan(&Root::new(root)).with_context(|| format!("scanning fixture {name}"))
}

/// Paths of the generated catalog, its signature and the public key.
struct Files {
    catalog: PathBuf,
    signature: PathBuf,
    public_key: PathBuf,
}

impl Files {
    fn in_dir(dir: &Path) -> Self {
        Self {
            catalog: dir.join("catalog.json"),
            signature: dir.join("catalog.json.minisig"),
            public_key: dir.join("catalog.pub"),
        }
    }
}

fn write_catalog(dir: &Path, catalog: &Catalog) -> Result<Files> {
    let files = Files::in_dir(dir);
    let bytes = catalog.to_json().into_bytes();
    let key = SecretKey::generate();
    let options = SignOptions::for_file("catalog.json", jiff::Timestamp::now());
    let signature = key.sign(&bytes, &options).context("signing the catalog")?;
    std::fs::write(&files.catalog, &bytes)?;
    std::fs::write(&files.signature, signature.to_file_text())?;
    std::fs::write(&files.public_key, key.public_key().to_file_text())?;
    Ok(files)
}

/// The catalog bytes, their parsed signature and the key that verifies it.
struct Loaded {
    bytes: Vec<u8>,
    signature: Signature,
    key: PublicKey,
}

fn load(files: &Files) -> Result<Loaded> {
    let bytes = std::fs::read(&files.catalog)?;
    let signature = Signature::parse(&std::fs::read(&files.signature)?)?;
    let key = PublicKey::parse(&std::fs::read(&files.public_key)?)?;
    Ok(Loaded {
        bytes,
        signature,
        key,
    })
}

fn verify(loaded: &Loaded) -> Result<()> {
    let keys = std::slice::from_ref(&loaded.key);
    minisign::verify_with_any(keys, &loaded.bytes, &loaded.signature)?;
    Ok(())
}

/// Timed steps, in the order of the printed table.
type Rows = Vec<(&'static str, Timing)>;

fn run_parent(total: usize) -> Result<()> {
    let laptop = fixture("laptop")?;
    let server = fixture("server")?;
    let mut rng = generate::Rng::new(SEED);
    let (catalog, fixture_releases) = generate::catalog(total, &[laptop.clone(), server], &mut rng);
    let dir = tempfile::tempdir()?;
    let files = write_catalog(dir.path(), &catalog)?;
    drop(catalog);

    let loaded = load(&files)?;
    let mut rows = Rows::new();
    let (full, filtered) = time_reading(&loaded, &laptop, &mut rows)?;
    let entries = time_matching(&full, &filtered, &laptop, &mut rows)?;
    drop(full);

    println!("catalog: {total} releases, {fixture_releases} for the laptop and server fixtures");
    println!(
        "         {filtered} for the laptop, {} bytes",
        loaded.bytes.len(),
        filtered = filtered.releases.len()
    );
    println!("         {entries} update entries for the laptop");
    println!();
    println!("| step (median of {RUNS} runs) | wall | CPU |");
    println!("| --- | ---: | ---: |");
    for (step, timing) in rows {
        println!("| {step} | {} | {} |", show(timing.wall), show(timing.cpu));
    }
    println!();
    print_memory(dir.path())
}

/// Times verification, hashing and both readers. Returns the full and filtered catalogs.
fn time_reading(
    loaded: &Loaded,
    laptop: &Inventory,
    rows: &mut Rows,
) -> Result<(Catalog, Catalog)> {
    let options = ValidateOptions::default();
    let machine = MachineIds::new(laptop);

    let (timing, verified) = median_time(RUNS, 1, || verify(loaded));
    verified?;
    rows.push(("verify signature (minisign, prehashed)", timing));

    let (timing, _) = median_time(RUNS, 1, || Sha256::digest(&loaded.bytes));
    rows.push(("SHA-256 of the bytes (floor)", timing));

    let (timing, full) = median_time(RUNS, 1, || Catalog::parse(&loaded.bytes, &options));
    rows.push(("parse + validate, full", timing));

    let (timing, filtered) = median_time(RUNS, 1, || {
        read_for_machine(&loaded.bytes, &options, &machine)
    });
    rows.push(("stream + validate + filter", timing));
    Ok((full?, filtered?.catalog))
}

/// Times indexing and matching on both catalogs and checks that they give the same
/// entries. Returns the number of entries.
fn time_matching(
    full: &Catalog,
    filtered: &Catalog,
    laptop: &Inventory,
    rows: &mut Rows,
) -> Result<usize> {
    let index =
        |catalog, batch| median_time(RUNS, batch, || Matcher::new(catalog, &laptop.hardware_ids));
    let (timing, full_matcher) = index(full, 1);
    rows.push(("index by GUID, full catalog", timing));
    let (timing, filtered_matcher) = index(filtered, SMALL_BATCH);
    rows.push(("index by GUID, filtered catalog", timing));

    let match_on = |matcher: &Matcher| {
        median_time(RUNS, SMALL_BATCH, || {
            update_entries(&matcher.match_devices(&laptop.devices))
        })
    };
    let (timing, full_entries) = match_on(&full_matcher);
    rows.push(("match laptop devices + entries, full catalog", timing));
    let (timing, filtered_entries) = match_on(&filtered_matcher);
    rows.push(("match laptop devices + entries, filtered catalog", timing));

    if full_entries != filtered_entries {
        bail!("the full and streaming paths give different update entries");
    }
    Ok(full_entries.len())
}

/// Writes a duration in milliseconds, or in microseconds below one millisecond.
fn show(time: Duration) -> String {
    let micros = time.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else {
        format!("{:.1} ms", micros / 1000.0)
    }
}

fn print_memory(dir: &Path) -> Result<()> {
    let exe = std::env::current_exe()?;
    println!("| reader, own process | peak RSS (VmHWM) | peak heap | heap kept after load |");
    println!("| --- | ---: | ---: | ---: |");
    for mode in ["bytes", "full", "stream"] {
        let output = Command::new(&exe)
            .arg("--child")
            .arg(mode)
            .arg(dir)
            .output()?;
        if !output.status.success() {
            bail!(
                "child {mode} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = String::from_utf8_lossy(&output.stdout);
        println!("{}", text.trim_end());
    }
    Ok(())
}

/// Loads the catalog with one reader, keeps the result as the daemon would, drops the
/// bytes, and prints one table row.
fn run_child(mode: &str, dir: &Path) -> Result<()> {
    let laptop = fixture("laptop")?;
    let loaded = load(&Files::in_dir(dir))?;
    verify(&loaded)?;
    let options = ValidateOptions::default();

    let kept: Option<Catalog> = match mode {
        "bytes" => None,
        "full" => Some(Catalog::parse(&loaded.bytes, &options)?),
        "stream" => {
            let machine = MachineIds::new(&laptop);
            Some(read_for_machine(&loaded.bytes, &options, &machine)?.catalog)
        }
        other => bail!("unknown mode {other:?}; expected bytes, full or stream"),
    };
    drop(loaded);

    let label = match mode {
        "bytes" => "read + verify only",
        "full" => "full parser",
        _ => "streaming reader",
    };
    let hwm = status_kib("VmHWM").unwrap_or(0);
    let kept_heap = live_heap();
    println!(
        "| {label} | {:.1} MiB | {:.1} MiB | {:.2} MiB |",
        hwm as f64 / 1024.0,
        peak_heap() as f64 / (1 << 20) as f64,
        kept_heap as f64 / (1 << 20) as f64,
    );
    drop(kept);
    Ok(())
}
