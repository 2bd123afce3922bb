//! The plaintext inside a sealed session cookie, postcard-encoded:
//!
//! ```text
//! created: i64        Unix seconds when the session was first issued
//! expires: i64        Unix seconds after which the server rejects it
//! sealed:  i64        seconds from `created` to when this cookie was sealed
//!                     (the last activity of a rolling session)
//! expiry:  Option<..> the per-session override (Session::set_expiry)
//! identity: Option<(id: [u8; 16], subject: Option<String>)>
//!                     with session ids or a subject (revocation); one
//!                     byte when absent
//! data:    map<String, bytes>  each value a 4-byte shape fingerprint, then
//!                     its postcard encoding
//! ```
//!
//! `sealed` is stored as an offset from `created`, so it costs one to four
//! bytes instead of five: it lets the current rolling idle time be checked
//! at load (a shortened idle time applies to cookies already issued).
//!
//! The plaintext buffers are wiped when dropped: the opened plaintext a
//! session borrows its values from (a `SecretBuf`), and a plaintext that
//! failed to decode (`zeroize`). A buffer that grows as values are inserted
//! may leave copies in memory it gave back to the allocator.
//!
//! This is exactly postcard's encoding of that tuple (zigzag LEB128 varints,
//! a `0`/`1` option tag, a varint enum tag, length-prefixed strings and
//! bytes). It is written by hand so that loading borrows keys and values
//! from the opened plaintext instead of allocating each one. The map is
//! ordered, so the same session always encodes to the same bytes.

use std::ops::Range;

use zeroize::{Zeroize, Zeroizing};

use crate::lifetime::ExpiryOverride;
use crate::secret_buf::SecretBuf;

/// Length of a session id: 128 random bits.
pub(crate) const ID_LEN: usize = 16;

/// Who a session is, for revocation: a random id, and the subject the app
/// attached (`Session::set_subject`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) id: [u8; ID_LEN],
    pub(crate) subject: Option<String>,
}

/// Where a key or value lives: in the opened plaintext (loaded, untouched)
/// or in its own allocation (inserted since).
#[derive(Debug, Clone)]
enum Slot {
    Buf(Range<u32>),
    Owned(Box<[u8]>),
}

#[derive(Debug, Clone)]
struct Entry {
    key: Slot,
    value: Slot,
}

/// The session data: an ordered map from keys to the postcard bytes of each
/// value. Loading does not copy: keys and values stay in the opened
/// plaintext, and inserted values are appended to the same buffer.
#[derive(Clone, Default)]
pub(crate) struct Data {
    buf: SecretBuf,
    /// Sorted by key bytes, keys unique.
    entries: Vec<Entry>,
}

/// Session values may be secret: only the number of entries is shown.
impl std::fmt::Debug for Data {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Data")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

/// Replaced values leave dead bytes in the buffer; past this size (and twice
/// the live bytes) it is compacted, so a handler that rewrites a key in a loop
/// does not grow it without bound.
const COMPACT_AT: usize = 16 * 1024;

/// The first allocation of a new session's buffer: the small and medium
/// fixtures of the benches (three to eight keys) fit without growing.
const INITIAL_CAPACITY: usize = 512;

/// The owned slots hold session values too; the buffer wipes itself.
impl Drop for Data {
    fn drop(&mut self) {
        for e in &mut self.entries {
            for slot in [&mut e.key, &mut e.value] {
                if let Slot::Owned(b) = slot {
                    b.zeroize();
                }
            }
        }
    }
}

impl Data {
    fn bytes<'a>(&'a self, slot: &'a Slot) -> &'a [u8] {
        match slot {
            Slot::Buf(r) => &self.buf[r.start as usize..r.end as usize],
            Slot::Owned(b) => b,
        }
    }

    fn key_str<'a>(&'a self, entry: &'a Entry) -> &'a str {
        // Keys are checked to be UTF-8 when decoded, and inserted as `String`.
        std::str::from_utf8(self.bytes(&entry.key)).unwrap_or_default()
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|e| self.bytes(&e.key).cmp(key.as_bytes()))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&[u8]> {
        // A handful of keys: comparing lengths first beats the ordered
        // comparisons of a binary search.
        if self.entries.len() <= 16 {
            return self
                .entries
                .iter()
                .find(|e| self.bytes(&e.key) == key.as_bytes())
                .map(|e| self.bytes(&e.value));
        }
        self.find(key)
            .ok()
            .map(|i| self.bytes(&self.entries[i].value))
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Appends the value that `encode` writes to the shared buffer: no
    /// allocation per value. On error the buffer is cut back.
    /// Stores the value `encode` appends under `key`; `Ok(false)` when the
    /// key already held exactly those bytes (nothing changed).
    pub(crate) fn insert_with<E>(
        &mut self,
        key: &str,
        encode: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<bool, E> {
        self.compact_if_bloated();
        if self.buf.capacity() == 0 {
            // A fresh session: room for a typical small one, so that its
            // first inserts do not grow (and copy) the buffer step by step.
            // A loaded session's buffer is the opened plaintext; it grows
            // by doubling like any `Vec`.
            self.buf.reserve(INITIAL_CAPACITY);
        }
        let start = self.buf.len();
        if let Err(e) = encode(&mut self.buf) {
            self.buf.truncate(start);
            return Err(e);
        }
        let end = self.buf.len();
        // One lookup serves the equality check and the insertion: nothing
        // between them changes the entries.
        let found = self.find(key);
        if let Ok(i) = found {
            if *self.bytes(&self.entries[i].value) == self.buf[start..end] {
                self.buf.truncate(start);
                return Ok(false);
            }
        }
        let (Ok(s), Ok(e)) = (u32::try_from(start), u32::try_from(end)) else {
            let owned: Box<[u8]> = self.buf[start..].into();
            self.buf.truncate(start);
            self.insert_slot(found, key, Slot::Owned(owned));
            return Ok(true);
        };
        self.insert_slot(found, key, Slot::Buf(s..e));
        Ok(true)
    }

    /// Stores `value` under `key`, at `found`: what [`find`](Self::find)
    /// gives for `key` now.
    fn insert_slot(&mut self, found: Result<usize, usize>, key: &str, value: Slot) {
        match found {
            Ok(i) => self.entries[i].value = value,
            Err(i) => {
                let start = self.buf.len();
                self.buf.extend_from_slice(key.as_bytes());
                let key = match (u32::try_from(start), u32::try_from(self.buf.len())) {
                    (Ok(s), Ok(e)) => Slot::Buf(s..e),
                    _ => {
                        self.buf.truncate(start);
                        Slot::Owned(key.as_bytes().into())
                    }
                };
                if self.entries.capacity() == 0 {
                    self.entries.reserve(8);
                }
                self.entries.insert(i, Entry { key, value });
            }
        }
    }

    fn compact_if_bloated(&mut self) {
        if self.buf.len() < COMPACT_AT {
            return;
        }
        let live: usize = self
            .entries
            .iter()
            .map(|e| self.bytes(&e.key).len() + self.bytes(&e.value).len())
            .sum();
        if self.buf.len() < 2 * live {
            return;
        }
        let mut buf = Vec::with_capacity(live + 256);
        let mut entries = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let mut copy = |slot: &Slot| match slot {
                Slot::Buf(_) => {
                    let start = buf.len();
                    buf.extend_from_slice(self.bytes(slot));
                    // Smaller than the old buffer, whose offsets fit u32.
                    Slot::Buf(start as u32..buf.len() as u32)
                }
                Slot::Owned(b) => Slot::Owned(b.clone()),
            };
            let key = copy(&e.key);
            let value = copy(&e.value);
            entries.push(Entry { key, value });
        }
        // The old buffer is wiped, not just freed.
        self.buf.replace(buf);
        self.entries = entries;
    }

    pub(crate) fn remove(&mut self, key: &str) -> bool {
        match self.find(key) {
            Ok(i) => {
                self.entries.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        // Wiped, and its memory given back.
        self.buf.wipe();
        self.buf.shrink_to_fit();
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// An upper bound on the encoded entries, without measuring each one:
    /// the keys and values in the buffer occupy disjoint ranges of it (it
    /// may also hold dead bytes), the owned ones are counted, and each
    /// entry adds two length varints of at most 10 bytes.
    fn entries_len_bound(&self) -> usize {
        let owned = |slot: &Slot| match slot {
            Slot::Buf(_) => 0,
            Slot::Owned(b) => b.len(),
        };
        let owned: usize = self
            .entries
            .iter()
            .map(|e| owned(&e.key) + owned(&e.value))
            .sum();
        self.buf.len() + owned + 20 * self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|e| self.key_str(e))
    }

    fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.entries
            .iter()
            .map(|e| (self.bytes(&e.key), self.bytes(&e.value)))
    }
}

impl PartialEq for Data {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

/// A decoded envelope.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) created: i64,
    pub(crate) expires: i64,
    /// When the cookie was sealed, Unix seconds (stored relative to `created`).
    pub(crate) sealed: i64,
    pub(crate) expiry: Option<ExpiryOverride>,
    pub(crate) identity: Option<Identity>,
    pub(crate) data: Data,
}

/// Encodes an envelope, appending to `out`, exactly as postcard encodes
/// `(i64, i64, i64, Option<ExpiryOverride>, Option<([u8; 16],
/// Option<String>)>, BTreeMap<String, ByteBuf>)` (a test holds it to that).
/// Written by hand so that decoding can borrow.
pub(crate) fn encode(
    created: i64,
    expires: i64,
    sealed: i64,
    expiry: Option<ExpiryOverride>,
    identity: Option<&Identity>,
    data: &Data,
    mut out: Vec<u8>,
) -> Vec<u8> {
    put_i64(&mut out, created);
    put_i64(&mut out, expires);
    put_i64(&mut out, sealed.wrapping_sub(created));
    match expiry {
        None => out.push(0),
        Some(ExpiryOverride::Idle(s)) => {
            out.extend_from_slice(&[1, 0]);
            put_i64(&mut out, s);
        }
        Some(ExpiryOverride::At(t)) => {
            out.extend_from_slice(&[1, 1]);
            put_i64(&mut out, t);
        }
        Some(ExpiryOverride::BrowserSession) => out.extend_from_slice(&[1, 2]),
    }
    match identity {
        None => out.push(0),
        Some(ident) => {
            out.push(1);
            out.extend_from_slice(&ident.id);
            match &ident.subject {
                None => out.push(0),
                Some(s) => {
                    out.push(1);
                    put_varint(&mut out, s.len() as u64);
                    out.extend_from_slice(s.as_bytes());
                }
            }
        }
    }
    put_varint(&mut out, data.len() as u64);
    for (k, v) in data.iter() {
        put_varint(&mut out, k.len() as u64);
        out.extend_from_slice(k);
        put_varint(&mut out, v.len() as u64);
        out.extend_from_slice(v);
    }
    out
}

/// Decodes an envelope, keeping `bytes` as the data's storage. Anything but
/// the canonical encoding is rejected (trailing bytes, keys out of order or
/// repeated, non-UTF-8 keys), so one plaintext has one meaning.
pub(crate) fn decode(mut bytes: Zeroizing<Vec<u8>>) -> Option<Envelope> {
    // Offsets are stored as u32; a sealed cookie is a few KB.
    if u32::try_from(bytes.len()).is_err() {
        return None;
    }
    let mut r = Reader {
        buf: &bytes,
        pos: 0,
    };
    let created = r.i64()?;
    let expires = r.i64()?;
    let sealed = created.wrapping_add(r.i64()?);
    let expiry = match r.byte()? {
        0 => None,
        1 => Some(match r.varint()? {
            0 => ExpiryOverride::Idle(r.i64()?),
            1 => ExpiryOverride::At(r.i64()?),
            2 => ExpiryOverride::BrowserSession,
            _ => return None,
        }),
        _ => return None,
    };
    let identity = match r.byte()? {
        0 => None,
        1 => {
            let mut id = [0u8; ID_LEN];
            for b in &mut id {
                *b = r.byte()?;
            }
            let subject = match r.byte()? {
                0 => None,
                1 => {
                    let range = r.slice()?;
                    let text = &bytes[range.start as usize..range.end as usize];
                    Some(std::str::from_utf8(text).ok()?.to_owned())
                }
                _ => return None,
            };
            Some(Identity { id, subject })
        }
        _ => return None,
    };
    let count = usize::try_from(r.varint()?).ok()?;
    // Each entry takes at least two bytes, so the claim is capped by the
    // input; past a typical session the vector grows as entries really
    // arrive, so a lying count cannot reserve more than the input justifies.
    let mut entries = Vec::with_capacity(count.min(r.remaining() / 2).min(32));
    for _ in 0..count {
        let key = r.slice()?;
        let key_bytes = &bytes[key.start as usize..key.end as usize];
        // Keys are short and almost always ASCII: `is_ascii` settles those
        // for a fraction of `from_utf8`'s fixed cost.
        if !key_bytes.is_ascii() {
            std::str::from_utf8(key_bytes).ok()?;
        }
        if let Some(last) = entries.last() {
            let Entry {
                key: Slot::Buf(prev),
                ..
            } = last
            else {
                return None;
            };
            if bytes[prev.start as usize..prev.end as usize]
                >= bytes[key.start as usize..key.end as usize]
            {
                return None;
            }
        }
        let value = r.slice()?;
        entries.push(Entry {
            key: Slot::Buf(key),
            value: Slot::Buf(value),
        });
    }
    if r.remaining() != 0 {
        return None;
    }
    Some(Envelope {
        created,
        expires,
        sealed,
        expiry,
        identity,
        data: Data {
            buf: SecretBuf::new(std::mem::take(&mut *bytes)),
            entries,
        },
    })
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// LEB128 in its shortest form: at most 10 bytes, no bits beyond 64, and
    /// no trailing zero byte (`80 00` for 0 is refused), so every number has
    /// exactly one encoding.
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            if (i == 9 && b > 1) || (i > 0 && b == 0) {
                return None;
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn i64(&mut self) -> Option<i64> {
        let z = self.varint()?;
        Some(((z >> 1) as i64) ^ -((z & 1) as i64))
    }

    /// A length-prefixed byte string, as a range of the buffer.
    fn slice(&mut self) -> Option<Range<u32>> {
        let len = usize::try_from(self.varint()?).ok()?;
        if len > self.remaining() {
            return None;
        }
        let start = self.pos;
        self.pos += len;
        // The buffer length was checked to fit u32.
        Some(start as u32..self.pos as u32)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_i64(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// An upper bound on the encoded size of an envelope: four varints of at
/// most 10 bytes, two tag bytes, the identity (`Some(subject)` when the
/// envelope carries one), the entry count, then the map's entries. Cheap:
/// it sizes the buffer a save seals in place, which must not grow (a
/// reallocation would leave a copy of the plaintext behind).
pub(crate) fn encoded_len_bound(identity: Option<Option<&str>>, data: &Data) -> usize {
    let ident = identity.map_or(1, |subject| {
        2 + ID_LEN + subject.map_or(0, |s| 10 + s.len())
    });
    10 + 10 + 10 + 2 + 10 + ident + 10 + data.entries_len_bound()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_bytes::ByteBuf;

    use super::*;

    fn dec(bytes: Vec<u8>) -> Option<Envelope> {
        decode(Zeroizing::new(bytes))
    }

    fn data(entries: &[(&str, &[u8])]) -> Data {
        let mut d = Data::default();
        for (k, v) in entries {
            d.insert_with(k, |buf| {
                buf.extend_from_slice(v);
                Ok::<(), ()>(())
            })
            .unwrap();
        }
        d
    }

    /// The save buffer is sized by the bound: it must hold for a loaded
    /// buffer, replaced values (dead bytes), removals and long values.
    #[test]
    fn the_size_bound_holds_after_load_replace_and_remove() {
        let long = vec![7u8; 300];
        let d = data(&[("a", b"1"), ("bb", &long), ("c", b"")]);
        let bytes = encode(1, 2, 3, None, None, &d, Vec::new());
        let mut loaded = dec(bytes).unwrap().data;
        let check = |d: &Data| {
            let n = encode(i64::MIN, i64::MAX, 0, None, None, d, Vec::new()).len();
            assert!(n <= encoded_len_bound(None, d), "{n}");
            let with_subject = Identity {
                id: [1; ID_LEN],
                subject: Some("user-1".into()),
            };
            let n = encode(0, 0, 0, None, Some(&with_subject), d, Vec::new()).len();
            assert!(n <= encoded_len_bound(Some(Some("user-1")), d), "{n}");
        };
        check(&loaded);
        for (key, len) in [("bb", 2000), ("zz", 0), ("a", 128), ("bb", 1)] {
            loaded
                .insert_with(key, |buf| {
                    buf.resize(buf.len() + len, 9);
                    Ok::<(), ()>(())
                })
                .unwrap();
            check(&loaded);
        }
        assert!(loaded.remove("a"));
        check(&loaded);
        loaded.clear();
        check(&loaded);
    }

    #[test]
    fn round_trip_and_exact_bytes() {
        let d = data(&[("a", &[1, 2])]);
        let bytes = encode(
            1,
            2,
            3,
            Some(ExpiryOverride::BrowserSession),
            None,
            &d,
            Vec::new(),
        );
        // created=1 (zigzag 2), expires=2 (zigzag 4), sealed=created+2
        // (zigzag 4), Some, variant 2, no identity, one entry: "a" -> [1, 2].
        assert_eq!(bytes, [2, 4, 4, 1, 2, 0, 1, 1, b'a', 2, 1, 2]);
        assert!(bytes.len() <= encoded_len_bound(None, &d));
        let env = dec(bytes).unwrap();
        assert_eq!((env.created, env.expires, env.sealed), (1, 2, 3));
        assert_eq!(env.expiry, Some(ExpiryOverride::BrowserSession));
        assert_eq!(env.data, d);
    }

    /// The serde model of the envelope: the hand-written codec must match
    /// postcard's encoding of it byte for byte, both ways.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum WireExpiry {
        Idle(i64),
        At(i64),
        BrowserSession,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct WireEnvelope {
        created: i64,
        expires: i64,
        sealed_age: i64,
        expiry: Option<WireExpiry>,
        identity: Option<([u8; 16], Option<String>)>,
        data: BTreeMap<String, ByteBuf>,
    }

    #[test]
    fn codec_is_exactly_postcard() {
        let long = vec![7u8; 300];
        let user = Identity {
            id: [7; ID_LEN],
            subject: Some("user:42".to_owned()),
        };
        let anonymous = Identity {
            id: [0xfe; ID_LEN],
            subject: None,
        };
        type Case<'a> = (
            i64,
            i64,
            i64,
            Option<ExpiryOverride>,
            Option<&'a Identity>,
            Data,
        );
        let cases: [Case<'_>; 4] = [
            (0, 0, 0, None, None, Data::default()),
            (
                1_767_225_600,
                1_768_435_200,
                1_767_229_200,
                Some(ExpiryOverride::Idle(1800)),
                Some(&user),
                data(&[("user", b"\x03ada"), ("cart", &long), ("é", b"")]),
            ),
            (
                -5,
                i64::MAX,
                i64::MIN,
                Some(ExpiryOverride::At(i64::MIN)),
                Some(&anonymous),
                data(&[("k", b"v")]),
            ),
            (
                i64::MIN,
                -1,
                i64::MAX,
                Some(ExpiryOverride::BrowserSession),
                None,
                Data::default(),
            ),
        ];
        for (created, expires, sealed, expiry, identity, d) in cases {
            let ours = encode(created, expires, sealed, expiry, identity, &d, Vec::new());
            assert!(ours.len() <= encoded_len_bound(identity.map(|i| i.subject.as_deref()), &d));
            let wire = WireEnvelope {
                created,
                expires,
                sealed_age: sealed.wrapping_sub(created),
                expiry: expiry.map(|e| match e {
                    ExpiryOverride::Idle(s) => WireExpiry::Idle(s),
                    ExpiryOverride::At(t) => WireExpiry::At(t),
                    ExpiryOverride::BrowserSession => WireExpiry::BrowserSession,
                }),
                identity: identity.map(|i| (i.id, i.subject.clone())),
                data: d
                    .iter()
                    .map(|(k, v)| {
                        (
                            String::from_utf8(k.to_vec()).unwrap(),
                            ByteBuf::from(v.to_vec()),
                        )
                    })
                    .collect(),
            };
            assert_eq!(ours, postcard::to_allocvec(&wire).unwrap());
            assert_eq!(postcard::from_bytes::<WireEnvelope>(&ours).unwrap(), wire);
            let back = dec(ours).unwrap();
            assert_eq!(
                (back.created, back.expires, back.sealed, back.expiry),
                (created, expires, sealed, expiry)
            );
            assert_eq!(back.identity.as_ref(), identity);
            assert_eq!(back.data, d);
        }
    }

    #[test]
    fn trailing_bytes_truncations_and_disorder_are_rejected() {
        let d = data(&[("a", b"1"), ("b", b"2")]);
        let bytes = encode(1, 2, 1, None, None, &d, Vec::new());
        let mut long = bytes.clone();
        long.push(0);
        assert!(dec(long).is_none());
        for n in 0..bytes.len() {
            assert!(dec(bytes[..n].to_vec()).is_none(), "{n}");
        }
        // Keys out of order, and repeated.
        let swapped = [2, 4, 0, 0, 0, 2, 1, b'b', 1, b'2', 1, b'a', 1, b'1'];
        assert!(dec(swapped.to_vec()).is_none());
        let repeated = [2, 4, 0, 0, 0, 2, 1, b'a', 1, b'2', 1, b'a', 1, b'1'];
        assert!(dec(repeated.to_vec()).is_none());
        // A key that is not UTF-8, an unknown Option or enum tag.
        assert!(dec(vec![2, 4, 0, 0, 0, 1, 1, 0xff, 0]).is_none());
        assert!(dec(vec![2, 4, 0, 2, 0, 0]).is_none());
        assert!(dec(vec![2, 4, 0, 1, 3, 0, 0]).is_none());
        // An unknown identity tag, an unknown subject tag, a non-UTF-8 subject.
        assert!(dec(vec![2, 4, 0, 0, 2, 0]).is_none());
        let mut ident = vec![2, 4, 0, 0, 1];
        ident.extend([9; ID_LEN]);
        assert!(dec([&ident[..], &[2, 0]].concat()).is_none());
        assert!(dec([&ident[..], &[1, 1, 0xff, 0]].concat()).is_none());
        assert!(dec([&ident[..], &[1, 1, b'u', 0]].concat()).is_some());
        assert!(dec([&ident[..], &[0, 0]].concat()).is_some());
        assert!(dec(ident[..ident.len() - 1].to_vec()).is_none());
        // Overlong varints: 0 as `80 00`, 1 as `81 00`.
        assert!(dec(vec![0x80, 0x00, 4, 0, 0, 0, 0]).is_none());
        assert!(dec(vec![2, 0x81, 0x00, 0, 0, 0, 0]).is_none());
        assert!(dec(vec![2, 4, 0x80, 0x00, 0, 0, 0]).is_none());
        assert!(dec(vec![0, 4, 0, 0, 0, 0]).is_some());
        // An 11-byte varint, and a 10th byte with bits beyond 64.
        assert!(
            dec([0x80; 10]
                .iter()
                .copied()
                .chain([0, 4, 0, 0, 0, 0])
                .collect())
            .is_none()
        );
        let mut over = vec![0xff; 9];
        over.push(0x02);
        over.extend([4, 0, 0, 0, 0]);
        assert!(dec(over).is_none());
    }

    #[test]
    fn huge_length_prefixes_do_not_allocate() {
        // created, expires, sealed, None, no identity, then a map claiming
        // u64::MAX entries.
        let bytes = [
            2, 4, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        assert!(dec(bytes.to_vec()).is_none());
        // One entry whose key claims 2^32 bytes.
        let bytes = [2, 4, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(dec(bytes.to_vec()).is_none());
    }

    fn put(d: &mut Data, k: &str, v: &[u8]) {
        d.insert_with(k, |buf| {
            buf.extend_from_slice(v);
            Ok::<(), ()>(())
        })
        .unwrap();
    }

    #[test]
    fn data_map_operations_keep_order() {
        let mut d = data(&[("b", b"2"), ("a", b"1")]);
        assert_eq!(d.keys().collect::<Vec<_>>(), ["a", "b"]);
        put(&mut d, "a", b"x");
        assert_eq!(d.get("a"), Some(&b"x"[..]));
        assert!(d.remove("a") && !d.remove("a"));
        assert_eq!(d.len(), 1);
        // Loaded entries borrow the buffer; changes on top of them work.
        let env = dec(encode(
            0,
            0,
            0,
            None,
            None,
            &data(&[("k1", b"a"), ("k3", b"c")]),
            Vec::new(),
        ))
        .unwrap();
        let mut d = env.data;
        put(&mut d, "k2", b"b");
        put(&mut d, "k3", b"C");
        let pairs: Vec<_> = d.iter().collect();
        assert_eq!(
            pairs,
            [
                (&b"k1"[..], &b"a"[..]),
                (&b"k2"[..], &b"b"[..]),
                (&b"k3"[..], &b"C"[..])
            ]
        );
        d.clear();
        assert!(d.is_empty() && d.get("k1").is_none());
    }

    #[test]
    fn rewriting_a_key_in_a_loop_keeps_the_buffer_bounded() {
        let mut d = data(&[("keep", b"me")]);
        for i in 0..100_000u32 {
            put(&mut d, "counter", &i.to_le_bytes());
        }
        assert!(d.buf.len() < 2 * COMPACT_AT, "{}", d.buf.len());
        assert_eq!(d.get("counter"), Some(&99_999u32.to_le_bytes()[..]));
        assert_eq!(d.get("keep"), Some(&b"me"[..]));
        assert_eq!(d.keys().collect::<Vec<_>>(), ["counter", "keep"]);
        assert_eq!(format!("{d:?}"), "Data { entries: 2, .. }");
    }

    /// The size bound counts 10 bytes per varint.
    #[test]
    fn varints_take_one_to_ten_bytes() {
        for (v, len) in [(0, 1), (127, 1), (128, 2), (16_384, 3), (u64::MAX, 10)] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), len, "{v}");
        }
    }
}
