//! A [`RevocationStore`] that answers from a local copy of the revocations,
//! kept up to date from Redis (feature `redis`).

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::Value;
use tokio::task::JoinHandle;

use super::redis::{Conn, RedisRevocations, Source, tag};
use super::{
    BoxFuture, RevocationEntry, RevocationError, RevocationStore, SessionMeta, Until,
    created_before, instant, live,
};
use crate::session::SessionId;

/// Revocations answered from this process's memory, fed by Redis: no
/// network round trip per request, a bounded and observable staleness, a
/// bounded memory (feature `redis`; a Tokio runtime is required).
///
/// Writes go to Redis exactly as [`RedisRevocations`] writes them (the same
/// keys, TTLs and keep-the-maximum script, in one Redis Cluster slot per
/// prefix), and the same script appends each write to a Redis Stream,
/// `{prefix}log`. Every replica runs one task that
///
/// 1. connects and loads what is live (one script: the newest stream id,
///    then every entry named in `{prefix}live` with its value and
///    remaining TTL),
/// 2. follows the stream from that id with `XREAD BLOCK`, applying each
///    entry to its set, and
/// 3. on any error, or a skipped announcement number (it fell more than
///    the stream's length, about 10,000 entries, behind), starts again
///    at 1.
///
/// A stream rather than pub/sub: a stream entry has an id, so the snapshot
/// and the tail meet at one point without a gap or a race, a reader that
/// was slow misses nothing (a message published while a pub/sub
/// subscriber is busy or reconnecting is gone), and the blocking read's
/// own timeout is the heartbeat: an idle Redis answers every quarter of
/// the staleness bound, with no writer publishing heartbeats.
///
/// **Staleness.** A check answers from the set only if the task has heard
/// from Redis (an entry, or the empty answer of an idle blocking read)
/// within the [staleness bound](RedisReplicaBuilder::staleness_bound)
/// (1 s by default), and only once the first load is done. Otherwise it
/// fails, and the [`FailurePolicy`](super::FailurePolicy) decides (by
/// default the session is not honoured and its cookie not touched). So a
/// logout on one server is refused by every other within the time it takes
/// Redis to deliver one stream entry (about a millisecond on a local
/// network), and never later than the bound: a server that could be
/// missing a logout stops honouring sessions. [`status`](Self::status)
/// shows the bound, how long since Redis was last heard, the lag of the
/// last entry applied and the number of entries.
///
/// **Memory.** Entries leave the set when their TTL ends (swept every
/// second). A session id costs a 32-byte slot in the set's hash table plus
/// one control byte; the table doubles when 7/8 full, so it is between
/// 7/16 and 7/8 full: 38 to 76 bytes per id. A subject costs a 48-byte
/// slot plus its length (rounded up by the allocator), with the same
/// slack. Past [`max_entries`](RedisReplicaBuilder::max_entries) (default
/// 1,000,000 entries, at most about 76 MB of ids), new entries are not kept and the
/// replica *overflows*: until the longest of the entries it could not hold
/// has expired, a check the set does not answer with "revoked" asks Redis
/// (one `MGET`, as [`RedisRevocations`] does). Correct, and as slow as the
/// direct store, for those requests only; a `warn` event says so.
///
/// Events (feature `tracing`, target `sealed_session::revocation`): `info`
/// when a load completes (entries, lag), `warn` when the connection is lost,
/// when checks start failing because the replica is stale and when it
/// overflows, `debug` for each applied batch.
///
/// ```no_run
/// use sealed_session::revocation::{RedisReplica, Revocations};
/// use sealed_session::{Key, Keyring, SessionConfig};
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .session_ids(true)
///     .build()?;
/// let replica = RedisReplica::builder("redis://127.0.0.1:6379/")?
///     .staleness_bound(Duration::from_millis(500))
///     .start();
/// // Optional: wait for the first load before serving.
/// replica.ready(Duration::from_secs(5)).await?;
/// let status = replica.status();
/// assert_eq!(status.staleness_bound, Duration::from_millis(500));
/// let revocations = Revocations::new(replica, &config);
/// # let _ = revocations;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisReplica {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    direct: RedisRevocations,
    task: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The reader loops forever: it ends with the last handle.
        self.task.abort();
    }
}

impl fmt::Debug for RedisReplica {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplica")
            .field("prefix", &self.inner.direct.prefix_str())
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

/// How to build a [`RedisReplica`]: [`RedisReplica::builder`] or
/// [`RedisReplica::cluster_builder`], the settings, then
/// [`start`](Self::start).
///
/// ```
/// use sealed_session::revocation::RedisReplica;
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Nothing is sent to Redis before `start`.
/// let builder = RedisReplica::builder("redis://:hunter2@127.0.0.1:6379/")?
///     .staleness_bound(Duration::from_millis(500))
///     .max_entries(100_000);
/// // `Debug` shows the settings, never the URL and its password.
/// let debug = format!("{builder:?}");
/// assert!(debug.contains("staleness_bound: 500ms") && debug.contains("max_entries: 100000"));
/// assert!(!debug.contains("hunter2"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisReplicaBuilder {
    source: Source,
    /// Writes, and checks past the cap.
    direct: RedisRevocations,
    prefix: String,
    timeout: Duration,
    bound: Duration,
    max_entries: usize,
}

impl fmt::Debug for RedisReplicaBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplicaBuilder")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("staleness_bound", &self.bound)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

/// The default [staleness bound](RedisReplicaBuilder::staleness_bound).
const DEFAULT_BOUND: Duration = Duration::from_secs(1);
/// The default [cap](RedisReplicaBuilder::max_entries).
const DEFAULT_MAX_ENTRIES: usize = 1_000_000;
/// The most stream entries one read returns.
const BATCH: usize = 1_000;
/// How often expired entries leave the set.
const SWEEP: Duration = Duration::from_secs(1);

impl RedisReplicaBuilder {
    fn new(source: Source) -> Result<Self, RevocationError> {
        Ok(Self {
            direct: RedisRevocations::from_source(source.clone())?,
            source,
            prefix: "sealed-session:".to_owned(),
            timeout: super::redis::DEFAULT_TIMEOUT,
            bound: DEFAULT_BOUND,
            max_entries: DEFAULT_MAX_ENTRIES,
        })
    }

    /// The prefix of every key (default `sealed-session:`), as for
    /// [`RedisRevocations::prefix`]: a replica and a direct store with the
    /// same prefix share their entries.
    ///
    /// ```
    /// use sealed_session::revocation::RedisReplica;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = RedisReplica::builder("redis://127.0.0.1:6379/")?.prefix("shop:");
    /// assert!(format!("{builder:?}").contains(r#"prefix: "shop:""#));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a write, a load or a fallback check may take (default
    /// 250 ms), as for [`RedisRevocations::timeout`].
    ///
    /// ```
    /// use sealed_session::revocation::RedisReplica;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = RedisReplica::builder("redis://127.0.0.1:6379/")?;
    /// assert!(format!("{builder:?}").contains("timeout: 250ms"), "the default");
    /// let builder = builder.timeout(Duration::from_millis(100));
    /// assert!(format!("{builder:?}").contains("timeout: 100ms"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the replica answers without hearing from Redis (default
    /// 1 s, at least 4 ms): the longest a logout made on another server can
    /// go unseen here, and how soon checks fail once Redis is gone. Redis is
    /// asked every quarter of it.
    ///
    /// ```
    /// use sealed_session::revocation::RedisReplica;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = RedisReplica::builder("redis://127.0.0.1:6379/")?;
    /// assert!(format!("{builder:?}").contains("staleness_bound: 1s"), "the default");
    /// // Shorter than 4 ms would leave no time for Redis to answer.
    /// let builder = builder.staleness_bound(Duration::ZERO);
    /// assert!(format!("{builder:?}").contains("staleness_bound: 4ms"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn staleness_bound(mut self, bound: Duration) -> Self {
        self.bound = bound.max(Duration::from_millis(4));
        self
    }

    /// The most entries kept in memory (default 1,000,000; see
    /// [`RedisReplica`] for the bytes per entry and what happens past it).
    ///
    /// ```
    /// use sealed_session::revocation::RedisReplica;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let builder = RedisReplica::builder("redis://127.0.0.1:6379/")?;
    /// assert!(format!("{builder:?}").contains("max_entries: 1000000"), "the default");
    /// // At most about 7.6 MB of session ids.
    /// let builder = builder.max_entries(100_000);
    /// assert!(format!("{builder:?}").contains("max_entries: 100000"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn max_entries(mut self, max_entries: usize) -> Self {
        self.max_entries = max_entries;
        self
    }

    /// Starts the replica's task, which connects, loads and follows; until
    /// its first load is done, checks fail (see [`RedisReplica::ready`]).
    /// Call it inside a Tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, as [`tokio::spawn`] does.
    ///
    /// ```no_run
    /// use sealed_session::revocation::RedisReplica;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let replica = RedisReplica::builder("redis://127.0.0.1:6379/")?.start();
    /// // The task has not loaded yet: checks fail until it has.
    /// assert_eq!(replica.status().since_heard, None);
    /// replica.ready(Duration::from_secs(5)).await?;
    /// assert!(replica.status().since_heard.is_some());
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn start(self) -> RedisReplica {
        let direct = self
            .direct
            .prefix(self.prefix.clone())
            .timeout(self.timeout);
        let shared = Arc::new(Shared {
            local: RwLock::new(Local::default()),
            bound: self.bound,
            max_entries: self.max_entries,
            base: Instant::now(),
            heard: AtomicU64::new(0),
            lag_micros: AtomicU64::new(u64::MAX),
            stale_reported: AtomicBool::new(false),
        });
        let reader = Reader {
            shared: Arc::clone(&shared),
            source: self.source,
            tag: tag(&self.prefix),
            timeout: self.timeout,
        };
        let task = tokio::spawn(reader.run());
        RedisReplica {
            inner: Arc::new(Inner {
                shared,
                direct,
                task,
            }),
        }
    }
}

/// What a [`RedisReplica`] knows about itself.
///
/// ```
/// use sealed_session::revocation::ReplicaStatus;
/// use std::time::Duration;
///
/// fn healthy(status: &ReplicaStatus) -> bool {
///     status.since_heard.is_some_and(|d| d <= status.staleness_bound) && !status.overflowing
/// }
/// # let _ = healthy;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicaStatus {
    /// The configured staleness bound.
    pub staleness_bound: Duration,
    /// How long since Redis was last heard from; `None` before the first
    /// load. Past the bound, checks fail.
    pub since_heard: Option<Duration>,
    /// For the last entry applied, how long after Redis wrote it (by the
    /// stream id's clock against this host's: clock differences show); for
    /// a load, how long the load took. `None` before the first.
    pub lag: Option<Duration>,
    /// Entries in the set (expired ones linger up to a second).
    pub entries: usize,
    /// Whether entries were left out past the cap and checks the set does
    /// not answer ask Redis.
    pub overflowing: bool,
}

impl RedisReplica {
    /// A replica of the revocations in the Redis (or Valkey) at `url`;
    /// set it up, then [`start`](RedisReplicaBuilder::start) it.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Store`] for a URL the client does not accept.
    ///
    /// ```
    /// use sealed_session::revocation::{RedisReplica, RevocationError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), RevocationError> {
    /// assert!(RedisReplica::builder("redis://127.0.0.1:6379/").is_ok());
    /// assert!(matches!(RedisReplica::builder("not a url"), Err(RevocationError::Store(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub fn builder(url: &str) -> Result<RedisReplicaBuilder, RevocationError> {
        RedisReplicaBuilder::new(Source::single(url)?)
    }

    /// A replica of the revocations in a Redis Cluster reached through any
    /// of `urls`.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Store`] for URLs the client does not accept.
    ///
    /// ```no_run
    /// use sealed_session::revocation::RedisReplica;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // One node is enough: the client discovers the others.
    /// let replica = RedisReplica::cluster_builder(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"])?
    ///     .prefix("shop:")
    ///     .start();
    /// replica.ready(Duration::from_secs(5)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cluster_builder<'a>(
        urls: impl IntoIterator<Item = &'a str>,
    ) -> Result<RedisReplicaBuilder, RevocationError> {
        RedisReplicaBuilder::new(Source::cluster(urls)?)
    }

    /// Waits until the replica answers checks (its first load is done and
    /// it is not stale), polling every 5 ms, at most `within`.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Timeout`] if it does not within `within`.
    ///
    /// ```no_run
    /// use sealed_session::revocation::{RedisReplica, RevocationError};
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let replica = RedisReplica::builder("redis://127.0.0.1:6379/")?.start();
    /// // At boot: serve only once the replica can answer.
    /// match replica.ready(Duration::from_secs(5)).await {
    ///     Ok(()) => assert!(replica.status().since_heard.is_some()),
    ///     Err(e) => assert!(matches!(e, RevocationError::Timeout(d) if d == Duration::from_secs(5))),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn ready(&self, within: Duration) -> Result<(), RevocationError> {
        let started = Instant::now();
        while self.inner.shared.fresh().is_err() {
            if started.elapsed() >= within {
                return Err(RevocationError::Timeout(within));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(())
    }

    /// The staleness bound, how long since Redis was heard, the lag of the
    /// last entry, the number of entries, and whether the set overflowed.
    ///
    /// ```no_run
    /// use sealed_session::revocation::RedisReplica;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let replica = RedisReplica::builder("redis://127.0.0.1:6379/")?
    ///     .staleness_bound(Duration::from_millis(500))
    ///     .start();
    /// // For a health check or metrics.
    /// let status = replica.status();
    /// assert_eq!(status.staleness_bound, Duration::from_millis(500));
    /// let healthy = status.since_heard.is_some_and(|d| d <= status.staleness_bound);
    /// println!("healthy: {healthy}, {} entries, lag {:?}", status.entries, status.lag);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn status(&self) -> ReplicaStatus {
        let shared = &self.inner.shared;
        let lag = shared.lag_micros.load(Ordering::Relaxed);
        let local = shared.read();
        ReplicaStatus {
            staleness_bound: shared.bound,
            since_heard: shared.since_heard(),
            lag: (lag != u64::MAX).then(|| Duration::from_micros(lag)),
            entries: local.len(),
            overflowing: local.overflowing(Instant::now()),
        }
    }
}

impl RevocationStore for RedisReplica {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let shared = &self.inner.shared;
        let answer = shared.fresh().map(|()| {
            let now = Instant::now();
            let local = shared.read();
            (local.revokes(meta, now), local.overflowing(now))
        });
        Box::pin(async move {
            match answer? {
                (true, _) => Ok(true),
                (false, false) => Ok(false),
                // Entries were left out: Redis has them.
                (false, true) => self.inner.direct.is_revoked(meta).await,
            }
        })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a RevocationEntry,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            self.inner.direct.revoke(entry, ttl).await?;
            // Seen here at once, not one stream read later.
            let capped = super::redis::ttl_millis(ttl);
            self.inner
                .shared
                .apply(std::iter::once((entry.clone(), capped)), Instant::now());
            Ok(())
        })
    }
}

/// What the reader task and the checks share.
struct Shared {
    local: RwLock<Local>,
    bound: Duration,
    max_entries: usize,
    /// The origin of `heard`.
    base: Instant,
    /// When Redis was last heard from, in µs after `base`, plus one; 0
    /// before the first load.
    heard: AtomicU64,
    /// The lag of the last applied entry in µs; `u64::MAX` for none yet.
    lag_micros: AtomicU64,
    /// Whether the staleness now in force was already logged.
    stale_reported: AtomicBool,
}

/// Why a replica did not answer.
#[derive(Debug)]
enum Unanswered {
    NotLoaded,
    Stale { since: Duration, bound: Duration },
}

impl fmt::Display for Unanswered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotLoaded => f.write_str("the revocation replica has not loaded from Redis yet"),
            Self::Stale { since, bound } => write!(
                f,
                "the revocation replica has not heard from Redis for {since:?} (bound {bound:?})"
            ),
        }
    }
}

impl std::error::Error for Unanswered {}

impl Shared {
    fn read(&self) -> RwLockReadGuard<'_, Local> {
        // Every writer leaves the set consistent: poisoning is ignored.
        self.local.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Local> {
        self.local.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn heard_now(&self) {
        let micros = u64::try_from(self.base.elapsed().as_micros()).unwrap_or(u64::MAX - 1);
        self.heard.store(micros + 1, Ordering::Release);
        if self.stale_reported.swap(false, Ordering::Relaxed) {
            #[cfg(feature = "tracing")]
            tracing::info!(target: TARGET, "revocation replica fresh again");
        }
    }

    fn since_heard(&self) -> Option<Duration> {
        match self.heard.load(Ordering::Acquire) {
            0 => None,
            at => Some(
                self.base
                    .elapsed()
                    .saturating_sub(Duration::from_micros(at - 1)),
            ),
        }
    }

    /// `Ok` if checks may answer from the set.
    fn fresh(&self) -> Result<(), RevocationError> {
        let error = match self.since_heard() {
            None => Unanswered::NotLoaded,
            Some(since) if since > self.bound => Unanswered::Stale {
                since,
                bound: self.bound,
            },
            Some(_) => return Ok(()),
        };
        if matches!(error, Unanswered::Stale { .. })
            && !self.stale_reported.swap(true, Ordering::Relaxed)
        {
            #[cfg(feature = "tracing")]
            tracing::warn!(target: TARGET, error = %error, "revocation replica stale: checks fail until Redis is heard again");
        }
        Err(RevocationError::Store(Box::new(error)))
    }

    /// Applies entries with their TTLs in ms.
    fn apply(&self, entries: impl IntoIterator<Item = (RevocationEntry, u64)>, now: Instant) {
        let mut local = self.write();
        let before = local.overflowing(now);
        for (entry, ttl) in entries {
            local.insert(entry, ttl, now, self.max_entries);
        }
        if !before && local.overflowing(now) {
            #[cfg(feature = "tracing")]
            tracing::warn!(
                target: TARGET,
                max_entries = self.max_entries,
                "revocation replica full: checks it cannot answer ask Redis"
            );
        }
    }
}

#[cfg(feature = "tracing")]
const TARGET: &str = "sealed_session::revocation";

/// The set: one map per kind of entry, each with its deadline.
#[derive(Debug, Default)]
struct Local {
    ids: HashMap<SessionId, Until>,
    /// A subject's cutoff, in whole Unix seconds.
    subjects: HashMap<String, (i64, Until)>,
    all: Option<(i64, Until)>,
    /// Until when entries left out past the cap could still be live.
    overflow: Option<Until>,
    swept: Option<Instant>,
}

impl Local {
    fn len(&self) -> usize {
        self.ids.len() + self.subjects.len() + usize::from(self.all.is_some())
    }

    fn overflowing(&self, now: Instant) -> bool {
        self.overflow.is_some_and(|until| live(until, now))
    }

    fn revokes(&self, meta: &SessionMeta, now: Instant) -> bool {
        let created = meta.created.unix_timestamp();
        meta.id
            .and_then(|id| self.ids.get(&id))
            .is_some_and(|t| live(*t, now))
            || meta
                .subject
                .as_ref()
                .and_then(|s| self.subjects.get(s))
                .is_some_and(|(before, t)| live(*t, now) && created_before(created, *before))
            || self
                .all
                .is_some_and(|(before, t)| live(t, now) && created_before(created, before))
    }

    /// Drops what has expired, at most once per [`SWEEP`].
    fn sweep(&mut self, now: Instant) {
        if self
            .swept
            .is_some_and(|at| now.saturating_duration_since(at) < SWEEP)
        {
            return;
        }
        self.swept = Some(now);
        self.ids.retain(|_, t| live(*t, now));
        self.subjects.retain(|_, (_, t)| live(*t, now));
        if self.all.is_some_and(|(_, t)| !live(t, now)) {
            self.all = None;
        }
        if self.overflow.is_some_and(|t| !live(t, now)) {
            self.overflow = None;
        }
    }

    /// Keeps the later cutoff and deadline, as the stores do; a new entry
    /// past the cap is left out and extends the overflow.
    fn insert(&mut self, entry: RevocationEntry, ttl_ms: u64, now: Instant, max: usize) {
        let until = now.checked_add(Duration::from_millis(ttl_ms));
        let later = |a: Until, b: Until| a.zip(b).map(|(a, b)| a.max(b));
        let is_new = match &entry {
            RevocationEntry::Session(id) => !self.ids.contains_key(id),
            RevocationEntry::Subject { subject, .. } => !self.subjects.contains_key(subject),
            RevocationEntry::All { .. } => self.all.is_none(),
        };
        if is_new && self.len() >= max {
            self.swept = None;
            self.sweep(now);
            if self.len() >= max {
                self.overflow = Some(self.overflow.map_or(until, |t| later(t, until)));
                return;
            }
        }
        match entry {
            RevocationEntry::Session(id) => {
                let t = self.ids.entry(id).or_insert(until);
                *t = later(*t, until);
            }
            RevocationEntry::Subject { subject, before } => {
                let before = before.unix_timestamp();
                let (b, t) = self.subjects.entry(subject).or_insert((before, until));
                *b = (*b).max(before);
                *t = later(*t, until);
            }
            RevocationEntry::All { before } => {
                let before = before.unix_timestamp();
                let (b, t) = self.all.get_or_insert((before, until));
                *b = (*b).max(before);
                *t = later(*t, until);
            }
        }
    }
}

/// Loads what is live: the newest stream id, the longest PTTL among the
/// entries left out past the cap (0 for none), the number of the last
/// announcement, then up to `ARGV[2]` entries named in `live` whose keys
/// still exist, as (name, value, PTTL) triples. Read only, and atomic: the
/// set and the stream's position agree. Keys: `log`, `live`, `seq`;
/// arguments: the hash tag, the cap.
const LOAD: &str = r"
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local id = '0-0'
if last[1] then id = last[1][1] end
local seq = tonumber(redis.call('GET', KEYS[3])) or 0
local out = {id, 0, seq}
local n = 0
local limit = tonumber(ARGV[2])
local over = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local k = ARGV[1] .. m
  local t = redis.call('PTTL', k)
  if t > 0 then
    if n < limit then
      local v = redis.call('GET', k)
      if v then
        n = n + 1
        out[#out + 1] = m
        out[#out + 1] = v
        out[#out + 1] = t
      end
    elseif t > over then
      over = t
    end
  end
end
out[2] = over
return out
";

/// The task that keeps [`Shared`] up to date.
struct Reader {
    shared: Arc<Shared>,
    source: Source,
    tag: String,
    timeout: Duration,
}

/// A stream id, `<ms>-<seq>`, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct StreamId(u64, u64);

impl StreamId {
    fn parse(s: &str) -> Option<Self> {
        let (ms, seq) = s.split_once('-')?;
        Some(Self(ms.parse().ok()?, seq.parse().ok()?))
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.0, self.1)
    }
}

/// Why the reader starts over.
enum Restart {
    Redis(redis::RedisError),
    Timeout,
    /// Entries were trimmed from the stream before this reader read them.
    Gap,
    /// A reply this reader does not understand.
    Reply,
}

impl fmt::Display for Restart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redis(e) => write!(f, "{e}"),
            Self::Timeout => f.write_str("no answer in time"),
            Self::Gap => f.write_str("fell behind the stream's length"),
            Self::Reply => f.write_str("unexpected reply"),
        }
    }
}

impl From<redis::RedisError> for Restart {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

impl Reader {
    /// A blocking read waits this long: four answers per bound.
    fn block(&self) -> Duration {
        self.shared.bound / 4
    }

    async fn run(self) {
        const FIRST: Duration = Duration::from_millis(10);
        // At most a quarter of the bound between attempts, so a Redis that
        // is back is found well within it.
        let longest = self.block().max(FIRST);
        let mut backoff = FIRST;
        loop {
            let started = Instant::now();
            let restart = match self.follow().await {
                Ok(never) => match never {},
                Err(restart) => restart,
            };
            #[cfg(feature = "tracing")]
            tracing::warn!(target: TARGET, reason = %restart, "revocation replica reconnecting");
            let _ = restart;
            // A connection that served for a while failed afresh: retry
            // soon; one that keeps failing: back off.
            if started.elapsed() > self.shared.bound {
                backoff = FIRST;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(longest);
        }
    }

    async fn bounded<T>(
        &self,
        within: Duration,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, Restart> {
        match tokio::time::timeout(within, call).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(Restart::Timeout),
        }
    }

    /// Connects, loads, follows; returns only to start over.
    async fn follow(&self) -> Result<std::convert::Infallible, Restart> {
        let block = self.block();
        let mut conn = self
            .bounded(
                self.timeout,
                self.source.dedicated(self.timeout, block + self.timeout),
            )
            .await?;
        let (mut last, mut seq) = self.load(&mut conn).await?;
        let block_ms = u64::try_from(block.as_millis()).unwrap_or(u64::MAX).max(1);
        let stream = format!("{}log", self.tag);
        loop {
            let mut cmd = redis::cmd("XREAD");
            cmd.arg("COUNT")
                .arg(BATCH)
                .arg("BLOCK")
                .arg(block_ms)
                .arg("STREAMS")
                .arg(&stream)
                .arg(last.to_string());
            let reply: Value = self
                .bounded(block + self.timeout, cmd.query_async(&mut conn))
                .await?;
            let now = Instant::now();
            let entries = stream_entries(&reply).ok_or(Restart::Reply)?;
            // Every write numbers its announcement: a number skipped is an
            // entry the stream dropped before this reader saw it (it fell
            // more than the stream's length behind), so reload.
            for read in &entries {
                if read.seq != seq + 1 {
                    return Err(Restart::Gap);
                }
                seq = read.seq;
            }
            if let Some(read) = entries.last() {
                last = read.id;
                self.shared
                    .lag_micros
                    .store(lag_of(last), Ordering::Relaxed);
            }
            #[cfg(feature = "tracing")]
            if !entries.is_empty() {
                tracing::debug!(target: TARGET, entries = entries.len(), lag = ?Duration::from_micros(lag_of(last)), "revocation replica applied");
            }
            self.shared
                .apply(entries.into_iter().filter_map(|read| read.entry), now);
            self.shared.write().sweep(now);
            self.shared.heard_now();
        }
    }

    /// Replaces the set with what Redis holds; the stream id to follow
    /// from and the number of the last announcement.
    async fn load(&self, conn: &mut Conn) -> Result<(StreamId, u64), Restart> {
        let started = Instant::now();
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(LOAD)
            .arg(3)
            .arg(format!("{}log", self.tag))
            .arg(format!("{}live", self.tag))
            .arg(format!("{}seq", self.tag))
            .arg(&self.tag)
            .arg(self.shared.max_entries);
        let reply: Vec<Value> = self.bounded(self.timeout, cmd.query_async(conn)).await?;
        let mut items = reply.iter();
        let last = items
            .next()
            .and_then(text)
            .and_then(StreamId::parse)
            .ok_or(Restart::Reply)?;
        let over = items.next().and_then(integer).ok_or(Restart::Reply)?;
        let seq = items.next().and_then(integer).ok_or(Restart::Reply)?;
        let now = Instant::now();
        let mut fresh = Local::default();
        let rest: Vec<&Value> = items.collect();
        for triple in rest.chunks_exact(3) {
            let parsed = text(triple[0]).zip(text(triple[1])).zip(integer(triple[2]));
            if let Some(entry) =
                parsed.and_then(|((name, value), ttl)| parse_entry(name, value, ttl))
            {
                fresh.insert(entry.0, entry.1, now, usize::MAX);
            }
        }
        if over > 0 {
            fresh.overflow = Some(now.checked_add(Duration::from_millis(over)));
            #[cfg(feature = "tracing")]
            tracing::warn!(
                target: TARGET,
                max_entries = self.shared.max_entries,
                "revocation replica full at load: checks it cannot answer ask Redis"
            );
        }
        fresh.swept = Some(now);
        let took = started.elapsed();
        #[cfg(feature = "tracing")]
        tracing::info!(target: TARGET, entries = fresh.len(), took = ?took, "revocation replica loaded");
        *self.shared.write() = fresh;
        self.shared.lag_micros.store(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX - 1),
            Ordering::Relaxed,
        );
        self.shared.heard_now();
        Ok((last, seq))
    }
}

/// How long ago (µs, by this host's clock) Redis stamped `id`.
fn lag_of(id: StreamId) -> u64 {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    now_ms
        .saturating_sub(id.0)
        .saturating_mul(1000)
        .min(u64::MAX - 1)
}

fn text(v: &Value) -> Option<&str> {
    match v {
        Value::BulkString(b) => std::str::from_utf8(b).ok(),
        Value::SimpleString(s) => Some(s),
        _ => None,
    }
}

fn integer(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        other => text(other)?.parse().ok(),
    }
}

/// The (key, value) pairs of a flat array or a map reply.
fn pairs(v: &Value) -> Option<Box<dyn Iterator<Item = (&str, &Value)> + '_>> {
    match v {
        Value::Array(items) => Some(Box::new(
            items
                .chunks_exact(2)
                .filter_map(|kv| Some((text(&kv[0])?, &kv[1]))),
        )),
        Value::Map(items) => Some(Box::new(
            items.iter().filter_map(|(k, v)| Some((text(k)?, v))),
        )),
        _ => None,
    }
}

/// One announcement read from the stream.
#[derive(Debug, PartialEq, Eq)]
struct Read {
    id: StreamId,
    /// Its number, one more than the previous announcement's.
    seq: u64,
    /// The entry and its TTL in ms; `None` for a kind this version does
    /// not know (skipped, its number still counted).
    entry: Option<(RevocationEntry, u64)>,
}

/// The entries of an `XREAD` reply on one stream: `Nil` (none within the
/// block time) or `[[stream, [[id, [field, value, ...]], ...]]]`; `None`
/// for anything else, or an entry without its number.
fn stream_entries(reply: &Value) -> Option<Vec<Read>> {
    let streams = match reply {
        Value::Nil => return Some(Vec::new()),
        Value::Array(streams) => streams,
        _ => return None,
    };
    let mut out = Vec::new();
    for stream in streams {
        let Value::Array(pair) = stream else {
            return None;
        };
        let Some(Value::Array(entries)) = pair.get(1) else {
            return None;
        };
        for entry in entries {
            let Value::Array(entry) = entry else {
                return None;
            };
            let id = entry.first().and_then(text).and_then(StreamId::parse)?;
            let fields = entry.get(1).and_then(pairs)?;
            let (mut k, mut v, mut t, mut n) = (None, None, None, None);
            for (field, value) in fields {
                match field {
                    "k" => k = text(value),
                    "v" => v = text(value),
                    "t" => t = integer(value),
                    "n" => n = integer(value),
                    _ => {}
                }
            }
            out.push(Read {
                id,
                seq: n?,
                entry: k.zip(v).zip(t).and_then(|((k, v), t)| parse_entry(k, v, t)),
            });
        }
    }
    Some(out)
}

/// An entry from its name (`sid:<hex>`, `sub:<hex>`, `all`), its stored
/// value and its TTL in ms.
fn parse_entry(name: &str, value: &str, ttl: u64) -> Option<(RevocationEntry, u64)> {
    let entry = if let Some(hex) = name.strip_prefix("sid:") {
        let bytes = unhex(hex)?;
        RevocationEntry::Session(SessionId::from_bytes(bytes.try_into().ok()?))
    } else {
        let before = instant(value.parse().ok()?);
        if let Some(hex) = name.strip_prefix("sub:") {
            RevocationEntry::Subject {
                subject: String::from_utf8(unhex(hex)?).ok()?,
                before,
            }
        } else if name == "all" {
            RevocationEntry::All { before }
        } else {
            return None;
        }
    };
    Some((entry, ttl))
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn meta(id: [u8; 16], subject: Option<&str>, created: i64) -> SessionMeta {
        SessionMeta {
            id: Some(SessionId::from_bytes(id)),
            created: OffsetDateTime::from_unix_timestamp(created).unwrap(),
            subject: subject.map(str::to_owned),
            expires: OffsetDateTime::from_unix_timestamp(created + 3600).unwrap(),
        }
    }

    #[test]
    fn names_round_trip_to_entries() {
        let id = SessionId::from_bytes([0xab; 16]);
        let entry = RevocationEntry::Session(id);
        let parsed = parse_entry(&super::super::redis::name(&entry), "1", 5).unwrap();
        assert_eq!(parsed, (entry, 5));
        let subject = RevocationEntry::Subject {
            subject: "user:42 é".into(),
            before: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        };
        let name = super::super::redis::name(&subject);
        assert_eq!(parse_entry(&name, "1700000000", 7).unwrap(), (subject, 7));
        let all = RevocationEntry::All {
            before: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        };
        assert_eq!(parse_entry("all", "1700000000", 9).unwrap(), (all, 9));
        // What a newer writer might add, or garbage: skipped, no panic.
        for (name, value) in [
            ("sid:abc", "1"),
            ("sid:zz", "1"),
            ("sub:e", "1"),
            ("sub:ff", "1"),
            ("all", "x"),
            ("what", "1"),
            ("sid:é", "1"),
        ] {
            assert_eq!(parse_entry(name, value, 1), None, "{name}");
        }
    }

    #[test]
    fn stream_replies_parse_and_nil_is_a_heartbeat() {
        assert_eq!(stream_entries(&Value::Nil).unwrap(), vec![]);
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("{p}log"),
            Value::Array(vec![
                Value::Array(vec![
                    bulk("1700000000000-3"),
                    Value::Array(vec![
                        bulk("k"),
                        bulk("all"),
                        bulk("v"),
                        bulk("1700000000"),
                        bulk("t"),
                        bulk("60000"),
                        bulk("n"),
                        bulk("7"),
                    ]),
                ]),
                Value::Array(vec![
                    bulk("1700000000001-0"),
                    Value::Array(vec![
                        bulk("k"),
                        bulk("new:kind"),
                        bulk("v"),
                        bulk("1"),
                        bulk("t"),
                        bulk("1"),
                        bulk("n"),
                        bulk("8"),
                    ]),
                ]),
            ]),
        ])]);
        let entries = stream_entries(&reply).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].id, StreamId(1_700_000_000_000, 3));
        assert_eq!(entries[0].seq, 7);
        assert_eq!(entries[0].entry.as_ref().unwrap().1, 60_000);
        // An unknown kind is skipped but keeps its number.
        assert_eq!((entries[1].seq, &entries[1].entry), (8, &None));
        assert_eq!(stream_entries(&Value::Int(1)), None);
        // An entry without its number cannot be checked for a gap.
        let unnumbered = Value::Array(vec![Value::Array(vec![
            bulk("{p}log"),
            Value::Array(vec![Value::Array(vec![
                bulk("1-0"),
                Value::Array(vec![bulk("k"), bulk("all")]),
            ])]),
        ])]);
        assert_eq!(stream_entries(&unnumbered), None);
        assert!(StreamId(5, 0) > StreamId(4, 9));
        assert_eq!(StreamId::parse("12-3"), Some(StreamId(12, 3)));
        assert_eq!(StreamId(12, 3).to_string(), "12-3");
    }

    #[test]
    fn the_set_expires_entries_and_overflows_past_its_cap() {
        let now = Instant::now();
        let mut local = Local::default();
        let id = |n: u8| RevocationEntry::Session(SessionId::from_bytes([n; 16]));
        local.insert(id(1), 1_000, now, 2);
        local.insert(id(2), 60_000, now, 2);
        assert!(local.revokes(&meta([1; 16], None, 0), now));
        assert!(!local.overflowing(now));
        // A third entry past the cap of two is left out; the overflow lasts
        // as long as it would have.
        local.insert(id(3), 5_000, now, 2);
        assert_eq!(local.len(), 2);
        assert!(!local.revokes(&meta([3; 16], None, 0), now));
        assert!(local.overflowing(now + Duration::from_millis(4_900)));
        assert!(!local.overflowing(now + Duration::from_millis(5_100)));
        // An update of a held entry is no new entry.
        local.insert(id(2), 120_000, now, 2);
        assert_eq!(local.len(), 2);
        // Once the first has expired, a new one takes its place.
        let later = now + Duration::from_millis(1_500);
        assert!(!local.revokes(&meta([1; 16], None, 0), later));
        local.insert(id(4), 5_000, later, 2);
        assert!(local.revokes(&meta([4; 16], None, 0), later));
        assert_eq!(local.len(), 2);
        // The same-second rule for subjects and everyone.
        let cut = OffsetDateTime::from_unix_timestamp(100).unwrap();
        local.insert(
            RevocationEntry::Subject {
                subject: "u".into(),
                before: cut,
            },
            5_000,
            later,
            10,
        );
        assert!(local.revokes(&meta([9; 16], Some("u"), 99), later));
        assert!(!local.revokes(&meta([9; 16], Some("u"), 100), later));
        assert!(!local.revokes(&meta([9; 16], Some("v"), 99), later));
    }

    #[test]
    fn bytes_per_entry_as_documented() {
        // The id table's slot: the id and its deadline (one control byte
        // per slot besides, the table 7/16 to 7/8 full: 38 to 76 bytes).
        assert_eq!(std::mem::size_of::<(SessionId, Until)>(), 32);
        assert_eq!(std::mem::size_of::<(String, (i64, Until))>(), 48);
    }
}
