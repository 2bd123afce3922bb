//! Everyday cookies over a `HeaderMap`, next to the session: read a plain
//! cookie, set one, delete one (Django's `COOKIES.get`, `set_cookie`,
//! `delete_cookie`), and a stand-alone encrypted cookie for values that do not
//! belong in the session.
//!
//! ```
//! use http::HeaderMap;
//! use sealed_session::cookies::{self, CookieOptions};
//! use sealed_session::time::Duration;
//!
//! # let mut request = HeaderMap::new();
//! # request.insert("cookie", "theme=dark".parse().unwrap());
//! // COOKIES.get("theme", "light")
//! let theme = cookies::get(&request, "theme").unwrap_or("light");
//! assert_eq!(theme, "dark");
//!
//! // response.set_cookie("theme", "light", max_age=3600)
//! let mut response = HeaderMap::new();
//! let options = CookieOptions::default().http_only(false).max_age(Duration::hours(1));
//! cookies::set(&mut response, "theme", "light", &options)?;
//! // response.delete_cookie("old")
//! cookies::delete(&mut response, "old", &options)?;
//! assert_eq!(response.get_all("set-cookie").iter().count(), 2);
//! # Ok::<(), sealed_session::cookies::CookieError>(())
//! ```

use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderValue};
use time::Duration;

use crate::config::{SameSite, SessionConfig, is_valid_attribute, is_valid_cookie_name};
use crate::error::{OpenError, SealError};
use crate::http::{Attributes, cookie_lifetime, cookie_values};
use crate::seal;

/// Attributes for a plain or sealed cookie. The defaults are the session
/// cookie's: `Path=/`, `Secure`, `HttpOnly`, `SameSite=Lax`, no `Domain`, a
/// browser-session cookie (no `Max-Age`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct CookieOptions {
    path: String,
    domain: Option<String>,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    partitioned: bool,
    max_age: Option<Duration>,
}

impl Default for CookieOptions {
    fn default() -> Self {
        Self {
            path: "/".to_owned(),
            domain: None,
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            partitioned: false,
            max_age: None,
        }
    }
}

impl CookieOptions {
    /// The session cookie's attributes from `config` (path, domain, secure,
    /// http-only, same-site, partitioned), with no `Max-Age`.
    pub fn from_config(config: &SessionConfig) -> Self {
        let inner = &config.inner;
        Self {
            path: inner.path.clone(),
            domain: inner.domain.clone(),
            secure: inner.secure,
            http_only: inner.http_only,
            same_site: inner.same_site,
            partitioned: inner.partitioned,
            max_age: None,
        }
    }

    /// `Path` (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// `Domain` (default none).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// `Secure` (default on).
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// `HttpOnly` (default on).
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// `SameSite` (default `Lax`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// `Partitioned` (default off).
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// `Max-Age` and `Expires` (default none: a browser-session cookie). For
    /// a sealed cookie the server enforces it too.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    fn validate(&self) -> Result<(), CookieError> {
        if !self.path.starts_with('/') || !is_valid_attribute(&self.path) {
            return Err(CookieError::InvalidAttribute { attribute: "Path" });
        }
        if self
            .domain
            .as_deref()
            .is_some_and(|d| d.is_empty() || !is_valid_attribute(d))
        {
            return Err(CookieError::InvalidAttribute {
                attribute: "Domain",
            });
        }
        if (self.same_site == SameSite::None || self.partitioned) && !self.secure {
            return Err(CookieError::InvalidAttribute {
                attribute: "Secure",
            });
        }
        Ok(())
    }

    fn attributes(&self) -> Attributes<'_> {
        Attributes {
            path: &self.path,
            domain: self.domain.as_deref(),
            secure: self.secure,
            http_only: self.http_only,
            same_site: self.same_site,
            partitioned: self.partitioned,
        }
    }
}

/// A cookie could not be written or a sealed cookie not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieError {
    /// The name is not an RFC 6265 token.
    #[error("invalid cookie name {name:?}")]
    InvalidName {
        /// The rejected name.
        name: String,
    },
    /// The value holds a character RFC 6265 forbids (space, `"`, `,`, `;`,
    /// `\`, or a control character). Only the cookie's name is reported.
    #[error("the value of cookie {name:?} holds a character cookies cannot carry")]
    InvalidValue {
        /// The cookie's name.
        name: String,
    },
    /// A sealed cookie may not take the session cookie's name: a value
    /// sealed by [`set_sealed`] must never be read as a session.
    #[error("cookie {name:?} is the session cookie's name")]
    ReservedName {
        /// The rejected name.
        name: String,
    },
    /// An attribute is malformed, or its combination is one browsers refuse
    /// (`SameSite=None` or `Partitioned` without `Secure`).
    #[error("invalid or insecure cookie attribute {attribute}")]
    InvalidAttribute {
        /// The attribute at fault.
        attribute: &'static str,
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
    /// Sealing failed (the OS random source).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The sealed cookie is absent.
    #[error("no cookie {name:?}")]
    Missing {
        /// The cookie's name.
        name: String,
    },
    /// The sealed cookie did not open.
    #[error("cookie {name:?} did not open: {source}")]
    Open {
        /// The cookie's name.
        name: String,
        /// Why.
        source: OpenError,
    },
    /// The sealed cookie opened but its server-side expiry has passed.
    #[error("cookie {name:?} has expired")]
    Expired {
        /// The cookie's name.
        name: String,
    },
}

/// The value of the first cookie called `name` that is valid UTF-8 (Django's
/// `request.COOKIES.get(name)`; add `.unwrap_or(default)` for a default).
/// Surrounding double quotes are removed; nothing is percent-decoded.
#[must_use]
pub fn get<'a>(request: &'a HeaderMap, name: &'a str) -> Option<&'a str> {
    cookie_values(request, name).find_map(|v| std::str::from_utf8(v).ok())
}

/// Appends `Set-Cookie: name=value` with `options` (Django's `set_cookie`).
///
/// # Errors
///
/// [`CookieError::InvalidName`], [`CookieError::InvalidValue`] or
/// [`CookieError::InvalidAttribute`]; nothing is written then.
pub fn set(
    response: &mut HeaderMap,
    name: &str,
    value: &str,
    options: &CookieOptions,
) -> Result<(), CookieError> {
    check_name(name)?;
    if !value.bytes().all(is_cookie_octet) {
        return Err(CookieError::InvalidValue {
            name: name.to_owned(),
        });
    }
    options.validate()?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    append(response, name, value, options, max_age_pair(options, now));
    Ok(())
}

/// Appends a `Set-Cookie` that deletes `name` (Django's `delete_cookie`). The
/// `Path` and `Domain` must be those the cookie was set with.
///
/// # Errors
///
/// As [`set`].
pub fn delete(
    response: &mut HeaderMap,
    name: &str,
    options: &CookieOptions,
) -> Result<(), CookieError> {
    check_name(name)?;
    options.validate()?;
    append(response, name, "", options, Some((0, 0)));
    Ok(())
}

/// Seals `plaintext` into the cookie `name` with `config`'s primary key and
/// appends it. The server-side expiry is `options`' `max_age` from now
/// (checked by [`open_sealed`]); without one, the cookie lasts for the
/// browser session and the server does not expire it. The `name=value` size
/// limit is `config`'s.
///
/// Sealed values are bound to their cookie name, and the session cookie's
/// name is refused, so a sealed cookie cannot be swapped for the session
/// cookie or another sealed cookie. Lifetimes are capped at 400 days, as
/// browsers cap them.
///
/// # Errors
///
/// [`CookieError::TooLarge`] (nothing written), invalid name or attributes,
/// or [`CookieError::Seal`].
pub fn set_sealed(
    response: &mut HeaderMap,
    config: &SessionConfig,
    name: &str,
    plaintext: &[u8],
    options: &CookieOptions,
) -> Result<(), CookieError> {
    check_name(name)?;
    options.validate()?;
    let inner = &config.inner;
    if name == inner.cookie_name {
        return Err(CookieError::ReservedName {
            name: name.to_owned(),
        });
    }
    let now = inner.clock.now();
    let max_age = max_age_pair(options, now);
    let expires = max_age.map_or(i64::MAX, |(_, at)| at);
    // A minimal envelope: the 8-byte big-endian expiry, then the payload.
    let mut framed = Vec::with_capacity(8 + plaintext.len());
    framed.extend_from_slice(&expires.to_be_bytes());
    framed.extend_from_slice(plaintext);
    let size = name.len() + 1 + seal::sealed_len(framed.len());
    if size > inner.size_limit {
        return Err(CookieError::TooLarge {
            name: name.to_owned(),
            size,
            limit: inner.size_limit,
        });
    }
    let mut value = String::with_capacity(size);
    seal::seal_append(inner.keyring.primary(), name, &framed, &mut value)?;
    append(response, name, &value, options, max_age);
    Ok(())
}

/// Opens the sealed cookie `name` written by [`set_sealed`]: the first
/// candidate that opens and has not expired wins.
///
/// # Errors
///
/// [`CookieError::Missing`], [`CookieError::Expired`], or
/// [`CookieError::Open`] with the first candidate's reason.
pub fn open_sealed(
    request: &HeaderMap,
    config: &SessionConfig,
    name: &str,
) -> Result<Vec<u8>, CookieError> {
    let inner = &config.inner;
    let now = inner.clock.now();
    let mut first: Option<CookieError> = None;
    for raw in cookie_values(request, name).take(crate::MAX_CANDIDATES) {
        let result = std::str::from_utf8(raw)
            .map_err(|_| OpenError::Malformed(crate::MalformedReason::Base64))
            .and_then(|v| inner.keyring.open(name, v));
        let opened = match result {
            Ok(opened) => opened,
            Err(source) => {
                first.get_or_insert(CookieError::Open {
                    name: name.to_owned(),
                    source,
                });
                continue;
            }
        };
        let Some((head, _)) = opened.plaintext.split_first_chunk::<8>() else {
            first.get_or_insert(CookieError::Open {
                name: name.to_owned(),
                source: OpenError::Malformed(crate::MalformedReason::TooShort {
                    len: opened.plaintext.len(),
                }),
            });
            continue;
        };
        if now >= i64::from_be_bytes(*head) {
            first = Some(CookieError::Expired {
                name: name.to_owned(),
            });
            continue;
        }
        let mut plaintext = opened.plaintext;
        plaintext.drain(..8);
        return Ok(plaintext);
    }
    Err(first.unwrap_or_else(|| CookieError::Missing {
        name: name.to_owned(),
    }))
}

fn max_age_pair(options: &CookieOptions, now: i64) -> Option<(i64, i64)> {
    options
        .max_age
        .map(|d| cookie_lifetime(now, now.saturating_add(d.whole_seconds())))
}

fn check_name(name: &str) -> Result<(), CookieError> {
    if !is_valid_cookie_name(name) {
        return Err(CookieError::InvalidName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// RFC 6265 `cookie-octet`.
fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

fn append(
    response: &mut HeaderMap,
    name: &str,
    value: &str,
    options: &CookieOptions,
    max_age: Option<(i64, i64)>,
) {
    let mut out = String::with_capacity(name.len() + value.len() + 128);
    out.push_str(name);
    out.push('=');
    out.push_str(value);
    options.attributes().push(max_age, &mut out);
    // Name, value and attributes were all checked to be visible ASCII.
    let value = HeaderValue::try_from(out).expect("checked cookie is a valid header value");
    response.append(SET_COOKIE, value);
}
