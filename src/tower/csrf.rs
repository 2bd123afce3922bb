//! [`CsrfLayer`]: the [`csrf`](crate::csrf) checks as a tower layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::SessionHandle;
use crate::csrf::{self, CrossOrigin, CrossOriginError, TokenError};

/// The request header [`CsrfLayer`] reads a token from: `X-CSRF-Token`.
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use sealed_session::tower::{CSRF_HEADER, CsrfLayer, SessionHandle};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # use sealed_session::csrf::CrossOrigin;
/// # use std::convert::Infallible;
/// # use bytes::Bytes;
/// # use http_body_util::Full;
/// # use tower::{Layer as _, ServiceExt as _, service_fn};
/// # // The status `layer` answers, around a handler that answers 200.
/// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
/// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
/// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
/// #     }));
/// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// #     runtime.block_on(service.oneshot(request)).unwrap().status()
/// # }
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
/// let token = handle.csrf_token(); // given to the page's script
/// let request = http::Request::post("/api/cart")
///     .header(CSRF_HEADER, token)
///     .extension(handle) // as the SessionLayer puts it
///     .body(Full::default())?;
/// let layer = CsrfLayer::new(CrossOrigin::default()).require_token(true);
/// assert_eq!(status(&layer, request), http::StatusCode::OK);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The form field [`CsrfLayer`] reads a token from unless
/// [configured](CsrfLayer::form_field) otherwise.
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use sealed_session::tower::{CSRF_FORM_FIELD, CsrfLayer, SessionHandle};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # use sealed_session::csrf::CrossOrigin;
/// # use std::convert::Infallible;
/// # use bytes::Bytes;
/// # use http_body_util::Full;
/// # use tower::{Layer as _, ServiceExt as _, service_fn};
/// # // The status `layer` answers, around a handler that answers 200.
/// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
/// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
/// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
/// #     }));
/// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// #     runtime.block_on(service.oneshot(request)).unwrap().status()
/// # }
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
/// // <input type="hidden" name="csrf_token" value="{token}">
/// let body = format!("item=tea&{CSRF_FORM_FIELD}={}", handle.csrf_token());
/// let request = http::Request::post("/cart")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .extension(handle)
///     .body(Full::from(body))?;
/// let layer = CsrfLayer::new(CrossOrigin::default()).require_token(true);
/// assert_eq!(status(&layer, request), http::StatusCode::OK);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const CSRF_FORM_FIELD: &str = "csrf_token";

/// How much of a form body [`CsrfLayer`] buffers unless
/// [configured](CsrfLayer::body_limit) otherwise: 1 MiB.
///
/// ```
/// # #[cfg(feature = "tower")] {
/// use sealed_session::tower::{CSRF_BODY_LIMIT, CsrfLayer, SessionHandle};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # use sealed_session::csrf::CrossOrigin;
/// # use std::convert::Infallible;
/// # use bytes::Bytes;
/// # use http_body_util::Full;
/// # use tower::{Layer as _, ServiceExt as _, service_fn};
/// # // The status `layer` answers, around a handler that answers 200.
/// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
/// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
/// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
/// #     }));
/// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// #     runtime.block_on(service.oneshot(request)).unwrap().status()
/// # }
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
/// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
/// let request = http::Request::post("/upload")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .extension(handle)
///     .body(Full::from(format!("data={}", "x".repeat(CSRF_BODY_LIMIT))))?;
/// let layer = CsrfLayer::new(CrossOrigin::default()).require_token(true);
/// assert_eq!(status(&layer, request), http::StatusCode::PAYLOAD_TOO_LARGE);
/// # }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const CSRF_BODY_LIMIT: usize = 1 << 20;

/// Why [`CsrfLayer`] refused a request. The response carries its
/// [`status`](CsrfRejection::status) and message as text, and the rejection
/// itself in its extensions (for logging or metrics layers outside). No
/// variant quotes a token or a header value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfRejection {
    /// The cross-origin check failed (403).
    #[error(transparent)]
    CrossOrigin(#[from] CrossOriginError),
    /// The token is missing or does not verify (403).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A form body over the [limit](CsrfLayer::body_limit) (413).
    #[error("request body over the {limit}-byte limit")]
    BodyTooLarge {
        /// The configured limit, in bytes.
        limit: usize,
    },
    /// A form body that is not UTF-8 (400).
    #[error("form body is not UTF-8")]
    FormNotUtf8,
    /// The body could not be read (the client went away, or the body
    /// failed) (400).
    #[error("request body could not be read")]
    BodyUnreadable,
    /// A token in both the header and the form: an ambiguous request,
    /// refused rather than guessed at (400).
    #[error("CSRF token in both the header and the form")]
    TokenInHeaderAndForm,
    /// The header or the form field given more than once (400).
    #[error("more than one CSRF token")]
    DuplicateToken,
    /// The token check is on but no [`SessionLayer`](super::SessionLayer)
    /// runs before this layer: a server misconfiguration (500).
    #[error("no SessionLayer wraps the CsrfLayer")]
    MissingSessionLayer,
}

impl CsrfRejection {
    /// The response status: 403 for a failed check, 413 for a body over the
    /// limit, 400 for a malformed request, 500 for a misconfiguration.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use http::StatusCode;
    /// use sealed_session::csrf::{CrossOriginError, TokenError};
    /// use sealed_session::tower::CsrfRejection;
    ///
    /// assert_eq!(CsrfRejection::from(CrossOriginError::CrossSite).status(), StatusCode::FORBIDDEN);
    /// assert_eq!(CsrfRejection::from(TokenError::Missing).status(), StatusCode::FORBIDDEN);
    /// assert_eq!(CsrfRejection::DuplicateToken.status(), StatusCode::BAD_REQUEST);
    /// assert_eq!(CsrfRejection::MissingSessionLayer.status(), StatusCode::INTERNAL_SERVER_ERROR);
    /// # }
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            CsrfRejection::CrossOrigin(_) | CsrfRejection::Token(_) => StatusCode::FORBIDDEN,
            CsrfRejection::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CsrfRejection::FormNotUtf8
            | CsrfRejection::BodyUnreadable
            | CsrfRejection::TokenInHeaderAndForm
            | CsrfRejection::DuplicateToken => StatusCode::BAD_REQUEST,
            CsrfRejection::MissingSessionLayer => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Debug, Clone)]
struct Config {
    cross_origin: CrossOrigin,
    token: bool,
    form_field: String,
    body_limit: usize,
}

/// Refuses cross-origin requests with unsafe methods and, when
/// [configured](CsrfLayer::require_token), requests without a valid
/// session-bound token (see [`csrf`](crate::csrf)).
///
/// The token comes from the [`X-CSRF-Token`](CSRF_HEADER) header or, for an
/// `application/x-www-form-urlencoded` body, from the
/// [form field](CsrfLayer::form_field) (`csrf_token` by default). Such a
/// body is buffered up to the [limit](CsrfLayer::body_limit) and handed on
/// to the inner service byte for byte, as the same body type (built with
/// `From<Bytes>`, which axum's `Body` and `http_body_util::Full` have;
/// hyper's `Incoming` does not, so map it into one of those first). Other
/// bodies (JSON, multipart) are not read: send the token in the header.
///
/// A refused request never reaches the inner service: the response is the
/// [`CsrfRejection`]'s status with a one-line text, and the session is left
/// as it was (so no new cookie goes out). With the `tracing` feature, each
/// refusal is a `WARN` event on target `sealed_session::csrf` with the
/// reason, method and path.
///
/// For the token check the layer reads the session from the request
/// extensions, so it must run *inside* the [`SessionLayer`](super::SessionLayer):
/// with tower's `ServiceBuilder`, after it; with axum's `Router::layer`,
/// which wraps outside-in, before it.
///
/// ```
/// # #[cfg(feature = "axum")] {
/// use axum::{Router, routing::post};
/// use sealed_session::csrf::CrossOrigin;
/// use sealed_session::tower::{CsrfLayer, SessionLayer};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
///
/// let app: Router = Router::new()
///     .route("/cart", post(|| async { "added" }))
///     // The last layer added runs first: the session, then the CSRF checks.
///     .layer(CsrfLayer::new(CrossOrigin::default()).require_token(true))
///     .layer(SessionLayer::new(config));
/// # let _ = app; }
/// ```
///
/// Decisions: an exempt path (see
/// [`CrossOriginBuilder::exempt_path`](crate::csrf::CrossOriginBuilder::exempt_path))
/// skips the token check too; a trusted origin does not (it lifts the
/// cross-origin check only, as Django's `CSRF_TRUSTED_ORIGINS`). A token in
/// both the header and the form is a 400, not a 403: it is a malformed
/// request from the page's own code, not evidence of forgery, and picking
/// one of the two would hide the bug.
#[derive(Debug, Clone)]
pub struct CsrfLayer {
    config: Arc<Config>,
}

impl CsrfLayer {
    /// A layer applying `cross_origin` to every request, without the token
    /// check.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::csrf::CrossOrigin;
    /// use sealed_session::tower::CsrfLayer;
    /// # use std::convert::Infallible;
    /// # use bytes::Bytes;
    /// # use http_body_util::Full;
    /// # use tower::{Layer as _, ServiceExt as _, service_fn};
    /// # // The status `layer` answers, around a handler that answers 200.
    /// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
    /// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    /// #     }));
    /// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// #     runtime.block_on(service.oneshot(request)).unwrap().status()
    /// # }
    ///
    /// let layer = CsrfLayer::new(CrossOrigin::default());
    /// let forged = http::Request::post("/transfer")
    ///     .header("sec-fetch-site", "cross-site")
    ///     .body(Full::default())?;
    /// assert_eq!(status(&layer, forged), http::StatusCode::FORBIDDEN);
    /// let own = http::Request::post("/transfer")
    ///     .header("sec-fetch-site", "same-origin")
    ///     .body(Full::default())?;
    /// assert_eq!(status(&layer, own), http::StatusCode::OK); // no token needed
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn new(cross_origin: CrossOrigin) -> Self {
        Self {
            config: Arc::new(Config {
                cross_origin,
                token: false,
                form_field: CSRF_FORM_FIELD.to_owned(),
                body_limit: CSRF_BODY_LIMIT,
            }),
        }
    }

    /// Also requires a valid session-bound token on every unsafe request
    /// that is not exempt.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::csrf::CrossOrigin;
    /// use sealed_session::tower::{CsrfLayer, SessionHandle};
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # use std::convert::Infallible;
    /// # use bytes::Bytes;
    /// # use http_body_util::Full;
    /// # use tower::{Layer as _, ServiceExt as _, service_fn};
    /// # // The status `layer` answers, around a handler that answers 200.
    /// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
    /// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    /// #     }));
    /// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// #     runtime.block_on(service.oneshot(request)).unwrap().status()
    /// # }
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    ///
    /// let layer = CsrfLayer::new(CrossOrigin::default()).require_token(true);
    /// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
    /// let without_token = http::Request::post("/transfer")
    ///     .header("sec-fetch-site", "same-origin")
    ///     .extension(handle.clone())
    ///     .body(Full::default())?;
    /// assert_eq!(status(&layer, without_token), http::StatusCode::FORBIDDEN);
    /// let with_token = http::Request::post("/transfer")
    ///     .header("sec-fetch-site", "same-origin")
    ///     .header("x-csrf-token", handle.csrf_token())
    ///     .extension(handle)
    ///     .body(Full::default())?;
    /// assert_eq!(status(&layer, with_token), http::StatusCode::OK);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn require_token(mut self, required: bool) -> Self {
        Arc::make_mut(&mut self.config).token = required;
        self
    }

    /// The form field holding the token (default [`CSRF_FORM_FIELD`]),
    /// matched after URL-decoding.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::csrf::CrossOrigin;
    /// use sealed_session::tower::{CsrfLayer, SessionHandle};
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # use std::convert::Infallible;
    /// # use bytes::Bytes;
    /// # use http_body_util::Full;
    /// # use tower::{Layer as _, ServiceExt as _, service_fn};
    /// # // The status `layer` answers, around a handler that answers 200.
    /// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
    /// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    /// #     }));
    /// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// #     runtime.block_on(service.oneshot(request)).unwrap().status()
    /// # }
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    ///
    /// // Rails' field name, for forms already written.
    /// let layer = CsrfLayer::new(CrossOrigin::default())
    ///     .require_token(true)
    ///     .form_field("authenticity_token");
    /// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
    /// let body = format!("authenticity_token={}", handle.csrf_token());
    /// let request = http::Request::post("/cart")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .extension(handle)
    ///     .body(Full::from(body))?;
    /// assert_eq!(status(&layer, request), http::StatusCode::OK);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn form_field(mut self, name: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).form_field = name.into();
        self
    }

    /// The largest form body buffered to find the token (default
    /// [`CSRF_BODY_LIMIT`]); a larger one is refused with 413.
    ///
    /// ```
    /// # #[cfg(feature = "tower")] {
    /// use sealed_session::csrf::CrossOrigin;
    /// use sealed_session::tower::{CsrfLayer, SessionHandle};
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # use std::convert::Infallible;
    /// # use bytes::Bytes;
    /// # use http_body_util::Full;
    /// # use tower::{Layer as _, ServiceExt as _, service_fn};
    /// # // The status `layer` answers, around a handler that answers 200.
    /// # fn status(layer: &CsrfLayer, request: http::Request<Full<Bytes>>) -> http::StatusCode {
    /// #     let service = layer.layer(service_fn(|_: http::Request<Full<Bytes>>| async {
    /// #         Ok::<_, Infallible>(http::Response::new(String::from("ok")))
    /// #     }));
    /// #     let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// #     runtime.block_on(service.oneshot(request)).unwrap().status()
    /// # }
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
    ///
    /// let layer = CsrfLayer::new(CrossOrigin::default())
    ///     .require_token(true)
    ///     .body_limit(1024);
    /// let handle = SessionHandle::new(sealed_session::load(&config, &http::Request::new(())));
    /// let body = format!("comment={}&csrf_token={}", "x".repeat(2000), handle.csrf_token());
    /// let request = http::Request::post("/comments")
    ///     .header("content-type", "application/x-www-form-urlencoded")
    ///     .extension(handle)
    ///     .body(Full::from(body))?;
    /// assert_eq!(status(&layer, request), http::StatusCode::PAYLOAD_TOO_LARGE);
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.config).body_limit = bytes;
        self
    }
}

impl<S> Layer<S> for CsrfLayer {
    type Service = CsrfService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CsrfService {
            inner,
            config: self.config.clone(),
        }
    }
}

/// The service [`CsrfLayer`] wraps around an inner service.
#[derive(Debug, Clone)]
pub struct CsrfService<S> {
    inner: S,
    config: Arc<Config>,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CsrfService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: http_body::Body + From<Bytes> + Send + 'static,
    ReqBody::Data: Send,
    ReqBody::Error: Into<BoxError>,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready is the one to call; a clone
        // stays behind for the next request.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let config = self.config.clone();
        Box::pin(async move {
            let method = request.method().clone();
            let path = request.uri().path().to_owned();
            match admit(&config, request).await {
                Ok(request) => inner.call(request).await,
                Err(rejection) => {
                    log(&rejection, &method, &path);
                    Ok(refuse(rejection))
                }
            }
        })
    }
}

/// The request, its body restored, if it passes.
async fn admit<B>(config: &Config, request: Request<B>) -> Result<Request<B>, CsrfRejection>
where
    B: http_body::Body + From<Bytes>,
    B::Error: Into<BoxError>,
{
    if csrf::is_safe(request.method()) {
        return Ok(request);
    }
    config.cross_origin.check(&request)?;
    if !config.token || config.cross_origin.is_exempt_path(request.uri().path()) {
        return Ok(request);
    }
    let session = request
        .extensions()
        .get::<SessionHandle>()
        .cloned()
        .ok_or(CsrfRejection::MissingSessionLayer)?;

    let mut headers = request.headers().get_all(CSRF_HEADER).iter();
    let from_header = match (headers.next(), headers.next()) {
        (None, _) => None,
        (Some(value), None) => Some(header_token(value)?),
        (Some(_), Some(_)) => return Err(CsrfRejection::DuplicateToken),
    };

    let (request, from_form) = if is_form(&request) {
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let limit = config.body_limit;
        if declared.is_some_and(|len| len > u64::try_from(limit).unwrap_or(u64::MAX)) {
            return Err(CsrfRejection::BodyTooLarge { limit });
        }
        let bytes = match Limited::new(body, limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.is::<LengthLimitError>() => {
                return Err(CsrfRejection::BodyTooLarge { limit });
            }
            Err(_) => return Err(CsrfRejection::BodyUnreadable),
        };
        let token = form_token(&bytes, &config.form_field)?;
        (Request::from_parts(parts, B::from(bytes)), token)
    } else {
        (request, None)
    };

    let submitted = match (from_header, from_form) {
        (Some(_), Some(_)) => return Err(CsrfRejection::TokenInHeaderAndForm),
        (Some(token), None) | (None, Some(token)) => token,
        (None, None) => return Err(TokenError::Missing.into()),
    };
    session.with(|s| csrf::verify(s, &submitted))?;
    Ok(request)
}

/// The header's token; a value that is not visible ASCII cannot be one.
fn header_token(value: &HeaderValue) -> Result<String, CsrfRejection> {
    value
        .to_str()
        .map(str::to_owned)
        .map_err(|_| TokenError::Malformed.into())
}

/// Whether the body is `application/x-www-form-urlencoded` (parameters
/// such as `charset` allowed).
fn is_form<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(CONTENT_TYPE)
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

fn refuse<B: From<String>>(rejection: CsrfRejection) -> Response<B> {
    let mut response = Response::new(B::from(format!("{rejection}\n")));
    *response.status_mut() = rejection.status();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.extensions_mut().insert(rejection);
    response
}

/// The one place a refusal is logged (the `tracing` feature). The reason
/// quotes no token and no header value.
#[cfg(feature = "tracing")]
fn log(rejection: &CsrfRejection, method: &http::Method, path: &str) {
    if *rejection == CsrfRejection::MissingSessionLayer {
        tracing::error!(target: "sealed_session::csrf", reason = %rejection, %method, path, "request refused");
    } else {
        tracing::warn!(target: "sealed_session::csrf", reason = %rejection, %method, path, "request refused");
    }
}

#[cfg(not(feature = "tracing"))]
fn log(_: &CsrfRejection, _: &http::Method, _: &str) {}
