#!/usr/bin/env bash
# The fluxsim GitHub Action's main step: `fluxsim diff -o markdown` for each cluster, one sticky
# PR comment per cluster (comment.sh), the job summary, and the `changed` output.
#
# Inputs, as environment variables (action.yml maps its inputs to them):
#   INPUT_CLUSTERS  lines or commas of NAME=PATH (the comment's marker carries NAME)
#   INPUT_PATHS     lines or commas of PATH (NAME is the path itself); one of the two is needed
#   INPUT_BASE      the base revision (default: origin/$GITHUB_BASE_REF on a pull request)
#   INPUT_ARGS      more fluxsim arguments, split on whitespace (e.g. "--full -j 4")
#   INPUT_NETWORK   any | public-only | offline, passed as --network (default on a pull request
#                   from a fork: public-only; otherwise fluxsim's own default)
#   INPUT_COMMENT   true | false | auto (default auto: comment unless the PR comes from a fork,
#                   whose token cannot write comments)
#   INPUT_LIMIT     characters for one comment (default and maximum: 65536, GitHub's limit)
#   FLUXSIM         the fluxsim program (default: fluxsim on PATH)
# and GitHub's own: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_BASE_REF, GITHUB_STEP_SUMMARY,
# GITHUB_OUTPUT, plus what comment.sh reads (GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN).
#
# Exit status: 0 when every cluster was diffed and commented; 1 when fluxsim could not diff a
# cluster (usage or setup error) or the API refused a comment.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fluxsim="${FLUXSIM:-fluxsim}"
max_chars=65536
limit="${INPUT_LIMIT:-$max_chars}"
[ "$limit" -le "$max_chars" ] || limit=$max_chars

die() {
  printf '::error title=fluxsim::%s\n' "$*" >&2
  exit 1
}

# Is this a pull request whose head lives in another repository (a fork)?
from_fork=false
pr=""
if [ -f "${GITHUB_EVENT_PATH:-}" ]; then
  pr="$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")"
  if [ -n "$pr" ]; then
    from_fork="$(jq -r '(.pull_request.head.repo.full_name // "") != (.pull_request.base.repo.full_name // "")' "$GITHUB_EVENT_PATH")"
  fi
fi

# The clusters: "NAME<TAB>PATH" lines.
trim() { printf '%s' "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'; }
split_list() { # a newline/comma separated list, one item a line, blanks dropped
  printf '%s\n' "$1" | tr ',' '\n' | while IFS= read -r item; do
    item="$(trim "$item")"
    [ -z "$item" ] || printf '%s\n' "$item"
  done
}
clusters="$(mktemp)"
trap 'rm -f "$clusters"' EXIT
while IFS= read -r item; do
  case "$item" in
    ?*=?*) printf '%s\t%s\n' "$(trim "${item%%=*}")" "$(trim "${item#*=}")" >>"$clusters" ;;
    *) die "clusters: '$item' is not NAME=PATH" ;;
  esac
done < <(split_list "${INPUT_CLUSTERS:-}")
split_list "${INPUT_PATHS:-}" | sed 's#/*$##' | awk '{ print $0 "\t" $0 }' >>"$clusters"
[ -s "$clusters" ] || die "no cluster: set the paths or clusters input"
dupes="$(cut -f1 "$clusters" | sort | uniq -d)"
[ -z "$dupes" ] || die "cluster names must be unique: $dupes"

base="${INPUT_BASE:-}"
if [ -z "$base" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
  base="origin/$GITHUB_BASE_REF"
  # A clone without the base branch (actions/checkout's default depth) cannot be diffed.
  if ! git rev-parse --verify --quiet "$base^{commit}" >/dev/null; then
    echo "fluxsim: fetching $GITHUB_BASE_REF for the base side"
    git fetch --no-tags --quiet origin "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF" ||
      die "cannot fetch the base branch $GITHUB_BASE_REF: use actions/checkout with fetch-depth: 0"
  fi
fi

network="${INPUT_NETWORK:-}"
if [ -z "$network" ] && [ "$from_fork" = true ]; then
  network=public-only
fi

comment="${INPUT_COMMENT:-auto}"
case "$comment" in
  auto) if [ -n "$pr" ] && [ "$from_fork" = false ]; then comment=true; else comment=false; fi ;;
  true | false) ;;
  *) die "comment: expected true, false or auto, got '$comment'" ;;
esac

extra=()
if [ -n "${INPUT_ARGS:-}" ]; then
  read -r -a extra <<<"$INPUT_ARGS"
fi

any_changed=false
failed=""
changed_names=""
work="$(mktemp -d)"
trap 'rm -f "$clusters"; rm -rf "$work"' EXIT
n=0
while IFS="$(printf '\t')" read -r name path; do
  n=$((n + 1))
  out="$work/$n.md"
  # The marker and title comment.sh adds, in bytes (a budget in bytes also bounds characters).
  overhead=$((${#name} * 2 + 64))
  cmd=("$fluxsim" diff -o markdown --exit-code --path "$path" --limit-bytes "$((limit - overhead))")
  [ -z "$base" ] || cmd+=(--base "$base")
  [ -z "$network" ] || cmd+=(--network "$network")
  [ ${#extra[@]} -eq 0 ] || cmd+=("${extra[@]}")
  echo "::group::fluxsim diff: $name ($path)"
  echo "+ ${cmd[*]}"
  set +e
  "${cmd[@]}" >"$out" 2>"$work/$n.err"
  rc=$?
  set -e
  cat "$work/$n.err" >&2
  echo "::endgroup::"
  # Exit 1 also means failures in the head without changes: the markdown says which.
  changed=false
  if [ "$rc" -eq 1 ] && ! sed -n '1,6p' "$out" | grep -qx 'No changes\.'; then
    changed=true
  elif [ "$rc" -gt 1 ]; then
    printf '::error title=fluxsim diff %s::fluxsim exited with %s: %s\n' "$name" "$rc" "$(tail -n 1 "$work/$n.err")" >&2
    failed="$failed $name"
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
      # shellcheck disable=SC2016 # the backquotes are markdown
      printf '## fluxsim diff: `%s`\n\nfluxsim could not diff this cluster (exit %s):\n\n```\n%s\n```\n\n' \
        "$name" "$rc" "$(tail -n 20 "$work/$n.err")" >>"$GITHUB_STEP_SUMMARY"
    fi
    continue
  fi
  if [ "$changed" = true ]; then
    any_changed=true
    changed_names="${changed_names:+$changed_names,}$name"
  fi
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    sed "1d; s|^## fluxsim diff\$|## fluxsim diff: \`$name\`|" "$out" >>"$GITHUB_STEP_SUMMARY"
    printf '\n' >>"$GITHUB_STEP_SUMMARY"
  fi
  if [ "$comment" = true ]; then
    FLUXSIM_PR="${FLUXSIM_PR:-$pr}" "$here/comment.sh" --cluster "$name" --body "$out" --changed "$changed" ||
      failed="$failed $name"
  fi
done <"$clusters"

if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "changed=$any_changed"
    echo "changed-clusters=$changed_names"
  } >>"$GITHUB_OUTPUT"
fi
echo "fluxsim: changed=$any_changed${changed_names:+ ($changed_names)}"
[ -z "$failed" ] || die "failed for:$failed"
