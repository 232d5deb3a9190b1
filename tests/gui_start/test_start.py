"""A newcomer's start, through the real entry point in processes of their own: the demo
goes where KITCHENTABLE_PROFILE or --profile say, a second app on the same profile is
turned away with a sentence (a crashed one is not in the way), and the first window fits
a 1366 x 768 laptop screen on every page."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kitchentable.ui.profile_lock import LOCK_FILE

pytestmark = pytest.mark.gui
CHILD = Path(__file__).resolve().parent / "child_start.py"
ROOT = Path(__file__).resolve().parents[2]


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KITCHENTABLE_PROFILE", "XDG_DATA_HOME", "XDG_CONFIG_HOME"}
    }
    env.update(
        HOME=str(tmp_path / "home"),  # the platform folders (and QSettings) of a fresh user
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(ROOT),
        KITCHENTABLE_LANG="en",
    )
    env.update(extra)
    return env


def run(tmp_path: Path, mode: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), mode, *args],
        env=environment(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


def outcome(result: subprocess.CompletedProcess[str], key: str) -> str:
    lines = [line for line in result.stdout.splitlines() if line.startswith(key + " ")]
    assert lines, result.stdout + result.stderr
    return lines[-1][len(key) + 1 :]


def default_demo(tmp_path: Path) -> Path:
    return tmp_path / "home" / ".local" / "share" / "Kitchentable" / "demo"


def test_the_demo_goes_where_the_environment_or_the_option_says(tmp_path: Path) -> None:
    by_env, by_option = tmp_path / "by-env", tmp_path / "by-option"
    result = run(tmp_path, "quit", "--demo", KITCHENTABLE_PROFILE=str(by_env))
    assert outcome(result, "EXIT") == "0", result.stderr
    assert (by_env / "kitchentable.db").is_file()
    result = run(tmp_path, "quit", "--demo", "--profile", str(by_option))
    assert outcome(result, "EXIT") == "0", result.stderr
    assert (by_option / "kitchentable.db").is_file()
    assert not default_demo(tmp_path).exists(), "neither run touched the default demo"
    result = run(tmp_path, "quit", "--demo")
    assert (default_demo(tmp_path) / "kitchentable.db").is_file()


def test_a_second_app_on_the_same_profile_gets_a_sentence_and_a_crashed_one_is_no_obstacle(
    tmp_path: Path,
) -> None:
    profile = tmp_path / "demo"
    first = subprocess.Popen(
        [sys.executable, str(CHILD), "stay", "--demo", "--profile", str(profile)],
        env=environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout is not None
        deadline = time.monotonic() + 60
        while first.stdout.readline().strip() != "SHOWN":
            assert time.monotonic() < deadline and first.poll() is None, first.stderr.read()
        assert (profile / LOCK_FILE).is_file()
        second = run(tmp_path, "quit", "--demo", KITCHENTABLE_PROFILE=str(profile))
        assert outcome(second, "EXIT") == "1"
        sentence = outcome(second, "TEXT")
        assert "already open on this profile" in sentence
        assert str(profile) in sentence and f"process {first.pid}" in sentence
        assert "--profile" in sentence, "a second demo is told how to start one of its own"
        assert sentence in second.stderr, "also said in the terminal"
    finally:
        first.kill()  # as a crash would: the lock file stays behind
        first.wait(timeout=30)
    assert (profile / LOCK_FILE).is_file()
    third = run(tmp_path, "quit", "--demo", "--profile", str(profile))
    assert outcome(third, "EXIT") == "0", third.stdout + third.stderr
    assert outcome(third, "TEXT") == ""


def test_the_first_window_fits_a_1366_by_768_screen_on_every_page(tmp_path: Path) -> None:
    screen = tmp_path / "screen.json"
    laptop = {"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768, "logicalDpi": 96}
    screen.write_text(json.dumps({"screens": [laptop]}), encoding="utf-8")
    platform = f"offscreen:configfile={screen}"
    pages = {}
    for args in (["--profile", str(tmp_path / "new")], ["--demo"]):
        result = run(tmp_path, "pages", *args, QT_QPA_PLATFORM=platform)
        assert outcome(result, "EXIT") == "0", result.stdout + result.stderr
        for line in result.stdout.splitlines():
            if line.startswith("PAGE "):
                name, *numbers = line.split()[1:]
                pages[name] = [int(n) for n in numbers]
    assert set(pages) == {"wizard", "unlock", "cases", "conversation"}
    for name, (x, y, width, height, screen_width, screen_height) in pages.items():
        assert (screen_width, screen_height) == (1366, 768)
        assert x >= 0 and y >= 0, name
        assert x + width <= 1366 and y + height <= 768, f"{name}: {width}x{height} at {x},{y}"
    assert len({tuple(v) for v in pages.values()}) == 1, "no page made the window grow"
