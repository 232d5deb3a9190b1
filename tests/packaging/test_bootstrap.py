"""packaging/dev/bootstrap.sh, the start of both README commands: which Python it takes, what
it says when there is none, where uv comes from, and when it reinstalls.

Each test runs a copy of the script in a folder of its own (so `.venv` there is not the
project's) with a PATH and a PYENV_ROOT that show no Python 3.12 or newer: a stock Debian 12.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "packaging" / "dev" / "bootstrap.sh"
TOOLS = ["bash", "sh", "uname", "ls", "sort", "cat", "sha256sum", "cut", "grep", "tail"]
TOOLS += ["head", "mktemp", "rm", "mkdir", "dirname", "chmod", "env", "tr", "id", "readlink"]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the dev scripts are for Linux")


def old_python() -> str | None:
    """A Python older than 3.12 to leave on PATH, as Debian 12's python3 is (if there is one)."""
    for candidate in ("/usr/bin/python3", "/usr/bin/python3.11", "/bin/python3"):
        if Path(candidate).exists():
            version = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info >= (3, 12))"],
                capture_output=True,
                text=True,
            ).stdout.strip()
            if version == "False":
                return candidate
    return None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checkout with only the bootstrap, a pyproject and a lock (no .venv)."""
    copy = tmp_path / "checkout"
    (copy / "packaging" / "dev").mkdir(parents=True)
    shutil.copy(BOOTSTRAP, copy / "packaging" / "dev" / "bootstrap.sh")
    (copy / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    (copy / "requirements.lock").write_text("# empty\n", encoding="utf-8")
    return copy


def hidden_path(tmp_path: Path, python: str | None, uv: Path | None = None) -> Path:
    """A PATH folder with the shell tools the script uses, and no Python 3.12+."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool, path="/usr/bin:/bin")
        if found and not (bin_dir / tool).exists():
            (bin_dir / tool).symlink_to(found)
    if python:
        (bin_dir / "python3").symlink_to(python)
    if uv:
        (bin_dir / "uv").symlink_to(uv)
    return bin_dir


def environment(tmp_path: Path, bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": str(bin_dir),
        "HOME": str(tmp_path / "home"),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-pythons"),
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "LANG": "C.UTF-8",
    }
    env.update(extra)
    return env


def run(project: Path, env: dict[str, str], script: str) -> subprocess.CompletedProcess[str]:
    bash = shutil.which("bash", path="/usr/bin:/bin")
    assert bash
    return subprocess.run(
        [bash, "-c", f'source "{project}/packaging/dev/bootstrap.sh"\n{script}'],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def advice(project: Path, tmp_path: Path) -> str:
    return run(project, environment(tmp_path, hidden_path(tmp_path, None)), "install_advice").stdout


def test_without_python_312_and_no_download_it_says_in_one_sentence_what_to_install(
    project: Path, tmp_path: Path
) -> None:
    uv = ROOT / ".venv" / "bin" / "uv"
    if not uv.exists():
        pytest.skip("uv is installed by requirements.lock")
    project_python = (ROOT / ".venv" / "bin" / "python").resolve()
    env = environment(
        tmp_path,
        hidden_path(tmp_path, old_python(), uv),
        # Where uv downloads Pythons from: a port nothing listens on, as on a machine that
        # cannot reach github.com (this one).
        UV_PYTHON_INSTALL_MIRROR="http://127.0.0.1:9/",
    )
    result = run(project, env, "ensure_venv")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "uv could not download Python 3.12" in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Kitchentable needs Python 3.12 or newer")
    assert last.endswith(advice(project, tmp_path).strip())
    assert "apt-get install python3.12 " not in result.stderr  # not on Debian 12: no such package
    assert not (project / ".venv").exists()
    assert project_python.exists(), "the project's own venv is left alone"


def test_debian_12_is_told_to_use_pyenv_and_not_a_package_it_does_not_have(
    project: Path, tmp_path: Path
) -> None:
    os_release = Path("/etc/os-release").read_text(encoding="utf-8")
    if 'VERSION_ID="12"' not in os_release or "ID=debian" not in os_release:
        pytest.skip("this machine is not Debian 12")
    text = advice(project, tmp_path)
    assert text.startswith("Debian 12 has no Python 3.12 package: install one with pyenv (")
    assert "KITCHENTABLE_PYTHON" in text
    assert text.count(". ") == 0, "one sentence"


def test_a_python_that_uv_manages_is_taken_when_the_machine_has_none(
    project: Path, tmp_path: Path
) -> None:
    """uv as a stand-in that 'installs' by pointing at this test run's Python 3.12+."""
    real = (
        Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    )
    assert real.exists()
    installed = tmp_path / "installed"
    fake_uv = tmp_path / "fake-uv"
    fake_uv.write_text(
        "#!/bin/sh\n"
        f'echo "$UV_PYTHON_PREFERENCE $*" >> "{tmp_path}/uv.log"\n'
        f'if [ "$2" = install ]; then : > "{installed}"; exit 0; fi\n'
        f'if [ "$2" = find ] && [ -e "{installed}" ]; then echo "{real}"; exit 0; fi\n'
        "exit 2\n",
        encoding="utf-8",
    )
    fake_uv.chmod(0o755)
    env = environment(tmp_path, hidden_path(tmp_path, old_python(), fake_uv))
    result = run(project, env, "choose_python")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(real)
    assert "uv downloads one" in result.stderr
    log = (tmp_path / "uv.log").read_text(encoding="utf-8").splitlines()
    assert log == [
        "only-managed python find >=3.12",
        "only-managed python install 3.12",
        "only-managed python find >=3.12",
    ]
    again = run(project, env, "choose_python")  # a second time: found, nothing downloaded
    assert again.stdout.strip() == str(real)
    assert "uv downloads one" not in again.stderr


def fake_wheel(tmp_path: Path) -> tuple[Path, str]:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as wheel:
        wheel.writestr("uv/__init__.py", "")
        wheel.writestr("uv-0.13.9.data/scripts/uv", "#!/bin/sh\necho uv from the wheel\n")
    file = tmp_path / "uv-0.13.9-py3-none-any.whl"
    file.write_bytes(data.getvalue())
    return file, hashlib.sha256(data.getvalue()).hexdigest()


def test_uv_is_fetched_from_its_wheel_when_its_hash_matches(project: Path, tmp_path: Path) -> None:
    wheel, digest = fake_wheel(tmp_path)
    env = environment(tmp_path, hidden_path(tmp_path, sys.executable))
    script = f'UV_WHEEL_URL="file://{wheel}"; UV_WHEEL_SHA256="{digest}"; find_uv'
    result = run(project, env, script)
    assert result.returncode == 0, result.stderr
    uv = Path(result.stdout.strip().splitlines()[-1])
    assert uv == tmp_path / "cache" / "kitchentable" / "uv-0.13.9" / "uv"
    assert os.access(uv, os.X_OK)
    assert subprocess.run([uv], capture_output=True, text=True).stdout == "uv from the wheel\n"


def test_a_uv_download_with_another_hash_is_refused(project: Path, tmp_path: Path) -> None:
    wheel, _digest = fake_wheel(tmp_path)
    env = environment(tmp_path, hidden_path(tmp_path, sys.executable))
    result = run(
        project, env, f'UV_WHEEL_URL="file://{wheel}"; UV_WHEEL_SHA256="{"0" * 64}"; find_uv'
    )
    assert result.returncode != 0
    assert "does not match its pinned SHA-256" in result.stderr
    assert not list((tmp_path / "cache").rglob("uv"))


def test_the_pinned_uv_wheels_are_the_ones_in_the_lock() -> None:
    script = BOOTSTRAP.read_text(encoding="utf-8")
    version = re.search(r'^UV_VERSION="(.+)"$', script, re.MULTILINE).group(1)
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    entry = re.search(r"^uv==(\S+) \\\n((?:    --hash=sha256:\w+.*\n)+)", lock, re.MULTILINE)
    assert entry, "uv is in requirements.lock"
    assert entry.group(1) == version
    locked = set(re.findall(r"sha256:(\w+)", entry.group(2)))
    pinned = re.findall(r'UV_WHEEL_SHA256="(\w+)"', script)
    urls = re.findall(r'UV_WHEEL_URL="(\S+)"', script)
    assert len(pinned) == 2 and set(pinned) <= locked
    assert all(f"/uv-{version}-" in url for url in urls if url)


def test_a_changed_pyproject_or_lock_reinstalls_and_nothing_else_does(
    project: Path, tmp_path: Path
) -> None:
    """A stand-in venv python that records what it is asked to do."""
    venv_bin = project / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    log = tmp_path / "calls.log"
    (venv_bin / "python").write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n', encoding="utf-8")
    (venv_bin / "python").chmod(0o755)
    env = environment(tmp_path, hidden_path(tmp_path, None))

    def installs() -> list[str]:
        lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
        return [line for line in lines if line.startswith("-m pip install")]

    assert run(project, env, "ensure_venv").returncode == 0
    assert installs() == [
        f"-m pip install -q --require-hashes -r {project}/requirements.lock",
        f"-m pip install -q --no-deps --no-build-isolation -e {project}",
    ]
    assert run(project, env, "ensure_venv").returncode == 0
    assert len(installs()) == 2, "nothing changed: nothing installed"
    with (project / "pyproject.toml").open("a", encoding="utf-8") as file:
        file.write('dependencies = ["something-new"]\n')
    assert run(project, env, "ensure_venv").returncode == 0
    assert len(installs()) == 4
    with (project / "requirements.lock").open("a", encoding="utf-8") as file:
        file.write("# relocked\n")
    assert run(project, env, "ensure_venv").returncode == 0
    assert len(installs()) == 6
