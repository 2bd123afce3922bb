//! The save decision (save rules 1 to 3 of DESIGN.md §7) and the envelope
//! a seal carries.

use zeroize::Zeroizing;

use super::Session;
use super::load::Status;
use crate::envelope;

/// What [`save`](crate::save) does with a session's cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SavePlan {
    /// Write nothing.
    Nothing,
    /// Send a removal cookie.
    Remove,
    /// Seal the session with this expiry (Unix seconds); `browser_session`
    /// leaves out `Max-Age`/`Expires`.
    Seal { expires: i64, browser_session: bool },
}

impl Session {
    /// Save rules 1 to 3 at `now`, and the expiry a seal gets.
    pub(crate) fn save_plan(&self, now: i64) -> SavePlan {
        let lt = &self.lifetimes;
        // A cookie that was not examined (scan budget, candidate limit) or
        // not verified (revocation store down) may be the user's real one:
        // nothing is sealed over it, and it is not removed, unless the app
        // explicitly flushes or renews.
        if self.cookie_unexamined() && !self.flushed && !self.renewed {
            return SavePlan::Nothing;
        }
        // A subject alone is something to keep: revocation needs it.
        if self.data.is_empty() && self.subject.is_none() {
            return if self.flushed || self.had_cookie {
                SavePlan::Remove
            } else {
                SavePlan::Nothing
            };
        }
        let due = self.modified
            || self.renewed
            || self.flushed
            || self.status == Status::LoadedWithFallback
            || self.loaded_expires.is_some_and(|(e, sealed)| {
                lt.due_for_refresh(self.created, e, sealed, self.expiry, now)
            });
        if !due {
            return SavePlan::Nothing;
        }
        let expires = lt.expires(self.created, now, self.expiry);
        if expires <= now {
            // An expiry in the past (set_expiry(At(past))): the session is
            // over, so the cookie goes.
            return SavePlan::Remove;
        }
        SavePlan::Seal {
            expires,
            browser_session: lt.is_browser_session(self.expiry),
        }
    }

    /// Appends the envelope sealed at `now` with `expires` to `out`.
    /// `None` only if the session needs an id and the OS random source gave
    /// none.
    pub(crate) fn encode_envelope(&self, now: i64, expires: i64, out: Vec<u8>) -> Option<Vec<u8>> {
        let identity = self.identity()?;
        Some(envelope::encode(
            self.created,
            expires,
            now,
            self.expiry,
            identity.as_ref(),
            &self.data,
            out,
        ))
    }

    /// An upper bound on [`encode_envelope`](Self::encode_envelope)'s output.
    pub(crate) fn envelope_len_bound(&self) -> usize {
        let identity = self.carries_identity().then_some(self.subject.as_deref());
        envelope::encoded_len_bound(identity, &self.data)
    }

    /// Whether the request may carry a session cookie this request did not
    /// examine or could not verify.
    fn cookie_unexamined(&self) -> bool {
        matches!(self.status, Status::Truncated | Status::Unverified)
    }

    /// Whether [`flush`](Session::flush) was called: its removal (and
    /// revocation) goes out even when nothing can be sealed.
    pub(crate) fn was_flushed(&self) -> bool {
        self.flushed
    }

    /// The chunk cookies (bit `k` for `{name}.k`) the request carried.
    pub(crate) fn chunks_carried(&self) -> u8 {
        self.chunks_carried
    }

    /// Whether the response depends on the cookie (save rule 6).
    pub(crate) fn was_read(&self) -> bool {
        self.accessed.get()
    }

    /// The length in bytes of the cookie *value* that
    /// [`save`](crate::save) would write if it sealed the session now:
    /// `name.len() + 1 + encoded_len()` is what the size limit counts, the
    /// `size` of a [`SaveError::TooLarge`](crate::SaveError::TooLarge). A
    /// session split over several cookies
    /// ([`max_chunks`](crate::SessionConfigBuilder::max_chunks)) carries
    /// the same sealed text in shares; [`SessionConfig::room`](crate::SessionConfig::room)
    /// tells how many cookies it takes and how much room is left. The
    /// session is encoded once to measure it, never sealed, so checking
    /// before a large insert costs a copy of the data, not a seal.
    ///
    /// ```
    /// use sealed_session::{Key, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
    /// let mut session = sealed_session::load(&config, &http::Request::new(()));
    /// session.insert("notes", &"x".repeat(5_000))?;
    /// let size = config.cookie_name().len() + 1 + session.encoded_len();
    /// if size > config.capacity() {
    ///     session.remove("notes"); // too large for a cookie: keep it elsewhere
    /// }
    /// # assert!(size > config.capacity());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.touch();
        let expires = self.lifetimes.expires(self.created, self.now, self.expiry);
        // Plaintext session data: wiped when measured.
        let len = self
            .encode_envelope(
                self.now,
                expires,
                Vec::with_capacity(self.envelope_len_bound()),
            )
            .map_or(self.envelope_len_bound(), |envelope| {
                Zeroizing::new(envelope).len()
            });
        crate::seal::sealed_len(len)
    }
}
