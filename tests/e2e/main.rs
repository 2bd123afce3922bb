//! End to end: the demo over a real socket, the framework examples as child
//! processes, and the demo in headless Chromium. One integration-test
//! binary, one module per concern.
#![forbid(unsafe_code)]

// The demo's router, shared by `demo` and `browser`.
#[path = "../../examples/demo/app.rs"]
mod app;
#[path = "../client/mod.rs"]
mod client;

mod browser;
mod demo;
#[cfg(any(feature = "axum", feature = "actix-web"))]
mod examples;
