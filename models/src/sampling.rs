//! The engine's vocabulary, shared by the engine and its callers: how the next token is chosen,
//! why a sequence ended, how a caller stops it, and when an output has gone round in circles.
//! It depends on nothing else in the crate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Default)]
pub enum Sampling {
    /// Always the most likely token: the same input gives the same output, which translation needs.
    #[default]
    Greedy,
    Temperature {
        temperature: f64,
        top_p: f64,
        seed: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model ended its turn.
    Stop,
    /// The token budget ran out.
    Budget,
    Cancelled,
    /// The output started repeating itself; the repeats were cut.
    Repetition,
}

/// Shared flag that stops a generation at the next token. Cloning shares the flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// How a token's text meets the text before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joins {
    /// It starts with a letter, a digit, an underscore or a hyphen and a letter: after a word,
    /// it goes on with it.
    Glued,
    /// Punctuation and nothing else ("." or ","): after it, a glued token would start a word
    /// with no space before it.
    Mark,
    /// Anything else: a new word (after a space), a line break.
    Apart,
}

impl Joins {
    pub fn of(text: &str) -> Self {
        let mut chars = text.chars();
        match chars.next() {
            Some(c) if c.is_alphanumeric() || c == '_' => Self::Glued,
            // "-hand" makes one word with the one before ("other-hand").
            Some('-') if chars.next().is_some_and(char::is_alphanumeric) => Self::Glued,
            Some(_)
                if text
                    .chars()
                    .all(|c| !c.is_alphanumeric() && !c.is_whitespace()) =>
            {
                Self::Mark
            }
            _ => Self::Apart,
        }
    }
}

/// What an output may not copy from a source text: once its last `run - 1` tokens are a run the
/// source has, the word that goes on there is refused in every form that writes it or begins
/// it (another case, "OR" + "ford" for "Orford"), and so is every token that would glue itself
/// to the word before, at once or after a mark ("since" + "January", "confidence" + "." +
/// "vote"): a small model finds those ways round. A word the source has is always finished
/// (names are many tokens), but no run of `run` tokens and a new word after it is copied: the
/// model has to say it its own way.
///
/// A sentence shorter than a run could still be copied whole, and so could one whose words
/// after each run are names: its last common word is refused where everything before it in
/// the sentence was written, so that no sentence of the source is written whole.
#[derive(Debug, Default)]
pub struct CopyBan {
    /// Each run of `run - 1` source tokens, and the tokens refused after it.
    after: HashMap<Box<[u32]>, Vec<u32>>,
    context: usize,
    /// Each source sentence's tokens up to its last common word, and that word's forms.
    sentence_starts: HashMap<Box<[u32]>, Vec<u32>>,
    /// The lengths of the keys of `sentence_starts`.
    start_lengths: Vec<usize>,
    /// Tokens that write a letter the source has none of.
    foreign: Vec<u32>,
    /// By token id.
    joins: Arc<[Joins]>,
}

impl CopyBan {
    /// `sources`: the source's token ids, a piece at a time (a run never spans two pieces);
    /// `sentences`: the token ids of each of its sentences as an output could begin them (after
    /// a space or not, in either case), its closing mark left out; `forms(before, token)`: the
    /// tokens that write or begin the same word as a source token where it starts a word after
    /// `before` (none where it goes on with one, or where it may be copied after that one);
    /// `joins`: how each token meets the one before.
    pub fn new(
        sources: &[Vec<u32>],
        sentences: &[Vec<u32>],
        run: usize,
        forms: impl Fn(u32, u32) -> Vec<u32>,
        joins: Arc<[Joins]>,
    ) -> Self {
        let context = run.saturating_sub(1).max(1);
        let mut after: HashMap<Box<[u32]>, Vec<u32>> = HashMap::new();
        for ids in sources {
            for window in ids.windows(context + 1) {
                let (seen, next) = window.split_at(context);
                add_forms(&mut after, seen, forms(seen[context - 1], next[0]));
            }
        }
        let mut sentence_starts: HashMap<Box<[u32]>, Vec<u32>> = HashMap::new();
        for ids in sentences {
            // The last common word, after at least one token: the sentence whole but for it.
            let last = (1..ids.len())
                .rev()
                .map(|at| (at, forms(ids[at - 1], ids[at])))
                .find(|(_, forms)| !forms.is_empty());
            if let Some((at, forms)) = last {
                add_forms(&mut sentence_starts, &ids[..at], forms);
            }
        }
        let mut start_lengths: Vec<usize> = sentence_starts.keys().map(|k| k.len()).collect();
        start_lengths.sort_unstable();
        start_lengths.dedup();
        Self {
            after,
            context,
            sentence_starts,
            start_lengths,
            foreign: Vec::new(),
            joins,
        }
    }

    /// The words refused after `written` (the glued tokens not listed).
    pub fn refused(&self, written: &[u32]) -> Vec<u32> {
        let tail = |len: usize| written.len().checked_sub(len).map(|from| &written[from..]);
        let mut refused: Vec<u32> = tail(self.context)
            .and_then(|run| self.after.get(run))
            .cloned()
            .unwrap_or_default();
        for &len in &self.start_lengths {
            if let Some(forms) = tail(len).and_then(|start| self.sentence_starts.get(start)) {
                for &form in forms {
                    if !refused.contains(&form) {
                        refused.push(form);
                    }
                }
            }
        }
        refused
    }

    /// `logits` (one per token id) with what is refused after `written` set to minus
    /// infinity; `None` where nothing is. A mark written where a word is refused does not free
    /// it ("8" + "." + " million"). Where anything is refused, so are letters the source does
    /// not write: a model pushed off its words may go on in another script.
    pub fn refuse(&self, written: &[u32], logits: &[f32]) -> Option<Vec<f32>> {
        let mut words = self.refused(written);
        if words.is_empty() {
            if let Some((&last, before)) = written.split_last() {
                if self.joins.get(last as usize) == Some(&Joins::Mark) {
                    words = self.refused(before);
                }
            }
        }
        if words.is_empty() {
            return None;
        }
        let mut allowed = logits.to_vec();
        for (logit, _) in allowed
            .iter_mut()
            .zip(self.joins.iter())
            .filter(|(_, &j)| j == Joins::Glued)
        {
            *logit = f32::NEG_INFINITY;
        }
        for &t in words.iter().chain(&self.foreign) {
            if let Some(logit) = allowed.get_mut(t as usize) {
                *logit = f32::NEG_INFINITY;
            }
        }
        Some(allowed)
    }

    /// Also refuses `tokens` wherever anything is refused: those that write letters the
    /// source has none of.
    pub fn with_foreign_letters(mut self, tokens: Vec<u32>) -> Self {
        self.foreign = tokens;
        self
    }
}

/// Words an output may not write (what a check found wrong in an earlier answer: a name or
/// number the source does not have, a name the English writes otherwise): the last token of
/// each of their spellings is refused once the tokens before it are written, so a one-token
/// word is refused everywhere and a longer one only where it would be finished. Asked in
/// words only, a small model writes the same thing again.
#[derive(Debug, Default)]
pub struct WordBan {
    /// The tokens of a spelling but its last, and the last tokens refused after them.
    after: HashMap<Box<[u32]>, Vec<u32>>,
    /// The lengths of the keys of `after`.
    lengths: Vec<usize>,
}

impl WordBan {
    /// `spellings`: the token ids of every way the words are written (after a space or not,
    /// in each case).
    pub fn new(spellings: &[Vec<u32>]) -> Self {
        let mut after: HashMap<Box<[u32]>, Vec<u32>> = HashMap::new();
        for ids in spellings {
            if let Some((&last, before)) = ids.split_last() {
                add_forms(&mut after, before, vec![last]);
            }
        }
        let mut lengths: Vec<usize> = after.keys().map(|k| k.len()).collect();
        lengths.sort_unstable();
        lengths.dedup();
        Self { after, lengths }
    }

    /// The tokens refused after `written`.
    pub fn refused(&self, written: &[u32]) -> Vec<u32> {
        let mut refused = Vec::new();
        for &len in &self.lengths {
            let Some(from) = written.len().checked_sub(len) else {
                continue;
            };
            for &t in self.after.get(&written[from..]).into_iter().flatten() {
                if !refused.contains(&t) {
                    refused.push(t);
                }
            }
        }
        refused
    }

    pub fn is_empty(&self) -> bool {
        self.after.is_empty()
    }
}

/// How a source that opens with a quotation goes on. Its output's first token is one that
/// writes a quotation mark first: asked in words, a small model turns a quoted paragraph into
/// reported speech or drops the marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quotation {
    /// The source ends with the quotation's closing mark.
    Whole,
    /// Words follow the quotation (its speaker: "…», a déclaré le maire."): the output may not
    /// stop right after a closing quotation mark either, where the model, given the opening
    /// mark, would close the quotation and leave the speaker out.
    Attributed,
}

/// Of every token, what the rules of a quoted source read (ids ascending): those whose text
/// opens with a quotation mark, closes with one (spaces around aside), writes nothing visible
/// (spaces, line breaks, or nothing at all: the chat's special tokens), or ends the line or the
/// turn (a line break, a special token).
#[derive(Debug, Default, PartialEq)]
pub struct QuotationTokens {
    pub openers: Vec<u32>,
    pub closers: Vec<u32>,
    pub blanks: Vec<u32>,
    pub breaks: Vec<u32>,
}

impl QuotationTokens {
    /// Sorts each token of `vocabulary` (its text by id, special tokens as empty text) by the
    /// marks above.
    pub fn of<'a>(vocabulary: impl IntoIterator<Item = &'a str>) -> Self {
        let mut tokens = Self::default();
        for (id, text) in (0u32..).zip(vocabulary) {
            if text
                .trim_start()
                .starts_with(checks::quotes::ENGLISH_OPENING)
            {
                tokens.openers.push(id);
            }
            if text.trim_end().ends_with(checks::quotes::ENGLISH_CLOSING) {
                tokens.closers.push(id);
            }
            if text.trim().is_empty() {
                tokens.blanks.push(id);
            }
            if text.is_empty() || text.contains(['\n', '\r']) {
                tokens.breaks.push(id);
            }
        }
        tokens
    }

    /// Whether `written` ends with a closing quotation mark, what writes nothing visible after
    /// it aside.
    pub fn closed(&self, written: &[u32]) -> bool {
        written
            .iter()
            .rev()
            .find(|t| self.blanks.binary_search(t).is_err())
            .is_some_and(|t| self.closers.binary_search(t).is_ok())
    }
}

/// What a sequence may write besides what its model picks: runs of a text it may not copy,
/// words it may not write, and how it holds a quotation its source opens with.
#[derive(Debug, Clone, Copy, Default)]
pub struct Limits<'a> {
    pub copy_ban: Option<&'a CopyBan>,
    pub word_ban: Option<&'a WordBan>,
    /// The source opens with a quotation: the output's first token is one that opens one, and
    /// where words follow the source's quotation ([`Quotation::Attributed`]), the output may
    /// neither stop (the stop tokens given), nor break its line, nor write a special token
    /// (the model's other way to end its turn) right after a closing mark.
    pub quotation: Option<(Quotation, &'a QuotationTokens, &'a [u32])>,
}

/// The logits a sequence picks its next token from after `written`: those its `limits` refuse
/// set to minus infinity; `None` where nothing is refused.
pub fn allowed(limits: Limits<'_>, written: &[u32], logits: &[f32]) -> Option<Vec<f32>> {
    let copied = limits.copy_ban.and_then(|ban| ban.refuse(written, logits));
    let words = limits
        .word_ban
        .map(|ban| ban.refused(written))
        .unwrap_or_default();
    let opening = limits
        .quotation
        .filter(|_| written.is_empty())
        .map(|(_, tokens, _)| tokens.openers.as_slice());
    let (stops, breaks) = match limits.quotation {
        Some((Quotation::Attributed, tokens, stops)) if tokens.closed(written) => {
            (stops, tokens.breaks.as_slice())
        }
        _ => (&[][..], &[][..]),
    };
    if words.is_empty() && opening.is_none() && stops.is_empty() {
        return copied;
    }
    let mut allowed = copied.unwrap_or_else(|| logits.to_vec());
    if let Some(opening) = opening {
        let mut only = vec![f32::NEG_INFINITY; allowed.len()];
        for &t in opening {
            if let (Some(to), Some(&from)) = (only.get_mut(t as usize), allowed.get(t as usize)) {
                *to = from;
            }
        }
        allowed = only;
    }
    for &t in words.iter().chain(stops).chain(breaks) {
        if let Some(logit) = allowed.get_mut(t as usize) {
            *logit = f32::NEG_INFINITY;
        }
    }
    Some(allowed)
}

fn add_forms(map: &mut HashMap<Box<[u32]>, Vec<u32>>, seen: &[u32], forms: Vec<u32>) {
    if forms.is_empty() {
        return;
    }
    let refused = map.entry(seen.into()).or_default();
    for form in forms {
        if !refused.contains(&form) {
            refused.push(form);
        }
    }
}

/// If the output ends in one span repeated enough times to cover `MIN_SPAN_TOKENS` (and never
/// fewer than `MIN_REPEATS` times), returns how many tokens to keep so that one copy remains.
/// Greedy decoding of small models falls into such loops. The items are token ids for the
/// built-in engine, and the streamed pieces of text for a remote one.
pub fn degenerate_tail<T: PartialEq>(ids: &[T]) -> Option<usize> {
    const MIN_REPEATS: usize = 3;
    const MIN_SPAN_TOKENS: usize = 24;
    const MAX_PERIOD: usize = 48;
    for period in 1..=MAX_PERIOD {
        let needed = MIN_SPAN_TOKENS.div_ceil(period).max(MIN_REPEATS);
        if period * needed > ids.len() {
            continue;
        }
        let tail = &ids[ids.len() - period..];
        let repeated = (1..needed).all(|k| {
            let end = ids.len() - k * period;
            ids[end - period..end] == *tail
        });
        if repeated {
            let mut copies = needed;
            while copies * period + period <= ids.len() {
                let end = ids.len() - copies * period;
                if ids[end - period..end] != *tail {
                    break;
                }
                copies += 1;
            }
            return Some(ids.len() - period * (copies - 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quotation_with_its_speaker_after_it_is_not_left_by_a_stop_or_a_line_break() {
        // 8 stops; 9 is a special token that is not a stop ("<|im_start|>"), decoded as nothing.
        let vocabulary = [
            "\"", "The", " port", ".\"", "\n", " ", "\n\nNote", " said", "", "",
        ];
        let tokens = QuotationTokens::of(vocabulary);
        assert_eq!(tokens.openers, [0]);
        assert_eq!(tokens.closers, [0, 3]);
        assert_eq!(tokens.blanks, [4, 5, 8, 9]);
        assert_eq!(tokens.breaks, [4, 6, 8, 9]);
        assert!(tokens.closed(&[0, 1, 2, 3]) && tokens.closed(&[0, 1, 2, 3, 4, 5, 9]));
        assert!(!tokens.closed(&[0, 1, 2]) && !tokens.closed(&[0, 1, 2, 3, 7]));
        let logits = vec![0.0; vocabulary.len()];
        let stops = [8];
        let refused = |how, written: &[u32]| -> Vec<usize> {
            let limits = Limits {
                quotation: Some((how, &tokens, &stops[..])),
                ..Default::default()
            };
            allowed(limits, written, &logits).map_or_else(Vec::new, |row| {
                (0..row.len())
                    .filter(|&t| row[t] == f32::NEG_INFINITY)
                    .collect()
            })
        };
        // Opened by a quotation mark whichever way it goes on.
        let all_but_the_mark = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        assert_eq!(refused(Quotation::Whole, &[]), all_but_the_mark);
        assert_eq!(refused(Quotation::Attributed, &[]), all_but_the_mark);
        // After its closing mark (and a space, line break or special token the model slipped
        // in), no stop, no new line and no special token where the speaker follows; a whole
        // quotation may end there.
        assert_eq!(refused(Quotation::Attributed, &[0, 1, 3]), [4, 6, 8, 9]);
        assert_eq!(
            refused(Quotation::Attributed, &[0, 1, 3, 5, 9]),
            [4, 6, 8, 9]
        );
        assert!(refused(Quotation::Whole, &[0, 1, 3]).is_empty());
        assert!(refused(Quotation::Attributed, &[0, 1, 3, 7]).is_empty());
    }

    #[test]
    fn a_copied_run_may_not_go_on_with_a_new_word() {
        // Tokens of 100 and more start words, and 200 + t is t in another case; tokens below
        // 10 continue a word, glued to it; 10 is a full stop.
        let forms = |_: u32, t: u32| if t >= 100 { vec![t, t + 100] } else { vec![] };
        let joins: Arc<[Joins]> = (0..400)
            .map(|t| match t {
                0..10 => Joins::Glued,
                10 => Joins::Mark,
                _ => Joins::Apart,
            })
            .collect();
        let ban = CopyBan::new(&[vec![100, 101, 102, 5, 103, 104]], &[], 4, forms, joins);
        // After three tokens in a row of the source, its next word is refused in both cases...
        assert_eq!(ban.refused(&[7, 101, 102, 5]), &[103, 203]);
        assert_eq!(ban.refused(&[102, 5, 103]), &[104, 204]);
        // ...but a word already begun is finished: 5 continues 102.
        assert!(ban.refused(&[100, 101, 102]).is_empty());
        // Runs the source does not have, and outputs too short, are free.
        assert!(ban.refused(&[100, 5, 103]).is_empty());
        assert!(ban.refused(&[101]).is_empty());
        assert!(CopyBan::default().refused(&[100, 101, 5]).is_empty());

        let refused_in = |written: &[u32]| {
            let Some(allowed) = ban.refuse(written, &[1.0f32; 400]) else {
                return Vec::new();
            };
            let refused: Vec<usize> = (0..400)
                .filter(|&t| allowed[t] == f32::NEG_INFINITY)
                .collect();
            assert!(!refused.is_empty(), "something refused when it says so");
            refused
        };
        // Where a word is refused, so is every glued token, and after a mark that follows it;
        // other words stay.
        let glued: Vec<usize> = (0..10).collect();
        assert_eq!(
            refused_in(&[102, 5, 103]),
            [glued.clone(), vec![104, 204]].concat()
        );
        assert_eq!(
            refused_in(&[102, 5, 103, 10]),
            [glued.clone(), vec![104, 204]].concat()
        );
        assert!(refused_in(&[100, 101, 102]).is_empty());
        assert!(refused_in(&[100, 101, 102, 10]).is_empty());

        // Letters the source does not write are refused where a word is, and only there.
        let ban = CopyBan::new(
            &[vec![100, 101, 102, 5, 103, 104]],
            &[],
            4,
            forms,
            ban.joins,
        )
        .with_foreign_letters(vec![300, 301]);
        let allowed = ban.refuse(&[102, 5, 103], &[1.0f32; 400]).expect("refused");
        assert!(allowed[300].is_infinite() && allowed[301].is_infinite());
        assert!(allowed[299].is_finite());
        assert!(ban.refuse(&[100, 101, 102], &[1.0f32; 400]).is_none());
    }

    #[test]
    fn a_sentence_shorter_than_a_run_is_refused_its_last_common_word() {
        // Tokens of 100 and more start common words (200 + t: another case); 50 to 99 are
        // names, which have no forms.
        let forms = |_: u32, t: u32| if t >= 100 { vec![t, t + 100] } else { vec![] };
        let joins: Arc<[Joins]> = vec![Joins::Apart; 400].into();
        let sentences = [vec![100, 101, 102, 60], vec![61, 62], vec![103, 104]];
        let ban = CopyBan::new(&[], &sentences, 8, forms, joins);
        // The first sentence's last common word (102) is refused after the words before it,
        // whatever came before them; the name after it then stays free.
        assert_eq!(ban.refused(&[100, 101]), vec![102, 202]);
        assert_eq!(ban.refused(&[7, 9, 100, 101]), vec![102, 202]);
        assert!(ban.refused(&[100, 101, 102]).is_empty());
        assert!(ban.refused(&[101]).is_empty());
        // A sentence of names only is never refused; the third is refused its second word.
        assert!(ban.refused(&[61]).is_empty());
        assert_eq!(ban.refused(&[103]), vec![104, 204]);
        // Beside a run's refusal, both are refused, once each.
        let both = CopyBan::new(
            &[vec![100, 101, 105]],
            &sentences,
            3,
            forms,
            vec![Joins::Apart; 400].into(),
        );
        assert_eq!(both.refused(&[100, 101]), vec![105, 205, 102, 202]);
    }

    #[test]
    fn tokens_are_told_apart_by_how_they_meet_the_text_before() {
        assert_eq!(Joins::of("ford"), Joins::Glued);
        assert_eq!(Joins::of("_"), Joins::Glued);
        assert_eq!(Joins::of("-hand"), Joins::Glued);
        assert_eq!(Joins::of("-"), Joins::Mark);
        assert_eq!(Joins::of("- "), Joins::Apart);
        assert_eq!(Joins::of("é"), Joins::Glued);
        assert_eq!(Joins::of("."), Joins::Mark);
        assert_eq!(Joins::of(".\""), Joins::Mark);
        assert_eq!(Joins::of(" vote"), Joins::Apart);
        assert_eq!(Joins::of("'s"), Joins::Apart);
        assert_eq!(Joins::of(""), Joins::Apart);
    }

    #[test]
    fn repetition_is_found_and_one_copy_kept() {
        let mut ids: Vec<u32> = vec![1, 2, 3];
        for _ in 0..8 {
            ids.extend([7, 8, 9, 10]);
        }
        let keep = degenerate_tail(&ids).expect("a loop of period 4");
        assert_eq!(&ids[..keep], &[1, 2, 3, 7, 8, 9, 10]);
    }

    #[test]
    fn varied_text_is_not_taken_for_repetition() {
        let ids: Vec<u32> = (0..200).map(|i| (i * 7919 % 257) as u32).collect();
        assert_eq!(degenerate_tail(&ids), None);
        // Two or three short repeats ("très, très") are language, not a loop.
        assert_eq!(degenerate_tail(&[5, 6, 5, 6, 5, 6]), None);
    }
}
