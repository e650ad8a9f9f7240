//! Runs every row of the systemd calendar test vectors and reports all failures together.

use hwupd::calendar::{CalendarError, CalendarSpec};
use jiff::tz::TimeZone;
use jiff::Timestamp;

const VECTORS: &str = include_str!("data/systemd-calendar.tsv");

/// One data row; see the header of the vectors file for the columns.
struct Row<'a> {
    line: usize,
    kind: &'a str,
    input: String,
    tz: &'a str,
    after_usec: &'a str,
    expected: &'a str,
}

fn rows() -> Vec<Row<'static>> {
    let mut rows = Vec::new();
    for (index, line) in VECTORS.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("kind\t") || line.is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        assert!(
            columns.len() >= 7,
            "line {}: expected 7 or more columns: {line:?}",
            index + 1
        );
        rows.push(Row {
            line: index + 1,
            kind: columns[0],
            input: decode_input(columns[1]),
            tz: columns[2],
            after_usec: columns[3],
            expected: columns[5],
        });
    }
    rows
}

/// Decodes the file's markers: `<EMPTY>` for an empty input and `\n` for a newline.
fn decode_input(raw: &str) -> String {
    match raw {
        "<EMPTY>" => String::new(),
        _ => raw.replace("\\n", "\n"),
    }
}

/// Returns the zone a `TZ` value selects; glibc falls back to UTC for names it cannot find.
fn zone_for(tz: &str) -> TimeZone {
    match tz {
        "" | "<empty = UTC>" | "<unset>" => TimeZone::UTC,
        rule if rule.contains(',') => TimeZone::posix(rule).expect("POSIX TZ rule in vectors"),
        name => TimeZone::get(name).unwrap_or(TimeZone::UTC),
    }
}

fn check_normalize(row: &Row) -> Result<(), String> {
    let spec =
        CalendarSpec::parse(&row.input, &TimeZone::UTC).map_err(|e| format!("rejected: {e}"))?;
    let normalized = spec.to_string();
    if normalized != row.expected {
        return Err(format!(
            "normalized to {normalized:?}, expected {:?}",
            row.expected
        ));
    }

    let again = CalendarSpec::parse(&normalized, &TimeZone::UTC)
        .map_err(|e| format!("normalized form {normalized:?} rejected: {e}"))?;
    if again.to_string() != normalized {
        return Err(format!(
            "normalized form {normalized:?} re-normalized to {again:?}"
        ));
    }
    Ok(())
}

fn check_next(row: &Row) -> Result<(), String> {
    let zone = zone_for(row.tz);
    let spec = CalendarSpec::parse(&row.input, &zone).map_err(|e| format!("rejected: {e}"))?;
    let after_usec: i64 = row
        .after_usec
        .parse()
        .map_err(|e| format!("after_usec: {e}"))?;
    let after = Timestamp::from_microsecond(after_usec).map_err(|e| e.to_string())?;

    let next = spec
        .next_elapse(after, &zone)
        .map(Timestamp::as_microsecond);
    let expected = match row.expected {
        "NONE(-ENOENT)" => None,
        usec => Some(usec.parse::<i64>().map_err(|e| format!("expected: {e}"))?),
    };
    if next != expected {
        return Err(format!("next elapse {next:?}, expected {expected:?}"));
    }
    Ok(())
}

fn check_reject(row: &Row) -> Result<(), String> {
    let error = match CalendarSpec::parse(&row.input, &TimeZone::UTC) {
        Ok(spec) => return Err(format!("accepted as {spec}")),
        Err(error) => error,
    };
    let out_of_range = matches!(
        error,
        CalendarError::NumberTooLarge { .. } | CalendarError::ZeroRepetition { .. }
    );
    let errno = if out_of_range { "ERANGE" } else { "EINVAL" };
    if errno != row.expected {
        return Err(format!(
            "rejected as {errno} ({error}), expected {}",
            row.expected
        ));
    }
    Ok(())
}

#[test]
fn systemd_vectors_all_pass() {
    let rows = rows();
    let mut failures = Vec::new();
    for row in &rows {
        let result = match row.kind {
            "normalize" => check_normalize(row),
            "next" => check_next(row),
            "reject" => check_reject(row),
            other => Err(format!("unknown kind {other:?}")),
        };
        if let Err(message) = result {
            failures.push(format!(
                "line {} {} {:?}: {message}",
                row.line, row.kind, row.input
            ));
        }
    }

    // The file contains 48 normalize, 28 next and 22 reject rows.
    assert_eq!(rows.len(), 98, "rows read from the vectors file");
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}
