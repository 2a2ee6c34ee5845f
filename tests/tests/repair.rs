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
        "",
        &[],
        first.clone(),
        None,
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
        "",
        &[],
        "He leaves.".to_string(),
        None,
        &CancelToken::new(),
    )
    .expect("check");
    assert!(fine.used.is_empty() && fine.flags.is_empty());
}

/// The tiny model with random weights, loaded; the folder lasts as long as the guard.
fn random_model() -> (tempfile::TempDir, Backend) {
    let (dir, path) = tiny_model_file(&TinyModel::qwen2());
    let model = Backend::built_in(Model::load(&path).expect("load tiny model"));
    (dir, model)
}

/// Two French sentences, and their English.
fn two_sentences() -> Vec<String> {
    vec![
        "Le port a reçu des fonds.".to_string(),
        "Les travaux ont commencé.".to_string(),
    ]
}
const TWO_SENTENCES_ENGLISH: &str = "The port received funds. The works have begun.";

/// The confidence step reads the round trip and the French alone only for sentences the model
/// did not write surely: a sentence written with a mean log-probability at or above
/// `SURE_AS_WRITTEN` is not read again, and is not marked; the other is read and, the model
/// being random, marked. Asked to read every sentence, both are read.
#[test]
fn a_sentence_written_surely_is_not_read_again_nor_marked() {
    use models::tasks::confidence::SURE_AS_WRITTEN;
    use models::TokenLogprob;
    use server::article::unsure::{assess, Reading, Translated};
    let (_dir, model) = random_model();
    let sentences = two_sentences();
    let english = TWO_SENTENCES_ENGLISH;
    let token = |token: &str, logprob: f32| TokenLogprob {
        token: token.to_string(),
        logprob,
        spread: None,
    };
    // As the engine wrote them: the first sentence surely, the second not.
    let written = vec![
        token("The port received funds.", SURE_AS_WRITTEN + 0.1),
        token(" The works", -2.0),
        token(" have begun.", -2.5),
    ];
    let ask = models::tasks::Ask::default();
    let translated = Translated {
        sentences: &sentences,
        english,
        ask: &ask,
        written: &written,
    };
    let cancel = CancelToken::new();
    let cascade = assess(
        &model,
        &model,
        &translated,
        Reading::NotSureAsWritten,
        &cancel,
    )
    .expect("assess");
    assert_eq!(cascade.len(), 2, "{cascade:?}");
    let (sure, unsure) = (&cascade[0].signals, &cascade[1].signals);
    assert!(sure.sure_as_written() && !unsure.sure_as_written());
    assert_eq!(
        (sure.back_mean, sure.french_alone),
        (None, None),
        "{sure:?}"
    );
    assert!(
        unsure.back_mean.is_some() && unsure.french_alone.is_some(),
        "{unsure:?}"
    );
    assert!(!sure.is_unsure(), "{:?}", sure.unsure_score());
    assert!(unsure.is_unsure(), "{:?}", unsure.unsure_score());
    let every = assess(&model, &model, &translated, Reading::Every, &cancel).expect("assess");
    assert!(every
        .iter()
        .all(|a| a.signals.back_mean.is_some() && a.signals.french_alone.is_some()));
    assert_eq!(every[1].signals, cascade[1].signals);
}

/// A model with random weights finds every token about as unlikely as any other: the
/// confidence step marks each sentence it can score as unsure, with the whole sentence as the
/// span, and leaves the checks' flags as they were; an English the repair read is not read again
/// for its marks.
#[test]
fn a_random_model_is_unsure_of_every_sentence() {
    let (_dir, model) = random_model();
    let sentences = two_sentences();
    let english = TWO_SENTENCES_ENGLISH;
    let ask = models::tasks::Ask::default();
    let assessed = server::article::unsure::assess(
        &model,
        &model,
        &server::article::unsure::Translated {
            sentences: &sentences,
            english,
            ask: &ask,
            written: &[],
        },
        server::article::unsure::Reading::Every,
        &CancelToken::new(),
    )
    .expect("assess");
    assert_eq!(assessed.len(), 2, "{assessed:?}");
    for a in &assessed {
        assert!(
            a.signals.is_unsure(),
            "{a:?}: {:?}",
            a.signals.unsure_score()
        );
    }
    let check = |_: &str| Vec::new();
    let step = server::article::unsure::Paragraph {
        written_in: &model,
        sentences: &sentences,
        written: &[],
        ask: &ask,
        check: &check,
        rewrite: false,
    };
    let cancel = CancelToken::new();
    let reader = server::article::unsure::Reader::new(&model, &step, &cancel);
    // What the repair asks of an English, and then the marks of the same English: read once.
    assert_eq!(reader.unsure_sentences(english).expect("read"), 2);
    let steps = || model.model().expect("built-in").engine_stats().steps;
    let before = steps();
    let checked = server::article::unsure::paragraph(
        &reader,
        server::article::repair::Checked::as_written(english.to_string(), Vec::new()),
    )
    .expect("confidence step");
    assert_eq!(checked.text, english);
    assert_eq!(steps(), before, "the marks read nothing again");
    let spans: Vec<Option<(usize, usize)>> = checked.flags.iter().map(|f| f.english).collect();
    assert_eq!(spans, vec![Some((0, 24)), Some((25, 46))]);
    assert!(checked
        .flags
        .iter()
        .all(|f| f.kind == checks::FlagKind::Unsure && f.message.contains("unsure")));
}
