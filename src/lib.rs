//! # sealed-session
//!
//! Stateless sessions in one encrypted, authenticated cookie, for any Rust
//! HTTP framework.
//!
//! The sealing layer stands on its own: a [`Keyring`] seals bytes for a named
//! cookie and opens them again.
//!
//! ```
//! use sealed_session::{Key, Keyring, OpenError};
//!
//! let old = Key::generate();
//! let new = Key::generate();
//!
//! let value = Keyring::new(old.clone()).seal("session", b"user=ada");
//!
//! // After rotation: `new` seals, `old` still opens.
//! let ring = Keyring::new(new).with_fallback(old);
//! let opened = ring.open("session", &value)?;
//! assert_eq!(opened.plaintext, b"user=ada");
//! assert!(opened.used_fallback); // re-seal it with the primary key
//!
//! // A value is bound to its cookie name.
//! assert_eq!(ring.open("csrf", &value), Err(OpenError::Tampered));
//! # Ok::<(), OpenError>(())
//! ```
//!
//! ## Keys
//!
//! A [`Key`] is a master secret of at least 32 bytes. When a [`Keyring`] is
//! built, each key goes through HKDF-SHA256 once (extract with the fixed salt
//! `sealed-session/v1/hkdf-salt`, then expand):
//!
//! | info string | output |
//! |---|---|
//! | `sealed-session/v1/xaes-256-gcm-key` | the 32-byte XAES-256-GCM key |
//! | `sealed-session/v1/key-id` | the 4-byte key id |
//!
//! The ready cipher is kept in the keyring; nothing is derived per request.
//!
//! ## Wire format, version 1
//!
//! A cookie value is unpadded base64url (RFC 4648 §5, canonical: no padding,
//! no standard alphabet, no stray bits) of:
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 1 | version, `0x01` |
//! | 1 | 4 | key id of the sealing key |
//! | 5 | 24 | nonce, fresh from the OS for every seal |
//! | 29 | n | ciphertext: XAES-256-GCM of the n-byte plaintext |
//! | 29 + n | 16 | GCM tag |
//!
//! The associated data is `version (1 byte) | key id (4 bytes) | cookie name
//! (UTF-8)`: the header cannot be altered, and a value sealed for one cookie
//! name does not open under another.
//!
//! A sealed value is 45 bytes longer than its plaintext before base64, so
//! its length is `ceil((n + 45) * 4 / 3)` characters. [`Keyring::open`]
//! rejects a value longer than `4096 - name.len() - 1` characters before
//! decoding it.
//!
//! XAES-256-GCM (C2SP) derives a per-message AES-256-GCM key from the first
//! half of its 192-bit nonce, so random nonces are safe for about 2^80 seals
//! per key, where AES-256-GCM with random 96-bit nonces must stop at 2^32.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
mod envelope;
pub mod error;
mod http;
pub mod key;
pub mod seal;
pub mod session;

pub use config::{Clock, SameSite, SessionConfig, SessionConfigBuilder};
pub use error::{
    ConfigError, Error, KeyError, MalformedReason, OpenError, SealError, SessionError,
};
pub use http::{
    MAX_CANDIDATES, MAX_SCAN_BYTES, RequestHeaders, ResponseHeaders, cookie_values, load,
    load_from_values, removal_header, save, set_cookie_header,
};
pub use key::{Key, Keyring, Opened};
pub use session::{Expiry, InvalidReason, Session, Status};
pub use time;

// The README's examples are compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
