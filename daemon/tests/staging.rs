//! Staging against a loopback HTTP server and real files: hashing, size caps, resume,
//! crash recovery, reconciliation, tampering, free space and local remotes.

#[path = "staging/plain_server.rs"]
mod plain_server;
#[path = "staging/support.rs"]
mod support;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use hwupd::catalog::document::InstallMethod;
use hwupd::dbus::staged::remove_applied;
use hwupd::history::{History, Transition, UpdateState};
use hwupd::staging::{check_free_space, CatalogBase, FsSpace, StageError, StagingStore};
use hwupd::staging::{MIN_SPACE_MARGIN, STALE_AGE};
use hwupd_tests::http::Fault;
use plain_server::{PlainServer, Reply};
use support::{index_items, pattern, request, sha256_hex, stage, Setup};

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn stage_downloads_and_verifies_payload() {
    let setup = Setup::new();
    let bytes = pattern(3 * MIB + 17, 1);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();
    let client = reqwest::Client::new();
    let mut reports = Vec::new();

    let request = setup.request(&path, &sha, bytes.len() as u64);
    let staged = store
        .stage(&client, request, &mut |done, total| {
            reports.push((done, total))
        })
        .await
        .unwrap();

    assert_eq!(staged.sha256, sha);
    assert_eq!(staged.path, setup.payload_path(&sha));
    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    assert_eq!(
        setup.staged_names(),
        [format!("{sha}.payload"), "index.json".into()]
    );
    assert_eq!(setup.ranges(), [None]);
    assert_eq!(store.list(), std::slice::from_ref(&staged));
    assert_eq!(store.path_of(&sha), Some(staged.path.clone()));
    let items = index_items(&setup.staged_dir());
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["sha256"], sha.as_str());
    assert_eq!(items[0]["release_id"], "nic-2.1.0");

    let total = bytes.len() as u64;
    assert_eq!(reports.first(), Some(&(0, total)));
    assert_eq!(reports.last(), Some(&(total, total)));
    assert!(reports.len() <= 102, "{} progress reports", reports.len());
    assert!(reports.windows(2).all(|pair| pair[0].0 < pair[1].0));
}

#[tokio::test]
async fn stage_is_idempotent_and_shares_payloads() {
    let setup = Setup::new();
    let bytes = pattern(100_000, 2);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();
    let request = setup.request(&path, &sha, bytes.len() as u64);

    let first = stage(&store, request.clone()).await.unwrap();
    let again = stage(&store, request.clone()).await.unwrap();
    let mut other_device = request.clone();
    other_device.device_id = "pci-0000-04-00.0".to_owned();
    let shared = stage(&store, other_device).await.unwrap();

    assert_eq!(again, first);
    assert_eq!(shared.path, first.path);
    assert_eq!(setup.server.requests().len(), 1);
    assert_eq!(store.list().len(), 2);
}

#[tokio::test]
async fn stage_uses_payload_url_on_catalog_host() {
    let setup = Setup::new();
    let bytes = pattern(80_000, 24);
    let sha = sha256_hex(&bytes);
    setup.serve("mirror.bin", &bytes);
    let store = setup.open();
    let mut request = setup.request("fw/not-served.bin", &sha, 80_000);
    request.payload.url = Some(setup.server.url("mirror.bin"));

    let staged = stage(&store, request).await.unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    let paths: Vec<String> = setup
        .server
        .requests()
        .into_iter()
        .map(|r| r.path)
        .collect();
    assert_eq!(paths, ["/mirror.bin"]);
}

#[tokio::test]
async fn stage_rejects_invalid_payload_fields() {
    let setup = Setup::new();
    let store = setup.open();
    let sha = sha256_hex(b"x");
    let too_large = hwupd::catalog::document::MAX_PAYLOAD_SIZE + 1;
    let cases = [
        ("sha256", setup.request("fw/x.bin", "abc", 1)),
        ("sha256", setup.request("fw/x.bin", &"g".repeat(64), 1)),
        ("size", setup.request("fw/x.bin", &sha, 0)),
        ("size", setup.request("fw/x.bin", &sha, too_large)),
    ];

    for (expected, request) in cases {
        let error = stage(&store, request).await;
        assert!(
            matches!(&error, Err(StageError::InvalidPayload { field, .. }) if *field == expected),
            "{expected}: {error:?}"
        );
    }
    assert!(setup.server.requests().is_empty());
}

#[tokio::test]
async fn concurrent_stage_of_one_payload_is_rejected() {
    let setup = Setup::new();
    let bytes = pattern(100_000, 3);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    setup
        .server
        .set_fault(&path, Fault::Delay(Duration::from_millis(300)));
    let store = setup.open();
    let request = setup.request(&path, &sha, bytes.len() as u64);
    let mut other_release = request.clone();
    other_release.release_id = "nic-2.1.1".to_owned();

    let (first, second) = tokio::join!(stage(&store, request), stage(&store, other_release));

    assert!(first.is_ok(), "{first:?}");
    assert!(
        matches!(&second, Err(StageError::InProgress { sha256 }) if *sha256 == sha),
        "{second:?}"
    );
}

#[tokio::test]
async fn corrupt_payload_is_deleted_and_reported() {
    let setup = Setup::new();
    let bytes = pattern(200_000, 4);
    let sha = sha256_hex(&bytes);
    let inverted: Vec<u8> = bytes.iter().map(|byte| !byte).collect();
    let path = setup.serve("fw/nic.bin", &bytes);
    setup.server.set_fault(&path, Fault::Corrupt);
    let store = setup.open();

    let error = stage(&store, setup.request(&path, &sha, bytes.len() as u64)).await;

    let Err(StageError::HashMismatch {
        expected, actual, ..
    }) = error
    else {
        panic!("expected a hash mismatch, got {error:?}");
    };
    assert_eq!(expected, sha);
    assert_eq!(actual, sha256_hex(&inverted));
    assert_eq!(setup.staged_names(), ["index.json"]);
    assert!(store.list().is_empty());
    assert_eq!(store.path_of(&sha), None);
    assert!(StagingStore::open(&setup.state_dir())
        .unwrap()
        .list()
        .is_empty());
}

#[tokio::test]
async fn declared_size_larger_than_file_is_rejected() {
    let setup = Setup::new();
    let bytes = pattern(50_000, 5);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();

    let request = setup.request(&path, &sha256_hex(&bytes), 50_001);
    let error = stage(&store, request).await;

    assert!(
        matches!(
            error,
            Err(StageError::SizeMismatch {
                expected: 50_001,
                actual: 50_000,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(setup.staged_names(), ["index.json"]);
}

#[tokio::test]
async fn announced_length_above_declared_size_is_rejected() {
    let setup = Setup::new();
    let bytes = pattern(50_000, 6);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();

    let request = setup.request(&path, &sha256_hex(&bytes[..49_999]), 49_999);
    let error = stage(&store, request).await;

    assert!(
        matches!(
            error,
            Err(StageError::TooLarge {
                declared: 49_999,
                at_least: 50_000,
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(setup.staged_names(), ["index.json"]);
}

#[test]
fn body_longer_than_declared_is_cut_while_streaming() {
    let state = tempfile::tempdir().unwrap();
    let server = PlainServer::start(Reply::Endless);
    let store = StagingStore::open(state.path()).unwrap();
    let declared = 1_000_000;
    let base = CatalogBase::Url(server.url("catalog.json").parse().unwrap());
    let sha = sha256_hex(&vec![0; declared as usize]);

    // Dropping the runtime closes the connection, which ends the server's writes.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let error = runtime.block_on(stage(&store, request(base, "zeros.bin", &sha, declared)));
    drop(runtime);

    let Err(StageError::TooLarge {
        declared: reported,
        at_least,
        ..
    }) = error
    else {
        panic!("expected TooLarge, got {error:?}");
    };
    assert_eq!(reported, declared);
    assert!(at_least > declared);
    let written = server.next_written();
    assert!(written > declared, "server wrote only {written} bytes");
    let staged = support::names(&state.path().join("staged"));
    assert_eq!(staged, ["index.json"]);
}

#[tokio::test]
async fn body_without_length_ending_short_keeps_partial() {
    let state = tempfile::tempdir().unwrap();
    let bytes = pattern(300_000, 7);
    let sha = sha256_hex(&bytes);
    let server = PlainServer::start(Reply::Unsized(bytes[..120_000].to_vec()));
    let store = StagingStore::open(state.path()).unwrap();
    let base = CatalogBase::Url(server.url("catalog.json").parse().unwrap());

    let error = stage(&store, request(base, "nic.bin", &sha, 300_000)).await;

    assert!(
        matches!(
            error,
            Err(StageError::SizeMismatch {
                expected: 300_000,
                actual: 120_000,
                ..
            })
        ),
        "{error:?}"
    );
    let partial = state.path().join(format!("staged/{sha}.partial"));
    assert_eq!(std::fs::read(partial).unwrap(), &bytes[..120_000]);
    assert!(store.list().is_empty());
}

#[tokio::test]
async fn cut_download_resumes_with_range() {
    let setup = Setup::new();
    let bytes = pattern(2 * MIB, 8);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    setup.server.set_fault(&path, Fault::CutAfter(700_000));
    let store = setup.open();
    let request = setup.request(&path, &sha, bytes.len() as u64);

    let first = stage(&store, request.clone()).await;
    assert!(matches!(first, Err(StageError::Fetch { .. })), "{first:?}");
    let kept = std::fs::read(setup.partial_path(&sha)).unwrap();
    assert_eq!(kept.len(), 700_000);
    assert_eq!(kept, &bytes[..700_000]);
    assert!(store.list().is_empty());

    setup.server.clear_faults();
    let mut reports = Vec::new();
    let client = reqwest::Client::new();
    let staged = store
        .stage(&client, request, &mut |done, _| reports.push(done))
        .await
        .unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    assert_eq!(setup.ranges(), [None, Some("bytes=700000-".to_owned())]);
    assert_eq!(reports.first(), Some(&700_000));
    assert_eq!(reports.last(), Some(&(bytes.len() as u64)));
    let requests = setup.server.requests();
    assert_eq!(requests[1].status, 206);
    assert_eq!(requests[1].body_bytes, bytes.len() as u64 - 700_000);
    assert!(!setup.partial_path(&sha).exists());
}

#[tokio::test]
async fn server_ignoring_range_restarts_from_zero() {
    let state = tempfile::tempdir().unwrap();
    let bytes = pattern(400_000, 9);
    let sha = sha256_hex(&bytes);
    let server = PlainServer::start(Reply::IgnoreRange(bytes.clone()));
    let store = StagingStore::open(state.path()).unwrap();
    // Bytes that are not a prefix of the payload, so appending to them would fail.
    let partial = state.path().join(format!("staged/{sha}.partial"));
    std::fs::write(&partial, pattern(150_000, 99)).unwrap();
    let base = CatalogBase::Url(server.url("catalog.json").parse().unwrap());

    let staged = stage(&store, request(base, "nic.bin", &sha, 400_000))
        .await
        .unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].contains("range: bytes=150000-"),
        "{}",
        requests[0]
    );
    assert!(!partial.exists());
}

#[tokio::test]
async fn resume_with_wrong_prefix_downloads_again() {
    let setup = Setup::new();
    let bytes = pattern(400_000, 10);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();
    // A partial file whose bytes were never written, as after a power loss.
    std::fs::write(setup.partial_path(&sha), vec![0; 100_000]).unwrap();

    let staged = stage(&store, setup.request(&path, &sha, 400_000))
        .await
        .unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    assert_eq!(setup.ranges(), [Some("bytes=100000-".to_owned()), None]);
}

#[tokio::test]
async fn oversized_partial_is_discarded() {
    let setup = Setup::new();
    let bytes = pattern(100_000, 11);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();
    std::fs::write(setup.partial_path(&sha), pattern(100_001, 12)).unwrap();

    let staged = stage(&store, setup.request(&path, &sha, 100_000))
        .await
        .unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    assert_eq!(setup.ranges(), [None]);
}

#[tokio::test]
async fn complete_partial_is_verified_without_request() {
    let setup = Setup::new();
    let bytes = pattern(100_000, 13);
    let sha = sha256_hex(&bytes);
    let store = setup.open();
    std::fs::write(setup.partial_path(&sha), &bytes).unwrap();

    let staged = stage(&store, setup.request("fw/absent.bin", &sha, 100_000))
        .await
        .unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    assert!(setup.server.requests().is_empty());
}

#[tokio::test]
async fn http_errors_name_status_and_url() {
    let setup = Setup::new();
    let store = setup.open();
    let sha = sha256_hex(b"x");
    let path = setup.serve("fw/busy.bin", b"x");
    setup.server.set_fault(&path, Fault::Status(503));

    let missing = stage(&store, setup.request("fw/missing.bin", &sha, 1)).await;
    let busy = stage(&store, setup.request(&path, &sha, 1)).await;

    let Err(StageError::Http { status, url }) = missing else {
        panic!("expected an HTTP error, got {missing:?}");
    };
    assert_eq!(status, 404);
    assert_eq!(url, setup.server.url("fw/missing.bin"));
    assert!(
        matches!(busy, Err(StageError::Http { status: 503, .. })),
        "{busy:?}"
    );
}

#[tokio::test]
async fn refused_connection_is_a_fetch_error() {
    let state = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let store = StagingStore::open(state.path()).unwrap();
    let base = CatalogBase::Url(format!("http://{address}/catalog.json").parse().unwrap());

    let error = stage(&store, request(base, "x.bin", &sha256_hex(b"x"), 1)).await;

    let Err(StageError::Fetch { url, reason }) = error else {
        panic!("expected a fetch error, got {error:?}");
    };
    assert_eq!(url, format!("http://{address}/x.bin"));
    assert!(!reason.is_timeout());
    assert!(reason.to_string().contains("onnect"), "{reason}");
}

/// Environment of the child process of `killed_download_resumes_after_restart`.
const CHILD_STATE: &str = "HWUPD_STAGING_TEST_CHILD_STATE";
const CHILD_CATALOG: &str = "HWUPD_STAGING_TEST_CHILD_CATALOG";
const CHILD_SHA: &str = "HWUPD_STAGING_TEST_CHILD_SHA";
const CHILD_SIZE: &str = "HWUPD_STAGING_TEST_CHILD_SIZE";
const CHILD_MARKER: &str = "HWUPD_STAGING_TEST_CHILD_MARKER";

/// Child process of `killed_download_resumes_after_restart`: stages until half of the
/// payload is written, creates the marker file and waits to be killed. Without the
/// environment it does nothing.
#[tokio::test]
async fn child_stages_until_paused() {
    let Ok(state) = std::env::var(CHILD_STATE) else {
        return;
    };
    let variable = |name| std::env::var(name).unwrap();
    let base = CatalogBase::Url(variable(CHILD_CATALOG).parse().unwrap());
    let size: u64 = variable(CHILD_SIZE).parse().unwrap();
    let marker = PathBuf::from(variable(CHILD_MARKER));
    let store = StagingStore::open(Path::new(&state)).unwrap();
    let client = reqwest::Client::new();

    let mut pause = |done: u64, _| {
        if done >= size / 2 {
            std::fs::write(&marker, done.to_string()).unwrap();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    };
    let request = request(base, "fw/big.bin", &variable(CHILD_SHA), size);
    let result = store.stage(&client, request, &mut pause).await;
    panic!("the child should have been killed, but staging returned {result:?}");
}

#[tokio::test]
async fn killed_download_resumes_after_restart() {
    let setup = Setup::new();
    let bytes = pattern(8 * MIB, 14);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/big.bin", &bytes);
    let marker = setup.root.path().join("paused");

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_stages_until_paused", "--test-threads=1"])
        .env(CHILD_STATE, setup.state_dir())
        .env(CHILD_CATALOG, setup.server.url("catalog.json"))
        .env(CHILD_SHA, &sha)
        .env(CHILD_SIZE, bytes.len().to_string())
        .env(CHILD_MARKER, &marker)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !marker.exists() {
        let exited = child.try_wait().unwrap();
        assert!(exited.is_none(), "the child exited early: {exited:?}");
        assert!(
            Instant::now() < deadline,
            "the child never reached half the payload"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    // The killed process left an unverified partial file and no index entry for it.
    let partial_len = std::fs::metadata(setup.partial_path(&sha)).unwrap().len();
    assert!(
        partial_len > 0 && partial_len < bytes.len() as u64,
        "{partial_len}"
    );
    assert!(index_items(&setup.staged_dir()).is_empty());
    assert!(!setup.payload_path(&sha).exists());

    let store = setup.open();
    assert!(store.list().is_empty());
    let staged = stage(&store, setup.request(&path, &sha, bytes.len() as u64))
        .await
        .unwrap();

    let last = setup.server.requests().pop().unwrap();
    assert_eq!(
        last.headers.get("range"),
        Some(&format!("bytes={partial_len}-"))
    );
    assert_eq!(last.status, 206);
    assert_eq!(store.verify_staged(&sha).await.unwrap(), staged.path);
    assert_eq!(index_items(&setup.staged_dir()).len(), 1);
}

async fn staged_setup(seed: u64) -> (Setup, StagingStore, Vec<u8>, String) {
    let setup = Setup::new();
    let bytes = pattern(200_000, seed);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let store = setup.open();
    stage(&store, setup.request(&path, &sha, 200_000))
        .await
        .unwrap();
    (setup, store, bytes, sha)
}

#[tokio::test]
async fn verify_staged_catches_tampering() {
    let (setup, store, mut bytes, sha) = staged_setup(15).await;
    assert!(store.verify_staged(&sha).await.is_ok());

    bytes[1234] ^= 1;
    std::fs::write(setup.payload_path(&sha), &bytes).unwrap();
    let error = store.verify_staged(&sha).await;

    let Err(StageError::HashMismatch {
        expected, actual, ..
    }) = error
    else {
        panic!("expected a hash mismatch, got {error:?}");
    };
    assert_eq!(expected, sha);
    assert_eq!(actual, sha256_hex(&bytes));
    assert!(!setup.payload_path(&sha).exists());
    assert!(store.list().is_empty());
    assert!(index_items(&setup.staged_dir()).is_empty());
    assert!(matches!(
        store.verify_staged(&sha).await,
        Err(StageError::NotStaged { .. })
    ));
}

#[tokio::test]
async fn verify_staged_reports_deleted_file() {
    let (setup, store, _, sha) = staged_setup(25).await;
    std::fs::remove_file(setup.payload_path(&sha)).unwrap();

    let error = store.verify_staged(&sha).await;

    assert!(
        matches!(error, Err(StageError::NotStaged { .. })),
        "{error:?}"
    );
    assert!(store.list().is_empty());
    assert!(index_items(&setup.staged_dir()).is_empty());
}

#[tokio::test]
async fn verify_staged_catches_appended_bytes() {
    let (setup, store, mut bytes, sha) = staged_setup(16).await;
    bytes.push(0);
    std::fs::write(setup.payload_path(&sha), &bytes).unwrap();

    let error = store.verify_staged(&sha).await;

    assert!(
        matches!(
            error,
            Err(StageError::SizeMismatch {
                expected: 200_000,
                actual: 200_001,
                ..
            })
        ),
        "{error:?}"
    );
    assert!(!setup.payload_path(&sha).exists());
}

#[tokio::test]
async fn unstage_deletes_file_when_unused() {
    let (setup, store, _, sha) = staged_setup(17).await;
    let mut other = setup.request("fw/nic.bin", &sha, 200_000);
    other.release_id = "nic-2.1.1".to_owned();
    stage(&store, other).await.unwrap();

    let removed = store.unstage("lab", "nic-2.1.0").unwrap();
    assert_eq!(removed.len(), 1);
    assert!(setup.payload_path(&sha).exists());

    store.unstage("lab", "nic-2.1.1").unwrap();
    assert!(!setup.payload_path(&sha).exists());
    assert!(store.list().is_empty());
    assert!(index_items(&setup.staged_dir()).is_empty());
    assert!(store.unstage("lab", "nic-2.1.1").unwrap().is_empty());
}

#[tokio::test]
async fn open_drops_missing_and_truncated_payloads() {
    let setup = Setup::new();
    let store = setup.open();
    let mut shas = Vec::new();
    for (seed, name) in [(18, "a.bin"), (19, "b.bin"), (20, "c.bin")] {
        let bytes = pattern(50_000, seed);
        let sha = sha256_hex(&bytes);
        let path = setup.serve(name, &bytes);
        let mut request = setup.request(&path, &sha, 50_000);
        request.release_id = name.to_owned();
        stage(&store, request).await.unwrap();
        shas.push(sha);
    }
    drop(store);
    std::fs::remove_file(setup.payload_path(&shas[0])).unwrap();
    let truncated = std::fs::File::options()
        .write(true)
        .open(setup.payload_path(&shas[1]))
        .unwrap();
    truncated.set_len(10).unwrap();

    let store = setup.open();

    let listed: Vec<String> = store.list().into_iter().map(|item| item.sha256).collect();
    assert_eq!(listed, [shas[2].clone()]);
    assert_eq!(index_items(&setup.staged_dir()).len(), 1);
    assert!(!setup.payload_path(&shas[1]).exists());
}

#[tokio::test]
async fn open_adopts_verified_stray_payloads_only() {
    let setup = Setup::new();
    let good = pattern(60_000, 21);
    let good_sha = sha256_hex(&good);
    let bad_sha = sha256_hex(b"something else");
    std::fs::create_dir_all(setup.staged_dir()).unwrap();
    std::fs::write(setup.payload_path(&good_sha), &good).unwrap();
    std::fs::write(setup.payload_path(&bad_sha), &good).unwrap();

    let store = setup.open();

    assert!(store.list().is_empty());
    assert!(setup.payload_path(&good_sha).exists());
    assert!(!setup.payload_path(&bad_sha).exists());
    // The adopted payload is listed by the next stage without a download.
    let staged = stage(&store, setup.request("fw/absent.bin", &good_sha, 60_000))
        .await
        .unwrap();
    assert_eq!(staged.path, setup.payload_path(&good_sha));
    assert!(setup.server.requests().is_empty());
}

#[tokio::test]
async fn open_cleans_leftovers_and_keeps_fresh_partial() {
    let setup = Setup::new();
    let bytes = pattern(300_000, 22);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let stale_sha = sha256_hex(b"stale");
    std::fs::create_dir_all(setup.staged_dir()).unwrap();
    std::fs::write(setup.partial_path(&sha), &bytes[..90_000]).unwrap();
    let stale = std::fs::File::create(setup.partial_path(&stale_sha)).unwrap();
    stale
        .set_modified(SystemTime::now() - STALE_AGE - Duration::from_secs(60))
        .unwrap();
    std::fs::write(setup.staged_dir().join(".hwupd-a1b2c3"), b"{").unwrap();
    std::fs::write(setup.staged_dir().join("notes.txt"), b"?").unwrap();
    symlink("/etc/passwd", setup.payload_path(&sha256_hex(b"link"))).unwrap();
    std::fs::write(setup.staged_dir().join("index.json"), b"{ not json").unwrap();

    let store = setup.open();

    assert_eq!(
        setup.staged_names(),
        [format!("{sha}.partial"), "index.json".to_owned()]
    );
    assert!(store.list().is_empty());
    stage(&store, setup.request(&path, &sha, 300_000))
        .await
        .unwrap();
    assert_eq!(setup.ranges(), [Some("bytes=90000-".to_owned())]);
}

#[test]
fn free_space_check_uses_margin() {
    let folder = Path::new("/var/lib/hwupd/staged");
    let gib = 1024 * 1024 * 1024;
    let roomy = FsSpace {
        total: 100 * gib,
        available: 10 * gib,
    };
    let tight = FsSpace {
        total: gib,
        available: 100 * 1024 * 1024,
    };

    assert!(check_free_space(folder, 256 * 1024 * 1024, roomy).is_ok());
    let error = check_free_space(folder, 50 * 1024 * 1024, tight).unwrap_err();

    let StageError::NoSpace {
        folder: named,
        needed,
        free,
    } = &error
    else {
        panic!("expected NoSpace, got {error:?}");
    };
    assert_eq!(named, folder);
    assert_eq!(*needed, 50 * 1024 * 1024 + MIN_SPACE_MARGIN);
    assert_eq!(*free, 100 * 1024 * 1024);
    let message = error.to_string();
    assert!(message.contains("/var/lib/hwupd/staged"), "{message}");
    assert!(message.contains(&needed.to_string()), "{message}");
    assert!(message.contains("104857600 bytes free"), "{message}");
}

#[test]
fn free_space_reads_real_filesystem() {
    let dir = tempfile::tempdir().unwrap();

    let space = FsSpace::of(dir.path()).unwrap();

    assert!(space.total > 0);
    assert!(space.available <= space.total);
    // The margin is never zero, so all the free space is never enough.
    let error = check_free_space(dir.path(), space.available, space).unwrap_err();
    assert!(matches!(error, StageError::NoSpace { free, .. } if free == space.available));
}

/// Creates a local remote's folder with one payload, and a secret file outside it.
fn local_remote() -> (tempfile::TempDir, PathBuf, Vec<u8>, String) {
    let root = tempfile::tempdir().unwrap();
    let remote = root.path().join("remote");
    std::fs::create_dir_all(remote.join("fw")).unwrap();
    let bytes = pattern(70_000, 23);
    std::fs::write(remote.join("fw/nic.bin"), &bytes).unwrap();
    std::fs::write(root.path().join("secret.bin"), &bytes).unwrap();
    let sha = sha256_hex(&bytes);
    (root, remote, bytes, sha)
}

#[tokio::test]
async fn local_remote_copies_payload() {
    let (root, remote, bytes, sha) = local_remote();
    symlink("nic.bin", remote.join("fw/alias.bin")).unwrap();
    let store = StagingStore::open(&root.path().join("state")).unwrap();
    let base = CatalogBase::Folder(remote);

    let staged = stage(&store, request(base.clone(), "fw/nic.bin", &sha, 70_000))
        .await
        .unwrap();
    store.unstage("lab", "nic-2.1.0").unwrap();
    let aliased = stage(&store, request(base, "fw/alias.bin", &sha, 70_000))
        .await
        .unwrap();

    assert_eq!(std::fs::read(&staged.path).unwrap(), bytes);
    assert_eq!(aliased.sha256, sha);
}

#[tokio::test]
async fn local_remote_rejects_escaping_paths() {
    let (root, remote, _, sha) = local_remote();
    symlink("../../secret.bin", remote.join("fw/link.bin")).unwrap();
    symlink(root.path(), remote.join("outside")).unwrap();
    symlink("/etc/passwd", remote.join("absolute.bin")).unwrap();
    let store = StagingStore::open(&root.path().join("state")).unwrap();
    let base = CatalogBase::Folder(remote);

    for path in [
        "../secret.bin",
        "fw/../../secret.bin",
        "fw/link.bin",
        "outside/secret.bin",
        "absolute.bin",
    ] {
        let error = stage(&store, request(base.clone(), path, &sha, 70_000)).await;
        assert!(
            matches!(error, Err(StageError::PathEscapes { .. })),
            "{path}: {error:?}"
        );
    }
    assert!(store.list().is_empty());
}

#[tokio::test]
async fn local_remote_rejects_fifo_without_blocking() {
    let (root, remote, _, sha) = local_remote();
    nix::unistd::mkfifo(&remote.join("fw/pipe.bin"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let store = StagingStore::open(&root.path().join("state")).unwrap();

    let error = stage(
        &store,
        request(CatalogBase::Folder(remote), "fw/pipe.bin", &sha, 70_000),
    )
    .await;

    assert!(matches!(error, Err(StageError::Io { .. })), "{error:?}");
}

#[tokio::test]
async fn local_remote_checks_size() {
    let (root, remote, _, sha) = local_remote();
    let store = StagingStore::open(&root.path().join("state")).unwrap();
    let base = CatalogBase::Folder(remote);

    let longer = stage(&store, request(base.clone(), "fw/nic.bin", &sha, 69_999)).await;
    let shorter = stage(&store, request(base, "fw/nic.bin", &sha, 70_001)).await;

    assert!(
        matches!(longer, Err(StageError::TooLarge { .. })),
        "{longer:?}"
    );
    assert!(
        matches!(shorter, Err(StageError::SizeMismatch { .. })),
        "{shorter:?}"
    );
}

/// Stages the payload of `staged_setup` again for `release` on `device`.
async fn stage_for(setup: &Setup, store: &StagingStore, sha: &str, release: &str, device: &str) {
    let mut request = setup.request("fw/nic.bin", sha, 200_000);
    request.release_id = release.to_owned();
    request.device_id = device.to_owned();
    stage(store, request).await.unwrap();
}

#[tokio::test]
async fn remove_for_device_keeps_shared_payload() {
    let (setup, store, _, sha) = staged_setup(18).await;
    stage_for(&setup, &store, &sha, "nic-2.1.0", "pci-0000-04-00.0").await;

    let removed = store
        .remove_for_device("nic-2.1.0", "pci-0000-03-00.0")
        .unwrap();

    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].device_id, "pci-0000-03-00.0");
    assert!(setup.payload_path(&sha).exists());
    assert_eq!(index_items(&setup.staged_dir()).len(), 1);

    store
        .remove_for_device("nic-2.1.0", "pci-0000-04-00.0")
        .unwrap();
    assert!(!setup.payload_path(&sha).exists());
    assert!(store.list().is_empty());
    assert!(index_items(&setup.staged_dir()).is_empty());
    let again = store.remove_for_device("nic-2.1.0", "pci-0000-04-00.0");
    assert!(again.unwrap().is_empty());
}

/// Records `states` in order for `release_id` on `device_id`.
fn record_states(history: &mut History, release_id: &str, device_id: &str, states: &[UpdateState]) {
    for state in states {
        let transition = Transition {
            state: *state,
            time: jiff::Timestamp::now(),
            device_id: device_id.to_owned(),
            device_name: "NIC".to_owned(),
            release_id: release_id.to_owned(),
            remote_id: "lab".to_owned(),
            version_before: "2.0".to_owned(),
            version_after: "2.1".to_owned(),
            payload_sha256: None,
            install_method: InstallMethod::Emulated,
            reason: None,
        };
        history.record(&transition).unwrap();
    }
}

#[tokio::test]
async fn remove_applied_keeps_pending_updates() {
    use UpdateState::{Applying, Failed, PendingReboot, RolledBack, Staged, Succeeded};
    let (setup, store, _, sha) = staged_setup(19).await;
    let cases = [
        ("succeeded", vec![Staged, Applying, Succeeded], false),
        (
            "rolled-back",
            vec![Staged, Applying, Succeeded, RolledBack],
            false,
        ),
        (
            "pending-reboot",
            vec![Staged, Applying, PendingReboot, RolledBack],
            true,
        ),
        ("failed", vec![Staged, Applying, Failed], true),
        ("staged", vec![Staged], true),
        ("no-history", vec![], true),
    ];
    let mut history = History::open_in(&setup.state_dir()).unwrap();
    for (release, states, _) in &cases {
        stage_for(&setup, &store, &sha, release, "pci-0000-03-00.0").await;
        record_states(&mut history, release, "pci-0000-03-00.0", states);
    }
    // The same release on another device that has not applied it keeps its entry.
    stage_for(&setup, &store, &sha, "succeeded", "pci-0000-04-00.0").await;

    remove_applied(&store, &history);

    let left: Vec<(String, String)> = store
        .list()
        .into_iter()
        .map(|item| (item.release_id, item.device_id))
        .collect();
    for (release, _, kept) in &cases {
        let entry = (release.to_string(), "pci-0000-03-00.0".to_string());
        assert_eq!(left.contains(&entry), *kept, "{release}: {left:?}");
    }
    let other_device = ("succeeded".to_string(), "pci-0000-04-00.0".to_string());
    assert!(left.contains(&other_device), "{left:?}");
    assert!(setup.payload_path(&sha).exists());
    assert_eq!(index_items(&setup.staged_dir()).len(), left.len());
}

#[tokio::test]
async fn remove_applied_deletes_unused_payload() {
    let (setup, store, _, sha) = staged_setup(20).await;
    let mut history = History::open_in(&setup.state_dir()).unwrap();
    let states = [
        UpdateState::Staged,
        UpdateState::Applying,
        UpdateState::Succeeded,
    ];
    record_states(&mut history, "nic-2.1.0", "pci-0000-03-00.0", &states);

    remove_applied(&store, &history);

    assert!(store.list().is_empty());
    assert!(!setup.payload_path(&sha).exists());
    assert!(index_items(&setup.staged_dir()).is_empty());
}

/// Waits until the test server has received a request held by `Fault::Hold(hold)`.
async fn wait_until_received(hold: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !hold.join("received").exists() {
        assert!(Instant::now() < deadline, "the server received no request");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn unstage_during_stage_is_rejected() {
    let setup = Setup::new();
    let bytes = pattern(100_000, 21);
    let sha = sha256_hex(&bytes);
    let path = setup.serve("fw/nic.bin", &bytes);
    let hold = setup.root.path().join("hold");
    std::fs::create_dir(&hold).unwrap();
    setup.server.set_fault(&path, Fault::Hold(hold.clone()));
    let store = setup.open();
    let request = setup.request(&path, &sha, bytes.len() as u64);

    let unstage_while_held = async {
        wait_until_received(&hold).await;
        let one_remote = store.unstage("lab", "nic-2.1.0");
        let every_remote = store.unstage_release("nic-2.1.0");
        let other_release = store.unstage("lab", "nic-2.1.1");
        std::fs::write(hold.join("release"), b"").unwrap();
        (one_remote, every_remote, other_release)
    };
    let (staged, (one_remote, every_remote, other_release)) =
        tokio::join!(stage(&store, request), unstage_while_held);

    for rejected in [one_remote, every_remote] {
        assert!(
            matches!(&rejected, Err(StageError::BeingStaged { release_id, sha256 })
                if release_id == "nic-2.1.0" && *sha256 == sha),
            "{rejected:?}"
        );
        let message = rejected.unwrap_err().to_string();
        assert!(
            message.contains("wait for the stage job to finish"),
            "{message}"
        );
    }
    assert!(other_release.unwrap().is_empty());
    assert!(staged.is_ok(), "{staged:?}");
    assert_eq!(store.list().len(), 1);
    assert!(setup.payload_path(&sha).exists());

    // Once the stage call has ended, the release can be unstaged.
    assert_eq!(store.unstage("lab", "nic-2.1.0").unwrap().len(), 1);
    assert!(!setup.payload_path(&sha).exists());
}
