//! The names of the functions a waPC conversation uses, as they appear in modules.

/// The import module of every waPC host function.
pub const HOST_NAMESPACE: &str = "wapc";

// Imports: called by the guest, provided by the host.

/// `__console_log(ptr, len)`: a log line from the guest.
pub const HOST_CONSOLE_LOG: &str = "__console_log";
/// `__host_call(bd_ptr, bd_len, ns_ptr, ns_len, op_ptr, op_len, ptr, len) -> i32`: call the host.
pub const HOST_CALL: &str = "__host_call";
/// `__guest_request(op_ptr, ptr)`: copy the current operation and payload into the guest.
pub const GUEST_REQUEST_FN: &str = "__guest_request";
/// `__host_response(ptr)`: copy the last host call's result into the guest.
pub const HOST_RESPONSE_FN: &str = "__host_response";
/// `__host_response_len() -> i32`: the length of the last host call's result.
pub const HOST_RESPONSE_LEN_FN: &str = "__host_response_len";
/// `__guest_response(ptr, len)`: the guest's result for this call.
pub const GUEST_RESPONSE_FN: &str = "__guest_response";
/// `__guest_error(ptr, len)`: the guest's error text for this call.
pub const GUEST_ERROR_FN: &str = "__guest_error";
/// `__host_error(ptr)`: copy the last host call's error text into the guest.
pub const HOST_ERROR_FN: &str = "__host_error";
/// `__host_error_len() -> i32`: the length of the last host call's error text (0 if none).
pub const HOST_ERROR_LEN_FN: &str = "__host_error_len";

/// The import module of AssemblyScript's runtime functions.
pub const ASSEMBLYSCRIPT_NAMESPACE: &str = "env";
/// `env.abort(msg_ptr, file_ptr, line, col)`: an AssemblyScript guest gives up.
pub const ASSEMBLYSCRIPT_ABORT: &str = "abort";

// Exports: provided by the guest, called by the host.

/// The guest's linear memory.
pub const MEMORY: &str = "memory";
/// `__guest_call(op_len, msg_len) -> i32`: run one operation (1 = success, 0 = failure).
pub const GUEST_CALL: &str = "__guest_call";
/// `wapc_init()`: the guest registers its operations.
pub const WAPC_INIT: &str = "wapc_init";
/// `_start()`: a WASI command's entry point (TinyGo). `proc_exit(0)` inside it is success.
pub const TINYGO_START: &str = "_start";
/// `_initialize()`: a WASI reactor's initialiser.
pub const REACTOR_INITIALIZE: &str = "_initialize";

/// The start functions a host calls once after instantiation, in this order, each if it is exported.
pub const REQUIRED_STARTS: [&str; 3] = [TINYGO_START, REACTOR_INITIALIZE, WAPC_INIT];
