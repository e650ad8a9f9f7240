//! End to end: a catalog signed by the minisign tool and served over loopback
//! HTTP is refreshed, its update staged and applied to an emulated device,
//! and every step shows in the history.

use std::path::{Path, PathBuf};
use std::process::Command;

use hwupd_tests::bus::TestBus;
use hwupd_tests::daemon::Daemon;
use hwupd_tests::http::HttpServer;
use hwupd_tests::{binary, fixture, parse_json, run, Run};

const GUID: &str = "1ea8e2b7-3f38-5c53-b6a4-5e0f2b0b6a01";
const RELEASE: &str = "demo-bmc-2.0";

struct Setup {
    bus: TestBus,
    server: HttpServer,
    config: PathBuf,
}

fn hwupctl(bus: &TestBus, args: &[&str]) -> Run {
    run(bus.command(binary("hwupctl")).args(args))
}

/// Keys from `minisign -G -W`, a catalog from `hwupctl catalog`, signed by `minisign -S`.
fn signed_catalog(dir: &Path) -> String {
    let key = dir.join("minisign.key");
    let public = dir.join("minisign.pub");
    let made = run(Command::new("minisign")
        .args(["-G", "-W", "-p"])
        .arg(&public)
        .arg("-s")
        .arg(&key));
    assert_eq!(
        made.code,
        Some(0),
        "minisign -G (install minisign): {}",
        made.stderr
    );

    let www = dir.join("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("bmc-2.0.bin"), b"2.0\n").unwrap();
    let catalog = www.join("catalog.json");
    let new = run(Command::new(binary("hwupctl"))
        .args(["catalog", "new", "--remote-id", "lab"])
        .arg(&catalog));
    assert_eq!(new.code, Some(0), "{}", new.stderr);
    let add = run(Command::new(binary("hwupctl"))
        .args(["catalog", "add", "--payload"])
        .arg(www.join("bmc-2.0.bin"))
        .args([
            "--payload-path",
            "bmc-2.0.bin",
            "--id",
            RELEASE,
            "--name",
            "Demo BMC",
        ])
        .args(["--summary", "Fixes a remote code execution", "--guid", GUID])
        .args([
            "--version",
            "2.0",
            "--version-format",
            "pair",
            "--severity",
            "critical",
        ])
        .args([
            "--cve",
            "CVE-2026-1234",
            "--known-exploited",
            "--install-method",
            "emulated",
        ])
        .arg(&catalog));
    assert_eq!(add.code, Some(0), "{}", add.stderr);
    let signed = run(Command::new("minisign")
        .args(["-S", "-s"])
        .arg(&key)
        .arg("-m")
        .arg(&catalog));
    assert_eq!(signed.code, Some(0), "{}", signed.stderr);

    let text = std::fs::read_to_string(&public).unwrap();
    text.lines().nth(1).unwrap().trim().to_string()
}

fn setup() -> Setup {
    let bus = TestBus::start();
    let dir = bus.scratch("lab");
    let public_key = signed_catalog(&dir);
    let server = HttpServer::start(&dir.join("www"));

    let config = dir.join("hwupd.toml");
    std::fs::write(
        &config,
        format!(
            "[[emulated.devices]]\nid = \"bmc\"\nname = \"Demo BMC\"\nversion = \"1.0\"\nversion_format = \"pair\"\nguid = \"{GUID}\"\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("remotes.d")).unwrap();
    std::fs::write(
        dir.join("remotes.d/lab.toml"),
        format!(
            "url = \"{}\"\npublic_keys = [\"{public_key}\"]\n",
            server.url("catalog.json")
        ),
    )
    .unwrap();
    Setup {
        bus,
        server,
        config,
    }
}

fn start(setup: &Setup) -> Daemon {
    let config = setup.config.display().to_string();
    Daemon::start(&setup.bus, &fixture("vm"), &["--config", &config])
}

#[test]
fn refresh_stage_apply_and_history() {
    let setup = setup();
    let _daemon = start(&setup);
    let bus = &setup.bus;

    let refreshed = hwupctl(bus, &["refresh"]);
    assert_eq!(refreshed.code, Some(0), "{}", refreshed.stderr);
    let remotes = parse_json(&hwupctl(bus, &["remotes", "--json"]));
    assert_eq!(remotes["remotes"][0]["serial"], 1, "{remotes}");

    let updates = parse_json(&hwupctl(bus, &["updates", "--json"]));
    let update = &updates["updates"][0];
    assert_eq!(update["release_id"], RELEASE, "{updates}");
    assert_eq!(update["severity"], "critical");
    assert_eq!(update["cves"][0], "CVE-2026-1234");
    assert_eq!(update["known_exploited"], true);
    assert_eq!(update["current_version"], "1.0");

    // A second refresh with nothing changed transfers no catalog body.
    let before = setup.server.bytes_sent();
    assert_eq!(hwupctl(bus, &["refresh"]).code, Some(0));
    assert_eq!(
        setup.server.bytes_sent(),
        before,
        "{:?}",
        setup.server.requests().last()
    );

    let staged = hwupctl(bus, &["stage", RELEASE]);
    assert_eq!(staged.code, Some(0), "{}", staged.stderr);

    // No window is configured, so only --now --yes applies.
    let waiting = hwupctl(bus, &["apply", RELEASE]);
    assert_eq!(waiting.code, Some(1), "{}", waiting.stdout);
    assert!(
        waiting.stderr.contains("not applying now"),
        "{}",
        waiting.stderr
    );
    assert_eq!(hwupctl(bus, &["apply", RELEASE, "--now"]).code, Some(2));
    let applied = hwupctl(bus, &["apply", RELEASE, "--now", "--yes"]);
    assert_eq!(applied.code, Some(0), "{}", applied.stderr);

    let history = parse_json(&hwupctl(bus, &["history", "--json"]));
    let states: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["staged", "applying", "succeeded"], "{history}");

    let devices = parse_json(&hwupctl(bus, &["devices", "--json"]));
    let bmc = devices["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "Demo BMC")
        .expect("emulated device");
    assert_eq!(bmc["version"], "2.0");
    let after = parse_json(&hwupctl(bus, &["updates", "--json"]));
    assert!(after["updates"].as_array().unwrap().is_empty(), "{after}");
}

#[test]
fn tampered_catalog_keeps_previous() {
    let setup = setup();
    let _daemon = start(&setup);
    let bus = &setup.bus;
    assert_eq!(hwupctl(bus, &["refresh"]).code, Some(0));

    // Change the served catalog without signing it again.
    let catalog = setup.config.parent().unwrap().join("www/catalog.json");
    let text = std::fs::read_to_string(&catalog).unwrap();
    let changed = text.replacen("\"serial\": 1", "\"serial\":  2", 1);
    assert_ne!(text, changed, "the catalog has no serial 1:\n{text}");
    std::fs::write(&catalog, changed).unwrap();

    let rejected = hwupctl(bus, &["refresh"]);
    assert_eq!(rejected.code, Some(5), "{}", rejected.stderr);
    let remotes = parse_json(&hwupctl(bus, &["remotes", "--json"]));
    assert_eq!(remotes["remotes"][0]["serial"], 1, "{remotes}");
    assert!(
        remotes["remotes"][0]["last_error"]["kind"]
            .as_str()
            .unwrap()
            .starts_with("signature"),
        "{remotes}"
    );
    let updates = parse_json(&hwupctl(bus, &["updates", "--json"]));
    assert_eq!(updates["updates"][0]["release_id"], RELEASE);
}

#[test]
fn bad_arguments_give_clear_errors() {
    let setup = setup();
    let _daemon = start(&setup);
    let bus = &setup.bus;
    let unknown = hwupctl(bus, &["stage", "no-such-release"]);
    assert_eq!(unknown.code, Some(6), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("hwupctl refresh"),
        "{}",
        unknown.stderr
    );
    let remote = hwupctl(bus, &["refresh", "no-such-remote"]);
    assert_eq!(remote.code, Some(6), "{}", remote.stderr);
    let history = hwupctl(bus, &["history", "--limit", "99999999"]);
    assert_eq!(history.code, Some(1), "{}", history.stderr);
    assert!(history.stderr.contains("limit"), "{}", history.stderr);
}

#[test]
fn refresh_reports_every_remote() {
    let setup = setup();
    // A second remote whose catalog does not exist on the server.
    let remotes = setup.config.parent().unwrap().join("remotes.d");
    let lab = std::fs::read_to_string(remotes.join("lab.toml")).unwrap();
    let missing = lab.replace("catalog.json", "missing/catalog.json");
    std::fs::write(remotes.join("missing.toml"), missing).unwrap();
    let _daemon = start(&setup);
    let bus = &setup.bus;

    let table = hwupctl(bus, &["refresh"]);
    let json = hwupctl(bus, &["refresh", "--json"]);

    assert_eq!(table.code, Some(1), "{}", table.stderr);
    assert!(
        table.stdout.contains("lab: accepted (serial 1)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("missing: rejected [http-status]"),
        "{}",
        table.stdout
    );
    assert!(
        table.stderr.contains("refreshing 1 of 2 remotes failed"),
        "{}",
        table.stderr
    );
    assert_eq!(json.code, Some(1), "{}", json.stderr);
    let document = parse_json(&json);
    let outcomes: Vec<(&str, &str)> = document["remotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["remote"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(outcomes.contains(&("lab", "unchanged")), "{document}");
    assert!(outcomes.contains(&("missing", "rejected")), "{document}");
}
