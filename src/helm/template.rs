//! Running `helm template` as a subprocess with an isolated Helm home, and splitting its output
//! into objects tagged by where they came from (`crds/`, hooks, templates).

use super::error::HelmError;
use crate::process::{self, ProcessError};
use regex::Regex;
use serde_json::Value;
use std::path::Path;
use std::sync::LazyLock;

/// Flags of one `helm template` call.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct TemplateArgs {
    pub release: String,
    pub namespace: String,
    pub include_crds: bool,
    pub no_hooks: bool,
    pub skip_tests: bool,
    pub skip_schema_validation: bool,
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
}

impl TemplateArgs {
    fn to_args(&self, chart: &Path, values: &Path) -> Vec<String> {
        let mut args = vec![
            "template".to_string(),
            self.release.clone(),
            chart.display().to_string(),
            "--namespace".to_string(),
            self.namespace.clone(),
            "-f".to_string(),
            values.display().to_string(),
        ];
        let flags = [
            (self.include_crds, "--include-crds"),
            (self.no_hooks, "--no-hooks"),
            (self.skip_tests, "--skip-tests"),
            (self.skip_schema_validation, "--skip-schema-validation"),
        ];
        args.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| f.to_string()),
        );
        if let Some(v) = &self.kube_version {
            args.extend(["--kube-version".to_string(), v.clone()]);
        }
        for api in &self.api_versions {
            args.extend(["--api-versions".to_string(), api.clone()]);
        }
        args
    }
}

/// A command with Helm's home folders pointed into `home` and an explicit environment (no
/// inherited `HELM_*` settings), so the user's repositories, plugins and registry logins are
/// never read or written.
pub(crate) fn helm_command(helm: &[String], home: &Path) -> process::Command {
    let program = helm.first().map_or("helm", String::as_str);
    process::Command::new(program)
        .args(helm.iter().skip(1))
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
}

/// Runs a helm command to completion; a non-zero exit gives helm's stderr, trimmed.
pub(crate) async fn run(
    hr: &str,
    cmd: process::Command,
    program: &str,
) -> Result<String, HelmError> {
    match cmd.display_as(program).run().await {
        Ok(out) => Ok(out.stdout_text()),
        Err(ProcessError::Failed { stderr, status, .. }) => Err(HelmError::Template {
            hr: hr.to_string(),
            stderr: if stderr.is_empty() {
                format!("{program} exited with {status}")
            } else {
                stderr
            },
        }),
        Err(source) => Err(HelmError::Process {
            hr: hr.to_string(),
            source,
        }),
    }
}

/// `helm template <release> <chart> …` → stdout.
pub(crate) async fn template(
    hr: &str,
    helm: &[String],
    home: &Path,
    chart: &Path,
    values: &Path,
    args: &TemplateArgs,
) -> Result<String, HelmError> {
    // helm reads the chart and values and keeps state in its home; nothing else.
    let sandbox = process::Sandbox::new().read(chart).read(values).write(home);
    let cmd = helm_command(helm, home)
        .args(args.to_args(chart, values))
        .sandbox(sandbox);
    run(hr, cmd, "helm template").await
}

/// One rendered object and its origin.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub object: Value,
    /// From a chart's (or subchart's) `crds/` folder.
    pub crd: bool,
    /// Carries a `helm.sh/hook` annotation.
    pub hook: bool,
}

static CRDS_DIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^/]+/(?:charts/[^/]+/)*crds/")
        .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Splits helm's output on `---` lines; each document names its template in `# Source:`.
pub(crate) fn split_output(hr: &str, text: &str) -> Result<Vec<Rendered>, HelmError> {
    let mut out = Vec::new();
    let mut chunks: Vec<String> = vec![String::new()];
    for line in text.lines() {
        if line == "---" || line.starts_with("--- ") {
            chunks.push(String::new());
        } else if let Some(last) = chunks.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    for chunk in chunks {
        let source = chunk
            .lines()
            .find_map(|l| l.strip_prefix("# Source: "))
            .unwrap_or_default()
            .to_string();
        let docs = crate::yaml::parse_documents(&chunk).map_err(|e| HelmError::Template {
            hr: hr.to_string(),
            stderr: format!("unparsable output from {source}: {e}"),
        })?;
        for object in docs {
            if !object.is_object() {
                continue;
            }
            let hook = object
                .pointer("/metadata/annotations/helm.sh~1hook")
                .is_some();
            out.push(Rendered {
                crd: CRDS_DIR.is_match(&source),
                hook,
                object,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_and_classified() {
        let text = "---\n# Source: web/crds/crd.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\
                    ---\n# Source: web/charts/sub/crds/x.yaml\nkind: CustomResourceDefinition\n\
                    ---\n# Source: web/templates/cm.yaml\nkind: ConfigMap\n\
                    ---\n# Source: web/templates/job.yaml\nkind: Job\nmetadata:\n  annotations:\n    helm.sh/hook: pre-install\n\
                    ---\n# Source: web/templates/empty.yaml\n";
        let r = split_output("a/b", text).unwrap();
        assert_eq!(r.len(), 4);
        assert!(r[0].crd && r[1].crd && !r[2].crd);
        assert!(r[3].hook && !r[2].hook);
    }

    #[test]
    fn flags_follow_options() {
        let args = TemplateArgs {
            release: "r".into(),
            namespace: "n".into(),
            include_crds: true,
            no_hooks: false,
            skip_tests: true,
            skip_schema_validation: false,
            kube_version: Some("1.30.0".into()),
            api_versions: vec!["a/v1".into()],
        };
        let got = args.to_args(Path::new("c"), Path::new("v.yaml")).join(" ");
        assert_eq!(
            got,
            "template r c --namespace n -f v.yaml --include-crds --skip-tests --kube-version 1.30.0 --api-versions a/v1"
        );
    }
}
