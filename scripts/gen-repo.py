#!/usr/bin/env python3
"""Writes a deterministic, home-ops-shaped Flux repository of N apps for fluxsim's benchmarks.

Shape (as in onedr0p/home-ops and testdata/repos/app-ks):
  kubernetes/flux/cluster/ks.yaml     roots: cluster-settings, cluster-apps (patches every child)
  kubernetes/flux/settings/           ConfigMap flux-system/cluster-settings
  kubernetes/apps/<ns>/               kustomization.yaml (namespace, components/common), namespace.yaml
  kubernetes/apps/<ns>/<app>/ks.yaml  one Flux Kustomization per app (dependsOn forms a DAG)
  kubernetes/apps/<ns>/<app>/app/     a HelmRelease (chart in charts/) or a Deployment + Service, and a ConfigMap
  kubernetes/components/{common,app}  kustomize Components
  charts/{webapp,plain}               copied from testdata/charts, so every HelmRelease renders offline

Same arguments -> byte-identical tree (own PRNG, sorted output, fixed git dates). Standard library only.
Usage: scripts/gen-repo.py --apps N [--helm-ratio 0.8] [--seed 1] --out DIR [--with-git] [--touch K]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHARTS_SRC = ROOT / "testdata" / "charts"
CHARTS = ("webapp", "plain")
MARKER = ".gen-repo.json"
APPS_PER_NAMESPACE = 10
# Share of the apps on each dependsOn level (by index, so dependencies are always earlier apps: no cycles).
LEVEL_BOUNDS = (0.15, 0.35, 0.60, 0.80, 1.0)

NAMESPACE_WORDS = (
    "default", "media", "network", "database", "o11y", "home", "security", "storage", "tools", "games",
    "ai", "dev", "mail", "backup", "ci", "docs", "iot", "web", "auth", "cache",
)
APP_WORDS = (
    "atuin", "bazarr", "plex", "radarr", "sonarr", "prowlarr", "sabnzbd", "tautulli", "seerr", "recyclarr",
    "autobrr", "qbittorrent", "thelounge", "zwave", "go2rtc", "echo", "whoami", "grafana", "loki", "gatus",
    "miniflux", "paperless", "immich", "vaultwarden", "homepage", "n8n", "redis", "postgres", "mosquitto", "esphome",
)
IMAGES = (
    ("ghcr.io/mendhak/http-https-echo", "37", 8080),
    ("docker.io/traefik/whoami", "v1.11.0", 80),
    ("ghcr.io/home-operations/radarr", "5.26.2", 7878),
    ("ghcr.io/home-operations/sonarr", "4.0.15", 8989),
    ("docker.io/library/nginx", "1.29.1", 80),
)
# Variables of ConfigMap cluster-settings. Every namespace gets a copy (see components/common) because
# substituteFrom is read from the child Kustomization's own namespace.
SETTINGS = (
    ("CLUSTER_NAME", "home"),
    ("CLUSTER_DOMAIN", "example.com"),
    ("TIMEZONE", "America/New_York"),
    ("STORAGE_CLASS", "ceph-block"),
    ("GATEWAY", "envoy-internal"),
    ("LB_POOL", "10.0.10.0/24"),
    ("SMTP_HOST", "smtp-relay.network.svc.cluster.local"),
    ("REGISTRY_MIRROR", "mirror.example.com"),
)


class Rng:
    """splitmix64, as src/plan/synthetic.rs: stable across Python versions, unlike random's helpers."""

    def __init__(self, seed: int) -> None:
        self.state = seed & 0xFFFF_FFFF_FFFF_FFFF

    def next(self) -> int:
        self.state = (self.state + 0x9E37_79B9_7F4A_7C15) & 0xFFFF_FFFF_FFFF_FFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9) & 0xFFFF_FFFF_FFFF_FFFF
        z = ((z ^ (z >> 27)) * 0x94D0_49BB_1331_11EB) & 0xFFFF_FFFF_FFFF_FFFF
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        return self.next() % max(n, 1)

    def chance(self, percent: int) -> bool:
        return self.next() % 100 < percent

    def pick(self, items):
        return items[self.below(len(items))]


@dataclass
class App:
    index: int
    name: str
    namespace: str
    level: int
    helm: bool
    chart: str = ""
    component: bool = False
    wait: bool = False
    depends: list["App"] = field(default_factory=list)
    replicas: int = 1
    image: tuple = IMAGES[0]
    cache: bool = True
    ingress: bool = False


def namespace_names(count: int) -> list[str]:
    if count <= len(NAMESPACE_WORDS):
        return list(NAMESPACE_WORDS[:count])
    return [f"{NAMESPACE_WORDS[i % len(NAMESPACE_WORDS)]}-{i // len(NAMESPACE_WORDS)}" for i in range(count)]


def plan(apps: int, helm_ratio: float, seed: int) -> list[App]:
    """Decides every app's namespace, kind, chart and dependencies (all randomness lives here)."""
    rng = Rng(seed)
    namespaces = namespace_names(max(1, (apps + APPS_PER_NAMESPACE - 1) // APPS_PER_NAMESPACE))
    helm_count = round(apps * helm_ratio)
    # Exactly helm_count HelmRelease apps, spread evenly over the index range (Bresenham style).
    helm_flags = [((i + 1) * helm_count) // apps - (i * helm_count) // apps == 1 for i in range(apps)]
    result: list[App] = []
    by_level: dict[int, list[App]] = {}
    helm_seen = 0
    for i in range(apps):
        level = next(n for n, b in enumerate(LEVEL_BOUNDS) if i < round(apps * b) or b == 1.0)
        # With few apps a level can be empty: never skip one, so "the level just below" always exists.
        level = min(level, max(by_level) + 1 if by_level else 0)
        # The first apps fill every namespace once, so none is empty.
        ns = namespaces[i] if i < len(namespaces) else rng.pick(namespaces)
        app = App(i, f"{APP_WORDS[i % len(APP_WORDS)]}-{i:04d}", ns, level, helm_flags[i])
        if app.helm:
            app.chart = CHARTS[0] if helm_seen % 4 != 3 else CHARTS[1]  # 3 webapp : 1 plain
            helm_seen += 1
        app.component = rng.chance(50)
        app.wait = level == 0 and rng.chance(30)
        app.replicas = 1 + rng.below(3)
        app.image = rng.pick(IMAGES)
        app.cache = rng.chance(70)
        app.ingress = rng.chance(40)
        if level > 0 and rng.chance(85):
            # One dependency on the level just below keeps the DAG several levels deep; maybe more on any lower one.
            below = by_level[level - 1]
            first = below[rng.below(len(below))]
            deps = {first.index: first}
            lower = [a for lv in range(level) for a in by_level[lv]]
            for _ in range(rng.below(3)):
                d = lower[rng.below(len(lower))]
                deps[d.index] = d
            app.depends = [deps[k] for k in sorted(deps)]
        by_level.setdefault(level, []).append(app)
        result.append(app)
    return result


# ---------------------------------------------------------------- file contents


def root_ks() -> str:
    return """---
# Roots, synced by the flux-system Kustomization that `flux bootstrap` creates for ./kubernetes/flux/cluster.
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-settings
  namespace: flux-system
spec:
  interval: 1h
  path: ./kubernetes/flux/settings
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  wait: false
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: cluster-apps
  namespace: flux-system
spec:
  dependsOn:
    - name: cluster-settings
  deletionPolicy: WaitForTermination
  interval: 1h
  path: ./kubernetes/apps
  # Fills the per-namespace copies of cluster-settings (kubernetes/components/common).
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  wait: false
  patches:
    - # Add Kustomization defaults for all child Kustomizations
      patch: |-
        apiVersion: kustomize.toolkit.fluxcd.io/v1
        kind: Kustomization
        metadata:
          name: _
        spec:
          deletionPolicy: WaitForTermination
          postBuild:
            substituteFrom:
              - kind: ConfigMap
                name: cluster-settings
          patches:
            - patch: |-
                apiVersion: helm.toolkit.fluxcd.io/v2
                kind: HelmRelease
                metadata:
                  name: _
                spec:
                  install:
                    crds: CreateReplace
                  rollback:
                    cleanupOnFail: true
                  upgrade:
                    cleanupOnFail: true
                    crds: CreateReplace
                    strategy:
                      name: RemediateOnFailure
                    remediation:
                      remediateLastFailure: true
                      retries: 2
              target:
                group: helm.toolkit.fluxcd.io
                kind: HelmRelease
      target:
        group: kustomize.toolkit.fluxcd.io
        kind: Kustomization
"""


def settings_files() -> dict[str, str]:
    data = "".join(f"  {k}: {json.dumps(v)}\n" for k, v in SETTINGS)
    return {
        "kubernetes/flux/settings/kustomization.yaml": kustomization(["./cluster-settings.yaml"]),
        "kubernetes/flux/settings/cluster-settings.yaml": f"""---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
{data}""",
    }


def components() -> dict[str, str]:
    copy = "".join(f"  {k}: ${{{k}}}\n" for k, _ in SETTINGS)
    return {
        "kubernetes/components/common/kustomization.yaml": """---
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - ./cluster-settings.yaml
labels:
  - pairs:
      app.kubernetes.io/part-of: home-ops
""",
        "kubernetes/components/common/cluster-settings.yaml": f"""---
# A copy of flux-system/cluster-settings in every app namespace: the child Kustomizations live there and
# read substituteFrom from their own namespace. cluster-apps substitutes the values.
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
data:
{copy}""",
        "kubernetes/components/app/kustomization.yaml": """---
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - ./configmap.yaml
labels:
  - pairs:
      home-ops/component: app
""",
        "kubernetes/components/app/configmap.yaml": """---
apiVersion: v1
kind: ConfigMap
metadata:
  # ${APP} comes from the app Kustomization's postBuild.substitute.
  name: ${APP}-common
data:
  APP: ${APP}
  LOG_LEVEL: ${LOG_LEVEL:=info}
  CLUSTER: ${CLUSTER_NAME}
""",
    }


def kustomization(resources: list[str], namespace: str = "", components_: list[str] | None = None) -> str:
    out = "---\napiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
    if namespace:
        out += f"namespace: {namespace}\n"
    if components_:
        out += "components:\n" + "".join(f"  - {c}\n" for c in components_)
    return out + "resources:\n" + "".join(f"  - {r}\n" for r in resources)


def namespace_yaml() -> str:
    # Named "_" as in onedr0p/home-ops: the kustomization's `namespace:` renames Namespace objects.
    return """---
apiVersion: v1
kind: Namespace
metadata:
  name: _
  annotations:
    kustomize.toolkit.fluxcd.io/prune: disabled
"""


def app_ks(app: App) -> str:
    out = f"""---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: &app {app.name}
spec:
  commonMetadata:
    labels:
      app.kubernetes.io/name: *app
"""
    if app.component:
        out += "  components:\n    - ../../../../components/app\n"
    if app.depends:
        out += "  dependsOn:\n"
        for d in app.depends:
            out += f"    - name: {d.name}\n"
            if d.namespace != app.namespace:
                out += f"      namespace: {d.namespace}\n"
    out += f"""  interval: 1h
  path: ./kubernetes/apps/{app.namespace}/{app.name}/app
  postBuild:
    substitute:
      APP: *app
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
    namespace: flux-system
  targetNamespace: {app.namespace}
  timeout: 5m
  wait: {"true" if app.wait else "false"}
"""
    return out


def app_configmap() -> str:
    return """---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${APP}-settings
data:
  APP: ${APP}
  URL: https://${APP}.${CLUSTER_DOMAIN}
  TZ: ${TIMEZONE:=UTC}
  STORAGE_CLASS: ${STORAGE_CLASS}
"""


def helmrelease(app: App) -> str:
    repo, tag, _port = app.image
    if app.chart == "webapp":
        values = f"""    replicaCount: {app.replicas}
    image:
      repository: {repo}
      tag: "{tag}"
    config:
      logLevel: {"debug" if app.index % 5 == 0 else "info"}
      features:
        - {app.name}
        - metrics
      extra:
        timezone: ${{TIMEZONE:=UTC}}
        cluster: ${{CLUSTER_NAME}}
    ingress:
      enabled: {"true" if app.ingress else "false"}
      host: ${{APP}}.${{CLUSTER_DOMAIN}}
    cache:
      enabled: {"true" if app.cache else "false"}
"""
    else:
        values = "    message: hello from ${APP} in ${CLUSTER_NAME}\n"
    return f"""---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: {app.name}
spec:
  chart:
    spec:
      chart: ./charts/{app.chart}
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
  interval: 1h
  values:
{values}"""


def deployment(app: App) -> str:
    repo, tag, port = app.image
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${{APP}}
spec:
  replicas: {app.replicas}
  selector:
    matchLabels:
      app.kubernetes.io/instance: ${{APP}}
  template:
    metadata:
      labels:
        app.kubernetes.io/instance: ${{APP}}
    spec:
      containers:
        - name: app
          image: {repo}:{tag}
          envFrom:
            - configMapRef:
                name: ${{APP}}-settings
          ports:
            - name: http
              containerPort: {port}
"""


def service() -> str:
    return """---
apiVersion: v1
kind: Service
metadata:
  name: ${APP}
spec:
  selector:
    app.kubernetes.io/instance: ${APP}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def app_files(app: App) -> dict[str, str]:
    base = f"kubernetes/apps/{app.namespace}/{app.name}"
    files = {f"{base}/ks.yaml": app_ks(app), f"{base}/app/configmap.yaml": app_configmap()}
    if app.helm:
        files[f"{base}/app/helmrelease.yaml"] = helmrelease(app)
        resources = ["./configmap.yaml", "./helmrelease.yaml"]
    else:
        files[f"{base}/app/deployment.yaml"] = deployment(app)
        files[f"{base}/app/service.yaml"] = service()
        resources = ["./configmap.yaml", "./deployment.yaml", "./service.yaml"]
    files[f"{base}/app/kustomization.yaml"] = kustomization(resources)
    return files


def touched(files: dict[str, str], apps: list[App], count: int, seed: int) -> dict[str, str]:
    """A deterministic change to `count` apps (a value or replica count), for diff benchmarks."""
    rng = Rng(seed ^ 0x5EED)
    order = sorted(apps, key=lambda a: rng.next())[:count]
    changed = {}
    for app in sorted(order, key=lambda a: a.index):
        base = f"kubernetes/apps/{app.namespace}/{app.name}/app"
        path = f"{base}/configmap.yaml"
        changed[path] = files[path] + "  REVISION: \"2\"\n"
        if app.helm and app.chart == "webapp":
            path = f"{base}/helmrelease.yaml"
            changed[path] = files[path].replace(f"replicaCount: {app.replicas}", f"replicaCount: {app.replicas + 1}")
    return changed


def render(apps: list[App]) -> dict[str, str]:
    files: dict[str, str] = {"kubernetes/flux/cluster/ks.yaml": root_ks()}
    files.update(settings_files())
    files.update(components())
    by_ns: dict[str, list[App]] = {}
    for app in apps:
        by_ns.setdefault(app.namespace, []).append(app)
        files.update(app_files(app))
    for ns, members in by_ns.items():
        files[f"kubernetes/apps/{ns}/namespace.yaml"] = namespace_yaml()
        resources = ["./namespace.yaml"] + [f"./{a.name}/ks.yaml" for a in sorted(members, key=lambda a: a.name)]
        files[f"kubernetes/apps/{ns}/kustomization.yaml"] = kustomization(
            resources, namespace=ns, components_=["../../components/common"]
        )
    return files


# ---------------------------------------------------------------- writing


def write_tree(out: Path, files: dict[str, str]) -> None:
    for rel in sorted(files):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel], encoding="utf-8")


def copy_charts(out: Path) -> None:
    for chart in CHARTS:
        src = CHARTS_SRC / chart
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            dest = out / "charts" / chart / path.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(path.read_bytes())


def git(out: Path, *args: str) -> None:
    # Fixed identity and dates: the same arguments give the same commit ids.
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "gen-repo", "GIT_AUTHOR_EMAIL": "gen-repo@example.com",
        "GIT_COMMITTER_NAME": "gen-repo", "GIT_COMMITTER_EMAIL": "gen-repo@example.com",
        "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
        "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
    }
    subprocess.run(["git", "-C", str(out), *args], check=True, env=env, stdout=subprocess.DEVNULL)


def prepare_out(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not force:
            sys.exit(f"gen-repo: {out} is not empty (use --force to replace an earlier gen-repo output)")
        if not (out / MARKER).is_file():
            sys.exit(f"gen-repo: {out} has no {MARKER}: not a gen-repo output, refusing to delete it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--apps", type=int, required=True, help="number of apps (= child Flux Kustomizations)")
    p.add_argument("--helm-ratio", type=float, default=0.8, help="share of apps deployed by a HelmRelease")
    p.add_argument("--seed", type=int, default=1, help="seed of namespaces, dependsOn and values")
    p.add_argument("--out", type=Path, required=True, help="directory to write (must be empty or absent)")
    p.add_argument("--force", action="store_true", help="replace OUT if it is an earlier gen-repo output")
    p.add_argument("--with-git", action="store_true", help="git init + one commit on branch main")
    p.add_argument("--touch", type=int, default=0, metavar="K",
                   help="then change K apps in the working tree (uncommitted with --with-git), for diffs")
    a = p.parse_args()
    if a.apps < 1 or not 0.0 <= a.helm_ratio <= 1.0 or a.touch < 0:
        sys.exit("gen-repo: need --apps >= 1, 0 <= --helm-ratio <= 1, --touch >= 0")
    start = time.monotonic()
    prepare_out(a.out, a.force)
    apps = plan(a.apps, a.helm_ratio, a.seed)
    files = render(apps)
    files[MARKER] = json.dumps({"apps": a.apps, "helm_ratio": a.helm_ratio, "seed": a.seed}, sort_keys=True) + "\n"
    write_tree(a.out, files)
    copy_charts(a.out)
    if a.with_git:
        git(a.out, "init", "--quiet", "--initial-branch=main")
        git(a.out, "add", "--all")
        git(a.out, "commit", "--quiet", "--no-gpg-sign", "-m", f"gen-repo --apps {a.apps} --seed {a.seed}")
    if a.touch:
        write_tree(a.out, touched(files, apps, min(a.touch, a.apps), a.seed))
    helm = sum(app.helm for app in apps)
    depth = max(app.level for app in apps) + 1
    print(f"gen-repo: {a.out}: {len(apps) + 2} Flux Kustomizations ({len(apps)} apps + 2 roots), "
          f"{helm} HelmReleases, {len({x.namespace for x in apps})} namespaces, dependsOn levels {depth}, "
          f"{sum(len(x.depends) for x in apps)} dependsOn edges, {time.monotonic() - start:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
