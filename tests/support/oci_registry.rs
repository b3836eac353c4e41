//! A minimal OCI distribution registry for tests: `/v2/`, tag lists, manifests by tag or digest,
//! blobs, and optionally the anonymous Bearer-token flow (`WWW-Authenticate: Bearer realm=…`).
//! Charts are pushed through [`OciRegistry::push_chart`], which builds Helm-style manifests.

use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
pub const HELM_CHART_LAYER: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const TOKEN: &str = "anonymous-test-token";

#[derive(Default)]
struct Store {
    blobs: HashMap<String, Vec<u8>>,
    /// (repository, tag or digest) → manifest digest.
    refs: HashMap<(String, String), String>,
    tags: BTreeMap<String, Vec<String>>,
}

/// A running registry; stops when dropped.
pub struct OciRegistry {
    /// `127.0.0.1:<port>`.
    pub host: String,
    store: Arc<Mutex<Store>>,
    server: Arc<tiny_http::Server>,
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

fn digest_of(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

impl OciRegistry {
    /// Starts the registry; with `token_auth`, every `/v2/` request needs the anonymous token.
    pub fn start(token_auth: bool) -> OciRegistry {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let host = format!("127.0.0.1:{port}");
        let store = Arc::new(Mutex::new(Store::default()));
        let requests = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (server, store, requests, host) = (
                server.clone(),
                store.clone(),
                requests.clone(),
                host.clone(),
            );
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    requests.fetch_add(1, Ordering::SeqCst);
                    let response = handle(&request, &store, &host, token_auth);
                    let _ = request.respond(response);
                }
            })
        };
        OciRegistry {
            host,
            store,
            server,
            requests,
            thread: Some(thread),
        }
    }

    /// `oci://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("oci://{}", self.host)
    }

    /// How many HTTP requests were served so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Pushes a chart archive as `<repository>:<tag>` the way `helm push` lays it out; returns the
    /// manifest digest.
    pub fn push_chart(
        &self,
        repository: &str,
        tag: &str,
        tgz: &[u8],
        name: &str,
        version: &str,
    ) -> String {
        let config =
            serde_json::to_vec(&json!({"name": name, "version": version, "apiVersion": "v2"}))
                .expect("json");
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": HELM_CONFIG, "digest": digest_of(&config), "size": config.len()},
            "layers": [{"mediaType": HELM_CHART_LAYER, "digest": digest_of(tgz), "size": tgz.len()}],
            "annotations": {"org.opencontainers.image.title": name, "org.opencontainers.image.version": version},
        }))
        .expect("json");
        let manifest_digest = digest_of(&manifest);
        let mut store = self.store.lock().expect("store lock");
        store.blobs.insert(digest_of(&config), config);
        store.blobs.insert(digest_of(tgz), tgz.to_vec());
        store.blobs.insert(manifest_digest.clone(), manifest);
        store
            .refs
            .insert((repository.into(), tag.into()), manifest_digest.clone());
        store.refs.insert(
            (repository.into(), manifest_digest.clone()),
            manifest_digest.clone(),
        );
        let tags = store.tags.entry(repository.into()).or_default();
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.into());
        }
        manifest_digest
    }
}

fn handle(
    request: &tiny_http::Request,
    store: &Mutex<Store>,
    host: &str,
    token_auth: bool,
) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or_default();
    let not_found = || {
        tiny_http::Response::from_data(br#"{"errors":[{"code":"NOT_FOUND"}]}"#.to_vec())
            .with_status_code(404)
    };
    if path == "/token" {
        return tiny_http::Response::from_data(
            serde_json::to_vec(&json!({"token": TOKEN, "access_token": TOKEN})).expect("json"),
        )
        .with_header(header("Content-Type", "application/json"));
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return not_found();
    };
    if token_auth {
        let authorized = request.headers().iter().any(|h| {
            h.field.equiv("Authorization") && h.value.as_str() == format!("Bearer {TOKEN}")
        });
        if !authorized {
            let challenge =
                format!("Bearer realm=\"http://{host}/token\",service=\"test-registry\"");
            return tiny_http::Response::from_data(
                br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#.to_vec(),
            )
            .with_status_code(401)
            .with_header(header("WWW-Authenticate", &challenge));
        }
    }
    if rest.is_empty() {
        return tiny_http::Response::from_data(b"{}".to_vec())
            .with_header(header("Content-Type", "application/json"));
    }
    let store = store.lock().expect("store lock");
    if let Some(name) = rest.strip_suffix("/tags/list") {
        let tags = store.tags.get(name).cloned().unwrap_or_default();
        return tiny_http::Response::from_data(
            serde_json::to_vec(&json!({"name": name, "tags": tags})).expect("json"),
        )
        .with_header(header("Content-Type", "application/json"));
    }
    if let Some((name, reference)) = rest.split_once("/manifests/") {
        let Some(digest) = store.refs.get(&(name.to_string(), reference.to_string())) else {
            return not_found();
        };
        let body = store.blobs.get(digest).cloned().unwrap_or_default();
        return tiny_http::Response::from_data(body)
            .with_header(header("Content-Type", OCI_MANIFEST))
            .with_header(header("Docker-Content-Digest", digest));
    }
    if let Some((_, digest)) = rest.split_once("/blobs/") {
        return match store.blobs.get(digest) {
            Some(data) => tiny_http::Response::from_data(data.clone())
                .with_header(header("Content-Type", "application/octet-stream"))
                .with_header(header("Docker-Content-Digest", digest)),
            None => not_found(),
        };
    }
    not_found()
}

impl Drop for OciRegistry {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
