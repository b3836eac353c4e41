#!/usr/bin/env python3
"""Compares fluxsim's deferred-patch fast path with kustomize applying every patch, on the corpus.

For each corpus entry, renders a snapshot twice without the build cache (default, and
--no-fast-patch) and compares every Kustomization's objects and index entry byte for byte.
Prints per entry: builds compared / identical / fast path taken / fell back, and exits 1 on
any difference.
Usage: scripts/fast-patch-corpus.py [--corpus ../shared/corpus] [--bin target/release/fluxsim]
"""
import argparse, json, os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENTRIES = [
    ("onedr0p-home-ops", "kubernetes/flux/cluster"),
    ("bjw-s-labs-home-ops", "kubernetes/flux/cluster"),
    ("mirceanton-home-ops", "apps"),
    ("fluxcd-flux2-kustomize-helm-example", "clusters/production"),
    ("fluxcd-flux2-kustomize-helm-example", "clusters/staging"),
    ("fluxcd-flux2-multi-tenancy", "clusters/production"),
    ("fluxcd-flux2-multi-tenancy", "clusters/staging"),
    ("fluxcd-flux2-monitoring-example", "clusters/test"),
]


def render(binary, entry, out, stats, fast):
    env = dict(os.environ, PATH=os.path.join(ROOT, ".tools", "bin") + os.pathsep + os.environ["PATH"])
    cmd = [binary, "build", "--path", entry, "--offline", "--no-cache", "--no-progress", "-q",
           "--cache-dir", os.path.join(os.path.dirname(out), "cache"), "--output-dir", out,
           "--stats-file", stats]
    if not fast:
        cmd.append("--no-fast-patch")
    subprocess.run(cmd, env=env, capture_output=True)
    return json.load(open(stats))


def kustomizations(snapshot):
    """Each Kustomization's index entry (as text) and object files."""
    index = open(os.path.join(snapshot, "index.yaml")).read()
    # Index entries start at "- name:" lines of the kustomizations list.
    body = index.split("\nkustomizations:\n", 1)[1].split("\nhelmReleases:", 1)[0]
    out = {}
    for chunk in ("\n" + body).split("\n- name: ")[1:]:
        lines = chunk.splitlines()
        name, ns = lines[0], next((l.split(": ", 1)[1] for l in lines if l.startswith("  namespace: ")), "")
        folder = os.path.join(snapshot, "ks", ns, name)
        files = {}
        if os.path.isdir(folder):
            for f in sorted(os.listdir(folder)):
                files[f] = open(os.path.join(folder, f), "rb").read()
        out[(ns, name)] = (chunk, files)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "fluxsim"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="fluxsim-fastpatch-")
    failed = False
    print(f"{'entry':55} {'compared':>8} {'identical':>9} {'fast':>5} {'fell back':>9}")
    try:
        for repo, entry in ENTRIES:
            path = os.path.join(a.corpus, repo, entry)
            if not os.path.isdir(path):
                continue
            snaps, stats = [], []
            for fast in (True, False):
                out = os.path.join(work, f"{repo}-{entry.replace('/', '-')}-{fast}")
                stats.append(render(a.bin, path, out, out + ".json", fast))
                snaps.append(kustomizations(out))
            keys = sorted(set(snaps[0]) | set(snaps[1]))
            same = [k for k in keys if snaps[0].get(k) == snaps[1].get(k)]
            for k in keys:
                if snaps[0].get(k) != snaps[1].get(k):
                    print(f"  DIFFERENT: {k[0]}/{k[1]}")
            failed |= len(same) != len(keys) or stats[1].get("kustomizationsFastPatch", 0) != 0
            print(f"{repo + '/' + entry:55} {len(keys):8} {len(same):9} "
                  f"{stats[0].get('kustomizationsFastPatch', 0):5} "
                  f"{stats[0].get('kustomizationsFastPatchFellBack', 0):9}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
