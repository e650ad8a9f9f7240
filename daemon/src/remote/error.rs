//! Refresh failures, each with a stable kind string for logs, `hwupctl remotes` and D-Bus.

use std::path::PathBuf;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::catalog::document::{DocumentError, ValidationError};
use crate::catalog::minisign::VerifyError;

/// Failure to refresh a remote. On every variant the previously accepted catalog stays
/// in place and in use.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("remote {id} is disabled; set enabled = true in its config file to refresh it")]
    Disabled { id: String },

    #[error("fetching {url} failed: {message}")]
    FetchFailed { url: String, message: String },

    #[error("fetching {url} failed with HTTP status {status}")]
    HttpStatus { url: String, status: u16 },

    #[error(
        "{url} is larger than the maximum of {max} bytes; raise max_catalog_size in the \
         remote's config if the catalog is meant to be that large"
    )]
    TooLarge { url: String, max: u64 },

    #[error("the signature {url} does not exist; publish the catalog's .minisig file there")]
    SignatureMissing { url: String },

    #[error("the signature of the catalog from {url} is not valid")]
    SignatureInvalid {
        url: String,
        #[source]
        source: VerifyError,
    },

    #[error(
        "the catalog from {url} is signed by a key that the remote does not pin; add the \
         key to public_keys if the publisher rotated keys"
    )]
    UnknownKey {
        url: String,
        #[source]
        source: VerifyError,
    },

    #[error("the catalog from {url} is not a valid catalog")]
    Malformed {
        url: String,
        #[source]
        source: DocumentError,
    },

    #[error(
        "the catalog from {url} has a payload location outside the remote; set \
         allow_payload_hosts = true only if payloads on other hosts are intended"
    )]
    PayloadPath {
        url: String,
        #[source]
        source: ValidationError,
    },

    #[error(
        "the catalog names remote {found:?}, but it was fetched for remote {expected:?}; \
         point the remote's url at its own catalog"
    )]
    WrongRemote { expected: String, found: String },

    #[error(
        "the catalog has serial {serial}, lower than the accepted serial {accepted}, so it \
         is an older catalog (rollback); the publisher must publish a serial above {accepted}"
    )]
    Rollback { serial: u64, accepted: u64 },

    #[error(
        "the catalog has serial {serial}, which was already accepted with other content \
         (replay or equivocation); the publisher must raise the serial for every change"
    )]
    Replay { serial: u64 },

    #[error(
        "the catalog of serial {serial} expired at {expires}; the publisher must sign a \
         fresh catalog"
    )]
    Expired { serial: u64, expires: Timestamp },

    #[error(
        "the catalog was issued at {issued}, more than 5 minutes after this machine's time \
         {now}; check the clocks of this machine and of the signer"
    )]
    IssuedInFuture { issued: Timestamp, now: Timestamp },

    #[error("storing the state of remote {id} in {path} failed")]
    Store {
        id: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the refresh of remote {id} stopped unexpectedly: {message}")]
    Internal { id: String, message: String },
}

impl RefreshError {
    /// Every value that [`RefreshError::kind`] returns.
    pub const KINDS: &'static [&'static str] = &[
        "disabled",
        "fetch-failed",
        "http-status",
        "too-large",
        "signature-missing",
        "signature-invalid",
        "unknown-key",
        "malformed",
        "payload-path",
        "wrong-remote",
        "rollback",
        "replay",
        "expired",
        "issued-in-future",
        "store-failed",
        "internal",
    ];

    /// Returns the stable, kebab-case name of the failure for logs, status files,
    /// `hwupctl remotes` and D-Bus.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Disabled { .. } => "disabled",
            Self::FetchFailed { .. } => "fetch-failed",
            Self::HttpStatus { .. } => "http-status",
            Self::TooLarge { .. } => "too-large",
            Self::SignatureMissing { .. } => "signature-missing",
            Self::SignatureInvalid { .. } => "signature-invalid",
            Self::UnknownKey { .. } => "unknown-key",
            Self::Malformed { .. } => "malformed",
            Self::PayloadPath { .. } => "payload-path",
            Self::WrongRemote { .. } => "wrong-remote",
            Self::Rollback { .. } => "rollback",
            Self::Replay { .. } => "replay",
            Self::Expired { .. } => "expired",
            Self::IssuedInFuture { .. } => "issued-in-future",
            Self::Store { .. } => "store-failed",
            Self::Internal { .. } => "internal",
        }
    }

    /// Returns the message with the messages of all its sources, joined by `: `, without
    /// a source whose message repeats the text before it.
    pub fn full_message(&self) -> String {
        crate::output::error_chain(self)
    }

    /// Returns the kind and full message, as the status file stores them.
    pub fn to_last_error(&self) -> LastError {
        LastError {
            kind: self.kind().to_owned(),
            message: self.full_message(),
        }
    }
}

/// Failure of the last refresh, as stored in `status.json` and shown by `hwupctl remotes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    /// One of [`RefreshError::KINDS`].
    pub kind: String,
    pub message: String,
}
