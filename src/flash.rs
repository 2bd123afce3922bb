//! Flash messages: one-time notices kept in the session across a redirect
//! and shown once, with the levels of Django's messages framework.
//!
//! ```
//! use sealed_session::{Key, Keyring, SessionConfig, flash};
//! use sealed_session::flash::Level;
//!
//! # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
//! let mut session = sealed_session::load(&config, &http::HeaderMap::new());
//! // In the POST handler, before the 303:
//! flash::add(&mut session, Level::Success, "Welcome back, Ada.")?;
//!
//! // On the next page: read them all; reading removes them.
//! let messages = flash::take_all(&mut session);
//! assert_eq!(messages.len(), 1);
//! assert_eq!(messages[0].level, Level::Success);
//! assert_eq!(messages[0].text, "Welcome back, Ada.");
//! assert_eq!(messages[0].level.as_str(), "success"); // a CSS class
//! assert!(flash::take_all(&mut session).is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! All messages live under one session key ([`SESSION_KEY`]) as one
//! postcard list: a level is one byte, a text its length and bytes. Unlike
//! Django, no minimum level filters messages out (Django drops `debug` by
//! default): the application decides what it adds. The text is the
//! application's own; escape it when it holds user input.

use serde::{Deserialize, Serialize};

use crate::session::{Session, SessionError};

/// The session key holding the pending messages (Django's `_messages`).
/// Leave it to this module.
///
/// ```
/// use sealed_session::flash::{self, Level};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// flash::add(&mut session, Level::Info, "Saved.")?;
/// assert!(session.contains_key(flash::SESSION_KEY));
/// flash::take_all(&mut session);
/// assert!(!session.contains_key(flash::SESSION_KEY));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const SESSION_KEY: &str = "_messages";

/// How important a message is, in Django's order (`debug` lowest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Development notes (Django's `DEBUG`, 10).
    Debug,
    /// Information for the user (`INFO`, 20).
    Info,
    /// An action succeeded (`SUCCESS`, 25).
    Success,
    /// Something needs attention (`WARNING`, 30).
    Warning,
    /// An action failed (`ERROR`, 40).
    Error,
}

impl Level {
    /// Django's tag for the level, usable as a CSS class: `debug`, `info`,
    /// `success`, `warning`, `error`.
    ///
    /// ```
    /// use sealed_session::flash::Level;
    ///
    /// assert_eq!(Level::Warning.as_str(), "warning");
    /// assert_eq!(Level::Warning.to_string(), "warning");
    /// ```
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Success => "success",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }

    /// Django's numeric level: 10, 20, 25, 30, 40.
    ///
    /// ```
    /// use sealed_session::flash::Level;
    ///
    /// assert_eq!(Level::Success.value(), 25);
    /// assert!(Level::Debug.value() < Level::Error.value());
    /// assert!(Level::Debug < Level::Error); // the same order
    /// ```
    #[must_use]
    pub fn value(self) -> u8 {
        match self {
            Level::Debug => 10,
            Level::Info => 20,
            Level::Success => 25,
            Level::Warning => 30,
            Level::Error => 40,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One flash message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Its level.
    pub level: Level,
    /// Its text, as added (not escaped).
    pub text: String,
}

/// Adds a message, after those already pending.
///
/// # Errors
///
/// [`SessionError`] when the pending messages cannot be read back (the key
/// holds something else) or stored.
///
/// ```
/// use sealed_session::flash::{self, Level};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// flash::add(&mut session, Level::Success, "Order placed.")?;
/// flash::add(&mut session, Level::Warning, "Your card expires soon.")?;
/// let levels: Vec<Level> = flash::take_all(&mut session).iter().map(|m| m.level).collect();
/// assert_eq!(levels, [Level::Success, Level::Warning]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn add(
    session: &mut Session,
    level: Level,
    text: impl Into<String>,
) -> Result<(), SessionError> {
    let mut messages: Vec<Message> = session.get(SESSION_KEY)?.unwrap_or_default();
    messages.push(Message {
        level,
        text: text.into(),
    });
    session.insert(SESSION_KEY, &messages)
}

/// All pending messages, oldest first, removing them from the session (the
/// session is modified only when there were some). Something unreadable
/// under [`SESSION_KEY`] is removed and yields no message, so a bad value
/// can never be shown forever.
///
/// ```
/// use sealed_session::flash::{self, Level};
/// # use sealed_session::{Key, Keyring, SessionConfig};
/// # let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// flash::add(&mut session, Level::Error, "Payment declined.")?;
/// let messages = flash::take_all(&mut session);
/// assert_eq!(messages[0].text, "Payment declined.");
/// assert!(flash::take_all(&mut session).is_empty()); // shown once
///
/// // Something else under the key is dropped, never shown.
/// session.insert(flash::SESSION_KEY, &12u8)?;
/// assert!(flash::take_all(&mut session).is_empty());
/// assert!(!session.contains_key(flash::SESSION_KEY));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn take_all(session: &mut Session) -> Vec<Message> {
    match session.take::<Vec<Message>>(SESSION_KEY) {
        Ok(messages) => messages.unwrap_or_default(),
        Err(_) => {
            session.remove(SESSION_KEY);
            Vec::new()
        }
    }
}
