//! The v1 wire format: XAES-256-GCM with the header, the kind of value, the
//! context and the cookie name as AAD, encoded as unpadded base64url.
//!
//! ```text
//! value = base64url_no_pad( version:u8=1 | key_id:[u8;4] | nonce:[u8;24] | ciphertext | tag:[u8;16] )
//! AAD   = version | key_id | kind:u8 | len(context):u8 | context (UTF-8) | cookie name (UTF-8)
//! ```
//!
//! `kind` is 1 for a session, 2 for a stand-alone sealed cookie
//! (`cookies::set_sealed`), 3 for a raw [`Keyring::seal`] value, so no value
//! of one kind opens as another. The context is at most 255 bytes and
//! length-prefixed, so no two `(context, name)` pairs give the same AAD.

use base64::Engine as _;
use xaes_256_gcm::aead::AeadInOut;
use xaes_256_gcm::{Nonce, Tag, Xaes256Gcm};

use std::fmt;

use zeroize::Zeroizing;

use crate::key::{DerivedKey, KEY_ID_LEN, KeyId, Keyring};
use crate::secret_buf::SecretBuf;

/// Sealing failed. Both causes are failures of the machine or the caller,
/// never of client input.
///
/// ```
/// use sealed_session::{Key, Keyring, SealError};
///
/// let ring = Keyring::new(Key::generate());
/// match ring.try_seal("prefs", b"dark") {
///     Ok(value) => assert!(!value.is_empty()),
///     Err(SealError::Rng) => eprintln!("the OS random source failed"),
///     Err(other) => eprintln!("{other}"),
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The operating system's random source failed to give a nonce.
    #[error("the operating system's random source failed")]
    Rng,
    /// The plaintext exceeds what AES-GCM can encrypt under one nonce (64 GiB).
    #[error("plaintext of {len} bytes is too long for AES-GCM")]
    PlaintextTooLong {
        /// Length of the plaintext, in bytes.
        len: usize,
    },
}

/// Why a sealed value did not open.
///
/// ```
/// use sealed_session::{Key, Keyring, MalformedReason, OpenError};
///
/// let ring = Keyring::new(Key::generate());
/// assert_eq!(
///     ring.open("prefs", "not base64!"),
///     Err(OpenError::Malformed(MalformedReason::Base64))
/// );
/// let other = Keyring::new(Key::generate()).seal("prefs", b"x");
/// assert!(matches!(ring.open("prefs", &other), Err(OpenError::UnknownKey { .. })));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Not a v1 value at all: bad base64, too short or too long.
    #[error("malformed sealed value: {0}")]
    Malformed(MalformedReason),
    /// A version byte this crate does not read.
    #[error("unsupported sealed value version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },
    /// No key in the keyring has this id; no decryption was attempted.
    #[error("sealed with an unknown key (id {})", key_id)]
    UnknownKey {
        /// The key id found in the value (public: it is on the wire).
        key_id: KeyId,
    },
    /// Authentication failed: the value was altered, or sealed for another
    /// cookie name.
    #[error("sealed value failed authentication (tampered, or sealed for another cookie)")]
    Tampered,
}

/// The part of a malformed value that is wrong. It is a detail of
/// [`OpenError::Malformed`]'s message, not a separate cause, so it is not
/// reported as its `source()`.
///
/// ```
/// use sealed_session::{Key, Keyring, MalformedReason, OpenError};
///
/// let ring = Keyring::new(Key::generate());
/// assert_eq!(
///     ring.open("prefs", "AQ"),
///     Err(OpenError::Malformed(MalformedReason::TooShort { len: 1 }))
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MalformedReason {
    /// Not canonical unpadded base64url.
    #[error("not unpadded base64url")]
    Base64,
    /// Fewer bytes than a header and a tag.
    #[error("{len} bytes is shorter than the 45-byte minimum")]
    TooShort {
        /// Decoded length, in bytes.
        len: usize,
    },
    /// Longer than any cookie a browser stores for this name.
    #[error("{len} bytes is longer than the {max}-byte maximum")]
    TooLong {
        /// Length of the value, in bytes.
        len: usize,
        /// The maximum for this cookie name.
        max: usize,
    },
}

/// What a sealed value is: bound into the AAD, so a value sealed as one
/// kind never opens as another, whatever its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A session envelope (`save`).
    Session = 1,
    /// A stand-alone sealed cookie (`cookies::set_sealed`).
    Cookie = 2,
    /// A raw [`Keyring::seal`] value.
    Raw = 3,
}

/// The longest context the AAD's one-byte length prefix can carry.
pub(crate) const MAX_CONTEXT_LEN: usize = 255;

/// Everything a sealed value is bound to besides its key: the authenticated
/// data. A value opens only under the same kind, context and cookie name.
#[derive(Debug, Clone, Copy)]
struct Binding<'a> {
    kind: Kind,
    /// At most [`MAX_CONTEXT_LEN`] bytes (checked by `SessionConfigBuilder::build`).
    context: &'a str,
    name: &'a str,
    /// The number of cookies the value is split over, 1 to [`MAX_CHUNKS`]:
    /// 1 leaves the AAD as it always was, more changes its kind byte, so a
    /// value sealed for `n` cookies opens only as `n` cookies.
    chunks: u8,
}

impl Binding<'_> {
    /// The AAD's kind byte: the kind itself for a one-cookie value,
    /// `0x10 × chunks + kind` for a value split over 2 to 4 cookies. No two
    /// (kind, count) pairs share a byte, so the count is authenticated
    /// with the rest and a one-cookie value is exactly the v1 value.
    fn kind_byte(&self) -> u8 {
        let kind = self.kind as u8;
        if self.chunks > 1 {
            (self.chunks << 4) | kind
        } else {
            kind
        }
    }

    /// The longest text a value under this binding can be: what the
    /// cookies it is sealed for can carry at the 4,096-byte maximum.
    fn max_text_len(&self) -> usize {
        chunk_capacity(self.name.len(), MAX_SIZE_LIMIT, self.chunks)
    }
}

/// What [`Keyring::open`] returns: the plaintext, and which key opened it.
///
/// ```
/// use sealed_session::{Key, Keyring};
///
/// let (old, new) = (Key::generate(), Key::generate());
/// let value = Keyring::new(old.clone()).seal("prefs", b"dark");
/// let opened = Keyring::new(new).with_fallback(old.clone()).open("prefs", &value)?;
/// assert_eq!(opened.plaintext(), b"dark");
/// assert!(opened.used_fallback());
/// assert_eq!(opened.key_id(), old.id());
/// # Ok::<(), sealed_session::OpenError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Opened {
    /// Wiped from memory when dropped.
    plaintext: Zeroizing<Vec<u8>>,
    used_fallback: bool,
    key_id: KeyId,
}

impl Opened {
    /// The authenticated plaintext. The buffer behind it is wiped when the
    /// `Opened` is dropped.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring};
    /// let ring = Keyring::new(Key::generate());
    /// let opened = ring.open("prefs", &ring.seal("prefs", b"dark"))?;
    /// assert_eq!(opened.plaintext(), b"dark");
    /// # Ok::<(), sealed_session::OpenError>(())
    /// ```
    #[must_use]
    pub fn plaintext(&self) -> &[u8] {
        &self.plaintext
    }

    /// `true` when a fallback key (not the primary) opened the value: the
    /// caller should re-seal it with the primary.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring};
    /// let ring = Keyring::new(Key::generate());
    /// assert!(!ring.open("prefs", &ring.seal("prefs", b"dark"))?.used_fallback());
    /// # Ok::<(), sealed_session::OpenError>(())
    /// ```
    #[must_use]
    pub fn used_fallback(&self) -> bool {
        self.used_fallback
    }

    /// The id of the key that opened the value.
    ///
    /// ```
    /// # use sealed_session::{Key, Keyring};
    /// let ring = Keyring::new(Key::generate());
    /// assert_eq!(ring.open("prefs", &ring.seal("prefs", b"dark"))?.key_id(), ring.primary_id());
    /// # Ok::<(), sealed_session::OpenError>(())
    /// ```
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The plaintext buffer itself, still wiped on drop.
    pub(crate) fn into_plaintext(self) -> Zeroizing<Vec<u8>> {
        self.plaintext
    }
}

impl fmt::Debug for Opened {
    /// The plaintext is session data, which may be secret: only its length is
    /// shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("plaintext_len", &self.plaintext.len())
            .field("used_fallback", &self.used_fallback)
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// The one door to sealing: a keyring and everything a value is bound to
/// besides its key (the kind of value, the context, the cookie name). The
/// configuration hands one out for its session cookie and for each
/// stand-alone sealed cookie, the keyring one for raw values; nothing
/// outside this module sees the frame layout, the nonce or the binding.
#[derive(Clone, Copy)]
pub(crate) struct Sealer<'a> {
    keyring: &'a Keyring,
    binding: Binding<'a>,
}

/// A plaintext written in place behind room for the seal header, so that
/// sealing it needs no copy. Wiped on drop unless it was sealed: then it
/// holds only the header, ciphertext and tag, which the cookie sends, and
/// nothing was ever written past them (the frame is sized by the
/// envelope's bound and only appended to).
pub(crate) struct Frame(SecretBuf);

impl Frame {
    /// The length of the sealed value this frame gives, before sealing it.
    pub(crate) fn sealed_len(&self) -> usize {
        sealed_len(self.0.len() - HEADER_LEN)
    }
}

impl<'a> Sealer<'a> {
    /// Session envelopes of the cookie `name` under `context`.
    pub(crate) fn session(keyring: &'a Keyring, context: &'a str, name: &'a str) -> Self {
        Self::new(keyring, Kind::Session, context, name)
    }

    /// Stand-alone sealed cookies (`cookies::set_sealed`) called `name`.
    pub(crate) fn cookie(keyring: &'a Keyring, context: &'a str, name: &'a str) -> Self {
        Self::new(keyring, Kind::Cookie, context, name)
    }

    /// Raw [`Keyring::seal`] values: empty context.
    fn raw(keyring: &'a Keyring, name: &'a str) -> Self {
        Self::new(keyring, Kind::Raw, "", name)
    }

    fn new(keyring: &'a Keyring, kind: Kind, context: &'a str, name: &'a str) -> Self {
        Self {
            keyring,
            binding: Binding {
                kind,
                context,
                name,
                chunks: 1,
            },
        }
    }

    /// The same door for a session split over `chunks` cookies (1 to
    /// [`MAX_CHUNKS`]; 1 is the one-cookie format).
    pub(crate) fn chunked(mut self, chunks: u8) -> Self {
        self.binding.chunks = chunks.clamp(1, MAX_CHUNKS);
        self
    }

    /// A frame whose plaintext `write` appends to the buffer it is given,
    /// which has room for `plaintext_capacity` bytes; `None` when `write`
    /// gives none.
    pub(crate) fn frame(
        &self,
        plaintext_capacity: usize,
        write: impl FnOnce(Vec<u8>) -> Option<Vec<u8>>,
    ) -> Option<Frame> {
        let mut buf = Vec::with_capacity(OVERHEAD + plaintext_capacity);
        buf.resize(HEADER_LEN, 0);
        Some(Frame(SecretBuf::new(write(buf)?)))
    }

    /// Seals `frame` with the primary key and a fresh nonce, appending the
    /// base64url text to `out` (ASCII, so a `Set-Cookie` line built around
    /// it needs no UTF-8 check).
    pub(crate) fn seal_frame(&self, mut frame: Frame, out: &mut Vec<u8>) -> Result<(), SealError> {
        let nonce = fresh_nonce()?;
        seal_frame(
            self.keyring.primary(),
            self.binding,
            &mut frame.0,
            &nonce,
            out,
        )?;
        // Only after the seal: on any error above, the frame still holds
        // the plaintext and its drop wipes it.
        frame.0.release_public();
        Ok(())
    }

    /// Seals `plaintext` with the primary key into a new string.
    pub(crate) fn seal(&self, plaintext: &[u8]) -> Result<String, SealError> {
        seal_to_string(self.keyring.primary(), self.binding, plaintext)
    }

    /// Opens a value sealed under this binding by any key of the ring.
    pub(crate) fn open(&self, value: impl AsRef<[u8]>) -> Result<Opened, OpenError> {
        open(self.keyring, self.binding, value)
    }

    /// Opens a session split over `shares.len()` cookies (2 to
    /// [`MAX_CHUNKS`]): the shares, in chunk order, with the first one's
    /// count marker already taken off. They are joined only after their
    /// total length is checked against what that many cookies can carry,
    /// so a client never makes this allocate more than `count` × 4,096
    /// bytes.
    pub(crate) fn open_chunks(&self, shares: &[&[u8]]) -> Result<Opened, OpenError> {
        let count = u8::try_from(shares.len()).unwrap_or(u8::MAX);
        let sealer = self.chunked(count);
        let len = shares.iter().map(|s| s.len()).sum::<usize>();
        let max = sealer.binding.max_text_len();
        if !(2..=MAX_CHUNKS).contains(&count) || len > max {
            return Err(OpenError::Malformed(MalformedReason::TooLong { len, max }));
        }
        let mut joined = Vec::with_capacity(len);
        for share in shares {
            joined.extend_from_slice(share);
        }
        sealer.open(joined)
    }

    /// The length of a value [`seal_expiring`](Self::seal_expiring) gives
    /// for a payload of `payload_len` bytes.
    pub(crate) fn expiring_len(payload_len: usize) -> usize {
        sealed_len(EXPIRY_LEN + payload_len)
    }

    /// Seals `payload` with its server-side expiry (Unix seconds): the
    /// framing of stand-alone sealed cookies, an 8-byte big-endian expiry
    /// and then the payload.
    pub(crate) fn seal_expiring(&self, expires: i64, payload: &[u8]) -> Result<String, SealError> {
        let mut framed = Zeroizing::new(Vec::with_capacity(EXPIRY_LEN + payload.len()));
        framed.extend_from_slice(&expires.to_be_bytes());
        framed.extend_from_slice(payload);
        self.seal(&framed)
    }

    /// Opens a [`seal_expiring`](Self::seal_expiring) value: its expiry and
    /// its payload (wiped on drop).
    pub(crate) fn open_expiring(
        &self,
        value: impl AsRef<[u8]>,
    ) -> Result<(i64, Zeroizing<Vec<u8>>), OpenError> {
        let mut plaintext = self.open(value)?.into_plaintext();
        let Some(head) = plaintext.first_chunk::<EXPIRY_LEN>() else {
            return Err(OpenError::Malformed(MalformedReason::TooShort {
                len: plaintext.len(),
            }));
        };
        let expires = i64::from_be_bytes(*head);
        plaintext.drain(..EXPIRY_LEN);
        Ok((expires, plaintext))
    }
}

/// The expiry in front of a stand-alone sealed cookie's payload.
const EXPIRY_LEN: usize = 8;

impl Keyring {
    /// Seals `plaintext` for the cookie called `cookie_name` with the primary
    /// key, in the v1 wire format (see the crate docs). The value is of the
    /// raw kind: it never opens as a session or as a
    /// [`cookies::set_sealed`](crate::cookies::set_sealed) cookie, nor they
    /// as it.
    ///
    /// # Panics
    ///
    /// If the operating system's random source fails to give a nonce (a
    /// broken machine, never client input); [`Keyring::try_seal`] reports it.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring};
    ///
    /// let ring = Keyring::new(Key::generate());
    /// let value = ring.seal("prefs", b"dark");
    /// assert_eq!(ring.open("prefs", &value).unwrap().plaintext(), b"dark");
    /// ```
    #[must_use]
    pub fn seal(&self, cookie_name: &str, plaintext: &[u8]) -> String {
        self.try_seal(cookie_name, plaintext)
            .expect("the operating system's random source failed")
    }

    /// [`Keyring::seal`], reporting a failure of the random source instead of
    /// panicking.
    ///
    /// # Errors
    ///
    /// [`SealError::Rng`] when the OS gives no nonce.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring};
    ///
    /// let ring = Keyring::new(Key::generate());
    /// let value = ring.try_seal("prefs", b"dark")?;
    /// assert_eq!(ring.open("prefs", &value)?.plaintext(), b"dark");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_seal(&self, cookie_name: &str, plaintext: &[u8]) -> Result<String, SealError> {
        Sealer::raw(self, cookie_name).seal(plaintext)
    }

    /// Opens a value sealed for `cookie_name` by any key of this ring.
    ///
    /// Never panics, and allocates at most about the value's length, for any
    /// input. Values longer than a 4,096-byte cookie could hold are rejected
    /// before decoding.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] that says whether the value is malformed, of an
    /// unsupported version, sealed under an unknown key, or fails
    /// authentication (tampered, or sealed for another cookie name).
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, OpenError};
    ///
    /// let ring = Keyring::new(Key::generate());
    /// let value = ring.seal("prefs", b"dark");
    /// assert_eq!(ring.open("other", &value), Err(OpenError::Tampered));
    /// ```
    pub fn open(&self, cookie_name: &str, value: &str) -> Result<Opened, OpenError> {
        Sealer::raw(self, cookie_name).open(value)
    }
}

/// The wire format version this crate writes and reads.
const VERSION: u8 = 1;
/// XAES-256-GCM nonce length: 192 random bits.
const NONCE_LEN: usize = 24;
/// GCM tag length.
const TAG_LEN: usize = 16;
/// `version | key_id | nonce`.
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
/// Bytes a sealed value adds to its plaintext before base64: 45.
const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// The largest `name=value` a cookie may have: every major browser stores
/// 4,096 bytes (RFC 6265bis requires it), so a higher limit would let the
/// crate write cookies that browsers silently drop. [`Keyring::open`]
/// rejects longer values before decoding anything.
///
/// ```
/// use sealed_session::{ConfigError, Key, Keyring, MAX_SIZE_LIMIT, SessionConfig};
///
/// let keys = Keyring::new(Key::generate());
/// assert!(SessionConfig::builder(keys.clone()).size_limit(MAX_SIZE_LIMIT).build().is_ok());
/// assert!(matches!(
///     SessionConfig::builder(keys).size_limit(MAX_SIZE_LIMIT + 1).build(),
///     Err(ConfigError::SizeLimitTooLarge { max: MAX_SIZE_LIMIT, .. })
/// ));
/// ```
pub const MAX_SIZE_LIMIT: usize = 4096;

/// The most cookies one session may be split over
/// ([`SessionConfigBuilder::max_chunks`](crate::SessionConfigBuilder::max_chunks)):
/// `{name}`, `{name}.1`, `{name}.2` and `{name}.3`.
pub const MAX_CHUNKS: u8 = 4;

/// What follows the count at the start of the first chunk of a split value.
/// Not in the base64url alphabet: a one-cookie value never starts with
/// `digit~`, so neither can be read as the other.
const CHUNK_MARK: u8 = b'~';

/// Bytes a chunk's cookie spends besides its share of the sealed text:
/// `{n}~` on the first, `.{k}` in the name of the others. Equal, so every
/// chunk carries the same share.
const CHUNK_COST: usize = 2;

/// The longest sealed text that `chunks` cookies called `{name}`,
/// `{name}.1`, ... carry when each `name=value` is at most `limit` bytes.
pub(crate) const fn chunk_capacity(name_len: usize, limit: usize, chunks: u8) -> usize {
    if chunks <= 1 {
        limit.saturating_sub(name_len + 1)
    } else {
        (chunks as usize) * limit.saturating_sub(name_len + 1 + CHUNK_COST)
    }
}

/// The fewest cookies, at most `max_chunks`, that carry a sealed text of
/// `text_len` bytes; `None` when even `max_chunks` cannot.
pub(crate) fn chunks_needed(
    name_len: usize,
    limit: usize,
    max_chunks: u8,
    text_len: usize,
) -> Option<u8> {
    (1..=max_chunks.min(MAX_CHUNKS)).find(|&n| text_len <= chunk_capacity(name_len, limit, n))
}

/// The `index`th share of a sealed text split evenly over `count` cookies
/// (the first `len % count` shares are one byte longer). Even shares keep
/// every cookie, and so every proxy's view of it, as small as the split
/// allows.
pub(crate) fn chunk_share(text: &[u8], count: u8, index: u8) -> &[u8] {
    let (count, index) = (usize::from(count.max(1)), usize::from(index));
    let (base, extra) = (text.len() / count, text.len() % count);
    let start = index * base + index.min(extra);
    let len = base + usize::from(index < extra);
    text.get(start..start + len).unwrap_or_default()
}

/// Appends the value of chunk `index` of `count`: the share, after the
/// count marker on the first chunk of a split value.
pub(crate) fn push_chunk_value(text: &[u8], count: u8, index: u8, out: &mut Vec<u8>) {
    if count > 1 && index == 0 {
        out.push(b'0' + count);
        out.push(CHUNK_MARK);
    }
    out.extend_from_slice(chunk_share(text, count, index));
}

/// The length [`push_chunk_value`] appends.
pub(crate) fn chunk_value_len(text_len: usize, count: u8, index: u8) -> usize {
    let count_usize = usize::from(count.max(1));
    let share = text_len / count_usize + usize::from(usize::from(index) < text_len % count_usize);
    share
        + if count > 1 && index == 0 {
            CHUNK_COST
        } else {
            0
        }
}

/// The count a first chunk announces, and its share: `Some` for a value
/// that starts with a digit and the mark (whatever the digit: the caller
/// checks the range), `None` for a one-cookie value.
pub(crate) fn chunk_marker(first: &[u8]) -> Option<(u8, &[u8])> {
    match first {
        [digit @ b'0'..=b'9', CHUNK_MARK, rest @ ..] => Some((digit - b'0', rest)),
        _ => None,
    }
}

/// Length of the base64url (unpadded) text for `n` bytes.
const fn encoded_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Length of a sealed value for a plaintext of `n` bytes.
pub(crate) const fn sealed_len(plaintext_len: usize) -> usize {
    encoded_len(plaintext_len + OVERHEAD)
}

/// Seals with a fresh OS-random nonce into a new string of exactly the
/// sealed length.
fn seal_to_string(
    key: &DerivedKey,
    binding: Binding<'_>,
    plaintext: &[u8],
) -> Result<String, SealError> {
    seal_with_nonce(key, binding, plaintext, &fresh_nonce()?)
}

/// The deterministic core of sealing; the golden test drives it with a fixed
/// nonce.
fn seal_with_nonce(
    key: &DerivedKey,
    binding: Binding<'_>,
    plaintext: &[u8],
    nonce: &[u8; NONCE_LEN],
) -> Result<String, SealError> {
    // Exact capacity: the buffer never reallocates, so no stray copy of the
    // plaintext is left behind in freed memory.
    let mut frame = Vec::with_capacity(OVERHEAD + plaintext.len());
    frame.resize(HEADER_LEN, 0);
    frame.extend_from_slice(plaintext);
    let mut out = Vec::with_capacity(sealed_len(plaintext.len()));
    seal_frame(key, binding, &mut frame, nonce, &mut out)?;
    Ok(String::from_utf8(out).expect("base64url is ASCII"))
}

/// Seals a frame laid out as `[HEADER_LEN bytes of room | plaintext]` in
/// place: writes the header, encrypts, appends the tag and the base64 to
/// `out`. Callers that build the plaintext straight into a frame (the session
/// envelope) save a copy and an allocation; afterwards the frame holds only
/// ciphertext, so it can be kept for reuse. The text is appended as bytes
/// (base64url, ASCII): a `Set-Cookie` line goes into a `HeaderValue`
/// without a UTF-8 check.
fn seal_frame(
    key: &DerivedKey,
    binding: Binding<'_>,
    frame: &mut Vec<u8>,
    nonce: &[u8; NONCE_LEN],
    out: &mut Vec<u8>,
) -> Result<(), SealError> {
    debug_assert!(frame.len() >= HEADER_LEN);
    frame[0] = VERSION;
    frame[1..1 + KEY_ID_LEN].copy_from_slice(&key.id);
    frame[1 + KEY_ID_LEN..HEADER_LEN].copy_from_slice(nonce);
    let tag = with_aad(key.id, binding, |aad| {
        xaes_encrypt(&key.cipher, nonce, aad, &mut frame[HEADER_LEN..])
    })?;
    frame.extend_from_slice(&tag);
    // One pass into room made up front: `encode_string`'s chunked writer
    // checked every chunk's UTF-8 and copied it again (BENCHMARKS.md).
    let start = out.len();
    out.resize(start + encoded_len(frame.len()), 0);
    let written = base64url()
        .encode_slice(&frame[..], &mut out[start..])
        .expect("room sized by encoded_len");
    debug_assert_eq!(start + written, out.len());
    Ok(())
}

/// Unpadded base64url, canonical (no padding accepted, no trailing bits):
/// `base64`'s SIMD engine where the CPU has one (AVX2, NEON: detected once),
/// its scalar engine otherwise; the same bytes either way. The `unsafe` is
/// `base64`'s, behind its `simd-unsafe` feature, and tested there.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn base64url() -> &'static base64::engine::Simd {
    static ENGINE: std::sync::LazyLock<base64::engine::Simd> = std::sync::LazyLock::new(|| {
        base64::engine::Simd::url_safe(base64::engine::general_purpose::NO_PAD)
    });
    &ENGINE
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn base64url() -> &'static base64::engine::GeneralPurpose {
    &base64::engine::general_purpose::URL_SAFE_NO_PAD
}

/// A fresh nonce straight from the OS: no user-space generator state that a
/// `fork()` could duplicate into two processes that then reuse nonces.
fn fresh_nonce() -> Result<[u8; NONCE_LEN], SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| SealError::Rng)?;
    Ok(nonce)
}

/// Encrypts `buf` in place and returns the tag.
fn xaes_encrypt(
    cipher: &Xaes256Gcm,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
) -> Result<[u8; TAG_LEN], SealError> {
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(*nonce), aad, buf.into())
        .map_err(|_| SealError::PlaintextTooLong { len: buf.len() })?;
    Ok(tag.into())
}

/// Decrypts `buf` in place if the tag verifies. On failure `buf` is left as
/// it was (aes-gcm checks the tag before it applies the keystream), which lets
/// `open` try a second key whose id collides.
fn xaes_decrypt(
    cipher: &Xaes256Gcm,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> bool {
    cipher
        .decrypt_inout_detached(&Nonce::from(*nonce), aad, buf.into(), &Tag::from(*tag))
        .is_ok()
}

/// Calls `f` with the AAD, `version | key_id | kind | len(context) | context
/// | name`, on the stack for the contexts and names anyone uses.
fn with_aad<R>(key_id: [u8; KEY_ID_LEN], binding: Binding<'_>, f: impl FnOnce(&[u8]) -> R) -> R {
    const STACK: usize = 128;
    let context = binding.context.as_bytes();
    // `build()` caps the context; clamping keeps the prefix honest if a
    // caller ever skipped that check (the value then simply fails to open
    // anywhere else).
    let context = &context[..context.len().min(MAX_CONTEXT_LEN)];
    let name = binding.name.as_bytes();
    let fixed = 1 + KEY_ID_LEN + 2;
    let len = fixed + context.len() + name.len();
    let fill = |buf: &mut [u8]| {
        buf[0] = VERSION;
        buf[1..1 + KEY_ID_LEN].copy_from_slice(&key_id);
        buf[1 + KEY_ID_LEN] = binding.kind_byte();
        // Fits: clamped above.
        buf[2 + KEY_ID_LEN] = context.len() as u8;
        buf[fixed..fixed + context.len()].copy_from_slice(context);
        buf[fixed + context.len()..].copy_from_slice(name);
    };
    if len <= STACK {
        let mut buf = [0u8; STACK];
        fill(&mut buf[..len]);
        f(&buf[..len])
    } else {
        let mut buf = vec![0u8; len];
        fill(&mut buf);
        f(&buf)
    }
}

/// Opens a v1 value. Work and allocation are bounded by the value's length,
/// which is itself capped before anything is decoded. The value is taken as
/// bytes: a request's cookie needs no UTF-8 check first, since anything that
/// is not base64url fails to decode (as [`MalformedReason::Base64`]).
fn open(
    keyring: &Keyring,
    binding: Binding<'_>,
    value: impl AsRef<[u8]>,
) -> Result<Opened, OpenError> {
    let value = value.as_ref();
    let max = binding.max_text_len();
    if value.len() > max {
        return Err(OpenError::Malformed(MalformedReason::TooLong {
            len: value.len(),
            max,
        }));
    }
    // Wiped on drop: after a successful open it holds the plaintext.
    let mut raw = Zeroizing::new(Vec::with_capacity(value.len().div_ceil(4) * 3));
    base64url()
        .decode_vec(value, &mut raw)
        .map_err(|_| OpenError::Malformed(MalformedReason::Base64))?;
    // The version comes first so that a future format of a different length is
    // reported as unsupported, not as malformed.
    match raw.first() {
        None => return Err(OpenError::Malformed(MalformedReason::TooShort { len: 0 })),
        Some(&VERSION) => {}
        Some(&version) => return Err(OpenError::UnsupportedVersion { version }),
    }
    if raw.len() < OVERHEAD {
        return Err(OpenError::Malformed(MalformedReason::TooShort {
            len: raw.len(),
        }));
    }
    let key_id: [u8; KEY_ID_LEN] = raw[1..1 + KEY_ID_LEN].try_into().expect("length checked");
    let nonce: [u8; NONCE_LEN] = raw[1 + KEY_ID_LEN..HEADER_LEN]
        .try_into()
        .expect("length checked");
    let tag_at = raw.len() - TAG_LEN;
    let tag: [u8; TAG_LEN] = raw[tag_at..].try_into().expect("length checked");

    let mut any_key = false;
    for (index, key) in keyring.candidates(key_id) {
        any_key = true;
        let ok = with_aad(key_id, binding, |aad| {
            xaes_decrypt(&key.cipher, &nonce, aad, &mut raw[HEADER_LEN..tag_at], &tag)
        });
        if ok {
            // Shift the plaintext to the front instead of copying it out: one
            // allocation per open.
            raw.copy_within(HEADER_LEN..tag_at, 0);
            raw.truncate(tag_at - HEADER_LEN);
            return Ok(Opened {
                plaintext: raw,
                used_fallback: index != 0,
                key_id: KeyId(key_id),
            });
        }
    }
    if any_key {
        Err(OpenError::Tampered)
    } else {
        Err(OpenError::UnknownKey {
            key_id: KeyId(key_id),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex helper for readable vectors.
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The C2SP XAES-256-GCM vectors, through the same encrypt/decrypt seam
    /// that `seal_with_nonce` and `open` use.
    /// <https://github.com/C2SP/C2SP/blob/main/XAES-256-GCM.md>
    #[test]
    fn c2sp_vectors() {
        let cases: [(&[u8; 32], &[u8], &str, &str); 2] = [
            (
                &[0x01; 32],
                b"",
                "ce546ef63c9cc60765923609",
                "b33a9a1974e96e52daf2fcf7075e2271",
            ),
            (
                &[0x03; 32],
                b"c2sp.org/XAES-256-GCM",
                "986ec1832593df5443a17943",
                "7fd083bf3fdb41abd740a21f71eb769d",
            ),
        ];
        for (key, aad, ct, tag) in cases {
            let key = DerivedKey::from_cipher_key([0; 4], key);
            let nonce = *b"ABCDEFGHIJKLMNOPQRSTUVWX";
            let mut buf = b"XAES-256-GCM".to_vec();
            let got_tag = xaes_encrypt(&key.cipher, &nonce, aad, &mut buf).unwrap();
            assert_eq!(buf, hex(ct));
            assert_eq!(got_tag.to_vec(), hex(tag));
            assert!(xaes_decrypt(&key.cipher, &nonce, aad, &mut buf, &got_tag));
            assert_eq!(buf, b"XAES-256-GCM");
        }
    }

    /// Freezes the v1 format (cross-checked by an independent Python
    /// implementation of HKDF + XAES-256-GCM: `tools/golden_v1.py`) byte for byte: HKDF labels, header layout, AAD
    /// and base64 flavour all feed this value. If this test fails, the format
    /// changed and every cookie in the wild stops opening.
    #[test]
    fn golden_v1_value() {
        let key = crate::key::Key::from_bytes(&[0x42; 32]).unwrap();
        let ring = Keyring::new(key);
        let nonce: [u8; NONCE_LEN] = core::array::from_fn(|i| i as u8);
        let out = seal_with_nonce(
            ring.primary(),
            session("", "session"),
            b"{\"user\":\"ada\"}",
            &nonce,
        )
        .unwrap();
        assert_eq!(out, GOLDEN);
        // The layout, independent of the cipher.
        let raw = base64url().decode(&out).unwrap();
        assert_eq!(raw.len(), OVERHEAD + 14);
        assert_eq!(raw[0], 1);
        assert_eq!(raw[1..5], ring.primary_id().as_bytes()[..]);
        assert_eq!(raw[5..29], nonce);
        // And it opens as a session for that name, and as nothing else.
        let opened = open(&ring, session("", "session"), GOLDEN).unwrap();
        assert_eq!(*opened.plaintext, b"{\"user\":\"ada\"}");
        assert!(!opened.used_fallback);
        assert_eq!(ring.open("session", GOLDEN), Err(OpenError::Tampered));
    }

    #[test]
    fn colliding_key_ids_both_open() {
        let a = DerivedKey::from_cipher_key([7, 7, 7, 7], &[1; 32]);
        let b = DerivedKey::from_cipher_key([7, 7, 7, 7], &[2; 32]);
        let ring = Keyring::from_derived(vec![a.clone(), b.clone()]);
        let raw = Binding {
            kind: Kind::Raw,
            context: "",
            name: "s",
            chunks: 1,
        };
        let by_a = seal_with_nonce(&a, raw, b"from a", &[1; NONCE_LEN]).unwrap();
        let by_b = seal_with_nonce(&b, raw, b"from b", &[2; NONCE_LEN]).unwrap();
        let opened_a = ring.open("s", &by_a).unwrap();
        assert_eq!(*opened_a.plaintext, b"from a");
        assert!(!opened_a.used_fallback);
        // The primary is tried first, fails, and must leave the buffer intact
        // for the fallback.
        let opened_b = ring.open("s", &by_b).unwrap();
        assert_eq!(*opened_b.plaintext, b"from b");
        assert!(opened_b.used_fallback);
        // Neither key opens a tampered value.
        let mut bad = by_b.into_bytes();
        bad[50] = if bad[50] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            ring.open("s", std::str::from_utf8(&bad).unwrap()),
            Err(OpenError::Tampered)
        );
    }

    #[test]
    fn secrets_are_zeroize_on_drop() {
        fn assert_zod<T: zeroize::ZeroizeOnDrop>() {}
        assert_zod::<Xaes256Gcm>();
        assert_zod::<crate::key::Key>();
        // The opened plaintext (session data, sealed cookie values).
        assert_zod::<Zeroizing<Vec<u8>>>();
        // HKDF's HMAC keeps two SHA-256 states keyed by the pseudo-random
        // key: wiped on drop only with sha2's `zeroize` feature (and its
        // buffers with hmac's), both enabled in Cargo.toml.
        assert_zod::<sha2::block_api::Sha256VarCore>();
    }

    fn session<'a>(context: &'a str, name: &'a str) -> Binding<'a> {
        Binding {
            kind: Kind::Session,
            context,
            name,
            chunks: 1,
        }
    }

    /// Issue 10, points 5 and 6: a value opens only under the kind, context
    /// and name it was sealed for. Before the kind and context were in the
    /// AAD, every row below opened.
    #[test]
    fn kind_and_context_are_bound() {
        let ring = Keyring::new(crate::key::Key::from_bytes(&[9; 32]).unwrap());
        let bindings = [
            session("", "session"),
            session("tenant-a", "session"),
            session("tenant-b", "session"),
            Binding {
                kind: Kind::Cookie,
                context: "",
                name: "session",
                chunks: 1,
            },
            Binding {
                kind: Kind::Raw,
                context: "",
                name: "session",
                chunks: 1,
            },
            // Length-prefixed context: ("ab", "c") and ("a", "bc") differ.
            session("ab", "c"),
            session("a", "bc"),
            session("", "abc"),
        ];
        for (i, sealed_for) in bindings.iter().enumerate() {
            let value = seal_to_string(ring.primary(), *sealed_for, b"role=admin").unwrap();
            for (j, opened_as) in bindings.iter().enumerate() {
                let got = open(&ring, *opened_as, &value);
                if i == j {
                    assert_eq!(*got.unwrap().plaintext, b"role=admin");
                } else {
                    assert_eq!(
                        got,
                        Err(OpenError::Tampered),
                        "{sealed_for:?} as {opened_as:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_contexts_and_names_use_the_heap_path() {
        let ring = Keyring::new(crate::key::Key::from_bytes(&[9; 32]).unwrap());
        let context = "c".repeat(MAX_CONTEXT_LEN);
        let name = "n".repeat(200);
        let value = seal_to_string(ring.primary(), session(&context, &name), b"x").unwrap();
        assert_eq!(
            *open(&ring, session(&context, &name), &value)
                .unwrap()
                .plaintext,
            b"x"
        );
        let shorter = &context[1..];
        assert_eq!(
            open(&ring, session(shorter, &name), &value),
            Err(OpenError::Tampered)
        );
    }

    const GOLDEN: &str =
        "AUgG75AAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcL9Qjs19ZRrFWPQBZ3tKwVKIyh44F-0e81COlAQ64";

    #[test]
    fn sizes() {
        assert_eq!(OVERHEAD, 45);
        assert_eq!(sealed_len(0), 60);
        let ring = Keyring::new(crate::key::Key::from_bytes(&[1; 32]).unwrap());
        for n in [0, 1, 2, 3, 100, 3000] {
            assert_eq!(ring.seal("s", &vec![0; n]).len(), sealed_len(n));
        }
    }

    /// A one-cookie session's AAD is the v1 AAD (the golden value above
    /// opens with `chunked(1)`); each count gives its own, so a value
    /// sealed for `n` cookies opens as nothing else.
    #[test]
    fn the_chunk_count_is_bound_and_one_is_the_v1_format() {
        let ring = Keyring::new(crate::key::Key::from_bytes(&[0x42; 32]).unwrap());
        let sealer = Sealer::session(&ring, "", "session");
        assert!(sealer.chunked(1).open(GOLDEN).is_ok());
        assert_eq!(sealer.chunked(2).open(GOLDEN), Err(OpenError::Tampered));
        let kinds: Vec<u8> = (1..=MAX_CHUNKS)
            .map(|n| sealer.chunked(n).binding.kind_byte())
            .collect();
        assert_eq!(kinds, [1, 0x21, 0x31, 0x41]);
        let text = sealer.chunked(3).seal(b"x").unwrap();
        for n in 1..=MAX_CHUNKS {
            let got = sealer.chunked(n).open(&text);
            assert_eq!(got.is_ok(), n == 3, "{n}");
        }
    }

    #[test]
    fn shares_split_evenly_and_join_back() {
        let text: Vec<u8> = (0..103u8).collect();
        for count in 2..=MAX_CHUNKS {
            let mut joined = Vec::new();
            let mut values = Vec::new();
            for index in 0..count {
                let mut out = Vec::new();
                push_chunk_value(&text, count, index, &mut out);
                assert_eq!(out.len(), chunk_value_len(text.len(), count, index));
                values.push(out);
            }
            let (n, first) = chunk_marker(&values[0]).unwrap();
            assert_eq!(n, count);
            joined.extend_from_slice(first);
            for v in &values[1..] {
                assert_eq!(chunk_marker(v), None, "shares are base64url text");
                joined.extend_from_slice(v);
            }
            assert_eq!(joined, text);
            let lens: Vec<usize> = (0..count)
                .map(|i| chunk_share(&text, count, i).len())
                .collect();
            assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
        }
        assert_eq!(chunk_marker(b"3~"), Some((3, &b""[..])));
        assert_eq!(chunk_marker(b"AQ"), None);
    }

    #[test]
    fn capacities_and_counts() {
        assert_eq!(chunk_capacity(7, 4093, 1), 4085);
        assert_eq!(chunk_capacity(7, 4093, 2), 2 * 4083);
        assert_eq!(chunk_capacity(7, 4093, 4), 4 * 4083);
        assert_eq!(chunks_needed(7, 4093, 4, 4085), Some(1));
        assert_eq!(chunks_needed(7, 4093, 4, 4086), Some(2));
        assert_eq!(chunks_needed(7, 4093, 1, 4086), None);
        assert_eq!(chunks_needed(7, 4093, 3, 3 * 4083), Some(3));
        assert_eq!(chunks_needed(7, 4093, 3, 3 * 4083 + 1), None);
    }

    /// The join is refused on length before any allocation: `count` ×
    /// 4,096 bytes is the most a client makes `open_chunks` hold.
    #[test]
    fn open_chunks_refuses_what_the_cookies_cannot_carry() {
        let ring = Keyring::new(crate::key::Key::from_bytes(&[1; 32]).unwrap());
        let sealer = Sealer::session(&ring, "", "s");
        let big = vec![b'A'; MAX_SIZE_LIMIT];
        assert!(matches!(
            sealer.open_chunks(&[&big, &big]),
            Err(OpenError::Malformed(MalformedReason::TooLong { max, .. })) if max == 2 * (MAX_SIZE_LIMIT - 4)
        ));
        assert!(matches!(
            sealer.open_chunks(&[b"AAAA"]),
            Err(OpenError::Malformed(MalformedReason::TooLong { .. }))
        ));
    }
}
