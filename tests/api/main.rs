//! The session API, configuration, keys, sealing, plain cookies, expiry and
//! key rotation: one integration-test binary, one module per concern.

#[path = "../common/mod.rs"]
mod common;

#[cfg(feature = "tracing")]
#[path = "../capture/mod.rs"]
mod capture;

mod chunks;
mod config;
mod cookies;
mod django_helpers;
mod expiry;
mod keys;
#[cfg(feature = "tracing")]
mod logs;
mod readme;
mod revocation;
mod rotation;
mod seal;
mod session_api;
mod typed_values;
