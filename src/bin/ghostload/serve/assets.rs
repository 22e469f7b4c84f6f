//! The web page: `GET /` and `GET /assets/{*path}`, every file embedded in the
//! binary (`assets/`: index.html, app.js, app.css, favicon.svg and Leaflet
//! 1.9.4 under `vendor/leaflet/`, with its licence). Nothing is read from disk
//! and the page fetches nothing from elsewhere: the Content-Security-Policy
//! allows scripts, styles and connections to this server only; images also
//! from `data:` and, for a tile layer, exactly the `--tile-url`'s origin
//! ([`router_with_tile_url`]).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One embedded file: its path under `/assets/`, its Content-Type, its bytes.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal, $ct:expr) => {
        Asset {
            path: $path,
            content_type: $ct,
            body: include_bytes!(concat!("assets/", $path)),
        }
    };
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file the page uses. A path not listed here is a 404: no file system
/// lookup, so no path can reach outside this list.
static ASSETS: &[Asset] = &[
    asset!("index.html", HTML),
    asset!("app.js", JS),
    asset!("app.css", CSS),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("vendor/leaflet/leaflet.js", JS),
    asset!("vendor/leaflet/leaflet.css", CSS),
    asset!("vendor/leaflet/LICENSE", "text/plain; charset=utf-8"),
    asset!("vendor/leaflet/README", "text/plain; charset=utf-8"),
];

/// The policy when any https tile server may be used (`router`).
/// The policy without a tile layer: everything from this server only (the
/// fallback, should a tile URL's origin not make a valid header).
const CSP_NO_REMOTE_IMAGES: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /` (index.html) and `GET /assets/{*path}` (the embedded files; 404 for
/// any other path), with `img-src` limited to `'self' data:` plus the origin of
/// `tile_url` (scheme, host and port of a URL such as
/// `https://tile.example.org/{z}/{x}/{y}.png`; an http origin is allowed too,
/// for a tile server on the local network). `None`: no remote images at all.
pub fn router_with_tile_url<S: Clone + Send + Sync + 'static>(tile_url: Option<&str>) -> Router<S> {
    build(csp(tile_url))
}

/// The Content-Security-Policy for a tile URL (see [`router_with_tile_url`]).
fn csp(tile_url: Option<&str>) -> String {
    let img = match tile_url.and_then(origin) {
        Some(o) => format!("'self' data: {o}"),
        None => "'self' data:".to_owned(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src {img}; connect-src 'self'; \
         font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of an http(s) URL, when it is one a policy can name
/// (no spaces, quotes or semicolons; a `{s}` subdomain becomes `*`).
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.replace("{s}", "*");
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*' | '[' | ']'));
    ok.then(|| format!("{scheme}://{host}"))
}

fn build<S: Clone + Send + Sync + 'static>(policy: String) -> Router<S> {
    let policy = HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(CSP_NO_REMOTE_IMAGES));
    let index_policy = policy.clone();
    Router::new()
        .route(
            "/",
            get(move || async move { serve(find("index.html"), &index_policy) }),
        )
        .route(
            "/assets/{*path}",
            get(move |Path(path): Path<String>| async move { serve(find(&path), &policy) }),
        )
}

fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

fn serve(asset: Option<&'static Asset>, policy: &HeaderValue) -> Response {
    let Some(asset) = asset else {
        let body = r#"{"error":"no such asset","field":null,"value":null,"allowed":null}"#;
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    };
    let mut resp = asset.body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    h.insert(header::CONTENT_SECURITY_POLICY, policy.clone());
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // The files change with the binary only; revalidate rather than cache stale code.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_embedded_with_a_type() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.path);
            assert!(!a.content_type.is_empty());
        }
        assert!(find("index.html").is_some());
        assert!(find("../Cargo.toml").is_none());
        assert!(find("vendor/leaflet/leaflet.js.map").is_none());
    }

    #[test]
    fn tile_origin_in_policy() {
        assert!(csp(None).contains("img-src 'self' data:;"));
        assert!(
            csp(Some("https://{s}.tile.example.org/{z}/{x}/{y}.png"))
                .contains("img-src 'self' data: https://*.tile.example.org;")
        );
        assert!(csp(Some("http://localhost:8080/{z}/{x}/{y}.png")).contains("http://localhost:8080;"));
        assert!(csp(Some("javascript:alert(1)")).contains("img-src 'self' data:;"));
        assert!(csp(Some("https://a.org;script-src *")).contains("img-src 'self' data:;"));
    }
}
