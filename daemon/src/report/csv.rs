//! The report as CSV: one row per device, with fixed columns.
//!
//! The output follows RFC 4180: a header row, CRLF line ends, and fields that contain
//! a comma, a double quote, CR or LF are quoted, with double quotes doubled. Device names
//! and versions come from firmware, so a field that starts with `=`, `+`, `-`, `@`, tab
//! or CR gets a leading `'`, which stops spreadsheets from reading it as a formula.

use super::{DeviceReport, Report};

/// The columns, in order. Counts are integers; empty fields mean "none".
///
/// | column | content |
/// | --- | --- |
/// | `device_id` | stable device id |
/// | `name`, `kind`, `vendor`, `version` | the device as the inventory reports it |
/// | `status` | `applying`, `pending-reboot`, `failed`, `update-available` or `up-to-date` |
/// | `missing_total` | missing updates of all severities |
/// | `missing_critical` ... `missing_low` | missing updates by severity |
/// | `missing_known_exploited` | missing updates that fix a known exploited vulnerability |
/// | `oldest_critical_release` | release id of the oldest missing critical update |
/// | `oldest_critical_age_days` | its age in whole days |
/// | `last_attempt_id` | id of the device's latest apply attempt |
/// | `last_attempt_state` | that attempt's latest state |
/// | `last_attempt_time` | time of that state, RFC 3339 in UTC |
pub const COLUMNS: [&str; 17] = [
    "device_id",
    "name",
    "kind",
    "vendor",
    "version",
    "status",
    "missing_total",
    "missing_critical",
    "missing_high",
    "missing_medium",
    "missing_low",
    "missing_known_exploited",
    "oldest_critical_release",
    "oldest_critical_age_days",
    "last_attempt_id",
    "last_attempt_state",
    "last_attempt_time",
];

/// Renders the report as CSV, one row per device after the header.
pub fn to_csv(report: &Report) -> String {
    let mut out = String::new();
    write_row(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    for device in &report.devices {
        write_row(&mut out, device_fields(device));
    }
    out
}

fn device_fields(device: &DeviceReport) -> impl Iterator<Item = String> {
    let oldest = device.oldest_missing_critical.as_ref();
    let attempt = device.last_attempt.as_ref();
    let fields = [
        device.device_id.clone(),
        device.name.clone(),
        device.kind.to_string(),
        device.vendor.clone(),
        device.version.clone(),
        device.status.as_str().to_string(),
        device.missing.total().to_string(),
        device.missing.critical.to_string(),
        device.missing.high.to_string(),
        device.missing.medium.to_string(),
        device.missing.low.to_string(),
        device.missing_known_exploited.to_string(),
        oldest.map(|o| o.release_id.clone()).unwrap_or_default(),
        oldest.map(|o| o.age_days.to_string()).unwrap_or_default(),
        attempt
            .map(|a| a.attempt_id.to_string())
            .unwrap_or_default(),
        attempt.map(|a| a.state.to_string()).unwrap_or_default(),
        attempt.map(|a| a.updated.to_string()).unwrap_or_default(),
    ];
    fields.into_iter()
}

fn write_row(out: &mut String, fields: impl Iterator<Item = String>) {
    let cells: Vec<String> = fields.map(|field| escape_field(&field)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// Neutralises a leading formula character, then quotes the field if it needs quotes.
pub fn escape_field(field: &str) -> String {
    let formula_start = ['=', '+', '-', '@', '\t', '\r'];
    let field = match field.starts_with(formula_start) {
        true => format!("'{field}"),
        false => field.to_string(),
    };

    if !field.contains([',', '"', '\r', '\n']) {
        return field;
    }
    format!("\"{}\"", field.replace('"', "\"\""))
}
