//! Benchmark of a catalog refresh and its steps, against `sha256sum` of the same bytes.
//!
//! Run with `cargo run --release -p hwupd --example bench_refresh -- [--releases N]
//! [--runs N]`; `sha256sum` and `curl` must be installed. The catalog has the shape
//! that `tests/bench/run.sh` writes: copies of one release that `hwupctl catalog add`
//! wrote, each with its own id and instance ID. Every timed refresh gets a catalog with
//! a higher serial, published untimed, as in that script. The same folder is refreshed
//! as a local remote and from the loopback HTTP server of `hwupd-tests`, which sends
//! `ETag` and `Last-Modified`, so the HTTP refresh makes a conditional GET. The
//! refreshes run in this process, without D-Bus or `hwupctl`.

// The timing helpers of this module are for bench_catalog, and this example uses only
// its allocator counters.
#[allow(dead_code)]
#[path = "bench_catalog/measure.rs"]
mod measure;
#[path = "bench_refresh/remotes.rs"]
mod remotes;
#[path = "bench_refresh/steps.rs"]
mod steps;

use std::time::Duration;

use anyhow::Result;
use clap::Parser;

use measure::{live_heap, peak_heap, reset_peak, status_kib, CountingAllocator};
use remotes::Bench;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[derive(Debug, Parser)]
#[command(about = "Measure a catalog refresh step by step against sha256sum")]
struct Args {
    /// Number of releases in the generated catalog.
    #[arg(long, default_value_t = 50_000)]
    releases: usize,

    /// Timed runs of each step. The median and the minimum are reported.
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runs = args.runs.max(1);
    let mut bench = Bench::new(args.releases)?;
    let size = bench.publish()?;

    println!(
        "catalog: {} releases, {size} bytes ({:.1} MiB)",
        args.releases,
        size as f64 / (1 << 20) as f64
    );
    println!();
    println!("| step ({runs} runs) | median | min |");
    println!("| --- | ---: | ---: |");
    let (floor, http_floor) = steps::time_steps(&bench, runs)?;

    let local = bench.time_refreshes(remotes::Kind::Local, runs)?;
    print_row("refresh, local folder remote", &local);
    let http = bench.time_refreshes(remotes::Kind::Http, runs)?;
    print_row("refresh, loopback HTTP remote (ETag)", &http);
    println!();
    println!(
        "refresh / sha256sum, medians: local {:.2}, HTTP {:.2}",
        ratio(&local, &floor),
        ratio(&http, &floor)
    );
    println!(
        "HTTP refresh / curl | sha256sum, medians: {:.2}",
        ratio(&http, &http_floor)
    );
    print_memory(&mut bench)
}

/// Prints the heap that one more refresh of the local remote peaks at and keeps.
fn print_memory(bench: &mut Bench) -> Result<()> {
    bench.publish()?;
    let before = live_heap();
    reset_peak();
    bench.refresh(remotes::Kind::Local)?;
    let mib = |bytes: usize| bytes as f64 / (1 << 20) as f64;
    println!(
        "one local refresh: peak heap {:.1} MiB above the {:.1} MiB before, {:.2} MiB kept; \
         process VmHWM {} MiB",
        mib(peak_heap().saturating_sub(before)),
        mib(before),
        mib(live_heap().saturating_sub(before)),
        status_kib("VmHWM").unwrap_or(0) / 1024
    );
    Ok(())
}

/// Times of the runs of one step.
pub struct Samples(Vec<Duration>);

impl Samples {
    fn median(&self) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted.get(sorted.len() / 2).copied().unwrap_or_default()
    }

    fn min(&self) -> Duration {
        self.0.iter().min().copied().unwrap_or_default()
    }
}

fn ratio(step: &Samples, floor: &Samples) -> f64 {
    step.median().as_secs_f64() / floor.median().as_secs_f64()
}

pub fn print_row(step: &str, samples: &Samples) {
    let ms = |time: Duration| time.as_secs_f64() * 1000.0;
    println!(
        "| {step} | {:.1} ms | {:.1} ms |",
        ms(samples.median()),
        ms(samples.min())
    );
}
