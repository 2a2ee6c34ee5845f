//! The French word list that tells a capitalised ordinary word ("la Terre", "la Ligue") from a
//! name is Debian's `wfrench` (/usr/share/dict/french, from the Dicollecte/Grammalecte
//! lexicon), which `./setup.sh` installs. It is read into the binary at build time, so that a
//! built Passerelle needs no file at run time; `PASSERELLE_FRENCH_WORDS` names another list of
//! the same form (one word a line, UTF-8).

use std::path::PathBuf;

const DEFAULT: &str = "/usr/share/dict/french";
/// Fewer words than this is not a French lexicon but a truncated or wrong file.
const AT_LEAST: usize = 100_000;

fn main() {
    println!("cargo:rerun-if-env-changed=PASSERELLE_FRENCH_WORDS");
    let path = std::env::var_os("PASSERELLE_FRENCH_WORDS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT));
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
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1)
}
