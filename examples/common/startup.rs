//! Start-up shared by the example servers: the port, the keys, the
//! localhost configuration, the loopback listener and the exit code.
//!
//! Included with `#[path]` by each example, so every example stays a single
//! runnable program while this code is written once.

use std::env::VarError;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use sealed_session::{EnvKeyError, Key, Keyring, SessionConfig};

/// A listener on loopback only (the examples are not meant to be reachable
/// from the network), with the address actually bound: with port 0 the OS
/// picks one, and the tests read it from the "listening on" line.
// The actix example binds through actix-web's own server.
#[allow(dead_code)]
pub async fn bind_loopback(port: u16) -> Result<(tokio::net::TcpListener, SocketAddr), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok((listener, addr))
}

/// The first command-line argument, else `PORT`, else `default`; `0` asks
/// the OS for a free port.
pub fn port(default: u16) -> Result<u16, String> {
    let (text, source) = match std::env::args().nth(1) {
        Some(arg) => (arg, "the first argument"),
        None => match std::env::var("PORT") {
            Ok(port) => (port, "PORT"),
            Err(VarError::NotPresent) => return Ok(default),
            Err(VarError::NotUnicode(_)) => return Err("PORT is not valid UTF-8".to_owned()),
        },
    };
    text.trim()
        .parse()
        .map_err(|_| format!("{source} is not a port number: {text:?}"))
}

/// The keys from `SESSION_KEYS`, or a fresh key for this run only.
pub fn keyring() -> Result<Keyring, String> {
    match Keyring::from_env("SESSION_KEYS") {
        Ok(keys) => Ok(keys),
        Err(EnvKeyError::Missing { .. }) => {
            // The generated key is deliberately not printed: secrets never go
            // to logs.
            println!(
                "SESSION_KEYS is not set: generated a random key for this run, so sessions \
                 will not survive a restart. To keep them, set SESSION_KEYS, e.g. \
                 SESSION_KEYS=\"$(cargo run -q --example keygen)\""
            );
            let key = Key::try_generate().map_err(|e| format!("generating a key: {e}"))?;
            Ok(Keyring::new(key))
        }
        // The error names the variable and the key's position, and its
        // source says why; never a character of a key, so it is safe to print.
        Err(e) => Err(match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        }),
    }
}

/// The cookie name of every example: `__Host-` makes browsers refuse it
/// unless it is `Secure`, has `Path=/` and no `Domain`, so a sibling
/// subdomain cannot plant its own session cookie (cookie tossing).
pub const COOKIE_NAME: &str = "__Host-session";

/// The session configuration for these localhost servers: the production
/// settings, `Secure` and `__Host-` included. Browsers (Chromium, Firefox,
/// Safari) and curl treat `http://127.0.0.1` and `http://localhost` as a
/// secure context: they store `Secure` and `__Host-` cookies there and send
/// them back over plain HTTP, so development needs no `secure(false)` that
/// could slip into production.
pub fn localhost_config() -> Result<SessionConfig, String> {
    let config = SessionConfig::builder(keyring()?)
        .cookie_name(COOKIE_NAME)
        .build()
        .map_err(|e| format!("session configuration: {e}"))?;
    println!(
        "note: the {COOKIE_NAME} cookie is `Secure`, as in production: browsers accept \
         `Secure` cookies from http://127.0.0.1 and http://localhost (a secure context)"
    );
    Ok(config)
}

/// The process's exit code, with the error on stderr.
pub fn exit(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
