//! Minisign keys and detached signatures: parsing, signing and strict Ed25519 verification.
//!
//! The formats are those of minisign 0.11. A public key is the base64 of `Ed`, an 8-byte
//! key id and the 32-byte Ed25519 key. A signature file has four lines. They are an
//! untrusted comment, the base64 of the algorithm, key id and signature, the trusted
//! comment, and the base64 of a global signature. The global signature covers the
//! signature bytes followed by the trusted comment, so that the trusted comment cannot
//! be altered without the secret key.

mod error;
mod public_key;
mod secret_key;
mod signature;
mod text;

use std::borrow::Cow;
use std::fmt;

use ed25519_dalek::VerifyingKey;

pub use error::{FormatError, SignError, VerifyError};
pub use public_key::{PublicKey, MAX_PUBLIC_KEY_FILE};
pub use secret_key::{SecretKey, MAX_SECRET_KEY_FILE};
pub use signature::{default_trusted_comment, SignOptions, Signature, MAX_SIGNATURE_FILE};

/// Length in bytes of a minisign key id.
pub const KEY_ID_LEN: usize = 8;

/// Random 8-byte id that minisign stores with a key and with each signature it makes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl fmt::Display for KeyId {
    /// Formats the id as minisign prints it: the bytes read as a little-endian u64, in
    /// 16 upper-case hex digits. minisign 0.11 drops leading zeros in the comment of a
    /// public key file, and later minisign sources pad to 16 digits as this does.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016X}", u64::from_le_bytes(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// Input to the Ed25519 signature in a minisign signature file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureAlgorithm {
    /// `ED`: the signature covers the BLAKE2b-512 hash of the file, as minisign 0.11 signs
    /// by default.
    Prehashed,
    /// `Ed`: the signature covers the file itself, as signify and older minisign write it.
    Legacy,
}

impl SignatureAlgorithm {
    /// Returns the two algorithm bytes that start the signature line.
    pub fn id(self) -> [u8; 2] {
        match self {
            Self::Prehashed => *b"ED",
            Self::Legacy => *b"Ed",
        }
    }

    /// Returns the bytes that the Ed25519 signature covers for `message`. `known` is
    /// the prehash of `message` when the caller computed it already.
    fn signed_bytes<'a>(self, message: &'a [u8], known: Option<&Prehash>) -> Cow<'a, [u8]> {
        match self {
            Self::Prehashed => {
                let hash = known.map_or_else(|| Prehash::of(message), |hash| *hash);
                Cow::Owned(hash.0.to_vec())
            }
            Self::Legacy => Cow::Borrowed(message),
        }
    }

    fn from_id(id: [u8; 2]) -> Option<Self> {
        match &id {
            b"ED" => Some(Self::Prehashed),
            b"Ed" => Some(Self::Legacy),
            _ => None,
        }
    }
}

/// Verifies `signature` over `message` with the pinned key whose id it names.
///
/// Several keys may be pinned at once so that a remote can rotate keys. Returns the key
/// that verified the signature.
pub fn verify_with_any<'k>(
    keys: &'k [PublicKey],
    message: &[u8],
    signature: &Signature,
) -> Result<&'k PublicKey, VerifyError> {
    verify_with_any_prehashed(keys, message, None, signature)
}

/// Verifies as [`verify_with_any`] does, using `prehash` for a prehashed signature
/// instead of hashing `message` again. `prehash` must be the prehash of `message`.
pub(crate) fn verify_with_any_prehashed<'k>(
    keys: &'k [PublicKey],
    message: &[u8],
    prehash: Option<&Prehash>,
    signature: &Signature,
) -> Result<&'k PublicKey, VerifyError> {
    let mut candidates = keys.iter().filter(|key| key.key_id() == signature.key_id());
    let Some(first) = candidates.next() else {
        return Err(VerifyError::UnknownKey {
            key_id: signature.key_id(),
            pinned: keys.iter().map(PublicKey::key_id).collect(),
        });
    };

    // Two pinned keys may share an id by accident, so any of them may verify.
    let verify = |key: &'k PublicKey| key.verify_with(message, prehash, signature).map(|()| key);
    let mut outcome = verify(first);
    for key in candidates {
        if outcome.is_ok() {
            break;
        }
        outcome = verify(key);
    }
    outcome
}

/// Verifies one Ed25519 signature with `verify_strict`.
///
/// Strict verification rejects public keys and `R` points of small order and a
/// non-canonical `S`, which the plain RFC 8032 equation accepts. Those inputs let one
/// signature verify for several keys or messages, and no honest signer produces them.
fn verify_ed25519(key: &VerifyingKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let signature = ed25519_dalek::Signature::from_bytes(signature);
    key.verify_strict(message, &signature).is_ok()
}

/// BLAKE2b-512 hash of a message, which a prehashed (`ED`) signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prehash([u8; 64]);

impl Prehash {
    pub fn of(message: &[u8]) -> Self {
        use blake2::Digest;

        Self(blake2::Blake2b512::digest(message).into())
    }
}

/// Computes a [`Prehash`] of a message that arrives in pieces, such as a download, so
/// that verifying its signature afterwards needs no pass over the whole message.
#[derive(Debug, Clone, Default)]
pub struct Prehasher(blake2::Blake2b512);

impl Prehasher {
    pub fn update(&mut self, piece: &[u8]) {
        use blake2::Digest;

        self.0.update(piece);
    }

    pub fn finish(self) -> Prehash {
        use blake2::Digest;

        Prehash(self.0.finalize().into())
    }
}

#[cfg(test)]
mod tests;
