//! Checks that the committed fixture roots are exactly what
//! `tests/fixtures/make-fixtures.sh` builds, so the script stays their source.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A file's bytes, a symlink's target, or a folder.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    File(Vec<u8>),
    Symlink(PathBuf),
    Folder,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

/// Lists every entry under `base` by its path relative to `base`, without
/// following symlinks.
fn snapshot(base: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut entries = BTreeMap::new();
    let mut pending = vec![base.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for item in fs::read_dir(&dir).unwrap() {
            let path = item.unwrap().path();
            let relative = path.strip_prefix(base).unwrap().to_path_buf();
            let file_type = fs::symlink_metadata(&path).unwrap().file_type();
            let entry = if file_type.is_symlink() {
                Entry::Symlink(fs::read_link(&path).unwrap())
            } else if file_type.is_dir() {
                pending.push(path.clone());
                Entry::Folder
            } else {
                Entry::File(fs::read(&path).unwrap())
            };
            entries.insert(relative, entry);
        }
    }
    entries
}

/// Returns the paths that are missing on one side or differ.
fn differences(
    committed: &BTreeMap<PathBuf, Entry>,
    generated: &BTreeMap<PathBuf, Entry>,
) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = committed.keys().chain(generated.keys()).cloned().collect();
    paths.sort();
    paths.dedup();
    paths.retain(|path| committed.get(path) != generated.get(path));
    paths
}

#[test]
fn fixtures_match_their_script() {
    let output = tempfile::tempdir().unwrap();
    let script = fixtures_dir().join("make-fixtures.sh");
    let status = Command::new("bash")
        .arg(&script)
        .arg(output.path())
        .status()
        .expect("running make-fixtures.sh with bash");
    assert!(status.success(), "{} failed: {status}", script.display());

    for name in ["laptop", "server", "vm"] {
        let committed = snapshot(&fixtures_dir().join(name));
        let generated = snapshot(&output.path().join(name));
        assert!(!committed.is_empty(), "{name} is empty");

        let changed = differences(&committed, &generated);
        assert!(
            changed.is_empty(),
            "tests/fixtures/{name} differs from make-fixtures.sh output; \
             rerun the script and commit the result: {changed:?}"
        );
    }
}
