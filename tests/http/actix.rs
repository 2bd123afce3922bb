//! The actix-web middleware and extractor, through actix-web's test service:
//! a small client keeps the session cookie between requests as a browser
//! would (it stores what `Set-Cookie` sends and drops it on a removal).

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, HttpResponse, web};
use sealed_session::actix::{MissingSessionMiddleware, Session, SessionMiddleware};
use sealed_session::{Key, Keyring, SaveError, SaveErrorPolicy, SaveFailed, SessionConfig, Status};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::common::*;

#[derive(Deserialize)]
struct Item {
    item: String,
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("name", "ada")?;
    session.renew();
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", "/data"))
        .finish())
}

async fn cart(session: Session, form: web::Form<Item>) -> actix_web::Result<HttpResponse> {
    session.with(|s| {
        let mut cart: Vec<String> = s.get("cart")?.unwrap_or_default();
        cart.push(form.item.clone());
        s.insert("cart", &cart)
    })?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("location", "/data"))
        .finish())
}

async fn data(session: Session) -> actix_web::Result<HttpResponse> {
    let name: Option<String> = session.get("name")?;
    let cart: Vec<String> = session.get("cart")?.unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "name": name,
        "cart": cart,
        "status": session.status().as_str(),
    })))
}

async fn logout(session: Session) -> HttpResponse {
    session.flush();
    HttpResponse::SeeOther()
        .insert_header(("location", "/data"))
        .finish()
}

async fn big(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("blob", &"x".repeat(5_000))?;
    Ok(HttpResponse::Ok().body("stored?"))
}

async fn change_then_500(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("name", "mallory")?;
    Ok(HttpResponse::InternalServerError().body("boom"))
}

async fn change_then_error(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("name", "mallory")?;
    Err(actix_web::error::ErrorServiceUnavailable("down"))
}

async fn big_then_500(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("blob", &"x".repeat(5_000))?;
    Ok(HttpResponse::InternalServerError().body("boom"))
}

/// Leaves the session borrowed in a task that outlives the response.
#[expect(
    clippy::await_holding_refcell_ref,
    reason = "the misuse under test, which clippy flags in an app"
)]
async fn held_elsewhere(session: Session) -> HttpResponse {
    session.insert("name", "eve").unwrap();
    let started = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = started.clone();
    actix_web::rt::spawn(async move {
        let _guard = session.lock();
        flag.set(true);
        actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
    });
    while !started.get() {
        actix_web::rt::task::yield_now().await;
    }
    HttpResponse::Ok().body("done")
}

async fn logout_then_500(session: Session) -> HttpResponse {
    session.flush();
    HttpResponse::InternalServerError().finish()
}

async fn own_headers(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("seen", &true)?;
    Ok(HttpResponse::Ok()
        .append_header(("vary", "Accept-Encoding"))
        .append_header(("set-cookie", "theme=dark; Path=/"))
        .append_header(("cache-control", "no-store"))
        .finish())
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::post().to(login))
        .route("/cart", web::post().to(cart))
        .route("/data", web::get().to(data))
        .route("/logout", web::post().to(logout))
        .route("/big", web::post().to(big))
        .route("/change-then-500", web::post().to(change_then_500))
        .route("/change-then-error", web::post().to(change_then_error))
        .route("/logout-then-500", web::post().to(logout_then_500))
        .route("/big-then-500", web::post().to(big_then_500))
        .route("/held-elsewhere", web::post().to(held_elsewhere))
        .route("/own-headers", web::get().to(own_headers));
}

/// A browser's cookie jar, for the session cookie only.
#[derive(Default)]
struct Jar(Option<String>);

impl Jar {
    fn request(&self, method: Method, path: &str) -> TestRequest {
        let request = TestRequest::default().method(method).uri(path);
        match &self.0 {
            Some(cookie) => request.insert_header(("cookie", cookie.as_str())),
            None => request,
        }
    }

    /// Keeps what the response's session `Set-Cookie` says.
    fn take<B>(&mut self, response: &ServiceResponse<B>) {
        for line in set_cookie_lines(response) {
            if line.starts_with("session=") {
                self.0 = if is_removal(&line) {
                    None
                } else {
                    Some(pair(&line).to_owned())
                };
            }
        }
    }
}

fn set_cookie_lines<B>(response: &ServiceResponse<B>) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn header_values<B>(response: &ServiceResponse<B>, name: &str) -> Vec<String> {
    response
        .headers()
        .get_all(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

async fn json_body<B: MessageBody>(response: ServiceResponse<B>) -> Value {
    serde_json::from_slice(&read_body(response).await).unwrap()
}

fn test_config() -> SessionConfig {
    config_with(&TestClock::new(), |b| b)
}

#[actix_web::test]
async fn log_in_fill_the_cart_read_it_back_and_log_out() {
    let config = test_config();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config.clone())),
    )
    .await;
    let mut jar = Jar::default();

    // No cookie: an empty session, and nothing to set.
    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(header_values(&response, "vary"), ["Cookie"]);
    assert_eq!(
        json_body(response).await,
        json!({"name": null, "cart": [], "status": "new"})
    );

    // Log in: a 303 with the session cookie, its attributes and headers.
    let response = call_service(&app, jar.request(Method::POST, "/login").to_request()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let lines = set_cookie_lines(&response);
    assert_eq!(lines.len(), 1, "{lines:?}");
    for attribute in [
        "; Secure",
        "; HttpOnly",
        "; SameSite=Lax",
        "; Path=/",
        "; Max-Age=",
    ] {
        assert!(lines[0].contains(attribute), "{attribute}: {}", lines[0]);
    }
    assert_eq!(header_values(&response, "cache-control"), ["private"]);
    assert_eq!(header_values(&response, "vary"), ["Cookie"]);
    jar.take(&response);
    assert_eq!(
        load_cookie(&config, jar.0.as_deref().unwrap()).status(),
        Status::Loaded
    );

    // Two items in the cart, each a new cookie.
    for item in ["tea", "milk & sugar"] {
        let request = jar
            .request(Method::POST, "/cart")
            .set_form([("item", item)])
            .to_request();
        let response = call_service(&app, request).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(set_cookie_lines(&response).len(), 1);
        jar.take(&response);
    }

    // Reading changes nothing: no cookie, but the response varies on it.
    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(header_values(&response, "vary"), ["Cookie"]);
    assert_eq!(
        json_body(response).await,
        json!({"name": "ada", "cart": ["tea", "milk & sugar"], "status": "loaded"})
    );

    // Log out: a removal with the same path, and the jar drops the cookie.
    let response = call_service(&app, jar.request(Method::POST, "/logout").to_request()).await;
    let lines = set_cookie_lines(&response);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(is_removal(&lines[0]), "{}", lines[0]);
    assert!(lines[0].contains("; Path=/"), "{}", lines[0]);
    jar.take(&response);
    assert_eq!(jar.0, None);

    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert_eq!(
        json_body(response).await,
        json!({"name": null, "cart": [], "status": "new"})
    );
}

#[actix_web::test]
async fn a_tampered_cookie_gives_an_empty_session_and_is_removed() {
    let config = test_config();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config.clone())),
    )
    .await;
    let cookie = issue(&config, &[("name", "ada")]);
    // Flip one character of the sealed value (not the last, whose low bits
    // base64 may ignore).
    let mut bytes = cookie.into_bytes();
    let i = bytes.len() - 5;
    bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();

    let request = TestRequest::get()
        .uri("/data")
        .insert_header(("cookie", tampered.as_str()))
        .to_request();
    let response = call_service(&app, request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let lines = set_cookie_lines(&response);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(is_removal(&lines[0]), "an unusable cookie is removed");
    assert_eq!(
        json_body(response).await,
        json!({"name": null, "cart": [], "status": "invalid"})
    );
}

#[actix_web::test]
async fn every_cookie_header_and_non_utf8_bytes_are_read() {
    let config = test_config();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config.clone())),
    )
    .await;
    let cookie = issue(&config, &[("name", "ada")]);
    let junk = actix_web::http::header::HeaderValue::from_bytes(b"x=\xff\xfe; y=\x80").unwrap();
    let request = TestRequest::get()
        .uri("/data")
        .append_header(("cookie", junk))
        .append_header(("cookie", "theme=dark"))
        .append_header(("cookie", cookie.as_str()))
        .to_request();
    let response = call_service(&app, request).await;
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(json_body(response).await["name"], "ada");
}

#[actix_web::test]
async fn a_too_large_session_gets_413_by_default_and_no_cookie() {
    let config = test_config();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config.clone())),
    )
    .await;
    let mut jar = Jar(Some(issue(&config, &[("name", "ada")])));
    let before = jar.0.clone();

    let response = call_service(&app, jar.request(Method::POST, "/big").to_request()).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(header_values(&response, "vary"), ["Cookie"]);
    let failed = response
        .response()
        .extensions()
        .get::<SaveFailed>()
        .cloned();
    assert!(
        matches!(
            failed,
            Some(SaveFailed(SaveError::TooLarge { limit: 4093, .. }))
        ),
        "{failed:?}"
    );
    jar.take(&response);
    assert_eq!(jar.0, before, "the jar keeps its cookie");
    assert_eq!(
        read_body(response).await,
        "session too large for a cookie",
        "the handler's body is not sent: a short reason is"
    );

    // The previous cookie still holds the data.
    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert_eq!(json_body(response).await["name"], "ada");
}

#[actix_web::test]
async fn the_save_error_policy_is_chosen_by_the_app() {
    let config = test_config();

    let app = init_service(App::new().configure(routes).wrap(
        SessionMiddleware::new(config.clone()).on_save_error(SaveErrorPolicy::InternalServerError),
    ))
    .await;
    let response = call_service(&app, TestRequest::post().uri("/big").to_request()).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(set_cookie_lines(&response).is_empty());
    assert!(
        response
            .response()
            .extensions()
            .get::<SaveFailed>()
            .is_some()
    );

    let app = init_service(App::new().configure(routes).wrap(
        SessionMiddleware::new(config.clone()).on_save_error(SaveErrorPolicy::KeepPreviousCookie),
    ))
    .await;
    let response = call_service(&app, TestRequest::post().uri("/big").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie_lines(&response).is_empty());
    assert!(
        response
            .response()
            .extensions()
            .get::<SaveFailed>()
            .is_some()
    );
    assert_eq!(read_body(response).await, "stored?");

    // A callback sees the error and the handler's response.
    let app = init_service(App::new().configure(routes).wrap(
        SessionMiddleware::new(config).on_save_error(
            |error: &SaveError, response: HttpResponse| {
                let SaveError::TooLarge { size, limit } = error else {
                    return response;
                };
                HttpResponse::build(StatusCode::INSUFFICIENT_STORAGE).body(format!(
                    "{size} > {limit}; handler said {}",
                    response.status()
                ))
            },
        ),
    ))
    .await;
    let response = call_service(&app, TestRequest::post().uri("/big").to_request()).await;
    assert_eq!(response.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(set_cookie_lines(&response).is_empty());
    assert!(
        response
            .response()
            .extensions()
            .get::<SaveFailed>()
            .is_some()
    );
    let body = read_body(response).await;
    let body = std::str::from_utf8(&body).unwrap();
    assert!(body.ends_with("> 4093; handler said 200 OK"), "{body}");
}

#[actix_web::test]
async fn a_server_error_after_a_change_writes_no_session_cookie() {
    let config = test_config();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config.clone())),
    )
    .await;
    let jar = Jar(Some(issue(&config, &[("name", "ada")])));

    // A 500 response, then an `Err` the handler returns (answered 503).
    for (path, status) in [
        ("/change-then-500", StatusCode::INTERNAL_SERVER_ERROR),
        ("/change-then-error", StatusCode::SERVICE_UNAVAILABLE),
    ] {
        let response = call_service(&app, jar.request(Method::POST, path).to_request()).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(set_cookie_lines(&response).is_empty(), "{path}");
        assert!(
            header_values(&response, "cache-control").is_empty(),
            "{path}"
        );
        let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
        assert_eq!(json_body(response).await["name"], "ada", "{path}");
    }

    // A removal still goes out with a 500: a logout is never undone.
    let response = call_service(
        &app,
        jar.request(Method::POST, "/logout-then-500").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let lines = set_cookie_lines(&response);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(is_removal(&lines[0]), "{}", lines[0]);
}

#[actix_web::test]
async fn a_server_error_whose_session_is_too_large_is_not_replaced() {
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(test_config())),
    )
    .await;
    let response = call_service(&app, TestRequest::post().uri("/big-then-500").to_request()).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(set_cookie_lines(&response).is_empty());
    let failed = response
        .response()
        .extensions()
        .get::<SaveFailed>()
        .cloned();
    // A 5xx gets no new session cookie, so nothing is sealed and nothing
    // fails: the handler's own error goes out as it was.
    assert_eq!(failed, None);
    assert_eq!(read_body(response).await, "boom");
}

#[actix_web::test]
async fn a_session_still_borrowed_by_a_task_is_not_saved() {
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(test_config())),
    )
    .await;
    let response = call_service(
        &app,
        TestRequest::post().uri("/held-elsewhere").to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(read_body(response).await, "done");
}

/// Printing the session from inside `with` (which holds the borrow)
/// completes: `Debug` never panics on the `RefCell`.
#[test]
fn debug_inside_with_never_panics() {
    let config = test_config();
    let session = Session::new(sealed_session::load(&config, &http::Request::new(())));
    session.insert("user", &1u8).unwrap();
    let printed = session.with(|_| format!("{session:?}"));
    assert_eq!(printed, "Session(<locked>)");
    let open = format!("{session:?}");
    assert!(open.starts_with("Session {"), "{open}");
    assert!(open.contains("\"user\""), "{open}");
}

#[test]
#[should_panic(expected = "already mutably borrowed")]
fn using_the_session_while_a_guard_lives_panics() {
    let config = test_config();
    let session = Session::new(sealed_session::load(&config, &http::Request::new(())));
    let _guard = session.lock();
    let _ = session.len();
}

#[actix_web::test]
async fn an_error_from_an_inner_middleware_still_carries_a_removal_and_no_new_cookie() {
    let config = test_config();
    // An inner middleware that turns every response into an `Err`.
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap_fn(|request, service| {
                let response = service.call(request);
                async move {
                    let _ = response.await?;
                    Err::<ServiceResponse, _>(actix_web::error::ErrorBadGateway("upstream"))
                }
            })
            .wrap(SessionMiddleware::new(config.clone())),
    )
    .await;
    let jar = Jar(Some(issue(&config, &[("name", "ada")])));
    // The error stays an error for outer middleware; the response it
    // stands for carries the session's headers.
    let error = app
        .call(jar.request(Method::POST, "/logout").to_request())
        .await
        .unwrap_err();
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let lines: Vec<_> = response.headers().get_all("set-cookie").collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(is_removal(lines[0].to_str().unwrap()), "{lines:?}");

    let error = app
        .call(jar.request(Method::POST, "/login").to_request())
        .await
        .unwrap_err();
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.headers().get_all("set-cookie").next().is_none());
    assert_eq!(response.headers().get("vary").unwrap(), "Cookie");
}

#[actix_web::test]
async fn a_rotated_key_re_seals_with_the_primary() {
    let clock = TestClock::new();
    let old = config_with(&clock, |b| b);
    let cookie = issue(&old, &[("name", "ada")]);
    let rotated = clock
        .install(SessionConfig::builder(
            Keyring::new(Key::from_bytes(&[9; 32]).unwrap()).with_fallback(key(1)),
        ))
        .build()
        .unwrap();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(rotated.clone())),
    )
    .await;
    let mut jar = Jar(Some(cookie));

    // A read is enough: the middleware re-seals under the new key.
    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert_eq!(set_cookie_lines(&response).len(), 1);
    jar.take(&response);
    assert_eq!(
        json_body(response).await,
        json!({"name": "ada", "cart": [], "status": "loaded-with-fallback"})
    );

    // The new cookie opens under the new key alone, the old config refuses it.
    let new_only = clock
        .install(SessionConfig::builder(Keyring::new(
            Key::from_bytes(&[9; 32]).unwrap(),
        )))
        .build()
        .unwrap();
    let cookie = jar.0.clone().unwrap();
    assert_eq!(load_cookie(&new_only, &cookie).status(), Status::Loaded);
    assert!(matches!(
        load_cookie(&old, &cookie).status(),
        Status::Invalid(_)
    ));

    // And the next read writes nothing more.
    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(json_body(response).await["status"], "loaded");
}

#[actix_web::test]
async fn the_handlers_own_headers_are_kept() {
    let config = test_config();
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config)),
    )
    .await;
    let response = call_service(&app, TestRequest::get().uri("/own-headers").to_request()).await;
    let lines = set_cookie_lines(&response);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0], "theme=dark; Path=/");
    assert!(lines[1].starts_with("session="), "{}", lines[1]);
    assert_eq!(
        header_values(&response, "vary"),
        ["Accept-Encoding", "Cookie"]
    );
    assert_eq!(header_values(&response, "cache-control"), ["no-store"]);
}

#[actix_web::test]
async fn a_route_without_the_middleware_answers_500() {
    let app = init_service(App::new().route("/data", web::get().to(data))).await;
    let response = call_service(&app, TestRequest::get().uri("/data").to_request()).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = read_body(response).await;
    assert_eq!(body, MissingSessionMiddleware.to_string());
}

#[actix_web::test]
async fn session_and_save_errors_are_responses_that_quote_nothing() {
    use actix_web::ResponseError;
    let config = test_config();
    let mut session = sealed_session::load(&config, &http::Request::new(()));
    session.insert("n", &1u8).unwrap();
    let error = session.get::<String>("n").unwrap_err();
    let response = error.error_response();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap();
    assert_eq!(body, "session error");

    let too_large = SaveError::TooLarge {
        size: 5_000,
        limit: 4_093,
    };
    assert_eq!(too_large.status_code(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = actix_web::body::to_bytes(too_large.error_response().into_body())
        .await
        .unwrap();
    assert_eq!(body, "session too large for a cookie");
}

#[test]
fn the_extractor_mirrors_the_session() {
    let config = test_config();
    let session = Session::new(sealed_session::load(&config, &http::Request::new(())));
    let clone = session.clone();
    assert!(session.is_empty());
    session.insert("a", &1u8).unwrap();
    session.insert("b", "two").unwrap();
    assert_eq!(clone.keys(), ["a", "b"]);
    assert_eq!(clone.len(), 2);
    assert!(clone.contains_key("b"));
    assert!(clone.is_modified());
    assert_eq!(clone.take::<String>("b").unwrap().as_deref(), Some("two"));
    assert!(session.remove("a"));
    assert!(!session.remove("a"));
    assert_eq!(session.status(), Status::New);
    session.set_expiry(sealed_session::Expiry::BrowserSession);
    assert!(session.expires_at_browser_close());
    assert_eq!(session.expiry(), sealed_session::Expiry::BrowserSession);
    assert!(session.expiry_date() >= session.created());
    session.insert("c", "secret value").unwrap();
    let debug = format!("{session:?}");
    assert!(
        debug.contains("\"c\"") && !debug.contains("secret"),
        "{debug}"
    );
    {
        // While a guard is held, Debug says so instead of panicking.
        let _guard = session.lock();
        assert_eq!(format!("{clone:?}"), "Session(<locked>)");
    }
    session.clear();
    assert!(session.is_empty());
    session.insert("d", &4u8).unwrap();
    session.flush();
    assert_eq!(session.with(|s| s.len()), 0);
    // A flushed session saves as a removal, a renewed one as a new cookie.
    let mut response = http::Response::new(());
    session
        .with(|s| sealed_session::save(&config, s, &mut response))
        .unwrap();
    assert!(is_removal(&set_cookies(response.headers())[0]));
    let renewed = Session::new(load_cookie(&config, &issue(&config, &[("k", "v")])));
    renewed.renew();
    assert_eq!(renewed.with(|s| save_set_cookies(&config, s)).len(), 1);
}

#[actix_web::test]
async fn a_cross_origin_post_is_refused_before_the_session_is_touched() {
    let app = init_service(
        App::new().configure(routes).wrap(
            SessionMiddleware::new(test_config())
                .cross_origin(sealed_session::csrf::CrossOrigin::default()),
        ),
    )
    .await;
    let mut jar = Jar::default();
    let response = call_service(&app, jar.request(Method::POST, "/login").to_request()).await;
    jar.take(&response);
    assert!(jar.0.is_some());

    // Another site's page posts to the cart: 403, the reason, no cookie.
    let forged = jar
        .request(Method::POST, "/logout")
        .insert_header(("sec-fetch-site", "cross-site"))
        .to_request();
    let response = call_service(&app, forged).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie_lines(&response).is_empty());
    assert_eq!(
        read_body(response).await,
        "cross-site request (Sec-Fetch-Site: cross-site)\n"
    );
    // Older browsers: an Origin that is not the host.
    let forged = jar
        .request(Method::POST, "/logout")
        .insert_header(("host", "shop.example"))
        .insert_header(("origin", "https://evil.example"))
        .to_request();
    assert_eq!(
        call_service(&app, forged).await.status(),
        StatusCode::FORBIDDEN
    );

    // The session survived both; the same-origin logout goes through.
    let response = call_service(&app, jar.request(Method::GET, "/data").to_request()).await;
    assert_eq!(json_body(response).await["name"], "ada");
    let own = jar
        .request(Method::POST, "/logout")
        .insert_header(("sec-fetch-site", "same-origin"))
        .to_request();
    let response = call_service(&app, own).await;
    assert!(is_removal(&set_cookie_lines(&response)[0]));
}

#[actix_web::test]
async fn a_logout_revokes_a_copied_cookie_through_the_middleware() {
    let config = SessionConfig::builder(Keyring::new(key(1)))
        .session_ids(true)
        .build()
        .unwrap();
    let revocations = sealed_session::revocation::Revocations::new(
        sealed_session::revocation::MemoryRevocations::new(),
        &config,
    );
    let app = init_service(
        App::new()
            .configure(routes)
            .wrap(SessionMiddleware::new(config).revocations(revocations)),
    )
    .await;
    let mut jar = Jar::default();
    let response = call_service(&app, jar.request(Method::POST, "/login").to_request()).await;
    jar.take(&response);
    let copy = Jar(jar.0.clone());

    let response = call_service(&app, jar.request(Method::POST, "/logout").to_request()).await;
    assert!(is_removal(&set_cookie_lines(&response)[0]));
    let response = call_service(&app, copy.request(Method::GET, "/data").to_request()).await;
    assert!(
        is_removal(&set_cookie_lines(&response)[0]),
        "the copy is removed"
    );
    assert_eq!(
        json_body(response).await,
        json!({"name": null, "cart": [], "status": "revoked"})
    );
}

/// The `CsrfMiddleware` outside the `SessionMiddleware` (or without one):
/// every request, a GET included, is a 500 that says which goes inside
/// which, with the rejection in the response extensions.
#[actix_web::test]
async fn a_csrf_middleware_outside_the_session_middleware_is_a_500_on_any_method() {
    use sealed_session::actix::CsrfMiddleware;
    use sealed_session::csrf::{CrossOrigin, CsrfRejection};

    let app = init_service(
        App::new()
            .route("/data", web::get().to(data))
            .wrap(SessionMiddleware::new(test_config()))
            .wrap(CsrfMiddleware::new(CrossOrigin::default()).require_token(true)),
    )
    .await;
    for method in [Method::GET, Method::POST] {
        let request = TestRequest::default()
            .method(method.clone())
            .uri("/data")
            .to_request();
        let response = call_service(&app, request).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{method}"
        );
        assert_eq!(
            response.response().extensions().get::<CsrfRejection>(),
            Some(&CsrfRejection::MissingSessionMiddleware)
        );
        assert!(set_cookie_lines(&response).is_empty());
        assert_eq!(
            read_body(response).await,
            "CsrfMiddleware must be inside SessionMiddleware: call .wrap(CsrfMiddleware) \
             before .wrap(SessionMiddleware)\n"
        );
    }

    // Without the token check the middleware needs no session.
    let app = init_service(
        App::new()
            .route(
                "/",
                web::get().to(|| async { HttpResponse::Ok().body("page") }),
            )
            .wrap(CsrfMiddleware::new(CrossOrigin::default())),
    )
    .await;
    let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
}
