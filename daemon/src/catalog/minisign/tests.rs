use ed25519_dalek::{SigningKey, Verifier, VerifyingKey};
use jiff::Timestamp;

use super::text::encode_base64;
use super::*;

const PUBLIC_KEY: &str = include_str!("testdata/minisign.pub");
const SECRET_KEY: &str = include_str!("testdata/minisign.key");
const MESSAGE: &[u8] = include_bytes!("testdata/hello.txt");
const SIGNATURE: &str = include_str!("testdata/hello.txt.minisig");
const LEGACY_SIGNATURE: &str = include_str!("testdata/hello.txt.legacy.minisig");
const KEY_ID: &str = "CF55337A1261E7DB";

// RFC 8032, section 7.1, TEST 1: the empty message.
const RFC8032_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const RFC8032_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const RFC8032_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065\
                                 224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24\
                                 655141438e7a100b";

/// Order of the Ed25519 base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn hex<const N: usize>(text: &str) -> [u8; N] {
    let digits: Vec<u8> = text
        .as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect();
    digits.try_into().unwrap()
}

fn public_key() -> PublicKey {
    PublicKey::parse(PUBLIC_KEY.as_bytes()).unwrap()
}

fn signature() -> Signature {
    Signature::parse(SIGNATURE.as_bytes()).unwrap()
}

/// Encodes a secret key file from its fields, with `checksum` in place of the real one.
fn secret_key_file(
    kdf: [u8; 2],
    checksum_algorithm: [u8; 2],
    keypair: [u8; 64],
    checksum: [u8; 32],
) -> String {
    let mut bytes = b"Ed".to_vec();
    bytes.extend_from_slice(&kdf);
    bytes.extend_from_slice(&checksum_algorithm);
    bytes.extend_from_slice(&[0; 48]);
    bytes.extend_from_slice(&[7; 8]);
    bytes.extend_from_slice(&keypair);
    bytes.extend_from_slice(&checksum);
    format!("untrusted comment: test key\n{}\n", encode_base64(&bytes))
}

/// Returns a secret key file for the RFC 8032 key, with a zero checksum.
fn rfc8032_keypair_file() -> String {
    secret_key_file([0, 0], *b"B2", rfc8032_keypair(), [0; 32])
}

fn rfc8032_keypair() -> [u8; 64] {
    SigningKey::from_bytes(&hex(RFC8032_SEED)).to_keypair_bytes()
}

/// Replaces line `index` of a signature file.
fn replace_line(file: &str, index: usize, line: &str) -> String {
    let mut lines: Vec<&str> = file.lines().collect();
    lines[index] = line;
    lines.join("\n") + "\n"
}

/// Flips the lowest bit of byte `byte` in the base64 line `index` of a signature file.
fn flip_base64_bit(file: &str, index: usize, byte: usize) -> String {
    use base64::Engine;

    let line = file.lines().nth(index).unwrap();
    let mut bytes = base64::engine::general_purpose::STANDARD
        .decode(line)
        .unwrap();
    bytes[byte] ^= 1;
    replace_line(file, index, &encode_base64(&bytes))
}

#[test]
fn key_id_displays_like_minisign() {
    let key_id = KeyId([0xbd, 0xd6, 0x42, 0x66, 0xed, 0x60, 0x5c, 0xad]);

    assert_eq!(key_id.to_string(), "AD5C60ED6642D6BD");
}

#[test]
fn public_key_file_parses() {
    let key = public_key();

    assert_eq!(key.key_id().to_string(), KEY_ID);
    assert_eq!(key.to_file_text(), PUBLIC_KEY);
}

#[test]
fn public_key_bare_base64_parses() {
    let bare = PUBLIC_KEY.lines().nth(1).unwrap();

    let key: PublicKey = format!("  {bare}\n").parse().unwrap();

    assert_eq!(key, public_key());
    assert_eq!(key.to_base64(), bare);
}

#[test]
fn public_key_crlf_file_parses() {
    let crlf = PUBLIC_KEY.replace('\n', "\r\n");

    assert_eq!(PublicKey::parse(crlf.as_bytes()).unwrap(), public_key());
}

#[test]
fn public_key_rejects_bad_input() {
    let bare = PUBLIC_KEY.lines().nth(1).unwrap();
    let comment = PUBLIC_KEY.lines().next().unwrap();
    let input = "public key";
    let oversized = format!("untrusted comment: {}\n{bare}\n", "x".repeat(2000));
    let prehashed_id = bare.replacen("RW", "RU", 1);

    let cases: Vec<(Vec<u8>, FormatError)> = vec![
        (vec![], FormatError::Empty { input }),
        (
            oversized.into_bytes(),
            FormatError::TooLarge {
                input,
                size: 2077,
                max: 1088,
            },
        ),
        (
            b"untrusted comment: \xff\n".to_vec(),
            FormatError::NotUtf8 { input },
        ),
        (
            format!("{comment}\n").into_bytes(),
            FormatError::Truncated {
                input,
                found: 1,
                expected: 2,
            },
        ),
        (
            format!("{PUBLIC_KEY}extra\n").into_bytes(),
            FormatError::TrailingData { input, expected: 2 },
        ),
        (
            format!("comment\n{bare}\n").into_bytes(),
            FormatError::MissingPrefix {
                input,
                line: 1,
                prefix: "untrusted comment: ",
            },
        ),
        (b"RWT*".to_vec(), FormatError::InvalidBase64 { input }),
        (
            bare.as_bytes()[..52].to_vec(),
            FormatError::WrongLength {
                input,
                found: 39,
                expected: 42,
            },
        ),
        (
            prehashed_id.into_bytes(),
            FormatError::UnknownAlgorithm {
                input,
                found: "ED".to_owned(),
            },
        ),
    ];

    for (bytes, expected) in cases {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
        assert_eq!(
            PublicKey::parse(&bytes),
            Err(expected),
            "input starting {start:?}"
        );
    }
}

#[test]
fn public_key_rejects_point_off_curve() {
    // Take the first y coordinate that has no matching x on the curve.
    let off_curve = (2u8..=255)
        .map(|y| {
            let mut point = [0; 32];
            point[0] = y;
            point
        })
        .find(|point| VerifyingKey::from_bytes(point).is_err())
        .unwrap();
    let mut bytes = b"Ed".to_vec();
    bytes.extend_from_slice(&[1; 8]);
    bytes.extend_from_slice(&off_curve);

    let result = PublicKey::parse(encode_base64(&bytes).as_bytes());

    assert_eq!(result, Err(FormatError::InvalidPublicKey));
}

#[test]
fn public_key_rejects_small_order_point() {
    let mut identity = [0; 32];
    identity[0] = 1;
    let mut bytes = b"Ed".to_vec();
    bytes.extend_from_slice(&[1; 8]);
    bytes.extend_from_slice(&identity);

    let result = PublicKey::parse(encode_base64(&bytes).as_bytes());

    assert_eq!(result, Err(FormatError::WeakPublicKey));
}

#[test]
fn secret_key_from_minisign_parses() {
    let key = SecretKey::parse(SECRET_KEY.as_bytes()).unwrap();

    assert_eq!(key.key_id().to_string(), KEY_ID);
    assert_eq!(key.public_key(), public_key());
}

#[test]
fn secret_key_round_trips() {
    let key = SecretKey::generate();

    let parsed = SecretKey::parse(key.to_file_text().as_bytes()).unwrap();

    assert_eq!(parsed.key_id(), key.key_id());
    assert_eq!(parsed.public_key(), key.public_key());
    assert_eq!(
        format!("{parsed:?}"),
        format!("SecretKey({})", key.key_id())
    );
}

#[test]
fn secret_key_checks_nonzero_checksum() {
    let keypair = rfc8032_keypair();
    let file = secret_key_file([0, 0], *b"B2", keypair, [9; 32]);

    assert_eq!(
        SecretKey::parse(file.as_bytes()).unwrap_err(),
        FormatError::ChecksumMismatch
    );
}

#[test]
fn secret_key_rejects_inconsistent_halves() {
    let mut keypair = rfc8032_keypair();
    keypair[40] ^= 1;
    let file = secret_key_file([0, 0], *b"B2", keypair, [0; 32]);

    let result = SecretKey::parse(file.as_bytes());

    assert_eq!(result.unwrap_err(), FormatError::InconsistentSecretKey);
}

#[test]
fn secret_key_rejects_encrypted() {
    let file = secret_key_file(*b"Sc", *b"B2", rfc8032_keypair(), [0; 32]);

    let error = SecretKey::parse(file.as_bytes()).unwrap_err();

    assert_eq!(error, FormatError::EncryptedSecretKey);
    assert!(error.to_string().contains("minisign -G -W"));
    assert!(error.to_string().contains("minisign -C -W"));
}

#[test]
fn secret_key_rejects_unknown_algorithms() {
    let kdf = secret_key_file(*b"Ar", *b"B2", rfc8032_keypair(), [0; 32]);
    let checksum = secret_key_file([0, 0], *b"S2", rfc8032_keypair(), [0; 32]);

    let kdf_error = SecretKey::parse(kdf.as_bytes()).unwrap_err();
    let checksum_error = SecretKey::parse(checksum.as_bytes()).unwrap_err();

    assert_eq!(
        kdf_error,
        FormatError::UnknownKdf {
            found: "Ar".to_owned()
        }
    );
    assert_eq!(
        checksum_error,
        FormatError::UnknownChecksum {
            found: "S2".to_owned()
        }
    );
}

#[test]
fn secret_key_rejects_truncated_and_empty() {
    let first_line = format!("{}\n", SECRET_KEY.lines().next().unwrap());
    let input = "secret key";

    let truncated = SecretKey::parse(first_line.as_bytes()).unwrap_err();
    let empty = SecretKey::parse(b"").unwrap_err();

    assert_eq!(
        truncated,
        FormatError::Truncated {
            input,
            found: 1,
            expected: 2
        }
    );
    assert_eq!(empty, FormatError::Empty { input });
}

#[test]
fn secret_key_rejects_bad_input() {
    let input = "secret key";
    let key_line = SECRET_KEY.lines().nth(1).unwrap();
    let oversized = format!("untrusted comment: {}\n{key_line}\n", "x".repeat(1200));
    let mut not_utf8 = SECRET_KEY.as_bytes().to_vec();
    not_utf8[20] = 0xff;
    let mut wrong_algorithm = rfc8032_keypair_file();
    wrong_algorithm.replace_range(28..30, "RV");

    let cases: Vec<(Vec<u8>, FormatError)> = vec![
        (
            oversized.clone().into_bytes(),
            FormatError::TooLarge {
                input,
                size: oversized.len(),
                max: 1280,
            },
        ),
        (not_utf8, FormatError::NotUtf8 { input }),
        (
            format!("{SECRET_KEY}garbage").into_bytes(),
            FormatError::TrailingData { input, expected: 2 },
        ),
        (
            format!("comment\n{key_line}\n").into_bytes(),
            FormatError::MissingPrefix {
                input,
                line: 1,
                prefix: "untrusted comment: ",
            },
        ),
        (
            replace_line(SECRET_KEY, 1, "not base64!").into_bytes(),
            FormatError::InvalidBase64 { input },
        ),
        (
            replace_line(SECRET_KEY, 1, &key_line[..100]).into_bytes(),
            FormatError::WrongLength {
                input,
                found: 75,
                expected: 158,
            },
        ),
        (
            wrong_algorithm.into_bytes(),
            FormatError::UnknownAlgorithm {
                input,
                found: "ET".to_owned(),
            },
        ),
    ];

    for (bytes, expected) in cases {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
        let result = SecretKey::parse(&bytes);
        assert_eq!(result.unwrap_err(), expected, "input starting {start:?}");
    }
}

#[test]
fn minisign_prehashed_signature_verifies() {
    let signature = signature();

    assert_eq!(signature.algorithm(), SignatureAlgorithm::Prehashed);
    assert_eq!(public_key().verify(MESSAGE, &signature), Ok(()));
    assert!(signature
        .trusted_comment()
        .ends_with("\tfile:hello.txt\thashed"));
    assert_eq!(
        signature.untrusted_comment(),
        "signature from minisign secret key"
    );
    assert_eq!(signature.to_file_text(), SIGNATURE);
}

#[test]
fn minisign_legacy_signature_verifies() {
    let signature = Signature::parse(LEGACY_SIGNATURE.as_bytes()).unwrap();

    assert_eq!(signature.algorithm(), SignatureAlgorithm::Legacy);
    assert_eq!(public_key().verify(MESSAGE, &signature), Ok(()));
}

#[test]
fn signature_rejects_bad_input() {
    let input = "signature";
    let three_lines: String = SIGNATURE
        .lines()
        .take(3)
        .map(|line| format!("{line}\n"))
        .collect();
    let mut not_utf8 = SIGNATURE.as_bytes().to_vec();
    not_utf8[25] = 0xc3;
    let oversized = replace_line(
        SIGNATURE,
        2,
        &format!("trusted comment: {}", "x".repeat(9500)),
    );
    let mut wrong_algorithm = SIGNATURE.to_owned();
    wrong_algorithm.replace_range(
        SIGNATURE.find("RUT").unwrap()..SIGNATURE.find("RUT").unwrap() + 3,
        "RVT",
    );
    let short_global = replace_line(SIGNATURE, 3, "AAAA");
    let no_trusted_prefix = replace_line(SIGNATURE, 2, "comment: x");

    let cases: Vec<(Vec<u8>, FormatError)> = vec![
        (vec![], FormatError::Empty { input }),
        (
            oversized.clone().into_bytes(),
            FormatError::TooLarge {
                input,
                size: oversized.len(),
                max: 9472,
            },
        ),
        (not_utf8, FormatError::NotUtf8 { input }),
        (
            three_lines.into_bytes(),
            FormatError::Truncated {
                input,
                found: 3,
                expected: 4,
            },
        ),
        (
            format!("{SIGNATURE}x\n").into_bytes(),
            FormatError::TrailingData { input, expected: 4 },
        ),
        (
            no_trusted_prefix.into_bytes(),
            FormatError::MissingPrefix {
                input,
                line: 3,
                prefix: "trusted comment: ",
            },
        ),
        (
            wrong_algorithm.into_bytes(),
            FormatError::UnknownAlgorithm {
                input,
                found: "ET".to_owned(),
            },
        ),
        (
            short_global.into_bytes(),
            FormatError::WrongLength {
                input: "global signature",
                found: 3,
                expected: 64,
            },
        ),
        (
            replace_line(SIGNATURE, 1, "!!").into_bytes(),
            FormatError::InvalidBase64 { input },
        ),
    ];

    for (bytes, expected) in cases {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]).into_owned();
        assert_eq!(
            Signature::parse(&bytes),
            Err(expected),
            "input starting {start:?}"
        );
    }
}

#[test]
fn signature_line_too_long_is_rejected() {
    let long_comment = format!("untrusted comment: {}", "c".repeat(1100));
    let file = replace_line(SIGNATURE, 0, &long_comment);

    let result = Signature::parse(file.as_bytes());

    let expected = FormatError::TooLarge {
        input: "signature",
        size: 1119,
        max: 1024,
    };
    assert_eq!(result, Err(expected));
}

#[test]
fn flipped_signature_bit_is_bad_signature() {
    // Byte 10 is the first byte of the Ed25519 signature, after algorithm and key id.
    let file = flip_base64_bit(SIGNATURE, 1, 10);
    let signature = Signature::parse(file.as_bytes()).unwrap();
    let key_id = signature.key_id();

    let error = public_key().verify(MESSAGE, &signature).unwrap_err();

    assert_eq!(error, VerifyError::BadSignature { key_id });
    assert!(error.is_rejection());
}

#[test]
fn changed_message_is_bad_signature() {
    let signature = signature();
    let key_id = signature.key_id();

    let result = public_key().verify(b"hello!\n", &signature);

    assert_eq!(result, Err(VerifyError::BadSignature { key_id }));
}

#[test]
fn changed_trusted_comment_is_bad_global_signature() {
    let comment = SIGNATURE
        .lines()
        .nth(2)
        .unwrap()
        .replace("hello.txt", "hellp.txt");
    let file = replace_line(SIGNATURE, 2, &comment);
    let signature = Signature::parse(file.as_bytes()).unwrap();
    let key_id = signature.key_id();

    let error = public_key().verify(MESSAGE, &signature).unwrap_err();

    assert_eq!(error, VerifyError::BadGlobalSignature { key_id });
    assert!(error.is_rejection());
}

#[test]
fn flipped_global_signature_bit_is_rejected() {
    let file = flip_base64_bit(SIGNATURE, 3, 0);
    let signature = Signature::parse(file.as_bytes()).unwrap();
    let key_id = signature.key_id();

    let result = public_key().verify(MESSAGE, &signature);

    assert_eq!(result, Err(VerifyError::BadGlobalSignature { key_id }));
}

#[test]
fn changed_untrusted_comment_still_verifies() {
    let file = replace_line(SIGNATURE, 0, "untrusted comment: anything");
    let signature = Signature::parse(file.as_bytes()).unwrap();

    assert_eq!(public_key().verify(MESSAGE, &signature), Ok(()));
}

#[test]
fn wrong_key_id_is_unknown_key() {
    // Bytes 2 to 9 are the key id.
    let file = flip_base64_bit(SIGNATURE, 1, 2);
    let signature = Signature::parse(file.as_bytes()).unwrap();
    let key = public_key();

    let error = key.verify(MESSAGE, &signature).unwrap_err();

    let expected = VerifyError::UnknownKey {
        key_id: signature.key_id(),
        pinned: vec![key.key_id()],
    };
    assert_eq!(error, expected);
    assert!(error.is_rejection());
    assert!(error.to_string().contains(KEY_ID));
}

#[test]
fn malformed_signature_is_not_rejection() {
    let error = VerifyError::from(Signature::parse(b"").unwrap_err());

    assert!(!error.is_rejection());
}

#[test]
fn verify_with_any_uses_matching_key() {
    let old_key = SecretKey::generate().public_key();
    let keys = [old_key, public_key()];

    let used = verify_with_any(&keys, MESSAGE, &signature()).unwrap();

    assert_eq!(used.key_id().to_string(), KEY_ID);
}

#[test]
fn verify_with_any_rejects_unpinned_key() {
    let keys = [
        SecretKey::generate().public_key(),
        SecretKey::generate().public_key(),
    ];
    let signature = signature();

    let error = verify_with_any(&keys, MESSAGE, &signature).unwrap_err();

    let pinned = keys.iter().map(PublicKey::key_id).collect();
    assert_eq!(
        error,
        VerifyError::UnknownKey {
            key_id: signature.key_id(),
            pinned
        }
    );
}

#[test]
fn verify_with_no_keys_is_unknown_key() {
    let error = verify_with_any(&[], MESSAGE, &signature()).unwrap_err();

    assert!(error.to_string().contains("(pinned: none)"));
}

#[test]
fn sign_then_verify_both_algorithms() {
    let key = SecretKey::generate();
    let mut options = SignOptions::for_file("catalog.json", Timestamp::UNIX_EPOCH);

    for algorithm in [SignatureAlgorithm::Prehashed, SignatureAlgorithm::Legacy] {
        options.algorithm = algorithm;
        let signature = key.sign(b"catalog", &options).unwrap();
        let parsed = Signature::parse(signature.to_file_text().as_bytes()).unwrap();

        assert_eq!(parsed, signature);
        assert_eq!(key.public_key().verify(b"catalog", &parsed), Ok(()));
    }
}

#[test]
fn default_trusted_comment_matches_minisign() {
    let timestamp = Timestamp::from_second(1_700_000_000).unwrap();

    let prehashed = default_trusted_comment("a.json", timestamp, SignatureAlgorithm::Prehashed);
    let legacy = default_trusted_comment("a.json", timestamp, SignatureAlgorithm::Legacy);

    assert_eq!(prehashed, "timestamp:1700000000\tfile:a.json\thashed");
    assert_eq!(legacy, "timestamp:1700000000\tfile:a.json");
}

#[test]
fn sign_rejects_bad_comments() {
    let key = SecretKey::generate();
    let mut options = SignOptions::for_file("catalog.json", Timestamp::UNIX_EPOCH);
    options.trusted_comment = "two\nlines".to_owned();
    let line_break = key.sign(b"x", &options).unwrap_err();
    options.trusted_comment = "ok".to_owned();
    options.untrusted_comment = "u".repeat(1010);
    let too_long = key.sign(b"x", &options).unwrap_err();

    assert_eq!(line_break, SignError::LineBreak { which: "trusted" });
    assert_eq!(
        too_long,
        SignError::CommentTooLong {
            which: "untrusted",
            length: 1010,
            max: 1005
        }
    );
}

#[test]
fn rfc8032_test1_signs_and_verifies() {
    let secret = SigningKey::from_bytes(&hex(RFC8032_SEED));
    let key = SecretKey::parse(
        secret_key_file([0, 0], *b"B2", secret.to_keypair_bytes(), [0; 32]).as_bytes(),
    )
    .unwrap();
    let mut options = SignOptions::for_file("empty", Timestamp::UNIX_EPOCH);
    options.algorithm = SignatureAlgorithm::Legacy;

    let signature = key.sign(b"", &options).unwrap();

    assert_eq!(
        key.public_key().verifying_key().to_bytes(),
        hex::<32>(RFC8032_PUBLIC)
    );
    assert_eq!(signature.signature_bytes(), &hex::<64>(RFC8032_SIGNATURE));
    assert_eq!(key.public_key().verify(b"", &signature), Ok(()));
}

#[test]
fn strict_verification_rejects_small_order_key() {
    // With the identity as both public key A and R, and S = 0, the RFC 8032 equation
    // [S]B = R + [k]A holds for every message. Lenient verification accepts that.
    let mut identity = [0; 32];
    identity[0] = 1;
    let key = VerifyingKey::from_bytes(&identity).unwrap();
    let mut signature = [0; 64];
    signature[0] = 1;

    let lenient = key.verify(
        b"any message",
        &ed25519_dalek::Signature::from_bytes(&signature),
    );

    assert!(lenient.is_ok());
    assert!(!verify_ed25519(&key, b"any message", &signature));
}

#[test]
fn strict_verification_rejects_noncanonical_s() {
    // S + L is the same scalar as S, so the plain equation holds, but S must be below L.
    let key = VerifyingKey::from_bytes(&hex(RFC8032_PUBLIC)).unwrap();
    let mut signature: [u8; 64] = hex(RFC8032_SIGNATURE);
    let mut carry = 0u16;
    for (byte, order_byte) in signature[32..].iter_mut().zip(GROUP_ORDER) {
        let sum = u16::from(*byte) + u16::from(order_byte) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }

    assert!(verify_ed25519(&key, b"", &hex(RFC8032_SIGNATURE)));
    assert!(!verify_ed25519(&key, b"", &signature));
}

#[test]
fn prehash_in_pieces_equals_whole() {
    let mut prehasher = Prehasher::default();
    for piece in MESSAGE.chunks(3) {
        prehasher.update(piece);
    }

    assert_eq!(prehasher.finish(), Prehash::of(MESSAGE));
}

#[test]
fn known_prehash_verifies_prehashed_signature() {
    let keys = [public_key()];
    let prehash = Prehash::of(MESSAGE);

    let verified = verify_with_any_prehashed(&keys, MESSAGE, Some(&prehash), &signature());

    assert!(verified.is_ok());
}

#[test]
fn prehash_of_other_bytes_is_rejected() {
    let keys = [public_key()];
    let prehash = Prehash::of(b"another message");

    let error = verify_with_any_prehashed(&keys, MESSAGE, Some(&prehash), &signature());

    assert!(matches!(error, Err(VerifyError::BadSignature { .. })));
}

#[test]
fn legacy_signature_ignores_prehash() {
    let keys = [public_key()];
    let legacy = Signature::parse(LEGACY_SIGNATURE.as_bytes()).unwrap();
    let prehash = Prehash::of(b"another message");

    let verified = verify_with_any_prehashed(&keys, MESSAGE, Some(&prehash), &legacy);

    assert!(verified.is_ok());
}
