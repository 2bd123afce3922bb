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

use serde::de;
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
    /// Set when a name [`decode`] took from a `fields` or `variants` list
    /// may not be the one `Serialize` writes: an enum was read, or a struct
    /// read short of its field list (which then holds aliases).
    unsure: bool,
}

impl Shapes {
    fn new() -> Self {
        Self {
            fields: [FieldPath::default(); FIELD_CACHE],
            inline: [0; INLINE],
            heap: Vec::new(),
            len: 0,
            sum: 0,
            unsure: false,
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

// The same shape, computed while postcard deserialises the value: `get`
// then needs no second walk over what it decoded. `Reader` wraps postcard's
// `Deserializer` and records, at every `deserialize_*` call the value's own
// `Deserialize` makes, the entry the `Walker` above records at the matching
// `serialize_*` call: the same kinds, the same path steps, the same set.
//
// One thing the reading side cannot see is the names the writing side
// uses: fields and variants are named from the `fields` / `variants` lists
// handed to `deserialize_struct` / `deserialize_enum`, by position. For a
// derived type without aliases and with the same name for both directions
// those are the names `Serialize` writes. serde's derive lists aliases too
// (`#[serde(alias = "uid")]`, each variant's or field's names sorted), which
// shifts the positions after them: a struct shows it (fewer fields are read
// than listed), an enum does not (its index is all postcard stores). So the
// fingerprint is marked unsure for a struct read short of its list and for
// every enum, and `decode_value` then fingerprints the decoded value as
// before: a shifted name never lets a value through. A rename for one
// direction (`rename(deserialize = "b")`) names the field as the reader
// declares it, at a position that is certain.

/// Deserialises a `T` from the postcard `bytes` and computes the
/// fingerprint of its shape in the same pass; also returns the bytes left
/// over and whether the fingerprint is *sure*. It equals [`of`] of the
/// value for every type whose `Deserialize` asks for the kinds its
/// `Serialize` writes and names fields and variants as it does (every
/// derived type without aliases or direction-specific renames). It is not
/// sure when the value holds an enum or a struct read short of its field
/// list (aliases): its names may then be shifted, and only [`of`] decides.
///
/// # Errors
///
/// postcard's, as [`postcard::take_from_bytes`].
pub(crate) fn decode<'de, T: de::Deserialize<'de>>(
    bytes: &'de [u8],
) -> postcard::Result<(T, &'de [u8], [u8; LEN], bool)> {
    let mut shapes = Shapes::new();
    let mut postcard = postcard::Deserializer::from_bytes(bytes);
    let value = T::deserialize(Reader {
        inner: &mut postcard,
        path: SEED,
        shapes: &mut shapes,
    })?;
    let rest = postcard.finalize()?;
    let sure = !shapes.unsure;
    Ok((value, rest, shapes.finish(), sure))
}

/// Deserialises one node at `path`, recording its shape.
struct Reader<'s, D> {
    inner: D,
    path: u64,
    shapes: &'s mut Shapes,
}

impl<'s, D> Reader<'s, D> {
    /// The visitor of this node's contents, which hang at `path`.
    #[inline]
    fn visitor<V>(self, visitor: V, path: u64, node: Node) -> (D, Visit<'s, V>) {
        (
            self.inner,
            Visit {
                inner: visitor,
                path,
                node,
                shapes: self.shapes,
            },
        )
    }
}

/// A node whose children or variant only its visitor sees.
#[derive(Clone, Copy)]
enum Node {
    /// `none`, or `some` with the child at `path`.
    Option,
    /// A newtype struct: its inner value in its place.
    Newtype,
    /// A sequence, tuple or struct: elements at `path` by [`Children`].
    Seq(Children),
    /// A map: keys and values under `path`.
    Map,
    /// An enum with these variant names, by index.
    Enum(&'static [&'static str]),
}

/// Where the elements of a sequence-like node hang.
#[derive(Clone, Copy)]
enum Children {
    /// All at `path` (a sequence: the order of elements is a value).
    Same,
    /// At `path` + their position (a tuple).
    Positional,
    /// At `path` + position + name (a struct).
    Fields(&'static [&'static str]),
}

macro_rules! leaves {
    ($($method:ident => $kind:ident),* $(,)?) => {$(
        #[inline]
        fn $method<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.shapes.insert(word(self.path, kind::$kind, 0));
            self.inner.$method(visitor)
        }
    )*};
}

impl<'de, D: de::Deserializer<'de>> de::Deserializer<'de> for Reader<'_, D> {
    type Error = D::Error;

    #[inline]
    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }

    leaves! {
        deserialize_bool => BOOL,
        deserialize_i8 => I8,
        deserialize_i16 => I16,
        deserialize_i32 => I32,
        deserialize_i64 => I64,
        deserialize_i128 => I128,
        deserialize_u8 => U8,
        deserialize_u16 => U16,
        deserialize_u32 => U32,
        deserialize_u64 => U64,
        deserialize_u128 => U128,
        deserialize_f32 => F32,
        deserialize_f64 => F64,
        deserialize_char => CHAR,
        deserialize_str => STR,
        deserialize_string => STR,
        deserialize_bytes => BYTES,
        deserialize_byte_buf => BYTES,
        deserialize_unit => UNIT,
    }

    // postcard is not self-describing and refuses these; whatever it does,
    // there is no shape to record.
    #[inline]
    fn deserialize_any<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(visitor)
    }
    #[inline]
    fn deserialize_identifier<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_identifier(visitor)
    }
    #[inline]
    fn deserialize_ignored_any<V: de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.inner.deserialize_ignored_any(visitor)
    }

    #[inline]
    fn deserialize_unit_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::UNIT, 0));
        self.inner.deserialize_unit_struct(name, visitor)
    }

    #[inline]
    fn deserialize_option<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Option);
        inner.deserialize_option(visitor)
    }

    #[inline]
    fn deserialize_newtype_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Newtype);
        inner.deserialize_newtype_struct(name, visitor)
    }

    #[inline]
    fn deserialize_seq<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::SEQ, 0));
        let path = word(self.path, step::ELEMENT, 0);
        let (inner, visitor) = self.visitor(visitor, path, Node::Seq(Children::Same));
        inner.deserialize_seq(visitor)
    }

    #[inline]
    fn deserialize_tuple<V: de::Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::TUPLE, len as u64));
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Seq(Children::Positional));
        inner.deserialize_tuple(len, visitor)
    }

    #[inline]
    fn deserialize_tuple_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::TUPLE, len as u64));
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Seq(Children::Positional));
        inner.deserialize_tuple_struct(name, len, visitor)
    }

    #[inline]
    fn deserialize_map<V: de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::MAP, 0));
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Map);
        inner.deserialize_map(visitor)
    }

    #[inline]
    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::STRUCT, 0));
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Seq(Children::Fields(fields)));
        inner.deserialize_struct(name, fields, visitor)
    }

    #[inline]
    fn deserialize_enum<V: de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let path = self.path;
        let (inner, visitor) = self.visitor(visitor, path, Node::Enum(variants));
        inner.deserialize_enum(name, variants, visitor)
    }
}

/// The value's own visitor, given wrapped access to the node's contents.
struct Visit<'s, V> {
    inner: V,
    path: u64,
    node: Node,
    shapes: &'s mut Shapes,
}

impl<'de, V: de::Visitor<'de>> de::Visitor<'de> for Visit<'_, V> {
    type Value = V::Value;

    #[inline]
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.expecting(f)
    }

    #[inline]
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.shapes.insert(word(self.path, kind::NONE, 0));
        self.inner.visit_none()
    }

    #[inline]
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.shapes.insert(word(self.path, kind::SOME, 0));
        self.inner.visit_some(Reader {
            inner: d,
            path: word(self.path, step::SOME, 0),
            shapes: self.shapes,
        })
    }

    #[inline]
    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Reader {
            inner: d,
            path: self.path,
            shapes: self.shapes,
        })
    }

    #[inline]
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        let children = match self.node {
            Node::Seq(children) => children,
            // Not a sequence-like node: postcard never gets here.
            _ => Children::Same,
        };
        self.inner.visit_seq(Elements {
            inner: seq,
            path: self.path,
            index: 0,
            children,
            shapes: self.shapes,
        })
    }

    #[inline]
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Entries {
            inner: map,
            key: word(self.path, step::KEY, 0),
            value: word(self.path, step::VALUE, 0),
            shapes: self.shapes,
        })
    }

    #[inline]
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        let variants = match self.node {
            Node::Enum(variants) => variants,
            _ => &[],
        };
        // The list may hold aliases before the variant read (see above).
        self.shapes.unsure = true;
        self.inner.visit_enum(Variant {
            inner: data,
            path: self.path,
            variants,
            shapes: self.shapes,
        })
    }
}

/// One child at `path`: what a wrapped access hands the value's seeds.
struct Child<'s, T> {
    inner: T,
    path: u64,
    shapes: &'s mut Shapes,
}

impl<'de, T: de::DeserializeSeed<'de>> de::DeserializeSeed<'de> for Child<'_, T> {
    type Value = T::Value;

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.inner.deserialize(Reader {
            inner: d,
            path: self.path,
            shapes: self.shapes,
        })
    }
}

/// The elements of a sequence, tuple or struct.
struct Elements<'s, A> {
    inner: A,
    path: u64,
    index: u32,
    children: Children,
    shapes: &'s mut Shapes,
}

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Elements<'_, A> {
    type Error = A::Error;

    #[inline]
    fn next_element_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        let path = match self.children {
            Children::Same => self.path,
            Children::Positional => word(self.path, step::INDEX, u64::from(self.index)),
            // A position past the list: not a derived `Deserialize`; any
            // name gives a fingerprint, and a wrong one the fallback.
            Children::Fields(fields) => {
                let name = fields.get(self.index as usize).copied().unwrap_or("");
                self.shapes.field_path(self.path, self.index, name)
            }
        };
        self.index = self.index.saturating_add(1);
        self.inner.next_element_seed(Child {
            inner: seed,
            path,
            shapes: self.shapes,
        })
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// Checked once the value's visitor is done with the elements (it owns
/// them): a struct whose visitor asked for fewer fields than its list names
/// was read with a list that holds aliases.
impl<A> Drop for Elements<'_, A> {
    fn drop(&mut self) {
        if let Children::Fields(fields) = self.children {
            if self.index as usize != fields.len() {
                self.shapes.unsure = true;
            }
        }
    }
}

/// The entries of a map.
struct Entries<'s, A> {
    inner: A,
    key: u64,
    value: u64,
    shapes: &'s mut Shapes,
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Entries<'_, A> {
    type Error = A::Error;

    #[inline]
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Child {
            inner: seed,
            path: self.key,
            shapes: self.shapes,
        })
    }

    #[inline]
    fn next_value_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(Child {
            inner: seed,
            path: self.value,
            shapes: self.shapes,
        })
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// An enum before its variant is read.
struct Variant<'s, A> {
    inner: A,
    path: u64,
    variants: &'static [&'static str],
    shapes: &'s mut Shapes,
}

/// Reads the variant index for the value's own seed, keeping a copy.
struct Index<'a, T> {
    inner: T,
    index: &'a mut Option<u32>,
}

impl<'de, T: de::DeserializeSeed<'de>> de::DeserializeSeed<'de> for Index<'_, T> {
    type Value = T::Value;

    #[inline]
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        // postcard hands the variant's index as a `u32` deserializer.
        let index = <u32 as de::Deserialize>::deserialize(d)?;
        *self.index = Some(index);
        self.inner
            .deserialize(de::IntoDeserializer::<D::Error>::into_deserializer(index))
    }
}

impl<'de, 's, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Variant<'s, A> {
    type Error = A::Error;
    type Variant = Contents<'s, A::Variant>;

    #[inline]
    fn variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), A::Error> {
        let mut index = None;
        let (value, inner) = self.inner.variant_seed(Index {
            inner: seed,
            index: &mut index,
        })?;
        // An index past the list: not a derived `Deserialize` (whose own
        // seed refuses it); as for fields, the fallback decides.
        let name = index
            .and_then(|i| self.variants.get(i as usize))
            .copied()
            .unwrap_or("");
        Ok((
            value,
            Contents {
                inner,
                path: self.path,
                name,
                shapes: self.shapes,
            },
        ))
    }
}

/// The contents of the variant `name`.
struct Contents<'s, A> {
    inner: A,
    path: u64,
    name: &'static str,
    shapes: &'s mut Shapes,
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Contents<'_, A> {
    type Error = A::Error;

    #[inline]
    fn unit_variant(self) -> Result<(), A::Error> {
        self.shapes
            .insert(named(self.path, kind::UNIT_VARIANT, 0, self.name));
        self.inner.unit_variant()
    }

    #[inline]
    fn newtype_variant_seed<T: de::DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, A::Error> {
        self.shapes
            .insert(named(self.path, kind::NEWTYPE_VARIANT, 0, self.name));
        self.inner.newtype_variant_seed(Child {
            inner: seed,
            path: named(self.path, step::VARIANT, 0, self.name),
            shapes: self.shapes,
        })
    }

    #[inline]
    fn tuple_variant<V: de::Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let n = u32::try_from(len).unwrap_or(u32::MAX);
        self.shapes
            .insert(named(self.path, kind::TUPLE_VARIANT, n, self.name));
        self.inner.tuple_variant(
            len,
            Visit {
                inner: visitor,
                path: named(self.path, step::VARIANT, 0, self.name),
                node: Node::Seq(Children::Positional),
                shapes: self.shapes,
            },
        )
    }

    #[inline]
    fn struct_variant<V: de::Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.shapes
            .insert(named(self.path, kind::STRUCT_VARIANT, 0, self.name));
        self.inner.struct_variant(
            fields,
            Visit {
                inner: visitor,
                path: named(self.path, step::VARIANT, 0, self.name),
                node: Node::Seq(Children::Fields(fields)),
                shapes: self.shapes,
            },
        )
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

/// The one-pass fingerprint ([`decode`]) against the walk of the decoded
/// value ([`of`]), which is what stored cookies carry: on generated values
/// of every construct of serde's data model, nested, and on derived types.
#[cfg(test)]
mod one_pass_tests {
    use std::collections::{BTreeMap, HashMap};
    use std::fmt;

    use proptest::prelude::*;
    use serde::de::{
        self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
    };
    use serde::ser::{
        SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
        SerializeTupleStruct, SerializeTupleVariant, Serializer,
    };
    use serde::{Deserialize, Serialize};

    use super::{decode, of};

    /// Field and variant names, twice over: a node's names are a run of
    /// up to ten of them, all distinct.
    static NAMES: [&str; 20] = [
        "id",
        "name",
        "a",
        "b",
        "created_at_unix_seconds",
        "x",
        "Guest",
        "Member",
        "a_name_longer_than_sixteen_bytes",
        "",
        "id",
        "name",
        "a",
        "b",
        "created_at_unix_seconds",
        "x",
        "Guest",
        "Member",
        "a_name_longer_than_sixteen_bytes",
        "",
    ];

    fn names(start: usize, len: usize) -> &'static [&'static str] {
        let start = start % 10;
        &NAMES[start..start + len.min(10)]
    }

    /// A serde type, built at run time.
    #[derive(Clone, Debug)]
    enum Schema {
        Bool,
        I8,
        I16,
        I32,
        I64,
        I128,
        U8,
        U16,
        U32,
        U64,
        U128,
        F32,
        F64,
        Char,
        Str,
        Bytes,
        Unit,
        UnitStruct,
        Option(Box<Schema>),
        Newtype(Box<Schema>),
        Seq(Box<Schema>),
        Tuple(Vec<Schema>),
        TupleStruct(Vec<Schema>),
        Map(Box<Schema>, Box<Schema>),
        Struct(&'static [&'static str], Vec<Schema>),
        Enum(&'static [&'static str], Vec<VariantSchema>),
    }

    #[derive(Clone, Debug)]
    enum VariantSchema {
        Unit,
        Newtype(Schema),
        Tuple(Vec<Schema>),
        Struct(&'static [&'static str], Vec<Schema>),
    }

    /// A value of a [`Schema`]; names travel with it, for `Serialize`.
    #[derive(Clone, Debug)]
    enum Dyn {
        Bool(bool),
        I8(i8),
        I16(i16),
        I32(i32),
        I64(i64),
        I128(i128),
        U8(u8),
        U16(u16),
        U32(u32),
        U64(u64),
        U128(u128),
        F32(f32),
        F64(f64),
        Char(char),
        Str(String),
        Bytes(Vec<u8>),
        Unit,
        UnitStruct,
        None,
        Some(Box<Dyn>),
        Newtype(Box<Dyn>),
        Seq(Vec<Dyn>),
        Tuple(Vec<Dyn>),
        TupleStruct(Vec<Dyn>),
        Map(Vec<(Dyn, Dyn)>),
        Struct(&'static [&'static str], Vec<Dyn>),
        Variant(&'static [&'static str], u32, VariantDyn),
    }

    #[derive(Clone, Debug)]
    enum VariantDyn {
        Unit,
        Newtype(Box<Dyn>),
        Tuple(Vec<Dyn>),
        Struct(&'static [&'static str], Vec<Dyn>),
    }

    fn leaf_schema() -> impl Strategy<Value = Schema> {
        prop_oneof![
            Just(Schema::Bool),
            Just(Schema::I8),
            Just(Schema::I16),
            Just(Schema::I32),
            Just(Schema::I64),
            Just(Schema::I128),
            Just(Schema::U8),
            Just(Schema::U16),
            Just(Schema::U32),
            Just(Schema::U64),
            Just(Schema::U128),
            Just(Schema::F32),
            Just(Schema::F64),
            Just(Schema::Char),
            Just(Schema::Str),
            Just(Schema::Bytes),
            Just(Schema::Unit),
            Just(Schema::UnitStruct),
        ]
    }

    fn schema() -> impl Strategy<Value = Schema> {
        leaf_schema().prop_recursive(4, 32, 4, |inner| {
            let list = prop::collection::vec(inner.clone(), 0..4);
            let variant = prop_oneof![
                Just(VariantSchema::Unit),
                inner.clone().prop_map(VariantSchema::Newtype),
                list.clone().prop_map(VariantSchema::Tuple),
                (0..10usize, prop::collection::vec(inner.clone(), 0..4))
                    .prop_map(|(at, f)| VariantSchema::Struct(names(at, f.len()), f)),
            ];
            prop_oneof![
                inner.clone().prop_map(|s| Schema::Option(Box::new(s))),
                inner.clone().prop_map(|s| Schema::Newtype(Box::new(s))),
                inner.clone().prop_map(|s| Schema::Seq(Box::new(s))),
                list.clone().prop_map(Schema::Tuple),
                list.clone().prop_map(Schema::TupleStruct),
                (inner.clone(), inner.clone())
                    .prop_map(|(k, v)| Schema::Map(Box::new(k), Box::new(v))),
                // Field names from the list may repeat across positions,
                // and a struct may have fewer names than the list holds.
                (0..10usize, list).prop_map(|(at, f)| Schema::Struct(names(at, f.len()), f)),
                (0..10usize, prop::collection::vec(variant, 1..4))
                    .prop_map(|(at, v)| Schema::Enum(names(at, v.len()), v)),
            ]
        })
    }

    fn values(schema: &Schema) -> BoxedStrategy<Dyn> {
        let list = |items: &[Schema]| items.iter().map(values).collect::<Vec<_>>().boxed();
        match schema {
            Schema::Bool => any::<bool>().prop_map(Dyn::Bool).boxed(),
            Schema::I8 => any::<i8>().prop_map(Dyn::I8).boxed(),
            Schema::I16 => any::<i16>().prop_map(Dyn::I16).boxed(),
            Schema::I32 => any::<i32>().prop_map(Dyn::I32).boxed(),
            Schema::I64 => any::<i64>().prop_map(Dyn::I64).boxed(),
            Schema::I128 => any::<i128>().prop_map(Dyn::I128).boxed(),
            Schema::U8 => any::<u8>().prop_map(Dyn::U8).boxed(),
            Schema::U16 => any::<u16>().prop_map(Dyn::U16).boxed(),
            Schema::U32 => any::<u32>().prop_map(Dyn::U32).boxed(),
            Schema::U64 => any::<u64>().prop_map(Dyn::U64).boxed(),
            Schema::U128 => any::<u128>().prop_map(Dyn::U128).boxed(),
            Schema::F32 => any::<f32>().prop_map(Dyn::F32).boxed(),
            Schema::F64 => any::<f64>().prop_map(Dyn::F64).boxed(),
            Schema::Char => any::<char>().prop_map(Dyn::Char).boxed(),
            Schema::Str => ".{0,8}".prop_map(Dyn::Str).boxed(),
            Schema::Bytes => prop::collection::vec(any::<u8>(), 0..8)
                .prop_map(Dyn::Bytes)
                .boxed(),
            Schema::Unit => Just(Dyn::Unit).boxed(),
            Schema::UnitStruct => Just(Dyn::UnitStruct).boxed(),
            Schema::Option(s) => prop_oneof![
                Just(Dyn::None),
                values(s).prop_map(|v| Dyn::Some(Box::new(v))),
            ]
            .boxed(),
            Schema::Newtype(s) => values(s).prop_map(|v| Dyn::Newtype(Box::new(v))).boxed(),
            Schema::Seq(s) => prop::collection::vec(values(s), 0..4)
                .prop_map(Dyn::Seq)
                .boxed(),
            Schema::Tuple(items) => list(items).prop_map(Dyn::Tuple).boxed(),
            Schema::TupleStruct(items) => list(items).prop_map(Dyn::TupleStruct).boxed(),
            Schema::Map(k, v) => prop::collection::vec((values(k), values(v)), 0..4)
                .prop_map(Dyn::Map)
                .boxed(),
            Schema::Struct(fields, items) => {
                let fields = *fields;
                list(items)
                    .prop_map(move |v| Dyn::Struct(fields, v))
                    .boxed()
            }
            Schema::Enum(names, variants) => {
                let names = *names;
                let choices: Vec<BoxedStrategy<Dyn>> = variants
                    .iter()
                    .enumerate()
                    .map(|(i, variant)| {
                        let i = i as u32;
                        match variant {
                            VariantSchema::Unit => {
                                Just(Dyn::Variant(names, i, VariantDyn::Unit)).boxed()
                            }
                            VariantSchema::Newtype(s) => values(s)
                                .prop_map(move |v| {
                                    Dyn::Variant(names, i, VariantDyn::Newtype(Box::new(v)))
                                })
                                .boxed(),
                            VariantSchema::Tuple(items) => list(items)
                                .prop_map(move |v| Dyn::Variant(names, i, VariantDyn::Tuple(v)))
                                .boxed(),
                            VariantSchema::Struct(fields, items) => {
                                let fields = *fields;
                                list(items)
                                    .prop_map(move |v| {
                                        Dyn::Variant(names, i, VariantDyn::Struct(fields, v))
                                    })
                                    .boxed()
                            }
                        }
                    })
                    .collect();
                proptest::strategy::Union::new(choices).boxed()
            }
        }
    }

    impl Serialize for Dyn {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                Dyn::Bool(v) => s.serialize_bool(*v),
                Dyn::I8(v) => s.serialize_i8(*v),
                Dyn::I16(v) => s.serialize_i16(*v),
                Dyn::I32(v) => s.serialize_i32(*v),
                Dyn::I64(v) => s.serialize_i64(*v),
                Dyn::I128(v) => s.serialize_i128(*v),
                Dyn::U8(v) => s.serialize_u8(*v),
                Dyn::U16(v) => s.serialize_u16(*v),
                Dyn::U32(v) => s.serialize_u32(*v),
                Dyn::U64(v) => s.serialize_u64(*v),
                Dyn::U128(v) => s.serialize_u128(*v),
                Dyn::F32(v) => s.serialize_f32(*v),
                Dyn::F64(v) => s.serialize_f64(*v),
                Dyn::Char(v) => s.serialize_char(*v),
                Dyn::Str(v) => s.serialize_str(v),
                Dyn::Bytes(v) => s.serialize_bytes(v),
                Dyn::Unit => s.serialize_unit(),
                Dyn::UnitStruct => s.serialize_unit_struct("U"),
                Dyn::None => s.serialize_none(),
                Dyn::Some(v) => s.serialize_some(v),
                Dyn::Newtype(v) => s.serialize_newtype_struct("N", v),
                Dyn::Seq(items) => {
                    let mut seq = s.serialize_seq(Some(items.len()))?;
                    for item in items {
                        seq.serialize_element(item)?;
                    }
                    seq.end()
                }
                Dyn::Tuple(items) => {
                    let mut t = s.serialize_tuple(items.len())?;
                    for item in items {
                        t.serialize_element(item)?;
                    }
                    t.end()
                }
                Dyn::TupleStruct(items) => {
                    let mut t = s.serialize_tuple_struct("T", items.len())?;
                    for item in items {
                        t.serialize_field(item)?;
                    }
                    t.end()
                }
                Dyn::Map(entries) => {
                    let mut m = s.serialize_map(Some(entries.len()))?;
                    for (k, v) in entries {
                        m.serialize_entry(k, v)?;
                    }
                    m.end()
                }
                Dyn::Struct(fields, items) => {
                    let mut st = s.serialize_struct("S", items.len())?;
                    for (name, item) in fields.iter().zip(items) {
                        st.serialize_field(name, item)?;
                    }
                    st.end()
                }
                Dyn::Variant(names, i, contents) => {
                    let name = names[*i as usize];
                    match contents {
                        VariantDyn::Unit => s.serialize_unit_variant("E", *i, name),
                        VariantDyn::Newtype(v) => s.serialize_newtype_variant("E", *i, name, v),
                        VariantDyn::Tuple(items) => {
                            let mut t = s.serialize_tuple_variant("E", *i, name, items.len())?;
                            for item in items {
                                t.serialize_field(item)?;
                            }
                            t.end()
                        }
                        VariantDyn::Struct(fields, items) => {
                            let mut st = s.serialize_struct_variant("E", *i, name, items.len())?;
                            for (field, item) in fields.iter().zip(items) {
                                st.serialize_field(field, item)?;
                            }
                            st.end()
                        }
                    }
                }
            }
        }
    }

    /// Deserialises a [`Dyn`] of a [`Schema`], asking for what its
    /// `Serialize` writes (as derived impls do).
    #[derive(Clone, Copy)]
    struct Seed<'a>(&'a Schema);

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Dyn;

        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Dyn, D::Error> {
            let v = DynVisitor(self.0);
            match self.0 {
                Schema::Bool => d.deserialize_bool(v),
                Schema::I8 => d.deserialize_i8(v),
                Schema::I16 => d.deserialize_i16(v),
                Schema::I32 => d.deserialize_i32(v),
                Schema::I64 => d.deserialize_i64(v),
                Schema::I128 => d.deserialize_i128(v),
                Schema::U8 => d.deserialize_u8(v),
                Schema::U16 => d.deserialize_u16(v),
                Schema::U32 => d.deserialize_u32(v),
                Schema::U64 => d.deserialize_u64(v),
                Schema::U128 => d.deserialize_u128(v),
                Schema::F32 => d.deserialize_f32(v),
                Schema::F64 => d.deserialize_f64(v),
                Schema::Char => d.deserialize_char(v),
                Schema::Str => d.deserialize_string(v),
                Schema::Bytes => d.deserialize_byte_buf(v),
                Schema::Unit => d.deserialize_unit(v),
                Schema::UnitStruct => d.deserialize_unit_struct("U", v),
                Schema::Option(_) => d.deserialize_option(v),
                Schema::Newtype(_) => d.deserialize_newtype_struct("N", v),
                Schema::Seq(_) => d.deserialize_seq(v),
                Schema::Tuple(items) => d.deserialize_tuple(items.len(), v),
                Schema::TupleStruct(items) => d.deserialize_tuple_struct("T", items.len(), v),
                Schema::Map(..) => d.deserialize_map(v),
                Schema::Struct(fields, _) => d.deserialize_struct("S", fields, v),
                Schema::Enum(names, _) => d.deserialize_enum("E", names, v),
            }
        }
    }

    struct DynVisitor<'a>(&'a Schema);

    fn items<'de, A: SeqAccess<'de>>(mut seq: A, schemas: &[Schema]) -> Result<Vec<Dyn>, A::Error> {
        schemas
            .iter()
            .map(|s| {
                seq.next_element_seed(Seed(s))?
                    .ok_or_else(|| de::Error::custom("short"))
            })
            .collect()
    }

    impl<'de> Visitor<'de> for DynVisitor<'_> {
        type Value = Dyn;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {:?}", self.0)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Dyn, E> {
            Ok(Dyn::Bool(v))
        }
        fn visit_i8<E: de::Error>(self, v: i8) -> Result<Dyn, E> {
            Ok(Dyn::I8(v))
        }
        fn visit_i16<E: de::Error>(self, v: i16) -> Result<Dyn, E> {
            Ok(Dyn::I16(v))
        }
        fn visit_i32<E: de::Error>(self, v: i32) -> Result<Dyn, E> {
            Ok(Dyn::I32(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dyn, E> {
            Ok(Dyn::I64(v))
        }
        fn visit_i128<E: de::Error>(self, v: i128) -> Result<Dyn, E> {
            Ok(Dyn::I128(v))
        }
        fn visit_u8<E: de::Error>(self, v: u8) -> Result<Dyn, E> {
            Ok(Dyn::U8(v))
        }
        fn visit_u16<E: de::Error>(self, v: u16) -> Result<Dyn, E> {
            Ok(Dyn::U16(v))
        }
        fn visit_u32<E: de::Error>(self, v: u32) -> Result<Dyn, E> {
            Ok(Dyn::U32(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dyn, E> {
            Ok(Dyn::U64(v))
        }
        fn visit_u128<E: de::Error>(self, v: u128) -> Result<Dyn, E> {
            Ok(Dyn::U128(v))
        }
        fn visit_f32<E: de::Error>(self, v: f32) -> Result<Dyn, E> {
            Ok(Dyn::F32(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dyn, E> {
            Ok(Dyn::F64(v))
        }
        fn visit_char<E: de::Error>(self, v: char) -> Result<Dyn, E> {
            Ok(Dyn::Char(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Dyn, E> {
            Ok(Dyn::Str(v.to_owned()))
        }
        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Dyn, E> {
            Ok(Dyn::Bytes(v.to_vec()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Dyn, E> {
            Ok(match self.0 {
                Schema::UnitStruct => Dyn::UnitStruct,
                _ => Dyn::Unit,
            })
        }
        fn visit_none<E: de::Error>(self) -> Result<Dyn, E> {
            Ok(Dyn::None)
        }
        fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Dyn, D::Error> {
            let Schema::Option(inner) = self.0 else {
                return Err(de::Error::custom("not an option"));
            };
            Ok(Dyn::Some(Box::new(Seed(inner).deserialize(d)?)))
        }
        fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<Dyn, D::Error> {
            let Schema::Newtype(inner) = self.0 else {
                return Err(de::Error::custom("not a newtype"));
            };
            Ok(Dyn::Newtype(Box::new(Seed(inner).deserialize(d)?)))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dyn, A::Error> {
            match self.0 {
                Schema::Seq(inner) => {
                    let mut all = Vec::new();
                    while let Some(v) = seq.next_element_seed(Seed(inner))? {
                        all.push(v);
                    }
                    Ok(Dyn::Seq(all))
                }
                Schema::Tuple(s) => items(seq, s).map(Dyn::Tuple),
                Schema::TupleStruct(s) => items(seq, s).map(Dyn::TupleStruct),
                Schema::Struct(fields, s) => items(seq, s).map(|v| Dyn::Struct(fields, v)),
                _ => Err(de::Error::custom("not a sequence")),
            }
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Dyn, A::Error> {
            let Schema::Map(k, v) = self.0 else {
                return Err(de::Error::custom("not a map"));
            };
            let mut all = Vec::new();
            while let Some(key) = map.next_key_seed(Seed(k))? {
                all.push((key, map.next_value_seed(Seed(v))?));
            }
            Ok(Dyn::Map(all))
        }
        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Dyn, A::Error> {
            let Schema::Enum(names, variants) = self.0 else {
                return Err(de::Error::custom("not an enum"));
            };
            let (i, access): (u32, _) = data.variant()?;
            let Some(variant) = variants.get(i as usize) else {
                return Err(de::Error::custom("no such variant"));
            };
            let contents = match variant {
                VariantSchema::Unit => {
                    access.unit_variant()?;
                    VariantDyn::Unit
                }
                VariantSchema::Newtype(s) => {
                    VariantDyn::Newtype(Box::new(access.newtype_variant_seed(Seed(s))?))
                }
                VariantSchema::Tuple(s) => {
                    let schema = Schema::Tuple(s.clone());
                    match access.tuple_variant(s.len(), DynVisitor(&schema))? {
                        Dyn::Tuple(v) => VariantDyn::Tuple(v),
                        _ => unreachable!("a tuple visitor gives a tuple"),
                    }
                }
                VariantSchema::Struct(fields, s) => {
                    let schema = Schema::Struct(fields, s.clone());
                    match access.struct_variant(fields, DynVisitor(&schema))? {
                        Dyn::Struct(_, v) => VariantDyn::Struct(fields, v),
                        _ => unreachable!("a struct visitor gives a struct"),
                    }
                }
            };
            Ok(Dyn::Variant(names, i, contents))
        }
    }

    /// The one-pass fingerprint of `value` read back as `T`, with `of`'s.
    fn both<T: Serialize + for<'de> Deserialize<'de>>(value: &T) -> ([u8; 4], [u8; 4]) {
        let bytes = postcard::to_allocvec(value).unwrap();
        let (decoded, rest, one_pass, _) = decode::<T>(&bytes).unwrap();
        assert!(rest.is_empty());
        (one_pass, of(&decoded))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn the_one_pass_fingerprint_is_the_walks_on_every_shape(
            (schema, value) in schema().prop_flat_map(|s| {
                let v = values(&s);
                (Just(s), v)
            })
        ) {
            let bytes = postcard::to_allocvec(&value).unwrap();
            let mut postcard = postcard::Deserializer::from_bytes(&bytes);
            let decoded = Seed(&schema).deserialize(&mut postcard).unwrap();
            prop_assert!(postcard.finalize().unwrap().is_empty());
            let (again, rest, one_pass) = {
                let mut shapes = super::Shapes::new();
                let mut postcard = postcard::Deserializer::from_bytes(&bytes);
                let value = Seed(&schema)
                    .deserialize(super::Reader {
                        inner: &mut postcard,
                        path: super::SEED,
                        shapes: &mut shapes,
                    })
                    .unwrap();
                (value, postcard.finalize().unwrap(), shapes.finish())
            };
            prop_assert!(rest.is_empty());
            // The wrapper changes nothing in what is decoded...
            prop_assert_eq!(postcard::to_allocvec(&again).unwrap(), bytes.clone());
            prop_assert_eq!(postcard::to_allocvec(&decoded).unwrap(), bytes);
            // ...and finds the shape the walk of the value finds.
            prop_assert_eq!(one_pass, of(&value));
            prop_assert_eq!(one_pass, of(&decoded));
        }

        #[test]
        fn the_one_pass_fingerprint_is_the_walks_on_derived_types(
            users in prop::collection::vec((any::<u64>(), ".{0,6}", any::<Option<i16>>()), 0..4),
            roles in prop::collection::vec((0u8..4, any::<u32>()), 0..6),
            map in prop::collection::hash_map(".{0,4}", any::<Option<bool>>(), 0..5),
        ) {
            let users: Vec<User> = users
                .into_iter()
                .map(|(id, name, score)| User { id, name, score, tags: vec![Tag(1)] })
                .collect();
            let roles: Vec<Role> = roles.into_iter().map(|(k, n)| Role::new(k, n)).collect();
            let (a, b) = both(&users);
            prop_assert_eq!(a, b);
            let (a, b) = both(&roles);
            prop_assert_eq!(a, b);
            let (a, b) = both(&map);
            prop_assert_eq!(a, b);
            let nested: BTreeMap<String, (Vec<Role>, Option<User>)> =
                BTreeMap::from([("k".to_owned(), (roles, users.into_iter().next()))]);
            let (a, b) = both(&nested);
            prop_assert_eq!(a, b);
        }
    }

    #[derive(Serialize, Deserialize)]
    struct Tag(u8);

    #[derive(Serialize, Deserialize)]
    struct User {
        id: u64,
        name: String,
        score: Option<i16>,
        tags: Vec<Tag>,
    }

    #[derive(Serialize, Deserialize)]
    enum Role {
        Guest,
        Member(u32),
        Admin { level: u32 },
        Pair(u32, bool),
    }

    impl Role {
        fn new(kind: u8, n: u32) -> Self {
            match kind {
                0 => Role::Guest,
                1 => Role::Member(n),
                2 => Role::Admin { level: n },
                _ => Role::Pair(n, n % 2 == 0),
            }
        }
    }

    #[test]
    fn std_types_that_serialize_as_structs_enums_and_bytes_agree() {
        use std::net::{IpAddr, SocketAddr};
        use std::time::{Duration, SystemTime};
        let (a, b) = both(&Duration::from_millis(1500));
        assert_eq!(a, b);
        let (a, b) = both(&SystemTime::UNIX_EPOCH);
        assert_eq!(a, b);
        let ip: IpAddr = "::1".parse().unwrap();
        let (a, b) = both(&ip);
        assert_eq!(a, b);
        let socket: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let (a, b) = both(&socket);
        assert_eq!(a, b);
        let (a, b) = both(&serde_bytes::ByteBuf::from(vec![1, 2]));
        assert_eq!(a, b);
        let (a, b) = both(&Ok::<u8, String>(1));
        assert_eq!(a, b);
        let (a, b) = both(&(1u8, 'c', [1u16; 3], ()));
        assert_eq!(a, b);
        let (a, b) = both(&HashMap::from([(1u32, vec![Some(())])]));
        assert_eq!(a, b);
    }

    /// The golden values of `fingerprints_are_frozen`, read in one pass.
    #[test]
    fn the_frozen_fingerprints_come_out_of_one_pass_too() {
        #[derive(Serialize, Deserialize)]
        struct Stamp {
            created_at_unix_seconds: i64,
        }
        #[derive(Serialize, Deserialize)]
        struct User {
            id: u64,
            name: String,
        }
        let bytes = postcard::to_allocvec(&42u64).unwrap();
        assert_eq!(decode::<u64>(&bytes).unwrap().2, [133, 239, 205, 40]);
        let bytes = postcard::to_allocvec("ada").unwrap();
        assert_eq!(decode::<String>(&bytes).unwrap().2, [249, 32, 47, 227]);
        let bytes = postcard::to_allocvec(&User {
            id: 42,
            name: "ada".into(),
        })
        .unwrap();
        let (_, _, fingerprint, sure) = decode::<User>(&bytes).unwrap();
        assert_eq!((fingerprint, sure), ([166, 66, 67, 179], true));
        let bytes = postcard::to_allocvec(&Stamp {
            created_at_unix_seconds: 0,
        })
        .unwrap();
        assert_eq!(decode::<Stamp>(&bytes).unwrap().2, [108, 252, 128, 209]);
    }

    /// What one pass cannot see: names `Deserialize` lists otherwise than
    /// `Serialize` writes them. `decode_value` falls back to `of` there.
    #[test]
    fn aliases_and_direction_specific_names_differ_in_one_pass() {
        #[derive(Serialize, Deserialize)]
        struct Aliased {
            #[serde(alias = "uid")]
            user_id: u64,
            name: String,
        }
        #[derive(Serialize, Deserialize)]
        enum Renamed {
            #[serde(rename(serialize = "Out", deserialize = "In"))]
            Only,
        }
        let (a, b) = both(&Aliased {
            user_id: 1,
            name: String::new(),
        });
        assert_ne!(a, b);
        let (a, b) = both(&Renamed::Only);
        assert_ne!(a, b);
    }

    /// Where a listed name may be shifted by aliases, the one-pass
    /// fingerprint says it is not sure: every enum, and a struct read short
    /// of its field list. Plain structs, sequences, maps and primitives are.
    #[test]
    fn the_one_pass_fingerprint_is_sure_only_where_names_cannot_shift() {
        fn sure<T: Serialize + for<'de> Deserialize<'de>>(value: &T) -> bool {
            decode::<T>(&postcard::to_allocvec(value).unwrap())
                .unwrap()
                .3
        }
        #[derive(Serialize, Deserialize)]
        struct Aliased {
            #[serde(alias = "uid")]
            user_id: u64,
        }
        assert!(sure(&User {
            id: 1,
            name: String::new(),
            score: Some(1),
            tags: vec![Tag(1)]
        }));
        assert!(sure(&BTreeMap::from([(1u8, vec![Some(String::new())])])));
        assert!(sure(&(1u8, 'c')));
        assert!(!sure(&Role::Guest));
        assert!(!sure(&vec![Some(Role::Member(1))]));
        assert!(!sure(&Aliased { user_id: 1 }));
        assert!(!sure(&Some(vec![Aliased { user_id: 1 }])));
    }
}
