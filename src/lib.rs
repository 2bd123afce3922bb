// The crate documentation is docs/crate.md (the model and the Quick start);
// the long-form pages are in `docs`; the README is the repository's first
// screen and its examples are compiled by `docs::ReadmeDoctests`.
#![doc = include_str!("../docs/crate.md")]
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

#[cfg(any(feature = "tower", feature = "actix-web"))]
mod adapter;

pub mod cookies;

pub mod csrf;

pub mod flash;

/// The long-form documentation, one page per topic: the threat model, the
/// wire format, key rotation, lifetimes, save rules, frameworks, CSRF,
/// revocation and more.
pub mod docs;

pub mod revocation;

mod glue;

mod cookie_header;

mod config;

mod cookie_rules;

mod session;

mod lifetime;

mod envelope;

mod seal;

pub mod danger;

mod secret_buf;

mod key;

mod error;

mod log;

#[cfg(any(feature = "tower", feature = "actix-web"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "tower", feature = "actix-web"))))]
pub use adapter::{OnSaveError, SessionService};
pub use config::{DEFAULT_MAX_AGE, DEFAULT_SIZE_LIMIT, Room, SessionConfig, SessionConfigBuilder};
pub use cookie_rules::SameSite;
pub use error::{
    CodecError, ConfigError, CookieRuleError, EnvKeyError, KeyError, MalformedReason, OpenError,
    SaveError, SealError, SessionError,
};
pub use glue::{RequestHeaders, ResponseHeaders, SaveErrorPolicy, SaveFailed, load, save};
pub use key::{Key, KeyId, Keyring, MAX_KEY_LEN, MIN_KEY_LEN};
pub use lifetime::{CLOCK_SKEW, Expiry};
pub use seal::{MAX_CHUNKS, MAX_SIZE_LIMIT, Opened};
pub use session::{ChunkReason, InvalidReason, Session, SessionId, Status};

/// The `cookie` crate, whose [`Cookie`](cookie::Cookie) the [`cookies`]
/// helpers take and return, and whose [`SameSite`] the configuration uses.
pub use cookie;
/// The `time` crate, whose types the lifetimes and dates use.
pub use time;
