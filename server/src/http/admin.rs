//! The admin app (SPEC §12) under `/admin`: the files Trunk builds into
//! `web/dist`, embedded in the binary at compile time (release builds; debug
//! builds read the folder), with gzip and brotli versions made at compile
//! time too. Hashed assets are cached for a year; `index.html` is revalidated
//! every time, and every path without a file of its own (`/admin/users/…`)
//! gets `index.html`, so deep links load the app. `USER_MGMT_UI=0` hides
//! the admin screens (404) but keeps the pages people reach from outside —
//! sign in, accept invitation, forgot and reset password — and the files
//! they load: the emailed links and the login keep working (seed 002: "hide
//! the pages"; the API stays reachable).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed_for_web::{EmbedableFile, RustEmbed};

use super::HttpState;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../web/dist"]
#[allow_missing = true]
struct Dist;

/// One file of the app, in every encoding it is available in.
#[derive(Debug, Clone)]
pub struct Asset {
    pub data: Bytes,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
    pub etag: String,
    pub mime: String,
}

/// Where the app's files come from: the embedded build, or a map in tests.
pub trait Assets: Send + Sync {
    fn get(&self, path: &str) -> Option<Asset>;
}

/// The app built into this binary.
pub struct Embedded;

impl Assets for Embedded {
    fn get(&self, path: &str) -> Option<Asset> {
        let file = Dist::get(path)?;
        Some(Asset {
            data: Bytes::from(file.data()),
            gzip: file.data_gzip().map(Bytes::from),
            br: file.data_br().map(Bytes::from),
            etag: AsRef::<str>::as_ref(&file.etag()).to_string(),
            mime: file.mime_type().map_or_else(
                || "application/octet-stream".to_string(),
                |m| AsRef::<str>::as_ref(&m).to_string(),
            ),
        })
    }
}

/// Files given in memory (tests).
impl Assets for HashMap<String, Asset> {
    fn get(&self, path: &str) -> Option<Asset> {
        HashMap::get(self, path).cloned()
    }
}

const INDEX: &str = "index.html";

/// The app's routes served even when `USER_MGMT_UI` hides the screens.
const PUBLIC_PAGES: [&str; 4] = [
    "login",
    "accept-invitation",
    "forgot-password",
    "reset-password",
];

/// Whether the screens are shown (`USER_MGMT_UI`), or only the public pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screens {
    Shown,
    Hidden,
}

/// The Content-Security-Policy of an HTML page of the app: everything from
/// this origin only, no inline code except the page's own inline scripts
/// (Trunk's loader), allowed by their SHA-256.
fn content_security_policy(html: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let html = String::from_utf8_lossy(html);
    let mut hashes = String::new();
    let mut rest = html.as_ref();
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..open_end];
        let body = &rest[open_end + 1..];
        let Some(close) = body.find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push_str(" 'sha256-");
            hashes.push_str(&base64::engine::general_purpose::STANDARD.encode(digest));
            hashes.push('\'');
        }
        rest = &body[close..];
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The app's stylesheet (`/admin/style-<hash>.css`), as its index page
/// links it, for the server's own pages; none when the app is not built in.
pub fn stylesheet(assets: &dyn Assets) -> Option<String> {
    let index = assets.get(INDEX)?;
    let html = std::str::from_utf8(&index.data).ok()?;
    html.split("<link").skip(1).find_map(|tag| {
        let tag = tag.split('>').next()?;
        if !tag.contains("rel=\"stylesheet\"") {
            return None;
        }
        let href = tag.split("href=\"").nth(1)?.split('"').next()?;
        Some(href.to_string())
    })
}

/// Trunk names built files `name-<16 hex digits>.ext` (the WASM module
/// `name-<hash>_bg.wasm`): their content never changes under that name.
fn is_hashed(path: &str) -> bool {
    let stem = path.rsplit('/').next().unwrap_or(path);
    let stem = stem.split('.').next().unwrap_or(stem);
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The answer for `/admin/<path>`.
pub fn respond(assets: &dyn Assets, screens: Screens, path: &str, request: &HeaderMap) -> Response {
    let path = path.trim_start_matches('/');
    // Debug builds read the folder from disk: nothing may point outside it.
    if path
        .split('/')
        .any(|segment| segment == ".." || segment == "." || segment.contains(['\\', ':', '\0']))
    {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let (name, asset) = match assets.get(path).filter(|_| !path.is_empty()) {
        Some(asset) => (path, asset),
        None => {
            // A file that is not there is a 404; any other path is a route
            // of the app.
            let last = path.rsplit('/').next().unwrap_or(path);
            if last.contains('.') {
                return (StatusCode::NOT_FOUND, "Not found").into_response();
            }
            if screens == Screens::Hidden && !PUBLIC_PAGES.contains(&path.trim_end_matches('/')) {
                return (
                    StatusCode::NOT_FOUND,
                    "The admin screens are turned off on this server (USER_MGMT_UI).",
                )
                    .into_response();
            }
            match assets.get(INDEX) {
                Some(index) => (INDEX, index),
                None => {
                    return (
                        StatusCode::SERVICE_UNAVAILABLE,
                        "The admin app is not built into this binary: run `cargo xtask build` (or `trunk build --release`, then build roster again).",
                    )
                        .into_response();
                }
            }
        }
    };
    let cache = if name != INDEX && is_hashed(name) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::VARY, "accept-encoding")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::REFERRER_POLICY, "same-origin");
    let etag = format!("\"{}\"", asset.etag.trim_matches('"'));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        response = response.header(header::ETAG, value);
    }
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if fresh {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    let accepts = |coding: &str| {
        request
            .get(header::ACCEPT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',').any(|part| {
                    let mut pieces = part.split(';');
                    let name = pieces.next().unwrap_or_default().trim();
                    let refused = pieces.any(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_some_and(|q| q == 0.0)
                    });
                    name.eq_ignore_ascii_case(coding) && !refused
                })
            })
    };
    let (body, encoding) = match (&asset.br, &asset.gzip) {
        (Some(br), _) if accepts("br") => (br.clone(), Some("br")),
        (_, Some(gzip)) if accepts("gzip") => (gzip.clone(), Some("gzip")),
        _ => (asset.data.clone(), None),
    };
    if let Some(encoding) = encoding {
        response = response.header(header::CONTENT_ENCODING, encoding);
    }
    if asset.mime.starts_with("text/html")
        && let Ok(csp) = HeaderValue::from_str(&content_security_policy(&asset.data))
    {
        response = response.header(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
        .header(header::CONTENT_TYPE, asset.mime.as_str())
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `GET /admin` and `GET /admin/`.
pub(super) async fn root(State(state): State<HttpState>, headers: HeaderMap) -> Response {
    serve(&state, "", &headers)
}

/// `GET /admin/{*path}`.
pub(super) async fn path(
    State(state): State<HttpState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&state, &path, &headers)
}

fn serve(state: &HttpState, path: &str, headers: &HeaderMap) -> Response {
    let screens = if state.app.config.flags.ui {
        Screens::Shown
    } else {
        Screens::Hidden
    };
    respond(state.assets.as_ref(), screens, path, headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(text: &str, mime: &str) -> Asset {
        Asset {
            data: Bytes::from(text.to_string()),
            gzip: Some(Bytes::from(format!("gz:{text}"))),
            br: Some(Bytes::from(format!("br:{text}"))),
            etag: format!("tag-{}", text.len()),
            mime: mime.into(),
        }
    }

    fn app() -> HashMap<String, Asset> {
        HashMap::from([
            ("index.html".to_string(), asset("<html>", "text/html")),
            (
                "web-0123456789abcdef.js".to_string(),
                asset("js", "text/javascript"),
            ),
            (
                "web-0123456789abcdef_bg.wasm".to_string(),
                asset("wasm", "application/wasm"),
            ),
            ("favicon.svg".to_string(), asset("<svg>", "image/svg+xml")),
        ])
    }

    #[test]
    fn the_stylesheet_is_the_one_the_index_links() {
        let index = r#"<head><link rel="icon" href="/admin/favicon.svg"/><link rel="stylesheet" href="/admin/style-0123456789abcdef.css" integrity="sha384-x"/></head>"#;
        let assets = HashMap::from([("index.html".to_string(), asset(index, "text/html"))]);
        assert_eq!(
            stylesheet(&assets).as_deref(),
            Some("/admin/style-0123456789abcdef.css")
        );
        assert_eq!(stylesheet(&app()), None, "no stylesheet linked");
        assert_eq!(stylesheet(&HashMap::new()), None, "no app built in");
    }

    #[test]
    fn pages_allow_only_their_own_inline_scripts() {
        let html = r#"<html><script type="module">import init from '/admin/a.js';</script><script src="/admin/b.js"></script></html>"#;
        let csp = content_security_policy(html.as_bytes());
        // printf %s "import init from '/admin/a.js';" | openssl dgst -sha256 -binary | base64
        assert!(
            csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-jY4YLcIUZk3NfPvdQQqGIEtnR0AdG09ysp5QPnHoYJw='"),
            "{csp}"
        );
        assert_eq!(csp.matches("'sha256-").count(), 1, "{csp}");
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
        let page = get(&app(), "users", &[]);
        assert!(header(&page, header::CONTENT_SECURITY_POLICY).contains("script-src"));
        let js = get(&app(), "web-0123456789abcdef.js", &[]);
        assert!(js.headers().get(header::CONTENT_SECURITY_POLICY).is_none());
    }

    fn get(assets: &dyn Assets, path: &str, headers: &[(&'static str, &str)]) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        respond(assets, Screens::Shown, path, &map)
    }

    fn header(r: &Response, name: header::HeaderName) -> &str {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[test]
    fn deep_links_get_the_app_and_missing_files_a_404() {
        let app = app();
        for path in ["", "login", "users/01J0000000000000000000000A", "/users/"] {
            let r = get(&app, path, &[]);
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            assert_eq!(header(&r, header::CONTENT_TYPE), "text/html", "{path}");
            assert_eq!(header(&r, header::CACHE_CONTROL), "no-cache", "{path}");
        }
        assert_eq!(get(&app, "nope.js", &[]).status(), StatusCode::NOT_FOUND);
        for escape in [
            "../Cargo.toml",
            "a/../../etc/passwd",
            "..\\x",
            "./index.html",
            "c:/x",
        ] {
            assert_eq!(
                get(&app, escape, &[]).status(),
                StatusCode::NOT_FOUND,
                "{escape}"
            );
        }
        let none: HashMap<String, Asset> = HashMap::new();
        assert_eq!(
            respond(&none, Screens::Shown, "login", &HeaderMap::new()).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            get(&none, "login", &[]).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn hidden_screens_leave_the_public_pages_and_their_files() {
        let app = app();
        let hidden = |path: &str| respond(&app, Screens::Hidden, path, &HeaderMap::new());
        for page in PUBLIC_PAGES.iter().chain(&["login/"]) {
            let r = hidden(page);
            assert_eq!(r.status(), StatusCode::OK, "{page}");
            assert_eq!(header(&r, header::CONTENT_TYPE), "text/html", "{page}");
        }
        for file in ["web-0123456789abcdef.js", "web-0123456789abcdef_bg.wasm"] {
            assert_eq!(hidden(file).status(), StatusCode::OK, "{file}");
        }
        for screen in [
            "",
            "users",
            "users/01J0000000000000000000000A",
            "tokens",
            "login/x",
        ] {
            assert_eq!(hidden(screen).status(), StatusCode::NOT_FOUND, "{screen}");
        }
    }

    #[test]
    fn hashed_files_are_cached_for_good_others_revalidated() {
        let app = app();
        let js = get(&app, "web-0123456789abcdef.js", &[]);
        assert_eq!(
            header(&js, header::CACHE_CONTROL),
            "public, max-age=31536000, immutable"
        );
        assert!(is_hashed("web-0123456789abcdef_bg.wasm"));
        assert!(!is_hashed("web-notahash.js"));
        let wasm = get(&app, "web-0123456789abcdef_bg.wasm", &[]);
        assert_eq!(header(&wasm, header::CONTENT_TYPE), "application/wasm");
        let icon = get(&app, "favicon.svg", &[]);
        assert_eq!(header(&icon, header::CACHE_CONTROL), "no-cache");
        assert_eq!(header(&icon, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    }

    #[test]
    fn the_best_accepted_encoding_is_sent_and_etags_revalidate() {
        let app = app();
        let br = get(
            &app,
            "index.html",
            &[("accept-encoding", "gzip, deflate, br")],
        );
        assert_eq!(header(&br, header::CONTENT_ENCODING), "br");
        let gz = get(&app, "index.html", &[("accept-encoding", "gzip, br;q=0")]);
        assert_eq!(header(&gz, header::CONTENT_ENCODING), "gzip");
        let plain = get(&app, "index.html", &[]);
        assert_eq!(header(&plain, header::CONTENT_ENCODING), "");
        assert_eq!(header(&plain, header::VARY), "accept-encoding");
        let etag = header(&plain, header::ETAG).to_string();
        assert_eq!(etag, "\"tag-6\"");
        let again = get(&app, "index.html", &[("if-none-match", &etag)]);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
}
