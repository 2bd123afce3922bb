//! What revocation costs per request, measured in the same run as what
//! every request already pays (`load` of the small fixture's cookie): the
//! `load` of a cookie carrying a session id and a subject, then the check
//! against the in-memory store, and, when `SEALED_SESSION_BENCH_REDIS` names
//! a Redis server (`redis://127.0.0.1:6379/`) and the `redis` feature is
//! on, against Redis on loopback (one `MGET` round trip).
//!
//! `cargo bench --bench revocation`
//! `SEALED_SESSION_BENCH_REDIS=redis://127.0.0.1:6379/ cargo bench --features redis --bench revocation`

use std::hint::black_box;
use std::task::{Context, Poll, Waker};

use criterion::{Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use sealed_session::revocation::{MemoryRevocations, Revocations};
use sealed_session::{Keyring, SessionConfig};

mod fixtures;
use fixtures::{Fixture, Small};

/// Runs a future that never waits (the memory store) without a runtime.
fn ready<T>(f: impl Future<Output = T>) -> T {
    match std::pin::pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the memory store never waits"),
    }
}

fn revocation(c: &mut Criterion) {
    let plain = fixtures::ours_config();
    let plain_request = fixtures::request_for(&fixtures::ours_save(&plain, &Small::build()));
    let config = SessionConfig::builder(Keyring::new(fixtures::fixed_key(1)))
        .session_ids(true)
        .build()
        .unwrap();
    let mut session = sealed_session::load(&config, &HeaderMap::new());
    Small::build().insert_into(&mut session);
    session.set_subject("user:42");
    let mut response = HeaderMap::new();
    sealed_session::save(&config, &session, &mut response).unwrap();
    let request = fixtures::request_for(&response);

    let memory = Revocations::new(MemoryRevocations::new(), &config);
    // A store holding other revocations, as a live one does.
    for user in 0..1_000 {
        ready(memory.revoke_subject(&format!("user:{user}-other"))).unwrap();
    }
    let mut loaded = sealed_session::load(&config, &request);
    ready(memory.check(&mut loaded)).unwrap();
    assert!(loaded.status().is_loaded());

    let mut g = c.benchmark_group("revocation");
    g.bench_function("baseline: load small session", |b| {
        b.iter(|| sealed_session::load(black_box(&plain), black_box(&plain_request)));
    });
    g.bench_function("load with id and subject", |b| {
        b.iter(|| sealed_session::load(black_box(&config), black_box(&request)));
    });
    g.bench_function("load + check (memory store)", |b| {
        b.iter(|| {
            let mut s = sealed_session::load(black_box(&config), black_box(&request));
            ready(memory.check(&mut s)).unwrap();
            s
        });
    });
    #[cfg(feature = "redis")]
    if let Ok(url) = std::env::var("SEALED_SESSION_BENCH_REDIS") {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let store = runtime
            .block_on(async { sealed_session::revocation::RedisRevocations::new(&url).unwrap() });
        let redis = Revocations::new(store, &config);
        g.bench_function("load + check (Redis on loopback)", |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let mut s = sealed_session::load(black_box(&config), black_box(&request));
                    redis.check(&mut s).await.unwrap();
                    s
                })
            });
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = fixtures::criterion_config();
    targets = revocation
}
criterion_main!(benches);
