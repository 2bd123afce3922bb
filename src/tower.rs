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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_layer::Layer;
use tower_service::Service;

use crate::adapter::{
    OnSaveError, SessionService, Settings, cross_origin_body, cross_origin_refusal, session_face,
};
use crate::config::SessionConfig;
use crate::csrf::CrossOrigin;
use crate::glue::{SaveErrorPolicy, SaveFailed, load, removal_after_failed_save, save};
use crate::revocation::Revocations;
use crate::session::Session;

#[cfg(feature = "axum")]
mod axum;
mod csrf;
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use axum::MissingSessionLayer;
pub use csrf::{CsrfLayer, CsrfService};

/// A cheap, cloneable handle to the request's [`Session`], shared between
/// the layer and the handler. Its methods are the actix-web
/// `Session`'s, generated from one list: the session's own and the
/// [`csrf`](crate::csrf) and [`flash`](crate::flash) helpers (reach any
/// other through [`with`](Self::with)). Each locks for the duration of the
/// call only, so a handle is safe to use across `.await` points.
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

session_face!(
    SessionHandle,
    path: "sealed_session::tower::SessionHandle",
    read: lock,
    write: lock,
    try_read: try_read
);

impl SessionHandle {
    /// Wraps a session (the layer does this; useful in tests).
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::tower::SessionHandle;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
    /// let clone = handle.clone(); // clones share one session
    /// clone.insert("user", &42u64)?;
    /// assert_eq!(handle.get::<u64>("user")?, Some(42));
    /// # }
    /// # Ok::<(), sealed_session::SessionError>(())
    /// ```
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
    /// from inside [`with`](Self::with). Only `Debug` does not wait: it
    /// prints `SessionHandle(<locked>)` instead.
    ///
    /// A handler that panicked while holding the lock leaves a session that
    /// is still consistent (every method completes its change or makes
    /// none), so poisoning is ignored.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::tower::SessionHandle;
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
    /// {
    ///     let mut session = handle.lock();
    ///     session.insert("a", &1u8)?;
    ///     session.insert("b", &2u8)?;
    ///     assert_eq!(format!("{handle:?}"), "SessionHandle(<locked>)");
    /// } // the guard is dropped here, before any .await
    /// assert_eq!(handle.len(), 2);
    /// # }
    /// # Ok::<(), sealed_session::SessionError>(())
    /// ```
    pub fn lock(&self) -> MutexGuard<'_, Session> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session if no one holds the lock (a poisoned one included, as
    /// in [`lock`](Self::lock)).
    fn try_read(&self) -> Option<MutexGuard<'_, Session>> {
        match self.0.try_lock() {
            Ok(session) => Some(session),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }
}

/// Loads the session for each request and saves it into the response,
/// after refusing cross-origin requests with unsafe methods.
///
/// **Secure by default.** Before the session is loaded, every unsafe request
/// (`POST`, `PUT`, `PATCH`, `DELETE`, ...) goes through the cross-origin
/// check ([`CrossOrigin::default()`], Go's `CrossOriginProtection`, see
/// [`csrf`](crate::csrf)): one a browser sent from another site (or another
/// origin of this one) gets `403 Forbidden` with a one-line reason, the
/// inner service is not called, and the session and its cookie are left as
/// they were. A login form posted from another site (login CSRF) is thus
/// refused with no configuration. Pass a configured check (trusted origins,
/// exempt paths) with [`cross_origin`](SessionLayer::cross_origin), or turn
/// it off with
/// [`allow_cross_origin_requests_unsafe`](SessionLayer::allow_cross_origin_requests_unsafe).
/// The session-bound token check is the [`CsrfLayer`]'s.
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
    settings: Settings<P>,
}

impl SessionLayer {
    /// A layer for `config` that refuses cross-origin unsafe requests with
    /// `403` (see above), and answers `413 Payload Too Large` when a
    /// session does not fit in one cookie and `500` when it cannot be sealed.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use std::convert::Infallible;
    /// use http::{Request, Response, StatusCode};
    /// use sealed_session::tower::{SessionHandle, SessionLayer};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use tower::{Layer as _, ServiceExt as _, service_fn};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let service = SessionLayer::new(config).layer(service_fn(|request: Request<()>| async move {
    ///     let session = request.extensions().get::<SessionHandle>().unwrap();
    ///     session.insert("notes", &"x".repeat(5_000)).unwrap(); // too large for a cookie
    ///     Ok::<_, Infallible>(Response::new(String::from("saved?")))
    /// }));
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let response = runtime.block_on(service.oneshot(Request::new(()))).unwrap();
    /// assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// assert!(!response.headers().contains_key("set-cookie"));
    /// # }
    /// ```
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            settings: Settings::new(config),
        }
    }
}

impl<P> SessionLayer<P> {
    /// Chooses what happens when a session cannot be saved: a
    /// [`SaveErrorPolicy`], or a function that sees the error and the
    /// handler's response (see [`OnSaveError`]).
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use std::convert::Infallible;
    /// use http::{Request, Response, StatusCode};
    /// use sealed_session::tower::{SessionHandle, SessionLayer};
    /// use sealed_session::{Key, Keyring, SaveErrorPolicy, SaveFailed, SessionConfig};
    /// use tower::{Layer as _, ServiceExt as _, service_fn};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let layer = SessionLayer::new(config).on_save_error(SaveErrorPolicy::KeepPreviousCookie);
    /// let service = layer.layer(service_fn(|request: Request<()>| async move {
    ///     let session = request.extensions().get::<SessionHandle>().unwrap();
    ///     session.insert("notes", &"x".repeat(5_000)).unwrap();
    ///     Ok::<_, Infallible>(Response::new(String::from("page")))
    /// }));
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let response = runtime.block_on(service.oneshot(Request::new(()))).unwrap();
    /// assert_eq!(response.status(), StatusCode::OK); // the handler's page, without a cookie
    /// assert!(!response.headers().contains_key("set-cookie"));
    /// assert!(response.extensions().get::<SaveFailed>().is_some());
    /// # }
    /// ```
    #[must_use]
    pub fn on_save_error<Q>(self, policy: Q) -> SessionLayer<Q> {
        SessionLayer {
            settings: self.settings.with_policy(policy),
        }
    }

    /// Replaces the default cross-origin check with `check`: trusted
    /// origins (an SSO provider posting back), exempt paths (signed
    /// webhooks), or the site's own origin behind a proxy that rewrites
    /// `Host`.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::csrf::CrossOrigin;
    /// use sealed_session::tower::SessionLayer;
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    ///
    /// let check = CrossOrigin::builder()
    ///     .trusted_origin("https://sso.example.com")
    ///     .exempt_path("/webhooks/")
    ///     .build()
    ///     .unwrap();
    /// let layer = SessionLayer::new(config).cross_origin(check);
    /// # let _ = layer; }
    /// ```
    #[must_use]
    pub fn cross_origin(mut self, check: CrossOrigin) -> Self {
        self.settings.cross_origin = Some(check);
        self
    }

    /// Turns the cross-origin check off: any site can then make a
    /// visitor's browser send an unsafe request that carries the session
    /// cookie (within what `SameSite` lets through), and log them in to the
    /// attacker's account. Only for an app that applies an equivalent check
    /// itself (a [`CsrfLayer`] inside this layer, a proxy) or serves no
    /// browsers.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::tower::SessionLayer;
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    ///
    /// // An API for non-browser clients only.
    /// let layer = SessionLayer::new(config).allow_cross_origin_requests_unsafe();
    /// # let _ = layer; }
    /// ```
    #[must_use]
    pub fn allow_cross_origin_requests_unsafe(mut self) -> Self {
        self.settings.cross_origin = None;
        self
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
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use std::convert::Infallible;
    /// use http::{Request, Response};
    /// use sealed_session::tower::{SessionHandle, SessionLayer};
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use tower::{Layer as _, ServiceExt as _, service_fn};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .session_ids(true)
    ///     .build()
    ///     .unwrap();
    /// let revocations = Revocations::new(MemoryRevocations::new(), &config);
    /// let service = SessionLayer::new(config).revocations(revocations).layer(service_fn(
    ///     |request: Request<()>| async move {
    ///         let session = request.extensions().get::<SessionHandle>().unwrap();
    ///         match request.uri().path() {
    ///             "/login" => session.insert("user", &42u64).unwrap(),
    ///             "/logout" => session.flush(),
    ///             _ => {}
    ///         }
    ///         Ok::<_, Infallible>(Response::new(session.status().as_str().to_owned()))
    ///     },
    /// ));
    /// let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// let send = |path: &str, cookie: &str| {
    ///     let request = Request::get(path).header("cookie", cookie).body(()).unwrap();
    ///     runtime.block_on(service.clone().oneshot(request)).unwrap()
    /// };
    /// let login = send("/login", "");
    /// let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap();
    /// assert_eq!(send("/logout", cookie).body(), "loaded");
    /// // A copy of the cookie taken before the logout is refused.
    /// assert_eq!(send("/account", cookie).body(), "revoked");
    /// # }
    /// ```
    #[must_use]
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.settings.revocations = Some(revocations);
        self
    }
}

impl<S, P: Clone> Layer<S> for SessionLayer<P> {
    type Service = SessionService<S, P>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService::new(inner, self.settings.clone())
    }
}

/// The [`SessionService`] under tower: what [`SessionLayer`] wraps around
/// an inner service.
impl<S, P, ReqBody, ResBody> Service<Request<ReqBody>> for SessionService<S, P>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    P: OnSaveError<Response<ResBody>> + Send + Sync + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        if let Some(refused) = cross_origin_refusal(shared.cross_origin.as_ref(), &request) {
            let response = forbidden(refused);
            // An async block, not `ready`: the inner error type need not be
            // `Send`, and no value of it is ever held.
            return Box::pin(async move { Ok(response) });
        }
        let mut session = load(&shared.config, &request);
        if shared.revocations.is_none() {
            // No store: the inner service is called right away, as tower
            // expects of a service that was polled ready.
            let handle = SessionHandle::new(session);
            request.extensions_mut().insert(handle.clone());
            let future = self.inner.call(request);
            return Box::pin(async move {
                let response = future.await?;
                Ok(finish(&shared.config, &shared.policy, &handle, response))
            });
        }
        // The check awaits the store before the handler runs: call a clone
        // of the inner service, keeping the one that was polled ready (the
        // usual tower pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let revocations = shared.revocations.as_ref();
            if let Some(revocations) = revocations {
                // The error was logged; the failure policy decided the session.
                let _ = revocations.check(&mut session).await;
            }
            let handle = SessionHandle::new(session);
            request.extensions_mut().insert(handle.clone());
            let response = inner.call(request).await?;
            let ended = handle.lock().ended();
            let response = finish(&shared.config, &shared.policy, &handle, response);
            if let Some(revocations) = revocations {
                // A failure was logged: the browser's cookie is removed anyway.
                let _ = revocations.revoke_ended_session(ended).await;
            }
            Ok(response)
        })
    }
}

/// A `403` for a refused cross-origin request, with the same rejection in
/// its extensions as the [`CsrfLayer`] gives (for logging layers outside).
fn forbidden<B: From<String>>(refused: crate::csrf::CrossOriginError) -> Response<B> {
    let mut response = Response::new(B::from(cross_origin_body(refused)));
    *response.status_mut() = http::StatusCode::FORBIDDEN;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
        .extensions_mut()
        .insert(crate::csrf::CsrfRejection::CrossOrigin(refused));
    response
}

/// Saves the handler's session into its response, or applies the policy.
fn finish<B, P: OnSaveError<Response<B>> + ?Sized>(
    config: &SessionConfig,
    policy: &P,
    handle: &SessionHandle,
    mut response: Response<B>,
) -> Response<B> {
    let session = handle.lock();
    if let Err(error) = save(config, &session, &mut response) {
        response = policy.on_save_error(&error, response);
        crate::log::save_error_response(&error, response.status());
        // Save rule 5: a logout is not undone by the replacement response.
        for removal in removal_after_failed_save(config, &session, response.headers()) {
            response
                .headers_mut()
                .append(http::header::SET_COOKIE, removal);
        }
        response.extensions_mut().insert(SaveFailed(error));
    }
    response
}
