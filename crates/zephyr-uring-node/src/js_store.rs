//! WebSocket messages received straight into JS memory.
//!
//! The core asks for a store when a message of known length starts ([`zephyr_uring::ws`]); each
//! store is a Node Buffer of exactly the message's length (`napi_create_buffer`: Node's
//! allocator, uninitialized, counted by the GC like any Buffer), and the session unmasks the
//! message into it as it arrives. JS gets that Buffer itself: no copy into the event buffer nor
//! out of it, and it is the application's to keep (nothing writes it once delivered).
//!
//! One Buffer per message rather than several messages carved out of a larger one: measured on
//! the 16 KiB echo, 64 KiB arenas took 3–4 times the page faults (freed together by the GC, they
//! go back to the kernel and come back fresh) for no less user time, and a kept message would
//! keep its whole arena alive.

use std::any::Any;
use std::ffi::c_void;

use napi::sys;
use zephyr_uring::ws::MessageStore;

/// A Node Buffer held by a strong reference: its memory stays in place while this lives.
pub struct JsStore {
    env: sys::napi_env,
    reference: sys::napi_ref,
    ptr: *mut u8,
    len: usize,
}

impl JsStore {
    /// A Buffer of `len` bytes; `None` when Node could not allocate it (the message is then
    /// copied through the event buffer).
    ///
    /// # Safety
    /// On the JS thread, inside a handle scope (`pump` opens one around `Server::process`, the
    /// only caller of the placer).
    pub unsafe fn new(env: sys::napi_env, len: usize) -> Option<JsStore> {
        let mut data: *mut c_void = std::ptr::null_mut();
        let mut value = std::ptr::null_mut();
        let mut reference = std::ptr::null_mut();
        // SAFETY: see the function's contract; out pointers are valid.
        unsafe {
            if sys::napi_create_buffer(env, len, &mut data, &mut value) != sys::Status::napi_ok
                || data.is_null()
                || sys::napi_create_reference(env, value, 1, &mut reference) != sys::Status::napi_ok
            {
                return None;
            }
        }
        Some(JsStore {
            env,
            reference,
            ptr: data.cast(),
            len,
        })
    }

    /// The Buffer, for the batch handed to JS.
    ///
    /// # Safety
    /// On the JS thread, inside a handle scope.
    pub unsafe fn buffer(&self) -> sys::napi_value {
        let mut value = std::ptr::null_mut();
        // SAFETY: the reference is alive until drop; see the function's contract.
        unsafe { sys::napi_get_reference_value(self.env, self.reference, &mut value) };
        value
    }
}

impl Drop for JsStore {
    fn drop(&mut self) {
        // SAFETY: ours, deleted once, on the JS thread (stores live in the server and the event
        // writer, both used and dropped only there).
        unsafe { sys::napi_delete_reference(self.env, self.reference) };
    }
}

impl MessageStore for JsStore {
    fn bytes(&self) -> &[u8] {
        // SAFETY: the Buffer's `len` bytes, kept alive and in place by the reference; JS reads
        // them only after the message is delivered, when the session no longer writes them.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above; JS has no access to this Buffer until the message is delivered.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
