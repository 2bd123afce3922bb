//! The newcomer's login app (`examples/login.rs`, issue 12's acceptance
//! app) run as a child process and driven end to end by the cookie-keeping
//! client: typed user, remember-me, a fresh session at login, a session too
//! large for one cookie answered with 413 and a log line, logout; and the
//! keys from `SESSION_KEYS`, printed by `examples/keygen.rs`.
#![forbid(unsafe_code)]

use std::process::{Command, Stdio};

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};

use crate::client::{Browser, attributes, form, json_body, set_cookie, set_cookies};
use crate::examples::{KEY, Server, binary, start_with_keys};

const COOKIE: &str = "__Host-session";

async fn me(browser: &Browser) -> Value {
    let response = browser.follow.get(browser.url("/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

/// `POST` with the client that stops at redirects.
async fn post(browser: &Browser, path: &str, body: String) -> reqwest::Response {
    browser.post(&browser.manual, path, body).await
}

/// The value of `attribute=` in a `Set-Cookie`.
fn attribute<'a>(set_cookie: &'a str, attribute: &str) -> Option<&'a str> {
    attributes(set_cookie)
        .into_iter()
        .find_map(|a| a.strip_prefix(attribute)?.strip_prefix('='))
}

fn value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
}

#[tokio::test]
async fn login_remember_me_too_large_and_logout() {
    let server = start_with_keys("login", Some(KEY));
    let browser = Browser::new(server.base.clone());

    // Anonymous: no user, no cookie.
    let anonymous = me(&browser).await;
    assert_eq!(anonymous["user"], Value::Null);
    assert_eq!(anonymous["status"], "new");

    // A note before logging in starts a browser-session cookie (the short
    // default: rolling 30 minutes, no Max-Age).
    let note = post(&browser, "/notes", form("note", "buy tea")).await;
    assert_eq!(note.status(), StatusCode::SEE_OTHER);
    let anonymous_cookie = set_cookie(&note);
    assert!(anonymous_cookie.starts_with(&format!("{COOKIE}=")));
    assert!(attributes(&anonymous_cookie).contains(&"Secure"));
    assert_eq!(attribute(&anonymous_cookie, "Max-Age"), None);

    // Log in with "remember me": a new cookie (renewed session) that lasts
    // 30 days, holding the typed user and the earlier note.
    let login = post(
        &browser,
        "/login",
        format!("{}&remember=on", form("name", "ada")),
    )
    .await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()[LOCATION], "/me");
    let remembered = set_cookie(&login);
    assert_ne!(value(&remembered), value(&anonymous_cookie));
    let max_age: i64 = attribute(&remembered, "Max-Age").unwrap().parse().unwrap();
    let thirty_days = 30 * 24 * 3600;
    assert!(
        (thirty_days - 60..=thirty_days).contains(&max_age),
        "{remembered}"
    );
    let logged_in = me(&browser).await;
    assert_eq!(logged_in["user"]["name"], "ada");
    assert_eq!(logged_in["user"]["remember"], true);
    assert_eq!(logged_in["notes"], json!(["buy tea"]));
    assert_eq!(logged_in["browser_session"], false);
    let since = logged_in["user"]["since"].as_i64().unwrap();
    let expires = logged_in["expires"].as_i64().unwrap();
    assert_eq!(expires - since, thirty_days, "{logged_in}");

    // A note too large for the cookie: 413, no Set-Cookie, a log line with
    // the sizes; the jar keeps its cookie and the session is intact.
    let before = browser.cookie();
    let refused = post(&browser, "/notes", form("note", &"x".repeat(4_000))).await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(set_cookies(&refused), Vec::<String>::new());
    assert!(refused.text().await.unwrap().contains("not saved"));
    let log = server.wait_for_stderr("session not saved");
    assert!(
        log.contains("session not saved: session cookie of ")
            && log.contains("exceeds the 4093-byte limit"),
        "{log}"
    );
    // The examples are built with every feature, `tracing` included: the
    // crate's own event is there too, with the sizes.
    let log = server.wait_for_stderr("session too large for one cookie");
    assert!(
        log.contains("sealed_session::save") && log.contains("limit=4093"),
        "{log}"
    );
    assert_eq!(browser.cookie(), before);
    assert_eq!(me(&browser).await, logged_in);

    // Without "remember me" (another browser): the short default, a cookie
    // that ends with the browser.
    let other = Browser::new(server.base.clone());
    let login = post(&other, "/login", form("name", "grace")).await;
    let short = set_cookie(&login);
    assert_eq!(attribute(&short, "Max-Age"), None, "{short}");
    let grace = me(&other).await;
    assert_eq!(grace["user"]["remember"], false);
    assert_eq!(grace["browser_session"], true);
    let idle = grace["expires"].as_i64().unwrap() - grace["user"]["since"].as_i64().unwrap();
    assert!((30 * 60 - 5..=30 * 60).contains(&idle), "{grace}");

    // Log out: a removal, and the user is gone.
    let logout = post(&browser, "/logout", String::new()).await;
    let removal = set_cookie(&logout);
    assert!(removal.starts_with(&format!("{COOKIE}=;")), "{removal}");
    assert_eq!(attribute(&removal, "Max-Age"), Some("0"));
    assert_eq!(browser.cookie(), None);
    assert_eq!(me(&browser).await["user"], Value::Null);

    // Nothing secret in the app's output: not the key, not a cookie value.
    let log = server.wait_for_stderr("");
    for secret in [KEY, value(&remembered), value(&short)] {
        assert!(!log.contains(secret), "a secret in the log: {log}");
        assert!(!server.output.join("\n").contains(secret));
    }
    drop(server);
}

/// The output and exit status of an example run to its end.
fn run(name: &str, keys: Option<&str>) -> (bool, String, String) {
    let mut command = Command::new(binary(name));
    command.arg("0").env_remove("SESSION_KEYS");
    if let Some(keys) = keys {
        command.env("SESSION_KEYS", keys);
    }
    let out = command.stdin(Stdio::null()).output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[tokio::test]
async fn keys_come_from_keygen_through_session_keys() {
    // keygen prints one base64 key that from_env (via the app) accepts.
    let (ok, printed, _) = run("keygen", None);
    assert!(ok);
    let key = printed.trim();
    assert!(sealed_session::Key::from_base64(key).is_ok());
    {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .unwrap();
        assert_eq!(bytes.len(), 32, "a 32-byte key");
    }
    let (_, again, _) = run("keygen", None);
    assert_ne!(again.trim(), key, "a fresh key each run");

    let rotated = format!("{key},{KEY}");
    let server: Server = start_with_keys("login", Some(&rotated));
    let browser = Browser::new(server.base.clone());
    let login = post(&browser, "/login", form("name", "ada")).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&browser).await["user"]["name"], "ada");
    drop(server);

    // Unset: a generated key and a notice that says so.
    let server = start_with_keys("login", None);
    assert!(
        server.output.join("\n").contains("SESSION_KEYS is not set"),
        "{:?}",
        server.output
    );
    drop(server);

    // A trailing comma: the app refuses to start, naming the variable and
    // the entry, never the key.
    let (ok, _, stderr) = run("login", Some(&format!("{key},")));
    assert!(!ok);
    assert!(
        stderr.contains("SESSION_KEYS: key #1 of the list") && stderr.contains("empty entry"),
        "{stderr}"
    );
    assert!(!stderr.contains(key));
}
