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
    let silent = |what: &str| format!("no answer within {} s ({what})", call.timeout.as_secs());
    let send = || {
        let mut request = call
            .client
            .post(format!("{}/chat/completions", server.url))
            .json(&call.body);
        if let Some(key) = &call.key {
            request = request.bearer_auth(key);
        }
        tokio::time::timeout(call.timeout, request.send())
    };
    // A kept-alive connection the server has just closed fails before anything was asked of
    // the server (measured: dozens of times in a benchmark against llama-server); the request is
    // sent once more, on a new connection, before the server is taken for down.
    let response = match send().await {
        Ok(Err(e)) if e.is_request() || e.is_connect() => send().await,
        first => first,
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// Reads one request (head and its small JSON body) from `stream`.
    fn read_request(stream: &mut std::net::TcpStream) -> String {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&seen);
            if text.contains("\r\n\r\n") && text.trim_end().ends_with('}') {
                break;
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    }

    /// The next connection, if one comes within ten seconds.
    fn accept(listener: &std::net::TcpListener) -> Option<std::net::TcpStream> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if let Ok((stream, _)) = listener.accept() {
                stream.set_nonblocking(false).ok()?;
                return Some(stream);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    #[tokio::test]
    async fn a_connection_closed_before_the_answer_is_sent_once_more() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("its address").port();
        listener
            .set_nonblocking(true)
            .expect("a listener that does not block");
        let peer = std::thread::spawn(move || {
            // The first connection is closed under the request, as a server closes a kept-alive
            // connection; the second answers.
            let mut first = accept(&listener).expect("a first connection");
            let asked = read_request(&mut first);
            drop(first);
            let Some(mut second) = accept(&listener) else {
                return asked;
            };
            read_request(&mut second);
            let chunk =
                r#"{"choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":"stop"}]}"#;
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\ndata: {chunk}\n\ndata: [DONE]\n\n"
            );
            second.write_all(answer.as_bytes()).expect("answer");
            asked
        });
        let server = Arc::new(Server::new(&format!("http://127.0.0.1:{port}/v1"), 1));
        let call = Call {
            client: reqwest::Client::new(),
            body: serde_json::json!({"model": "m"}),
            key: Some("secret".into()),
            timeout: Duration::from_secs(10),
        };
        let (events, received) = mpsc::channel();
        run(server, call, events).await;
        let asked = peer.join().expect("the peer thread");
        assert!(asked.starts_with("POST /v1/chat/completions"), "{asked}");
        assert!(asked.contains("authorization: Bearer secret"), "{asked}");
        let seen: Vec<String> = received
            .try_iter()
            .map(|e| match e {
                Event::Sent => "sent".to_string(),
                Event::Piece { text, .. } => text,
                Event::End { finish_reason, .. } => format!("end {finish_reason:?}"),
                Event::Failed(f) => format!("failed {}", f.describe()),
            })
            .collect();
        assert_eq!(seen, ["sent", "Hello", "end Some(\"stop\")"]);
    }
}
