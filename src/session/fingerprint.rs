//! The serde shape fingerprint of a session value: 4 bytes stored in front of
//! each value's postcard bytes, so that a value read back as another type is
//! refused instead of silently misread (postcard is not self-describing).
//!
//! A value's *shape* is the set of its paths, each with the kind found there:
//!
//! - primitive kinds (`bool`, `i8`..`i128`, `u8`..`u128`, `f32`, `f64`,
//!   `char`, `str`, `bytes`, `unit`), `Option` as `none` / `some`;
//! - field names and their positions, variant names, tuple lengths;
//! - sequence and map structure: every element of a sequence sits at the
//!   same path (`[]`), every map key at `{key}`, every map value at `{value}`.
//!
//! Not in it: values (a sequence's length included), and the container's
//! Rust names. A newtype struct is its inner value, a unit struct is `()`,
//! and a tuple struct is a tuple of the same length, as postcard encodes
//! them alike; renaming `struct User` to `struct Account` keeps working,
//! renaming or reordering a field does not. A `Vec<u8>` is a sequence of
//! `u8` and `serde_bytes::ByteBuf` is `bytes`: different shapes, although
//! postcard writes the same bytes.
//!
//! Because the shape is a *set*, it does not depend on the order of map
//! entries or of sequence elements: a `HashMap<String, Enum>` decoded into a
//! fresh hasher iterates in another order, with its variants mixed
//! differently, and still has the same fingerprint.
//!
//! Each distinct entry (a 64-bit hash of its path and kind) is scrambled
//! and the results are added up, an order-free set hash that needs no
//! sorting; the sum is scrambled once more and truncated to 32 bits: a
//! change of shape goes undetected with a chance of 2^-32 (one in about
//! 4.3 billion) per value read.

use serde::ser::{self, Serialize};

/// Bytes of fingerprint in front of each stored value.
pub(crate) const LEN: usize = 4;

/// The fingerprint of `value`'s shape.
///
/// Never fails: if `value`'s `Serialize` errors midway, the paths seen so far
/// plus a marker are hashed, which is as deterministic as the `Serialize`
/// impl itself.
pub(crate) fn of<T: Serialize + ?Sized>(value: &T) -> [u8; LEN] {
    let mut shapes = Shapes::new();
    if value
        .serialize(Walker {
            path: SEED,
            shapes: &mut shapes,
        })
        .is_err()
    {
        shapes.insert(word(SEED, kind::FAILED, 0));
    }
    shapes.finish()
}

// The hash is written out rather than taken from a crate: it must be
// stable across platforms and Rust releases (std's `DefaultHasher` is not,
// and `Hasher::write_u64` uses native byte order), and it is a few lines.
// `get` runs it on every value it reads, so it works a 64-bit word at a time
// (names as little-endian 8-byte words): a path step is one multiply (as
// FxHash), and only the entries of the set get the full avalanche of
// murmur3's 64-bit finaliser, once each.
const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// One path step: a bijection of `h` for a given `word`, so two paths that
/// share a prefix and differ in their last step always differ.
fn mix(h: u64, word: u64) -> u64 {
    (h ^ word).wrapping_mul(SEED).rotate_left(29)
}

/// murmur3's 64-bit finaliser: every output bit depends on every input bit.
fn avalanche(mut z: u64) -> u64 {
    z = (z ^ (z >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    z = (z ^ (z >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    z ^ (z >> 33)
}

/// A path step or a node kind with a number (a position, a tuple length):
/// the tag in the low byte, the number above it.
fn word(h: u64, tag: u8, n: u64) -> u64 {
    mix(h, u64::from(tag) | (n << 8))
}

/// A step or kind with a name (a field, a variant) and a number: one word
/// of tag, name length and number, then the name, zero-padded to whole
/// words (the length tells the padding from the name).
fn named(h: u64, tag: u8, n: u32, name: &str) -> u64 {
    let name = name.as_bytes();
    // Names are `&'static str` identifiers; a length past 2^24 would only
    // need to stay deterministic, which the mask keeps.
    let len = name.len() as u64 & 0xff_ffff;
    let mut h = mix(h, u64::from(tag) | (len << 8) | (u64::from(n) << 32));
    // Little-endian words, assembled by shifts: a `copy_from_slice` of the
    // short tail calls `memcpy`, which costs more than the hashing.
    let mut chunks = name.chunks_exact(8);
    for chunk in &mut chunks {
        let w = <[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes);
        h = mix(h, w);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let w = rest
            .iter()
            .rev()
            .fold(0u64, |w, &b| (w << 8) | u64::from(b));
        h = mix(h, w);
    }
    h
}

/// Node kinds; the numbers only need to be distinct and never change.
mod kind {
    pub(super) const BOOL: u8 = 1;
    pub(super) const I8: u8 = 2;
    pub(super) const I16: u8 = 3;
    pub(super) const I32: u8 = 4;
    pub(super) const I64: u8 = 5;
    pub(super) const I128: u8 = 6;
    pub(super) const U8: u8 = 7;
    pub(super) const U16: u8 = 8;
    pub(super) const U32: u8 = 9;
    pub(super) const U64: u8 = 10;
    pub(super) const U128: u8 = 11;
    pub(super) const F32: u8 = 12;
    pub(super) const F64: u8 = 13;
    pub(super) const CHAR: u8 = 14;
    pub(super) const STR: u8 = 15;
    pub(super) const BYTES: u8 = 16;
    pub(super) const NONE: u8 = 17;
    pub(super) const SOME: u8 = 18;
    pub(super) const UNIT: u8 = 19;
    pub(super) const SEQ: u8 = 20;
    pub(super) const TUPLE: u8 = 21;
    pub(super) const MAP: u8 = 22;
    pub(super) const STRUCT: u8 = 23;
    pub(super) const UNIT_VARIANT: u8 = 24;
    pub(super) const NEWTYPE_VARIANT: u8 = 25;
    pub(super) const TUPLE_VARIANT: u8 = 26;
    pub(super) const STRUCT_VARIANT: u8 = 27;
    pub(super) const FAILED: u8 = 28;
}

/// Path steps, distinct from the kinds so a step never reads as a kind.
mod step {
    pub(super) const SOME: u8 = 101;
    pub(super) const ELEMENT: u8 = 102;
    pub(super) const INDEX: u8 = 103;
    pub(super) const KEY: u8 = 104;
    pub(super) const VALUE: u8 = 105;
    pub(super) const FIELD: u8 = 106;
    pub(super) const VARIANT: u8 = 107;
}

/// Slots of the inline table (a power of two): room for 12 distinct
/// entries, as many as typical session values have (a `Vec` of a
/// three-field struct has 5); larger shapes move to the heap.
const INLINE: usize = 16;

/// The set of `path -> kind` entries: an open-addressing hash set (0 marks a
/// free slot), so a path that repeats (every element of a sequence repeats
/// its element paths) counts once, and the running sum of the distinct
/// entries, scrambled, which does not depend on the order of insertion.
struct Shapes {
    /// Field paths computed lately, by field position: every element of a
    /// sequence of structs asks for the same ones.
    fields: [FieldPath; FIELD_CACHE],
    inline: [u64; INLINE],
    /// Used instead of `inline` once that is three-quarters full.
    heap: Vec<u64>,
    len: u64,
    sum: u64,
}

impl Shapes {
    fn new() -> Self {
        Self {
            fields: [FieldPath::default(); FIELD_CACHE],
            inline: [0; INLINE],
            heap: Vec::new(),
            len: 0,
            sum: 0,
        }
    }

    #[inline]
    fn insert(&mut self, entry: u64) {
        // 0 marks a free slot: an entry of 0 becomes 1 (merging the two is
        // a 2^-64 event).
        let entry = entry.max(1);
        let table: &mut [u64] = if self.heap.is_empty() {
            &mut self.inline
        } else {
            &mut self.heap
        };
        if !place(table, entry) {
            return;
        }
        self.len += 1;
        self.sum = self.sum.wrapping_add(avalanche(entry));
        if self.len as usize * 4 >= table.len() * 3 {
            self.grow();
        }
    }

    /// [`named`] for a struct field, remembered: the key is the name's
    /// address (within one walk, the same `&'static str` is the same name;
    /// the result depends only on its content), its parent and position.
    #[inline]
    fn field_path(&mut self, parent: u64, index: u32, name: &'static str) -> u64 {
        let slot = &mut self.fields[index as usize % FIELD_CACHE];
        let key = (parent, index, name.as_ptr() as usize, name.len());
        if slot.key == Some(key) {
            return slot.path;
        }
        let path = named(parent, step::FIELD, index, name);
        *slot = FieldPath {
            key: Some(key),
            path,
        };
        path
    }

    fn grow(&mut self) {
        let old = if self.heap.is_empty() {
            self.inline.to_vec()
        } else {
            std::mem::take(&mut self.heap)
        };
        let mut table = vec![0; old.len() * 2];
        for &e in old.iter().filter(|&&e| e != 0) {
            place(&mut table, e);
        }
        self.heap = table;
    }

    fn finish(&self) -> [u8; LEN] {
        let [a, b, c, d, ..] = avalanche(self.sum ^ avalanche(self.len)).to_le_bytes();
        [a, b, c, d]
    }
}

/// Field positions remembered by [`Shapes::field_path`].
const FIELD_CACHE: usize = 8;

/// A remembered field path: (parent, position, name address, name length).
#[derive(Clone, Copy, Default)]
struct FieldPath {
    key: Option<(u64, u32, usize, usize)>,
    path: u64,
}

/// Puts `entry` in a table whose length is a power of two with a free slot;
/// false if it was there already.
#[inline]
fn place(table: &mut [u64], entry: u64) -> bool {
    let mask = table.len() - 1;
    // The high bits of a step are the well-mixed ones.
    let mut i = (entry >> 40) as usize & mask;
    loop {
        match table[i] {
            0 => {
                table[i] = entry;
                return true;
            }
            e if e == entry => return false,
            _ => i = (i + 1) & mask,
        }
    }
}

/// The error of a value whose own `Serialize` failed; never shown.
#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the value's Serialize failed")
    }
}

impl std::error::Error for Failed {}

impl ser::Error for Failed {
    fn custom<M: std::fmt::Display>(_: M) -> Self {
        Failed
    }
}

/// Serialises one node at `path` into the shape set.
struct Walker<'a> {
    path: u64,
    shapes: &'a mut Shapes,
}

impl<'a> Walker<'a> {
    fn leaf(self, kind: u8) -> Result<(), Failed> {
        self.shapes.insert(word(self.path, kind, 0));
        Ok(())
    }

    /// Records `entry` (this node's kind, from its path) and returns the
    /// walker of its children, which hang at `child`.
    fn node(self, entry: u64, child: u64) -> Compound<'a> {
        self.shapes.insert(entry);
        Compound {
            path: child,
            index: 0,
            shapes: self.shapes,
        }
    }
}

/// A sequence, tuple, map, struct or variant being walked: `path` is where
/// its children hang, `index` counts positional children.
struct Compound<'a> {
    path: u64,
    index: u32,
    shapes: &'a mut Shapes,
}

impl Compound<'_> {
    fn child<T: Serialize + ?Sized>(&mut self, path: u64, value: &T) -> Result<(), Failed> {
        value.serialize(Walker {
            path,
            shapes: self.shapes,
        })
    }

    fn positional<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        let path = word(self.path, step::INDEX, u64::from(self.index));
        self.index = self.index.saturating_add(1);
        self.child(path, value)
    }

    fn named<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        let path = self.shapes.field_path(self.path, self.index, name);
        self.index = self.index.saturating_add(1);
        self.child(path, value)
    }
}

impl<'a> ser::Serializer for Walker<'a> {
    type Ok = ();
    type Error = Failed;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    // postcard is a compact format; types that serialise differently for
    // humans must be seen as postcard sees them.
    fn is_human_readable(&self) -> bool {
        false
    }

    fn serialize_bool(self, _: bool) -> Result<(), Failed> {
        self.leaf(kind::BOOL)
    }
    fn serialize_i8(self, _: i8) -> Result<(), Failed> {
        self.leaf(kind::I8)
    }
    fn serialize_i16(self, _: i16) -> Result<(), Failed> {
        self.leaf(kind::I16)
    }
    fn serialize_i32(self, _: i32) -> Result<(), Failed> {
        self.leaf(kind::I32)
    }
    fn serialize_i64(self, _: i64) -> Result<(), Failed> {
        self.leaf(kind::I64)
    }
    fn serialize_i128(self, _: i128) -> Result<(), Failed> {
        self.leaf(kind::I128)
    }
    fn serialize_u8(self, _: u8) -> Result<(), Failed> {
        self.leaf(kind::U8)
    }
    fn serialize_u16(self, _: u16) -> Result<(), Failed> {
        self.leaf(kind::U16)
    }
    fn serialize_u32(self, _: u32) -> Result<(), Failed> {
        self.leaf(kind::U32)
    }
    fn serialize_u64(self, _: u64) -> Result<(), Failed> {
        self.leaf(kind::U64)
    }
    fn serialize_u128(self, _: u128) -> Result<(), Failed> {
        self.leaf(kind::U128)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Failed> {
        self.leaf(kind::F32)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Failed> {
        self.leaf(kind::F64)
    }
    fn serialize_char(self, _: char) -> Result<(), Failed> {
        self.leaf(kind::CHAR)
    }
    fn serialize_str(self, _: &str) -> Result<(), Failed> {
        self.leaf(kind::STR)
    }
    // A string built from `Display` (serde's default allocates it first).
    fn collect_str<T: std::fmt::Display + ?Sized>(self, _: &T) -> Result<(), Failed> {
        self.leaf(kind::STR)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Failed> {
        self.leaf(kind::BYTES)
    }
    fn serialize_none(self) -> Result<(), Failed> {
        self.leaf(kind::NONE)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Failed> {
        let path = word(self.path, step::SOME, 0);
        {
            let entry = word(self.path, kind::SOME, 0);
            self.node(entry, path)
        }
        .child(path, value)
    }
    fn serialize_unit(self) -> Result<(), Failed> {
        self.leaf(kind::UNIT)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Failed> {
        self.leaf(kind::UNIT)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Failed> {
        self.shapes
            .insert(named(self.path, kind::UNIT_VARIANT, 0, variant));
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        let path = named(self.path, step::VARIANT, 0, variant);
        {
            let entry = named(self.path, kind::NEWTYPE_VARIANT, 0, variant);
            self.node(entry, path)
        }
        .child(path, value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Failed> {
        let path = word(self.path, step::ELEMENT, 0);
        Ok({
            let entry = word(self.path, kind::SEQ, 0);
            self.node(entry, path)
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Failed> {
        let path = self.path;
        Ok(self.node(word(path, kind::TUPLE, len as u64), path))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a>, Failed> {
        self.serialize_tuple(len)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Failed> {
        let path = named(self.path, step::VARIANT, 0, variant);
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        let entry = named(self.path, kind::TUPLE_VARIANT, len, variant);
        Ok(self.node(entry, path))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Failed> {
        let path = self.path;
        Ok(self.node(word(path, kind::MAP, 0), path))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Failed> {
        let path = self.path;
        Ok(self.node(word(path, kind::STRUCT, 0), path))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Failed> {
        let path = named(self.path, step::VARIANT, 0, variant);
        Ok({
            let entry = named(self.path, kind::STRUCT_VARIANT, 0, variant);
            self.node(entry, path)
        })
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        // Every element at the same path: the order of elements is a value.
        self.child(self.path, value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.positional(value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.positional(value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.positional(value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Failed> {
        self.child(word(self.path, step::KEY, 0), key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Failed> {
        self.child(word(self.path, step::VALUE, 0), value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.named(name, value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Failed;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), Failed> {
        self.named(name, value)
    }
    fn end(self) -> Result<(), Failed> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap, HashSet};

    use serde::Serialize;
    use serde::ser::{SerializeStruct, Serializer};

    use super::{LEN, of};

    #[derive(Serialize)]
    struct User {
        id: u64,
        name: String,
    }

    #[derive(Serialize)]
    struct Account {
        id: u64,
        name: String,
    }

    #[derive(Serialize)]
    struct Renamed {
        user_id: u64,
        name: String,
    }

    #[derive(Serialize)]
    struct Swapped {
        name: String,
        id: u64,
    }

    #[derive(Serialize)]
    struct Signed {
        id: i64,
        name: String,
    }

    #[derive(Serialize, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    enum Role {
        Guest,
        Member(u32),
        Admin { level: u8 },
        Pair(u8, bool),
    }

    #[derive(Serialize)]
    enum RoleRenamed {
        Visitor,
    }

    #[derive(Serialize)]
    struct UserId(u64);

    #[derive(Serialize)]
    struct Marker;

    #[derive(Serialize)]
    struct Point(i32, i32);

    #[test]
    fn primitive_kinds_are_all_distinct() {
        let all = [
            of(&true),
            of(&1i8),
            of(&1i16),
            of(&1i32),
            of(&1i64),
            of(&1i128),
            of(&1u8),
            of(&1u16),
            of(&1u32),
            of(&1u64),
            of(&1u128),
            of(&1f32),
            of(&1f64),
            of(&'a'),
            of("a"),
            of(serde_bytes::Bytes::new(b"a")),
            of(&()),
            of(&None::<u8>),
            of(&Some(1u8)),
            of(&vec![1u8]),
            of(&(1u8,)),
            of(&BTreeMap::from([(1u8, 1u8)])),
            of(&Role::Guest),
        ];
        let distinct: HashSet<[u8; LEN]> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len());
    }

    #[test]
    fn values_are_not_part_of_the_shape() {
        assert_eq!(of(&7u64), of(&u64::MAX));
        assert_eq!(of("a"), of("a much longer string"));
        assert_eq!(of(&vec![1u32]), of(&vec![5u32, 6, 7]));
        assert_eq!(of(&f64::NAN), of(&0.5f64));
    }

    #[test]
    fn the_container_name_is_not_part_of_the_shape() {
        let user = User {
            id: 42,
            name: "ada".into(),
        };
        let account = Account {
            id: 1,
            name: "bob".into(),
        };
        assert_eq!(of(&user), of(&account));
    }

    #[test]
    fn field_names_positions_and_kinds_are() {
        let user = of(&User {
            id: 42,
            name: "ada".into(),
        });
        assert_ne!(
            user,
            of(&Renamed {
                user_id: 42,
                name: "ada".into()
            })
        );
        assert_ne!(
            user,
            of(&Swapped {
                name: "ada".into(),
                id: 42
            })
        );
        assert_ne!(
            user,
            of(&Signed {
                id: 42,
                name: "ada".into()
            })
        );
    }

    #[test]
    fn wrappers_postcard_does_not_encode_are_transparent() {
        assert_eq!(of(&UserId(3)), of(&3u64));
        assert_eq!(of(&Marker), of(&()));
        assert_eq!(of(&Point(1, 2)), of(&(1i32, 2i32)));
        assert_eq!(of(&[1u8, 2]), of(&(1u8, 2u8)));
        assert_ne!(of(&(1u8, 2u8)), of(&(1u8, 2u8, 3u8)));
        assert_ne!(of(&(1u8, 2u16)), of(&(2u16, 1u8)));
    }

    #[test]
    fn options_and_variants() {
        assert_ne!(of(&Some(Some(1u8))), of(&Some(1u8)));
        assert_ne!(of(&Some(None::<u8>)), of(&None::<u8>));
        assert_ne!(of(&Role::Guest), of(&RoleRenamed::Visitor));
        assert_ne!(of(&Role::Member(1)), of(&Role::Guest));
        assert_ne!(of(&Role::Admin { level: 1 }), of(&Role::Member(1)));
        assert_ne!(of(&Role::Pair(1, true)), of(&Role::Member(1)));
        assert_eq!(of(&Role::Admin { level: 1 }), of(&Role::Admin { level: 9 }));
    }

    #[test]
    fn strings_bytes_and_byte_sequences_differ() {
        assert_ne!(of("ab"), of(&b"ab".to_vec()));
        assert_ne!(of(serde_bytes::Bytes::new(b"ab")), of(&b"ab".to_vec()));
        assert_ne!(of("ab"), of(serde_bytes::Bytes::new(b"ab")));
        assert_eq!(of("ab"), of(&String::from("ab")));
    }

    #[test]
    fn map_and_sequence_order_do_not_matter() {
        let roles = [
            Role::Guest,
            Role::Member(1),
            Role::Admin { level: 2 },
            Role::Pair(3, false),
        ];
        let sorted: BTreeMap<String, Role> = (0..40)
            .map(|i| (format!("k{i}"), roles[i % roles.len()].clone()))
            .collect();
        let hashed: HashMap<String, Role> = sorted.clone().into_iter().collect();
        assert_eq!(of(&sorted), of(&hashed));
        let forward: Vec<Role> = roles.to_vec();
        let backward: Vec<Role> = roles.iter().rev().cloned().collect();
        assert_eq!(of(&forward), of(&backward));
        let set: HashSet<Role> = roles.iter().cloned().collect();
        assert_eq!(of(&set), of(&forward));
        // But which variants occur is shape.
        assert_ne!(of(&forward), of(&roles[..2].to_vec()));
    }

    /// A struct with `n` fields named from a fixed list, to get more distinct
    /// paths than fit on the stack.
    struct Wide {
        names: &'static [&'static str],
        bump: Option<usize>,
    }

    impl Serialize for Wide {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Wide", self.names.len())?;
            for (i, name) in self.names.iter().enumerate() {
                if self.bump == Some(i) {
                    st.serialize_field(name, &1u16)?;
                } else {
                    st.serialize_field(name, &1u8)?;
                }
            }
            st.end()
        }
    }

    const NAMES: [&str; 50] = [
        "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b0", "b1", "b2", "b3", "b4",
        "b5", "b6", "b7", "b8", "b9", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9",
        "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "e0", "e1", "e2", "e3", "e4",
        "e5", "e6", "e7", "e8", "e9",
    ];

    #[test]
    fn large_shapes_spill_off_the_stack_and_still_compare() {
        let wide = |bump| Wide {
            names: &NAMES,
            bump,
        };
        assert_eq!(of(&wide(None)), of(&wide(None)));
        // A change at any position is seen, before and after the spill.
        for i in [0, 20, 31, 32, 49] {
            assert_ne!(of(&wide(None)), of(&wide(Some(i))), "field {i}");
        }
        let two = |a, b| vec![wide(a), wide(b)];
        assert_eq!(of(&two(Some(3), Some(40))), of(&two(Some(40), Some(3))));
    }

    /// Serialises as a struct with field `x` or field `y` (as an untagged
    /// enum would): both at the same path and position.
    struct XOrY(bool);

    impl Serialize for XOrY {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("XOrY", 1)?;
            st.serialize_field(if self.0 { "x" } else { "y" }, &1u8)?;
            st.end()
        }
    }

    #[test]
    fn remembered_field_paths_never_confuse_two_names_at_one_position() {
        let xy = of(&[XOrY(true), XOrY(false)][..]);
        assert_ne!(xy, of(&[XOrY(true), XOrY(true)][..]));
        assert_ne!(xy, of(&[XOrY(false), XOrY(false)][..]));
        assert_eq!(xy, of(&[XOrY(false), XOrY(true)][..]));
        assert_eq!(xy, of(&[XOrY(true), XOrY(false), XOrY(true)][..]));
    }

    struct Fails;

    impl Serialize for Fails {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut st = s.serialize_struct("Fails", 2)?;
            st.serialize_field("ok", &1u8)?;
            Err(serde::ser::Error::custom("no"))
        }
    }

    #[test]
    fn a_failing_serialize_has_a_stable_fingerprint_of_its_own() {
        assert_eq!(of(&Fails), of(&Fails));
        #[derive(Serialize)]
        struct Ok1 {
            ok: u8,
        }
        assert_ne!(of(&Fails), of(&Ok1 { ok: 1 }));
    }

    /// Stored cookies carry these bytes: a change to the hash or the walk
    /// turns every value of every live session into a `TypeMismatch`. The
    /// values are cross-checked by an independent implementation,
    /// `tools/fingerprint_golden.py`.
    #[test]
    fn fingerprints_are_frozen() {
        #[derive(Serialize)]
        struct Stamp {
            created_at_unix_seconds: i64,
        }
        let user = User {
            id: 42,
            name: "ada".into(),
        };
        let stamp = Stamp {
            created_at_unix_seconds: 0,
        };
        assert_eq!(of(&42u64), [133, 239, 205, 40]);
        assert_eq!(of("ada"), [249, 32, 47, 227]);
        assert_eq!(of(&user), [166, 66, 67, 179]);
        assert_eq!(of(&stamp), [108, 252, 128, 209]);
    }
}
