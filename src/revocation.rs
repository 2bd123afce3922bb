//! Revocation (opt-in): a small, bounded list of revoked sessions that all
//! servers share, checked after [`load`](crate::load). The cookie stays the
//! session; the store holds only live revocations.
//!
//! Three kinds of entry, each kept only as long as a session it revokes can
//! still live:
//!
//! | entry | revokes | kept for |
//! |---|---|---|
//! | a session id | that session (logout) | until that session's own expiry |
//! | a subject and an instant | the subject's sessions created before it ("log out all of user 42's sessions") | the configured lifetime |
//! | an instant | every session created before it ("log out everyone") | the configured lifetime |
//!
//! For a static mass logout, [`SessionConfigBuilder::not_before`](crate::SessionConfigBuilder::not_before)
//! needs no store at all.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use crate::config::SessionConfig;
use crate::log;
use crate::session::{Ended, Session, SessionId};

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use redis::RedisRevocations;

/// The future a [`Revocation`] store returns: boxed, so that stores can be
/// shared as `Arc<dyn Revocation>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a revocation store is asked about a loaded session.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, SessionMeta};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).session_ids(true).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// assert_eq!(SessionMeta::of(&session), None, "a new session has nothing to check");
/// session.set_subject("user:42");
/// let cookie = sealed_session::session_cookie(&config, &session)?.unwrap();
/// let request = http::Request::builder()
///     .header("cookie", format!("session={}", cookie.value()))
///     .body(())?;
/// let meta = SessionMeta::of(&sealed_session::load(&config, &request)).unwrap();
/// assert_eq!(meta.subject.as_deref(), Some("user:42"));
/// assert_eq!(meta.id, session.id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionMeta {
    /// The session's id, when it has one
    /// ([`SessionConfigBuilder::session_ids`](crate::SessionConfigBuilder::session_ids),
    /// or a subject).
    pub id: Option<SessionId>,
    /// When the session was created (or last renewed), Unix seconds.
    pub created: i64,
    /// The subject the app attached ([`Session::set_subject`]).
    pub subject: Option<String>,
    /// When the session expires on the server, Unix seconds.
    pub expires: i64,
}

impl SessionMeta {
    /// The meta of a session just loaded; `None` for one that did not come
    /// from a valid cookie (nothing to revoke).
    #[must_use]
    pub fn of(session: &Session) -> Option<Self> {
        let (id, created, subject, expires) = session.loaded_meta()?;
        Some(Self {
            id,
            created,
            subject: subject.map(str::to_owned),
            expires,
        })
    }
}

/// An entry for a revocation store, as [`Revocations`] writes them.
///
/// ```
/// use sealed_session::Revoke;
///
/// let entry = Revoke::Subject { subject: "user:42".into(), before: 1_767_225_600 };
/// assert!(matches!(entry, Revoke::Subject { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Revoke {
    /// One session, by id.
    Session(SessionId),
    /// Every session of `subject` created at or before `before` (Unix
    /// seconds: a session created in the same second as the revocation is
    /// revoked too, since whole seconds cannot tell which came first).
    Subject {
        /// As given to [`Session::set_subject`].
        subject: String,
        /// Unix seconds.
        before: i64,
    },
    /// Every session created at or before `before` (Unix seconds).
    All {
        /// Unix seconds.
        before: i64,
    },
}

/// A store of revocations shared by all servers. Implement it for your own
/// store; [`MemoryRevocations`] serves one process, and `RedisRevocations`
/// (feature `redis`) many.
///
/// An implementation must answer in bounded time (apply its own timeout and
/// report [`RevocationError::Timeout`]): [`Revocations`] has no timer of its
/// own, since the core depends on no async runtime.
pub trait Revocation: Send + Sync {
    /// Whether any entry revokes the session described by `meta`.
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>>;

    /// Stores `entry` for `ttl`, after which every session it revokes has
    /// expired anyway and the entry may be forgotten.
    fn revoke<'a>(
        &'a self,
        entry: &'a Revoke,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>>;
}

/// The revocation store could not answer.
///
/// ```
/// use sealed_session::RevocationError;
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
/// use sealed_session::{FailurePolicy, Key, Keyring, MemoryRevocations, Revocations, SessionConfig};
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
/// use sealed_session::{Key, Keyring, MemoryRevocations, Revocations, SessionConfig, Status};
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
/// let cookie = sealed_session::session_cookie(&config, &session)?.unwrap();
/// let request = http::Request::builder()
///     .header("cookie", format!("session={}", cookie.value()))
///     .body(())?;
///
/// // Log out all of user 42's sessions, on every server sharing the store.
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
    store: Arc<dyn Revocation>,
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
    /// Revocations of `config`'s sessions kept in `store`, failing closed.
    /// Subject and global entries are kept for the longest lifetime the
    /// configuration gives a session (the absolute timeout, else the larger
    /// of `max_age` and the rolling idle time); see
    /// [`horizon`](Self::horizon) for per-session overrides longer than that.
    pub fn new(store: impl Revocation + 'static, config: &SessionConfig) -> Self {
        Self::from_arc(Arc::new(store), config)
    }

    /// [`Revocations::new`] with a store already shared.
    pub fn from_arc(store: Arc<dyn Revocation>, config: &SessionConfig) -> Self {
        let secs = config.lifetimes().longest().max(1);
        Self {
            store,
            config: config.clone(),
            policy: FailurePolicy::default(),
            horizon: Duration::from_secs(secs.unsigned_abs()),
        }
    }

    /// What [`check`](Self::check) does when the store cannot answer.
    #[must_use]
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// How long subject and global entries are kept: at least the longest
    /// a session can live. Raise it if sessions get a
    /// [`set_expiry`](crate::Session::set_expiry) longer than the
    /// configured lifetime.
    #[must_use]
    pub fn horizon(mut self, horizon: Duration) -> Self {
        self.horizon = horizon;
        self
    }

    /// Checks a session just loaded against the store. A revoked session
    /// becomes a new, empty one with status
    /// [`Revoked`](crate::Status::Revoked), whose cookie `save` removes. A
    /// session not loaded from a cookie is left alone without asking.
    ///
    /// # Errors
    ///
    /// The store's error, after the [`FailurePolicy`] was applied (the
    /// session is then revoked when failing closed, untouched when failing
    /// open): return it to be logged, not to fail the request.
    pub async fn check(&self, session: &mut Session) -> Result<(), RevocationError> {
        let Some(meta) = SessionMeta::of(session) else {
            return Ok(());
        };
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
    /// session that has an id, revokes that id until the session's own
    /// expiry, so a copy of the cookie made before the logout is refused.
    /// Does nothing otherwise.
    ///
    /// # Errors
    ///
    /// The store's error (the logout then only removed the browser's cookie).
    pub async fn revoke_ended(&self, session: &Session) -> Result<(), RevocationError> {
        self.revoke_ended_session(session.ended()).await
    }

    /// [`revoke_ended`](Self::revoke_ended) for what the session said it
    /// ended, so a layer need not hold the session across the `.await`.
    pub(crate) async fn revoke_ended_session(
        &self,
        ended: Vec<Ended>,
    ) -> Result<(), RevocationError> {
        let mut result = Ok(());
        for Ended { id, expires, .. } in ended {
            let ttl = expires.saturating_sub(self.config.now_unix()).max(1);
            let revoked = self
                .store
                .revoke(
                    &Revoke::Session(id),
                    Duration::from_secs(ttl.unsigned_abs()),
                )
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

    /// Revokes one session by id until `expires`.
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn revoke_session(
        &self,
        id: SessionId,
        expires: OffsetDateTime,
    ) -> Result<(), RevocationError> {
        let ttl = expires
            .unix_timestamp()
            .saturating_sub(self.config.now_unix())
            .max(1);
        self.store
            .revoke(
                &Revoke::Session(id),
                Duration::from_secs(ttl.unsigned_abs()),
            )
            .await
    }

    /// Revokes every session of `subject` created before now ("log out
    /// everywhere").
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn revoke_subject(&self, subject: &str) -> Result<(), RevocationError> {
        let entry = Revoke::Subject {
            subject: subject.to_owned(),
            before: self.config.now_unix(),
        };
        self.store.revoke(&entry, self.horizon).await
    }

    /// Revokes every session created before now (a mass logout without a
    /// deploy; see also
    /// [`not_before`](crate::SessionConfigBuilder::not_before)).
    ///
    /// # Errors
    ///
    /// The store's error.
    pub async fn revoke_all(&self) -> Result<(), RevocationError> {
        let entry = Revoke::All {
            before: self.config.now_unix(),
        };
        self.store.revoke(&entry, self.horizon).await
    }
}

/// Revocations kept in this process's memory: for one server, and for
/// tests.
///
/// ```
/// use sealed_session::{Key, Keyring, MemoryRevocations, Revocations, SessionConfig};
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
/// lifetime.
#[derive(Debug, Default)]
pub struct MemoryRevocations {
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    ids: HashMap<SessionId, Instant>,
    subjects: HashMap<String, (i64, Instant)>,
    all: Option<(i64, Instant)>,
}

impl MemoryRevocations {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries are live (for tests and metrics).
    #[must_use]
    pub fn len(&self) -> usize {
        let now = Instant::now();
        let e = self.lock();
        e.ids.values().filter(|&&t| t > now).count()
            + e.subjects.values().filter(|(_, t)| *t > now).count()
            + usize::from(e.all.is_some_and(|(_, t)| t > now))
    }

    /// Whether no entry is live.
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
        let e = self.lock();
        let live = |t: &Instant| *t > now;
        meta.id.and_then(|id| e.ids.get(&id)).is_some_and(live)
            || meta
                .subject
                .as_ref()
                .and_then(|s| e.subjects.get(s))
                .is_some_and(|(before, t)| live(t) && meta.created <= *before)
            || e.all
                .is_some_and(|(before, t)| live(&t) && meta.created <= before)
    }

    fn insert(&self, entry: &Revoke, ttl: Duration) {
        let now = Instant::now();
        let until = now + ttl;
        let mut e = self.lock();
        e.ids.retain(|_, t| *t > now);
        e.subjects.retain(|_, (_, t)| *t > now);
        if e.all.is_some_and(|(_, t)| t <= now) {
            e.all = None;
        }
        match entry {
            Revoke::Session(id) => {
                let t = e.ids.entry(*id).or_insert(until);
                *t = (*t).max(until);
            }
            Revoke::Subject { subject, before } => {
                let (b, t) = e
                    .subjects
                    .entry(subject.clone())
                    .or_insert((*before, until));
                *b = (*b).max(*before);
                *t = (*t).max(until);
            }
            Revoke::All { before } => {
                let (b, t) = e.all.get_or_insert((*before, until));
                *b = (*b).max(*before);
                *t = (*t).max(until);
            }
        }
    }
}

impl Revocation for MemoryRevocations {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let revoked = self.is_revoked_now(meta);
        Box::pin(async move { Ok(revoked) })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a Revoke,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        self.insert(entry, ttl);
        Box::pin(async { Ok(()) })
    }
}
