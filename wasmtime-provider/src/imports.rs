//! The `wapc` imports (and AssemblyScript's `env.abort`), wired to [`wapc::abi`].

use wapc::abi::{self, Region};
use wapc::errors::Error;
use wapc::wapc_functions::{
    ASSEMBLYSCRIPT_ABORT, ASSEMBLYSCRIPT_NAMESPACE, GUEST_ERROR_FN, GUEST_REQUEST_FN, GUEST_RESPONSE_FN, HOST_CALL,
    HOST_CONSOLE_LOG, HOST_ERROR_FN, HOST_ERROR_LEN_FN, HOST_NAMESPACE, HOST_RESPONSE_FN, HOST_RESPONSE_LEN_FN, MEMORY,
};
use wasmtime::{Caller, Extern, ExternType, Linker, Memory, Module};

use crate::store::WapcStore;

/// The number of parameters of the original `__host_call`, which had no binding.
const LEGACY_HOST_CALL_PARAMS: usize = 6;

/// How `__host_call` reaches the host callback.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HostCalls {
    /// The guest's thread runs the callback ([`abi::host_call`]), for `Store`s called synchronously.
    Blocking,
    /// The guest suspends while the callback's future is awaited ([`abi::host_call_async`]), for `Store`s
    /// called with `call_async`.
    #[cfg(feature = "async")]
    Awaiting,
}

/// Defines the `wapc` imports and `env.abort` in `linker`, with the `__host_call` form `module` imports.
pub(crate) fn add_to_linker(
    linker: &mut Linker<WapcStore>,
    module: &Module,
    host_calls: HostCalls,
) -> wasmtime::Result<()> {
    linker.func_wrap(
        HOST_NAMESPACE,
        GUEST_REQUEST_FN,
        |mut caller: Caller<'_, WapcStore>, op_ptr: i32, ptr: i32| {
            Ok(abi::guest_request(memory(&mut caller)?, op_ptr, ptr)?)
        },
    )?;
    linker.func_wrap(HOST_NAMESPACE, GUEST_RESPONSE_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32, len: i32| {
        Ok(abi::guest_response(memory(&mut caller)?, Region::new(ptr, len))?)
    })?;
    linker.func_wrap(HOST_NAMESPACE, GUEST_ERROR_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32, len: i32| {
        Ok(abi::guest_error(memory(&mut caller)?, Region::new(ptr, len))?)
    })?;
    match host_calls {
        HostCalls::Blocking => link_blocking_host_call(linker, module)?,
        #[cfg(feature = "async")]
        HostCalls::Awaiting => link_awaiting_host_call(linker, module)?,
    }
    linker.func_wrap(HOST_NAMESPACE, HOST_RESPONSE_LEN_FN, || Ok(abi::host_response_len()?))?;
    linker.func_wrap(HOST_NAMESPACE, HOST_RESPONSE_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32| {
        Ok(abi::host_response(memory(&mut caller)?, ptr)?)
    })?;
    linker.func_wrap(HOST_NAMESPACE, HOST_ERROR_LEN_FN, || Ok(abi::host_error_len()?))?;
    linker.func_wrap(HOST_NAMESPACE, HOST_ERROR_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32| {
        Ok(abi::host_error(memory(&mut caller)?, ptr)?)
    })?;
    linker.func_wrap(HOST_NAMESPACE, HOST_CONSOLE_LOG, |mut caller: Caller<'_, WapcStore>, ptr: i32, len: i32| {
        Ok(abi::console_log(memory(&mut caller)?, Region::new(ptr, len))?)
    })?;
    linker.func_wrap(
        ASSEMBLYSCRIPT_NAMESPACE,
        ASSEMBLYSCRIPT_ABORT,
        |mut caller: Caller<'_, WapcStore>,
         msg_ptr: i32,
         file_ptr: i32,
         line: i32,
         column: i32|
         -> wasmtime::Result<()> {
            Err(abi::abort(memory(&mut caller)?, msg_ptr, file_ptr, line, column).into())
        },
    )?;
    Ok(())
}

fn link_blocking_host_call(linker: &mut Linker<WapcStore>, module: &Module) -> wasmtime::Result<()> {
    if host_call_params(module) == Some(LEGACY_HOST_CALL_PARAMS) {
        linker.func_wrap(
            HOST_NAMESPACE,
            HOST_CALL,
            |mut caller: Caller<'_, WapcStore>,
             ns_ptr: i32,
             ns_len: i32,
             op_ptr: i32,
             op_len: i32,
             ptr: i32,
             len: i32| {
                let (namespace, operation, payload) =
                    (Region::new(ns_ptr, ns_len), Region::new(op_ptr, op_len), Region::new(ptr, len));
                Ok(abi::host_call(memory(&mut caller)?, Region::EMPTY, namespace, operation, payload)?)
            },
        )?;
    } else {
        linker.func_wrap(
            HOST_NAMESPACE,
            HOST_CALL,
            |mut caller: Caller<'_, WapcStore>,
             bd_ptr: i32,
             bd_len: i32,
             ns_ptr: i32,
             ns_len: i32,
             op_ptr: i32,
             op_len: i32,
             ptr: i32,
             len: i32| {
                let (binding, namespace) = (Region::new(bd_ptr, bd_len), Region::new(ns_ptr, ns_len));
                let (operation, payload) = (Region::new(op_ptr, op_len), Region::new(ptr, len));
                Ok(abi::host_call(memory(&mut caller)?, binding, namespace, operation, payload)?)
            },
        )?;
    }
    Ok(())
}

#[cfg(feature = "async")]
fn link_awaiting_host_call(linker: &mut Linker<WapcStore>, module: &Module) -> wasmtime::Result<()> {
    type Answer<'a> = Box<dyn Future<Output = wasmtime::Result<i32>> + Send + 'a>;

    /// Starts the host call, and awaits its answer with the guest suspended.
    fn awaiting<'a>(caller: &mut Caller<'_, WapcStore>, regions: [Region; 4]) -> Answer<'a> {
        let [binding, namespace, operation, payload] = regions;
        let started =
            memory(caller).and_then(|memory| abi::host_call_async(memory, binding, namespace, operation, payload));
        Box::new(async move { Ok(started?.await?) })
    }

    if host_call_params(module) == Some(LEGACY_HOST_CALL_PARAMS) {
        linker.func_wrap_async(
            HOST_NAMESPACE,
            HOST_CALL,
            |mut caller: Caller<'_, WapcStore>,
             (ns_ptr, ns_len, op_ptr, op_len, ptr, len): (i32, i32, i32, i32, i32, i32)| {
                let (namespace, operation, payload) =
                    (Region::new(ns_ptr, ns_len), Region::new(op_ptr, op_len), Region::new(ptr, len));
                awaiting(&mut caller, [Region::EMPTY, namespace, operation, payload])
            },
        )?;
    } else {
        linker.func_wrap_async(
            HOST_NAMESPACE,
            HOST_CALL,
            |mut caller: Caller<'_, WapcStore>,
             (bd_ptr, bd_len, ns_ptr, ns_len, op_ptr, op_len, ptr, len): (i32, i32, i32, i32, i32, i32, i32, i32)| {
                let (binding, namespace) = (Region::new(bd_ptr, bd_len), Region::new(ns_ptr, ns_len));
                let (operation, payload) = (Region::new(op_ptr, op_len), Region::new(ptr, len));
                awaiting(&mut caller, [binding, namespace, operation, payload])
            },
        )?;
    }
    Ok(())
}

/// The guest's linear memory: the export looked up at instantiation, or (for a wasm `start` function that calls
/// an import before that) looked up now.
#[inline]
fn memory<'a>(caller: &'a mut Caller<'_, WapcStore>) -> Result<&'a mut [u8], Error> {
    let memory = match caller.data().memory {
        Some(memory) => memory,
        None => exported_memory(caller)?,
    };
    Ok(memory.data_mut(caller))
}

#[cold]
fn exported_memory(caller: &mut Caller<'_, WapcStore>) -> Result<Memory, Error> {
    caller.get_export(MEMORY).and_then(Extern::into_memory).ok_or_else(|| Error::MissingExport(MEMORY.to_owned()))
}

/// The parameter count of the module's `wapc.__host_call` import, if it imports one.
fn host_call_params(module: &Module) -> Option<usize> {
    module.imports().find(|import| import.module() == HOST_NAMESPACE && import.name() == HOST_CALL).and_then(|import| {
        match import.ty() {
            ExternType::Func(ty) => Some(ty.params().len()),
            _ => None,
        }
    })
}
