//! Shared helpers for the integration tests: a clock that tests move by
//! hand, and round trips through real `http` types.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use http::{HeaderMap, Request, Response, StatusCode};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Key, Keyring, Session, SessionConfig, SessionConfigBuilder};

/// 2026-01-01T00:00:00Z.
pub const T0: i64 = 1_767_225_600;

/// A clock that only moves when a test says so.
#[derive(Clone)]
pub struct TestClock(Arc<AtomicI64>);

impl TestClock {
    pub fn new() -> Self {
        Self(Arc::new(AtomicI64::new(T0)))
    }
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.whole_seconds(), Ordering::SeqCst);
    }
    pub fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
    pub fn install(&self, builder: SessionConfigBuilder) -> SessionConfigBuilder {
        let me = self.clone();
        builder.clock(move || OffsetDateTime::from_unix_timestamp(me.now()).unwrap())
    }
}

pub fn key(byte: u8) -> Key {
    Key::from_bytes(&[byte; 32]).unwrap()
}

pub fn keyring() -> Keyring {
    Keyring::new(key(1))
}

/// A config with a test clock and `Secure` on (the default).
pub fn config_with(
    clock: &TestClock,
    f: impl FnOnce(SessionConfigBuilder) -> SessionConfigBuilder,
) -> SessionConfig {
    f(clock.install(SessionConfig::builder(keyring())))
        .build()
        .unwrap()
}

/// A request whose `Cookie` header is exactly `cookie`.
pub fn request_with_cookie(cookie: &str) -> Request<()> {
    Request::builder()
        .header("cookie", cookie)
        .body(())
        .unwrap()
}

/// Saves into a fresh 200 response and returns its `Set-Cookie` headers.
pub fn save_set_cookies(config: &SessionConfig, session: &Session) -> Vec<String> {
    let mut response = Response::new(());
    sealed_session::save(config, session, &mut response).unwrap();
    set_cookies(response.headers())
}

pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `name=value` part of a `Set-Cookie` line.
pub fn pair(set_cookie: &str) -> &str {
    set_cookie.split(';').next().unwrap()
}

/// The value part of a `Set-Cookie` line.
pub fn value(set_cookie: &str) -> &str {
    pair(set_cookie).split_once('=').unwrap().1
}

/// Saves and returns the one `Set-Cookie` as a `Cookie` header, panicking if
/// save wrote anything else.
pub fn save_to_cookie(config: &SessionConfig, session: &Session) -> String {
    let cookies = save_set_cookies(config, session);
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    pair(&cookies[0]).to_owned()
}

/// The session cookie `save` writes for `session` into a 200 response,
/// parsed (`None` when it writes none).
pub fn session_cookie(
    config: &SessionConfig,
    session: &Session,
) -> Option<sealed_session::cookie::Cookie<'static>> {
    let line = save_set_cookies(config, session).into_iter().next()?;
    Some(sealed_session::cookie::Cookie::parse(line).unwrap())
}

/// A session with `data` saved once; returns the `Cookie` header.
pub fn issue(config: &SessionConfig, entries: &[(&str, &str)]) -> String {
    let mut session = sealed_session::load(config, &Request::new(()));
    for (k, v) in entries {
        session.insert(*k, v).unwrap();
    }
    save_to_cookie(config, &session)
}

pub fn load_cookie(config: &SessionConfig, cookie: &str) -> Session {
    sealed_session::load(config, &request_with_cookie(cookie))
}

pub fn is_removal(set_cookie: &str) -> bool {
    value(set_cookie).is_empty()
        && set_cookie.contains("; Max-Age=0;")
        && set_cookie.contains("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
}

pub fn response_with_status(status: StatusCode) -> Response<()> {
    let mut r = Response::new(());
    *r.status_mut() = status;
    r
}
