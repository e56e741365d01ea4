//! The `wasi_unstable` (WASI preview 0) functions, which old TinyGo guests import and `wasmi_wasi` does not
//! provide, linked to wasi-common's preview 0 implementation (which translates the layouts that differ from
//! preview 1: `whence`, file stats, directory entries, subscriptions). The functions that may wait are
//! [charged](super::waiting) like their preview 1 forms.

use wasmi::{Caller, Extern, Linker};
use wasmi_wasi::WasmiGuestMemory;
use wasmi_wasi::wasi_common::WasiCtx;
use wasmi_wasi::wasi_common::snapshots::preview_0::wasi_unstable;

use super::run_to_completion;
use super::waiting::{link_charged, wasi_error};
use crate::store::WapcStore;

/// The import module of WASI preview 0.
const MODULE: &str = "wasi_unstable";

macro_rules! link_preview0 {
    ($( fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        /// Defines every `wasi_unstable` function in `linker`, on the context `context` returns.
        pub(super) fn add_to_linker(
            linker: &mut Linker<WapcStore>,
            context: fn(&mut WapcStore) -> &mut WasiCtx,
        ) -> Result<(), wasmi::Error> {
            $(
                linker.func_wrap(MODULE, stringify!($name), move |mut caller: Caller<'_, WapcStore>, $($arg: $ty),*| {
                    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
                        return Err(wasmi::Error::new("WASI needs the guest to export `memory`"));
                    };
                    let (memory, store) = memory.data_and_store_mut(&mut caller);
                    let mut memory = WasmiGuestMemory::Unshared(memory);
                    let result = run_to_completion(wasi_unstable::$name(context(store), &mut memory, $($arg),*))?;
                    result.map(<$ret>::from).map_err(wasi_error)
                })?;
            )*
            link_charged!(linker, MODULE, wasi_unstable, [poll_oneoff, fd_read]);
            Ok(())
        }
    };
}

link_preview0! {
        fn args_get(a: i32, b: i32) -> i32;
        fn args_sizes_get(a: i32, b: i32) -> i32;
        fn environ_get(a: i32, b: i32) -> i32;
        fn environ_sizes_get(a: i32, b: i32) -> i32;
        fn clock_res_get(a: i32, b: i32) -> i32;
        fn clock_time_get(a: i32, b: i64, c: i32) -> i32;
        fn fd_advise(a: i32, b: i64, c: i64, d: i32) -> i32;
        fn fd_allocate(a: i32, b: i64, c: i64) -> i32;
        fn fd_close(a: i32) -> i32;
        fn fd_datasync(a: i32) -> i32;
        fn fd_fdstat_get(a: i32, b: i32) -> i32;
        fn fd_fdstat_set_flags(a: i32, b: i32) -> i32;
        fn fd_fdstat_set_rights(a: i32, b: i64, c: i64) -> i32;
        fn fd_filestat_get(a: i32, b: i32) -> i32;
        fn fd_filestat_set_size(a: i32, b: i64) -> i32;
        fn fd_filestat_set_times(a: i32, b: i64, c: i64, d: i32) -> i32;
        fn fd_pread(a: i32, b: i32, c: i32, d: i64, e: i32) -> i32;
        fn fd_prestat_get(a: i32, b: i32) -> i32;
        fn fd_prestat_dir_name(a: i32, b: i32, c: i32) -> i32;
        fn fd_pwrite(a: i32, b: i32, c: i32, d: i64, e: i32) -> i32;
        fn fd_readdir(a: i32, b: i32, c: i32, d: i64, e: i32) -> i32;
        fn fd_renumber(a: i32, b: i32) -> i32;
        fn fd_seek(a: i32, b: i64, c: i32, d: i32) -> i32;
        fn fd_sync(a: i32) -> i32;
        fn fd_tell(a: i32, b: i32) -> i32;
        fn fd_write(a: i32, b: i32, c: i32, d: i32) -> i32;
        fn path_create_directory(a: i32, b: i32, c: i32) -> i32;
        fn path_filestat_get(a: i32, b: i32, c: i32, d: i32, e: i32) -> i32;
        fn path_filestat_set_times(a: i32, b: i32, c: i32, d: i32, e: i64, f: i64, g: i32) -> i32;
        fn path_link(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32, g: i32) -> i32;
        fn path_open(a: i32, b: i32, c: i32, d: i32, e: i32, f: i64, g: i64, h: i32, i: i32) -> i32;
        fn path_readlink(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32) -> i32;
        fn path_remove_directory(a: i32, b: i32, c: i32) -> i32;
        fn path_rename(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32) -> i32;
        fn path_symlink(a: i32, b: i32, c: i32, d: i32, e: i32) -> i32;
        fn path_unlink_file(a: i32, b: i32, c: i32) -> i32;
        fn proc_exit(a: i32) -> ();
        fn proc_raise(a: i32) -> i32;
        fn sched_yield() -> i32;
        fn random_get(a: i32, b: i32) -> i32;
        fn sock_recv(a: i32, b: i32, c: i32, d: i32, e: i32, f: i32) -> i32;
        fn sock_send(a: i32, b: i32, c: i32, d: i32, e: i32) -> i32;
        fn sock_shutdown(a: i32, b: i32) -> i32;
}
