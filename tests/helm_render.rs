//! End-to-end renders of HelmReleases from every source kind, against real helm and kustomize and
//! the loopback test servers.

mod support;

use fluxsim::helm::{
    ClusterView, HelmOptions, ORIGIN_NAME, ORIGIN_NAMESPACE, Renderer, SourceKind,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use support::chart_repo::ChartRepo;
use support::oci_registry::OciRegistry;

#[derive(Default)]
struct View {
    objects: Vec<Value>,
    dirs: HashMap<(String, String, String), PathBuf>,
}

impl ClusterView for View {
    fn get(&self, kind: &str, ns: &str, name: &str) -> Option<Value> {
        self.objects
            .iter()
            .find(|o| {
                o["kind"] == kind
                    && o["metadata"]["namespace"] == ns
                    && o["metadata"]["name"] == name
            })
            .cloned()
    }
    fn source_dir(&self, kind: &str, ns: &str, name: &str) -> Option<PathBuf> {
        self.dirs
            .get(&(kind.into(), ns.into(), name.into()))
            .cloned()
    }
}

fn kustomize() -> Vec<String> {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/bin/kustomize");
    vec![local.display().to_string(), "build".into()]
}

fn renderer(cache: &Path, offline: bool) -> Renderer {
    Renderer::new(HelmOptions {
        helm: vec![support::helm_bin().display().to_string()],
        kustomize: kustomize(),
        cache_dir: cache.to_path_buf(),
        no_cache: false,
        offline,
        kube_version: Some("1.31.0".into()),
        api_versions: vec![],
        network: Default::default(),
        run_dir: None,
    })
    .unwrap()
}

fn webapp() -> PathBuf {
    support::charts_dir().join("webapp")
}

fn helm_repo(name: &str, url: &str, oci: bool) -> Value {
    let mut spec = json!({"url": url});
    if oci {
        spec["type"] = json!("oci");
    }
    json!({"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"HelmRepository",
           "metadata":{"name":name,"namespace":"flux-system"},"spec":spec})
}

fn hr(spec: Value) -> Value {
    json!({"apiVersion":"helm.toolkit.fluxcd.io/v2","kind":"HelmRelease",
           "metadata":{"name":"web","namespace":"apps"},"spec":spec})
}

fn from_repo(repo: &str, chart: &str, version: &str) -> Value {
    json!({"chart":{"spec":{"chart":chart,"version":version,
        "sourceRef":{"kind":"HelmRepository","name":repo,"namespace":"flux-system"}}}})
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> &'a Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} not rendered"))
}

/// Runs helm template by hand and adds what Flux adds, for comparison.
fn by_hand(chart: &Path, release: &str, ns: &str, values: &Value, extra: &[&str]) -> Vec<Value> {
    let home = tempfile::tempdir().unwrap();
    let vf = home.path().join("v.json");
    std::fs::write(&vf, values.to_string()).unwrap();
    let out = support::helm_command(home.path())
        .args(["template", release])
        .arg(chart)
        .args(["--namespace", ns, "-f"])
        .arg(&vf)
        .args(["--kube-version", "1.31.0"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut docs = fluxsim::yaml::parse_documents(&String::from_utf8_lossy(&out.stdout)).unwrap();
    for d in &mut docs {
        d["metadata"]["labels"][ORIGIN_NAME] = json!("web");
        d["metadata"]["labels"][ORIGIN_NAMESPACE] = json!("apps");
    }
    docs
}

/// Blanks the random Secret value so two independent renders compare equal.
fn without_randomness(mut objects: Vec<Value>) -> Vec<Value> {
    for o in &mut objects {
        if o["kind"] == "Secret" {
            o["stringData"]["SESSION_KEY"] = json!("<random>");
        }
    }
    objects
}

#[tokio::test]
async fn http_repository_matches_helm_template_by_hand() {
    let repo = ChartRepo::start(&[
        (&webapp(), None),
        (&webapp(), Some("1.3.0-rc.1")),
        (&webapp(), Some("1.1.0")),
    ]);
    let cache = tempfile::tempdir().unwrap();
    let view = View {
        objects: vec![helm_repo("charts", &repo.url, false)],
        ..Default::default()
    };
    let release = hr(from_repo("charts", "webapp", ">=1.0.0"));
    let mut release = release;
    release["spec"]["values"] = json!({"replicaCount": 2, "config": {"features": ["a", "b"]}});
    let r = renderer(cache.path(), false)
        .render(&release, &view)
        .await
        .unwrap();
    assert_eq!(
        r.chart.version, "1.2.3",
        "prereleases are skipped without a prerelease constraint"
    );
    assert_eq!(r.chart.kind, SourceKind::HelmRepository);
    assert_eq!(r.release_name, "web");
    assert!(!r.from_cache);
    let tgz = repo.dir.path().join("webapp-1.2.3.tgz");
    let expected = by_hand(
        &tgz,
        "web",
        "apps",
        &r.values,
        &["--include-crds", "--skip-tests"],
    );
    assert_eq!(
        without_randomness(r.objects.clone()),
        without_randomness(expected)
    );
    assert_eq!(r.objects[0]["kind"], "CustomResourceDefinition");
    assert!(
        r.objects.iter().all(|o| o["kind"] != "Pod"),
        "test hooks are skipped"
    );
    assert_eq!(
        find(&r.objects, "ConfigMap", "web-cache")["data"]["maxmemory"],
        "64mb"
    );
}

#[tokio::test]
async fn no_matching_version_lists_what_exists() {
    let repo = ChartRepo::start(&[(&support::charts_dir().join("plain"), None)]);
    let cache = tempfile::tempdir().unwrap();
    let view = View {
        objects: vec![helm_repo("charts", &repo.url, false)],
        ..Default::default()
    };
    let err = renderer(cache.path(), false)
        .render(&hr(from_repo("charts", "plain", "^9")), &view)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("HelmRelease 'apps/web'") && err.contains("available: 0.3.0"),
        "{err}"
    );
}

#[tokio::test]
async fn oci_helm_repository_with_token_auth_and_constraint() {
    let registry = OciRegistry::start(true);
    let out = tempfile::tempdir().unwrap();
    for v in ["0.3.0", "0.4.0+build.7", "0.5.0-rc.1"] {
        let tgz = support::package_chart(&support::charts_dir().join("plain"), out.path(), Some(v));
        registry.push_chart(
            "charts/plain",
            &v.replace('+', "_"),
            &std::fs::read(tgz).unwrap(),
            "plain",
            v,
        );
    }
    let cache = tempfile::tempdir().unwrap();
    let view = View {
        objects: vec![helm_repo(
            "oci",
            &format!("{}/charts", registry.url()),
            true,
        )],
        ..Default::default()
    };
    let r = renderer(cache.path(), false)
        .render(&hr(from_repo("oci", "plain", "0.x")), &view)
        .await
        .unwrap();
    assert_eq!(r.chart.version, "0.4.0+build.7");
    assert_eq!(
        find(&r.objects, "ConfigMap", "web-plain")["data"]["chartVersion"],
        "0.4.0+build.7"
    );
    // An exact version is pulled without listing tags.
    let r = renderer(cache.path(), false)
        .render(&hr(from_repo("oci", "plain", "0.3.0")), &view)
        .await
        .unwrap();
    assert_eq!(r.chart.version, "0.3.0");
}

#[tokio::test]
async fn oci_repository_chart_ref_gets_digest_metadata() {
    let registry = OciRegistry::start(false);
    let out = tempfile::tempdir().unwrap();
    let tgz = support::package_chart(&webapp(), out.path(), None);
    let digest = registry.push_chart(
        "charts/webapp",
        "1.2.3",
        &std::fs::read(&tgz).unwrap(),
        "webapp",
        "1.2.3",
    );
    let view = View {
        objects: vec![
            json!({"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"OCIRepository",
            "metadata":{"name":"webapp","namespace":"apps"},
            "spec":{"url":format!("{}/charts/webapp", registry.url()),"ref":{"semver":"1.x"},
                    "layerSelector":{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","operation":"copy"}}}),
        ],
        ..Default::default()
    };
    let cache = tempfile::tempdir().unwrap();
    let r = renderer(cache.path(), false)
        .render(
            &hr(json!({"chartRef":{"kind":"OCIRepository","name":"webapp"}})),
            &view,
        )
        .await
        .unwrap();
    let hex12 = &digest["sha256:".len().."sha256:".len() + 12];
    assert_eq!(r.chart.version, format!("1.2.3+{hex12}"));
    assert_eq!(r.chart.revision.as_deref(), Some(digest.as_str()));
    let dep = find(&r.objects, "Deployment", "web-webapp");
    assert_eq!(
        dep["metadata"]["labels"]["helm.sh/chart"],
        format!("webapp-1.2.3_{hex12}")
    );
}

#[tokio::test]
async fn git_repository_folder_with_values_files_and_post_renderer() {
    let view = View {
        objects: vec![],
        dirs: HashMap::from([(
            ("GitRepository".into(), "flux-system".into(), "repo".into()),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        )]),
    };
    let mut release = hr(json!({"chart":{"spec":{"chart":"./charts/webapp",
        "sourceRef":{"kind":"GitRepository","name":"repo","namespace":"flux-system"},
        "valuesFiles":["charts/webapp/values.yaml","charts/webapp/values-prod.yaml"]}},
        "targetNamespace":"prod",
        "commonMetadata":{"labels":{"team":"web"}},
        "postRenderers":[{"kustomize":{
            "patches":[{"target":{"kind":"Deployment"},"patch":"- op: add\n  path: /metadata/annotations\n  value: {patched: \"yes\"}\n"}],
            "images":[{"name":"ghcr.io/example/webapp","newTag":"9.9.9"}]}}]}));
    release["spec"]["install"] = json!({"crds": "Skip", "disableHooks": true});
    release["spec"]["upgrade"] = json!({"crds": "Skip"});
    let cache = tempfile::tempdir().unwrap();
    let r = renderer(cache.path(), false)
        .render(&release, &view)
        .await
        .unwrap();
    assert_eq!(r.chart.kind, SourceKind::GitRepository);
    assert_eq!(r.chart.version, "1.2.3+1");
    assert_eq!(r.namespace, "prod");
    assert_eq!(r.release_name, "prod-web");
    let dep = find(&r.objects, "Deployment", "prod-web-webapp");
    assert_eq!(dep["spec"]["replicas"], 3);
    assert_eq!(dep["metadata"]["annotations"]["patched"], "yes");
    assert_eq!(
        dep["spec"]["template"]["spec"]["containers"][0]["image"],
        "ghcr.io/example/webapp:9.9.9"
    );
    assert_eq!(dep["metadata"]["labels"]["team"], "web");
    assert_eq!(dep["metadata"]["labels"][ORIGIN_NAMESPACE], "apps");
    assert_eq!(
        find(&r.objects, "ConfigMap", "prod-web-webapp")["data"]["LOG_LEVEL"],
        "warn"
    );
    assert!(
        r.objects
            .iter()
            .all(|o| o["kind"] != "CustomResourceDefinition" && o["kind"] != "Job")
    );
}

#[tokio::test]
async fn helm_chart_ref_and_values_from() {
    let repo = ChartRepo::start(&[(&webapp(), None)]);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let view = View {
        objects: vec![
            helm_repo("charts", &repo.url, false),
            json!({"kind":"HelmChart","metadata":{"name":"webapp","namespace":"apps","generation":4},
                   "spec":{"chart":"webapp","version":"1.2.3","sourceRef":{"kind":"HelmRepository","name":"charts","namespace":"flux-system"},
                           "valuesFiles":["values.yaml","values-prod.yaml"]}}),
            json!({"kind":"ConfigMap","metadata":{"name":"base","namespace":"apps"},
                   "data":{"values.yaml":"config:\n  logLevel: debug\n  features: [x]\nreplicaCount: 5\n"}}),
            json!({"kind":"Secret","metadata":{"name":"extra","namespace":"apps"},"data":{"json":b64("hunter2")}}),
        ],
        ..Default::default()
    };
    let release = hr(json!({"chartRef":{"kind":"HelmChart","name":"webapp"},
        "valuesFrom":[{"kind":"ConfigMap","name":"base"},
                      {"kind":"Secret","name":"extra","valuesKey":"json","targetPath":"config.extra"},
                      {"kind":"Secret","name":"missing","optional":true}],
        "values":{"replicaCount":4}}));
    let cache = tempfile::tempdir().unwrap();
    let r = renderer(cache.path(), false)
        .render(&release, &view)
        .await
        .unwrap();
    assert_eq!(r.chart.version, "1.2.3+4");
    assert_eq!(
        r.values,
        json!({"config":{"logLevel":"debug","features":["x"],"extra":"hunter2"},"replicaCount":4})
    );
    let cm = find(&r.objects, "ConfigMap", "web-webapp");
    assert_eq!(cm["data"]["LOG_LEVEL"], "debug");
    assert_eq!(cm["data"]["FEATURES"], "x");
    assert_eq!(cm["data"]["EXTRA"], "\"hunter2\"");
    assert_eq!(
        find(&r.objects, "Deployment", "web-webapp")["spec"]["replicas"],
        4
    );

    let missing = hr(
        json!({"chartRef":{"kind":"HelmChart","name":"webapp"},"valuesFrom":[{"kind":"ConfigMap","name":"nope"}]}),
    );
    let err = renderer(cache.path(), false)
        .render(&missing, &view)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "could not resolve ConfigMap chart values reference 'apps/nope' with key 'values.yaml'"
        ),
        "{err}"
    );
}

#[tokio::test]
async fn offline_uses_the_cache_and_names_a_miss() {
    let cache = tempfile::tempdir().unwrap();
    let url;
    {
        let repo = ChartRepo::start(&[(&support::charts_dir().join("plain"), None)]);
        url = repo.url.clone();
        let view = View {
            objects: vec![helm_repo("charts", &url, false)],
            ..Default::default()
        };
        renderer(cache.path(), false)
            .render(&hr(from_repo("charts", "plain", "*")), &view)
            .await
            .unwrap();
    }
    let view = View {
        objects: vec![helm_repo("charts", &url, false)],
        ..Default::default()
    };
    let offline = renderer(cache.path(), true);
    let mut release = hr(from_repo("charts", "plain", "*"));
    release["spec"]["values"] = json!({"message": "offline"});
    let r = offline.render(&release, &view).await.unwrap();
    assert_eq!(
        find(&r.objects, "ConfigMap", "web-plain")["data"]["message"],
        "offline"
    );

    let other = View {
        objects: vec![helm_repo("charts", "http://127.0.0.1:9/", false)],
        ..Default::default()
    };
    let err = offline
        .render(&hr(from_repo("charts", "plain", "1.0.0")), &other)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "HelmRelease 'apps/web': chart not available offline: http://127.0.0.1:9/index.yaml 1.0.0"
    );
}

#[tokio::test]
async fn failing_chart_shows_helms_message() {
    let view = View {
        dirs: HashMap::from([(
            ("GitRepository".into(), "flux-system".into(), "repo".into()),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata"),
        )]),
        ..Default::default()
    };
    let mut release = hr(json!({"chart":{"spec":{"chart":"charts/webapp",
        "sourceRef":{"kind":"GitRepository","name":"repo","namespace":"flux-system"}}}}));
    release["spec"]["values"] = json!({"fail": true});
    let cache = tempfile::tempdir().unwrap();
    let err = renderer(cache.path(), false)
        .render(&release, &view)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("HelmRelease 'apps/web': helm template failed: Error:"),
        "{err}"
    );
    assert!(err.contains("webapp: rendering was told to fail"), "{err}");
    release["spec"]["values"] = json!({"replicaCount": "three"});
    let err = renderer(cache.path(), false)
        .render(&release, &view)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("replicaCount"), "schema validation: {err}");
    release["spec"]["install"] = json!({"disableSchemaValidation": true});
    renderer(cache.path(), false)
        .render(&release, &view)
        .await
        .unwrap();
}

#[tokio::test]
async fn render_cache_gives_identical_output_and_fetches_once() {
    let repo = ChartRepo::start(&[(&webapp(), None)]);
    let cache = tempfile::tempdir().unwrap();
    let view = Arc::new(View {
        objects: vec![helm_repo("charts", &repo.url, false)],
        ..Default::default()
    });
    let renderer = Arc::new(renderer(cache.path(), false));
    let release = hr(from_repo("charts", "webapp", "1.2.3"));

    // Concurrent renders of one chart share a single index and chart download.
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (renderer, view) = (renderer.clone(), view.clone());
        let mut release = release.clone();
        release["metadata"]["name"] = json!(format!("web{i}"));
        tasks.push(tokio::spawn(async move {
            renderer
                .render(&release, view.as_ref())
                .await
                .map(|r| r.objects.len())
        }));
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap() > 5);
    }
    assert_eq!(repo.requests(), 2, "index.yaml and one .tgz");

    let started = std::time::Instant::now();
    let cold = renderer.render(&release, view.as_ref()).await.unwrap();
    let cold_time = started.elapsed();
    let started = std::time::Instant::now();
    let fresh = crate::renderer(cache.path(), false);
    let warm = fresh.render(&release, view.as_ref()).await.unwrap();
    let warm_time = started.elapsed();
    eprintln!("render web: cold {cold_time:?}, warm (render cache) {warm_time:?}");
    assert!(!cold.from_cache && warm.from_cache);
    let text = |objects: &[Value]| fluxsim::yaml::to_yaml_stream(objects);
    assert_eq!(text(&cold.objects), text(&warm.objects));
    let key = |o: &[Value]| find(o, "Secret", "web-webapp")["stringData"]["SESSION_KEY"].clone();
    assert_eq!(key(&cold.objects), key(&warm.objects));
    // Other values are another render, with a new random key.
    let mut changed = release.clone();
    changed["spec"]["values"] = json!({"replicaCount": 2});
    let other = fresh.render(&changed, view.as_ref()).await.unwrap();
    assert!(!other.from_cache);
    assert_ne!(key(&cold.objects), key(&other.objects));
}
