#!/usr/bin/env python3
"""Checks changed-only mode against the full render on the shared corpus repos.

For each corpus repo and each sampled app file (a HelmRelease file, then an app's Flux
Kustomization file), it makes a git copy, edits that one file (a value, not a comment), and runs
`fluxsim diff --base main -o json` with and without `--full`. The owners reported as added,
removed or changed must be the same. Prints one line per case (with both times) and exits 1 when
any case differs. Uses the release binary and the tools in .tools/bin.

Usage: scripts/changed-only-corpus.py [--samples 3] [--corpus-dir ../shared/corpus]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "fluxsim")
ENV = dict(os.environ, PATH=os.path.join(ROOT, ".tools", "bin") + os.pathsep + os.environ["PATH"])

# (folder, --path entry, extra flags, HelmRelease file names, Flux Kustomization file names)
REPOS = [
    ("onedr0p-home-ops", "kubernetes/flux/cluster", [], ["helmrelease.yaml"], ["ks.yaml"]),
    ("bjw-s-labs-home-ops", "kubernetes/flux/cluster", [], ["helmrelease.yaml"], ["ks.yaml"]),
    ("mirceanton-home-ops", "apps", ["--strict-substitution=false"], ["helm-release.yaml"], ["app.ks.yaml"]),
]


def git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.email=c@e", "-c", "user.name=check", *args],
                   check=True, capture_output=True)


def files_named(repo, names):
    return sorted(os.path.join(dp, f) for dp, dirs, fs in os.walk(repo) if ".git" not in dp
                  for f in fs if f in names)


def changes(stdout):
    owners = json.loads(stdout)["owners"]
    return [o for o in owners if o["change"] in ("added", "removed", "changed")]


def diff(repo, entry, extra, cache, *more):
    cmd = [BIN, "diff", "--base", "main", "--offline", "-q", "-o", "json", "--path",
           os.path.join(repo, entry), "--cache-dir", cache, *extra, *more]
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV)
    return p, time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=3, help="files of each kind per repo")
    ap.add_argument("--corpus-dir", default=os.path.join(ROOT, "..", "shared", "corpus"))
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="fluxsim-changed-only-")
    differs = 0
    try:
        for folder, entry, extra, hr_names, ks_names in REPOS:
            src = os.path.join(a.corpus_dir, folder)
            repo, cache = os.path.join(work, folder), os.path.join(work, folder + "-cache")
            shutil.copytree(src, repo)
            git(repo, "init", "-q", "-b", "main")
            git(repo, "add", "-A")
            git(repo, "commit", "-qm", "base")
            for names in (hr_names, ks_names):
                files = files_named(repo, names)
                step = max(1, len(files) // a.samples)
                for target in files[::step][: a.samples]:
                    git(repo, "checkout", "-q", "--", ".")
                    with open(target) as fh:
                        text = fh.read()
                    with open(target, "w") as fh:
                        fh.write(text.replace("interval:", "interval: 7m #", 1))
                    diff(repo, entry, extra, cache, "--full")  # warms the cache
                    full, tf = diff(repo, entry, extra, cache, "--full")
                    only, to = diff(repo, entry, extra, cache)
                    same = full.returncode == only.returncode and changes(full.stdout) == changes(only.stdout)
                    differs += not same
                    print(f"{'same' if same else 'DIFFERS'}  {folder}: {os.path.relpath(target, repo)}  "
                          f"changed-only {to:.2f}s  full {tf:.2f}s  owners changed {len(changes(full.stdout))}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if differs else 0)


if __name__ == "__main__":
    main()
