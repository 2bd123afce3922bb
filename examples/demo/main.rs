//! A small axum site whose whole session lives in one sealed cookie.
//!
//! ```text
//! cargo run --example demo --features tower            # http://127.0.0.1:3000/
//! cargo run --example demo --features tower -- 8080    # or PORT=8080
//! SESSION_KEYS="$(openssl rand -base64 32)" cargo run --example demo --features tower
//! ```
//!
//! `SESSION_KEYS` is a comma-separated list of base64 keys, the primary
//! first; the others only open cookies, which is how keys are rotated.
#![forbid(unsafe_code)]

mod app;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

#[path = "../common/startup.rs"]
mod startup;

const DEFAULT_PORT: u16 = 3000;

#[tokio::main]
async fn main() -> ExitCode {
    startup::exit(run().await)
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let config = startup::localhost_config()?;

    // Loopback only: the demo is not meant to be reachable from the network.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    // With port 0 the OS picks one: print the one actually bound.
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("sealed-session demo on http://{addr}/ (Ctrl-C to stop)");
    axum::serve(listener, app::router(config))
        .await
        .map_err(|e| format!("server: {e}"))
}
