//! Kill-and-restart: a child process runs `apply_one`, blocks at one step and is
//! killed with SIGKILL, then the parent runs `recover` as a restarted daemon would.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hwupd::catalog::document::Release;
use hwupd::device::Device;
use hwupd::engine::{self, Outcome, RecoveryReport, Step, INTERRUPTED_REASON};
use hwupd::history::{History, UpdateState::*};
use hwupd::staging::StagingStore;
use serde::{Deserialize, Serialize};

use crate::capsule::{capsule, capsule_rig, staged_capsule, system_device, system_release};
use crate::rig::{context, emulated_release, Rig, REMOTE};

/// Folder with the child's instructions; the child test does nothing without it.
const DIR_VAR: &str = "HWUPD_TEST_FAULT_DIR";
const READY_FILE: &str = "child-blocked";
const PLAN_FILE: &str = "fault-plan.json";

/// What the child applies, and the step it blocks at.
#[derive(Serialize, Deserialize)]
struct Plan {
    root: PathBuf,
    state_dir: PathBuf,
    config_text: String,
    device_id: String,
    release: Release,
    /// `Debug` name of the [`Step`] to block at.
    step: String,
}

/// Runs in the child process only: applies the planned release and blocks forever at
/// the planned step, after telling the parent through a file.
#[test]
fn child_apply_until_killed() {
    let Some(dir) = std::env::var_os(DIR_VAR).map(PathBuf::from) else {
        return;
    };
    let plan: Plan = serde_json::from_slice(&fs::read(dir.join(PLAN_FILE)).unwrap()).unwrap();
    let root = hwupd::root::Root::new(&plan.root);
    let ctx = context(&root, &plan.state_dir, &plan.config_text);
    let mut history = History::open_in(&plan.state_dir).unwrap();
    let staging = StagingStore::open(&plan.state_dir).unwrap();
    let device = find_device(&ctx, &plan.device_id);

    let mut block = |step: Step| {
        if format!("{step:?}") == plan.step {
            fs::write(dir.join(READY_FILE), b"").unwrap();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    };
    let result = engine::apply_one_observed(
        &ctx,
        &mut history,
        &staging,
        &device,
        &plan.release,
        REMOTE,
        &mut block,
    );
    panic!("the child never reached step {}: {result:?}", plan.step);
}

fn find_device(ctx: &hwupd::backends::Context, id: &str) -> Device {
    let config = hwupd::config::Config {
        backends: ctx.config.clone(),
        emulated: ctx.emulated.clone(),
        ..Default::default()
    };
    let inventory = hwupd::machine::scan(&ctx.root, &ctx.state_dir, &config).unwrap();
    inventory.devices.into_iter().find(|d| d.id == id).unwrap()
}

/// Starts the child on `release`, waits until it blocks at `step`, and kills it.
fn kill_child_at(rig: &Rig, device: &Device, release: &Release, step: Step) {
    let dir = rig.machine.temp.path();
    let plan = Plan {
        root: rig.machine.root.base().to_owned(),
        state_dir: rig.machine.state_dir.clone(),
        config_text: rig.config_text.clone(),
        device_id: device.id.clone(),
        release: release.clone(),
        step: format!("{step:?}"),
    };
    fs::write(dir.join(PLAN_FILE), serde_json::to_vec(&plan).unwrap()).unwrap();

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "faults::child_apply_until_killed", "--nocapture"])
        .env(DIR_VAR, dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_file(&dir.join(READY_FILE), &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    fs::remove_file(dir.join(READY_FILE)).unwrap();
}

/// Waits for the child to create `path`. The deadline only keeps a broken child from
/// hanging the test run.
fn wait_for_file(path: &Path, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the child exited with {status} before blocking");
        }
        assert!(Instant::now() < deadline, "the child never blocked");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stages an emulated update, kills a child applying it at `step`, and recovers.
fn emulated_killed_at(step: Step) -> (Rig, Device, Release, RecoveryReport) {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");
    kill_child_at(&rig, &device, &release, step);
    let report = rig.recover();
    (rig, device, release, report)
}

/// Checks that the update applies once after the recovery and never succeeds twice.
fn assert_applies_once_more(rig: &mut Rig, device: &Device, release: &Release) {
    let result = rig.apply(device, release).unwrap();
    assert!(
        matches!(result.outcome, Outcome::Succeeded { .. }),
        "{result:?}"
    );
    let states = rig.states(device, release);
    let succeeded = states.iter().filter(|state| **state == Succeeded).count();
    assert_eq!(succeeded, 1, "{states:?}");
    assert!(rig.apply(device, release).is_err());
    assert!(rig.pending_files().is_empty());
}

fn last_reason(rig: &Rig, device: &Device, release: &Release) -> String {
    let last = rig.records(device, release).pop().unwrap();
    last.transition.reason.unwrap_or_default()
}

#[test]
fn killed_before_applying_leaves_no_attempt() {
    let (mut rig, device, release, report) = emulated_killed_at(Step::Checked);

    assert_eq!(report, RecoveryReport::default());
    assert_eq!(rig.states(&device, &release), [Staged]);
    assert_eq!(rig.emulated_device().version, "1.2.3");
    assert!(rig.pending_files().is_empty());
    assert_applies_once_more(&mut rig, &device, &release);
}

#[test]
fn killed_after_applying_is_interrupted() {
    let (mut rig, device, release, report) = emulated_killed_at(Step::Started);

    assert_eq!(report.interrupted.len(), 1, "{report:?}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    let reason = last_reason(&rig, &device, &release);
    assert!(reason.starts_with(INTERRUPTED_REASON), "{reason}");
    assert!(reason.contains("version 1.2.3"), "{reason}");
    assert_eq!(rig.emulated_device().version, "1.2.3");
    assert!(rig.pending_files().is_empty());
    assert_eq!(rig.recover(), RecoveryReport::default());
    assert_applies_once_more(&mut rig, &device, &release);
}

#[test]
fn killed_after_backend_apply_is_interrupted() {
    let (mut rig, device, release, report) = emulated_killed_at(Step::BackendApplied);

    assert_eq!(report.interrupted.len(), 1, "{report:?}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    let reason = last_reason(&rig, &device, &release);
    assert!(reason.contains("version 1.2.4"), "{reason}");
    assert_eq!(rig.emulated_device().version, "1.2.4");
    assert!(rig.pending_files().is_empty());
    assert_applies_once_more(&mut rig, &device, &release);
}

#[test]
fn killed_after_verify_is_interrupted() {
    let (mut rig, device, release, report) = emulated_killed_at(Step::Verified);

    assert_eq!(report.interrupted.len(), 1, "{report:?}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    assert_eq!(rig.emulated_device().version, "1.2.4");
    assert!(rig.pending_files().is_empty());
    assert_applies_once_more(&mut rig, &device, &release);
}

#[test]
fn killed_capsule_apply_is_withdrawn() {
    let mut rig = capsule_rig();
    let device = system_device(&rig);
    let mut release = system_release();
    rig.stage(&mut release, &device, &capsule(4096));
    kill_child_at(&rig, &device, &release, Step::BackendApplied);
    assert!(
        staged_capsule(&rig).exists(),
        "the child staged the capsule"
    );

    let report = rig.recover();

    assert_eq!(report.interrupted.len(), 1, "{report:?}");
    assert_eq!(rig.states(&device, &release), [Staged, Applying, Failed]);
    let reason = last_reason(&rig, &device, &release);
    assert!(
        reason.contains("the staged capsule was withdrawn"),
        "{reason}"
    );
    assert!(!staged_capsule(&rig).exists());
    assert!(rig.pending_files().is_empty());
}

/// A kill inside the backend's apply, after it wrote the capsule to the ESP and before
/// it wrote its own record, leaves a capsule that no backend record names.
#[test]
fn killed_before_capsule_record_is_withdrawn() {
    let mut rig = capsule_rig();
    let device = system_device(&rig);
    let mut release = system_release();
    rig.stage(&mut release, &device, &capsule(4096));
    kill_child_at(&rig, &device, &release, Step::BackendApplied);
    let backend_record = rig.machine.state_dir.join(format!(
        "backends/uefi-capsule/{}.json",
        crate::capsule::SYSTEM_FW
    ));
    fs::remove_file(backend_record).unwrap();

    let report = rig.recover();

    assert_eq!(report.interrupted.len(), 1, "{report:?}");
    let reason = last_reason(&rig, &device, &release);
    assert!(
        reason.contains("the staged capsule was withdrawn"),
        "{reason}"
    );
    assert!(!staged_capsule(&rig).exists());
    assert!(rig.pending_files().is_empty());
}

/// Applies `release` and notes at each step the latest state that a second history
/// connection reads and the number of attempt records on disk.
fn observe_apply(
    rig: &mut Rig,
    device: &Device,
    release: &Release,
) -> Vec<(Step, Option<hwupd::history::UpdateState>, usize)> {
    let reader = History::open_in(&rig.machine.state_dir).unwrap();
    let pending = rig.machine.state_dir.join(engine::PENDING_DIR);
    let mut seen = Vec::new();
    let mut observe = |step: Step| {
        let state = reader.last_state(&device.id, &release.id).unwrap();
        let records = fs::read_dir(&pending).map_or(0, |entries| entries.count());
        seen.push((step, state, records));
    };
    engine::apply_one_observed(
        &rig.ctx,
        &mut rig.history,
        &rig.staging,
        device,
        release,
        REMOTE,
        &mut observe,
    )
    .unwrap();
    seen
}

#[test]
fn observer_sees_emulated_steps() {
    let mut rig = Rig::emulated("none");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");

    let seen = observe_apply(&mut rig, &device, &release);

    let expected = [
        (Step::Checked, Some(Staged), 0),
        (Step::Started, Some(Applying), 1),
        (Step::BackendApplied, Some(Applying), 1),
        (Step::Verified, Some(Applying), 1),
        (Step::Recorded, Some(Succeeded), 1),
    ];
    assert_eq!(seen, expected);
    assert!(rig.pending_files().is_empty());
}

#[test]
fn observer_sees_capsule_steps() {
    let mut rig = capsule_rig();
    let device = system_device(&rig);
    let mut release = system_release();
    rig.stage(&mut release, &device, &capsule(4096));

    let seen = observe_apply(&mut rig, &device, &release);

    let expected = [
        (Step::Checked, Some(Staged), 0),
        (Step::Started, Some(Applying), 1),
        (Step::BackendApplied, Some(Applying), 1),
        (Step::PendingSaved, Some(Applying), 1),
        (Step::Recorded, Some(PendingReboot), 1),
    ];
    assert_eq!(seen, expected);
    assert_eq!(rig.pending_files().len(), 1);
}

#[test]
fn observer_sees_failure_recorded() {
    let mut rig = Rig::emulated("apply");
    let device = rig.emulated_device();
    let mut release = emulated_release("1.2.4");
    rig.stage(&mut release, &device, b"1.2.4\n");

    let seen = observe_apply(&mut rig, &device, &release);

    let steps: Vec<Step> = seen.iter().map(|(step, _, _)| *step).collect();
    let expected = [
        Step::Checked,
        Step::Started,
        Step::BackendApplied,
        Step::Recorded,
    ];
    assert_eq!(steps, expected);
    assert_eq!(seen[3], (Step::Recorded, Some(Failed), 1));
    assert!(rig.pending_files().is_empty());
}
