//! Minisign signature files: parsing, formatting and the default trusted comment.

use jiff::Timestamp;

use super::text::{self, MAX_TRUSTED_LINE, MAX_UNTRUSTED_LINE, TRUSTED_PREFIX, UNTRUSTED_PREFIX};
use super::{FormatError, KeyId, SignError, SignatureAlgorithm};

const INPUT: &str = "signature";

/// Maximum size in bytes of a signature file: full-length comment lines plus the 100- and
/// 88-character base64 lines, with room for line endings.
pub const MAX_SIGNATURE_FILE: usize = MAX_UNTRUSTED_LINE + MAX_TRUSTED_LINE + 256;

/// Length of the decoded signature line: algorithm, key id and Ed25519 signature.
const DECODED_LEN: usize = 2 + 8 + 64;

/// Parsed minisign signature file. Nothing in it is trusted until a key verifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    algorithm: SignatureAlgorithm,
    key_id: KeyId,
    signature: [u8; 64],
    untrusted_comment: String,
    trusted_comment: String,
    global_signature: [u8; 64],
}

impl Signature {
    pub(super) fn new(
        key_id: KeyId,
        options: &SignOptions,
        signature: [u8; 64],
        global_signature: [u8; 64],
    ) -> Self {
        Self {
            algorithm: options.algorithm,
            key_id,
            signature,
            untrusted_comment: options.untrusted_comment.clone(),
            trusted_comment: options.trusted_comment.clone(),
            global_signature,
        }
    }

    /// Parses a four-line signature file. The signature is not verified here.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let text = text::decode_text(bytes, MAX_SIGNATURE_FILE, INPUT)?;
        let lines = text::exact_lines(text, 4, INPUT)?;
        let untrusted = text::strip_prefix(&lines, 0, UNTRUSTED_PREFIX, MAX_UNTRUSTED_LINE, INPUT)?;
        let trusted = text::strip_prefix(&lines, 2, TRUSTED_PREFIX, MAX_TRUSTED_LINE, INPUT)?;

        let decoded: [u8; DECODED_LEN] = text::decode_base64(lines[1], INPUT)?;
        let global_signature = text::decode_base64(lines[3], "global signature")?;
        let mut rest = &decoded[..];

        let algorithm_id = text::take(&mut rest);
        let algorithm = SignatureAlgorithm::from_id(algorithm_id).ok_or_else(|| {
            let found = FormatError::escaped(algorithm_id);
            FormatError::UnknownAlgorithm {
                input: INPUT,
                found,
            }
        })?;
        Ok(Self {
            algorithm,
            key_id: KeyId(text::take(&mut rest)),
            signature: text::take(&mut rest),
            untrusted_comment: untrusted.to_owned(),
            trusted_comment: trusted.to_owned(),
            global_signature,
        })
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    /// Id of the key that made the signature, as the signature file states it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Comment that anyone may change without invalidating the signature.
    pub fn untrusted_comment(&self) -> &str {
        &self.untrusted_comment
    }

    /// Comment covered by the global signature, without its line prefix.
    pub fn trusted_comment(&self) -> &str {
        &self.trusted_comment
    }

    pub(super) fn signature_bytes(&self) -> &[u8; 64] {
        &self.signature
    }

    pub(super) fn global_signature_bytes(&self) -> &[u8; 64] {
        &self.global_signature
    }

    /// Returns the input of the global signature: the signature, then the trusted comment.
    pub(super) fn global_signed_bytes(&self) -> Vec<u8> {
        let mut bytes = self.signature.to_vec();
        bytes.extend_from_slice(self.trusted_comment.as_bytes());
        bytes
    }

    /// Encodes the signature file as minisign writes it.
    pub fn to_file_text(&self) -> String {
        let mut decoded = Vec::with_capacity(DECODED_LEN);
        decoded.extend_from_slice(&self.algorithm.id());
        decoded.extend_from_slice(&self.key_id.0);
        decoded.extend_from_slice(&self.signature);

        let untrusted = &self.untrusted_comment;
        let signature = text::encode_base64(&decoded);
        let trusted = &self.trusted_comment;
        let global = text::encode_base64(&self.global_signature);
        format!("{UNTRUSTED_PREFIX}{untrusted}\n{signature}\n{TRUSTED_PREFIX}{trusted}\n{global}\n")
    }
}

/// Algorithm and comments of a signature to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOptions {
    pub algorithm: SignatureAlgorithm,
    pub untrusted_comment: String,
    pub trusted_comment: String,
}

impl SignOptions {
    /// Returns options for a prehashed signature with the comments that minisign 0.11
    /// writes for a file named `file_name` signed at `timestamp`.
    pub fn for_file(file_name: &str, timestamp: Timestamp) -> Self {
        let algorithm = SignatureAlgorithm::Prehashed;
        Self {
            algorithm,
            untrusted_comment: "signature from minisign secret key".to_owned(),
            trusted_comment: default_trusted_comment(file_name, timestamp, algorithm),
        }
    }

    /// Checks that both comments fit on one line within minisign's line lengths.
    pub fn validate(&self) -> Result<(), SignError> {
        let untrusted = (
            &self.untrusted_comment,
            "untrusted",
            UNTRUSTED_PREFIX,
            MAX_UNTRUSTED_LINE,
        );
        let trusted = (
            &self.trusted_comment,
            "trusted",
            TRUSTED_PREFIX,
            MAX_TRUSTED_LINE,
        );

        for (comment, which, prefix, max_line) in [untrusted, trusted] {
            if comment.contains(['\n', '\r']) {
                return Err(SignError::LineBreak { which });
            }
            let max = max_line - prefix.len();
            if comment.len() > max {
                let length = comment.len();
                return Err(SignError::CommentTooLong { which, length, max });
            }
        }
        Ok(())
    }
}

/// Builds the trusted comment that minisign 0.11 writes by default: the Unix time in
/// seconds, the file's base name, and `hashed` for a prehashed signature, separated by tabs.
pub fn default_trusted_comment(
    file_name: &str,
    timestamp: Timestamp,
    algorithm: SignatureAlgorithm,
) -> String {
    let seconds = timestamp.as_second();
    let hashed = match algorithm {
        SignatureAlgorithm::Prehashed => "\thashed",
        SignatureAlgorithm::Legacy => "",
    };
    format!("timestamp:{seconds}\tfile:{file_name}{hashed}")
}
