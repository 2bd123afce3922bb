// The crate documentation is the README, so the two never say the same thing
// twice; its Rust examples run as doctests.
#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// Layers, top to bottom (DESIGN.md §1). Modules are private: every public
// item has one path, at the crate root, except the helper namespaces
// `cookies`, `csrf`, `flash`, `revocation` and `tower`, whose items are
// reached only through them.
#[cfg(feature = "tower")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower")))]
pub mod tower;

#[cfg(feature = "actix-web")]
#[cfg_attr(docsrs, doc(cfg(feature = "actix-web")))]
pub mod actix;

#[cfg(feature = "actix-web")]
mod actix_bridge;

pub mod cookies;

pub mod csrf;

pub mod flash;

pub mod revocation;

mod glue;

mod cookie_header;

mod config;

mod session;

mod fingerprint;

mod lifetime;

mod envelope;

mod seal;

mod secret_buf;

mod key;

mod error;

mod log;

#[cfg(feature = "axum")]
mod responses;

pub use config::{
    DEFAULT_MAX_AGE, DEFAULT_SIZE_LIMIT, MAX_SIZE_LIMIT, SameSite, SessionConfig,
    SessionConfigBuilder,
};
pub use cookie_header::{CookieValues, MAX_CANDIDATES, MAX_SCAN_BYTES, cookie_values};
pub use error::{
    CodecError, ConfigError, EnvKeyError, KeyError, MalformedReason, OpenError, SaveError,
    SealError, SessionError,
};
pub use glue::{
    RequestHeaders, ResponseHeaders, SaveErrorPolicy, SaveFailed, load, load_from_values,
    removal_header, save, session_cookie, set_cookie_header,
};
pub use key::{KEY_ID_LEN, Key, Keyring, MAX_KEY_LEN, MIN_KEY_LEN};
pub use seal::{MAX_COOKIE_LEN, OVERHEAD, Opened, VERSION, sealed_len};
pub use session::{Expiry, InvalidReason, Session, SessionId, Status};

/// The `cookie` crate, whose [`Cookie`](cookie::Cookie) the [`cookies`]
/// helpers and [`session_cookie`] take and return.
pub use cookie;
/// The `time` crate, whose types the lifetimes and dates use.
pub use time;
