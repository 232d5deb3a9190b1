"""requirements.lock: every dependency of the app, the tests and the builds, pinned with hashes,
in step with pyproject.toml and requirements-build.txt, and the documented audit command
fits it."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"


def pins() -> dict[str, list[tuple[str, list[str]]]]:
    """name -> [(version, hashes)] (a package may be pinned once per platform marker)."""
    found: dict[str, list[tuple[str, list[str]]]] = {}
    text = LOCK.read_text(encoding="utf-8")
    for match in re.finditer(
        r"^([A-Za-z0-9._-]+)==(\S+)(?: ;[^\\\n]*)? \\\n((?:    --hash=.*\n)+)", text, re.M
    ):
        name, version, hashes = match.groups()
        found.setdefault(canonicalize_name(name), []).append(
            (version, re.findall(r"sha256:([0-9a-f]{64})", hashes))
        )
    return found


def wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["test"]
    build = (ROOT / "packaging" / "requirements-build.txt").read_text(encoding="utf-8")
    lines += [line for line in build.splitlines() if line.strip() and not line.startswith("#")]
    return [Requirement(line) for line in lines]


def test_every_line_of_the_lock_is_a_pin_with_hashes() -> None:
    text = LOCK.read_text(encoding="utf-8")
    requirement_lines = [line for line in text.splitlines() if re.match(r"^[A-Za-z0-9]", line)]
    locked = pins()
    assert len(requirement_lines) == sum(len(v) for v in locked.values()) > 100
    assert all(hashes for entries in locked.values() for _version, hashes in entries)


def test_the_lock_holds_what_pyproject_and_the_build_ask_for() -> None:
    """Fails when a dependency is added or its range changed without `packaging/dev/lock`."""
    locked = pins()
    for requirement in wanted():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement.name} is not in requirements.lock"
        for version, _hashes in locked[name]:
            assert requirement.specifier.contains(version, prereleases=True), (
                f"requirements.lock pins {name}=={version}, pyproject asks {requirement}"
            )


def test_the_known_bad_h11_cannot_come_back() -> None:
    (h11,) = [r for r in wanted() if r.name == "h11"]
    assert not h11.specifier.contains("0.15.0") and h11.specifier.contains("0.16.0")


def audit_command() -> list[str]:
    readme = (ROOT / "packaging" / "README.md").read_text(encoding="utf-8")
    (line,) = [line.strip() for line in readme.splitlines() if "pip-audit -r" in line]
    return shlex.split(line)


def test_the_documented_audit_reads_the_lock(tmp_path: Path) -> None:
    command = audit_command()
    assert command[0] == ".venv/bin/pip-audit" and "--require-hashes" in command
    assert "--strict" in command, "a package that could not be checked must fail the audit"
    binary = ROOT / command[0]
    if not binary.exists():
        pytest.skip("pip-audit is installed from requirements.lock")
    # --dry-run: collect what would be checked, without asking the advisory service.
    result = subprocess.run(
        [str(binary), *command[1:], "--dry-run", "--progress-spinner", "off"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    audited = int(re.search(r"would have audited (\d+) packages", result.stderr).group(1))
    assert audited >= 100
