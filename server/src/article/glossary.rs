//! The rules of the reader's glossary: French terms and the English the reader wants for them.
//! A glossary is checked before it is kept ([`validate`]); when an article is submitted, each
//! paragraph is given the terms it holds ([`attach`]); the pipeline puts them in the model's
//! instructions and checks the English for them ([`checks::glossary`]). Where the terms are
//! kept is the service's business (`crate::service::glossary`).

use app::api::{Paragraph, Term};
use checks::glossary as check;

/// The most terms a glossary holds, and the longest term: enough for any reader, small enough
/// that the instructions stay short.
pub const MAX_TERMS: usize = 200;
pub const MAX_TERM_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum InvalidGlossary {
    #[error("Term {0} has an empty French or English side: give both, or remove the term.")]
    Empty(usize),
    #[error("Term {0} is longer than {MAX_TERM_CHARS} characters: a glossary holds words and names, not sentences.")]
    TooLong(usize),
    #[error("The glossary has more than {MAX_TERMS} terms: remove some.")]
    TooMany,
    #[error("“{0}” is in the glossary twice: keep one English for it.")]
    Twice(String),
}

/// The terms trimmed, or the first reason they cannot make a glossary.
pub fn validate(terms: Vec<Term>) -> Result<Vec<Term>, InvalidGlossary> {
    if terms.len() > MAX_TERMS {
        return Err(InvalidGlossary::TooMany);
    }
    let mut out: Vec<Term> = Vec::with_capacity(terms.len());
    for (i, term) in terms.into_iter().enumerate() {
        let (french, english) = (term.french.trim(), term.english.trim());
        if french.is_empty() || english.is_empty() {
            return Err(InvalidGlossary::Empty(i + 1));
        }
        if french.chars().count() > MAX_TERM_CHARS || english.chars().count() > MAX_TERM_CHARS {
            return Err(InvalidGlossary::TooLong(i + 1));
        }
        if out
            .iter()
            .any(|t| t.french.to_lowercase() == french.to_lowercase())
        {
            return Err(InvalidGlossary::Twice(french.to_string()));
        }
        out.push(Term {
            french: french.to_string(),
            english: english.to_string(),
        });
    }
    Ok(out)
}

/// Gives each paragraph the glossary terms it holds.
pub fn attach(terms: &[Term], paragraphs: &mut [Paragraph]) {
    let all = for_checks(terms);
    for paragraph in paragraphs {
        paragraph.terms = check::applicable(&all, &paragraph.text)
            .into_iter()
            .map(|t| Term {
                french: t.french.clone(),
                english: t.english.clone(),
            })
            .collect();
    }
}

/// The terms as the checks and the model's instructions take them.
pub fn for_checks(terms: &[Term]) -> Vec<check::Term> {
    terms
        .iter()
        .map(|t| check::Term {
            french: t.french.clone(),
            english: t.english.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(french: &str, english: &str) -> Term {
        Term {
            french: french.into(),
            english: english.into(),
        }
    }

    #[test]
    fn terms_are_trimmed_and_bad_ones_refused_with_their_place() {
        let kept = validate(vec![
            term(" OTSC ", "CSTO"),
            term("Haut-Karabakh", "Nagorno-Karabakh"),
        ])
        .expect("a good glossary");
        assert_eq!(kept[0], term("OTSC", "CSTO"));
        assert!(matches!(
            validate(vec![term("OTSC", "CSTO"), term("BCE", " ")]),
            Err(InvalidGlossary::Empty(2))
        ));
        assert!(matches!(
            validate(vec![
                term("OTSC", "CSTO"),
                term("otsc", "Collective Security")
            ]),
            Err(InvalidGlossary::Twice(_))
        ));
        assert!(matches!(
            validate(vec![term(&"a".repeat(101), "b")]),
            Err(InvalidGlossary::TooLong(1))
        ));
        assert!(matches!(
            validate((0..201).map(|i| term(&format!("t{i}"), "x")).collect()),
            Err(InvalidGlossary::TooMany)
        ));
    }

    #[test]
    fn each_paragraph_gets_the_terms_it_holds() {
        let mut paragraphs = vec![
            Paragraph {
                id: 0,
                text: "L'OTSC se réunit.".into(),
                sentences: vec![],
                terms: vec![],
            },
            Paragraph {
                id: 1,
                text: "Rien ici.".into(),
                sentences: vec![],
                terms: vec![],
            },
        ];
        attach(&[term("OTSC", "CSTO"), term("BCE", "ECB")], &mut paragraphs);
        assert_eq!(paragraphs[0].terms, [term("OTSC", "CSTO")]);
        assert!(paragraphs[1].terms.is_empty());
    }
}
