//! WebSocket messages received straight into JS memory.
//!
//! The core asks for a store when a message of known length starts ([`zephyr_uring::ws`]);
//! stores are carved out of Node Buffers (`napi_create_buffer`: V8's allocator, uninitialized,
//! counted by the GC like any Buffer), 64 KiB at a time as Node's own socket reads are, and the
//! session unmasks each message into its store as it arrives. JS gets a view of each message:
//! no copy into the event buffer nor out of it. A view is the application's to keep: a store's
//! bytes are never written again once delivered, and an arena is never reused (a fresh one is
//! taken when it is full), so a kept message only keeps its arena alive, as Node's read buffers do.

use std::any::Any;
use std::ffi::c_void;
use std::rc::Rc;

use napi::sys;
use zephyr_uring::ws::MessageStore;

/// Bytes of one arena; a message over half of it gets a Buffer of its own.
const ARENA_BYTES: usize = 64 * 1024;

/// A Node Buffer held by a strong reference: its memory stays in place while this lives.
struct Arena {
    env: sys::napi_env,
    reference: sys::napi_ref,
    ptr: *mut u8,
    cap: usize,
}

impl Arena {
    fn new(env: sys::napi_env, cap: usize) -> Option<Arena> {
        let mut data: *mut c_void = std::ptr::null_mut();
        let mut value = std::ptr::null_mut();
        let mut reference = std::ptr::null_mut();
        // SAFETY: called on the JS thread inside the handle scope `pump` opens around
        // `Server::process` (the only caller of the placer); out pointers are valid.
        unsafe {
            if sys::napi_create_buffer(env, cap, &mut data, &mut value) != sys::Status::napi_ok
                || data.is_null()
                || sys::napi_create_reference(env, value, 1, &mut reference) != sys::Status::napi_ok
            {
                return None;
            }
        }
        Some(Arena {
            env,
            reference,
            ptr: data.cast(),
            cap,
        })
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: ours, deleted once, on the JS thread (stores live in the server and the event
        // writer, both used and dropped only there).
        unsafe { sys::napi_delete_reference(self.env, self.reference) };
    }
}

/// One message's bytes inside an arena.
pub struct JsStore {
    arena: Rc<Arena>,
    offset: usize,
    len: usize,
}

impl JsStore {
    /// The arena's Buffer, for the batch handed to JS.
    ///
    /// # Safety
    /// On the JS thread, inside a handle scope.
    pub unsafe fn buffer(&self) -> sys::napi_value {
        let mut value = std::ptr::null_mut();
        // SAFETY: the reference is alive (we hold the arena); see the function's contract.
        unsafe { sys::napi_get_reference_value(self.arena.env, self.arena.reference, &mut value) };
        value
    }
}

impl MessageStore for JsStore {
    fn bytes(&self) -> &[u8] {
        // SAFETY: offset + len is within the arena (see `ArenaPlacer::place`), whose memory the
        // reference keeps alive and in place; JS reads it only after the message is delivered,
        // when the session no longer writes it.
        unsafe { std::slice::from_raw_parts(self.arena.ptr.add(self.offset), self.len) }
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above; no two stores overlap (the placer hands each range out once) and JS
        // has no view of this range until the message is delivered.
        unsafe { std::slice::from_raw_parts_mut(self.arena.ptr.add(self.offset), self.len) }
    }

    fn offset(&self) -> usize {
        self.offset
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Hands out stores from the current arena, taking a fresh one when it is full.
pub struct ArenaPlacer {
    env: sys::napi_env,
    current: Option<Rc<Arena>>,
    used: usize,
}

impl ArenaPlacer {
    pub fn new(env: sys::napi_env) -> Self {
        ArenaPlacer {
            env,
            current: None,
            used: 0,
        }
    }

    /// A store of `len` bytes; `None` when Node could not allocate it (the message is then
    /// copied through the event buffer).
    pub fn place(&mut self, len: usize) -> Option<Box<dyn MessageStore>> {
        if len > ARENA_BYTES / 2 {
            let arena = Rc::new(Arena::new(self.env, len)?);
            return Some(Box::new(JsStore {
                arena,
                offset: 0,
                len,
            }));
        }
        // Word-aligned, as a fresh Buffer would be.
        let mut start = (self.used + 7) & !7;
        let arena = match &self.current {
            Some(a) if start + len <= a.cap => a.clone(),
            _ => {
                let a = Rc::new(Arena::new(self.env, ARENA_BYTES)?);
                self.current = Some(a.clone());
                start = 0;
                a
            }
        };
        self.used = start + len;
        Some(Box::new(JsStore {
            arena,
            offset: start,
            len,
        }))
    }
}
