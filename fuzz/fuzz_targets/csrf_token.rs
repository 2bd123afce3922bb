//! The masked CSRF token's decoding. Input: `[position, byte, pad (32
//! bytes), submitted...]` (short inputs are padded with zeros; `submitted`
//! is read as UTF-8, lossily). Oracles:
//!
//! - `csrf::verify` never panics, and on any submitted string answers
//!   exactly what the documented format dictates: `Missing` when empty,
//!   `Malformed` unless it is 86 characters of unpadded base64url decoding
//!   to 64 bytes, then `NoSecret` for a session without a secret, else `Ok`
//!   exactly when `pad XOR masked` is the session's secret (`Mismatch`
//!   otherwise);
//! - a token written from the format with the input's pad, and one from
//!   `csrf::token`, verify; after replacing any one character of either (at
//!   `position`, by `byte`), they do not;
//! - a token verifies in no other session, and not after `csrf::renew`.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderMap;
use libfuzzer_sys::fuzz_target;
use sealed_session::Session;
use sealed_session::csrf::{self, TOKEN_LEN, TokenError};
use sealed_session_fuzz::{CSRF_SECRET, config, masked_token};

/// What `verify` must answer for `submitted` against a session holding
/// `secret` (or none), from the documented token format alone.
fn expected(submitted: &str, secret: Option<&[u8; 32]>) -> Result<(), TokenError> {
    if submitted.is_empty() {
        return Err(TokenError::Missing);
    }
    if submitted.len() != TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(submitted)
        .map_err(|_| TokenError::Malformed)?;
    if bytes.len() != 64 {
        return Err(TokenError::Malformed);
    }
    let secret = secret.ok_or(TokenError::NoSecret)?;
    let (pad, masked) = bytes.split_at(32);
    let unmasked: Vec<u8> = pad.iter().zip(masked).map(|(p, m)| p ^ m).collect();
    if unmasked == secret {
        Ok(())
    } else {
        Err(TokenError::Mismatch)
    }
}

fn session() -> Session {
    sealed_session::load(config(), &HeaderMap::new())
}

fn session_with_secret(secret: &[u8; 32]) -> Session {
    let mut session = session();
    session.insert(csrf::SESSION_KEY, secret).unwrap();
    session
}

/// `token` with the character at `position` (modulo its length) replaced
/// by `byte` read as a Latin-1 character, or by the next base64url
/// character when that is the same one.
fn flip(token: &str, position: u8, byte: u8) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let i = usize::from(position) % chars.len();
    let mut c = char::from(byte);
    if c == chars[i] {
        c = match c {
            'z' => '0',
            '9' => '-',
            '-' => '_',
            '_' => 'A',
            'Z' => 'a',
            other => char::from(u8::try_from(other).unwrap() + 1),
        };
    }
    chars[i] = c;
    chars.into_iter().collect()
}

fuzz_target!(|data: &[u8]| {
    let mut head = [0u8; 34];
    let n = data.len().min(34);
    head[..n].copy_from_slice(&data[..n]);
    let (position, byte) = (head[0], head[1]);
    let pad: [u8; 32] = head[2..].try_into().unwrap();
    let submitted = String::from_utf8_lossy(data.get(34..).unwrap_or_default());

    let other_secret = {
        let mut s = CSRF_SECRET;
        s[0] ^= 1;
        s
    };
    let ours = session_with_secret(&CSRF_SECRET);
    let other = session_with_secret(&other_secret);
    let fresh = session();
    // A value under the secret's key that is not a secret: as none.
    let mut garbled = session();
    garbled.insert(csrf::SESSION_KEY, &"not a secret").unwrap();

    // Any string: exactly what the format says, in every session.
    assert_eq!(
        csrf::verify(&ours, &submitted),
        expected(&submitted, Some(&CSRF_SECRET))
    );
    assert_eq!(
        csrf::verify(&other, &submitted),
        expected(&submitted, Some(&other_secret))
    );
    assert_eq!(csrf::verify(&fresh, &submitted), expected(&submitted, None));
    assert_eq!(
        csrf::verify(&garbled, &submitted),
        expected(&submitted, None)
    );

    // Any masking of the secret verifies; one changed character does not.
    let written = masked_token(&CSRF_SECRET, &pad);
    assert_eq!(written.len(), TOKEN_LEN);
    assert_eq!(csrf::verify(&ours, &written), Ok(()));
    assert_eq!(csrf::verify(&other, &written), Err(TokenError::Mismatch));
    assert_eq!(csrf::verify(&fresh, &written), Err(TokenError::NoSecret));
    let flipped = flip(&written, position, byte);
    assert_ne!(flipped, written);
    assert_ne!(csrf::verify(&ours, &flipped), Ok(()), "{flipped}");
    assert_eq!(
        csrf::verify(&ours, &flipped),
        expected(&flipped, Some(&CSRF_SECRET))
    );

    // The crate's own tokens: well-formed, each freshly masked, verifying
    // in their session only, and not after a renewal.
    let mut issuing = session_with_secret(&CSRF_SECRET);
    let issued = csrf::token(&mut issuing);
    assert_eq!(issued.len(), TOKEN_LEN);
    assert!(
        issued
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_ne!(csrf::token(&mut issuing), issued, "a mask was reused");
    assert_eq!(csrf::verify(&issuing, &issued), Ok(()));
    assert_eq!(csrf::verify(&ours, &issued), Ok(()), "same secret");
    assert_eq!(csrf::verify(&other, &issued), Err(TokenError::Mismatch));
    let flipped = flip(&issued, position, byte);
    assert_ne!(csrf::verify(&issuing, &flipped), Ok(()), "{flipped}");
    csrf::renew(&mut issuing);
    assert_eq!(csrf::verify(&issuing, &issued), Err(TokenError::Mismatch));
    let renewed = csrf::token(&mut issuing);
    assert_eq!(csrf::verify(&issuing, &renewed), Ok(()));
    assert_eq!(csrf::verify(&ours, &renewed), Err(TokenError::Mismatch));
});
