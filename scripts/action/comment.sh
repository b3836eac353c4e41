#!/usr/bin/env bash
# Creates or updates the sticky pull-request comment of one cluster, through the GitHub REST API.
#
#   comment.sh --cluster NAME --body FILE [--changed true|false]
#
# FILE is `fluxsim diff -o markdown` output. Its first line, fluxsim's `<!-- fluxsim-diff -->`,
# becomes `<!-- fluxsim-diff cluster=NAME -->`: the comment whose first line is exactly that
# (and, when FLUXSIM_COMMENT_AUTHOR is set, whose author has that login) is updated; comments of
# other clusters and other tools are never touched. Without one, a comment is created, except
# when --changed is false: a PR with nothing to show gets no new comment, while a comment left
# by an earlier run is updated to say "No changes".
#
# Environment: GITHUB_API_URL (default https://api.github.com), GITHUB_REPOSITORY (owner/name),
# GITHUB_TOKEN, FLUXSIM_PR (the pull request number; default: read from GITHUB_EVENT_PATH),
# FLUXSIM_COMMENT_AUTHOR (optional login filter, e.g. github-actions[bot]).
# Needs bash, curl and jq (all on GitHub's runners). Any API error stops with exit 1 and a message
# naming the request, the HTTP status and GitHub's own message.
set -euo pipefail

# GitHub's limit on a comment body, in characters.
readonly MAX_COMMENT_CHARS=65536

die() {
  printf '::error title=fluxsim comment::%s\n' "$*" >&2
  exit 1
}

cluster="" body_file="" changed=true
while [ $# -gt 0 ]; do
  case "$1" in
    --cluster) cluster="${2-}"; shift 2 ;;
    --body) body_file="${2-}"; shift 2 ;;
    --changed) changed="${2-}"; shift 2 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -n "$cluster" ] || die "--cluster NAME is required"
[ -f "$body_file" ] || die "--body FILE: no such file: ${body_file:-(none)}"
case "$cluster" in
  *[!A-Za-z0-9._/@:+=-]*) die "cluster name '$cluster' may only hold letters, digits and . _ / @ : + = -" ;;
esac
[ -n "${GITHUB_REPOSITORY:-}" ] || die "GITHUB_REPOSITORY is not set"
[ -n "${GITHUB_TOKEN:-}" ] || die "GITHUB_TOKEN is not set: pass github-token (default: github.token)"
api="${GITHUB_API_URL:-https://api.github.com}"
pr="${FLUXSIM_PR:-}"
if [ -z "$pr" ] && [ -f "${GITHUB_EVENT_PATH:-}" ]; then
  pr="$(jq -r '.pull_request.number // .issue.number // empty' "$GITHUB_EVENT_PATH")"
fi
case "$pr" in
  '' | *[!0-9]*) die "no pull request number (FLUXSIM_PR, or a pull_request event): '${pr}'" ;;
esac

marker="<!-- fluxsim-diff cluster=${cluster} -->"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The body with the per-cluster marker first and the cluster in the title.
{
  printf '%s\n' "$marker"
  first=1
  while IFS= read -r line || [ -n "$line" ]; do
    if [ "$first" = 1 ]; then
      first=0
      [ "$line" = "<!-- fluxsim-diff -->" ] && continue
    fi
    if [ "$line" = "## fluxsim diff" ]; then
      line="## fluxsim diff: \`${cluster}\`"
    fi
    printf '%s\n' "$line"
  done <"$body_file"
} >"$work/body.md"
chars="$(LC_ALL=C.UTF-8 wc -m <"$work/body.md" | tr -d ' ')"
if [ "$chars" -gt "$MAX_COMMENT_CHARS" ]; then
  die "the comment for $cluster is $chars characters; GitHub allows $MAX_COMMENT_CHARS: lower fluxsim's --limit-bytes"
fi

# api METHOD URL [JSON_FILE]: the response body in $work/response, headers in $work/headers.
api() {
  local method="$1" url="$2" data="${3-}" status
  local args=(--silent --show-error --location --request "$method"
    --header "Accept: application/vnd.github+json"
    --header "Authorization: Bearer ${GITHUB_TOKEN}"
    --header "X-GitHub-Api-Version: 2022-11-28"
    --dump-header "$work/headers" --output "$work/response" --write-out '%{http_code}')
  [ -n "$data" ] && args+=(--header "Content-Type: application/json" --data-binary "@$data")
  if ! status="$(curl "${args[@]}" "$url" 2>"$work/curl.err")"; then
    die "GitHub API $method ${url#"$api"}: $(tr '\n' ' ' <"$work/curl.err")"
  fi
  case "$status" in
    2??) return 0 ;;
  esac
  local message hint=""
  message="$(jq -r '.message // empty' "$work/response" 2>/dev/null || true)"
  [ -n "$message" ] || message="$(head -c 300 "$work/response")"
  case "$status" in
    401) hint=" (is GITHUB_TOKEN valid?)" ;;
    403 | 404) hint=" (the token needs 'pull-requests: write'; a pull request from a fork gets a read-only token)" ;;
  esac
  die "GitHub API $method ${url#"$api"} failed with HTTP $status: ${message}${hint}"
}

# The URL of the next page, from the Link header (GitHub's pagination).
next_page() {
  { tr -d '\r' <"$work/headers" | grep -i '^link:' || true; } | tr ',' '\n' |
    sed -n 's/.*<\([^>]*\)>; *rel="next".*/\1/p' | head -n 1
}

existing=""
url="$api/repos/$GITHUB_REPOSITORY/issues/$pr/comments?per_page=100"
while [ -n "$url" ] && [ -z "$existing" ]; do
  api GET "$url"
  existing="$(jq -r --arg marker "$marker" --arg author "${FLUXSIM_COMMENT_AUTHOR:-}" '
    [.[] | select((.body // "" | split("\n")[0] | rtrimstr("\r")) == $marker)
         | select($author == "" or .user.login == $author)][0].id // empty' "$work/response")"
  url="$(next_page)"
done

jq -n --rawfile body "$work/body.md" '{body: $body}' >"$work/request.json"
if [ -n "$existing" ]; then
  api PATCH "$api/repos/$GITHUB_REPOSITORY/issues/comments/$existing" "$work/request.json"
  echo "fluxsim: updated the comment for $cluster: $(jq -r '.html_url // .id' "$work/response")"
elif [ "$changed" = true ]; then
  api POST "$api/repos/$GITHUB_REPOSITORY/issues/$pr/comments" "$work/request.json"
  echo "fluxsim: created the comment for $cluster: $(jq -r '.html_url // .id' "$work/response")"
else
  echo "fluxsim: no changes in $cluster and no earlier comment: nothing posted"
fi
