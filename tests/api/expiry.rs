//! Threat: a copied or kept cookie outliving its session. The server enforces
//! every lifetime from the sealed envelope, whatever the browser does with
//! `Max-Age`. All with an injected clock: no test sleeps.

use crate::common::*;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Expiry, Status};

fn max_age_of(set_cookie: &str) -> Option<i64> {
    set_cookie
        .split("; ")
        .find_map(|a| a.strip_prefix("Max-Age="))
        .map(|v| v.parse().unwrap())
}

#[test]
fn max_age_counts_from_creation_and_is_enforced_on_the_server() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::hours(2)));
    let set = save_set_cookies(&config, &{
        let mut s = load_cookie(&config, "");
        s.insert("u", "ada").unwrap();
        s
    });
    assert_eq!(max_age_of(&set[0]), Some(7200));
    let cookie = pair(&set[0]).to_owned();

    clock.advance(Duration::seconds(7199));
    let s = load_cookie(&config, &cookie);
    assert_eq!(s.status(), Status::Loaded);
    assert_eq!(s.expiry_date().unix_timestamp(), T0 + 7200);

    // A modification does not extend a fixed (non-rolling) lifetime.
    let mut s = load_cookie(&config, &cookie);
    s.insert("v", "1").unwrap();
    let set = save_set_cookies(&config, &s);
    assert_eq!(max_age_of(&set[0]), Some(1));
    let modified = pair(&set[0]).to_owned();

    clock.advance(Duration::seconds(1));
    for c in [&cookie, &modified] {
        let s = load_cookie(&config, c);
        assert_eq!(s.status(), Status::Expired);
        assert!(s.is_empty());
        let out = save_set_cookies(&config, &s);
        assert!(is_removal(&out[0]), "{out:?}");
    }
}

#[test]
fn rolling_session_expires_after_idle_and_refreshes_at_the_threshold() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.rolling(Duration::minutes(30))
            .refresh_after(Duration::minutes(5))
    });
    let cookie = issue(&config, &[("u", "ada")]);

    // Before the threshold: a busy user gets no new cookie.
    clock.advance(Duration::minutes(4));
    let s = load_cookie(&config, &cookie);
    assert_eq!(s.status(), Status::Loaded);
    assert!(save_set_cookies(&config, &s).is_empty());

    // At the threshold: re-sealed with a fresh idle window.
    clock.advance(Duration::minutes(1));
    let s = load_cookie(&config, &cookie);
    let set = save_set_cookies(&config, &s);
    assert_eq!(set.len(), 1);
    assert_eq!(max_age_of(&set[0]), Some(30 * 60));
    let refreshed = pair(&set[0]).to_owned();

    // The old cookie dies 30 minutes after it was sealed; the refreshed one
    // lives on.
    clock.advance(Duration::minutes(25));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Expired);
    assert_eq!(load_cookie(&config, &refreshed).status(), Status::Loaded);

    // Idle for the full window: gone.
    clock.advance(Duration::minutes(5));
    assert_eq!(load_cookie(&config, &refreshed).status(), Status::Expired);
}

#[test]
fn absolute_timeout_caps_a_rolling_session() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.rolling(Duration::minutes(30))
            .absolute_timeout(Duration::hours(1))
    });
    let mut cookie = issue(&config, &[("u", "ada")]);
    // Stay busy: a request every 20 minutes keeps the idle window open...
    for _ in 0..2 {
        clock.advance(Duration::minutes(20));
        let s = load_cookie(&config, &cookie);
        assert_eq!(s.status(), Status::Loaded);
        let set = save_set_cookies(&config, &s);
        assert!(max_age_of(&set[0]).unwrap() <= 30 * 60);
        cookie = pair(&set[0]).to_owned();
    }
    // ... but at 40 minutes the cookie may only live 20 more.
    let s = load_cookie(&config, &cookie);
    assert_eq!(s.expiry_date().unix_timestamp(), T0 + 3600);
    // At 60 minutes the session is over, however recently it was refreshed.
    clock.advance(Duration::minutes(20));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Expired);
}

#[test]
fn renew_restarts_the_absolute_timeout() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.max_age(Duration::hours(1))
            .absolute_timeout(Duration::hours(2))
    });
    let cookie = issue(&config, &[("u", "ada")]);
    clock.advance(Duration::minutes(50));
    let mut s = load_cookie(&config, &cookie);
    s.renew();
    let renewed = save_to_cookie(&config, &s);
    clock.advance(Duration::minutes(59));
    assert_eq!(load_cookie(&config, &renewed).status(), Status::Loaded);
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Expired);
}

#[test]
fn shortening_the_absolute_timeout_applies_to_cookies_already_issued() {
    let clock = TestClock::new();
    let long = config_with(&clock, |b| b.max_age(Duration::days(7)));
    let cookie = issue(&long, &[("u", "ada")]);
    clock.advance(Duration::days(2));
    let strict = config_with(&clock, |b| {
        b.max_age(Duration::days(1))
            .absolute_timeout(Duration::days(1))
    });
    assert_eq!(load_cookie(&strict, &cookie).status(), Status::Expired);
    assert_eq!(load_cookie(&long, &cookie).status(), Status::Loaded);
}

#[test]
fn per_session_idle_override() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::days(14)));
    let mut s = load_cookie(&config, "");
    s.insert("u", "ada").unwrap();
    s.set_expiry(Expiry::Idle(Duration::minutes(10)));
    assert_eq!(s.expiry(), Expiry::Idle(Duration::minutes(10)));
    let set = save_set_cookies(&config, &s);
    assert_eq!(max_age_of(&set[0]), Some(600));
    let cookie = pair(&set[0]).to_owned();

    clock.advance(Duration::minutes(9));
    let s = load_cookie(&config, &cookie);
    assert_eq!(s.expiry(), Expiry::Idle(Duration::minutes(10)));
    // 9 minutes since sealing is past the default threshold (a tenth of the
    // idle time): the override rolls.
    let set = save_set_cookies(&config, &s);
    assert_eq!(set.len(), 1);
    let refreshed = pair(&set[0]).to_owned();
    clock.advance(Duration::minutes(2));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Expired);
    assert_eq!(load_cookie(&config, &refreshed).status(), Status::Loaded);
}

/// A per-session idle time (remember-me) refreshes at the configured
/// `refresh_after` when that is shorter, not every minute.
#[test]
fn a_per_session_idle_time_takes_the_configured_refresh_threshold() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.rolling(Duration::minutes(30))
            .refresh_after(Duration::minutes(20))
    });
    let mut s = load_cookie(&config, "");
    s.insert("u", "ada").unwrap();
    s.set_expiry(Expiry::Idle(Duration::days(30)));
    let cookie = pair(&save_set_cookies(&config, &s)[0]).to_owned();

    // Ten minutes on: past the default threshold for 30 days (60 s), but
    // not the configured 20 minutes, so no new cookie.
    clock.advance(Duration::minutes(10));
    let s = load_cookie(&config, &cookie);
    assert_eq!(s.status(), Status::Loaded);
    assert!(save_set_cookies(&config, &s).is_empty());
    clock.advance(Duration::minutes(11));
    let s = load_cookie(&config, &cookie);
    assert_eq!(save_set_cookies(&config, &s).len(), 1);

    // A per-session idle time shorter than the threshold keeps its own
    // default (a tenth of it).
    let mut s = load_cookie(&config, "");
    s.insert("u", "bob").unwrap();
    s.set_expiry(Expiry::Idle(Duration::minutes(10)));
    let cookie = pair(&save_set_cookies(&config, &s)[0]).to_owned();
    clock.advance(Duration::minutes(2));
    let s = load_cookie(&config, &cookie);
    assert_eq!(save_set_cookies(&config, &s).len(), 1);
}

#[test]
fn per_session_absolute_instant_override() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    s.insert("u", "ada").unwrap();
    let at = OffsetDateTime::from_unix_timestamp(T0 + 90).unwrap();
    s.set_expiry(Expiry::At(at));
    assert_eq!(s.expiry_date(), at);
    let set = save_set_cookies(&config, &s);
    assert_eq!(max_age_of(&set[0]), Some(90));
    let cookie = pair(&set[0]).to_owned();
    clock.advance(Duration::seconds(89));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Loaded);
    clock.advance(Duration::seconds(1));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Expired);
}

#[test]
fn expiry_in_the_past_removes_the_cookie() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("u", "ada")]);
    let mut s = load_cookie(&config, &cookie);
    s.set_expiry(Expiry::At(
        OffsetDateTime::from_unix_timestamp(T0 - 1).unwrap(),
    ));
    let out = save_set_cookies(&config, &s);
    assert!(is_removal(&out[0]), "{out:?}");
}

#[test]
fn browser_session_cookie_has_no_max_age_but_the_server_still_expires_it() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.browser_session(true).max_age(Duration::hours(1))
    });
    let set = save_set_cookies(&config, &{
        let mut s = load_cookie(&config, "");
        s.insert("u", "ada").unwrap();
        assert!(s.expires_at_browser_close());
        s
    });
    assert!(
        !set[0].contains("Max-Age") && !set[0].contains("Expires"),
        "{}",
        set[0]
    );
    let cookie = pair(&set[0]).to_owned();
    clock.advance(Duration::minutes(59));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Loaded);
    clock.advance(Duration::minutes(1));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Expired);
}

#[test]
fn per_session_browser_session_and_back_to_default() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::hours(1)));
    let mut s = load_cookie(&config, "");
    s.insert("u", "ada").unwrap();
    s.set_expiry(Expiry::BrowserSession);
    let set = save_set_cookies(&config, &s);
    assert!(!set[0].contains("Max-Age"), "{}", set[0]);
    let mut s = load_cookie(&config, pair(&set[0]));
    assert!(s.expires_at_browser_close());
    s.set_expiry(Expiry::Default);
    let set = save_set_cookies(&config, &s);
    assert_eq!(max_age_of(&set[0]), Some(3600));
}

#[test]
fn cookie_attributes_never_promise_more_than_400_days() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::days(3650)));
    let set = save_set_cookies(&config, &{
        let mut s = load_cookie(&config, "");
        s.insert("u", "ada").unwrap();
        s
    });
    // Browsers cap lifetimes at 400 days (RFC 6265bis); the attributes say
    // so, and Expires agrees with Max-Age.
    assert_eq!(max_age_of(&set[0]), Some(400 * 86_400));
    assert!(
        set[0].contains("Expires=Fri, 05 Feb 2027 00:00:00 GMT"),
        "{}",
        set[0]
    );
    // The server still honours the configured ten years.
    let cookie = pair(&set[0]).to_owned();
    clock.advance(Duration::days(1000));
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Loaded);
}

#[test]
fn shortening_max_age_applies_to_cookies_already_issued() {
    let clock = TestClock::new();
    let long = config_with(&clock, |b| b.max_age(Duration::weeks(2)));
    let cookie = issue(&long, &[("u", "ada")]);
    clock.advance(Duration::days(2));
    let short = config_with(&clock, |b| b.max_age(Duration::days(1)));
    assert_eq!(load_cookie(&short, &cookie).status(), Status::Expired);
    assert_eq!(load_cookie(&long, &cookie).status(), Status::Loaded);
}

/// The README's remember-me recipe: a 30-minute rolling default in a
/// browser-session cookie, and a 30-day `Expiry::At` for "remember me",
/// side by side under one configuration.
#[test]
fn remember_me_for_30_days_next_to_a_30_minute_default() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.rolling(Duration::minutes(30)).browser_session(true)
    });
    let login = |remember: bool| {
        let mut s = load_cookie(&config, "");
        s.renew();
        s.insert("user", "ada").unwrap();
        if remember {
            let now = OffsetDateTime::from_unix_timestamp(clock.now()).unwrap();
            s.set_expiry(Expiry::At(now + Duration::days(30)));
        }
        save_set_cookies(&config, &s).remove(0)
    };
    let short = login(false);
    let remembered = login(true);
    assert_eq!(max_age_of(&short), None, "ends with the browser: {short}");
    assert_eq!(max_age_of(&remembered), Some(30 * 86_400), "{remembered}");
    let (short, remembered) = (pair(&short).to_owned(), pair(&remembered).to_owned());

    // 31 idle minutes end the default session, not the remembered one.
    clock.advance(Duration::minutes(31));
    assert_eq!(load_cookie(&config, &short).status(), Status::Expired);
    assert_eq!(load_cookie(&config, &remembered).status(), Status::Loaded);

    // Used or not, the remembered session is not re-sealed (nothing to
    // push) and ends 30 days after the login.
    clock.advance(Duration::days(29));
    let s = load_cookie(&config, &remembered);
    assert_eq!(s.status(), Status::Loaded);
    assert!(save_set_cookies(&config, &s).is_empty());
    clock.advance(Duration::minutes(60 * 24 - 31));
    assert_eq!(load_cookie(&config, &remembered).status(), Status::Expired);
}

/// `refresh_after` is not capped at a minute: an hour between refreshes of a
/// week-long rolling session, at the price of an idle window between
/// `idle - t` and `idle`.
#[test]
fn refresh_after_can_be_an_hour() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| {
        b.rolling(Duration::days(7))
            .refresh_after(Duration::hours(1))
    });
    let cookie = issue(&config, &[("u", "ada")]);
    clock.advance(Duration::minutes(59));
    assert!(save_set_cookies(&config, &load_cookie(&config, &cookie)).is_empty());
    clock.advance(Duration::minutes(1));
    let set = save_set_cookies(&config, &load_cookie(&config, &cookie));
    assert_eq!(max_age_of(&set[0]), Some(7 * 86_400));
}
