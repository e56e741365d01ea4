//! The command line, as clap parses it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::quantity;

/// Run waPC modules from the shell.
///
/// `wapc call` calls one operation of a module and prints the answer; `wapc inspect` shows what a module imports
/// and exports and whether it runs here. Payloads are JSON, turned into MessagePack (the encoding most waPC guests
/// use), or raw bytes.
#[derive(Debug, Parser)]
#[command(name = "wapc", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Print spans and events on stderr (`RUST_LOG` chooses which, e.g. `RUST_LOG=wrpc_bridge=debug`).
    #[arg(long, global = true)]
    pub trace: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call an operation of a module once and print its answer.
    ///
    /// Examples:
    ///   wapc call hello.wasm greet '{"name": "Ada"}'
    ///   echo -n hi | wapc call echo.wasm echo - --output hex
    #[command(verbatim_doc_comment)]
    Call(Box<CallArgs>),
    /// Show what a module imports and exports, its waPC flavour, and anything that would stop it running here.
    Inspect(InspectArgs),
    /// Print a completion script for a shell, e.g. `wapc completions bash > /etc/bash_completion.d/wapc`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// `wapc call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// The module: a `.wasm` file.
    pub module: PathBuf,
    /// The operation to call.
    pub operation: String,
    /// The payload: JSON, sent as MessagePack; `-` sends stdin's bytes as they are. Nothing sends an empty payload.
    #[arg(conflicts_with_all = ["raw", "msgpack"])]
    pub payload: Option<String>,
    /// Send TEXT's bytes as they are, instead of a JSON payload.
    #[arg(long, value_name = "TEXT", conflicts_with = "msgpack")]
    pub raw: Option<String>,
    /// Send FILE's bytes (MessagePack, or anything) as they are.
    #[arg(long, value_name = "FILE")]
    pub msgpack: Option<PathBuf>,
    /// How to print the answer: `auto` prints JSON when the payload was JSON and the answer is one MessagePack
    /// value, its raw bytes otherwise.
    #[arg(long, value_enum, default_value_t = Output::Auto)]
    pub output: Output,
    /// How to run the module.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// How to print an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// JSON when the payload was JSON and the answer is one MessagePack value; raw bytes otherwise.
    Auto,
    /// The answer, a MessagePack value, as JSON.
    Json,
    /// The answer's bytes as they are.
    Raw,
    /// The answer's bytes, checked to be one MessagePack value.
    Msgpack,
    /// The answer's bytes in hexadecimal.
    Hex,
}

/// The engine and limits a module runs with.
#[derive(Debug, Args)]
pub struct EngineArgs {
    /// The engine: wasmtime compiles the module (fast), wasmi interprets it (where JIT is not allowed).
    #[arg(long, value_enum, default_value_t = Engine::Wasmtime)]
    pub engine: Engine,
    /// Wall-clock limit of each call, e.g. 500ms, 5s, 2m (wasmtime; on wasmi, use --fuel).
    #[arg(long, value_parser = quantity::duration)]
    pub deadline: Option<Duration>,
    /// Fuel (about one unit per instruction) each call may use (wasmi; on wasmtime, use --deadline).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// The most memory the guest may hold, e.g. 64MiB, 1GiB (256MiB by default).
    #[arg(long, value_parser = quantity::size)]
    pub max_memory: Option<usize>,
    /// Let the guest read a host directory, as HOST or HOST:GUEST (repeatable; WASI guests).
    #[arg(long = "dir", value_name = "HOST[:GUEST]")]
    pub dirs: Vec<String>,
    /// An environment variable for the guest, as K=V (repeatable; WASI guests).
    #[arg(long = "env", value_name = "K=V", value_parser = env_var)]
    pub env: Vec<(String, String)>,
    /// A bridge configuration (TOML) whose targets the guest's host calls reach.
    #[arg(long, value_name = "FILE")]
    pub bridge: Option<PathBuf>,
}

/// The engines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// wasmtime: compiled to native code.
    Wasmtime,
    /// wasmi: interpreted.
    Wasmi,
}

/// `wapc inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The module: a `.wasm` file.
    pub module: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `K=V`.
fn env_var(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not K=V")),
    }
}
