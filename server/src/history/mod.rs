//! Articles kept on disk: the history database ([`Store`]), the translation memory's key, and
//! the export formats. A job's every event is written before any reader sees it, so a restart
//! replays exactly what readers were sent and continues from there.

mod export;
mod schema;
mod store;

pub use export::{export, Format};
pub use store::{title, NewJob, Store, StoreError, StoredJob, Writer, FILE_NAME};

use unicode_normalization::UnicodeNormalization;

/// Which prompts and method wrote a translation: the translation memory reuses English only
/// under the same ones. Raise the number whenever a prompt changes.
pub fn prompt_version(method: &crate::pipeline::Method) -> String {
    const PROMPTS: u32 = 1;
    format!(
        "prompts {PROMPTS}; context {:?}; candidates {}",
        method.context, method.candidates
    )
    .to_lowercase()
}

/// A paragraph's French as the translation memory compares it: Unicode NFC, spaces collapsed
/// (a re-paste often differs only in line breaks and non-breaking spaces).
pub fn french_key(french: &str) -> String {
    let composed: String = french.nfc().collect();
    composed.split_whitespace().collect::<Vec<_>>().join(" ")
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
    fn the_prompt_version_names_the_method() {
        let method = crate::pipeline::Method::default();
        assert_eq!(
            prompt_version(&method),
            "prompts 1; context previous; candidates 1"
        );
    }
}
