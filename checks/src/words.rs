//! The words of a text as the comparisons of a summary with its article count them: which
//! article text a summary sentence tells of, and what it copies; and where a word stands whole.

use std::collections::HashSet;

/// Lower-cased words, punctuation left out.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The distinct words of four letters or more: those that tell where a sentence comes from.
pub fn content_words(text: &str) -> HashSet<String> {
    words(text)
        .into_iter()
        .filter(|w| w.chars().count() >= 4)
        .collect()
}

/// Where `needle` stands as a word of its own in `haystack` (bytes), in order.
pub fn word_starts<'a>(haystack: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    haystack
        .match_indices(needle)
        .map(|(i, _)| i)
        .filter(move |&i| {
            let before = haystack[..i].chars().next_back();
            let after = haystack[i + needle.len()..].chars().next();
            !needle.is_empty()
                && !before.is_some_and(char::is_alphanumeric)
                && !after.is_some_and(char::is_alphanumeric)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_cased_and_content_words_four_letters_or_more() {
        assert_eq!(words("L'UE, à Paris!"), ["l", "ue", "à", "paris"]);
        let content = content_words("The port of Marseille: the PORT.");
        assert_eq!(
            content,
            ["port", "marseille"]
                .map(String::from)
                .into_iter()
                .collect()
        );
    }
}
