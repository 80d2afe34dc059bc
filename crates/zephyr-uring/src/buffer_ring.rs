//! A provided-buffer ring (`IORING_REGISTER_PBUF_RING`): one big allocation cut into equal
//! buffers that the kernel picks from for multishot receives. A buffer is handed back the moment
//! its bytes have been parsed (the unparsed tail of a request is copied into the connection), so
//! a small fixed pool serves any number of connections and no request allocates.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU16, Ordering};

use io_uring::types::BufRingEntry;
use io_uring::Submitter;

/// The pool of receive buffers shared by every connection of one ring.
pub struct BufferRing {
    /// `entries` ring slots, page-aligned as the kernel requires (mmap).
    ring: NonNull<BufRingEntry>,
    ring_bytes: usize,
    /// `entries * buf_size` bytes of buffer memory (mmap).
    bufs: NonNull<u8>,
    bufs_bytes: usize,
    entries: u16,
    buf_size: u32,
    /// Our copy of the tail; published to the kernel after each recycle.
    tail: u16,
    bgid: u16,
}

fn mmap_anon(bytes: usize) -> io::Result<NonNull<u8>> {
    // SAFETY: an anonymous private mapping touches no existing memory; the result is checked.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            bytes,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(NonNull::new(ptr.cast()).expect("mmap never returns null on success"))
}

impl BufferRing {
    /// Maps the ring and its buffers, registers them as group `bgid` and hands every buffer to
    /// the kernel. `entries` must be a power of two (kernel rule), at most 32768.
    pub fn new(
        submitter: &Submitter<'_>,
        bgid: u16,
        entries: u16,
        buf_size: u32,
    ) -> io::Result<Self> {
        if !entries.is_power_of_two() || entries > 32768 || buf_size == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "buffer ring: entries must be a power of two <= 32768",
            ));
        }
        let ring_bytes = entries as usize * std::mem::size_of::<BufRingEntry>();
        let bufs_bytes = entries as usize * buf_size as usize;
        let ring = mmap_anon(ring_bytes)?.cast::<BufRingEntry>();
        let bufs = match mmap_anon(bufs_bytes) {
            Ok(b) => b,
            Err(e) => {
                // SAFETY: `ring` was mapped above with exactly `ring_bytes` and is not shared yet.
                unsafe { libc::munmap(ring.as_ptr().cast(), ring_bytes) };
                return Err(e);
            }
        };
        let mut this = BufferRing {
            ring,
            ring_bytes,
            bufs,
            bufs_bytes,
            entries,
            buf_size,
            tail: 0,
            bgid,
        };
        // SAFETY: the ring memory is page-aligned, `entries` slots long and lives until Drop, which
        // runs only after the owning ring (and so the registration) is gone — see `Server` field order.
        unsafe { submitter.register_buf_ring_with_flags(ring.as_ptr() as u64, entries, bgid, 0)? };
        for bid in 0..entries {
            this.push(bid);
        }
        this.publish();
        Ok(this)
    }

    /// The buffer group id to name in `RecvMulti`.
    pub fn group(&self) -> u16 {
        self.bgid
    }

    /// Size of one buffer.
    pub fn buf_size(&self) -> u32 {
        self.buf_size
    }

    /// The first `len` bytes the kernel received into buffer `bid`.
    pub fn slice(&self, bid: u16, len: usize) -> &[u8] {
        assert!(
            bid < self.entries && len <= self.buf_size as usize,
            "buffer id or length out of range"
        );
        // SAFETY: bid and len were checked against the mapping; the kernel wrote these bytes before
        // posting the completion that named `bid`, and won't touch the buffer until it is recycled.
        unsafe {
            std::slice::from_raw_parts(
                self.bufs
                    .as_ptr()
                    .add(bid as usize * self.buf_size as usize),
                len,
            )
        }
    }

    /// Hands buffer `bid` back to the kernel.
    pub fn recycle(&mut self, bid: u16) {
        self.push(bid);
        self.publish();
    }

    fn push(&mut self, bid: u16) {
        assert!(bid < self.entries);
        let slot = (self.tail & (self.entries - 1)) as usize;
        // SAFETY: slot < entries, inside the ring mapping; the kernel reads only slots below the
        // published tail, and this one is at or past it, so we are its only writer.
        unsafe {
            let entry = &mut *self.ring.as_ptr().add(slot);
            entry.set_addr(
                self.bufs
                    .as_ptr()
                    .add(bid as usize * self.buf_size as usize) as u64,
            );
            entry.set_len(self.buf_size);
            entry.set_bid(bid);
        }
        self.tail = self.tail.wrapping_add(1);
    }

    fn publish(&self) {
        // SAFETY: the tail field lives inside slot 0 of our mapping (`BufRingEntry::tail`), it is a
        // naturally aligned u16 and the kernel only reads it, so an atomic release store is sound.
        unsafe {
            let tail = BufRingEntry::tail(self.ring.as_ptr()) as *const AtomicU16;
            (*tail).store(self.tail, Ordering::Release);
        }
    }
}

impl Drop for BufferRing {
    fn drop(&mut self) {
        // SAFETY: both mappings were made in `new` with these sizes; the ring that could write into
        // them has been dropped before us (declared earlier in `Server`).
        unsafe {
            libc::munmap(self.ring.as_ptr().cast(), self.ring_bytes);
            libc::munmap(self.bufs.as_ptr().cast(), self.bufs_bytes);
        }
    }
}
