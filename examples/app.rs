//! A complete axum app to copy: log in (a fresh session), a counter, log out
//! with a flash message, every form CSRF-protected, keys from the
//! environment. Run it with
//! `SESSION_KEYS="$(cargo run -q --example keygen)" cargo run --example app --features axum`
//! and open http://127.0.0.1:3000/.
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use sealed_session::csrf::CrossOrigin;
use sealed_session::flash::Level;
use sealed_session::tower::{CsrfLayer, SessionHandle, SessionLayer};
use sealed_session::{Keyring, SessionConfig, SessionError};
use serde::Deserialize;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The crate logs every refusal and error it answers (a cross-site POST,
    // a session too large, a bad cookie): print them.
    tracing_subscriber::fmt::init();
    // One or more base64 keys, newest first: `SESSION_KEYS="new,old"`.
    let keys = Keyring::from_env("SESSION_KEYS")?;
    let config = SessionConfig::builder(keys)
        .cookie_name("__Host-session")
        .build()?;

    let app = Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/count", post(count))
        .route("/logout", post(logout))
        // Every POST must carry the session's CSRF token (a form field
        // `csrf_token` or an `x-csrf-token` header) and come from this site.
        .layer(CsrfLayer::new(CrossOrigin::default()).require_token(true))
        // The session layer goes outside: added last, it runs first.
        .layer(SessionLayer::new(config));

    let port = std::env::args().nth(1).unwrap_or_else(|| "3000".to_owned());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

async fn home(session: SessionHandle) -> Result<Html<String>, SessionError> {
    let user: Option<String> = session.get("user")?;
    let count: u64 = session.get("count")?.unwrap_or(0);
    let token = session.csrf_token();
    let form = |action: &str, fields: &str, label: &str| {
        format!(
            r#"<form method="post" action="{action}">{fields}<input type="hidden" name="csrf_token" value="{token}"><button>{label}</button></form>"#
        )
    };
    let mut page = String::new();
    for message in session.take_flashes() {
        page += &format!("<p>{}</p>", escape(&message.text));
    }
    match user {
        None => page += &form("/login", r#"<input name="name" required>"#, "Log in"),
        Some(name) => {
            page += &format!("<p>Hello, {}! You counted {count}.</p>", escape(&name));
            page += &form("/count", "", "Count");
            page += &form("/logout", "", "Log out");
        }
    }
    Ok(Html(page))
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
}

async fn login(
    session: SessionHandle,
    Form(form): Form<LoginForm>,
) -> Result<Redirect, SessionError> {
    // Check the password here. Then a fresh session: new id, new CSRF
    // secret, so nothing from before the login carries over to it.
    session.renew();
    session.insert("user", &form.name)?;
    Ok(Redirect::to("/"))
}

async fn count(session: SessionHandle) -> Result<Redirect, SessionError> {
    let count: u64 = session.get("count")?.unwrap_or(0);
    session.insert("count", &(count + 1))?;
    Ok(Redirect::to("/"))
}

async fn logout(session: SessionHandle) -> Result<Redirect, SessionError> {
    // Data and cookie gone; the flash rides in the new, anonymous session.
    session.flush();
    session.add_flash(Level::Info, "You are logged out.")?;
    Ok(Redirect::to("/"))
}

/// Text as HTML: a user's name never becomes markup.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
