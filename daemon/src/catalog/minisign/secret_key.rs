//! Unencrypted minisign secret keys, as `minisign -G -W` writes them, and key generation.
//!
//! The decoded key is 158 bytes: the algorithm `Ed`, the key derivation function (two
//! zero bytes when unencrypted, `Sc` for scrypt), the checksum algorithm `B2`, a 32-byte
//! salt, the scrypt opslimit and memlimit (8 bytes each), the 8-byte key id, the 64-byte
//! libsodium secret key (seed then public key) and a 32-byte BLAKE2b-256 checksum of the
//! algorithm, key id and secret key.

use std::fmt;

use blake2::digest::consts::U32;
use blake2::{Blake2b, Digest};
use ed25519_dalek::{Signer, SigningKey};
use rand_core::{OsRng, RngCore};

use super::text::{self, UNTRUSTED_PREFIX};
use super::{FormatError, KeyId, PublicKey, SignError, SignOptions, Signature};

const INPUT: &str = "secret key";

/// Maximum size in bytes of a secret key file: a full-length comment line plus the
/// 212-character key line, with room for line endings.
pub const MAX_SECRET_KEY_FILE: usize = text::MAX_UNTRUSTED_LINE + 256;

const DECODED_LEN: usize = 158;
const KDF_NONE: [u8; 2] = [0, 0];
const KDF_SCRYPT: [u8; 2] = *b"Sc";
const CHECKSUM_BLAKE2B: [u8; 2] = *b"B2";

/// Minisign secret key: a key id and an Ed25519 signing key. `Debug` shows the key id only.
#[derive(Clone)]
pub struct SecretKey {
    key_id: KeyId,
    signing_key: SigningKey,
}

impl SecretKey {
    /// Generates a key pair with a random key id from the operating system's generator.
    pub fn generate() -> Self {
        let mut key_id = [0; 8];
        OsRng.fill_bytes(&mut key_id);
        let signing_key = SigningKey::generate(&mut OsRng);
        Self {
            key_id: KeyId(key_id),
            signing_key,
        }
    }

    /// Parses an unencrypted secret key file.
    ///
    /// minisign 0.11 writes an all-zero checksum for unencrypted keys and does not check
    /// it, so a zero checksum is accepted. Any other checksum must match. In both cases
    /// the public half stored in the key must match the one derived from the seed.
    pub fn parse(bytes: &[u8]) -> Result<Self, FormatError> {
        let text = text::decode_text(bytes, MAX_SECRET_KEY_FILE, INPUT)?;
        let lines = text::exact_lines(text, 2, INPUT)?;
        text::strip_prefix(&lines, 0, UNTRUSTED_PREFIX, text::MAX_UNTRUSTED_LINE, INPUT)?;
        let decoded: [u8; DECODED_LEN] = text::decode_base64(lines[1], INPUT)?;
        let fields = Fields::split(&decoded);

        fields.check_algorithms()?;
        fields.check_checksum()?;
        fields.into_key()
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey::new(self.key_id, self.signing_key.verifying_key())
    }

    /// Encodes the key as an unencrypted secret key file that minisign 0.11 can sign with.
    ///
    /// The checksum is filled in although minisign leaves it zero, so that damage to the
    /// file is detected here.
    pub fn to_file_text(&self) -> String {
        let mut bytes = Vec::with_capacity(DECODED_LEN);
        bytes.extend_from_slice(b"Ed");
        bytes.extend_from_slice(&KDF_NONE);
        bytes.extend_from_slice(&CHECKSUM_BLAKE2B);
        bytes.extend_from_slice(&[0; 32 + 8 + 8]);
        bytes.extend_from_slice(&self.key_id.0);
        bytes.extend_from_slice(&self.signing_key.to_keypair_bytes());
        bytes.extend_from_slice(&checksum(
            &self.key_id,
            &self.signing_key.to_keypair_bytes(),
        ));

        let key = text::encode_base64(&bytes);
        format!("{UNTRUSTED_PREFIX}minisign unencrypted secret key\n{key}\n")
    }

    /// Signs `message` and its trusted comment.
    pub fn sign(&self, message: &[u8], options: &SignOptions) -> Result<Signature, SignError> {
        options.validate()?;
        let signed = options.algorithm.signed_bytes(message, None);
        let signature = self.signing_key.sign(&signed).to_bytes();

        let mut global_input = signature.to_vec();
        global_input.extend_from_slice(options.trusted_comment.as_bytes());
        let global_signature = self.signing_key.sign(&global_input).to_bytes();

        Ok(Signature::new(
            self.key_id,
            options,
            signature,
            global_signature,
        ))
    }
}

/// Returns the BLAKE2b-256 checksum that minisign keeps over `Ed`, the key id and the key.
fn checksum(key_id: &KeyId, keypair: &[u8; 64]) -> [u8; 32] {
    let mut hasher = Blake2b::<U32>::new();
    hasher.update(b"Ed");
    hasher.update(key_id.0);
    hasher.update(keypair);
    hasher.finalize().into()
}

/// The fields of a decoded secret key.
struct Fields {
    algorithm: [u8; 2],
    kdf: [u8; 2],
    checksum_algorithm: [u8; 2],
    key_id: KeyId,
    keypair: [u8; 64],
    checksum: [u8; 32],
}

impl Fields {
    fn split(decoded: &[u8; DECODED_LEN]) -> Self {
        let mut rest = &decoded[..];
        let algorithm = text::take(&mut rest);
        let kdf = text::take(&mut rest);
        let checksum_algorithm = text::take(&mut rest);

        // The salt and scrypt limits only matter for encrypted keys, which are rejected.
        let _kdf_parameters: [u8; 48] = text::take(&mut rest);
        let key_id = KeyId(text::take(&mut rest));
        let keypair = text::take(&mut rest);
        let checksum = text::take(&mut rest);
        Self {
            algorithm,
            kdf,
            checksum_algorithm,
            key_id,
            keypair,
            checksum,
        }
    }

    fn check_algorithms(&self) -> Result<(), FormatError> {
        if &self.algorithm != b"Ed" {
            let found = FormatError::escaped(self.algorithm);
            return Err(FormatError::UnknownAlgorithm {
                input: INPUT,
                found,
            });
        }
        if self.checksum_algorithm != CHECKSUM_BLAKE2B {
            let found = FormatError::escaped(self.checksum_algorithm);
            return Err(FormatError::UnknownChecksum { found });
        }
        match self.kdf {
            KDF_NONE => Ok(()),
            KDF_SCRYPT => Err(FormatError::EncryptedSecretKey),
            other => Err(FormatError::UnknownKdf {
                found: FormatError::escaped(other),
            }),
        }
    }

    fn check_checksum(&self) -> Result<(), FormatError> {
        if self.checksum == [0; 32] {
            return Ok(());
        }
        if self.checksum != checksum(&self.key_id, &self.keypair) {
            return Err(FormatError::ChecksumMismatch);
        }
        Ok(())
    }

    fn into_key(self) -> Result<SecretKey, FormatError> {
        let signing_key = SigningKey::from_keypair_bytes(&self.keypair)
            .map_err(|_| FormatError::InconsistentSecretKey)?;
        Ok(SecretKey {
            key_id: self.key_id,
            signing_key,
        })
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.key_id)
    }
}
