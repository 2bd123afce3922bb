//! One `SessionConfig` shared by 8 threads, each doing 10,000 save/load
//! round trips with its own data: every round trip gets back exactly what
//! it saved, never another thread's session, and every seal uses a fresh
//! nonce.

use std::collections::HashSet;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use sealed_session::time::OffsetDateTime;
use sealed_session::{Key, Keyring, SessionConfig, Status};

const THREADS: u64 = 8;
const ROUND_TRIPS: u64 = 10_000;

#[test]
fn eight_threads_share_one_config() {
    let keys = Keyring::new(Key::from_bytes(&[0x42; 32]).unwrap())
        .with_fallback(Key::from_bytes(&[0x43; 32]).unwrap());
    let config = SessionConfig::builder(keys)
        .cookie_name("session")
        .clock(|| OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap())
        .build()
        .unwrap();
    let started = Instant::now();

    let nonces: Vec<Vec<[u8; 24]>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let config = &config;
                scope.spawn(move || round_trips(config, t))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    // No nonce was ever used twice, across all threads.
    let all: HashSet<[u8; 24]> = nonces.iter().flatten().copied().collect();
    assert_eq!(all.len() as u64, THREADS * ROUND_TRIPS);
    eprintln!(
        "{} round trips on {THREADS} threads in {:.2?}",
        THREADS * ROUND_TRIPS,
        started.elapsed()
    );
}

/// Thread `t`: each round trip loads the cookie the previous one saved,
/// checks it holds that round trip's data, replaces it and saves. Returns
/// the nonce of every cookie it was sent.
fn round_trips(config: &SessionConfig, t: u64) -> Vec<[u8; 24]> {
    let mut jar: Option<String> = None;
    let mut nonces = Vec::with_capacity(ROUND_TRIPS as usize);
    for i in 0..ROUND_TRIPS {
        let mut request = HeaderMap::new();
        if let Some(value) = &jar {
            let header = format!("theme=dark; session={value}");
            request.insert(COOKIE, HeaderValue::from_str(&header).unwrap());
        }
        let mut session = sealed_session::load(config, &request);
        if i == 0 {
            assert_eq!(session.status(), Status::New);
        } else {
            assert_eq!(session.status(), Status::Loaded, "thread {t}, trip {i}");
            assert_eq!(session.get::<u64>("thread").unwrap(), Some(t));
            assert_eq!(session.get::<u64>("trip").unwrap(), Some(i - 1));
            assert_eq!(
                session.get::<String>("data").unwrap().as_deref(),
                Some(data(t, i - 1).as_str())
            );
            assert_eq!(session.len(), 3);
        }
        session.insert("thread", &t).unwrap();
        session.insert("trip", &i).unwrap();
        session.insert("data", &data(t, i)).unwrap();

        let mut response = HeaderMap::new();
        sealed_session::save(config, &session, &mut response).unwrap();
        let line = response[SET_COOKIE].to_str().unwrap();
        let value = line
            .split(';')
            .next()
            .unwrap()
            .strip_prefix("session=")
            .unwrap();
        let raw = URL_SAFE_NO_PAD.decode(value).unwrap();
        nonces.push(raw[5..29].try_into().unwrap());
        jar = Some(value.to_owned());
    }
    // The last one too.
    let mut request = HeaderMap::new();
    let header = format!("session={}", jar.unwrap());
    request.insert(COOKIE, HeaderValue::from_str(&header).unwrap());
    let session = sealed_session::load(config, &request);
    assert_eq!(session.get::<u64>("trip").unwrap(), Some(ROUND_TRIPS - 1));
    assert_eq!(session.get::<u64>("thread").unwrap(), Some(t));
    nonces
}

/// Distinct per thread and round trip, and of varying length.
fn data(t: u64, i: u64) -> String {
    format!("t{t}-i{i}-{}", "x".repeat((i % 97) as usize))
}
