//! Issue 16: session ids, the revocation check, the in-memory store, the
//! global `not_before` and the failure policy, on the plain functions.
//! (The Redis store is tested against a real server in `tests/e2e/redis.rs`.)

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration as StdDuration;

use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{
    BoxFuture, FailurePolicy, Key, Keyring, MemoryRevocations, Revocation, RevocationError,
    Revocations, Revoke, Session, SessionConfig, SessionConfigBuilder, SessionMeta, Status,
};

const NOW: i64 = 1_767_225_600;

fn key(b: u8) -> Key {
    Key::from_bytes(&[b; 32]).unwrap()
}

fn builder(clock: &Arc<AtomicI64>, keys: Keyring) -> SessionConfigBuilder {
    let clock = Arc::clone(clock);
    SessionConfig::builder(keys)
        .clock(move || OffsetDateTime::from_unix_timestamp(clock.load(Ordering::Relaxed)).unwrap())
}

fn ids_config(clock: &Arc<AtomicI64>) -> SessionConfig {
    builder(clock, Keyring::new(key(1)))
        .session_ids(true)
        .build()
        .unwrap()
}

/// Saves `session` and returns the request that carries its cookie back.
fn round_trip(config: &SessionConfig, session: &Session) -> HeaderMap {
    let mut response = http::Response::new(());
    sealed_session::save(config, session, &mut response).unwrap();
    let line = response.headers()[SET_COOKIE].to_str().unwrap();
    let mut request = HeaderMap::new();
    request.insert(COOKIE, line.split(';').next().unwrap().parse().unwrap());
    request
}

fn logged_in(config: &SessionConfig, user: u64) -> HeaderMap {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    session.renew();
    session.set_subject(format!("user:{user}"));
    session.insert("user", &user).unwrap();
    round_trip(config, &session)
}

/// Drives a future that never waits (the memory store) to completion.
fn now<T>(f: impl Future<Output = T>) -> T {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match std::pin::pin!(f).poll(&mut cx) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("the memory store never waits"),
    }
}

#[test]
fn a_session_id_is_kept_across_reseals_and_rotation_and_new_on_renew() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let mut session = sealed_session::load(&config, &HeaderMap::new());
    let id = session.id().expect("ids on");
    session.insert("n", &1u8).unwrap();
    let request = round_trip(&config, &session);

    let mut loaded = sealed_session::load(&config, &request);
    assert_eq!(loaded.id(), Some(id), "the id is sealed in the cookie");
    loaded.insert("n", &2u8).unwrap();
    let request = round_trip(&config, &loaded);

    // Rotation: a new primary re-seals the fallback cookie, same id.
    let rotated = builder(&clock, Keyring::new(key(2)).with_fallback(key(1)))
        .session_ids(true)
        .build()
        .unwrap();
    let loaded = sealed_session::load(&rotated, &request);
    assert_eq!(loaded.status(), Status::LoadedWithFallback);
    assert_eq!(loaded.id(), Some(id));
    let request = round_trip(&rotated, &loaded);
    let mut loaded = sealed_session::load(&rotated, &request);
    assert_eq!((loaded.status(), loaded.id()), (Status::Loaded, Some(id)));

    loaded.renew();
    let renewed = loaded.id().unwrap();
    assert_ne!(renewed, id);
    let request = round_trip(&rotated, &loaded);
    assert_eq!(sealed_session::load(&rotated, &request).id(), Some(renewed));
    assert_eq!(format!("{renewed:?}"), format!("SessionId({renewed})"));
}

#[test]
fn ids_cost_nothing_but_one_byte_when_off() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let off = builder(&clock, Keyring::new(key(1))).build().unwrap();
    let on = ids_config(&clock);
    let plaintext_len = |config: &SessionConfig| {
        let mut session = sealed_session::load(config, &HeaderMap::new());
        session.insert("user", &42u64).unwrap();
        let cookie = crate::common::session_cookie(config, &session).unwrap();
        assert_eq!(session.id().is_some(), config.session_ids());
        sealed_session::danger::open_session_value(config, cookie.value())
            .unwrap()
            .plaintext()
            .len()
    };
    // Off: one byte says "no identity". On: that byte, 16 bytes of id, and
    // one byte for "no subject".
    assert_eq!(plaintext_len(&on), plaintext_len(&off) + 17);
}

#[test]
fn log_out_all_sessions_of_a_user_and_only_theirs() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let revocations = Revocations::new(MemoryRevocations::new(), &config);
    let phone = logged_in(&config, 42);
    let laptop = logged_in(&config, 42);
    let other = logged_in(&config, 7);

    clock.store(NOW + 60, Ordering::Relaxed);
    now(revocations.revoke_subject("user:42")).unwrap();
    for (request, revoked) in [(&phone, true), (&laptop, true), (&other, false)] {
        let mut session = sealed_session::load(&config, request);
        now(revocations.check(&mut session)).unwrap();
        if revoked {
            assert_eq!(session.status(), Status::Revoked);
            assert!(session.is_empty() && session.subject().is_none());
            let mut response = http::Response::new(());
            sealed_session::save(&config, &session, &mut response).unwrap();
            let line = response.headers()[SET_COOKIE].to_str().unwrap();
            assert!(line.starts_with("session=;"), "{line}");
        } else {
            assert_eq!(session.status(), Status::Loaded);
            assert_eq!(session.get::<u64>("user").unwrap(), Some(7));
        }
    }
    // A login after the revocation is a new session and is not revoked.
    clock.store(NOW + 120, Ordering::Relaxed);
    let again = logged_in(&config, 42);
    let mut session = sealed_session::load(&config, &again);
    now(revocations.check(&mut session)).unwrap();
    assert_eq!(session.status(), Status::Loaded);
}

#[test]
fn a_logout_revokes_the_copied_cookie() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let store = Arc::new(MemoryRevocations::new());
    let revocations = Revocations::from_arc(store.clone(), &config);
    let cookie = logged_in(&config, 42);
    let copied = cookie.clone();

    let mut session = sealed_session::load(&config, &cookie);
    now(revocations.check(&mut session)).unwrap();
    session.flush();
    now(revocations.revoke_ended(&session)).unwrap();
    assert_eq!(store.len(), 1);

    let mut stolen = sealed_session::load(&config, &copied);
    assert_eq!(
        stolen.status(),
        Status::Loaded,
        "the cookie itself is valid"
    );
    now(revocations.check(&mut stolen)).unwrap();
    assert_eq!(stolen.status(), Status::Revoked);
    assert_eq!(stolen.get::<u64>("user").unwrap(), None);

    // Nothing to revoke: a session that was never flushed.
    let other = logged_in(&config, 7);
    let session = sealed_session::load(&config, &other);
    now(revocations.revoke_ended(&session)).unwrap();
    assert_eq!(store.len(), 1);
}

#[test]
fn log_out_everyone_before_now_in_the_store_or_in_the_config() {
    let clock = Arc::new(AtomicI64::new(NOW));
    // Without ids or subjects: the global instant still applies.
    let config = builder(&clock, Keyring::new(key(1))).build().unwrap();
    let revocations = Revocations::new(MemoryRevocations::new(), &config);
    let mut session = sealed_session::load(&config, &HeaderMap::new());
    session.insert("n", &1u8).unwrap();
    let request = round_trip(&config, &session);

    clock.store(NOW + 10, Ordering::Relaxed);
    now(revocations.revoke_all()).unwrap();
    let mut loaded = sealed_session::load(&config, &request);
    now(revocations.check(&mut loaded)).unwrap();
    assert_eq!(loaded.status(), Status::Revoked);

    // The same with no store: `not_before` in the configuration.
    let mass_logout = builder(&clock, Keyring::new(key(1)))
        .not_before(OffsetDateTime::from_unix_timestamp(NOW + 5).unwrap())
        .build()
        .unwrap();
    let (status, set) = {
        let session = sealed_session::load(&mass_logout, &request);
        let mut response = http::Response::new(());
        sealed_session::save(&mass_logout, &session, &mut response).unwrap();
        let line = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
        (session.status(), line)
    };
    assert_eq!(status, Status::Revoked);
    assert_eq!(status.as_str(), "revoked");
    assert!(set.contains("Max-Age=0"), "{set}");
    let earlier = builder(&clock, Keyring::new(key(1)))
        .not_before(OffsetDateTime::from_unix_timestamp(NOW).unwrap())
        .build()
        .unwrap();
    assert_eq!(
        sealed_session::load(&earlier, &request).status(),
        Status::Loaded
    );
}

/// A store that always fails, to drive the failure policy.
struct Down;

impl Revocation for Down {
    fn is_revoked<'a>(
        &'a self,
        _: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(async { Err(RevocationError::Timeout(StdDuration::from_millis(5))) })
    }

    fn revoke<'a>(
        &'a self,
        _: &'a Revoke,
        _: StdDuration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        Box::pin(async { Err(RevocationError::Timeout(StdDuration::from_millis(5))) })
    }
}

#[test]
fn an_unreachable_store_fails_closed_by_default_or_open_if_chosen() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let cookie = logged_in(&config, 42);

    let closed = Revocations::new(Down, &config);
    let mut session = sealed_session::load(&config, &cookie);
    let err = now(closed.check(&mut session)).unwrap_err();
    assert!(matches!(err, RevocationError::Timeout(_)), "{err}");
    assert_eq!(session.status(), Status::Unverified);

    let open = Revocations::new(Down, &config).failure_policy(FailurePolicy::FailOpen);
    let mut session = sealed_session::load(&config, &cookie);
    assert!(now(open.check(&mut session)).is_err());
    assert_eq!(session.status(), Status::Loaded);
    assert_eq!(session.get::<u64>("user").unwrap(), Some(42));

    // A new session is never sent to the store.
    let mut fresh = sealed_session::load(&config, &HeaderMap::new());
    now(closed.check(&mut fresh)).unwrap();
    assert_eq!(fresh.status(), Status::New);
}

#[test]
fn memory_entries_expire_with_the_sessions_they_revoke() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = builder(&clock, Keyring::new(key(1)))
        .session_ids(true)
        .max_age(Duration::seconds(1))
        .build()
        .unwrap();
    let store = Arc::new(MemoryRevocations::new());
    let revocations = Revocations::from_arc(store.clone(), &config);
    let cookie = logged_in(&config, 42);
    let mut session = sealed_session::load(&config, &cookie);
    session.flush();
    now(revocations.revoke_ended(&session)).unwrap();
    now(revocations.revoke_subject("user:42")).unwrap();
    assert_eq!(store.len(), 2);
    // The entries live as long as a session can (one second here).
    std::thread::sleep(StdDuration::from_millis(1100));
    assert!(store.is_empty());
}
