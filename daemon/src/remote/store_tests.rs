use proptest::prelude::*;

use super::*;

fn record(generation: u64) -> AcceptedRecord {
    AcceptedRecord {
        generation,
        serial: 7,
        sha256: "ab".repeat(32),
        issued: "2025-06-01T00:00:00Z".parse().unwrap(),
        expires: "2025-07-01T00:00:00Z".parse().unwrap(),
        key_id: "CF55337A1261E7DB".to_owned(),
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn status_round_trips() {
    let state = tempfile::tempdir().unwrap();
    let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();
    let status = StoredStatus {
        accepted: Some(record(3)),
        last_refresh: Some("2025-06-02T00:00:00Z".parse().unwrap()),
        last_error: Some(LastError {
            kind: "rollback".to_owned(),
            message: "older".to_owned(),
        }),
        etag: Some("\"12-34\"".to_owned()),
        ..StoredStatus::default()
    };

    dir.write_status(&status).unwrap();

    assert_eq!(dir.read_status(), status);
    let path = state.path().join("remotes/lab/status.json");
    assert!(path.is_file());
}

#[test]
fn read_status_treats_missing_and_damaged_as_empty() {
    let state = tempfile::tempdir().unwrap();
    let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();
    assert_eq!(dir.read_status(), StoredStatus::default());

    std::fs::create_dir_all(dir.path()).unwrap();
    std::fs::write(
        dir.path().join(STATUS_FILE),
        b"{\"accepted\": {\"generation\"",
    )
    .unwrap();

    assert_eq!(dir.read_status(), StoredStatus::default());
}

#[test]
fn remote_dir_rejects_unsafe_ids() {
    let store = RemoteStore::new(Path::new("/var/lib/hwupd"));

    for id in ["..", "../etc", "a/b", "", "Lab"] {
        assert!(store.remote_dir(id).is_err(), "{id}");
    }
    let dir = store.remote_dir("lab").unwrap();
    assert_eq!(dir.path(), Path::new("/var/lib/hwupd/remotes/lab"));
}

#[test]
fn write_pair_then_status_commits() {
    let state = tempfile::tempdir().unwrap();
    let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();

    dir.write_pair(1, b"catalog one", b"signature one").unwrap();
    dir.write_pair(2, b"catalog two", b"signature two").unwrap();
    dir.remove_other_generations(2);

    let (catalog, signature) = dir.read_pair(2).unwrap();
    assert_eq!(catalog, b"catalog two");
    assert_eq!(signature, b"signature two");
    assert_eq!(names(dir.path()), ["generation-2"]);
}

#[test]
fn interrupted_write_leaves_committed_pair() {
    let state = tempfile::tempdir().unwrap();
    let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();
    dir.write_pair(1, b"catalog one", b"signature one").unwrap();
    dir.write_status(&StoredStatus {
        accepted: Some(record(1)),
        ..StoredStatus::default()
    })
    .unwrap();

    // A crash after the new folder was staged, or renamed, but before the status named it.
    std::fs::create_dir(dir.path().join(".incoming-2")).unwrap();
    std::fs::write(dir.path().join(".incoming-2/catalog.json"), b"half").unwrap();
    dir.write_pair(3, b"catalog three", b"signature three")
        .unwrap();

    let generation = dir.read_status().accepted.unwrap().generation;
    assert_eq!(dir.read_pair(generation).unwrap().0, b"catalog one");

    dir.write_pair(2, b"catalog two", b"signature two").unwrap();
    dir.remove_other_generations(2);
    assert_eq!(names(dir.path()), ["generation-2", "status.json"]);
}

#[test]
fn staged_pair_is_published_or_discarded() {
    let state = tempfile::tempdir().unwrap();
    let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();

    dir.stage_pair(1, b"catalog one", b"signature one").unwrap();
    assert_eq!(names(dir.path()), [".incoming-1"]);
    dir.publish_staged(1).unwrap();
    dir.stage_pair(2, b"catalog two", b"signature two").unwrap();
    dir.discard_staged(2);

    assert_eq!(names(dir.path()), ["generation-1"]);
    let (catalog, signature) = dir.read_pair(1).unwrap();
    assert_eq!(catalog, b"catalog one");
    assert_eq!(signature, b"signature one");
}

#[test]
fn read_pair_reports_missing_signature() {
    let state = tempfile::tempdir().unwrap();
    let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();
    dir.write_pair(1, b"catalog", b"signature").unwrap();
    std::fs::remove_file(dir.path().join("generation-1").join(SIGNATURE_FILE)).unwrap();

    assert!(matches!(dir.read_pair(1), Err(ReadError::Io(_))));
}

proptest! {
    #[test]
    fn read_status_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let state = tempfile::tempdir().unwrap();
        let dir = RemoteStore::new(state.path()).remote_dir("lab").unwrap();
        std::fs::create_dir_all(dir.path()).unwrap();
        std::fs::write(dir.path().join(STATUS_FILE), &bytes).unwrap();

        let _ = dir.read_status();
    }
}
