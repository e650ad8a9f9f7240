//! Interoperability with the `minisign` tool in both directions: keys and signatures made
//! by minisign are accepted by hwupctl, and those made by hwupctl are accepted by minisign.
//!
//! These tests need the `minisign` binary (Debian package `minisign`) and fail without it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use hwupd::catalog::minisign::{PublicKey, SecretKey, SignOptions};
use jiff::Timestamp;
use tempfile::TempDir;

/// Runs `minisign` with `args` in `folder`, with no terminal input.
fn minisign(folder: &Path, args: &[&str]) -> Output {
    minisign_with_input(folder, args, "")
}

/// Runs `minisign` with `args` in `folder`, writing `input` to its standard input.
fn minisign_with_input(folder: &Path, args: &[&str], input: &str) -> Output {
    let child = Command::new("minisign")
        .args(args)
        .current_dir(folder)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => panic!(
            "cannot run minisign ({error}); install it with `apt-get install minisign`, \
             as CI does"
        ),
    };
    // minisign reads passwords from standard input when it is not a terminal.
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

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

fn assert_success(output: &Output) {
    assert!(output.status.success(), "{}", describe(output));
}

fn assert_failure(output: &Output) {
    assert!(!output.status.success(), "{}", describe(output));
}

/// Creates a folder with a valid catalog, `catalog.json`, made by hwupctl.
fn catalog_folder() -> TempDir {
    let folder = TempDir::new().unwrap();
    let path = folder.path();
    fs::write(path.join("nic.cap"), b"firmware image").unwrap();

    assert_success(&hwupctl(
        path,
        &["catalog", "new", "catalog.json", "--remote-id", "lab"],
    ));
    let add = [
        "catalog",
        "add",
        "catalog.json",
        "--payload",
        "nic.cap",
        "--id",
        "nic-2.1.0",
        "--name",
        "NIC firmware",
        "--summary",
        "Fixes link drops",
        "--guid",
        "f9203adb-b862-5263-88e9-373204438174",
        "--version",
        "2.1.0",
        "--version-format",
        "triplet",
        "--severity",
        "high",
        "--install-method",
        "uefi-capsule",
    ];
    assert_success(&hwupctl(path, &add));
    folder
}

fn minisign_keygen(folder: &Path) {
    let output = minisign(folder, &["-G", "-W", "-p", "ms.pub", "-s", "ms.key"]);
    assert_success(&output);
}

fn hwupctl_keygen(folder: &Path) {
    let args = [
        "catalog",
        "keygen",
        "--secret-key",
        "our.key",
        "--public-key",
        "our.pub",
    ];
    assert_success(&hwupctl(folder, &args));
}

fn bare_public_key(path: PathBuf) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.lines().nth(1).unwrap().to_owned()
}

fn minisign_supports_legacy(folder: &Path) -> bool {
    let help = minisign(folder, &["-h"]);
    let text = String::from_utf8_lossy(&help.stdout) + String::from_utf8_lossy(&help.stderr);
    text.contains("-l ")
}

#[test]
fn minisign_prehashed_signature_verifies() {
    let folder = catalog_folder();
    let path = folder.path();
    minisign_keygen(path);

    assert_success(&minisign(
        path,
        &["-S", "-s", "ms.key", "-m", "catalog.json"],
    ));
    let verify = hwupctl(
        path,
        &[
            "catalog",
            "verify",
            "catalog.json",
            "--public-key",
            "ms.pub",
        ],
    );

    assert_success(&verify);
    let stdout = String::from_utf8_lossy(&verify.stdout);
    assert!(stdout.contains("file:catalog.json\thashed"), "{stdout}");
}

#[test]
fn minisign_legacy_signature_verifies() {
    let folder = catalog_folder();
    let path = folder.path();
    assert!(
        minisign_supports_legacy(path),
        "this minisign has no -l; 0.10 or later has it"
    );
    minisign_keygen(path);

    assert_success(&minisign(
        path,
        &["-S", "-l", "-s", "ms.key", "-m", "catalog.json"],
    ));
    let signature = fs::read_to_string(path.join("catalog.json.minisig")).unwrap();
    let verify = hwupctl(
        path,
        &[
            "catalog",
            "verify",
            "catalog.json",
            "--public-key",
            "ms.pub",
        ],
    );

    assert!(
        signature.lines().nth(1).unwrap().starts_with("RW"),
        "not a legacy Ed signature"
    );
    assert_success(&verify);
}

#[test]
fn minisign_bare_public_key_is_accepted() {
    let folder = catalog_folder();
    let path = folder.path();
    minisign_keygen(path);
    assert_success(&minisign(
        path,
        &["-S", "-s", "ms.key", "-m", "catalog.json"],
    ));
    let key = bare_public_key(path.join("ms.pub"));

    let verify = hwupctl(
        path,
        &["catalog", "verify", "catalog.json", "--public-key", &key],
    );

    assert_success(&verify);
}

#[test]
fn minisign_signature_of_other_key_is_rejected() {
    let folder = catalog_folder();
    let path = folder.path();
    minisign_keygen(path);
    hwupctl_keygen(path);
    assert_success(&minisign(
        path,
        &["-S", "-s", "ms.key", "-m", "catalog.json"],
    ));

    let verify = hwupctl(
        path,
        &[
            "catalog",
            "verify",
            "catalog.json",
            "--public-key",
            "our.pub",
        ],
    );

    assert_eq!(verify.status.code(), Some(5), "{}", describe(&verify));
}

#[test]
fn minisign_trusted_comment_change_is_rejected() {
    let folder = catalog_folder();
    let path = folder.path();
    minisign_keygen(path);
    let sign = ["-S", "-s", "ms.key", "-m", "catalog.json", "-t", "serial:1"];
    assert_success(&minisign(path, &sign));
    let signature_path = path.join("catalog.json.minisig");
    let signature = fs::read_to_string(&signature_path).unwrap();
    fs::write(&signature_path, signature.replace("serial:1", "serial:9")).unwrap();

    let verify = hwupctl(
        path,
        &[
            "catalog",
            "verify",
            "catalog.json",
            "--public-key",
            "ms.pub",
        ],
    );

    assert_eq!(verify.status.code(), Some(5), "{}", describe(&verify));
    assert!(String::from_utf8_lossy(&verify.stderr).contains("global signature"));
}

#[test]
fn minisign_verifies_our_prehashed_signature() {
    let folder = catalog_folder();
    let path = folder.path();
    hwupctl_keygen(path);

    assert_success(&hwupctl(
        path,
        &["catalog", "sign", "catalog.json", "--secret-key", "our.key"],
    ));
    // -H makes minisign require the prehashed algorithm.
    let verify = minisign(path, &["-V", "-H", "-p", "our.pub", "-m", "catalog.json"]);

    assert_success(&verify);
    assert!(String::from_utf8_lossy(&verify.stdout).contains("serial:1"));
}

#[test]
fn minisign_verifies_our_legacy_signature() {
    let folder = catalog_folder();
    let path = folder.path();
    hwupctl_keygen(path);
    let sign = [
        "catalog",
        "sign",
        "catalog.json",
        "--secret-key",
        "our.key",
        "--legacy",
    ];

    assert_success(&hwupctl(path, &sign));
    let verify = minisign(path, &["-V", "-p", "our.pub", "-m", "catalog.json"]);
    let prehashed_only = minisign(path, &["-V", "-H", "-p", "our.pub", "-m", "catalog.json"]);

    assert_success(&verify);
    assert_failure(&prehashed_only);
}

#[test]
fn minisign_accepts_our_bare_public_key() {
    let folder = catalog_folder();
    let path = folder.path();
    hwupctl_keygen(path);
    assert_success(&hwupctl(
        path,
        &["catalog", "sign", "catalog.json", "--secret-key", "our.key"],
    ));
    let key = bare_public_key(path.join("our.pub"));

    let verify = minisign(path, &["-V", "-P", &key, "-m", "catalog.json"]);

    assert_success(&verify);
}

#[test]
fn minisign_rejects_our_signature_after_change() {
    let folder = catalog_folder();
    let path = folder.path();
    hwupctl_keygen(path);
    assert_success(&hwupctl(
        path,
        &["catalog", "sign", "catalog.json", "--secret-key", "our.key"],
    ));
    let catalog = fs::read_to_string(path.join("catalog.json")).unwrap();
    fs::write(
        path.join("catalog.json"),
        catalog.replace("\"lab\"", "\"lad\""),
    )
    .unwrap();

    let verify = minisign(path, &["-V", "-p", "our.pub", "-m", "catalog.json"]);

    assert_failure(&verify);
}

#[test]
fn minisign_signs_with_our_secret_key() {
    let folder = catalog_folder();
    let path = folder.path();
    hwupctl_keygen(path);

    assert_success(&minisign(
        path,
        &["-S", "-s", "our.key", "-m", "catalog.json"],
    ));
    let verify = hwupctl(
        path,
        &[
            "catalog",
            "verify",
            "catalog.json",
            "--public-key",
            "our.pub",
        ],
    );

    assert_success(&verify);
}

#[test]
fn we_sign_with_minisign_secret_key() {
    let folder = catalog_folder();
    let path = folder.path();
    minisign_keygen(path);

    let sign = ["catalog", "sign", "catalog.json", "--secret-key", "ms.key"];
    assert_success(&hwupctl(path, &sign));
    let verify = minisign(path, &["-V", "-H", "-p", "ms.pub", "-m", "catalog.json"]);

    assert_success(&verify);
}

#[test]
fn minisign_key_pair_matches_ours() {
    let folder = TempDir::new().unwrap();
    let path = folder.path();
    minisign_keygen(path);

    let secret = SecretKey::parse(&fs::read(path.join("ms.key")).unwrap()).unwrap();
    let public = PublicKey::parse(&fs::read(path.join("ms.pub")).unwrap()).unwrap();

    let text = fs::read_to_string(path.join("ms.pub")).unwrap();
    let (comment, key_line) = text.split_once('\n').unwrap();
    // minisign 0.11 writes the key id without leading zeros, so compare numbers.
    let comment_id = comment.rsplit(' ').next().unwrap();
    let comment_id = u64::from_str_radix(comment_id, 16).unwrap();

    assert_eq!(secret.public_key(), public);
    assert_eq!(key_line.trim_end(), public.to_base64());
    assert_eq!(comment_id, u64::from_le_bytes(public.key_id().0));
}

#[test]
fn minisign_verifies_library_signature_of_any_file() {
    let folder = TempDir::new().unwrap();
    let path = folder.path();
    let key = SecretKey::generate();
    let message = b"\x00binary payload\xff".repeat(1000);
    let options = SignOptions::for_file("blob.bin", Timestamp::now());
    fs::write(path.join("blob.bin"), &message).unwrap();
    fs::write(path.join("key.pub"), key.public_key().to_file_text()).unwrap();

    let signature = key.sign(&message, &options).unwrap();
    fs::write(path.join("blob.bin.minisig"), signature.to_file_text()).unwrap();
    let verify = minisign(path, &["-V", "-p", "key.pub", "-m", "blob.bin"]);

    assert_success(&verify);
}

#[test]
fn minisign_encrypted_key_is_rejected_until_decrypted() {
    let folder = catalog_folder();
    let path = folder.path();
    let keygen = ["-G", "-p", "enc.pub", "-s", "enc.key"];
    assert_success(&minisign_with_input(path, &keygen, "secret\nsecret\n"));
    let sign = ["catalog", "sign", "catalog.json", "--secret-key", "enc.key"];

    let encrypted = hwupctl(path, &sign);
    assert_success(&minisign_with_input(
        path,
        &["-C", "-W", "-s", "enc.key"],
        "secret\n",
    ));
    let decrypted = hwupctl(path, &sign);

    assert_eq!(encrypted.status.code(), Some(1), "{}", describe(&encrypted));
    assert!(String::from_utf8_lossy(&encrypted.stderr).contains("minisign -C -W"));
    assert_success(&decrypted);
    // minisign keeps the real checksum when it removes a password, so this checks it.
    let key = SecretKey::parse(&fs::read(path.join("enc.key")).unwrap()).unwrap();
    let public = PublicKey::parse(&fs::read(path.join("enc.pub")).unwrap()).unwrap();
    assert_eq!(key.public_key(), public);
    assert_success(&minisign(
        path,
        &["-V", "-p", "enc.pub", "-m", "catalog.json"],
    ));
}
