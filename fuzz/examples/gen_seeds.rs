//! Writes the committed seed corpus, `fuzz/corpus/<target>/seed-*`, from real
//! sealed cookies. Nonces are random, so every run writes different (equally
//! good) bytes; commit the result.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use http::HeaderMap;
use sealed_session::csrf;
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::{Expiry, SessionConfig};
use sealed_session_fuzz::{
    CSRF_SECRET, NAME, NOW, OPEN_PLAINTEXTS, config, masked_token, open_fallback_only,
    open_keyring, session_fallback_only, session_keyring,
};

fn corpus(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    fs::create_dir_all(&dir).unwrap();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("seed-")
        {
            fs::remove_file(path).unwrap();
        }
    }
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

/// Saves a fresh session with `entries` (and an optional expiry) under
/// `config` and returns the sealed cookie value.
fn issue(config: &SessionConfig, entries: &[(&str, &str)], expiry: Option<Expiry>) -> String {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    for (k, v) in entries {
        session.insert(*k, v).unwrap();
    }
    if let Some(e) = expiry {
        session.set_expiry(e);
    }
    let mut headers = HeaderMap::new();
    sealed_session::save(config, &session, &mut headers).unwrap();
    let line = headers["set-cookie"].to_str().unwrap();
    let pair = line.split(';').next().unwrap();
    pair.split_once('=').unwrap().1.to_owned()
}

fn main() {
    let now = OffsetDateTime::from_unix_timestamp(NOW).unwrap();

    // open: sealed values of the known plaintexts, primary and fallback.
    let dir = corpus("open");
    let ring = open_keyring();
    write(
        &dir,
        "empty",
        ring.seal(NAME, OPEN_PLAINTEXTS[0]).as_bytes(),
    );
    write(&dir, "user", ring.seal(NAME, OPEN_PLAINTEXTS[1]).as_bytes());
    let fallback = open_fallback_only().seal(NAME, OPEN_PLAINTEXTS[2]);
    write(&dir, "fallback", fallback.as_bytes());
    write(&dir, "padded", format!("{fallback}==").as_bytes());

    // load: Cookie headers (one per line) holding real cookies.
    let cfg = config();
    let valid = issue(cfg, &[("user", "ada")], None);
    let old = issue(
        &sealed_session_fuzz::config_with(session_fallback_only()),
        &[("user", "bob"), ("role", "admin")],
        None,
    );
    let expired_cfg = SessionConfig::builder(session_keyring())
        .cookie_name(NAME)
        .clock(move || now - Duration::weeks(3))
        .build()
        .unwrap();
    let expired = issue(&expired_cfg, &[("user", "eve")], None);
    let dir = corpus("load");
    write(&dir, "valid", format!("{NAME}={valid}").as_bytes());
    write(
        &dir,
        "fallback",
        format!("theme=dark; {NAME}=\"{old}\"; lang=en").as_bytes(),
    );
    write(
        &dir,
        "several",
        format!("{NAME}=; {NAME}={expired}\n{NAME}=%41\n{NAME} = {valid} ").as_bytes(),
    );

    // load, chunked: a session split over three cookies (in two headers,
    // out of order), one over two, and one with a chunk of another save.
    let chunked = |len: usize| -> Vec<String> {
        let config = sealed_session_fuzz::chunked_config();
        let mut session = sealed_session::load(config, &HeaderMap::new());
        session.insert("tokens", &"t".repeat(len)).unwrap();
        let mut headers = HeaderMap::new();
        sealed_session::save(config, &session, &mut headers).unwrap();
        headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect()
    };
    let three = chunked(7_000);
    assert_eq!(three.len(), 3);
    write(
        &dir,
        "chunks-three",
        format!("{}; theme=dark\n{}; {}", three[2], three[0], three[1]).as_bytes(),
    );
    let two = chunked(4_000);
    assert_eq!(two.len(), 2);
    write(&dir, "chunks-two", two.join("; ").as_bytes());
    let other = chunked(7_000);
    write(
        &dir,
        "chunks-stale",
        format!("{}; {}; {}", three[0], other[1], three[2]).as_bytes(),
    );

    // envelope: the plaintexts of real session cookies.
    let dir = corpus("envelope");
    let plain = |value: &str| {
        sealed_session::danger::open_session_value(config(), value)
            .unwrap()
            .plaintext()
            .to_vec()
    };
    write(&dir, "one-key", &plain(&valid));
    write(&dir, "two-keys", &plain(&old));
    write(&dir, "expired", &plain(&expired));
    let idle = issue(
        cfg,
        &[("cart", "3 items")],
        Some(Expiry::Idle(Duration::minutes(30))),
    );
    write(&dir, "idle", &plain(&idle));
    let browser = issue(cfg, &[("a", "")], Some(Expiry::BrowserSession));
    write(&dir, "browser", &plain(&browser));

    // roundtrip: raw bytes that `arbitrary` reads as operation lists.
    let dir = corpus("roundtrip");
    let mut state: u32 = 0x5eed;
    for len in [16, 64, 256] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            })
            .collect();
        write(&dir, &format!("ops-{len}"), &bytes);
    }

    // cross_origin: request heads as text, one per case the check decides.
    let dir = corpus("cross_origin");
    let heads: &[(&str, &str)] = &[
        (
            "get-cross-site",
            "GET /cart\nhost: shop.example\nsec-fetch-site: cross-site",
        ),
        (
            "same-origin",
            "POST /cart\nhost: shop.example\nsec-fetch-site: same-origin\norigin: https://shop.example",
        ),
        (
            "cross-site",
            "POST /cart\nhost: shop.example\nsec-fetch-site: cross-site\norigin: https://evil.example",
        ),
        (
            "same-site",
            "PUT /cart\nhost: shop.example\nsec-fetch-site: same-site",
        ),
        (
            "fetch-none",
            "DELETE /cart/1\nhost: shop.example\nsec-fetch-site: none",
        ),
        (
            "origin-own",
            "POST /login\nhost: shop.example:8443\norigin: https://SHOP.example:8443",
        ),
        (
            "origin-default-port",
            "POST /login\nhost: shop.example:443\norigin: https://shop.example",
        ),
        (
            "origin-other",
            "POST /login\nhost: localhost:3000\norigin: http://127.0.0.1:3000",
        ),
        (
            "origin-null",
            "PATCH /cart\nhost: shop.example\norigin: null",
        ),
        (
            "absolute-uri",
            "POST http://shop.example/cart\norigin: https://shop.example",
        ),
        (
            "two-hosts",
            "POST /cart\nhost: shop.example\nhost: evil.example\norigin: http://shop.example",
        ),
        (
            "trusted",
            "POST /sso\nhost: shop.example\nsec-fetch-site: cross-site\norigin: https://trusted.example",
        ),
        (
            "exempt-path",
            "POST /hooks/stripe\nhost: shop.example\nsec-fetch-site: cross-site\norigin: https://stripe.example",
        ),
        (
            "exempt-dot-dot",
            "POST /hooks/../cart\nhost: shop.example\nsec-fetch-site: cross-site",
        ),
        (
            "curl",
            "POST /api\nhost: shop.example\nreferer: https://evil.example/\ncontent-type: application/json",
        ),
        (
            "empty-fetch-site",
            "POST /cart\nhost: shop.example\nsec-fetch-site:\norigin: https://shop.example",
        ),
    ];
    for (name, head) in heads {
        write(&dir, name, head.as_bytes());
    }

    // csrf_token: [position, byte, pad (32 bytes), submitted token].
    let dir = corpus("csrf_token");
    let pad: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37));
    let mut session = sealed_session::load(cfg, &HeaderMap::new());
    session.insert(csrf::SESSION_KEY, &CSRF_SECRET).unwrap();
    let input = |position: u8, byte: u8, submitted: &str| {
        let mut bytes = vec![position, byte];
        bytes.extend(pad);
        bytes.extend(submitted.as_bytes());
        bytes
    };
    write(
        &dir,
        "written",
        &input(0, b'A', &masked_token(&CSRF_SECRET, &pad)),
    );
    write(&dir, "issued", &input(85, b'x', &csrf::token(&mut session)));
    write(
        &dir,
        "other",
        &input(40, b'=', &masked_token(&[7; 32], &pad)),
    );
    write(
        &dir,
        "padded",
        &input(3, 0xe9, &format!("{}==", csrf::token(&mut session))),
    );
    write(&dir, "empty", &input(1, b'/', ""));

    println!("seeds written under {}", dir.parent().unwrap().display());
}
