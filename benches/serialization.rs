//! postcard vs serde_json: encode and decode of each fixture as one typed
//! struct. Prints each fixture's encoded size in both formats first.
//!
//! `cargo bench --bench serialization`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

mod fixtures;
use fixtures::{Fixture, Large, Medium, Small};

fn sizes<F: Fixture>() {
    let data = F::build();
    let postcard = postcard::to_allocvec(&data).expect("postcard").len();
    let json = serde_json::to_vec(&data).expect("json").len();
    eprintln!(
        "{:<6}  postcard {postcard:>5} B   serde_json {json:>5} B   postcard/json {:.2}",
        F::NAME,
        postcard as f64 / json as f64
    );
}

fn bench<F: Fixture>(c: &mut Criterion) {
    let data = F::build();
    let pc = postcard::to_allocvec(&data).expect("postcard");
    let js = serde_json::to_vec(&data).expect("json");

    let mut g = c.benchmark_group(format!("encode-{}", F::NAME));
    g.bench_function("postcard", |b| {
        b.iter(|| postcard::to_allocvec(black_box(&data)).expect("postcard"))
    });
    g.bench_function("serde_json", |b| {
        b.iter(|| serde_json::to_vec(black_box(&data)).expect("json"))
    });
    g.finish();

    let mut g = c.benchmark_group(format!("decode-{}", F::NAME));
    g.bench_function("postcard", |b| {
        b.iter(|| postcard::from_bytes::<F>(black_box(&pc)).expect("postcard"))
    });
    g.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_slice::<F>(black_box(&js)).expect("json"))
    });
    g.finish();
}

fn serialization(c: &mut Criterion) {
    eprintln!("encoded size of each fixture as one struct:");
    sizes::<Small>();
    sizes::<Medium>();
    sizes::<Large>();
    bench::<Small>(c);
    bench::<Medium>(c);
    bench::<Large>(c);
}

criterion_group! {
    name = benches;
    config = fixtures::criterion_config();
    targets = serialization
}
criterion_main!(benches);
