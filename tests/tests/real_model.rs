//! The default model itself, on text written for these tests. It must be in the models folder:
//! `passerelle models fetch` (or the README's setup command) puts it there.

use checks::language;
use models::tasks;
use models::{Backend, CancelToken, Model};
use std::sync::OnceLock;

/// One loaded model for every test here: the tests run at once, and the engine batches them.
fn model() -> &'static Backend {
    static MODEL: OnceLock<Backend> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = crate::support::real_model_path();
        Backend::built_in(
            Model::load(&path).unwrap_or_else(|e| panic!("loading {}: {e}", path.display())),
        )
    })
}

fn assert_no_wrapping(english: &str) {
    let lower = english.to_lowercase();
    for meta in [
        "here is",
        "here's",
        "translation",
        "translated",
        "note:",
        "summary:",
        "french",
    ] {
        assert!(
            !lower.contains(meta),
            "the model's own words (`{meta}`) got through: {english}"
        );
    }
}

#[test]
fn translates_a_french_paragraph_into_plain_english() {
    let french = "Le maire de Lyon a annoncé mardi la construction de trois nouvelles écoles \
dans le quartier de la gare. Les travaux commenceront au printemps et coûteront 25 millions d'euros.";
    let model = model();
    let mut streamed = String::new();
    let out = tasks::translate(
        model,
        french,
        &tasks::Ask::default(),
        &CancelToken::new(),
        &mut |d| streamed.push_str(d),
    )
    .expect("translation");
    let english = out.text.to_lowercase();
    for word in [
        "mayor",
        "lyon",
        "tuesday",
        "three",
        "school",
        "station",
        "spring",
        "25 million",
    ] {
        assert!(
            english.contains(word),
            "`{word}` missing from: {}",
            out.text
        );
    }
    assert_no_wrapping(&out.text);
    assert!(language::is_english(&out.text), "not English: {}", out.text);
    assert_eq!(streamed.trim(), out.text, "what streamed is what was kept");
}

#[test]
fn summarizes_english_in_one_short_paragraph() {
    let article = "The city council of Leeds approved a plan on Monday to close the city centre to cars on Saturdays from next March.\n\n\
The plan, which was debated for six months, will ban private cars from 10 am to 6 pm in the streets around the market. Buses, taxis and delivery vans will still be allowed.\n\n\
Shop owners are divided. Some fear they will lose customers who come by car, while others expect more people to walk and stay longer.\n\n\
The council will spend 3 million pounds on new cycle lanes and extra buses, and will review the scheme after one year.";
    let model = model();
    let out = tasks::summarize(model, article, &CancelToken::new(), &mut |_| {})
        .expect("summary")
        .output;
    let summary = out.text.to_lowercase();
    assert!(
        summary.contains("leeds") || summary.contains("council"),
        "{}",
        out.text
    );
    assert!(summary.contains("car"), "{}", out.text);
    assert!(!out.text.contains('\n'), "one paragraph: {}", out.text);
    // In its own words: no sentence of the article copied whole.
    for sentence in article
        .split(['.', '\n'])
        .map(str::trim)
        .filter(|s| s.split_whitespace().count() >= 6)
    {
        let copied = sentence.to_lowercase();
        assert!(
            !summary.contains(&copied),
            "copied {sentence:?}: {}",
            out.text
        );
    }
    let sentences = out
        .text
        .split_terminator(['.', '!', '?'])
        .filter(|s| s.trim().len() > 3)
        .count();
    assert!(
        (1..=tasks::SUMMARY_MAX_SENTENCES).contains(&sentences),
        "{sentences} sentences: {}",
        out.text
    );
    assert_no_wrapping(&out.text);
}

/// A messy paste through the whole server with the real model: cleaned, translated paragraph
/// by paragraph, summarized. The figures are printed (`--nocapture`) for the record.
#[tokio::test]
async fn a_messy_paste_comes_back_in_english_over_http() {
    use crate::support::{config, TestServer};
    use app::api::{JobEvent, RemovalReason};

    let path = crate::support::real_model_path();
    let mut server = TestServer::start_with(crate::support::loading(path), config(), None).await;
    server.patience = crate::support::REAL_MODEL_PATIENCE;
    server.wait_until_ready().await;
    let paste = include_str!("../fixtures/paste-fr.txt");
    let job = server.create(paste).await;
    let reasons: Vec<RemovalReason> = job.removed.iter().map(|r| r.reason).collect();
    for expected in [
        RemovalReason::Navigation,
        RemovalReason::PhotoCredit,
        RemovalReason::Duplicate,
    ] {
        assert!(
            reasons.contains(&expected),
            "{expected:?} missing from {:?}",
            job.removed
        );
    }
    assert_eq!(job.paragraphs.len(), 3, "{:#?}", job.paragraphs);

    let events = server.events_to_end(&job.id, None).await;
    let mut done: Vec<(usize, String)> = events
        .iter()
        .filter_map(|(_, e)| match e {
            JobEvent::TranslationDone {
                paragraph, text, ..
            } => Some((*paragraph, text.clone())),
            _ => None,
        })
        .collect();
    // The paragraphs run together and finish in any order; each once.
    done.sort_by_key(|(p, _)| *p);
    assert_eq!(
        done.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
    let english = done
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    for word in ["solar", "brest", "42", "martinique", "captain", "7,000"] {
        assert!(
            english.contains(word) || english.contains(&word.replace(',', " ")),
            "`{word}` missing from: {english}"
        );
    }
    for (_, text) in &done {
        assert_no_wrapping(text);
    }
    let summary = events.iter().find_map(|(_, e)| match e {
        JobEvent::SummaryDone { text, .. } => Some(text.clone()),
        _ => None,
    });
    let summary = summary.expect("a summary");
    assert!(
        language::is_english(&summary) && summary.to_lowercase().contains("solar"),
        "{summary}"
    );
    match events.last() {
        Some((_, JobEvent::Done(f))) => eprintln!(
            "real model over HTTP: first English after {:.2} s, total {:.1} s, prompt {} tokens at {:.1}/s, generated {} tokens at {:.1}/s",
            f.first_token_seconds.unwrap_or(f.seconds),
            f.seconds,
            f.prompt_tokens,
            f.prompt_tokens_per_second,
            f.generated_tokens,
            f.tokens_per_second
        ),
        other => panic!("expected done, got {other:?}"),
    }
    server.stop().await;
}

#[test]
fn the_engine_forward_matches_candles_qwen2_on_the_real_model() {
    let path = crate::support::real_model_path();
    let prompt = models::Family::Qwen2.chat_prompt(
        "Translate the French text into English.",
        "Le conseil municipal a voté le budget des écoles mercredi soir.",
    );
    let built_in = model().model().expect("the built-in engine");
    let ids = built_in.tokenizer().encode(&prompt).expect("encode");
    let check = models::reference::compare_last_logits(&path, &ids).expect("compare");
    eprintln!("engine against candle: {check:?}");
    // Both sides round every layer's activations to 8 bits the same way, but a last-bit float
    // difference can flip one rounding step, and 28 layers spread it: measured here, the largest
    // logit moves by about 4 % of the largest logit, the mean by far less. A wrong layer would
    // move every logit and lose the ranking.
    assert!(check.same_argmax, "{check:?}");
    assert_eq!(check.top5_in_top10, 5, "{check:?}");
    assert!(check.mean_abs_diff <= 0.01 * check.max_abs, "{check:?}");
    assert!(check.max_abs_diff <= 0.08 * check.max_abs, "{check:?}");
}

#[test]
fn paragraphs_give_the_same_english_alone_and_together() {
    let paragraphs = [
        "Le maire a inauguré mardi la nouvelle médiathèque du quartier.",
        "Selon la préfecture, 1 200 personnes ont manifesté samedi dans le centre-ville pour \
demander davantage de moyens pour l'hôpital.",
        "La ligne de tramway sera prolongée de trois kilomètres d'ici 2027.",
        "Le club a remporté son troisième match consécutif.",
    ];
    let model = model();
    let translate = |french: &str| {
        tasks::translate(
            model,
            french,
            &tasks::Ask::default(),
            &CancelToken::new(),
            &mut |_| {},
        )
        .expect("translation")
        .text
    };
    let alone: Vec<String> = paragraphs.iter().map(|p| translate(p)).collect();
    let together: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = paragraphs
            .iter()
            .map(|p| s.spawn(move || translate(p)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(alone, together);
}

#[test]
fn the_round_trip_finds_the_french_less_likely_after_a_wrong_meaning() {
    // The messy paste's wrong meaning: Baku retook the territory, not the other way round.
    let french =
        "Une offensive éclair a suffi à Bakou pour récupérer le contrôle de ce territoire disputé.";
    let right =
        "A lightning offensive was enough for Baku to regain control of this disputed territory.";
    let wrong = "An offensive has sufficed to recapture control of Bakou, which has been disputed.";
    let model = model();
    let cancel = CancelToken::new();
    let back = |english: &str| {
        tasks::confidence::back(model, english, french, &cancel)
            .expect("scoring")
            .expect("the built-in engine scores a given text")
            .mean
    };
    let (right_back, wrong_back) = (back(right), back(wrong));
    assert!(
        right_back > wrong_back,
        "the French should be likelier after the right English: {right_back} against {wrong_back}"
    );
    // The written signals, read again from the translation prompt: the model wrote the wrong
    // one itself, so they need not tell the two apart; they must be there and be
    // probabilities.
    for english in [right, wrong] {
        let tokens =
            tasks::confidence::reread(model, french, english, &tasks::Ask::default(), &cancel)
                .expect("scoring")
                .expect("the built-in engine scores a given text");
        let stats =
            tasks::confidence::written(&tokens, &[english])[0].expect("the sentence is found");
        let (mean, min) = (stats.mean, stats.min);
        assert!(
            min <= mean && mean <= 0.0 && min.is_finite(),
            "{mean} {min}"
        );
        // The built-in engine reads each token's whole distribution too: a token's boosted
        // probability is never below its own.
        let boosted = stats
            .boosted
            .expect("the built-in engine gives the distribution");
        let entropy = stats
            .entropy
            .expect("the built-in engine gives the distribution");
        assert!(
            mean <= boosted && boosted <= 0.0 && entropy >= 0.0,
            "{stats:?}"
        );
    }
}

#[test]
fn a_summary_sentence_the_article_does_not_support_gains_less_from_it() {
    let article = "The city council of Leeds approved a plan on Monday to close the city centre to cars on Saturdays from next March.\n\n\
The plan, which was debated for six months, will ban private cars from 10 am to 6 pm in the streets around the market. Buses, taxis and delivery vans will still be allowed.\n\n\
The council will spend 3 million pounds on new cycle lanes and extra buses, and will review the scheme after one year.";
    let supported = "Leeds will close its city centre to cars on Saturdays from March.";
    let unsupported = "The central bank raised its main interest rate by half a point.";
    let opening = "The council of Leeds approved a new traffic plan on Monday.";
    let model = model();
    let gain = |sentence: &str| {
        let summary = format!("{opening} {sentence}");
        let gains = tasks::confidence::support(
            model,
            article,
            &summary,
            &[opening, sentence],
            None,
            &CancelToken::new(),
        )
        .expect("scoring");
        gains[1].expect("the built-in engine scores a summary")
    };
    let (right, wrong) = (gain(supported), gain(unsupported));
    assert!(
        right > wrong && right > 0.0,
        "the article should make the sentence it supports likelier: {right} against {wrong}"
    );
}
