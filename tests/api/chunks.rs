//! Issue 24: a session split over up to four cookies (`max_chunks`), all or
//! nothing, with no orphaned chunk left behind.

use crate::common::*;
use http::{HeaderMap, Request};
use sealed_session::{
    ChunkReason, ConfigError, InvalidReason, MalformedReason, SaveError, Session, SessionConfig,
    Status,
};

/// About 7 KB of data: a sealed value of about 10 KB, three cookies.
const TEN_KB: usize = 7_300;

fn chunked(clock: &TestClock, n: usize) -> SessionConfig {
    config_with(clock, |b| b.max_chunks(n))
}

fn with_tokens(config: &SessionConfig, len: usize) -> Session {
    let mut session = sealed_session::load(config, &Request::new(()));
    session.insert("tokens", &"t".repeat(len)).unwrap();
    session.insert("user", &42u64).unwrap();
    session
}

/// The `name=value` pairs of a save's `Set-Cookie` lines.
fn pairs(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| pair(l).to_owned()).collect()
}

fn name(pair: &str) -> &str {
    pair.split_once('=').unwrap().0
}

fn cookie_header(pairs: &[&str]) -> String {
    pairs.join("; ")
}

fn status_of(config: &SessionConfig, pairs: &[&str]) -> Status {
    let session = load_cookie(config, &cookie_header(pairs));
    assert!(session.is_empty() || session.status().is_loaded());
    session.status()
}

fn three_chunks(config: &SessionConfig) -> Vec<String> {
    let lines = save_set_cookies(config, &with_tokens(config, TEN_KB));
    assert_eq!(lines.len(), 3, "{lines:?}");
    pairs(&lines)
}

#[test]
fn a_ten_kb_session_round_trips_as_three_cookies_each_within_4096_bytes() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let session = with_tokens(&config, TEN_KB);
    let lines = save_set_cookies(&config, &session);
    let names: Vec<&str> = lines.iter().map(|l| name(pair(l))).collect();
    assert_eq!(names, ["session", "session.1", "session.2"]);
    let total: usize = lines.iter().map(|l| pair(l).len()).sum();
    assert!(total > 9_500, "about 10 KB: {total}");
    for line in &lines {
        assert!(pair(line).len() <= 4_096, "{}", pair(line).len());
        assert!(pair(line).len() <= config.size_limit());
        // Same attributes on every chunk.
        assert_eq!(
            line.split_once(';').unwrap().1,
            lines[0].split_once(';').unwrap().1
        );
    }
    assert!(value(&lines[0]).starts_with("3~"), "the count marker");
    // The sealed value, less the marker, is what `encoded_len` measures.
    let text: usize = lines.iter().map(|l| value(l).len()).sum::<usize>() - 2;
    assert_eq!(text, session.encoded_len());

    let pairs = pairs(&lines);
    let refs: Vec<&str> = pairs.iter().map(String::as_str).collect();
    let loaded = load_cookie(&config, &cookie_header(&refs));
    assert_eq!(loaded.status(), Status::Loaded);
    assert_eq!(
        loaded.get::<String>("tokens").unwrap().unwrap(),
        "t".repeat(TEN_KB)
    );
    assert_eq!(loaded.get::<u64>("user").unwrap(), Some(42));
    // Unchanged: nothing written back.
    assert!(save_set_cookies(&config, &loaded).is_empty());
}

#[test]
fn chunks_load_in_any_order_and_from_separate_cookie_headers() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let pairs = three_chunks(&config);
    let reversed = cookie_header(&[&pairs[2], "other=1", &pairs[1], &pairs[0]]);
    assert_eq!(load_cookie(&config, &reversed).status(), Status::Loaded);
    let mut headers = HeaderMap::new();
    for p in pairs.iter().rev() {
        headers.append("cookie", p.parse().unwrap());
    }
    assert_eq!(
        sealed_session::load(&config, &headers).status(),
        Status::Loaded
    );
}

#[test]
fn a_missing_chunk_invalidates_the_whole_session() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let p = three_chunks(&config);
    let missing = |index| Status::Invalid(InvalidReason::Chunks(ChunkReason::Missing { index }));
    assert_eq!(status_of(&config, &[&p[0], &p[2]]), missing(1));
    assert_eq!(status_of(&config, &[&p[0], &p[1]]), missing(2));
    assert_eq!(status_of(&config, &[&p[1], &p[2]]), missing(0));
    assert_eq!(status_of(&config, &[&p[0]]), missing(1));
}

#[test]
fn a_duplicated_or_extra_chunk_invalidates_the_whole_session() {
    let clock = TestClock::new();
    let config = chunked(&clock, 4);
    let p = three_chunks(&config);
    assert_eq!(
        status_of(&config, &[&p[0], &p[1], &p[1], &p[2]]),
        Status::Invalid(InvalidReason::Chunks(ChunkReason::Duplicated { index: 1 }))
    );
    let extra = format!("session.3={}", value(&p[2]));
    assert_eq!(
        status_of(&config, &[&p[0], &p[1], &p[2], &extra]),
        Status::Invalid(InvalidReason::Chunks(ChunkReason::Extra { index: 3 }))
    );
    // A one-cookie session sent with a leftover chunk: the count it
    // announces (one) says the chunk is extra.
    let small = issue(&config, &[("user", "ada")]);
    assert_eq!(
        status_of(&config, &[&small, &p[1]]),
        Status::Invalid(InvalidReason::Chunks(ChunkReason::Extra { index: 1 }))
    );
}

#[test]
fn a_chunk_from_an_older_save_or_a_tampered_chunk_invalidates_the_whole_session() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let old = three_chunks(&config);
    let new = three_chunks(&config);
    for i in 0..3 {
        let mut mixed: Vec<&str> = new.iter().map(String::as_str).collect();
        mixed[i] = &old[i];
        assert_eq!(
            status_of(&config, &mixed),
            Status::Invalid(InvalidReason::Tampered),
            "chunk {i} from the older save"
        );
    }
    for i in 0..3 {
        let mut tampered = new.clone();
        let at = tampered[i].len() - 10;
        let flipped = if &tampered[i][at..=at] == "A" {
            "B"
        } else {
            "A"
        };
        tampered[i].replace_range(at..=at, flipped);
        let refs: Vec<&str> = tampered.iter().map(String::as_str).collect();
        assert_eq!(
            status_of(&config, &refs),
            Status::Invalid(InvalidReason::Tampered),
            "chunk {i} tampered"
        );
    }
}

#[test]
fn the_count_is_authenticated_and_bounded() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let p = three_chunks(&config);
    // Announcing two and sending two: the text is short of the third share.
    let two = p[0].replacen("=3~", "=2~", 1);
    assert!(matches!(
        status_of(&config, &[&two, &p[1]]),
        Status::Invalid(InvalidReason::Tampered | InvalidReason::Malformed(_))
    ));
    // The very text of a two-cookie session, split over three: the count
    // is in the authenticated data, so it does not open.
    let lines = save_set_cookies(&config, &with_tokens(&config, 4_000));
    assert_eq!(lines.len(), 2);
    let text = format!("{}{}", &value(&lines[0])[2..], value(&lines[1]));
    let third = text.len() / 3;
    let resplit = [
        format!("session=3~{}", &text[..third]),
        format!("session.1={}", &text[third..2 * third]),
        format!("session.2={}", &text[2 * third..]),
    ];
    assert_eq!(
        status_of(&config, &[&resplit[0], &resplit[1], &resplit[2]]),
        Status::Invalid(InvalidReason::Tampered)
    );
    let as_sent = [
        format!("session=2~{}", &text[..2 * third]),
        format!("session.1={}", &text[2 * third..]),
    ];
    assert_eq!(
        status_of(&config, &[&as_sent[0], &as_sent[1]]),
        Status::Loaded
    );
    // A count above max_chunks is refused before anything is read.
    for count in ['0', '1', '4', '9'] {
        let bad = p[0].replacen("=3~", &format!("={count}~"), 1);
        assert_eq!(
            status_of(&config, &[&bad, &p[1], &p[2]]),
            Status::Invalid(InvalidReason::Chunks(ChunkReason::BadCount {
                count: count.to_digit(10).unwrap() as u8,
                max: 3
            }))
        );
    }
    // The marker is not base64url: a chunked value never opens as one
    // cookie, and a one-cookie value opens only without chunks.
    let one_cookie = config_with(&clock, |b| b);
    assert_eq!(
        status_of(&one_cookie, &[&p[0], &p[1], &p[2]]),
        Status::Invalid(InvalidReason::Malformed(MalformedReason::Base64))
    );
    // The shares of a split value, joined into one cookie, do not open:
    // the count is in the authenticated data.
    let joined = format!(
        "session={}{}{}",
        &value(&p[0])[2..],
        value(&p[1]),
        value(&p[2])
    );
    let bigger = config_with(&clock, |b| b.max_chunks(4));
    assert!(matches!(
        status_of(&bigger, &[&joined]),
        Status::Invalid(InvalidReason::Malformed(_) | InvalidReason::Tampered)
    ));
}

#[test]
fn an_oversized_chunk_is_refused_before_it_is_decoded() {
    let clock = TestClock::new();
    let config = chunked(&clock, 2);
    let p = three_chunks(&chunked(&clock, 3));
    let huge = format!("session.1={}", "A".repeat(20_000));
    let first = p[0].replacen("=3~", "=2~", 1);
    assert!(matches!(
        status_of(&config, &[&first, &huge]),
        Status::Invalid(InvalidReason::Malformed(MalformedReason::TooLong { .. }))
    ));
}

#[test]
fn shrinking_from_three_chunks_to_one_kb_removes_the_unused_chunks() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let p = three_chunks(&config);
    let refs: Vec<&str> = p.iter().map(String::as_str).collect();
    let mut session = load_cookie(&config, &cookie_header(&refs));
    session.insert("tokens", &"t".repeat(1_000)).unwrap();
    let lines = save_set_cookies(&config, &session);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(name(pair(&lines[0])), "session");
    assert!(!value(&lines[0]).contains('~'), "one cookie, no marker");
    assert!(!is_removal(&lines[0]));
    assert_eq!(name(pair(&lines[1])), "session.1");
    assert_eq!(name(pair(&lines[2])), "session.2");
    assert!(is_removal(&lines[1]) && is_removal(&lines[2]), "{lines:?}");
    // What the browser then holds opens.
    let loaded = load_cookie(&config, pair(&lines[0]));
    assert_eq!(loaded.status(), Status::Loaded);
    assert_eq!(
        loaded.get::<String>("tokens").unwrap().unwrap().len(),
        1_000
    );
}

#[test]
fn growing_adds_chunks_without_removals_and_shrinking_to_two_removes_one() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let one = issue(&config, &[("user", "ada")]);
    let mut session = load_cookie(&config, &one);
    session.insert("tokens", &"t".repeat(4_000)).unwrap();
    let lines = save_set_cookies(&config, &session);
    assert_eq!(
        pairs(&lines).iter().map(|p| name(p)).collect::<Vec<_>>(),
        ["session", "session.1"]
    );
    assert!(!lines.iter().any(|l| is_removal(l)));

    let p = three_chunks(&config);
    let refs: Vec<&str> = p.iter().map(String::as_str).collect();
    let mut session = load_cookie(&config, &cookie_header(&refs));
    session.insert("tokens", &"t".repeat(4_000)).unwrap();
    let lines = save_set_cookies(&config, &session);
    assert_eq!(lines.len(), 3);
    assert!(value(&lines[0]).starts_with("2~"));
    assert!(!is_removal(&lines[1]));
    assert!(is_removal(&lines[2]) && name(pair(&lines[2])) == "session.2");
}

#[test]
fn flush_and_renew_leave_no_orphaned_chunk() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let p = three_chunks(&config);
    let refs: Vec<&str> = p.iter().map(String::as_str).collect();

    let mut session = load_cookie(&config, &cookie_header(&refs));
    session.flush();
    let lines = save_set_cookies(&config, &session);
    assert_eq!(
        pairs(&lines),
        ["session=", "session.1=", "session.2="],
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| is_removal(l)));

    // A logout in a 5xx still removes every chunk.
    let mut session = load_cookie(&config, &cookie_header(&refs));
    session.flush();
    let mut response = response_with_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    sealed_session::save(&config, &session, &mut response).unwrap();
    let lines = set_cookies(response.headers());
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| is_removal(l)));

    let mut session = load_cookie(&config, &cookie_header(&refs));
    session.remove("tokens");
    session.renew();
    let lines = save_set_cookies(&config, &session);
    assert_eq!(lines.len(), 3);
    assert!(!is_removal(&lines[0]));
    assert!(is_removal(&lines[1]) && is_removal(&lines[2]));
}

#[test]
fn an_invalid_chunked_session_is_removed_with_every_chunk_it_carried() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let p = three_chunks(&config);
    // Chunks without their first.
    let session = load_cookie(&config, &cookie_header(&[&p[1], &p[2]]));
    let lines = save_set_cookies(&config, &session);
    assert_eq!(pairs(&lines), ["session=", "session.1=", "session.2="]);
    // An expired one.
    clock.advance(sealed_session::time::Duration::weeks(3));
    let refs: Vec<&str> = p.iter().map(String::as_str).collect();
    let session = load_cookie(&config, &cookie_header(&refs));
    assert_eq!(session.status(), Status::Expired);
    let lines = save_set_cookies(&config, &session);
    assert_eq!(pairs(&lines), ["session=", "session.1=", "session.2="]);
}

#[test]
fn too_large_means_larger_than_max_chunks_cookies_carry() {
    let clock = TestClock::new();
    let config = chunked(&clock, 2);
    let session = with_tokens(&config, 7_000);
    let mut response = http::Response::new(());
    let err = sealed_session::save(&config, &session, &mut response).unwrap_err();
    let SaveError::TooLarge { size, limit } = err else {
        panic!("{err:?}")
    };
    assert_eq!(limit, config.capacity());
    assert_eq!(size, "session".len() + 1 + session.encoded_len());
    assert!(size > limit && limit > config.size_limit());
    assert!(response.headers().get("set-cookie").is_none());
    let room = config.room(&session);
    assert_eq!((room.cookies, room.before_too_large), (0, 0));
}

#[test]
fn room_tells_the_bytes_left_before_the_next_chunk_and_before_too_large() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let mut session = with_tokens(&config, 100);
    let room = config.room(&session);
    assert_eq!(room.cookies, 1);
    let len = session.encoded_len();
    assert_eq!(
        room.before_too_large,
        config.capacity() - ("session".len() + 1 + len)
    );
    // Grow the sealed value by exactly `before_next_cookie`: still one
    // cookie; one byte more of value text, two.
    let grow_to = |session: &mut Session, sealed: usize| {
        let mut lo = 0usize;
        let mut hi = 20_000;
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            session.insert("pad", &"p".repeat(mid)).unwrap();
            if session.encoded_len() <= sealed {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        session.insert("pad", &"p".repeat(lo)).unwrap();
    };
    grow_to(&mut session, len + room.before_next_cookie);
    let fits = config.room(&session);
    assert_eq!(fits.cookies, 1);
    assert!(fits.before_next_cookie < 4, "{fits:?}");
    assert_eq!(save_set_cookies(&config, &session).len(), 1);
    let pad = session.get::<String>("pad").unwrap().unwrap();
    session.insert("pad", &format!("{pad}ppp")).unwrap();
    assert_eq!(config.room(&session).cookies, 2);
    assert_eq!(save_set_cookies(&config, &session).len(), 2);
    // With one chunk (the default), capacity is the size limit.
    let one = config_with(&clock, |b| b);
    assert_eq!(one.capacity(), one.size_limit());
    let room = one.room(&session);
    assert_eq!(
        (room.cookies, room.before_next_cookie, room.before_too_large),
        (0, 0, 0)
    );
}

#[test]
fn host_prefixed_chunks_keep_the_prefix_and_its_attributes() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.cookie_name("__Host-session").max_chunks(2));
    let lines = save_set_cookies(&config, &with_tokens(&config, 4_000));
    assert_eq!(
        pairs(&lines).iter().map(|p| name(p)).collect::<Vec<_>>(),
        ["__Host-session", "__Host-session.1"]
    );
    for line in &lines {
        let c = sealed_session::cookie::Cookie::parse(line.as_str()).unwrap();
        assert_eq!(
            (c.secure(), c.path(), c.domain()),
            (Some(true), Some("/"), None)
        );
    }
    let p = pairs(&lines);
    assert_eq!(status_of(&config, &[&p[0], &p[1]]), Status::Loaded);
}

#[test]
fn max_chunks_is_one_to_four() {
    for n in [0, 5, usize::MAX] {
        let err = SessionConfig::builder(keyring())
            .max_chunks(n)
            .build()
            .unwrap_err();
        assert_eq!(err, ConfigError::MaxChunks { chunks: n, max: 4 });
    }
    for n in 1..=4 {
        let config = SessionConfig::builder(keyring())
            .max_chunks(n)
            .build()
            .unwrap();
        assert_eq!(config.max_chunks(), n);
    }
    assert_eq!(sealed_session::MAX_CHUNKS, 4);
}

/// `max_chunks(1)`, the default, is the one-cookie format: chunk names mean
/// nothing to it, and a session too large for one cookie is `TooLarge`
/// against the size limit, as before.
#[test]
fn one_chunk_behaves_as_before() {
    let clock = TestClock::new();
    let config = config_with(&clock, |b| b.max_chunks(1));
    let cookie = issue(&config, &[("user", "ada")]);
    let stray = "session.1=whatever";
    let session = load_cookie(&config, &cookie_header(&[&cookie, stray]));
    assert_eq!(session.status(), Status::Loaded);
    let mut session = session;
    session.flush();
    assert_eq!(pairs(&save_set_cookies(&config, &session)), ["session="]);
    // The value is the v1 one-cookie value, opened by the tooling seam.
    let opened = sealed_session::danger::open_session_value(&config, &cookie["session=".len()..]);
    assert!(opened.is_ok());
    let big = with_tokens(&config, 4_000);
    let err = sealed_session::save(&config, &big, &mut http::Response::new(())).unwrap_err();
    assert_eq!(
        err,
        SaveError::TooLarge {
            size: "session".len() + 1 + big.encoded_len(),
            limit: config.size_limit()
        }
    );
    // A session that fits one cookie is written as one cookie, without a
    // marker, whatever max_chunks allows.
    let four = config_with(&clock, |b| b.max_chunks(4));
    let cookie = issue(&four, &[("user", "ada")]);
    assert!(sealed_session::danger::open_session_value(&four, &cookie["session=".len()..]).is_ok());
    assert_eq!(load_cookie(&config, &cookie).status(), Status::Loaded);
}

#[test]
fn a_scan_budget_cut_across_chunks_is_truncated_and_nothing_is_removed() {
    let clock = TestClock::new();
    let config = chunked(&clock, 3);
    let p = three_chunks(&config);
    let pad = format!(
        "pad={}",
        "p".repeat(sealed_session::cookies::MAX_SCAN_BYTES)
    );
    let mut headers = HeaderMap::new();
    headers.append("cookie", cookie_header(&[&p[0], &p[1]]).parse().unwrap());
    headers.append("cookie", pad.parse().unwrap());
    headers.append("cookie", p[2].parse().unwrap());
    let mut session = sealed_session::load(&config, &headers);
    assert_eq!(session.status(), Status::Truncated);
    session.insert("csrf", &1u8).unwrap();
    let mut response = http::Response::new(());
    sealed_session::save(&config, &session, &mut response).unwrap();
    assert!(set_cookies(response.headers()).is_empty());
}
