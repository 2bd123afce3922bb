//! `SessionHandle` as an axum extractor, and its rejection without the layer.

use crate::common::*;
use axum::Router;
use axum::body::Body;
use axum::response::IntoResponse;
use axum::routing::get;
use http::{Request, StatusCode};
use sealed_session::tower::{SessionHandle, SessionLayer};
use sealed_session::{SaveError, SessionConfig, SessionError};
use tower::ServiceExt;

async fn visit(session: SessionHandle) -> String {
    let n: u32 = session.get("visits").unwrap().unwrap_or(0) + 1;
    session.insert("visits", &n).unwrap();
    n.to_string()
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn extractor_counts_visits_across_requests() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let app = Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::new(config));
    let response = app
        .clone()
        .oneshot(Request::new(Body::empty()))
        .await
        .unwrap();
    let cookie = pair(&set_cookies(response.headers())[0]).to_owned();
    assert_eq!(body_text(response).await, "1");
    let request = Request::builder()
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(body_text(response).await, "2");
}

#[tokio::test]
async fn missing_layer_is_a_clear_500() {
    let app = Router::new().route("/", get(visit));
    let response = app.oneshot(Request::new(Body::empty())).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body_text(response).await.contains("SessionLayer"));
}

/// A handler that reads a value with the wrong type and uses `?`.
async fn wrong_type(session: SessionHandle) -> Result<String, SessionError> {
    session.insert("secret", "hunter2-value")?;
    let n: Option<u64> = session.get("secret")?;
    Ok(format!("{n:?}"))
}

#[tokio::test]
async fn session_error_is_a_500_that_quotes_nothing() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b);
    let app = Router::new()
        .route("/", get(wrong_type))
        .layer(SessionLayer::new(config));
    let response = app.oneshot(Request::new(Body::empty())).await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = body_text(response).await;
    assert_eq!(body, "session error");
    assert!(!body.contains("hunter2") && !body.contains("secret"));
}

#[tokio::test]
async fn save_errors_are_413_for_too_large_and_500_otherwise() {
    let too_large = SaveError::TooLarge {
        size: 5000,
        limit: 4093,
    }
    .into_response();
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body_text(too_large).await, "session too large for a cookie");

    // A handler that saves by hand and uses `?` on the save.
    async fn by_hand(config: axum::extract::State<SessionConfig>) -> Result<String, SaveError> {
        let mut session = sealed_session::load(&config, &http::HeaderMap::new());
        session.insert("big", &"x".repeat(5000)).unwrap();
        let mut response = http::Response::new(());
        sealed_session::save(&config, &session, &mut response)?;
        Ok("saved".into())
    }
    let clock = TestClock::new();
    let app = Router::new()
        .route("/", get(by_hand))
        .with_state(config_with(&clock, |b| b));
    let response = app.oneshot(Request::new(Body::empty())).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
