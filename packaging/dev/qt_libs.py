"""Which system libraries Qt's X11 platform plugin misses here, and the Debian packages for them.

    .venv/bin/python packaging/dev/qt_libs.py [--plugin PATH]

Prints one Debian package per line for every library `ldd` reports "not found" for the
plugin (PySide6's libqxcb.so by default), and on stderr each missing library no package
was found for; exits 1 when anything is missing. Used by run-demo, which installs the
packages as root and names them otherwise. The package comes from the library's soname by
Debian's naming rule (policy 8.1: libfoo.so.1 -> libfoo1, libfoo2.so.3 -> libfoo2-3, with
the t64 variant of Debian 13), checked against `apt-cache pkgnames`; the few libraries whose
package is named otherwise are listed below. Asking ldd rather than keeping a list means a
new Qt that links one more library is still covered.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

# Libraries whose Debian package does not follow the naming rule (checked against dpkg -S
# by tests/packaging/test_qt_libs.py for every library the plugin links here).
IRREGULAR = {
    "libc.so.6": ("libc6",),
    "libm.so.6": ("libc6",),
    "libdl.so.2": ("libc6",),
    "libpthread.so.0": ("libc6",),
    "libglib-2.0.so.0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libgthread-2.0.so.0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libgobject-2.0.so.0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libgio-2.0.so.0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libGLdispatch.so.0": ("libglvnd0",),
    "libz.so.1": ("zlib1g",),
    "libbrotlidec.so.1": ("libbrotli1",),
    "libbrotlicommon.so.1": ("libbrotli1",),
}
_SONAME = re.compile(r"(lib.+?)\.so\.(\d+)(?:\.[\d.]+)?")
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def default_plugin() -> Path:
    import PySide6  # only the package, to find its folder (no Qt module loads)

    return Path(PySide6.__file__).resolve().parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


def missing_libraries(plugin: Path) -> list[str]:
    """The sonames the dynamic loader cannot find for `plugin`, its own links included."""
    result = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=False)
    return sorted(set(_NOT_FOUND.findall(result.stdout)))


def candidates(soname: str) -> tuple[str, ...]:
    if soname in IRREGULAR:
        return IRREGULAR[soname]
    match = _SONAME.fullmatch(soname)
    if match is None:
        return ()
    stem, version = match.group(1).lower().replace("_", "-"), match.group(2)
    name = f"{stem}-{version}" if stem[-1].isdigit() else f"{stem}{version}"
    return (f"{name}t64", name)


@cache
def apt_packages() -> frozenset[str]:
    """Every package name apt knows here (one call; asking per package takes a second each)."""
    if shutil.which("apt-cache") is None:
        return frozenset()
    result = subprocess.run(["apt-cache", "pkgnames"], capture_output=True, text=True, check=False)
    return frozenset(result.stdout.split())


def apt_knows(package: str) -> bool:
    return package in apt_packages()


def debian_package(soname: str, known: Callable[[str], bool] = apt_knows) -> str | None:
    return next((package for package in candidates(soname) if known(package)), None)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="qt_libs.py", description=__doc__.splitlines()[0])
    parser.add_argument("--plugin", type=Path, help="a Qt plugin (default: PySide6's xcb)")
    args = parser.parse_args(argv)
    missing = missing_libraries(args.plugin or default_plugin())
    packages: list[str] = []
    for soname in missing:
        package = debian_package(soname)
        if package is None:
            print(f"{soname} (no Debian package found for it)", file=sys.stderr)
        elif package not in packages:
            packages.append(package)
    for package in packages:
        print(package)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
