//! The HTTP API on a real server (loopback, free port) with tiny random-weight models. The tests
//! that hold for any engine run on each of [`Engine::ALL`]: the built-in one and llama-server.

use crate::support::{article, assert_done, config, gated_loader, Engine, TestServer};
use app::api::{ErrorBody, JobEvent, RemovalReason};
use app::api::{JobSnapshot, JobStatus};
use models::fixtures::TinyModel;
use models::Model;
use server::http::service::ServiceConfig;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: ErrorBody = response.json().await.expect("JSON error body");
    assert!(!body.error.message.is_empty());
    (status, body.error.code)
}

#[tokio::test]
async fn events_come_in_order_and_every_paragraph_is_finished() {
    for engine in Engine::ALL {
        events_come_in_order_and_every_paragraph_is_finished_on(engine).await;
    }
}

async fn events_come_in_order_and_every_paragraph_is_finished_on(engine: Engine) {
    let server = TestServer::start_on(engine, TinyModel::qwen2(), config()).await;
    let paste = format!(
        "Rechercher\n\n{}\n\nUne photo du conseil. Photo JEAN DUPONT / AFP",
        article(3)
    );
    let job = server.create(&paste).await;
    assert_eq!(job.paragraphs.len(), 3);
    assert!(job.paragraphs.iter().all(|p| !p.sentences.is_empty()));
    let reasons: Vec<_> = job.removed.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        vec![RemovalReason::Navigation, RemovalReason::PhotoCredit]
    );

    let events = server.events_to_end(&job.id, None).await;
    let ids: Vec<usize> = events.iter().map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        (1..=events.len()).collect::<Vec<_>>(),
        "ids count up from 1 without gaps"
    );
    assert_eq!(events[0].1, JobEvent::Queued { position: 1 });

    // Paragraphs are translated together, so their events interleave; each paragraph streams
    // before it is finished, once, and the summary (made from the English) comes after the last.
    let mut finished = [false; 3];
    let mut done_paragraphs = Vec::new();
    let mut summary_done = false;
    let mut interleaved = false;
    let mut last_paragraph = None;
    for (_, event) in &events[1..] {
        match event {
            JobEvent::TranslationDelta { paragraph, .. } => {
                assert!(!finished[*paragraph], "delta after done: {events:?}");
                interleaved |= last_paragraph.is_some_and(|p| p != *paragraph)
                    && !finished[last_paragraph.unwrap_or(0)];
                last_paragraph = Some(*paragraph);
            }
            JobEvent::TranslationDone { paragraph, .. } => {
                assert!(!finished[*paragraph], "finished twice: {events:?}");
                finished[*paragraph] = true;
                done_paragraphs.push(*paragraph);
            }
            JobEvent::SummaryDelta { .. } => assert!(finished.iter().all(|f| *f)),
            JobEvent::SummaryDone { .. } => {
                assert!(finished.iter().all(|f| *f));
                summary_done = true;
            }
            JobEvent::Done(figures) => {
                assert!(summary_done);
                assert!(figures.seconds > 0.0 && figures.prompt_tokens > 0);
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(
        interleaved,
        "the paragraphs should run together in the engine: {events:?}"
    );
    done_paragraphs.sort_unstable();
    assert_eq!(done_paragraphs, vec![0, 1, 2]);
    assert_done(&events);

    let snapshot = server.snapshot(&job.id).await;
    assert_eq!(snapshot.status, JobStatus::Done);
    assert!(snapshot.paragraphs.iter().all(|p| p.done));
    assert_eq!(snapshot.last_event_id, events.len());
    server.stop().await;
}

#[tokio::test]
async fn a_reconnecting_reader_gets_every_event_once() {
    for engine in Engine::ALL {
        a_reconnecting_reader_gets_every_event_once_on(engine).await;
    }
}

async fn a_reconnecting_reader_gets_every_event_once_on(engine: Engine) {
    let server = TestServer::start_on(engine, TinyModel::qwen2().cycling(), config()).await;
    let job = server.create(&article(3)).await;
    // Drop the connection after five events, as a flaky network would, and resume.
    let count = AtomicUsize::new(0);
    let first = server
        .read_events(&job.id, None, |_| {
            count.fetch_add(1, Ordering::SeqCst) + 1 >= 5
        })
        .await;
    assert_eq!(first.len(), 5);
    let rest = server.events_to_end(&job.id, Some(5)).await;
    assert_eq!(
        rest.first().map(|(id, _)| *id),
        Some(6),
        "resumes right after the last event seen"
    );
    let whole = server.events_to_end(&job.id, None).await;
    let joined: Vec<_> = first.into_iter().chain(rest).collect();
    assert_eq!(joined, whole, "nothing lost, nothing repeated");

    // The last id seen at the end: nothing more, the stream just ends.
    let after_end = server
        .read_events(&job.id, Some(whole.len()), |_| false)
        .await;
    assert!(after_end.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn cancelling_a_running_job_stops_it_and_frees_the_model() {
    for engine in Engine::ALL {
        cancelling_a_running_job_stops_it_and_frees_the_model_on(engine).await;
    }
}

async fn cancelling_a_running_job_stops_it_and_frees_the_model_on(engine: Engine) {
    let server = TestServer::start_on(engine, TinyModel::qwen2().cycling(), config()).await;
    let job = server.create(&article(30)).await;
    let seen = server
        .read_events(&job.id, None, |e| {
            matches!(e, JobEvent::TranslationDelta { .. })
        })
        .await;
    let response = server.delete(&format!("/api/jobs/{}", job.id)).await;
    assert_eq!(response.status(), 200);
    let snapshot: JobSnapshot = response.json().await.expect("snapshot");
    assert_eq!(snapshot.status, JobStatus::Cancelled);
    assert!(
        snapshot.paragraphs.iter().filter(|p| p.done).count() < 30,
        "cancelled before the end"
    );

    let rest = server.events_to_end(&job.id, Some(seen.len())).await;
    assert_eq!(
        rest.last().map(|(_, e)| e.clone()),
        Some(JobEvent::Cancelled {})
    );
    assert!(!rest.iter().any(|(_, e)| matches!(e, JobEvent::Done(_))));

    // The model is free for the next reader.
    server.run_to_done(&article(1)).await;
    server.stop().await;
}

#[tokio::test]
async fn a_job_of_forty_paragraphs_finishes_every_one_once() {
    for engine in Engine::ALL {
        a_job_of_forty_paragraphs_finishes_every_one_once_on(engine).await;
    }
}

async fn a_job_of_forty_paragraphs_finishes_every_one_once_on(engine: Engine) {
    let server = TestServer::start_on(engine, TinyModel::qwen2(), config()).await;
    let job = server.create(&article(40)).await;
    assert_eq!(job.paragraphs.len(), 40);
    let events = server.events_to_end(&job.id, None).await;
    let mut done: Vec<usize> = events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDone { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect();
    done.sort_unstable();
    assert_eq!(done, (0..40).collect::<Vec<_>>());
    assert_done(&events);
    server.stop().await;
}

#[tokio::test]
async fn jobs_wait_in_a_bounded_queue_and_learn_their_place() {
    // The model is held back from loading, so every job waits and the queue fills for sure.
    let (gate, loader, dir) = gated_loader(&TinyModel::qwen2());
    let server = TestServer::start_with(
        loader,
        ServiceConfig {
            queue: 2,
            ..config()
        },
        Some(dir),
    )
    .await;
    let health = server.health().await;
    assert_eq!(health["model"], "loading");
    assert_eq!(
        error_of(server.get("/api/info").await).await,
        (503, "model_loading".into())
    );

    let first = server.create(&article(1)).await;
    let second = server.create(&article(2)).await;
    let (status, code) = error_of(server.post_text(&article(3)).await).await;
    assert_eq!((status, code.as_str()), (429, "queue_full"));

    assert_eq!(server.snapshot(&second.id).await.position, Some(2));
    let cancelled: JobSnapshot = server
        .delete(&format!("/api/jobs/{}", first.id))
        .await
        .json()
        .await
        .expect("snapshot");
    assert_eq!(cancelled.status, JobStatus::Cancelled);
    assert_eq!(
        server.snapshot(&second.id).await.position,
        Some(1),
        "moves up when the one before leaves"
    );

    gate.send(()).expect("release the model");
    let events = server.events_to_end(&second.id, None).await;
    let positions: Vec<usize> = events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::Queued { position } => Some(*position),
            _ => None,
        })
        .collect();
    assert_eq!(positions, vec![2, 1]);
    assert_done(&events);
    server.stop().await;
}

#[tokio::test]
async fn a_job_nobody_reads_is_cancelled_and_one_being_read_is_not() {
    let (gate, loader, dir) = gated_loader(&TinyModel::qwen2());
    let config = ServiceConfig {
        abandon_after: Duration::from_millis(500),
        ..config()
    };
    let server = TestServer::start_with(loader, config, Some(dir)).await;
    let left = server.create(&article(1)).await;
    let watched = server.create(&article(2)).await;
    let reader = {
        let client = server.client.clone();
        let url = format!("{}/api/jobs/{}/events", server.base, watched.id);
        tokio::spawn(async move {
            let response = client.get(url).send().await.expect("events");
            let mut body = response.bytes_stream();
            while futures_util::StreamExt::next(&mut body).await.is_some() {}
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.snapshot(&left.id).await.status, JobStatus::Cancelled);
    assert_eq!(server.snapshot(&watched.id).await.status, JobStatus::Queued);
    reader.abort();
    drop(gate);
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors_and_do_not_harm_the_next_job() {
    let server = TestServer::start(
        TinyModel::qwen2(),
        ServiceConfig {
            max_chars: 500,
            ..config()
        },
    )
    .await;
    let post_raw = |body: &'static str, content_type: &'static str| {
        server
            .client
            .post(format!("{}/api/jobs", server.base))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let cases: Vec<(reqwest::Response, u16, &str)> = vec![
        (server.post_text("").await, 400, "empty_text"),
        (server.post_text(" \n\t \u{a0}\n").await, 400, "empty_text"),
        (
            server.post_text(&"é".repeat(501)).await,
            413,
            "text_too_long",
        ),
        (
            server.post_text(&"a".repeat(100_000)).await,
            413,
            "body_too_large",
        ),
        (
            server.post_text("Rechercher\n\nMenu\n\nPartager").await,
            422,
            "nothing_to_translate",
        ),
        (
            post_raw("{\"text\": ", "application/json")
                .await
                .expect("POST"),
            400,
            "invalid_json",
        ),
        (
            post_raw("{\"texte\": \"Bonjour\"}", "application/json")
                .await
                .expect("POST"),
            400,
            "invalid_json",
        ),
        (
            post_raw("{\"text\": 42}", "application/json")
                .await
                .expect("POST"),
            400,
            "invalid_json",
        ),
        (
            post_raw("Bonjour", "text/plain").await.expect("POST"),
            415,
            "unsupported_media_type",
        ),
        (
            server.get("/api/jobs/no-such-job").await,
            404,
            "job_not_found",
        ),
        (
            server.get("/api/jobs/no-such-job/events").await,
            404,
            "job_not_found",
        ),
        (
            server.delete("/api/jobs/no-such-job").await,
            404,
            "job_not_found",
        ),
        (server.get("/api/nothing-here").await, 404, "not_found"),
        (
            server
                .client
                .put(format!("{}/api/jobs", server.base))
                .send()
                .await
                .expect("PUT"),
            405,
            "method_not_allowed",
        ),
    ];
    for (response, status, code) in cases {
        assert_eq!(error_of(response).await, (status, code.to_string()));
    }
    server.run_to_done(&article(1)).await;
    server.stop().await;
}

#[tokio::test]
async fn health_and_info_describe_the_model() {
    let server = TestServer::start(TinyModel::llama(), config()).await;
    let info: serde_json::Value = server.get("/api/info").await.json().await.expect("info");
    assert_eq!(info["family"], "llama");
    assert_eq!(info["quantization"], "Q8_0");
    assert_eq!(info["file"], "tiny.gguf");
    assert!(info["file_size"].as_u64().is_some_and(|n| n > 0));
    assert!(info["threads"].as_u64().is_some_and(|n| n >= 1));
    let health = server.health().await;
    assert_eq!(health["status"], "ok");
    server.stop().await;
}

#[tokio::test]
async fn a_model_that_cannot_load_fails_waiting_jobs_clearly() {
    let (gate, held) = std::sync::mpsc::channel::<()>();
    let loader = Box::new(move |_: &models::CancelToken| {
        let _ = held.recv();
        Model::load(std::path::Path::new("/nonexistent/model.gguf")).map(models::Backend::built_in)
    });
    let server = TestServer::start_with(loader, config(), None).await;
    let job = server.create(&article(1)).await;
    gate.send(()).expect("release");
    let events = server.events_to_end(&job.id, None).await;
    match events.last() {
        Some((_, JobEvent::Error { code, message })) => {
            assert_eq!(code, "model_unavailable");
            assert!(message.contains("models fetch"), "{message}");
        }
        other => panic!("expected an error event, got {other:?}"),
    }
    assert_eq!(error_of(server.post_text(&article(1)).await).await.0, 503);
    server.stop().await;
}

/// A tiny model's English cannot hold the French's numbers: each paragraph is checked, a repair
/// is tried, and what still fails reaches the reader as flags
/// on `translation.done` and in `GET /api/jobs/{id}`, with offsets inside the English.
#[tokio::test]
async fn what_the_check_cannot_verify_reaches_the_reader_as_flags() {
    for engine in Engine::ALL {
        what_the_check_cannot_verify_reaches_the_reader_as_flags_on(engine).await;
    }
}

async fn what_the_check_cannot_verify_reaches_the_reader_as_flags_on(engine: Engine) {
    let server = TestServer::start_on(engine, TinyModel::qwen2().cycling(), config()).await;
    let paste = "Le port a reçu 600 000 euros le 4 novembre. Les travaux ont commencé.\n\nL'OTSC se réunit mardi à Moscou.";
    let job = server.create(paste).await;
    let events = server.events_to_end(&job.id, None).await;
    assert_done(&events);
    let mut flagged = 0;
    for (_, event) in &events {
        if let JobEvent::TranslationDone { text, flags, .. } = event {
            assert!(!flags.is_empty(), "{text:?} cannot hold 600 000 nor OTSC");
            for flag in flags {
                assert!(!flag.message.is_empty());
                if let Some([start, end]) = flag.english {
                    assert!(
                        start < end && end <= text.chars().count(),
                        "{flag:?} in {text:?}"
                    );
                }
            }
            flagged += 1;
        }
    }
    assert_eq!(flagged, 2);
    let snapshot = server.snapshot(&job.id).await;
    assert!(snapshot.paragraphs.iter().all(|p| !p.flags.is_empty()));
    let sources: Vec<&str> = snapshot.paragraphs[0]
        .flags
        .iter()
        .map(|f| f.source.as_str())
        .collect();
    assert!(sources.contains(&"600 000"), "{sources:?}");
    server.stop().await;
}
