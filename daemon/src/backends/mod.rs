//! Install methods: how a staged payload reaches a device, and how the result is checked.
//!
//! Each method implements [`Backend`]; [`backend_for`] picks one from a release's
//! `install_method`. Every call is blocking (file writes, fsync, child processes), so
//! the daemon runs it on tokio's blocking pool with `spawn_blocking`. The daemon also
//! serializes calls: two applies on the same ESP or module at once are not supported.
//!
//! # Apply, verify, roll back
//!
//! 1. `check` reports, without changing anything, whether the method can update this
//!    device on this machine.
//! 2. `apply` installs the payload and returns [`ApplyOutcome::Done`] when the new
//!    version is live, or [`ApplyOutcome::PendingReboot`] when it takes effect at the
//!    next boot. An error says through [`BackendError::state_changed`] whether the
//!    device or the files on disk were left different from before.
//! 3. `verify` runs on a device from a fresh inventory scan and returns
//!    [`Verification::Succeeded`], [`Verification::Failed`] with a reason, or
//!    [`Verification::Pending`] while the change has not happened yet.
//! 4. `rollback` restores the version from before the last `apply`, where the method
//!    can (kmod, emulated), or withdraws a capsule that the firmware has not
//!    processed yet (uefi-capsule). Thunderbolt has no rollback.
//!
//! # The pending-reboot flow
//!
//! Before it returns `PendingReboot`, a backend writes its own record under
//! `<state_dir>/backends/<method>/`, including the boot id from
//! `/proc/sys/kernel/random/boot_id`. The daemon, before it reports the outcome or
//! reboots, must persist in its history: the device id, the whole [`Release`] (the
//! catalog may be replaced before the next boot), the method and the outcome. After
//! the daemon starts again, it rescans the inventory and calls `verify` for each
//! pending entry with the device of the same id. `Pending` means the machine has not
//! rebooted yet (same boot id), so the entry stays pending. `Succeeded` and `Failed`
//! are final, and the backend has removed its record and any staged file by then.

mod command;
pub mod config;
mod efivars;
pub mod emulated;
mod error;
mod files;
pub mod kmod;
mod mounts;
mod records;
pub mod thunderbolt;
pub mod uefi_capsule;
mod versions;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::{BackendsConfig, CapsuleDelivery, CommandTemplate, ThunderboltAuthentication};
pub use emulated::{EmulatedConfig, EmulatedDeviceConfig, EmulatedFailure};
pub use error::BackendError;

use crate::catalog::document::{InstallMethod, Release};
use crate::device::Device;
use crate::root::Root;

/// One install method.
pub trait Backend: Send + Sync {
    /// The catalog's name of this method.
    fn method(&self) -> InstallMethod;

    /// Checks the preconditions for installing `release` on `device`, changing nothing.
    fn check(&self, ctx: &Context, device: &Device, release: &Release) -> Result<(), BackendError>;

    /// Installs `payload`, a staged file whose hash the caller has already checked.
    fn apply(
        &self,
        ctx: &Context,
        device: &Device,
        payload: &Path,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError>;

    /// Checks `device`, read by a scan after `apply`, against `release`.
    fn verify(&self, ctx: &Context, device: &Device, release: &Release) -> Verification;

    /// Restores the state from before the last `apply` of `release` on `device`.
    fn rollback(
        &self,
        ctx: &Context,
        device: &Device,
        release: &Release,
    ) -> Result<ApplyOutcome, BackendError>;
}

/// What `apply` achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The new version is live now.
    Done,
    /// The new version takes effect at the next boot.
    PendingReboot,
}

/// Result of checking a device after an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Succeeded,
    /// The update did not take; the reason names the value that shows it.
    Failed {
        reason: String,
    },
    /// The update has not happened yet, such as before the reboot that applies it.
    Pending {
        reason: String,
    },
}

/// Bytes written so far out of the total, reported while a payload is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub written: u64,
    pub total: u64,
}

/// Callback that receives [`Progress`] reports.
pub type ProgressFn = Arc<dyn Fn(Progress) + Send + Sync>;

/// Inputs of every backend call: the root, the state folder and the configuration.
#[derive(Clone)]
pub struct Context {
    pub root: Root,
    /// The daemon's state folder, such as `/var/lib/hwupd`.
    pub state_dir: PathBuf,
    pub config: BackendsConfig,
    pub emulated: EmulatedConfig,
    progress: Option<ProgressFn>,
}

impl Context {
    pub fn new(
        root: Root,
        state_dir: impl Into<PathBuf>,
        config: BackendsConfig,
        emulated: EmulatedConfig,
    ) -> Self {
        Self {
            root,
            state_dir: state_dir.into(),
            config,
            emulated,
            progress: None,
        }
    }

    /// Sets the callback that receives write progress, such as a D-Bus job's.
    pub fn with_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    fn report(&self, written: u64, total: u64) {
        if let Some(progress) = &self.progress {
            progress(Progress { written, total });
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("root", &self.root)
            .field("state_dir", &self.state_dir)
            .field("config", &self.config)
            .field("emulated", &self.emulated)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// Returns the backend that installs releases with `method`.
pub fn backend_for(method: &InstallMethod) -> Result<&'static dyn Backend, BackendError> {
    match method {
        InstallMethod::UefiCapsule => Ok(&uefi_capsule::UefiCapsule),
        InstallMethod::Thunderbolt => Ok(&thunderbolt::Thunderbolt),
        InstallMethod::Kmod => Ok(&kmod::Kmod),
        InstallMethod::Emulated => Ok(&emulated::Emulated),
        InstallMethod::Unknown(name) => Err(BackendError::UnknownMethod(name.clone())),
    }
}

/// Returns the boot id of the running kernel, which changes at every boot.
pub fn boot_id(root: &Root) -> Option<String> {
    crate::inventory::sysfs::read_attr(&root.join("/proc/sys/kernel/random"), "boot_id")
}

/// Rejects a release whose method is not `expected`, or a device of another kind.
fn check_target(
    device: &Device,
    release: &Release,
    expected: InstallMethod,
    kind: crate::device::DeviceKind,
) -> Result<(), BackendError> {
    if release.install_method != expected {
        return Err(BackendError::not_applicable(
            device,
            &expected,
            format!("release {} uses {}", release.id, release.install_method),
        ));
    }
    if device.kind != kind {
        return Err(BackendError::not_applicable(
            device,
            &expected,
            format!("the device is a {} device, not {kind}", device.kind),
        ));
    }
    Ok(())
}
