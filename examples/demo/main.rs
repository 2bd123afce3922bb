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

    let (listener, addr) = startup::bind_loopback(port).await?;
    println!("sealed-session demo on http://{addr}/ (Ctrl-C to stop)");
    axum::serve(listener, app::router(config))
        .await
        .map_err(|e| format!("server: {e}"))
}
