//! The few libuv calls needed to watch the ring's fd from Node's own event loop. Node exports
//! libuv's symbols, so declaring them is enough; the handle is sized at run time with
//! `uv_handle_size` rather than mirroring libuv's struct layout here.

use std::ffi::{c_int, c_void};

use napi::sys;

/// `UV_POLL` in libuv's `uv_handle_type` (stable ABI since libuv 1.0).
const UV_POLL: c_int = 8;
/// `UV_READABLE` in `uv_poll_event`.
pub const UV_READABLE: c_int = 1;

pub type PollCb = unsafe extern "C" fn(handle: *mut c_void, status: c_int, events: c_int);
type CloseCb = unsafe extern "C" fn(handle: *mut c_void);

extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_poll_init(event_loop: *mut sys::uv_loop_s, handle: *mut c_void, fd: c_int) -> c_int;
    fn uv_poll_start(handle: *mut c_void, events: c_int, cb: PollCb) -> c_int;
    fn uv_poll_stop(handle: *mut c_void) -> c_int;
    fn uv_close(handle: *mut c_void, cb: CloseCb);
    fn uv_handle_set_data(handle: *mut c_void, data: *mut c_void);
    fn uv_handle_get_data(handle: *const c_void) -> *mut c_void;
}

/// A `uv_poll_t` on the heap, watching one fd for readability.
pub struct Poll {
    handle: *mut c_void,
}

fn layout() -> std::alloc::Layout {
    // SAFETY: uv_handle_size is a pure lookup in libuv's size table.
    let size = unsafe { uv_handle_size(UV_POLL) };
    std::alloc::Layout::from_size_align(size.max(8), 16).expect("uv_poll_t size is small")
}

unsafe extern "C" fn free_handle(handle: *mut c_void) {
    // SAFETY: libuv calls this once, after the handle is closed; it was allocated with `layout()`.
    unsafe { std::alloc::dealloc(handle.cast(), layout()) };
}

impl Poll {
    /// Starts watching `fd` on `env`'s loop; `cb` gets `data` back through [`Poll::data`].
    pub fn start(
        env: sys::napi_env,
        fd: c_int,
        data: *mut c_void,
        cb: PollCb,
    ) -> Result<Poll, String> {
        let mut event_loop: *mut sys::uv_loop_s = std::ptr::null_mut();
        // SAFETY: env is the live env of the calling JS thread; the out pointer is valid.
        let status = unsafe { sys::napi_get_uv_event_loop(env, &mut event_loop) };
        if status != sys::Status::napi_ok || event_loop.is_null() {
            return Err("napi_get_uv_event_loop failed".into());
        }
        // SAFETY: a fresh allocation of libuv's own size for a poll handle.
        let handle = unsafe { std::alloc::alloc_zeroed(layout()) }.cast::<c_void>();
        if handle.is_null() {
            return Err("out of memory for the poll handle".into());
        }
        // SAFETY: handle is sized for uv_poll_t; the loop is Node's, alive as long as the env.
        let rc = unsafe { uv_poll_init(event_loop, handle, fd) };
        if rc != 0 {
            // SAFETY: never initialised, so never registered with libuv: plain free.
            unsafe { std::alloc::dealloc(handle.cast(), layout()) };
            return Err(format!("uv_poll_init failed ({rc})"));
        }
        // SAFETY: handle is an initialised uv_poll_t.
        unsafe { uv_handle_set_data(handle, data) };
        // SAFETY: as above; cb is a valid extern "C" fn.
        let rc = unsafe { uv_poll_start(handle, UV_READABLE, cb) };
        let poll = Poll { handle };
        if rc != 0 {
            drop(poll);
            return Err(format!("uv_poll_start failed ({rc})"));
        }
        Ok(poll)
    }

    /// The data pointer given to `start`, from inside the callback.
    ///
    /// # Safety
    /// `handle` must be the handle libuv passed to the poll callback.
    pub unsafe fn data(handle: *mut c_void) -> *mut c_void {
        // SAFETY: per the contract, handle is a live uv_poll_t.
        unsafe { uv_handle_get_data(handle) }
    }
}

impl Drop for Poll {
    fn drop(&mut self) {
        // SAFETY: the handle is initialised and not closed yet; libuv frees nothing itself, our
        // close callback deallocates once libuv is done with it.
        unsafe {
            uv_poll_stop(self.handle);
            uv_close(self.handle, free_handle);
        }
    }
}
