//! Log events (feature `tracing`), one function per event so the load and
//! save paths call them in one line. Without the feature every function is
//! empty and compiles away.
//!
//! | event | level | target |
//! |---|---|---|
//! | a session cookie that does not open (malformed, unsupported version, unknown key, tampered, bad payload) | `warn` | `sealed_session::security` |
//! | a stand-alone sealed cookie (`cookies::open_sealed`) that does not open | `warn` | `sealed_session::security` |
//! | a session cookie opened with a fallback key (rotation progress) | `info` | `sealed_session::rotation` |
//! | a session too large for one cookie, with its size and the limit | `error` | `sealed_session::save` |
//! | sealing failed (the OS random source) | `error` | `sealed_session::save` |
//! | a [`SessionError`](crate::SessionError) turned into a response (features `axum`, `actix-web`) | `error` | `sealed_session::session` |
//! | a handler asking for the session on a route no session layer wraps (a 500) | `error` | `sealed_session::session` |
//! | an adapter answering with a 4xx/5xx because the session could not be saved, with the status | `warn` (4xx), `error` (5xx) | `sealed_session::save` |
//! | a valid cookie whose session was revoked (a copy used after logout?) | `warn` | `sealed_session::security` |
//! | the revocation store failed, with the policy applied | `error` | `sealed_session::revocation` |
//! | a cross-origin request refused by the tower `SessionLayer` or the actix-web `SessionMiddleware`, with the reason, method and path | `warn` | `sealed_session::csrf` |
//! | a request refused by the tower `CsrfLayer` or the actix-web `CsrfMiddleware`, with the reason, method and path (`error` for a layer-order mistake, a 500) | `warn` | `sealed_session::csrf` |
//!
//! Fields are the cookie's name, reasons, sizes and public key ids: never a
//! cookie value, a key or a session value (tests in `tests/api/logs.rs`
//! capture each event and check).
#![cfg_attr(not(feature = "tracing"), allow(unused_variables))]

use crate::key::KeyId;
use crate::seal::{OpenError, SealError};
use crate::session::InvalidReason;

/// The target of security events: route it to your security log or alerts,
/// as Django's `django.security.SuspiciousSession`.
#[cfg(feature = "tracing")]
const SECURITY: &str = "sealed_session::security";
#[cfg(feature = "tracing")]
const ROTATION: &str = "sealed_session::rotation";
#[cfg(feature = "tracing")]
const SAVE: &str = "sealed_session::save";
#[cfg(feature = "tracing")]
const REVOCATION: &str = "sealed_session::revocation";
#[cfg(all(feature = "tracing", any(feature = "tower", feature = "actix-web")))]
const CSRF: &str = "sealed_session::csrf";

/// An adapter refused an unsafe request from another origin (403). The
/// path is the server's own route; no header value is quoted.
#[cfg(any(feature = "tower", feature = "actix-web"))]
pub(crate) fn cross_origin_refused(
    reason: &crate::csrf::CrossOriginError,
    method: &http::Method,
    path: &str,
) {
    #[cfg(feature = "tracing")]
    tracing::warn!(target: CSRF, %reason, %method, path, "cross-origin request refused");
}

/// An adapter answered a request whose session could not be saved with
/// `status` (a save-error policy's replacement, or the handler's own
/// response): `error` for a 5xx, `warn` for a 4xx, nothing below (the
/// save's own event, [`too_large`] or [`seal_failed`], says why).
#[cfg(any(feature = "tower", feature = "actix-web"))]
pub(crate) fn save_error_response(error: &dyn std::fmt::Display, status: http::StatusCode) {
    #[cfg(feature = "tracing")]
    if status.is_server_error() {
        tracing::error!(target: SAVE, %error, status = status.as_u16(), "session not saved: error response");
    } else if status.is_client_error() {
        tracing::warn!(target: SAVE, %error, status = status.as_u16(), "session not saved: error response");
    }
}

/// A [`SessionError`](crate::SessionError) turned into a 500 (axum's
/// `IntoResponse`, actix-web's `ResponseError`). The message names the key
/// and the Rust type, never the value.
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) fn session_error_response(error: &crate::session::SessionError) {
    #[cfg(feature = "tracing")]
    {
        let cause = std::error::Error::source(error).map(ToString::to_string);
        tracing::error!(
            target: "sealed_session::session",
            %error,
            cause = cause.as_deref(),
            "session value error"
        );
    }
}

/// A handler asked for the session but no session layer wraps its route
/// (a 500): `reason` says which layer to add.
#[cfg(any(feature = "axum", feature = "actix-web"))]
pub(crate) fn missing_session_layer(reason: &dyn std::fmt::Display) {
    #[cfg(feature = "tracing")]
    tracing::error!(target: "sealed_session::session", %reason, "no session layer");
}

/// A token layer (the tower `CsrfLayer`, the actix-web `CsrfMiddleware`)
/// refused a request: a misconfiguration (500) is an error, the rest are
/// warnings. The reason quotes no token and no header value.
#[cfg(any(feature = "tower", feature = "actix-web"))]
pub(crate) fn csrf_refused(
    rejection: &crate::csrf::CsrfRejection,
    method: &http::Method,
    path: &str,
) {
    #[cfg(feature = "tracing")]
    if rejection.status().is_server_error() {
        tracing::error!(target: CSRF, reason = %rejection, %method, path, "request refused");
    } else {
        tracing::warn!(target: CSRF, reason = %rejection, %method, path, "request refused");
    }
}

/// A valid session cookie whose session a revocation store knows as
/// revoked. The id names the session; it is not a credential.
pub(crate) fn revoked_session(id: Option<&dyn std::fmt::Display>) {
    #[cfg(feature = "tracing")]
    match id {
        Some(id) => tracing::warn!(target: SECURITY, session_id = %id, "revoked session presented"),
        None => tracing::warn!(target: SECURITY, "revoked session presented"),
    }
}

/// The revocation store could not answer or write; `action` says what
/// became of the session or the logout.
pub(crate) fn revocation_failed(error: &dyn std::error::Error, action: &'static str) {
    #[cfg(feature = "tracing")]
    tracing::error!(target: REVOCATION, error = %error, action, "revocation store failed");
}

/// A candidate session cookie did not open.
pub(crate) fn rejected_cookie(cookie_name: &str, reason: InvalidReason) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: SECURITY,
        cookie = cookie_name,
        %reason,
        "session cookie rejected"
    );
}

/// A stand-alone sealed cookie ([`cookies::open_sealed`](crate::cookies::open_sealed))
/// did not open.
pub(crate) fn rejected_sealed_cookie(cookie_name: &str, reason: OpenError) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: SECURITY,
        cookie = cookie_name,
        %reason,
        "sealed cookie rejected"
    );
}

/// A session cookie opened with a fallback key: it is re-sealed with the
/// primary on save. Counting these shows when an old key can be retired.
pub(crate) fn opened_with_fallback(cookie_name: &str, key_id: KeyId) {
    #[cfg(feature = "tracing")]
    tracing::info!(
        target: ROTATION,
        cookie = cookie_name,
        key_id = %key_id,
        "session cookie opened with a fallback key"
    );
}

/// A session did not fit in one cookie; no `Set-Cookie` was written.
pub(crate) fn too_large(cookie_name: &str, size: usize, limit: usize) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: SAVE,
        cookie = cookie_name,
        size,
        limit,
        "session too large for one cookie: not saved"
    );
}

/// A response that carries a session cookie had a `Cache-Control` that let
/// shared caches store it (`public`, `s-maxage`, or no `private`): it was
/// rewritten to keep them from replaying one visitor's cookie to others.
pub(crate) fn cache_control_overridden(cookie_name: &str) {
    #[cfg(feature = "tracing")]
    tracing::warn!(
        target: SAVE,
        cookie = cookie_name,
        "Cache-Control made private: the response carries a session cookie"
    );
}

/// Sealing a session failed (the OS random source).
pub(crate) fn seal_failed(cookie_name: &str, error: &SealError) {
    #[cfg(feature = "tracing")]
    tracing::error!(
        target: SAVE,
        cookie = cookie_name,
        %error,
        "session could not be sealed: not saved"
    );
}
