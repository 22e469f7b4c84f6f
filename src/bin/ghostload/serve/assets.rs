//! The web page's static files (placeholder until the page lands: a tiny
//! index.html). The page branch replaces this file wholesale.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

/// The placeholder page.
const INDEX_HTML: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ghostload</title></head>\n<body><h1>ghostload</h1><p>The API is under <a href=\"/api/health\">/api/</a>.</p></body></html>\n";

/// `GET /` and `GET /assets/{*path}`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
}

async fn index() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX_HTML)
}

async fn asset() -> impl IntoResponse {
    (axum::http::StatusCode::NOT_FOUND, "no such asset")
}
