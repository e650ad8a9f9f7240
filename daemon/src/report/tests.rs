//! Tests of reports: golden JSON, CSV and metrics with hostile device names, and edge cases.
//!
//! Set `HWUPD_UPDATE_GOLDEN=1` to rewrite the files under `testdata/` after a deliberate
//! change, then review the diff.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use jiff::Timestamp;

use super::csv::{escape_field, to_csv, COLUMNS};
use super::metrics::to_text;
use super::*;
use crate::catalog::document::{InstallMethod, Severity};
use crate::device::{Device, DeviceKind};
use crate::history::{History, Transition, UpdateState};
use UpdateState::*;

const NOW: &str = "2026-01-15T12:00:00Z";

fn device(kind: DeviceKind, physical_id: &str, name: &str, vendor: &str, version: &str) -> Device {
    let mut device = Device::new(kind, physical_id);
    device.name = name.to_string();
    device.vendor = vendor.to_string();
    device.version = version.to_string();
    device
}

/// Five devices whose names carry CSV, formula, label and newline hazards.
fn devices() -> Vec<Device> {
    vec![
        device(
            DeviceKind::SystemFirmware,
            "dmi",
            "BIOS, \"Pro\" edition",
            "Acme",
            "1.0.0",
        ),
        device(
            DeviceKind::CpuMicrocode,
            "cpu0",
            "=cmd|' /C calc'!A0",
            "GenuineIntel",
            "0xf0",
        ),
        device(
            DeviceKind::Nvme,
            "nvme0",
            "NVMe\nSSD 980",
            "+Samsung",
            "-1.0",
        ),
        device(
            DeviceKind::KernelModule,
            "module/e1000e",
            "@e1000e \\ driver",
            "Intel",
            "3.2.6",
        ),
        device(
            DeviceKind::Thunderbolt,
            "tb0",
            "Thunderbolt controller",
            "Intel",
            "55.0",
        ),
    ]
}

fn update(device: &Device, release: &str, severity: Severity, date: &str) -> AvailableUpdate {
    AvailableUpdate {
        device_id: device.id.clone(),
        release_id: release.to_string(),
        severity,
        known_exploited: false,
        release_date: date.parse().unwrap(),
        version: format!("{release}.0"),
    }
}

fn updates(devices: &[Device]) -> Vec<AvailableUpdate> {
    let mut exploited = update(&devices[1], "ucode-3", Severity::High, "2025-12-20");
    exploited.known_exploited = true;
    vec![
        update(&devices[0], "bios-2", Severity::Critical, "2025-10-01"),
        exploited,
        update(&devices[1], "ucode-4", Severity::Critical, "2025-12-01"),
        update(&devices[2], "nvme-7", Severity::Critical, "2025-11-15"),
        update(&devices[3], "e1000e-4", Severity::Medium, "2026-01-02"),
        update(&devices[3], "e1000e-3", Severity::Low, "2025-12-30"),
        update(&devices[3], "e1000e-2", Severity::High, "2025-09-01"),
    ]
}

struct Step<'a> {
    device: &'a Device,
    release: &'a str,
    state: UpdateState,
    time: &'a str,
    reason: Option<&'a str>,
}

fn record(history: &mut History, step: Step<'_>) {
    let transition = Transition {
        state: step.state,
        time: step.time.parse().unwrap(),
        device_id: step.device.id.clone(),
        device_name: step.device.name.clone(),
        release_id: step.release.to_string(),
        remote_id: "acme".to_string(),
        version_before: step.device.version.clone(),
        version_after: format!("{}.0", step.release),
        payload_sha256: None,
        install_method: InstallMethod::Emulated,
        reason: step.reason.map(str::to_string),
    };
    history.record(&transition).unwrap();
}

fn walk(history: &mut History, device: &Device, release: &str, path: &[(UpdateState, &str)]) {
    for &(state, time) in path {
        let reason = match state {
            Failed => Some("capsule rejected, status 0x\"3\", retry"),
            RolledBack => Some("restored e1000e 3.2.5"),
            _ => None,
        };
        let step = Step {
            device,
            release,
            state,
            time,
            reason,
        };
        record(history, step);
    }
}

/// Builds the history behind the golden files in a temporary database.
fn history(devices: &[Device]) -> (tempfile::TempDir, History) {
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open_in(dir.path()).unwrap();
    let h = &mut history;
    let bios = [
        (Staged, "2026-01-09T20:00:00Z"),
        (Applying, "2026-01-10T02:00:00Z"),
        (Failed, "2026-01-10T02:03:00Z"),
    ];
    walk(h, &devices[0], "bios-2", &bios);
    walk(
        h,
        &devices[1],
        "ucode-3",
        &[(Offered, "2026-01-01T00:00:00Z")],
    );
    let nvme = [
        (Approved, "2026-01-12T09:00:00Z"),
        (Applying, "2026-01-13T02:00:00Z"),
        (PendingReboot, "2026-01-13T02:01:00Z"),
    ];
    walk(h, &devices[2], "nvme-7", &nvme);
    let old_success = [
        (Staged, "2025-11-01T01:00:00Z"),
        (Applying, "2025-11-01T02:00:00Z"),
        (Succeeded, "2025-11-01T02:05:00Z"),
    ];
    walk(h, &devices[3], "e1000e-1", &old_success);
    let rolled_back = [
        (Staged, "2026-01-04T01:00:00Z"),
        (Applying, "2026-01-05T02:00:00Z"),
        (RolledBack, "2026-01-05T02:10:00Z"),
    ];
    walk(h, &devices[4], "tb-56", &rolled_back);
    (dir, history)
}

fn golden_report() -> Report {
    let devices = devices();
    let (_dir, history) = history(&devices);
    let now: Timestamp = NOW.parse().unwrap();
    let mut report = Report::generate(&devices, &updates(&devices), &history, now).unwrap();
    report.catalogs.push(CatalogFreshness {
        remote_id: "vendor".to_string(),
        serial: 42,
        issued: "2026-01-10T00:00:00Z".parse().unwrap(),
        expires: "2026-02-10T00:00:00Z".parse().unwrap(),
        expired: false,
    });
    report
}

fn check_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/report/testdata")
        .join(name);
    if std::env::var_os("HWUPD_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert!(
        expected == actual,
        "{name} differs from the golden file\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

#[test]
fn golden_json() {
    let report = golden_report();
    let json = report.to_json().unwrap() + "\n";
    check_golden("report.json", &json);

    let back: Report = serde_json::from_str(&json).unwrap();
    assert_eq!(back, report);
}

#[test]
fn golden_csv() {
    check_golden("report.csv", &to_csv(&golden_report()));
}

#[test]
fn golden_metrics() {
    check_golden("metrics.prom", &to_text(&golden_report()));
}

#[test]
fn device_statuses_and_counts() {
    let report = golden_report();
    let statuses: Vec<DeviceStatus> = report.devices.iter().map(|d| d.status).collect();
    let expected = [
        DeviceStatus::Failed,
        DeviceStatus::UpdateAvailable,
        DeviceStatus::PendingReboot,
        DeviceStatus::UpdateAvailable,
        DeviceStatus::UpToDate,
    ];
    assert_eq!(statuses, expected);

    let missing = SeverityCounts {
        critical: 3,
        high: 2,
        medium: 1,
        low: 1,
    };
    assert_eq!(report.missing, missing);
    assert_eq!(report.missing_known_exploited, 1);

    let oldest = report.oldest_missing_critical.unwrap();
    assert_eq!(oldest.release_id, "bios-2");
    assert_eq!(oldest.age_days, 106);
}

#[test]
fn deployments_count_window_and_all_time() {
    let deployments = golden_report().deployments;
    let recent = OutcomeCounts {
        succeeded: 0,
        failed: 1,
        rolled_back: 1,
    };
    assert_eq!(deployments.last_30_days, recent);
    let all_time = OutcomeCounts {
        succeeded: 1,
        ..recent
    };
    assert_eq!(deployments.all_time, all_time);
    let releases: Vec<&str> = deployments
        .recent
        .iter()
        .map(|a| a.release_id.as_str())
        .collect();
    assert_eq!(releases, ["tb-56", "e1000e-1", "nvme-7", "bios-2"]);
}

#[test]
fn recent_attempts_capped_newest_first() {
    let devices = devices();
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open_in(dir.path()).unwrap();
    for n in 0..25 {
        let release = format!("r{n}");
        let time = format!("2026-01-{:02}T00:00:00Z", 1 + n % 14);
        let path = [
            (Approved, time.as_str()),
            (Applying, &time),
            (Succeeded, &time),
        ];
        walk(&mut history, &devices[0], &release, &path);
    }
    let now: Timestamp = NOW.parse().unwrap();
    let report = Report::generate(&devices, &[], &history, now).unwrap();

    let recent = &report.deployments.recent;
    assert_eq!(recent.len(), RECENT_ATTEMPTS);
    assert_eq!(recent[0].release_id, "r24");
    assert_eq!(recent[19].release_id, "r5");
    assert_eq!(report.deployments.last_30_days.succeeded, 25);
}

#[test]
fn succeeded_update_not_missing() {
    let devices = devices();
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open_in(dir.path()).unwrap();
    let done = [
        (Approved, "2026-01-01T00:00:00Z"),
        (Applying, "2026-01-01T00:00:00Z"),
        (Succeeded, "2026-01-01T00:00:00Z"),
    ];
    walk(&mut history, &devices[0], "bios-2", &done);
    let now: Timestamp = NOW.parse().unwrap();
    let entries = [update(
        &devices[0],
        "bios-2",
        Severity::Critical,
        "2025-10-01",
    )];
    let report = Report::generate(&devices[..1], &entries, &history, now).unwrap();

    assert_eq!(report.devices[0].status, DeviceStatus::UpToDate);
    assert_eq!(report.missing.total(), 0);
    assert!(report.oldest_missing_critical.is_none());
}

#[test]
fn applying_outranks_other_statuses() {
    let devices = devices();
    let dir = tempfile::tempdir().unwrap();
    let mut history = History::open_in(dir.path()).unwrap();
    let pending = [
        (Staged, "2026-01-01T00:00:00Z"),
        (Applying, "2026-01-01T00:00:00Z"),
        (PendingReboot, "2026-01-01T00:00:00Z"),
    ];
    walk(&mut history, &devices[0], "a", &pending);
    let running = [
        (Staged, "2026-01-02T00:00:00Z"),
        (Applying, "2026-01-02T00:00:00Z"),
    ];
    walk(&mut history, &devices[0], "b", &running);
    let now: Timestamp = NOW.parse().unwrap();
    let report = Report::generate(&devices[..1], &[], &history, now).unwrap();
    assert_eq!(report.devices[0].status, DeviceStatus::Applying);
}

#[test]
fn future_release_date_has_age_zero() {
    let devices = devices();
    let entries = [update(
        &devices[0],
        "next",
        Severity::Critical,
        "2026-03-01",
    )];
    let now: Timestamp = NOW.parse().unwrap();
    let report = Report::build(&devices, &entries, &HistorySnapshot::default(), now);
    assert_eq!(report.oldest_missing_critical.unwrap().age_days, 0);
}

#[test]
fn unknown_severity_counts_as_critical() {
    let devices = devices();
    let severity = Severity::Unknown("urgent".to_string());
    let entries = [update(&devices[0], "x", severity, "2026-01-01")];
    let now: Timestamp = NOW.parse().unwrap();
    let report = Report::build(&devices, &entries, &HistorySnapshot::default(), now);
    assert_eq!(report.missing.critical, 1);
    assert_eq!(report.oldest_missing_critical.unwrap().age_days, 14);
}

#[test]
fn update_for_unknown_device_ignored() {
    let devices = devices();
    let mut stray = update(&devices[0], "x", Severity::Critical, "2026-01-01");
    stray.device_id = "not-in-inventory".to_string();
    let now: Timestamp = NOW.parse().unwrap();
    let report = Report::build(&devices, &[stray], &HistorySnapshot::default(), now);
    assert_eq!(report.missing.total(), 0);
}

#[test]
fn csv_field_escaping() {
    let cases = [
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("cr\rhere", "\"cr\rhere\""),
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tindent", "'\tindent"),
        ("=a,b", "\"'=a,b\""),
        ("", ""),
        ("a=b", "a=b"),
    ];
    for (input, expected) in cases {
        assert_eq!(escape_field(input), expected, "input {input:?}");
    }
}

/// Splits RFC 4180 text into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => assert_eq!(chars.next(), Some('\n')),
            (false, '\n') => panic!("bare LF outside quotes"),
            (false, c) => field.push(c),
        }
        if !quoted && c == '\r' {
            row.push(std::mem::take(&mut field));
            rows.push(std::mem::take(&mut row));
        }
    }
    assert!(field.is_empty(), "text ends mid-field");
    assert!(row.is_empty(), "text ends mid-row");
    rows
}

#[test]
fn csv_rows_parse_back() {
    let report = golden_report();
    let rows = parse_csv(&to_csv(&report));
    assert_eq!(rows.len(), report.devices.len() + 1);
    assert_eq!(rows[0], COLUMNS);
    for (row, device) in rows[1..].iter().zip(&report.devices) {
        assert_eq!(row.len(), COLUMNS.len());
        assert_eq!(row[0], device.device_id);
        assert_eq!(row[1].trim_start_matches('\''), device.name);
    }
    assert_eq!(rows[2][1], "'=cmd|' /C calc'!A0");
    assert_eq!(rows[3][1], "NVMe\nSSD 980");
    assert_eq!(rows[3][3], "'+Samsung");
    assert_eq!(rows[3][4], "'-1.0");
}

/// Checks one sample line: `name{label="value",...} value`, and returns name and labels.
fn parse_sample(line: &str) -> (String, String) {
    let name_end = line.find(['{', ' ']).unwrap();
    let name = &line[..name_end];
    assert!(name.starts_with("hwupd_"), "{line}");
    assert!(
        name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
        "{line}"
    );

    let mut rest = &line[name_end..];
    let mut labels = String::new();
    if rest.starts_with('{') {
        let close = label_block_end(rest);
        labels = rest[..=close].to_string();
        rest = &rest[close + 1..];
    }
    let value = rest.strip_prefix(' ').unwrap();
    assert!(value.parse::<f64>().is_ok(), "value {value:?} in {line}");
    (name.to_string(), labels)
}

/// Returns the index of the `}` that closes a label block, checking escapes and quoting.
fn label_block_end(block: &str) -> usize {
    let mut in_value = false;
    let mut escaped = false;
    for (i, c) in block.char_indices().skip(1) {
        match (in_value, escaped, c) {
            (true, true, '\\' | '"' | 'n') => escaped = false,
            (true, true, c) => panic!("invalid escape \\{c} in {block}"),
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_value = false,
            (true, false, _) => {}
            (false, _, '"') => in_value = true,
            (false, _, '}') => return i,
            (false, _, c) => assert!(c.is_ascii_alphanumeric() || "_=,".contains(c), "{block}"),
        }
    }
    panic!("unclosed label block in {block}");
}

#[test]
fn metrics_lines_well_formed() {
    let text = to_text(&golden_report());
    assert!(text.ends_with('\n'));
    let mut declared = Vec::new();
    let mut series = BTreeSet::new();
    let mut help_for = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(
                !declared.contains(&name.to_string()),
                "{name} declared twice"
            );
            help_for = Some(name.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert_eq!(help_for.as_deref(), Some(name), "TYPE without HELP: {line}");
            assert!(["gauge", "counter"].contains(&kind), "{line}");
            assert_eq!(kind == "counter", name.ends_with("_total"), "{line}");
            declared.push(name.to_string());
        } else {
            let (name, labels) = parse_sample(line);
            assert_eq!(
                declared.last(),
                Some(&name),
                "sample outside its family: {line}"
            );
            assert!(series.insert(format!("{name}{labels}")), "duplicate {line}");
        }
    }

    let expected_lines = [
        "hwupd_updates_missing{severity=\"critical\"} 3",
        "hwupd_oldest_missing_critical_age_seconds 9158400",
        "hwupd_deployments_total{outcome=\"rolled-back\"} 1",
        "hwupd_last_report_timestamp_seconds 1768478400",
    ];
    for line in expected_lines {
        assert!(text.lines().any(|l| l == line), "missing line {line}");
    }
    assert!(text.contains("name=\"NVMe\\nSSD 980\""));
    assert!(text.contains("name=\"BIOS, \\\"Pro\\\" edition\""));
    assert!(text.contains("name=\"@e1000e \\\\ driver\""));
}

#[test]
fn metrics_pass_promtool() {
    let promtool = std::env::var_os("PROMTOOL").unwrap_or_else(|| "promtool".into());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hwupd.prom");
    write_metrics(&path, &golden_report()).unwrap();
    let file = std::fs::File::open(&path).unwrap();
    let output = std::process::Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(file)
        .output();
    match output {
        Err(e) => eprintln!("skipped: promtool not run ({e}); set PROMTOOL to its path"),
        Ok(output) => assert!(
            output.status.success(),
            "promtool check metrics failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

#[test]
fn write_metrics_is_atomic_and_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hwupd.prom");
    std::fs::write(&path, "old").unwrap();
    let report = golden_report();
    write_metrics(&path, &report).unwrap();

    assert_eq!(std::fs::read_to_string(&path).unwrap(), to_text(&report));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn report_config_parses() {
    let config: ReportConfig = toml::from_str("metrics_path = \"/run/x.prom\"").unwrap();
    assert_eq!(config.metrics_path, Some(PathBuf::from("/run/x.prom")));
    assert!(toml::from_str::<ReportConfig>("metric_path = \"x\"").is_err());
    assert_eq!(
        toml::from_str::<ReportConfig>("").unwrap(),
        ReportConfig::default()
    );
}

#[test]
fn empty_inventory_reports_zeroes() {
    let now: Timestamp = NOW.parse().unwrap();
    let report = Report::build(&[], &[], &HistorySnapshot::default(), now);
    assert_eq!(report.missing.total(), 0);
    assert!(report.devices.is_empty());
    let text = to_text(&report);
    assert!(text.contains("hwupd_oldest_missing_critical_age_seconds 0\n"));
    assert!(text.contains("# TYPE hwupd_device_update_available gauge\n# HELP"));
    assert_eq!(to_csv(&report).lines().count(), 1);
}
