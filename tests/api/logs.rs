//! The log events of the `tracing` feature, captured through
//! `tracing-subscriber`'s formatter: each is emitted once, at its level and
//! target, and holds no secret (no key, no cookie value, no session value).

use base64::Engine as _;
use sealed_session::{Keyring, SessionConfig};

use crate::common::*;

/// A session value that must never reach a log.
const SECRET_VALUE: &str = "s3cr3t-session-value";

/// Runs `f` with a subscriber that records every event of every level,
/// and returns the formatted lines.
fn capture(f: impl FnOnce()) -> Vec<String> {
    let ((), text) = crate::capture::capture(tracing::Level::TRACE, f);
    text.lines().map(str::to_owned).collect()
}

/// The one line logged, checked for every secret of the test.
fn one_line(lines: &[String], secrets: &[&str]) -> String {
    assert_eq!(lines.len(), 1, "{lines:#?}");
    for secret in secrets {
        assert!(!secret.is_empty());
        assert!(!lines[0].contains(secret), "{secret:?} in {}", lines[0]);
    }
    lines[0].clone()
}

fn key_b64(byte: u8) -> String {
    key(byte).to_base64()
}

fn config(keys: Keyring) -> SessionConfig {
    SessionConfig::builder(keys).build().unwrap()
}

/// A valid session cookie (`session=...`) holding the secret value.
fn cookie(config: &SessionConfig) -> String {
    let cookie = issue(config, &[("note", SECRET_VALUE)]);
    assert!(cookie.starts_with("session="));
    cookie
}

#[test]
fn a_tampered_cookie_is_a_warning_on_the_security_target() {
    let config = config(Keyring::new(key(1)));
    let good = cookie(&config);
    let value = good.strip_prefix("session=").unwrap();
    // Flip one character of the ciphertext.
    let mut bytes = value.as_bytes().to_vec();
    let i = bytes.len() / 2;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    let lines = capture(|| {
        let session = load_cookie(&config, &format!("session={tampered}"));
        assert!(session.is_empty());
    });
    let line = one_line(&lines, &[&tampered, &key_b64(1), SECRET_VALUE]);
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("sealed_session::security"), "{line}");
    assert!(line.contains("session cookie rejected"), "{line}");
    assert!(line.contains("reason=tampered"), "{line}");
    assert!(line.contains(r#"cookie="session""#), "{line}");
}

#[test]
fn unknown_key_malformed_and_bad_payload_are_warnings_with_their_reason() {
    let config = config(Keyring::new(key(1)));
    let foreign = cookie(&self::config(Keyring::new(key(2))));
    let lines = capture(|| drop(load_cookie(&config, &foreign)));
    let line = one_line(
        &lines,
        &[&foreign[8..], &key_b64(1), &key_b64(2), SECRET_VALUE],
    );
    assert!(line.contains("WARN sealed_session::security"), "{line}");
    assert!(line.contains("reason=unknown key"), "{line}");

    let lines = capture(|| drop(load_cookie(&config, "session=%%not-base64%%")));
    let line = one_line(&lines, &["%%not-base64%%"]);
    assert!(line.contains("WARN sealed_session::security"), "{line}");
    assert!(line.contains("reason=malformed"), "{line}");

    // Authenticated under the app's key, but not a session envelope.
    let raw = sealed_session::danger::seal_session_value(&config, SECRET_VALUE.as_bytes()).unwrap();
    let lines = capture(|| drop(load_cookie(&config, &format!("session={raw}"))));
    let line = one_line(&lines, &[&raw, &key_b64(1), SECRET_VALUE]);
    assert!(line.contains("WARN sealed_session::security"), "{line}");
    assert!(
        line.contains("reason=authenticated but not a session"),
        "{line}"
    );
}

#[test]
fn a_fallback_key_open_is_info_with_the_public_key_id() {
    let old = key(1);
    let old_id: String = old.id().to_string();
    let issued = cookie(&config(Keyring::new(old.clone())));
    let rotated = config(Keyring::new(key(3)).with_fallback(old));
    let lines = capture(|| {
        let session = load_cookie(&rotated, &issued);
        assert_eq!(session.len(), 1);
    });
    let line = one_line(
        &lines,
        &[&issued[8..], &key_b64(1), &key_b64(3), SECRET_VALUE],
    );
    assert!(line.contains("INFO sealed_session::rotation"), "{line}");
    assert!(line.contains("opened with a fallback key"), "{line}");
    assert!(line.contains(&format!("key_id={old_id}")), "{line}");

    // The primary key opens without a word; no cookie at all neither.
    let primary = cookie(&rotated);
    assert_eq!(
        capture(|| drop(load_cookie(&rotated, &primary))),
        Vec::<String>::new()
    );
    assert_eq!(
        capture(|| drop(sealed_session::load(&rotated, &http::Request::new(())))),
        Vec::<String>::new()
    );
}

#[test]
fn too_large_is_an_error_with_the_sizes() {
    let config = config(Keyring::new(key(1)));
    let big = format!("{SECRET_VALUE}{}", "x".repeat(5_000));
    let mut session = sealed_session::load(&config, &http::Request::new(()));
    session.insert("big", &big).unwrap();
    let expected = config.cookie_name().len() + 1 + session.encoded_len();
    let lines = capture(|| {
        let mut response = http::Response::new(());
        let err = sealed_session::save(&config, &session, &mut response).unwrap_err();
        assert_eq!(
            err,
            sealed_session::SaveError::TooLarge {
                size: expected,
                limit: 4093
            }
        );
    });
    let line = one_line(&lines, &[SECRET_VALUE, &key_b64(1)]);
    assert!(line.contains("ERROR sealed_session::save"), "{line}");
    assert!(line.contains("session too large for one cookie"), "{line}");
    assert!(line.contains(&format!("size={expected}")), "{line}");
    assert!(line.contains("limit=4093"), "{line}");
}

#[cfg(feature = "axum")]
#[test]
fn a_session_error_turned_into_a_response_is_logged_without_the_value() {
    use axum::response::IntoResponse;

    let config = config(Keyring::new(key(1)));
    let mut session = sealed_session::load(&config, &http::Request::new(()));
    session.insert("note", SECRET_VALUE).unwrap();
    let err = session.get::<u64>("note").unwrap_err();
    let lines = capture(|| {
        assert_eq!(err.into_response().status(), 500);
    });
    let line = one_line(&lines, &[SECRET_VALUE]);
    assert!(line.contains("ERROR sealed_session::session"), "{line}");
    assert!(
        line.contains(r#"session key "note" does not hold a u64"#),
        "{line}"
    );
}

#[test]
fn key_bytes_never_appear_even_in_hex_or_url_safe_base64() {
    // The same checks against other spellings of the key, on every event.
    let k = key(1);
    let ring = Keyring::new(k.clone());
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([1u8; 32]);
    let hex: String = [1u8; 32].iter().map(|b| format!("{b:02x}")).collect();
    let config = config(ring);
    let lines = capture(|| {
        drop(load_cookie(&config, "session=AAAA"));
        let mut s = sealed_session::load(&config, &http::Request::new(()));
        s.insert("big", &"y".repeat(5_000)).unwrap();
        let _ = sealed_session::save(&config, &s, &mut http::Response::new(()));
    });
    assert_eq!(lines.len(), 2, "{lines:#?}");
    for line in &lines {
        for secret in [url_safe.as_str(), hex.as_str(), &k.to_base64()] {
            assert!(!line.contains(secret), "{line}");
        }
    }
}

#[test]
fn a_forged_stand_alone_sealed_cookie_is_a_security_warning() {
    let config = config(Keyring::new(key(1)));
    let mut request = http::HeaderMap::new();
    request.insert("cookie", "prefs=forged-value-123".parse().unwrap());
    let lines = capture(|| {
        assert!(sealed_session::cookies::open_sealed(&request, &config, "prefs").is_err());
    });
    let line = one_line(&lines, &["forged-value-123", &key_b64(1)]);
    assert!(line.contains("WARN sealed_session::security"), "{line}");
    assert!(line.contains("sealed cookie rejected"), "{line}");
    assert!(line.contains(r#"cookie="prefs""#), "{line}");
}

// ---------------------------------------------------------------------------
// Every 4xx/5xx an adapter answers is logged (issue 23): the 413 of a
// session too large and the 403 of a cross-origin request, on both
// adapters, each without a cookie value, a session value or a key.
// ---------------------------------------------------------------------------

#[cfg(any(feature = "axum", feature = "actix-web"))]
/// Every line, checked for every secret of the test.
fn no_secret_in(lines: &[String], secrets: &[&str]) {
    for line in lines {
        for secret in secrets {
            assert!(!secret.is_empty());
            assert!(!line.contains(secret), "{secret:?} in {line}");
        }
    }
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
/// What a request to an adapter answered: status, body, log lines.
type Answer = (u16, String, Vec<String>);

#[cfg(any(feature = "axum", feature = "actix-web"))]
/// Checks the two adapter answers every adapter gives: `too_large` (a
/// session that does not fit, with the secret value in it) and `forged` (a
/// cross-site POST carrying the session cookie).
fn check_413_and_403(too_large: Answer, forged: Answer, cookie: &str) {
    let cookie_value = cookie.strip_prefix("session=").unwrap();
    let secrets = [SECRET_VALUE, cookie_value, &key_b64(1)];

    let (status, body, lines) = too_large;
    assert_eq!(
        (status, body.as_str()),
        (413, "session too large for a cookie")
    );
    no_secret_in(&lines, &secrets);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    // The save says why, with the sizes; the adapter says what it answered.
    assert!(
        lines[0].contains("ERROR sealed_session::save"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("session too large for one cookie"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("WARN sealed_session::save"),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("session not saved: error response"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("status=413"), "{}", lines[1]);

    let (status, body, lines) = forged;
    assert_eq!(
        (status, body.as_str()),
        (403, "cross-site request (Sec-Fetch-Site: cross-site)\n")
    );
    let line = one_line(&lines, &secrets);
    assert!(line.contains("WARN sealed_session::csrf"), "{line}");
    assert!(line.contains("cross-origin request refused"), "{line}");
    assert!(
        line.contains("reason=cross-site request (Sec-Fetch-Site: cross-site)"),
        "{line}"
    );
    assert!(line.contains("method=POST"), "{line}");
    assert!(line.contains(r#"path="/big""#), "{line}");
}

#[cfg(feature = "axum")]
#[test]
fn the_tower_layer_logs_its_413_and_its_cross_origin_403() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::post;
    use sealed_session::tower::{SessionHandle, SessionLayer};
    use tower::ServiceExt as _;

    let config = config(Keyring::new(key(1)));
    let cookie = cookie(&config);
    let app = Router::new()
        .route(
            "/big",
            post(|session: SessionHandle| async move {
                let big = format!("{SECRET_VALUE}{}", "x".repeat(5_000));
                session.insert("big", &big).unwrap();
                "the handler's page"
            }),
        )
        .layer(SessionLayer::new(config));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let send = |fetch_site: &str| {
        let request = http::Request::post("/big")
            .header("cookie", &cookie)
            .header("sec-fetch-site", fetch_site)
            .body(Body::empty())
            .unwrap();
        let mut answer = (0, String::new());
        let lines = capture(|| {
            answer = runtime.block_on(async {
                let response = app.clone().oneshot(request).await.unwrap();
                let status = response.status().as_u16();
                let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
                (status, String::from_utf8(body.to_vec()).unwrap())
            });
        });
        (answer.0, answer.1, lines)
    };
    check_413_and_403(send("same-origin"), send("cross-site"), &cookie);
}

#[cfg(feature = "actix-web")]
#[test]
fn the_actix_middleware_logs_its_413_and_its_cross_origin_403() {
    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use actix_web::{App, HttpResponse, web};
    use sealed_session::actix::{Session, SessionMiddleware};

    let config = config(Keyring::new(key(1)));
    let cookie = cookie(&config);
    let send = |fetch_site: &str| {
        let mut answer = (0, String::new());
        let lines = capture(|| {
            answer = actix_web::rt::System::new().block_on(async {
                let app = init_service(
                    App::new()
                        .route(
                            "/big",
                            web::post().to(|session: Session| async move {
                                let big = format!("{SECRET_VALUE}{}", "x".repeat(5_000));
                                session.insert("big", &big).unwrap();
                                HttpResponse::Ok().body("the handler's page")
                            }),
                        )
                        .wrap(SessionMiddleware::new(config.clone())),
                )
                .await;
                let request = TestRequest::post()
                    .uri("/big")
                    .insert_header(("cookie", cookie.as_str()))
                    .insert_header(("sec-fetch-site", fetch_site))
                    .to_request();
                let response = call_service(&app, request).await;
                let status = response.status().as_u16();
                let body = read_body(response).await;
                (status, String::from_utf8(body.to_vec()).unwrap())
            });
        });
        (answer.0, answer.1, lines)
    };
    check_413_and_403(send("same-origin"), send("cross-site"), &cookie);
}

/// The actix token middleware's refusals are logged with the request's
/// method and path: a GET without the session middleware (the layer-order
/// 500, whose view of the request is its method alone) and a POST without
/// a token (whose view carries the URI and headers).
#[cfg(feature = "actix-web")]
#[test]
fn the_actix_token_middleware_logs_method_and_path_of_what_it_refuses() {
    use actix_web::test::{TestRequest, call_service, init_service};
    use actix_web::{App, HttpResponse, web};
    use sealed_session::actix::{CsrfMiddleware, SessionMiddleware};
    use sealed_session::csrf::CrossOrigin;

    let config = config(Keyring::new(key(1)));
    let send = |with_sessions: bool, request: TestRequest| {
        let mut status = 0;
        let lines = capture(|| {
            status = actix_web::rt::System::new().block_on(async {
                let csrf = CsrfMiddleware::new(CrossOrigin::default()).require_token(true);
                let page = || async { HttpResponse::Ok().body("page") };
                let routes = App::new()
                    .route("/page/a", web::get().to(page))
                    .route("/form/b", web::post().to(page))
                    .wrap(csrf);
                if with_sessions {
                    let app = init_service(routes.wrap(SessionMiddleware::new(config.clone())));
                    call_service(&app.await, request.to_request())
                        .await
                        .status()
                        .as_u16()
                } else {
                    let app = init_service(routes).await;
                    call_service(&app, request.to_request())
                        .await
                        .status()
                        .as_u16()
                }
            });
        });
        (status, lines)
    };

    let (status, lines) = send(false, TestRequest::get().uri("/page/a?q=1"));
    assert_eq!(status, 500);
    let line = one_line(&lines, &[]);
    assert!(line.contains("ERROR sealed_session::csrf"), "{line}");
    assert!(line.contains("method=GET"), "{line}");
    assert!(line.contains(r#"path="/page/a""#), "{line}");

    let post = TestRequest::post()
        .uri("/form/b")
        .insert_header(("sec-fetch-site", "same-origin"));
    let (status, lines) = send(true, post);
    assert_eq!(status, 403);
    let line = one_line(&lines, &[]);
    assert!(line.contains("WARN sealed_session::csrf"), "{line}");
    assert!(line.contains("method=POST"), "{line}");
    assert!(line.contains(r#"path="/form/b""#), "{line}");
}

#[cfg(feature = "actix-web")]
#[test]
fn an_actix_session_error_turned_into_a_response_is_logged_without_the_value() {
    use actix_web::ResponseError as _;

    let config = config(Keyring::new(key(1)));
    let mut session = sealed_session::load(&config, &http::Request::new(()));
    session.insert("note", SECRET_VALUE).unwrap();
    let err = session.get::<u64>("note").unwrap_err();
    let lines = capture(|| {
        assert_eq!(err.error_response().status(), 500);
    });
    let line = one_line(&lines, &[SECRET_VALUE]);
    assert!(line.contains("ERROR sealed_session::session"), "{line}");
    assert!(
        line.contains(r#"session key "note" does not hold a u64"#),
        "{line}"
    );
}
