//! [`Session`]: the Django-like map, with dirty tracking, the load status and
//! the per-session expiry.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::envelope::{self, Data, Envelope, ExpiryOverride};
use crate::lifetime::Lifetimes;
use crate::seal::{MalformedReason, OpenError};

/// A session value could not be stored or read back. Neither variant quotes
/// the value.
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
}

/// The serialiser's reason behind a [`SessionError`]: a message that never
/// quotes the value. Opaque, so the codec's own error type is not part of
/// this crate's API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(postcard::Error);

/// What became of the candidate cookies offered to a [`Loader`].
pub(crate) struct Loader {
    now: i64,
    lifetimes: Lifetimes,
    seen: bool,
    expired: bool,
    /// Not every cookie was examined (scan budget or candidate limit).
    cut: bool,
    first_error: Option<InvalidReason>,
}

impl Loader {
    pub(crate) fn new(now: i64, lifetimes: Lifetimes) -> Self {
        Self {
            now,
            lifetimes,
            seen: false,
            expired: false,
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
        if !self
            .lifetimes
            .is_live(env.created, env.expires, env.sealed, env.expiry, self.now)
        {
            self.expired = true;
            return None;
        }
        Some(Session::loaded(
            env,
            self.now,
            self.lifetimes,
            used_fallback,
        ))
    }

    /// No candidate gave a session: a new, empty one whose status says why.
    /// A cookie that was not examined is never deleted, so after a cut the
    /// session does not count as having had one (save rule 1).
    pub(crate) fn finish(self) -> Session {
        let status = match (self.cut, self.seen, self.expired, self.first_error) {
            (true, ..) => Status::Truncated,
            (false, false, _, _) => Status::New,
            (false, true, true, _) => Status::Expired,
            (false, true, false, Some(reason)) => Status::Invalid(reason),
            (false, true, false, None) => Status::New,
        };
        Session::fresh(self.now, self.lifetimes, status, self.seen && !self.cut)
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
}

impl Status {
    /// A short, stable name for logs and metrics: `new`, `loaded`,
    /// `loaded-with-fallback`, `expired`, `invalid`, `truncated`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Loaded => "loaded",
            Status::LoadedWithFallback => "loaded-with-fallback",
            Status::Expired => "expired",
            Status::Invalid(_) => "invalid",
            Status::Truncated => "truncated",
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
/// `set_expiry`).
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
/// serde type, stored as postcard bytes.
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
}

impl Session {
    /// An empty session at `now` (Unix seconds).
    pub(crate) fn fresh(now: i64, lifetimes: Lifetimes, status: Status, had_cookie: bool) -> Self {
        Self {
            data: Data::default(),
            created: now,
            expiry: None,
            loaded_expires: None,
            status,
            now,
            lifetimes,
            had_cookie,
            modified: false,
            renewed: false,
            flushed: false,
            accessed: Cell::new(false),
        }
    }

    /// A session loaded from a valid envelope.
    pub(crate) fn loaded(
        env: Envelope,
        now: i64,
        lifetimes: Lifetimes,
        used_fallback: bool,
    ) -> Self {
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
            now,
            lifetimes,
            had_cookie: true,
            modified: false,
            renewed: false,
            flushed: false,
            accessed: Cell::new(false),
        }
    }

    /// Save rules 1 to 3 at `now`, and the expiry a seal gets.
    pub(crate) fn save_plan(&self, now: i64) -> SavePlan {
        let lt = &self.lifetimes;
        if self.data.is_empty() {
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
    pub(crate) fn encode_envelope(&self, now: i64, expires: i64, out: Vec<u8>) -> Vec<u8> {
        envelope::encode(self.created, expires, now, self.expiry, &self.data, out)
    }

    /// An upper bound on [`encode_envelope`](Self::encode_envelope)'s output.
    pub(crate) fn envelope_len_bound(&self) -> usize {
        envelope::encoded_len(&self.data)
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
    /// # Errors
    ///
    /// [`SessionError::Decode`] when the stored bytes are not a `T` (wrong
    /// type, or bytes left over after decoding); the value stays in place.
    ///
    /// postcard is not self-describing, so a mismatch is caught only when the
    /// bytes do not fit `T`: a `[bool; 2]` stored and a `Vec<bool>` asked for
    /// may decode to something else. Read a key with the type it was written
    /// with.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        self.touch();
        self.data
            .get(key)
            .map(|bytes| decode_value(key, bytes))
            .transpose()
    }

    /// Stores `value` under `key`, replacing what was there.
    ///
    /// # Errors
    ///
    /// [`SessionError::Encode`] when serde cannot serialise the value for
    /// postcard (e.g. a map with non-string keys of unknown length).
    pub fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: impl Into<String>,
        value: &T,
    ) -> Result<(), SessionError> {
        let key = key.into();
        if let Err(source) = self.data.insert_with(&key, |buf| {
            postcard::serialize_with_flavor(value, Append(buf))
        }) {
            return Err(SessionError::Encode {
                key,
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
    /// [`SessionError::Decode`] when the stored bytes are not a `T`; the
    /// value then stays in the session.
    pub fn take<T: DeserializeOwned>(&mut self, key: &str) -> Result<Option<T>, SessionError> {
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

fn decode_value<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, SessionError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((value, [])) => Ok(value),
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
