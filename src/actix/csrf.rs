//! [`CsrfMiddleware`]: the [`csrf`](crate::csrf) checks as actix-web
//! middleware, the counterpart of the tower `CsrfLayer`. Both take their
//! decision from one place (`adapter::TokenCheck`); this file only reads the
//! body and writes the response.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BodyStream, BoxBody, EitherBody, MessageBody, to_bytes_limited};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{HttpMessage, HttpResponse};

use super::Session;
use super::bridge::{TOKEN_CHECK_HEADERS, http1_method, http1_view};
use crate::adapter::{TokenCheck, TokenStep, rejection_body};
use crate::csrf::{CrossOrigin, CsrfRejection, is_safe};

/// Refuses cross-origin requests with unsafe methods and, when
/// [configured](CsrfMiddleware::require_token), requests without a valid
/// session-bound token (see [`csrf`](crate::csrf)): the tower `CsrfLayer`
/// for actix-web, with the same defaults, rejections and statuses
/// ([`CsrfRejection`]).
///
/// The token comes from the [`X-CSRF-Token`](crate::csrf::CSRF_HEADER)
/// header or, for an `application/x-www-form-urlencoded` body, from the
/// [form field](CsrfMiddleware::form_field) (`csrf_token` by default). Such
/// a body is buffered up to the [limit](CsrfMiddleware::body_limit) and
/// handed on to the handler byte for byte (`web::Form` reads it as usual).
/// Other bodies (JSON, multipart) are not read: send the token in the
/// header.
///
/// A refused request never reaches the handler: the response is the
/// [`CsrfRejection`]'s status with a one-line text (and the rejection in the
/// response extensions), and the session is left as it was (so no new
/// cookie goes out). With the `tracing` feature, each refusal is an event
/// on target `sealed_session::csrf` with the reason, method and path.
///
/// For the token check the middleware reads the session the
/// [`SessionMiddleware`](super::SessionMiddleware) put in the request, so it
/// must run *inside* it: actix-web runs the last `wrap` first, so
/// `.wrap(CsrfMiddleware)` comes before `.wrap(SessionMiddleware)`. In the
/// wrong order (or without a `SessionMiddleware`), a middleware that
/// requires tokens answers every request, a `GET` included, with a 500 that
/// says so
/// ([`CsrfRejection::MissingSessionMiddleware`](crate::csrf::CsrfRejection::MissingSessionMiddleware)),
/// and logs it as an error.
///
/// ```
/// # #[cfg(feature = "actix-web")] {
/// use actix_web::{App, HttpResponse, web};
/// use sealed_session::actix::{CsrfMiddleware, SessionMiddleware};
/// use sealed_session::csrf::CrossOrigin;
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build().unwrap();
///
/// let app = App::new()
///     .route("/cart", web::post().to(|| async { HttpResponse::Ok().body("added") }))
///     // The last `wrap` runs first: the session, then the CSRF checks.
///     .wrap(CsrfMiddleware::new(CrossOrigin::default()).require_token(true))
///     .wrap(SessionMiddleware::new(config));
/// # let _ = app; }
/// ```
///
/// Decisions, as the tower layer's: an exempt path (see
/// [`CrossOriginBuilder::exempt_path`](crate::csrf::CrossOriginBuilder::exempt_path))
/// skips the token check too; a trusted origin does not. A token in both
/// the header and the form is a 400. The `SessionMiddleware` applies its own
/// cross-origin check first: give it the same [`CrossOrigin`] (with
/// `SessionMiddleware::cross_origin`) when this one has exempt paths or
/// trusted origins.
#[derive(Debug, Clone)]
pub struct CsrfMiddleware {
    config: Arc<TokenCheck>,
}

impl CsrfMiddleware {
    /// A middleware applying `cross_origin` to every request, without the
    /// token check.
    #[must_use]
    pub fn new(cross_origin: CrossOrigin) -> Self {
        Self {
            config: Arc::new(TokenCheck::new(cross_origin)),
        }
    }

    /// Also requires a valid session-bound token on every unsafe request
    /// that is not exempt.
    #[must_use]
    pub fn require_token(mut self, required: bool) -> Self {
        Arc::make_mut(&mut self.config).token = required;
        self
    }

    /// The form field holding the token (default
    /// [`CSRF_FORM_FIELD`](crate::csrf::CSRF_FORM_FIELD)), matched after
    /// URL-decoding.
    #[must_use]
    pub fn form_field(mut self, name: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.config).form_field = name.into();
        self
    }

    /// The largest form body buffered to find the token (default
    /// [`CSRF_BODY_LIMIT`](crate::csrf::CSRF_BODY_LIMIT)); a larger one is
    /// refused with 413.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.config).body_limit = bytes;
        self
    }
}

impl<S, B> Transform<S, ServiceRequest> for CsrfMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Transform = CsrfMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfMiddlewareService {
            inner: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The service [`CsrfMiddleware`] wraps around an inner service.
pub struct CsrfMiddlewareService<S> {
    inner: Rc<S>,
    config: Arc<TokenCheck>,
}

impl<S> std::fmt::Debug for CsrfMiddlewareService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CsrfMiddlewareService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for CsrfMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(inner);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.inner);
        let config = Arc::clone(&self.config);
        Box::pin(async move {
            let method = http1_method(&request);
            // `TokenCheck::start` passes a safe method before it reads
            // anything else: a safe request's view is its method alone, and
            // the URI and headers cross only for the others.
            let view = if is_safe(&method) {
                let mut view = http::Request::new(());
                *view.method_mut() = method;
                view
            } else {
                http1_view(&request, method, TOKEN_CHECK_HEADERS)
            };
            match admit(&config, &view, request).await {
                Ok(request) => Ok(service.call(request).await?.map_into_left_body()),
                Err((request, rejection)) => {
                    crate::log::csrf_refused(&rejection, view.method(), request.path());
                    let mut response =
                        HttpResponse::build(super::bridge_status(rejection.status()))
                            .content_type("text/plain; charset=utf-8")
                            .body(rejection_body(&rejection));
                    response.extensions_mut().insert(rejection);
                    Ok(request.into_response(response).map_into_right_body())
                }
            }
        })
    }
}

/// The request, its body restored, if it passes; otherwise the request
/// (to answer) and why.
async fn admit(
    config: &TokenCheck,
    view: &http::Request<()>,
    mut request: ServiceRequest,
) -> Result<ServiceRequest, (ServiceRequest, CsrfRejection)> {
    // Before anything else, whatever the method: a middleware order that
    // cannot work fails on the first request (a GET page), not on the
    // first form.
    let session = request.extensions().get::<Session>().cloned();
    if session.is_none() && config.token {
        return Err((request, CsrfRejection::MissingSessionMiddleware));
    }
    let (from_header, read_form) = match config.start(view) {
        Ok(TokenStep::Pass) => return Ok(request),
        Ok(TokenStep::Verify {
            from_header,
            read_form,
        }) => (from_header, read_form),
        Err(rejection) => return Err((request, rejection)),
    };
    // `start` asks for a token only when `config.token` is set.
    let Some(session) = session else {
        return Err((request, CsrfRejection::MissingSessionMiddleware));
    };
    if !read_form {
        return match session.with(|s| config.finish(s, from_header, None)) {
            Ok(()) => Ok(request),
            Err(rejection) => Err((request, rejection)),
        };
    }
    let limit = config.body_limit;
    let payload = request.take_payload();
    let bytes = match to_bytes_limited(BodyStream::new(payload), limit).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => return Err((request, CsrfRejection::BodyUnreadable)),
        Err(_) => return Err((request, CsrfRejection::BodyTooLarge { limit })),
    };
    let verdict = session.with(|s| config.finish(s, from_header, Some(&bytes)));
    // The handler reads the body as if no one had: put it back whole.
    request.set_payload(Payload::from(bytes));
    match verdict {
        Ok(()) => Ok(request),
        Err(rejection) => Err((request, rejection)),
    }
}
