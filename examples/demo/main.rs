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

use std::env::VarError;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use sealed_session::{Key, Keyring, SessionConfig};

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
    let port = port()?;
    let keys = keyring()?;
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

/// The first command-line argument, else `PORT`, else 3000.
fn port() -> Result<u16, String> {
    let (text, source) = match std::env::args().nth(1) {
        Some(arg) => (arg, "the first argument"),
        None => match std::env::var("PORT") {
            Ok(port) => (port, "PORT"),
            Err(VarError::NotPresent) => return Ok(DEFAULT_PORT),
            Err(VarError::NotUnicode(_)) => return Err("PORT is not valid UTF-8".to_owned()),
        },
    };
    text.trim()
        .parse()
        .map_err(|_| format!("{source} is not a port number: {text:?}"))
}

/// The keys from `SESSION_KEYS`, or a fresh key for this run only.
fn keyring() -> Result<Keyring, String> {
    match std::env::var("SESSION_KEYS") {
        // KeyError's message names the key's position and length, never the
        // secret, so it is safe to print.
        Ok(list) => Keyring::from_base64_list(&list).map_err(|e| format!("SESSION_KEYS: {e}")),
        Err(VarError::NotPresent) => {
            // The generated key is deliberately not printed: secrets never go
            // to logs.
            println!(
                "SESSION_KEYS is not set: generated a random key for this run, so sessions \
                 will not survive a restart. To keep them, set SESSION_KEYS, e.g. \
                 SESSION_KEYS=\"$(openssl rand -base64 32)\""
            );
            let key = Key::try_generate().map_err(|e| format!("generating a key: {e}"))?;
            Ok(Keyring::new(key))
        }
        Err(VarError::NotUnicode(_)) => Err("SESSION_KEYS is not valid UTF-8".to_owned()),
    }
}
