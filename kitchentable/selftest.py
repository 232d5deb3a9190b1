"""`kitchentable --self-test`: does this installation work, end to end, without a person?

Owns the installation check that CI runs on the bundle and IT runs after deploying: in a
throw-away profile (a temporary folder, removed afterwards) it creates and reopens a vault,
loads every form, imports one fictional case, renders and seals its plan PDF, and opens
that PDF with Qt offscreen. One line per check ("ok   vault", "FAIL forms: ..."), exit 0
only when all pass. Never touches the consultant's own profile, never uses personal data,
never prints a traceback (the log gets the frames, the screen gets type and message).
Never imports Qt: the app's own checks (ui.selfcheck: QtPdf, Qt's translations) are handed
in by the entry point as `app_checks`, each given the plan PDF.
"""

from __future__ import annotations

import logging
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from kitchentable import __version__

if TYPE_CHECKING:
    from kitchentable.services import Profile

log = logging.getLogger(__name__)

CASE_ID = "SELFTEST-1"
# Argon2id at 8 MiB, one pass: the check is that the vault works, not that it is slow to
# brute-force; the throw-away profile is deleted at the end.
CHEAP_KDF = {"iterations": 1, "memory_kib": 8192, "lanes": 1}


class CheckFailed(RuntimeError):
    """A check ran but found something wrong; the message says what. An app check raises
    RuntimeError (this class's base) with its sentence."""


# A check of the app on top of the core (ui.selfcheck): given the plan PDF, a detail line.
AppCheck = tuple[str, Callable[[bytes], str]]


class Skipped(Exception):
    """A check could not run because an earlier one it needs failed."""


@dataclass
class _State:
    """What the checks hand to each other."""

    folder: Path
    passphrase: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    profile: Profile | None = None
    form_id: str = ""
    pdf: bytes = b""

    def need_profile(self) -> Profile:
        if self.profile is None:
            raise Skipped("needs the vault")
        return self.profile

    def need_pdf(self) -> bytes:
        if not self.pdf:
            raise Skipped("needs the plan PDF")
        return self.pdf


def check_presets(state: _State) -> str:
    from kitchentable.presets import load_presets

    presets = load_presets()
    if presets.source is None:
        return "none"
    return f"{presets.source}: {', '.join(presets.keys()) or 'empty'}"


def check_resources(state: _State) -> str:
    import gettext

    from kitchentable.i18n import DOMAIN, locale_dir
    from kitchentable.paths import forms_dir, resources_dir

    resources = resources_dir()
    wanted = [
        forms_dir() / "schema.json",
        resources / "fonts" / "DejaVuSans.ttf",
        resources / "fonts" / "DejaVuSans-Bold.ttf",
        resources / "branding" / "municipality.json",
        resources / "style.qss",
    ]
    missing = [str(path) for path in wanted if not path.is_file()]
    if missing:
        raise CheckFailed(f"missing {', '.join(missing)}")
    if gettext.find(DOMAIN, locale_dir(), languages=["nl"]) is None:
        raise CheckFailed(f"no Dutch catalogue in {locale_dir()}")
    return str(resources.parent)


def check_vault(state: _State) -> str:
    from kitchentable.config import Settings
    from kitchentable.services import Profile
    from kitchentable.storage.crypto import KdfParams

    path = state.folder / "profile"
    settings = Settings(consultant="Self Test", team="Self Test")
    created = Profile.create(
        path,
        state.passphrase,
        settings=settings,
        kdf=KdfParams.new(**CHEAP_KDF),
        origin="self-test",
    )
    created.close()
    # The unlock path is the one a consultant takes every morning: test it, not create's keys.
    state.profile = Profile.unlock(path, state.passphrase, origin="self-test")
    return "created and unlocked"


def check_forms(state: _State) -> str:
    from kitchentable.services import default_forms

    registry = default_forms()
    if registry.problems:
        raise CheckFailed("; ".join(str(problem) for problem in registry.problems))
    forms = registry.all()
    if not forms:
        raise CheckFailed("no forms installed")
    state.form_id = forms[0].id
    return ", ".join(f"{form.id} {form.version}" for form in forms)


def check_import(state: _State) -> str:
    profile = state.need_profile()
    if not state.form_id:
        raise Skipped("needs a form")
    created = profile.import_cases(
        {
            "cases": [
                {
                    "external_id": CASE_ID,
                    "melding_date": "2026-01-05",
                    "form": state.form_id,
                    "person": {"name": "Self Test"},
                }
            ]
        }
    )
    if len(created) != 1:
        raise CheckFailed(f"{len(created)} cases created, expected 1")
    return f"1 fictional case on {state.form_id}"


def check_pdf(state: _State) -> str:
    profile = state.need_profile()
    if not state.form_id:
        raise Skipped("needs a form")
    pdf, _sealed = profile.plans.pdf(CASE_ID)
    if not pdf.startswith(b"%PDF"):
        raise CheckFailed("the plan is not a PDF")
    state.pdf = pdf
    return f"{len(pdf) // 1024} KiB"


def check_scripts(state: _State) -> str:
    from kitchentable.render.probe import probe

    return probe()


def check_version(state: _State) -> str:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(state.need_pdf())) as document:
        creator = str(document.docinfo.get("/Creator", ""))
    expected = f"Kitchentable {__version__}"
    if creator != expected:
        raise CheckFailed(f"PDF creator is {creator!r}, expected {expected!r}")
    return f"{__version__} in the PDF metadata"


def check_seal(state: _State) -> str:
    from kitchentable.render.seal import new_self_issued_identity, seal_pdf
    from kitchentable.render.verify import SealStatus, verify_pdf

    identity = new_self_issued_identity("Kitchentable self-test", "Self Test")
    sealed = seal_pdf(
        state.need_pdf(), identity, reason="self-test", location="self-test", name="Self Test"
    )
    result = verify_pdf(sealed, (identity.cert_pem,))
    if result.status != SealStatus.INTACT:
        raise CheckFailed(f"seal verification says {result.status}")
    return "sealed and verified"


CHECKS: list[tuple[str, Callable[[_State], str]]] = [
    ("presets", check_presets),
    ("resources", check_resources),
    ("vault", check_vault),
    ("forms", check_forms),
    ("import", check_import),
    ("pdf", check_pdf),
    ("scripts", check_scripts),
    ("version", check_version),
    ("seal", check_seal),
]


def _run(name: str, check: Callable[[_State], str], state: _State, out: TextIO) -> bool:
    try:
        detail = check(state)
    except Skipped as skipped:
        print(f"FAIL {name}: skipped, {skipped}", file=out)
        return False
    except Exception as exc:  # every failure is a line, never a traceback
        # Frames to the log only: a message may quote a file name, never a person.
        log.error(
            "self-test %s failed: %s\n%s",
            name,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        message = str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}"
        print(f"FAIL {name}: {message}", file=out)
        return False
    print(f"ok   {name}" + (f" ({detail})" if detail else ""), file=out)
    return True


def _app_check(check: Callable[[bytes], str]) -> Callable[[_State], str]:
    return lambda state: check(state.need_pdf())


def run_self_test(out: TextIO | None = None, app_checks: Sequence[AppCheck] = ()) -> int:
    """Run every check in a temporary profile; 0 when all passed, 1 otherwise."""
    out = out or sys.stdout
    started = time.monotonic()
    kind = "bundle" if getattr(sys, "frozen", False) else "source"
    print(f"Kitchentable {__version__} self-test ({kind}: {Path(__file__).parent})", file=out)
    with tempfile.TemporaryDirectory(
        prefix="kitchentable-selftest-", ignore_cleanup_errors=True
    ) as folder:
        state = _State(Path(folder))
        try:
            checks = [*CHECKS, *((name, _app_check(check)) for name, check in app_checks)]
            results = [_run(name, check, state, out) for name, check in checks]
        finally:
            if state.profile is not None:
                state.profile.close()
    failed = results.count(False)
    elapsed = time.monotonic() - started
    if failed:
        print(f"self-test FAILED: {failed} of {len(results)} checks ({elapsed:.1f} s)", file=out)
        return 1
    print(f"self-test passed: {len(results)} checks ({elapsed:.1f} s)", file=out)
    return 0
