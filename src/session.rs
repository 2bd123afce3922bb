//! [`Session`]: the Django-like map, with dirty tracking, the load status and
//! the per-session expiry.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::envelope::{self, Data, Envelope, ExpiryOverride, ID_LEN, Identity};
use crate::fingerprint;
use crate::lifetime::Lifetimes;
use crate::seal::{MalformedReason, OpenError};

/// A session value could not be stored or read back. Neither variant quotes
/// the value.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, SessionError};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("name", "ada")?;
/// let wrong: Result<Option<u64>, SessionError> = session.get("name");
/// let error = wrong.unwrap_err();
/// assert!(error.to_string().contains("\"name\""));
/// assert!(!error.to_string().contains("ada"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value could not be serialised; the serialiser's reason is the
    /// [`source`](std::error::Error::source).
    #[error("cannot store session key {key:?} as {type_name}")]
    Encode {
        /// The session key.
        key: String,
        /// The Rust type that was given (`std::any::type_name`).
        type_name: &'static str,
        /// The serialiser's reason.
        #[source]
        source: CodecError,
    },
    /// The stored bytes are not the type asked for.
    #[error("session key {key:?} does not hold a {type_name}")]
    Decode {
        /// The session key.
        key: String,
        /// The Rust type that was asked for (`std::any::type_name`).
        type_name: &'static str,
        /// Bytes left over after a successful decode (a shorter type was
        /// asked for); 0 otherwise.
        trailing: usize,
        /// The deserialiser's reason, when it failed (none when the only
        /// fault is bytes left over).
        #[source]
        source: Option<CodecError>,
    },
    /// The stored value decoded as the type asked for, but its serde shape
    /// (primitive kinds, field and variant names) differs from the shape it
    /// was stored with: the type changed since it was written, and the value
    /// read would be wrong (a `u64` read as an `i64`, a renamed field).
    /// The value stays in place; [`Session::get_or_remove`] drops it.
    #[error("session key {key:?} was stored with another shape than {expected}")]
    TypeMismatch {
        /// The session key.
        key: String,
        /// The Rust type that was asked for (`std::any::type_name`).
        expected: &'static str,
    },
}

/// The serialiser's reason behind a [`SessionError`]: a message that never
/// quotes the value. Opaque, so the codec's own error type is not part of
/// this crate's API.
///
/// ```
/// use std::error::Error as _;
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("flag", &true)?;
/// let error = session.get::<String>("flag").unwrap_err();
/// // The codec's reason, if any, is the source: a message, never the bytes.
/// if let Some(cause) = error.source() {
///     assert!(!cause.to_string().is_empty());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(postcard::Error);

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
        }
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
        if !rules
            .lifetimes
            .is_live(env.created, env.expires, env.sealed, env.expiry, rules.now)
        {
            self.expired = true;
            return None;
        }
        // The one same-second rule, shared with the revocation stores
        // (`revocation::RevocationEntry::revokes`): a session counts as
        // created before a cutoff when its whole creation second is earlier
        // than the cutoff's, so one created in the cutoff's own second is kept.
        if rules.not_before.is_some_and(|t| env.created < t) {
            self.revoked = true;
            return None;
        }
        Some(Session::loaded(env, self.rules, used_fallback))
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
        Session::fresh(self.rules, status, self.seen && !self.cut)
    }
}

/// What [`save`](crate::save) does with a session's cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SavePlan {
    /// Write nothing.
    Nothing,
    /// Send a removal cookie.
    Remove,
    /// Seal the session with this expiry (Unix seconds); `browser_session`
    /// leaves out `Max-Age`/`Expires`.
    Seal { expires: i64, browser_session: bool },
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
    /// ([`MAX_SCAN_BYTES`](crate::MAX_SCAN_BYTES)), or more cookies bore the
    /// session's name than are tried
    /// ([`MAX_CANDIDATES`](crate::MAX_CANDIDATES)). The session starts
    /// empty, and `save` never removes a cookie it did not examine (only an
    /// explicit [`Session::flush`] does).
    Truncated,
    /// The cookie was valid but its session has been revoked: created before
    /// the configured
    /// [`not_before`](crate::SessionConfigBuilder::not_before), or found in
    /// a revocation store (see [`Revocations`](crate::revocation::Revocations)). The
    /// session starts empty and `save` removes the cookie.
    Revoked,
}

impl Status {
    /// A short, stable name for logs and metrics: `new`, `loaded`,
    /// `loaded-with-fallback`, `expired`, `invalid`, `truncated`, `revoked`.
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
        }
    }

    /// `true` for [`Status::Loaded`] and [`Status::LoadedWithFallback`].
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
/// let cookie = sealed_session::session_cookie(&other_app, &session)?.unwrap();
/// let request = http::Request::builder()
///     .header("cookie", format!("session={}", cookie.value()))
///     .body(())?;
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

/// A per-session lifetime, overriding the configuration (Django's
/// `set_expiry`). The README's "Which lifetime wins" has the precedence.
///
/// ```
/// use sealed_session::time::Duration;
/// use sealed_session::{Expiry, Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.set_expiry(Expiry::Idle(Duration::hours(1)));
/// assert_eq!(session.expiry(), Expiry::Idle(Duration::hours(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Go back to the configured lifetime (Django's `set_expiry(None)`).
    Default,
    /// Expire after this long without a request (Django's
    /// `set_expiry(seconds)`); the cookie is refreshed as a rolling session.
    /// Unlike Django's `set_expiry(0)`, a zero or negative duration ends the
    /// session (the cookie is removed on save): use
    /// [`Expiry::BrowserSession`] for "until the browser closes".
    Idle(Duration),
    /// Expire at this instant (Django's `set_expiry(datetime)`).
    At(OffsetDateTime),
    /// A cookie the browser drops when it closes (Django's `set_expiry(0)`);
    /// the server still enforces the configured lifetime.
    BrowserSession,
}

/// One user's session: an ordered map from string keys to values of any
/// serde type, stored as postcard bytes behind a 4-byte fingerprint of the
/// value's serde shape, so that a read with another type is an error.
///
/// Build one with [`load`](crate::load) and write it back with
/// [`save`](crate::save). A bad or expired cookie never yields an error: the
/// session starts empty and [`status`](Session::status) says why.
///
/// `Debug` shows the keys, never the values.
///
/// A `Session` is `Send` but not `Sync` (it tracks reads in a `Cell` for
/// `Vary: Cookie`): in an async handler, do not hold a `&Session` across an
/// `.await`, or use the `tower` feature's shared handle.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("cart", &vec!["tea"])?;
/// assert_eq!(session.get::<Vec<String>>("cart")?, Some(vec!["tea".to_owned()]));
/// assert_eq!(session.keys().collect::<Vec<_>>(), ["cart"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Session {
    data: Data,
    created: i64,
    expiry: Option<ExpiryOverride>,
    /// `expires` and `sealed` of the loaded cookie.
    loaded_expires: Option<(i64, i64)>,
    status: Status,
    /// The request time, Unix seconds.
    now: i64,
    lifetimes: Lifetimes,
    had_cookie: bool,
    modified: bool,
    renewed: bool,
    flushed: bool,
    /// Whether the response depends on the cookie (for `Vary: Cookie`).
    accessed: Cell<bool>,
    /// Whether sessions carry an id (`SessionConfigBuilder::session_ids`).
    ids: bool,
    /// The session's id: from the cookie, or drawn on first use.
    id: Cell<Option<SessionId>>,
    /// Who the session belongs to, for revocation.
    subject: Option<String>,
    /// The loaded session that [`Session::flush`] ended, for a revocation
    /// store.
    ended: Option<Ended>,
}

/// What [`Session::flush`] ended: the loaded session's id, and what bounds
/// how long copies of its cookie can live (read before the flush resets
/// them), so the revocation can last exactly that long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ended {
    pub(crate) id: SessionId,
    pub(crate) created: OffsetDateTime,
    pub(crate) expiry: Expiry,
    pub(crate) expires: OffsetDateTime,
}

/// A session's random, 128-bit id: kept across re-seals and key rotation,
/// new after [`Session::renew`] and [`Session::flush`]. It names the session
/// in logs and revocation stores; it is not a credential (the cookie is), so
/// it may be logged. `Display` is 32 lowercase hex digits.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .session_ids(true)
///     .build()?;
/// let session = sealed_session::load(&config, &http::Request::new(()));
/// let id = session.id().expect("session ids are on");
/// assert_eq!(id.to_string().len(), 32);
/// assert_eq!(session.id(), Some(id), "stable within the request");
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId([u8; ID_LEN]);

impl SessionId {
    /// The id's 16 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }

    /// An id from its 16 bytes (as a revocation store keeps it).
    #[must_use]
    pub fn from_bytes(bytes: [u8; ID_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh id from the OS random source.
    fn generate() -> Option<Self> {
        let mut id = [0u8; ID_LEN];
        getrandom::fill(&mut id).ok()?;
        Some(Self(id))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
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
            modified: false,
            renewed: false,
            flushed: false,
            accessed: Cell::new(false),
            ids: rules.ids,
            id: Cell::new(None),
            subject: None,
            ended: None,
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
            modified: false,
            renewed: false,
            flushed: false,
            accessed: Cell::new(false),
            ids: rules.ids,
            id: Cell::new(id),
            subject,
            ended: None,
        }
    }

    /// Save rules 1 to 3 at `now`, and the expiry a seal gets.
    pub(crate) fn save_plan(&self, now: i64) -> SavePlan {
        let lt = &self.lifetimes;
        // A subject alone is something to keep: revocation needs it.
        if self.data.is_empty() && self.subject.is_none() {
            return if self.flushed || self.had_cookie {
                SavePlan::Remove
            } else {
                SavePlan::Nothing
            };
        }
        let due = self.modified
            || self.renewed
            || self.flushed
            || self.status == Status::LoadedWithFallback
            || self.loaded_expires.is_some_and(|(e, sealed)| {
                lt.due_for_refresh(self.created, e, sealed, self.expiry, now)
            });
        if !due {
            return SavePlan::Nothing;
        }
        let expires = lt.expires(self.created, now, self.expiry);
        if expires <= now {
            // An expiry in the past (set_expiry(At(past))): the session is
            // over, so the cookie goes.
            return SavePlan::Remove;
        }
        SavePlan::Seal {
            expires,
            browser_session: lt.is_browser_session(self.expiry),
        }
    }

    /// Appends the envelope sealed at `now` with `expires` to `out`.
    /// `None` only if the session needs an id and the OS random source gave
    /// none.
    pub(crate) fn encode_envelope(&self, now: i64, expires: i64, out: Vec<u8>) -> Option<Vec<u8>> {
        let identity = self.identity()?;
        Some(envelope::encode(
            self.created,
            expires,
            now,
            self.expiry,
            identity.as_ref(),
            &self.data,
            out,
        ))
    }

    /// The identity the envelope carries: with session ids on or a subject
    /// set. `None` if an id is needed and none could be drawn.
    fn identity(&self) -> Option<Option<Identity>> {
        if !self.carries_identity() {
            return Some(None);
        }
        Some(Some(Identity {
            id: self.ensure_id()?.0,
            subject: self.subject.clone(),
        }))
    }

    /// Whether the envelope carries an identity: with session ids on, a
    /// subject, or an id the cookie already had (kept, so turning ids off
    /// does not change the id of sessions already issued).
    fn carries_identity(&self) -> bool {
        self.ids || self.subject.is_some() || self.id.get().is_some()
    }

    /// The id, drawn now if the session has none yet.
    fn ensure_id(&self) -> Option<SessionId> {
        if let Some(id) = self.id.get() {
            return Some(id);
        }
        let id = SessionId::generate()?;
        self.id.set(Some(id));
        Some(id)
    }

    /// An upper bound on [`encode_envelope`](Self::encode_envelope)'s output.
    pub(crate) fn envelope_len_bound(&self) -> usize {
        let identity = self.carries_identity().then_some(self.subject.as_deref());
        envelope::encoded_len_bound(identity, &self.data)
    }

    /// Whether the response depends on the cookie (save rule 6).
    pub(crate) fn was_read(&self) -> bool {
        self.accessed.get()
    }

    fn touch(&self) {
        self.accessed.set(true);
    }

    /// The value under `key`, decoded as `T`.
    ///
    /// Each value is stored with a 4-byte fingerprint of its serde shape
    /// (primitive kinds, field and variant names, `Option` and sequence
    /// structure; not the values, not the type's Rust name). The value just
    /// decoded is fingerprinted and compared, which is why `T` must also be
    /// `Serialize`: a value written as another type is an error, never a
    /// wrong value (see the README's "Changing a stored type").
    ///
    /// ```
    /// # let config = sealed_session::SessionConfig::builder(
    /// #     sealed_session::Keyring::new(sealed_session::Key::generate())).build().unwrap();
    /// # let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// use sealed_session::SessionError;
    ///
    /// session.insert("user_id", &42u64)?;
    /// assert_eq!(session.get::<u64>("user_id")?, Some(42));
    /// // postcard alone would read 42 as 21.
    /// assert!(matches!(session.get::<i64>("user_id"), Err(SessionError::TypeMismatch { .. })));
    /// # Ok::<(), SessionError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SessionError::Decode`] when the stored bytes do not decode as a `T`
    /// (or leave bytes over), [`SessionError::TypeMismatch`] when they do but
    /// the shape differs from the one stored; the value stays in place
    /// either way ([`get_or_remove`](Self::get_or_remove) drops it).
    pub fn get<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, SessionError> {
        self.touch();
        self.data
            .get(key)
            .map(|bytes| decode_value(key, bytes))
            .transpose()
    }

    /// The value under `key` as a `T`, or `None` when there is none or it
    /// cannot be read as a `T` (stored with another shape, or not decodable):
    /// such a value is removed, so the next save drops it from the cookie.
    /// The way to read a key whose type changed in a deploy, without turning
    /// every old cookie into an error.
    ///
    /// ```
    /// # let config = sealed_session::SessionConfig::builder(
    /// #     sealed_session::Keyring::new(sealed_session::Key::generate())).build().unwrap();
    /// # let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("cart", &vec![3u32, 4])?;           // written by the old code
    /// let cart: Option<Vec<String>> = session.get_or_remove("cart"); // read by the new
    /// assert_eq!(cart, None);
    /// assert!(!session.contains_key("cart"));
    /// # Ok::<(), sealed_session::SessionError>(())
    /// ```
    ///
    /// It returns an `Option`, not a `Result`: reading can only fail with
    /// [`SessionError::Decode`] or [`SessionError::TypeMismatch`], which is
    /// exactly what this method defines as absent.
    pub fn get_or_remove<T: Serialize + DeserializeOwned>(&mut self, key: &str) -> Option<T> {
        match self.get(key) {
            Ok(value) => value,
            Err(_) => {
                self.data.remove(key);
                self.modified = true;
                None
            }
        }
    }

    /// Stores `value` under `key`, replacing what was there, with the
    /// fingerprint of its shape that [`get`](Self::get) checks. The key is
    /// anything that reads as a `&str` (`&str`, `String`, `&String`,
    /// `Cow<str>`): it is copied into the session, never taken over.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("user", &42u64)?;
    /// let product = 7;
    /// session.insert(format!("cart:{product}"), &3u32)?;
    /// assert_eq!(session.get::<u32>("cart:7")?, Some(3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SessionError::Encode`] when serde cannot serialise the value for
    /// postcard (e.g. a map with non-string keys of unknown length).
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: impl AsRef<str>,
        value: &T,
    ) -> Result<(), SessionError> {
        // Borrowed: the key is copied into the session's buffer, and into a
        // `String` only for an error.
        let key = key.as_ref();
        if let Err(source) = self.data.insert_with(key, |buf| {
            // The slot is fingerprint ‖ postcard bytes; the fingerprint is
            // written once the value is known to encode.
            let start = buf.len();
            buf.extend_from_slice(&[0; fingerprint::LEN]);
            postcard::serialize_with_flavor(value, Append(&mut *buf))?;
            buf[start..start + fingerprint::LEN].copy_from_slice(&fingerprint::of(value));
            Ok(())
        }) {
            return Err(SessionError::Encode {
                key: key.to_owned(),
                type_name: std::any::type_name::<T>(),
                source: CodecError(source),
            });
        }
        self.touch();
        self.modified = true;
        Ok(())
    }

    /// Removes `key`; returns whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        self.touch();
        let removed = self.data.remove(key);
        self.modified |= removed;
        removed
    }

    /// Removes `key` and returns its value (Django's `pop`).
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get): [`SessionError::Decode`] or
    /// [`SessionError::TypeMismatch`] when the stored value is not a `T`;
    /// the value then stays in the session.
    pub fn take<T: Serialize + DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<T>, SessionError> {
        let value = self.get(key)?;
        if value.is_some() {
            self.data.remove(key);
            self.modified = true;
        }
        Ok(value)
    }

    /// Whether `key` is present.
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.touch();
        self.data.contains_key(key)
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.touch();
        self.data.keys()
    }

    /// The number of keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.touch();
        self.data.len()
    }

    /// Whether the session holds no data.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.touch();
        self.data.is_empty()
    }

    /// Removes all data but keeps the session (Django's `clear`). An empty
    /// session whose request carried a cookie has that cookie removed.
    pub fn clear(&mut self) {
        self.touch();
        if !self.data.is_empty() {
            self.data.clear();
            self.modified = true;
        }
    }

    /// Removes all data and the cookie (Django's `flush`, e.g. on logout).
    /// Data inserted afterwards starts a new session with a fresh creation
    /// time and the configured expiry.
    pub fn flush(&mut self) {
        self.touch();
        if let (Some(id), Some((expires, _))) = (self.id.get(), self.loaded_expires) {
            let ended = Ended {
                id,
                created: unix(self.created),
                expiry: self.expiry(),
                expires: unix(expires),
            };
            self.ended.get_or_insert(ended);
        }
        self.id.set(None);
        self.subject = None;
        self.data.clear();
        self.expiry = None;
        self.created = self.now;
        self.flushed = true;
        self.modified = false;
        self.renewed = false;
    }

    /// Keeps the data but starts the session anew (Django's `cycle_key`):
    /// a fresh creation time, so the absolute timeout restarts, and a new
    /// cookie. Call it after a login or any change of privilege.
    pub fn renew(&mut self) {
        self.touch();
        self.created = self.now;
        self.id.set(None);
        self.renewed = true;
    }

    /// Overrides the configured lifetime for this session (Django's
    /// `set_expiry`). The absolute timeout still applies.
    pub fn set_expiry(&mut self, expiry: Expiry) {
        self.touch();
        self.expiry = match expiry {
            Expiry::Default => None,
            Expiry::Idle(d) => Some(ExpiryOverride::Idle(d.whole_seconds().max(0))),
            Expiry::At(t) => Some(ExpiryOverride::At(t.unix_timestamp())),
            Expiry::BrowserSession => Some(ExpiryOverride::BrowserSession),
        };
        self.modified = true;
    }

    /// The per-session lifetime in force.
    #[must_use]
    pub fn expiry(&self) -> Expiry {
        self.touch();
        self.expiry_unread()
    }

    /// [`expiry`](Session::expiry) without counting as a read of the
    /// session (no `Vary: Cookie`): for the revocation check.
    pub(crate) fn expiry_unread(&self) -> Expiry {
        match self.expiry {
            None => Expiry::Default,
            Some(ExpiryOverride::Idle(s)) => Expiry::Idle(Duration::seconds(s)),
            Some(ExpiryOverride::At(t)) => Expiry::At(unix(t)),
            Some(ExpiryOverride::BrowserSession) => Expiry::BrowserSession,
        }
    }

    /// When the session expires on the server if it is saved now (Django's
    /// `get_expiry_date`).
    #[must_use]
    pub fn expiry_date(&self) -> OffsetDateTime {
        self.touch();
        let expires = if self.is_due_to_seal() {
            self.lifetimes.expires(self.created, self.now, self.expiry)
        } else {
            self.loaded_expires.map_or_else(
                || self.lifetimes.expires(self.created, self.now, self.expiry),
                |(e, _)| e,
            )
        };
        unix(expires)
    }

    /// Whether the cookie is dropped by the browser when it closes (Django's
    /// `get_expire_at_browser_close`).
    #[must_use]
    pub fn expires_at_browser_close(&self) -> bool {
        self.touch();
        self.lifetimes.is_browser_session(self.expiry)
    }

    /// When the session was first issued (or last renewed).
    #[must_use]
    pub fn created(&self) -> OffsetDateTime {
        self.touch();
        unix(self.created)
    }

    /// How the session was loaded.
    #[must_use]
    pub fn status(&self) -> Status {
        self.touch();
        self.status
    }

    /// Whether the data changed since loading (Django's `modified`).
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.modified || self.flushed
    }

    /// Whether the session will be sealed anew on save (ignoring the rolling
    /// refresh, which depends on time).
    fn is_due_to_seal(&self) -> bool {
        self.modified || self.renewed || self.loaded_expires.is_none()
    }
}

/// Identity, for revocation (see [`Revocations`](crate::revocation::Revocations)).
impl Session {
    /// The session's id: the one in the cookie, or, for a new or renewed
    /// session, one drawn from the OS on first use and sealed into the
    /// cookie on save. `None` unless
    /// [`session_ids`](crate::SessionConfigBuilder::session_ids) is on or a
    /// [subject](Session::set_subject) is set (ids cost 17 bytes of cookie;
    /// without them the envelope carries one byte).
    #[must_use]
    pub fn id(&self) -> Option<SessionId> {
        self.touch();
        if let Some(id) = self.id.get() {
            return Some(id);
        }
        if self.ids || self.subject.is_some() {
            self.ensure_id()
        } else {
            None
        }
    }

    /// Attaches the session to a subject (a user, a tenant: `"user:42"`), so
    /// that [`Revocations::revoke_subject`](crate::revocation::Revocations::revoke_subject)
    /// can log out all of its sessions. The subject is sealed in the cookie
    /// (it costs its length plus 18 bytes); set it at login, after
    /// [`renew`](Session::renew).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.renew();
    /// session.set_subject("user:42");
    /// assert_eq!(session.subject(), Some("user:42"));
    /// assert!(session.id().is_some(), "a subject brings an id");
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    pub fn set_subject(&mut self, subject: impl Into<String>) {
        self.touch();
        self.subject = Some(subject.into());
        self.modified = true;
    }

    /// The subject set with [`set_subject`](Session::set_subject).
    #[must_use]
    pub fn subject(&self) -> Option<&str> {
        self.touch();
        self.subject.as_deref()
    }

    /// What a revocation store needs to know of the loaded session: `None`
    /// for a session that did not come from a valid cookie.
    pub(crate) fn loaded_meta(&self) -> Option<(Option<SessionId>, i64, Option<&str>, i64)> {
        let (expires, _) = self.loaded_expires?;
        // A renewed session is checked as what it was loaded as.
        let id = if self.renewed { None } else { self.id.get() };
        Some((id, self.created, self.subject.as_deref(), expires))
    }

    /// The loaded session that [`flush`](Session::flush) ended, if it had
    /// an id.
    pub(crate) fn ended(&self) -> Option<Ended> {
        self.ended
    }

    /// Turns a loaded session that a revocation store knows as revoked into
    /// a new, empty one whose cookie `save` removes.
    pub(crate) fn mark_revoked(&mut self) {
        let rules = LoadRules {
            now: self.now,
            lifetimes: self.lifetimes,
            not_before: None,
            ids: self.ids,
        };
        *self = Session::fresh(rules, Status::Revoked, true);
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("keys", &self.data.keys().collect::<Vec<_>>())
            .field("status", &self.status)
            .field("created", &self.created)
            .field("modified", &self.modified)
            .field("renewed", &self.renewed)
            .field("flushed", &self.flushed)
            .finish_non_exhaustive()
    }
}

fn unix(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(if t < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        // The largest instant `time` represents without its large-dates feature.
        OffsetDateTime::from_unix_timestamp(253_402_300_799).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    })
}

/// Decodes a value slot (fingerprint ‖ postcard bytes) as `T`, and checks
/// that the decoded value has the stored shape.
fn decode_value<T: Serialize + DeserializeOwned>(
    key: &str,
    bytes: &[u8],
) -> Result<T, SessionError> {
    let mismatch = || SessionError::TypeMismatch {
        key: key.to_owned(),
        expected: std::any::type_name::<T>(),
    };
    // Too short to hold a fingerprint: not something `insert` wrote.
    let Some((stored, bytes)) = bytes.split_first_chunk::<{ fingerprint::LEN }>() else {
        return Err(mismatch());
    };
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) if fingerprint::of(&value) == *stored => Ok(value),
        Ok((_, [])) => Err(mismatch()),
        Ok((_, rest)) => Err(SessionError::Decode {
            key: key.to_owned(),
            type_name: std::any::type_name::<T>(),
            trailing: rest.len(),
            source: None,
        }),
        Err(source) => Err(SessionError::Decode {
            key: key.to_owned(),
            type_name: std::any::type_name::<T>(),
            trailing: 0,
            source: Some(CodecError(source)),
        }),
    }
}

/// A postcard flavor that appends to a borrowed `Vec`.
struct Append<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// Sizes, before saving (issue 12).
impl Session {
    /// The length in bytes of the cookie *value* that
    /// [`save`](crate::save) would write if it sealed the session now:
    /// `name.len() + 1 + encoded_len()` is what the size limit counts, the
    /// `size` of a [`SaveError::TooLarge`](crate::SaveError::TooLarge). The
    /// session is encoded once to measure it, never sealed, so checking
    /// before a large insert costs a copy of the data, not a seal.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("notes", &"x".repeat(5_000))?;
    /// let size = config.cookie_name().len() + 1 + session.encoded_len();
    /// if size > config.size_limit() {
    ///     session.remove("notes"); // too large for a cookie: keep it elsewhere
    /// }
    /// # assert!(size > config.size_limit());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.touch();
        let expires = self.lifetimes.expires(self.created, self.now, self.expiry);
        // Plaintext session data: wiped when measured.
        let len = self
            .encode_envelope(
                self.now,
                expires,
                Vec::with_capacity(self.envelope_len_bound()),
            )
            .map_or(self.envelope_len_bound(), |envelope| {
                Zeroizing::new(envelope).len()
            });
        crate::seal::sealed_len(len)
    }

    /// The load status without marking the session as read (for logs, which
    /// must not add `Vary: Cookie`).
    pub(crate) fn load_status(&self) -> Status {
        self.status
    }
}

/// The test cookie's key and value, as Django's `TEST_COOKIE_NAME` and
/// `TEST_COOKIE_VALUE`.
const TEST_COOKIE_KEY: &str = "testcookie";
const TEST_COOKIE_VALUE: &str = "worked";

// The rest of Django's session API (issue 13).
impl Session {
    /// The value under `key`, or `default()` stored there first when the
    /// key is absent (Django's `setdefault`). The session is modified only
    /// when the default is stored.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// # let mut session = sealed_session::load(&config, &http::HeaderMap::new());
    /// let theme: String = session.get_or_insert_with("theme", || "light".to_owned())?;
    /// assert_eq!(theme, "light");
    /// let theme: String = session.get_or_insert_with("theme", || "dark".to_owned())?;
    /// assert_eq!(theme, "light"); // already there
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`SessionError::Decode`] when the stored bytes are not a `T` (the
    /// value stays, `default` is not called); [`SessionError::Encode`] when
    /// the default cannot be serialised.
    pub fn get_or_insert_with<T: Serialize + DeserializeOwned>(
        &mut self,
        key: &str,
        default: impl FnOnce() -> T,
    ) -> Result<T, SessionError> {
        if let Some(value) = self.get(key)? {
            return Ok(value);
        }
        let value = default();
        self.insert(key, &value)?;
        Ok(value)
    }

    /// How long until the session expires on the server if it is saved now
    /// (Django's `get_expiry_age`): [`expiry_date`](Self::expiry_date) minus
    /// the request time, never negative (an expiry in the past gives zero).
    #[must_use]
    pub fn expiry_age(&self) -> Duration {
        (self.expiry_date() - unix(self.now)).max(Duration::ZERO)
    }

    /// Stores a marker to find out, on the next request, whether the
    /// browser sends the session cookie back (Django's `set_test_cookie`).
    pub fn set_test_cookie(&mut self) {
        // A `&str` always serialises; the result carries no information.
        let _ = self.insert(TEST_COOKIE_KEY, TEST_COOKIE_VALUE);
    }

    /// Whether the marker of [`set_test_cookie`](Self::set_test_cookie)
    /// came back with this request (Django's `test_cookie_worked`).
    #[must_use]
    pub fn test_cookie_worked(&self) -> bool {
        matches!(self.get::<String>(TEST_COOKIE_KEY), Ok(Some(v)) if v == TEST_COOKIE_VALUE)
    }

    /// Removes the marker (Django's `delete_test_cookie`).
    pub fn delete_test_cookie(&mut self) {
        self.remove(TEST_COOKIE_KEY);
    }
}

#[cfg(test)]
mod typed_value_tests {
    use super::{SessionError, decode_value, fingerprint};

    fn slot<T: serde::Serialize>(value: &T) -> Vec<u8> {
        let mut bytes = fingerprint::of(value).to_vec();
        bytes.extend(postcard::to_allocvec(value).unwrap());
        bytes
    }

    #[test]
    fn a_slot_too_short_for_a_fingerprint_is_a_mismatch_not_a_panic() {
        for len in 0..fingerprint::LEN {
            let r = decode_value::<u8>("k", &[0; 4][..len]);
            assert!(
                matches!(r, Err(SessionError::TypeMismatch { ref key, expected: "u8" }) if key == "k"),
                "{len}: {r:?}"
            );
        }
        // `()` is zero postcard bytes: the fingerprint alone is a whole slot.
        assert_eq!(decode_value::<()>("k", &slot(&())), Ok(()));
    }

    #[test]
    fn the_slot_is_the_fingerprint_then_the_postcard_bytes() {
        let bytes = slot(&300u32);
        assert_eq!(decode_value::<u32>("k", &bytes), Ok(300));
        // Another stored fingerprint: a mismatch, though postcard decodes.
        let mut other = bytes.clone();
        other[..fingerprint::LEN].copy_from_slice(&fingerprint::of(&1u64));
        assert!(matches!(
            decode_value::<u32>("k", &other),
            Err(SessionError::TypeMismatch { .. })
        ));
        // Bytes left over stay a Decode error.
        let mut long = bytes;
        long.push(0);
        assert!(matches!(
            decode_value::<u32>("k", &long),
            Err(SessionError::Decode { trailing: 1, .. })
        ));
    }
}
