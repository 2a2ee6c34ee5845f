//! A loaded chat model: weights, tokenizer, template, and what the file says about itself.

use crate::backend::{Backend, Chat, ChatEngine, ModelInfo, Source};
use crate::engine::transformer::Transformer;
use crate::engine::{EngineConfig, EngineHandle, EngineStats};
use crate::generate::{self, Generation, GenerationParams, Route, TokenLogprob};
use crate::sampling::CancelToken;
use crate::tokenizer::TextTokenizer;
use crate::{Family, ModelError, Pace};
use candle_core::quantized::gguf_file;
use std::any::Any;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// A loaded chat model. Clones share the one engine thread that owns the weights; each clone
/// may run generations from its own thread, and the engine batches them together.
#[derive(Clone)]
pub struct Model {
    inner: Arc<Inner>,
    /// Generations of one group (one reader's job) take turns fairly with other groups'.
    group: u64,
}

struct Inner {
    engine: EngineHandle,
    tokenizer: TextTokenizer,
    family: Family,
    info: ModelInfo,
}

impl Model {
    /// Loads a GGUF chat model of a supported family with the default engine settings.
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        Self::load_with(path, EngineConfig::default())
    }

    /// Loads a GGUF chat model of a supported family onto the CPU and starts its engine thread.
    /// This takes seconds: call it from a thread that may block.
    pub fn load_with(path: &Path, config: EngineConfig) -> Result<Self, ModelError> {
        let started = Instant::now();
        let open_err = |source| ModelError::Open {
            path: path.to_path_buf(),
            source,
        };
        let file = File::open(path).map_err(open_err)?;
        let file_size = file.metadata().map_err(open_err)?.len();
        let mut reader = BufReader::new(file);
        let mut content =
            gguf_file::Content::read(&mut reader).map_err(|e| ModelError::NotGguf {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
        let family = Family::detect(&content)?;
        let tokenizer = TextTokenizer::from_gguf(&mut content)?;
        // What the bans and the quotation opening read of every token, worked out here on the
        // loading thread rather than when the first quoted paragraph or summary waits for it.
        let shapes_from = Instant::now();
        tokenizer.read_shapes()?;
        tracing::debug!(
            seconds = shapes_from.elapsed().as_secs_f32(),
            "token shapes read"
        );
        for token in family.template_tokens() {
            if tokenizer.token_id(token).is_none() {
                return Err(ModelError::MissingSpecialToken {
                    family: family.name(),
                    token: (*token).to_string(),
                });
            }
        }
        let mut stop_tokens: Vec<u32> = family
            .stop_tokens()
            .iter()
            .filter_map(|t| tokenizer.token_id(t))
            .collect();
        if let Some(eos) = content
            .metadata
            .get("tokenizer.ggml.eos_token_id")
            .and_then(|v| v.to_u32().ok())
        {
            if !stop_tokens.contains(&eos) {
                stop_tokens.push(eos);
            }
        }
        let name = content
            .metadata
            .get("general.name")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "model".to_string());
        let quantization = quantization_name(&content);
        let context_limit = context_limit(family, &content);
        let network = Transformer::load(family, &content, &mut reader, context_limit)?;
        let engine = EngineHandle::spawn(network, config, stop_tokens)?;
        let info = ModelInfo {
            name,
            context_limit,
            load_time: started.elapsed(),
            source: Source::File {
                path: path.to_path_buf(),
                family,
                quantization: quantization.clone(),
                file_size,
            },
        };
        let model = Self {
            inner: Arc::new(Inner {
                engine,
                tokenizer,
                family,
                info,
            }),
            group: 0,
        };
        for beginning in config.shared_instructions {
            model.share_prefix(&match beginning.user {
                None => family.prompt_prefix(beginning.system),
                Some(user) => family.chat_prompt(beginning.system, user),
            })?;
        }
        tracing::info!(model = %model.info().name, family = family.name(), %quantization,
            seconds = model.info().load_time.as_secs_f64(), "model loaded");
        Ok(model)
    }

    /// A handle whose generations form a new group, taking turns with every other group's.
    pub fn in_new_group(&self) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            inner: Arc::clone(&self.inner),
            group: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// Runs one short generation: the first pass over the weights is several times slower than
    /// the next ones (measured: first English after 4.6 s cold, 1.2 s warm), so the server does
    /// it before the first reader's job.
    pub fn warm_up(&self) -> Result<(), ModelError> {
        let prompt = self.family().chat_prompt(
            "Translate into English.",
            "Bonjour à tous, voici les nouvelles du jour.",
        );
        let params = GenerationParams {
            max_tokens: 4,
            ..Default::default()
        };
        self.generate(&prompt, &params, &CancelToken::new(), &mut |_| {})?;
        Ok(())
    }

    pub fn info(&self) -> &ModelInfo {
        &self.inner.info
    }

    pub fn family(&self) -> Family {
        self.inner.family
    }

    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.inner.tokenizer
    }

    pub(crate) fn engine(&self) -> &EngineHandle {
        &self.inner.engine
    }

    pub fn engine_config(&self) -> EngineConfig {
        self.inner.engine.config
    }

    /// Steps and batch sizes since loading.
    pub fn engine_stats(&self) -> EngineStats {
        self.inner.engine.stats()
    }

    /// llama.cpp's batched-bench shape on this engine: `sequences` prompts of `prompt` tokens,
    /// then `generate` tokens each, all at once. Returns (prompt, decode) tokens per second,
    /// summed over the sequences. It runs between two steps of other work, which waits meanwhile:
    /// a benchmark's tool, not something to call while serving.
    pub fn measure_batch(
        &self,
        sequences: usize,
        prompt: usize,
        generate: usize,
    ) -> Result<(f64, f64), ModelError> {
        self.inner.engine.measure(sequences, prompt, generate)
    }

    /// How fast this engine writes several sequences at once on this machine: for each of
    /// [`crate::pace::SEQUENCES`], that many short prompts read together and then a few tokens
    /// written by each (the shape of `passerelle bench`'s decode table, smaller: about ten
    /// seconds on a slow 2-core machine). Nothing else may run meanwhile, as for
    /// [`Model::measure_batch`].
    pub fn measure_pace(&self) -> Result<Pace, ModelError> {
        const PROMPT: usize = 8;
        const GENERATE: usize = 16;
        let mut decode = [0.0; 4];
        for (rate, &n) in decode.iter_mut().zip(&crate::pace::SEQUENCES) {
            *rate = self.measure_batch(n, PROMPT, GENERATE)?.1;
        }
        Pace::new(decode).map_err(|e| ModelError::Engine(e.to_string()))
    }

    /// Reads a prompt beginning (a task's fixed instructions) once, so that every later prompt
    /// starting with it skips that part.
    pub fn share_prefix(&self, text: &str) -> Result<(), ModelError> {
        let ids = self.tokenizer().encode_checked(text)?;
        self.inner.engine.add_prefix(ids)
    }

    /// Counts the tokens of a text (used to size token budgets).
    pub fn count_tokens(&self, text: &str) -> Result<usize, ModelError> {
        Ok(self.tokenizer().encode(text)?.len())
    }

    /// Runs the model on a chat prompt (see [`Family::chat_prompt`]), calling `on_delta` with each
    /// piece of text as it is produced. Blocks for as long as generation takes; other threads'
    /// generations run in the same steps meanwhile.
    pub fn generate(
        &self,
        prompt: &str,
        params: &GenerationParams,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        let route = Route {
            group: self.group,
            ..Route::default()
        };
        self.generate_in(route, prompt, params, cancel, on_delta)
    }

    fn generate_in(
        &self,
        route: Route,
        prompt: &str,
        params: &GenerationParams,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        generate::run(self.target(route), prompt, params, cancel, on_delta)
    }

    fn target(&self, route: Route) -> generate::Target<'_> {
        generate::Target {
            engine: self.engine(),
            tokenizer: self.tokenizer(),
            context_limit: self.info().context_limit,
            route,
        }
    }

    fn render(&self, chat: &Chat) -> String {
        self.family()
            .chat_prompt_after(&chat.system, &chat.earlier, &chat.user)
    }
}

/// The built-in engine behind the seam: chats rendered with the family's template.
impl ChatEngine for Model {
    fn info(&self) -> &ModelInfo {
        Model::info(self)
    }

    fn generate(
        &self,
        chat: &Chat,
        params: &GenerationParams,
        route: Route,
        cancel: &CancelToken,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<Generation, ModelError> {
        self.generate_in(route, &self.render(chat), params, cancel, on_delta)
    }

    fn score(
        &self,
        chat: &Chat,
        answer: &str,
        route: Route,
        cancel: &CancelToken,
    ) -> Result<Option<Vec<TokenLogprob>>, ModelError> {
        generate::score(self.target(route), &self.render(chat), answer, cancel).map(Some)
    }

    fn read_ahead(
        &self,
        chat: &Chat,
        route: Route,
        cancel: &CancelToken,
    ) -> Result<(), ModelError> {
        let open = self
            .family()
            .open_prompt(&chat.system, &chat.earlier, &chat.user);
        generate::read(self.target(route), &open, cancel)
    }

    fn forget(&self, conversation: u64) {
        self.engine().forget(conversation);
    }

    fn follow(&self, conversation: u64, after: u64) {
        self.engine().follow(conversation, after);
    }

    fn count_tokens(&self, text: &str) -> Result<usize, ModelError> {
        Model::count_tokens(self, text)
    }

    fn chat_tokens(&self, chat: &Chat) -> Result<usize, ModelError> {
        Ok(self.tokenizer().encode_checked(&self.render(chat))?.len())
    }

    fn warm_up(&self) -> Result<(), ModelError> {
        Model::warm_up(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Backend {
    /// The built-in engine on a loaded model.
    pub fn built_in(model: Model) -> Self {
        Self::new(Arc::new(model))
    }

    /// The loaded model, when the engine is the built-in one (its benchmark figures).
    pub fn model(&self) -> Option<&Model> {
        self.engine().as_any().downcast_ref::<Model>()
    }
}

/// How many positions the network can attend to: the file's own context length. Files that do
/// not say get 4096, the length their family was trained with most often.
fn context_limit(family: Family, content: &gguf_file::Content) -> usize {
    content
        .metadata
        .get(&format!("{}.context_length", family.name()))
        .and_then(|v| v.to_u32().ok())
        .map_or(4096, |v| v as usize)
}

/// llama.cpp's `general.file_type` names the mix (Q4_K_M keeps some tensors in Q6_K); without it,
/// the most common type among the 2-D tensors is the honest answer.
fn quantization_name(content: &gguf_file::Content) -> String {
    const FILE_TYPES: &[(u32, &str)] = &[
        (0, "F32"),
        (1, "F16"),
        (2, "Q4_0"),
        (3, "Q4_1"),
        (7, "Q8_0"),
        (8, "Q5_0"),
        (9, "Q5_1"),
        (10, "Q2_K"),
        (11, "Q3_K_S"),
        (12, "Q3_K_M"),
        (13, "Q3_K_L"),
        (14, "Q4_K_S"),
        (15, "Q4_K_M"),
        (16, "Q5_K_S"),
        (17, "Q5_K_M"),
        (18, "Q6_K"),
        (32, "BF16"),
    ];
    if let Some(ft) = content
        .metadata
        .get("general.file_type")
        .and_then(|v| v.to_u32().ok())
    {
        if let Some((_, name)) = FILE_TYPES.iter().find(|(id, _)| *id == ft) {
            return (*name).to_string();
        }
    }
    let mut counts = std::collections::HashMap::new();
    for info in content
        .tensor_infos
        .values()
        .filter(|i| i.shape.rank() == 2)
    {
        *counts
            .entry(format!("{:?}", info.ggml_dtype))
            .or_insert(0usize) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(name, n)| (*n, name.clone()))
        .map(|(name, _)| name.to_uppercase())
        .unwrap_or_else(|| "unknown".to_string())
}
