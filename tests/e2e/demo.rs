//! End-to-end test of the demo (`examples/demo`): the real router on a real
//! socket, driven by an HTTP client with a cookie jar, as a browser would.
#![forbid(unsafe_code)]

use crate::app;
use crate::client::{Browser, attributes, form, set_cookie};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE, VARY};
use reqwest::{Client, Response, StatusCode, Url};
use sealed_session::{Key, Keyring, SessionConfig, load, save};
use serde_json::{Value, json};

/// A fixed key, so a failure reproduces exactly (bytes 0 to 31).
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn config_with(keys: Keyring) -> SessionConfig {
    // As the demo's main: the production settings, `Secure` and `__Host-`
    // included, even over plain HTTP on loopback (a secure context).
    SessionConfig::builder(keys)
        .cookie_name("__Host-session")
        .build()
        .unwrap()
}

fn config() -> SessionConfig {
    config_with(Keyring::from_base64_list(KEY).unwrap())
}

/// Serves the demo's router on an ephemeral loopback port. The listener is
/// bound before the task is spawned, so requests cannot race the bind; the
/// task ends with the test's runtime.
async fn serve(config: SessionConfig) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app::router(config)).await.unwrap();
    });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

/// The demo's page-level steps. An extension trait rather than an inherent
/// `impl Browser`: the e2e binary's modules share `client::Browser`, and
/// `examples` has steps of the same names with other signatures.
trait DemoSteps {
    /// The CSRF token of a fresh `GET /` (which also shows, and so
    /// consumes, any flash message).
    async fn token(&self) -> String;
    /// `POST` with a fresh token and stop at the redirect.
    async fn submit(&self, path: &str, field: &str, value: &str) -> Response;
    /// `POST`, follow the redirect, and return the page it lands on.
    async fn submit_and_follow(&self, path: &str, field: &str, value: &str) -> String;
    /// `GET /` (following redirects): the page.
    async fn page(&self) -> String;
    /// `GET /session.json`: the session as JSON.
    async fn session_json(&self) -> Value;
}

impl DemoSteps for Browser {
    async fn token(&self) -> String {
        token_in(&self.page().await)
    }

    async fn submit(&self, path: &str, field: &str, value: &str) -> Response {
        let body = format!(
            "{}&{}",
            form(field, value),
            form("csrf_token", &self.token().await)
        );
        self.post(&self.manual, path, body).await
    }

    async fn submit_and_follow(&self, path: &str, field: &str, value: &str) -> String {
        let body = format!(
            "{}&{}",
            form(field, value),
            form("csrf_token", &self.token().await)
        );
        let response = self.post(&self.follow, path, body).await;
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        assert_eq!(response.url().path(), "/", "POST {path} lands on /");
        response.text().await.unwrap()
    }

    async fn page(&self) -> String {
        let response = self.follow.get(self.url("/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    async fn session_json(&self) -> Value {
        let response = self
            .follow
            .get(self.url("/session.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }
}

/// The value of the first `csrf_token` field in a page.
fn token_in(page: &str) -> String {
    let start = page
        .find(r#"name="csrf_token" value=""#)
        .unwrap_or_else(|| panic!("no token in {page}"))
        + r#"name="csrf_token" value=""#.len();
    let len = page[start..].find('"').unwrap();
    page[start..start + len].to_owned()
}

#[tokio::test]
async fn login_cart_and_logout_round_trip_through_the_cookie() {
    let browser = Browser::new(serve(config()).await);

    // No cookie yet: an empty, new session, and nothing to set.
    let fresh = browser
        .follow
        .get(browser.url("/session.json"))
        .send()
        .await
        .unwrap();
    assert!(fresh.headers().get(SET_COOKIE).is_none());
    let fresh: Value = serde_json::from_str(&fresh.text().await.unwrap()).unwrap();
    assert_eq!(fresh, json!({"name": null, "cart": [], "status": "new"}));

    // An item added before logging in must survive the login's renew().
    browser.submit_and_follow("/cart", "item", "tea").await;
    let before_login = browser.cookie().expect("the cart set a cookie");

    let name = "Ada <b>&";
    let login = browser.submit("/login", "name", name).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(login.headers()[LOCATION], "/");
    assert_eq!(login.headers()[VARY], "Cookie");
    let cookie = set_cookie(&login);
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    let attrs = attributes(&cookie);
    // `Secure` even over http://127.0.0.1: the jar, as browsers do, treats
    // loopback as a secure context and keeps sending the cookie.
    for expected in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(attrs.contains(&expected), "{expected} missing: {cookie}");
    }
    assert!(
        attrs
            .iter()
            .any(|a| a.starts_with("Max-Age=") && *a != "Max-Age=0"),
        "a lasting cookie: {cookie}"
    );
    assert_ne!(browser.cookie().unwrap(), before_login, "login re-seals");

    // The name is shown, HTML-escaped.
    let page = browser.page().await;
    assert!(page.contains("Ada &lt;b&gt;&amp;"), "{page}");
    assert!(!page.contains(name), "unescaped name in {page}");

    let script = "<script>alert(1)</script>";
    let page = browser.submit_and_follow("/cart", "item", script).await;
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert!(!page.contains(script), "unescaped item in {page}");

    assert_eq!(
        browser.session_json().await,
        json!({"name": name, "cart": ["tea", script], "status": "loaded"})
    );

    let before_logout = browser.cookie().unwrap();
    let logout = browser.submit("/logout", "x", "").await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    // The data is gone; the new cookie holds only the "logged out" message.
    let after = set_cookie(&logout);
    assert!(after.starts_with("__Host-session="), "{after}");
    assert_ne!(browser.cookie().unwrap(), before_logout);
    assert_eq!(
        browser.session_json().await,
        json!({"name": null, "cart": [], "status": "loaded"})
    );
    let page = browser.page().await;
    assert!(page.contains("You have been logged out."), "{page}");
    assert!(page.contains("Not logged in"), "{page}");
}

#[tokio::test]
async fn a_change_too_large_for_the_cookie_is_refused_and_the_session_kept() {
    let browser = Browser::new(serve(config()).await);
    browser.submit_and_follow("/login", "name", "ada").await;

    let mut accepted = Vec::new();
    let mut refused = None;
    // About 14 items of this size fill a 4,093-byte cookie; the bound only
    // keeps a broken size check from looping for long.
    for i in 0..100 {
        let item = format!("item {i:03} {}", "x".repeat(200));
        let before = browser.cookie();
        let response = browser.submit("/cart", "item", &item).await;
        match response.status() {
            StatusCode::SEE_OTHER => {
                assert!(response.headers().get(SET_COOKIE).is_some());
                accepted.push(item);
            }
            StatusCode::PAYLOAD_TOO_LARGE => {
                assert!(
                    response.headers().get(SET_COOKIE).is_none(),
                    "a refused change sends no cookie"
                );
                let body = response.text().await.unwrap();
                assert!(body.contains("4093-byte limit"), "{body}");
                assert_eq!(browser.cookie(), before, "the jar kept its cookie");
                refused = Some(item);
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(refused.is_some(), "the cookie never grew too large");
    assert!(accepted.len() >= 10, "only {} items fitted", accepted.len());

    assert_eq!(
        browser.session_json().await,
        json!({"name": "ada", "cart": accepted, "status": "loaded"})
    );
    assert!(browser.page().await.contains("item 000"));
}

#[tokio::test]
async fn an_empty_name_or_item_is_a_bad_request() {
    let browser = Browser::new(serve(config()).await);
    assert_eq!(
        browser.submit("/login", "name", "  ").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        browser.submit("/cart", "item", "").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        browser.session_json().await,
        json!({"name": null, "cart": [], "status": "loaded"}),
        "nothing stored (the cookie holds the CSRF secret only)"
    );
}

/// Django's messages through the demo: a message added before a 303 shows
/// on the next page, once.
#[tokio::test]
async fn a_flash_message_shows_once_after_the_redirect() {
    let browser = Browser::new(serve(config()).await);
    let login = browser.submit("/login", "name", "Ada <i>").await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let welcome = "Welcome, Ada &lt;i&gt;!";
    assert!(!login.text().await.unwrap().contains("Welcome"));

    let next = browser.page().await;
    assert_eq!(next.matches(welcome).count(), 1, "{next}");
    assert!(next.contains(r#"<p class="flash success">"#), "{next}");
    let after = browser.page().await;
    assert!(!after.contains("Welcome"), "shown twice: {after}");

    // Through a followed redirect too (the way a browser sees it).
    let page = browser.submit_and_follow("/logout", "x", "").await;
    assert_eq!(
        page.matches("You have been logged out.").count(),
        1,
        "{page}"
    );
    assert!(!browser.page().await.contains("logged out"));
}

/// The demo's own CSRF defences, from a client that keeps cookies: every
/// refusal is a 403 and leaves the session as it was.
#[tokio::test]
async fn forged_or_tokenless_posts_are_refused_and_change_nothing() {
    let browser = Browser::new(serve(config()).await);
    browser.submit_and_follow("/login", "name", "ada").await;
    let token = browser.token().await;
    let cookie = browser.cookie().unwrap();
    let unchanged = json!({"name": "ada", "cart": [], "status": "loaded"});

    let refused = |response: Response| async move {
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(response.headers().get(SET_COOKIE).is_none());
        response.text().await.unwrap()
    };

    // No token, an empty one, a wrong one: the handler's check.
    for body in [
        form("item", "tea"),
        format!("{}&csrf_token=", form("item", "tea")),
        format!("{}&csrf_token={}", form("item", "tea"), "A".repeat(86)),
    ] {
        let text = refused(browser.post(&browser.manual, "/cart", body).await).await;
        assert!(text.contains("CSRF token"), "{text}");
    }
    // The valid token, from another site's page: the layer's check, before
    // the handler (reqwest sends no Sec-Fetch-Site, so Origin decides).
    for origin in ["http://evil.example", "null"] {
        let response = browser
            .manual
            .post(browser.url("/cart"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .body(format!("{}&csrf_token={token}", form("item", "evil")))
            .send()
            .await
            .unwrap();
        let text = refused(response).await;
        assert!(text.contains("Origin"), "{text}");
    }
    let response = browser
        .manual
        .post(browser.url("/logout"))
        .header("sec-fetch-site", "cross-site")
        .body(format!("csrf_token={token}"))
        .send()
        .await
        .unwrap();
    assert!(refused(response).await.contains("cross-site"));

    assert_eq!(browser.cookie().unwrap(), cookie, "the jar kept its cookie");
    assert_eq!(browser.session_json().await, unchanged);

    // The same token from the demo's own origin works.
    let own = browser.url("/").origin().ascii_serialization();
    let response = browser
        .manual
        .post(browser.url("/cart"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", own)
        .body(format!("{}&csrf_token={token}", form("item", "tea")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        browser.session_json().await,
        json!({"name": "ada", "cart": ["tea"], "status": "loaded"})
    );
}

/// Logging in rotates the CSRF secret: a token from before the login (one
/// an attacker could have planted or seen) no longer works.
#[tokio::test]
async fn a_token_from_before_the_login_stops_working() {
    let browser = Browser::new(serve(config()).await);
    let before = browser.token().await;
    browser.submit_and_follow("/login", "name", "ada").await;
    let body = format!("{}&csrf_token={before}", form("item", "tea"));
    let response = browser.post(&browser.manual, "/cart", body).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("does not match"));
}

/// The `name=value` part of a session sealed under `config` holding `name`.
fn sealed_cookie(config: &SessionConfig, name: &str) -> String {
    let mut session = load(config, &http::HeaderMap::new());
    session.insert("name", name).unwrap();
    let mut headers = http::HeaderMap::new();
    save(config, &session, &mut headers).unwrap();
    let set_cookie = headers[SET_COOKIE].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn get_json_with_cookie(base: &Url, cookie: &str) -> (Value, Option<String>) {
    let response = Client::new()
        .get(base.join("/session.json").unwrap())
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned());
    let json = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    (json, set_cookie)
}

#[tokio::test]
async fn a_cookie_that_does_not_open_is_reported_and_removed() {
    let base = serve(config()).await;

    let (json, set_cookie) = get_json_with_cookie(&base, "__Host-session=not-a-sealed-value").await;
    assert_eq!(json["name"], Value::Null);
    assert!(
        json["status"]
            .as_str()
            .unwrap()
            .starts_with("invalid: malformed"),
        "{json}"
    );
    assert!(set_cookie.unwrap().contains("Max-Age=0"));

    let other_app = config_with(Keyring::new(Key::from_bytes(&[9; 32]).unwrap()));
    let foreign = sealed_cookie(&other_app, "mallory");
    let (json, set_cookie) = get_json_with_cookie(&base, &foreign).await;
    assert_eq!(
        json,
        json!({"name": null, "cart": [], "status": "invalid: unknown key"})
    );
    assert!(set_cookie.unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn after_a_key_rotation_old_cookies_load_and_are_resealed() {
    let old = Keyring::from_base64_list(KEY).unwrap();
    let cookie = sealed_cookie(&config_with(old), "ada");

    // SESSION_KEYS="new,old": the new key seals, the old one still opens.
    let new = Key::from_bytes(&[7; 32]).unwrap().to_base64();
    let rotated = Keyring::from_base64_list(&format!("{new},{KEY}")).unwrap();
    let base = serve(config_with(rotated)).await;

    let (json, set_cookie) = get_json_with_cookie(&base, &cookie).await;
    assert_eq!(
        json,
        json!({"name": "ada", "cart": [], "status": "loaded-with-fallback"})
    );
    let resealed = set_cookie.expect("re-sealed under the new key");
    let resealed = resealed.split(';').next().unwrap();
    assert_ne!(resealed, cookie);

    let (json, set_cookie) = get_json_with_cookie(&base, resealed).await;
    assert_eq!(json, json!({"name": "ada", "cart": [], "status": "loaded"}));
    assert_eq!(set_cookie, None, "nothing changed, so no new cookie");
}
