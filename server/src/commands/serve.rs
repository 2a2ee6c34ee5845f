//! `passerelle serve`: the reading page and the API.

use crate::cli::{GlobalArgs, ServeArgs};
use std::process::ExitCode;

pub fn run(global: &GlobalArgs, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let _ = (global, args);
    anyhow::bail!("not yet")
}
