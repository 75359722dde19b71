#!/usr/bin/env bash
# Provision cadencia on a fresh Debian/Ubuntu machine. Idempotent: a second run only checks.
#
#   scripts/setup.sh            everything the tests need: the PostgreSQL server package (for
#                               throwaway test clusters), bubblewrap, chromium and
#                               chromium-driver (browser tests), promtool, and a
#                               virtualenv with the project and its test/dev extras
#   scripts/setup.sh --runtime  what running needs (`make run`): the virtualenv with the
#                               project alone; a virtualenv set up for the tests already has it
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
EXTRAS=${EXTRAS:-dev}

if [[ "${1:-}" == "--runtime" ]]; then
    for stamp in "$VENV/.cadencia-installed-runtime" "$VENV/.cadencia-installed-$EXTRAS"; do
        if [[ -x "$VENV/bin/python" && -f "$stamp" && ! pyproject.toml -nt "$stamp" ]]; then
            exit 0  # nothing to do, nothing to say
        fi
    done
    if [[ ! -x "$VENV/bin/python" ]]; then
        echo "setup: creating $VENV"
        "$PYTHON" -m venv "$VENV"
    fi
    echo "setup: installing cadencia (runtime dependencies only) into $VENV"
    log="$VENV/setup.log"  # pip's and the build backend's chatter, shown when it fails
    if ! { "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip &&
           "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e .; } >"$log" 2>&1
    then
        cat "$log" >&2
        echo "setup: installing cadencia failed (the log above is in $log)" >&2
        exit 1
    fi
    touch "$VENV/.cadencia-installed-runtime"
    echo "setup: ready ($("$VENV/bin/python" --version), $VENV)"
    exit 0
fi

need_pg=${CADENCIA_NEED_POSTGRES:-1}
if [[ "$need_pg" == 1 ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "setup: installing the postgresql server package (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    else
        echo "setup: PostgreSQL server binaries not found; install them with" \
             "'sudo apt-get install postgresql' (tests that need PostgreSQL will fail)" >&2
    fi
fi

# bubblewrap: the local engine runs each pod of a foreign image in its own mount namespace
# (docs/engine.md, "Filesystem per pod"); without it such templates that use literal paths
# are refused.
if ! command -v bwrap >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "setup: installing bubblewrap (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null 2>&1 || {
            apt-get update -qq && apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null; }
    else
        echo "setup: bubblewrap (bwrap) not found; install it with 'sudo apt-get install" \
             "bubblewrap' (without it, pods share the host's filesystem and templates that" \
             "use literal paths are refused)" >&2
    fi
fi

# chromium + chromium-driver: tests/ui drive Debian's own headless browser with Selenium
# (no browser download); `cadencia ui` itself needs neither.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "setup: installing chromium and chromium-driver (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null 2>&1 || {
            apt-get update -qq && apt-get install -y -qq --no-install-recommends \
                chromium chromium-driver >/dev/null; }
    else
        echo "setup: chromium or chromedriver not found; install them with 'sudo apt-get" \
             "install chromium chromium-driver' (the browser tests in tests/ui fail without)" >&2
    fi
fi

# cowsay: Argo's test image argoproj/argosay runs Debian's cowsay (/usr/games/cowsay), which
# the local engine takes from the host (docs/engine.md, "Images the engine knows"); the
# conformance corpus runs manifests of that image. Without it, those nodes are refused.
if [[ ! -x /usr/games/cowsay ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "setup: installing cowsay (apt-get)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -qq --no-install-recommends cowsay >/dev/null 2>&1 || {
            apt-get update -qq && apt-get install -y -qq --no-install-recommends cowsay >/dev/null; }
    else
        echo "setup: cowsay not found; install it with 'sudo apt-get install cowsay' (without" \
             "it, Argo manifests of argoproj/argosay that run cowsay are refused)" >&2
    fi
fi

# promtool (tests of the PrometheusRule): the binary alone, out of Debian's prometheus
# package, into the ignored .tools/ folder; no Prometheus service is installed.
if [[ ! -x .tools/bin/promtool ]] && command -v apt-get >/dev/null; then
    tmp=$(mktemp -d)
    if (cd "$tmp" && { apt-get download prometheus >/dev/null 2>&1 || \
            { [[ $(id -u) -eq 0 ]] && apt-get update -qq && apt-get download prometheus >/dev/null; }; } \
            && dpkg-deb -x prometheus_*.deb x); then
        mkdir -p .tools/bin && cp "$tmp/x/usr/bin/promtool" .tools/bin/promtool
    else
        echo "setup: promtool unavailable: the PrometheusRule unit tests will skip" >&2
    fi
    rm -rf "$tmp"
fi

stamp="$VENV/.cadencia-installed-$EXTRAS"
if [[ ! -x "$VENV/bin/python" ]]; then
    echo "setup: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing cadencia[$EXTRAS] into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$EXTRAS]"
    touch "$stamp"
fi
echo "setup: ready ($("$VENV/bin/python" --version), $VENV)"
