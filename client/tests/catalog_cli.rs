//! `hwupctl catalog` run as a program on files in a temporary folder.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use hwupd::catalog::minisign::{SecretKey, SignOptions};
use jiff::Timestamp;
use tempfile::TempDir;

fn hwupctl(folder: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hwupctl"))
        .args(args)
        .current_dir(folder)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn describe(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    format!(
        "status {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    )
}

fn assert_status(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", describe(output));
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const ADD: &[&str] = &[
    "catalog",
    "add",
    "catalog.json",
    "--payload",
    "firmware/nic.cap",
    "--id",
    "nic-2.1.0",
    "--name",
    "NIC firmware",
    "--summary",
    "Fixes link drops",
    "--instance-id",
    "PCI\\VEN_8086&DEV_15BB",
    "--version",
    "2.1.0",
    "--version-format",
    "triplet",
    "--replaces-min",
    "2.0.0",
    "--severity",
    "critical",
    "--cve",
    "CVE-2024-12345",
    "--known-exploited",
    "--release-date",
    "2025-05-30",
    "--install-method",
    "uefi-capsule",
    "--reboot-required",
    "--ring",
    "early",
    "--percentage",
    "25",
];

/// Returns the `add` arguments with the value after `flag` replaced by `value`.
fn add_with<'a>(flag: &str, value: &'a str) -> Vec<&'a str> {
    let mut args = ADD.to_vec();
    let position = args.iter().position(|arg| *arg == flag).unwrap();
    args[position + 1] = value;
    args
}

const VERIFY: &[&str] = &[
    "catalog",
    "verify",
    "catalog.json",
    "--public-key",
    "key.pub",
];

/// Creates a folder with a key pair and a signed catalog of one release, using the
/// `keygen`, `new`, `add` and `sign` subcommands.
fn signed_folder() -> TempDir {
    let folder = TempDir::new().unwrap();
    let path = folder.path();
    fs::create_dir(path.join("firmware")).unwrap();
    fs::write(path.join("firmware/nic.cap"), b"test").unwrap();

    let keygen = [
        "catalog",
        "keygen",
        "--secret-key",
        "key",
        "--public-key",
        "key.pub",
    ];
    assert_status(&hwupctl(path, &keygen), 0);
    let new = [
        "catalog",
        "new",
        "catalog.json",
        "--remote-id",
        "lab",
        "--valid-days",
        "10",
    ];
    assert_status(&hwupctl(path, &new), 0);
    assert_status(&hwupctl(path, ADD), 0);
    assert_status(
        &hwupctl(
            path,
            &["catalog", "sign", "catalog.json", "--secret-key", "key"],
        ),
        0,
    );
    folder
}

#[test]
fn workflow_writes_expected_catalog() {
    let folder = signed_folder();

    let catalog: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.path().join("catalog.json")).unwrap()).unwrap();

    let release = &catalog["releases"][0];
    assert_eq!(catalog["serial"], 1);
    assert_eq!(catalog["remote_id"], "lab");
    assert_eq!(release["payload"]["path"], "firmware/nic.cap");
    assert_eq!(release["payload"]["size"], 4);
    assert_eq!(
        release["payload"]["sha256"],
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    );
    assert_eq!(
        release["devices"]["instance_ids"][0],
        "PCI\\VEN_8086&DEV_15BB"
    );
    assert_eq!(release["replaces"]["min"], "2.0.0");
    assert_eq!(release["known_exploited"], true);
    assert_eq!(release["reboot_required"], true);
    assert_eq!(release["rollout"]["ring"], "early");
    assert_eq!(release["rollout"]["percentage"], 25);
}

#[test]
fn verify_valid_signature_exits_zero() {
    let folder = signed_folder();

    let output = hwupctl(folder.path(), VERIFY);

    assert_status(&output, 0);
    assert!(String::from_utf8_lossy(&output.stdout).contains("Serial: 1\nReleases: 1\n"));
}

#[test]
fn verify_accepts_any_pinned_key() {
    let folder = signed_folder();
    let other = SecretKey::generate().public_key().to_base64();
    let args = [VERIFY, &["--public-key", &other]].concat();

    assert_status(&hwupctl(folder.path(), &args), 0);
}

#[test]
fn verify_other_key_exits_five() {
    let folder = signed_folder();
    let other = SecretKey::generate().public_key().to_base64();
    let args = ["catalog", "verify", "catalog.json", "--public-key", &other];

    let output = hwupctl(folder.path(), &args);

    assert_status(&output, 5);
    assert!(
        stderr(&output).contains("not a pinned key"),
        "{}",
        describe(&output)
    );
}

#[test]
fn verify_changed_catalog_exits_five() {
    let folder = signed_folder();
    let path = folder.path().join("catalog.json");
    let text = fs::read_to_string(&path).unwrap();
    let changed = text.replace("\"percentage\": 25", "\"percentage\": 26");
    assert_ne!(changed, text);
    fs::write(&path, changed).unwrap();

    let output = hwupctl(folder.path(), VERIFY);

    assert_status(&output, 5);
    assert!(
        stderr(&output).contains("invalid signature"),
        "{}",
        describe(&output)
    );
}

#[test]
fn verify_malformed_signature_exits_one() {
    let folder = signed_folder();
    fs::write(folder.path().join("catalog.json.minisig"), "garbage\n").unwrap();

    let output = hwupctl(folder.path(), VERIFY);

    assert_status(&output, 1);
    assert!(
        stderr(&output).contains("could not check"),
        "{}",
        describe(&output)
    );
}

#[test]
fn verify_missing_signature_exits_six() {
    let folder = signed_folder();
    fs::remove_file(folder.path().join("catalog.json.minisig")).unwrap();

    assert_status(&hwupctl(folder.path(), VERIFY), 6);
}

#[test]
fn verify_bad_public_key_exits_one() {
    let folder = signed_folder();
    let args = [
        "catalog",
        "verify",
        "catalog.json",
        "--public-key",
        "RWQnotakey",
    ];

    let output = hwupctl(folder.path(), &args);

    assert_status(&output, 1);
    assert!(
        stderr(&output).contains("neither an existing file"),
        "{}",
        describe(&output)
    );
}

#[test]
fn verify_signed_invalid_catalog_exits_one() {
    let folder = TempDir::new().unwrap();
    let path = folder.path();
    let key = SecretKey::generate();
    let document = r#"{"format_version": 1, "remote_id": "lab", "serial": 1,
        "issued": "2025-06-02T00:00:00Z", "expires": "2025-06-01T00:00:00Z"}"#;
    let options = SignOptions::for_file("catalog.json", Timestamp::now());
    let signature = key.sign(document.as_bytes(), &options).unwrap();
    fs::write(path.join("catalog.json"), document).unwrap();
    fs::write(path.join("catalog.json.minisig"), signature.to_file_text()).unwrap();
    fs::write(path.join("key.pub"), key.public_key().to_file_text()).unwrap();

    let output = hwupctl(path, VERIFY);

    assert_status(&output, 1);
    assert!(
        stderr(&output).contains("field expires"),
        "{}",
        describe(&output)
    );
}

#[test]
fn verify_custom_signature_path() {
    let folder = signed_folder();
    let path = folder.path();
    fs::rename(path.join("catalog.json.minisig"), path.join("sig")).unwrap();

    let args = [VERIFY, &["--signature", "sig"]].concat();

    assert_status(&hwupctl(path, &args), 0);
}

#[test]
fn sign_after_change_needs_bump() {
    let folder = signed_folder();
    let path = folder.path();
    let replace = add_with("--summary", "Fixes link drops and resets");
    assert_status(&hwupctl(path, &replace), 0);

    let plain = hwupctl(
        path,
        &["catalog", "sign", "catalog.json", "--secret-key", "key"],
    );
    let bumped = hwupctl(
        path,
        &[
            "catalog",
            "sign",
            "catalog.json",
            "--secret-key",
            "key",
            "--bump-serial",
        ],
    );

    assert_status(&plain, 1);
    assert!(
        stderr(&plain).contains("--bump-serial"),
        "{}",
        describe(&plain)
    );
    assert_status(&bumped, 0);
    let verify = hwupctl(path, VERIFY);
    assert_status(&verify, 0);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("Serial: 2\n"));
}

#[test]
fn sign_valid_days_requires_bump_flag() {
    let folder = signed_folder();
    let args = [
        "catalog",
        "sign",
        "catalog.json",
        "--secret-key",
        "key",
        "--valid-days",
        "5",
    ];

    let output = hwupctl(folder.path(), &args);

    assert_status(&output, 2);
    assert!(
        stderr(&output).contains("--bump-serial"),
        "{}",
        describe(&output)
    );
}

#[test]
fn keygen_refuses_overwrite() {
    let folder = signed_folder();
    let before = fs::read(folder.path().join("key")).unwrap();
    let keygen = [
        "catalog",
        "keygen",
        "--secret-key",
        "key",
        "--public-key",
        "key.pub",
    ];

    let output = hwupctl(folder.path(), &keygen);

    assert_status(&output, 1);
    assert!(stderr(&output).contains("--force"), "{}", describe(&output));
    assert_eq!(fs::read(folder.path().join("key")).unwrap(), before);
}

#[test]
fn add_invalid_field_exits_one() {
    let folder = signed_folder();
    let mut args = ADD.to_vec();
    args.extend(["--cve", "CVE-24-1"]);

    let output = hwupctl(folder.path(), &args);

    assert_status(&output, 1);
    assert!(stderr(&output).contains("cves[1]"), "{}", describe(&output));
}

#[test]
fn add_rejects_out_of_range_percentage() {
    let folder = signed_folder();
    let args = add_with("--percentage", "101");

    assert_status(&hwupctl(folder.path(), &args), 2);
}

#[test]
fn verify_help_lists_exit_status() {
    let folder = TempDir::new().unwrap();

    let output = hwupctl(folder.path(), &["catalog", "verify", "--help"]);

    assert_status(&output, 0);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("Exit status:"), "{help}");
    assert!(help.contains("minisign -P"), "{help}");
}
