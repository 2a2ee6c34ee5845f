//! Quotation marks, one list for every rule that reads them: the name check's sentence starts,
//! the segmenter's abbreviations, the translation's quotation rules and the engine's quotation
//! tokens.

/// Marks that open a quotation in either language: French guillemets, and the English marks
/// that French news prints too.
pub const OPENING: [char; 3] = ['«', '“', '"'];

/// Marks that close a quotation in either language.
pub const CLOSING: [char; 3] = ['»', '”', '"'];

/// Marks that open a quotation in English (what the model writes).
pub const ENGLISH_OPENING: [char; 2] = ['“', '"'];

/// Marks that close a quotation in English.
pub const ENGLISH_CLOSING: [char; 2] = ['”', '"'];

/// Whether `c` may follow a sentence's last word before the sentence ends: a closing
/// quotation mark of either language, a closing single quote, or a closing bracket.
pub fn is_closer(c: char) -> bool {
    CLOSING.contains(&c) || matches!(c, '’' | '\'' | ')' | ']')
}

/// `text` up to where a sentence's last word or mark would be: without the spaces and the
/// closers ([`is_closer`]) at its end ("He said « yes. »" gives "He said « yes.").
pub fn before_closers(text: &str) -> &str {
    text.trim_end_matches(|c: char| c.is_whitespace() || is_closer(c))
}

/// Whether `text` is one quotation in English marks, opened at its start and closed at its end.
pub fn wrapped_in_english_quotes(text: &str) -> bool {
    text.chars().count() > 2
        && (text.starts_with('"') && text.ends_with('"')
            || text.starts_with('“') && text.ends_with('”'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_marks_are_marks_of_either_language() {
        assert!(ENGLISH_OPENING.iter().all(|c| OPENING.contains(c)));
        assert!(ENGLISH_CLOSING.iter().all(|c| CLOSING.contains(c)));
        assert!(!ENGLISH_OPENING.contains(&'«') && !ENGLISH_CLOSING.contains(&'»'));
    }

    #[test]
    fn closers_are_left_behind_with_their_spaces() {
        assert_eq!(before_closers("He said « yes. » "), "He said « yes.");
        assert_eq!(before_closers("(See above.)"), "(See above.");
        assert_eq!(before_closers("“Never.”\u{a0}"), "“Never.");
        assert_eq!(before_closers("Il l'a dit."), "Il l'a dit.");
    }

    #[test]
    fn a_text_is_wrapped_only_by_a_matching_pair_at_both_ends() {
        assert!(wrapped_in_english_quotes("\"Yes, we will.\""));
        assert!(wrapped_in_english_quotes("“Yes, we will.”"));
        assert!(!wrapped_in_english_quotes("“Yes,” he said."));
        assert!(!wrapped_in_english_quotes("« Oui »"));
        assert!(!wrapped_in_english_quotes("\"\""));
    }
}
