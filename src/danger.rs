//! Tooling seams: reading and writing the session cookie's sealed value
//! byte by byte, below the session API.
//!
//! Use these only in tools, fuzz oracles and tests that must inspect the
//! wire format or craft a cookie no `Session` would produce (a plaintext
//! that is not a valid envelope, an envelope from another version).
//! Applications read sessions with [`load`](crate::load) and write them with
//! [`save`](crate::save), which decode, check the expiry and apply the save
//! rules; nothing here does. They grant nothing the keys do not: whoever
//! holds the [`SessionConfig`] can seal any session anyway, so "danger" is
//! about correctness, not about access.

use crate::config::SessionConfig;
use crate::seal::{OpenError, Opened, SealError};

/// Opens the value of a session cookie sealed under `config` and returns the
/// plaintext envelope (its layout is in the wire-format docs), without
/// decoding it or checking its expiry.
///
/// # Errors
///
/// As [`Keyring::open`](crate::Keyring::open); a raw
/// [`Keyring::seal`](crate::Keyring::seal) value or a stand-alone sealed
/// cookie is [`OpenError::Tampered`] here, as a session is there.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, danger};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("n", &1u8)?;
/// let mut response = http::Response::new(());
/// sealed_session::save(&config, &session, &mut response)?;
/// let line = response.headers()["set-cookie"].to_str()?;
/// let value = &line["session=".len()..line.find(';').unwrap()];
/// let opened = danger::open_session_value(&config, value)?;
/// // The last entry: key "n", then 5 value bytes, the shape fingerprint and 1u8.
/// let tail = &opened.plaintext()[opened.plaintext().len() - 7..];
/// assert_eq!((tail[0], tail[1], tail[6]), (b'n', 5, 1));
/// assert!(config.keyring().open(config.cookie_name(), value).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_session_value(config: &SessionConfig, value: &str) -> Result<Opened, OpenError> {
    config.session_sealer().open(value)
}

/// Seals `plaintext` as the value of `config`'s session cookie, whatever its
/// bytes (a plaintext that is not a valid envelope loads as
/// [`InvalidReason::BadPayload`](crate::InvalidReason::BadPayload)).
///
/// # Errors
///
/// [`SealError`] if the OS random source fails.
///
/// ```
/// use sealed_session::{InvalidReason, Key, Keyring, SessionConfig, Status, danger};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let value = danger::seal_session_value(&config, b"not an envelope")?;
/// let request = http::Request::builder().header("cookie", format!("session={value}")).body(())?;
/// let session = sealed_session::load(&config, &request);
/// assert_eq!(session.status(), Status::Invalid(InvalidReason::BadPayload));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn seal_session_value(config: &SessionConfig, plaintext: &[u8]) -> Result<String, SealError> {
    config.session_sealer().seal(plaintext)
}

/// Opens the sealed value of a session split over `shares.len()` cookies
/// (2 to [`MAX_CHUNKS`](crate::MAX_CHUNKS);
/// [`max_chunks`](crate::SessionConfigBuilder::max_chunks)): the values of
/// `{name}`, `{name}.1`, ... in order, the first without its `n~` count
/// marker. As [`open_session_value`], nothing is decoded or checked beyond
/// the seal.
///
/// # Errors
///
/// As [`open_session_value`]; [`MalformedReason::TooLong`](crate::MalformedReason::TooLong)
/// for a count outside 2 to 4, or shares longer than that many cookies
/// carry.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, danger};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate()))
///     .max_chunks(2)
///     .build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("tokens", &"t".repeat(5_000))?;
/// let mut response = http::Response::new(());
/// sealed_session::save(&config, &session, &mut response)?;
/// let values: Vec<&str> = response
///     .headers()
///     .get_all("set-cookie")
///     .iter()
///     .map(|v| v.to_str().unwrap().split(';').next().unwrap().split_once('=').unwrap().1)
///     .collect();
/// let first = values[0].strip_prefix("2~").unwrap();
/// let opened = danger::open_session_chunks(&config, &[first.as_bytes(), values[1].as_bytes()])?;
/// assert!(!opened.plaintext().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_session_chunks(config: &SessionConfig, shares: &[&[u8]]) -> Result<Opened, OpenError> {
    config.session_sealer().open_chunks(shares)
}
