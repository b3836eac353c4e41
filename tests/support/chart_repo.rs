//! An HTTP Helm chart repository for tests: serves `index.yaml` and `.tgz` files from a temporary
//! folder filled with the real `helm package` and `helm repo index`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;

/// A running repository; stops when dropped.
pub struct ChartRepo {
    /// Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`.
    pub url: String,
    pub dir: tempfile::TempDir,
    server: Arc<tiny_http::Server>,
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl ChartRepo {
    /// Packages each `(chart folder, optional version override)` and serves the indexed folder.
    pub fn start(charts: &[(&Path, Option<&str>)]) -> ChartRepo {
        let dir = tempfile::tempdir().expect("temp dir");
        for (chart, version) in charts {
            super::package_chart(chart, dir.path(), *version);
        }
        let status = super::helm_command(dir.path())
            .args(["repo", "index"])
            .arg(dir.path())
            .status()
            .expect("run helm repo index");
        assert!(status.success(), "helm repo index failed");
        Self::serve(dir)
    }

    /// Serves an already prepared folder.
    pub fn serve(dir: tempfile::TempDir) -> ChartRepo {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let root: PathBuf = dir.path().to_path_buf();
        let thread = {
            let server = server.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    requests.fetch_add(1, Ordering::SeqCst);
                    let rel = request.url().trim_start_matches('/').to_string();
                    let safe = !rel.is_empty() && !rel.contains("..") && !rel.contains('/');
                    let response = match std::fs::read(root.join(&rel)) {
                        Ok(data) if safe => tiny_http::Response::from_data(data),
                        _ => tiny_http::Response::from_data(b"not found".to_vec())
                            .with_status_code(404),
                    };
                    let _ = request.respond(response);
                }
            })
        };
        ChartRepo {
            url: format!("http://127.0.0.1:{port}/"),
            dir,
            server,
            requests,
            thread: Some(thread),
        }
    }

    /// How many HTTP requests were served so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for ChartRepo {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
