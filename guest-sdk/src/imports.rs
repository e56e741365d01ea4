//! The `wapc` host functions, as a waPC host provides them to wasm guests.

#[link(wasm_import_module = "wapc")]
unsafe extern "C" {
    pub(crate) fn __guest_request(op_ptr: *mut u8, ptr: *mut u8);
    pub(crate) fn __guest_response(ptr: *const u8, len: usize);
    pub(crate) fn __guest_error(ptr: *const u8, len: usize);
    pub(crate) fn __host_call(
        bd_ptr: *const u8,
        bd_len: usize,
        ns_ptr: *const u8,
        ns_len: usize,
        op_ptr: *const u8,
        op_len: usize,
        ptr: *const u8,
        len: usize,
    ) -> usize;
    pub(crate) fn __host_response_len() -> usize;
    pub(crate) fn __host_response(ptr: *mut u8);
    pub(crate) fn __host_error_len() -> usize;
    pub(crate) fn __host_error(ptr: *mut u8);
    pub(crate) fn __console_log(ptr: *const u8, len: usize);
}
