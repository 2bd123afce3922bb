//! End to end: the demo over a real socket, the framework examples as child
//! processes, and the demo in headless Chromium. One integration-test
//! binary, one module per concern.
#![forbid(unsafe_code)]

// The demo's router, shared by `demo`, `browser` and `csrf_browser` (the
// demo needs the `tower` feature for its `CsrfLayer`).
#[cfg(feature = "tower")]
#[path = "../../examples/demo/app.rs"]
mod app;
#[path = "../client/mod.rs"]
mod client;

#[cfg(feature = "tower")]
mod browser;
#[cfg(feature = "tower")]
mod csrf_browser;
#[cfg(feature = "tower")]
mod demo;
#[cfg(all(feature = "axum", feature = "tower"))]
mod examples;
