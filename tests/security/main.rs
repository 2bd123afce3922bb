//! What a client can send, tamper with or race: adversarial cookies,
//! tampered values, `open`'s allocation bound, properties, concurrency, the
//! hardening of issue 10, and cross-site request forgery.
//! One integration-test binary, one module per threat.
//!
//! A binary has one global allocator: `counting` is it, and `adversarial`
//! and `open_bounds` both measure with it (its counters are per thread, so
//! the other modules' tests running in parallel do not disturb them).

mod counting;

mod adversarial;
mod concurrency;
mod csrf;
mod hardening;
mod open_bounds;
mod properties;
mod tampering;
