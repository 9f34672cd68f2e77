//! Turns every GraphQL operation of the app (`graphql/*.graphql`) into a
//! typed Rust struct (`ops::Users { first, after, filter }`) with roster-opgen:
//! each operation is validated against the server's printed schema
//! (`../schema.graphql`), its variables typed from it, and what the app reads
//! of its answer (`# reads:` in the file, a type of `src/model.rs`) checked
//! field by field against its selection. A schema change, an operation or an
//! answer type that no longer agree fail this build, not a screen.

use std::path::Path;

use roster_opgen::{OperationFile, generate};

fn main() {
    if let Err(message) = run() {
        eprintln!("GraphQL operations of the admin app do not agree:\n{message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let schema_path = Path::new("../schema.graphql");
    let model_path = Path::new("src/model.rs");
    let ops_dir = Path::new("graphql");
    for watched in [schema_path, model_path, ops_dir] {
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut paths: Vec<_> = std::fs::read_dir(ops_dir)
        .map_err(|e| format!("{}: {e}", ops_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        files.push(OperationFile {
            text: read(&path)?,
            path: path.display().to_string(),
        });
    }
    let code = generate(&read(schema_path)?, &files, &read(model_path)?)?;
    let out_dir = std::env::var("OUT_DIR").map_err(|e| format!("OUT_DIR: {e}"))?;
    std::fs::write(Path::new(&out_dir).join("ops.rs"), code)
        .map_err(|e| format!("cannot write ops.rs: {e}"))
}
