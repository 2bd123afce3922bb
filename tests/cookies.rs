//! Plain cookie helpers and the stand-alone sealed cookie.

mod common;

use common::*;
use http::HeaderMap;
use sealed_session::cookies::{self, CookieError, CookieOptions};
use sealed_session::time::Duration;
use sealed_session::{OpenError, SameSite};

fn request(cookie: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert("cookie", cookie.parse().unwrap());
    h
}

#[test]
fn get_reads_one_cookie_with_a_default() {
    let h = request("theme=dark; lang=\"en\"; empty=");
    assert_eq!(cookies::get(&h, "theme"), Some("dark"));
    assert_eq!(cookies::get(&h, "lang"), Some("en"));
    assert_eq!(cookies::get(&h, "empty"), Some(""));
    assert_eq!(cookies::get(&h, "missing").unwrap_or("light"), "light");
}

#[test]
fn set_writes_exactly_the_given_attributes() {
    let mut h = HeaderMap::new();
    let options = CookieOptions::default()
        .http_only(false)
        .same_site(SameSite::Strict)
        .path("/app")
        .domain("example.com")
        .max_age(Duration::hours(1));
    cookies::set(&mut h, "theme", "dark", &options).unwrap();
    let out = set_cookies(&h);
    let attrs: Vec<&str> = out[0].split("; ").collect();
    assert_eq!(
        attrs[..4],
        [
            "theme=dark",
            "Path=/app",
            "Domain=example.com",
            "Max-Age=3600"
        ]
    );
    assert!(attrs[4].starts_with("Expires=") && attrs[4].ends_with(" GMT"));
    assert_eq!(attrs[5..], ["Secure", "SameSite=Strict"]);
}

#[test]
fn delete_writes_a_removal() {
    let mut h = HeaderMap::new();
    cookies::delete(&mut h, "theme", &CookieOptions::default()).unwrap();
    assert!(is_removal(&set_cookies(&h)[0]));
}

#[test]
fn bad_names_values_and_attributes_write_nothing() {
    let mut h = HeaderMap::new();
    let o = CookieOptions::default();
    assert!(matches!(
        cookies::set(&mut h, "a b", "v", &o),
        Err(CookieError::InvalidName { .. })
    ));
    for bad in ["a b", "a;b", "a\"b", "a,b", "a\\b", "\u{e9}", "a\nb"] {
        let err = cookies::set(&mut h, "n", bad, &o).unwrap_err();
        assert!(matches!(err, CookieError::InvalidValue { .. }), "{bad:?}");
        assert!(!err.to_string().contains(bad), "the value is not echoed");
    }
    assert!(matches!(
        cookies::set(&mut h, "n", "v", &o.clone().path("/; Domain=evil")),
        Err(CookieError::InvalidAttribute { attribute: "Path" })
    ));
    assert!(matches!(
        cookies::set(
            &mut h,
            "n",
            "v",
            &o.clone().secure(false).same_site(SameSite::None)
        ),
        Err(CookieError::InvalidAttribute {
            attribute: "Secure"
        })
    ));
    assert!(h.is_empty());
}

#[test]
fn sealed_cookie_round_trips_and_is_bound_to_its_name() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut h = HeaderMap::new();
    let options = CookieOptions::from_config(&config).max_age(Duration::days(30));
    cookies::set_sealed(&mut h, &config, "remember", b"user:42", &options).unwrap();
    let out = set_cookies(&h);
    assert!(out[0].contains("; Max-Age=2592000; "), "{}", out[0]);
    assert!(out[0].contains("; Secure; HttpOnly; SameSite=Lax"));
    let cookie = pair(&out[0]).to_owned();
    assert_eq!(
        cookies::open_sealed(&request(&cookie), &config, "remember").unwrap(),
        b"user:42"
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
    let options = CookieOptions::default().max_age(Duration::minutes(5));
    cookies::set_sealed(&mut h, &config, "otp", b"123456", &options).unwrap();
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
    let err = cookies::set_sealed(
        &mut h,
        &config,
        "big",
        &[0; 3100],
        &CookieOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, CookieError::TooLarge { limit: 4093, .. }),
        "{err:?}"
    );
    assert!(h.is_empty());
    cookies::set_sealed(
        &mut h,
        &config,
        "big",
        &[0; 2900],
        &CookieOptions::default(),
    )
    .unwrap();
    assert!(pair(&set_cookies(&h)[0]).len() <= 4093);
}
