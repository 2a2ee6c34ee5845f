//! Web pages: the article is found the way Firefox's reader view finds it (`dom_smoothie`, a
//! port of readability.js), so navigation, asides, footers, scripts and comments stay out; its
//! headline and paragraphs come back as plain text, one paragraph per block.

use super::DocumentError;
use dom_smoothie::{Config, Readability, TextMode};

/// Reader view's test of "is there an article here", made to accept a news brief: one paragraph
/// of about 150 characters passes (readability.js asks for about 540).
const MIN_PARAGRAPH_CHARS: usize = 80;
const MIN_SCORE: f32 = 8.0;

pub fn article(html: &str) -> Result<String, DocumentError> {
    let config = Config {
        text_mode: TextMode::Formatted,
        readable_min_content_length: MIN_PARAGRAPH_CHARS,
        readable_min_score: MIN_SCORE,
        ..Config::default()
    };
    let mut page =
        Readability::new(html, None, Some(config)).map_err(|_| DocumentError::NoArticle)?;
    // Without an article, readability still returns the page's likeliest block (a menu).
    if !page.is_probably_readable() {
        return Err(DocumentError::NoArticle);
    }
    let article = page.parse().map_err(|_| DocumentError::NoArticle)?;
    let body = article.text_content.trim();
    if body.is_empty() {
        return Err(DocumentError::NoArticle);
    }
    let title = article.title.trim();
    // The page's title is the headline unless the body already starts with it.
    let text = if title.is_empty() || body.starts_with(title) {
        body.to_string()
    } else {
        format!("{title}\n\n{body}")
    };
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const PAGE: &str = r#"<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Lyon vote son budget</title>
<script>var tracker = "Ne pas traduire";</script><style>p { color: red }</style></head>
<body>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/politique">Politique</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<!-- un commentaire qui ne doit pas passer -->
<main><article>
<h1>Lyon vote son budget</h1>
<p>Le conseil municipal de Lyon a voté mardi soir un budget de 3,2 milliards d'euros pour l'année prochaine, après un débat de plus de six heures entre la majorité et l'opposition.</p>
<p>Les écoles recevront 40 millions d'euros de plus qu'en 2023, a précisé l'adjointe aux finances, qui a défendu un effort sans précédent pour la rénovation des bâtiments scolaires.</p>
<p>L'opposition a dénoncé une hausse de la dette et réclamé un audit indépendant des comptes de la ville avant la fin de l'hiver, sans obtenir gain de cause.</p>
</article>
<aside><h2>À lire aussi</h2><ul><li><a href="/a">Les transports en commun gratuits le dimanche</a></li></ul></aside></main>
<footer><p>© Le Journal de Lyon — Mentions légales — Contact</p></footer>
</body></html>"#;

    #[test]
    fn the_article_is_kept_and_the_page_around_it_is_not() {
        let text = article(PAGE).expect("an article");
        let paragraphs: Vec<&str> = text.split("\n\n").map(str::trim).collect();
        assert_eq!(paragraphs[0], "Lyon vote son budget", "{text}");
        assert!(
            paragraphs[1].starts_with("Le conseil municipal de Lyon"),
            "{text}"
        );
        assert!(
            paragraphs
                .iter()
                .any(|p| p.starts_with("L'opposition a dénoncé")),
            "{text}"
        );
        for gone in [
            "Accueil",
            "tracker",
            "commentaire",
            "À lire aussi",
            "Mentions légales",
            "color",
        ] {
            assert!(!text.contains(gone), "{gone:?} left in: {text}");
        }
    }

    #[test]
    fn a_news_brief_of_one_paragraph_is_an_article() {
        let page = "<html><body><nav><a href='/'>Accueil</a></nav><p>Un incendie a détruit \
            mardi un entrepôt de la zone industrielle de Vénissieux, sans faire de blessés, \
            selon les pompiers, qui ont mobilisé une cinquantaine d'hommes toute la nuit.</p>\
            </body></html>";
        let text = article(page).expect("a brief");
        // On so small a page the menu may come along; the cleaning after it sets it aside, as
        // for a paste.
        let cleaned = crate::intake::clean::clean(&text);
        assert_eq!(cleaned.paragraphs.len(), 1, "{text}");
        assert!(
            cleaned.texts()[0].starts_with("Un incendie a détruit"),
            "{text}"
        );
    }

    #[test]
    fn a_page_without_an_article_is_refused() {
        let page =
            "<html><body><nav><a href='/'>Accueil</a></nav><script>x()</script></body></html>";
        assert_eq!(article(page), Err(DocumentError::NoArticle));
    }
}
