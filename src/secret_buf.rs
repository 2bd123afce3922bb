//! A byte buffer that held session plaintext, wiped (its whole capacity)
//! when dropped or cleared.
//!
//! `zeroize::Zeroizing<Vec<u8>>` gives the same guarantee, but `zeroize`
//! writes one volatile byte at a time: on a save or load of a small session
//! that loop was the largest single cost after the cipher (about 800
//! instructions for a 256-byte buffer, BENCHMARKS.md). Here the bytes are
//! zeroed by `memset` and then kept alive with `zeroize::optimization_barrier`,
//! the crate's own documented way to stop the compiler from dropping writes
//! to memory that is about to be freed.

use std::ops::{Deref, DerefMut};

/// A `Vec<u8>` wiped on drop; derefs to the `Vec`.
#[derive(Clone, Default)]
pub(crate) struct SecretBuf(Vec<u8>);

impl SecretBuf {
    /// Takes over `bytes`; from now on they are wiped on drop.
    pub(crate) fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Zeroes every byte of the allocation, the spare capacity included,
    /// and empties the buffer (keeping the allocation).
    pub(crate) fn wipe(&mut self) {
        wipe(&mut self.0);
    }

    /// Frees the buffer without wiping it, for bytes that are no longer
    /// secret: a frame sealed in place holds only what the cookie sends
    /// (header, ciphertext, tag), and nothing was written past its length.
    /// On large sessions the wipe was about 5 % of a save's instructions
    /// (BENCHMARKS.md).
    pub(crate) fn release_public(mut self) {
        drop(std::mem::take(&mut self.0));
    }

    /// Puts `bytes` in place of the current contents, wiping those first.
    pub(crate) fn replace(&mut self, bytes: Vec<u8>) {
        self.wipe();
        self.0 = bytes;
    }
}

/// Zeroes `buf`'s whole allocation and leaves it empty.
fn wipe(buf: &mut Vec<u8>) {
    zero_capacity(buf);
    zeroize::optimization_barrier(buf.as_slice());
    buf.clear();
}

/// Fills the whole allocation with zeros, spare bytes included (a `remove`
/// or a cut-back `insert` may have left plaintext there), without
/// reallocating: `resize` from empty is one `memset`.
fn zero_capacity(buf: &mut Vec<u8>) {
    buf.clear();
    buf.resize(buf.capacity(), 0);
}

impl Deref for SecretBuf {
    type Target = Vec<u8>;

    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl DerefMut for SecretBuf {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

impl Drop for SecretBuf {
    fn drop(&mut self) {
        self.wipe();
    }
}

/// Secrets: never shown.
impl std::fmt::Debug for SecretBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBuf({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_capacity_zeroes_kept_and_cut_bytes_in_place() {
        let mut v = Vec::with_capacity(100);
        v.extend_from_slice(&[0xAB; 60]);
        v.truncate(10);
        let (ptr, cap) = (v.as_ptr(), v.capacity());
        zero_capacity(&mut v);
        assert_eq!((v.as_ptr(), v.len()), (ptr, cap));
        assert!(v.iter().all(|&b| b == 0));
    }

    #[test]
    fn wipe_empties_and_keeps_the_allocation() {
        let mut v = vec![0x5Au8; 32];
        let (ptr, cap) = (v.as_ptr(), v.capacity());
        wipe(&mut v);
        assert!(v.is_empty());
        assert_eq!((v.as_ptr(), v.capacity()), (ptr, cap));
    }

    #[test]
    fn replace_wipes_the_old_contents_and_debug_shows_no_bytes() {
        let mut s = SecretBuf::new(b"secret".to_vec());
        s.replace(b"new".to_vec());
        assert_eq!(&s[..], b"new");
        assert_eq!(format!("{s:?}"), "SecretBuf(3 bytes)");
        s.wipe();
        assert!(s.is_empty());
    }
}
