//! [`Session`]: the Django-like map with its dirty flags. What surrounds it
//! lives beside it, one job a file:
//!
//! - `value`: storing and reading one typed value, and its errors;
//! - `fingerprint`: the serde shape of a value;
//! - `load`: which cookie becomes the session, and the status;
//! - `save`: whether and how the session is written back;
//! - `identity`: the session id and subject, for revocation.

use std::cell::Cell;
use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;
use time::{Duration, OffsetDateTime};

use crate::envelope::Data;
use crate::lifetime::{Expiry, ExpiryOverride, Lifetimes, date};

mod fingerprint;
mod identity;
mod load;
mod save;
mod value;

pub(crate) use identity::Ended;
pub use identity::SessionId;
pub use load::{ChunkReason, InvalidReason, Status};
pub(crate) use load::{LoadRules, Loader};
pub(crate) use save::SavePlan;
use value::{Append, decode_value};
pub use value::{CodecError, SessionError};

/// The session key under which `csrf` keeps its secret. Owned here because
/// [`Session::renew`] rotates it (Django's `login()` does), and the session
/// layer sits below the CSRF helpers.
pub(crate) const CSRF_SECRET_KEY: &str = "_csrftoken";

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
    /// The chunk cookies (`{name}.1` to `{name}.3`, bit `k` for `{name}.k`)
    /// the request carried and the scan examined: a save that needs fewer
    /// removes the rest, so no chunk is left orphaned.
    chunks_carried: u8,
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
    /// The ids that [`Session::flush`] and [`Session::renew`] ended, for a
    /// revocation store.
    ended: Vec<Ended>,
}

impl Session {
    fn touch(&self) {
        self.accessed.set(true);
    }

    /// The value under `key`, decoded as `T`.
    ///
    /// Each value is stored with a 4-byte fingerprint of its serde shape
    /// (primitive kinds, field and variant names, `Option` and sequence
    /// structure; not the values, not the type's Rust name), taken while
    /// the value is decoded and compared with the stored one: a value
    /// written as another type is an error, never a wrong value (see the
    /// README's "Changing a stored type"). `T` must also be `Serialize`:
    /// where its `Deserialize` names a field or variant otherwise than its
    /// `Serialize` (`#[serde(alias)]`, a rename for one direction), the
    /// decoded value is fingerprinted as `insert` did before it is refused.
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
        let changed = match self.data.insert_with(key, |buf| {
            // The slot is fingerprint ‖ postcard bytes; the fingerprint is
            // written once the value is known to encode.
            let start = buf.len();
            buf.extend_from_slice(&[0; fingerprint::LEN]);
            postcard::serialize_with_flavor(value, Append(&mut *buf))?;
            buf[start..start + fingerprint::LEN].copy_from_slice(&fingerprint::of(value));
            Ok(())
        }) {
            Ok(changed) => changed,
            Err(source) => {
                return Err(SessionError::Encode {
                    key: key.to_owned(),
                    type_name: std::any::type_name::<T>(),
                    source: CodecError(source),
                });
            }
        };
        self.touch();
        // An equal value stored again is no change: no new cookie for it.
        self.modified |= changed;
        Ok(())
    }

    /// Removes `key`; returns whether it was there.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("cart", &vec![1u32])?;
    /// assert!(session.remove("cart"));
    /// assert!(!session.remove("cart"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("next", "/checkout")?;
    /// let next: Option<String> = session.take("next")?;
    /// assert_eq!(next.as_deref(), Some("/checkout"));
    /// assert!(!session.contains_key("next"));
    /// assert_eq!(session.take::<String>("next")?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert!(!session.contains_key("user"));
    /// session.insert("user", &42u64)?;
    /// assert!(session.contains_key("user"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn contains_key(&self, key: &str) -> bool {
        self.touch();
        self.data.contains_key(key)
    }

    /// The keys, in sorted (byte) order, whatever the order of insertion.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("theme", "dark")?;
    /// session.insert("cart", &[1u32, 2])?;
    /// assert_eq!(session.keys().collect::<Vec<_>>(), ["cart", "theme"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.touch();
        self.data.keys()
    }

    /// The number of keys.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.len(), 0);
    /// session.insert("a", &1u8)?;
    /// session.insert("b", &2u8)?;
    /// session.insert("a", &3u8)?; // replaces
    /// assert_eq!(session.len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.touch();
        self.data.len()
    }

    /// Whether the session holds no data.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert!(session.is_empty());
    /// session.insert("a", &1u8)?;
    /// assert!(!session.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.touch();
        self.data.is_empty()
    }

    /// Removes all data but keeps the session (Django's `clear`). An empty
    /// session whose request carried a cookie has that cookie removed.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn next_request(response: &http::Response<()>) -> http::Request<()> {
    /// #     let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    /// #     let cookie = set_cookie.split(';').next().unwrap();
    /// #     http::Request::builder().header("cookie", cookie).body(()).unwrap()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("cart", &[1u32, 2])?;
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    ///
    /// // The next request: clearing the data removes the cookie it came in.
    /// let mut session = sealed_session::load(&config, &next_request(&response));
    /// session.clear();
    /// assert!(session.is_empty());
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    /// assert!(response.headers()["set-cookie"].to_str()?.contains("Max-Age=0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn next_request(response: &http::Response<()>) -> http::Request<()> {
    /// #     let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    /// #     let cookie = set_cookie.split(';').next().unwrap();
    /// #     http::Request::builder().header("cookie", cookie).body(()).unwrap()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("user", &42u64)?;
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    ///
    /// // Logout:
    /// let mut session = sealed_session::load(&config, &next_request(&response));
    /// session.flush();
    /// assert!(session.is_empty());
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    /// let removal = response.headers()["set-cookie"].to_str()?;
    /// assert!(removal.starts_with("session=;") && removal.contains("Max-Age=0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&mut self) {
        self.touch();
        self.end_loaded_id();
        // An id drawn since a renew in this request may have been shown
        // (logged, stored by the app): it ends too.
        if let Some(id) = self.id.get() {
            self.end_id(id);
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

    /// Keeps the data but starts the session anew (Django's `cycle_key`
    /// with `login()`'s token rotation): a fresh creation time, so the
    /// absolute timeout restarts; a new id (the old one is revoked when a
    /// revocation store is configured); a new CSRF secret, so a token issued
    /// before is refused after; and a new cookie. Call it after a login or
    /// any change of privilege.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig, csrf};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// let before = csrf::token(&mut session);
    /// session.insert("user", &42u64)?;
    /// session.renew(); // login
    /// assert_eq!(session.get::<u64>("user")?, Some(42));
    /// assert!(csrf::verify(&session, &before).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn renew(&mut self) {
        self.touch();
        self.end_loaded_id();
        self.created = self.now;
        self.id.set(None);
        self.data.remove(CSRF_SECRET_KEY);
        self.renewed = true;
    }

    /// Overrides the configured lifetime for this session (Django's
    /// `set_expiry`). The absolute timeout still applies.
    ///
    /// ```
    /// use sealed_session::time::Duration;
    /// use sealed_session::{Expiry, Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.set_expiry(Expiry::Idle(Duration::hours(1))); // "remember me" off
    /// assert_eq!(session.expiry_age(), Duration::hours(1));
    /// session.set_expiry(Expiry::BrowserSession);
    /// assert!(session.expires_at_browser_close());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_expiry(&mut self, expiry: Expiry) {
        self.touch();
        self.expiry = ExpiryOverride::from_expiry(expiry);
        self.modified = true;
    }

    /// The per-session lifetime in force.
    ///
    /// ```
    /// use sealed_session::time::Duration;
    /// use sealed_session::{Expiry, Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.expiry(), Expiry::Default);
    /// session.set_expiry(Expiry::Idle(Duration::minutes(10)));
    /// assert_eq!(session.expiry(), Expiry::Idle(Duration::minutes(10)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expiry(&self) -> Expiry {
        self.touch();
        self.expiry_unread()
    }

    /// [`expiry`](Session::expiry) without counting as a read of the
    /// session (no `Vary: Cookie`): for the revocation check.
    pub(crate) fn expiry_unread(&self) -> Expiry {
        ExpiryOverride::to_expiry(self.expiry)
    }

    /// When the session expires on the server if it is saved now (Django's
    /// `get_expiry_date`).
    ///
    /// ```
    /// use sealed_session::time::{Duration, OffsetDateTime};
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let now = OffsetDateTime::from_unix_timestamp(1_700_000_000)?;
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .max_age(Duration::days(1))
    ///     .clock(move || now)
    ///     .build()?;
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.expiry_date(), now + Duration::days(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
        date(expires)
    }

    /// Whether the cookie is dropped by the browser when it closes (Django's
    /// `get_expire_at_browser_close`).
    ///
    /// ```
    /// use sealed_session::{Expiry, Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert!(!session.expires_at_browser_close());
    /// session.set_expiry(Expiry::BrowserSession);
    /// assert!(session.expires_at_browser_close());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expires_at_browser_close(&self) -> bool {
        self.touch();
        self.lifetimes.is_browser_session(self.expiry)
    }

    /// When the session was first issued (or last renewed).
    ///
    /// ```
    /// use sealed_session::time::OffsetDateTime;
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let now = OffsetDateTime::from_unix_timestamp(1_700_000_000)?;
    /// let config = SessionConfig::builder(Keyring::new(Key::generate()))
    ///     .clock(move || now)
    ///     .build()?;
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.created(), now);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn created(&self) -> OffsetDateTime {
        self.touch();
        date(self.created)
    }

    /// How the session was loaded.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig, Status};
    /// # fn next_request(response: &http::Response<()>) -> http::Request<()> {
    /// #     let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    /// #     let cookie = set_cookie.split(';').next().unwrap();
    /// #     http::Request::builder().header("cookie", cookie).body(()).unwrap()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.status(), Status::New);
    /// session.insert("user", &42u64)?;
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    /// let session = sealed_session::load(&config, &next_request(&response));
    /// assert_eq!(session.status(), Status::Loaded);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn status(&self) -> Status {
        self.touch();
        self.status
    }

    /// Whether the data changed since loading (Django's `modified`).
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert!(!session.is_modified());
    /// session.insert("user", &42u64)?;
    /// assert!(session.is_modified());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

/// The test cookie's key and value, as Django's `TEST_COOKIE_NAME` and
/// `TEST_COOKIE_VALUE`.
const TEST_COOKIE_KEY: &str = "testcookie";
const TEST_COOKIE_VALUE: &str = "worked";

// The rest of Django's session API.
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
    ///
    /// ```
    /// use sealed_session::time::Duration;
    /// use sealed_session::{Expiry, Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// assert_eq!(session.expiry_age(), Duration::weeks(2));
    /// session.set_expiry(Expiry::Idle(Duration::minutes(5)));
    /// assert_eq!(session.expiry_age(), Duration::minutes(5));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn expiry_age(&self) -> Duration {
        (self.expiry_date() - date(self.now)).max(Duration::ZERO)
    }

    /// Stores a marker to find out, on the next request, whether the
    /// browser sends the session cookie back (Django's `set_test_cookie`).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    /// # fn next_request(response: &http::Response<()>) -> http::Request<()> {
    /// #     let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    /// #     let cookie = set_cookie.split(';').next().unwrap();
    /// #     http::Request::builder().header("cookie", cookie).body(()).unwrap()
    /// # }
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// // The login form's GET:
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.set_test_cookie();
    /// let mut response = http::Response::new(());
    /// sealed_session::save(&config, &session, &mut response)?;
    /// // Its POST, from a browser that keeps cookies:
    /// let mut session = sealed_session::load(&config, &next_request(&response));
    /// assert!(session.test_cookie_worked());
    /// session.delete_test_cookie();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_test_cookie(&mut self) {
        // A `&str` always serialises; the result carries no information.
        let _ = self.insert(TEST_COOKIE_KEY, TEST_COOKIE_VALUE);
    }

    /// Whether the marker of [`set_test_cookie`](Self::set_test_cookie)
    /// came back with this request (Django's `test_cookie_worked`).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// // A POST from a browser that sent no cookie back:
    /// let session = sealed_session::load(&config, &http::Request::new(()));
    /// assert!(!session.test_cookie_worked()); // "please enable cookies"
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn test_cookie_worked(&self) -> bool {
        matches!(self.get::<String>(TEST_COOKIE_KEY), Ok(Some(v)) if v == TEST_COOKIE_VALUE)
    }

    /// Removes the marker (Django's `delete_test_cookie`).
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring, SessionConfig};
    /// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.set_test_cookie();
    /// assert!(session.test_cookie_worked());
    /// session.delete_test_cookie();
    /// assert!(!session.test_cookie_worked() && session.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn delete_test_cookie(&mut self) {
        self.remove(TEST_COOKIE_KEY);
    }
}
