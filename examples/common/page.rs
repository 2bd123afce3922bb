//! The start page the framework examples share (the demo has its own, richer
//! one): three forms and a link to the session as JSON. Included with
//! `#[path]` and `#[macro_use]`, so each example names itself in the title.

/// The start page for the example called `$framework`, as a `&'static str`.
macro_rules! index_page {
    ($framework:literal) => {
        concat!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sealed-session + "#,
            $framework,
            r#"</title></head>
<body><h1>sealed-session + "#,
            $framework,
            r#"</h1>
<form method="post" action="/login"><input name="name" required> <button>Log in</button></form>
<form method="post" action="/cart"><input name="item" required> <button>Add to cart</button></form>
<form method="post" action="/logout"><button>Log out</button></form>
<p><a href="/session.json">/session.json</a></p>
</body></html>
"#
        )
    };
}
