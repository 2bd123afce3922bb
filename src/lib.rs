//! # sealed-session
//!
//! Stateless sessions in one encrypted, authenticated cookie, for any Rust
//! HTTP framework. The whole session lives in the cookie, sealed with
//! XAES-256-GCM, so any number of servers that share the keys serve a user
//! with no session store.
//!
//! ## Quick start
//!
//! Two calls around your handler: [`load`] a [`Session`] from the request,
//! [`save`] it into the response. Both take `http` types (`Request`,
//! `Response`, their `Parts`, or a bare `HeaderMap`), so they fit axum,
//! hyper, actix-web (through its headers) and the rest.
//!
//! ```
//! use sealed_session::{Key, Keyring, Session, SessionConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let request = http::Request::new(());
//! # let mut response = http::Response::new(());
//! # const OLD: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
//!
//! // Once, at start-up: the newest key seals, older ones still open.
//! let keys = Keyring::new(Key::generate()).with_fallback(Key::from_base64(OLD)?);
//! let config = SessionConfig::builder(keys)
//!     .cookie_name("__Host-session")
//!     .max_age(time::Duration::weeks(2))
//!     .build()?;
//!
//! // Per request.
//! let mut session: Session = sealed_session::load(&config, &request);
//! session.insert("username", &"JohnDoe")?;
//! let name: Option<String> = session.get("username")?;
//! sealed_session::save(&config, &session, &mut response)?;
//!
//! assert_eq!(name.as_deref(), Some("JohnDoe"));
//! assert!(response.headers()["set-cookie"].to_str()?.starts_with("__Host-session="));
//! # Ok(())
//! # }
//! ```
//!
//! ## The model
//!
//! - [`Key`] / [`Keyring`]: master secrets, derived once into ciphers and
//!   4-byte key ids; one primary key seals, fallbacks open (rotation).
//! - [`SessionConfig`]: cookie name and attributes (secure by default:
//!   `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`), lifetimes, size limit,
//!   clock; validated once by [`SessionConfigBuilder::build`].
//! - [`Session`]: a map from string keys to any serde value, with Django's
//!   verbs (`get`, `insert`, `remove`, `take`, `clear`, `flush`, `renew`,
//!   `set_expiry`). A bad cookie is never an error: the session starts
//!   empty and [`Session::status`] says why.
//! - [`load`] / [`save`]: the HTTP glue and the save rules. Nothing is
//!   written for an unchanged session; a flushed or emptied one gets a
//!   removal cookie; a session that would exceed 4,093 bytes is refused with
//!   [`Error::TooLarge`] before the browser can silently drop it.
//!
//! Lifetimes are enforced by the server from the sealed envelope, not by the
//! cookie's `Max-Age`: a copied cookie dies on the server when its session
//! expires. See [`SessionConfigBuilder`] for `max_age`, `rolling`,
//! `absolute_timeout` and `browser_session`.
//!
//! ## Sealing on its own
//!
//! The sealing layer works for any bytes: a [`Keyring`] seals a value for a
//! named cookie and opens it again.
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
//! ## Beyond the two calls
//!
//! - Feature `tower`: `tower::SessionLayer` loads and saves around any tower
//!   service and hands handlers a cloneable `SessionHandle`; feature `axum`
//!   makes that handle an extractor.
//! - [`cookies`]: plain cookies over a `HeaderMap` (`get`, `set`, `delete`)
//!   and a sealed stand-alone cookie for values that do not belong in the
//!   session.
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
//! rejects a value longer than `4096 - name.len() - 1` bytes before
//! decoding it.
//!
//! Inside, a session is a postcard-encoded envelope: `created` and `expires`
//! (Unix seconds), the per-session expiry override, and an ordered map from
//! keys to the postcard bytes of each value.
//!
//! XAES-256-GCM (C2SP) derives a per-message AES-256-GCM key from the first
//! half of its 192-bit nonce, so random nonces are safe for about 2^80 seals
//! per key, where AES-256-GCM with random 96-bit nonces must stop at 2^32.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod cookies;
mod envelope;
pub mod error;
mod http;
pub mod key;
pub mod seal;
pub mod session;
#[cfg(feature = "tower")]
pub mod tower;

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
