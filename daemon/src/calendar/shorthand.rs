//! Named shorthands such as `daily` and `quarterly`.

use super::chain::Chain;
use super::parse::{DatePart, TimePart};

/// Expands a shorthand, matched without regard to case, into its fields.
///
/// Besides the names in systemd.time(7), systemd 252 accepts `anually`,
/// `biannually` and `bi-annually`.
pub(crate) fn expand(body: &str) -> Option<(Option<u8>, DatePart, TimePart)> {
    // Per shorthand: weekdays, months, whether the day is the 1st, and how
    // many trailing time fields (second, minute, hour) are zero.
    let (weekdays, months, first_day, zero_fields): (Option<u8>, &[i64], bool, usize) = match body
        .to_ascii_lowercase()
        .as_str()
    {
        "minutely" => (None, &[], false, 1),
        "hourly" => (None, &[], false, 2),
        "daily" => (None, &[], false, 3),
        "weekly" => (Some(1), &[], false, 3),
        "monthly" => (None, &[], true, 3),
        "quarterly" => (None, &[1, 4, 7, 10], true, 3),
        "semiannually" | "semi-annually" | "biannually" | "bi-annually" => (None, &[1, 7], true, 3),
        "yearly" | "annually" | "anually" => (None, &[1], true, 3),
        _ => return None,
    };

    let span = 0..body.len();
    let fixed = |values: &[i64]| match values {
        [] => Chain::Any,
        _ => Chain::values(values, span.clone()),
    };
    let date = DatePart {
        year: Chain::Any,
        month: fixed(months),
        day: if first_day { fixed(&[1]) } else { Chain::Any },
        from_end: false,
    };
    let zero_if = |position: usize| {
        if zero_fields >= position {
            fixed(&[0])
        } else {
            Chain::Any
        }
    };
    let time = TimePart {
        hour: zero_if(3),
        minute: zero_if(2),
        second: zero_if(1),
    };
    Some((weekdays, date, time))
}
