//! Typed values: the errors of storing and reading one, and the decoding of
//! a value slot (fingerprint, then postcard bytes) with its shape check.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::fingerprint;

/// A session value could not be stored or read back. Neither variant quotes
/// the value.
///
/// ```
/// use sealed_session::{Key, Keyring, SessionConfig, SessionError};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("name", "ada")?;
/// let wrong: Result<Option<u64>, SessionError> = session.get("name");
/// let error = wrong.unwrap_err();
/// assert!(error.to_string().contains("\"name\""));
/// assert!(!error.to_string().contains("ada"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value could not be serialised; the serialiser's reason is the
    /// [`source`](std::error::Error::source).
    #[error("cannot store session key {key:?} as {type_name}")]
    Encode {
        /// The session key.
        key: String,
        /// The Rust type that was given (`std::any::type_name`).
        type_name: &'static str,
        /// The serialiser's reason.
        #[source]
        source: CodecError,
    },
    /// The stored bytes are not the type asked for.
    #[error("session key {key:?} does not hold a {type_name}")]
    Decode {
        /// The session key.
        key: String,
        /// The Rust type that was asked for (`std::any::type_name`).
        type_name: &'static str,
        /// Bytes left over after a successful decode (a shorter type was
        /// asked for); 0 otherwise.
        trailing: usize,
        /// The deserialiser's reason, when it failed (none when the only
        /// fault is bytes left over).
        #[source]
        source: Option<CodecError>,
    },
    /// The stored value decoded as the type asked for, but its serde shape
    /// (primitive kinds, field and variant names) differs from the shape it
    /// was stored with: the type changed since it was written, and the value
    /// read would be wrong (a `u64` read as an `i64`, a renamed field).
    /// The value stays in place; [`Session::get_or_remove`](crate::Session::get_or_remove) drops it.
    #[error("session key {key:?} was stored with another shape than {expected}")]
    TypeMismatch {
        /// The session key.
        key: String,
        /// The Rust type that was asked for (`std::any::type_name`).
        expected: &'static str,
    },
}

/// The serialiser's reason behind a [`SessionError`]: a message that never
/// quotes the value. Opaque, so the codec's own error type is not part of
/// this crate's API.
///
/// ```
/// use std::error::Error as _;
/// use sealed_session::{Key, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(Key::generate())).build()?;
/// let mut session = sealed_session::load(&config, &http::Request::new(()));
/// session.insert("flag", &true)?;
/// let error = session.get::<String>("flag").unwrap_err();
/// // The codec's reason, if any, is the source: a message, never the bytes.
/// if let Some(cause) = error.source() {
///     assert!(!cause.to_string().is_empty());
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CodecError(pub(super) postcard::Error);

/// Decodes a value slot (fingerprint ‖ postcard bytes) as `T`, and checks
/// that the decoded value has the stored shape.
///
/// The shape is taken while decoding (one pass). Where that fingerprint is
/// not sure (an enum, or a struct whose field list holds aliases: names may
/// be shifted) or differs from the stored one (a field or variant named
/// otherwise by `Deserialize` than by `Serialize`), the decoded value is
/// fingerprinted as `insert` does, which decides: every value that loaded
/// before the one-pass fingerprint still loads, and a shifted name never
/// lets a value through. `T: Serialize` stays for that.
pub(super) fn decode_value<T: Serialize + DeserializeOwned>(
    key: &str,
    bytes: &[u8],
) -> Result<T, SessionError> {
    let mismatch = || SessionError::TypeMismatch {
        key: key.to_owned(),
        expected: std::any::type_name::<T>(),
    };
    // Too short to hold a fingerprint: not something `insert` wrote.
    let Some((stored, bytes)) = bytes.split_first_chunk::<{ fingerprint::LEN }>() else {
        return Err(mismatch());
    };
    match fingerprint::decode::<T>(bytes) {
        Ok((value, [], shape, sure))
            if (sure && shape == *stored) || fingerprint::of(&value) == *stored =>
        {
            Ok(value)
        }
        Ok((_, [], ..)) => Err(mismatch()),
        Ok((_, rest, ..)) => Err(SessionError::Decode {
            key: key.to_owned(),
            type_name: std::any::type_name::<T>(),
            trailing: rest.len(),
            source: None,
        }),
        Err(source) => Err(SessionError::Decode {
            key: key.to_owned(),
            type_name: std::any::type_name::<T>(),
            trailing: 0,
            source: Some(CodecError(source)),
        }),
    }
}

/// A postcard flavor that appends to a borrowed `Vec`.
pub(super) struct Append<'a>(pub(super) &'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Append<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.0.push(data);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(data);
        Ok(())
    }

    #[inline]
    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod typed_value_tests {
    use super::{SessionError, decode_value, fingerprint};

    fn slot<T: serde::Serialize>(value: &T) -> Vec<u8> {
        let mut bytes = fingerprint::of(value).to_vec();
        bytes.extend(postcard::to_allocvec(value).unwrap());
        bytes
    }

    #[test]
    fn a_slot_too_short_for_a_fingerprint_is_a_mismatch_not_a_panic() {
        for len in 0..fingerprint::LEN {
            let r = decode_value::<u8>("k", &[0; 4][..len]);
            assert!(
                matches!(r, Err(SessionError::TypeMismatch { ref key, expected: "u8" }) if key == "k"),
                "{len}: {r:?}"
            );
        }
        // `()` is zero postcard bytes: the fingerprint alone is a whole slot.
        assert_eq!(decode_value::<()>("k", &slot(&())), Ok(()));
    }

    #[test]
    fn the_slot_is_the_fingerprint_then_the_postcard_bytes() {
        let bytes = slot(&300u32);
        assert_eq!(decode_value::<u32>("k", &bytes), Ok(300));
        // Another stored fingerprint: a mismatch, though postcard decodes.
        let mut other = bytes.clone();
        other[..fingerprint::LEN].copy_from_slice(&fingerprint::of(&1u64));
        assert!(matches!(
            decode_value::<u32>("k", &other),
            Err(SessionError::TypeMismatch { .. })
        ));
        // Bytes left over stay a Decode error.
        let mut long = bytes;
        long.push(0);
        assert!(matches!(
            decode_value::<u32>("k", &long),
            Err(SessionError::Decode { trailing: 1, .. })
        ));
    }

    /// The one-pass fingerprint names fields as `Deserialize` lists them;
    /// where that differs from what `Serialize` wrote (an alias), the
    /// decoded value is fingerprinted as before: such values still load,
    /// and a changed shape is still refused.
    #[test]
    fn values_whose_deserialize_lists_other_names_still_load() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Aliased {
            #[serde(alias = "uid")]
            user_id: u64,
            name: String,
        }
        #[derive(serde::Serialize)]
        struct Signed {
            user_id: i64,
            name: String,
        }
        let value = Aliased {
            user_id: 7,
            name: "ada".into(),
        };
        let bytes = slot(&value);
        let one_pass = fingerprint::decode::<Aliased>(&bytes[fingerprint::LEN..])
            .unwrap()
            .2;
        assert_ne!(
            one_pass,
            bytes[..fingerprint::LEN],
            "not the fallback's case any more"
        );
        assert_eq!(decode_value::<Aliased>("k", &bytes), Ok(value));
        let other = slot(&Signed {
            user_id: 7,
            name: "ada".into(),
        });
        assert!(matches!(
            decode_value::<Aliased>("k", &other),
            Err(SessionError::TypeMismatch { .. })
        ));
    }

    /// An enum whose variant list holds an alias: the names after it are
    /// shifted, so the one-pass fingerprint of `New::Other(7)` names it
    /// `Two` (the second listed name), which is what `Old::Two(7)` stored.
    /// The decoded value is fingerprinted before it is let through: a
    /// mismatch, as before the one-pass fingerprint, not `Other(7)`.
    #[test]
    fn a_name_shifted_by_an_alias_never_lets_another_variant_through() {
        #[derive(serde::Serialize)]
        enum Old {
            One,
            Two(u32),
        }
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        enum New {
            #[serde(alias = "One")]
            Two,
            Other(u32),
        }
        let _ = Old::One;
        let stored = slot(&Old::Two(7));
        let (decoded, _, one_pass, sure) =
            fingerprint::decode::<New>(&stored[fingerprint::LEN..]).unwrap();
        assert_eq!(decoded, New::Other(7));
        assert_eq!(one_pass, stored[..fingerprint::LEN], "the shifted name");
        assert!(!sure);
        assert!(matches!(
            decode_value::<New>("k", &stored),
            Err(SessionError::TypeMismatch { .. })
        ));
        // Its own values load.
        assert_eq!(
            decode_value::<New>("k", &slot(&New::Other(7))),
            Ok(New::Other(7))
        );
        assert_eq!(decode_value::<New>("k", &slot(&New::Two)), Ok(New::Two));
    }

    /// The same for a struct: `y` after an aliased `x` is named `x` in one
    /// pass (the list is `["a", "x", "y"]`), which is what `Old`'s second
    /// field is called; reading `Old` as `New` would put `Old.x` in `New.y`.
    #[test]
    fn a_field_name_shifted_by_an_alias_never_lets_a_value_through() {
        #[derive(serde::Serialize)]
        struct Old {
            a: u64,
            x: u64,
        }
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct New {
            #[serde(alias = "a")]
            x: u64,
            y: u64,
        }
        let stored = slot(&Old { a: 1, x: 2 });
        let (_, _, one_pass, sure) =
            fingerprint::decode::<New>(&stored[fingerprint::LEN..]).unwrap();
        assert_eq!(one_pass, stored[..fingerprint::LEN], "the shifted name");
        assert!(!sure);
        assert!(matches!(
            decode_value::<New>("k", &stored),
            Err(SessionError::TypeMismatch { .. })
        ));
        let own = New { x: 1, y: 2 };
        assert_eq!(decode_value::<New>("k", &slot(&own)), Ok(own));
    }
}
