//! What a job's events add up to: its state, each paragraph's English so far, the summary. The
//! one fold of job events, used by the server (a job's state and its snapshot) and by the page
//! (what it shows), so both read the same English out of the same events.

use crate::api::{ErrorDetail, Figures, Flag, JobEvent, JobStatus};

/// A paragraph's English so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct English {
    pub text: String,
    /// The final text has come (`translation.done`); it no longer changes.
    pub done: bool,
    /// What the checker could not verify in the final English.
    pub flags: Vec<Flag>,
    /// Taken from an earlier article with the same French.
    pub from_memory: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub status: JobStatus,
    /// Place in the queue while queued (1 is next).
    pub position: Option<usize>,
    /// Why the job waits while running (no inference server answers); `None` once text comes.
    pub waiting: Option<String>,
    pub paragraphs: Vec<English>,
    pub summary: String,
    pub summary_done: bool,
    /// What the checker could not verify in the summary.
    pub summary_flags: Vec<Flag>,
    pub figures: Option<Figures>,
    pub error: Option<ErrorDetail>,
}

impl Progress {
    /// A job of `paragraphs` paragraphs that has not started.
    pub fn new(paragraphs: usize) -> Self {
        Self {
            status: JobStatus::Queued,
            position: None,
            waiting: None,
            paragraphs: vec![English::default(); paragraphs],
            summary: String::new(),
            summary_done: false,
            summary_flags: Vec::new(),
            figures: None,
            error: None,
        }
    }

    /// What `event` changes.
    pub fn apply(&mut self, event: &JobEvent) {
        if !matches!(event, JobEvent::Waiting { .. } | JobEvent::Queued { .. }) {
            self.waiting = None;
        }
        match event {
            JobEvent::Queued { position } => self.position = Some(*position),
            JobEvent::TranslationDelta { paragraph, text } => {
                self.status = JobStatus::Running;
                self.position = None;
                if let Some(english) = self.paragraphs.get_mut(*paragraph) {
                    english.text.push_str(text);
                }
            }
            JobEvent::TranslationDone {
                paragraph,
                text,
                flags,
                from_memory,
            } => {
                self.status = JobStatus::Running;
                self.position = None;
                if let Some(english) = self.paragraphs.get_mut(*paragraph) {
                    *english = English {
                        text: text.clone(),
                        done: true,
                        flags: flags.clone(),
                        from_memory: *from_memory,
                    };
                }
            }
            JobEvent::SummaryDelta { text } => self.summary.push_str(text),
            JobEvent::SummaryDone { text, flags } => {
                self.summary = text.clone();
                self.summary_done = true;
                self.summary_flags = flags.clone();
            }
            JobEvent::Resumed {} => {
                // The server restarted: what was half written is written again from the start.
                self.status = JobStatus::Queued;
                for english in self.paragraphs.iter_mut().filter(|e| !e.done) {
                    english.text.clear();
                }
                if !self.summary_done {
                    self.summary.clear();
                }
            }
            JobEvent::TranslationRestart { paragraph } => {
                if let Some(english) = self.paragraphs.get_mut(*paragraph).filter(|e| !e.done) {
                    english.text.clear();
                }
            }
            JobEvent::SummaryRestart {} => {
                if !self.summary_done {
                    self.summary.clear();
                }
            }
            JobEvent::Waiting { message } => self.waiting = Some(message.clone()),
            JobEvent::Done(figures) => {
                self.figures = Some(figures.clone());
                self.status = JobStatus::Done;
            }
            JobEvent::Error { code, message } => {
                self.error = Some(ErrorDetail {
                    code: code.clone(),
                    message: message.clone(),
                });
                self.status = JobStatus::Failed;
            }
            JobEvent::Cancelled {} => self.status = JobStatus::Cancelled,
        }
        if self.status.is_finished() {
            self.position = None;
        }
    }

    /// Paragraphs whose final English has come.
    pub fn paragraphs_done(&self) -> usize {
        self.paragraphs.iter().filter(|e| e.done).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(paragraph: usize, text: &str) -> JobEvent {
        JobEvent::TranslationDone {
            paragraph,
            text: text.into(),
            flags: Vec::new(),
            from_memory: false,
        }
    }

    #[test]
    fn deltas_add_up_and_the_final_text_replaces_them() {
        let mut p = Progress::new(2);
        p.apply(&JobEvent::Queued { position: 2 });
        assert_eq!((p.status, p.position), (JobStatus::Queued, Some(2)));
        p.apply(&JobEvent::TranslationDelta {
            paragraph: 1,
            text: "Half".into(),
        });
        assert_eq!((p.status, p.position), (JobStatus::Running, None));
        p.apply(&done(0, "Whole."));
        assert_eq!(p.paragraphs[0].text, "Whole.");
        assert_eq!(p.paragraphs[1].text, "Half");
        assert_eq!(p.paragraphs_done(), 1);
    }

    #[test]
    fn a_restart_clears_only_what_was_unfinished() {
        let mut p = Progress::new(2);
        p.apply(&done(0, "Kept."));
        p.apply(&JobEvent::TranslationDelta {
            paragraph: 1,
            text: "Half".into(),
        });
        p.apply(&JobEvent::SummaryDelta {
            text: "Begun".into(),
        });
        p.apply(&JobEvent::Resumed {});
        assert_eq!(p.status, JobStatus::Queued);
        assert_eq!(p.paragraphs[0].text, "Kept.");
        assert!(p.paragraphs[1].text.is_empty() && p.summary.is_empty());
    }

    #[test]
    fn a_failed_server_restarts_one_paragraph_and_a_wait_lasts_until_text_comes() {
        let mut p = Progress::new(2);
        p.apply(&done(0, "Kept."));
        p.apply(&JobEvent::TranslationDelta {
            paragraph: 1,
            text: "Half".into(),
        });
        p.apply(&JobEvent::SummaryDelta {
            text: "Begun".into(),
        });
        p.apply(&JobEvent::TranslationRestart { paragraph: 1 });
        p.apply(&JobEvent::TranslationRestart { paragraph: 0 });
        assert_eq!(p.paragraphs[0].text, "Kept.", "a finished paragraph stays");
        assert!(p.paragraphs[1].text.is_empty());
        assert_eq!(p.summary, "Begun", "the summary was not restarted");
        p.apply(&JobEvent::SummaryRestart {});
        assert!(p.summary.is_empty());
        p.apply(&JobEvent::Waiting {
            message: "No server answers.".into(),
        });
        assert_eq!(p.waiting.as_deref(), Some("No server answers."));
        assert_eq!(p.status, JobStatus::Running);
        p.apply(&JobEvent::TranslationDelta {
            paragraph: 1,
            text: "Again".into(),
        });
        assert_eq!(
            (p.waiting.as_deref(), p.paragraphs[1].text.as_str()),
            (None, "Again")
        );
    }

    #[test]
    fn the_end_is_kept_with_its_figures_or_its_error() {
        let mut p = Progress::new(1);
        p.apply(&JobEvent::Queued { position: 1 });
        p.apply(&JobEvent::Error {
            code: "storage".into(),
            message: "Full.".into(),
        });
        assert_eq!((p.status, p.position), (JobStatus::Failed, None));
        assert_eq!(p.error.map(|e| e.message), Some("Full.".to_string()));
        let mut q = Progress::new(1);
        q.apply(&JobEvent::Done(Figures::default()));
        assert_eq!(q.status, JobStatus::Done);
        assert!(q.figures.is_some());
    }
}
