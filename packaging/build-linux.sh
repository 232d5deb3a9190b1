#!/usr/bin/env bash
# Build the Linux one-folder bundle dist/kitchentable/ from a checkout, with PyInstaller.
#
#   packaging/build-linux.sh             # build, print the size
#   packaging/build-linux.sh --check     # ... then run its self-test with a clean environment
#   packaging/build-linux.sh --archive   # ... and pack dist/kitchentable-VERSION-linux-ARCH.tar.gz
#
# KITCHENTABLE_DIST and KITCHENTABLE_BUILD move the output and work folders (tests use them).
# PyInstaller goes into the project's .venv only (from requirements.lock, with its hash): it
# is a build tool, not an app dependency.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev/bootstrap.sh"

check=0 archive=0
for arg in "$@"; do
    case "$arg" in
        --check) check=1 ;;
        --archive) archive=1 ;;
        -h|--help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option: $arg (try --help)" >&2; exit 2 ;;
    esac
done

# What the X11 platform plugin links. PyInstaller copies them into the bundle when the build
# machine has them, so a laptop without them still starts; without them it warns "Library
# not found" and the bundle relies on the laptop's own copies.
XCB_PACKAGES=(libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
              libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libxkbcommon0 libfontconfig1
              libdbus-1-3 libglib2.0-0)
if command -v dpkg >/dev/null 2>&1; then
    missing=()
    for pkg in "${XCB_PACKAGES[@]}"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" = "0" ]; then
            echo "Installing Debian packages for the bundle: ${missing[*]}" >&2
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            echo "Warning: the bundle will not carry ${missing[*]}; install them first with:" >&2
            echo "  sudo apt-get install ${missing[*]}" >&2
        fi
    fi
fi

DIST="${KITCHENTABLE_DIST:-$ROOT/dist}"
WORK="${KITCHENTABLE_BUILD:-$ROOT/build/pyinstaller}"

# The same venv as packaging/dev/run-tests (requirements.lock holds PyInstaller too), so CI
# installs everything once.
ensure_venv
cd "$ROOT"

echo "Building the bundle into $DIST/kitchentable" >&2
started=$(date +%s)
"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/kitchentable.spec
bundle="$DIST/kitchentable"
# For the desktop menu (packaging/README.md, "Linux"): a launcher entry and its icon.
cp packaging/linux/kitchentable.desktop "$bundle/kitchentable.desktop"
cp resources/icons/kitchentable.png "$bundle/kitchentable.png"
echo "Built in $(( $(date +%s) - started )) s: $bundle/kitchentable" >&2
echo "Bundle size: $(du -sh "$bundle" | cut -f1) ($(find "$bundle" -type f | wc -l) files)"

if [ "$check" = 1 ]; then
    # No venv, no PYTHONPATH, a fresh HOME: what a laptop without developer tools has.
    home="$(mktemp -d)"
    trap 'rm -rf "$home"' EXIT
    env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
        "$bundle/kitchentable" --self-test
fi

if [ "$archive" = 1 ]; then
    version="$("$VENV/bin/python" -c 'import kitchentable; print(kitchentable.__version__)')"
    tarball="$DIST/kitchentable-$version-linux-$(uname -m).tar.gz"
    tar -C "$DIST" -czf "$tarball" kitchentable
    echo "Archive: $tarball ($(du -sh "$tarball" | cut -f1))"
fi
