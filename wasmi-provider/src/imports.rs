//! The `wapc` imports (and AssemblyScript's `env.abort`), wired to [`wapc::abi`].

use wapc::abi::{self, Region};
use wapc::errors::Error;
use wapc::wapc_functions::{
    ASSEMBLYSCRIPT_ABORT, ASSEMBLYSCRIPT_NAMESPACE, GUEST_ERROR_FN, GUEST_REQUEST_FN, GUEST_RESPONSE_FN, HOST_CALL,
    HOST_CONSOLE_LOG, HOST_ERROR_FN, HOST_ERROR_LEN_FN, HOST_NAMESPACE, HOST_RESPONSE_FN, HOST_RESPONSE_LEN_FN, MEMORY,
};
use wasmi::{Caller, Extern, ExternType, Linker, Memory, Module};

use crate::store::{Waits, WapcStore};
use crate::traps::HostFailure;

/// The number of parameters of the original `__host_call`, which had no binding.
const LEGACY_HOST_CALL_PARAMS: usize = 6;

/// Defines the `wapc` imports and `env.abort` in `linker`, with the `__host_call` form `module` imports, for
/// stores whose guests wait as `waits` says.
pub(crate) fn add_to_linker(linker: &mut Linker<WapcStore>, module: &Module, waits: Waits) -> Result<(), wasmi::Error> {
    linker.func_wrap(
        HOST_NAMESPACE,
        GUEST_REQUEST_FN,
        |mut caller: Caller<'_, WapcStore>, op_ptr: i32, ptr: i32| {
            Ok(abi::guest_request(memory(&mut caller)?, op_ptr, ptr).map_err(HostFailure::from)?)
        },
    )?;
    linker.func_wrap(HOST_NAMESPACE, GUEST_RESPONSE_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32, len: i32| {
        Ok(abi::guest_response(memory(&mut caller)?, Region::new(ptr, len)).map_err(HostFailure::from)?)
    })?;
    linker.func_wrap(HOST_NAMESPACE, GUEST_ERROR_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32, len: i32| {
        Ok(abi::guest_error(memory(&mut caller)?, Region::new(ptr, len)).map_err(HostFailure::from)?)
    })?;
    match waits {
        Waits::Blocking => link_host_call(linker, module, blocking_host_call)?,
        #[cfg(feature = "async")]
        Waits::Suspending => link_host_call(linker, module, suspending_host_call)?,
    }
    linker
        .func_wrap(HOST_NAMESPACE, HOST_RESPONSE_LEN_FN, || Ok(abi::host_response_len().map_err(HostFailure::from)?))?;
    linker.func_wrap(HOST_NAMESPACE, HOST_RESPONSE_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32| {
        Ok(abi::host_response(memory(&mut caller)?, ptr).map_err(HostFailure::from)?)
    })?;
    linker.func_wrap(HOST_NAMESPACE, HOST_ERROR_LEN_FN, || Ok(abi::host_error_len().map_err(HostFailure::from)?))?;
    linker.func_wrap(HOST_NAMESPACE, HOST_ERROR_FN, |mut caller: Caller<'_, WapcStore>, ptr: i32| {
        Ok(abi::host_error(memory(&mut caller)?, ptr).map_err(HostFailure::from)?)
    })?;
    linker.func_wrap(HOST_NAMESPACE, HOST_CONSOLE_LOG, |mut caller: Caller<'_, WapcStore>, ptr: i32, len: i32| {
        Ok(abi::console_log(memory(&mut caller)?, Region::new(ptr, len)).map_err(HostFailure::from)?)
    })?;
    linker.func_wrap(
        ASSEMBLYSCRIPT_NAMESPACE,
        ASSEMBLYSCRIPT_ABORT,
        |mut caller: Caller<'_, WapcStore>,
         msg_ptr: i32,
         file_ptr: i32,
         line: i32,
         column: i32|
         -> Result<(), wasmi::Error> {
            Err(HostFailure::from(abi::abort(memory(&mut caller)?, msg_ptr, file_ptr, line, column)).into())
        },
    )?;
    Ok(())
}

/// Links `__host_call`, in the form `module` imports (with a binding, or the original one without), to
/// `host_call`, which gets the binding, namespace, operation and payload.
fn link_host_call<F>(linker: &mut Linker<WapcStore>, module: &Module, host_call: F) -> Result<(), wasmi::Error>
where
    F: Fn(&mut Caller<'_, WapcStore>, [Region; 4]) -> Result<i32, wasmi::Error> + Copy + Send + Sync + 'static,
{
    if host_call_params(module) == Some(LEGACY_HOST_CALL_PARAMS) {
        linker.func_wrap(
            HOST_NAMESPACE,
            HOST_CALL,
            move |mut caller: Caller<'_, WapcStore>,
                  ns_ptr: i32,
                  ns_len: i32,
                  op_ptr: i32,
                  op_len: i32,
                  ptr: i32,
                  len: i32| {
                let (namespace, operation, payload) =
                    (Region::new(ns_ptr, ns_len), Region::new(op_ptr, op_len), Region::new(ptr, len));
                host_call(&mut caller, [Region::EMPTY, namespace, operation, payload])
            },
        )?;
    } else {
        linker.func_wrap(
            HOST_NAMESPACE,
            HOST_CALL,
            move |mut caller: Caller<'_, WapcStore>,
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
                host_call(&mut caller, [binding, namespace, operation, payload])
            },
        )?;
    }
    Ok(())
}

/// `__host_call` on [`abi::host_call`]: the guest's thread runs the host callback.
fn blocking_host_call(caller: &mut Caller<'_, WapcStore>, regions: [Region; 4]) -> Result<i32, wasmi::Error> {
    let [binding, namespace, operation, payload] = regions;
    Ok(abi::host_call(memory(caller)?, binding, namespace, operation, payload).map_err(HostFailure::from)?)
}

/// `__host_call` on [`abi::host_call_async`]: the callback's answer is the import's result, at once if it is
/// ready, or when the guest, suspended until then, is resumed (see [`suspend`](crate::suspend)).
#[cfg(feature = "async")]
fn suspending_host_call(caller: &mut Caller<'_, WapcStore>, regions: [Region; 4]) -> Result<i32, wasmi::Error> {
    let [binding, namespace, operation, payload] = regions;
    let answer =
        abi::host_call_async(memory(caller)?, binding, namespace, operation, payload).map_err(HostFailure::from)?;
    crate::suspend::host_call(caller.data_mut(), answer)
}

/// The guest's linear memory: the export looked up at instantiation, or (for a wasm `start` function that calls
/// an import before that) looked up now.
#[inline]
fn memory<'a>(caller: &'a mut Caller<'_, WapcStore>) -> Result<&'a mut [u8], HostFailure> {
    let memory = match caller.data().memory {
        Some(memory) => memory,
        None => exported_memory(caller)?,
    };
    Ok(memory.data_mut(caller))
}

#[cold]
fn exported_memory(caller: &Caller<'_, WapcStore>) -> Result<Memory, HostFailure> {
    caller
        .get_export(MEMORY)
        .and_then(Extern::into_memory)
        .ok_or_else(|| HostFailure(Error::MissingExport(MEMORY.to_owned())))
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
