//! Any bytes as one or more `Cookie` headers: `load` never panics, reports
//! the status the load rules dictate, and saving the untouched session
//! writes nothing, a removal, or (for a fallback-key cookie) a re-seal.
//! The same headers are then loaded under a configuration that splits
//! sessions over up to three cookies: all or nothing (a missing, extra or
//! duplicated chunk invalidates the whole session), and the save removes
//! every chunk the request carried that the session does not use.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_session::Status;
use sealed_session::cookies::{MAX_CANDIDATES, MAX_SCAN_BYTES};
use sealed_session_fuzz::{
    ChunkScan, NAME, Written, chunked_config, classify, classify_chunked, config, cookie_header,
    cookie_headers, removals, written, written_lines,
};

fuzz_target!(|data: &[u8]| {
    let config = config();
    let headers = cookie_headers(data);
    let mut session = sealed_session::load(config, &headers);
    let status = session.status();

    // Candidates, as the public parser picks them; a pair cut by the scan
    // budget is none.
    let mut values = sealed_session::cookies::cookie_values(&headers, NAME);
    let candidates: Vec<&[u8]> = values.by_ref().collect();
    let truncated = values.is_truncated();
    // Not every cookie examined: past the budget, or past the candidates.
    let cut = truncated || candidates.len() > MAX_CANDIDATES;
    let scanned: usize = candidates.iter().map(|c| c.len()).sum();
    assert!(scanned <= MAX_SCAN_BYTES);
    for c in &candidates {
        assert!(!c.contains(&b';'), "{c:?}");
    }

    // No header names our cookie: nothing to load.
    let mentions_name = headers.get_all(http::header::COOKIE).iter().any(|h| {
        h.as_bytes()
            .windows(NAME.len())
            .any(|w| w == NAME.as_bytes())
    });
    if !mentions_name {
        assert!(
            matches!(status, Status::New | Status::Truncated),
            "{status:?}"
        );
    }
    assert_eq!(
        status == Status::New,
        candidates.is_empty() && !truncated,
        "{status:?}"
    );

    // The status is that of the first loadable candidate among the first
    // MAX_CANDIDATES, else Truncated if not every cookie was examined, else
    // Expired if one was expired, else the first error.
    let (loaded, want) = expected(
        candidates
            .iter()
            .take(MAX_CANDIDATES)
            .map(|c| classify(config, c)),
        cut,
        None,
    );
    assert_eq!(status, want);

    // Saving the untouched session.
    let mut response = http::HeaderMap::new();
    sealed_session::save(config, &session, &mut response)
        .expect("an unmodified session always saves");
    let w = written(&response);
    match &loaded {
        None => {
            // No valid cookie: a new, empty session, never sealed; a cookie
            // that was not examined is never deleted.
            assert!(session.is_empty());
            let want = if candidates.is_empty() || cut {
                Written::Nothing
            } else {
                Written::Removal
            };
            assert_eq!(w, want);
            if cut {
                // A cookie that was not examined is never sealed over
                // either, even after a write (only a flush or renew would).
                session.insert("written", &1u8).unwrap();
                let mut again = http::HeaderMap::new();
                sealed_session::save(config, &session, &mut again).unwrap();
                assert_eq!(written(&again), Written::Nothing);
            }
        }
        Some((env, fallback)) => {
            let keys: Vec<&str> = session.keys().collect();
            assert!(keys.iter().copied().eq(env.keys()));
            if env.is_empty() {
                assert_eq!(w, Written::Removal);
            } else if *fallback {
                // Re-sealed with the primary key, same data.
                let Written::Sealed(v) = &w else {
                    panic!("fallback cookie not re-sealed: {w:?}")
                };
                let opened = sealed_session::danger::open_session_value(config, v).unwrap();
                assert!(!opened.used_fallback());
                let again = sealed_session::load(config, &cookie_header(v));
                assert_eq!(again.status(), Status::Loaded);
                assert!(again.keys().eq(env.keys()));
            } else if !matches!(env.expiry, Some(sealed_session_fuzz::MirrorExpiry::Idle(_))) {
                // Not rolling: nothing to refresh.
                assert_eq!(w, Written::Nothing);
            }
        }
    }

    chunked(&headers);
});

/// The chunked half: status and save of the same headers under
/// `chunked_config`, against the all-or-nothing oracle.
fn chunked(headers: &http::HeaderMap) {
    let config = chunked_config();
    let mut session = sealed_session::load(config, headers);
    let status = session.status();
    let scan = ChunkScan::new(headers);
    let carried = scan.carried();
    let cut = scan.truncated || scan.firsts.len() > MAX_CANDIDATES;
    let mut first_error = None;
    if scan.firsts.is_empty() && !carried.is_empty() {
        first_error = Some(Status::Invalid(sealed_session::InvalidReason::Chunks(
            sealed_session::ChunkReason::Missing { index: 0 },
        )));
    }
    let (loaded, want) = expected(
        scan.firsts
            .iter()
            .take(MAX_CANDIDATES)
            .map(|first| classify_chunked(config, first, &scan)),
        cut,
        first_error,
    );
    assert_eq!(status, want, "chunked");

    let mut response = http::HeaderMap::new();
    sealed_session::save(config, &session, &mut response)
        .expect("an unmodified session always saves");
    let lines = written_lines(&response);
    let every = || removals(std::iter::once(0).chain(carried.iter().copied()));
    match &loaded {
        None => {
            assert!(session.is_empty());
            if cut || status == Status::New {
                assert!(lines.is_empty(), "{lines:?}");
                if cut {
                    session.insert("written", &1u8).unwrap();
                    let mut again = http::HeaderMap::new();
                    sealed_session::save(config, &session, &mut again).unwrap();
                    assert!(written_lines(&again).is_empty());
                }
            } else {
                // Nothing partial, nothing orphaned: the cookie and every
                // chunk it came with are removed.
                assert_eq!(lines, every());
            }
        }
        Some((env, fallback)) => {
            assert!(session.keys().eq(env.keys()));
            if env.is_empty() {
                assert_eq!(lines, every());
            } else if *fallback {
                // Re-sealed with the primary key, in as many cookies as it
                // takes; the chunks it no longer uses removed.
                let (set, removed): (Vec<_>, Vec<_>) =
                    lines.iter().cloned().partition(|(_, v)| !v.is_empty());
                assert!(!set.is_empty() && set[0].0 == NAME, "{lines:?}");
                let count = set.len() as u8;
                let stale: Vec<u8> = carried.iter().copied().filter(|&k| k >= count).collect();
                assert_eq!(removed, removals(stale));
                let pairs: Vec<String> = set.iter().map(|(n, v)| format!("{n}={v}")).collect();
                let mut request = http::HeaderMap::new();
                request.insert(http::header::COOKIE, pairs.join("; ").parse().unwrap());
                let again = sealed_session::load(config, &request);
                assert_eq!(again.status(), Status::Loaded);
                assert!(again.keys().eq(env.keys()));
            } else if !matches!(env.expiry, Some(sealed_session_fuzz::MirrorExpiry::Idle(_))) {
                assert!(lines.is_empty(), "{lines:?}");
            }
        }
    }
}

/// The status the crate must give for the candidates' classifications, in
/// order (lazily: none past the first that loads is classified): that of
/// the first loadable one, else `Truncated` if not every cookie was
/// examined (`cut`), else `Expired` if one was expired, else the first
/// error (`first_error` counts as the earliest). With what loaded.
fn expected<T>(
    classified: impl Iterator<Item = Result<(T, bool), Status>>,
    cut: bool,
    mut first_error: Option<Status>,
) -> (Option<(T, bool)>, Status) {
    let mut expired = false;
    let mut loaded = None;
    for result in classified {
        match result {
            Ok(found) => {
                loaded = Some(found);
                break;
            }
            Err(Status::Expired) => expired = true,
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let want = match (&loaded, cut, expired, first_error) {
        (Some((_, false)), ..) => Status::Loaded,
        (Some((_, true)), ..) => Status::LoadedWithFallback,
        (None, true, ..) => Status::Truncated,
        (None, false, true, _) => Status::Expired,
        (None, false, false, Some(e)) => e,
        (None, false, false, None) => Status::New,
    };
    (loaded, want)
}
