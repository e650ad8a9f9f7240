//! Range checks on a normalized expression, naming the component that fails.

use super::chain::{Chain, Component};
use super::field::{Field, DAY, DAY_FROM_END, HOUR, MINUTE, MONTH, SECOND, YEAR};
use super::{CalendarError, CalendarSpec};

/// Checks every component against its field's range, and that each
/// repetition fires at least once more inside that range.
pub(crate) fn validate(spec: &CalendarSpec, input: &str) -> Result<(), CalendarError> {
    let from_end = spec.day_from_month_end;
    let day = if from_end { DAY_FROM_END } else { DAY };
    let fields = [
        (&spec.year, YEAR, false),
        (&spec.month, MONTH, false),
        (&spec.day, day, from_end),
        (&spec.hour, HOUR, false),
        (&spec.minute, MINUTE, false),
        (&spec.second, SECOND, false),
    ];
    for (chain, field, from_end) in fields {
        check_chain(chain, &field, from_end, input)?;
    }
    Ok(())
}

fn check_chain(
    chain: &Chain,
    field: &Field,
    from_end: bool,
    input: &str,
) -> Result<(), CalendarError> {
    let Chain::List(list) = chain else {
        return Ok(());
    };
    for (index, component) in list.iter().enumerate() {
        let field = &bounds_at(field, from_end, index);
        check_component(component, field, from_end).map_err(|reason| {
            CalendarError::OutOfRange {
                field: field.name,
                token: input
                    .get(component.span.clone())
                    .unwrap_or_default()
                    .to_owned(),
                reason,
            }
        })?;
    }
    Ok(())
}

/// Returns the bounds of the list element at `index`.
///
/// For days counted from the month end, systemd 252 lowers the maximum by 3
/// for each element after the first, so `~26` is valid but `~1,26` is not.
/// This follows it, so that both accept the same expressions.
fn bounds_at(field: &Field, from_end: bool, index: usize) -> Field {
    if !from_end {
        return *field;
    }
    let lowered = i64::try_from(index).unwrap_or(i64::MAX).saturating_mul(3);
    Field {
        max: field.max.saturating_sub(lowered),
        ..*field
    }
}

/// Returns why `component` is invalid for `field`, if it is.
fn check_component(component: &Component, field: &Field, from_end: bool) -> Result<(), String> {
    let in_range = |value: i64| (field.min..=field.max).contains(&value);
    let bounds = || {
        format!(
            "must be between {} and {}",
            show(field.min, field),
            show(field.max, field)
        )
    };
    if !in_range(component.start) || !component.stop.is_none_or(in_range) {
        return Err(bounds());
    }

    let start = component.start;
    let repeat = component.repeat;
    match component.stop {
        Some(stop) if start + repeat > stop => Err("the range ends before it starts".to_owned()),
        None if from_end && start - repeat < field.min => {
            Err("the first repetition falls past the last day of the month".to_owned())
        }
        None if !from_end && start + repeat > field.max => Err(format!(
            "the first repetition falls after the maximum {}",
            show(field.max, field)
        )),
        _ => Ok(()),
    }
}

/// Formats a stored value in the field's displayed unit.
fn show(value: i64, field: &Field) -> String {
    match value % field.unit {
        0 => (value / field.unit).to_string(),
        fraction => format!("{}.{fraction:06}", value / field.unit),
    }
}
