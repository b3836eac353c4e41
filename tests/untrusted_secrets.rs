//! Secret values never leave fluxsim, whatever the channel. A pull request is untrusted: its
//! chart may `fail` or `required` with a value it read from a SOPS-encrypted Secret, its patch
//! may make kustomize quote a decrypted file, its replacements may copy a decrypted generator
//! input into a ConfigMap, and it may plant a guess of a secret in a plain Secret to see whether
//! the token matches (testdata/repos/untrusted-secrets, whose make-fixtures.sh holds the
//! plaintexts). Every test looks for each plaintext, and its base64 and case forms, in stdout,
//! stderr and every file written.

mod common;

use base64::Engine;
use common::{copy_dir, fixture, fluxsim, git, manifest_dir, read_tree, run};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Every value the fixture's SOPS files hold.
const PLAINTEXTS: &[&str] = &[
    // secrets/db.sops.yaml: quoted by the leaky chart's fail/required messages.
    "Tr0ub4dor-Leak-Pass-9431",
    "Leak-Api-Token-2207-zz",
    // broken/patch.sops.yaml: kustomize's error names the patch's (encrypted) target.
    "leaky-patch-name-8813",
    "Patch-Leak-Value-6620",
    // generated/: secretGenerator inputs, copied into a ConfigMap by replacements.
    "Gen-File-Secret-3390",
    "Gen-Env-Secret-5512",
];

fn age_key() -> PathBuf {
    manifest_dir().join("testdata/sops/keys/main.agekey")
}

fn entry() -> PathBuf {
    fixture("untrusted-secrets").join("cluster")
}

/// A plaintext and the forms a chart or kustomize turns it into.
fn forms(plain: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let nopad = base64::engine::general_purpose::STANDARD_NO_PAD;
    vec![
        plain.to_string(),
        b64.encode(plain),
        nopad.encode(plain),
        plain.to_uppercase(),
        plain.to_lowercase(),
    ]
}

fn assert_no_leak(what: &str, text: &str) {
    for p in PLAINTEXTS {
        for f in forms(p) {
            assert!(
                !text.contains(&f),
                "{what}: {f:?} (a form of {p:?}) leaked:\n{text}"
            );
        }
    }
}

/// fluxsim on the fixture with the age key; stdout and stderr together.
fn fluxsim_on(cache: &Path, path: &Path, args: &[&str]) -> (common::Output, String) {
    let out = run(fluxsim(cache)
        .args(args)
        .arg("--age-key-file")
        .arg(age_key())
        .arg("--path")
        .arg(path));
    let all = format!("{}\n{}", out.stdout, out.stderr);
    (out, all)
}

/// The value at `field` of the rendered Secret `name` in `build -o json` output (objects by
/// owner).
fn secret_token(owners: &Value, name: &str, field: &str) -> String {
    let objects = owners.as_array().into_iter().flatten();
    objects
        .flat_map(|owner| owner["objects"].as_array().into_iter().flatten())
        .find(|o| o["kind"] == "Secret" && o["metadata"]["name"] == name)
        .and_then(|s| s["data"][field].as_str())
        .unwrap_or_else(|| panic!("no Secret {name} with {field} in {owners}"))
        .to_string()
}

#[test]
fn no_output_format_leaks_a_secret_quoted_in_a_message() {
    let cache = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    for args in [
        vec!["get", "ks"],
        vec!["get", "hr"],
        vec!["get", "ks", "-o", "json"],
        vec!["get", "hr", "-o", "json"],
        vec!["get", "hr", "-o", "yaml"],
        vec!["get", "ks", "-v"],
        vec!["get", "hr", "-vv"],
        vec!["validate"],
        vec!["validate", "-o", "junit"],
        vec!["validate", "-o", "json"],
        vec!["plan"],
        vec!["build", "--skip-secrets=false"],
        vec!["build", "-o", "json", "-v"],
        vec!["build", "hr", "leaky-fail"],
        vec!["build", "ks", "generated", "--skip-secrets=false"],
    ] {
        let (out, all) = fluxsim_on(cache.path(), &entry(), &args);
        assert!(out.code == 1, "{args:?}: exit {}: {}", out.code, out.stderr);
        assert_no_leak(&format!("{args:?}"), &all);
        seen.push(all);
    }
    let snapshot = files.path().join("snapshot");
    let written = files.path().join("out.json");
    let (_, all) = fluxsim_on(
        cache.path(),
        &entry(),
        &["build", "--output-dir", snapshot.to_str().unwrap()],
    );
    seen.push(all);
    let (_, all) = fluxsim_on(
        cache.path(),
        &entry(),
        &[
            "get",
            "hr",
            "-o",
            "json",
            "--output-file",
            written.to_str().unwrap(),
        ],
    );
    seen.push(all);
    // (The cache folder is left out: the helm render cache keeps a release's output as helm
    // rendered it; keeping it off disk is the cache's business, not an output channel.)
    let tree = read_tree(files.path());
    assert!(
        tree.iter().any(|(f, _)| f.ends_with("index.yaml")),
        "{tree:?}"
    );
    for (file, bytes) in tree {
        assert_no_leak(&file, &String::from_utf8_lossy(&bytes));
    }
    // Not vacuous: the messages that quoted the values are there, with tokens instead.
    let all = seen.join("\n");
    for quoted in [
        "execution error at (leaky/templates/configmap.yaml:1:35): <secret:",
        "bad password <secret:",
        "no user for password <secret:",
        "strategic merge patch \"Secret.v1.[noGrp]/<secret:",
    ] {
        assert!(all.contains(quoted), "{quoted:?} missing");
    }
}

#[test]
fn a_chart_failure_quotes_the_token_of_the_secret_it_read() {
    let cache = tempfile::tempdir().unwrap();
    let (out, _) = fluxsim_on(
        cache.path(),
        &entry(),
        &["build", "-o", "json", "--skip-secrets=false"],
    );
    let objects: Value = serde_json::from_str(&out.stdout).expect("JSON objects");
    let db = secret_token(&objects, "db", "password");
    let (out, _) = fluxsim_on(cache.path(), &entry(), &["get", "hr", "-o", "json"]);
    let rows: Value = serde_json::from_str(&out.stdout).expect("JSON rows");
    let message = |name: &str| {
        rows.as_array()
            .and_then(|r| r.iter().find(|r| r["name"] == name))
            .and_then(|r| r["message"].as_str())
            .unwrap_or_else(|| panic!("no HelmRelease {name} in {rows}"))
            .to_string()
    };
    // Plain, base64-encoded, upper case: each is the db Secret's password, and says so.
    for name in ["leaky-fail", "leaky-b64", "leaky-upper", "leaky-required"] {
        let m = message(name);
        assert!(m.contains(&db), "{name}: {m} lacks {db}");
    }
}

#[test]
fn a_planted_guess_never_gets_the_real_secrets_token() {
    let cache = tempfile::tempdir().unwrap();
    let build = || {
        let (out, _) = fluxsim_on(
            cache.path(),
            &entry(),
            &["build", "-o", "json", "--skip-secrets=false"],
        );
        serde_json::from_str::<Value>(&out.stdout).expect("JSON objects")
    };
    let objects = build();
    // secrets/db.sops.yaml and guess/secret.yaml hold the same password.
    let real = secret_token(&objects, "db", "password");
    let guess = secret_token(&objects, "guess", "password");
    assert!(real.starts_with("<secret:") && guess.starts_with("<secret:"));
    assert_ne!(real, guess, "the guess got the real secret's token");
    // Same value, same place: the same token on the next run.
    assert_eq!(secret_token(&build(), "db", "password"), real);
    // The chart quoting the guess shows the guess's token, not the real one.
    let (out, _) = fluxsim_on(
        cache.path(),
        &entry(),
        &["get", "hr", "guess-fail", "-o", "json"],
    );
    assert!(out.stdout.contains(&guess), "{}", out.stdout);
    assert!(!out.stdout.contains(&real), "{}", out.stdout);
}

/// A git repository holding the fixture; the committed base has no guess and no failing chart.
fn fixture_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("untrusted-secrets"), dir.path());
    let releases = dir.path().join("release/helmreleases.yaml");
    let head = std::fs::read_to_string(&releases).unwrap();
    let base = ["fail", "b64", "upper", "required"]
        .iter()
        .fold(head.clone(), |t, m| {
            t.replace(&format!("mode: {m}\n"), "mode: render\n")
        });
    std::fs::write(&releases, base).unwrap();
    let guess = dir.path().join("guess/kustomization.yaml");
    let guess_head = std::fs::read_to_string(&guess).unwrap();
    std::fs::write(
        &guess,
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n",
    )
    .unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    std::fs::write(&releases, head).unwrap();
    std::fs::write(&guess, guess_head).unwrap();
    dir
}

#[test]
fn diffs_in_every_format_show_tokens_and_keep_them_stable() {
    let repo = fixture_repo();
    let cache = tempfile::tempdir().unwrap();
    let path = repo.path().join("cluster");
    let mut unified = String::new();
    for format in ["unified", "markdown", "json", "yaml", "stat"] {
        let (out, all) = fluxsim_on(
            cache.path(),
            &path,
            &[
                "diff",
                "--base",
                "main",
                "--full",
                "--skip-secrets=false",
                "-o",
                format,
            ],
        );
        assert_eq!(out.code, 1, "{format}: {}", out.stderr);
        assert_no_leak(format, &all);
        if format == "unified" {
            unified = out.stdout;
        }
    }
    // The guess is new; the real Secret's token did not change, so it is not in the diff.
    assert!(unified.contains("+  name: guess"), "{unified}");
    assert!(unified.contains("guess/Secret/apps/guess"), "{unified}");
    assert!(!unified.contains("Secret/apps/db"), "{unified}");
    assert!(unified.contains("<secret:"), "{unified}");
}

#[cfg(unix)]
#[test]
fn the_redaction_key_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let cache = tempfile::tempdir().unwrap();
    let key = cache.path().join("redaction.key");
    let mode = || std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    let build = || {
        let out = run(fluxsim(cache.path())
            .env_remove("FLUXSIM_REDACTION_KEY")
            .args([
                "build",
                "ks",
                "secrets",
                "--skip-secrets=false",
                "-o",
                "json",
            ])
            .arg("--age-key-file")
            .arg(age_key())
            .arg("--path")
            .arg(entry()));
        let objects: Value = serde_json::from_str(&out.stdout).expect("JSON objects");
        secret_token(&objects, "db", "password")
    };
    let first = build();
    assert_eq!(mode(), 0o600);
    // A key left readable by others (an old version, a restored cache) is made private, and
    // kept: tokens stay the same.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(build(), first);
    assert_eq!(mode(), 0o600);
    assert_no_leak(
        "redaction.key",
        &String::from_utf8_lossy(&std::fs::read(&key).unwrap()),
    );
}
