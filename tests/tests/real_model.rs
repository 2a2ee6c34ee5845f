//! The default model itself, on text written for these tests. It must be in the models folder:
//! `passerelle models fetch` (or the README's setup command) puts it there.

use models::tasks;
use models::{CancelToken, Model};
use server::cli::GlobalArgs;
use server::language;
use std::sync::{Mutex, OnceLock};

fn model() -> &'static Mutex<Model> {
    static MODEL: OnceLock<Mutex<Model>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let path = GlobalArgs::from_env().model_path();
        assert!(
            path.is_file(),
            "the real model is not at {}; run `passerelle models fetch` (or the README's setup command) first",
            path.display()
        );
        Mutex::new(Model::load(&path).unwrap_or_else(|e| panic!("loading {}: {e}", path.display())))
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
    let mut model = model().lock().unwrap_or_else(|e| e.into_inner());
    let mut streamed = String::new();
    let out = tasks::translate(&mut model, french, &CancelToken::new(), &mut |d| {
        streamed.push_str(d)
    })
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
    let mut model = model().lock().unwrap_or_else(|e| e.into_inner());
    let out =
        tasks::summarize(&mut model, article, &CancelToken::new(), &mut |_| {}).expect("summary");
    let summary = out.text.to_lowercase();
    assert!(
        summary.contains("leeds") || summary.contains("council"),
        "{}",
        out.text
    );
    assert!(summary.contains("car"), "{}", out.text);
    assert!(!out.text.contains('\n'), "one paragraph: {}", out.text);
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
