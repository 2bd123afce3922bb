//! Issue 24 in a real browser: headless Chromium stores a session split
//! over three `__Host-` cookies of about 4 KB each, sends all three back
//! (the server loads the whole session), and applies the removals of a
//! shrink, keeping one cookie.
//!
//! Needs Debian's `chromium` at `/usr/bin/chromium`, so the test is
//! `#[ignore]`d; `cargo test --all-features -- --ignored` runs it, and then a
//! missing Chromium is a failure (see `browser.rs`).
#![forbid(unsafe_code)]

use axum::Router;
use axum::extract::Path;
use axum::response::Html;
use axum::routing::get;
use reqwest::Url;
use sealed_session::tower::{SessionHandle, SessionLayer};
use sealed_session::{Key, Keyring, SessionConfig};

use super::browser::{Cdp, Chromium, runtime};

const COOKIE: &str = "__Host-session";

/// `/` is a page to run `fetch` from; `/blob/{len}` stores a blob of `len`
/// bytes; `/check` answers the status and the blob's length.
fn router(config: SessionConfig) -> Router {
    async fn blob(session: SessionHandle, Path(len): Path<usize>) -> &'static str {
        session.insert("blob", &"b".repeat(len)).unwrap();
        "ok"
    }
    async fn check(session: SessionHandle) -> String {
        let blob: Option<String> = session.get("blob").unwrap();
        format!("{}|{}", session.status(), blob.map_or(0, |b| b.len()))
    }
    Router::new()
        .route("/", get(|| async { Html("<p>chunks</p>") }))
        .route("/blob/{len}", get(blob))
        .route("/check", get(check))
        .layer(SessionLayer::new(config))
}

/// The session's cookies as the page sees them, `(name, value length)`,
/// sorted by name.
fn cookies(cdp: &mut Cdp) -> Vec<(String, usize)> {
    let all = cdp.eval("document.cookie");
    let mut found: Vec<(String, usize)> = all
        .as_str()
        .unwrap()
        .split("; ")
        .filter_map(|pair| pair.split_once('='))
        .filter(|(name, _)| name.starts_with(COOKIE))
        .map(|(name, value)| (name.to_owned(), value.len()))
        .collect();
    found.sort();
    found
}

fn fetch(cdp: &mut Cdp, path: &str) -> String {
    let value = cdp.eval(&format!(
        "fetch('{path}').then(r => {{ if (!r.ok) throw new Error('status ' + r.status); \
         return r.text(); }})"
    ));
    value.as_str().unwrap().to_owned()
}

#[test]
#[ignore = "needs chromium: bash .ci/browser-deps.sh, then cargo test --all-features -- --ignored"]
fn chromium_stores_a_three_chunk_session_and_sends_it_back() {
    let runtime = runtime();
    // Not HttpOnly, so that the page can list the cookies it holds; `Secure`
    // and `__Host-` on loopback, a secure context to the browser.
    let config = SessionConfig::builder(Keyring::new(Key::generate()))
        .cookie_name(COOKIE)
        .http_only(false)
        .max_chunks(3)
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(config);
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    let base = Url::parse(&format!("http://{addr}/")).unwrap();

    let chromium = Chromium::start();
    let mut cdp = Cdp::connect(&chromium.ws_url);
    cdp.navigate(&base);

    assert_eq!(fetch(&mut cdp, "/blob/7300"), "ok");
    let stored = cookies(&mut cdp);
    let names: Vec<&str> = stored.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [COOKIE, "__Host-session.1", "__Host-session.2"],
        "{stored:?}"
    );
    for (name, len) in &stored {
        assert!(name.len() + 1 + len <= 4_096, "{name}: {len}");
        assert!(*len > 3_000, "about 4 KB each: {name} {len}");
    }
    // All three went back: the server loaded the whole session.
    assert_eq!(fetch(&mut cdp, "/check"), "loaded|7300");

    // A shrink: the browser applies the removals of the two chunks.
    assert_eq!(fetch(&mut cdp, "/blob/1000"), "ok");
    let stored = cookies(&mut cdp);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].0, COOKIE);
    assert_eq!(fetch(&mut cdp, "/check"), "loaded|1000");
}
