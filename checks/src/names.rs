//! Proper names and acronyms: a translation must keep the source's ("Haut-Karabakh" became "the
//! North Caucasus") and invent none ("OTSC" became "OSCE").

pub use crate::lexicon::fold;
use crate::words::word_starts;
use crate::{calendar, lexicon, places, quotes};

/// French names and acronyms with the English ways of writing them, for those whose English
/// form shares no four-letter beginning with the French: acronyms that English writes
/// otherwise (FMI/IMF, ONU/UN), and the places that CLDR ([`places`], which has countries and
/// the cities of time zones) lacks (Pékin, Genève, Haut-Karabakh) or names by an ordinary French
/// word (Chine, Londres: see `english_forms`), or whose English has forms CLDR
/// lacks (Royaume-Uni: Britain). A name listed here must appear in one of its English forms: a
/// French acronym kept as it is ("a supplementary FMI engagement") is caught. Written by the
/// team: no registry we can reach ships French–English names of organizations (Debian's
/// FreeDict French–English dictionary has none). Acronyms not listed are found in the English
/// as they are or with their letters in another order ([`same_letters`]), so an unlisted one
/// raises no false alarm.
pub const FRENCH_TO_ENGLISH: &[(&str, &[&str])] = &[
    ("ONU", &["UN", "United Nations"]),
    ("OTAN", &["NATO"]),
    ("OTSC", &["CSTO", "Collective Security Treaty Organization"]),
    ("UE", &["EU", "European Union"]),
    ("FMI", &["IMF", "International Monetary Fund"]),
    ("OMS", &["WHO", "World Health Organization"]),
    ("BCE", &["ECB", "European Central Bank"]),
    ("OMC", &["WTO", "World Trade Organization"]),
    ("OCDE", &["OECD"]),
    ("PIB", &["GDP", "gross domestic product"]),
    ("ONG", &["NGO"]),
    ("États-Unis", &["United States", "US", "U.S.", "America"]),
    ("Etats-Unis", &["United States", "US", "U.S.", "America"]),
    ("Royaume-Uni", &["United Kingdom", "UK", "Britain"]),
    ("Haut-Karabakh", &["Nagorno-Karabakh", "Karabakh"]),
    ("France", &["France", "French"]),
    ("Angleterre", &["England"]),
    ("Pays-Bas", &["Netherlands", "Holland"]),
    ("Suisse", &["Switzerland", "Swiss"]),
    ("Pékin", &["Beijing"]),
    ("Londres", &["London"]),
    ("Genève", &["Geneva"]),
    ("Venise", &["Venice"]),
    ("Turquie", &["Turkey", "Türkiye"]),
    ("Bélarus", &["Belarus"]),
    ("Arabie", &["Arabia"]),
    ("Écosse", &["Scotland"]),
    ("Suède", &["Sweden"]),
    ("Inde", &["India"]),
    ("Chine", &["China"]),
    ("Japon", &["Japan"]),
    ("Corée", &["Korea"]),
    ("Brésil", &["Brazil"]),
    ("Amérique", &["America"]),
    ("Occident", &["West", "western"]),
    ("Orient", &["East", "eastern"]),
    (
        "Élysée",
        &[
            "Elysee",
            "Élysée",
            "presidential",
            "presidency",
            "president",
        ],
    ),
    ("Québec", &["Quebec"]),
    ("Montréal", &["Montreal"]),
    ("Noël", &["Christmas", "Noël", "Noel"]),
    ("Corse", &["Corsica", "Corsican"]),
    ("Bretagne", &["Brittany", "Breton"]),
    ("Savoie", &["Savoy"]),
    ("Guyane", &["Guiana"]),
    ("Galles", &["Wales", "Welsh"]),
    ("Tchétchénie", &["Chechnya"]),
    ("Tchéquie", &["Czechia", "Czech"]),
    ("Nouvelle-Orléans", &["New Orleans"]),
    ("Kiev", &["Kyiv", "Kiev"]),
    ("Kyiv", &["Kyiv", "Kiev"]),
    ("Côte", &["Coast", "coast"]),
    ("Ivoire", &["Ivory", "Ivoire"]),
    ("Édimbourg", &["Edinburgh"]),
    ("Moyen-Orient", &["Middle East"]),
    ("Extrême-Orient", &["Far East"]),
    ("Grande-Bretagne", &["Great Britain", "Britain", "UK"]),
    ("GES", &["GHG", "greenhouse gas", "greenhouse gases"]),
    ("DEL", &["LED", "LEDs"]),
    ("Fifa", &["FIFA", "Fifa"]),
    ("Pâques", &["Easter"]),
];

/// French words written with a capital in names of institutions and places, with their
/// English words: "l'État" is "the State", "le Premier ministre" "the Prime Minister".
const FRENCH_TITLE_WORDS: &[(&str, &[&str])] = &[
    ("état", &["state"]),
    ("premier", &["prime", "first", "premier"]),
    ("conseil", &["council", "board"]),
    ("cour", &["court"]),
    ("église", &["church"]),
    ("parlement", &["parliament"]),
    ("banque", &["bank"]),
    ("ministère", &["ministry", "department"]),
    ("sud", &["south"]),
    ("nord", &["north"]),
    ("est", &["east"]),
    ("ouest", &["west"]),
    ("haut", &["high", "upper"]),
    ("mer", &["sea"]),
    ("golfe", &["gulf"]),
    ("île", &["island", "isle"]),
    ("îles", &["islands", "isles"]),
    ("mont", &["mount"]),
    ("unis", &["united"]),
    ("unies", &["united"]),
    ("royaume", &["kingdom"]),
    ("assemblée", &["assembly"]),
    ("chambre", &["chamber", "house"]),
    ("gauche", &["left"]),
    ("droite", &["right"]),
    ("sénat", &["senate"]),
    ("monsieur", &["mr"]),
    ("madame", &["mrs", "ms"]),
    ("comité", &["committee"]),
    ("parti", &["party"]),
    ("fonds", &["fund", "funds"]),
    ("sécurité", &["security", "safety"]),
    ("sûreté", &["security", "safety", "police"]),
    ("société", &["company", "society", "corporation"]),
    ("aide", &["aid", "help", "assistance"]),
    ("régie", &["board", "authority", "agency", "corporation"]),
    ("école", &["school"]),
    ("loi", &["law", "act", "bill"]),
    ("ressources", &["resources"]),
    ("travail", &["labour", "labor", "work", "employment"]),
    ("mécanisme", &["mechanism"]),
    ("trésor", &["treasury"]),
    ("coupe", &["cup"]),
    ("mondial", &["world", "global", "cup"]),
    ("ministre", &["minister"]),
    ("gouvernement", &["government"]),
    ("agence", &["agency"]),
    ("santé", &["health"]),
    ("impôts", &["tax", "taxes", "revenue"]),
    ("étrangères", &["foreign"]),
    ("jeunesse", &["youth"]),
    ("marché", &["market"]),
    ("bourse", &["exchange", "stock", "bourse"]),
    ("supérieur", &["higher", "superior", "supreme"]),
    ("supérieure", &["higher", "superior", "supreme"]),
    ("grand", &["great", "grand", "greater", "big"]),
    ("grande", &["great", "grand", "greater", "big"]),
    ("nouveau", &["new"]),
    ("nouvelle", &["new"]),
    ("saint", &["saint", "st"]),
    ("sainte", &["saint", "st"]),
];

/// Titles written before a person's name, French and English, folded and without their
/// period: "M." does not end a sentence, and the word after a title is a name even where it is
/// an ordinary French word ("Mme Rose", "M. Boulanger") or in a lexicon ("Mme Chow").
const TITLES: &[&str] = &[
    "m", "mm", "mme", "mmes", "mlle", "mlles", "me", "mgr", "dr", "pr", "mr", "mrs", "ms",
];

/// Words that take a capital in names but are no names themselves (folded): the articles and
/// particles of names ("la Terre", "de Gaulle"), the abbreviations of "saint", and [`TITLES`].
fn is_no_name(folded: &str) -> bool {
    const PARTICLES: &[&str] = &[
        "le", "la", "les", "l", "de", "du", "des", "d", "et", "un", "une", "st", "ste",
    ];
    PARTICLES.contains(&folded) || TITLES.contains(&folded)
}

/// Whether an English word written with a capital names no one (folded): "I", and a title
/// ("Mr", "Dr").
pub fn names_no_one(folded: &str) -> bool {
    folded == "i" || TITLES.contains(&folded)
}

/// A name or acronym found in a text, where it is (bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Name<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
    /// Written right after a title ([`TITLES`]): a person's name, whatever else the word is.
    pub after_title: bool,
}

impl Name<'_> {
    pub fn is_acronym(&self) -> bool {
        is_acronym(self.text)
    }
}

fn is_acronym(word: &str) -> bool {
    word.chars().filter(|c| c.is_alphabetic()).count() >= 2
        && word.chars().all(|c| !c.is_lowercase())
}

/// Words with a capital that do not open a sentence (nor a quotation), and acronyms wherever
/// they are. A hyphenated name ("Haut-Karabakh") stays whole.
pub fn names(text: &str) -> Vec<Name<'_>> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    let mut quote_opened = false;
    let mut after_title = false;
    let mut offset = 0;
    for token in text.split_inclusive(char::is_whitespace) {
        let at = offset;
        offset += token.len();
        let token = token.trim_end();
        let trimmed = token.trim_matches(|c: char| !c.is_alphanumeric());
        if trimmed.is_empty() {
            // A French quotation mark spaced from its first word: « Nous…
            quote_opened = token.ends_with(quotes::OPENING);
            after_title = false;
            continue;
        }
        // "l'Arménie", "d'Ankara": the name after the elision.
        // "l'Arménie", "L'Assomption", "qu'Ankara": the name after the elision ("N'Guessan"
        // keeps it: there it is part of the name).
        let word = match trimmed.find(['\'', '’']) {
            Some(i)
                if ["l", "d", "qu", "j", "s", "c"]
                    .contains(&trimmed[..i].to_lowercase().as_str()) =>
            {
                &trimmed[i + trimmed[i..].chars().next().map_or(1, char::len_utf8)..]
            }
            _ => trimmed,
        };
        let word = word.trim_end_matches("'s").trim_end_matches("’s");
        // "NGOs", "PMEs": the acronym without its plural.
        let word = match word.strip_suffix('s') {
            Some(stem) if is_acronym(stem) => stem,
            _ => word,
        };
        let opens_quote = quote_opened || token.starts_with(quotes::OPENING);
        quote_opened = false;
        // "M." (monsieur) and initials are not names to check.
        let capital = word.chars().count() > 1
            && word.chars().next().is_some_and(char::is_uppercase)
            && !is_no_name(&fold(word));
        let named = std::mem::replace(&mut after_title, false);
        if capital && (is_acronym(word) || named || (!sentence_start && !opens_quote)) {
            let start = at + (word.as_ptr() as usize - token.as_ptr() as usize);
            out.push(Name {
                text: word,
                start,
                end: start + word.len(),
                after_title: named,
            });
        }
        // A title's period ("M. Poutine") ends no sentence.
        let title = token.strip_suffix('.').unwrap_or(token);
        if TITLES.contains(&fold(title).as_str()) && title.starts_with(char::is_uppercase) {
            after_title = true;
            sentence_start = false;
            continue;
        }
        sentence_start = quotes::before_closers(token).ends_with(['.', '!', '?', ':']);
    }
    out
}

/// French names the English must keep: [`names`] less the capitalised ordinary words of the
/// language ("la Terre", "la Ligue", "les Français", "Mais"), which a translation renders as
/// words, not names. Compounds stay, even of ordinary words ("États-Unis", "Haut-Karabakh"),
/// and so do acronyms, the names listed with their English forms ("Corse": Corsica) and the
/// word after a title ("Mme Rose").
pub fn french_names(text: &str) -> Vec<Name<'_>> {
    names(text)
        .into_iter()
        .filter(|n| n.is_acronym() || n.after_title || !is_ordinary_french(n.text))
        .collect()
}

fn is_ordinary_french(name: &str) -> bool {
    !name.contains(['-', '\'', '’']) && listed(name).is_none() && lexicon::is_french_word(name)
}

/// The English forms the team's list gives a French name (any case, accents or not).
fn listed(name: &str) -> Option<&'static [&'static str]> {
    let folded = fold(name);
    FRENCH_TO_ENGLISH
        .iter()
        .find(|(fr, _)| fold(fr) == folded)
        .map(|(_, forms)| *forms)
}

/// The folded words of a text.
pub fn folded_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold)
        .collect()
}

/// Letters a French name and its English form must share at their beginning (Russie / Russia,
/// Moscou / Moscow, Syriens / Syrians, Italie / Italy).
const SHARED_BEGINNING: usize = 4;

/// Whether `word` (folded) is among `words`: sharing its first [`SHARED_BEGINNING`] letters, or
/// whole when shorter.
pub fn among(word: &str, words: &[String]) -> bool {
    let wanted: Vec<char> = word.chars().collect();
    let n = wanted.len().min(SHARED_BEGINNING);
    words.iter().any(|w| {
        let w: Vec<char> = w.chars().collect();
        w.len() >= n && w[..n] == wanted[..n] && (n == SHARED_BEGINNING || w.len() == wanted.len())
    })
}

/// How alike a French name and an English one must be spelt (1 is the same letters): names
/// written by French sounds in French and English ones in English differ by a letter or two
/// (Bakou / Baku, Pachinian / Pashinyan, Tchétchène / Chechen), a different name by more.
const SPELT_ALIKE: f64 = 0.7;

/// Whether `folded` is spelt almost as one of the English's capitalised words (folded).
fn spelt_alike(folded: &str, capitalised: &[String]) -> bool {
    folded.chars().count() >= 4
        && capitalised
            .iter()
            .any(|w| strsim::normalized_levenshtein(folded, w) >= SPELT_ALIKE)
}

/// Whether the French name is in the English: through the team's list, or word by word (each
/// part of a hyphenated name, title words through their English words).
pub fn french_name_in(name: &str, english: &str, english_words: &[String]) -> bool {
    // Accents folded on both sides: "l'Elysée" and "the Élysée" are one name.
    let lower = fold(english);
    if let Some(forms) = listed(name) {
        return forms.iter().any(|f| has_form(&lower, f));
    }
    // A place's CLDR English name ("San Marino" for "Saint-Marin"); other spellings are
    // found word by word below.
    if places::english(name).is_some_and(|forms| forms.iter().any(|f| has_form(&lower, f))) {
        return true;
    }
    if is_acronym(name) {
        return contains_word(english, name)
            || names(english)
                .iter()
                .any(|n| n.is_acronym() && same_letters(n.text, name));
    }
    let capitalised: Vec<String> = english
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .map(fold)
        .collect();
    name.split(['-', '\'', '’'])
        .filter(|p| p.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .all(|part| {
            let folded = fold(part);
            let singular = folded.strip_suffix('s').unwrap_or(&folded);
            among(&folded, english_words)
                || spelt_alike(&folded, &capitalised)
                || listed(part).is_some_and(|forms| forms.iter().any(|f| has_form(&lower, f)))
                || places::english(part)
                    .is_some_and(|forms| forms.iter().any(|f| has_form(&lower, f)))
                || FRENCH_TITLE_WORDS
                    .iter()
                    .find(|(fr, _)| fold(fr) == folded || fold(fr) == singular)
                    .is_some_and(|(_, en)| en.iter().any(|e| among(&fold(e), english_words)))
                // Particles of names ("de", "la", "du") and words of the name written in
                // lower case need not follow.
                || part.chars().next().is_some_and(char::is_lowercase)
                || is_no_name(&folded)
        })
}

/// Whether an English acronym comes from the French: written there as it is, or the English
/// form of one of the French's.
pub fn english_acronym_from(acronym: &str, french: &str) -> bool {
    contains_word(&french.to_lowercase(), &acronym.to_lowercase())
        || names(french)
            .iter()
            .any(|n| n.is_acronym() && same_letters(n.text, acronym))
        || FRENCH_TO_ENGLISH
            .iter()
            .any(|(fr, en)| en.contains(&acronym) && contains_word(french, fr))
}

/// Whether the folded English has an English form of a name, or its plural ("NGOs"), or for
/// a one-word place a word sharing its first letters (China: "Chinese", Britain: "British").
fn has_form(folded_english: &str, form: &str) -> bool {
    let form = fold(form);
    contains_word(folded_english, &form)
        || contains_word(folded_english, &format!("{form}s"))
        || (form.chars().count() > SHARED_BEGINNING
            && form.chars().all(char::is_alphabetic)
            && among(&form, &folded_words(folded_english)))
}

/// Whether two acronyms have the same letters in another order, as French and English ones of
/// one name mostly do: French puts the noun before its adjectives (FMI/IMF, OTAN/NATO,
/// OTSC/CSTO, ONG/NGO, UE/EU).
fn same_letters(a: &str, b: &str) -> bool {
    let letters = |w: &str| {
        let mut l: Vec<char> = w
            .chars()
            .filter(|c| c.is_alphabetic())
            .flat_map(char::to_uppercase)
            .collect();
        l.sort_unstable();
        l
    };
    letters(a) == letters(b)
}

/// `needle` in `haystack` with no letter or digit just before or after it.
fn contains_word(haystack: &str, needle: &str) -> bool {
    find_word(haystack, needle).is_some()
}

/// Where `needle` first stands as a word of its own in `haystack` (bytes).
fn find_word(haystack: &str, needle: &str) -> Option<usize> {
    word_starts(haystack, needle).next()
}

/// The English ways of writing a French name that English writes otherwise: the team's list,
/// or a place whose CLDR name differs ([`places`]) and that is no ordinary French word.
///
/// A place whose French name is an ordinary French word ("Grenade", "Vienne", "Chine") is left
/// to the team's list: such a word in an English text may not be the place left untranslated,
/// and the French may mean another place by it (Grenade is also Granada).
fn english_forms(name: &str) -> Option<Vec<&'static str>> {
    if let Some(forms) = listed(name) {
        return Some(forms.to_vec());
    }
    places::english(name)
        .filter(|_| !lexicon::is_french_word(name))
        .map(|forms| forms.iter().map(String::as_str).collect())
}

/// Whether an English word is (part of) one of the ways English writes a French name: "Baku"
/// for "Bakou", "Marino" for "Saint-Marin", "ECB" for "BCE", from the team's list or CLDR.
pub fn english_form_of(name: &str, word: &str) -> bool {
    let word = fold(word);
    let in_form = |form: &str| contains_word(&fold(form), &word);
    match listed(name) {
        Some(forms) => forms.iter().any(|f| in_form(f)),
        None => places::english(name).is_some_and(|forms| forms.iter().any(|f| in_form(f))),
    }
}

/// The English form a reader knows a French name by ("Baku" for "Bakou", "ECB" for "BCE"), when
/// English writes it otherwise (not "France", nor "Kiev", which English writes too).
pub fn english_form(name: &str) -> Option<&'static str> {
    usual_form(name, &english_forms(name)?)
}

/// The first of a name's English `forms`, unless one of them is the name itself.
fn usual_form(name: &str, forms: &[&'static str]) -> Option<&'static str> {
    let folded = fold(name);
    if forms.iter().any(|f| fold(f) == folded) {
        return None;
    }
    forms.first().copied()
}

/// A French name or acronym that English writes otherwise, written as it is in the English
/// ("the BCE arsenal", "control of Bakou") with none of its English forms there: where it is
/// (bytes), and the English form the reader would know it by ("ECB", "Baku"). Before another
/// capitalised word it is a person's first name ("Maurice Papon", "Salvador Allende"), not a
/// place (Maurice is Mauritius), and is left alone.
pub fn left_in_french(name: &str, english: &str) -> Option<(usize, &'static str)> {
    let forms = english_forms(name)?;
    let form = usual_form(name, &forms)?;
    // The French word itself must not pass for its English form ("Moscou" shares "Mosc" with
    // Moscow).
    let others = fold(english).replace(&fold(name), " ");
    if forms.iter().any(|f| has_form(&others, f)) {
        return None;
    }
    let at = word_starts(english, name).find(|&at| {
        let next = english[at + name.len()..]
            .strip_prefix(' ')
            .and_then(|a| a.split(|c: char| !c.is_alphanumeric()).next())
            .unwrap_or_default();
        // English capitalises weekdays and months too ("in Moscou Thursday").
        !next.chars().next().is_some_and(char::is_uppercase) || !calendar::english(next).is_empty()
    })?;
    Some((at, form))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<&str> {
        names(text).into_iter().map(|n| n.text).collect()
    }

    #[test]
    fn names_are_found_but_not_sentence_openers() {
        assert_eq!(
            texts("Le Kremlin regrette l'absence de l'Arménie au sommet de l'OTSC. Selon Dmitri Peskov, « Nous regrettons »."),
            vec!["Kremlin", "Arménie", "OTSC", "Dmitri", "Peskov"]
        );
        assert_eq!(
            texts("He said, \"We agree.\" The CSTO met in Nagorno-Karabakh."),
            vec!["CSTO", "Nagorno-Karabakh"]
        );
    }

    #[test]
    fn the_word_after_a_title_is_a_name_even_an_ordinary_or_listed_word() {
        // "M." ended a sentence, so the name after it opened one and was never checked.
        assert_eq!(
            texts("« On les couvre de boue », a lancé M. Poutine. Mme Chow et M Dupont."),
            vec!["Poutine", "Chow", "Dupont"]
        );
        let french: Vec<&str> = french_names("Selon Mme Rose et M. Boulanger, la Terre tourne.")
            .into_iter()
            .map(|n| n.text)
            .collect();
        assert_eq!(french, vec!["Rose", "Boulanger"]);
        // A title before a word in lower case names no one, and a sentence after it still
        // begins with a capital that is no name.
        assert!(texts("Me voici. Il pleut.").is_empty());
        // Every title is itself no name, in the plural or in English too.
        assert_eq!(
            texts("Selon Mmes Rose et Roux, qui ont vu Mr Smith et Dr Watson."),
            vec!["Rose", "Roux", "Smith", "Watson"]
        );
        assert!(names_no_one("i") && names_no_one("mrs") && !names_no_one("paris"));
    }

    #[test]
    fn a_french_acronym_left_as_it_is_is_found_with_its_english_form() {
        assert_eq!(left_in_french("BCE", "the BCE arsenal"), Some((4, "ECB")));
        assert_eq!(left_in_french("BCE", "the ECB arsenal"), None);
        // "France" is English too; unlisted acronyms have no English form to offer.
        assert_eq!(left_in_french("France", "France said"), None);
        assert_eq!(left_in_french("CGT", "the CGT said"), None);
        // Places, with their English names from CLDR.
        assert_eq!(
            left_in_french("Bakou", "to recapture control of Bakou, which"),
            Some((24, "Baku"))
        );
        assert_eq!(left_in_french("Bakou", "Baku, not Bakou"), None);
        assert_eq!(
            left_in_french("Moscou", "talks in Moscou"),
            Some((9, "Moscow"))
        );
        assert_eq!(english_form("Erevan"), Some("Yerevan"));
        // A first name, not Mauritius; an ordinary French word (Granada or Grenada).
        assert_eq!(left_in_french("Maurice", "Maurice Papon said"), None);
        assert_eq!(
            left_in_french("Moscou", "talks in Moscou Thursday"),
            Some((9, "Moscow"))
        );
        assert_eq!(
            left_in_french("Maurice", "flights to Maurice resumed"),
            Some((11, "Mauritius"))
        );
        assert_eq!(left_in_french("Grenade", "in Grenade"), None);
    }

    #[test]
    fn places_are_found_in_their_cldr_english_names() {
        let english = "Talks in San Marino and Yerevan.";
        let words = folded_words(english);
        assert!(french_name_in("Saint-Marin", english, &words));
        assert!(french_name_in("Erevan", english, &words));
        assert!(!french_name_in("Bakou", english, &words));
    }

    #[test]
    fn french_names_are_found_in_their_english_forms() {
        let english = "Armenia stayed away from the CSTO summit in Nagorno-Karabakh, said the Prime Minister of the United States.";
        let words = folded_words(english);
        for name in ["Arménie", "OTSC", "Haut-Karabakh", "Premier", "États-Unis"] {
            assert!(french_name_in(name, english, &words), "{name}");
        }
        let wrong = "Armenia stayed away from the OSCE summit in the North Caucasus.";
        let words = folded_words(wrong);
        assert!(!french_name_in("OTSC", wrong, &words));
        assert!(!french_name_in("Haut-Karabakh", wrong, &words));
        assert!(english_acronym_from("CSTO", "le sommet de l'OTSC"));
        assert!(english_acronym_from("FIFA", "la Fifa a choisi"));
        // Institutions, compounds, demonyms, elisions.
        let english = "The Security Committee of the Party met the Syrians, Spain and Portugal, and Edinburgh's L'Assomption school.";
        let words = folded_words(english);
        for name in [
            "Sécurité",
            "Comité",
            "Parti",
            "Syriens",
            "Espagne-Portugal",
            "Édimbourg",
        ] {
            assert!(french_name_in(name, english, &words), "{name}");
        }
        assert_eq!(
            texts("à L'Assomption, Me Dupont"),
            vec!["Assomption", "Dupont"]
        );
        let states = "the member states";
        assert!(french_name_in("Etats", states, &folded_words(states)));
        assert!(!english_acronym_from("OSCE", "le sommet de l'OTSC"));
    }
}
