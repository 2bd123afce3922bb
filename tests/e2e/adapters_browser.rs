//! Secure by default, in a real browser (issue 23): a page on one site
//! (`http://127.0.0.1:PORT_A`) auto-submits a login form to an app on
//! another (`http://localhost:PORT_B`) that uses nothing but
//! `SessionLayer::new(config)` (tower, under axum) or
//! `SessionMiddleware::new(config)` (actix-web). Chromium labels the request
//! `Sec-Fetch-Site: cross-site` and the adapter refuses it with 403 and no
//! cookie (a login CSRF); the same form from the app's own page logs in.
//!
//! Needs Debian's `chromium`, so the test is `#[ignore]`d;
//! `cargo test --all-features -- --ignored` runs it, and then a missing
//! Chromium is a failure (see `browser.rs`).
#![forbid(unsafe_code)]

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use reqwest::Url;
use sealed_session::{Key, Keyring, SessionConfig};
use serde_json::{Value, json};

use super::browser::{Cdp, Chromium, header, runtime};

/// The login form, posted to `action`.
const FORM: &str = r#"<form id="login" method="post" action="ACTION"><input name="name" value="mallory"><button>Log in</button></form>"#;

/// The page each app serves at `/`: the form, posting to its own `/login`.
const OWN_PAGE: &str = r#"<!doctype html><html><body><form id="login" method="post" action="/login"><input name="name" value="ada"><button>Log in</button></form></body></html>"#;

fn config() -> SessionConfig {
    SessionConfig::builder(Keyring::new(Key::generate()))
        .cookie_name("__Host-session")
        .build()
        .unwrap()
}

/// The tower `SessionLayer` with no configuration of its own, under axum;
/// returns its port.
fn serve_tower(runtime: &tokio::runtime::Runtime) -> u16 {
    use axum::routing::post;
    use sealed_session::tower::{SessionHandle, SessionLayer};
    let router = Router::new()
        .route("/", get(|| async { Html(OWN_PAGE) }))
        .route(
            "/login",
            post(|session: SessionHandle| async move {
                session.renew();
                session.insert("user", "ada").unwrap();
                "logged in"
            }),
        )
        .layer(SessionLayer::new(config()));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

/// The actix-web `SessionMiddleware` with no configuration of its own, on
/// its own thread and runtime; returns its port.
#[cfg(feature = "actix-web")]
fn serve_actix() -> u16 {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use sealed_session::actix::{Session, SessionMiddleware};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = config();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            HttpServer::new(move || {
                App::new()
                    .route(
                        "/",
                        web::get().to(|| async {
                            HttpResponse::Ok().content_type("text/html").body(OWN_PAGE)
                        }),
                    )
                    .route(
                        "/login",
                        web::post().to(|session: Session| async move {
                            session.renew();
                            session.insert("user", "ada").unwrap();
                            HttpResponse::Ok().body("logged in")
                        }),
                    )
                    .wrap(SessionMiddleware::new(config.clone()))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run()
            .await
            .unwrap();
        });
    });
    port
}

/// Another site's page forges a login to the app on `app_port`: refused,
/// no cookie; the app's own page logs in.
fn a_cross_site_login_is_refused(runtime: &tokio::runtime::Runtime, app_port: u16) {
    // Reached as `localhost`, the forging page on `127.0.0.1`: two sites.
    let app = Url::parse(&format!("http://localhost:{app_port}/")).unwrap();
    let login = app.join("/login").unwrap();
    let page = format!(
        "<!doctype html><html><body>{}<script>\
         window.addEventListener('load', () => setTimeout(\
         () => document.getElementById('login').submit(), 0));\
         </script></body></html>",
        FORM.replace("ACTION", login.as_str())
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let other = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let router = Router::new().route("/", get(move || async move { Html(page) }));
    runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });

    let chromium = Chromium::start();
    let mut cdp = Cdp::connect(&chromium.ws_url);

    cdp.clear_network_events();
    cdp.navigate(&other);
    let id = cdp.request_id("POST", &login);
    let sent = cdp.request_headers(&id);
    assert_eq!(
        header(&sent, "sec-fetch-site").as_deref(),
        Some("cross-site"),
        "{sent}"
    );
    let (received, _) = cdp.response_headers(&id, 403);
    assert_eq!(
        header(&received, "set-cookie"),
        None,
        "no session was created"
    );
    cdp.wait_event("the 403 page", |e: &Value| {
        e["method"] == "Page.loadEventFired"
    });
    assert!(cdp.body_text().contains("cross-site"));
    assert_eq!(cdp.session_cookie(), None, "the browser holds no session");

    // The same login from the app's own page: accepted, a session cookie.
    cdp.navigate(&app);
    cdp.clear_network_events();
    cdp.navigating("the app's own login form", |cdp| {
        assert_eq!(
            cdp.eval("document.getElementById('login').submit(); true"),
            json!(true)
        );
    });
    let id = cdp.request_id("POST", &login);
    let sent = cdp.request_headers(&id);
    assert_eq!(
        header(&sent, "sec-fetch-site").as_deref(),
        Some("same-origin")
    );
    let (received, _) = cdp.response_headers(&id, 200);
    assert!(header(&received, "set-cookie").is_some(), "{received}");
    assert_eq!(cdp.body_text().trim(), "logged in");
    assert!(cdp.session_cookie().is_some());
}

#[test]
#[ignore = "needs chromium: bash .ci/browser-deps.sh, then cargo test --all-features -- --ignored"]
fn the_tower_layer_refuses_a_cross_site_login_by_default() {
    let runtime = runtime();
    let port = serve_tower(&runtime);
    a_cross_site_login_is_refused(&runtime, port);
}

#[cfg(feature = "actix-web")]
#[test]
#[ignore = "needs chromium: bash .ci/browser-deps.sh, then cargo test --all-features -- --ignored"]
fn the_actix_middleware_refuses_a_cross_site_login_by_default() {
    let runtime = runtime();
    let port = serve_actix();
    a_cross_site_login_is_refused(&runtime, port);
}
