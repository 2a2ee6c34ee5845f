//! The repair loop on a tiny random-weight model: a paragraph that fails the check is translated
//! again, whole and sentence by sentence, and a candidate is kept only if it has fewer flags.

use crate::support::tiny_model_file;
use app::api::Paragraph;
use models::fixtures::TinyModel;
use models::{Backend, CancelToken, EngineConfig, Model};

#[test]
fn a_failing_paragraph_is_translated_again_two_ways() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2().cycling());
    let config = EngineConfig {
        shared_instructions: models::tasks::INSTRUCTIONS,
        ..EngineConfig::default()
    };
    let model = Backend::built_in(Model::load_with(&path, config).expect("load tiny model"));
    let french = "Le port a reçu 600 000 euros le 4 novembre. Les travaux ont commencé.";
    let sentences = vec![
        "Le port a reçu 600 000 euros le 4 novembre.".to_string(),
        "Les travaux ont commencé.".to_string(),
    ];
    let first = "the the the".to_string();
    let paragraph = Paragraph {
        id: 0,
        text: french.into(),
        sentences,
        terms: Vec::new(),
    };
    let checked = server::article::repair::paragraph(
        &model,
        &paragraph,
        &[],
        first.clone(),
        &CancelToken::new(),
    )
    .expect("repair");
    // One whole translation naming what was lost, and one per sentence.
    assert_eq!(checked.used.len(), 2);
    assert_eq!(
        checked.used[1].attempts.len(),
        2,
        "one generation per sentence"
    );
    let first_flags = checks::check_translation(french, &first).len();
    assert!(checked.flags.len() <= first_flags);
    if checked.text != first {
        assert!(
            checked.flags.len() < first_flags,
            "replaced only by a better candidate"
        );
    }

    // Nothing to repair: no second attempt.
    let short = Paragraph {
        id: 0,
        text: "Il part.".into(),
        sentences: vec!["Il part.".into()],
        terms: Vec::new(),
    };
    let fine = server::article::repair::paragraph(
        &model,
        &short,
        &[],
        "He leaves.".to_string(),
        &CancelToken::new(),
    )
    .expect("check");
    assert!(fine.used.is_empty() && fine.flags.is_empty());
}
