//! The first step of an article's path: whatever the reader gives (a paste, a file, a link)
//! becomes cleaned paragraphs. [`links`] fetches the page behind a link, [`documents`] reads a
//! file's text (plain text in any encoding, a web page's article, Word, PDF), [`clean`] takes
//! out what is not article text and splits paragraphs, [`segment`] splits sentences. Texts that
//! other software sends to be translated whole become an article through [`Texts`] (their HTML
//! through [`markup`]).

pub mod clean;
pub mod documents;
pub mod links;
pub mod markup;
pub mod segment;

use std::ops::Range;

/// The largest file or linked page taken; its text must still fit the paste limit.
pub const DOCUMENT_LIMIT: usize = 20 * 1024 * 1024;

/// Nothing was left to translate once the cleaning took out what is not article text.
#[derive(Debug, thiserror::Error)]
#[error("nothing is left to translate: the cleaning took out all {} lines", .removed.len())]
pub struct NothingToTranslate {
    /// What the cleaning took out, with why.
    pub removed: Vec<app::api::Removed>,
}

/// The article in a paste's or a document's text: cleaned, never removing the lines in `keep`
/// (lines a reader put back), and refused when nothing is left to translate. The server and the
/// command line both take their articles through here.
pub fn article(text: &str, keep: &[String]) -> Result<clean::Article, NothingToTranslate> {
    let article = clean::clean_keeping(text, keep);
    if article.paragraphs.is_empty() {
        return Err(NothingToTranslate {
            removed: article.removed,
        });
    }
    Ok(article)
}

/// Texts sent to be translated whole and given back one for one (the other protocols): their
/// paragraphs, none taken out, make one article, and each text is put back together from its
/// paragraphs' English.
#[derive(Debug, Clone)]
pub struct Texts {
    pub article: clean::Article,
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    /// Plain text: its paragraphs, joined again by what separated them.
    Plain {
        paragraphs: Range<usize>,
        separator: &'static str,
    },
    /// HTML: its text nodes ([`markup::texts`]), put back into its markup.
    Markup {
        html: String,
        paragraphs: Range<usize>,
    },
    /// Given back as it came (English already, or nothing to translate).
    AsItIs(String),
}

impl Texts {
    /// `texts` (HTML when `html`), where `as_it_is[i]` says text `i` is given back unchanged.
    pub fn new(texts: &[String], html: bool, as_it_is: &[bool]) -> Self {
        let mut paragraphs: Vec<String> = Vec::new();
        let parts = texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                let start = paragraphs.len();
                if as_it_is.get(i).copied().unwrap_or(false) {
                    return Part::AsItIs(text.clone());
                }
                if html {
                    paragraphs.extend(markup::texts(text));
                    return Part::Markup {
                        html: text.clone(),
                        paragraphs: start..paragraphs.len(),
                    };
                }
                let found = clean::paragraphs_as_they_are(text);
                if found.is_empty() {
                    return Part::AsItIs(text.clone());
                }
                paragraphs.extend(found);
                let separator = if text.contains("\n\n") { "\n\n" } else { "\n" };
                Part::Plain {
                    paragraphs: start..paragraphs.len(),
                    separator,
                }
            })
            .collect();
        let article = clean::Article {
            paragraphs: paragraphs
                .into_iter()
                .enumerate()
                .map(|(id, text)| clean::paragraph(id, text))
                .collect(),
            removed: Vec::new(),
        };
        Self { article, parts }
    }

    /// Whether any text has something to translate.
    pub fn is_empty(&self) -> bool {
        self.article.paragraphs.is_empty()
    }

    /// The paragraphs of text `i`, in the article.
    pub fn paragraphs_of(&self, i: usize) -> Range<usize> {
        match self.parts.get(i) {
            Some(Part::Plain { paragraphs, .. } | Part::Markup { paragraphs, .. }) => {
                paragraphs.clone()
            }
            _ => 0..0,
        }
    }

    /// Each text again, from `english[p]`, paragraph `p`'s English.
    pub fn english(&self, english: &[String]) -> Vec<String> {
        let of = |range: &Range<usize>| english.get(range.clone()).unwrap_or_default();
        self.parts
            .iter()
            .map(|part| match part {
                Part::Plain {
                    paragraphs,
                    separator,
                } => of(paragraphs).join(separator),
                Part::Markup { html, paragraphs } => markup::with_texts(html, of(paragraphs)),
                Part::AsItIs(text) => text.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_text_comes_back_from_its_own_paragraphs() {
        let texts = [
            "Premier texte.\n\nSa suite.".to_string(),
            "Already English.".to_string(),
            "<p>Un <a href=\"/x\">lien</a>.</p>".to_string(),
            " ".to_string(),
        ];
        let article = Texts::new(&texts, false, &[false, true]);
        let french: Vec<&str> = article
            .article
            .paragraphs
            .iter()
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(
            french,
            [
                "Premier texte.",
                "Sa suite.",
                "<p>Un <a href=\"/x\">lien</a>.</p>"
            ]
        );
        assert_eq!(article.paragraphs_of(0), 0..2);
        assert_eq!(article.paragraphs_of(1), 0..0);
        let english: Vec<String> = ["First text.", "Its sequel.", "<p>A link.</p>"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            article.english(&english),
            [
                "First text.\n\nIts sequel.",
                "Already English.",
                "<p>A link.</p>",
                " "
            ]
        );

        let html = Texts::new(&texts[2..3], true, &[]);
        assert_eq!(html.article.texts(), ["Un", "lien"]);
        assert_eq!(
            html.english(&["A".into(), "link".into()]),
            ["<p>A <a href=\"/x\">link</a>.</p>"]
        );
    }
}
