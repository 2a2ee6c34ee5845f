//! Word files (.docx): a zip archive whose `word/document.xml` holds the text. Each Word
//! paragraph (`w:p`) becomes one paragraph; runs of text (`w:t`) are joined, tabs and line breaks
//! kept. Read with the `zip` and `roxmltree` crates.

use super::DocumentError;
use std::collections::BTreeMap;
use std::io::Read;

pub(super) const WORD: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

/// The largest `document.xml` read: far more than any article, and a guard against a zip bomb.
const MAX_XML_BYTES: u64 = 50 * 1024 * 1024;

pub fn text(bytes: &[u8]) -> Result<String, DocumentError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| DocumentError::Damaged("zip archive"))?;
    let entry = archive
        .by_name("word/document.xml")
        .map_err(|_| DocumentError::NotReadYet("zip archive that is not a Word file"))?;
    let mut xml = String::new();
    entry
        .take(MAX_XML_BYTES)
        .read_to_string(&mut xml)
        .map_err(|_| DocumentError::Damaged("Word file"))?;
    let document =
        roxmltree::Document::parse(&xml).map_err(|_| DocumentError::Damaged("Word file"))?;
    // Each piece of text belongs to its nearest paragraph (a text box's paragraphs are their own).
    let mut paragraphs: BTreeMap<usize, String> = BTreeMap::new();
    for node in document.descendants() {
        let piece = if node.has_tag_name((WORD, "t")) {
            node.text().unwrap_or_default()
        } else if node.has_tag_name((WORD, "tab")) {
            "\t"
        } else if node.has_tag_name((WORD, "br")) || node.has_tag_name((WORD, "cr")) {
            "\n"
        } else {
            continue;
        };
        if let Some(paragraph) = node.ancestors().find(|a| a.has_tag_name((WORD, "p"))) {
            paragraphs
                .entry(paragraph.range().start)
                .or_default()
                .push_str(piece);
        }
    }
    let text = paragraphs
        .into_values()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if text.is_empty() {
        return Err(DocumentError::Empty);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::docx;
    use super::*;

    #[test]
    fn word_paragraphs_become_paragraphs_and_their_runs_are_joined() {
        let bytes = docx(
            r#"<w:p><w:r><w:t>Grève à la SNCF</w:t></w:r></w:p>
               <w:p><w:r><w:t xml:space="preserve">Les syndicats ont appelé </w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>à la grève</w:t></w:r><w:r><w:t>.</w:t></w:r></w:p>
               <w:p></w:p>
               <w:p><w:r><w:t>Trois trains</w:t><w:tab/><w:t>sur cinq.</w:t></w:r></w:p>"#,
        );
        assert_eq!(
            text(&bytes).as_deref(),
            Ok("Grève à la SNCF\n\nLes syndicats ont appelé à la grève.\n\nTrois trains\tsur cinq.")
        );
    }

    #[test]
    fn damaged_and_foreign_archives_are_refused() {
        let bytes = docx("<w:p><w:r><w:t>Un texte.</w:t></w:r></w:p>");
        assert_eq!(
            text(&bytes[..bytes.len() / 2]),
            Err(DocumentError::Damaged("zip archive"))
        );
        let mut other = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        other
            .start_file("photo.jpg", zip::write::SimpleFileOptions::default())
            .expect("entry");
        let other = other.finish().expect("finish").into_inner();
        assert!(matches!(text(&other), Err(DocumentError::NotReadYet(_))));
        assert_eq!(text(&docx("<w:p/>")), Err(DocumentError::Empty));
    }
}
