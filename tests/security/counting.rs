//! The security binary's one counting global allocator, shared by
//! `adversarial` (bytes and allocation calls made by `load`) and
//! `open_bounds` (bytes made by `open`).
//!
//! The counters are thread-local, so the tests of every module of this
//! binary can run in parallel threads without disturbing each other's
//! counts: a measurement sees only what its own thread allocated.
//!
//! Bytes count every `alloc` (also `alloc_zeroed`, which `GlobalAlloc`
//! routes through `alloc`) by its size and every `realloc` by its new size;
//! calls count both. This is what each file's own allocator counted before
//! the binaries were merged.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static BYTES: Cell<usize> = const { Cell::new(0) };
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

// A global allocator needs an unsafe impl; this one only counts and then
// delegates to `System` (the library itself forbids unsafe code).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = BYTES.try_with(|b| b.set(b.get() + layout.size()));
        let _ = CALLS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = BYTES.try_with(|b| b.set(b.get() + new_size));
        let _ = CALLS.try_with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// What a call allocated on this thread: (its result, bytes, allocations).
pub fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let bytes = BYTES.with(Cell::get);
    let calls = CALLS.with(Cell::get);
    let r = f();
    (
        r,
        BYTES.with(Cell::get) - bytes,
        CALLS.with(Cell::get) - calls,
    )
}

/// The bytes a call allocated on this thread.
pub fn allocated_by(f: impl FnOnce()) -> usize {
    let ((), bytes, _) = allocations(f);
    bytes
}
