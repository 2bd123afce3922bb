//! sealed-session with a plain hyper 1 service: [`sealed_session::load`] on
//! the request's `Parts`, [`sealed_session::save`] on the `Response`. No crate
//! feature and no middleware: hyper speaks `http` 1, so the two calls take
//! its types as they are.
//!
//! ```text
//! cargo run --example hyper            # http://127.0.0.1:3003/
//! cargo run --example hyper -- 8080    # or PORT=8080; 0 picks a free port
//! SESSION_KEYS="$(openssl rand -base64 32)" cargo run --example hyper
//! ```
//!
//! Routes: `GET /session.json`, `POST /login` (form `name`), `POST /cart`
//! (form `item`), `POST /logout`; the POSTs answer `303 See Other` to
//! `/session.json`.
#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::process::ExitCode;

use http::header::{CONTENT_TYPE, LOCATION};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sealed_session::csrf::CrossOrigin;
use sealed_session::{SaveError, Session, SessionConfig, SessionError};

#[path = "common/page.rs"]
#[macro_use]
mod page;
#[path = "common/startup.rs"]
mod startup;

const DEFAULT_PORT: u16 = 3003;

/// Session key of the logged-in name (a `String`).
const NAME: &str = "name";
/// Session key of the cart (a `Vec<String>`).
const CART: &str = "cart";

/// Form bodies larger than this are refused before parsing.
const MAX_FORM_BYTES: usize = 16 * 1024;

type Body = Full<Bytes>;

/// Every request: load the session, route, save the session.
async fn handle(
    config: SessionConfig,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    // 0. Another site's page must not make the browser post here (login
    //    CSRF included): the cross-origin check on unsafe methods, as the
    //    session layers apply it by default.
    if let Err(refused) = CrossOrigin::default().check_parts(&parts) {
        return Ok(text(StatusCode::FORBIDDEN, &format!("{refused}\n")));
    }
    // 1. Load: from the request's `Cookie` headers. Never fails; a bad or
    //    expired cookie gives an empty session whose status says why.
    let mut session = sealed_session::load(&config, &parts);

    let response = match (&parts.method, parts.uri.path()) {
        (&Method::GET, "/") => html(INDEX),
        (&Method::GET, "/session.json") => session_json(&session),
        (&Method::POST, "/login") => match form_field(body, "name").await {
            Ok(name) => login(&mut session, &name),
            Err(response) => response,
        },
        (&Method::POST, "/cart") => match form_field(body, "item").await {
            Ok(item) => add_to_cart(&mut session, &item),
            Err(response) => response,
        },
        (&Method::POST, "/logout") => {
            // The data goes and `save` writes a removal `Set-Cookie`.
            session.flush();
            see_other("/session.json")
        }
        _ => text(StatusCode::NOT_FOUND, "not found\n"),
    };

    // 2. Save: appends `Set-Cookie` (when the session changed) and
    //    `Vary: Cookie`. Too large for one cookie: no `Set-Cookie`, so the
    //    browser keeps its previous cookie, and the client gets a 413.
    Ok(finish(&config, &session, response))
}

fn finish(
    config: &SessionConfig,
    session: &Session,
    mut response: Response<Body>,
) -> Response<Body> {
    match sealed_session::save(config, session, &mut response) {
        Ok(()) => response,
        Err(SaveError::TooLarge { size, limit }) => text(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "the session would need a {size}-byte cookie, over the {limit}-byte limit; \
                 nothing was changed\n"
            ),
        ),
        Err(e) => {
            // Only the OS random source can fail here.
            eprintln!("saving the session failed: {e}");
            text(StatusCode::INTERNAL_SERVER_ERROR, "")
        }
    }
}

fn session_json(session: &Session) -> Response<Body> {
    let read = || -> Result<_, SessionError> {
        let name: Option<String> = session.get(NAME)?;
        let cart: Vec<String> = session.get(CART)?.unwrap_or_default();
        Ok(serde_json::json!({
            "name": name,
            "cart": cart,
            "status": session.status().to_string(),
        }))
    };
    match read() {
        Ok(body) => {
            let mut response = Response::new(Body::from(body.to_string()));
            response.headers_mut().insert(
                CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => session_error(&e),
    }
}

fn login(session: &mut Session, name: &str) -> Response<Body> {
    let name = name.trim();
    if name.is_empty() {
        return text(StatusCode::BAD_REQUEST, "the name must not be empty\n");
    }
    if let Err(e) = session.insert(NAME, name) {
        return session_error(&e);
    }
    // A change of privilege: a fresh session (Django's `cycle_key`).
    session.renew();
    see_other("/session.json")
}

fn add_to_cart(session: &mut Session, item: &str) -> Response<Body> {
    let item = item.trim();
    if item.is_empty() {
        return text(StatusCode::BAD_REQUEST, "the item must not be empty\n");
    }
    let mut cart: Vec<String> = match session.get(CART) {
        Ok(cart) => cart.unwrap_or_default(),
        Err(e) => return session_error(&e),
    };
    cart.push(item.to_owned());
    if let Err(e) = session.insert(CART, &cart) {
        return session_error(&e);
    }
    see_other("/session.json")
}

/// The value of `field` in an `application/x-www-form-urlencoded` body, or
/// the error response to send.
async fn form_field(body: Incoming, field: &str) -> Result<String, Response<Body>> {
    let bytes = match Limited::new(body, MAX_FORM_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(text(StatusCode::PAYLOAD_TOO_LARGE, "form too large\n")),
    };
    form_urlencoded::parse(&bytes)
        .find(|(name, _)| name == field)
        .map(|(_, value)| value.into_owned())
        .ok_or_else(|| text(StatusCode::BAD_REQUEST, &format!("missing field {field}\n")))
}

/// A value in the session is not of the type stored there: only a holder of
/// the key can cause that, so it is a server error.
fn session_error(e: &SessionError) -> Response<Body> {
    // SessionError names the key, never the value.
    eprintln!("session data unreadable: {e}");
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "unexpected session data\n",
    )
}

fn see_other(location: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
        .headers_mut()
        .insert(LOCATION, http::HeaderValue::from_static(location));
    response
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_owned()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn html(body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

const INDEX: &str = index_page!("hyper");

#[tokio::main]
async fn main() -> ExitCode {
    startup::exit(run().await)
}

async fn run() -> Result<(), String> {
    let port = startup::port(DEFAULT_PORT)?;
    let config = startup::localhost_config()?;

    let (listener, addr) = startup::bind_loopback(port).await?;
    println!("listening on http://{addr}");

    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        // The config is cheap to clone (an `Arc`).
        let config = config.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(config.clone(), request));
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                eprintln!("connection: {e}");
            }
        });
    }
}
