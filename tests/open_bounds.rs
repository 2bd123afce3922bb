//! `open` allocates at most a small multiple of its input, whatever the input.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sealed_session::{Key, Keyring};

struct Counting;

thread_local! {
    static BYTES: Cell<usize> = const { Cell::new(0) };
}

// A global allocator needs an unsafe impl; this one only counts and then
// delegates to `System` (the library itself forbids unsafe code).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = BYTES.try_with(|b| b.set(b.get() + layout.size()));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocated_by(f: impl FnOnce()) -> usize {
    let before = BYTES.with(Cell::get);
    f();
    BYTES.with(Cell::get) - before
}

#[test]
fn open_allocates_no_more_than_its_input() {
    let ring = Keyring::new(Key::from_bytes(&[1; 32]).unwrap());
    let valid = ring.seal("session", &[0u8; 3000]);
    let inputs = [
        String::new(),
        "A".repeat(60),
        "A".repeat(4000),
        "A".repeat(1 << 20),
        "\u{00e9}".repeat(3000),
        valid.clone(),
        valid[..valid.len() - 1].to_string(),
    ];
    for input in &inputs {
        let bytes = allocated_by(|| {
            let _ = ring.open("session", input);
        });
        assert!(
            bytes <= input.len().min(4096) + 64,
            "{bytes} bytes for a {}-byte input",
            input.len()
        );
    }
    // And a valid value of 4 KB allocates about 3 KB: once.
    let bytes = allocated_by(|| {
        ring.open("session", &valid).unwrap();
    });
    assert!(bytes <= valid.len(), "{bytes}");
    assert!(
        bytes >= 3000,
        "{bytes}: the plaintext has to live somewhere"
    );
}
