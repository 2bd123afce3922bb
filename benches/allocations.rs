//! Heap allocations per `save` and per `load`, counted by a global
//! allocator: ours vs the actix-session/axum-extra baseline vs the floor,
//! with ours split into its steps. Prints a markdown table.
//!
//! `cargo bench --bench allocations`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use http::HeaderMap;

mod fixtures;
use fixtures::{Fixture, Floor, Large, Medium, Small};

/// Counts calls and requested bytes, then defers to the system allocator.
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);
static REALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments,
// which satisfy `GlobalAlloc`'s contract; the counters are atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        REALLOCS.fetch_add(1, Relaxed);
        BYTES.fetch_add(new_size.saturating_sub(layout.size()) as u64, Relaxed);
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RUNS: u64 = 64;

/// Average (allocs, reallocs, bytes) of one call of `f`, after one warm-up
/// call (lazy statics, thread-locals).
fn count<R>(mut f: impl FnMut() -> R) -> (f64, f64, f64) {
    drop(black_box(f()));
    let (a0, r0, b0) = (
        ALLOCS.load(Relaxed),
        REALLOCS.load(Relaxed),
        BYTES.load(Relaxed),
    );
    for _ in 0..RUNS {
        drop(black_box(f()));
    }
    let per = |now: u64, before: u64| (now - before) as f64 / RUNS as f64;
    (
        per(ALLOCS.load(Relaxed), a0),
        per(REALLOCS.load(Relaxed), r0),
        per(BYTES.load(Relaxed), b0),
    )
}

fn row(fixture: &str, op: &str, who: &str, (allocs, reallocs, bytes): (f64, f64, f64)) {
    println!("| {fixture} | {op} | {who} | {allocs:.0} | {reallocs:.0} | {bytes:.0} |");
}

fn fixture<F: Fixture>() {
    let data = F::build();
    let config = fixtures::ours_config();
    let key = fixtures::baseline_key();
    let floor = Floor::new();
    let name = F::NAME;

    let response = fixtures::ours_save(&config, &data);
    let request = fixtures::request_for(&response);
    let baseline_request = fixtures::request_for(&fixtures::baseline_save(&key, &data));
    let plaintext = fixtures::ours_plaintext(&config, &response);
    let floor_value = floor.seal(&plaintext);
    let floor_typed_value = floor.seal_typed(&data);

    // save
    row(
        name,
        "save",
        "**ours**",
        count(|| fixtures::ours_save(&config, &data)),
    );
    row(
        name,
        "save",
        "ours: load empty + insert",
        count(|| {
            let mut session = sealed_session::load(&config, &HeaderMap::new());
            data.insert_into(&mut session);
            session
        }),
    );
    let mut session = sealed_session::load(&config, &HeaderMap::new());
    data.insert_into(&mut session);
    row(
        name,
        "save",
        "ours: `save` alone",
        count(|| {
            let mut headers = HeaderMap::new();
            sealed_session::save(&config, &session, &mut headers).expect("save");
            headers
        }),
    );
    row(
        name,
        "save",
        "baseline",
        count(|| fixtures::baseline_save(&key, &data)),
    );
    row(name, "save", "floor", count(|| floor.seal(&plaintext)));
    row(
        name,
        "save",
        "floor-typed",
        count(|| floor.seal_typed(&data)),
    );

    // load
    row(
        name,
        "load",
        "**ours**",
        count(|| fixtures::ours_load::<F>(&config, &request)),
    );
    row(
        name,
        "load",
        "ours: `load` alone",
        count(|| sealed_session::load(&config, &request)),
    );
    let loaded = sealed_session::load(&config, &request);
    row(
        name,
        "load",
        "ours: `get` every key",
        count(|| F::read_from(&loaded)),
    );
    row(
        name,
        "load",
        "baseline",
        count(|| fixtures::baseline_load::<F>(&key, &baseline_request)),
    );
    row(name, "load", "floor", count(|| floor.open(&floor_value)));
    row(
        name,
        "load",
        "floor-typed",
        count(|| floor.open_typed::<F>(&floor_typed_value)),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` would too. Both
    // just print the table.
    println!("| fixture | op | contender | allocs | reallocs | bytes requested |");
    println!("|---|---|---|---:|---:|---:|");
    fixture::<Small>();
    fixture::<Medium>();
    fixture::<Large>();
}
