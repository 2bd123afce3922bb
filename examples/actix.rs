//! sealed-session with actix-web 4, through a header bridge.
//!
//! actix-web 4 is built on `http` 0.2 and sealed-session on `http` 1, so the
//! two header types differ. The bridge is two small functions below:
//! [`load_session`] copies the request's `Cookie` headers into an `http` 1
//! `HeaderMap` and calls [`sealed_session::load`]; [`save_session`] calls
//! [`sealed_session::save`] into a fresh `http` 1 response carrying the same
//! status and copies each `Set-Cookie` and `Vary` it wrote into the actix
//! response. No crate feature is needed.
//!
//! ```text
//! cargo run --example actix            # http://127.0.0.1:3002/
//! cargo run --example actix -- 8080    # or PORT=8080; 0 picks a free port
//! SESSION_KEYS="$(openssl rand -base64 32)" cargo run --example actix
//! ```
//!
//! Routes: `GET /session.json`, `POST /login` (form `name`), `POST /cart`
//! (form `item`), `POST /logout`; the POSTs answer `303 See Other` to
//! `/session.json`.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;
use std::process::ExitCode;

use actix_web::http::header as actix_header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use sealed_session::{SaveError, Session, SessionConfig, SessionError};
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

// ---------------------------------------------------------------------------
// The bridge between actix-web (http 0.2) and sealed-session (http 1).
// ---------------------------------------------------------------------------

/// Loads the session from an actix request.
fn load_session(config: &SessionConfig, request: &HttpRequest) -> Session {
    let mut headers = http::HeaderMap::new();
    // `load` reads only the `Cookie` headers (every one of them: HTTP/2
    // sends one per cookie), so only those are copied, byte for byte.
    for value in request.headers().get_all(actix_header::COOKIE) {
        if let Ok(value) = http::HeaderValue::from_bytes(value.as_bytes()) {
            headers.append(http::header::COOKIE, value);
        }
    }
    sealed_session::load(config, &headers)
}

/// Saves the session into an actix response: the `Set-Cookie` and `Vary`
/// headers that [`sealed_session::save`] writes are copied across. When the
/// session is too large for one cookie, the response is replaced by a 413
/// and no `Set-Cookie` is sent, so the browser keeps its previous cookie.
fn save_session(config: &SessionConfig, session: &Session, response: HttpResponse) -> HttpResponse {
    // An `http` 1 response with the handler's status (and an empty header
    // map): `save` sends no cookie with a 5xx, which a bare `HeaderMap`,
    // having no status, could not tell it.
    let mut out = http::Response::new(());
    *out.status_mut() = http::StatusCode::from_u16(response.status().as_u16())
        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    match sealed_session::save(config, session, &mut out) {
        Ok(()) => {
            let mut response = response;
            let headers = response.headers_mut();
            for value in out.headers().get_all(http::header::SET_COOKIE) {
                headers.append(actix_header::SET_COOKIE, to_actix(value));
            }
            for value in out.headers().get_all(http::header::VARY) {
                headers.append(actix_header::VARY, to_actix(value));
            }
            response
        }
        Err(SaveError::TooLarge { size, limit }) => HttpResponse::PayloadTooLarge().body(format!(
            "the session would need a {size}-byte cookie, over the {limit}-byte limit; \
             nothing was changed\n"
        )),
        Err(e) => {
            // Only the OS random source can fail here.
            eprintln!("saving the session failed: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// An `http` 1 header value as an actix (`http` 0.2) one: same bytes.
fn to_actix(value: &http::HeaderValue) -> actix_header::HeaderValue {
    actix_header::HeaderValue::from_bytes(value.as_bytes())
        .expect("a valid http 1 header value is a valid http 0.2 one")
}

// ---------------------------------------------------------------------------
// The application: load, change, save.
// ---------------------------------------------------------------------------

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

async fn session_json(request: HttpRequest, config: web::Data<SessionConfig>) -> HttpResponse {
    let session = load_session(&config, &request);
    let read = || -> Result<_, SessionError> {
        let name: Option<String> = session.get(NAME)?;
        let cart: Vec<String> = session.get(CART)?.unwrap_or_default();
        Ok(serde_json::json!({
            "name": name,
            "cart": cart,
            "status": session.status().to_string(),
        }))
    };
    let response = match read() {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(e) => session_error(&e),
    };
    // Saving on reads too: it re-seals a cookie opened with a fallback key
    // and removes one that did not open.
    save_session(&config, &session, response)
}

async fn login(
    request: HttpRequest,
    config: web::Data<SessionConfig>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let name = form.name.trim();
    if name.is_empty() {
        return HttpResponse::BadRequest().body("the name must not be empty\n");
    }
    let mut session = load_session(&config, &request);
    if let Err(e) = session.insert(NAME, name) {
        return session_error(&e);
    }
    // A change of privilege: a fresh session (Django's `cycle_key`).
    session.renew();
    save_session(&config, &session, see_other("/session.json"))
}

async fn add_to_cart(
    request: HttpRequest,
    config: web::Data<SessionConfig>,
    form: web::Form<CartForm>,
) -> HttpResponse {
    let item = form.item.trim();
    if item.is_empty() {
        return HttpResponse::BadRequest().body("the item must not be empty\n");
    }
    let mut session = load_session(&config, &request);
    let mut cart: Vec<String> = match session.get(CART) {
        Ok(cart) => cart.unwrap_or_default(),
        Err(e) => return session_error(&e),
    };
    cart.push(item.to_owned());
    if let Err(e) = session.insert(CART, &cart) {
        return session_error(&e);
    }
    save_session(&config, &session, see_other("/session.json"))
}

async fn logout(request: HttpRequest, config: web::Data<SessionConfig>) -> HttpResponse {
    let mut session = load_session(&config, &request);
    // The data goes and `save` writes a removal `Set-Cookie`.
    session.flush();
    save_session(&config, &session, see_other("/session.json"))
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((actix_header::LOCATION, location))
        .finish()
}

/// A value in the session is not of the type stored there: only a holder of
/// the key can cause that, so it is a server error.
fn session_error(e: &SessionError) -> HttpResponse {
    // SessionError names the key, never the value.
    eprintln!("session data unreadable: {e}");
    HttpResponse::InternalServerError().body("unexpected session data\n")
}

const INDEX: &str = index_page!("actix-web");

#[actix_web::main]
async fn main() -> ExitCode {
    startup::exit(run().await)
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let config = startup::localhost_config()?;

    // The config is cheap to clone (an `Arc`); each worker gets one.
    let config = web::Data::new(config);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(config.clone())
            .route("/", web::get().to(index))
            .route("/session.json", web::get().to(session_json))
            .route("/login", web::post().to(login))
            .route("/cart", web::post().to(add_to_cart))
            .route("/logout", web::post().to(logout))
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
