//! `load` and `save` over `http` types: every save rule, header handling, and
//! bad cookies turning into empty sessions with the right status.

use crate::common::*;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use sealed_session::time::Duration;
use sealed_session::{InvalidReason, MalformedReason, SameSite, SaveError, SessionConfig, Status};

#[test]
fn quick_start_flow_over_request_and_response() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let request = Request::new(());
    let mut session = sealed_session::load(&config, &request);
    session.insert("username", &"JohnDoe").unwrap();
    let mut response = Response::new("body");
    sealed_session::save(&config, &session, &mut response).unwrap();
    let cookies = set_cookies(response.headers());
    assert_eq!(cookies.len(), 1);
    assert_eq!(response.headers()["vary"], "Cookie");
    let s = load_cookie(&config, pair(&cookies[0]));
    assert_eq!(
        s.get::<String>("username").unwrap().as_deref(),
        Some("JohnDoe")
    );
}

#[test]
fn parts_and_header_maps_work_as_sources_and_targets() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("k", "v")]);

    let (parts, ()) = request_with_cookie(&cookie).into_parts();
    let mut s = sealed_session::load(&config, &parts);
    assert_eq!(s.status(), Status::Loaded);
    let mut headers = HeaderMap::new();
    headers.insert("cookie", HeaderValue::from_str(&cookie).unwrap());
    assert_eq!(
        sealed_session::load(&config, &headers).status(),
        Status::Loaded
    );

    s.insert("k2", "v2").unwrap();
    let (mut rparts, ()) = Response::new(()).into_parts();
    sealed_session::save(&config, &s, &mut rparts).unwrap();
    assert_eq!(set_cookies(&rparts.headers).len(), 1);
    let mut target = HeaderMap::new();
    sealed_session::save(&config, &s, &mut target).unwrap();
    let out = set_cookies(&target);
    assert_eq!(out.len(), 1);
    assert!(load_cookie(&config, pair(&out[0])).contains_key("k2"));
}

#[test]
fn set_cookie_attributes_are_exactly_the_configured_ones() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::hours(1)));
    let out = save_set_cookies(&config, &{
        let mut s = load_cookie(&config, "");
        s.insert("a", "b").unwrap();
        s
    });
    let attrs: Vec<&str> = out[0].split("; ").skip(1).collect();
    assert_eq!(
        attrs,
        [
            "Path=/",
            "Max-Age=3600",
            "Expires=Thu, 01 Jan 2026 01:00:00 GMT",
            "Secure",
            "HttpOnly",
            "SameSite=Lax"
        ]
    );

    let config = config_with(&clock, |b| {
        b.cookie_name("sid")
            .path("/app")
            .domain("example.com")
            .http_only(false)
            .same_site(SameSite::None)
            .partitioned(true)
            .max_age(Duration::seconds(90))
    });
    let out = save_set_cookies(&config, &{
        let mut s = load_cookie(&config, "");
        s.insert("a", "b").unwrap();
        s
    });
    assert!(out[0].starts_with("sid="));
    let attrs: Vec<&str> = out[0].split("; ").skip(1).collect();
    assert_eq!(
        attrs,
        [
            "Path=/app",
            "Domain=example.com",
            "Max-Age=90",
            "Expires=Thu, 01 Jan 2026 00:01:30 GMT",
            "Secure",
            "SameSite=None",
            "Partitioned"
        ]
    );

    let config = config_with(&clock, |b| b.secure(false).same_site(SameSite::Strict));
    let out = save_set_cookies(&config, &{
        let mut s = load_cookie(&config, "");
        s.insert("a", "b").unwrap();
        s
    });
    assert!(!out[0].contains("Secure"));
    assert!(
        out[0].ends_with("; HttpOnly; SameSite=Strict"),
        "{}",
        out[0]
    );
}

#[test]
fn removal_cookie_keeps_path_and_domain() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.path("/app").domain("example.com"));
    let cookie = issue(&config, &[("a", "b")]);
    let mut s = load_cookie(&config, &cookie);
    s.flush();
    let out = save_set_cookies(&config, &s);
    assert_eq!(
        out,
        [
            "session=; Path=/app; Domain=example.com; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; HttpOnly; SameSite=Lax"
        ]
    );
}

/// Every way a cookie can be bad: an empty session, the reason, and a removal
/// cookie on save.
#[test]
fn bad_cookies_yield_empty_sessions_with_the_reason_and_are_removed() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_age(Duration::hours(1)));
    let good = issue(&config, &[("user", "ada")]);
    let good_value = good.split_once('=').unwrap().1.to_owned();

    let mut tampered = good_value.clone().into_bytes();
    let i = tampered.len() - 5;
    tampered[i] = if tampered[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();

    let other_key = SessionConfig::builder(sealed_session::Keyring::new(key(99)))
        .build()
        .unwrap();
    let unknown_key = issue(&other_key, &[("user", "mallory")]);

    // Sealed for another cookie name with the same key.
    let csrf_config = config_with(&clock, |b| b.cookie_name("csrf"));
    let csrf = issue(&csrf_config, &[("user", "mallory")]);
    let wrongly_named = format!("session={}", csrf.split_once('=').unwrap().1);

    let cases = [
        (
            format!("session={tampered}"),
            Status::Invalid(InvalidReason::Tampered),
        ),
        (unknown_key, Status::Invalid(InvalidReason::UnknownKey)),
        (wrongly_named, Status::Invalid(InvalidReason::Tampered)),
        (
            "session=AQAAAAAA".to_owned(),
            Status::Invalid(InvalidReason::Malformed(MalformedReason::TooShort {
                len: 6,
            })),
        ),
        (
            "session=%%%".to_owned(),
            Status::Invalid(InvalidReason::Malformed(MalformedReason::Base64)),
        ),
        (
            "session=".to_owned(),
            Status::Invalid(InvalidReason::Malformed(MalformedReason::TooShort {
                len: 0,
            })),
        ),
    ];
    for (cookie, status) in cases {
        let s = load_cookie(&config, &cookie);
        assert_eq!(s.status(), status, "{cookie}");
        assert!(s.is_empty(), "{cookie}");
        let out = save_set_cookies(&config, &s);
        assert_eq!(out.len(), 1, "{cookie}");
        assert!(is_removal(&out[0]), "{cookie}: {out:?}");
    }

    clock.advance(Duration::hours(1));
    let s = load_cookie(&config, &good);
    assert_eq!(s.status(), Status::Expired);
    assert!(s.is_empty());
    assert!(is_removal(&save_set_cookies(&config, &s)[0]));
}

#[test]
fn an_invalid_cookie_then_new_data_writes_a_fresh_session() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "session=garbage");
    s.insert("user", "ada").unwrap();
    let out = save_set_cookies(&config, &s);
    assert_eq!(out.len(), 1);
    assert!(!is_removal(&out[0]));
    assert_eq!(load_cookie(&config, pair(&out[0])).status(), Status::Loaded);
}

#[test]
fn every_cookie_header_is_read_and_the_first_valid_candidate_wins() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let good = issue(&config, &[("user", "ada")]);
    let other = issue(&config, &[("user", "bob")]);

    // HTTP/2 style: one cookie per header, the session cookie in the second.
    let request = Request::builder()
        .header("cookie", "theme=dark; lang=en")
        .header("cookie", &good)
        .body(())
        .unwrap();
    let s = sealed_session::load(&config, &request);
    assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("ada"));

    // Duplicate names (e.g. a stale cookie for another Path): first invalid,
    // second valid.
    let s = load_cookie(&config, &format!("session=junk; {good}"));
    assert_eq!(s.status(), Status::Loaded);
    assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("ada"));
    // Two valid: the first wins.
    let s = load_cookie(&config, &format!("{other}; {good}"));
    assert_eq!(s.get::<String>("user").unwrap().as_deref(), Some("bob"));
    // Across headers, first invalid then valid.
    let request = Request::builder()
        .header("cookie", "session=junk")
        .header("cookie", format!("a=b; {good}"))
        .body(())
        .unwrap();
    assert_eq!(
        sealed_session::load(&config, &request).status(),
        Status::Loaded
    );
    // Loaded from a second candidate while a bad one was also sent: nothing
    // to write, the valid cookie stays.
    let s = load_cookie(&config, &format!("session=junk; {good}"));
    assert!(save_set_cookies(&config, &s).is_empty());
}

#[test]
fn cookie_parsing_tolerates_spacing_quotes_and_similar_names() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let good = issue(&config, &[("user", "ada")]);
    let value = good.split_once('=').unwrap().1;
    for header in [
        format!("  session = {value} ;x=y"),
        format!("session=\"{value}\""),
        format!("sessionx=1; xsession=2; session={value}"),
        format!(";;session={value};;"),
    ] {
        let s = load_cookie(&config, &header);
        assert_eq!(s.status(), Status::Loaded, "{header}");
    }
    // Names are case-sensitive.
    assert_eq!(
        load_cookie(&config, &format!("Session={value}")).status(),
        Status::New
    );
}

#[test]
fn no_session_cookie_on_a_server_error() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut s = load_cookie(&config, "");
    s.insert("a", "b").unwrap();
    for status in [
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::SERVICE_UNAVAILABLE,
    ] {
        let mut response = response_with_status(status);
        sealed_session::save(&config, &s, &mut response).unwrap();
        assert!(set_cookies(response.headers()).is_empty());
    }
    // But a removal still goes out (rule 5): a logout is never undone by a
    // server error.
    let mut flushed = load_cookie(&config, &issue(&config, &[("a", "b")]));
    flushed.flush();
    let mut response = response_with_status(StatusCode::BAD_GATEWAY);
    sealed_session::save(&config, &flushed, &mut response).unwrap();
    let out = set_cookies(response.headers());
    assert_eq!(out.len(), 1);
    assert!(is_removal(&out[0]), "{}", out[0]);
    // 4xx is not a server error.
    let mut response = response_with_status(StatusCode::NOT_FOUND);
    sealed_session::save(&config, &s, &mut response).unwrap();
    assert_eq!(set_cookies(response.headers()).len(), 1);
}

#[test]
fn vary_cookie_when_read_or_written_and_only_once() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("a", "b")]);

    // Loaded but never looked at: nothing depends on the cookie.
    let s = load_cookie(&config, &cookie);
    let mut response = Response::new(());
    sealed_session::save(&config, &s, &mut response).unwrap();
    assert!(response.headers().get("vary").is_none());

    // Read: the response depends on the cookie.
    let s = load_cookie(&config, &cookie);
    let _ = s.get::<String>("a");
    let mut response = Response::new(());
    sealed_session::save(&config, &s, &mut response).unwrap();
    assert_eq!(response.headers()["vary"], "Cookie");
    assert!(set_cookies(response.headers()).is_empty());

    // Written, with Vary already listing Cookie: not repeated.
    let mut s = load_cookie(&config, &cookie);
    s.insert("c", "d").unwrap();
    let mut response = Response::new(());
    response
        .headers_mut()
        .insert("vary", HeaderValue::from_static("Accept-Encoding, cookie"));
    sealed_session::save(&config, &s, &mut response).unwrap();
    assert_eq!(response.headers().get_all("vary").iter().count(), 1);

    // Written with another Vary: Cookie is added.
    let mut response = Response::new(());
    response
        .headers_mut()
        .insert("vary", HeaderValue::from_static("Accept-Encoding"));
    sealed_session::save(&config, &s, &mut response).unwrap();
    let vary: Vec<_> = response.headers().get_all("vary").iter().collect();
    assert_eq!(vary, ["Accept-Encoding", "Cookie"]);

    // A removal cookie for a junk cookie nobody read is still a write.
    let s = load_cookie(&config, "session=junk");
    let mut response = Response::new(());
    sealed_session::save(&config, &s, &mut response).unwrap();
    assert_eq!(response.headers()["vary"], "Cookie");
}

/// A session whose `name=value` is exactly the default limit saves; one
/// byte more of data fails with no header.
#[test]
fn a_session_at_the_size_limit_saves_and_one_byte_over_fails_with_no_header() {
    let clock = TestClock::new();
    // Unpadded base64 lengths skip every length of the form 4k+1, so the
    // name is chosen to make exactly 4,093 reachable: 5 + 4,088.
    let config = config_with(&clock, |b| b.cookie_name("sess"));
    let limit = config.size_limit();
    assert_eq!(limit, 4093);
    let size_of = |n: usize| {
        let mut s = load_cookie(&config, "");
        s.insert("blob", &"x".repeat(n)).unwrap();
        let mut headers = HeaderMap::new();
        match sealed_session::save(&config, &s, &mut headers) {
            Ok(()) => Ok(pair(&set_cookies(&headers)[0]).len()),
            Err(SaveError::TooLarge { size, limit: l }) => {
                assert_eq!(l, limit);
                assert!(
                    !headers.contains_key("set-cookie"),
                    "no Set-Cookie on TooLarge"
                );
                assert_eq!(
                    headers["vary"], "Cookie",
                    "Vary whether or not the save succeeded"
                );
                Err(size)
            }
            Err(e) => panic!("{e}"),
        }
    };
    let n = (2900..3100)
        .find(|&n| size_of(n) == Ok(limit))
        .expect("some data size gives a cookie of exactly the limit");
    match size_of(n + 1) {
        Err(size) => assert!(size > limit && size <= limit + 2, "{size}"),
        Ok(size) => panic!("one byte over saved a {size}-byte cookie"),
    }

    // The client keeps its previous cookie: a loaded session that grows too
    // large writes nothing, and the old cookie still loads with its data.
    let cookie = issue(&config, &[("user", "ada")]);
    let mut s = load_cookie(&config, &cookie);
    s.insert("blob", &"x".repeat(n + 1)).unwrap();
    let mut response = Response::new(());
    let err = sealed_session::save(&config, &s, &mut response).unwrap_err();
    assert!(matches!(err, SaveError::TooLarge { limit: 4093, .. }));
    assert!(!response.headers().contains_key("set-cookie"));
    assert_eq!(response.headers()["vary"], "Cookie");
    let again = load_cookie(&config, &cookie);
    assert_eq!(again.get::<String>("user").unwrap().as_deref(), Some("ada"));
}

#[test]
fn a_smaller_configured_limit_is_enforced_exactly() {
    let clock = TestClock::new();
    // Find the cookie size for a 10-byte value, then set the limit to it.
    let probe = config_with(&clock, |b| b);
    let mut s = load_cookie(&probe, "");
    s.insert("k", &"0123456789").unwrap();
    let size = pair(&save_set_cookies(&probe, &s)[0]).len();

    let exact = config_with(&clock, |b| b.size_limit(size));
    assert_eq!(save_set_cookies(&exact, &s).len(), 1);
    let tight = config_with(&clock, |b| b.size_limit(size - 1));
    let mut headers = HeaderMap::new();
    assert_eq!(
        sealed_session::save(&tight, &s, &mut headers),
        Err(SaveError::TooLarge {
            size,
            limit: size - 1
        })
    );
    assert!(!headers.contains_key("set-cookie"));
    assert_eq!(headers["vary"], "Cookie");
}
