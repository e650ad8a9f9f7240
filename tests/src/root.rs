//! A fixture root copied into a temporary folder, so a test may change its files.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// A writable copy of one of the trees under `tests/fixtures`.
pub struct FixtureRoot {
    base: PathBuf,
}

impl FixtureRoot {
    /// Copies `tests/fixtures/<name>`, symlinks included, to `target`.
    pub fn copy_of(name: &str, target: &Path) -> Self {
        copy_tree(&crate::fixture(name), target);
        Self {
            base: target.to_path_buf(),
        }
    }

    /// Returns the folder that the daemon takes as `--root`.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Returns where an absolute system path such as `/sys/module` lies in the copy.
    pub fn path(&self, system_path: &str) -> PathBuf {
        self.base.join(system_path.trim_start_matches('/'))
    }

    /// Writes a file, creating its folders.
    pub fn write(&self, system_path: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(system_path);
        fs::create_dir_all(path.parent().expect("a file path has a parent")).unwrap();
        fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }

    /// Reads a file as text, or None when it is missing.
    pub fn read(&self, system_path: &str) -> Option<String> {
        fs::read_to_string(self.path(system_path)).ok()
    }

    /// Sets the boot id, which the daemon compares to tell that the machine rebooted.
    pub fn set_boot_id(&self, boot_id: &str) {
        self.write("/proc/sys/kernel/random/boot_id", format!("{boot_id}\n"));
    }
}

/// Copies a folder tree, recreating symlinks as symlinks so sysfs links still resolve.
fn copy_tree(source: &Path, target: &Path) {
    fs::create_dir_all(target).unwrap();
    for entry in fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let to = target.join(entry.file_name());
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            symlink(fs::read_link(entry.path()).unwrap(), &to).unwrap();
        } else if kind.is_dir() {
            copy_tree(&entry.path(), &to);
        } else {
            fs::copy(entry.path(), &to).unwrap();
        }
    }
}
