//! The error type of the install methods.

use std::io;
use std::path::PathBuf;

use crate::catalog::document::InstallMethod;
use crate::device::Device;

/// Failure of an install method. [`BackendError::state_changed`] reports whether the
/// device or the files on disk differ from before the call.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("install method {0:?} is unknown to this hwupd; update hwupd to install it")]
    UnknownMethod(String),

    #[error("{method} cannot update device {device} ({name}): {reason}")]
    NotApplicable {
        device: String,
        name: String,
        method: String,
        reason: String,
    },

    #[error("{item} {value:?} is not a single safe file name, so it cannot become a path")]
    UnsafeName { item: &'static str, value: String },

    #[error("payload {path} is invalid: {reason}")]
    InvalidPayload { path: PathBuf, reason: String },

    #[error("{action} {path} failed: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
        state_changed: bool,
    },

    #[error("{item} not found at {path}; {hint}")]
    Missing {
        item: &'static str,
        path: PathBuf,
        hint: &'static str,
    },

    #[error("{item} in {path} is invalid: {reason}")]
    InvalidState {
        item: &'static str,
        path: PathBuf,
        reason: String,
    },

    #[error("the firmware does not support {feature}: {path} {reason}")]
    FirmwareUnsupported {
        feature: &'static str,
        path: PathBuf,
        reason: String,
    },

    #[error(
        "capsule {path} is already staged for the next boot; reboot or roll it back \
         before staging another"
    )]
    CapsulePending { path: PathBuf },

    #[error(
        "device folder {path} vanished after {written} of {total} bytes were written; \
         reconnect the device and apply again"
    )]
    DeviceVanished {
        path: PathBuf,
        written: u64,
        total: u64,
    },

    #[error("command {command} failed: {detail}")]
    Command {
        command: String,
        detail: String,
        state_changed: bool,
    },

    #[error(
        "kernel module {module} failed to load: {detail}; {}",
        rollback_text(.rollback)
    )]
    LoadFailed {
        module: String,
        detail: String,
        /// The error of the automatic rollback, or None when it restored the
        /// previous module.
        rollback: Option<Box<BackendError>>,
    },

    #[error("emulated device {id} is configured to fail with failure = \"apply\"")]
    InjectedFailure { id: String },

    #[error("{method} has nothing to roll back on device {device}: {reason}")]
    NothingToRollBack {
        device: String,
        method: String,
        reason: &'static str,
    },
}

fn rollback_text(rollback: &Option<Box<BackendError>>) -> String {
    match rollback {
        None => "the previous module was restored".to_string(),
        Some(error) => format!("restoring the previous module also failed: {error}"),
    }
}

impl BackendError {
    /// Returns whether the device or the files on disk were left changed. False means
    /// the call had no effect, or that its effect was undone.
    pub fn state_changed(&self) -> bool {
        match self {
            Self::Io { state_changed, .. } | Self::Command { state_changed, .. } => *state_changed,
            Self::LoadFailed { rollback, .. } => rollback.is_some(),
            _ => false,
        }
    }

    pub(crate) fn not_applicable(
        device: &Device,
        method: &InstallMethod,
        reason: impl Into<String>,
    ) -> Self {
        Self::NotApplicable {
            device: device.id.clone(),
            name: device.name.clone(),
            method: method.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
            state_changed: false,
        }
    }

    /// Marks an I/O or command error as having left the state changed.
    pub(crate) fn changed(mut self) -> Self {
        if let Self::Io { state_changed, .. } | Self::Command { state_changed, .. } = &mut self {
            *state_changed = true;
        }
        self
    }
}
