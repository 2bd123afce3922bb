//! Issue 24: chunked sessions through a real nginx (Debian's package,
//! started on a free loopback port with a generated config that keeps
//! nginx's defaults, `large_client_header_buffers 4 8k` among them) in front
//! of an in-process axum server. Measures the largest session that passes
//! when a browser sends every cookie in one `Cookie` line (HTTP/1.1), and
//! what nginx answers beyond it. Ignored by a plain `cargo test`;
//! `-- --ignored` runs it, and a missing nginx is then a failure. Run with
//! `--nocapture` to see the figures (docs/wire_format.md records them).

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use http::Request;
use sealed_session::tower::{SessionHandle, SessionLayer};
use sealed_session::{Key, Keyring, SessionConfig};

const NGINX: &str = "/usr/sbin/nginx";
const NEEDS: &str =
    "needs nginx: apt-get install nginx, then cargo test --all-features -- --ignored";

/// nginx's default `large_client_header_buffers 4 8k`: no request header
/// line may be longer than one 8 KiB buffer.
const NGINX_LINE: usize = 8 * 1024;

/// nginx on a free loopback port, proxying to `upstream`; killed on drop.
struct Nginx {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Nginx {
    fn start(upstream: u16) -> Self {
        assert!(Path::new(NGINX).exists(), "{NGINX} not found: {NEEDS}");
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("sealed-session-nginx-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        // Debian's default site, reduced to what a test needs: no header
        // buffer setting, so nginx's defaults apply.
        let conf = format!(
            "daemon off;\n\
             master_process off;\n\
             worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {d}/body;\n\
               proxy_temp_path {d}/proxy;\n\
               fastcgi_temp_path {d}/fastcgi;\n\
               uwsgi_temp_path {d}/uwsgi;\n\
               scgi_temp_path {d}/scgi;\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 location / {{ proxy_pass http://127.0.0.1:{upstream}; }}\n\
               }}\n\
             }}\n"
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port, dir }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn config() -> SessionConfig {
    SessionConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .max_chunks(4)
        .build()
        .unwrap()
}

/// The app: `/check` answers the session's status and the length of its
/// blob.
async fn start_app(config: SessionConfig) -> u16 {
    async fn check(session: SessionHandle) -> String {
        let blob: Option<String> = session.get("blob").unwrap();
        format!("{}|{}", session.status(), blob.map_or(0, |b| b.len()))
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = Router::new()
        .route("/check", get(check))
        .layer(SessionLayer::new(config));
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

/// The `name=value` pairs of a session holding a blob of `len` bytes,
/// sealed by `save` as the app would.
fn cookies_for(config: &SessionConfig, len: usize) -> Vec<String> {
    let mut session = sealed_session::load(config, &Request::new(()));
    session.insert("blob", &"b".repeat(len)).unwrap();
    let mut response = http::Response::new(());
    sealed_session::save(config, &session, &mut response).unwrap();
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

/// Sends the pairs in one `Cookie` line (as a browser over HTTP/1.1 does)
/// through nginx; the status and body.
async fn through(client: &reqwest::Client, nginx: &Nginx, pairs: &[String]) -> (u16, String) {
    let response = client
        .get(format!("http://127.0.0.1:{}/check", nginx.port))
        .header("cookie", pairs.join("; "))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs nginx: apt-get install nginx, then cargo test --all-features -- --ignored"]
async fn the_largest_session_through_nginx_defaults_and_the_status_beyond() {
    let config = config();
    let app = start_app(config.clone()).await;
    let nginx = Nginx::start(app);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // A small session, and one of two chunks, pass.
    let small = cookies_for(&config, 100);
    assert_eq!(
        through(&client, &nginx, &small).await,
        (200, "loaded|100".to_owned())
    );
    let two = cookies_for(&config, 3_500);
    assert_eq!(two.len(), 2);
    assert_eq!(
        through(&client, &nginx, &two).await,
        (200, "loaded|3500".to_owned())
    );

    // The largest blob whose cookies pass, by bisection.
    let (mut pass, mut fail) = (3_500usize, 12_000usize);
    assert_ne!(
        through(&client, &nginx, &cookies_for(&config, fail))
            .await
            .0,
        200
    );
    while fail - pass > 1 {
        let mid = (pass + fail) / 2;
        let (status, body) = through(&client, &nginx, &cookies_for(&config, mid)).await;
        if status == 200 {
            assert_eq!(body, format!("loaded|{mid}"));
            pass = mid;
        } else {
            fail = mid;
        }
    }
    let largest = cookies_for(&config, pass);
    let line = "Cookie: ".len() + largest.join("; ").len();
    let beyond = cookies_for(&config, fail);
    let beyond_line = "Cookie: ".len() + beyond.join("; ").len();
    let (status, body) = through(&client, &nginx, &beyond).await;
    eprintln!(
        "nginx defaults: largest session blob {pass} bytes, {} cookies, Cookie line {line} bytes; \
         beyond ({beyond_line} bytes): {status} {:?}",
        largest.len(),
        body.lines()
            .find(|l| l.contains("<title>"))
            .unwrap_or(&body),
    );
    assert_eq!(largest.len(), 2, "two chunks pass, not three");
    assert!(
        line <= NGINX_LINE && beyond_line + 2 > NGINX_LINE,
        "{line} {beyond_line}"
    );
    assert_eq!(status, 400);
    assert!(
        body.contains("Request Header Or Cookie Too Large"),
        "{body}"
    );
    // Three chunks of about 4 KB (a 10 KB session) are refused the same way.
    let three = cookies_for(&config, 7_300);
    assert_eq!(three.len(), 3);
    let (status, body) = through(&client, &nginx, &three).await;
    assert_eq!(status, 400);
    assert!(
        body.contains("Request Header Or Cookie Too Large"),
        "{body}"
    );

    // The recommended setting behind nginx's defaults: two chunks of at
    // most 4,000 bytes. The largest session it lets the app write passes,
    // with room to spare (same keys and name: the app opens it).
    let recommended = SessionConfig::builder(Keyring::new(Key::from_bytes(&[7; 32]).unwrap()))
        .size_limit(4_000)
        .max_chunks(2)
        .build()
        .unwrap();
    let fits = |len: usize| {
        let mut session = sealed_session::load(&recommended, &Request::new(()));
        session.insert("blob", &"b".repeat(len)).unwrap();
        sealed_session::save(&recommended, &session, &mut http::Response::new(())).is_ok()
    };
    let (mut ok, mut too_large) = (0usize, 8_000usize);
    while too_large - ok > 1 {
        let mid = (ok + too_large) / 2;
        if fits(mid) { ok = mid } else { too_large = mid }
    }
    let largest = cookies_for(&recommended, ok);
    let line = "Cookie: ".len() + largest.join("; ").len();
    let (status, body) = through(&client, &nginx, &largest).await;
    eprintln!(
        "nginx defaults, size_limit(4_000).max_chunks(2): largest session blob {ok} bytes, Cookie line {line} bytes: {status}"
    );
    assert_eq!((status, body), (200, format!("loaded|{ok}")));
    assert!(line <= 8_010, "{line}");

    // One `Cookie` line per cookie (as HTTP/2 sends cookies, one field
    // each): every line is within 8 KiB and the four together within the
    // 32 KiB of four buffers, so the largest session passes.
    let four = cookies_for(&config, config.capacity() * 3 / 4 - 200);
    assert_eq!(four.len(), 4);
    let mut request = client.get(format!("http://127.0.0.1:{}/check", nginx.port));
    for pair in &four {
        request = request.header("cookie", pair.as_str());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    eprintln!("nginx defaults, one Cookie line per chunk: 4 cookies: {status} {body}");
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("loaded|"), "{body}");
}
