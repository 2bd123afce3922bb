//! Cross-site request forgery (CSRF) protection in two layers, over the
//! `http` crate's types only: a cross-origin check that needs no token, and
//! a session-bound token for old browsers and defence in depth. The tower
//! `SessionLayer` and the actix-web `SessionMiddleware` apply the
//! cross-origin check by default; the tower layer `tower::CsrfLayer`
//! (feature `tower`) and the actix-web middleware `actix::CsrfMiddleware`
//! (feature `actix-web`) apply both, with the same defaults and the same
//! answers ([`CsrfRejection`]).
//!
//! # The cross-origin check
//!
//! [`CrossOrigin::check`] is the algorithm of Go 1.25's
//! `net/http.CrossOriginProtection`:
//!
//! 1. `GET`, `HEAD` and `OPTIONS` always pass: they must not change state.
//! 2. `Sec-Fetch-Site: same-origin` or `none` (the user typed the address)
//!    passes; `cross-site`, `same-site` or any other value is rejected.
//!    Every browser has sent this header since 2023.
//! 3. Without `Sec-Fetch-Site`, an `Origin` header must match the request's
//!    own origin; `Origin: null` (sandboxed frames, privacy-sensitive
//!    redirects) never does.
//! 4. A request with neither header passes: it comes from a non-browser
//!    client (curl, a server), which cannot be made to forge anything.
//!
//! A rejection in steps 2 or 3 is lifted for a request whose `Origin` is one
//! of the [trusted origins](CrossOriginBuilder::trusted_origin) or whose path
//! is [exempt](CrossOriginBuilder::exempt_path).
//!
//! ```
//! use http::Request;
//! use sealed_session::csrf::{CrossOrigin, CrossOriginError};
//!
//! let check = CrossOrigin::builder()
//!     .trusted_origin("https://sso.example.com")
//!     .exempt_path("/webhooks/")
//!     .build()?;
//!
//! let forged = Request::post("https://shop.example/cart")
//!     .header("sec-fetch-site", "cross-site")
//!     .body(())?;
//! assert_eq!(check.check(&forged), Err(CrossOriginError::CrossSite));
//!
//! let own = Request::post("/cart")
//!     .header("host", "shop.example")
//!     .header("origin", "https://shop.example")
//!     .body(())?;
//! assert_eq!(check.check(&own), Ok(()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Where this check differs from Go's:
//!
//! - **Exempt paths** are literal paths (`/hook`) or subtrees (`/hooks/`),
//!   not `ServeMux` patterns: no methods, hosts or `{wildcards}`. A path
//!   with a dot segment (`/a/../b`), an empty segment (`//`), a backslash or
//!   a percent-encoded dot is never exempt, where Go exempts a request that
//!   its mux would *redirect* to an exempt pattern (`/bypass` for
//!   `/bypass/`, `/foo/../bypass/bar`): a router or proxy that normalises
//!   paths could otherwise be led from an exempt prefix to another route.
//! - **The request's own origin** can be configured
//!   ([`CrossOriginBuilder::origin`]): `Origin` must then match it in scheme,
//!   host and port, which also catches an `http://` page posting to the
//!   `https://` site (Go compares the host only and fails open there). Left
//!   unset, the host comes from the `Host` header (or the URI's authority,
//!   as in HTTP/2), and the scheme is compared only when the URI has one,
//!   as Go does.
//! - Origins are compared ASCII-case-insensitively, with the scheme's
//!   default port (`:80`, `:443`) removed from both sides; Go compares bytes.
//! - A request with more than one `Sec-Fetch-Site` or `Origin` header is
//!   judged by all of them (any rejecting value rejects), where Go reads the
//!   first; browsers send one.
//! - A rejection is a typed [`CrossOriginError`] saying which check failed.
//!
//! # The session-bound token
//!
//! [`token`] keeps a 32-byte secret in the session (under [`SESSION_KEY`])
//! and returns it masked with a fresh one-time pad on every call, as
//! Django's `get_token` does: `base64url(pad ‖ pad XOR secret)`. A page can
//! embed it in every form and a `<meta>` tag; because no two responses
//! carry the same bytes, compression side channels (BREACH) cannot recover
//! the secret. [`verify`] accepts any masking of the current secret, in
//! constant time; [`renew`] rotates it.
//!
//! ```
//! use sealed_session::{Key, Keyring, SessionConfig, csrf};
//!
//! # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
//! let mut session = sealed_session::load(&config, &http::HeaderMap::new());
//! let first = csrf::token(&mut session);
//! let second = csrf::token(&mut session);
//! assert_ne!(first, second); // a fresh mask each time
//! assert_eq!(csrf::verify(&session, &first), Ok(()));
//! assert_eq!(csrf::verify(&session, &second), Ok(()));
//!
//! csrf::renew(&mut session); // after a login
//! assert_eq!(csrf::verify(&session, &first), Err(csrf::TokenError::Mismatch));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Login.** [`Session::renew`] does not rotate the secret: the session
//! layer knows nothing of CSRF (each layer only reaches down). Call
//! [`renew`] next to [`Session::renew`] after a login, as Django's `login()`
//! calls `rotate_token`, so a token planted before the login (login CSRF,
//! a token seen by someone else on a shared machine) stops working.
//! [`Session::flush`] (logout) removes the secret with the rest of the data.
//!
//! Tokens are secrets: nothing in this module logs, formats or returns them
//! in an error.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, HeaderName, Method, Request, Uri};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

use crate::session::{Session, SessionError};

// ---------------------------------------------------------------------------
// The cross-origin check
// ---------------------------------------------------------------------------

/// The `Sec-Fetch-Site` request header (Fetch Metadata).
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// Which cross-origin check rejected a request. No variant quotes the
/// request's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrossOriginError {
    /// `Sec-Fetch-Site: cross-site`: the request came from another site.
    #[error("cross-site request (Sec-Fetch-Site: cross-site)")]
    CrossSite,
    /// `Sec-Fetch-Site: same-site`: from another origin of the same site
    /// (a sibling subdomain, or another scheme or port).
    #[error("request from another origin of this site (Sec-Fetch-Site: same-site)")]
    SameSite,
    /// A `Sec-Fetch-Site` value that is none of the four the Fetch standard
    /// defines.
    #[error("unrecognised Sec-Fetch-Site value")]
    UnknownFetchSite,
    /// `Origin: null` (a sandboxed frame, a `data:` page, some redirects),
    /// without `Sec-Fetch-Site`.
    #[error("Origin is null")]
    NullOrigin,
    /// `Origin` names another origin than the request's own, without
    /// `Sec-Fetch-Site` (a browser from before 2023).
    #[error("Origin does not match the request's host")]
    OriginMismatch,
}

/// A configuration value that [`CrossOriginBuilder::build`] refuses. The
/// value is quoted: it comes from the application, not from a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfConfigError {
    /// Not an origin of the form `scheme://host[:port]`.
    #[error("invalid origin {origin:?}: {problem}")]
    InvalidOrigin {
        /// The value given.
        origin: String,
        /// What is wrong with it.
        problem: OriginProblem,
    },
    /// An exempt path must start with `/` and hold no query, fragment,
    /// whitespace, control character, backslash, empty, `.` or `..`
    /// segment, or percent-encoded dot (a request for such a path is never
    /// exempt, so the entry could never apply).
    #[error("invalid exempt path {path:?}")]
    InvalidExemptPath {
        /// The value given.
        path: String,
    },
}

/// What is wrong with an origin given to [`CrossOriginBuilder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginProblem {
    /// No `scheme://` (also `null` and the empty string).
    #[error("a scheme is required")]
    MissingScheme,
    /// Nothing after `scheme://`.
    #[error("a host is required")]
    MissingHost,
    /// A path (even `/`), query or fragment after the host.
    #[error("a path, query or fragment is not allowed")]
    PathQueryOrFragment,
    /// The host or port is not valid (spaces, user info, a bad port).
    #[error("the host or port is not valid")]
    InvalidHost,
}

/// An origin, normalised: lower-case scheme and host, no default port.
#[derive(Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    /// `host[:port]`.
    host: String,
}

impl Origin {
    /// Parses `scheme://host[:port]`, as a browser serialises `Origin` and
    /// as the configuration must be written.
    fn parse(text: &str) -> Result<Self, OriginProblem> {
        let (scheme, host) = text.split_once("://").ok_or(OriginProblem::MissingScheme)?;
        let valid_scheme = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !valid_scheme {
            return Err(OriginProblem::MissingScheme);
        }
        if host.is_empty() {
            return Err(OriginProblem::MissingHost);
        }
        if host.contains(['/', '?', '#']) {
            return Err(OriginProblem::PathQueryOrFragment);
        }
        let scheme = scheme.to_ascii_lowercase();
        let host = normalise_host(&scheme, host).ok_or(OriginProblem::InvalidHost)?;
        Ok(Self { scheme, host })
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)
    }
}

/// `host[:port]` in lower case without the scheme's default port, or `None`
/// when it is not an authority without user info.
fn normalise_host(scheme: &str, host: &str) -> Option<String> {
    if host.contains('@') {
        return None;
    }
    let authority: http::uri::Authority = host.parse().ok()?;
    let name = authority.host();
    if name.is_empty() {
        return None;
    }
    let default_port = match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    };
    // A colon after the host with no usable port (empty, or over 65535)
    // is refused rather than read as "no port".
    let port_text = authority
        .as_str()
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix(':'));
    let name = name.to_ascii_lowercase();
    match (port_text, authority.port_u16()) {
        (None, _) => Some(name),
        (Some(_), None) => None,
        (Some(_), Some(port)) if Some(port) == default_port => Some(name),
        (Some(_), Some(port)) => Some(format!("{name}:{port}")),
    }
}

/// The cross-origin check (Go's `CrossOriginProtection`), built once and
/// shared (cloning copies the configuration). [`CrossOrigin::default`]
/// trusts no origin, exempts no path and takes the host from each request.
#[derive(Debug, Clone, Default)]
pub struct CrossOrigin {
    origin: Option<Origin>,
    trusted: Vec<Origin>,
    exempt: Vec<String>,
}

/// Configures a [`CrossOrigin`]; every value is checked at
/// [`build`](CrossOriginBuilder::build).
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct CrossOriginBuilder {
    origin: Option<String>,
    trusted: Vec<String>,
    exempt: Vec<String>,
}

impl CrossOriginBuilder {
    /// This site's own origin, `scheme://host[:port]` (e.g.
    /// `https://shop.example`). Without `Sec-Fetch-Site`, `Origin` must then
    /// equal it in scheme, host and port; unset, it is compared with the
    /// request's `Host` header (or URI authority). Set it when a proxy
    /// rewrites `Host`, or to catch `http://` pages posting to the HTTPS
    /// site from browsers without `Sec-Fetch-Site`.
    ///
    /// ```
    /// use http::Request;
    /// use sealed_session::csrf::{CrossOrigin, CrossOriginError};
    ///
    /// let check = CrossOrigin::builder().origin("https://shop.example").build()?;
    /// // An old browser (no Sec-Fetch-Site) on the plain-HTTP page:
    /// let downgraded = Request::post("/cart")
    ///     .header("host", "shop.example")
    ///     .header("origin", "http://shop.example")
    ///     .body(())?;
    /// assert_eq!(check.check(&downgraded), Err(CrossOriginError::OriginMismatch));
    /// let own = Request::post("/cart").header("origin", "https://shop.example").body(())?;
    /// assert_eq!(check.check(&own), Ok(()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// Allows every request whose `Origin` header is exactly this origin,
    /// `scheme://host[:port]` (Go's `AddTrustedOrigin`), whatever
    /// `Sec-Fetch-Site` says.
    ///
    /// ```
    /// use http::Request;
    /// use sealed_session::csrf::{CrossOrigin, CrossOriginError};
    ///
    /// let check = CrossOrigin::builder().trusted_origin("https://sso.example.com").build()?;
    /// let from = |origin: &str| {
    ///     Request::post("https://shop.example/login/callback")
    ///         .header("sec-fetch-site", "cross-site")
    ///         .header("origin", origin)
    ///         .body(())
    /// };
    /// assert_eq!(check.check(&from("https://sso.example.com")?), Ok(()));
    /// assert_eq!(check.check(&from("https://evil.example")?), Err(CrossOriginError::CrossSite));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted.push(origin.into());
        self
    }

    /// Skips the check for a path: `/hook` exactly, or every path under
    /// `/hooks/` (a trailing `/` makes a subtree, as in Go's `ServeMux`).
    /// Use it for endpoints that authenticate otherwise (signed webhooks).
    ///
    /// ```
    /// use http::Request;
    /// use sealed_session::csrf::{CrossOrigin, CrossOriginError};
    ///
    /// let check = CrossOrigin::builder().exempt_path("/webhooks/").build()?;
    /// let post = |path: &str| Request::post(path).header("sec-fetch-site", "cross-site").body(());
    /// assert_eq!(check.check(&post("/webhooks/stripe")?), Ok(()));
    /// assert_eq!(check.check(&post("/webhooks/../cart")?), Err(CrossOriginError::CrossSite));
    /// assert_eq!(check.check(&post("/cart")?), Err(CrossOriginError::CrossSite));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn exempt_path(mut self, path: impl Into<String>) -> Self {
        self.exempt.push(path.into());
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    ///
    /// [`CsrfConfigError::InvalidOrigin`] for an origin that is not
    /// `scheme://host[:port]` (a path, even `/`, a query or fragment, user
    /// info, `null`); [`CsrfConfigError::InvalidExemptPath`] for a path that
    /// no request could be exempted on.
    ///
    /// ```
    /// use sealed_session::csrf::{CrossOrigin, CsrfConfigError, OriginProblem};
    ///
    /// let result = CrossOrigin::builder().trusted_origin("https://sso.example.com/").build();
    /// assert!(matches!(
    ///     result,
    ///     Err(CsrfConfigError::InvalidOrigin { problem: OriginProblem::PathQueryOrFragment, .. })
    /// ));
    /// assert!(matches!(
    ///     CrossOrigin::builder().exempt_path("hooks").build(),
    ///     Err(CsrfConfigError::InvalidExemptPath { .. })
    /// ));
    /// ```
    pub fn build(self) -> Result<CrossOrigin, CsrfConfigError> {
        let parse = |origin: String| {
            Origin::parse(&origin)
                .map_err(|problem| CsrfConfigError::InvalidOrigin { origin, problem })
        };
        let origin = self.origin.map(parse).transpose()?;
        let trusted = self
            .trusted
            .into_iter()
            .map(parse)
            .collect::<Result<_, _>>()?;
        for path in &self.exempt {
            if !path.starts_with('/') || !is_plain_path(path) || path.contains(['?', '#']) {
                return Err(CsrfConfigError::InvalidExemptPath { path: path.clone() });
            }
        }
        Ok(CrossOrigin {
            origin,
            trusted,
            exempt: self.exempt,
        })
    }
}

/// Whether `path` has no segment a router or proxy might rewrite: `.`,
/// `..`, an empty segment, a backslash, a percent-encoded dot, whitespace
/// or a control character.
fn is_plain_path(path: &str) -> bool {
    let has_encoded_dot = path
        .as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1] == b'2' && (w[2] == b'e' || w[2] == b'E'));
    if has_encoded_dot
        || path.contains('\\')
        || path
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return false;
    }
    // The first segment is before the leading '/'; a trailing '/' leaves an
    // empty last segment, which is how a subtree is written.
    let inner = path.strip_prefix('/').unwrap_or(path);
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    inner.is_empty()
        || inner
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

impl CrossOrigin {
    /// A builder for trusted origins, exempt paths and the site's origin.
    ///
    /// ```
    /// use sealed_session::csrf::CrossOrigin;
    ///
    /// let check = CrossOrigin::builder()
    ///     .origin("https://shop.example")
    ///     .trusted_origin("https://sso.example.com")
    ///     .exempt_path("/webhooks/")
    ///     .build()?;
    /// # let _ = check;
    /// # Ok::<(), sealed_session::csrf::CsrfConfigError>(())
    /// ```
    pub fn builder() -> CrossOriginBuilder {
        CrossOriginBuilder::default()
    }

    /// Checks a request (its body is not read).
    ///
    /// # Errors
    ///
    /// The [`CrossOriginError`] naming the check that failed.
    ///
    /// ```
    /// use http::Request;
    /// use sealed_session::csrf::{CrossOrigin, CrossOriginError};
    ///
    /// let check = CrossOrigin::default();
    /// let sibling = Request::post("/transfer").header("sec-fetch-site", "same-site").body(())?;
    /// assert_eq!(check.check(&sibling), Err(CrossOriginError::SameSite));
    /// // Safe methods always pass; so do clients that are not browsers.
    /// let link = Request::get("/transfer").header("sec-fetch-site", "cross-site").body(())?;
    /// assert_eq!(check.check(&link), Ok(()));
    /// assert_eq!(check.check(&Request::post("/api").body(())?), Ok(()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check<B>(&self, request: &Request<B>) -> Result<(), CrossOriginError> {
        self.check_raw(request.method(), request.uri(), request.headers())
    }

    /// Checks a request's [`Parts`](http::request::Parts) (axum's
    /// extractors and hyper hand those out).
    ///
    /// # Errors
    ///
    /// As [`CrossOrigin::check`].
    ///
    /// ```
    /// use sealed_session::csrf::{CrossOrigin, CrossOriginError};
    ///
    /// let request = http::Request::post("/cart").header("origin", "null").body(())?;
    /// let (parts, _body) = request.into_parts();
    /// assert_eq!(CrossOrigin::default().check_parts(&parts), Err(CrossOriginError::NullOrigin));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn check_parts(&self, parts: &http::request::Parts) -> Result<(), CrossOriginError> {
        self.check_raw(&parts.method, &parts.uri, &parts.headers)
    }

    /// Whether the token check applies to this path too: an exempt path
    /// skips both.
    pub(crate) fn is_exempt_path(&self, path: &str) -> bool {
        is_plain_path(path)
            && self.exempt.iter().any(|e| {
                if e.ends_with('/') {
                    path.starts_with(e.as_str())
                } else {
                    path == e
                }
            })
    }

    fn check_raw(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), CrossOriginError> {
        if is_safe(method) {
            return Ok(());
        }
        let verdict = self.judge(uri, headers);
        match verdict {
            Err(_) if self.is_exempt(uri, headers) => Ok(()),
            other => other,
        }
    }

    /// Steps 2 to 4, before the exemptions.
    fn judge(&self, uri: &Uri, headers: &HeaderMap) -> Result<(), CrossOriginError> {
        let mut fetch_site = headers
            .get_all(SEC_FETCH_SITE)
            .iter()
            .map(|v| v.as_bytes())
            // An empty value is no value, as Go's `Header.Get` sees it.
            .filter(|v| !v.is_empty())
            .peekable();
        if fetch_site.peek().is_some() {
            for value in fetch_site {
                match value {
                    b"same-origin" | b"none" => {}
                    b"cross-site" => return Err(CrossOriginError::CrossSite),
                    b"same-site" => return Err(CrossOriginError::SameSite),
                    _ => return Err(CrossOriginError::UnknownFetchSite),
                }
            }
            return Ok(());
        }
        for value in headers.get_all(ORIGIN) {
            let value = value.as_bytes();
            if value == b"null" {
                return Err(CrossOriginError::NullOrigin);
            }
            if !self.is_own_origin(value, uri, headers) {
                return Err(CrossOriginError::OriginMismatch);
            }
        }
        Ok(())
    }

    fn is_own_origin(&self, origin: &[u8], uri: &Uri, headers: &HeaderMap) -> bool {
        let Some(origin) = std::str::from_utf8(origin)
            .ok()
            .and_then(|o| Origin::parse(o).ok())
        else {
            return false;
        };
        if let Some(own) = &self.origin {
            return origin == *own;
        }
        let mut hosts = headers.get_all(HOST).iter();
        let host = match (hosts.next(), hosts.next()) {
            (Some(host), None) => host.to_str().ok(),
            // Two Host headers: a malformed request, never a match.
            (Some(_), Some(_)) => return false,
            (None, _) => uri.authority().map(http::uri::Authority::as_str),
        };
        let Some(host) = host.and_then(|h| normalise_host(&origin.scheme, h)) else {
            return false;
        };
        let scheme_matches = uri
            .scheme_str()
            .is_none_or(|s| s.eq_ignore_ascii_case(&origin.scheme));
        scheme_matches && host == origin.host
    }

    /// Go's `isRequestExempt`: an exempt path, or a trusted `Origin`.
    fn is_exempt(&self, uri: &Uri, headers: &HeaderMap) -> bool {
        if self.is_exempt_path(uri.path()) {
            return true;
        }
        let mut origins = headers.get_all(ORIGIN).iter();
        let (Some(origin), None) = (origins.next(), origins.next()) else {
            return false;
        };
        std::str::from_utf8(origin.as_bytes())
            .ok()
            .and_then(|o| Origin::parse(o).ok())
            .is_some_and(|o| self.trusted.contains(&o))
    }
}

/// `GET`, `HEAD` and `OPTIONS`, which the check always lets through.
pub(crate) fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

// ---------------------------------------------------------------------------
// The session-bound token
// ---------------------------------------------------------------------------

/// The session key holding the CSRF secret (Django's `_csrftoken` with
/// `CSRF_USE_SESSIONS`). Leave it to this module; [`Session::renew`] drops
/// it, so a token issued before a login never verifies after it.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// assert!(!session.contains_key(csrf::SESSION_KEY));
/// let _token = csrf::token(&mut session);
/// assert!(session.contains_key(csrf::SESSION_KEY));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const SESSION_KEY: &str = crate::session::CSRF_SECRET_KEY;

const SECRET_LEN: usize = 32;

/// The length of a token: 64 bytes (pad and masked secret) in unpadded
/// base64url.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// assert_eq!(csrf::token(&mut session).len(), csrf::TOKEN_LEN);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const TOKEN_LEN: usize = 86;

/// Why a submitted token was refused. No variant quotes the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// No token was submitted (an empty string).
    #[error("CSRF token missing")]
    Missing,
    /// Not a token: the wrong length, or not unpadded base64url.
    #[error("CSRF token malformed")]
    Malformed,
    /// The session holds no CSRF secret (no page with a token was served to
    /// this session, or it was flushed since).
    #[error("no CSRF secret in the session")]
    NoSecret,
    /// A well-formed token of another secret (another session's, or from
    /// before [`renew`]).
    #[error("CSRF token does not match the session")]
    Mismatch,
}

// ---------------------------------------------------------------------------
// What the token layers answer (`tower::CsrfLayer`, `actix::CsrfMiddleware`)
// ---------------------------------------------------------------------------

/// The request header the token layers (`tower::CsrfLayer`,
/// `actix::CsrfMiddleware`) read a token from: `X-CSRF-Token`.
///
/// ```
/// assert_eq!(sealed_session::csrf::CSRF_HEADER, "x-csrf-token");
/// ```
pub const CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The form field the token layers read a token from unless configured
/// otherwise (their `form_field`).
pub const CSRF_FORM_FIELD: &str = "csrf_token";

/// How much of a form body the token layers buffer unless configured
/// otherwise (their `body_limit`): 1 MiB.
pub const CSRF_BODY_LIMIT: usize = 1 << 20;

/// Why a token layer (`tower::CsrfLayer`, `actix::CsrfMiddleware`) refused
/// a request; the tower `SessionLayer` and the actix-web `SessionMiddleware`
/// answer a refused cross-origin request with
/// [`CrossOrigin`](CsrfRejection::CrossOrigin). The response carries its
/// [`status`](CsrfRejection::status) and message as text, and the rejection
/// itself in its extensions (for logging or metrics layers outside). No
/// variant quotes a token or a header value.
///
/// ```
/// use sealed_session::csrf::{CsrfRejection, TokenError};
///
/// let rejection = CsrfRejection::from(TokenError::Mismatch);
/// assert_eq!(rejection.status(), 403);
/// assert_eq!(rejection.to_string(), "CSRF token does not match the session");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsrfRejection {
    /// The cross-origin check failed (403).
    #[error(transparent)]
    CrossOrigin(#[from] CrossOriginError),
    /// The token is missing or does not verify (403).
    #[error(transparent)]
    Token(#[from] TokenError),
    /// A form body over the layer's limit (413).
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
    /// The tower `CsrfLayer` checks tokens but no `SessionLayer` runs
    /// before it (the layers are in the wrong order, or the session layer
    /// is missing): a server misconfiguration, a 500 on every request, safe
    /// methods included, so it shows on the first page.
    #[error(
        "CsrfLayer must be inside SessionLayer: with axum's Router, add \
         .layer(CsrfLayer) before .layer(SessionLayer); with tower's ServiceBuilder, \
         .layer(SessionLayer) before .layer(CsrfLayer)"
    )]
    MissingSessionLayer,
    /// The actix-web `CsrfMiddleware` checks tokens but no
    /// `SessionMiddleware` runs before it: a server misconfiguration, a 500
    /// on every request, as [`MissingSessionLayer`](Self::MissingSessionLayer).
    #[error(
        "CsrfMiddleware must be inside SessionMiddleware: call .wrap(CsrfMiddleware) \
         before .wrap(SessionMiddleware)"
    )]
    MissingSessionMiddleware,
}

impl CsrfRejection {
    /// The response status: 403 for a failed check, 413 for a body over the
    /// limit, 400 for a malformed request, 500 for a misconfiguration.
    #[must_use]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            CsrfRejection::CrossOrigin(_) | CsrfRejection::Token(_) => StatusCode::FORBIDDEN,
            CsrfRejection::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            CsrfRejection::FormNotUtf8
            | CsrfRejection::BodyUnreadable
            | CsrfRejection::TokenInHeaderAndForm
            | CsrfRejection::DuplicateToken => StatusCode::BAD_REQUEST,
            CsrfRejection::MissingSessionLayer | CsrfRejection::MissingSessionMiddleware => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// A token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenIssueError {
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Rng,
    /// The secret could not be stored in the session.
    #[error("cannot store the CSRF secret in the session")]
    Store(#[source] SessionError),
}

/// A fresh masking of the session's CSRF secret, creating the secret on
/// first use (which modifies the session, so it is saved). Embed it in a
/// form field or a `<meta>` tag; [`verify`] checks it.
///
/// # Panics
///
/// If the operating system's random source fails, which is a broken
/// machine rather than a recoverable error; [`try_token`] returns it.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// let token = csrf::token(&mut session); // e.g. <input type="hidden" name="csrf_token" value="...">
/// assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
/// assert!(session.is_modified()); // the secret was created: save the session
/// assert_eq!(csrf::verify(&session, &token), Ok(()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn token(session: &mut Session) -> String {
    try_token(session).expect("the operating system's random source failed")
}

/// [`token`], returning a failure of the random source.
///
/// # Errors
///
/// [`TokenIssueError::Rng`] when the OS gives no randomness.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// let token = csrf::try_token(&mut session)?;
/// assert_eq!(csrf::verify(&session, &token), Ok(()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn try_token(session: &mut Session) -> Result<String, TokenIssueError> {
    let secret = match secret(session) {
        Some(secret) => secret,
        None => new_secret(session)?,
    };
    let mut out = Zeroizing::new([0u8; 2 * SECRET_LEN]);
    let (pad, masked) = out.split_at_mut(SECRET_LEN);
    getrandom::fill(pad).map_err(|_| TokenIssueError::Rng)?;
    for ((m, p), s) in masked.iter_mut().zip(pad.iter()).zip(secret.iter()) {
        *m = p ^ s;
    }
    Ok(URL_SAFE_NO_PAD.encode(out.as_slice()))
}

/// Checks a submitted token against the session's secret in constant time;
/// any masking of the current secret passes.
///
/// # Errors
///
/// The [`TokenError`] saying why the token was refused.
///
/// ```
/// use sealed_session::csrf::TokenError;
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// let mut other = sealed_session::load(&config, &http::Request::new(()));
/// let others_token = csrf::token(&mut other);
///
/// assert_eq!(csrf::verify(&session, ""), Err(TokenError::Missing));
/// assert_eq!(csrf::verify(&session, "abc"), Err(TokenError::Malformed));
/// assert_eq!(csrf::verify(&session, &others_token), Err(TokenError::NoSecret));
/// let _own = csrf::token(&mut session);
/// assert_eq!(csrf::verify(&session, &others_token), Err(TokenError::Mismatch));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify(session: &Session, submitted: &str) -> Result<(), TokenError> {
    if submitted.is_empty() {
        return Err(TokenError::Missing);
    }
    // The length is public (every token has it), so checking it first leaks
    // nothing and bounds the decoding work on hostile input.
    if submitted.len() != TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut bytes = Zeroizing::new([0u8; 2 * SECRET_LEN + 2]);
    let len = URL_SAFE_NO_PAD
        .decode_slice(submitted, bytes.as_mut_slice())
        .map_err(|_| TokenError::Malformed)?;
    if len != 2 * SECRET_LEN {
        return Err(TokenError::Malformed);
    }
    let secret = secret(session).ok_or(TokenError::NoSecret)?;
    let (pad, masked) = bytes[..len].split_at(SECRET_LEN);
    let mut unmasked = Zeroizing::new([0u8; SECRET_LEN]);
    for ((u, p), m) in unmasked.iter_mut().zip(pad).zip(masked) {
        *u = p ^ m;
    }
    if bool::from(unmasked.ct_eq(secret.as_slice())) {
        Ok(())
    } else {
        Err(TokenError::Mismatch)
    }
}

/// Replaces the session's secret: every token issued before stops
/// verifying. Call it after a login (see the module docs).
///
/// # Panics
///
/// If the operating system's random source fails; [`try_renew`] returns it.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// let before_login = csrf::token(&mut session);
/// session.renew();
/// csrf::renew(&mut session);
/// assert_eq!(csrf::verify(&session, &before_login), Err(csrf::TokenError::Mismatch));
/// let after = csrf::token(&mut session);
/// assert_eq!(csrf::verify(&session, &after), Ok(()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn renew(session: &mut Session) {
    try_renew(session).expect("the operating system's random source failed");
}

/// [`renew`], returning a failure of the random source.
///
/// # Errors
///
/// [`TokenIssueError::Rng`] when the OS gives no randomness.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, csrf};
///
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// let old = csrf::try_token(&mut session)?;
/// csrf::try_renew(&mut session)?;
/// assert_eq!(csrf::verify(&session, &old), Err(csrf::TokenError::Mismatch));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn try_renew(session: &mut Session) -> Result<(), TokenIssueError> {
    new_secret(session).map(drop)
}

/// The session's secret, if it holds a well-formed one.
fn secret(session: &Session) -> Option<Zeroizing<[u8; SECRET_LEN]>> {
    session
        .get::<[u8; SECRET_LEN]>(SESSION_KEY)
        .ok()
        .flatten()
        .map(Zeroizing::new)
}

fn new_secret(session: &mut Session) -> Result<Zeroizing<[u8; SECRET_LEN]>, TokenIssueError> {
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    getrandom::fill(secret.as_mut_slice()).map_err(|_| TokenIssueError::Rng)?;
    session
        .insert(SESSION_KEY, &*secret)
        .map_err(TokenIssueError::Store)?;
    Ok(secret)
}
