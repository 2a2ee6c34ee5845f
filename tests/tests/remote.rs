//! The remote engine against real llama-servers on loopback (built by `tools/llama-server.sh`):
//! the whole article, a server killed in the middle, every server down for a while, a cancel,
//! and a server that wants a key. The tests that hold for both engines run on both in
//! `http_api.rs` ([`crate::support::Engine`]).

use crate::llama::LlamaServer;
use crate::support::{
    article, assert_done, config, config_with_history, real_model_path, remote_loader,
    tiny_model_file, translated, Engine, TestServer, PATIENCE,
};
use app::api::{JobEvent, JobStatus};
use models::fixtures::TinyModel;
use server::http::service::ServiceConfig;
use std::time::Duration;

fn remote(config: ServiceConfig) -> ServiceConfig {
    ServiceConfig {
        remote: true,
        ..config
    }
}

fn assert_contiguous(events: &[(usize, JobEvent)]) {
    let ids: Vec<usize> = events.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        (1..=events.len()).collect::<Vec<_>>(),
        "ids without gaps"
    );
}

#[tokio::test]
async fn an_article_its_summary_and_its_history_come_from_a_llama_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start_on(
        Engine::LlamaServer,
        TinyModel::qwen2(),
        remote(config_with_history(dir.path())),
    )
    .await;
    let info: serde_json::Value = server.get("/api/info").await.json().await.expect("info");
    assert_eq!(info["engine"], "remote");
    assert_eq!(info["name"], "tiny.gguf", "{info}");
    assert_eq!(info["context"], 2048, "one slot's context: {info}");
    let health = server.health().await;
    assert_eq!(health["engine"], "remote");
    assert_eq!(health["backends"][0]["state"], "up", "{health}");

    let text = article(3);
    let events = server.run_to_done(&text).await;
    assert_contiguous(&events);
    let mut done = translated(&events);
    done.sort_unstable();
    assert_eq!(done, [0, 1, 2]);
    assert!(events
        .iter()
        .any(|(_, e)| matches!(e, JobEvent::TranslationDelta { .. })));
    assert!(events
        .iter()
        .any(|(_, e)| matches!(e, JobEvent::SummaryDone { .. })));

    // The same French again: the translation memory, keyed on the served model, answers.
    let again = server.run_to_done(&text).await;
    let remembered = again
        .iter()
        .filter(|(_, e)| {
            matches!(
                e,
                JobEvent::TranslationDone {
                    from_memory: true,
                    ..
                }
            )
        })
        .count();
    assert_eq!(remembered, 3, "{again:?}");
    let history: serde_json::Value = server.get("/api/history").await.json().await.expect("list");
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
    server.stop().await;
}

#[tokio::test]
async fn a_server_killed_in_the_middle_of_an_article_loses_nothing() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2().cycling());
    let mut first = LlamaServer::start(&path, 4, &[]).await;
    let mut second = LlamaServer::start(&path, 4, &[]).await;
    let server = TestServer::start_with(
        remote_loader(&[first.url(), second.url()], None),
        remote(config()),
        None,
    )
    .await;
    server.wait_until_ready().await;
    let job = server.create(&article(12)).await;
    // The moment English comes, the server writing it is killed.
    let begun = server
        .read_events(&job.id, None, |e| {
            matches!(e, JobEvent::TranslationDelta { .. })
        })
        .await;
    let health = server.health().await;
    let writing = health["backends"]
        .as_array()
        .and_then(|b| b.iter().position(|b| b["in_flight"].as_u64() > Some(0)))
        .unwrap_or(0);
    let killed = if writing == 0 {
        &mut first
    } else {
        &mut second
    };
    killed.kill();

    let rest = server.events_to_end(&job.id, Some(begun.len())).await;
    let events: Vec<_> = begun.into_iter().chain(rest).collect();
    assert_contiguous(&events);
    assert_done(&events);
    let mut done = translated(&events);
    done.sort_unstable();
    assert_eq!(done, (0..12).collect::<Vec<_>>(), "every paragraph once");
    let health = server.health().await;
    assert_eq!(
        health["backends"][writing]["state"], "down",
        "the killed server is seen down: {health}"
    );
    assert_eq!(health["backends"][1 - writing]["state"], "up", "{health}");
    let snapshot = server.snapshot(&job.id).await;
    assert_eq!(snapshot.status, JobStatus::Done);
    assert!(snapshot.paragraphs.iter().all(|p| p.done));
    server.stop().await;
}

#[tokio::test]
async fn with_every_server_down_the_article_waits_and_goes_on_when_one_is_back() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2());
    let mut llama = LlamaServer::start(&path, 4, &[]).await;
    let server =
        TestServer::start_with(remote_loader(&[llama.url()], None), remote(config()), None).await;
    server.wait_until_ready().await;
    llama.kill();
    let job = server.create(&article(2)).await;
    let waiting = server
        .read_events(&job.id, None, |e| matches!(e, JobEvent::Waiting { .. }))
        .await;
    match waiting.last() {
        Some((_, JobEvent::Waiting { message })) => {
            assert!(message.contains("goes on"), "{message}")
        }
        other => panic!("expected the reader told of the wait, got {other:?}"),
    }
    let health = server.health().await;
    assert_eq!(health["backends"][0]["state"], "down", "{health}");
    assert!(health["backends"][0]["down_since"].is_string(), "{health}");
    // Down for a while: the job holds on.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(server.snapshot(&job.id).await.status, JobStatus::Running);
    llama.restart().await;
    let rest = server.events_to_end(&job.id, Some(waiting.len())).await;
    let events: Vec<_> = waiting.into_iter().chain(rest).collect();
    assert_contiguous(&events);
    assert_done(&events);
    let waits = events
        .iter()
        .filter(|(_, e)| matches!(e, JobEvent::Waiting { .. }))
        .count();
    assert_eq!(waits, 1, "told once, not at every try: {events:?}");
    let mut done = translated(&events);
    done.sort_unstable();
    assert_eq!(done, [0, 1]);
    server.stop().await;
}

#[tokio::test]
async fn a_server_that_wants_a_key_is_named_with_the_variable_to_set() {
    const VAR: &str = "PASSERELLE_TEST_LLAMA_KEY";
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2());
    let llama = LlamaServer::start(&path, 2, &["--api-key", "right-key"]).await;
    // No key given: the error says how to give one.
    let server =
        TestServer::start_with(remote_loader(&[llama.url()], None), remote(config()), None).await;
    let message = failure(&server).await;
    assert!(message.contains("401"), "{message}");
    assert!(message.contains("--backend-key-env"), "{message}");
    server.stop().await;
    // A wrong key: the error names the variable it came from, never the key.
    std::env::set_var(VAR, "wrong-key");
    let server = TestServer::start_with(
        remote_loader(&[llama.url()], Some(VAR)),
        remote(config()),
        None,
    )
    .await;
    let message = failure(&server).await;
    assert!(message.contains(VAR), "{message}");
    assert!(!message.contains("wrong-key"), "{message}");
    server.stop().await;
    // The right one: the article is written.
    std::env::set_var(VAR, "right-key");
    let server = TestServer::start_with(
        remote_loader(&[llama.url()], Some(VAR)),
        remote(config()),
        None,
    )
    .await;
    server.wait_until_ready().await;
    server.run_to_done(&article(1)).await;
    server.stop().await;
}

/// Why the server cannot write: the failed model status, or the error of a first job.
async fn failure(server: &TestServer) -> String {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let health = server.health().await;
        if health["model"] == "failed" {
            let info: serde_json::Value = server.get("/api/info").await.json().await.expect("info");
            return info.to_string();
        }
        if health["model"] == "ready" {
            let job = server.create(&article(1)).await;
            let events = server.events_to_end(&job.id, None).await;
            return match events.last() {
                Some((_, JobEvent::Error { code, message })) => {
                    assert_eq!(code, "backend_refused");
                    message.clone()
                }
                other => panic!("expected an error, got {other:?}"),
            };
        }
        assert!(tokio::time::Instant::now() < deadline, "{health}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The default model on llama-server, for one real article: its English is English, and a
/// cancel closes the streams (the server's slots go idle).
#[tokio::test]
async fn the_real_model_writes_an_article_on_llama_server_and_a_cancel_frees_its_slots() {
    let llama = LlamaServer::start(&real_model_path(), 4, &[]).await;
    let server =
        TestServer::start_with(remote_loader(&[llama.url()], None), remote(config()), None).await;
    server.wait_until_ready().await;
    let text =
        "Le gouvernement a annoncé mardi une hausse de 3 % du budget de l'éducation nationale.\n\n\
                Les syndicats d'enseignants ont salué une mesure attendue depuis longtemps.";
    let events = server.run_to_done(text).await;
    for (_, event) in &events {
        if let JobEvent::TranslationDone { text, .. } = event {
            assert!(checks::language::is_english(text), "{text}");
        }
    }

    let long = (0..6)
        .map(|_| "Le conseil municipal a débattu pendant des heures du budget des écoles, des transports et des logements sociaux, sans parvenir à un accord sur le calendrier des travaux.")
        .collect::<Vec<_>>()
        .join("\n\n");
    let job = server.create(&long).await;
    server
        .read_events(&job.id, None, |e| {
            matches!(e, JobEvent::TranslationDelta { .. })
        })
        .await;
    assert!(llama.busy_slots().await > 0, "the article is being written");
    let response = server.delete(&format!("/api/jobs/{}", job.id)).await;
    assert_eq!(response.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while llama.busy_slots().await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server still writes for a cancelled article"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop().await;
}
