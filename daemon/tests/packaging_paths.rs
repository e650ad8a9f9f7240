//! The packaged example config against the packaged systemd unit: the example's
//! `metrics_path` must be valid and writable under the unit's `ProtectSystem=strict`.

use std::path::{Path, PathBuf};

use hwupd::config::Config;

fn repository_file(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Returns the value of the commented-out `metrics_path` line of the example config.
fn example_metrics_path(example: &str) -> String {
    let line = example
        .lines()
        .find_map(|line| line.strip_prefix("# metrics_path = "))
        .expect("a `# metrics_path = ` line in packaging/hwupd.toml");
    line.trim().trim_matches('"').to_string()
}

/// Returns the folders that the unit lets the service write: `ReadWritePaths=` entries,
/// without the `-` that makes a missing path no error, and the `StateDirectory=` folders
/// under /var/lib.
fn writable_folders(unit: &str) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    for line in unit.lines() {
        if let Some(paths) = line.strip_prefix("ReadWritePaths=") {
            let entries = paths.split_whitespace();
            folders.extend(entries.map(|entry| PathBuf::from(entry.trim_start_matches('-'))));
        }
        if let Some(names) = line.strip_prefix("StateDirectory=") {
            let names = names.split_whitespace();
            folders.extend(names.map(|name| Path::new("/var/lib").join(name)));
        }
    }
    folders
}

#[test]
fn example_metrics_path_is_valid() {
    let path = example_metrics_path(&repository_file("packaging/hwupd.toml"));

    let config = Config::parse(&format!("[report]\nmetrics_path = {path:?}\n")).unwrap();

    assert_eq!(config.report.metrics_path, Some(PathBuf::from(path)));
}

#[test]
fn example_metrics_path_is_writable_in_unit() {
    let path = example_metrics_path(&repository_file("packaging/hwupd.toml"));
    let unit = repository_file("systemd/hwupd.service");
    assert!(unit.contains("ProtectSystem=strict"), "{unit}");

    let folders = writable_folders(&unit);

    let parent = Path::new(&path).parent().unwrap();
    assert!(
        folders.iter().any(|folder| parent.starts_with(folder)),
        "{path} is not under any of {folders:?}"
    );
}
