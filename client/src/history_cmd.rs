//! Output of `hwupctl history` and `hwupctl report`: tables, JSON and CSV from data
//! that the caller fetched from the daemon.

use std::fmt::Write;

use hwupd::history::Record;
use hwupd::output::table;
use hwupd::report::{AttemptSummary, Report};

/// Output formats of `hwupctl report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

/// Renders history records as a table, oldest first.
pub fn history_table(records: &[Record]) -> String {
    let rows: Vec<Vec<String>> = records.iter().map(history_row).collect();
    table(
        &[
            "TIME",
            "DEVICE",
            "RELEASE",
            "STATE",
            "VERSION",
            "ATTEMPT ID",
            "REASON",
        ],
        &rows,
    )
}

fn history_row(record: &Record) -> Vec<String> {
    let t = &record.transition;
    vec![
        t.time.to_string(),
        cell(&t.device_name),
        cell(&t.release_id),
        t.state.to_string(),
        format!("{} -> {}", cell(&t.version_before), cell(&t.version_after)),
        record
            .attempt_id
            .map_or("-".to_string(), |id| id.to_string()),
        t.reason.as_deref().map_or("-".to_string(), cell),
    ]
}

/// Renders a report in the requested format. JSON and CSV end with a line end.
pub fn render_report(report: &Report, format: ReportFormat) -> serde_json::Result<String> {
    match format {
        ReportFormat::Table => Ok(report_table(report)),
        ReportFormat::Json => Ok(report.to_json()? + "\n"),
        ReportFormat::Csv => Ok(hwupd::report::csv::to_csv(report)),
    }
}

/// Renders a report as a device table, a summary, and the recent attempts.
pub fn report_table(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .devices
        .iter()
        .map(|d| {
            let oldest = d.oldest_missing_critical.as_ref();
            vec![
                cell(&d.name),
                d.kind.to_string(),
                cell(&d.version),
                d.status.as_str().to_string(),
                severity_counts(&d.missing),
                oldest.map_or("-".to_string(), |o| format!("{} days", o.age_days)),
            ]
        })
        .collect();
    let header = [
        "DEVICE",
        "KIND",
        "VERSION",
        "STATUS",
        "MISSING C/H/M/L",
        "OLDEST CRITICAL",
    ];
    let mut out = table(&header, &rows);

    out.push('\n');
    out.push_str(&summary(report));
    if !report.deployments.recent.is_empty() {
        out.push_str("\nRecent attempts:\n");
        out.push_str(&attempts_table(&report.deployments.recent));
    }
    out
}

fn severity_counts(counts: &hwupd::report::SeverityCounts) -> String {
    let c = counts;
    format!("{}/{}/{}/{}", c.critical, c.high, c.medium, c.low)
}

/// Describes the catalogs the figures come from, with a warning when none is current,
/// because "up-to-date" then only means that no known update is missing.
fn catalog_lines(report: &Report) -> String {
    let mut out = String::new();
    if report.catalogs.is_empty() {
        out.push_str(
            "Warning: no catalog is accepted, so the statuses only reflect the history; \
             add a remote and run `hwupctl refresh`\n",
        );
        return out;
    }
    for catalog in &report.catalogs {
        let state = if catalog.expired {
            "expired"
        } else {
            "expires"
        };
        let _ = writeln!(
            out,
            "Catalog {}: serial {}, issued {}, {state} {}",
            cell(&catalog.remote_id),
            catalog.serial,
            catalog.issued,
            catalog.expires
        );
    }
    if report.usable_catalogs() == 0 {
        out.push_str(
            "Warning: every catalog has expired, so newer updates may be missing; \
             run `hwupctl refresh`\n",
        );
    }
    out
}

fn summary(report: &Report) -> String {
    let mut out = catalog_lines(report);
    let m = &report.missing;
    let _ = writeln!(
        out,
        "Missing updates: {} critical, {} high, {} medium, {} low",
        m.critical, m.high, m.medium, m.low
    );
    let _ = writeln!(
        out,
        "Missing updates that fix a known exploited vulnerability: {}",
        report.missing_known_exploited
    );
    if let Some(oldest) = &report.oldest_missing_critical {
        let _ = writeln!(
            out,
            "Oldest missing critical update: {}, released {} ({} days ago)",
            cell(&oldest.release_id),
            oldest.release_date,
            oldest.age_days
        );
    }
    let d = &report.deployments.last_30_days;
    let _ = writeln!(
        out,
        "Deployments in the last 30 days: {} succeeded, {} failed, {} rolled back",
        d.succeeded, d.failed, d.rolled_back
    );
    let _ = writeln!(out, "Generated at {}", report.generated);
    out
}

fn attempts_table(attempts: &[AttemptSummary]) -> String {
    let rows: Vec<Vec<String>> = attempts
        .iter()
        .map(|a| {
            vec![
                a.attempt_id.to_string(),
                a.updated.to_string(),
                cell(&a.device_name),
                cell(&a.release_id),
                a.state.to_string(),
                a.reason.as_deref().map_or("-".to_string(), cell),
            ]
        })
        .collect();
    table(
        &["ATTEMPT ID", "TIME", "DEVICE", "RELEASE", "STATE", "REASON"],
        &rows,
    )
}

/// Makes text from firmware safe for one table cell: control characters, which could
/// break the layout or drive the terminal, are shown escaped, such as `\n` or `\u{1b}`.
fn cell(text: &str) -> String {
    if text.is_empty() {
        return "-".to_string();
    }
    hwupd::output::printable(text, usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hwupd::catalog::document::InstallMethod;
    use hwupd::history::{Transition, UpdateState};
    use hwupd::report::HistorySnapshot;
    use jiff::Timestamp;

    fn record(name: &str, state: UpdateState, reason: Option<&str>) -> Record {
        let time: Timestamp = "2026-01-10T02:00:00Z".parse().unwrap();
        Record {
            id: 7,
            attempt_id: Some(7),
            time_unix: time.as_second(),
            transition: Transition {
                state,
                time,
                device_id: "abc".to_string(),
                device_name: name.to_string(),
                release_id: "bios-2".to_string(),
                remote_id: "acme".to_string(),
                version_before: "1.0".to_string(),
                version_after: "2.0".to_string(),
                payload_sha256: None,
                install_method: InstallMethod::UefiCapsule,
                reason: reason.map(str::to_string),
            },
        }
    }

    #[test]
    fn history_table_escapes_control_characters() {
        let records = [record(
            "NVMe\nSSD\u{1b}[31m",
            UpdateState::Failed,
            Some("x\ty"),
        )];
        let text = history_table(&records);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("NVMe\\nSSD\\u{1b}[31m"), "{text}");
        assert!(text.contains("x\\ty"), "{text}");
        assert!(text.contains("1.0 -> 2.0"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }

    fn sample_report() -> Report {
        let mut device = hwupd::device::Device::new(hwupd::device::DeviceKind::Nvme, "nvme0");
        device.name = "=evil,\"name\"\nline".to_string();
        let update = hwupd::report::AvailableUpdate {
            device_id: device.id.clone(),
            release_id: "nvme-7".to_string(),
            severity: hwupd::catalog::document::Severity::Critical,
            known_exploited: true,
            release_date: "2025-12-01".parse().unwrap(),
            version: "7".to_string(),
        };
        let now: Timestamp = "2026-01-15T12:00:00Z".parse().unwrap();
        Report::build(&[device], &[update], &HistorySnapshot::default(), now)
    }

    #[test]
    fn expired_catalogs_give_warning() {
        let mut report = sample_report();
        report.catalogs.push(hwupd::report::CatalogFreshness {
            remote_id: "lab".to_string(),
            serial: 7,
            issued: "2025-12-01T00:00:00Z".parse().unwrap(),
            expires: "2026-01-01T00:00:00Z".parse().unwrap(),
            expired: true,
        });
        let table = render_report(&report, ReportFormat::Table).unwrap();
        assert!(table.contains("Catalog lab: serial 7"), "{table}");
        assert!(table.contains("expired 2026-01-01T00:00:00Z"), "{table}");
        assert!(table.contains("every catalog has expired"), "{table}");
    }

    #[test]
    fn report_renders_in_every_format() {
        let report = sample_report();
        let table = render_report(&report, ReportFormat::Table).unwrap();
        assert!(table.contains("=evil,\"name\"\\nline"), "{table}");
        assert!(table.contains("1/0/0/0"), "{table}");
        assert!(table.contains("45 days"), "{table}");
        assert!(table.contains("Missing updates: 1 critical"), "{table}");
        assert!(table.contains("Warning: no catalog is accepted"), "{table}");

        let json = render_report(&report, ReportFormat::Json).unwrap();
        let parsed: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, report);

        let csv = render_report(&report, ReportFormat::Csv).unwrap();
        assert_eq!(csv, hwupd::report::csv::to_csv(&report));
        assert!(csv.contains("\"'=evil,\"\"name\"\"\nline\""), "{csv}");
    }
}
