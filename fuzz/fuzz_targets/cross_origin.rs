//! Any request head (method, URI, `Host`, `Origin`, `Sec-Fetch-Site` and
//! any other header, written as text: see `request_from_text`) through the
//! cross-origin check, under three configurations: the default, one with a
//! trusted origin and exempt paths, and one pinned to its own origin. The
//! check never panics and follows the rules of `sealed_session::csrf`:
//!
//! - `GET`, `HEAD` and `OPTIONS` always pass;
//! - with a non-empty `Sec-Fetch-Site`: passes when every value is
//!   `same-origin` or `none`, else is refused with the error of a refusing
//!   value (`cross-site` is `CrossSite`), unless exempt;
//! - without it: no `Origin` passes; an `Origin` equal to
//!   `http(s)://<Host>` (ASCII case and default ports aside; the URI's
//!   scheme, when it has one, must agree) passes; one naming another host
//!   is `OriginMismatch`; `null` is refused;
//! - a trusted origin or an exempt path lifts a refusal and nothing else;
//! - a configured origin replaces the `Host` comparison entirely;
//! - `check` and `check_parts` agree.
#![no_main]

use http::header::{HOST, ORIGIN};
use http::{HeaderMap, Request};
use libfuzzer_sys::fuzz_target;
use sealed_session::csrf::{CrossOrigin, CrossOriginError};
use sealed_session_fuzz::request_from_text;
use std::sync::OnceLock;

const SEC_FETCH_SITE: &str = "sec-fetch-site";
const TRUSTED: &str = "https://trusted.example";
const PINNED: &str = "https://shop.example";

struct Checks {
    default: CrossOrigin,
    /// Trusts [`TRUSTED`]; exempts `/hook` and everything under `/hooks/`.
    lenient: CrossOrigin,
    /// Its own origin is [`PINNED`].
    pinned: CrossOrigin,
}

fn checks() -> &'static Checks {
    static CHECKS: OnceLock<Checks> = OnceLock::new();
    CHECKS.get_or_init(|| Checks {
        default: CrossOrigin::default(),
        lenient: CrossOrigin::builder()
            .trusted_origin(TRUSTED)
            .exempt_path("/hooks/")
            .exempt_path("/hook")
            .build()
            .unwrap(),
        pinned: CrossOrigin::builder().origin(PINNED).build().unwrap(),
    })
}

/// `name[:port]` with DNS-style labels (ASCII letters, digits, `-`) and a
/// port that fits in 16 bits, lower-cased and without `scheme`'s default
/// port; `None` for anything else (the oracle then claims nothing).
fn plain_host(host: &[u8], scheme: &str) -> Option<String> {
    let host = std::str::from_utf8(host).ok()?;
    let (name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let labels_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    });
    if !labels_ok {
        return None;
    }
    let name = name.to_ascii_lowercase();
    let Some(port) = port else {
        return Some(name);
    };
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let port: u16 = port.parse().ok()?;
    let default = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    Some(if port == default {
        name
    } else {
        format!("{name}:{port}")
    })
}

/// An `Origin` value as `(scheme, normalised host)`, for `http` and `https`
/// origins with a plain host only.
fn plain_origin(origin: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(origin).ok()?;
    let (scheme, host) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = plain_host(host.as_bytes(), &scheme)?;
    Some((scheme, host))
}

#[derive(Debug, PartialEq)]
enum Same {
    Yes,
    No,
    /// Outside what the oracle models.
    Unknown,
}

/// Whether `origin` is the request's own origin, when no origin is
/// configured: the host from the one `Host` header (or the URI's authority
/// when there is none), the scheme from the URI when it has one.
fn is_own(origin: &[u8], request: &Request<()>) -> Same {
    let Some((scheme, host)) = plain_origin(origin) else {
        return Same::Unknown;
    };
    let hosts: Vec<&[u8]> = request
        .headers()
        .get_all(HOST)
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let own = match hosts.as_slice() {
        [one] => *one,
        [] => match request.uri().authority() {
            Some(authority) => authority.as_str().as_bytes(),
            None => return Same::No,
        },
        // Two Host headers never match.
        _ => return Same::No,
    };
    if request
        .uri()
        .scheme_str()
        .is_some_and(|s| !s.eq_ignore_ascii_case(&scheme))
    {
        return Same::No;
    }
    match plain_host(own, &scheme) {
        Some(own) if own == host => Same::Yes,
        Some(_) => Same::No,
        None => Same::Unknown,
    }
}

/// Whether `origin` is [`PINNED`] (the pinned check's own origin).
fn is_pinned(origin: &[u8]) -> Same {
    match plain_origin(origin) {
        Some((scheme, host)) if scheme == "https" && host == "shop.example" => Same::Yes,
        Some(_) => Same::No,
        None => Same::Unknown,
    }
}

fn values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a [u8]> {
    headers.get_all(name).iter().map(|v| v.as_bytes()).collect()
}

/// The error a refusing `Sec-Fetch-Site` value gives, `None` for a passing
/// one.
fn fetch_site_error(value: &[u8]) -> Option<CrossOriginError> {
    match value {
        b"same-origin" | b"none" => None,
        b"cross-site" => Some(CrossOriginError::CrossSite),
        b"same-site" => Some(CrossOriginError::SameSite),
        _ => Some(CrossOriginError::UnknownFetchSite),
    }
}

/// A path under an exempt entry that no normalisation could move: letters,
/// digits, `-`, `_` and non-empty segments only.
fn surely_exempt_path(path: &str) -> bool {
    let plain = path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/-_".contains(&b))
        && !path.contains("//");
    plain && (path == "/hook" || path.starts_with("/hooks/"))
}

/// Whether the request could be exempt under the lenient check at all.
fn maybe_exempt(request: &Request<()>, origins: &[&[u8]]) -> bool {
    let path = request.uri().path();
    let trusted_origin = match origins {
        [one] => one.to_ascii_lowercase().starts_with(TRUSTED.as_bytes()),
        _ => false,
    };
    path == "/hook" || path.starts_with("/hooks/") || trusted_origin
}

/// Whether the request is exempt under the lenient check for certain.
fn surely_exempt(request: &Request<()>, origins: &[&[u8]]) -> bool {
    let trusted_origin = match origins {
        [one] => plain_origin(one)
            .is_some_and(|(scheme, host)| scheme == "https" && host == "trusted.example"),
        _ => false,
    };
    surely_exempt_path(request.uri().path()) || trusted_origin
}

fuzz_target!(|data: &[u8]| {
    let checks = checks();
    let request = request_from_text(data);
    let default = checks.default.check(&request);
    let lenient = checks.lenient.check(&request);
    let pinned = checks.pinned.check(&request);

    // `check_parts` is the same check.
    let (parts, ()) = request.clone().into_parts();
    assert_eq!(checks.default.check_parts(&parts), default);
    assert_eq!(checks.lenient.check_parts(&parts), lenient);
    assert_eq!(checks.pinned.check_parts(&parts), pinned);

    // Safe methods always pass.
    if matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS") {
        assert_eq!(default, Ok(()));
        assert_eq!(lenient, Ok(()));
        assert_eq!(pinned, Ok(()));
        return;
    }

    let headers = request.headers();
    let origins = values(headers, ORIGIN.as_str());
    // An empty Sec-Fetch-Site is no Sec-Fetch-Site.
    let fetch_site: Vec<&[u8]> = values(headers, SEC_FETCH_SITE)
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect();

    // Exemptions only lift refusals, and only on a trusted origin or an
    // exempt path.
    match (&default, &lenient) {
        (Ok(()), _) => assert_eq!(lenient, Ok(())),
        (Err(e), Err(l)) => assert_eq!(e, l),
        (Err(e), Ok(())) => assert!(
            maybe_exempt(&request, &origins),
            "{e:?} lifted without an exemption: {request:?}"
        ),
    }
    if surely_exempt(&request, &origins) {
        assert_eq!(lenient, Ok(()), "{request:?}");
    }

    if !fetch_site.is_empty() {
        // Sec-Fetch-Site decides alone, for every configuration.
        let refusals: Vec<CrossOriginError> = fetch_site
            .iter()
            .filter_map(|v| fetch_site_error(v))
            .collect();
        if refusals.is_empty() {
            assert_eq!(default, Ok(()), "{request:?}");
            assert_eq!(pinned, Ok(()), "{request:?}");
        } else {
            let e = default.expect_err("a refusing Sec-Fetch-Site passed");
            assert!(refusals.contains(&e), "{e:?} for {fetch_site:?}");
            assert_eq!(pinned, default);
            if fetch_site == [b"cross-site"] {
                assert_eq!(default, Err(CrossOriginError::CrossSite));
            }
        }
        return;
    }

    // No Sec-Fetch-Site: Origin decides; no Origin passes (not a browser).
    if origins.is_empty() {
        assert_eq!(default, Ok(()));
        assert_eq!(pinned, Ok(()));
        return;
    }
    if origins.contains(&&b"null"[..]) {
        let e = default.expect_err("Origin: null passed");
        assert!(
            matches!(
                e,
                CrossOriginError::NullOrigin | CrossOriginError::OriginMismatch
            ),
            "{e:?}"
        );
        if origins.len() == 1 {
            assert_eq!(e, CrossOriginError::NullOrigin);
            assert_eq!(pinned, default);
        }
    }
    let own: Vec<Same> = origins.iter().map(|o| is_own(o, &request)).collect();
    if own.iter().all(|s| *s == Same::Yes) {
        assert_eq!(default, Ok(()), "own origin refused: {request:?}");
    }
    if own == [Same::No] {
        assert_eq!(
            default,
            Err(CrossOriginError::OriginMismatch),
            "another origin passed: {request:?}"
        );
    }

    // A configured origin: Origin must be it, whatever Host says.
    let pin: Vec<Same> = origins.iter().map(|o| is_pinned(o)).collect();
    if pin.iter().all(|s| *s == Same::Yes) {
        assert_eq!(pinned, Ok(()), "{request:?}");
    }
    if pin == [Same::No] {
        assert_eq!(pinned, Err(CrossOriginError::OriginMismatch), "{request:?}");
    }
    let mut no_host = request.clone();
    no_host.headers_mut().remove(HOST);
    *no_host.uri_mut() = http::Uri::from_static("/");
    assert_eq!(checks.pinned.check(&no_host), pinned, "Host was read");
});
