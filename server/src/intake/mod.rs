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
