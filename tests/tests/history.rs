//! Articles kept in the history: listed, searched, exported, deleted, reused by the
//! translation memory, and carried on across a restart of the server.

use crate::support::{article, assert_done, config_with_history, translated, TestServer};
use app::api::{HistoryEntry, JobEvent, JobStatus};
use models::fixtures::TinyModel;
use std::collections::BTreeSet;

fn written(events: &[(usize, JobEvent)]) -> BTreeSet<usize> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDelta { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect()
}

async fn history(server: &TestServer, query: &str) -> Vec<HistoryEntry> {
    let response = server.get(&format!("/api/history{query}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("history")
}

#[tokio::test]
async fn articles_are_listed_searched_exported_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(TinyModel::qwen2(), config_with_history(dir.path())).await;
    let first = server
        .create("Les écoles de Lyon\n\nLes écoles ouvrent lundi.")
        .await;
    server.events_to_end(&first.id, None).await;
    let second = server
        .create("Le budget de Paris\n\nLe budget est voté.")
        .await;
    server.events_to_end(&second.id, None).await;

    let all = history(&server, "").await;
    assert_eq!(
        all.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        vec![second.id.as_str(), first.id.as_str()],
        "newest first"
    );
    assert_eq!(all[0].title, "Le budget de Paris");
    assert_eq!(all[0].paragraphs, 2);
    assert_eq!(all[0].status, JobStatus::Done);
    let found = history(&server, "?q=%C3%A9coles%20Lyon").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, first.id);

    // The three exports hold the article as it was read.
    let snapshot = server.snapshot(&first.id).await;
    let english: Vec<String> = snapshot
        .paragraphs
        .iter()
        .map(|p| p.translation.trim().to_string())
        .collect();
    let export = |format: &'static str| {
        let server = &server;
        let id = first.id.clone();
        async move {
            let response = server
                .get(&format!("/api/jobs/{id}/export?format={format}"))
                .await;
            assert_eq!(response.status(), 200, "{format}");
            let disposition = response.headers()["content-disposition"]
                .to_str()
                .expect("ascii")
                .to_string();
            assert!(
                disposition.starts_with("attachment;")
                    && disposition.ends_with(&format!(".{format}\""))
            );
            response.text().await.expect("body")
        }
    };
    let markdown = export("md").await;
    assert!(markdown.starts_with("# Les écoles de Lyon\n"), "{markdown}");
    assert!(
        markdown.contains("> Les écoles ouvrent lundi."),
        "{markdown}"
    );
    let html = export("html").await;
    assert!(
        html.contains("<td lang=\"fr\">Les écoles ouvrent lundi.</td>"),
        "{html}"
    );
    assert_eq!(html.matches("<tr><td").count(), 2);
    let text = export("txt").await;
    let expected: Vec<&str> = english
        .iter()
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(text, format!("{}\n", expected.join("\n\n")));
    for paragraph in expected {
        assert!(
            markdown.contains(paragraph),
            "the English is in the Markdown"
        );
    }
    let response = server
        .get(&format!("/api/jobs/{}/export?format=pdf", first.id))
        .await;
    assert_eq!(response.status(), 400);

    let response = server.delete(&format!("/api/history/{}", first.id)).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        server
            .get(&format!("/api/jobs/{}", first.id))
            .await
            .status(),
        404
    );
    assert_eq!(history(&server, "").await.len(), 1);
    let response = server.delete("/api/history").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["deleted"], 1);
    assert!(history(&server, "").await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_second_paste_with_one_paragraph_changed_writes_only_that_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(TinyModel::qwen2(), config_with_history(dir.path())).await;
    let original = article(8);
    let first = server.run_to_done(&original).await;
    assert_eq!(written(&first).len(), 8);

    let mut paragraphs: Vec<String> = original.split("\n\n").map(String::from).collect();
    paragraphs[5] = "Le maire a annoncé jeudi la fermeture de la piscine pour travaux.".into();
    let second = server.run_to_done(&paragraphs.join("\n\n")).await;
    assert_eq!(
        written(&second),
        BTreeSet::from([5]),
        "the model ran on the changed paragraph only"
    );
    // Runs of the article go side by side, so memory hits arrive in no fixed order.
    let from_memory: BTreeSet<usize> = second
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDone {
                paragraph,
                from_memory: true,
                ..
            } => Some(*paragraph),
            _ => None,
        })
        .collect();
    assert_eq!(from_memory, BTreeSet::from([0, 1, 2, 3, 4, 6, 7]));
    let mut done = translated(&second);
    done.sort_unstable();
    assert_eq!(done, (0..8).collect::<Vec<_>>());
    server.stop().await;
}

#[tokio::test]
async fn after_a_restart_the_article_goes_on_where_it_stopped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(
        TinyModel::qwen2().cycling(),
        config_with_history(dir.path()),
    )
    .await;
    let job = server.create(&article(6)).await;
    // Stopped once paragraph 1 is finished: 0 and 1 share a run and the previous paragraph is
    // context by default, so 0 is finished too (the second run may have finished some of its own).
    let before = server
        .read_events(&job.id, None, |e| {
            matches!(e, JobEvent::TranslationDone { paragraph: 1, .. })
        })
        .await;
    server.stop().await;

    let server = TestServer::start(
        TinyModel::qwen2().cycling(),
        config_with_history(dir.path()),
    )
    .await;
    let last_seen = before.last().map(|(id, _)| *id);
    let after = server.events_to_end(&job.id, last_seen).await;
    assert_done(&after);
    let ids: Vec<usize> = before.iter().chain(&after).map(|(id, _)| *id).collect();
    assert_eq!(
        ids,
        (1..=ids.len()).collect::<Vec<_>>(),
        "ids are contiguous across the restart"
    );
    assert!(after.iter().any(|(_, e)| *e == JobEvent::Resumed {}));
    let mut done = translated(&before);
    done.extend(translated(&after));
    done.sort_unstable();
    assert_eq!(
        done,
        (0..6).collect::<Vec<_>>(),
        "every paragraph finished once"
    );
    assert!(
        written(&after).is_disjoint(&BTreeSet::from([0, 1])),
        "finished paragraphs are not written again"
    );

    // A reader coming back from the start gets the same events again, from the disk.
    let replay = server.events_to_end(&job.id, None).await;
    assert_eq!(replay.len(), ids.len());
    assert_eq!(&replay[..before.len()], &before[..]);
    server.stop().await;
}
