//! The currency of an amount ("8 millions d'euros", "$8 million", "8 million US dollars"), so
//! that an English amount in dollars where the French counts in euros is flagged. Currencies
//! are the Unicode CLDR's (see [`crate::cldr`]): those in use, each known by the head word of
//! its French name ("livre" of "livre sterling"), the last word of its English one ("pound" of
//! "British pound"), singular and plural, its symbols ("£", "US$", "$CA") and its code ("GBP").
//! A word or symbol may stand for several ("$", "dollar", "franc").

use crate::cldr::{self, Locale};
use crate::lexicon::fold;
use crate::numbers::{self, Quantity};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// The codes of the currencies a word or symbol may stand for.
pub type Codes = BTreeSet<String>;

/// How one language writes currencies.
#[derive(Debug, Default)]
pub struct Writing {
    /// Folded words ("euros", "livre") and their currencies.
    words: BTreeMap<String, Codes>,
    /// Symbols and codes ("US$", "€", "CHF") and their currencies, the longest first.
    symbols: Vec<(String, Codes)>,
    /// Words that are only singular ("dollar", not "yen"): after a number other than one they
    /// are no currency ("passed the 1,000 mark", "a 3 million dollar plan" left unread).
    singular_only: BTreeSet<String>,
}

/// How French and English write the currencies in use.
#[derive(Debug)]
pub struct Table {
    pub french: Writing,
    pub english: Writing,
}

// The files are read into the binary at build time, where `build.rs` checked them, and the
// tests parse them: a file that does not parse is a broken build, not an input.
#[allow(clippy::expect_used)]
static TABLE: LazyLock<Table> = LazyLock::new(|| {
    read(
        cldr::FRENCH,
        cldr::ENGLISH,
        cldr::ROOT,
        cldr::CURRENCY_VALIDITY,
    )
    .expect("the CLDR files built in are well-formed XML")
});

/// A currency written with an amount: where the word or symbol is (bytes), and what it may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    pub start: usize,
    pub end: usize,
    pub codes: Codes,
}

/// The currencies of the French text's amounts ("8 millions d'euros", "50 000 $").
pub fn french(text: &str) -> Vec<Amount> {
    amounts(
        text,
        &numbers::french(text),
        &TABLE.french,
        &["d'", "d’", "de "],
    )
}

/// The currencies of the English text's amounts ("$8 million", "8 million US dollars").
pub fn english(text: &str) -> Vec<Amount> {
    amounts(text, &numbers::english(text), &TABLE.english, &["of "])
}

/// A currency a text names, with an amount or not ("en euros"): as written, and what it may be.
#[derive(Debug, Clone, PartialEq)]
pub struct Named {
    pub written: String,
    pub codes: Codes,
    /// Written with an amount ([`Amount`]): surely a currency, where a word alone may be an
    /// ordinary one ("le sol", "un franc succès").
    pub with_amount: bool,
}

/// Every currency a French text names: its amounts' first, then its currency words and
/// symbols wherever they stand.
pub fn named_in_french(text: &str) -> Vec<Named> {
    named(text, french(text), &TABLE.french)
}

/// Every currency an English text names ([`named_in_french`]).
pub fn named_in_english(text: &str) -> Vec<Named> {
    named(text, english(text), &TABLE.english)
}

/// Adjectives CLDR's French names write before the currency's noun ("nouveau dollar de Taïwan",
/// "nouveaux shekels israéliens"), folded: taken for the head word, they made "trois nouveaux
/// postes" name three currencies, and an English amount in those currencies' dollars pass.
const ADJECTIVES_BEFORE_THE_NOUN: &[&str] =
    &["nouveau", "nouveaux", "nouvel", "nouvelle", "nouvelles"];

/// The currencies in use, as the three locale files and the list of currencies in use name
/// them.
pub fn read(
    french: &str,
    english: &str,
    root: &str,
    validity: &str,
) -> Result<Table, roxmltree::Error> {
    let in_use = cldr::currencies_in_use(validity)?;
    let (fr, en, root) = (
        Locale::read(french)?,
        Locale::read(english)?,
        Locale::read(root)?,
    );
    // The head word: the French name's first ("dollar des États-Unis") past an adjective
    // before it ("nouveau dollar de Taïwan"), the English one's last ("US dollar"), before any
    // note in brackets.
    let first = |name: &str| {
        name.split_whitespace()
            .find(|w| !ADJECTIVES_BEFORE_THE_NOUN.contains(&fold(w).as_str()))
            .map(str::to_string)
    };
    let last = |name: &str| {
        name.split('(')
            .next()
            .and_then(|n| n.split_whitespace().last())
            .map(str::to_string)
    };
    Ok(Table {
        french: Writing::of(&in_use, &fr, &root, first),
        english: Writing::of(&in_use, &en, &root, last),
    })
}

impl Writing {
    fn of(
        in_use: &[String],
        locale: &Locale,
        root: &Locale,
        head: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut words: BTreeMap<String, Codes> = BTreeMap::new();
        let mut symbols: BTreeMap<String, Codes> = BTreeMap::new();
        let (mut singular, mut plural) = (BTreeSet::new(), BTreeSet::new());
        for code in in_use {
            let own = locale.currencies.get(code);
            if let Some(currency) = own {
                for (names, number) in [
                    (&currency.singular, &mut singular),
                    (&currency.plural, &mut plural),
                ] {
                    for word in names.iter().filter_map(|n| head(n)).map(|w| fold(&w)) {
                        words.entry(word.clone()).or_default().insert(code.clone());
                        number.insert(word);
                    }
                }
            }
            let root_own = root.currencies.get(code);
            let all_symbols = own
                .into_iter()
                .chain(root_own)
                .flat_map(|c| c.symbols.iter().cloned())
                .chain(std::iter::once(code.clone()));
            for symbol in all_symbols.filter(|s| is_symbol(s)) {
                symbols.entry(symbol).or_default().insert(code.clone());
            }
        }
        let mut symbols: Vec<(String, Codes)> = symbols.into_iter().collect();
        symbols.sort_by_key(|(s, _)| std::cmp::Reverse(s.chars().count()));
        Self {
            words,
            symbols,
            singular_only: singular.difference(&plural).cloned().collect(),
        }
    }

    fn word(&self, word: &str) -> Option<&Codes> {
        self.words.get(&fold(word))
    }

    /// The symbol `text` begins with (`at_end`: ends with), the longest; one in letters ("CHF")
    /// only as a whole word.
    fn symbol(&self, text: &str, at_end: bool) -> Option<(&str, &Codes)> {
        self.symbols.iter().find_map(|(symbol, codes)| {
            let beside = if at_end {
                text.strip_suffix(symbol.as_str())?.chars().next_back()
            } else {
                text.strip_prefix(symbol.as_str())?.chars().next()
            };
            let in_a_word = symbol.chars().all(char::is_alphabetic)
                && beside.is_some_and(char::is_alphanumeric);
            (!in_a_word).then_some((symbol.as_str(), codes))
        })
    }
}

/// Whether a CLDR symbol is one to look for beside amounts: not in lower-case letters ("kr",
/// found in running words) and not a lone letter ("R", "K").
fn is_symbol(symbol: &str) -> bool {
    !symbol.chars().any(char::is_lowercase) && symbol.chars().count() > 1
        || !symbol.chars().any(char::is_alphanumeric)
}

/// The currency written with each amount: a symbol or code just before or after it ("$8",
/// "50 000 $", "12 CHF"), or a word after it, past a joining word ("d'euros", "of dollars")
/// and one more word ("US dollars", "dollars canadiens").
fn amounts(
    text: &str,
    quantities: &[Quantity],
    writing: &Writing,
    joiners: &[&str],
) -> Vec<Amount> {
    let mut out = Vec::new();
    for q in quantities.iter().filter(|q| !is_a_year(text, q)) {
        let after_start = q.end
            + (text[q.end..].len() - text[q.end..].trim_start_matches(char::is_whitespace).len());
        let after = &text[after_start..];
        if let Some((symbol, codes)) = writing.symbol(after, false) {
            out.push(Amount {
                start: after_start,
                end: after_start + symbol.len(),
                codes: codes.clone(),
            });
            continue;
        }
        let before = text[..q.start].trim_end_matches(char::is_whitespace);
        if let Some((symbol, codes)) = writing.symbol(before, true) {
            out.push(Amount {
                start: before.len() - symbol.len(),
                end: before.len(),
                codes: codes.clone(),
            });
            continue;
        }
        let lower = after.to_lowercase();
        let skip = joiners
            .iter()
            .find(|j| lower.starts_with(*j))
            .map_or(0, |j| j.len());
        // Lower-casing keeps the length of the joining words, which are ASCII.
        let mut at = after_start + skip;
        for _ in 0..2 {
            let rest = &text[at..];
            let word_len = rest
                .char_indices()
                .find(|&(_, c)| !c.is_alphabetic())
                .map_or(rest.len(), |(i, _)| i);
            if word_len == 0 {
                break;
            }
            let word = &rest[..word_len];
            let singular_after_many =
                !numbers::same(q.value, 1.0) && writing.singular_only.contains(&fold(word));
            if let Some(codes) = writing.word(word).filter(|_| !singular_after_many) {
                out.push(Amount {
                    start: at,
                    end: at + word_len,
                    codes: codes.clone(),
                });
                break;
            }
            at += word_len
                + (rest[word_len..].len()
                    - rest[word_len..]
                        .trim_start_matches(char::is_whitespace)
                        .len());
        }
    }
    out
}

/// Whether a number is a year ("in 2008 won the election"): four digits alone.
fn is_a_year(text: &str, q: &Quantity) -> bool {
    let written = &text[q.start..q.end];
    written.len() == 4
        && written.chars().all(|c| c.is_ascii_digit())
        && (1900.0..=2100.0).contains(&q.value)
}

fn named(text: &str, amounts: Vec<Amount>, writing: &Writing) -> Vec<Named> {
    let mut out: Vec<Named> = amounts
        .into_iter()
        .map(|a| Named {
            written: text[a.start..a.end].to_string(),
            codes: a.codes,
            with_amount: true,
        })
        .collect();
    for word in text.split(|c: char| !c.is_alphabetic()) {
        if let Some(codes) = writing.word(word) {
            out.push(Named {
                written: word.to_string(),
                codes: codes.clone(),
                with_amount: false,
            });
        }
    }
    // Symbols in letters ("CHF", "TOP") count only with an amount, above: alone they are as
    // often other capitals.
    for (start, _) in text.char_indices() {
        if let Some((symbol, codes)) = writing.symbol(&text[start..], false) {
            if !symbol.chars().all(char::is_alphabetic) {
                out.push(Named {
                    written: symbol.to_string(),
                    codes: codes.clone(),
                    with_amount: false,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes_of(amounts: Vec<Amount>, text: &str) -> Vec<(String, bool, bool)> {
        amounts
            .into_iter()
            .map(|a| {
                (
                    text[a.start..a.end].to_string(),
                    a.codes.contains("EUR"),
                    a.codes.contains("USD"),
                )
            })
            .collect()
    }

    #[test]
    fn the_built_in_cldr_knows_the_currencies_in_use() {
        let t = &*TABLE;
        let has =
            |w: &Writing, word: &str, code: &str| w.word(word).is_some_and(|c| c.contains(code));
        assert!(has(&t.french, "euros", "EUR") && has(&t.english, "Euro", "EUR"));
        assert!(has(&t.french, "livres", "GBP") && has(&t.english, "pounds", "GBP"));
        assert!(has(&t.french, "dollars", "CAD") && has(&t.english, "dollar", "USD"));
        assert!(has(&t.french, "yuans", "CNY") && has(&t.english, "yuan", "CNY"));
        assert!(has(&t.french, "roubles", "RUB") && has(&t.english, "rubles", "RUB"));
        // A name with an adjective before its noun is known by the noun.
        assert!(has(&t.french, "dollars", "TWD") && has(&t.french, "shekels", "ILS"));
        assert!(t.french.word("nouveaux").is_none() && t.french.word("nouveau").is_none());
        // Not in use: the French franc is no longer money, the Swiss one is.
        assert!(!has(&t.french, "francs", "FRF") && has(&t.french, "francs", "CHF"));
        // A currency word that is an ordinary word too is read only as a currency's plural.
        assert!(english("It passed the 1,000 mark in 2008 and 50 marks in 2010.").len() == 1);
        assert!(english("Obama, who in 2008 won the election").is_empty());
        assert!(t
            .english
            .symbols
            .iter()
            .any(|(s, c)| s == "€" && c.contains("EUR")));
        assert!(t
            .english
            .symbols
            .iter()
            .any(|(s, c)| s == "$" && c.contains("USD") && c.contains("CAD")));
    }

    #[test]
    fn an_amount_is_read_with_its_currency() {
        let text = "8 millions d'euros, 50 000 $, 12 CHF, 3 livres sterling et 40 élèves";
        let got = codes_of(french(text), text);
        assert_eq!(
            got.iter().map(|(s, ..)| s.as_str()).collect::<Vec<_>>(),
            ["euros", "$", "CHF", "livres"]
        );
        assert!(got[0].1 && !got[0].2 && got[1].2 && !got[1].1);
        // French typography's no-break spaces stand between an amount and its symbol.
        assert_eq!(french("12\u{a0}€ et 50\u{202f}000\u{202f}$").len(), 2);
        let text = "$8 million, 8 million US dollars, €12, 12 CHFs and 40 pupils";
        let got = codes_of(english(text), text);
        assert_eq!(
            got.iter().map(|(s, ..)| s.as_str()).collect::<Vec<_>>(),
            ["$", "dollars", "€"]
        );
        assert!(got[0].2 && got[1].2 && got[2].1);
    }

    #[test]
    fn a_text_names_its_currencies_with_an_amount_or_not() {
        let named = |text: &str| -> Vec<(String, bool)> {
            named_in_french(text)
                .into_iter()
                .map(|n| {
                    (
                        n.written,
                        n.codes.contains("EUR") || n.codes.contains("USD"),
                    )
                })
                .collect()
        };
        assert_eq!(
            named("Le budget, en euros, est serré."),
            [("euros".to_string(), true)]
        );
        // With an amount first, then wherever it stands.
        assert_eq!(
            named("Il coûte 5 $ pièce."),
            [("$".to_string(), true), ("$".to_string(), true)]
        );
        assert!(named_in_french("Il coûte 5 $ pièce.")[0].with_amount);
        assert!(!named_in_french("Le sol est gelé.")[0].with_amount);
        assert!(named("L'association SOS Racisme.").is_empty());
        assert_eq!(
            named("Le franc suisse monte."),
            [("franc".to_string(), false)]
        );
        assert!(named("Une heure de marche.").is_empty());
    }
}
