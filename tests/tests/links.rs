//! `POST /api/jobs` with `{"url": ...}`: the page is fetched from a local site the test starts,
//! and what a link may not reach is refused.

use crate::support::{config, error_message, paragraph_texts, status_and_json, TestServer};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use axum::Router;
use models::fixtures::TinyModel;
use server::http::service::ServiceConfig;
use server::intake::links::LinkRules;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const PAGE: &str = r#"<!DOCTYPE html><html lang="fr"><head><title>Grève à la SNCF</title></head><body>
<nav><a href="/">Accueil</a> <a href="/eco">Économie</a> <a href="/sport">Sport</a></nav>
<article><h1>Grève à la SNCF</h1>
<p>Les syndicats de cheminots ont appelé à une grève de deux jours à partir de jeudi, pour protester contre la réforme des retraites présentée la semaine dernière par le gouvernement.</p>
<p>La direction prévoit trois trains sur cinq sur les grandes lignes et conseille aux voyageurs de reporter leurs déplacements, ou de vérifier leur train avant de partir.</p>
</article><footer>Mentions légales · Contact · Publicité</footer></body></html>"#;

/// A news site on 127.0.0.1 that counts the requests it gets.
pub(crate) struct Site {
    pub(crate) addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Site {
    pub(crate) async fn start(elsewhere: Option<SocketAddr>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("address");
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        let router = Router::new()
            .route(
                "/article",
                get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE) }),
            )
            .route("/moved", get(|| async { Redirect::to("/article") }))
            .route("/loop", get(|| async { Redirect::to("/loop") }))
            .route(
                "/elsewhere",
                get(move || async move {
                    let target = elsewhere.map(|a| format!("http://{a}/article"));
                    Redirect::to(&target.unwrap_or_default())
                }),
            )
            .route(
                "/report.pdf",
                get(|| async {
                    server::intake::documents::fixtures::pdf(&[&[
                        "Les syndicats ont appelé à la grève jeudi.",
                    ]])
                }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    PAGE
                }),
            )
            .route("/big", get(|| async { "a".repeat(3 * 1024 * 1024) }))
            .fallback(|| async { (StatusCode::NOT_FOUND, "Not here").into_response() })
            .layer(axum::middleware::map_request(
                move |request: axum::extract::Request| {
                    counted.fetch_add(1, Ordering::SeqCst);
                    async move { request }
                },
            ));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            addr,
            hits,
            stop,
            task,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn start_with_links(links: LinkRules) -> TestServer {
    TestServer::start(TinyModel::qwen2(), ServiceConfig { links, ..config() }).await
}

async fn post_url(server: &TestServer, url: &str) -> (u16, serde_json::Value) {
    let request = server
        .client
        .post(format!("{}/api/jobs", server.base))
        .json(&serde_json::json!({ "url": url }));
    status_and_json(request).await
}

#[tokio::test]
async fn a_link_to_a_local_server_is_refused_by_default_before_any_request() {
    let site = Site::start(None).await;
    let server = start_with_links(LinkRules::default()).await;
    for url in [
        site.url("/article"),
        format!("http://localhost:{}/article", site.addr.port()),
    ] {
        let (status, body) = post_url(&server, &url).await;
        assert_eq!(status, 403, "{url}: {body}");
        assert_eq!(body["error"]["code"], "private_address");
        assert!(
            error_message(&body).contains("--allow-private-urls"),
            "{body}"
        );
    }
    assert_eq!(site.hits(), 0, "nothing was sent to the private address");
    server.stop().await;
    site.stop().await;
}

#[tokio::test]
async fn a_link_becomes_its_article_and_every_redirect_is_checked() {
    let other = Site::start(None).await;
    let site = Site::start(Some(other.addr)).await;
    // This one site is allowed; the rest of the private network, `other` included, is not.
    let server = start_with_links(LinkRules {
        allowed: vec![site.addr],
        timeout: Duration::from_secs(2),
        max_bytes: 1024 * 1024,
        ..LinkRules::default()
    })
    .await;

    let (status, job) = post_url(&server, &site.url("/article")).await;
    assert_eq!(status, 201, "{job}");
    let paragraphs = paragraph_texts(&job);
    assert_eq!(paragraphs.len(), 3, "{paragraphs:?}");
    assert_eq!(paragraphs[0], "Grève à la SNCF");
    assert!(!paragraphs.join(" ").contains("Accueil"), "{paragraphs:?}");
    let id = job["id"].as_str().expect("id");
    crate::support::assert_done(&server.events_to_end(id, None).await);

    let (status, job) = post_url(&server, &site.url("/moved")).await;
    assert_eq!(status, 201, "a redirect on the same site: {job}");
    assert_eq!(paragraph_texts(&job)[0], "Grève à la SNCF");

    let (status, job) = post_url(&server, &site.url("/report.pdf")).await;
    assert_eq!(status, 201, "a PDF behind a link: {job}");
    assert_eq!(
        paragraph_texts(&job),
        ["Les syndicats ont appelé à la grève jeudi."]
    );

    // A redirect to another address on 127.0.0.1 is checked like a first address.
    let (status, body) = post_url(&server, &site.url("/elsewhere")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "private_address");
    assert_eq!(other.hits(), 0, "the redirect was not followed");

    let cases = [
        ("/loop", 502, "link_failed", "redirected more than 5 times"),
        ("/missing", 502, "link_failed", "404"),
        ("/slow", 504, "link_timeout", "longer than 2 s"),
        ("/big", 413, "page_too_large", "larger than 1 MB"),
    ];
    for (path, code, name, words) in cases {
        let (status, body) = post_url(&server, &site.url(path)).await;
        assert_eq!(status, code, "{path}: {body}");
        assert_eq!(body["error"]["code"], name, "{path}");
        assert!(error_message(&body).contains(words), "{path}: {body}");
    }
    for (url, name) in [
        ("ftp://example.com/article", "bad_url"),
        ("lemonde.fr/article", "bad_url"),
        // `.invalid` never resolves (RFC 2606), with or without a network.
        ("http://passerelle.invalid/article", "no_network"),
    ] {
        let (status, body) = post_url(&server, url).await;
        assert!(status == 400 || status == 502, "{url}: {body}");
        assert_eq!(body["error"]["code"], name, "{url}");
    }
    server.stop().await;
    site.stop().await;
    other.stop().await;
}

#[tokio::test]
async fn allow_private_urls_opens_the_local_network() {
    let other = Site::start(None).await;
    let site = Site::start(Some(other.addr)).await;
    let server = start_with_links(LinkRules {
        allow_private: true,
        ..LinkRules::default()
    })
    .await;
    let (status, job) = post_url(&server, &site.url("/elsewhere")).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(paragraph_texts(&job)[0], "Grève à la SNCF");
    assert_eq!(other.hits(), 1);
    server.stop().await;
    site.stop().await;
    other.stop().await;
}
