//! One chat request on one server, on the remote engine's runtime: it waits for one of the
//! server's slots, posts the chat, and sends each streamed piece back to the calling thread.
//! Dropping the task (a cancel) drops the connection, which tells the server to stop.

use crate::pool::Server;
use crate::wire::{Chunk, Usage};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use models::TokenLogprob;
use serde_json::Value;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

/// What the task sends back.
pub(crate) enum Event {
    /// The request holds one of the server's slots and was sent.
    Sent,
    Piece {
        text: String,
        logprobs: Vec<TokenLogprob>,
    },
    End {
        finish_reason: Option<String>,
        usage: Option<Usage>,
    },
    Failed(Failure),
}

/// Why a request on one server did not finish.
#[derive(Debug, Clone)]
pub(crate) enum Failure {
    /// No connection, or none within the time limit; the server is down.
    Unreachable(String),
    /// The server answered with an error status.
    Status { status: u16, answer: String },
    /// The answer stopped coming (the connection dropped, the server went silent, or said it
    /// failed) after it had begun.
    Dropped(String),
}

impl Failure {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Unreachable(why) | Self::Dropped(why) => why.clone(),
            Self::Status { status, answer } => format!("{status}: {answer}"),
        }
    }
}

/// What one request needs besides the server.
pub(crate) struct Call {
    pub client: reqwest::Client,
    pub body: Value,
    pub key: Option<String>,
    /// The longest silence: waiting for the answer to start, or for its next piece.
    pub timeout: Duration,
}

/// Runs `call` on `server`, sending what happens to `events` (the receiver may be gone: the
/// caller stopped listening).
pub(crate) async fn run(server: Arc<Server>, call: Call, events: mpsc::Sender<Event>) {
    let Ok(_slot) = server.slots.clone().acquire_owned().await else {
        return;
    };
    let _ = events.send(Event::Sent);
    let outcome = stream(&server, call, &events).await;
    if let Err(failure) = outcome {
        let _ = events.send(Event::Failed(failure));
    }
}

async fn stream(server: &Server, call: Call, events: &mpsc::Sender<Event>) -> Result<(), Failure> {
    let mut request = call
        .client
        .post(format!("{}/chat/completions", server.url))
        .json(&call.body);
    if let Some(key) = &call.key {
        request = request.bearer_auth(key);
    }
    let silent = |what: &str| format!("no answer within {} s ({what})", call.timeout.as_secs());
    let response = tokio::time::timeout(call.timeout, request.send())
        .await
        .map_err(|_| Failure::Unreachable(silent("waiting for the answer to start")))?
        .map_err(|e| Failure::Unreachable(error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        let answer = tokio::time::timeout(call.timeout, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        return Err(Failure::Status {
            status: status.as_u16(),
            answer: short(&answer),
        });
    }
    let mut stream = response.bytes_stream().eventsource();
    let mut finish_reason = None;
    let mut usage = None;
    loop {
        let next = tokio::time::timeout(call.timeout, stream.next())
            .await
            .map_err(|_| Failure::Dropped(silent("waiting for the next piece")))?;
        let event = match next {
            None => break,
            Some(Ok(event)) => event,
            Some(Err(e)) => return Err(Failure::Dropped(format!("the stream broke: {e}"))),
        };
        if event.data.trim() == "[DONE]" {
            break;
        }
        let chunk: Chunk = serde_json::from_str(&event.data).map_err(|e| {
            Failure::Dropped(format!("an unreadable piece ({e}): {}", short(&event.data)))
        })?;
        if let Some(error) = &chunk.error {
            return Err(Failure::Dropped(format!(
                "the server failed: {}",
                short(&error.to_string())
            )));
        }
        if let Some(reason) = chunk.finish_reason() {
            finish_reason = Some(reason.to_string());
        }
        usage = chunk.usage.or(usage);
        let text = chunk.text();
        if !text.is_empty() {
            let piece = Event::Piece {
                text: text.to_string(),
                logprobs: chunk.logprobs(),
            };
            if events.send(piece).is_err() {
                return Ok(());
            }
        }
    }
    if finish_reason.is_none() {
        return Err(Failure::Dropped(
            "the stream ended before the answer did".into(),
        ));
    }
    let _ = events.send(Event::End {
        finish_reason,
        usage,
    });
    Ok(())
}

/// reqwest's error with its causes ("error sending request: … Connection refused").
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// A server's answer, short enough for a log line or an error message.
pub(crate) fn short(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    }
}
