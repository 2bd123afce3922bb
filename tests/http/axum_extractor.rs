//! `SessionHandle` as an axum extractor, and its rejection without the layer.

use crate::common::*;
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use sealed_session::tower::{SessionHandle, SessionLayer};
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
