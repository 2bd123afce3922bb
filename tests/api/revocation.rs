//! Issue 16: session ids, the revocation check, the in-memory store, the
//! global `not_before` and the failure policy, on the plain functions.
//! (The Redis store is tested against a real server in `tests/e2e/redis.rs`.)

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use http::HeaderMap;
use http::header::{COOKIE, SET_COOKIE};
use sealed_session::revocation::{
    BoxFuture, FailurePolicy, MemoryRevocations, RevocationEntry, RevocationError, RevocationStore,
    Revocations, SessionMeta,
};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Expiry, Key, Keyring, Session, SessionConfig, SessionConfigBuilder, Status};

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

impl RevocationStore for Down {
    fn is_revoked<'a>(
        &'a self,
        _: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        Box::pin(async { Err(RevocationError::Timeout(StdDuration::from_millis(5))) })
    }

    fn revoke<'a>(
        &'a self,
        _: &'a RevocationEntry,
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
fn memory_entries_are_forgotten_when_their_time_is_up() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let store = MemoryRevocations::new();
    let cookie = logged_in(&config, 42);
    let meta = SessionMeta::of(&sealed_session::load(&config, &cookie)).unwrap();
    now(store.revoke(
        &RevocationEntry::Session(meta.id.unwrap()),
        StdDuration::from_millis(50),
    ))
    .unwrap();
    assert!(now(store.is_revoked(&meta)).unwrap());
    std::thread::sleep(StdDuration::from_millis(120));
    assert!(store.is_empty());
    assert!(!now(store.is_revoked(&meta)).unwrap());
}

/// A store whose entries expire on the test's clock (the memory store's
/// expire on the real one), so a test can walk through an entry's whole
/// life. It applies the crate's rule through `RevocationEntry::revokes`.
struct ClockStore {
    clock: Arc<AtomicI64>,
    /// Each entry and the Unix second it is forgotten at.
    entries: Mutex<Vec<(RevocationEntry, i64)>>,
}

impl ClockStore {
    fn new(clock: &Arc<AtomicI64>) -> Arc<Self> {
        Arc::new(Self {
            clock: Arc::clone(clock),
            entries: Mutex::new(Vec::new()),
        })
    }

    /// The time to live of the only entry, in seconds after `at`.
    fn only_ttl(&self, at: i64) -> i64 {
        let entries = self.entries.lock().unwrap();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries[0].1 - at
    }
}

impl RevocationStore for ClockStore {
    fn is_revoked<'a>(
        &'a self,
        meta: &'a SessionMeta,
    ) -> BoxFuture<'a, Result<bool, RevocationError>> {
        let t = self.clock.load(Ordering::Relaxed);
        let revoked = self
            .entries
            .lock()
            .unwrap()
            .iter()
            .any(|(entry, until)| t < *until && entry.revokes(meta));
        Box::pin(async move { Ok(revoked) })
    }

    fn revoke<'a>(
        &'a self,
        entry: &'a RevocationEntry,
        ttl: StdDuration,
    ) -> BoxFuture<'a, Result<(), RevocationError>> {
        let t = self.clock.load(Ordering::Relaxed);
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        self.entries
            .lock()
            .unwrap()
            .push((entry.clone(), t.saturating_add(ttl)));
        Box::pin(async { Ok(()) })
    }
}

const MIN: i64 = 60;
const SKEW: i64 = 60;

/// Loads `request` at `t`, checks it, and saves it: the status and the
/// request that carries any new cookie (else the same one).
fn visit(
    clock: &AtomicI64,
    t: i64,
    config: &SessionConfig,
    revocations: &Revocations,
    request: &HeaderMap,
) -> (Status, HeaderMap) {
    clock.store(t, Ordering::Relaxed);
    let mut session = sealed_session::load(config, request);
    now(revocations.check(&mut session)).unwrap();
    let status = session.status();
    let mut response = http::Response::new(());
    sealed_session::save(config, &session, &mut response).unwrap();
    let next = match response.headers().get(SET_COOKIE) {
        Some(line) => {
            let mut next = HeaderMap::new();
            let pair = line.to_str().unwrap().split(';').next().unwrap();
            next.insert(COOKIE, pair.parse().unwrap());
            next
        }
        None => request.clone(),
    };
    (status, next)
}

/// Issue 22 point 1. A rolling session: the thief refreshes a copy after
/// the victim's last request, so the thief's copy expires later than the
/// cookie presented at logout. The id stays revoked until that copy could
/// no longer live, and the copy loads at no moment before.
#[test]
fn a_thiefs_refreshed_copy_stays_refused_until_it_could_no_longer_live() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = builder(&clock, Keyring::new(key(1)))
        .session_ids(true)
        .rolling(Duration::minutes(30))
        .build()
        .unwrap();
    let store = ClockStore::new(&clock);
    let revocations = Revocations::from_arc(store.clone(), &config);
    let cookie = logged_in(&config, 42);
    let stolen = cookie.clone();

    // The victim's last request before logout refreshes the cookie (it
    // expires at +35 min); the thief's copy is refreshed later, at +20 min,
    // and expires at +50 min.
    let (status, victims) = visit(&clock, NOW + 5 * MIN, &config, &revocations, &cookie);
    assert_eq!(status, Status::Loaded);
    assert_ne!(victims, cookie, "refreshed");
    let (status, thiefs) = visit(&clock, NOW + 20 * MIN, &config, &revocations, &stolen);
    assert_eq!(status, Status::Loaded);
    assert_ne!(thiefs, stolen, "refreshed");

    // Logout at +25 min with the cookie that expires at +35 min.
    clock.store(NOW + 25 * MIN, Ordering::Relaxed);
    let mut session = sealed_session::load(&config, &victims);
    now(revocations.check(&mut session)).unwrap();
    assert_eq!(
        session.expiry_date().unix_timestamp(),
        NOW + 35 * MIN,
        "the cookie at hand"
    );
    session.flush();
    now(revocations.revoke_ended(&session)).unwrap();
    // Until now + idle (the latest any copy could have been refreshed to),
    // plus the skew margin: past the thief's +50 min.
    assert_eq!(store.only_ttl(NOW + 25 * MIN), 30 * MIN + SKEW);

    // Every ten seconds from the logout until after the thief's copy dies:
    // never loaded, never refreshed.
    let mut t = NOW + 25 * MIN;
    while t <= NOW + 60 * MIN {
        let (status, next) = visit(&clock, t, &config, &revocations, &thiefs);
        assert_ne!(
            status,
            Status::Loaded,
            "the thief's copy loaded at +{}s",
            t - NOW
        );
        if t < NOW + 50 * MIN {
            assert_eq!(status, Status::Revoked, "at +{}s", t - NOW);
        } else {
            assert_eq!(status, Status::Expired, "at +{}s", t - NOW);
        }
        assert!(
            next == thiefs || next.get(COOKIE).unwrap().to_str().unwrap() == "session=",
            "no new session cookie for the thief"
        );
        t += 10;
    }
}

/// The length of a logout's entry for each kind of session: now + idle
/// for rolling ones, the fixed expiry otherwise, cut by the absolute
/// timeout, plus `CLOCK_SKEW`.
#[test]
fn a_logout_entry_lasts_exactly_as_long_as_any_copy_could() {
    assert_eq!(sealed_session::CLOCK_SKEW.whole_seconds(), SKEW);
    type Tweak = fn(SessionConfigBuilder) -> SessionConfigBuilder;
    let cases: [(&str, Tweak, Option<Expiry>, i64, i64); 6] = [
        (
            "fixed",
            |b| b.max_age(Duration::hours(1)),
            None,
            10 * MIN,
            50 * MIN,
        ),
        (
            "rolling",
            |b| b.rolling(Duration::minutes(30)),
            None,
            10 * MIN,
            30 * MIN,
        ),
        (
            "rolling, cut by the absolute timeout",
            |b| {
                b.rolling(Duration::minutes(30))
                    .absolute_timeout(Duration::minutes(40))
            },
            None,
            20 * MIN,
            20 * MIN,
        ),
        (
            "fixed, with a per-session idle time",
            |b| b.max_age(Duration::hours(1)),
            Some(Expiry::Idle(Duration::hours(2))),
            10 * MIN,
            120 * MIN,
        ),
        (
            "fixed, with a per-session instant",
            |b| b.max_age(Duration::hours(1)),
            Some(Expiry::At(
                OffsetDateTime::from_unix_timestamp(NOW + 180 * MIN).unwrap(),
            )),
            10 * MIN,
            170 * MIN,
        ),
        (
            "rolling, with a shorter per-session idle time: the configuration's \
             covers copies sealed before the override",
            |b| b.rolling(Duration::minutes(30)),
            Some(Expiry::Idle(Duration::minutes(5))),
            2 * MIN,
            30 * MIN,
        ),
    ];
    for (name, tweak, expiry, logout, ttl) in cases {
        let clock = Arc::new(AtomicI64::new(NOW));
        let config = tweak(builder(&clock, Keyring::new(key(1))).session_ids(true))
            .build()
            .unwrap();
        let store = ClockStore::new(&clock);
        let revocations = Revocations::from_arc(store.clone(), &config)
            .horizon(StdDuration::from_secs(365 * 86_400));
        let mut session = sealed_session::load(&config, &HeaderMap::new());
        session.insert("n", &1u8).unwrap();
        if let Some(expiry) = expiry {
            session.set_expiry(expiry);
        }
        let request = round_trip(&config, &session);
        clock.store(NOW + logout, Ordering::Relaxed);
        let mut session = sealed_session::load(&config, &request);
        now(revocations.check(&mut session)).unwrap();
        assert_eq!(session.status(), Status::Loaded, "{name}");
        session.flush();
        now(revocations.revoke_ended(&session)).unwrap();
        assert_eq!(store.only_ttl(NOW + logout), ttl + SKEW, "{name}");
    }
}

/// Subject and global entries live for the horizon (plus the skew), at
/// least the configuration's longest lifetime; a per-session override that
/// would outlive the horizon is not honoured, so no session escapes a
/// revocation whose entry is gone.
#[test]
fn no_remember_me_session_outlives_the_horizon_of_subject_and_global_entries() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock); // max_age: two weeks
    let two_weeks = 14 * 86_400;
    let store = ClockStore::new(&clock);
    let revocations = Revocations::from_arc(store.clone(), &config);
    now(revocations.revoke_all()).unwrap();
    assert_eq!(store.only_ttl(NOW), two_weeks + SKEW);
    // A horizon below the configured lifetime is raised to it.
    let store = ClockStore::new(&clock);
    let short = Revocations::from_arc(store.clone(), &config).horizon(StdDuration::from_secs(5));
    now(short.revoke_subject("user:42")).unwrap();
    assert_eq!(store.only_ttl(NOW), two_weeks + SKEW);

    // Remember me for 30 days, and for 30 idle days.
    let remember = |expiry: Expiry| {
        let mut session = sealed_session::load(&config, &HeaderMap::new());
        session.set_subject("user:42");
        session.set_expiry(expiry);
        round_trip(&config, &session)
    };
    let thirty_days = OffsetDateTime::from_unix_timestamp(NOW + 30 * 86_400).unwrap();
    let at = remember(Expiry::At(thirty_days));
    let idle = remember(Expiry::Idle(Duration::days(30)));
    let status = |revocations: &Revocations, request: &HeaderMap| {
        let mut session = sealed_session::load(&config, request);
        now(revocations.check(&mut session)).unwrap();
        session.status()
    };
    let fresh = || Revocations::from_arc(ClockStore::new(&clock), &config);
    for request in [&at, &idle] {
        assert_eq!(
            status(&fresh(), request),
            Status::Revoked,
            "beyond the horizon"
        );
        let wide = fresh().horizon(StdDuration::from_secs(30 * 86_400));
        assert_eq!(status(&wide, request), Status::Loaded);
    }

    // With the horizon raised, a subject revoked on day 1 stays revoked
    // until the remember-me session dies on day 30.
    let store = ClockStore::new(&clock);
    let wide =
        Revocations::from_arc(store.clone(), &config).horizon(StdDuration::from_secs(30 * 86_400));
    clock.store(NOW + 86_400, Ordering::Relaxed);
    now(wide.revoke_subject("user:42")).unwrap();
    for day in [2, 15, 29] {
        clock.store(NOW + day * 86_400, Ordering::Relaxed);
        assert_eq!(status(&wide, &at), Status::Revoked, "day {day}");
    }

    // An absolute timeout bounds every override: nothing is refused.
    let bounded = builder(&clock, Keyring::new(key(1)))
        .session_ids(true)
        .absolute_timeout(Duration::days(14))
        .build()
        .unwrap();
    clock.store(NOW, Ordering::Relaxed);
    let mut session = sealed_session::load(&bounded, &HeaderMap::new());
    session.set_expiry(Expiry::At(thirty_days));
    session.insert("n", &1u8).unwrap();
    let request = round_trip(&bounded, &session);
    let mut session = sealed_session::load(&bounded, &request);
    now(Revocations::new(MemoryRevocations::new(), &bounded).check(&mut session)).unwrap();
    assert_eq!(session.status(), Status::Loaded);
}

/// Issue 22 point 7: one same-second rule for the stores and `not_before`.
/// A session created in the cutoff's own second is kept; one created a
/// second earlier is revoked.
#[test]
fn one_same_second_rule_for_the_stores_and_not_before() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let request = logged_in(&config, 42); // created at NOW
    let status = |revocations: &Revocations| {
        let mut session = sealed_session::load(&config, &request);
        now(revocations.check(&mut session)).unwrap();
        session.status()
    };
    for (revoked_at, want) in [(NOW, Status::Loaded), (NOW + 1, Status::Revoked)] {
        clock.store(revoked_at, Ordering::Relaxed);
        let subject = Revocations::new(MemoryRevocations::new(), &config);
        now(subject.revoke_subject("user:42")).unwrap();
        let all = Revocations::new(MemoryRevocations::new(), &config);
        now(all.revoke_all()).unwrap();
        clock.store(NOW + 2, Ordering::Relaxed);
        assert_eq!(
            status(&subject),
            want,
            "subject revoked at +{}",
            revoked_at - NOW
        );
        assert_eq!(status(&all), want, "all revoked at +{}", revoked_at - NOW);

        let cutoff = OffsetDateTime::from_unix_timestamp(revoked_at).unwrap();
        let not_before = builder(&clock, Keyring::new(key(1)))
            .session_ids(true)
            .not_before(cutoff)
            .build()
            .unwrap();
        let loaded = sealed_session::load(&not_before, &request).status();
        assert_eq!(loaded, want, "not_before(+{})", revoked_at - NOW);
    }
    // Only the cutoff's whole second counts, in the entry's own rule too.
    let meta = SessionMeta::of(&sealed_session::load(&config, &request)).unwrap();
    let half = OffsetDateTime::from_unix_timestamp(NOW).unwrap() + Duration::milliseconds(500);
    assert!(!RevocationEntry::All { before: half }.revokes(&meta));
    let store = MemoryRevocations::new();
    now(store.revoke(
        &RevocationEntry::All { before: half },
        StdDuration::from_secs(60),
    ))
    .unwrap();
    assert!(!now(store.is_revoked(&meta)).unwrap());

    // What the rule is for: log out my other devices and stay logged in,
    // in one request.
    clock.store(NOW + 30, Ordering::Relaxed);
    let revocations = Revocations::new(MemoryRevocations::new(), &config);
    let other_device = logged_in(&config, 42);
    clock.store(NOW + 40, Ordering::Relaxed);
    let mut session = sealed_session::load(&config, &request);
    now(revocations.check(&mut session)).unwrap();
    now(revocations.revoke_subject("user:42")).unwrap();
    session.renew();
    let mine = round_trip(&config, &session);
    clock.store(NOW + 41, Ordering::Relaxed);
    for (request, want) in [(&mine, Status::Loaded), (&other_device, Status::Revoked)] {
        let mut session = sealed_session::load(&config, request);
        now(revocations.check(&mut session)).unwrap();
        assert_eq!(session.status(), want);
    }
}

/// Issue 22 point 6, in the memory store: a horizon of `Duration::MAX` and
/// an idle time of `Duration::MAX` do not panic, and a later revocation
/// with an earlier cutoff (a server whose clock is behind) lowers nothing.
#[test]
fn the_memory_store_saturates_and_never_lowers_a_cutoff() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let store = Arc::new(MemoryRevocations::new());
    let revocations = Revocations::from_arc(store.clone(), &config).horizon(StdDuration::MAX);
    let mut session = sealed_session::load(&config, &HeaderMap::new());
    session.set_subject("user:42");
    session.set_expiry(Expiry::Idle(Duration::MAX));
    let request = round_trip(&config, &session);
    clock.store(NOW + 10, Ordering::Relaxed);
    let mut session = sealed_session::load(&config, &request);
    now(revocations.check(&mut session)).unwrap();
    assert_eq!(session.status(), Status::Loaded);
    session.flush();
    now(revocations.revoke_ended(&session)).unwrap();
    now(revocations.revoke_subject("user:7")).unwrap();
    now(revocations.revoke_all()).unwrap();
    assert_eq!(store.len(), 3);
    now(store.revoke(
        &RevocationEntry::All {
            before: config.now(),
        },
        StdDuration::MAX,
    ))
    .unwrap();
    assert_eq!(store.len(), 3);

    // Two servers 30 s apart: the one behind writes last.
    let store = Arc::new(MemoryRevocations::new());
    let ahead = Revocations::from_arc(store.clone(), &config);
    let behind_clock = Arc::new(AtomicI64::new(NOW + 100 - 30));
    let behind_config = builder(&behind_clock, Keyring::new(key(1)))
        .session_ids(true)
        .build()
        .unwrap();
    let behind = Revocations::from_arc(store.clone(), &behind_config);
    clock.store(NOW, Ordering::Relaxed);
    let victim = logged_in(&config, 42); // created at NOW
    clock.store(NOW + 80, Ordering::Relaxed);
    let later = logged_in(&config, 42); // created at NOW + 80
    clock.store(NOW + 100, Ordering::Relaxed);
    now(ahead.revoke_subject("user:42")).unwrap();
    now(ahead.revoke_all()).unwrap();
    now(behind.revoke_subject("user:42")).unwrap();
    now(behind.revoke_all()).unwrap();
    let mut session = sealed_session::load(&config, &later);
    now(ahead.check(&mut session)).unwrap();
    assert_eq!(session.status(), Status::Revoked, "the later cutoff holds");
    let mut session = sealed_session::load(&config, &victim);
    now(behind.check(&mut session)).unwrap();
    assert_eq!(session.status(), Status::Revoked);
}

/// The check reads nothing the response could depend on: a session the
/// handler never touched gets no `Vary: Cookie` because it was checked.
#[test]
fn the_check_alone_does_not_count_as_reading_the_session() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let request = logged_in(&config, 42);
    let revocations = Revocations::new(MemoryRevocations::new(), &config);
    let mut session = sealed_session::load(&config, &request);
    now(revocations.check(&mut session)).unwrap();
    let mut response = http::Response::new(());
    sealed_session::save(&config, &session, &mut response).unwrap();
    assert_eq!(response.headers().get(http::header::VARY), None);
    // Read, it does.
    let _ = session.expiry();
    sealed_session::save(&config, &session, &mut response).unwrap();
    assert_eq!(response.headers()[http::header::VARY], "Cookie");
}

/// Issue 25: a replica that has not loaded (here its Redis never answers)
/// does not answer checks: under the default policy the session is not
/// honoured and its cookie left alone. Its `Debug` names no URL (nor the
/// password in it).
#[cfg(feature = "redis")]
#[tokio::test]
async fn a_replica_that_never_loaded_fails_its_checks() {
    use sealed_session::revocation::RedisReplica;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let replica = RedisReplica::builder(&format!("redis://:hunter2@127.0.0.1:{port}/"))
        .unwrap()
        .staleness_bound(StdDuration::from_millis(200))
        .start();
    let err = replica
        .ready(StdDuration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, RevocationError::Timeout(_)), "{err}");
    let status = replica.status();
    assert_eq!(status.since_heard, None);
    assert_eq!(status.lag, None);
    assert_eq!(status.entries, 0);
    assert_eq!(status.staleness_bound, StdDuration::from_millis(200));
    let debug = format!("{replica:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains(&port.to_string()),
        "{debug}"
    );

    let clock = Arc::new(AtomicI64::new(NOW));
    let config = ids_config(&clock);
    let cookie = logged_in(&config, 42);
    let revocations = Revocations::new(replica.clone(), &config);
    let mut session = sealed_session::load(&config, &cookie);
    let err = revocations.check(&mut session).await.unwrap_err();
    assert!(err.to_string().contains("failed"), "{err}");
    let source = std::error::Error::source(&err).unwrap().to_string();
    assert!(source.contains("not loaded"), "{source}");
    assert_eq!(session.status(), Status::Unverified);
    let mut response = http::Response::new(());
    sealed_session::save(&config, &session, &mut response).unwrap();
    assert!(
        response.headers().get(SET_COOKIE).is_none(),
        "cookie left alone"
    );
}
