//! One behaviour suite for the session as a user drives it through an
//! adapter: login, read, renew, logout, a session too large, a bad cookie,
//! key rotation, CSRF and flash messages. Each test is written once against
//! the [`Adapter`] trait and instantiated for the tower layer (under an axum
//! `Router`, feature `axum`), the actix-web middleware (feature
//! `actix-web`) and the plain `load`/`save` functions as a hand-written
//! server calls them (feature `tower`, for the handle), so that a behaviour
//! cannot exist on one adapter only.
//!
//! The app itself is written once too ([`app!`]): it calls the same face
//! methods on the tower `SessionHandle` and the actix `Session`, so the two
//! faces having one method set is checked by the compiler.

use sealed_session::csrf::{self, CrossOrigin};
use sealed_session::flash::Level;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use sealed_session::revocation::{
    BoxFuture, MemoryRevocations, RevocationEntry, RevocationError, RevocationStore, Revocations,
    SessionMeta,
};
use sealed_session::{Key, Keyring, SessionConfig, Status};

use crate::common::*;

/// A request as a browser sends it.
struct Req {
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Req {
    fn new(method: &'static str, path: &str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A form body (`application/x-www-form-urlencoded`).
    #[cfg(any(feature = "axum", feature = "actix-web"))]
    fn form(self, body: impl Into<Vec<u8>>) -> Self {
        let mut request = self.header("content-type", "application/x-www-form-urlencoded");
        request.body = body.into();
        request
    }

    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A response as a browser reads it.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The session cookie's `Set-Cookie` lines.
    fn session_cookies(&self) -> Vec<&str> {
        self.all("set-cookie")
            .into_iter()
            .filter(|line| line.starts_with("session="))
            .collect()
    }
}

/// The adapter's cross-origin check on unsafe methods.
#[derive(Clone)]
enum CrossOriginSetup {
    /// What `SessionLayer::new(config)` / `SessionMiddleware::new(config)`
    /// do with nothing more (the plain-functions server applies
    /// `CrossOrigin::default()` itself, as a server without a layer must).
    Default,
    /// `.cross_origin(check)`.
    Configured(CrossOrigin),
    /// `.allow_cross_origin_requests_unsafe()` (the plain-functions server
    /// checks nothing).
    OptedOut,
}

#[cfg(feature = "tower")]
impl CrossOriginSetup {
    /// The check the plain-functions server applies itself.
    fn check(&self) -> Option<CrossOrigin> {
        match self {
            CrossOriginSetup::Default => Some(CrossOrigin::default()),
            CrossOriginSetup::Configured(check) => Some(check.clone()),
            CrossOriginSetup::OptedOut => None,
        }
    }
}

/// How the adapter is set up for a test.
#[derive(Clone)]
struct Setup {
    config: SessionConfig,
    cross_origin: CrossOriginSetup,
    /// The adapter's CSRF token check (only where the adapter has one).
    token_check: bool,
    /// The token layer *outside* the session layer: the wrong order.
    #[cfg_attr(not(any(feature = "axum", feature = "actix-web")), allow(dead_code))]
    token_check_outside: bool,
    /// A revocation store on the adapter.
    revocations: Option<Revocations>,
}

impl Setup {
    fn new(config: SessionConfig) -> Self {
        Self {
            config,
            cross_origin: CrossOriginSetup::Default,
            token_check: false,
            token_check_outside: false,
            revocations: None,
        }
    }
}

/// A framework with this crate's session layer around [`app!`].
trait Adapter {
    fn new(setup: Setup) -> Self;
    async fn send(&self, request: Req) -> Resp;
}

/// The app, written once for both faces: `$session` is a tower
/// `SessionHandle` or an actix `Session`. Answers `(status, body,
/// Cache-Control the app sets)`.
macro_rules! app {
    ($session:expr, $path:expr, $query:expr, $token:expr, $body:expr) => {{
        let session = $session;
        let body: &[u8] = $body;
        let query: Option<&str> = $query;
        let token: Option<&str> = $token;
        let arg = query
            .and_then(|q| q.split_once('='))
            .map(|(_, v)| v.to_owned())
            .unwrap_or_default();
        let mut cache_control: Option<&'static str> = None;
        let answer: (u16, String) = match $path {
            "/login" => {
                session.insert("user", &arg).unwrap();
                session.renew();
                session.renew_csrf();
                (200, "ok".to_owned())
            }
            "/whoami" => {
                let user: Option<String> = session.get("user").unwrap();
                (
                    200,
                    format!("{}|{}", session.status(), user.unwrap_or_default()),
                )
            }
            "/renew" => {
                session.renew();
                (200, "ok".to_owned())
            }
            "/logout" => {
                session.flush();
                (200, "ok".to_owned())
            }
            "/big" => {
                session.insert("blob", &"x".repeat(5_000)).unwrap();
                (200, "ok".to_owned())
            }
            "/size" => (200, session.encoded_len().to_string()),
            "/token" => (200, session.csrf_token()),
            "/verify" => match session.with(|s| csrf::verify(s, token.unwrap_or(""))) {
                Ok(()) => (200, "verified".to_owned()),
                Err(error) => (403, error.to_string()),
            },
            "/flash" => {
                session.add_flash(Level::Success, arg).unwrap();
                (200, "ok".to_owned())
            }
            "/flashes" => {
                let texts: Vec<String> =
                    session.take_flashes().into_iter().map(|m| m.text).collect();
                (200, texts.join(","))
            }
            // The body as the handler received it (after a token layer).
            "/form" if body.is_empty() => (200, "posted".to_owned()),
            "/form" => (200, format!("posted {}", String::from_utf8_lossy(body))),
            // The lifecycle table's rows.
            "/login-only" => {
                session.insert("user", &arg).unwrap();
                session.renew();
                (200, "ok".to_owned())
            }
            "/same" => {
                session.insert("user", &arg).unwrap();
                (200, "ok".to_owned())
            }
            "/logout-then-fail" => {
                session.flush();
                session.add_flash(Level::Info, "logged out").unwrap();
                (500, "boom".to_owned())
            }
            "/logout-then-too-large" => {
                session.flush();
                session.insert("blob", &"x".repeat(5_000)).unwrap();
                (200, "ok".to_owned())
            }
            // Issue 24: a blob of `len` bytes (0 removes it), for chunks.
            "/blob" => {
                match arg.parse::<usize>().unwrap_or(0) {
                    0 => drop(session.remove("blob")),
                    len => session.insert("blob", &"x".repeat(len)).unwrap(),
                }
                (200, "ok".to_owned())
            }
            "/public" => {
                session.insert("seen", &true).unwrap();
                cache_control = Some("public, max-age=600, s-maxage=3600");
                (200, "ok".to_owned())
            }
            _ => (404, String::new()),
        };
        (answer.0, answer.1, cache_control)
    }};
}

/// The tower `SessionLayer` (with the `CsrfLayer` when asked) under an axum
/// `Router`.
#[cfg(feature = "axum")]
mod tower_adapter {
    use ::tower::ServiceExt as _;
    use axum::Router;
    use axum::body::Body;
    use http::{HeaderMap, Response, StatusCode, Uri};
    use sealed_session::tower::{CsrfLayer, SessionHandle, SessionLayer};

    use super::*;

    pub struct Tower(Router);

    async fn handler(
        session: SessionHandle,
        uri: Uri,
        headers: HeaderMap,
        request_body: axum::body::Bytes,
    ) -> Response<Body> {
        let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        let (status, body, cache_control) =
            app!(session, uri.path(), uri.query(), token, &request_body);
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        if let Some(value) = cache_control {
            response
                .headers_mut()
                .insert("cache-control", value.parse().unwrap());
        }
        response
    }

    impl Adapter for Tower {
        fn new(setup: Setup) -> Self {
            let mut router = Router::new().fallback(handler);
            let csrf = CsrfLayer::new(CrossOrigin::default()).require_token(true);
            if setup.token_check && !setup.token_check_outside {
                // Inside the SessionLayer: axum's last layer runs first.
                router = router.layer(csrf.clone());
            }
            let mut layer = SessionLayer::new(setup.config);
            match setup.cross_origin {
                CrossOriginSetup::Default => {}
                CrossOriginSetup::Configured(check) => layer = layer.cross_origin(check),
                CrossOriginSetup::OptedOut => layer = layer.allow_cross_origin_requests_unsafe(),
            }
            if let Some(revocations) = setup.revocations {
                layer = layer.revocations(revocations);
            }
            router = router.layer(layer);
            if setup.token_check && setup.token_check_outside {
                router = router.layer(csrf);
            }
            Tower(router)
        }

        async fn send(&self, request: Req) -> Resp {
            let mut builder = http::Request::builder()
                .method(request.method)
                .uri(request.path);
            for (name, value) in request.headers {
                builder = builder.header(name, value);
            }
            let response = self
                .0
                .clone()
                .oneshot(builder.body(Body::from(request.body)).unwrap())
                .await
                .unwrap();
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            Resp {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        }
    }
}

/// The actix-web `SessionMiddleware` (with its cross-origin check when
/// asked), through `actix_web::test`.
#[cfg(feature = "actix-web")]
mod actix_adapter {
    use actix_web::middleware::Condition;
    use actix_web::test::{TestRequest, call_service, init_service, read_body};
    use actix_web::{App, HttpRequest, HttpResponse, web};
    use sealed_session::actix::{CsrfMiddleware, Session, SessionMiddleware};

    use super::*;

    pub struct Actix(Setup);

    async fn handler(
        session: Session,
        request: HttpRequest,
        request_body: web::Bytes,
    ) -> HttpResponse {
        let token = request
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok());
        let (status, body, cache_control) = app!(
            session,
            request.path(),
            Some(request.query_string()),
            token,
            &request_body
        );
        let mut response =
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
        if let Some(value) = cache_control {
            response.insert_header(("cache-control", value));
        }
        response.body(body)
    }

    impl Adapter for Actix {
        fn new(setup: Setup) -> Self {
            Actix(setup)
        }

        async fn send(&self, request: Req) -> Resp {
            let mut middleware = SessionMiddleware::new(self.0.config.clone());
            match &self.0.cross_origin {
                CrossOriginSetup::Default => {}
                CrossOriginSetup::Configured(check) => {
                    middleware = middleware.cross_origin(check.clone());
                }
                CrossOriginSetup::OptedOut => {
                    middleware = middleware.allow_cross_origin_requests_unsafe();
                }
            }
            if let Some(revocations) = self.0.revocations.clone() {
                middleware = middleware.revocations(revocations);
            }
            // Inside the SessionMiddleware: actix-web's last `wrap` runs first.
            let csrf = |on: bool| {
                Condition::new(
                    on,
                    CsrfMiddleware::new(CrossOrigin::default()).require_token(true),
                )
            };
            let outside = self.0.token_check_outside;
            let app = init_service(
                App::new()
                    .default_service(web::to(handler))
                    .wrap(csrf(self.0.token_check && !outside))
                    .wrap(middleware)
                    .wrap(csrf(self.0.token_check && outside)),
            )
            .await;
            let mut test = TestRequest::default()
                .method(request.method.parse().unwrap())
                .uri(&request.path);
            for (name, value) in request.headers {
                test = test.append_header((name, value));
            }
            test = test.set_payload(request.body);
            let response = call_service(&app, test.to_request()).await;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                .collect();
            let body = read_body(response).await;
            Resp {
                status,
                headers,
                body: String::from_utf8(body.to_vec()).unwrap(),
            }
        }
    }
}

/// The plain functions, as a server without a session layer uses them:
/// `load`, the app, `save`, answering a failed save with its status and a
/// cross-origin request with 403. The app gets the session through a tower
/// `SessionHandle`, the face the app macro needs.
#[cfg(feature = "tower")]
mod plain_adapter {
    use sealed_session::tower::SessionHandle;

    use super::*;

    pub struct Plain(Setup);

    impl Adapter for Plain {
        fn new(setup: Setup) -> Self {
            assert!(!setup.token_check, "the plain functions check no token");
            Plain(setup)
        }

        // One task, and the handler is done: the guard held across the
        // revocation's await blocks no one.
        #[allow(clippy::await_holding_lock)]
        async fn send(&self, request: Req) -> Resp {
            let mut builder = http::Request::builder()
                .method(request.method)
                .uri(request.path);
            for (name, value) in request.headers {
                builder = builder.header(name, value);
            }
            let request = builder.body(request.body).unwrap();
            if let Some(check) = self.0.cross_origin.check() {
                if let Err(refused) = check.check(&request) {
                    return Resp {
                        status: 403,
                        headers: Vec::new(),
                        body: format!("{refused}\n"),
                    };
                }
            }
            let mut loaded = sealed_session::load(&self.0.config, &request);
            if let Some(revocations) = &self.0.revocations {
                let _ = revocations.check(&mut loaded).await;
            }
            let session = SessionHandle::new(loaded);
            let token = request
                .headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok());
            let (status, body, cache_control) = app!(
                &session,
                request.uri().path(),
                request.uri().query(),
                token,
                request.body()
            );
            let mut response = http::Response::new(body);
            *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
            if let Some(value) = cache_control {
                response
                    .headers_mut()
                    .insert("cache-control", value.parse().unwrap());
            }
            // `save` itself keeps a flushed session's removal on a failure.
            if let Err(error) = sealed_session::save(&self.0.config, &session.lock(), &mut response)
            {
                *response.status_mut() = error.status();
                response.body_mut().clear();
            }
            if let Some(revocations) = &self.0.revocations {
                let _ = revocations.revoke_ended(&session.lock()).await;
            }
            Resp {
                status: response.status().as_u16(),
                headers: response
                    .headers()
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                    .collect(),
                body: response.into_body(),
            }
        }
    }
}

/// A browser: an adapter and a cookie jar holding the session cookie.
struct Browser<A> {
    adapter: A,
    cookie: Option<String>,
}

impl<A: Adapter> Browser<A> {
    fn new(setup: Setup) -> Self {
        Self {
            adapter: A::new(setup),
            cookie: None,
        }
    }

    fn with_config(config: SessionConfig) -> Self {
        Self::new(Setup::new(config))
    }

    /// Sends `request` with the jar's cookie and keeps what the response's
    /// session `Set-Cookie` says.
    async fn send(&mut self, request: Req) -> Resp {
        let request = match &self.cookie {
            Some(cookie) => request.header("cookie", cookie.clone()),
            None => request,
        };
        let response = self.adapter.send(request).await;
        if let Some(line) = response.session_cookies().last() {
            self.cookie = if is_removal(line) {
                None
            } else {
                Some(pair(line).to_owned())
            };
        }
        response
    }

    async fn get(&mut self, path: &str) -> Resp {
        self.send(Req::new("GET", path)).await
    }

    async fn post(&mut self, path: &str) -> Resp {
        self.send(Req::new("POST", path)).await
    }
}

fn config() -> SessionConfig {
    config_with(&TestClock::new(), |b| b)
}

async fn login_then_read<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    let response = browser.post("/login?user=ada").await;
    assert_eq!((response.status, response.body.as_str()), (200, "ok"));
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    assert_eq!(response.all("vary"), ["Cookie"]);
    assert!(browser.cookie.is_some());

    let response = browser.get("/whoami").await;
    assert_eq!(response.body, "loaded|ada");
    assert!(
        response.session_cookies().is_empty(),
        "a read writes nothing"
    );
    assert_eq!(response.all("vary"), ["Cookie"]);

    let size: usize = browser.get("/size").await.body.parse().unwrap();
    assert!(size > "ada".len(), "{size}");
}

async fn renew_reissues_the_session_with_its_data<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;
    let before = browser.cookie.clone().unwrap();

    let response = browser.post("/renew").await;
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    let after = browser.cookie.clone().unwrap();
    assert_ne!(before, after);
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

async fn logout_removes_the_cookie<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;

    let response = browser.post("/logout").await;
    let cookies = response.session_cookies();
    assert_eq!(cookies.len(), 1, "{response:?}");
    assert!(is_removal(cookies[0]), "{cookies:?}");
    assert!(browser.cookie.is_none());
    assert_eq!(browser.get("/whoami").await.body, "new|");
}

async fn too_large_is_413_and_keeps_the_previous_cookie<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;
    let before = browser.cookie.clone();

    let response = browser.post("/big").await;
    assert_eq!(response.status, 413, "{response:?}");
    assert!(response.session_cookies().is_empty(), "{response:?}");
    assert_eq!(response.all("vary"), ["Cookie"]);
    assert_eq!(browser.cookie, before);
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

async fn a_bad_cookie_gives_a_new_session_that_says_why<A: Adapter>() {
    let config = config();
    let mut browser = Browser::<A>::with_config(config.clone());
    browser.post("/login?user=ada").await;
    let good = browser.cookie.clone().unwrap();

    // One character of the sealed value changed: tampered.
    let (name, value) = good.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    // The middle character: every one of its bits is in the value (the
    // last one may carry only padding bits).
    let middle = bytes.len() / 2;
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
    for bad in [tampered.as_str(), "session=not-a-sealed-value"] {
        browser.cookie = Some(bad.to_owned());
        let response = browser.get("/whoami").await;
        assert_eq!(response.status, 200);
        let expected = format!("{}|", load_cookie(&config, bad).status());
        assert!(expected.starts_with("invalid: "), "{expected}");
        assert_eq!(response.body, expected);
        // The bad cookie is removed.
        let cookies = response.session_cookies();
        assert_eq!(cookies.len(), 1, "{response:?}");
        assert!(is_removal(cookies[0]), "{cookies:?}");
    }

    // A login after it starts a fresh session.
    browser.post("/login?user=bob").await;
    assert_eq!(browser.get("/whoami").await.body, "loaded|bob");
}

async fn a_rotated_key_opens_under_the_fallback_and_re_seals<A: Adapter>() {
    let clock = TestClock::new();
    let old = config_with(&clock, |b| b);
    let cookie = issue(&old, &[("user", "ada")]);
    let rotated = clock
        .install(SessionConfig::builder(
            Keyring::new(Key::from_bytes(&[9; 32]).unwrap()).with_fallback(key(1)),
        ))
        .build()
        .unwrap();
    let mut browser = Browser::<A>::with_config(rotated);
    browser.cookie = Some(cookie.clone());

    // A read is enough: the adapter re-seals under the primary.
    let response = browser.get("/whoami").await;
    assert_eq!(response.body, "loaded-with-fallback|ada");
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    let resealed = browser.cookie.clone().unwrap();
    assert_ne!(resealed, cookie);

    let primary_only = clock
        .install(SessionConfig::builder(Keyring::new(
            Key::from_bytes(&[9; 32]).unwrap(),
        )))
        .build()
        .unwrap();
    assert_eq!(
        load_cookie(&primary_only, &resealed).status(),
        Status::Loaded
    );

    let response = browser.get("/whoami").await;
    assert_eq!(response.body, "loaded|ada");
    assert!(response.session_cookies().is_empty(), "{response:?}");
}

/// Secure by default (issue 23): with nothing but `SessionLayer::new` /
/// `SessionMiddleware::new`, a cross-origin POST is refused before the
/// handler runs.
async fn a_cross_origin_post_is_refused_by_default<A: Adapter>() {
    let mut browser = Browser::<A>::new(Setup::new(config()));
    // A request with neither `Sec-Fetch-Site` nor `Origin` is not a
    // browser's cross-site one: it passes.
    browser.post("/login?user=ada").await;
    assert!(browser.cookie.is_some());

    let forged = Req::new("POST", "/logout").header("sec-fetch-site", "cross-site");
    let response = browser.send(forged).await;
    assert_eq!(response.status, 403, "{response:?}");
    assert_eq!(
        response.body,
        "cross-site request (Sec-Fetch-Site: cross-site)\n"
    );
    assert!(response.session_cookies().is_empty());
    assert!(response.all("vary").is_empty(), "the session was not read");
    let forged = Req::new("POST", "/logout")
        .header("host", "shop.example")
        .header("origin", "https://evil.example");
    let response = browser.send(forged).await;
    assert_eq!(response.status, 403, "{response:?}");
    assert_eq!(response.body, "Origin does not match the request's host\n");
    assert!(response.session_cookies().is_empty());

    // The session survived; a safe method and a same-origin POST pass.
    let response = browser
        .send(Req::new("GET", "/whoami").header("sec-fetch-site", "cross-site"))
        .await;
    assert_eq!(response.body, "loaded|ada");
    let own = Req::new("POST", "/logout").header("sec-fetch-site", "same-origin");
    let response = browser.send(own).await;
    assert!(is_removal(response.session_cookies()[0]));
}

/// Login CSRF: another site posts its own credentials to the login form so
/// that the visitor ends up in the attacker's account. Refused with no
/// configuration, whether the browser sends `Sec-Fetch-Site` or only
/// `Origin`; the app's own login form passes.
async fn login_csrf_is_refused_by_default<A: Adapter>() {
    let mut browser = Browser::<A>::new(Setup::new(config()));
    let forged = Req::new("POST", "/login?user=mallory")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .header("host", "shop.example");
    let response = browser.send(forged).await;
    assert_eq!(response.status, 403, "{response:?}");
    assert!(response.session_cookies().is_empty(), "{response:?}");
    assert!(browser.cookie.is_none());
    let forged = Req::new("POST", "/login?user=mallory")
        .header("origin", "http://localhost:9000")
        .header("host", "127.0.0.1:8080");
    let response = browser.send(forged).await;
    assert_eq!(response.status, 403, "{response:?}");
    assert!(browser.cookie.is_none());

    let own = Req::new("POST", "/login?user=ada")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "https://shop.example")
        .header("host", "shop.example");
    let response = browser.send(own).await;
    assert_eq!((response.status, response.body.as_str()), (200, "ok"));
    let own = Req::new("POST", "/renew")
        .header("origin", "https://shop.example")
        .header("host", "shop.example");
    assert_eq!(browser.send(own).await.status, 200);
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

/// The opt-out, named for what it turns off, lets a cross-site POST in.
async fn the_opt_out_lets_a_cross_site_post_through<A: Adapter>() {
    let mut setup = Setup::new(config());
    setup.cross_origin = CrossOriginSetup::OptedOut;
    let mut browser = Browser::<A>::new(setup);
    let forged = Req::new("POST", "/login?user=mallory").header("sec-fetch-site", "cross-site");
    let response = browser.send(forged).await;
    assert_eq!((response.status, response.body.as_str()), (200, "ok"));
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    assert_eq!(browser.get("/whoami").await.body, "loaded|mallory");
}

/// A configured check replaces the default one: a trusted origin passes,
/// another is still refused.
async fn a_configured_check_trusts_its_origins<A: Adapter>() {
    let mut setup = Setup::new(config());
    setup.cross_origin = CrossOriginSetup::Configured(
        CrossOrigin::builder()
            .trusted_origin("https://sso.example.com")
            .build()
            .unwrap(),
    );
    let mut browser = Browser::<A>::new(setup);
    let from_sso = Req::new("POST", "/login?user=ada")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://sso.example.com");
    let response = browser.send(from_sso).await;
    assert_eq!((response.status, response.body.as_str()), (200, "ok"));
    let forged = Req::new("POST", "/logout")
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example");
    assert_eq!(browser.send(forged).await.status, 403);
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

async fn a_csrf_token_verifies_through_the_face_and_rotates_at_login<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    let response = browser.get("/token").await;
    // The secret is new: the session is saved with it.
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    let token = response.body;

    let verify = |token: &str| Req::new("POST", "/verify").header("x-csrf-token", token);
    assert_eq!(browser.send(verify(&token)).await.body, "verified");
    // Masked per response: a second token differs and verifies too.
    let second = browser.get("/token").await.body;
    assert_ne!(second, token);
    assert_eq!(browser.send(verify(&second)).await.body, "verified");
    assert_eq!(browser.send(verify("bogus")).await.status, 403);

    // Login rotates the secret: a token from before it no longer verifies.
    browser.post("/login?user=ada").await;
    assert_eq!(browser.send(verify(&token)).await.status, 403);
    let fresh = browser.get("/token").await.body;
    assert_eq!(browser.send(verify(&fresh)).await.body, "verified");
}

async fn a_flash_is_read_once<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    let response = browser.post("/flash?text=saved").await;
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    browser.post("/flash?text=again").await;

    let response = browser.get("/flashes").await;
    assert_eq!(response.body, "saved,again");
    // Taking them changed the session: saved without them.
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    assert_eq!(browser.get("/flashes").await.body, "");
}

// ---------------------------------------------------------------------------
// The lifecycle table (DESIGN.md §7, docs::save_rules): one test per row
// that an adapter takes part in, run through every adapter. Each names the
// point of issue 22 it pins.
// ---------------------------------------------------------------------------

/// A revocation store that can be switched off, as a Redis outage would.
#[derive(Clone, Default)]
struct Switch {
    inner: Arc<MemoryRevocations>,
    down: Arc<AtomicBool>,
}

impl Switch {
    fn result<T>(&self, ok: T) -> Result<T, RevocationError> {
        if self.down.load(Ordering::SeqCst) {
            Err(RevocationError::Timeout(StdDuration::from_millis(1)))
        } else {
            Ok(ok)
        }
    }
}

impl RevocationStore for Switch {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(async move {
            let revoked = self.inner.is_revoked(meta).await?;
            self.result(revoked)
        })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a RevocationEntry,
        ttl: StdDuration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            self.result(())?;
            self.inner.revoke(entry, ttl).await
        })
    }
}

/// A browser on an adapter with session ids and the [`Switch`] store.
fn with_store<A: Adapter>() -> (Browser<A>, Switch) {
    let config = config_with(&TestClock::new(), |b| b.session_ids(true));
    let store = Switch::default();
    let mut setup = Setup::new(config.clone());
    setup.revocations = Some(Revocations::new(store.clone(), &config));
    (Browser::new(setup), store)
}

/// Point 4: a logout followed by a write in a response that ends in a 5xx
/// still removes the cookie (before: no `Set-Cookie` at all, so the old
/// cookie stayed valid).
async fn a_logout_then_a_server_error_still_removes_the_cookie<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;
    let response = browser.post("/logout-then-fail").await;
    assert_eq!(response.status, 500, "{response:?}");
    let cookies = response.session_cookies();
    assert_eq!(cookies.len(), 1, "{response:?}");
    assert!(is_removal(cookies[0]), "{cookies:?}");
    assert_eq!(browser.get("/whoami").await.body, "new|");
}

/// Point 4: the same when the new session cannot be saved (too large):
/// the error answer carries the removal.
async fn a_logout_then_a_failed_save_still_removes_the_cookie<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;
    let response = browser.post("/logout-then-too-large").await;
    assert_eq!(response.status, 413, "{response:?}");
    let cookies = response.session_cookies();
    assert_eq!(cookies.len(), 1, "{response:?}");
    assert!(is_removal(cookies[0]), "{cookies:?}");
    assert_eq!(browser.get("/whoami").await.body, "new|");
}

/// Point 9: storing the value already there is no change and writes no
/// cookie; another value does.
async fn an_equal_value_stored_again_writes_no_cookie<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;
    let response = browser.post("/same?user=ada").await;
    assert!(response.session_cookies().is_empty(), "{response:?}");
    let response = browser.post("/same?user=bob").await;
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    assert_eq!(browser.get("/whoami").await.body, "loaded|bob");
}

/// Point 10: a response that carries a new session cookie is never
/// storable by a shared cache, whatever `Cache-Control` the app set.
async fn a_public_response_with_a_session_cookie_is_made_private<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    let response = browser.get("/public").await;
    assert_eq!(response.session_cookies().len(), 1, "{response:?}");
    let cache_control = response.all("cache-control").join(", ");
    assert_eq!(cache_control, "max-age=600, private", "{response:?}");
}

/// Point 5: a request whose cookies were not all examined (more candidates
/// than are tried) gets nothing sealed over the real cookie, even when the
/// handler writes; the real cookie loads on the next request.
async fn an_unexamined_cookie_is_never_sealed_over<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    browser.post("/login?user=ada").await;
    let real = browser.cookie.clone().unwrap();
    let mut junk: Vec<String> = (0..sealed_session::cookies::MAX_CANDIDATES)
        .map(|i| format!("session=junk{i}"))
        .collect();
    junk.push(real.clone());
    let flood = |path: &str| Req::new("GET", path).header("cookie", junk.join("; "));
    let response = browser.adapter.send(flood("/whoami")).await;
    assert_eq!(response.body, "truncated|");
    // A write (a CSRF secret) on the cut request seals nothing.
    let response = browser.adapter.send(flood("/token")).await;
    assert_eq!(response.status, 200);
    assert!(response.session_cookies().is_empty(), "{response:?}");
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

/// Point 8: a login (`renew` alone) rotates the CSRF secret.
async fn a_login_rotates_the_csrf_secret<A: Adapter>() {
    let mut browser = Browser::<A>::with_config(config());
    let before = browser.get("/token").await.body;
    browser.post("/login-only?user=ada").await;
    let verify = Req::new("POST", "/verify").header("x-csrf-token", before);
    assert_eq!(browser.send(verify).await.status, 403);
}

/// Point 7: a cookie sealed by a server whose clock runs an hour ahead is
/// not honoured (it would escape `not_before` and revocation), and is
/// removed.
async fn a_cookie_from_the_future_is_not_honoured<A: Adapter>() {
    let ahead = TestClock::new();
    ahead.advance(sealed_session::time::Duration::hours(1));
    let cookie = issue(&config_with(&ahead, |b| b), &[("user", "ada")]);
    let mut browser = Browser::<A>::with_config(config());
    browser.cookie = Some(cookie);
    let response = browser.get("/whoami").await;
    assert_eq!(response.body, "invalid: created or sealed in the future|");
    assert!(is_removal(response.session_cookies()[0]), "{response:?}");
}

/// Point 3: a login revokes the pre-login id (a cookie copied before it no
/// longer loads), and a logout after it revokes the new one: both stay
/// refused.
async fn a_login_revokes_the_pre_login_id_and_a_logout_the_new_one<A: Adapter>() {
    let (mut browser, _store) = with_store::<A>();
    browser.get("/token").await;
    let anonymous = browser.cookie.clone().unwrap();
    browser.post("/login-only?user=ada").await;
    let logged_in = browser.cookie.clone().unwrap();
    assert_ne!(anonymous, logged_in);

    let mut thief = Browser::<A> {
        adapter: browser.adapter,
        cookie: Some(anonymous.clone()),
    };
    assert_eq!(thief.get("/whoami").await.body, "revoked|");
    thief.cookie = Some(logged_in.clone());
    assert_eq!(thief.get("/whoami").await.body, "loaded|ada");
    thief.post("/logout").await;
    for copy in [anonymous, logged_in] {
        thief.cookie = Some(copy);
        assert_eq!(thief.get("/whoami").await.body, "revoked|");
    }
}

/// Point 2: a store that cannot answer means the session is not honoured
/// for that request, and its cookie is neither removed nor sealed over,
/// even by a write; once the store answers again, the user is back.
async fn a_store_outage_leaves_the_cookie_alone<A: Adapter>() {
    let (mut browser, store) = with_store::<A>();
    browser.post("/login?user=ada").await;
    let cookie = browser.cookie.clone().unwrap();

    store.down.store(true, Ordering::SeqCst);
    let response = browser.get("/whoami").await;
    assert_eq!(response.body, "unverified|");
    assert!(response.session_cookies().is_empty(), "{response:?}");
    let response = browser.post("/flash?text=hello").await;
    assert!(response.session_cookies().is_empty(), "{response:?}");
    assert_eq!(browser.cookie.as_deref(), Some(cookie.as_str()));

    store.down.store(false, Ordering::SeqCst);
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

/// Issue 24: a browser's jar for a chunked session: every cookie named
/// `session` or `session.k`, as `Set-Cookie` lines leave it.
struct ChunkJar<A> {
    adapter: A,
    cookies: Vec<(String, String)>,
}

impl<A: Adapter> ChunkJar<A> {
    fn new(chunks: usize) -> Self {
        Self {
            adapter: A::new(Setup::new(config_with(&TestClock::new(), |b| {
                b.max_chunks(chunks)
            }))),
            cookies: Vec::new(),
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect();
        pairs.join("; ")
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.cookies.iter().map(|(n, _)| n.as_str()).collect();
        names.sort_unstable();
        names
    }

    async fn send(&mut self, method: &'static str, path: &str) -> Resp {
        let mut request = Req::new(method, path);
        if !self.cookies.is_empty() {
            request = request.header("cookie", self.header());
        }
        let response = self.adapter.send(request).await;
        for line in response.all("set-cookie") {
            let (name, value) = pair(line).split_once('=').unwrap();
            if name != "session" && !name.starts_with("session.") {
                continue;
            }
            self.cookies.retain(|(n, _)| n != name);
            if !is_removal(line) {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        response
    }
}

/// The `Set-Cookie` names of a response, with `-` for a removal.
fn set_cookie_names(response: &Resp) -> Vec<String> {
    response
        .all("set-cookie")
        .into_iter()
        .map(|line| {
            let name = pair(line).split_once('=').unwrap().0;
            if is_removal(line) {
                format!("-{name}")
            } else {
                name.to_owned()
            }
        })
        .collect()
}

/// Issue 24: a session of about 10 KB goes out as three cookies, each
/// within 4,096 bytes, comes back whole, and a logout removes all three.
async fn a_chunked_session_round_trips_and_a_logout_removes_every_chunk<A: Adapter>() {
    let mut jar = ChunkJar::<A>::new(3);
    jar.send("POST", "/login?user=ada").await;
    let response = jar.send("POST", "/blob?len=7300").await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        set_cookie_names(&response),
        ["session", "session.1", "session.2"]
    );
    for line in response.all("set-cookie") {
        assert!(pair(line).len() <= 4_096);
    }
    assert_eq!(jar.get_whoami().await, "loaded|ada");
    let response = jar.send("POST", "/logout").await;
    assert_eq!(
        set_cookie_names(&response),
        ["-session", "-session.1", "-session.2"]
    );
    assert!(jar.cookies.is_empty());
}

/// Issue 24: shrinking a three-cookie session to one cookie removes the
/// two chunks it no longer uses; growing past what the chunks carry is a
/// 413 that keeps every cookie.
async fn a_shrunk_chunked_session_leaves_no_orphan_and_too_large_keeps_all<A: Adapter>() {
    let mut jar = ChunkJar::<A>::new(3);
    jar.send("POST", "/login?user=ada").await;
    jar.send("POST", "/blob?len=7300").await;
    assert_eq!(jar.names(), ["session", "session.1", "session.2"]);
    let before = jar.header();
    let response = jar.send("POST", "/blob?len=20000").await;
    assert_eq!(response.status, 413, "{response:?}");
    assert!(response.all("set-cookie").is_empty());
    assert_eq!(jar.header(), before);

    let response = jar.send("POST", "/blob?len=1000").await;
    assert_eq!(
        set_cookie_names(&response),
        ["session", "-session.1", "-session.2"]
    );
    assert_eq!(jar.names(), ["session"]);
    assert_eq!(jar.get_whoami().await, "loaded|ada");
}

/// Issue 24: a chunk lost (or one from an older save) invalidates the whole
/// session, and the next response removes what the request carried.
async fn a_missing_or_stale_chunk_invalidates_the_whole_session<A: Adapter>() {
    let mut jar = ChunkJar::<A>::new(3);
    jar.send("POST", "/login?user=ada").await;
    jar.send("POST", "/blob?len=7300").await;
    let old = jar.cookies.clone();
    // The same data sealed anew: chunks of the same lengths.
    jar.send("POST", "/same?user=bob").await;
    // session.1 from the older save.
    let stale = old.iter().find(|(n, _)| n == "session.1").unwrap().clone();
    jar.cookies.retain(|(n, _)| n != "session.1");
    jar.cookies.push(stale);
    let response = jar.send("GET", "/whoami").await;
    assert_eq!(response.body, "invalid: tampered|");
    assert_eq!(
        set_cookie_names(&response),
        ["-session", "-session.1", "-session.2"]
    );

    let mut jar = ChunkJar::<A>::new(3);
    jar.send("POST", "/login?user=ada").await;
    jar.send("POST", "/blob?len=7300").await;
    jar.cookies.retain(|(n, _)| n != "session.2");
    let response = jar.send("GET", "/whoami").await;
    assert_eq!(response.body, "invalid: chunks: chunk 2 is missing|");
    assert_eq!(set_cookie_names(&response), ["-session", "-session.1"]);
}

impl<A: Adapter> ChunkJar<A> {
    async fn get_whoami(&mut self) -> String {
        self.send("GET", "/whoami").await.body
    }
}

/// Emits one test per behaviour for an adapter, run under `$runtime`.
macro_rules! instantiate {
    ($adapter:ty, $runtime:meta) => {
        #[$runtime]
        async fn login_then_read() {
            super::login_then_read::<$adapter>().await;
        }

        #[$runtime]
        async fn renew_reissues_the_session_with_its_data() {
            super::renew_reissues_the_session_with_its_data::<$adapter>().await;
        }

        #[$runtime]
        async fn logout_removes_the_cookie() {
            super::logout_removes_the_cookie::<$adapter>().await;
        }

        #[$runtime]
        async fn too_large_is_413_and_keeps_the_previous_cookie() {
            super::too_large_is_413_and_keeps_the_previous_cookie::<$adapter>().await;
        }

        #[$runtime]
        async fn a_bad_cookie_gives_a_new_session_that_says_why() {
            super::a_bad_cookie_gives_a_new_session_that_says_why::<$adapter>().await;
        }

        #[$runtime]
        async fn a_rotated_key_opens_under_the_fallback_and_re_seals() {
            super::a_rotated_key_opens_under_the_fallback_and_re_seals::<$adapter>().await;
        }

        #[$runtime]
        async fn a_cross_origin_post_is_refused_by_default() {
            super::a_cross_origin_post_is_refused_by_default::<$adapter>().await;
        }

        #[$runtime]
        async fn login_csrf_is_refused_by_default() {
            super::login_csrf_is_refused_by_default::<$adapter>().await;
        }

        #[$runtime]
        async fn the_opt_out_lets_a_cross_site_post_through() {
            super::the_opt_out_lets_a_cross_site_post_through::<$adapter>().await;
        }

        #[$runtime]
        async fn a_configured_check_trusts_its_origins() {
            super::a_configured_check_trusts_its_origins::<$adapter>().await;
        }

        #[$runtime]
        async fn a_csrf_token_verifies_through_the_face_and_rotates_at_login() {
            super::a_csrf_token_verifies_through_the_face_and_rotates_at_login::<$adapter>().await;
        }

        #[$runtime]
        async fn a_flash_is_read_once() {
            super::a_flash_is_read_once::<$adapter>().await;
        }

        #[$runtime]
        async fn a_logout_then_a_server_error_still_removes_the_cookie() {
            super::a_logout_then_a_server_error_still_removes_the_cookie::<$adapter>().await;
        }

        #[$runtime]
        async fn a_logout_then_a_failed_save_still_removes_the_cookie() {
            super::a_logout_then_a_failed_save_still_removes_the_cookie::<$adapter>().await;
        }

        #[$runtime]
        async fn an_equal_value_stored_again_writes_no_cookie() {
            super::an_equal_value_stored_again_writes_no_cookie::<$adapter>().await;
        }

        #[$runtime]
        async fn a_public_response_with_a_session_cookie_is_made_private() {
            super::a_public_response_with_a_session_cookie_is_made_private::<$adapter>().await;
        }

        #[$runtime]
        async fn an_unexamined_cookie_is_never_sealed_over() {
            super::an_unexamined_cookie_is_never_sealed_over::<$adapter>().await;
        }

        #[$runtime]
        async fn a_login_rotates_the_csrf_secret() {
            super::a_login_rotates_the_csrf_secret::<$adapter>().await;
        }

        #[$runtime]
        async fn a_cookie_from_the_future_is_not_honoured() {
            super::a_cookie_from_the_future_is_not_honoured::<$adapter>().await;
        }

        #[$runtime]
        async fn a_login_revokes_the_pre_login_id_and_a_logout_the_new_one() {
            super::a_login_revokes_the_pre_login_id_and_a_logout_the_new_one::<$adapter>().await;
        }

        #[$runtime]
        async fn a_store_outage_leaves_the_cookie_alone() {
            super::a_store_outage_leaves_the_cookie_alone::<$adapter>().await;
        }

        #[$runtime]
        async fn a_chunked_session_round_trips_and_a_logout_removes_every_chunk() {
            super::a_chunked_session_round_trips_and_a_logout_removes_every_chunk::<$adapter>()
                .await;
        }

        #[$runtime]
        async fn a_shrunk_chunked_session_leaves_no_orphan_and_too_large_keeps_all() {
            super::a_shrunk_chunked_session_leaves_no_orphan_and_too_large_keeps_all::<$adapter>()
                .await;
        }

        #[$runtime]
        async fn a_missing_or_stale_chunk_invalidates_the_whole_session() {
            super::a_missing_or_stale_chunk_invalidates_the_whole_session::<$adapter>().await;
        }
    };
}

// ---------------------------------------------------------------------------
// The token layers (tower `CsrfLayer`, actix-web `CsrfMiddleware`): one
// suite, same rejections and statuses. The plain functions have no token
// layer.
// ---------------------------------------------------------------------------

#[cfg(any(feature = "axum", feature = "actix-web"))]
/// A browser logged in as `ada` under the token layer, and a token for its
/// session.
async fn under_the_token_layer<A: Adapter>() -> (Browser<A>, String) {
    let mut setup = Setup::new(config());
    setup.token_check = true;
    let mut browser = Browser::<A>::new(setup);
    let token = browser.get("/token").await.body;
    let response = browser
        .send(Req::new("POST", "/login?user=ada").header("x-csrf-token", token))
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    // The login rotated the secret: a token for the new one.
    let token = browser.get("/token").await.body;
    (browser, token)
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
/// Asserts a refusal that did not reach the app: the status, the one-line
/// reason, no cookie, the session as it was.
async fn assert_refused<A: Adapter>(
    browser: &mut Browser<A>,
    request: Req,
    status: u16,
    reason: &str,
) {
    let response = browser.send(request).await;
    assert_eq!(response.status, status, "{response:?}");
    assert_eq!(response.body, format!("{reason}\n"));
    assert_eq!(response.all("content-type"), ["text/plain; charset=utf-8"]);
    assert!(response.session_cookies().is_empty(), "{response:?}");
    assert_eq!(browser.get("/whoami").await.body, "loaded|ada");
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
async fn the_token_layer_refuses_a_post_without_the_token<A: Adapter>() {
    let (mut browser, token) = under_the_token_layer::<A>().await;
    let forged = Req::new("POST", "/login?user=mallory");
    assert_refused(&mut browser, forged, 403, "CSRF token missing").await;
    let response = browser
        .send(Req::new("POST", "/form").header("x-csrf-token", token))
        .await;
    assert_eq!((response.status, response.body.as_str()), (200, "posted"));
    // Safe methods need no token.
    assert_eq!(browser.get("/whoami").await.status, 200);
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
async fn a_form_token_passes_and_the_body_reaches_the_handler_unchanged<A: Adapter>() {
    let (mut browser, token) = under_the_token_layer::<A>().await;
    let body = format!("item=green+tea&csrf_token={token}&note=%E2%9C%93&x=");
    let response = browser
        .send(Req::new("POST", "/form").form(body.clone()))
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.body, format!("posted {body}"));
    // Any `charset` parameter, any case.
    let response = browser
        .send(
            Req::new("POST", "/form")
                .header(
                    "content-type",
                    "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
                )
                .form(format!("csrf_token={token}")),
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    // A JSON body is not read: the header must carry the token.
    let response = browser
        .send(
            Req::new("POST", "/form")
                .header("content-type", "application/json")
                .header("x-csrf-token", token),
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
async fn the_token_layers_rejections_and_statuses<A: Adapter>() {
    let (mut browser, token) = under_the_token_layer::<A>().await;
    let post = || Req::new("POST", "/login?user=mallory");
    let bogus = "A".repeat(86);
    for (request, status, reason) in [
        (
            post().header("x-csrf-token", bogus.clone()),
            403,
            "CSRF token does not match the session",
        ),
        (
            post().header("x-csrf-token", "short"),
            403,
            "CSRF token malformed",
        ),
        (
            post().form(format!("csrf_token={bogus}")),
            403,
            "CSRF token does not match the session",
        ),
        (
            post()
                .form(format!("csrf_token={token}"))
                .header("x-csrf-token", token.clone()),
            400,
            "CSRF token in both the header and the form",
        ),
        (
            post()
                .header("x-csrf-token", token.clone())
                .header("x-csrf-token", token.clone()),
            400,
            "more than one CSRF token",
        ),
        (
            post().form(format!("csrf_token={token}&csrf_token={token}")),
            400,
            "more than one CSRF token",
        ),
        (
            post().form(b"csrf_token=\xff".to_vec()),
            400,
            "form body is not UTF-8",
        ),
        (
            post().form(format!(
                "csrf_token={token}&pad={}",
                "x".repeat(sealed_session::csrf::CSRF_BODY_LIMIT)
            )),
            413,
            "request body over the 1048576-byte limit",
        ),
        (
            post()
                .header("sec-fetch-site", "cross-site")
                .header("x-csrf-token", token.clone()),
            403,
            "cross-site request (Sec-Fetch-Site: cross-site)",
        ),
    ] {
        assert_refused(&mut browser, request, status, reason).await;
    }
    // The token itself still works.
    let response = browser
        .send(Req::new("POST", "/form").form(format!("csrf_token={token}")))
        .await;
    assert_eq!(response.status, 200, "{response:?}");
}

/// A token layer outside the session layer cannot work: the first request,
/// a `GET` as much as a `POST`, is a 500 that says which goes inside which,
/// and the app is never reached.
#[cfg(any(feature = "axum", feature = "actix-web"))]
async fn a_token_layer_outside_the_session_layer_fails_on_the_first_request<A: Adapter>() {
    let mut setup = Setup::new(config());
    setup.token_check = true;
    setup.token_check_outside = true;
    let mut browser = Browser::<A>::new(setup);
    let tower = "CsrfLayer must be inside SessionLayer: with axum's Router, add \
                 .layer(CsrfLayer) before .layer(SessionLayer); with tower's ServiceBuilder, \
                 .layer(SessionLayer) before .layer(CsrfLayer)\n";
    let actix = "CsrfMiddleware must be inside SessionMiddleware: call .wrap(CsrfMiddleware) \
                 before .wrap(SessionMiddleware)\n";
    for request in [
        Req::new("GET", "/token"),
        Req::new("HEAD", "/whoami"),
        Req::new("POST", "/login?user=ada"),
    ] {
        let method = request.method;
        let response = browser.send(request).await;
        assert_eq!(response.status, 500, "{method}: {response:?}");
        if method != "HEAD" {
            assert!(
                response.body == tower || response.body == actix,
                "{method}: {response:?}"
            );
        }
        assert!(response.session_cookies().is_empty(), "{response:?}");
    }
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
/// Emits the token-layer tests for an adapter that has one.
macro_rules! instantiate_token_layer {
    ($adapter:ty, $runtime:meta) => {
        #[$runtime]
        async fn the_token_layer_refuses_a_post_without_the_token() {
            super::the_token_layer_refuses_a_post_without_the_token::<$adapter>().await;
        }

        #[$runtime]
        async fn a_form_token_passes_and_the_body_reaches_the_handler_unchanged() {
            super::a_form_token_passes_and_the_body_reaches_the_handler_unchanged::<$adapter>()
                .await;
        }

        #[$runtime]
        async fn the_token_layers_rejections_and_statuses() {
            super::the_token_layers_rejections_and_statuses::<$adapter>().await;
        }

        #[$runtime]
        async fn a_token_layer_outside_the_session_layer_fails_on_the_first_request() {
            super::a_token_layer_outside_the_session_layer_fails_on_the_first_request::<$adapter>()
                .await;
        }
    };
}

#[cfg(feature = "axum")]
mod over_tower {
    use super::tower_adapter::Tower;

    instantiate!(Tower, tokio::test);
    instantiate_token_layer!(Tower, tokio::test);
}

#[cfg(feature = "actix-web")]
mod over_actix {
    use super::actix_adapter::Actix;

    instantiate!(Actix, actix_web::test);
    instantiate_token_layer!(Actix, actix_web::test);
}

#[cfg(feature = "tower")]
mod over_plain_functions {
    use super::plain_adapter::Plain;

    instantiate!(Plain, tokio::test);
}
