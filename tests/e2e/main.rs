//! End to end: the demo over a real socket, the framework examples as child
//! processes, and the demo in headless Chromium. One integration-test
//! binary, one module per concern.
#![forbid(unsafe_code)]

// The demo's router, shared by `demo`, `browser` and `csrf_browser`.
#[path = "../../examples/demo/app.rs"]
mod app;
#[cfg(all(feature = "redis", feature = "axum", feature = "tracing"))]
#[path = "../capture/mod.rs"]
mod capture;
#[path = "../client/mod.rs"]
mod client;

#[cfg(all(feature = "axum", feature = "tower"))]
mod adapters_browser;
mod browser;
#[cfg(all(feature = "axum", feature = "tower"))]
mod chunks_browser;
mod csrf_browser;
mod demo;
#[cfg(any(feature = "axum", feature = "actix-web"))]
mod examples;
#[cfg(all(feature = "axum", feature = "tower"))]
mod login;
#[cfg(all(feature = "axum", feature = "tower"))]
mod nginx;
#[cfg(all(feature = "redis", feature = "axum"))]
mod redis;
