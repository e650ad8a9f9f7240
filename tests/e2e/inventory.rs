//! End to end: hwupd serves the inventory on a private bus, hwupctl, busctl
//! and gdbus read it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hwupd_tests::bus::TestBus;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::{binary, fixture, parse_json, run};

fn inventory_json(root: &Path) -> serde_json::Value {
    let output = run(Command::new(binary("hwupd"))
        .arg("inventory")
        .arg("--root")
        .arg(root)
        .arg("--json"));
    assert_eq!(
        output.code,
        Some(0),
        "hwupd inventory failed: {}",
        output.stderr
    );
    parse_json(&output)
}

fn devices_json(bus: &TestBus) -> serde_json::Value {
    let output = run(bus.command(binary("hwupctl")).args(["devices", "--json"]));
    assert_eq!(
        output.code,
        Some(0),
        "hwupctl devices failed: {}",
        output.stderr
    );
    parse_json(&output)
}

#[test]
fn client_json_equals_inventory_json() {
    for root in [
        fixture("laptop"),
        fixture("server"),
        fixture("vm"),
        "/".into(),
    ] {
        let bus = TestBus::start();
        let _daemon = Daemon::start(&bus, &root, &[]);
        assert_eq!(
            devices_json(&bus),
            inventory_json(&root),
            "root {}",
            root.display()
        );
    }
}

#[test]
fn host_inventory_lists_pci_drivers() {
    let inventory = inventory_json(Path::new("/"));
    let devices = inventory["devices"].as_array().expect("devices array");
    for device in devices.iter().filter(|d| d["kind"] == "pci") {
        let address = device["attributes"]["address"]
            .as_str()
            .expect("PCI address");
        let link = Path::new("/sys/bus/pci/devices")
            .join(address)
            .join("driver");
        let expected = std::fs::read_link(&link)
            .ok()
            .map(|target| target.file_name().unwrap().to_string_lossy().into_owned());
        let actual = device["driver"]["name"].as_str().map(str::to_string);
        assert_eq!(actual, expected, "driver of {address}");
    }
}

#[test]
fn human_table_names_every_device() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("laptop"), &[]);
    let output = run(bus.command(binary("hwupctl")).arg("devices"));
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    let header = output.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("KIND"), "table header: {header}");
    for device in inventory_json(&fixture("laptop"))["devices"]
        .as_array()
        .unwrap()
    {
        let short_id = &device["id"].as_str().unwrap()[..12];
        assert!(
            output.stdout.contains(short_id),
            "device {short_id} missing from:\n{}",
            output.stdout
        );
    }
}

#[test]
fn busctl_calls_get_devices() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("laptop"), &[]);
    let count = inventory_json(&fixture("laptop"))["devices"]
        .as_array()
        .unwrap()
        .len();

    let output = run(Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "call",
            "org.hwupd.Hwupd1",
            "/org/hwupd/Hwupd1/Manager",
            "org.hwupd.Hwupd1.Manager",
            "GetDevices",
        ]));
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    assert!(
        output.stdout.starts_with(&format!("aa{{sv}} {count} ")),
        "{}",
        output.stdout
    );

    let version = run(Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "get-property",
            "org.hwupd.Hwupd1",
            "/org/hwupd/Hwupd1/Manager",
            "org.hwupd.Hwupd1.Manager",
            "DaemonVersion",
        ]));
    assert_eq!(
        version.stdout.trim(),
        format!("s \"{}\"", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn busctl_rejects_wrong_signature() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("vm"), &[]);
    let output = run(Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "call",
            "org.hwupd.Hwupd1",
            "/org/hwupd/Hwupd1/Manager",
            "org.hwupd.Hwupd1.Manager",
            "GetDevices",
            "s",
            "unexpected",
        ]));
    assert_ne!(output.code, Some(0));
    assert!(
        output.stderr.to_lowercase().contains("signature"),
        "{}",
        output.stderr
    );

    // The daemon is still serving after the bad call.
    assert_eq!(devices_json(&bus), inventory_json(&fixture("vm")));
}

#[test]
fn object_manager_lists_device_objects() {
    let bus = TestBus::start();
    let _daemon = Daemon::start(&bus, &fixture("laptop"), &[]);
    let output = run(Command::new("gdbus").args([
        "call",
        "--address",
        &bus.address,
        "--dest",
        "org.hwupd.Hwupd1",
        "--object-path",
        "/org/hwupd/Hwupd1",
        "--method",
        "org.freedesktop.DBus.ObjectManager.GetManagedObjects",
    ]));
    assert_eq!(output.code, Some(0), "{}", output.stderr);
    for device in inventory_json(&fixture("laptop"))["devices"]
        .as_array()
        .unwrap()
    {
        let path = format!(
            "/org/hwupd/Hwupd1/devices/{}",
            device["id"].as_str().unwrap()
        );
        assert!(
            output.stdout.contains(&path),
            "{path} missing from GetManagedObjects"
        );
    }
    assert!(output.stdout.contains("org.hwupd.Hwupd1.Device"));
}

#[test]
fn rescan_removes_vanished_device() {
    let bus = TestBus::start();
    let root = bus.scratch("root");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", fixture("laptop").display()))
        .arg(&root)
        .status();
    assert!(copied.expect("running cp").success());
    let _daemon = Daemon::start(&bus, &root, &[]);

    // Unplug one USB device from the copied tree.
    let before = inventory_json(&root);
    let usb = before["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "usb")
        .expect("a USB device");
    let port = usb["attributes"]["port"].as_str().unwrap();
    let link = root.join("sys/bus/usb/devices").join(port);
    let target = std::fs::canonicalize(&link).expect("USB device folder");
    std::fs::remove_file(&link).expect("removing the bus link");
    std::fs::remove_dir_all(&target).expect("removing the device folder");

    let mut monitor = Command::new("gdbus")
        .args([
            "monitor",
            "--address",
            &bus.address,
            "--dest",
            "org.hwupd.Hwupd1",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawning gdbus monitor");
    std::thread::sleep(Duration::from_millis(300));

    let rescan = run(Command::new("busctl")
        .arg(format!("--address={}", bus.address))
        .args([
            "call",
            "org.hwupd.Hwupd1",
            "/org/hwupd/Hwupd1/Manager",
            "org.hwupd.Hwupd1.Manager",
            "Rescan",
        ]));
    assert_eq!(rescan.code, Some(0), "{}", rescan.stderr);

    let removed_path = format!("/org/hwupd/Hwupd1/devices/{}", usb["id"].as_str().unwrap());
    let signals = read_until(&mut monitor, "InterfacesRemoved", Duration::from_secs(10));
    assert!(
        signals.contains("InterfacesRemoved"),
        "no InterfacesRemoved in:\n{signals}"
    );
    assert!(
        signals.contains(&removed_path),
        "{removed_path} not in:\n{signals}"
    );
    assert_eq!(devices_json(&bus), inventory_json(&root));
}

/// Reads a child's stdout until `needle` shows up or the deadline passes, then kills it.
fn read_until(child: &mut std::process::Child, needle: &str, limit: Duration) -> String {
    use std::io::Read;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buffer) {
            if n == 0 || sender.send(buffer[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + limit;
    let mut text = String::new();
    while Instant::now() < deadline && !text.contains(needle) {
        if let Ok(chunk) = receiver.recv_timeout(Duration::from_millis(100)) {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    text
}

#[test]
fn missing_daemon_is_one_line_error() {
    let bus = TestBus::start();
    let output = run(bus.command(binary("hwupctl")).arg("devices"));
    assert_eq!(output.code, Some(3));
    assert_eq!(output.stderr.lines().count(), 1, "{}", output.stderr);
    assert!(
        output.stderr.contains("hwupd is not running"),
        "{}",
        output.stderr
    );
}

#[test]
fn unreachable_bus_is_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("unix:path={}/absent", dir.path().display());
    let output = run(Command::new(binary("hwupctl"))
        .arg("status")
        .env("DBUS_SYSTEM_BUS_ADDRESS", &address));
    assert_eq!(output.code, Some(3));
    assert_eq!(output.stderr.lines().count(), 1, "{}", output.stderr);
    assert!(
        output.stderr.contains("cannot connect to the system bus"),
        "{}",
        output.stderr
    );
}

#[test]
fn missing_root_is_one_line_error() {
    for args in [
        &["inventory", "--root", "/nonexistent/hwupd"][..],
        &["--root", "/nonexistent/hwupd"][..],
    ] {
        let output = run(Command::new(binary("hwupd")).args(args));
        assert_eq!(output.code, Some(1), "{args:?}");
        assert_eq!(output.stderr.lines().count(), 1, "{}", output.stderr);
        assert!(
            output.stderr.contains("/nonexistent/hwupd"),
            "{}",
            output.stderr
        );
        assert!(output.stderr.contains("--root"), "{}", output.stderr);
    }
}

#[test]
fn second_daemon_cannot_take_the_name() {
    let bus = TestBus::start();
    let _first = Daemon::start(&bus, &fixture("vm"), &[]);
    let second = run(bus
        .command(binary("hwupd"))
        .arg("--root")
        .arg(fixture("vm"))
        .stdin(Stdio::null()));
    assert_eq!(second.code, Some(1));
    assert!(
        second.stderr.contains("already owns org.hwupd.Hwupd1"),
        "{}",
        second.stderr
    );
}

#[test]
fn daemon_stops_cleanly_on_sigterm() {
    let bus = TestBus::start();
    let daemon = Daemon::start(&bus, &fixture("vm"), &[]);
    assert_eq!(daemon.stop(), Some(0));
}
