//! End to end: how hwupctl reports the daemon's errors to a user, with the exit code
//! that each error maps to.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;

use hwupd_tests::bus::TestBus;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::{binary, fixture, run};

/// The `nobody` user and group of Debian and Fedora.
const NOBODY: u32 = 65534;

/// The test bus's open policy, which also lets other users connect.
const ANY_USER_POLICY: &str = r#"<policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>"#;

/// Returns whether this test runs as root, which it needs to run a command as `nobody`.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn unprivileged_call_without_polkit_is_not_authorized() {
    if !running_as_root() {
        eprintln!("skipped: running hwupctl as nobody needs root");
        return;
    }
    let bus = TestBus::start_with_policy(ANY_USER_POLICY);
    let mode = std::fs::Permissions::from_mode(0o755);
    std::fs::set_permissions(bus.dir.path(), mode).unwrap();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);

    // The test bus has no polkit, so the daemon's check fails with ServiceUnknown.
    let denied = run(bus
        .command(binary("hwupctl"))
        .args(["approve", "demo-bmc-2.0"])
        .uid(NOBODY)
        .gid(NOBODY));

    assert_eq!(denied.code, Some(4), "{}", denied.stderr);
    assert!(
        denied.stderr.contains("polkit is not available"),
        "{}",
        denied.stderr
    );
    assert!(!denied.stderr.contains("not running"), "{}", denied.stderr);
}
