//! The normalized form, as `systemd-analyze calendar` prints it.

use std::fmt::{self, Write};

use super::chain::{Chain, Component};
use super::field::{Field, DAY, HOUR, MINUTE, MONTH, SECOND, YEAR};
use super::weekday::ABBREVIATIONS;
use super::{CalendarSpec, CalendarZone};

impl fmt::Display for CalendarSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(bits) = self.weekdays {
            write_weekdays(f, bits)?;
            f.write_char(' ')?;
        }

        let day_separator = if self.day_from_month_end { '~' } else { '-' };
        write_chain(f, &self.year, &YEAR)?;
        f.write_char('-')?;
        write_chain(f, &self.month, &MONTH)?;
        f.write_char(day_separator)?;
        write_chain(f, &self.day, &DAY)?;
        f.write_char(' ')?;
        write_chain(f, &self.hour, &HOUR)?;
        f.write_char(':')?;
        write_chain(f, &self.minute, &MINUTE)?;
        f.write_char(':')?;
        write_seconds(f, &self.second)?;
        write_zone(f, &self.zone)
    }
}

/// Writes runs of three or more days as `Mon..Wed`, and shorter runs as a list.
fn write_weekdays(f: &mut fmt::Formatter<'_>, bits: u8) -> fmt::Result {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for day in (0..7).filter(|day| bits & (1 << day) != 0) {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == day => *last = day,
            _ => runs.push((day, day)),
        }
    }

    let mut parts = Vec::new();
    for (first, last) in runs {
        match last - first {
            0 => parts.push(ABBREVIATIONS[first].to_owned()),
            1 => parts.push(format!("{},{}", ABBREVIATIONS[first], ABBREVIATIONS[last])),
            _ => parts.push(format!("{}..{}", ABBREVIATIONS[first], ABBREVIATIONS[last])),
        }
    }
    f.write_str(&parts.join(","))
}

/// Writes the seconds; systemd prints the whole list as `*` when any part
/// matches every whole second, even if other parts add fractions.
fn write_seconds(f: &mut fmt::Formatter<'_>, chain: &Chain) -> fmt::Result {
    let every_second = |c: &Component| c.start == 0 && c.stop.is_none() && c.repeat == SECOND.unit;
    match chain {
        Chain::List(list) if list.iter().any(every_second) => f.write_char('*'),
        _ => write_chain(f, chain, &SECOND),
    }
}

fn write_chain(f: &mut fmt::Formatter<'_>, chain: &Chain, field: &Field) -> fmt::Result {
    let Chain::List(list) = chain else {
        return f.write_char('*');
    };
    for (index, component) in list.iter().enumerate() {
        if index > 0 {
            f.write_char(',')?;
        }
        write_component(f, component, field)?;
    }
    Ok(())
}

/// Writes `start[..stop][/repeat]`, leaving out the implied step of a plain range.
fn write_component(
    f: &mut fmt::Formatter<'_>,
    component: &Component,
    field: &Field,
) -> fmt::Result {
    write_value(f, component.start, field, field.width)?;
    if let Some(stop) = component.stop {
        f.write_str("..")?;
        write_value(f, stop, field, field.width)?;
    }

    let plain_range = component.stop.is_some() && component.repeat == field.unit;
    if component.repeat > 0 && !plain_range {
        f.write_char('/')?;
        write_value(f, component.repeat, field, 0)?;
    }
    Ok(())
}

/// Writes the whole part zero-padded to `width`, then any fraction as six digits.
fn write_value(f: &mut fmt::Formatter<'_>, value: i64, field: &Field, width: usize) -> fmt::Result {
    write!(f, "{:0width$}", value / field.unit)?;
    match value % field.unit {
        0 => Ok(()),
        fraction => write!(f, ".{fraction:06}"),
    }
}

fn write_zone(f: &mut fmt::Formatter<'_>, zone: &CalendarZone) -> fmt::Result {
    match zone {
        CalendarZone::Local => Ok(()),
        CalendarZone::Utc => f.write_str(" UTC"),
        CalendarZone::Named { name, .. } => write!(f, " {name}"),
        CalendarZone::LocalAbbreviation { abbreviation, .. } => write!(f, " {abbreviation}"),
    }
}
