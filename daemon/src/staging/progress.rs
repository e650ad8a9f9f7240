//! Progress reports of a download, about one per percent instead of one per chunk.

/// Callback that receives the bytes staged so far and the payload's size.
pub type Progress<'a> = &'a mut (dyn FnMut(u64, u64) + Send);

/// Number of reports over a whole download, besides the first and the last.
const STEPS: u64 = 100;

/// Smallest distance in bytes between two reports, so that a small payload reports
/// little more than its start and end.
const MIN_STEP: u64 = 64 * 1024;

/// Passes progress to the callback when it has advanced by a step, and always at the
/// start and at the end.
pub(super) struct Throttle<'a> {
    callback: Progress<'a>,
    total: u64,
    step: u64,
    next: u64,
    last: Option<u64>,
}

impl<'a> Throttle<'a> {
    pub(super) fn new(callback: Progress<'a>, total: u64) -> Self {
        Self {
            callback,
            total,
            step: (total / STEPS).max(MIN_STEP),
            next: 0,
            last: None,
        }
    }

    /// Reports `done` unconditionally: at the start, and when a download starts over.
    pub(super) fn reset(&mut self, done: u64) {
        self.report(done);
    }

    /// Reports `done` if it reached the next step or the end, and differs from the last
    /// report.
    pub(super) fn update(&mut self, done: u64) {
        let due = done >= self.next || done == self.total;
        if due && self.last != Some(done) {
            self.report(done);
        }
    }

    fn report(&mut self, done: u64) {
        (self.callback)(done, self.total);
        self.last = Some(done);
        self.next = done.saturating_add(self.step);
    }
}
