#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the pinned tools when missing, puts them
# first on PATH, then runs every test (unit, integration with the real kustomize/helm/sops, doc).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-tools.sh
export PATH="$root/.tools/bin:$PATH"
cargo test --all-targets --locked "$@"
