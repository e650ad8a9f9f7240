//! The catalog document: the signed JSON file that lists a remote's releases.
//!
//! [`Catalog::parse`] checks the size, the format version and the JSON structure, then
//! validates every field. Unknown fields are rejected, because a field added by a later
//! format could carry a restriction that this version would silently ignore.

mod borrowed;
mod checks;
mod errors;
mod kinds;
pub mod location;
mod validate;

use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub(crate) use borrowed::BorrowedRelease;
pub use errors::{Problem, ReleaseRef, ValidationError};
pub use kinds::{urgency_key, InstallMethod, Ring, Severity, VersionFormat};
pub use validate::ValidateOptions;

/// The only format version this hwupd reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Maximum size in bytes of a catalog document. A release with a few sentences of
/// description takes about 1.2 KiB of pretty-printed JSON, as `examples/bench_catalog.rs`
/// generates them, so this fits [`MAX_RELEASES`] such releases. It also bounds the memory
/// that the daemon spends on an untrusted download before the signature is checked.
pub const MAX_CATALOG_SIZE: usize = 128 * 1024 * 1024;

/// Maximum number of releases in one catalog. A vendor-wide catalog can list tens of
/// thousands, and the streaming reader in `crate::matching` keeps only this machine's
/// releases in memory.
pub const MAX_RELEASES: usize = 100_000;

/// Maximum payload size in bytes. System firmware capsules are typically a few MiB to some
/// tens of MiB, and Thunderbolt images and kernel modules are smaller. The cap bounds
/// the disk space that the daemon stages for one release.
pub const MAX_PAYLOAD_SIZE: u64 = 256 * 1024 * 1024;

/// Signed list of the releases that one remote offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub format_version: u32,
    /// Id of the remote that publishes the catalog. The daemon rejects a catalog that
    /// names another remote.
    pub remote_id: String,
    /// Sequence number that grows with every published catalog. The daemon rejects a
    /// catalog whose serial is lower than that of the last one it accepted.
    pub serial: u64,
    /// Time of issue, in RFC 3339.
    pub issued: Timestamp,
    /// Time after which the daemon rejects the catalog as stale, in RFC 3339.
    pub expires: Timestamp,
    #[serde(default)]
    pub releases: Vec<Release>,
}

/// One firmware or driver update and the devices it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// Id unique within the catalog, made of ASCII letters, digits, `.`, `_`, `-` and `+`.
    pub id: String,
    pub name: String,
    /// One-line summary for tables and notifications.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    pub devices: Devices,
    /// Hardware ID GUIDs of the whole machine (fwupd's HWIDs). When present, the release
    /// applies only on a machine that has at least one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hardware_ids: Vec<String>,
    /// Version that the device reports after the update.
    pub version: String,
    pub version_format: VersionFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<Replaces>,
    /// Lowest current version from which the device can install this release. A device
    /// below it needs an intermediate update first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lowest_supported_version: Option<String>,
    pub severity: Severity,
    /// CVE ids that the release fixes, such as `CVE-2024-12345`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cves: Vec<String>,
    /// Whether any of the fixed vulnerabilities is known to be exploited.
    #[serde(default)]
    pub known_exploited: bool,
    pub release_date: Date,
    pub install_method: InstallMethod,
    pub payload: Payload,
    #[serde(default)]
    pub reboot_required: bool,
    pub rollout: Rollout,
}

/// Devices that a release applies to. A device matches if it has any of the GUIDs or
/// instance IDs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Devices {
    /// Device GUIDs in lower-case hyphenated form.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guids: Vec<String>,
    /// Instance IDs such as `PCI\VEN_8086&DEV_15BB`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_ids: Vec<String>,
}

/// Current device versions that a release may replace. An absent `replaces` means any
/// version older than the release's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replaces {
    /// Exact current versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Lowest current version, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Highest current version, inclusive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
}

/// The file to install and how to check it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// Path relative to the catalog's location, with `/` between segments.
    pub path: String,
    /// SHA-256 of the payload in hexadecimal.
    pub sha256: String,
    /// Exact size in bytes.
    pub size: u64,
    /// Absolute `http://` or `https://` URL to fetch the payload from instead of `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// Rollout limits of a release: the last ring offered it and the share of machines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// Last ring that receives the release.
    pub ring: Ring,
    /// Share of the machines in those rings, from 0 to 100, chosen by a stable
    /// per-machine value.
    pub percentage: u32,
}

/// Failure to read a catalog document.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the catalog is empty")]
    Empty,

    #[error("the catalog is {size} bytes, more than the maximum of {max} bytes")]
    TooLarge { size: usize, max: usize },

    #[error("the catalog is not valid UTF-8 text")]
    NotUtf8,

    #[error("the catalog is not valid catalog JSON")]
    Json(#[from] serde_json::Error),

    #[error("the catalog is {found}, not a JSON object; a catalog document starts with '{{'")]
    NotObject { found: &'static str },

    #[error("the catalog has no format_version field")]
    MissingFormatVersion,

    #[error(
        "the catalog has format version {found}, but this hwupd reads only version \
         {FORMAT_VERSION}; update hwupd to read it"
    )]
    UnsupportedFormatVersion { found: u64 },

    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// The one field read before the rest, so that a newer format gets a clear error.
#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<u64>,
}

impl Catalog {
    /// Returns an empty catalog for `remote_id` with serial 1.
    pub fn new(remote_id: &str, issued: Timestamp, expires: Timestamp) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            remote_id: remote_id.to_owned(),
            serial: 1,
            issued,
            expires,
            releases: Vec::new(),
        }
    }

    /// Parses and validates a catalog document.
    pub fn parse(bytes: &[u8], options: &ValidateOptions) -> Result<Self, DocumentError> {
        let read = |text| serde_json::from_str::<Catalog>(text);
        let catalog = read_document(bytes, read, |catalog| catalog.format_version)?;
        catalog.validate(options)?;
        Ok(catalog)
    }

    /// Encodes the catalog as pretty-printed JSON with a final line feed.
    pub fn to_json(&self) -> String {
        // serde_json fails only on a failing Serialize impl or a map with non-string keys,
        // and these types have neither.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Returns the release with `id`, if any.
    pub fn release(&self, id: &str) -> Option<&Release> {
        self.releases.iter().find(|release| release.id == id)
    }

    /// Returns whether the catalog has expired at `now`.
    pub fn is_expired_at(&self, now: Timestamp) -> bool {
        now >= self.expires
    }
}

/// Reads a catalog document with `read` and reports errors in the order that every
/// reader of catalogs shares: size, encoding, the format version, then what `read` found.
///
/// The format version comes first so that a newer format gets a clear error instead of
/// one about its new fields. Reading it takes a pass over the whole JSON text, so a
/// document that is an object is read first, and the version is read separately only
/// when `read` fails. Once `read` succeeds, the document has exactly one
/// `format_version`, which `version_of` returns from the result.
pub(crate) fn read_document<'a, T>(
    bytes: &'a [u8],
    read: impl FnOnce(&'a str) -> Result<T, serde_json::Error>,
    version_of: impl FnOnce(&T) -> u32,
) -> Result<T, DocumentError> {
    let text = document_text(bytes)?;
    // serde reads an array into a struct and names the struct in its errors about
    // other values, so a document that is no object is rejected before the probe.
    if let Some(found) = non_object_kind(text) {
        return Err(DocumentError::NotObject { found });
    }
    if !is_object(text) {
        check_format_version(text)?;
        return Ok(read(text)?);
    }

    match read(text) {
        Ok(document) => {
            version_supported(Some(u64::from(version_of(&document))))?;
            Ok(document)
        }
        Err(error) => {
            check_format_version(text)?;
            Err(error.into())
        }
    }
}

/// Checks the size and the encoding of a catalog document and returns its text.
fn document_text(bytes: &[u8]) -> Result<&str, DocumentError> {
    if bytes.is_empty() {
        return Err(DocumentError::Empty);
    }
    if bytes.len() > MAX_CATALOG_SIZE {
        let size = bytes.len();
        return Err(DocumentError::TooLarge {
            size,
            max: MAX_CATALOG_SIZE,
        });
    }
    std::str::from_utf8(bytes).map_err(|_| DocumentError::NotUtf8)
}

/// Returns whether the JSON text starts with `{` after whitespace.
fn is_object(text: &str) -> bool {
    let mut bytes = text
        .bytes()
        .skip_while(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'));
    bytes.next() == Some(b'{')
}

/// Reads only the format version and checks it.
fn check_format_version(text: &str) -> Result<(), DocumentError> {
    let probe: VersionProbe = serde_json::from_str(text)?;
    version_supported(probe.format_version)
}

fn version_supported(found: Option<u64>) -> Result<(), DocumentError> {
    match found {
        None => Err(DocumentError::MissingFormatVersion),
        Some(found) if found != u64::from(FORMAT_VERSION) => {
            Err(DocumentError::UnsupportedFormatVersion { found })
        }
        Some(_) => Ok(()),
    }
}

/// Returns the kind of JSON value that `text` starts with, unless it is an object or
/// does not start like any JSON value, which the parser then reports.
fn non_object_kind(text: &str) -> Option<&'static str> {
    let first = text.trim_start().chars().next()?;
    match first {
        '[' => Some("a JSON array"),
        '"' => Some("a JSON string"),
        'n' => Some("JSON null"),
        't' | 'f' => Some("a JSON boolean"),
        '-' | '0'..='9' => Some("a JSON number"),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
