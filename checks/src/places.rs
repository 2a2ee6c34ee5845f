//! Countries and cities whose English name is not their French one (Bakou/Baku,
//! Moscou/Moscow, Azerbaïdjan/Azerbaijan, Saint-Marin/San Marino), from the Unicode CLDR's
//! locale data: the names of territories, and the exemplar cities of time zones. The English
//! name is CLDR's own fallback: `en.xml`, then `root.xml`, then the zone's identifier
//! ("Asia/Baku"). Debian's `unicode-cldr-core` ships the files; `build.rs` finds them and they
//! are read into the binary, then parsed once on first use.

use crate::cldr::{self, Locale};
use crate::lexicon::fold;
use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

/// A place's French name (one word, or hyphenated) and its English ones, the usual first.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub french: String,
    pub english: Vec<String>,
}

// The files are read into the binary at build time, where `build.rs` checked them, and the
// tests parse them: a file that does not parse is a broken build, not an input.
#[allow(clippy::expect_used)]
static PLACES: LazyLock<Vec<Place>> = LazyLock::new(|| {
    read(cldr::FRENCH, cldr::ENGLISH, cldr::ROOT)
        .expect("the CLDR locale files built in are well-formed XML")
});

/// The English names of a French place name (any case, accents or not), when English names it
/// otherwise.
pub fn english(french: &str) -> Option<&'static [String]> {
    let folded = fold(french);
    PLACES
        .binary_search_by(|p| fold(&p.french).cmp(&folded))
        .ok()
        .map(|i| PLACES[i].english.as_slice())
}

/// How many places the table holds.
pub fn count() -> usize {
    PLACES.len()
}

/// The places of three CLDR locale files (French, English, root) whose French and English
/// names differ, in the order of their folded French names. Names of several words are left
/// out, but for a French article before one word ("Le Caire"), since the checks compare names
/// word by word. A French name that is also English for some place ("Mexico", French for
/// Mexico City) is left out: in an English text it is not French left in.
pub fn read(french: &str, english: &str, root: &str) -> Result<Vec<Place>, roxmltree::Error> {
    let (fr, en, root) = (
        Locale::read(french)?,
        Locale::read(english)?,
        Locale::read(root)?,
    );
    let mut places: BTreeMap<String, Place> = BTreeMap::new();
    let mut add = |french: &str, names: Vec<String>| {
        let Some(french) = one_word(french) else {
            return;
        };
        let folded = fold(french);
        if names.is_empty() || names.iter().any(|n| fold(n) == folded) {
            return;
        }
        let place = places.entry(folded).or_insert_with(|| Place {
            french: french.to_string(),
            english: Vec::new(),
        });
        for name in names {
            if !place.english.contains(&name) {
                place.english.push(name);
            }
        }
    };
    for (code, names) in &fr.territories {
        let english = with_and(en.territories.get(code).cloned().unwrap_or_default());
        for name in names {
            add(name, english.clone());
        }
    }
    for (zone, city) in &fr.cities {
        let english = en
            .cities
            .get(zone)
            .or_else(|| root.cities.get(zone))
            .cloned()
            .or_else(|| zone.rsplit('/').next().map(|c| c.replace('_', " ")));
        add(city, english.into_iter().collect());
    }
    let english_names: HashSet<String> = en
        .territories
        .values()
        .flatten()
        .chain(en.cities.values())
        .chain(root.cities.values())
        .map(|n| fold(n))
        .collect();
    Ok(places
        .into_values()
        .filter(|p| !english_names.contains(&fold(&p.french)))
        .collect())
}

/// "Bosnia & Herzegovina" is written with "and" in running text: that form first.
fn with_and(names: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        if name.contains(" & ") {
            out.push(name.replace(" & ", " and "));
        }
        out.push(name);
    }
    out
}

/// The name as one word: itself, or the word after a French article ("Le Caire": "Caire").
fn one_word(name: &str) -> Option<&str> {
    let name = ["Le ", "La ", "Les "]
        .iter()
        .find_map(|a| name.strip_prefix(a))
        .unwrap_or(name);
    (!name.contains(' ') && name.chars().any(char::is_alphabetic)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn english_of(french: &str) -> Vec<&str> {
        english(french)
            .unwrap_or_default()
            .iter()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn the_built_in_cldr_knows_the_english_names_of_places() {
        assert!(count() > 150, "{} places", count());
        // Sorted for the search by folded French name.
        assert!(PLACES
            .windows(2)
            .all(|w| fold(&w[0].french) < fold(&w[1].french)));
        assert_eq!(english_of("Bakou"), ["Baku"]);
        assert_eq!(english_of("Erevan"), ["Yerevan"]);
        assert_eq!(english_of("Moscou"), ["Moscow"]);
        assert_eq!(english_of("azerbaidjan"), ["Azerbaijan"]);
        assert_eq!(english_of("Caire"), ["Cairo"]);
        assert!(english_of("Saint-Marin").contains(&"San Marino"));
        assert!(english_of("Bosnie-Herzégovine").contains(&"Bosnia and Herzegovina"));
        // Root's English, not the zone's old identifier (America/Godthab).
        assert_eq!(english_of("Nuuk"), Vec::<&str>::new());
        // The same in both languages, or French that English uses for another place.
        for same in ["Paris", "Mexico", "Tokyo"] {
            assert!(english(same).is_none(), "{same}");
        }
        assert!(
            crate::lexicon::is_french_word("Grenade") && !crate::lexicon::is_french_word("Bakou")
        );
    }

    #[test]
    fn a_small_locale_gives_its_places_with_the_fallbacks() {
        let head = r#"<?xml version="1.0" encoding="UTF-8" ?>
<!DOCTYPE ldml SYSTEM "../../common/dtd/ldml.dtd">"#;
        let french = format!(
            r#"{head}<ldml><localeDisplayNames><territories>
<territory type="AZ">Azerbaïdjan</territory>
<territory type="BA">Bosnie-Herzégovine</territory>
<territory type="BA" alt="short">Bosnie</territory>
<territory type="FR">France</territory>
<territory type="CI">Côte d’Ivoire</territory>
</territories></localeDisplayNames><dates><timeZoneNames>
<zone type="Asia/Baku"><exemplarCity>Bakou</exemplarCity></zone>
<zone type="America/Godthab"><exemplarCity>Nuuk</exemplarCity></zone>
<zone type="Africa/Cairo"><exemplarCity>Le Caire</exemplarCity></zone>
<zone type="Africa/Asmera"><exemplarCity>Asmara</exemplarCity></zone>
</timeZoneNames></dates></ldml>"#
        );
        let english = format!(
            r#"{head}<ldml><localeDisplayNames><territories>
<territory type="AZ">Azerbaijan</territory>
<territory type="BA" alt="short">Bosnia</territory>
<territory type="BA">Bosnia &amp; Herzegovina</territory>
<territory type="FR">France</territory>
<territory type="CI">Côte d’Ivoire</territory>
</territories></localeDisplayNames></ldml>"#
        );
        let root = format!(
            r#"{head}<ldml><dates><timeZoneNames>
<zone type="Africa/Asmera"><exemplarCity>Asmara</exemplarCity></zone>
</timeZoneNames></dates></ldml>"#
        );
        let places = read(&french, &english, &root).expect("parses");
        let got: Vec<(&str, Vec<&str>)> = places
            .iter()
            .map(|p| {
                (
                    p.french.as_str(),
                    p.english.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("Azerbaïdjan", vec!["Azerbaijan"]),
                ("Bakou", vec!["Baku"]),
                (
                    "Bosnie",
                    vec!["Bosnia and Herzegovina", "Bosnia & Herzegovina", "Bosnia"]
                ),
                (
                    "Bosnie-Herzégovine",
                    vec!["Bosnia and Herzegovina", "Bosnia & Herzegovina", "Bosnia"]
                ),
                ("Caire", vec!["Cairo"]),
                ("Nuuk", vec!["Godthab"]),
            ]
        );
        assert!(read("<ldml>", &english, &root).is_err());
    }
}
