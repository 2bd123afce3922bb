//! `load` and `save` over `http` types, the tower layer, the axum
//! extractor and the actix-web middleware: one integration-test binary, one
//! module per concern.

#[path = "../common/mod.rs"]
mod common;

#[cfg(all(feature = "tower", feature = "tracing"))]
#[path = "../capture/mod.rs"]
mod capture;

#[cfg(feature = "actix-web")]
mod actix;
#[cfg(feature = "axum")]
mod axum_extractor;
#[cfg(any(feature = "tower", feature = "actix-web"))]
mod behaviour;
#[cfg(feature = "tower")]
mod csrf_layer;
mod http;
#[cfg(feature = "tower")]
mod tower;
