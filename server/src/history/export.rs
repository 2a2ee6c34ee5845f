//! An article as a file to keep or share: Markdown, a bilingual HTML table, or the English
//! alone. What the checker could not verify travels with the text, as on the page.

use app::api::Flag;
use app::api::JobSnapshot;
use app::reading::{missing_notes, pieces, Piece};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Markdown: the summary, then each French paragraph quoted above its English
    Md,
    /// A standalone HTML page with the French and the English side by side in a table
    Html,
    /// The English paragraphs alone, as plain text
    Txt,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Md => "md",
            Self::Html => "html",
            Self::Txt => "txt",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Md => "text/markdown; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
            Self::Txt => "text/plain; charset=utf-8",
        }
    }
}

const NOTICE: &str =
    "Machine translation by Passerelle, a local model: check anything important against the French.";

/// The article `job` (titled `title`) in `format`.
pub fn export(job: &JobSnapshot, title: &str, format: Format) -> String {
    match format {
        Format::Md => markdown(job, title),
        Format::Html => html(job, title),
        Format::Txt => text(job),
    }
}

fn text(job: &JobSnapshot) -> String {
    let mut out = job
        .paragraphs
        .iter()
        .map(|p| p.translation.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    out.push('\n');
    out
}

fn markdown(job: &JobSnapshot, title: &str) -> String {
    let mut out = format!("# {title}\n\n*{NOTICE}*\n\n");
    if !job.summary.trim().is_empty() {
        out.push_str(&format!("## Summary\n\n{}\n\n", job.summary.trim()));
        push_unverified_md(&mut out, &job.summary, &job.summary_flags);
    }
    out.push_str("## Article\n\n");
    for p in &job.paragraphs {
        for line in p.paragraph.text.lines() {
            out.push_str(&format!("> {line}\n"));
        }
        out.push('\n');
        out.push_str(p.translation.trim());
        out.push_str("\n\n");
        push_unverified_md(&mut out, &p.translation, &p.flags);
    }
    out
}

fn push_unverified_md(out: &mut String, english: &str, flags: &[Flag]) {
    if flags.is_empty() {
        return;
    }
    // The same cut as the page's marks: each flagged span with its note, then what is missing.
    let items: Vec<String> = pieces(english, flags)
        .into_iter()
        .filter_map(|piece| match piece {
            Piece::Marked { text, note, .. } => Some(format!(
                "“{}” ({})",
                text.trim(),
                note.trim_end_matches('.')
            )),
            Piece::Plain(_) => None,
        })
        .chain(
            missing_notes(flags)
                .into_iter()
                .map(|note| note.trim_end_matches('.').to_string()),
        )
        .collect();
    out.push_str(&format!(
        "*Not verified against the French: {}.*\n\n",
        items.join("; ")
    ));
}

fn html(job: &JobSnapshot, title: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n\
         <style>body{{font-family:sans-serif;max-width:70rem;margin:2rem auto;line-height:1.5}}\
         table{{border-collapse:collapse}}td,th{{vertical-align:top;padding:.5rem 1rem;border-top:1px solid #ccc;text-align:left}}\
         mark{{background:#fde68a}}</style>\n</head>\n<body>\n<h1 lang=\"fr\">{}</h1>\n<p><em>{}</em></p>\n",
        escape(title),
        escape(title),
        escape(NOTICE)
    );
    if !job.summary.trim().is_empty() {
        out.push_str(&format!(
            "<h2>Summary</h2>\n<p>{}</p>\n",
            marked(&job.summary, &job.summary_flags)
        ));
    }
    out.push_str("<table>\n<thead><tr><th>Français</th><th>English</th></tr></thead>\n<tbody>\n");
    for p in &job.paragraphs {
        out.push_str(&format!(
            "<tr><td lang=\"fr\">{}</td><td lang=\"en\">{}</td></tr>\n",
            escape(&p.paragraph.text),
            marked(&p.translation, &p.flags)
        ));
    }
    out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    out
}

/// `english` escaped, with each flagged span in a `<mark>` that says why, cut as the page
/// cuts it ([`pieces`]), and what it lacks after it.
fn marked(english: &str, flags: &[Flag]) -> String {
    let mut out: String = pieces(english, flags)
        .into_iter()
        .map(|piece| match piece {
            Piece::Plain(text) => escape(&text),
            Piece::Marked { text, note, unsure } => format!(
                "<mark{} title=\"{}\">{}</mark>",
                if unsure { " class=\"unsure\"" } else { "" },
                attribute(&note),
                escape(&text)
            ),
        })
        .collect();
    let missing = missing_notes(flags);
    if !missing.is_empty() {
        out.push_str(&format!(
            "<br><small>Not verified: {}</small>",
            escape(&missing.join(" "))
        ));
    }
    out
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

fn attribute(text: &str) -> String {
    html_escape::encode_double_quoted_attribute(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::api::FlagKind;

    #[test]
    fn what_was_not_verified_is_marked_as_on_the_page() {
        let flags = vec![
            Flag {
                kind: FlagKind::Number,
                source: String::new(),
                english: Some([8, 15]),
                message: "“6 million” was not found in the French.".into(),
            },
            Flag {
                kind: FlagKind::Date,
                source: "mardi".into(),
                english: None,
                message: "“mardi” in the French is not in the English.".into(),
            },
        ];
        let html = marked("It cost 6 million <euros>.", &flags);
        assert_eq!(
            html,
            "It cost <mark title=\"“6 million” was not found in the French.\">6 milli</mark>on &lt;euros&gt;.\
             <br><small>Not verified: “mardi” in the French is not in the English.</small>"
        );
        let mut md = String::new();
        push_unverified_md(&mut md, "It cost 6 million <euros>.", &flags);
        assert_eq!(
            md,
            "*Not verified against the French: “6 milli” (“6 million” was not found in the French); \
             “mardi” in the French is not in the English.*\n\n"
        );
    }
}
