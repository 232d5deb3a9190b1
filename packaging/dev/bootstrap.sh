#!/usr/bin/env bash
# Sourced by run-demo and run-tests: find Python 3.12+, create .venv, install the project.
# Python 3.11 is refused on purpose: PySide6 6.12 corrupts None's refcount there (STACK.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"

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

ensure_venv() {
    local extras="${1:-}"
    if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
        local py
        if ! py="$(find_python)"; then
            echo "Kitchentable needs Python 3.12 or newer and found none." >&2
            echo "Install it (Debian/Ubuntu: apt-get install python3.12 python3.12-venv, or pyenv install 3.12)" >&2
            echo "or point KITCHENTABLE_PYTHON at one." >&2
            exit 1
        fi
        echo "Creating the virtual environment with $py ($("$py" --version))" >&2
        rm -rf "$VENV"
        "$py" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
    # Reinstall only when the dependencies changed.
    local stamp="$VENV/.installed-$extras"
    local want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "Installing Kitchentable and its dependencies into .venv" >&2
        local spec="$ROOT"
        [ -n "$extras" ] && spec="$ROOT[$extras]"
        "$VENV/bin/python" -m pip install -q -e "$spec"
        echo "$want" > "$stamp"
    fi
}
