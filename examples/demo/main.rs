//! A small axum site whose whole session lives in one sealed cookie.
//!
//! ```text
//! cargo run --example demo            # http://127.0.0.1:3000/
//! cargo run --example demo -- 8080    # or PORT=8080
//! SESSION_KEYS="$(openssl rand -base64 32)" cargo run --example demo
//! ```
//!
//! `SESSION_KEYS` is a comma-separated list of base64 keys, the primary
//! first; the others only open cookies, which is how keys are rotated.
#![forbid(unsafe_code)]

mod app;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use sealed_session::SessionConfig;

#[path = "../common/startup.rs"]
mod startup;

const DEFAULT_PORT: u16 = 3000;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let keys = startup::keyring()?;
    // Plain HTTP on localhost: a `Secure` cookie would not come back over
    // http:// from clients such as curl, so the demo turns it off. Anything
    // served over HTTPS keeps the default, `secure(true)`.
    let config = SessionConfig::builder(keys)
        .secure(false)
        .build()
        .map_err(|e| format!("session configuration: {e}"))?;
    println!(
        "note: the session cookie is sent without `Secure` because this demo serves plain \
         HTTP on localhost; keep `secure(true)` (the default) behind HTTPS"
    );

    // Loopback only: the demo is not meant to be reachable from the network.
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("sealed-session demo on http://{addr}/ (Ctrl-C to stop)");
    axum::serve(listener, app::router(config))
        .await
        .map_err(|e| format!("server: {e}"))
}
