//! One axum handler behind four session mechanisms, and the same handler
//! under actix-web behind two (module `actix`), for `benches/e2e/run.sh`.
//!
//! ```text
//! sealed-session-e2e <ours|jar|tower-sessions|none|ours-redis|ours-replica|tower-sessions-redis|actix-ours|actix-ours-csrf|actix-session|actix-none> <port>
//! ```
//!
//! Listens on 127.0.0.1 only. Routes:
//!
//! - `GET /login`: stores a typed user and a counter of 0 in the session
//!   (the run script takes its cookie from this response).
//! - `GET /` and `GET /bump`: reads the user and the counter, increments
//!   the counter, writes both back, answers `<name> <counter>`; `401`
//!   without a session.
//! - `GET /read` (every server): reads both, writes nothing, answers
//!   `<name> <counter>`.
//!
//! The Redis servers (issue 25) use the Redis at `$E2E_REDIS_URL` (default
//! `redis://127.0.0.1:6379/`):
//!
//! - `ours-redis`: `ours` with session ids and revocation checked through
//!   `RedisRevocations` (one `MGET` per request).
//! - `ours-replica`: the same through `RedisReplica` (a local set fed by a
//!   Redis Stream; it waits for its first load before serving).
//! - `tower-sessions-redis`: tower-sessions 0.14 with
//!   `tower-sessions-redis-store` (fred, a pool of 6 connections).
//!
//! The session mechanisms:
//!
//! - `ours`: sealed-session's `SessionLayer`, default config (two keys: the
//!   user and the counter, postcard, XAES-256-GCM, a fresh cookie each time).
//! - `jar`: axum-extra's `PrivateCookieJar` (the `cookie` crate's AES-256-GCM)
//!   holding serde_json of `{user, counter}`, the same attributes as ours.
//! - `tower-sessions`: tower-sessions with its `MemoryStore` (two keys, an id
//!   cookie, the data server-side), inactivity expiry of two weeks.
//! - `none`: the same handler shape with no session at all.
//! - `actix-ours`, `actix-session`, `actix-none`: see the `actix` module.
#![forbid(unsafe_code)]

mod actix;

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use axum::Router;
use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

/// The typed user every variant keeps in its session.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
    role: String,
}

fn ada() -> User {
    User {
        id: 48_213_977,
        name: "Ada Lovelace".to_owned(),
        role: "member".to_owned(),
    }
}

/// Session keys (ours and tower-sessions).
const USER: &str = "user";
const COUNTER: &str = "counter";

/// Two weeks, every variant's session lifetime.
const TWO_WEEKS_SECS: i64 = 14 * 24 * 60 * 60;

fn answer(user: &User, counter: u64) -> String {
    format!("{} {counter}\n", user.name)
}

fn no_session() -> Response {
    (StatusCode::UNAUTHORIZED, "no session\n").into_response()
}

fn server_error(error: impl std::fmt::Display) -> Response {
    eprintln!("handler error: {error}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}

mod ours {
    use super::*;
    use std::sync::Arc;

    use sealed_session::revocation::{
        RedisReplica, RedisRevocations, RevocationStore, Revocations,
    };
    use sealed_session::tower::{SessionHandle, SessionLayer};
    use sealed_session::{Key, Keyring, SessionConfig};

    /// Which revocation store the layer checks.
    pub enum Revocation {
        None,
        Direct,
        Replica,
    }

    pub async fn router(revocation: Revocation) -> Router {
        // A fixed key: the benchmark needs no secret, only the work.
        let key = Key::from_bytes(&[7u8; 32]).expect("32 bytes");
        let builder = SessionConfig::builder(Keyring::new(key));
        let routes = Router::new()
            .route("/", get(handler))
            .route("/bump", get(handler))
            .route("/read", get(read))
            .route("/login", get(login));
        let store: Arc<dyn RevocationStore> = match revocation {
            Revocation::None => {
                let config = builder.build().expect("default config");
                return routes.layer(SessionLayer::new(config));
            }
            Revocation::Direct => {
                Arc::new(RedisRevocations::new(&redis_url()).expect("a Redis URL"))
            }
            Revocation::Replica => {
                let replica = RedisReplica::builder(&redis_url())
                    .expect("a Redis URL")
                    .start();
                replica
                    .ready(std::time::Duration::from_secs(5))
                    .await
                    .expect("the replica loads");
                Arc::new(replica)
            }
        };
        // Ids, so that a logout can be revoked: what a deployment with
        // revocation runs.
        let config = builder.session_ids(true).build().expect("config");
        let revocations = Revocations::from_arc(store, &config);
        routes.layer(SessionLayer::new(config).revocations(revocations))
    }

    async fn read(session: SessionHandle) -> Response {
        let read = session
            .get::<User>(USER)
            .and_then(|user| Ok((user, session.get::<u64>(COUNTER)?)));
        match read {
            Ok((Some(user), Some(counter))) => answer(&user, counter).into_response(),
            Ok(_) => no_session(),
            Err(error) => server_error(error),
        }
    }

    async fn login(session: SessionHandle) -> Response {
        let stored = session
            .insert(USER, &ada())
            .and_then(|()| session.insert(COUNTER, &0u64));
        match stored {
            Ok(()) => answer(&ada(), 0).into_response(),
            Err(error) => server_error(error),
        }
    }

    async fn handler(session: SessionHandle) -> Response {
        let read = session
            .get::<User>(USER)
            .and_then(|user| Ok((user, session.get::<u64>(COUNTER)?)));
        match read {
            Ok((Some(user), Some(counter))) => {
                let counter = counter + 1;
                match session.insert(COUNTER, &counter) {
                    Ok(()) => answer(&user, counter).into_response(),
                    Err(error) => server_error(error),
                }
            }
            Ok(_) => no_session(),
            Err(error) => server_error(error),
        }
    }
}

mod jar {
    use super::*;
    use axum_extra::extract::PrivateCookieJar;
    use axum_extra::extract::cookie::{Cookie, Key, SameSite};
    use time::{Duration, OffsetDateTime};

    /// What the cookie holds, as serde_json.
    #[derive(Serialize, Deserialize)]
    struct State {
        user: User,
        counter: u64,
    }

    #[derive(Clone)]
    struct AppState {
        key: Key,
    }

    impl FromRef<AppState> for Key {
        fn from_ref(state: &AppState) -> Key {
            state.key.clone()
        }
    }

    pub fn router() -> Router {
        let key = Key::from(&[7u8; 64]);
        Router::new()
            .route("/", get(handler))
            .route("/bump", get(handler))
            .route("/read", get(read))
            .route("/login", get(login))
            .with_state(AppState { key })
    }

    /// The attributes ours writes by default.
    fn cookie(state: &State) -> Result<Cookie<'static>, serde_json::Error> {
        let json = serde_json::to_string(state)?;
        Ok(Cookie::build(("session", json))
            .path("/")
            .max_age(Duration::seconds(TWO_WEEKS_SECS))
            .expires(OffsetDateTime::now_utc() + Duration::seconds(TWO_WEEKS_SECS))
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Lax)
            .build())
    }

    async fn login(jar: PrivateCookieJar) -> Response {
        let state = State {
            user: ada(),
            counter: 0,
        };
        match cookie(&state) {
            Ok(cookie) => (jar.add(cookie), answer(&state.user, 0)).into_response(),
            Err(error) => server_error(error),
        }
    }

    /// The session's state, if the request carries a valid one.
    fn state(jar: &PrivateCookieJar) -> Option<State> {
        serde_json::from_str(jar.get("session")?.value()).ok()
    }

    async fn read(jar: PrivateCookieJar) -> Response {
        match state(&jar) {
            Some(state) => answer(&state.user, state.counter).into_response(),
            None => no_session(),
        }
    }

    async fn handler(jar: PrivateCookieJar) -> Response {
        let Some(mut state) = state(&jar) else {
            return no_session();
        };
        state.counter += 1;
        match self::cookie(&state) {
            Ok(cookie) => (jar.add(cookie), answer(&state.user, state.counter)).into_response(),
            Err(error) => server_error(error),
        }
    }
}

mod tower_sessions_store {
    use super::*;
    use tower_sessions::cookie::SameSite;
    use tower_sessions::cookie::time::Duration;
    use tower_sessions::{Expiry, MemoryStore, Session, SessionManagerLayer};

    pub fn router() -> Router {
        let layer = SessionManagerLayer::new(MemoryStore::default())
            .with_name("session")
            .with_same_site(SameSite::Lax)
            .with_expiry(Expiry::OnInactivity(Duration::seconds(TWO_WEEKS_SECS)));
        Router::new()
            .route("/", get(handler))
            .route("/bump", get(handler))
            .route("/read", get(read))
            .route("/login", get(login))
            .layer(layer)
    }

    async fn read(session: Session) -> Response {
        let user = match session.get::<User>(USER).await {
            Ok(Some(user)) => user,
            Ok(None) => return no_session(),
            Err(error) => return server_error(error),
        };
        match session.get::<u64>(COUNTER).await {
            Ok(Some(counter)) => answer(&user, counter).into_response(),
            Ok(None) => no_session(),
            Err(error) => server_error(error),
        }
    }

    async fn login(session: Session) -> Response {
        if let Err(error) = session.insert(USER, ada()).await {
            return server_error(error);
        }
        if let Err(error) = session.insert(COUNTER, 0u64).await {
            return server_error(error);
        }
        answer(&ada(), 0).into_response()
    }

    async fn handler(session: Session) -> Response {
        let user = match session.get::<User>(USER).await {
            Ok(Some(user)) => user,
            Ok(None) => return no_session(),
            Err(error) => return server_error(error),
        };
        let counter = match session.get::<u64>(COUNTER).await {
            Ok(Some(counter)) => counter + 1,
            Ok(None) => return no_session(),
            Err(error) => return server_error(error),
        };
        match session.insert(COUNTER, counter).await {
            Ok(()) => answer(&user, counter).into_response(),
            Err(error) => server_error(error),
        }
    }
}

/// tower-sessions 0.14 (the version `tower-sessions-redis-store` 0.16
/// plugs into) with its Redis store: the session id in the cookie, the
/// data in Redis, one `GET` per request and a `SET` after a change.
mod tower_sessions_redis {
    use super::*;
    use tower_sessions_014::cookie::SameSite;
    use tower_sessions_014::cookie::time::Duration;
    use tower_sessions_014::{Expiry, Session, SessionManagerLayer};
    use tower_sessions_redis_store::RedisStore;
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

    pub async fn router() -> Router {
        let config = Config::from_url(&redis_url()).expect("a Redis URL");
        let pool = Pool::new(config, None, None, None, 6).expect("a pool");
        let _connection = pool.connect();
        pool.wait_for_connect().await.expect("Redis answers");
        let layer = SessionManagerLayer::new(RedisStore::new(pool))
            .with_name("session")
            .with_same_site(SameSite::Lax)
            .with_expiry(Expiry::OnInactivity(Duration::seconds(TWO_WEEKS_SECS)));
        Router::new()
            .route("/", get(handler))
            .route("/bump", get(handler))
            .route("/read", get(read))
            .route("/login", get(login))
            .layer(layer)
    }

    async fn login(session: Session) -> Response {
        if let Err(error) = session.insert(USER, ada()).await {
            return server_error(error);
        }
        if let Err(error) = session.insert(COUNTER, 0u64).await {
            return server_error(error);
        }
        answer(&ada(), 0).into_response()
    }

    async fn load(session: &Session) -> Result<Option<(User, u64)>, Response> {
        let user = match session.get::<User>(USER).await {
            Ok(Some(user)) => user,
            Ok(None) => return Ok(None),
            Err(error) => return Err(server_error(error)),
        };
        match session.get::<u64>(COUNTER).await {
            Ok(Some(counter)) => Ok(Some((user, counter))),
            Ok(None) => Ok(None),
            Err(error) => Err(server_error(error)),
        }
    }

    async fn read(session: Session) -> Response {
        match load(&session).await {
            Ok(Some((user, counter))) => answer(&user, counter).into_response(),
            Ok(None) => no_session(),
            Err(response) => response,
        }
    }

    async fn handler(session: Session) -> Response {
        let (user, counter) = match load(&session).await {
            Ok(Some((user, counter))) => (user, counter + 1),
            Ok(None) => return no_session(),
            Err(response) => return response,
        };
        match session.insert(COUNTER, counter).await {
            Ok(()) => answer(&user, counter).into_response(),
            Err(error) => server_error(error),
        }
    }
}

/// The Redis the `*-redis` and `ours-replica` servers use.
fn redis_url() -> String {
    std::env::var("E2E_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

mod none {
    use super::*;

    pub fn router() -> Router {
        Router::new()
            .route("/", get(handler))
            .route("/bump", get(handler))
            .route("/read", get(read))
            .route("/login", get(handler))
    }

    /// The same answer, with no session: the cost of axum and HTTP alone.
    async fn handler() -> Response {
        answer(&ada(), 1).into_response()
    }

    async fn read() -> Response {
        answer(&ada(), 0).into_response()
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: sealed-session-e2e <ours|jar|tower-sessions|none|ours-redis|ours-replica|tower-sessions-redis|actix-ours|actix-ours-csrf|actix-session|actix-none> <port>"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(port)) = (args.next(), args.next()) else {
        return usage();
    };
    let Ok(port) = port.parse::<u16>() else {
        return usage();
    };
    // actix-web brings its own runtime: its servers never enter tokio's.
    if actix::MODES.contains(&mode.as_str()) {
        return actix::main(&mode, port);
    }
    serve_axum(mode, port)
}

#[tokio::main]
async fn serve_axum(mode: String, port: u16) -> ExitCode {
    let router = match mode.as_str() {
        "ours" => ours::router(ours::Revocation::None).await,
        "ours-redis" => ours::router(ours::Revocation::Direct).await,
        "ours-replica" => ours::router(ours::Revocation::Replica).await,
        "tower-sessions-redis" => tower_sessions_redis::router().await,
        "jar" => jar::router(),
        "tower-sessions" => tower_sessions_store::router(),
        "none" => none::router(),
        _ => return usage(),
    };
    // Loopback only: this is a load test target.
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let listener = match tokio::net::TcpListener::bind(address).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {address}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{mode} listening on http://{address}/");
    if let Err(error) = axum::serve(listener, router).await {
        eprintln!("server error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
