#!/usr/bin/env bash
# Ensures a helm binary exists in the cache, building it from source through the Go module proxy when
# missing, and prints its path on stdout (progress goes to stderr).
#
# Why from source: no download host but the package registries is reachable, so get.helm.sh is out;
# `go install` of helm's own module works because its go.mod has no replace directives.
#
# Cache: ${KAFKA_EDGE_CACHE:-~/.cache/kafka-edge}/helm/<version>/helm. Bump HELM_VERSION to upgrade; the
# new version builds into its own directory, so a stale binary is never reused.
set -euo pipefail

HELM_VERSION="v3.22.0"

cache_root="${KAFKA_EDGE_CACHE:-$HOME/.cache/kafka-edge}"
dir="$cache_root/helm/$HELM_VERSION"
bin="$dir/helm"

# Fast path: no lock, no Go invocation.
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "tools/helm/ensure.sh: 'go' is required to build helm (apt-get install golang or a Go toolchain)" >&2
  exit 1
fi

mkdir -p "$dir"
# Concurrent test files must not build twice or see a half-written binary.
exec 9>"$dir/.build.lock"
if ! flock -w 1800 9; then
  echo "tools/helm/ensure.sh: timed out waiting for another build ($dir/.build.lock)" >&2
  exit 1
fi
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

staging="$(mktemp -d "$dir/.build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
started=$SECONDS
echo "tools/helm/ensure.sh: building helm $HELM_VERSION (cold: ~2-5 minutes on 2 cores)..." >&2
# Same version stamping as helm's Makefile, so `helm version` reports the release.
GOFLAGS="-trimpath -buildvcs=false" GOBIN="$staging" nice go install \
  -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
mv "$staging/helm" "$bin"
echo "tools/helm/ensure.sh: built in $((SECONDS - started))s: $bin" >&2
echo "$bin"
