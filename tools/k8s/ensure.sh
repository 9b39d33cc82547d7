#!/usr/bin/env bash
# Ensures the test control-plane binaries (etcd, kube-apiserver, kube-controller-manager, kubectl)
# exist in the cache, building them from source through the Go module proxy when missing, and
# prints the bin directory on stdout (all progress goes to stderr).
#
# Why from source: there is no download host but the package registries, and Debian's etcd 3.4 is
# too old for a current kube-apiserver. Versions come from the committed wrapper modules
# tools/k8s/etcd/go.mod and tools/k8s/kube/go.mod, so a bump there changes the cache key.
#
# Cache: ${KAFKA_EDGE_CACHE:-~/.cache/kafka-edge}/k8s/<k8s version>-etcd-<etcd version>/bin.
# Go's own module/build caches stay at Go's defaults so they are shared with other Go work.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(sed -n 's|^require k8s.io/kubernetes \(v[^ ]*\).*|\1|p' "$here/kube/go.mod")"
etcd_version="$(sed -n 's|^[[:space:]]*go.etcd.io/etcd/server/v3 \(v[^ ]*\).*|\1|p' "$here/etcd/go.mod")"
if [ -z "$k8s_version" ] || [ -z "$etcd_version" ]; then
  echo "ensure.sh: cannot read versions from $here/{kube,etcd}/go.mod" >&2
  exit 1
fi

cache_root="${KAFKA_EDGE_CACHE:-$HOME/.cache/kafka-edge}"
bin_dir="$cache_root/k8s/${k8s_version}-etcd-${etcd_version}/bin"
binaries=(etcd kube-apiserver kube-controller-manager kubectl)

all_present() {
  local b
  for b in "${binaries[@]}"; do [ -x "$bin_dir/$b" ] || return 1; done
}

# Fast path: no lock, no Go invocation.
if all_present; then
  echo "$bin_dir"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "ensure.sh: 'go' is required to build the control plane (apt-get install golang or a Go toolchain)" >&2
  exit 1
fi

mkdir -p "$bin_dir"
# Concurrent test runs must not build twice or see half-written binaries.
exec 9>"$cache_root/k8s/.build.lock"
if ! flock -w 3600 9; then
  echo "ensure.sh: timed out waiting for another build ($cache_root/k8s/.build.lock)" >&2
  exit 1
fi
if all_present; then
  echo "$bin_dir"
  exit 0
fi

staging="$(mktemp -d "$bin_dir/.build.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
export GOFLAGS="-trimpath -buildvcs=false"
started=$SECONDS

if [ ! -x "$bin_dir/etcd" ]; then
  echo "ensure.sh: building etcd ${etcd_version} (cold build takes a few minutes)..." >&2
  (cd "$here/etcd" && nice go build -ldflags="-s -w" -o "$staging/etcd" go.etcd.io/etcd/server/v3)
  mv "$staging/etcd" "$bin_dir/etcd"
fi

if ! { [ -x "$bin_dir/kube-apiserver" ] && [ -x "$bin_dir/kube-controller-manager" ] \
  && [ -x "$bin_dir/kubectl" ]; }; then
  echo "ensure.sh: building kubernetes ${k8s_version} (cold build takes ~6 minutes on 2 cores)..." >&2
  minor="${k8s_version#v1.}"
  minor="${minor%%.*}"
  # Same version stamping as upstream's hack/lib/version.sh, so /version reports the real release.
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=${k8s_version} -X $pkg.gitMajor=1 -X $pkg.gitMinor=${minor}"
    ldflags+=" -X $pkg.gitTreeState=clean"
  done
  (cd "$here/kube" && nice go build -ldflags="$ldflags" -o "$staging/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)
  for b in kube-apiserver kube-controller-manager kubectl; do mv "$staging/$b" "$bin_dir/$b"; done
fi

echo "ensure.sh: built in $((SECONDS - started))s into $bin_dir" >&2
echo "$bin_dir"
