//! The tower `CsrfLayer` inside a `SessionLayer`: valid tokens from the
//! header and the form pass with the body handed on byte for byte; every
//! bad input (a body over the limit, a non-UTF-8 form, a missing, wrong,
//! duplicated or doubly given token, an unreadable body) is a clear 4xx
//! that never reaches the handler and leaves the session as it was.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use sealed_session::csrf::CsrfRejection;
use sealed_session::csrf::{CrossOrigin, CrossOriginError, TokenError};
use sealed_session::tower::{CsrfLayer, SessionHandle, SessionLayer};
use sealed_session::{Key, Keyring, SessionConfig};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

const LIMIT: usize = 1024;

/// A request body: whole, in chunks with no declared length, or failing
/// after a first chunk.
enum TestBody {
    Chunks(Vec<Bytes>),
    Failing,
}

impl From<Bytes> for TestBody {
    fn from(bytes: Bytes) -> Self {
        TestBody::Chunks(vec![bytes])
    }
}

impl http_body::Body for TestBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(match &mut *self {
            TestBody::Chunks(chunks) if chunks.is_empty() => None,
            TestBody::Chunks(chunks) => Some(Ok(http_body::Frame::data(chunks.remove(0)))),
            TestBody::Failing => Some(Err(std::io::Error::other("connection reset"))),
        })
    }
}

/// What the handler saw, and how often it ran.
#[derive(Clone, Default)]
struct Seen {
    calls: Arc<AtomicUsize>,
    body: Arc<std::sync::Mutex<Vec<u8>>>,
}

fn config() -> SessionConfig {
    SessionConfig::builder(Keyring::new(Key::from_bytes(&[8; 32]).unwrap()))
        .build()
        .unwrap()
}

/// `GET /token` answers a fresh token; `GET /read` the session's `note`;
/// anything else stores `note = <path>` and echoes the body it received.
///
/// The `SessionLayer`'s own cross-origin check is off, so that every
/// refusal here is the `CsrfLayer`'s (the documented use of the opt-out: a
/// `CsrfLayer` inside applies the check).
fn app(
    config: SessionConfig,
    csrf: CsrfLayer,
    seen: Seen,
) -> impl Service<Request<TestBody>, Response = Response<String>, Error = Infallible> + Clone {
    app_with(
        SessionLayer::new(config).allow_cross_origin_requests_unsafe(),
        csrf,
        seen,
    )
}

fn app_with(
    session: SessionLayer,
    csrf: CsrfLayer,
    seen: Seen,
) -> impl Service<Request<TestBody>, Response = Response<String>, Error = Infallible> + Clone {
    ServiceBuilder::new()
        .layer(session)
        .layer(csrf)
        .service(service_fn(move |request: Request<TestBody>| {
            let seen = seen.clone();
            async move {
                let session = request.extensions().get::<SessionHandle>().unwrap().clone();
                let path = request.uri().path().to_owned();
                if path == "/token" {
                    return Ok::<_, Infallible>(Response::new(session.csrf_token()));
                }
                if path == "/read" {
                    let note: Option<String> = session.get("note").unwrap();
                    return Ok(Response::new(note.unwrap_or_default()));
                }
                seen.calls.fetch_add(1, Ordering::SeqCst);
                let body = request.into_body().collect().await.unwrap().to_bytes();
                *seen.body.lock().unwrap() = body.to_vec();
                session.insert("note", &path).unwrap();
                Ok(Response::new(String::from_utf8_lossy(&body).into_owned()))
            }
        }))
}

fn layer() -> CsrfLayer {
    CsrfLayer::new(
        CrossOrigin::builder()
            .exempt_path("/hooks/")
            .build()
            .unwrap(),
    )
    .require_token(true)
    .body_limit(LIMIT)
}

struct Client<S> {
    service: S,
    cookie: String,
    token: String,
    seen: Seen,
}

impl<S> Client<S>
where
    S: Service<Request<TestBody>, Response = Response<String>, Error = Infallible> + Clone,
{
    async fn send(&self, request: Request<TestBody>) -> Response<String> {
        self.service.clone().oneshot(request).await.unwrap()
    }

    fn post(&self, path: &str) -> http::request::Builder {
        Request::post(path)
            .header("host", "example.com")
            .header("cookie", &self.cookie)
    }

    fn form(&self, path: &str, body: impl Into<Bytes>) -> Request<TestBody> {
        self.post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(TestBody::from(body.into()))
            .unwrap()
    }

    /// The session's `note`, as the next request sees it.
    async fn note(&self) -> String {
        let request = Request::get("/read")
            .header("cookie", &self.cookie)
            .body(TestBody::from(Bytes::new()))
            .unwrap();
        self.send(request).await.into_body()
    }

    /// Asserts a refusal that did not reach the handler, changed no
    /// session state and sent no cookie; returns the rejection.
    async fn refused(&self, request: Request<TestBody>, status: StatusCode) -> CsrfRejection {
        let calls = self.seen.calls.load(Ordering::SeqCst);
        let response = self.send(request).await;
        assert_eq!(response.status(), status, "{}", response.body());
        assert_eq!(
            response.headers()["content-type"],
            "text/plain; charset=utf-8"
        );
        assert!(
            response.headers().get("set-cookie").is_none(),
            "the session is untouched"
        );
        assert_eq!(self.seen.calls.load(Ordering::SeqCst), calls, "handler ran");
        assert_eq!(self.note().await, "/before", "the session data is intact");
        let rejection = response
            .extensions()
            .get::<CsrfRejection>()
            .expect("the rejection in the extensions")
            .clone();
        assert_eq!(response.body(), &format!("{rejection}\n"));
        rejection
    }
}

/// A client with a session holding `note = /before` and a token for it.
async fn client(
    csrf: CsrfLayer,
) -> Client<impl Service<Request<TestBody>, Response = Response<String>, Error = Infallible> + Clone>
{
    let seen = Seen::default();
    let service = app(config(), csrf, seen.clone());
    let response = service
        .clone()
        .oneshot(
            Request::get("/token")
                .body(TestBody::from(Bytes::new()))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = cookie_pair(response.headers());
    let token = response.into_body();
    let mut client = Client {
        service,
        cookie,
        token,
        seen,
    };
    // A first accepted change, so "the session is intact" has data to see.
    let request = client
        .post("/before")
        .header("x-csrf-token", &client.token)
        .body(TestBody::from(Bytes::new()))
        .unwrap();
    let response = client.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    client.cookie = cookie_pair(response.headers());
    client.seen.calls.store(0, Ordering::SeqCst);
    client
}

fn cookie_pair(headers: &HeaderMap) -> String {
    let set_cookie = headers["set-cookie"].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_form_token_passes_and_the_body_reaches_the_handler_unchanged() {
    let c = client(layer()).await;
    let body = format!("item=green+tea&csrf_token={}&note=%E2%9C%93&x=", c.token);
    let response = c.send(c.form("/cart", body.clone())).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(c.seen.calls.load(Ordering::SeqCst), 1);
    assert_eq!(*c.seen.body.lock().unwrap(), body.as_bytes());

    // In chunks without a Content-Length, with parameters on the type.
    let chunks = ["item=a", "&csrf_tok", &format!("en={}", c.token), "&z=1"];
    let request = c
        .post("/cart")
        .header(
            "content-type",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        )
        .body(TestBody::Chunks(
            chunks.iter().map(|s| Bytes::from(s.to_string())).collect(),
        ))
        .unwrap();
    assert_eq!(c.send(request).await.status(), StatusCode::OK);
    assert_eq!(*c.seen.body.lock().unwrap(), chunks.concat().as_bytes());
}

#[tokio::test]
async fn a_header_token_passes_with_any_body() {
    let c = client(layer()).await;
    let json = r#"{"item":"tea"}"#;
    let request = c
        .post("/api/cart")
        .header("content-type", "application/json")
        .header("x-csrf-token", &c.token)
        .body(TestBody::from(Bytes::from(json)))
        .unwrap();
    let response = c.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(*c.seen.body.lock().unwrap(), json.as_bytes());
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let c = client(layer()).await;
    let big = format!("csrf_token={}&pad={}", c.token, "x".repeat(LIMIT));
    // Declared by Content-Length: refused before reading.
    let mut request = c.form("/cart", big.clone());
    request
        .headers_mut()
        .insert("content-length", big.len().to_string().parse().unwrap());
    assert_eq!(
        c.refused(request, StatusCode::PAYLOAD_TOO_LARGE).await,
        CsrfRejection::BodyTooLarge { limit: LIMIT }
    );
    // Undeclared: refused while reading.
    let request = c
        .post("/cart")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(TestBody::Chunks(
            big.as_bytes()
                .chunks(100)
                .map(Bytes::copy_from_slice)
                .collect(),
        ))
        .unwrap();
    assert_eq!(
        c.refused(request, StatusCode::PAYLOAD_TOO_LARGE).await,
        CsrfRejection::BodyTooLarge { limit: LIMIT }
    );
    // Exactly the limit is fine.
    let exact = format!("csrf_token={}&pad=", c.token);
    let exact = format!("{exact}{}", "x".repeat(LIMIT - exact.len()));
    assert_eq!(exact.len(), LIMIT);
    assert_eq!(
        c.send(c.form("/cart", exact)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_non_utf8_form_is_400() {
    let c = client(layer()).await;
    let mut body = format!("csrf_token={}&item=", c.token).into_bytes();
    body.extend_from_slice(b"\xff\xfe");
    assert_eq!(
        c.refused(c.form("/cart", body), StatusCode::BAD_REQUEST)
            .await,
        CsrfRejection::FormNotUtf8
    );
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_403() {
    let c = client(layer()).await;
    let cases: Vec<(Request<TestBody>, TokenError)> = vec![
        (c.form("/cart", "item=tea"), TokenError::Missing),
        (c.form("/cart", "item=tea&csrf_token="), TokenError::Missing),
        (
            c.post("/cart")
                .header("content-type", "application/json")
                .body(TestBody::from(Bytes::from("{}")))
                .unwrap(),
            TokenError::Missing,
        ),
        (
            c.post("/cart").body(TestBody::from(Bytes::new())).unwrap(),
            TokenError::Missing,
        ),
        (
            c.form("/cart", format!("csrf_token={}", &c.token[1..])),
            TokenError::Malformed,
        ),
        (
            c.form("/cart", format!("csrf_token={}%FF", &c.token[1..])),
            TokenError::Malformed,
        ),
        (
            c.form("/cart", format!("csrf_token={}", "A".repeat(86))),
            TokenError::Mismatch,
        ),
        (
            c.post("/cart")
                .header(
                    "x-csrf-token",
                    http::HeaderValue::from_bytes(b"\xff".as_slice()).unwrap(),
                )
                .body(TestBody::from(Bytes::new()))
                .unwrap(),
            TokenError::Malformed,
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            c.refused(request, StatusCode::FORBIDDEN).await,
            CsrfRejection::Token(expected)
        );
    }

    // Another session's token.
    let other = client(layer()).await;
    let request = c.form("/cart", format!("csrf_token={}", other.token));
    assert_eq!(
        c.refused(request, StatusCode::FORBIDDEN).await,
        CsrfRejection::Token(TokenError::Mismatch)
    );
    // A valid token without the session cookie.
    let request = Request::post("/cart")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(TestBody::from(Bytes::from(format!(
            "csrf_token={}",
            c.token
        ))))
        .unwrap();
    let response = c.send(request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.extensions().get::<CsrfRejection>(),
        Some(&CsrfRejection::Token(TokenError::NoSecret))
    );
    assert!(response.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn a_token_in_both_places_or_twice_is_400() {
    let c = client(layer()).await;
    let mut both = c.form("/cart", format!("csrf_token={}", c.token));
    both.headers_mut()
        .insert("x-csrf-token", c.token.parse().unwrap());
    assert_eq!(
        c.refused(both, StatusCode::BAD_REQUEST).await,
        CsrfRejection::TokenInHeaderAndForm
    );

    let twice = c.form("/cart", format!("csrf_token={0}&csrf_token={0}", c.token));
    assert_eq!(
        c.refused(twice, StatusCode::BAD_REQUEST).await,
        CsrfRejection::DuplicateToken
    );

    let mut two_headers = c.post("/cart").body(TestBody::from(Bytes::new())).unwrap();
    for _ in 0..2 {
        two_headers
            .headers_mut()
            .append("x-csrf-token", c.token.parse().unwrap());
    }
    assert_eq!(
        c.refused(two_headers, StatusCode::BAD_REQUEST).await,
        CsrfRejection::DuplicateToken
    );
}

#[tokio::test]
async fn an_unreadable_body_is_400() {
    let c = client(layer()).await;
    let request = c
        .post("/cart")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(TestBody::Failing)
        .unwrap();
    assert_eq!(
        c.refused(request, StatusCode::BAD_REQUEST).await,
        CsrfRejection::BodyUnreadable
    );
}

#[tokio::test]
async fn the_cross_origin_check_applies_first_and_always() {
    let c = client(layer()).await;
    let mut request = c.form("/cart", format!("csrf_token={}", c.token));
    request
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(
        c.refused(request, StatusCode::FORBIDDEN).await,
        CsrfRejection::CrossOrigin(CrossOriginError::CrossSite)
    );

    // Without the token check, the cross-origin check alone.
    let c = client(CsrfLayer::new(CrossOrigin::default()).body_limit(LIMIT)).await;
    let mut request = c.form("/cart", "item=tea");
    request
        .headers_mut()
        .insert("origin", "https://attacker.example".parse().unwrap());
    assert_eq!(
        c.refused(request, StatusCode::FORBIDDEN).await,
        CsrfRejection::CrossOrigin(CrossOriginError::OriginMismatch)
    );
    let mut same = c.form("/cart", "item=tea");
    same.headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    assert_eq!(
        c.send(same).await.status(),
        StatusCode::OK,
        "no token needed"
    );
}

#[tokio::test]
async fn safe_methods_and_exempt_paths_need_no_token() {
    let c = client(layer()).await;
    for method in ["GET", "HEAD", "OPTIONS"] {
        let request = Request::builder()
            .method(method)
            .uri("/cart")
            .header("cookie", &c.cookie)
            .header("sec-fetch-site", "cross-site")
            .body(TestBody::from(Bytes::new()))
            .unwrap();
        assert_eq!(c.send(request).await.status(), StatusCode::OK, "{method}");
    }
    let mut hook = c.form("/hooks/stripe", "event=paid");
    hook.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let response = c.send(hook).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "event=paid");
}

/// With both layers on their defaults' terms, the `SessionLayer` applies
/// its own check first: a path exempt in the `CsrfLayer` only is still
/// refused, and passes once the `SessionLayer` gets the same check.
#[tokio::test]
async fn an_exempt_path_must_be_exempt_in_the_session_layer_too() {
    let check = CrossOrigin::builder()
        .exempt_path("/hooks/")
        .build()
        .unwrap();
    let hook = || {
        Request::post("/hooks/stripe")
            .header("host", "example.com")
            .header("sec-fetch-site", "cross-site")
            .body(TestBody::from(Bytes::from_static(b"event=paid")))
            .unwrap()
    };
    let csrf = CsrfLayer::new(check.clone()).require_token(true);

    let seen = Seen::default();
    let service = app_with(SessionLayer::new(config()), csrf.clone(), seen.clone());
    let response = service.oneshot(hook()).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.body(),
        "cross-site request (Sec-Fetch-Site: cross-site)\n"
    );
    assert_eq!(seen.calls.load(Ordering::SeqCst), 0, "handler ran");

    let service = app_with(
        SessionLayer::new(config()).cross_origin(check),
        csrf,
        seen.clone(),
    );
    let response = service.oneshot(hook()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{}", response.body());
    assert_eq!(response.body(), "event=paid");
    assert_eq!(seen.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_form_field_is_configurable() {
    let c = client(layer().form_field("_token")).await;
    let request = c.form("/cart", format!("_token={}", c.token));
    assert_eq!(c.send(request).await.status(), StatusCode::OK);
    let request = c.form("/cart", format!("csrf_token={}", c.token));
    assert_eq!(
        c.refused(request, StatusCode::FORBIDDEN).await,
        CsrfRejection::Token(TokenError::Missing)
    );
}

#[tokio::test]
async fn without_a_session_layer_the_token_check_is_a_500() {
    let service =
        ServiceBuilder::new()
            .layer(layer())
            .service(service_fn(|_: Request<TestBody>| async {
                Ok::<_, Infallible>(Response::new(String::new()))
            }));
    // Any method: the first page shows the mistake, not the first form.
    for method in ["GET", "POST"] {
        let request = Request::builder()
            .method(method)
            .uri("/cart")
            .header("x-csrf-token", "x")
            .body(TestBody::from(Bytes::new()))
            .unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.extensions().get::<CsrfRejection>(),
            Some(&CsrfRejection::MissingSessionLayer)
        );
        assert_eq!(
            response.body(),
            "CsrfLayer must be inside SessionLayer: with axum's Router, add .layer(CsrfLayer) \
             before .layer(SessionLayer); with tower's ServiceBuilder, .layer(SessionLayer) \
             before .layer(CsrfLayer)\n"
        );
    }
    // Without the token check, the layer needs no session: a GET passes.
    let service = ServiceBuilder::new()
        .layer(CsrfLayer::new(CrossOrigin::default()))
        .service(service_fn(|_: Request<TestBody>| async {
            Ok::<_, Infallible>(Response::new(String::from("page")))
        }));
    let request = Request::get("/cart")
        .body(TestBody::from(Bytes::new()))
        .unwrap();
    let response = service.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// The layer order the docs give for axum's `Router::layer`, with axum's
/// own body type.
#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_router_layers_in_the_documented_order() {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::{get, post};

    let app = Router::new()
        .route(
            "/token",
            get(|s: SessionHandle| async move { s.csrf_token() }),
        )
        .route("/cart", post(|body: String| async move { body }))
        .layer(CsrfLayer::new(CrossOrigin::default()).require_token(true))
        .layer(SessionLayer::new(config()));
    let response = app
        .clone()
        .oneshot(Request::get("/token").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookie = cookie_pair(response.headers());
    let token = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let form = |body: String| {
        Request::post("/cart")
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let body = format!("item=tea&csrf_token={token}");
    let response = app.clone().oneshot(form(body.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let echoed = response.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(echoed, body.as_bytes());
    let response = app.oneshot(form("item=tea".to_owned())).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[test]
fn rejection_statuses() {
    use CsrfRejection::*;
    for (rejection, status) in [
        (CrossOrigin(CrossOriginError::SameSite), 403),
        (Token(TokenError::NoSecret), 403),
        (BodyTooLarge { limit: 1 }, 413),
        (FormNotUtf8, 400),
        (BodyUnreadable, 400),
        (TokenInHeaderAndForm, 400),
        (DuplicateToken, 400),
        (MissingSessionLayer, 500),
    ] {
        assert_eq!(rejection.status().as_u16(), status, "{rejection}");
    }
}

/// The `tracing` feature: one `WARN` event per refusal, on the
/// `sealed_session::csrf` target, naming the failed check and never the
/// token.
#[cfg(feature = "tracing")]
#[test]
fn a_refusal_is_a_tracing_event_without_the_token() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (token, log) = crate::capture::capture(tracing::Level::TRACE, || {
        runtime.block_on(async {
            let c = client(layer()).await;
            let forged = &c.token[..c.token.len() - 2];
            let mut request = c.form("/cart", format!("csrf_token={forged}AA"));
            request
                .headers_mut()
                .insert("sec-fetch-site", "same-origin".parse().unwrap());
            c.refused(request, StatusCode::FORBIDDEN).await;
            c.token.clone()
        })
    });
    let events: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(events.len(), 1, "log: {log:?}");
    let event = events[0];
    for expected in [
        "WARN",
        "sealed_session::csrf",
        "CSRF token does not match the session",
        "POST",
        "/cart",
    ] {
        assert!(event.contains(expected), "{expected} missing: {event}");
    }
    assert!(!log.contains(&token[..20]), "a token in the log: {log}");
}

/// The handle's delegating helpers reach the same session state as the
/// `flash` and `csrf` functions.
#[tokio::test]
async fn the_session_handle_offers_flash_and_csrf() {
    use sealed_session::flash::Level;

    let handle = SessionHandle::new(sealed_session::load(&config(), &HeaderMap::new()));
    handle.add_flash(Level::Error, "Payment failed.").unwrap();
    handle.add_flash(Level::Info, "Try another card.").unwrap();
    let shown: Vec<(Level, String)> = handle
        .take_flashes()
        .into_iter()
        .map(|m| (m.level, m.text))
        .collect();
    assert_eq!(
        shown,
        [
            (Level::Error, "Payment failed.".to_owned()),
            (Level::Info, "Try another card.".to_owned())
        ]
    );
    assert!(handle.take_flashes().is_empty());

    let token = handle.csrf_token();
    assert_eq!(
        handle.with(|s| sealed_session::csrf::verify(s, &token)),
        Ok(())
    );
    handle.renew_csrf();
    assert_eq!(
        handle.with(|s| sealed_session::csrf::verify(s, &token)),
        Err(TokenError::Mismatch)
    );
}

mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any form body, with or without a valid token in front: a clear
        /// answer (200, 400, 403 or 413), never a panic; a refusal never
        /// reaches the handler nor changes the session; only a body with
        /// the token passes.
        #[test]
        fn any_form_body_gets_a_clear_answer(
            tail in proptest::collection::vec(any::<u8>(), 0..1100),
            with_token in any::<bool>(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
            runtime.block_on(async {
                let c = client(layer()).await;
                let mut body = if with_token {
                    format!("csrf_token={}&", c.token).into_bytes()
                } else {
                    Vec::new()
                };
                body.extend_from_slice(&tail);
                let response = c.send(c.form("/cart", body.clone())).await;
                let status = response.status();
                if status == StatusCode::OK {
                    assert!(with_token, "passed without a token");
                    assert_eq!(*c.seen.body.lock().unwrap(), body, "body handed on");
                } else {
                    assert!(
                        [400, 403, 413].contains(&status.as_u16()),
                        "status {status}"
                    );
                    assert!(response.headers().get("set-cookie").is_none());
                    assert_eq!(c.seen.calls.load(Ordering::SeqCst), 0);
                    assert_eq!(c.note().await, "/before");
                }
            });
        }
    }
}
