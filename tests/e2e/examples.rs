//! End-to-end tests of the framework examples (`examples/axum.rs`,
//! `examples/actix.rs`, `examples/hyper.rs`): each compiled example runs as a
//! child process on an ephemeral loopback port and is driven over HTTP by a
//! client with a cookie jar, as a browser would.
//!
//! `cargo test --test e2e examples::` does not build examples, so the first
//! test to need them runs `cargo build --example ...` once (a no-op when
//! `cargo test --all-features` has just built them) and takes the binaries'
//! paths from cargo's JSON messages rather than guessing them.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{LOCATION, VARY};
use reqwest::{Response, StatusCode, Url};
use serde_json::{Value, json};

use crate::client::{Browser, attributes, form, json_body, set_cookie, set_cookies};

/// The examples this file and `login.rs` run.
const EXAMPLES: [&str; 6] = ["axum", "actix", "hyper", "login", "keygen", "app"];

/// A fixed key handed to the examples through `SESSION_KEYS`; the test also
/// checks that it never appears in their output.
pub const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// How long building the examples may take (a cold build of the dev
/// dependencies on a 2-core machine fits well within it).
const BUILD_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long an example may take to print its `listening on` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Building the examples
// ---------------------------------------------------------------------------

/// The examples' executables, built once for all the tests of this file.
pub fn binary(name: &str) -> PathBuf {
    static BINARIES: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();
    match BINARIES.get_or_init(build_examples) {
        Ok(binaries) => binaries
            .get(name)
            .unwrap_or_else(|| panic!("cargo reported no executable for example {name}"))
            .clone(),
        Err(message) => panic!("{message}"),
    }
}

/// Runs `cargo build --example ...` with the features and profile of this
/// test and reads each example's executable path from cargo's JSON output.
fn build_examples() -> Result<HashMap<String, PathBuf>, String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    // `<target dir>/tmp` for integration tests, whatever `--target-dir` or
    // `CARGO_TARGET_DIR` said: build into the same target directory, so a
    // `cargo test` that already built the examples makes this a no-op.
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR has a parent")
        .to_owned();
    let mut command = Command::new(env!("CARGO"));
    command
        .arg("build")
        .arg("--manifest-path")
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target_dir)
        .arg("--all-features")
        .arg("--message-format=json-render-diagnostics");
    if let Some(profile) = profile() {
        command.arg("--profile").arg(profile);
    }
    for name in EXAMPLES {
        command.arg("--example").arg(name);
    }
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let stdout = read_in_background(child.stdout.take().expect("piped"));
    let stderr = read_in_background(child.stderr.take().expect("piped"));
    let stdout = match stdout.recv_timeout(BUILD_TIMEOUT) {
        Ok(text) => text,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "`cargo build --example` took over {BUILD_TIMEOUT:?}"
            ));
        }
    };
    let status = child
        .wait()
        .map_err(|e| format!("waiting for cargo: {e}"))?;
    let stderr = stderr
        .recv_timeout(Duration::from_secs(10))
        .unwrap_or_default();
    if !status.success() {
        return Err(format!(
            "`cargo build --example` failed ({status}):\n{stderr}"
        ));
    }

    let mut binaries = HashMap::new();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let is_example = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "example"));
        if message["reason"] == "compiler-artifact" && is_example {
            if let (Some(name), Some(executable)) = (
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            ) {
                binaries.insert(name.to_owned(), PathBuf::from(executable));
            }
        }
    }
    Ok(binaries)
}

/// The cargo profile this test binary was built with, from its path
/// (`<target>/<profile dir>/deps/e2e-<hash>`): `None` for `dev`.
fn profile() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.file_name()?.to_str()?.to_owned();
    match dir.as_str() {
        "debug" => None,
        _ => Some(dir),
    }
}

/// Reads a pipe to its end on a thread; the text arrives on the channel.
fn read_in_background(mut pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
    });
    rx
}

// ---------------------------------------------------------------------------
// Running an example
// ---------------------------------------------------------------------------

/// A running example, killed when dropped (also when a test panics).
pub struct Server {
    child: Child,
    pub base: Url,
    /// What the example printed up to and including its `listening on`.
    pub output: Vec<String>,
    /// Everything the example prints on stderr (its log lines), as it comes.
    /// Only the login test (feature `axum`) reads it.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    stderr: Arc<Mutex<String>>,
}

impl Server {
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    /// Waits up to five seconds for stderr to contain `needle`; returns all
    /// of stderr so far.
    pub fn wait_for_stderr(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.stderr.lock().unwrap().clone();
            if text.contains(needle) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A guard that owns the child before it is known to be ready, so a
/// failed start-up still kills it.
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts the example on port 0 (the OS picks a free one) and waits for
/// the `listening on http://...` line that gives the bound address.
fn start(name: &str) -> Server {
    start_with_keys(name, Some(KEY))
}

/// [`start`] with `SESSION_KEYS` set to `keys`, or unset.
pub fn start_with_keys(name: &str, keys: Option<&str>) -> Server {
    let mut command = Command::new(binary(name));
    command
        .arg("0")
        .env_remove("PORT")
        .env_remove("SESSION_KEYS");
    if let Some(keys) = keys {
        command.env("SESSION_KEYS", keys);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
    let mut guard = ChildGuard(Some(child));
    let stdout = guard.0.as_mut().unwrap().stdout.take().expect("piped");
    let stderr_pipe = guard.0.as_mut().unwrap().stderr.take().expect("piped");
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr_pipe).lines() {
            let Ok(line) = line else { break };
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });

    // Lines go through a channel, so the wait has a deadline; the thread
    // keeps draining stdout until the child exits.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let deadline = Instant::now() + START_TIMEOUT;
    let mut output = Vec::new();
    let base = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let address = line.strip_prefix("listening on ").map(str::to_owned);
                output.push(line);
                if let Some(address) = address {
                    break Url::parse(&address)
                        .unwrap_or_else(|e| panic!("{name}: bad address {address:?}: {e}"));
                }
            }
            Err(RecvTimeoutError::Timeout) => panic!(
                "example {name} printed no `listening on` line within {START_TIMEOUT:?}; \
                 output so far: {output:#?}"
            ),
            Err(RecvTimeoutError::Disconnected) => {
                let status = guard.0.as_mut().unwrap().wait();
                let stderr = stderr.lock().unwrap().clone();
                panic!(
                    "example {name} exited before listening ({status:?}); output: {output:#?}; \
                     stderr: {stderr}"
                )
            }
        }
    };
    Server {
        child: guard.0.take().unwrap(),
        base,
        output,
        stderr,
    }
}

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

/// The examples' page-level steps. An extension trait rather than an
/// inherent `impl Browser`: the e2e binary's modules share
/// `client::Browser`, and `demo` has steps of the same names with other
/// signatures.
trait ExampleSteps {
    /// `GET` (following redirects).
    async fn get(&self, path: &str) -> Response;
    /// `POST` a one-field form and follow the redirect to `/session.json`.
    async fn submit_and_follow(&self, path: &str, field: &str, value: &str) -> Value;
    /// `GET /session.json`: the JSON and the response's `Set-Cookie`s.
    async fn session_json(&self) -> (Value, Vec<String>);
}

impl ExampleSteps for Browser {
    async fn get(&self, path: &str) -> Response {
        self.follow
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    async fn submit_and_follow(&self, path: &str, field: &str, value: &str) -> Value {
        let response = self.post_form(&self.follow, path, field, value).await;
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        assert_eq!(response.url().path(), "/session.json", "POST {path}");
        json_body(response).await
    }

    async fn session_json(&self) -> (Value, Vec<String>) {
        let response = self.get("/session.json").await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookies = set_cookies(&response);
        (json_body(response).await, cookies)
    }
}

fn varies_on_cookie(response: &Response) -> bool {
    response
        .headers()
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("cookie"))
}

// ---------------------------------------------------------------------------
// The flow, the same for every example
// ---------------------------------------------------------------------------

/// Logs in, fills the cart, tries a change too large for the cookie, logs
/// out. `too_large` is the status the example answers for that change.
async fn login_cart_logout(name: &str, too_large: StatusCode) {
    let server = start(name);
    let output = server.output.join("\n");
    assert!(
        output.contains("is `Secure`, as in production"),
        "{name} says why the cookie is Secure over plain HTTP: {output}"
    );
    assert!(
        !output.contains(KEY),
        "{name} printed key material: {output}"
    );
    assert_ne!(server.base.port(), Some(0), "{name} printed the bound port");

    let browser = Browser::new(server.base.clone());

    // No cookie yet: a new, empty session and nothing to set.
    let (fresh, cookies) = browser.session_json().await;
    assert_eq!(fresh, json!({"name": null, "cart": [], "status": "new"}));
    assert_eq!(
        cookies,
        Vec::<String>::new(),
        "{name}: no cookie for nothing"
    );

    // Log in: a 303 that sets the session cookie.
    let login = browser
        .post(&browser.manual, "/login", form("name", "Ada Lovelace"))
        .await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER, "{name}: login");
    assert_eq!(login.headers()[LOCATION], "/session.json");
    assert!(varies_on_cookie(&login), "{name}: Vary: Cookie on login");
    let cookie = set_cookie(&login);
    assert!(cookie.starts_with("__Host-session="), "{cookie}");
    let attrs = attributes(&cookie);
    // `Secure` over plain HTTP: loopback is a secure context for browsers
    // and for the client's jar.
    for expected in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            attrs.contains(&expected),
            "{name}: {expected} missing: {cookie}"
        );
    }
    assert!(
        attrs
            .iter()
            .any(|a| a.starts_with("Max-Age=") && *a != "Max-Age=0"),
        "{name}: a lasting cookie: {cookie}"
    );
    assert!(
        browser.cookie().is_some(),
        "{name}: the jar took the cookie"
    );

    // Two items, each through a redirect to /session.json.
    let after_one = browser.submit_and_follow("/cart", "item", "tea").await;
    assert_eq!(
        after_one,
        json!({"name": "Ada Lovelace", "cart": ["tea"], "status": "loaded"})
    );
    let after_two = browser
        .submit_and_follow("/cart", "item", "milk & sugar")
        .await;
    let full = json!({"name": "Ada Lovelace", "cart": ["tea", "milk & sugar"], "status": "loaded"});
    assert_eq!(after_two, full, "{name}");

    // Reading changes nothing, so no new cookie, but the response varies.
    let read = browser.get("/session.json").await;
    assert!(varies_on_cookie(&read), "{name}: Vary: Cookie on a read");
    assert_eq!(set_cookies(&read), Vec::<String>::new(), "{name}: a read");
    assert_eq!(json_body(read).await, full, "{name}");

    // Empty input is refused and changes nothing.
    let empty = browser
        .post(&browser.manual, "/cart", form("item", " "))
        .await;
    assert_eq!(
        empty.status(),
        StatusCode::BAD_REQUEST,
        "{name}: empty item"
    );
    assert_eq!(set_cookies(&empty), Vec::<String>::new());

    // A change too large for one cookie: refused, no Set-Cookie, so the jar
    // keeps its cookie and the session is intact.
    let before = browser.cookie();
    let huge = "x".repeat(4_000);
    let refused = browser
        .post(&browser.manual, "/cart", form("item", &huge))
        .await;
    assert_eq!(refused.status(), too_large, "{name}: a too-large session");
    assert_eq!(set_cookies(&refused), Vec::<String>::new(), "{name}");
    assert_eq!(browser.cookie(), before, "{name}: the jar kept its cookie");
    assert_eq!(browser.session_json().await.0, full, "{name}: data intact");

    // Log out: a removal Set-Cookie, and the jar drops the cookie.
    let logout = browser
        .post(&browser.manual, "/logout", String::new())
        .await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER, "{name}: logout");
    let removal = set_cookie(&logout);
    assert!(removal.starts_with("__Host-session=;"), "{name}: {removal}");
    assert!(attributes(&removal).contains(&"Max-Age=0"), "{removal}");
    assert!(attributes(&removal).contains(&"Path=/"), "{removal}");
    assert_eq!(browser.cookie(), None, "{name}: the jar dropped the cookie");

    let (gone, cookies) = browser.session_json().await;
    assert_eq!(gone, json!({"name": null, "cart": [], "status": "new"}));
    assert_eq!(cookies, Vec::<String>::new());

    drop(server);
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_example_with_the_session_layer() {
    // The layer's default policy answers 413 to a session that does not
    // fit in one cookie.
    login_cart_logout("axum", StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[cfg(feature = "actix-web")]
#[tokio::test]
async fn actix_example_with_the_session_middleware() {
    // The middleware's default policy answers an empty 413 to a session
    // that does not fit in one cookie.
    login_cart_logout("actix", StatusCode::PAYLOAD_TOO_LARGE).await;
}

#[tokio::test]
async fn hyper_example_with_load_and_save() {
    login_cart_logout("hyper", StatusCode::PAYLOAD_TOO_LARGE).await;
}

// ---------------------------------------------------------------------------
// Cross-site POSTs (issue 23): every example that accepts a POST refuses
// one from another site's page, with no configuration of its own beyond
// what the README recommends. The demo's refusals are in `demo.rs`.
// ---------------------------------------------------------------------------

/// Posts a login form to `name` as another site's page makes a browser send
/// it, each way a browser says so (`Sec-Fetch-Site`, or only `Origin`):
/// refused with 403, no cookie set.
async fn refuses_a_cross_site_login(name: &str) {
    let server = start(name);
    let browser = Browser::new(server.base.clone());
    for (header, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ] {
        let response = browser
            .manual
            .post(browser.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header(header, value)
            .body(form("name", "mallory"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{name}: a cross-site login ({header}: {value})"
        );
        assert_eq!(set_cookies(&response), Vec::<String>::new(), "{name}");
    }
    assert_eq!(browser.cookie(), None, "{name}: no session was created");
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_axum_example_refuses_a_cross_site_post() {
    refuses_a_cross_site_login("axum").await;
}

#[cfg(feature = "actix-web")]
#[tokio::test]
async fn the_actix_example_refuses_a_cross_site_post() {
    refuses_a_cross_site_login("actix").await;
}

#[tokio::test]
async fn the_hyper_example_refuses_a_cross_site_post() {
    refuses_a_cross_site_login("hyper").await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_login_example_refuses_a_cross_site_post() {
    refuses_a_cross_site_login("login").await;
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn the_readme_app_refuses_a_cross_site_post() {
    refuses_a_cross_site_login("app").await;
}

/// The hidden `csrf_token` of the first form on a page.
fn token_in(page: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = page.find(marker).expect("a form with a token") + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

/// The README's complete app (`examples/app.rs`): log in, count, log out
/// with a flash; a POST without the page's token is refused.
#[cfg(feature = "axum")]
#[tokio::test]
async fn the_readme_app_logs_in_counts_and_logs_out_with_a_flash() {
    let server = start("app");
    let browser = Browser::new(server.base.clone());
    let page = |browser: &Browser| {
        let (client, url) = (browser.follow.clone(), browser.url("/"));
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let home = page(&browser).await;
    assert!(home.contains("Log in"), "{home}");

    // Without the token: refused, no session change.
    let refused = browser
        .post(&browser.manual, "/login", form("name", "ada"))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let token = token_in(&home);
    let body = format!("{}&csrf_token={token}", form("name", "<ada>"));
    let login = browser.post(&browser.manual, "/login", body).await;
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    let home = page(&browser).await;
    assert!(
        home.contains("Hello, &lt;ada&gt;! You counted 0."),
        "{home}"
    );
    // Login rotated the CSRF secret: the token from before is refused.
    let stale = browser
        .post(&browser.manual, "/count", format!("csrf_token={token}"))
        .await;
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);

    for _ in 0..2 {
        let token = token_in(&page(&browser).await);
        let counted = browser
            .post(&browser.manual, "/count", format!("csrf_token={token}"))
            .await;
        assert_eq!(counted.status(), StatusCode::SEE_OTHER);
    }
    assert!(page(&browser).await.contains("You counted 2."));

    let token = token_in(&page(&browser).await);
    let logout = browser
        .post(&browser.manual, "/logout", format!("csrf_token={token}"))
        .await;
    assert_eq!(logout.status(), StatusCode::SEE_OTHER);
    let home = page(&browser).await;
    assert!(home.contains("You are logged out."), "{home}");
    assert!(home.contains("Log in"), "{home}");
    // Read once.
    assert!(!page(&browser).await.contains("You are logged out."));
}
