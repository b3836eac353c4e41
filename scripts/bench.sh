#!/usr/bin/env bash
# Benchmarks (see scripts/bench.py): installs tools when missing, builds release, runs the cases.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/install-tools.sh"
exec python3 "$root/scripts/bench.py" "$@"
