"""run-demo's check of the Qt runtime libraries: ldd finds what is missing, and the Debian
package named for each library is the one dpkg says holds it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "packaging" / "dev" / "qt_libs.py"
sys.path.insert(0, str(SCRIPT.parent))

import qt_libs  # noqa: E402 - a script beside run-demo, not a package

pytestmark = pytest.mark.skipif(
    sys.platform != "linux" or shutil.which("ldd") is None, reason="ldd is Linux's"
)
debian = pytest.mark.skipif(
    shutil.which("dpkg") is None or shutil.which("apt-cache") is None, reason="not Debian"
)


def linked(plugin: Path) -> dict[str, Path]:
    """The system libraries the plugin links (soname -> file), its own Qt ones left out."""
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        system = len(parts) >= 3 and parts[1] == "=>" and parts[2].startswith("/")
        if system and "site-packages" not in parts[2]:
            found[parts[0]] = Path(parts[2])
    return found


def owner(file: Path) -> str | None:
    for path in (file, file.resolve()):
        result = subprocess.run(["dpkg", "-S", str(path)], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0]
    return None


@debian
def test_every_library_the_plugin_links_maps_to_the_package_that_holds_it() -> None:
    libraries = linked(qt_libs.default_plugin())
    assert "libxcb-cursor.so.0" in libraries, "the xcb plugin links libxcb-cursor"
    checked = 0
    for soname, file in libraries.items():
        package = owner(file)
        if package is None:
            continue  # not from a package (a library copied by hand)
        assert qt_libs.debian_package(soname) == package, soname
        checked += 1
    assert checked >= 20


def test_nothing_is_missing_here_and_the_script_says_nothing() -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@debian
def test_a_missing_library_is_named_by_its_package(tmp_path: Path) -> None:
    """A library whose link was renamed to one of a package not installed here (libgsm1)."""
    if subprocess.run(["dpkg", "-s", "libgsm1"], capture_output=True).returncode == 0:
        pytest.skip("libgsm1 is installed here")
    if not qt_libs.apt_knows("libgsm1"):
        pytest.skip("apt does not know libgsm1 here")
    icccm = linked(qt_libs.default_plugin())["libxcb-icccm.so.4"].read_bytes()
    assert icccm.count(b"\0libxcb.so.1\0") == 1
    plugin = tmp_path / "libqfake.so"
    plugin.write_bytes(icccm.replace(b"\0libxcb.so.1\0", b"\0libgsm.so.1\0"))
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--plugin", str(plugin)], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stdout.split() == ["libgsm1"]


def test_a_library_without_a_package_is_named_itself() -> None:
    assert qt_libs.candidates("libxcb-cursor.so.0") == ("libxcb-cursor0t64", "libxcb-cursor0")
    assert qt_libs.candidates("libxkbcommon-x11.so.0")[-1] == "libxkbcommon-x11-0"
    assert qt_libs.debian_package("libnothing.so.3", known=lambda _package: False) is None
