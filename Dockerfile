# syntax=docker/dockerfile:1
# fluxsim with the pinned helm and kustomize it runs, as a small non-root image.
#
#   docker build -t fluxsim .                                  # fluxsim compiled from this tree
#   docker build --build-arg FLUXSIM_FROM=prebuilt -t fluxsim . # dist/<arch>/fluxsim (release CI)
#   docker run --rm -v "$PWD:/work" fluxsim diff --base origin/main -o markdown
#
# git and tar are in the image: `diff --base` extracts the base tree with `git archive | tar`
# (src/diff/base.rs) and changed-only mode asks `git diff`/`git ls-files` what changed.

ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22
# source: compile here; prebuilt: take dist/<TARGETARCH>/fluxsim, the release workflow's static
# musl build, so the image holds the very binary of the release.
ARG FLUXSIM_FROM=source

FROM rust:${RUST_VERSION}-alpine AS fluxsim-source
# ring compiles a little C and assembly: gcc and musl's headers, no cmake. Alpine packages are
# not pinned to revisions (a branch drops old ones); the Alpine branch itself is pinned.
# hadolint ignore=DL3018
RUN apk add --no-cache gcc musl-dev
WORKDIR /src
COPY . .
# build.rs records this commit for `fluxsim --version` (.git is not in the build context).
ARG FLUXSIM_GIT_COMMIT=unknown
RUN FLUXSIM_GIT_COMMIT="${FLUXSIM_GIT_COMMIT}" cargo build --release --locked --bin fluxsim \
 && install -D -m 0755 target/release/fluxsim /out/fluxsim

FROM alpine:${ALPINE_VERSION} AS fluxsim-prebuilt
ARG TARGETARCH
COPY dist/${TARGETARCH}/fluxsim /out/fluxsim

# hadolint ignore=DL3006
FROM fluxsim-${FLUXSIM_FROM} AS fluxsim

FROM alpine:${ALPINE_VERSION} AS tools
ARG TARGETARCH
ARG HELM_VERSION=4.3.1
ARG KUSTOMIZE_VERSION=5.8.1
# hadolint ignore=DL3018
RUN apk add --no-cache bash curl
COPY scripts/action/install.sh scripts/action/tool-checksums.txt /install/
RUN /install/install.sh --dir /out --os linux --arch "${TARGETARCH:-amd64}" \
      --helm "${HELM_VERSION}" --kustomize "${KUSTOMIZE_VERSION}"

FROM alpine:${ALPINE_VERSION}
# A mounted checkout belongs to another user: safe.directory lets git read it anyway.
# hadolint ignore=DL3018
RUN apk add --no-cache ca-certificates git tar \
 && adduser -D -u 10001 -h /home/fluxsim fluxsim \
 && git config --system --add safe.directory '*'
COPY --from=tools /out/helm /out/kustomize /usr/local/bin/
COPY --from=fluxsim /out/fluxsim /usr/local/bin/fluxsim
USER 10001:10001
ENV HOME=/home/fluxsim
WORKDIR /work
ENTRYPOINT ["fluxsim"]
CMD ["--help"]
