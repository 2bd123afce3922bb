//! Cookie sizes, ours vs the actix-session/axum-extra baseline, as markdown.
//!
//! `cargo run --release --example size_table`
//!
//! Per fixture: the cookie value's length in both formats and how much more
//! data the session could hold; then the largest data map (postcard bytes)
//! that still fits one cookie under the default 4,093-byte limit with the
//! default cookie name `session`, found by actually saving.

use http::HeaderMap;
use sealed_session::{SaveError, SessionConfig};

#[path = "../benches/fixtures/mod.rs"]
mod fixtures;
use fixtures::{COOKIE_NAME, Fixture, Large, Medium, Small};

/// Baseline values vary in length with the nonce (`/` and `=` of padded
/// base64 are percent-encoded to three characters): average over this many.
const BASELINE_SEALS: usize = 200;

/// The default `name=value` limit (`sealed_session::DEFAULT_SIZE_LIMIT`).
const LIMIT: usize = 4093;

/// Bytes of the envelope ahead of the data map: the varints `created` and
/// `expires`, then the `expiry` option tag.
fn envelope_header_len(plaintext: &[u8]) -> usize {
    let mut at = 0;
    for _ in 0..2 {
        while plaintext[at] & 0x80 != 0 {
            at += 1;
        }
        at += 1;
    }
    assert_eq!(plaintext[at], 0, "no per-session expiry in the fixtures");
    at + 1
}

struct Row {
    name: &'static str,
    keys: usize,
    data_map: usize,
    ours: usize,
    baseline_mean: f64,
    baseline_min: usize,
    baseline_max: usize,
    json_state: usize,
}

fn measure<F: Fixture>(config: &SessionConfig, key: &cookie::Key) -> Row {
    let data = F::build();
    let response = fixtures::ours_save(config, &data);
    let ours = fixtures::cookie_value(&response).len();
    let plaintext = fixtures::ours_plaintext(config, &response);
    let data_map = plaintext.len() - envelope_header_len(&plaintext);
    let lengths: Vec<usize> = (0..BASELINE_SEALS)
        .map(|_| fixtures::cookie_value(&fixtures::baseline_save(key, &data)).len())
        .collect();
    Row {
        name: F::NAME,
        keys: F::KEYS,
        data_map,
        ours,
        baseline_mean: lengths.iter().sum::<usize>() as f64 / lengths.len() as f64,
        baseline_min: *lengths.iter().min().expect("seals"),
        baseline_max: *lengths.iter().max().expect("seals"),
        json_state: serde_json::to_string(&data.to_json_map())
            .expect("json")
            .len(),
    }
}

/// Saves a one-key session holding `len` bytes; the data map's postcard size
/// on success.
fn try_save(config: &SessionConfig, len: usize) -> Result<usize, SaveError> {
    let mut session = sealed_session::load(config, &HeaderMap::new());
    session.insert("k", &vec![0xa5u8; len]).expect("insert");
    let mut response = HeaderMap::new();
    sealed_session::save(config, &session, &mut response)?;
    let plaintext = fixtures::ours_plaintext(config, &response);
    Ok(plaintext.len() - envelope_header_len(&plaintext))
}

/// The largest data map that saves, and the error for the next size up.
fn largest_data_map(config: &SessionConfig) -> (usize, SaveError) {
    let (mut fits, mut fails) = (0, 8192);
    while fails - fits > 1 {
        let mid = (fits + fails) / 2;
        match try_save(config, mid) {
            Ok(_) => fits = mid,
            Err(SaveError::TooLarge { .. }) => fails = mid,
            Err(e) => panic!("{e}"),
        }
    }
    let map = try_save(config, fits).expect("fits");
    let err = try_save(config, fails).expect_err("too large");
    (map, err)
}

fn main() {
    let config = fixtures::ours_config();
    assert_eq!(config.cookie_name(), COOKIE_NAME);
    assert_eq!(config.size_limit(), LIMIT);
    let key = fixtures::baseline_key();
    let pair = COOKIE_NAME.len() + 1;

    let (largest, next_err) = largest_data_map(&config);
    let rows = [
        measure::<Small>(&config, &key),
        measure::<Medium>(&config, &key),
        measure::<Large>(&config, &key),
    ];

    println!("Cookie `{COOKIE_NAME}`, default limit {LIMIT} bytes on `name=value`.");
    println!();
    println!(
        "| fixture | keys | data map (postcard B) | ours value | baseline value (mean of {BASELINE_SEALS}, min–max) | ours / baseline | baseline JSON state | ours fits {LIMIT} | baseline fits {LIMIT} | room left in ours (postcard B) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|---|---:|");
    for r in &rows {
        let fits = |len: usize| {
            if pair + len <= LIMIT {
                "yes".to_owned()
            } else {
                format!("**no** ({} B)", pair + len)
            }
        };
        println!(
            "| {} | {} | {} | {} | {:.0} ({}–{}) | {:.1}% | {} | {} | {} | {} |",
            r.name,
            r.keys,
            r.data_map,
            r.ours,
            r.baseline_mean,
            r.baseline_min,
            r.baseline_max,
            100.0 * r.ours as f64 / r.baseline_mean,
            r.json_state,
            fits(r.ours),
            fits(r.baseline_max),
            largest - r.data_map,
        );
    }
    println!();
    println!(
        "Largest data map that still fits one cookie: **{largest} bytes** of postcard \
         (`save` succeeds; one byte more gives `{next_err}`)."
    );
}
