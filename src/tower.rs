//! A tower [`Layer`] that loads the session before the inner service and
//! saves it into the response (feature `tower`).
//!
//! ```
//! # #[cfg(feature = "tower")] {
//! use sealed_session::{Key, Keyring, SessionConfig};
//! use sealed_session::tower::{SaveErrorPolicy, SessionLayer};
//!
//! let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
//! let layer = SessionLayer::new(config).on_save_error(SaveErrorPolicy::InternalServerError);
//! # let _ = layer; }
//! ```
//!
//! Handlers find a [`SessionHandle`] in the request extensions (with the
//! `axum` feature, it is also an extractor).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::SessionConfig;
use crate::glue::{SaveError, load, save};
use crate::session::{Expiry, Session, SessionError, Status};

/// What the layer does when [`save`] fails (a session too large
/// for one cookie). Either way the response carries no session cookie, so
/// the browser keeps its previous one, and a [`SaveFailed`] is put in the
/// response's extensions for outer layers (logging, metrics) to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SaveErrorPolicy {
    /// Replace the response with an empty `500 Internal Server Error`, so
    /// the client never believes a change was stored (the default).
    #[default]
    InternalServerError,
    /// Send the handler's response unchanged, without the session cookie.
    KeepPreviousCookie,
}

/// Put in the response extensions when saving the session failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailed(pub SaveError);

/// A cheap, cloneable handle to the request's [`Session`], shared between
/// the layer and the handler. Every method locks for the duration of the
/// call only, so a handle is safe to use across `.await` points.
#[derive(Clone)]
pub struct SessionHandle(Arc<Mutex<Session>>);

impl std::fmt::Debug for SessionHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.lock().fmt(f)
    }
}

impl SessionHandle {
    /// Wraps a session (the layer does this; useful in tests).
    #[must_use]
    pub fn new(session: Session) -> Self {
        Self(Arc::new(Mutex::new(session)))
    }

    /// Locks the session. A handler that panicked while holding the lock
    /// leaves a session that is still consistent (every method completes
    /// its change or makes none), so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` with the session locked.
    pub fn with<R>(&self, f: impl FnOnce(&mut Session) -> R) -> R {
        f(&mut self.lock())
    }

    /// [`Session::get`].
    ///
    /// # Errors
    ///
    /// As [`Session::get`].
    pub fn get<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, SessionError> {
        self.lock().get(key)
    }

    /// [`Session::get_or_remove`]: `None` for a value stored with another
    /// shape, which is removed.
    pub fn get_or_remove<T: Serialize + DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.lock().get_or_remove(key)
    }

    /// [`Session::insert`].
    ///
    /// # Errors
    ///
    /// As [`Session::insert`].
    pub fn insert<T: Serialize + ?Sized>(
        &self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), SessionError> {
        self.lock().insert(key, value)
    }

    /// [`Session::remove`].
    pub fn remove(&self, key: &str) -> bool {
        self.lock().remove(key)
    }

    /// [`Session::take`].
    ///
    /// # Errors
    ///
    /// As [`Session::take`].
    pub fn take<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, SessionError> {
        self.lock().take(key)
    }

    /// [`Session::contains_key`].
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.lock().contains_key(key)
    }

    /// [`Session::clear`].
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// [`Session::flush`].
    pub fn flush(&self) {
        self.lock().flush();
    }

    /// [`Session::renew`].
    pub fn renew(&self) {
        self.lock().renew();
    }

    /// [`Session::set_expiry`].
    pub fn set_expiry(&self, expiry: Expiry) {
        self.lock().set_expiry(expiry);
    }

    /// [`Session::status`].
    #[must_use]
    pub fn status(&self) -> Status {
        self.lock().status()
    }
}

/// Loads the session for each request and saves it into the response.
#[derive(Debug, Clone)]
pub struct SessionLayer {
    config: SessionConfig,
    policy: SaveErrorPolicy,
}

impl SessionLayer {
    /// A layer for `config`, answering 500 when a session cannot be saved.
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            policy: SaveErrorPolicy::default(),
        }
    }

    /// Chooses what happens when a session cannot be saved.
    #[must_use]
    pub fn on_save_error(mut self, policy: SaveErrorPolicy) -> Self {
        self.policy = policy;
        self
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: self.config.clone(),
            policy: self.policy,
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
#[derive(Debug, Clone)]
pub struct SessionService<S> {
    inner: S,
    config: SessionConfig,
    policy: SaveErrorPolicy,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let handle = SessionHandle::new(load(&self.config, &request));
        request.extensions_mut().insert(handle.clone());
        let future = self.inner.call(request);
        let config = self.config.clone();
        let policy = self.policy;
        Box::pin(async move {
            let mut response = future.await?;
            let result = {
                let session = handle.lock();
                save(&config, &session, &mut response)
            };
            if let Err(error) = result {
                if policy == SaveErrorPolicy::InternalServerError {
                    response = Response::new(ResBody::default());
                    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                }
                response.extensions_mut().insert(SaveFailed(error));
            }
            Ok(response)
        })
    }
}

#[cfg(feature = "axum")]
mod axum_extractor {
    use axum_core::extract::FromRequestParts;
    use axum_core::response::{IntoResponse, Response};
    use http::StatusCode;
    use http::request::Parts;

    use super::SessionHandle;

    /// The rejection when a handler asks for a [`SessionHandle`] but no
    /// [`SessionLayer`](super::SessionLayer) wraps the route: a server
    /// misconfiguration, answered with 500.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    #[error("no SessionLayer wraps this route: add `.layer(SessionLayer::new(config))`")]
    pub struct MissingSessionLayer;

    impl IntoResponse for MissingSessionLayer {
        fn into_response(self) -> Response {
            (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for SessionHandle {
        type Rejection = MissingSessionLayer;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<SessionHandle>()
                .cloned()
                .ok_or(MissingSessionLayer)
        }
    }
}

#[cfg(feature = "axum")]
pub use axum_extractor::MissingSessionLayer;
