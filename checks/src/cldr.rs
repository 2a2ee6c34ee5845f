//! The Unicode CLDR's locale data that the checks read: the French, English and root locale
//! files (`fr.xml`, `en.xml`, `root.xml`, which English falls back to) and the list of currencies
//! in use (`validity/currency.xml`). Debian's `unicode-cldr-core` ships them; `build.rs` finds
//! them and they are read into the binary, then parsed on first use by [`crate::places`] and
//! [`crate::currencies`].

use std::collections::BTreeMap;

pub(crate) static FRENCH: &str = include_str!(env!("PASSERELLE_CLDR_FR"));
pub(crate) static ENGLISH: &str = include_str!(env!("PASSERELLE_CLDR_EN"));
pub(crate) static ROOT: &str = include_str!(env!("PASSERELLE_CLDR_ROOT"));
pub(crate) static CURRENCY_VALIDITY: &str = include_str!(env!("PASSERELLE_CLDR_CURRENCIES"));

/// What one locale file names: territories (by code, the usual name first), exemplar cities
/// (by zone), and currencies (by code).
#[derive(Default)]
pub(crate) struct Locale {
    pub(crate) territories: BTreeMap<String, Vec<String>>,
    pub(crate) cities: BTreeMap<String, String>,
    pub(crate) currencies: BTreeMap<String, Currency>,
}

/// A currency's names, singular ("livre sterling") and plural ("livres sterling"), and symbols
/// ("£GB", "£") in one locale.
#[derive(Default, Debug, Clone, PartialEq)]
pub(crate) struct Currency {
    pub(crate) singular: Vec<String>,
    pub(crate) plural: Vec<String>,
    pub(crate) symbols: Vec<String>,
}

impl Locale {
    pub(crate) fn read(xml: &str) -> Result<Self, roxmltree::Error> {
        let doc = parse(xml)?;
        let mut locale = Locale::default();
        for node in doc.descendants().filter(|n| n.is_element()) {
            let text = node.text().map(str::trim).filter(|t| !t.is_empty());
            match (node.tag_name().name(), node.attribute("type"), text) {
                ("territory", Some(code), Some(name)) => {
                    let names = locale.territories.entry(code.to_string()).or_default();
                    // The plain name first, then the short and variant ones.
                    if node.attribute("alt").is_none() {
                        names.insert(0, name.to_string());
                    } else {
                        names.push(name.to_string());
                    }
                }
                ("zone", Some(zone), _) => {
                    let city = node.children().find(|c| {
                        c.tag_name().name() == "exemplarCity" && c.attribute("alt").is_none()
                    });
                    if let Some(name) = city.and_then(|c| c.text()).map(str::trim) {
                        locale.cities.insert(zone.to_string(), name.to_string());
                    }
                }
                ("currency", Some(code), _) => {
                    let currency = locale.currencies.entry(code.to_string()).or_default();
                    for child in node.children().filter(|c| c.is_element()) {
                        let Some(text) = child.text().map(str::trim).filter(|t| !t.is_empty())
                        else {
                            continue;
                        };
                        let list = match (child.tag_name().name(), child.attribute("count")) {
                            ("displayName", None | Some("one")) => &mut currency.singular,
                            ("displayName", Some(_)) => &mut currency.plural,
                            ("symbol", _) => &mut currency.symbols,
                            _ => continue,
                        };
                        if !list.iter().any(|t| t == text) {
                            list.push(text.to_string());
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(locale)
    }
}

/// The codes of the currencies in use (CLDR's "regular" ones: not the French franc or the
/// Deutsche Mark), from a `validity/currency.xml`.
pub(crate) fn currencies_in_use(xml: &str) -> Result<Vec<String>, roxmltree::Error> {
    let doc = parse(xml)?;
    Ok(doc
        .descendants()
        .filter(|n| {
            n.tag_name().name() == "id"
                && n.attribute("type") == Some("currency")
                && n.attribute("idStatus") == Some("regular")
        })
        // The codes may come after a comment ("<!-- 155 items -->"): every text child.
        .flat_map(|n| n.children().filter(|c| c.is_text()))
        .filter_map(|c| c.text())
        .flat_map(str::split_whitespace)
        .map(str::to_string)
        .collect())
}

fn parse(xml: &str) -> Result<roxmltree::Document<'_>, roxmltree::Error> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(xml, options)
}
