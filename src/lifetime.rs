//! The expiry policy: how long a session lives (`max_age`, rolling idle
//! time, absolute timeout, browser-session cookies) and the per-session
//! override ([`Expiry`], stored as an `ExpiryOverride`), all in whole Unix
//! seconds. Pure arithmetic over the envelope's timestamps: no clock, no
//! I/O. The envelope stores the override this module defines, so the wire
//! format depends on the expiry rules, never the reverse.

use time::{Duration, OffsetDateTime};

/// A per-session lifetime, overriding the configuration (Django's
/// `set_expiry`). The README's "Which lifetime wins" has the precedence.
///
/// ```
/// use sealed_session::time::Duration;
/// use sealed_session::{Expiry, Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.set_expiry(Expiry::Idle(Duration::hours(1)));
/// assert_eq!(session.expiry(), Expiry::Idle(Duration::hours(1)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Go back to the configured lifetime (Django's `set_expiry(None)`).
    Default,
    /// Expire after this long without a request (Django's
    /// `set_expiry(seconds)`); the cookie is refreshed as a rolling session.
    /// Unlike Django's `set_expiry(0)`, a zero or negative duration ends the
    /// session (the cookie is removed on save): use
    /// [`Expiry::BrowserSession`] for "until the browser closes".
    Idle(Duration),
    /// Expire at this instant (Django's `set_expiry(datetime)`).
    At(OffsetDateTime),
    /// A cookie the browser drops when it closes (Django's `set_expiry(0)`);
    /// the server still enforces the configured lifetime.
    BrowserSession,
}

/// How far a server's clock may run behind the one that sealed a cookie:
/// a cookie whose creation or sealing time lies further in the future is
/// not honoured (a clock bug or a forged time would otherwise make it
/// immune to `not_before` and to every revocation), and a revocation entry
/// outlives the last moment a copy could be live by this much.
///
/// ```
/// assert_eq!(sealed_session::CLOCK_SKEW, sealed_session::time::Duration::minutes(1));
/// ```
pub const CLOCK_SKEW: Duration = Duration::seconds(60);

/// [`CLOCK_SKEW`] in whole seconds, for the arithmetic below.
pub(crate) const CLOCK_SKEW_SECS: i64 = CLOCK_SKEW.whole_seconds();

/// A per-session lifetime as the envelope stores it, in whole seconds
/// (Django's `set_expiry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpiryOverride {
    /// Expires after this many seconds without a save (rolling).
    Idle(i64),
    /// Expires at this Unix second.
    At(i64),
    /// A cookie without `Max-Age`, dropped by the browser when it closes;
    /// the server still enforces the configured lifetime.
    BrowserSession,
}

impl ExpiryOverride {
    /// The stored form of `expiry` (`None` for the configured lifetime).
    pub(crate) fn from_expiry(expiry: Expiry) -> Option<Self> {
        match expiry {
            Expiry::Default => None,
            Expiry::Idle(d) => Some(Self::Idle(d.whole_seconds().max(0))),
            Expiry::At(t) => Some(Self::At(t.unix_timestamp())),
            Expiry::BrowserSession => Some(Self::BrowserSession),
        }
    }

    /// The public form of a stored override.
    pub(crate) fn to_expiry(stored: Option<Self>) -> Expiry {
        match stored {
            None => Expiry::Default,
            Some(Self::Idle(s)) => Expiry::Idle(Duration::seconds(s)),
            Some(Self::At(t)) => Expiry::At(date(t)),
            Some(Self::BrowserSession) => Expiry::BrowserSession,
        }
    }
}

/// A Unix second as a date, clamped to the range `time` represents without
/// its large-dates feature (a stored time is never trusted to be in range).
pub(crate) fn date(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t).unwrap_or(if t < 0 {
        OffsetDateTime::UNIX_EPOCH
    } else {
        // The largest instant `time` represents without its large-dates feature.
        OffsetDateTime::from_unix_timestamp(253_402_300_799).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    })
}

/// The lifetime policy of a configuration, in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetimes {
    /// `expires = created + max_age` when not rolling.
    pub(crate) max_age: i64,
    pub(crate) rolling: Option<Rolling>,
    /// No session outlives `created + absolute`.
    pub(crate) absolute: Option<i64>,
    /// Cookies without `Max-Age`/`Expires`.
    pub(crate) browser_session: bool,
}

/// Rolling expiry (Django's `SESSION_SAVE_EVERY_REQUEST`, without a cookie on
/// every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rolling {
    /// A session idle this long expires.
    pub(crate) idle: i64,
    /// A loaded session is re-sealed once this long has passed since it was
    /// last sealed.
    pub(crate) refresh_after: i64,
}

/// The default refresh threshold for an idle time: a tenth of it, at most a
/// minute.
pub(crate) fn default_refresh_after(idle: i64) -> i64 {
    (idle / 10).min(60)
}

impl Lifetimes {
    /// The idle time that applies to a session, if it rolls.
    fn idle(&self, expiry: Option<ExpiryOverride>) -> Option<i64> {
        match expiry {
            Some(ExpiryOverride::Idle(d)) => Some(d),
            Some(ExpiryOverride::At(_)) => None,
            Some(ExpiryOverride::BrowserSession) | None => self.rolling.map(|r| r.idle),
        }
    }

    /// Whether a session's cookie goes without `Max-Age`/`Expires`: its own
    /// override decides, else the configuration.
    pub(crate) fn is_browser_session(&self, expiry: Option<ExpiryOverride>) -> bool {
        match expiry {
            Some(ExpiryOverride::BrowserSession) => true,
            Some(_) => false,
            None => self.browser_session,
        }
    }

    /// The longest a cookie sealed under this policy can stay valid, in
    /// seconds (per-session overrides aside): the absolute timeout, else the
    /// larger of `max_age` and the rolling idle time.
    pub(crate) fn longest(&self) -> i64 {
        self.absolute
            .unwrap_or_else(|| self.max_age.max(self.rolling.map_or(0, |r| r.idle)))
    }

    /// The hard deadline of a session created at `created`, if any.
    fn deadline(&self, created: i64) -> Option<i64> {
        self.absolute.map(|a| created.saturating_add(a))
    }

    /// When a session sealed at `now` expires.
    pub(crate) fn expires(&self, created: i64, now: i64, expiry: Option<ExpiryOverride>) -> i64 {
        let base = match (expiry, self.idle(expiry)) {
            (Some(ExpiryOverride::At(t)), _) => t,
            (_, Some(idle)) => now.saturating_add(idle),
            (_, None) => created.saturating_add(self.max_age),
        };
        match self.deadline(created) {
            Some(deadline) => base.min(deadline),
            None => base,
        }
    }

    /// Whether a loaded envelope, sealed at `sealed`, is still valid at
    /// `now`. Besides its sealed `expires`, the current configuration's
    /// limits apply: the absolute timeout, for fixed-lifetime sessions
    /// `created + max_age`, and for rolling ones `sealed + idle`. So
    /// shortening any of them takes effect on cookies already issued, and a
    /// session that loads can always be sealed again.
    pub(crate) fn is_live(
        &self,
        created: i64,
        expires: i64,
        sealed: i64,
        expiry: Option<ExpiryOverride>,
        now: i64,
    ) -> bool {
        let limit = match (expiry, self.idle(expiry)) {
            (Some(ExpiryOverride::At(t)), _) => t,
            (_, Some(idle)) => sealed.saturating_add(idle),
            (_, None) => created.saturating_add(self.max_age),
        };
        now < expires && now < limit && self.deadline(created).is_none_or(|d| now < d)
    }

    /// Whether a rolling session loaded at `now` should be re-sealed to push
    /// its expiry forward: once `refresh_after` has passed since it was last
    /// sealed (at `sealed`), and only if pushing is still possible.
    pub(crate) fn due_for_refresh(
        &self,
        created: i64,
        expires: i64,
        sealed: i64,
        expiry: Option<ExpiryOverride>,
        now: i64,
    ) -> bool {
        let Some(idle) = self.idle(expiry) else {
            return false;
        };
        if self.deadline(created).is_some_and(|d| expires >= d) {
            return false;
        }
        // A per-session idle time takes the configured threshold when that
        // is shorter than it (a 30-day remember-me then refreshes as often
        // as the app chose, not every minute), else the default for it.
        let refresh_after = match (expiry, self.rolling) {
            (_, Some(r)) if r.refresh_after < idle => r.refresh_after,
            _ => default_refresh_after(idle),
        };
        now.saturating_sub(sealed) >= refresh_after
    }
}
