//! The [`csrf`](crate::csrf) and [`flash`](crate::flash) helpers on a
//! [`SessionHandle`], each locking for the call only.

use super::SessionHandle;
use crate::csrf;
use crate::flash::{self, Level, Message};
use crate::session::SessionError;

impl SessionHandle {
    /// [`flash::add`]: adds a flash message.
    ///
    /// # Errors
    ///
    /// As [`flash::add`].
    pub fn add_flash(&self, level: Level, text: impl Into<String>) -> Result<(), SessionError> {
        flash::add(&mut self.lock(), level, text)
    }

    /// [`flash::take_all`]: the pending flash messages, removed.
    #[must_use]
    pub fn take_flashes(&self) -> Vec<Message> {
        flash::take_all(&mut self.lock())
    }

    /// [`csrf::token`]: a fresh masking of the session's CSRF secret.
    ///
    /// # Panics
    ///
    /// As [`csrf::token`], if the operating system's random source fails.
    #[must_use]
    pub fn csrf_token(&self) -> String {
        csrf::token(&mut self.lock())
    }

    /// [`csrf::renew`]: rotates the session's CSRF secret (after a login).
    ///
    /// # Panics
    ///
    /// As [`csrf::renew`].
    pub fn renew_csrf(&self) {
        csrf::renew(&mut self.lock());
    }
}
