//! Runs the real `hwupctl calendar` binary, which needs no daemon.

use std::process::{Command, Output};

fn hwupctl(tz: &str, args: &[&str]) -> Output {
    let workdir = tempfile::tempdir().expect("temporary directory");
    Command::new(env!("CARGO_BIN_EXE_hwupctl"))
        .current_dir(workdir.path())
        .env("TZ", tz)
        .arg("calendar")
        .args(args)
        .output()
        .expect("running hwupctl")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 output")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 output")
}

#[test]
fn json_lists_utc_elapses() {
    let args = [
        "Mon..Fri 02:00 Europe/Berlin",
        "--json",
        "--iterations=3",
        "--base-time=@1700000000",
    ];
    let output = hwupctl("UTC", &args);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let expected = concat!(
        r#"{"normalized": "Mon..Fri *-*-* 02:00:00 Europe/Berlin", "#,
        r#""next": ["2023-11-15T01:00:00Z", "2023-11-16T01:00:00Z", "2023-11-17T01:00:00Z"]}"#,
        "\n"
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn json_uses_tz_for_local_expressions() {
    let args = [
        "*:30",
        "--json",
        "--iterations",
        "3",
        "--base-time",
        "2024-03-10 01:00:00",
    ];
    let output = hwupctl("America/New_York", &args);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let expected = concat!(
        r#"{"normalized": "*-*-* *:30:00", "#,
        r#""next": ["2024-03-10T06:30:00Z", "2024-03-10T07:30:00Z", "2024-03-10T08:30:00Z"]}"#,
        "\n"
    );
    assert_eq!(stdout(&output), expected);
}

#[test]
fn json_without_elapses() {
    let output = hwupctl("UTC", &["*-04-31", "--json"]);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "{\"normalized\": \"*-04-31 00:00:00\", \"next\": []}\n"
    );
}

#[test]
fn bad_expression_fails_naming_token() {
    let output = hwupctl("UTC", &["Mond..Fri 02:00", "--json"]);

    assert!(!output.status.success(), "accepted an invalid expression");
    assert_eq!(stdout(&output), "");
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message:?}");
    assert!(message.contains("\"Mond..Fri\""), "{message:?}");
}

#[test]
fn bad_base_time_fails() {
    let output = hwupctl("UTC", &["daily", "--base-time", "yesterweek"]);

    assert!(!output.status.success(), "accepted an invalid base time");
    assert!(
        stderr(&output).contains("yesterweek"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn human_layout_in_berlin() {
    let args = ["2024-10-27 02:30", "--base-time=2024-10-26 12:00 UTC"];
    let output = hwupctl("Europe/Berlin", &args);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "  Original form: 2024-10-27 02:30");
    assert_eq!(lines[1], "Normalized form: 2024-10-27 02:30:00");
    assert_eq!(lines[2], "    Next elapse: Sun 2024-10-27 02:30:00 CEST");
    assert_eq!(lines[3], "       (in UTC): Sun 2024-10-27 00:30:00 UTC");
    assert!(lines[4].starts_with("       From now: "), "{:?}", lines[4]);
    assert!(lines[4].ends_with(" ago"), "{:?}", lines[4]);
}

#[test]
fn human_layout_says_never() {
    let output = hwupctl("UTC", &["*-02-30 12:00:00", "--iterations=2"]);

    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Normalized form: *-02-30 12:00:00\n    Next elapse: never\n"
    );
}
