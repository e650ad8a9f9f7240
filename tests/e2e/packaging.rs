//! The packaging files: the license that the packages ship, Debian's machine-readable
//! copyright file, and the systemd unit's stop settings.

use std::path::{Path, PathBuf};
use std::time::Duration;

use hwupd::backends::config::BackendsConfig;
use hwupd::backends::thunderbolt::AUTHENTICATION_TIMEOUT;

fn repository_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

fn read(path: &str) -> String {
    let path = repository_file(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Returns the paragraphs of a Debian control-style file as lists of lines.
fn paragraphs(text: &str) -> Vec<Vec<&str>> {
    text.split("\n\n")
        .map(|paragraph| paragraph.lines().collect::<Vec<_>>())
        .filter(|lines| !lines.is_empty())
        .collect()
}

/// Returns the value of `key` in the `[Service]` section of a unit file.
fn service_setting<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .skip_while(|line| line.trim() != "[Service]")
        .take_while(|line| !line.starts_with('[') || line.trim() == "[Service]")
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
}

/// Parses a systemd time span made of `min` and `s` parts, such as `15min` or `90s`.
fn parse_span(text: &str) -> Duration {
    let seconds = text.split_whitespace().map(|part| {
        if let Some(minutes) = part.strip_suffix("min") {
            minutes.parse::<u64>().unwrap() * 60
        } else {
            part.trim_end_matches('s').parse::<u64>().unwrap()
        }
    });
    Duration::from_secs(seconds.sum())
}

#[test]
fn license_is_shipped() {
    let license = read("LICENSE");
    let spec = read("packaging/rpm/hwupd.spec");
    let manifest = read("Cargo.toml");

    assert!(
        license.trim_start().starts_with("Apache License"),
        "{license:.200}"
    );
    assert!(license.contains("Version 2.0, January 2004"));
    assert!(license.contains("END OF TERMS AND CONDITIONS"));
    assert!(spec.contains("License:        Apache-2.0\n"), "{spec}");
    assert!(spec.contains("\n%license LICENSE\n"), "{spec}");
    assert!(manifest.contains("license = \"Apache-2.0\""), "{manifest}");
}

#[test]
fn debian_copyright_is_machine_readable() {
    let copyright = read("packaging/debian/copyright");
    let paragraphs = paragraphs(&copyright);

    let header = &paragraphs[0];
    assert_eq!(
        header[0],
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    );
    assert!(header.contains(&"Upstream-Name: hwupd"), "{header:?}");
    let files = paragraphs
        .iter()
        .find(|p| p[0] == "Files: *")
        .expect("a Files: * paragraph");
    assert!(
        files.iter().any(|line| line.starts_with("Copyright: ")),
        "{files:?}"
    );
    assert!(files.contains(&"License: Apache-2.0"), "{files:?}");
    let license = paragraphs
        .iter()
        .find(|p| p[0] == "License: Apache-2.0")
        .expect("a stand-alone License: Apache-2.0 paragraph");
    assert!(license.len() > 1, "the license paragraph has no text");
    assert!(
        license[1..].iter().all(|line| line.starts_with(' ')),
        "{license:?}"
    );
    assert!(
        copyright.contains("/usr/share/common-licenses/Apache-2.0"),
        "{copyright}"
    );
}

#[test]
fn unit_lets_an_apply_finish_on_stop() {
    let unit = read("systemd/hwupd.service");
    let command = Duration::from_secs(BackendsConfig::default().command_timeout_secs);
    // A kmod apply whose module fails to load runs six commands, and is the longest.
    let longest_apply = (command * 6).max(AUTHENTICATION_TIMEOUT);

    let timeout = service_setting(&unit, "TimeoutStopSec").expect("TimeoutStopSec is set");

    assert!(
        parse_span(timeout) > longest_apply,
        "TimeoutStopSec={timeout}"
    );
    assert_eq!(service_setting(&unit, "KillMode"), Some("mixed"), "{unit}");
}
