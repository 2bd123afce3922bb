//! Issue 24: the cost of a session split over two cookies against the same
//! session in one. The same data (a sealed value of about 3.9 KB) is saved
//! and loaded under the default configuration (one cookie) and under
//! `size_limit(2_100).max_chunks(2)`, which splits it in two: the seal, the
//! envelope and the AEAD are the same bytes, so the difference is what
//! chunking itself costs (the split and a second `Set-Cookie` line on save;
//! the scan for chunk names, the count check and the join on load).
//!
//! `cargo bench --bench chunks` (short settings: about 20 s in all). On a
//! busy machine the times are noisy; instruction counts are not:
//! `CHUNKS_REPEAT=load-two:200 valgrind --tool=callgrind
//! --callgrind-out-file=/dev/null <bench binary>` runs one operation 200
//! times and exits (subtract a run with `:0` and divide).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use sealed_session::{Key, Keyring, Session, SessionConfig};

fn config(split: bool) -> SessionConfig {
    let builder = SessionConfig::builder(Keyring::new(Key::from_bytes(&[9; 32]).unwrap()));
    if split {
        builder.size_limit(2_100).max_chunks(2)
    } else {
        builder
    }
    .build()
    .unwrap()
}

/// About 2.8 KB of data: OAuth-like tokens.
fn session(config: &SessionConfig) -> Session {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    session.insert("access_token", &"a".repeat(1_400)).unwrap();
    session.insert("id_token", &"i".repeat(1_000)).unwrap();
    session.insert("refresh_token", &"r".repeat(300)).unwrap();
    session.insert("user", &42u64).unwrap();
    session
}

fn save(config: &SessionConfig, session: &Session) -> HeaderMap {
    let mut response = HeaderMap::new();
    sealed_session::save(config, session, &mut response).unwrap();
    response
}

/// The `Cookie` header a browser sends back for `response`.
fn request_for(response: &HeaderMap) -> HeaderMap {
    let pairs: Vec<&str> = response
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap())
        .collect();
    let mut request = HeaderMap::new();
    request.insert(COOKIE, HeaderValue::from_str(&pairs.join("; ")).unwrap());
    request
}

fn chunks(c: &mut Criterion) {
    let mut g = c.benchmark_group("chunks");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    for (name, split) in [("one-cookie", false), ("two-chunks", true)] {
        let config = config(split);
        let session = session(&config);
        let response = save(&config, &session);
        let cookies = response.get_all(SET_COOKIE).iter().count();
        assert_eq!(cookies, if split { 2 } else { 1 });
        let request = request_for(&response);
        assert!(sealed_session::load(&config, &request).status().is_loaded());
        eprintln!(
            "{name}: {cookies} Set-Cookie, sealed value {} B, Cookie header {} B",
            session.encoded_len(),
            request[COOKIE].len()
        );
        g.bench_function(format!("save/{name}"), |b| {
            b.iter(|| save(black_box(&config), black_box(&session)))
        });
        g.bench_function(format!("load/{name}"), |b| {
            b.iter(|| sealed_session::load(black_box(&config), black_box(&request)))
        });
    }
    g.finish();
}

/// `CHUNKS_REPEAT=op:n`: runs `op` (`save-one`, `save-two`, `load-one`,
/// `load-two`) `n` times after the setup, for an instruction count.
fn repeat(spec: &str) {
    let (op, n) = spec.split_once(':').expect("op:n");
    let n: usize = n.parse().expect("a count");
    let split = op.ends_with("-two");
    let config = config(split);
    let session = session(&config);
    let request = request_for(&save(&config, &session));
    for _ in 0..n {
        if op.starts_with("save") {
            black_box(save(black_box(&config), black_box(&session)));
        } else {
            black_box(sealed_session::load(
                black_box(&config),
                black_box(&request),
            ));
        }
    }
}

criterion_group!(benches, chunks);

fn main() {
    if let Ok(spec) = std::env::var("CHUNKS_REPEAT") {
        repeat(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
