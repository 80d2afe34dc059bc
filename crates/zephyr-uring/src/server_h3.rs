//! The listener's UDP socket on the same ring, for HTTP/3: a few `recvmsg` operations kept
//! armed (each its own buffer, big enough for a GRO batch), up to [`SEND_OPS`] `sendmsg`
//! operations in flight (a GSO batch each, `UDP_SEGMENT`, where the kernel offers it), and one
//! `IORING_OP_TIMEOUT` armed at the endpoint's next deadline. The protocol is
//! [`H3Session`](crate::h3_session::H3Session)'s; this file only moves datagrams and time.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Instant;

use io_uring::{opcode, types};

use super::{push_to, token, untoken, Server, NO_CONN};
use crate::conn::{ConnId, EventSink};
use crate::h3_session::H3Session;

pub(super) const UDP_RECV: u8 = 12;
pub(super) const UDP_SEND: u8 = 13;
pub(super) const H3_TIMER: u8 = 14;
pub(super) const H3_TIMER_REMOVE: u8 = 15;

/// `recvmsg` operations kept armed: datagrams arriving together are taken in one batch.
const RECV_OPS: usize = 16;
/// Room for one GRO batch (the kernel coalesces at most 64 KiB).
const RECV_BUF: usize = 65_535;
/// `sendmsg` operations in flight at most.
const SEND_OPS: usize = 8;
/// Datagrams in one GSO send (the kernel takes at most 64 segments).
const GSO_SEGMENTS: usize = 16;
/// Bytes of one GSO send at most (the kernel's limit is one 64 KiB UDP payload).
const GSO_BYTES: usize = 63 * 1024;
/// Control-message room: one `UDP_GRO`/`UDP_SEGMENT` value.
const CONTROL: usize = 64;

/// One `recvmsg` or `sendmsg`: its buffer, address and header stay at one place while the kernel
/// holds the operation (the ops live in vectors made at full size once, which never grow).
struct MsgOp {
    buf: Vec<u8>,
    name: libc::sockaddr_storage,
    iov: libc::iovec,
    control: [u8; CONTROL],
    msg: libc::msghdr,
}

impl MsgOp {
    fn new(capacity: usize) -> MsgOp {
        MsgOp {
            buf: Vec::with_capacity(capacity),
            // SAFETY: plain C structs for which all-zero is a valid value.
            name: unsafe { zeroed() },
            iov: libc::iovec {
                iov_base: std::ptr::null_mut(),
                iov_len: 0,
            },
            control: [0; CONTROL],
            // SAFETY: as above.
            msg: unsafe { zeroed() },
        }
    }

    /// Points the header at this op's own fields (for a receive into the whole buffer).
    fn prepare_recv(&mut self) {
        self.buf.resize(RECV_BUF, 0);
        self.iov.iov_base = self.buf.as_mut_ptr().cast();
        self.iov.iov_len = self.buf.len();
        self.msg.msg_name = (&mut self.name as *mut libc::sockaddr_storage).cast();
        self.msg.msg_namelen = size_of::<libc::sockaddr_storage>() as u32;
        self.msg.msg_iov = &mut self.iov;
        self.msg.msg_iovlen = 1;
        self.msg.msg_control = self.control.as_mut_ptr().cast();
        self.msg.msg_controllen = CONTROL;
        self.msg.msg_flags = 0;
    }

    /// Points the header at `buf` for `to`, with `UDP_SEGMENT` when `segment` is given.
    fn prepare_send(&mut self, to: SocketAddr, segment: Option<u16>) {
        self.msg.msg_namelen = write_sockaddr(&mut self.name, to);
        self.iov.iov_base = self.buf.as_mut_ptr().cast();
        self.iov.iov_len = self.buf.len();
        self.msg.msg_name = (&mut self.name as *mut libc::sockaddr_storage).cast();
        self.msg.msg_iov = &mut self.iov;
        self.msg.msg_iovlen = 1;
        self.msg.msg_flags = 0;
        match segment {
            Some(size) => {
                self.control = [0; CONTROL];
                self.msg.msg_control = self.control.as_mut_ptr().cast();
                // SAFETY: CMSG_SPACE is arithmetic.
                self.msg.msg_controllen =
                    unsafe { libc::CMSG_SPACE(size_of::<u16>() as u32) } as usize;
                // SAFETY: the control buffer has room for one u16 message (CONTROL >= its space).
                unsafe {
                    let cmsg = libc::CMSG_FIRSTHDR(&self.msg);
                    (*cmsg).cmsg_level = libc::SOL_UDP;
                    (*cmsg).cmsg_type = libc::UDP_SEGMENT;
                    (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<u16>() as u32) as usize;
                    std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<u16>(), size);
                }
            }
            None => {
                self.msg.msg_control = std::ptr::null_mut();
                self.msg.msg_controllen = 0;
            }
        }
    }

    /// After a receive: the GRO segment size, if the kernel coalesced datagrams.
    fn gro_segment(&self) -> Option<usize> {
        // SAFETY: the kernel filled `msg_controllen` bytes of our control buffer with well-formed
        // messages; the CMSG macros walk exactly those.
        unsafe {
            let mut cmsg = libc::CMSG_FIRSTHDR(&self.msg);
            while !cmsg.is_null() {
                if (*cmsg).cmsg_level == libc::SOL_UDP && (*cmsg).cmsg_type == libc::UDP_GRO {
                    let size = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>());
                    return (size > 0).then_some(size as usize);
                }
                cmsg = libc::CMSG_NXTHDR(&self.msg, cmsg);
            }
        }
        None
    }
}

fn write_sockaddr(out: &mut libc::sockaddr_storage, addr: SocketAddr) -> u32 {
    // SAFETY: sockaddr_storage is large and aligned enough for either address type.
    unsafe {
        match addr {
            SocketAddr::V4(a) => {
                let sin = (out as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in>();
                *sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as u16,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from(*a.ip()).to_be(),
                    },
                    sin_zero: [0; 8],
                };
                size_of::<libc::sockaddr_in>() as u32
            }
            SocketAddr::V6(a) => {
                let sin6 = (out as *mut libc::sockaddr_storage).cast::<libc::sockaddr_in6>();
                *sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as u16,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                size_of::<libc::sockaddr_in6>() as u32
            }
        }
    }
}

fn read_sockaddr(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    // SAFETY: the family field says which struct the kernel wrote.
    unsafe {
        match name.ss_family as i32 {
            libc::AF_INET => {
                let sin = &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>();
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                let sin6 = &*(name as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>();
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

fn set_int(fd: RawFd, level: i32, name: i32, value: i32) -> bool {
    // SAFETY: plain setsockopt with a pointer to a live int.
    unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            size_of::<i32>() as u32,
        ) == 0
    }
}

/// Opens the UDP socket beside the TCP listener: same address, same port number.
fn open_udp(addr: SocketAddr, reuse_port: bool) -> io::Result<OwnedFd> {
    let family = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain syscall; the descriptor is owned right below.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_DGRAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: just created, ours alone.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    if reuse_port && !set_int(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT, 1) {
        return Err(io::Error::last_os_error());
    }
    // Bursts of a whole flight arrive at once: a larger queue drops fewer (capped by rmem_max).
    set_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 4 << 20);
    set_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, 4 << 20);
    if addr.is_ipv6() {
        // As the TCP listener: `::` serves IPv4-mapped peers too.
        set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, 0);
    }
    let mut name: libc::sockaddr_storage = unsafe { zeroed() };
    let len = write_sockaddr(&mut name, addr);
    // SAFETY: `name` holds a valid address of `len` bytes.
    if unsafe { libc::bind(fd, (&name as *const libc::sockaddr_storage).cast(), len) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sock)
}

/// Whether this kernel takes `UDP_SEGMENT` (GSO), asked once of a throwaway socket.
fn gso_supported() -> bool {
    // SAFETY: plain syscalls on a socket made and closed here.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return false;
        }
        let ok = set_int(fd, libc::SOL_UDP, libc::UDP_SEGMENT, 1200);
        libc::close(fd);
        ok
    }
}

/// The UDP side of a listener serving HTTP/3.
pub(super) struct H3Udp {
    sock: OwnedFd,
    pub(super) session: H3Session,
    recv: Vec<MsgOp>,
    /// Receives armed (for shutdown: the socket is done when none is).
    recv_armed: usize,
    send: Vec<MsgOp>,
    free_sends: Vec<usize>,
    /// Datagrams per `sendmsg` (1 without GSO).
    gso_segments: usize,
    /// The timeout armed, its deadline and number (its token's generation).
    timer_at: Option<Instant>,
    timer_seq: u32,
    /// Each armed timeout's timespec, alive until its completion.
    timespecs: Vec<(u32, Box<types::Timespec>)>,
    /// Datagrams received and sent, and the `sendmsg` operations that sent them (GSO batches
    /// several datagrams into one).
    pub(super) datagrams_in: u64,
    pub(super) datagrams_out: u64,
    pub(super) send_calls: u64,
}

/// What the UDP socket moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UdpCounters {
    pub datagrams_received: u64,
    pub datagrams_sent: u64,
    /// `sendmsg` operations (fewer than datagrams where GSO batches them).
    pub send_calls: u64,
    /// Datagrams one `sendmsg` may carry (1 without GSO).
    pub gso_segments: u64,
}

impl H3Udp {
    /// Binds the UDP socket at `addr` (the TCP listener's address and port).
    /// `max_datagram` is the largest datagram QUIC may send (its `max_udp_payload_size`): a GSO
    /// batch holds as many as fit the kernel's 64 KiB.
    pub(super) fn bind(
        addr: SocketAddr,
        reuse_port: bool,
        session: H3Session,
        max_datagram: usize,
    ) -> io::Result<H3Udp> {
        let sock = open_udp(addr, reuse_port)?;
        // GRO: one receive may carry a whole burst from one peer (split before the endpoint).
        set_int(sock.as_raw_fd(), libc::SOL_UDP, libc::UDP_GRO, 1);
        Ok(H3Udp {
            sock,
            session,
            recv: (0..RECV_OPS).map(|_| MsgOp::new(RECV_BUF)).collect(),
            recv_armed: 0,
            send: (0..SEND_OPS).map(|_| MsgOp::new(64 * 1024)).collect(),
            free_sends: (0..SEND_OPS).rev().collect(),
            gso_segments: if gso_supported() {
                (GSO_BYTES / max_datagram.max(1)).clamp(1, GSO_SEGMENTS)
            } else {
                1
            },
            timer_at: None,
            timer_seq: 0,
            timespecs: Vec::new(),
            datagrams_in: 0,
            datagrams_out: 0,
            send_calls: 0,
        })
    }
}

fn op_token(kind: u8, i: usize) -> u64 {
    token(
        kind,
        ConnId {
            index: i as u32,
            gen: 0,
        },
    )
}

impl Server {
    /// Arms every receive (at bind).
    pub(super) fn h3_start(&mut self) {
        for i in 0..RECV_OPS {
            self.h3_arm_recv(i);
        }
    }

    fn h3_arm_recv(&mut self, i: usize) {
        let Some(h3) = self.h3.as_mut() else {
            return;
        };
        let fd = h3.sock.as_raw_fd();
        let op = &mut h3.recv[i];
        op.prepare_recv();
        let sqe = opcode::RecvMsg::new(types::Fd(fd), &mut op.msg)
            .build()
            .user_data(op_token(UDP_RECV, i));
        h3.recv_armed += 1;
        self.push(sqe);
    }

    /// A completion of one of the UDP operations or the HTTP/3 timer.
    pub(super) fn on_h3_completion(&mut self, data: u64, res: i32) {
        let (kind, id) = untoken(data);
        let Some(h3) = self.h3.as_mut() else {
            return;
        };
        match kind {
            UDP_RECV => {
                let i = id.index as usize;
                h3.recv_armed -= 1;
                if res > 0 {
                    // Only a receive reads the clock: send and timer completions happen as
                    // often and need none.
                    let now = Instant::now();
                    let op = &h3.recv[i];
                    let len = res as usize;
                    let truncated = op.msg.msg_flags & libc::MSG_TRUNC != 0;
                    if let (Some(peer), false) = (read_sockaddr(&op.name), truncated) {
                        let segment = op.gro_segment().unwrap_or(len).max(1);
                        for datagram in op.buf[..len].chunks(segment) {
                            h3.datagrams_in += 1;
                            h3.session.handle_datagram(now, peer, datagram);
                        }
                    }
                }
                // A socket that is gone (or cancelled) is not read again; transient errors (an
                // ICMP error queued on the socket, memory pressure) are.
                let gone = [libc::ECANCELED, libc::EBADF, libc::ENOTSOCK, libc::EINVAL];
                if !gone.contains(&-res) && !self.h3_closed() {
                    self.h3_arm_recv(i);
                }
            }
            UDP_SEND => {
                let i = id.index as usize;
                if res == -libc::EAGAIN || res == -libc::ENOBUFS {
                    // The socket's queue is full: the datagram is kept and sent again (io_uring
                    // waits for room itself on the retry).
                    let fd = h3.sock.as_raw_fd();
                    let sqe = opcode::SendMsg::new(types::Fd(fd), &h3.send[i].msg)
                        .build()
                        .user_data(op_token(UDP_SEND, i));
                    self.push(sqe);
                    return;
                }
                if res == -libc::EIO && h3.send[i].msg.msg_controllen != 0 {
                    // The device refused segmentation offload: plain datagrams from now on;
                    // the batch is lost and QUIC's loss recovery resends it.
                    h3.gso_segments = 1;
                }
                h3.free_sends.push(i);
            }
            H3_TIMER => {
                h3.timespecs.retain(|(seq, _)| *seq != id.gen);
                if id.gen == h3.timer_seq & 0xff_ffff {
                    h3.timer_at = None;
                }
            }
            _ => {}
        }
    }

    /// Whether the UDP socket is finished with (shutdown, every connection gone).
    fn h3_closed(&self) -> bool {
        self.shutting_down && self.h3.as_ref().map_or(true, |h3| h3.session.is_idle())
    }

    /// Events to the sink, then timers, transmits and the timeout (after a batch).
    pub(super) fn h3_process(&mut self, sink: &mut dyn EventSink, date: &[u8]) {
        let now_ms = self.now;
        if let Some(h3) = self.h3.as_mut() {
            h3.session.handle_timeout(Instant::now());
            h3.session.deliver(sink, now_ms, date);
        }
        self.h3_io();
    }

    /// What the UDP socket moved, when HTTP/3 is served.
    pub fn h3_udp_counters(&self) -> Option<UdpCounters> {
        self.h3.as_ref().map(|h3| UdpCounters {
            datagrams_received: h3.datagrams_in,
            datagrams_sent: h3.datagrams_out,
            send_calls: h3.send_calls,
            gso_segments: h3.gso_segments as u64,
        })
    }

    /// Whether HTTP/3 events wait for a sink.
    pub(super) fn h3_has_news(&self) -> bool {
        self.h3.as_ref().is_some_and(|h3| h3.session.has_news())
    }

    /// Sends what the endpoint has (while send operations are free) and arms the timeout.
    pub(super) fn h3_io(&mut self) {
        // Without HTTP/3 the ring loop's call costs one branch (no clock read).
        let Some(h3) = self.h3.as_mut() else {
            return;
        };
        let ring = &mut self.ring;
        let now = Instant::now();
        h3.session.handle_timeout(now);
        let fd = h3.sock.as_raw_fd();
        while let Some(&i) = h3.free_sends.last() {
            let op = &mut h3.send[i];
            let mut buf = std::mem::take(&mut op.buf);
            let Some(t) = h3.session.poll_transmit(now, h3.gso_segments, &mut buf) else {
                op.buf = buf;
                break;
            };
            buf.truncate(t.size);
            op.buf = buf;
            let segment = t
                .segment_size
                .filter(|&s| s < t.size)
                .and_then(|s| u16::try_from(s).ok());
            h3.datagrams_out += match segment {
                Some(s) => t.size.div_ceil(s as usize) as u64,
                None => 1,
            };
            op.prepare_send(t.destination, segment);
            h3.send_calls += 1;
            h3.free_sends.pop();
            push_to(
                ring,
                opcode::SendMsg::new(types::Fd(fd), &op.msg)
                    .build()
                    .user_data(op_token(UDP_SEND, i)),
            );
        }
        // One timeout at the endpoint's next deadline; an earlier one replaces the armed one.
        if let Some(at) = h3.session.poll_timeout() {
            if h3.timer_at.map_or(true, |armed| at < armed) {
                if h3.timer_at.is_some() {
                    let old = h3.timer_seq & 0xff_ffff;
                    push_to(
                        ring,
                        opcode::TimeoutRemove::new(token(H3_TIMER, ConnId { index: 0, gen: old }))
                            .build()
                            .user_data(token(H3_TIMER_REMOVE, NO_CONN)),
                    );
                }
                h3.timer_seq = h3.timer_seq.wrapping_add(1);
                let seq = h3.timer_seq & 0xff_ffff;
                let wait = at.saturating_duration_since(now);
                let ts = Box::new(
                    types::Timespec::new()
                        .sec(wait.as_secs())
                        .nsec(wait.subsec_nanos()),
                );
                let sqe = opcode::Timeout::new(&*ts)
                    .build()
                    .user_data(token(H3_TIMER, ConnId { index: 0, gen: seq }));
                h3.timespecs.push((seq, ts));
                h3.timer_at = Some(at);
                push_to(ring, sqe);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_round_trip_both_families() {
        for addr in ["127.0.0.1:4433", "[::1]:443", "[fe80::1%2]:8443"] {
            let addr: SocketAddr = addr.parse().unwrap();
            // SAFETY: all-zero is a valid sockaddr_storage.
            let mut name: libc::sockaddr_storage = unsafe { zeroed() };
            write_sockaddr(&mut name, addr);
            assert_eq!(read_sockaddr(&name), Some(addr));
        }
        // SAFETY: as above; family 0 (AF_UNSPEC) is no address.
        let unknown: libc::sockaddr_storage = unsafe { zeroed() };
        assert_eq!(read_sockaddr(&unknown), None);
    }

    #[test]
    fn a_gso_send_carries_its_segment_size_and_a_plain_one_no_control() {
        let mut op = MsgOp::new(64);
        op.buf.extend_from_slice(&[1; 3000]);
        op.prepare_send("127.0.0.1:9".parse().unwrap(), Some(1200));
        assert_eq!(op.iov.iov_len, 3000);
        // SAFETY: prepare_send wrote one well-formed control message.
        unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&op.msg);
            assert!(!cmsg.is_null());
            assert_eq!(
                ((*cmsg).cmsg_level, (*cmsg).cmsg_type),
                (libc::SOL_UDP, libc::UDP_SEGMENT)
            );
            assert_eq!(
                std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<u16>()),
                1200
            );
        }
        op.prepare_send("127.0.0.1:9".parse().unwrap(), None);
        assert_eq!(op.msg.msg_controllen, 0);
        assert!(op.msg.msg_control.is_null());
    }

    #[test]
    fn a_gro_receive_names_its_segment_size() {
        let mut op = MsgOp::new(RECV_BUF);
        op.prepare_recv();
        assert_eq!(op.gro_segment(), None, "no control message: no coalescing");
        // What the kernel writes after a coalesced receive: one UDP_GRO message, an int.
        // SAFETY: the control buffer has room for one int message.
        unsafe {
            op.msg.msg_controllen = libc::CMSG_SPACE(size_of::<i32>() as u32) as usize;
            let cmsg = libc::CMSG_FIRSTHDR(&op.msg);
            (*cmsg).cmsg_level = libc::SOL_UDP;
            (*cmsg).cmsg_type = libc::UDP_GRO;
            (*cmsg).cmsg_len = libc::CMSG_LEN(size_of::<i32>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>(), 1350);
        }
        assert_eq!(op.gro_segment(), Some(1350));
    }
}
