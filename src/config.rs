//! [`SessionConfig`] and its builder: the cookie's name and attributes, the
//! lifetimes, the size limit and the clock, validated once at
//! [`SessionConfigBuilder::build`].

use std::fmt;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::key::Keyring;
use crate::lifetime::{Lifetimes, Rolling, default_refresh_after};
use crate::seal::{self, Binding, Kind, MAX_CONTEXT_LEN, OpenError, Opened, SealError, sealed_len};
use crate::session::LoadRules;

/// A session configuration broke a rule; [`SessionConfigBuilder::build`]
/// returns it instead of a silently broken cookie.
///
/// ```
/// use sealed_session::{ConfigError, Key, Keyring, SessionConfig};
///
/// let result = SessionConfig::builder(Keyring::new(Key::generate()))
///     .cookie_name("__Host-session")
///     .secure(false)
///     .build();
/// assert!(matches!(result, Err(ConfigError::PrefixRequiresSecure { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
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
    /// Browsers drop cookies over 4,096 bytes.
    #[error("size limit {limit} is above the {max} bytes browsers store")]
    SizeLimitTooLarge {
        /// The configured limit.
        limit: usize,
        /// 4,096.
        max: usize,
    },
    /// No session could fit.
    #[error("size limit {limit} is below the {min} bytes the smallest session needs")]
    SizeLimitTooSmall {
        /// The configured limit.
        limit: usize,
        /// The smallest usable limit for this cookie name.
        min: usize,
    },
    /// A lifetime of zero or less.
    #[error("{what} must be at least one second, not {secs} s")]
    NonPositiveLifetime {
        /// Which lifetime.
        what: &'static str,
        /// Its value in whole seconds.
        secs: i64,
    },
    /// An absolute timeout shorter than the idle lifetime would cut every
    /// session short.
    #[error(
        "absolute timeout ({absolute_secs} s) is shorter than the idle lifetime ({idle_secs} s)"
    )]
    AbsoluteShorterThanIdle {
        /// The absolute timeout, seconds.
        absolute_secs: i64,
        /// `max_age`, or the rolling idle time, seconds.
        idle_secs: i64,
    },
    /// A refresh threshold must be shorter than the idle time.
    #[error(
        "refresh threshold ({refresh_secs} s) must be at least 0 and shorter than the idle time ({idle_secs} s)"
    )]
    RefreshNotShorterThanIdle {
        /// The threshold, seconds.
        refresh_secs: i64,
        /// The idle time, seconds.
        idle_secs: i64,
    },
    /// `refresh_after` only applies to rolling sessions.
    #[error("refresh_after is set but rolling is not")]
    RefreshWithoutRolling,
    /// The context is bound into every sealed value with a one-byte length.
    #[error("context of {len} bytes is longer than the {max}-byte maximum")]
    ContextTooLong {
        /// The context's length, bytes.
        len: usize,
        /// 255.
        max: usize,
    },
}

/// The largest `name=value` a cookie may have: every major browser stores
/// 4,096 bytes; a higher limit would let the crate write cookies that browsers
/// silently drop.
pub const MAX_SIZE_LIMIT: usize = 4096;

/// The default limit on `name=value`: the smallest that all major browsers
/// accept.
pub const DEFAULT_SIZE_LIMIT: usize = 4093;

/// Django's default `SESSION_COOKIE_AGE`: two weeks.
pub const DEFAULT_MAX_AGE: Duration = Duration::weeks(2);

/// The `SameSite` attribute. It is always written explicitly, so browsers that
/// default differently behave the same.
///
/// ```
/// use sealed_session::{Key, Keyring, SameSite, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .same_site(SameSite::Strict)
///     .build()?;
/// # let _ = config;
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SameSite {
    /// Sent on same-site requests only.
    Strict,
    /// Sent on same-site requests and top-level cross-site navigations
    /// (the default).
    Lax,
    /// Sent on every request; requires `Secure`.
    None,
}

impl SameSite {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// The source of "now", set through [`SessionConfigBuilder::clock`]. Tests
/// inject a fixed or stepped clock instead of sleeping.
#[derive(Clone)]
pub(crate) enum Clock {
    /// The system clock, read as Unix seconds straight from `SystemTime`:
    /// no calendar arithmetic on the hot path (`OffsetDateTime::now_utc`
    /// computes a date and time that `load` and `save` never look at).
    System,
    /// A clock the application gave (tests, simulations).
    Custom(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>),
}

impl Clock {
    /// The system clock, in UTC.
    pub(crate) fn system() -> Self {
        Clock::System
    }

    /// A clock that calls `now`.
    pub(crate) fn from_fn(now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Clock::Custom(Arc::new(now))
    }

    /// The current time as whole Unix seconds.
    pub(crate) fn now(&self) -> i64 {
        match self {
            Clock::System => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                // A system clock set before 1970 reads as 1970.
                .map_or(0, |since| {
                    i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
                }),
            Clock::Custom(now) => now().unix_timestamp(),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// Everything the session layer needs, validated. Cheap to clone (an `Arc`),
/// `Send + Sync`: build it once and share it.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .cookie_name("__Host-session")
///     .build()?;
/// assert_eq!(config.cookie_name(), "__Host-session");
/// assert_eq!(config.size_limit(), sealed_session::DEFAULT_SIZE_LIMIT);
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct SessionConfig {
    inner: Arc<Inner>,
}

struct Inner {
    keyring: Keyring,
    cookie_name: String,
    context: String,
    attributes: CookieAttributes,
    lifetimes: Lifetimes,
    size_limit: usize,
    clock: Clock,
    not_before: Option<i64>,
    session_ids: bool,
}

/// The validated `Set-Cookie` attributes of the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieAttributes {
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) partitioned: bool,
    /// `; Path=..[; Domain=..]`: what every `Set-Cookie` writes before
    /// `Max-Age`, built once here instead of on every save.
    pub(crate) head: String,
    /// `[; Secure][; HttpOnly]; SameSite=..[; Partitioned]`: what follows
    /// `Expires`, built once.
    pub(crate) tail: String,
}

impl CookieAttributes {
    fn new(
        path: String,
        domain: Option<String>,
        secure: bool,
        http_only: bool,
        same_site: SameSite,
        partitioned: bool,
    ) -> Self {
        let mut head = format!("; Path={path}");
        if let Some(domain) = &domain {
            head.push_str("; Domain=");
            head.push_str(domain);
        }
        let mut tail = String::new();
        if secure {
            tail.push_str("; Secure");
        }
        if http_only {
            tail.push_str("; HttpOnly");
        }
        tail.push_str("; SameSite=");
        tail.push_str(same_site.as_str());
        if partitioned {
            tail.push_str("; Partitioned");
        }
        Self {
            path,
            domain,
            secure,
            http_only,
            same_site,
            partitioned,
            head,
            tail,
        }
    }
}

impl SessionConfig {
    /// Starts a builder with secure defaults: cookie `session`, `Secure`,
    /// `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain`, a two-week
    /// `max_age`, no rolling, no absolute timeout, a 4,093-byte limit.
    pub fn builder(keyring: Keyring) -> SessionConfigBuilder {
        SessionConfigBuilder {
            keyring,
            cookie_name: "session".to_owned(),
            context: String::new(),
            secure: true,
            http_only: true,
            same_site: SameSite::Lax,
            path: "/".to_owned(),
            domain: None,
            partitioned: false,
            max_age: DEFAULT_MAX_AGE,
            rolling: None,
            refresh_after: None,
            absolute_timeout: None,
            browser_session: false,
            size_limit: DEFAULT_SIZE_LIMIT,
            clock: Clock::system(),
            not_before: None,
            session_ids: false,
        }
    }

    /// The keyring that seals and opens the cookie.
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// The cookie's name.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.cookie_name
    }

    /// The context every value sealed under this configuration is bound to
    /// (see [`SessionConfigBuilder::context`]).
    #[must_use]
    pub fn context(&self) -> &str {
        &self.inner.context
    }

    /// Opens the value of a session cookie sealed under this configuration
    /// and returns the plaintext envelope (its layout is in the crate docs),
    /// for tools and tests that inspect the wire format. Applications read
    /// sessions with [`load`](crate::load), which also decodes and checks
    /// the expiry.
    ///
    /// # Errors
    ///
    /// As [`Keyring::open`]; a raw [`Keyring::seal`] value or a stand-alone
    /// sealed cookie is [`OpenError::Tampered`](crate::OpenError::Tampered)
    /// here, as a session is there.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("n", &1u8)?;
    /// let cookie = sealed_session::session_cookie(&config, &session)?.unwrap();
    /// let opened = config.open_session_value(cookie.value())?;
    /// // The last entry: key "n", then 5 value bytes, the shape fingerprint and 1u8.
    /// let tail = &opened.plaintext[opened.plaintext.len() - 7..];
    /// assert_eq!((tail[0], tail[1], tail[6]), (b'n', 5, 1));
    /// assert!(config.keyring().open(config.cookie_name(), cookie.value()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open_session_value(&self, value: &str) -> Result<Opened, OpenError> {
        seal::open(&self.inner.keyring, self.session_binding(), value)
    }

    /// Seals `plaintext` as the value of this configuration's session
    /// cookie, whatever its bytes: for tools and tests that craft session
    /// cookies byte by byte (a plaintext that is not a valid envelope loads
    /// as [`InvalidReason::BadPayload`](crate::InvalidReason::BadPayload)).
    /// It grants nothing the keys do not: applications write sessions with
    /// [`save`](crate::save).
    ///
    /// # Errors
    ///
    /// [`SealError`] if the OS random source fails.
    ///
    /// ```
    /// use sealed_session::{InvalidReason, Key, Keyring, SessionConfig, Status};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let value = config.seal_session_value(b"not an envelope")?;
    /// let request = http::Request::builder().header("cookie", format!("session={value}")).body(())?;
    /// let session = sealed_session::load(&config, &request);
    /// assert_eq!(session.status(), Status::Invalid(InvalidReason::BadPayload));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn seal_session_value(&self, plaintext: &[u8]) -> Result<String, SealError> {
        seal::seal_to_string(
            self.inner.keyring.primary(),
            self.session_binding(),
            plaintext,
        )
    }

    /// The AAD binding of this configuration's session cookie.
    pub(crate) fn session_binding(&self) -> Binding<'_> {
        Binding {
            kind: Kind::Session,
            context: &self.inner.context,
            name: &self.inner.cookie_name,
        }
    }

    /// The AAD binding of a stand-alone sealed cookie called `name`.
    pub(crate) fn cookie_binding<'a>(&'a self, name: &'a str) -> Binding<'a> {
        Binding {
            kind: Kind::Cookie,
            context: &self.inner.context,
            name,
        }
    }

    /// The limit on `name=value`, in bytes.
    #[must_use]
    pub fn size_limit(&self) -> usize {
        self.inner.size_limit
    }

    /// The current time from the configured clock.
    #[must_use]
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(self.inner.clock.now())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// The current time from the configured clock, Unix seconds.
    pub(crate) fn now_unix(&self) -> i64 {
        self.inner.clock.now()
    }

    pub(crate) fn attributes(&self) -> &CookieAttributes {
        &self.inner.attributes
    }

    pub(crate) fn lifetimes(&self) -> Lifetimes {
        self.inner.lifetimes
    }

    /// What `load` checks a cookie against, at the current time.
    pub(crate) fn load_rules(&self) -> LoadRules {
        LoadRules {
            now: self.now_unix(),
            lifetimes: self.inner.lifetimes,
            not_before: self.inner.not_before,
            ids: self.inner.session_ids,
        }
    }

    /// Whether sessions carry a random id
    /// ([`SessionConfigBuilder::session_ids`]).
    #[must_use]
    pub fn session_ids(&self) -> bool {
        self.inner.session_ids
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = &self.inner;
        f.debug_struct("SessionConfig")
            .field("keyring", &i.keyring)
            .field("cookie_name", &i.cookie_name)
            .field("context", &i.context)
            .field("attributes", &i.attributes)
            .field("lifetimes", &i.lifetimes)
            .field("size_limit", &i.size_limit)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SessionConfig`]; every setter is checked together in
/// [`build`](Self::build).
///
/// ```
/// use sealed_session::time::Duration;
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .rolling(Duration::minutes(30))
///     .absolute_timeout(Duration::hours(12))
///     .build()?;
/// # let _ = config;
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionConfigBuilder {
    keyring: Keyring,
    cookie_name: String,
    context: String,
    secure: bool,
    http_only: bool,
    same_site: SameSite,
    path: String,
    domain: Option<String>,
    partitioned: bool,
    max_age: Duration,
    rolling: Option<Duration>,
    refresh_after: Option<Duration>,
    absolute_timeout: Option<Duration>,
    browser_session: bool,
    size_limit: usize,
    clock: Clock,
    not_before: Option<OffsetDateTime>,
    session_ids: bool,
}

impl SessionConfigBuilder {
    /// The cookie's name (default `session`). A `__Host-` name requires
    /// `Secure`, `Path=/` and no `Domain`; a `__Secure-` name requires `Secure`.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = name.into();
        self
    }

    /// What this application, tenant or part of a site is (default empty),
    /// bound into every session and stand-alone sealed cookie: two
    /// configurations that share keys and a cookie name but differ in
    /// context never accept each other's cookies (an `admin` role sealed for
    /// one tenant does not open for another). At most 255 bytes.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let a = SessionConfig::builder(keys.clone()).context("tenant-a").build()?;
    /// let b = SessionConfig::builder(keys).context("tenant-b").build()?;
    /// let mut session = sealed_session::load(&a, &http::Request::new(()));
    /// session.insert("role", &"admin")?;
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&a, &session, &mut response)?;
    /// let cookie = response.headers()["set-cookie"].to_str()?.split(';').next().unwrap().to_owned();
    /// let request = http::Request::builder().header("cookie", cookie).body(())?;
    /// assert!(sealed_session::load(&a, &request).status().is_loaded());
    /// assert!(matches!(sealed_session::load(&b, &request).status(), Status::Invalid(_)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn context(mut self, context: impl Into<String>) -> Self {
        self.context = context.into();
        self
    }

    /// The `Secure` attribute (default on). Turn it off only for plain-HTTP
    /// development on localhost.
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `HttpOnly` attribute (default on): scripts cannot read the cookie.
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` attribute (default `Lax`).
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The `Path` attribute (default `/`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The `Domain` attribute (default none: the cookie goes to this host
    /// only, which is the safer choice).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The `Partitioned` attribute (CHIPS; default off). Requires `Secure`.
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// How long a session lives after it is created (default two weeks):
    /// `expires = created + max_age`. Ignored for sessions while
    /// [`rolling`](Self::rolling) is set, which expire after idling instead.
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Rolling expiry: a session expires after `idle` without a request. The
    /// cookie is re-sealed with a fresh expiry at most once per
    /// [`refresh_after`](Self::refresh_after), so a busy user is not sent a
    /// new cookie on every request.
    pub fn rolling(mut self, idle: Duration) -> Self {
        self.rolling = Some(idle);
        self
    }

    /// With [`rolling`](Self::rolling): re-seal a loaded session once this
    /// long has passed since it was last sealed (default: a tenth of the idle
    /// time, at most one minute). Must be shorter than the idle time.
    pub fn refresh_after(mut self, threshold: Duration) -> Self {
        self.refresh_after = Some(threshold);
        self
    }

    /// No session outlives `created + timeout`, rolling or not (OWASP's
    /// absolute timeout). [`Session::renew`](crate::Session::renew) restarts
    /// it, e.g. after a login.
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = Some(timeout);
        self
    }

    /// Browser-session cookies (Django's `SESSION_EXPIRE_AT_BROWSER_CLOSE`):
    /// no `Max-Age`/`Expires`, while the server still enforces the lifetime.
    pub fn browser_session(mut self, browser_session: bool) -> Self {
        self.browser_session = browser_session;
        self
    }

    /// The limit on `name=value` in bytes (default 4,093, at most 4,096).
    /// `save` refuses a larger cookie with [`SaveError::TooLarge`](crate::SaveError::TooLarge).
    pub fn size_limit(mut self, limit: usize) -> Self {
        self.size_limit = limit;
        self
    }

    /// Rejects every session created (or last renewed) before `instant`: it
    /// loads as a new, empty session with status
    /// [`Revoked`](crate::Status::Revoked) and its cookie is removed on
    /// save. A mass logout without rotating keys: deploy with
    /// `not_before(now)`.
    ///
    /// Creation times are whole seconds; a session created in `instant`'s
    /// own second is kept, the same rule as the revocation stores'
    /// ([`RevocationEntry::revokes`](crate::revocation::RevocationEntry::revokes)).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use sealed_session::time::OffsetDateTime;
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .not_before(OffsetDateTime::now_utc())
    ///     .build()?;
    /// # let _ = config;
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn not_before(mut self, instant: OffsetDateTime) -> Self {
        self.not_before = Some(instant);
        self
    }

    /// Gives every session a random 128-bit id (default off), sealed in
    /// the cookie (17 bytes) and kept across re-seals and key rotation, new
    /// after [`renew`](crate::Session::renew): for logs
    /// ([`Session::id`](crate::Session::id)) and for revoking one session
    /// ([`Revocations`](crate::revocation::Revocations)). Off, the envelope spends one
    /// byte on its absence.
    pub fn session_ids(mut self, on: bool) -> Self {
        self.session_ids = on;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, now: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.clock = Clock::from_fn(now);
        self
    }

    /// Validates every setting together.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first rule broken: an invalid cookie
    /// name, path or domain; a cookie prefix whose rules are not met;
    /// `SameSite=None` or `Partitioned` without `Secure`; a size limit above
    /// 4,096 or too small for any session; a lifetime that is zero or
    /// negative; an absolute timeout shorter than the idle time; a refresh
    /// threshold not shorter than the idle time.
    pub fn build(self) -> Result<SessionConfig, ConfigError> {
        let name = &self.cookie_name;
        if !is_valid_cookie_name(name) {
            return Err(ConfigError::InvalidCookieName { name: name.clone() });
        }
        if !is_valid_attribute(&self.path) || !self.path.starts_with('/') {
            return Err(ConfigError::InvalidPath {
                path: self.path.clone(),
            });
        }
        if let Some(domain) = &self.domain {
            if domain.is_empty() || !is_valid_attribute(domain) {
                return Err(ConfigError::InvalidDomain {
                    domain: domain.clone(),
                });
            }
        }
        check_prefix(name, self.secure, self.domain.as_deref(), &self.path)?;
        check_secure_needs(self.same_site, self.partitioned, self.secure)?;
        if self.context.len() > MAX_CONTEXT_LEN {
            return Err(ConfigError::ContextTooLong {
                len: self.context.len(),
                max: MAX_CONTEXT_LEN,
            });
        }
        if self.size_limit > MAX_SIZE_LIMIT {
            return Err(ConfigError::SizeLimitTooLarge {
                limit: self.size_limit,
                max: MAX_SIZE_LIMIT,
            });
        }
        // The smallest session: an empty envelope of a few bytes plus 45
        // bytes of seal, 60+ characters of base64.
        let min_limit = name.len() + 1 + sealed_len(16);
        if self.size_limit < min_limit {
            return Err(ConfigError::SizeLimitTooSmall {
                limit: self.size_limit,
                min: min_limit,
            });
        }
        let max_age = positive_secs("max_age", self.max_age)?;
        let rolling = match self.rolling {
            None => {
                if self.refresh_after.is_some() {
                    return Err(ConfigError::RefreshWithoutRolling);
                }
                None
            }
            Some(idle) => {
                let idle = positive_secs("rolling idle time", idle)?;
                let refresh_after = match self.refresh_after {
                    Some(threshold) => {
                        let t = threshold.whole_seconds();
                        if t < 0 || t >= idle {
                            return Err(ConfigError::RefreshNotShorterThanIdle {
                                refresh_secs: t,
                                idle_secs: idle,
                            });
                        }
                        t
                    }
                    None => default_refresh_after(idle),
                };
                Some(Rolling {
                    idle,
                    refresh_after,
                })
            }
        };
        let absolute_timeout = match self.absolute_timeout {
            None => None,
            Some(t) => {
                let t = positive_secs("absolute_timeout", t)?;
                let idle = rolling.map_or(max_age, |r| r.idle);
                if t < idle {
                    return Err(ConfigError::AbsoluteShorterThanIdle {
                        absolute_secs: t,
                        idle_secs: idle,
                    });
                }
                Some(t)
            }
        };
        Ok(SessionConfig {
            inner: Arc::new(Inner {
                keyring: self.keyring,
                cookie_name: self.cookie_name,
                context: self.context,
                attributes: CookieAttributes::new(
                    self.path,
                    self.domain,
                    self.secure,
                    self.http_only,
                    self.same_site,
                    self.partitioned,
                ),
                lifetimes: Lifetimes {
                    max_age,
                    rolling,
                    absolute: absolute_timeout,
                    browser_session: self.browser_session,
                },
                size_limit: self.size_limit,
                clock: self.clock,
                not_before: self.not_before.map(OffsetDateTime::unix_timestamp),
                session_ids: self.session_ids,
            }),
        })
    }
}

/// The cookie-prefix rules browsers enforce (matched case-insensitively):
/// `__Host-` needs `Secure`, no `Domain` and `Path=/`; `__Secure-` needs
/// `Secure`. A cookie that breaks them is silently dropped by the browser.
pub(crate) fn check_prefix(
    name: &str,
    secure: bool,
    domain: Option<&str>,
    path: &str,
) -> Result<(), ConfigError> {
    let lower = name.get(..9).unwrap_or(name).to_ascii_lowercase();
    if lower.starts_with("__host-") {
        if !secure {
            return Err(ConfigError::PrefixRequiresSecure { name: name.into() });
        }
        if domain.is_some() {
            return Err(ConfigError::HostPrefixWithDomain { name: name.into() });
        }
        if path != "/" {
            return Err(ConfigError::HostPrefixPath {
                name: name.into(),
                path: path.into(),
            });
        }
    }
    if lower.starts_with("__secure-") && !secure {
        return Err(ConfigError::PrefixRequiresSecure { name: name.into() });
    }
    Ok(())
}

/// `SameSite=None` and `Partitioned` cookies are dropped without `Secure`.
pub(crate) fn check_secure_needs(
    same_site: SameSite,
    partitioned: bool,
    secure: bool,
) -> Result<(), ConfigError> {
    if same_site == SameSite::None && !secure {
        return Err(ConfigError::SameSiteNoneRequiresSecure);
    }
    if partitioned && !secure {
        return Err(ConfigError::PartitionedRequiresSecure);
    }
    Ok(())
}

/// Whole seconds of a lifetime that must be at least one second.
fn positive_secs(what: &'static str, d: Duration) -> Result<i64, ConfigError> {
    let secs = d.whole_seconds();
    if secs < 1 {
        Err(ConfigError::NonPositiveLifetime { what, secs })
    } else {
        Ok(secs)
    }
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

#[cfg(test)]
mod clock_tests {
    use super::Clock;

    /// The system clock read from `SystemTime` agrees with `time`'s.
    #[test]
    fn the_system_clock_is_unix_seconds_now() {
        let before = time::OffsetDateTime::now_utc().unix_timestamp();
        let ours = Clock::system().now();
        let after = time::OffsetDateTime::now_utc().unix_timestamp();
        assert!((before..=after).contains(&ours), "{before} {ours} {after}");
    }
}
