//! Plain cookie helpers and the stand-alone sealed cookie.

use sealed_session::CookieRuleError;

use crate::common::*;
use http::HeaderMap;
use sealed_session::OpenError;
use sealed_session::cookie::{Cookie, SameSite as CookieSameSite};
use sealed_session::cookies::{self, CookieError};
use sealed_session::time::Duration;

fn request(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("cookie", cookie.parse().unwrap());
    h
}

fn value_of(h: &HeaderMap, name: &str) -> Option<String> {
    cookies::get(h, name).map(|c| c.value().to_owned())
}

#[test]
fn get_reads_one_cookie_with_a_default() {
    let h = request("theme=dark; lang=\"en\"; empty=");
    assert_eq!(value_of(&h, "theme").as_deref(), Some("dark"));
    assert_eq!(value_of(&h, "lang").as_deref(), Some("en"));
    assert_eq!(value_of(&h, "empty").as_deref(), Some(""));
    let theme = cookies::get(&h, "theme").unwrap();
    assert_eq!(theme.name(), "theme");
    assert_eq!(
        value_of(&h, "missing").unwrap_or_else(|| "light".into()),
        "light"
    );
}

#[test]
fn build_starts_from_the_secure_defaults() {
    let c = cookies::build("theme", "dark").build();
    assert_eq!(c.path(), Some("/"));
    assert_eq!(c.secure(), Some(true));
    assert_eq!(c.http_only(), Some(true));
    assert_eq!(c.same_site(), Some(CookieSameSite::Lax));
    assert_eq!(c.domain(), None);
    assert_eq!(c.max_age(), None);
}

#[test]
fn set_writes_exactly_the_given_attributes() {
    let mut h = HeaderMap::new();
    let cookie = cookies::build("theme", "dark")
        .http_only(false)
        .same_site(CookieSameSite::Strict)
        .path("/app")
        .domain("example.com")
        .max_age(Duration::hours(1))
        .build();
    cookies::set(&mut h, &cookie).unwrap();
    let out = set_cookies(&h);
    let parsed = Cookie::parse(out[0].clone()).unwrap();
    assert_eq!(parsed.name_value(), ("theme", "dark"));
    assert_eq!(parsed.path(), Some("/app"));
    assert_eq!(parsed.domain(), Some("example.com"));
    assert_eq!(parsed.max_age(), Some(Duration::hours(1)));
    assert_eq!(parsed.secure(), Some(true));
    assert_eq!(parsed.http_only(), None);
    assert_eq!(parsed.same_site(), Some(CookieSameSite::Strict));
}

#[test]
fn delete_writes_a_removal() {
    let mut h = HeaderMap::new();
    cookies::delete(&mut h, &cookies::build("theme", "dark").build()).unwrap();
    let out = &set_cookies(&h)[0];
    assert!(out.starts_with("theme=;"), "{out}");
    assert!(out.contains("Max-Age=0"), "{out}");
    assert!(out.contains("Path=/"), "{out}");
}

#[test]
fn bad_names_values_and_attributes_write_nothing() {
    let mut h = HeaderMap::new();
    assert!(matches!(
        cookies::set(&mut h, &cookies::build("a b", "v").build()),
        Err(CookieError::Invalid(
            CookieRuleError::InvalidCookieName { .. }
        ))
    ));
    for bad in ["a b", "a;b", "a\"b", "a,b", "a\\b", "\u{e9}", "a\nb"] {
        let err = cookies::set(&mut h, &cookies::build("n", bad).build()).unwrap_err();
        assert!(matches!(err, CookieError::InvalidValue { .. }), "{bad:?}");
        assert!(!err.to_string().contains(bad), "the value is not echoed");
    }
    assert!(matches!(
        cookies::set(
            &mut h,
            &cookies::build("n", "v").path("/; Domain=evil").build()
        ),
        Err(CookieError::Invalid(CookieRuleError::InvalidPath { .. }))
    ));
    assert!(matches!(
        cookies::set(&mut h, &cookies::build("n", "v").domain("a;b=c").build()),
        Err(CookieError::Invalid(CookieRuleError::InvalidDomain { .. }))
    ));
    assert!(matches!(
        cookies::set(
            &mut h,
            &cookies::build("n", "v")
                .secure(false)
                .same_site(CookieSameSite::None)
                .build()
        ),
        Err(CookieError::Invalid(
            CookieRuleError::SameSiteNoneRequiresSecure
        ))
    ));
    assert!(h.is_empty());
}

#[test]
fn sealed_cookie_round_trips_and_is_bound_to_its_name() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut h = HeaderMap::new();
    let remember = cookies::like_session(&config, "remember", "user:42")
        .max_age(Duration::days(30))
        .build();
    cookies::set_sealed(&mut h, &config, &remember).unwrap();
    let out = set_cookies(&h);
    assert!(out[0].contains("; Max-Age=2592000"), "{}", out[0]);
    assert!(
        out[0].contains("; HttpOnly; SameSite=Lax; Secure"),
        "{}",
        out[0]
    );
    assert!(!out[0].contains("user:42"));
    let cookie = pair(&out[0]).to_owned();
    assert_eq!(
        cookies::open_sealed(&request(&cookie), &config, "remember").unwrap(),
        "user:42"
    );

    // Moved to another name, including the session cookie's: rejected.
    let value = value(&out[0]);
    let moved = request(&format!("session={value}; other={value}"));
    assert!(matches!(
        cookies::open_sealed(&moved, &config, "other"),
        Err(CookieError::Open {
            source: OpenError::Tampered,
            ..
        })
    ));
    let s = sealed_session::load(&config, &moved);
    assert_eq!(
        s.status(),
        sealed_session::Status::Invalid(sealed_session::InvalidReason::Tampered)
    );
    assert!(matches!(
        cookies::open_sealed(&HeaderMap::new(), &config, "remember"),
        Err(CookieError::Missing { .. })
    ));
}

#[test]
fn sealed_cookie_expires_on_the_server() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut h = HeaderMap::new();
    let otp = cookies::build("otp", "123456")
        .max_age(Duration::minutes(5))
        .build();
    cookies::set_sealed(&mut h, &config, &otp).unwrap();
    let cookie = request(pair(&set_cookies(&h)[0]));
    clock.advance(Duration::seconds(299));
    assert!(cookies::open_sealed(&cookie, &config, "otp").is_ok());
    clock.advance(Duration::seconds(1));
    assert!(matches!(
        cookies::open_sealed(&cookie, &config, "otp"),
        Err(CookieError::Expired { .. })
    ));
}

#[test]
fn sealed_cookie_respects_the_size_limit() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut h = HeaderMap::new();
    let big = |n: usize| cookies::build("big", &"0".repeat(n)).build();
    let err = cookies::set_sealed(&mut h, &config, &big(3100)).unwrap_err();
    assert!(
        matches!(err, CookieError::TooLarge { limit: 4093, .. }),
        "{err:?}"
    );
    assert!(h.is_empty());
    cookies::set_sealed(&mut h, &config, &big(2900)).unwrap();
    assert!(pair(&set_cookies(&h)[0]).len() <= 4093);
}
