//! The engine as its callers use it, on tiny fixture models: many generations at once from
//! many threads.

use crate::fixtures::TinyModel;
use crate::{
    CancelToken, EngineConfig, FinishReason, Generation, GenerationParams, Model, ModelError,
};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

fn prompt(model: &Model, text: &str) -> String {
    model.family().chat_prompt("Translate into English.", text)
}

fn params(max_tokens: usize) -> GenerationParams {
    GenerationParams {
        max_tokens,
        repetition_guard: false,
        ..Default::default()
    }
}

fn run(model: &Model, text: &str, max_tokens: usize) -> Generation {
    model
        .generate(
            &prompt(model, text),
            &params(max_tokens),
            &CancelToken::new(),
            &mut |_| {},
        )
        .expect("generate")
}

const TEXTS: [&str; 8] = [
    "Le chat dort.",
    "Une phrase nettement plus longue, avec des virgules, des chiffres comme 3 000 et 2,5 %.",
    "Oui.",
    "Le conseil municipal a voté le budget mercredi soir.",
    "La ministre a annoncé une réforme des retraites pour l'an prochain, malgré les critiques.",
    "Il pleut.",
    "Les habitants du quartier se sont réunis devant la mairie pour protester.",
    "Dix.",
];

#[test]
fn a_paragraph_gives_the_same_tokens_alone_and_in_a_batch_of_eight() {
    let (_dir, model) = TinyModel::qwen2().loaded();
    let alone: Vec<Generation> = TEXTS.iter().map(|t| run(&model, t, 24)).collect();
    let together: Vec<Generation> = thread::scope(|s| {
        let handles: Vec<_> = TEXTS
            .iter()
            .map(|t| {
                let model = &model;
                s.spawn(move || run(model, t, 24))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    for ((a, b), text) in alone.iter().zip(&together).zip(TEXTS) {
        assert_eq!(a.text, b.text, "{text}");
        assert_eq!(a.generated_tokens, b.generated_tokens, "{text}");
    }
    assert!(
        model.engine_stats().max_decoding >= 4,
        "the eight should have run in the same steps: {:?}",
        model.engine_stats()
    );
}

/// Runs a generation on its own thread, telling `started` at its first token.
fn spawn_counting(
    model: &Model,
    text: &'static str,
    max_tokens: usize,
    cancel: CancelToken,
    started: mpsc::Sender<()>,
) -> thread::JoinHandle<Result<Generation, ModelError>> {
    let model = model.clone();
    thread::spawn(move || {
        let mut first = Some(started);
        model.generate(
            &prompt(&model, text),
            &params(max_tokens),
            &cancel,
            &mut |_| {
                if let Some(tx) = first.take() {
                    let _ = tx.send(());
                }
            },
        )
    })
}

#[test]
fn a_sequence_joins_a_running_batch_and_both_give_their_own_output() {
    let (_dir, model) = TinyModel::qwen2().cycling().loaded();
    // Long enough (about 1500 steps) to still be running when the second one is sent.
    let long_alone = run(&model, "Le chat dort.", 1500);
    let short_alone = run(&model, "Il pleut.", 30);
    let (tx, rx) = mpsc::channel();
    let long = spawn_counting(&model, "Le chat dort.", 1500, CancelToken::new(), tx);
    rx.recv().expect("the long generation started");
    let before = model.engine_stats().max_decoding;
    let short = run(&model, "Il pleut.", 30);
    let long = long.join().expect("thread").expect("generate");
    assert_eq!(long.text, long_alone.text);
    assert_eq!(short.text, short_alone.text);
    assert_eq!(long.finish, FinishReason::Budget);
    assert!(before <= 1 && model.engine_stats().max_decoding == 2);
}

#[test]
fn cancelling_one_sequence_leaves_the_others_running() {
    let (_dir, model) = TinyModel::qwen2().cycling().loaded();
    let cancel = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    let doomed = spawn_counting(&model, "Le chat dort.", 1800, cancel.clone(), tx.clone());
    let kept = spawn_counting(&model, "Il pleut.", 60, CancelToken::new(), tx);
    rx.recv().expect("a first token");
    rx.recv().expect("a second first token");
    cancel.cancel();
    let doomed = doomed.join().expect("thread").expect("generate");
    let kept = kept.join().expect("thread").expect("generate");
    assert_eq!(doomed.finish, FinishReason::Cancelled);
    assert!(doomed.generated_tokens < 1800);
    assert_eq!(
        (kept.finish, kept.generated_tokens),
        (FinishReason::Budget, 60)
    );
}

/// Tokens of the prompt the budget tests run.
fn probe_tokens() -> usize {
    let (_dir, model) = TinyModel::qwen2().cycling().loaded();
    model
        .tokenizer()
        .encode(&prompt(&model, "Le chat dort."))
        .expect("encode")
        .len()
}

#[test]
fn the_kv_budget_caps_what_runs_at_once_and_refuses_what_never_fits() {
    let probe = probe_tokens();
    // Room for two sequences of this prompt and a 400-token budget, not three.
    let config = EngineConfig {
        kv_tokens: 2 * (probe + 400) + 5,
        ..EngineConfig::default()
    };
    let (_dir, model) = TinyModel::qwen2().cycling().loaded_with(config);
    let outputs: Vec<Generation> = thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let model = &model;
                s.spawn(move || run(model, "Le chat dort.", 400))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert!(outputs.iter().all(|g| g.generated_tokens == 400));
    assert_eq!(model.engine_stats().max_decoding, 2);
    let err = model
        .generate(
            &prompt(&model, "Le chat dort."),
            &params(2 * (probe + 400)),
            &CancelToken::new(),
            &mut |_| {},
        )
        .expect_err("bigger than the whole budget");
    assert!(matches!(err, ModelError::KvBudget { .. }), "{err}");
}

/// Waits until `n` requests wait in the engine.
fn until_waiting(model: &Model, n: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while model.engine_stats().waiting != n {
        assert!(std::time::Instant::now() < deadline, "never {n} waiting");
        thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn a_second_reader_starts_before_the_first_readers_backlog() {
    let config = EngineConfig {
        max_sequences: 1,
        ..EngineConfig::default()
    };
    let (_dir, model) = TinyModel::qwen2().cycling().loaded_with(config);
    let first = model.in_new_group();
    let second = model.in_new_group();
    let finished = Arc::new(Mutex::new(Vec::new()));
    let spawn = |m: &Model, name: &'static str, budget: usize, cancel: CancelToken| {
        let (m, finished) = (m.clone(), Arc::clone(&finished));
        thread::spawn(move || {
            m.generate(&prompt(&m, name), &params(budget), &cancel, &mut |_| {})
                .expect("generate");
            finished
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(name);
        })
    };
    // The first reader's article: one paragraph runs (held until the others are queued), two wait.
    let hold = CancelToken::new();
    let (tx, rx) = mpsc::channel();
    let mut threads = vec![thread::spawn({
        let (m, finished, hold) = (first.clone(), Arc::clone(&finished), hold.clone());
        move || {
            let mut started = Some(tx);
            m.generate(&prompt(&m, "A"), &params(100_000), &hold, &mut |_| {
                if let Some(tx) = started.take() {
                    let _ = tx.send(());
                }
            })
            .expect("generate");
            finished.lock().unwrap_or_else(|e| e.into_inner()).push("A");
        }
    })];
    rx.recv().expect("the first paragraph runs");
    threads.push(spawn(&first, "A", 30, CancelToken::new()));
    threads.push(spawn(&first, "A", 30, CancelToken::new()));
    until_waiting(&model, 2);
    // A second reader arrives behind them: with nothing running yet, they get in past the cap
    // and finish while the first reader's backlog still waits.
    let b = spawn(&second, "B", 30, CancelToken::new());
    b.join().expect("thread");
    assert_eq!(model.engine_stats().waiting, 2);
    hold.cancel();
    for t in threads {
        t.join().expect("thread");
    }
    let order = finished.lock().unwrap_or_else(|e| e.into_inner()).clone();
    assert_eq!(order, vec!["B", "A", "A", "A"]);
}

/// The tiny model with the tasks' shared beginnings read at load.
fn with_the_tasks_beginnings() -> (tempfile::TempDir, crate::Model) {
    TinyModel::qwen2().loaded_with(EngineConfig {
        shared_instructions: crate::tasks::INSTRUCTIONS,
        ..EngineConfig::default()
    })
}

#[test]
fn a_shared_prompt_beginning_is_read_once() {
    let (_dir, model) = with_the_tasks_beginnings();
    let system = crate::tasks::TRANSLATE_SYSTEM;
    let prefix = model
        .tokenizer()
        .encode(&model.family().prompt_prefix(system))
        .expect("encode")
        .len();
    let full = model.family().chat_prompt(system, "Le chat dort.");
    let before = model.engine_stats().rows;
    let out = model
        .generate(&full, &params(5), &CancelToken::new(), &mut |_| {})
        .expect("generate");
    let rows = model.engine_stats().rows - before;
    // The prompt after the shared part, then each generated token fed back: all of them after a
    // stop token, all but the last when the budget ran out.
    let fed_back = match out.finish {
        FinishReason::Budget => out.generated_tokens.saturating_sub(1),
        _ => out.generated_tokens,
    };
    let expected = (out.prompt_tokens - prefix) + fed_back;
    assert_eq!(rows as usize, expected);
    assert!(prefix > 10);
}

#[test]
fn a_pass_that_always_asks_the_same_reads_only_its_answer() {
    let (_dir, model) = with_the_tasks_beginnings();
    let french = "Le maire a parlé hier soir.";
    let answer = model.tokenizer().encode(french).expect("encode").len();
    let backend = crate::Backend::built_in(model.clone());
    let before = model.engine_stats().prompt_read;
    let alone = crate::tasks::confidence::french_alone(&backend, french, &CancelToken::new())
        .expect("scored");
    assert!(alone.is_some());
    // The chat's last token, whose logits give the first token's score, then the answer.
    assert_eq!(model.engine_stats().prompt_read - before, answer as u64 + 1);
    assert!(answer > 3);
}

/// Three turns of one conversation: each chat is the one before, its answer, and a new message.
fn conversation_turns(backend: &crate::Backend) -> Vec<Generation> {
    let mut chat = crate::Chat::new("Translate into English.", TEXTS[0]);
    let mut out = Vec::new();
    for next in &TEXTS[1..4] {
        let g = backend
            .generate(&chat, &params(12), &CancelToken::new(), &mut |_| {})
            .expect("generate");
        chat.earlier.push((chat.user.clone(), g.text.clone()));
        chat.user = next.to_string();
        out.push(g);
    }
    out
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "never {what}");
        thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn a_conversation_reads_only_its_new_turn_and_writes_what_a_fresh_read_writes() {
    let (_dir, model) = TinyModel::qwen2().loaded();
    let backend = crate::Backend::built_in(model.clone());
    let fresh = conversation_turns(&backend);
    // The handle lives until it is dropped below: the engine frees a conversation's cache as
    // soon as its handle is gone, so a handle dropped at once (a temporary) left the check of
    // what is kept racing the engine.
    let talk = backend.in_conversation();
    let kept = conversation_turns(&talk);
    for (turn, (a, b)) in fresh.iter().zip(&kept).enumerate() {
        assert_eq!(a.text, b.text, "turn {turn}");
        assert_eq!(a.prompt_tokens, b.prompt_tokens, "turn {turn}");
        assert_eq!(a.prompt_reused, 0, "turn {turn} outside a conversation");
    }
    // Each later turn finds the earlier turn's prompt already read (its answer too, unless the
    // text reads back as other tokens).
    for turn in 1..kept.len() {
        assert!(
            kept[turn].prompt_reused >= kept[turn - 1].prompt_tokens,
            "turn {turn} reused {} of {}, the turn before had {}",
            kept[turn].prompt_reused,
            kept[turn].prompt_tokens,
            kept[turn - 1].prompt_tokens
        );
    }
    // The engine's figures are published from its own thread: waited for, as below (read at
    // once, the count was 0 once on a fresh clone; the cause was not found).
    wait_for("the cache kept while its handle lives", || {
        model.engine_stats().kept > 0
    });
    // The handle is gone: so is what the engine kept for it.
    drop(talk);
    wait_for("the kept cache freed", || {
        run(&model, "Oui.", 1);
        model.engine_stats().kept == 0
    });
}

#[test]
fn a_kept_conversation_gives_way_to_a_request_that_needs_its_room() {
    let probe = probe_tokens();
    // Room for one sequence of this prompt and 300 tokens: a kept conversation must go for the
    // next one to run.
    let config = EngineConfig {
        kv_tokens: probe + 300 + 5,
        ..EngineConfig::default()
    };
    let (_dir, model) = TinyModel::qwen2().cycling().loaded_with(config);
    let backend = crate::Backend::built_in(model.clone());
    let talk = backend.in_conversation();
    let chat = crate::Chat::new("Translate into English.", "Le chat dort.");
    let first = talk
        .generate(&chat, &params(20), &CancelToken::new(), &mut |_| {})
        .expect("generate");
    assert!(model.engine_stats().kept > 0);
    let big = run(&model, "Le chat dort.", 300);
    assert_eq!(big.generated_tokens, 300);
    assert_eq!(
        model.engine_stats().kept,
        0,
        "evicted for the bigger request"
    );
    // The conversation goes on, reading its prompt whole again, with the same result.
    let again = talk
        .generate(&chat, &params(20), &CancelToken::new(), &mut |_| {})
        .expect("generate");
    assert_eq!(first.text, again.text);
}

/// An engine of `kv_tokens` positions that reads 16 prompt tokens a step, with a generation
/// running in it that writes up to `budget` tokens after "A" and so holds room until the
/// returned token is cancelled (its thread, to join, with it): what is asked meanwhile waits,
/// and then starts in one step.
fn held_engine(
    kv_tokens: usize,
    budget: usize,
) -> (
    tempfile::TempDir,
    Model,
    CancelToken,
    thread::JoinHandle<Generation>,
) {
    let config = EngineConfig {
        kv_tokens,
        prefill_alone: 16,
        prefill_chunk: 16,
        ..EngineConfig::default()
    };
    let (dir, model) = TinyModel::qwen2().cycling().loaded_with(config);
    let backend = crate::Backend::built_in(model.clone());
    let hold = CancelToken::new();
    let (started_tx, started) = mpsc::channel();
    let holder = thread::spawn({
        let hold = hold.clone();
        move || {
            let mut started_tx = Some(started_tx);
            backend
                .generate(
                    &crate::Chat::new("Translate into English.", "A"),
                    &params(budget),
                    &hold,
                    &mut |_| {
                        if let Some(tx) = started_tx.take() {
                            let _ = tx.send(());
                        }
                    },
                )
                .expect("generate")
        }
    });
    started.recv().expect("the holder writes");
    (dir, model, hold, holder)
}

#[test]
fn a_prompt_whose_words_a_reader_waits_for_is_read_before_an_unseen_one_that_came_first() {
    const SYSTEM: &str = "Translate into English.";
    let unseen_text = "Le chat dort. ".repeat(100);
    let (shown, unseen, holder) = {
        let (_dir, model) = TinyModel::qwen2().cycling().loaded();
        let backend = crate::Backend::built_in(model);
        let count = |text: &str| {
            backend
                .chat_tokens(&crate::Chat::new(SYSTEM, text))
                .expect("count")
        };
        (count("Oui.") + 4, count(&unseen_text) + 4, count("A"))
    };
    // Room for both prompts together, not beside the holder below: they wait until it ends
    // and then start in the same step. Read 16 tokens a step, the unseen prompt takes about 80
    // steps: its first word cannot come before the shown one's thread wakes.
    let kv_tokens = shown + unseen + 64;
    let (_dir, model, hold, holder_thread) = held_engine(kv_tokens, kv_tokens - holder - shown + 1);
    let backend = crate::Backend::built_in(model.clone());
    let unseen_wrote = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let unseen_thread = thread::spawn({
        let (backend, wrote) = (backend.unseen(), Arc::clone(&unseen_wrote));
        let text = unseen_text.clone();
        move || {
            backend
                .generate(
                    &crate::Chat::new(SYSTEM, &text),
                    &params(4),
                    &CancelToken::new(),
                    &mut |_| wrote.store(true, std::sync::atomic::Ordering::SeqCst),
                )
                .expect("generate")
        }
    });
    until_waiting(&model, 1);
    let shown_thread = thread::spawn({
        let (backend, wrote) = (backend.clone(), Arc::clone(&unseen_wrote));
        move || {
            let mut unseen_first = None;
            backend
                .generate(
                    &crate::Chat::new(SYSTEM, "Oui."),
                    &params(4),
                    &CancelToken::new(),
                    &mut |_| {
                        unseen_first.get_or_insert(wrote.load(std::sync::atomic::Ordering::SeqCst));
                    },
                )
                .expect("generate");
            unseen_first
        }
    });
    until_waiting(&model, 2);
    hold.cancel();
    holder_thread.join().expect("thread");
    let unseen_out = unseen_thread.join().expect("thread");
    assert_eq!(unseen_out.generated_tokens, 4);
    // The unseen prompt came first and is many steps long: read first, it would have written
    // before the shown one's first words.
    assert_eq!(shown_thread.join().expect("thread"), Some(false));
}

#[test]
fn a_read_its_caller_waits_on_goes_in_turn_and_a_read_in_case_after_every_other_prompt() {
    const SYSTEM: &str = "Translate into English.";
    let chat = |n: usize| crate::Chat::new(SYSTEM, &"Le chat dort. ".repeat(n));
    // Three prompts, each many steps long at 16 tokens a step: a read in case (unseen), then
    // a read a caller waits on, then a scoring.
    let (in_case, waited, scored) = (chat(12), chat(10), chat(8));
    let answer = "The cat sleeps.";
    let (needs, holder) = {
        let (_dir, model) = TinyModel::qwen2().cycling().loaded();
        let backend = crate::Backend::built_in(model);
        let count = |c: &crate::Chat| backend.chat_tokens(c).expect("count");
        let needs = count(&in_case) + count(&waited) + count(&scored) + 16;
        (needs, count(&crate::Chat::new(SYSTEM, "A")))
    };
    // Room for the three together, none of them beside the holder: they wait until it ends and
    // then are read one after another, the first in the reading order alone in each step.
    let kv_tokens = needs + 64;
    let (_dir, model, hold, holder_thread) = held_engine(kv_tokens, kv_tokens - holder - 8);
    let backend = crate::Backend::built_in(model.clone());
    let (done_tx, done) = mpsc::channel::<&str>();
    let mut threads = Vec::new();
    let read = |talk: crate::Backend, chat: crate::Chat, name: &'static str| {
        let done_tx = done_tx.clone();
        thread::spawn(move || {
            talk.read_ahead(&chat, &CancelToken::new()).expect("read");
            let _ = done_tx.send(name);
        })
    };
    threads.push(read(backend.in_conversation().unseen(), in_case, "in case"));
    until_waiting(&model, 1);
    threads.push(read(backend.in_conversation(), waited, "waited on"));
    until_waiting(&model, 2);
    threads.push(thread::spawn({
        let (backend, done_tx) = (backend.clone(), done_tx.clone());
        move || {
            let scores = backend
                .score(&scored, answer, &CancelToken::new())
                .expect("score");
            assert!(scores.is_some_and(|s| !s.is_empty()));
            let _ = done_tx.send("scored");
        }
    }));
    until_waiting(&model, 3);
    drop(done_tx);
    hold.cancel();
    holder_thread.join().expect("thread");
    for t in threads {
        t.join().expect("thread");
    }
    let order: Vec<&str> = done.iter().collect();
    assert_eq!(order, ["waited on", "scored", "in case"]);
}

/// A paragraph written after the one before it in its conversation, as the pipeline writes
/// it: (the conversation, its chat, its English).
fn shown_after(
    backend: &crate::Backend,
    max_tokens: usize,
) -> (crate::Backend, crate::Chat, Generation) {
    let talk = backend.in_conversation();
    let mut chat = crate::Chat::new("Translate into English.", TEXTS[1]);
    chat.earlier = vec![(TEXTS[0].to_string(), "The cat sleeps.".to_string())];
    let g = talk
        .generate(&chat, &params(max_tokens), &CancelToken::new(), &mut |_| {})
        .expect("generate");
    (talk, chat, g)
}

/// The next paragraph's chat: shown the paragraph of `chat` and its English only.
fn next_chat(chat: &crate::Chat, english: &str) -> crate::Chat {
    let mut next = crate::Chat::new("Translate into English.", TEXTS[3]);
    next.earlier = vec![(chat.user.clone(), english.to_string())];
    next
}

#[test]
fn a_conversation_that_follows_another_moves_the_turn_it_shows_instead_of_reading_it() {
    let (_dir, model) = TinyModel::qwen2().loaded();
    let backend = crate::Backend::built_in(model.clone());
    let (before, chat, english) = shown_after(&backend, 12);
    let next = next_chat(&chat, &english.text);
    let generate = |talk: &crate::Backend| {
        talk.generate(&next, &params(12), &CancelToken::new(), &mut |_| {})
            .expect("generate")
    };
    // Not following, a new conversation reads its whole prompt.
    let fresh = generate(&backend.in_conversation());
    assert_eq!(fresh.prompt_reused, 0);
    // Following, it reads neither the instructions nor the paragraph shown (which sits after
    // the earlier turn in the other's cache): only what the tokens of the English read back
    // as differently, and its own message.
    let follower = backend.in_conversation_after(&before);
    let moved = generate(&follower);
    let shown = backend.count_tokens(TEXTS[1]).expect("count");
    let instructions = backend
        .count_tokens("Translate into English.")
        .expect("count");
    assert!(
        moved.prompt_reused >= instructions + shown,
        "reused {} of {}",
        moved.prompt_reused,
        moved.prompt_tokens
    );
    assert_eq!(moved.prompt_tokens, fresh.prompt_tokens);
    // Always the same keys and values, so always the same English.
    let again = generate(&backend.in_conversation_after(&before));
    assert_eq!(again.text, moved.text);
    assert_eq!(again.prompt_reused, moved.prompt_reused);
    // Once its follower has started, the followed conversation is held by its own handle
    // only: a chain of paragraphs does not hold every cache of the chain to its end.
    let kept_now = || {
        run(&model, "Oui.", 1);
        model.engine_stats().kept
    };
    let with_both = kept_now();
    drop(before);
    wait_for("the followed cache freed while its follower lives", || {
        let kept = kept_now();
        kept > 0 && kept < with_both
    });
    drop(follower);
}

#[test]
fn a_followed_conversation_keeps_its_cache_when_another_can_give_room() {
    let other_chat = crate::Chat::new("Translate into English.", TEXTS[6]);
    let write = |talk: &crate::Backend, chat: &crate::Chat| {
        talk.generate(chat, &params(20), &CancelToken::new(), &mut |_| {})
            .expect("generate")
    };
    // What each conversation keeps, measured on a first engine.
    let (followed, other) = {
        let (_dir, model) = TinyModel::qwen2().cycling().loaded();
        let backend = crate::Backend::built_in(model.clone());
        let (_talk, _, _) = shown_after(&backend, 20);
        wait_for("the first kept", || model.engine_stats().kept > 0);
        let followed = model.engine_stats().kept;
        let talk = backend.in_conversation();
        write(&talk, &other_chat);
        wait_for("the second kept", || model.engine_stats().kept > followed);
        (followed, model.engine_stats().kept - followed)
    };
    // Room for both kept caches and a little more: a request of `big` positions needs one of
    // them to go, and either would do.
    let kv_tokens = followed + other + 100;
    let big = kv_tokens - followed.max(other) - 2;
    let probe = probe_tokens();
    let config = EngineConfig {
        kv_tokens,
        ..EngineConfig::default()
    };
    let (_dir, model) = TinyModel::qwen2().cycling().loaded_with(config);
    let backend = crate::Backend::built_in(model.clone());
    // The followed conversation is the older, which would go first.
    let (before, chat, english) = shown_after(&backend, 20);
    let talk = backend.in_conversation();
    write(&talk, &other_chat);
    let follower = backend.in_conversation_after(&before);
    let ran = run(&model, "Le chat dort.", big - probe);
    assert_eq!(ran.generated_tokens, big - probe);
    wait_for("the unfollowed cache given up", || {
        model.engine_stats().kept == followed
    });
    let moved = follower
        .generate(
            &next_chat(&chat, &english.text),
            &params(4),
            &CancelToken::new(),
            &mut |_| {},
        )
        .expect("generate");
    let shown = backend.count_tokens(TEXTS[1]).expect("count");
    assert!(
        moved.prompt_reused >= shown,
        "reused {}",
        moved.prompt_reused
    );
}

#[test]
fn an_unseen_prompt_read_alone_is_read_in_small_steps() {
    let config = EngineConfig {
        prefill_alone: 256,
        prefill_chunk: 16,
        ..EngineConfig::default()
    };
    let (_dir, model) = TinyModel::qwen2().loaded_with(config);
    let backend = crate::Backend::built_in(model.clone());
    let chat = crate::Chat::new("Translate into English.", TEXTS[4]);
    let steps = |talk: &crate::Backend| {
        let before = model.engine_stats().steps;
        let g = talk
            .generate(&chat, &params(1), &CancelToken::new(), &mut |_| {})
            .expect("generate");
        (model.engine_stats().steps - before, g.prompt_tokens)
    };
    // A prompt a reader waits for goes in one step, its first token with it.
    let (shown, tokens) = steps(&backend);
    assert!(tokens > 32, "{tokens}");
    assert_eq!(shown, 1);
    // An unseen one goes 16 tokens a step: a shown prompt arriving meanwhile waits one of those
    // steps at most.
    let (unseen, _) = steps(&backend.unseen());
    assert_eq!(unseen as usize, tokens.div_ceil(16));
}

#[test]
fn guessing_ahead_writes_the_same_text_in_fewer_steps() {
    // A random model's guesses are mostly wrong (the text must not change for them); the
    // cycling one goes round its 256 tokens again, and its guesses are right from then on.
    for (name, tiny, budget, right) in [
        ("random", TinyModel::qwen2(), 64, false),
        ("cycling", TinyModel::qwen2().cycling(), 300, true),
    ] {
        let plain = EngineConfig {
            draft_tokens: 0,
            ..EngineConfig::default()
        };
        let (_a, one_at_a_time) = tiny.loaded_with(plain);
        let (_b, guessing) = tiny.loaded_with(EngineConfig::default());
        // Alone, then all together: a guess read beside other sequences' rows changes nothing.
        let alone = |model: &Model| -> Vec<Generation> {
            TEXTS.iter().map(|t| run(model, t, budget)).collect()
        };
        let together = |model: &Model| -> Vec<Generation> {
            thread::scope(|s| {
                let handles: Vec<_> = TEXTS
                    .iter()
                    .map(|t| s.spawn(move || run(model, t, budget)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("thread"))
                    .collect()
            })
        };
        let expected = alone(&one_at_a_time);
        let plain_steps = one_at_a_time.engine_stats().steps;
        let written = alone(&guessing);
        let stats = guessing.engine_stats();
        for (a, b) in expected.iter().zip(&written) {
            assert_eq!(a.text, b.text, "{name}");
            assert_eq!(a.generated_tokens, b.generated_tokens, "{name}");
            assert_eq!(a.finish, b.finish, "{name}");
        }
        assert_eq!(one_at_a_time.engine_stats().drafted, 0, "{name}");
        if right {
            assert!(stats.draft_kept > 0, "{name}: {stats:?}");
            assert!(
                stats.steps < plain_steps,
                "{name}: {stats:?} against {plain_steps} steps"
            );
        } else {
            // Wrong guesses were read, and their positions written again.
            assert!(stats.drafted > stats.draft_kept, "{name}: {stats:?}");
        }
        for (a, b) in expected.iter().zip(&together(&guessing)) {
            assert_eq!(a.text, b.text, "{name}, together");
        }
    }
}

#[test]
fn the_engine_counts_the_time_it_steps_and_not_the_time_it_waits() {
    let (_dir, model) = TinyModel::qwen2().loaded();
    let started = std::time::Instant::now();
    let before = model.engine_stats();
    run(&model, TEXTS[1], 8);
    let stepped = model.engine_stats().since(&before).busy;
    assert!(stepped > std::time::Duration::ZERO);
    assert!(stepped <= started.elapsed());
    // Nothing to run: the engine waits, and that is not counted. (A step's time is added once
    // the step has sent its tokens: the last one's has been added by the time of the sleep.)
    thread::sleep(std::time::Duration::from_millis(100));
    let idle = model.engine_stats();
    thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        model.engine_stats().since(&idle).busy,
        std::time::Duration::ZERO
    );
}
