//! The header bridge between actix-web 4 (`http` 0.2) and this crate
//! (`http` 1), written once for the actix-web adapter (feature `actix-web`).
//!
//! The two crates' header types are distinct but accept exactly the same
//! bytes, so every header crosses by its bytes. A value one side would not
//! accept is skipped, never unwrapped: a client's header can cost it its
//! session, never crash the server.

use actix_web::http::StatusCode as ActixStatus;
use actix_web::http::header::{self as actix_header, HeaderMap as ActixHeaders};
use http::header::{HeaderName, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use crate::adapter::cross_origin_refusal;
use crate::config::SessionConfig;
use crate::cookie_header::cookie_values_of;
use crate::csrf::{CrossOrigin, CrossOriginError, is_safe};
use crate::glue::{
    CacheControl, SaveError, load_from, removal_after_failed_save, save_output,
    shield_from_shared_caches, varies_on_cookie,
};
use crate::session::Session;

/// Loads the session from an actix request's headers: every `Cookie` header
/// (HTTP/2 sends one per cookie) is scanned by its bytes, in order, by the
/// same [`load_from`] as [`load`](crate::load), so the scan budget, the
/// candidate limit and the "never delete what was not examined" rule apply
/// unchanged.
pub(crate) fn load_session(config: &SessionConfig, headers: &ActixHeaders) -> Session {
    // Not copied into an `http` 1 map: both crates' header values hold only
    // the bytes a header may carry, and the scanner reads bytes.
    let cookies = headers
        .get_all(actix_header::COOKIE)
        .map(actix_header::HeaderValue::as_bytes)
        .collect();
    load_from(config, cookie_values_of(cookies, config.cookie_name()))
}

/// Saves the session into an actix response's headers, with the response's
/// `status` (so a 5xx gets no new session cookie while a removal still goes
/// out): the same [`save_output`] as [`save`](crate::save), its lines,
/// `Vary` and `Cache-Control` decisions written straight into the actix
/// headers (the handler's `Vary` and `Cache-Control` read by their bytes),
/// also when it fails (`Vary` still holds then).
///
/// # Errors
///
/// As [`save`](crate::save): no `Set-Cookie` was written.
pub(crate) fn save_session(
    config: &SessionConfig,
    session: &Session,
    status: ActixStatus,
    headers: &mut ActixHeaders,
) -> Result<(), SaveError> {
    let output = save_output(config, session, status.is_server_error());
    let present = headers.get_all(actix_header::VARY);
    if output.vary && !varies_on_cookie(present.map(actix_header::HeaderValue::as_bytes)) {
        headers.append(
            actix_header::VARY,
            actix_header::HeaderValue::from_static("Cookie"),
        );
    }
    if !output.lines.is_empty() {
        for line in output.lines {
            // Visible ASCII, valid on both sides: the buffer becomes the
            // value's storage, no copy.
            if let Ok(value) = actix_header::HeaderValue::try_from(line) {
                headers.append(actix_header::SET_COOKIE, value);
            }
        }
        let present = headers.get_all(actix_header::CACHE_CONTROL);
        let present = present.map(actix_header::HeaderValue::as_bytes);
        match shield_from_shared_caches(present, config.cookie_name()) {
            CacheControl::Keep => {}
            CacheControl::Private => {
                let private = actix_header::HeaderValue::from_static("private");
                headers.insert(actix_header::CACHE_CONTROL, private);
            }
            CacheControl::Replace(value) => {
                // Every kept directive came out of a valid header value.
                let value = actix_header::HeaderValue::try_from(value)
                    .unwrap_or_else(|_| actix_header::HeaderValue::from_static("private"));
                headers.insert(actix_header::CACHE_CONTROL, value);
            }
        }
    }
    output.error.map_or(Ok(()), Err)
}

/// The adapters' shared cross-origin check ([`cross_origin_refusal`]) on
/// an actix request, through its [`http1_view`].
pub(crate) fn check_cross_origin(
    check: Option<&CrossOrigin>,
    request: &actix_web::dev::ServiceRequest,
) -> Option<CrossOriginError> {
    check?;
    let method = http1_method(request);
    // A safe method is never refused: no view is built for it.
    if is_safe(&method) {
        return None;
    }
    cross_origin_refusal(check, &http1_view(request, method, CROSS_ORIGIN_HEADERS))
}

/// What the cross-origin check reads.
pub(crate) const CROSS_ORIGIN_HEADERS: &[&str] = &["sec-fetch-site", "origin", "host"];

/// What a token check reads: the cross-origin check's headers, the token
/// header and the body's type and length.
pub(crate) const TOKEN_CHECK_HEADERS: &[&str] = &[
    "sec-fetch-site",
    "origin",
    "host",
    "x-csrf-token",
    "content-type",
    "content-length",
];

/// An `http` 1 view of an actix request for the shared checks: its
/// `method` ([`http1_method`]), the URI and the headers `names` cross by
/// their bytes. A URI `http` 1 would not take is read as `/`.
pub(crate) fn http1_view(
    request: &actix_web::dev::ServiceRequest,
    method: http::Method,
    names: &[&str],
) -> http::Request<()> {
    let uri = request
        .uri()
        .to_string()
        .parse::<http::Uri>()
        .unwrap_or_else(|_| http::Uri::from_static("/"));
    let mut headers = HeaderMap::new();
    for name in names {
        let Ok(to) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in request.headers().get_all(*name) {
            if let Some(value) = to_http1(value) {
                headers.append(to.clone(), value);
            }
        }
    }
    let mut parts = http::Request::new(());
    *parts.method_mut() = method;
    *parts.uri_mut() = uri;
    *parts.headers_mut() = headers;
    parts
}

/// The request's method in `http` 1; one `http` 1 would not take is read
/// as a `POST`, an unsafe method, so it is never waved through by a parse
/// failure.
pub(crate) fn http1_method(request: &actix_web::dev::ServiceRequest) -> http::Method {
    http::Method::from_bytes(request.method().as_str().as_bytes()).unwrap_or(http::Method::POST)
}

/// After a save-error policy replaced an actix response: a flushed
/// session's removal still goes out (save rule 5).
pub(crate) fn keep_removal(config: &SessionConfig, session: &Session, headers: &mut ActixHeaders) {
    let mut set_cookies = HeaderMap::new();
    copy_to_http1(
        headers,
        &actix_header::SET_COOKIE,
        &mut set_cookies,
        SET_COOKIE,
    );
    for removal in removal_after_failed_save(config, session, &set_cookies) {
        append_to_actix(headers, actix_header::SET_COOKIE, &removal);
    }
}

fn to_http1(value: &actix_header::HeaderValue) -> Option<HeaderValue> {
    HeaderValue::from_bytes(value.as_bytes()).ok()
}

fn copy_to_http1(
    from: &ActixHeaders,
    from_name: &actix_header::HeaderName,
    to: &mut HeaderMap,
    to_name: HeaderName,
) {
    for value in from.get_all(from_name) {
        if let Some(value) = to_http1(value) {
            to.append(to_name.clone(), value);
        }
    }
}

fn append_to_actix(
    headers: &mut ActixHeaders,
    name: actix_header::HeaderName,
    value: &HeaderValue,
) {
    // Values written by `save` are visible ASCII and the others came from
    // actix: all valid on both sides, so nothing is skipped in practice.
    if let Ok(value) = actix_header::HeaderValue::from_bytes(value.as_bytes()) {
        headers.append(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Key, Keyring, Status, load};

    fn config() -> SessionConfig {
        SessionConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
            .build()
            .unwrap()
    }

    /// A `Set-Cookie` value for a session holding `user = 42`, as the core
    /// writes it.
    fn sealed_cookie(config: &SessionConfig) -> String {
        let mut session = load(config, &HeaderMap::new());
        session.insert("user", &42u64).unwrap();
        let mut saved = HeaderMap::new();
        crate::save(config, &session, &mut saved).unwrap();
        let text = saved["set-cookie"].to_str().unwrap();
        text.split(';').next().unwrap().to_owned()
    }

    fn actix_headers(pairs: &[(&str, &[u8])]) -> ActixHeaders {
        let mut headers = ActixHeaders::new();
        for (name, value) in pairs {
            headers.append(
                actix_header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                actix_header::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        headers
    }

    fn values(headers: &ActixHeaders, name: &str) -> Vec<Vec<u8>> {
        headers
            .get_all(name)
            .map(|v| v.as_bytes().to_vec())
            .collect()
    }

    fn loaded(config: &SessionConfig) -> Session {
        let cookie = sealed_cookie(config);
        load_session(config, &actix_headers(&[("cookie", cookie.as_bytes())]))
    }

    #[test]
    fn every_cookie_header_is_read() {
        let config = config();
        let cookie = sealed_cookie(&config);
        // The session cookie sits in the third of three `Cookie` headers.
        let headers = actix_headers(&[
            ("cookie", b"a=1; b=2"),
            ("cookie", b"theme=dark"),
            ("cookie", cookie.as_bytes()),
        ]);
        let session = load_session(&config, &headers);
        assert_eq!(session.status(), Status::Loaded);
        assert_eq!(session.get::<u64>("user").unwrap(), Some(42));
    }

    #[test]
    fn non_utf8_bytes_neither_panic_nor_hide_the_session() {
        let config = config();
        let cookie = sealed_cookie(&config);
        let mut first = b"junk=\xff\xfe; session=\xc3\x28".to_vec();
        first.extend_from_slice(b"; x=\x80");
        let headers = actix_headers(&[("cookie", &first), ("cookie", cookie.as_bytes())]);
        let session = load_session(&config, &headers);
        // The non-UTF-8 `session=` candidate is rejected, the real one opens.
        assert_eq!(session.status(), Status::Loaded);
        assert_eq!(session.get::<u64>("user").unwrap(), Some(42));

        // Only non-UTF-8 bytes: an empty session that says why.
        let headers = actix_headers(&[("cookie", b"session=\xff\xfe\xfd")]);
        let session = load_session(&config, &headers);
        assert!(session.is_empty());
        assert!(matches!(session.status(), Status::Invalid(_)));
    }

    #[test]
    fn set_cookie_and_vary_are_appended_to_the_handlers_own() {
        let config = config();
        let mut session = load_session(&config, &ActixHeaders::new());
        session.insert("user", &1u8).unwrap();
        let mut headers = actix_headers(&[
            ("set-cookie", b"theme=dark; Path=/"),
            ("set-cookie", b"lang=en; Path=/"),
            ("vary", b"Accept-Encoding"),
            ("vary", b"Accept-Language"),
        ]);
        save_session(&config, &session, ActixStatus::OK, &mut headers).unwrap();

        let cookies = values(&headers, "set-cookie");
        assert_eq!(cookies.len(), 3, "{cookies:?}");
        assert_eq!(cookies[0], b"theme=dark; Path=/");
        assert_eq!(cookies[1], b"lang=en; Path=/");
        let ours = String::from_utf8(cookies[2].clone()).unwrap();
        assert!(ours.starts_with("session="), "{ours}");
        // The cookie crossed whole: it opens again on the way back in.
        let pair = ours.split(';').next().unwrap();
        let back = load_session(&config, &actix_headers(&[("cookie", pair.as_bytes())]));
        assert_eq!(back.get::<u8>("user").unwrap(), Some(1));

        assert_eq!(
            values(&headers, "vary"),
            [&b"Accept-Encoding"[..], b"Accept-Language", b"Cookie"]
        );
        assert_eq!(values(&headers, "cache-control"), [b"private"]);
    }

    #[test]
    fn an_existing_vary_cookie_or_cache_control_is_not_repeated() {
        let config = config();
        let mut session = loaded(&config);
        session.insert("user", &43u64).unwrap();
        let mut headers = actix_headers(&[
            ("vary", b"Accept-Encoding, Cookie"),
            ("cache-control", b"no-store"),
        ]);
        save_session(&config, &session, ActixStatus::OK, &mut headers).unwrap();
        assert_eq!(values(&headers, "vary"), [b"Accept-Encoding, Cookie"]);
        assert_eq!(values(&headers, "cache-control"), [b"no-store"]);
        assert_eq!(values(&headers, "set-cookie").len(), 1);
    }

    #[test]
    fn a_read_only_session_gets_vary_and_no_cookie() {
        let config = config();
        let session = loaded(&config);
        assert_eq!(session.get::<u64>("user").unwrap(), Some(42));
        let mut headers = ActixHeaders::new();
        save_session(&config, &session, ActixStatus::OK, &mut headers).unwrap();
        assert_eq!(values(&headers, "vary"), [b"Cookie"]);
        assert!(values(&headers, "set-cookie").is_empty());
        assert!(values(&headers, "cache-control").is_empty());
    }

    #[test]
    fn a_server_error_gets_no_new_cookie_but_a_removal_goes_out() {
        let config = config();
        let mut session = loaded(&config);
        session.insert("user", &43u64).unwrap();
        let mut headers = ActixHeaders::new();
        save_session(
            &config,
            &session,
            ActixStatus::INTERNAL_SERVER_ERROR,
            &mut headers,
        )
        .unwrap();
        assert!(values(&headers, "set-cookie").is_empty());
        assert!(values(&headers, "cache-control").is_empty());
        assert_eq!(values(&headers, "vary"), [b"Cookie"]);

        let mut session = loaded(&config);
        session.flush();
        let mut headers = ActixHeaders::new();
        save_session(&config, &session, ActixStatus::BAD_GATEWAY, &mut headers).unwrap();
        let removal = values(&headers, "set-cookie");
        assert_eq!(removal.len(), 1);
        let removal = String::from_utf8(removal[0].clone()).unwrap();
        assert!(removal.starts_with("session=;"), "{removal}");
        assert!(removal.contains("Max-Age=0"), "{removal}");
    }

    #[test]
    fn a_too_large_session_writes_vary_only() {
        let config = config();
        let mut session = loaded(&config);
        session.insert("big", &"x".repeat(5_000)).unwrap();
        let mut headers = actix_headers(&[("set-cookie", b"theme=dark")]);
        let error = save_session(&config, &session, ActixStatus::OK, &mut headers).unwrap_err();
        assert!(matches!(error, SaveError::TooLarge { .. }), "{error:?}");
        assert_eq!(values(&headers, "set-cookie"), [b"theme=dark"]);
        assert_eq!(values(&headers, "vary"), [b"Cookie"]);
        assert!(values(&headers, "cache-control").is_empty());
    }

    #[test]
    fn an_untouched_new_session_writes_nothing() {
        let config = config();
        let session = load_session(&config, &ActixHeaders::new());
        let mut headers = ActixHeaders::new();
        save_session(&config, &session, ActixStatus::OK, &mut headers).unwrap();
        assert!(headers.is_empty());
    }

    proptest::proptest! {
        /// Any bytes a client can put in `Cookie` headers load without a
        /// panic, and a valid session cookie among them still opens.
        #[test]
        fn any_cookie_bytes_load(
            junk in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..80), 0..4),
        ) {
            let config = config();
            let cookie = sealed_cookie(&config);
            let mut headers = ActixHeaders::new();
            for bytes in &junk {
                // Only what actix itself would accept reaches the bridge.
                if let Ok(value) = actix_header::HeaderValue::from_bytes(bytes) {
                    headers.append(actix_header::COOKIE, value);
                }
            }
            let _ = load_session(&config, &headers);
            headers.append(
                actix_header::COOKIE,
                actix_header::HeaderValue::from_str(&cookie).unwrap(),
            );
            let session = load_session(&config, &headers);
            // Junk named `session` may come first; the real one still opens.
            proptest::prop_assert_eq!(session.get::<u64>("user").unwrap(), Some(42));
        }
    }

    #[test]
    fn every_status_code_crosses() {
        let config = config();
        let mut session = load_session(&config, &ActixHeaders::new());
        session.insert("k", &1u8).unwrap();
        for code in 100..=999u16 {
            let status = ActixStatus::from_u16(code).unwrap();
            let mut headers = ActixHeaders::new();
            save_session(&config, &session, status, &mut headers).unwrap();
            let wrote = !values(&headers, "set-cookie").is_empty();
            assert_eq!(wrote, !(500..600).contains(&code), "status {code}");
        }
    }
}
