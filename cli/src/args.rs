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
    /// Call an operation over and over for a while, and print calls per second and latencies.
    ///
    /// Example:
    ///   wapc bench echo.wasm echo '"hello"' --duration 5s --concurrency 4
    #[command(verbatim_doc_comment)]
    Bench(Box<BenchArgs>),
    /// Serve a module's operations as wRPC functions, until Ctrl-C or SIGTERM stops it gracefully.
    ///
    /// Examples:
    ///   wapc serve echo.wasm --listen tcp://127.0.0.1:7762 --instance legacy:guest/api --op echo
    ///   wapc serve kv.wasm --listen nats://127.0.0.1:4222 --wit wit/ --interface example:kv/store --pool 8
    #[command(verbatim_doc_comment)]
    Serve(Box<ServeArgs>),
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
    /// What to send.
    #[command(flatten)]
    pub payload: PayloadArgs,
    /// How to print the answer: `auto` prints JSON when the payload was JSON and the answer is one MessagePack
    /// value, its raw bytes otherwise.
    #[arg(long, value_enum, default_value_t = Output::Auto)]
    pub output: Output,
    /// How to run the module.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// A call's payload.
#[derive(Debug, Args)]
pub struct PayloadArgs {
    /// The payload: JSON, sent as MessagePack; `-` sends stdin's bytes as they are. Nothing sends an empty payload.
    #[arg(conflicts_with_all = ["raw", "msgpack"])]
    pub payload: Option<String>,
    /// Send TEXT's bytes as they are, instead of a JSON payload.
    #[arg(long, value_name = "TEXT", conflicts_with = "msgpack")]
    pub raw: Option<String>,
    /// Send FILE's bytes (MessagePack, or anything) as they are.
    #[arg(long, value_name = "FILE")]
    pub msgpack: Option<PathBuf>,
}

/// `wapc bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The module: a `.wasm` file.
    pub module: PathBuf,
    /// The operation to call.
    pub operation: String,
    /// What to send, each call.
    #[command(flatten)]
    pub payload: PayloadArgs,
    /// How long to call for, e.g. 10s.
    #[arg(long, value_parser = quantity::duration, default_value = "10s")]
    pub duration: Duration,
    /// How many calls at once, each on an instance of its own.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// How to run the module.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `wapc serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The module: a `.wasm` file.
    pub module: PathBuf,
    /// Where to serve: tcp://HOST:PORT, unix://PATH or nats://HOST:PORT.
    #[arg(long, value_name = "ADDRESS")]
    pub listen: String,
    /// Serve operations opaquely in this wRPC instance (with --op): bytes in, bytes out.
    #[arg(long, value_name = "NAME", requires = "ops", conflicts_with = "wit")]
    pub instance: Option<String>,
    /// An operation to serve in --instance, as `func(payload: list<u8>) -> result<list<u8>, string>` (repeatable).
    #[arg(long = "op", value_name = "OP")]
    pub ops: Vec<String>,
    /// Serve typed: the WIT package (a file or folder) whose --interface to serve.
    #[arg(long, value_name = "DIR", requires = "interface")]
    pub wit: Option<PathBuf>,
    /// The interface of --wit to serve, e.g. example:kv/store@0.1.0; each function calls the operation of its name.
    #[arg(long, value_name = "ID", requires = "wit")]
    pub interface: Option<String>,
    /// Let a function call an operation of another name, as FUNCTION=OPERATION (repeatable).
    #[arg(long = "alias", value_name = "FN=OP", value_parser = pair, requires = "wit")]
    pub aliases: Vec<(String, String)>,
    /// Serve from a pool of this many instances, so that calls run in parallel (one instance by default).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub pool: Option<u16>,
    /// NATS: the wRPC subject prefix.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// NATS: a queue group, so that several servers share the invocations.
    #[arg(long, value_name = "NAME")]
    pub group: Option<String>,
    /// NATS: a user name (with --password).
    #[arg(long, requires = "password")]
    pub user: Option<String>,
    /// NATS: the password of --user.
    #[arg(long, requires = "user")]
    pub password: Option<String>,
    /// NATS: a token.
    #[arg(long)]
    pub token: Option<String>,
    /// NATS: a credentials (.creds) file.
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// NATS: require TLS.
    #[arg(long)]
    pub tls: bool,
    /// NATS: a PEM file of root certificates to verify the server with (implies --tls).
    #[arg(long, value_name = "FILE")]
    pub root_certificates: Option<PathBuf>,
    /// How long a stop lets calls in flight finish, e.g. 10s.
    #[arg(long, value_parser = quantity::duration)]
    pub grace: Option<Duration>,
    /// How many invocations are handled at once; newcomers wait, then are refused.
    #[arg(long, value_name = "N")]
    pub max_in_flight: Option<usize>,
    /// How long a newcomer waits for a place among those in flight, e.g. 1s.
    #[arg(long, value_parser = quantity::duration)]
    pub admission_wait: Option<Duration>,
    /// The most bytes an invocation's parameters may take, e.g. 16MiB.
    #[arg(long, value_parser = quantity::size)]
    pub max_invocation_bytes: Option<usize>,
    /// How long an invocation's parameters may take to arrive, e.g. 30s.
    #[arg(long, value_parser = quantity::duration)]
    pub params_timeout: Option<Duration>,
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
    pair(text).map_err(|_| format!("`{text}` is not K=V"))
}

/// `A=B`, with `A` not empty.
fn pair(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not NAME=VALUE")),
    }
}
