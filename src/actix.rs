//! An actix-web 4 [`SessionMiddleware`] that loads the session before the
//! handler and saves it after, and the [`Session`] extractor handlers take
//! (feature `actix-web`).
//!
//! ```
//! # #[cfg(feature = "actix-web")] {
//! use actix_web::{App, HttpResponse, web};
//! use sealed_session::actix::{Session, SessionMiddleware};
//! use sealed_session::{Key, Keyring, SessionConfig};
//!
//! async fn login(session: Session) -> actix_web::Result<HttpResponse> {
//!     session.insert("name", "ada")?;
//!     session.renew(); // a change of privilege: fresh session, same data
//!     Ok(HttpResponse::Ok().body("welcome"))
//! }
//!
//! let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
//! let app = App::new()
//!     .wrap(SessionMiddleware::new(config))
//!     .route("/login", web::post().to(login));
//! # let _ = app; }
//! ```
//!
//! The save rules are the core's ([`crate::save`]), applied with the
//! response's status: a 5xx gets no new session cookie, a removal still goes
//! out. When a session cannot be saved, the [`SaveErrorPolicy`] (or an
//! [`OnSaveError`] callback) decides the answer and a [`SaveFailed`] lands in
//! the response extensions.
//!
//! Decisions:
//!
//! - actix-web runs each worker on one thread and needs no `Send` futures,
//!   so [`Session`] is an `Rc<RefCell<_>>` (cheap to clone, not `Send`), as
//!   actix-web's own request types are. Using it while a
//!   [`lock`](Session::lock) guard is alive panics at once, where a mutex
//!   would deadlock.
//! - An inner service that fails with an `Err` (rather than an error
//!   response) stays an error for outer middleware, but the session is saved
//!   into the response that error stands for, so a removal is never lost.
//! - A handler that leaves the session borrowed in a task still running
//!   after its response gets nothing saved: the client keeps its cookie.
//! - The request's `Cookie` headers and the response's `Set-Cookie`, `Vary`
//!   and `Cache-Control` cross between actix-web's `http` 0.2 and this
//!   crate's `http` 1 by their bytes; a value one side would refuse (none
//!   exists today: both accept the same bytes) is skipped, never unwrapped.

use std::cell::{Ref, RefCell, RefMut};
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};

use crate::adapter::{
    OnSaveError, SessionService, Settings, cross_origin_body, save_error_body, session_face,
};
use crate::config::SessionConfig;
use crate::csrf::CrossOrigin;
use crate::glue::{SaveError, SaveErrorPolicy, SaveFailed};
use crate::revocation::Revocations;
use crate::session::{Session as Inner, SessionError};
use bridge::{check_cross_origin, keep_removal, load_session, save_session};

mod bridge;
mod csrf;

pub use csrf::{CsrfMiddleware, CsrfMiddlewareService};

/// A response with the policy's status and a short text (`session too
/// large for a cookie`, `session not saved`), or the handler's own.
impl OnSaveError<HttpResponse> for SaveErrorPolicy {
    fn on_save_error(&self, error: &SaveError, response: HttpResponse) -> HttpResponse {
        let Some(status) = self.replacement(error) else {
            return response;
        };
        let mut replaced = HttpResponse::build(bridge_status(status))
            .content_type("text/plain; charset=utf-8")
            .body(save_error_body(error));
        // The handler's `Vary` (with save rule 6's `Cookie`) still holds.
        for vary in response.headers().get_all(actix_web::http::header::VARY) {
            replaced
                .headers_mut()
                .append(actix_web::http::header::VARY, vary.clone());
        }
        replaced
    }
}

/// actix-web's `http` 0.2 status as an `http` 1 one (same number).
fn bridge_http1_status(status: StatusCode) -> http::StatusCode {
    http::StatusCode::from_u16(status.as_u16()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
}

/// An `http` 1 status as actix-web's `http` 0.2 one (same number).
fn bridge_status(status: http::StatusCode) -> StatusCode {
    StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The request's session, as a handler argument (an actix-web
/// [`FromRequest`] extractor) under a [`SessionMiddleware`]. Its methods
/// are the tower `SessionHandle`'s, generated from one list: the core
/// [`Session`](crate::Session)'s own and the [`csrf`](crate::csrf) and
/// [`flash`](crate::flash) helpers (reach any other through
/// [`with`](Self::with)); clones share one session, which the middleware
/// saves once the handler's response is ready.
///
/// ```
/// # #[cfg(feature = "actix-web")] {
/// use sealed_session::actix::Session;
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let session = Session::new(sealed_session::load(&config, &http::Request::new(())));
/// session.insert("user", &42u64)?;
/// assert_eq!(session.get::<u64>("user")?, Some(42));
/// assert_eq!(session.keys(), ["user"]);
/// assert_eq!((session.len(), session.status()), (1, Status::New));
/// # }
/// # Ok::<(), sealed_session::SessionError>(())
/// ```
#[derive(Clone)]
pub struct Session(Rc<RefCell<Inner>>);

session_face!(
    Session,
    path: "sealed_session::actix::Session",
    read: read,
    write: lock,
    try_read: try_read
);

impl Session {
    /// Wraps a session (the middleware does this; useful in tests).
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use sealed_session::actix::Session;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let session = Session::new(sealed_session::load(&config, &http::Request::new(())));
    /// let clone = session.clone(); // clones share one session
    /// clone.insert("user", &42u64)?;
    /// assert_eq!(session.get::<u64>("user")?, Some(42));
    /// # }
    /// # Ok::<(), sealed_session::SessionError>(())
    /// ```
    #[must_use]
    pub fn new(session: Inner) -> Self {
        Self(Rc::new(RefCell::new(session)))
    }

    /// Borrows the session mutably, for several operations at once (the
    /// name is the tower `SessionHandle`'s).
    ///
    /// # Panics
    ///
    /// While the guard lives, any other use of this session (this handle,
    /// a clone, [`with`](Self::with)) panics, as a `RefCell` does: drop the
    /// guard first (end its block). Holding it across an `.await` is the
    /// usual way to get there, and clippy's `await_holding_refcell_ref`
    /// (on by default) flags it. Only `Debug` does not panic: it prints
    /// `Session(<locked>)` instead.
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use sealed_session::actix::Session;
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let session = Session::new(sealed_session::load(&config, &http::Request::new(())));
    /// {
    ///     let mut inner = session.lock();
    ///     inner.insert("a", &1u8)?;
    ///     inner.insert("b", &2u8)?;
    ///     assert_eq!(format!("{session:?}"), "Session(<locked>)");
    /// } // the guard is dropped here
    /// assert_eq!(session.len(), 2);
    /// # }
    /// # Ok::<(), sealed_session::SessionError>(())
    /// ```
    pub fn lock(&self) -> RefMut<'_, Inner> {
        self.0.borrow_mut()
    }

    fn read(&self) -> Ref<'_, Inner> {
        self.0.borrow()
    }

    fn try_read(&self) -> Option<Ref<'_, Inner>> {
        self.0.try_borrow().ok()
    }
}

/// A 500 with a short body that quotes nothing (the error names session
/// keys and Rust types, which are the server's business), so a handler
/// returning `actix_web::Result` can use `?` on session calls. With the
/// `tracing` feature the error is logged (the key and the type, never the
/// value).
impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        crate::log::session_error_response(self);
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body("session error")
    }
}

/// `413 Payload Too Large` for [`SaveError::TooLarge`] (the client keeps its
/// previous cookie, so nothing is lost but this request's change), `500`
/// otherwise; the body quotes nothing.
impl ResponseError for SaveError {
    fn status_code(&self) -> StatusCode {
        bridge_status(self.status())
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(save_error_body(self))
    }
}

/// The error when a handler takes a [`Session`] but no [`SessionMiddleware`]
/// wraps the route: a server misconfiguration, answered with 500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no SessionMiddleware wraps this route: add `.wrap(SessionMiddleware::new(config))`")]
pub struct MissingSessionMiddleware;

impl ResponseError for MissingSessionMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        crate::log::missing_session_layer(self);
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

impl FromRequest for Session {
    type Error = MissingSessionMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            request
                .extensions()
                .get::<Session>()
                .cloned()
                .ok_or(MissingSessionMiddleware),
        )
    }
}

/// Loads the session for each request and saves it into the response: the
/// actix-web counterpart of the tower `SessionLayer`, for
/// `App::wrap`/`Scope::wrap`.
///
/// `P` is what happens when a session cannot be saved: a
/// [`SaveErrorPolicy`] (by default [`SaveErrorPolicy::ErrorStatus`], a 413
/// for a session too large for one cookie) or a function, see
/// [`OnSaveError`]. A handler's 5xx response is never replaced (it would
/// carry no new session cookie anyway); it only gets the [`SaveFailed`].
///
/// An error that an inner service returns instead of a response (rare:
/// handlers' and extractors' errors are already responses by then) stays an
/// error, but the session is saved into the response it stands for: a logout
/// followed by a failure still removes the cookie.
///
/// **Secure by default.** Before the session is loaded, every unsafe request
/// (`POST`, `PUT`, `PATCH`, `DELETE`, ...) goes through the cross-origin
/// check ([`CrossOrigin::default()`], Go's `CrossOriginProtection`, see
/// [`csrf`](crate::csrf)), as under the tower `SessionLayer`: one a browser
/// sent from another site (or another origin of this one) gets
/// `403 Forbidden` with a one-line reason, the handler is not called, and
/// the session and its cookie are left as they were. A login form posted
/// from another site (login CSRF) is thus refused with no configuration.
/// Pass a configured check with [`cross_origin`](SessionMiddleware::cross_origin),
/// or turn it off with
/// [`allow_cross_origin_requests_unsafe`](SessionMiddleware::allow_cross_origin_requests_unsafe).
#[derive(Debug, Clone)]
pub struct SessionMiddleware<P = SaveErrorPolicy> {
    settings: Settings<P>,
}

impl SessionMiddleware {
    /// A middleware for `config` that refuses cross-origin unsafe requests
    /// with `403` (see above), and answers `413 Payload Too Large` when a
    /// session does not fit in one cookie and `500` when it cannot be sealed.
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use actix_web::test::{TestRequest, call_service, init_service};
    /// use actix_web::{App, HttpResponse, http::StatusCode, web};
    /// use sealed_session::actix::{Session, SessionMiddleware};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// async fn notes(session: Session) -> actix_web::Result<HttpResponse> {
    ///     session.insert("notes", &"x".repeat(5_000))?; // too large for a cookie
    ///     Ok(HttpResponse::Ok().body("saved?"))
    /// }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// actix_web::rt::System::new().block_on(async {
    ///     let app = init_service(
    ///         App::new().wrap(SessionMiddleware::new(config)).route("/", web::post().to(notes)),
    ///     )
    ///     .await;
    ///     let response = call_service(&app, TestRequest::post().uri("/").to_request()).await;
    ///     assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    ///     assert!(!response.headers().contains_key("set-cookie"));
    /// });
    /// # }
    /// ```
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            settings: Settings::new(config),
        }
    }
}

impl<P> SessionMiddleware<P> {
    /// Chooses what happens when a session cannot be saved: a
    /// [`SaveErrorPolicy`], or a function that sees the error and the
    /// handler's response (see [`OnSaveError`]).
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use actix_web::test::{TestRequest, call_service, init_service};
    /// use actix_web::{App, HttpResponse, http::StatusCode, web};
    /// use sealed_session::actix::{Session, SessionMiddleware};
    /// use sealed_session::{Key, Keyring, SaveErrorPolicy, SessionConfig};
    ///
    /// async fn notes(session: Session) -> actix_web::Result<HttpResponse> {
    ///     session.insert("notes", &"x".repeat(5_000))?;
    ///     Ok(HttpResponse::Ok().body("page"))
    /// }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let middleware = SessionMiddleware::new(config).on_save_error(SaveErrorPolicy::KeepPreviousCookie);
    /// actix_web::rt::System::new().block_on(async {
    ///     let app = init_service(App::new().wrap(middleware).route("/", web::post().to(notes))).await;
    ///     let response = call_service(&app, TestRequest::post().uri("/").to_request()).await;
    ///     assert_eq!(response.status(), StatusCode::OK); // the page, without a cookie
    ///     assert!(!response.headers().contains_key("set-cookie"));
    /// });
    /// # }
    /// ```
    #[must_use]
    pub fn on_save_error<Q: OnSaveError<HttpResponse>>(self, policy: Q) -> SessionMiddleware<Q> {
        SessionMiddleware {
            settings: self.settings.with_policy(policy),
        }
    }

    /// Replaces the default cross-origin check (on since 0.1: see the
    /// type's documentation) with `check`: trusted origins (an SSO provider
    /// posting back), exempt paths (signed webhooks), or the site's own
    /// origin behind a proxy that rewrites `Host`. Passing
    /// `CrossOrigin::default()` is what [`new`](SessionMiddleware::new)
    /// already does.
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use sealed_session::actix::SessionMiddleware;
    /// use sealed_session::csrf::CrossOrigin;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    /// let check = CrossOrigin::builder()
    ///     .trusted_origin("https://sso.example.com")
    ///     .build()
    ///     .unwrap();
    /// let middleware = SessionMiddleware::new(config).cross_origin(check);
    /// # let _ = middleware; }
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
    /// itself or serves no browsers.
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use sealed_session::actix::SessionMiddleware;
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    ///
    /// // An API for non-browser clients only.
    /// let middleware = SessionMiddleware::new(config).allow_cross_origin_requests_unsafe();
    /// # let _ = middleware; }
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
    /// [`flush`](Session::flush)es until its own expiry, so a copy of the
    /// cookie made before the logout is refused by every server: the tower
    /// `SessionLayer::revocations` does the same. Store failures follow the
    /// [`Revocations`]' failure policy and are logged (feature `tracing`).
    /// The store must not need a Tokio runtime other than the one actix-web
    /// runs on (`RedisRevocations` works under `actix_web::main`).
    ///
    /// ```
    /// # #[cfg(feature = "actix-web")] {
    /// use actix_web::test::{TestRequest, call_service, init_service, read_body};
    /// use actix_web::{App, HttpRequest, HttpResponse, web};
    /// use sealed_session::actix::{Session, SessionMiddleware};
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// async fn page(session: Session, request: HttpRequest) -> actix_web::Result<HttpResponse> {
    ///     match request.path() {
    ///         "/login" => session.insert("user", &42u64)?,
    ///         "/logout" => session.flush(),
    ///         _ => {}
    ///     }
    ///     Ok(HttpResponse::Ok().body(session.status().as_str()))
    /// }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .session_ids(true)
    ///     .build()
    ///     .unwrap();
    /// let revocations = Revocations::new(MemoryRevocations::new(), &config);
    /// actix_web::rt::System::new().block_on(async {
    ///     let app = init_service(
    ///         App::new()
    ///             .wrap(SessionMiddleware::new(config).revocations(revocations))
    ///             .default_service(web::to(page)),
    ///     )
    ///     .await;
    ///     let login = call_service(&app, TestRequest::get().uri("/login").to_request()).await;
    ///     let set_cookie = login.headers().get("set-cookie").unwrap().to_str().unwrap();
    ///     let cookie = set_cookie.split(';').next().unwrap().to_owned();
    ///     let send = |path: &str| TestRequest::get().uri(path).insert_header(("cookie", cookie.clone()));
    ///     let logout = call_service(&app, send("/logout").to_request()).await;
    ///     assert_eq!(read_body(logout).await, "loaded");
    ///     // A copy of the cookie taken before the logout is refused.
    ///     let replay = call_service(&app, send("/account").to_request()).await;
    ///     assert_eq!(read_body(replay).await, "revoked");
    /// });
    /// # }
    /// ```
    #[must_use]
    pub fn revocations(mut self, revocations: Revocations) -> Self {
        self.settings.revocations = Some(revocations);
        self
    }
}

impl<S, B, P> Transform<S, ServiceRequest> for SessionMiddleware<P>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    P: OnSaveError<HttpResponse> + Clone + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Transform = SessionService<Rc<S>, P>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService::new(
            Rc::new(service),
            self.settings.clone(),
        )))
    }
}

/// The [`SessionService`] under actix-web: what [`SessionMiddleware`] wraps
/// around an inner service (shared in an `Rc` with the futures it returns).
impl<S, B, P> Service<ServiceRequest> for SessionService<Rc<S>, P>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
    P: OnSaveError<HttpResponse> + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(inner);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let shared = Arc::clone(&self.shared);
        if let Some(refused) = check_cross_origin(shared.cross_origin.as_ref(), &request) {
            let response = HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body(cross_origin_body(refused));
            return Box::pin(ready(Ok(request
                .into_response(response)
                .map_into_right_body())));
        }
        let mut loaded = load_session(&shared.config, request.headers());
        let service = Rc::clone(&self.inner);
        Box::pin(async move {
            let (config, policy) = (&shared.config, &shared.policy);
            let Some(revocations) = &shared.revocations else {
                let session = Session::new(loaded);
                request.extensions_mut().insert(session.clone());
                return respond(&*service, config, policy, session, request).await;
            };
            // The error was logged; the failure policy decided the session.
            let _ = revocations.check(&mut loaded).await;
            let session = Session::new(loaded);
            request.extensions_mut().insert(session.clone());
            let result = respond(&*service, config, policy, session.clone(), request).await;
            let ended = session
                .0
                .try_borrow()
                .map(|s| s.ended())
                .unwrap_or_default();
            // A failure was logged: the browser's cookie is removed anyway.
            let _ = revocations.revoke_ended_session(ended).await;
            result
        })
    }
}

/// Calls the handler and saves its session into the response.
async fn respond<S, B, P>(
    service: &S,
    config: &SessionConfig,
    policy: &P,
    session: Session,
    request: ServiceRequest,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, actix_web::Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody + 'static,
    P: OnSaveError<HttpResponse> + ?Sized,
{
    let mut response = match service.call(request).await {
        Ok(response) => response,
        Err(error) => return Err(save_into_error(config, &session, error)),
    };
    // The handler is done with the session, unless it moved a borrowed
    // guard into a task still running: then the session is mid-change, and
    // nothing is saved (the client keeps its cookie).
    let Ok(inner) = session.0.try_borrow() else {
        return Ok(response.map_into_left_body());
    };
    let status = response.status();
    let Err(error) = save_session(config, &inner, status, response.headers_mut()) else {
        return Ok(response.map_into_left_body());
    };
    let (http_request, handler_response) = response.into_parts();
    let mut replaced = policy.on_save_error(&error, handler_response.map_into_boxed_body());
    crate::log::save_error_response(&error, bridge_http1_status(replaced.status()));
    // Save rule 5: a logout is not undone by the replacement response.
    keep_removal(config, &inner, replaced.headers_mut());
    drop(inner);
    replaced.extensions_mut().insert(SaveFailed(error));
    Ok(ServiceResponse::new(http_request, replaced).map_into_right_body())
}

/// An inner service failed with `error` instead of answering: the session is
/// saved into the response the error stands for (so a logout followed by a
/// failure still removes the cookie, and a 5xx gets no new one), and the
/// error goes on outwards carrying that response, for outer middleware to
/// see as the error it is.
fn save_into_error(
    config: &SessionConfig,
    session: &Session,
    error: actix_web::Error,
) -> actix_web::Error {
    let Ok(inner) = session.0.try_borrow() else {
        return error;
    };
    let mut response = error.error_response();
    let status = response.status();
    if let Err(failed) = save_session(config, &inner, status, response.headers_mut()) {
        // No cookie was written; the error's own answer stands.
        response.extensions_mut().insert(SaveFailed(failed));
    }
    InternalError::from_response(error, response).into()
}
