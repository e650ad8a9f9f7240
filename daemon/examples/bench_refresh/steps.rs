//! The steps of a refresh timed one by one on the published catalog, and the floor.

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{bail, Result};
use hwupd::catalog::document::{Catalog, ValidateOptions};
use hwupd::catalog::minisign::{verify_with_any, Signature};
use hwupd::fsutil::write_atomic;
use hwupd::matching::{read_for_machine, MachineIds};
use sha2::{Digest, Sha256};

use super::remotes::Bench;
use super::{print_row, Samples};

/// Runs `step` `runs` times and returns the wall time of each run. The result of a run
/// is dropped inside its timing.
fn time<T>(runs: usize, mut step: impl FnMut() -> Result<T>) -> Result<Samples> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        drop(black_box(step()?));
        times.push(start.elapsed());
    }
    Ok(Samples(times))
}

/// Times `sha256sum` of the catalog file in its own process, as `tests/bench/run.sh` does.
fn time_sha256sum(bench: &Bench, runs: usize) -> Result<Samples> {
    let path = bench.catalog_path();
    time(runs, || {
        let status = Command::new("sha256sum")
            .arg(&path)
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("sha256sum {} failed: {status}", path.display());
        }
        Ok(())
    })
}

/// Times `curl -s URL | sha256sum` of the catalog from the loopback server.
fn time_curl(bench: &Bench, runs: usize) -> Result<Samples> {
    let pipeline = format!("curl -s --fail {} | sha256sum", bench.catalog_url());
    time(runs, || {
        let status = Command::new("sh")
            .args(["-c", &pipeline])
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("{pipeline} failed: {status}");
        }
        Ok(())
    })
}

/// Times each step and prints a row for it. Returns the times of the `sha256sum` floor
/// and of the `curl | sha256sum` floor over HTTP.
pub fn time_steps(bench: &Bench, runs: usize) -> Result<(Samples, Samples)> {
    let floor = time_sha256sum(bench, runs)?;
    print_row("sha256sum of the file (floor, own process)", &floor);
    let http_floor = time_curl(bench, runs)?;
    print_row(
        "curl | sha256sum from the loopback server (HTTP floor)",
        &http_floor,
    );

    let bytes = std::fs::read(bench.catalog_path())?;
    let read = time(runs, || Ok(std::fs::read(bench.catalog_path())?))?;
    print_row("read the file", &read);
    let sha256 = time(runs, || Ok(Sha256::digest(&bytes)))?;
    print_row("SHA-256", &sha256);
    let blake2b = time(runs, || Ok(blake2::Blake2b512::digest(&bytes)))?;
    print_row("BLAKE2b-512, the prehash of a minisign signature", &blake2b);

    let signature = Signature::parse(&std::fs::read(bench.signature_path())?)?;
    let keys = [bench.public_key()];
    let verify = time(runs, || {
        Ok(verify_with_any(&keys, &bytes, &signature)?.key_id())
    })?;
    print_row("verify the signature (BLAKE2b-512 and Ed25519)", &verify);

    time_parsing(&bytes, runs)?;
    let target = bench.scratch_dir().join("written.json");
    let write = time(runs, || Ok(write_atomic(&target, &bytes, 0o644, true)?))?;
    print_row("write and fsync a copy (fsutil::write_atomic)", &write);
    Ok((floor, http_floor))
}

fn time_parsing(bytes: &[u8], runs: usize) -> Result<()> {
    let options = ValidateOptions::default();
    let scan = time(runs, || {
        Ok(serde_json::from_slice::<serde::de::IgnoredAny>(bytes)?)
    })?;
    print_row("JSON syntax pass only (serde IgnoredAny)", &scan);
    let owned = time(runs, || Ok(serde_json::from_slice::<Catalog>(bytes)?))?;
    print_row("deserialize into Catalog, no validation", &owned);

    let catalog: Catalog = serde_json::from_slice(bytes)?;
    let validate = time(runs, || Ok(catalog.validate(&options)?))?;
    print_row("validate a parsed Catalog", &validate);
    let parse = time(runs, || Ok(Catalog::parse(bytes, &options)?))?;
    print_row("Catalog::parse (checks, deserialize, validate)", &parse);

    // A machine without devices keeps no release, as in a refresh.
    let machine = MachineIds::default();
    let check = time(runs, || Ok(read_for_machine(bytes, &options, &machine)?))?;
    print_row(
        "validate every release, keep none (the refresh's reader)",
        &check,
    );
    Ok(())
}
