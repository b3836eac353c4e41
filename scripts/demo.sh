#!/usr/bin/env bash
# The main job on the example repository shipped in testdata/: installs the pinned tools when
# missing, builds fluxsim, renders every Flux Kustomization of the example into a snapshot and
# prints the Kustomization table and a summary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-tools.sh
export PATH="$root/.tools/bin:$PATH"
cargo build --release --locked --quiet
example="testdata/example/kubernetes/flux/cluster"
out="${1:-$root/target/example-snapshot}"
# The example's SOPS secrets are encrypted to this test key.
bin="${CARGO_TARGET_DIR:-$root/target}/release/fluxsim"
fluxsim=("$bin" --path "$example" --age-key-file testdata/sops/keys/main.agekey)
"${fluxsim[@]}" get ks --quiet
echo
"${fluxsim[@]}" get hr --quiet
echo
"${fluxsim[@]}" build --output-dir "$out"
echo "snapshot written to $out (index: $out/index.yaml)"
