//! [`CsrfLayer`]: the [`csrf`](crate::csrf) checks as a tower layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use tower_layer::Layer;
use tower_service::Service;

use super::SessionHandle;
use crate::adapter::{TokenCheck, TokenStep, rejection_body};
use crate::csrf::{CrossOrigin, CsrfRejection};

/// Refuses cross-origin requests with unsafe methods and, when
/// [configured](CsrfLayer::require_token), requests without a valid
/// session-bound token (see [`csrf`](crate::csrf)).
///
/// The token comes from the [`X-CSRF-Token`](crate::csrf::CSRF_HEADER) header or, for an
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
/// which wraps outside-in, before it. In the wrong order (or without a
/// `SessionLayer`), a layer that requires tokens answers every request, a
/// `GET` included, with a 500 that says which layer goes inside which
/// ([`CsrfRejection::MissingSessionLayer`](crate::csrf::CsrfRejection::MissingSessionLayer)),
/// and logs it as an error.
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
/// The [`SessionLayer`](super::SessionLayer) applies its own cross-origin
/// check first (on by default). This layer checks again with its own
/// [`CrossOrigin`], which costs a few header comparisons and keeps it
/// complete on its own (under a `SessionLayer` that opted out, or without
/// one when no token is required); the same `CrossOrigin` decides which
/// paths skip the token. Give both layers the same `CrossOrigin` when it
/// has exempt paths or trusted origins
/// ([`SessionLayer::cross_origin`](super::SessionLayer::cross_origin)).
/// The actix-web `CsrfMiddleware` is this layer for actix-web: the two
/// share their decision code, defaults, rejections and statuses.
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
    config: Arc<TokenCheck>,
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
            config: Arc::new(TokenCheck::new(cross_origin)),
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

    /// The form field holding the token (default [`CSRF_FORM_FIELD`](crate::csrf::CSRF_FORM_FIELD)),
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
    /// [`CSRF_BODY_LIMIT`](crate::csrf::CSRF_BODY_LIMIT)); a larger one is refused with 413.
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
    config: Arc<TokenCheck>,
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
                    crate::log::csrf_refused(&rejection, &method, &path);
                    Ok(refuse(rejection))
                }
            }
        })
    }
}

/// The request, its body restored, if it passes.
async fn admit<B>(config: &TokenCheck, request: Request<B>) -> Result<Request<B>, CsrfRejection>
where
    B: http_body::Body + From<Bytes>,
    B::Error: Into<BoxError>,
{
    // Before anything else, whatever the method: a layer order that cannot
    // work fails on the first request (a GET page), not on the first form.
    let session = match request.extensions().get::<SessionHandle>() {
        Some(session) => Some(session.clone()),
        None if config.token => return Err(CsrfRejection::MissingSessionLayer),
        None => None,
    };
    let TokenStep::Verify {
        from_header,
        read_form,
    } = config.start(&request)?
    else {
        return Ok(request);
    };
    // `start` asks for a token only when `config.token` is set.
    let session = session.ok_or(CsrfRejection::MissingSessionLayer)?;
    if !read_form {
        session.with(|s| config.finish(s, from_header, None))?;
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let limit = config.body_limit;
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return Err(CsrfRejection::BodyTooLarge { limit });
        }
        Err(_) => return Err(CsrfRejection::BodyUnreadable),
    };
    session.with(|s| config.finish(s, from_header, Some(&bytes)))?;
    Ok(Request::from_parts(parts, B::from(bytes)))
}

fn refuse<B: From<String>>(rejection: CsrfRejection) -> Response<B> {
    let mut response = Response::new(B::from(rejection_body(&rejection)));
    *response.status_mut() = rejection.status();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.extensions_mut().insert(rejection);
    response
}
