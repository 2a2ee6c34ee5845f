//! What goes over the wire: the OpenAI-compatible chat request, and the pieces of its streamed
//! answer, as llama-server, vLLM and SGLang send them.

use models::{Chat, GenerationParams, Sampling, TokenLogprob};
use serde::Deserialize;
use serde_json::{json, Value};

/// The body of `POST /chat/completions` for one chat, streamed, with token log-probabilities
/// and the usage figures in the last chunk.
pub(crate) fn request(model: &str, chat: &Chat, params: &GenerationParams) -> Value {
    let mut messages = vec![json!({"role": "system", "content": chat.system})];
    for (asked, answered) in &chat.earlier {
        messages.push(json!({"role": "user", "content": asked}));
        messages.push(json!({"role": "assistant", "content": answered}));
    }
    messages.push(json!({"role": "user", "content": chat.user}));
    let mut body = json!({
        "model": model,
        "messages": messages,
        "stream": true,
        "stream_options": {"include_usage": true},
        "max_tokens": params.max_tokens,
        "logprobs": true,
    });
    match &params.sampling {
        Sampling::Greedy => body["temperature"] = json!(0.0),
        Sampling::Temperature {
            temperature,
            top_p,
            seed,
        } => {
            body["temperature"] = json!(temperature);
            body["top_p"] = json!(top_p);
            body["seed"] = json!(seed);
        }
    }
    body
}

/// One `data:` line of the stream.
#[derive(Debug, Deserialize)]
pub(crate) struct Chunk {
    #[serde(default)]
    pub choices: Vec<Choice>,
    pub usage: Option<Usage>,
    /// Some servers report a failure inside the stream, after the 200.
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Choice {
    #[serde(default)]
    pub delta: Delta,
    pub finish_reason: Option<String>,
    pub logprobs: Option<Logprobs>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Delta {
    pub content: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Logprobs {
    #[serde(default)]
    pub content: Vec<LogprobEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LogprobEntry {
    pub token: String,
    pub logprob: f32,
}

#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct Usage {
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
}

impl Chunk {
    pub(crate) fn text(&self) -> &str {
        self.choices
            .first()
            .and_then(|c| c.delta.content.as_deref())
            .unwrap_or_default()
    }

    pub(crate) fn finish_reason(&self) -> Option<&str> {
        self.choices
            .first()
            .and_then(|c| c.finish_reason.as_deref())
    }

    pub(crate) fn logprobs(&self) -> Vec<TokenLogprob> {
        self.choices
            .first()
            .and_then(|c| c.logprobs.as_ref())
            .map(|l| {
                l.content
                    .iter()
                    .map(|e| TokenLogprob {
                        token: e.token.clone(),
                        logprob: e.logprob,
                        // The wire gives the token's probability, not its distribution.
                        spread: None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What `GET /models` tells about the served model: its id, how long a context it takes, and
/// what identifies its weights.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Served {
    pub id: String,
    pub context: Option<usize>,
    pub weights: String,
}

/// Reads `GET /models`: the entry named `wanted`, or the first one.
pub(crate) fn served(models: &Value, wanted: Option<&str>) -> Option<Served> {
    let list = models["data"].as_array()?;
    let entry = match wanted {
        Some(name) => list.iter().find(|m| m["id"].as_str() == Some(name))?,
        None => list.first()?,
    };
    let id = entry["id"].as_str()?.to_string();
    // vLLM and SGLang say `max_model_len`; llama-server says under `meta` what one of its
    // slots holds (`n_ctx`; older ones only the training length).
    let context = entry["max_model_len"]
        .as_u64()
        .or_else(|| entry["meta"]["n_ctx"].as_u64())
        .or_else(|| entry["meta"]["n_ctx_train"].as_u64())
        .map(|n| n as usize);
    let mut weights = vec![format!("id {id}")];
    for (label, value) in [
        ("root", &entry["root"]),
        ("parameters", &entry["meta"]["n_params"]),
        ("bytes", &entry["meta"]["size"]),
        ("type", &entry["meta"]["ftype"]),
    ] {
        match value {
            Value::String(s) => weights.push(format!("{label} {s}")),
            Value::Number(n) => weights.push(format!("{label} {n}")),
            _ => {}
        }
    }
    Some(Served {
        id,
        context,
        weights: weights.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_becomes_messages_in_order_and_greedy_is_temperature_zero() {
        let mut chat = Chat::new("Translate.", "Merci");
        chat.earlier = vec![("Bonjour".into(), "Hello".into())];
        let body = request("m", &chat, &GenerationParams::default());
        let roles: Vec<&str> = body["messages"]
            .as_array()
            .map(|m| m.iter().filter_map(|m| m["role"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(roles, ["system", "user", "assistant", "user"]);
        assert_eq!(body["messages"][3]["content"], "Merci");
        assert_eq!(body["temperature"], 0.0);
        assert_eq!(body["stream"], true);
        assert!(body.get("seed").is_none());
    }

    #[test]
    fn a_streamed_chunk_gives_its_text_reason_and_logprobs() {
        let chunk: Chunk = serde_json::from_str(
            r#"{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null,
               "logprobs":{"content":[{"token":"Hel","logprob":-0.25,"bytes":[72,101,108]}]}}]}"#,
        )
        .expect("a chunk");
        assert_eq!(chunk.text(), "Hel");
        assert_eq!(chunk.finish_reason(), None);
        assert_eq!(chunk.logprobs()[0].logprob, -0.25);
        let last: Chunk = serde_json::from_str(
            r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#,
        )
        .expect("the usage chunk");
        assert_eq!(last.text(), "");
        assert_eq!(last.usage.map(|u| u.completion_tokens), Some(3));
    }

    #[test]
    fn the_served_model_is_read_from_either_servers_listing() {
        let llama = json!({"object":"list","data":[{"id":"/m/qwen.gguf","object":"model",
            "meta":{"n_ctx":2048,"n_ctx_train":32768,"n_params":1543714304u64,"size":1117320736u64}}]});
        let found = served(&llama, None).expect("llama-server's entry");
        assert_eq!(found.id, "/m/qwen.gguf");
        assert_eq!(
            found.context,
            Some(2048),
            "one slot's context, not the training length"
        );
        assert!(
            found.weights.contains("bytes 1117320736"),
            "{}",
            found.weights
        );
        let vllm = json!({"data":[{"id":"a","max_model_len":4096,"root":"/w/a"},
            {"id":"b","max_model_len":8192,"root":"/w/b"}]});
        let b = served(&vllm, Some("b")).expect("the named model");
        assert_eq!(
            (b.context, b.weights.as_str()),
            (Some(8192), "id b; root /w/b")
        );
        assert_eq!(served(&vllm, Some("c")), None);
    }
}
