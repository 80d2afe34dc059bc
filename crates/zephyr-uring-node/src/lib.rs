//! Thin napi wrappers over `zephyr-uring`. Logic belongs in the core crate; this file only
//! converts types at the boundary.

use napi_derive::napi;

/// Result of probing the kernel for io_uring.
#[napi(object)]
pub struct IoUringSupport {
    pub supported: bool,
    /// Why io_uring cannot be used; absent when it can.
    pub reason: Option<String>,
    /// `IORING_FEAT_*` bits the kernel reported.
    pub features: u32,
}

/// Really calls `io_uring_setup` and reports whether it worked and, if not, why.
#[napi(catch_unwind)]
pub fn io_uring_supported() -> IoUringSupport {
    let support = zephyr_uring::probe::io_uring_supported();
    IoUringSupport { supported: support.supported, reason: support.reason, features: support.features }
}
