//! Free-space check of the staging folder before a download starts.

use std::path::Path;

use super::StageError;

const MIB: u64 = 1024 * 1024;

/// Minimum space left free after staging, so that the history database, logs and other
/// services on the same filesystem can still write.
pub const MIN_SPACE_MARGIN: u64 = 64 * MIB;

/// Share of the filesystem's size, in percent, left free after staging when that is more
/// than [`MIN_SPACE_MARGIN`]. It scales the margin for large filesystems, where other
/// writers tend to need more room.
pub const SPACE_MARGIN_PERCENT: u64 = 5;

/// Cap of the margin, so that a filesystem of several TiB is not held to a margin of
/// hundreds of GiB. The free space counted already excludes the root-reserved blocks.
pub const MAX_SPACE_MARGIN: u64 = 1024 * MIB;

/// Size and free space of a filesystem, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FsSpace {
    pub total: u64,
    /// Space available to unprivileged users (`f_bavail`), so staging leaves the
    /// root-reserved blocks alone even though the daemon runs as root.
    pub available: u64,
}

impl FsSpace {
    /// Reads the numbers of the filesystem that contains `folder` with `statvfs`.
    // The statvfs fields are u32 on some 32-bit targets, so the conversions are needed
    // there.
    #[allow(clippy::useless_conversion)]
    pub fn of(folder: &Path) -> Result<Self, StageError> {
        let stats = nix::sys::statvfs::statvfs(folder)
            .map_err(|errno| StageError::io("reading free space of", folder, errno.into()))?;
        let fragment = u64::from(stats.fragment_size());
        Ok(Self {
            total: u64::from(stats.blocks()).saturating_mul(fragment),
            available: u64::from(stats.blocks_available()).saturating_mul(fragment),
        })
    }
}

/// Returns the space to keep free after staging on a filesystem of `total` bytes.
pub fn space_margin(total: u64) -> u64 {
    let share = total / 100 * SPACE_MARGIN_PERCENT;
    share.clamp(MIN_SPACE_MARGIN, MAX_SPACE_MARGIN)
}

/// Checks that `space` fits the `remaining` bytes of a payload plus the margin.
pub fn check_free_space(folder: &Path, remaining: u64, space: FsSpace) -> Result<(), StageError> {
    let needed = remaining.saturating_add(space_margin(space.total));
    if space.available < needed {
        return Err(StageError::NoSpace {
            folder: folder.to_owned(),
            needed,
            free: space.available,
        });
    }
    Ok(())
}
