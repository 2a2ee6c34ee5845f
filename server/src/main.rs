use clap::Parser;
use server::cli::{Cli, Command, ServeArgs};
use server::commands;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(threads) = cli.global.threads {
        // candle sizes its CPU thread pool from this variable; set before any thread starts.
        std::env::set_var("RAYON_NUM_THREADS", threads.max(1).to_string());
    }
    let filter = EnvFilter::try_new(&cli.global.log).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("passerelle: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::from_env())) {
        Command::Serve(args) => commands::serve::run(&global, args),
        Command::Translate(args) => commands::read::translate(&global, &args),
        Command::Summarize(args) => commands::read::summarize(&global, &args),
        Command::Bench(args) => commands::bench::run(&global, &args),
        Command::Eval(args) => commands::eval::run(&global, &args),
        Command::Models { command } => commands::models::run(&global, command),
        Command::History { command } => commands::history::run(&global, command),
    }
}
