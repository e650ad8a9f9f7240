//! The packaged D-Bus policy: only root may own org.hwupd.Hwupd1.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use hwupd_tests::bus::TestBus;
use hwupd_tests::{binary, fixture, run};

/// A system-bus default policy like Debian's system.conf, plus the packaged file.
fn system_policy() -> String {
    let packaged =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../packaging/dbus/org.hwupd.Hwupd1.conf");
    format!(
        r#"<policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_destination="org.freedesktop.DBus"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
  <include>{}</include>"#,
        packaged
            .canonicalize()
            .expect("packaged policy file")
            .display()
    )
}

fn is_root() -> bool {
    nix_free_uid() == 0
}

/// Reads the effective uid from /proc, so the test crate needs no libc binding.
fn nix_free_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
        .unwrap_or(u32::MAX)
}

#[test]
fn only_root_may_own_the_name() {
    if !is_root() {
        eprintln!("skipped: switching to user nobody needs root");
        return;
    }
    let bus = TestBus::start_with_policy(&system_policy());
    std::fs::set_permissions(bus.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let state = bus.scratch("nobody-state");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).unwrap();

    let as_nobody = run(bus
        .command("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(binary("hwupd"))
        .arg("--root")
        .arg(fixture("vm"))
        .arg("--state-dir")
        .arg(&state));
    assert_eq!(as_nobody.code, Some(1), "{}", as_nobody.stderr);
    assert!(
        as_nobody.stderr.contains("only root may own it"),
        "{}",
        as_nobody.stderr
    );

    let client = run(bus
        .command("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(binary("hwupctl"))
        .arg("status"));
    assert_eq!(
        client.code,
        Some(3),
        "an ordinary user sees that no daemon runs: {}",
        client.stderr
    );
}
