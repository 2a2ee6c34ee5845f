//! HTML sent to be translated (LibreTranslate's and DeepL's `html`): only its text is
//! translated; tags, attributes, links and what says not to be translated stay as they are.
//!
//! Each text node is a unit of its own, so text that an inline tag splits (`Le <b>maire</b> a
//! parlé`) is translated in pieces: the tags stay exactly where they were, at some cost to the
//! English of such sentences. Parsed and written back by `dom_query` (html5ever).

use dom_query::{Document, NodeRef};

/// Elements whose content is never translated: code, and what is not text.
const KEPT_ELEMENTS: &[&str] = &[
    "code", "pre", "kbd", "samp", "var", "script", "style", "math", "svg", "textarea",
];

/// The texts of `html` to translate, in document order, each with its whitespace collapsed:
/// every text node holding a letter, outside elements marked `translate="no"` (or with the
/// class `notranslate`), [`KEPT_ELEMENTS`], and links and other elements whose whole text is a
/// mention, a hashtag or an address (what social networks put in a post).
pub fn texts(html: &str) -> Vec<String> {
    let doc = Document::fragment(html);
    units(&doc)
        .iter()
        .map(|node| collapse(&node.text()))
        .collect()
}

/// `html` with its [`texts`] replaced, in order, by `english` (as many as [`texts`] gave; any
/// missing one stays as it was). Each unit's leading and trailing whitespace is kept.
pub fn with_texts(html: &str, english: &[String]) -> String {
    let doc = Document::fragment(html);
    for (node, english) in units(&doc).iter().zip(english) {
        let text = node.text();
        let lead = &text[..text.len() - text.trim_start().len()];
        let trail = &text[text.trim_end().len()..];
        node.set_text(format!("{lead}{}{trail}", english.trim()));
    }
    doc.html_root().inner_html().to_string()
}

fn units<'a>(doc: &'a Document) -> Vec<NodeRef<'a>> {
    let mut out = Vec::new();
    collect(&doc.html_root(), &mut out);
    out
}

fn collect<'a>(node: &NodeRef<'a>, out: &mut Vec<NodeRef<'a>>) {
    for child in node.children() {
        if child.is_text() {
            if child.text().chars().any(char::is_alphabetic) {
                out.push(child);
            }
        } else if child.is_element() && !is_kept(&child) {
            collect(&child, out);
        }
    }
}

fn is_kept(element: &NodeRef<'_>) -> bool {
    let name = element.node_name().unwrap_or_default().to_ascii_lowercase();
    if KEPT_ELEMENTS.contains(&name.as_str()) {
        return true;
    }
    if element
        .attr("translate")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"))
    {
        return true;
    }
    if element
        .attr("class")
        .is_some_and(|classes| classes.split_whitespace().any(|c| c == "notranslate"))
    {
        return true;
    }
    let text = element.text();
    let text = text.trim();
    !text.is_empty()
        && !text.contains(char::is_whitespace)
        && (text.starts_with(['@', '#'])
            || text.starts_with("http://")
            || text.starts_with("https://"))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A post as Mastodon sends it: a mention, a hashtag, a link and a custom emoji.
    const POST: &str = concat!(
        r#"<p><span class="h-card"><a href="https://social.example/@marie" class="u-url mention">@<span>marie</span></a></span> "#,
        r#"Le conseil a voté le budget <a href="https://social.example/tags/Lyon" class="mention hashtag" rel="tag">#<span>Lyon</span></a></p>"#,
        r#"<p>Lire <a href="https://news.example/article">l&#39;article complet</a> ici : "#,
        r#"<a href="https://news.example/a/1" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span>news.example/a/1</span></a> "#,
        r#"<span translate="no">:chat:</span></p>"#
    );

    #[test]
    fn only_the_text_outside_mentions_tags_links_and_kept_spans_is_translated() {
        assert_eq!(
            texts(POST),
            [
                "Le conseil a voté le budget",
                "Lire",
                "l'article complet",
                "ici :"
            ]
        );
    }

    #[test]
    fn the_english_goes_back_where_the_french_was_and_every_tag_stays() {
        let english: Vec<String> = [
            "The council passed the budget",
            "Read",
            "the full article",
            "here:",
        ]
        .map(String::from)
        .to_vec();
        let out = with_texts(POST, &english);
        assert_eq!(
            out,
            concat!(
                r#"<p><span class="h-card"><a href="https://social.example/@marie" class="u-url mention">@<span>marie</span></a></span> "#,
                r#"The council passed the budget <a href="https://social.example/tags/Lyon" class="mention hashtag" rel="tag">#<span>Lyon</span></a></p>"#,
                r#"<p>Read <a href="https://news.example/article">the full article</a> here: "#,
                r#"<a href="https://news.example/a/1" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span><span>news.example/a/1</span></a> "#,
                r#"<span translate="no">:chat:</span></p>"#
            )
        );
    }

    #[test]
    fn english_with_markup_characters_is_escaped_and_code_is_left_alone() {
        let html = "<p>Tapez <code>ls -l</code> puis validez.</p>";
        assert_eq!(texts(html), ["Tapez", "puis validez."]);
        let out = with_texts(html, &["Type <this>".into(), "& confirm.".into()]);
        assert_eq!(
            out,
            "<p>Type &lt;this&gt; <code>ls -l</code> &amp; confirm.</p>"
        );
    }

    #[test]
    fn plain_text_is_a_fragment_of_one_text() {
        assert_eq!(texts("Bonjour à tous"), ["Bonjour à tous"]);
        assert_eq!(
            with_texts("Bonjour à tous", &["Hello all".into()]),
            "Hello all"
        );
        assert!(texts("<p> </p><br>").is_empty());
    }
}
