//! The reading page: rendered by Leptos on the server, its stylesheet (compiled in), and the
//! WebAssembly that hydrates it (`/pkg`, from the site folder the setup builds).

use app::OUTPUT_NAME;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::config::LeptosOptions;
use std::path::Path;

use super::AppState;
use tower_http::services::ServeDir;

const STYLE: &str = include_str!("../../../style/main.css");

pub fn router(site_dir: &Path, max_chars: usize, remote: bool) -> Router<AppState> {
    // Leptos spawns its rendering tasks through this; an error only means it is already set.
    let _ = any_spawner::Executor::init_tokio();
    let pkg = site_dir.join("pkg");
    if !pkg.join(format!("{OUTPUT_NAME}_bg.wasm")).is_file() {
        tracing::warn!(
            folder = %pkg.display(),
            "the page's WebAssembly is missing: the page will show but not work; run ./setup.sh to build it"
        );
    }
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(site_dir.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    let render =
        leptos_axum::render_app_to_stream(move || app::shell(options.clone(), max_chars, remote));
    Router::new()
        .route("/", get(render))
        .route("/style.css", get(style))
        .nest_service("/pkg", ServeDir::new(pkg))
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}
