//! Harness for end-to-end tests: a private dbus-daemon, the real hwupd and
//! hwupctl binaries, and the fixture trees.

pub mod bus;
pub mod daemon;
pub mod http;
pub mod lab;
pub mod pause;
pub mod root;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Folder of the built binaries: the test executable sits in `target/<profile>/deps`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("deps folder");
    deps.parent().expect("profile folder").to_path_buf()
}

/// Path of a built binary, `hwupd` or `hwupctl`.
pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing; run `cargo test --workspace` so it is built",
        path.display()
    );
    path
}

/// Path of a fixture root under `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Output of a finished command, with text fields for asserts.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs a command to completion and captures its output.
pub fn run(command: &mut Command) -> Run {
    command.output().expect("spawning the command").into()
}

/// Parses stdout as JSON, with the text in the panic message on failure.
pub fn parse_json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        )
    })
}
