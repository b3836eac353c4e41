#!/usr/bin/env bash
# Writes the SOPS-encrypted files of this fixture with the real sops and the test key
# testdata/sops/keys/main.agekey. Not run by the tests (outputs are committed; ciphertexts change
# on every run). The plaintexts are here, and tests/untrusted_secrets.rs lists them.
#
#   SOPS=/path/to/sops bash testdata/repos/untrusted-secrets/make-fixtures.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
SOPS="${SOPS:-$repo/.tools/bin/sops}"
MAIN="$(sed -n 's/^# public key: //p' "$repo/testdata/sops/keys/main.agekey")"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo 'creation_rules: [{path_regex: ".*"}]' > "$tmp/empty.yaml"
enc() { # enc TYPE OUT [sops options...] < plaintext
  local type="$1" out="$2"; shift 2
  cat > "$tmp/in"
  "$SOPS" --disable-version-check --config "$tmp/empty.yaml" --input-type "$type" \
    --output-type "$type" --age "$MAIN" "$@" --encrypt "$tmp/in" > "$here/$out"
}

# The real secret: an encrypted Secret whose values charts quote.
enc yaml secrets/db.sops.yaml --encrypted-regex '^(data|stringData)$' <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: apps
stringData:
  password: Tr0ub4dor-Leak-Pass-9431
data:
  token: TGVhay1BcGktVG9rZW4tMjIwNy16eg==
YAML

# A patch whose every value is encrypted, the target's name included: kustomize's error for a
# patch without a target quotes that name.
enc yaml broken/patch.sops.yaml <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: leaky-patch-name-8813
stringData:
  password: Patch-Leak-Value-6620
YAML

# secretGenerator inputs.
printf 'Gen-File-Secret-3390' | enc binary generated/token.sops.txt
printf 'GEN_TOKEN=Gen-Env-Secret-5512\n' | enc dotenv generated/app.sops.env
echo "fixtures written with $("$SOPS" --disable-version-check --version 2>/dev/null | head -1)"
