//! Parsing, generation and redaction of master keys.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use sealed_session::{Key, KeyError};

#[test]
fn base64_in_every_alphabet_and_padding_parses_to_the_same_key() {
    // Bytes chosen so that both alphabets' special characters appear.
    let bytes: Vec<u8> = [0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff]
        .into_iter()
        .cycle()
        .take(32)
        .collect();
    let std_text = STANDARD.encode(&bytes);
    assert!(
        std_text.contains(['+', '/']) && std_text.ends_with('='),
        "{std_text}"
    );
    let expected = Key::from_bytes(&bytes).unwrap();
    for text in [
        std_text.clone(),
        STANDARD_NO_PAD.encode(&bytes),
        URL_SAFE.encode(&bytes),
        URL_SAFE_NO_PAD.encode(&bytes),
        format!("  {std_text}\n"),
    ] {
        assert_eq!(Key::from_base64(&text).unwrap(), expected, "{text:?}");
    }
}

#[test]
fn to_base64_round_trips() {
    let key = Key::generate();
    {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key.to_base64())
            .unwrap();
        assert_eq!(bytes.len(), 32, "a generated key holds 32 bytes");
    }
    assert_eq!(Key::from_base64(&key.to_base64()).unwrap(), key);
}

#[test]
fn generated_keys_differ() {
    assert_ne!(Key::generate(), Key::generate());
}

#[test]
fn short_keys_are_rejected_with_their_length() {
    assert_eq!(
        Key::from_bytes(&[1; 31]),
        Err(KeyError::TooShort { len: 31, min: 32 })
    );
    assert_eq!(
        Key::from_base64(&STANDARD.encode([1; 16])),
        Err(KeyError::TooShort { len: 16, min: 32 })
    );
    assert!(Key::from_bytes(&[1; 32]).is_ok());
    assert!(Key::from_bytes(&[1; 64]).is_ok());
    assert!(matches!(
        Key::from_bytes(&[1; 4096]),
        Err(KeyError::TooLong { .. })
    ));
}

#[test]
fn bad_base64_error_never_quotes_the_text() {
    let secret_text = "sEcReT$$sEcReT$$sEcReT$$sEcReT$$sEcReT$$sEcReT";
    let err = Key::from_base64(secret_text).unwrap_err();
    assert_eq!(
        err,
        KeyError::InvalidBase64 {
            text_len: secret_text.len()
        }
    );
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("sEcReT") && !shown.contains('$'), "{shown}");
}

#[test]
fn debug_is_redacted() {
    let key = Key::from_bytes(&[0x41; 32]).unwrap();
    let debug = format!("{key:?}");
    assert_eq!(debug, "Key(<redacted>)");
    assert!(!debug.contains(&key.to_base64()));
}

#[test]
fn equal_keys_have_equal_ids() {
    let a = Key::from_bytes(&[5; 32]).unwrap();
    let b = Key::from_bytes(&[5; 32]).unwrap();
    let c = Key::from_bytes(&[6; 32]).unwrap();
    assert_eq!(a.id(), b.id());
    assert_ne!(a.id(), c.id());
}
