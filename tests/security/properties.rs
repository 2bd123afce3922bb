//! Properties for issue #4 (the fuzz targets in `fuzz/` check the same
//! invariants with coverage guidance; these run with every `cargo test`):
//!
//! - `open` never panics on any text, fails exactly as the wire format says,
//!   and never opens anything but the genuine value's one spelling;
//! - `load` never panics on any `Cookie` header bytes, and the status and
//!   the save of the untouched session follow the rules;
//! - any sequence of session operations round-trips through save and load,
//!   exactly as a `BTreeMap` model says.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use sealed_session::cookies::MAX_CANDIDATES;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    Expiry, InvalidReason, Key, Keyring, MalformedReason, OpenError, SaveError, Session,
    SessionConfig, Status,
};

const NAME: &str = "session";
/// 2026-01-01T00:00:00Z.
const NOW: i64 = 1_767_225_600;

fn keyring() -> Keyring {
    Keyring::new(Key::from_bytes(&[0x31; 32]).unwrap())
        .with_fallback(Key::from_bytes(&[0x32; 32]).unwrap())
}

fn config() -> &'static SessionConfig {
    static CONFIG: OnceLock<SessionConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        SessionConfig::builder(keyring())
            .cookie_name(NAME)
            .clock(|| OffsetDateTime::from_unix_timestamp(NOW).unwrap())
            .build()
            .unwrap()
    })
}

/// A genuine session cookie value holding `user = "ada"`.
fn valid() -> &'static str {
    static VALID: OnceLock<String> = OnceLock::new();
    VALID.get_or_init(|| {
        let mut session = sealed_session::load(config(), &HeaderMap::new());
        session.insert("user", "ada").unwrap();
        match saved(&session) {
            Saved::Sealed(v) => v,
            other => panic!("{other:?}"),
        }
    })
}

/// A genuine sealed value of an arbitrary plaintext (not a session).
fn sealed_bytes() -> &'static str {
    static SEALED: OnceLock<String> = OnceLock::new();
    SEALED.get_or_init(|| keyring().seal(NAME, b"role=admin;id=42"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Saved {
    Nothing,
    Removal,
    Sealed(String),
}

/// Saves into a fresh header map: at most one `Set-Cookie`, for our name.
fn saved(session: &Session) -> Saved {
    let mut headers = HeaderMap::new();
    sealed_session::save(config(), session, &mut headers).unwrap();
    read_saved(&headers)
}

fn read_saved(headers: &HeaderMap) -> Saved {
    let all: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
    assert!(all.len() <= 1, "{all:?}");
    let Some(line) = all.first() else {
        return Saved::Nothing;
    };
    let line = line.to_str().unwrap();
    let value = line
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("session=")
        .unwrap();
    if value.is_empty() {
        assert!(line.contains("Max-Age=0"), "{line}");
        Saved::Removal
    } else {
        Saved::Sealed(value.to_owned())
    }
}

fn request(value: Option<&str>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(v) = value {
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("{NAME}={v}")).unwrap(),
        );
    }
    headers
}

/// What `open` must answer for a text that is not a genuine value, from the
/// wire format alone (`None`: it reaches authentication, so `Tampered`).
fn expected_open_error(value: &str) -> OpenError {
    let max = 4096 - NAME.len() - 1;
    if value.len() > max {
        return OpenError::Malformed(MalformedReason::TooLong {
            len: value.len(),
            max,
        });
    }
    let Ok(raw) = URL_SAFE_NO_PAD.decode(value) else {
        return OpenError::Malformed(MalformedReason::Base64);
    };
    match raw.first() {
        None => OpenError::Malformed(MalformedReason::TooShort { len: 0 }),
        Some(1) if raw.len() < 45 => {
            OpenError::Malformed(MalformedReason::TooShort { len: raw.len() })
        }
        Some(1) => {
            let id: [u8; 4] = raw[1..5].try_into().unwrap();
            let ids = [
                Key::from_bytes(&[0x31; 32]).unwrap().id(),
                Key::from_bytes(&[0x32; 32]).unwrap().id(),
            ];
            if ids.contains(&sealed_session::KeyId::from(id)) {
                OpenError::Tampered
            } else {
                OpenError::UnknownKey { key_id: id.into() }
            }
        }
        Some(&version) => OpenError::UnsupportedVersion { version },
    }
}

/// Text near the wire format: base64url and its neighbours, a genuine
/// prefix, or anything at all.
fn cookie_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_=+/%\" -]{0,120}",
        "A[QRST][A-Za-z0-9_-]{58,100}",
        (0..valid().len(), "[A-Za-z0-9_-]{0,4}")
            .prop_map(|(cut, tail)| format!("{}{tail}", &valid()[..cut])),
        "[A-Za-z0-9_-]{4090,4100}",
    ]
}

/// A mutation of a genuine value's text.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(usize, u8),
    SetChar(usize, char),
    Insert(usize, char),
    Delete(usize),
    Append(String),
    Truncate(usize),
    StandardAlphabet,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let c = prop_oneof![
        proptest::char::range('A', 'Z'),
        proptest::char::range('a', 'z'),
        proptest::char::range('0', '9'),
        Just('-'),
        Just('_'),
        Just('='),
        Just('+'),
        Just('/'),
        any::<char>(),
    ];
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<usize>(), c.clone()).prop_map(|(i, c)| Mutation::SetChar(i, c)),
        (any::<usize>(), c).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        "[=A-Za-z0-9_ -]{1,4}".prop_map(Mutation::Append),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::StandardAlphabet),
    ]
}

fn mutate(value: &str, m: &Mutation) -> String {
    let mut chars: Vec<char> = value.chars().collect();
    let n = chars.len();
    match m {
        Mutation::FlipBit(i, bit) => {
            let mut raw = URL_SAFE_NO_PAD.decode(value).unwrap();
            let len = raw.len();
            raw[i % len] ^= 1 << bit;
            return URL_SAFE_NO_PAD.encode(raw);
        }
        Mutation::SetChar(i, c) => chars[i % n] = *c,
        Mutation::Insert(i, c) => chars.insert(i % (n + 1), *c),
        Mutation::Delete(i) => {
            chars.remove(i % n);
        }
        Mutation::Append(s) => chars.extend(s.chars()),
        Mutation::Truncate(i) => chars.truncate(i % n),
        Mutation::StandardAlphabet => {
            return value.replace('-', "+").replace('_', "/");
        }
    }
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------
// The session model.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    U64(u64),
    Bytes(Vec<u8>),
}

impl Value {
    fn insert_into(&self, s: &mut Session, k: &str) {
        match self {
            Value::Str(v) => s.insert(k, v),
            Value::U64(v) => s.insert(k, v),
            Value::Bytes(v) => s.insert(k, v),
        }
        .unwrap();
    }

    fn get_from(&self, s: &Session, k: &str) -> Option<Value> {
        match self {
            Value::Str(_) => s.get::<String>(k).unwrap().map(Value::Str),
            Value::U64(_) => s.get::<u64>(k).unwrap().map(Value::U64),
            Value::Bytes(_) => s.get::<Vec<u8>>(k).unwrap().map(Value::Bytes),
        }
    }

    fn take_from(&self, s: &mut Session, k: &str) -> Option<Value> {
        match self {
            Value::Str(_) => s.take::<String>(k).unwrap().map(Value::Str),
            Value::U64(_) => s.take::<u64>(k).unwrap().map(Value::U64),
            Value::Bytes(_) => s.take::<Vec<u8>>(k).unwrap().map(Value::Bytes),
        }
    }

    /// Its stored length: the 4-byte shape fingerprint, then postcard.
    fn encoded_len(&self) -> usize {
        4 + match self {
            Value::Str(s) => varint_len(s.len() as u64) + s.len(),
            Value::U64(n) => varint_len(*n),
            Value::Bytes(b) => varint_len(b.len() as u64) + b.len(),
        }
    }
}

fn varint_len(n: u64) -> usize {
    (64 - n.leading_zeros() as usize).max(1).div_ceil(7)
}

/// `name=value` length for an envelope of at most `n` bytes.
fn cookie_len(n: usize) -> usize {
    NAME.len() + 1 + ((n + 45) * 4).div_ceil(3)
}

/// Bounds on the envelope size of a model: 3 to 32 bytes of timestamps and
/// expiry override, then the map.
fn envelope_bounds(model: &BTreeMap<String, Value>) -> (usize, usize) {
    let data = varint_len(model.len() as u64)
        + model
            .iter()
            .map(|(k, v)| {
                let e = v.encoded_len();
                varint_len(k.len() as u64) + k.len() + varint_len(e as u64) + e
            })
            .sum::<usize>();
    (3 + data, 32 + data)
}

#[derive(Debug, Clone)]
enum Op {
    Insert(String, Value),
    Remove(String),
    Take(String),
    Get(String),
    Clear,
    Flush,
    Renew,
    SetIdle(u8),
    SetAt(u8),
    SetBrowserSession,
    SetDefault,
    /// `Idle(0)` or an instant in the past: the next save removes the
    /// cookie.
    ExpireNow(u8),
    SaveLoad,
}

fn op() -> impl Strategy<Value = Op> {
    let key = prop_oneof![4 => "k[0-7]", 1 => "\\PC{0,6}"];
    let value = prop_oneof![
        4 => "\\PC{0,12}".prop_map(Value::Str),
        4 => any::<u64>().prop_map(Value::U64),
        3 => proptest::collection::vec(any::<u8>(), 0..24).prop_map(Value::Bytes),
        1 => proptest::collection::vec(any::<u8>(), 1000..1600).prop_map(Value::Bytes),
    ];
    prop_oneof![
        8 => (key.clone(), value).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => key.clone().prop_map(Op::Remove),
        2 => key.clone().prop_map(Op::Take),
        2 => key.prop_map(Op::Get),
        1 => Just(Op::Clear),
        1 => Just(Op::Flush),
        1 => Just(Op::Renew),
        1 => any::<u8>().prop_map(Op::SetIdle),
        1 => any::<u8>().prop_map(Op::SetAt),
        1 => Just(Op::SetBrowserSession),
        1 => Just(Op::SetDefault),
        1 => any::<u8>().prop_map(Op::ExpireNow),
        3 => Just(Op::SaveLoad),
    ]
}

fn assert_matches(session: &Session, model: &BTreeMap<String, Value>) {
    assert!(session.keys().eq(model.keys().map(String::as_str)));
    for (k, v) in model {
        assert_eq!(v.get_from(session, k).as_ref(), Some(v), "{k:?}");
    }
}

/// Applies `ops` to a session and a model, saving and loading through a
/// one-cookie jar at every `SaveLoad` and once at the end.
fn run_ops(ops: &[Op]) {
    let config = config();
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();
    let limit = config.size_limit();
    let mut session = sealed_session::load(config, &HeaderMap::new());
    let mut model: BTreeMap<String, Value> = BTreeMap::new();
    let mut jar: Option<String> = None;
    let mut expire_now = false;
    // Since the last save: a flushed session's old cookie is removed even
    // when its new one cannot be sealed (save rule 5).
    let mut flushed = false;
    for op in ops.iter().chain([&Op::SaveLoad]) {
        match op {
            Op::Insert(k, v) => {
                v.insert_into(&mut session, k);
                model.insert(k.clone(), v.clone());
            }
            Op::Remove(k) => assert_eq!(session.remove(k), model.remove(k).is_some()),
            Op::Take(k) => {
                let probe = model.get(k).cloned().unwrap_or(Value::U64(0));
                assert_eq!(probe.take_from(&mut session, k), model.remove(k));
            }
            Op::Get(k) => {
                let probe = model.get(k).cloned().unwrap_or(Value::Str(String::new()));
                assert_eq!(probe.get_from(&session, k).as_ref(), model.get(k));
            }
            Op::Clear => {
                session.clear();
                model.clear();
            }
            Op::Flush => {
                session.flush();
                model.clear();
                expire_now = false;
                flushed = true;
            }
            Op::Renew => {
                session.renew();
                // A renew rotates the CSRF secret: its key goes.
                model.remove(sealed_session::csrf::SESSION_KEY);
            }
            Op::SetIdle(n) => {
                session.set_expiry(Expiry::Idle(Duration::seconds(1 + i64::from(*n))));
                expire_now = false;
            }
            Op::SetAt(n) => {
                session.set_expiry(Expiry::At(now + Duration::seconds(1 + i64::from(*n))));
                expire_now = false;
            }
            Op::SetBrowserSession => {
                session.set_expiry(Expiry::BrowserSession);
                expire_now = false;
            }
            Op::SetDefault => {
                session.set_expiry(Expiry::Default);
                expire_now = false;
            }
            Op::ExpireNow(n) => {
                session.set_expiry(if n % 2 == 0 {
                    Expiry::Idle(Duration::ZERO)
                } else {
                    Expiry::At(now - Duration::seconds(i64::from(*n)))
                });
                expire_now = true;
            }
            Op::SaveLoad => {
                let (lower, upper) = envelope_bounds(&model);
                let mut headers = HeaderMap::new();
                match sealed_session::save(config, &session, &mut headers) {
                    Ok(()) => {}
                    Err(SaveError::TooLarge { size, limit: l }) => {
                        assert_eq!(l, limit);
                        assert!(size > limit);
                        assert!(cookie_len(upper) > limit, "TooLarge for {upper} bytes");
                        if flushed {
                            assert_eq!(read_saved(&headers), Saved::Removal);
                        } else {
                            assert!(headers.get(SET_COOKIE).is_none());
                        }
                        return;
                    }
                    Err(e) => panic!("{e:?}"),
                }
                let w = read_saved(&headers);
                if model.is_empty() {
                    assert!(matches!(w, Saved::Nothing | Saved::Removal), "{w:?}");
                } else if expire_now {
                    assert_eq!(w, Saved::Removal);
                    model.clear();
                } else {
                    assert!(cookie_len(lower) <= limit, "saved {lower}+ bytes");
                }
                match w {
                    Saved::Nothing => {}
                    Saved::Removal => jar = None,
                    Saved::Sealed(v) => {
                        assert!(NAME.len() + 1 + v.len() <= limit);
                        jar = Some(v);
                    }
                }
                expire_now = false;
                flushed = false;
                session = sealed_session::load(config, &request(jar.as_deref()));
                let want = if jar.is_some() {
                    Status::Loaded
                } else {
                    Status::New
                };
                assert_eq!(session.status(), want);
                assert_matches(&session, &model);
            }
        }
        assert!(session.keys().eq(model.keys().map(String::as_str)));
    }
}

// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any text: no panic, and exactly the error the format dictates.
    #[test]
    fn open_fails_on_any_text_exactly_as_the_format_says(text in cookie_text()) {
        let ring = keyring();
        prop_assume!(text != valid() && text != sealed_bytes());
        let err = ring.open(NAME, &text).unwrap_err();
        prop_assert_eq!(err, expected_open_error(&text), "{:?}", text);
    }

    /// A genuine value has one spelling: any change of its text fails, and
    /// a change of its bytes fails authentication (or the version or key
    /// id check, for the header bytes).
    #[test]
    fn open_never_opens_tampered_or_non_canonical_text(
        genuine in prop_oneof![Just(valid()), Just(sealed_bytes())],
        m in mutation(),
    ) {
        let ring = keyring();
        let text = mutate(genuine, &m);
        prop_assume!(text != genuine);
        let err = ring.open(NAME, &text).unwrap_err();
        prop_assert_eq!(err, expected_open_error(&text), "{:?} -> {:?}", m, text);
        // And the genuine value still opens, as its own kind (a session, or
        // a raw sealed value) and under its own name only.
        if genuine == valid() {
            prop_assert!(sealed_session::danger::open_session_value(config(), genuine).is_ok());
            prop_assert_eq!(ring.open(NAME, genuine), Err(OpenError::Tampered));
        } else {
            prop_assert!(ring.open(NAME, genuine).is_ok());
        }
        prop_assert_eq!(ring.open("csrf", genuine), Err(OpenError::Tampered));
    }

    /// Any `Cookie` header bytes, salted with our name, separators and a
    /// genuine value: no panic; the status follows the candidates; an
    /// untouched session saves without error, and a new one writes nothing
    /// or a removal.
    #[test]
    fn load_never_panics_on_cookie_header_bytes(
        headers in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    3 => proptest::collection::vec(any::<u8>(), 0..12),
                    2 => Just(b"session=".to_vec()),
                    2 => Just(b"; ".to_vec()),
                    1 => Just(b"\"".to_vec()),
                    1 => Just(b" \t".to_vec()),
                    1 => Just(valid().as_bytes().to_vec()),
                    1 => Just(sealed_bytes().as_bytes().to_vec()),
                ],
                0..12,
            ).prop_map(|parts| parts.concat()),
            0..4,
        ),
    ) {
        let mut map = HeaderMap::new();
        for h in &headers {
            if let Ok(v) = HeaderValue::from_bytes(h) {
                map.append(COOKIE, v);
            }
        }
        let session = sealed_session::load(config(), &map);
        let candidates: Vec<&[u8]> = sealed_session::cookies::cookie_values(&map, NAME).collect();
        let status = session.status();
        prop_assert_eq!(status == Status::New, candidates.is_empty());
        let mut response = HeaderMap::new();
        sealed_session::save(config(), &session, &mut response).unwrap();
        let w = read_saved(&response);
        if status == Status::Loaded {
            // Only the genuine session can load, among the first candidates.
            prop_assert!(candidates
                .iter()
                .take(MAX_CANDIDATES)
                .any(|c| *c == valid().as_bytes()));
            let user: Option<String> = session.get("user").unwrap();
            prop_assert_eq!(user.as_deref(), Some("ada"));
            prop_assert_eq!(w, Saved::Nothing);
        } else {
            prop_assert!(!status.is_loaded());
            prop_assert!(session.is_empty());
            let want = if status == Status::New { Saved::Nothing } else { Saved::Removal };
            prop_assert_eq!(w, want);
            if candidates.iter().take(MAX_CANDIDATES).any(|c| *c == valid().as_bytes()) {
                panic!("a genuine candidate was not loaded: {status:?}");
            }
            if let Status::Invalid(reason) = status {
                // The sealed non-session value is the only way to a
                // BadPayload.
                if reason == InvalidReason::BadPayload {
                    prop_assert!(candidates.iter().any(|c| *c == sealed_bytes().as_bytes()));
                }
            }
        }
    }

    /// Any sequence of operations round-trips through save and load.
    #[test]
    fn operation_sequences_round_trip(ops in proptest::collection::vec(op(), 0..40)) {
        run_ops(&ops);
    }
}
