//! [`SessionConfig`] and its builder: the cookie's name and attributes, the
//! lifetimes, the size limit and the clock, validated once at
//! [`SessionConfigBuilder::build`].

use std::fmt;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use crate::cookie_header::CookieAttributes;
use crate::cookie_rules::{CookieRuleError, CookieRules, SameSite, check_cookie};
use crate::key::Keyring;
use crate::lifetime::{Lifetimes, Rolling, default_refresh_after};
use crate::seal::{
    MAX_CHUNKS, MAX_CONTEXT_LEN, MAX_SIZE_LIMIT, Sealer, chunk_capacity, chunks_needed, sealed_len,
};
use crate::session::LoadRules;
use crate::session::Session;

/// A session configuration broke a rule; [`SessionConfigBuilder::build`]
/// returns it instead of a silently broken cookie.
///
/// ```
/// use sealed_session::time::Duration;
/// use sealed_session::{ConfigError, Key, Keyring, SessionConfig};
///
/// let result = SessionConfig::builder(Keyring::new(Key::generate()))
///     .max_age(Duration::ZERO)
///     .build();
/// assert!(matches!(result, Err(ConfigError::NonPositiveLifetime { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie's name or an attribute breaks a rule browsers enforce.
    #[error(transparent)]
    Cookie(#[from] CookieRuleError),
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
    /// A session may be split over 1 to 4 cookies
    /// ([`SessionConfigBuilder::max_chunks`]).
    #[error("max_chunks {chunks} is outside 1..={max}")]
    MaxChunks {
        /// The configured count.
        chunks: usize,
        /// 4.
        max: usize,
    },
    /// The context is bound into every sealed value with a one-byte length.
    #[error("context of {len} bytes is longer than the {max}-byte maximum")]
    ContextTooLong {
        /// The context's length, bytes.
        len: usize,
        /// 255.
        max: usize,
    },
}

/// The default limit on `name=value`: the smallest that all major browsers
/// accept.
///
/// ```
/// use sealed_session::{DEFAULT_SIZE_LIMIT, Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// assert_eq!(config.size_limit(), DEFAULT_SIZE_LIMIT);
/// assert_eq!(DEFAULT_SIZE_LIMIT, 4093);
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
pub const DEFAULT_SIZE_LIMIT: usize = 4093;

/// Django's default `SESSION_COOKIE_AGE`: two weeks.
///
/// ```
/// use sealed_session::{DEFAULT_MAX_AGE, Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let session = sealed_session::load(&config, &http::Request::new(()));
/// assert_eq!(session.expiry_date() - session.created(), DEFAULT_MAX_AGE);
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
pub const DEFAULT_MAX_AGE: Duration = Duration::weeks(2);

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
    max_chunks: u8,
    clock: Clock,
    not_before: Option<i64>,
    session_ids: bool,
}

/// How much a session can still grow before it needs another cookie and
/// before it no longer fits at all: what [`SessionConfig::room`] answers.
/// Counted in bytes of the sealed value ([`Session::encoded_len`]), which
/// grows by 4 for every 3 bytes of encoded data.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .max_chunks(3)
///     .build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("token", &"t".repeat(5_000))?;
/// let room = config.room(&session);
/// assert_eq!(room.cookies, 2);
/// assert!(room.before_next_cookie < room.before_too_large);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Room {
    /// The cookies the session takes now: 1 to `max_chunks`, or 0 when it
    /// is too large to save.
    pub cookies: usize,
    /// Bytes the sealed value can grow before one more cookie is needed
    /// (or, with every cookie in use, before it is too large).
    pub before_next_cookie: usize,
    /// Bytes the sealed value can grow before `save` refuses it with
    /// [`SaveError::TooLarge`](crate::SaveError::TooLarge).
    pub before_too_large: usize,
}

impl SessionConfig {
    /// Starts a builder with secure defaults: cookie `session`, `Secure`,
    /// `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain`, a two-week
    /// `max_age`, no rolling, no absolute timeout, a 4,093-byte limit.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    /// #   // A fixed clock: the system clock could tick between load and save.
    /// #   .clock(|| sealed_session::time::OffsetDateTime::UNIX_EPOCH)
    ///     .build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("user", &1u8)?;
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    /// let header = response.headers()["set-cookie"].to_str()?;
    /// assert!(header.starts_with("session="));
    /// assert!(header.contains("; Path=/; Max-Age=1209600; Expires="));
    /// assert!(header.ends_with("; Secure; HttpOnly; SameSite=Lax"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
            max_chunks: 1,
            clock: Clock::system(),
            not_before: None,
            session_ids: false,
        }
    }

    /// The keyring that seals and opens the cookie.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let key = Key::generate();
    /// let config = SessionConfig::builder(Keyring::new(key.clone())).build()?;
    /// assert_eq!(config.keyring().primary_id(), key.id());
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// The cookie's name.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// assert_eq!(SessionConfig::builder(keys.clone()).build()?.cookie_name(), "session");
    /// let config = SessionConfig::builder(keys).cookie_name("__Host-id").build()?;
    /// assert_eq!(config.cookie_name(), "__Host-id");
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.cookie_name
    }

    /// The context every value sealed under this configuration is bound to
    /// (see [`SessionConfigBuilder::context`]).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// assert_eq!(SessionConfig::builder(keys.clone()).build()?.context(), "");
    /// let config = SessionConfig::builder(keys).context("tenant-a").build()?;
    /// assert_eq!(config.context(), "tenant-a");
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn context(&self) -> &str {
        &self.inner.context
    }

    /// The sealing door for this configuration's session cookie.
    pub(crate) fn session_sealer(&self) -> Sealer<'_> {
        Sealer::session(
            &self.inner.keyring,
            &self.inner.context,
            &self.inner.cookie_name,
        )
    }

    /// The sealing door for a stand-alone sealed cookie called `name`.
    pub(crate) fn cookie_sealer<'a>(&'a self, name: &'a str) -> Sealer<'a> {
        Sealer::cookie(&self.inner.keyring, &self.inner.context, name)
    }

    /// The limit on `name=value`, in bytes.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .size_limit(3000)
    ///     .build()?;
    /// assert_eq!(config.size_limit(), 3000);
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn size_limit(&self) -> usize {
        self.inner.size_limit
    }

    /// The most cookies a session is split over
    /// ([`SessionConfigBuilder::max_chunks`]; 1 by default).
    #[must_use]
    pub fn max_chunks(&self) -> usize {
        usize::from(self.inner.max_chunks)
    }

    /// The largest session that saves, counted as
    /// [`SaveError::TooLarge`](crate::SaveError::TooLarge) counts it:
    /// `name.len() + 1 +` [`Session::encoded_len`], as if it were one
    /// cookie. With one chunk (the default) it is the
    /// [size limit](Self::size_limit); with more, what that many cookies
    /// of at most the size limit each carry.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let one = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// assert_eq!(one.capacity(), one.size_limit());
    /// let three = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .max_chunks(3)
    ///     .build()?;
    /// assert_eq!(three.capacity(), "session".len() + 1 + 3 * (4_093 - "session".len() - 3));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        let name = self.inner.cookie_name.len();
        name + 1 + chunk_capacity(name, self.inner.size_limit, self.inner.max_chunks)
    }

    /// How many cookies `session` takes if saved now, and how much it can
    /// still grow before it needs another and before it is too large (see
    /// [`Room`]). Encodes the session once to measure it, as
    /// [`Session::encoded_len`] does; nothing is sealed.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("user", &42u64)?;
    /// let room = config.room(&session);
    /// assert_eq!(room.cookies, 1);
    /// assert_eq!(
    ///     room.before_too_large,
    ///     config.capacity() - (config.cookie_name().len() + 1 + session.encoded_len())
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn room(&self, session: &Session) -> Room {
        self.room_for(session.encoded_len())
    }

    /// [`room`](Self::room) for a sealed value of `len` bytes.
    pub(crate) fn room_for(&self, len: usize) -> Room {
        let (name, limit) = (self.inner.cookie_name.len(), self.inner.size_limit);
        let most = chunk_capacity(name, limit, self.inner.max_chunks);
        let before_too_large = most.saturating_sub(len);
        match chunks_needed(name, limit, self.inner.max_chunks, len) {
            Some(n) => Room {
                cookies: usize::from(n),
                before_next_cookie: chunk_capacity(name, limit, n) - len,
                before_too_large,
            },
            None => Room {
                cookies: 0,
                before_next_cookie: 0,
                before_too_large,
            },
        }
    }

    /// The current time from the configured clock.
    ///
    /// ```
    /// use sealed_session::time::OffsetDateTime;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let noon = OffsetDateTime::from_unix_timestamp(1_700_000_000)?;
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .clock(move || noon)
    ///     .build()?;
    /// assert_eq!(config.now(), noon);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// assert!(!SessionConfig::builder(keys.clone()).build()?.session_ids());
    /// assert!(SessionConfig::builder(keys).session_ids(true).build()?.session_ids());
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
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
            .field("max_chunks", &i.max_chunks)
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
    max_chunks: usize,
    clock: Clock,
    not_before: Option<OffsetDateTime>,
    session_ids: bool,
}

impl SessionConfigBuilder {
    /// The cookie's name (default `session`). A `__Host-` name requires
    /// `Secure`, `Path=/` and no `Domain`; a `__Secure-` name requires `Secure`.
    ///
    /// ```
    /// use sealed_session::{ConfigError, CookieRuleError, Key, Keyring, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let config = SessionConfig::builder(keys.clone()).cookie_name("__Host-session").build()?;
    /// assert_eq!(config.cookie_name(), "__Host-session");
    /// let result = SessionConfig::builder(keys)
    ///     .cookie_name("__Host-session")
    ///     .path("/app")
    ///     .build();
    /// assert!(matches!(
    ///     result,
    ///     Err(ConfigError::Cookie(CookieRuleError::HostPrefixPath { .. }))
    /// ));
    /// # Ok::<(), ConfigError>(())
    /// ```
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
    ///
    /// ```
    /// use sealed_session::{ConfigError, CookieRuleError, Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let dev = SessionConfig::builder(keys.clone()).secure(false).build()?;
    /// assert!(!set_cookie_of(&dev).contains("Secure"));
    /// let result = SessionConfig::builder(keys)
    ///     .cookie_name("__Secure-session")
    ///     .secure(false)
    ///     .build();
    /// assert!(matches!(
    ///     result,
    ///     Err(ConfigError::Cookie(CookieRuleError::PrefixRequiresSecure { .. }))
    /// ));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `HttpOnly` attribute (default on): scripts cannot read the cookie.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let keys = Keyring::new(Key::generate());
    /// assert!(set_cookie_of(&SessionConfig::builder(keys.clone()).build()?).contains("; HttpOnly"));
    /// let config = SessionConfig::builder(keys).http_only(false).build()?;
    /// assert!(!set_cookie_of(&config).contains("HttpOnly"));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` attribute (default `Lax`).
    ///
    /// ```
    /// use sealed_session::{ConfigError, CookieRuleError, Key, Keyring, SameSite, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let config = SessionConfig::builder(keys.clone()).same_site(SameSite::Strict).build()?;
    /// assert!(set_cookie_of(&config).ends_with("; SameSite=Strict"));
    /// // Browsers refuse SameSite=None without Secure.
    /// let result = SessionConfig::builder(keys).same_site(SameSite::None).secure(false).build();
    /// assert!(matches!(
    ///     result,
    ///     Err(ConfigError::Cookie(CookieRuleError::SameSiteNoneRequiresSecure))
    /// ));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// The `Path` attribute (default `/`).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .path("/app")
    ///     .build()?;
    /// assert!(set_cookie_of(&config).contains("; Path=/app;"));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// The `Domain` attribute (default none: the cookie goes to this host
    /// only, which is the safer choice).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let keys = Keyring::new(Key::generate());
    /// assert!(!set_cookie_of(&SessionConfig::builder(keys.clone()).build()?).contains("Domain"));
    /// let config = SessionConfig::builder(keys).domain("example.com").build()?;
    /// assert!(set_cookie_of(&config).contains("; Domain=example.com;"));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The `Partitioned` attribute (CHIPS; default off). Requires `Secure`.
    ///
    /// ```
    /// use sealed_session::{ConfigError, CookieRuleError, Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let config = SessionConfig::builder(keys.clone()).partitioned(true).build()?;
    /// assert!(set_cookie_of(&config).ends_with("; Partitioned"));
    /// let result = SessionConfig::builder(keys).partitioned(true).secure(false).build();
    /// assert!(matches!(result, Err(ConfigError::Cookie(_))));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn partitioned(mut self, partitioned: bool) -> Self {
        self.partitioned = partitioned;
        self
    }

    /// How long a session lives after it is created (default two weeks):
    /// `expires = created + max_age`. Ignored for sessions while
    /// [`rolling`](Self::rolling) is set, which expire after idling instead.
    ///
    /// ```
    /// use sealed_session::time::Duration;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .max_age(Duration::hours(8))
    /// #   // A fixed clock: the system clock could tick between load and save.
    /// #   .clock(|| sealed_session::time::OffsetDateTime::UNIX_EPOCH)
    ///     .build()?;
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.expiry_date() - session.created(), Duration::hours(8));
    /// assert!(set_cookie_of(&config).contains("; Max-Age=28800;"));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Rolling expiry: a session expires after `idle` without a request. The
    /// cookie is re-sealed with a fresh expiry at most once per
    /// [`refresh_after`](Self::refresh_after), so a busy user is not sent a
    /// new cookie on every request.
    ///
    /// ```
    /// use sealed_session::time::Duration;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .max_age(Duration::weeks(4)) // ignored while rolling
    ///     .rolling(Duration::minutes(30))
    ///     .build()?;
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.expiry_age(), Duration::minutes(30));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn rolling(mut self, idle: Duration) -> Self {
        self.rolling = Some(idle);
        self
    }

    /// With [`rolling`](Self::rolling): re-seal a loaded session once this
    /// long has passed since it was last sealed (default: a tenth of the idle
    /// time, at most one minute). Must be shorter than the idle time.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicI64, Ordering};
    /// use sealed_session::time::{Duration, OffsetDateTime};
    /// use sealed_session::{ConfigError, Key, Keyring, SessionConfig};
    ///
    /// let clock = Arc::new(AtomicI64::new(1_700_000_000));
    /// let now = Arc::clone(&clock);
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .rolling(Duration::minutes(30))
    ///     .refresh_after(Duration::minutes(5))
    ///     .clock(move || OffsetDateTime::from_unix_timestamp(now.load(Ordering::Relaxed)).unwrap())
    ///     .build()?;
    /// // A request at `minutes` past the login, carrying the login's cookie:
    /// // does its response carry a new cookie?
    /// let login = {
    ///     let mut session = sealed_session::load(&config, &http::Request::new(()));
    ///     session.insert("user", &42u64)?;
    ///     let mut response = http::Response::new(());
    ///     sealed_session::save(&config, &session, &mut response)?;
    ///     response.headers()["set-cookie"].to_str()?.split(';').next().unwrap().to_owned()
    /// };
    /// let refreshed_at = |minutes: i64| -> Result<bool, Box<dyn std::error::Error>> {
    ///     clock.store(1_700_000_000 + minutes * 60, Ordering::Relaxed);
    ///     let request = http::Request::builder().header("cookie", &login).body(())?;
    ///     let session = sealed_session::load(&config, &request);
    ///     let mut response = http::Response::new(());
    ///     sealed_session::save(&config, &session, &mut response)?;
    ///     Ok(response.headers().contains_key("set-cookie"))
    /// };
    /// assert!(!refreshed_at(2)?);
    /// assert!(refreshed_at(6)?);
    ///
    /// let result = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .refresh_after(Duration::minutes(5))
    ///     .build();
    /// assert_eq!(result.err(), Some(ConfigError::RefreshWithoutRolling));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refresh_after(mut self, threshold: Duration) -> Self {
        self.refresh_after = Some(threshold);
        self
    }

    /// No session outlives `created + timeout`, rolling or not (OWASP's
    /// absolute timeout). [`Session::renew`](crate::Session::renew) restarts
    /// it, e.g. after a login.
    ///
    /// ```
    /// use sealed_session::time::Duration;
    /// use sealed_session::{ConfigError, Key, Keyring, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let config = SessionConfig::builder(keys.clone())
    ///     .rolling(Duration::minutes(30))
    ///     .absolute_timeout(Duration::hours(12))
    ///     .build()?;
    /// # let _ = config;
    /// let result = SessionConfig::builder(keys)
    ///     .rolling(Duration::hours(1))
    ///     .absolute_timeout(Duration::minutes(30))
    ///     .build();
    /// assert!(matches!(result, Err(ConfigError::AbsoluteShorterThanIdle { .. })));
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn absolute_timeout(mut self, timeout: Duration) -> Self {
        self.absolute_timeout = Some(timeout);
        self
    }

    /// Browser-session cookies (Django's `SESSION_EXPIRE_AT_BROWSER_CLOSE`):
    /// no `Max-Age`/`Expires`, while the server still enforces the lifetime.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn set_cookie_of(config: &SessionConfig) -> String {
    /// #     let mut session = sealed_session::load(config, &http::Request::new(()));
    /// #     session.insert("user", &1u8).unwrap();
    /// #     let mut response = http::Response::new(());
    /// #     sealed_session::save(config, &session, &mut response).unwrap();
    /// #     response.headers()["set-cookie"].to_str().unwrap().to_owned()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .browser_session(true)
    ///     .build()?;
    /// let header = set_cookie_of(&config);
    /// assert!(!header.contains("Max-Age") && !header.contains("Expires"));
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert!(session.expires_at_browser_close());
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn browser_session(mut self, browser_session: bool) -> Self {
        self.browser_session = browser_session;
        self
    }

    /// The limit on `name=value` in bytes (default 4,093, at most 4,096).
    /// `save` refuses a larger cookie with [`SaveError::TooLarge`](crate::SaveError::TooLarge).
    ///
    /// ```
    /// use sealed_session::{ConfigError, Key, Keyring, SaveError, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let config = SessionConfig::builder(keys.clone()).size_limit(1000).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("notes", &"x".repeat(1000))?;
    /// let mut response = http::Response::new(());
    /// assert!(matches!(
    ///     sealed_session::save(&config, &session, &mut response),
    ///     Err(SaveError::TooLarge { limit: 1000, .. })
    /// ));
    /// let result = SessionConfig::builder(keys).size_limit(5000).build();
    /// assert!(matches!(result, Err(ConfigError::SizeLimitTooLarge { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn size_limit(mut self, limit: usize) -> Self {
        self.size_limit = limit;
        self
    }

    /// Lets a session too large for one cookie be split over up to `n`
    /// cookies (1 to 4; default 1, today's one cookie byte for byte):
    /// `{name}`, `{name}.1`, `{name}.2`, `{name}.3`, with the same
    /// attributes, each `name=value` within the
    /// [size limit](Self::size_limit). The session is sealed once and the
    /// sealed value split; the count is authenticated, so a missing,
    /// extra, duplicated, stale or tampered chunk makes the whole session
    /// invalid, never a partial one. Proxies cap the `Cookie` header (nginx
    /// and Apache at 8 KiB a line by default: two chunks), and a request
    /// they refuse never reaches the app, so choose `n` for the front end:
    /// the [wire format](crate::docs::wire_format) page has what passes.
    ///
    /// ```
    /// use sealed_session::{ConfigError, Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .max_chunks(2)
    ///     .build()?;
    /// assert_eq!(config.max_chunks(), 2);
    /// let five = SessionConfig::builder(Keyring::new(Key::generate())).max_chunks(5).build();
    /// assert_eq!(five.unwrap_err(), ConfigError::MaxChunks { chunks: 5, max: 4 });
    /// # Ok::<(), ConfigError>(())
    /// ```
    pub fn max_chunks(mut self, n: usize) -> Self {
        self.max_chunks = n;
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
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let keys = Keyring::new(Key::generate());
    /// let plain = SessionConfig::builder(keys.clone()).build()?;
    /// assert_eq!(sealed_session::load(&plain, &http::Request::new(())).id(), None);
    /// let with_ids = SessionConfig::builder(keys).session_ids(true).build()?;
    /// assert!(sealed_session::load(&with_ids, &http::Request::new(())).id().is_some());
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn session_ids(mut self, on: bool) -> Self {
        self.session_ids = on;
        self
    }

    /// The clock (default: the system clock).
    ///
    /// ```
    /// use sealed_session::time::OffsetDateTime;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let fixed = OffsetDateTime::from_unix_timestamp(1_700_000_000)?;
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .clock(move || fixed)
    ///     .build()?;
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.created(), fixed);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use sealed_session::{ConfigError, CookieRuleError, Key, Keyring, SessionConfig};
    ///
    /// let result = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .cookie_name("__Host-session")
    ///     .domain("example.com")
    ///     .build();
    /// assert!(matches!(
    ///     result,
    ///     Err(ConfigError::Cookie(CookieRuleError::HostPrefixWithDomain { .. }))
    /// ));
    /// ```
    pub fn build(self) -> Result<SessionConfig, ConfigError> {
        let name = &self.cookie_name;
        check_cookie(&CookieRules {
            name,
            path: Some(&self.path),
            domain: self.domain.as_deref(),
            secure: self.secure,
            same_site: self.same_site,
            partitioned: self.partitioned,
        })?;
        if self.context.len() > MAX_CONTEXT_LEN {
            return Err(ConfigError::ContextTooLong {
                len: self.context.len(),
                max: MAX_CONTEXT_LEN,
            });
        }
        let max_chunks = u8::try_from(self.max_chunks)
            .ok()
            .filter(|n| (1..=MAX_CHUNKS).contains(n))
            .ok_or(ConfigError::MaxChunks {
                chunks: self.max_chunks,
                max: usize::from(MAX_CHUNKS),
            })?;
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
                max_chunks,
                clock: self.clock,
                not_before: self.not_before.map(OffsetDateTime::unix_timestamp),
                session_ids: self.session_ids,
            }),
        })
    }
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
