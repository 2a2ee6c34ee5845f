//! What the page shows about one job, updated event by event. Plain data and pure functions, so
//! the event logic is tested natively, without a browser.

use crate::api::{Figures, Flag, FlagKind, JobCreated, JobEvent, Paragraph, Removed};
use crate::pairing::{self, Alignment};
use crate::progress::{English, Progress};
use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    /// Created, not yet heard from the stream.
    Starting,
    Queued {
        position: usize,
    },
    Translating,
    Summarizing,
    Done(Figures),
    Failed {
        message: String,
    },
    Cancelled,
}

impl Phase {
    pub fn is_over(&self) -> bool {
        matches!(self, Self::Done(_) | Self::Failed { .. } | Self::Cancelled)
    }
}

/// A French paragraph as the page shows it; its English is in [`Reading::progress`].
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub french: String,
    /// The French paragraph's sentences, as the server split them.
    pub sentences: Vec<String>,
    /// The finished English's sentences and the French sentences each translates.
    pub pairs: Alignment,
}

/// A side of the page: the French or the English column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    French,
    English,
}

impl Row {
    /// The sentences to light when the reader points at sentence `k` on `side`: its
    /// counterparts, and the sentences that share them (both halves of a one-to-two pair), as
    /// (French, English) indices.
    pub fn lit(&self, side: Side, k: usize) -> (Vec<usize>, Vec<usize>) {
        // Every sentence on the other side of `indices`, each once, in order.
        let across = |indices: &[usize], other: &dyn Fn(usize) -> Vec<usize>| -> Vec<usize> {
            let mut out: Vec<usize> = indices.iter().flat_map(|&i| other(i)).collect();
            out.sort_unstable();
            out.dedup();
            out
        };
        let english_of = |french: &[usize]| across(french, &|f| self.pairs.english_of(f));
        let french_of = |english: &[usize]| {
            across(english, &|e| {
                self.pairs.french_of.get(e).cloned().unwrap_or_default()
            })
        };
        // `k`'s counterparts on the other side, then the sentences of `k`'s side that share
        // them; `k` itself is lit even when it has no counterpart.
        type Across<'a> = &'a dyn Fn(&[usize]) -> Vec<usize>;
        let (to_other, to_own): (Across<'_>, Across<'_>) = match side {
            Side::French => (&english_of, &french_of),
            Side::English => (&french_of, &english_of),
        };
        let other = to_other(&[k]);
        let mut own = to_own(&other);
        if !own.contains(&k) {
            own.push(k);
        }
        match side {
            Side::French => (own, other),
            Side::English => (other, own),
        }
    }

    /// The finished English cut into its sentences, each with its marks, and the text between
    /// them: (sentence index or none for the spaces between, pieces).
    pub fn english_sentences(&self, english: &English) -> Vec<(Option<usize>, Vec<Piece>)> {
        let (text, flags) = (&english.text, &english.flags);
        if self.pairs.english.is_empty() {
            return vec![(None, pieces(text, flags))];
        }
        let mut out = Vec::new();
        let mut at = 0;
        for (j, range) in self.pairs.english.iter().enumerate() {
            if range.start > at {
                out.push((None, vec![Piece::Plain(text[at..range.start].to_string())]));
            }
            out.push((Some(j), pieces_within(text, flags, range.clone())));
            at = range.end;
        }
        if at < text.len() {
            out.push((None, vec![Piece::Plain(text[at..].to_string())]));
        }
        out
    }
}

/// [`pieces`] of the part `range` (bytes) of `english`, the flags' character spans cut to it.
fn pieces_within(english: &str, flags: &[Flag], range: Range<usize>) -> Vec<Piece> {
    let start = english[..range.start].chars().count();
    let end = start + english[range.clone()].chars().count();
    let inside: Vec<Flag> = flags
        .iter()
        .filter_map(|f| {
            let [s, e] = f.english?;
            let (s, e) = (s.max(start), e.min(end));
            (s < e).then(|| Flag {
                english: Some([s - start, e - start]),
                ..f.clone()
            })
        })
        .collect();
    pieces(&english[range], &inside)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub job_id: String,
    pub rows: Vec<Row>,
    pub removed: Vec<Removed>,
    /// The English and the summary so far, folded from the events as the server folds them.
    pub progress: Progress,
    pub phase: Phase,
    /// The id of the last event applied; events at or below it are repeats and ignored.
    pub last_event_id: usize,
    /// When the model started on this job (page clock, milliseconds), for rates and estimates.
    started_ms: Option<f64>,
    /// Deltas received: about one token each.
    deltas: usize,
}

impl Reading {
    pub fn new(created: JobCreated) -> Self {
        Self {
            job_id: created.id,
            progress: Progress::new(created.paragraphs.len()),
            rows: created
                .paragraphs
                .into_iter()
                .map(
                    |Paragraph {
                         text, sentences, ..
                     }| Row {
                        french: text,
                        sentences,
                        pairs: Alignment::default(),
                    },
                )
                .collect(),
            removed: created.removed,
            phase: Phase::Starting,
            last_event_id: 0,
            started_ms: None,
            deltas: 0,
        }
    }

    /// Applies the event numbered `id`, received at `now_ms`; returns false for a repeat.
    pub fn apply(&mut self, id: usize, event: JobEvent, now_ms: f64) -> bool {
        if id <= self.last_event_id || self.phase.is_over() {
            return false;
        }
        self.last_event_id = id;
        let working = matches!(
            event,
            JobEvent::TranslationDelta { .. } | JobEvent::SummaryDelta { .. }
        );
        if working {
            self.started_ms.get_or_insert(now_ms);
            self.deltas += 1;
        }
        self.progress.apply(&event);
        match event {
            JobEvent::Queued { position } => self.phase = Phase::Queued { position },
            JobEvent::TranslationDelta { .. } => self.phase = Phase::Translating,
            JobEvent::TranslationDone {
                paragraph, text, ..
            } => {
                if let Some(row) = self.rows.get_mut(paragraph) {
                    row.pairs = pairing::align(&row.sentences, &text);
                }
            }
            JobEvent::Resumed {} => self.phase = Phase::Starting,
            // The wait is shown from `progress.waiting`, over whatever the job was doing.
            JobEvent::Waiting { .. } | JobEvent::SummaryRestart {} => {}
            JobEvent::TranslationRestart { .. } => self.phase = Phase::Translating,
            JobEvent::SummaryDelta { .. } => {
                // The summary may be written while paragraphs still are: the page says
                // "summarizing" only once the translation is complete.
                let all_done = self.progress.paragraphs.iter().all(|e| e.done);
                if self.phase != Phase::Translating || all_done {
                    self.phase = Phase::Summarizing;
                }
            }
            JobEvent::SummaryDone { .. } => {}
            JobEvent::Done(figures) => self.phase = Phase::Done(figures),
            JobEvent::Error { message, .. } => self.phase = Phase::Failed { message },
            JobEvent::Cancelled {} => self.phase = Phase::Cancelled,
        }
        true
    }

    pub fn paragraphs_done(&self) -> usize {
        self.progress.paragraphs_done()
    }

    /// Paragraph `i`'s French and its English so far.
    pub fn paragraph(&self, i: usize) -> Option<(&Row, &English)> {
        self.rows.get(i).zip(self.progress.paragraphs.get(i))
    }

    /// Tokens per second so far, from the deltas received.
    pub fn tokens_per_second(&self, now_ms: f64) -> Option<f64> {
        let started = self.started_ms?;
        let secs = (now_ms - started) / 1000.0;
        (secs > 1.0).then(|| self.deltas as f64 / secs)
    }

    /// Seconds left, from how much of the French is translated so far; the summary is counted
    /// as a fifth of the work.
    pub fn seconds_left(&self, now_ms: f64) -> Option<f64> {
        const SUMMARY_SHARE: f64 = 0.2;
        let started = self.started_ms?;
        let total: usize = self.rows.iter().map(|r| r.french.chars().count()).sum();
        if total == 0 {
            return None;
        }
        let done: usize = self
            .rows
            .iter()
            .zip(&self.progress.paragraphs)
            .map(|(r, english)| {
                let french = r.french.chars().count();
                if english.done {
                    french
                } else {
                    // Partway through a paragraph: English grows about as long as the French.
                    english.text.chars().count().min(french)
                }
            })
            .sum();
        let translated = done as f64 / total as f64;
        let summarized = if self.progress.summary_done {
            1.0
        } else if self.progress.summary.is_empty() {
            0.0
        } else {
            0.5
        };
        let fraction = translated * (1.0 - SUMMARY_SHARE) + summarized * SUMMARY_SHARE;
        let elapsed = (now_ms - started) / 1000.0;
        (fraction > 0.02 && elapsed > 1.0).then(|| elapsed * (1.0 - fraction) / fraction)
    }

    /// The English, paragraphs separated by blank lines, for the copy button.
    pub fn translation_text(&self) -> String {
        self.progress
            .paragraphs
            .iter()
            .map(|e| e.text.trim())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// A run of an English text: plain, or marked with what the check said about it.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Plain(String),
    Marked {
        text: String,
        note: String,
        /// Marked because the model is unsure of the sentence, not because a check failed:
        /// shown apart.
        unsure: bool,
    },
}

/// `english` cut at the flags' character spans, so the page can mark what the check could not
/// verify. A check's span overlapping an earlier one is folded into it; an unsure sentence is
/// marked around the checks' marks inside it, which keep their own notes. Flags without a span
/// (something the English lacks) are listed by [`missing_notes`] instead.
pub fn pieces(english: &str, flags: &[Flag]) -> Vec<Piece> {
    let chars: Vec<char> = english.chars().collect();
    let span = |f: &Flag| {
        let [start, end] = f.english?;
        (start < end && end <= chars.len()).then_some((start, end))
    };
    // Which flag marks each character: unsure sentences first, the checks' marks over them.
    let mut by_char: Vec<Option<usize>> = vec![None; chars.len()];
    for (i, f) in flags.iter().enumerate() {
        if let (FlagKind::Unsure, Some((start, end))) = (f.kind, span(f)) {
            by_char[start..end].fill(Some(i));
        }
    }
    let mut checked: Vec<(usize, usize, usize)> = flags
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind != FlagKind::Unsure)
        .filter_map(|(i, f)| span(f).map(|(s, e)| (s, e, i)))
        .collect();
    checked.sort_by_key(|s| s.0);
    let mut at = 0;
    for (start, end, i) in checked {
        if start >= at {
            by_char[start..end].fill(Some(i));
            at = end;
        }
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let label = by_char[start];
        let end = (start..chars.len())
            .find(|&k| by_char[k] != label)
            .unwrap_or(chars.len());
        let text: String = chars[start..end].iter().collect();
        out.push(match label.and_then(|i| flags.get(i)) {
            Some(f) => Piece::Marked {
                text,
                note: f.message.clone(),
                unsure: f.kind == FlagKind::Unsure,
            },
            None => Piece::Plain(text),
        });
        start = end;
    }
    if out.is_empty() {
        out.push(Piece::Plain(String::new()));
    }
    out
}

/// What the English lacks, one sentence each, for a note under the text.
pub fn missing_notes(flags: &[Flag]) -> Vec<String> {
    flags
        .iter()
        .filter(|f| f.english.is_none())
        .map(|f| f.message.clone())
        .collect()
}

/// "1 234": the character count as the page shows it.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

/// "about 40 s left", "about 3 min left".
pub fn describe_seconds(secs: f64) -> String {
    if secs < 90.0 {
        format!("about {} s", (secs / 5.0).ceil() as u64 * 5)
    } else {
        format!("about {} min", (secs / 60.0).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::RemovalReason;

    fn created() -> JobCreated {
        JobCreated {
            id: "j1".into(),
            paragraphs: vec![
                Paragraph {
                    id: 0,
                    text: "Premier paragraphe.".into(),
                    sentences: vec![],
                    terms: vec![],
                },
                Paragraph {
                    id: 1,
                    text: "Second paragraphe.".into(),
                    sentences: vec![],
                    terms: vec![],
                },
            ],
            removed: vec![Removed {
                text: "Rechercher".into(),
                reason: RemovalReason::Navigation,
            }],
        }
    }

    fn delta(paragraph: usize, text: &str) -> JobEvent {
        JobEvent::TranslationDelta {
            paragraph,
            text: text.into(),
        }
    }

    #[test]
    fn english_grows_under_its_paragraph_and_the_final_text_wins() {
        let mut r = Reading::new(created());
        assert!(r.apply(1, JobEvent::Queued { position: 1 }, 0.0));
        assert_eq!(r.phase, Phase::Queued { position: 1 });
        r.apply(2, delta(0, "First "), 10.0);
        r.apply(3, delta(0, "paragraph"), 20.0);
        assert_eq!(r.progress.paragraphs[0].text, "First paragraph");
        assert_eq!(r.phase, Phase::Translating);
        r.apply(
            4,
            JobEvent::TranslationDone {
                paragraph: 0,
                text: "First paragraph.".into(),
                flags: Vec::new(),
                from_memory: false,
            },
            30.0,
        );
        assert!(r.progress.paragraphs[0].done && !r.progress.paragraphs[1].done);
        assert_eq!(r.paragraphs_done(), 1);
        assert_eq!(r.translation_text(), "First paragraph.");
    }

    #[test]
    fn flagged_spans_become_marked_pieces_and_lost_items_notes() {
        use crate::api::FlagKind;
        let flag = |english: Option<[usize; 2]>, message: &str| Flag {
            kind: FlagKind::Number,
            source: String::new(),
            english,
            message: message.into(),
        };
        let english = "Ça coûte 6 million € depuis mars.";
        let flags = vec![
            flag(Some([9, 18]), "“6 million” was not found in the French."),
            flag(Some([10, 12]), "overlapping"),
            flag(None, "“4” in the French is not in the English."),
        ];
        assert_eq!(
            pieces(english, &flags),
            vec![
                Piece::Plain("Ça coûte ".into()),
                Piece::Marked {
                    text: "6 million".into(),
                    note: "“6 million” was not found in the French.".into(),
                    unsure: false,
                },
                Piece::Plain(" € depuis mars.".into()),
            ]
        );
        // An unsure sentence is marked around the check's mark inside it.
        let unsure = Flag {
            kind: FlagKind::Unsure,
            ..flag(Some([0, 33]), "The model is unsure of this sentence.")
        };
        assert_eq!(
            pieces(english, &[unsure, flags[0].clone()]),
            vec![
                Piece::Marked {
                    text: "Ça coûte ".into(),
                    note: "The model is unsure of this sentence.".into(),
                    unsure: true,
                },
                Piece::Marked {
                    text: "6 million".into(),
                    note: "“6 million” was not found in the French.".into(),
                    unsure: false,
                },
                Piece::Marked {
                    text: " € depuis mars.".into(),
                    note: "The model is unsure of this sentence.".into(),
                    unsure: true,
                },
            ]
        );
        assert_eq!(
            missing_notes(&flags),
            vec!["“4” in the French is not in the English.".to_string()]
        );
        assert_eq!(pieces("", &[]), vec![Piece::Plain(String::new())]);
    }

    /// The engine runs an article's paragraphs together, so their events interleave.
    #[test]
    fn paragraphs_streaming_in_any_order_land_in_their_own_rows() {
        let mut r = Reading::new(created());
        r.apply(1, delta(1, "Second "), 0.0);
        r.apply(2, delta(0, "First "), 1.0);
        r.apply(3, JobEvent::SummaryDelta { text: "In ".into() }, 1.5);
        assert_eq!(r.phase, Phase::Translating);
        r.apply(4, delta(1, "one"), 2.0);
        r.apply(
            5,
            JobEvent::TranslationDone {
                paragraph: 1,
                text: "Second one.".into(),
                flags: Vec::new(),
                from_memory: false,
            },
            3.0,
        );
        r.apply(6, delta(0, "one"), 4.0);
        assert_eq!(r.progress.paragraphs[0].text, "First one");
        assert_eq!(r.progress.paragraphs[1].text, "Second one.");
        assert!(!r.progress.paragraphs[0].done && r.progress.paragraphs[1].done);
        assert_eq!(r.paragraphs_done(), 1);
        r.apply(
            7,
            JobEvent::TranslationDone {
                paragraph: 0,
                text: "First one.".into(),
                flags: Vec::new(),
                from_memory: false,
            },
            5.0,
        );
        r.apply(
            8,
            JobEvent::SummaryDelta {
                text: "short".into(),
            },
            6.0,
        );
        assert_eq!(r.phase, Phase::Summarizing);
        assert_eq!(r.progress.summary, "In short");
        assert_eq!(r.translation_text(), "First one.\n\nSecond one.");
    }

    #[test]
    fn repeated_events_after_a_reconnect_are_ignored() {
        let mut r = Reading::new(created());
        r.apply(1, delta(0, "First"), 0.0);
        assert!(!r.apply(1, delta(0, "First"), 0.0), "the same id again");
        r.apply(2, delta(0, " one"), 0.0);
        assert_eq!(r.progress.paragraphs[0].text, "First one");
        assert_eq!(r.last_event_id, 2);
    }

    #[test]
    fn the_summary_and_the_end_are_shown() {
        let mut r = Reading::new(created());
        r.apply(1, JobEvent::SummaryDelta { text: "A ".into() }, 0.0);
        assert_eq!(r.phase, Phase::Summarizing);
        r.apply(
            2,
            JobEvent::SummaryDone {
                text: "A summary.".into(),
                flags: Vec::new(),
            },
            0.0,
        );
        r.apply(3, JobEvent::Done(Figures::default()), 0.0);
        assert!(r.progress.summary_done && r.phase.is_over());
        assert!(
            !r.apply(4, JobEvent::Cancelled {}, 0.0),
            "nothing after the end"
        );
        let mut failed = Reading::new(created());
        failed.apply(
            1,
            JobEvent::Error {
                code: "x".into(),
                message: "It broke.".into(),
            },
            0.0,
        );
        assert_eq!(
            failed.phase,
            Phase::Failed {
                message: "It broke.".into()
            }
        );
    }

    #[test]
    fn rates_and_estimates_come_from_progress() {
        let mut r = Reading::new(created());
        assert_eq!(r.seconds_left(0.0), None);
        r.apply(1, delta(0, "First paragraph."), 0.0);
        r.apply(
            2,
            JobEvent::TranslationDone {
                paragraph: 0,
                text: "First paragraph.".into(),
                flags: Vec::new(),
                from_memory: false,
            },
            10_000.0,
        );
        // Half the French is done after 10 s, the summary not yet: 40% of the work.
        let left = r.seconds_left(10_000.0).expect("an estimate");
        assert!((left - 15.0).abs() < 2.0, "{left}");
        assert_eq!(r.tokens_per_second(10_000.0), Some(0.1));
    }

    #[test]
    fn a_resumed_job_writes_unfinished_paragraphs_again_and_keeps_finished_ones() {
        let mut r = Reading::new(created());
        r.apply(1, delta(0, "The first"), 0.0);
        r.apply(
            2,
            JobEvent::TranslationDone {
                paragraph: 0,
                text: "The first paragraph.".into(),
                flags: Vec::new(),
                from_memory: false,
            },
            0.0,
        );
        r.apply(3, delta(1, "Half of the sec"), 0.0);
        assert!(r.apply(4, JobEvent::Resumed {}, 0.0));
        assert_eq!(r.progress.paragraphs[0].text, "The first paragraph.");
        assert!(
            r.progress.paragraphs[1].text.is_empty(),
            "the half-written English is gone"
        );
        r.apply(5, delta(1, "The second"), 0.0);
        assert_eq!(r.progress.paragraphs[1].text, "The second");
        r.apply(
            6,
            JobEvent::TranslationDone {
                paragraph: 1,
                text: "Remembered.".into(),
                flags: Vec::new(),
                from_memory: true,
            },
            0.0,
        );
        assert!(r.progress.paragraphs[1].from_memory && !r.progress.paragraphs[0].from_memory);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(group_thousands(30000), "30\u{202f}000");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(describe_seconds(12.0), "about 15 s");
        assert_eq!(describe_seconds(200.0), "about 3 min");
    }

    #[test]
    fn a_finished_paragraph_pairs_its_sentences_and_lights_both_halves_of_a_split() {
        let mut created = created();
        created.paragraphs[0].sentences = vec![
            "Quatorze personnes ont été arrêtées mercredi à Sherbrooke, où la police a saisi 750 plants de cannabis et quatre kilos de haschich.".into(),
            "Elles comparaîtront jeudi.".into(),
        ];
        let mut reading = Reading::new(created);
        let english = "Fourteen people were arrested on Wednesday in Sherbrooke. The police seized 750 cannabis plants and four kilos of hashish. They will appear on Thursday.";
        let flag = Flag {
            kind: crate::api::FlagKind::Number,
            source: "750".into(),
            // "750", in the second sentence.
            english: Some([
                english[..english.find("750").unwrap_or(0)].chars().count(),
                english[..english.find("750").unwrap_or(0)].chars().count() + 3,
            ]),
            message: "checked".into(),
        };
        reading.apply(
            1,
            JobEvent::TranslationDone {
                paragraph: 0,
                text: english.into(),
                flags: vec![flag.clone()],
                from_memory: false,
            },
            0.0,
        );
        let (row, english_written) = reading.paragraph(0).expect("paragraph 0");
        assert_eq!(row.pairs.french_of, [vec![0], vec![0], vec![1]]);
        // The French sentence split in two lights both English halves, and each half lights
        // the French and its other half.
        assert_eq!(row.lit(Side::French, 0), (vec![0], vec![0, 1]));
        assert_eq!(row.lit(Side::English, 1), (vec![0], vec![0, 1]));
        assert_eq!(row.lit(Side::English, 2), (vec![1], vec![2]));

        let cut = row.english_sentences(english_written);
        let sentences: Vec<Option<usize>> = cut.iter().map(|(k, _)| *k).collect();
        assert_eq!(sentences, [Some(0), None, Some(1), None, Some(2)]);
        // The mark lands in the second sentence, on "750".
        assert!(cut[2].1.contains(&Piece::Marked {
            text: "750".into(),
            note: "checked".into(),
            unsure: false,
        }));
        let rebuilt: String = cut
            .iter()
            .flat_map(|(_, pieces)| pieces)
            .map(|p| match p {
                Piece::Plain(t) | Piece::Marked { text: t, .. } => t.as_str(),
            })
            .collect();
        assert_eq!(rebuilt, english);
    }
}
