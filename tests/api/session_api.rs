//! The Django-style session API: values of any serde type, dirty tracking,
//! clear/flush/renew, and errors instead of garbage.

use crate::common::*;
use sealed_session::{SessionError, Status};
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<(String, u32)>,
    coupon: Option<String>,
}

#[test]
fn any_serde_type_round_trips_through_the_cookie() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    let cart = Cart {
        items: vec![("apple".into(), 3), ("pear".into(), 1)],
        coupon: Some("WELCOME".into()),
    };
    s.insert("cart", &cart).unwrap();
    s.insert("user_id", &42u64).unwrap();
    s.insert("name", "Ada").unwrap();
    s.insert("flags", &vec![true, false]).unwrap();
    let cookie = save_to_cookie(&config, &s);

    let s = load_cookie(&config, &cookie);
    assert_eq!(s.status(), Status::Loaded);
    assert_eq!(s.get::<Cart>("cart").unwrap(), Some(cart));
    assert_eq!(s.get::<u64>("user_id").unwrap(), Some(42));
    assert_eq!(s.get::<String>("name").unwrap().as_deref(), Some("Ada"));
    assert_eq!(
        s.get::<Vec<bool>>("flags").unwrap(),
        Some(vec![true, false])
    );
    assert_eq!(s.get::<u64>("missing").unwrap(), None);
    assert_eq!(
        s.keys().collect::<Vec<_>>(),
        ["cart", "flags", "name", "user_id"]
    );
    assert_eq!(s.len(), 4);
    assert!(!s.is_empty());
    assert!(s.contains_key("cart") && !s.contains_key("nope"));
}

#[test]
fn get_of_the_wrong_type_is_an_error_not_garbage() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    s.insert("name", "Ada Lovelace").unwrap();
    s.insert("n", &300u32).unwrap();
    // A string is not a bool, nor a u8 (300 needs a wider type), nor a
    // shorter type that leaves bytes behind.
    assert!(
        matches!(s.get::<bool>("name"), Err(SessionError::Decode { ref key, .. }) if key == "name")
    );
    assert!(s.get::<u8>("n").is_err());
    let err = s.get::<(u8,)>("name").unwrap_err();
    assert!(
        matches!(err, SessionError::Decode { trailing, .. } if trailing > 0),
        "{err:?}"
    );
    // The error does not quote the value.
    assert!(!err.to_string().contains("Lovelace"));
    // A failed take leaves the value in place.
    assert!(s.take::<bool>("name").is_err());
    assert_eq!(
        s.get::<String>("name").unwrap().as_deref(),
        Some("Ada Lovelace")
    );
}

#[test]
fn take_remove_and_clear() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("a", "1"), ("b", "2"), ("c", "3")]);
    let mut s = load_cookie(&config, &cookie);
    assert!(!s.is_modified());
    assert_eq!(s.take::<String>("a").unwrap().as_deref(), Some("1"));
    assert_eq!(s.take::<String>("a").unwrap(), None);
    assert!(s.remove("b"));
    assert!(!s.remove("b"));
    assert!(s.is_modified());
    let s = load_cookie(&config, &save_to_cookie(&config, &s));
    assert_eq!(s.keys().collect::<Vec<_>>(), ["c"]);

    let mut s = load_cookie(&config, &cookie);
    s.clear();
    assert!(s.is_empty());
    // Empty with a cookie in the request: the cookie is removed.
    let out = save_set_cookies(&config, &s);
    assert_eq!(out.len(), 1);
    assert!(is_removal(&out[0]), "{out:?}");
}

#[test]
fn unmodified_loaded_session_writes_nothing() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("user", "ada")]);
    let s = load_cookie(&config, &cookie);
    assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("ada"));
    assert!(save_set_cookies(&config, &s).is_empty());
    // Removing a key that is not there is not a modification.
    let mut s = load_cookie(&config, &cookie);
    s.remove("absent");
    assert!(!s.is_modified());
    assert!(save_set_cookies(&config, &s).is_empty());
}

#[test]
fn new_session_left_empty_writes_nothing() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    assert_eq!(s.status(), Status::New);
    s.insert("x", &1).unwrap();
    s.remove("x");
    assert!(save_set_cookies(&config, &s).is_empty());
}

#[test]
fn flush_removes_data_and_cookie_and_a_later_insert_starts_anew() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("user", "ada")]);
    clock.advance(sealed_session::time::Duration::hours(1));

    let mut s = load_cookie(&config, &cookie);
    s.flush();
    assert!(s.is_empty());
    let out = save_set_cookies(&config, &s);
    assert_eq!(out.len(), 1);
    assert!(is_removal(&out[0]), "{out:?}");

    let mut s = load_cookie(&config, &cookie);
    let old_created = s.created();
    s.flush();
    s.insert("message", "bye").unwrap();
    let s2 = load_cookie(&config, &save_to_cookie(&config, &s));
    assert_eq!(s2.keys().collect::<Vec<_>>(), ["message"]);
    assert!(s2.created() > old_created, "a flushed session starts anew");
}

#[test]
fn renew_keeps_data_and_restarts_created() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("cart", "3 apples")]);
    clock.advance(sealed_session::time::Duration::days(1));
    let mut s = load_cookie(&config, &cookie);
    let before = s.created();
    s.renew();
    let out = save_set_cookies(&config, &s);
    assert_eq!(out.len(), 1, "renew writes a cookie even without a change");
    let renewed = load_cookie(&config, pair(&out[0]));
    assert_eq!(
        renewed.get::<String>("cart").unwrap().as_deref(),
        Some("3 apples")
    );
    assert_eq!(
        renewed.created().unix_timestamp(),
        before.unix_timestamp() + 86_400
    );
}

#[test]
fn debug_shows_keys_but_never_values() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    s.insert("api_token", "tok_very_secret").unwrap();
    let debug = format!("{s:?}");
    assert!(debug.contains("api_token"), "{debug}");
    assert!(!debug.contains("very_secret"), "{debug}");
}

#[test]
fn status_display_names() {
    use sealed_session::InvalidReason;
    assert_eq!(Status::New.to_string(), "new");
    assert_eq!(
        Status::LoadedWithFallback.to_string(),
        "loaded-with-fallback"
    );
    assert_eq!(
        Status::Invalid(InvalidReason::UnknownKey).to_string(),
        "invalid: unknown key"
    );
    assert_eq!(Status::Expired.as_str(), "expired");
}

#[test]
fn a_value_that_fails_to_serialise_leaves_the_session_unchanged() {
    struct Unserialisable;
    impl Serialize for Unserialisable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refuses"))
        }
    }
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("user", "ada")]);
    let mut s = load_cookie(&config, &cookie);
    let err = s.insert("user", &Unserialisable).unwrap_err();
    assert!(
        matches!(err, SessionError::Encode { ref key, .. } if key == "user"),
        "{err:?}"
    );
    let err = s.insert("other", &Unserialisable).unwrap_err();
    assert!(matches!(err, SessionError::Encode { .. }));
    assert!(!s.is_modified());
    assert_eq!(s.keys().collect::<Vec<_>>(), ["user"]);
    assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("ada"));
    assert!(save_set_cookies(&config, &s).is_empty());
}

/// `encoded_len` is exactly the value `save` writes, for sessions of every
/// size and lifetime, and so predicts `TooLarge` without sealing.
#[test]
fn encoded_len_is_the_length_of_the_value_save_writes() {
    use sealed_session::{Expiry, SaveError};
    let clock = TestClock::new();
    for rolling in [false, true] {
        let config = config_with(&clock, |b| {
            let b = b.cookie_name("__Host-s");
            if rolling {
                b.rolling(time::Duration::hours(1))
            } else {
                b
            }
        });
        for (i, len) in [0usize, 1, 127, 128, 1_000, 2_900, 3_100, 5_000]
            .into_iter()
            .enumerate()
        {
            let mut session = sealed_session::load(&config, &http::Request::new(()));
            session.insert("k", &"v".repeat(len)).unwrap();
            match i % 3 {
                0 => {}
                1 => session.set_expiry(Expiry::Idle(time::Duration::minutes(5))),
                _ => session.set_expiry(Expiry::At(
                    time::OffsetDateTime::from_unix_timestamp(T0 + 86_400).unwrap(),
                )),
            }
            let predicted = config.cookie_name().len() + 1 + session.encoded_len();
            let mut response = http::Response::new(());
            match sealed_session::save(&config, &session, &mut response) {
                Ok(()) => {
                    let written = set_cookies(response.headers());
                    assert_eq!(pair(&written[0]).len(), predicted, "{len} bytes");
                    assert!(predicted <= config.size_limit());
                }
                Err(SaveError::TooLarge { size, limit }) => {
                    assert_eq!(size, predicted, "{len} bytes");
                    assert!(predicted > limit);
                }
                Err(e) => panic!("{e}"),
            }
        }
    }
}
