//! An HTTPS Helm chart repository for tests: serves the files of a folder over TLS (rustls with
//! ring) with the 127.0.0.1 certificate of testdata/tls, signed by testdata/tls/ca.pem.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// `testdata/tls/<name>`.
pub fn tls_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/tls")
        .join(name)
}

/// A running server; stops when dropped.
pub struct HttpsRepo {
    /// e.g. `https://127.0.0.1:41234/`.
    pub url: String,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl HttpsRepo {
    /// Serves the files directly in `root` (no subfolders).
    pub fn serve(root: PathBuf) -> HttpsRepo {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(tls_file("server.pem"))
                .expect("server.pem")
                .collect::<Result<_, _>>()
                .expect("certificates");
        let key = PrivateKeyDer::from_pem_file(tls_file("server.key")).expect("server.key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .expect("server certificate");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for tcp in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(tcp) = tcp else { continue };
                    let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                        continue;
                    };
                    let mut stream = rustls::StreamOwned::new(conn, tcp);
                    // A client that rejects the certificate ends the handshake: not our error.
                    let _ = respond(&mut stream, &root);
                    stream.conn.send_close_notify();
                    let _ = stream.flush();
                }
            })
        };
        HttpsRepo {
            url: format!("https://127.0.0.1:{port}/"),
            stop,
            port,
            thread: Some(thread),
        }
    }
}

/// Reads one request's head and answers with the file it names (HTTP/1.1, then closes).
fn respond<S: std::io::Read + Write>(stream: S, root: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let rel = path.trim_start_matches('/');
    let found = (!rel.is_empty() && !rel.contains('/') && !rel.contains(".."))
        .then(|| std::fs::read(root.join(rel)).ok())
        .flatten();
    let (status, body) = match found {
        Some(data) => ("200 OK", data),
        None => ("404 Not Found", b"not found".to_vec()),
    };
    let stream = reader.get_mut();
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    stream.flush()
}

impl Drop for HttpsRepo {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
