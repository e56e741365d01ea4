//! The floor on wasmtime.

use wasmtime_provider::wasmtime::{self, Caller, Engine, Linker, Memory, Module, Store, TypedFunc};

use crate::{ECHO, Floor, FloorData, ROUND_TRIP};

/// A floor store's data: the floor's, and the memory looked up once.
struct Data {
    floor: FloorData,
    memory: Option<Memory>,
}

/// One instance of a floor module on wasmtime.
pub struct WasmtimeFloor {
    store: Store<Data>,
    guest_call: TypedFunc<(i32, i32), i32>,
}

impl WasmtimeFloor {
    /// The echo floor.
    #[must_use]
    pub fn echo() -> Self {
        Self::new(ECHO)
    }

    /// The round-trip floor: its host function answers the bytes it is given, copied.
    #[must_use]
    pub fn round_trip() -> Self {
        Self::new(ROUND_TRIP)
    }

    fn new(wat: &str) -> Self {
        let engine = Engine::default();
        let module = Module::new(&engine, wat::parse_str(wat).unwrap_or_default()).unwrap_or_else(|e| panic!("{e}"));
        let mut linker = Linker::<Data>::new(&engine);
        define_imports(&mut linker).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::new(&engine, Data { floor: FloorData::default(), memory: None });
        let instance = linker.instantiate(&mut store, &module).unwrap_or_else(|e| panic!("{e}"));
        store.data_mut().memory = instance.get_memory(&mut store, "memory");
        let guest_call = instance.get_typed_func(&mut store, "__guest_call").unwrap_or_else(|e| panic!("{e}"));
        WasmtimeFloor { store, guest_call }
    }
}

impl WasmtimeFloor {
    /// Runs `__guest_call` once with wasmtime's `call_async` (on a fiber, as an async provider calls guests)
    /// and returns the response.
    pub async fn call_async(&mut self) -> Vec<u8> {
        let len = self.store.data().floor.request_len();
        match self.guest_call.call_async(&mut self.store, (4, len)).await {
            Ok(_) => std::mem::take(&mut self.store.data_mut().floor.response),
            Err(e) => panic!("the floor module failed: {e}"),
        }
    }
}

impl Floor for WasmtimeFloor {
    fn set_request(&mut self, payload: &[u8]) {
        payload.clone_into(&mut self.store.data_mut().floor.request);
    }

    fn call(&mut self) -> Vec<u8> {
        let len = self.store.data().floor.request_len();
        match self.guest_call.call(&mut self.store, (4, len)) {
            Ok(_) => std::mem::take(&mut self.store.data_mut().floor.response),
            Err(e) => panic!("the floor module failed: {e}"),
        }
    }
}

fn define_imports(linker: &mut Linker<Data>) -> wasmtime::Result<()> {
    linker.func_wrap("floor", "fetch", |mut caller: Caller<'_, Data>, ptr: i32| {
        let (memory, floor) = memory_and_floor(&mut caller);
        floor.fetch(memory, ptr);
    })?;
    linker.func_wrap("floor", "respond", |mut caller: Caller<'_, Data>, ptr: i32, len: i32| {
        let (memory, floor) = memory_and_floor(&mut caller);
        floor.respond(memory, ptr, len);
    })?;
    linker.func_wrap("floor", "host_call", |mut caller: Caller<'_, Data>, ptr: i32, len: i32| -> i32 {
        let (memory, floor) = memory_and_floor(&mut caller);
        floor.host_call(memory, ptr, len)
    })?;
    linker.func_wrap("floor", "host_response", |mut caller: Caller<'_, Data>, ptr: i32| {
        let (memory, floor) = memory_and_floor(&mut caller);
        floor.host_response(memory, ptr);
    })?;
    Ok(())
}

fn memory_and_floor<'a>(caller: &'a mut Caller<'_, Data>) -> (&'a mut [u8], &'a mut FloorData) {
    let memory = caller.data().memory.unwrap_or_else(|| panic!("the floor module has no memory"));
    let (memory, data) = memory.data_and_store_mut(caller);
    (memory, &mut data.floor)
}
