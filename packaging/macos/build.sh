#!/usr/bin/env bash
# Build Kitchentable.app and a .dmg on a Mac (run from anywhere in the checkout).
#
#   packaging/macos/build.sh
#
# Needs: Python 3.12+ (python.org installer or Homebrew), Xcode command line tools
# (codesign, hdiutil). Output: dist/Kitchentable.app and dist/Kitchentable-VERSION-macos-ARCH.dmg.
# The bundle is built for this Mac's architecture (arm64 on Apple silicon, x86_64 on Intel).
# Optional, for distribution outside a managed fleet:
#   KITCHENTABLE_CODESIGN_IDENTITY="Developer ID Application: Gemeente ... (TEAMID)"
#   KITCHENTABLE_NOTARY_PROFILE=<keychain profile from `xcrun notarytool store-credentials`>
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

find_python() {
    for candidate in "${KITCHENTABLE_PYTHON:-}" python3.13 python3.12 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
            command -v "$candidate"; return 0
        fi
    done
    echo "Kitchentable needs Python 3.12 or newer (3.11 crashes with PySide6 6.12)." >&2
    return 1
}

VENV="$ROOT/.venv"
if [ ! -x "$VENV/bin/python" ]; then
    "$(find_python)" -m venv "$VENV"
fi
# The locked versions with their hashes (requirements.lock), then the project itself.
"$VENV/bin/python" -m pip install -q --require-hashes -r requirements.lock
"$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e "$ROOT"

"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/kitchentable.spec
APP="dist/Kitchentable.app"
"$APP/Contents/MacOS/Kitchentable" --self-test

VERSION="$("$VENV/bin/python" -c 'import kitchentable; print(kitchentable.__version__)')"
DMG="dist/Kitchentable-$VERSION-macos-$(uname -m).dmg"
STAGING="$(mktemp -d)"
trap 'rm -rf "$STAGING"' EXIT
cp -R "$APP" "$STAGING/"
ln -s /Applications "$STAGING/Applications"   # drag-to-install
rm -f "$DMG"
hdiutil create -volname "Kitchentable $VERSION" -srcfolder "$STAGING" -ov -format UDZO "$DMG"

if [ -n "${KITCHENTABLE_CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$KITCHENTABLE_CODESIGN_IDENTITY" --timestamp "$DMG"
    if [ -n "${KITCHENTABLE_NOTARY_PROFILE:-}" ]; then
        xcrun notarytool submit "$DMG" --keychain-profile "$KITCHENTABLE_NOTARY_PROFILE" --wait
        xcrun stapler staple "$DMG"
    fi
fi
echo "App: $APP ($(du -sh "$APP" | cut -f1))"
echo "Disk image: $DMG ($(du -sh "$DMG" | cut -f1))"
