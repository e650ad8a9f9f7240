//! Runs every row of `data/fwupd-versions.tsv`, the results fwupd's self tests expect,
//! against `hwupd::version` and reports all failing rows together.

use std::cmp::Ordering;

use hwupd::version::{self, VersionFormat};

const VECTORS: &str = include_str!("data/fwupd-versions.tsv");

/// Number of data rows in the file, so that a parsing mistake cannot skip rows silently.
const ROW_COUNT: usize = 89;

/// Rows whose result intentionally differs from fwupd: kind, input, second input, reason.
const SKIPPED: &[(&str, &str, &str, &str)] = &[(
    "guess_format",
    "<NULL>",
    "",
    "a Rust caller holds a missing version as None and cannot pass it as &str",
)];

struct Row<'a> {
    line: usize,
    kind: &'a str,
    input: &'a str,
    input2: &'a str,
    format: &'a str,
    expected: &'a str,
}

#[test]
fn fwupd_vectors_pass() {
    let rows = parse_rows();
    let mut failures = Vec::new();
    let mut skips_used = vec![false; SKIPPED.len()];

    for row in &rows {
        if let Some(index) = skip_index(row) {
            skips_used[index] = true;
            continue;
        }
        if let Err(message) = check_row(row) {
            failures.push(format!(
                "line {}: {} {:?} {:?} ({}): {message}",
                row.line, row.kind, row.input, row.input2, row.format
            ));
        }
    }

    for (used, skip) in skips_used.iter().zip(SKIPPED) {
        if !used {
            failures.push(format!("skip entry matches no row: {skip:?}"));
        }
    }
    assert_eq!(rows.len(), ROW_COUNT, "data rows in fwupd-versions.tsv");
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Reads the tab-separated rows, skipping `#` comments and the column header.
fn parse_rows() -> Vec<Row<'static>> {
    let mut rows = Vec::new();
    for (index, line) in VECTORS.lines().enumerate() {
        if line.starts_with('#') || line.starts_with("kind\t") || line.is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [kind, input, input2, format, expected] = columns[..] else {
            panic!(
                "line {}: expected 5 tab-separated columns: {line:?}",
                index + 1
            );
        };
        rows.push(Row {
            line: index + 1,
            kind,
            input,
            input2,
            format,
            expected,
        });
    }
    rows
}

fn skip_index(row: &Row) -> Option<usize> {
    SKIPPED.iter().position(|&(kind, input, input2, _)| {
        (kind, input, input2) == (row.kind, row.input, row.input2)
    })
}

/// Runs one row and returns a message naming the expected and actual result on failure.
fn check_row(row: &Row) -> Result<(), String> {
    // Rows of guess_format leave the format column empty.
    let format = match row.format {
        "" => VersionFormat::Unknown,
        name => name.parse().map_err(|error| format!("{error}"))?,
    };
    let actual = run_row(row, format)?;
    if actual == row.expected {
        return Ok(());
    }
    Err(format!("expected {:?}, got {actual:?}", row.expected))
}

/// Returns the row's result written the way the file writes expected values.
fn run_row(row: &Row, format: VersionFormat) -> Result<String, String> {
    let actual = match row.kind {
        "from_uint16" => rendered(version::from_u16(integer(row.input)?, format)),
        "from_uint24" => rendered(version::from_u24(integer(row.input)?, format)),
        "from_uint32" => rendered(version::from_u32(integer(row.input)?, format)),
        "from_uint64" => rendered(version::from_u64(integer(row.input)?, format)),
        "parse_from_format" => rendered(version::parse_from_format(text(row.input)?, format)),
        "guess_format" => version::guess_format(text(row.input)?).to_string(),
        "verify_format" => verified(version::verify_format(text(row.input)?, format)),
        // fwupd's device test sets the ensure-semver flag, which runs ensure_semver.
        "ensure_semver" | "device_set_version" => {
            semver(version::ensure_semver(text(row.input)?, format))
        }
        "compare" => compared(row, format),
        // fwupd's test device is a USB device, whose raw version is a 16-bit bcdDevice.
        "device_version_raw" => rendered(version::from_u16(integer(row.input)?, format)),
        other => return Err(format!("unknown kind {other:?}")),
    };
    Ok(actual)
}

fn compared(row: &Row, format: VersionFormat) -> String {
    let ordering = version::compare_optional(optional(row.input), optional(row.input2), format);
    match ordering {
        Some(Ordering::Less) => "-1".to_owned(),
        Some(Ordering::Equal) => "0".to_owned(),
        Some(Ordering::Greater) => "1".to_owned(),
        None => "INVALID(G_MAXINT)".to_owned(),
    }
}

fn rendered(result: Result<String, version::RenderError>) -> String {
    result.unwrap_or_else(|error| format!("error: {error}"))
}

fn verified(result: Result<(), version::FormatMismatch>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(_) => "error:invalid-data".to_owned(),
    }
}

fn semver(result: Option<String>) -> String {
    result.unwrap_or_else(|| "<NULL>".to_owned())
}

/// Maps the file's `<NULL>` and `<EMPTY>` markers to a missing and an empty string.
fn optional(value: &str) -> Option<&str> {
    match value {
        "<NULL>" => None,
        "<EMPTY>" => Some(""),
        other => Some(other),
    }
}

fn text(value: &str) -> Result<&str, String> {
    optional(value).ok_or_else(|| "this function takes no missing input".to_owned())
}

/// Parses a `0x`-prefixed hex or a decimal integer column into the width under test.
fn integer<T: TryFrom<u64>>(value: &str) -> Result<T, String> {
    let parsed = match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    let wide = parsed.map_err(|error| format!("invalid integer {value:?}: {error}"))?;
    T::try_from(wide).map_err(|_| format!("integer {value} does not fit the tested width"))
}
