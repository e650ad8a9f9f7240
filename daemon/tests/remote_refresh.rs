//! Refreshing remotes against a loopback HTTP server and local folders, with catalogs
//! signed for real: acceptance, each rejection, and network failures.

mod remote_lab;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use hwupd::catalog::minisign::SecretKey;
use hwupd::remote::{load_accepted, refresh, remote_status, FetchConfig, RefreshOutcome};
use hwupd::remote::{RemoteConfig, RemoteSource, UnchangedReason};
use hwupd_tests::http::Fault;
use remote_lab::{catalog, config_text, now, release, sign, to_bytes, Lab};
use serde_json::json;

/// Runs the `minisign` tool in `folder` and checks that it succeeded.
fn minisign(folder: &Path, args: &[&str]) {
    let output = Command::new("minisign")
        .args(args)
        .current_dir(folder)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| {
            panic!("cannot run minisign ({error}); install it with `apt-get install minisign`")
        });
    assert!(
        output.status.success(),
        "minisign {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Generates a minisign key pair with the `minisign` tool in a new folder, and returns
/// the folder and the public key file's text.
fn minisign_keys() -> (tempfile::TempDir, String) {
    let keys = tempfile::tempdir().unwrap();
    minisign(keys.path(), &["-G", "-W", "-p", "lab.pub", "-s", "lab.key"]);
    let public_key = fs::read_to_string(keys.path().join("lab.pub")).unwrap();
    (keys, public_key)
}

/// Builds a lab whose remote pins the public key file text `public_key`.
fn lab_pinning(public_key: &str) -> Lab {
    let mut lab = Lab::new();
    let url = lab.server.url("catalog.json");
    let text = format!("url = {url:?}\npublic_keys = ['''\n{public_key}''']\n");
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();
    lab
}

#[tokio::test]
async fn minisign_catalog_accepted_then_not_modified() {
    let (keys, public_key) = minisign_keys();
    let mut lab = lab_pinning(&public_key);
    fs::write(lab.catalog_path(), to_bytes(&catalog(5))).unwrap();
    let secret_key = keys.path().join("lab.key");
    let secret_key = secret_key.to_str().unwrap();
    minisign(
        lab.served.path(),
        &["-S", "-s", secret_key, "-m", "catalog.json"],
    );
    lab.touch();

    let first = lab.refresh().await.unwrap();
    let second = lab.refresh().await.unwrap();

    assert_eq!(first.serial(), 5);
    assert!(matches!(
        first,
        RefreshOutcome::Accepted {
            previous_serial: None,
            ..
        }
    ));
    let expected = RefreshOutcome::Unchanged {
        serial: 5,
        reason: UnchangedReason::NotModified,
    };
    assert_eq!(second, expected);
    let requests = lab.server.requests();
    let paths: Vec<&str> = requests
        .iter()
        .map(|request| request.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["/catalog.json", "/catalog.json.minisig", "/catalog.json"]
    );
    let last = requests.last().unwrap();
    assert_eq!(last.status, 304);
    assert_eq!(last.body_bytes, 0);
    assert!(last.headers.contains_key("if-none-match"));
    assert!(last.headers["user-agent"].starts_with("hwupd/"));
    assert_eq!(lab.accepted_serial(), Some(5));
}

#[tokio::test]
async fn minisign_legacy_signature_accepted() {
    let (keys, public_key) = minisign_keys();
    let mut lab = lab_pinning(&public_key);
    fs::write(lab.catalog_path(), to_bytes(&catalog(5))).unwrap();
    let secret_key = keys.path().join("lab.key");
    let secret_key = secret_key.to_str().unwrap();
    minisign(
        lab.served.path(),
        &["-S", "-l", "-s", secret_key, "-m", "catalog.json"],
    );
    lab.touch();

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 5);
    let accepted = load_accepted(&lab.store, &lab.remote).unwrap();
    assert_eq!(accepted.catalog.releases.len(), 1);
}

#[tokio::test]
async fn newer_serial_replaces_accepted() {
    let mut lab = Lab::accepted().await;
    lab.publish(&catalog(6));

    let outcome = lab.refresh().await.unwrap();

    let RefreshOutcome::Accepted {
        catalog,
        previous_serial,
    } = outcome
    else {
        panic!("expected a new catalog, got {outcome:?}");
    };
    assert_eq!(catalog.serial(), 6);
    assert_eq!(previous_serial, Some(5));
    assert_eq!(catalog.key_id, lab.key.key_id());
    assert_eq!(lab.accepted_serial(), Some(6));
    let status = lab.status();
    assert_eq!(status.last_error, None);
    assert_eq!(status.last_success, Some(now()));
    let accepted = status.accepted.unwrap();
    assert_eq!(accepted.key_id, lab.key.key_id().to_string());
    assert_eq!(accepted.generation, 2);
    let remote_dir = lab.state.path().join("remotes/lab");
    let mut entries: Vec<String> = fs::read_dir(&remote_dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    entries.sort();
    assert_eq!(entries, ["generation-2", "status.json"]);
}

#[tokio::test]
async fn progress_ends_at_100() {
    let mut lab = Lab::new();
    lab.publish(&catalog(5));
    let mut steps: Vec<(u32, String)> = Vec::new();

    let outcome = refresh(
        &lab.remote,
        &lab.store,
        &lab.fetcher,
        now(),
        &mut |percent, step| steps.push((percent, step.to_owned())),
    )
    .await;

    assert!(outcome.is_ok());
    let percents: Vec<u32> = steps.iter().map(|(percent, _)| *percent).collect();
    assert!(
        percents.windows(2).all(|pair| pair[0] <= pair[1]),
        "{percents:?}"
    );
    assert_eq!(percents.first(), Some(&0));
    assert_eq!(steps.last().unwrap(), &(100, "done".to_owned()));
}

#[tokio::test]
async fn rejects_missing_signature() {
    let mut lab = Lab::accepted().await;
    lab.publish_bytes(&to_bytes(&catalog(6)), None);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "signature-missing");
}

#[tokio::test]
async fn rejects_signature_of_other_bytes() {
    let mut lab = Lab::accepted().await;
    let old = sign(&lab.key, &to_bytes(&catalog(5)));
    lab.publish_bytes(&to_bytes(&catalog(6)), Some(&old));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "signature-invalid");
}

#[tokio::test]
async fn rejects_truncated_signature_file() {
    let mut lab = Lab::accepted().await;
    let bytes = to_bytes(&catalog(6));
    let signature = sign(&lab.key, &bytes);
    lab.publish_bytes(&bytes, Some(&signature[..signature.len() / 2]));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "signature-invalid");
}

#[tokio::test]
async fn rejects_changed_trusted_comment() {
    let mut lab = Lab::accepted().await;
    let bytes = to_bytes(&catalog(6));
    let signature = String::from_utf8(sign(&lab.key, &bytes)).unwrap();
    let forged = signature.replace("file:catalog.json", "file:other.json");
    lab.publish_bytes(&bytes, Some(forged.as_bytes()));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "signature-invalid");
}

#[tokio::test]
async fn rejects_unknown_key() {
    let mut lab = Lab::accepted().await;
    let bytes = to_bytes(&catalog(6));
    let signature = sign(&SecretKey::generate(), &bytes);
    lab.publish_bytes(&bytes, Some(&signature));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "unknown-key");
}

#[tokio::test]
async fn rejects_wrong_remote() {
    let mut lab = Lab::accepted().await;
    let mut other = catalog(6);
    other["remote_id"] = json!("other-lab");
    lab.publish(&other);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "wrong-remote");
}

#[tokio::test]
async fn rejects_rollback() {
    let mut lab = Lab::accepted().await;
    lab.publish(&catalog(4));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "rollback");
}

#[tokio::test]
async fn rejects_replay_with_other_bytes() {
    let mut lab = Lab::accepted().await;
    let mut changed = catalog(5);
    changed["releases"]
        .as_array_mut()
        .unwrap()
        .push(release("nic-fw-2.2.0", "firmware/nic-2.2.0.cap"));
    lab.publish(&changed);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "replay");
}

#[tokio::test]
async fn same_bytes_again_is_unchanged() {
    let mut lab = Lab::accepted().await;
    lab.touch();

    let outcome = lab.refresh().await.unwrap();

    let expected = RefreshOutcome::Unchanged {
        serial: 5,
        reason: UnchangedReason::SameBytes,
    };
    assert_eq!(outcome, expected);
    let last = lab.server.requests().pop().unwrap();
    assert_eq!(last.path, "/catalog.json.minisig");
    assert_eq!(lab.accepted_serial(), Some(5));
    assert_eq!(lab.status().last_error, None);
}

#[tokio::test]
async fn rejects_expired() {
    let mut lab = Lab::accepted().await;
    let mut expired = catalog(6);
    expired["issued"] = json!("2025-05-01T00:00:00Z");
    expired["expires"] = json!("2025-06-14T23:59:59Z");
    lab.publish(&expired);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "expired");
}

#[tokio::test]
async fn rejects_accepted_catalog_once_expired() {
    let lab = Lab::accepted().await;
    let later = "2025-07-02T00:00:00Z".parse().unwrap();

    let result = refresh(&lab.remote, &lab.store, &lab.fetcher, later, &mut |_, _| {}).await;

    lab.assert_rejected(result, "expired");
    assert_eq!(lab.server.requests().last().unwrap().status, 304);
}

#[tokio::test]
async fn rejects_issued_in_future() {
    let mut lab = Lab::accepted().await;
    let mut future = catalog(6);
    future["issued"] = json!("2025-06-15T00:05:01Z");
    lab.publish(&future);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "issued-in-future");
}

#[tokio::test]
async fn accepts_issue_within_clock_skew() {
    let mut lab = Lab::accepted().await;
    let mut skewed = catalog(6);
    skewed["issued"] = json!("2025-06-15T00:05:00Z");
    lab.publish(&skewed);

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 6);
}

#[tokio::test]
async fn rejects_malformed_json() {
    let mut lab = Lab::accepted().await;
    let bytes = b"{\"format_version\": 1, \"serial\": ".to_vec();
    let signature = sign(&lab.key, &bytes);
    lab.publish_bytes(&bytes, Some(&signature));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "malformed");
}

#[tokio::test]
async fn rejects_invalid_field() {
    let mut lab = Lab::accepted().await;
    let mut invalid = catalog(6);
    invalid["releases"][0]["payload"]["sha256"] = json!("not a digest");
    lab.publish(&invalid);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "malformed");
}

#[tokio::test]
async fn rejects_payload_paths_that_leave_remote() {
    let paths = ["../outside.cap", "/etc/shadow", "firmware/../../x.cap"];
    for path in paths {
        let mut lab = Lab::accepted().await;
        let mut escaping = catalog(6);
        escaping["releases"][0]["payload"]["path"] = json!(path);
        lab.publish(&escaping);

        let result = lab.refresh().await;

        lab.assert_rejected(result, "payload-path");
    }
}

#[tokio::test]
async fn rejects_payload_on_other_host() {
    let mut lab = Lab::accepted().await;
    let mut other_host = catalog(6);
    other_host["releases"][0]["payload"]["url"] = json!("https://cdn.example.net/nic.cap");
    lab.publish(&other_host);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "payload-path");
}

#[tokio::test]
async fn accepts_payload_on_same_or_allowed_host() {
    let mut lab = Lab::accepted().await;
    let mut same_host = catalog(6);
    let url = lab.server.url("firmware/nic.cap");
    same_host["releases"][0]["payload"]["url"] = json!(url);
    lab.publish(&same_host);
    assert_eq!(lab.refresh().await.unwrap().serial(), 6);

    let text = config_text(
        &lab.server.url("catalog.json"),
        &lab.key,
        "allow_payload_hosts = true",
    );
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();
    let mut other_host = catalog(7);
    other_host["releases"][0]["payload"]["url"] = json!("https://cdn.example.net/nic.cap");
    lab.publish(&other_host);

    assert_eq!(lab.refresh().await.unwrap().serial(), 7);
}

/// Replaces the lab's remote with one that has `extra` config lines.
fn reconfigure(lab: &mut Lab, extra: &str) {
    let url = lab.server.url("catalog.json");
    let text = config_text(&url, &lab.key, extra);
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();
}

#[tokio::test]
async fn rejects_announced_length_over_cap() {
    let mut lab = Lab::accepted().await;
    let size = fs::metadata(lab.catalog_path()).unwrap().len();
    reconfigure(&mut lab, &format!("max_catalog_size = {}", size + 100));
    let mut bigger = catalog(6);
    bigger["releases"][0]["description"] = json!("x".repeat(200));
    lab.publish(&bigger);

    let result = lab.refresh().await;

    lab.assert_rejected(result, "too-large");
    let last = lab.server.requests().pop().unwrap();
    assert_eq!(last.path, "/catalog.json");
    assert_eq!(last.status, 200);
}

/// Serves one response on loopback: 200 with a chunked body of `total` bytes and no
/// length, as a server that streams without announcing the size does. The thread
/// returns how many body bytes it wrote before the client closed the connection.
fn serve_chunked_once(total: u64) -> (SocketAddr, JoinHandle<u64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let handle = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_write_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 2 {
            line.clear();
        }

        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        if stream.write_all(head.as_bytes()).is_err() {
            return 0;
        }
        let chunk = vec![b' '; 64 * 1024];
        let mut written = 0;
        while written < total {
            let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
            if stream.write_all(&frame).is_err() {
                break;
            }
            written += chunk.len() as u64;
        }
        written
    });
    (address, handle)
}

#[tokio::test]
async fn stops_stream_at_cap() {
    let mut lab = Lab::accepted().await;
    let total = 256 * 1024 * 1024;
    let (address, server) = serve_chunked_once(total);
    let url = format!("http://{address}/catalog.json");
    let text = config_text(&url, &lab.key, "max_catalog_size = 1048576");
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();

    let result = lab.refresh().await;

    lab.assert_rejected(result, "too-large");
    let written = server.join().unwrap();
    assert!(written < total, "the server wrote all {written} bytes");
}

#[tokio::test]
async fn rejects_server_errors() {
    let cases = [
        ("catalog.json", 500),
        ("catalog.json", 404),
        ("catalog.json.minisig", 503),
    ];
    for (path, status) in cases {
        let mut lab = Lab::accepted().await;
        lab.publish(&catalog(6));
        lab.server.set_fault(path, Fault::Status(status));

        let result = lab.refresh().await;

        let message = result.as_ref().err().map(|error| error.full_message());
        lab.assert_rejected(result, "http-status");
        assert!(message.unwrap().contains(&status.to_string()));
    }
}

#[tokio::test]
async fn rejects_connection_cut_mid_body() {
    let mut lab = Lab::accepted().await;
    lab.publish(&catalog(6));
    lab.server.set_fault("catalog.json", Fault::CutAfter(100));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "fetch-failed");
}

#[tokio::test]
async fn slow_server_times_out() {
    let fetch = FetchConfig {
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(1),
    };
    let mut lab = Lab::with_config("", &fetch);
    lab.accept_first().await;
    lab.publish(&catalog(6));
    lab.server
        .set_fault("catalog.json", Fault::Delay(Duration::from_secs(3)));

    let result = lab.refresh().await;

    let message = result.as_ref().err().map(|error| error.full_message());
    lab.assert_rejected(result, "fetch-failed");
    assert!(message.unwrap().contains("timed out"));
}

#[tokio::test]
async fn stalled_body_times_out_once() {
    let fetch = FetchConfig {
        connect_timeout: Duration::from_secs(1),
        read_timeout: Duration::from_millis(500),
        timeout: Duration::from_secs(1),
    };
    let mut lab = Lab::with_config("", &fetch);
    lab.accept_first().await;
    lab.publish(&catalog(6));
    let stall = Fault::StallAfter(10, Duration::from_secs(3));
    lab.server.set_fault("catalog.json", stall);

    let result = lab.refresh().await;

    let message = result.as_ref().err().map(|error| error.full_message());
    lab.assert_rejected(result, "fetch-failed");
    let message = message.unwrap();
    assert!(message.contains("timed out"), "{message}");
    let parts: Vec<&str> = message.split(": ").collect();
    for pair in parts.windows(2) {
        assert_ne!(pair[0], pair[1], "{message}");
    }
}

#[tokio::test]
async fn rejects_closed_port() {
    let mut lab = Lab::accepted().await;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/catalog.json", listener.local_addr().unwrap());
    drop(listener);
    let text = config_text(&url, &lab.key, "");
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();

    let result = lab.refresh().await;

    lab.assert_rejected(result, "fetch-failed");
}

#[tokio::test]
async fn folder_with_trailing_slash_fetches_catalog_json() {
    let mut lab = Lab::new();
    lab.publish(&catalog(5));
    let text = config_text(&lab.server.url(""), &lab.key, "");
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 5);
    assert_eq!(lab.server.requests()[0].path, "/catalog.json");
}

/// Points the lab's remote at a local `location` instead of the server.
fn use_local(lab: &mut Lab, location: &str) {
    let text = config_text(location, &lab.key, "");
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();
    assert!(matches!(lab.remote.source, RemoteSource::Local { .. }));
}

#[tokio::test]
async fn local_folder_remote() {
    let mut lab = Lab::new();
    lab.publish(&catalog(5));
    let folder = lab.served.path().to_str().unwrap().to_owned();
    use_local(&mut lab, &folder);

    let first = lab.refresh().await.unwrap();
    let second = lab.refresh().await.unwrap();

    assert_eq!(first.serial(), 5);
    let expected = RefreshOutcome::Unchanged {
        serial: 5,
        reason: UnchangedReason::SameBytes,
    };
    assert_eq!(second, expected);
    assert!(lab.server.requests().is_empty());
}

#[tokio::test]
async fn local_file_remote() {
    let mut lab = Lab::new();
    let bytes = to_bytes(&catalog(5));
    let file = lab.served.path().join("lab-catalog.json");
    fs::write(&file, &bytes).unwrap();
    fs::write(
        lab.served.path().join("lab-catalog.json.minisig"),
        sign(&lab.key, &bytes),
    )
    .unwrap();
    use_local(&mut lab, &format!("file://{}", file.display()));

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 5);
    assert_eq!(lab.accepted_serial(), Some(5));
}

#[tokio::test]
async fn local_remote_rejections() {
    let mut lab = Lab::accepted().await;
    let folder = lab.served.path().to_str().unwrap().to_owned();
    use_local(&mut lab, &folder);

    lab.publish_bytes(&to_bytes(&catalog(6)), None);
    let missing_signature = lab.refresh().await;
    lab.assert_rejected(missing_signature, "signature-missing");

    lab.publish(&catalog(4));
    let rollback = lab.refresh().await;
    lab.assert_rejected(rollback, "rollback");

    fs::remove_file(lab.catalog_path()).unwrap();
    let missing_catalog = lab.refresh().await;
    lab.assert_rejected(missing_catalog, "fetch-failed");
}

#[tokio::test]
async fn local_damaged_store_is_repaired() {
    let mut lab = Lab::accepted().await;
    let folder = lab.served.path().to_str().unwrap().to_owned();
    use_local(&mut lab, &folder);
    let stored = lab
        .state
        .path()
        .join("remotes/lab/generation-1/catalog.json");
    let mut bytes = fs::read(&stored).unwrap();
    bytes[10] ^= 1;
    fs::write(&stored, bytes).unwrap();

    let outcome = lab.refresh().await.unwrap();

    let expected = RefreshOutcome::Unchanged {
        serial: 5,
        reason: UnchangedReason::SameBytes,
    };
    assert_eq!(outcome, expected);
    assert_eq!(lab.accepted_serial(), Some(5));
    assert_eq!(lab.remote_dir_entries(), ["generation-2", "status.json"]);
}

#[tokio::test]
async fn local_same_bytes_keep_stored_pair() {
    let mut lab = Lab::accepted().await;
    let folder = lab.served.path().to_str().unwrap().to_owned();
    use_local(&mut lab, &folder);

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 5);
    assert_eq!(lab.remote_dir_entries(), ["generation-1", "status.json"]);
}

#[tokio::test]
async fn local_file_over_cap() {
    let mut lab = Lab::accepted().await;
    let folder = lab.served.path().to_str().unwrap();
    let text = config_text(folder, &lab.key, "max_catalog_size = 100");
    lab.remote = RemoteConfig::parse(Path::new("/etc/hwupd/remotes.d/lab.toml"), &text).unwrap();
    lab.publish(&catalog(6));

    let result = lab.refresh().await;

    lab.assert_rejected(result, "too-large");
}

#[tokio::test]
async fn disabled_remote_is_not_refreshed() {
    let mut lab = Lab::new();
    lab.publish(&catalog(5));
    reconfigure(&mut lab, "enabled = false");

    let result = lab.refresh().await;

    assert_eq!(result.unwrap_err().kind(), "disabled");
    assert!(lab.server.requests().is_empty());
    assert!(!lab.state.path().join("remotes/lab").exists());
    let status = remote_status(&lab.store, &lab.remote, b"machine");
    assert!(!status.enabled);
    assert_eq!(status.next_refresh, None);
}

#[tokio::test]
async fn removed_key_forces_full_download() {
    let mut lab = Lab::accepted().await;
    let new_key = SecretKey::generate();
    let bytes = fs::read(lab.catalog_path()).unwrap();
    fs::write(lab.signature_path(), sign(&new_key, &bytes)).unwrap();
    lab.key = new_key;
    reconfigure(&mut lab, "");
    assert_eq!(lab.accepted_serial(), None);

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 5);
    let requests = lab.server.requests();
    let catalog_request = &requests[requests.len() - 2];
    assert_eq!(catalog_request.status, 200);
    assert!(!catalog_request.headers.contains_key("if-none-match"));
    let accepted = load_accepted(&lab.store, &lab.remote).unwrap();
    assert_eq!(accepted.key_id, lab.key.key_id());
}

#[tokio::test]
async fn damaged_store_is_repaired() {
    let lab = Lab::accepted().await;
    let stored = lab
        .state
        .path()
        .join("remotes/lab/generation-1/catalog.json");
    let mut bytes = fs::read(&stored).unwrap();
    bytes[10] ^= 1;
    fs::write(&stored, bytes).unwrap();
    assert_eq!(lab.accepted_serial(), None);

    let outcome = lab.refresh().await.unwrap();

    assert_eq!(outcome.serial(), 5);
    assert_eq!(lab.accepted_serial(), Some(5));
    assert_eq!(lab.status().accepted.unwrap().generation, 2);
}

#[tokio::test]
async fn concurrent_refreshes_run_in_turn() {
    let mut lab = Lab::new();
    lab.publish(&catalog(5));

    let (first, second) = tokio::join!(lab.refresh(), lab.refresh());

    let mut serials = [first.unwrap(), second.unwrap()].map(|outcome| match outcome {
        RefreshOutcome::Accepted { .. } => "accepted",
        RefreshOutcome::Unchanged { .. } => "unchanged",
    });
    serials.sort();
    assert_eq!(serials, ["accepted", "unchanged"]);
    assert_eq!(lab.accepted_serial(), Some(5));
}

#[tokio::test]
async fn remote_status_reports_state() {
    let mut lab = Lab::accepted().await;
    lab.publish(&catalog(4));
    let _ = lab.refresh().await;

    let status = remote_status(&lab.store, &lab.remote, b"machine");

    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["id"], "lab");
    assert_eq!(json["enabled"], true);
    assert_eq!(json["serial"], 5);
    assert_eq!(json["expires"], "2025-07-01T00:00:00Z");
    assert_eq!(json["last_refresh"], "2025-06-15T00:00:00Z");
    assert_eq!(json["last_success"], "2025-06-15T00:00:00Z");
    assert_eq!(json["last_error"]["kind"], "rollback");
    let next = status.next_refresh.unwrap();
    assert!(next >= "2025-06-16T00:00:00Z".parse().unwrap());
    assert!(next <= "2025-06-16T01:00:00Z".parse().unwrap());
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn refresh_future_is_send() {
    let lab = Lab::new();
    let mut progress = |_: u32, _: &str| {};

    let future = refresh(&lab.remote, &lab.store, &lab.fetcher, now(), &mut progress);

    assert_send(&future);
}
