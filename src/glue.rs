//! [`load`] and [`save`] over the `http` crate's types: read every `Cookie`
//! header, offer the candidates to the session layer, append `Set-Cookie`,
//! `Vary: Cookie` and `Cache-Control`.
//!
//! Named for what it is, the HTTP glue, so that it does not shadow the `http`
//! crate inside this one.

use http::header::{CACHE_CONTROL, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

use crate::config::SessionConfig;
use crate::cookie_header::{
    CookieValues, MAX_CANDIDATES, attributes_len, cookie_lifetime, cookie_values, push_attributes,
};
use crate::log;
use crate::seal::{
    MAX_CHUNKS, OpenError, Opened, SealError, chunk_marker, chunk_value_len, chunks_needed,
    push_chunk_value,
};
use crate::session::{ChunkReason, InvalidReason, Loader, SavePlan, Session, Status};

/// Saving a session failed; nothing but `Vary` was written to the response.
///
/// ```
/// use sealed_session::{Key, Keyring, SaveError, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("notes", &"x".repeat(5_000))?;
/// let mut response = http::Response::new(());
/// match sealed_session::save(&config, &session, &mut response) {
///     Err(SaveError::TooLarge { size, limit }) => assert!(size > limit), // answer 413
///     other => panic!("{other:?}"),
/// }
/// assert!(!response.headers().contains_key("set-cookie"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaveError {
    /// `name=value` would exceed the configured size limit (browsers
    /// silently drop such cookies), or, with
    /// [`max_chunks`](crate::SessionConfigBuilder::max_chunks) above 1, the
    /// session is larger than that many cookies carry. No `Set-Cookie` was
    /// written: the client keeps its previous cookie(s).
    #[error("session cookie of {size} bytes exceeds the {limit}-byte limit")]
    TooLarge {
        /// Length of `name=value` as one cookie: `name.len() + 1 +`
        /// [`Session::encoded_len`], bytes.
        size: usize,
        /// [`SessionConfig::capacity`]: the size limit with one chunk (the
        /// default), what `max_chunks` cookies carry otherwise.
        limit: usize,
    },
    /// Sealing failed (the OS random source); the cause is the `source()`.
    #[error("the session could not be sealed")]
    Seal(#[from] SealError),
}

impl SaveError {
    /// The status a framework adapter answers with: `413 Payload Too Large`
    /// for [`TooLarge`](SaveError::TooLarge) (the request was fine, its
    /// result does not fit a cookie), `500` otherwise.
    ///
    /// ```
    /// let e = sealed_session::SaveError::TooLarge { size: 5_000, limit: 4_093 };
    /// assert_eq!(e.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    /// ```
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            SaveError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            SaveError::Seal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// What a framework adapter (the tower `SessionLayer`, the actix-web
/// `SessionMiddleware`) answers when the session cannot be saved (too large
/// for one cookie, or the OS random source failed). Whatever the policy,
/// the response carries no session cookie, so the browser keeps its
/// previous one, and a [`SaveFailed`] is put in the response's extensions
/// for outer layers (logging, metrics) to see. For a response of the app's
/// own making, the adapters also take a function that sees the error.
///
/// ```
/// use sealed_session::{SaveError, SaveErrorPolicy};
///
/// let too_large = SaveError::TooLarge { size: 5_000, limit: 4_093 };
/// let policy = SaveErrorPolicy::default();
/// assert_eq!(policy.replacement(&too_large), Some(http::StatusCode::PAYLOAD_TOO_LARGE));
/// assert_eq!(SaveErrorPolicy::KeepPreviousCookie.replacement(&too_large), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SaveErrorPolicy {
    /// Replace the response with one of the error's
    /// [status](SaveError::status) and a short text: 413 for [`SaveError::TooLarge`], 500
    /// otherwise, so the client never believes a change was stored (the
    /// default).
    #[default]
    ErrorStatus,
    /// Replace the response with a `500 Internal Server Error` and a short
    /// text, whatever the error.
    InternalServerError,
    /// Send the handler's response unchanged, without the session cookie.
    KeepPreviousCookie,
}

impl SaveErrorPolicy {
    /// The status of the empty response that replaces the handler's, or
    /// `None` to send the handler's response (without the cookie).
    ///
    /// ```
    /// use http::StatusCode;
    /// use sealed_session::{SaveError, SaveErrorPolicy};
    ///
    /// let too_large = SaveError::TooLarge { size: 5_000, limit: 4_093 };
    /// assert_eq!(SaveErrorPolicy::ErrorStatus.replacement(&too_large), Some(StatusCode::PAYLOAD_TOO_LARGE));
    /// assert_eq!(
    ///     SaveErrorPolicy::InternalServerError.replacement(&too_large),
    ///     Some(StatusCode::INTERNAL_SERVER_ERROR)
    /// );
    /// assert_eq!(SaveErrorPolicy::KeepPreviousCookie.replacement(&too_large), None);
    /// ```
    #[must_use]
    pub fn replacement(self, error: &SaveError) -> Option<StatusCode> {
        match self {
            SaveErrorPolicy::ErrorStatus => Some(error.status()),
            SaveErrorPolicy::InternalServerError => Some(StatusCode::INTERNAL_SERVER_ERROR),
            SaveErrorPolicy::KeepPreviousCookie => None,
        }
    }
}

/// Put in the response extensions by a framework adapter when saving the
/// session failed, for outer layers (metrics, access logs) to see.
///
/// ```
/// use sealed_session::{SaveError, SaveFailed};
///
/// fn count_failures<B>(response: &http::Response<B>) -> bool {
///     matches!(
///         response.extensions().get::<SaveFailed>(),
///         Some(SaveFailed(SaveError::TooLarge { .. }))
///     )
/// }
/// assert!(!count_failures(&http::Response::new(())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveFailed(pub SaveError);

/// Anything [`load`] can read request headers from: an `http::Request`,
/// its `Parts`, or a bare `HeaderMap`.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let (parts, _body) = http::Request::new(()).into_parts();
/// assert_eq!(sealed_session::load(&config, &parts).status(), Status::New);
/// assert_eq!(sealed_session::load(&config, &http::HeaderMap::new()).status(), Status::New);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait RequestHeaders {
    /// The request's headers.
    ///
    /// ```
    /// use sealed_session::RequestHeaders;
    ///
    /// fn sends_cookies(request: &impl RequestHeaders) -> bool {
    ///     request.request_headers().contains_key("cookie")
    /// }
    /// let request = http::Request::builder().header("cookie", "a=1").body(())?;
    /// assert!(sends_cookies(&request));
    /// assert!(!sends_cookies(&http::HeaderMap::new()));
    /// # Ok::<(), http::Error>(())
    /// ```
    fn request_headers(&self) -> &HeaderMap;
}

impl<B> RequestHeaders for Request<B> {
    fn request_headers(&self) -> &HeaderMap {
        self.headers()
    }
}

impl RequestHeaders for http::request::Parts {
    fn request_headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl RequestHeaders for HeaderMap {
    fn request_headers(&self) -> &HeaderMap {
        self
    }
}

/// Anything [`save`] can write response headers into: an `http::Response`,
/// its `Parts`, or a bare `HeaderMap` (which has no status).
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("user", &1u8)?;
/// let (mut parts, body) = http::Response::new("page").into_parts();
/// sealed_session::save(&config, &session, &mut parts)?;
/// let response = http::Response::from_parts(parts, body);
/// assert!(response.headers().contains_key("set-cookie"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait ResponseHeaders {
    /// The response's headers.
    ///
    /// ```
    /// use sealed_session::ResponseHeaders;
    ///
    /// fn no_store(response: &mut impl ResponseHeaders) {
    ///     response.response_headers().insert("cache-control", http::HeaderValue::from_static("no-store"));
    /// }
    /// let mut response = http::Response::new(());
    /// no_store(&mut response);
    /// assert_eq!(response.headers()["cache-control"], "no-store");
    /// ```
    fn response_headers(&mut self) -> &mut HeaderMap;
    /// The response's status, if known (a bare `HeaderMap` has none).
    ///
    /// ```
    /// use http::StatusCode;
    /// use sealed_session::ResponseHeaders;
    ///
    /// let mut error = http::Response::new(());
    /// *error.status_mut() = StatusCode::BAD_GATEWAY;
    /// assert_eq!(error.response_status(), Some(StatusCode::BAD_GATEWAY));
    /// assert_eq!(http::HeaderMap::new().response_status(), None);
    /// ```
    fn response_status(&self) -> Option<StatusCode>;
}

impl<B> ResponseHeaders for Response<B> {
    fn response_headers(&mut self) -> &mut HeaderMap {
        self.headers_mut()
    }
    fn response_status(&self) -> Option<StatusCode> {
        Some(self.status())
    }
}

impl ResponseHeaders for http::response::Parts {
    fn response_headers(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }
    fn response_status(&self) -> Option<StatusCode> {
        Some(self.status)
    }
}

/// A bare `HeaderMap` has no status, so the "no new cookie on a 5xx" rule
/// cannot apply: a bridge that knows the status should save into an
/// `http::Response<()>` with that status and copy the headers across (as the
/// actix-web example does).
impl ResponseHeaders for HeaderMap {
    fn response_headers(&mut self) -> &mut HeaderMap {
        self
    }
    fn response_status(&self) -> Option<StatusCode> {
        None
    }
}

/// Loads the session from a request's `Cookie` headers.
///
/// Never fails: with no cookie, or a cookie that is malformed, tampered,
/// sealed under an unknown key or expired, the session starts empty and
/// [`Session::status`] says why. Every `Cookie` header is read (HTTP/2 sends
/// one per cookie); the first cookie with the configured name that opens and
/// has not expired wins.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let request = http::Request::builder()
///     .header("cookie", "session=garbage")
///     .body(())?;
/// let session = sealed_session::load(&config, &request);
/// assert!(session.is_empty());
/// assert!(matches!(session.status(), Status::Invalid(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load<R: RequestHeaders + ?Sized>(config: &SessionConfig, request: &R) -> Session {
    load_from(
        config,
        cookie_values(request.request_headers(), config.cookie_name()),
    )
}

/// [`load`] over a scan of the request's `Cookie` headers (which an
/// adapter may hand over as bytes).
pub(crate) fn load_from(config: &SessionConfig, mut values: CookieValues<'_>) -> Session {
    if config.max_chunks() > 1 {
        return load_chunked(config, values.with_chunks());
    }
    match try_candidates(config, &mut values) {
        Ok(session) => session,
        Err(mut loader) => {
            if values.is_truncated() {
                loader.cut();
            }
            finish(config, loader)
        }
    }
}

/// Tries the candidates in order: the first that opens and is live, or the
/// loader that knows why none did.
fn try_candidates<'a>(
    config: &SessionConfig,
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Session, Loader> {
    let mut loader = Loader::new(config.load_rules());
    let sealer = config.session_sealer();
    for (i, raw) in values.into_iter().enumerate() {
        if i == MAX_CANDIDATES {
            // One more than we examine: the real cookie may be among them.
            loader.cut();
            break;
        }
        if let Some(session) = offer(config, &mut loader, sealer.open(raw).map_err(Into::into)) {
            return Ok(session);
        }
    }
    Err(loader)
}

/// One candidate's outcome, offered to the loader: the session if it
/// opened and is live; otherwise the reason is logged and kept.
fn offer(
    config: &SessionConfig,
    loader: &mut Loader,
    opened: Result<Opened, InvalidReason>,
) -> Option<Session> {
    match opened {
        Ok(opened) => {
            let (used_fallback, key_id) = (opened.used_fallback(), opened.key_id());
            let session = loader.offer(opened.into_plaintext(), used_fallback)?;
            if used_fallback {
                log::opened_with_fallback(config.cookie_name(), key_id);
            }
            Some(session)
        }
        Err(reason) => {
            log::rejected_cookie(config.cookie_name(), reason);
            loader.reject(reason);
            None
        }
    }
}

/// The chunk cookies `{name}.1` to `{name}.3` a request carried: the first
/// value of each, and how many bore its name.
#[derive(Default)]
struct ChunkCookies<'a> {
    values: [Option<&'a [u8]>; MAX_CHUNKS as usize],
    counts: [u8; MAX_CHUNKS as usize],
}

impl<'a> ChunkCookies<'a> {
    fn add(&mut self, index: u8, value: &'a [u8]) {
        let i = usize::from(index);
        self.values[i].get_or_insert(value);
        self.counts[i] = self.counts[i].saturating_add(1);
    }

    /// Bit `k` set for each `{name}.k` present.
    fn carried(&self) -> u8 {
        (1..MAX_CHUNKS)
            .filter(|&k| self.counts[usize::from(k)] > 0)
            .fold(0, |bits, k| bits | (1 << k))
    }

    /// The shares of a session whose first chunk announces `count` (its
    /// own share given): all or nothing. Every chunk below the count must
    /// be there exactly once, and none at or beyond it.
    fn shares(
        &self,
        count: u8,
        max: u8,
        first: &'a [u8],
    ) -> Result<[&'a [u8]; MAX_CHUNKS as usize], ChunkReason> {
        if !(2..=max).contains(&count) {
            return Err(ChunkReason::BadCount { count, max });
        }
        let mut shares = [first; MAX_CHUNKS as usize];
        for index in 1..MAX_CHUNKS {
            let i = usize::from(index);
            match (index < count, self.counts[i], self.values[i]) {
                (true, 1, Some(value)) => shares[i] = value,
                (true, 0, _) => return Err(ChunkReason::Missing { index }),
                (true, _, _) => return Err(ChunkReason::Duplicated { index }),
                (false, 0, _) => {}
                (false, _, _) => return Err(ChunkReason::Extra { index }),
            }
        }
        Ok(shares)
    }
}

/// [`load`] with `max_chunks` above 1: the whole scan first (the chunks may
/// come in any order, in any `Cookie` header), under the same budget, then
/// each candidate `{name}` with the chunks it announces. Nothing but
/// slices of the request is kept until a candidate's shares are joined, at
/// most `max_chunks` × 4,096 bytes.
fn load_chunked(config: &SessionConfig, mut values: CookieValues<'_>) -> Session {
    let name = config.cookie_name();
    let mut firsts: Vec<&[u8]> = Vec::new();
    let mut chunks = ChunkCookies::default();
    let mut cut = false;
    while let Some((index, value)) = values.next_chunk() {
        if index > 0 {
            chunks.add(index, value);
        } else if firsts.len() == MAX_CANDIDATES {
            // More than we examine: the real cookie may be among them. The
            // scan goes on for the chunks (within the same budget), so that
            // what a candidate needs is known wherever it comes.
            cut = true;
        } else {
            firsts.push(value);
        }
    }
    cut |= values.is_truncated();
    let carried = chunks.carried();
    let mut loader = Loader::new(config.load_rules());
    loader.carried_chunks(carried);
    if firsts.is_empty() && carried != 0 {
        // Chunks without their first: leftovers, removed by the next save.
        let reason = InvalidReason::Chunks(ChunkReason::Missing { index: 0 });
        log::rejected_cookie(name, reason);
        loader.reject(reason);
    }
    let sealer = config.session_sealer();
    let max = u8::try_from(config.max_chunks()).unwrap_or(MAX_CHUNKS);
    for first in firsts {
        let opened = match chunk_marker(first) {
            // A one-cookie session, alone: any chunk beside it is extra.
            None => match (1..MAX_CHUNKS).find(|k| carried & (1 << k) != 0) {
                Some(index) => Err(InvalidReason::Chunks(ChunkReason::Extra { index })),
                None => sealer.open(first).map_err(InvalidReason::from),
            },
            Some((count, share)) => chunks
                .shares(count, max, share)
                .map_err(InvalidReason::Chunks)
                .and_then(|shares| {
                    sealer
                        .open_chunks(&shares[..usize::from(count)])
                        .map_err(|e: OpenError| e.into())
                }),
        };
        if let Some(session) = offer(config, &mut loader, opened) {
            return session;
        }
    }
    if cut {
        loader.cut();
    }
    finish(config, loader)
}

/// The new session of a loader that found none, logged.
fn finish(config: &SessionConfig, loader: Loader) -> Session {
    let session = loader.finish();
    log_bad_payload(config, &session);
    session
}

/// An authenticated cookie that is not a session, or that claims a time in
/// the future, is found only by the loader; it is logged with the other
/// rejected cookies.
fn log_bad_payload(config: &SessionConfig, session: &Session) {
    if let Status::Invalid(reason @ (InvalidReason::BadPayload | InvalidReason::FromTheFuture)) =
        session.load_status()
    {
        log::rejected_cookie(config.cookie_name(), reason);
    }
}

/// Writes the session into a response, following the save rules (the
/// [lifecycle table](crate::docs::save_rules) has every case):
///
/// 1. Flushed, or empty while the request carried a session cookie and
///    every candidate was examined: a removal `Set-Cookie` (empty value,
///    `Max-Age=0`, past `Expires`, same `Path`/`Domain`). A cookie that was
///    not examined (cut by the scan budget, past the candidate limit) or not
///    verified (the revocation store failed) is never deleted, and nothing
///    is sealed over it, unless the app flushes or renews.
/// 2. Modified (an equal value stored again is no change), renewed, loaded
///    with a fallback key, or due for a rolling refresh: the sealed
///    session, with the configured attributes.
/// 3. Otherwise nothing.
/// 4. A cookie over the size limit (over what
///    [`max_chunks`](crate::SessionConfigBuilder::max_chunks) cookies
///    carry): [`SaveError::TooLarge`], and no new session cookie, so the
///    client keeps its previous one.
///
/// A session split over several cookies is written as one `Set-Cookie` per
/// chunk, and every chunk cookie the request carried that the new session
/// does not use (it shrank, was flushed or renewed) gets a removal: no
/// chunk is left orphaned.
/// 5. A 5xx response gets no new session cookie; a removal still goes out,
///    and a flushed session whose new cookie cannot go out (a 5xx, a failed
///    save) has its old cookie removed, so a logout is never undone.
/// 6. `Vary: Cookie` whenever the session was read or written, whether or
///    not the save succeeded.
/// 7. A response that carries a session `Set-Cookie` is never storable by a
///    shared cache: `Cache-Control: private` when the app set none; an
///    app's `public` or `s-maxage` is dropped and `private` added (logged).
///
/// # Errors
///
/// [`SaveError::TooLarge`], or [`SaveError::Seal`] if the OS random source
/// fails.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("user", &42u64)?;
/// let mut response = http::Response::new(());
/// sealed_session::save(&config, &session, &mut response)?;
/// assert!(response.headers().contains_key("set-cookie"));
/// assert_eq!(response.headers()["vary"], "Cookie");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save<T: ResponseHeaders + ?Sized>(
    config: &SessionConfig,
    session: &Session,
    response: &mut T,
) -> Result<(), SaveError> {
    let is_server_error = response
        .response_status()
        .is_some_and(|s| s.is_server_error());
    let output = save_output(config, session, is_server_error);
    let headers = response.response_headers();
    if output.vary && !varies_on_cookie(headers.get_all(VARY).iter().map(HeaderValue::as_bytes)) {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
    if !output.lines.is_empty() {
        for line in output.lines {
            headers.append(SET_COOKIE, header_value(line));
        }
        let present = headers
            .get_all(CACHE_CONTROL)
            .iter()
            .map(HeaderValue::as_bytes);
        match shield_from_shared_caches(present, config.cookie_name()) {
            CacheControl::Keep => {}
            CacheControl::Private => {
                headers.insert(CACHE_CONTROL, HeaderValue::from_static("private"));
            }
            CacheControl::Replace(value) => {
                // Every kept directive came out of a valid header value.
                let value = HeaderValue::try_from(value)
                    .unwrap_or_else(|_| HeaderValue::from_static("private"));
                headers.insert(CACHE_CONTROL, value);
            }
        }
    }
    output.error.map_or(Ok(()), Err)
}

/// What a save writes, decided once for every adapter (each only copies it
/// into its framework's headers): the `Set-Cookie` lines, whether `Vary:
/// Cookie` is due (rule 6), and the error when the session cookie could not
/// be written. Rule 7's `Cache-Control` follows from the lines
/// ([`shield_from_shared_caches`]).
pub(crate) struct SaveOutput {
    pub(crate) lines: Lines,
    pub(crate) vary: bool,
    pub(crate) error: Option<SaveError>,
}

/// Save rules 1 to 6 for a response whose status is or is not a server
/// error.
pub(crate) fn save_output(
    config: &SessionConfig,
    session: &Session,
    is_server_error: bool,
) -> SaveOutput {
    let (lines, error) = if is_server_error {
        // Rule 5: a server error gets no new session cookie. Decided before
        // sealing: nothing is sealed, and no `TooLarge` replaces the
        // handler's own error.
        let remove = session.save_plan(config.now_unix()) == SavePlan::Remove;
        let lines = if remove {
            removal_lines(config, session)
        } else {
            Lines::default()
        };
        (lines, None)
    } else {
        match set_cookie_lines(config, session) {
            Ok(lines) => (lines, None),
            Err(error) => (Lines::default(), Some(error)),
        }
    };
    // Rule 5, second half: a flushed session whose new cookie cannot go out
    // (a 5xx, a failed save) still has its old cookie removed, so a logout
    // is never undone by what follows it.
    let lines = if lines.is_empty() && session.was_flushed() {
        removal_lines(config, session)
    } else {
        lines
    };
    // Rule 6, whether or not the save succeeded: the handler may still send
    // a response that depends on the cookie.
    let vary = !lines.is_empty() || session.was_read();
    SaveOutput { lines, vary, error }
}

/// The `Set-Cookie` values of one save, each a whole line of visible ASCII
/// allocated at its exact size: the session's first cookie (or its
/// removal), then any chunks and chunk removals. One cookie, the common
/// case, costs no allocation besides its own line.
#[derive(Default)]
pub(crate) struct Lines {
    first: Option<Vec<u8>>,
    more: Vec<Vec<u8>>,
}

impl Lines {
    fn push(&mut self, line: Vec<u8>) {
        if self.first.is_none() {
            self.first = Some(line);
        } else {
            self.more.push(line);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }
}

impl IntoIterator for Lines {
    type Item = Vec<u8>;
    type IntoIter = std::iter::Chain<std::option::IntoIter<Vec<u8>>, std::vec::IntoIter<Vec<u8>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.more)
    }
}

/// The `Set-Cookie` lines [`save`] writes for a response that is not a
/// server error.
fn set_cookie_lines(config: &SessionConfig, session: &Session) -> Result<Lines, SaveError> {
    let now = config.now_unix();
    match session.save_plan(now) {
        SavePlan::Nothing => Ok(Lines::default()),
        SavePlan::Remove => Ok(removal_lines(config, session)),
        SavePlan::Seal {
            expires,
            browser_session,
        } => {
            let max_age = (!browser_session).then(|| cookie_lifetime(now, expires));
            sealed_lines(config, session, now, expires, max_age)
                .inspect_err(|e| log_save_error(config.cookie_name(), e))
        }
    }
}

/// The sealed session's cookies, checked against the size limit before
/// anything is sealed: one `name=value` line, or one per chunk when it
/// takes more (sealed once, the text split), then the removals of the
/// chunks the request carried that it no longer uses. Each line is
/// allocated at its exact size.
fn sealed_lines(
    config: &SessionConfig,
    session: &Session,
    now: i64,
    expires: i64,
    max_age: Option<(i64, i64)>,
) -> Result<Lines, SaveError> {
    let name = config.cookie_name();
    let sealer = config.session_sealer();
    // The envelope is built straight into the frame and sealed in place.
    let frame = sealer
        .frame(session.envelope_len_bound(), |buf| {
            session.encode_envelope(now, expires, buf)
        })
        .ok_or(SealError::Rng)?;
    let text_len = frame.sealed_len();
    let max_chunks = u8::try_from(config.max_chunks()).unwrap_or(MAX_CHUNKS);
    let Some(count) = chunks_needed(name.len(), config.size_limit(), max_chunks, text_len) else {
        return Err(SaveError::TooLarge {
            size: name.len() + 1 + text_len,
            limit: config.capacity(),
        });
    };
    let attributes = config.attributes();
    let attributes_len = attributes_len(attributes, max_age);
    let mut lines = Lines::default();
    if count == 1 {
        let mut out = Vec::with_capacity(name.len() + 1 + text_len + attributes_len);
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        sealer.seal_frame(frame, &mut out)?;
        push_attributes(attributes, max_age, &mut out);
        lines.push(out);
    } else {
        let mut text = Vec::with_capacity(text_len);
        sealer.chunked(count).seal_frame(frame, &mut text)?;
        for index in 0..count {
            let value_len = chunk_value_len(text_len, count, index);
            let mut out =
                Vec::with_capacity(chunk_name_len(name, index) + 1 + value_len + attributes_len);
            push_chunk_name(name, index, &mut out);
            out.push(b'=');
            push_chunk_value(&text, count, index, &mut out);
            push_attributes(attributes, max_age, &mut out);
            lines.push(out);
        }
    }
    push_chunk_removals(config, session.chunks_carried(), count, &mut lines);
    Ok(lines)
}

/// `{name}` for chunk 0, `{name}.{index}` for the others.
fn push_chunk_name(name: &str, index: u8, out: &mut Vec<u8>) {
    out.extend_from_slice(name.as_bytes());
    if index > 0 {
        out.push(b'.');
        out.push(b'0' + index);
    }
}

fn chunk_name_len(name: &str, index: u8) -> usize {
    name.len() + if index > 0 { 2 } else { 0 }
}

/// Removals for the chunk cookies in `carried` (bit `k` for `{name}.k`)
/// from index `from` on: those the request carried and the new session
/// does not use.
fn push_chunk_removals(config: &SessionConfig, carried: u8, from: u8, lines: &mut Lines) {
    for index in from.max(1)..MAX_CHUNKS {
        if carried & (1 << index) != 0 {
            lines.push(removal_line(config, index));
        }
    }
}

/// The removal of the session cookie and of every chunk cookie the request
/// carried.
fn removal_lines(config: &SessionConfig, session: &Session) -> Lines {
    let mut lines = Lines::default();
    lines.push(removal_line(config, 0));
    push_chunk_removals(config, session.chunks_carried(), 1, &mut lines);
    lines
}

fn log_save_error(cookie_name: &str, error: &SaveError) {
    match error {
        SaveError::TooLarge { size, limit } => log::too_large(cookie_name, *size, *limit),
        SaveError::Seal(cause) => log::seal_failed(cookie_name, cause),
    }
}

/// After a save-error policy replaced a response: a flushed session's
/// removals (its cookie's, and those of the chunks the request carried)
/// still go out (save rule 5), whatever the replacement kept. Empty when
/// there is nothing to add. For the adapters only: `save` itself never
/// drops what it wrote.
#[cfg(any(feature = "tower", feature = "actix-web"))]
pub(crate) fn removal_after_failed_save(
    config: &SessionConfig,
    session: &Session,
    headers: &HeaderMap,
) -> Vec<HeaderValue> {
    if !session.was_flushed() {
        return Vec::new();
    }
    let name = config.cookie_name().as_bytes();
    // `save` writes the chunks' removals with the cookie's: one present
    // means all are.
    let present = headers.get_all(SET_COOKIE).iter().any(|v| {
        v.as_bytes()
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(b"=;"))
    });
    if present {
        Vec::new()
    } else {
        removal_lines(config, session)
            .into_iter()
            .map(header_value)
            .collect()
    }
}

/// A `Set-Cookie` that deletes the session cookie (`index` 0) or one of its
/// chunks, with the same `Path`/`Domain`.
fn removal_line(config: &SessionConfig, index: u8) -> Vec<u8> {
    let name = config.cookie_name();
    let max_age = Some((0, 0));
    let mut out = Vec::with_capacity(
        chunk_name_len(name, index) + 1 + attributes_len(config.attributes(), max_age),
    );
    push_chunk_name(name, index, &mut out);
    out.push(b'=');
    push_attributes(config.attributes(), max_age, &mut out);
    out
}

fn header_value(line: Vec<u8>) -> HeaderValue {
    // The name is a validated token, the value base64url, the attributes
    // validated at build: all visible ASCII. Sized exactly, the buffer
    // becomes the value's storage with no second allocation.
    debug_assert_eq!(line.len(), line.capacity());
    HeaderValue::try_from(line).expect("Set-Cookie is built from visible ASCII only")
}

/// What save rule 7 does to a response's `Cache-Control`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CacheControl {
    /// Already `private` or `no-store`, and nothing shared-cacheable.
    Keep,
    /// None was set: add `private`.
    Private,
    /// Replace every `Cache-Control` with this one value.
    Replace(String),
}

/// Save rule 7: a response carrying a session cookie is never storable by a
/// shared cache. Given the response's `Cache-Control` values: none gets
/// `private`; those the app set keep their other directives, lose `public`
/// and `s-maxage`, and gain `private` unless they already have `private`
/// or `no-store` (logged, since the app's choice is overridden).
pub(crate) fn shield_from_shared_caches<'a>(
    mut present: impl Iterator<Item = &'a [u8]>,
    cookie_name: &str,
) -> CacheControl {
    let Some(first) = present.next() else {
        return CacheControl::Private;
    };
    let mut kept: Vec<&str> = Vec::new();
    let (mut shielded, mut dropped) = (false, false);
    for value in std::iter::once(first).chain(present) {
        // A value that is not text cannot be read, so none of it is kept.
        let Some(text) = header_text(value) else {
            dropped = true;
            continue;
        };
        for directive in text.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            let name = directive.split('=').next().unwrap_or("").trim();
            if name.eq_ignore_ascii_case("public") || name.eq_ignore_ascii_case("s-maxage") {
                dropped = true;
                continue;
            }
            shielded |=
                name.eq_ignore_ascii_case("private") || name.eq_ignore_ascii_case("no-store");
            kept.push(directive);
        }
    }
    if shielded && !dropped {
        return CacheControl::Keep;
    }
    if !shielded {
        kept.push("private");
    }
    log::cache_control_overridden(cookie_name);
    CacheControl::Replace(kept.join(", "))
}

/// Save rule 6's test: whether the response's `Vary` values already name
/// `Cookie` (or `*`).
pub(crate) fn varies_on_cookie<'a>(mut present: impl Iterator<Item = &'a [u8]>) -> bool {
    present.any(|v| {
        header_text(v).is_some_and(|s| {
            s.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("cookie") || t.trim() == "*")
        })
    })
}

/// A header value as text when it is visible ASCII (tabs and spaces
/// included), as `HeaderValue::to_str` reads one in either `http` version.
fn header_text(value: &[u8]) -> Option<&str> {
    if value
        .iter()
        .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
    {
        std::str::from_utf8(value).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Key, Keyring, SameSite};

    /// The session keeps its own `Set-Cookie` writer on the hot path; the
    /// `cookie` crate must read back every attribute it writes.
    #[test]
    fn cookie_parse_reads_back_every_attribute_the_writer_wrote() {
        let config = SessionConfig::builder(Keyring::new(Key::from_bytes(&[3; 32]).unwrap()))
            .cookie_name("__Secure-s")
            .path("/app")
            .domain("example.com")
            .same_site(SameSite::Strict)
            .partitioned(true)
            .build()
            .unwrap();
        let mut session = load(&config, &HeaderMap::new());
        session.insert("k", &1u8).unwrap();
        let written = set_cookie_lines(&config, &session).unwrap().first.unwrap();
        let text = std::str::from_utf8(&written).unwrap();
        let c = cookie::Cookie::parse(text).unwrap();
        assert_eq!(c.name(), "__Secure-s");
        assert_eq!(c.value().len(), text.split(';').next().unwrap().len() - 11);
        assert_eq!(c.path(), Some("/app"));
        assert_eq!(c.domain(), Some("example.com"));
        assert_eq!(c.secure(), Some(true));
        assert_eq!(c.http_only(), Some(true));
        assert_eq!(c.partitioned(), Some(true));
        assert_eq!(c.same_site(), Some(cookie::SameSite::Strict));
        assert_eq!(c.max_age(), Some(time::Duration::weeks(2)));
        assert!(c.expires_datetime().is_some());
        let removal_value = removal_line(&config, 0);
        let removal = cookie::Cookie::parse(std::str::from_utf8(&removal_value).unwrap()).unwrap();
        assert_eq!(removal.value(), "");
        assert_eq!(removal.max_age(), Some(time::Duration::ZERO));
        assert_eq!(
            removal.expires_datetime().map(|t| t.unix_timestamp()),
            Some(0)
        );
        assert_eq!(
            (removal.path(), removal.domain()),
            (Some("/app"), Some("example.com"))
        );
    }

    fn config() -> SessionConfig {
        SessionConfig::builder(Keyring::new(Key::from_bytes(&[4; 32]).unwrap()))
            .build()
            .unwrap()
    }

    fn issued(config: &SessionConfig) -> HeaderMap {
        let mut session = load(config, &HeaderMap::new());
        session.insert("user", &42u64).unwrap();
        let mut response = HeaderMap::new();
        save(config, &session, &mut response).unwrap();
        let mut request = HeaderMap::new();
        let pair = response[SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap();
        request.insert(http::header::COOKIE, pair.parse().unwrap());
        request
    }

    /// Issue 10.1: accessors that depend on the cookie count as reads.
    #[test]
    fn cookie_derived_accessors_mark_the_session_as_read() {
        let config = config();
        let request = issued(&config);
        let reads: [fn(&Session); 5] = [
            |s| {
                let _ = s.status();
            },
            |s| {
                let _ = s.created();
            },
            |s| {
                let _ = s.expiry();
            },
            |s| {
                let _ = s.expiry_date();
            },
            |s| {
                let _ = s.expires_at_browser_close();
            },
        ];
        for read in reads {
            let session = load(&config, &request);
            read(&session);
            let mut response = http::Response::new(());
            save(&config, &session, &mut response).unwrap();
            assert_eq!(response.headers()[VARY], "Cookie");
            assert!(!response.headers().contains_key(SET_COOKIE));
        }
    }

    /// Issue 10.1: `Vary` goes out even when the save fails.
    #[test]
    fn vary_is_written_when_the_session_is_too_large() {
        let config = config();
        let mut session = load(&config, &HeaderMap::new());
        session.insert("big", &"x".repeat(5000)).unwrap();
        let mut response = http::Response::new(());
        let err = save(&config, &session, &mut response).unwrap_err();
        assert!(matches!(err, SaveError::TooLarge { .. }));
        assert_eq!(response.headers()[VARY], "Cookie");
        assert!(!response.headers().contains_key(SET_COOKIE));
    }

    /// Issue 10.2: a logout is not undone by a server error.
    #[test]
    fn a_flush_in_a_5xx_still_removes_the_cookie_but_a_change_writes_nothing() {
        let config = config();
        let request = issued(&config);
        let mut session = load(&config, &request);
        session.flush();
        let mut response = http::Response::new(());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        save(&config, &session, &mut response).unwrap();
        let removal = response.headers()[SET_COOKIE].to_str().unwrap();
        assert!(removal.starts_with("session=;") && removal.contains("Max-Age=0"));

        let mut session = load(&config, &request);
        session.insert("more", &1u8).unwrap();
        let mut response = http::Response::new(());
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        save(&config, &session, &mut response).unwrap();
        assert!(!response.headers().contains_key(SET_COOKIE));
        assert_eq!(response.headers()[VARY], "Cookie");
    }

    /// A 5xx is decided before sealing: a session too large for a cookie
    /// does not turn the handler's error into a `TooLarge`.
    #[test]
    fn a_5xx_with_a_too_large_session_saves_nothing_and_fails_nothing() {
        let config = config();
        let mut session = load(&config, &HeaderMap::new());
        session.insert("big", &"x".repeat(5000)).unwrap();
        let mut response = http::Response::new(());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        save(&config, &session, &mut response).unwrap();
        assert!(!response.headers().contains_key(SET_COOKIE));
        assert_eq!(response.headers()[VARY], "Cookie");
    }

    /// Issue 10.9: a new session cookie is never stored by a shared cache.
    #[test]
    fn a_session_cookie_comes_with_cache_control_private_unless_the_app_set_one() {
        let config = config();
        let mut session = load(&config, &HeaderMap::new());
        session.insert("user", &1u8).unwrap();
        let mut response = http::Response::new(());
        save(&config, &session, &mut response).unwrap();
        assert_eq!(response.headers()[CACHE_CONTROL], "private");

        let mut response = http::Response::new(());
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        save(&config, &session, &mut response).unwrap();
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");

        // Nothing to write: no directive added.
        let request = issued(&config);
        let untouched = load(&config, &request);
        let mut response = http::Response::new(());
        save(&config, &untouched, &mut response).unwrap();
        assert!(!response.headers().contains_key(CACHE_CONTROL));
    }

    /// Save rule 7 over header bytes, as both adapters apply it.
    #[test]
    fn shared_caches_are_shut_out_whatever_the_app_set() {
        let rule = |values: &[&[u8]]| shield_from_shared_caches(values.iter().copied(), "s");
        let replace = |text: &str| CacheControl::Replace(text.to_owned());
        assert_eq!(rule(&[]), CacheControl::Private);
        assert_eq!(rule(&[b"private"]), CacheControl::Keep);
        assert_eq!(rule(&[b"No-Store, max-age=0"]), CacheControl::Keep);
        assert_eq!(rule(&[b"max-age=60"]), replace("max-age=60, private"));
        assert_eq!(
            rule(&[b"public, max-age=60"]),
            replace("max-age=60, private")
        );
        assert_eq!(rule(&[b"private", b"S-MaxAge=9"]), replace("private"));
        assert_eq!(rule(&[b" ,max-age=1 ,, "]), replace("max-age=1, private"));
        // A value that is not visible ASCII cannot be read: none of it stays.
        assert_eq!(rule(&[b"private\x01"]), replace("private"));
        assert_eq!(
            rule(&[b"max-age=1", "caf\u{e9}".as_bytes()]),
            replace("max-age=1, private")
        );
        assert_eq!(rule(&[b"no-cache\tx"]), replace("no-cache\tx, private"));
    }

    /// Save rule 6's test over header bytes.
    #[test]
    fn vary_counts_as_naming_cookie_only_when_it_does() {
        let names = |values: &[&[u8]]| varies_on_cookie(values.iter().copied());
        assert!(!names(&[]));
        assert!(names(&[b"Cookie"]));
        assert!(names(&[b"accept, COOKIE"]));
        assert!(names(&[b"origin", b" cookie "]));
        assert!(names(&[b"*"]));
        assert!(!names(&[b"Cookies, Set-Cookie"]));
        assert!(!names(&[b"cookie\x7f"]));
        assert!(!names(&[b"accept"]));
    }

    /// Issue 24: after a policy replaced the response of a failed save, a
    /// flushed chunked session still has every chunk it carried removed.
    #[cfg(any(feature = "tower", feature = "actix-web"))]
    #[test]
    fn a_removal_after_a_failed_save_covers_every_chunk() {
        let config = SessionConfig::builder(Keyring::new(Key::from_bytes(&[4; 32]).unwrap()))
            .max_chunks(3)
            .build()
            .unwrap();
        let mut session = load(&config, &HeaderMap::new());
        session.insert("big", &"x".repeat(7_000)).unwrap();
        let mut response = HeaderMap::new();
        save(&config, &session, &mut response).unwrap();
        let pairs: Vec<&str> = response
            .get_all(SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap())
            .collect();
        assert_eq!(pairs.len(), 3);
        let mut request = HeaderMap::new();
        request.insert(http::header::COOKIE, pairs.join("; ").parse().unwrap());
        let mut session = load(&config, &request);
        assert!(session.status().is_loaded());
        session.flush();
        let names = |lines: &[HeaderValue]| -> Vec<String> {
            lines
                .iter()
                .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
                .collect()
        };
        let lines = removal_after_failed_save(&config, &session, &HeaderMap::new());
        assert_eq!(names(&lines), ["session", "session.1", "session.2"]);
        // Already there (the replacement kept what `save` wrote): nothing.
        let mut kept = HeaderMap::new();
        save(&config, &session, &mut kept).unwrap();
        assert_eq!(kept.get_all(SET_COOKIE).iter().count(), 3);
        assert!(removal_after_failed_save(&config, &session, &kept).is_empty());
    }
}
