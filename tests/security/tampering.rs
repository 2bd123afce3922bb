//! Threat: a client alters its cookie, or moves a value to another cookie.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::{Key, Keyring, MalformedReason, OpenError};

fn ring() -> Keyring {
    Keyring::new(Key::from_bytes(&[3u8; 32]).unwrap())
}

#[test]
fn every_single_bit_flip_is_rejected() {
    let ring = ring();
    let value = ring.seal("session", b"role=user;id=42");
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    for byte in 0..raw.len() {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[byte] ^= 1 << bit;
            let err = ring
                .open("session", &URL_SAFE_NO_PAD.encode(&bad))
                .unwrap_err();
            let expected_kind = match byte {
                0 => matches!(err, OpenError::UnsupportedVersion { .. }),
                1..=4 => matches!(err, OpenError::UnknownKey { .. }),
                _ => err == OpenError::Tampered,
            };
            assert!(expected_kind, "byte {byte} bit {bit}: {err:?}");
        }
    }
}

#[test]
fn every_truncation_is_rejected() {
    let ring = ring();
    let value = ring.seal("session", b"role=user;id=42");
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    for len in 0..raw.len() {
        let err = ring
            .open("session", &URL_SAFE_NO_PAD.encode(&raw[..len]))
            .unwrap_err();
        if len < 45 {
            assert!(
                matches!(err, OpenError::Malformed(MalformedReason::TooShort { .. })),
                "{len}: {err:?}"
            );
        } else {
            assert_eq!(err, OpenError::Tampered, "{len}");
        }
    }
    // Truncating the text (not the bytes) also never opens.
    for len in 0..value.len() {
        assert!(ring.open("session", &value[..len]).is_err(), "{len}");
    }
}

#[test]
fn appended_bytes_are_rejected() {
    let ring = ring();
    let value = ring.seal("session", b"x");
    let mut raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    raw.push(0);
    assert_eq!(
        ring.open("session", &URL_SAFE_NO_PAD.encode(&raw)),
        Err(OpenError::Tampered)
    );
}

#[test]
fn a_value_does_not_open_under_another_cookie_name() {
    let ring = ring();
    let value = ring.seal("session", b"role=admin");
    for other in [
        "csrf",
        "Session",
        "session ",
        "sessio",
        "__Host-session",
        "",
    ] {
        assert_eq!(
            ring.open(other, &value),
            Err(OpenError::Tampered),
            "{other:?}"
        );
    }
    assert!(ring.open("session", &value).is_ok());
}

#[test]
fn non_canonical_base64_is_rejected() {
    let ring = ring();
    // 4 + 45 bytes: not a multiple of 3, so padding and stray bits exist.
    let value = ring.seal("session", b"abcd");
    let raw = URL_SAFE_NO_PAD.decode(&value).unwrap();
    let padded = base64::engine::general_purpose::URL_SAFE.encode(&raw);
    let standard = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&raw);
    assert_ne!(padded, value);
    assert_eq!(
        ring.open("session", &padded),
        Err(OpenError::Malformed(MalformedReason::Base64))
    );
    if standard != value {
        assert_eq!(
            ring.open("session", &standard),
            Err(OpenError::Malformed(MalformedReason::Base64))
        );
    }
    // 49 bytes end in one byte spread over two characters: the second carries
    // 4 unused bits, which must be zero.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut stray = value.clone().into_bytes();
    let last = stray.last_mut().unwrap();
    let index = ALPHABET.iter().position(|c| c == last).unwrap();
    assert_eq!(index & 0b1111, 0, "canonical encoding leaves the bits zero");
    *last = ALPHABET[index | 1];
    let stray = String::from_utf8(stray).unwrap();
    assert_eq!(
        ring.open("session", &stray),
        Err(OpenError::Malformed(MalformedReason::Base64))
    );
}
