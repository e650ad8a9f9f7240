//! The root folder that every sysfs, procfs, /dev and ESP path is resolved under.

use std::path::{Path, PathBuf};

/// A filesystem root: `/` on a real machine, a fixture tree in tests.
#[derive(Debug, Clone)]
pub struct Root {
    base: PathBuf,
}

impl Root {
    pub fn new(base: impl Into<PathBuf>) -> Self {
        Self { base: base.into() }
    }

    /// Joins an absolute system path such as `/sys/class/dmi/id` onto the root.
    pub fn join(&self, system_path: &str) -> PathBuf {
        self.base.join(system_path.trim_start_matches('/'))
    }

    pub fn sys(&self) -> PathBuf {
        self.join("/sys")
    }

    pub fn proc(&self) -> PathBuf {
        self.join("/proc")
    }

    pub fn base(&self) -> &Path {
        &self.base
    }
}

impl Default for Root {
    fn default() -> Self {
        Self::new("/")
    }
}
