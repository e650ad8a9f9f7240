//! End to end: the human and JSON output of `hwupctl policy`, `inhibit` and `report`.

use hwupd_tests::bus::TestBus;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::{binary, fixture, parse_json, run, Run};

const POLICY: &str = r#"
[policy]
auto_stage = ["critical", "high"]
require_approval = ["low"]

[policy.defer]
medium = 7
"#;

fn hwupctl(bus: &TestBus, args: &[&str]) -> Run {
    let output = run(bus.command(binary("hwupctl")).args(args));
    assert_eq!(output.code, Some(0), "{args:?}: {}", output.stderr);
    output
}

/// Starts the daemon with the policy above on the vm fixture.
fn start(bus: &TestBus) -> Daemon {
    let config = bus.scratch("config").join("hwupd.toml");
    std::fs::write(&config, POLICY).unwrap();
    let config = config.display().to_string();
    Daemon::start(bus, &fixture("vm"), &["--config", &config])
}

#[test]
fn policy_table_shows_plain_lists() {
    let bus = TestBus::start();
    let _daemon = start(&bus);
    hwupctl(&bus, &["approve", "demo-bmc-2.0"]);
    hwupctl(&bus, &["approve", "nvme-7"]);
    hwupctl(&bus, &["inhibit", "--until", "+1h", "--reason", "freeze"]);

    let table = hwupctl(&bus, &["policy"]).stdout;

    assert!(!table.contains('['), "{table}");
    assert!(!table.contains('{'), "{table}");
    assert!(table.contains("auto stage:  critical, high\n"), "{table}");
    assert!(
        table.contains("defer days:  critical 0, high 0, medium 7, low 30\n"),
        "{table}"
    );
    assert!(table.contains("approval:    low\n"), "{table}");
    assert!(
        table.contains("approved:    demo-bmc-2.0, nvme-7\n"),
        "{table}"
    );
    assert!(table.contains("blocked:     -\n"), "{table}");
    assert!(table.contains("inhibits:    until "), "{table}");
    assert!(table.contains(" (freeze)\n"), "{table}");
}

#[test]
fn inhibit_prints_a_line_or_json() {
    let bus = TestBus::start();
    let _daemon = start(&bus);

    let line = hwupctl(&bus, &["inhibit", "--until", "+1h", "--reason", "freeze"]);
    let json = hwupctl(&bus, &["inhibit", "--until", "+2h", "--json"]);
    let cleared = hwupctl(&bus, &["inhibit", "--clear"]);

    assert!(
        line.stdout.starts_with("postponed every apply until "),
        "{}",
        line.stdout
    );
    assert!(line.stdout.contains(" (freeze)"), "{}", line.stdout);
    assert_eq!(line.stdout.lines().count(), 1, "{}", line.stdout);
    let document = parse_json(&json);
    assert_eq!(
        document["inhibits"].as_array().unwrap().len(),
        2,
        "{document}"
    );
    assert!(
        cleared.stdout.starts_with("removed every postponement"),
        "{}",
        cleared.stdout
    );
}

#[test]
fn report_json_matches_format_json() {
    let bus = TestBus::start();
    let _daemon = start(&bus);

    let json = parse_json(&hwupctl(&bus, &["report", "--json"]));
    let format = parse_json(&hwupctl(&bus, &["report", "--format", "json"]));
    let both = run(bus
        .command(binary("hwupctl"))
        .args(["report", "--json", "--format", "csv"]));

    assert_eq!(json["devices"], format["devices"]);
    assert_eq!(json["missing"], format["missing"]);
    assert_eq!(both.code, Some(2), "{}", both.stderr);
}
