//! What the `axum` feature adds to the tower adapter: [`SessionHandle`] as
//! an extractor, and the crate's errors as axum responses, so a handler can
//! return `Result<_, SessionError>` and use `?` on session calls.
//!
//! | error | status | body |
//! |---|---|---|
//! | [`SessionError`] | 500 | `session error` |
//! | [`SaveError::TooLarge`] | 413 | `session too large for a cookie` |
//! | [`SaveError::Seal`] | 500 | `session not saved` |
//!
//! The body never quotes the error: it names session keys and Rust types,
//! which are the server's business. With the `tracing` feature the cause is
//! logged (a [`SessionError`] here, a [`SaveError`] where `save` failed);
//! never a value.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;

use super::SessionHandle;
use crate::glue::SaveError;
use crate::session::SessionError;

/// The rejection when a handler asks for a [`SessionHandle`] but no
/// [`SessionLayer`](super::SessionLayer) wraps the route: a server
/// misconfiguration, answered with 500.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::response::IntoResponse;
/// use sealed_session::tower::MissingSessionLayer;
///
/// assert_eq!(MissingSessionLayer.into_response().status(), 500);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no SessionLayer wraps this route: add `.layer(SessionLayer::new(config))`")]
pub struct MissingSessionLayer;

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        crate::log::missing_session_layer(&self);
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

/// The handle the [`SessionLayer`](super::SessionLayer) put in the
/// request's extensions.
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl<S: Send + Sync> FromRequestParts<S> for SessionHandle {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<SessionHandle>()
            .cloned()
            .ok_or(MissingSessionLayer)
    }
}

/// A 500 whose cause is logged (feature `tracing`); the body is a short
/// text that quotes nothing.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::{Router, routing::get};
/// use sealed_session::SessionError;
/// use sealed_session::tower::{SessionHandle, SessionLayer};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
///
/// async fn visits(session: SessionHandle) -> Result<String, SessionError> {
///     let visits: u64 = session.get("visits")?.unwrap_or(0) + 1;
///     session.insert("visits", &visits)?;
///     Ok(format!("visit {visits}"))
/// }
///
/// let app: Router = Router::new()
///     .route("/", get(visits))
///     .layer(SessionLayer::new(config));
/// # let _ = app; }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        crate::log::session_error_response(&self);
        (StatusCode::INTERNAL_SERVER_ERROR, "session error").into_response()
    }
}

/// `413 Payload Too Large` for [`SaveError::TooLarge`] (the client keeps
/// its previous cookie, so nothing is lost but this request's change), `500`
/// otherwise; `save` has already logged the cause (feature `tracing`).
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::response::{IntoResponse, Response};
/// use sealed_session::{SaveError, Session, SessionConfig};
///
/// fn finish(config: &SessionConfig, session: &Session, page: Response) -> Result<Response, SaveError> {
///     let mut response = page;
///     sealed_session::save(config, session, &mut response)?;
///     Ok(response)
/// }
///
/// let error = SaveError::TooLarge { size: 5_000, limit: 4_093 };
/// assert_eq!(error.into_response().status(), 413);
/// # let _ = finish; }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
impl IntoResponse for SaveError {
    fn into_response(self) -> Response {
        (self.status(), crate::adapter::save_error_body(&self)).into_response()
    }
}
