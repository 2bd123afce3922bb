//! Typed values that cannot be misread (issue 11): every value carries a
//! fingerprint of its serde shape, and a read with another shape is
//! `TypeMismatch`, never a wrong value. Every round trip here goes through a
//! real sealed cookie, so hashed collections are rebuilt with a fresh hasher.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Debug;

use proptest::prelude::*;
use sealed_session::{Session, SessionConfig, SessionError, Status};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::common::*;

/// `value` inserted under `key`, saved into a sealed cookie and loaded back.
fn stored<T: Serialize + ?Sized>(config: &SessionConfig, key: &str, value: &T) -> Session {
    let mut s = load_cookie(config, "");
    s.insert(key, value).unwrap();
    let loaded = load_cookie(config, &save_to_cookie(config, &s));
    assert_eq!(loaded.status(), Status::Loaded);
    loaded
}

fn config() -> SessionConfig {
    config_with(&TestClock::new(), |b| b)
}

fn is_mismatch<T: Debug>(r: &Result<Option<T>, SessionError>, key: &str) -> bool {
    matches!(r, Err(SessionError::TypeMismatch { key: k, expected })
        if k == key && *expected == std::any::type_name::<T>())
}

// ---------------------------------------------------------------------------
// The table: a session holding `User { id: 42, name, roles }`, then
// a deploy that changes the type.

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
    roles: Vec<String>,
}

fn ada() -> User {
    User {
        id: 42,
        name: "ada".into(),
        roles: vec!["admin".into()],
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct UserSignedId {
    id: i64,
    name: String,
    roles: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct UserRenamedFields {
    user_id: u64,
    display_name: String,
    roles: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct UserAddedField {
    id: u64,
    name: String,
    roles: Vec<String>,
    #[serde(default)]
    email: String,
}

/// `struct User` renamed to `struct Account`, same fields.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Account {
    id: u64,
    name: String,
    roles: Vec<String>,
}

#[test]
fn a_u64_field_read_as_i64_is_a_mismatch_not_user_21() {
    let config = config();
    let s = stored(&config, "user", &ada());
    // postcard alone decodes the zigzag varint 42 as 21.
    let r = s.get::<UserSignedId>("user");
    assert!(is_mismatch(&r, "user"), "{r:?}");
    // The value stays for a read with the right type.
    assert_eq!(s.get::<User>("user").unwrap(), Some(ada()));
}

#[test]
fn a_u64_read_as_i64_is_a_mismatch_not_minus_4() {
    let config = config();
    let s = stored(&config, "n", &7u64);
    let r = s.get::<i64>("n");
    assert!(is_mismatch(&r, "n"), "{r:?}");
    assert_eq!(s.get::<u64>("n").unwrap(), Some(7));
}

#[test]
fn a_bool_read_as_u64_is_a_mismatch_not_1() {
    let config = config();
    let s = stored(&config, "flag", &true);
    let r = s.get::<u64>("flag");
    assert!(is_mismatch(&r, "flag"), "{r:?}");
}

#[test]
fn renamed_fields_are_a_mismatch_not_values_in_the_wrong_fields() {
    let config = config();
    let s = stored(&config, "user", &ada());
    let r = s.get::<UserRenamedFields>("user");
    assert!(is_mismatch(&r, "user"), "{r:?}");
}

#[test]
fn an_added_field_is_an_error_and_get_or_remove_drops_the_value() {
    let config = config();
    let mut s = stored(&config, "user", &ada());
    s.insert("other", &1u8).unwrap();
    let cookie = save_to_cookie(&config, &s);
    let mut s = load_cookie(&config, &cookie);
    let r = s.get::<UserAddedField>("user");
    assert!(
        matches!(
            r,
            Err(SessionError::TypeMismatch { .. } | SessionError::Decode { .. })
        ),
        "{r:?}"
    );
    assert!(!s.is_modified());
    assert!(s.get_or_remove::<UserAddedField>("user").is_none());
    assert!(!s.contains_key("user"));
    assert!(s.is_modified(), "the removal must reach the next cookie");
    // The next save drops it; the other key stays.
    let s = load_cookie(&config, &save_to_cookie(&config, &s));
    assert!(!s.contains_key("user"));
    assert_eq!(s.get::<u8>("other").unwrap(), Some(1));
}

#[test]
fn get_or_remove_reads_a_matching_value_and_leaves_it() {
    let config = config();
    let mut s = stored(&config, "user", &ada());
    assert_eq!(s.get_or_remove::<User>("user"), Some(ada()));
    assert_eq!(s.get_or_remove::<User>("missing"), None);
    assert!(s.contains_key("user"));
    assert!(!s.is_modified());
    // Every row of the table: gone, not an error.
    assert_eq!(s.get_or_remove::<i64>("user"), None);
    assert!(!s.contains_key("user") && s.is_modified());
}

#[test]
fn renaming_the_struct_keeps_working() {
    let config = config();
    let s = stored(&config, "user", &ada());
    assert_eq!(
        s.get::<Account>("user").unwrap(),
        Some(Account {
            id: 42,
            name: "ada".into(),
            roles: vec!["admin".into()],
        })
    );
}

#[test]
fn take_of_another_shape_is_a_mismatch_and_keeps_the_value() {
    let config = config();
    let mut s = stored(&config, "n", &7u64);
    let r = s.take::<i64>("n");
    assert!(is_mismatch(&r, "n"), "{r:?}");
    assert!(!s.is_modified());
    assert_eq!(s.take::<u64>("n").unwrap(), Some(7));
    assert!(!s.contains_key("n"));
}

#[test]
fn the_error_names_the_key_and_type_but_never_the_value() {
    let config = config();
    let s = stored(&config, "secret", &"hunter2-token-value");
    let err = s.get::<Vec<u8>>("secret").unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("secret") && shown.contains("Vec<u8>"),
        "{shown}"
    );
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[cfg(feature = "tower")]
#[test]
fn the_tower_handle_offers_get_or_remove() {
    let config = config();
    let handle = sealed_session::tower::SessionHandle::new(stored(&config, "n", &7u64));
    assert_eq!(handle.get_or_remove::<u64>("n"), Some(7));
    assert_eq!(handle.get_or_remove::<bool>("n"), None);
    assert!(!handle.contains_key("n"));
    assert!(handle.lock().is_modified());
}

// ---------------------------------------------------------------------------
// Shapes: each stored and read back with its own type passes; read as a
// neighbouring type it is an error, never a value.

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
enum Event {
    Login,
    Viewed(u32),
    Moved(i16, i16),
    Bought { sku: String, qty: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
enum EventRenamedVariant {
    Login,
    Seen(u32),
    Moved(i16, i16),
    Bought { sku: String, qty: u8 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserId(u64);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Marker;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    tags: HashSet<String>,
    prefs: HashMap<String, Option<Event>>,
}

/// Stores `value`, reads it back as `T` (must pass) and as `U` (must fail).
fn check_pair<T, U>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
    U: Serialize + DeserializeOwned + Debug,
{
    let config = config();
    let s = stored(&config, "v", value);
    assert_eq!(s.get::<T>("v").unwrap().as_ref(), Some(value));
    let r = s.get::<U>("v");
    assert!(
        matches!(
            r,
            Err(SessionError::TypeMismatch { .. } | SessionError::Decode { .. })
        ),
        "{value:?} read as {}: {r:?}",
        std::any::type_name::<U>()
    );
}

#[test]
fn nested_options() {
    // postcard reads the bytes of Some(None) as Some(0u8).
    check_pair::<Option<Option<u8>>, Option<u8>>(&Some(None));
    check_pair::<Option<Option<u8>>, Option<u8>>(&Some(Some(3)));
    check_pair::<Option<u8>, Option<Option<u8>>>(&Some(0));
    check_pair::<Option<u8>, Option<bool>>(&Some(1));
}

#[test]
fn vectors_of_options() {
    check_pair::<Vec<Option<u8>>, Vec<u8>>(&vec![Some(1), None]);
    check_pair::<Vec<Option<u8>>, Vec<Option<i8>>>(&vec![Some(1), None]);
    check_pair::<Vec<u8>, Vec<Option<u8>>>(&vec![0, 1, 0]);
}

#[test]
fn enums_with_data() {
    check_pair::<Event, EventRenamedVariant>(&Event::Viewed(3));
    check_pair::<Vec<Event>, Vec<EventRenamedVariant>>(&vec![Event::Login, Event::Viewed(3)]);
    // The variants that do not change still read.
    let config = config();
    let s = stored(&config, "v", &Event::Moved(1, -1));
    assert_eq!(
        s.get::<EventRenamedVariant>("v").unwrap(),
        Some(EventRenamedVariant::Moved(1, -1))
    );
}

#[test]
fn unit_structs_newtypes_and_tuples() {
    check_pair::<Marker, Option<u8>>(&Marker);
    check_pair::<UserId, i64>(&UserId(42));
    check_pair::<(u8, String), (String, u8)>(&(1, "a".into()));
    check_pair::<(u8, u8, u8), (u8, u8)>(&(1, 2, 3));
    check_pair::<(u32, bool), (u32, u8)>(&(5, true));
    // Wrappers postcard does not encode are transparent.
    let config = config();
    let s = stored(&config, "v", &UserId(42));
    assert_eq!(s.get::<u64>("v").unwrap(), Some(42));
    let s = stored(&config, "v", &Marker);
    assert_eq!(s.get::<()>("v").unwrap(), Some(()));
}

#[test]
fn bytes_and_strings_differ() {
    check_pair::<Vec<u8>, String>(&b"abc".to_vec());
    check_pair::<String, Vec<u8>>(&"abc".to_owned());
    check_pair::<String, serde_bytes::ByteBuf>(&"abc".to_owned());
    check_pair::<char, u32>(&'x');
}

#[test]
fn integer_widths_and_signs_differ() {
    check_pair::<u32, u64>(&7);
    check_pair::<u64, u32>(&7);
    check_pair::<u8, i8>(&7);
    check_pair::<i32, u32>(&7);
    check_pair::<u16, u8>(&7);
    check_pair::<f32, u32>(&1.5);
}

#[test]
fn maps_and_sets() {
    let events: HashMap<String, Event> = [
        ("a".to_owned(), Event::Login),
        ("b".to_owned(), Event::Viewed(1)),
    ]
    .into();
    check_pair::<HashMap<String, Event>, HashMap<String, EventRenamedVariant>>(&events);
    check_pair::<HashMap<String, Event>, Vec<(String, Event)>>(&events);
    let set: HashSet<u16> = [1, 2, 3].into();
    check_pair::<HashSet<u16>, HashSet<i16>>(&set);
}

#[test]
fn zero_byte_values_are_a_fingerprint_alone_and_read_fine() {
    // `()` and unit structs are no postcard bytes at all: the slot is just
    // the fingerprint. (Slots shorter than a fingerprint, which only a cookie
    // not written by `insert` can hold, are covered by `session.rs`'s unit
    // tests: a mismatch, never a panic.)
    let config = config();
    for s in [stored(&config, "v", &()), stored(&config, "v", &Marker)] {
        assert_eq!(s.get::<()>("v").unwrap(), Some(()));
        assert!(s.get::<u8>("v").is_err());
        assert!(s.get::<Option<u8>>("v").is_err());
    }
}

// ---------------------------------------------------------------------------
// No false mismatch: random values of a dozen shapes, each stored and read
// back through a sealed cookie with the type it was written with.

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Dozen {
    a: u64,
    b: i32,
    c: String,
    d: Vec<u8>,
    e: Option<Option<u16>>,
    f: Vec<Option<i64>>,
    g: HashMap<String, Event>,
    h: HashSet<Event>,
    i: (u8, String, bool),
    j: UserId,
    k: BTreeMap<u32, Vec<Event>>,
    l: Profile,
    m: (char, f64),
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Login),
        any::<u32>().prop_map(Event::Viewed),
        any::<(i16, i16)>().prop_map(|(x, y)| Event::Moved(x, y)),
        ("[a-z]{0,6}", any::<u8>()).prop_map(|(sku, qty)| Event::Bought { sku, qty }),
    ]
}

fn dozen() -> impl Strategy<Value = Dozen> {
    use proptest::collection::{btree_map, hash_map, hash_set, vec};
    let first = (
        any::<u64>(),
        any::<i32>(),
        ".{0,12}",
        vec(any::<u8>(), 0..16),
        any::<Option<Option<u16>>>(),
        vec(any::<Option<i64>>(), 0..6),
        hash_map("[a-z]{1,8}", event(), 0..12),
    );
    let second = (
        hash_set(event(), 0..8),
        any::<(u8, String, bool)>(),
        any::<u64>().prop_map(UserId),
        btree_map(any::<u32>(), vec(event(), 0..4), 0..4),
        (
            ".{0,8}",
            hash_set("[a-z]{0,4}", 0..6),
            hash_map("[a-z]{1,4}", proptest::option::of(event()), 0..6),
        )
            .prop_map(|(name, tags, prefs)| Profile { name, tags, prefs }),
        (any::<char>(), -1e12f64..1e12),
    );
    (first, second).prop_map(|((a, b, c, d, e, f, g), (h, i, j, k, l, m))| Dozen {
        a,
        b,
        c,
        d,
        e,
        f,
        g,
        h,
        i,
        j,
        k,
        l,
        m,
    })
}

/// Inserts every field under its own key and the whole struct under `all`.
fn insert_dozen(s: &mut Session, v: &Dozen) {
    s.insert("a", &v.a).unwrap();
    s.insert("b", &v.b).unwrap();
    s.insert("c", &v.c).unwrap();
    s.insert("d", &v.d).unwrap();
    s.insert("e", &v.e).unwrap();
    s.insert("f", &v.f).unwrap();
    s.insert("g", &v.g).unwrap();
    s.insert("h", &v.h).unwrap();
    s.insert("i", &v.i).unwrap();
    s.insert("j", &v.j).unwrap();
    s.insert("k", &v.k).unwrap();
    s.insert("l", &v.l).unwrap();
    s.insert("m", &v.m).unwrap();
    s.insert("all", v).unwrap();
}

fn read_dozen(s: &Session) -> Result<Dozen, SessionError> {
    let all: Dozen = s.get("all")?.unwrap();
    let fields = Dozen {
        a: s.get("a")?.unwrap(),
        b: s.get("b")?.unwrap(),
        c: s.get("c")?.unwrap(),
        d: s.get("d")?.unwrap(),
        e: s.get("e")?.unwrap(),
        f: s.get("f")?.unwrap(),
        g: s.get("g")?.unwrap(),
        h: s.get("h")?.unwrap(),
        i: s.get("i")?.unwrap(),
        j: s.get("j")?.unwrap(),
        k: s.get("k")?.unwrap(),
        l: s.get("l")?.unwrap(),
        m: s.get("m")?.unwrap(),
    };
    assert_eq!(all, fields);
    Ok(all)
}

proptest! {
    // 1,000 sessions of 14 values: 14,000 typed round trips, each through a
    // sealed cookie (so every HashMap/HashSet is rebuilt with a fresh hasher
    // and iterates in another order than it was written).
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn no_false_mismatch_on_random_values_of_a_dozen_shapes(v in dozen()) {
        let config = config_with(&TestClock::new(), |b| b.size_limit(4096));
        let mut s = load_cookie(&config, "");
        insert_dozen(&mut s, &v);
        // Read before the save too: the same bytes, the value as inserted.
        prop_assert_eq!(read_dozen(&s), Ok(v.clone()));
        let mut response = http::Response::new(());
        match sealed_session::save(&config, &s, &mut response) {
            Ok(()) => {}
            // A random session too large for one cookie: nothing to load.
            Err(sealed_session::SaveError::TooLarge { .. }) => return Ok(()),
            Err(e) => panic!("{e:?}"),
        }
        let cookie = pair(&set_cookies(response.headers())[0]).to_owned();
        let loaded = load_cookie(&config, &cookie);
        prop_assert_eq!(loaded.status(), Status::Loaded);
        prop_assert_eq!(read_dozen(&loaded), Ok(v));
    }

}

proptest! {
    // Mixed variants in hashed collections are the case a call-sequence
    // fingerprint gets wrong: many entries, many round trips.
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn hashed_collections_of_mixed_variants_round_trip(
        map in proptest::collection::hash_map(".{0,6}", event(), 0..24),
        set in proptest::collection::hash_set(event(), 0..40),
    ) {
        let config = config();
        let mut s = load_cookie(&config, "");
        s.insert("map", &map).unwrap();
        s.insert("set", &set).unwrap();
        let loaded = load_cookie(&config, &save_to_cookie(&config, &s));
        prop_assert_eq!(loaded.get::<HashMap<String, Event>>("map"), Ok(Some(map)));
        prop_assert_eq!(loaded.get::<HashSet<Event>>("set"), Ok(Some(set)));
    }
}
