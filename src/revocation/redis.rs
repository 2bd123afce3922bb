//! A [`RevocationStore`] in Redis (feature `redis`), shared by every server.

use std::fmt::Write as _;
use std::time::Duration;

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster::{ClusterClient, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::{BoxFuture, RevocationEntry, RevocationError, RevocationStore, SessionMeta};

/// Revocations in Redis, through the `redis` crate's async client and its
/// reconnecting [`ConnectionManager`] (a Tokio runtime is required), on one
/// Redis or Valkey server or on a Redis Cluster ([`cluster`](Self::cluster)).
///
/// Every entry is written with a Redis TTL equal to the longest the
/// sessions it revokes can still live, so Redis holds only live
/// revocations: its size is bounded by the logouts of one session lifetime,
/// not by the number of users. A check is one `MGET` of at most three keys:
/// one round trip per load, no local cache (so no staleness: a revocation
/// written on one server is seen by the next load on any other). For no
/// round trip per load, see [`RedisReplica`](super::RedisReplica), which
/// writes the same keys.
///
/// Keys, under a prefix (default `sealed-session:`) written as a hash tag
/// `{prefix}` so that every key of one deployment lives in one Redis
/// Cluster slot (the `MGET` and the write script are multi-key commands):
/// `{prefix}sid:<32 hex>` for a session id, `{prefix}sub:<subject in hex>`
/// and `{prefix}all` holding the Unix second before which sessions are
/// revoked; beside them `{prefix}live`, a sorted set naming the live
/// entries, `{prefix}log`, a stream announcing each write, and
/// `{prefix}seq`, the number of the last announcement (read by the
/// replica). Hex (only `0-9a-f` after the last `:`) keeps every subject
/// apart from the global key and from the keys of any other prefix.
///
/// Writes never lower what is stored: a Lua script keeps the later cutoff
/// and the longer TTL, atomically, so a server whose clock runs behind
/// cannot un-revoke sessions that another revoked. TTLs are clamped to
/// [`MAX_TTL`](Self::MAX_TTL).
///
/// Every call is bounded by [`timeout`](Self::timeout) (default 250 ms)
/// and then fails with [`RevocationError::Timeout`]; what a failed check
/// means is the [`FailurePolicy`](super::FailurePolicy)'s decision.
///
/// ```no_run
/// use sealed_session::revocation::{RedisRevocations, Revocations};
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .session_ids(true)
///     .build()?;
/// let store = RedisRevocations::new("redis://127.0.0.1:6379/")?
///     .timeout(std::time::Duration::from_millis(100));
/// let revocations = Revocations::new(store, &config);
/// # let _ = revocations;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisRevocations {
    source: Source,
    conn: Conn,
    prefix: String,
    timeout: Duration,
}

impl std::fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// Where the connections go: one server, or a cluster.
#[derive(Clone)]
pub(super) enum Source {
    Single(redis::Client),
    // Boxed: a cluster client is twice a client's size, and rare.
    Cluster(Box<ClusterClient>),
}

impl Source {
    pub(super) fn single(url: &str) -> Result<Self, RevocationError> {
        redis::Client::open(url)
            .map(Self::Single)
            .map_err(store_error)
    }

    pub(super) fn cluster<'a>(
        urls: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, RevocationError> {
        let urls: Vec<&str> = urls.into_iter().collect();
        ClusterClient::new(urls)
            .map(|c| Self::Cluster(Box::new(c)))
            .map_err(store_error)
    }

    /// A lazily connecting, reconnecting connection whose own timeouts are
    /// `timeout`, so that [`RedisRevocations::bounded`] is the only limit.
    fn shared(&self, timeout: Duration) -> Result<Conn, RevocationError> {
        match self {
            Self::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1);
                ConnectionManager::new_lazy_with_config(client.clone(), config)
                    .map(Conn::Manager)
                    .map_err(store_error)
            }
            Self::Cluster(client) => Ok(Conn::Cluster(
                client.get_pending_async_connection_with_config(
                    ClusterConfig::new()
                        .set_connection_timeout(timeout)
                        .set_response_timeout(timeout),
                ),
            )),
        }
    }

    /// A connection of its own, for blocking reads: a blocked command would
    /// hold up every other command multiplexed on a shared one.
    pub(super) async fn dedicated(
        &self,
        connect: Duration,
        response: Duration,
    ) -> redis::RedisResult<Conn> {
        match self {
            Self::Single(client) => {
                let config = redis::AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(connect))
                    .set_response_timeout(Some(response));
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map(Conn::Multiplexed)
            }
            Self::Cluster(client) => client
                .get_async_connection_with_config(
                    ClusterConfig::new()
                        .set_connection_timeout(connect)
                        .set_response_timeout(response),
                )
                .await
                .map(Conn::Cluster),
        }
    }
}

/// One of the connections the `redis` crate offers, as one type.
#[derive(Clone)]
pub(super) enum Conn {
    Manager(ConnectionManager),
    Multiplexed(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Manager(c) => c.req_packed_command(cmd),
            Self::Multiplexed(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Manager(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Multiplexed(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Manager(c) => c.get_db(),
            Self::Multiplexed(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

/// How many announcements the stream keeps (approximately, `MAXLEN ~`):
/// a replica that falls further behind notices the gap and reloads.
pub(super) const STREAM_LEN: usize = 10_000;

/// Keeps the larger cutoff (or marker) and the longer TTL of the stored
/// entry and the new one, in one atomic step. Redis 7 has no `SET ... GT`
/// for strings. `PTTL` is -2 for a missing key and -1 for one without a
/// TTL; either is shorter than any `ttl` written here.
///
/// In the same step, names the entry in the `live` sorted set (scored by
/// its expiry on Redis's clock, expired names dropped) and announces the
/// result on the `log` stream, numbered by the `seq` counter, so a
/// replica's snapshot (`live`) and its tail (`log`) never miss a write
/// between them, and a replica sees a number skipped when the stream
/// dropped an entry it had not read. Keys: the entry, `live`, `log`, `seq`;
/// arguments: value, TTL in ms, the entry's name (its key after the hash
/// tag), the stream's length.
const KEEP_MAX: &str = r"
local b = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur > b then b = cur end
local left = redis.call('PTTL', KEYS[1])
if left > ttl then ttl = left end
redis.call('SET', KEYS[1], b, 'PX', ttl)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local n = redis.call('INCR', KEYS[4])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'k', ARGV[3], 'v', b, 't', ttl, 'n', n)
return 1
";

impl RedisRevocations {
    /// The longest TTL written: about 8,900 years, far below what Redis
    /// rejects (an expiry past `i64::MAX` milliseconds), so a
    /// `horizon(Duration::MAX)` or an `Expiry::Idle(Duration::MAX)` session
    /// still gets an entry.
    ///
    /// ```
    /// use sealed_session::revocation::RedisRevocations;
    /// use std::time::Duration;
    ///
    /// let years = RedisRevocations::MAX_TTL.as_secs() / (365 * 24 * 3600);
    /// assert_eq!(years, 8_925);
    /// assert!(RedisRevocations::MAX_TTL.as_millis() < i64::MAX as u128);
    /// ```
    pub const MAX_TTL: Duration = Duration::from_millis(1 << 48);

    /// A store at `url` (`redis://host:port/db`). The connection is made on
    /// first use and remade after a failure, so a server can start while
    /// Redis is down. Call it inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Store`] for a URL the client does not accept.
    ///
    /// ```
    /// use sealed_session::revocation::{RedisRevocations, RevocationError};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), RevocationError> {
    /// // Nothing is sent until the first check or write.
    /// let store = RedisRevocations::new("redis://:hunter2@127.0.0.1:6379/0")?;
    /// // `Debug` shows the settings, never the URL and its password.
    /// let debug = format!("{store:?}");
    /// assert!(debug.contains("sealed-session:") && !debug.contains("hunter2"));
    ///
    /// assert!(matches!(RedisRevocations::new("not a url"), Err(RevocationError::Store(_))));
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(url: &str) -> Result<Self, RevocationError> {
        Self::from_source(Source::single(url)?)
    }

    /// A store on a Redis Cluster reached through any of `urls` (one node
    /// is enough, the client discovers the others). Every key of one prefix
    /// hashes to one slot. Call it inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Store`] for URLs the client does not accept.
    ///
    /// ```no_run
    /// use sealed_session::revocation::RedisRevocations;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = RedisRevocations::cluster(["redis://10.0.0.1:7000/", "redis://10.0.0.2:7000/"])?;
    /// # let _ = store;
    /// # Ok(())
    /// # }
    /// ```
    pub fn cluster<'a>(urls: impl IntoIterator<Item = &'a str>) -> Result<Self, RevocationError> {
        Self::from_source(Source::cluster(urls)?)
    }

    pub(super) fn from_source(source: Source) -> Result<Self, RevocationError> {
        let conn = source.shared(DEFAULT_TIMEOUT)?;
        Ok(Self {
            source,
            conn,
            prefix: "sealed-session:".to_owned(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The prefix of every key (default `sealed-session:`), to share one
    /// Redis between applications.
    ///
    /// ```
    /// use sealed_session::revocation::RedisRevocations;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = RedisRevocations::new("redis://127.0.0.1:6379/")?.prefix("shop:");
    /// assert!(format!("{store:?}").contains(r#"prefix: "shop:""#));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a call may take (default 250 ms), shorter or longer: the
    /// connection is remade with this connection and response timeout, so
    /// the client's own limits do not cut it short. Call it inside a Tokio
    /// runtime.
    ///
    /// ```
    /// use sealed_session::revocation::RedisRevocations;
    /// use std::time::Duration;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store = RedisRevocations::new("redis://127.0.0.1:6379/")?;
    /// assert!(format!("{store:?}").contains("timeout: 250ms"), "the default");
    /// let store = store.timeout(Duration::from_millis(50));
    /// assert!(format!("{store:?}").contains("timeout: 50ms"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        // The manager is refused only for a push configuration this store
        // never sets; were it refused, the old one stays and the new bound
        // still applies to every call.
        if let Ok(conn) = self.source.shared(timeout) {
            self.conn = conn;
        }
        self.timeout = timeout;
        self
    }

    fn key(&self, entry: &RevocationEntry) -> String {
        key(&self.prefix, entry)
    }

    pub(super) fn prefix_str(&self) -> &str {
        &self.prefix
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RevocationError> {
        // The client's own timeouts are the same length and may fire first:
        // either way the store did not answer in time.
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Err(e)) if e.is_timeout() => Err(RevocationError::Timeout(self.timeout)),
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(RevocationError::Timeout(self.timeout)),
        }
    }
}

/// The hash tag of every key under `prefix`: `{prefix}`. Whatever braces
/// the prefix holds, Redis takes the tag from the first `{` (the first
/// byte) to the first `}` after it, which lies inside this string: every
/// key of one prefix has the same tag.
pub(super) fn tag(prefix: &str) -> String {
    format!("{{{prefix}}}")
}

/// The key of `entry` under `prefix`: the [`tag`], then its [`name`].
/// A name ends in hex after its last `:` (an id or a subject) or is `all`,
/// and no prefix reaches past the tag's last `}`, so no two (prefix,
/// entry) pairs share a key unless both are equal.
fn key(prefix: &str, entry: &RevocationEntry) -> String {
    let mut key = tag(prefix);
    key.push_str(&name(entry));
    key
}

/// An entry's key after the hash tag: `sid:<hex>`, `sub:<hex>` or `all`.
pub(super) fn name(entry: &RevocationEntry) -> String {
    match entry {
        RevocationEntry::Session(id) => format!("sid:{id}"),
        RevocationEntry::Subject { subject, .. } => subject_name(subject),
        RevocationEntry::All { .. } => "all".to_owned(),
    }
}

fn subject_name(subject: &str) -> String {
    let mut name = String::with_capacity(4 + 2 * subject.len());
    name.push_str("sub:");
    for b in subject.bytes() {
        let _ = write!(name, "{b:02x}");
    }
    name
}

fn subject_key(prefix: &str, subject: &str) -> String {
    let mut key = tag(prefix);
    key.push_str(&subject_name(subject));
    key
}

pub(super) fn store_error(e: redis::RedisError) -> RevocationError {
    RevocationError::Store(Box::new(e))
}

/// A TTL in whole milliseconds, at least one, at most
/// [`RedisRevocations::MAX_TTL`].
pub(super) fn ttl_millis(ttl: Duration) -> u64 {
    let ms = ttl.min(RedisRevocations::MAX_TTL).as_millis();
    u64::try_from(ms).unwrap_or(u64::MAX).max(1)
}

impl RevocationStore for RedisRevocations {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("MGET");
            let has_id = meta.id.is_some();
            if let Some(id) = meta.id {
                cmd.arg(self.key(&RevocationEntry::Session(id)));
            }
            if let Some(subject) = &meta.subject {
                cmd.arg(subject_key(&self.prefix, subject));
            }
            let mut all = tag(&self.prefix);
            all.push_str("all");
            cmd.arg(all);
            let mut conn = self.conn.clone();
            let values: Vec<Option<i64>> = self.bounded(cmd.query_async(&mut conn)).await?;
            let mut values = values.into_iter();
            if has_id && values.next().flatten().is_some() {
                return Ok(true);
            }
            // The subject's and the global cutoffs, by the crate's one
            // same-second rule.
            let created = meta.created.unix_timestamp();
            Ok(values
                .flatten()
                .any(|before| super::created_before(created, before)))
        })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a RevocationEntry,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            let value = match entry {
                RevocationEntry::Session(_) => 1,
                RevocationEntry::Subject { before, .. } | RevocationEntry::All { before } => {
                    before.unix_timestamp()
                }
            };
            let mut conn = self.conn.clone();
            let tag = tag(&self.prefix);
            let name = name(entry);
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(KEEP_MAX)
                .arg(4)
                .arg(format!("{tag}{name}"))
                .arg(format!("{tag}live"))
                .arg(format!("{tag}log"))
                .arg(format!("{tag}seq"))
                .arg(value)
                .arg(ttl_millis(ttl))
                .arg(name)
                .arg(STREAM_LEN);
            self.bounded(cmd.query_async::<()>(&mut conn)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_saturate_below_what_redis_rejects() {
        assert_eq!(ttl_millis(Duration::MAX), 1 << 48);
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_secs(90)), 90_000);
        // Redis rejects an expiry past i64::MAX milliseconds from now.
        let now_ms = 1_800_000_000_000_u64;
        assert!(now_ms + (1 << 48) < i64::MAX.unsigned_abs());
    }

    #[test]
    fn subjects_never_alias_the_global_key_or_another_prefix() {
        let all = |prefix: &str| {
            key(
                prefix,
                &RevocationEntry::All {
                    before: time::OffsetDateTime::UNIX_EPOCH,
                },
            )
        };
        let sub = |prefix: &str, subject: &str| {
            key(
                prefix,
                &RevocationEntry::Subject {
                    subject: subject.into(),
                    before: time::OffsetDateTime::UNIX_EPOCH,
                },
            )
        };
        // The issue's case: `app:` + subject `all` was the global key of
        // prefix `app:sub:`.
        assert_ne!(sub("app:", "all"), all("app:sub:"));
        assert_eq!(sub("app:", "all"), "{app:}sub:616c6c");
        // Braces in a prefix: the tag still ends inside `{prefix}`, and
        // the keys stay apart.
        assert_ne!(sub("a}sub:", "ab"), sub("a", "ab"));
        assert_ne!(all("a}sub:"), sub("a", ""));
        assert_ne!(sub("app:", ""), all("app:sub"));
        assert_ne!(sub("a:", "b:sub:c"), sub("a:sub:62", "c"));
        let id = crate::SessionId::from_bytes([7; 16]);
        assert_ne!(
            key("p:", &RevocationEntry::Session(id)),
            sub("p:", &"\u{7}".repeat(16))
        );
    }
}
