//! Splitting a French paragraph into sentences: Unicode's sentence boundaries (UAX #29, from
//! `unicode-segmentation`), corrected where French typography trips them: abbreviations and
//! initials before a name, an ellipsis followed by a new sentence, and the space French puts
//! before a closing guillemet.

use unicode_segmentation::UnicodeSegmentation;

/// Abbreviations that are followed by a capitalised word without ending the sentence.
const ABBREVIATIONS: &[&str] = &[
    "M.", "MM.", "Mme", "Mme.", "Mmes", "Mlle", "Mlles", "Dr", "Dr.", "Pr", "Pr.", "Me", "Me.",
    "Mgr", "Mgr.", "St", "St.", "Ste", "Ste.", "av.", "bd", "bd.", "boul.", "cf.", "p.", "pp.",
    "art.", "chap.", "vol.", "éd.", "env.", "n°", "No.", "J.-C.", "Cie", "Gal", "Gén.", "Col.",
    "Lt.", "Cdt.", "Sgt.",
];

/// The sentences of one paragraph, each trimmed, in order; their concatenation with single
/// spaces gives back the paragraph's words.
pub fn sentences(paragraph: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for piece in paragraph.unicode_sentences().flat_map(split_after_ellipsis) {
        let mut piece = piece.trim();
        if piece.is_empty() {
            continue;
        }
        if let Some(prev) = out.last_mut() {
            // « … fin. » : UAX #29 breaks before the closing guillemet that French spaces apart.
            let closers = leading_closers(piece);
            if !closers.trim().is_empty() {
                prev.push(' ');
                prev.push_str(closers.trim());
                piece = piece[closers.len()..].trim();
                if piece.is_empty() {
                    continue;
                }
            }
            if ends_with_abbreviation(prev) {
                prev.push(' ');
                prev.push_str(piece);
                continue;
            }
        }
        out.push(piece.to_string());
    }
    out
}

/// The closing quotes and brackets (with their spaces) that start `piece` but end the sentence
/// before it. A straight quote or apostrophe right against a letter opens the next sentence
/// instead: `mois. "Je ne peux pas…"`.
fn leading_closers(piece: &str) -> String {
    let chars: Vec<char> = piece.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let opens =
            matches!(c, '"' | '’' | '\'') && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if opens || !(checks::quotes::is_closer(c) || c.is_whitespace()) {
            break;
        }
        out.push(c);
    }
    out
}

fn ends_with_abbreviation(text: &str) -> bool {
    let Some(word) = text.split_whitespace().last() else {
        return false;
    };
    let word = word.trim_start_matches(|c: char| c == '(' || checks::quotes::OPENING.contains(&c));
    if ABBREVIATIONS.contains(&word) {
        return true;
    }
    // An initial: "J. Dupont", "J.-P. Sartre".
    let letters: Vec<char> = word.chars().filter(|c| c.is_alphabetic()).collect();
    word.ends_with('.')
        && !letters.is_empty()
        && letters.len() <= 2
        && letters.iter().all(|c| c.is_uppercase())
}

/// UAX #29 does not treat "…" as ending a sentence; in French it often does, when a capital
/// follows.
fn split_after_ellipsis(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, _) in s.match_indices('…') {
        let after = &s[i + '…'.len_utf8()..];
        let next = after.trim_start();
        let spaced = after.len() > next.len();
        if spaced && next.chars().next().is_some_and(char::is_uppercase) {
            let end = i + '…'.len_utf8();
            parts.push(&s[start..end]);
            start = end;
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_and_initials_do_not_end_sentences() {
        assert_eq!(
            sentences(
                "M. Dupont et Mme Martin ont rencontré le Dr Petit. J. K. Rowling était absente."
            ),
            vec![
                "M. Dupont et Mme Martin ont rencontré le Dr Petit.",
                "J. K. Rowling était absente."
            ]
        );
        assert_eq!(
            sentences("Selon J.-P. Sartre, l'enfer c'est les autres."),
            vec!["Selon J.-P. Sartre, l'enfer c'est les autres."]
        );
    }

    #[test]
    fn numbers_keep_their_spaces_commas_and_points() {
        assert_eq!(
            sentences(
                "Le budget atteint 3 000 euros, soit 2,5 % de plus. La dette est de 1.5 milliard."
            ),
            vec![
                "Le budget atteint 3 000 euros, soit 2,5 % de plus.",
                "La dette est de 1.5 milliard."
            ]
        );
    }

    #[test]
    fn ellipses_end_a_sentence_only_before_a_capital() {
        assert_eq!(
            sentences("Il hésite… Puis il part."),
            vec!["Il hésite…", "Puis il part."]
        );
        assert_eq!(
            sentences("Il hésite… et reste."),
            vec!["Il hésite… et reste."]
        );
        assert_eq!(
            sentences("Il hésite... Puis il part."),
            vec!["Il hésite...", "Puis il part."]
        );
    }

    #[test]
    fn quotes_and_parentheses_stay_with_their_sentence() {
        assert_eq!(
            sentences("« Nous partirons demain. » Le ministre l'a confirmé (sans détails). Fin."),
            vec![
                "« Nous partirons demain. »",
                "Le ministre l'a confirmé (sans détails).",
                "Fin."
            ]
        );
        assert_eq!(
            sentences("Il a dit : « C'est fini ! » Puis il est parti."),
            vec!["Il a dit : « C'est fini ! »", "Puis il est parti."]
        );
        // Straight quotes: the one against a letter opens the next sentence.
        assert_eq!(
            sentences("Ils attendent. \"Je ne peux pas.\" \"Sinon ce serait risqué\", dit-il."),
            vec![
                "Ils attendent.",
                "\"Je ne peux pas.\"",
                "\"Sinon ce serait risqué\", dit-il."
            ]
        );
    }

    #[test]
    fn questions_and_exclamations_end_sentences() {
        assert_eq!(
            sentences("Pourquoi ? Parce que. Voilà !"),
            vec!["Pourquoi ?", "Parce que.", "Voilà !"]
        );
    }
}
