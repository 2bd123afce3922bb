//! The CSRF defences per request, against what every request already pays
//! for its session (`load` of the small fixture's cookie), measured in the
//! same run: the cross-origin check (the `Sec-Fetch-Site` path and the
//! `Origin`-against-`Host` path), issuing a masked token (OS randomness for
//! the pad) and verifying one.
//!
//! `cargo bench --bench csrf`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use sealed_session::csrf::{self, CrossOrigin};

mod fixtures;
use fixtures::{Fixture, Small};

fn csrf(c: &mut Criterion) {
    let config = fixtures::ours_config();
    let request = fixtures::request_for(&fixtures::ours_save(&config, &Small::build()));
    let mut session = sealed_session::load(&config, &request);
    let token = csrf::token(&mut session);
    assert_eq!(csrf::verify(&session, &token), Ok(()));

    let check = CrossOrigin::default();
    let fetch_site = Request::post("/cart")
        .header("host", "shop.example")
        .header("sec-fetch-site", "same-origin")
        .header("origin", "https://shop.example")
        .body(())
        .unwrap();
    let origin_only = Request::post("/cart")
        .header("host", "shop.example")
        .header("origin", "https://shop.example")
        .body(())
        .unwrap();
    assert_eq!(check.check(&fetch_site), Ok(()));
    assert_eq!(check.check(&origin_only), Ok(()));

    let mut g = c.benchmark_group("csrf");
    g.bench_function("baseline: load small session", |b| {
        b.iter(|| sealed_session::load(black_box(&config), black_box(&request)));
    });
    g.bench_function("cross-origin check (Sec-Fetch-Site)", |b| {
        b.iter(|| check.check(black_box(&fetch_site)));
    });
    g.bench_function("cross-origin check (Origin vs Host)", |b| {
        b.iter(|| check.check(black_box(&origin_only)));
    });
    g.bench_function("token", |b| b.iter(|| csrf::token(black_box(&mut session))));
    g.bench_function("verify", |b| {
        b.iter(|| csrf::verify(black_box(&session), black_box(&token)));
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = fixtures::criterion_config();
    targets = csrf
}
criterion_main!(benches);
