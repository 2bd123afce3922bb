//! The tower layer: the session reaches the handler through request
//! extensions, is saved into the response, and a save error is never
//! silently dropped.

use std::convert::Infallible;

use crate::common::*;
use http::{Request, Response, StatusCode};
use sealed_session::tower::{SaveErrorPolicy, SaveFailed, SessionHandle, SessionLayer};
use sealed_session::{SaveError, Status};
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
async fn too_large_answers_500_by_default_with_no_cookie() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let cookie = issue(&config, &[("name", "ada")]);
    let svc = ServiceBuilder::new()
        .layer(SessionLayer::new(config.clone()))
        .service_fn(handler);
    let response = svc.oneshot(get("/big", Some(&cookie))).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.body().is_empty(), "the handler's body is not sent");
    assert!(set_cookies(response.headers()).is_empty());
    let failed = response.extensions().get::<SaveFailed>().unwrap();
    assert!(matches!(failed.0, SaveError::TooLarge { limit: 4093, .. }));
    // The previous cookie still holds the data.
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Loaded);
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

#[test]
fn handle_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + 'static>() {}
    assert_traits::<SessionHandle>();
    let _ = service_fn(handler);
}
