//! The cookie rules browsers enforce, checked once by
//! [`SessionConfigBuilder::build`](crate::SessionConfigBuilder::build) for
//! the session cookie and by [`cookies::set`](crate::cookies::set) for every
//! other: RFC 6265 tokens and cookie-octets, attribute values that cannot
//! inject another attribute, the `__Host-`/`__Secure-` prefixes, and what
//! `SameSite=None` and `Partitioned` need. A cookie that breaks one is
//! dropped by the browser without a word, so the crate refuses to write it.

/// The `SameSite` attribute: the `cookie` crate's own type, so that a
/// [`SessionConfig`](crate::SessionConfig) and a
/// [`cookie::Cookie`](cookie::Cookie) take the same values. The session
/// cookie always writes it explicitly, so browsers that default differently
/// behave the same.
///
/// ```
/// use sealed_session::{Key, Keyring, SameSite, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .same_site(SameSite::Strict)
///     .build()?;
/// let csrf = sealed_session::cookies::like_session(&config, "csrf", "x").build();
/// assert_eq!(csrf.same_site(), Some(SameSite::Strict));
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
pub use cookie::SameSite;

/// A cookie's name or an attribute breaks a rule browsers enforce: the
/// cookie would be dropped, so it is refused before it is written.
///
/// ```
/// use sealed_session::{ConfigError, CookieRuleError, Key, Keyring, SessionConfig};
///
/// let result = SessionConfig::builder(Keyring::new(Key::generate()))
///     .cookie_name("__Host-session")
///     .secure(false)
///     .build();
/// assert!(matches!(
///     result,
///     Err(ConfigError::Cookie(CookieRuleError::PrefixRequiresSecure { .. }))
/// ));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CookieRuleError {
    /// The name is empty or holds a character outside an RFC 6265 token.
    #[error("invalid cookie name {name:?}: use letters, digits and !#$%&'*+-.^_`|~")]
    InvalidCookieName {
        /// The rejected name.
        name: String,
    },
    /// The path does not start with `/` or holds `;` or a control character.
    #[error("invalid cookie path {path:?}")]
    InvalidPath {
        /// The rejected path.
        path: String,
    },
    /// The domain is empty or holds `;` or a control character.
    #[error("invalid cookie domain {domain:?}")]
    InvalidDomain {
        /// The rejected domain.
        domain: String,
    },
    /// `__Host-` and `__Secure-` cookies must be `Secure`.
    #[error("cookie {name:?} has a prefix that requires Secure")]
    PrefixRequiresSecure {
        /// The cookie name.
        name: String,
    },
    /// `__Host-` cookies must not have a `Domain`.
    #[error("cookie {name:?} is __Host- and must not set a Domain")]
    HostPrefixWithDomain {
        /// The cookie name.
        name: String,
    },
    /// `__Host-` cookies must have `Path=/`.
    #[error("cookie {name:?} is __Host- and must have Path=/, not {path:?}")]
    HostPrefixPath {
        /// The cookie name.
        name: String,
        /// The configured path.
        path: String,
    },
    /// Browsers reject `SameSite=None` without `Secure`.
    #[error("SameSite=None requires Secure")]
    SameSiteNoneRequiresSecure,
    /// Browsers reject `Partitioned` without `Secure`.
    #[error("Partitioned requires Secure")]
    PartitionedRequiresSecure,
}

/// What the rules look at in one cookie.
pub(crate) struct CookieRules<'a> {
    pub(crate) name: &'a str,
    /// `None`: no `Path` attribute (the browser takes the request's
    /// directory).
    pub(crate) path: Option<&'a str>,
    pub(crate) domain: Option<&'a str>,
    pub(crate) secure: bool,
    pub(crate) same_site: SameSite,
    pub(crate) partitioned: bool,
}

/// Every rule, in the order a reader would check them: name, path, domain,
/// what `SameSite=None` and `Partitioned` need, then the prefixes.
pub(crate) fn check_cookie(c: &CookieRules<'_>) -> Result<(), CookieRuleError> {
    if !is_valid_cookie_name(c.name) {
        return Err(CookieRuleError::InvalidCookieName {
            name: c.name.into(),
        });
    }
    if let Some(path) = c.path {
        if !path.starts_with('/') || !is_valid_attribute(path) {
            return Err(CookieRuleError::InvalidPath { path: path.into() });
        }
    }
    if let Some(domain) = c.domain {
        if domain.is_empty() || !is_valid_attribute(domain) {
            return Err(CookieRuleError::InvalidDomain {
                domain: domain.into(),
            });
        }
    }
    if c.same_site == SameSite::None && !c.secure {
        return Err(CookieRuleError::SameSiteNoneRequiresSecure);
    }
    if c.partitioned && !c.secure {
        return Err(CookieRuleError::PartitionedRequiresSecure);
    }
    check_prefix(c.name, c.secure, c.domain, c.path.unwrap_or(""))
}

/// The cookie-prefix rules browsers enforce (matched case-insensitively):
/// `__Host-` needs `Secure`, no `Domain` and `Path=/`; `__Secure-` needs
/// `Secure`.
fn check_prefix(
    name: &str,
    secure: bool,
    domain: Option<&str>,
    path: &str,
) -> Result<(), CookieRuleError> {
    let lower = name.get(..9).unwrap_or(name).to_ascii_lowercase();
    if lower.starts_with("__host-") {
        if !secure {
            return Err(CookieRuleError::PrefixRequiresSecure { name: name.into() });
        }
        if domain.is_some() {
            return Err(CookieRuleError::HostPrefixWithDomain { name: name.into() });
        }
        if path != "/" {
            return Err(CookieRuleError::HostPrefixPath {
                name: name.into(),
                path: path.into(),
            });
        }
    }
    if lower.starts_with("__secure-") && !secure {
        return Err(CookieRuleError::PrefixRequiresSecure { name: name.into() });
    }
    Ok(())
}

/// A non-empty RFC 6265 `token`: what a cookie name may be.
pub(crate) fn is_valid_cookie_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(is_token_byte)
}

/// RFC 6265 `token`: visible ASCII except separators.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_graphic()
        && !matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

/// An attribute value that cannot break out of its attribute.
pub(crate) fn is_valid_attribute(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// RFC 6265 `cookie-octet`: what a cookie value may hold.
pub(crate) fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}
