//! Articles kept on disk: the history database ([`Store`]), the translation memory's key, and
//! the export formats. A job's every event is written before any reader sees it, so a restart
//! replays exactly what readers were sent and continues from there.

mod export;
mod schema;
mod store;

pub use export::{export, Format};
pub use store::{
    create_private_dir, title, NewJob, Store, StoreError, StoredJob, Writer, FILE_NAME,
};

use unicode_normalization::UnicodeNormalization;

/// A paragraph's French as the translation memory compares it: Unicode NFC, spaces collapsed
/// (a re-paste often differs only in line breaks and non-breaking spaces).
pub fn french_key(french: &str) -> String {
    let composed: String = french.nfc().collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the translation memory files a paragraph's English under: its French key, and the
/// glossary terms it was written with, so English written for one glossary is not given back
/// under another.
pub fn memory_key(paragraph: &app::api::Paragraph) -> String {
    let mut key = french_key(&paragraph.text);
    for term in &paragraph.terms {
        key.push_str(&format!("\u{1f}{}\u{1e}{}", term.french, term.english));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_key_ignores_spacing_and_composition_only() {
        assert_eq!(
            french_key("Le\u{a0}président  a\n parlé. "),
            french_key("Le président a parlé.")
        );
        assert_eq!(french_key("e\u{301}te\u{301}"), french_key("été"));
        assert_ne!(french_key("Le président"), french_key("le président"));
    }

    #[test]
    fn english_written_with_glossary_terms_is_filed_apart() {
        let mut paragraph = app::api::Paragraph {
            id: 0,
            text: "L'OTSC se réunit.".into(),
            sentences: vec![],
            terms: vec![],
        };
        let plain = memory_key(&paragraph);
        assert_eq!(plain, french_key("L'OTSC se réunit."));
        paragraph.terms.push(app::api::Term {
            french: "OTSC".into(),
            english: "CSTO".into(),
        });
        assert_ne!(memory_key(&paragraph), plain);
    }
}
