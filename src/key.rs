//! Master keys, HKDF derivation, key ids and the rotation keyring.
//!
//! A [`Key`] is the secret an operator stores (in an environment variable, a
//! secrets manager, ...). A [`Keyring`] turns each key into a ready cipher and a
//! 4-byte key id exactly once, when the keyring is built, so that no request
//! ever pays for HKDF or an AES key schedule of the master key.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{
    STANDARD, STANDARD_NO_PAD_INDIFFERENT, URL_SAFE_NO_PAD_INDIFFERENT,
};
use hkdf::Hkdf;
use sha2::Sha256;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::KeyInit;
use zeroize::{Zeroize, Zeroizing};

use subtle::ConstantTimeEq as _;

/// A key could not be built or parsed. Messages give lengths and
/// positions, never a character of a key.
///
/// ```
/// use sealed_session::{Key, KeyError};
///
/// assert_eq!(Key::from_bytes(&[7; 16]), Err(KeyError::TooShort { len: 16, min: 32 }));
/// let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
/// assert_eq!(Key::from_base64(hex), Err(KeyError::LooksLikeHex { text_len: 64 }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The secret is shorter than the minimum.
    #[error("key is {len} bytes long; at least {min} are required")]
    TooShort {
        /// Length of the rejected secret, in bytes.
        len: usize,
        /// The minimum, [`MIN_KEY_LEN`](crate::MIN_KEY_LEN).
        min: usize,
    },
    /// The secret is longer than the maximum.
    #[error("key is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// Length of the rejected secret, in bytes.
        len: usize,
        /// The maximum, [`MAX_KEY_LEN`](crate::MAX_KEY_LEN).
        max: usize,
    },
    /// The text is not base64 in either alphabet. Only its length is
    /// reported: the base64 decoder's own message would quote a character of
    /// the secret.
    #[error("key text ({text_len} characters) is not valid base64")]
    InvalidBase64 {
        /// Length of the rejected text (after trimming whitespace).
        text_len: usize,
    },
    /// A key list held no key at all.
    #[error("the key list is empty")]
    EmptyList,
    /// An entry of a key list is empty: a stray or trailing comma.
    #[error("empty entry (a stray or trailing comma?)")]
    EmptyEntry,
    /// The text is all hexadecimal digits, which also read as base64 (into
    /// a different, weaker key than intended): a key in hex was given where
    /// base64 is expected. Convert it (`xxd -r -p | base64`) or generate one
    /// in base64 (`cargo run --example keygen`).
    #[error("key text ({text_len} characters) looks like hex; keys are base64")]
    LooksLikeHex {
        /// Length of the rejected text (after trimming whitespace).
        text_len: usize,
    },
    /// One key of a comma-separated list failed; the cause is the
    /// [`source`](std::error::Error::source).
    #[error("key #{index} of the list (0 is the primary) is invalid")]
    InList {
        /// 0-based position in the list.
        index: usize,
        /// Why it failed.
        #[source]
        source: Box<KeyError>,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Rng,
}

/// [`Keyring::from_env`] failed. Each variant names the variable; a bad key
/// is named by its position, never quoted.
///
/// ```
/// use sealed_session::{EnvKeyError, Keyring};
///
/// let err = Keyring::from_env("SEALED_SESSION_DOC_SURELY_UNSET").unwrap_err();
/// assert_eq!(err, EnvKeyError::Missing { var: "SEALED_SESSION_DOC_SURELY_UNSET".into() });
/// assert!(err.to_string().starts_with("environment variable SEALED_SESSION_DOC_SURELY_UNSET is not set"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvKeyError {
    /// The variable is not set.
    #[error(
        "environment variable {var} is not set; set it to a base64 key, e.g. \
         {var}=\"$(openssl rand -base64 32)\""
    )]
    Missing {
        /// The variable's name.
        var: String,
    },
    /// The variable is not valid UTF-8.
    #[error("environment variable {var} is not valid UTF-8")]
    NotUnicode {
        /// The variable's name.
        var: String,
    },
    /// The variable is set but holds no key.
    #[error("environment variable {var} is empty")]
    Empty {
        /// The variable's name.
        var: String,
    },
    /// One key of the list is invalid; the cause is the
    /// [`source`](std::error::Error::source) (an empty entry, a hex key, bad
    /// base64, too short, ...).
    #[error("{var}: key #{index} of the list (0 is the primary) is invalid")]
    Entry {
        /// The variable's name.
        var: String,
        /// 0-based position in the list.
        index: usize,
        /// Why it failed.
        #[source]
        source: KeyError,
    },
}

/// The smallest master secret accepted, in bytes.
///
/// ```
/// use sealed_session::{Key, KeyError, MIN_KEY_LEN};
///
/// assert!(Key::from_bytes(&[7; MIN_KEY_LEN]).is_ok());
/// assert!(matches!(
///     Key::from_bytes(&[7; MIN_KEY_LEN - 1]),
///     Err(KeyError::TooShort { len: 31, min: MIN_KEY_LEN })
/// ));
/// ```
pub const MIN_KEY_LEN: usize = 32;

/// The longest master secret accepted, in bytes. A longer secret adds no
/// strength under HKDF-SHA256; the bound keeps a mistaken file read from
/// becoming a key.
///
/// ```
/// use sealed_session::{Key, KeyError, MAX_KEY_LEN};
///
/// assert!(Key::from_bytes(&vec![7; MAX_KEY_LEN]).is_ok());
/// assert!(matches!(
///     Key::from_bytes(&vec![7; MAX_KEY_LEN + 1]),
///     Err(KeyError::TooLong { max: MAX_KEY_LEN, .. })
/// ));
/// ```
pub const MAX_KEY_LEN: usize = 1024;

/// Length of a key id on the wire.
pub(crate) const KEY_ID_LEN: usize = 4;

/// HKDF-SHA256 salt. Fixed and public: it separates this crate's derivations
/// from any other use of the same master secret.
const HKDF_SALT: &[u8] = b"sealed-session/v1/hkdf-salt";
/// HKDF info for the 32-byte XAES-256-GCM key.
const INFO_CIPHER_KEY: &[u8] = b"sealed-session/v1/xaes-256-gcm-key";
/// HKDF info for the 4-byte key id. A separate label makes the id independent
/// of the cipher key: publishing the id reveals nothing about it.
const INFO_KEY_ID: &[u8] = b"sealed-session/v1/key-id";

/// A master secret of at least [`MIN_KEY_LEN`] bytes.
///
/// The bytes are zeroized when the key is dropped and never appear in `Debug`
/// output or error messages.
///
/// ```
/// use sealed_session::Key;
///
/// let key = Key::generate();
/// let stored = key.to_base64(); // put this in your secrets store
/// let again = Key::from_base64(&stored)?;
/// assert_eq!(key, again);
/// assert_eq!(format!("{key:?}"), "Key(<redacted>)");
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Key {
    secret: Zeroizing<Vec<u8>>,
}

impl Key {
    /// Generates a fresh 32-byte key from the operating system's random source.
    ///
    /// # Panics
    ///
    /// If the operating system cannot provide randomness, which is a broken
    /// machine rather than a recoverable error. Use [`Key::try_generate`] to
    /// handle it.
    ///
    /// ```
    /// use sealed_session::Key;
    ///
    /// let (a, b) = (Key::generate(), Key::generate());
    /// assert_ne!(a, b);
    /// assert_eq!(a.to_base64().len(), 44); // 32 bytes
    /// ```
    #[must_use]
    pub fn generate() -> Self {
        Self::try_generate().expect("the operating system's random source failed")
    }

    /// Generates a fresh 32-byte key, reporting a failure of the operating
    /// system's random source instead of panicking.
    ///
    /// ```
    /// use sealed_session::Key;
    ///
    /// let key = Key::try_generate()?;
    /// assert_eq!(Key::from_base64(&key.to_base64())?, key);
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    pub fn try_generate() -> Result<Self, KeyError> {
        let mut secret = Zeroizing::new(vec![0u8; MIN_KEY_LEN]);
        getrandom::fill(&mut secret).map_err(|_| KeyError::Rng)?;
        Ok(Self { secret })
    }

    /// Builds a key from raw bytes (copied; the caller should zeroize its copy).
    ///
    /// # Errors
    ///
    /// [`KeyError::TooShort`] below [`MIN_KEY_LEN`] bytes,
    /// [`KeyError::TooLong`] above [`MAX_KEY_LEN`].
    ///
    /// ```
    /// use sealed_session::{Key, KeyError};
    ///
    /// let key = Key::from_bytes(&[7; 32])?;
    /// assert_eq!(key.to_base64(), "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=");
    /// assert!(matches!(Key::from_bytes(b"hunter2"), Err(KeyError::TooShort { len: 7, .. })));
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        check_len(bytes.len())?;
        Ok(Self {
            secret: Zeroizing::new(bytes.to_vec()),
        })
    }

    /// Parses a base64 key: standard (`+/`) or URL-safe (`-_`) alphabet, with
    /// or without `=` padding; surrounding whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidBase64`] when the text does not decode (the error
    /// carries only the text's length, never a character of it),
    /// [`KeyError::LooksLikeHex`] for text made of hex digits only, or a
    /// length error for the decoded bytes.
    ///
    /// ```
    /// use sealed_session::{Key, KeyError};
    ///
    /// let key = Key::from_bytes(&[0xfb; 32])?;
    /// // Standard or URL-safe alphabet, padded or not, spaces around ignored.
    /// for text in [
    ///     "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=",
    ///     "-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_v7-_s",
    ///     " +/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s\n",
    /// ] {
    ///     assert_eq!(Key::from_base64(text)?, key);
    /// }
    /// // A hex key is refused rather than read as other bytes.
    /// let hex = "ab".repeat(32);
    /// assert!(matches!(Key::from_base64(&hex), Err(KeyError::LooksLikeHex { text_len: 64 })));
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        // 64 hex digits are valid base64 for 48 bytes: without this check a
        // hex key would load silently as another key than the one meant. A
        // random base64 key is all hex digits with odds of about 2^-65.
        if text.len() >= 2 * MIN_KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyError::LooksLikeHex {
                text_len: text.len(),
            });
        }
        // The padding-indifferent engines accept both padded and unpadded
        // input; the alphabet is chosen by looking for its two distinct symbols.
        let engine = if text.contains(['-', '_']) {
            &URL_SAFE_NO_PAD_INDIFFERENT
        } else {
            &STANDARD_NO_PAD_INDIFFERENT
        };
        let mut secret = Zeroizing::new(Vec::with_capacity(text.len()));
        engine
            .decode_vec(text, &mut secret)
            .map_err(|_| KeyError::InvalidBase64 {
                text_len: text.len(),
            })?;
        check_len(secret.len())?;
        Ok(Self { secret })
    }

    /// The key as standard, padded base64: the format `openssl rand -base64 32`
    /// prints, and one that [`Key::from_base64`] reads back.
    ///
    /// ```
    /// use sealed_session::Key;
    ///
    /// let key = Key::from_bytes(&[0xfb; 32])?;
    /// assert_eq!(key.to_base64(), "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=");
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    #[must_use]
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.secret.as_slice())
    }

    /// The 4-byte id this key gets on the wire (public, derived by HKDF).
    ///
    /// ```
    /// use sealed_session::Key;
    ///
    /// // Derived, so the same secret has the same id on every server.
    /// let key = Key::from_bytes(&[0xfb; 32])?;
    /// assert_eq!(key.id().to_string(), "59139e0a");
    /// assert_ne!(Key::from_bytes(&[7; 32])?.id(), key.id());
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    #[must_use]
    pub fn id(&self) -> KeyId {
        KeyId(derive(&self.secret).0)
    }
}

impl PartialEq for Key {
    /// Constant-time in the secret's content, so comparing keys in a test or a
    /// config reload does not leak them through timing.
    fn eq(&self, other: &Self) -> bool {
        // `subtle` compares without data-dependent branches; a length
        // difference (not secret) returns early.
        self.secret.as_slice().ct_eq(other.secret.as_slice()).into()
    }
}

impl Eq for Key {}

/// The secret lives in `Zeroizing`, which wipes it on drop.
impl zeroize::ZeroizeOnDrop for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

fn check_len(len: usize) -> Result<(), KeyError> {
    if len < MIN_KEY_LEN {
        Err(KeyError::TooShort {
            len,
            min: MIN_KEY_LEN,
        })
    } else if len > MAX_KEY_LEN {
        Err(KeyError::TooLong {
            len,
            max: MAX_KEY_LEN,
        })
    } else {
        Ok(())
    }
}

/// HKDF-SHA256: extract once, expand the key id and the cipher key with
/// distinct labels.
fn derive(secret: &[u8]) -> ([u8; KEY_ID_LEN], Zeroizing<[u8; 32]>) {
    let hk = Hkdf::<Sha256>::new(Some(HKDF_SALT), secret);
    let mut id = [0u8; KEY_ID_LEN];
    let mut cipher_key = Zeroizing::new([0u8; 32]);
    // Both lengths are far below HKDF-SHA256's 255 * 32-byte limit.
    hk.expand(INFO_KEY_ID, &mut id)
        .expect("4 bytes is a valid HKDF-SHA256 output length");
    hk.expand(INFO_CIPHER_KEY, cipher_key.as_mut_slice())
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    (id, cipher_key)
}

/// A key after derivation: its id and its ready cipher. The cipher zeroizes
/// its own round keys on drop (`xaes-256-gcm`'s `zeroize` feature).
#[derive(Clone)]
pub(crate) struct DerivedKey {
    pub(crate) id: [u8; KEY_ID_LEN],
    pub(crate) cipher: Xaes256Gcm,
}

impl DerivedKey {
    fn new(key: &Key) -> Self {
        let (id, cipher_key) = derive(&key.secret);
        Self::from_cipher_key(id, &cipher_key)
    }

    /// Builds a key straight from a 32-byte XAES-256-GCM key, skipping HKDF:
    /// the seam the golden and C2SP tests use.
    pub(crate) fn from_cipher_key(id: [u8; KEY_ID_LEN], cipher_key: &[u8; 32]) -> Self {
        let mut k = xaes_256_gcm::Key::<Xaes256Gcm>::from(*cipher_key);
        let cipher = Xaes256Gcm::new(&k);
        k.as_mut_slice().zeroize();
        Self { id, cipher }
    }
}

/// One primary key that seals, and any number of fallback keys that only open.
///
/// Cloning is cheap (an `Arc`), and a keyring is `Send + Sync`: build it once
/// at start-up and share it.
///
/// # Rotation
///
/// 1. Generate a new key: `Key::generate().to_base64()`.
/// 2. Deploy `new,old` (new key first) to every server, e.g. with
///    [`Keyring::from_base64_list`]. Cookies sealed with `old` still open and
///    are re-sealed with `new` the next time they are saved.
/// 3. After the longest session lifetime (`max_age`, or the absolute timeout),
///    every live cookie is sealed with `new`; remove `old`.
///
/// A cookie whose key id matches no key in the ring is rejected without a
/// decryption attempt.
///
/// ```
/// use sealed_session::{Key, Keyring};
///
/// let (old, new) = (Key::generate(), Key::generate());
/// let list = format!("{},{}", new.to_base64(), old.to_base64());
/// let keys = Keyring::from_base64_list(&list)?; // as from SESSION_KEYS
/// assert_eq!(keys.len(), 2);
/// assert_eq!(keys.primary_id(), new.id());
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<Inner>,
}

struct Inner {
    /// Index 0 is the primary key; the rest are fallbacks in the order given.
    keys: Vec<DerivedKey>,
    /// `(key id, index into keys)` sorted by id, then index: a lookup is a
    /// binary search, so the cost of `open` does not grow with the ring.
    by_id: Vec<([u8; KEY_ID_LEN], usize)>,
}

impl Keyring {
    /// A keyring whose only key is `primary`.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring};
    ///
    /// let key = Key::generate();
    /// let ring = Keyring::new(key.clone());
    /// assert_eq!(ring.len(), 1);
    /// assert_eq!(ring.primary_id(), key.id());
    /// ```
    #[must_use]
    pub fn new(primary: Key) -> Self {
        Self::from_derived(vec![DerivedKey::new(&primary)])
    }

    /// Adds a fallback key: it opens values but never seals them.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring};
    ///
    /// let (old, new) = (Key::generate(), Key::generate());
    /// let sealed_before = Keyring::new(old.clone()).seal("session", b"ada");
    /// let ring = Keyring::new(new.clone()).with_fallback(old);
    /// let opened = ring.open("session", &sealed_before)?;
    /// assert_eq!(opened.plaintext(), b"ada");
    /// assert!(opened.used_fallback()); // re-seal it with the primary
    /// assert_eq!(ring.open("session", &ring.seal("session", b"x"))?.key_id(), new.id());
    /// # Ok::<(), sealed_session::OpenError>(())
    /// ```
    #[must_use]
    pub fn with_fallback(self, key: Key) -> Self {
        let mut keys = self.inner.keys.clone();
        keys.push(DerivedKey::new(&key));
        Self::from_derived(keys)
    }

    /// Parses a comma-separated list of base64 keys, primary first, as they
    /// come from an environment variable (`SESSION_KEYS=new,old1,old2`).
    /// Whitespace around each key is ignored.
    ///
    /// # Errors
    ///
    /// [`KeyError::EmptyList`] for a list with no key, or
    /// [`KeyError::InList`] naming the 0-based position of the first key that
    /// does not parse and why ([`KeyError::EmptyEntry`] for a stray comma).
    ///
    /// ```
    /// use sealed_session::{Key, KeyError, Keyring};
    ///
    /// let (new, old) = (Key::generate(), Key::generate());
    /// let ring = Keyring::from_base64_list(&format!("{}, {}", new.to_base64(), old.to_base64()))?;
    /// assert_eq!((ring.len(), ring.primary_id()), (2, new.id()));
    ///
    /// let stray_comma = format!("{},", new.to_base64());
    /// assert!(matches!(
    ///     Keyring::from_base64_list(&stray_comma),
    ///     Err(KeyError::InList { index: 1, .. })
    /// ));
    /// assert!(matches!(Keyring::from_base64_list(" "), Err(KeyError::EmptyList)));
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn from_base64_list(list: &str) -> Result<Self, KeyError> {
        if list.trim().is_empty() {
            return Err(KeyError::EmptyList);
        }
        let mut keys = Vec::new();
        for (index, item) in list.split(',').enumerate() {
            let parsed = if item.trim().is_empty() {
                Err(KeyError::EmptyEntry)
            } else {
                Key::from_base64(item)
            };
            let key = parsed.map_err(|source| KeyError::InList {
                index,
                source: Box::new(source),
            })?;
            keys.push(DerivedKey::new(&key));
        }
        Ok(Self::from_derived(keys))
    }

    /// Reads the keys from the environment variable `var`, a
    /// comma-separated list of base64 keys, primary first (the format of
    /// [`Keyring::from_base64_list`]; `cargo run --example keygen` prints a
    /// key).
    ///
    /// # Errors
    ///
    /// An [`EnvKeyError`] that names the variable and, for a bad key, its
    /// 0-based position in the list; never a character of a key.
    ///
    /// ```
    /// use sealed_session::{EnvKeyError, Keyring};
    ///
    /// match Keyring::from_env("MY_APP_SESSION_KEYS") {
    ///     Ok(keys) => println!("{} session keys", keys.len()),
    ///     Err(EnvKeyError::Missing { var }) => println!("{var} is not set"),
    ///     Err(e) => panic!("{e}"),
    /// }
    /// ```
    pub fn from_env(var: &str) -> Result<Self, EnvKeyError> {
        Self::from_env_value(var, std::env::var(var))
    }

    /// [`Keyring::from_env`] on a value already read (the seam the tests
    /// use: setting a variable is `unsafe` in a multi-threaded test).
    fn from_env_value(
        var: &str,
        value: Result<String, std::env::VarError>,
    ) -> Result<Self, EnvKeyError> {
        let var = var.to_owned();
        let list = match value {
            Ok(list) => list,
            Err(std::env::VarError::NotPresent) => return Err(EnvKeyError::Missing { var }),
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(EnvKeyError::NotUnicode { var });
            }
        };
        Self::from_base64_list(&list).map_err(|e| match e {
            KeyError::InList { index, source } => EnvKeyError::Entry {
                var,
                index,
                source: *source,
            },
            KeyError::EmptyList => EnvKeyError::Empty { var },
            other => EnvKeyError::Entry {
                var,
                index: 0,
                source: other,
            },
        })
    }

    pub(crate) fn from_derived(keys: Vec<DerivedKey>) -> Self {
        let mut by_id: Vec<_> = keys.iter().enumerate().map(|(i, k)| (k.id, i)).collect();
        by_id.sort_unstable();
        Self {
            inner: Arc::new(Inner { keys, by_id }),
        }
    }

    /// The number of keys, primary included.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring};
    ///
    /// let ring = Keyring::new(Key::generate()).with_fallback(Key::generate());
    /// assert_eq!(ring.len(), 2);
    /// ```
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // a keyring always holds its primary key
    pub fn len(&self) -> usize {
        self.inner.keys.len()
    }

    /// The primary key's id.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring};
    ///
    /// let primary = Key::generate();
    /// let ring = Keyring::new(primary.clone()).with_fallback(Key::generate());
    /// assert_eq!(ring.primary_id(), primary.id());
    /// // Every value the ring seals carries this id.
    /// assert_eq!(ring.open("n", &ring.seal("n", b"v"))?.key_id(), ring.primary_id());
    /// # Ok::<(), sealed_session::OpenError>(())
    /// ```
    #[must_use]
    pub fn primary_id(&self) -> KeyId {
        KeyId(self.primary().id)
    }

    pub(crate) fn primary(&self) -> &DerivedKey {
        &self.inner.keys[0]
    }

    /// The keys with this id, primary first (ids are 32 bits, so two keys may
    /// collide; both are then tried).
    pub(crate) fn candidates(
        &self,
        id: [u8; KEY_ID_LEN],
    ) -> impl Iterator<Item = (usize, &DerivedKey)> + '_ {
        let by_id = &self.inner.by_id;
        let start = by_id.partition_point(|(k, _)| *k < id);
        by_id[start..]
            .iter()
            .take_while(move |(k, _)| *k == id)
            .map(|&(_, i)| (i, &self.inner.keys[i]))
    }
}

impl fmt::Debug for Keyring {
    /// Key ids are public (they are on the wire); the keys are not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field(
                "key_ids",
                &self
                    .inner
                    .keys
                    .iter()
                    .map(|k| KeyId(k.id))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A key's public 4-byte id, as the wire format carries it in front of
/// every sealed value: derived from the key by HKDF, so it names the key
/// without revealing it. `Display` (and `Debug`) is 8 lowercase hex digits,
/// the form logs use.
///
/// ```
/// use sealed_session::{Key, Keyring};
///
/// let key = Key::generate();
/// let ring = Keyring::new(key.clone());
/// assert_eq!(ring.primary_id(), key.id());
/// assert_eq!(key.id().to_string().len(), 8);
/// assert_eq!(format!("{:?}", key.id()), format!("KeyId({})", key.id()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub(crate) [u8; KEY_ID_LEN]);

impl KeyId {
    /// The id's four bytes, as on the wire.
    ///
    /// ```
    /// let id = sealed_session::Key::generate().id();
    /// assert_eq!(id.as_bytes().len(), 4);
    /// ```
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; KEY_ID_LEN] {
        &self.0
    }
}

/// An id from its four wire bytes (ids are public: tools and tests match a
/// value's id against a key's).
///
/// ```
/// use sealed_session::{Key, KeyId};
///
/// let key = Key::generate();
/// assert_eq!(KeyId::from(*key.id().as_bytes()), key.id());
/// ```
impl From<[u8; KEY_ID_LEN]> for KeyId {
    fn from(bytes: [u8; KEY_ID_LEN]) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_is_deterministic_and_labels_are_distinct() {
        let secret = [7u8; 32];
        let (id1, k1) = derive(&secret);
        let (id2, k2) = derive(&secret);
        assert_eq!(id1, id2);
        assert_eq!(*k1, *k2);
        // The id must not be a prefix of the cipher key (distinct info strings).
        assert_ne!(&k1[..4], &id1[..]);
        let (id3, k3) = derive(&[8u8; 32]);
        assert_ne!(id1, id3);
        assert_ne!(*k1, *k3);
    }

    #[test]
    fn from_env_names_the_variable_and_the_entry() {
        use std::env::VarError;
        let good = Key::from_bytes(&[5; 32]).unwrap().to_base64();
        let ok = |v: &str| Keyring::from_env_value("K", Ok(v.to_owned()));
        let entry = |v: &str| match ok(v) {
            Err(EnvKeyError::Entry { var, index, source }) => {
                assert_eq!(var, "K");
                (index, source)
            }
            other => panic!("{v:?}: {other:?}"),
        };
        assert_eq!(ok(&format!("{good}, {good}")).unwrap().len(), 2);
        assert_eq!(
            Keyring::from_env_value("K", Err(VarError::NotPresent)).unwrap_err(),
            EnvKeyError::Missing { var: "K".into() }
        );
        assert_eq!(
            Keyring::from_env_value("K", Err(VarError::NotUnicode("\u{fffd}".into()))).unwrap_err(),
            EnvKeyError::NotUnicode { var: "K".into() }
        );
        assert_eq!(ok(" ").unwrap_err(), EnvKeyError::Empty { var: "K".into() });
        assert_eq!(entry(&format!("{good},")), (1, KeyError::EmptyEntry));
        assert_eq!(entry(&format!("{good},,{good}")), (1, KeyError::EmptyEntry));
        let hex = "0123456789abcdef".repeat(4);
        assert_eq!(
            entry(&format!("{hex},{good}")),
            (0, KeyError::LooksLikeHex { text_len: 64 })
        );
        assert_eq!(
            entry(&format!("{good},c2hvcnQ=")),
            (1, KeyError::TooShort { len: 5, min: 32 })
        );
        let err = ok(&format!("{good},{hex}")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "K: key #1 of the list (0 is the primary) is invalid"
        );
        let cause = std::error::Error::source(&err).unwrap().to_string();
        assert_eq!(
            cause,
            "key text (64 characters) looks like hex; keys are base64"
        );
        assert!(!format!("{err:?}").contains(&hex[..16]));
    }

    #[test]
    fn colliding_ids_are_all_candidates_primary_first() {
        let a = DerivedKey::from_cipher_key([1, 2, 3, 4], &[1; 32]);
        let b = DerivedKey::from_cipher_key([0, 0, 0, 0], &[2; 32]);
        let c = DerivedKey::from_cipher_key([1, 2, 3, 4], &[3; 32]);
        let ring = Keyring::from_derived(vec![a, b, c]);
        let found: Vec<usize> = ring.candidates([1, 2, 3, 4]).map(|(i, _)| i).collect();
        assert_eq!(found, vec![0, 2]);
        assert_eq!(ring.candidates([9, 9, 9, 9]).count(), 0);
    }
}
