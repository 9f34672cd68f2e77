//! Rebuilds roster when the admin app's build output (`web/dist`, embedded
//! by `http::admin`) changes. The folder is created empty when the app has
//! not been built (it is git-ignored): Cargo treats a watched path that does
//! not exist as always changed, which would rebuild roster every time.

fn main() {
    if let Err(e) = std::fs::create_dir_all("../web/dist") {
        println!("cargo:warning=cannot create web/dist: {e}");
    }
    println!("cargo:rerun-if-changed=../web/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
