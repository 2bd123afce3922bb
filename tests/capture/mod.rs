//! Capturing the `tracing` events of one test while other tests run in the
//! same process.
//!
//! tracing-core caches each callsite's interest the first time any thread
//! reaches it. While exactly one subscriber is registered, it asks only the
//! subscriber of the thread that got there first. So a subscriber set with
//! `with_default` lost an event for good whenever another test's thread,
//! which has no subscriber, reached that event's callsite first: the callsite
//! was cached as "never". This is how the replica's `applied` event went
//! missing in CI.
//!
//! Two subscribers that want nothing, kept alive for the whole process,
//! mean there is never just one. Each callsite's interest is then computed
//! from every live subscriber ("sometimes" while a capture runs), and each
//! event asks the subscriber of its own thread. Events from other threads
//! still reach no capture.

use std::sync::{Arc, Mutex, OnceLock};

use tracing::Dispatch;
use tracing::subscriber::NoSubscriber;

/// What the formatter wrote, shared with the test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// Registers the two idle subscribers, once per process (see the module
/// docs for why two).
fn never_just_one_subscriber() {
    static IDLE: OnceLock<[Dispatch; 2]> = OnceLock::new();
    IDLE.get_or_init(|| {
        [
            Dispatch::new(NoSubscriber::new()),
            Dispatch::new(NoSubscriber::new()),
        ]
    });
}

/// Runs `f` on this thread with a formatter that records every event at
/// `level` or above, and returns `f`'s result with the formatted text.
/// Tasks that `f` runs on a current-thread runtime are captured too.
pub fn capture<T>(level: tracing::Level, f: impl FnOnce() -> T) -> (T, String) {
    never_just_one_subscriber();
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(out.clone())
        .with_ansi(false)
        .with_max_level(level)
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    (result, text)
}

/// The race this module exists for, replayed on purpose: another thread
/// with no subscriber reaches a fresh callsite first while a capture runs
/// here; the capture still records the event when this thread reaches it.
#[test]
fn an_event_reached_first_by_another_thread_is_still_captured() {
    fn event() {
        tracing::debug!(target: "capture_race", "the event");
    }
    let (_, text) = capture(tracing::Level::DEBUG, || {
        std::thread::spawn(event).join().unwrap();
        event();
    });
    assert_eq!(
        text.lines().filter(|l| l.contains("the event")).count(),
        1,
        "{text:?}"
    );
}
