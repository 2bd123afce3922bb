//! The README shows the complete app word for word (issue 23): a newcomer
//! copies what `cargo run --example app` runs and the e2e tests drive.

#[test]
fn the_readme_holds_the_complete_app_verbatim() {
    let readme = include_str!("../../README.md");
    let app = include_str!("../../examples/app.rs");
    let block = format!("```rust no_run\n{app}```\n");
    assert!(
        readme.contains(&block),
        "README.md's complete app differs from examples/app.rs: copy the file into it"
    );
    // It is the first code after the two commands.
    let commands = readme.find("cargo test --all-features").unwrap();
    let next_code = readme[commands..].find("```toml").unwrap() + commands;
    assert!(readme[next_code..].starts_with(
        "```toml\n[dependencies]\nsealed-session = { version = \"0.1\", features = [\"axum\"] }"
    ));
    assert!(readme.find(&block).unwrap() > next_code);
    assert!(
        !readme[next_code..readme.find(&block).unwrap()].contains("```rust"),
        "no other Rust block stands between the commands and the app"
    );
}
