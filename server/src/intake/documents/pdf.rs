//! PDF files with a text layer, read page by page with `pdf-extract` (built on `lopdf`). The
//! extractor gives lines, with a blank line where the gap between two lines is wide; this module
//! turns them back into an article's paragraphs:
//! - running heads and feet (a line repeated at the top or bottom of most pages, page numbers
//!   aside, or a bare page number) are dropped;
//! - a word cut by a hyphen at a line's end is joined again ("gouver-" + "nement"), while a
//!   hyphen before a capital is kept ("Haut-" + "Karabakh");
//! - a paragraph goes on across a page break unless its sentence ended there.
//!
//! A PDF whose pages hold no text (a scan) is refused as such: there is nothing to translate.

use super::DocumentError;
use pdf_extract::{Document, PlainTextOutput};
use std::collections::HashMap;

pub fn text(bytes: &[u8]) -> Result<String, DocumentError> {
    // The extractor panics on some malformed files rather than returning an error; a damaged
    // upload must get an answer that says so, not a dropped connection.
    let pages =
        std::panic::catch_unwind(|| pages(bytes)).map_err(|_| DocumentError::Damaged("PDF"))??;
    let text = article(&pages);
    if text.trim().is_empty() {
        return Err(DocumentError::ScannedPdf);
    }
    Ok(text)
}

/// The text of each page, in order.
fn pages(bytes: &[u8]) -> Result<Vec<String>, DocumentError> {
    let mut document = Document::load_mem(bytes).map_err(|_| DocumentError::Damaged("PDF"))?;
    // Many PDFs are encrypted with an empty password only to set permissions; they open as is.
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(DocumentError::Damaged("PDF"));
    }
    let numbers: Vec<u32> = document.get_pages().keys().copied().collect();
    numbers
        .into_iter()
        .map(|number| {
            let mut text = String::new();
            let mut output = PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&document, &mut output, number)
                .map_err(|_| DocumentError::Damaged("PDF"))?;
            Ok(text)
        })
        .collect()
}

/// The pages' lines as paragraphs separated by blank lines.
fn article(pages: &[String]) -> String {
    let pages: Vec<Vec<&str>> = pages
        .iter()
        .map(|page| page.lines().map(str::trim).collect())
        .collect();
    let running = running_lines(&pages);
    let typical = typical_line_chars(&pages);
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for (p, lines) in pages.iter().enumerate() {
        for (l, line) in lines.iter().enumerate() {
            if running.contains(&(p, l)) {
                continue;
            }
            if line.is_empty() {
                finish(&mut paragraphs, &mut current);
                continue;
            }
            join_line(&mut current, line);
            // A line that ends a sentence well short of the measure ends its paragraph, for the
            // many PDFs that mark paragraphs by an indent rather than a gap.
            if ends_sentence(line) && line.chars().count() * 10 < typical * 8 {
                finish(&mut paragraphs, &mut current);
            }
        }
        if ends_sentence(&current) {
            finish(&mut paragraphs, &mut current);
        }
    }
    finish(&mut paragraphs, &mut current);
    paragraphs.join("\n\n")
}

fn finish(paragraphs: &mut Vec<String>, current: &mut String) {
    if !current.trim().is_empty() {
        paragraphs.push(std::mem::take(current).trim().to_string());
    }
    current.clear();
}

/// Appends a line, rejoining a word cut at the previous line's end.
fn join_line(current: &mut String, line: &str) {
    let next_is_lower = line.chars().next().is_some_and(char::is_lowercase);
    // The character before a final hyphen, when the text ends with one.
    let before_hyphen = current
        .strip_suffix('-')
        .map(|rest| rest.chars().next_back());
    if let Some(cut) = current.strip_suffix('\u{ad}') {
        // A soft hyphen is only ever a cut.
        *current = cut.to_string();
    } else if let Some(before) = before_hyphen.filter(|b| !b.is_some_and(char::is_whitespace)) {
        // A word cut at its line's end; a hyphen before a capital or a digit is the word's own.
        if next_is_lower && before.is_some_and(char::is_alphabetic) {
            current.pop();
        }
    } else if !current.is_empty() {
        current.push(' ');
    }
    current.push_str(line);
}

fn ends_sentence(text: &str) -> bool {
    checks::quotes::before_closers(text).ends_with(['.', '!', '?', '…', ':'])
}

/// The usual length of a full line, in characters: the longer lines' median.
fn typical_line_chars(pages: &[Vec<&str>]) -> usize {
    let mut lengths: Vec<usize> = pages
        .iter()
        .flatten()
        .map(|line| line.chars().count())
        .filter(|&n| n > 0)
        .collect();
    lengths.sort_unstable();
    // The upper half's median: titles and last lines of paragraphs pull the plain median down.
    lengths.get(lengths.len() * 3 / 4).copied().unwrap_or(0)
}

/// Where the running heads and feet are, as (page, line) pairs.
fn running_lines(pages: &[Vec<&str>]) -> Vec<(usize, usize)> {
    // The two first and two last non-empty lines of each page may be a head or a foot.
    let edges: Vec<Vec<usize>> = pages
        .iter()
        .map(|lines| {
            let filled: Vec<usize> = (0..lines.len()).filter(|&i| !lines[i].is_empty()).collect();
            let mut edge: Vec<usize> = filled.iter().take(2).copied().collect();
            edge.extend(filled.iter().rev().take(2).copied());
            edge.sort_unstable();
            edge.dedup();
            edge
        })
        .collect();
    let mut pages_with: HashMap<String, usize> = HashMap::new();
    for (p, edge) in edges.iter().enumerate() {
        let mut seen: Vec<String> = edge.iter().map(|&l| shape(pages[p][l])).collect();
        seen.sort_unstable();
        seen.dedup();
        for key in seen {
            *pages_with.entry(key).or_default() += 1;
        }
    }
    let repeated = |line: &str| {
        pages.len() >= 2
            && pages_with.get(&shape(line)).copied().unwrap_or(0) * 2 >= pages.len()
            && pages_with.get(&shape(line)).copied().unwrap_or(0) >= 2
    };
    edges
        .iter()
        .enumerate()
        .flat_map(|(p, edge)| {
            edge.iter()
                .filter(move |&&l| repeated(pages[p][l]) || is_page_number(pages[p][l]))
                .map(move |&l| (p, l))
        })
        .collect()
}

/// A line with its numbers blanked, so "Page 2" and "Page 3" are one running foot.
fn shape(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .to_lowercase()
}

/// "3", "- 3 -", "Page 3", "3 / 12", "page 3 sur 12".
fn is_page_number(line: &str) -> bool {
    let lower = line.to_lowercase();
    let rest = ["page", "sur", "of", "p."]
        .iter()
        .fold(lower, |text, word| text.replace(word, " "));
    rest.chars().any(|c| c.is_ascii_digit())
        && rest.chars().all(|c| {
            c.is_ascii_digit() || c.is_whitespace() || matches!(c, '-' | '–' | '—' | '/' | '|')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::documents::fixtures;

    fn page(lines: &[&str]) -> String {
        lines.join("\n")
    }

    #[test]
    fn a_cut_word_is_joined_and_a_hyphen_before_a_capital_kept() {
        let text = article(&[page(&[
            "Le gouver-",
            "nement a parlé du Haut-",
            "Karabakh hier soir, après une longue journée.",
        ])]);
        assert_eq!(
            text,
            "Le gouvernement a parlé du Haut-Karabakh hier soir, après une longue journée."
        );
    }

    #[test]
    fn running_heads_feet_and_page_numbers_are_dropped() {
        let bodies = [
            [
                "Le conseil municipal a voté mardi soir le budget de l'année prochaine",
                "après un long débat sur le prix des cantines scolaires.",
            ],
            [
                "L'opposition a dénoncé une hausse des impôts locaux de trois pour",
                "cent, que le maire juge indispensable pour les écoles.",
            ],
            [
                "Le vote définitif aura lieu au printemps, une fois connues les",
                "dotations de l'État et de la région.",
            ],
        ];
        let pages: Vec<String> = bodies
            .iter()
            .enumerate()
            .map(|(n, [first, second])| {
                page(&[
                    "Le Quotidien — 24 novembre 2026",
                    "",
                    first,
                    second,
                    "",
                    &format!("Page {} sur 3", n + 1),
                ])
            })
            .collect();
        let text = article(&pages);
        assert!(!text.contains("Quotidien"), "{text}");
        assert!(!text.contains("Page"), "{text}");
        assert_eq!(text.split("\n\n").count(), 3, "{text}");
        assert!(text.starts_with("Le conseil municipal"), "{text}");
        assert!(is_page_number("- 12 -"));
        assert!(is_page_number("3 / 12"));
        assert!(!is_page_number("En 2024, la page s'est tournée."));
    }

    #[test]
    fn a_paragraph_goes_on_across_a_page_break_unless_its_sentence_ended() {
        let pages = [
            page(&[
                "Le premier paragraphe se termine ici.",
                "",
                "Le second paragraphe continue",
            ]),
            page(&["sur la page suivante sans coupure.", "", "Un troisième."]),
        ];
        let text = article(&pages);
        assert_eq!(
            text.split("\n\n").collect::<Vec<_>>(),
            [
                "Le premier paragraphe se termine ici.",
                "Le second paragraphe continue sur la page suivante sans coupure.",
                "Un troisième."
            ]
        );
    }

    #[test]
    fn a_pdf_written_with_a_text_layer_is_read_back() {
        let pdf = fixtures::pdf(&[
            &[
                "Rapport annuel",
                "",
                "Le gouvernement français a présenté mercredi un projet de loi sur l'éner-",
                "gie, qui prévoit la construction de six réacteurs d'ici à 2035.",
                "",
                "Page 1",
            ],
            &[
                "Rapport annuel",
                "",
                "Les députés examineront le texte à partir du 3 décembre, a indiqué le",
                "ministre chargé de l'Industrie.",
                "",
                "Page 2",
            ],
        ]);
        let text = text(&pdf).expect("a text layer");
        assert_eq!(
            text.split("\n\n").collect::<Vec<_>>(),
            [
                "Le gouvernement français a présenté mercredi un projet de loi sur l'énergie, qui prévoit la construction de six réacteurs d'ici à 2035.",
                "Les députés examineront le texte à partir du 3 décembre, a indiqué le ministre chargé de l'Industrie."
            ],
            "{text}"
        );
    }

    #[test]
    fn a_scan_a_locked_file_and_a_damaged_file_are_refused_with_their_reason() {
        let err = text(&fixtures::scanned_pdf()).expect_err("no text layer");
        assert_eq!(err, DocumentError::ScannedPdf);
        assert!(err
            .to_string()
            .starts_with("Scanned PDF: no text to translate"));
        assert_eq!(
            text(&fixtures::locked_pdf()),
            Err(DocumentError::Damaged("PDF"))
        );
        let mut cut = fixtures::pdf(&[&["Un texte."]]);
        cut.truncate(40);
        assert_eq!(text(&cut), Err(DocumentError::Damaged("PDF")));
    }
}
