//! Threat model for key rotation: old cookies keep working during a rotation,
//! and stop working once their key is retired.

use sealed_session::{Key, KeyError, Keyring, OpenError};

fn k(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

#[test]
fn fallback_opens_and_reports_it_then_retirement_rejects() {
    let value = Keyring::new(k(1)).seal("session", b"cart=3");

    let rotated = Keyring::new(k(2)).with_fallback(k(1));
    let opened = rotated.open("session", &value).unwrap();
    assert_eq!(opened.plaintext(), b"cart=3");
    assert!(opened.used_fallback());
    assert_eq!(opened.key_id(), k(1).id());

    // Re-sealing goes to the primary.
    let resealed = rotated.seal("session", opened.plaintext());
    let again = rotated.open("session", &resealed).unwrap();
    assert!(!again.used_fallback());
    assert_eq!(again.key_id(), k(2).id());

    let retired = Keyring::new(k(2));
    assert_eq!(
        retired.open("session", &value),
        Err(OpenError::UnknownKey { key_id: k(1).id() })
    );
}

#[test]
fn oldest_of_many_fallbacks_opens() {
    let value = Keyring::new(k(100)).seal("session", b"old");
    let mut ring = Keyring::new(k(0));
    for b in 1..=15 {
        ring = ring.with_fallback(k(b));
    }
    ring = ring.with_fallback(k(100));
    assert_eq!(ring.len(), 17);
    let opened = ring.open("session", &value).unwrap();
    assert!(opened.used_fallback());
    assert_eq!(opened.plaintext(), b"old");
}

#[test]
fn from_base64_list_makes_the_first_key_primary() {
    let (a, b, c) = (k(1), k(2), k(3));
    let list = format!(" {} ,{},\n{}", a.to_base64(), b.to_base64(), c.to_base64());
    let ring = Keyring::from_base64_list(&list).unwrap();
    assert_eq!(ring.len(), 3);
    assert_eq!(ring.primary_id(), a.id());
    let by_c = Keyring::new(k(3)).seal("s", b"v");
    assert!(ring.open("s", &by_c).unwrap().used_fallback());
}

#[test]
fn from_base64_list_reports_the_bad_position() {
    let good = k(1).to_base64();
    let err = Keyring::from_base64_list(&format!("{good},not*base64")).unwrap_err();
    assert!(
        matches!(err, KeyError::InList { index: 1, ref source } if matches!(**source, KeyError::InvalidBase64 { .. })),
        "{err:?}"
    );
    assert!(matches!(
        Keyring::from_base64_list("  "),
        Err(KeyError::EmptyList)
    ));
    let err = Keyring::from_base64_list(&format!("{good},,{good}")).unwrap_err();
    assert!(matches!(err, KeyError::InList { index: 1, .. }), "{err:?}");
}

#[test]
fn keyring_debug_shows_ids_not_keys() {
    let key = k(0xAB);
    let b64 = key.to_base64();
    let ring = Keyring::new(key.clone());
    let debug = format!("{ring:?}");
    assert!(!debug.contains(&b64));
    let id_hex: String = key.id().to_string();
    assert!(debug.contains(&id_hex), "{debug}");
}

mod sessions {
    //! Rotation seen through sessions: a fallback-sealed cookie loads, is
    //! re-sealed with the primary on the next save, and a retired key's
    //! cookie gives an empty session that is removed.

    use sealed_session::{InvalidReason, Keyring, SessionConfig, Status};

    use super::k;

    fn config(keys: Keyring) -> SessionConfig {
        SessionConfig::builder(keys).build().unwrap()
    }

    fn cookie_from(config: &SessionConfig) -> String {
        let mut s = sealed_session::load(config, &http::Request::new(()));
        s.insert("user", "ada").unwrap();
        let mut headers = http::HeaderMap::new();
        sealed_session::save(config, &s, &mut headers).unwrap();
        headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    fn request(cookie: &str) -> http::Request<()> {
        http::Request::builder()
            .header("cookie", cookie)
            .body(())
            .unwrap()
    }

    #[test]
    fn fallback_cookie_is_resealed_with_the_primary_and_keeps_created() {
        let old = config(Keyring::new(k(1)));
        let cookie = cookie_from(&old);
        let rotated = config(Keyring::new(k(2)).with_fallback(k(1)));

        let s = sealed_session::load(&rotated, &request(&cookie));
        assert_eq!(s.status(), Status::LoadedWithFallback);
        let created = s.created();
        // Unmodified, but re-sealed because a fallback key opened it.
        let mut headers = http::HeaderMap::new();
        sealed_session::save(&rotated, &s, &mut headers).unwrap();
        let resealed = headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();

        let s = sealed_session::load(&rotated, &request(&resealed));
        assert_eq!(s.status(), Status::Loaded);
        assert_eq!(s.created(), created, "rotation keeps the creation time");
        assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("ada"));
        // The re-sealed cookie opens with the new key alone.
        let new_only = config(Keyring::new(k(2)));
        assert_eq!(
            sealed_session::load(&new_only, &request(&resealed)).status(),
            Status::Loaded
        );
    }

    #[test]
    fn retired_key_gives_an_empty_session_and_a_removal() {
        let cookie = cookie_from(&config(Keyring::new(k(1))));
        let new_only = config(Keyring::new(k(2)));
        let s = sealed_session::load(&new_only, &request(&cookie));
        assert_eq!(s.status(), Status::Invalid(InvalidReason::UnknownKey));
        assert!(s.is_empty());
        let mut headers = http::HeaderMap::new();
        sealed_session::save(&new_only, &s, &mut headers).unwrap();
        assert!(
            headers["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
    }
}
