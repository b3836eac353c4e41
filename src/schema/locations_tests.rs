//! Catalog lookups in schema locations: a folder read directly, and a URL served on 127.0.0.1
//! through a fetch callback, with the download cache.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::schema::{FetchError, ViolationKind};
use crate::testing::write;
use serde_json::json;

/// A kubeconform-style (yannh/kubernetes-json-schema) strict schema, with enums as they have.
const WIDGET_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["spec"],
  "properties": {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
    "spec": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "color": {"type": "string", "enum": ["red", "blue"]},
        "size": {"type": "integer", "minimum": 1, "exclusiveMinimum": true}
      }
    }
  },
  "additionalProperties": false
}"#;

fn widget(color: &str) -> Value {
    json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
           "spec": {"color": color, "size": 2}})
}

fn locations(texts: &[&str]) -> Vec<SchemaLocation> {
    texts
        .iter()
        .map(|text| SchemaLocation::parse(text).expect("location parses"))
        .collect()
}

#[test]
fn folder_in_kubeconform_layout() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "v1.37.0-standalone-strict/widget-example-v1.json",
        WIDGET_SCHEMA,
    );
    let root = dir.path().to_str().expect("utf-8 path");
    let catalog = Catalog::builtin(None)
        .expect("catalog")
        .with_locations(locations(&[root]));
    assert!(matches!(catalog.check(&widget("red")), Checked::Valid));
    let Checked::Invalid(found) = catalog.check(&widget("green")) else {
        panic!("expected Invalid");
    };
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].path.as_str(), found[0].kind),
        ("/spec/color", ViolationKind::BadEnum)
    );
    assert_eq!(found[0].message, r#""green" is not one of ["red", "blue"]"#);
    // Kinds the folder lacks are still skipped, and built-ins still come first.
    let gadget = json!({"apiVersion": "example.com/v1", "kind": "Gadget"});
    assert!(matches!(catalog.check(&gadget), Checked::Skipped(_)));
    let config = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    assert!(matches!(catalog.check(&config), Checked::Valid));
}

#[test]
fn bad_enum_on_a_builtin_kind_from_a_location() {
    // The shipped schemas have no value enums (the source drops them; the API server does not
    // enforce OpenAPI enums of built-in kinds), so this one comes from a location.
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object", "properties": {
        "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]}}}}});
    write(dir.path(), "service-v1.json", &schema.to_string());
    let template = format!(
        "{}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json",
        dir.path().display()
    );
    let catalog = Catalog::without_builtin("1.37.0")
        .expect("catalog")
        .with_locations(locations(&[&template]));
    let service = json!({"apiVersion": "v1", "kind": "Service", "spec": {"type": "Cluster"}});
    let Checked::Invalid(found) = catalog.check(&service) else {
        panic!("expected Invalid");
    };
    assert_eq!(
        (found[0].path.as_str(), found[0].kind),
        ("/spec/type", ViolationKind::BadEnum)
    );
}

#[test]
fn folder_in_datree_catalog_layout_and_broken_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "example.com/widget_v1.json", WIDGET_SCHEMA);
    write(dir.path(), "example.com/gadget_v1.json", "{ not json");
    let template = format!(
        "{}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
        dir.path().display()
    );
    let catalog = Catalog::builtin(None)
        .expect("catalog")
        .with_locations(locations(&[&template]));
    assert!(matches!(catalog.check(&widget("blue")), Checked::Valid));
    let gadget = json!({"apiVersion": "example.com/v1", "kind": "Gadget"});
    assert!(matches!(
        catalog.check(&gadget),
        Checked::Error(error) if matches!(*error, SchemaError::ParseSchema { .. })
    ));
}

/// Serves `/example.com/widget_v1.json`; everything else is a 404. Counts requests.
struct SchemaServer {
    base: String,
    requests: Arc<AtomicUsize>,
    server: Arc<tiny_http::Server>,
}

impl SchemaServer {
    fn start() -> SchemaServer {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let (listener, counter) = (server.clone(), requests.clone());
        std::thread::spawn(move || {
            for request in listener.incoming_requests() {
                counter.fetch_add(1, Ordering::SeqCst);
                let response = if request.url() == "/example.com/widget_v1.json" {
                    tiny_http::Response::from_string(WIDGET_SCHEMA)
                } else {
                    tiny_http::Response::from_string("not found").with_status_code(404)
                };
                let _ = request.respond(response);
            }
        });
        SchemaServer {
            base: format!("http://127.0.0.1:{port}"),
            requests,
            server,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for SchemaServer {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A fetch callback as the CLI would write one: 200 is the body, 404 is `None`.
fn http_get(url: &str) -> Result<Option<Vec<u8>>, FetchError> {
    // reqwest takes the process's rustls provider; run alone, no other test has installed it.
    crate::net::tls::install_crypto_provider();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let response = reqwest::get(url).await?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(response.error_for_status()?.bytes().await?.to_vec()))
    })
}

fn url_catalog(server: &SchemaServer, cache: &std::path::Path) -> Catalog {
    let template = format!(
        "{}/{{{{ .Group }}}}/{{{{ .ResourceKind }}}}_{{{{ .ResourceAPIVersion }}}}.json",
        server.base
    );
    Catalog::builtin(None)
        .expect("catalog")
        .with_locations(locations(&[&template]))
        .with_fetcher(http_get, Some(cache))
        .expect("fetcher and cache")
}

#[test]
fn url_location_is_fetched_once_then_read_from_the_cache() {
    let server = SchemaServer::start();
    let cache = tempfile::tempdir().expect("tempdir");
    let catalog = url_catalog(&server, cache.path());
    assert!(matches!(catalog.check(&widget("red")), Checked::Valid));
    assert!(matches!(
        catalog.check(&widget("green")),
        Checked::Invalid(_)
    ));
    assert_eq!(server.requests(), 1, "one download per kind");
    let gadget = json!({"apiVersion": "example.com/v1", "kind": "Gadget"});
    assert!(matches!(catalog.check(&gadget), Checked::Skipped(_)));
    assert_eq!(server.requests(), 2);

    // A new catalog (a new run) with the same cache downloads only what was not found.
    let again = url_catalog(&server, cache.path());
    assert!(matches!(again.check(&widget("red")), Checked::Valid));
    assert_eq!(server.requests(), 2, "served from the disk cache");
    assert!(matches!(again.check(&gadget), Checked::Skipped(_)));
    assert_eq!(server.requests(), 3, "a 404 is asked again");
}

#[test]
fn url_location_failures_are_errors_not_skips() {
    let template = "http://127.0.0.1:9/{{ .Group }}/{{ .ResourceKind }}.json";
    let without_fetcher = Catalog::builtin(None)
        .expect("catalog")
        .with_locations(locations(&[template]));
    assert!(matches!(
        without_fetcher.check(&widget("red")),
        Checked::Error(error) if matches!(*error, SchemaError::NoFetcher { .. })
    ));
    let failing = without_fetcher
        .with_fetcher(
            |_: &str| Err::<Option<Vec<u8>>, FetchError>("refused".into()),
            None,
        )
        .expect("no cache to open");
    assert!(matches!(
        failing.check(&widget("red")),
        Checked::Error(error) if matches!(*error, SchemaError::Fetch { .. })
    ));
}
