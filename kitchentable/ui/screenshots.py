"""Screenshots of the app without running it by hand: unlock screen, case list, conversation.

    python -m kitchentable.ui.screenshots OUTDIR [--language nl|en] [--scale 1.5] [--all-sections]
                                          [--size 1280x800 | --screen 1366x768]

Creates a throw-away demo profile in a temporary folder, starts the real main window
offscreen, unlocks it with the demo passphrase and saves PNGs (01-unlock, 02-cases,
03-conversation, and with --all-sections one per section, 05-lock-warning as it shows half
a minute before the auto-lock, 06-new-case-problems: the new-case dialog after 'Create' with
several wrong fields). `--screen WxH` pretends a screen of that size and keeps the size the
app picks for its first window (the window's place is printed). Owns nothing the app uses; it
never touches the consultant's own profile.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _wait(app: object, condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not reach the expected state")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()  # type: ignore[attr-defined]


def make_demo_profile(folder: Path) -> Path:
    """The demo profile; when the shipped Wmo form is missing, the demo cases use another form."""
    from kitchentable.config import Settings
    from kitchentable.demo import DEMO_PASSPHRASE, demo_document, ensure_demo_profile
    from kitchentable.errors import ImportRefused, UnknownForm
    from kitchentable.services import Profile, default_forms

    try:
        return ensure_demo_profile(folder)
    except (UnknownForm, ImportRefused):
        forms = default_forms().latest()
        if not forms:
            raise
        for leftover in folder.glob("kitchentable.db*"):
            leftover.unlink()
        document = demo_document()
        for case in document["cases"]:
            case["form"] = forms[0].id
        settings = Settings(consultant="Demo Consulent", team="Wijkteam Demo", demo=True)
        with Profile.create(folder, DEMO_PASSPHRASE, settings=settings, origin="demo") as profile:
            profile.import_cases(document)
        return folder


def _screen_file(folder: Path, size: str) -> str:
    """Qt's offscreen platform reads its screens from a JSON file."""
    width, height = (int(v) for v in size.split("x"))
    screen = {"name": "screen", "x": 0, "y": 0, "width": width, "height": height}
    file = folder / "offscreen-screen.json"
    file.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    return str(file)


def _lock_warning(app: object, window: Any, file: Path) -> None:
    """The warning as it shows 30 s before locking (a one-minute idle time: half a minute)."""
    window.idle.set_idle_ms(60_000)
    _wait(app, window.lock_warning.isVisible, seconds=45)
    window.grab().save(str(file))
    window.idle.poke()


def _new_case_problems(app: object, window: Any, file: Path) -> None:
    from kitchentable.ui.new_case import NewCaseDialog

    window.show_cases()
    window.new_case()
    _wait(app, lambda: bool(window.findChildren(NewCaseDialog)))
    dialog = window.findChildren(NewCaseDialog)[0]
    dialog.melding_date.edit.setText("30-11-1789")
    dialog.name.setText("")
    dialog.birth_date.edit.setText("31-02-1950")
    dialog.bsn.setText("123456789")
    dialog.postcode.setText("96411")
    dialog.check()
    _wait(app, lambda: True)
    dialog.grab().save(str(file))
    dialog.reject()


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m kitchentable.ui.screenshots")
    parser.add_argument("outdir")
    parser.add_argument("--language", default="nl", choices=("nl", "en"))
    parser.add_argument("--scale", default="1")
    parser.add_argument("--size", default="1280x800", help="the window's size")
    parser.add_argument("--screen", help="a screen of this size; the app sizes its window")
    parser.add_argument("--all-sections", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = _arguments(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["QT_SCALE_FACTOR"] = args.scale
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    if args.screen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen:configfile=" + _screen_file(out, args.screen)

    from PySide6.QtWidgets import QApplication

    from kitchentable.demo import DEMO_PASSPHRASE
    from kitchentable.ui.app import prepare_application
    from kitchentable.ui.main_window import MainWindow
    from kitchentable.ui.translations import apply_language

    with tempfile.TemporaryDirectory(prefix="kt-shots-") as temp:
        path = make_demo_profile(Path(temp) / "demo")
        app = QApplication.instance() or QApplication(sys.argv[:1])
        prepare_application(app)  # type: ignore[arg-type]
        apply_language(args.language)
        window = MainWindow(path, demo=True)
        if not args.screen:
            width, height = (int(v) for v in args.size.split("x"))
            window.resize(width, height)
        window.show()
        print(f"window {window.frameGeometry()} on a screen of {window.screen().geometry()}")
        _wait(app, lambda: window.unlock_screen is not None)
        window.grab().save(str(out / "01-unlock.png"))
        assert window.unlock_screen is not None
        window.unlock_screen.passphrase.setText(DEMO_PASSPHRASE)
        window.unlock_screen.try_unlock()
        _wait(app, lambda: window.cases is not None and window.cases.model.rowCount() > 0)
        window.grab().save(str(out / "02-cases.png"))
        cases = window.cases
        assert cases is not None
        cases.open_case.emit(cases.model.summary(0).id)
        _wait(app, lambda: window.conversation is not None)
        window.grab().save(str(out / "03-conversation.png"))
        conversation = window.conversation
        assert conversation is not None
        if args.all_sections:
            for number, section_id in enumerate(conversation.navigator.visible_ids(), start=1):
                conversation.show_section(section_id)
                _wait(app, lambda: True)
                window.grab().save(str(out / f"04-section-{number:02d}-{section_id}.png"))
        _lock_warning(app, window, out / "05-lock-warning.png")
        _new_case_problems(app, window, out / "06-new-case-problems.png")
        window.close()
        _wait(app, lambda: True)
    print(f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
