//! From a raw paste to the paragraphs worth translating: normalize, split into paragraphs, take
//! out what is not article text (reporting every removal with its reason), split sentences.

use crate::intake::segment;
use app::api::{Paragraph, RemovalReason, Removed};
use unicode_normalization::UnicodeNormalization;

/// A cleaned paste.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    pub paragraphs: Vec<Paragraph>,
    pub removed: Vec<Removed>,
}

impl Article {
    pub fn texts(&self) -> Vec<String> {
        self.paragraphs.iter().map(|p| p.text.clone()).collect()
    }
}

pub fn clean(raw: &str) -> Article {
    clean_keeping(raw, &[])
}

/// Like [`clean`], but never removes the lines in `keep` (lines a reader put back, written as
/// the cleaning reported them).
pub fn clean_keeping(raw: &str, keep: &[String]) -> Article {
    let text = normalize(raw);
    let units = paragraphs(&text);
    let mut removed = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let keys: Vec<String> = units.iter().map(|u| comparison_key(u)).collect();
    for (i, unit) in units.iter().enumerate() {
        let reason = if keep.iter().any(|k| k == unit) {
            None
        } else if is_navigation(unit) {
            Some(RemovalReason::Navigation)
        } else if is_photo_credit(unit) {
            Some(RemovalReason::PhotoCredit)
        } else if repeats_another(i, &units, &keys) {
            Some(RemovalReason::Duplicate)
        } else {
            None
        };
        match reason {
            Some(reason) => removed.push(Removed {
                text: unit.clone(),
                reason,
            }),
            None => kept.push(unit.clone()),
        }
    }
    let paragraphs = kept
        .into_iter()
        .enumerate()
        .map(|(id, text)| paragraph(id, text))
        .collect();
    Article {
        paragraphs,
        removed,
    }
}

/// A text's paragraphs with nothing taken out, normalized and split as [`clean`] splits them:
/// for software that sends texts to be translated whole (the other protocols), where a line
/// removed would be a line lost.
pub fn paragraphs_as_they_are(raw: &str) -> Vec<String> {
    paragraphs(&normalize(raw))
}

/// A paragraph numbered `id`, split into sentences.
pub fn paragraph(id: usize, text: String) -> Paragraph {
    Paragraph {
        id,
        sentences: segment::sentences(&text),
        text,
        terms: Vec::new(),
    }
}

/// NFC, `\n` line endings, runs of spaces and tabs made one space, lines trimmed, control
/// characters gone (page and line breaks of other systems become `\n`; the rest, such as a bell
/// or an escape, would reach the model and the page as garbage). French punctuation, its
/// non-breaking spaces and « » are left as they are.
pub fn normalize(raw: &str) -> String {
    let text: String = raw.nfc().collect();
    let text = text.replace("\r\n", "\n");
    let text: String = text
        .chars()
        .filter_map(|c| match c {
            '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\n' | '\t' => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect();
    text.lines()
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            let mut in_space = false;
            for c in line.trim_matches([' ', '\t']).chars() {
                if c == ' ' || c == '\t' {
                    in_space = true;
                    continue;
                }
                if in_space {
                    out.push(' ');
                    in_space = false;
                }
                out.push(c);
            }
            out
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ends_a_sentence(line: &str) -> bool {
    let line = line.trim_end();
    line.ends_with(['.', '!', '?', '…', ':', ')']) || line.ends_with(checks::quotes::CLOSING)
}

/// One paragraph per line, as a browser paste gives them, except that a hard-wrapped paragraph
/// (a long line that stops mid-sentence, continued on the next line) is joined back together.
fn paragraphs(text: &str) -> Vec<String> {
    const WRAPPED_LINE_MIN_CHARS: usize = 50;
    let mut out: Vec<String> = Vec::new();
    let mut continues = false;
    for line in text.lines() {
        if line.is_empty() {
            continues = false;
            continue;
        }
        match out.last_mut() {
            Some(prev) if continues => {
                prev.push(' ');
                prev.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
        continues = line.chars().count() >= WRAPPED_LINE_MIN_CHARS && !ends_a_sentence(line);
    }
    out
}

/// Words that stand alone on news sites as buttons, menus and section names.
const NAVIGATION_WORDS: &[&str] = &[
    "rechercher",
    "recherche",
    "menu",
    "accueil",
    "partager",
    "partager sur",
    "se connecter",
    "connexion",
    "s'abonner",
    "abonnez-vous",
    "newsletter",
    "lire aussi",
    "lire plus",
    "voir plus",
    "à lire aussi",
    "publicité",
    "fermer",
    "suivre",
    "commentaires",
    "commenter",
    "dernières infos",
    "à la une",
    "en direct",
    "réagir",
    "imprimer",
    "envoyer",
    "facebook",
    "twitter",
    "x",
    "linkedin",
    "whatsapp",
    "email",
    "e-mail",
    "retour",
    "sommaire",
    "écouter",
    "écouter cet article",
    "offrir",
    "l'essentiel",
    "info",
    "infos",
    "actualités",
    "actualité",
    "vidéo",
    "vidéos",
    "podcast",
    "mon compte",
];

/// Lines such as "Lire aussi : …" that announce a link, not article text.
const NAVIGATION_PREFIXES: &[&str] = &[
    "lire aussi",
    "à lire aussi",
    "voir aussi",
    "à voir aussi",
    "lire la suite",
    "publicité",
];

fn is_navigation(unit: &str) -> bool {
    let lower = unit.to_lowercase();
    let lower = lower.trim();
    if NAVIGATION_WORDS.contains(&lower) {
        return true;
    }
    if NAVIGATION_PREFIXES.iter().any(|p| lower.starts_with(p)) && unit.chars().count() < 160 {
        return true;
    }
    // A breadcrumb: "Dernières Infos - Diplomatie", "International > Europe". Short parts, the
    // first one capitalised, and no sentence punctuation.
    let crumbs = unit.replace(" > ", " - ").replace(" | ", " - ");
    let parts: Vec<&str> = crumbs.split(" - ").map(str::trim).collect();
    parts.len() >= 2
        && !ends_a_sentence(unit)
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.split_whitespace().count() <= 3
                && p.chars().next().is_some_and(char::is_uppercase)
        })
}

const AGENCIES: &[&str] = &[
    "AFP",
    "Reuters",
    "AP",
    "EPA",
    "Getty",
    "Getty Images",
    "Sipa",
    "Maxppp",
    "Belga",
    "ANP",
    "Xinhua",
    "Hans Lucas",
    "Abaca",
    "Bloomberg",
    "Shutterstock",
    "DR",
];

/// "Photo NATALIA KOLESNIKOVA / AFP", "© Reuters", "Crédit photo : …", and captions that end in
/// such a credit.
fn is_photo_credit(unit: &str) -> bool {
    if unit.chars().count() > 300 {
        return false;
    }
    let lower = unit.to_lowercase();
    let credit_word = ["photo", "crédit", "credit", "illustration", "©", "image"]
        .iter()
        .any(|w| lower.contains(w));
    let ends_with_agency = AGENCIES.iter().any(|a| {
        let t = unit.trim_end_matches(['.', ' ', ')']);
        t.ends_with(&format!("/ {a}"))
            || t.ends_with(&format!("/{a}"))
            || t.ends_with(&format!("© {a}"))
    });
    (credit_word && ends_with_agency)
        || lower.starts_with('©')
        || lower.starts_with("crédit photo")
        || lower.starts_with("crédits photo")
}

/// Case, punctuation and spacing set aside, so a repeat is found however it was pasted.
fn comparison_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// An ellipsis at the end marks a paragraph cut short (teasers and repeated leads).
fn truncated_stem(text: &str) -> Option<&str> {
    let t = text.trim_end();
    t.strip_suffix('…')
        .or_else(|| t.strip_suffix("..."))
        .map(str::trim_end)
}

/// A paragraph repeats another when it is the same text, or the start of another one cut off
/// with an ellipsis. The first full copy is kept; a cut copy goes even when it comes first.
fn repeats_another(i: usize, units: &[String], keys: &[String]) -> bool {
    const MIN_KEY_CHARS: usize = 20;
    let key = &keys[i];
    if key.chars().count() < MIN_KEY_CHARS {
        return keys[..i].contains(key) && !key.is_empty();
    }
    if keys[..i].contains(key) {
        return true;
    }
    if let Some(stem) = truncated_stem(&units[i]) {
        let stem = comparison_key(stem);
        return stem.chars().count() >= MIN_KEY_CHARS
            && keys.iter().enumerate().any(|(j, other)| {
                j != i
                    && other.len() > stem.len()
                    && other.starts_with(&stem)
                    && truncated_stem(&units[j]).is_none()
            });
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSY: &str = "Rechercher\nRechercher\n\nDernières Infos - Diplomatie\n\n\
Le gouvernement présente son plan pour les écoles\n\n\
Des élèves dans une cour de récréation, le 3 septembre 2024, à Lyon. Photo JEAN DUPONT / AFP\n\n\
La ministre de l'Éducation, Mme Anne Leroy, a présenté mardi un plan de 2,5 milliards d'euros pour rénover 3 000 écoles d'ici 2030. « Aucune école ne sera oubliée », a-t-elle promis.\r\n\r\n\
Les syndicats saluent l'effort mais jugent le calendrier trop lent. Ils demandent une première tranche de travaux dès l'été prochain…   Une réunion est prévue vendredi.\n\n\n\
La ministre de l'Éducation, Mme Anne Leroy, a présenté mardi un plan de 2,5 milliards d'euros pour rénover 3 000 écoles...\n";

    #[test]
    fn a_messy_paste_keeps_the_article_and_says_what_went() {
        let article = clean(MESSY);
        let texts = article.texts();
        assert_eq!(texts.len(), 3, "{texts:#?}");
        assert_eq!(
            texts[0],
            "Le gouvernement présente son plan pour les écoles"
        );
        assert!(texts[1].starts_with("La ministre de l'Éducation"));
        assert!(texts[2].ends_with("Une réunion est prévue vendredi."));
        let reasons: Vec<_> = article
            .removed
            .iter()
            .map(|r| (r.text.as_str(), r.reason))
            .collect();
        assert_eq!(
            reasons,
            vec![
                ("Rechercher", RemovalReason::Navigation),
                ("Rechercher", RemovalReason::Navigation),
                ("Dernières Infos - Diplomatie", RemovalReason::Navigation),
                ("Des élèves dans une cour de récréation, le 3 septembre 2024, à Lyon. Photo JEAN DUPONT / AFP", RemovalReason::PhotoCredit),
                ("La ministre de l'Éducation, Mme Anne Leroy, a présenté mardi un plan de 2,5 milliards d'euros pour rénover 3 000 écoles...", RemovalReason::Duplicate),
            ]
        );
    }

    #[test]
    fn paragraphs_carry_their_sentences() {
        let article = clean(MESSY);
        assert_eq!(
            article.paragraphs[1].sentences,
            vec![
                "La ministre de l'Éducation, Mme Anne Leroy, a présenté mardi un plan de 2,5 milliards d'euros pour rénover 3 000 écoles d'ici 2030.",
                "« Aucune école ne sera oubliée », a-t-elle promis."
            ]
        );
        assert_eq!(article.paragraphs[2].sentences.len(), 3);
        assert_eq!(
            article.paragraphs.iter().map(|p| p.id).collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn lines_put_back_are_kept() {
        let article = clean_keeping(MESSY, &["Dernières Infos - Diplomatie".to_string()]);
        assert_eq!(article.texts()[0], "Dernières Infos - Diplomatie");
        assert_eq!(article.removed.len(), 4);
    }

    #[test]
    fn normalizing_keeps_french_typography() {
        let decomposed = "e\u{301}te\u{301}";
        assert_eq!(normalize(decomposed), "été");
        assert_eq!(
            normalize("« Oui\u{a0}»,   dit-il\t\tici ;\r\nfin"),
            "« Oui\u{a0}», dit-il ici ;\nfin"
        );
    }

    #[test]
    fn control_characters_are_removed_and_foreign_line_breaks_become_newlines() {
        assert_eq!(
            normalize("Le\u{7} maire\u{1b}[0m a parlé.\u{c}Fin\u{85}ici\u{0}."),
            "Le maire[0m a parlé.\nFin\nici."
        );
        let article = clean("Premier\u{7} paragraphe.\u{2029}\u{2029}Second\u{8} paragraphe.");
        assert_eq!(
            article.texts(),
            vec!["Premier paragraphe.", "Second paragraphe."]
        );
    }

    #[test]
    fn hard_wrapped_paragraphs_are_joined_and_short_titles_are_not() {
        let text = "Un titre court\nLe conseil municipal a voté hier soir une hausse des tarifs\nde la cantine scolaire, au grand dam des parents.\n\nUn autre paragraphe.";
        assert_eq!(
            clean(text).texts(),
            vec![
                "Un titre court",
                "Le conseil municipal a voté hier soir une hausse des tarifs de la cantine scolaire, au grand dam des parents.",
                "Un autre paragraphe."
            ]
        );
    }

    #[test]
    fn a_cut_teaser_before_the_full_paragraph_goes_and_the_full_one_stays() {
        let text = "Le président a annoncé une réforme des retraites…\n\nLe président a annoncé une réforme des retraites qui entrera en vigueur l'an prochain.";
        let article = clean(text);
        assert_eq!(article.texts(), vec!["Le président a annoncé une réforme des retraites qui entrera en vigueur l'an prochain."]);
        assert_eq!(article.removed[0].reason, RemovalReason::Duplicate);
    }

    #[test]
    fn ordinary_sentences_with_dashes_or_photo_words_are_kept() {
        for line in [
            "Le match Paris - Marseille a été reporté à dimanche.",
            "La photo, prise en 1944, montre le débarquement.",
            "Lyon - Une manifestation a rassemblé 2 000 personnes samedi.",
        ] {
            assert_eq!(clean(line).texts(), vec![line], "{line}");
        }
    }
}
