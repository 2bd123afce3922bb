//! A login app as a newcomer writes it with axum 0.8 and the `axum` feature
//! only: a typed user in the session, "remember me" for 30 days next to a
//! short default lifetime, a fresh session at login, logout, keys from
//! `SESSION_KEYS`, `?` on every session call, and a session too large for
//! one cookie answered with 413 and a log line.
//!
//! ```text
//! export SESSION_KEYS="$(cargo run -q --example keygen)"
//! cargo run --example login --features axum            # http://127.0.0.1:3002/
//! cargo run --example login --features axum,tracing    # and the crate's own log events
//! ```
//!
//! Routes: `GET /me` (JSON), `POST /login` (form `name`, optional
//! `remember=on`), `POST /notes` (form `note`), `POST /logout`; the POSTs
//! answer `303 See Other` to `/me`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sealed_session::time::{Duration, OffsetDateTime};
use sealed_session::tower::{SessionHandle, SessionLayer};
use sealed_session::{Expiry, SaveError, SessionConfig, SessionError};
use serde::{Deserialize, Serialize};

// The shared start-up; this example builds its own configuration, so it
// leaves `localhost_config` unused.
#[path = "common/startup.rs"]
#[allow(dead_code)]
mod startup;

const DEFAULT_PORT: u16 = 3002;

/// Session key of the logged-in [`User`].
const USER: &str = "user";
/// Session key of the notes (a `Vec<String>`), kept across the login.
const NOTES: &str = "notes";

/// Without "remember me": a session that ends 30 minutes after the last
/// request, in a cookie that ends with the browser.
const IDLE: Duration = Duration::minutes(30);
/// With "remember me": 30 days from the login, whatever the activity.
const REMEMBER: Duration = Duration::days(30);

/// The typed user stored in the session.
#[derive(Debug, Serialize, Deserialize)]
struct User {
    name: String,
    /// Unix seconds: when the user logged in.
    since: i64,
    remember: bool,
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
    /// An HTML checkbox: `on` when ticked, absent otherwise.
    remember: Option<String>,
}

#[derive(Deserialize)]
struct NoteForm {
    note: String,
}

fn config() -> Result<SessionConfig, String> {
    SessionConfig::builder(startup::keyring()?)
        // `Secure` and `__Host-` also on http://127.0.0.1: browsers treat
        // loopback as a secure context.
        .cookie_name(startup::COOKIE_NAME)
        // The short default; "remember me" overrides it per session. No
        // `absolute_timeout` shorter than 30 days: it would cap remember-me
        // sessions too (see the README's "Remember me").
        .rolling(IDLE)
        .browser_session(true)
        .build()
        .map_err(|e| format!("session configuration: {e}"))
}

fn router(config: SessionConfig) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/me", get(me))
        .route("/login", post(login))
        .route("/notes", post(add_note))
        .route("/logout", post(logout))
        .layer(SessionLayer::new(config).on_save_error(too_large))
}

/// What the layer answers when the session cannot be saved. No
/// `Set-Cookie` goes out, so the browser keeps its previous cookie.
fn too_large(error: &SaveError, _response: Response) -> Response {
    // The error has sizes, never a value.
    eprintln!("session not saved: {error}");
    match error {
        SaveError::TooLarge { .. } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Your session is full: this change was not saved.\n",
        )
            .into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Session not saved.\n").into_response(),
    }
}

async fn index() -> Html<&'static str> {
    Html(INDEX)
}

async fn me(session: SessionHandle) -> Result<Json<serde_json::Value>, SessionError> {
    let user: Option<User> = session.get(USER)?;
    let notes: Vec<String> = session.get(NOTES)?.unwrap_or_default();
    Ok(Json(serde_json::json!({
        "user": user.map(|u| serde_json::json!({"name": u.name, "remember": u.remember, "since": u.since})),
        "notes": notes,
        "status": session.status().to_string(),
        "browser_session": session.expires_at_browser_close(),
        "expires": session.expiry_date().unix_timestamp(),
    })))
}

async fn login(
    session: SessionHandle,
    Form(form): Form<LoginForm>,
) -> Result<Response, SessionError> {
    let name = form.name.trim();
    if name.is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "the name must not be empty\n").into_response());
    }
    let remember = form.remember.as_deref() == Some("on");
    let now = OffsetDateTime::now_utc();
    // A change of privilege: a fresh session (new creation time, new
    // cookie) that keeps the data, so an attacker's planted cookie does not
    // become the user's logged-in session.
    session.renew();
    session.insert(
        USER,
        &User {
            name: name.to_owned(),
            since: now.unix_timestamp(),
            remember,
        },
    )?;
    session.set_expiry(if remember {
        // A persistent cookie, valid on the server for 30 days.
        Expiry::At(now + REMEMBER)
    } else {
        Expiry::Default
    });
    Ok(Redirect::to("/me").into_response())
}

async fn add_note(
    session: SessionHandle,
    Form(form): Form<NoteForm>,
) -> Result<Response, SessionError> {
    // One lock for the read-modify-write.
    session.with(|session| {
        let mut notes: Vec<String> = session.get(NOTES)?.unwrap_or_default();
        notes.push(form.note);
        session.insert(NOTES, &notes)
    })?;
    Ok(Redirect::to("/me").into_response())
}

async fn logout(session: SessionHandle) -> Redirect {
    // The data goes and the layer sends a removal `Set-Cookie`.
    session.flush();
    Redirect::to("/me")
}

const INDEX: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sealed-session login</title></head>
<body><h1>sealed-session login</h1>
<form method="post" action="/login"><input name="name" required>
<label><input type="checkbox" name="remember"> Remember me</label> <button>Log in</button></form>
<form method="post" action="/notes"><input name="note" required> <button>Add a note</button></form>
<form method="post" action="/logout"><button>Log out</button></form>
<p><a href="/me">/me</a></p>
</body></html>
"#;

#[tokio::main]
async fn main() -> ExitCode {
    // The app's log lines, and the crate's with `--features tracing`.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    startup::exit(run().await)
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let config = config()?;
    let (listener, addr) = startup::bind_loopback(port).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, router(config))
        .await
        .map_err(|e| format!("server: {e}"))
}
