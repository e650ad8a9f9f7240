//! Openings of the windows: the one open now, the next ones, and the first that fits an update.

use std::iter::Peekable;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::{Fit, Opening, Window, Windows};

/// Maximum number of later elapses merged into one opening. A window whose
/// openings overlap without a gap for longer, such as `*:0/20` with a
/// duration of 45 minutes, is reported to close after that many elapses,
/// which is earlier than it really closes.
const MAX_MERGED_ELAPSES: usize = 1_000;

/// Maximum number of earlier elapses looked at to find when such a run of
/// overlapping openings began. Beyond it, `opens` is reported later than it is.
const MAX_EARLIER_ELAPSES: usize = 100;

/// Maximum number of openings of other windows merged into the time the
/// machine stays in maintenance.
const MAX_MERGED_OPENINGS: usize = 100;

/// Maximum number of openings [`Windows::fit`] looks at before it gives up.
const MAX_OPENINGS_SEARCHED: usize = 1_000;

/// Maximum number of openings [`Windows::next_openings`] returns.
pub const MAX_LISTED_OPENINGS: usize = 1_000;

impl Window {
    /// Returns the opening of this window that contains `at`, if any.
    fn opening_at(&self, at: Timestamp, zone: &TimeZone) -> Option<Opening> {
        // Every elapse after `at - duration` closes after `at`, so the first one
        // is the earliest opening still open at `at`, if it has begun by then.
        // Earlier elapses close by `at`, so only this one and later ones can
        // extend the opening past `at`.
        let search_from = at.checked_sub(self.duration).ok()?;
        let first = self.calendar.next_elapse(search_from, zone)?;
        if first > at {
            return None;
        }
        let merged = self.merged_from(first, zone);
        Some(Opening {
            opens: self.run_start(first, zone),
            ..merged
        })
    }

    /// Returns the first elapse of the run of touching openings that `opens` belongs to.
    fn run_start(&self, mut opens: Timestamp, zone: &TimeZone) -> Timestamp {
        let step_back = self.duration + SignedDuration::from_micros(1);
        for _ in 0..MAX_EARLIER_ELAPSES {
            // The first elapse at or after `opens - duration` is the earliest
            // one whose opening reaches `opens`.
            let Ok(from) = opens.checked_sub(step_back) else {
                break;
            };
            match self.calendar.next_elapse(from, zone) {
                Some(earlier) if earlier < opens => opens = earlier,
                _ => break,
            }
        }
        opens
    }

    /// Returns the opening that begins at the elapse `opens`, extended by the
    /// later elapses that begin before it closes.
    fn merged_from(&self, opens: Timestamp, zone: &TimeZone) -> Opening {
        let mut closes = add_or_max(opens, self.duration);
        for elapse in self.calendar.elapses(opens, zone).take(MAX_MERGED_ELAPSES) {
            if elapse > closes {
                break;
            }
            closes = closes.max(add_or_max(elapse, self.duration));
        }
        Opening {
            name: self.name.clone(),
            opens,
            closes,
        }
    }

    /// Returns the openings of this window that begin strictly after `after`.
    fn openings_after<'a>(
        &'a self,
        after: Timestamp,
        zone: &'a TimeZone,
    ) -> impl Iterator<Item = Opening> + 'a {
        let mut cursor = Some(after);
        std::iter::from_fn(move || {
            let opens = self.calendar.next_elapse(cursor?, zone)?;
            let opening = self.merged_from(opens, zone);
            cursor = Some(opening.closes);
            Some(opening)
        })
    }
}

impl Windows {
    /// Returns the window open at `now`, if any.
    ///
    /// `name` and `opens` are those of the window that is open at `now` and
    /// closes last. `closes` is when no window is open any more, which is
    /// later than that window's own close when another window overlaps or
    /// adjoins it.
    pub fn open_at(&self, now: Timestamp) -> Option<Opening> {
        // The window that closes last, and on a tie the one that opened first.
        let current = self
            .windows
            .iter()
            .filter_map(|window| window.opening_at(now, &self.zone))
            .min_by(|a, b| b.closes.cmp(&a.closes).then(a.opens.cmp(&b.opens)))?;
        let closes = self.union_close(now, current.closes);
        Some(Opening { closes, ..current })
    }

    /// Returns the next `count` openings that begin strictly after `now`, of
    /// all windows, sorted by opening time. Each opening's `closes` is that of
    /// its own window. At most [`MAX_LISTED_OPENINGS`] are returned.
    pub fn next_openings(&self, now: Timestamp, count: usize) -> Vec<Opening> {
        self.upcoming(now)
            .take(count.min(MAX_LISTED_OPENINGS))
            .collect()
    }

    /// Returns where an update that takes `needed` can run: now, in a later
    /// opening, or in none of the next openings.
    ///
    /// An opening fits when the windows stay open for `needed` from its start,
    /// counting overlapping and adjoining windows as one.
    pub fn fit(&self, now: Timestamp, needed: SignedDuration) -> Fit {
        if let Some(open) = self.open_at(now) {
            if ends_by(now, needed, open.closes) {
                return Fit::Now {
                    closes: open.closes,
                };
            }
        }
        self.fit_after(now, needed).map_or(Fit::Never, Fit::Later)
    }

    /// Returns the first opening after `now` in which an update that takes `needed` ends in time.
    pub fn fit_after(&self, now: Timestamp, needed: SignedDuration) -> Option<Opening> {
        self.upcoming(now)
            .take(MAX_OPENINGS_SEARCHED)
            .find_map(|opening| {
                let span = self.open_at(opening.opens)?;
                ends_by(opening.opens, needed, span.closes).then_some(Opening {
                    closes: span.closes,
                    ..opening
                })
            })
    }

    /// Returns the openings that begin after `now`, merged across windows.
    /// A window open at `now` contributes only the openings after its current one.
    fn upcoming(&self, now: Timestamp) -> Upcoming<'_> {
        let zone = &self.zone;
        let streams = self
            .windows
            .iter()
            .map(|window| {
                let start = window.opening_at(now, zone).map_or(now, |open| open.closes);
                let stream: Box<dyn Iterator<Item = Opening> + '_> =
                    Box::new(window.openings_after(start, zone));
                stream.peekable()
            })
            .collect();
        Upcoming { streams }
    }

    /// Extends `closes` by every opening after `now` that begins before the
    /// windows close. The openings come in order of their start, so the
    /// first one that begins after `closes` ends the search.
    fn union_close(&self, now: Timestamp, mut closes: Timestamp) -> Timestamp {
        for opening in self.upcoming(now).take(MAX_MERGED_OPENINGS) {
            if opening.opens > closes {
                break;
            }
            closes = closes.max(opening.closes);
        }
        closes
    }
}

/// Openings of several windows in order of their opening time.
struct Upcoming<'a> {
    streams: Vec<Peekable<Box<dyn Iterator<Item = Opening> + 'a>>>,
}

impl Iterator for Upcoming<'_> {
    type Item = Opening;

    fn next(&mut self) -> Option<Opening> {
        // On equal opening times, the window listed first in the config comes first.
        let (_, index) = self
            .streams
            .iter_mut()
            .enumerate()
            .filter_map(|(index, stream)| Some((stream.peek()?.opens, index)))
            .min()?;
        self.streams.get_mut(index)?.next()
    }
}

fn add_or_max(instant: Timestamp, duration: SignedDuration) -> Timestamp {
    instant.checked_add(duration).unwrap_or(Timestamp::MAX)
}

/// Returns whether work of length `needed` that starts at `start` ends by `closes`.
fn ends_by(start: Timestamp, needed: SignedDuration, closes: Timestamp) -> bool {
    start.checked_add(needed).is_ok_and(|end| end <= closes)
}
