//! One connection per protocol behind one small type: `connect` opens it (QUIC + HTTP/3, or TCP +
//! TLS + HTTP/2 or HTTP/1.1) and returns one request handle per concurrent stream; `Handle::get`
//! sends a GET and reads the whole body, counting its bytes without keeping them.

use std::error::Error;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{Buf, Bytes};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::tls::client_config;

pub type BoxError = Box<dyn Error + Send + Sync>;

/// Per-stream and per-connection receive windows, the same for HTTP/3 and HTTP/2, and large
/// enough that the client's flow control never paces a 10 MiB transfer: the server's sending and
/// congestion control do (HTTP/1.1's TCP window is the kernel's, autotuned).
const STREAM_WINDOW: u32 = 16 << 20;
const CONNECTION_WINDOW: u32 = 64 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Proto {
    H3,
    H2,
    H1,
}

impl Proto {
    pub fn parse(s: &str) -> Option<Proto> {
        match s {
            "h3" => Some(Proto::H3),
            "h2" => Some(Proto::H2),
            "h1" => Some(Proto::H1),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Proto::H3 => "h3",
            Proto::H2 => "h2",
            Proto::H1 => "h1",
        }
    }

    fn alpn(self) -> &'static [u8] {
        match self {
            Proto::H3 => b"h3",
            Proto::H2 => b"h2",
            Proto::H1 => b"http/1.1",
        }
    }
}

/// Where requests go: the socket address, the TLS server name (SNI) and the `:authority`.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub server_name: String,
    pub authority: String,
}

/// A request handle on an open connection; HTTP/2 and HTTP/3 give one per concurrent stream.
pub enum Handle {
    H3(h3::client::SendRequest<h3_quinn::OpenStreams, Bytes>),
    H2(h2::client::SendRequest<Bytes>),
    H1(http1::SendRequest<Empty<Bytes>>),
}

/// What keeps a connection open until `close`.
pub enum Connection {
    Quic(quinn::Endpoint, quinn::Connection),
    Tcp(tokio::task::JoinHandle<()>),
}

/// A response's status and body length.
pub struct Fetched {
    pub status: u16,
    pub bytes: u64,
}

/// Opens one connection speaking `proto` and returns `streams` handles on it.
pub async fn connect(
    proto: Proto,
    target: &Target,
    streams: usize,
) -> Result<(Connection, Vec<Handle>), BoxError> {
    let tls = client_config(proto.alpn())?;
    if proto == Proto::H3 {
        return connect_quic(tls, target, streams).await;
    }
    let tcp = TcpStream::connect(target.addr).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(target.server_name.clone())?;
    let stream = TlsConnector::from(Arc::new(tls)).connect(name, tcp).await?;
    let negotiated = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    if negotiated.as_deref() != Some(proto.alpn()) {
        return Err(format!(
            "the server did not negotiate ALPN {} (got {:?})",
            String::from_utf8_lossy(proto.alpn()),
            negotiated.map(|a| String::from_utf8_lossy(&a).into_owned())
        )
        .into());
    }
    if proto == Proto::H2 {
        // The h2 crate itself (hyper's HTTP/2 underneath): hyper's client adds a dispatch task
        // and channel per request, which cost the one-thread client more than the server spends.
        let (send, conn) = h2::client::Builder::new()
            .initial_window_size(STREAM_WINDOW)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake::<_, Bytes>(stream)
            .await?;
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        let handles = (0..streams).map(|_| Handle::H2(send.clone())).collect();
        return Ok((Connection::Tcp(task), handles));
    }
    let io = TokioIo::new(stream);
    if streams != 1 {
        return Err("HTTP/1.1 has one request in flight per connection: use --streams 1".into());
    }
    let (send, conn) = http1::handshake(io).await?;
    let task = tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok((Connection::Tcp(task), vec![Handle::H1(send)]))
}

async fn connect_quic(
    tls: rustls::ClientConfig,
    target: &Target,
    streams: usize,
) -> Result<(Connection, Vec<Handle>), BoxError> {
    let local: SocketAddr = if target.addr.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    // One UDP socket per connection, as each TCP connection has its own 4-tuple.
    let endpoint = quinn::Endpoint::client(local)?;
    let mut transport = quinn::TransportConfig::default();
    transport.stream_receive_window(STREAM_WINDOW.into());
    transport.receive_window(CONNECTION_WINDOW.into());
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)?;
    let mut config = quinn::ClientConfig::new(Arc::new(crypto));
    config.transport_config(Arc::new(transport));
    let quic = endpoint
        .connect_with(config, target.addr, &target.server_name)?
        .await?;
    let (mut driver, send) = h3::client::new(h3_quinn::Connection::new(quic.clone())).await?;
    tokio::spawn(async move {
        let _ = poll_fn(|cx| driver.poll_close(cx)).await;
    });
    let handles = (0..streams).map(|_| Handle::H3(send.clone())).collect();
    Ok((Connection::Quic(endpoint, quic), handles))
}

impl Handle {
    /// GET `path`; the whole body is read.
    pub async fn get(&mut self, target: &Target, path: &str) -> Result<Fetched, BoxError> {
        match self {
            Handle::H3(send) => {
                let uri = format!("https://{}{}", target.authority, path);
                let mut stream = send.send_request(http::Request::get(uri).body(())?).await?;
                stream.finish().await?;
                let status = stream.recv_response().await?.status().as_u16();
                let mut bytes = 0;
                while let Some(chunk) = stream.recv_data().await? {
                    bytes += chunk.remaining() as u64;
                }
                Ok(Fetched { status, bytes })
            }
            Handle::H2(send) => {
                let uri = format!("https://{}{}", target.authority, path);
                poll_fn(|cx| send.poll_ready(cx)).await?;
                let (response, _) = send.send_request(http::Request::get(uri).body(())?, true)?;
                let (head, mut body) = response.await?.into_parts();
                let mut bytes = 0;
                while let Some(chunk) = body.data().await {
                    let chunk = chunk?;
                    bytes += chunk.len() as u64;
                    // Give the window back as it is read, as any HTTP/2 client must.
                    body.flow_control().release_capacity(chunk.len())?;
                }
                Ok(Fetched {
                    status: head.status.as_u16(),
                    bytes,
                })
            }
            Handle::H1(send) => {
                send.ready().await?;
                let request = http::Request::get(path)
                    .header(http::header::HOST, &target.authority)
                    .body(Empty::new())?;
                read_body(send.send_request(request).await?).await
            }
        }
    }
}

async fn read_body(response: http::Response<hyper::body::Incoming>) -> Result<Fetched, BoxError> {
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = 0;
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame?.data_ref() {
            bytes += data.len() as u64;
        }
    }
    Ok(Fetched { status, bytes })
}

impl Connection {
    /// Closes the connection (CONNECTION_CLOSE for QUIC, waiting briefly for it to be sent).
    pub async fn close(self) {
        match self {
            Connection::Quic(endpoint, quic) => {
                quic.close(0u32.into(), b"done");
                let _ =
                    tokio::time::timeout(std::time::Duration::from_secs(1), endpoint.wait_idle())
                        .await;
            }
            Connection::Tcp(task) => task.abort(),
        }
    }
}
