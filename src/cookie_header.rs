//! The two cookie headers at the byte level: a bounded scan of `Cookie`
//! request headers, and the writing of `Set-Cookie` attributes.
//!
//! The scanner is hand-written on purpose: the `cookie` crate parses one
//! UTF-8 `name=value` at a time and neither bounds the work over many headers
//! nor skips non-UTF-8 neighbours, and a hostile client controls every byte
//! here. The byte search itself is `memchr`'s.

use crate::cookie_rules::SameSite;

/// The validated `Set-Cookie` attributes of the session cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieAttributes {
    pub(crate) path: String,
    pub(crate) domain: Option<String>,
    pub(crate) secure: bool,
    pub(crate) http_only: bool,
    pub(crate) same_site: SameSite,
    pub(crate) partitioned: bool,
    /// `; Path=..[; Domain=..]`: what every `Set-Cookie` writes before
    /// `Max-Age`, built once here instead of on every save.
    pub(crate) head: String,
    /// `[; Secure][; HttpOnly]; SameSite=..[; Partitioned]`: what follows
    /// `Expires`, built once.
    pub(crate) tail: String,
}

impl CookieAttributes {
    pub(crate) fn new(
        path: String,
        domain: Option<String>,
        secure: bool,
        http_only: bool,
        same_site: SameSite,
        partitioned: bool,
    ) -> Self {
        let mut head = format!("; Path={path}");
        if let Some(domain) = &domain {
            head.push_str("; Domain=");
            head.push_str(domain);
        }
        let mut tail = String::new();
        if secure {
            tail.push_str("; Secure");
        }
        if http_only {
            tail.push_str("; HttpOnly");
        }
        tail.push_str("; SameSite=");
        // Built once per configuration: `Display` is cheap enough here.
        tail.push_str(&same_site.to_string());
        if partitioned {
            tail.push_str("; Partitioned");
        }
        Self {
            path,
            domain,
            secure,
            http_only,
            same_site,
            partitioned,
            head,
            tail,
        }
    }
}

/// At most this many cookies with the session's name are tried: a browser
/// sends one per matching `Path`/`Domain`, and each costs an AEAD open.
///
/// ```
/// use sealed_session::cookies::MAX_CANDIDATES;
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut request = http::Request::builder();
/// for i in 0..=MAX_CANDIDATES {
///     request = request.header("cookie", format!("session=bogus{i}"));
/// }
/// let session = sealed_session::load(&config, &request.body(())?);
/// // One cookie was not tried: it could have been the valid one.
/// assert_eq!(session.status(), Status::Truncated);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_CANDIDATES: usize = 8;

/// At most this many bytes of `Cookie` headers are scanned, so a hostile
/// header costs little. Browsers send far less (about 4 KB per cookie, and
/// servers commonly cap all headers at 8 to 16 KB).
///
/// ```
/// use sealed_session::cookies::MAX_SCAN_BYTES;
/// use sealed_session::{Key, Keyring, SessionConfig, Status};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let request = http::Request::builder()
///     .header("cookie", format!("padding={}", "x".repeat(MAX_SCAN_BYTES)))
///     .header("cookie", "session=never-read")
///     .body(())?;
/// let session = sealed_session::load(&config, &request);
/// assert_eq!(session.status(), Status::Truncated);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const MAX_SCAN_BYTES: usize = 64 * 1024;

/// Browsers cap a cookie's lifetime at 400 days (RFC 6265bis).
const MAX_COOKIE_LIFETIME: i64 = 400 * 86_400;

/// The values of the cookies called `name`, in header order, within the scan
/// budget. Works on bytes: a header that is not UTF-8 is still scanned. A
/// pair that the budget cuts in half is never yielded, and the iterator's
/// [`is_truncated`](CookieValues::is_truncated) then says that not every
/// cookie was examined.
///
/// ```
/// use http::HeaderMap;
///
/// let mut headers = HeaderMap::new();
/// headers.append("cookie", "a=1; session=x".parse().unwrap());
/// headers.append("cookie", "session=\"y\"".parse().unwrap());
/// let mut values = sealed_session::cookies::cookie_values(&headers, "session");
/// let found: Vec<&[u8]> = values.by_ref().collect();
/// assert_eq!(found, [&b"x"[..], &b"y"[..]]);
/// assert!(!values.is_truncated());
/// ```
pub fn cookie_values<'a>(headers: &'a http::HeaderMap, name: &'a str) -> CookieValues<'a> {
    CookieValues::scan(
        HeaderSource::Http(headers.get_all(http::header::COOKIE).into_iter()),
        name,
    )
}

/// As [`cookie_values`], over `Cookie` header values handed over as bytes,
/// in header order: how an adapter whose framework has its own header
/// types (actix-web's `http` 0.2) is scanned without copying its headers
/// into an `http` 1 map first.
#[cfg(feature = "actix-web")]
pub(crate) fn cookie_values_of<'a>(headers: Vec<&'a [u8]>, name: &'a str) -> CookieValues<'a> {
    CookieValues::scan(HeaderSource::Bytes(headers.into_iter()), name)
}

/// Where the `Cookie` header values come from.
#[derive(Debug)]
enum HeaderSource<'a> {
    Http(http::header::ValueIter<'a, http::HeaderValue>),
    #[cfg(feature = "actix-web")]
    Bytes(std::vec::IntoIter<&'a [u8]>),
}

impl<'a> Iterator for HeaderSource<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match self {
            Self::Http(values) => values.next().map(http::HeaderValue::as_bytes),
            #[cfg(feature = "actix-web")]
            Self::Bytes(values) => values.next(),
        }
    }
}

/// The iterator [`cookie_values`] returns.
#[derive(Debug)]
pub struct CookieValues<'a> {
    headers: HeaderSource<'a>,
    name: &'a str,
    /// Bytes of `Cookie` headers still to be scanned.
    budget: usize,
    /// The unscanned rest of the current header, within the budget.
    current: Option<&'a [u8]>,
    truncated: bool,
    /// Whether `{name}.1` to `{name}.3` match too ([`CookieValues::with_chunks`]).
    chunks: bool,
}

impl<'a> CookieValues<'a> {
    fn scan(headers: HeaderSource<'a>, name: &'a str) -> Self {
        Self {
            headers,
            name,
            budget: MAX_SCAN_BYTES,
            current: None,
            truncated: false,
            chunks: false,
        }
    }

    /// The same scan, also yielding the chunk cookies of a split session,
    /// `{name}.1` to `{name}.3`, under the same scan budget; each value
    /// comes with its chunk index (0 for `{name}` itself). Read through
    /// [`CookieValues::next_chunk`].
    pub(crate) fn with_chunks(self) -> Self {
        Self {
            chunks: true,
            ..self
        }
    }

    /// Whether the scan budget ([`MAX_SCAN_BYTES`]) cut the headers so far:
    /// some cookie, perhaps the one sought, was not examined. Final once the
    /// iterator has returned `None`.
    ///
    /// ```
    /// use http::HeaderMap;
    /// use sealed_session::cookies::{MAX_SCAN_BYTES, cookie_values};
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append("cookie", format!("big={}", "x".repeat(MAX_SCAN_BYTES)).parse()?);
    /// headers.append("cookie", "session=abc".parse()?);
    /// let mut values = cookie_values(&headers, "session");
    /// assert_eq!(values.next(), None);
    /// assert!(values.is_truncated()); // "session" may have been there
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The next header's bytes that fit the budget, cut back to the last
    /// whole pair if the budget ends inside one. Once the budget is spent,
    /// no later header is scanned.
    fn next_header(&mut self) -> Option<&'a [u8]> {
        if self.truncated {
            return None;
        }
        let bytes = self.headers.next()?;
        if bytes.len() <= self.budget {
            self.budget -= bytes.len();
            return Some(bytes);
        }
        self.truncated = true;
        let budget = std::mem::take(&mut self.budget);
        if bytes[budget] == b';' {
            return Some(&bytes[..budget]);
        }
        Some(memchr::memrchr(b';', &bytes[..budget]).map_or(&[][..], |i| &bytes[..i]))
    }
}

impl<'a> Iterator for CookieValues<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        self.next_chunk().map(|(_, value)| value)
    }
}

impl<'a> CookieValues<'a> {
    /// The next matching value and its chunk index: 0 for the name itself,
    /// 1 to 3 for `{name}.1` to `{name}.3` when scanning for chunks.
    pub(crate) fn next_chunk(&mut self) -> Option<(u8, &'a [u8])> {
        loop {
            let rest = match self.current {
                Some(rest) => rest,
                None => self.next_header()?,
            };
            // Pairs are split at every `;`, found by `memchr` a word at a time.
            let (pair, after) = match memchr::memchr(b';', rest) {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            self.current = after;
            if let Some(found) = pair_value(pair, self.name, self.chunks) {
                return Some(found);
            }
        }
    }
}

/// The chunk index and value of one `name=value` pair if its name is
/// `name` (index 0) or, with `chunks`, `{name}.1` to `{name}.3`: whitespace
/// around both trimmed, double quotes around the value removed (RFC 6265).
fn pair_value<'a>(pair: &'a [u8], name: &str, chunks: bool) -> Option<(u8, &'a [u8])> {
    let eq = memchr::memchr(b'=', pair)?;
    let found = trim(&pair[..eq]);
    let index = match found.strip_prefix(name.as_bytes())? {
        [] => 0,
        [b'.', digit @ b'1'..=b'3'] if chunks => digit - b'0',
        _ => return None,
    };
    Some((index, unquote(trim(&pair[eq + 1..]))))
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

fn unquote(bytes: &[u8]) -> &[u8] {
    match bytes {
        [b'"', inner @ .., b'"'] => inner,
        _ => bytes,
    }
}

/// `(Max-Age, Expires)` in seconds for a cookie that should live until
/// `expires`: never more than the 400 days browsers keep a cookie, while the
/// server keeps enforcing the sealed expiry.
pub(crate) fn cookie_lifetime(now: i64, expires: i64) -> (i64, i64) {
    let age = expires.saturating_sub(now).clamp(0, MAX_COOKIE_LIFETIME);
    (age, now.saturating_add(age))
}

/// `; Max-Age=`, `; Expires=` and the date: the part of the attributes
/// that changes from one save to the next.
const MAX_AGE: &[u8] = b"; Max-Age=";
const EXPIRES: &[u8] = b"; Expires=";
/// `Thu, 01 Jan 1970 00:00:00 GMT`: always this long for the years written
/// here (1970..=9999).
const HTTP_DATE_LEN: usize = 29;

/// The length [`push_attributes`] appends, so that a `Set-Cookie` line is
/// allocated once at its exact size (a `HeaderValue` then takes the buffer
/// without copying it).
pub(crate) fn attributes_len(attrs: &CookieAttributes, max_age: Option<(i64, i64)>) -> usize {
    let dynamic = max_age.map_or(0, |(age, _)| {
        let digits = age.max(0).checked_ilog10().map_or(1, |d| d as usize + 1);
        MAX_AGE.len() + digits + EXPIRES.len() + HTTP_DATE_LEN
    });
    attrs.head.len() + dynamic + attrs.tail.len()
}

/// Appends `; Path=..; Domain=..; Max-Age=..; Expires=..; Secure; HttpOnly;
/// SameSite=..; Partitioned`; `max_age` is `(seconds, expires at)`.
pub(crate) fn push_attributes(
    attrs: &CookieAttributes,
    max_age: Option<(i64, i64)>,
    out: &mut Vec<u8>,
) {
    out.extend_from_slice(attrs.head.as_bytes());
    if let Some((age, expires)) = max_age {
        out.extend_from_slice(MAX_AGE);
        out.extend_from_slice(itoa::Buffer::new().format(age.max(0)).as_bytes());
        out.extend_from_slice(EXPIRES);
        push_http_date(expires, out);
    }
    out.extend_from_slice(attrs.tail.as_bytes());
}

/// IMF-fixdate (RFC 9110): `Thu, 01 Jan 1970 00:00:00 GMT`. Written by hand
/// because `time`'s formatter goes through `core::fmt` and a format
/// description, several times slower on the save path.
pub(crate) fn push_http_date(unix: i64, out: &mut Vec<u8>) {
    thread_local! {
        // The saves of one second share their `Expires` (the same lifetime
        // from the same now): the date is formatted once per second and
        // thread.
        static LAST: std::cell::Cell<Option<(i64, [u8; HTTP_DATE_LEN])>> = const { std::cell::Cell::new(None) };
    }
    if let Some((at, text)) = LAST.get() {
        if at == unix {
            out.extend_from_slice(&text);
            return;
        }
    }
    let start = out.len();
    format_http_date(unix, out);
    if let Ok(text) = <[u8; HTTP_DATE_LEN]>::try_from(&out[start..]) {
        LAST.set(Some((unix, text)));
    }
}

fn format_http_date(unix: i64, out: &mut Vec<u8>) {
    // Clamped into what `time` represents (years 1970..=9999 here), so a far
    // date never falls back to a past one.
    let t = time::OffsetDateTime::from_unix_timestamp(unix.clamp(0, 253_402_300_799))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let weekday = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [usize::from(t.weekday().number_days_from_monday())];
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][usize::from(u8::from(t.month()) - 1)];
    out.extend_from_slice(weekday.as_bytes());
    out.extend_from_slice(b", ");
    push_two(out, t.day());
    out.push(b' ');
    out.extend_from_slice(month.as_bytes());
    out.push(b' ');
    // 1970..=9999: always four digits.
    out.extend_from_slice(itoa::Buffer::new().format(t.year()).as_bytes());
    out.push(b' ');
    push_two(out, t.hour());
    out.push(b':');
    push_two(out, t.minute());
    out.push(b':');
    push_two(out, t.second());
    out.extend_from_slice(b" GMT");
}

/// Two zero-padded digits of a number below 100.
fn push_two(out: &mut Vec<u8>, n: u8) {
    out.push(b'0' + n / 10);
    out.push(b'0' + n % 10);
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn headers(values: &[&[u8]]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                http::header::COOKIE,
                http::HeaderValue::from_bytes(v).unwrap(),
            );
        }
        h
    }

    fn found<'a>(h: &'a HeaderMap, name: &'a str) -> Vec<&'a [u8]> {
        cookie_values(h, name).collect()
    }

    #[test]
    fn pairs_are_split_trimmed_and_unquoted() {
        let h = headers(&[b" a=1 ;b = 2;; s=\"q\" ;s= ;=x; s", b"s=last"]);
        assert_eq!(found(&h, "a"), [&b"1"[..]]);
        assert_eq!(found(&h, "b"), [&b"2"[..]]);
        assert_eq!(found(&h, "s"), [&b"q"[..], &b""[..], &b"last"[..]]);
        assert!(found(&h, "").len() == 1, "`=x` has an empty name");
        assert!(found(&h, "missing").is_empty());
    }

    #[test]
    fn non_utf8_neighbours_are_skipped_not_fatal() {
        let h = headers(&[b"junk=\xff\xfe; s=ok; \xc3=\xc3"]);
        assert_eq!(found(&h, "s"), [&b"ok"[..]]);
        assert_eq!(found(&h, "junk"), [&b"\xff\xfe"[..]]);
    }

    #[test]
    fn the_scan_stops_at_the_budget() {
        let pad = vec![b'p'; MAX_SCAN_BYTES];
        let mut first = b"s=a; x=".to_vec();
        first.extend_from_slice(&pad);
        let h = headers(&[&first, b"s=b"]);
        assert_eq!(
            found(&h, "s"),
            [&b"a"[..]],
            "the second header is past the budget"
        );
        let mut values = cookie_values(&h, "s");
        values.by_ref().for_each(drop);
        assert!(values.is_truncated());
        let whole = headers(&[b"s=a", b"s=b"]);
        let mut values = cookie_values(&whole, "s");
        values.by_ref().for_each(drop);
        assert!(!values.is_truncated());
    }

    /// Issue 10.3: padding cookies of other names must not cut the session
    /// cookie in half and hand the half over as a candidate.
    #[test]
    fn a_pair_cut_by_the_budget_is_never_a_candidate() {
        let real = b"sealedvalue0123456789";
        for pad_len in MAX_SCAN_BYTES - 30..MAX_SCAN_BYTES + 2 {
            let mut header = b"pad=".to_vec();
            header.resize(pad_len, b'p');
            header.extend_from_slice(b"; s=");
            header.extend_from_slice(real);
            let h = headers(&[&header]);
            let mut values = cookie_values(&h, "s");
            let got: Vec<&[u8]> = values.by_ref().collect();
            let fits = header.len() <= MAX_SCAN_BYTES;
            if fits {
                assert_eq!(got, [&real[..]], "{pad_len}");
            } else {
                assert!(got.is_empty(), "{pad_len}: a cut value was yielded");
            }
            assert_eq!(values.is_truncated(), !fits, "{pad_len}");
        }
        // Cut exactly at a `;`: the pair before it is whole and kept.
        let mut header = b"s=x".to_vec();
        header.resize(MAX_SCAN_BYTES, b'x');
        header.extend_from_slice(b";s=y");
        let h = headers(&[&header]);
        let mut values = cookie_values(&h, "s");
        assert_eq!(values.by_ref().count(), 1);
        assert!(values.is_truncated());
    }

    /// The per-second cache gives what formatting gives, for repeats and
    /// for changes in either direction.
    #[test]
    fn cached_http_dates_are_the_formatted_ones() {
        for unix in [784_111_777, 784_111_777, 0, 784_111_777, 784_111_778, -5, 0] {
            let mut cached = b"x".to_vec();
            push_http_date(unix, &mut cached);
            let mut fresh = b"x".to_vec();
            format_http_date(unix, &mut fresh);
            assert_eq!(cached, fresh, "{unix}");
        }
    }

    /// The `Set-Cookie` line is allocated at its exact size from this
    /// length: every attribute set and every width of `Max-Age`.
    #[test]
    fn attributes_len_is_what_push_attributes_writes() {
        use crate::{Key, Keyring, SameSite, SessionConfig};
        let plain = SessionConfig::builder(Keyring::new(Key::from_bytes(&[1; 32]).unwrap()))
            .build()
            .unwrap();
        let full = SessionConfig::builder(Keyring::new(Key::from_bytes(&[1; 32]).unwrap()))
            .path("/app")
            .domain("example.com")
            .same_site(SameSite::Strict)
            .partitioned(true)
            .build()
            .unwrap();
        for config in [&plain, &full] {
            for max_age in [
                None,
                Some((0, 0)),
                Some((-3, 0)),
                Some((9, 784_111_777)),
                Some((10, 784_111_777)),
                Some((1_209_600, 784_111_777)),
                Some((MAX_COOKIE_LIFETIME, i64::MAX)),
            ] {
                let mut out = Vec::new();
                push_attributes(config.attributes(), max_age, &mut out);
                assert_eq!(
                    out.len(),
                    attributes_len(config.attributes(), max_age),
                    "{max_age:?}: {}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }

    #[test]
    fn http_dates_and_lifetimes() {
        for (unix, text) in [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
            (i64::MAX, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (-5, "Thu, 01 Jan 1970 00:00:00 GMT"),
        ] {
            let mut out = Vec::new();
            push_http_date(unix, &mut out);
            assert_eq!(out, text.as_bytes(), "{unix}");
            assert_eq!(out.len(), HTTP_DATE_LEN);
        }
        assert_eq!(cookie_lifetime(100, 50), (0, 100));
        assert_eq!(cookie_lifetime(100, 160), (60, 160));
        assert_eq!(
            cookie_lifetime(0, i64::MAX),
            (MAX_COOKIE_LIFETIME, MAX_COOKIE_LIFETIME)
        );
    }
}
