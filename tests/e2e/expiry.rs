//! End to end: once the accepted catalog expires, its update is held back from staging
//! and applying, even with a payload staged before. It still counts as missing in the
//! report, which names the expiry.

use std::time::{Duration, Instant};

use hwupd_tests::lab::{Lab, Release};
use hwupd_tests::{binary, parse_json, run};
use jiff::{SignedDuration, Timestamp};

const GUID: &str = "1ea8e2b7-3f38-5c53-b6a4-5e0f2b0b6a01";
const RELEASE: &str = "demo-bmc-2.0";

const CONFIG: &str = r#"
[[emulated.devices]]
id = "bmc"
name = "Demo BMC"
version = "1.0"
version_format = "pair"
guid = "1ea8e2b7-3f38-5c53-b6a4-5e0f2b0b6a01"
"#;

/// Maximum wait for the catalog to expire. It only ends a broken test.
const EXPIRY_LIMIT: Duration = Duration::from_secs(30);

/// Sets the served catalog's expiry to `expires` and signs it again.
fn expire_catalog_at(lab: &Lab, expires: Timestamp) {
    let path = lab.dir.join("www/catalog.json");
    let mut catalog: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    catalog["expires"] = expires.to_string().into();
    std::fs::write(&path, serde_json::to_vec_pretty(&catalog).unwrap()).unwrap();
    let signed = run(std::process::Command::new(binary("hwupctl"))
        .args(["catalog", "sign", "--bump-serial", "--secret-key"])
        .arg(lab.dir.join("catalog.key"))
        .arg(&path));
    assert_eq!(signed.code, Some(0), "{}", signed.stderr);
}

/// Polls `updates --json` until the entry shows that its catalog expired.
fn wait_for_expiry(lab: &Lab) -> serde_json::Value {
    let deadline = Instant::now() + EXPIRY_LIMIT;
    loop {
        let updates = parse_json(&lab.hwupctl_ok(&["updates", "--json"]));
        if updates["updates"][0]["catalog_expired"] == true {
            return updates;
        }
        assert!(Instant::now() < deadline, "never expired: {updates}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn expired_catalog_holds_back_and_reports() {
    let release = Release {
        id: RELEASE,
        guid: GUID,
        version: "2.0",
        version_format: "pair",
        method: "emulated",
        severity: "critical",
        payload: b"2.0\n".to_vec(),
    };
    let lab = Lab::new("vm", &[release]);
    let metrics = lab.dir.join("hwupd.prom");
    lab.configure(&format!(
        "{CONFIG}\n[report]\nmetrics_path = \"{}\"\n",
        metrics.display()
    ));
    expire_catalog_at(&lab, Timestamp::now() + SignedDuration::from_secs(5));
    let _daemon = lab.start();
    let at_start = std::fs::read_to_string(&metrics).unwrap_or_default();
    assert!(at_start.contains("hwupd_catalogs_usable 0"), "{at_start}");
    lab.hwupctl_ok(&["refresh"]);
    let refreshed = std::fs::read_to_string(&metrics).unwrap_or_default();
    assert!(refreshed.contains("hwupd_catalogs_usable 1"), "{refreshed}");
    let fresh = parse_json(&lab.hwupctl_ok(&["updates", "--json"]));
    assert!(fresh["updates"][0]["held_back_reason"].is_null(), "{fresh}");
    lab.hwupctl_ok(&["stage", RELEASE]);

    let updates = wait_for_expiry(&lab);

    let reason = updates["updates"][0]["held_back_reason"]
        .as_str()
        .unwrap_or_default();
    assert!(
        reason.contains("the catalog of remote lab expired"),
        "{updates}"
    );
    let staged = lab.hwupctl(&["stage", RELEASE]);
    assert_ne!(staged.code, Some(0), "{}", staged.stdout);
    assert!(staged.stderr.contains("is held back"), "{}", staged.stderr);
    // A payload staged before the expiry does not let the update through.
    let applied = lab.hwupctl(&["apply", RELEASE, "--now", "--yes"]);
    assert_ne!(applied.code, Some(0), "{}", applied.stdout);
    assert!(applied.stderr.contains("expired"), "{}", applied.stderr);
    assert_eq!(lab.states(), ["staged"]);
    assert_eq!(lab.device("emulated/bmc")["version"], "1.0");

    let report = parse_json(&lab.hwupctl_ok(&["report", "--format", "json"]));
    assert_eq!(report["catalogs"][0]["remote_id"], "lab", "{report}");
    assert_eq!(report["catalogs"][0]["expired"], true, "{report}");
    assert_eq!(report["missing"]["critical"], 1, "{report}");
    let table = lab.hwupctl_ok(&["report"]).stdout;
    assert!(table.contains("every catalog has expired"), "{table}");
}
