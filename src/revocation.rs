//! Revocation (opt-in): a small, bounded list of revoked sessions that all
//! servers share, checked after [`load`](crate::load). The cookie stays the
//! session; the store holds only live revocations.
//!
//! Three kinds of [entry](RevocationEntry), each kept only as long as a
//! session it revokes can still be live, plus [`CLOCK_SKEW`](crate::CLOCK_SKEW):
//!
//! | entry | revokes | kept for |
//! |---|---|---|
//! | a session id | that session (logout) | until the last copy of its cookie could still be live: a rolling or [`Expiry::Idle`] session until now + its idle time (a copy may have been refreshed up to the logout), a fixed one until its expiry; never past `created` + the absolute timeout |
//! | a subject and an instant | the subject's sessions created before it ("log out all of user 42's sessions") | the [horizon](Revocations::horizon): at least the longest a session can live under the configuration |
//! | an instant | every session created before it ("log out everyone") | the horizon |
//!
//! A session whose own [`set_expiry`](Session::set_expiry) would outlive
//! the horizon could outlive a subject or global entry too, so
//! [`Revocations::check`] does not honour it: raise the
//! [horizon](Revocations::horizon) to the longest "remember me" the app
//! grants, or set an absolute timeout, which bounds every override.
//!
//! **Created before, in whole seconds.** Creation times are sealed in whole
//! seconds, so a session counts as created before a cutoff when its creation
//! second is earlier than the cutoff's: one created in the cutoff's own
//! second is kept. One rule for the stores ([`RevocationEntry::revokes`]) and
//! [`not_before`](crate::SessionConfigBuilder::not_before). It lets an app
//! revoke a user's sessions and [`renew`](Session::renew) the current one in
//! the same request ("log out my other devices", a password change) and stay
//! logged in; the price is that a session created in the same second just
//! before the revocation survives it.
//!
//! For a static mass logout,
//! [`SessionConfigBuilder::not_before`](crate::SessionConfigBuilder::not_before)
//! needs no store at all.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::config::SessionConfig;
use crate::lifetime::Lifetimes;
use crate::lifetime::{CLOCK_SKEW_SECS, Expiry, ExpiryOverride};
use crate::log;
use crate::session::{Ended, Session, SessionId};

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
mod replica;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis::RedisRevocations;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use replica::{RedisReplica, RedisReplicaBuilder, ReplicaStatus};

/// [`CLOCK_SKEW`](crate::CLOCK_SKEW)(crate::CLOCK_SKEW) as the `std` span entries' lifetimes
/// use.
const SKEW: Duration = Duration::from_secs(CLOCK_SKEW_SECS.unsigned_abs());

/// The future a [`RevocationStore`] returns: boxed, so that stores can be
/// shared as `Arc<dyn RevocationStore>`.
///
/// ```
/// use sealed_session::revocation::{BoxFuture, RevocationError};
///
/// // What a store's method returns when it can answer at once.
/// fn answer(revoked: bool) -> BoxFuture<'static, Result<bool, RevocationError>> {
///     Box::pin(async move { Ok(revoked) })
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), RevocationError> {
/// assert!(answer(true).await?);
/// # Ok(())
/// # }
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a revocation store is asked about a loaded session.
///
/// ```
/// use sealed_session::revocation::SessionMeta;
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// assert_eq!(SessionMeta::of(&session), None, "a new session has nothing to check");
/// session.set_subject("user:42");
/// let mut saved = http::Response::new(());
/// sealed_session::save(&config, &session, &mut saved)?;
/// let set_cookie = saved.headers()["set-cookie"].to_str()?;
/// let request = http::Request::builder()
///     .header("cookie", set_cookie.split(';').next().unwrap())
///     .body(())?;
/// let meta = SessionMeta::of(&sealed_session::load(&config, &request)).unwrap();
/// assert_eq!(meta.subject.as_deref(), Some("user:42"));
/// assert_eq!(meta.id, session.id());
/// assert_eq!(meta.created, session.created());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionMeta {
    /// The session's id, when it has one
    /// ([`SessionConfigBuilder::session_ids`](crate::SessionConfigBuilder::session_ids),
    /// or a subject).
    pub id: Option<SessionId>,
    /// When the session was created (or last renewed), a whole second.
    pub created: OffsetDateTime,
    /// The subject the app attached ([`Session::set_subject`]).
    pub subject: Option<String>,
    /// When the session expires on the server, a whole second.
    pub expires: OffsetDateTime,
}

impl SessionMeta {
    /// The meta of a session just loaded; `None` for one that did not come
    /// from a valid cookie (nothing to revoke).
    ///
    /// ```
    /// use sealed_session::revocation::SessionMeta;
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// // A cookie that does not open loads as a new session: nothing to check.
    /// let forged = http::Request::builder()
    ///     .header("cookie", "session=bm90IGEgc2VhbGVkIGNvb2tpZQ")
    ///     .body(())?;
    /// let session = sealed_session::load(&config, &forged);
    /// assert!(matches!(session.status(), Status::Invalid(_)));
    /// assert_eq!(SessionMeta::of(&session), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn of(session: &Session) -> Option<Self> {
        let (id, created, subject, expires) = session.loaded_meta()?;
        Some(Self {
            id,
            created: instant(created),
            subject: subject.map(str::to_owned),
            expires: instant(expires),
        })
    }
}

/// An entry for a revocation store, as [`Revocations`] writes them.
///
/// ```
/// use sealed_session::revocation::RevocationEntry;
/// use sealed_session::time::OffsetDateTime;
///
/// let before = OffsetDateTime::from_unix_timestamp(1_767_225_600)?;
/// let entry = RevocationEntry::Subject { subject: "user:42".into(), before };
/// assert!(matches!(entry, RevocationEntry::Subject { .. }));
/// # Ok::<(), sealed_session::time::error::ComponentRange>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevocationEntry {
    /// One session, by id.
    Session(SessionId),
    /// Every session of `subject` created before `before` (whole seconds:
    /// one created in `before`'s own second is kept; see the
    /// [module](self) docs).
    Subject {
        /// As given to [`Session::set_subject`].
        subject: String,
        /// The cutoff; only its whole second counts.
        before: OffsetDateTime,
    },
    /// Every session created before `before` (whole seconds, as for
    /// [`Subject`](Self::Subject)).
    All {
        /// The cutoff; only its whole second counts.
        before: OffsetDateTime,
    },
}

impl RevocationEntry {
    /// Whether this entry revokes the session described by `meta`: the rule
    /// every store applies (a store of your own can call it).
    ///
    /// ```
    /// use sealed_session::revocation::{RevocationEntry, SessionMeta};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use sealed_session::time::Duration;
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("n", &1u8)?;
    /// let mut saved = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut saved)?;
    /// let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// let request = http::Request::builder()
    ///     .header("cookie", set_cookie.split(';').next().unwrap())
    ///     .body(())?;
    /// let meta = SessionMeta::of(&sealed_session::load(&config, &request)).unwrap();
    ///
    /// // Created in the cutoff's own second: kept. A second earlier: revoked.
    /// assert!(!RevocationEntry::All { before: meta.created }.revokes(&meta));
    /// let later = meta.created + Duration::seconds(1);
    /// assert!(RevocationEntry::All { before: later }.revokes(&meta));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn revokes(&self, meta: &SessionMeta) -> bool {
        match self {
            Self::Session(id) => meta.id == Some(*id),
            Self::Subject { subject, before } => {
                meta.subject.as_deref() == Some(subject.as_str())
                    && created_before(meta.created.unix_timestamp(), before.unix_timestamp())
            }
            Self::All { before } => {
                created_before(meta.created.unix_timestamp(), before.unix_timestamp())
            }
        }
    }
}

/// The crate's one same-second rule, in whole Unix seconds (see the module
/// docs): the stores call it, and `not_before` applies the same `<`.
pub(crate) fn created_before(created: i64, before: i64) -> bool {
    created < before
}

/// A Unix second as an instant, clamped to what `time` represents.
fn instant(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(if secs < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        // The largest instant `time` represents without its large-dates feature.
        OffsetDateTime::from_unix_timestamp(253_402_300_799).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    })
}

/// A store of revocations shared by all servers. Implement it for your own
/// store; [`MemoryRevocations`] serves one process, and `RedisRevocations`
/// (feature `redis`) many.
///
/// An implementation must answer in bounded time (apply its own timeout and
/// report [`RevocationError::Timeout`]): [`Revocations`] has no timer of its
/// own, since the core depends on no async runtime. It must also never
/// shorten what it holds: a second `revoke` of the same key keeps the later
/// `before` and the longer `ttl` (servers whose clocks disagree write the
/// same entry).
///
/// ```
/// use std::sync::Mutex;
/// use std::time::Duration;
/// use sealed_session::revocation::{
///     BoxFuture, RevocationEntry, RevocationError, RevocationStore, SessionMeta,
/// };
///
/// /// Entries forever, for a test (a real store drops them after `ttl`).
/// #[derive(Default)]
/// struct Forever(Mutex<Vec<RevocationEntry>>);
///
/// impl RevocationStore for Forever {
///     fn is_revoked<'a>(&'a self, meta: &'a SessionMeta) -> BoxFuture<'a, Result<bool, RevocationError>> {
///         let revoked = self.0.lock().unwrap().iter().any(|e| e.revokes(meta));
///         Box::pin(async move { Ok(revoked) })
///     }
///
///     fn revoke<'a>(&'a self, entry: &'a RevocationEntry, _ttl: Duration) -> BoxFuture<'a, Result<(), RevocationError>> {
///         self.0.lock().unwrap().push(entry.clone());
///         Box::pin(async { Ok(()) })
///     }
/// }
/// ```
pub trait RevocationStore: Send + Sync {
    /// Whether any entry revokes the session described by `meta` (see
    /// [`RevocationEntry::revokes`]).
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, RevocationEntry, RevocationStore, SessionMeta};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// # let login = |subject: &str| -> Result<http::Request<()>, Box<dyn std::error::Error>> {
    /// #     let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// #     session.set_subject(subject);
    /// #     let mut saved = http::Response::new(());
    /// #     sealed_session::save(&config, &session, &mut saved)?;
    /// #     let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// #     Ok(http::Request::builder().header("cookie", set_cookie.split(';').next().unwrap()).body(())?)
    /// # };
    /// let store = MemoryRevocations::new();
    /// let meta = SessionMeta::of(&sealed_session::load(&config, &login("user:42")?)).unwrap();
    /// assert!(!store.is_revoked(&meta).await?);
    /// let id = meta.id.unwrap();
    /// store.revoke(&RevocationEntry::Session(id), Duration::from_secs(60)).await?;
    /// assert!(store.is_revoked(&meta).await?);
    /// # Ok(())
    /// # }
    /// ```
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>>;

    /// Stores `entry` for `ttl`, after which every session it revokes has
    /// expired anyway and the entry may be forgotten. `ttl` may be as large
    /// as [`Duration::MAX`]: clamp it to what the store accepts.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, RevocationEntry, RevocationStore};
    /// use sealed_session::time::OffsetDateTime;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = MemoryRevocations::new();
    /// let entry = RevocationEntry::All { before: OffsetDateTime::now_utc() };
    /// store.revoke(&entry, Duration::MAX).await?;
    /// // A second write of the same key keeps one entry (the later cutoff).
    /// store.revoke(&entry, Duration::from_secs(1)).await?;
    /// assert_eq!(store.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    fn revoke<'a>(
        &'a self,
        entry: &'a RevocationEntry,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>>;
}

/// The revocation store could not answer.
///
/// ```
/// use sealed_session::revocation::RevocationError;
///
/// let e = RevocationError::Timeout(std::time::Duration::from_millis(250));
/// assert_eq!(e.to_string(), "the revocation store did not answer within 250ms");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// No answer within the store's timeout.
    #[error("the revocation store did not answer within {0:?}")]
    Timeout(Duration),
    /// The store failed; the cause is the `source()`.
    #[error("the revocation store failed")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// What [`Revocations::check`] does when the store cannot answer.
///
/// ```
/// use sealed_session::revocation::{FailurePolicy, MemoryRevocations, Revocations};
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// assert_eq!(FailurePolicy::default(), FailurePolicy::FailClosed);
/// let revocations = Revocations::new(MemoryRevocations::new(), &config)
///     .failure_policy(FailurePolicy::FailOpen);
/// # let _ = revocations;
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum FailurePolicy {
    /// Do not honour the session for this request (status
    /// [`Unverified`](crate::Status::Unverified)), and leave its cookie
    /// alone: no removal, nothing sealed over it. A logged-out session never
    /// comes back, and a user is signed in again as soon as the store
    /// answers (the default).
    #[default]
    FailClosed,
    /// Accept the session (the error is logged under the `tracing` feature,
    /// and returned by `check`): availability over a
    /// revocation that may be missed while the store is down.
    FailOpen,
}

/// A revocation store with a failure policy and the configuration whose
/// sessions it revokes: what the layers and plain-function users call.
///
/// ```
/// use sealed_session::revocation::{MemoryRevocations, Revocations};
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .session_ids(true)
///     .build()?;
/// let revocations = Revocations::new(MemoryRevocations::new(), &config);
///
/// // Log in: a cookie with a subject.
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.set_subject("user:42");
/// session.insert("user", &42u64)?;
/// let mut saved = http::Response::new(());
/// sealed_session::save(&config, &session, &mut saved)?;
/// let set_cookie = saved.headers()["set-cookie"].to_str()?;
/// let request = http::Request::builder()
///     .header("cookie", set_cookie.split(';').next().unwrap())
///     .body(())?;
///
/// // Log out all of user 42's sessions created before this second, on
/// // every server sharing the store.
/// # std::thread::sleep(std::time::Duration::from_millis(1001));
/// revocations.revoke_subject("user:42").await?;
///
/// // The plain functions stay synchronous: the check is a step of its own.
/// let mut session = sealed_session::load(&config, &request);
/// revocations.check(&mut session).await?;
/// assert_eq!(session.status(), Status::Revoked);
/// assert!(session.is_empty());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Revocations {
    store: Arc<dyn RevocationStore>,
    config: SessionConfig,
    policy: FailurePolicy,
    horizon: Duration,
}

impl fmt::Debug for Revocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Revocations")
            .field("policy", &self.policy)
            .field("horizon", &self.horizon)
            .finish_non_exhaustive()
    }
}

impl Revocations {
    /// Revocations of `config`'s sessions kept in `store`, failing closed,
    /// with the [horizon](Self::horizon) the longest a session can live
    /// under `config`.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let revocations = Revocations::new(MemoryRevocations::new(), &config);
    /// // Fails closed unless told otherwise; `Debug` shows no key.
    /// assert!(format!("{revocations:?}").contains("FailClosed"));
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn new(store: impl RevocationStore + 'static, config: &SessionConfig) -> Self {
        Self::from_arc(Arc::new(store), config)
    }

    /// [`Revocations::new`] with a store already shared.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Two applications of one process, one store.
    /// let store = Arc::new(MemoryRevocations::new());
    /// let shop = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let admin = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// Revocations::from_arc(store.clone(), &shop).revoke_subject("user:42").await?;
    /// Revocations::from_arc(store.clone(), &admin).revoke_subject("user:7").await?;
    /// assert_eq!(store.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn from_arc(store: Arc<dyn RevocationStore>, config: &SessionConfig) -> Self {
        let longest = config.lifetimes().longest().max(1).unsigned_abs();
        Self {
            store,
            config: config.clone(),
            policy: FailurePolicy::default(),
            horizon: Duration::from_secs(longest),
        }
    }

    /// What [`check`](Self::check) does when the store cannot answer.
    ///
    /// ```
    /// use sealed_session::revocation::{
    ///     BoxFuture, FailurePolicy, RevocationEntry, RevocationError, RevocationStore, Revocations,
    ///     SessionMeta,
    /// };
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    /// use std::time::Duration;
    ///
    /// /// A store that is down.
    /// struct Down;
    /// impl RevocationStore for Down {
    ///     fn is_revoked<'a>(&'a self, _: &'a SessionMeta) -> BoxFuture<'a, Result<bool, RevocationError>> {
    ///         Box::pin(async { Err(RevocationError::Timeout(Duration::from_millis(250))) })
    ///     }
    ///     fn revoke<'a>(&'a self, _: &'a RevocationEntry, _: Duration) -> BoxFuture<'a, Result<(), RevocationError>> {
    ///         Box::pin(async { Err(RevocationError::Timeout(Duration::from_millis(250))) })
    ///     }
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// # let login = |subject: &str| -> Result<http::Request<()>, Box<dyn std::error::Error>> {
    /// #     let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// #     session.set_subject(subject);
    /// #     let mut saved = http::Response::new(());
    /// #     sealed_session::save(&config, &session, &mut saved)?;
    /// #     let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// #     Ok(http::Request::builder().header("cookie", set_cookie.split(';').next().unwrap()).body(())?)
    /// # };
    /// let request = login("user:42")?;
    ///
    /// // Failing closed (the default), the session is not honoured.
    /// let mut session = sealed_session::load(&config, &request);
    /// assert!(Revocations::new(Down, &config).check(&mut session).await.is_err());
    /// assert_eq!(session.status(), Status::Unverified);
    ///
    /// // Failing open, it is: the error is only for the log.
    /// let open = Revocations::new(Down, &config).failure_policy(FailurePolicy::FailOpen);
    /// let mut session = sealed_session::load(&config, &request);
    /// assert!(open.check(&mut session).await.is_err());
    /// assert_eq!(session.status(), Status::Loaded);
    /// assert_eq!(session.subject(), Some("user:42"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long subject and global entries are kept (plus
    /// [`CLOCK_SKEW`](crate::CLOCK_SKEW)): the longer of `horizon` and the longest a session
    /// can live under the configuration (the absolute timeout, else the
    /// larger of `max_age` and the rolling idle time).
    ///
    /// A per-session [`set_expiry`](crate::Session::set_expiry) can make a
    /// session outlive that (a 30-day "remember me" under a 2-week
    /// `max_age`); once its entry is gone, a subject or global revocation
    /// would no longer reach it. So [`check`](Self::check) does not honour a
    /// session whose own lifetime (its [`Expiry::Idle`] time, or from its
    /// creation to its [`Expiry::At`] instant, each cut by the absolute
    /// timeout) exceeds the horizon: it loads as
    /// [`Revoked`](crate::Status::Revoked). Raise the horizon to your
    /// longest remember-me, or set an absolute timeout, which bounds every
    /// override.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use std::time::Duration;
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// // Remember-me sessions get `Expiry::At(now + 30 days)`.
    /// let revocations = Revocations::new(MemoryRevocations::new(), &config)
    ///     .horizon(Duration::from_secs(30 * 24 * 3600));
    /// # let _ = revocations;
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn horizon(mut self, horizon: Duration) -> Self {
        self.horizon = horizon;
        self
    }

    /// The horizon in force, whole seconds: at least the configuration's
    /// longest lifetime.
    fn horizon_secs(&self) -> i64 {
        let asked = i64::try_from(self.horizon.as_secs()).unwrap_or(i64::MAX);
        asked.max(self.config.lifetimes().longest()).max(1)
    }

    /// Whether a loaded session's own lifetime could outlast the subject
    /// and global entries that might revoke it (see
    /// [`horizon`](Self::horizon)).
    fn outlives_horizon(&self, session: &Session, meta: &SessionMeta) -> bool {
        let lifetimes = self.config.lifetimes();
        // Unread: the check alone must not add `Vary: Cookie`.
        let life = match session.expiry_unread() {
            Expiry::Idle(d) => d.whole_seconds(),
            Expiry::At(t) => t
                .unix_timestamp()
                .saturating_sub(meta.created.unix_timestamp()),
            // Bounded by the configuration, which the horizon covers.
            Expiry::Default | Expiry::BrowserSession => return false,
        };
        let life = lifetimes.absolute.map_or(life, |a| life.min(a));
        life > self.horizon_secs()
    }

    /// Checks a session just loaded against the store. A revoked session
    /// becomes a new, empty one with status
    /// [`Revoked`](crate::Status::Revoked), whose cookie `save` removes; so
    /// does one whose own lifetime exceeds the [horizon](Self::horizon). A
    /// session not loaded from a cookie is left alone without asking.
    ///
    /// # Errors
    ///
    /// The store's error, after the [`FailurePolicy`] was applied (the
    /// session is then revoked when failing closed, untouched when failing
    /// open): return it to be logged, not to fail the request.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations, SessionMeta};
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// # let login = |subject: &str| -> Result<http::Request<()>, Box<dyn std::error::Error>> {
    /// #     let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// #     session.set_subject(subject);
    /// #     let mut saved = http::Response::new(());
    /// #     sealed_session::save(&config, &session, &mut saved)?;
    /// #     let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// #     Ok(http::Request::builder().header("cookie", set_cookie.split(';').next().unwrap()).body(())?)
    /// # };
    /// let revocations = Revocations::new(MemoryRevocations::new(), &config);
    /// let request = login("user:42")?;
    ///
    /// let mut session = sealed_session::load(&config, &request);
    /// revocations.check(&mut session).await?;
    /// assert_eq!(session.status(), Status::Loaded, "nothing revoked it");
    ///
    /// let meta = SessionMeta::of(&session).unwrap();
    /// revocations.revoke_session(meta.id.unwrap(), meta.expires).await?;
    /// let mut session = sealed_session::load(&config, &request);
    /// revocations.check(&mut session).await?;
    /// assert_eq!(session.status(), Status::Revoked);
    /// assert_eq!(session.subject(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn check(&self, session: &mut Session) -> Result<(), RevocationError> {
        let Some(meta) = SessionMeta::of(session) else {
            return Ok(());
        };
        if self.outlives_horizon(session, &meta) {
            log::revoked_session(meta.id.as_ref().map(|id| id as &dyn fmt::Display));
            session.mark_revoked();
            return Ok(());
        }
        match self.store.is_revoked(&meta).await {
            Ok(false) => Ok(()),
            Ok(true) => {
                log::revoked_session(meta.id.as_ref().map(|id| id as &dyn fmt::Display));
                session.mark_revoked();
                Ok(())
            }
            Err(e) => {
                let action = match self.policy {
                    FailurePolicy::FailClosed => {
                        session.mark_unverified();
                        "session not honoured for this request, cookie left alone (fail closed)"
                    }
                    FailurePolicy::FailOpen => "session accepted (fail open)",
                };
                log::revocation_failed(&e, action);
                Err(e)
            }
        }
    }

    /// After the handler: if it [`flush`](crate::Session::flush)ed a loaded
    /// session that has an id, revokes that id until the last copy of its
    /// cookie could still be live (see the [module](self) docs), so a copy
    /// made before the logout, even one refreshed since, is refused. Does
    /// nothing otherwise.
    ///
    /// # Errors
    ///
    /// The store's error (the logout then only removed the browser's cookie).
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// # let login = |subject: &str| -> Result<http::Request<()>, Box<dyn std::error::Error>> {
    /// #     let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// #     session.set_subject(subject);
    /// #     let mut saved = http::Response::new(());
    /// #     sealed_session::save(&config, &session, &mut saved)?;
    /// #     let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// #     Ok(http::Request::builder().header("cookie", set_cookie.split(';').next().unwrap()).body(())?)
    /// # };
    /// let revocations = Revocations::new(MemoryRevocations::new(), &config);
    /// let request = login("user:42")?;
    ///
    /// // Log out: the handler flushes, then the id is revoked.
    /// let mut session = sealed_session::load(&config, &request);
    /// session.flush();
    /// revocations.revoke_ended(&session).await?;
    ///
    /// // A copy of the old cookie, replayed, is refused.
    /// let mut replayed = sealed_session::load(&config, &request);
    /// revocations.check(&mut replayed).await?;
    /// assert_eq!(replayed.status(), Status::Revoked);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_ended(&self, session: &Session) -> Result<(), RevocationError> {
        self.revoke_ended_session(session.ended()).await
    }

    /// [`revoke_ended`](Self::revoke_ended) for what the session said it
    /// ended, so a layer need not hold the session across the `.await`.
    pub(crate) async fn revoke_ended_session(
        &self,
        ended: Vec<Ended>,
    ) -> Result<(), RevocationError> {
        let now = self.config.now_unix();
        let mut result = Ok(());
        for ended in ended {
            let until = copies_live_until(&self.config.lifetimes(), now, &ended);
            let revoked = self
                .store
                .revoke(&RevocationEntry::Session(ended.id), ttl_until(now, until))
                .await;
            if let Err(e) = revoked {
                log::revocation_failed(
                    &e,
                    "logout not revoked: only the browser's cookie was removed",
                );
                result = Err(e);
            }
        }
        result
    }

    /// Revokes one session by id until `expires` (plus [`CLOCK_SKEW`](crate::CLOCK_SKEW)): the
    /// last moment any copy of its cookie can be live, which for a rolling
    /// session is now + its idle time, not the expiry of the cookie at hand.
    ///
    /// # Errors
    ///
    /// The store's error.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations, SessionMeta};
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// # let login = |subject: &str| -> Result<http::Request<()>, Box<dyn std::error::Error>> {
    /// #     let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// #     session.set_subject(subject);
    /// #     let mut saved = http::Response::new(());
    /// #     sealed_session::save(&config, &session, &mut saved)?;
    /// #     let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// #     Ok(http::Request::builder().header("cookie", set_cookie.split(';').next().unwrap()).body(())?)
    /// # };
    /// let store = Arc::new(MemoryRevocations::new());
    /// let revocations = Revocations::from_arc(store.clone(), &config);
    /// let mut session = sealed_session::load(&config, &login("user:42")?);
    ///
    /// // "Sign out this device", from a list of the user's sessions.
    /// let meta = SessionMeta::of(&session).unwrap();
    /// revocations.revoke_session(meta.id.unwrap(), meta.expires).await?;
    /// assert_eq!(store.len(), 1);
    /// revocations.check(&mut session).await?;
    /// assert_eq!(session.status(), Status::Revoked);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_session(
        &self,
        id: SessionId,
        expires: OffsetDateTime,
    ) -> Result<(), RevocationError> {
        let now = self.config.now_unix();
        let ttl = ttl_until(now, expires.unix_timestamp());
        self.store.revoke(&RevocationEntry::Session(id), ttl).await
    }

    /// Revokes every session of `subject` created before this second ("log
    /// out everywhere"; a session [renewed](crate::Session::renew) in this
    /// second, such as the one making the request, is kept).
    ///
    /// # Errors
    ///
    /// The store's error.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
    /// # let login = |subject: &str| -> Result<http::Request<()>, Box<dyn std::error::Error>> {
    /// #     let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// #     session.set_subject(subject);
    /// #     let mut saved = http::Response::new(());
    /// #     sealed_session::save(&config, &session, &mut saved)?;
    /// #     let set_cookie = saved.headers()["set-cookie"].to_str()?;
    /// #     Ok(http::Request::builder().header("cookie", set_cookie.split(';').next().unwrap()).body(())?)
    /// # };
    /// let store = Arc::new(MemoryRevocations::new());
    /// let revocations = Revocations::from_arc(store.clone(), &config);
    /// let other_user = login("user:7")?;
    ///
    /// revocations.revoke_subject("user:42").await?;
    /// assert_eq!(store.len(), 1);
    /// // Another subject's sessions are not touched.
    /// let mut session = sealed_session::load(&config, &other_user);
    /// revocations.check(&mut session).await?;
    /// assert_eq!(session.status(), Status::Loaded);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_subject(&self, subject: &str) -> Result<(), RevocationError> {
        let entry = RevocationEntry::Subject {
            subject: subject.to_owned(),
            before: self.config.now(),
        };
        self.store.revoke(&entry, self.horizon_ttl()).await
    }

    /// Revokes every session created before this second (a mass logout
    /// without a deploy; see also
    /// [`not_before`](crate::SessionConfigBuilder::not_before)).
    ///
    /// # Errors
    ///
    /// The store's error.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let store = Arc::new(MemoryRevocations::new());
    /// let revocations = Revocations::from_arc(store.clone(), &config);
    /// revocations.revoke_all().await?;
    /// // Another mass logout replaces the cutoff: still one entry.
    /// revocations.revoke_all().await?;
    /// assert_eq!(store.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn revoke_all(&self) -> Result<(), RevocationError> {
        let entry = RevocationEntry::All {
            before: self.config.now(),
        };
        self.store.revoke(&entry, self.horizon_ttl()).await
    }

    /// How long a subject or global entry is kept.
    fn horizon_ttl(&self) -> Duration {
        Duration::from_secs(self.horizon_secs().unsigned_abs()).saturating_add(SKEW)
    }
}

/// The last Unix second at which a copy of the cookie of the session that
/// `ended` at `now` could still be live, before [`CLOCK_SKEW`](crate::CLOCK_SKEW).
///
/// Every copy shares the session's `created` and, unless the app changed it,
/// its override. A rolling copy (the configuration's rolling idle time, or
/// [`Expiry::Idle`]) may have been refreshed at any moment up to now, so it
/// lives until now + idle; a fixed one until `created` + `max_age` or its
/// [`Expiry::At`] instant; none past `created` + the absolute timeout. The
/// configuration's own rule is taken too, for a copy sealed before the app
/// changed the session's override.
fn copies_live_until(lifetimes: &Lifetimes, now: i64, ended: &Ended) -> i64 {
    let created = ended.created;
    let by_config = match lifetimes.rolling {
        Some(rolling) => now.saturating_add(rolling.idle),
        None => created.saturating_add(lifetimes.max_age),
    };
    let by_override = match ended.expiry {
        Some(ExpiryOverride::Idle(idle)) => now.saturating_add(idle),
        Some(ExpiryOverride::At(t)) => t,
        Some(ExpiryOverride::BrowserSession) | None => by_config,
    };
    let until = by_config.max(by_override);
    match lifetimes.absolute {
        Some(absolute) => until.min(created.saturating_add(absolute)),
        None => until,
    }
}

/// The time to live of an entry needed until `until` (Unix seconds), seen
/// at `now`, plus [`CLOCK_SKEW`](crate::CLOCK_SKEW); at least one second.
fn ttl_until(now: i64, until: i64) -> Duration {
    let secs = until.saturating_sub(now).max(1).unsigned_abs();
    Duration::from_secs(secs).saturating_add(SKEW)
}

/// Revocations kept in this process's memory: for one server, and for
/// tests.
///
/// ```
/// use sealed_session::revocation::{MemoryRevocations, Revocations};
/// use sealed_session::{Key, Keyring, SessionConfig};
/// use std::sync::Arc;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let store = Arc::new(MemoryRevocations::new());
/// let revocations = Revocations::from_arc(store.clone(), &config);
/// revocations.revoke_all().await?;
/// assert_eq!(store.len(), 1);
/// # Ok(())
/// # }
/// ```
/// Entries are dropped when their time is up (checked on every
/// write), so the memory held is bounded by the revocations of one session
/// lifetime. A time to live too long for the monotonic clock (up to
/// [`Duration::MAX`]) keeps the entry for the life of the process.
#[derive(Debug, Default)]
pub struct MemoryRevocations {
    entries: Mutex<Entries>,
}

/// When an entry is forgotten: `None` for never (a time to live past what
/// [`Instant`] can represent).
type Until = Option<Instant>;

fn live(until: Until, now: Instant) -> bool {
    until.is_none_or(|t| t > now)
}

#[derive(Debug, Default)]
struct Entries {
    ids: HashMap<SessionId, Until>,
    /// A subject's cutoff, in whole Unix seconds.
    subjects: HashMap<String, (i64, Until)>,
    all: Option<(i64, Until)>,
}

impl MemoryRevocations {
    /// An empty store.
    ///
    /// ```
    /// use sealed_session::revocation::MemoryRevocations;
    ///
    /// assert!(MemoryRevocations::new().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries are live (for tests and metrics).
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, RevocationEntry, RevocationStore};
    /// use sealed_session::time::OffsetDateTime;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = MemoryRevocations::new();
    /// let before = OffsetDateTime::now_utc();
    /// let subject = |s: &str| RevocationEntry::Subject { subject: s.into(), before };
    /// store.revoke(&subject("user:42"), Duration::from_secs(60)).await?;
    /// store.revoke(&subject("user:7"), Duration::from_secs(60)).await?;
    /// store.revoke(&subject("user:42"), Duration::from_secs(60)).await?;
    /// assert_eq!(store.len(), 2, "one entry per subject");
    /// // An entry whose time is up no longer counts.
    /// store.revoke(&RevocationEntry::All { before }, Duration::ZERO).await?;
    /// assert_eq!(store.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        let now = Instant::now();
        let e = self.lock();
        e.ids.values().filter(|&&t| live(t, now)).count()
            + e.subjects.values().filter(|(_, t)| live(*t, now)).count()
            + usize::from(e.all.is_some_and(|(_, t)| live(t, now)))
    }

    /// Whether no entry is live.
    ///
    /// ```
    /// use sealed_session::revocation::{MemoryRevocations, Revocations};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// use std::sync::Arc;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let store = Arc::new(MemoryRevocations::new());
    /// assert!(store.is_empty());
    /// Revocations::from_arc(store.clone(), &config).revoke_all().await?;
    /// assert!(!store.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        // Every method leaves the map consistent: poisoning is ignored.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn is_revoked_now(&self, meta: &SessionMeta) -> bool {
        let now = Instant::now();
        let created = meta.created.unix_timestamp();
        let e = self.lock();
        meta.id
            .and_then(|id| e.ids.get(&id))
            .is_some_and(|t| live(*t, now))
            || meta
                .subject
                .as_ref()
                .and_then(|s| e.subjects.get(s))
                .is_some_and(|(before, t)| live(*t, now) && created_before(created, *before))
            || e.all
                .is_some_and(|(before, t)| live(t, now) && created_before(created, before))
    }

    fn insert(&self, entry: &RevocationEntry, ttl: Duration) {
        let now = Instant::now();
        let until = now.checked_add(ttl);
        // The later of two deadlines, `None` (never) being the latest.
        let later = |a: Until, b: Until| a.zip(b).map(|(a, b)| a.max(b));
        let mut e = self.lock();
        e.ids.retain(|_, t| live(*t, now));
        e.subjects.retain(|_, (_, t)| live(*t, now));
        if e.all.is_some_and(|(_, t)| !live(t, now)) {
            e.all = None;
        }
        match entry {
            RevocationEntry::Session(id) => {
                let t = e.ids.entry(*id).or_insert(until);
                *t = later(*t, until);
            }
            RevocationEntry::Subject { subject, before } => {
                let before = before.unix_timestamp();
                let (b, t) = e.subjects.entry(subject.clone()).or_insert((before, until));
                *b = (*b).max(before);
                *t = later(*t, until);
            }
            RevocationEntry::All { before } => {
                let before = before.unix_timestamp();
                let (b, t) = e.all.get_or_insert((before, until));
                *b = (*b).max(before);
                *t = later(*t, until);
            }
        }
    }
}

impl RevocationStore for MemoryRevocations {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let revoked = self.is_revoked_now(meta);
        Box::pin(async move { Ok(revoked) })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a RevocationEntry,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.insert(entry, ttl);
        Box::pin(async { Ok(()) })
    }
}
