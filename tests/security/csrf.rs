//! Threat: another site makes the user's browser send a state-changing
//! request (CSRF). The cross-origin check against a table of header
//! combinations, Go's own `CrossOriginProtection` test cases, and the
//! session-bound token against forged, truncated, unmasked and stale tokens.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use http::{HeaderMap, Request};
use sealed_session::csrf::{
    self, CrossOrigin, CrossOriginError, CsrfConfigError, OriginProblem, TokenError,
};
use sealed_session::{Key, Keyring, Session, SessionConfig};

use CrossOriginError::{CrossSite, NullOrigin, OriginMismatch, SameSite, UnknownFetchSite};

/// A verdict of the check.
type Verdict = Result<(), CrossOriginError>;

// ---------------------------------------------------------------------------
// The cross-origin check
// ---------------------------------------------------------------------------

/// A request as Go's tests build it: a relative target, `Host: example.com`.
fn request(
    method: &str,
    path: &str,
    fetch_site: Option<&str>,
    origin: Option<&str>,
) -> Request<()> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "example.com");
    if let Some(v) = fetch_site {
        b = b.header("sec-fetch-site", v);
    }
    if let Some(v) = origin {
        b = b.header("origin", v);
    }
    b.body(()).unwrap()
}

/// An empty table cell is an absent header.
fn opt(cell: &str) -> Option<&str> {
    Some(cell).filter(|s| !s.is_empty())
}

/// The check on a request and on its `Parts` agree; returns the verdict.
fn verdict(check: &CrossOrigin, request: Request<()>) -> Verdict {
    let by_request = check.check(&request);
    let (parts, ()) = request.into_parts();
    assert_eq!(
        check.check_parts(&parts),
        by_request,
        "check and check_parts"
    );
    by_request
}

/// Go's `TestCrossOriginProtectionSecFetchSite`, every case as Go expects.
#[test]
fn go_sec_fetch_site_cases() {
    let check = CrossOrigin::default();
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, Verdict)] = &[
        ("same-origin allowed", "POST", "same-origin", "", Ok(())),
        ("none allowed", "POST", "none", "", Ok(())),
        ("cross-site blocked", "POST", "cross-site", "", Err(CrossSite)),
        ("same-site blocked", "POST", "same-site", "", Err(SameSite)),
        ("no header with no origin", "POST", "", "", Ok(())),
        ("no header with matching origin", "POST", "", "https://example.com", Ok(())),
        ("no header with mismatched origin", "POST", "", "https://attacker.example", Err(OriginMismatch)),
        ("no header with null origin", "POST", "", "null", Err(NullOrigin)),
        ("GET allowed", "GET", "cross-site", "", Ok(())),
        ("HEAD allowed", "HEAD", "cross-site", "", Ok(())),
        ("OPTIONS allowed", "OPTIONS", "cross-site", "", Ok(())),
        ("PUT blocked", "PUT", "cross-site", "", Err(CrossSite)),
    ];
    for (name, method, site, origin, expected) in cases {
        let req = request(method, "/", opt(site), opt(origin));
        assert_eq!(verdict(&check, req), *expected, "{name}");
    }
}

/// Go's `TestCrossOriginProtectionTrustedOriginBypass`.
#[test]
fn go_trusted_origin_cases() {
    let check = CrossOrigin::builder()
        .trusted_origin("https://trusted.example")
        .build()
        .unwrap();
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, Verdict)] = &[
        ("trusted origin without sec-fetch-site", "https://trusted.example", "", Ok(())),
        ("trusted origin with cross-site", "https://trusted.example", "cross-site", Ok(())),
        ("untrusted origin without sec-fetch-site", "https://attacker.example", "", Err(OriginMismatch)),
        ("untrusted origin with cross-site", "https://attacker.example", "cross-site", Err(CrossSite)),
    ];
    for (name, origin, site, expected) in cases {
        let req = request("POST", "/", opt(site), Some(origin));
        assert_eq!(verdict(&check, req), *expected, "{name}");
    }
}

/// Go's `TestCrossOriginProtectionPatternBypass`, with our exempt paths.
/// Where we differ (see the `csrf` module docs) the case says so: a path
/// Go's mux would redirect to an exempt pattern is not exempt here, and
/// `{wildcard}` patterns do not exist (an exact path stands in).
#[test]
fn go_pattern_bypass_cases() {
    let check = CrossOrigin::builder()
        .exempt_path("/bypass/")
        .exempt_path("/only/123")
        .build()
        .unwrap();
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, Verdict)] = &[
        ("bypass path without sec-fetch-site", "/bypass/", "", Ok(())),
        ("bypass path with cross-site", "/bypass/", "cross-site", Ok(())),
        ("non-bypass path without sec-fetch-site", "/api/", "", Err(OriginMismatch)),
        ("non-bypass path with cross-site", "/api/", "cross-site", Err(CrossSite)),
        // Differs: Go exempts these (its mux redirects them to /bypass/...).
        ("redirect to bypass path without ..", "/foo/../bypass/bar", "", Err(OriginMismatch)),
        ("redirect to bypass path with trailing slash", "/bypass", "", Err(OriginMismatch)),
        ("redirect to non-bypass path with ..", "/foo/../api/bar", "", Err(OriginMismatch)),
        ("redirect to non-bypass path with trailing slash", "/api", "", Err(OriginMismatch)),
        // Go's "/only/{foo}", written as the one path it is tested with.
        ("wildcard bypass", "/only/123", "", Ok(())),
        ("non-wildcard", "/only/123/foo", "", Err(OriginMismatch)),
    ];
    for (name, path, site, expected) in cases {
        let req = request("POST", path, opt(site), Some("https://attacker.example"));
        assert_eq!(verdict(&check, req), *expected, "{name}");
    }
}

/// Go's `TestCrossOriginProtectionAddTrustedOriginErrors`, as build errors.
#[test]
fn go_trusted_origin_validation_cases() {
    use OriginProblem::*;
    #[rustfmt::skip]
    let cases: &[(&str, &str, Option<OriginProblem>)] = &[
        ("valid origin", "https://example.com", None),
        ("valid origin with port", "https://example.com:8080", None),
        ("http origin", "http://example.com", None),
        ("missing scheme", "example.com", Some(MissingScheme)),
        ("missing host", "https://", Some(MissingHost)),
        ("trailing slash", "https://example.com/", Some(PathQueryOrFragment)),
        ("with path", "https://example.com/path", Some(PathQueryOrFragment)),
        ("with query", "https://example.com?query=value", Some(PathQueryOrFragment)),
        ("with fragment", "https://example.com#fragment", Some(PathQueryOrFragment)),
        ("invalid url", "https://ex ample.com", Some(InvalidHost)),
        ("empty string", "", Some(MissingScheme)),
        ("null", "null", Some(MissingScheme)),
        // Ours in addition.
        ("user info", "https://user@example.com", Some(InvalidHost)),
        ("bad port", "https://example.com:99999", Some(InvalidHost)),
        ("empty port", "https://example.com:", Some(InvalidHost)),
        ("bad scheme", "1http://example.com", Some(MissingScheme)),
    ];
    for (name, origin, expected) in cases {
        for builder in [
            CrossOrigin::builder().trusted_origin(*origin),
            CrossOrigin::builder().origin(*origin),
        ] {
            let got = builder.build().err();
            let want = expected.map(|problem| CsrfConfigError::InvalidOrigin {
                origin: (*origin).to_owned(),
                problem,
            });
            assert_eq!(got, want, "{name}");
        }
    }
}

/// Go's `TestCrossOriginProtectionServer` (which runs a server; the verdict
/// is the same on the request alone).
#[test]
fn go_server_cases() {
    let check = CrossOrigin::builder()
        .trusted_origin("https://trusted.example")
        .exempt_path("/bypass/")
        .build()
        .unwrap();
    let own = "http://example.com";
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str, &str, Verdict)] = &[
        ("cross-site", "/", "https://attacker.example", "cross-site", Err(CrossSite)),
        ("same-origin", "/", "", "same-origin", Ok(())),
        ("origin matches host", "/", own, "", Ok(())),
        ("trusted origin", "/", "https://trusted.example", "", Ok(())),
        ("untrusted origin", "/", "https://attacker.example", "", Err(OriginMismatch)),
        ("bypass path", "/bypass/", "https://attacker.example", "", Ok(())),
    ];
    for (name, path, origin, site, expected) in cases {
        let req = request("POST", path, opt(site), opt(origin));
        assert_eq!(verdict(&check, req), *expected, "{name}");
    }
}

/// Every `Sec-Fetch-Site` value against every kind of `Origin`, for every
/// method. The expectations are the algorithm's rules, stated per header:
/// the `Sec-Fetch-Site` column decides when present; otherwise `Origin`.
#[test]
fn every_fetch_site_and_origin_for_every_method() {
    let check = CrossOrigin::default();
    // (Sec-Fetch-Site, its verdict when present; None = falls to Origin).
    let sites: &[(Option<&str>, Option<Verdict>)] = &[
        (None, None),
        (Some(""), None), // an empty value counts as absent, as in Go
        (Some("same-origin"), Some(Ok(()))),
        (Some("none"), Some(Ok(()))),
        (Some("same-site"), Some(Err(SameSite))),
        (Some("cross-site"), Some(Err(CrossSite))),
        (Some("Same-Origin"), Some(Err(UnknownFetchSite))), // tokens are lower case
        (Some("bogus"), Some(Err(UnknownFetchSite))),
    ];
    let origins: &[(Option<&str>, Verdict)] = &[
        (None, Ok(())),
        (Some("https://example.com"), Ok(())),
        (Some("http://example.com"), Ok(())), // scheme unknown: host only, as Go
        (Some("HTTPS://EXAMPLE.COM"), Ok(())),
        (Some("https://example.com:443"), Ok(())),
        (Some("https://attacker.example"), Err(OriginMismatch)),
        (
            Some("https://example.com.attacker.example"),
            Err(OriginMismatch),
        ),
        (Some("https://example.com:8443"), Err(OriginMismatch)),
        (Some("https://sub.example.com"), Err(OriginMismatch)),
        (Some("null"), Err(NullOrigin)),
        (Some("example.com"), Err(OriginMismatch)), // not an origin
        (Some("https://example.com/"), Err(OriginMismatch)),
    ];
    let safe = ["GET", "HEAD", "OPTIONS"];
    let unsafe_ = [
        "POST", "PUT", "PATCH", "DELETE", "TRACE", "CONNECT", "PURGE",
    ];
    let mut checked = 0;
    for method in safe.iter().chain(&unsafe_) {
        for (site, site_verdict) in sites {
            for (origin, origin_verdict) in origins {
                let expected = if safe.contains(method) {
                    Ok(())
                } else {
                    site_verdict.unwrap_or(*origin_verdict)
                };
                let req = request(method, "/", *site, *origin);
                assert_eq!(
                    verdict(&check, req),
                    expected,
                    "{method} Sec-Fetch-Site {site:?} Origin {origin:?}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 10 * 8 * 12);
}

#[test]
fn trusted_origins_and_exempt_paths_lift_every_rejection() {
    let check = CrossOrigin::builder()
        .trusted_origin("https://sso.example")
        .exempt_path("/webhooks/")
        .exempt_path("/hook")
        .build()
        .unwrap();
    for site in [None, Some("cross-site"), Some("same-site"), Some("bogus")] {
        let trusted = request("POST", "/cart", site, Some("https://sso.example"));
        assert_eq!(verdict(&check, trusted), Ok(()), "{site:?}");
        // Another origin of the same host, or the trusted one's lookalikes.
        for origin in [
            "http://sso.example",
            "https://sso.example:444",
            "https://x.sso.example",
        ] {
            let req = request("POST", "/cart", site, Some(origin));
            assert!(verdict(&check, req).is_err(), "{origin} {site:?}");
        }
        for path in ["/webhooks/", "/webhooks/stripe", "/webhooks/a/b", "/hook"] {
            let req = request("DELETE", path, site, Some("https://attacker.example"));
            assert_eq!(verdict(&check, req), Ok(()), "{path} {site:?}");
        }
        for path in [
            "/webhooks",
            "/webhooksx/a",
            "/hook/",
            "/hook/x",
            "/hookx",
            "/webhooks/../admin",
            "/webhooks/./x",
            "/webhooks//x",
            "/webhooks/%2e%2e/admin",
            "/webhooks/%2E%2E/admin",
            "/webhooks/a\\..\\admin",
            "/cart",
        ] {
            let Ok(req) = Request::builder()
                .method("POST")
                .uri(path)
                .header("host", "example.com")
                .header("origin", "https://attacker.example")
                .body(())
            else {
                continue; // the http crate refuses the path itself
            };
            assert_eq!(verdict(&check, req), Err(OriginMismatch), "{path}");
        }
    }
    // A trusted origin in one of two Origin headers is not trusted.
    let mut two = request("POST", "/", Some("cross-site"), Some("https://sso.example"));
    two.headers_mut()
        .append("origin", "https://attacker.example".parse().unwrap());
    assert_eq!(verdict(&check, two), Err(CrossSite));
}

#[test]
fn exempt_paths_are_validated() {
    for bad in [
        "", "hooks/", "/a/../b", "/a/./b", "//a", "/a//b", "/a?b", "/a#b", "/a b", "/%2e/", "/a\\b",
    ] {
        assert_eq!(
            CrossOrigin::builder().exempt_path(bad).build().err(),
            Some(CsrfConfigError::InvalidExemptPath {
                path: bad.to_owned()
            }),
            "{bad:?}"
        );
    }
    for good in ["/", "/hook", "/hooks/", "/a/b.json", "/a-b_c~/"] {
        assert!(
            CrossOrigin::builder().exempt_path(good).build().is_ok(),
            "{good}"
        );
    }
}

#[test]
fn a_configured_origin_is_compared_in_scheme_host_and_port() {
    let check = CrossOrigin::builder()
        .origin("https://Shop.Example:443")
        .build()
        .unwrap();
    for (origin, expected) in [
        ("https://shop.example", Ok(())),
        ("https://SHOP.example:443", Ok(())),
        // The HTTP→HTTPS case Go lets through (it compares the host only).
        ("http://shop.example", Err(OriginMismatch)),
        ("https://shop.example:8443", Err(OriginMismatch)),
        ("https://example.com", Err(OriginMismatch)),
    ] {
        // The Host header is ignored when the origin is configured (a proxy
        // may rewrite it).
        let mut req = request("POST", "/", None, Some(origin));
        req.headers_mut()
            .insert("host", "internal:8080".parse().unwrap());
        assert_eq!(verdict(&check, req), expected, "{origin}");
    }
    // Sec-Fetch-Site still decides first.
    let req = request(
        "POST",
        "/",
        Some("same-origin"),
        Some("https://elsewhere.example"),
    );
    assert_eq!(verdict(&check, req), Ok(()));
}

#[test]
fn the_host_comes_from_the_host_header_or_the_uri() {
    let check = CrossOrigin::default();
    let post = |uri: &str, host: Option<&str>, origin: &str| {
        let mut b = Request::post(uri).header("origin", origin);
        if let Some(h) = host {
            b = b.header("host", h);
        }
        b.body(()).unwrap()
    };
    // HTTP/2: no Host header, the authority is in the URI, with a scheme.
    assert_eq!(
        verdict(
            &check,
            post("https://example.com/x", None, "https://example.com")
        ),
        Ok(())
    );
    assert_eq!(
        verdict(
            &check,
            post("https://example.com/x", None, "http://example.com")
        ),
        Err(OriginMismatch),
        "a known scheme is compared"
    );
    // Host wins over the URI's authority.
    assert_eq!(
        verdict(
            &check,
            post(
                "http://other.example/x",
                Some("example.com"),
                "http://example.com"
            )
        ),
        Ok(())
    );
    assert_eq!(
        verdict(
            &check,
            post("/x", Some("localhost:3000"), "http://localhost:3000")
        ),
        Ok(())
    );
    assert_eq!(
        verdict(
            &check,
            post("/x", Some("localhost:3000"), "http://127.0.0.1:3000")
        ),
        Err(OriginMismatch)
    );
    // Nothing to compare with: never a match.
    assert_eq!(
        verdict(&check, post("/x", None, "https://example.com")),
        Err(OriginMismatch)
    );
    // Two Host headers: never a match.
    let mut two = post("/x", Some("example.com"), "https://example.com");
    two.headers_mut()
        .append("host", "example.com".parse().unwrap());
    assert_eq!(verdict(&check, two), Err(OriginMismatch));
}

#[test]
fn repeated_headers_are_all_judged() {
    let check = CrossOrigin::default();
    let mut req = request("POST", "/", Some("same-origin"), None);
    req.headers_mut()
        .append("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(verdict(&check, req), Err(CrossSite));

    let mut req = request("POST", "/", None, Some("https://example.com"));
    req.headers_mut().append("origin", "null".parse().unwrap());
    assert_eq!(verdict(&check, req), Err(NullOrigin));

    // Non-UTF-8 bytes in Origin: not an origin, so not a match.
    let mut req = request("POST", "/", None, None);
    req.headers_mut().insert(
        "origin",
        http::HeaderValue::from_bytes(b"https://exa\xffmple.com").unwrap(),
    );
    assert_eq!(verdict(&check, req), Err(OriginMismatch));
}

#[test]
fn rejections_name_the_check_and_quote_no_header() {
    let mut req = request("POST", "/", None, Some("https://attacker.example"));
    let err = CrossOrigin::default().check(&req).unwrap_err();
    assert_eq!(err.to_string(), "Origin does not match the request's host");
    req.headers_mut()
        .insert("sec-fetch-site", "evil<script>".parse().unwrap());
    let err = CrossOrigin::default().check(&req).unwrap_err();
    assert_eq!(err, UnknownFetchSite);
    assert!(!err.to_string().contains("evil"));
}

// ---------------------------------------------------------------------------
// The session-bound token
// ---------------------------------------------------------------------------

fn config() -> SessionConfig {
    SessionConfig::builder(Keyring::new(Key::from_bytes(&[5; 32]).unwrap()))
        .build()
        .unwrap()
}

fn new_session(config: &SessionConfig) -> Session {
    sealed_session::load(config, &HeaderMap::new())
}

/// Saves `session` and loads it back, as the next request would.
fn round_trip(config: &SessionConfig, session: &Session) -> Session {
    let mut headers = HeaderMap::new();
    sealed_session::save(config, session, &mut headers).unwrap();
    let set_cookie = headers["set-cookie"].to_str().unwrap();
    let pair = set_cookie.split(';').next().unwrap().to_owned();
    let mut request = HeaderMap::new();
    request.insert("cookie", pair.parse().unwrap());
    sealed_session::load(config, &request)
}

#[test]
fn two_tokens_for_one_session_differ_and_both_verify() {
    let config = config();
    let mut session = new_session(&config);
    let a = csrf::token(&mut session);
    let b = csrf::token(&mut session);
    assert_ne!(a, b);
    for t in [&a, &b] {
        assert_eq!(t.len(), csrf::TOKEN_LEN);
        assert!(
            t.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{t}"
        );
        assert_eq!(csrf::verify(&session, t), Ok(()));
    }
    // And on the next request, from the cookie.
    let next = round_trip(&config, &session);
    assert_eq!(csrf::verify(&next, &a), Ok(()));
    assert_eq!(csrf::verify(&next, &b), Ok(()));
}

#[test]
fn serving_a_token_from_an_existing_secret_does_not_modify_the_session() {
    let config = config();
    let mut session = new_session(&config);
    assert!(!session.is_modified());
    let first = csrf::token(&mut session);
    assert!(session.is_modified(), "the first token creates the secret");
    let mut next = round_trip(&config, &session);
    let again = csrf::token(&mut next);
    assert!(!next.is_modified(), "no new cookie for each page view");
    assert_ne!(first, again);
}

#[test]
fn a_token_of_another_session_fails() {
    let config = config();
    let mut mine = new_session(&config);
    let mut theirs = new_session(&config);
    let _ = csrf::token(&mut mine);
    let their_token = csrf::token(&mut theirs);
    assert_eq!(csrf::verify(&mine, &their_token), Err(TokenError::Mismatch));
}

#[test]
fn truncated_extended_unmasked_and_non_base64_tokens_fail() {
    let config = config();
    let mut session = new_session(&config);
    let token = csrf::token(&mut session);
    let secret: [u8; 32] = session.get(csrf::SESSION_KEY).unwrap().unwrap();
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();

    let malformed = [
        token[..csrf::TOKEN_LEN - 1].to_owned(),
        token[..csrf::TOKEN_LEN / 2].to_owned(),
        format!("{token}A"),
        format!("{token}=="),
        // The secret itself, unmasked.
        URL_SAFE_NO_PAD.encode(secret),
        // Standard base64 of the same bytes ('+', '/', padding).
        STANDARD.encode(&raw),
        // The right length, not base64url.
        format!("{}!", &token[..csrf::TOKEN_LEN - 1]),
        " ".repeat(csrf::TOKEN_LEN),
        "é".repeat(csrf::TOKEN_LEN / 2),
        // Non-canonical: the last character's four unused bits set.
        {
            const ALPHABET: &str =
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let last = token.as_bytes()[csrf::TOKEN_LEN - 1];
            let index = ALPHABET.bytes().position(|c| c == last).unwrap();
            assert_eq!(index & 0x0f, 0, "a canonical token");
            let mut t = token[..csrf::TOKEN_LEN - 1].to_owned();
            t.push(char::from(ALPHABET.as_bytes()[index | 1]));
            t
        },
    ];
    for bad in &malformed {
        assert_eq!(
            csrf::verify(&session, bad),
            Err(TokenError::Malformed),
            "{bad:?}"
        );
    }
    assert_eq!(csrf::verify(&session, ""), Err(TokenError::Missing));

    // The secret with a zero pad is a masking of it, so it passes; the
    // secret XORed with anything else, or a pad alone, does not.
    let mut zero_pad = vec![0u8; 32];
    zero_pad.extend_from_slice(&secret);
    assert_eq!(
        csrf::verify(&session, &URL_SAFE_NO_PAD.encode(&zero_pad)),
        Ok(())
    );
    let mut pad_only = raw[..32].to_vec();
    pad_only.extend_from_slice(&raw[..32]);
    assert_eq!(
        csrf::verify(&session, &URL_SAFE_NO_PAD.encode(&pad_only)),
        Err(TokenError::Mismatch)
    );
}

#[test]
fn every_single_bit_flip_of_a_token_fails() {
    let config = config();
    let mut session = new_session(&config);
    let token = csrf::token(&mut session);
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for byte in 0..raw.len() {
        for bit in 0..8 {
            let mut bad = raw.clone();
            bad[byte] ^= 1 << bit;
            assert_eq!(
                csrf::verify(&session, &URL_SAFE_NO_PAD.encode(&bad)),
                Err(TokenError::Mismatch),
                "byte {byte} bit {bit}"
            );
        }
    }
}

#[test]
fn after_renew_the_old_token_fails_and_a_new_one_verifies() {
    let config = config();
    let mut session = new_session(&config);
    let old = csrf::token(&mut session);
    let mut next = round_trip(&config, &session);
    csrf::renew(&mut next);
    assert!(next.is_modified());
    assert_eq!(csrf::verify(&next, &old), Err(TokenError::Mismatch));
    let new = csrf::token(&mut next);
    assert_eq!(csrf::verify(&next, &new), Ok(()));
    let after = round_trip(&config, &next);
    assert_eq!(csrf::verify(&after, &old), Err(TokenError::Mismatch));
    assert_eq!(csrf::verify(&after, &new), Ok(()));
}

/// Issue 22 point 8: `Session::renew` (login) rotates the CSRF secret, as
/// Django's `login()` does: a token issued before no longer verifies after,
/// and a new one does. (Before, renew kept the secret and this failed.)
#[test]
fn session_renew_rotates_the_secret_and_flush_drops_it() {
    let config = config();
    let mut session = new_session(&config);
    let token = csrf::token(&mut session);
    session.renew();
    assert_eq!(csrf::verify(&session, &token), Err(TokenError::NoSecret));
    let fresh = csrf::token(&mut session);
    assert_eq!(csrf::verify(&session, &fresh), Ok(()));
    let after = round_trip(&config, &session);
    assert_eq!(csrf::verify(&after, &token), Err(TokenError::Mismatch));
    assert_eq!(csrf::verify(&after, &fresh), Ok(()));
    session.flush();
    assert_eq!(csrf::verify(&session, &fresh), Err(TokenError::NoSecret));
}

#[test]
fn a_session_without_a_secret_refuses_every_token() {
    let config = config();
    let mut other = new_session(&config);
    let token = csrf::token(&mut other);
    let session = new_session(&config);
    assert_eq!(csrf::verify(&session, &token), Err(TokenError::NoSecret));
    assert!(!session.is_modified(), "verify never creates a secret");

    // A secret key holding something else is no secret; token() replaces it.
    let mut odd = new_session(&config);
    odd.insert(csrf::SESSION_KEY, "not a secret").unwrap();
    assert_eq!(csrf::verify(&odd, &token), Err(TokenError::NoSecret));
    let fresh = csrf::token(&mut odd);
    assert_eq!(csrf::verify(&odd, &fresh), Ok(()));
}

#[test]
fn no_token_or_secret_reaches_debug_output_or_errors() {
    let config = config();
    let mut session = new_session(&config);
    let token = csrf::token(&mut session);
    let secret: [u8; 32] = session.get(csrf::SESSION_KEY).unwrap().unwrap();
    let secret_b64 = URL_SAFE_NO_PAD.encode(secret);
    let debug = format!("{session:?} {:?}", round_trip(&config, &session));
    assert!(
        !debug.contains(&token) && !debug.contains(&secret_b64),
        "{debug}"
    );
    assert!(!debug.contains(&format!("{secret:?}")), "{debug}");
    for e in [
        TokenError::Missing,
        TokenError::Malformed,
        TokenError::NoSecret,
        TokenError::Mismatch,
    ] {
        let text = format!("{e} {e:?}");
        assert!(!text.contains(&token[..8]), "{text}");
    }
}

// ---------------------------------------------------------------------------
// Arbitrary client input
// ---------------------------------------------------------------------------

mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    /// Bytes a header value may hold (visible ASCII, tab, obs-text).
    fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(
            prop_oneof![
                8 => 0x20u8..0x7f,
                1 => 0x80u8..=0xff,
                1 => Just(b'\t'),
            ],
            0..64,
        )
    }

    /// A mix of meaningful and arbitrary values for one header.
    fn header() -> impl Strategy<Value = Option<Vec<u8>>> {
        proptest::option::of(prop_oneof![
            Just(b"same-origin".to_vec()),
            Just(b"cross-site".to_vec()),
            Just(b"null".to_vec()),
            Just(b"https://example.com".to_vec()),
            Just(b"https://example.com:443".to_vec()),
            header_bytes(),
        ])
    }

    proptest! {
        /// Any headers: a verdict, never a panic; safe methods always pass;
        /// `Sec-Fetch-Site: cross-site` never passes on an unsafe one.
        #[test]
        fn the_check_judges_any_headers(
            method in prop_oneof![Just("GET"), Just("POST"), Just("DELETE"), Just("PATCH")],
            site in header(),
            origin in header(),
            host in header(),
        ) {
            let check = CrossOrigin::builder()
                .trusted_origin("https://sso.example")
                .exempt_path("/hooks/")
                .build()
                .unwrap();
            let mut request = Request::builder().method(method).uri("/cart");
            for (name, value) in [("sec-fetch-site", &site), ("origin", &origin), ("host", &host)] {
                if let Some(v) = value {
                    request = request.header(name, http::HeaderValue::from_bytes(v).unwrap());
                }
            }
            let request = request.body(()).unwrap();
            let result = check.check(&request);
            if method == "GET" {
                prop_assert_eq!(result, Ok(()));
            }
            if site.as_deref() == Some(b"cross-site".as_slice()) && method != "GET" {
                prop_assert_eq!(result, Err(CrossSite));
            }
        }

        /// Any submitted string: refused (only a masking of the secret
        /// passes, and a random 64 bytes is one with probability 2^-256),
        /// never a panic.
        #[test]
        fn verify_refuses_any_other_string(submitted in "\\PC{0,120}|[A-Za-z0-9_-]{86}") {
            let config = config();
            let mut session = new_session(&config);
            let _ = csrf::token(&mut session);
            prop_assert!(csrf::verify(&session, &submitted).is_err());
        }
    }
}
