//! The plaintext inside a sealed session cookie, postcard-encoded:
//!
//! ```text
//! created: i64        Unix seconds when the session was first issued
//! expires: i64        Unix seconds after which the server rejects it
//! expiry:  Option<..> the per-session override (Session::set_expiry)
//! data:    map<String, bytes>  each value postcard-encoded on its own
//! ```
//!
//! Every integer is a postcard varint; the map is ordered, so the same
//! session always encodes to the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

/// A per-session lifetime, stored in the envelope (Django's `set_expiry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ExpiryOverride {
    /// Expires after this many seconds without a save (rolling).
    Idle(i64),
    /// Expires at this Unix second.
    At(i64),
    /// A cookie without `Max-Age`, dropped by the browser when it closes;
    /// the server still enforces the configured lifetime.
    BrowserSession,
}

/// The session data: key to postcard bytes of the value.
pub(crate) type Data = BTreeMap<String, ByteBuf>;

/// The lifetime policy of a configuration, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetimes {
    /// `expires = created + max_age` when not rolling.
    pub(crate) max_age: i64,
    pub(crate) rolling: Option<Rolling>,
    /// No session outlives `created + absolute`.
    pub(crate) absolute: Option<i64>,
    /// Cookies without `Max-Age`/`Expires`.
    pub(crate) browser_session: bool,
}

/// Rolling expiry (Django's `SESSION_SAVE_EVERY_REQUEST`, without a cookie on
/// every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rolling {
    /// A session idle this long expires.
    pub(crate) idle: i64,
    /// A loaded session is re-sealed once this long has passed since it was
    /// last sealed.
    pub(crate) refresh_after: i64,
}

/// The default refresh threshold for an idle time: a tenth of it, at most a
/// minute.
pub(crate) fn default_refresh_after(idle: i64) -> i64 {
    (idle / 10).min(60)
}

impl Lifetimes {
    /// The idle time that applies to a session, if it rolls.
    fn idle(&self, expiry: Option<ExpiryOverride>) -> Option<i64> {
        match expiry {
            Some(ExpiryOverride::Idle(d)) => Some(d),
            Some(ExpiryOverride::At(_)) => None,
            Some(ExpiryOverride::BrowserSession) | None => self.rolling.map(|r| r.idle),
        }
    }

    /// The hard deadline of a session created at `created`, if any.
    fn deadline(&self, created: i64) -> Option<i64> {
        self.absolute.map(|a| created.saturating_add(a))
    }

    /// When a session sealed at `now` expires.
    pub(crate) fn expires(&self, created: i64, now: i64, expiry: Option<ExpiryOverride>) -> i64 {
        let base = match (expiry, self.idle(expiry)) {
            (Some(ExpiryOverride::At(t)), _) => t,
            (_, Some(idle)) => now.saturating_add(idle),
            (_, None) => created.saturating_add(self.max_age),
        };
        match self.deadline(created) {
            Some(deadline) => base.min(deadline),
            None => base,
        }
    }

    /// Whether a loaded envelope is still valid at `now`. The absolute
    /// timeout is checked against the current configuration, so shortening it
    /// takes effect on cookies already issued.
    pub(crate) fn is_live(&self, created: i64, expires: i64, now: i64) -> bool {
        now < expires && self.deadline(created).is_none_or(|d| now < d)
    }

    /// Whether a rolling session loaded at `now` should be re-sealed to push
    /// its expiry forward: once `refresh_after` has passed since it was last
    /// sealed, and only if pushing is still possible.
    pub(crate) fn due_for_refresh(
        &self,
        created: i64,
        expires: i64,
        expiry: Option<ExpiryOverride>,
        now: i64,
    ) -> bool {
        let Some(idle) = self.idle(expiry) else {
            return false;
        };
        if self.deadline(created).is_some_and(|d| expires >= d) {
            return false;
        }
        let refresh_after = match (expiry, self.rolling) {
            (Some(ExpiryOverride::Idle(_)), _) | (_, None) => default_refresh_after(idle),
            (_, Some(r)) => r.refresh_after,
        };
        let sealed_at = expires.saturating_sub(idle);
        now.saturating_sub(sealed_at) >= refresh_after
    }
}

/// Borrowed form for encoding, so saving does not clone the data.
#[derive(Serialize)]
struct EnvelopeRef<'a> {
    created: i64,
    expires: i64,
    expiry: Option<ExpiryOverride>,
    data: &'a Data,
}

/// Owned form for decoding.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    pub(crate) created: i64,
    pub(crate) expires: i64,
    pub(crate) expiry: Option<ExpiryOverride>,
    pub(crate) data: Data,
}

/// Encodes an envelope, appending to `out`.
pub(crate) fn encode(
    created: i64,
    expires: i64,
    expiry: Option<ExpiryOverride>,
    data: &Data,
    out: Vec<u8>,
) -> Vec<u8> {
    let env = EnvelopeRef {
        created,
        expires,
        expiry,
        data,
    };
    // Serialising integers, strings and bytes into a Vec cannot fail.
    postcard::to_extend(&env, out).expect("postcard encoding into a Vec is infallible")
}

/// Decodes an envelope; trailing bytes are an error, so one plaintext has one
/// meaning.
pub(crate) fn decode(bytes: &[u8]) -> Option<Envelope> {
    match postcard::take_from_bytes::<Envelope>(bytes) {
        Ok((env, [])) => Some(env),
        _ => None,
    }
}

/// The largest size an encoded envelope can have for given data sizes:
/// three varints of at most 10 bytes and one tag byte, then the map.
pub(crate) fn encoded_len(data: &Data) -> usize {
    let mut n = 10 + 10 + 1 + 10 + varint_len(data.len());
    for (k, v) in data {
        n += varint_len(k.len()) + k.len() + varint_len(v.len()) + v.len();
    }
    n
}

fn varint_len(n: usize) -> usize {
    let bits = usize::BITS - n.leading_zeros();
    (bits.max(1) as usize).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_exact_bytes() {
        let mut data = Data::new();
        data.insert("a".into(), ByteBuf::from(vec![1, 2]));
        let bytes = encode(
            1,
            2,
            Some(ExpiryOverride::BrowserSession),
            &data,
            Vec::new(),
        );
        // created=1 (zigzag 2), expires=2 (zigzag 4), Some, variant 2,
        // one entry: "a" -> [1, 2].
        assert_eq!(bytes, [2, 4, 1, 2, 1, 1, b'a', 2, 1, 2]);
        let env = decode(&bytes).unwrap();
        assert_eq!((env.created, env.expires), (1, 2));
        assert_eq!(env.expiry, Some(ExpiryOverride::BrowserSession));
        assert_eq!(env.data, data);
        assert!(bytes.len() <= encoded_len(&data));
    }

    #[test]
    fn trailing_bytes_and_truncations_are_rejected() {
        let bytes = encode(1, 2, None, &Data::new(), Vec::new());
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode(&long).is_none());
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_none());
        }
    }

    #[test]
    fn huge_length_prefixes_do_not_allocate() {
        // created, expires, None, then a map claiming u64::MAX entries.
        let bytes = [
            2, 4, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ];
        assert!(decode(&bytes).is_none());
        // One entry whose key claims 2^32 bytes.
        let bytes = [2, 4, 0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(decode(&bytes).is_none());
    }

    #[test]
    fn varint_lengths() {
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        assert_eq!(varint_len(16_383), 2);
        assert_eq!(varint_len(16_384), 3);
    }
}
