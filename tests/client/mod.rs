//! A cookie-keeping HTTP client for the end-to-end tests
//! (`tests/e2e/demo.rs`, `tests/e2e/examples.rs`), and the small readers of
//! its responses. Each test file adds the page-level steps of its own server
//! in an `impl Browser`.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::SET_COOKIE;
use reqwest::redirect::Policy;
use reqwest::{Client, Response, Url};
use serde_json::Value;

/// No request may hang a test.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Two clients over one cookie jar: `follow` follows redirects like a
/// browser, `manual` stops at the 303 so its `Set-Cookie` can be read.
/// (`cookie_provider` is `cookie_store(true)` with a jar the test can share
/// between the clients and inspect.)
pub struct Browser {
    pub base: Url,
    pub jar: Arc<Jar>,
    pub follow: Client,
    pub manual: Client,
}

impl Browser {
    pub fn new(base: Url) -> Self {
        let jar = Arc::new(Jar::default());
        let client = |policy| {
            Client::builder()
                .cookie_provider(jar.clone())
                .redirect(policy)
                .timeout(REQUEST_TIMEOUT)
                .build()
                .unwrap()
        };
        Self {
            follow: client(Policy::limited(5)),
            manual: client(Policy::none()),
            base,
            jar,
        }
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap()
    }

    /// `POST` a form-encoded `body` with `client`.
    pub async fn post(&self, client: &Client, path: &str, body: String) -> Response {
        client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// `POST` a one-field form with `client`.
    pub async fn post_form(
        &self,
        client: &Client,
        path: &str,
        field: &str,
        value: &str,
    ) -> Response {
        self.post(client, path, form(field, value)).await
    }

    /// The `Cookie` header the jar would send now.
    pub fn cookie(&self) -> Option<String> {
        self.jar
            .cookies(&self.base)
            .map(|v| v.to_str().unwrap().to_owned())
    }
}

pub async fn json_body(response: Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// `application/x-www-form-urlencoded` for one field (reqwest's `form`
/// feature is not enabled just for this).
pub fn form(field: &str, value: &str) -> String {
    let mut out = format!("{field}=");
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => write!(out, "%{b:02X}").unwrap(),
        }
    }
    out
}

pub fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The only `Set-Cookie` of a response.
pub fn set_cookie(response: &Response) -> String {
    let all = set_cookies(response);
    assert_eq!(all.len(), 1, "exactly one Set-Cookie: {all:?}");
    all.into_iter().next().unwrap()
}

/// The attributes after `name=value`, trimmed.
pub fn attributes(set_cookie: &str) -> Vec<&str> {
    set_cookie.split(';').skip(1).map(str::trim).collect()
}
