//! Firmware version formats, rendering of raw version integers and version comparison.
//!
//! The behaviour follows fwupd's `libfwupdplugin/fu-version-common.c`, so that catalogs
//! written for fwupd and LVFS match here as they do there. Functions document where they
//! deliberately differ. `tests/version_vectors.rs` checks the results that fwupd's self
//! tests expect.

mod bcd;
mod compare;
mod convert;
mod format;
mod guess;
mod parsed;
mod render;
mod sysfs;

pub use bcd::{bcd_from_u16_strict, bcd_from_u32_strict, validate_bcd, InvalidBcd};
pub use compare::{compare, compare_optional};
pub use convert::{ensure_semver, parse_from_format};
pub use format::{ParseFormatError, VersionFormat};
pub use guess::{guess_format, verify_format, FormatMismatch};
pub use parsed::ParsedVersion;
pub use render::{from_u16, from_u24, from_u32, from_u64, RenderError, U24_MAX};
pub use sysfs::{
    format_microcode_revision, normalize_nvm_version, parse_microcode_revision,
    InvalidMicrocodeRevision, InvalidNvmVersion,
};
