//! A tower [`Layer`] that loads the session before the inner service and
//! saves it into the response (feature `tower`).
//!
//! ```
//! # #[cfg(feature = "tower")] {
//! use sealed_session::{Key, Keyring, SessionConfig};
//! use sealed_session::SaveErrorPolicy;
//! use sealed_session::tower::SessionLayer;
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

use http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::SessionConfig;
use crate::glue::{SaveError, SaveErrorPolicy, SaveFailed, load, save};
use crate::revocation::Revocations;
use crate::session::{Expiry, Session, SessionError, Status};

mod csrf;
mod helpers;
pub use csrf::{
    CSRF_BODY_LIMIT, CSRF_FORM_FIELD, CSRF_HEADER, CsrfLayer, CsrfRejection, CsrfService,
};

/// What [`SessionLayer`] does with a response whose session could not be
/// saved: a [`SaveErrorPolicy`], or any `Fn(&SaveError, Response<B>) ->
/// Response<B>`, which sees the error and the handler's response and returns
/// the response to send.
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use http::{Response, StatusCode};
/// use sealed_session::tower::SessionLayer;
/// use sealed_session::{Key, Keyring, SaveError, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let layer = SessionLayer::new(config).on_save_error(
///     |error: &SaveError, mut response: Response<String>| {
///         if let SaveError::TooLarge { size, limit } = error {
///             *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
///             *response.body_mut() = format!("{size} bytes is over the {limit}-byte limit");
///         }
///         response
///     },
/// );
/// # let _ = layer; }
/// ```
pub trait OnSaveError<B> {
    /// The response to send instead of `response`, whose session could not
    /// be saved for `error`.
    fn on_save_error(&self, error: &SaveError, response: Response<B>) -> Response<B>;
}

impl<B: Default> OnSaveError<B> for SaveErrorPolicy {
    fn on_save_error(&self, error: &SaveError, response: Response<B>) -> Response<B> {
        let Some(status) = self.replacement(error) else {
            return response;
        };
        let mut replaced = Response::new(B::default());
        *replaced.status_mut() = status;
        // The handler's `Vary` (with save rule 6's `Cookie`) still holds.
        for vary in response.headers().get_all(http::header::VARY) {
            replaced
                .headers_mut()
                .append(http::header::VARY, vary.clone());
        }
        replaced
    }
}

impl<B, F> OnSaveError<B> for F
where
    F: Fn(&SaveError, Response<B>) -> Response<B>,
{
    fn on_save_error(&self, error: &SaveError, response: Response<B>) -> Response<B> {
        self(error, response)
    }
}

/// A cheap, cloneable handle to the request's [`Session`], shared between
/// the layer and the handler. It has every method of [`Session`]; each
/// locks for the duration of the call only, so a handle is safe to use
/// across `.await` points.
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use sealed_session::tower::SessionHandle;
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
/// handle.insert("user", &42u64)?;
/// assert_eq!(handle.get::<u64>("user")?, Some(42));
/// assert_eq!(handle.keys(), ["user"]);
/// assert_eq!((handle.len(), handle.status()), (1, Status::New));
/// # }
/// # Ok::<(), sealed_session::SessionError>(())
/// ```
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

    /// Locks the session, for several operations under one lock.
    ///
    /// The guard is a [`std::sync::MutexGuard`]: it is not `Send`, so it
    /// must not be held across an `.await`. A handler that does has a
    /// future that is not `Send`, and axum refuses it at the route with an
    /// error that does not name the guard (``the trait bound `fn(SessionHandle)
    /// -> impl Future<Output = String> {handler}: Handler<_, _>` is not
    /// satisfied``; `#[axum::debug_handler]` points at the guard). Drop the
    /// guard before the `.await` (end its block), or use the handle's own
    /// methods, which lock per call. While a guard is held, the handle's
    /// other methods wait for it: do not call them with a guard alive, nor
    /// from inside [`with`](Self::with).
    ///
    /// A handler that panicked while holding the lock leaves a session that
    /// is still consistent (every method completes its change or makes
    /// none), so poisoning is ignored.
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
        key: impl AsRef<str>,
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

    /// [`Session::keys`], collected: the keys cannot borrow from a session
    /// behind a lock.
    #[must_use]
    pub fn keys(&self) -> Vec<String> {
        self.lock().keys().map(str::to_owned).collect()
    }

    /// [`Session::len`].
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// [`Session::is_empty`].
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// [`Session::created`].
    #[must_use]
    pub fn created(&self) -> OffsetDateTime {
        self.lock().created()
    }

    /// [`Session::expiry`].
    #[must_use]
    pub fn expiry(&self) -> Expiry {
        self.lock().expiry()
    }

    /// [`Session::expiry_date`].
    #[must_use]
    pub fn expiry_date(&self) -> OffsetDateTime {
        self.lock().expiry_date()
    }

    /// [`Session::expires_at_browser_close`].
    #[must_use]
    pub fn expires_at_browser_close(&self) -> bool {
        self.lock().expires_at_browser_close()
    }

    /// [`Session::is_modified`].
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.lock().is_modified()
    }

    /// [`Session::encoded_len`].
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.lock().encoded_len()
    }
}

/// Loads the session for each request and saves it into the response.
///
/// `P` is what happens when a session cannot be saved: a
/// [`SaveErrorPolicy`] (by default [`SaveErrorPolicy::ErrorStatus`], a 413
/// for a session too large for one cookie) or a function, see
/// [`OnSaveError`].
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use std::convert::Infallible;
/// use http::{Request, Response};
/// use sealed_session::tower::{SessionHandle, SessionLayer};
/// use sealed_session::{Key, Keyring, SessionConfig};
/// use tower::{ServiceBuilder, ServiceExt, service_fn};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let service = ServiceBuilder::new()
///     .layer(SessionLayer::new(config))
///     .service(service_fn(|request: Request<String>| async move {
///         let session = request.extensions().get::<SessionHandle>().unwrap();
///         session.insert("seen", &true).unwrap();
///         Ok::<_, Infallible>(Response::new(String::from("hello")))
///     }));
/// let response = tokio::runtime::Builder::new_current_thread()
///     .build()
///     .unwrap()
///     .block_on(service.oneshot(Request::new(String::new())))
///     .unwrap();
/// assert!(response.headers().contains_key("set-cookie"));
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SessionLayer<P = SaveErrorPolicy> {
    config: SessionConfig,
    policy: P,
    revocations: Option<Revocations>,
}

impl SessionLayer {
    /// A layer for `config`, answering `413 Payload Too Large` when a
    /// session does not fit in one cookie and `500` when it cannot be sealed.
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            policy: SaveErrorPolicy::default(),
            revocations: None,
        }
    }
}

impl<P> SessionLayer<P> {
    /// Chooses what happens when a session cannot be saved: a
    /// [`SaveErrorPolicy`], or a function that sees the error and the
    /// handler's response (see [`OnSaveError`]).
    #[must_use]
    pub fn on_save_error<Q>(self, policy: Q) -> SessionLayer<Q> {
        SessionLayer {
            config: self.config,
            policy,
            revocations: self.revocations,
        }
    }

    /// Checks every loaded session against a revocation store before the
    /// handler runs (a revoked one reaches the handler as a new, empty
    /// session with status [`Revoked`](crate::Status::Revoked), and its
    /// cookie is removed), and revokes a session the handler
    /// [`flush`](crate::Session::flush)es until no copy of its cookie can
    /// still be live, so a copy made before the logout is refused by every
    /// server. Store failures follow the [`Revocations`]' failure policy
    /// and are logged (feature `tracing`). One store round trip per request
    /// that carries a session cookie; none for requests without one.
    #[must_use]
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.revocations = Some(revocations);
        self
    }
}

impl<S, P: Clone> Layer<S> for SessionLayer<P> {
    type Service = SessionService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            config: self.config.clone(),
            policy: self.policy.clone(),
            revocations: self.revocations.clone(),
        }
    }
}

/// The service [`SessionLayer`] wraps around an inner service.
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use sealed_session::tower::{SessionLayer, SessionService};
/// use sealed_session::{Key, Keyring, SessionConfig};
/// use tower::Layer as _;
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let inner = tower::service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// });
/// let service: SessionService<_> = SessionLayer::new(config).layer(inner);
/// # let _ = service; }
/// ```
#[derive(Debug, Clone)]
pub struct SessionService<S, P = SaveErrorPolicy> {
    inner: S,
    config: SessionConfig,
    policy: P,
    revocations: Option<Revocations>,
}

impl<S, P, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    P: OnSaveError<ResBody> + Clone + Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let mut session = load(&self.config, &request);
        let config = self.config.clone();
        let policy = self.policy.clone();
        let Some(revocations) = self.revocations.clone() else {
            // No store: the inner service is called right away, as tower
            // expects of a service that was polled ready.
            let handle = SessionHandle::new(session);
            request.extensions_mut().insert(handle.clone());
            let future = self.inner.call(request);
            return Box::pin(async move {
                let response = future.await?;
                Ok(finish(&config, &policy, &handle, response))
            });
        };
        // The check awaits the store before the handler runs: call a clone
        // of the inner service, keeping the one that was polled ready (the
        // usual tower pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            // The error was logged; the failure policy decided the session.
            let _ = revocations.check(&mut session).await;
            let handle = SessionHandle::new(session);
            request.extensions_mut().insert(handle.clone());
            let response = inner.call(request).await?;
            let ended = handle.lock().ended();
            let response = finish(&config, &policy, &handle, response);
            // A failure was logged: the browser's cookie is removed anyway.
            let _ = revocations.revoke_ended_session(ended).await;
            Ok(response)
        })
    }
}

/// Saves the handler's session into its response, or applies the policy.
fn finish<B, P: OnSaveError<B>>(
    config: &SessionConfig,
    policy: &P,
    handle: &SessionHandle,
    mut response: Response<B>,
) -> Response<B> {
    let result = {
        let session = handle.lock();
        save(config, &session, &mut response)
    };
    if let Err(error) = result {
        response = policy.on_save_error(&error, response);
        response.extensions_mut().insert(SaveFailed(error));
    }
    response
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
    ///
    /// ```
    /// # #[cfg(feature = "axum")] {
    /// use axum::response::IntoResponse;
    /// use sealed_session::tower::MissingSessionLayer;
    ///
    /// assert_eq!(MissingSessionLayer.into_response().status(), 500);
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
    #[error("no SessionLayer wraps this route: add `.layer(SessionLayer::new(config))`")]
    pub struct MissingSessionLayer;

    impl IntoResponse for MissingSessionLayer {
        fn into_response(self) -> Response {
            (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
        }
    }

    /// The handle the [`SessionLayer`](super::SessionLayer) put in the
    /// request's extensions.
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
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
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use axum_extractor::MissingSessionLayer;
