//! Errors of the minisign parsers, of verification and of signing.

use super::KeyId;

/// Input that could not be parsed as a minisign key or signature, so nothing was checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the {input} is empty")]
    Empty { input: &'static str },

    #[error("the {input} is {size} bytes, more than the maximum of {max} bytes")]
    TooLarge {
        input: &'static str,
        size: usize,
        max: usize,
    },

    #[error("the {input} is not valid UTF-8 text")]
    NotUtf8 { input: &'static str },

    #[error("the {input} is truncated: it has {found} lines, expected {expected}")]
    Truncated {
        input: &'static str,
        found: usize,
        expected: usize,
    },

    #[error("the {input} has data after its last line (expected {expected} lines)")]
    TrailingData {
        input: &'static str,
        expected: usize,
    },

    #[error("line {line} of the {input} does not start with {prefix:?}")]
    MissingPrefix {
        input: &'static str,
        line: usize,
        prefix: &'static str,
    },

    #[error("the {input} is not valid base64")]
    InvalidBase64 { input: &'static str },

    #[error("the {input} decodes to {found} bytes, expected {expected}")]
    WrongLength {
        input: &'static str,
        found: usize,
        expected: usize,
    },

    #[error("the {input} names the unknown signature algorithm \"{found}\"")]
    UnknownAlgorithm { input: &'static str, found: String },

    #[error(
        "the secret key is encrypted with a password, which is not supported; remove the \
         password with `minisign -C -W` or create an unencrypted key with `minisign -G -W`"
    )]
    EncryptedSecretKey,

    #[error("the secret key names the unknown key derivation function \"{found}\"")]
    UnknownKdf { found: String },

    #[error("the secret key names the unknown checksum algorithm \"{found}\"")]
    UnknownChecksum { found: String },

    #[error("the secret key checksum does not match the key, so the key file is damaged")]
    ChecksumMismatch,

    #[error(
        "the public half stored in the secret key does not match the private half, \
         so the key file is damaged"
    )]
    InconsistentSecretKey,

    #[error("the public key is not a valid Ed25519 point")]
    InvalidPublicKey,

    #[error("the public key is an Ed25519 point of small order, which no honest signer uses")]
    WeakPublicKey,
}

impl FormatError {
    /// Formats algorithm bytes for an error message as escaped ASCII.
    pub(super) fn escaped(bytes: [u8; 2]) -> String {
        bytes.escape_ascii().to_string()
    }
}

/// Failure to verify a signature.
///
/// `Malformed` means the signature or key could not be checked at all. The other
/// variants mean the signature was checked and rejected; see [`VerifyError::is_rejection`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("could not check the signature")]
    Malformed(#[from] FormatError),

    #[error(
        "the signature was made by key {key_id}, which is not a pinned key (pinned: {})",
        join_key_ids(pinned)
    )]
    UnknownKey { key_id: KeyId, pinned: Vec<KeyId> },

    #[error("invalid signature by key {key_id}: the signed data does not match")]
    BadSignature { key_id: KeyId },

    #[error(
        "invalid global signature by key {key_id}: the trusted comment or the global \
         signature was changed after signing"
    )]
    BadGlobalSignature { key_id: KeyId },
}

impl VerifyError {
    /// Returns true when the signature was checked and rejected, and false when it could
    /// not be checked because the input was malformed.
    pub fn is_rejection(&self) -> bool {
        !matches!(self, Self::Malformed(_))
    }
}

fn join_key_ids(ids: &[KeyId]) -> String {
    if ids.is_empty() {
        return "none".to_owned();
    }
    let ids: Vec<String> = ids.iter().map(KeyId::to_string).collect();
    ids.join(", ")
}

/// Comment that cannot go into a signature file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("the {which} comment contains a line break; comments must fit on one line")]
    LineBreak { which: &'static str },

    #[error("the {which} comment is {length} bytes, more than the maximum of {max} bytes")]
    CommentTooLong {
        which: &'static str,
        length: usize,
        max: usize,
    },
}
