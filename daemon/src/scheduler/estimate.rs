//! Estimated time to apply an update, per install method.

use jiff::SignedDuration;

use crate::catalog::document::InstallMethod;

/// Returns the estimated time to apply a release with `method`.
///
/// NOTE: these are estimates, not measurements. Catalogs carry no duration
/// per release yet; when they do, that value should take precedence.
pub fn default_duration(method: &InstallMethod) -> SignedDuration {
    let minutes = match method {
        // Writing the capsule is quick, but the firmware flashes it during
        // the next boot, which takes a reboot and often several minutes.
        InstallMethod::UefiCapsule => 20,
        // Writing the NVM image and authenticating it.
        InstallMethod::Thunderbolt => 10,
        // Installing the module, running depmod and reloading it.
        InstallMethod::Kmod => 5,
        InstallMethod::Emulated => 1,
        InstallMethod::Unknown(_) => 30,
    };
    SignedDuration::from_mins(minutes)
}
