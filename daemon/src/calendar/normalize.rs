//! Normalization into the form `systemd-analyze calendar` prints.

use super::chain::{Chain, Component};
use super::CalendarSpec;

/// All seven weekday bits: the same as naming no weekday.
const ALL_WEEKDAYS: u8 = 0x7f;

/// Widens two-digit years, sorts and deduplicates every list, and drops
/// parts that match nothing extra, as systemd does before validation.
pub(crate) fn normalize(spec: &mut CalendarSpec) {
    spec.weekdays = spec
        .weekdays
        .filter(|bits| *bits != 0 && *bits != ALL_WEEKDAYS);
    if spec.day == Chain::Any {
        spec.day_from_month_end = false;
    }

    widen_two_digit_years(&mut spec.year);
    let chains = [
        &mut spec.year,
        &mut spec.month,
        &mut spec.day,
        &mut spec.hour,
        &mut spec.minute,
        &mut spec.second,
    ];
    for chain in chains {
        normalize_chain(chain);
    }
}

/// Maps years 0..=69 to 2000..=2069 and 70..=99 to 1970..=1999.
fn widen_two_digit_years(chain: &mut Chain) {
    let widen = |year: i64| match year {
        0..=69 => year + 2000,
        70..=99 => year + 1900,
        _ => year,
    };
    if let Chain::List(list) = chain {
        for component in list {
            component.start = widen(component.start);
            component.stop = component.stop.map(widen);
        }
    }
}

fn normalize_chain(chain: &mut Chain) {
    let Chain::List(list) = chain else {
        return;
    };
    for component in list.iter_mut() {
        normalize_component(component);
    }
    list.sort_by_key(Component::sort_key);
    list.dedup();
}

/// Ends a stepped range on its last match, and turns a range or repetition
/// that can only match its start into a single value.
fn normalize_component(component: &mut Component) {
    let Some(stop) = component.stop else {
        return;
    };
    let start = component.start;
    if stop > start && component.repeat > 0 {
        component.stop = Some(stop - (stop - start) % component.repeat);
    }

    let stop = component.stop.unwrap_or(stop);
    if stop == start || (stop > start && stop - start < component.repeat) {
        component.stop = None;
        component.repeat = 0;
    }
}
