//! Minisign public keys, as `minisign -G` writes them to a file or `minisign -P` takes them.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::VerifyingKey;

use super::text::{self, UNTRUSTED_PREFIX};
use super::{FormatError, KeyId, Prehash, Signature, VerifyError};

const INPUT: &str = "public key";

/// Maximum size in bytes of a public key file: a full-length untrusted comment line plus
/// the 56-character key line, with room for line endings.
pub const MAX_PUBLIC_KEY_FILE: usize = text::MAX_UNTRUSTED_LINE + 64;

/// Length of the decoded key line: `Ed`, the key id and the 32-byte Ed25519 key.
const DECODED_LEN: usize = 2 + 8 + 32;

/// Minisign public key: a key id and an Ed25519 verifying key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key_id: KeyId,
    key: VerifyingKey,
}

impl PublicKey {
    pub(super) fn new(key_id: KeyId, key: VerifyingKey) -> Self {
        Self { key_id, key }
    }

    /// Parses a public key file (untrusted comment line, then the key) or the bare base64
    /// key on one line. Whitespace around a bare key is ignored.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let text = text::decode_text(bytes, MAX_PUBLIC_KEY_FILE, INPUT)?;
        let lines = text::lines(text);
        let first = lines.first().copied().unwrap_or_default();

        // A lone comment line is a key file cut short, not a bare key.
        if lines.len() == 1 && !first.starts_with(UNTRUSTED_PREFIX) {
            return Self::decode(first.trim());
        }
        let lines = text::exact_lines(text, 2, INPUT)?;
        text::strip_prefix(&lines, 0, UNTRUSTED_PREFIX, text::MAX_UNTRUSTED_LINE, INPUT)?;
        Self::decode(lines[1])
    }

    fn decode(line: &str) -> Result<Self, FormatError> {
        let decoded: [u8; DECODED_LEN] = text::decode_base64(line, INPUT)?;
        let mut rest = &decoded[..];

        let algorithm: [u8; 2] = text::take(&mut rest);
        if &algorithm != b"Ed" {
            let found = FormatError::escaped(algorithm);
            return Err(FormatError::UnknownAlgorithm {
                input: INPUT,
                found,
            });
        }
        let key_id = KeyId(text::take(&mut rest));
        let key = verifying_key(text::take(&mut rest))?;
        Ok(Self { key_id, key })
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }

    /// Encodes the key as the one-line base64 string that `minisign -P` takes.
    pub fn to_base64(&self) -> String {
        let mut bytes = Vec::with_capacity(DECODED_LEN);
        bytes.extend_from_slice(b"Ed");
        bytes.extend_from_slice(&self.key_id.0);
        bytes.extend_from_slice(self.key.as_bytes());
        text::encode_base64(&bytes)
    }

    /// Encodes the key as a public key file, with the comment line that minisign writes.
    pub fn to_file_text(&self) -> String {
        let key_id = self.key_id;
        let key = self.to_base64();
        format!("{UNTRUSTED_PREFIX}minisign public key {key_id}\n{key}\n")
    }

    /// Verifies `signature` over `message` with this key.
    ///
    /// Checks, in order, that the key ids match, the signature over the message (or over
    /// its BLAKE2b-512 hash for `ED` signatures), and the global signature over the
    /// signature bytes followed by the trusted comment.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<(), VerifyError> {
        self.verify_with(message, None, signature)
    }

    /// Verifies as [`PublicKey::verify`] does, using `prehash`, the prehash of `message`,
    /// if the caller has computed it.
    pub(super) fn verify_with(
        &self,
        message: &[u8],
        prehash: Option<&Prehash>,
        signature: &Signature,
    ) -> Result<(), VerifyError> {
        let key_id = signature.key_id();
        if key_id != self.key_id {
            return Err(VerifyError::UnknownKey {
                key_id,
                pinned: vec![self.key_id],
            });
        }

        let signed = signature.algorithm().signed_bytes(message, prehash);
        let valid = super::verify_ed25519(&self.key, &signed, signature.signature_bytes());
        if !valid {
            return Err(VerifyError::BadSignature { key_id });
        }

        let global = signature.global_signed_bytes();
        if !super::verify_ed25519(&self.key, &global, signature.global_signature_bytes()) {
            return Err(VerifyError::BadGlobalSignature { key_id });
        }
        Ok(())
    }
}

/// Decodes an Ed25519 point, rejecting points of small order.
fn verifying_key(bytes: [u8; 32]) -> Result<VerifyingKey, FormatError> {
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| FormatError::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(FormatError::WeakPublicKey);
    }
    Ok(key)
}

impl FromStr for PublicKey {
    type Err = FormatError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text.as_bytes())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({} {})", self.key_id, self.to_base64())
    }
}
