//! Issue #4: nothing a client sends can crash or fool `load`.
//!
//! Every case checks four things: no panic, a new empty session, the right
//! [`Status`], and bounded work, measured with a counting global allocator
//! (bytes and allocations made by `load` on this thread) or through the
//! documented candidate bound [`MAX_CANDIDATES`] and scan budget
//! [`MAX_SCAN_BYTES`].

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use sealed_session::cookies::{MAX_CANDIDATES, MAX_SCAN_BYTES};
use sealed_session::time::OffsetDateTime;
use sealed_session::{
    InvalidReason, Key, Keyring, MalformedReason, Session, SessionConfig, Status,
};

// Bytes and allocations made by a call on this thread (tests run in
// parallel): the binary's counting allocator, `crate::counting`.
use crate::counting::allocations;

// ---------------------------------------------------------------------------
// Fixtures.

const NAME: &str = "session";
/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fn keyring() -> Keyring {
    Keyring::new(Key::from_bytes(&[0x21; 32]).unwrap())
}

fn config() -> SessionConfig {
    config_with(keyring())
}

fn config_with(keyring: Keyring) -> SessionConfig {
    SessionConfig::builder(keyring)
        .cookie_name(NAME)
        .clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
        .build()
        .unwrap()
}

/// A real session cookie value holding `user = "ada"`.
fn valid_value(config: &SessionConfig) -> String {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    session.insert("user", "ada").unwrap();
    let mut headers = HeaderMap::new();
    sealed_session::save(config, &session, &mut headers).unwrap();
    let line = headers[SET_COOKIE].to_str().unwrap();
    let pair = line.split(';').next().unwrap();
    pair.strip_prefix("session=").unwrap().to_owned()
}

/// A request with these `Cookie` header values, as raw bytes.
fn headers<B: AsRef<[u8]>>(values: &[B]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for v in values {
        map.append(COOKIE, HeaderValue::from_bytes(v.as_ref()).unwrap());
    }
    map
}

/// A new empty session with `status`, whose save writes a removal cookie
/// (or nothing when no session cookie came in, or when not every cookie was
/// examined). Returns the bytes and allocations `load` made.
fn assert_rejected(config: &SessionConfig, request: &HeaderMap, status: Status) -> (usize, usize) {
    let (session, bytes, calls) = allocations(|| sealed_session::load(config, request));
    assert_eq!(session.status(), status);
    assert_empty_and_saved_as(
        config,
        &session,
        !matches!(status, Status::New | Status::Truncated),
    );
    (bytes, calls)
}

fn assert_empty_and_saved_as(config: &SessionConfig, session: &Session, removal: bool) {
    assert!(session.is_empty());
    assert_eq!(session.keys().count(), 0);
    let mut response = HeaderMap::new();
    sealed_session::save(config, session, &mut response).unwrap();
    let set: Vec<_> = response.get_all(SET_COOKIE).iter().collect();
    if removal {
        assert_eq!(set.len(), 1, "{set:?}");
        let line = set[0].to_str().unwrap();
        assert!(line.starts_with("session=;"), "{line}");
        assert!(line.contains("Max-Age=0"), "{line}");
    } else {
        assert!(set.is_empty(), "{set:?}");
    }
}

fn assert_loaded(config: &SessionConfig, request: &HeaderMap) {
    let session = sealed_session::load(config, request);
    assert_eq!(session.status(), Status::Loaded);
    assert_eq!(
        session.get::<String>("user").unwrap().as_deref(),
        Some("ada")
    );
}

fn invalid(reason: InvalidReason) -> Status {
    Status::Invalid(reason)
}

fn malformed(reason: MalformedReason) -> Status {
    Status::Invalid(InvalidReason::Malformed(reason))
}

const BASE64: Status = Status::Invalid(InvalidReason::Malformed(MalformedReason::Base64));

/// What `open` must say about a value that is not a genuine one, from the
/// wire format: the status `load` reports for it.
fn expected_status_for(value: &str) -> Status {
    let max = 4096 - NAME.len() - 1;
    if value.len() > max {
        return malformed(MalformedReason::TooLong {
            len: value.len(),
            max,
        });
    }
    let Ok(raw) = URL_SAFE_NO_PAD.decode(value) else {
        return BASE64;
    };
    match raw.first() {
        None => malformed(MalformedReason::TooShort { len: 0 }),
        Some(1) if raw.len() < 45 => malformed(MalformedReason::TooShort { len: raw.len() }),
        Some(1) if raw[1..5] != keyring().primary_id().as_bytes()[..] => {
            invalid(InvalidReason::UnknownKey)
        }
        Some(1) => invalid(InvalidReason::Tampered),
        Some(&version) => invalid(InvalidReason::UnsupportedVersion { version }),
    }
}

// ---------------------------------------------------------------------------
// Header bytes.

#[test]
fn non_utf8_header_bytes() {
    let config = config();
    let valid = valid_value(&config);
    // obs-text in the value: scanned as bytes, rejected as not base64.
    let (bytes, _) = assert_rejected(&config, &headers(&[b"session=\xff\xfe\x80"]), BASE64);
    assert!(bytes < 256, "{bytes}");
    let (bytes, _) = assert_rejected(&config, &headers(&[b"session=A\xc3\xa9B"]), BASE64);
    assert!(bytes < 256, "{bytes}");
    // In a name: not our cookie.
    assert_rejected(
        &config,
        &headers(&[b"sess\xffion=abc; \xe9session=abc"]),
        Status::New,
    );
    // A non-UTF-8 neighbour does not hide a valid cookie, in the same header
    // or another.
    let mut same = b"lang=\xff\xfe; ".to_vec();
    same.extend_from_slice(format!("session={valid}").as_bytes());
    assert_loaded(&config, &headers(&[same]));
    assert_loaded(
        &config,
        &headers(&[
            b"junk=\xff".to_vec(),
            format!("session={valid}").into_bytes(),
        ]),
    );
    // A non-UTF-8 candidate first, then the valid one: the valid one wins.
    assert_loaded(
        &config,
        &headers(&[format!("session=\u{e9}; session={valid}").into_bytes()]),
    );
}

#[test]
fn a_64_kib_cookie_header() {
    let config = config();
    let valid = valid_value(&config);
    let junk = |n: usize| "x".repeat(n);

    // Over 64 KiB of other cookies: nothing to load, nothing allocated, and
    // the status says the scan was cut.
    let big = format!("other={}", junk(MAX_SCAN_BYTES));
    let (bytes, calls) = assert_rejected(&config, &headers(&[&big]), Status::Truncated);
    assert!(
        bytes < 256 && calls < 4,
        "{bytes} bytes in {calls} allocations"
    );

    // One session value filling the 64 KiB budget: too long, rejected
    // before decoding.
    let huge = format!("session={}", "A".repeat(MAX_SCAN_BYTES - "session=".len()));
    let (bytes, _) = assert_rejected(
        &config,
        &headers(&[&huge]),
        malformed(MalformedReason::TooLong {
            len: MAX_SCAN_BYTES - "session=".len(),
            max: 4088,
        }),
    );
    assert!(bytes < 256, "{bytes}");

    // The valid cookie first, then 64 KiB: loads.
    assert_loaded(&config, &headers(&[format!("session={valid}; {big}")]));

    // The scan budget is exact: a valid cookie ending at byte MAX_SCAN_BYTES
    // loads; one byte later it is cut, never offered as a candidate, and
    // not deleted (issue 10.3: it was not examined).
    let pair = format!("; session={valid}");
    let at_limit = format!("other={}{pair}", junk(MAX_SCAN_BYTES - 6 - pair.len()));
    assert_eq!(at_limit.len(), MAX_SCAN_BYTES);
    assert_loaded(&config, &headers(&[&at_limit]));
    let over = format!("other={}{pair}", junk(MAX_SCAN_BYTES - 5 - pair.len()));
    assert_rejected(&config, &headers(&[&over]), Status::Truncated);

    // The budget covers all headers together: 64 headers of 1 KiB, then
    // the valid cookie in a header of its own, is past it.
    let mut many: Vec<String> = (0..64).map(|_| format!("o={}", junk(1022))).collect();
    many.push(format!("session={valid}"));
    assert_rejected(&config, &headers(&many), Status::Truncated);
    many.remove(0);
    assert_loaded(&config, &headers(&many));

    // 64 KiB of separators and empty pairs.
    let (bytes, _) = assert_rejected(
        &config,
        &headers(&[";".repeat(MAX_SCAN_BYTES)]),
        Status::New,
    );
    assert!(bytes < 256, "{bytes}");
    let eqs = "=; ".repeat(MAX_SCAN_BYTES / 3);
    assert_rejected(&config, &headers(&[eqs]), Status::New);
}

#[test]
fn a_thousand_cookies_with_the_session_name() {
    let config = config();
    let valid = valid_value(&config);

    // In one header, and one per header (HTTP/2 style).
    let junk: Vec<String> = (0..1000).map(|i| format!("session=junk{i}")).collect();
    let one = junk.join("; ");
    // More than MAX_CANDIDATES: the rest are not examined, so the status
    // says so and nothing is deleted (issue 10.3).
    let (bytes, calls) = assert_rejected(&config, &headers(&[&one]), Status::Truncated);
    assert!(
        bytes < 1024 && calls <= 2 * MAX_CANDIDATES,
        "{bytes} B, {calls} allocs"
    );
    assert_rejected(&config, &headers(&junk), Status::Truncated);
    // Exactly MAX_CANDIDATES junk values: all examined, so the cookie goes.
    assert_rejected(&config, &headers(&junk[..MAX_CANDIDATES]), BASE64);

    // Only MAX_CANDIDATES are tried: the valid cookie is found after
    // MAX_CANDIDATES - 1 junk candidates, and not after MAX_CANDIDATES.
    for (before, loads) in [
        (MAX_CANDIDATES - 1, true),
        (MAX_CANDIDATES, false),
        (1000, false),
    ] {
        let mut pairs: Vec<String> = (0..before).map(|i| format!("session=junk{i}")).collect();
        pairs.push(format!("session={valid}"));
        let request = headers(&[pairs.join("; ")]);
        if loads {
            assert_loaded(&config, &request);
        } else {
            assert_rejected(&config, &request, Status::Truncated);
        }
    }

    // The candidates that are tried cost a real AEAD open each: 800 values
    // that authenticate under our key id but were tampered with. Work and
    // allocation are those of MAX_CANDIDATES opens, not 800.
    let mut raw = URL_SAFE_NO_PAD.decode(&valid).unwrap();
    let last = raw.len() - 1;
    raw[last] ^= 1;
    let tampered = URL_SAFE_NO_PAD.encode(&raw);
    let one_open = allocations(|| keyring().open(NAME, &tampered)).1;
    let n = (MAX_SCAN_BYTES / (tampered.len() + 10)).min(800);
    assert!(n > 10 * MAX_CANDIDATES, "{n} candidates fit");
    let pairs = vec![format!("session={tampered}"); n].join("; ");
    let (bytes, _) = assert_rejected(&config, &headers(&[pairs]), Status::Truncated);
    assert!(
        bytes <= MAX_CANDIDATES * one_open + 256,
        "{bytes} bytes for {n} candidates; one open takes {one_open}"
    );
}

#[test]
fn quotes_spaces_percent_equals_and_empty_values() {
    let config = config();
    let v = valid_value(&config);
    let loads = [
        format!("session=\"{v}\""),
        format!("session = {v}"),
        format!("  session={v}  "),
        format!("\tsession\t=\t{v}\t"),
        format!("session={v};"),
        format!(";;; session={v} ;;;"),
        format!("a=1;session={v};b=2"),
        format!("session; session={v}"),
        format!("=; session={v}"),
    ];
    for header in &loads {
        assert_loaded(&config, &headers(&[header]));
    }
    let (head, tail) = v.split_at(10);
    let rejected = [
        (format!("session=\"{v}"), BASE64),
        (format!("session={v}\""), BASE64),
        (format!("session=\"\"{v}\"\""), BASE64),
        (
            "session=\"\"".to_owned(),
            malformed(MalformedReason::TooShort { len: 0 }),
        ),
        ("session=\"".to_owned(), BASE64),
        (
            "session=".to_owned(),
            malformed(MalformedReason::TooShort { len: 0 }),
        ),
        (
            "session=   ".to_owned(),
            malformed(MalformedReason::TooShort { len: 0 }),
        ),
        (format!("session={head} {tail}"), BASE64),
        (format!("session={head}%20{tail}"), BASE64),
        ("session=%41%42%43%44".to_owned(), BASE64),
        (format!("session=={v}"), BASE64),
        (format!("session={v}="), BASE64),
        (format!("session={head}={tail}"), BASE64),
        ("session==".to_owned(), BASE64),
    ];
    let mut rejected = rejected.to_vec();
    if v.contains(['-', '_']) {
        // Percent-encoding the characters base64url may hold.
        let encoded = v.replace('-', "%2D").replace('_', "%5F");
        rejected.push((format!("session={encoded}"), BASE64));
    }
    for (header, status) in &rejected {
        assert_rejected(&config, &headers(&[header]), *status);
    }
    // Not our cookie at all.
    for header in [
        "session".to_owned(),
        format!("Session={v}"),
        format!("SESSION={v}"),
        format!("session2={v}"),
        format!("xsession={v}"),
        format!("=session={v}"),
        format!("\"session\"={v}"),
        format!("se ssion={v}"),
        String::new(),
    ] {
        assert_rejected(&config, &headers(&[&header]), Status::New);
    }
}

#[test]
fn base64_with_padding_or_the_standard_alphabet() {
    let config = config();
    let ring = keyring();
    // A valid value is unpadded base64url; every other spelling of the same
    // bytes is refused by `open` and by `load`.
    let (v, raw) = loop {
        let v = valid_value(&config);
        // Need both alphabet-specific characters for the standard-alphabet case.
        if v.contains('-') || v.contains('_') {
            let raw = URL_SAFE_NO_PAD.decode(&v).unwrap();
            break (v, raw);
        }
    };
    let padded = URL_SAFE.encode(&raw);
    let standard = STANDARD_NO_PAD.encode(&raw);
    let mut spellings = vec![standard.clone(), format!("{standard}=="), format!("{v}=")];
    if padded != v {
        spellings.push(padded);
    }
    // Non-canonical trailing bits: the last character with a low bit set
    // that the length does not use.
    if raw.len() % 3 != 0 {
        let mut bytes = v.clone().into_bytes();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = bytes.len() - 1;
        let index = alphabet.iter().position(|&c| c == bytes[last]).unwrap();
        bytes[last] = alphabet[index | 1];
        spellings.push(String::from_utf8(bytes).unwrap());
    }
    for s in &spellings {
        assert_ne!(s, &v);
        assert_eq!(
            ring.open(NAME, s).unwrap_err(),
            sealed_session::OpenError::Malformed(MalformedReason::Base64),
            "{s}"
        );
        assert_rejected(&config, &headers(&[format!("session={s}")]), BASE64);
    }
    assert_loaded(&config, &headers(&[format!("session={v}")]));
}

#[test]
fn version_bytes_0_2_and_255() {
    let config = config();
    let raw = URL_SAFE_NO_PAD.decode(valid_value(&config)).unwrap();
    for version in [0u8, 2, 255] {
        // A full-length value, a short one and the version byte alone: the
        // version is reported first, whatever the length.
        for len in [raw.len(), 45, 10, 1] {
            let mut bad = raw[..len].to_vec();
            bad[0] = version;
            let (bytes, _) = assert_rejected(
                &config,
                &headers(&[format!("session={}", URL_SAFE_NO_PAD.encode(&bad))]),
                invalid(InvalidReason::UnsupportedVersion { version }),
            );
            assert!(bytes <= raw.len() + 64, "{bytes}");
        }
    }
}

#[test]
fn every_truncation() {
    let config = config();
    let v = valid_value(&config);
    let raw = URL_SAFE_NO_PAD.decode(&v).unwrap();
    // Every prefix of the text.
    for len in 0..v.len() {
        let prefix = &v[..len];
        let status = expected_status_for(prefix);
        assert!(!status.is_loaded());
        let (bytes, _) = assert_rejected(&config, &headers(&[format!("session={prefix}")]), status);
        assert!(bytes <= len + 64, "{len}: {bytes}");
    }
    // Every prefix of the bytes, correctly encoded.
    for len in 0..raw.len() {
        let status = if len == 0 {
            malformed(MalformedReason::TooShort { len: 0 })
        } else if len < 45 {
            malformed(MalformedReason::TooShort { len })
        } else {
            invalid(InvalidReason::Tampered)
        };
        let text = URL_SAFE_NO_PAD.encode(&raw[..len]);
        assert_rejected(&config, &headers(&[format!("session={text}")]), status);
    }
    // And every suffix: the version byte goes first.
    for start in 1..raw.len() {
        let text = URL_SAFE_NO_PAD.encode(&raw[start..]);
        let status = expected_status_for(&text);
        assert_rejected(&config, &headers(&[format!("session={text}")]), status);
    }
}

// ---------------------------------------------------------------------------
// Behind the AEAD: plaintexts only a key holder can produce.

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// `created = NOW, expires = NOW + 1 day, sealed = NOW, no override, no identity`, then `rest` (the
/// map, as postcard encodes it).
fn envelope_with(rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(&mut out, zigzag(NOW));
    varint(&mut out, zigzag(NOW + 86_400));
    // Sealed when created (offset 0), no override, no identity.
    out.push(0);
    out.push(0);
    out.push(0);
    out.extend_from_slice(rest);
    out
}

/// Seals `plaintext` under the session key and loads it.
fn load_plaintext(config: &SessionConfig, plaintext: &[u8]) -> (Session, usize) {
    let value = sealed_session::danger::seal_session_value(config, plaintext).unwrap();
    let request = headers(&[format!("session={value}")]);
    let (session, bytes, _) = allocations(|| sealed_session::load(config, &request));
    (session, bytes)
}

#[test]
fn huge_length_prefixes_are_no_allocation_bomb() {
    let config = config();
    let max_u64 = {
        let mut v = Vec::new();
        varint(&mut v, u64::MAX);
        v
    };
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // A map claiming u64::MAX, 2^32 and 2^31 entries.
    cases.push(("map of u64::MAX entries", envelope_with(&max_u64)));
    for claim in [1u64 << 32, 1 << 31, 1 << 20] {
        let mut rest = Vec::new();
        varint(&mut rest, claim);
        rest.extend_from_slice(&[1, b'a', 1, 0]);
        cases.push(("map of 2^n entries", envelope_with(&rest)));
    }
    // One entry whose key claims u64::MAX and 2^32 bytes.
    let mut rest = vec![1];
    rest.extend_from_slice(&max_u64);
    cases.push(("key of u64::MAX bytes", envelope_with(&rest)));
    let mut rest = vec![1];
    varint(&mut rest, 1 << 32);
    rest.extend_from_slice(b"abc");
    cases.push(("key of 2^32 bytes", envelope_with(&rest)));
    // One entry whose value claims u64::MAX bytes, and one byte too many.
    let mut rest = vec![1, 1, b'k'];
    rest.extend_from_slice(&max_u64);
    cases.push(("value of u64::MAX bytes", envelope_with(&rest)));
    let mut rest = vec![1, 1, b'k', 101];
    rest.extend_from_slice(&[7; 100]);
    cases.push(("value one byte short", envelope_with(&rest)));
    // A varint of 11 bytes, and one with bits beyond 64.
    cases.push(("11-byte varint", vec![0xff; 11]));
    let mut over = vec![0xff; 9];
    over.push(0x02);
    cases.push(("varint over 64 bits", over));
    // The largest plaintext that fits, all entry headers claiming the rest.
    let mut rest = Vec::new();
    varint(&mut rest, 1_500);
    while rest.len() < 2_990 {
        rest.extend_from_slice(&[0x7f]);
    }
    cases.push(("3 KB of length prefixes", envelope_with(&rest)));

    for (what, plaintext) in &cases {
        let (session, bytes) = load_plaintext(&config, plaintext);
        assert_eq!(
            session.status(),
            invalid(InvalidReason::BadPayload),
            "{what}"
        );
        assert_empty_and_saved_as(&config, &session, true);
        // The opened plaintext and an entry table sized by the claim but
        // capped by the input (an entry takes at least two bytes, and a
        // table slot 32): a small multiple of the cookie, never the claim.
        assert!(
            bytes <= 17 * plaintext.len() + 1024,
            "{what}: {bytes} bytes allocated for a {}-byte plaintext",
            plaintext.len()
        );
    }

    // A genuine envelope with as many entries as fit: allocation grows with
    // the cookie, not beyond.
    let n = 400u16;
    let mut rest = Vec::new();
    varint(&mut rest, u64::from(n));
    for i in 0..n {
        let key = format!("{i:04}");
        rest.push(4);
        rest.extend_from_slice(key.as_bytes());
        rest.push(0);
    }
    let plaintext = envelope_with(&rest);
    let (session, bytes) = load_plaintext(&config, &plaintext);
    assert_eq!(session.status(), Status::Loaded);
    assert_eq!(session.len(), usize::from(n));
    assert!(
        bytes <= 16 * plaintext.len() + 1024,
        "{bytes} bytes for a {}-byte plaintext",
        plaintext.len()
    );
}

#[test]
fn authenticated_garbage_is_a_bad_payload() {
    let config = config();
    for plaintext in [&b""[..], b"\x00", b"user=ada", &[0xff; 100], &[0; 3000]] {
        let (session, _) = load_plaintext(&config, plaintext);
        assert_eq!(session.status(), invalid(InvalidReason::BadPayload));
        assert_empty_and_saved_as(&config, &session, true);
    }
    // Trailing bytes after a valid envelope.
    let mut plaintext = envelope_with(&[0]);
    plaintext.push(0);
    let (session, _) = load_plaintext(&config, &plaintext);
    assert_eq!(session.status(), invalid(InvalidReason::BadPayload));
    // Keys out of order, repeated, or not UTF-8.
    for rest in [
        &[2, 1, b'b', 0, 1, b'a', 0][..],
        &[2, 1, b'a', 0, 1, b'a', 0],
        &[1, 1, 0xff, 0],
    ] {
        let (session, _) = load_plaintext(&config, &envelope_with(rest));
        assert_eq!(
            session.status(),
            invalid(InvalidReason::BadPayload),
            "{rest:?}"
        );
    }
    // An unknown expiry-override variant.
    let mut plaintext = Vec::new();
    varint(&mut plaintext, zigzag(NOW));
    varint(&mut plaintext, zigzag(NOW + 60));
    plaintext.extend_from_slice(&[1, 3, 0]);
    let (session, _) = load_plaintext(&config, &plaintext);
    assert_eq!(session.status(), invalid(InvalidReason::BadPayload));
}

/// Found by the `envelope` fuzz target: a plaintext whose `created` is the
/// overlong varint `80 00` (zero in two bytes) loads, although
/// `src/envelope.rs` documents that "anything but the canonical encoding is
/// rejected ... so one plaintext has one meaning". Only a key holder can
/// produce such a plaintext, so this is a broken promise, not a forgery.
#[test]
fn overlong_varints_in_the_envelope_are_rejected() {
    let config = config();
    // Canonical: created = NOW, expires = NOW + 1 day, no override, {"k": 0}.
    let canonical = envelope_with(&[1, 1, b'k', 1, 0]);
    let (session, _) = load_plaintext(&config, &canonical);
    assert_eq!(session.status(), Status::Loaded);
    // The same envelope with every varint field spelled one byte longer.
    let mut overlong = Vec::new();
    let long_varint = |out: &mut Vec<u8>, v: u64| {
        let mut tmp = Vec::new();
        varint(&mut tmp, v);
        let last = tmp.len() - 1;
        tmp[last] |= 0x80;
        tmp.push(0);
        out.extend_from_slice(&tmp);
    };
    long_varint(&mut overlong, zigzag(NOW));
    long_varint(&mut overlong, zigzag(NOW + 86_400));
    overlong.push(0);
    long_varint(&mut overlong, 1);
    long_varint(&mut overlong, 1);
    overlong.push(b'k');
    long_varint(&mut overlong, 1);
    overlong.push(0);
    let (session, _) = load_plaintext(&config, &overlong);
    assert_eq!(session.status(), invalid(InvalidReason::BadPayload));
    // The smallest case the fuzzer found: created = 80 00, expires = -1.
    let (session, _) = load_plaintext(&config, &[0x80, 0x00, 0x01, 0x00, 0x00]);
    assert_eq!(session.status(), invalid(InvalidReason::BadPayload));
}

// ---------------------------------------------------------------------------
// Genuine values in the wrong place.

#[test]
fn a_valid_cookie_from_another_name_or_another_keyring() {
    let config = config();
    let ring = keyring();

    // Sealed by our key for another cookie name: the AAD does not match.
    let csrf_config = SessionConfig::builder(keyring())
        .cookie_name("csrf")
        .clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
        .build()
        .unwrap();
    let for_csrf = valid_value_named(&csrf_config, "csrf");
    assert_rejected(
        &config,
        &headers(&[format!("session={for_csrf}")]),
        invalid(InvalidReason::Tampered),
    );
    // Sealed as a session for `__Host-session`, offered as `session`.
    let other = SessionConfig::builder(ring.clone())
        .cookie_name("__Host-session")
        .build()
        .unwrap();
    let raw_for_other =
        sealed_session::danger::seal_session_value(&other, &envelope_with(&[0])).unwrap();
    assert_rejected(
        &config,
        &headers(&[format!("session={raw_for_other}")]),
        invalid(InvalidReason::Tampered),
    );

    // A valid envelope sealed for `session` by the raw `Keyring::seal`: another
    // kind of value, so it does not open as a session (issue 10.6).
    let raw_kind = ring.seal(NAME, &envelope_with(&[0]));
    assert_rejected(
        &config,
        &headers(&[format!("session={raw_kind}")]),
        invalid(InvalidReason::Tampered),
    );

    // Sealed for `session` by another application's keyring: unknown key id,
    // rejected without a decryption attempt.
    let other = config_with(Keyring::new(Key::from_bytes(&[0x99; 32]).unwrap()));
    let foreign = valid_value(&other);
    let (bytes, _) = assert_rejected(
        &config,
        &headers(&[format!("session={foreign}")]),
        invalid(InvalidReason::UnknownKey),
    );
    assert!(bytes <= foreign.len() + 64, "{bytes}");

    // The other keyring's key id with our key's ciphertext: still only the
    // key id decides which key is tried, and it is unknown.
    let mut raw = URL_SAFE_NO_PAD.decode(valid_value(&config)).unwrap();
    raw[1..5].copy_from_slice(Key::from_bytes(&[0x99; 32]).unwrap().id().as_bytes());
    assert_rejected(
        &config,
        &headers(&[format!("session={}", URL_SAFE_NO_PAD.encode(&raw))]),
        invalid(InvalidReason::UnknownKey),
    );

    // The genuine cookie under its own name is ignored by the session; the
    // session cookie placed under another name is ignored too.
    let ours = valid_value(&config);
    assert_rejected(&config, &headers(&[format!("csrf={ours}")]), Status::New);
    // And after the foreign one, ours still loads (the first valid wins).
    assert_loaded(
        &config,
        &headers(&[format!(
            "session={foreign}; session={for_csrf}; session={ours}"
        )]),
    );
}

fn valid_value_named(config: &SessionConfig, name: &str) -> String {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    session.insert("user", "ada").unwrap();
    let mut headers = HeaderMap::new();
    sealed_session::save(config, &session, &mut headers).unwrap();
    let line = headers[SET_COOKIE].to_str().unwrap();
    let pair = line.split(';').next().unwrap();
    pair.strip_prefix(&format!("{name}=")).unwrap().to_owned()
}

// ---------------------------------------------------------------------------
// Configuration changes against cookies already issued.

/// After `max_age` is shortened (2 weeks -> 1 day), a 2-day-old cookie
/// still loads as `Loaded` (its sealed `expires` is checked, not the new
/// `max_age`), but its first write recomputes `expires = created + 1 day`,
/// which is in the past, so `save` returns `Ok(())` and writes a *removal*
/// cookie: the session and the write are silently lost, while read-only
/// requests keep working until the old expiry. `absolute_timeout` is
/// checked against the current configuration at load; `max_age` should be
/// consistent: either the cookie is `Expired` at load, or a write keeps it.
#[test]
fn shortening_max_age_does_not_destroy_a_loaded_session_on_its_next_write() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    let clock = Arc::new(AtomicI64::new(NOW));
    let config_for = |max_age| {
        let clock = clock.clone();
        SessionConfig::builder(keyring())
            .max_age(max_age)
            .clock(move || {
                OffsetDateTime::from_unix_timestamp(clock.load(Ordering::SeqCst)).unwrap()
            })
            .build()
            .unwrap()
    };
    let two_weeks = config_for(sealed_session::time::Duration::weeks(2));
    let one_day = config_for(sealed_session::time::Duration::days(1));
    let value = valid_value(&two_weeks);

    clock.store(NOW + 2 * 86_400, Ordering::SeqCst);
    let mut session = sealed_session::load(&one_day, &headers(&[format!("session={value}")]));
    if !session.status().is_loaded() {
        // Fixed by rejecting the cookie at load: consistent.
        assert_eq!(session.status(), Status::Expired);
        return;
    }
    session.insert("cart", &1u8).unwrap();
    let mut response = HeaderMap::new();
    sealed_session::save(&one_day, &session, &mut response).unwrap();
    let line = response[SET_COOKIE].to_str().unwrap();
    assert!(
        !line.starts_with("session=;"),
        "a loaded session was removed by its first write: {line}"
    );
}
/// An idle expiry beyond what `time` represents (e.g.
/// `set_expiry(Expiry::Idle(Duration::MAX))`, or `max_age(Duration::MAX)`)
/// writes `Max-Age=9223372035087550207; Expires=Thu, 01 Jan 1970 00:00:00
/// GMT`: `push_http_date` falls back to the epoch when the instant does not
/// fit, so the two attributes contradict each other and a user agent that
/// reads `Expires` drops the cookie at once. Expected: an `Expires` in the
/// future whenever `Max-Age` is positive (e.g. clamped to 9999-12-31, as
/// `Session::expiry_date` already is).
#[test]
fn a_far_expiry_never_writes_an_expires_in_the_past() {
    let config = config();
    let mut session = sealed_session::load(&config, &HeaderMap::new());
    session.insert("a", &1u8).unwrap();
    session.set_expiry(sealed_session::Expiry::Idle(
        sealed_session::time::Duration::MAX,
    ));
    let mut response = HeaderMap::new();
    sealed_session::save(&config, &session, &mut response).unwrap();
    let line = response[SET_COOKIE].to_str().unwrap();
    assert!(!line.starts_with("session=;"), "{line}");
    assert!(!line.contains("Expires=Thu, 01 Jan 1970"), "{line}");
}

/// `cookies::set_sealed` shares the keyring and the AAD layout with the
/// session; only the cookie name separates them. An app that seals a
/// user-influenced payload under the *session's* name must still not let
/// that user forge a session: today the 8-byte big-endian expiry that
/// `set_sealed` puts first always decodes as an envelope that is expired or
/// malformed (its first bytes are zero or make `expires` negative). This
/// guards that accident; a domain-separation byte would make it a rule.
#[test]
fn a_sealed_cookie_under_the_session_name_never_loads_as_a_session() {
    use sealed_session::cookies::{like_session, set_sealed};
    use sealed_session::time::Duration;

    let config = config();
    // A genuine envelope's plaintext, and other shapes an attacker might try.
    let forged = envelope_with(&[
        1, 4, b'r', b'o', b'l', b'e', 6, 5, b'a', b'd', b'm', b'i', b'n',
    ]);
    let payloads: Vec<Vec<u8>> = vec![
        forged.clone(),
        forged[1..].to_vec(),
        [&[0x80, 0x80, 0x01][..], &forged[..]].concat(),
        vec![0; 40],
        vec![0x7f; 40],
    ];
    for max_age in [None, Some(Duration::days(1)), Some(Duration::days(400))] {
        for payload in &payloads {
            // Cookie values are text: the bytes that reach the seal.
            let text = String::from_utf8_lossy(payload);
            let payload = text.as_bytes();
            let mut cookie = like_session(&config, NAME, &text).build();
            if let Some(m) = max_age {
                cookie.set_max_age(m);
            }
            // The session's name is refused outright...
            let mut response = HeaderMap::new();
            let err = set_sealed(&mut response, &config, &cookie).unwrap_err();
            assert!(
                matches!(
                    err,
                    sealed_session::cookies::CookieError::ReservedName { .. }
                ),
                "{err:?}"
            );
            assert!(response.is_empty());
            // ...and a value framed as `set_sealed` frames it (8-byte expiry
            // first) would not load as a session even if it were sealed
            // under that name by other means.
            let expires = max_age.map_or(i64::MAX, |m| NOW + m.whole_seconds());
            let framed = [&expires.to_be_bytes()[..], payload].concat();
            let value = sealed_session::danger::seal_session_value(&config, &framed).unwrap();
            let pair = format!("{NAME}={value}");
            let session = sealed_session::load(&config, &headers(&[pair]));
            assert!(
                !session.status().is_loaded(),
                "{max_age:?} {payload:?}: {:?}",
                session.status()
            );
            assert!(session.is_empty());
        }
    }
}
