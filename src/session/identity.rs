//! Identity, for revocation: the session's random id and the subject the
//! app attached.

use std::fmt;

use super::Session;
use super::load::{LoadRules, Status};
use crate::envelope::{ID_LEN, Identity};
use crate::lifetime::ExpiryOverride;

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
pub struct SessionId(pub(super) [u8; ID_LEN]);

impl SessionId {
    /// The id's 16 bytes.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig, SessionId};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .session_ids(true)
    ///     .build()?;
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// let id = session.id().unwrap();
    /// let bytes: [u8; 16] = *id.as_bytes(); // what a store keeps
    /// assert_eq!(SessionId::from_bytes(bytes), id);
    /// # Ok::<(), sealed_session::ConfigError>(())
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; ID_LEN] {
        &self.0
    }

    /// An id from its 16 bytes (as a revocation store keeps it).
    ///
    /// ```
    /// use sealed_session::SessionId;
    ///
    /// let id = SessionId::from_bytes([0xab; 16]);
    /// assert_eq!(id.as_bytes(), &[0xab; 16]);
    /// assert_eq!(id.to_string(), "ab".repeat(16));
    /// ```
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

/// A session id that ended in this request (a flush or a renew), with what
/// a revocation store needs to know how long a copy of its cookie could
/// still be live: all Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ended {
    pub(crate) id: SessionId,
    /// When the ended session was created (or last renewed).
    pub(crate) created: i64,
    /// The expiry its cookie carried (or would have).
    pub(crate) expires: i64,
    /// Its per-session lifetime override.
    pub(crate) expiry: Option<ExpiryOverride>,
}

/// Identity, for revocation (see [`Revocations`](crate::revocation::Revocations)).
impl Session {
    /// The identity the envelope carries: with session ids on or a subject
    /// set. `None` if an id is needed and none could be drawn.
    pub(super) fn identity(&self) -> Option<Option<Identity>> {
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
    pub(super) fn carries_identity(&self) -> bool {
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

    /// The session's id: the one in the cookie, or, for a new or renewed
    /// session, one drawn from the OS on first use and sealed into the
    /// cookie on save. `None` unless
    /// [`session_ids`](crate::SessionConfigBuilder::session_ids) is on or a
    /// [subject](Session::set_subject) is set (ids cost 17 bytes of cookie;
    /// without them the envelope carries one byte).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn next_request(response: &http::Response<()>) -> http::Request<()> {
    /// #     let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    /// #     let cookie = set_cookie.split(';').next().unwrap();
    /// #     http::Request::builder().header("cookie", cookie).body(()).unwrap()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .session_ids(true)
    ///     .build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("user", &42u64)?;
    /// let id = session.id().unwrap();
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    /// // The same id on the next request, a new one after a renewal.
    /// let mut session = sealed_session::load(&config, &next_request(&response));
    /// assert_eq!(session.id(), Some(id));
    /// session.renew();
    /// assert_ne!(session.id(), Some(id));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.subject(), None);
    /// session.set_subject("user:42");
    /// assert_eq!(session.subject(), Some("user:42"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

    /// The ids that [`flush`](Session::flush) and [`renew`](Session::renew)
    /// ended in this request, for a revocation store.
    pub(crate) fn ended(&self) -> Vec<Ended> {
        self.ended.clone()
    }

    /// Ends the id the cookie carried, once: at the first renew or flush of
    /// a loaded session (later ones find it already ended, or no cookie id).
    pub(super) fn end_loaded_id(&mut self) {
        if self.renewed || self.flushed {
            return;
        }
        if let (Some(id), Some((expires, _))) = (self.id.get(), self.loaded_expires) {
            self.ended.push(Ended {
                id,
                created: self.created,
                expires,
                expiry: self.expiry,
            });
        }
    }

    /// Ends an id drawn in this request (after a renew): no cookie carried
    /// it yet, but the app may have shown or stored it.
    pub(super) fn end_id(&mut self, id: SessionId) {
        if self.ended.iter().any(|e| e.id == id) {
            return;
        }
        let expires = self.lifetimes.expires(self.created, self.now, self.expiry);
        self.ended.push(Ended {
            id,
            created: self.created,
            expires,
            expiry: self.expiry,
        });
    }

    /// Turns a loaded session that a revocation store knows as revoked into
    /// a new, empty one whose cookie `save` removes.
    pub(crate) fn mark_revoked(&mut self) {
        let chunks = self.chunks_carried;
        *self = Session::fresh(self.fresh_rules(), Status::Revoked, true);
        self.chunks_carried = chunks;
    }

    /// Turns a loaded session whose revocation status the store could not
    /// give into a new, empty one that does not count as having had a
    /// cookie: not honoured for this request, and its cookie untouched.
    pub(crate) fn mark_unverified(&mut self) {
        let chunks = self.chunks_carried;
        *self = Session::fresh(self.fresh_rules(), Status::Unverified, false);
        // Kept for an explicit flush or renew, which still removes them.
        self.chunks_carried = chunks;
    }

    fn fresh_rules(&self) -> LoadRules {
        LoadRules {
            now: self.now,
            lifetimes: self.lifetimes,
            not_before: None,
            ids: self.ids,
        }
    }
}
