//! thunderbolt against the laptop fixture's host router `0-0`.

use std::fs;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use hwupd::backends::thunderbolt::{Thunderbolt, CHUNK_SIZE};
use hwupd::backends::{ApplyOutcome, Backend, BackendError, BackendsConfig, Context, Progress};
use hwupd::backends::{ThunderboltAuthentication, Verification};
use hwupd::catalog::document::{InstallMethod, Release, VersionFormat};

use crate::support::{release, Machine};

const ROUTER: &str = "/sys/bus/thunderbolt/devices/0-0";

/// Adds the NVM files that the kernel shows for an upgradable router, which the
/// fixture leaves out because the inventory never reads them.
fn router_machine() -> Machine {
    let machine = Machine::copy_of("laptop");
    machine.write(&format!("{ROUTER}/nvm_non_active0/nvmem"), "");
    machine.write(&format!("{ROUTER}/nvm_active0/nvmem"), "active image");
    machine.write(&format!("{ROUTER}/nvm_authenticate"), "0\n");
    machine
}

/// Completes `count` authentication requests with status `0`, as the kernel shows
/// it, in the role of the router's controller. Returns the number completed within
/// a minute.
fn complete_requests(machine: &Machine, count: usize) -> JoinHandle<usize> {
    let file = machine.path(&format!("{ROUTER}/nvm_authenticate"));
    std::thread::spawn(move || {
        let mut completed = 0;
        for _ in 0..60_000 {
            if completed == count {
                break;
            }
            if fs::read_to_string(&file).is_ok_and(|text| text == "1") {
                fs::write(&file, "0\n").unwrap();
                completed += 1;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        completed
    })
}

fn nvm_release(version: &str) -> Release {
    release(InstallMethod::Thunderbolt, version, VersionFormat::Pair)
}

/// Builds an image of three chunks, the last one partial, with distinct bytes per chunk.
fn image() -> Vec<u8> {
    (0..2 * CHUNK_SIZE + 100)
        .map(|i| (i / CHUNK_SIZE) as u8 + 1)
        .collect()
}

/// Returns the real folder behind the router's bus symlink.
fn router_folder(machine: &Machine) -> PathBuf {
    fs::canonicalize(machine.path(ROUTER)).unwrap()
}

fn apply(machine: &Machine, ctx: &Context, bytes: &[u8]) -> Result<ApplyOutcome, BackendError> {
    let device = machine.device("thunderbolt/0-0");
    let payload = machine.file("nvm.bin", bytes);
    Thunderbolt.apply(ctx, &device, &payload, &nvm_release("20.03"))
}

#[test]
fn writes_image_in_chunks_and_authenticates() {
    let machine = router_machine();
    let reports = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&reports);
    let ctx = machine
        .context(BackendsConfig::default())
        .with_progress(Arc::new(move |p: Progress| {
            sink.lock().unwrap().push(p.written)
        }));
    let controller = complete_requests(&machine, 1);

    let outcome = apply(&machine, &ctx, &image()).unwrap();

    assert_eq!(outcome, ApplyOutcome::Done);
    let nvmem = fs::read(machine.path(&format!("{ROUTER}/nvm_non_active0/nvmem"))).unwrap();
    assert_eq!(nvmem, image());
    assert_eq!(
        controller.join().unwrap(),
        1,
        "apply requested authentication"
    );
    assert_eq!(machine.read(&format!("{ROUTER}/nvm_authenticate")), "0\n");
    assert_eq!(
        machine.read(&format!("{ROUTER}/nvm_active0/nvmem")),
        "active image"
    );
    assert_eq!(*reports.lock().unwrap(), [4096, 8192, 8292]);
}

#[test]
fn device_vanishing_mid_write_is_reported() {
    let machine = router_machine();
    let folder = router_folder(&machine);
    let ctx = machine
        .context(BackendsConfig::default())
        .with_progress(Arc::new(move |p: Progress| {
            if p.written == CHUNK_SIZE as u64 {
                fs::remove_dir_all(&folder).unwrap();
            }
        }));

    let error = apply(&machine, &ctx, &image()).unwrap_err();

    let BackendError::DeviceVanished { written, total, .. } = &error else {
        panic!("expected DeviceVanished, got {error:?}");
    };
    assert_eq!(*written, CHUNK_SIZE as u64);
    assert_eq!(*total, image().len() as u64);
    assert!(error.to_string().contains("0-0"), "{error}");
    assert!(
        !error.state_changed(),
        "only the non-active NVM was written"
    );
}

#[test]
fn failed_authentication_write_names_the_file() {
    let machine = router_machine();
    let authenticate = machine.path(&format!("{ROUTER}/nvm_authenticate"));
    let target = authenticate.clone();
    // After the last chunk, a folder takes the file's place, so writing `1` fails.
    let ctx = machine
        .context(BackendsConfig::default())
        .with_progress(Arc::new(move |p: Progress| {
            if p.written == p.total {
                fs::remove_file(&target).unwrap();
                fs::create_dir(&target).unwrap();
            }
        }));

    let error = apply(&machine, &ctx, &image()).unwrap_err();

    assert!(matches!(error, BackendError::Io { .. }), "{error:?}");
    assert!(error.to_string().contains("nvm_authenticate"), "{error}");
    assert!(!error.state_changed());
}

#[test]
fn reapplying_writes_the_same_image() {
    let machine = router_machine();
    let ctx = machine.context(BackendsConfig::default());
    let controller = complete_requests(&machine, 2);

    apply(&machine, &ctx, &image()).unwrap();
    let second = apply(&machine, &ctx, &image()).unwrap();

    assert_eq!(second, ApplyOutcome::Done);
    assert_eq!(controller.join().unwrap(), 2);
    let nvmem = fs::read(machine.path(&format!("{ROUTER}/nvm_non_active0/nvmem"))).unwrap();
    assert_eq!(nvmem, image());
}

#[test]
fn missing_nvm_files_fail_the_check() {
    let machine = Machine::copy_of("laptop");
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device("thunderbolt/0-0");

    let error = Thunderbolt
        .check(&ctx, &device, &nvm_release("20.03"))
        .unwrap_err();

    assert!(matches!(error, BackendError::Missing { .. }), "{error:?}");
    assert!(error.to_string().contains("nvm_non_active"), "{error}");
}

#[test]
fn empty_image_is_rejected() {
    let machine = router_machine();
    let ctx = machine.context(BackendsConfig::default());

    let error = apply(&machine, &ctx, b"").unwrap_err();

    assert!(
        matches!(error, BackendError::InvalidPayload { .. }),
        "{error:?}"
    );
}

#[test]
fn on_disconnect_mode_writes_its_own_file() {
    let machine = router_machine();
    let config = BackendsConfig {
        thunderbolt_authentication: ThunderboltAuthentication::OnDisconnect,
        ..BackendsConfig::default()
    };
    let ctx = machine.context(config);

    let missing = apply(&machine, &ctx, &image()).unwrap_err();
    machine.write(&format!("{ROUTER}/nvm_authenticate_on_disconnect"), "0\n");
    let outcome = apply(&machine, &ctx, &image()).unwrap();

    assert!(
        missing
            .to_string()
            .contains("nvm_authenticate_on_disconnect"),
        "{missing}"
    );
    assert_eq!(outcome, ApplyOutcome::Done);
    assert_eq!(
        machine.read(&format!("{ROUTER}/nvm_authenticate_on_disconnect")),
        "1"
    );
    assert_eq!(machine.read(&format!("{ROUTER}/nvm_authenticate")), "0\n");
    let device = machine.device("thunderbolt/0-0");
    let verification = Thunderbolt.verify(&ctx, &device, &nvm_release("20.03"));
    assert!(
        matches!(verification, Verification::Pending { .. }),
        "{verification:?}"
    );
}

#[test]
fn verify_compares_normalized_nvm_version() {
    let machine = router_machine();
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device("thunderbolt/0-0");

    let before = Thunderbolt.verify(&ctx, &device, &nvm_release("20.03"));
    machine.write(&format!("{ROUTER}/nvm_version"), "20.3\n");
    let after = Thunderbolt.verify(&ctx, &device, &nvm_release("20.03"));

    let Verification::Failed { reason } = before else {
        panic!("expected a failure, got {before:?}");
    };
    assert!(
        reason.contains("reports version 20.02, expected 20.03"),
        "{reason}"
    );
    assert_eq!(after, Verification::Succeeded);
}

#[test]
fn verify_reports_authentication_status() {
    let machine = router_machine();
    machine.write(&format!("{ROUTER}/nvm_version"), "20.3\n");
    machine.write(&format!("{ROUTER}/nvm_authenticate"), "0x5\n");
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device("thunderbolt/0-0");

    let verification = Thunderbolt.verify(&ctx, &device, &nvm_release("20.03"));

    let Verification::Failed { reason } = verification else {
        panic!("expected a failure, got {verification:?}");
    };
    assert!(reason.contains("status 0x5"), "{reason}");
}

#[test]
fn verify_waits_while_router_restarts() {
    let machine = router_machine();
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device("thunderbolt/0-0");
    fs::remove_dir_all(router_folder(&machine)).unwrap();

    let verification = Thunderbolt.verify(&ctx, &device, &nvm_release("20.03"));

    assert!(
        matches!(verification, Verification::Pending { .. }),
        "{verification:?}"
    );
}

#[test]
fn rollback_is_not_offered() {
    let machine = router_machine();
    let ctx = machine.context(BackendsConfig::default());
    let device = machine.device("thunderbolt/0-0");

    let error = Thunderbolt
        .rollback(&ctx, &device, &nvm_release("20.03"))
        .unwrap_err();

    assert!(
        matches!(error, BackendError::NothingToRollBack { .. }),
        "{error:?}"
    );
}
