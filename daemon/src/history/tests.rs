//! Tests of the history database on real files.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use jiff::Timestamp;
use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::catalog::document::InstallMethod;
use crate::engine::INTERRUPTED_REASON;
use UpdateState::*;

fn transition(state: UpdateState, device: &str, release: &str) -> Transition {
    Transition {
        state,
        time: Timestamp::from_second(1_767_225_600).unwrap(),
        device_id: device.to_string(),
        device_name: format!("Device {device}"),
        release_id: release.to_string(),
        remote_id: "vendor".to_string(),
        version_before: "1.0.0".to_string(),
        version_after: "1.2.0".to_string(),
        payload_sha256: Some("ab".repeat(32)),
        install_method: InstallMethod::UefiCapsule,
        reason: None,
    }
}

fn open_temp() -> (tempfile::TempDir, History) {
    let dir = tempfile::tempdir().unwrap();
    let history = History::open_in(dir.path()).unwrap();
    (dir, history)
}

fn record_all(history: &mut History, states: &[UpdateState], device: &str, release: &str) {
    for &state in states {
        history.record(&transition(state, device, release)).unwrap();
    }
}

fn states_of(records: &[Record]) -> Vec<UpdateState> {
    records.iter().map(|r| r.transition.state).collect()
}

#[test]
fn every_state_recorded_and_read_back() {
    let (_dir, mut history) = open_temp();
    let success = [
        Offered,
        Deferred,
        Approved,
        Staged,
        Applying,
        PendingReboot,
        Succeeded,
    ];
    let failure = [Staged, Applying, Failed, RolledBack, Offered];
    let mut written = Vec::new();
    for (states, release) in [(&success[..], "bios-2"), (&failure[..], "tb-7")] {
        for (n, &state) in states.iter().enumerate() {
            let mut t = transition(state, "dev-a", release);
            t.time = Timestamp::from_second(1_767_225_600 + n as i64).unwrap();
            t.reason = Some(format!("step {n}"));
            t.install_method = InstallMethod::Thunderbolt;
            let id = history.record(&t).unwrap();
            written.push((id, t));
        }
    }

    let records = history.list(&Filter::default()).unwrap();
    assert_eq!(records.len(), written.len());
    for (record, (id, t)) in records.iter().zip(&written) {
        assert_eq!(record.id, *id);
        assert_eq!(&record.transition, t);
        assert_eq!(record.time_unix, t.time.as_second());
    }
    let seen: std::collections::BTreeSet<_> = states_of(&records).into_iter().collect();
    assert_eq!(seen.len(), ALL_STATES.len());
}

#[test]
fn state_names_are_kebab_case() {
    for state in ALL_STATES {
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(json, format!("\"{}\"", state.as_str()));
        assert_eq!(state.as_str().parse::<UpdateState>().unwrap(), state);
    }
    assert_eq!(PendingReboot.as_str(), "pending-reboot");
    assert_eq!(RolledBack.as_str(), "rolled-back");
    assert!("PendingReboot".parse::<UpdateState>().is_err());
}

#[test]
fn transition_table_is_exact() {
    let expected: [(Option<UpdateState>, &[UpdateState]); 10] = [
        (None, &[Offered, Deferred, Approved, Staged]),
        (Some(Offered), &[Offered, Deferred, Approved, Staged]),
        (Some(Deferred), &[Offered, Deferred, Approved, Staged]),
        (
            Some(Approved),
            &[Offered, Deferred, Approved, Staged, Applying],
        ),
        (
            Some(Staged),
            &[Offered, Deferred, Approved, Staged, Applying],
        ),
        (
            Some(Applying),
            &[PendingReboot, Succeeded, Failed, RolledBack],
        ),
        (Some(PendingReboot), &[Succeeded, Failed, RolledBack]),
        (Some(Succeeded), &[Failed, RolledBack]),
        (
            Some(Failed),
            &[Offered, Deferred, Approved, Staged, RolledBack],
        ),
        (Some(RolledBack), &[Offered, Deferred, Approved, Staged]),
    ];
    for (from, allowed) in expected {
        for to in ALL_STATES {
            let valid = allowed.contains(&to);
            assert_eq!(UpdateState::can_follow(from, to), valid, "{from:?} -> {to}");
        }
    }
}

#[test]
fn invalid_transitions_rejected() {
    let (_dir, mut history) = open_temp();
    let cases: [(&[UpdateState], UpdateState); 6] = [
        (&[], Succeeded),
        (&[], Applying),
        (&[Offered], Applying),
        (&[Approved, Applying], Applying),
        (&[Staged, Applying, Succeeded], Offered),
        (&[Staged, Applying, PendingReboot], Staged),
    ];
    for (n, (before, to)) in cases.into_iter().enumerate() {
        let release = format!("rel-{n}");
        record_all(&mut history, before, "dev", &release);
        let error = history
            .record(&transition(to, "dev", &release))
            .unwrap_err();

        let HistoryError::InvalidTransition { from, to: got, .. } = &error else {
            panic!("expected InvalidTransition, got {error}");
        };
        assert_eq!(*from, before.last().copied());
        assert_eq!(*got, to);
        assert!(error.to_string().contains(&release), "{error}");
        let stored = history.last_state("dev", &release).unwrap();
        assert_eq!(stored, before.last().copied());
    }
}

#[test]
fn invalid_transition_message_lists_next_states() {
    let (_dir, mut history) = open_temp();
    let error = history
        .record(&transition(Succeeded, "dev", "rel"))
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("no record to succeeded"), "{message}");
    assert!(
        message.contains("offered, deferred, approved, staged"),
        "{message}"
    );
}

#[test]
fn repeated_standing_state_not_recorded() {
    let (_dir, mut history) = open_temp();
    let first = history.record(&transition(Offered, "d", "r")).unwrap();
    let again = history.record(&transition(Offered, "d", "r")).unwrap();
    assert_eq!(again, first);

    let mut deferred = transition(Deferred, "d", "r");
    deferred.reason = Some("deferred 7 days for high severity".to_string());
    let d1 = history.record(&deferred).unwrap();
    let d2 = history.record(&deferred).unwrap();
    assert_eq!(d1, d2);

    deferred.reason = Some("outside maintenance window".to_string());
    let d3 = history.record(&deferred).unwrap();
    assert_ne!(d3, d2);
    history.record(&transition(Offered, "d", "r")).unwrap();

    let states = states_of(&history.list(&Filter::default()).unwrap());
    assert_eq!(states, [Offered, Deferred, Deferred, Offered]);
}

#[test]
fn repeat_of_other_update_is_recorded() {
    let (_dir, mut history) = open_temp();
    history.record(&transition(Offered, "d1", "r")).unwrap();
    history.record(&transition(Offered, "d2", "r")).unwrap();
    history.record(&transition(Offered, "d1", "r2")).unwrap();
    assert_eq!(history.list(&Filter::default()).unwrap().len(), 3);
}

#[test]
fn attempt_ids_group_an_apply() {
    let (_dir, mut history) = open_temp();
    record_all(&mut history, &[Offered, Staged], "d", "r");
    let first = history.record(&transition(Applying, "d", "r")).unwrap();
    record_all(&mut history, &[Failed, RolledBack, Staged], "d", "r");
    let second = history.record(&transition(Applying, "d", "r")).unwrap();
    record_all(&mut history, &[PendingReboot, Succeeded], "d", "r");

    let attempts: Vec<Option<i64>> = history
        .list(&Filter::default())
        .unwrap()
        .iter()
        .map(|r| r.attempt_id)
        .collect();
    let expected = [
        None,
        None,
        Some(first),
        Some(first),
        Some(first),
        None,
        Some(second),
        Some(second),
        Some(second),
    ];
    assert_eq!(attempts, expected);

    let filter = Filter {
        attempt_id: Some(first),
        ..Filter::default()
    };
    let grouped = states_of(&history.list(&filter).unwrap());
    assert_eq!(grouped, [Applying, Failed, RolledBack]);
}

#[test]
fn rollback_after_success_joins_the_attempt() {
    let (_dir, mut history) = open_temp();
    record_all(&mut history, &[Staged, Applying, Succeeded], "d", "r");
    record_all(&mut history, &[RolledBack], "d", "r");

    let attempt = history.attempts().unwrap().pop().unwrap();

    assert_eq!(attempt.latest.transition.state, RolledBack);
    assert_eq!(attempt.latest.attempt_id, Some(attempt.attempt_id));
    assert!(history.has_succeeded("d", "r").unwrap());
}

#[test]
fn failed_rollback_can_be_retried() {
    let (_dir, mut history) = open_temp();
    record_all(&mut history, &[Staged, Applying, Succeeded], "d", "r");
    record_all(&mut history, &[Failed, RolledBack], "d", "r");

    let attempt = history.attempts().unwrap().pop().unwrap();

    assert_eq!(attempt.latest.transition.state, RolledBack);
    let grouped = Filter {
        attempt_id: Some(attempt.attempt_id),
        ..Filter::default()
    };
    let states = states_of(&history.list(&grouped).unwrap());
    assert_eq!(states, [Applying, Succeeded, Failed, RolledBack]);
}

#[test]
fn attempts_report_latest_state() {
    let (_dir, mut history) = open_temp();
    record_all(&mut history, &[Staged, Applying, Failed, Staged], "d", "r");
    record_all(&mut history, &[Approved, Applying], "d", "r");
    record_all(&mut history, &[Staged, Applying, PendingReboot], "e", "r");

    let attempts = history.attempts().unwrap();
    let latest: Vec<UpdateState> = attempts.iter().map(|a| a.latest.transition.state).collect();
    assert_eq!(latest, [Failed, Applying, PendingReboot]);
    for attempt in &attempts {
        assert_eq!(attempt.start.transition.state, Applying);
        assert_eq!(attempt.start.id, attempt.attempt_id);
        assert_eq!(attempt.latest.attempt_id, Some(attempt.attempt_id));
    }
}

#[test]
fn interrupted_attempts_found_after_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let attempt_id = {
        let mut history = History::open_in(dir.path()).unwrap();
        record_all(&mut history, &[Staged], "d1", "r");
        record_all(&mut history, &[Staged, Applying, Succeeded], "d2", "r");
        record_all(&mut history, &[Staged, Applying, PendingReboot], "d3", "r");
        history.record(&transition(Applying, "d1", "r")).unwrap()
    };

    let mut history = History::open_in(dir.path()).unwrap();
    let interrupted = history.interrupted_attempts().unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].attempt_id, Some(attempt_id));
    assert_eq!(interrupted[0].transition.device_id, "d1");

    let id = history
        .mark_interrupted(attempt_id, INTERRUPTED_REASON)
        .unwrap();
    let record = history.last_record("d1", "r").unwrap().unwrap();
    assert_eq!(record.id, id);
    assert_eq!(record.transition.state, Failed);
    assert_eq!(record.attempt_id, Some(attempt_id));
    assert_eq!(
        record.transition.reason.as_deref(),
        Some(INTERRUPTED_REASON)
    );
    assert!(history.interrupted_attempts().unwrap().is_empty());
}

#[test]
fn mark_interrupted_checks_the_attempt() {
    let (_dir, mut history) = open_temp();
    record_all(&mut history, &[Staged], "d", "r");
    let attempt_id = history.record(&transition(Applying, "d", "r")).unwrap();
    history.record(&transition(Succeeded, "d", "r")).unwrap();

    let error = history.mark_interrupted(attempt_id, "x").unwrap_err();
    assert!(matches!(
        error,
        HistoryError::NotInterrupted {
            state: Succeeded,
            ..
        }
    ));
    let error = history.mark_interrupted(9999, "x").unwrap_err();
    assert!(matches!(
        error,
        HistoryError::AttemptNotFound { attempt_id: 9999 }
    ));
}

#[test]
fn has_succeeded_blocks_a_second_apply() {
    let (_dir, mut history) = open_temp();
    record_all(
        &mut history,
        &[Approved, Applying, Failed, Approved],
        "d",
        "r",
    );
    assert!(!history.has_succeeded("d", "r").unwrap());

    record_all(&mut history, &[Applying, Succeeded], "d", "r");
    assert!(history.has_succeeded("d", "r").unwrap());
    assert!(!history.has_succeeded("other", "r").unwrap());
    assert!(!history.has_succeeded("d", "other").unwrap());

    let again = history.record(&transition(Approved, "d", "r"));
    assert!(matches!(again, Err(HistoryError::InvalidTransition { .. })));
}

#[test]
fn list_filters_combine() {
    let (_dir, mut history) = open_temp();
    for (n, device) in ["a", "b", "a", "b"].iter().enumerate() {
        let release = format!("r{n}");
        let mut t = transition(Offered, device, &release);
        t.time = Timestamp::from_second(1_000_000 + 100 * n as i64).unwrap();
        history.record(&t).unwrap();
    }
    record_all(&mut history, &[Staged], "a", "r0");

    let by = |filter: Filter| -> Vec<String> {
        let records = history.list(&filter).unwrap();
        let names = records.iter().map(|r| {
            let t = &r.transition;
            format!("{}/{}/{}", t.device_id, t.release_id, t.state)
        });
        names.collect()
    };
    let device_a = by(Filter {
        device_id: Some("a".into()),
        ..Filter::default()
    });
    assert_eq!(device_a, ["a/r0/offered", "a/r2/offered", "a/r0/staged"]);

    let release_staged = by(Filter {
        release_id: Some("r0".into()),
        state: Some(Staged),
        ..Filter::default()
    });
    assert_eq!(release_staged, ["a/r0/staged"]);

    let since = by(Filter {
        since: Some(Timestamp::from_second(1_000_200).unwrap()),
        state: Some(Offered),
        ..Filter::default()
    });
    assert_eq!(since, ["a/r2/offered", "b/r3/offered"]);

    let latest_two = by(Filter {
        limit: Some(2),
        ..Filter::default()
    });
    assert_eq!(latest_two, ["b/r3/offered", "a/r0/staged"]);
}

#[test]
fn invalid_fields_rejected() {
    let (_dir, mut history) = open_temp();
    let mut cases = Vec::new();
    let mut t = transition(Offered, "", "r");
    cases.push(("device_id", t.clone()));
    t = transition(Offered, "d", &"r".repeat(MAX_ID_BYTES + 1));
    cases.push(("release_id", t.clone()));
    t = transition(Offered, "d", "r");
    t.remote_id = "vendor\n".into();
    cases.push(("remote_id", t.clone()));
    t = transition(Offered, "d", "r");
    t.payload_sha256 = Some("zz".repeat(32));
    cases.push(("payload_sha256", t.clone()));
    t.payload_sha256 = Some("ab".repeat(31));
    cases.push(("payload_sha256", t));

    for (field, t) in cases {
        let error = history.record(&t).unwrap_err();
        let HistoryError::InvalidField { field: got, .. } = error else {
            panic!("expected InvalidField for {field}, got {error}");
        };
        assert_eq!(got, field);
    }
    assert!(history.list(&Filter::default()).unwrap().is_empty());
}

#[test]
fn long_text_cut_at_char_boundary() {
    let (_dir, mut history) = open_temp();
    let mut t = transition(Offered, "d", "r");
    t.reason = Some("é".repeat(MAX_TEXT_BYTES));
    t.device_name = "x".repeat(MAX_TEXT_BYTES * 2);
    t.payload_sha256 = Some("AB".repeat(32));
    history.record(&t).unwrap();

    let stored = history.last_record("d", "r").unwrap().unwrap().transition;
    let reason = stored.reason.unwrap();
    assert_eq!(reason.len(), MAX_TEXT_BYTES);
    assert!(reason.chars().all(|c| c == 'é'));
    assert_eq!(stored.device_name.len(), MAX_TEXT_BYTES);
    assert_eq!(stored.payload_sha256.unwrap(), "ab".repeat(32));
}

#[test]
fn time_stored_as_rfc3339_and_unix_seconds() {
    let (dir, mut history) = open_temp();
    let mut t = transition(Offered, "d", "r");
    t.time = "2026-03-29T01:30:45.999Z".parse().unwrap();
    history.record(&t).unwrap();

    let record = history.last_record("d", "r").unwrap().unwrap();
    assert_eq!(record.time_unix, 1_774_747_845);
    assert_eq!(record.transition.time.to_string(), "2026-03-29T01:30:45Z");
    let reader = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let (text, unix): (String, i64) = reader
        .query_row("SELECT time_rfc3339, time_unix FROM transitions", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(text, "2026-03-29T01:30:45Z");
    assert_eq!(unix, 1_774_747_845);
}

#[test]
fn record_json_is_flat() {
    let (_dir, mut history) = open_temp();
    history.record(&transition(PendingReboot, "d", "r")).ok();
    history.record(&transition(Approved, "d", "r")).unwrap();
    let record = history.last_record("d", "r").unwrap().unwrap();
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["state"], "approved");
    assert_eq!(json["time"], "2026-01-01T00:00:00Z");
    assert_eq!(json["time_unix"], 1_767_225_600);
    assert_eq!(json["install_method"], "uefi-capsule");
    assert_eq!(json["attempt_id"], serde_json::Value::Null);
    let back: Record = serde_json::from_value(json).unwrap();
    assert_eq!(back, record);
}

#[test]
fn database_settings() {
    let (dir, history) = open_temp();
    let path = dir.path().join(FILE_NAME);
    assert_eq!(history.path(), path);
    let pragma = |name: &str| -> String {
        history
            .connection
            .pragma_query_value(None, name, |row| row.get::<_, rusqlite::types::Value>(0))
            .map(|value| format!("{value:?}"))
            .unwrap()
    };
    assert_eq!(pragma("journal_mode"), "Text(\"wal\")");
    assert_eq!(pragma("synchronous"), "Integer(2)");
    assert_eq!(pragma("user_version"), format!("Integer({SCHEMA_VERSION})"));
    assert_eq!(pragma("busy_timeout"), "Integer(5000)");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn reader_does_not_block_writer() {
    let (dir, mut history) = open_temp();
    history.record(&transition(Offered, "d", "r")).unwrap();

    let mut reader = Connection::open(dir.path().join(FILE_NAME)).unwrap();
    let snapshot = reader.transaction().unwrap();
    let count = |c: &Connection| -> i64 {
        c.query_row("SELECT COUNT(*) FROM transitions", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&snapshot), 1);

    history.record(&transition(Staged, "d", "r")).unwrap();
    assert_eq!(count(&snapshot), 1);
    snapshot.commit().unwrap();
    assert_eq!(count(&reader), 2);
}

fn aside_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".corrupt-"))
        .collect();
    names.sort();
    names
}

#[test]
fn garbage_file_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    let garbage = b"this is not a database, it is garbage\n".repeat(200);
    std::fs::write(&path, &garbage).unwrap();
    std::fs::write(dir.path().join("history.sqlite-wal"), b"stale wal").unwrap();

    let mut history = History::open(&path).unwrap();
    history.record(&transition(Offered, "d", "r")).unwrap();
    assert_eq!(history.list(&Filter::default()).unwrap().len(), 1);

    // SQLite may delete the invalid WAL when it closes the unreadable file, so only the
    // database itself is sure to be kept.
    let aside = aside_files(dir.path());
    assert!(aside[0].starts_with("history.sqlite.corrupt-"), "{aside:?}");
    assert_eq!(std::fs::read(dir.path().join(&aside[0])).unwrap(), garbage);
}

#[test]
fn move_aside_takes_wal_and_shm() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    for (suffix, text) in [("", "db"), ("-wal", "wal"), ("-shm", "shm")] {
        std::fs::write(format!("{}{suffix}", path.display()), text).unwrap();
    }
    let now: Timestamp = "2026-02-03T04:05:06Z".parse().unwrap();
    let first = open::move_aside(&path, now).unwrap();
    std::fs::write(&path, "db2").unwrap();
    let second = open::move_aside(&path, now).unwrap();

    let expected = dir.path().join("history.sqlite.corrupt-20260203T040506Z");
    assert_eq!(first, expected);
    assert_eq!(
        second,
        dir.path().join("history.sqlite.corrupt-20260203T040506Z.1")
    );
    assert_eq!(std::fs::read_to_string(&first).unwrap(), "db");
    assert_eq!(std::fs::read_to_string(&second).unwrap(), "db2");
    let wal = format!("{}-wal", first.display());
    assert_eq!(std::fs::read_to_string(wal).unwrap(), "wal");
    let shm = format!("{}-shm", first.display());
    assert_eq!(std::fs::read_to_string(shm).unwrap(), "shm");
    assert!(!path.exists());
}

#[test]
fn short_garbage_file_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::write(&path, b"\x00\x01garbage").unwrap();
    History::open(&path).unwrap();
    assert_eq!(aside_files(dir.path()).len(), 1);
}

#[test]
fn corrupt_pages_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    {
        let mut history = History::open(&path).unwrap();
        for n in 0..200 {
            let mut t = transition(Offered, "d", &format!("release-{n}"));
            t.reason = Some("padding ".repeat(50));
            history.record(&t).unwrap();
        }
        let checkpoint = "PRAGMA wal_checkpoint(TRUNCATE)";
        history.connection.execute_batch(checkpoint).unwrap();
    }

    // Overwrite every page after the first with a pattern that is no valid b-tree page.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8192, "database is {} bytes", bytes.len());
    for byte in &mut bytes[4096..] {
        *byte = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();

    let history = History::open(&path).unwrap();
    assert!(history.list(&Filter::default()).unwrap().is_empty());
    assert_eq!(aside_files(dir.path()).len(), 1);
}

#[test]
fn newer_schema_kept_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    drop(History::open(&path).unwrap());
    let connection = Connection::open(&path).unwrap();
    connection.pragma_update(None, "user_version", 99).unwrap();
    drop(connection);

    let error = History::open(&path).err().unwrap();
    assert!(matches!(
        error,
        HistoryError::SchemaTooNew {
            found: 99,
            supported: SCHEMA_VERSION,
            ..
        }
    ));
    assert!(error.to_string().contains("upgrade hwupd"), "{error}");
    assert!(aside_files(dir.path()).is_empty());
}

#[test]
fn missing_folder_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("var/lib/hwupd");
    History::open_in(&state).unwrap();
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn unopenable_path_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(FILE_NAME);
    std::fs::create_dir(&path).unwrap();
    let error = History::open(&path).err().unwrap();
    assert!(matches!(error, HistoryError::Open { .. }), "{error}");
    assert!(path.is_dir());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_sequences_stay_valid(
        steps in prop::collection::vec((0usize..9, 0usize..3, any::<bool>()), 1..40),
    ) {
        let (_dir, mut history) = open_temp();
        for (state, release, reasoned) in steps {
            let mut t = transition(ALL_STATES[state], "d", &format!("r{release}"));
            t.reason = reasoned.then(|| "because".to_string());
            let before = history.last_state("d", &t.release_id).unwrap();
            let valid = UpdateState::can_follow(before, t.state);
            prop_assert_eq!(history.record(&t).is_ok(), valid);
        }

        for release in ["r0", "r1", "r2"] {
            let filter = Filter { release_id: Some(release.into()), ..Filter::default() };
            let mut previous = None;
            for record in history.list(&filter).unwrap() {
                prop_assert!(UpdateState::can_follow(previous, record.transition.state));
                previous = Some(record.transition.state);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(
        device in ".{0,300}",
        name in ".{0,300}",
        version in ".{0,40}",
        hash in "[0-9a-fA-Fz]{0,70}",
    ) {
        let (_dir, mut history) = open_temp();
        let mut t = transition(Offered, &device, "r");
        t.device_name = name;
        t.version_before = version;
        t.payload_sha256 = Some(hash);
        if history.record(&t).is_ok() {
            let stored = history.last_record(&device, "r").unwrap().unwrap();
            prop_assert_eq!(stored.transition.device_id, device);
        }
    }
}
