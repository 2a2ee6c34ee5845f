//! How an article is written, on a tiny random-weight model: with the previous paragraph as
//! context the paragraphs are written one after another; with several candidates each one is
//! written several times and one English is kept.

use crate::support::tiny_model_file;
use app::api::{JobEvent, Paragraph};
use models::fixtures::TinyModel;
use models::{Backend, CancelToken, Model};
use server::article::pipeline::{self, Context, Method, Outcome, Steps};

fn paragraphs() -> Vec<Paragraph> {
    [
        "Le maire parle.",
        "Le conseil vote.",
        "La séance est levée.",
    ]
    .iter()
    .enumerate()
    .map(|(id, text)| Paragraph {
        id,
        text: text.to_string(),
        sentences: vec![text.to_string()],
        terms: Vec::new(),
    })
    .collect()
}

/// The events of one translation run, and its generated token count.
fn run(model: &Backend, method: Method) -> (Vec<JobEvent>, usize) {
    let mut events = Vec::new();
    let steps = Steps {
        summarize: false,
        repair: false,
        ..Steps::ALL
    };
    let outcome = pipeline::run(
        model,
        &paragraphs(),
        steps,
        method,
        &CancelToken::new(),
        &mut |e| events.push(e),
    )
    .expect("the run");
    let Outcome::Finished(figures) = outcome else {
        panic!("the run was not cancelled")
    };
    (events, figures.generated_tokens)
}

#[test]
fn with_the_previous_paragraph_as_context_paragraphs_are_written_in_order() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2().cycling());
    let model = Backend::built_in(Model::load(&path).expect("load tiny model"));
    let method = Method {
        context: Context::Previous,
        candidates: 1,
        ..Method::default()
    };
    let (events, _) = run(&model, method);
    let done: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::TranslationDone { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect();
    assert_eq!(done, vec![0, 1, 2]);
    // No paragraph writes before the one it follows has written all of its English.
    let writers: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::TranslationDelta { paragraph, .. } => Some(*paragraph),
            _ => None,
        })
        .collect();
    assert!(writers.contains(&2), "every paragraph wrote");
    assert!(
        writers.windows(2).all(|w| w[0] <= w[1]),
        "paragraphs wrote side by side: {writers:?}"
    );
}

#[test]
fn several_candidates_are_written_and_one_english_is_kept() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2().cycling());
    let model = Backend::built_in(Model::load(&path).expect("load tiny model"));
    let one = Method {
        context: Context::None,
        candidates: 1,
        ..Method::default()
    };
    let (events_one, tokens_one) = run(&model, one);
    let (events_three, tokens_three) = run(
        &model,
        Method {
            candidates: 3,
            ..one
        },
    );
    let done = |events: &[JobEvent]| {
        events
            .iter()
            .filter(|e| matches!(e, JobEvent::TranslationDone { .. }))
            .count()
    };
    assert_eq!(done(&events_one), 3);
    assert_eq!(done(&events_three), 3, "one final English per paragraph");
    assert!(
        tokens_three > 2 * tokens_one,
        "three candidates each: {tokens_three} tokens against {tokens_one}"
    );
}
