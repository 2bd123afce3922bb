//! Round trips and the properties of a fresh seal.

use sealed_session::MAX_SIZE_LIMIT as MAX_COOKIE_LEN;
use sealed_session::{Key, Keyring, MalformedReason, OpenError};

/// The documented length of a sealed value: base64url without padding of
/// the plaintext plus 45 bytes of overhead (version, key id, nonce, tag).
fn sealed_len(n: usize) -> usize {
    ((n + 45) * 4).div_ceil(3)
}

fn ring() -> Keyring {
    Keyring::new(Key::from_bytes(&[9u8; 32]).unwrap())
}

#[test]
fn round_trip_at_every_size_the_issue_names() {
    let ring = ring();
    for n in [0usize, 1, 100, 1_000, 3_000] {
        let plaintext: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
        let value = ring.seal("session", &plaintext);
        assert_eq!(value.len(), sealed_len(n), "length formula for {n}");
        let opened = ring.open("session", &value).unwrap();
        assert_eq!(opened.plaintext(), plaintext, "plaintext of {n} bytes");
        assert!(!opened.used_fallback());
        assert_eq!(opened.key_id(), ring.primary_id());
    }
}

#[test]
fn value_is_cookie_safe_base64url() {
    let value = ring().seal("session", &[0xff; 300]);
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
}

#[test]
fn two_seals_of_the_same_plaintext_differ() {
    let ring = ring();
    let a = ring.seal("session", b"same");
    let b = ring.seal("session", b"same");
    assert_ne!(a, b);
    // The nonce (characters after the 5-byte header) is what differs.
    assert_ne!(a[8..40], b[8..40]);
}

#[test]
fn values_longer_than_a_cookie_are_rejected_before_decoding() {
    let ring = ring();
    let name = "session";
    let max = MAX_COOKIE_LEN - name.len() - 1;
    // Exactly at the limit of characters, but garbage: reaches the decoder.
    let at_limit = "A".repeat(max);
    assert_ne!(
        ring.open(name, &at_limit).unwrap_err(),
        OpenError::Malformed(MalformedReason::TooLong { len: max, max })
    );
    let over = "A".repeat(max + 1);
    assert_eq!(
        ring.open(name, &over).unwrap_err(),
        OpenError::Malformed(MalformedReason::TooLong { len: max + 1, max })
    );
}

#[test]
fn largest_plaintext_that_fits_a_cookie_opens() {
    let ring = ring();
    let name = "session";
    // Largest n with name=value within 4,096 bytes.
    let n = (0..4096)
        .rev()
        .find(|&n| name.len() + 1 + sealed_len(n) <= MAX_COOKIE_LEN)
        .unwrap();
    let value = ring.seal(name, &vec![7; n]);
    assert_eq!(ring.open(name, &value).unwrap().plaintext().len(), n);
}

#[test]
fn opened_debug_shows_no_plaintext() {
    let ring = ring();
    let opened = ring
        .open("s", &ring.seal("s", b"secret-session-data"))
        .unwrap();
    let debug = format!("{opened:?}");
    assert!(!debug.contains("secret"), "{debug}");
    assert!(debug.contains("plaintext_len: 19"), "{debug}");
}
