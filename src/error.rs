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
    #[error("{len} bytes is longer than the {max}-byte maximum")]
    TooLong {
        /// Length of the value, in bytes.
        len: usize,
        /// The maximum for this cookie name.
        max: usize,
    },
}

/// A session configuration broke a rule; [`SessionConfigBuilder::build`]
/// returns it instead of a silently broken cookie.
///
/// [`SessionConfigBuilder::build`]: crate::SessionConfigBuilder::build
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The name is empty or holds a character outside an RFC 6265 token.
    #[error("invalid cookie name {name:?}: use letters, digits and !#$%&'*+-.^_`|~")]
    InvalidCookieName {
        /// The rejected name.
        name: String,
    },
    /// The path does not start with `/` or holds `;` or a control character.
    #[error("invalid cookie path {path:?}")]
    InvalidPath {
        /// The rejected path.
        path: String,
    },
    /// The domain is empty or holds `;` or a control character.
    #[error("invalid cookie domain {domain:?}")]
    InvalidDomain {
        /// The rejected domain.
        domain: String,
    },
    /// `__Host-` and `__Secure-` cookies must be `Secure`.
    #[error("cookie {name:?} has a prefix that requires Secure")]
    PrefixRequiresSecure {
        /// The cookie name.
        name: String,
    },
    /// `__Host-` cookies must not have a `Domain`.
    #[error("cookie {name:?} is __Host- and must not set a Domain")]
    HostPrefixWithDomain {
        /// The cookie name.
        name: String,
    },
    /// `__Host-` cookies must have `Path=/`.
    #[error("cookie {name:?} is __Host- and must have Path=/, not {path:?}")]
    HostPrefixPath {
        /// The cookie name.
        name: String,
        /// The configured path.
        path: String,
    },
    /// Browsers reject `SameSite=None` without `Secure`.
    #[error("SameSite=None requires Secure")]
    SameSiteNoneRequiresSecure,
    /// Browsers reject `Partitioned` without `Secure`.
    #[error("Partitioned requires Secure")]
    PartitionedRequiresSecure,
    /// Browsers drop cookies over 4,096 bytes.
    #[error("size limit {limit} is above the {max} bytes browsers store")]
    SizeLimitTooLarge {
        /// The configured limit.
        limit: usize,
        /// 4,096.
        max: usize,
    },
    /// No session could fit.
    #[error("size limit {limit} is below the {min} bytes the smallest session needs")]
    SizeLimitTooSmall {
        /// The configured limit.
        limit: usize,
        /// The smallest usable limit for this cookie name.
        min: usize,
    },
    /// A lifetime of zero or less.
    #[error("{what} must be at least one second, not {secs} s")]
    NonPositiveLifetime {
        /// Which lifetime.
        what: &'static str,
        /// Its value in whole seconds.
        secs: i64,
    },
    /// An absolute timeout shorter than the idle lifetime would cut every
    /// session short.
    #[error(
        "absolute timeout ({absolute_secs} s) is shorter than the idle lifetime ({idle_secs} s)"
    )]
    AbsoluteShorterThanIdle {
        /// The absolute timeout, seconds.
        absolute_secs: i64,
        /// `max_age`, or the rolling idle time, seconds.
        idle_secs: i64,
    },
    /// A refresh threshold must be shorter than the idle time.
    #[error(
        "refresh threshold ({refresh_secs} s) must be at least 0 and shorter than the idle time ({idle_secs} s)"
    )]
    RefreshNotShorterThanIdle {
        /// The threshold, seconds.
        refresh_secs: i64,
        /// The idle time, seconds.
        idle_secs: i64,
    },
    /// `refresh_after` only applies to rolling sessions.
    #[error("refresh_after is set but rolling is not")]
    RefreshWithoutRolling,
}

/// A session value could not be stored or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value could not be serialised.
    #[error("cannot store session key {key:?}: {source}")]
    Encode {
        /// The session key.
        key: String,
        /// postcard's error (it never quotes the value).
        source: postcard::Error,
    },
    /// The stored bytes are not the type asked for.
    #[error("session key {key:?} does not hold the requested type: {source}")]
    Decode {
        /// The session key.
        key: String,
        /// postcard's error (it never quotes the value).
        source: postcard::Error,
        /// Bytes left over after a successful decode (a shorter type was
        /// asked for); 0 otherwise.
        trailing: usize,
    },
}

/// Saving a session failed; nothing was written to the response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `name=value` would exceed the configured size limit, and browsers
    /// silently drop such cookies. No header was written: the client keeps
    /// its previous cookie.
    #[error("session cookie of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Length of `name=value`, bytes.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Sealing failed (the OS random source).
    #[error(transparent)]
    Seal(#[from] SealError),
}
