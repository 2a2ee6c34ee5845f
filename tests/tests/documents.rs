//! `POST /api/documents`: a file instead of a paste, its type told from its content.

use crate::support::{config, error_message, paragraph_texts, status_and_json, TestServer};
use models::fixtures::TinyModel;

/// A multipart/form-data body with `bytes` in the field `field`, as a browser sends a file.
fn multipart(field: &str, name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "passerelle-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    server: &TestServer,
    field: &str,
    name: &str,
    bytes: &[u8],
) -> (u16, serde_json::Value) {
    let (content_type, body) = multipart(field, name, bytes);
    let request = server
        .client
        .post(format!("{}/api/documents", server.base))
        .header("content-type", content_type)
        .body(body);
    status_and_json(request).await
}

#[tokio::test]
async fn a_text_file_in_windows_1252_becomes_a_job_like_a_paste() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let french =
        "Le député a été réélu à Besançon.\n\nAccueil\n\nLes électeurs se sont déplacés en nombre.";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(french);
    let (status, job) = upload(&server, "file", "article.txt", &bytes).await;
    assert_eq!(status, 201, "{job}");
    let texts = paragraph_texts(&job);
    assert_eq!(
        texts,
        vec![
            "Le député a été réélu à Besançon.",
            "Les électeurs se sont déplacés en nombre."
        ]
    );
    assert_eq!(job["removed"][0]["text"], "Accueil", "cleaned like a paste");
    let id = job["id"].as_str().expect("id");
    crate::support::assert_done(&server.events_to_end(id, None).await);
    server.stop().await;
}

#[tokio::test]
async fn a_saved_news_page_becomes_its_article() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let page = r#"<!DOCTYPE html><html lang="fr"><head><title>Grève à la SNCF</title>
<script>track("page")</script></head><body>
<nav><a href="/">Accueil</a> <a href="/eco">Économie</a> <a href="/sport">Sport</a></nav>
<article><h1>Grève à la SNCF</h1>
<p>Les syndicats de cheminots ont appelé à une grève de deux jours à partir de jeudi, pour protester contre la réforme des retraites présentée la semaine dernière par le gouvernement.</p>
<p>La direction prévoit trois trains sur cinq sur les grandes lignes et conseille aux voyageurs de reporter leurs déplacements, ou de vérifier leur train avant de partir.</p>
</article><footer>Mentions légales · Contact · Publicité</footer></body></html>"#;
    let (status, job) = upload(&server, "file", "page.htm", page.as_bytes()).await;
    assert_eq!(status, 201, "{job}");
    let texts = paragraph_texts(&job);
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(texts[0], "Grève à la SNCF");
    assert!(
        texts[1].starts_with("Les syndicats de cheminots"),
        "{texts:?}"
    );
    assert!(texts[2].starts_with("La direction prévoit"), "{texts:?}");
    let all = texts.join(" ");
    for gone in ["Accueil", "track", "Mentions légales"] {
        assert!(!all.contains(gone), "{gone} in {all}");
    }

    let menu_only =
        "<html><body><nav><a href='/'>Accueil</a><a href='/a'>Sport</a></nav></body></html>";
    let (status, body) = upload(&server, "file", "menu.html", menu_only.as_bytes()).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "no_article");
    server.stop().await;
}

#[tokio::test]
async fn a_word_file_becomes_its_paragraphs() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let bytes = server::intake::documents::fixtures::docx(
        r#"<w:p><w:r><w:t>Grève à la SNCF</w:t></w:r></w:p>
           <w:p><w:r><w:t xml:space="preserve">Les syndicats ont appelé </w:t></w:r><w:r><w:t>à la grève jeudi.</w:t></w:r></w:p>"#,
    );
    // Named as a text file: the content decides.
    let (status, job) = upload(&server, "file", "article.txt", &bytes).await;
    assert_eq!(status, 201, "{job}");
    let texts = paragraph_texts(&job);
    assert_eq!(
        texts,
        vec![
            "Grève à la SNCF",
            "Les syndicats ont appelé à la grève jeudi."
        ]
    );

    let (status, body) = upload(&server, "file", "article.docx", &bytes[..bytes.len() / 2]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "damaged_document");
    let (status, body) = upload(
        &server,
        "file",
        "secret.docx",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest",
    )
    .await;
    assert_eq!(status, 415, "{body}");
    assert!(
        error_message(&body).contains("password-protected"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_pdf_becomes_its_paragraphs_without_running_heads() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let bytes = server::intake::documents::fixtures::pdf(&[
        &[
            "La Lettre de Lyon",
            "",
            "Grève à la SNCF",
            "",
            "Les syndicats de cheminots ont appelé à une grève reconductible à partir de jeu-",
            "di, pour protester contre la réforme des retraites.",
            "",
            "1",
        ],
        &[
            "La Lettre de Lyon",
            "",
            "La direction prévoit un train sur trois en Île-de-France et sur les lignes du",
            "Sud-Est.",
            "",
            "2",
        ],
    ]);
    // Named as a text file: the content decides.
    let (status, job) = upload(&server, "file", "article.txt", &bytes).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(
        paragraph_texts(&job),
        vec![
            "Grève à la SNCF",
            "Les syndicats de cheminots ont appelé à une grève reconductible à partir de jeudi, pour protester contre la réforme des retraites.",
            "La direction prévoit un train sur trois en Île-de-France et sur les lignes du Sud-Est."
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn files_that_cannot_be_read_get_clear_errors() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (status, body) = upload(
        &server,
        "file",
        "scan.pdf",
        &server::intake::documents::fixtures::scanned_pdf(),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "scanned_pdf");
    assert!(
        error_message(&body).starts_with("Scanned PDF: no text to translate"),
        "{body}"
    );
    let locked = server::intake::documents::fixtures::locked_pdf();
    let (status, body) = upload(&server, "file", "locked.pdf", &locked).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "damaged_document");
    let (status, body) = upload(&server, "file", "cut.pdf", b"%PDF-1.7\n%\xe2\xe3\n1 0 obj").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "damaged_document");

    let (status, body) = upload(&server, "file", "empty.txt", b"").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "empty_document");

    let (status, body) = upload(&server, "document", "article.txt", "Bonjour.".as_bytes()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_upload");
    assert!(error_message(&body).contains("\"file\""), "{body}");

    // Over the file limit.
    let huge = vec![b'a'; 21 * 1024 * 1024];
    let (status, body) = upload(&server, "file", "huge.txt", &huge).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "file_too_large");
    assert!(error_message(&body).contains("20 MB"), "{body}");

    // Over the paste limit once read: refused as a paste would be, not as an oversized body.
    let long = "Une phrase de l'article, répétée. ".repeat(5_000);
    let (status, body) = upload(&server, "file", "long.txt", long.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "text_too_long");
    server.stop().await;
}

#[tokio::test]
async fn a_rich_paste_gives_its_article_and_falls_back_to_the_plain_text() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let post = |body: serde_json::Value| async {
        let response = server.post_job(body).await;
        assert_eq!(response.status(), 201);
        response.json::<serde_json::Value>().await.expect("job")
    };
    let html = r#"<nav><a href="/">Accueil</a> <a href="/monde">Monde</a></nav>
<article><h1>Séisme au Japon</h1>
<p>Un séisme de magnitude 6,1 a frappé mardi le nord du Japon, sans faire de victimes selon les premiers bilans des autorités locales, qui ont levé l'alerte au tsunami en fin de journée.</p>
<p>Les trains à grande vitesse ont été arrêtés pendant plusieurs heures par précaution, et quelque 2 000 foyers ont été privés d'électricité dans la préfecture de Miyagi.</p></article>
<aside>Publicité</aside>"#;
    let plain = "Accueil Monde\nSéisme au Japon\nUn séisme…\nPublicité";
    let job = post(serde_json::json!({ "text": plain, "html": html })).await;
    let texts = paragraph_texts(&job);
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert_eq!(texts[0], "Séisme au Japon");
    assert!(texts[2].contains("2 000 foyers"), "{texts:?}");
    assert!(!texts.join(" ").contains("Publicité"), "{texts:?}");

    // HTML with no article in it (a few words in bold): the plain text is what was meant.
    let job = post(serde_json::json!({
        "text": "Le maire a parlé. Il a promis des travaux.",
        "html": "<b>Le maire</b> a parlé. Il a promis des travaux."
    }))
    .await;
    assert_eq!(
        paragraph_texts(&job),
        vec!["Le maire a parlé. Il a promis des travaux."]
    );
    server.stop().await;
}
