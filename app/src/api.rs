//! The HTTP API's bodies and the job events, shared by the server (which writes them) and the
//! page (which reads them), so the two cannot drift apart.

use serde::{Deserialize, Serialize};

/// `POST /api/jobs` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
// A misspelt field ("texte") is an error, not an empty article.
#[serde(deny_unknown_fields)]
pub struct CreateJob {
    /// The pasted article; empty when `url` is given.
    #[serde(default)]
    pub text: String,
    /// Lines the cleaning removed last time that the reader put back: kept this time.
    #[serde(default)]
    pub keep: Vec<String>,
    /// The same paste as HTML, when the clipboard had it (a copy from a news site): its article
    /// is read as from a web page, and `text` is used when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// A link to the article instead of its text: the server fetches the page and reads its
    /// article as from a saved web page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One paragraph of the cleaned article, as it will be translated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    pub id: usize,
    pub text: String,
    pub sentences: Vec<String>,
    /// The reader's glossary terms this paragraph holds, given to the model and checked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub terms: Vec<Term>,
}

/// One entry of the reader's glossary: how a French term is to be written in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub french: String,
    pub english: String,
}

/// What the page reads of `GET /api/info`: the model that writes, and where (`built-in` or
/// `remote`). The answer holds more (context, quantization, the servers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub name: String,
    pub engine: String,
}

/// The cookie the page keeps the server's API key in (when the server asks for keys), so that
/// its event streams, which cannot set headers, carry the key too.
pub const KEY_COOKIE: &str = "passerelle_key";

/// The body of `PUT /api/glossary` and the answer of `GET /api/glossary`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Glossary {
    pub terms: Vec<Term>,
}

/// A line the cleaning took out of the paste, and why, so the reader can put it back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Removed {
    pub text: String,
    pub reason: RemovalReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// Site navigation or a section name standing alone.
    Navigation,
    /// A photo caption or credit line.
    PhotoCredit,
    /// The same paragraph again, possibly cut short with an ellipsis.
    Duplicate,
}

impl RemovalReason {
    /// Words for the reader.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Navigation => "navigation or section name",
            Self::PhotoCredit => "photo caption or credit",
            Self::Duplicate => "repeats an earlier paragraph",
        }
    }
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Failed | Self::Cancelled)
    }
}

/// One kept article in `GET /api/history`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: String,
    /// The article's first line.
    pub title: String,
    /// When it was pasted, in seconds since 1970 (UTC).
    pub created_at: i64,
    pub paragraphs: usize,
    pub status: JobStatus,
}

/// `POST /api/jobs` answer (201).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobCreated {
    pub id: String,
    pub paragraphs: Vec<Paragraph>,
    pub removed: Vec<Removed>,
}

/// Figures of a finished job.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// From the start of the work (not of the wait in the queue) to the end.
    pub seconds: f64,
    /// From the start of the work to the first English text.
    pub first_token_seconds: Option<f64>,
    pub prompt_tokens: usize,
    /// Of the prompt tokens, those the engine read: the others' keys and values were kept from
    /// earlier turns of a conversation or shared instructions (0 from engines that do not say).
    #[serde(default)]
    pub prompt_tokens_read: usize,
    pub prompt_tokens_per_second: f64,
    pub generated_tokens: usize,
    pub tokens_per_second: f64,
}

/// `GET /api/jobs/{id}`: the state of a job and everything produced so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSnapshot {
    pub id: String,
    pub status: JobStatus,
    /// Place in the queue while queued (1 is next).
    pub position: Option<usize>,
    pub paragraphs: Vec<ParagraphProgress>,
    pub removed: Vec<Removed>,
    pub summary: String,
    /// What the checker could not verify in the summary.
    pub summary_flags: Vec<Flag>,
    pub figures: Option<Figures>,
    pub error: Option<ErrorDetail>,
    /// The id of the last event so far; `Last-Event-ID` to resume the stream from here.
    pub last_event_id: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParagraphProgress {
    #[serde(flatten)]
    pub paragraph: Paragraph,
    pub translation: String,
    pub done: bool,
    /// What the checker could not verify in the final English.
    pub flags: Vec<Flag>,
}

/// Something in an English text the checker could not verify against the French.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub kind: FlagKind,
    /// The French text concerned; empty when the English added something the French lacks.
    pub source: String,
    /// Character offsets `[start, end)` in the English, or null when the English lacks it.
    pub english: Option<[usize; 2]>,
    /// One sentence for the reader.
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    Number,
    Date,
    Name,
    Missing,
    Untranslated,
    Glossary,
    /// A sentence the model itself is unsure of (its own probabilities), whatever the checks
    /// say: its span is the whole sentence.
    Unsure,
}

impl FlagKind {
    pub const ALL: [Self; 7] = [
        Self::Number,
        Self::Date,
        Self::Name,
        Self::Missing,
        Self::Untranslated,
        Self::Glossary,
        Self::Unsure,
    ];

    /// The kind's name on the wire (`"kind"` of a flag), for tables and counts.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Number => "number",
            Self::Date => "date",
            Self::Name => "name",
            Self::Missing => "missing",
            Self::Untranslated => "untranslated",
            Self::Glossary => "glossary",
            Self::Unsure => "unsure",
        }
    }
}

/// One event of a job's stream. On the wire the SSE `event:` field is the variant's name
/// (`translation.delta`) and the `data:` field the JSON of its fields; see [`JobEvent::to_wire`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data")]
pub enum JobEvent {
    /// Waiting for the model; `position` 1 is next.
    #[serde(rename = "queued")]
    Queued { position: usize },
    #[serde(rename = "translation.delta")]
    TranslationDelta { paragraph: usize, text: String },
    /// The paragraph's final English, which replaces the deltas (clean-up or a repair may have
    /// changed it), with what could still not be verified.
    #[serde(rename = "translation.done")]
    TranslationDone {
        paragraph: usize,
        text: String,
        #[serde(default)]
        flags: Vec<Flag>,
        /// Taken from an earlier article with the same French instead of written again.
        #[serde(default)]
        from_memory: bool,
    },
    #[serde(rename = "summary.delta")]
    SummaryDelta { text: String },
    /// The final summary, which replaces the deltas, with what could not be verified.
    #[serde(rename = "summary.done")]
    SummaryDone {
        text: String,
        #[serde(default)]
        flags: Vec<Flag>,
    },
    /// The server restarted in the middle of the job and goes on from where it was: the
    /// English of unfinished paragraphs, and an unfinished summary, start again.
    #[serde(rename = "resumed")]
    Resumed {},
    /// The inference server writing this paragraph failed in the middle of it: its English so
    /// far is dropped, and it is written again from the start (on another server, or later).
    #[serde(rename = "translation.restart")]
    TranslationRestart { paragraph: usize },
    /// The same for the summary.
    #[serde(rename = "summary.restart")]
    SummaryRestart {},
    /// No inference server answers: the job waits, and goes on by itself when one is back.
    /// The next text that comes ends the wait.
    #[serde(rename = "waiting")]
    Waiting { message: String },
    #[serde(rename = "done")]
    Done(Figures),
    #[serde(rename = "error")]
    Error { code: String, message: String },
    #[serde(rename = "cancelled")]
    Cancelled {},
}

impl JobEvent {
    /// Every event name on the wire: a client subscribes to each.
    pub const NAMES: &'static [&'static str] = &[
        "queued",
        "translation.delta",
        "translation.done",
        "summary.delta",
        "summary.done",
        "resumed",
        "translation.restart",
        "summary.restart",
        "waiting",
        "done",
        "error",
        "cancelled",
    ];

    /// `(event name, JSON data)` for one SSE event.
    pub fn to_wire(&self) -> (String, String) {
        let value = serde_json::to_value(self).unwrap_or_default();
        let name = value["event"].as_str().unwrap_or_default().to_string();
        let data = value
            .get("data")
            .map(|d| d.to_string())
            .unwrap_or_else(|| "{}".to_string());
        (name, data)
    }

    /// Reads one SSE event back.
    pub fn from_wire(name: &str, data: &str) -> Result<Self, serde_json::Error> {
        let data: serde_json::Value = serde_json::from_str(data)?;
        serde_json::from_value(serde_json::json!({ "event": name, "data": data }))
    }

    /// Whether nothing follows this event.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Done(_) | Self::Error { .. } | Self::Cancelled {}
        )
    }
}

/// Every error body: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_kind_is_named_as_the_wire_names_it() {
        for kind in FlagKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).expect("serializes"),
                serde_json::Value::String(kind.as_str().to_string())
            );
        }
    }

    #[test]
    fn events_round_trip_through_the_wire_form() {
        let events = [
            JobEvent::Queued { position: 2 },
            JobEvent::TranslationDelta {
                paragraph: 0,
                text: "The ".into(),
            },
            JobEvent::TranslationDone {
                paragraph: 0,
                text: "The end.".into(),
                flags: Vec::new(),
                from_memory: true,
            },
            JobEvent::Resumed {},
            JobEvent::TranslationRestart { paragraph: 0 },
            JobEvent::SummaryRestart {},
            JobEvent::Waiting {
                message: "No server answers.".into(),
            },
            JobEvent::SummaryDelta { text: "A".into() },
            JobEvent::SummaryDone {
                text: "A summary.".into(),
                flags: Vec::new(),
            },
            JobEvent::Done(Figures {
                seconds: 1.5,
                generated_tokens: 3,
                ..Default::default()
            }),
            JobEvent::Error {
                code: "model".into(),
                message: "failed".into(),
            },
            JobEvent::Cancelled {},
        ];
        let mut names = Vec::new();
        for event in events {
            let (name, data) = event.to_wire();
            assert!(JobEvent::NAMES.contains(&name.as_str()), "{name} is listed");
            names.push(name.clone());
            assert_eq!(JobEvent::from_wire(&name, &data).expect("parse"), event);
        }
        assert_eq!(
            names.len(),
            JobEvent::NAMES.len(),
            "every listed name is tested"
        );
        let (name, data) = JobEvent::TranslationDelta {
            paragraph: 1,
            text: "x".into(),
        }
        .to_wire();
        assert_eq!(name, "translation.delta");
        assert_eq!(data, r#"{"paragraph":1,"text":"x"}"#);
        assert_eq!(
            JobEvent::Cancelled {}.to_wire(),
            ("cancelled".to_string(), "{}".to_string())
        );
    }
}
