//! Clock changes of a zone as the civil search meets them: skipped times,
//! and the daylight saving flag that glibc's `mktime` carries across them.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use super::cursor::Cursor;

/// A stretch of civil time skipped when clocks move forward.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Gap {
    /// The first civil time after the gap.
    pub end: Cursor,
    /// Whether the clocks leave daylight saving time here, as in Europe/Dublin,
    /// whose winter time is marked as daylight saving time. glibc's `mktime`
    /// then moves a time in the gap back to before it instead of forward.
    pub leaves_dst: bool,
}

/// The zone rules the civil search consults.
#[derive(Clone, Copy)]
pub(crate) struct Clock<'a> {
    tz: &'a TimeZone,
}

impl<'a> Clock<'a> {
    pub fn new(tz: &'a TimeZone) -> Self {
        Self { tz }
    }

    /// Returns the gap that `cursor` falls in, if the clocks skip it.
    pub fn gap_at(&self, cursor: Cursor) -> Option<Gap> {
        let tz = self.tz;
        let civil = cursor.to_datetime()?;
        let AmbiguousOffset::Gap { before, .. } = tz.to_ambiguous_timestamp(civil).offset() else {
            return None;
        };

        let transition = gap_transition(tz, civil, before)?;
        let end = Cursor::from_datetime(tz.to_datetime(transition));
        let dst_before = transition
            .checked_sub(SignedDuration::from_nanos(1))
            .is_ok_and(|instant| is_dst(tz, instant));
        let leaves_dst = dst_before && !is_dst(tz, transition);
        (end > cursor).then_some(Gap { end, leaves_dst })
    }

    /// Returns where the search goes on after systemd reset a field of
    /// `carried` to get `reset`.
    ///
    /// The reset keeps the daylight saving flag of `carried`, so when `reset`
    /// lies on the other side of a clock change, `mktime` reads it with the
    /// offset of `carried`. When that moves it forward, as after an autumn
    /// change, the search goes on from there and can skip matches.
    pub fn keep_dst_flag(&self, carried: Cursor, reset: Cursor) -> Cursor {
        self.shifted_reset(carried, reset)
            .filter(|shifted| *shifted > reset)
            .unwrap_or(reset)
    }

    fn shifted_reset(&self, carried: Cursor, reset: Cursor) -> Option<Cursor> {
        let tz = self.tz;
        let carried_instant = tz
            .to_ambiguous_timestamp(carried.to_datetime()?)
            .compatible()
            .ok()?;
        let carried_info = tz.to_offset_info(carried_instant);

        let reset_civil = reset.to_datetime()?;
        let AmbiguousOffset::Unambiguous { offset } =
            tz.to_ambiguous_timestamp(reset_civil).offset()
        else {
            return None;
        };
        if is_dst(tz, offset.to_timestamp(reset_civil).ok()?) == carried_info.dst().is_dst() {
            return None;
        }

        // NOTE: when this moves backwards, as after a spring change, systemd
        // 252 loops until it fails with "Infinite loop in calendar
        // calculation". The search here goes on from `reset` instead.
        let shifted = carried_info.offset().to_timestamp(reset_civil).ok()?;
        Some(Cursor::from_datetime(tz.to_datetime(shifted)))
    }
}

/// Returns the transition that opened the gap `civil` falls in.
fn gap_transition(tz: &TimeZone, civil: DateTime, before: jiff::tz::Offset) -> Option<Timestamp> {
    // Read with the offset from before the gap, a civil time in the gap lands
    // at or after the transition, so the transition is the latest one up to it.
    let shifted = before.to_timestamp(civil).ok()?;
    let bound = shifted.checked_add(SignedDuration::from_nanos(1)).ok()?;
    tz.preceding(bound)
        .next()
        .map(|transition| transition.timestamp())
}

pub(crate) fn is_dst(tz: &TimeZone, instant: Timestamp) -> bool {
    tz.to_offset_info(instant).dst().is_dst()
}
