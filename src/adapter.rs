//! What the framework adapters share (features `tower`, `actix-web`): the
//! one list of session methods both faces are generated from, the
//! [`OnSaveError`] hook and the [`SessionService`] both wrap around a
//! handler. Each adapter implements its framework's traits for these next
//! to its own code, so this module names no framework.

use std::sync::Arc;

use http::Response;

use crate::config::SessionConfig;
use crate::csrf::{CrossOrigin, CrossOriginError, CsrfRejection, TokenError};
use crate::glue::{SaveError, SaveErrorPolicy};
use crate::revocation::Revocations;

/// One method of a face, its doc comment followed by `$example`: a doctest
/// whose hidden first lines make `session`, a `$path` around a new session.
macro_rules! face_method {
    ($path:literal, $example:literal, $(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$attr])*
        ///
        /// # Example
        ///
        /// ```
        #[doc = concat!(
            "# let config = sealed_session::SessionConfig::builder(",
            "sealed_session::Keyring::new(sealed_session::Key::generate())).build()?;\n",
            "# let session = ", $path,
            "::new(sealed_session::load(&config, &http::Request::new(())));\n",
            $example,
            "\n# Ok::<(), Box<dyn std::error::Error>>(())",
        )]
        /// ```
        $vis fn $($rest)*
    };
}
pub(crate) use face_method;

/// Emits, for a face type that wraps a shared [`Session`](crate::session::Session),
/// every delegating method and a `Debug` that never waits.
///
/// `$path` is the face's public path, for the examples. The face supplies
/// three inherent methods: `$read` (a shared borrow),
/// `$write` (a mutable borrow; it is also the face's public `lock`) and
/// `$try_read` (`Option` of a shared borrow, `None` while the session is
/// held). The list lives here once so that the two faces cannot drift: a
/// method added here appears on both.
macro_rules! session_face {
    (
        $face:ident,
        path: $path:literal,
        read: $read:ident,
        write: $write:ident,
        try_read: $try_read:ident
    ) => {
        // Printing a face from inside `with` (which holds the session) must
        // not wait for itself: a held session prints as a placeholder.
        impl ::std::fmt::Debug for $face {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                match self.$try_read() {
                    Some(session) => ::std::fmt::Debug::fmt(&*session, f),
                    None => f.write_str(concat!(stringify!($face), "(<locked>)")),
                }
            }
        }

        impl $face {
            crate::adapter::face_method! {
                $path,
                "let len = session.with(|s| {\n    s.insert(\"a\", &1u8)?;\n    s.insert(\"b\", &2u8)?;\n    Ok::<_, sealed_session::SessionError>(s.len())\n})?;\nassert_eq!(len, 2);",
                /// Runs `f` with the session borrowed mutably, for several
                /// operations under one borrow (see [`lock`](Self::lock) for what
                /// the face's other methods do meanwhile).
                pub fn with<R>(&self, f: impl FnOnce(&mut crate::session::Session) -> R) -> R {
                    f(&mut self.$write())
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"user\", &42u64)?;\nassert_eq!(session.get::<u64>(\"user\")?, Some(42));\nassert_eq!(session.get::<u64>(\"nobody\")?, None);",
                /// [`Session::get`](crate::session::Session::get).
                ///
                /// # Errors
                ///
                /// As [`Session::get`](crate::session::Session::get).
                pub fn get<T: ::serde::Serialize + ::serde::de::DeserializeOwned>(
                    &self,
                    key: &str,
                ) -> Result<Option<T>, crate::session::SessionError> {
                    self.$read().get(key)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"n\", \"text\")?;\nassert_eq!(session.get_or_remove::<u64>(\"n\"), None);\nassert!(!session.contains_key(\"n\"));",
                /// [`Session::get_or_remove`](crate::session::Session::get_or_remove): a
                /// value stored as another type reads as absent and is removed.
                pub fn get_or_remove<T: ::serde::Serialize + ::serde::de::DeserializeOwned>(
                    &self,
                    key: &str,
                ) -> Option<T> {
                    self.$write().get_or_remove(key)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"cart\", &vec![1u32, 2])?;\nassert!(session.is_modified());\nassert_eq!(session.get::<Vec<u32>>(\"cart\")?, Some(vec![1, 2]));",
                /// [`Session::insert`](crate::session::Session::insert).
                ///
                /// # Errors
                ///
                /// As [`Session::insert`](crate::session::Session::insert).
                pub fn insert<T: ::serde::Serialize + ?Sized>(
                    &self,
                    key: impl AsRef<str>,
                    value: &T,
                ) -> Result<(), crate::session::SessionError> {
                    self.$write().insert(key, value)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"n\", &1u8)?;\nassert!(session.remove(\"n\"));\nassert!(!session.remove(\"n\"));",
                /// [`Session::remove`](crate::session::Session::remove).
                pub fn remove(&self, key: &str) -> bool {
                    self.$write().remove(key)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"n\", &1u8)?;\nassert_eq!(session.take::<u8>(\"n\")?, Some(1));\nassert!(session.is_empty());",
                /// [`Session::take`](crate::session::Session::take).
                ///
                /// # Errors
                ///
                /// As [`Session::take`](crate::session::Session::take).
                pub fn take<T: ::serde::Serialize + ::serde::de::DeserializeOwned>(
                    &self,
                    key: &str,
                ) -> Result<Option<T>, crate::session::SessionError> {
                    self.$write().take(key)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"n\", &1u8)?;\nassert!(session.contains_key(\"n\"));\nassert!(!session.contains_key(\"m\"));",
                /// [`Session::contains_key`](crate::session::Session::contains_key).
                #[must_use]
                pub fn contains_key(&self, key: &str) -> bool {
                    self.$read().contains_key(key)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"n\", &1u8)?;\nsession.clear();\nassert!(session.is_empty());",
                /// [`Session::clear`](crate::session::Session::clear).
                pub fn clear(&self) {
                    self.$write().clear();
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"n\", &1u8)?;\nsession.flush();\nassert!(session.is_empty());",
                /// [`Session::flush`](crate::session::Session::flush) (actix-session's
                /// `purge`, Django's `flush`).
                pub fn flush(&self) {
                    self.$write().flush();
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"user\", \"ada\")?;\nsession.renew();\nassert_eq!(session.get::<String>(\"user\")?.as_deref(), Some(\"ada\"));",
                /// [`Session::renew`](crate::session::Session::renew).
                pub fn renew(&self) {
                    self.$write().renew();
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.set_expiry(sealed_session::Expiry::BrowserSession);\nassert!(session.expires_at_browser_close());",
                /// [`Session::set_expiry`](crate::session::Session::set_expiry).
                pub fn set_expiry(&self, expiry: crate::lifetime::Expiry) {
                    self.$write().set_expiry(expiry);
                }
            }

            crate::adapter::face_method! {
                $path,
                "assert_eq!(session.status(), sealed_session::Status::New);",
                /// [`Session::status`](crate::session::Session::status).
                #[must_use]
                pub fn status(&self) -> crate::session::Status {
                    self.$read().status()
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"a\", &1u8)?;\nassert_eq!(session.keys(), [\"a\"]);",
                /// [`Session::keys`](crate::session::Session::keys), collected: the keys
                /// cannot borrow from a shared session.
                #[must_use]
                pub fn keys(&self) -> Vec<String> {
                    self.$read().keys().map(str::to_owned).collect()
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.insert(\"a\", &1u8)?;\nassert_eq!(session.len(), 1);",
                /// [`Session::len`](crate::session::Session::len).
                #[must_use]
                pub fn len(&self) -> usize {
                    self.$read().len()
                }
            }

            crate::adapter::face_method! {
                $path,
                "assert!(session.is_empty());\nsession.insert(\"a\", &1u8)?;\nassert!(!session.is_empty());",
                /// [`Session::is_empty`](crate::session::Session::is_empty).
                #[must_use]
                pub fn is_empty(&self) -> bool {
                    self.$read().is_empty()
                }
            }

            crate::adapter::face_method! {
                $path,
                "assert!(session.created() <= sealed_session::time::OffsetDateTime::now_utc());",
                /// [`Session::created`](crate::session::Session::created).
                #[must_use]
                pub fn created(&self) -> ::time::OffsetDateTime {
                    self.$read().created()
                }
            }

            crate::adapter::face_method! {
                $path,
                "assert_eq!(session.expiry(), sealed_session::Expiry::Default);",
                /// [`Session::expiry`](crate::session::Session::expiry).
                #[must_use]
                pub fn expiry(&self) -> crate::lifetime::Expiry {
                    self.$read().expiry()
                }
            }

            crate::adapter::face_method! {
                $path,
                "assert!(session.expiry_date() > session.created());",
                /// [`Session::expiry_date`](crate::session::Session::expiry_date).
                #[must_use]
                pub fn expiry_date(&self) -> ::time::OffsetDateTime {
                    self.$read().expiry_date()
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.set_expiry(sealed_session::Expiry::BrowserSession);\nassert!(session.expires_at_browser_close());",
                /// [`Session::expires_at_browser_close`](crate::session::Session::expires_at_browser_close).
                #[must_use]
                pub fn expires_at_browser_close(&self) -> bool {
                    self.$read().expires_at_browser_close()
                }
            }

            crate::adapter::face_method! {
                $path,
                "assert!(!session.is_modified());\nsession.insert(\"n\", &1u8)?;\nassert!(session.is_modified());",
                /// [`Session::is_modified`](crate::session::Session::is_modified)
                /// (actix-session's `status() == SessionStatus::Changed`).
                #[must_use]
                pub fn is_modified(&self) -> bool {
                    self.$read().is_modified()
                }
            }

            crate::adapter::face_method! {
                $path,
                "let empty = session.encoded_len();\nsession.insert(\"note\", &\"x\".repeat(100))?;\nassert!(session.encoded_len() > empty + 100);",
                /// [`Session::encoded_len`](crate::session::Session::encoded_len).
                #[must_use]
                pub fn encoded_len(&self) -> usize {
                    self.$read().encoded_len()
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.add_flash(sealed_session::flash::Level::Success, \"Saved\")?;\nassert_eq!(session.take_flashes()[0].text, \"Saved\");",
                /// [`flash::add`](crate::flash::add): adds a flash message.
                ///
                /// # Errors
                ///
                /// As [`flash::add`](crate::flash::add).
                pub fn add_flash(
                    &self,
                    level: crate::flash::Level,
                    text: impl Into<String>,
                ) -> Result<(), crate::session::SessionError> {
                    crate::flash::add(&mut self.$write(), level, text)
                }
            }

            crate::adapter::face_method! {
                $path,
                "session.add_flash(sealed_session::flash::Level::Info, \"Hello\")?;\nassert_eq!(session.take_flashes().len(), 1);\nassert!(session.take_flashes().is_empty());",
                /// [`flash::take_all`](crate::flash::take_all): the pending flash
                /// messages, removed.
                #[must_use]
                pub fn take_flashes(&self) -> Vec<crate::flash::Message> {
                    crate::flash::take_all(&mut self.$write())
                }
            }

            crate::adapter::face_method! {
                $path,
                "let token = session.csrf_token();\nsession.with(|s| sealed_session::csrf::verify(s, &token))?;",
                /// [`csrf::token`](crate::csrf::token): a fresh masking of the
                /// session's CSRF secret, for a form field or a header.
                ///
                /// # Panics
                ///
                /// As [`csrf::token`](crate::csrf::token), if the operating
                /// system's random source fails.
                #[must_use]
                pub fn csrf_token(&self) -> String {
                    crate::csrf::token(&mut self.$write())
                }
            }

            crate::adapter::face_method! {
                $path,
                "let token = session.csrf_token();\nsession.renew_csrf();\nassert!(session.with(|s| sealed_session::csrf::verify(s, &token)).is_err());",
                /// [`csrf::renew`](crate::csrf::renew): rotates the session's
                /// CSRF secret (after a login).
                ///
                /// # Panics
                ///
                /// As [`csrf::renew`](crate::csrf::renew).
                pub fn renew_csrf(&self) {
                    crate::csrf::renew(&mut self.$write());
                }
            }
        }
    };
}
pub(crate) use session_face;

/// What the session layer or middleware does with a response whose session
/// could not be saved: a [`SaveErrorPolicy`], or any `Fn(&SaveError, R) ->
/// R`, which sees the error and the handler's response and returns the
/// response to send. `R` is the framework's response type: `http::Response<B>`
/// under tower and axum, `actix_web::HttpResponse` (its body boxed) under
/// actix-web.
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
///
/// ```
/// # #[cfg(feature = "actix-web")] {
/// use actix_web::HttpResponse;
/// use sealed_session::actix::SessionMiddleware;
/// use sealed_session::{Key, Keyring, SaveError, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let middleware = SessionMiddleware::new(config).on_save_error(
///     |error: &SaveError, response: HttpResponse| match error {
///         SaveError::TooLarge { .. } => {
///             HttpResponse::PayloadTooLarge().body("your cart is full")
///         }
///         _ => response,
///     },
/// );
/// # let _ = middleware; }
/// ```
pub trait OnSaveError<R> {
    /// The response to send instead of `response`, whose session could not
    /// be saved for `error`.
    ///
    /// ```
    /// # #[cfg(any(feature = "tower", feature = "actix-web"))] {
    /// use http::{Response, StatusCode};
    /// use sealed_session::{OnSaveError, SaveError, SaveErrorPolicy};
    ///
    /// let too_large = SaveError::TooLarge { size: 5_000, limit: 4_093 };
    /// let page = Response::new(String::from("page"));
    /// let answer = SaveErrorPolicy::ErrorStatus.on_save_error(&too_large, page);
    /// assert_eq!(answer.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// // A short text that says what happened, never a value.
    /// assert_eq!(answer.body(), "session too large for a cookie");
    ///
    /// let keep = |_: &SaveError, response: Response<String>| response;
    /// assert_eq!(keep.on_save_error(&too_large, Response::new("page".into())).body(), "page");
    /// # }
    /// ```
    fn on_save_error(&self, error: &SaveError, response: R) -> R;
}

impl<R, F> OnSaveError<R> for F
where
    F: Fn(&SaveError, R) -> R,
{
    fn on_save_error(&self, error: &SaveError, response: R) -> R {
        self(error, response)
    }
}

/// A response with the policy's status and a short text
/// ([`SaveError`]'s: `session too large for a cookie`, `session not saved`),
/// or the handler's own.
impl<B: From<String>> OnSaveError<Response<B>> for SaveErrorPolicy {
    fn on_save_error(&self, error: &SaveError, response: Response<B>) -> Response<B> {
        let Some(status) = self.replacement(error) else {
            return response;
        };
        let mut replaced = Response::new(B::from(save_error_body(error).to_owned()));
        *replaced.status_mut() = status;
        replaced.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        // The handler's `Vary` (with save rule 6's `Cookie`) still holds.
        for vary in response.headers().get_all(http::header::VARY) {
            replaced
                .headers_mut()
                .append(http::header::VARY, vary.clone());
        }
        replaced
    }
}

/// The service that the tower `SessionLayer` and the actix-web
/// `SessionMiddleware` wrap around the inner service: it loads the session
/// before the inner service runs and saves it into the response after.
/// One type for both frameworks: it implements tower's `Service` (feature
/// `tower`) and actix-web's (feature `actix-web`, where `S` is the inner
/// service in an `Rc`, as actix-web shares it with the futures it returns).
///
/// `P` is what happens when a session cannot be saved: see [`OnSaveError`].
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use sealed_session::tower::SessionLayer;
/// use sealed_session::{Key, Keyring, SessionConfig, SessionService};
/// use tower::Layer as _;
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let inner = tower::service_fn(|_: http::Request<()>| async {
///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
/// });
/// let service: SessionService<_> = SessionLayer::new(config).layer(inner);
/// # let _ = service; }
/// ```
pub struct SessionService<S, P = SaveErrorPolicy> {
    pub(crate) inner: S,
    /// Behind one `Arc`: axum clones the layered service for every request
    /// and each request's future keeps what it needs, so one reference
    /// count to touch instead of one per field (and no copy of the
    /// cross-origin check's lists) is what a request pays.
    pub(crate) shared: Arc<Settings<P>>,
}

/// What the tower `SessionLayer` and the actix-web `SessionMiddleware` are
/// configured with, and every request of their [`SessionService`] reads:
/// one definition, so the two adapters start from the same defaults.
#[derive(Debug, Clone)]
pub(crate) struct Settings<P> {
    pub(crate) config: SessionConfig,
    /// What happens when a session cannot be saved.
    pub(crate) policy: P,
    pub(crate) revocations: Option<Revocations>,
    /// The cross-origin check applied to unsafe methods before the session
    /// is loaded: `CrossOrigin::default()` unless the app passed its own or
    /// opted out (`None`).
    pub(crate) cross_origin: Option<CrossOrigin>,
}

impl Settings<SaveErrorPolicy> {
    /// The defaults of both adapters: the default save-error policy, no
    /// revocation store, the default cross-origin check.
    pub(crate) fn new(config: SessionConfig) -> Self {
        Self {
            config,
            policy: SaveErrorPolicy::default(),
            revocations: None,
            cross_origin: Some(CrossOrigin::default()),
        }
    }
}

impl<P> Settings<P> {
    /// The same settings with another save-error policy.
    pub(crate) fn with_policy<Q>(self, policy: Q) -> Settings<Q> {
        Settings {
            config: self.config,
            policy,
            revocations: self.revocations,
            cross_origin: self.cross_origin,
        }
    }
}

impl<S, P> SessionService<S, P> {
    /// What a layer (tower) or a middleware (actix-web) wraps around
    /// `inner`.
    pub(crate) fn new(inner: S, settings: Settings<P>) -> Self {
        Self {
            inner,
            shared: Arc::new(settings),
        }
    }
}

impl<S: Clone, P> Clone for SessionService<S, P> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S, P> std::fmt::Debug for SessionService<S, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService")
            .field("config", &self.shared.config)
            .field("revocations", &self.shared.revocations.is_some())
            .field("cross_origin", &self.shared.cross_origin)
            .finish_non_exhaustive()
    }
}

/// The body of a response that stands for a session that could not be
/// saved: short, and quoting nothing (the sizes are the server's business).
pub(crate) fn save_error_body(error: &SaveError) -> &'static str {
    match error {
        SaveError::TooLarge { .. } => "session too large for a cookie",
        _ => "session not saved",
    }
}

/// The cross-origin check both adapters apply before the session is loaded
/// (secure by default, DESIGN.md §8): the reason a request is refused, if
/// it is, already logged. One place, so the two adapters cannot judge a
/// request differently.
pub(crate) fn cross_origin_refusal<B>(
    check: Option<&CrossOrigin>,
    request: &http::Request<B>,
) -> Option<CrossOriginError> {
    let refused = check?.check(request).err()?;
    crate::log::cross_origin_refused(&refused, request.method(), request.uri().path());
    Some(refused)
}

/// The body of a refused cross-origin request: the reason, which names the
/// check that failed and quotes no header value (as a token layer's).
pub(crate) fn cross_origin_body(refused: CrossOriginError) -> String {
    rejection_body(&CsrfRejection::CrossOrigin(refused))
}

/// The configuration and the decision of the two token layers (the tower
/// `CsrfLayer` and the actix-web `CsrfMiddleware`), over `http` 1 types so
/// that both judge a request alike: each adapter only reads the body and
/// builds the response. The steps, in order: [`start`](Self::start) (no
/// body needed), the adapter's body read (a form, up to `body_limit`),
/// [`finish`](Self::finish) (the token against the session).
#[derive(Debug, Clone)]
pub(crate) struct TokenCheck {
    pub(crate) cross_origin: CrossOrigin,
    pub(crate) token: bool,
    pub(crate) form_field: String,
    pub(crate) body_limit: usize,
}

/// What a token layer does after [`TokenCheck::start`].
#[derive(Debug)]
pub(crate) enum TokenStep {
    /// Hand the request on untouched.
    Pass,
    /// Verify a token against the session: the header's (already read)
    /// and, when `read_form`, the form body's.
    Verify {
        from_header: Option<String>,
        read_form: bool,
    },
}

impl TokenCheck {
    pub(crate) fn new(cross_origin: CrossOrigin) -> Self {
        Self {
            cross_origin,
            token: false,
            form_field: crate::csrf::CSRF_FORM_FIELD.to_owned(),
            body_limit: crate::csrf::CSRF_BODY_LIMIT,
        }
    }

    /// Everything that needs no body: the cross-origin check, whether a
    /// token is needed, the header's token, and a declared body length over
    /// the limit.
    pub(crate) fn start<B>(&self, request: &http::Request<B>) -> Result<TokenStep, CsrfRejection> {
        if crate::csrf::is_safe(request.method()) {
            return Ok(TokenStep::Pass);
        }
        self.cross_origin.check(request)?;
        if !self.token || self.cross_origin.is_exempt_path(request.uri().path()) {
            return Ok(TokenStep::Pass);
        }
        let mut headers = request.headers().get_all(crate::csrf::CSRF_HEADER).iter();
        let from_header = match (headers.next(), headers.next()) {
            (None, _) => None,
            (Some(value), None) => Some(header_token(value)?),
            (Some(_), Some(_)) => return Err(CsrfRejection::DuplicateToken),
        };
        let read_form = is_form(request.headers());
        if read_form {
            let declared = request
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            let limit = self.body_limit;
            if declared.is_some_and(|len| len > u64::try_from(limit).unwrap_or(u64::MAX)) {
                return Err(CsrfRejection::BodyTooLarge { limit });
            }
        }
        Ok(TokenStep::Verify {
            from_header,
            read_form,
        })
    }

    /// The submitted token (the header's, or the form's when `form` is the
    /// body that [`start`](Self::start) asked for) against the session.
    pub(crate) fn finish(
        &self,
        session: &crate::session::Session,
        from_header: Option<String>,
        form: Option<&[u8]>,
    ) -> Result<(), CsrfRejection> {
        let from_form = match form {
            Some(body) => form_token(body, &self.form_field)?,
            None => None,
        };
        let submitted = match (from_header, from_form) {
            (Some(_), Some(_)) => return Err(CsrfRejection::TokenInHeaderAndForm),
            (Some(token), None) | (None, Some(token)) => token,
            (None, None) => return Err(TokenError::Missing.into()),
        };
        crate::csrf::verify(session, &submitted)?;
        Ok(())
    }
}

/// The header's token; a value that is not visible ASCII cannot be one.
fn header_token(value: &http::HeaderValue) -> Result<String, CsrfRejection> {
    value
        .to_str()
        .map(str::to_owned)
        .map_err(|_| TokenError::Malformed.into())
}

/// Whether the body is `application/x-www-form-urlencoded` (parameters
/// such as `charset` allowed).
fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The form field `name`, if present once.
fn form_token(body: &[u8], name: &str) -> Result<Option<String>, CsrfRejection> {
    if std::str::from_utf8(body).is_err() {
        return Err(CsrfRejection::FormNotUtf8);
    }
    let mut found = None;
    for (field, value) in form_urlencoded::parse(body) {
        if field == name {
            if found.is_some() {
                return Err(CsrfRejection::DuplicateToken);
            }
            found = Some(value.into_owned());
        }
    }
    Ok(found)
}

/// The body of a token layer's refusal: the reason on one line, which
/// quotes no token and no header value.
pub(crate) fn rejection_body(rejection: &CsrfRejection) -> String {
    format!("{rejection}\n")
}
