//! Nothing left on disk, nothing wrong read back from it: decrypted copies live in a private run
//! folder that goes on every exit path (a SIGKILLed run's is swept at the next start), damaged or
//! foreign cache entries are rebuilt, concurrent runs sharing a cache agree, and the snapshot
//! writer stays inside `--output-dir`, replaces only its own snapshots, and replaces them whole.
//!
//! Fixture: testdata/repos/untrusted-disk (`cluster/`: a Kustomization decrypting a dotenv file,
//! two HelmReleases of the random-valued webapp chart from `http://CHART-SERVER/`; `escape/`:
//! Kustomizations named `..` and `../../../escaped`). Every child gets its own TMPDIR,
//! XDG_RUNTIME_DIR and cache below one temporary folder, so a grep of that folder sees every
//! file the run wrote.

mod common;
mod support;

use common::{copy_dir, fixture, fluxsim_online, manifest_dir, read_tree, run, tool_path};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::chart_repo::ChartRepo;
use support::hostile::HangingServer;

/// The decrypted value of `secrets/secret.sops.env`, and its base64 form in a Secret.
const PLAINTEXT: &str = "plaintext-canary-5e1d9a";
const PLAINTEXT_B64: &str = "cGxhaW50ZXh0LWNhbmFyeS01ZTFkOWE=";

/// One test's folders: the repository copy, the cache, TMPDIR and XDG_RUNTIME_DIR of children.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new(chart_server: Option<&str>) -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        for sub in ["cache", "tmp", "runtime", "bin"] {
            std::fs::create_dir_all(root.path().join(sub)).unwrap();
        }
        copy_dir(&fixture("untrusted-disk"), &root.path().join("repo"));
        let url = chart_server.unwrap_or("http://127.0.0.1:9/");
        common::edit(
            &root.path().join("repo"),
            "apps/repository.yaml",
            "http://CHART-SERVER/",
            url,
        );
        Sandbox { root }
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.root.path().join(sub)
    }

    /// `fluxsim` (assert_cmd) with this sandbox's folders and the age key.
    fn fluxsim(&self) -> assert_cmd::Command {
        let mut cmd = fluxsim_online(&self.path("cache"));
        cmd.env("TMPDIR", self.path("tmp"))
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .arg("--age-key-file")
            .arg(manifest_dir().join("testdata/sops/keys/main.agekey"));
        cmd
    }

    /// The same as a std command, for runs the test signals.
    fn spawn(&self, args: &[&str]) -> Child {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("fluxsim"));
        for (k, _) in std::env::vars() {
            if k.starts_with("FLUXSIM_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("PATH", tool_path())
            .env("FLUXSIM_REDACTION_KEY", "fluxsim-tests")
            .env("NO_COLOR", "1")
            .env("TMPDIR", self.path("tmp"))
            .env("XDG_RUNTIME_DIR", self.path("runtime"))
            .env("XDG_CONFIG_HOME", self.path("cache/xdg-config"))
            .env_remove("SOPS_AGE_KEY")
            .env_remove("SOPS_AGE_KEY_FILE")
            .arg("--cache-dir")
            .arg(self.path("cache"))
            .args(["--no-progress", "--age-key-file"])
            .arg(manifest_dir().join("testdata/sops/keys/main.agekey"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cmd.spawn().unwrap()
    }

    /// Makes the decrypting Kustomization's kustomize hang after decryption: it also reads a
    /// remote resource from a server that never answers (kept running by the returned value).
    fn hang_after_decryption(&self) -> HangingServer {
        let server = HangingServer::start();
        common::edit(
            &self.path("repo"),
            "secrets/kustomization.yaml",
            "  - ./configmap.yaml\n",
            &format!("  - ./configmap.yaml\n  - {}slow.yaml\n", server.url),
        );
        server
    }

    /// Waits until the run has decrypted (the plaintext is on disk); returns where it is.
    fn wait_decrypted(&self, child: &mut Child) -> Vec<PathBuf> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let found = self.plaintext_in("");
            if !found.is_empty() {
                return found;
            }
            assert!(child.try_wait().unwrap().is_none(), "fluxsim ended early");
            assert!(Instant::now() < deadline, "nothing was decrypted");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Files below `sub` holding the plaintext (or its base64).
    fn plaintext_in(&self, sub: &str) -> Vec<PathBuf> {
        files(&self.path(sub))
            .into_iter()
            .filter(|f| {
                let data = std::fs::read(f).unwrap_or_default();
                contains(&data, PLAINTEXT) || contains(&data, PLAINTEXT_B64)
            })
            .collect()
    }
}

fn contains(data: &[u8], needle: &str) -> bool {
    data.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn files(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// Folders named like run folders anywhere below `dir`.
fn run_folders(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_dir())
        .filter(|e| e.file_name().to_string_lossy().starts_with("fluxsim-run-"))
        .map(|e| e.into_path())
        .collect()
}

fn kill(signal: &str, pids: &[String]) {
    let _ = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .args(pids)
        .status();
}

/// The exit status, or a failure (after killing it) when the child outlives `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running {}s after the signal", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn sigkill_mid_decryption_leaves_plaintext_only_in_a_private_folder_swept_next_start() {
    let sandbox = Sandbox::new(None);
    let server = sandbox.hang_after_decryption();
    let entry = sandbox.path("repo/cluster");
    let mut child = sandbox.spawn(&["build", "--path", &entry.to_string_lossy()]);
    // Decrypted, kustomize waiting for the server: the plaintext is on disk.
    let found = sandbox.wait_decrypted(&mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(server);

    assert_eq!(sandbox.plaintext_in("cache"), Vec::<PathBuf>::new());
    assert_eq!(sandbox.plaintext_in("tmp"), Vec::<PathBuf>::new());
    let private = run_folders(&sandbox.path("runtime"));
    assert_eq!(private.len(), 1, "{private:?}");
    assert_eq!(mode(&private[0]), 0o700);
    assert!(
        found.iter().all(|f| f.starts_with(&private[0])),
        "{found:?}"
    );

    // The next run sweeps what the killed one left, wherever it was.
    common::edit(
        &sandbox.path("repo"),
        "secrets/kustomization.yaml",
        "  - http",
        "  # http",
    );
    let out = run(sandbox
        .fluxsim()
        .args(["build", "ks", "secrets", "--path"])
        .arg(&entry));
    assert_eq!(out.code, 1, "{}", out.stderr); // the HelmReleases are unavailable offline
    assert!(!out.stdout.contains(PLAINTEXT), "{}", out.stdout);
    assert_eq!(sandbox.plaintext_in(""), Vec::<PathBuf>::new());
    assert_eq!(run_folders(sandbox.root.path()), Vec::<PathBuf>::new());
}

#[test]
fn sigterm_and_sigint_remove_the_private_folders_before_exiting() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let sandbox = Sandbox::new(None);
        let server = sandbox.hang_after_decryption();
        let entry = sandbox.path("repo/cluster");
        let mut child = sandbox.spawn(&["validate", "--path", &entry.to_string_lossy()]);
        let found = sandbox.wait_decrypted(&mut child);
        assert!(
            found.iter().all(|f| f.starts_with(sandbox.path("runtime"))),
            "{found:?}"
        );
        kill(signal, &[child.id().to_string()]);
        let status = wait_bounded(&mut child, Duration::from_secs(30));
        drop(server);
        assert_eq!(status.code(), Some(code), "SIG{signal}: {status:?}");
        assert_eq!(
            sandbox.plaintext_in(""),
            Vec::<PathBuf>::new(),
            "SIG{signal}"
        );
        assert_eq!(
            run_folders(sandbox.root.path()),
            Vec::<PathBuf>::new(),
            "SIG{signal}"
        );
    }
}

#[test]
fn a_finished_run_leaves_no_folder_and_no_plaintext() {
    let sandbox = Sandbox::new(None);
    let out = run(sandbox
        .fluxsim()
        .args(["--offline", "build", "--path"])
        .arg(sandbox.path("repo/cluster")));
    assert!(out.stdout.contains("app-env"), "{}", out.stderr);
    assert_eq!(sandbox.plaintext_in(""), Vec::<PathBuf>::new());
    assert_eq!(run_folders(sandbox.root.path()), Vec::<PathBuf>::new());
}

/// `build` of the fixture with every cache bucket filled, Secrets left out (their random
/// SESSION_KEY is new on every render).
fn build(sandbox: &Sandbox) -> String {
    let mut cmd = sandbox.fluxsim();
    common::with_default_filters(&mut cmd);
    let out = run(cmd
        .args(["build", "--path"])
        .arg(sandbox.path("repo/cluster")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// Entry files of one bucket.
fn entries(sandbox: &Sandbox, bucket: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = files(&sandbox.path("cache").join(bucket))
        .into_iter()
        .filter(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    found.sort();
    found
}

#[test]
fn damaged_and_foreign_cache_entries_are_rebuilt_never_served() {
    let repo = ChartRepo::start(&[(&support::charts_dir().join("webapp"), None)]);
    let sandbox = Sandbox::new(Some(&repo.url));
    let expected = build(&sandbox);
    assert!(expected.contains("name: other-webapp"), "{expected}");
    let buckets = [
        "kustomize-docs-v1",
        "helm-render-v1",
        "helm-chart-v1",
        "helm-ref-v1",
        "helm-index-v1",
    ];
    for bucket in buckets {
        assert!(!entries(&sandbox, bucket).is_empty(), "{bucket} is filled");
    }
    // An entry of another key: the other entry of the same bucket when there are two (two
    // releases' renders, two Kustomizations' documents), else one of another bucket.
    let foreign_for = |bucket: &str, file: &Path| -> Vec<u8> {
        let own = entries(&sandbox, bucket);
        let other = own.iter().find(|f| f.as_path() != file).cloned();
        let other = other.unwrap_or_else(|| entries(&sandbox, "kustomize-docs-v1")[0].clone());
        std::fs::read(other).unwrap()
    };
    for bucket in buckets {
        for damage in ["truncated", "empty", "foreign"] {
            let originals: Vec<(PathBuf, Vec<u8>)> = entries(&sandbox, bucket)
                .into_iter()
                .map(|f| (f.clone(), std::fs::read(&f).unwrap()))
                .collect();
            let replaced: Vec<(PathBuf, Vec<u8>)> = originals
                .iter()
                .map(|(f, data)| {
                    let bad = match damage {
                        "truncated" => data[..data.len() / 2].to_vec(),
                        "empty" => Vec::new(),
                        _ => foreign_for(bucket, f),
                    };
                    (f.clone(), bad)
                })
                .collect();
            for (f, bad) in &replaced {
                std::fs::write(f, bad).unwrap();
            }
            let got = build(&sandbox);
            assert_eq!(got, expected, "{damage} entries of {bucket} were served");
            // And rebuilt: the next run finds good entries again.
            for (f, bad) in &replaced {
                let now = std::fs::read(f).unwrap_or_default();
                assert!(now != *bad || !f.exists(), "{damage} {bucket} entry kept");
            }
        }
    }
}

#[test]
fn no_cache_neither_reads_nor_writes_the_cache() {
    let repo = ChartRepo::start(&[(&support::charts_dir().join("webapp"), None)]);
    let sandbox = Sandbox::new(Some(&repo.url));
    let no_cache = |sandbox: &Sandbox| {
        run(sandbox
            .fluxsim()
            .args(["--no-cache", "get", "hr", "-o", "json", "--path"])
            .arg(sandbox.path("repo/cluster")))
    };
    // Writes: nothing lands in the cache but the redaction key.
    let out = no_cache(&sandbox);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let written: Vec<PathBuf> = files(&sandbox.path("cache"))
        .into_iter()
        .filter(|f| !f.ends_with("redaction.key"))
        .collect();
    assert_eq!(written, Vec::<PathBuf>::new());
    assert_eq!(run_folders(sandbox.root.path()), Vec::<PathBuf>::new());
    // Reads: with every chart cached and the server gone, --no-cache must fetch, and fail.
    build(&sandbox);
    drop(repo);
    let out = no_cache(&sandbox);
    assert_eq!(out.code, 1, "the cached charts were used: {}", out.stdout);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "failed"),
        "{rows}"
    );
}

/// Runs `args` in `n` processes at once on one cache; returns their outputs.
fn at_once(sandbox: &Sandbox, n: usize, args: &[String]) -> Vec<common::Output> {
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..n)
            .map(|_| scope.spawn(|| run(sandbox.fluxsim().args(args))))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    })
}

#[test]
fn concurrent_builds_on_one_cache_agree() {
    let repo = ChartRepo::start(&[(&support::charts_dir().join("webapp"), None)]);
    let sandbox = Sandbox::new(Some(&repo.url));
    let entry = sandbox.path("repo/cluster").to_string_lossy().to_string();
    // Secrets shown as tokens: two renders of the random SESSION_KEY would differ.
    let args = ["build", "hr", "--path", &entry].map(String::from);
    let outs = at_once(&sandbox, 3, &args);
    for o in &outs {
        assert_eq!(o.code, 0, "{}", o.stderr);
        assert!(o.stdout.contains("SESSION_KEY"), "{}", o.stdout);
    }
    assert_eq!(outs[0].stdout, outs[1].stdout);
    assert_eq!(outs[1].stdout, outs[2].stdout);
}

#[test]
fn concurrent_diffs_on_one_cache_agree() {
    let repo = ChartRepo::start(&[(&support::charts_dir().join("webapp"), None)]);
    let sandbox = Sandbox::new(Some(&repo.url));
    let base = sandbox.path("base");
    copy_dir(&sandbox.path("repo"), &base);
    common::edit(
        &sandbox.path("repo"),
        "secrets/configmap.yaml",
        "mode: test",
        "mode: live",
    );
    // A changed release renders anew for the head, with a new random SESSION_KEY: the two
    // processes agree only if one waits for the other's render.
    common::edit(
        &sandbox.path("repo"),
        "apps/releases.yaml",
        "replicaCount: 3",
        "replicaCount: 4",
    );
    let args = [
        "diff",
        "--full",
        "--path-orig",
        &base.join("cluster").to_string_lossy(),
        "--path",
        &sandbox.path("repo/cluster").to_string_lossy(),
    ]
    .map(String::from);
    let outs = at_once(&sandbox, 2, &args);
    for o in &outs {
        assert!(o.code == 0 || o.code == 1, "{}", o.stderr);
        assert!(o.stdout.contains("+  mode: live"), "{}", o.stdout);
        assert!(o.stdout.contains("+  replicas: 4"), "{}", o.stdout);
        assert!(o.stdout.contains("SESSION_KEY"), "{}", o.stdout);
    }
    assert_eq!(outs[0].stdout, outs[1].stdout);
}

fn snapshot(sandbox: &Sandbox, entry: &str, out_dir: &Path) -> common::Output {
    run(sandbox
        .fluxsim()
        .args(["--offline", "build", "--output-dir"])
        .arg(out_dir)
        .arg("--path")
        .arg(sandbox.path("repo").join(entry)))
}

#[test]
fn snapshot_names_never_leave_the_output_dir() {
    let sandbox = Sandbox::new(None);
    let out_dir = sandbox.path("out/a/b/snapshot");
    let out = snapshot(&sandbox, "escape", &out_dir);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let outside: Vec<PathBuf> = files(&sandbox.path("out"))
        .into_iter()
        .filter(|f| !f.starts_with(&out_dir))
        .collect();
    assert_eq!(outside, Vec::<PathBuf>::new());
    // Both owners' objects are there, under escaped names.
    assert!(
        out_dir
            .join("ks/%2E%2E/%2E%2E/other__ConfigMap__plain.yaml")
            .is_file()
    );
    assert!(
        out_dir
            .join("ks/%2E/.._.._.._escaped/default__ConfigMap__plain.yaml")
            .is_file()
    );
}

#[test]
fn snapshot_replaces_only_a_folder_with_its_marker() {
    let sandbox = Sandbox::new(None);
    let out_dir = sandbox.path("docs");
    std::fs::create_dir_all(out_dir.join("ks")).unwrap();
    // A user's folder that happens to hold an index.yaml (even one claiming to be a snapshot).
    std::fs::write(
        out_dir.join("index.yaml"),
        "apiVersion: fluxsim.dev/v1\nkind: Snapshot\n",
    )
    .unwrap();
    std::fs::write(out_dir.join("README.md"), "my notes").unwrap();
    std::fs::write(out_dir.join("ks/keep.yaml"), "mine").unwrap();
    let before = read_tree(&out_dir);
    let out = snapshot(&sandbox, "escape", &out_dir);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("no .fluxsim-snapshot file"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("refusing to overwrite"),
        "{}",
        out.stderr
    );
    assert_eq!(read_tree(&out_dir), before);

    // Its own snapshot, marked, is replaced.
    let own = sandbox.path("own");
    assert_eq!(snapshot(&sandbox, "escape", &own).code, 0);
    assert!(own.join(".fluxsim-snapshot").is_file());
    assert_eq!(snapshot(&sandbox, "escape", &own).code, 0);
}

#[test]
fn snapshot_replacement_is_whole_and_cleans_up_after_a_killed_run() {
    let sandbox = Sandbox::new(None);
    let out_dir = sandbox.path("out/snapshot");
    assert_eq!(snapshot(&sandbox, "escape", &out_dir).code, 0);
    let complete: Vec<String> = read_tree(&out_dir).into_iter().map(|(p, _)| p).collect();
    // What a run killed while writing leaves beside the folder.
    let left = sandbox.path("out/.snapshot.fluxsim-new-killed");
    copy_dir(&out_dir, &left);
    // A reader watching the folder during rewrites finds every file the index lists: the
    // folder is the old snapshot or the new one (or, where no atomic exchange exists, briefly
    // none), never one half written.
    let stop = std::sync::atomic::AtomicBool::new(false);
    let partial = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut partial = std::collections::BTreeSet::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let Ok(index) = std::fs::read_to_string(out_dir.join("index.yaml")) else {
                    continue;
                };
                let listed = index
                    .lines()
                    .filter_map(|l| l.trim().strip_prefix("- file: "))
                    .chain(
                        index
                            .lines()
                            .filter_map(|l| l.trim().strip_prefix("file: ")),
                    )
                    .filter(|f| f.starts_with("ks/") || f.starts_with("hr/"));
                partial.extend(
                    listed
                        .filter(|f| !out_dir.join(f).is_file())
                        .map(String::from),
                );
            }
            partial
        });
        for _ in 0..6 {
            assert_eq!(snapshot(&sandbox, "escape", &out_dir).code, 0);
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        reader.join().unwrap()
    });
    assert!(partial.is_empty(), "listed files missing: {partial:?}");
    assert_eq!(
        read_tree(&out_dir)
            .into_iter()
            .map(|(p, _)| p)
            .collect::<Vec<_>>(),
        complete
    );
    assert!(!left.exists(), "the killed run's folder is removed");
    let beside: Vec<String> = std::fs::read_dir(sandbox.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(beside, ["snapshot"]);
}

#[test]
fn cache_gc_and_clear_remove_stale_run_folders() {
    let sandbox = Sandbox::new(None);
    let stale = |base: &str, name: &str| {
        let dir = sandbox.path(base).join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".lock"), "").unwrap();
        std::fs::write(dir.join("secret.sops.env"), PLAINTEXT).unwrap();
        dir
    };
    for command in ["gc", "clear"] {
        let a = stale("cache/tmp", "fluxsim-run-1-aaaa");
        let b = stale("runtime", "fluxsim-run-1-bbbb");
        let usage = run(sandbox.fluxsim().args(["cache", "usage"]));
        assert!(
            usage.stdout.contains("left by killed runs"),
            "{}",
            usage.stdout
        );
        let out = run(sandbox.fluxsim().args(["cache", command]));
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(!a.exists() && !b.exists(), "cache {command}");
    }
    assert_eq!(sandbox.plaintext_in(""), Vec::<PathBuf>::new());
}
