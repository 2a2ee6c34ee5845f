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

/// A PDF with a text layer: one page per item, one text line per string, an empty string
/// leaving a wider gap (a new paragraph). Helvetica with the Windows-1252 encoding, as office
/// software writes French.
#[allow(clippy::expect_used)]
pub fn pdf(pages: &[&[&str]]) -> Vec<u8> {
    use pdf_extract::content::{Content, Operation};
    let contents = pages
        .iter()
        .map(|lines| {
            let mut operations = vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 11.into()]),
                Operation::new("TL", vec![14.into()]),
                Operation::new("Td", vec![56.into(), 780.into()]),
            ];
            for line in *lines {
                if !line.is_empty() {
                    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(line);
                    operations.push(Operation::new(
                        "Tj",
                        vec![pdf_extract::Object::string_literal(bytes.into_owned())],
                    ));
                }
                operations.push(Operation::new("T*", vec![]));
                if line.is_empty() {
                    operations.push(Operation::new("T*", vec![]));
                }
            }
            operations.push(Operation::new("ET", vec![]));
            Content { operations }
                .encode()
                .expect("encoding a page's operations")
        })
        .collect::<Vec<_>>();
    pdf_document(contents, None)
}

/// A scanned page: a picture and no text.
#[allow(clippy::expect_used)]
pub fn scanned_pdf() -> Vec<u8> {
    pdf_document(vec![b"q 400 0 0 600 100 100 cm /Im1 Do Q".to_vec()], None)
}

/// A PDF that asks for a password to open.
pub fn locked_pdf() -> Vec<u8> {
    pdf_document(
        vec![b"BT /F1 11 Tf 56 780 Td (Texte secret.) Tj ET".to_vec()],
        Some("secret"),
    )
}

#[allow(clippy::expect_used)]
fn pdf_document(contents: Vec<Vec<u8>>, password: Option<&str>) -> Vec<u8> {
    use pdf_extract::{dictionary, Document, Object, Stream};
    let mut document = Document::with_version("1.5");
    let pages_id = document.new_object_id();
    let font = document.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let picture = document.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject",
            "Subtype" => "Image",
            "Width" => 2,
            "Height" => 2,
            "ColorSpace" => "DeviceGray",
            "BitsPerComponent" => 8,
        },
        vec![0, 255, 255, 0],
    ));
    let resources = document.add_object(dictionary! {
        "Font" => dictionary! { "F1" => font },
        "XObject" => dictionary! { "Im1" => picture },
    });
    let kids: Vec<Object> = contents
        .into_iter()
        .map(|content| {
            let content = document.add_object(Stream::new(dictionary! {}, content));
            document
                .add_object(dictionary! {
                    "Type" => "Page",
                    "Parent" => pages_id,
                    "Contents" => content,
                })
                .into()
        })
        .collect();
    let count = kids.len() as i64;
    document.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = document.add_object(dictionary! {
        "Type" => "Catalog",
        "Pages" => pages_id,
    });
    document.trailer.set("Root", catalog);
    document.trailer.set(
        "ID",
        Object::Array(vec![
            Object::string_literal(b"passerelle-test".to_vec()),
            Object::string_literal(b"passerelle-test".to_vec()),
        ]),
    );
    if let Some(password) = password {
        let version = pdf_extract::EncryptionVersion::V2 {
            document: &document,
            owner_password: password,
            user_password: password,
            key_length: 128,
            permissions: pdf_extract::Permissions::all(),
        };
        let state =
            pdf_extract::EncryptionState::try_from(version).expect("an RC4 encryption state");
        document.encrypt(&state).expect("encrypting the test PDF");
    }
    let mut bytes = Vec::new();
    document
        .save_to(&mut bytes)
        .expect("writing a PDF to memory");
    bytes
}
