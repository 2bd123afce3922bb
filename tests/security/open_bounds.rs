//! `open` allocates at most a small multiple of its input, whatever the input.

use sealed_session::{Key, Keyring};

// Bytes allocated by a call on this thread (tests run in parallel): the
// binary's counting allocator, `crate::counting`.
use crate::counting::allocated_by;

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
