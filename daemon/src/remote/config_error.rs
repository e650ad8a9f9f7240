//! Errors in remote config files, each naming the file, the key and the fix.

use std::fmt;
use std::path::PathBuf;

use super::duration::DurationError;
use crate::catalog::minisign::FormatError;

/// Remote config file that could not be read or has an invalid key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("remote config {}: {}{problem}", path.display(), KeyPrefix(key))]
pub struct RemoteConfigError {
    pub path: PathBuf,
    /// Key that has the problem, or None for a problem of the whole file.
    pub key: Option<String>,
    pub problem: ConfigProblem,
}

/// Formats `key <name> ` before a problem, or nothing for a problem of the whole file.
struct KeyPrefix<'a>(&'a Option<String>);

impl fmt::Display for KeyPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(key) => write!(f, "key `{key}` "),
            None => Ok(()),
        }
    }
}

/// Rule of the remote config format that a file or key breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigProblem {
    #[error("cannot be read: {message}")]
    Read { message: String },

    #[error("is {size} bytes, more than the maximum of {max} bytes for a remote config file")]
    TooLarge { size: u64, max: u64 },

    #[error("is not valid TOML: {message}")]
    Syntax { message: String },

    #[error("is not a known key; the keys are {}", super::config::KNOWN_KEYS.join(", "))]
    UnknownKey,

    #[error("is missing; add a line such as {example}")]
    Missing { example: &'static str },

    #[error("must be {expected}, not {found}; for example {example}")]
    WrongType {
        expected: &'static str,
        found: &'static str,
        example: &'static str,
    },

    #[error(
        "{value:?} is not a valid remote id: use 1 to 128 lower-case ASCII letters, digits, \
         '.', '_' and '-', starting with a letter or digit{}",
        if *from_file_name { "; the id comes from the file name, so rename the file or set id" } else { "" }
    )]
    InvalidId { value: String, from_file_name: bool },

    #[error("{value:?} is not a valid catalog location: {reason}")]
    InvalidUrl { value: String, reason: &'static str },

    #[error(
        "lists no key; add the minisign public key that signs the catalog, as \
         public_keys = [\"RW...\"] with the second line of the signer's minisign.pub"
    )]
    NoKeys,

    #[error(
        "entry {index} is not a minisign public key: {error}; give the key line that \
         `minisign -G` prints, or the whole public key file"
    )]
    InvalidKey { index: usize, error: FormatError },

    #[error("{error}")]
    InvalidDuration { error: DurationError },

    #[error("is {value}, outside the range {min} to {max}")]
    DurationOutOfRange {
        value: String,
        min: &'static str,
        max: &'static str,
    },

    #[error("is {value}; give a positive number of bytes")]
    InvalidSize { value: i64 },

    #[error(
        "names remote id {id:?}, which {other} uses too; give each remote its own id",
        other = other.display()
    )]
    DuplicateId { id: String, other: PathBuf },
}
