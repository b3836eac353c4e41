//! The examples and exit statuses every command's `--help` ends with.

pub const ROOT: &str = "\
Examples:
  fluxsim get ks --path kubernetes/flux/cluster
  fluxsim build --path kubernetes/flux/cluster --output-dir /tmp/snapshot
  fluxsim diff --base origin/main -o markdown > comment.md
  fluxsim validate --path kubernetes/flux/cluster
  flux-local and flate command lines work too, e.g.
  fluxsim test --enable-helm --all-namespaces --path kubernetes/flux/cluster -v

Every flag can also come from FLUXSIM_<FLAG> (e.g. FLUXSIM_PATH, FLUXSIM_OUTPUT); an invalid
value is an error.

Exit status: 0 success; 1 failures found (or differences with diff --exit-code);
2 usage or setup error.";

pub const GET: &str = "\
Examples:
  fluxsim get ks --path kubernetes/flux/cluster
  fluxsim get hr -o wide -n media
  fluxsim get images -o name

Exit status: 0 success; 1 an owner failed; 2 usage or setup error.";

pub const GET_KS: &str = "\
Examples:
  fluxsim get ks --path kubernetes/flux/cluster
  fluxsim get ks -o wide                  # source, parent, file and dependsOn too
  fluxsim get ks -o name -l app.kubernetes.io/name=echo
  fluxsim get ks apps -n flux-system -o json

Exit status: 0 success; 1 an owner failed; 2 usage or setup error (or NAME matches nothing).";

pub const GET_HR: &str = "\
Examples:
  fluxsim get hr --path kubernetes/flux/cluster
  fluxsim get hr -o wide                  # version, Kustomization and file too
  fluxsim get hr echo -o yaml

Exit status: 0 success; 1 an owner failed; 2 usage or setup error (or NAME matches nothing).";

pub const GET_IMAGES: &str = "\
Examples:
  fluxsim get images --path kubernetes/flux/cluster
  fluxsim get images -o name | sort -u    # one image per line
  fluxsim get images -o json -n media

Exit status: 0 success; 1 an owner failed; 2 usage or setup error.";

pub const BUILD: &str = "\
Examples:
  fluxsim build --path kubernetes/flux/cluster > cluster.yaml
  fluxsim build ks cluster-apps            # one Kustomization's objects
  fluxsim build hr default/plex -o json    # one HelmRelease's objects
  fluxsim build --skip-crds --skip-secrets --skip-kinds ConfigMap
  fluxsim build --output-dir snapshot      # a snapshot folder
  fluxsim build --base main                # only what changed since main

Output: every object of the selected owners, in dependency order. By default nothing is left
out: CRDs and Secrets (their values redaction tokens) are printed; --skip-crds, --skip-secrets
and --skip-kinds leave them out of stdout (never out of the render or --output-dir).

Exit status: 0 success; 1 an owner failed; 2 usage or setup error (or NAME matches nothing).";

pub const DIFF: &str = "\
Examples:
  fluxsim diff --base origin/main
  fluxsim diff hr -o markdown --base main > comment.md
  fluxsim diff ks -u 6 --path pr/kubernetes/flux/cluster -P main/kubernetes/flux/cluster
  fluxsim diff images -o json --base main  # images to pre-pull
  fluxsim diff --exit-code --base main

Exit status: 0 success; 1 an owner failed on the head (or differences with --exit-code);
2 usage or setup error.";

pub const PLAN: &str = "\
Examples:
  fluxsim plan --path kubernetes/flux/cluster
  fluxsim plan -o mermaid > plan.mmd

Exit status: 0 success; 1 a check found an error; 2 usage or setup error.";

pub const VALIDATE: &str = "\
Examples:
  fluxsim validate --path kubernetes/flux/cluster
  fluxsim validate -o junit > fluxsim.xml
  fluxsim validate --fail-on warning        # warnings fail too
  fluxsim test hr echo                      # flate: one HelmRelease
  fluxsim test --enable-helm --all-namespaces --path kubernetes/flux/cluster -v   # flux-local

Exit status: 0 everything passed; 1 an owner failed or is blocked (or warned, with
--fail-on warning); 2 usage or setup error.";

pub const CACHE: &str = "\
Examples:
  fluxsim cache usage
  fluxsim cache gc --max-age 30d --max-size 2G
  fluxsim cache clear

Exit status: 0 success; 2 usage or setup error.";
