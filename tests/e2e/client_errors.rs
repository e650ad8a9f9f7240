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

/// Returns an id of 100,000 characters that starts with a terminal escape sequence.
/// An argument of a command may be at most 128 KiB on Linux.
fn hostile_id() -> String {
    format!("\u{1b}[2Jid\n{}", "x".repeat(100_000))
}

#[test]
fn long_ids_are_cut_and_escaped() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);
    let id = hostile_id();
    let commands: [&[&str]; 7] = [
        &["stage", &id],
        &["apply", &id],
        &["unstage", &id],
        &["approve", &id],
        &["refresh", &id],
        &["rollback", &id, "--yes"],
        &["inhibit", "--until", &id],
    ];

    for args in commands {
        let output = run(bus.command(binary("hwupctl")).args(args));

        let text = format!("{}{}", output.stdout, output.stderr);
        assert!(text.len() < 2000, "{}: {} bytes", args[0], text.len());
        assert!(!text.contains('\u{1b}'), "{}: {text}", args[0]);
        assert!(text.contains("\\u{1b}[2Jid\\n"), "{}: {text}", args[0]);
        assert!(text.contains("x…"), "{}: {text}", args[0]);
    }
}

#[test]
fn daemon_cuts_echoed_ids() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);
    let id = hostile_id();

    for method in ["Stage", "Rollback", "Refresh", "Approve"] {
        let reply = run(std::process::Command::new("busctl")
            .arg(format!("--address={}", bus.address))
            .args(["call", "org.hwupd.Hwupd1", "/org/hwupd/Hwupd1/Manager"])
            .args(["org.hwupd.Hwupd1.Manager", method, "s", &id]));

        assert_ne!(reply.code, Some(0), "{method}");
        assert!(
            reply.stderr.len() < 1000,
            "{method}: {}",
            reply.stderr.len()
        );
        assert!(
            !reply.stderr.contains('\u{1b}'),
            "{method}: {}",
            reply.stderr
        );
        assert!(reply.stderr.contains("x…"), "{method}: {}", reply.stderr);
    }
}
