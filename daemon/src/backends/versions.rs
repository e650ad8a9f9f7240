//! Comparing the version a device reports after an update with the release's version.

use std::cmp::Ordering;

use crate::catalog::document::Release;
use crate::version::{compare, from_u32, VersionFormat};

use super::Verification;

/// Returns the release's version format as the version module names it.
fn release_format(release: &Release) -> Result<VersionFormat, String> {
    let name = release.version_format.as_str();
    name.parse()
        .map_err(|_| format!("release {} has unknown version format {name:?}", release.id))
}

/// Compares a reported version with the release's, in the release's format.
pub fn compare_with_release(found: &str, release: &Release) -> Result<Ordering, String> {
    Ok(compare(found, &release.version, release_format(release)?))
}

/// Renders a raw 32-bit version, such as an ESRT `fw_version`, in the release's format.
pub fn render_raw(raw: u64, release: &Release) -> Result<String, String> {
    let raw = u32::try_from(raw).map_err(|_| format!("version {raw} does not fit in 32 bits"))?;
    from_u32(raw, release_format(release)?).map_err(|e| e.to_string())
}

/// Verifies that `found`, the version the device reports, equals the release's.
pub fn verify_equal(subject: &str, found: Option<&str>, release: &Release) -> Verification {
    let Some(found) = found else {
        return Verification::Failed {
            reason: format!("{subject} reports no version"),
        };
    };
    match compare_with_release(found, release) {
        Ok(Ordering::Equal) => Verification::Succeeded,
        Ok(_) => Verification::Failed {
            reason: format!(
                "{subject} reports version {found}, expected {}",
                release.version
            ),
        },
        Err(reason) => Verification::Failed { reason },
    }
}
