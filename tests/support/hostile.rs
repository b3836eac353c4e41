//! Misbehaving chart servers for the untrusted-input tests, on 127.0.0.1: one that accepts
//! connections and never answers, one that streams an endless `index.yaml`, and one that
//! redirects in a loop or to a metadata address. Each stops when dropped.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// Accepts every connection and keeps it open without a byte of answer.
pub struct HangingServer {
    pub url: String,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl HangingServer {
    pub fn start() -> HangingServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("local address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut held: Vec<TcpStream> = Vec::new();
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(c) = conn {
                        held.push(c);
                    }
                }
            })
        };
        HangingServer {
            url: format!("http://127.0.0.1:{port}/"),
            stop,
            port,
            thread: Some(thread),
        }
    }
}

impl Drop for HangingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// An endless YAML comment, produced a line at a time (never held in memory), counting what
/// it hands out.
struct EndlessYaml {
    left: u64,
    served: Arc<AtomicU64>,
}

impl Read for EndlessYaml {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = if i % 64 == 63 { b'\n' } else { b'#' };
        }
        self.left -= n as u64;
        self.served.fetch_add(n as u64, Ordering::SeqCst);
        Ok(n)
    }
}

/// What [`HostileServer`] does with each request path.
///
/// `/huge/index.yaml`: a 2 GiB index with its Content-Length; `/stream/index.yaml`: the same
/// without a length (chunked); `/loop/…`: redirects to itself forever; `/metadata/…`: redirects
/// to the cloud metadata address.
pub struct HostileServer {
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
    served: Arc<AtomicU64>,
    requests: Arc<AtomicUsize>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

/// The size of the fake index.yaml.
pub const HUGE: u64 = 2 << 30;

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

impl HostileServer {
    pub fn start() -> HostileServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let served = Arc::new(AtomicU64::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (server, served, requests) = (server.clone(), served.clone(), requests.clone());
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    requests.fetch_add(1, Ordering::SeqCst);
                    let path = request.url().to_string();
                    let redirect = |to: &str| {
                        tiny_http::Response::empty(302).with_header(header("Location", to))
                    };
                    let body = |length| {
                        let reader = EndlessYaml {
                            left: HUGE,
                            served: served.clone(),
                        };
                        tiny_http::Response::new(200.into(), vec![], reader, length, None)
                    };
                    // One request at a time: a client that stops reading ends the response.
                    let _ = match path.as_str() {
                        "/huge/index.yaml" => request.respond(
                            // A length, not chunks (tiny_http chunks big bodies by default).
                            body(Some(HUGE as usize)).with_chunked_threshold(usize::MAX),
                        ),
                        "/stream/index.yaml" => request.respond(body(None)),
                        p if p.starts_with("/loop/") => request.respond(redirect(p)),
                        p if p.starts_with("/metadata/") => {
                            request.respond(redirect("http://169.254.169.254/latest/meta-data/"))
                        }
                        _ => request.respond(tiny_http::Response::empty(404)),
                    };
                }
            })
        };
        HostileServer {
            url: format!("http://127.0.0.1:{port}/"),
            served,
            requests,
            server,
            thread: Some(thread),
        }
    }

    /// Body bytes handed to the network so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
