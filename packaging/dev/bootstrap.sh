#!/usr/bin/env bash
# Sourced by run-demo, run-tests, lock and the bundle builds: find Python 3.12+ (or have uv
# fetch one), create .venv, install requirements.lock with its hashes, then the project.
# Python 3.11 is refused on purpose: PySide6 6.12 corrupts None's refcount there (STACK.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
LOCK="$ROOT/requirements.lock"

# When the machine has no Python 3.12+ (Debian 12 ships 3.11 only), uv downloads one. The
# uv wheel comes from PyPI: the same version as in requirements.lock, checked against the
# SHA-256 PyPI lists for it (tests/packaging/test_bootstrap.py compares the two).
UV_VERSION="0.13.9"
UV_WHEEL_URL="" UV_WHEEL_SHA256=""
case "$(uname -s)-$(uname -m)" in
    Linux-x86_64)
        UV_WHEEL_URL="https://files.pythonhosted.org/packages/3d/aa/26d64642d808de4a652579ef950d7cd2d37f080a8babf9c67c6b75fc4c3f/uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        UV_WHEEL_SHA256="d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19" ;;
    Linux-aarch64)
        UV_WHEEL_URL="https://files.pythonhosted.org/packages/57/15/94b6cd62ac3ff6550288328e8035288875197cbc183f51554b266a69877b/uv-0.13.9-py3-none-manylinux_2_17_aarch64.manylinux2014_aarch64.musllinux_1_1_aarch64.whl"
        UV_WHEEL_SHA256="5435c5ce14a56431208ca0996416d310f1598e8c2c8ba707688985a16bb82dbe" ;;
esac

python_ok() { "$1" -c 'import sys, venv; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; }

find_python() {
    local candidates=()
    [ -n "${KITCHENTABLE_PYTHON:-}" ] && candidates+=("$KITCHENTABLE_PYTHON")
    # pyenv's shims answer "command not found" for versions that are not active, so look at
    # the installed versions directly, newest first.
    local pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    if [ -d "$pyenv_root/versions" ]; then
        while IFS= read -r dir; do candidates+=("$dir/bin/python3"); done < <(
            ls -d "$pyenv_root"/versions/3.1[2-9]* 2>/dev/null | sort -rV)
    fi
    candidates+=(python3.14 python3.13 python3.12 python3)
    for candidate in "${candidates[@]}"; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"; return 0
        fi
    done
    return 1
}

# -- uv ----------------------------------------------------------------------------------------
uv_cache() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/kitchentable/uv-$UV_VERSION"; }

fetch_uv() {
    # The uv binary from its PyPI wheel (a zip), checked against UV_WHEEL_SHA256; prints its path.
    local dest; dest="$(uv_cache)/uv"
    if [ -x "$dest" ]; then echo "$dest"; return 0; fi
    if [ -z "$UV_WHEEL_URL" ]; then
        echo "uv has no download pinned for $(uname -s) $(uname -m)." >&2; return 1
    fi
    local python
    python="$(command -v python3 || true)"
    if [ -z "$python" ]; then echo "Fetching uv needs python3 (any version)." >&2; return 1; fi
    mkdir -p "$(dirname "$dest")"
    echo "Fetching uv $UV_VERSION from PyPI" >&2
    "$python" - "$UV_WHEEL_URL" "$UV_WHEEL_SHA256" "$dest" <<'PY'
import hashlib, io, os, sys, urllib.request, zipfile
url, expected, dest = sys.argv[1:]
try:
    data = urllib.request.urlopen(url, timeout=60).read()
except OSError as exc:
    sys.exit(f"uv could not be downloaded from PyPI ({exc}).")
if hashlib.sha256(data).hexdigest() != expected:
    sys.exit("The uv download does not match its pinned SHA-256; nothing was installed.")
with zipfile.ZipFile(io.BytesIO(data)) as wheel:
    member = next(n for n in wheel.namelist() if n.endswith(".data/scripts/uv"))
    part = dest + ".part"
    with open(part, "wb") as out:
        out.write(wheel.read(member))
os.chmod(part, 0o755)
os.replace(part, dest)
print(dest)
PY
}

find_uv() {
    if [ -x "$VENV/bin/uv" ]; then echo "$VENV/bin/uv"; return 0; fi
    if command -v uv >/dev/null 2>&1; then command -v uv; return 0; fi
    fetch_uv
}

managed_python() {
    # A Python 3.12+ that uv manages (installed before, or downloaded now); prints its path.
    local uv found log
    uv="$(find_uv)" || return 1
    export UV_PYTHON_PREFERENCE=only-managed  # the machine's own Pythons were looked at already
    if found="$("$uv" python find '>=3.12' 2>/dev/null)" && python_ok "$found"; then
        echo "$found"; return 0
    fi
    echo "No Python 3.12 or newer on this machine: uv downloads one (about 30 MB)." >&2
    log="$(mktemp)"
    if ! "$uv" python install 3.12 >"$log" 2>&1; then
        # uv explains in "cause:" lines; the last one is the root (e.g. a DNS failure).
        local cause
        cause="$(grep -o 'cause: .*' "$log" | tail -1 | cut -c8- || true)"
        echo "uv could not download Python 3.12${cause:+ ($cause)}." >&2
        rm -f "$log"; return 1
    fi
    rm -f "$log"
    found="$("$uv" python find '>=3.12')" && python_ok "$found" && echo "$found"
}

install_advice() {
    # One sentence: exactly what to install on this distribution.
    local id="" version=""
    if [ -r /etc/os-release ]; then
        id="$(. /etc/os-release && echo "${ID:-}")"
        version="$(. /etc/os-release && echo "${VERSION_ID:-}")"
    fi
    case "$id-$version" in
        debian-11|debian-12)
            echo "Debian $version has no Python 3.12 package: install one with pyenv (sudo apt-get install -y build-essential curl git libbz2-dev libffi-dev liblzma-dev libncursesw5-dev libreadline-dev libsqlite3-dev libssl-dev tk-dev zlib1g-dev && curl -fsSL https://pyenv.run | bash && ~/.pyenv/bin/pyenv install 3.12), or set KITCHENTABLE_PYTHON to a Python 3.12 you have, then run this command again." ;;
        ubuntu-20.04|ubuntu-22.04)
            echo "Ubuntu $version has no Python 3.12 package of its own: install it from the deadsnakes archive (sudo add-apt-repository ppa:deadsnakes/ppa && sudo apt-get install python3.12 python3.12-venv), then run this command again." ;;
        debian-*|ubuntu-*)
            echo "Install it with: sudo apt-get install python3 python3-venv, then run this command again." ;;
        fedora-*)
            echo "Install it with: sudo dnf install python3.12, then run this command again." ;;
        *)
            echo "Install Python 3.12 or newer (your distribution's package, pyenv or python.org) or set KITCHENTABLE_PYTHON to one, then run this command again." ;;
    esac
}

choose_python() {
    # The interpreter for .venv: the machine's own 3.12+, else a uv-managed one; else say
    # what to install and fail.
    local py
    if py="$(find_python)"; then echo "$py"; return 0; fi
    if py="$(managed_python)"; then echo "$py"; return 0; fi
    echo "Kitchentable needs Python 3.12 or newer (3.11 makes PySide6 crash) and found none. $(install_advice)" >&2
    return 1
}

# -- the virtual environment -------------------------------------------------------------------
ensure_venv() {
    if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
        local py
        py="$(choose_python)" || exit 1
        echo "Creating the virtual environment with $py ($("$py" --version))" >&2
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
    fi
    # Reinstall only when the dependencies changed: pyproject.toml (also the project's own
    # entry points) or the lock file.
    local stamp="$VENV/.installed" want
    want="$(cat "$ROOT/pyproject.toml" "$LOCK" | sha256sum | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing the locked dependencies (requirements.lock, hashes checked) into .venv" >&2
        "$VENV/bin/python" -m pip install -q --require-hashes -r "$LOCK"
        # The project itself: its build backend is in the lock, so nothing else is fetched.
        # (setuptools' reminder that an editable install follows the source tree is noise here)
        PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$ROOT"
        if ! "$VENV/bin/python" -m pip check >/dev/null; then
            "$VENV/bin/python" -m pip check >&2 || true
            echo "requirements.lock does not hold what pyproject.toml asks for: run packaging/dev/lock and commit requirements.lock." >&2
            exit 1
        fi
        echo "$want" > "$stamp"
    fi
}
