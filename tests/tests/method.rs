//! How an article is written, on a tiny random-weight model: with the previous paragraph as
//! context the paragraphs are written one after another; with the article as context its runs
//! are written side by side, and a paragraph's English does not depend on what else runs; with several candidates each one is written several times and one
//! English is kept.

use crate::support::tiny_model_file;
use app::api::{Figures, JobEvent, Paragraph};
use models::fixtures::TinyModel;
use models::{Backend, CancelToken, Model};
use server::article::pipeline::{self, Context, Method, Outcome, Steps, Unsure};

fn paragraphs() -> Vec<Paragraph> {
    of_texts(&[
        "Le maire parle.",
        "Le conseil vote.",
        "La séance est levée.",
    ])
}

fn of_texts(texts: &[&str]) -> Vec<Paragraph> {
    texts
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
    let (events, figures) = run_on(model, &paragraphs(), method);
    (events, figures.generated_tokens)
}

/// The events and figures of one translation run of `paragraphs`.
fn run_on(model: &Backend, paragraphs: &[Paragraph], method: Method) -> (Vec<JobEvent>, Figures) {
    let mut events = Vec::new();
    let steps = Steps {
        summarize: false,
        repair: false,
        ..Steps::ALL
    };
    let outcome = pipeline::run(
        model,
        paragraphs,
        steps,
        method,
        &CancelToken::new(),
        &mut |e| events.push(e),
    )
    .expect("the run");
    let Outcome::Finished(figures) = outcome else {
        panic!("the run was not cancelled")
    };
    (events, figures)
}

/// Each paragraph's final English, by paragraph.
fn finals(events: &[JobEvent]) -> Vec<(usize, String)> {
    let mut done: Vec<(usize, String)> = events
        .iter()
        .filter_map(|e| match e {
            JobEvent::TranslationDone {
                paragraph, text, ..
            } => Some((*paragraph, text.clone())),
            _ => None,
        })
        .collect();
    done.sort();
    done
}

const ARTICLE: [&str; 8] = [
    "Le maire parle.",
    "Le conseil vote.",
    "La séance est levée.",
    "Les habitants protestent.",
    "La police arrive.",
    "Le préfet répond.",
    "Un accord est trouvé.",
    "Tout le monde rentre.",
];

#[test]
fn with_the_article_as_context_its_runs_are_written_side_by_side_reading_ahead() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2().cycling());
    let model = Backend::built_in(Model::load(&path).expect("load tiny model"));
    let article = of_texts(&ARTICLE);
    let method = Method {
        context: Context::Article,
        ..Method::default()
    };
    let (events, figures) = run_on(&model, &article, method);
    assert_eq!(finals(&events).len(), ARTICLE.len());
    let runs = pipeline::runs_of(&article, &model.pace());
    assert!(runs.len() > 1, "{runs:?}");
    // The runs' first paragraphs all start before the first run is done: side by side.
    let first_writes = |p: usize| {
        events
            .iter()
            .position(
                |e| matches!(e, JobEvent::TranslationDelta { paragraph, .. } if *paragraph == p),
            )
            .expect("every paragraph writes")
    };
    let done_at = |p: usize| {
        events
            .iter()
            .position(
                |e| matches!(e, JobEvent::TranslationDone { paragraph, .. } if *paragraph == p),
            )
            .expect("every paragraph is done")
    };
    let first_run_done = done_at(runs[0].end - 1);
    for r in &runs[1..] {
        assert!(
            first_writes(r.start) < first_run_done,
            "run {r:?} waited for the first"
        );
    }
    // Within a run, a paragraph writes only once the one before it has its English.
    for r in &runs {
        for p in r.start + 1..r.end {
            assert!(
                first_writes(p) > first_writes(p - 1),
                "paragraph {p} before its predecessor"
            );
        }
    }
    // Each later paragraph of a run found its predecessor's French already read, and the
    // confidence step its chat.
    assert!(
        figures.prompt_tokens_read < figures.prompt_tokens,
        "read {} of {}",
        figures.prompt_tokens_read,
        figures.prompt_tokens
    );
}

#[test]
fn a_paragraphs_english_is_the_same_alone_and_beside_another_article() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2());
    let model = Backend::built_in(Model::load(&path).expect("load tiny model"));
    let article = of_texts(&ARTICLE);
    let other = of_texts(&ARTICLE[2..7]);
    let method = Method {
        context: Context::Article,
        ..Method::default()
    };
    let (alone, _) = run_on(&model, &article, method);
    let (beside, _) = std::thread::scope(|s| {
        let other = s.spawn(|| run_on(&model, &other, method));
        let mine = run_on(&model, &article, method);
        other.join().expect("the other article");
        mine
    });
    assert_eq!(finals(&alone), finals(&beside));
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

/// The events and outcome of a run of [`ARTICLE`] that summarizes the English, cancelled once
/// `cancel_after` paragraphs are done (never with `None`).
fn summarized(
    model: &Backend,
    unsure: Unsure,
    cancel_after: Option<usize>,
) -> (Vec<JobEvent>, Outcome) {
    let cancel = CancelToken::new();
    let mut events = Vec::new();
    let method = Method {
        unsure,
        ..Method::default()
    };
    let outcome = pipeline::run(
        model,
        &of_texts(&ARTICLE),
        Steps::ALL,
        method,
        &cancel,
        &mut |e| {
            if matches!(e, JobEvent::TranslationDone { .. }) {
                let done = 1 + finals(&events).len();
                if Some(done) == cancel_after {
                    cancel.cancel();
                }
            }
            events.push(e);
        },
    )
    .expect("the run");
    (events, outcome)
}

#[test]
fn the_summary_is_written_once_every_paragraph_is_done_and_never_after_a_cancel() {
    let (_dir, path) = tiny_model_file(&TinyModel::qwen2().cycling());
    let model = Backend::built_in(Model::load(&path).expect("load tiny model"));
    let summaries = |events: &[JobEvent]| {
        events
            .iter()
            .filter(|e| matches!(e, JobEvent::SummaryDone { .. }))
            .count()
    };
    for unsure in [Unsure::Off, Unsure::Mark, Unsure::Rewrite] {
        let (events, outcome) = summarized(&model, unsure, None);
        assert!(matches!(outcome, Outcome::Finished(_)), "{unsure:?}");
        assert_eq!(finals(&events).len(), ARTICLE.len(), "{unsure:?}");
        assert_eq!(summaries(&events), 1, "{unsure:?}");
        // Its first word comes after the last paragraph is done.
        let summary_starts = events
            .iter()
            .position(|e| matches!(e, JobEvent::SummaryDelta { .. }))
            .expect("the summary is streamed");
        let last_done = events
            .iter()
            .rposition(|e| matches!(e, JobEvent::TranslationDone { .. }))
            .expect("paragraphs are done");
        assert!(last_done < summary_starts, "{unsure:?}");
    }
    // Cancelled with paragraphs still to come, the run ends (the summary's thread does not
    // wait for English that never comes) and no summary is written.
    let (events, outcome) = summarized(&model, Unsure::Mark, Some(2));
    assert!(matches!(outcome, Outcome::Cancelled));
    assert!(finals(&events).len() < ARTICLE.len());
    assert_eq!(summaries(&events), 0);
}
