//! The load decision: which candidate cookie becomes the session, and the
//! status that says why when none does.

use std::cell::Cell;
use std::fmt;

use zeroize::Zeroizing;

use super::{Session, SessionId};
use crate::envelope::{self, Data, Envelope, Identity};
use crate::lifetime::{CLOCK_SKEW_SECS, Lifetimes};
use crate::seal::{MalformedReason, OpenError};

/// What a configuration says about loading: the request time and the
/// rules a cookie must meet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadRules {
    /// The request time, Unix seconds.
    pub(crate) now: i64,
    pub(crate) lifetimes: Lifetimes,
    /// Sessions created before this Unix second are revoked.
    pub(crate) not_before: Option<i64>,
    /// Whether sessions carry an id (for revocation).
    pub(crate) ids: bool,
}

/// What became of the candidate cookies offered to a [`Loader`].
pub(crate) struct Loader {
    rules: LoadRules,
    seen: bool,
    expired: bool,
    /// A candidate was created before the configured `not_before`.
    revoked: bool,
    /// Not every cookie was examined (scan budget or candidate limit).
    cut: bool,
    first_error: Option<InvalidReason>,
    /// The chunk cookies the request carried (bit `k` for `{name}.k`).
    chunks_carried: u8,
}

impl Loader {
    pub(crate) fn new(rules: LoadRules) -> Self {
        Self {
            rules,
            seen: false,
            expired: false,
            revoked: false,
            cut: false,
            first_error: None,
            chunks_carried: 0,
        }
    }

    /// The chunk cookies the request carried (bit `k` for `{name}.k`),
    /// whether or not they made a session: the session keeps them so that
    /// `save` can remove those it no longer uses.
    pub(crate) fn carried_chunks(&mut self, chunks: u8) {
        self.chunks_carried = chunks;
    }

    /// A candidate that did not open (or was not even text).
    pub(crate) fn reject(&mut self, reason: InvalidReason) {
        self.seen = true;
        self.first_error.get_or_insert(reason);
    }

    /// Not every cookie of the request was examined: the scan budget cut a
    /// header, or more candidates came than are tried.
    pub(crate) fn cut(&mut self) {
        self.cut = true;
    }

    /// An opened candidate: the session if its envelope decodes and is live.
    pub(crate) fn offer(
        &mut self,
        plaintext: Zeroizing<Vec<u8>>,
        used_fallback: bool,
    ) -> Option<Session> {
        self.seen = true;
        let Some(env) = envelope::decode(plaintext) else {
            self.first_error.get_or_insert(InvalidReason::BadPayload);
            return None;
        };
        let rules = &self.rules;
        // Sealed "later" than now by more than the skew: a clock bug or a
        // forged time; honoured, it would escape `not_before` and every
        // revocation that compares creation times.
        let horizon = rules.now.saturating_add(CLOCK_SKEW_SECS);
        if env.created > horizon || env.sealed > horizon {
            self.first_error.get_or_insert(InvalidReason::FromTheFuture);
            return None;
        }
        if !rules
            .lifetimes
            .is_live(env.created, env.expires, env.sealed, env.expiry, rules.now)
        {
            self.expired = true;
            return None;
        }
        if rules.not_before.is_some_and(|t| env.created < t) {
            self.revoked = true;
            return None;
        }
        let mut session = Session::loaded(env, self.rules, used_fallback);
        session.chunks_carried = self.chunks_carried;
        Some(session)
    }

    /// No candidate gave a session: a new, empty one whose status says why.
    /// A cookie that was not examined is never deleted, so after a cut the
    /// session does not count as having had one (save rule 1).
    pub(crate) fn finish(self) -> Session {
        let status = if self.cut {
            Status::Truncated
        } else if self.revoked {
            Status::Revoked
        } else if self.expired {
            Status::Expired
        } else if let Some(reason) = self.first_error {
            Status::Invalid(reason)
        } else {
            Status::New
        };
        let mut session = Session::fresh(self.rules, status, self.seen && !self.cut);
        session.chunks_carried = self.chunks_carried;
        session
    }
}

/// How the session came to be, as [`load`](crate::load) found it.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let session = sealed_session::load(&config, &http::Request::new(()));
/// assert_eq!(session.status(), Status::New);
/// assert_eq!(session.status().as_str(), "new");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Status {
    /// The request carried no session cookie.
    New,
    /// A valid cookie was loaded.
    Loaded,
    /// A valid cookie sealed with a fallback key was loaded; the next save
    /// re-seals it with the primary key.
    LoadedWithFallback,
    /// The cookie was valid but past its expiry (or the absolute timeout): the
    /// session starts empty.
    Expired,
    /// The cookie could not be used: the session starts empty.
    Invalid(InvalidReason),
    /// No valid cookie was found, but not every cookie was examined: the
    /// `Cookie` headers exceeded the scan budget
    /// ([`MAX_SCAN_BYTES`](crate::cookies::MAX_SCAN_BYTES)), or more cookies bore the
    /// session's name than are tried
    /// ([`MAX_CANDIDATES`](crate::cookies::MAX_CANDIDATES)). The session starts
    /// empty, and `save` never removes a cookie it did not examine (only an
    /// explicit [`Session::flush`] does).
    Truncated,
    /// The cookie was valid but its session has been revoked: created before
    /// the configured
    /// [`not_before`](crate::SessionConfigBuilder::not_before), or found in
    /// a revocation store (see [`Revocations`](crate::revocation::Revocations)). The
    /// session starts empty and `save` removes the cookie.
    Revoked,
    /// A valid cookie whose revocation status could not be learnt (the
    /// revocation store failed, under the default fail-closed policy): the
    /// session is not honoured for this request and starts empty, but the
    /// cookie is left alone. `save` neither removes it nor seals anything
    /// over it (unless the app flushes or renews), so the user is signed
    /// in again as soon as the store answers.
    Unverified,
}

impl Status {
    /// A short, stable name for logs and metrics: `new`, `loaded`,
    /// `loaded-with-fallback`, `expired`, `invalid`, `truncated`, `revoked`,
    /// `unverified`.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let request = http::Request::builder().header("cookie", "session=forged").body(())?;
    /// let status = sealed_session::load(&config, &request).status();
    /// assert_eq!(status.as_str(), "invalid"); // a metric label; Display adds the reason
    /// assert_eq!(Status::LoadedWithFallback.as_str(), "loaded-with-fallback");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Loaded => "loaded",
            Status::LoadedWithFallback => "loaded-with-fallback",
            Status::Expired => "expired",
            Status::Invalid(_) => "invalid",
            Status::Truncated => "truncated",
            Status::Revoked => "revoked",
            Status::Unverified => "unverified",
        }
    }

    /// `true` for [`Status::Loaded`] and [`Status::LoadedWithFallback`].
    ///
    /// ```
    /// use sealed_session::{InvalidReason, Status};
    ///
    /// assert!(Status::Loaded.is_loaded());
    /// assert!(Status::LoadedWithFallback.is_loaded());
    /// assert!(!Status::New.is_loaded());
    /// assert!(!Status::Invalid(InvalidReason::Tampered).is_loaded());
    /// ```
    #[must_use]
    pub fn is_loaded(self) -> bool {
        matches!(self, Status::Loaded | Status::LoadedWithFallback)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Invalid(reason) => write!(f, "invalid: {reason}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Why a session cookie was rejected.
///
/// ```
/// use sealed_session::{InvalidReason, Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let other_app = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&other_app, &http::Request::new(()));
/// session.insert("user", &1u8)?;
/// let mut response = http::Response::new(());
/// sealed_session::save(&other_app, &session, &mut response)?;
/// let set_cookie = response.headers()["set-cookie"].to_str()?;
/// let cookie = set_cookie.split(';').next().unwrap();
/// let request = http::Request::builder().header("cookie", cookie).body(())?;
/// let loaded = sealed_session::load(&config, &request);
/// assert_eq!(loaded.status(), Status::Invalid(InvalidReason::UnknownKey));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidReason {
    /// Not a sealed value: bad base64, too short or too long.
    #[error("malformed: {0}")]
    Malformed(MalformedReason),
    /// A format version this crate does not read.
    #[error("unsupported version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// Sealed under a key this keyring does not have (retired, or another
    /// application's).
    #[error("unknown key")]
    UnknownKey,
    /// Failed authentication: altered, or sealed for another cookie name.
    #[error("tampered")]
    Tampered,
    /// Authenticated, but the plaintext is not a session envelope. Only a
    /// holder of the key can produce this (a bug, or a leaked key).
    #[error("authenticated but not a session")]
    BadPayload,
    /// Authenticated, but created or sealed further in the future than
    /// [`CLOCK_SKEW`](crate::CLOCK_SKEW) allows: a server's clock is wrong
    /// (or a key leaked). Such a session would escape `not_before` and
    /// revocation, so it is not honoured.
    #[error("created or sealed in the future")]
    FromTheFuture,
    /// The chunk cookies of a split session
    /// ([`max_chunks`](crate::SessionConfigBuilder::max_chunks)) do not
    /// make one whole: the whole session is refused, never read in part. A
    /// chunk from another save (two tabs, a half-applied response) fails
    /// authentication instead, as [`Tampered`](Self::Tampered).
    #[error("chunks: {0}")]
    Chunks(ChunkReason),
}

/// What is wrong with the chunk cookies of a split session: the detail of
/// [`InvalidReason::Chunks`]. Chunk `k` is the cookie `{name}.k`; the
/// first, `{name}`, announces the count.
///
/// ```
/// use sealed_session::{ChunkReason, InvalidReason, Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .max_chunks(3)
///     .build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("tokens", &"t".repeat(6_000))?;
/// let mut response = http::Response::new(());
/// sealed_session::save(&config, &session, &mut response)?;
/// // Send back only the first of the two chunks.
/// let first = response.headers()["set-cookie"].to_str()?.split(';').next().unwrap();
/// let request = http::Request::builder().header("cookie", first).body(())?;
/// assert_eq!(
///     sealed_session::load(&config, &request).status(),
///     Status::Invalid(InvalidReason::Chunks(ChunkReason::Missing { index: 1 }))
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkReason {
    /// The first chunk announces a count outside 2 to the configured
    /// `max_chunks`: nothing more is read.
    #[error("the first chunk announces {count} chunks, not 2 to {max}")]
    BadCount {
        /// The count announced.
        count: u8,
        /// The configured `max_chunks`.
        max: u8,
    },
    /// A chunk the count calls for is absent.
    #[error("chunk {index} is missing")]
    Missing {
        /// The chunk's index.
        index: u8,
    },
    /// A chunk beyond the count (a leftover of a larger session, or a
    /// one-cookie session sent with chunks).
    #[error("chunk {index} is one too many")]
    Extra {
        /// The chunk's index.
        index: u8,
    },
    /// Two cookies bear the same chunk name.
    #[error("chunk {index} comes twice")]
    Duplicated {
        /// The chunk's index.
        index: u8,
    },
}

impl From<OpenError> for InvalidReason {
    fn from(e: OpenError) -> Self {
        match e {
            OpenError::Malformed(m) => InvalidReason::Malformed(m),
            OpenError::UnsupportedVersion { version } => {
                InvalidReason::UnsupportedVersion { version }
            }
            OpenError::UnknownKey { .. } => InvalidReason::UnknownKey,
            OpenError::Tampered => InvalidReason::Tampered,
        }
    }
}

impl Session {
    /// An empty session at the request time.
    pub(crate) fn fresh(rules: LoadRules, status: Status, had_cookie: bool) -> Self {
        Self {
            data: Data::default(),
            created: rules.now,
            expiry: None,
            loaded_expires: None,
            status,
            now: rules.now,
            lifetimes: rules.lifetimes,
            had_cookie,
            chunks_carried: 0,
            modified: false,
            renewed: false,
            flushed: false,
            accessed: Cell::new(false),
            ids: rules.ids,
            id: Cell::new(None),
            subject: None,
            ended: Vec::new(),
        }
    }

    /// A session loaded from a valid envelope.
    pub(crate) fn loaded(env: Envelope, rules: LoadRules, used_fallback: bool) -> Self {
        let (id, subject) = match env.identity {
            Some(Identity { id, subject }) => (Some(SessionId(id)), subject),
            None => (None, None),
        };
        Self {
            data: env.data,
            created: env.created,
            expiry: env.expiry,
            loaded_expires: Some((env.expires, env.sealed)),
            status: if used_fallback {
                Status::LoadedWithFallback
            } else {
                Status::Loaded
            },
            now: rules.now,
            lifetimes: rules.lifetimes,
            had_cookie: true,
            chunks_carried: 0,
            modified: false,
            renewed: false,
            flushed: false,
            accessed: Cell::new(false),
            ids: rules.ids,
            id: Cell::new(id),
            subject,
            ended: Vec::new(),
        }
    }

    /// The load status without marking the session as read (for logs, which
    /// must not add `Vary: Cookie`).
    pub(crate) fn load_status(&self) -> Status {
        self.status
    }
}
