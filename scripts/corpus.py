#!/usr/bin/env python3
"""Runs `fluxsim validate -o json` on every repository of the shared corpus, from the top of the
repository and from each cluster folder, and prints one row per cluster rendered:

    repo | from | cluster | rendered | failed | skipped | unavailable offline (ks/hr)

`rendered` counts the owners that passed (warnings allowed), `skipped` the ones not checked
(blocked included), `unavailable offline` the skipped Kustomizations whose source is remote / HelmReleases whose
chart is not cached.
Cluster folders are the ones `fluxsim get clusters` lists, plus the corpus README's entry point
when discovery does not list it. Exits 1 when fluxsim crashes (a panic, an exit status other
than 0/1, or output that is not JSON).

Usage: scripts/corpus.py [--bin target/release/fluxsim] [--corpus-dir ../shared/corpus]
"""
import argparse, json, os, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = dict(os.environ, PATH=os.path.join(ROOT, ".tools", "bin") + os.pathsep + os.environ["PATH"],
           NO_COLOR="1")
# The corpus README's `--path` for repositories without a bootstrap layout.
ENTRIES = {
    "onedr0p-home-ops": "kubernetes/flux/cluster",
    "bjw-s-labs-home-ops": "kubernetes/flux/cluster",
    "mirceanton-home-ops": "apps",
}
OFFLINE = ("not available offline", "not cached", "unavailable offline")


def fluxsim(binary, *args):
    p = subprocess.run([binary, "--offline", "--no-progress", *args], env=ENV,
                       capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def crashed(code, stderr):
    return code not in (0, 1) or "panicked" in stderr


def sections(doc):
    """(cluster name, report) for a one- or several-cluster validate document."""
    if "clusters" in doc:
        return [(c["name"], c["output"]) for c in doc["clusters"]]
    return [(None, doc)]


def row(report):
    entries = report.get("entries", [])
    count = lambda *s: sum(1 for e in entries if e.get("status") in s)
    offline = lambda kind: sum(
        1 for e in entries if e.get("status") == "skipped" and e["owner"]["kind"] == kind
        and any(w in (e.get("skipped") or "") for w in OFFLINE))
    both = f"{offline('Kustomization')}/{offline('HelmRelease')}"
    return count("passed"), count("failed"), count("skipped", "blocked"), both


def cluster_folders(binary, repo, name):
    code, out, err = fluxsim(binary, "get", "clusters", "-o", "json", "--path", repo)
    if crashed(code, err):
        raise RuntimeError(f"get clusters crashed: {err.strip()[-400:]}")
    folders = [c["path"] for c in json.loads(out or "[]") if c["path"] not in ("", ".")]
    entry = ENTRIES.get(name)
    if entry and entry not in folders:
        folders.append(entry)
    return folders


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "fluxsim"))
    ap.add_argument("--corpus-dir", default=os.path.join(ROOT, "..", "shared", "corpus"))
    a = ap.parse_args()
    rows, crashes = [], []
    for name in sorted(os.listdir(a.corpus_dir)):
        repo = os.path.join(a.corpus_dir, name)
        if not os.path.isdir(repo):
            continue
        try:
            folders = cluster_folders(a.bin, repo, name)
        except RuntimeError as e:
            crashes.append(f"{name}: {e}")
            folders = []
        for frm in ["."] + folders:
            code, out, err = fluxsim(a.bin, "validate", "-o", "json", "--path",
                                     os.path.join(repo, frm))
            try:
                doc = json.loads(out)
            except ValueError:
                doc = None
            if crashed(code, err) or doc is None:
                crashes.append(f"{name} from {frm}: exit {code}: {err.strip()[-400:]}")
                continue
            for cluster, report in sections(doc):
                rows.append((name, frm, cluster or "-", *row(report)))
    header = ("repo", "from", "cluster", "rendered", "failed", "skipped",
              "unavailable offline (ks/hr)")
    table = [header] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    for c in crashes:
        print(f"CRASH {c}", file=sys.stderr)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
