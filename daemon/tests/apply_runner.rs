//! The apply runner against copies of the laptop fixture: emulated devices, capsule on
//! disk across a reboot, a daemon killed at each step of an apply, and rollbacks.

#[allow(dead_code)]
#[path = "backends/support.rs"]
mod support;

#[allow(dead_code)]
#[path = "backends/kmod_fixture.rs"]
mod kmod_fixture;

#[path = "apply_runner/capsule.rs"]
mod capsule;
#[path = "apply_runner/faults.rs"]
mod faults;
#[path = "apply_runner/rig.rs"]
mod rig;
#[path = "apply_runner/rollback.rs"]
mod rollback;

use std::fs;

use hwupd::engine::{ApplyError, Outcome};
use hwupd::history::UpdateState::*;

use rig::{emulated_release, Rig};

#[test]
fn success_records_versions() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");

    let result = rig.apply(&device, &release).unwrap();

    let version = "1.2.4".to_string();
    assert_eq!(result.outcome, Outcome::Succeeded { version });
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Succeeded]);
    let records = rig.records(&device, &release);
    let succeeded = &records[2];
    assert_eq!(succeeded.attempt_id, Some(result.attempt_id));
    assert_eq!(succeeded.transition.version_before, "1.2.3");
    assert_eq!(succeeded.transition.version_after, "1.2.4");
    assert_eq!(rig.emulated_device().version, "1.2.4");
    assert!(rig.pending_files().is_empty());
}

#[test]
fn verify_failure_records_reason() {
    let mut rig = Rig::emulated("verify");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");

    let result = rig.apply(&device, &release).unwrap();

    let Outcome::Failed { reason } = result.outcome else {
        panic!("expected a failure, got {:?}", result.outcome);
    };
    assert!(reason.starts_with("verification failed"), "{reason}");
    assert!(reason.contains("1.2.3"), "{reason}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    assert!(rig.pending_files().is_empty());
}

#[test]
fn apply_failure_records_reason() {
    let mut rig = Rig::emulated("apply");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");

    let result = rig.apply(&device, &release).unwrap();

    let Outcome::Failed { reason } = result.outcome else {
        panic!("expected a failure, got {:?}", result.outcome);
    };
    assert!(reason.contains("failure = \"apply\""), "{reason}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    assert_eq!(rig.emulated_device().version, "1.2.3");
}

#[test]
fn tampered_payload_is_never_applied() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    let staged = rig.staging.path_of(&release.payload.sha256).unwrap();
    fs::write(&staged, b"9.9.9\n").unwrap();

    let result = rig.apply(&device, &release).unwrap();

    let Outcome::Failed { reason } = result.outcome else {
        panic!("expected a failure, got {:?}", result.outcome);
    };
    assert!(reason.contains("SHA-256"), "{reason}");
    assert!(reason.contains(&release.payload.sha256), "{reason}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    assert_eq!(rig.emulated_device().version, "1.2.3");
    assert!(!staged.exists(), "the changed payload is deleted");
}

#[test]
fn already_succeeded_is_rejected() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    rig.apply(&device, &release).unwrap();

    let error = rig.apply(&device, &release).unwrap_err();

    assert!(
        matches!(error, ApplyError::AlreadySucceeded { .. }),
        "{error:?}"
    );
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Succeeded]);
}

#[test]
fn unstaged_release_is_rejected() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    release.payload.sha256 = "ab".repeat(32);

    let error = rig.apply(&device, &release).unwrap_err();

    assert!(matches!(error, ApplyError::NotStaged { .. }), "{error:?}");
    assert!(rig.states(&device, &release).is_empty());
}

#[test]
fn retry_after_failure_starts_new_attempt() {
    let mut rig = Rig::emulated("apply");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    let first = rig.apply(&device, &release).unwrap();
    rig = Rig::new(rig.machine, &rig::emulated_config("none"));

    let second = rig.apply(&device, &release).unwrap();

    assert_ne!(first.attempt_id, second.attempt_id);
    let expected = [Staged, Applying, Failed, Staged, Applying, Succeeded];
    assert_eq!(rig.states(&device, &release), expected);
}

#[test]
fn runs_on_blocking_pool_thread() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();

    let outcome = runtime.block_on(async move {
        let task = tokio::task::spawn_blocking(move || rig.apply(&device, &release).unwrap());
        task.await.unwrap().outcome
    });

    let version = "1.2.4".to_string();
    assert_eq!(outcome, Outcome::Succeeded { version });
}
