//! Ordinary French words: a capitalised word that is one of them ("la Terre", "la Ligue",
//! "les Français", "Mais" opening a sentence) is not a name the English must keep. The list is
//! Debian's `wfrench` read in at build time (see `build.rs`), folded and sorted once on first
//! use.

use std::sync::LazyLock;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

static WORD_LIST: &str = include_str!(env!("PASSERELLE_FRENCH_WORDS_FILE"));

/// The folded words, sorted and without repeats, in one string with their starts: about 5 MB
/// where a set of strings would take several times that.
struct Lexicon {
    text: String,
    starts: Vec<u32>,
}

impl Lexicon {
    fn read(list: &str) -> Self {
        let mut words: Vec<String> = list
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(fold)
            .collect();
        words.sort_unstable();
        words.dedup();
        let mut text = String::with_capacity(words.iter().map(String::len).sum());
        let mut starts = Vec::with_capacity(words.len() + 1);
        for w in &words {
            starts.push(text.len() as u32);
            text.push_str(w);
        }
        starts.push(text.len() as u32);
        Self { text, starts }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    fn word(&self, i: usize) -> &str {
        &self.text[self.starts[i] as usize..self.starts[i + 1] as usize]
    }

    fn contains(&self, folded: &str) -> bool {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.word(mid).cmp(folded) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// Lowercase, without accents: how words are compared here and in the name checks.
pub fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::read(WORD_LIST));

/// Whether `word`, lower-cased and without accents, is an ordinary French word (capitals often
/// drop their accents: "Etat" is "état").
pub fn is_french_word(word: &str) -> bool {
    LEXICON.contains(&fold(word))
}

/// How many distinct folded words the lexicon holds.
pub fn size() -> usize {
    LEXICON.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_is_a_real_french_one() {
        assert!(size() > 100_000, "{} words", size());
        for word in [
            "Terre",
            "Ligue",
            "Trône",
            "Caisse",
            "Assurance",
            "Affaires",
            "Français",
            "Grecs",
            "Mais",
            "Occidentaux",
            "Etat",
            "été",
        ] {
            assert!(is_french_word(word), "{word}");
        }
        for name in ["Bakou", "Arménie", "Pachinian", "OTSC", "Moscou", "Xyzzy"] {
            assert!(!is_french_word(name), "{name}");
        }
    }

    #[test]
    fn a_small_list_is_searched_exactly() {
        let lexicon = Lexicon::read("pomme\nété\n\nÉté\nabricot\n");
        assert_eq!(lexicon.len(), 3);
        assert!(lexicon.contains("ete") && lexicon.contains("abricot"));
        assert!(!lexicon.contains("pom") && !lexicon.contains("pommes") && !lexicon.contains(""));
    }
}
