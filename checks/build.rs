//! The French word list that tells a capitalised ordinary word ("la Terre", "la Ligue") from a
//! name is Debian's `wfrench` (/usr/share/dict/french, from the Dicollecte/Grammalecte
//! lexicon), which `./setup.sh` installs. It is read into the binary at build time, so that a
//! built Passerelle needs no file at run time; `PASSERELLE_FRENCH_WORDS` names another list of
//! the same form (one word a line, UTF-8).
//!
//! The French and English names of countries and cities are the Unicode CLDR's (Debian's
//! `unicode-cldr-core`, /usr/share/unicode/cldr/common/main: `fr.xml`, `en.xml` and `root.xml`,
//! which English falls back to), read in the same way, with the list of currencies in use
//! (`/usr/share/unicode/cldr/common/validity/currency.xml`); `PASSERELLE_CLDR_MAIN` names another
//! copy of the `main` folder, with `validity` beside it.

use std::path::PathBuf;

const DEFAULT: &str = "/usr/share/dict/french";
/// Fewer words than this is not a French lexicon but a truncated or wrong file.
const AT_LEAST: usize = 100_000;

fn main() {
    let path = from_env("PASSERELLE_FRENCH_WORDS", DEFAULT);
    println!("cargo:rerun-if-changed={}", path.display());
    let text = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => fail(&format!(
            "the French word list {} cannot be read ({e}). Install Debian's wfrench \
             (`apt-get install wfrench`; ./setup.sh does it), or set PASSERELLE_FRENCH_WORDS \
             to a list of French words, one a line",
            path.display()
        )),
    };
    let Ok(text) = String::from_utf8(text) else {
        fail(&format!(
            "the French word list {} is not UTF-8",
            path.display()
        ))
    };
    let words = text.lines().filter(|l| !l.trim().is_empty()).count();
    if words < AT_LEAST {
        fail(&format!(
            "the French word list {} has {words} words, fewer than the {AT_LEAST} of a real \
             lexicon: install Debian's wfrench or point PASSERELLE_FRENCH_WORDS at a full list",
            path.display()
        ));
    }
    println!(
        "cargo:rustc-env=PASSERELLE_FRENCH_WORDS_FILE={}",
        path.display()
    );
    cldr();
}

const CLDR_DEFAULT: &str = "/usr/share/unicode/cldr/common/main";
/// A locale file without this many exemplar cities is not CLDR's (fr.xml has over 400).
const CLDR_CITIES_AT_LEAST: usize = 300;

fn cldr() {
    let dir = from_env("PASSERELLE_CLDR_MAIN", CLDR_DEFAULT);
    for (locale, cities) in [("fr", CLDR_CITIES_AT_LEAST), ("en", 0), ("root", 0)] {
        let path = dir.join(format!("{locale}.xml"));
        println!("cargo:rerun-if-changed={}", path.display());
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) => fail(&format!(
                "the CLDR locale file {} cannot be read ({e}). Install Debian's \
                 unicode-cldr-core (`apt-get install unicode-cldr-core`; ./setup.sh does it), \
                 or set PASSERELLE_CLDR_MAIN to a folder holding CLDR's fr.xml, en.xml and \
                 root.xml",
                path.display()
            )),
        };
        let found = text.matches("<exemplarCity>").count();
        if !text.contains("<ldml>") || found < cities {
            fail(&format!(
                "{} is not a CLDR locale file ({found} exemplar cities): install Debian's \
                 unicode-cldr-core or point PASSERELLE_CLDR_MAIN at CLDR's common/main folder",
                path.display()
            ));
        }
        println!(
            "cargo:rustc-env=PASSERELLE_CLDR_{}={}",
            locale.to_uppercase(),
            path.display()
        );
    }
    // The currencies in use: beside `main`, in CLDR's `validity` folder.
    let path = dir.join("../validity/currency.xml");
    println!("cargo:rerun-if-changed={}", path.display());
    match std::fs::read_to_string(&path) {
        Ok(text)
            if text.contains("idStatus='regular'") || text.contains("idStatus=\"regular\"") => {}
        Ok(_) => fail(&format!(
            "{} is not CLDR's list of currencies (no regular one): install Debian's \
             unicode-cldr-core or point PASSERELLE_CLDR_MAIN at CLDR's common/main folder",
            path.display()
        )),
        Err(e) => fail(&format!(
            "CLDR's list of currencies {} cannot be read ({e}). Install Debian's \
             unicode-cldr-core (`apt-get install unicode-cldr-core`; ./setup.sh does it), or set \
             PASSERELLE_CLDR_MAIN to CLDR's common/main folder, with common/validity beside it",
            path.display()
        )),
    }
    println!(
        "cargo:rustc-env=PASSERELLE_CLDR_CURRENCIES={}",
        path.display()
    );
}

/// The path `variable` names, or `default`; the build runs again when either changes.
fn from_env(variable: &str, default: &str) -> PathBuf {
    println!("cargo:rerun-if-env-changed={variable}");
    std::env::var_os(variable)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}
