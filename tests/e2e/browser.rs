//! The demo (`examples/demo`) in a real browser: headless Chromium, driven
//! over the DevTools protocol (CDP), logs in through the page's form, fills
//! the cart, grows the session cookie to within a few bytes of the
//! 4,093-byte limit and checks that Chromium stores that cookie and sends it
//! back whole, that the next change is refused by the crate (413, no
//! `Set-Cookie`) rather than dropped by the browser, and logs out.
//!
//! Needs Debian's `chromium` at `/usr/bin/chromium` (`.ci/browser-deps.sh`
//! installs it; `SEALED_SESSION_CHROMIUM` names another executable), so the
//! test is `#[ignore]`d: `cargo test --all-features` counts it as ignored,
//! and `cargo test --all-features -- --ignored` runs it. Once asked to run,
//! a missing Chromium is a failure, never a pass.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Url;
use sealed_session::{Keyring, SessionConfig};
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use crate::app;

/// Debian's Chromium, unless `SEALED_SESSION_CHROMIUM` names another.
const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
const CHROMIUM_VAR: &str = "SEALED_SESSION_CHROMIUM";

/// The crate's default size limit for `name=value`.
const LIMIT: u64 = 4_093;
/// How close to the limit the grown cookie must get.
const NEAR: u64 = 16;

/// The demo's cookie name.
const COOKIE: &str = "__Host-session";

/// A fixed key, so a failure reproduces exactly (bytes 0 to 31).
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// How long Chromium may take to print its DevTools address.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one CDP command or awaited event may take (a page load, a
/// `fetch`).
const CDP_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Chromium
// ---------------------------------------------------------------------------

/// A headless Chromium with a fresh profile. Dropping it kills its whole
/// process group (browser, renderers, utilities) and removes the profile.
pub(crate) struct Chromium {
    child: Child,
    profile: PathBuf,
    pub(crate) ws_url: String,
    /// Chromium's last lines on stderr, for failure messages.
    stderr_tail: Arc<Mutex<Vec<String>>>,
}

impl Chromium {
    /// Starts Chromium, or panics saying how to install it: a test that
    /// asked for a browser fails without one, it never passes by skipping.
    pub(crate) fn start() -> Self {
        let executable = chromium_path();
        assert!(
            executable.exists(),
            "{} not found: this test needs Debian's chromium; install it with \
             `bash .ci/browser-deps.sh` (or point {CHROMIUM_VAR} at a Chromium build)",
            executable.display()
        );
        let profile = std::env::temp_dir().join(format!(
            "sealed-session-chromium-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&profile).unwrap();
        let mut command = Command::new(&executable);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // Its own process group, so that drop can end every process Chromium
        // started, not only the first.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = match command.spawn() {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&profile);
                panic!("cannot start {}: {e}", executable.display());
            }
        };
        let mut chromium = Chromium {
            child,
            profile,
            ws_url: String::new(),
            stderr_tail: Arc::default(),
        };

        // `DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID` on
        // stderr; the thread keeps draining stderr afterwards.
        let stderr = chromium.child.stderr.take().expect("piped");
        let tail = chromium.stderr_tail.clone();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_owned());
                }
                let mut tail = tail.lock().unwrap();
                tail.push(line);
                if tail.len() > 40 {
                    tail.remove(0);
                }
            }
        });
        chromium.ws_url = match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => url,
            Err(RecvTimeoutError::Timeout) => panic!(
                "Chromium printed no DevTools address within {START_TIMEOUT:?}; stderr: {:#?}",
                chromium.stderr_tail.lock().unwrap()
            ),
            Err(RecvTimeoutError::Disconnected) => panic!(
                "Chromium exited before listening ({:?}); stderr: {:#?}",
                chromium.child.try_wait(),
                chromium.stderr_tail.lock().unwrap()
            ),
        };
        chromium
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // The group's id is the browser's pid (`process_group(0)`).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

// ---------------------------------------------------------------------------
// A minimal CDP client over a blocking WebSocket
// ---------------------------------------------------------------------------

pub(crate) struct Cdp {
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// The page's flat-mode session.
    session: String,
    /// Events read while waiting for something else, oldest first.
    events: Vec<Value>,
}

impl Cdp {
    /// Connects to the browser and opens a page, with the `Page` and
    /// `Network` domains enabled.
    pub(crate) fn connect(ws_url: &str) -> Self {
        let url = Url::parse(ws_url).unwrap();
        let addr = (url.host_str().unwrap(), url.port().unwrap())
            .to_socket_addrs()
            .unwrap()
            .next()
            .unwrap();
        let stream = TcpStream::connect_timeout(&addr, CDP_TIMEOUT).unwrap();
        stream.set_write_timeout(Some(CDP_TIMEOUT)).unwrap();
        stream.set_read_timeout(Some(CDP_TIMEOUT)).unwrap();
        let (ws, _) = tungstenite::client(ws_url, stream)
            .unwrap_or_else(|e| panic!("DevTools WebSocket handshake: {e}"));
        let mut cdp = Cdp {
            ws,
            next_id: 0,
            session: String::new(),
            events: Vec::new(),
        };
        let target = cdp.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_owned();
        let attached = cdp.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        cdp.session = attached["sessionId"].as_str().unwrap().to_owned();
        cdp.call("Page.enable", json!({}));
        cdp.call("Network.enable", json!({}));
        cdp
    }

    /// A command to the browser itself.
    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(None, method, params)
    }

    /// A command to the page.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(Some(&session), method, params)
    }

    fn send(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = session.into();
        }
        self.ws
            .send(Message::text(message.to_string()))
            .unwrap_or_else(|e| panic!("sending {method}: {e}"));
        let deadline = Instant::now() + CDP_TIMEOUT;
        loop {
            let message = self.read(deadline, method);
            if message["id"] == id {
                if let Some(error) = message.get("error") {
                    panic!("{method} failed: {error}");
                }
                return message["result"].clone();
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    /// The next message, or a panic naming `what` at the deadline.
    fn read(&mut self, deadline: Instant, what: &str) -> Value {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!("timed out after {CDP_TIMEOUT:?} waiting for {what}");
            }
            self.ws.get_mut().set_read_timeout(Some(left)).unwrap();
            match self.ws.read() {
                Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).unwrap(),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    panic!("timed out after {CDP_TIMEOUT:?} waiting for {what}")
                }
                Err(e) => panic!("DevTools connection, waiting for {what}: {e}"),
            }
        }
    }

    /// Waits for the first event (buffered or new) that `matches`.
    pub(crate) fn wait_event(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.events.iter().position(&matches) {
            return self.events.remove(i);
        }
        let deadline = Instant::now() + CDP_TIMEOUT;
        loop {
            let message = self.read(deadline, what);
            if matches(&message) {
                return message;
            }
            if message.get("method").is_some() {
                self.events.push(message);
            }
        }
    }

    /// Evaluates `expression` in the page, awaiting a promise, and returns
    /// its value as JSON.
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(details) = result.get("exceptionDetails") {
            panic!("{expression} threw: {details}");
        }
        result["result"]["value"].clone()
    }

    /// Runs `action` (which starts a navigation) and waits for the new
    /// page's `load` event.
    pub(crate) fn navigating(&mut self, what: &str, action: impl FnOnce(&mut Self)) {
        self.events.retain(|e| e["method"] != "Page.loadEventFired");
        action(self);
        let session = self.session.clone();
        self.wait_event(&format!("the page load after {what}"), |e| {
            e["method"] == "Page.loadEventFired" && e["sessionId"] == session.as_str()
        });
    }

    pub(crate) fn navigate(&mut self, url: &Url) {
        self.navigating(&format!("navigating to {url}"), |cdp| {
            let result = cdp.call("Page.navigate", json!({"url": url.as_str()}));
            assert!(
                result.get("errorText").is_none(),
                "navigating to {url}: {result}"
            );
        });
    }

    /// Fills the input of the form posting to `action` (if `value` is
    /// given) and clicks its button, as a person would.
    pub(crate) fn submit_form(&mut self, action: &str, value: Option<&str>) {
        let fill = value.map_or(String::new(), |v| {
            format!(
                "form.querySelector('input:not([type=hidden])').value = {};",
                js_string(v)
            )
        });
        let script = format!(
            "(() => {{ const form = document.querySelector('form[action=\"{action}\"]'); \
             if (!form) return false; {fill} form.querySelector('button').click(); \
             return true; }})()"
        );
        self.navigating(&format!("submitting {action}"), |cdp| {
            assert_eq!(cdp.eval(&script), json!(true), "no form for {action}");
        });
    }

    pub(crate) fn body_text(&mut self) -> String {
        self.eval("document.body.innerText")
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `GET /session.json` from the page, with the browser's cookies.
    pub(crate) fn session_json(&mut self) -> Value {
        self.eval(
            "fetch('/session.json').then(r => { \
             if (!r.ok) throw new Error('status ' + r.status); return r.json(); })",
        )
    }

    /// `POST /cart` from the page with `fetch`, with the page's CSRF token;
    /// returns the final status, whether a redirect was followed, and the
    /// body.
    fn post_cart(&mut self, item: &str) -> (u64, bool, String) {
        let result = self.eval(&format!(
            "(async () => {{ const r = await fetch('/cart', {{method: 'POST', \
             body: new URLSearchParams({{item: {}, csrf_token: \
             document.querySelector('input[name=csrf_token]').value}})}}); \
             return {{status: r.status, redirected: r.redirected, text: await r.text()}}; }})()",
            js_string(item)
        ));
        (
            result["status"].as_u64().unwrap(),
            result["redirected"].as_bool().unwrap(),
            result["text"].as_str().unwrap().to_owned(),
        )
    }

    /// The browser's `session` cookie, if it holds one (CDP sees HttpOnly
    /// cookies, which the page cannot).
    pub(crate) fn session_cookie(&mut self) -> Option<Value> {
        let all = self.browser_call("Storage.getCookies", json!({}));
        let mut found = all["cookies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["name"] == COOKIE)
            .cloned()
            .collect::<Vec<_>>();
        assert!(found.len() <= 1, "more than one session cookie: {found:?}");
        found.pop()
    }

    /// Forgets the network events seen so far.
    pub(crate) fn clear_network_events(&mut self) {
        self.events.retain(|e| {
            !e["method"]
                .as_str()
                .is_some_and(|m| m.starts_with("Network."))
        });
    }

    /// The id of the request to `url` with `method`, seen since the last
    /// [`Cdp::clear_network_events`].
    pub(crate) fn request_id(&mut self, method: &str, url: &Url) -> String {
        let event = self.wait_event(&format!("{method} {url} to be sent"), |e| {
            e["method"] == "Network.requestWillBeSent"
                && e["params"]["request"]["url"] == url.as_str()
                && e["params"]["request"]["method"] == method
        });
        event["params"]["requestId"].as_str().unwrap().to_owned()
    }

    /// The raw headers of the response with `status` to request `id`, and
    /// the cookies the browser refused from it.
    pub(crate) fn response_headers(&mut self, id: &str, status: u64) -> (Value, Vec<Value>) {
        let event = self.wait_event(&format!("the {status} response's headers"), |e| {
            e["method"] == "Network.responseReceivedExtraInfo"
                && e["params"]["requestId"] == id
                && e["params"]["statusCode"] == status
        });
        let blocked = event["params"]["blockedCookies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (event["params"]["headers"].clone(), blocked)
    }

    /// The raw headers the browser sent with request `id`.
    pub(crate) fn request_headers(&mut self, id: &str) -> Value {
        let event = self.wait_event("the request's headers", |e| {
            e["method"] == "Network.requestWillBeSentExtraInfo" && e["params"]["requestId"] == id
        });
        event["params"]["headers"].clone()
    }
}

/// A JavaScript string literal (JSON's is one).
fn js_string(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// A header from CDP's raw header object (name case as sent; repeated
/// headers are joined with newlines).
pub(crate) fn header(headers: &Value, name: &str) -> Option<String> {
    headers.as_object().unwrap().iter().find_map(|(k, v)| {
        k.eq_ignore_ascii_case(name)
            .then(|| v.as_str().unwrap().to_owned())
    })
}

pub(crate) fn string(cookie: &Value, field: &str) -> String {
    cookie[field].as_str().unwrap().to_owned()
}

/// `size` as CDP reports it, checked against name and value.
fn cookie_size(cookie: &Value) -> u64 {
    let size = cookie["size"].as_u64().unwrap();
    let computed = string(cookie, "name").len() + 1 + string(cookie, "value").len();
    // CDP's `size` is name + value, without the `=`.
    assert_eq!(size + 1, computed as u64, "{cookie}");
    size + 1
}

// ---------------------------------------------------------------------------
// The demo server, in-process
// ---------------------------------------------------------------------------

/// Serves the demo's router on an ephemeral loopback port; the runtime's
/// drop ends it.
fn serve(runtime: &tokio::runtime::Runtime) -> Url {
    let config = SessionConfig::builder(Keyring::from_base64_list(KEY).unwrap())
        // As the demo's main: `Secure` and `__Host-` over plain HTTP on
        // loopback, which Chromium treats as a secure context.
        .cookie_name(COOKIE)
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    runtime.spawn(async move {
        axum::serve(listener, app::router(config)).await.unwrap();
    });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

fn chromium_path() -> PathBuf {
    std::env::var_os(CHROMIUM_VAR).map_or_else(|| PathBuf::from(DEFAULT_CHROMIUM), PathBuf::from)
}

/// The runtime the servers under a browser test run on.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
#[ignore = "needs chromium: bash .ci/browser-deps.sh, then cargo test --all-features -- --ignored"]
fn chromium_keeps_a_near_limit_session_cookie_and_the_crate_refuses_one_too_large() {
    let runtime = runtime();
    let base = serve(&runtime);
    let chromium = Chromium::start();
    let mut cdp = Cdp::connect(&chromium.ws_url);

    // The demo's page, not logged in; its forms' CSRF token created the
    // session (the secret only).
    cdp.navigate(&base);
    assert!(cdp.body_text().contains("Not logged in"));
    assert_eq!(
        cdp.session_json(),
        json!({"name": null, "cart": [], "status": "loaded"})
    );

    // Log in and add two items through the page's forms.
    cdp.submit_form("/login", Some("Ada"));
    let page = cdp.body_text();
    assert!(page.contains("Logged in as Ada"), "{page}");
    cdp.submit_form("/cart", Some("tea"));
    cdp.submit_form("/cart", Some("biscuits"));
    let page = cdp.body_text();
    assert!(page.contains("tea") && page.contains("biscuits"), "{page}");

    // The browser holds the cookie with the demo's attributes; the page's
    // script cannot read it (HttpOnly).
    let cookie = cdp
        .session_cookie()
        .expect("Chromium stored the session cookie");
    assert_eq!(cookie["httpOnly"], true, "{cookie}");
    assert_eq!(cookie["secure"], true, "{cookie}");
    assert_eq!(cookie["sameSite"], "Lax", "{cookie}");
    assert_eq!(cookie["path"], "/", "{cookie}");
    assert_eq!(cookie["domain"], "127.0.0.1", "{cookie}");
    assert_eq!(cookie["session"], false, "a persistent cookie: {cookie}");
    assert_eq!(cdp.eval("document.cookie"), json!(""));
    let mut cart = vec!["tea".to_owned(), "biscuits".to_owned()];
    assert_eq!(
        cdp.session_json(),
        json!({"name": "Ada", "cart": cart, "status": "loaded"})
    );

    // Grow the cart until the cookie is within NEAR bytes of the limit.
    // With r bytes left, an item of 3r/4 - 6 characters adds between r - 9
    // and r - 2 characters to the cookie (4/3 base64, plus its length
    // prefixes), so it always fits and lands within 9 bytes. Items are
    // capped so the cart has several.
    let cart_url = base.join("/cart").unwrap();
    let mut grown = 0;
    let near_limit = loop {
        let cookie = cdp.session_cookie().expect("a session cookie");
        let size = cookie_size(&cookie);
        assert!(size <= LIMIT, "the browser holds a {size}-byte cookie");
        let left = LIMIT - size;
        if left <= NEAR {
            break cookie;
        }
        assert!(grown < 30, "the cookie did not grow towards the limit");
        let len = usize::try_from((left * 3 / 4 - 6).min(1_000)).unwrap();
        let item = char::from(b'a' + grown).to_string().repeat(len);
        grown += 1;

        cdp.clear_network_events();
        let (status, redirected, _) = cdp.post_cart(&item);
        assert_eq!(
            (status, redirected),
            (200, true),
            "an item of {len} characters with {left} bytes left was refused"
        );
        cart.push(item);

        // The 303 carried the new cookie and Chromium accepted it.
        let id = cdp.request_id("POST", &cart_url);
        let (headers, blocked) = cdp.response_headers(&id, 303);
        let set_cookie = header(&headers, "set-cookie").expect("a Set-Cookie with the 303");
        assert!(blocked.is_empty(), "Chromium refused {blocked:?}");
        let stored = cdp.session_cookie().expect("a session cookie");
        assert!(
            set_cookie.starts_with(&format!("{COOKIE}={};", string(&stored, "value"))),
            "Chromium stored the cookie it was sent"
        );
    };
    let size = cookie_size(&near_limit);
    assert!(
        (LIMIT - NEAR..=LIMIT).contains(&size),
        "a {size}-byte cookie"
    );
    assert!(cart.len() >= 5, "a cart of {} items", cart.len());
    eprintln!(
        "near-limit session cookie: {size} of {LIMIT} bytes, {} cart items",
        cart.len()
    );

    // Chromium sends the whole near-limit cookie back, and the server reads
    // the full cart from it.
    let value = string(&near_limit, "value");
    cdp.clear_network_events();
    let full = json!({"name": "Ada", "cart": cart, "status": "loaded"});
    assert_eq!(cdp.session_json(), full);
    let id = cdp.request_id("GET", &base.join("/session.json").unwrap());
    let sent = header(&cdp.request_headers(&id), "cookie").expect("a Cookie header");
    assert!(
        sent.split("; ").any(|c| c == format!("{COOKIE}={value}")),
        "Chromium sent the {size}-byte cookie whole"
    );

    // One more item would not fit: the crate refuses it with a 413 and no
    // Set-Cookie, so the browser keeps the previous cookie and the data.
    cdp.clear_network_events();
    let (status, redirected, body) = cdp.post_cart(&"z".repeat(16));
    let excerpt: String = body.chars().take(300).collect();
    assert_eq!((status, redirected), (413, false), "{excerpt}");
    let needed: u64 = body
        .split("would need a ")
        .nth(1)
        .and_then(|rest| rest.split('-').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {body}"));
    assert!(
        needed > LIMIT && needed <= size + 30,
        "{needed} bytes needed, from {size}"
    );
    let id = cdp.request_id("POST", &cart_url);
    let (headers, _) = cdp.response_headers(&id, 413);
    assert_eq!(header(&headers, "set-cookie"), None, "a refused change");
    let kept = cdp.session_cookie().expect("the cookie is still there");
    assert_eq!(string(&kept, "value"), value, "Chromium kept its cookie");
    assert_eq!(cdp.session_json(), full, "the session is intact");

    // Log out through the page's form: the data is gone, and the next page
    // says so once (a flash message).
    cdp.navigate(&base);
    cdp.submit_form("/logout", None);
    let page = cdp.body_text();
    assert!(page.contains("Not logged in"), "{page}");
    assert!(page.contains("You have been logged out."), "{page}");
    let cookie = cdp.session_cookie().expect("the new page's CSRF secret");
    assert_ne!(
        string(&cookie, "value"),
        value,
        "the old cookie was replaced"
    );
    assert_eq!(
        cdp.session_json(),
        json!({"name": null, "cart": [], "status": "loaded"})
    );

    drop(cdp);
    drop(chromium);
}

/// The rule for the ignored browser tests, on a Chromium that is not there:
/// asked to run (`--ignored`), the browser test fails with a message that
/// says how to install Chromium; it never passes without having run. (Run
/// in a child process of this very test binary.)
#[test]
fn without_chromium_an_ignored_browser_test_run_with_ignored_fails() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "browser::chromium_keeps_a_near_limit_session_cookie_and_the_crate_refuses_one_too_large",
        ])
        .env(CHROMIUM_VAR, "/nonexistent/chromium")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("/nonexistent/chromium not found")
            && text.contains("bash .ci/browser-deps.sh"),
        "{text}"
    );
    assert!(text.contains("1 failed"), "the test ran and failed: {text}");
    assert!(!text.contains("SKIPPED"), "{text}");
}
