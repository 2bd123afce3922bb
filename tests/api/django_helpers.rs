//! The rest of Django's session API (`setdefault`, `get_expiry_age`, the
//! test-cookie trio) and flash messages, through real cookies.

use crate::common::*;
use sealed_session::flash::{self, Level, Message};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Expiry, SessionError};

#[test]
fn get_or_insert_with_stores_the_default_once() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    let mut calls = 0;
    let first: Vec<String> = s
        .get_or_insert_with("cart", || {
            calls += 1;
            vec!["tea".to_owned()]
        })
        .unwrap();
    assert_eq!(first, ["tea"]);
    assert!(s.is_modified());
    let cookie = save_to_cookie(&config, &s);

    let mut s = load_cookie(&config, &cookie);
    let again: Vec<String> = s
        .get_or_insert_with("cart", || {
            calls += 1;
            vec!["coffee".to_owned()]
        })
        .unwrap();
    assert_eq!(again, ["tea"], "the stored value wins");
    assert_eq!(calls, 1, "the default is built only when needed");
    assert!(!s.is_modified(), "an existing value modifies nothing");
    assert!(save_set_cookies(&config, &s).is_empty());

    // A value of another type: an error, and the value stays.
    s.insert("n", &7u8).unwrap();
    let err = s.get_or_insert_with("n", || "x".to_owned()).unwrap_err();
    assert!(matches!(err, SessionError::Decode { .. }), "{err:?}");
    assert_eq!(s.get::<u8>("n").unwrap(), Some(7));
}

#[test]
fn expiry_age_is_the_time_left_from_the_request() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::hours(2)));
    let mut s = load_cookie(&config, "");
    assert_eq!(s.expiry_age(), Duration::hours(2));
    s.insert("k", "v").unwrap();
    let cookie = save_to_cookie(&config, &s);

    clock.advance(Duration::minutes(30));
    let s = load_cookie(&config, &cookie);
    assert_eq!(
        s.expiry_age(),
        Duration::minutes(90),
        "counts from creation"
    );
    assert_eq!(
        s.expiry_age(),
        s.expiry_date() - OffsetDateTime::from_unix_timestamp(clock.now()).unwrap()
    );

    // Per-session overrides, as get_expiry_age honours set_expiry.
    let mut s = load_cookie(&config, &cookie);
    s.set_expiry(Expiry::Idle(Duration::minutes(5)));
    assert_eq!(s.expiry_age(), Duration::minutes(5));
    let at = OffsetDateTime::from_unix_timestamp(clock.now() + 600).unwrap();
    s.set_expiry(Expiry::At(at));
    assert_eq!(s.expiry_age(), Duration::minutes(10));
    let past = OffsetDateTime::from_unix_timestamp(clock.now() - 600).unwrap();
    s.set_expiry(Expiry::At(past));
    assert_eq!(s.expiry_age(), Duration::ZERO, "never negative");
}

#[test]
fn the_test_cookie_trio_tells_whether_the_cookie_came_back() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    assert!(!s.test_cookie_worked());
    s.set_test_cookie();
    let cookie = save_to_cookie(&config, &s);

    // The browser sent it back.
    let mut s = load_cookie(&config, &cookie);
    assert!(s.test_cookie_worked());
    s.delete_test_cookie();
    assert!(!s.test_cookie_worked());
    assert!(s.is_modified());

    // The browser did not (cookies disabled): a new session.
    assert!(!load_cookie(&config, "").test_cookie_worked());
    // Something else under Django's key is not the marker.
    let mut s = load_cookie(&config, "");
    s.insert("testcookie", "failed").unwrap();
    assert!(!s.test_cookie_worked());
}

#[test]
fn flash_messages_survive_one_redirect_and_are_read_once() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    flash::add(&mut s, Level::Success, "Saved.").unwrap();
    flash::add(&mut s, Level::Warning, "Your card expires soon.").unwrap();
    assert_eq!(
        s.keys().collect::<Vec<_>>(),
        [flash::SESSION_KEY],
        "one key"
    );
    let cookie = save_to_cookie(&config, &s);

    let mut s = load_cookie(&config, &cookie);
    let messages = flash::take_all(&mut s);
    let shown: Vec<(Level, &str)> = messages
        .iter()
        .map(|m: &Message| (m.level, m.text.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (Level::Success, "Saved."),
            (Level::Warning, "Your card expires soon.")
        ]
    );
    assert!(s.is_modified(), "reading removes them");
    assert!(flash::take_all(&mut s).is_empty());
    let after = save_set_cookies(&config, &s);
    assert_eq!(after.len(), 1);
    assert!(is_removal(&after[0]), "nothing else was in the session");

    // Nothing pending: reading modifies nothing.
    let mut s = load_cookie(&config, &issue(&config, &[("k", "v")]));
    assert!(flash::take_all(&mut s).is_empty());
    assert!(!s.is_modified());
}

#[test]
fn flash_storage_is_compact() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut empty = load_cookie(&config, "");
    empty
        .insert(flash::SESSION_KEY, &Vec::<(u8, String)>::new())
        .unwrap();
    let base = save_to_cookie(&config, &empty).len();
    let mut s = load_cookie(&config, "");
    for _ in 0..10 {
        flash::add(&mut s, Level::Info, "").unwrap();
    }
    let ten = save_to_cookie(&config, &s).len();
    // Ten empty messages: a level byte and a length byte each, as base64.
    assert!(
        ten - base <= 28,
        "{} bytes for ten empty messages",
        ten - base
    );
}

#[test]
fn levels_follow_django() {
    let all = [
        Level::Debug,
        Level::Info,
        Level::Success,
        Level::Warning,
        Level::Error,
    ];
    let tags: Vec<_> = all.iter().map(|l| l.as_str()).collect();
    assert_eq!(tags, ["debug", "info", "success", "warning", "error"]);
    let values: Vec<_> = all.iter().map(|l| l.value()).collect();
    assert_eq!(values, [10, 20, 25, 30, 40]);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ordered by importance");
    assert_eq!(Level::Warning.to_string(), "warning");
}

#[test]
fn an_unreadable_flash_value_is_dropped_not_shown() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    s.insert(flash::SESSION_KEY, &[1u8, 2, 3]).unwrap();
    assert!(
        flash::add(&mut s, Level::Info, "x").is_err(),
        "not a list of messages"
    );
    assert!(flash::take_all(&mut s).is_empty());
    assert!(!s.contains_key(flash::SESSION_KEY), "removed");
}
