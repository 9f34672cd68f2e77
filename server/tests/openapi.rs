//! `openapi.json` at the repository root is the REST paths' contract; it
//! must be exactly what the server prints, and a real OpenAPI validator
//! (Python's `openapi-spec-validator`, installed by `cargo xtask setup`)
//! must accept it.

use std::path::Path;

#[test]
fn openapi_json_is_the_printed_document() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let printed = roster::http::rest::openapi();
    assert!(
        committed == printed,
        "openapi.json is stale: the REST paths changed.\n\
         Regenerate it with:\n\n    cargo run -p roster -- export-openapi --output openapi.json\n\n\
         and commit the result."
    );
    let doc: serde_json::Value = serde_json::from_str(&printed).expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn an_openapi_validator_accepts_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi.json");
    let output = std::process::Command::new("python3")
        .args(["-m", "openapi_spec_validator"])
        .arg(&path)
        .output()
        .expect("python3 runs (cargo xtask setup installs openapi-spec-validator)");
    assert!(
        output.status.success(),
        "openapi-spec-validator refused openapi.json:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn export_openapi_prints_the_same_document() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("export-openapi")
        .env_clear()
        .output()
        .expect("roster runs");
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        roster::http::rest::openapi()
    );
}
