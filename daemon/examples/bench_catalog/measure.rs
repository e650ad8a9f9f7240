//! Measuring tools: wall time of a step, and memory from the kernel and the allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Median wall-clock time and median CPU time of one step.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub wall: Duration,
    /// Time this thread ran on a CPU, from the kernel's scheduler statistics. Unlike wall
    /// time, it leaves out the time spent waiting for a CPU that other jobs hold.
    pub cpu: Duration,
}

/// Runs `step` `runs` times and returns the median times and the last result. Medians
/// resist the load that other jobs put on a shared machine. Each run calls `step`
/// `batch` times and counts the mean, so that short steps last long enough for the
/// CPU clock. Dropping the previous result is part of every call after the first.
pub fn median_time<T>(runs: usize, batch: u32, mut step: impl FnMut() -> T) -> (Timing, T) {
    let batch = batch.max(1);
    let mut walls = Vec::with_capacity(runs);
    let mut cpus = Vec::with_capacity(runs);
    let mut result = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let cpu_start = thread_cpu_time();
        for _ in 0..batch {
            result = Some(step());
        }
        cpus.push(thread_cpu_time().saturating_sub(cpu_start) / batch);
        walls.push(start.elapsed() / batch);
    }
    walls.sort();
    cpus.sort();
    let timing = Timing {
        wall: walls[walls.len() / 2],
        cpu: cpus[cpus.len() / 2],
    };
    (timing, result.expect("at least one run"))
}

/// Reads this thread's CPU time from the first field of /proc/thread-self/schedstat, in
/// nanoseconds. Returns zero where the kernel does not provide it. The kernel brings the
/// value up to date at scheduler ticks, so it lags by up to a tick (a few milliseconds).
fn thread_cpu_time() -> Duration {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let nanos = text
        .split_whitespace()
        .next()
        .and_then(|field| field.parse().ok());
    Duration::from_nanos(nanos.unwrap_or(0))
}

/// Reads a `kB` field such as `VmHWM` (peak resident set size) from /proc/self/status.
pub fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let value = line.trim_start_matches(field).trim_start_matches(':');
    value.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Bytes allocated and not yet freed, and their peak since the last `reset_peak`.
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator with counters of live and peak heap bytes, so that the
/// benchmark can report what a loaded catalog keeps, which RSS cannot show after frees.
/// The counters add two atomic operations to every allocation, for both readers alike.
pub struct CountingAllocator;

#[allow(unsafe_code)]
// SAFETY: every call forwards to `System` with the caller's arguments unchanged, so
// `System`'s guarantees carry over; the counters only observe sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract for these values.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        moved
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` came from `alloc` with this `layout`, as the caller ensures.
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

pub fn live_heap() -> usize {
    LIVE.load(Ordering::Relaxed)
}

pub fn peak_heap() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Starts a new peak from the bytes live now.
#[allow(dead_code)]
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}
