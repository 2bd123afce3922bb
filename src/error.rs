//! Every error type of the crate in one list. Each is defined next to the
//! operation that fails (as `biscotti` does) and re-exported from here to the
//! crate root; no module imports this one, so it can never close an import
//! circle.
//!
//! | error | operation |
//! |---|---|
//! | [`KeyError`] | parsing or generating a [`Key`](crate::Key) or a key list |
//! | [`EnvKeyError`] | [`Keyring::from_env`](crate::Keyring::from_env) |
//! | [`SealError`] | sealing (the OS random source) |
//! | [`OpenError`], [`MalformedReason`] | opening a sealed value |
//! | [`ConfigError`], [`CookieRuleError`] | [`SessionConfigBuilder::build`](crate::SessionConfigBuilder::build); the cookie rules also for [`cookies::set`](crate::cookies::set) |
//! | [`SessionError`], [`CodecError`] | storing or reading a session value |
//! | [`SaveError`] | [`save`](crate::save) |
//! | [`CookieError`](crate::cookies::CookieError) | the [`cookies`](crate::cookies) helpers (kept in that module) |
//! | [`RevocationError`](crate::revocation::RevocationError) | a [revocation store](crate::revocation::RevocationStore) (kept in that module) |
//! | [`CrossOriginError`](crate::csrf::CrossOriginError), [`TokenError`](crate::csrf::TokenError), [`TokenIssueError`](crate::csrf::TokenIssueError), [`CsrfConfigError`](crate::csrf::CsrfConfigError), [`OriginProblem`](crate::csrf::OriginProblem) | the [`csrf`](crate::csrf) checks and tokens (kept in that module) |
//!
//! Each error reports its cause once: in its message, or as its
//! [`source`](std::error::Error::source), never both, so `anyhow`, `eyre`
//! and `tracing` chains print it once.

pub use crate::config::ConfigError;
pub use crate::cookie_rules::CookieRuleError;
pub use crate::glue::SaveError;
pub use crate::key::{EnvKeyError, KeyError};
pub use crate::seal::{MalformedReason, OpenError, SealError};
pub use crate::session::{CodecError, SessionError};
