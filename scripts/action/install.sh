#!/usr/bin/env bash
# Installs fluxsim (a release binary), helm and kustomize into one folder, each archive checked
# against its sha256 before it is unpacked. Used by the GitHub Action (action.yml) and the
# Dockerfile.
#
#   install.sh --dir DIR [--fluxsim VERSION] [--helm VERSION] [--kustomize VERSION]
#              [--os linux|darwin] [--arch amd64|arm64]
#
# fluxsim is checked against the SHA256SUMS of its GitHub release (FLUXSIM_REPOSITORY, default
# the action's own repository); helm and kustomize against tool-checksums.txt beside this script
# (FLUXSIM_TOOL_CHECKSUMS to use another file). An archive with no pinned checksum is checked
# against the checksum its publisher serves beside it, with a warning; a mismatch always fails.
# Download bases can be changed for mirrors and tests: FLUXSIM_RELEASES_URL, HELM_DOWNLOAD_URL,
# KUSTOMIZE_DOWNLOAD_URL. A program already in DIR at the wanted version is left alone.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

dir="" fluxsim="" helm="" kustomize="" os="" arch=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --fluxsim) fluxsim="${2#v}"; shift 2 ;;
    --helm) helm="${2#v}"; shift 2 ;;
    --kustomize) kustomize="${2#v}"; shift 2 ;;
    --os) os="$2"; shift 2 ;;
    --arch) arch="$2"; shift 2 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

die() {
  printf '::error title=fluxsim install::%s\n' "$*" >&2
  exit 1
}
[ -n "$dir" ] || die "--dir DIR is required"
mkdir -p "$dir"

case "${os:-$(uname -s)}" in
  Linux | linux) os=linux ;;
  Darwin | darwin) os=darwin ;;
  *) die "unsupported OS $(uname -s): fluxsim ships Linux and macOS binaries" ;;
esac
case "${arch:-$(uname -m)}" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "unsupported CPU $(uname -m)" ;;
esac

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# fetch URL FILE
fetch() {
  curl --fail --silent --show-error --location --retry 3 --output "$2" "$1" ||
    die "cannot download $1"
}

# verify FILE NAME EXPECTED: NAME is the archive's published name, for messages.
verify() {
  local got
  got="$(sha256 "$1")"
  [ "$got" = "$3" ] || die "checksum mismatch for $2: expected $3, got $got"
}

# pinned NAME: the checksum tool-checksums.txt holds for NAME, or nothing.
pinned() {
  local file="${FLUXSIM_TOOL_CHECKSUMS:-$here/tool-checksums.txt}"
  awk -v name="$1" '!/^#/ && $2 == name { print $1; exit }' "$file"
}

# has PROGRAM PATTERN: DIR already holds PROGRAM whose version output matches PATTERN.
has() {
  [ -x "$dir/$1" ] && "$dir/$1" version 2>/dev/null | grep -q "$2"
}

install_fluxsim() {
  local version="$1" target
  case "$os/$arch" in
    linux/amd64) target=x86_64-unknown-linux-musl ;;
    linux/arm64) target=aarch64-unknown-linux-musl ;;
    darwin/arm64) target=aarch64-apple-darwin ;;
    *) die "no fluxsim release binary for $os/$arch: use cargo install" ;;
  esac
  if [ -x "$dir/fluxsim" ] && "$dir/fluxsim" --version 2>/dev/null | head -n 1 | grep -q "^fluxsim $version "; then
    return
  fi
  local repo="${FLUXSIM_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}"
  local base="${FLUXSIM_RELEASES_URL:-https://github.com/${repo}/releases/download}"
  [ -n "${FLUXSIM_RELEASES_URL:-}" ] || [ -n "$repo" ] || die "FLUXSIM_REPOSITORY (owner/name) is not set"
  local name="fluxsim-$version-$target.tar.gz"
  fetch "$base/v$version/$name" "$work/$name"
  fetch "$base/v$version/SHA256SUMS" "$work/SHA256SUMS"
  local want
  want="$(awk -v name="$name" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")"
  [ -n "$want" ] || die "SHA256SUMS of fluxsim v$version has no line for $name"
  verify "$work/$name" "$name" "$want"
  tar -xzf "$work/$name" -C "$work"
  install -m 0755 "$work/fluxsim-$version-$target/fluxsim" "$dir/fluxsim"
  echo "install.sh: fluxsim $version ($target)"
}

install_helm() {
  local version="$1"
  has helm "v$version" && return
  local name="helm-v$version-$os-$arch.tar.gz" base="${HELM_DOWNLOAD_URL:-https://get.helm.sh}"
  fetch "$base/$name" "$work/$name"
  local want
  want="$(pinned "$name")"
  if [ -z "$want" ]; then
    fetch "$base/$name.sha256sum" "$work/$name.sha256sum"
    want="$(cut -d' ' -f1 <"$work/$name.sha256sum")"
    printf '::warning title=fluxsim install::%s has no pinned checksum in tool-checksums.txt; checked against %s.sha256sum\n' "$name" "$base/$name" >&2
  fi
  verify "$work/$name" "$name" "$want"
  tar -xzf "$work/$name" -C "$work"
  install -m 0755 "$work/$os-$arch/helm" "$dir/helm"
  echo "install.sh: helm $version"
}

install_kustomize() {
  local version="$1"
  has kustomize "v$version" && return
  local name="kustomize_v${version}_${os}_${arch}.tar.gz"
  local base="${KUSTOMIZE_DOWNLOAD_URL:-https://github.com/kubernetes-sigs/kustomize/releases/download}/kustomize%2Fv$version"
  fetch "$base/$name" "$work/$name"
  local want
  want="$(pinned "$name")"
  if [ -z "$want" ]; then
    fetch "$base/checksums.txt" "$work/checksums.txt"
    want="$(awk -v name="$name" '$2 == name { print $1; exit }' "$work/checksums.txt")"
    [ -n "$want" ] || die "kustomize's checksums.txt has no line for $name"
    printf '::warning title=fluxsim install::%s has no pinned checksum in tool-checksums.txt; checked against its release checksums.txt\n' "$name" >&2
  fi
  verify "$work/$name" "$name" "$want"
  tar -xzf "$work/$name" -C "$work" kustomize
  install -m 0755 "$work/kustomize" "$dir/kustomize"
  echo "install.sh: kustomize $version"
}

[ -z "$fluxsim" ] || install_fluxsim "$fluxsim"
[ -z "$helm" ] || install_helm "$helm"
[ -z "$kustomize" ] || install_kustomize "$kustomize"
