//! Prints a fresh session key: 32 random bytes from the operating system,
//! in standard base64, the format `Keyring::from_env` and
//! `Keyring::from_base64_list` read. No feature needed.
//!
//! ```text
//! export SESSION_KEYS="$(cargo run -q --example keygen)"
//! # rotation: the new key first, the old one after it
//! export SESSION_KEYS="$(cargo run -q --example keygen),$SESSION_KEYS"
//! ```
//!
//! The key goes to standard output only: put it in your secrets store, not
//! in a log or a repository.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use sealed_session::Key;

fn main() -> ExitCode {
    match Key::try_generate() {
        Ok(key) => {
            println!("{}", key.to_base64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
