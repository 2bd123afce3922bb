//! Fixtures and oracles shared by the fuzz targets and the seed generator
//! (`cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds`).
//!
//! Everything here goes through `sealed-session`'s public API; the oracles
//! are independent re-statements of the documented behaviour (the v1 wire
//! format, the envelope layout, the load and save rules), so a target can
//! check *what* happened, not only that nothing crashed.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{COOKIE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue};
use sealed_session::time::OffsetDateTime;
use sealed_session::{
    ChunkReason, InvalidReason, Key, Keyring, MalformedReason, OpenError, Opened, SessionConfig,
    SessionError, Status,
};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// The session cookie's name in every target.
pub const NAME: &str = "session";
/// The fixed "now" of every target: 2026-01-01T00:00:00Z.
pub const NOW: i64 = 1_767_225_600;

/// The plaintexts the `open` target's keyring has ever sealed (by the seed
/// generator, and by nothing else). Whatever opens under that keyring must be
/// one of these: a forgery would not be.
pub const OPEN_PLAINTEXTS: &[&[u8]] = &[
    b"",
    b"user=ada",
    b"{\"user\":\"ada\",\"role\":\"admin\"}",
    &[0u8; 64],
];

/// The keyring of the `open` target: sealed with only by the seed generator,
/// for [`OPEN_PLAINTEXTS`]. Primary first, then one fallback.
pub fn open_keyring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| {
        Keyring::new(Key::from_bytes(&[0x0a; 32]).unwrap())
            .with_fallback(Key::from_bytes(&[0x0b; 32]).unwrap())
    })
}

/// The fallback key of [`open_keyring`], to seal seeds that open with it.
pub fn open_fallback_only() -> Keyring {
    Keyring::new(Key::from_bytes(&[0x0b; 32]).unwrap())
}

/// The keyring of the session targets: a primary and a fallback key.
pub fn session_keyring() -> Keyring {
    Keyring::new(Key::from_bytes(&[0x5e; 32]).unwrap())
        .with_fallback(Key::from_bytes(&[0xfa; 32]).unwrap())
}

/// A keyring holding only the session fallback key: what sealed cookies
/// before the (simulated) rotation.
pub fn session_fallback_only() -> Keyring {
    Keyring::new(Key::from_bytes(&[0xfa; 32]).unwrap())
}

/// Default configuration (two-week `max_age`, 4,093-byte limit) with a
/// clock fixed at [`NOW`].
pub fn config() -> &'static SessionConfig {
    static CONFIG: OnceLock<SessionConfig> = OnceLock::new();
    CONFIG.get_or_init(|| config_with(session_keyring()))
}

/// The most cookies a session of [`chunked_config`] is split over.
pub const CHUNKS: u8 = 3;

/// As [`config`] (same keys, name and clock), with sessions split over up to
/// [`CHUNKS`] cookies.
pub fn chunked_config() -> &'static SessionConfig {
    static CONFIG: OnceLock<SessionConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        SessionConfig::builder(session_keyring())
            .cookie_name(NAME)
            .clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
            .max_chunks(usize::from(CHUNKS))
            .build()
            .unwrap()
    })
}

/// As [`config`], with another keyring.
pub fn config_with(keyring: Keyring) -> SessionConfig {
    SessionConfig::builder(keyring)
        .cookie_name(NAME)
        .clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
        .build()
        .unwrap()
}

// ---------------------------------------------------------------------------
// The open oracle.

/// What [`Keyring::open`] must answer for `value` under a keyring holding
/// `key_ids`, from the wire format alone: `Ok(raw)` (the decoded bytes)
/// means authentication decides (`Tampered`, or `Ok` for a genuine value),
/// `Err` is the exact error the format dictates.
pub fn expected_open_error(
    key_ids: &[[u8; 4]],
    name: &str,
    value: &str,
) -> Result<Vec<u8>, OpenError> {
    let max = 4096usize.saturating_sub(name.len() + 1);
    if value.len() > max {
        return Err(OpenError::Malformed(MalformedReason::TooLong {
            len: value.len(),
            max,
        }));
    }
    let raw = URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| OpenError::Malformed(MalformedReason::Base64))?;
    match raw.first() {
        None => return Err(OpenError::Malformed(MalformedReason::TooShort { len: 0 })),
        Some(1) => {}
        Some(&version) => return Err(OpenError::UnsupportedVersion { version }),
    }
    if raw.len() < 45 {
        return Err(OpenError::Malformed(MalformedReason::TooShort {
            len: raw.len(),
        }));
    }
    let key_id: [u8; 4] = raw[1..5].try_into().unwrap();
    if !key_ids.contains(&key_id) {
        return Err(OpenError::UnknownKey {
            key_id: key_id.into(),
        });
    }
    Ok(raw)
}

// ---------------------------------------------------------------------------
// A mirror of the envelope (the postcard plaintext of a session cookie), as
// the crate docs describe it, to check loads and saves independently.

/// The per-session expiry override, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MirrorExpiry {
    /// Idle seconds.
    Idle(i64),
    /// Unix second.
    At(i64),
    /// No `Max-Age`.
    BrowserSession,
}

/// The envelope, as stored: postcard's encoding of this struct. The map is
/// read as a sequence of pairs (the same bytes) so that order and
/// duplicates stay visible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MirrorEnvelope {
    /// Unix seconds.
    pub created: i64,
    /// Unix seconds.
    pub expires: i64,
    /// When the cookie was sealed, seconds after `created`.
    pub sealed_age: i64,
    /// Override.
    pub expiry: Option<MirrorExpiry>,
    /// Session id and subject (revocation).
    pub identity: Option<([u8; 16], Option<String>)>,
    /// Key to postcard bytes, in the order stored.
    pub data: Vec<(String, ByteBuf)>,
}

impl MirrorEnvelope {
    /// Whether the crate must load this envelope at `now` under [`config`]
    /// (fixed two-week `max_age`, no rolling, no absolute timeout): before
    /// its sealed `expires`, and, as the configuration is rechecked at load,
    /// before `created + max_age` for fixed-lifetime sessions, before the
    /// instant of an `At` override, or within the idle time of an `Idle`
    /// override counted from when the cookie was sealed.
    pub fn is_live(&self, now: i64) -> bool {
        const MAX_AGE: i64 = 14 * 86_400;
        let limit = match self.expiry {
            Some(MirrorExpiry::At(t)) => t,
            Some(MirrorExpiry::Idle(idle)) => self.sealed().saturating_add(idle),
            _ => self.created.saturating_add(MAX_AGE),
        };
        now < self.expires && now < limit
    }

    /// Whether the session holds nothing to keep: no data and no subject
    /// (a subject alone is kept, for revocation), so saving it untouched
    /// removes the cookie.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() && self.identity.as_ref().is_none_or(|(_, s)| s.is_none())
    }

    /// When the cookie was sealed, Unix seconds.
    pub fn sealed(&self) -> i64 {
        self.created.wrapping_add(self.sealed_age)
    }

    /// The data as a map.
    pub fn map(&self) -> BTreeMap<String, ByteBuf> {
        self.data.iter().cloned().collect()
    }

    /// The keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.data.iter().map(|(k, _)| k.as_str())
    }
}

/// Decodes a plaintext with postcard, as the crate documents its envelope,
/// accepting only the canonical encoding: keys strictly ascending, no
/// trailing bytes, and nothing postcard would have written differently
/// (overlong varints, say).
pub fn mirror_decode(plaintext: &[u8]) -> Option<MirrorEnvelope> {
    let env = match postcard::take_from_bytes::<MirrorEnvelope>(plaintext) {
        Ok((env, [])) => env,
        _ => return None,
    };
    if !env.data.windows(2).all(|w| w[0].0 < w[1].0) {
        return None;
    }
    (postcard::to_allocvec(&env).ok()? == plaintext).then_some(env)
}

/// Rewrites every varint of an envelope in its shortest form, walking the
/// documented layout; `None` if the bytes do not follow it. A LEB128 varint
/// here is at most 10 bytes with no bits beyond 64, as postcard reads it.
///
/// The crate (like postcard) reads overlong varints such as `80 00` for 0,
/// although its docs say only the canonical encoding is accepted; the
/// envelope target uses this to tell that known deviation from anything
/// else.
pub fn normalize_varints(bytes: &[u8]) -> Option<Vec<u8>> {
    fn varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = *bytes.get(*pos)?;
            *pos += 1;
            if i == 9 && b > 1 {
                return None;
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
    fn put(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    let mut pos = 0;
    let mut out = Vec::with_capacity(bytes.len());
    // created, expires, sealed.
    for _ in 0..3 {
        put(&mut out, varint(bytes, &mut pos)?);
    }
    let tag = *bytes.get(pos)?;
    pos += 1;
    out.push(tag);
    match tag {
        0 => {}
        1 => {
            let variant = varint(bytes, &mut pos)?;
            put(&mut out, variant);
            match variant {
                0 | 1 => put(&mut out, varint(bytes, &mut pos)?),
                2 => {}
                _ => return None,
            }
        }
        _ => return None,
    }
    // The identity: a tag, 16 raw bytes, an optional length-prefixed subject.
    let ident = *bytes.get(pos)?;
    pos += 1;
    out.push(ident);
    match ident {
        0 => {}
        1 => {
            let id = bytes.get(pos..pos + 16)?;
            out.extend_from_slice(id);
            pos += 16;
            let subject = *bytes.get(pos)?;
            pos += 1;
            out.push(subject);
            match subject {
                0 => {}
                1 => {
                    let len = usize::try_from(varint(bytes, &mut pos)?).ok()?;
                    let end = pos.checked_add(len).filter(|&e| e <= bytes.len())?;
                    put(&mut out, len as u64);
                    out.extend_from_slice(&bytes[pos..end]);
                    pos = end;
                }
                _ => return None,
            }
        }
        _ => return None,
    }
    let count = varint(bytes, &mut pos)?;
    put(&mut out, count);
    for _ in 0..count {
        for _ in 0..2 {
            let len = usize::try_from(varint(bytes, &mut pos)?).ok()?;
            let end = pos.checked_add(len).filter(|&e| e <= bytes.len())?;
            put(&mut out, len as u64);
            out.extend_from_slice(&bytes[pos..end]);
            pos = end;
        }
    }
    (pos == bytes.len()).then_some(out)
}

// ---------------------------------------------------------------------------
// HTTP helpers.

/// Splits fuzz bytes into `Cookie` header values at `\n` (a byte no header
/// value can hold); lines `HeaderValue` refuses are skipped.
pub fn cookie_headers(data: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append(COOKIE, value);
        }
    }
    headers
}

/// One `Cookie: session=<value>` header.
pub fn cookie_header(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.append(
        COOKIE,
        HeaderValue::from_str(&format!("{NAME}={value}")).unwrap(),
    );
    headers
}

/// Every `Set-Cookie` of a response as `(name, value)`, checking that each
/// is well-formed, that a removal has `Max-Age=0` and that `Vary: Cookie`
/// accompanies them.
pub fn written_lines(headers: &HeaderMap) -> Vec<(String, String)> {
    let lines: Vec<(String, String)> = headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|line| {
            let line = line.to_str().expect("Set-Cookie is visible ASCII");
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').expect("name=value");
            assert_eq!(
                value.is_empty(),
                line.contains("; Max-Age=0; "),
                "a removal has Max-Age=0, a value has not: {line}"
            );
            (name.to_owned(), value.to_owned())
        })
        .collect();
    if !lines.is_empty() {
        let vary = headers
            .get_all(VARY)
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.eq_ignore_ascii_case("cookie")));
        assert!(vary, "Set-Cookie without Vary: Cookie");
    }
    lines
}

/// The chunk cookie names `{NAME}` and `{NAME}.k` for `indices`, as
/// removals.
pub fn removals(indices: impl IntoIterator<Item = u8>) -> Vec<(String, String)> {
    indices
        .into_iter()
        .map(|k| {
            let name = if k == 0 {
                NAME.to_owned()
            } else {
                format!("{NAME}.{k}")
            };
            (name, String::new())
        })
        .collect()
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// No `Set-Cookie`.
    Nothing,
    /// A removal cookie (empty value, `Max-Age=0`).
    Removal,
    /// A sealed value.
    Sealed(String),
}

/// Reads the `Set-Cookie` headers of a response, checking that there is at
/// most one, that it is for [`NAME`], well-formed, and that `Vary: Cookie`
/// accompanies it.
pub fn written(headers: &HeaderMap) -> Written {
    let all: Vec<&HeaderValue> = headers.get_all(SET_COOKIE).iter().collect();
    assert!(all.len() <= 1, "more than one Set-Cookie: {all:?}");
    let Some(line) = all.first() else {
        return Written::Nothing;
    };
    let line = line.to_str().expect("Set-Cookie is visible ASCII");
    let vary = headers
        .get_all(VARY)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.eq_ignore_ascii_case("cookie")));
    assert!(vary, "Set-Cookie without Vary: Cookie");
    let pair = line.split(';').next().unwrap();
    let (name, value) = pair.split_once('=').expect("name=value");
    assert_eq!(name, NAME, "{line}");
    if value.is_empty() {
        assert!(
            line.contains("; Max-Age=0; "),
            "removal without Max-Age=0: {line}"
        );
        Written::Removal
    } else {
        assert!(
            !line.contains("Max-Age=0;"),
            "sealed value with Max-Age=0: {line}"
        );
        Written::Sealed(value.to_owned())
    }
}

/// The status a single candidate value yields when it is the only one, from
/// the public `danger::open_session_value` and the envelope mirror: `Ok(env)` when
/// it loads.
pub fn classify(config: &SessionConfig, raw: &[u8]) -> Result<(MirrorEnvelope, bool), Status> {
    // The length is checked before anything is decoded, so a value too
    // long for any cookie is `TooLong` whatever its bytes (found once the
    // chunk seeds made inputs longer than a cookie).
    let max = 4096 - NAME.len() - 1;
    if raw.len() > max {
        return Err(Status::Invalid(InvalidReason::Malformed(
            MalformedReason::TooLong {
                len: raw.len(),
                max,
            },
        )));
    }
    let Ok(value) = std::str::from_utf8(raw) else {
        return Err(Status::Invalid(InvalidReason::Malformed(
            MalformedReason::Base64,
        )));
    };
    let opened = sealed_session::danger::open_session_value(config, value)
        .map_err(|e| Status::Invalid(InvalidReason::from(e)))?;
    judge(&opened)
}

/// The cookies a chunked load examines, name by name through the public
/// scanner (each scan has the same budget, so the same cut): the values of
/// `{NAME}`, and of `{NAME}.1` to `{NAME}.3`.
pub struct ChunkScan<'a> {
    /// The values of `{NAME}`, in order.
    pub firsts: Vec<&'a [u8]>,
    /// `chunks[k]`: the values of `{NAME}.k` (`chunks[0]` unused).
    pub chunks: [Vec<&'a [u8]>; 4],
    /// Whether the scan budget cut the headers.
    pub truncated: bool,
}

impl<'a> ChunkScan<'a> {
    /// Scans `headers`.
    pub fn new(headers: &'a HeaderMap) -> Self {
        // `NAME` and its chunks, spelled out: the scanner borrows the name
        // for as long as the headers.
        const NAMES: [&str; 4] = ["session", "session.1", "session.2", "session.3"];
        debug_assert_eq!(NAMES[0], NAME);
        let names = NAMES;
        let mut truncated = false;
        let mut lists: [Vec<&'a [u8]>; 4] = Default::default();
        for (k, name) in names.iter().enumerate() {
            let mut values = sealed_session::cookies::cookie_values(headers, name);
            lists[k] = values.by_ref().collect();
            truncated |= values.is_truncated();
        }
        let firsts = std::mem::take(&mut lists[0]);
        Self {
            firsts,
            chunks: lists,
            truncated,
        }
    }

    /// The chunk indices present, ascending.
    pub fn carried(&self) -> Vec<u8> {
        (1..4u8)
            .filter(|&k| !self.chunks[usize::from(k)].is_empty())
            .collect()
    }
}

/// The status one first chunk yields with the chunk cookies of `scan`
/// under [`chunked_config`], all or nothing: a first chunk `n~share` needs
/// each of `{NAME}.1` to `{NAME}.(n-1)` exactly once and nothing beyond
/// (checked in index order), `n` within 2 to [`CHUNKS`]; a first without
/// the marker is a one-cookie value that no chunk may accompany.
pub fn classify_chunked(
    config: &SessionConfig,
    first: &[u8],
    scan: &ChunkScan<'_>,
) -> Result<(MirrorEnvelope, bool), Status> {
    let chunk_error = |reason| Err(Status::Invalid(InvalidReason::Chunks(reason)));
    let [digit @ b'0'..=b'9', b'~', rest @ ..] = first else {
        if let Some(&index) = scan.carried().first() {
            return chunk_error(ChunkReason::Extra { index });
        }
        return classify(config, first);
    };
    let count = digit - b'0';
    if !(2..=CHUNKS).contains(&count) {
        return chunk_error(ChunkReason::BadCount { count, max: CHUNKS });
    }
    for index in 1..4u8 {
        let n = scan.chunks[usize::from(index)].len();
        match (index < count, n) {
            (true, 0) => return chunk_error(ChunkReason::Missing { index }),
            (true, 1) | (false, 0) => {}
            (true, _) => return chunk_error(ChunkReason::Duplicated { index }),
            (false, _) => return chunk_error(ChunkReason::Extra { index }),
        }
    }
    let shares: Vec<&[u8]> = std::iter::once(rest)
        .chain((1..count).map(|k| scan.chunks[usize::from(k)][0]))
        .collect();
    let opened = sealed_session::danger::open_session_chunks(config, &shares)
        .map_err(|e| Status::Invalid(InvalidReason::from(e)))?;
    judge(&opened)
}

/// What the load rules make of an opened value.
fn judge(opened: &Opened) -> Result<(MirrorEnvelope, bool), Status> {
    let env =
        mirror_decode(opened.plaintext()).ok_or(Status::Invalid(InvalidReason::BadPayload))?;
    // Created or sealed beyond the clock skew in the future: not honoured,
    // checked before the expiry.
    let skew = sealed_session::CLOCK_SKEW.whole_seconds();
    if env.created > NOW + skew || env.sealed() > NOW + skew {
        return Err(Status::Invalid(InvalidReason::FromTheFuture));
    }
    if env.is_live(NOW) {
        Ok((env, opened.used_fallback()))
    } else {
        Err(Status::Expired)
    }
}

// ---------------------------------------------------------------------------
// The session model of the roundtrip target and the property tests.

/// A session key: mostly a few short names, so operations collide.
#[derive(Debug, Clone, arbitrary::Arbitrary)]
pub enum KeyName {
    /// One of eight names.
    Small(u8),
    /// Anything.
    Any(String),
}

impl KeyName {
    /// The key as a string.
    pub fn name(&self) -> String {
        match self {
            KeyName::Small(n) => format!("k{}", n % 8),
            KeyName::Any(s) => s.clone(),
        }
    }
}

/// A struct value, for field names in the shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, arbitrary::Arbitrary)]
pub struct Rec {
    /// An id.
    pub id: u64,
    /// A name.
    pub name: String,
}

/// The same fields under other names: postcard alone would read a [`Rec`]
/// as one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecRenamed {
    /// Was `id`.
    pub user_id: u64,
    /// Was `name`.
    pub label: String,
}

/// An enum with data, kept in a `HashMap` so that the order of its entries
/// and the mix of variants change across a round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, arbitrary::Arbitrary)]
pub enum Ev {
    /// Unit.
    A,
    /// Newtype.
    B(u32),
    /// Struct.
    C {
        /// A field.
        x: i8,
    },
}

/// A session value of one of eight types. No two of them share a shape for
/// any value, so a read with the type of another variant must fail.
#[derive(Debug, Clone, PartialEq, Eq, arbitrary::Arbitrary)]
pub enum Value {
    /// A string.
    Str(String),
    /// An integer.
    U64(u64),
    /// Bytes (a sequence of `u8`).
    Bytes(Vec<u8>),
    /// A signed integer (postcard alone reads a `u64` as one).
    I64(i64),
    /// A bool (postcard alone reads it as a `u64` 0 or 1).
    Bool(bool),
    /// A struct.
    Rec(Rec),
    /// Nested options.
    Opt(Option<Option<u16>>),
    /// A hashed map of mixed variants.
    Events(HashMap<String, Ev>),
}

/// The types a key can be read as: those of [`Value`], and [`RecRenamed`].
pub const READ_TYPES: u8 = 9;

/// One operation on a session.
#[derive(Debug, Clone, arbitrary::Arbitrary)]
pub enum Op {
    /// `insert`.
    Insert(KeyName, Value),
    /// `remove`.
    Remove(KeyName),
    /// `take`, with the type the model says the key holds.
    Take(KeyName),
    /// `get`, likewise.
    Get(KeyName),
    /// `get` as type `n % READ_TYPES`, which may not be the stored type.
    GetAs(KeyName, u8),
    /// `take` as type `n % READ_TYPES`.
    TakeAs(KeyName, u8),
    /// `get_or_remove` as type `n % READ_TYPES`.
    GetOrRemoveAs(KeyName, u8),
    /// `clear`.
    Clear,
    /// `flush`.
    Flush,
    /// `renew`.
    Renew,
    /// `set_expiry(Idle(1 + n seconds))`.
    SetIdle(u8),
    /// `set_expiry(At(now + 1 + n seconds))`.
    SetAt(u8),
    /// `set_expiry(BrowserSession)`.
    SetBrowserSession,
    /// `set_expiry(Default)`.
    SetDefault,
    /// `set_expiry(Idle(0))` or `At(now - n)`: the session is over, so the
    /// next save removes the cookie.
    ExpireNow(u8),
    /// Save into a response, keep the cookie in a jar, and load the next
    /// session from the jar.
    SaveLoad,
}

fn varint_len(n: u64) -> usize {
    let bits = 64 - n.leading_zeros() as usize;
    bits.max(1).div_ceil(7)
}

/// How a read went, the value's type erased: `Some(Ok(v))` a value,
/// `Some(Err(..))` an error, `None` nothing stored.
pub type Read = Result<Option<Value>, SessionError>;

/// One of the three ways to read a key, for [`read_as`].
pub trait Reader {
    /// Reads the key as a `T`.
    fn read<T: Serialize + serde::de::DeserializeOwned>(self) -> Result<Option<T>, SessionError>;
}

/// `session.get(key)`.
pub struct Get<'a>(pub &'a sealed_session::Session, pub &'a str);
/// `session.take(key)`.
pub struct Take<'a>(pub &'a mut sealed_session::Session, pub &'a str);
/// `session.get_or_remove(key)`, its `None` as `Ok(None)`.
pub struct GetOrRemove<'a>(pub &'a mut sealed_session::Session, pub &'a str);

impl Reader for Get<'_> {
    fn read<T: Serialize + serde::de::DeserializeOwned>(self) -> Result<Option<T>, SessionError> {
        self.0.get(self.1)
    }
}

impl Reader for Take<'_> {
    fn read<T: Serialize + serde::de::DeserializeOwned>(self) -> Result<Option<T>, SessionError> {
        self.0.take(self.1)
    }
}

impl Reader for GetOrRemove<'_> {
    fn read<T: Serialize + serde::de::DeserializeOwned>(self) -> Result<Option<T>, SessionError> {
        Ok(self.0.get_or_remove(self.1))
    }
}

/// Reads with `reader` as type `ty % READ_TYPES`; a [`RecRenamed`] that
/// reads is reported as a [`Value::Rec`].
pub fn read_as(reader: impl Reader, ty: u8) -> Read {
    fn wrap<T>(r: Result<Option<T>, SessionError>, f: impl Fn(T) -> Value) -> Read {
        r.map(|v| v.map(f))
    }
    match ty % READ_TYPES {
        0 => wrap(reader.read(), Value::Str),
        1 => wrap(reader.read(), Value::U64),
        2 => wrap(reader.read(), Value::Bytes),
        3 => wrap(reader.read(), Value::I64),
        4 => wrap(reader.read(), Value::Bool),
        5 => wrap(reader.read(), Value::Rec),
        6 => wrap(reader.read(), Value::Opt),
        7 => wrap(reader.read(), Value::Events),
        _ => wrap(reader.read(), |r: RecRenamed| {
            Value::Rec(Rec {
                id: r.user_id,
                name: r.label,
            })
        }),
    }
}

impl Value {
    /// The read type of its own type.
    pub fn type_index(&self) -> u8 {
        match self {
            Value::Str(_) => 0,
            Value::U64(_) => 1,
            Value::Bytes(_) => 2,
            Value::I64(_) => 3,
            Value::Bool(_) => 4,
            Value::Rec(_) => 5,
            Value::Opt(_) => 6,
            Value::Events(_) => 7,
        }
    }

    /// Stores the value in a session with its own type.
    pub fn insert_into(&self, session: &mut sealed_session::Session, key: &str) {
        match self {
            Value::Str(v) => session.insert(key, v),
            Value::U64(v) => session.insert(key, v),
            Value::Bytes(v) => session.insert(key, v),
            Value::I64(v) => session.insert(key, v),
            Value::Bool(v) => session.insert(key, v),
            Value::Rec(v) => session.insert(key, v),
            Value::Opt(v) => session.insert(key, v),
            Value::Events(v) => session.insert(key, v),
        }
        .expect("every model type encodes");
    }

    /// Reads a value of the same type as `self` from a session.
    pub fn get_same_type(&self, session: &sealed_session::Session, key: &str) -> Option<Value> {
        read_as(Get(session, key), self.type_index()).unwrap()
    }

    /// Takes a value of the same type as `self` from a session.
    pub fn take_same_type(
        &self,
        session: &mut sealed_session::Session,
        key: &str,
    ) -> Option<Value> {
        read_as(Take(session, key), self.type_index()).unwrap()
    }

    /// Its stored length: the 4-byte shape fingerprint, then postcard.
    pub fn encoded_len(&self) -> usize {
        let postcard = match self {
            Value::Str(v) => postcard::to_allocvec(v),
            Value::U64(v) => postcard::to_allocvec(v),
            Value::Bytes(v) => postcard::to_allocvec(v),
            Value::I64(v) => postcard::to_allocvec(v),
            Value::Bool(v) => postcard::to_allocvec(v),
            Value::Rec(v) => postcard::to_allocvec(v),
            Value::Opt(v) => postcard::to_allocvec(v),
            Value::Events(v) => postcard::to_allocvec(v),
        };
        4 + postcard.expect("every model type encodes").len()
    }
}

/// Bounds on the postcard size of an envelope holding `model`: the
/// timestamps, the expiry override and the (absent) identity take between 5
/// and 43 bytes.
pub fn envelope_len_bounds(model: &BTreeMap<String, Value>) -> (usize, usize) {
    let data: usize = varint_len(model.len() as u64)
        + model
            .iter()
            .map(|(k, v)| {
                let enc = v.encoded_len();
                varint_len(k.len() as u64) + k.len() + varint_len(enc as u64) + enc
            })
            .sum::<usize>();
    (5 + data, 43 + data)
}

/// Length of `name=value` for a plaintext of `n` bytes: 45 bytes of seal,
/// then unpadded base64.
pub fn cookie_len(plaintext_len: usize) -> usize {
    NAME.len() + 1 + (plaintext_len + 45).saturating_mul(4).div_ceil(3)
}

/// Asserts that a session holds exactly the model.
pub fn assert_matches_model(session: &sealed_session::Session, model: &BTreeMap<String, Value>) {
    let keys: Vec<&str> = session.keys().collect();
    let want: Vec<&str> = model.keys().map(String::as_str).collect();
    assert_eq!(keys, want);
    for (k, v) in model {
        assert_eq!(v.get_same_type(session, k).as_ref(), Some(v), "key {k:?}");
    }
}

/// Applies `ops` to a session and to a `BTreeMap` model, saving and loading
/// through a one-cookie jar at every [`Op::SaveLoad`] and once at the end;
/// panics at the first divergence.
pub fn run_ops(config: &SessionConfig, ops: &[Op]) {
    use sealed_session::time::Duration;
    use sealed_session::{Expiry, SaveError};

    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let mut session = sealed_session::load(config, &HeaderMap::new());
    assert_eq!(session.status(), Status::New);
    let mut model: BTreeMap<String, Value> = BTreeMap::new();
    let mut jar: Option<String> = None;
    let mut expire_now = false;
    // Since the last save: a flushed session's old cookie is removed even
    // when its new one cannot be sealed (save rule 5).
    let mut flushed = false;
    let limit = config.size_limit();

    for op in ops.iter().chain(std::iter::once(&Op::SaveLoad)) {
        match op {
            Op::Insert(k, v) => {
                let k = k.name();
                v.insert_into(&mut session, &k);
                model.insert(k, v.clone());
            }
            Op::Remove(k) => {
                let k = k.name();
                assert_eq!(
                    session.remove(&k),
                    model.remove(&k).is_some(),
                    "remove {k:?}"
                );
            }
            Op::Take(k) => {
                let k = k.name();
                let probe = model.get(&k).cloned().unwrap_or(Value::Str(String::new()));
                assert_eq!(
                    probe.take_same_type(&mut session, &k),
                    model.remove(&k),
                    "take {k:?}"
                );
            }
            Op::Get(k) => {
                let k = k.name();
                let probe = model.get(&k).cloned().unwrap_or(Value::U64(0));
                assert_eq!(
                    probe.get_same_type(&session, &k).as_ref(),
                    model.get(&k),
                    "get {k:?}"
                );
            }
            Op::GetAs(k, ty) | Op::TakeAs(k, ty) | Op::GetOrRemoveAs(k, ty) => {
                let k = k.name();
                let stored = model.get(&k).cloned();
                let same = stored.as_ref().map(|v| v.type_index() == ty % READ_TYPES);
                let got = match op {
                    Op::GetAs(..) => read_as(Get(&session, &k), *ty),
                    Op::TakeAs(..) => read_as(Take(&mut session, &k), *ty),
                    _ => read_as(GetOrRemove(&mut session, &k), *ty),
                };
                match (same, op) {
                    // Nothing stored: nothing read, whatever the type.
                    (None, _) => assert_eq!(got, Ok(None), "{op:?}"),
                    // The stored type: the stored value.
                    (Some(true), _) => {
                        assert_eq!(got, Ok(stored), "{op:?}");
                        if matches!(op, Op::TakeAs(..)) {
                            model.remove(&k);
                        }
                    }
                    // Another type: absent and removed with get_or_remove...
                    (Some(false), Op::GetOrRemoveAs(..)) => {
                        assert_eq!(got, Ok(None), "{op:?} of {stored:?}");
                        model.remove(&k);
                    }
                    // ...an error otherwise, never a value, and the value stays.
                    (Some(false), _) => assert!(
                        matches!(
                            got,
                            Err(SessionError::TypeMismatch { .. } | SessionError::Decode { .. })
                        ),
                        "{op:?} of {stored:?}: {got:?}"
                    ),
                }
            }
            Op::Clear => {
                session.clear();
                model.clear();
            }
            Op::Flush => {
                session.flush();
                model.clear();
                expire_now = false;
                flushed = true;
            }
            Op::Renew => {
                session.renew();
                // A renew rotates the CSRF secret: its key goes.
                model.remove(sealed_session::csrf::SESSION_KEY);
            }
            Op::SetIdle(n) => {
                session.set_expiry(Expiry::Idle(Duration::seconds(1 + i64::from(*n))));
                expire_now = false;
            }
            Op::SetAt(n) => {
                session.set_expiry(Expiry::At(now + Duration::seconds(1 + i64::from(*n))));
                expire_now = false;
            }
            Op::SetBrowserSession => {
                session.set_expiry(Expiry::BrowserSession);
                expire_now = false;
            }
            Op::SetDefault => {
                session.set_expiry(Expiry::Default);
                expire_now = false;
            }
            Op::ExpireNow(n) => {
                session.set_expiry(if n % 2 == 0 {
                    Expiry::Idle(Duration::ZERO)
                } else {
                    Expiry::At(now - Duration::seconds(i64::from(*n)))
                });
                expire_now = true;
            }
            Op::SaveLoad => {
                let mut response = http::Response::new(());
                let (lower, upper) = envelope_len_bounds(&model);
                match sealed_session::save(config, &session, &mut response) {
                    Ok(()) => {}
                    Err(SaveError::TooLarge { size, limit: l }) => {
                        assert_eq!(l, limit);
                        assert!(size > limit, "TooLarge {size} <= {limit}");
                        assert!(
                            cookie_len(upper) > limit,
                            "TooLarge for a model of at most {upper} bytes"
                        );
                        if flushed {
                            // The logout still goes out.
                            assert_eq!(written(response.headers()), Written::Removal);
                        } else {
                            assert!(response.headers().get(SET_COOKIE).is_none());
                        }
                        // The client keeps its previous cookie; the sequence ends.
                        return;
                    }
                    Err(e) => panic!("save failed: {e:?}"),
                }
                let w = written(response.headers());
                if model.is_empty() {
                    assert!(matches!(w, Written::Nothing | Written::Removal), "{w:?}");
                } else if expire_now {
                    assert_eq!(w, Written::Removal, "an expired session must be removed");
                    model.clear();
                } else {
                    assert!(
                        cookie_len(lower) <= limit,
                        "saved a model of at least {lower} bytes"
                    );
                }
                match w {
                    Written::Nothing => {}
                    Written::Removal => jar = None,
                    Written::Sealed(v) => {
                        assert!(NAME.len() + 1 + v.len() <= limit, "{} > {limit}", v.len());
                        jar = Some(v);
                    }
                }
                expire_now = false;
                flushed = false;
                let request = match &jar {
                    Some(v) => cookie_header(v),
                    None => HeaderMap::new(),
                };
                session = sealed_session::load(config, &request);
                match &jar {
                    Some(_) => assert_eq!(session.status(), Status::Loaded),
                    None => assert_eq!(session.status(), Status::New),
                }
                assert_matches_model(&session, &model);
            }
        }
        let keys: Vec<&str> = session.keys().collect();
        assert!(keys.iter().copied().eq(model.keys().map(String::as_str)));
    }
}

// ---------------------------------------------------------------------------
// The CSRF targets.

/// A request from fuzz bytes written as a plain-text HTTP head: a first line
/// `METHOD URI`, then one `name: value` header per line (`\n` separated, so
/// seeds are readable). A method or URI the `http` crate refuses becomes
/// `POST` or `/`; a header line it refuses is skipped, so every input gives
/// a request.
pub fn request_from_text(data: &[u8]) -> http::Request<()> {
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let (method, uri) = match first.iter().position(|&b| b == b' ') {
        Some(i) => (&first[..i], &first[i + 1..]),
        None => (first, &b"/"[..]),
    };
    let mut request = http::Request::new(());
    *request.method_mut() = http::Method::from_bytes(method).unwrap_or(http::Method::POST);
    *request.uri_mut() = http::Uri::try_from(uri).unwrap_or_else(|_| http::Uri::from_static("/"));
    fn trim(mut s: &[u8]) -> &[u8] {
        while let [b' ' | b'\t' | b'\r', rest @ ..] = s {
            s = rest;
        }
        while let [rest @ .., b' ' | b'\t' | b'\r'] = s {
            s = rest;
        }
        s
    }
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(trim(&line[..colon])),
            HeaderValue::from_bytes(trim(&line[colon + 1..])),
        ) else {
            continue;
        };
        request.headers_mut().append(name, value);
    }
    request
}

/// The CSRF secret of the `csrf_token` target's session (what
/// `csrf::token` stores under `csrf::SESSION_KEY`).
pub const CSRF_SECRET: [u8; 32] = *b"csrf secret of the fuzz session!";

/// A token for `secret` masked with `pad`, written from the documented
/// format alone: `base64url(pad || pad XOR secret)`, unpadded.
pub fn masked_token(secret: &[u8; 32], pad: &[u8; 32]) -> String {
    let mut bytes = pad.to_vec();
    bytes.extend(pad.iter().zip(secret).map(|(p, s)| p ^ s));
    URL_SAFE_NO_PAD.encode(bytes)
}
