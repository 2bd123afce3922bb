//! The same handler and routes as the axum servers, under actix-web 4 (issue
//! 15's end-to-end column):
//!
//! - `actix-ours`: sealed-session's `actix::SessionMiddleware` and `Session`
//!   extractor, the same default config as the axum `ours` server.
//! - `actix-session`: actix-session's
//!   `SessionMiddleware::new(CookieSessionStore::default(), key)`, exactly the
//!   line our README tells its users to replace: defaults throughout (a
//!   private, AES-256-GCM cookie of serde_json, named `id`, a browser-session
//!   cookie with no `Max-Age`/`Expires`, `Secure`, `HttpOnly`, `SameSite=Lax`).
//! - `actix-ours-csrf`: `actix-ours` with sealed-session's `CsrfMiddleware`
//!   (session-bound tokens required), as the README's apps run it; not in
//!   `run.sh`'s default list.
//! - `actix-none`: the same answer with no session: the cost of actix-web
//!   and HTTP alone.
//!
//! actix-web runs its own single-threaded runtime per worker, so these
//! servers start from a plain `fn` (`actix_web::rt::System`), never inside
//! the axum servers' tokio runtime. Workers: one per available CPU, as many
//! threads as tokio's multi-threaded runtime gives the axum servers.
#![forbid(unsafe_code)]

use std::net::Ipv4Addr;
use std::num::NonZero;
use std::process::ExitCode;

use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};

use crate::{COUNTER, USER, User, ada, answer};

/// The server modes this module serves.
pub const MODES: [&str; 4] = [
    "actix-ours",
    "actix-ours-csrf",
    "actix-session",
    "actix-none",
];

/// The axum servers' `String` response: 200, `text/plain; charset=utf-8`.
fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

fn no_session() -> HttpResponse {
    HttpResponse::Unauthorized()
        .content_type("text/plain; charset=utf-8")
        .body("no session\n")
}

fn server_error(error: impl std::fmt::Display) -> HttpResponse {
    eprintln!("handler error: {error}");
    HttpResponse::InternalServerError().finish()
}

mod ours {
    use super::*;
    use sealed_session::actix::{CsrfMiddleware, Session, SessionMiddleware};
    use sealed_session::csrf::CrossOrigin;
    use sealed_session::{Key, Keyring, SessionConfig};

    pub fn middleware() -> SessionMiddleware {
        // A fixed key: the benchmark needs no secret, only the work.
        let key = Key::from_bytes(&[7u8; 32]).expect("32 bytes");
        let config = SessionConfig::builder(Keyring::new(key))
            .build()
            .expect("default config");
        SessionMiddleware::new(config)
    }

    /// The routes both `actix-ours` servers serve.
    pub fn routes(config: &mut web::ServiceConfig) {
        config
            .route("/", web::get().to(handler))
            .route("/bump", web::get().to(handler))
            .route("/read", web::get().to(read))
            .route("/login", web::get().to(login));
    }

    /// The session-bound token check, with the default cross-origin check.
    pub fn csrf() -> CsrfMiddleware {
        CsrfMiddleware::new(CrossOrigin::default()).require_token(true)
    }

    pub async fn login(session: Session) -> HttpResponse {
        let stored = session
            .insert(USER, &ada())
            .and_then(|()| session.insert(COUNTER, &0u64));
        match stored {
            Ok(()) => text(answer(&ada(), 0)),
            Err(error) => server_error(error),
        }
    }

    pub async fn read(session: Session) -> HttpResponse {
        let read = session
            .get::<User>(USER)
            .and_then(|user| Ok((user, session.get::<u64>(COUNTER)?)));
        match read {
            Ok((Some(user), Some(counter))) => text(answer(&user, counter)),
            Ok(_) => no_session(),
            Err(error) => server_error(error),
        }
    }

    pub async fn handler(session: Session) -> HttpResponse {
        let read = session
            .get::<User>(USER)
            .and_then(|user| Ok((user, session.get::<u64>(COUNTER)?)));
        match read {
            Ok((Some(user), Some(counter))) => {
                let counter = counter + 1;
                match session.insert(COUNTER, &counter) {
                    Ok(()) => text(answer(&user, counter)),
                    Err(error) => server_error(error),
                }
            }
            Ok(_) => no_session(),
            Err(error) => server_error(error),
        }
    }
}

mod actix_session_store {
    use super::*;
    use actix_session::storage::CookieSessionStore;
    use actix_session::{Session, SessionMiddleware};
    use actix_web::cookie::Key;

    pub fn middleware() -> SessionMiddleware<CookieSessionStore> {
        SessionMiddleware::new(CookieSessionStore::default(), Key::from(&[7u8; 64]))
    }

    pub async fn login(session: Session) -> HttpResponse {
        let stored = session
            .insert(USER, ada())
            .and_then(|()| session.insert(COUNTER, 0u64));
        match stored {
            Ok(()) => text(answer(&ada(), 0)),
            Err(error) => server_error(error),
        }
    }

    pub async fn read(session: Session) -> HttpResponse {
        let user = match session.get::<User>(USER) {
            Ok(Some(user)) => user,
            Ok(None) => return no_session(),
            Err(error) => return server_error(error),
        };
        match session.get::<u64>(COUNTER) {
            Ok(Some(counter)) => text(answer(&user, counter)),
            Ok(None) => no_session(),
            Err(error) => server_error(error),
        }
    }

    pub async fn handler(session: Session) -> HttpResponse {
        let user = match session.get::<User>(USER) {
            Ok(Some(user)) => user,
            Ok(None) => return no_session(),
            Err(error) => return server_error(error),
        };
        let counter = match session.get::<u64>(COUNTER) {
            Ok(Some(counter)) => counter + 1,
            Ok(None) => return no_session(),
            Err(error) => return server_error(error),
        };
        match session.insert(COUNTER, counter) {
            Ok(()) => text(answer(&user, counter)),
            Err(error) => server_error(error),
        }
    }
}

/// The same answer, with no session.
async fn none_handler() -> HttpResponse {
    text(answer(&ada(), 1))
}

/// `/read`'s answer, with no session.
async fn none_read() -> HttpResponse {
    text(answer(&ada(), 0))
}

/// Binds 127.0.0.1:`port` and starts the `mode` server (one of [`MODES`]).
fn server(mode: &str, port: u16) -> std::io::Result<Server> {
    let workers = std::thread::available_parallelism().map_or(1, NonZero::get);
    // Loopback only: this is a load test target.
    let address = (Ipv4Addr::LOCALHOST, port);
    // run.sh stops each server with SIGTERM once wrk is done: no need to
    // wait actix's default 30 s for connections to drain.
    let server = match mode {
        "actix-ours" => {
            let middleware = ours::middleware();
            HttpServer::new(move || App::new().wrap(middleware.clone()).configure(ours::routes))
                .workers(workers)
                .shutdown_timeout(1)
                .bind(address)?
                .run()
        }
        // `actix-ours` with the token middleware the README's apps add
        // (inside the session middleware, as it must be).
        "actix-ours-csrf" => {
            let middleware = ours::middleware();
            HttpServer::new(move || {
                App::new()
                    .wrap(ours::csrf())
                    .wrap(middleware.clone())
                    .configure(ours::routes)
            })
            .workers(workers)
            .shutdown_timeout(1)
            .bind(address)?
            .run()
        }
        "actix-session" => HttpServer::new(|| {
            App::new()
                .wrap(actix_session_store::middleware())
                .route("/", web::get().to(actix_session_store::handler))
                .route("/bump", web::get().to(actix_session_store::handler))
                .route("/read", web::get().to(actix_session_store::read))
                .route("/login", web::get().to(actix_session_store::login))
        })
        .workers(workers)
        .shutdown_timeout(1)
        .bind(address)?
        .run(),
        "actix-none" => HttpServer::new(|| {
            App::new()
                .route("/", web::get().to(none_handler))
                .route("/bump", web::get().to(none_handler))
                .route("/read", web::get().to(none_read))
                .route("/login", web::get().to(none_handler))
        })
        .workers(workers)
        .shutdown_timeout(1)
        .bind(address)?
        .run(),
        _ => return Err(std::io::Error::other(format!("unknown mode {mode}"))),
    };
    Ok(server)
}

/// Runs the `mode` server on its own actix runtime until it is stopped.
pub fn main(mode: &str, port: u16) -> ExitCode {
    actix_web::rt::System::new().block_on(async {
        let server = match server(mode, port) {
            Ok(server) => server,
            Err(error) => {
                eprintln!("cannot listen on 127.0.0.1:{port}: {error}");
                return ExitCode::FAILURE;
            }
        };
        println!("{mode} listening on http://127.0.0.1:{port}/");
        if let Err(error) = server.await {
            eprintln!("server error: {error}");
            return ExitCode::FAILURE;
        }
        ExitCode::SUCCESS
    })
}
