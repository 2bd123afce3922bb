//! sealed-session with axum 0.8: the `SessionLayer` loads the session before
//! each request and saves it after the handler; handlers take a
//! `SessionHandle` as an extractor. Needs the `axum` feature.
//!
//! ```text
//! cargo run --example axum --features axum            # http://127.0.0.1:3001/
//! cargo run --example axum --features axum -- 8080    # or PORT=8080; 0 picks a free port
//! SESSION_KEYS="$(openssl rand -base64 32)" cargo run --example axum --features axum
//! ```
//!
//! Routes: `GET /session.json`, `POST /login` (form `name`), `POST /cart`
//! (form `item`), `POST /logout`; the POSTs answer `303 See Other` to
//! `/session.json`.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use axum::extract::Form;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sealed_session::tower::{SessionHandle, SessionLayer};
use sealed_session::{SessionConfig, SessionError};
use serde::Deserialize;

#[path = "common/page.rs"]
#[macro_use]
mod page;
#[path = "common/startup.rs"]
mod startup;

const DEFAULT_PORT: u16 = 3001;

/// Session key of the logged-in name (a `String`).
const NAME: &str = "name";
/// Session key of the cart (a `Vec<String>`).
const CART: &str = "cart";

fn router(config: SessionConfig) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/session.json", get(session_json))
        .route("/login", post(login))
        .route("/cart", post(add_to_cart))
        .route("/logout", post(logout))
        // Loads the session into the request's extensions and saves it into
        // the response. With the default `SaveErrorPolicy`, a session too
        // large for one cookie turns the response into a 413 with no
        // `Set-Cookie`: the browser keeps its previous cookie and the client
        // is not told that a change was stored when it was not.
        .layer(SessionLayer::new(config))
}

#[derive(Deserialize)]
struct LoginForm {
    name: String,
}

#[derive(Deserialize)]
struct CartForm {
    item: String,
}

async fn index() -> Html<&'static str> {
    Html(INDEX)
}

async fn session_json(session: SessionHandle) -> Result<Response, SessionError> {
    let name: Option<String> = session.get(NAME)?;
    let cart: Vec<String> = session.get(CART)?.unwrap_or_default();
    let status = session.status().to_string();
    Ok(Json(serde_json::json!({ "name": name, "cart": cart, "status": status })).into_response())
}

async fn login(
    session: SessionHandle,
    Form(form): Form<LoginForm>,
) -> Result<Response, SessionError> {
    let name = form.name.trim();
    if name.is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "the name must not be empty\n").into_response());
    }
    session.insert(NAME, name)?;
    // A change of privilege: a fresh session (Django's `cycle_key`), keeping
    // the data.
    session.renew();
    Ok(Redirect::to("/session.json").into_response())
}

async fn add_to_cart(
    session: SessionHandle,
    Form(form): Form<CartForm>,
) -> Result<Response, SessionError> {
    let item = form.item.trim();
    if item.is_empty() {
        return Ok((StatusCode::BAD_REQUEST, "the item must not be empty\n").into_response());
    }
    // Lock once for the read-modify-write, so two handles cannot interleave.
    session.with(|session| {
        let mut cart: Vec<String> = session.get(CART)?.unwrap_or_default();
        cart.push(item.to_owned());
        session.insert(CART, &cart)
    })?;
    Ok(Redirect::to("/session.json").into_response())
}

async fn logout(session: SessionHandle) -> Redirect {
    // The data goes and the layer sends a removal `Set-Cookie`.
    session.flush();
    Redirect::to("/session.json")
}

const INDEX: &str = index_page!("axum");

#[tokio::main]
async fn main() -> ExitCode {
    startup::exit(run().await)
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let config = startup::localhost_config()?;

    let (listener, addr) = startup::bind_loopback(port).await?;
    println!("listening on http://{addr}");
    axum::serve(listener, router(config))
        .await
        .map_err(|e| format!("server: {e}"))
}
