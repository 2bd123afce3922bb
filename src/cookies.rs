//! Everyday cookies next to the session, as [`cookie::Cookie`]s (the type
//! Rust web developers already know): read a plain cookie, set one, delete
//! one (Django's `COOKIES.get`, `set_cookie`, `delete_cookie`), and a
//! stand-alone encrypted cookie for values that do not belong in the session.
//!
//! ```
//! use http::HeaderMap;
//! use sealed_session::cookie::Cookie;
//! use sealed_session::cookies;
//! use sealed_session::time::Duration;
//!
//! # let mut request = HeaderMap::new();
//! # request.insert("cookie", "theme=dark".parse().unwrap());
//! // COOKIES.get("theme", "light")
//! let theme = cookies::get(&request, "theme");
//! assert_eq!(theme.as_ref().map_or("light", |c| c.value()), "dark");
//!
//! // response.set_cookie("theme", "light", max_age=3600): `build` starts from
//! // the secure defaults (Path=/, Secure, HttpOnly, SameSite=Lax).
//! let mut response = HeaderMap::new();
//! let theme = cookies::build("theme", "light").http_only(false).max_age(Duration::hours(1));
//! cookies::set(&mut response, &theme.build())?;
//! // response.delete_cookie("old")
//! cookies::delete(&mut response, &Cookie::build(("old", "")).path("/").build())?;
//! assert_eq!(response.get_all("set-cookie").iter().count(), 2);
//! # Ok::<(), sealed_session::cookies::CookieError>(())
//! ```
//!
//! Every cookie is checked before it is written, with the rules
//! [`SessionConfigBuilder::build`](crate::SessionConfigBuilder::build)
//! applies to the session cookie: a token name, a value of RFC 6265
//! cookie-octets, attributes that cannot inject others, and the
//! `__Host-`/`__Secure-` prefix rules that browsers enforce by silently
//! dropping the cookie. A cookie that breaks one is refused and nothing is
//! written.

use cookie::{Cookie, CookieBuilder};
use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};
use time::{Duration, OffsetDateTime};

use crate::config::SessionConfig;
use crate::cookie_header::cookie_lifetime;
pub use crate::cookie_header::{CookieValues, MAX_CANDIDATES, MAX_SCAN_BYTES, cookie_values};
use crate::cookie_rules::{CookieRuleError, CookieRules, SameSite, check_cookie, is_cookie_octet};
use crate::log;
use crate::seal::{OpenError, SealError, Sealer};

/// A cookie could not be written or a sealed cookie not read.
///
/// ```
/// use sealed_session::cookies::{self, CookieError};
///
/// let mut headers = http::HeaderMap::new();
/// let bad = cookies::build("theme", "dark; Domain=evil.example").build();
/// assert!(matches!(cookies::set(&mut headers, &bad), Err(CookieError::InvalidValue { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// The name or an attribute breaks a rule that
    /// [`SessionConfigBuilder::build`](crate::SessionConfigBuilder::build)
    /// also enforces (same kinds: invalid name, path or domain, a prefix
    /// rule, `SameSite=None` or `Partitioned` without `Secure`).
    #[error(transparent)]
    Invalid(#[from] CookieRuleError),
    /// The value holds a character RFC 6265 forbids (space, `"`, `,`, `;`,
    /// `\`, or a control character). Only the cookie's name is reported.
    #[error("the value of cookie {name:?} holds a character cookies cannot carry")]
    InvalidValue {
        /// The cookie's name.
        name: String,
    },
    /// A sealed cookie may not take the session cookie's name: a value
    /// sealed by [`set_sealed`] must never be read as a session, nor a
    /// session by [`open_sealed`].
    #[error("cookie {name:?} is the session cookie's name")]
    ReservedName {
        /// The rejected name.
        name: String,
    },
    /// `name=value` exceeds the size limit; nothing was written.
    #[error("cookie {name:?} of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// The cookie's name.
        name: String,
        /// Length of `name=value`.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Sealing failed (the OS random source); the cause is the `source()`.
    #[error("the cookie could not be sealed")]
    Seal(#[from] SealError),
    /// The sealed cookie is absent.
    #[error("no cookie {name:?}")]
    Missing {
        /// The cookie's name.
        name: String,
    },
    /// The sealed cookie did not open; the reason is the `source()`.
    #[error("cookie {name:?} did not open")]
    Open {
        /// The cookie's name.
        name: String,
        /// Why.
        #[source]
        source: OpenError,
    },
    /// The sealed cookie opened but its server-side expiry has passed.
    #[error("cookie {name:?} has expired")]
    Expired {
        /// The cookie's name.
        name: String,
    },
}

/// A cookie builder with the session cookie's secure defaults: `Path=/`,
/// `Secure`, `HttpOnly`, `SameSite=Lax`, no `Domain`, no `Max-Age` (a
/// browser-session cookie). Change any of them with the builder's methods.
///
/// ```
/// let c = sealed_session::cookies::build("theme", "dark").build();
/// assert_eq!(c.to_string(), "theme=dark; HttpOnly; SameSite=Lax; Secure; Path=/");
/// ```
pub fn build(name: &str, value: &str) -> CookieBuilder<'static> {
    Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
}

/// A cookie builder with the attributes of `config`'s session cookie (path,
/// domain, secure, http-only, same-site, partitioned) and no `Max-Age`.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).path("/app").build()?;
/// let c = sealed_session::cookies::like_session(&config, "csrf", "x").build();
/// assert_eq!(c.path(), Some("/app"));
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
pub fn like_session(config: &SessionConfig, name: &str, value: &str) -> CookieBuilder<'static> {
    let attrs = config.attributes();
    let mut b = Cookie::build((name.to_owned(), value.to_owned()))
        .path(attrs.path.clone())
        .secure(attrs.secure)
        .http_only(attrs.http_only)
        .same_site(attrs.same_site)
        .partitioned(attrs.partitioned);
    if let Some(domain) = &attrs.domain {
        b = b.domain(domain.clone());
    }
    b
}

/// The first cookie called `name` whose value is valid UTF-8 (Django's
/// `request.COOKIES.get(name)`). Surrounding double quotes are removed;
/// nothing is percent-decoded. The scan is bounded as [`load`](crate::load)'s.
///
/// ```
/// let mut h = http::HeaderMap::new();
/// h.insert("cookie", "lang=\"en\"".parse().unwrap());
/// assert_eq!(sealed_session::cookies::get(&h, "lang").unwrap().value(), "en");
/// ```
#[must_use]
pub fn get<'a>(request: &'a HeaderMap, name: &'a str) -> Option<Cookie<'a>> {
    cookie_values(request, name)
        .find_map(|v| std::str::from_utf8(v).ok())
        .map(|value| Cookie::new(name, value))
}

/// Appends `Set-Cookie` for `cookie`, exactly as built (Django's
/// `set_cookie`).
///
/// # Errors
///
/// [`CookieError::Invalid`] or [`CookieError::InvalidValue`]; nothing is
/// written then.
///
/// ```
/// let mut response = http::HeaderMap::new();
/// let bad = sealed_session::cookies::build("__Host-id", "1").path("/app").build();
/// assert!(sealed_session::cookies::set(&mut response, &bad).is_err());
/// assert!(response.is_empty());
/// ```
pub fn set(response: &mut HeaderMap, cookie: &Cookie<'_>) -> Result<(), CookieError> {
    check(cookie)?;
    append(response, cookie);
    Ok(())
}

/// Appends a `Set-Cookie` that deletes `cookie` (Django's `delete_cookie`):
/// an empty value, `Max-Age=0` and a past `Expires`, with `cookie`'s other
/// attributes. Its `Path` and `Domain` must be those it was set with.
///
/// # Errors
///
/// As [`set`].
///
/// ```
/// let mut response = http::HeaderMap::new();
/// let old = sealed_session::cookies::build("old", "").build();
/// sealed_session::cookies::delete(&mut response, &old)?;
/// assert!(response["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
/// # Ok::<(), sealed_session::cookies::CookieError>(())
/// ```
pub fn delete(response: &mut HeaderMap, cookie: &Cookie<'_>) -> Result<(), CookieError> {
    let mut removal = cookie.clone();
    removal.make_removal();
    set(response, &removal)
}

/// Seals `cookie`'s value with `config`'s primary key and appends the cookie
/// with the sealed value in its place. The server-side expiry is the
/// cookie's `Max-Age` from now (checked by [`open_sealed`]), capped at the
/// 400 days browsers keep a cookie; without one, the cookie lasts for the
/// browser session and the server does not expire it. The `name=value` size
/// limit is `config`'s.
///
/// Sealed values are bound to their cookie name, and the session cookie's
/// name is refused, so a sealed cookie cannot be swapped for the session
/// cookie or another sealed cookie.
///
/// # Errors
///
/// [`CookieError::TooLarge`] (nothing written), [`CookieError::ReservedName`],
/// an invalid name or attributes, or [`CookieError::Seal`].
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, cookies};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut response = http::HeaderMap::new();
/// cookies::set_sealed(&mut response, &config, &cookies::build("prefs", "dark").build())?;
/// let sent = response["set-cookie"].to_str()?;
/// assert!(sent.starts_with("prefs=") && !sent.contains("dark"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn set_sealed(
    response: &mut HeaderMap,
    config: &SessionConfig,
    cookie: &Cookie<'_>,
) -> Result<(), CookieError> {
    let name = cookie.name();
    if name == config.cookie_name() {
        return Err(CookieError::ReservedName {
            name: name.to_owned(),
        });
    }
    check_attributes(cookie)?;
    let now = config.now_unix();
    let lifetime = cookie
        .max_age()
        .map(|d| cookie_lifetime(now, now.saturating_add(d.whole_seconds())));
    let expires = lifetime.map_or(i64::MAX, |(_, at)| at);
    let payload = cookie.value().as_bytes();
    let size = name.len() + 1 + Sealer::expiring_len(payload.len());
    if size > config.size_limit() {
        return Err(CookieError::TooLarge {
            name: name.to_owned(),
            size,
            limit: config.size_limit(),
        });
    }
    let value = config.cookie_sealer(name).seal_expiring(expires, payload)?;
    let mut sealed = cookie.clone();
    sealed.set_value(value);
    if let Some((age, at)) = lifetime {
        sealed.set_max_age(Duration::seconds(age));
        sealed.set_expires(OffsetDateTime::from_unix_timestamp(at).ok());
    }
    append(response, &sealed);
    Ok(())
}

/// Opens the sealed cookie `name` written by [`set_sealed`] and returns its
/// value: the first candidate that opens and has not expired wins.
///
/// # Errors
///
/// [`CookieError::ReservedName`] for the session cookie's name (a session
/// is never read as a sealed cookie), [`CookieError::Missing`],
/// [`CookieError::Expired`], or [`CookieError::Open`] with the first
/// candidate's reason.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, cookies};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut request = http::HeaderMap::new();
/// request.insert("cookie", "prefs=forged".parse()?);
/// assert!(matches!(
///     cookies::open_sealed(&request, &config, "prefs"),
///     Err(cookies::CookieError::Open { .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_sealed(
    request: &HeaderMap,
    config: &SessionConfig,
    name: &str,
) -> Result<String, CookieError> {
    if name == config.cookie_name() {
        return Err(CookieError::ReservedName {
            name: name.to_owned(),
        });
    }
    let now = config.now_unix();
    let open_error = |source| CookieError::Open {
        name: name.to_owned(),
        source,
    };
    let mut first: Option<CookieError> = None;
    let sealer = config.cookie_sealer(name);
    for raw in cookie_values(request, name).take(MAX_CANDIDATES) {
        let (expires, payload) = match sealer.open_expiring(raw) {
            Ok(opened) => opened,
            Err(source) => {
                log::rejected_sealed_cookie(name, source);
                first.get_or_insert(open_error(source));
                continue;
            }
        };
        if now >= expires {
            first = Some(CookieError::Expired {
                name: name.to_owned(),
            });
            continue;
        }
        // Sealed from a `&str` by `set_sealed`; anything else was sealed by
        // another holder of the key and is treated as not opening.
        match std::str::from_utf8(&payload) {
            Ok(text) => return Ok(text.to_owned()),
            Err(_) => {
                first.get_or_insert(open_error(OpenError::Tampered));
            }
        }
    }
    Err(first.unwrap_or_else(|| CookieError::Missing {
        name: name.to_owned(),
    }))
}

/// Every rule for a cookie that is written as is.
fn check(cookie: &Cookie<'_>) -> Result<(), CookieError> {
    check_attributes(cookie)?;
    if !cookie.value().bytes().all(is_cookie_octet) {
        return Err(CookieError::InvalidValue {
            name: cookie.name().to_owned(),
        });
    }
    Ok(())
}

/// The name and attribute rules of `build()`, on a cookie.
fn check_attributes(cookie: &Cookie<'_>) -> Result<(), CookieError> {
    let same_site = cookie.same_site().unwrap_or(SameSite::Lax);
    let partitioned = cookie.partitioned() == Some(true);
    // What the `cookie` crate writes: `Secure` when set, for a partitioned
    // cookie, and for `SameSite=None` unless explicitly turned off.
    let secure = cookie.secure() == Some(true)
        || partitioned
        || (cookie.secure().is_none() && same_site == SameSite::None);
    check_cookie(&CookieRules {
        name: cookie.name(),
        path: cookie.path(),
        domain: cookie.domain(),
        secure,
        same_site,
        partitioned,
    })?;
    Ok(())
}

fn append(response: &mut HeaderMap, cookie: &Cookie<'_>) {
    // Name, value and attributes were all checked to be visible ASCII.
    let value =
        HeaderValue::try_from(cookie.to_string()).expect("checked cookie is a valid header value");
    response.append(SET_COOKIE, value);
}
