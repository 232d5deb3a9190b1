"""The app has its own icon (window, task bar, installers)."""

from __future__ import annotations

from kitchentable.paths import resources_dir
from kitchentable.ui.app import prepare_application


def test_the_application_carries_its_own_icon(qapp) -> None:
    prepare_application(qapp)
    icon = qapp.windowIcon()
    assert not icon.isNull()
    assert icon.pixmap(64, 64).width() == 64
    assert (resources_dir() / "icons" / "kitchentable.svg").is_file()
