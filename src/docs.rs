//! Each page is a Markdown file in the crate's `docs/` folder. The modules
//! are empty: they exist so that docs.rs shows the pages next to the API and
//! `cargo test --doc` compiles and runs every example in them.
//!
//! | page | what it covers |
//! |---|---|
//! | [`security`](crate::docs::security) | the threat model: what is protected and what is not |
//! | [`wire_format`](crate::docs::wire_format) | the v1 cookie value and plaintext, byte by byte |
//! | [`key_rotation`](crate::docs::key_rotation) | keys from the environment, planned and emergency rotation |
//! | [`lifetimes`](crate::docs::lifetimes) | `max_age`, rolling, absolute, browser-session, per-session expiry, remember me |
//! | [`save_rules`](crate::docs::save_rules) | when a response gets a `Set-Cookie`, a removal, or nothing |
//! | [`frameworks`](crate::docs::frameworks) | axum and tower, hyper, actix-web, coming from actix-session, everyday cookies |
//! | [`csrf`](crate::docs::csrf) | the cross-origin check, session-bound tokens, the tower `CsrfLayer` |
//! | [`flash`](crate::docs::flash) | flash messages and the rest of Django's session API |
//! | [`revocation`](crate::docs::revocation) | "log out everywhere": session ids, subjects, stores |
//! | [`changing_types`](crate::docs::changing_types) | what happens when a stored type changes, and the deploy recipe |
//! | [`sealing`](crate::docs::sealing) | sealing a value on its own with a [`Keyring`](crate::Keyring) |
//! | [`logs`](crate::docs::logs) | the `tracing` events and their targets |
//! | [`demo`](crate::docs::demo) | the demo server, a `curl` walkthrough, the browser tests |
//! | [`benchmarks`](crate::docs::benchmarks) | a summary of the measurements |
//! | [`decisions`](crate::docs::decisions) | choices made where reasonable people differ, and why |

// With only some features on, a page's links to the items of another
// feature (the tower layer, the actix middleware, the Redis store) cannot
// resolve. docs.rs and the CI doc check build with every feature, where
// every link is checked.
#![cfg_attr(
    not(all(
        feature = "tower",
        feature = "axum",
        feature = "actix-web",
        feature = "redis",
        feature = "tracing"
    )),
    allow(rustdoc::broken_intra_doc_links)
)]

#[doc = include_str!("../docs/security.md")]
pub mod security {}

#[doc = include_str!("../docs/wire_format.md")]
pub mod wire_format {}

#[doc = include_str!("../docs/key_rotation.md")]
pub mod key_rotation {}

#[doc = include_str!("../docs/lifetimes.md")]
pub mod lifetimes {}

#[doc = include_str!("../docs/save_rules.md")]
pub mod save_rules {}

#[doc = include_str!("../docs/frameworks.md")]
pub mod frameworks {}

#[doc = include_str!("../docs/csrf.md")]
pub mod csrf {}

#[doc = include_str!("../docs/flash.md")]
pub mod flash {}

#[doc = include_str!("../docs/revocation.md")]
pub mod revocation {}

#[doc = include_str!("../docs/changing_types.md")]
pub mod changing_types {}

#[doc = include_str!("../docs/sealing.md")]
pub mod sealing {}

#[doc = include_str!("../docs/logs.md")]
pub mod logs {}

#[doc = include_str!("../docs/demo.md")]
pub mod demo {}

#[doc = include_str!("../docs/benchmarks.md")]
pub mod benchmarks {}

#[doc = include_str!("../docs/decisions.md")]
pub mod decisions {}

// The README is no longer the crate docs, but its Rust blocks must still
// compile as pasted: they run here as doctests. Its framework sections need
// the adapters, so it is checked with every feature on (as CI tests).
#[cfg(all(doctest, feature = "axum", feature = "actix-web"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
