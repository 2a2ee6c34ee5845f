//! `passerelle bench`: the whole path on a fixed article (load, clean, translate every
//! paragraph, summarize), or N concurrent jobs through the HTTP API. Prints a table and writes
//! JSON. Warm-up runs are not counted.

use crate::article::pipeline::{self, Method, Outcome, Steps};
use crate::cli::{BenchArgs, GlobalArgs};
use crate::commands::load_backend;
use crate::history::Store;
use crate::http::service::{Service, ServiceConfig};
use crate::intake::clean;
use crate::measure::report::{model_json, write_json};
use crate::measure::resident;
use crate::measure::stats::summarize;
use crate::measure::BENCH_ARTICLE;
use crate::model_file;
use anyhow::Context;
use app::api::{JobCreated, JobEvent};
use futures_util::StreamExt;
use models::{Backend, CancelToken, Model};
use serde::Serialize;
use serde_json::json;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One measured run of the article through the pipeline.
#[derive(Debug, Clone, Serialize)]
struct Run {
    first_token_seconds: f64,
    prompt_tokens_per_second: f64,
    generated_tokens_per_second: f64,
    seconds_per_paragraph: f64,
    translation_seconds: f64,
    total_seconds: f64,
    prompt_tokens: usize,
    generated_tokens: usize,
}

pub fn run(global: &GlobalArgs, args: &BenchArgs) -> anyhow::Result<ExitCode> {
    let sha256 = match global.backend.remote() {
        Some(_) => None,
        None => {
            let path = global.existing_model_path()?;
            eprintln!("Benchmark: {} (computing its sha256…)", path.display());
            Some(model_file::sha256_file(&path)?)
        }
    };
    let started = Instant::now();
    let model = load_backend(global)?;
    let load_seconds = started.elapsed().as_secs_f64();
    eprintln!("Benchmark: {}", model.info().describe());
    let article = clean::clean(BENCH_ARTICLE);
    let mut model_figures = model_json(model.info());
    model_figures["sha256"] = json!(sha256);
    let mut report = json!({
        "model": model_figures,
        "threads": models::cpu_threads(),
        "draft_tokens": global.draft_tokens,
        "article": { "paragraphs": article.paragraphs.len(), "words": BENCH_ARTICLE.split_whitespace().count() },
        "load_seconds": load_seconds,
        "pace": pace_json(&model, &article),
    });
    let model = if args.http {
        report["http"] = http_mode(model, global, args, &article)?;
        None
    } else if args.repaste {
        report["repaste"] = repaste_mode(model, global, args, &article)?;
        None
    } else {
        let (model, single) = single_mode(model, global, args, &article)?;
        report["single"] = single;
        // llama.cpp's own table measures a llama-server's engine (tools/llama-server.sh).
        if let Some(built_in) = model.model() {
            report["decode"] = decode_table(built_in, args)?;
        }
        Some(model)
    };
    drop(model);
    report["peak_rss_bytes"] = json!(resident::peak_rss_bytes());
    print_table(&report);
    let file = args.out.join(if args.http {
        "bench-http.json"
    } else if args.repaste {
        "bench-repaste.json"
    } else {
        "bench.json"
    });
    write_json(&file, &report)?;
    eprintln!("Written to {}", file.display());
    Ok(ExitCode::SUCCESS)
}

fn single_mode(
    model: Backend,
    global: &GlobalArgs,
    args: &BenchArgs,
    article: &clean::Article,
) -> anyhow::Result<(Backend, serde_json::Value)> {
    let mut runs = Vec::new();
    // How full the built-in engine's steps were; a remote server keeps its own figures.
    let stats = |model: &Backend| model.model().map(Model::engine_stats);
    let mut before = stats(&model);
    for i in 0..args.warmup + args.runs {
        if i == args.warmup {
            before = stats(&model);
        }
        let counted = i >= args.warmup;
        eprintln!(
            "{} {}…",
            if counted { "run" } else { "warm-up" },
            if counted { i - args.warmup + 1 } else { i + 1 }
        );
        let run = one_run(&model, article, global.method())?;
        if counted {
            runs.push(run);
        }
    }
    let batch = stats(&model).zip(before).map(|(now, before)| {
        let counted = now.since(&before);
        json!({
            "steps": counted.steps,
            "mean_sequences_writing": counted.mean_decoding(),
            "mean_rows": counted.mean_rows(),
            "max_sequences_writing": counted.max_decoding,
            // Every prompt the engine was given, the confidence step's and the summary's
            // included: read, or taken from a kept conversation or shared instructions.
            "prompt_tokens_read_per_run": counted.prompt_read as f64 / args.runs.max(1) as f64,
            "prompt_tokens_reused_per_run": counted.prompt_reused as f64 / args.runs.max(1) as f64,
            // Tokens guessed ahead, and those written as guessed (--draft-tokens).
            "drafted_per_run": counted.drafted as f64 / args.runs.max(1) as f64,
            "draft_kept_per_run": counted.draft_kept as f64 / args.runs.max(1) as f64,
            // Seconds the engine took steps; the rest of each run it waited for the pipeline.
            "busy_seconds_per_run": counted.busy.as_secs_f64() / args.runs.max(1) as f64,
        })
    });
    let field = |f: fn(&Run) -> f64| summarize(&runs.iter().map(f).collect::<Vec<_>>());
    let value = json!({
        "runs": runs.len(),
        "warmup": args.warmup,
        "first_token_seconds": field(|r| r.first_token_seconds),
        "prompt_tokens_per_second": field(|r| r.prompt_tokens_per_second),
        "generated_tokens_per_second": field(|r| r.generated_tokens_per_second),
        "seconds_per_paragraph": field(|r| r.seconds_per_paragraph),
        "total_seconds": field(|r| r.total_seconds),
        "batch": batch,
        "each": runs,
    });
    Ok((model, value))
}

fn one_run(model: &Backend, article: &clean::Article, method: Method) -> anyhow::Result<Run> {
    let started = Instant::now();
    let mut translated_at = Duration::ZERO;
    let outcome = pipeline::run(
        model,
        &article.paragraphs,
        Steps::ALL,
        method,
        &CancelToken::new(),
        &mut |event| {
            if let JobEvent::TranslationDone { .. } = event {
                translated_at = started.elapsed();
            }
        },
    )?;
    let Outcome::Finished(f) = outcome else {
        anyhow::bail!("the benchmark run was cancelled");
    };
    Ok(Run {
        first_token_seconds: f.first_token_seconds.unwrap_or(f.seconds),
        prompt_tokens_per_second: f.prompt_tokens_per_second,
        generated_tokens_per_second: f.tokens_per_second,
        seconds_per_paragraph: translated_at.as_secs_f64() / article.paragraphs.len().max(1) as f64,
        translation_seconds: translated_at.as_secs_f64(),
        total_seconds: f.seconds,
        prompt_tokens: f.prompt_tokens,
        generated_tokens: f.generated_tokens,
    })
}

/// llama.cpp's batched-bench shape: for each sequence count, prompts of 128 tokens read together,
/// then 64 tokens generated by each; medians over the measured runs.
fn decode_table(model: &Model, args: &BenchArgs) -> anyhow::Result<serde_json::Value> {
    const PROMPT: usize = 128;
    const GENERATE: usize = 64;
    let mut table = Vec::new();
    for &n in &args.sequences {
        eprintln!("decode: {n} sequence(s), pp {PROMPT} / tg {GENERATE}…");
        let mut prompt = Vec::new();
        let mut decode = Vec::new();
        for _ in 0..args.runs.max(1) {
            let (p, d) = model.measure_batch(n.max(1), PROMPT, GENERATE)?;
            prompt.push(p);
            decode.push(d);
        }
        table.push(json!({
            "sequences": n,
            "tokens_per_second": summarize(&decode).map(|s| s.median),
            "prompt_tokens_per_second": summarize(&prompt).map(|s| s.median),
        }));
    }
    Ok(serde_json::Value::Array(table))
}

/// The engine's pace the article pipeline cuts by (`--pace`), and the bench article's runs by it.
fn pace_json(model: &Backend, article: &clean::Article) -> serde_json::Value {
    let pace = model.pace();
    let runs: Vec<usize> = pipeline::runs_of(&article.paragraphs, &pace)
        .iter()
        .map(|r| r.len())
        .collect();
    json!({
        "sequences": models::pace::SEQUENCES,
        "decode_tokens_per_second": pace.decode,
        "runs": runs,
    })
}

/// Per job: seconds from POST to the first English, and to `done`.
#[derive(Debug, Clone, Copy, Serialize)]
struct JobTiming {
    first_token_seconds: f64,
    total_seconds: f64,
}

/// The paragraph changed in the re-paste, and the sentence added to it: an update to a story.
const CHANGED_PARAGRAPH: usize = 3;
const UPDATE: &str = " Le maire a confirmé ces chiffres jeudi matin.";

/// The bench article fresh, then again with one paragraph changed, through the HTTP API with an
/// empty history each run: how much of the work the translation memory saves.
fn repaste_mode(
    model: Backend,
    global: &GlobalArgs,
    args: &BenchArgs,
    article: &clean::Article,
) -> anyhow::Result<serde_json::Value> {
    let mut texts = article.texts();
    let text = texts.join("\n\n");
    anyhow::ensure!(
        CHANGED_PARAGRAPH < texts.len(),
        "the bench article is too short"
    );
    texts[CHANGED_PARAGRAPH].push_str(UPDATE);
    let changed = texts.join("\n\n");
    let dir = tempfile::tempdir().context("cannot make a folder for the benchmark's history")?;
    let history = Arc::new(Store::open(dir.path())?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let config = ServiceConfig {
            history: Some(Arc::clone(&history)),
            jobs: 1,
            ..bench_service(global, 1)
        };
        let service =
            Service::start(listener, config, Box::new(move |_: &CancelToken| Ok(model))).await?;
        let base = format!("http://{}", service.addr);
        let client = reqwest::Client::new();
        for _ in 0..args.warmup {
            eprintln!("warm-up job (another article)…");
            job(&client, &base, app::EXAMPLE_ARTICLE).await?;
        }
        let mut fresh = Vec::new();
        let mut repasted = Vec::new();
        for run in 1..=args.runs.max(1) {
            let cleared = Arc::clone(&history);
            tokio::task::spawn_blocking(move || cleared.clear(None)).await??;
            eprintln!("run {run}: fresh…");
            fresh.push(job(&client, &base, &text).await?.total_seconds);
            eprintln!(
                "run {run}: pasted again with paragraph {} changed…",
                CHANGED_PARAGRAPH + 1
            );
            repasted.push(job(&client, &base, &changed).await?.total_seconds);
        }
        service.stop().await?;
        let ratios: Vec<f64> = repasted.iter().zip(&fresh).map(|(r, f)| r / f).collect();
        Ok(json!({
            "changed_paragraph": CHANGED_PARAGRAPH + 1,
            "fresh_seconds": summarize(&fresh),
            "repaste_seconds": summarize(&repasted),
            "ratio": summarize(&ratios),
        }))
    })
}

/// The service the HTTP benchmarks run: limits out of the way, the method the flags set.
fn bench_service(global: &GlobalArgs, jobs: usize) -> ServiceConfig {
    ServiceConfig {
        max_chars: 100_000,
        queue: jobs + 1,
        abandon_after: Duration::from_secs(600),
        keep_for: Duration::from_secs(600),
        site_dir: crate::cli::default_site_dir(),
        jobs,
        method: global.method(),
        history: None,
        links: crate::intake::links::LinkRules::default(),
        remote: global.backend.remote().is_some(),
        keys: Arc::new(crate::service::keys::Keys::open()),
    }
}

fn http_mode(
    model: Backend,
    global: &GlobalArgs,
    args: &BenchArgs,
    article: &clean::Article,
) -> anyhow::Result<serde_json::Value> {
    let text = article.texts().join("\n\n");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let config = bench_service(global, args.concurrency.iter().copied().max().unwrap_or(1));
        let service =
            Service::start(listener, config, Box::new(move |_: &CancelToken| Ok(model))).await?;
        let base = format!("http://{}", service.addr);
        let client = reqwest::Client::new();
        let mut results = serde_json::Map::new();
        for _ in 0..args.warmup {
            eprintln!("warm-up job…");
            job(&client, &base, &text).await?;
        }
        for &n in &args.concurrency {
            eprintln!("{n} concurrent job(s)…");
            let jobs = (0..n).map(|_| job(&client, &base, &text));
            let timings: Vec<JobTiming> = futures_util::future::try_join_all(jobs).await?;
            let first = summarize(
                &timings
                    .iter()
                    .map(|t| t.first_token_seconds)
                    .collect::<Vec<_>>(),
            );
            let total = summarize(&timings.iter().map(|t| t.total_seconds).collect::<Vec<_>>());
            results.insert(
                n.to_string(),
                json!({ "first_token_seconds": first, "total_seconds": total, "jobs": timings }),
            );
        }
        service.stop().await?;
        Ok(serde_json::Value::Object(results))
    })
}

async fn job(client: &reqwest::Client, base: &str, text: &str) -> anyhow::Result<JobTiming> {
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/jobs"))
        .json(&json!({ "text": text }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "the server refused the job: {}",
        response.text().await?
    );
    let created: JobCreated = response.json().await?;
    let events = client
        .get(format!("{base}/api/jobs/{}/events", created.id))
        .send()
        .await?;
    let mut stream = eventsource_stream::Eventsource::eventsource(events.bytes_stream());
    let mut first = None;
    while let Some(event) = stream.next().await {
        let event = event.context("reading the event stream")?;
        match JobEvent::from_wire(&event.event, &event.data)? {
            JobEvent::TranslationDelta { .. } => {
                first.get_or_insert(started.elapsed());
            }
            JobEvent::Done(_) => {
                let total = started.elapsed();
                return Ok(JobTiming {
                    first_token_seconds: first.unwrap_or(total).as_secs_f64(),
                    total_seconds: total.as_secs_f64(),
                });
            }
            JobEvent::Error { message, .. } => anyhow::bail!("the job failed: {message}"),
            JobEvent::Cancelled {} => anyhow::bail!("the job was cancelled"),
            _ => {}
        }
    }
    anyhow::bail!("the event stream ended early")
}

fn print_table(report: &serde_json::Value) {
    let model = &report["model"];
    match model["backends"].as_array() {
        Some(servers) => {
            let urls: Vec<&str> = servers.iter().filter_map(|u| u.as_str()).collect();
            println!(
                "model            {} on {}",
                model["name"].as_str().unwrap_or("?"),
                urls.join(", ")
            );
        }
        None => {
            println!(
                "model            {} ({}, {})",
                model["file"].as_str().unwrap_or("?"),
                model["family"].as_str().unwrap_or("?"),
                model["quantization"].as_str().unwrap_or("?")
            );
            println!(
                "sha256           {}",
                model["sha256"].as_str().unwrap_or("?")
            );
        }
    }
    println!("threads          {}", report["threads"]);
    println!(
        "guesses          up to {} tokens ahead a step (--draft-tokens)",
        report["draft_tokens"]
    );
    let figures = |key: &str| -> Vec<String> {
        report["pace"][key]
            .as_array()
            .map(|v| v.iter().map(|x| x.to_string()).collect())
            .unwrap_or_default()
    };
    println!(
        "pace             decode {} tokens/s for 1, 2, 4 and 8 sequences; the article cut into runs of {} paragraphs (--context article)",
        figures("decode_tokens_per_second").join(" / "),
        figures("runs").join(", ")
    );
    println!(
        "article          {} paragraphs, {} words",
        report["article"]["paragraphs"], report["article"]["words"]
    );
    println!(
        "model load       {:.2} s",
        report["load_seconds"].as_f64().unwrap_or(0.0)
    );
    let row = |label: &str, value: &serde_json::Value, unit: &str| {
        if let Ok(s) = serde_json::from_value::<SummaryRow>(value.clone()) {
            println!(
                "{label:<16} {:>8.2} {unit:<9} (min {:.2}, max {:.2}, spread {:.1} %)",
                s.median,
                s.min,
                s.max,
                s.spread * 100.0
            );
        }
    };
    if let Some(single) = report.get("single") {
        println!(
            "runs             {} counted, {} warm-up (medians)",
            single["runs"], single["warmup"]
        );
        row("first English", &single["first_token_seconds"], "s");
        row("prompt", &single["prompt_tokens_per_second"], "tokens/s");
        row(
            "generation",
            &single["generated_tokens_per_second"],
            "tokens/s",
        );
        row("per paragraph", &single["seconds_per_paragraph"], "s");
        row("total", &single["total_seconds"], "s");
        let batch = &single["batch"];
        if !batch.is_null() {
            println!(
                "batch            {:.1} sequences writing per step on average, {} at most, {:.1} rows per step",
                batch["mean_sequences_writing"].as_f64().unwrap_or(0.0),
                batch["max_sequences_writing"],
                batch["mean_rows"].as_f64().unwrap_or(0.0)
            );
            println!(
                "prompt tokens    {:.0} read, {:.0} reused per run (kept conversations, shared instructions)",
                batch["prompt_tokens_read_per_run"].as_f64().unwrap_or(0.0),
                batch["prompt_tokens_reused_per_run"].as_f64().unwrap_or(0.0)
            );
            println!(
                "guessed ahead    {:.0} tokens per run, {:.0} of them written as guessed",
                batch["drafted_per_run"].as_f64().unwrap_or(0.0),
                batch["draft_kept_per_run"].as_f64().unwrap_or(0.0)
            );
            println!(
                "engine busy      {:.1} s per run (taking steps; waiting for the pipeline the rest)",
                batch["busy_seconds_per_run"].as_f64().unwrap_or(0.0)
            );
        }
    }
    if let Some(decode) = report.get("decode").and_then(|d| d.as_array()) {
        println!("sequences        prompt tokens/s   decode tokens/s (summed; pp 128, tg 64)");
        for row in decode {
            println!(
                "  {:<14} {:>10.1}        {:>10.1}",
                row["sequences"],
                row["prompt_tokens_per_second"].as_f64().unwrap_or(0.0),
                row["tokens_per_second"].as_f64().unwrap_or(0.0)
            );
        }
    }
    if let Some(http) = report.get("http").and_then(|h| h.as_object()) {
        println!("concurrent jobs  first English (median / p95)   total (median / p95)");
        for (n, v) in http {
            let get = |k: &str, f: &str| v[k][f].as_f64().unwrap_or(0.0);
            println!(
                "  {n:<14} {:>7.1} s / {:>6.1} s            {:>6.1} s / {:>6.1} s",
                get("first_token_seconds", "median"),
                get("first_token_seconds", "p95"),
                get("total_seconds", "median"),
                get("total_seconds", "p95")
            );
        }
    }
    if let Some(repaste) = report.get("repaste") {
        row("fresh article", &repaste["fresh_seconds"], "s");
        row("pasted again", &repaste["repaste_seconds"], "s");
        row("ratio", &repaste["ratio"], "");
        println!(
            "                 (paragraph {} changed; the rest from the translation memory)",
            repaste["changed_paragraph"]
        );
    }
    if let Some(peak) = report["peak_rss_bytes"].as_u64() {
        println!("peak memory      {:.2} GB", peak as f64 / 1e9);
    }
}

/// The fields of [`Summary`] the table shows, read back from the JSON.
#[derive(serde::Deserialize)]
struct SummaryRow {
    median: f64,
    min: f64,
    max: f64,
    spread: f64,
}
