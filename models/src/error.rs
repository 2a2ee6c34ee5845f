//! The one error type of this crate. Messages say what happened and, where the reader can act,
//! what to do.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    #[error(
        "cannot open model file {path}: {source}; check the path or run `passerelle models fetch`"
    )]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a readable GGUF file ({reason}); re-download it with `passerelle models fetch` or pass another file with --model")]
    NotGguf { path: PathBuf, reason: String },
    #[error("unsupported model architecture `{0}`; supported families are qwen2 and llama")]
    UnsupportedArchitecture(String),
    #[error(
        "the model file has no `{0}` entry in its metadata, so its architecture cannot be told"
    )]
    MissingMetadata(&'static str),
    #[error("cannot build the tokenizer from the model's metadata: {0}")]
    Tokenizer(String),
    #[error(
        "the model's vocabulary has no `{token}` token, which the {family} chat template needs"
    )]
    MissingSpecialToken { family: &'static str, token: String },
    #[error("the tokenizer does not reproduce the prompt (encode then decode differs at byte {at}); the model's tokenizer metadata is probably damaged")]
    RoundTrip { at: usize },
    #[error("there is no text to give the model")]
    EmptyPrompt,
    #[error("the prompt is {tokens} tokens long but the model reads at most {limit}; split the text into shorter parts")]
    PromptTooLong { tokens: usize, limit: usize },
    #[error("the model's weights are not laid out as its family requires ({0}); re-download it with `passerelle models fetch` or pass another file with --model")]
    Weights(String),
    #[error("this text needs {needed} tokens of model memory but the engine may hold at most {budget} (--kv-tokens); raise the limit or shorten the text")]
    KvBudget { needed: usize, budget: usize },
    #[error("the model failed while computing ({0}); try again, and if it keeps failing, restart Passerelle")]
    Engine(String),
    #[error("the model thread has stopped; restart Passerelle")]
    EngineStopped,
    #[error("model computation failed: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("no inference server answered ({tried}); the article waits and goes on when one is back; check that the servers given with --backend run")]
    Unavailable { tried: String },
    #[error("the inference server {backend} stopped answering in the middle of a text ({reason}); the text is written again")]
    Interrupted { backend: String, reason: String },
    #[error("the inference server {backend} refused the request ({status}: {answer})")]
    Refused {
        backend: String,
        status: u16,
        answer: String,
    },
    #[error("the inference server {backend} wants a key ({status}: {answer}); {hint}")]
    Unauthorized {
        backend: String,
        status: u16,
        answer: String,
        /// What to do: which variable to set, or that the one given holds the wrong key.
        hint: String,
    },
    #[error("the inference servers cannot be used: {0}")]
    BackendSetup(String),
}

impl ModelError {
    /// Whether trying the same text again later may succeed: a remote server was down or
    /// dropped the stream. The pipeline waits and writes the text again; nothing else is.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Interrupted { .. })
    }
}
