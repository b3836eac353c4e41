#!/usr/bin/env bash
# Regenerates the encrypted SOPS fixtures in this folder from plain/ with the real sops program.
# Not run by the tests (the outputs are committed): sops encryption is randomised, so every run
# produces different ciphertext. Run it by hand after changing a plaintext, then re-run the tests.
#
#   SOPS=/path/to/sops bash testdata/sops/make-fixtures.sh     (default: .tools/bin/sops of the repo)
#
# Recipients:
#   MAIN   keys/main.agekey   every fixture
#   OTHER  a recipient whose private key is deliberately not kept (types.enc.yaml, cluster-secrets)
#   G2/G3  keys/group2.agekey, keys/group3.agekey   Shamir key groups of shamir.enc.yaml
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
SOPS="${SOPS:-$repo/.tools/bin/sops}"
cd "$here"

pub() { sed -n 's/^# public key: //p' "$1"; }
MAIN="$(pub keys/main.agekey)"
G2="$(pub keys/group2.agekey)"
G3="$(pub keys/group3.agekey)"
OTHER=age1khhv2jpcteg3uzy3ht77h6jj6tyfeewgupct0pq4uufqu4q6vusqh9pusd

# An empty config, so that no .sops.yaml of the surrounding repository applies.
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo 'creation_rules: [{path_regex: ".*"}]' > "$tmp/empty.yaml"

enc() { # enc TYPE OUT IN [sops options...]
  local type="$1" out="$2" in="$3"; shift 3
  "$SOPS" --disable-version-check --config "$tmp/empty.yaml" \
    --input-type "$type" --output-type "$type" "$@" --encrypt "$in" > "$out"
}

enc yaml types.enc.yaml plain/types.yaml --age "$MAIN,$OTHER"
enc yaml cluster-secrets.enc.yaml plain/cluster-secrets.yaml --age "$MAIN,$OTHER" --encrypted-regex '^(data|stringData)$'
enc yaml mac-only.enc.yaml plain/mac-only.yaml --age "$MAIN" --encrypted-regex '^(data|stringData)$' --mac-only-encrypted
enc yaml unencrypted-regex.enc.yaml plain/unencrypted-regex.yaml --age "$MAIN" --unencrypted-regex '^(description|metadata)$'
enc yaml encrypted-suffix.enc.yaml plain/encrypted-suffix.yaml --age "$MAIN" --encrypted-suffix _secret
enc yaml unencrypted-suffix.enc.yaml plain/unencrypted-suffix.yaml --age "$MAIN" --unencrypted-suffix _plain
enc yaml comment-regex.enc.yaml plain/comment-regex.yaml --age "$MAIN" --encrypted-comment-regex 'sops:enc'
enc yaml multidoc.enc.yaml plain/multidoc.yaml --age "$MAIN" --encrypted-regex '^(data|stringData)$'
enc dotenv app.enc.env plain/app.env --age "$MAIN"
enc json config.enc.json plain/config.json --age "$MAIN"
enc ini settings.enc.ini plain/settings.ini --age "$MAIN"
enc binary blob.enc.bin plain/blob.bin --age "$MAIN"

# 2-of-3 Shamir key groups need a creation rule.
cat > "$tmp/shamir.yaml" <<CFG
creation_rules:
  - shamir_threshold: 2
    key_groups:
      - age: [$MAIN]
      - age: [$G2]
      - age: [$G3]
CFG
"$SOPS" --disable-version-check --config "$tmp/shamir.yaml" \
  --input-type yaml --output-type yaml --encrypt plain/shamir.yaml > shamir.enc.yaml

# A plain Secret whose data values are whole sops documents (Flux's Secret data pass).
b64() { base64 -w0 "$1"; }
cat > secret-nested.yaml <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: nested
type: Opaque
data:
  config.yaml: $(b64 cluster-secrets.enc.yaml)
  app.env: $(b64 app.enc.env)
  blob.bin: $(b64 blob.enc.bin)
  settings.json: $(b64 config.enc.json)
  plain.txt: $(printf 'not encrypted' | base64 -w0)
YAML
echo "fixtures regenerated with $("$SOPS" --disable-version-check --version 2>/dev/null | head -1)"
