//! `wapc inspect`: what a module imports and exports, which waPC flavour it speaks, the toolchain that made it
//! when it can tell, and anything that would stop it running here.

use std::fmt::Write as _;
use std::io::Write as _;

use wapc::wapc_functions as abi;
use wasmparser::{ExternalKind, KnownCustom, Parser, Payload, TypeRef, Validator};

use crate::args::InspectArgs;
use crate::engine;
use crate::failure::Failure;

/// What `wapc inspect` finds in a module.
#[derive(Debug, Default)]
struct Report {
    size: usize,
    imports: Vec<(String, String, String)>,
    exports: Vec<(String, &'static str)>,
    /// Each memory, imported or defined: initial and maximum pages, and whether it is 64-bit or shared.
    memories: Vec<String>,
    /// The wasm `start` section's function, if any.
    start_section: Option<u32>,
    /// `(field, name, version)` of the producers section.
    producers: Vec<(String, String, String)>,
    /// The initial memory, in bytes, of all memories.
    initial_memory: u64,
    /// `wapc.__host_call`'s parameter count, if the module imports it.
    host_call_params: Option<usize>,
    /// Whether the module validates; nothing else is known of one that does not.
    validates: bool,
    problems: Vec<String>,
}

/// Runs `wapc inspect`.
pub fn run(args: &InspectArgs) -> Result<(), Failure> {
    let module = engine::module(&args.module)?;
    let report = inspect(&module);
    let text = if args.json { json(&report) } else { text(&report, &args.module.display().to_string()) };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).map_err(|e| Failure::host(format!("cannot write the report: {e}")))
}

fn inspect(module: &[u8]) -> Report {
    let mut report = Report { size: module.len(), ..Report::default() };
    if let Err(e) = Validator::new().validate_all(module) {
        report.problems.push(format!("it is not a valid WebAssembly module: {e}"));
        return report;
    }
    report.validates = true;
    let mut function_params: Vec<Option<usize>> = Vec::new();
    for payload in Parser::new(0).parse_all(module) {
        // Validated above: every section reads.
        let Ok(payload) = payload else { break };
        match payload {
            Payload::TypeSection(types) => {
                for ty in types.into_iter_err_on_gc_types() {
                    function_params.push(ty.ok().map(|ty| ty.params().len()));
                }
            }
            Payload::ImportSection(imports) => {
                for import in imports.into_imports().flatten() {
                    let kind = match import.ty {
                        TypeRef::Func(ty) | TypeRef::FuncExact(ty) => {
                            let params = function_params.get(ty as usize).copied().flatten().unwrap_or_default();
                            if import.module == abi::HOST_NAMESPACE && import.name == abi::HOST_CALL {
                                report.host_call_params = Some(params);
                            }
                            format!("func, {params} params")
                        }
                        TypeRef::Memory(memory) => {
                            report
                                .memories
                                .push(memory_text(&memory, &format!("imported {}.{}", import.module, import.name)));
                            report.initial_memory += memory.initial.saturating_mul(65_536);
                            "memory".to_owned()
                        }
                        TypeRef::Table(_) => "table".to_owned(),
                        TypeRef::Global(_) => "global".to_owned(),
                        TypeRef::Tag(_) => "tag".to_owned(),
                    };
                    report.imports.push((import.module.to_owned(), import.name.to_owned(), kind));
                }
            }
            Payload::MemorySection(memories) => {
                for memory in memories.into_iter().flatten() {
                    let index = report.memories.len();
                    report.memories.push(memory_text(&memory, &format!("memory {index}")));
                    report.initial_memory += memory.initial.saturating_mul(65_536);
                }
            }
            Payload::ExportSection(exports) => {
                for export in exports.into_iter().flatten() {
                    let kind = match export.kind {
                        ExternalKind::Func | ExternalKind::FuncExact => "func",
                        ExternalKind::Table => "table",
                        ExternalKind::Memory => "memory",
                        ExternalKind::Global => "global",
                        ExternalKind::Tag => "tag",
                    };
                    report.exports.push((export.name.to_owned(), kind));
                }
            }
            Payload::StartSection { func, .. } => report.start_section = Some(func),
            Payload::CustomSection(section) => {
                if let KnownCustom::Producers(producers) = section.as_known() {
                    for field in producers.into_iter().flatten() {
                        for value in field.values.into_iter().flatten() {
                            report.producers.push((
                                field.name.to_owned(),
                                value.name.to_owned(),
                                value.version.to_owned(),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    report.problems = problems(&report);
    report
}

impl Report {
    fn valid(&self) -> bool {
        self.validates
    }

    fn assemblyscript_abort(&self) -> bool {
        self.imports(abi::ASSEMBLYSCRIPT_NAMESPACE).any(|(_, name, _)| name == abi::ASSEMBLYSCRIPT_ABORT)
    }

    fn imports(&self, module: &str) -> impl Iterator<Item = &(String, String, String)> {
        self.imports.iter().filter(move |(from, _, _)| from == module)
    }

    fn exports(&self, name: &str) -> bool {
        self.exports.iter().any(|(export, _)| export == name)
    }

    /// The waPC flavour, in a few words.
    fn flavour(&self) -> String {
        let mut flavour = match self.host_call_params {
            Some(8) => "waPC, 8-argument __host_call (binding, namespace, operation, payload)".to_owned(),
            Some(6) => "waPC, 6-argument __host_call (namespace, operation, payload; old guests)".to_owned(),
            Some(other) => format!("waPC, a __host_call of {other} arguments, which no host takes"),
            None => "waPC, no host calls".to_owned(),
        };
        if self.assemblyscript_abort() {
            flavour.push_str("; env.abort (AssemblyScript)");
        }
        flavour
    }

    /// The WASI preview the module imports, if any.
    fn wasi(&self) -> &'static str {
        match (self.imports("wasi_snapshot_preview1").next(), self.imports("wasi_unstable").next()) {
            (Some(_), Some(_)) => "preview 1 and preview 0",
            (Some(_), None) => "preview 1 (wasi_snapshot_preview1)",
            (None, Some(_)) => "preview 0 (wasi_unstable)",
            (None, None) => "none",
        }
    }

    /// The start functions a host runs, in order, and the wasm start section.
    fn starts(&self) -> Vec<String> {
        let mut starts: Vec<String> =
            abi::REQUIRED_STARTS.iter().filter(|start| self.exports(start)).map(|start| (*start).to_owned()).collect();
        if let Some(func) = self.start_section {
            starts.insert(0, format!("the start section (function {func})"));
        }
        starts
    }

    /// The toolchain that made the module, from its producers section or, without one, its imports and exports.
    fn toolchain(&self) -> String {
        // The first of `wanted` (in order of preference) the producers section names.
        let produced = |wanted: &[&str]| {
            wanted.iter().find_map(|w| self.producers.iter().find(|(_, name, _)| name.eq_ignore_ascii_case(w)))
        };
        let version = |(_, name, version): &(String, String, String)| format!("{name} {version}").trim().to_owned();
        if let Some(tinygo) = produced(&["TinyGo"]) {
            return format!("TinyGo ({})", version(tinygo));
        }
        if let Some(zig) = produced(&["Zig"]) {
            return format!("Zig ({})", version(zig));
        }
        if let Some(rust) = produced(&["rustc", "Rust"]) {
            return format!("Rust ({})", version(rust));
        }
        if self.assemblyscript_abort() {
            return "AssemblyScript (it imports env.abort)".to_owned();
        }
        if self.imports("wasi_unstable").next().is_some()
            || self.exports.iter().any(|(name, _)| name.starts_with("asyncify_"))
        {
            return "likely TinyGo (WASI preview 0 or asyncify exports, no producers section)".to_owned();
        }
        "unknown (no producers section)".to_owned()
    }
}

/// What would stop the module running here.
fn problems(report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    if !report.exports(abi::GUEST_CALL) {
        problems.push(format!("it does not export `{}`: it is not a waPC guest", abi::GUEST_CALL));
    }
    if !report.exports.iter().any(|(name, kind)| name == abi::MEMORY && *kind == "memory") {
        problems.push("it does not export its memory as `memory`".to_owned());
    }
    for (module, name, kind) in &report.imports {
        let provided = match module.as_str() {
            abi::HOST_NAMESPACE => match name.as_str() {
                abi::HOST_CALL => matches!(report.host_call_params, Some(6 | 8)),
                abi::HOST_CONSOLE_LOG
                | abi::GUEST_REQUEST_FN
                | abi::HOST_RESPONSE_FN
                | abi::HOST_RESPONSE_LEN_FN
                | abi::GUEST_RESPONSE_FN
                | abi::GUEST_ERROR_FN
                | abi::HOST_ERROR_FN
                | abi::HOST_ERROR_LEN_FN => true,
                _ => false,
            },
            abi::ASSEMBLYSCRIPT_NAMESPACE => name == abi::ASSEMBLYSCRIPT_ABORT,
            "wasi_snapshot_preview1" | "wasi_unstable" => true,
            _ => false,
        };
        if !provided {
            problems.push(format!("it imports `{module}.{name}` ({kind}), which no host here provides"));
        }
    }
    let limit = wapc::DEFAULT_MAX_MEMORY_BYTES as u64;
    if report.initial_memory > limit {
        problems.push(format!(
            "its memory starts at {} MiB, more than the default limit of {} MiB: run it with --max-memory",
            report.initial_memory >> 20,
            limit >> 20
        ));
    }
    problems
}

fn memory_text(memory: &wasmparser::MemoryType, name: &str) -> String {
    let maximum = memory.maximum.map_or("no maximum".to_owned(), |max| format!("at most {max} pages"));
    let flags = match (memory.memory64, memory.shared) {
        (true, true) => ", 64-bit, shared",
        (true, false) => ", 64-bit",
        (false, true) => ", shared",
        (false, false) => "",
    };
    format!("{name}: {} pages (64 KiB each) at start, {maximum}{flags}", memory.initial)
}

fn text(report: &Report, path: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "module: {path} ({} bytes)", report.size);
    if !report.valid() {
        list(&mut out, "problems", report.problems.iter().cloned());
        return out;
    }
    let _ = writeln!(out, "toolchain: {}", report.toolchain());
    let _ = writeln!(out, "ABI: {}", report.flavour());
    let _ = writeln!(out, "WASI: {}", report.wasi());
    let starts = report.starts();
    let _ = writeln!(out, "start functions: {}", if starts.is_empty() { "none".to_owned() } else { starts.join(", ") });
    let imports = report.imports.iter().map(|(module, name, kind)| format!("{module}.{name} ({kind})"));
    let exports = report.exports.iter().map(|(name, kind)| format!("{name} ({kind})"));
    list(&mut out, "memories", report.memories.iter().cloned());
    list(&mut out, "imports", imports);
    list(&mut out, "exports", exports);
    match report.problems.as_slice() {
        [] => out.push_str("problems: none: it runs here\n"),
        problems => list(&mut out, "problems", problems.iter().cloned()),
    }
    out
}

/// `title:` and each item on a line of its own.
fn list(out: &mut String, title: &str, items: impl Iterator<Item = String>) {
    let _ = writeln!(out, "{title}:");
    for item in items {
        let _ = writeln!(out, "  {item}");
    }
}

fn json(report: &Report) -> String {
    let valid = report.valid();
    let mut value = serde_json::json!({
        "size": report.size,
        "problems": report.problems,
    });
    if valid {
        value["toolchain"] = report.toolchain().into();
        value["abi"] = report.flavour().into();
        value["host_call_params"] = report.host_call_params.into();
        value["assemblyscript_abort"] = report.assemblyscript_abort().into();
        value["wasi"] = report.wasi().into();
        value["start_functions"] = report.starts().into();
        value["memories"] = report.memories.clone().into();
        value["imports"] = report
            .imports
            .iter()
            .map(|(module, name, kind)| serde_json::json!({ "module": module, "name": name, "kind": kind }))
            .collect();
        value["exports"] =
            report.exports.iter().map(|(name, kind)| serde_json::json!({ "name": name, "kind": kind })).collect();
    }
    let mut text = value.to_string();
    text.push('\n');
    text
}
