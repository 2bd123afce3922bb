//! A session's round trip through a cookie, per fixture: ours vs two
//! baselines (actix-session's cookie store; axum-extra's `PrivateCookieJar`
//! with serde_json) vs two floors (bare XAES-256-GCM over postcard, nonce
//! from user space or from the OS); key rotation (1 key vs 16); nonce
//! generation (OS vs user space).
//!
//! `cargo bench --bench sessions` then `python3 benches/report.py` for the
//! ratios of one run (see BENCHMARKS.md).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{RngCore, SeedableRng};

mod fixtures;
use fixtures::{Fixture, Floor, Large, Medium, Small};

fn round_trip<F: Fixture>(c: &mut Criterion) {
    let data = F::build();
    let config = fixtures::ours_config();
    let key = fixtures::baseline_key();
    let floor = Floor::user_space();
    let floor_os = Floor::os();

    // Inputs for the load side, and a check that every contender round-trips
    // (the large fixture must still fit our 4,093-byte limit: `ours_save`
    // panics on `TooLarge`).
    let ours_response = fixtures::ours_save(&config, &data);
    let ours_request = fixtures::request_for(&ours_response);
    assert_eq!(fixtures::ours_load::<F>(&config, &ours_request), data);
    let baseline_request = fixtures::request_for(&fixtures::baseline_save(&key, &data));
    assert_eq!(fixtures::baseline_load::<F>(&key, &baseline_request), data);
    let jar_request = fixtures::request_for(&fixtures::jar_save(&key, &data));
    assert_eq!(fixtures::jar_load::<F>(&key, &jar_request), data);
    let plaintext = fixtures::ours_plaintext(&config, &ours_response);
    let aead_value = floor_os.seal(&plaintext);
    assert_eq!(floor_os.open(&aead_value), plaintext);
    let floor_value = floor.seal_typed(&data);
    assert_eq!(floor.open_typed::<F>(&floor_value), data);
    assert_eq!(floor.open_typed::<F>(&floor_os.seal_typed(&data)), data);
    eprintln!(
        "{:<6}  cookie value: ours {} B, baseline {} B, jar {} B, floor {} B; plaintext {} B",
        F::NAME,
        fixtures::cookie_value(&ours_response).len(),
        fixtures::cookie_value(&fixtures::baseline_save(&key, &data)).len(),
        fixtures::cookie_value(&fixtures::jar_save(&key, &data)).len(),
        floor_value.len(),
        plaintext.len(),
    );

    let mut g = c.benchmark_group(format!("save-{}", F::NAME));
    g.bench_function("ours", |b| {
        b.iter(|| fixtures::ours_save(black_box(&config), black_box(&data)))
    });
    g.bench_function("baseline", |b| {
        b.iter(|| fixtures::baseline_save(black_box(&key), black_box(&data)))
    });
    g.bench_function("jar", |b| {
        b.iter(|| fixtures::jar_save(black_box(&key), black_box(&data)))
    });
    g.bench_function("floor", |b| b.iter(|| floor.seal_typed(black_box(&data))));
    g.bench_function("floor-os", |b| {
        b.iter(|| floor_os.seal_typed(black_box(&data)))
    });
    g.bench_function("aead-only", |b| {
        b.iter(|| floor_os.seal(black_box(&plaintext)))
    });
    g.finish();

    // Opening needs no nonce: `floor` is also `floor-os` here.
    let mut g = c.benchmark_group(format!("load-{}", F::NAME));
    g.bench_function("ours", |b| {
        b.iter(|| fixtures::ours_load::<F>(black_box(&config), black_box(&ours_request)))
    });
    g.bench_function("baseline", |b| {
        b.iter(|| fixtures::baseline_load::<F>(black_box(&key), black_box(&baseline_request)))
    });
    g.bench_function("jar", |b| {
        b.iter(|| fixtures::jar_load::<F>(black_box(&key), black_box(&jar_request)))
    });
    g.bench_function("floor", |b| {
        b.iter(|| floor.open_typed::<F>(black_box(&floor_value)))
    });
    g.bench_function("aead-only", |b| {
        b.iter(|| floor_os.open(black_box(&aead_value)))
    });
    // The part of `ours` that the type fingerprints add (issue 11): `ours`
    // minus this is a load whose `get`s only decode.
    g.bench_function("fingerprints", |b| {
        b.iter(|| black_box(&data).fingerprints())
    });
    g.finish();
}

/// `load` alone (no `get`), with the cookie sealed by the oldest key of the
/// ring: 1 key vs 16.
fn rotation<F: Fixture>(c: &mut Criterion) {
    let data = F::build();
    let mut g = c.benchmark_group(format!("rotation-{}", F::NAME));
    for n in [1, 16] {
        let (config, request) = fixtures::rotation_setup(n, &data);
        let status = sealed_session::load(&config, &request).status();
        assert!(status.is_loaded(), "{n} keys: {status:?}");
        g.bench_function(format!("{n}-keys"), |b| {
            b.iter(|| sealed_session::load(black_box(&config), black_box(&request)))
        });
    }
    g.finish();
}

/// 24 nonce bytes: the OS (what `seal` does) vs user-space CSPRNGs.
fn nonce(c: &mut Criterion) {
    let mut g = c.benchmark_group("nonce");
    g.bench_function("getrandom", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            getrandom::fill(&mut nonce).expect("OS randomness");
            nonce
        })
    });
    g.bench_function("thread_rng", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            rand::rng().fill_bytes(&mut nonce);
            nonce
        })
    });
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("OS randomness");
    let mut chacha = rand_chacha::ChaCha20Rng::from_seed(seed);
    g.bench_function("chacha20_owned", |b| {
        b.iter(|| {
            let mut nonce = [0u8; 24];
            chacha.fill_bytes(&mut nonce);
            nonce
        })
    });
    g.finish();
}

fn sessions(c: &mut Criterion) {
    round_trip::<Small>(c);
    round_trip::<Medium>(c);
    round_trip::<Large>(c);
    rotation::<Small>(c);
    rotation::<Medium>(c);
    rotation::<Large>(c);
    nonce(c);
}

criterion_group! {
    name = benches;
    config = fixtures::criterion_config();
    targets = sessions
}
criterion_main!(benches);
