//! The demo's routes: a login name and a shopping cart kept in one sealed
//! cookie, with no session middleware. Every handler calls
//! [`sealed_session::load`] on the request headers and [`sealed_session::save`]
//! on the response itself, so the whole integration is visible here.
//!
//! CSRF: the framework-free [`CrossOrigin`] check refuses cross-origin POSTs
//! (Go's `CrossOriginProtection`; the `tower` feature's `CsrfLayer` does the
//! same as a layer), and every form carries a session-bound token that its
//! handler verifies with [`csrf::verify`]. Flash messages
//! greet a login and confirm a logout.
//!
//! `tests/e2e/main.rs` includes this file with `#[path]`, so the tests drive the
//! very router that `cargo run --example demo` serves.
#![forbid(unsafe_code)]

use axum::extract::{Form, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sealed_session::csrf::{self, CrossOrigin};
use sealed_session::flash::{self, Level, Message};
use sealed_session::time::OffsetDateTime;
use sealed_session::{SaveError, Session, SessionConfig, SessionError, Status, load, save};
use serde::Deserialize;

/// Session key of the logged-in name (a `String`).
const NAME: &str = "name";
/// Session key of the cart (a `Vec<String>`).
const CART: &str = "cart";

/// The demo's routes, sharing `config` (cheap to clone: an `Arc`).
///
/// The state-changing routes are POSTs only, and defended three times: the
/// cross-origin check refuses a POST another site's page makes the browser send
/// (`Sec-Fetch-Site`, or `Origin` against `Host`); each form's token must
/// match the session's secret; and with the default `SameSite=Lax` the
/// browser does not send the cookie on cross-site POSTs anyway.
pub fn router(config: SessionConfig) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/login", post(login))
        .route("/cart", post(add_to_cart))
        .route("/logout", post(logout))
        .route("/session.json", get(session_json))
        .with_state(config)
        .layer(middleware::from_fn(cross_origin))
}

/// Refuses an unsafe request another site's page made the browser send,
/// with a 403 that says which check failed.
async fn cross_origin(request: Request, next: Next) -> Response {
    match CrossOrigin::default().check(&request) {
        Ok(()) => next.run(request).await,
        Err(refused) => (StatusCode::FORBIDDEN, refused.to_string()).into_response(),
    }
}

/// The form field carrying the CSRF token.
const TOKEN_FIELD: &str = "csrf_token";

/// The body of `POST /login`.
#[derive(Deserialize)]
struct LoginForm {
    name: String,
    csrf_token: Option<String>,
}

/// The body of `POST /cart`.
#[derive(Deserialize)]
struct CartForm {
    item: String,
    csrf_token: Option<String>,
}

/// The body of `POST /logout`.
#[derive(Deserialize)]
struct LogoutForm {
    csrf_token: Option<String>,
}

/// What the pages show, read out of the session.
struct View {
    name: Option<String>,
    cart: Vec<String>,
}

impl View {
    fn read(session: &Session) -> Result<Self, SessionError> {
        Ok(Self {
            name: session.get(NAME)?,
            cart: session.get(CART)?.unwrap_or_default(),
        })
    }
}

async fn index(State(config): State<SessionConfig>, headers: HeaderMap) -> Response {
    let mut session = load(&config, &headers);
    let view = match View::read(&session) {
        Ok(view) => view,
        Err(e) => return session_error(&e),
    };
    // Shown once: reading removes them.
    let messages = flash::take_all(&mut session);
    // A fresh masking per page; the first one creates the session's secret.
    let token = csrf::token(&mut session);
    let page = Html(render_index(&view, &session, &messages, &token)).into_response();
    // Saving on reads too: it re-seals a cookie opened with a fallback key and
    // removes one that did not open, so a stale cookie is not sent forever.
    finish(&config, &session, page)
}

async fn login(
    State(config): State<SessionConfig>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let mut session = load(&config, &headers);
    if let Some(refused) = refuse_bad_token(&session, form.csrf_token.as_deref()) {
        return refused;
    }
    let name = form.name.trim();
    if name.is_empty() {
        return bad_request("The name must not be empty.");
    }
    if let Err(e) = session.insert(NAME, name) {
        return session_error(&e);
    }
    if let Err(e) = flash::add(&mut session, Level::Success, format!("Welcome, {name}!")) {
        return session_error(&e);
    }
    // A change of privilege: start the session anew (fresh creation time and
    // cookie) while keeping the cart, as Django's `cycle_key` does, and
    // rotate the CSRF secret, as Django's `login()` does.
    session.renew();
    csrf::renew(&mut session);
    finish(&config, &session, Redirect::to("/").into_response())
}

async fn add_to_cart(
    State(config): State<SessionConfig>,
    headers: HeaderMap,
    Form(form): Form<CartForm>,
) -> Response {
    let mut session = load(&config, &headers);
    if let Some(refused) = refuse_bad_token(&session, form.csrf_token.as_deref()) {
        return refused;
    }
    let item = form.item.trim();
    if item.is_empty() {
        return bad_request("The item must not be empty.");
    }
    let mut cart: Vec<String> = match session.get(CART) {
        Ok(cart) => cart.unwrap_or_default(),
        Err(e) => return session_error(&e),
    };
    cart.push(item.to_owned());
    if let Err(e) = session.insert(CART, &cart) {
        return session_error(&e);
    }
    // Measured before saving, without sealing: the size `save` would refuse
    // with `SaveError::TooLarge` (the check in `finish` stays as the net).
    let size = config.cookie_name().len() + 1 + session.encoded_len();
    if size > config.size_limit() {
        return too_large(size, config.size_limit());
    }
    finish(&config, &session, Redirect::to("/").into_response())
}

async fn logout(
    State(config): State<SessionConfig>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let mut session = load(&config, &headers);
    if let Some(refused) = refuse_bad_token(&session, form.csrf_token.as_deref()) {
        return refused;
    }
    // Removes the data (the CSRF secret too). The old cookie value itself
    // stays valid until it expires (nothing is stored on the server to
    // revoke), which is why the lifetime should stay short.
    session.flush();
    // The message starts a new, otherwise empty session for the next page.
    if let Err(e) = flash::add(&mut session, Level::Info, "You have been logged out.") {
        return session_error(&e);
    }
    finish(&config, &session, Redirect::to("/").into_response())
}

/// The form's token must be a masking of this session's secret: `None` when
/// it is, else the 403 page. The reason is named (it holds no secret), so a
/// person knows to reload the page.
fn refuse_bad_token(session: &Session, submitted: Option<&str>) -> Option<Response> {
    let reason = csrf::verify(session, submitted.unwrap_or_default()).err()?;
    let message = format!(
        "This form has expired or did not come from this site ({reason}). \
         Reload the page and try again."
    );
    Some((StatusCode::FORBIDDEN, Html(message_page(&message))).into_response())
}

async fn session_json(State(config): State<SessionConfig>, headers: HeaderMap) -> Response {
    let session = load(&config, &headers);
    let view = match View::read(&session) {
        Ok(view) => view,
        Err(e) => return session_error(&e),
    };
    let body = Json(serde_json::json!({
        "name": view.name,
        "cart": view.cart,
        "status": status_label(session.status()),
    }));
    finish(&config, &session, body.into_response())
}

/// Writes the session into `response`, or replaces the response when the
/// session cannot be saved. On [`SaveError::TooLarge`] no `Set-Cookie` is sent,
/// so the browser keeps its previous cookie and loses nothing but this
/// request's change.
fn finish(config: &SessionConfig, session: &Session, mut response: Response) -> Response {
    match save(config, session, &mut response) {
        Ok(()) => response,
        Err(SaveError::TooLarge { size, limit }) => too_large(size, limit),
        Err(e) => {
            // Only the OS random source can fail here; the message holds no
            // secret.
            eprintln!("saving the session failed: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(message_page("The session could not be saved.")),
            )
                .into_response()
        }
    }
}

/// A change that would make the cookie `size` bytes, over `limit`: no
/// `Set-Cookie`, so the browser keeps its previous cookie and loses nothing
/// but this request's change.
fn too_large(size: usize, limit: usize) -> Response {
    let message = format!(
        "The session would need a {size}-byte cookie, over the {limit}-byte limit \
         browsers accept, so this change was not saved. Your session is as it was \
         before; log out to start over."
    );
    (StatusCode::PAYLOAD_TOO_LARGE, Html(message_page(&message))).into_response()
}

/// A value in the session is not of the type the demo stores there. Only a
/// holder of the key can produce that, so it is a server bug, not bad input.
fn session_error(e: &SessionError) -> Response {
    // SessionError names the key, never the value.
    eprintln!("session data unreadable: {e}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(message_page("The session holds unexpected data.")),
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Html(message_page(message))).into_response()
}

/// How the session was loaded, for people and for the JSON.
fn status_label(status: Status) -> String {
    match status {
        Status::New => "new".to_owned(),
        Status::Loaded => "loaded".to_owned(),
        Status::LoadedWithFallback => "loaded-with-fallback".to_owned(),
        Status::Expired => "expired".to_owned(),
        Status::Invalid(reason) => format!("invalid: {reason}"),
        // `Status` is non-exhaustive: a later version may add a case.
        other => format!("{other:?}"),
    }
}

fn render_index(view: &View, session: &Session, messages: &[Message], token: &str) -> String {
    let mut body = String::new();
    for message in messages {
        body.push_str(&format!(
            r#"<p class="flash {}">{}</p>"#,
            message.level,
            escape(&message.text)
        ));
    }
    // The same hidden field in every form (a token is base64url: nothing to
    // escape, but escaping costs nothing).
    let hidden = format!(
        r#"<input type="hidden" name="{TOKEN_FIELD}" value="{}">"#,
        escape(token)
    );
    match &view.name {
        Some(name) => {
            body.push_str(&format!("<p>Logged in as <b>{}</b>.</p>", escape(name)));
            body.push_str(&format!(
                r#"<form method="post" action="/logout">{hidden}<button>Log out</button></form>"#
            ));
        }
        None => body.push_str(&format!(
            "<p>Not logged in.</p>\
             <form method=\"post\" action=\"/login\">\
             <label>Name <input name=\"name\" required></label>{hidden} <button>Log in</button>\
             </form>",
        )),
    }
    body.push_str("<h2>Cart</h2>");
    if view.cart.is_empty() {
        body.push_str("<p>Empty.</p>");
    } else {
        body.push_str("<ul>");
        for item in &view.cart {
            body.push_str(&format!("<li>{}</li>", escape(item)));
        }
        body.push_str("</ul>");
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/cart\">\
         <label>Item <input name=\"item\" required></label>{hidden} <button>Add</button>\
         </form>",
    ));
    body.push_str("<h2>Session</h2><ul>");
    body.push_str(&format!(
        "<li>Status: {}</li>",
        escape(&status_label(session.status()))
    ));
    if session.is_empty() {
        body.push_str("<li>No data, so no cookie.</li>");
    } else {
        body.push_str(&format!(
            "<li>Expires: {}</li>",
            format_utc(session.expiry_date())
        ));
    }
    body.push_str(r#"</ul><p><a href="/session.json">/session.json</a></p>"#);
    page("sealed-session demo", &body)
}

fn message_page(message: &str) -> String {
    page(
        "sealed-session demo",
        &format!(r#"<p>{}</p><p><a href="/">Back</a></p>"#, escape(message)),
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>\n",
        title = escape(title),
    )
}

/// `2025-01-31 12:00:00 UTC`: the `time` crate is built without its
/// formatting feature, so the fields are written by hand.
fn format_utc(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Escapes text for HTML element content and quoted attribute values: every
/// name and item comes from the user.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
