#!/usr/bin/env bash
# Builds a statically linked Linux fluxsim on this machine and proves it: `file` and `ldd` say
# static, and it runs `--version` and renders testdata/example in an empty environment whose PATH
# holds only the pinned helm and kustomize.
#
#   scripts/release-build-check.sh [--target TRIPLE] [--keep DIR]
#
# Target: x86_64-unknown-linux-musl (what the release workflow ships) when rustup has it or can
# add it; otherwise x86_64-unknown-linux-gnu with `-C target-feature=+crt-static`, saying why.
# Whatever cannot be done here is said, with the reason, and makes the script exit 1.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

target="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --target) target="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "usage: $0 [--target TRIPLE] [--keep DIR]" >&2; exit 2 ;;
  esac
done

say() { printf 'release-build-check: %s\n' "$*" >&2; }
fail() { say "FAILED: $*"; exit 1; }

musl=x86_64-unknown-linux-musl
gnu_fallback() {
  say "$1"
  say "building x86_64-unknown-linux-gnu with +crt-static instead (glibc's static getaddrinfo"
  say "still loads NSS modules at run time; the release workflow ships musl builds)"
  target=x86_64-unknown-linux-gnu
}
if [ -z "$target" ]; then
  if ! rustup target list --installed 2>/dev/null | grep -qx "$musl" &&
    ! why="$(rustup target add "$musl" 2>&1)"; then
    gnu_fallback "cannot use $musl: rustup target add said: $(printf '%s' "$why" | tail -n 1)"
  # ring compiles C for the target: cc-rs wants x86_64-linux-musl-gcc, or musl-gcc named in CC_*.
  elif ! command -v x86_64-linux-musl-gcc >/dev/null && ! command -v musl-gcc >/dev/null; then
    gnu_fallback "cannot use $musl: no musl C compiler for ring (Debian: apt-get install musl-tools)"
  else
    target=$musl
  fi
fi
case "$target" in
  *-musl) command -v x86_64-linux-musl-gcc >/dev/null || export CC_x86_64_unknown_linux_musl=musl-gcc ;;
esac
flags="-C target-feature=+crt-static"

export PATH="$root/.tools/bin:$PATH"
if [ ! -x "$root/.tools/bin/helm" ] || [ ! -x "$root/.tools/bin/kustomize" ]; then
  scripts/install-tools.sh
fi

say "cargo build --release --locked --target $target (RUSTFLAGS=$flags)"
# An explicit --target keeps build scripts and proc macros dynamic: only fluxsim is static.
RUSTFLAGS="$flags" FLUXSIM_GIT_COMMIT="${FLUXSIM_GIT_COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}" \
  cargo build --release --locked --target "$target" --bin fluxsim
bin="${CARGO_TARGET_DIR:-$root/target}/$target/release/fluxsim"
[ -x "$bin" ] || fail "no binary at $bin"

info="$(file -b "$bin")"
say "file: $info"
case "$info" in
  *"statically linked"* | *"static-pie linked"*) ;;
  *) fail "file does not call $bin static" ;;
esac
ldd_out="$(ldd "$bin" 2>&1 || true)"
say "ldd: $ldd_out"
case "$ldd_out" in
  *"not a dynamic executable"* | *"statically linked"*) ;;
  *) fail "ldd lists shared libraries" ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home"
# Only the pinned tools: no git, no kubectl, no shell utilities.
ln -s "$root/.tools/bin/helm" "$work/bin/helm"
ln -s "$root/.tools/bin/kustomize" "$work/bin/kustomize"
cp "$bin" "$work/fluxsim"
empty_env=(env -i "PATH=$work/bin" "HOME=$work/home")

version="$("${empty_env[@]}" "$work/fluxsim" --version)" || fail "--version failed"
printf '%s\n' "$version" >&2
case "$version" in
  *"fluxsim "*"(commit "*) ;;
  *) fail "--version has no fluxsim version and commit" ;;
esac
# Debian's kustomize 5.8.1 (scripts/install-tools.sh) calls itself "(devel)": check the path.
printf '%s\n' "$version" | grep -qF "($work/bin/kustomize)" || fail "--version did not find the pinned kustomize"
printf '%s\n' "$version" | grep -q '^helm: v4\.3\.1' || fail "--version did not find the pinned helm"

example="$root/testdata/example/kubernetes/flux/cluster"
"${empty_env[@]}" "$work/fluxsim" build --path "$example" --repo-root "$root/testdata/example" \
  --age-key-file "$root/testdata/sops/keys/main.agekey" --cache-dir "$work/cache" \
  --output-dir "$work/snapshot" --no-progress || fail "rendering testdata/example failed"
[ -s "$work/snapshot/index.yaml" ] || fail "no snapshot index"
objects="$(find "$work/snapshot" -name '*.yaml' ! -name index.yaml | wc -l | tr -d ' ')"
[ "$objects" -gt 0 ] || fail "the snapshot holds no objects"
hr="$(find "$work/snapshot/hr" -mindepth 2 -maxdepth 2 -type d 2>/dev/null | wc -l | tr -d ' ')"
[ "$hr" -gt 0 ] || fail "no HelmRelease was rendered"

size="$(du -h "$bin" | cut -f1)"
say "OK: $target, static, $size; --version and the example render ($objects objects, $hr HelmReleases) ran with only helm and kustomize on PATH"
if [ -n "$keep" ]; then
  mkdir -p "$keep" && cp "$bin" "$keep/fluxsim" && say "kept the binary in $keep/fluxsim"
fi
