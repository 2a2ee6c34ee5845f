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
    /// By code, how English writes each currency in use.
    pub english_spelled: BTreeMap<String, Spelled>,
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
    /// How it is written beside its number.
    pub written: Written,
    /// Where the number ends (bytes), and its value.
    pub number_end: usize,
    pub value: f64,
}

/// Where an amount's currency stands: a symbol or code before the number ("$8", "CHF 12") or
/// after it ("50 000 $"), or a word after it ("8 million US dollars", "8 millions d'euros").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    SymbolBefore,
    SymbolAfter,
    Word,
}

/// How English writes a currency's amounts: the head word of its name, singular and plural
/// ("euro", "euros"), and its symbol where it has one that is not letters ("€").
#[derive(Debug, Clone, PartialEq)]
pub struct Spelled {
    pub singular: String,
    pub plural: String,
    pub symbol: Option<String>,
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

/// `english` with each amount in a currency that its source does not name (`named`: what
/// [`named_in_french`] and [`named_in_english`] found there) written in the source's currency
/// instead, where the source gives its amounts in one currency alone: the model's "8 million
/// dollars" or "$8 million" for "8 millions d'euros" becomes "8 million euros" or "€8 million",
/// the number as written. A source whose amounts may be in several currencies ("dollars":
/// American, Canadian…) has none to write, nor does a symbol for a currency that has none but
/// letters. `None` where nothing is changed.
pub fn in_the_source_currency(named: &[Named], english: &str) -> Option<String> {
    let with_amount: Codes = named
        .iter()
        .filter(|n| n.with_amount)
        .flat_map(|n| n.codes.iter().cloned())
        .collect();
    let [code] = Vec::from_iter(with_amount).try_into().ok()?;
    let spelled = TABLE.english_spelled.get(&code)?;
    let known: Codes = named.iter().flat_map(|n| n.codes.iter().cloned()).collect();
    let mut out = String::with_capacity(english.len());
    let mut copied = 0;
    for amount in self::english(english) {
        if !amount.codes.is_disjoint(&known) {
            continue;
        }
        let (from, by) = match (amount.written, &spelled.symbol) {
            // From the number's end: "US" of "8 million US dollars" goes with "dollars".
            (Written::Word, _) if numbers::same(amount.value, 1.0) => {
                (amount.number_end, format!(" {}", spelled.singular))
            }
            (Written::Word, _) => (amount.number_end, format!(" {}", spelled.plural)),
            (_, Some(symbol)) => (amount.start, symbol.clone()),
            (_, None) => continue,
        };
        // Amounts may share their writing ("8 $ 9 million": the symbol after one number and
        // before the next): each part of the English is written once.
        if from < copied {
            continue;
        }
        out.push_str(&english[copied..from]);
        out.push_str(&by);
        copied = amount.end;
    }
    (copied > 0).then(|| out + &english[copied..])
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
    // The singular and plural to write: CLDR gives the display name ("US Dollar") before the
    // counted forms ("US dollar", "US dollars"), which are the ones running text uses.
    let english_spelled = in_use
        .iter()
        .filter_map(|code| {
            let own = en.currencies.get(code)?;
            let singular = own.singular.last().and_then(|n| last(n))?;
            let plural = own.plural.first().and_then(|n| last(n))?;
            let symbol = own
                .symbols
                .iter()
                .chain(
                    root.currencies
                        .get(code)
                        .into_iter()
                        .flat_map(|c| &c.symbols),
                )
                .find(|s| !s.chars().any(char::is_alphabetic))
                .cloned();
            Some((
                code.clone(),
                Spelled {
                    singular,
                    plural,
                    symbol,
                },
            ))
        })
        .collect();
    Ok(Table {
        french: Writing::of(&in_use, &fr, &root, first),
        english: Writing::of(&in_use, &en, &root, last),
        english_spelled,
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
        let amount = |start: usize, end: usize, codes: &Codes, written: Written| Amount {
            start,
            end,
            codes: codes.clone(),
            written,
            number_end: q.end,
            value: q.value,
        };
        if let Some((symbol, codes)) = writing.symbol(after, false) {
            out.push(amount(
                after_start,
                after_start + symbol.len(),
                codes,
                Written::SymbolAfter,
            ));
            continue;
        }
        let before = text[..q.start].trim_end_matches(char::is_whitespace);
        if let Some((symbol, codes)) = writing.symbol(before, true) {
            out.push(amount(
                before.len() - symbol.len(),
                before.len(),
                codes,
                Written::SymbolBefore,
            ));
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
                out.push(amount(at, at + word_len, codes, Written::Word));
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
    fn english_writes_each_currency_by_its_counted_names_and_a_symbol_not_in_letters() {
        let spelled = |code: &str| TABLE.english_spelled.get(code).cloned();
        let euro = spelled("EUR").expect("the euro is in use");
        assert_eq!(
            (euro.singular.as_str(), euro.plural.as_str()),
            ("euro", "euros")
        );
        assert_eq!(euro.symbol.as_deref(), Some("€"));
        let pound = spelled("GBP").expect("the pound is in use");
        assert_eq!(
            (pound.plural.as_str(), pound.symbol.as_deref()),
            ("pounds", Some("£"))
        );
        // The Swiss franc's symbols are letters ("CHF"): none to write before a number.
        assert_eq!(spelled("CHF").map(|s| s.symbol), Some(None));
    }

    #[test]
    fn an_amount_in_a_currency_its_source_does_not_name_is_written_in_the_sources() {
        let euros = named_in_french("Elles ont investi plus de 8 millions d'euros.");
        let mended = |english: &str| in_the_source_currency(&euros, english);
        assert_eq!(
            mended("They invested more than 8 million dollars.").as_deref(),
            Some("They invested more than 8 million euros.")
        );
        assert_eq!(
            mended("More than $8 million and 8 million US dollars, 1 dollar a head.").as_deref(),
            Some("More than €8 million and 8 million euros, 1 euro a head.")
        );
        // Already in euros, or no amount at all: nothing to write.
        assert_eq!(mended("They invested more than 8 million euros."), None);
        assert_eq!(mended("They invested heavily."), None);
        // "dollars" in French may be American, Canadian, Australian…: no one currency to write.
        let dollars = named_in_french("Un budget de 8 millions de dollars.");
        assert_eq!(
            in_the_source_currency(&dollars, "A budget of 8 million pounds."),
            None
        );
        // Two currencies in the source: which one the English meant is not known.
        let both = named_in_french("8 millions d'euros et 3 millions de livres sterling.");
        assert_eq!(in_the_source_currency(&both, "8 million dollars."), None);
        // One symbol read as two amounts' (after one number, before the next) is written once.
        assert_eq!(
            mended("It cost 8 $ 9 million more.").as_deref(),
            Some("It cost 8 € 9 million more.")
        );
        // A currency with no symbol but letters ("zł") keeps the English's symbol.
        let zlotys = named_in_french("Un coût de 12 millions de zlotys.");
        assert_eq!(
            in_the_source_currency(&zlotys, "A cost of 12 million dollars, $12 million.")
                .as_deref(),
            Some("A cost of 12 million zlotys, $12 million.")
        );
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
