//! Issue 10: the weak points an adversarial review found, one test each
//! (points 1, 2 and 9 are pinned next to `save` in `src/glue.rs`; 5, 6 and 8
//! also at the byte level in `src/seal.rs`).

use sealed_session::CookieRuleError;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use sealed_session::cookies::{self, CookieError};
use sealed_session::cookies::{MAX_CANDIDATES, MAX_SCAN_BYTES};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    ConfigError, InvalidReason, Key, Keyring, SessionConfig, SessionConfigBuilder, Status,
};

const NOW: i64 = 1_767_225_600;

fn keyring() -> Keyring {
    Keyring::new(Key::from_bytes(&[0x5a; 32]).unwrap())
}

/// A builder whose clock reads `clock`.
fn builder(clock: &Arc<AtomicI64>) -> SessionConfigBuilder {
    let clock = Arc::clone(clock);
    SessionConfig::builder(keyring())
        .clock(move || OffsetDateTime::from_unix_timestamp(clock.load(Ordering::Relaxed)).unwrap())
}

fn fixed(config: SessionConfigBuilder) -> SessionConfig {
    config
        .clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
        .build()
        .unwrap()
}

/// `name=value` of the session cookie a fresh session holding `user = 42`
/// gets under `config`.
fn issue(config: &SessionConfig) -> String {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    session.insert("user", &42u64).unwrap();
    let mut response = HeaderMap::new();
    sealed_session::save(config, &session, &mut response).unwrap();
    pair(&response)
}

fn pair(response: &HeaderMap) -> String {
    let line = response[SET_COOKIE].to_str().unwrap();
    line.split(';').next().unwrap().to_owned()
}

fn request(cookie_headers: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in cookie_headers {
        h.append(COOKIE, HeaderValue::from_str(v).unwrap());
    }
    h
}

/// What `save` writes for an untouched session loaded from `request`.
fn set_cookies_after_load(config: &SessionConfig, request: &HeaderMap) -> (Status, usize) {
    let session = sealed_session::load(config, request);
    let mut response = HeaderMap::new();
    sealed_session::save(config, &session, &mut response).unwrap();
    (
        session.status(),
        response.get_all(SET_COOKIE).iter().count(),
    )
}

/// Point 3: padding cookies of other names push the real session cookie past
/// the scan budget. Before the fix, its cut half was a candidate that failed
/// to open, and `save` deleted the user's valid cookie.
#[test]
fn padding_cookies_never_get_the_real_cookie_deleted() {
    let config = fixed(SessionConfig::builder(keyring()));
    let real = issue(&config);
    for padding in [MAX_SCAN_BYTES - real.len() / 2, MAX_SCAN_BYTES] {
        let header = format!("pad={}; {real}", "p".repeat(padding));
        let (status, set) = set_cookies_after_load(&config, &request(&[&header]));
        assert_eq!(status, Status::Truncated, "padding {padding}");
        assert_eq!(set, 0, "a cookie that was not examined was deleted");
        // Padding in a header of its own, the cookie in the next one.
        let pad = format!("pad={}", "p".repeat(padding));
        let (status, set) = set_cookies_after_load(&config, &request(&[&pad, &real]));
        assert_eq!((status, set), (Status::Truncated, 0));
    }
    // An explicit logout still removes it.
    let header = format!("pad={}; {real}", "p".repeat(MAX_SCAN_BYTES));
    let mut session = sealed_session::load(&config, &request(&[&header]));
    session.flush();
    let mut response = HeaderMap::new();
    sealed_session::save(&config, &session, &mut response).unwrap();
    assert!(pair(&response).ends_with('='), "flush sends a removal");
}

/// Point 3: more junk cookies with the session's name than are tried.
#[test]
fn junk_cookies_with_the_session_name_never_get_the_real_one_deleted() {
    let config = fixed(SessionConfig::builder(keyring()));
    let real = issue(&config);
    let mut pairs: Vec<String> = (0..MAX_CANDIDATES)
        .map(|i| format!("session=junk{i}"))
        .collect();
    pairs.push(real.clone());
    let (status, set) = set_cookies_after_load(&config, &request(&[&pairs.join("; ")]));
    assert_eq!((status, set), (Status::Truncated, 0));
    assert_eq!(status.as_str(), "truncated");
    // With one junk value fewer, the real cookie is examined and loads.
    pairs.remove(0);
    let (status, set) = set_cookies_after_load(&config, &request(&[&pairs.join("; ")]));
    assert_eq!((status, set), (Status::Loaded, 0));
}

/// Point 4: shortening the rolling idle time applies to cookies already
/// issued, as shortening `max_age` and `absolute_timeout` do. Before the fix,
/// a cookie idle for 20 days loaded under a 15-minute setting.
#[test]
fn a_shortened_rolling_idle_time_applies_to_issued_cookies() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let long = builder(&clock).rolling(Duration::days(30)).build().unwrap();
    let short = builder(&clock)
        .rolling(Duration::minutes(15))
        .build()
        .unwrap();
    let cookie = issue(&long);

    clock.store(NOW + 20 * 86_400, Ordering::Relaxed);
    assert!(
        sealed_session::load(&long, &request(&[&cookie]))
            .status()
            .is_loaded()
    );
    let (status, set) = set_cookies_after_load(&short, &request(&[&cookie]));
    assert_eq!(status, Status::Expired);
    assert_eq!(set, 1, "the expired cookie is removed");

    // Idle for less than the new setting: still a session.
    clock.store(NOW + 14 * 60, Ordering::Relaxed);
    let session = sealed_session::load(&short, &request(&[&cookie]));
    assert_eq!(session.status(), Status::Loaded);
    assert_eq!(session.get::<u64>("user").unwrap(), Some(42));
    clock.store(NOW + 15 * 60, Ordering::Relaxed);
    assert_eq!(
        sealed_session::load(&short, &request(&[&cookie])).status(),
        Status::Expired
    );
}

/// Point 4: the idle time counts from the last seal, not from creation, so
/// an active user refreshed by a rolling save stays logged in.
#[test]
fn the_idle_time_counts_from_the_last_refresh() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = builder(&clock).rolling(Duration::hours(1)).build().unwrap();
    let mut cookie = issue(&config);
    for hour in 1..5 {
        clock.store(NOW + hour * 3_000, Ordering::Relaxed);
        let session = sealed_session::load(&config, &request(&[&cookie]));
        assert_eq!(session.status(), Status::Loaded, "after {hour} refreshes");
        let mut response = HeaderMap::new();
        sealed_session::save(&config, &session, &mut response).unwrap();
        cookie = pair(&response);
    }
}

/// Point 5: two apps or tenants that share keys and the cookie name, but not
/// the context, never accept each other's sessions or sealed cookies.
#[test]
fn contexts_keep_apps_that_share_keys_apart() {
    let a = fixed(SessionConfig::builder(keyring()).context("tenant-a"));
    let b = fixed(SessionConfig::builder(keyring()).context("tenant-b"));
    let a_again = fixed(SessionConfig::builder(keyring()).context("tenant-a"));
    let default = fixed(SessionConfig::builder(keyring()));
    assert_eq!(a.context(), "tenant-a");
    assert_eq!(default.context(), "");

    let cookie = issue(&a);
    let req = request(&[&cookie]);
    assert_eq!(
        sealed_session::load(&a_again, &req).status(),
        Status::Loaded
    );
    for other in [&b, &default] {
        assert_eq!(
            sealed_session::load(other, &req).status(),
            Status::Invalid(InvalidReason::Tampered)
        );
    }

    let mut response = HeaderMap::new();
    let prefs = cookies::build("prefs", "role=admin").build();
    cookies::set_sealed(&mut response, &a, &prefs).unwrap();
    let req = request(&[&pair(&response)]);
    assert_eq!(
        cookies::open_sealed(&req, &a_again, "prefs").unwrap(),
        "role=admin"
    );
    assert!(matches!(
        cookies::open_sealed(&req, &b, "prefs"),
        Err(CookieError::Open { .. })
    ));

    let too_long = SessionConfig::builder(keyring())
        .context("c".repeat(256))
        .build();
    assert!(matches!(
        too_long,
        Err(ConfigError::ContextTooLong { len: 256, max: 255 })
    ));
    assert!(
        SessionConfig::builder(keyring())
            .context("c".repeat(255))
            .build()
            .is_ok()
    );
}

/// Point 6: sessions, stand-alone sealed cookies and raw `Keyring::seal`
/// values are different kinds: none opens as another, even under the same
/// name, and `open_sealed` refuses the session's name.
#[test]
fn sessions_sealed_cookies_and_raw_values_never_cross() {
    let config = fixed(SessionConfig::builder(keyring()));
    let session_pair = issue(&config);
    let session_value = session_pair.strip_prefix("session=").unwrap();

    // A session never opens as a sealed cookie or a raw value...
    assert!(matches!(
        cookies::open_sealed(&request(&[&session_pair]), &config, "session"),
        Err(CookieError::ReservedName { .. })
    ));
    let renamed = format!("prefs={session_value}");
    assert!(matches!(
        cookies::open_sealed(&request(&[&renamed]), &config, "prefs"),
        Err(CookieError::Open { .. })
    ));
    assert!(keyring().open("session", session_value).is_err());

    // ...and neither a sealed cookie nor a raw value opens as a session,
    // whatever name it was sealed under.
    let mut response = HeaderMap::new();
    let prefs = cookies::build("prefs", "x").build();
    cookies::set_sealed(&mut response, &config, &prefs).unwrap();
    let sealed_value = pair(&response).strip_prefix("prefs=").unwrap().to_owned();
    let opened = sealed_session::danger::open_session_value(&config, session_value).unwrap();
    let raw_value = keyring().seal("session", opened.plaintext());
    for value in [sealed_value, raw_value] {
        let session = sealed_session::load(&config, &request(&[&format!("session={value}")]));
        assert_eq!(session.status(), Status::Invalid(InvalidReason::Tampered));
    }
}

/// Point 7: everyday cookies obey the `__Host-`/`__Secure-` rules browsers
/// enforce by dropping the cookie silently; nothing is written.
#[test]
fn prefix_rules_apply_to_everyday_cookies() {
    let config = fixed(SessionConfig::builder(keyring()));
    let bad = [
        (
            cookies::build("__Host-id", "1")
                .domain("example.com")
                .build(),
            "domain",
        ),
        (
            cookies::build("__Host-id", "1").path("/app").build(),
            "path",
        ),
        (
            cookies::build("__Host-id", "1").secure(false).build(),
            "secure",
        ),
        (
            cookies::build("__Secure-id", "1").secure(false).build(),
            "secure",
        ),
    ];
    for (cookie, broken) in &bad {
        let mut response = HeaderMap::new();
        let errors = [
            cookies::set(&mut response, cookie).unwrap_err(),
            cookies::delete(&mut response, cookie).unwrap_err(),
            cookies::set_sealed(&mut response, &config, cookie).unwrap_err(),
        ];
        assert!(response.is_empty(), "{cookie}: a header was written");
        for err in errors {
            let kind_matches = matches!(
                (&err, *broken),
                (
                    CookieError::Invalid(CookieRuleError::HostPrefixWithDomain { .. }),
                    "domain"
                ) | (
                    CookieError::Invalid(CookieRuleError::HostPrefixPath { .. }),
                    "path"
                ) | (
                    CookieError::Invalid(CookieRuleError::PrefixRequiresSecure { .. }),
                    "secure"
                )
            );
            assert!(kind_matches, "{cookie}: {err:?}");
        }
    }
    let mut response = HeaderMap::new();
    cookies::set(&mut response, &cookies::build("__Host-id", "1").build()).unwrap();
    cookies::set(&mut response, &cookies::build("__Secure-id", "1").build()).unwrap();
    assert_eq!(response.get_all(SET_COOKIE).iter().count(), 2);
}
