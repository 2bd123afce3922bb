//! sealed-session with actix-web 4: the `SessionMiddleware` loads the
//! session before each request and saves it after the handler; handlers take
//! a `Session` as an extractor. Needs the `actix-web` feature.
//!
//! ```text
//! cargo run --example actix --features actix-web            # http://127.0.0.1:3002/
//! cargo run --example actix --features actix-web -- 8080    # or PORT=8080; 0 picks a free port
//! SESSION_KEYS="$(openssl rand -base64 32)" cargo run --example actix --features actix-web
//! ```
//!
//! Routes: `GET /session.json`, `POST /login` (form `name`), `POST /cart`
//! (form `item`), `POST /logout`; the POSTs answer `303 See Other` to
//! `/session.json`.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;
use std::process::ExitCode;

use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, Result, web};
use sealed_session::actix::{Session, SessionMiddleware};
use serde::Deserialize;

#[path = "common/page.rs"]
#[macro_use]
mod page;
#[path = "common/startup.rs"]
mod startup;

const DEFAULT_PORT: u16 = 3002;

/// Session key of the logged-in name (a `String`).
const NAME: &str = "name";
/// Session key of the cart (a `Vec<String>`).
const CART: &str = "cart";

#[derive(Deserialize)]
struct LoginForm {
    name: String,
}

#[derive(Deserialize)]
struct CartForm {
    item: String,
}

async fn index() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(INDEX)
}

// A `SessionError` (a value stored as another type: only a holder of the key
// can cause that) is a `ResponseError`: `?` answers 500 and quotes nothing.
async fn session_json(session: Session) -> Result<HttpResponse> {
    let name: Option<String> = session.get(NAME)?;
    let cart: Vec<String> = session.get(CART)?.unwrap_or_default();
    let status = session.status().to_string();
    Ok(
        HttpResponse::Ok()
            .json(serde_json::json!({ "name": name, "cart": cart, "status": status })),
    )
}

async fn login(session: Session, form: web::Form<LoginForm>) -> Result<HttpResponse> {
    let name = form.name.trim();
    if name.is_empty() {
        return Ok(HttpResponse::BadRequest().body("the name must not be empty\n"));
    }
    session.insert(NAME, name)?;
    // A change of privilege: a fresh session (Django's `cycle_key`), keeping
    // the data.
    session.renew();
    Ok(see_other("/session.json"))
}

async fn add_to_cart(session: Session, form: web::Form<CartForm>) -> Result<HttpResponse> {
    let item = form.item.trim();
    if item.is_empty() {
        return Ok(HttpResponse::BadRequest().body("the item must not be empty\n"));
    }
    session.with(|session| {
        let mut cart: Vec<String> = session.get(CART)?.unwrap_or_default();
        cart.push(item.to_owned());
        session.insert(CART, &cart)
    })?;
    Ok(see_other("/session.json"))
}

async fn logout(session: Session) -> HttpResponse {
    // The data goes and the middleware sends a removal `Set-Cookie`.
    session.flush();
    see_other("/session.json")
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

const INDEX: &str = index_page!("actix-web");

#[actix_web::main]
async fn main() -> ExitCode {
    startup::exit(run().await)
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let config = startup::localhost_config()?;

    let server = HttpServer::new(move || {
        App::new()
            .route("/", web::get().to(index))
            .route("/session.json", web::get().to(session_json))
            .route("/login", web::post().to(login))
            .route("/cart", web::post().to(add_to_cart))
            .route("/logout", web::post().to(logout))
            // Loads the session before each handler and saves it after (the
            // config is an `Arc`: one clone per worker). With the default
            // `SaveErrorPolicy`, a session too large for one cookie turns the
            // response into a 413 (a short text) with no `Set-Cookie`: the browser
            // keeps its previous cookie and the client is not told that a
            // change was stored when it was not.
            .wrap(SessionMiddleware::new(config.clone()))
    })
    // Loopback only.
    .bind((Ipv4Addr::LOCALHOST, port))
    .map_err(|e| format!("cannot listen on 127.0.0.1:{port}: {e}"))?;
    // With port 0 the OS picks one: print the one actually bound.
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or("the server is bound to no address")?;
    println!("listening on http://{addr}");
    server.run().await.map_err(|e| format!("server: {e}"))
}
