#!/usr/bin/env bash
# Writes the test certificate authority and the 127.0.0.1/localhost server certificate it signs
# into testdata/tls/ (used by tests/tls_roots.rs). Valid for 100 years; rerun to replace them.
set -euo pipefail
out="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/testdata/tls"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 36500 \
  -subj "/CN=fluxsim test CA" -keyout "$work/ca.key" -out "$out/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
  -keyout "$out/server.key" -out "$work/server.csr"
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
  "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" >"$work/ext"
openssl x509 -req -in "$work/server.csr" -CA "$out/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -CAserial "$work/ca.srl" -days 36500 -extfile "$work/ext" -out "$out/server.pem"
openssl pkcs8 -topk8 -nocrypt -in "$out/server.key" -out "$out/server.key.pk8"
mv "$out/server.key.pk8" "$out/server.key"
echo "wrote $out/ca.pem, server.pem, server.key"
