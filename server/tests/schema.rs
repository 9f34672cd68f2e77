//! `schema.graphql` at the repository root is the API contract; it must be
//! exactly what the server prints.

use std::path::Path;

#[test]
fn schema_graphql_is_the_printed_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let printed = roster::graphql::sdl();
    assert!(
        committed == printed,
        "schema.graphql is stale: the server's schema changed.\n\
         Regenerate it with:\n\n    cargo run -p roster -- export-schema --output schema.graphql\n\n\
         and commit the result."
    );
}

#[test]
fn export_schema_prints_the_same_schema() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("export-schema")
        .env_clear()
        .output()
        .expect("roster runs");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        roster::graphql::sdl()
    );
}
