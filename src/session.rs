//! [`Session`]: the Django-like map, with dirty tracking, the load status and
//! the per-session expiry.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use crate::envelope::{self, Data, Envelope, ExpiryOverride};
use crate::fingerprint;
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
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(postcard::Error);

/// What became of the candidate cookies offered to a [`Loader`].
pub(crate) struct Loader {
    now: i64,
    lifetimes: Lifetimes,
    seen: bool,
    expired: bool,
    first_error: Option<InvalidReason>,
}

impl Loader {
    pub(crate) fn new(now: i64, lifetimes: Lifetimes) -> Self {
        Self {
            now,
            lifetimes,
            seen: false,
            expired: false,
            first_error: None,
        }
    }

    /// A candidate that did not open (or was not even text).
    pub(crate) fn reject(&mut self, reason: InvalidReason) {
        self.seen = true;
        self.first_error.get_or_insert(reason);
    }

    /// An opened candidate: the session if its envelope decodes and is live.
    pub(crate) fn offer(&mut self, plaintext: Vec<u8>, used_fallback: bool) -> Option<Session> {
        self.seen = true;
        let Some(env) = envelope::decode(plaintext) else {
            self.first_error.get_or_insert(InvalidReason::BadPayload);
            return None;
        };
        if !self
            .lifetimes
            .is_live(env.created, env.expires, env.expiry, self.now)
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
    pub(crate) fn finish(self) -> Session {
        let status = match (self.seen, self.expired, self.first_error) {
            (false, _, _) => Status::New,
            (true, true, _) => Status::Expired,
            (true, false, Some(reason)) => Status::Invalid(reason),
            (true, false, None) => Status::New,
        };
        Session::fresh(self.now, self.lifetimes, status, self.seen)
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
}

impl Status {
    /// A short, stable name for logs and metrics: `new`, `loaded`,
    /// `loaded-with-fallback`, `expired`, `invalid`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Loaded => "loaded",
            Status::LoadedWithFallback => "loaded-with-fallback",
            Status::Expired => "expired",
            Status::Invalid(_) => "invalid",
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
pub struct Session {
    data: Data,
    created: i64,
    expiry: Option<ExpiryOverride>,
    /// `expires` of the loaded cookie.
    loaded_expires: Option<i64>,
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
            loaded_expires: Some(env.expires),
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
            || self
                .loaded_expires
                .is_some_and(|e| lt.due_for_refresh(self.created, e, self.expiry, now));
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

    /// Appends the envelope sealed with `expires` to `out`.
    pub(crate) fn encode_envelope(&self, expires: i64, out: Vec<u8>) -> Vec<u8> {
        envelope::encode(self.created, expires, self.expiry, &self.data, out)
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
    /// fingerprint of its shape that [`get`](Self::get) checks.
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
            // The slot is fingerprint ‖ postcard bytes; the fingerprint is
            // written once the value is known to encode.
            let start = buf.len();
            buf.extend_from_slice(&[0; fingerprint::LEN]);
            postcard::serialize_with_flavor(value, Append(&mut *buf))?;
            buf[start..start + fingerprint::LEN].copy_from_slice(&fingerprint::of(value));
            Ok(())
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
            self.loaded_expires
                .unwrap_or_else(|| self.lifetimes.expires(self.created, self.now, self.expiry))
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
