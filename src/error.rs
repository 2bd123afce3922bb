//! Error types, one per family of failing operation. None of them ever holds
//! a secret, a plaintext, or a byte of a key.

use crate::key::{KEY_ID_LEN, KeyIdHex};

/// A key could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The secret is shorter than the minimum.
    #[error("key is {len} bytes long; at least {min} are required")]
    TooShort {
        /// Length of the rejected secret, in bytes.
        len: usize,
        /// The minimum, [`MIN_KEY_LEN`](crate::key::MIN_KEY_LEN).
        min: usize,
    },
    /// The secret is longer than the maximum.
    #[error("key is {len} bytes long; at most {max} are accepted")]
    TooLong {
        /// Length of the rejected secret, in bytes.
        len: usize,
        /// The maximum, [`MAX_KEY_LEN`](crate::key::MAX_KEY_LEN).
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
    /// One key of a comma-separated list failed.
    #[error("key #{index} of the list (0 is the primary): {source}")]
    InList {
        /// 0-based position in the list.
        index: usize,
        /// Why it failed.
        source: Box<KeyError>,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    Rng,
}

/// Sealing failed. Both causes are failures of the machine or the caller,
/// never of client input.
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
    #[error("sealed with an unknown key (id {})", KeyIdHex(*key_id))]
    UnknownKey {
        /// The key id found in the value (public: it is on the wire).
        key_id: [u8; KEY_ID_LEN],
    },
    /// Authentication failed: the value was altered, or sealed for another
    /// cookie name.
    #[error("sealed value failed authentication (tampered, or sealed for another cookie)")]
    Tampered,
}

/// The part of a malformed value that is wrong.
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
    #[error("{len} characters is longer than the {max}-character maximum")]
    TooLong {
        /// Length of the value, in characters.
        len: usize,
        /// The maximum for this cookie name.
        max: usize,
    },
}
