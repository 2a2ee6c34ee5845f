//! Documents made by the tests themselves, in the formats' real layouts.

use std::io::Write;

/// A .docx as Word writes it, reduced to what matters: the content types, the package
/// relationship, and the document with its paragraphs.
#[allow(clippy::expect_used)]
pub fn docx(paragraphs_xml: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let files = [
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.to_string()),
        ("word/document.xml", format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{}"><w:body>{paragraphs_xml}</w:body></w:document>"#, super::docx::WORD)),
    ];
    for (name, content) in files {
        zip.start_file(name, options)
            .expect("a zip entry in memory");
        zip.write_all(content.as_bytes())
            .expect("writing to memory");
    }
    zip.finish()
        .expect("closing the zip in memory")
        .into_inner()
}
