#!/usr/bin/env bash
# Prints the tool-checksums.txt lines for a helm and a kustomize version, from the checksums
# their publishers serve (get.helm.sh's .sha256sum files, kustomize's release checksums.txt).
# Run it where those hosts are reachable and review the output before committing it:
#   scripts/action/pin-checksums.sh 4.3.1 5.8.1
set -euo pipefail
helm="${1:?helm version, e.g. 4.3.1}"; helm="${helm#v}"
kustomize="${2:?kustomize version, e.g. 5.8.1}"; kustomize="${kustomize#v}"
platforms="linux_amd64 linux_arm64 darwin_amd64 darwin_arm64"
echo "# helm $helm: get.helm.sh/helm-v$helm-<os>-<arch>.tar.gz.sha256sum"
for p in $platforms; do
  name="helm-v$helm-${p%_*}-${p#*_}.tar.gz"
  sum="$(curl -fsSL "https://get.helm.sh/$name.sha256sum" | cut -d' ' -f1)"
  printf '%s  %s\n' "$sum" "$name"
done
echo "# kustomize $kustomize: checksums.txt of release kustomize/v$kustomize"
sums="$(curl -fsSL "https://github.com/kubernetes-sigs/kustomize/releases/download/kustomize%2Fv$kustomize/checksums.txt")"
for p in $platforms; do
  printf '%s\n' "$sums" | awk -v name="kustomize_v${kustomize}_$p.tar.gz" '$2 == name { print $1 "  " $2 }'
done
