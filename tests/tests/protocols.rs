//! The other protocols on a real server (loopback, free port): LibreTranslate's, DeepL's and
//! OpenAI's, with the request shapes Mastodon and Discourse send written out by hand, and the
//! official client libraries themselves (installed by `./setup.sh --for-tests` into
//! `target/pyclients`) run unmodified. API keys: every API refuses a request without one, and a
//! key sees only its own articles.

use crate::support::{
    article, config, config_with_history, gated_loader, real_model_path, with_keys, TestServer,
    ALICE, BOB,
};
use futures_util::StreamExt;
use models::fixtures::TinyModel;
use serde_json::{json, Value};
use server::http::service::ServiceConfig;
use std::path::PathBuf;

/// A French sentence long enough for its language to be told.
const FRENCH: &str =
    "Le conseil municipal a voté le budget des écoles mardi soir, après un long débat.";
/// An English one, given back as it is.
const ENGLISH: &str = "The mayor promised a public meeting about the new school before the summer.";

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

async fn post(server: &TestServer, path: &str, content_type: &str, body: String) -> (u16, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON answer: {text}"));
    (status, value)
}

async fn post_json(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    post(server, path, "application/json", body.to_string()).await
}

async fn post_form(server: &TestServer, path: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    post(
        server,
        path,
        "application/x-www-form-urlencoded",
        form(pairs),
    )
    .await
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A post as Mastodon sends it to its LibreTranslate server: HTML, with a mention, a hashtag
/// and a custom emoji that must come back as they were.
const MASTODON_POST: &str = concat!(
    r#"<p><span class="h-card" translate="no"><a href="https://social.example/@marie" class="u-url mention">@<span>marie</span></a></span> "#,
    "Le conseil municipal a voté le budget des écoles mardi soir, après un long débat ",
    r#"<a href="https://social.example/tags/Lyon" class="mention hashtag" rel="tag">#<span>Lyon</span></a> "#,
    r#"<span translate="no">:chat:</span></p>"#
);

#[tokio::test]
async fn mastodon_gets_an_array_of_english_html_with_its_tags_intact() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let body = json!({
        "q": [MASTODON_POST, "<p>Un sondage : êtes-vous pour ou contre ce nouveau budget municipal ?</p>"],
        "source": "auto",
        "target": "en",
        "format": "html",
        "api_key": null,
    });
    let (status, answer) = post_json(&server, "/translate", body).await;
    assert_eq!(status, 200, "{answer}");
    let texts = answer["translatedText"]
        .as_array()
        .expect("an array, as Mastodon maps over it");
    assert_eq!(texts.len(), 2);
    let post = texts[0].as_str().expect("text");
    for kept in [
        r#"<span class="h-card" translate="no"><a href="https://social.example/@marie" class="u-url mention">@<span>marie</span></a></span>"#,
        r#"<a href="https://social.example/tags/Lyon" class="mention hashtag" rel="tag">#<span>Lyon</span></a>"#,
        r#"<span translate="no">:chat:</span>"#,
    ] {
        assert!(post.contains(kept), "{kept} is kept in {post}");
    }
    assert!(
        !post.contains("conseil municipal"),
        "the French was replaced: {post}"
    );
    assert!(texts[1].as_str().expect("text").starts_with("<p>"));
    let detected = answer["detectedLanguage"].as_array().expect("one per text");
    assert_eq!(detected[0]["language"], "fr");
    // Mastodon shows its Translate button only for languages with targets.
    let languages: Value = server.get("/languages").await.json().await.expect("json");
    let french = languages
        .as_array()
        .and_then(|l| l.iter().find(|l| l["code"] == "fr"))
        .expect("French is listed");
    assert_eq!(french["targets"], json!(["en"]));
    server.stop().await;
}

#[tokio::test]
async fn discourse_detects_then_translates_one_form_text_into_a_string() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (status, detected) = post_form(&server, "/detect", &[("q", FRENCH)]).await;
    assert_eq!(status, 200, "{detected}");
    assert_eq!(detected[0]["language"], "fr");
    assert!(detected[0]["confidence"]
        .as_f64()
        .is_some_and(|c| c > 0.0 && c <= 100.0));
    let (status, answer) = post_form(
        &server,
        "/translate",
        &[
            ("q", &format!("<p>{FRENCH}</p>")),
            ("source", "fr"),
            ("target", "en"),
            ("format", "html"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let text = answer["translatedText"]
        .as_str()
        .expect("a string for one q");
    assert!(text.starts_with("<p>") && text.ends_with("</p>"), "{text}");
    assert!(
        answer.get("detectedLanguage").is_none(),
        "only with source auto"
    );
    server.stop().await;
}

#[tokio::test]
async fn english_comes_back_as_it_is_and_other_languages_are_refused_in_each_protocol() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (status, answer) = post_json(
        &server,
        "/translate",
        json!({"q": ENGLISH, "source": "auto", "target": "en"}),
    )
    .await;
    assert_eq!(
        (status, answer["translatedText"].as_str()),
        (200, Some(ENGLISH))
    );
    assert_eq!(answer["detectedLanguage"]["language"], "en");

    let german = "Die Regierung hat am Dienstag einen Plan zur Renovierung der Schulen des Landes vorgestellt.";
    let (status, answer) = post_json(
        &server,
        "/translate",
        json!({"q": german, "source": "auto", "target": "en"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("\"de\"")),
        "{answer}"
    );
    let (status, answer) = post_json(
        &server,
        "/translate",
        json!({"q": FRENCH, "source": "fr", "target": "es"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");

    let (status, answer) = post_form(
        &server,
        "/v2/translate",
        &[("text", german), ("target_lang", "EN-GB")],
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["message"].is_string(), "{answer}");
    let (status, answer) = post_form(
        &server,
        "/v2/translate",
        &[("text", FRENCH), ("target_lang", "de")],
    )
    .await;
    assert_eq!(status, 400, "{answer}");

    let chat = json!({"model": "x", "messages": [{"role": "user", "content": german}]});
    let (status, answer) = post_json(&server, "/v1/chat/completions", chat).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["type"], "invalid_request_error");
    let long = FRENCH.repeat(300);
    let chat = json!({"model": "x", "messages": [{"role": "user", "content": long}]});
    let (status, answer) = post_json(&server, "/v1/chat/completions", chat).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"]["type"], "invalid_request_error");
    server.stop().await;
}

#[tokio::test]
async fn deepl_takes_repeated_form_texts_and_answers_one_translation_each() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (status, answer) = post_form(
        &server,
        "/v2/translate",
        &[
            ("text", FRENCH),
            ("text", ENGLISH),
            ("target_lang", "en-us"),
            ("source_lang", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let translations = answer["translations"].as_array().expect("translations");
    assert_eq!(translations.len(), 2);
    assert_eq!(translations[0]["detected_source_language"], "FR");
    assert_eq!(translations[0]["billed_characters"], FRENCH.chars().count());
    assert_eq!(translations[1]["text"], ENGLISH);
    server.stop().await;
}

#[tokio::test]
async fn openai_streams_data_lines_that_end_with_done() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let chat = json!({
        "model": "anything",
        "stream": true,
        "temperature": 1.0,
        "messages": [
            {"role": "system", "content": "Translate into German."},
            {"role": "user", "content": format!("{FRENCH}\n\n{FRENCH} Encore.")},
        ],
    });
    let response = server
        .client
        .post(format!("{}/v1/chat/completions", server.base))
        .json(&chat)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .is_ok_and(|t| t.starts_with("text/event-stream")));
    let body = response.text().await.expect("stream");
    let data: Vec<&str> = body
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(data.last(), Some(&"[DONE]"), "{body}");
    let chunks: Vec<Value> = data[..data.len() - 1]
        .iter()
        .map(|d| serde_json::from_str(d).expect("a JSON chunk"))
        .collect();
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(
        chunks.last().expect("a last chunk")["choices"][0]["finish_reason"],
        "stop"
    );
    let text: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(
        text.matches("\n\n").count(),
        1,
        "two paragraphs, in order: {text:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn the_same_texts_sent_again_while_they_run_wait_for_the_first_run() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let body = json!({"q": FRENCH, "source": "fr", "target": "en"});
    let (first, second) = tokio::join!(
        post_json(&server, "/translate", body.clone()),
        post_json(&server, "/translate", body),
    );
    assert_eq!((first.0, second.0), (200, 200));
    assert_eq!(first.1["job"], second.1["job"], "one job for both");
    assert_eq!(first.1["translatedText"], second.1["translatedText"]);
    server.stop().await;
}

/// A protocol call waits in the readers' queue: with the model held back, the page's article
/// fills the one place, and a DeepL, a LibreTranslate and an OpenAI call each get their
/// protocol's 429; once the model is there, a call is answered.
#[tokio::test]
async fn protocol_calls_share_the_readers_queue_and_get_429_when_it_is_full() {
    let (gate, loader, dir) = gated_loader(&TinyModel::qwen2());
    let server = TestServer::start_with(
        loader,
        ServiceConfig {
            queue: 1,
            ..config()
        },
        Some(dir),
    )
    .await;
    let waiting = server.create(&article(1)).await;
    let (status, answer) = post_form(
        &server,
        "/v2/translate",
        &[("text", FRENCH), ("target_lang", "EN-GB")],
    )
    .await;
    assert_eq!(status, 429, "{answer}");
    assert!(answer["message"].is_string(), "{answer}");
    let (status, answer) = post_json(
        &server,
        "/translate",
        json!({"q": FRENCH, "source": "fr", "target": "en"}),
    )
    .await;
    assert_eq!(status, 429, "{answer}");
    assert!(answer["error"].is_string(), "{answer}");
    let chat = json!({"model": "x", "messages": [{"role": "user", "content": FRENCH}]});
    let (status, answer) = post_json(&server, "/v1/chat/completions", chat).await;
    assert_eq!(status, 429, "{answer}");
    assert_eq!(answer["error"]["type"], "rate_limit_error");
    gate.send(()).expect("release the model");
    crate::support::assert_done(&server.events_to_end(&waiting.id, None).await);
    let (status, answer) = post_json(
        &server,
        "/translate",
        json!({"q": FRENCH, "source": "fr", "target": "en"}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    server.stop().await;
}

/// A text that takes longer than a client's read timeout: the answer starts after a few seconds
/// and sends spaces until its JSON comes, so the DeepL client (10 s) does not give up.
#[tokio::test]
async fn a_long_wait_is_answered_with_spaces_before_the_json() {
    let (gate, loader, dir) = gated_loader(&TinyModel::qwen2());
    let server = TestServer::start_with(loader, config(), Some(dir)).await;
    let request = server
        .client
        .post(format!("{}/v2/translate", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("text", FRENCH), ("target_lang", "EN-GB")]))
        .send();
    let started = std::time::Instant::now();
    let response = request
        .await
        .expect("an answer while the model is held back");
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(4),
        "held back first"
    );
    let mut body = response.bytes_stream();
    let first = body.next().await.expect("a chunk").expect("bytes");
    assert!(first.iter().all(|b| *b == b' '), "spaces first: {first:?}");
    gate.send(()).expect("release the model");
    let mut rest = first.to_vec();
    while let Some(chunk) = body.next().await {
        rest.extend_from_slice(&chunk.expect("bytes"));
    }
    let answer: Value = serde_json::from_slice(&rest).expect("JSON after the spaces");
    assert_eq!(answer["translations"][0]["detected_source_language"], "FR");
    server.stop().await;
}

#[tokio::test]
async fn with_keys_no_api_answers_without_one_and_a_key_sees_only_its_own_articles() {
    let history = tempfile::tempdir().expect("temp dir");
    let (config, _keys) = with_keys(config_with_history(history.path()));
    let server = TestServer::start(TinyModel::qwen2(), config).await;
    let url = |path: &str| format!("{}{path}", server.base);
    // Without a key, or with a wrong one, each protocol refuses in its own way.
    let body = json!({"q": FRENCH, "source": "fr", "target": "en"});
    let (status, answer) = post_json(&server, "/translate", body).await;
    assert_eq!(status, 403, "{answer}");
    assert!(answer["error"].is_string());
    let (status, _) = post_form(
        &server,
        "/v2/translate",
        &[("text", FRENCH), ("target_lang", "EN-GB")],
    )
    .await;
    assert_eq!(status, 403);
    let models = server
        .client
        .get(url("/v1/models"))
        .bearer_auth("not-a-key-at-all-000")
        .send()
        .await
        .expect("GET");
    assert_eq!(models.status(), 401);
    for path in ["/api/history", "/api/glossary", "/api/info"] {
        assert_eq!(server.get(path).await.status(), 401, "{path}");
    }
    assert_eq!(server.post_text(FRENCH).await.status(), 401);
    assert_eq!(
        server.get("/api/health").await.status(),
        200,
        "health stays open"
    );

    // Alice's article, by the page (her key in the cookie, as the page keeps it) and by
    // LibreTranslate (the key in the body).
    let created = server
        .client
        .post(url("/api/jobs"))
        .header("cookie", format!("passerelle_key={ALICE}"))
        .json(&json!({ "text": FRENCH }))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);
    let job: Value = created.json().await.expect("job");
    let id = job["id"].as_str().expect("id").to_string();
    let body = json!({"q": FRENCH, "source": "fr", "target": "en", "api_key": ALICE});
    let (status, answer) = post_json(&server, "/translate", body).await;
    assert_eq!(status, 200, "{answer}");

    let list = |key: &'static str| {
        let request = server.client.get(url("/api/history")).bearer_auth(key);
        async move {
            let entries: Vec<Value> = request
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("json");
            entries.len()
        }
    };
    assert_eq!(list(ALICE).await, 2);
    assert_eq!(list(BOB).await, 0, "Bob sees none of Alice's");
    let as_bob = server
        .client
        .get(url(&format!("/api/jobs/{id}")))
        .bearer_auth(BOB)
        .send()
        .await
        .expect("GET");
    assert_eq!(as_bob.status(), 404);
    let as_alice = server
        .client
        .get(url(&format!("/api/jobs/{id}")))
        .bearer_auth(ALICE)
        .send()
        .await
        .expect("GET");
    assert_eq!(as_alice.status(), 200);

    // DeepL's usage counts each key's characters apart.
    let usage = |key: &'static str| {
        let request = server
            .client
            .get(url("/v2/usage"))
            .header("authorization", format!("DeepL-Auth-Key {key}"));
        async move {
            let usage: Value = request
                .send()
                .await
                .expect("GET")
                .json()
                .await
                .expect("json");
            usage["character_count"].as_u64().expect("count")
        }
    };
    assert_eq!(usage(ALICE).await, 2 * FRENCH.chars().count() as u64);
    assert_eq!(usage(BOB).await, 0);
    server.stop().await;
}

#[tokio::test]
async fn serving_beyond_loopback_without_keys_is_refused_at_start() {
    let binary = workspace().join("target/release/passerelle");
    assert!(
        binary.is_file(),
        "build the binary first (./setup.sh --for-tests)"
    );
    let output = std::process::Command::new(&binary)
        .args(["serve", "--addr", "0.0.0.0:0", "--no-history"])
        .env_remove("PASSERELLE_API_KEY_FILE")
        .env_remove("PASSERELLE_ALLOW_ANYONE")
        .output()
        .expect("run passerelle");
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("--api-key-file") && said.contains("--allow-anyone"),
        "{said}"
    );
}

/// Runs `script` (in `tests/clients`) with the client libraries' Python, against `server`;
/// fails with what it printed unless it succeeds. Returns what it printed on stdout.
async fn client(script: &str, server: &TestServer, key: &str, wrong: Option<&str>) -> String {
    let python = workspace().join("target/pyclients/bin/python");
    assert!(
        python.is_file(),
        "the client libraries are not installed in target/pyclients: run ./setup.sh --for-tests"
    );
    let mut command = std::process::Command::new(python);
    command
        .arg(workspace().join("tests/clients").join(script))
        .env("PASSERELLE_URL", &server.base)
        .env("PASSERELLE_KEY", key);
    if let Some(wrong) = wrong {
        command.env("PASSERELLE_WRONG_KEY", wrong);
    }
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run python");
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).to_string(),
        String::from_utf8_lossy(&output.stderr).to_string(),
    );
    assert!(output.status.success(), "{script} failed:\n{out}\n{err}");
    out
}

#[tokio::test]
async fn the_official_clients_work_unmodified_and_a_wrong_key_raises_their_own_error() {
    let (config, _keys) = with_keys(config());
    let server = TestServer::start(TinyModel::qwen2(), config).await;
    for script in ["use_libretranslate.py", "use_deepl.py", "use_openai.py"] {
        let english = client(script, &server, ALICE, Some("wrong-key-0123456789")).await;
        assert!(!english.trim().is_empty(), "{script} printed its English");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_real_model_answers_the_deepl_client_in_english() {
    let path = real_model_path();
    let server = TestServer::start_with(crate::support::loading(path), config(), None).await;
    server.wait_until_ready().await;
    let english = client("use_deepl.py", &server, "any-key-will-do", None).await;
    assert!(checks::language::is_english(&english), "{english}");
    server.stop().await;
}
