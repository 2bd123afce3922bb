//! The tower layer: the session reaches the handler through request
//! extensions, is saved into the response, and a save error is never
//! silently dropped.

use std::convert::Infallible;

use crate::common::*;
use http::{Request, Response, StatusCode};
use sealed_session::tower::{SessionHandle, SessionLayer};
use sealed_session::{Expiry, SaveError, Status};
use sealed_session::{SaveErrorPolicy, SaveFailed};
use tower::{ServiceBuilder, ServiceExt, service_fn};

/// A handler that stores `?name=...` and reports what it saw.
async fn handler(request: Request<String>) -> Result<Response<String>, Infallible> {
    let session = request
        .extensions()
        .get::<SessionHandle>()
        .expect("the layer inserts the handle")
        .clone();
    let seen: Option<String> = session.get("name").unwrap();
    if let Some(name) = request.uri().query().and_then(|q| q.strip_prefix("name=")) {
        session.insert("name", name).unwrap();
    }
    if request.uri().path() == "/logout" {
        session.flush();
    }
    if request.uri().path() == "/big" {
        session.insert("blob", &"x".repeat(5000)).unwrap();
    }
    Ok(Response::new(format!(
        "{}|{}",
        session.status(),
        seen.unwrap_or_default()
    )))
}

fn get(uri: &str, cookie: Option<&str>) -> Request<String> {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    b.body(String::new()).unwrap()
}

#[tokio::test]
async fn layer_loads_hands_over_and_saves() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config.clone()))
        .service_fn(handler);

    let response = svc.clone().oneshot(get("/?name=ada", None)).await.unwrap();
    assert_eq!(response.body(), "new|");
    let cookies = set_cookies(response.headers());
    assert_eq!(cookies.len(), 1);
    let cookie = pair(&cookies[0]).to_owned();

    let response = svc.clone().oneshot(get("/", Some(&cookie))).await.unwrap();
    assert_eq!(response.body(), "loaded|ada");
    assert!(
        set_cookies(response.headers()).is_empty(),
        "unchanged: no cookie"
    );
    assert_eq!(response.headers()["vary"], "Cookie");

    let response = svc.oneshot(get("/logout", Some(&cookie))).await.unwrap();
    let cookies = set_cookies(response.headers());
    assert!(is_removal(&cookies[0]), "{cookies:?}");
}

#[tokio::test]
async fn too_large_answers_413_by_default_with_no_cookie() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("name", "ada")]);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config.clone()))
        .service_fn(handler);
    let response = svc.oneshot(get("/big", Some(&cookie))).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.body(),
        "session too large for a cookie",
        "the handler's body is not sent: a short reason is"
    );
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    assert!(set_cookies(response.headers()).is_empty());
    assert_eq!(response.headers()["vary"], "Cookie", "save rule 6 holds");
    let failed = response.extensions().get::<SaveFailed>().unwrap();
    assert!(matches!(failed.0, SaveError::TooLarge { limit: 4093, .. }));
    // The previous cookie still holds the data.
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Loaded);
}

#[tokio::test]
async fn too_large_can_be_a_500_for_every_save_error() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config).on_save_error(SaveErrorPolicy::InternalServerError))
        .service_fn(handler);
    let response = svc.oneshot(get("/big", None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(response.body(), "session too large for a cookie");
    assert!(set_cookies(response.headers()).is_empty());
    assert!(response.extensions().get::<SaveFailed>().is_some());
}

#[tokio::test]
async fn a_callback_sees_the_error_and_the_handlers_response() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config).on_save_error(
            |error: &SaveError, response: Response<String>| {
                let SaveError::TooLarge { size, limit } = error else {
                    panic!("{error:?}");
                };
                let mut answer = Response::new(format!(
                    "{size} > {limit}; the handler said {}",
                    response.body()
                ));
                *answer.status_mut() = StatusCode::INSUFFICIENT_STORAGE;
                answer
            },
        ))
        .service_fn(handler);
    let response = svc.oneshot(get("/big", None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    let (size, rest) = response.body().split_once(" > ").unwrap();
    assert!(size.parse::<usize>().unwrap() > 5000, "{}", response.body());
    assert_eq!(rest, "4093; the handler said new|");
    assert!(set_cookies(response.headers()).is_empty());
    assert!(response.extensions().get::<SaveFailed>().is_some());
}

#[tokio::test]
async fn too_large_can_keep_the_previous_cookie_and_report_it() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config).on_save_error(SaveErrorPolicy::KeepPreviousCookie))
        .service_fn(handler);
    let response = svc.oneshot(get("/big", None)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "new|");
    assert!(set_cookies(response.headers()).is_empty());
    assert!(response.extensions().get::<SaveFailed>().is_some());
}

#[tokio::test]
async fn server_errors_from_the_handler_get_no_cookie() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config))
        .service_fn(|request: Request<String>| async move {
            let session = request.extensions().get::<SessionHandle>().unwrap().clone();
            session.insert("k", "v").unwrap();
            let mut r = Response::new(String::new());
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            Ok::<_, Infallible>(r)
        });
    let response = svc.oneshot(get("/", None)).await.unwrap();
    assert!(set_cookies(response.headers()).is_empty());
}

#[tokio::test]
async fn the_handle_has_every_read_method_of_the_session() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.browser_session(true));
    let cookie = issue(&config, &[("a", "1"), ("b", "2")]);
    let session = load_cookie(&config, &cookie);
    let handle = SessionHandle::new(load_cookie(&config, &cookie));
    assert_eq!(handle.keys(), session.keys().collect::<Vec<_>>());
    assert_eq!(handle.keys(), ["a", "b"]);
    assert_eq!((handle.len(), handle.is_empty()), (2, false));
    assert!(handle.contains_key("a") && !handle.contains_key("c"));
    assert_eq!(handle.status(), Status::Loaded);
    assert_eq!(handle.created(), session.created());
    assert_eq!(handle.created().unix_timestamp(), clock.now());
    assert_eq!(handle.expiry_date(), session.expiry_date());
    assert_eq!(handle.expiry(), Expiry::Default);
    assert!(handle.expires_at_browser_close());
    assert_eq!(handle.encoded_len(), session.encoded_len());
    assert!(!handle.is_modified());
    handle.set_expiry(Expiry::Idle(time::Duration::hours(1)));
    assert_eq!(handle.expiry(), Expiry::Idle(time::Duration::hours(1)));
    assert!(!handle.expires_at_browser_close());
    assert!(handle.is_modified());
}

#[test]
fn handle_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<SessionHandle>();
    let _ = service_fn(handler);
}

/// Printing a handle from inside `with` (which holds its lock) completes:
/// `Debug` never waits for the lock. Run in a thread, as a `Debug` that
/// locks deadlocks there and the test must fail rather than hang.
#[test]
fn debug_inside_with_never_blocks() {
    let config = config_with(&TestClock::new(), |b| b);
    let handle = SessionHandle::new(sealed_session::load(&config, &Request::new(())));
    handle.insert("user", &1u8).unwrap();
    let (sender, receiver) = std::sync::mpsc::channel();
    let inside = handle.clone();
    std::thread::spawn(move || {
        let printed = inside.with(|_| format!("{inside:?}"));
        let _ = sender.send(printed);
    });
    let printed = receiver
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("Debug waited for the lock held by `with`");
    assert_eq!(printed, "SessionHandle(<locked>)");
    // Unlocked, it prints the session: its keys, never a value.
    let open = format!("{handle:?}");
    assert!(open.starts_with("Session {"), "{open}");
    assert!(open.contains("\"user\""), "{open}");
}

/// An inner service that is never ready (a full pool, a closed backend).
#[derive(Clone)]
struct NeverReady;

impl tower::Service<Request<String>> for NeverReady {
    type Response = Response<String>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Response<String>, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Pending
    }

    fn call(&mut self, _: Request<String>) -> Self::Future {
        std::future::ready(Ok(Response::new(String::new())))
    }
}

#[test]
fn the_layered_service_is_ready_exactly_when_its_inner_service_is() {
    use tower::{Layer as _, Service as _};
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    // Back-pressure passes through: the layer never claims a readiness the
    // inner service has not given.
    let mut blocked = SessionLayer::new(config.clone()).layer(NeverReady);
    assert!(blocked.poll_ready(&mut cx).is_pending());
    let mut ready = SessionLayer::new(config).layer(service_fn(handler));
    assert!(matches!(
        ready.poll_ready(&mut cx),
        std::task::Poll::Ready(Ok(()))
    ));
}

#[test]
fn the_layered_service_debug_names_its_settings_and_redacts_the_keys() {
    use tower::Layer as _;
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let service = SessionLayer::new(config).layer(NeverReady);
    let debug = format!("{service:?}");
    assert!(
        debug.starts_with("SessionService { config: SessionConfig {"),
        "{debug}"
    );
    assert!(debug.contains("revocations: false"), "{debug}");
    assert!(debug.contains("cross_origin: Some("), "{debug}");
    let opted_out = SessionLayer::new(config_with(&clock, |b| b))
        .allow_cross_origin_requests_unsafe()
        .layer(NeverReady);
    assert!(format!("{opted_out:?}").contains("cross_origin: None"));
    // The keyring shows its key ids, never key material.
    assert!(
        debug.contains("keyring: Keyring { key_ids: [KeyId("),
        "{debug}"
    );
}
