#!/usr/bin/env python3
"""Benchmarks fluxsim side by side in one run (medians over several runs; never a timed test).

Cases (each reported with wall time, summed kustomize subprocess time, the ratio
wall / (subprocess sum / jobs), peak memory):
  corpus-cold   full render of a shared corpus repo without the build cache (--no-cache)
  corpus-warm   the same with a warm cache
  gen-cold/warm a generated home-ops repo (scripts/gen-repo.py --apps N)
  diff-1file    `fluxsim diff` (changed-only, the default) of a one-file change on a copy of the
                corpus in a git repo, side by side with `diff --full` and one full `build`;
                diff-1ks does the same with an app's ks.yaml
  gen-1file     the same one-file diff, changed-only and --full, on the generated repo
  fastpatch     cold `build --no-cache` as is, with --no-build-ahead and with --no-fast-patch on
                onedr0p, bjw-s, mirceanton and the generated repo, each against a trivial-process
                floor: as many trivial `kustomize build` processes as Kustomizations built, on the
                same --jobs (prints cold / floor and the builds that took the fast path or a
                build ahead)
  compare       with --baseline OLD_BINARY: corpus-cold, corpus-warm and the one-file diff with
                the baseline and this build, alternating run by run, and new / old per case
                (the before/after figures of a change, measured side by side)
Usage: scripts/bench.py [--runs 5] [--apps 1000] [--corpus ../shared/corpus/onedr0p-home-ops]
                        [--baseline path/to/old/fluxsim] [--skip corpus,gen,diff,gen-1file,fastpatch,schema]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "fluxsim")


def run(args, cache, env_extra=None, stats=True, binary=None):
    """Runs fluxsim once; returns (wall seconds, stats dict, peak RSS in MB)."""
    stats_file = tempfile.mktemp(suffix=".json")
    cmd = ["/usr/bin/time", "-f", "%M", binary or BIN] + args + ["--cache-dir", cache, "--no-progress", "-q"]
    if stats:
        cmd += ["--stats-file", stats_file]
    env = dict(os.environ, PATH=os.path.join(ROOT, ".tools", "bin") + os.pathsep + os.environ["PATH"])
    env.update(env_extra or {})
    t = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - t
    rss_kb = int(p.stderr.strip().splitlines()[-1]) if p.stderr.strip() else 0
    data = {}
    if stats and os.path.exists(stats_file):
        data = json.load(open(stats_file))
        os.unlink(stats_file)
    return wall, data, rss_kb / 1024


def report(name, samples):
    walls = [s[0] for s in samples]
    inner = [s[1].get("wallSeconds", 0) for s in samples]
    kz = [s[1].get("kustomizeSeconds", 0) for s in samples]
    jobs = samples[0][1].get("jobs", 1) or 1
    mem = max(s[2] for s in samples)
    w, i, k = statistics.median(walls), statistics.median(inner), statistics.median(kz)
    ratio = (i / (k / jobs)) if k > 0 else float("nan")
    extra = samples[0][1]
    print(f"{name:14} process {w:7.3f}s  render {i:7.3f}s  kustomize-sum {k:7.3f}s  "
          f"ratio {ratio:5.2f}  peak {mem:6.1f} MB  jobs {jobs}  "
          f"ks {extra.get('rendered')}/{extra.get('kustomizations')} hr {extra.get('helmReleasesRendered')}/{extra.get('helmReleases')}")
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--apps", type=int, default=1000)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "onedr0p-home-ops"))
    ap.add_argument("--entry", default="kubernetes/flux/cluster")
    ap.add_argument("--skip", default="", help="comma separated case prefixes to skip")
    ap.add_argument("--baseline", help="an older fluxsim binary to compare with, side by side")
    a = ap.parse_args()
    skip = [s for s in a.skip.split(",") if s]
    subprocess.run(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT, check=True)
    work = tempfile.mkdtemp(prefix="fluxsim-bench-")
    try:
        entry = os.path.join(a.corpus, a.entry)
        common = ["get", "ks", "--path", entry, "--offline"]
        if not any("corpus".startswith(s) for s in skip):
            cold = [run(common + ["--no-cache"], os.path.join(work, "c1")) for _ in range(a.runs)]
            report("corpus-cold", cold)
            cache = os.path.join(work, "c2")
            run(common, cache)
            report("corpus-warm", [run(common, cache) for _ in range(a.runs)])
        if not any("gen".startswith(s) for s in skip):
            repo = os.path.join(work, "gen")
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-repo.py"), "--apps", str(a.apps),
                            "--out", repo], check=True, capture_output=True)
            gen = ["build", "--path", os.path.join(repo, "kubernetes/flux/cluster"), "--offline"]
            cache = os.path.join(work, "c3")
            cold = [run(gen, cache if i == 0 else os.path.join(work, f"c3-{i}")) for i in range(max(1, a.runs // 2))]
            report("gen-cold", cold)
            report("gen-warm", [run(gen, cache) for _ in range(a.runs)])
        if not any("diff".startswith(s) for s in skip):
            bench_diff(a, work)
        if not any("gen-1file".startswith(s) or s == "gen" for s in skip):
            bench_gen_diff(a, work)
        if not any("fastpatch".startswith(s) for s in skip):
            bench_fast_patch(a, work)
        if not any("schema".startswith(s) for s in skip):
            bench_schema(a, work)
        if a.baseline:
            bench_compare(a, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def git_copy(src, repo):
    """Copies a folder into a new git repository with one commit on main."""
    shutil.copytree(src, repo)
    git = lambda *args: subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    git("-c", "user.email=b@e", "-c", "user.name=bench", "add", "-A")
    git("-c", "user.email=b@e", "-c", "user.name=bench", "commit", "-qm", "base")


def touch_one_app_file(repo, apps_dir, name="helmrelease.yaml"):
    """Appends a comment to the first `name` under apps_dir (one app file changes)."""
    for dp, dirs, files in sorted(os.walk(apps_dir)):
        dirs.sort()
        if name in files:
            target = os.path.join(dp, name)
            with open(target, "a") as fh:
                fh.write("\n# touched by bench\n")
            return target
    raise SystemExit(f"no {name} under {apps_dir}")


def one_file_diff(name, a, repo, entry, cache):
    """Warm one-file diff: changed-only and --full side by side, and one full build."""
    run(["build", "--path", entry, "--offline"], cache, stats=False)
    run(["diff", "--path", entry, "--base", "main", "--offline"], cache, stats=False)
    builds = [run(["build", "--path", entry, "--offline"], cache, stats=False) for _ in range(a.runs)]
    diff = ["diff", "--path", entry, "--base", "main", "--offline"]
    only = [run(diff, cache, stats=False) for _ in range(a.runs)]
    full = [run(diff + ["--full"], cache, stats=False) for _ in range(a.runs)]
    b = statistics.median(x[0] for x in builds)
    d = statistics.median(x[0] for x in only)
    f = statistics.median(x[0] for x in full)
    print(f"{name:14} changed-only {d:7.3f}s  full {f:7.3f}s  build {b:7.3f}s  full/changed-only {f / d:5.2f}  "
          f"peak {max(x[2] for x in only):6.1f} MB (changed-only), {max(x[2] for x in full):6.1f} MB (full)")


def bench_diff(a, work):
    repo = os.path.join(work, "diffrepo")
    git_copy(a.corpus, repo)
    target = touch_one_app_file(repo, os.path.join(repo, "kubernetes", "apps"))
    print(f"diff-1file: {os.path.relpath(target, repo)} changed (warm cache)")
    one_file_diff("diff-1file", a, repo, os.path.join(repo, a.entry), os.path.join(work, "c4"))
    # The same with an app's Flux Kustomization file (ks.yaml, read by the parent of all apps).
    repo = os.path.join(work, "diffrepo-ks")
    git_copy(a.corpus, repo)
    target = touch_one_app_file(repo, os.path.join(repo, "kubernetes", "apps"), "ks.yaml")
    print(f"diff-1ks: {os.path.relpath(target, repo)} changed (warm cache)")
    one_file_diff("diff-1ks", a, repo, os.path.join(repo, a.entry), os.path.join(work, "c4"))


def bench_gen_diff(a, work):
    gen = os.path.join(work, "gen")
    if not os.path.isdir(gen):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-repo.py"), "--apps", str(a.apps),
                        "--out", gen], check=True, capture_output=True)
    repo = os.path.join(work, "gendiff")
    git_copy(gen, repo)
    target = touch_one_app_file(repo, os.path.join(repo, "kubernetes", "apps"))
    print(f"gen-1file: {os.path.relpath(target, repo)} changed (warm cache)")
    cache = os.path.join(work, "c3")  # warm from gen-cold/gen-warm when they ran
    one_file_diff("gen-1file", a, repo, os.path.join(repo, "kubernetes/flux/cluster"), cache)


def trivial_floor(work, count, jobs):
    """Wall time of `count` trivial `kustomize build` processes, `jobs` at a time."""
    from concurrent.futures import ThreadPoolExecutor
    d = os.path.join(work, "trivial")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "kustomization.yaml"), "w") as fh:
        fh.write("resources: [cm.yaml]\n")
    with open(os.path.join(d, "cm.yaml"), "w") as fh:
        fh.write("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    kustomize = shutil.which("kustomize", path=os.path.join(ROOT, ".tools", "bin") + os.pathsep + os.environ["PATH"])
    one = lambda _: subprocess.run([kustomize, "build", "--load-restrictor=LoadRestrictionsNone", d],
                                   capture_output=True, check=True)
    t = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, range(count)))
    return time.monotonic() - t


def bench_fast_patch(a, work):
    """Cold builds with and without the deferred-patch fast path, side by side, against the floor."""
    corpus = os.path.dirname(os.path.abspath(a.corpus))
    cases = [(n, os.path.join(corpus, n, e)) for n, e in
             [("onedr0p-home-ops", "kubernetes/flux/cluster"), ("bjw-s-labs-home-ops", "kubernetes/flux/cluster"),
              ("mirceanton-home-ops", "apps")]]
    gen = os.path.join(work, "gen")
    if not os.path.isdir(gen):
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-repo.py"), "--apps", str(a.apps),
                        "--out", gen], check=True, capture_output=True)
    cases.append((f"gen-{a.apps}", os.path.join(gen, "kubernetes/flux/cluster")))
    for name, entry in cases:
        if not os.path.isdir(entry):
            continue
        base = ["build", "--path", entry, "--offline", "--no-cache"]
        for label, extra in (("fast", []), ("noahead", ["--no-build-ahead"]), ("kustomize", ["--no-fast-patch"])):
            samples = [run(base + extra, os.path.join(work, "c5")) for _ in range(max(1, a.runs // 2))]
            stats = samples[0][1]
            jobs, built = stats.get("jobs", 1) or 1, stats.get("rendered", 0)
            floor = trivial_floor(work, built, jobs)
            wall = report(f"{name[:9]}-{label[:4]}", samples)
            print(f"{'':14} cold / floor {wall / floor:5.2f}  (floor {floor:6.3f}s for {built} trivial builds)  "
                  f"fast path {stats.get('kustomizationsFastPatch')} fell back {stats.get('kustomizationsFastPatchFellBack')}  "
                  f"built ahead {stats.get('kustomizationsBuiltAhead')}")


def bench_schema(a, work):
    """Warm validate with schema checks off and on, alternating run by run: their added cost."""
    entry = os.path.join(a.corpus, a.entry)
    cache = os.path.join(work, "schema")
    base = ["validate", "--path", entry, "--offline"]
    run(base, cache, stats=False)
    off, on = [], []
    for _ in range(a.runs):
        off.append(run(base + ["--schema", "off"], cache, stats=False))
        on.append(run(base + ["--schema", "error"], cache, stats=False))
    w_off, w_on = (statistics.median(s[0] for s in x) for x in (off, on))
    m_off, m_on = (max(s[2] for s in x) for x in (off, on))
    print(f"schema-warm    off {w_off:6.3f}s {m_off:6.1f} MB  on {w_on:6.3f}s {m_on:6.1f} MB  "
          f"added {w_on - w_off:+.3f}s {m_on - m_off:+.1f} MB")


def bench_compare(a, work):
    """The baseline binary and this build on the same cases, alternating run by run."""
    entry = os.path.join(a.corpus, a.entry)
    repo = os.path.join(work, "cmprepo")
    git_copy(a.corpus, repo)
    touch_one_app_file(repo, os.path.join(repo, "kubernetes", "apps"))
    cases = [
        ("corpus-cold", ["get", "ks", "--path", entry, "--offline", "--no-cache"], False),
        ("corpus-warm", ["get", "ks", "--path", entry, "--offline"], True),
        ("diff-1file", ["diff", "--path", os.path.join(repo, a.entry), "--base", "main", "--offline"], True),
    ]
    print(f"compare: baseline {a.baseline} vs {BIN}")
    for name, args, warm in cases:
        samples = {"old": [], "new": []}
        caches = {k: os.path.join(work, f"cmp-{name}-{k}") for k in samples}
        if warm:
            for k, b in (("old", a.baseline), ("new", BIN)):
                run(args, caches[k], stats=False, binary=b)
        for _ in range(a.runs):
            for k, b in (("old", a.baseline), ("new", BIN)):
                samples[k].append(run(args, caches[k], stats=False, binary=b))
        old = statistics.median(x[0] for x in samples["old"])
        new = statistics.median(x[0] for x in samples["new"])
        print(f"{name:14} old {old:7.3f}s  new {new:7.3f}s  new/old {new / old:5.2f}  "
              f"peak old {max(x[2] for x in samples['old']):6.1f} MB new {max(x[2] for x in samples['new']):6.1f} MB")


if __name__ == "__main__":
    main()
