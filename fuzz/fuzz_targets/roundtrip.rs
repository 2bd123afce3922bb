//! Any sequence of session operations, mirrored on a `BTreeMap` model and
//! saved and loaded through a one-cookie jar: what loads is exactly the
//! model, or save refused a model that really is too large, or the model is
//! empty and nothing or a removal was written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sealed_session_fuzz::{Op, config, run_ops};

fuzz_target!(|ops: Vec<Op>| {
    run_ops(config(), &ops);
});
