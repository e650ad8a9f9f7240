//! A catalog of 50,000 realistic releases refreshes, is stored and loads again.

mod remote_lab;

use hwupd::catalog::document::{Catalog, Devices, InstallMethod, Payload, Release, Replaces};
use hwupd::catalog::document::{Ring, Rollout, Severity, VersionFormat};
use hwupd::remote::{load_accepted, RefreshOutcome, UnchangedReason};
use remote_lab::{sign, Lab};

const RELEASES: usize = 50_000;

/// Returns a release with the fields and text lengths of a typical vendor entry.
fn release(index: usize) -> Release {
    let version = format!("{}.{}.{}", 1 + index % 7, index % 100, index % 1000);
    Release {
        id: format!("acme-device-{index}-{version}"),
        name: format!("Acme model {} system firmware", index % 5000),
        summary: "Fixes an SMM privilege escalation and improves USB-C power negotiation"
            .to_owned(),
        description: Some(
            "Updates the system firmware.\nFixes a privilege escalation in the SMM handler \
             that a local attacker could use to run code in system management mode.\n\
             Improves power negotiation with USB-C docks and fixes a rare hang on resume."
                .to_owned(),
        ),
        vendor: Some("Acme Computers".to_owned()),
        devices: Devices {
            guids: vec![format!("{index:08x}-b862-5263-88e9-373204438174")],
            instance_ids: vec![format!("PCI\\VEN_8086&DEV_{:04X}", index % 0xffff)],
        },
        hardware_ids: vec![format!("4c2e1d6a-8f1b-5d2e-9a7c-{index:012x}")],
        version,
        version_format: VersionFormat::Triplet,
        replaces: Some(Replaces {
            versions: Vec::new(),
            min: Some("1.0.0".to_owned()),
            max: None,
        }),
        lowest_supported_version: Some("0.9.0".to_owned()),
        severity: Severity::High,
        cves: vec![format!("CVE-2024-{:05}", index % 100_000)],
        known_exploited: index.is_multiple_of(10),
        release_date: "2025-05-28".parse().unwrap(),
        install_method: InstallMethod::UefiCapsule,
        payload: Payload {
            path: format!("firmware/acme-{index}.cap"),
            sha256: format!("{index:064x}"),
            size: 16 * 1024 * 1024,
            url: None,
        },
        reboot_required: true,
        rollout: Rollout {
            ring: Ring::Broad,
            percentage: 100,
        },
    }
}

#[tokio::test]
async fn refreshes_catalog_of_50000_releases() {
    let mut lab = Lab::new();
    let mut catalog = Catalog::new(
        "lab",
        "2025-06-01T00:00:00Z".parse().unwrap(),
        "2025-07-01T00:00:00Z".parse().unwrap(),
    );
    catalog.releases = (0..RELEASES).map(release).collect();
    let bytes = catalog.to_json().into_bytes();
    let signature = sign(&lab.key, &bytes);
    lab.publish_bytes(&bytes, Some(&signature));

    let first = lab.refresh().await.unwrap();
    let second = lab.refresh().await.unwrap();

    let RefreshOutcome::Accepted { catalog, .. } = first else {
        panic!("expected a new catalog, got {first:?}");
    };
    assert_eq!(catalog.releases, RELEASES);
    let expected = RefreshOutcome::Unchanged {
        serial: 1,
        reason: UnchangedReason::NotModified,
    };
    assert_eq!(second, expected);
    assert_eq!(lab.server.requests().last().unwrap().body_bytes, 0);
    let loaded = load_accepted(&lab.store, &lab.remote).unwrap();
    assert_eq!(loaded.catalog.releases.len(), RELEASES);
    eprintln!("catalog of {RELEASES} releases: {} bytes", bytes.len());
}
