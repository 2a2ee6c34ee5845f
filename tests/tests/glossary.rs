//! The reader's glossary: kept and edited through the API, attached to the paragraphs that hold
//! its terms, given to the model, and checked in what it wrote.

use crate::support::{config, config_with_history, error_message, real_model_path, TestServer};
use app::api::{FlagKind, JobEvent, Paragraph, Term};
use models::fixtures::TinyModel;
use models::{Backend, CancelToken, Model};
use server::article::pipeline::{self, Method, Outcome, Steps};

fn term(french: &str, english: &str) -> Term {
    Term {
        french: french.into(),
        english: english.into(),
    }
}

async fn put(server: &TestServer, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = server
        .client
        .put(format!("{}/api/glossary", server.base))
        .json(&body)
        .send()
        .await
        .expect("PUT");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

async fn get(server: &TestServer) -> serde_json::Value {
    server
        .client
        .get(format!("{}/api/glossary", server.base))
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON")
}

#[tokio::test]
async fn the_glossary_is_kept_attached_to_paragraphs_and_checked() {
    let dir = tempfile::tempdir().expect("data folder");
    let server = TestServer::start(TinyModel::qwen2(), config_with_history(dir.path())).await;
    let (status, body) = put(
        &server,
        serde_json::json!({ "terms": [
            { "french": " OTSC ", "english": "CSTO" },
            { "french": "Haut-Karabakh", "english": "Nagorno-Karabakh" }
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["terms"][0]["french"], "OTSC", "trimmed");
    let read = get(&server).await;
    assert_eq!(read, body);

    // A bad glossary is refused with where the fault is, and the kept one stays.
    let (status, bad) = put(
        &server,
        serde_json::json!({ "terms": [{ "french": "BCE", "english": "" }] }),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(bad["error"]["code"], "bad_glossary");
    assert!(error_message(&bad).contains("Term 1"), "{bad}");

    let job = server
        .create("Les soldats de l'OTSC sont arrivés à Erevan mardi.\n\nLe reste de l'article parle d'autre chose.")
        .await;
    assert_eq!(job.paragraphs[0].terms, [term("OTSC", "CSTO")]);
    assert!(job.paragraphs[1].terms.is_empty());
    // The tiny model writes no "CSTO": the English of paragraph 0 is marked for it.
    let events = server.events_to_end(&job.id, None).await;
    let flags: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDone {
                paragraph: 0,
                flags,
                ..
            } => Some(flags.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(
        flags
            .iter()
            .any(|f| f.kind == FlagKind::Glossary && f.source == "OTSC"),
        "{flags:?}"
    );
    server.stop().await;

    // Kept across a restart on the same folder.
    let server = TestServer::start(TinyModel::qwen2(), config_with_history(dir.path())).await;
    let read = get(&server).await;
    assert_eq!(read, body);
    server.stop().await;
}

#[tokio::test]
async fn without_history_the_glossary_lives_in_memory() {
    let server = TestServer::start(TinyModel::qwen2(), config()).await;
    let (status, body) = put(
        &server,
        serde_json::json!({ "terms": [{ "french": "BCE", "english": "ECB" }] }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let job = server.create("La BCE a maintenu ses taux.").await;
    assert_eq!(job.paragraphs[0].terms, [term("BCE", "ECB")]);
    server.stop().await;
}

/// The English of one paragraph through the server's pipeline (checked and repaired).
fn english(model: &Backend, terms: Vec<Term>) -> (String, Vec<app::api::Flag>) {
    let text = "Le ministre de l'Intérieur a annoncé mardi de nouvelles mesures contre les cambriolages dans les grandes villes.";
    let paragraph = Paragraph {
        id: 0,
        text: text.into(),
        sentences: vec![text.into()],
        terms,
    };
    let mut done = None;
    let steps = Steps {
        summarize: false,
        ..Steps::ALL
    };
    let outcome = pipeline::run(
        model,
        &[paragraph],
        steps,
        Method::default(),
        &CancelToken::new(),
        &mut |e| {
            if let JobEvent::TranslationDone { text, flags, .. } = e {
                done = Some((text, flags));
            }
        },
    )
    .expect("the run");
    assert!(matches!(outcome, Outcome::Finished(_)));
    done.expect("a finished paragraph")
}

#[test]
fn the_real_model_follows_the_glossary() {
    let path = real_model_path();
    let model = Backend::built_in(
        Model::load(&path).unwrap_or_else(|e| panic!("loading {}: {e}", path.display())),
    );
    let (plain, _) = english(&model, Vec::new());
    assert!(!plain.to_lowercase().contains("home secretary"), "{plain}");
    let (asked, flags) = english(
        &model,
        vec![term("ministre de l'Intérieur", "Home Secretary")],
    );
    assert!(asked.to_lowercase().contains("home secretary"), "{asked}");
    assert!(
        !flags.iter().any(|f| f.kind == FlagKind::Glossary),
        "{flags:?}"
    );
}
