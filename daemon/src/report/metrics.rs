//! The report as Prometheus metrics, for node_exporter's textfile collector.
//!
//! The file uses the Prometheus text exposition format, version 0.0.4: a `# HELP` and a
//! `# TYPE` line before each metric family, label values with `\`, `"` and line feeds
//! escaped, and no sample timestamps, which the textfile collector rejects.

use std::fmt::Write;
use std::io;
use std::path::Path;

use super::{Report, ALL_STATUSES};
use crate::fsutil;

/// Mode of the metrics file: node_exporter runs as its own user and must read it.
const METRICS_MODE: u32 = 0o644;

const SECONDS_PER_DAY: i64 = 86_400;

/// Writes the metrics file atomically, so that node_exporter never reads a partial file.
pub fn write_metrics(path: &Path, report: &Report) -> io::Result<()> {
    fsutil::write_atomic(path, to_text(report).as_bytes(), METRICS_MODE, true)
}

/// Renders the report's figures in the text exposition format.
pub fn to_text(report: &Report) -> String {
    let mut out = String::new();
    write_missing(&mut out, report);
    write_devices(&mut out, report);
    write_deployments(&mut out, report);
    write_catalogs(&mut out, report);

    family(
        &mut out,
        "hwupd_last_report_timestamp_seconds",
        "gauge",
        "Time the report was generated, in seconds since the Unix epoch.",
    );
    sample(
        &mut out,
        "hwupd_last_report_timestamp_seconds",
        &[],
        report.generated_unix,
    );
    out
}

fn write_catalogs(out: &mut String, report: &Report) {
    let name = "hwupd_catalogs_usable";
    let help = "Remotes whose accepted catalog has not expired. At 0 the missing-update \
                figures cover nothing new.";
    family(out, name, "gauge", help);
    sample(out, name, &[], report.usable_catalogs());

    let name = "hwupd_catalog_issued_timestamp_seconds";
    let help = "Issue time of each remote's accepted catalog, in seconds since the Unix epoch.";
    family(out, name, "gauge", help);
    for catalog in &report.catalogs {
        let labels = [("remote", catalog.remote_id.as_str())];
        sample(out, name, &labels, catalog.issued.as_second());
    }

    let name = "hwupd_catalog_expiry_timestamp_seconds";
    let help = "Expiry time of each remote's accepted catalog, in seconds since the Unix epoch.";
    family(out, name, "gauge", help);
    for catalog in &report.catalogs {
        let labels = [("remote", catalog.remote_id.as_str())];
        sample(out, name, &labels, catalog.expires.as_second());
    }
}

fn write_missing(out: &mut String, report: &Report) {
    let name = "hwupd_updates_missing";
    family(
        out,
        name,
        "gauge",
        "Updates that match a device and are not installed, by severity.",
    );
    for (severity, count) in report.missing.by_name() {
        sample(out, name, &[("severity", severity)], count);
    }

    let name = "hwupd_updates_missing_known_exploited";
    let help = "Missing updates that fix a vulnerability known to be exploited.";
    family(out, name, "gauge", help);
    sample(out, name, &[], report.missing_known_exploited);

    // Prometheus names carry base units, so the report's whole days go out as seconds.
    let name = "hwupd_oldest_missing_critical_age_seconds";
    let help = "Age of the oldest missing critical update in whole days, as seconds; \
                0 when none is missing.";
    family(out, name, "gauge", help);
    let days = report
        .oldest_missing_critical
        .as_ref()
        .map_or(0, |o| o.age_days);
    sample(out, name, &[], days * SECONDS_PER_DAY);
}

fn write_devices(out: &mut String, report: &Report) {
    let name = "hwupd_devices";
    family(out, name, "gauge", "Devices by update status.");
    for status in ALL_STATUSES {
        let count = report.devices.iter().filter(|d| d.status == status).count();
        sample(out, name, &[("status", status.as_str())], count);
    }

    let name = "hwupd_device_update_available";
    let help = "1 when the device has a missing update, else 0.";
    family(out, name, "gauge", help);
    for device in &report.devices {
        let labels = [
            ("device_id", device.device_id.as_str()),
            ("name", &device.name),
        ];
        sample(out, name, &labels, u8::from(device.missing.total() > 0));
    }
}

fn write_deployments(out: &mut String, report: &Report) {
    let name = "hwupd_deployments_total";
    let help = "Apply attempts that ended, by outcome, since the history began.";
    family(out, name, "counter", help);
    for (outcome, count) in report.deployments.all_time.by_name() {
        sample(out, name, &[("outcome", outcome)], count);
    }

    let name = "hwupd_deployments_recent";
    let help = "Apply attempts that ended in the last 30 days, by outcome.";
    family(out, name, "gauge", help);
    for (outcome, count) in report.deployments.last_30_days.by_name() {
        sample(out, name, &[("outcome", outcome)], count);
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        let pairs: Vec<String> = labels
            .iter()
            .map(|(key, value)| format!("{key}=\"{}\"", escape_label_value(value)))
            .collect();
        let _ = write!(out, "{{{}}}", pairs.join(","));
    }
    let _ = writeln!(out, " {value}");
}

/// Escapes a label value: backslash, double quote and line feed.
pub fn escape_label_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Escapes HELP text: backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}
