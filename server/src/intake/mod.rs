//! The first step of an article's path: whatever the reader gives (a paste, a file, a link)
//! becomes cleaned paragraphs. [`links`] fetches the page behind a link, [`documents`] reads a
//! file's text (plain text in any encoding, a web page's article, Word, PDF), [`clean`] takes
//! out what is not article text and splits paragraphs, [`segment`] splits sentences.

pub mod clean;
pub mod documents;
pub mod links;
pub mod segment;

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
