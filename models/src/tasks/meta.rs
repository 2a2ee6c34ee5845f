//! Telling the model's own words ("Here is the translation:", "Note: …") from the text asked for.

/// What one line of model output is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineKind {
    Content,
    /// A preface or closing remark: dropped.
    Meta,
    /// A label in front of the content ("Translation: …"): the content after it is kept.
    Labelled(String),
    /// A note to the reader: it and every line after it are dropped.
    NoteStart,
}

/// Beginnings of the lines that are about the answer rather than the answer.
const META_OPENINGS: &[&str] = &[
    "here is",
    "here's",
    "here are",
    "sure",
    "certainly",
    "of course",
    "below is",
    "the english translation",
    "the translation",
    "this translation",
    "the translated",
    "the french text",
    "the text translates",
    "the summary",
    "this summary",
    "i hope",
    "let me know",
    "i have translated",
    "i translated",
    "english version",
];
const LABELS: &[&str] = &[
    "english translation:",
    "translation:",
    "translated text:",
    "english:",
    "summary:",
    "in english:",
];
const NOTE_OPENINGS: &[&str] = &[
    "note:",
    "notes:",
    "(note",
    "n.b.",
    "nb:",
    "translator's note",
    "translator’s note",
    "*note",
    "**note",
    "please note",
    "remarque",
];

pub fn classify_line(line: &str) -> LineKind {
    let trimmed = line.trim();
    let lower = trimmed.to_lowercase();
    let lower = lower.trim_start_matches(['*', '#', ' ']);
    if NOTE_OPENINGS.iter().any(|n| lower.starts_with(n)) {
        return LineKind::NoteStart;
    }
    if let Some(label) = LABELS.iter().find(|l| lower.starts_with(*l)) {
        // Byte offsets agree: labels are ASCII, and lower-casing ASCII keeps lengths.
        let skipped = trimmed.len() - lower.len() + label.len();
        let rest = trimmed.get(skipped..).unwrap_or("").trim();
        let rest = rest.trim_start_matches("**").trim();
        return if rest.is_empty() {
            LineKind::Meta
        } else {
            LineKind::Labelled(rest.to_string())
        };
    }
    let opens_like_meta = META_OPENINGS.iter().any(|m| lower.starts_with(m));
    let announces = lower.ends_with(':') || lower.ends_with(":**");
    // A short line that opens like a preface and talks about the translation is one; a long line
    // that merely starts alike ("The translation of Proust's work…") is the text itself.
    let talks_about_task = lower.contains("translat") || lower.contains("summar");
    if opens_like_meta && (announces || (lower.chars().count() < 60 && talks_about_task)) {
        return LineKind::Meta;
    }
    if announces && (lower.contains("translat") || lower.contains("english")) {
        return LineKind::Meta;
    }
    LineKind::Content
}

/// Whether a line that is still being written might turn out to be meta, so it must wait.
fn may_become_meta(partial: &str) -> bool {
    let lower = partial.trim_start().to_lowercase();
    let lower = lower.trim_start_matches(['*', '#', ' ']);
    if lower.is_empty() {
        return true;
    }
    META_OPENINGS
        .iter()
        .chain(LABELS)
        .chain(NOTE_OPENINGS)
        .any(|m| m.starts_with(lower) || lower.starts_with(m))
}

/// Streams model output line by line, passing content through as soon as a line is known to be
/// content and holding back lines that may be meta until they end. The text it lets through,
/// trimmed, is the same as [`clean_text`] gives for the whole output.
#[derive(Debug, Default)]
pub struct MetaFilter {
    line: String,
    /// The current line was found to be content: the rest of it passes straight through.
    passing: bool,
    /// A note started: everything after is dropped.
    in_notes: bool,
    /// Newlines seen after content, written out only when more content follows.
    pending_breaks: String,
    emitted_any: bool,
    out: String,
}

impl MetaFilter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds a delta; returns what may be shown now.
    pub fn push(&mut self, delta: &str) -> String {
        let mut shown = String::new();
        for ch in delta.chars() {
            if self.in_notes {
                break;
            }
            if ch == '\n' {
                self.end_line(&mut shown);
                continue;
            }
            self.line.push(ch);
            if self.passing {
                self.emit_char(ch, &mut shown);
            } else if !may_become_meta(&self.line) {
                self.passing = true;
                let line = std::mem::take(&mut self.line);
                self.emit_text(line.trim_start(), &mut shown);
                self.line = line;
            }
        }
        shown
    }

    /// Flushes the last line; returns what may be shown.
    pub fn finish(&mut self) -> String {
        let mut shown = String::new();
        if !self.in_notes {
            self.end_line(&mut shown);
        }
        shown
    }

    /// Everything let through so far.
    pub fn text(&self) -> &str {
        &self.out
    }

    fn end_line(&mut self, shown: &mut String) {
        let line = std::mem::take(&mut self.line);
        if self.passing {
            self.passing = false;
            self.pending_breaks.push('\n');
            return;
        }
        match classify_line(&line) {
            LineKind::Content if line.trim().is_empty() => {
                if self.emitted_any {
                    self.pending_breaks.push('\n');
                }
            }
            LineKind::Content => {
                self.emit_text(line.trim_start(), shown);
                self.pending_breaks.push('\n');
            }
            LineKind::Labelled(rest) => {
                self.emit_text(&rest, shown);
                self.pending_breaks.push('\n');
            }
            LineKind::Meta => {}
            LineKind::NoteStart => self.in_notes = true,
        }
    }

    fn emit_char(&mut self, ch: char, shown: &mut String) {
        let mut buf = [0u8; 4];
        self.emit_text(ch.encode_utf8(&mut buf), shown);
    }

    fn emit_text(&mut self, text: &str, shown: &mut String) {
        if text.is_empty() {
            return;
        }
        if self.emitted_any {
            // At most one blank line between kept lines, however many meta lines were dropped.
            let breaks = if self.pending_breaks.len() > 1 {
                "\n\n"
            } else {
                self.pending_breaks.as_str()
            };
            shown.push_str(breaks);
            self.out.push_str(breaks);
        }
        self.pending_breaks.clear();
        self.emitted_any = true;
        shown.push_str(text);
        self.out.push_str(text);
    }
}

/// The whole-text form of [`MetaFilter`].
pub fn clean_text(raw: &str) -> String {
    let mut filter = MetaFilter::new();
    filter.push(raw);
    filter.finish();
    filter.text().trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefaces_and_notes_are_dropped() {
        let raw = "Here is the English translation of the text:\n\nThe minister spoke on Tuesday.\n\nNote: \"ministre\" can also mean secretary.";
        assert_eq!(clean_text(raw), "The minister spoke on Tuesday.");
        assert_eq!(
            clean_text("Sure! Here's the translation:\nHe left."),
            "He left."
        );
        assert_eq!(
            clean_text("The English translation is:\n\"He left.\""),
            "\"He left.\""
        );
    }

    #[test]
    fn labels_are_removed_and_their_content_kept() {
        assert_eq!(
            clean_text("Translation: The talks failed."),
            "The talks failed."
        );
        assert_eq!(
            clean_text("**English translation:** The talks failed."),
            "The talks failed."
        );
    }

    #[test]
    fn ordinary_sentences_are_kept_even_when_they_start_alike() {
        for line in [
            "The translation of Proust's work into English took ten years, his publisher said.",
            "Here, in the north of the country, the rain has not stopped.",
            "Certainly the most awaited decision of the year, said the minister, who spoke at length.",
            "The summary judgment was delivered on Monday by the court of appeal in Paris.",
        ] {
            assert_eq!(classify_line(line), LineKind::Content, "{line}");
            assert_eq!(clean_text(line), line);
        }
    }

    #[test]
    fn streaming_matches_the_whole_text_clean_up_and_starts_early() {
        let raw = "Here is the translation:\n\nThe president said on Monday that the reform would go ahead.\nNote: literal.";
        let mut filter = MetaFilter::new();
        let mut shown = String::new();
        let mut first_visible_at = None;
        for (i, ch) in raw.chars().enumerate() {
            let out = filter.push(&ch.to_string());
            if !out.is_empty() && first_visible_at.is_none() {
                first_visible_at = Some(i);
            }
            shown.push_str(&out);
        }
        shown.push_str(&filter.finish());
        assert_eq!(shown.trim_end(), clean_text(raw));
        assert_eq!(
            shown.trim_end(),
            "The president said on Monday that the reform would go ahead."
        );
        // Content shows within a few characters of its start, not at the end of its line.
        let start = raw.find("The president").expect("content");
        assert!(first_visible_at.expect("shown") < start + 8);
    }

    #[test]
    fn paragraph_breaks_inside_content_are_kept() {
        assert_eq!(
            clean_text("First line.\n\nSecond line."),
            "First line.\n\nSecond line."
        );
        assert_eq!(clean_text("\n\nFirst.\nSecond."), "First.\nSecond.");
    }
}
