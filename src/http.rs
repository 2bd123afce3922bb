//! [`load`] and [`save`] over the `http` crate's types: read every `Cookie`
//! header, pick candidates by name, append `Set-Cookie` and `Vary: Cookie`.

use http::header::{COOKIE, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

use crate::config::{SameSite, SessionConfig};
use crate::envelope;
use crate::error::Error;
use crate::seal;
use crate::session::{InvalidReason, Session, Status};

/// At most this many cookies with the session's name are tried: a browser
/// sends one per matching `Path`/`Domain`, and each costs an AEAD open.
pub const MAX_CANDIDATES: usize = 8;

/// At most this many bytes of `Cookie` headers are scanned, so a hostile
/// header costs little. Browsers send far less (about 4 KB per cookie, and
/// servers commonly cap all headers at 8 to 16 KB).
pub const MAX_SCAN_BYTES: usize = 64 * 1024;

/// Anything [`load`] can read request headers from.
pub trait RequestHeaders {
    /// The request's headers.
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

/// Anything [`save`] can write response headers into.
pub trait ResponseHeaders {
    /// The response's headers.
    fn response_headers(&mut self) -> &mut HeaderMap;
    /// The response's status, if known (a bare `HeaderMap` has none).
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

/// A bare `HeaderMap` has no status, so the "no cookie on a 5xx" rule cannot
/// apply: a bridge that knows the status should skip `save` for server
/// errors, or save into an `http::Response<()>` with that status and copy the
/// headers across (as the actix-web example does).
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
pub fn load<R: RequestHeaders + ?Sized>(config: &SessionConfig, request: &R) -> Session {
    load_from_values(
        config,
        cookie_values(request.request_headers(), config.cookie_name()),
    )
}

/// Loads the session from cookie values already picked out of a request, for
/// frameworks that parse cookies themselves. At most [`MAX_CANDIDATES`] are
/// tried.
pub fn load_from_values<'a>(
    config: &SessionConfig,
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Session {
    let inner = &config.inner;
    let now = inner.clock.now();
    let lifetimes = inner.lifetimes;
    let mut first_error: Option<InvalidReason> = None;
    let mut expired = false;
    let mut seen = false;
    for raw in values.into_iter().take(MAX_CANDIDATES) {
        seen = true;
        let Ok(value) = std::str::from_utf8(raw) else {
            first_error.get_or_insert(InvalidReason::Malformed(
                crate::error::MalformedReason::Base64,
            ));
            continue;
        };
        let opened = match inner.keyring.open(&inner.cookie_name, value) {
            Ok(opened) => opened,
            Err(e) => {
                first_error.get_or_insert(e.into());
                continue;
            }
        };
        let Some(env) = envelope::decode(opened.plaintext) else {
            first_error.get_or_insert(InvalidReason::BadPayload);
            continue;
        };
        if !lifetimes.is_live(env.created, env.expires, env.expiry, now) {
            expired = true;
            continue;
        }
        return Session::loaded(env, now, lifetimes, opened.used_fallback);
    }
    let status = match (seen, expired, first_error) {
        (false, _, _) => Status::New,
        (true, true, _) => Status::Expired,
        (true, false, Some(reason)) => Status::Invalid(reason),
        (true, false, None) => Status::New,
    };
    Session::fresh(now, lifetimes, status, seen)
}

/// The values of the cookies called `name`, in header order, within the scan
/// budget. Works on bytes: a header that is not UTF-8 is still scanned.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a [u8]> {
    let mut budget = MAX_SCAN_BYTES;
    headers
        .get_all(COOKIE)
        .iter()
        .map_while(move |header| {
            let bytes = header.as_bytes();
            if budget == 0 {
                return None;
            }
            let take = bytes.len().min(budget);
            budget -= take;
            Some(&bytes[..take])
        })
        .flat_map(|bytes| Pairs { rest: Some(bytes) })
        .filter_map(move |pair| {
            let pair = trim(pair);
            let eq = pair.iter().position(|&b| b == b'=')?;
            (trim(&pair[..eq]) == name.as_bytes()).then(|| unquote(trim(&pair[eq + 1..])))
        })
}

/// `bytes.split(|&b| b == b';')`, eight bytes at a time.
struct Pairs<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for Pairs<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        match find_byte(rest, b';') {
            Some(i) => {
                self.rest = Some(&rest[i + 1..]);
                Some(&rest[..i])
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// The first `needle` in `hay` (SWAR: a word at a time, safe code).
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO * u64::from(needle);
    let mut chunks = hay.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes")) ^ pattern;
        if word.wrapping_sub(LO) & !word & HI != 0 {
            return chunk.iter().position(|&b| b == needle).map(|i| offset + i);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| offset + i)
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |i| i + 1);
    &bytes[start..end.max(start)]
}

/// RFC 6265 allows a cookie value in double quotes.
fn unquote(bytes: &[u8]) -> &[u8] {
    match bytes {
        [b'"', inner @ .., b'"'] => inner,
        _ => bytes,
    }
}

/// Room for `; Path=/; Max-Age=1209600; Expires=Sun, 06 Nov 1994 08:49:37
/// GMT; Secure; HttpOnly; SameSite=Strict; Partitioned` plus a short domain.
const ATTRIBUTES_CAPACITY: usize = 160;

thread_local! {
    /// The buffer each thread seals sessions in. Between uses it holds only
    /// ciphertext (sealing is in place), never session plaintext.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch buffer, or a fresh one if it is in
/// use or gone (thread shutdown).
fn with_scratch<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut f = Some(f);
    let reused = SCRATCH.try_with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .map(|mut buf| (f.take().expect("called once"))(&mut buf))
    });
    match reused {
        Ok(Some(r)) => r,
        _ => (f.take().expect("not called yet"))(&mut Vec::new()),
    }
}

/// What a save does to the cookie.
enum Action {
    Nothing,
    Remove,
    Set,
}

/// Writes the session into a response, following the save rules:
///
/// 1. Flushed, or empty while the request carried a session cookie: a
///    removal `Set-Cookie` (empty value, `Max-Age=0`, past `Expires`, same
///    `Path`/`Domain`).
/// 2. Modified, renewed, loaded with a fallback key, or due for a rolling
///    refresh: the sealed session, with the configured attributes.
/// 3. Otherwise nothing.
/// 4. A cookie over the size limit: [`Error::TooLarge`], and no header at all,
///    so the client keeps its previous cookie.
/// 5. A 5xx response gets no session cookie.
/// 6. `Vary: Cookie` whenever the session was read or written.
///
/// # Errors
///
/// [`Error::TooLarge`], or [`Error::Seal`] if the OS random source fails.
pub fn save<T: ResponseHeaders + ?Sized>(
    config: &SessionConfig,
    session: &Session,
    response: &mut T,
) -> Result<(), Error> {
    let is_server_error = response
        .response_status()
        .is_some_and(|s| s.is_server_error());
    let header = if is_server_error {
        None
    } else {
        set_cookie_header(config, session)?
    };
    let accessed = session.save_view().accessed;
    let headers = response.response_headers();
    let wrote = header.is_some();
    if let Some(value) = header {
        headers.append(SET_COOKIE, value);
    }
    if wrote || accessed {
        add_vary_cookie(headers);
    }
    Ok(())
}

/// The `Set-Cookie` header [`save`] would write, if any: for frameworks
/// whose response type is not an `http` one. It knows no status: do not send
/// it with a 5xx response.
///
/// # Errors
///
/// As [`save`].
pub fn set_cookie_header(
    config: &SessionConfig,
    session: &Session,
) -> Result<Option<HeaderValue>, Error> {
    let inner = &config.inner;
    let now = inner.clock.now();
    let view = session.save_view();
    let lt = &inner.lifetimes;
    let action = if view.flushed && view.data.is_empty() {
        Action::Remove
    } else if view.data.is_empty() {
        if view.had_cookie {
            Action::Remove
        } else {
            Action::Nothing
        }
    } else if view.modified
        || view.renewed
        || view.flushed
        || view.status == Status::LoadedWithFallback
        || view
            .loaded_expires
            .is_some_and(|e| lt.due_for_refresh(view.created, e, view.expiry, now))
    {
        Action::Set
    } else {
        Action::Nothing
    };
    match action {
        Action::Nothing => Ok(None),
        Action::Remove => Ok(Some(removal_header(config))),
        Action::Set => {
            let expires = lt.expires(view.created, now, view.expiry);
            if expires <= now {
                // An expiry in the past (set_expiry(At(past))): the session is
                // over, so the cookie goes.
                return Ok(Some(removal_header(config)));
            }
            let name = &inner.cookie_name;
            let mut out = String::new();
            // Build the envelope straight after room for the seal header, then
            // seal in place: one buffer, reused across requests.
            let mut seal_session_into = |frame: &mut Vec<u8>| -> Result<(), Error> {
                frame.clear();
                frame.reserve(seal::OVERHEAD + envelope::encoded_len(view.data));
                frame.resize(seal::HEADER_LEN, 0);
                *frame = envelope::encode(
                    view.created,
                    expires,
                    view.expiry,
                    view.data,
                    std::mem::take(frame),
                );
                let size = name.len() + 1 + seal::sealed_len(frame.len() - seal::HEADER_LEN);
                if size > inner.size_limit {
                    return Err(Error::TooLarge {
                        size,
                        limit: inner.size_limit,
                    });
                }
                out.reserve_exact(size + ATTRIBUTES_CAPACITY);
                out.push_str(name);
                out.push('=');
                let nonce = seal::fresh_nonce()?;
                seal::seal_frame(inner.keyring.primary(), name, frame, &nonce, &mut out)?;
                Ok(())
            };
            with_scratch(|frame| {
                let result = seal_session_into(frame);
                if result.is_err() {
                    // Wipe the plaintext before the buffer goes back for reuse.
                    zeroize::Zeroize::zeroize(frame);
                }
                result
            })?;
            let max_age =
                (!lt.is_browser_session(view.expiry)).then(|| cookie_lifetime(now, expires));
            push_attributes(config, max_age, &mut out);
            Ok(Some(header_value(out)))
        }
    }
}

/// Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); the
/// attributes say no more than that, while the server keeps enforcing the
/// sealed expiry. Returns `(Max-Age, Expires)` in seconds.
pub(crate) fn cookie_lifetime(now: i64, expires: i64) -> (i64, i64) {
    const MAX_COOKIE_LIFETIME: i64 = 400 * 86_400;
    let age = expires.saturating_sub(now).clamp(0, MAX_COOKIE_LIFETIME);
    (age, now.saturating_add(age))
}

/// A `Set-Cookie` that deletes the session cookie.
#[must_use]
pub fn removal_header(config: &SessionConfig) -> HeaderValue {
    let name = config.cookie_name();
    let mut out = String::with_capacity(name.len() + ATTRIBUTES_CAPACITY);
    out.push_str(name);
    out.push('=');
    push_attributes(config, Some((0, 0)), &mut out);
    header_value(out)
}

/// The attributes of a `Set-Cookie`, borrowed from a config or
/// [`CookieOptions`](crate::cookies::CookieOptions).
pub(crate) struct Attributes<'a> {
    pub(crate) path: &'a str,
    pub(crate) domain: Option<&'a str>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) partitioned: bool,
}

impl Attributes<'_> {
    /// Appends `; Path=..; Domain=..; Max-Age=..; Expires=..; Secure;
    /// HttpOnly; SameSite=..; Partitioned`; `max_age` is `(seconds, expires
    /// at)`.
    pub(crate) fn push(&self, max_age: Option<(i64, i64)>, out: &mut String) {
        out.push_str("; Path=");
        out.push_str(self.path);
        if let Some(domain) = self.domain {
            out.push_str("; Domain=");
            out.push_str(domain);
        }
        if let Some((age, expires)) = max_age {
            // Writing to a String cannot fail.
            out.push_str("; Max-Age=");
            push_uint(out, age.max(0).unsigned_abs(), 1);
            out.push_str("; Expires=");
            push_http_date(expires, out);
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        out.push_str("; SameSite=");
        out.push_str(self.same_site.as_str());
        if self.partitioned {
            out.push_str("; Partitioned");
        }
    }
}

fn push_attributes(config: &SessionConfig, max_age: Option<(i64, i64)>, out: &mut String) {
    let inner = &config.inner;
    Attributes {
        path: &inner.path,
        domain: inner.domain.as_deref(),
        secure: inner.secure,
        http_only: inner.http_only,
        same_site: inner.same_site,
        partitioned: inner.partitioned,
    }
    .push(max_age, out);
}

/// IMF-fixdate (RFC 9110): `Thu, 01 Jan 1970 00:00:00 GMT`.
pub(crate) fn push_http_date(unix: i64, out: &mut String) {
    let t =
        // Clamped into what `time` represents (years 1970..=9999 here), so a
        // far date never falls back to a past one.
        time::OffsetDateTime::from_unix_timestamp(unix.clamp(0, 253_402_300_799))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [usize::from(t.weekday().number_days_from_monday())];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][usize::from(u8::from(t.month()) - 1)];
    out.push_str(weekday);
    out.push_str(", ");
    push_uint(out, u64::from(t.day()), 2);
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    push_uint(out, u64::from(t.year().unsigned_abs()), 4);
    out.push(' ');
    push_uint(out, u64::from(t.hour()), 2);
    out.push(':');
    push_uint(out, u64::from(t.minute()), 2);
    out.push(':');
    push_uint(out, u64::from(t.second()), 2);
    out.push_str(" GMT");
}

/// Decimal digits of `n`, zero-padded to `width`, without `core::fmt`.
fn push_uint(out: &mut String, mut n: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in digits.len() - at..width {
        out.push('0');
    }
    for &d in &digits[at..] {
        out.push(char::from(d));
    }
}

fn header_value(s: String) -> HeaderValue {
    // The name is a validated token, the value base64url, the attributes
    // validated at build: all visible ASCII.
    HeaderValue::try_from(s).expect("Set-Cookie is built from visible ASCII only")
}

fn add_vary_cookie(headers: &mut HeaderMap) {
    let already = headers.get_all(VARY).iter().any(|v| {
        v.to_str().is_ok_and(|s| {
            s.split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("cookie") || t.trim() == "*")
        })
    });
    if !already {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
}
