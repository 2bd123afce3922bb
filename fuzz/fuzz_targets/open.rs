//! Any text as a cookie value against a fixed keyring: `open` never panics,
//! fails exactly as the wire format says, and whatever opens is a value the
//! keyring really sealed, in its one canonical spelling.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use libfuzzer_sys::fuzz_target;
use sealed_session::OpenError;
use sealed_session_fuzz::{NAME, OPEN_PLAINTEXTS, expected_open_error, open_keyring};

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);
    let ring = open_keyring();
    let ids = [
        *ring.primary_id().as_bytes(),
        *sealed_session_fuzz::open_fallback_only()
            .primary_id()
            .as_bytes(),
    ];
    let expected = expected_open_error(&ids, NAME, &value);
    let got = ring.open(NAME, &value);
    match (&expected, &got) {
        (Err(want), Err(err)) => assert_eq!(want, err, "{value:?}"),
        (Err(want), Ok(_)) => panic!("opened {value:?}, which must fail with {want:?}"),
        (Ok(_), Err(OpenError::Tampered)) => {}
        (Ok(_), Err(err)) => panic!("{value:?}: {err:?}, expected Ok or Tampered"),
        (Ok(raw), Ok(opened)) => {
            // Genuine: one of the plaintexts this keyring ever sealed.
            assert!(
                OPEN_PLAINTEXTS.contains(&opened.plaintext()),
                "forgery opened: {value:?}"
            );
            assert_eq!(opened.plaintext().len() + 45, raw.len());
            assert_eq!(opened.key_id().as_bytes()[..], raw[1..5]);
            assert_eq!(
                opened.used_fallback(),
                opened.key_id().as_bytes() == &ids[1]
            );
            // Canonical: there is exactly one spelling of it.
            assert_eq!(URL_SAFE_NO_PAD.encode(raw), *value);
            // Deterministic: it opens again, identically.
            assert_eq!(ring.open(NAME, &value).as_ref(), Ok(opened));
            // Bound to its cookie name.
            assert_eq!(ring.open("csrf", &value), Err(OpenError::Tampered));
        }
    }
    // Whatever the outcome, an error is one of the documented kinds.
    if let Err(e) = got {
        match e {
            OpenError::Malformed(_)
            | OpenError::UnsupportedVersion { .. }
            | OpenError::UnknownKey { .. }
            | OpenError::Tampered => {}
            other => panic!("undocumented error {other:?}"),
        }
    }
});
