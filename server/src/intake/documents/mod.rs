//! Documents a reader brings instead of a paste. The real type is told from the content, never
//! from the name; the text read from it then takes the same path as a paste (cleaning, a job).
//! Plain text in the common encodings, web pages (their article only) and Word files are read;
//! PDFs with a text layer are read too; older Office files are recognised and refused with a
//! message that says what to do.

mod docx;
#[cfg(any(test, feature = "test-support"))]
pub mod fixtures;
mod html;
mod pdf;
mod text;

pub use html::article as html_article;
pub use text::decode;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    #[error("The file is empty: there is nothing to translate.")]
    Empty,
    #[error("This is a {0}, which Passerelle cannot read yet. Open it, copy its text and paste it instead.")]
    NotReadYet(&'static str),
    #[error(
        "This file is not text (it holds binary data). Bring a text file, or paste the article."
    )]
    Binary,
    #[error("This {0} is damaged or encrypted and cannot be read. Save it again without a password, or paste its text.")]
    Damaged(&'static str),
    #[error("Scanned PDF: no text to translate. Its pages are pictures of text; run it through text recognition (OCR) first, or paste the article.")]
    ScannedPdf,
    #[error("No article text was found in this web page. Open it in a browser, copy the article and paste it instead.")]
    NoArticle,
}

/// What a file is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Html,
    Pdf,
    /// A zip archive: a Word (.docx) file or another one.
    Zip,
    /// Microsoft's older container: a .doc, or an encrypted Office file.
    Ole,
}

impl Kind {
    /// Looks at the content only: a `.txt` holding a PDF is a PDF.
    pub fn sniff(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"%PDF-") {
            return Self::Pdf;
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return Self::Zip;
        }
        if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
            return Self::Ole;
        }
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_lowercase();
        let head = head.trim_start_matches('\u{feff}').trim_start();
        if head.starts_with("<!doctype html")
            || head.starts_with("<html")
            || (head.starts_with('<') && (head.contains("<body") || head.contains("<head")))
        {
            return Self::Html;
        }
        Self::Text
    }

    fn name(self) -> &'static str {
        match self {
            Self::Text => "text file",
            Self::Html => "web page (HTML)",
            Self::Pdf => "PDF",
            Self::Zip => "Word or zip file",
            Self::Ole => "password-protected Office file or old .doc",
        }
    }
}

/// The text of the document in `bytes`.
pub fn read(bytes: &[u8]) -> Result<String, DocumentError> {
    if bytes.is_empty() {
        return Err(DocumentError::Empty);
    }
    match Kind::sniff(bytes) {
        Kind::Text => decode(bytes),
        Kind::Html => html_article(&decode(bytes)?),
        Kind::Zip => docx::text(bytes),
        Kind::Pdf => pdf::text(bytes),
        other => Err(DocumentError::NotReadYet(other.name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_content() {
        assert_eq!(Kind::sniff(b"%PDF-1.7\n..."), Kind::Pdf);
        assert_eq!(Kind::sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(
            Kind::sniff(b"\xef\xbb\xbf  <!DOCTYPE html><html>"),
            Kind::Html
        );
        assert_eq!(Kind::sniff(b"<html lang=fr><body>"), Kind::Html);
        assert_eq!(Kind::sniff(b"<p>Un paragraphe.</p><body>"), Kind::Html);
        assert_eq!(
            Kind::sniff("Le <b> n'est pas du HTML ici.".as_bytes()),
            Kind::Text
        );
        assert_eq!(Kind::sniff("Un article.".as_bytes()), Kind::Text);
    }

    #[test]
    fn formats_not_read_yet_are_refused_with_what_to_do() {
        let err = read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old Word").expect_err("refused");
        assert_eq!(
            err,
            DocumentError::NotReadYet("password-protected Office file or old .doc")
        );
        assert!(err.to_string().contains("copy its text and paste it"));
        assert_eq!(read(b""), Err(DocumentError::Empty));
        assert_eq!(read("Bonjour.".as_bytes()), Ok("Bonjour.".to_string()));
    }
}
