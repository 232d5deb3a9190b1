"""Shared fixtures. Environment first: offscreen Qt, cheap KDF, logs in a temp folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["KITCHENTABLE_KDF_COST"] = "low"  # Argon2id at 8 MiB: tests unlock hundreds of times
os.environ["KITCHENTABLE_LANG"] = "en"
# A machine's /etc/kitchentable/presets.json must not leak into the suite.
os.environ.setdefault("KITCHENTABLE_PRESETS", "none")
os.environ.setdefault("KITCHENTABLE_LOG_DIR", tempfile.mkdtemp(prefix="kt-log-"))

import pytest

from kitchentable.formengine.loader import FormRegistry, load_form
from kitchentable.i18n import set_language
from kitchentable.services import Profile

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
PASSPHRASE = "correct horse battery"

set_language("en")


@pytest.fixture(scope="session")
def forms() -> FormRegistry:
    """The shipped forms plus the small test form used by storage and CLI tests."""
    registry = FormRegistry.from_directory()
    assert not registry.problems, registry.problems
    for path in sorted((DATA / "extra-forms").glob("*.yaml")):
        registry.add(load_form(path))
    return registry


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def profile(profile_path: Path, forms: FormRegistry) -> Iterator[Profile]:
    created = Profile.create(profile_path, PASSPHRASE, forms=forms)
    yield created
    created.close()


@pytest.fixture
def log_dir() -> Path:
    return Path(os.environ["KITCHENTABLE_LOG_DIR"])


@pytest.fixture(autouse=True)
def no_widget_owned_twice(request: pytest.FixtureRequest) -> Iterator[None]:
    """After every GUI test, while its widgets still live: none is owned by Qt and Python
    both (tests.qtkit says why that crashes)."""
    if "qtbot" not in request.fixturenames:
        yield
        return
    # qtbot set up inside this fixture: its teardown (closing the widgets) runs after ours.
    request.getfixturevalue("qtbot")
    yield
    from tests.qtkit import owned_twice

    twice = owned_twice()
    assert not twice, "widgets owned by Qt and Python both:\n" + "\n".join(twice)
