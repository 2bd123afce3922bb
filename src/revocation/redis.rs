//! A [`Revocation`] store in Redis (feature `redis`), shared by every server.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{BoxFuture, Revocation, RevocationError, Revoke, SessionMeta};

/// Revocations in Redis, through the `redis` crate's async client and its
/// reconnecting [`ConnectionManager`] (a Tokio runtime is required).
///
/// Every entry is written with a Redis TTL equal to the longest the
/// sessions it revokes can still live, so Redis holds only live
/// revocations: its size is bounded by the logouts of one session lifetime,
/// not by the number of users. A check is one `MGET` of at most three keys:
/// one round trip per load, no local cache (so no staleness: a revocation
/// written on one server is seen by the next load on any other).
///
/// Keys, under a prefix (default `sealed-session:`): `sid:<32 hex>` for a
/// session id, `sub:<subject>` and `all` holding the Unix second before
/// which sessions are revoked.
///
/// Every call is bounded by [`timeout`](Self::timeout) (default 250 ms)
/// and then fails with [`RevocationError::Timeout`]; what a failed check
/// means is the [`FailurePolicy`](crate::FailurePolicy)'s decision.
///
/// ```no_run
/// use sealed_session::{Key, Keyring, RedisRevocations, Revocations, SessionConfig};
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
    conn: ConnectionManager,
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

const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

impl RedisRevocations {
    /// A store at `url` (`redis://host:port/db`). The connection is made on
    /// first use and remade after a failure, so a server can start while
    /// Redis is down. Call it inside a Tokio runtime.
    ///
    /// # Errors
    ///
    /// [`RevocationError::Store`] for a URL the client does not accept.
    pub fn new(url: &str) -> Result<Self, RevocationError> {
        let client = redis::Client::open(url).map_err(store_error)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_TIMEOUT))
            .set_response_timeout(Some(DEFAULT_TIMEOUT))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(store_error)?;
        Ok(Self {
            conn,
            prefix: "sealed-session:".to_owned(),
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// The prefix of every key (default `sealed-session:`), to share one
    /// Redis between applications.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The longest a call may take (default 250 ms).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn key(&self, entry: &Revoke) -> String {
        match entry {
            Revoke::Session(id) => format!("{}sid:{id}", self.prefix),
            Revoke::Subject { subject, .. } => format!("{}sub:{subject}", self.prefix),
            Revoke::All { .. } => format!("{}all", self.prefix),
        }
    }

    async fn bounded<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, RevocationError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result.map_err(store_error),
            Err(_) => Err(RevocationError::Timeout(self.timeout)),
        }
    }
}

fn store_error(e: redis::RedisError) -> RevocationError {
    RevocationError::Store(Box::new(e))
}

impl Revocation for RedisRevocations {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("MGET");
            let has_id = meta.id.is_some();
            if let Some(id) = meta.id {
                cmd.arg(self.key(&Revoke::Session(id)));
            }
            if let Some(subject) = &meta.subject {
                cmd.arg(self.key(&Revoke::Subject {
                    subject: subject.clone(),
                    before: 0,
                }));
            }
            cmd.arg(self.key(&Revoke::All { before: 0 }));
            let mut conn = self.conn.clone();
            let values: Vec<Option<i64>> = self.bounded(cmd.query_async(&mut conn)).await?;
            let mut values = values.into_iter();
            if has_id && values.next().flatten().is_some() {
                return Ok(true);
            }
            // The subject's and the global "before" instants.
            Ok(values.flatten().any(|before| meta.created <= before))
        })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a Revoke,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async move {
            let value = match entry {
                Revoke::Session(_) => 1,
                Revoke::Subject { before, .. } | Revoke::All { before } => *before,
            };
            let mut conn = self.conn.clone();
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(entry))
                .arg(value)
                .arg("EX")
                .arg(ttl.as_secs().max(1));
            self.bounded(cmd.query_async::<()>(&mut conn)).await
        })
    }
}
