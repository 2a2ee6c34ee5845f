//! The `passerelle` binary killed with SIGKILL in the middle of an article, started again on
//! the same data folder: the reader reconnects with the last event id it saw and gets the rest,
//! with no paragraph lost or written twice.

// A test fails by panicking.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use app::api::{JobCreated, JobEvent};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use models::fixtures::TinyModel;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(180);

/// `passerelle serve` on a free loopback port; killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(model: &Path, data: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_passerelle"))
            .arg("serve")
            .args(["--addr", "127.0.0.1:0"])
            .arg("--model")
            .arg(model)
            .arg("--data-dir")
            .arg(data)
            .arg("--site-dir")
            .arg(data.join("no-site"))
            .env("NO_COLOR", "1")
            .env("PASSERELLE_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start passerelle");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the log to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("serving on http://") {
                    let address: String = line[at + "serving on ".len()..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
                        .collect();
                    let _ = tx.send(address);
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the server said where it listens");
        Self { child, base }
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_until_ready(client: &reqwest::Client, base: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let health: serde_json::Value = client
            .get(format!("{base}/api/health"))
            .send()
            .await
            .expect("health")
            .json()
            .await
            .expect("json");
        if health["model"] == "ready" {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the model did not load"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Events after `last`, until `stop` says so for one of them or the stream ends.
async fn read(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    last: Option<usize>,
    stop: impl Fn(&JobEvent) -> bool,
) -> Vec<(usize, JobEvent)> {
    let mut request = client.get(format!("{base}/api/jobs/{id}/events"));
    if let Some(last) = last {
        request = request.header("Last-Event-ID", last.to_string());
    }
    let response = request.send().await.expect("events");
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream().eventsource();
    let mut events = Vec::new();
    let reading = async {
        while let Some(item) = stream.next().await {
            let item = item.expect("SSE framing");
            let event = JobEvent::from_wire(&item.event, &item.data).expect("known event");
            let done = stop(&event);
            events.push((item.id.parse().expect("numeric id"), event));
            if done {
                break;
            }
        }
    };
    tokio::time::timeout(PATIENCE, reading)
        .await
        .expect("events in time");
    events
}

fn finished(events: &[(usize, JobEvent)]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDone { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect()
}

/// Kills the server once paragraph `kill_after` is finished, restarts it, and checks that the
/// article completes with every paragraph finished once and contiguous event ids. Returns the
/// data folder and the job.
async fn kill_and_resume(
    model: &Path,
    text: &str,
    paragraphs: usize,
    kill_after: usize,
) -> (tempfile::TempDir, JobCreated) {
    let data = tempfile::tempdir().expect("data dir");
    let client = reqwest::Client::new();
    let served = Served::start(model, data.path());
    wait_until_ready(&client, &served.base).await;
    let response = client
        .post(format!("{}/api/jobs", served.base))
        .json(&serde_json::json!({ "text": text }))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), 201);
    let job: JobCreated = response.json().await.expect("job");
    assert_eq!(job.paragraphs.len(), paragraphs);
    let before = read(
        &client,
        &served.base,
        &job.id,
        None,
        |e| matches!(e, JobEvent::TranslationDone { paragraph, .. } if *paragraph == kill_after),
    )
    .await;
    served.kill();

    let served = Served::start(model, data.path());
    let last = before.last().map(|(id, _)| *id);
    let after = read(&client, &served.base, &job.id, last, JobEvent::is_final).await;
    assert!(
        matches!(after.last(), Some((_, JobEvent::Done(_)))),
        "the article finished: {after:?}"
    );
    let ids: Vec<usize> = before.iter().chain(&after).map(|(id, _)| *id).collect();
    assert_eq!(ids, (1..=ids.len()).collect::<Vec<_>>(), "contiguous ids");
    assert!(after.iter().any(|(_, e)| *e == JobEvent::Resumed {}));
    let mut done = finished(&before);
    done.extend(finished(&after));
    done.sort_unstable();
    assert_eq!(
        done,
        (0..paragraphs).collect::<Vec<_>>(),
        "every paragraph once"
    );
    let rewritten: BTreeSet<usize> = after
        .iter()
        .skip_while(|(_, e)| *e != JobEvent::Resumed {})
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDelta { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect();
    assert!(
        rewritten.iter().all(|p| !finished(&before).contains(p)),
        "paragraphs finished before the kill are not written again: {rewritten:?}"
    );
    (data, job)
}

/// `passerelle history …` on `data`: its standard output, or a failure with its error.
fn history(data: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .arg("history")
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .output()
        .expect("run passerelle history");
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

#[tokio::test]
async fn a_killed_server_resumes_the_article_with_tiny_models() {
    let dir = tempfile::tempdir().expect("model dir");
    let model = dir.path().join("tiny.gguf");
    TinyModel::qwen2()
        .cycling()
        .write(&model)
        .expect("tiny model");
    let text = (1..=8)
        .map(|i| {
            format!("Le conseil a voté la délibération numéro {i} mardi soir, après un long débat.")
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let (data, job) = kill_and_resume(&model, &text, 8, 2).await;

    // The finished article, from the command line.
    let list = history(data.path(), &["list"]).expect("list");
    assert!(list.contains(&job.id) && list.contains("done"), "{list}");
    assert!(
        list.contains("Le conseil a voté la délibération numéro 1"),
        "{list}"
    );
    assert_eq!(
        history(data.path(), &["list", "budget"]).expect("search"),
        ""
    );
    let english = history(data.path(), &["export", &job.id, "--format", "txt"]).expect("export");
    assert_eq!(english.trim().split("\n\n").count(), 8, "{english}");
    let html = history(data.path(), &["export", &job.id, "--format", "html"]).expect("export");
    assert_eq!(html.matches("<tr><td lang=\"fr\">").count(), 8);
    let shown = history(data.path(), &["show", &job.id]).expect("show");
    assert!(shown.starts_with("Le conseil a voté"), "{shown}");
    let refused = history(data.path(), &["clear"]).expect_err("clear asks for --yes");
    assert!(refused.contains("--yes"), "{refused}");
    history(data.path(), &["delete", &job.id]).expect("delete");
    let missing = history(data.path(), &["show", &job.id]).expect_err("deleted");
    assert!(missing.contains("no article"), "{missing}");
    assert_eq!(history(data.path(), &["list"]).expect("list"), "");
}

#[tokio::test]
async fn a_killed_server_resumes_the_article_with_the_real_model() {
    let model = server::cli::GlobalArgs::from_env().model_path();
    assert!(
        model.is_file(),
        "the real model is not at {}; run `passerelle models fetch` first",
        model.display()
    );
    let text = "Le conseil municipal de Lyon a voté mardi un budget de 3,2 milliards d'euros.\n\n\
                Les écoles recevront 40 millions d'euros de plus qu'en 2023.\n\n\
                Le maire a promis de nouvelles pistes cyclables avant l'été prochain.";
    let _ = kill_and_resume(&model, text, 3, 0).await;
}
