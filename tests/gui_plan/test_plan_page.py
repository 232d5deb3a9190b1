"""The signing moment, driven through the real widgets offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QPointingDevice, QTabletEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from kitchentable.domain.case import CaseStatus
from kitchentable.render.verify import SealStatus, verify_pdf
from kitchentable.services import Profile
from kitchentable.ui.plan.plan_page import PlanPage
from kitchentable.ui.plan.signature_pad import SignatureCanvas
from kitchentable.ui.session import Session
from kitchentable.ui.tasks import task_manager
from tests.conftest import PASSPHRASE
from tests.core.helpers import case_document
from tests.core.test_plan import answer_all

pytestmark = pytest.mark.gui

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gui"))
from gui_helpers import unlock  # noqa: E402 - the GUI tests' own unlock steps


def draw_with_mouse(qtbot: QtBot, canvas: SignatureCanvas) -> None:
    points = [QPoint(30 + i * 12, 40 + (i % 4) * 15) for i in range(18)]
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=points[0])
    for point in points[1:]:
        qtbot.mouseMove(canvas, point)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=points[-1])


def draw_with_pen(canvas: SignatureCanvas) -> None:
    device = QPointingDevice.primaryPointingDevice()
    stroke = [(40 + i * 10, 90 - i * 3, 0.2 + i * 0.04) for i in range(15)]
    kinds = (
        [QTabletEvent.Type.TabletPress]
        + [QTabletEvent.Type.TabletMove] * 13
        + [QTabletEvent.Type.TabletRelease]
    )
    for kind, (x, y, pressure) in zip(kinds, stroke, strict=True):
        point = QPointF(x, y)
        event = QTabletEvent(
            kind,
            device,
            point,
            canvas.mapToGlobal(point),
            pressure,
            0,
            0,
            0,
            0,
            0,
            Qt.KeyboardModifier.NoModifier,
            Qt.MouseButton.LeftButton,
            Qt.MouseButton.LeftButton,
        )
        QApplication.sendEvent(canvas, event)


@pytest.fixture
def session(qtbot: QtBot, profile: Profile, profile_path: Path, forms) -> Session:
    profile.update_settings(consultant="Anja de Consulent", language="en")
    profile.import_cases(case_document("M-2026-0412", form="test-plan"))
    answer_all(profile, "M-2026-0412")
    profile.close()
    session = Session(profile_path, forms=forms)
    done: list[object] = []
    session.unlock(None, PASSPHRASE).success(done.append).run_in_background()
    qtbot.waitUntil(lambda: bool(done), timeout=10_000)
    return session


def test_sign_seal_preview_and_print(
    qtbot: QtBot, session: Session, profile_path: Path, forms, tmp_path: Path
) -> None:
    errors: list[BaseException] = []
    page = PlanPage(
        session,
        "M-2026-0412",
        "Zwaantje Markeerstra",
        "Anja de Consulent",
        "Wmo-consulent",
        lambda _w, e: errors.append(e),
    )
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.document.pageCount() > 0, timeout=10_000)
    assert not page.is_sealed and not page.sign_button.isEnabled()

    qtbot.keyClicks(page.remarks, "Graag ook hulp bij de tuin.")
    qtbot.mouseClick(page.agree, Qt.MouseButton.LeftButton, pos=QPoint(8, page.agree.height() // 2))
    assert page.agree.isChecked()
    page.place.setText("Hoogezand")
    inhabitant, consultant = page.pads.pad("inhabitant").pad, page.pads.pad("consultant").pad
    draw_with_pen(inhabitant.canvas)
    draw_with_mouse(qtbot, consultant.canvas)
    pressures = {p for stroke in inhabitant.strokes() for (_x, _y, p) in stroke}
    assert len(pressures) > 5  # the pen's pressure was kept
    consultant.undo_button.click()
    assert consultant.canvas.is_empty() and not page.sign_button.isEnabled()
    draw_with_mouse(qtbot, consultant.canvas)
    assert page.sign_button.isEnabled()

    qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.is_sealed, timeout=15_000)
    qtbot.wait(300)  # QPdfView renders in the background
    page.grab().save(
        str(Path(os.environ.get("KITCHENTABLE_SCREENSHOTS", tmp_path)) / "plan-page.png")
    )
    assert not errors
    assert page.document.pageCount() >= 2 and not page.remarks.isEnabled()
    image = page.document.render(0, page.document.pagePointSize(0).toSize())
    assert not image.isNull()

    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(printed))
    assert page.print_to(printer) == page.document.pageCount()
    info = subprocess.run(
        ["pdfinfo", str(printed)], capture_output=True, text=True, check=True
    ).stdout
    printed_pages = int(next(x.split()[-1] for x in info.splitlines() if x.startswith("Pages:")))
    assert printed_pages == page.document.pageCount(), info

    session.lock(None).run_in_background()
    task_manager().drain()
    with Profile.unlock(profile_path, PASSPHRASE, forms=forms) as check:
        assert check.case("M-2026-0412").status == CaseStatus.SIGNED
        pdf, sealed = check.plans.pdf("M-2026-0412")
        assert sealed
        assert verify_pdf(pdf, (check.plans.identity().cert_pem,)).status == SealStatus.INTACT
        plan = check.plans.current("M-2026-0412")
        assert (
            plan is not None
            and plan.reaction.remarks == "Graag ook hulp bij de tuin."
            and plan.reaction.agrees
        )
        assert plan.fully_signed


def unlocked_window(qtbot: QtBot, profile: Profile, profile_path: Path, forms) -> Any:
    """The real main window, unlocked, on one case whose every question is answered."""
    from kitchentable.ui.main_window import MainWindow

    profile.update_settings(consultant="Anja de Consulent", language="en")
    profile.import_cases(case_document("M-2026-0412", form="test-plan"))
    answer_all(profile, "M-2026-0412")
    profile.close()
    window = MainWindow(profile_path, forms=forms)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    unlock(qtbot, window)
    return window


def open_the_plan(qtbot: QtBot, window: Any) -> None:
    """From the case list: the case, then its plan, until the preview shows a page."""
    qtbot.waitUntil(
        lambda: window.cases is not None and window.cases.model.rowCount() == 1, timeout=10_000
    )
    window.open_case(window.cases.model.summary(0).id)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
    qtbot.mouseClick(window.conversation.plan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: window.plan_page is not None and window.plan_page.document.pageCount() > 0,
        timeout=15_000,
    )


def test_from_the_conversation_to_the_plan_and_back(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    window = unlocked_window(qtbot, profile, profile_path, forms)
    open_the_plan(qtbot, window)
    assert window.stack.currentWidget() is window.plan_page
    window.lock()
    assert window.plan_page is None  # nothing readable stays behind the lock
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)  # back where we were
    window.close()
    task_manager().drain()


def test_locking_with_the_plan_open_again_and_again(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    """The consultant opens the plan and locks at once, at every moment of its rendering.

    Each lock deletes the plan page; the worker then ran its next task and let go of the
    page's refresh, the last Python reference to toolbar buttons shiboken counted as
    Python's. It queued their delete to the UI thread after Qt had deleted them with the
    page: SIGSEGV, in CI, and here in most runs of 150 rounds before the fix."""
    window = unlocked_window(qtbot, profile, profile_path, forms)
    for round_ in range(150):
        open_the_plan(qtbot, window)
        qtbot.wait(round_ % 7)  # lock at another moment of the preview's rendering each time
        window.lock()
        unlock(qtbot, window)
        qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
        window.show_cases()
    window.close()
    task_manager().drain()


def test_a_signed_case_opens_read_only(
    qtbot: QtBot, profile: Profile, profile_path: Path, forms
) -> None:
    from kitchentable.ui.main_window import MainWindow
    from tests.core.test_plan import sign_both

    profile.update_settings(consultant="Anja de Consulent", language="en")
    profile.import_cases(case_document("M-2026-0412", form="test-plan"))
    answer_all(profile, "M-2026-0412")
    sign_both(profile, "M-2026-0412")
    case_id = profile.repo.resolve_case("M-2026-0412")
    profile.close()
    window = MainWindow(profile_path, forms=forms)
    qtbot.addWidget(window)
    window.show()
    unlock(qtbot, window)
    qtbot.waitUntil(lambda: window.cases is not None, timeout=10_000)
    window.open_case(case_id)
    qtbot.waitUntil(lambda: window.conversation is not None, timeout=10_000)
    page = window.conversation
    assert page.read_only
    current = page.pages[page.current]
    assert not current.widget().isEnabled()
    window.close()
    task_manager().drain()
