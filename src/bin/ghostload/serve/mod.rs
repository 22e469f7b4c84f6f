//! `ghostload serve`: an HTTP API that generates datasets in the background
//! and serves their files, and the web page (see `docs` in the README).

mod api;
mod archive;
mod assets;
mod error;
mod jobs;
mod page;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::args::ServeArgs;
use crate::failure::Failure;
use crate::logging::{self, CLI_TARGET, Verbosity};

use self::jobs::{AppState, Server};

/// The routes.
fn router(state: AppState, max_body: usize) -> Router {
    // The page's Content-Security-Policy admits the tile server's origin only.
    let page = assets::router_with_tile_url(state.tile_url.as_deref());
    Router::new()
        .route("/api/health", get(api::health))
        .route("/api/presets", get(api::presets))
        .route("/api/datasets", get(api::list).post(api::create))
        .route("/api/datasets/{id}", get(api::status).delete(api::delete))
        .route("/api/datasets/{id}/files/{*name}", get(api::file))
        .route("/api/datasets/{id}/archive", get(api::archive))
        .route("/api/datasets/{id}/map", get(page::map))
        .route("/api/datasets/{id}/meters/{meter_id}", get(page::meter))
        .route("/api/datasets/{id}/transformers/{tx_id}", get(page::transformer))
        .route("/api/datasets/{id}/charts", get(page::charts))
        .route("/generate", post(api::generate_compat))
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&state), api::auth))
        .merge(page)
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state)
}

/// `ghostload serve`: runs until Ctrl-C (or SIGTERM).
pub fn run(args: &ServeArgs, verbosity: Verbosity) -> Result<(), Failure> {
    logging::install(verbosity, None);
    let server = Server::open(args)
        .map_err(|e| Failure::runtime(format!("cannot use --data-dir `{}`: {e}", args.data_dir.display())))?;
    let state = Arc::new(server);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ghostload-serve")
        .build()
        .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .map_err(|e| Failure::runtime(format!("cannot listen on {}: {e}", args.bind)))?;
        let local = listener
            .local_addr()
            .map_err(|e| Failure::runtime(format!("cannot listen on {}: {e}", args.bind)))?;
        {
            use std::io::Write as _;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on http://{local}");
            let _ = out.flush();
        }
        tracing::info!(target: CLI_TARGET, "serving {} on http://{local}", args.data_dir.display());
        let app = router(Arc::clone(&state), args.max_body);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| Failure::runtime(format!("the server failed: {e}")))
    });
    // Running jobs stop before their next batch and leave nothing behind.
    state.cancel_all();
    runtime.shutdown_timeout(std::time::Duration::from_secs(30));
    result
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!(target: CLI_TARGET, "shutting down");
}
